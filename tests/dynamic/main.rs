//! Dynamic decoding (`koffer::dynamic`), owned values (`koffer::value`) and
//! the JSON mapping (`koffer::json`), against postcard's own encoding of
//! serde types described by hand-written definitions (spec `schema.md`
//! §2, §4, §6, §7, §9). Every definition built with `node!` goes through
//! `koffer::definition!`, so it also compiles under the compile-time checks.
//!
//! Run with `cargo test -p koffer --features std --test dynamic`.
#![cfg(feature = "json")]

use std::collections::BTreeMap;
use std::fmt::Debug;

use koffer::dynamic::{self, ErrorKind, Invalid, Visitor};
use koffer::json;
use koffer::schema::{
    self, Definition, Field, FieldRef, Meta, Node, Type, Variant, VariantData, VariantRef,
};
use koffer::value::{self, Value, VariantValue};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use proptest_derive::Arbitrary;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

// ---------------------------------------------------------------------------
// Types and their hand-written definitions
// ---------------------------------------------------------------------------

const fn f(name: &'static str, ty: &'static Type) -> Field {
    Field {
        name,
        meta: Meta::NONE,
        ty,
    }
}

const fn var(name: &'static str, data: VariantData) -> Variant {
    Variant { name, data }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Ints {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: u128,
    f: i8,
    g: i16,
    h: i32,
    i: i64,
    j: i128,
}

const INTS: Type = Type::Struct(
    "Ints",
    &[
        f("a", &Type::U8),
        f("b", &Type::U16),
        f("c", &Type::U32),
        f("d", &Type::U64),
        f("e", &Type::U128),
        f("f", &Type::I8),
        f("g", &Type::I16),
        f("h", &Type::I32),
        f("i", &Type::I64),
        f("j", &Type::I128),
    ],
);

#[derive(Debug, Clone, Serialize, Deserialize, Arbitrary)]
struct Floats {
    #[proptest(strategy = "any::<u32>().prop_map(f32::from_bits)")]
    x: f32,
    #[proptest(strategy = "any::<u64>().prop_map(f64::from_bits)")]
    y: f64,
}

const FLOATS: Type = Type::Struct("Floats", &[f("x", &Type::F32), f("y", &Type::F64)]);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Text {
    c: char,
    s: String,
    #[proptest(strategy = "any::<Vec<u8>>().prop_map(ByteBuf::from)")]
    b: ByteBuf,
}

const TEXT: Type = Type::Struct(
    "Text",
    &[
        f("c", &Type::Char),
        f("s", &Type::String),
        f("b", &Type::Bytes),
    ],
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Unit;
const UNIT: Type = Type::UnitStruct("Unit");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Wrap(());
const WRAP: Type = Type::NewtypeStruct("Wrap", &Type::Unit);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Meters(f64);
const METERS: Type = Type::NewtypeStruct("Meters", &Type::F64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Pair(i32, String);
const PAIR: Type = Type::TupleStruct("Pair", &[&Type::I32, &Type::String]);

type Options = (
    Option<Option<u8>>,
    Option<()>,
    Option<Unit>,
    Option<Wrap>,
    Option<Option<Option<bool>>>,
    Option<String>,
);

const OPTIONS: Type = Type::Tuple(&[
    &Type::Option(&Type::Option(&Type::U8)),
    &Type::Option(&Type::Unit),
    &Type::Option(&UNIT),
    &Type::Option(&WRAP),
    &Type::Option(&Type::Option(&Type::Option(&Type::Bool))),
    &Type::Option(&Type::String),
]);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
enum Ev {
    A,
    B(i16),
    C(u8, String),
    D { x: u32, y: Option<u8> },
    E(()),
    F(Option<()>),
    G(Unit),
}

const EV: Type = Type::Enum(
    "Ev",
    &[
        var("A", VariantData::Unit),
        var("B", VariantData::Newtype(&Type::I16)),
        var("C", VariantData::Tuple(&[&Type::U8, &Type::String])),
        var(
            "D",
            VariantData::Struct(&[f("x", &Type::U32), f("y", &Type::Option(&Type::U8))]),
        ),
        var("E", VariantData::Newtype(&Type::Unit)),
        var("F", VariantData::Newtype(&Type::Option(&Type::Unit))),
        var("G", VariantData::Newtype(&UNIT)),
    ],
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Colls {
    #[proptest(strategy = "prop::collection::vec(any::<u32>(), 0..8)")]
    v: Vec<u32>,
    #[proptest(strategy = "prop::collection::vec(any::<Option<()>>(), 0..300)")]
    units: Vec<Option<()>>,
    #[proptest(strategy = "prop::collection::vec(prop::collection::vec(any::<u8>(), 0..4), 0..4)")]
    nested: Vec<Vec<u8>>,
    arr: [u16; 3],
    unit_arr: [(Unit, u8); 2],
    grid: [[i8; 2]; 2],
    tup: (u8, bool, char),
    #[proptest(strategy = "prop::collection::btree_map(any::<(u8, i8)>(), any::<String>(), 0..4)")]
    map: BTreeMap<(u8, i8), String>,
    #[proptest(strategy = "prop::collection::btree_map(any::<String>(), any::<Vec<u8>>(), 0..3)")]
    by_name: BTreeMap<String, Vec<u8>>,
    #[proptest(strategy = "prop::collection::btree_map(any::<Option<u8>>(), any::<()>(), 0..3)")]
    opt_keys: BTreeMap<Option<u8>, ()>,
    pair: Pair,
    meters: Meters,
    unit: (),
    unit_s: Unit,
    wrap: Wrap,
}

const COLLS: Type = Type::Struct(
    "Colls",
    &[
        f("v", &Type::Seq(&Type::U32)),
        f("units", &Type::Seq(&Type::Option(&Type::Unit))),
        f("nested", &Type::Seq(&Type::Seq(&Type::U8))),
        f("arr", &Type::Array(3, &Type::U16)),
        f(
            "unit_arr",
            &Type::Array(2, &Type::Tuple(&[&UNIT, &Type::U8])),
        ),
        f("grid", &Type::Array(2, &Type::Array(2, &Type::I8))),
        f("tup", &Type::Tuple(&[&Type::U8, &Type::Bool, &Type::Char])),
        f(
            "map",
            &Type::Map(&Type::Tuple(&[&Type::U8, &Type::I8]), &Type::String),
        ),
        f("by_name", &Type::Map(&Type::String, &Type::Seq(&Type::U8))),
        f(
            "opt_keys",
            &Type::Map(&Type::Option(&Type::U8), &Type::Unit),
        ),
        f("pair", &PAIR),
        f("meters", &METERS),
        f("unit", &Type::Unit),
        f("unit_s", &UNIT),
        f("wrap", &WRAP),
    ],
);

/// A record with annotated fields, nesting the other types.
#[derive(Debug, Clone, Serialize, Deserialize, Arbitrary)]
struct Log {
    at_ms: u64,
    #[proptest(strategy = "prop::collection::vec(any::<Ev>(), 0..6)")]
    events: Vec<Ev>,
    temp: i16,
    colls: Option<Colls>,
    floats: Floats,
    text: Text,
    ints: Ints,
}

const LOG: Type = Type::Struct(
    "Log",
    &[
        Field {
            name: "at_ms",
            meta: Meta {
                unit: Some("ms"),
                time: Some(""),
                ..Meta::NONE
            },
            ty: &Type::U64,
        },
        f("events", &Type::Seq(&EV)),
        Field {
            name: "temp",
            meta: Meta {
                unit: Some("Cel"),
                description: Some("skin temperature"),
                scale: Some(0.01),
                offset: Some(-40.0),
                time: None,
            },
            ty: &Type::I16,
        },
        f("colls", &Type::Option(&COLLS)),
        f("floats", &FLOATS),
        f("text", &TEXT),
        f("ints", &INTS),
    ],
);

fn def(bytes: &'static [u8]) -> Node<'static> {
    Definition::parse(bytes).unwrap().root().unwrap()
}

macro_rules! node {
    ($ty:expr) => {{
        const T: Type = $ty;
        def(koffer::definition!(&T))
    }};
}

// ---------------------------------------------------------------------------
// The harness: every way through, for one value
// ---------------------------------------------------------------------------

/// A visitor that counts values and checks that begin/end events nest.
#[derive(Default)]
struct Balance {
    depth: i64,
    max_depth: i64,
    leaves: usize,
}

impl Balance {
    fn open(&mut self) -> Result<(), dynamic::Error> {
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
        Ok(())
    }
    fn close(&mut self) -> Result<(), dynamic::Error> {
        self.depth -= 1;
        assert!(self.depth >= 0, "unbalanced end event");
        Ok(())
    }
    fn leaf(&mut self) -> Result<(), dynamic::Error> {
        self.leaves += 1;
        Ok(())
    }
}

impl<'a> Visitor<'a> for Balance {
    type Error = dynamic::Error;
    fn bool(&mut self, _: bool) -> Result<(), dynamic::Error> {
        self.leaf()
    }
    fn u8(&mut self, _: u8) -> Result<(), dynamic::Error> {
        self.leaf()
    }
    fn str(&mut self, _: &'a str) -> Result<(), dynamic::Error> {
        self.leaf()
    }
    fn some_begin(&mut self, _: Node<'a>) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn some_end(&mut self, _: Node<'a>) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn newtype_begin(&mut self, _: &'a str) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn newtype_end(&mut self, _: &'a str) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn seq_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn seq_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn tuple_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn tuple_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn tuple_struct_begin(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn tuple_struct_end(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn array_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn array_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn map_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn map_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn struct_begin(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn struct_end(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn variant_begin(&mut self, _: &'a str, _: &VariantRef<'a>) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn variant_end(&mut self, _: &'a str, _: &VariantRef<'a>) -> Result<(), dynamic::Error> {
        self.close()
    }
}

/// Checks every path for one valid payload of `ty`; returns its JSON.
#[track_caller]
fn check_payload(ty: Node<'_>, payload: &[u8]) -> String {
    // Walk, check, skip.
    let mut b = Balance::default();
    dynamic::walk(ty, payload, &mut b).unwrap_or_else(|e| panic!("walk {payload:02X?}: {e}"));
    assert_eq!(b.depth, 0);
    assert!(b.max_depth <= 32);
    dynamic::check(ty, payload).unwrap();
    assert_eq!(dynamic::skip(ty, payload), Ok(payload.len()));
    let mut longer = payload.to_vec();
    longer.extend_from_slice(&[0x00, 0xFF]);
    assert_eq!(dynamic::skip(ty, &longer), Ok(payload.len()));
    let trailing = dynamic::check(ty, &longer).unwrap_err();
    assert_eq!(
        trailing,
        dynamic::Error {
            offset: payload.len(),
            kind: ErrorKind::PayloadTrailingBytes
        }
    );

    // Value: decode, then encode to the same bytes.
    let value = Value::decode(ty, payload).unwrap();
    let mut again = vec![0xAA];
    value.encode(ty, &mut again).unwrap();
    assert_eq!(&again[1..], payload, "value {value:?}");
    assert_eq!(again[0], 0xAA);

    // JSON: valid JSON, written the same three ways, read back to the same bytes.
    let text = json::to_json(ty, payload).unwrap();
    serde_json::from_str::<serde_json::Value>(&text)
        .unwrap_or_else(|e| panic!("not JSON: {e}: {text}"));
    let mut io_out = Vec::new();
    json::write_json(ty, payload, &mut io_out).unwrap();
    assert_eq!(io_out, text.as_bytes());
    let mut appended = b"x".to_vec();
    json::append_json(ty, payload, &mut appended).unwrap();
    assert_eq!(&appended[1..], text.as_bytes());
    let back = json::from_json(ty, &text).unwrap_or_else(|e| panic!("from_json {text}: {e}"));
    assert_eq!(back, payload, "JSON {text}");
    let mut into = vec![7u8];
    json::from_json_into(ty, &text, &mut into).unwrap();
    assert_eq!(&into[1..], payload);

    // Every proper prefix is refused (postcard encodings are prefix-free), by
    // every reader, and without touching an output buffer.
    // (Long payloads: a sample of the cuts, and the last few.)
    let step = (payload.len() / 128).max(1);
    let cuts = (0..payload.len())
        .step_by(step)
        .chain(payload.len().saturating_sub(8)..payload.len());
    for cut in cuts {
        let short = &payload[..cut];
        let e = dynamic::check(ty, short).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::PayloadTruncated | ErrorKind::PayloadInvalid(Invalid::Count { .. })
            ),
            "cut {cut}: {e:?}"
        );
        assert!(e.offset <= cut);
        assert_eq!(dynamic::walk(ty, short, &mut Balance::default()), Err(e));
        assert_eq!(Value::decode(ty, short), Err(e));
        let mut buf = b"keep".to_vec();
        assert_eq!(json::append_json(ty, short, &mut buf), Err(e));
        assert_eq!(buf, b"keep");
    }
    text
}

/// Serializes `value` with postcard and checks every path for it.
#[track_caller]
fn check_value<T: Serialize + Debug>(ty: Node<'_>, value: &T) -> String {
    let payload = postcard::to_allocvec(value).unwrap();
    check_payload(ty, &payload)
}

// ---------------------------------------------------------------------------
// Every data-model type, at its extremes
// ---------------------------------------------------------------------------

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

#[test]
fn nested_annotated_record() {
    let ty = node!(LOG);
    let log = Log {
        at_ms: 1_700_000_000_000,
        events: vec![Ev::A, Ev::D { x: 3, y: Some(4) }, Ev::F(Some(()))],
        temp: -1234,
        colls: None,
        floats: Floats { x: 0.5, y: 1e-300 },
        text: Text {
            c: 'k',
            s: "ok".into(),
            b: ByteBuf::from(vec![0xFF]),
        },
        ints: Ints {
            a: 1,
            b: 2,
            c: 3,
            d: 4,
            e: 5,
            f: -6,
            g: -7,
            h: -8,
            i: -9,
            j: -10,
        },
    };
    assert_eq!(
        check_value(ty, &log),
        concat!(
            r#"{"at_ms":1700000000000,"events":["A",{"D":{"x":3,"y":4}},{"F":[null]}],"temp":-1234,"colls":null,"#,
            r#""floats":{"x":0.5,"y":1e-300},"text":{"c":"k","s":"ok","b":"ff"},"#,
            r#""ints":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":-6,"g":-7,"h":-8,"i":-9,"j":-10}}"#
        )
    );

    // The visitor sees each field's annotations.
    struct Annotated(Vec<String>);
    impl<'a> Visitor<'a> for Annotated {
        type Error = dynamic::Error;
        fn field(&mut self, _: usize, field: &FieldRef<'a>) -> Result<(), dynamic::Error> {
            let a = field.annotations;
            if a.unit.is_some() || a.scale.is_some() {
                self.0.push(format!(
                    "{}:{:?}:{:?}:{:?}:{:?}:{:?}",
                    field.name, a.unit, a.description, a.scale, a.offset, a.time
                ));
            }
            Ok(())
        }
    }
    let payload = postcard::to_allocvec(&log).unwrap();
    let mut a = Annotated(Vec::new());
    dynamic::walk(ty, &payload, &mut a).unwrap();
    assert_eq!(
        a.0,
        [
            r#"at_ms:Some("ms"):None:None:None:Some("")"#,
            r#"temp:Some("Cel"):Some("skin temperature"):Some(0.01):Some(-40.0):None"#
        ]
    );
}

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

// ---------------------------------------------------------------------------
// Refusals (spec `schema.md` §6)
// ---------------------------------------------------------------------------

#[track_caller]
fn refused(ty: Node<'_>, payload: &[u8], offset: usize, kind: ErrorKind) {
    let e = dynamic::Error { offset, kind };
    assert_eq!(
        dynamic::check(ty, payload),
        Err(e),
        "payload {payload:02X?}"
    );
    assert_eq!(dynamic::walk(ty, payload, &mut Balance::default()), Err(e));
    assert_eq!(Value::decode(ty, payload), Err(e));
    assert_eq!(json::to_json(ty, payload), Err(e));
    assert!(matches!(
        json::write_json(ty, payload, &mut Vec::new()),
        Err(json::Error::Payload(x)) if x == e
    ));
}

fn invalid(why: Invalid) -> ErrorKind {
    ErrorKind::PayloadInvalid(why)
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

#[test]
fn refuses_counts_over_the_limit_before_looping() {
    // Vec<u8> with a count of u32::MAX: refused at once, not looped.
    let bytes = node!(Type::Seq(&Type::U8));
    refused(
        bytes,
        &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
        0,
        invalid(Invalid::Count {
            count: u64::from(u32::MAX),
            limit: 0,
        }),
    );
    let mut max = [0xFF; 10];
    max[9] = 0x01;
    refused(
        bytes,
        &max,
        0,
        invalid(Invalid::Count {
            count: u64::MAX,
            limit: 0,
        }),
    );
    // A count larger than the bytes left.
    refused(
        bytes,
        &[5, 1, 2],
        0,
        invalid(Invalid::Count { count: 5, limit: 2 }),
    );
    check_payload(bytes, &[2, 1, 2]);
    // Elements with units inside take a byte each, and so are counted
    // against the bytes left too.
    let opts = node!(Type::Seq(&Type::Option(&Type::Unit)));
    let mut p = vec![0x80, 0x80, 0x04];
    p.extend_from_slice(&[0; 10]);
    refused(
        opts,
        &p,
        0,
        invalid(Invalid::Count {
            count: 65_536,
            limit: 10,
        }),
    );
    assert_eq!(check_payload(opts, &[3, 0, 1, 0]), "[null,[null],null]");
    let tuples = node!(Type::Seq(&Type::Tuple(&[&Type::Unit, &UNIT, &Type::Bool])));
    assert_eq!(check_payload(tuples, &[1, 1]), "[[null,null,true]]");
    refused(
        tuples,
        &[2, 1],
        0,
        invalid(Invalid::Count { count: 2, limit: 1 }),
    );
    // Nested sequences: each count is checked against the bytes left where
    // it stands. 64 KiB of Vec<Vec<u8>> holds at most 64 Ki inner vectors.
    let nested = node!(Type::Seq(&Type::Seq(&Type::U8)));
    refused(
        nested,
        &[2, 0xFF, 0xFF, 0x03, 0],
        1,
        invalid(Invalid::Count {
            count: 65_535,
            limit: 1,
        }),
    );
    let mut p = vec![0xFD, 0xFF, 0x03]; // 65,533 empty vectors
    p.resize(65_536, 0);
    let json = check_payload(nested, &p);
    assert_eq!(json.len(), 2 + 65_533 * 3 - 1);
    // The limit is the bytes left, not the bytes needed: a count within the
    // bytes left whose elements run out is truncated.
    let floats = node!(Type::Seq(&Type::F32));
    refused(floats, &[2, 0, 0, 0, 0], 5, ErrorKind::PayloadTruncated);
    refused(
        floats,
        &[5, 0, 0, 0, 0],
        0,
        invalid(Invalid::Count { count: 5, limit: 4 }),
    );
    let map = node!(Type::Map(&Type::U8, &Type::Unit));
    refused(
        map,
        &[3, 1, 2],
        0,
        invalid(Invalid::Count { count: 3, limit: 2 }),
    );
    check_payload(map, &[2, 1, 2]);
    // Arrays need no count check: their elements take a byte each, so a
    // long array of a short payload is truncated after as many elements as
    // the payload has bytes. [[[u8; 65535]; 65535]; 65535] describes 2.8e14
    // values; an empty payload, or 1000 bytes, are refused at once.
    let huge = node!(Type::Array(
        65_535,
        &Type::Array(65_535, &Type::Array(65_535, &Type::U8))
    ));
    refused(huge, &[], 0, ErrorKind::PayloadTruncated);
    refused(huge, &[7; 1000], 1000, ErrorKind::PayloadTruncated);
    let units = node!(Type::Array(2, &Type::Tuple(&[&Type::Unit, &Type::I8])));
    assert_eq!(check_payload(units, &[1, 0xFF]), "[[null,1],[null,-1]]");
    refused(units, &[1], 1, ErrorKind::PayloadTruncated);
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

// ---------------------------------------------------------------------------
// Values that do not fit their type
// ---------------------------------------------------------------------------

#[test]
fn encode_refuses_values_that_do_not_fit() {
    let ty = node!(INTS);
    let payload = postcard::to_allocvec(&Ints {
        a: 1,
        b: 2,
        c: 3,
        d: 4,
        e: 5,
        f: 6,
        g: 7,
        h: 8,
        i: 9,
        j: 10,
    })
    .unwrap();
    let good = Value::decode(ty, &payload).unwrap();
    let Value::Struct { name, mut fields } = good.clone() else {
        panic!()
    };
    let mut out = vec![1, 2, 3];

    let mut wrong = fields.clone();
    wrong[2].1 = Value::U16(3);
    let e = Value::Struct {
        name: name.clone(),
        fields: wrong,
    }
    .encode(ty, &mut out)
    .unwrap_err();
    assert_eq!(e.path, ".c");
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "u32",
            found: "u16"
        }
    );
    assert_eq!(out, [1, 2, 3], "output left as it was");
    assert_eq!(
        e.to_string(),
        "value does not fit its type at .c: expected u32, found u16"
    );

    let mut renamed = fields.clone();
    renamed[0].0 = "z".into();
    let e = Value::Struct {
        name: name.clone(),
        fields: renamed,
    }
    .to_payload(ty)
    .unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.kind),
        (
            ".z",
            value::ErrorKind::Name {
                expected: "a".into(),
                found: "z".into()
            }
        )
    );

    fields.pop();
    let e = Value::Struct {
        name: name.clone(),
        fields,
    }
    .to_payload(ty)
    .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::Length {
            expected: 10,
            found: 9
        }
    );
    let e = Value::Struct {
        name: "Other".into(),
        fields: vec![],
    }
    .to_payload(ty)
    .unwrap_err();
    assert!(matches!(e.kind, value::ErrorKind::Name { .. }));

    // Enums: index and name must agree, and the data must be of the variant's kind.
    let ev = node!(EV);
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "A".into(),
        index: 9,
        data: VariantValue::Unit,
    }
    .to_payload(ev)
    .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::VariantIndex { index: 9, count: 7 }
    );
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "B".into(),
        index: 0,
        data: VariantValue::Unit,
    }
    .to_payload(ev)
    .unwrap_err();
    assert!(matches!(e.kind, value::ErrorKind::Name { .. }));
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "B".into(),
        index: 1,
        data: VariantValue::Unit,
    }
    .to_payload(ev)
    .unwrap_err();
    assert_eq!(e.path, "::B");
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "newtype variant",
            found: "unit variant"
        }
    );
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "D".into(),
        index: 3,
        data: VariantValue::Struct(vec![
            ("x".into(), Value::U32(1)),
            ("y".into(), Value::U8(1)),
        ]),
    }
    .to_payload(ev)
    .unwrap_err();
    assert_eq!(e.path, "::D.y");
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "option",
            found: "u8"
        }
    );

    // Sequences and maps: deep paths; no count limit (every element takes a
    // byte, so the count never exceeds the bytes left).
    let colls = node!(Type::Seq(&Type::Map(&Type::U8, &Type::String)));
    let v = Value::Seq(vec![
        Value::Map(vec![]),
        Value::Map(vec![(Value::U8(1), Value::Bool(true))]),
    ]);
    let e = v.to_payload(colls).unwrap_err();
    assert_eq!(e.path, "[1][0].value");
    let opts = node!(Type::Seq(&Type::Option(&Type::Unit)));
    let long = Value::Seq(vec![Value::Option(None); 70_000])
        .to_payload(opts)
        .unwrap();
    assert_eq!(long.len(), 3 + 70_000);
    dynamic::check(opts, &long).unwrap();
    let arr = node!(Type::Array(2, &Type::U8));
    let e = Value::Array(vec![Value::U8(1)])
        .to_payload(arr)
        .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::Length {
            expected: 2,
            found: 1
        }
    );
    let e = Value::Seq(vec![Value::U8(1), Value::U8(2)])
        .to_payload(arr)
        .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "array",
            found: "sequence"
        }
    );
    assert_eq!(good.to_payload(ty).unwrap(), payload);
}

// ---------------------------------------------------------------------------
// JSON import: what it accepts beyond the writer's own output, and refusals
// ---------------------------------------------------------------------------

#[track_caller]
fn json_err(ty: Node<'_>, text: &str) -> (usize, json::ErrorKind) {
    match json::from_json(ty, text) {
        Err(json::Error::Json { offset, kind }) => (offset, kind),
        other => panic!("{text}: expected a JSON error, got {other:?}"),
    }
}

#[test]
fn json_import_accepts_whitespace_escapes_and_any_key_order() {
    let ty = node!(LOG);
    let log = Log {
        at_ms: 5,
        events: vec![Ev::B(3), Ev::A, Ev::C(0, "é\"".into())],
        temp: 0,
        colls: Some(Colls {
            v: vec![1],
            units: vec![Some(())],
            nested: vec![vec![9]],
            arr: [1, 2, 3],
            unit_arr: [(Unit, 7), (Unit, 8)],
            grid: [[1, 2], [3, 4]],
            tup: (1, false, '\u{1F600}'),
            map: [((1, 2), "x".to_string())].into_iter().collect(),
            by_name: [("a".to_string(), vec![1u8])].into_iter().collect(),
            opt_keys: [(Some(1), ())].into_iter().collect(),
            pair: Pair(1, "q".into()),
            meters: Meters(0.25),
            unit: (),
            unit_s: Unit,
            wrap: Wrap(()),
        }),
        floats: Floats { x: 0.3, y: 1e100 },
        text: Text {
            c: '\n',
            s: "tab\there".into(),
            b: ByteBuf::from(vec![0xAB]),
        },
        ints: Ints {
            a: 1,
            b: 2,
            c: 3,
            d: 4,
            e: 5,
            f: 6,
            g: 7,
            h: 8,
            i: 9,
            j: 10,
        },
    };
    let payload = postcard::to_allocvec(&log).unwrap();
    let text = check_payload(ty, &payload);
    // serde_json sorts object keys and pretty-prints: keys out of order,
    // whitespace everywhere.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&text).unwrap())
            .unwrap();
    assert_ne!(pretty, text);
    assert_eq!(json::from_json(ty, &pretty).unwrap(), payload);
    // Escapes the writer does not use, surrogate pairs, uppercase hex.
    let ty = node!(TEXT);
    let expected = postcard::to_allocvec(&Text {
        c: '😀',
        s: "é/😀\u{8}".into(),
        b: ByteBuf::from(vec![0xAB, 0xCD]),
    })
    .unwrap();
    assert_eq!(
        json::from_json(
            ty,
            r#" { "b" : "AbCD", "c":"\ud83d\ude00" , "s":"\u00e9\/\uD83D\uDE00\b" } "#
        )
        .unwrap(),
        expected
    );
    // Negative zero for integers, exponents and fractions for floats.
    assert_eq!(json::from_json(node!(Type::I32), "-0").unwrap(), [0]);
    assert_eq!(
        json::from_json(node!(Type::F32), "1E0").unwrap(),
        1f32.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F32), "100e-2").unwrap(),
        1f32.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F64), "7").unwrap(),
        7f64.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F32), "1e-50").unwrap(),
        0f32.to_le_bytes()
    );
    // NaN bits of any length, the canonical NaN spelled out.
    assert_eq!(
        json::from_json(node!(Type::F32), r#""nan:0x7FC00000""#).unwrap(),
        f32::NAN.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F64), r#""nan:0x7ff8000000000001""#).unwrap(),
        0x7FF8_0000_0000_0001u64.to_le_bytes()
    );
}

#[test]
fn json_import_refusals() {
    use json::ErrorKind as K;
    let u8_ty = node!(Type::U8);
    assert_eq!(json_err(u8_ty, "256"), (0, K::OutOfRange));
    assert_eq!(json_err(u8_ty, "-1"), (0, K::OutOfRange));
    assert_eq!(
        json_err(u8_ty, " 1.0"),
        (1, K::Expected("an integer (no fraction, no exponent)"))
    );
    assert_eq!(
        json_err(u8_ty, "1e2"),
        (0, K::Expected("an integer (no fraction, no exponent)"))
    );
    assert_eq!(json_err(u8_ty, "\"1\""), (0, K::Expected("an integer")));
    // A leading zero is malformed JSON (serde_json says so at the second digit).
    assert_eq!(json_err(u8_ty, "01"), (1, K::Syntax("a valid number")));
    assert_eq!(json_err(u8_ty, "1 2"), (2, K::TrailingCharacters));
    assert_eq!(
        json_err(node!(Type::U128), "340282366920938463463374607431768211456"),
        (0, K::OutOfRange)
    );
    assert_eq!(
        json_err(
            node!(Type::I128),
            "-170141183460469231731687303715884105729"
        ),
        (0, K::OutOfRange)
    );
    assert_eq!(
        json_err(node!(Type::I128), "170141183460469231731687303715884105728"),
        (0, K::OutOfRange)
    );
    assert_eq!(json_err(node!(Type::I8), "-129"), (0, K::OutOfRange));
    assert_eq!(
        json_err(
            node!(Type::U16),
            "99999999999999999999999999999999999999999999"
        ),
        (0, K::OutOfRange)
    );
    let f32_ty = node!(Type::F32);
    assert_eq!(json_err(f32_ty, "1e39"), (0, K::OutOfRange));
    assert!(matches!(
        json_err(f32_ty, "\"nan:0x3f800000\"").1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(f32_ty, "\"nan:0x7fc000001\"").1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(f32_ty, "\"nan:0x+7fc0000\"").1,
        K::Expected(_)
    ));
    assert!(matches!(json_err(f32_ty, "\"Infinity\"").1, K::Expected(_)));
    assert!(matches!(json_err(f32_ty, "NaN").1, K::Expected(_)));
    assert!(matches!(json_err(f32_ty, "1.").1, K::Syntax(_)));
    assert!(matches!(json_err(f32_ty, ".5").1, K::Expected(_)));
    assert!(matches!(
        json_err(node!(Type::Bool), "True").1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(node!(Type::Char), r#""ab""#).1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(node!(Type::Char), r#""""#).1,
        K::Expected(_)
    ));
    let s = node!(Type::String);
    assert!(matches!(json_err(s, "\"a\nb\"").1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""\ud800""#).1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""\udc00x""#).1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""\x""#).1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""abc"#).1, K::Syntax(_)));
    let b = node!(Type::Bytes);
    assert!(matches!(json_err(b, r#""abc""#).1, K::Expected(_)));
    assert!(matches!(json_err(b, r#""zz""#).1, K::Expected(_)));
    let opt = node!(Type::Option(&Type::Unit));
    assert!(matches!(json_err(opt, "[]").1, K::Expected(_)));
    assert!(matches!(json_err(opt, "[null,null]").1, K::Syntax(_)));
    let tup = node!(Type::Tuple(&[&Type::U8, &Type::U8]));
    assert_eq!(
        json_err(tup, "[1]"),
        (
            0,
            K::Length {
                expected: 2,
                found: 1
            }
        )
    );
    assert_eq!(
        json_err(tup, "[]"),
        (
            0,
            K::Length {
                expected: 2,
                found: 0
            }
        )
    );
    assert_eq!(
        json_err(tup, "[1,2,3,[4]]"),
        (
            0,
            K::Length {
                expected: 2,
                found: 4
            }
        )
    );
    assert!(matches!(json_err(tup, "[1,2").1, K::Syntax(_)));
    // A long array of nulls is just a long sequence of options.
    let opts = node!(Type::Seq(&Type::Option(&Type::Unit)));
    let many = format!("[{}null]", "null,".repeat(69_999));
    let long = json::from_json(opts, &many).unwrap();
    assert_eq!(long.len(), 3 + 70_000);
    dynamic::check(opts, &long).unwrap();
    let ty = node!(TEXT);
    assert_eq!(
        json_err(ty, r#"{"c":"x","s":"","b":"","d":1}"#).1,
        K::UnknownField("d".into())
    );
    assert_eq!(
        json_err(ty, r#"{"c":"x","s":"","c":"y","b":""}"#).1,
        K::DuplicateField("c".into())
    );
    assert_eq!(
        json_err(ty, r#"{"c":"x","b":""}"#),
        (0, K::MissingField("s".into()))
    );
    assert!(matches!(
        json_err(ty, r#"{"c":"x","s":"","b":"",}"#).1,
        K::Syntax(_)
    ));
    assert!(matches!(json_err(ty, r#"["x","",""]"#).1, K::Expected(_)));
    let ev = node!(EV);
    assert_eq!(json_err(ev, r#""Z""#), (0, K::UnknownVariant("Z".into())));
    assert!(matches!(json_err(ev, r#"{"A":null}"#).1, K::Expected(_)));
    assert!(matches!(json_err(ev, r#""B""#).1, K::Expected(_)));
    assert!(matches!(
        json_err(ev, r#"{"B":1,"C":[1,""]}"#).1,
        K::Syntax(_)
    ));
    assert!(matches!(json_err(ev, "3").1, K::Expected(_)));
    let map = node!(Type::Map(&Type::U8, &Type::U8));
    assert!(matches!(json_err(map, "[[1,2,3]]").1, K::Syntax(_)));
    assert!(matches!(json_err(map, "{\"1\":2}").1, K::Expected(_)));
    // Deep nesting in a skipped value (keys out of order) needs no recursion.
    let deep = format!(
        r#"{{"s":"","b":"","x":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(json_err(ty, &deep).1, K::UnknownField("x".into()));
    // An array where a string must be is refused where it opens, before
    // its (unterminated) nesting is read.
    let deep = format!(r#"{{"s":{}"#, "[".repeat(100_000));
    assert_eq!(json_err(ty, &deep), (5, K::Expected("a string")));
    // Excess elements are skipped without recursion, however deep; an
    // unterminated one is malformed JSON.
    let deep = format!("[1,2,{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        json_err(tup, &deep),
        (
            0,
            K::Length {
                expected: 2,
                found: 3
            }
        )
    );
    let deep = format!("[1,2,{}", "[".repeat(100_000));
    assert!(matches!(json_err(tup, &deep).1, K::Syntax(_)));
    // Errors have messages.
    let e = json::from_json(u8_ty, "300").unwrap_err();
    assert_eq!(
        e.to_string(),
        "at JSON byte 0: number out of range for its type"
    );
    // A failed import leaves the output as it was.
    let mut out = vec![1, 2];
    assert!(json::from_json_into(node!(Type::Seq(&Type::U8)), "[1,2,300]", &mut out).is_err());
    assert_eq!(out, [1, 2]);
}

#[test]
fn json_import_exact_numbers_and_fault_offsets() {
    use json::ErrorKind as K;
    // Integers keep every digit, beyond 64 bits too.
    let u128_ty = node!(Type::U128);
    let i128_ty = node!(Type::I128);
    for v in [
        0,
        1,
        u128::from(u64::MAX),
        u128::from(u64::MAX) + 1,
        u128::MAX,
    ] {
        let payload = postcard::to_allocvec(&v).unwrap();
        assert_eq!(json::from_json(u128_ty, &v.to_string()).unwrap(), payload);
    }
    for v in [i128::MIN, i128::from(i64::MIN) - 1, -1, 0, i128::MAX] {
        let payload = postcard::to_allocvec(&v).unwrap();
        assert_eq!(json::from_json(i128_ty, &v.to_string()).unwrap(), payload);
    }
    assert_eq!(json::from_json(node!(Type::U8), "-0").unwrap(), [0]);
    assert_eq!(
        json::from_json(node!(Type::I64), "-9223372036854775808").unwrap(),
        postcard::to_allocvec(&i64::MIN).unwrap()
    );
    assert_eq!(
        json_err(node!(Type::I64), "-9223372036854775809"),
        (0, K::OutOfRange)
    );
    assert_eq!(
        json_err(node!(Type::U64), " 18446744073709551616"),
        (1, K::OutOfRange)
    );
    // An f32 is read from its text as an f32. 1 + 2^-24 + 2^-60 is just
    // above halfway between 1 and the next f32: through an f64 it would
    // round to the halfway point first, then to even, 1.0.
    let text = "1.000000059604644776257986737988403547205962240695953369140625";
    assert_eq!((text.parse::<f64>().unwrap() as f32).to_bits(), 0x3F80_0000);
    assert_eq!(
        json::from_json(node!(Type::F32), text).unwrap(),
        0x3F80_0001u32.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F64), "1e400")
            .unwrap_err()
            .to_string(),
        "at JSON byte 0: number out of range for its type"
    );
    // Every fault at the byte where its value starts, across lines.
    let ty = node!(Type::Tuple(&[
        &Type::U8,
        &Type::Tuple(&[&Type::U8, &Type::U8]),
        &Type::Option(&Type::Unit),
    ]));
    assert_eq!(
        json_err(ty, "[1,\n [2, \"x\"], null]"),
        (9, K::Expected("an integer"))
    );
    assert_eq!(
        json_err(ty, "[1,\n [2, 3, 4], null]"),
        (
            5,
            K::Length {
                expected: 2,
                found: 3
            }
        )
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], true]"),
        (12, K::Expected("null, or [value] for some"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], [null, null]]"),
        (12, K::Syntax("']' after the value of an option"))
    );
    assert_eq!(json_err(ty, "[1, [2, 3], [7]]"), (13, K::Expected("null")));
    // Malformed JSON where serde_json finds it, as a byte offset.
    assert_eq!(
        json_err(ty, "[1,\n [2 3], null]"),
        (8, K::Syntax("',' or ']'"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], null"),
        (15, K::Syntax("',' or ']' before the end"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], nul]"),
        (12, K::Expected("null, or [value] for some"))
    );
    assert_eq!(
        json_err(node!(Type::Seq(&Type::Option(&Type::U8))), "[1, nul]"),
        (4, K::Expected("null or a value"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], null] x"),
        (18, K::TrailingCharacters)
    );
    // Keys: escaped, repeated or unknown after every field, at the key.
    let text = node!(TEXT);
    let expected = postcard::to_allocvec(&Text {
        c: 'x',
        s: "y".into(),
        b: ByteBuf::from(vec![1]),
    })
    .unwrap();
    assert_eq!(
        json::from_json(text, r#"{"\u0063":"x","s":"y","b":"01"}"#).unwrap(),
        expected
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"y","b":"01", "c":"z"}"#),
        (27, K::DuplicateField("c".into()))
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"y","b":"01","d":1}"#),
        (26, K::UnknownField("d".into()))
    );
    assert_eq!(
        json_err(text, r#"{"s":"y","c":"x","s":"z"}"#),
        (17, K::DuplicateField("s".into()))
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"y","b":"0g"}"#),
        (21, K::Expected("a string of hex digits, two per byte"))
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"\ud800","b":""}"#).1,
        K::Syntax("a low surrogate after a high one")
    );
    // Enums: escaped names, one key, at the name or the object.
    let ev = node!(EV);
    assert_eq!(json::from_json(ev, r#""\u0041""#).unwrap(), [0]);
    assert_eq!(
        json::from_json(ev, r#"{"\u0042":-2}"#).unwrap(),
        postcard::to_allocvec(&Ev::B(-2)).unwrap()
    );
    assert_eq!(
        json_err(ev, r#"{"B":1, "C":[1,""]}"#),
        (8, K::Syntax("'}': a variant object has one key"))
    );
    assert_eq!(
        json_err(ev, "{}"),
        (0, K::Expected("a variant: \"Name\", or {\"Name\": data}"))
    );
    assert_eq!(
        json_err(ev, r#" {"Z":1}"#),
        (2, K::UnknownVariant("Z".into()))
    );
    assert_eq!(
        json_err(ev, r#"{"D":{"x":1}}"#),
        (5, K::MissingField("y".into()))
    );
    // Maps are arrays of pairs.
    let map = node!(Type::Map(&Type::U8, &Type::String));
    assert_eq!(
        json_err(map, r#"[[1,"a"],[2]]"#),
        (9, K::Syntax("a [key, value] pair of two elements"))
    );
    assert_eq!(
        json_err(map, r#"[[1,"a"],{"2":"b"}]"#),
        (9, K::Expected("a [key, value] pair"))
    );
}

#[test]
fn json_write_errors() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = json::write_json(node!(Type::U8), &[1], &mut Broken).unwrap_err();
    assert!(matches!(e, json::Error::Io(_)));
    assert_eq!(e.to_string(), "writing JSON: disk full");
    // write_json over a BufWriter, as an NDJSON export does.
    let ty = node!(EV);
    let mut w = std::io::BufWriter::new(Vec::new());
    for ev in [Ev::A, Ev::B(2)] {
        json::write_json(ty, &postcard::to_allocvec(&ev).unwrap(), &mut w).unwrap();
        std::io::Write::write_all(&mut w, b"\n").unwrap();
    }
    assert_eq!(w.into_inner().unwrap(), b"\"A\"\n{\"B\":2}\n");
}

// ---------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x0064_796E_616D_6963),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Checks every path for a value, and that Value::decode agrees with serde.
fn prop_value<T: Serialize + Debug>(ty: Node<'_>, v: &T) -> Result<(), TestCaseError> {
    let payload = postcard::to_allocvec(v).unwrap();
    check_payload(ty, &payload);
    Ok(())
}

/// Any bytes: no panic; the readers agree; what passes the checks comes back
/// byte for byte through Value and JSON.
fn prop_bytes(ty: Node<'_>, bytes: &[u8]) -> Result<(), TestCaseError> {
    let checked = dynamic::check(ty, bytes);
    let decoded = Value::decode(ty, bytes);
    let text = json::to_json(ty, bytes);
    prop_assert_eq!(checked.err(), decoded.as_ref().err().copied());
    prop_assert_eq!(checked.err(), text.as_ref().err().copied());
    if let (Ok(v), Ok(text)) = (decoded, text) {
        prop_assert_eq!(&v.to_payload(ty).unwrap()[..], bytes);
        prop_assert_eq!(&json::from_json(ty, &text).unwrap()[..], bytes);
    }
    if let Ok(n) = dynamic::skip(ty, bytes) {
        prop_assert!(dynamic::check(ty, &bytes[..n]).is_ok());
    }
    Ok(())
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

proptest! {

    #![proptest_config(config(64))]

    #[test]
    fn prop_log(v in any::<Log>()) {
        prop_value(node!(LOG), &v)?;
    }

    /// A record's JSON with a few chars replaced, removed or inserted: the
    /// import never panics; what it accepts is a payload of the type that
    /// comes back the same way; what it refuses it refuses at an offset in
    /// the text, leaving the output as it was.
    #[test]
    fn prop_json_import_of_mangled_text(
        v in any::<Log>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
            &['[', ']', '{', '}', ',', ':', '"', '\\', '0', '9', '-', '.', 'e', 'n', ' ', 'x', 'é'][..],
        )), 1..4),
    ) {
        let ty = node!(LOG);
        let mut chars: Vec<char> = json::to_json(ty, &postcard::to_allocvec(&v).unwrap())
            .unwrap()
            .chars()
            .collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => chars[i] = c,
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                _ => chars.insert(i, c),
            }
        }
        let text: String = chars.into_iter().collect();
        let mut out = vec![7u8];
        match json::from_json_into(ty, &text, &mut out) {
            Ok(()) => {
                let payload = &out[1..];
                prop_assert!(dynamic::check(ty, payload).is_ok(), "{}", text);
                let again = json::to_json(ty, payload).unwrap();
                prop_assert_eq!(&json::from_json(ty, &again).unwrap()[..], payload);
            }
            Err(json::Error::Json { offset, .. }) => {
                prop_assert!(offset <= text.len(), "{} at {}", text, offset);
                prop_assert_eq!(out, vec![7u8]);
            }
            Err(e) => prop_assert!(false, "{}: {:?}", text, e),
        }
    }
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
