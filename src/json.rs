//! The JSON mapping of records (spec `schema.md` §9): lossless both ways.
//!
//! [`write_json`] streams a payload as JSON, straight from its bytes, with no
//! tree in between; [`from_json`] reads the JSON back into the exact payload
//! bytes. Together with the definition, the JSON keeps every value exactly:
//! integers with all their digits (u128 and i128 included), floats as the
//! shortest decimal that reads back to the same bits, NaN bit patterns,
//! byte strings as hex. For many records of one type (an NDJSON export), an
//! [`Exporter`] reads the definition once and then writes each record in
//! a few hundred nanoseconds.
//!
//! | type | JSON |
//! |---|---|
//! | bool | `true` / `false` |
//! | u8 … u128, i8 … i128 | a number with every digit |
//! | f32, f64 | the shortest decimal that reads back to the same value; with *e* its decimal exponent (*d*.*ddd* × 10^*e*), one rule for f32 and f64: plain when −5 ≤ *e* ≤ 15 (`0.1`, `1.0`, `-0.0`, `0.00001`, `1000000000000000.0`), otherwise scientific with the exponent's sign always written (`1e-6`, `1.5e-7`, `1e+16`, `3.4028235e+38`); `"NaN"` (the canonical quiet NaN), `"inf"`, `"-inf"`, or `"nan:0x7fc00001"` (any other NaN: its bits, 8 or 16 lowercase hex digits) |
//! | char, string | a string |
//! | bytes | a string of lowercase hex digits |
//! | option | `null` for none; for some, the value, or `[value]` when the inner type maps to `null` |
//! | unit, unit struct | `null` |
//! | newtype struct | the inner value |
//! | sequence, tuple, tuple struct, array | an array |
//! | map | an array of `[key, value]` pairs |
//! | struct | an object, fields in order |
//! | enum | a unit variant's name as a string; `{"Name": data}` for the others |
//!
//! A type *maps to `null`* when it is an option, a unit, a unit struct, or a
//! newtype struct around such a type.
//!
//! ```
//! use koffer::schema::{Definition, Describe};
//!
//! let def = Definition::parse(koffer::definition!(<(u64, f32, Option<()>, char) as Describe>::TYPE)).unwrap();
//! let ty = def.root().unwrap();
//! let payload = postcard::to_allocvec(&(u64::MAX, 0.1f32, Some(()), '"')).unwrap();
//!
//! let json = koffer::json::to_json(ty, &payload).unwrap();
//! assert_eq!(json, r#"[18446744073709551615,0.1,[null],"\""]"#);
//! assert_eq!(koffer::json::from_json(ty, &json).unwrap(), payload);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::string::String;
use std::vec::Vec;

use crate::dynamic::{self, Reader};
use crate::hex::digit as hex_digit;
use crate::schema::{FieldRef, Fields, Kind, Node, VariantKind};
use crate::value::put_bytes;
use crate::varint::{push_u128 as put_varint128, push_u64 as put_varint, zigzag, zigzag128};

/// Converting between payloads and JSON failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum JsonError {
    /// Writing the JSON failed.
    Io(io::Error),
    /// The payload does not follow its definition (spec `schema.md` §6).
    Payload(dynamic::Error),
    /// The JSON text does not map to a value of the type.
    Json {
        /// Byte offset in the JSON text.
        offset: usize,
        /// What was wrong.
        kind: JsonErrorKind,
    },
}

/// What was wrong with a JSON text, in [`JsonError::Json`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// Not JSON: the text says what was expected.
    Syntax(&'static str),
    /// A JSON value of another kind than the type maps to: the text says
    /// what was expected.
    Expected(&'static str),
    /// A number out of range for its type (an integer too large, a finite
    /// decimal beyond the float's range).
    OutOfRange,
    /// A tuple, tuple struct, array or tuple variant with the wrong number of
    /// elements.
    Length {
        /// What the type has.
        expected: usize,
        /// What the JSON has.
        found: usize,
    },
    /// An object key that is not a field of the struct.
    UnknownField(String),
    /// An object key given twice.
    DuplicateField(String),
    /// A field of the struct missing from the object.
    MissingField(String),
    /// A variant name the enum does not have.
    UnknownVariant(String),
    /// Text after the value.
    TrailingCharacters,
}

impl fmt::Display for JsonErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonErrorKind::Syntax(what) => write!(f, "malformed JSON: expected {what}"),
            JsonErrorKind::Expected(what) => write!(f, "expected {what}"),
            JsonErrorKind::OutOfRange => f.write_str("number out of range for its type"),
            JsonErrorKind::Length { expected, found } => {
                write!(f, "expected {expected} elements, found {found}")
            }
            JsonErrorKind::UnknownField(name) => write!(f, "unknown field {name:?}"),
            JsonErrorKind::DuplicateField(name) => write!(f, "duplicate field {name:?}"),
            JsonErrorKind::MissingField(name) => write!(f, "missing field {name:?}"),
            JsonErrorKind::UnknownVariant(name) => write!(f, "unknown variant {name:?}"),
            JsonErrorKind::TrailingCharacters => f.write_str("text after the value"),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Io(e) => write!(f, "writing JSON: {e}"),
            JsonError::Payload(e) => e.fmt(f),
            JsonError::Json { offset, kind } => write!(f, "at JSON byte {offset}: {kind}"),
        }
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JsonError::Io(e) => Some(e),
            JsonError::Payload(e) => Some(e),
            JsonError::Json { .. } => None,
        }
    }
}

impl From<io::Error> for JsonError {
    fn from(e: io::Error) -> Self {
        JsonError::Io(e)
    }
}

impl From<dynamic::Error> for JsonError {
    fn from(e: dynamic::Error) -> Self {
        JsonError::Payload(e)
    }
}

/// Whether values of `ty` map to JSON `null`: options, units, unit structs,
/// and newtype structs around such types. `Some` of such a type is written
/// `[value]`.
pub fn maps_to_null(ty: Node<'_>) -> bool {
    let mut t = ty;
    loop {
        match t.kind() {
            Kind::Option(_) | Kind::Unit | Kind::UnitStruct { .. } => return true,
            Kind::NewtypeStruct { inner, .. } => t = inner,
            _ => return false,
        }
    }
}

// ---------------------------------------------------------------------------
// Payload → JSON
// ---------------------------------------------------------------------------

/// Writes `payload`, a value of type `ty`, as JSON to `out` (one line, no
/// whitespace, no newline).
///
/// The payload is checked as it is written: on a fault, part of its JSON has
/// been written already. [`append_json`] undoes that for a `Vec`. For many
/// records of one type, an [`Exporter`] reads the definition once instead of
/// once per record.
pub fn write_json<W: io::Write + ?Sized>(
    ty: Node<'_>,
    payload: &[u8],
    out: &mut W,
) -> Result<(), JsonError> {
    Exporter::new(ty).write(payload, out)
}

/// Appends `payload`, a value of type `ty`, as JSON to `out`; on a fault,
/// `out` is left as it was.
pub fn append_json(ty: Node<'_>, payload: &[u8], out: &mut Vec<u8>) -> Result<(), dynamic::Error> {
    Exporter::new(ty).append(payload, out)
}

/// `payload`, a value of type `ty`, as a JSON string.
pub fn to_json(ty: Node<'_>, payload: &[u8]) -> Result<String, dynamic::Error> {
    Exporter::new(ty).to_json(payload)
}

/// Writes records of one type as JSON, fast: the definition is read once,
/// into a plan with the JSON of every name prepared, and each payload is then
/// read straight into JSON, checked as [`dynamic::check`] checks it.
///
/// ```
/// use koffer::json::Exporter;
/// use koffer::schema::{Definition, Describe};
///
/// let def = Definition::parse(koffer::definition!(<(u8, Option<bool>) as Describe>::TYPE)).unwrap();
/// let export = Exporter::new(def.root().unwrap());
/// let mut ndjson = Vec::new();
/// for payload in [&[1, 0][..], &[2, 1, 1]] {
///     export.append(payload, &mut ndjson).unwrap();
///     ndjson.push(b'\n');
/// }
/// assert_eq!(ndjson, b"[1,null]\n[2,true]\n");
/// ```
#[derive(Debug, Clone)]
pub struct Exporter {
    ops: Vec<Op>,
    /// Op indexes of tuple elements.
    items: Vec<u32>,
    /// Struct fields: the JSON before the value (`"name":`, after a comma
    /// but for the first), and the value's op.
    fields: Vec<(Text, u32)>,
    /// Enum variants.
    variants: Vec<VariantOp>,
    /// The JSON of names, which `Text`s point into.
    text: Vec<u8>,
    root: u32,
}

/// A range of [`Exporter::text`].
#[derive(Debug, Clone, Copy)]
struct Text(u32, u32);

#[derive(Debug, Clone, Copy)]
enum Op {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    I8,
    I16,
    I32,
    I64,
    I128,
    F32,
    F64,
    Char,
    Str,
    Bytes,
    /// unit, unit struct
    Null,
    Option {
        inner: u32,
        wrap: bool,
    },
    Seq {
        element: u32,
    },
    Tuple {
        items: u32,
        len: u32,
    },
    Array {
        element: u32,
        len: u32,
    },
    Map {
        key: u32,
        value: u32,
    },
    Struct {
        fields: u32,
        len: u32,
    },
    Enum {
        variants: u32,
        len: u32,
    },
}

#[derive(Debug, Clone, Copy)]
struct VariantOp {
    /// `"Name"` for a unit variant, `{"Name":` and an opening bracket for
    /// the others.
    open: Text,
    /// The closing brackets.
    close: &'static [u8],
    data: VariantData,
}

#[derive(Debug, Clone, Copy)]
enum VariantData {
    Unit,
    Newtype(u32),
    Tuple { items: u32, len: u32 },
    Struct { fields: u32, len: u32 },
}

impl Exporter {
    /// Prepares the export of values of type `ty`. Work and memory are
    /// bounded by the size of the definition.
    pub fn new(ty: Node<'_>) -> Exporter {
        let mut e = Exporter {
            ops: Vec::new(),
            items: Vec::new(),
            fields: Vec::new(),
            variants: Vec::new(),
            text: Vec::new(),
            root: 0,
        };
        e.root = e.compile(ty);
        e
    }

    /// Writes `payload` as JSON to `out` (one line, no whitespace, no
    /// newline). On a fault in the payload, part of its JSON has been written
    /// already: use [`append`](Self::append) to avoid that.
    pub fn write<W: io::Write + ?Sized>(
        &self,
        payload: &[u8],
        out: &mut W,
    ) -> Result<(), JsonError> {
        let mut r = Reader::new(payload);
        self.run(self.root, &mut r, &mut IoOut(out))?;
        r.end()?;
        Ok(())
    }

    /// Appends `payload` as JSON to `out`; on a fault, `out` is left as it
    /// was.
    pub fn append(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), dynamic::Error> {
        let len = out.len();
        let mut r = Reader::new(payload);
        self.run(self.root, &mut r, &mut VecOut(out))
            .and_then(|()| r.end())
            .inspect_err(|_| out.truncate(len))
    }

    /// `payload` as a JSON string.
    pub fn to_json(&self, payload: &[u8]) -> Result<String, dynamic::Error> {
        let mut out = Vec::with_capacity(payload.len() * 2 + 16);
        self.append(payload, &mut out)?;
        // The JSON is UTF-8: strings and names are UTF-8, the rest ASCII.
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    fn push(&mut self, op: Op) -> u32 {
        self.ops.push(op);
        (self.ops.len() - 1) as u32
    }

    /// Appends `parts` (raw JSON, then a name as a JSON string, then raw
    /// JSON) to the text.
    fn text(&mut self, before: &[u8], name: &str, after: &[u8]) -> Text {
        let start = self.text.len() as u32;
        self.text.extend_from_slice(before);
        let _ = write_string(&mut VecOut(&mut self.text), name);
        self.text.extend_from_slice(after);
        Text(start, self.text.len() as u32)
    }

    fn compile_items<'a>(&mut self, types: impl Iterator<Item = Node<'a>>) -> (u32, u32) {
        let ops: Vec<u32> = types.map(|t| self.compile(t)).collect();
        let start = self.items.len() as u32;
        self.items.extend_from_slice(&ops);
        (start, ops.len() as u32)
    }

    fn compile_fields(&mut self, fields: Fields<'_>) -> (u32, u32) {
        let compiled: Vec<(Text, u32)> = fields
            .enumerate()
            .map(|(i, f)| {
                let op = self.compile(f.ty);
                let key = self.text(if i > 0 { b"," } else { b"" }, f.name, b":");
                (key, op)
            })
            .collect();
        let start = self.fields.len() as u32;
        self.fields.extend_from_slice(&compiled);
        (start, compiled.len() as u32)
    }

    /// The op of `ty`, after those of the types inside it. Recursion is
    /// bounded by the definition's depth limit.
    fn compile(&mut self, ty: Node<'_>) -> u32 {
        let op = match ty.kind() {
            Kind::Bool => Op::Bool,
            Kind::U8 => Op::U8,
            Kind::U16 => Op::U16,
            Kind::U32 => Op::U32,
            Kind::U64 => Op::U64,
            Kind::U128 => Op::U128,
            Kind::I8 => Op::I8,
            Kind::I16 => Op::I16,
            Kind::I32 => Op::I32,
            Kind::I64 => Op::I64,
            Kind::I128 => Op::I128,
            Kind::F32 => Op::F32,
            Kind::F64 => Op::F64,
            Kind::Char => Op::Char,
            Kind::String => Op::Str,
            Kind::Bytes => Op::Bytes,
            Kind::Unit | Kind::UnitStruct { .. } => Op::Null,
            // A newtype struct is its inner value.
            Kind::NewtypeStruct { inner, .. } => return self.compile(inner),
            Kind::Option(inner) => Op::Option {
                inner: self.compile(inner),
                wrap: maps_to_null(inner),
            },
            Kind::Seq(element) => Op::Seq {
                element: self.compile(element),
            },
            Kind::Tuple(types)
            | Kind::TupleStruct {
                elements: types, ..
            } => {
                let (items, len) = self.compile_items(types);
                Op::Tuple { items, len }
            }
            Kind::Array { len, element } => Op::Array {
                element: self.compile(element),
                len,
            },
            Kind::Map { key, value } => Op::Map {
                key: self.compile(key),
                value: self.compile(value),
            },
            Kind::Struct { fields, .. } => {
                let (fields, len) = self.compile_fields(fields);
                Op::Struct { fields, len }
            }
            Kind::Enum { variants, .. } => {
                let compiled: Vec<VariantOp> = variants
                    .map(|v| match v.kind {
                        VariantKind::Unit => VariantOp {
                            open: self.text(b"", v.name, b""),
                            close: b"",
                            data: VariantData::Unit,
                        },
                        VariantKind::Newtype(inner) => VariantOp {
                            data: VariantData::Newtype(self.compile(inner)),
                            open: self.text(b"{", v.name, b":"),
                            close: b"}",
                        },
                        VariantKind::Tuple(types) => {
                            let (items, len) = self.compile_items(types);
                            VariantOp {
                                open: self.text(b"{", v.name, b":["),
                                close: b"]}",
                                data: VariantData::Tuple { items, len },
                            }
                        }
                        VariantKind::Struct(fields) => {
                            let (fields, len) = self.compile_fields(fields);
                            VariantOp {
                                open: self.text(b"{", v.name, b":{"),
                                close: b"}}",
                                data: VariantData::Struct { fields, len },
                            }
                        }
                    })
                    .collect();
                let start = self.variants.len() as u32;
                self.variants.extend_from_slice(&compiled);
                Op::Enum {
                    variants: start,
                    len: compiled.len() as u32,
                }
            }
        };
        self.push(op)
    }

    #[inline]
    fn text_of(&self, t: Text) -> &[u8] {
        self.text
            .get(t.0 as usize..t.1 as usize)
            .unwrap_or_default()
    }

    fn run_items<O: Out>(
        &self,
        items: u32,
        len: u32,
        r: &mut Reader<'_>,
        out: &mut O,
    ) -> Result<(), O::Error> {
        for i in 0..len {
            if i > 0 {
                out.put(b",")?;
            }
            let op = self.items.get((items + i) as usize).copied().unwrap_or(0);
            self.run(op, r, out)?;
        }
        Ok(())
    }

    fn run_fields<O: Out>(
        &self,
        fields: u32,
        len: u32,
        r: &mut Reader<'_>,
        out: &mut O,
    ) -> Result<(), O::Error> {
        let fields = self
            .fields
            .get(fields as usize..(fields + len) as usize)
            .unwrap_or_default();
        for &(key, op) in fields {
            out.put(self.text_of(key))?;
            self.run(op, r, out)?;
        }
        Ok(())
    }

    /// Reads the value of `op` from `r` and writes its JSON. Recursion is
    /// bounded by the definition's depth limit.
    fn run<O: Out>(&self, op: u32, r: &mut Reader<'_>, out: &mut O) -> Result<(), O::Error> {
        let Some(&op) = self.ops.get(op as usize) else {
            return Ok(());
        };
        match op {
            Op::Bool => out.put(if r.bool()? { b"true" } else { b"false" }),
            Op::U8 => write_int(out, r.byte()?),
            Op::U16 => write_int(out, r.u16()?),
            Op::U32 => write_int(out, r.u32()?),
            Op::U64 => write_int(out, r.u64()?),
            Op::U128 => write_int(out, r.u128()?),
            Op::I8 => write_int(out, r.byte()? as i8),
            Op::I16 => write_int(out, r.i16()?),
            Op::I32 => write_int(out, r.i32()?),
            Op::I64 => write_int(out, r.i64()?),
            Op::I128 => write_int(out, r.i128()?),
            Op::F32 => write_f32(out, r.f32()?),
            Op::F64 => write_f64(out, r.f64()?),
            Op::Char => write_string(out, r.char()?.encode_utf8(&mut [0u8; 4])),
            Op::Str => write_string(out, r.str()?),
            Op::Bytes => write_hex(out, r.bytes()?),
            Op::Null => out.put(b"null"),
            Op::Option { inner, wrap } => {
                if !r.option()? {
                    return out.put(b"null");
                }
                if wrap {
                    out.put(b"[")?;
                    self.run(inner, r, out)?;
                    out.put(b"]")
                } else {
                    self.run(inner, r, out)
                }
            }
            Op::Seq { element } => {
                let n = r.count()?;
                out.put(b"[")?;
                for i in 0..n {
                    if i > 0 {
                        out.put(b",")?;
                    }
                    self.run(element, r, out)?;
                }
                out.put(b"]")
            }
            Op::Tuple { items, len } => {
                out.put(b"[")?;
                self.run_items(items, len, r, out)?;
                out.put(b"]")
            }
            Op::Array { element, len } => {
                out.put(b"[")?;
                for i in 0..len {
                    if i > 0 {
                        out.put(b",")?;
                    }
                    self.run(element, r, out)?;
                }
                out.put(b"]")
            }
            Op::Map { key, value } => {
                let n = r.count()?;
                out.put(b"[")?;
                for i in 0..n {
                    out.put(if i > 0 { b",[" } else { b"[" })?;
                    self.run(key, r, out)?;
                    out.put(b",")?;
                    self.run(value, r, out)?;
                    out.put(b"]")?;
                }
                out.put(b"]")
            }
            Op::Struct { fields, len } => {
                out.put(b"{")?;
                self.run_fields(fields, len, r, out)?;
                out.put(b"}")
            }
            Op::Enum { variants, len } => {
                let index = r.variant(len)?;
                let Some(&v) = self.variants.get((variants + index) as usize) else {
                    return Ok(());
                };
                out.put(self.text_of(v.open))?;
                match v.data {
                    VariantData::Unit => {}
                    VariantData::Newtype(op) => self.run(op, r, out)?,
                    VariantData::Tuple { items, len } => self.run_items(items, len, r, out)?,
                    VariantData::Struct { fields, len } => self.run_fields(fields, len, r, out)?,
                }
                out.put(v.close)
            }
        }
    }
}

/// Where the JSON goes.
trait Out {
    type Error: From<dynamic::Error>;
    fn put(&mut self, b: &[u8]) -> Result<(), Self::Error>;
}

struct VecOut<'o>(&'o mut Vec<u8>);

impl Out for VecOut<'_> {
    type Error = dynamic::Error;
    #[inline]
    fn put(&mut self, b: &[u8]) -> Result<(), dynamic::Error> {
        self.0.extend_from_slice(b);
        Ok(())
    }
}

struct IoOut<'o, W: io::Write + ?Sized>(&'o mut W);

impl<W: io::Write + ?Sized> Out for IoOut<'_, W> {
    type Error = JsonError;
    #[inline]
    fn put(&mut self, b: &[u8]) -> Result<(), JsonError> {
        self.0.write_all(b).map_err(JsonError::Io)
    }
}

/// For each byte, the character after `\` that escapes it in a JSON string:
/// `u` for `\u00XX`, 0 for none.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

const HEX: &[u8; 16] = crate::hex::DIGITS;

/// `s` as a JSON string: quotes, backslashes and control characters
/// escaped, everything else as is (UTF-8).
fn write_string<O: Out>(out: &mut O, s: &str) -> Result<(), O::Error> {
    out.put(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = ESCAPE[b as usize];
        if esc == 0 {
            continue;
        }
        if start < i {
            out.put(&bytes[start..i])?;
        }
        if esc == b'u' {
            let e = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xF) as usize],
            ];
            out.put(&e)?;
        } else {
            out.put(&[b'\\', esc])?;
        }
        start = i + 1;
    }
    if start < bytes.len() {
        out.put(&bytes[start..])?;
    }
    out.put(b"\"")
}

/// Bytes as a string of lowercase hex digits.
fn write_hex<O: Out>(out: &mut O, v: &[u8]) -> Result<(), O::Error> {
    out.put(b"\"")?;
    let mut buf = [0u8; 128];
    for chunk in v.chunks(64) {
        for (i, &b) in chunk.iter().enumerate() {
            buf[2 * i] = HEX[(b >> 4) as usize];
            buf[2 * i + 1] = HEX[(b & 0xF) as usize];
        }
        out.put(&buf[..2 * chunk.len()])?;
    }
    out.put(b"\"")
}

#[inline]
fn write_int<O: Out>(out: &mut O, v: impl itoa::Integer) -> Result<(), O::Error> {
    let mut b = itoa::Buffer::new();
    out.put(b.format(v).as_bytes())
}

/// The decimal exponents written in plain notation (spec `schema.md` §9),
/// for f32 and f64 alike: *e* of *d*.*ddd* × 10^*e*.
const PLAIN_EXPONENTS: core::ops::RangeInclusive<i32> = -5..=15;

/// Writes a finite float's shortest digits as `schema.md` §9 says: `text`
/// is those digits as `zmij` gives them, in either notation (it switches at
/// other exponents for f32 than for f64), and is rewritten under the one
/// rule for both: plain notation with at least one digit after the point
/// when −5 ≤ *e* ≤ 15 (`0.00001`, `1000000000000000.0`), otherwise the
/// digits with a point after the first one if there are several, `e`, the
/// exponent's sign and its digits (`1e-6`, `1e+16`, `3.4028235e+38`).
fn write_decimal<O: Out>(out: &mut O, text: &str) -> Result<(), O::Error> {
    if in_notation(text.as_bytes()) {
        return out.put(text.as_bytes());
    }
    let mut bytes = text.as_bytes();
    let negative = bytes.first() == Some(&b'-');
    if negative {
        bytes = &bytes[1..];
    }
    let (mantissa, exp10) = match bytes.iter().position(|&c| c == b'e') {
        Some(i) => {
            let (sign, digits) = match bytes.get(i + 1) {
                Some(b'-') => (-1, &bytes[i + 2..]),
                Some(b'+') => (1, &bytes[i + 2..]),
                _ => (1, &bytes[i + 1..]),
            };
            let magnitude = digits.iter().fold(0i32, |n, &d| {
                n.saturating_mul(10)
                    .saturating_add(i32::from(d.wrapping_sub(b'0')))
            });
            (&bytes[..i], sign * magnitude)
        }
        None => (bytes, 0),
    };
    // The significant digits, without leading and trailing zeros; `int`
    // mantissa digits stand before the point, `first` before the first
    // significant one.
    let mut digits = [0u8; 40];
    let mut n = 0;
    let (mut int, mut first) = (0i32, 0i32);
    let mut point = false;
    for &c in mantissa {
        if c == b'.' {
            point = true;
            continue;
        }
        if !point {
            int += 1;
        }
        if n == 0 && c == b'0' {
            first += 1;
        } else if let Some(slot) = digits.get_mut(n) {
            *slot = c;
            n += 1;
        }
    }
    while n > 0 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let digits = &digits[..n];
    let mut buf = [0u8; 64];
    let mut len = 0;
    let mut push = |c: u8| {
        if let Some(slot) = buf.get_mut(len) {
            *slot = c;
            len += 1;
        }
    };
    if negative {
        push(b'-');
    }
    if digits.is_empty() {
        // Zero (either sign).
        for &c in b"0.0" {
            push(c);
        }
        return out.put(&buf[..len]);
    }
    // e of d.ddd × 10^e: the first significant digit's place.
    let e = int - first - 1 + exp10;
    if PLAIN_EXPONENTS.contains(&e) {
        if e < 0 {
            push(b'0');
            push(b'.');
            for _ in 0..(-e - 1) {
                push(b'0');
            }
            digits.iter().for_each(|&c| push(c));
        } else {
            let int_len = (e + 1) as usize;
            for i in 0..int_len {
                push(digits.get(i).copied().unwrap_or(b'0'));
            }
            push(b'.');
            match digits.get(int_len..) {
                Some(rest) if !rest.is_empty() => rest.iter().for_each(|&c| push(c)),
                _ => push(b'0'),
            }
        }
    } else {
        push(digits[0]);
        if digits.len() > 1 {
            push(b'.');
            digits[1..].iter().for_each(|&c| push(c));
        }
        push(b'e');
        push(if e < 0 { b'-' } else { b'+' });
        let mut b = itoa::Buffer::new();
        b.format(e.unsigned_abs()).bytes().for_each(&mut push);
    }
    out.put(&buf[..len])
}

/// Whether `abs` lies near a notation threshold of `schema.md` §9 (a
/// shortest decimal with *e* = −6..=−5 or 12..=16): only there can zmij's
/// notation differ from the rule (for f32 it writes *e* = −6 plain and
/// 13..=15 scientific; its f64 notation is the rule's, which the tests
/// check over a sweep of every exponent). Elsewhere zmij's text is written
/// as it is, which saves [`write_decimal`]'s scan on the common values.
#[inline]
fn near_notation_threshold(abs: f64) -> bool {
    (0.9e-6..1.1e-5).contains(&abs) || (0.9e12..1.1e16).contains(&abs)
}

/// Whether `text`, a finite float as `zmij` writes it, already has the
/// notation of `schema.md` §9 (true of every f64 and of f32 but for *e* =
/// −6 and 13..=15), so that [`write_decimal`] can pass it through: scientific
/// as *d*[.*ddd*]`e`±*x* with *x* outside −5..=15, or plain with at most
/// 16 digits before the point and, below 1, at most 4 zeros after it.
fn in_notation(text: &[u8]) -> bool {
    let t = match text.split_first() {
        Some((b'-', rest)) => rest,
        _ => text,
    };
    match t.iter().position(|&c| c == b'e') {
        Some(i) => {
            let one_digit =
                matches!(t.first(), Some(b'1'..=b'9')) && (i == 1 || t.get(1) == Some(&b'.'));
            let (negative, digits) = match t.get(i + 1) {
                Some(b'-') => (true, &t[i + 2..]),
                Some(b'+') => (false, &t[i + 2..]),
                _ => return false,
            };
            // |x| ≥ 6 below, ≥ 16 above; no leading zeros.
            let far = match digits {
                [b'6'..=b'9'] => negative,
                [b'1', b'0'..=b'5'] => negative,
                [b'1'..=b'9', _, ..] => true,
                _ => false,
            };
            // No trailing zero or point in the digits.
            let trimmed = i > 0 && !matches!(t[i - 1], b'0' | b'.');
            one_digit && trimmed && far
        }
        None => {
            // A fraction without trailing zeros, or just `.0`.
            let trimmed = t.last() != Some(&b'0') || t.ends_with(b".0");
            trimmed
                && match t.iter().position(|&c| c == b'.') {
                    Some(1) if t[0] == b'0' => !t.starts_with(b"0.00000"),
                    Some(point) => (1..=16).contains(&point) && t[0] != b'0',
                    None => false,
                }
        }
    }
}

fn write_f32<O: Out>(out: &mut O, v: f32) -> Result<(), O::Error> {
    if v.is_finite() {
        let mut b = zmij::Buffer::new();
        let text = b.format_finite(v);
        if near_notation_threshold(f64::from(v.abs())) {
            write_decimal(out, text)
        } else {
            out.put(text.as_bytes())
        }
    } else if v.is_nan() {
        let bits = v.to_bits();
        if bits == f32::NAN.to_bits() {
            out.put(b"\"NaN\"")
        } else {
            out.put(std::format!("\"nan:0x{bits:08x}\"").as_bytes())
        }
    } else if v > 0.0 {
        out.put(b"\"inf\"")
    } else {
        out.put(b"\"-inf\"")
    }
}

fn write_f64<O: Out>(out: &mut O, v: f64) -> Result<(), O::Error> {
    if v.is_finite() {
        let mut b = zmij::Buffer::new();
        let text = b.format_finite(v);
        if near_notation_threshold(v.abs()) {
            write_decimal(out, text)
        } else {
            out.put(text.as_bytes())
        }
    } else if v.is_nan() {
        let bits = v.to_bits();
        if bits == f64::NAN.to_bits() {
            out.put(b"\"NaN\"")
        } else {
            out.put(std::format!("\"nan:0x{bits:016x}\"").as_bytes())
        }
    } else if v > 0.0 {
        out.put(b"\"inf\"")
    } else {
        out.put(b"\"-inf\"")
    }
}

// ---------------------------------------------------------------------------
// JSON → payload
// ---------------------------------------------------------------------------

/// Reads `json`, a JSON text of a value of type `ty` (as [`write_json`]
/// writes it), into that value's payload: the exact bytes it was written
/// from. Whitespace between tokens is allowed, object keys may come in any
/// order; everything else must be as the mapping says.
pub fn from_json(ty: Node<'_>, json: &str) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::with_capacity(json.len() / 2);
    from_json_into(ty, json, &mut out)?;
    Ok(out)
}

/// As [`from_json`], appending the payload to `out`; on error, `out` is left
/// as it was.
pub fn from_json_into(ty: Node<'_>, json: &str, out: &mut Vec<u8>) -> Result<(), JsonError> {
    let len = out.len();
    let mut p = Parser {
        text: json,
        s: json.as_bytes(),
        pos: 0,
    };
    let r = p.value(ty, out).and_then(|()| {
        p.ws();
        if p.pos == p.s.len() {
            Ok(())
        } else {
            p.fail(p.pos, JsonErrorKind::TrailingCharacters)
        }
    });
    r.inspect_err(|_| out.truncate(len))
}

type PResult<T> = Result<T, JsonError>;

struct Parser<'j> {
    text: &'j str,
    s: &'j [u8],
    pos: usize,
}

/// Bits of a NaN written `nan:0x…` (1 to `max_digits` hex digits).
fn nan_bits(s: &str, max_digits: usize) -> Option<u64> {
    let hex = s.strip_prefix("nan:0x")?;
    if hex.is_empty() || hex.len() > max_digits {
        return None;
    }
    hex.bytes()
        .try_fold(0u64, |acc, b| Some(acc << 4 | u64::from(hex_digit(b)?)))
}

impl<'j> Parser<'j> {
    fn fail<T>(&self, offset: usize, kind: JsonErrorKind) -> PResult<T> {
        Err(JsonError::Json { offset, kind })
    }

    fn syntax<T>(&self, what: &'static str) -> PResult<T> {
        self.fail(self.pos, JsonErrorKind::Syntax(what))
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8, what: &'static str) -> PResult<()> {
        if self.eat(c) {
            Ok(())
        } else {
            self.syntax(what)
        }
    }

    /// `word` at the current position (after whitespace).
    fn literal(&mut self, word: &[u8]) -> bool {
        self.ws();
        let end = self.pos + word.len();
        if self.s.get(self.pos..end) == Some(word) {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'j str {
        // Both ends sit next to ASCII bytes, so on char boundaries.
        self.text.get(start..end).unwrap_or("")
    }

    /// A string; `expected` describes what the type wanted, for the error
    /// when there is no string here.
    fn string(&mut self, expected: &'static str) -> PResult<Cow<'j, str>> {
        self.ws();
        let open = self.pos;
        if self.s.get(open) != Some(&b'"') {
            return self.fail(open, JsonErrorKind::Expected(expected));
        }
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.s.get(self.pos) {
                None => return self.fail(open, JsonErrorKind::Syntax("the end of the string")),
                Some(b'"') => {
                    let s = self.slice(start, self.pos);
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 => return self.syntax("no control character in a string"),
                _ => self.pos += 1,
            }
        }
        let mut buf = String::from(self.slice(start, self.pos));
        loop {
            match self.s.get(self.pos) {
                None => return self.fail(open, JsonErrorKind::Syntax("the end of the string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(buf));
                }
                Some(b'\\') => {
                    let esc_at = self.pos;
                    self.pos += 1;
                    let e = self.s.get(self.pos).copied();
                    self.pos += 1;
                    let c = match e {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return self.fail(
                                        esc_at,
                                        JsonErrorKind::Syntax("a low surrogate after a high one"),
                                    );
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return self.fail(
                                        esc_at,
                                        JsonErrorKind::Syntax("a low surrogate after a high one"),
                                    );
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            match char::from_u32(code) {
                                Some(c) => c,
                                None => {
                                    return self
                                        .fail(esc_at, JsonErrorKind::Syntax("no lone surrogate"));
                                }
                            }
                        }
                        _ => return self.fail(esc_at, JsonErrorKind::Syntax("a valid escape")),
                    };
                    buf.push(c);
                }
                Some(&b) if b < 0x20 => return self.syntax("no control character in a string"),
                _ => {
                    let run = self.pos;
                    while let Some(&b) = self.s.get(self.pos) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    buf.push_str(self.slice(run, self.pos));
                }
            }
        }
    }

    fn hex4(&mut self) -> PResult<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            match self.s.get(self.pos).copied().and_then(hex_digit) {
                Some(d) => v = v << 4 | u32::from(d),
                None => return self.syntax("four hex digits after \\u"),
            }
            self.pos += 1;
        }
        Ok(v)
    }

    /// A JSON number: its text, and whether it is an integer (no fraction,
    /// no exponent). `expected` is for the error when there is no number.
    fn number(&mut self, expected: &'static str) -> PResult<(&'j str, bool)> {
        self.ws();
        let start = self.pos;
        let s = self.s;
        let digit = |i: usize| matches!(s.get(i), Some(b'0'..=b'9'));
        let mut i = start;
        if s.get(i) == Some(&b'-') {
            i += 1;
        }
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return self.fail(start, JsonErrorKind::Expected(expected)),
        }
        let mut integer = true;
        if s.get(i) == Some(&b'.') {
            integer = false;
            i += 1;
            if !digit(i) {
                self.pos = i;
                return self.syntax("a digit after the decimal point");
            }
            while digit(i) {
                i += 1;
            }
        }
        if let Some(b'e' | b'E') = s.get(i) {
            integer = false;
            i += 1;
            if let Some(b'+' | b'-') = s.get(i) {
                i += 1;
            }
            if !digit(i) {
                self.pos = i;
                return self.syntax("a digit in the exponent");
            }
            while digit(i) {
                i += 1;
            }
        }
        self.pos = i;
        Ok((self.slice(start, i), integer))
    }

    /// An integer: its sign (true for negative) and magnitude.
    fn integer(&mut self) -> PResult<(bool, u128)> {
        const EXPECTED: &str = "an integer";
        let (text, integer) = self.number(EXPECTED)?;
        let at = self.pos - text.len();
        if !integer {
            return self.fail(
                at,
                JsonErrorKind::Expected("an integer (no fraction, no exponent)"),
            );
        }
        let (negative, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text),
        };
        let mut v: u128 = 0;
        for b in digits.bytes() {
            v = match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u128::from(b - b'0')))
            {
                Some(v) => v,
                None => return self.fail(at, JsonErrorKind::OutOfRange),
            };
        }
        Ok((negative, v))
    }

    fn unsigned(&mut self, max: u128) -> PResult<u128> {
        self.ws();
        let at = self.pos;
        match self.integer()? {
            (false, v) | (true, v @ 0) if v <= max => Ok(v),
            _ => self.fail(at, JsonErrorKind::OutOfRange),
        }
    }

    fn signed(&mut self, min: i128, max: i128) -> PResult<i128> {
        self.ws();
        let at = self.pos;
        let (negative, mag) = self.integer()?;
        let v = if negative {
            if mag > i128::MIN.unsigned_abs() {
                return self.fail(at, JsonErrorKind::OutOfRange);
            }
            (mag as i128).wrapping_neg()
        } else {
            match i128::try_from(mag) {
                Ok(v) => v,
                Err(_) => return self.fail(at, JsonErrorKind::OutOfRange),
            }
        };
        if v < min || v > max {
            return self.fail(at, JsonErrorKind::OutOfRange);
        }
        Ok(v)
    }

    /// A float: a number, or one of the strings for NaN and infinities.
    fn float<F: Float>(&mut self) -> PResult<F> {
        const EXPECTED: &str = "a number, \"NaN\", \"inf\", \"-inf\" or \"nan:0x…\"";
        let at = if self.peek() == Some(b'"') {
            let at = self.pos;
            let s = self.string(EXPECTED)?;
            return match &*s {
                "NaN" => Ok(F::NAN),
                "inf" => Ok(F::INFINITY),
                "-inf" => Ok(F::NEG_INFINITY),
                s => match nan_bits(s, F::HEX_DIGITS).and_then(F::nan_from_bits) {
                    Some(v) => Ok(v),
                    None => self.fail(at, JsonErrorKind::Expected(EXPECTED)),
                },
            };
        } else {
            self.pos
        };
        let (text, _) = self.number(EXPECTED)?;
        match F::parse(text) {
            Some(v) => Ok(v),
            None => self.fail(at, JsonErrorKind::OutOfRange),
        }
    }

    /// Moves past any JSON value (checking its syntax), without recursion.
    fn skip_value(&mut self) -> PResult<()> {
        let mut closers: Vec<u8> = Vec::new();
        loop {
            // A value.
            match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    if !self.eat(b'}') {
                        closers.push(b'}');
                        self.string("a key")?;
                        self.expect(b':', "':'")?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    if !self.eat(b']') {
                        closers.push(b']');
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string("a string")?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number("a number")?;
                }
                _ => {
                    if !(self.literal(b"true") || self.literal(b"false") || self.literal(b"null")) {
                        return self.syntax("a value");
                    }
                }
            }
            // After a value: close what ends here, or go on after a comma.
            loop {
                let Some(&close) = closers.last() else {
                    return Ok(());
                };
                if self.eat(b',') {
                    if close == b'}' {
                        self.string("a key")?;
                        self.expect(b':', "':'")?;
                    }
                    break;
                }
                if self.eat(close) {
                    closers.pop();
                    continue;
                }
                return self.syntax(if close == b'}' {
                    "',' or '}'"
                } else {
                    "',' or ']'"
                });
            }
        }
    }

    /// One value of type `ty`, appended to `out` as its payload encoding.
    fn value(&mut self, ty: Node<'_>, out: &mut Vec<u8>) -> PResult<()> {
        self.ws();
        let at = self.pos;
        match ty.kind() {
            Kind::Bool => {
                if self.literal(b"true") {
                    out.push(1);
                } else if self.literal(b"false") {
                    out.push(0);
                } else {
                    return self.fail(at, JsonErrorKind::Expected("true or false"));
                }
            }
            Kind::U8 => out.push(self.unsigned(u8::MAX.into())? as u8),
            Kind::U16 => put_varint(out, self.unsigned(u16::MAX.into())? as u64),
            Kind::U32 => put_varint(out, self.unsigned(u32::MAX.into())? as u64),
            Kind::U64 => put_varint(out, self.unsigned(u64::MAX.into())? as u64),
            Kind::U128 => put_varint128(out, self.unsigned(u128::MAX)?),
            Kind::I8 => out.push(self.signed(i8::MIN.into(), i8::MAX.into())? as i8 as u8),
            Kind::I16 => put_varint(
                out,
                zigzag(self.signed(i16::MIN.into(), i16::MAX.into())? as i64),
            ),
            Kind::I32 => put_varint(
                out,
                zigzag(self.signed(i32::MIN.into(), i32::MAX.into())? as i64),
            ),
            Kind::I64 => put_varint(
                out,
                zigzag(self.signed(i64::MIN.into(), i64::MAX.into())? as i64),
            ),
            Kind::I128 => put_varint128(out, zigzag128(self.signed(i128::MIN, i128::MAX)?)),
            Kind::F32 => out.extend_from_slice(&self.float::<f32>()?.to_le_bytes()),
            Kind::F64 => out.extend_from_slice(&self.float::<f64>()?.to_le_bytes()),
            Kind::Char => {
                const EXPECTED: &str = "a string of one char";
                let s = self.string(EXPECTED)?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => put_bytes(out, c.encode_utf8(&mut [0u8; 4]).as_bytes()),
                    _ => return self.fail(at, JsonErrorKind::Expected(EXPECTED)),
                }
            }
            Kind::String => {
                let s = self.string("a string")?;
                put_bytes(out, s.as_bytes());
            }
            Kind::Bytes => {
                const EXPECTED: &str = "a string of hex digits, two per byte";
                let s = self.string(EXPECTED)?;
                let hex = s.as_bytes();
                if hex.len() % 2 != 0 {
                    return self.fail(at, JsonErrorKind::Expected(EXPECTED));
                }
                put_varint(out, (hex.len() / 2) as u64);
                out.reserve(hex.len() / 2);
                for pair in hex.chunks_exact(2) {
                    match (hex_digit(pair[0]), hex_digit(pair[1])) {
                        (Some(h), Some(l)) => out.push(h << 4 | l),
                        _ => return self.fail(at, JsonErrorKind::Expected(EXPECTED)),
                    }
                }
            }
            Kind::Option(inner) => {
                if self.literal(b"null") {
                    out.push(0);
                } else {
                    out.push(1);
                    if maps_to_null(inner) {
                        if !self.eat(b'[') {
                            return self
                                .fail(at, JsonErrorKind::Expected("null, or [value] for some"));
                        }
                        self.value(inner, out)?;
                        self.expect(b']', "']' after the value of an option")?;
                    } else {
                        self.value(inner, out)?;
                    }
                }
            }
            Kind::Unit | Kind::UnitStruct { .. } => {
                if !self.literal(b"null") {
                    return self.fail(at, JsonErrorKind::Expected("null"));
                }
            }
            Kind::NewtypeStruct { inner, .. } => self.value(inner, out)?,
            Kind::Seq(element) => {
                self.counted(out, |p, out| p.value(element, out))?;
            }
            Kind::Tuple(types)
            | Kind::TupleStruct {
                elements: types, ..
            } => {
                self.fixed(types.count(), types, out)?;
            }
            Kind::Array { len, element } => {
                self.fixed(len as usize, core::iter::repeat(element), out)?;
            }
            Kind::Map { key, value } => {
                self.counted(out, |p, out| {
                    p.expect(b'[', "'[' to open a [key, value] pair")?;
                    p.value(key, out)?;
                    p.expect(b',', "',' between key and value")?;
                    p.value(value, out)?;
                    p.expect(b']', "']' to close a [key, value] pair")
                })?;
            }
            Kind::Struct { fields, .. } => self.object(fields, out)?,
            Kind::Enum { variants, .. } => {
                const EXPECTED: &str = "a variant: \"Name\", or {\"Name\": data}";
                let braced = match self.peek() {
                    Some(b'"') => false,
                    Some(b'{') => {
                        self.pos += 1;
                        true
                    }
                    _ => return self.fail(at, JsonErrorKind::Expected(EXPECTED)),
                };
                self.ws();
                let name_at = self.pos;
                let name = self.string("a variant name")?;
                let Some(variant) = { variants }.find(|v| v.name == name) else {
                    return self.fail(name_at, JsonErrorKind::UnknownVariant(name.into_owned()));
                };
                let unit = matches!(variant.kind, VariantKind::Unit);
                if unit && braced {
                    return self.fail(
                        at,
                        JsonErrorKind::Expected("a unit variant as its name, a string"),
                    );
                }
                if !unit && !braced {
                    return self.fail(
                        at,
                        JsonErrorKind::Expected("a variant with data as {\"Name\": data}"),
                    );
                }
                put_varint(out, u64::from(variant.index));
                if braced {
                    self.expect(b':', "':' after the variant name")?;
                    match variant.kind {
                        VariantKind::Newtype(inner) => self.value(inner, out)?,
                        VariantKind::Tuple(types) => self.fixed(types.count(), types, out)?,
                        VariantKind::Struct(fields) => self.object(fields, out)?,
                        VariantKind::Unit => {}
                    }
                    if !self.eat(b'}') {
                        return self.syntax("'}': a variant object has one key");
                    }
                }
            }
        }
        Ok(())
    }

    /// A JSON array of any length, written as a count and its elements.
    fn counted(
        &mut self,
        out: &mut Vec<u8>,
        mut element: impl FnMut(&mut Self, &mut Vec<u8>) -> PResult<()>,
    ) -> PResult<()> {
        self.ws();
        let at = self.pos;
        if !self.eat(b'[') {
            return self.fail(at, JsonErrorKind::Expected("an array"));
        }
        let mark = out.len();
        let mut n: u64 = 0;
        if !self.eat(b']') {
            loop {
                element(self, out)?;
                n += 1;
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b']') {
                    break;
                }
                return self.syntax("',' or ']'");
            }
        }
        if n < 0x80 {
            out.insert(mark, n as u8);
        } else {
            let mut buf = [0u8; crate::varint::MAX_LEN_U64];
            let count = crate::varint::encode_u64(n, &mut buf);
            out.splice(mark..mark, count.iter().copied());
        }
        Ok(())
    }

    /// A JSON array of exactly `len` elements of the given types.
    fn fixed<'t>(
        &mut self,
        len: usize,
        types: impl Iterator<Item = Node<'t>>,
        out: &mut Vec<u8>,
    ) -> PResult<()> {
        self.ws();
        let at = self.pos;
        if !self.eat(b'[') {
            return self.fail(at, JsonErrorKind::Expected("an array"));
        }
        for (i, t) in types.take(len).enumerate() {
            if i > 0 && !self.eat(b',') {
                if self.peek() == Some(b']') {
                    return self.fail(
                        at,
                        JsonErrorKind::Length {
                            expected: len,
                            found: i,
                        },
                    );
                }
                return self.syntax("',' or ']'");
            }
            if i == 0 && self.peek() == Some(b']') {
                return self.fail(
                    at,
                    JsonErrorKind::Length {
                        expected: len,
                        found: 0,
                    },
                );
            }
            self.value(t, out)?;
        }
        if self.eat(b']') {
            return Ok(());
        }
        let mut found = len;
        while self.eat(b',') {
            self.skip_value()?;
            found += 1;
        }
        if found > len && self.eat(b']') {
            return self.fail(
                at,
                JsonErrorKind::Length {
                    expected: len,
                    found,
                },
            );
        }
        self.syntax("',' or ']'")
    }

    /// A JSON object with the fields of a struct, in any order; written as
    /// the field values in definition order.
    fn object(&mut self, fields: Fields<'_>, out: &mut Vec<u8>) -> PResult<()> {
        self.ws();
        let at = self.pos;
        if !self.eat(b'{') {
            return self.fail(at, JsonErrorKind::Expected("an object"));
        }
        let start = self.pos;
        let mark = out.len();
        if self.object_in_order(fields, out)? {
            return Ok(());
        }
        // Keys out of order, or missing, unknown or repeated: note where each
        // value is, then read them in definition order.
        self.pos = start;
        out.truncate(mark);
        let list: Vec<FieldRef<'_>> = fields.collect();
        let mut found: Vec<Option<usize>> = std::vec![None; list.len()];
        if !self.eat(b'}') {
            loop {
                if self.peek() != Some(b'"') {
                    return self.syntax("a field name");
                }
                let key_at = self.pos;
                let key = self.string("a field name")?;
                let Some(i) = list.iter().position(|f| f.name == key) else {
                    return self.fail(key_at, JsonErrorKind::UnknownField(key.into_owned()));
                };
                if found[i].is_some() {
                    return self.fail(key_at, JsonErrorKind::DuplicateField(key.into_owned()));
                }
                self.expect(b':', "':' after the field name")?;
                self.ws();
                found[i] = Some(self.pos);
                self.skip_value()?;
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return self.syntax("',' or '}'");
            }
        }
        let end = self.pos;
        for (f, pos) in list.iter().zip(found) {
            match pos {
                Some(pos) => {
                    self.pos = pos;
                    self.value(f.ty, out)?;
                }
                None => return self.fail(at, JsonErrorKind::MissingField(f.name.into())),
            }
        }
        self.pos = end;
        Ok(())
    }

    /// The fast path of [`object`](Self::object): every field, in order.
    /// `Ok(false)` when the object is not like that.
    fn object_in_order(&mut self, fields: Fields<'_>, out: &mut Vec<u8>) -> PResult<bool> {
        for (i, f) in fields.enumerate() {
            if i > 0 && !self.eat(b',') {
                return Ok(false);
            }
            if self.peek() != Some(b'"') {
                return Ok(false);
            }
            let key = self.string("a field name")?;
            if key != f.name {
                return Ok(false);
            }
            self.expect(b':', "':' after the field name")?;
            self.value(f.ty, out)?;
        }
        Ok(self.eat(b'}'))
    }
}

/// f32 and f64, for reading.
trait Float: Copy {
    const NAN: Self;
    const INFINITY: Self;
    const NEG_INFINITY: Self;
    /// Hex digits of the bit pattern.
    const HEX_DIGITS: usize;
    /// The NaN with these bits; `None` if they are not a NaN.
    fn nan_from_bits(bits: u64) -> Option<Self>;
    /// The nearest float to a JSON number; `None` beyond the finite range.
    fn parse(text: &str) -> Option<Self>;
}

impl Float for f32 {
    const NAN: f32 = f32::NAN;
    const INFINITY: f32 = f32::INFINITY;
    const NEG_INFINITY: f32 = f32::NEG_INFINITY;
    const HEX_DIGITS: usize = 8;
    fn nan_from_bits(bits: u64) -> Option<f32> {
        let v = f32::from_bits(u32::try_from(bits).ok()?);
        v.is_nan().then_some(v)
    }
    fn parse(text: &str) -> Option<f32> {
        text.parse::<f32>().ok().filter(|v| v.is_finite())
    }
}

impl Float for f64 {
    const NAN: f64 = f64::NAN;
    const INFINITY: f64 = f64::INFINITY;
    const NEG_INFINITY: f64 = f64::NEG_INFINITY;
    const HEX_DIGITS: usize = 16;
    fn nan_from_bits(bits: u64) -> Option<f64> {
        let v = f64::from_bits(bits);
        v.is_nan().then_some(v)
    }
    fn parse(text: &str) -> Option<f64> {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

#[cfg(test)]
mod float_text_tests {
    //! The float text of `schema.md` §9, one rule for f32 and f64: plain
    //! notation when the decimal exponent *e* of *d*.*ddd* × 10^*e* is in
    //! −5..=15, otherwise scientific with the exponent's sign always
    //! written. Every expected text below is written by hand from that rule
    //! (the shortest digits checked against Python's `repr` and a
    //! shortest-f32 search), not produced by the code under test.

    use super::{from_json, write_f32, write_f64, VecOut};
    use crate::schema::Definition;
    use std::string::String;
    use std::vec::Vec;

    fn f32_text(v: f32) -> String {
        let mut out = Vec::new();
        write_f32(&mut VecOut(&mut out), v).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn f64_text(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut VecOut(&mut out), v).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// `text` reads back (as `from_json` reads it) to the bits it came from.
    fn reads_back(tag: u8, text: &str, bits: &[u8]) {
        let bytes = [tag];
        let def = Definition::parse(&bytes).unwrap();
        assert_eq!(
            from_json(def.root().unwrap(), text).unwrap(),
            bits,
            "{text}"
        );
    }

    const F32_CASES: &[(f32, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (0.1, "0.1"),
        (1.0, "1.0"),
        (123456.7, "123456.7"),
        (16777216.0, "16777216.0"),
        // Lower threshold: e = −5 is plain, e = −6 scientific.
        (1e-5, "0.00001"),
        (-1e-5, "-0.00001"),
        (1.0000001e-5, "0.000010000001"),
        (1.2345678e-5, "0.000012345678"),
        (9.999999e-6, "9.999999e-6"), // the f32 just below 1e-5
        (-9.999999e-6, "-9.999999e-6"),
        (1e-6, "1e-6"),
        (-1e-6, "-1e-6"),
        (1.2345678e-6, "1.2345678e-6"),
        (1.5e-7, "1.5e-7"),
        // Upper threshold: e = 15 is plain, e = 16 scientific.
        (1e12, "1000000000000.0"),
        (1e13, "10000000000000.0"),
        (1e15, "1000000000000000.0"),
        (-1e15, "-1000000000000000.0"),
        (9.999999e15, "9999999000000000.0"), // the f32 just below 1e16
        (1e16, "1e+16"),
        (-1e16, "-1e+16"),
        (1.0000001e16, "1.0000001e+16"),
        // Limits and subnormals.
        (f32::MAX, "3.4028235e+38"),
        (f32::MIN, "-3.4028235e+38"),
        (f32::MIN_POSITIVE, "1.1754944e-38"),
        (f32::EPSILON, "1.1920929e-7"),
        // A tie between two shortest candidates goes to the even digit.
        (522429.0 + 0.125, "522429.12"),
        (-(522429.0 + 0.375), "-522429.38"),
    ];

    const F32_BITS_CASES: &[(u32, &str)] = &[
        (0x0000_0001, "1e-45"), // the smallest subnormal
        (0x0000_0002, "3e-45"),
        (0x8000_0001, "-1e-45"),
        (0x007F_FFFF, "1.1754942e-38"), // the largest subnormal
    ];

    const F64_CASES: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (0.1, "0.1"),
        (0.30000000000000004, "0.30000000000000004"),
        (1.0, "1.0"),
        // Lower threshold.
        (1e-5, "0.00001"),
        (-1e-5, "-0.00001"),
        (1.2345678e-5, "0.000012345678"),
        (1.2345678901234568e-5, "0.000012345678901234568"),
        (9.999999e-6, "9.999999e-6"),
        (9.999999999999999e-6, "9.999999999999999e-6"), // the f64 just below 1e-5
        (1e-6, "1e-6"),
        (-1e-6, "-1e-6"),
        (1.0000000000000002e-6, "1.0000000000000002e-6"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        // Upper threshold.
        (1e13, "10000000000000.0"),
        (123456789012345.67, "123456789012345.67"),
        (1e15, "1000000000000000.0"),
        (1000000000000000.2, "1000000000000000.2"),
        (-1e15, "-1000000000000000.0"),
        (9.999999e15, "9999999000000000.0"),
        (9999999999999998.0, "9999999999999998.0"), // the f64 just below 1e16
        (1e16, "1e+16"),
        (-1e16, "-1e+16"),
        (1.0000000000000002e16, "1.0000000000000002e+16"),
        (1e22, "1e+22"),
        (1e300, "1e+300"),
        // f32 limits as f64 values: their f64 digits.
        (3.4028234663852886e38, "3.4028234663852886e+38"),
        // Limits and subnormals.
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::MIN, "-1.7976931348623157e+308"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (f64::EPSILON, "2.220446049250313e-16"),
    ];

    const F64_BITS_CASES: &[(u64, &str)] = &[
        (0x0000_0000_0000_0001, "5e-324"), // the smallest subnormal
        (0x8000_0000_0000_0001, "-5e-324"),
        (0x000F_FFFF_FFFF_FFFF, "2.225073858507201e-308"), // the largest subnormal
    ];

    #[test]
    fn float_text_f32_at_every_threshold() {
        for &(v, text) in F32_CASES {
            assert_eq!(f32_text(v), text, "f32 {v:e}");
            reads_back(0x0C, text, &v.to_le_bytes());
        }
        for &(bits, text) in F32_BITS_CASES {
            let v = f32::from_bits(bits);
            assert_eq!(f32_text(v), text, "f32 bits {bits:#010x}");
            reads_back(0x0C, text, &v.to_le_bytes());
        }
    }

    #[test]
    fn float_text_f64_at_every_threshold() {
        for &(v, text) in F64_CASES {
            assert_eq!(f64_text(v), text, "f64 {v:e}");
            reads_back(0x0D, text, &v.to_le_bytes());
        }
        for &(bits, text) in F64_BITS_CASES {
            let v = f64::from_bits(bits);
            assert_eq!(f64_text(v), text, "f64 bits {bits:#018x}");
            reads_back(0x0D, text, &v.to_le_bytes());
        }
    }

    /// `write_decimal` takes digits in either notation (what zmij gives for
    /// f32 at e = −6 and 13..=15 among them) to the rule's.
    #[test]
    fn write_decimal_rewrites_either_notation_to_the_rule() {
        for (from, to) in [
            ("0.000001", "1e-6"),
            ("-0.0000099", "-9.9e-6"),
            ("0.0000012345678", "1.2345678e-6"),
            ("1e+13", "10000000000000.0"),
            ("-1.2345e+14", "-123450000000000.0"),
            ("9.999999e+15", "9999999000000000.0"),
            ("1.5e-5", "0.000015"),
            ("1e-5", "0.00001"),
            ("123", "123.0"),
            ("12e+5", "1200000.0"),
            ("10000000000000000.0", "1e+16"),
            ("0.00", "0.0"),
            ("-0e+0", "-0.0"),
            ("1.50e+20", "1.5e+20"),
            ("2.e+20", "2e+20"),
            ("0.10", "0.1"),
            // Already in the rule's notation: unchanged.
            ("0.00001", "0.00001"),
            ("1e-6", "1e-6"),
            ("1e+16", "1e+16"),
            ("1000000000000000.0", "1000000000000000.0"),
            ("3.4028235e+38", "3.4028235e+38"),
            ("5e-324", "5e-324"),
            ("-0.0", "-0.0"),
        ] {
            let mut out = Vec::new();
            super::write_decimal(&mut VecOut(&mut out), from).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), to, "{from}");
        }
        for (text, passes) in [
            ("0.00001", true),
            ("0.000001", false),
            ("1e-6", true),
            ("1e-5", false),
            ("1e+15", false),
            ("1e+16", true),
            ("1.5e-10", true),
            ("1000000000000000.0", true),
            ("10000000000000000.0", false),
            ("0.0", true),
            ("123", false),
            ("12e+5", false),
            ("0.00", false),
            ("1.50e+20", false),
            ("1.e+20", false),
            ("e+20", false),
            ("16777216.0", true),
            ("0.10", false),
        ] {
            assert_eq!(super::in_notation(text.as_bytes()), passes, "{text}");
        }
    }

    #[test]
    fn float_text_same_rule_for_f32_and_f64() {
        // Values whose shortest digits are the same as f32 and as f64 get
        // the same text from both.
        for &(v, text) in &[
            (1e-5f32, "0.00001"),
            (1e-6, "1e-6"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (9.999999e-6, "9.999999e-6"),
            (9.999999e15, "9999999000000000.0"),
            (1.5e-7, "1.5e-7"),
            (1.2345678e-5, "0.000012345678"),
        ] {
            let wide: f64 = text.parse().unwrap();
            assert_eq!(f32_text(v), text);
            assert_eq!(f64_text(wide), text);
        }
    }

    /// The shortest digits of `v` by Rust's own formatting, not zmij's:
    /// `{:e}` gives how many; `{:.N$e}` (exact, ties to even) the nearest
    /// decimal with that many, which is the one §9 asks for when it reads
    /// back to `v` — `{:e}` alone does not always break a tie to even
    /// (f32 522429.125 is `5.2242913e5` there, `522429.12` by the rule).
    fn shortest<T: core::fmt::LowerExp + core::str::FromStr + PartialEq + Copy>(v: T) -> String {
        let short = std::format!("{v:e}");
        let mantissa = short.split('e').next().unwrap();
        let n = mantissa.chars().filter(char::is_ascii_digit).count();
        let nearest = std::format!("{v:.*e}", n - 1);
        if nearest.parse::<T>().ok() == Some(v) {
            nearest
        } else {
            short
        }
    }

    /// The rule, written independently of `write_decimal`, over digits in
    /// Rust's `{:e}` form.
    fn by_the_rule(lower_exp: &str) -> String {
        let (neg, rest) = match lower_exp.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, lower_exp),
        };
        let (mantissa, exp) = rest.split_once('e').unwrap();
        let e: i32 = exp.parse().unwrap();
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let digits = digits.trim_end_matches('0');
        let sign = if neg { "-" } else { "" };
        if digits.is_empty() {
            return std::format!("{sign}0.0");
        }
        if (-5..=15).contains(&e) {
            if e < 0 {
                let zeros = "0".repeat((-e - 1) as usize);
                std::format!("{sign}0.{zeros}{digits}")
            } else {
                let int_len = (e + 1) as usize;
                let mut int = String::from(&digits[..int_len.min(digits.len())]);
                while int.len() < int_len {
                    int.push('0');
                }
                let frac = digits
                    .get(int_len..)
                    .filter(|f| !f.is_empty())
                    .unwrap_or("0");
                std::format!("{sign}{int}.{frac}")
            }
        } else {
            let (first, more) = digits.split_at(1);
            let point = if more.is_empty() { "" } else { "." };
            let esign = if e < 0 { '-' } else { '+' };
            std::format!("{sign}{first}{point}{more}e{esign}{}", e.unsigned_abs())
        }
    }

    #[test]
    fn float_text_follows_the_rule_over_a_sweep() {
        // A deterministic sweep of bit patterns: every binary exponent, the
        // neighbours of every power of ten in range, and pseudo-random bits.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut f32s: Vec<f32> = Vec::new();
        let mut f64s: Vec<f64> = Vec::new();
        for _ in 0..100_000 {
            f32s.push(f32::from_bits(next() as u32));
            f64s.push(f64::from_bits(next()));
        }
        // Dense around both thresholds and the band edges of
        // `near_notation_threshold`: 2,000 values in each decade.
        for p in -8..=17 {
            for _ in 0..2_000 {
                let m = 1.0 + 9.0 * (next() >> 11) as f64 / (1u64 << 53) as f64;
                let v: f64 = std::format!("{m}e{p}").parse().unwrap();
                f64s.push(v);
                f64s.push(-v);
                f32s.push(v as f32);
            }
        }
        for p in -45..=38 {
            let v: f32 = std::format!("1e{p}").parse().unwrap();
            let b = v.to_bits();
            f32s.extend([b - 1, b, b + 1].map(f32::from_bits));
        }
        for p in -323..=308 {
            let v: f64 = std::format!("1e{p}").parse().unwrap();
            let b = v.to_bits();
            f64s.extend([b - 1, b, b + 1].map(f64::from_bits));
        }
        let mut checked = 0;
        for v in f32s.into_iter().filter(|v| v.is_finite()) {
            assert_eq!(f32_text(v), by_the_rule(&shortest(v)), "f32 {v:e}");
            checked += 1;
        }
        for v in f64s.into_iter().filter(|v| v.is_finite()) {
            assert_eq!(f64_text(v), by_the_rule(&shortest(v)), "f64 {v:e}");
            checked += 1;
        }
        assert!(checked > 340_000, "{checked}");
    }
}
