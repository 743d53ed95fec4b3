//! Definitions built at run time (feature `alloc`): the same canonical bytes
//! (spec `schema.md` §2–§4) as [`definition!`](crate::definition) and
//! `#[derive(Describe)]` produce at compile time, for types known only when
//! the program runs — a converter's input format, a fuzzer's generated types.

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;

use super::definition::{Annotations, Definition, Error};
use super::encode::{encode_to, encoded_len};
use super::types::{tag, Type};
use crate::varint;

/// Builds a definition's bytes at run time, type by type in the order the
/// encoding writes them (spec `schema.md` §2): a type, then its parts.
///
/// A struct announces its number of fields, each [`field`](Self::field) is
/// followed by the field's type; an enum announces its variants, each
/// `variant_*` call is followed by the variant's data; a tuple announces its
/// elements; an option, newtype struct, sequence or array is followed by one
/// type, a map by two. [`finish`](Self::finish) checks the result with
/// [`Definition::parse`], so it returns only valid definitions.
///
/// ```
/// use koffer::schema::{Annotations, Builder, Describe, Field, Meta, Type};
///
/// let mut b = Builder::new();
/// b.struct_("Beat", 2)
///     .field("at_ms", Annotations { unit: Some("ms"), time: Some(""), ..Annotations::default() })
///     .u64()
///     .field("bpm", Annotations::default())
///     .option()
///     .u8();
/// let bytes = b.finish()?;
///
/// // The same bytes as the compile-time encoder gives the same type.
/// struct Beat;
/// impl Describe for Beat {
///     const TYPE: &'static Type = &Type::Struct("Beat", &[
///         Field { name: "at_ms", meta: Meta { unit: Some("ms"), time: Some(""), ..Meta::NONE }, ty: u64::TYPE },
///         Field { name: "bpm", meta: Meta::NONE, ty: <Option<u8>>::TYPE },
///     ]);
/// }
/// assert_eq!(bytes, koffer::definition!(Beat::TYPE));
/// # Ok::<(), koffer::schema::BuildError>(())
/// ```
///
/// Calls after the first misplaced one are ignored; [`finish`](Self::finish)
/// reports it.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    out: Vec<u8>,
    /// The open composite types, innermost last.
    open: Vec<Open>,
    /// The root type is complete.
    done: bool,
    error: Option<BuildError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Type,
    Field,
    Variant,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    /// What each of the remaining parts is.
    slot: Slot,
    /// How many parts are still to come.
    remaining: usize,
}

impl Slot {
    fn name(self) -> &'static str {
        match self {
            Slot::Type => "a type",
            Slot::Field => "a field",
            Slot::Variant => "a variant",
        }
    }
}

/// A definition could not be built.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum BuildError {
    /// A call out of place: at byte `offset` of the definition, the
    /// encoding needs `expected` (`"a type"`, `"a field"`, `"a variant"`,
    /// or `"nothing"` once the definition is complete).
    Misplaced {
        /// Length of the definition when the call was made.
        offset: usize,
        /// What the encoding needs there.
        expected: &'static str,
    },
    /// [`Builder::finish`] before every announced part was given.
    Incomplete {
        /// Length of the definition so far.
        offset: usize,
        /// What the encoding needs next.
        expected: &'static str,
    },
    /// The bytes break a rule of spec `schema.md` (a name empty or over 255
    /// bytes, too many parts, an array length of 0, elements of zero size,
    /// nesting over 32, a zero or non-finite scale, …).
    Invalid(Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Misplaced { offset, expected } => {
                write!(f, "definition byte {offset}: expected {expected}")
            }
            BuildError::Incomplete { offset, expected } => {
                write!(f, "definition ends at byte {offset}: expected {expected}")
            }
            BuildError::Invalid(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for BuildError {}

macro_rules! primitives {
    ($($(#[$doc:meta])* $method:ident => $tag:ident),* $(,)?) => {
        $($(#[$doc])*
        pub fn $method(&mut self) -> &mut Self {
            if self.begin(Slot::Type) {
                self.out.push(tag::$tag);
                self.closed();
            }
            self
        })*
    };
}

impl Builder {
    /// A builder expecting the root type.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Whether the next part may be a `slot`; records the error if not.
    fn begin(&mut self, slot: Slot) -> bool {
        if self.error.is_some() {
            return false;
        }
        let expected = match self.open.last() {
            Some(o) => o.slot,
            None if !self.done => Slot::Type,
            None => {
                self.misplaced("nothing");
                return false;
            }
        };
        if expected != slot {
            self.misplaced(expected.name());
            return false;
        }
        true
    }

    fn misplaced(&mut self, expected: &'static str) {
        self.error = Some(BuildError::Misplaced {
            offset: self.out.len(),
            expected,
        });
    }

    /// A part is complete: counts it, closing the composites it completes.
    fn closed(&mut self) {
        loop {
            let Some(top) = self.open.last_mut() else {
                self.done = true;
                return;
            };
            top.remaining -= 1;
            if top.remaining > 0 {
                return;
            }
            self.open.pop();
        }
    }

    /// Opens a composite whose `n` parts are `slot`s (closes it at once if
    /// `n` is 0).
    fn parts(&mut self, slot: Slot, n: usize) {
        if n == 0 {
            self.closed();
        } else {
            self.open.push(Open { slot, remaining: n });
        }
    }

    fn name(&mut self, name: &str) {
        varint::push_u64(&mut self.out, name.len() as u64);
        self.out.extend_from_slice(name.as_bytes());
    }

    fn count(&mut self, n: usize) {
        varint::push_u64(&mut self.out, n as u64);
    }

    /// Opens a composite type: its tag, its name if any.
    fn composite(&mut self, tag: u8, name: Option<&str>) -> bool {
        if !self.begin(Slot::Type) {
            return false;
        }
        self.out.push(tag);
        if let Some(name) = name {
            self.name(name);
        }
        true
    }

    primitives! {
        /// `bool`.
        bool => BOOL,
        /// `u8`.
        u8 => U8,
        /// `u16`.
        u16 => U16,
        /// `u32`.
        u32 => U32,
        /// `u64`.
        u64 => U64,
        /// `u128`.
        u128 => U128,
        /// `i8`.
        i8 => I8,
        /// `i16`.
        i16 => I16,
        /// `i32`.
        i32 => I32,
        /// `i64`.
        i64 => I64,
        /// `i128`.
        i128 => I128,
        /// `f32`.
        f32 => F32,
        /// `f64`.
        f64 => F64,
        /// `char`.
        char => CHAR,
        /// UTF-8 text.
        string => STRING,
        /// Raw bytes.
        bytes => BYTES,
        /// `()`.
        unit => UNIT,
    }

    /// A primitive type by its tag (`tag::BOOL` … `tag::BYTES`, `tag::UNIT`),
    /// as generated types carry it.
    ///
    /// ```
    /// let mut b = koffer::schema::Builder::new();
    /// b.primitive(koffer::schema::tag::F32);
    /// assert_eq!(b.finish()?, [0x0C]);
    /// # Ok::<(), koffer::schema::BuildError>(())
    /// ```
    pub fn primitive(&mut self, tag: u8) -> &mut Self {
        if self.begin(Slot::Type) {
            self.out.push(tag);
            self.closed();
        }
        self
    }

    /// `struct Name;`.
    pub fn unit_struct(&mut self, name: &str) -> &mut Self {
        if self.composite(tag::UNIT_STRUCT, Some(name)) {
            self.closed();
        }
        self
    }

    /// `Option<T>`: the next type is `T`.
    pub fn option(&mut self) -> &mut Self {
        if self.composite(tag::OPTION, None) {
            self.parts(Slot::Type, 1);
        }
        self
    }

    /// `struct Name(T);`: the next type is `T`.
    pub fn newtype_struct(&mut self, name: &str) -> &mut Self {
        if self.composite(tag::NEWTYPE_STRUCT, Some(name)) {
            self.parts(Slot::Type, 1);
        }
        self
    }

    /// A sequence: the next type is the element's.
    pub fn seq(&mut self) -> &mut Self {
        if self.composite(tag::SEQ, None) {
            self.parts(Slot::Type, 1);
        }
        self
    }

    /// A tuple of `n` elements: the next `n` types.
    pub fn tuple(&mut self, n: usize) -> &mut Self {
        if self.composite(tag::TUPLE, None) {
            self.count(n);
            self.parts(Slot::Type, n);
        }
        self
    }

    /// `struct Name(A, B, …);` of `n` elements: the next `n` types.
    pub fn tuple_struct(&mut self, name: &str, n: usize) -> &mut Self {
        if self.composite(tag::TUPLE_STRUCT, Some(name)) {
            self.count(n);
            self.parts(Slot::Type, n);
        }
        self
    }

    /// `[T; len]`: the next type is `T`.
    pub fn array(&mut self, len: u32) -> &mut Self {
        if self.composite(tag::ARRAY, None) {
            self.count(len as usize);
            self.parts(Slot::Type, 1);
        }
        self
    }

    /// A map: the next two types are the key's and the value's.
    pub fn map(&mut self) -> &mut Self {
        if self.composite(tag::MAP, None) {
            self.parts(Slot::Type, 2);
        }
        self
    }

    /// `struct Name { … }` of `n` fields: the next `n` calls are
    /// [`field`](Self::field), each followed by the field's type.
    ///
    /// (Named `struct_` because `struct` is a keyword.)
    pub fn struct_(&mut self, name: &str, n: usize) -> &mut Self {
        if self.composite(tag::STRUCT, Some(name)) {
            self.count(n);
            self.parts(Slot::Field, n);
        }
        self
    }

    /// `enum Name { … }` of `n` variants: the next `n` calls are `variant_*`.
    ///
    /// ```
    /// let mut b = koffer::schema::Builder::new();
    /// b.enum_("Event", 2).variant_unit("Start").variant_newtype("Lap").u16();
    /// let bytes = b.finish()?;
    ///
    /// use koffer::schema::{Type, Variant, VariantData};
    /// // What `#[derive(Describe)]` gives `enum Event { Start, Lap(u16) }`:
    /// const EVENT: Type = Type::Enum("Event", &[
    ///     Variant { name: "Start", data: VariantData::Unit },
    ///     Variant { name: "Lap", data: VariantData::Newtype(&Type::U16) },
    /// ]);
    /// assert_eq!(bytes, koffer::definition!(&EVENT));
    /// # Ok::<(), koffer::schema::BuildError>(())
    /// ```
    pub fn enum_(&mut self, name: &str, n: usize) -> &mut Self {
        if self.composite(tag::ENUM, Some(name)) {
            self.count(n);
            self.parts(Slot::Variant, n);
        }
        self
    }

    /// A field of the struct or struct variant being built, with its
    /// annotations (spec `schema.md` §3): the next type is the field's.
    pub fn field(&mut self, name: &str, annotations: Annotations<'_>) -> &mut Self {
        if !self.begin(Slot::Field) {
            return self;
        }
        self.name(name);
        let a = annotations;
        let mut flags = 0;
        for (present, bit) in [
            (a.unit.is_some(), tag::annotation::UNIT),
            (a.description.is_some(), tag::annotation::DESCRIPTION),
            (a.scale.is_some(), tag::annotation::SCALE),
            (a.offset.is_some(), tag::annotation::OFFSET),
            (a.time.is_some(), tag::annotation::TIME),
        ] {
            if present {
                flags |= bit;
            }
        }
        self.out.push(flags);
        if let Some(unit) = a.unit {
            self.name(unit);
        }
        if let Some(text) = a.description {
            self.name(text);
        }
        for x in [a.scale, a.offset].into_iter().flatten() {
            self.out.extend_from_slice(&x.to_le_bytes());
        }
        if let Some(base) = a.time {
            self.name(base);
        }
        self.open.push(Open {
            slot: Slot::Type,
            remaining: 1,
        });
        self
    }

    fn variant(&mut self, name: &str, kind: u8) -> bool {
        if !self.begin(Slot::Variant) {
            return false;
        }
        self.name(name);
        self.out.push(kind);
        true
    }

    /// A unit variant `Name`.
    pub fn variant_unit(&mut self, name: &str) -> &mut Self {
        if self.variant(name, tag::variant::UNIT) {
            self.closed();
        }
        self
    }

    /// A variant `Name(T)`: the next type is `T`.
    pub fn variant_newtype(&mut self, name: &str) -> &mut Self {
        if self.variant(name, tag::variant::NEWTYPE) {
            self.parts(Slot::Type, 1);
        }
        self
    }

    /// A variant `Name(A, B, …)` of `n` elements: the next `n` types.
    pub fn variant_tuple(&mut self, name: &str, n: usize) -> &mut Self {
        if self.variant(name, tag::variant::TUPLE) {
            self.count(n);
            self.parts(Slot::Type, n);
        }
        self
    }

    /// A variant `Name { … }` of `n` fields: the next `n` calls are
    /// [`field`](Self::field), each followed by the field's type.
    pub fn variant_struct(&mut self, name: &str, n: usize) -> &mut Self {
        if self.variant(name, tag::variant::STRUCT) {
            self.count(n);
            self.parts(Slot::Field, n);
        }
        self
    }

    /// A type known at compile time, by its descriptor, as one part.
    ///
    /// ```
    /// use koffer::schema::{Annotations, Builder, Describe};
    /// let mut b = Builder::new();
    /// b.struct_("Fix", 1).field("at", Annotations::default()).describe(<(u32, [i16; 3])>::TYPE);
    /// assert_eq!(b.finish()?[..7], [0x1A, 3, b'F', b'i', b'x', 1, 2]);
    /// # Ok::<(), koffer::schema::BuildError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// As [`encoded_len`], if the descriptor breaks a rule of spec
    /// `schema.md` (descriptors are written by programmers, not read from
    /// input).
    pub fn describe(&mut self, ty: &Type) -> &mut Self {
        if self.begin(Slot::Type) {
            let at = self.out.len();
            self.out.resize(at + encoded_len(ty), 0);
            encode_to(ty, &mut self.out[at..]);
            self.closed();
        }
        self
    }

    /// The definition's bytes, checked by [`Definition::parse`].
    pub fn finish(self) -> Result<Vec<u8>, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some(o) = self.open.last() {
            return Err(BuildError::Incomplete {
                offset: self.out.len(),
                expected: o.slot.name(),
            });
        }
        if !self.done {
            return Err(BuildError::Incomplete {
                offset: 0,
                expected: Slot::Type.name(),
            });
        }
        Definition::parse(&self.out).map_err(BuildError::Invalid)?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Describe, ErrorKind, Field, Meta, Variant, VariantData};

    /// Builds `ty` through the builder's run-time calls (not `describe`).
    fn build(b: &mut Builder, ty: &Type) {
        match *ty {
            Type::Bool => b.bool(),
            Type::U8 => b.u8(),
            Type::U16 => b.u16(),
            Type::U32 => b.u32(),
            Type::U64 => b.u64(),
            Type::U128 => b.u128(),
            Type::I8 => b.i8(),
            Type::I16 => b.i16(),
            Type::I32 => b.i32(),
            Type::I64 => b.i64(),
            Type::I128 => b.i128(),
            Type::F32 => b.f32(),
            Type::F64 => b.f64(),
            Type::Char => b.char(),
            Type::String => b.string(),
            Type::Bytes => b.bytes(),
            Type::Unit => b.unit(),
            Type::UnitStruct(n) => b.unit_struct(n),
            Type::Option(t) => {
                b.option();
                build(b, t);
                b
            }
            Type::NewtypeStruct(n, t) => {
                b.newtype_struct(n);
                build(b, t);
                b
            }
            Type::Seq(t) => {
                b.seq();
                build(b, t);
                b
            }
            Type::Tuple(ts) => {
                b.tuple(ts.len());
                ts.iter().for_each(|t| build(b, t));
                b
            }
            Type::TupleStruct(n, ts) => {
                b.tuple_struct(n, ts.len());
                ts.iter().for_each(|t| build(b, t));
                b
            }
            Type::Array(len, t) => {
                b.array(len);
                build(b, t);
                b
            }
            Type::Map(k, v) => {
                b.map();
                build(b, k);
                build(b, v);
                b
            }
            Type::Struct(n, fs) => {
                b.struct_(n, fs.len());
                fields(b, fs);
                b
            }
            Type::Enum(n, vs) => {
                b.enum_(n, vs.len());
                for v in vs {
                    match v.data {
                        VariantData::Unit => {
                            b.variant_unit(v.name);
                        }
                        VariantData::Newtype(t) => {
                            b.variant_newtype(v.name);
                            build(b, t);
                        }
                        VariantData::Tuple(ts) => {
                            b.variant_tuple(v.name, ts.len());
                            ts.iter().for_each(|t| build(b, t));
                        }
                        VariantData::Struct(fs) => {
                            b.variant_struct(v.name, fs.len());
                            fields(b, fs);
                        }
                    }
                }
                b
            }
        };
    }

    fn fields(b: &mut Builder, fs: &[Field]) {
        for f in fs {
            let m = f.meta;
            b.field(
                f.name,
                Annotations {
                    unit: m.unit,
                    description: m.description,
                    scale: m.scale,
                    offset: m.offset,
                    time: m.time,
                },
            );
            build(b, f.ty);
        }
    }

    fn built(ty: &Type) -> Vec<u8> {
        let mut b = Builder::new();
        build(&mut b, ty);
        b.finish().unwrap()
    }

    const TEMP: Field = Field {
        name: "temp",
        meta: Meta {
            unit: Some("Cel"),
            description: Some("skin temperature"),
            scale: Some(0.01),
            offset: Some(-273.15),
            time: None,
        },
        ty: &Type::I16,
    };
    const AT: Field = Field {
        name: "at_ms",
        meta: Meta {
            unit: Some("ms"),
            time: Some("boot"),
            ..Meta::NONE
        },
        ty: &Type::U64,
    };
    const EVERY: Type = Type::Enum(
        "Every",
        &[
            Variant {
                name: "A",
                data: VariantData::Unit,
            },
            Variant {
                name: "B",
                data: VariantData::Newtype(&Type::Option(&Type::Unit)),
            },
            Variant {
                name: "C",
                data: VariantData::Tuple(&[&Type::U128, &Type::I128, &Type::Char]),
            },
            Variant {
                name: "D",
                data: VariantData::Struct(&[AT, TEMP]),
            },
        ],
    );
    const SAMPLE: Type = Type::Struct(
        "Sample",
        &[
            AT,
            TEMP,
            Field {
                name: "tags",
                meta: Meta::NONE,
                ty: &Type::Map(&Type::String, &Type::Bytes),
            },
            Field {
                name: "axes",
                meta: Meta::NONE,
                ty: &Type::Array(3, &Type::F32),
            },
            Field {
                name: "events",
                meta: Meta::NONE,
                ty: &Type::Seq(&EVERY),
            },
            Field {
                name: "id",
                meta: Meta::NONE,
                ty: &Type::NewtypeStruct("Id", &Type::TupleStruct("Pair", &[&Type::U8, &Type::I8])),
            },
            Field {
                name: "marker",
                meta: Meta::NONE,
                ty: &Type::UnitStruct("Marker"),
            },
            Field {
                name: "flags",
                meta: Meta::NONE,
                ty: &Type::Tuple(&[
                    &Type::Bool,
                    &Type::F64,
                    &Type::U16,
                    &Type::U32,
                    &Type::I32,
                    &Type::I64,
                ]),
            },
        ],
    );

    #[test]
    fn builder_bytes_equal_the_compile_time_definition() {
        assert_eq!(built(&SAMPLE), crate::definition!(&SAMPLE));
        assert_eq!(built(&EVERY), crate::definition!(&EVERY));
        assert_eq!(built(u8::TYPE), crate::definition!(u8::TYPE));
        assert_eq!(
            built(<(Option<u64>, [char; 2], &str)>::TYPE),
            crate::definition!(<(Option<u64>, [char; 2], &str)>::TYPE)
        );
        // A whole type by its descriptor, inside a run-time one.
        let mut b = Builder::new();
        b.option().describe(&SAMPLE);
        let mut expected = Vec::from([tag::OPTION]);
        expected.extend_from_slice(crate::definition!(&SAMPLE));
        assert_eq!(b.finish().unwrap(), expected);
    }

    #[test]
    fn misplaced_and_incomplete_calls_are_errors() {
        let mut b = Builder::new();
        b.field("x", Annotations::default());
        assert_eq!(
            b.finish(),
            Err(BuildError::Misplaced {
                offset: 0,
                expected: "a type"
            })
        );
        let mut b = Builder::new();
        b.struct_("S", 1).u8();
        assert_eq!(
            b.finish(),
            Err(BuildError::Misplaced {
                offset: 4,
                expected: "a field"
            })
        );
        let mut b = Builder::new();
        b.u8().u8();
        assert_eq!(
            b.finish(),
            Err(BuildError::Misplaced {
                offset: 1,
                expected: "nothing"
            })
        );
        let mut b = Builder::new();
        b.map().u8();
        assert_eq!(
            b.finish(),
            Err(BuildError::Incomplete {
                offset: 2,
                expected: "a type"
            })
        );
        assert_eq!(
            Builder::new().finish(),
            Err(BuildError::Incomplete {
                offset: 0,
                expected: "a type"
            })
        );
    }

    #[test]
    fn rule_breaks_are_reported_by_the_parser() {
        let invalid = |b: Builder| match b.finish() {
            Err(BuildError::Invalid(e)) => (e.offset, e.kind),
            other => panic!("{other:?}"),
        };
        let mut b = Builder::new();
        b.seq().unit();
        assert_eq!(invalid(b), (0, ErrorKind::ZeroSizeElement));
        let mut b = Builder::new();
        b.unit_struct("");
        assert_eq!(invalid(b), (1, ErrorKind::BadName));
        let mut b = Builder::new();
        b.array(0).u8();
        assert_eq!(invalid(b), (1, ErrorKind::BadCount { count: 0 }));
        let mut b = Builder::new();
        b.struct_("S", 2)
            .field("x", Annotations::default())
            .u8()
            .field("x", Annotations::default())
            .u8();
        assert_eq!(invalid(b).1, ErrorKind::DuplicateName);
        let mut b = Builder::new();
        b.struct_("S", 1)
            .field(
                "x",
                Annotations {
                    scale: Some(0.0),
                    ..Annotations::default()
                },
            )
            .u8();
        assert_eq!(invalid(b).1, ErrorKind::BadAnnotation);
    }
}
