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
