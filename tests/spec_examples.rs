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

/// §3.3: a header cut by a power loss is an incomplete container that holds
/// nothing (`HeaderTruncated`, class incomplete), never a foreign file; an
/// input whose bytes are not a prefix of the signature is not a container.
#[test]
fn s3_3_header_cut_short_is_incomplete() {
    use koffer::read::{Class, ErrorKind};
    let header = Header::CURRENT.to_bytes();
    let mut erased = header[..12].to_vec();
    erased.resize(32, 0xFF);
    let cut: [&[u8]; 6] = [
        &[],
        &header[..5],
        &header[..12],
        &header[..17],
        &erased,
        &[0x00; 40],
    ];
    for input in cut {
        let e = Reader::new(input).unwrap_err();
        assert_eq!(
            (e.kind, e.offset),
            (ErrorKind::HeaderTruncated, 0),
            "{input:02x?}"
        );
        assert_eq!(e.kind.class(), Class::Incomplete);
    }
    assert!(Reader::new(&[0xFF; 40]).is_err_and(|e| e.kind.class() == Class::Incomplete));
    for foreign in [
        &b"PK\x03\x04"[..],
        b"just some text",
        &header[..7].iter().map(|b| b ^ 0x80).collect::<Vec<_>>(),
    ] {
        let e = Reader::new(foreign).unwrap_err();
        assert_eq!(
            (e.kind, e.offset),
            (ErrorKind::BadSignature, 0),
            "{foreign:02x?}"
        );
        assert_eq!(e.kind.class(), Class::NotAContainer);
    }
    // 18 bytes or more with written data in the header: a damaged header.
    let mut bad = header.to_vec();
    bad[12] ^= 1;
    let e = Reader::new(&bad).unwrap_err();
    assert_eq!(
        (e.kind.name(), e.offset, e.kind.class()),
        ("HeaderChecksum", 14, Class::Corrupt)
    );
}

/// A frame of `kind` with `body`, chained to `prev`.
fn frame_bytes(prev: &[u8], kind: u8, body: &[u8]) -> Vec<u8> {
    let mut f = FrameHead::new(kind, body.len() as u32).as_bytes().to_vec();
    f.extend_from_slice(body);
    let prev: [u8; 4] = prev[prev.len() - 4..].try_into().unwrap();
    let crc = frame::checksum(&prev, &f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

/// §4.3: `UnknownCriticalFrame` is step 7, after the frame's checksum
/// (step 6) and before anything of its body is interpreted (step 8).
#[test]
fn s4_3_unknown_critical_frame_after_the_checksum() {
    use koffer::read::{Class, Completeness, ErrorKind};
    let mut bytes = Header::CURRENT.to_bytes().to_vec();
    let at = bytes.len() as u64;
    // A body no reader could interpret: never looked at.
    let f = frame_bytes(&bytes, 0x05, &[0xFF, 0xFF, 0xFF]);
    bytes.extend_from_slice(&f);
    let e = Reader::new(&bytes).unwrap().verify().unwrap_err();
    assert_eq!(
        (e.kind, e.offset),
        (ErrorKind::UnknownCriticalFrame { kind: 0x05 }, at)
    );
    assert_eq!(e.kind.class(), Class::Unsupported);
    // Its checksum is checked first: damaged, it is FrameChecksum.
    let mut damaged = bytes.clone();
    damaged[at as usize + 5] ^= 1;
    damaged.extend_from_slice(&frame_bytes(&bytes, kind::END, &[1, 0, 0]));
    let e = Reader::new(&damaged).unwrap().verify().unwrap_err();
    assert_eq!((e.kind.name(), e.offset), ("FrameChecksum", at));
    // Cut short, it is a torn tail: the container is incomplete.
    let torn = &bytes[..bytes.len() - 1];
    let s = Reader::new(torn).unwrap().verify().unwrap();
    assert!(matches!(
        s.completeness,
        Completeness::Incomplete { valid_len: 18, .. }
    ));
}

/// §8: the end frame's `frames` counts the frames before it, the end frame
/// not included.
#[test]
fn s8_end_frame_counts_the_frames_before_it() {
    let mut buf = [0u8; 64];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let n = w.declare(0, "n", 1, &[0x02]).unwrap();
    w.write_payload(n, &[7]).unwrap();
    let bytes = w.finish().unwrap();
    let s = Reader::new(&bytes).unwrap().verify().unwrap();
    // Schema, block: 2 frames before the end frame (3 frames in all).
    assert_eq!(
        (s.counted.frames, s.counted.blocks, s.counted.records),
        (2, 1, 1)
    );
    assert_eq!(Reader::new(&bytes).unwrap().frames().count(), 3);
}

/// A container of one record type per (definition, payload), in order.
fn one_record_each(records: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    for (t, (def, payload)) in records.iter().enumerate() {
        let raw = w.declare(t as u8, "r", 1, def).unwrap();
        w.write_payload(raw, payload).unwrap();
    }
    w.finish().unwrap()
}

/// The error of the record of type `t` by its definition (the dynamic
/// decoder, in file offsets), and the record.
fn dynamic_error(reader: &Reader<'_>, t: u8) -> (koffer::read::Error, u64, u64) {
    let rec = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r.record_type == t)
        .unwrap();
    let def = reader.schema(t).unwrap().unwrap().definition().unwrap();
    let e = koffer::dynamic::check(def.root().unwrap(), rec.payload).unwrap_err();
    (e.in_record(&rec), rec.offset, e.file_offset(&rec))
}

/// §10.4: `PayloadTruncated` is reported at the end of the record's payload
/// (a file offset), by every decoder — by a compiled type, which cannot know
/// which value ran out, and by definition, which names it in its detail.
#[test]
fn s10_4_payload_truncated_offset() {
    use koffer::read::ErrorKind;
    // (u8, u32) with the u32's varint cut: 07 80.
    let bytes = one_record_each(&[(&[0x16, 0x02, 0x02, 0x04], &[0x07, 0x80])]);
    let reader = Reader::new(&bytes).unwrap();
    let rec = reader.records().next().unwrap().unwrap();
    let end = rec.offset + 2;
    assert_eq!(&bytes[rec.offset as usize..end as usize], [0x07, 0x80]);
    let typed = rec.decode::<(u8, u32)>().unwrap_err();
    assert_eq!(
        (typed.kind, typed.offset),
        (ErrorKind::PayloadTruncated, end)
    );
    let (by_def, _, value_at) = dynamic_error(&reader, 0);
    assert_eq!(by_def, typed);
    assert_eq!(value_at, rec.offset + 1, "the detail: the u32 that ran out");
}

/// §10.4: `PayloadInvalid` is reported at the record's first byte by every
/// decoder; a decoder by definition names the offending value in its detail.
#[test]
fn s10_4_payload_invalid_offset() {
    use koffer::read::ErrorKind;
    // (u8, bool) with the bool 02.
    let bytes = one_record_each(&[(&[0x16, 0x02, 0x02, 0x01], &[0x07, 0x02])]);
    let reader = Reader::new(&bytes).unwrap();
    let rec = reader.records().next().unwrap().unwrap();
    let typed = rec.decode::<(u8, bool)>().unwrap_err();
    assert_eq!(
        (typed.kind, typed.offset),
        (ErrorKind::PayloadInvalid, rec.offset)
    );
    let (by_def, _, value_at) = dynamic_error(&reader, 0);
    assert_eq!(by_def, typed);
    assert_eq!(value_at, rec.offset + 1, "the detail: the bool");
}

/// §10.4: `PayloadTrailingBytes` is reported at the first byte left over, by
/// every decoder.
#[test]
fn s10_4_payload_trailing_bytes_offset() {
    use koffer::read::ErrorKind;
    let bytes = one_record_each(&[(&[0x16, 0x02, 0x02, 0x01], &[0x07, 0x01, 0x09])]);
    let reader = Reader::new(&bytes).unwrap();
    let rec = reader.records().next().unwrap().unwrap();
    let typed = rec.decode::<(u8, bool)>().unwrap_err();
    assert_eq!(
        (typed.kind, typed.offset),
        (ErrorKind::PayloadTrailingBytes, rec.offset + 2)
    );
    let (by_def, _, value_at) = dynamic_error(&reader, 0);
    assert_eq!(by_def, typed);
    assert_eq!(value_at, rec.offset + 2);
}

/// `schema.md` §6: a signed integer of N bits is zigzagged on N bits, then
/// written as the varint of the unsigned type of N bits — the examples of
/// the spec's table, by postcard and by the decoder by definition (its JSON
/// text: feature `json`).
#[test]
fn schema_s6_zigzag_width_per_type() {
    use koffer::schema::Definition;
    fn check<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
        tag: u8,
        v: T,
        bytes: &str,
        json: &str,
    ) {
        let b = hex(bytes);
        assert_eq!(postcard::to_allocvec(&v).unwrap(), b, "{v:?}");
        assert_eq!(postcard::from_bytes::<T>(&b).unwrap(), v);
        let tag = [tag];
        let def = Definition::parse(&tag).unwrap();
        #[cfg(feature = "json")]
        assert_eq!(
            koffer::json::to_json(def.root().unwrap(), &b).unwrap(),
            json
        );
        #[cfg(not(feature = "json"))]
        let _ = (def, json);
    }
    check(0x08, -1i16, "01", "-1");
    check(0x08, 1i16, "02", "1");
    check(0x08, i16::MIN, "FF FF 03", "-32768");
    check(0x08, i16::MAX, "FE FF 03", "32767");
    check(0x09, -1i32, "01", "-1");
    check(0x09, i32::MIN, "FF FF FF FF 0F", "-2147483648");
    check(0x0A, -1i64, "01", "-1");
    check(
        0x0A,
        i64::MIN,
        "FF FF FF FF FF FF FF FF FF 01",
        "-9223372036854775808",
    );
    check(0x0B, -1i128, "01", "-1");
    check(
        0x0B,
        i128::MIN,
        "FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF 03",
        "-170141183460469231731687303715884105728",
    );
    // i8 is one byte, two's complement: no zigzag.
    check(0x07, -1i8, "FF", "-1");
    // Past the width: the varint of the unsigned type of N bits is out of range.
    let def = Definition::parse(&[0x08]).unwrap();
    let e = koffer::dynamic::check(def.root().unwrap(), &hex("80 80 04")).unwrap_err();
    assert_eq!(e.kind.name(), "PayloadInvalid");
}

/// §10.4: the class column of the error table, read from the spec's text,
/// is the class the crate gives every kind — and the table names every kind.
#[test]
fn s10_4_error_table_classes() {
    use koffer::end::End;
    use koffer::read::{Class, ErrorKind as K};
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/format.md")).unwrap();
    let section = &spec[spec.find("### 10.4 Errors").unwrap()..spec.find("### 10.5").unwrap()];
    let mut table = std::collections::BTreeMap::new();
    let mut definition_class = None;
    for line in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() != 6 || cells[1] == "kind" || cells[1].starts_with("---") {
            continue;
        }
        if cells[1].starts_with("the kinds of `schema.md`") {
            definition_class = Some(cells[2].to_string());
            continue;
        }
        for name in cells[1].split('`').skip(1).step_by(2) {
            assert!(
                table
                    .insert(name.to_string(), cells[2].to_string())
                    .is_none(),
                "{name} twice"
            );
        }
    }
    let words = |c: Class| match c {
        Class::NotAContainer => "not a container",
        Class::Incomplete => "incomplete",
        Class::Unsupported => "unsupported",
        Class::Corrupt => "corrupt",
        Class::Payload => "payload",
    };
    let end = End::default();
    let every = [
        K::BadSignature,
        K::HeaderTruncated,
        K::HeaderChecksum {
            stored: 0,
            computed: 1,
        },
        K::UnsupportedVersion { major: 2, minor: 0 },
        K::UnknownRequiredFeatures { bits: 1 },
        K::InvalidFrameKind { kind: 0 },
        K::UnknownCriticalFrame { kind: 5 },
        K::FrameHeadCheck {
            stored: 0,
            computed: 1,
        },
        K::FrameTooLarge { len: 1 << 21 },
        K::FrameChecksum {
            stored: 0,
            computed: 1,
        },
        K::BodyTruncated,
        K::BadVarint,
        K::TrailingBytes,
        K::BadCount { count: 0 },
        K::BadName,
        K::InvalidUtf8,
        K::InvalidValueType,
        K::BadValue { value_type: 1 },
        K::MetadataValueType {
            expected: 5,
            found: 2,
        },
        K::RecordTypeOutOfRange { value: 256 },
        K::DuplicateRecordType { record_type: 0 },
        K::UndeclaredRecordType { record_type: 0 },
        K::RecordTooLarge { len: 1 << 16 },
        K::BadWidth { width: 17 },
        K::TablePadding,
        K::LengthMismatch {
            declared: 1,
            actual: 2,
        },
        K::EndTotals {
            counted: end,
            stated: End { frames: 1, ..end },
        },
        K::DataAfterEnd,
        K::PayloadTruncated,
        K::PayloadTrailingBytes,
        K::PayloadInvalid,
    ];
    for k in every {
        let class = table
            .remove(k.name())
            .unwrap_or_else(|| panic!("{} not in §10.4", k.name()));
        assert_eq!(class, words(k.class()), "{}", k.name());
    }
    assert!(
        table.is_empty(),
        "kinds in §10.4 the crate lacks: {table:?}"
    );
    let def = K::Definition(koffer::schema::ErrorKind::TooDeep);
    assert_eq!(definition_class.as_deref(), Some(words(def.class())));
}
