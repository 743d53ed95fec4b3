//! JSON → payload: the §9 JSON text of a value, read by `serde_json` and
//! written as the value's payload bytes, driven by the definition.
//!
//! `serde_json` does all the JSON: tokens, whitespace, string escapes,
//! nesting, numbers. A [`DeserializeSeed`] per type (the [`Value`] seed and
//! the visitors it hands `serde_json`) says what each value must be and
//! writes its postcard encoding as it goes, with no tree in between.
//! Integers within 64 bits come as `serde_json` read them; any other number
//! is read again from its text (a slice of the input), so integers keep every
//! digit (u128 and i128 included) and an f32 is read from its text as an f32,
//! not through an f64 (no double rounding). Every fault points at the byte
//! where its value (or key) starts: the seeds follow where each value they
//! see ends (`Cx::last`).
//!
//! Faults of the mapping are recorded in the seeds' shared context (`Cx`)
//! as a [`ErrorKind`](super::ErrorKind) with the text offset, and handed to `serde_json`
//! as an opaque error to unwind with; faults of the JSON itself are
//! `serde_json`'s, turned into a [`ErrorKind`](super::ErrorKind) and a byte offset.
//!
//! Bounds: the seeds recurse once per level of the definition (at most 32,
//! spec `schema.md` §7), each level adding at most two JSON levels (an
//! option's `[value]`, a map's pair, a variant's object), within
//! `serde_json`'s own limit of 128; skipped values (excess elements) are
//! skipped by `serde_json` without recursion. What is written is at most a
//! few times the text's length (an f64 written `0` is eight bytes; every
//! value, count and buffer comes from a token of the text).

use std::borrow::Cow;
use std::boxed::Box;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::string::ToString;
use std::vec::Vec;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess};
use serde::de::{SeqAccess, Visitor};

use super::{maps_to_null, Error as JsonError, ErrorKind as JsonErrorKind};
use crate::schema::{Fields, Kind, Node, VariantKind};
use crate::value::put_bytes;
use crate::varint::{push_u128 as put_varint128, push_u64 as put_varint, zigzag, zigzag128};

/// Reads `json`, a JSON text of a value of type `ty` (as [`write_json`]
/// writes it), into that value's payload: the exact bytes it was written
/// from. Whitespace between tokens is allowed, object keys may come in any
/// order; everything else must be as the mapping says.
///
/// [`write_json`]: super::write_json
///
/// ```
/// use koffer::json::{from_json, Error, ErrorKind};
/// use koffer::schema::{Definition, Describe};
///
/// let def = Definition::parse(koffer::definition!(<(u8, Option<bool>) as Describe>::TYPE)).unwrap();
/// let ty = def.root().unwrap();
/// assert_eq!(from_json(ty, "[1, true]").unwrap(), [1, 1, 1]);
/// assert!(matches!(
///     from_json(ty, "[1, 2]"),
///     Err(Error::Json { offset: 4, kind: ErrorKind::Expected("true or false") })
/// ));
/// ```
pub fn from_json(ty: Node<'_>, json: &str) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::with_capacity(json.len() / 2);
    Importer::new(ty).append(json, &mut out)?;
    Ok(out)
}

/// As [`from_json`], appending the payload to `out`; on error, `out` is left
/// as it was.
///
/// ```
/// use koffer::schema::{Definition, Describe};
///
/// let def = Definition::parse(koffer::definition!(<Vec<u16> as Describe>::TYPE)).unwrap();
/// let ty = def.root().unwrap();
/// let mut out = vec![9];
/// koffer::json::from_json_into(ty, "[1,300]", &mut out).unwrap();
/// assert_eq!(out, [9, 2, 1, 0xAC, 0x02]);
/// assert!(koffer::json::from_json_into(ty, "[1,70000]", &mut out).is_err());
/// assert_eq!(out, [9, 2, 1, 0xAC, 0x02]);
/// ```
pub fn from_json_into(ty: Node<'_>, json: &str, out: &mut Vec<u8>) -> Result<(), JsonError> {
    Importer::new(ty).append(json, out)
}

/// Reads JSON texts of values of one type into payloads, as [`from_json`]
/// does, with the definition read once: [`Importer::new`] compiles it into a
/// plan (field and variant names checked and copied once), which every
/// [`Importer::append`] follows. For many records of one type, as the
/// [`Exporter`](super::Exporter) is for writing them.
///
/// ```
/// use koffer::json::Importer;
/// use koffer::schema::{Definition, Describe};
///
/// #[derive(koffer::Describe)]
/// struct P { x: u8, y: Option<bool> }
///
/// let def = Definition::parse(koffer::definition!(<P as Describe>::TYPE)).unwrap();
/// let import = Importer::new(def.root().unwrap());
/// let mut payloads = Vec::new();
/// for json in [r#"{"x":1,"y":null}"#, r#"{"y":true,"x":2}"#] {
///     import.append(json, &mut payloads).unwrap();
/// }
/// assert_eq!(payloads, [1, 0, 2, 1, 1]);
/// assert!(import.append(r#"{"x":1}"#, &mut payloads).is_err());
/// assert_eq!(payloads.len(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct Importer {
    root: Plan,
}

impl Importer {
    /// Compiles the plan of type `ty`. Work and memory are bounded by the
    /// size of the definition.
    pub fn new(ty: Node<'_>) -> Importer {
        Importer {
            root: Plan::compile(ty),
        }
    }

    /// Reads `json` into its payload, appended to `out`; on error, `out` is
    /// left as it was.
    pub fn append(&self, json: &str, out: &mut Vec<u8>) -> Result<(), JsonError> {
        read_into(&self.root, json, out)
    }
}

/// Reads one value of an [`Importer`]'s type where it stands in a larger
/// JSON text, from the `serde_json` deserializer reading that text: a record
/// object read in one pass, its value written as payload bytes while the
/// object's other keys are read around it.
///
/// [`ImportSeed::to`] gives the [`DeserializeSeed`] that reads the value;
/// after the deserializer fails, [`ImportSeed::error`] tells where and why,
/// as [`Importer::append`] would have.
///
/// ```
/// use koffer::json::Importer;
/// use koffer::schema::{Definition, Describe};
/// use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
///
/// // The value of key "v" of an object, read in place.
/// struct V<'a, 'j>(&'a Importer, &'j str, &'a mut Vec<u8>);
/// impl<'j> Visitor<'j> for V<'_, 'j> {
///     type Value = ();
///     fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
///         f.write_str("an object")
///     }
///     fn visit_map<A: MapAccess<'j>>(self, mut map: A) -> Result<(), A::Error> {
///         while let Some(key) = map.next_key::<&'j str>()? {
///             if key == "v" {
///                 // Where the key ends: the value comes after it.
///                 let at = key.as_ptr() as usize - self.1.as_ptr() as usize + key.len() + 1;
///                 map.next_value_seed(self.0.seed(self.1, at).to(&mut *self.2))?;
///             } else {
///                 map.next_value::<IgnoredAny>()?;
///             }
///         }
///         Ok(())
///     }
/// }
///
/// let def = Definition::parse(koffer::definition!(<(u8, u16) as Describe>::TYPE)).unwrap();
/// let import = Importer::new(def.root().unwrap());
/// let text = r#"{"n": "x", "v": [7, 300]}"#;
/// let mut out = Vec::new();
/// serde_json::Deserializer::from_str(text).deserialize_map(V(&import, text, &mut out)).unwrap();
/// assert_eq!(out, [7, 0xAC, 0x02]);
///
/// let text = r#"{"v": [7, 70000]}"#;
/// let seed = import.seed(text, 4);
/// let mut de = serde_json::Deserializer::from_str(text);
/// let e = de.deserialize_map(Only(&seed)).unwrap_err();
/// assert!(matches!(seed.error(&e), koffer::json::Error::Json { offset: 10, .. }));
/// # struct Only<'s, 'p, 'j>(&'s koffer::json::ImportSeed<'p, 'j>);
/// # impl<'j> Visitor<'j> for Only<'_, '_, 'j> {
/// #     type Value = ();
/// #     fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { f.write_str("") }
/// #     fn visit_map<A: MapAccess<'j>>(self, mut map: A) -> Result<(), A::Error> {
/// #         map.next_key::<&str>()?;
/// #         map.next_value_seed(self.0.to(&mut Vec::new()))
/// #     }
/// # }
/// ```
pub struct ImportSeed<'p, 'j> {
    plan: &'p Plan,
    cx: Cx<'j>,
}

impl Importer {
    /// A seed for one value that starts in `text`, the whole text the
    /// deserializer reads, at `at` or after it, past whitespace and `:` (for
    /// the offsets of faults).
    pub fn seed<'p, 'j>(&'p self, text: &'j str, at: usize) -> ImportSeed<'p, 'j> {
        ImportSeed {
            plan: &self.root,
            cx: Cx {
                text,
                last: Cell::new(at),
                pending: Cell::new(""),
                fault: RefCell::new(None),
            },
        }
    }
}

impl<'j> ImportSeed<'_, 'j> {
    /// The seed that reads the value, appending its payload to `out`.
    pub fn to<'s>(&'s self, out: &'s mut Vec<u8>) -> impl DeserializeSeed<'j, Value = ()> + 's {
        Value {
            ty: self.plan,
            cx: &self.cx,
            out,
        }
    }

    /// Where and why reading failed with `e`, the deserializer's error:
    /// offsets are in the whole text.
    pub fn error(&self, e: &serde_json::Error) -> JsonError {
        let (offset, kind) = match self.cx.fault.borrow_mut().take() {
            Some(fault) => fault,
            None => self.cx.serde_fault(e),
        };
        JsonError::Json { offset, kind }
    }
}

/// A type as the seeds follow it: the definition read once, names checked.
#[derive(Debug, Clone)]
enum Plan {
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
        inner: Box<Plan>,
        /// The inner type maps to `null`: some is `[value]`.
        wrap: bool,
    },
    Seq(Box<Plan>),
    Map(Box<Plan>, Box<Plan>),
    /// tuple, tuple struct
    Tuple(Vec<Plan>),
    Array {
        len: usize,
        element: Box<Plan>,
    },
    Struct(Vec<FieldPlan>),
    Enum(Vec<VariantPlan>),
}

#[derive(Debug, Clone)]
struct FieldPlan {
    name: Box<str>,
    ty: Plan,
}

#[derive(Debug, Clone)]
struct VariantPlan {
    index: u32,
    name: Box<str>,
    data: VariantDataPlan,
}

#[derive(Debug, Clone)]
enum VariantDataPlan {
    Unit,
    Newtype(Plan),
    Tuple(Vec<Plan>),
    Struct(Vec<FieldPlan>),
}

impl Plan {
    /// The plan of `ty`. Recursion is bounded by the definition's depth
    /// limit; a newtype struct is its inner value.
    fn compile(ty: Node<'_>) -> Plan {
        match ty.kind() {
            Kind::Bool => Plan::Bool,
            Kind::U8 => Plan::U8,
            Kind::U16 => Plan::U16,
            Kind::U32 => Plan::U32,
            Kind::U64 => Plan::U64,
            Kind::U128 => Plan::U128,
            Kind::I8 => Plan::I8,
            Kind::I16 => Plan::I16,
            Kind::I32 => Plan::I32,
            Kind::I64 => Plan::I64,
            Kind::I128 => Plan::I128,
            Kind::F32 => Plan::F32,
            Kind::F64 => Plan::F64,
            Kind::Char => Plan::Char,
            Kind::String => Plan::Str,
            Kind::Bytes => Plan::Bytes,
            Kind::Unit | Kind::UnitStruct { .. } => Plan::Null,
            Kind::NewtypeStruct { inner, .. } => Plan::compile(inner),
            Kind::Option(inner) => Plan::Option {
                inner: Box::new(Plan::compile(inner)),
                wrap: maps_to_null(inner),
            },
            Kind::Seq(element) => Plan::Seq(Box::new(Plan::compile(element))),
            Kind::Map { key, value } => {
                Plan::Map(Box::new(Plan::compile(key)), Box::new(Plan::compile(value)))
            }
            Kind::Tuple(types)
            | Kind::TupleStruct {
                elements: types, ..
            } => Plan::Tuple(types.map(Plan::compile).collect()),
            Kind::Array { len, element } => Plan::Array {
                len: len as usize,
                element: Box::new(Plan::compile(element)),
            },
            Kind::Struct { fields, .. } => Plan::Struct(FieldPlan::compile(fields)),
            Kind::Enum { variants, .. } => Plan::Enum(
                variants
                    .map(|v| VariantPlan {
                        index: v.index,
                        name: v.name.into(),
                        data: match v.kind {
                            VariantKind::Unit => VariantDataPlan::Unit,
                            VariantKind::Newtype(ty) => VariantDataPlan::Newtype(Plan::compile(ty)),
                            VariantKind::Tuple(types) => {
                                VariantDataPlan::Tuple(types.map(Plan::compile).collect())
                            }
                            VariantKind::Struct(fields) => {
                                VariantDataPlan::Struct(FieldPlan::compile(fields))
                            }
                        },
                    })
                    .collect(),
            ),
        }
    }
}

impl FieldPlan {
    fn compile(fields: Fields<'_>) -> Vec<FieldPlan> {
        fields
            .map(|f| FieldPlan {
                name: f.name.into(),
                ty: Plan::compile(f.ty),
            })
            .collect()
    }
}

/// Reads `json`, a value of plan `ty`, appending its payload to `out`.
fn read_into(ty: &Plan, json: &str, out: &mut Vec<u8>) -> Result<(), JsonError> {
    let len = out.len();
    let cx = Cx {
        text: json,
        last: Cell::new(0),
        pending: Cell::new(""),
        fault: RefCell::new(None),
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let r = Value { ty, cx: &cx, out }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    r.map_err(|e| {
        out.truncate(len);
        let (offset, kind) = match cx.fault.take() {
            Some(fault) => fault,
            None => cx.serde_fault(&e),
        };
        JsonError::Json { offset, kind }
    })
}

/// What the seeds share while reading one text.
struct Cx<'j> {
    text: &'j str,
    /// Where the last value the seeds saw ends (or, inside an array or an
    /// object, where it starts): the next value starts after whitespace and
    /// punctuation from here. Only for the offsets of faults.
    last: Cell<usize>,
    /// What the value being read must be, for `serde_json`'s faults of a
    /// missing value ("" while skipping).
    pending: Cell<&'static str>,
    /// The fault a seed found.
    fault: RefCell<Option<(usize, JsonErrorKind)>>,
}

/// A `serde_json` error carrying a fault recorded in [`Cx::fault`]; its
/// message, for whoever sees it, is the fault's.
struct Recorded<'k>(&'k JsonErrorKind);

impl fmt::Display for Recorded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

const EXPECTED_ARRAY: &str = "an array";
const EXPECTED_OBJECT: &str = "an object";
const EXPECTED_INTEGER: &str = "an integer";
const EXPECTED_FLOAT: &str = "a number, \"NaN\", \"inf\", \"-inf\" or \"nan:0x…\"";
const EXPECTED_CHAR: &str = "a string of one char";
const EXPECTED_BYTES: &str = "a string of hex digits, two per byte";
const EXPECTED_SOME: &str = "null, or [value] for some";
const EXPECTED_OPTION: &str = "null or a value";
const EXPECTED_PAIR: &str = "a [key, value] pair";
const EXPECTED_VARIANT: &str = "a variant: \"Name\", or {\"Name\": data}";

impl<'j> Cx<'j> {
    /// Records a fault at `offset` and returns the error to unwind with.
    fn fail<T, E: de::Error>(&self, offset: usize, kind: JsonErrorKind) -> Result<T, E> {
        let e = E::custom(Recorded(&kind));
        *self.fault.borrow_mut() = Some((offset, kind));
        Err(e)
    }

    /// Where `s`, a slice of the text, starts in it.
    fn offset_of(&self, s: &str) -> Option<usize> {
        let at = (s.as_ptr() as usize).checked_sub(self.text.as_ptr() as usize)?;
        (at.checked_add(s.len())? <= self.text.len()).then_some(at)
    }

    /// Where the next value starts: after whitespace and the punctuation
    /// between values from [`last`](Self::last).
    fn value_start(&self) -> usize {
        let b = self.text.as_bytes();
        let mut i = self.last.get();
        while let Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b']' | b'}') = b.get(i) {
            i += 1;
        }
        i.min(b.len())
    }

    /// An array or object `serde_json` has just opened: where it starts.
    fn open(&self) -> usize {
        let at = self.value_start();
        self.last.set(at + 1);
        at
    }

    /// A `null` `serde_json` has just read.
    fn null(&self) {
        let at = self.value_start();
        self.last.set(at + 4);
    }

    /// A string `serde_json` has just read, borrowed from the text (it had
    /// no escapes): where it starts.
    fn string_read(&self, s: &str) -> usize {
        match self.offset_of(s) {
            Some(inner) => {
                self.last.set(inner + s.len() + 1);
                inner.saturating_sub(1)
            }
            None => self.escaped_string_read(),
        }
    }

    /// A string `serde_json` has just read and unescaped into a buffer:
    /// where it starts (its end is its first unescaped quote).
    fn escaped_string_read(&self) -> usize {
        let b = self.text.as_bytes();
        let at = self.value_start();
        let mut i = at + 1;
        while let Some(&c) = b.get(i) {
            match c {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        self.last.set((i + 1).min(b.len()));
        at
    }

    /// The next value, a scalar, and where it starts. `expected` is what
    /// the type wants, for the fault when it is an array or an object (and
    /// for `serde_json`'s faults of a missing value).
    fn scalar<D: Deserializer<'j>>(
        &self,
        d: D,
        expected: &'static str,
    ) -> Result<(Token<'j>, usize), D::Error> {
        self.pending.set(expected);
        d.deserialize_any(Scalar { cx: self, expected })
    }

    /// Where the number `serde_json` has just read starts, and its text.
    fn number_read(&self) -> (usize, &'j str) {
        let at = self.value_start();
        let b = self.text.as_bytes();
        let mut end = at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = b.get(end) {
            end += 1;
        }
        self.last.set(end);
        (at, self.text.get(at..end).unwrap_or(""))
    }

    /// A literal (`true`, `false`, `null`) `serde_json` has just read: where
    /// it starts.
    fn literal_read(&self, len: usize) -> usize {
        let at = self.value_start();
        self.last.set(at + len);
        at
    }

    /// An integer's sign (true for negative) and magnitude, from its text
    /// (a JSON number, as `serde_json` checked).
    fn integer<E: de::Error>(&self, text: &str, at: usize) -> Result<(bool, u128), E> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return self.fail(
                at,
                JsonErrorKind::Expected("an integer (no fraction, no exponent)"),
            );
        }
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

    /// An integer's sign (true for negative), magnitude, and where it
    /// starts.
    fn int<D: Deserializer<'j>>(&self, d: D) -> Result<(bool, u128, usize), D::Error> {
        match self.scalar(d, EXPECTED_INTEGER)? {
            // Within i64 or u64: as `serde_json` read it.
            (Token::Number { fast: Some(v), .. }, at) => Ok((v < 0, v.unsigned_abs(), at)),
            // A fraction, an exponent, -0, or beyond 64 bits: from the text.
            (Token::Number { text, fast: None }, at) => {
                let (negative, mag) = self.integer(text, at)?;
                Ok((negative, mag, at))
            }
            (_, at) => self.fail(at, JsonErrorKind::Expected(EXPECTED_INTEGER)),
        }
    }

    fn unsigned<D: Deserializer<'j>>(&self, d: D, max: u128) -> Result<u128, D::Error> {
        match self.int(d)? {
            (false, v, _) | (true, v @ 0, _) if v <= max => Ok(v),
            (_, _, at) => self.fail(at, JsonErrorKind::OutOfRange),
        }
    }

    fn signed<D: Deserializer<'j>>(&self, d: D, min: i128, max: i128) -> Result<i128, D::Error> {
        let (negative, mag, at) = self.int(d)?;
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
    fn float<F: Float, D: Deserializer<'j>>(&self, d: D) -> Result<F, D::Error> {
        match self.scalar(d, EXPECTED_FLOAT)? {
            // Read from its text, as this type: exact, no double rounding.
            (Token::Number { text, .. }, at) => match F::parse(text) {
                Some(v) => Ok(v),
                None => self.fail(at, JsonErrorKind::OutOfRange),
            },
            (Token::String(s), at) => match &*s {
                "NaN" => Ok(F::NAN),
                "inf" => Ok(F::INFINITY),
                "-inf" => Ok(F::NEG_INFINITY),
                s => match nan_bits(s, F::HEX_DIGITS).and_then(F::nan_from_bits) {
                    Some(v) => Ok(v),
                    None => self.fail(at, JsonErrorKind::Expected(EXPECTED_FLOAT)),
                },
            },
            (_, at) => self.fail(at, JsonErrorKind::Expected(EXPECTED_FLOAT)),
        }
    }

    /// A string and where it starts.
    fn string<D: Deserializer<'j>>(
        &self,
        d: D,
        expected: &'static str,
    ) -> Result<(Cow<'j, str>, usize), D::Error> {
        match self.scalar(d, expected)? {
            (Token::String(s), at) => Ok((s, at)),
            (_, at) => self.fail(at, JsonErrorKind::Expected(expected)),
        }
    }

    /// An object key (a string, as `serde_json` checked), and where it
    /// starts.
    fn key<A: MapAccess<'j>>(
        &self,
        map: &mut A,
    ) -> Result<Option<(Cow<'j, str>, usize)>, A::Error> {
        self.pending.set("");
        map.next_key_seed(Key { cx: self })
    }

    /// The byte offset and the kind of a fault `serde_json` found.
    fn serde_fault(&self, e: &serde_json::Error) -> (usize, JsonErrorKind) {
        let text = self.text;
        // `serde_json` gives a line (from 1) and a byte column; the column is
        // just after the faulty byte (0 when it was the line's end).
        let offset = if e.line() == 0 {
            0
        } else {
            let line_start: usize = text
                .split_inclusive('\n')
                .take(e.line() - 1)
                .map(str::len)
                .sum();
            (line_start + e.column()).saturating_sub(1).min(text.len())
        };
        // The column counts bytes: a fault inside a multi-byte character
        // (`"\u00é"`) is reported at the character's first byte.
        let mut offset = offset;
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let message = e.to_string();
        let code = match message.rsplit_once(" at line ") {
            Some((code, _)) => code,
            None => &message,
        };
        // What the value being read had to be: a fault at its start (or in a
        // number beyond f64) is that it is not one.
        let pending = self.pending.get();
        let numeric = pending == EXPECTED_INTEGER || pending == EXPECTED_FLOAT;
        let at_value = || offset.min(self.value_start());
        match code {
            "trailing characters" => (offset, JsonErrorKind::TrailingCharacters),
            "number out of range" if numeric => (at_value(), JsonErrorKind::OutOfRange),
            "expected value" | "expected ident" | "number out of range" if !pending.is_empty() => {
                (at_value(), JsonErrorKind::Expected(pending))
            }
            code => (offset, JsonErrorKind::Syntax(syntax(code))),
        }
    }

    /// Skips the rest of an array after its last wanted element: how many
    /// elements were left.
    fn rest<A: SeqAccess<'j>>(&self, seq: &mut A) -> Result<usize, A::Error> {
        self.pending.set("");
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

/// What `serde_json`'s message of a malformed text says was expected.
fn syntax(code: &str) -> &'static str {
    match code {
        "EOF while parsing a list" => "',' or ']' before the end",
        "EOF while parsing an object" => "',' or '}' before the end",
        "EOF while parsing a string" => "the end of the string",
        "EOF while parsing a value" => "a value before the end",
        "expected `:`" => "':' after the key",
        "expected `,` or `]`" => "',' or ']'",
        "expected `,` or `}`" => "',' or '}'",
        "expected ident" => "true, false or null",
        "expected value" => "a value",
        "expected `\"`" => "'\"'",
        "invalid escape" => "a valid escape",
        "invalid number" => "a valid number",
        "number out of range" => "a number within the range of f64",
        "invalid unicode code point" => "a valid code point",
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "no control character in a string"
        }
        "key must be a string" => "a string as the key",
        "lone leading surrogate in hex escape" => "a surrogate pair, not a lone surrogate",
        "trailing comma" => "a value after ','",
        "unexpected end of hex escape" => "a low surrogate after a high one",
        "recursion limit exceeded" => "nesting within 128 levels",
        _ => "valid JSON",
    }
}

/// Reads one value of plan `ty`, appending its payload to `out`.
struct Value<'c, 'j, 'o, 'p> {
    ty: &'p Plan,
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
}

impl<'j> DeserializeSeed<'j> for Value<'_, 'j, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'j>>(self, d: D) -> Result<(), D::Error> {
        let Value { ty, cx, out } = self;
        match ty {
            Plan::Bool => {
                const EXPECTED: &str = "true or false";
                match cx.scalar(d, EXPECTED)? {
                    (Token::Bool(v), _) => out.push(u8::from(v)),
                    (_, at) => return cx.fail(at, JsonErrorKind::Expected(EXPECTED)),
                }
            }
            Plan::U8 => out.push(cx.unsigned(d, u8::MAX.into())? as u8),
            Plan::U16 => put_varint(out, cx.unsigned(d, u16::MAX.into())? as u64),
            Plan::U32 => put_varint(out, cx.unsigned(d, u32::MAX.into())? as u64),
            Plan::U64 => put_varint(out, cx.unsigned(d, u64::MAX.into())? as u64),
            Plan::U128 => put_varint128(out, cx.unsigned(d, u128::MAX)?),
            Plan::I8 => out.push(cx.signed(d, i8::MIN.into(), i8::MAX.into())? as i8 as u8),
            Plan::I16 => put_varint(
                out,
                zigzag(cx.signed(d, i16::MIN.into(), i16::MAX.into())? as i64),
            ),
            Plan::I32 => put_varint(
                out,
                zigzag(cx.signed(d, i32::MIN.into(), i32::MAX.into())? as i64),
            ),
            Plan::I64 => put_varint(
                out,
                zigzag(cx.signed(d, i64::MIN.into(), i64::MAX.into())? as i64),
            ),
            Plan::I128 => put_varint128(out, zigzag128(cx.signed(d, i128::MIN, i128::MAX)?)),
            Plan::F32 => out.extend_from_slice(&cx.float::<f32, D>(d)?.to_le_bytes()),
            Plan::F64 => out.extend_from_slice(&cx.float::<f64, D>(d)?.to_le_bytes()),
            Plan::Char => {
                let (s, at) = cx.string(d, EXPECTED_CHAR)?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => put_bytes(out, c.encode_utf8(&mut [0u8; 4]).as_bytes()),
                    _ => return cx.fail(at, JsonErrorKind::Expected(EXPECTED_CHAR)),
                }
            }
            Plan::Str => put_bytes(out, cx.string(d, "a string")?.0.as_bytes()),
            Plan::Bytes => {
                let (s, at) = cx.string(d, EXPECTED_BYTES)?;
                let hex = s.as_bytes();
                if hex.len() % 2 != 0 {
                    return cx.fail(at, JsonErrorKind::Expected(EXPECTED_BYTES));
                }
                put_varint(out, (hex.len() / 2) as u64);
                out.reserve(hex.len() / 2);
                for pair in hex.chunks_exact(2) {
                    match (hex_digit(pair[0]), hex_digit(pair[1])) {
                        (Some(h), Some(l)) => out.push(h << 4 | l),
                        _ => return cx.fail(at, JsonErrorKind::Expected(EXPECTED_BYTES)),
                    }
                }
            }
            Plan::Option { inner, wrap } => {
                cx.pending.set(if *wrap {
                    EXPECTED_SOME
                } else {
                    EXPECTED_OPTION
                });
                d.deserialize_option(OptionVisitor {
                    inner,
                    wrap: *wrap,
                    cx,
                    out,
                })?;
            }
            Plan::Null => match cx.scalar(d, "null")? {
                (Token::Null, _) => {}
                (_, at) => return cx.fail(at, JsonErrorKind::Expected("null")),
            },
            Plan::Seq(element) => {
                cx.pending.set(EXPECTED_ARRAY);
                d.deserialize_any(Counted {
                    cx,
                    out,
                    item: Item::Value(element),
                })?;
            }
            Plan::Map(key, value) => {
                cx.pending.set(EXPECTED_ARRAY);
                d.deserialize_any(Counted {
                    cx,
                    out,
                    item: Item::Pair(key, value),
                })?;
            }
            Plan::Tuple(types) => {
                Fixed {
                    cx,
                    out,
                    len: types.len(),
                    types: types.iter(),
                }
                .deserialize(d)?;
            }
            Plan::Array { len, element } => {
                Fixed {
                    cx,
                    out,
                    len: *len,
                    types: core::iter::repeat(&**element),
                }
                .deserialize(d)?;
            }
            Plan::Struct(fields) => Object { cx, out, fields }.deserialize(d)?,
            Plan::Enum(variants) => {
                cx.pending.set(EXPECTED_VARIANT);
                d.deserialize_any(Enum { cx, out, variants })?;
            }
        }
        Ok(())
    }
}

/// The visitor methods of JSON values a visitor does not want: each records
/// `Expected(self.expected())` at the value.
macro_rules! refuse {
    ($($method:ident($($arg:ty)?)),* $(,)?) => {$(
        fn $method<E: de::Error>(self $(, _: $arg)?) -> Result<(), E> {
            self.cx.fail(self.cx.value_start(), JsonErrorKind::Expected(self.expected()))
        }
    )*};
}

macro_rules! refuse_scalars {
    () => {
        refuse!(
            visit_bool(bool),
            visit_i64(i64),
            visit_u64(u64),
            visit_f64(f64),
            visit_unit()
        );
    };
}

macro_rules! refuse_str {
    () => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            let at = self.cx.escaped_string_read();
            self.cx.fail(at, JsonErrorKind::Expected(self.expected()))
        }

        fn visit_borrowed_str<E: de::Error>(self, v: &'j str) -> Result<(), E> {
            let at = self.cx.string_read(v);
            self.cx.fail(at, JsonErrorKind::Expected(self.expected()))
        }
    };
}

/// A scalar as `serde_json` read it.
enum Token<'j> {
    Null,
    Bool(bool),
    /// A number: its text, and its value when an integer within i64 or u64.
    Number {
        text: &'j str,
        fast: Option<i128>,
    },
    String(Cow<'j, str>),
}

/// Reads a scalar: any JSON value but an array or an object.
struct Scalar<'c, 'j> {
    cx: &'c Cx<'j>,
    expected: &'static str,
}

impl<'j> Visitor<'j> for Scalar<'_, 'j> {
    type Value = (Token<'j>, usize);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((Token::Null, self.cx.literal_read(4)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        let len = if v { 4 } else { 5 };
        Ok((Token::Bool(v), self.cx.literal_read(len)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let (at, text) = self.cx.number_read();
        let fast = Some(i128::from(v));
        Ok((Token::Number { text, fast }, at))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        let (at, text) = self.cx.number_read();
        let fast = Some(i128::from(v));
        Ok((Token::Number { text, fast }, at))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        let (at, text) = self.cx.number_read();
        Ok((Token::Number { text, fast: None }, at))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'j str) -> Result<Self::Value, E> {
        Ok((Token::String(Cow::Borrowed(v)), self.cx.string_read(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let at = self.cx.escaped_string_read();
        Ok((Token::String(Cow::Owned(v.into())), at))
    }

    fn visit_seq<A: SeqAccess<'j>>(self, _: A) -> Result<Self::Value, A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(self.expected))
    }

    fn visit_map<A: MapAccess<'j>>(self, _: A) -> Result<Self::Value, A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(self.expected))
    }
}

/// Reads an object key: the string and where it starts.
struct Key<'c, 'j> {
    cx: &'c Cx<'j>,
}

impl<'j> DeserializeSeed<'j> for Key<'_, 'j> {
    type Value = (Cow<'j, str>, usize);

    fn deserialize<D: Deserializer<'j>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'j> Visitor<'j> for Key<'_, 'j> {
    type Value = (Cow<'j, str>, usize);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'j str) -> Result<Self::Value, E> {
        Ok((Cow::Borrowed(v), self.cx.string_read(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let at = self.cx.escaped_string_read();
        Ok((Cow::Owned(v.into()), at))
    }
}

/// An option: `null`, the value, or `[value]` when the inner type maps to
/// `null`.
struct OptionVisitor<'c, 'j, 'o, 'p> {
    inner: &'p Plan,
    /// The inner type maps to `null`.
    wrap: bool,
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
}

impl<'j> Visitor<'j> for OptionVisitor<'_, 'j, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED_OPTION)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.cx.null();
        self.out.push(0);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'j>>(self, d: D) -> Result<(), D::Error> {
        let OptionVisitor {
            inner,
            wrap,
            cx,
            out,
        } = self;
        out.push(1);
        if wrap {
            cx.pending.set(EXPECTED_SOME);
            d.deserialize_any(SomeNull { inner, cx, out })
        } else {
            Value { ty: inner, cx, out }.deserialize(d)
        }
    }
}

/// `[value]`: some of a type that maps to `null`.
struct SomeNull<'c, 'j, 'o, 'p> {
    inner: &'p Plan,
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
}

impl SomeNull<'_, '_, '_, '_> {
    fn expected(&self) -> &'static str {
        EXPECTED_SOME
    }
}

impl<'j> Visitor<'j> for SomeNull<'_, 'j, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED_SOME)
    }

    refuse_scalars!();
    refuse_str!();

    fn visit_map<A: MapAccess<'j>>(self, _: A) -> Result<(), A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(EXPECTED_SOME))
    }

    fn visit_seq<A: SeqAccess<'j>>(self, mut seq: A) -> Result<(), A::Error> {
        let SomeNull { inner, cx, out } = self;
        let at = cx.open();
        let seed = Value { ty: inner, cx, out };
        if seq.next_element_seed(seed)?.is_none() {
            return cx.fail(at, JsonErrorKind::Expected(EXPECTED_SOME));
        }
        if cx.rest(&mut seq)? > 0 {
            return cx.fail(
                at,
                JsonErrorKind::Syntax("']' after the value of an option"),
            );
        }
        Ok(())
    }
}

/// What a sequence or a map holds.
#[derive(Clone, Copy)]
enum Item<'p> {
    Value(&'p Plan),
    Pair(&'p Plan, &'p Plan),
}

/// An array of any length, written as its count and its elements.
struct Counted<'c, 'j, 'o, 'p> {
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
    item: Item<'p>,
}

impl Counted<'_, '_, '_, '_> {
    fn expected(&self) -> &'static str {
        EXPECTED_ARRAY
    }
}

impl<'j> Visitor<'j> for Counted<'_, 'j, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED_ARRAY)
    }

    refuse_scalars!();
    refuse_str!();

    fn visit_map<A: MapAccess<'j>>(self, _: A) -> Result<(), A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(EXPECTED_ARRAY))
    }

    fn visit_seq<A: SeqAccess<'j>>(self, mut seq: A) -> Result<(), A::Error> {
        let Counted { cx, out, item } = self;
        cx.open();
        let mark = out.len();
        let mut n: u64 = 0;
        loop {
            let more = match item {
                Item::Value(ty) => seq.next_element_seed(Value {
                    ty,
                    cx,
                    out: &mut *out,
                })?,
                Item::Pair(key, value) => seq.next_element_seed(Pair {
                    key,
                    value,
                    cx,
                    out: &mut *out,
                })?,
            };
            if more.is_none() {
                break;
            }
            n += 1;
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
}

/// A map's `[key, value]` pair.
struct Pair<'c, 'j, 'o, 'p> {
    key: &'p Plan,
    value: &'p Plan,
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
}

impl Pair<'_, '_, '_, '_> {
    fn expected(&self) -> &'static str {
        EXPECTED_PAIR
    }
}

impl<'j> DeserializeSeed<'j> for Pair<'_, 'j, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'j>>(self, d: D) -> Result<(), D::Error> {
        self.cx.pending.set(EXPECTED_PAIR);
        d.deserialize_any(self)
    }
}

impl<'j> Visitor<'j> for Pair<'_, 'j, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED_PAIR)
    }

    refuse_scalars!();
    refuse_str!();

    fn visit_map<A: MapAccess<'j>>(self, _: A) -> Result<(), A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(EXPECTED_PAIR))
    }

    fn visit_seq<A: SeqAccess<'j>>(self, mut seq: A) -> Result<(), A::Error> {
        let Pair {
            key,
            value,
            cx,
            out,
        } = self;
        let at = cx.open();
        for ty in [key, value] {
            let seed = Value {
                ty,
                cx,
                out: &mut *out,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return cx.fail(
                    at,
                    JsonErrorKind::Syntax("a [key, value] pair of two elements"),
                );
            }
        }
        if cx.rest(&mut seq)? > 0 {
            return cx.fail(
                at,
                JsonErrorKind::Syntax("']' to close a [key, value] pair"),
            );
        }
        Ok(())
    }
}

/// An array of exactly `len` elements of the given types: a tuple, tuple
/// struct, array, or a tuple variant's data.
struct Fixed<'c, 'j, 'o, I> {
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
    len: usize,
    types: I,
}

impl<I> Fixed<'_, '_, '_, I> {
    fn expected(&self) -> &'static str {
        EXPECTED_ARRAY
    }
}

impl<'j, 'p, I: Iterator<Item = &'p Plan>> DeserializeSeed<'j> for Fixed<'_, 'j, '_, I> {
    type Value = ();

    fn deserialize<D: Deserializer<'j>>(self, d: D) -> Result<(), D::Error> {
        self.cx.pending.set(EXPECTED_ARRAY);
        d.deserialize_any(self)
    }
}

impl<'j, 'p, I: Iterator<Item = &'p Plan>> Visitor<'j> for Fixed<'_, 'j, '_, I> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {} elements", self.len)
    }

    refuse_scalars!();
    refuse_str!();

    fn visit_map<A: MapAccess<'j>>(self, _: A) -> Result<(), A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(EXPECTED_ARRAY))
    }

    fn visit_seq<A: SeqAccess<'j>>(self, mut seq: A) -> Result<(), A::Error> {
        let Fixed {
            cx,
            out,
            len,
            types,
        } = self;
        let at = cx.open();
        for (i, ty) in types.take(len).enumerate() {
            let seed = Value {
                ty,
                cx,
                out: &mut *out,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return cx.fail(
                    at,
                    JsonErrorKind::Length {
                        expected: len,
                        found: i,
                    },
                );
            }
        }
        let more = cx.rest(&mut seq)?;
        if more > 0 {
            return cx.fail(
                at,
                JsonErrorKind::Length {
                    expected: len,
                    found: len.saturating_add(more),
                },
            );
        }
        Ok(())
    }
}

/// A struct (or a struct variant's data): an object with its fields as keys,
/// in any order, written as the field values in definition order.
struct Object<'c, 'j, 'o, 'p> {
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
    fields: &'p [FieldPlan],
}

impl Object<'_, '_, '_, '_> {
    fn expected(&self) -> &'static str {
        EXPECTED_OBJECT
    }
}

impl<'j> DeserializeSeed<'j> for Object<'_, 'j, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'j>>(self, d: D) -> Result<(), D::Error> {
        self.cx.pending.set(EXPECTED_OBJECT);
        d.deserialize_any(self)
    }
}

impl<'j> Visitor<'j> for Object<'_, 'j, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED_OBJECT)
    }

    refuse_scalars!();
    refuse_str!();

    fn visit_seq<A: SeqAccess<'j>>(self, _: A) -> Result<(), A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(EXPECTED_OBJECT))
    }

    fn visit_map<A: MapAccess<'j>>(self, mut map: A) -> Result<(), A::Error> {
        let Object { cx, out, fields } = self;
        let at = cx.open();
        // Fast path: every field, in definition order, straight into `out`.
        let mut done = 0;
        let mut stray = None;
        for f in fields {
            match cx.key(&mut map)? {
                Some((key, _)) if *key == *f.name => {
                    map.next_value_seed(Value {
                        ty: &f.ty,
                        cx,
                        out: &mut *out,
                    })?;
                    done += 1;
                }
                Some(key) => {
                    stray = Some(key);
                    break;
                }
                None => return cx.fail(at, JsonErrorKind::MissingField(f.name.to_string())),
            }
        }
        if stray.is_none() {
            // Every field was there: nothing else may be.
            return match cx.key(&mut map)? {
                None => Ok(()),
                Some((key, key_at)) => {
                    let kind = if fields.iter().any(|f| *f.name == *key) {
                        JsonErrorKind::DuplicateField(key.into_owned())
                    } else {
                        JsonErrorKind::UnknownField(key.into_owned())
                    };
                    cx.fail(key_at, kind)
                }
            };
        }
        let all = fields;
        // Keys out of order: the fields after the first `done` are read
        // into their own buffers, then written in definition order.
        let mut values: Vec<Option<Vec<u8>>> = (0..all.len() - done).map(|_| None).collect();
        while let Some((key, key_at)) = match stray.take() {
            Some(key) => Some(key),
            None => cx.key(&mut map)?,
        } {
            let Some(i) = all.iter().position(|f| *f.name == *key) else {
                return cx.fail(key_at, JsonErrorKind::UnknownField(key.into_owned()));
            };
            if i < done || values[i - done].is_some() {
                return cx.fail(key_at, JsonErrorKind::DuplicateField(key.into_owned()));
            }
            let mut value = Vec::new();
            map.next_value_seed(Value {
                ty: &all[i].ty,
                cx,
                out: &mut value,
            })?;
            values[i - done] = Some(value);
        }
        for (f, value) in all[done..].iter().zip(values) {
            match value {
                Some(value) => out.extend_from_slice(&value),
                None => return cx.fail(at, JsonErrorKind::MissingField(f.name.to_string())),
            }
        }
        Ok(())
    }
}

/// An enum: a unit variant's name as a string, or `{"Name": data}`.
struct Enum<'c, 'j, 'o, 'p> {
    cx: &'c Cx<'j>,
    out: &'o mut Vec<u8>,
    variants: &'p [VariantPlan],
}

impl Enum<'_, '_, '_, '_> {
    fn expected(&self) -> &'static str {
        EXPECTED_VARIANT
    }

    /// A unit variant, named by the string at `at`.
    fn unit<E: de::Error>(self, name: &str, at: usize) -> Result<(), E> {
        let Enum { cx, out, variants } = self;
        let Some(variant) = variants.iter().find(|v| *v.name == *name) else {
            return cx.fail(at, JsonErrorKind::UnknownVariant(name.into()));
        };
        if !matches!(variant.data, VariantDataPlan::Unit) {
            return cx.fail(
                at,
                JsonErrorKind::Expected("a variant with data as {\"Name\": data}"),
            );
        }
        put_varint(out, u64::from(variant.index));
        Ok(())
    }
}

impl<'j> Visitor<'j> for Enum<'_, 'j, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED_VARIANT)
    }

    refuse_scalars!();

    fn visit_borrowed_str<E: de::Error>(self, v: &'j str) -> Result<(), E> {
        let at = self.cx.string_read(v);
        self.unit(v, at)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let at = self.cx.escaped_string_read();
        self.unit(v, at)
    }

    fn visit_seq<A: SeqAccess<'j>>(self, _: A) -> Result<(), A::Error> {
        let at = self.cx.open();
        self.cx.fail(at, JsonErrorKind::Expected(EXPECTED_VARIANT))
    }

    fn visit_map<A: MapAccess<'j>>(self, mut map: A) -> Result<(), A::Error> {
        let Enum { cx, out, variants } = self;
        let at = cx.open();
        let Some((name, name_at)) = cx.key(&mut map)? else {
            return cx.fail(at, JsonErrorKind::Expected(EXPECTED_VARIANT));
        };
        let Some(variant) = variants.iter().find(|v| *v.name == *name) else {
            return cx.fail(name_at, JsonErrorKind::UnknownVariant(name.into_owned()));
        };
        put_varint(out, u64::from(variant.index));
        match &variant.data {
            VariantDataPlan::Unit => {
                return cx.fail(
                    at,
                    JsonErrorKind::Expected("a unit variant as its name, a string"),
                );
            }
            VariantDataPlan::Newtype(ty) => map.next_value_seed(Value { ty, cx, out })?,
            VariantDataPlan::Tuple(types) => map.next_value_seed(Fixed {
                cx,
                out,
                len: types.len(),
                types: types.iter(),
            })?,
            VariantDataPlan::Struct(fields) => map.next_value_seed(Object { cx, out, fields })?,
        }
        if let Some((_, key_at)) = cx.key(&mut map)? {
            return cx.fail(
                key_at,
                JsonErrorKind::Syntax("'}': a variant object has one key"),
            );
        }
        Ok(())
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
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

/// f32 and f64, for reading.
trait Float: Copy {
    const NAN: Self;
    const INFINITY: Self;
    const NEG_INFINITY: Self;
    /// Hex digits of the bit pattern.
    const HEX_DIGITS: usize;
    /// The NaN with these bits; `None` if they are not a NaN.
    fn nan_from_bits(bits: u64) -> Option<Self>;
    /// The nearest float to a JSON number (read as this type, not through
    /// another: no double rounding); `None` beyond the finite range.
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
