//! The canonical definition encoding of a [`Type`] (spec `schema.md` §2–§4),
//! computed at compile time.
//!
//! [`encoded_len`] and [`encode`] are `const fn`s, so a record type's
//! definition is a constant in flash, built by the compiler; the
//! [`definition!`](crate::definition) macro wraps the two. A descriptor that
//! breaks a rule of the spec (an empty or overlong name, too many fields,
//! nesting deeper than 32, a sequence, array or map of zero-size elements)
//! stops the build with a message.
//!
//! ```
//! use koffer::schema::{Field, Meta, Type};
//! const BEAT: Type = Type::Struct("Beat", &[
//!     Field { name: "at_ms", meta: Meta { unit: Some("ms"), time: Some(""), ..Meta::NONE }, ty: &Type::U64 },
//!     Field { name: "bpm", meta: Meta::NONE, ty: &Type::U8 },
//! ]);
//! const DEF: &[u8] = koffer::definition!(&BEAT);
//! assert_eq!(DEF, b"\x1A\x04Beat\x02\x05at_ms\x11\x02ms\x00\x05\x03bpm\x00\x02");
//! ```

use super::types::{tag, Field, Meta, Type, Variant, VariantData};
use crate::limits;

/// Deepest nesting of types (spec `schema.md` §7).
pub const MAX_DEPTH: usize = 32;
/// Most fields, variants or tuple elements in one type (spec `schema.md` §7).
pub const MAX_ITEMS: usize = 255;
/// Longest array (spec `schema.md` §7).
pub const MAX_ARRAY_LEN: u32 = 65_535;

const fn varint_len(v: u64) -> usize {
    crate::varint::encoded_len(v)
}

// The `panic!`s below are compile-time errors: these functions run in
// constants over descriptors the program itself declares (see `encoded_len`).

const fn name_len(name: &str, allow_empty: bool) -> usize {
    let n = name.len();
    if (n == 0 && !allow_empty) || n > limits::MAX_NAME_LEN as usize {
        panic!("koffer schema: a name must be 1 to 255 bytes");
    }
    varint_len(n as u64) + n
}

const fn count_len(n: usize, min: usize) -> usize {
    if n < min || n > MAX_ITEMS {
        panic!("koffer schema: too many (or no) fields, variants or elements");
    }
    varint_len(n as u64)
}

const fn meta_len(m: &Meta) -> usize {
    let mut n = 1;
    if let Some(u) = m.unit {
        n += name_len(u, false);
    }
    if let Some(d) = m.description {
        n += name_len(d, false);
    }
    if let Some(s) = m.scale {
        if !s.is_finite() || s == 0.0 {
            panic!("koffer schema: a scale must be finite and not zero");
        }
        n += 8;
    }
    if let Some(o) = m.offset {
        if !o.is_finite() {
            panic!("koffer schema: an offset must be finite");
        }
        n += 8;
    }
    if let Some(t) = m.time {
        n += name_len(t, true);
    }
    n
}

const fn fields_len(fields: &[Field], depth: usize) -> usize {
    let mut n = count_len(fields.len(), 0);
    let mut i = 0;
    while i < fields.len() {
        n += name_len(fields[i].name, false)
            + meta_len(&fields[i].meta)
            + type_len(fields[i].ty, depth);
        i += 1;
    }
    n
}

const fn types_len(types: &[&Type], depth: usize) -> usize {
    let mut n = count_len(types.len(), 1);
    let mut i = 0;
    while i < types.len() {
        n += type_len(types[i], depth);
        i += 1;
    }
    n
}

const fn variants_len(variants: &[Variant], depth: usize) -> usize {
    let mut n = count_len(variants.len(), 1);
    let mut i = 0;
    while i < variants.len() {
        n += name_len(variants[i].name, false) + 1;
        n += match variants[i].data {
            VariantData::Unit => 0,
            VariantData::Newtype(t) => type_len(t, depth),
            VariantData::Tuple(ts) => types_len(ts, depth),
            VariantData::Struct(fs) => fields_len(fs, depth),
        };
        i += 1;
    }
    n
}

const fn sum_min_sizes(types: &[&Type]) -> usize {
    let mut n = 0usize;
    let mut i = 0;
    while i < types.len() {
        n = n.saturating_add(min_size(types[i]));
        i += 1;
    }
    n
}

/// The fewest payload bytes a value of `ty` takes (spec `schema.md` §7), as
/// [`Node::min_size`](super::Node::min_size) computes it from a definition:
/// 0 for unit, unit struct, and newtype structs, tuples, tuple structs and
/// structs made only of such.
const fn min_size(ty: &Type) -> usize {
    match *ty {
        Type::Unit | Type::UnitStruct(_) => 0,
        Type::NewtypeStruct(_, t) => min_size(t),
        Type::Tuple(ts) | Type::TupleStruct(_, ts) => sum_min_sizes(ts),
        Type::Array(len, t) => min_size(t).saturating_mul(len as usize),
        Type::Struct(_, fields) => {
            let mut n = 0usize;
            let mut i = 0;
            while i < fields.len() {
                n = n.saturating_add(min_size(fields[i].ty));
                i += 1;
            }
            n
        }
        Type::F32 => 4,
        Type::F64 => 8,
        // Every other type takes at least one byte (a value, a tag, a count).
        _ => 1,
    }
}

/// Stops the build when the element of a sequence or array, or the entry of a
/// map, would take no payload bytes (spec `schema.md` §4, `ZeroSizeElement`).
const fn check_element_size(min: usize) {
    if min == 0 {
        panic!("koffer schema: a sequence, array or map of zero-size elements is not allowed");
    }
}

/// Length of `ty`'s encoding at nesting `depth` (the root is at depth 1).
const fn type_len(ty: &Type, depth: usize) -> usize {
    if depth > MAX_DEPTH {
        panic!("koffer schema: types nest deeper than 32");
    }
    let d = depth + 1;
    1 + match *ty {
        Type::Option(t) => type_len(t, d),
        Type::Seq(t) => {
            let n = type_len(t, d);
            check_element_size(min_size(t));
            n
        }
        Type::UnitStruct(name) => name_len(name, false),
        Type::NewtypeStruct(name, t) => name_len(name, false) + type_len(t, d),
        Type::Tuple(ts) => types_len(ts, d),
        Type::TupleStruct(name, ts) => name_len(name, false) + types_len(ts, d),
        Type::Array(len, t) => {
            if len == 0 || len > MAX_ARRAY_LEN {
                panic!("koffer schema: an array holds 1 to 65535 elements");
            }
            let n = varint_len(len as u64) + type_len(t, d);
            check_element_size(min_size(t));
            n
        }
        Type::Map(k, v) => {
            let n = type_len(k, d) + type_len(v, d);
            check_element_size(min_size(k).saturating_add(min_size(v)));
            n
        }
        Type::Struct(name, fields) => name_len(name, false) + fields_len(fields, d),
        Type::Enum(name, variants) => name_len(name, false) + variants_len(variants, d),
        _ => 0,
    }
}

/// Length of the canonical encoding of `ty`.
///
/// # Panics
///
/// If `ty` breaks a rule of spec `schema.md` (empty or overlong name, too
/// many items, zero-size elements, nesting over 32, a zero or non-finite
/// scale). These functions exist to be evaluated in constants (as
/// [`definition!`](crate::definition) and the derive do), where the panic is a
/// build error naming the rule; descriptors are written by programmers, never
/// read from input. To check definition *bytes* from outside, use
/// [`Definition::parse`](super::Definition::parse), which returns errors.
pub const fn encoded_len(ty: &Type) -> usize {
    type_len(ty, 1)
}

/// A cursor writing into a fixed array in const context.
struct Out<'o> {
    buf: &'o mut [u8],
    pos: usize,
}

impl Out<'_> {
    const fn byte(&mut self, b: u8) {
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    const fn varint(&mut self, v: u64) {
        let (_, rest) = self.buf.split_at_mut(self.pos);
        self.pos += crate::varint::encode_into(v, rest);
    }

    const fn bytes(&mut self, s: &[u8]) {
        let mut i = 0;
        while i < s.len() {
            self.byte(s[i]);
            i += 1;
        }
    }

    const fn name(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.bytes(s.as_bytes());
    }

    const fn f64(&mut self, v: f64) {
        self.bytes(&v.to_bits().to_le_bytes());
    }

    const fn meta(&mut self, m: &Meta) {
        let mut flags = 0;
        if m.unit.is_some() {
            flags |= tag::annotation::UNIT;
        }
        if m.description.is_some() {
            flags |= tag::annotation::DESCRIPTION;
        }
        if m.scale.is_some() {
            flags |= tag::annotation::SCALE;
        }
        if m.offset.is_some() {
            flags |= tag::annotation::OFFSET;
        }
        if m.time.is_some() {
            flags |= tag::annotation::TIME;
        }
        self.byte(flags);
        if let Some(u) = m.unit {
            self.name(u);
        }
        if let Some(d) = m.description {
            self.name(d);
        }
        if let Some(s) = m.scale {
            self.f64(s);
        }
        if let Some(o) = m.offset {
            self.f64(o);
        }
        if let Some(t) = m.time {
            self.name(t);
        }
    }

    const fn fields(&mut self, fields: &[Field]) {
        self.varint(fields.len() as u64);
        let mut i = 0;
        while i < fields.len() {
            self.name(fields[i].name);
            self.meta(&fields[i].meta);
            self.ty(fields[i].ty);
            i += 1;
        }
    }

    const fn types(&mut self, types: &[&Type]) {
        self.varint(types.len() as u64);
        let mut i = 0;
        while i < types.len() {
            self.ty(types[i]);
            i += 1;
        }
    }

    const fn ty(&mut self, ty: &Type) {
        match *ty {
            Type::Bool => self.byte(tag::BOOL),
            Type::U8 => self.byte(tag::U8),
            Type::U16 => self.byte(tag::U16),
            Type::U32 => self.byte(tag::U32),
            Type::U64 => self.byte(tag::U64),
            Type::U128 => self.byte(tag::U128),
            Type::I8 => self.byte(tag::I8),
            Type::I16 => self.byte(tag::I16),
            Type::I32 => self.byte(tag::I32),
            Type::I64 => self.byte(tag::I64),
            Type::I128 => self.byte(tag::I128),
            Type::F32 => self.byte(tag::F32),
            Type::F64 => self.byte(tag::F64),
            Type::Char => self.byte(tag::CHAR),
            Type::String => self.byte(tag::STRING),
            Type::Bytes => self.byte(tag::BYTES),
            Type::Unit => self.byte(tag::UNIT),
            Type::Option(t) => {
                self.byte(tag::OPTION);
                self.ty(t);
            }
            Type::Seq(t) => {
                self.byte(tag::SEQ);
                self.ty(t);
            }
            Type::UnitStruct(name) => {
                self.byte(tag::UNIT_STRUCT);
                self.name(name);
            }
            Type::NewtypeStruct(name, t) => {
                self.byte(tag::NEWTYPE_STRUCT);
                self.name(name);
                self.ty(t);
            }
            Type::Tuple(ts) => {
                self.byte(tag::TUPLE);
                self.types(ts);
            }
            Type::TupleStruct(name, ts) => {
                self.byte(tag::TUPLE_STRUCT);
                self.name(name);
                self.types(ts);
            }
            Type::Array(len, t) => {
                self.byte(tag::ARRAY);
                self.varint(len as u64);
                self.ty(t);
            }
            Type::Map(k, v) => {
                self.byte(tag::MAP);
                self.ty(k);
                self.ty(v);
            }
            Type::Struct(name, fields) => {
                self.byte(tag::STRUCT);
                self.name(name);
                self.fields(fields);
            }
            Type::Enum(name, variants) => {
                self.byte(tag::ENUM);
                self.name(name);
                self.varint(variants.len() as u64);
                let mut i = 0;
                while i < variants.len() {
                    self.name(variants[i].name);
                    match variants[i].data {
                        VariantData::Unit => self.byte(tag::variant::UNIT),
                        VariantData::Newtype(t) => {
                            self.byte(tag::variant::NEWTYPE);
                            self.ty(t);
                        }
                        VariantData::Tuple(ts) => {
                            self.byte(tag::variant::TUPLE);
                            self.types(ts);
                        }
                        VariantData::Struct(fs) => {
                            self.byte(tag::variant::STRUCT);
                            self.fields(fs);
                        }
                    }
                    i += 1;
                }
            }
        }
    }
}

/// The canonical encoding of `ty` in an array of exactly `N` =
/// [`encoded_len`]`(ty)` bytes.
///
/// Evaluated in a constant, a descriptor that breaks a rule of the spec, or a
/// wrong `N`, stops the build. Among those rules (spec `schema.md` §4): the
/// element of a sequence or array, and the entry (key and value together) of
/// a map, must take at least one payload byte, so `Vec<()>`, `[(); 4]`,
/// `BTreeMap<(), ()>` or a sequence of a struct with no fields cannot be
/// described:
///
/// ```compile_fail
/// use koffer::schema::Type;
/// const UNITS: Type = Type::Seq(&Type::Unit);
/// // error: "koffer schema: a sequence, array or map of zero-size elements is not allowed"
/// const DEF: &[u8] = koffer::definition!(&UNITS);
/// ```
///
/// An element that takes a byte, such as `Option<()>` or `(u8, ())`, is
/// fine:
///
/// ```
/// use koffer::schema::Type;
/// const OPTS: Type = Type::Seq(&Type::Option(&Type::Unit));
/// assert_eq!(koffer::definition!(&OPTS), &[0x15, 0x11, 0x12]);
/// ```
///
/// # Panics
///
/// As [`encoded_len`], and if `N` is not `encoded_len(ty)`: in a constant,
/// a build error.
pub const fn encode<const N: usize>(ty: &Type) -> [u8; N] {
    if encoded_len(ty) != N {
        panic!("koffer schema: N must be encoded_len(ty)");
    }
    let mut buf = [0u8; N];
    let mut out = Out {
        buf: &mut buf,
        pos: 0,
    };
    out.ty(ty);
    buf
}

/// Writes the definition of `ty` at the start of `buf`, which must hold
/// [`encoded_len`]`(ty)` bytes (for the run-time builder).
#[cfg(feature = "alloc")]
pub(crate) fn encode_to(ty: &Type, buf: &mut [u8]) {
    let mut out = Out { buf, pos: 0 };
    out.ty(ty);
}

/// The canonical definition of a type descriptor, as a `&'static [u8]`
/// computed at compile time.
///
/// ```
/// const DEF: &[u8] = koffer::definition!(<(u8, bool) as koffer::schema::Describe>::TYPE);
/// assert_eq!(DEF, &[0x16, 0x02, 0x02, 0x01]);
/// ```
#[macro_export]
macro_rules! definition {
    ($ty:expr) => {{
        const LEN: usize = $crate::schema::encoded_len($ty);
        const BYTES: [u8; LEN] = $crate::schema::encode::<LEN>($ty);
        &BYTES
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_encodes() {
        const E: Type = Type::Enum(
            "E",
            &[
                Variant {
                    name: "A",
                    data: VariantData::Unit,
                },
                Variant {
                    name: "B",
                    data: VariantData::Newtype(&Type::I8),
                },
                Variant {
                    name: "C",
                    data: VariantData::Tuple(&[&Type::F32, &Type::Char]),
                },
                Variant {
                    name: "D",
                    data: VariantData::Struct(&[Field {
                        name: "x",
                        meta: Meta::NONE,
                        ty: &Type::Bytes,
                    }]),
                },
            ],
        );
        let def: &[u8] = crate::definition!(&E);
        assert_eq!(
            def,
            b"\x1B\x01E\x04\x01A\x00\x01B\x01\x07\x01C\x02\x02\x0C\x0E\x01D\x03\x01\x01x\x00\x10"
        );
        const M: Type = Type::Map(&Type::String, &Type::Seq(&Type::Array(300, &Type::U128)));
        assert_eq!(crate::definition!(&M), b"\x19\x0F\x15\x18\xAC\x02\x06");
    }

    #[test]
    fn annotations_in_bit_order() {
        const T: Type = Type::Struct(
            "T",
            &[Field {
                name: "t",
                meta: Meta {
                    unit: Some("Cel"),
                    description: Some("d"),
                    scale: Some(0.5),
                    offset: Some(-40.0),
                    time: Some("boot"),
                },
                ty: &Type::I16,
            }],
        );
        let def: &[u8] = crate::definition!(&T);
        assert_eq!(&def[..13], b"\x1A\x01T\x01\x01t\x1F\x03Cel\x01d");
        assert_eq!(def[13..21], 0.5f64.to_le_bytes());
        assert_eq!(def[21..29], (-40.0f64).to_le_bytes());
        assert_eq!(&def[29..], b"\x04boot\x08");
    }

    /// Sequences, arrays and maps whose elements take at least one byte
    /// encode, and the definitions pass the reader's checks. (Their
    /// zero-size neighbours, `Vec<()>` and the like, stop the build: see the
    /// `compile_fail` example of [`encode`].)
    #[test]
    fn elements_of_nonzero_size_encode() {
        const EMPTY: Type = Type::Struct("E", &[]);
        const ONE: Type = Type::Struct(
            "S",
            &[
                Field {
                    name: "e",
                    meta: Meta::NONE,
                    ty: &EMPTY,
                },
                Field {
                    name: "x",
                    meta: Meta::NONE,
                    ty: &Type::F32,
                },
            ],
        );
        const ZERO_TUPLE: Type = Type::Tuple(&[&Type::Unit, &Type::UnitStruct("U")]);
        const T: Type = Type::Tuple(&[
            &Type::Seq(&Type::Option(&Type::Unit)),
            &Type::Seq(&Type::Tuple(&[&Type::Unit, &Type::U8])),
            &Type::Array(2, &ONE),
            &Type::Map(&Type::Unit, &Type::U8),
            &Type::Map(&Type::Bool, &EMPTY),
            &Type::Seq(&Type::NewtypeStruct("N", &Type::Bool)),
            &Type::Array(
                3,
                &Type::Enum(
                    "V",
                    &[Variant {
                        name: "A",
                        data: VariantData::Unit,
                    }],
                ),
            ),
            // Zero-size types elsewhere than as elements are fine.
            &ZERO_TUPLE,
            &EMPTY,
        ]);
        let def: &[u8] = crate::definition!(&T);
        let root = super::super::Definition::parse(def)
            .unwrap()
            .root()
            .unwrap();
        assert_eq!(min_size(&T), root.min_size());
        assert_eq!(min_size(&T), 1 + 1 + 2 * 4 + 1 + 1 + 1 + 3);
        assert_eq!(min_size(&ZERO_TUPLE), 0);
        assert_eq!(min_size(&EMPTY), 0);
        assert_eq!(min_size(&Type::Array(65_535, &Type::F64)), 65_535 * 8);
        assert_eq!(min_size(&Type::NewtypeStruct("N", &Type::Unit)), 0);
    }
}
