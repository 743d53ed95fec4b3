//! Spec `schema.md` §2: every data-model type at its extremes, through every
//! path — walk, check and skip (§6), `Value`, and JSON written and read
//! back (§9).

use std::collections::BTreeMap;

use koffer::dynamic;
use koffer::json;
use koffer::schema::{Type, Variant, VariantData};
use koffer::value::{Value, VariantValue};
use proptest::prelude::*;
use serde_bytes::ByteBuf;

use crate::harness::*;
use crate::types::*;

#[test]
fn integers_at_their_extremes() {
    let ty = node!(INTS);
    let max = Ints {
        a: u8::MAX,
        b: u16::MAX,
        c: u32::MAX,
        d: u64::MAX,
        e: u128::MAX,
        f: i8::MAX,
        g: i16::MAX,
        h: i32::MAX,
        i: i64::MAX,
        j: i128::MAX,
    };
    let min = Ints {
        a: 0,
        b: 0,
        c: 0,
        d: 0,
        e: 0,
        f: i8::MIN,
        g: i16::MIN,
        h: i32::MIN,
        i: i64::MIN,
        j: i128::MIN,
    };
    assert_eq!(
        check_value(ty, &max),
        r#"{"a":255,"b":65535,"c":4294967295,"d":18446744073709551615,"e":340282366920938463463374607431768211455,"f":127,"g":32767,"h":2147483647,"i":9223372036854775807,"j":170141183460469231731687303715884105727}"#
    );
    assert_eq!(
        check_value(ty, &min),
        r#"{"a":0,"b":0,"c":0,"d":0,"e":0,"f":-128,"g":-32768,"h":-2147483648,"i":-9223372036854775808,"j":-170141183460469231731687303715884105728}"#
    );
    // u128::MAX takes 19 bytes, i128::MIN (zigzag u128::MAX) too.
    assert_eq!(postcard::to_allocvec(&u128::MAX).unwrap().len(), 19);
    let ones = Ints {
        a: 1,
        b: 128,
        c: 1 << 21,
        d: 1 << 63,
        e: 1 << 126,
        f: -1,
        g: -129,
        h: 1 << 30,
        i: -(1 << 62),
        j: -(1 << 100),
    };
    check_value(ty, &ones);
    let v = Value::decode(ty, &postcard::to_allocvec(&ones).unwrap()).unwrap();
    let Value::Struct { name, fields } = v else {
        panic!()
    };
    assert_eq!(name, "Ints");
    assert_eq!(fields[1], ("b".into(), Value::U16(128)));
    assert_eq!(fields[4], ("e".into(), Value::U128(1 << 126)));
    assert_eq!(fields[9], ("j".into(), Value::I128(-(1 << 100))));
}

#[test]
fn floats_shortest_and_special() {
    let ty = node!(FLOATS);
    let cases: &[(f32, f64, &str)] = &[
        (0.1, 0.1, r#"{"x":0.1,"y":0.1}"#),
        (1.0, -2.5, r#"{"x":1.0,"y":-2.5}"#),
        (-0.0, -0.0, r#"{"x":-0.0,"y":-0.0}"#),
        (0.0, 0.0, r#"{"x":0.0,"y":0.0}"#),
        (f32::NAN, f64::NAN, r#"{"x":"NaN","y":"NaN"}"#),
        (
            f32::INFINITY,
            f64::NEG_INFINITY,
            r#"{"x":"inf","y":"-inf"}"#,
        ),
        (
            f32::from_bits(0x7FC0_0001),
            f64::from_bits(0xFFF8_0000_0000_0000),
            r#"{"x":"nan:0x7fc00001","y":"nan:0xfff8000000000000"}"#,
        ),
        // A signalling NaN keeps its bits too.
        (
            f32::from_bits(0x7F80_0001),
            f64::from_bits(0x7FF0_0000_0000_0001),
            r#"{"x":"nan:0x7f800001","y":"nan:0x7ff0000000000001"}"#,
        ),
        // Smallest subnormals.
        (
            f32::from_bits(1),
            f64::from_bits(1),
            r#"{"x":1e-45,"y":5e-324}"#,
        ),
        (
            f32::MAX,
            f64::MAX,
            r#"{"x":3.4028235e+38,"y":1.7976931348623157e+308}"#,
        ),
        (
            f32::MIN_POSITIVE,
            f64::MIN_POSITIVE,
            r#"{"x":1.1754944e-38,"y":2.2250738585072014e-308}"#,
        ),
        (
            16_777_216.0,
            9_007_199_254_740_993.0,
            r#"{"x":16777216.0,"y":9007199254740992.0}"#,
        ),
        (1e-7, 1e21, r#"{"x":1e-7,"y":1e+21}"#),
    ];
    for &(x, y, expected) in cases {
        let json = check_value(ty, &Floats { x, y });
        assert_eq!(json, expected);
        // The bits come back exactly, through Value and through JSON.
        let payload = postcard::to_allocvec(&Floats { x, y }).unwrap();
        let Value::Struct { fields, .. } = Value::decode(ty, &payload).unwrap() else {
            panic!()
        };
        let (Value::F32(x2), Value::F64(y2)) = (&fields[0].1, &fields[1].1) else {
            panic!()
        };
        assert_eq!((x2.to_bits(), y2.to_bits()), (x.to_bits(), y.to_bits()));
    }
    // Every subnormal and boundary f32 exponent, and their neighbours.
    for e in 0u32..=0xFF {
        for m in [0u32, 1, 2, 0x40_0000, 0x7F_FFFF] {
            for sign in [0, 1u32 << 31] {
                let x = f32::from_bits(sign | e << 23 | m);
                check_value(ty, &Floats { x, y: f64::from(x) });
            }
        }
    }
}

#[test]
fn chars_strings_and_bytes() {
    let ty = node!(TEXT);
    let t = Text {
        c: '😀',
        s: "a\"b\\c\n\u{1}\u{1F}é\t/\u{7F}\u{2028}".into(),
        b: ByteBuf::from(vec![0xDE, 0xAD, 0x00, 0x0F]),
    };
    assert_eq!(
        check_value(ty, &t),
        "{\"c\":\"😀\",\"s\":\"a\\\"b\\\\c\\n\\u0001\\u001fé\\t/\u{7F}\u{2028}\",\"b\":\"dead000f\"}"
    );
    for c in [
        '\0',
        'a',
        '"',
        '\\',
        '\u{1F}',
        'é',
        '€',
        '\u{FFFF}',
        '\u{10000}',
        '😀',
        char::MAX,
    ] {
        check_value(
            ty,
            &Text {
                c,
                s: String::new(),
                b: ByteBuf::new(),
            },
        );
    }
    let every_byte = Text {
        c: 'x',
        s: (0u8..128).map(char::from).collect(),
        b: ByteBuf::from((0u8..=255).collect::<Vec<_>>()),
    };
    check_value(ty, &every_byte);
    // A long string: its length takes two varint bytes.
    check_value(
        ty,
        &Text {
            c: 'x',
            s: "é".repeat(300),
            b: ByteBuf::from(vec![1; 200]),
        },
    );
}

#[test]
fn options_nested_and_around_null_types() {
    let ty = node!(OPTIONS);
    let cases: &[(Options, &str)] = &[
        (
            (None, None, None, None, None, None),
            "[null,null,null,null,null,null]",
        ),
        (
            (
                Some(None),
                Some(()),
                Some(Unit),
                Some(Wrap(())),
                Some(None),
                Some(String::new()),
            ),
            r#"[[null],[null],[null],[null],[null],""]"#,
        ),
        (
            (
                Some(Some(7)),
                None,
                None,
                None,
                Some(Some(None)),
                Some("null".into()),
            ),
            r#"[[7],null,null,null,[[null]],"null"]"#,
        ),
        (
            (None, None, None, None, Some(Some(Some(true))), None),
            "[null,null,null,null,[[true]],null]",
        ),
    ];
    for (v, expected) in cases {
        assert_eq!(check_value(ty, v), *expected);
    }
    // Roots that map to null, and zero-size roots (empty payloads).
    assert_eq!(
        check_value(node!(Type::Option(&Type::Unit)), &Some(())),
        "[null]"
    );
    assert_eq!(
        check_value(node!(Type::Option(&Type::Unit)), &None::<()>),
        "null"
    );
    assert_eq!(check_value(node!(Type::Unit), &()), "null");
    assert_eq!(check_value(node!(UNIT), &Unit), "null");
    assert_eq!(check_value(node!(WRAP), &Wrap(())), "null");
    assert_eq!(
        check_value(
            node!(Type::Array(3, &Type::Option(&Type::Unit))),
            &[Some(()), None, Some(())]
        ),
        "[[null],null,[null]]"
    );
    assert_eq!(check_value(node!(Type::Struct("E", &[])), &()), "{}");
    assert_eq!(
        check_value(
            node!(Type::Tuple(&[&Type::Unit, &UNIT, &WRAP])),
            &((), Unit, Wrap(()))
        ),
        "[null,null,null]"
    );
    // A newtype around an option maps to null, so some of it is wrapped.
    const NT_OPT: Type = Type::NewtypeStruct("N", &Type::Option(&Type::U8));
    assert_eq!(
        check_value(node!(Type::Option(&NT_OPT)), &Some(None::<u8>)),
        "[null]"
    );
    assert_eq!(
        check_value(node!(Type::Option(&NT_OPT)), &Some(Some(1u8))),
        "[1]"
    );
}

#[test]
fn enums_of_every_variant_kind() {
    let ty = node!(EV);
    let cases: &[(Ev, &str)] = &[
        (Ev::A, r#""A""#),
        (Ev::B(-1), r#"{"B":-1}"#),
        (Ev::C(1, "x".into()), r#"{"C":[1,"x"]}"#),
        (Ev::D { x: 1, y: None }, r#"{"D":{"x":1,"y":null}}"#),
        (
            Ev::D {
                x: u32::MAX,
                y: Some(0),
            },
            r#"{"D":{"x":4294967295,"y":0}}"#,
        ),
        (Ev::E(()), r#"{"E":null}"#),
        (Ev::F(None), r#"{"F":null}"#),
        (Ev::F(Some(())), r#"{"F":[null]}"#),
        (Ev::G(Unit), r#"{"G":null}"#),
    ];
    for (v, expected) in cases {
        assert_eq!(check_value(ty, v), *expected, "{v:?}");
    }
    let payload = postcard::to_allocvec(&Ev::C(9, "nine".into())).unwrap();
    assert_eq!(
        Value::decode(ty, &payload).unwrap(),
        Value::Enum {
            name: "Ev".into(),
            variant: "C".into(),
            index: 2,
            data: VariantValue::Tuple(vec![Value::U8(9), Value::String("nine".into())]),
        }
    );
    // An enum with 200 variants: indexes take two varint bytes.
    let many: &'static [Variant] = Box::leak(
        (0..200)
            .map(|i| {
                var(
                    Box::leak(format!("V{i}").into_boxed_str()),
                    VariantData::Newtype(&Type::U8),
                )
            })
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let bytes = encode_def(&Type::Enum("Many", many));
    let ty = def(Box::leak(bytes.into_boxed_slice()));
    for i in [0u32, 127, 128, 199] {
        let mut payload = Vec::new();
        koffer_varint(&mut payload, u64::from(i));
        payload.push(5);
        assert_eq!(check_payload(ty, &payload), format!("{{\"V{i}\":5}}"));
    }
}

#[test]
fn collections_tuples_arrays_and_maps() {
    let ty = node!(COLLS);
    let mut map = BTreeMap::new();
    map.insert((1, -1), "a".to_string());
    map.insert((255, 127), "b\"".to_string());
    let mut by_name = BTreeMap::new();
    by_name.insert("k".to_string(), vec![1, 2]);
    let mut opt_keys = BTreeMap::new();
    opt_keys.insert(None, ());
    opt_keys.insert(Some(3), ());
    let c = Colls {
        v: vec![0, 1, u32::MAX],
        units: vec![None, Some(()), None],
        nested: vec![vec![], vec![1, 2]],
        arr: [1, 300, u16::MAX],
        unit_arr: [(Unit, 1), (Unit, 2)],
        grid: [[-1, 2], [3, -4]],
        tup: (7, true, 'z'),
        map,
        by_name,
        opt_keys,
        pair: Pair(-5, "p".into()),
        meters: Meters(1.5),
        unit: (),
        unit_s: Unit,
        wrap: Wrap(()),
    };
    assert_eq!(
        check_value(ty, &c),
        concat!(
            r#"{"v":[0,1,4294967295],"units":[null,[null],null],"nested":[[],[1,2]],"arr":[1,300,65535],"#,
            r#""unit_arr":[[null,1],[null,2]],"grid":[[-1,2],[3,-4]],"tup":[7,true,"z"],"#,
            r#""map":[[[1,-1],"a"],[[255,127],"b\""]],"by_name":[["k",[1,2]]],"opt_keys":[[null,null],[3,null]],"#,
            r#""pair":[-5,"p"],"meters":1.5,"unit":null,"unit_s":null,"wrap":null}"#
        )
    );
    let empty = Colls {
        v: vec![],
        units: vec![],
        nested: vec![],
        arr: [0; 3],
        unit_arr: [(Unit, 0), (Unit, 0)],
        grid: [[0; 2]; 2],
        tup: (0, false, '\0'),
        map: BTreeMap::new(),
        by_name: BTreeMap::new(),
        opt_keys: BTreeMap::new(),
        pair: Pair(0, String::new()),
        meters: Meters(0.0),
        unit: (),
        unit_s: Unit,
        wrap: Wrap(()),
    };
    check_value(ty, &empty);
    // Long sequences, with two- and three-byte counts.
    let mut big = empty.clone();
    big.units = vec![Some(()); 70_000];
    big.v = (0..1000).collect();
    let payload = postcard::to_allocvec(&big).unwrap();
    dynamic::check(ty, &payload).unwrap();
    let value = Value::decode(ty, &payload).unwrap();
    assert_eq!(value.to_payload(ty).unwrap(), payload);
    let text = json::to_json(ty, &payload).unwrap();
    assert_eq!(json::from_json(ty, &text).unwrap(), payload);
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn prop_ints(v in any::<Ints>()) {
        prop_value(node!(INTS), &v)?;
    }

    #[test]
    fn prop_floats(v in any::<Floats>()) {
        prop_value(node!(FLOATS), &v)?;
    }

    #[test]
    fn prop_text(v in any::<Text>()) {
        prop_value(node!(TEXT), &v)?;
    }

    #[test]
    fn prop_enum(v in any::<Ev>()) {
        prop_value(node!(EV), &v)?;
    }

    #[test]
    fn prop_options(v in any::<Options>()) {
        prop_value(node!(OPTIONS), &v)?;
    }
}

// ---------------------------------------------------------------------------
// Helpers for definitions built at run time
// ---------------------------------------------------------------------------

fn koffer_varint(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; koffer::varint::MAX_LEN_U64];
    out.extend_from_slice(koffer::varint::encode_u64(v, &mut buf));
}

/// A definition for the few run-time types the tests build (no annotations).
fn encode_def(ty: &Type) -> Vec<u8> {
    fn name(out: &mut Vec<u8>, s: &str) {
        koffer_varint(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    fn ty_into(out: &mut Vec<u8>, ty: &Type) {
        match ty {
            Type::U8 => out.push(0x02),
            Type::Enum(n, variants) => {
                out.push(0x1B);
                name(out, n);
                koffer_varint(out, variants.len() as u64);
                for v in *variants {
                    name(out, v.name);
                    match v.data {
                        VariantData::Unit => out.push(0),
                        VariantData::Newtype(t) => {
                            out.push(1);
                            ty_into(out, t);
                        }
                        _ => unimplemented!(),
                    }
                }
            }
            _ => unimplemented!(),
        }
    }
    let mut out = Vec::new();
    ty_into(&mut out, ty);
    out
}
