//! Reading definitions: every check of spec `schema.md` §4, then a zero-copy
//! view to walk the type tree.
//!
//! ```
//! use koffer::schema::{Definition, Kind};
//! let def = Definition::parse(b"\x1A\x04Beat\x02\x05at_ms\x11\x02ms\x00\x05\x03bpm\x00\x02").unwrap();
//! let root = def.root().unwrap();
//! let Kind::Struct { name, fields } = root.kind() else { panic!() };
//! assert_eq!(name, "Beat");
//! let names: Vec<&str> = fields.map(|f| f.name).collect();
//! assert_eq!(names, ["at_ms", "bpm"]);
//! ```

use core::fmt;

use super::encode::{MAX_ARRAY_LEN, MAX_DEPTH, MAX_ITEMS};
use super::types::tag;
use crate::limits;
use crate::varint;

/// A definition could not be read: what was wrong and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Error {
    /// Offset from the start of the definition.
    pub offset: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

/// What was wrong with a definition (spec `schema.md` §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// A tag that is not defined.
    BadTag {
        /// The tag byte.
        tag: u8,
    },
    /// A variant kind that is not defined.
    BadVariantKind {
        /// The kind byte.
        kind: u8,
    },
    /// A name that is empty or longer than 255 bytes.
    BadName,
    /// A name that is not UTF-8.
    InvalidUtf8,
    /// A count or length outside its range.
    BadCount {
        /// The count.
        count: u64,
    },
    /// A varint that is not canonical.
    BadVarint,
    /// Reserved annotation bits set, or a scale or offset that is not allowed.
    BadAnnotation,
    /// Types nested deeper than 32.
    TooDeep,
    /// Bytes after the root type.
    TrailingBytes,
    /// The definition ends inside a type.
    Truncated,
    /// Two fields of a struct, or two variants of an enum, share a name.
    DuplicateName,
    /// The element of a sequence or array, or the entry (key and value
    /// together) of a map, has a minimum size of 0 bytes (unit, unit struct,
    /// or an aggregate of them): every element must take at least one payload
    /// byte. The offset is that of the sequence's, array's or map's tag.
    ZeroSizeElement,
}

impl ErrorKind {
    /// The variant's name, stable across releases (used by test vectors).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::BadTag { .. } => "BadTag",
            ErrorKind::BadVariantKind { .. } => "BadVariantKind",
            ErrorKind::BadName => "BadName",
            ErrorKind::InvalidUtf8 => "InvalidUtf8",
            ErrorKind::BadCount { .. } => "BadCount",
            ErrorKind::BadVarint => "BadVarint",
            ErrorKind::BadAnnotation => "BadAnnotation",
            ErrorKind::TooDeep => "TooDeep",
            ErrorKind::TrailingBytes => "TrailingBytes",
            ErrorKind::Truncated => "Truncated",
            ErrorKind::DuplicateName => "DuplicateName",
            ErrorKind::ZeroSizeElement => "ZeroSizeElement",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::BadTag { tag } => write!(f, "undefined type tag {tag:#04x}"),
            ErrorKind::BadVariantKind { kind } => write!(f, "undefined variant kind {kind:#04x}"),
            ErrorKind::BadName => f.write_str("a name must be 1 to 255 bytes"),
            ErrorKind::InvalidUtf8 => f.write_str("a name is not valid UTF-8"),
            ErrorKind::BadCount { count } => write!(f, "count or length {count} out of range"),
            ErrorKind::BadVarint => f.write_str("varint is not canonical"),
            ErrorKind::BadAnnotation => {
                f.write_str("reserved annotation bits set, or a scale or offset not allowed")
            }
            ErrorKind::TooDeep => write!(f, "types nest deeper than {MAX_DEPTH}"),
            ErrorKind::TrailingBytes => f.write_str("bytes after the root type"),
            ErrorKind::Truncated => f.write_str("definition ends inside a type"),
            ErrorKind::DuplicateName => f.write_str("two fields or variants share a name"),
            ErrorKind::ZeroSizeElement => f.write_str(
                "a sequence, array or map whose elements take no payload bytes (minimum size 0)",
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at definition byte {}: {}", self.offset, self.kind)
    }
}

impl core::error::Error for Error {}

type Result<T> = core::result::Result<T, Error>;

/// A position in a definition, for reading.
#[derive(Debug, Clone, Copy)]
struct Cur<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    fn fail<T>(&self, at: usize, kind: ErrorKind) -> Result<T> {
        Err(Error { offset: at, kind })
    }

    fn byte(&mut self) -> Result<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.fail(self.pos, ErrorKind::Truncated),
        }
    }

    fn varint(&mut self) -> Result<u64> {
        match varint::decode_u64(&self.bytes[self.pos..]) {
            Ok((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            Err(varint::Error::Truncated) => self.fail(self.pos, ErrorKind::Truncated),
            Err(varint::Error::NonCanonical) => self.fail(self.pos, ErrorKind::BadVarint),
        }
    }

    fn count(&mut self, min: u64, max: u64) -> Result<usize> {
        let at = self.pos;
        let n = self.varint()?;
        if n < min || n > max {
            return self.fail(at, ErrorKind::BadCount { count: n });
        }
        Ok(n as usize)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() - self.pos < n {
            return self.fail(self.pos, ErrorKind::Truncated);
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn name(&mut self, allow_empty: bool) -> Result<&'a str> {
        let at = self.pos;
        let n = self.varint()?;
        if (n == 0 && !allow_empty) || n > u64::from(limits::MAX_NAME_LEN) {
            return self.fail(at, ErrorKind::BadName);
        }
        let bytes = self.take(n as usize)?;
        core::str::from_utf8(bytes).or_else(|_| self.fail(at, ErrorKind::InvalidUtf8))
    }

    fn f64(&mut self) -> Result<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }
}

/// Checks the type at `c` and everything inside it.
fn check_type(c: &mut Cur<'_>, depth: usize) -> Result<()> {
    let at = c.pos;
    if depth > MAX_DEPTH {
        return c.fail(at, ErrorKind::TooDeep);
    }
    let d = depth + 1;
    match c.byte()? {
        tag::BOOL..=tag::BYTES | tag::UNIT => Ok(()),
        tag::OPTION => check_type(c, d),
        tag::SEQ => {
            let element = c.pos;
            check_type(c, d)?;
            check_element_size(c, at, min_size_at(c.bytes, element))
        }
        tag::UNIT_STRUCT => c.name(false).map(|_| ()),
        tag::NEWTYPE_STRUCT => {
            c.name(false)?;
            check_type(c, d)
        }
        tag::TUPLE => check_types(c, d),
        tag::TUPLE_STRUCT => {
            c.name(false)?;
            check_types(c, d)
        }
        tag::ARRAY => {
            c.count(1, u64::from(MAX_ARRAY_LEN))?;
            let element = c.pos;
            check_type(c, d)?;
            check_element_size(c, at, min_size_at(c.bytes, element))
        }
        tag::MAP => {
            let key = c.pos;
            check_type(c, d)?;
            let value = c.pos;
            check_type(c, d)?;
            let entry = min_size_at(c.bytes, key).saturating_add(min_size_at(c.bytes, value));
            check_element_size(c, at, entry)
        }
        tag::STRUCT => {
            c.name(false)?;
            check_fields(c, d)
        }
        tag::ENUM => {
            c.name(false)?;
            let start = c.pos;
            let n = c.count(1, MAX_ITEMS as u64)?;
            for _ in 0..n {
                c.name(false)?;
                let kind_at = c.pos;
                match c.byte()? {
                    tag::variant::UNIT => {}
                    tag::variant::NEWTYPE => check_type(c, d)?,
                    tag::variant::TUPLE => check_types(c, d)?,
                    tag::variant::STRUCT => check_fields(c, d)?,
                    kind => return c.fail(kind_at, ErrorKind::BadVariantKind { kind }),
                }
            }
            check_distinct(c.bytes, start, Items::Variants)
        }
        t => c.fail(at, ErrorKind::BadTag { tag: t }),
    }
}

/// The minimum size of the (already checked) type at `pos`.
fn min_size_at(bytes: &[u8], pos: usize) -> usize {
    Node { bytes, pos }.min_size()
}

/// Refuses a sequence, array or map (its tag at `at`) whose element, or
/// entry, has minimum size `min` of 0 (spec `schema.md` §4): a payload could
/// then describe any number of values in no bytes.
fn check_element_size(c: &Cur<'_>, at: usize, min: usize) -> Result<()> {
    if min == 0 {
        return c.fail(at, ErrorKind::ZeroSizeElement);
    }
    Ok(())
}

fn check_types(c: &mut Cur<'_>, depth: usize) -> Result<()> {
    let n = c.count(1, MAX_ITEMS as u64)?;
    for _ in 0..n {
        check_type(c, depth)?;
    }
    Ok(())
}

fn check_annotations(c: &mut Cur<'_>) -> Result<()> {
    let at = c.pos;
    let flags = c.byte()?;
    if flags & !tag::annotation::ALL != 0 {
        return c.fail(at, ErrorKind::BadAnnotation);
    }
    if flags & tag::annotation::UNIT != 0 {
        c.name(false)?;
    }
    if flags & tag::annotation::DESCRIPTION != 0 {
        c.name(false)?;
    }
    if flags & tag::annotation::SCALE != 0 {
        let f_at = c.pos;
        let s = c.f64()?;
        if !s.is_finite() || s == 0.0 {
            return c.fail(f_at, ErrorKind::BadAnnotation);
        }
    }
    if flags & tag::annotation::OFFSET != 0 {
        let f_at = c.pos;
        if !c.f64()?.is_finite() {
            return c.fail(f_at, ErrorKind::BadAnnotation);
        }
    }
    if flags & tag::annotation::TIME != 0 {
        c.name(true)?;
    }
    Ok(())
}

fn check_fields(c: &mut Cur<'_>, depth: usize) -> Result<()> {
    let start = c.pos;
    let n = c.count(0, MAX_ITEMS as u64)?;
    for _ in 0..n {
        c.name(false)?;
        check_annotations(c)?;
        check_type(c, depth)?;
    }
    check_distinct(c.bytes, start, Items::Fields)
}

#[derive(Clone, Copy)]
enum Items {
    Fields,
    Variants,
}

/// Checks that the names of the (already checked) fields or variants whose
/// count starts at `start` are distinct. Uses a fixed table of name hashes,
/// so the work is bounded and nothing is allocated.
fn check_distinct(bytes: &[u8], start: usize, items: Items) -> Result<()> {
    let mut c = Cur { bytes, pos: start };
    let n = c.varint()? as usize;
    let mut seen = [(0u32, 0u32); MAX_ITEMS];
    for i in 0..n {
        let at = c.pos;
        let name = c.name(false)?;
        let h = super::fingerprint::fnv1a64(name.as_bytes()) as u32;
        for &(h2, at2) in &seen[..i] {
            if h2 == h {
                let other = Cur {
                    bytes,
                    pos: at2 as usize,
                }
                .name(false)?;
                if other == name {
                    return c.fail(at, ErrorKind::DuplicateName);
                }
            }
        }
        seen[i] = (h, at as u32);
        match items {
            Items::Fields => {
                skip_annotations(&mut c);
                skip_type(&mut c);
            }
            Items::Variants => skip_variant_data(&mut c),
        }
    }
    Ok(())
}

/// A checked definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Definition<'a> {
    bytes: &'a [u8],
}

impl<'a> Definition<'a> {
    /// Checks `bytes` against every rule of spec `schema.md` §4. Work is
    /// bounded by the length of `bytes` times the depth limit; recursion by the
    /// depth limit; nothing is allocated.
    pub fn parse(bytes: &'a [u8]) -> Result<Definition<'a>> {
        if !bytes.is_empty() {
            let mut c = Cur { bytes, pos: 0 };
            check_type(&mut c, 1)?;
            if c.pos != bytes.len() {
                return c.fail(c.pos, ErrorKind::TrailingBytes);
            }
        }
        Ok(Definition { bytes })
    }

    /// The definition's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The root type, or `None` for an empty definition (layout not described).
    pub fn root(&self) -> Option<Node<'a>> {
        if self.bytes.is_empty() {
            None
        } else {
            Some(Node {
                bytes: self.bytes,
                pos: 0,
            })
        }
    }
}

// ---------------------------------------------------------------------------
// Walking a checked definition. Every function below relies on the checks of
// `Definition::parse`; on bytes that did not pass them they return
// placeholders instead of panicking.
// ---------------------------------------------------------------------------

fn get_byte(c: &mut Cur<'_>) -> u8 {
    c.byte().unwrap_or(0)
}

fn get_varint(c: &mut Cur<'_>) -> u64 {
    c.varint().unwrap_or(0)
}

fn get_name<'a>(c: &mut Cur<'a>) -> &'a str {
    c.name(true).unwrap_or("")
}

fn skip_annotations(c: &mut Cur<'_>) {
    let _ = read_annotations(c);
}

fn read_annotations<'a>(c: &mut Cur<'a>) -> Annotations<'a> {
    let flags = get_byte(c);
    let mut a = Annotations::default();
    if flags & tag::annotation::UNIT != 0 {
        a.unit = Some(get_name(c));
    }
    if flags & tag::annotation::DESCRIPTION != 0 {
        a.description = Some(get_name(c));
    }
    if flags & tag::annotation::SCALE != 0 {
        a.scale = c.f64().ok();
    }
    if flags & tag::annotation::OFFSET != 0 {
        a.offset = c.f64().ok();
    }
    if flags & tag::annotation::TIME != 0 {
        a.time = Some(get_name(c));
    }
    a
}

fn skip_types(c: &mut Cur<'_>) {
    let n = get_varint(c);
    for _ in 0..n {
        skip_type(c);
    }
}

fn skip_fields(c: &mut Cur<'_>) {
    let n = get_varint(c);
    for _ in 0..n {
        get_name(c);
        skip_annotations(c);
        skip_type(c);
    }
}

fn skip_variant_data(c: &mut Cur<'_>) {
    match get_byte(c) {
        tag::variant::NEWTYPE => skip_type(c),
        tag::variant::TUPLE => skip_types(c),
        tag::variant::STRUCT => skip_fields(c),
        _ => {}
    }
}

/// Moves past one (checked) type. Recursion is bounded by the depth limit.
fn skip_type(c: &mut Cur<'_>) {
    match get_byte(c) {
        tag::OPTION | tag::SEQ => skip_type(c),
        tag::UNIT_STRUCT => {
            get_name(c);
        }
        tag::NEWTYPE_STRUCT => {
            get_name(c);
            skip_type(c);
        }
        tag::TUPLE => skip_types(c),
        tag::TUPLE_STRUCT => {
            get_name(c);
            skip_types(c);
        }
        tag::ARRAY => {
            get_varint(c);
            skip_type(c);
        }
        tag::MAP => {
            skip_type(c);
            skip_type(c);
        }
        tag::STRUCT => {
            get_name(c);
            skip_fields(c);
        }
        tag::ENUM => {
            get_name(c);
            let n = get_varint(c);
            for _ in 0..n {
                get_name(c);
                skip_variant_data(c);
            }
        }
        _ => {}
    }
}

/// A type inside a checked definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// What a [`Node`] is.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    /// bool
    Bool,
    /// u8
    U8,
    /// u16
    U16,
    /// u32
    U32,
    /// u64
    U64,
    /// u128
    U128,
    /// i8
    I8,
    /// i16
    I16,
    /// i32
    I32,
    /// i64
    I64,
    /// i128
    I128,
    /// f32
    F32,
    /// f64
    F64,
    /// char
    Char,
    /// string
    String,
    /// bytes
    Bytes,
    /// option
    Option(Node<'a>),
    /// unit
    Unit,
    /// unit struct
    UnitStruct {
        /// its name
        name: &'a str,
    },
    /// newtype struct
    NewtypeStruct {
        /// its name
        name: &'a str,
        /// the inner type
        inner: Node<'a>,
    },
    /// sequence
    Seq(Node<'a>),
    /// tuple
    Tuple(Elements<'a>),
    /// tuple struct
    TupleStruct {
        /// its name
        name: &'a str,
        /// its elements
        elements: Elements<'a>,
    },
    /// array
    Array {
        /// number of elements
        len: u32,
        /// element type
        element: Node<'a>,
    },
    /// map
    Map {
        /// key type
        key: Node<'a>,
        /// value type
        value: Node<'a>,
    },
    /// struct
    Struct {
        /// its name
        name: &'a str,
        /// its fields
        fields: Fields<'a>,
    },
    /// enum
    Enum {
        /// its name
        name: &'a str,
        /// its variants
        variants: Variants<'a>,
    },
}

impl<'a> Node<'a> {
    /// The definition bytes of this type (its tag and everything inside it).
    pub fn bytes(&self) -> &'a [u8] {
        let mut c = Cur {
            bytes: self.bytes,
            pos: self.pos,
        };
        skip_type(&mut c);
        &self.bytes[self.pos..c.pos]
    }

    /// The type's tag byte.
    pub fn tag(&self) -> u8 {
        self.bytes.get(self.pos).copied().unwrap_or(0)
    }

    /// What the type is.
    pub fn kind(&self) -> Kind<'a> {
        let mut c = Cur {
            bytes: self.bytes,
            pos: self.pos,
        };
        let node = |c: &Cur<'a>| Node {
            bytes: c.bytes,
            pos: c.pos,
        };
        match get_byte(&mut c) {
            tag::BOOL => Kind::Bool,
            tag::U8 => Kind::U8,
            tag::U16 => Kind::U16,
            tag::U32 => Kind::U32,
            tag::U64 => Kind::U64,
            tag::U128 => Kind::U128,
            tag::I8 => Kind::I8,
            tag::I16 => Kind::I16,
            tag::I32 => Kind::I32,
            tag::I64 => Kind::I64,
            tag::I128 => Kind::I128,
            tag::F32 => Kind::F32,
            tag::F64 => Kind::F64,
            tag::CHAR => Kind::Char,
            tag::STRING => Kind::String,
            tag::BYTES => Kind::Bytes,
            tag::OPTION => Kind::Option(node(&c)),
            tag::SEQ => Kind::Seq(node(&c)),
            tag::UNIT_STRUCT => Kind::UnitStruct {
                name: get_name(&mut c),
            },
            tag::NEWTYPE_STRUCT => {
                let name = get_name(&mut c);
                Kind::NewtypeStruct {
                    name,
                    inner: node(&c),
                }
            }
            tag::TUPLE => Kind::Tuple(Elements::at(c)),
            tag::TUPLE_STRUCT => {
                let name = get_name(&mut c);
                Kind::TupleStruct {
                    name,
                    elements: Elements::at(c),
                }
            }
            tag::ARRAY => {
                let len = get_varint(&mut c) as u32;
                Kind::Array {
                    len,
                    element: node(&c),
                }
            }
            tag::MAP => {
                let key = node(&c);
                skip_type(&mut c);
                Kind::Map {
                    key,
                    value: node(&c),
                }
            }
            tag::STRUCT => {
                let name = get_name(&mut c);
                Kind::Struct {
                    name,
                    fields: Fields::at(c),
                }
            }
            tag::ENUM => {
                let name = get_name(&mut c);
                Kind::Enum {
                    name,
                    variants: Variants::at(c),
                }
            }
            _ => Kind::Unit,
        }
    }

    /// The minimum size of this type (spec `schema.md` §7), a lower bound on
    /// the payload bytes a value of it takes: 0 exactly for unit, unit
    /// struct, and newtype structs, tuples, tuple structs and structs made
    /// only of such (a struct with no fields included). In a checked
    /// definition, every element of a sequence or array, and every entry of
    /// a map, has a minimum size of at least 1 (spec §4). Work is linear in
    /// the size of the type's definition.
    pub fn min_size(&self) -> usize {
        min_size_of(&mut Cur {
            bytes: self.bytes,
            pos: self.pos,
        })
    }
}

/// The minimum size of the (checked) type at `c`, moving past it: one pass
/// over its bytes, recursion bounded by the depth limit.
fn min_size_of(c: &mut Cur<'_>) -> usize {
    let start = c.pos;
    match get_byte(c) {
        tag::UNIT => 0,
        tag::UNIT_STRUCT => {
            get_name(c);
            0
        }
        tag::NEWTYPE_STRUCT => {
            get_name(c);
            min_size_of(c)
        }
        tag::TUPLE => min_sizes_of(c),
        tag::TUPLE_STRUCT => {
            get_name(c);
            min_sizes_of(c)
        }
        tag::ARRAY => {
            let len = usize::try_from(get_varint(c)).unwrap_or(usize::MAX);
            min_size_of(c).saturating_mul(len)
        }
        tag::STRUCT => {
            get_name(c);
            let n = get_varint(c);
            let mut sum = 0usize;
            for _ in 0..n {
                get_name(c);
                skip_annotations(c);
                sum = sum.saturating_add(min_size_of(c));
            }
            sum
        }
        tag::F32 => 4,
        tag::F64 => 8,
        _ => {
            // Every other type takes at least one byte (a value, a tag, a
            // count): move past it.
            c.pos = start;
            skip_type(c);
            1
        }
    }
}

/// The summed minimum sizes of a count and that many (checked) types.
fn min_sizes_of(c: &mut Cur<'_>) -> usize {
    let n = get_varint(c);
    let mut sum = 0usize;
    for _ in 0..n {
        sum = sum.saturating_add(min_size_of(c));
    }
    sum
}

/// The element types of a tuple or tuple struct.
#[derive(Debug, Clone, Copy)]
pub struct Elements<'a> {
    c: Cur<'a>,
    left: u64,
}

impl<'a> Elements<'a> {
    fn at(mut c: Cur<'a>) -> Self {
        let left = get_varint(&mut c);
        Elements { c, left }
    }

    /// Number of elements left.
    pub fn count(&self) -> usize {
        self.left as usize
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Node<'a>;
    fn next(&mut self) -> Option<Node<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let n = Node {
            bytes: self.c.bytes,
            pos: self.c.pos,
        };
        skip_type(&mut self.c);
        Some(n)
    }
}

/// What a field means: its annotations (spec `schema.md` §3).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Annotations<'a> {
    /// Unit symbol.
    pub unit: Option<&'a str>,
    /// Description.
    pub description: Option<&'a str>,
    /// Scale of a scaled integer.
    pub scale: Option<f64>,
    /// Offset of a scaled integer.
    pub offset: Option<f64>,
    /// Time base of a timestamp (`""`: the container's).
    pub time: Option<&'a str>,
}

/// A field of a struct or struct variant.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef<'a> {
    /// Its name.
    pub name: &'a str,
    /// What it means.
    pub annotations: Annotations<'a>,
    /// Its type.
    pub ty: Node<'a>,
}

/// The fields of a struct or struct variant.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    c: Cur<'a>,
    left: u64,
}

impl<'a> Fields<'a> {
    fn at(mut c: Cur<'a>) -> Self {
        let left = get_varint(&mut c);
        Fields { c, left }
    }

    /// Number of fields left.
    pub fn count(&self) -> usize {
        self.left as usize
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = FieldRef<'a>;
    fn next(&mut self) -> Option<FieldRef<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let name = get_name(&mut self.c);
        let annotations = read_annotations(&mut self.c);
        let ty = Node {
            bytes: self.c.bytes,
            pos: self.c.pos,
        };
        skip_type(&mut self.c);
        Some(FieldRef {
            name,
            annotations,
            ty,
        })
    }
}

/// The data of an enum variant.
#[derive(Debug, Clone, Copy)]
pub enum VariantKind<'a> {
    /// No data.
    Unit,
    /// One value.
    Newtype(Node<'a>),
    /// Several values.
    Tuple(Elements<'a>),
    /// Named fields.
    Struct(Fields<'a>),
}

/// A variant of an enum.
#[derive(Debug, Clone, Copy)]
pub struct VariantRef<'a> {
    /// Its index (what the payload stores).
    pub index: u32,
    /// Its name.
    pub name: &'a str,
    /// Its data.
    pub kind: VariantKind<'a>,
}

/// The variants of an enum.
#[derive(Debug, Clone, Copy)]
pub struct Variants<'a> {
    c: Cur<'a>,
    left: u64,
    index: u32,
}

impl<'a> Variants<'a> {
    fn at(mut c: Cur<'a>) -> Self {
        let left = get_varint(&mut c);
        Variants { c, left, index: 0 }
    }

    /// Number of variants left.
    pub fn count(&self) -> usize {
        self.left as usize
    }
}

impl<'a> Iterator for Variants<'a> {
    type Item = VariantRef<'a>;
    fn next(&mut self) -> Option<VariantRef<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let name = get_name(&mut self.c);
        let at = self.c;
        let kind_byte = get_byte(&mut self.c);
        let after = self.c;
        let kind = match kind_byte {
            tag::variant::NEWTYPE => VariantKind::Newtype(Node {
                bytes: after.bytes,
                pos: after.pos,
            }),
            tag::variant::TUPLE => VariantKind::Tuple(Elements::at(after)),
            tag::variant::STRUCT => VariantKind::Struct(Fields::at(after)),
            _ => VariantKind::Unit,
        };
        self.c = at;
        skip_variant_data(&mut self.c);
        let index = self.index;
        self.index += 1;
        Some(VariantRef { index, name, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> Error {
        Definition::parse(bytes).unwrap_err()
    }

    #[test]
    fn refusals() {
        assert_eq!(err(&[0x00]).kind, ErrorKind::BadTag { tag: 0 });
        assert_eq!(err(&[0x1C]).kind, ErrorKind::BadTag { tag: 0x1C });
        assert_eq!(err(&[0x11]).kind, ErrorKind::Truncated);
        assert_eq!(err(&[0x01, 0x01]).kind, ErrorKind::TrailingBytes);
        assert_eq!(err(&[0x13, 0x00]).kind, ErrorKind::BadName);
        assert_eq!(err(&[0x13, 0x01, 0xFF]).kind, ErrorKind::InvalidUtf8);
        assert_eq!(err(&[0x16, 0x00]).kind, ErrorKind::BadCount { count: 0 });
        assert_eq!(
            err(&[0x18, 0x80, 0x80, 0x04, 0x01]).kind,
            ErrorKind::BadCount { count: 65_536 }
        );
        assert_eq!(err(&[0x18, 0x80, 0x00, 0x01]).kind, ErrorKind::BadVarint);
        assert_eq!(
            err(b"\x1B\x01E\x01\x01A\x04").kind,
            ErrorKind::BadVariantKind { kind: 4 }
        );
        assert_eq!(
            err(b"\x1A\x01S\x01\x01a\x20\x01").kind,
            ErrorKind::BadAnnotation
        );
        assert_eq!(
            err(b"\x1A\x01S\x02\x01a\x00\x01\x01a\x00\x02").kind,
            ErrorKind::DuplicateName
        );
        assert_eq!(
            err(b"\x1B\x01E\x02\x01A\x00\x01A\x00").kind,
            ErrorKind::DuplicateName
        );
        // scale 0
        let mut zero_scale = *b"\x1A\x01S\x01\x01a\x04\0\0\0\0\0\0\0\0\x02";
        assert_eq!(err(&zero_scale).kind, ErrorKind::BadAnnotation);
        zero_scale[7..15].copy_from_slice(&2.0f64.to_le_bytes());
        assert!(Definition::parse(&zero_scale).is_ok());
    }

    #[test]
    fn depth_limit_and_a_hundred_thousand_levels() {
        // 31 options around a bool: depth 32, accepted.
        let mut ok = [0x11u8; 32];
        ok[31] = 0x01;
        assert!(Definition::parse(&ok).is_ok());
        let mut deep = [0x11u8; 33];
        deep[32] = 0x01;
        assert_eq!(
            err(&deep),
            Error {
                offset: 32,
                kind: ErrorKind::TooDeep
            }
        );
        // 100,000 levels: refused at level 33 without deep recursion.
        let huge = [0x11u8; 100_000];
        assert_eq!(err(&huge).kind, ErrorKind::TooDeep);
    }

    fn min_size(bytes: &[u8]) -> usize {
        Definition::parse(bytes).unwrap().root().unwrap().min_size()
    }

    #[test]
    fn min_sizes() {
        // (unit, unit struct U, f32)
        assert_eq!(min_size(b"\x16\x03\x12\x13\x01U\x0C"), 4);
        // [f32; 5], [[u8; 3]; 300]
        assert_eq!(min_size(b"\x18\x05\x0C"), 20);
        assert_eq!(min_size(b"\x18\xAC\x02\x18\x03\x02"), 900);
        // struct S { a: N(()), b: f64, c: u128 }
        assert_eq!(
            min_size(b"\x1A\x01S\x03\x01a\x00\x14\x01N\x12\x01b\x00\x0D\x01c\x00\x06"),
            9
        );
        // Zero-size roots are allowed: a struct with no fields, a tuple
        // struct of units, a newtype around a unit struct.
        assert_eq!(min_size(b"\x1A\x01E\x00"), 0);
        assert_eq!(min_size(b"\x17\x01T\x02\x12\x12"), 0);
        assert_eq!(min_size(b"\x14\x01N\x13\x01U"), 0);
        // Options, sequences, maps and enums take at least their tag, count
        // or index.
        assert_eq!(min_size(b"\x11\x0D"), 1);
        assert_eq!(min_size(b"\x15\x0D"), 1);
        assert_eq!(min_size(b"\x19\x0D\x0D"), 1);
        assert_eq!(min_size(b"\x1B\x01E\x01\x01A\x01\x0D"), 1);
        // 31 nested arrays of 65,535: saturates instead of overflowing.
        let mut nested = [0x18, 0xFF, 0xFF, 0x03].repeat(31);
        nested.push(0x02);
        assert_eq!(min_size(&nested), usize::MAX);
    }

    #[test]
    fn zero_size_elements_are_refused() {
        let zero = |bytes: &[u8], offset: usize| {
            assert_eq!(
                err(bytes),
                Error {
                    offset,
                    kind: ErrorKind::ZeroSizeElement
                },
                "{bytes:02X?}"
            );
        };
        // Vec<()>, Vec<U>, Vec<N(())>, Vec<((), U)>, Vec<E {}>, Vec<T((), ())>
        zero(b"\x15\x12", 0);
        zero(b"\x15\x13\x01U", 0);
        zero(b"\x15\x14\x01N\x12", 0);
        zero(b"\x15\x16\x02\x12\x13\x01U", 0);
        zero(b"\x15\x1A\x01E\x00", 0);
        zero(b"\x15\x17\x01T\x02\x12\x12", 0);
        // [(); 3], [E {}; 2], [[(); 2]; 2] (the inner array is refused first)
        zero(b"\x18\x03\x12", 0);
        zero(b"\x18\x02\x1A\x01E\x00", 0);
        zero(b"\x18\x02\x18\x02\x12", 2);
        // BTreeMap<(), ()>, BTreeMap<U, E {}>
        zero(b"\x19\x12\x12", 0);
        zero(b"\x19\x13\x01U\x1A\x01E\x00", 0);
        // Deeper in the definition: Option<Vec<Vec<()>>>, and a field.
        zero(b"\x11\x15\x15\x12", 2);
        zero(b"\x1A\x01S\x02\x01a\x00\x02\x01b\x00\x15\x12", 11);
        // In an enum variant.
        zero(b"\x1B\x01E\x01\x01A\x01\x18\x01\x12", 7);

        // Neighbours that take at least one byte per element are accepted.
        for ok in [
            &b"\x15\x02"[..],
            b"\x15\x11\x12",                   // Vec<Option<()>>
            b"\x15\x16\x02\x12\x02",           // Vec<((), u8)>
            b"\x15\x1B\x01E\x01\x01A\x00",     // Vec<enum of a unit variant>
            b"\x15\x1A\x01S\x01\x01a\x00\x01", // Vec<S { a: bool }>
            b"\x18\x03\x16\x02\x12\x0C",       // [((), f32); 3]
            b"\x19\x12\x02",                   // BTreeMap<(), u8>
            b"\x19\x02\x12",                   // BTreeMap<u8, ()>
            b"\x19\x11\x02\x1A\x01E\x00",      // BTreeMap<Option<u8>, E {}>
            b"\x15\x15\x15\x02",               // Vec<Vec<Vec<u8>>>
        ] {
            assert!(Definition::parse(ok).is_ok(), "{ok:02X?}");
        }
        assert_eq!(ErrorKind::ZeroSizeElement.name(), "ZeroSizeElement");
        // The message, written without an allocator.
        struct Buf([u8; 128], usize);
        impl fmt::Write for Buf {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let end = self.1 + s.len();
                self.0.get_mut(self.1..end).ok_or(fmt::Error)?;
                self.0[self.1..end].copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let mut buf = Buf([0; 128], 0);
        fmt::Write::write_fmt(&mut buf, format_args!("{}", err(b"\x11\x15\x12"))).unwrap();
        assert_eq!(
            &buf.0[..buf.1],
            b"at definition byte 1: a sequence, array or map whose elements take no payload \
              bytes (minimum size 0)"
        );
    }
}
