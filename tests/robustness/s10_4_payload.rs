//! Spec `format.md` §10.4 (payload errors) and §7: typed decoding of a
//! payload fails with the rule broken and its offset; the container stays
//! complete.

use koffer::read::{Class, Error, ErrorKind, Reader, Record};
use koffer::write::Writer;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
enum Three {
    A,
    B(u8),
    C { x: u16 },
}

#[derive(Debug, Deserialize, PartialEq)]
struct Note<'a> {
    at: u32,
    text: &'a str,
}

#[test]
fn payload_decode_failures_name_the_rule_and_the_offset() {
    let payloads: [&[u8]; 16] = [
        b"",                         // 0: u32 from nothing
        b"\x80",                     // 1: u32 varint cut short
        b"\x01\x02",                 // 2: u8 with a byte left over
        b"\x02",                     // 3: bool 2
        b"\x01\xFF",                 // 4: char, not UTF-8
        b"\x03\xED\xA0\x80",         // 5: char, a surrogate
        b"\x02ab",                   // 6: char, two characters
        b"\x02\xC3\x28",             // 7: String, not UTF-8
        b"\x05",                     // 8: enum variant 5 of 3
        b"\x02",                     // 9: Option tag 2
        b"\xFF\xFF\xFF\xFF\x10",     // 10: u32 varint overflow
        b"\x0Aab",                   // 11: String of 10 bytes, 2 present
        b"\xFF\xFF\xFF\xFF\x0F\x01", // 12: Vec<u8> of 2^32 - 1 elements, 1 present
        b"\x07\x05hi",               // 13: Note with a 5-byte text, 2 present
        b"\x07\x02\xFF\xFE",         // 14: Note, text not UTF-8
        b"\x01\x03",                 // 15: Three::B(3) — valid, for contrast
    ];
    let mut buf = [0u8; 256];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "raw", 1, &[]).unwrap();
    for p in payloads {
        w.write_payload(h_0, p).unwrap();
    }
    let bytes = w.finish().unwrap();
    let reader = Reader::new(&bytes).unwrap();
    // Payload errors are about the record type, not the container.
    assert!(reader.verify().unwrap().is_complete());
    let recs: Vec<Record<'_>> = reader.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), payloads.len());
    let kind_at = |e: Error, r: &Record<'_>| (e.kind, e.offset - r.offset);
    use ErrorKind::{PayloadInvalid, PayloadTrailingBytes, PayloadTruncated};
    assert_eq!(
        kind_at(recs[0].decode::<u32>().unwrap_err(), &recs[0]),
        (PayloadTruncated, 0)
    );
    assert_eq!(
        kind_at(recs[1].decode::<u32>().unwrap_err(), &recs[1]),
        (PayloadTruncated, 1)
    );
    assert_eq!(
        kind_at(recs[2].decode::<u8>().unwrap_err(), &recs[2]),
        (PayloadTrailingBytes, 1)
    );
    assert_eq!(recs[3].decode::<bool>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[4].decode::<char>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[5].decode::<char>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[6].decode::<char>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[7].decode::<String>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[7].decode::<&str>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[8].decode::<Three>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(
        recs[9].decode::<Option<u8>>().unwrap_err().kind,
        PayloadInvalid
    );
    assert_eq!(recs[10].decode::<u32>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(
        recs[11].decode::<String>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[11].decode::<&str>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[12].decode::<Vec<u8>>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[13].decode::<Note<'_>>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[14].decode::<Note<'_>>().unwrap_err().kind,
        PayloadInvalid
    );
    assert_eq!(recs[15].decode::<Three>().unwrap(), Three::B(3));
    // Right bytes, wrong type: the same record as u8 has a byte left over.
    assert_eq!(
        kind_at(recs[15].decode::<u8>().unwrap_err(), &recs[15]),
        (PayloadTrailingBytes, 1)
    );
    for k in [PayloadInvalid, PayloadTruncated, PayloadTrailingBytes] {
        assert_eq!(k.class(), Class::Payload);
    }
}

/// A record type of one `u32`, for the decoders below.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Count(u32);

impl koffer::schema::Describe for Count {
    const TYPE: &'static koffer::schema::Type =
        &koffer::schema::Type::NewtypeStruct("Count", <u32 as koffer::schema::Describe>::TYPE);
}

impl koffer::schema::RecordType for Count {
    const NAME: &'static str = "count";
    const VERSION: u32 = 1;
    const DEFINITION: &'static [u8] =
        koffer::definition!(<Count as koffer::schema::Describe>::TYPE);
}

#[test]
fn decoding_a_block_at_a_time_stops_at_the_first_payload_error_with_its_offset() {
    let mut buf = [0u8; 256];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let other = w.declare(0, "other", 1, &[]).unwrap();
    let counts = w.declare_type::<Count>(1).unwrap();
    w.write_payload(other, &[9, 9]).unwrap();
    for n in [1, 200, 3] {
        w.write(counts, &Count(n)).unwrap();
    }
    w.write_payload(counts.raw(), b"\x80").unwrap(); // a varint cut short
    w.write(counts, &Count(5)).unwrap();
    let bytes = w.finish().unwrap();

    let reader = Reader::new(&bytes).unwrap();
    let decoder = reader.decoder::<Count>().unwrap();
    // Record at a time: the values, then the error of the fifth record.
    let mut expected = Vec::new();
    let mut expected_err = None;
    for rec in reader.records() {
        match decoder.decode(&rec.unwrap()) {
            Ok(Some(c)) => expected.push(c),
            Ok(None) => {}
            Err(e) => {
                expected_err = Some(e);
                break;
            }
        }
    }
    let expected_err = expected_err.expect("the cut varint fails");
    assert_eq!(expected_err.kind, ErrorKind::PayloadTruncated);
    assert_eq!(expected, [Count(1), Count(200), Count(3)]);

    // A block at a time: the same values and the same error.
    let mut seen = Vec::new();
    let mut err = None;
    for block in reader.blocks() {
        let block = block.unwrap();
        if let Err(e) = decoder.decode_each(&block, |c| seen.push(c)) {
            err = Some(e);
            break;
        }
    }
    assert_eq!(seen, expected);
    assert_eq!(err, Some(expected_err));
}

#[test]
fn a_blocks_records_are_those_records_hands_out() {
    let mut buf = [0u8; 32];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let a = w.declare(0, "a", 1, &[]).unwrap();
    let b = w.declare(7, "b", 1, &[]).unwrap();
    for i in 0..40u32 {
        if i % 7 == 3 {
            w.write_serialized(b, &(i, "x")).unwrap();
        } else {
            w.write_serialized(a, &(i * 1000)).unwrap();
        }
    }
    let bytes = w.finish().unwrap();
    let reader = Reader::new(&bytes).unwrap();
    let all: Vec<Record<'_>> = reader.records().map(Result::unwrap).collect();
    let mut from_blocks = Vec::new();
    let mut blocks = reader.blocks();
    for block in &mut blocks {
        let block = block.unwrap();
        assert_eq!(block.first_index(), from_blocks.len() as u64);
        assert_eq!(block.records().len(), block.len());
        for rec in block.records() {
            assert_eq!(rec.record_type, block.record_type());
            from_blocks.push(rec);
        }
    }
    assert_eq!(from_blocks, all);
    assert_eq!(blocks.finish(), reader.records().finish());
}
