//! Spec `schema.md` §4: canonical form and checks — definitions with
//! zero-size elements are refused; random definitions never make a reader
//! panic.

use koffer::schema::{self, Definition, Type, VariantData};
use proptest::prelude::*;

use crate::harness::*;
use crate::types::*;

#[test]
fn zero_size_elements_are_refused_with_the_definition() {
    // Sequences, arrays and maps whose elements take no payload bytes would let
    // a few bytes (or none) stand for billions of values: their definitions
    // are refused (spec `schema.md` §4), at the tag of the sequence, array or
    // map, and `koffer::definition!` does not build them.
    let mut huge = [0x18, 0xFF, 0xFF, 0x03].repeat(3); // [[[(); 65535]; 65535]; 65535]
    huge.push(0x12);
    let cases: &[(&[u8], usize)] = &[
        (&[0x15, 0x12], 0),                     // Vec<()>
        (&[0x15, 0x15, 0x12], 1),               // Vec<Vec<()>>
        (b"\x15\x13\x04Unit", 0),               // Vec<Unit>
        (b"\x15\x14\x04Wrap\x12", 0),           // Vec<Wrap>
        (b"\x15\x16\x02\x12\x13\x04Unit", 0),   // Vec<((), Unit)>
        (b"\x15\x1A\x01E\x00", 0),              // Vec<E {}>
        (&[0x18, 0xFF, 0xFF, 0x03, 0x12], 0),   // [(); 65535]
        (&huge, 8),                             // the innermost array first
        (b"\x18\x02\x1A\x01E\x00", 0),          // [E {}; 2]
        (&[0x19, 0x12, 0x12], 0),               // BTreeMap<(), ()>
        (b"\x19\x12\x13\x04Unit", 0),           // BTreeMap<(), Unit>
        (b"\x11\x15\x12", 1),                   // Option<Vec<()>>
        (b"\x1A\x01S\x01\x01u\x00\x15\x12", 7), // S { u: Vec<()> }
    ];
    for &(bytes, offset) in cases {
        assert_eq!(
            Definition::parse(bytes),
            Err(schema::Error {
                offset,
                kind: schema::ErrorKind::ZeroSizeElement
            }),
            "{bytes:02X?}"
        );
    }
    // Their neighbours whose elements take a byte are fine, and so are
    // zero-size types that are not elements.
    for ty in [
        node!(Type::Seq(&Type::Option(&Type::Unit))),
        node!(Type::Seq(&Type::Tuple(&[&Type::Unit, &UNIT, &Type::U8]))),
        node!(Type::Array(
            65_535,
            &Type::Enum("E", &[var("A", VariantData::Unit)])
        )),
        node!(Type::Map(&Type::Unit, &Type::U8)),
        node!(Type::Map(&Type::U8, &WRAP)),
        node!(Type::Tuple(&[
            &Type::Unit,
            &UNIT,
            &WRAP,
            &Type::Struct("E", &[])
        ])),
    ] {
        assert!(Definition::parse(ty.bytes()).is_ok());
    }
}

proptest! {
    #![proptest_config(config(2048))]

    /// Random definitions (whatever `Definition::parse` accepts) and random
    /// payloads: never a panic.
    #[test]
    fn prop_random_definitions(def in random_definition(), bytes in prop::collection::vec(any::<u8>(), 0..32)) {
        if let Ok(d) = Definition::parse(&def) {
            if let Some(ty) = d.root() {
                prop_bytes(ty, &bytes)?;
            }
        }
    }
}

/// Definition bytes that are mostly valid: tags, small counts and lengths,
/// short names.
fn random_definition() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => (0x01u8..=0x1B).prop_map(|t| vec![t]),
        2 => (1u8..4).prop_map(|n| vec![n]),
        2 => (b'a'..=b'd').prop_map(|c| vec![1, c]),
        1 => Just(vec![0x00]),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(token, 1..24).prop_map(|parts| parts.concat())
}
