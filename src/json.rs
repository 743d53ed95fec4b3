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

use std::fmt;
use std::io;
use std::string::String;
use std::vec::Vec;

use crate::dynamic::{self, Reader};
use crate::schema::{Fields, Kind, Node, VariantKind};

/// Converting between payloads and JSON failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Writing the JSON failed.
    Io(io::Error),
    /// The payload does not follow its definition (spec `schema.md` §6).
    Payload(dynamic::Error),
    /// The JSON text does not map to a value of the type.
    Json {
        /// Byte offset in the JSON text.
        offset: usize,
        /// What was wrong.
        kind: ErrorKind,
    },
}

/// What was wrong with a JSON text, in [`Error::Json`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
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

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Syntax(what) => write!(f, "malformed JSON: expected {what}"),
            ErrorKind::Expected(what) => write!(f, "expected {what}"),
            ErrorKind::OutOfRange => f.write_str("number out of range for its type"),
            ErrorKind::Length { expected, found } => {
                write!(f, "expected {expected} elements, found {found}")
            }
            ErrorKind::UnknownField(name) => write!(f, "unknown field {name:?}"),
            ErrorKind::DuplicateField(name) => write!(f, "duplicate field {name:?}"),
            ErrorKind::MissingField(name) => write!(f, "missing field {name:?}"),
            ErrorKind::UnknownVariant(name) => write!(f, "unknown variant {name:?}"),
            ErrorKind::TrailingCharacters => f.write_str("text after the value"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "writing JSON: {e}"),
            Error::Payload(e) => e.fmt(f),
            Error::Json { offset, kind } => write!(f, "at JSON byte {offset}: {kind}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Payload(e) => Some(e),
            Error::Json { .. } => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<dynamic::Error> for Error {
    fn from(e: dynamic::Error) -> Self {
        Error::Payload(e)
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
) -> Result<(), Error> {
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
    pub fn write<W: io::Write + ?Sized>(&self, payload: &[u8], out: &mut W) -> Result<(), Error> {
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

    /// Appends the JSON of the value at the start of `payload` to `out` and
    /// returns the bytes the value took; the bytes after it are not read (a
    /// field of a larger payload: a CSV column). On a fault, `out` is left as
    /// it was.
    ///
    /// ```
    /// use koffer::json::Exporter;
    /// use koffer::schema::{Definition, Describe};
    /// let def = Definition::parse(koffer::definition!(<u16 as Describe>::TYPE)).unwrap();
    /// let mut out = Vec::new();
    /// let n = Exporter::new(def.root().unwrap()).append_prefix(&[0xAC, 0x02, 9, 9], &mut out).unwrap();
    /// assert_eq!((n, out.as_slice()), (2, &b"300"[..]));
    /// ```
    pub fn append_prefix(
        &self,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<usize, dynamic::Error> {
        let len = out.len();
        let mut r = Reader::new(payload);
        self.run(self.root, &mut r, &mut VecOut(out))
            .inspect_err(|_| out.truncate(len))?;
        Ok(r.pos)
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
    type Error = Error;
    #[inline]
    fn put(&mut self, b: &[u8]) -> Result<(), Error> {
        self.0.write_all(b).map_err(Error::Io)
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

/// An `f64` as its `schema.md` §9 text (`5.0`, `1e-6`, `"NaN"`).
#[cfg(feature = "share")]
pub(crate) fn f64_text(v: f64) -> String {
    let mut o = Vec::new();
    let _ = write_f64(&mut VecOut(&mut o), v);
    String::from_utf8(o).unwrap_or_default()
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

/// Appends the JSON of an `f64` as an [`Exporter`] writes it (spec
/// `schema.md` §9): the shortest decimal that reads back to the same value,
/// or a string for NaN and the infinities (a CSV cell, a column of text).
///
/// ```
/// let mut out = Vec::new();
/// for v in [0.1, 1e16, -0.0, f64::NAN] {
///     koffer::json::append_f64(v, &mut out);
///     out.push(b' ');
/// }
/// assert_eq!(out, b"0.1 1e+16 -0.0 \"NaN\" ");
/// ```
#[inline]
pub fn append_f64(v: f64, out: &mut Vec<u8>) {
    let _ = write_f64(&mut VecOut(out), v);
}

/// Appends the JSON of an `f32` as an [`Exporter`] writes it
/// ([`append_f64`] for `f32`).
///
/// ```
/// let mut out = Vec::new();
/// for v in [0.1f32, 1e-6, f32::INFINITY] {
///     koffer::json::append_f32(v, &mut out);
///     out.push(b' ');
/// }
/// assert_eq!(out, b"0.1 1e-6 \"inf\" ");
/// ```
#[inline]
pub fn append_f32(v: f32, out: &mut Vec<u8>) {
    let _ = write_f32(&mut VecOut(out), v);
}

// ---------------------------------------------------------------------------
// JSON → payload
// ---------------------------------------------------------------------------

mod from_json;

pub use from_json::{from_json, from_json_into, ImportSeed, Importer};
