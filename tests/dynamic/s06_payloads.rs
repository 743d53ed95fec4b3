//! Spec `schema.md` §6: payloads — the visitor's events in order, and every
//! reader's refusals: bad bools, option tags, chars and strings, variant
//! indexes, varints, truncated and trailing payloads; random bytes.

use std::collections::BTreeMap;

use koffer::dynamic::{self, ErrorKind, Invalid, Visitor};
use koffer::schema::{FieldRef, Type, VariantRef};
use proptest::prelude::*;

use crate::harness::*;
use crate::types::*;

#[test]
fn visitor_events_in_order() {
    #[derive(Default)]
    struct Trace(Vec<String>);
    impl<'a> Visitor<'a> for Trace {
        type Error = dynamic::Error;
        fn u8(&mut self, v: u8) -> Result<(), dynamic::Error> {
            self.0.push(format!("u8 {v}"));
            Ok(())
        }
        fn u32(&mut self, v: u32) -> Result<(), dynamic::Error> {
            self.0.push(format!("u32 {v}"));
            Ok(())
        }
        fn str(&mut self, v: &'a str) -> Result<(), dynamic::Error> {
            self.0.push(format!("str {v}"));
            Ok(())
        }
        fn none(&mut self) -> Result<(), dynamic::Error> {
            self.0.push("none".into());
            Ok(())
        }
        fn seq_begin(&mut self, len: usize) -> Result<(), dynamic::Error> {
            self.0.push(format!("seq {len}"));
            Ok(())
        }
        fn seq_end(&mut self, len: usize) -> Result<(), dynamic::Error> {
            self.0.push(format!("/seq {len}"));
            Ok(())
        }
        fn element(&mut self, index: usize) -> Result<(), dynamic::Error> {
            self.0.push(format!("#{index}"));
            Ok(())
        }
        fn field(&mut self, index: usize, field: &FieldRef<'a>) -> Result<(), dynamic::Error> {
            self.0.push(format!("field {index} {}", field.name));
            Ok(())
        }
        fn variant_begin(
            &mut self,
            name: &'a str,
            v: &VariantRef<'a>,
        ) -> Result<(), dynamic::Error> {
            self.0.push(format!("{name}::{} ({})", v.name, v.index));
            Ok(())
        }
        fn variant_end(&mut self, _: &'a str, v: &VariantRef<'a>) -> Result<(), dynamic::Error> {
            self.0.push(format!("/{}", v.name));
            Ok(())
        }
        fn map_begin(&mut self, len: usize) -> Result<(), dynamic::Error> {
            self.0.push(format!("map {len}"));
            Ok(())
        }
        fn map_key(&mut self, i: usize) -> Result<(), dynamic::Error> {
            self.0.push(format!("key {i}"));
            Ok(())
        }
        fn map_value(&mut self, i: usize) -> Result<(), dynamic::Error> {
            self.0.push(format!("value {i}"));
            Ok(())
        }
        fn map_end(&mut self, len: usize) -> Result<(), dynamic::Error> {
            self.0.push(format!("/map {len}"));
            Ok(())
        }
    }
    let ty = node!(Type::Tuple(&[
        &Type::Seq(&EV),
        &Type::Map(&Type::U8, &Type::String)
    ]));
    let mut m = BTreeMap::new();
    m.insert(5u8, "five".to_string());
    let payload =
        postcard::to_allocvec(&(vec![Ev::C(1, "c".into()), Ev::D { x: 2, y: None }], m)).unwrap();
    let mut t = Trace::default();
    dynamic::walk(ty, &payload, &mut t).unwrap();
    assert_eq!(
        t.0,
        [
            "#0",
            "seq 2",
            "#0",
            "Ev::C (2)",
            "#0",
            "u8 1",
            "#1",
            "str c",
            "/C",
            "#1",
            "Ev::D (3)",
            "field 0 x",
            "u32 2",
            "field 1 y",
            "none",
            "/D",
            "/seq 2",
            "#1",
            "map 1",
            "key 0",
            "u8 5",
            "value 0",
            "str five",
            "/map 1",
        ]
    );

    // A visitor's own error stops the walk and comes back as is.
    #[derive(Debug, PartialEq)]
    enum Stop {
        Here,
        Payload(dynamic::Error),
    }
    impl From<dynamic::Error> for Stop {
        fn from(e: dynamic::Error) -> Self {
            Stop::Payload(e)
        }
    }
    struct StopAtStr;
    impl<'a> Visitor<'a> for StopAtStr {
        type Error = Stop;
        fn str(&mut self, _: &'a str) -> Result<(), Stop> {
            Err(Stop::Here)
        }
    }
    assert_eq!(dynamic::walk(ty, &payload, &mut StopAtStr), Err(Stop::Here));
    assert!(matches!(
        dynamic::walk(ty, &payload[..3], &mut StopAtStr),
        Err(Stop::Payload(_))
    ));
}

#[test]
fn refuses_bad_bools_options_chars_and_strings() {
    refused(
        node!(Type::Bool),
        &[2],
        0,
        invalid(Invalid::Bool { byte: 2 }),
    );
    refused(
        node!(Type::Bool),
        &[0xFF],
        0,
        invalid(Invalid::Bool { byte: 0xFF }),
    );
    refused(
        node!(Type::Option(&Type::U8)),
        &[2, 0],
        0,
        invalid(Invalid::OptionTag { byte: 2 }),
    );
    refused(
        node!(Type::Tuple(&[&Type::U8, &Type::Option(&Type::Unit)])),
        &[9, 0x80],
        1,
        invalid(Invalid::OptionTag { byte: 0x80 }),
    );
    let char_ty = node!(Type::Char);
    for bad in [
        &[0x00][..],                           // no bytes
        &[0x05, b'a', b'b', b'c', b'd', b'e'], // five bytes
        &[0x01, 0xFF],                         // not UTF-8
        &[0x02, b'a', b'b'],                   // two chars
        &[0x03, 0xED, 0xA0, 0x80],             // a surrogate
        &[0x02, 0xC3, 0x41],                   // a cut-off sequence
        &[0x80, 0x01],                         // a length of 128
    ] {
        let e = dynamic::check(char_ty, bad).unwrap_err();
        assert_eq!(
            e,
            dynamic::Error {
                offset: 0,
                kind: invalid(Invalid::Char)
            },
            "{bad:02X?}"
        );
    }
    refused(char_ty, &[0x02, 0xC3, 0x41], 0, invalid(Invalid::Char));
    refused(char_ty, &[0x02, 0xC3], 0, ErrorKind::PayloadTruncated);
    refused(char_ty, &[0x04, 0xF0, 0x9F], 0, ErrorKind::PayloadTruncated);
    let s = node!(Type::String);
    refused(s, &[3, b'a', 0xFF, b'b'], 2, invalid(Invalid::Utf8));
    refused(s, &[2, 0xC3, 0x28], 1, invalid(Invalid::Utf8));
    refused(s, &[3, 0xED, 0xA0, 0x80], 1, invalid(Invalid::Utf8));
    refused(s, &[3, b'a'], 0, ErrorKind::PayloadTruncated);
    // Bytes take anything.
    check_payload(node!(Type::Bytes), &[3, 0xFF, 0xC3, 0x00]);
    refused(
        node!(Type::Bytes),
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1],
        0,
        ErrorKind::PayloadTruncated,
    );
}

#[test]
fn refuses_variant_indexes_out_of_range() {
    let ty = node!(EV);
    refused(
        ty,
        &[7],
        0,
        invalid(Invalid::VariantIndex { index: 7, count: 7 }),
    );
    refused(
        ty,
        &[0x80, 0x01],
        0,
        invalid(Invalid::VariantIndex {
            index: 128,
            count: 7,
        }),
    );
    refused(
        ty,
        &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
        0,
        invalid(Invalid::VariantIndex {
            index: u32::MAX,
            count: 7,
        }),
    );
    // Past u32: the varint itself is out of range.
    refused(
        ty,
        &[0xFF, 0xFF, 0xFF, 0xFF, 0x1F],
        0,
        invalid(Invalid::VarintOutOfRange),
    );
    refused(ty, &[0x80, 0x00], 0, invalid(Invalid::VarintNonCanonical));
    check_payload(ty, &[6]);
}

#[test]
fn refuses_non_canonical_and_out_of_range_varints() {
    let nc = invalid(Invalid::VarintNonCanonical);
    let oor = invalid(Invalid::VarintOutOfRange);
    let trunc = ErrorKind::PayloadTruncated;
    let u16_ty = node!(Type::U16);
    refused(u16_ty, &[0x80, 0x00], 0, nc);
    refused(u16_ty, &[0x81, 0x80, 0x00], 0, nc);
    check_payload(u16_ty, &[0xFF, 0xFF, 0x03]);
    refused(u16_ty, &[0x80, 0x80, 0x04], 0, oor); // 65 536
    refused(u16_ty, &[0xFF, 0xFF, 0x7F], 0, oor);
    refused(u16_ty, &[0x80, 0x80, 0x80, 0x01], 0, oor); // four bytes
    refused(u16_ty, &[0x80, 0x80], 0, trunc);
    let u32_ty = node!(Type::U32);
    check_payload(u32_ty, &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
    refused(u32_ty, &[0xFF, 0xFF, 0xFF, 0xFF, 0x10], 0, oor);
    refused(u32_ty, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 0, oor);
    refused(u32_ty, &[0x80, 0x80, 0x80, 0x80, 0x00], 0, nc);
    let u64_ty = node!(Type::U64);
    let mut max = [0xFFu8; 10];
    max[9] = 0x01;
    check_payload(u64_ty, &max);
    max[9] = 0x02;
    refused(u64_ty, &max, 0, oor);
    refused(u64_ty, &[0xFF; 11], 0, oor);
    refused(u64_ty, &[0xFF; 9], 0, trunc);
    let u128_ty = node!(Type::U128);
    let mut max = [0xFFu8; 19];
    max[18] = 0x03;
    check_payload(u128_ty, &max);
    max[18] = 0x04;
    refused(u128_ty, &max, 0, oor);
    max[18] = 0x00;
    refused(u128_ty, &max[..18], 0, trunc);
    refused(u128_ty, &max, 0, nc);
    refused(u128_ty, &[0x80; 20], 0, oor);
    // Zigzag: the varint must fit the unsigned width.
    let i16_ty = node!(Type::I16);
    check_payload(i16_ty, &[0xFF, 0xFF, 0x03]); // i16::MIN
    refused(i16_ty, &[0x80, 0x80, 0x04], 0, oor);
    let i128_ty = node!(Type::I128);
    let mut min = [0xFFu8; 19];
    min[18] = 0x03;
    check_payload(i128_ty, &min);
    // u8 and i8 are single bytes: 0x80 is 128 (or -128), not a varint.
    assert_eq!(check_payload(node!(Type::U8), &[0x80]), "128");
    assert_eq!(check_payload(node!(Type::I8), &[0x80]), "-128");
    // Inside a struct, the offset names the varint.
    refused(node!(INTS), &[1, 0x80, 0x00], 1, nc);
}

#[test]
fn truncated_and_trailing() {
    refused(node!(Type::F64), &[0; 7], 0, ErrorKind::PayloadTruncated);
    refused(
        node!(Type::Tuple(&[&Type::U8, &Type::F32])),
        &[1, 0, 0],
        1,
        ErrorKind::PayloadTruncated,
    );
    refused(node!(Type::U8), &[], 0, ErrorKind::PayloadTruncated);
    refused(node!(Type::U8), &[1, 2], 1, ErrorKind::PayloadTrailingBytes);
    refused(node!(Type::Unit), &[0], 0, ErrorKind::PayloadTrailingBytes);
    refused(node!(EV), &[1], 1, ErrorKind::PayloadTruncated);
    // Each error has a message.
    let e = dynamic::check(node!(Type::Seq(&Type::U8)), &[0x80, 0x80, 0x04, 0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "at payload byte 0: invalid payload: element count 65536 over its limit 1"
    );
    assert_eq!(e.kind.name(), "PayloadInvalid");
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn prop_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..48), which in 0usize..8) {
        let ty = match which {
            0 => node!(INTS),
            1 => node!(FLOATS),
            2 => node!(TEXT),
            3 => node!(EV),
            4 => node!(OPTIONS),
            5 => node!(COLLS),
            6 => node!(Type::Seq(&EV)),
            _ => node!(Type::Map(&Type::Option(&Type::I16), &Type::Seq(&Type::Char))),
        };
        prop_bytes(ty, &bytes)?;
    }
}
