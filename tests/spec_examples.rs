//! The worked examples and tables of `spec/format.md`, checked against the
//! crate: if the spec's text and the code disagree, one of these fails.

use koffer::block::{Block, BlockHeader};
use koffer::frame::{self, kind, FrameHead};
use koffer::header::{Header, SIGNATURE};
use koffer::read::Reader;
use koffer::{crc, varint};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// §2.2: the varint table.
#[test]
fn s2_2_varint_table() {
    let table: [(u64, &str); 8] = [
        (0, "00"),
        (127, "7F"),
        (128, "80 01"),
        (300, "AC 02"),
        (16_383, "FF 7F"),
        (16_384, "80 80 01"),
        (u32::MAX as u64, "FF FF FF FF 0F"),
        (u64::MAX, "FF FF FF FF FF FF FF FF FF 01"),
    ];
    for (value, bytes) in table {
        let mut buf = [0u8; varint::MAX_LEN_U64];
        assert_eq!(varint::encode_u64(value, &mut buf), hex(bytes), "{value}");
        assert_eq!(
            varint::decode_u64(&hex(bytes)),
            Ok((value, hex(bytes).len()))
        );
    }
    // "80 00 for 0 is invalid"
    assert!(varint::decode_u64(&hex("80 00")).is_err());
    // zigzag: 0, -1, 1, -2, 2 -> 0, 1, 2, 3, 4
    for (n, z) in [(0i64, 0u64), (-1, 1), (1, 2), (-2, 3), (2, 4)] {
        assert_eq!(varint::zigzag(n), z);
    }
}

/// §2.3: CRC-32C parameters and check value, with the spec's bit-at-a-time reference.
#[test]
fn s2_3_checksum_check_value_and_reference() {
    fn reference(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0x82F6_3B78
                } else {
                    crc >> 1
                };
            }
        }
        crc ^ 0xFFFF_FFFF
    }
    assert_eq!(crc::checksum(b"123456789"), 0xE306_9283);
    assert_eq!(reference(b"123456789"), 0xE306_9283);
    assert_eq!(crc::checksum(b""), 0);
    let data: Vec<u8> = (0..2000u32).map(|i| (i * 7 + i / 3) as u8).collect();
    assert_eq!(crc::checksum(&data), reference(&data));
}

/// §3: the header of a 1.0 container with no feature bits.
#[test]
fn s3_header_bytes() {
    assert_eq!(SIGNATURE.to_vec(), hex("8B 4B 4F 46 0D 0A 1A 0A"));
    assert_eq!(
        Header::CURRENT.to_bytes().to_vec(),
        hex("8B 4B 4F 46 0D 0A 1A 0A 01 00 00 00 00 00 94 66 4B C9")
    );
}

/// §4.1: the empty container's end frame, head check and chained checksum.
#[test]
fn s4_1_end_frame_example() {
    let bytes = hex(
        "8B 4B 4F 46 0D 0A 1A 0A 01 00 00 00 00 00 94 66 4B C9 04 03 00 00 47 00 00 00 27 03 C5 B8",
    );
    assert_eq!(frame::head_check(&[0x04, 0x03, 0x00, 0x00]), 0x47);
    assert_eq!(
        FrameHead::new(kind::END, 3).as_bytes(),
        &hex("04 03 00 00 47")[..]
    );
    assert_eq!(
        frame::checksum(&[0x94, 0x66, 0x4B, 0xC9], &hex("04 03 00 00 47 00 00 00")),
        0xB8C5_0327
    );
    let summary = Reader::new(&bytes).unwrap().verify().unwrap();
    assert!(summary.is_complete());
    assert_eq!(summary.counted.records, 0);
}

/// §4.1: every single-bit error in a frame head (kind, length, head check)
/// fails the head check — all 40 bit positions, several lengths.
#[test]
fn s4_1_head_check_catches_every_single_bit_error() {
    for len in [0u32, 3, 255, 256, 65_535, 65_536, 1 << 20] {
        let head = FrameHead::new(kind::BLOCK, len);
        for bit in 0..40 {
            let mut h = [0u8; 5];
            h.copy_from_slice(head.as_bytes());
            h[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(frame::head_check(&h[..4]), h[4], "length {len}, bit {bit}");
        }
    }
}

/// §4.2: kinds 0x40..=0x7F are ancillary; 0x00 and 0xFF invalid; the rest critical.
#[test]
fn s4_2_kind_classes() {
    use koffer::frame::kind::{class, Class};
    for k in 0..=255u8 {
        let expected = match k {
            0x00 | 0xFF => Class::Invalid,
            0x40..=0x7F => Class::Ancillary,
            _ => Class::Critical,
        };
        assert_eq!(class(k), expected, "{k:#04x}");
    }
    assert_eq!(
        [kind::METADATA, kind::SCHEMA, kind::BLOCK, kind::END],
        [0x01, 0x02, 0x03, 0x04]
    );
    assert_eq!((kind::VENDOR_FIRST, kind::VENDOR_LAST), (0x60, 0x7F));
}

/// §7: the two-record block example.
#[test]
fn s7_block_example() {
    let body = hex("00 02 01 01 02 2A 01 02");
    let block = Block::parse(&body).unwrap();
    assert_eq!(
        block.header(),
        BlockHeader {
            record_type: 0,
            count: 2,
            base_len: 1,
            width: 1
        }
    );
    let records: Vec<&[u8]> = block.records().collect();
    assert_eq!(records, [&[0x2A][..], &[0x01, 0x02][..]]);
}

/// §9: the limits table.
#[test]
fn s9_limits_table() {
    use koffer::limits::*;
    assert_eq!(MAX_FRAME_BODY, 1_048_576);
    assert_eq!(MAX_RECORD_LEN, 65_535);
    assert_eq!(MAX_BLOCK_RECORDS, 65_535);
    assert_eq!(MAX_RECORD_TYPES, 256);
    assert_eq!(MAX_NAME_LEN, 255);
    assert_eq!((varint::MAX_LEN_U32, varint::MAX_LEN_U64), (5, 10));
}

/// §10.1: descriptions are checked where they are used. In the vector
/// `reject-def-amid-records` a schema frame with a faulty definition (a
/// reserved tag) lies between intact blocks: the records walk hands out all
/// three records and finds the container complete; everything that uses the
/// description, and `verify`, reports the faulty byte.
#[test]
fn s10_1_descriptions_are_checked_where_they_are_used() {
    use koffer::read::{ErrorKind, Frame};
    use koffer::schema::ErrorKind as DefErrorKind;
    use koffer::write::ResumePoint;

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/vectors/reject-def-amid-records.koffer"
    );
    let bytes = std::fs::read(path).unwrap();
    let reader = Reader::new(&bytes).unwrap();

    // The records walk: structure checks only.
    let mut records = reader.records();
    let payloads: Vec<&[u8]> = records.by_ref().map(|r| r.unwrap().payload).collect();
    assert_eq!(payloads, [&[1u8][..], &[2], &[3]]);
    let summary = records.finish().unwrap();
    assert!(summary.is_complete());
    assert_eq!((summary.counted.blocks, summary.counted.records), (2, 3));

    // The faulty byte: the definition's first byte, the frame's last but 4.
    let schema_at = 18 + 13 + 14; // header, schema frame "a", first block
    let def_at = (schema_at + 5 + 4) as u64; // head, then 01 01 'b' 01
    assert_eq!(bytes[def_at as usize], 0x1C);
    let expected = ErrorKind::Definition(DefErrorKind::BadTag { tag: 0x1C });
    let e = reader.verify().unwrap_err();
    assert_eq!((e.offset, e.kind), (def_at, expected));
    let e = reader.schema(1).unwrap_err();
    assert_eq!((e.offset, e.kind), (def_at, expected));
    // Schema 0 comes before the faulty frame and is there to use.
    assert_eq!(reader.schema(0).unwrap().unwrap().name, "a");
    let mut frames = reader.frames();
    assert!(matches!(frames.next(), Some(Ok(f)) if matches!(f.frame, Frame::Schema(_))));
    assert!(matches!(frames.next(), Some(Ok(f)) if matches!(f.frame, Frame::Block(_))));
    assert_eq!(frames.next().unwrap().unwrap_err().offset, def_at);
    assert_eq!(frames.position(), schema_at as u64);

    // Resuming needs the structure only; this container is complete.
    assert!(ResumePoint::scan(&bytes).unwrap().is_complete());
}
