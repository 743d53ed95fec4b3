//! Types and their hand-written definitions: serde types whose postcard
//! encoding the tests compare against, each with the `Type` that describes it.

use std::collections::BTreeMap;

use koffer::schema::{Definition, Field, Meta, Node, Type, Variant, VariantData};
use proptest::prelude::*;
use proptest_derive::Arbitrary;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

pub const fn f(name: &'static str, ty: &'static Type) -> Field {
    Field {
        name,
        meta: Meta::NONE,
        ty,
    }
}

pub const fn var(name: &'static str, data: VariantData) -> Variant {
    Variant { name, data }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
pub struct Ints {
    pub a: u8,
    pub b: u16,
    pub c: u32,
    pub d: u64,
    pub e: u128,
    pub f: i8,
    pub g: i16,
    pub h: i32,
    pub i: i64,
    pub j: i128,
}

pub const INTS: Type = Type::Struct(
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
pub struct Floats {
    #[proptest(strategy = "any::<u32>().prop_map(f32::from_bits)")]
    pub x: f32,
    #[proptest(strategy = "any::<u64>().prop_map(f64::from_bits)")]
    pub y: f64,
}

pub const FLOATS: Type = Type::Struct("Floats", &[f("x", &Type::F32), f("y", &Type::F64)]);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
pub struct Text {
    pub c: char,
    pub s: String,
    #[proptest(strategy = "any::<Vec<u8>>().prop_map(ByteBuf::from)")]
    pub b: ByteBuf,
}

pub const TEXT: Type = Type::Struct(
    "Text",
    &[
        f("c", &Type::Char),
        f("s", &Type::String),
        f("b", &Type::Bytes),
    ],
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
pub struct Unit;
pub const UNIT: Type = Type::UnitStruct("Unit");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
pub struct Wrap(pub ());
pub const WRAP: Type = Type::NewtypeStruct("Wrap", &Type::Unit);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
pub struct Meters(pub f64);
pub const METERS: Type = Type::NewtypeStruct("Meters", &Type::F64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
pub struct Pair(pub i32, pub String);
pub const PAIR: Type = Type::TupleStruct("Pair", &[&Type::I32, &Type::String]);

pub type Options = (
    Option<Option<u8>>,
    Option<()>,
    Option<Unit>,
    Option<Wrap>,
    Option<Option<Option<bool>>>,
    Option<String>,
);

pub const OPTIONS: Type = Type::Tuple(&[
    &Type::Option(&Type::Option(&Type::U8)),
    &Type::Option(&Type::Unit),
    &Type::Option(&UNIT),
    &Type::Option(&WRAP),
    &Type::Option(&Type::Option(&Type::Option(&Type::Bool))),
    &Type::Option(&Type::String),
]);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
pub enum Ev {
    A,
    B(i16),
    C(u8, String),
    D { x: u32, y: Option<u8> },
    E(()),
    F(Option<()>),
    G(Unit),
}

pub const EV: Type = Type::Enum(
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
pub struct Colls {
    #[proptest(strategy = "prop::collection::vec(any::<u32>(), 0..8)")]
    pub v: Vec<u32>,
    #[proptest(strategy = "prop::collection::vec(any::<Option<()>>(), 0..300)")]
    pub units: Vec<Option<()>>,
    #[proptest(strategy = "prop::collection::vec(prop::collection::vec(any::<u8>(), 0..4), 0..4)")]
    pub nested: Vec<Vec<u8>>,
    pub arr: [u16; 3],
    pub unit_arr: [(Unit, u8); 2],
    pub grid: [[i8; 2]; 2],
    pub tup: (u8, bool, char),
    #[proptest(strategy = "prop::collection::btree_map(any::<(u8, i8)>(), any::<String>(), 0..4)")]
    pub map: BTreeMap<(u8, i8), String>,
    #[proptest(strategy = "prop::collection::btree_map(any::<String>(), any::<Vec<u8>>(), 0..3)")]
    pub by_name: BTreeMap<String, Vec<u8>>,
    #[proptest(strategy = "prop::collection::btree_map(any::<Option<u8>>(), any::<()>(), 0..3)")]
    pub opt_keys: BTreeMap<Option<u8>, ()>,
    pub pair: Pair,
    pub meters: Meters,
    pub unit: (),
    pub unit_s: Unit,
    pub wrap: Wrap,
}

pub const COLLS: Type = Type::Struct(
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
pub struct Log {
    pub at_ms: u64,
    #[proptest(strategy = "prop::collection::vec(any::<Ev>(), 0..6)")]
    pub events: Vec<Ev>,
    pub temp: i16,
    pub colls: Option<Colls>,
    pub floats: Floats,
    pub text: Text,
    pub ints: Ints,
}

pub const LOG: Type = Type::Struct(
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

pub fn def(bytes: &'static [u8]) -> Node<'static> {
    Definition::parse(bytes).unwrap().root().unwrap()
}

macro_rules! node {
    ($ty:expr) => {{
        const T: ::koffer::schema::Type = $ty;
        $crate::types::def(::koffer::definition!(&T))
    }};
}

/// `node!(TYPE)`: the definition of a hand-written `Type`, built at compile
/// time by `koffer::definition!` and parsed back.
pub(crate) use node;
