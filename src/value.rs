//! Owned values: any record decoded by its definition alone into a [`Value`]
//! tree, and encoded back to the same payload bytes.
//!
//! ```
//! use koffer::schema::{Definition, Describe};
//! use koffer::value::Value;
//!
//! let def = Definition::parse(koffer::definition!(<(u16, Option<char>) as Describe>::TYPE)).unwrap();
//! let ty = def.root().unwrap();
//! let payload = postcard::to_allocvec(&(300u16, Some('é'))).unwrap();
//!
//! let value = Value::decode(ty, &payload).unwrap();
//! assert_eq!(
//!     value,
//!     Value::Tuple(vec![Value::U16(300), Value::Option(Some(Box::new(Value::Char('é'))))])
//! );
//! let mut again = Vec::new();
//! value.encode(ty, &mut again).unwrap();
//! assert_eq!(again, payload);
//! ```

extern crate alloc;

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::dynamic::{self, Visitor};
use crate::schema::{FieldRef, Kind, Node, VariantKind, VariantRef};
use crate::varint::{push_u128, push_u64, zigzag, zigzag128};

/// A value of any type of the serde data model, as a definition describes it
/// (spec `schema.md` §2). Integer and float widths stay distinct, and bytes
/// stay distinct from strings, so that a value encodes back to the exact
/// bytes it was decoded from.
///
/// Equality is structural, with float semantics: a NaN is not equal to
/// itself (compare payloads, or `to_bits`, to compare NaNs).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// bool
    Bool(bool),
    /// u8
    U8(u8),
    /// u16
    U16(u16),
    /// u32
    U32(u32),
    /// u64
    U64(u64),
    /// u128
    U128(u128),
    /// i8
    I8(i8),
    /// i16
    I16(i16),
    /// i32
    I32(i32),
    /// i64
    I64(i64),
    /// i128
    I128(i128),
    /// f32 (any bit pattern)
    F32(f32),
    /// f64 (any bit pattern)
    F64(f64),
    /// char
    Char(char),
    /// string
    String(String),
    /// bytes
    Bytes(Vec<u8>),
    /// option
    Option(Option<Box<Value>>),
    /// unit
    Unit,
    /// unit struct
    UnitStruct {
        /// The struct's name.
        name: String,
    },
    /// newtype struct
    NewtypeStruct {
        /// The struct's name.
        name: String,
        /// The inner value.
        value: Box<Value>,
    },
    /// sequence
    Seq(Vec<Value>),
    /// tuple
    Tuple(Vec<Value>),
    /// tuple struct
    TupleStruct {
        /// The struct's name.
        name: String,
        /// The elements.
        elements: Vec<Value>,
    },
    /// array
    Array(Vec<Value>),
    /// map: its entries in payload order
    Map(Vec<(Value, Value)>),
    /// struct
    Struct {
        /// The struct's name.
        name: String,
        /// The fields' names and values, in order.
        fields: Vec<(String, Value)>,
    },
    /// enum
    Enum {
        /// The enum's name.
        name: String,
        /// The variant's name.
        variant: String,
        /// The variant's index (what the payload stores).
        index: u32,
        /// The variant's data.
        data: VariantValue,
    },
}

/// The data of an enum variant.
#[derive(Debug, Clone, PartialEq)]
pub enum VariantValue {
    /// unit variant
    Unit,
    /// newtype variant
    Newtype(Box<Value>),
    /// tuple variant
    Tuple(Vec<Value>),
    /// struct variant: the fields' names and values, in order
    Struct(Vec<(String, Value)>),
}

/// A [`Value`] does not fit the type it was to be encoded as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where in the value: `""` for the root, then `.field`, `[index]`,
    /// `[index].key` / `[index].value` for map entries and `::Variant` for
    /// enum variants, e.g. `.samples[3].kind::Walk.steps`.
    pub path: String,
    /// What does not fit.
    pub kind: ErrorKind,
}

/// What does not fit, in an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The value is of another kind than the type (e.g. a `U16` for a `u32`).
    Mismatch {
        /// The type's kind.
        expected: &'static str,
        /// The value's kind.
        found: &'static str,
    },
    /// A tuple, tuple struct, array, struct or variant with the wrong number
    /// of elements or fields.
    Length {
        /// What the type has.
        expected: usize,
        /// What the value has.
        found: usize,
    },
    /// A struct, field, variant or enum name that is not the type's.
    Name {
        /// The type's name.
        expected: String,
        /// The value's name.
        found: String,
    },
    /// A variant index at or past the enum's variant count.
    VariantIndex {
        /// The value's index.
        index: u32,
        /// The enum's variant count.
        count: usize,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Mismatch { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ErrorKind::Length { expected, found } => {
                write!(f, "expected {expected} elements or fields, found {found}")
            }
            ErrorKind::Name { expected, found } => {
                write!(f, "expected name {expected:?}, found {found:?}")
            }
            ErrorKind::VariantIndex { index, count } => {
                write!(
                    f,
                    "variant index {index} out of range (the enum has {count})"
                )
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "value does not fit its type: {}", self.kind)
        } else {
            write!(
                f,
                "value does not fit its type at {}: {}",
                self.path, self.kind
            )
        }
    }
}

impl core::error::Error for Error {}

/// The name of a type's kind, as errors show it.
pub(crate) fn kind_name(ty: Node<'_>) -> &'static str {
    match ty.kind() {
        Kind::Bool => "bool",
        Kind::U8 => "u8",
        Kind::U16 => "u16",
        Kind::U32 => "u32",
        Kind::U64 => "u64",
        Kind::U128 => "u128",
        Kind::I8 => "i8",
        Kind::I16 => "i16",
        Kind::I32 => "i32",
        Kind::I64 => "i64",
        Kind::I128 => "i128",
        Kind::F32 => "f32",
        Kind::F64 => "f64",
        Kind::Char => "char",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Option(_) => "option",
        Kind::Unit => "unit",
        Kind::UnitStruct { .. } => "unit struct",
        Kind::NewtypeStruct { .. } => "newtype struct",
        Kind::Seq(_) => "sequence",
        Kind::Tuple(_) => "tuple",
        Kind::TupleStruct { .. } => "tuple struct",
        Kind::Array { .. } => "array",
        Kind::Map { .. } => "map",
        Kind::Struct { .. } => "struct",
        Kind::Enum { .. } => "enum",
    }
}

fn variant_kind_name(kind: &VariantKind<'_>) -> &'static str {
    match kind {
        VariantKind::Unit => "unit variant",
        VariantKind::Newtype(_) => "newtype variant",
        VariantKind::Tuple(_) => "tuple variant",
        VariantKind::Struct(_) => "struct variant",
    }
}

impl VariantValue {
    /// The name of the variant's kind, as errors show it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            VariantValue::Unit => "unit variant",
            VariantValue::Newtype(_) => "newtype variant",
            VariantValue::Tuple(_) => "tuple variant",
            VariantValue::Struct(_) => "struct variant",
        }
    }
}

impl Value {
    /// The name of the value's kind, as errors show it (`"u16"`, `"struct"`, …).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::U8(_) => "u8",
            Value::U16(_) => "u16",
            Value::U32(_) => "u32",
            Value::U64(_) => "u64",
            Value::U128(_) => "u128",
            Value::I8(_) => "i8",
            Value::I16(_) => "i16",
            Value::I32(_) => "i32",
            Value::I64(_) => "i64",
            Value::I128(_) => "i128",
            Value::F32(_) => "f32",
            Value::F64(_) => "f64",
            Value::Char(_) => "char",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Option(_) => "option",
            Value::Unit => "unit",
            Value::UnitStruct { .. } => "unit struct",
            Value::NewtypeStruct { .. } => "newtype struct",
            Value::Seq(_) => "sequence",
            Value::Tuple(_) => "tuple",
            Value::TupleStruct { .. } => "tuple struct",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Struct { .. } => "struct",
            Value::Enum { .. } => "enum",
        }
    }

    /// Decodes `payload` as one value of type `ty` (the whole payload), with
    /// every check of spec `schema.md` §6.
    pub fn decode(ty: Node<'_>, payload: &[u8]) -> Result<Value, dynamic::Error> {
        let mut b = Builder {
            stack: Vec::new(),
            root: None,
        };
        dynamic::walk(ty, payload, &mut b)?;
        // A successful walk reports exactly one root value.
        Ok(b.root.unwrap_or(Value::Unit))
    }

    /// Appends the canonical postcard encoding of `self` as a value of type
    /// `ty` to `out`: the bytes [`decode`](Value::decode) reads back to
    /// `self`. On error `out` is left as it was.
    ///
    /// Kinds must match exactly (a `U16` is not a `u32`, a `Seq` not a tuple),
    /// and so must every struct, field, enum and variant name, and a
    /// variant's index.
    pub fn encode(&self, ty: Node<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        let len = out.len();
        encode(self, ty, out).inspect_err(|_| out.truncate(len))
    }

    /// The canonical postcard encoding of `self` as a value of type `ty`.
    pub fn to_payload(&self, ty: Node<'_>) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        encode(self, ty, &mut out)?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// Decoding: a visitor that builds the tree.
// ---------------------------------------------------------------------------

enum Frame {
    Some(Option<Value>),
    Newtype(String, Option<Value>),
    Seq(Vec<Value>),
    Tuple(Vec<Value>),
    TupleStruct(String, Vec<Value>),
    Array(Vec<Value>),
    /// Entries; whether the next value is an entry's value.
    Map(Vec<(Value, Value)>, bool),
    Struct(String, Vec<(String, Value)>),
    Variant {
        name: String,
        variant: String,
        index: u32,
        data: VariantValue,
        newtype: Option<Value>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
}

type R = Result<(), dynamic::Error>;

impl Builder {
    /// A complete value: into its container, or the root.
    fn put(&mut self, v: Value) -> R {
        match self.stack.last_mut() {
            None => self.root = Some(v),
            Some(Frame::Some(slot) | Frame::Newtype(_, slot)) => *slot = Some(v),
            Some(
                Frame::Seq(xs) | Frame::Tuple(xs) | Frame::TupleStruct(_, xs) | Frame::Array(xs),
            ) => xs.push(v),
            Some(Frame::Map(entries, is_value)) => {
                if *is_value {
                    if let Some(e) = entries.last_mut() {
                        e.1 = v;
                    }
                } else {
                    entries.push((v, Value::Unit));
                }
            }
            Some(Frame::Struct(_, fields)) => {
                if let Some(f) = fields.last_mut() {
                    f.1 = v;
                }
            }
            Some(Frame::Variant { data, newtype, .. }) => match data {
                VariantValue::Tuple(xs) => xs.push(v),
                VariantValue::Struct(fields) => {
                    if let Some(f) = fields.last_mut() {
                        f.1 = v;
                    }
                }
                _ => *newtype = Some(v),
            },
        }
        Ok(())
    }

    fn pop(&mut self) -> Option<Frame> {
        self.stack.pop()
    }
}

/// The capacity reserved ahead for a sequence, array or map of `len`
/// elements. A count is at most the bytes left and an array's length at most
/// 65 535, but only the elements actually read (each takes a payload byte)
/// should cost memory: nested containers of a short or truncated payload
/// must not reserve megabytes each.
fn prealloc(len: usize) -> usize {
    len.min(1024)
}

fn take(slot: Option<Value>) -> Box<Value> {
    Box::new(slot.unwrap_or(Value::Unit))
}

impl<'a> Visitor<'a> for Builder {
    type Error = dynamic::Error;

    fn bool(&mut self, v: bool) -> R {
        self.put(Value::Bool(v))
    }
    fn u8(&mut self, v: u8) -> R {
        self.put(Value::U8(v))
    }
    fn u16(&mut self, v: u16) -> R {
        self.put(Value::U16(v))
    }
    fn u32(&mut self, v: u32) -> R {
        self.put(Value::U32(v))
    }
    fn u64(&mut self, v: u64) -> R {
        self.put(Value::U64(v))
    }
    fn u128(&mut self, v: u128) -> R {
        self.put(Value::U128(v))
    }
    fn i8(&mut self, v: i8) -> R {
        self.put(Value::I8(v))
    }
    fn i16(&mut self, v: i16) -> R {
        self.put(Value::I16(v))
    }
    fn i32(&mut self, v: i32) -> R {
        self.put(Value::I32(v))
    }
    fn i64(&mut self, v: i64) -> R {
        self.put(Value::I64(v))
    }
    fn i128(&mut self, v: i128) -> R {
        self.put(Value::I128(v))
    }
    fn f32(&mut self, v: f32) -> R {
        self.put(Value::F32(v))
    }
    fn f64(&mut self, v: f64) -> R {
        self.put(Value::F64(v))
    }
    fn char(&mut self, v: char) -> R {
        self.put(Value::Char(v))
    }
    fn str(&mut self, v: &'a str) -> R {
        self.put(Value::String(v.to_owned()))
    }
    fn bytes(&mut self, v: &'a [u8]) -> R {
        self.put(Value::Bytes(v.to_vec()))
    }
    fn none(&mut self) -> R {
        self.put(Value::Option(None))
    }
    fn some_begin(&mut self, _inner: Node<'a>) -> R {
        self.stack.push(Frame::Some(None));
        Ok(())
    }
    fn some_end(&mut self, _inner: Node<'a>) -> R {
        match self.pop() {
            Some(Frame::Some(slot)) => self.put(Value::Option(Some(take(slot)))),
            _ => Ok(()),
        }
    }
    fn unit(&mut self) -> R {
        self.put(Value::Unit)
    }
    fn unit_struct(&mut self, name: &'a str) -> R {
        self.put(Value::UnitStruct {
            name: name.to_owned(),
        })
    }
    fn newtype_begin(&mut self, name: &'a str) -> R {
        self.stack.push(Frame::Newtype(name.to_owned(), None));
        Ok(())
    }
    fn newtype_end(&mut self, _name: &'a str) -> R {
        match self.pop() {
            Some(Frame::Newtype(name, slot)) => self.put(Value::NewtypeStruct {
                name,
                value: take(slot),
            }),
            _ => Ok(()),
        }
    }
    fn seq_begin(&mut self, len: usize) -> R {
        self.stack
            .push(Frame::Seq(Vec::with_capacity(prealloc(len))));
        Ok(())
    }
    fn seq_end(&mut self, _len: usize) -> R {
        match self.pop() {
            Some(Frame::Seq(xs)) => self.put(Value::Seq(xs)),
            _ => Ok(()),
        }
    }
    fn tuple_begin(&mut self, len: usize) -> R {
        self.stack.push(Frame::Tuple(Vec::with_capacity(len)));
        Ok(())
    }
    fn tuple_end(&mut self, _len: usize) -> R {
        match self.pop() {
            Some(Frame::Tuple(xs)) => self.put(Value::Tuple(xs)),
            _ => Ok(()),
        }
    }
    fn tuple_struct_begin(&mut self, name: &'a str, len: usize) -> R {
        self.stack
            .push(Frame::TupleStruct(name.to_owned(), Vec::with_capacity(len)));
        Ok(())
    }
    fn tuple_struct_end(&mut self, _name: &'a str, _len: usize) -> R {
        match self.pop() {
            Some(Frame::TupleStruct(name, elements)) => {
                self.put(Value::TupleStruct { name, elements })
            }
            _ => Ok(()),
        }
    }
    fn array_begin(&mut self, len: usize) -> R {
        self.stack
            .push(Frame::Array(Vec::with_capacity(prealloc(len))));
        Ok(())
    }
    fn array_end(&mut self, _len: usize) -> R {
        match self.pop() {
            Some(Frame::Array(xs)) => self.put(Value::Array(xs)),
            _ => Ok(()),
        }
    }
    fn map_begin(&mut self, len: usize) -> R {
        self.stack
            .push(Frame::Map(Vec::with_capacity(prealloc(len)), false));
        Ok(())
    }
    fn map_key(&mut self, _index: usize) -> R {
        if let Some(Frame::Map(_, is_value)) = self.stack.last_mut() {
            *is_value = false;
        }
        Ok(())
    }
    fn map_value(&mut self, _index: usize) -> R {
        if let Some(Frame::Map(_, is_value)) = self.stack.last_mut() {
            *is_value = true;
        }
        Ok(())
    }
    fn map_end(&mut self, _len: usize) -> R {
        match self.pop() {
            Some(Frame::Map(entries, _)) => self.put(Value::Map(entries)),
            _ => Ok(()),
        }
    }
    fn struct_begin(&mut self, name: &'a str, len: usize) -> R {
        self.stack
            .push(Frame::Struct(name.to_owned(), Vec::with_capacity(len)));
        Ok(())
    }
    fn field(&mut self, _index: usize, field: &FieldRef<'a>) -> R {
        let entry = (field.name.to_owned(), Value::Unit);
        match self.stack.last_mut() {
            Some(Frame::Struct(_, fields))
            | Some(Frame::Variant {
                data: VariantValue::Struct(fields),
                ..
            }) => fields.push(entry),
            _ => {}
        }
        Ok(())
    }
    fn struct_end(&mut self, _name: &'a str, _len: usize) -> R {
        match self.pop() {
            Some(Frame::Struct(name, fields)) => self.put(Value::Struct { name, fields }),
            _ => Ok(()),
        }
    }
    fn variant_begin(&mut self, name: &'a str, variant: &VariantRef<'a>) -> R {
        let data = match variant.kind {
            VariantKind::Unit => VariantValue::Unit,
            VariantKind::Newtype(_) => VariantValue::Newtype(Box::new(Value::Unit)),
            VariantKind::Tuple(els) => VariantValue::Tuple(Vec::with_capacity(els.count())),
            VariantKind::Struct(fs) => VariantValue::Struct(Vec::with_capacity(fs.count())),
        };
        self.stack.push(Frame::Variant {
            name: name.to_owned(),
            variant: variant.name.to_owned(),
            index: variant.index,
            data,
            newtype: None,
        });
        Ok(())
    }
    fn variant_end(&mut self, _name: &'a str, _variant: &VariantRef<'a>) -> R {
        match self.pop() {
            Some(Frame::Variant {
                name,
                variant,
                index,
                mut data,
                newtype,
            }) => {
                if let VariantValue::Newtype(_) = data {
                    data = VariantValue::Newtype(take(newtype));
                }
                self.put(Value::Enum {
                    name,
                    variant,
                    index,
                    data,
                })
            }
            _ => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------
// Encoding.
// ---------------------------------------------------------------------------

/// Appends a length-prefixed run of bytes.
#[inline]
pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    push_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn err(kind: ErrorKind) -> Error {
    Error {
        path: String::new(),
        kind,
    }
}

fn mismatch(ty: Node<'_>, v: &Value) -> Error {
    err(ErrorKind::Mismatch {
        expected: kind_name(ty),
        found: v.kind_name(),
    })
}

fn check_name(expected: &str, found: &str) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(err(ErrorKind::Name {
            expected: expected.to_owned(),
            found: found.to_owned(),
        }))
    }
}

fn check_len(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(err(ErrorKind::Length { expected, found }))
    }
}

/// Prefixes `segment` to the path of an error from inside a value.
fn at<T>(r: Result<T, Error>, segment: impl FnOnce() -> String) -> Result<T, Error> {
    r.map_err(|mut e| {
        e.path.insert_str(0, &segment());
        e
    })
}

fn index_segment(i: usize) -> String {
    alloc::format!("[{i}]")
}

fn elements<'a>(
    values: &[Value],
    types: impl Iterator<Item = Node<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    for (i, (v, t)) in values.iter().zip(types).enumerate() {
        at(encode(v, t, out), || index_segment(i))?;
    }
    Ok(())
}

fn fields<'a>(
    values: &[(String, Value)],
    types: impl Iterator<Item = FieldRef<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    for ((name, v), f) in values.iter().zip(types) {
        at(check_name(f.name, name), || alloc::format!(".{name}"))?;
        at(encode(v, f.ty, out), || alloc::format!(".{name}"))?;
    }
    Ok(())
}

fn encode(value: &Value, ty: Node<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
    match (ty.kind(), value) {
        (Kind::Bool, Value::Bool(v)) => out.push(u8::from(*v)),
        (Kind::U8, Value::U8(v)) => out.push(*v),
        (Kind::U16, Value::U16(v)) => push_u64(out, u64::from(*v)),
        (Kind::U32, Value::U32(v)) => push_u64(out, u64::from(*v)),
        (Kind::U64, Value::U64(v)) => push_u64(out, *v),
        (Kind::U128, Value::U128(v)) => push_u128(out, *v),
        (Kind::I8, Value::I8(v)) => out.push(*v as u8),
        (Kind::I16, Value::I16(v)) => push_u64(out, zigzag(i64::from(*v))),
        (Kind::I32, Value::I32(v)) => push_u64(out, zigzag(i64::from(*v))),
        (Kind::I64, Value::I64(v)) => push_u64(out, zigzag(*v)),
        (Kind::I128, Value::I128(v)) => push_u128(out, zigzag128(*v)),
        (Kind::F32, Value::F32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (Kind::F64, Value::F64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (Kind::Char, Value::Char(c)) => put_bytes(out, c.encode_utf8(&mut [0u8; 4]).as_bytes()),
        (Kind::String, Value::String(s)) => put_bytes(out, s.as_bytes()),
        (Kind::Bytes, Value::Bytes(b)) => put_bytes(out, b),
        (Kind::Option(_), Value::Option(None)) => out.push(0),
        (Kind::Option(inner), Value::Option(Some(v))) => {
            out.push(1);
            encode(v, inner, out)?;
        }
        (Kind::Unit, Value::Unit) => {}
        (Kind::UnitStruct { name }, Value::UnitStruct { name: n }) => check_name(name, n)?,
        (Kind::NewtypeStruct { name, inner }, Value::NewtypeStruct { name: n, value }) => {
            check_name(name, n)?;
            encode(value, inner, out)?;
        }
        (Kind::Seq(element), Value::Seq(xs)) => {
            push_u64(out, xs.len() as u64);
            elements(xs, core::iter::repeat(element), out)?;
        }
        (Kind::Tuple(types), Value::Tuple(xs)) => {
            check_len(types.count(), xs.len())?;
            elements(xs, types, out)?;
        }
        (
            Kind::TupleStruct {
                name,
                elements: types,
            },
            Value::TupleStruct {
                name: n,
                elements: xs,
            },
        ) => {
            check_name(name, n)?;
            check_len(types.count(), xs.len())?;
            elements(xs, types, out)?;
        }
        (Kind::Array { len, element }, Value::Array(xs)) => {
            check_len(len as usize, xs.len())?;
            elements(xs, core::iter::repeat(element), out)?;
        }
        (Kind::Map { key, value: val }, Value::Map(entries)) => {
            push_u64(out, entries.len() as u64);
            for (i, (k, v)) in entries.iter().enumerate() {
                at(encode(k, key, out), || alloc::format!("[{i}].key"))?;
                at(encode(v, val, out), || alloc::format!("[{i}].value"))?;
            }
        }
        (
            Kind::Struct {
                name,
                fields: types,
            },
            Value::Struct {
                name: n,
                fields: xs,
            },
        ) => {
            check_name(name, n)?;
            check_len(types.count(), xs.len())?;
            fields(xs, types, out)?;
        }
        (
            Kind::Enum { name, mut variants },
            Value::Enum {
                name: n,
                variant,
                index,
                data,
            },
        ) => {
            check_name(name, n)?;
            let count = variants.count();
            let Some(v) = variants.nth(*index as usize) else {
                return Err(err(ErrorKind::VariantIndex {
                    index: *index,
                    count,
                }));
            };
            check_name(v.name, variant)?;
            push_u64(out, u64::from(*index));
            let segment = || alloc::format!("::{variant}");
            match (v.kind, data) {
                (VariantKind::Unit, VariantValue::Unit) => {}
                (VariantKind::Newtype(inner), VariantValue::Newtype(x)) => {
                    at(encode(x, inner, out), segment)?;
                }
                (VariantKind::Tuple(types), VariantValue::Tuple(xs)) => {
                    at(check_len(types.count(), xs.len()), segment)?;
                    at(elements(xs, types, out), segment)?;
                }
                (VariantKind::Struct(types), VariantValue::Struct(xs)) => {
                    at(check_len(types.count(), xs.len()), segment)?;
                    at(fields(xs, types, out), segment)?;
                }
                (kind, data) => {
                    return at(
                        Err(err(ErrorKind::Mismatch {
                            expected: variant_kind_name(&kind),
                            found: data.kind_name(),
                        })),
                        segment,
                    );
                }
            }
        }
        (_, v) => return Err(mismatch(ty, v)),
    }
    Ok(())
}
