//! Schema and dynamic-decode vectors: one container per type of the serde data
//! model (spec `schema.md` §2), whose records carry the JSON text that spec
//! `schema.md` §9 maps them to. The expected JSON is written by hand from the
//! spec, never produced by the library under test.

use std::collections::BTreeMap;

use koffer::schema::{Field, Meta, Type, Variant, VariantData};
use serde::Serialize;
use serde_json::json;

use super::{hex, schema_json, Case};

/// A container declaring record type 0 ("value", version 1) with `def`, then
/// one record per value; each record's expectation carries its JSON text.
fn typed<T: Serialize>(
    name: &'static str,
    rule: &'static str,
    def: &[u8],
    values: &[(T, &str)],
) -> Case {
    let mut buf = [0u8; 1024];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let h = w.declare(0, "value", 1, def).unwrap();
    let mut records = Vec::new();
    for (i, (v, text)) in values.iter().enumerate() {
        w.write_serialized(h, v).unwrap();
        let payload = postcard::to_allocvec(v).unwrap();
        records
            .push(json!({ "record_type": 0, "index": i, "payload": hex(&payload), "json": text }));
    }
    let bytes = w.finish().unwrap();
    // By construction: one schema frame and one block holding every record
    // (the 1 KiB buffer holds them all), no metadata frame.
    let totals = json!({ "frames": 2, "blocks": 1, "records": values.len() });
    Case {
        name,
        rule,
        bytes,
        expect: json!({
            "outcome": "complete",
            "totals": totals,
            "metadata": [],
            "schemas": [schema_json(0, "value", 1, def)],
            "records": records,
        }),
    }
}

macro_rules! def {
    ($t:expr) => {{
        const T: Type = $t;
        koffer::definition!(&T)
    }};
}

#[derive(Serialize)]
struct Tick;

#[derive(Serialize)]
struct Meters(f32);

#[derive(Serialize)]
struct Point(i16, i16);

#[derive(Serialize)]
struct Reading {
    at_ms: u64,
    temp: i16,
    label: &'static str,
}

#[derive(Serialize)]
enum Shape {
    Empty,
    Round(i8),
    Rect(f32, char),
    Named { raw: &'static serde_bytes::Bytes },
}

const READING: Type = Type::Struct(
    "Reading",
    &[
        Field {
            name: "at_ms",
            meta: Meta {
                unit: Some("ms"),
                time: Some(""),
                description: Some("when the reading was taken"),
                ..Meta::NONE
            },
            ty: &Type::U64,
        },
        Field {
            name: "temp",
            meta: Meta {
                unit: Some("Cel"),
                scale: Some(0.01),
                offset: Some(-40.0),
                ..Meta::NONE
            },
            ty: &Type::I16,
        },
        Field {
            name: "label",
            meta: Meta::NONE,
            ty: &Type::String,
        },
    ],
);

const SHAPE: Type = Type::Enum(
    "Shape",
    &[
        Variant {
            name: "Empty",
            data: VariantData::Unit,
        },
        Variant {
            name: "Round",
            data: VariantData::Newtype(&Type::I8),
        },
        Variant {
            name: "Rect",
            data: VariantData::Tuple(&[&Type::F32, &Type::Char]),
        },
        Variant {
            name: "Named",
            data: VariantData::Struct(&[Field {
                name: "raw",
                meta: Meta::NONE,
                ty: &Type::Bytes,
            }]),
        },
    ],
);

#[derive(Serialize)]
struct Floats {
    a: f32,
    b: f64,
    n: u8,
    c: Option<f32>,
}

const FLOATS: Type = Type::Struct(
    "Floats",
    &[
        Field {
            name: "a",
            meta: Meta::NONE,
            ty: &Type::F32,
        },
        Field {
            name: "b",
            meta: Meta::NONE,
            ty: &Type::F64,
        },
        Field {
            name: "n",
            meta: Meta::NONE,
            ty: &Type::U8,
        },
        Field {
            name: "c",
            meta: Meta::NONE,
            ty: &Type::Option(&Type::F32),
        },
    ],
);

/// Records of f32 and f64 values at and around the notation thresholds of
/// `schema.md` §9 (plain when −5 ≤ e ≤ 15, the same rule for both widths).
/// Each text is written by hand from that rule; the shortest digits were
/// checked with Python's `repr` (f64) and a search for the shortest decimal
/// that reads back to the same f32.
fn float_notation() -> Vec<(Floats, &'static str)> {
    let f = |a: f32, b: f64, n: u8, c: Option<f32>| Floats { a, b, n, c };
    vec![
        (
            f(1e-5, 1e-5, 0, Some(-1e-5)),
            r#"{"a":0.00001,"b":0.00001,"n":0,"c":-0.00001}"#,
        ),
        (
            // The values just below 1e-5: e = −6.
            f(9.999999e-6, 9.999999999999999e-6, 1, Some(-9.999999e-6)),
            r#"{"a":9.999999e-6,"b":9.999999999999999e-6,"n":1,"c":-9.999999e-6}"#,
        ),
        (
            f(1e-6, 1e-6, 2, Some(-1e-6)),
            r#"{"a":1e-6,"b":1e-6,"n":2,"c":-1e-6}"#,
        ),
        (
            f(1.2345678e-5, 1.2345678901234568e-5, 3, Some(1.2345678e-6)),
            r#"{"a":0.000012345678,"b":0.000012345678901234568,"n":3,"c":1.2345678e-6}"#,
        ),
        (
            f(1e-7, 1.5e-7, 4, Some(1.5e-7)),
            r#"{"a":1e-7,"b":1.5e-7,"n":4,"c":1.5e-7}"#,
        ),
        (
            f(1e12, 1e13, 5, Some(1e13)),
            r#"{"a":1000000000000.0,"b":10000000000000.0,"n":5,"c":10000000000000.0}"#,
        ),
        (
            f(1e15, 1e15, 6, Some(-1e15)),
            r#"{"a":1000000000000000.0,"b":1000000000000000.0,"n":6,"c":-1000000000000000.0}"#,
        ),
        (
            // The values just below 1e16: e = 15.
            f(9.999999e15, 9_999_999_999_999_998.0, 7, Some(-9.999999e15)),
            r#"{"a":9999999000000000.0,"b":9999999999999998.0,"n":7,"c":-9999999000000000.0}"#,
        ),
        (
            f(1e16, 1e16, 8, Some(-1e16)),
            r#"{"a":1e+16,"b":1e+16,"n":8,"c":-1e+16}"#,
        ),
        (
            f(1.0000001e16, 1.0000000000000002e16, 9, None),
            r#"{"a":1.0000001e+16,"b":1.0000000000000002e+16,"n":9,"c":null}"#,
        ),
        (
            f(f32::MAX, f64::MAX, 10, Some(f32::MIN)),
            r#"{"a":3.4028235e+38,"b":1.7976931348623157e+308,"n":10,"c":-3.4028235e+38}"#,
        ),
        (
            // Smallest normals; the largest f32 subnormal.
            f(
                f32::MIN_POSITIVE,
                f64::MIN_POSITIVE,
                11,
                Some(f32::from_bits(0x007F_FFFF)),
            ),
            r#"{"a":1.1754944e-38,"b":2.2250738585072014e-308,"n":11,"c":1.1754942e-38}"#,
        ),
        (
            // Smallest subnormals.
            f(
                f32::from_bits(1),
                f64::from_bits(1),
                12,
                Some(-f32::from_bits(1)),
            ),
            r#"{"a":1e-45,"b":5e-324,"n":12,"c":-1e-45}"#,
        ),
        (
            // f32's largest as an f64; a tie between two shortest f32
            // candidates (522429.125) goes to the even digit.
            f(0.0, f64::from(f32::MAX), 13, Some(522_429.0 + 0.125)),
            r#"{"a":0.0,"b":3.4028234663852886e+38,"n":13,"c":522429.12}"#,
        ),
        (
            f(-0.0, -0.0, 14, Some(16_777_216.0)),
            r#"{"a":-0.0,"b":-0.0,"n":14,"c":16777216.0}"#,
        ),
    ]
}

/// Every type of the data model, in the order of spec `schema.md` §2.
pub fn all() -> Vec<Case> {
    let mut c = Vec::new();
    c.push(typed(
        "type-bool",
        "§2 bool",
        def!(Type::Bool),
        &[(true, "true"), (false, "false")],
    ));
    c.push(typed(
        "type-u8",
        "§2 u8",
        def!(Type::U8),
        &[(0u8, "0"), (255u8, "255")],
    ));
    c.push(typed(
        "type-u16",
        "§2 u16",
        def!(Type::U16),
        &[(300u16, "300"), (u16::MAX, "65535")],
    ));
    c.push(typed(
        "type-u32",
        "§2 u32",
        def!(Type::U32),
        &[(u32::MAX, "4294967295")],
    ));
    c.push(typed(
        "type-u64",
        "§2 u64: every digit, beyond 2^53",
        def!(Type::U64),
        &[
            (u64::MAX, "18446744073709551615"),
            (9_007_199_254_740_993u64, "9007199254740993"),
        ],
    ));
    c.push(typed(
        "type-u128",
        "§2 u128: a 19-byte varint",
        def!(Type::U128),
        &[(u128::MAX, "340282366920938463463374607431768211455")],
    ));
    c.push(typed(
        "type-i8",
        "§2 i8: one byte, two's complement",
        def!(Type::I8),
        &[(-128i8, "-128"), (127i8, "127")],
    ));
    c.push(typed(
        "type-i16",
        "§2 i16: zigzag",
        def!(Type::I16),
        &[(i16::MIN, "-32768"), (-1i16, "-1")],
    ));
    c.push(typed(
        "type-i32",
        "§2 i32",
        def!(Type::I32),
        &[(i32::MIN, "-2147483648")],
    ));
    c.push(typed(
        "type-i64",
        "§2 i64",
        def!(Type::I64),
        &[(i64::MIN, "-9223372036854775808")],
    ));
    c.push(typed(
        "type-i128",
        "§2 i128",
        def!(Type::I128),
        &[(i128::MIN, "-170141183460469231731687303715884105728")],
    ));
    c.push(typed(
        "type-f32",
        "§2 f32, §9 shortest round-trip decimal; NaN and infinities as strings",
        def!(Type::F32),
        &[
            (0.1f32, "0.1"),
            (-0.0f32, "-0.0"),
            (f32::NAN, "\"NaN\""),
            (f32::NEG_INFINITY, "\"-inf\""),
            (16_777_216.0f32, "16777216.0"),
        ],
    ));
    c.push(typed(
        "type-f64",
        "§2 f64",
        def!(Type::F64),
        &[
            (0.1f64, "0.1"),
            (1e300f64, "1e+300"),
            (f64::INFINITY, "\"inf\""),
            (5e-324f64, "5e-324"),
        ],
    ));
    c.push(typed(
        "type-float-notation",
        "§2 f32 and f64 in a struct; §9 one notation rule for both: plain when -5 <= e <= 15, else scientific with the exponent's sign (both thresholds, negatives, subnormals, limits, a tie)",
        def!(FLOATS),
        &float_notation(),
    ));
    c.push(typed(
        "type-char",
        "§2 char: UTF-8 with its length",
        def!(Type::Char),
        &[('é', "\"é\""), ('😀', "\"😀\"")],
    ));
    c.push(typed(
        "type-string",
        "§2 string; §9 escapes",
        def!(Type::String),
        &[
            ("grüße", "\"grüße\""),
            ("a\"b\\c\n\u{1}", "\"a\\\"b\\\\c\\n\\u0001\""),
            ("", "\"\""),
        ],
    ));
    c.push(typed(
        "type-bytes",
        "§2 bytes; §9 lowercase hex",
        def!(Type::Bytes),
        &[(serde_bytes::Bytes::new(&[0x00, 0xAB, 0xFF]), "\"00abff\"")],
    ));
    c.push(typed(
        "type-option",
        "§2 option",
        def!(Type::Option(&Type::U8)),
        &[(None::<u8>, "null"), (Some(5u8), "5")],
    ));
    c.push(typed(
        "type-option-option",
        "§9: some of an inner type that maps to null is an array",
        def!(Type::Option(&Type::Option(&Type::U8))),
        &[
            (None::<Option<u8>>, "null"),
            (Some(None::<u8>), "[null]"),
            (Some(Some(3u8)), "[3]"),
        ],
    ));
    c.push(typed(
        "type-unit",
        "§2 unit",
        def!(Type::Unit),
        &[((), "null")],
    ));
    c.push(typed(
        "type-unit-struct",
        "§2 unit struct",
        def!(Type::UnitStruct("Tick")),
        &[(Tick, "null")],
    ));
    c.push(typed(
        "type-newtype-struct",
        "§2 newtype struct",
        def!(Type::NewtypeStruct("Meters", &Type::F32)),
        &[(Meters(5.5), "5.5")],
    ));
    c.push(typed(
        "type-seq",
        "§2 sequence",
        def!(Type::Seq(&Type::U16)),
        &[(vec![1u16, 2, 300], "[1,2,300]"), (vec![], "[]")],
    ));
    c.push(typed(
        "type-tuple",
        "§2 tuple",
        def!(Type::Tuple(&[&Type::U8, &Type::String])),
        &[((1u8, "a"), "[1,\"a\"]")],
    ));
    c.push(typed(
        "type-tuple-struct",
        "§2 tuple struct",
        def!(Type::TupleStruct("Point", &[&Type::I16, &Type::I16])),
        &[(Point(-1, 2), "[-1,2]")],
    ));
    c.push(typed(
        "type-array",
        "§2 array: no count in the payload",
        def!(Type::Array(3, &Type::U8)),
        &[([1u8, 2, 3], "[1,2,3]")],
    ));
    c.push(typed(
        "type-map",
        "§2 map; §9 pairs, keys of any type",
        def!(Type::Map(&Type::U8, &Type::Bool)),
        &[(
            BTreeMap::from([(1u8, true), (2u8, false)]),
            "[[1,true],[2,false]]",
        )],
    ));
    c.push(typed(
        "type-struct",
        "§2 struct, §3 annotations: unit, description, scale, offset, time",
        def!(READING),
        &[(
            Reading {
                at_ms: 1_789_000_000_000,
                temp: 6150,
                label: "kitchen",
            },
            "{\"at_ms\":1789000000000,\"temp\":6150,\"label\":\"kitchen\"}",
        )],
    ));
    c.push(typed(
        "type-enum",
        "§2 enum with unit, newtype, tuple and struct variants",
        def!(SHAPE),
        &[
            (Shape::Empty, "\"Empty\""),
            (Shape::Round(-3), "{\"Round\":-3}"),
            (Shape::Rect(1.5, 'x'), "{\"Rect\":[1.5,\"x\"]}"),
            (
                Shape::Named {
                    raw: serde_bytes::Bytes::new(&[0xC0]),
                },
                "{\"Named\":{\"raw\":\"c0\"}}",
            ),
        ],
    ));
    c
}

/// A container whose only frame declares record type 0 "value" with `def`;
/// returns it and the offset of the definition's first byte.
fn with_definition(def: &[u8]) -> (Vec<u8>, usize) {
    let mut body = vec![0x00, 0x05];
    body.extend_from_slice(b"value");
    body.push(0x01);
    let def_in_body = body.len();
    body.extend_from_slice(def);
    let mut bytes = super::header();
    let head = koffer::frame::FrameHead::new(koffer::frame::kind::SCHEMA, body.len() as u32);
    let at = bytes.len() + head.as_bytes().len() + def_in_body;
    super::push(&mut bytes, koffer::frame::kind::SCHEMA, &body);
    (bytes, at)
}

fn reject_def(name: &'static str, rule: &'static str, def: &[u8], error: &str, at: usize) -> Case {
    let (bytes, start) = with_definition(def);
    super::reject_description(name, rule, bytes, error, start + at)
}

/// Definitions a reader must refuse (spec `schema.md` §4, §7).
pub fn rejects() -> Vec<Case> {
    let mut deep = vec![0x11u8; 100_000];
    deep.push(0x01);
    let mut scale_zero = b"\x1A\x01S\x01\x01a\x04".to_vec();
    scale_zero.extend_from_slice(&0.0f64.to_le_bytes());
    scale_zero.push(0x02);
    vec![
        reject_def(
            "reject-def-tag",
            "schema §2: tag 0x1C is reserved",
            &[0x1C],
            "BadTag",
            0,
        ),
        reject_def(
            "reject-def-tag-zero",
            "schema §2: tag 0x00 is reserved",
            &[0x11, 0x00],
            "BadTag",
            1,
        ),
        reject_def(
            "reject-def-variant-kind",
            "schema §2: variant kind 0x04 is reserved",
            b"\x1B\x01E\x01\x01A\x04",
            "BadVariantKind",
            6,
        ),
        reject_def(
            "reject-def-annotation-bits",
            "schema §3: reserved annotation bits",
            b"\x1A\x01S\x01\x01a\x20\x02",
            "BadAnnotation",
            6,
        ),
        reject_def(
            "reject-def-scale-zero",
            "schema §3: a scale is not zero",
            &scale_zero,
            "BadAnnotation",
            7,
        ),
        reject_def(
            "reject-def-too-deep",
            "schema §7: 100,000 nested options are refused at depth 33, without deep recursion",
            &deep,
            "TooDeep",
            32,
        ),
        reject_def(
            "reject-def-duplicate-field",
            "schema §4: field names are distinct",
            b"\x1A\x01S\x02\x01a\x00\x02\x01a\x00\x02",
            "DuplicateName",
            8,
        ),
        reject_def(
            "reject-def-trailing",
            "schema §4: nothing after the root type",
            &[0x01, 0x01],
            "TrailingBytes",
            1,
        ),
        reject_def(
            "reject-def-truncated",
            "schema §4: a struct cut short",
            b"\x1A\x01S\x02\x01a\x00\x02",
            "Truncated",
            8,
        ),
        reject_def(
            "reject-def-tuple-empty",
            "schema §2: a tuple has 1..=255 elements",
            &[0x16, 0x00],
            "BadCount",
            1,
        ),
        reject_def(
            "reject-def-array-long",
            "schema §7: an array holds at most 65,535 elements",
            &[0x18, 0x80, 0x80, 0x04, 0x02],
            "BadCount",
            1,
        ),
        reject_def(
            "reject-def-name-empty",
            "schema §1: names are 1..=255 bytes",
            &[0x13, 0x00],
            "BadName",
            1,
        ),
        reject_def(
            "reject-def-seq-of-unit",
            "schema §4: a sequence's elements take at least one byte (Vec<()>)",
            &[0x15, 0x12],
            "ZeroSizeElement",
            0,
        ),
        reject_def(
            "reject-def-array-of-empty-struct",
            "schema §4: an array's elements take at least one byte ([E {}; 3])",
            b"\x18\x03\x1A\x01E\x00",
            "ZeroSizeElement",
            0,
        ),
    ]
}
