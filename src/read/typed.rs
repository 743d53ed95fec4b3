//! Typed reading: records of one Rust type, checked against the schema in
//! the file (spec `schema.md` §8).

use core::fmt;
use core::marker::PhantomData;

use serde::de::{Deserializer, Visitor};
use serde::Deserialize;

use crate::read::records::{Record, Records};
use crate::read::{Error, Reader};
use crate::schema::{self, Compat, Definition, Mismatch, RecordType};

/// Why records cannot be read as a given Rust type.
///
/// It borrows nothing from the container (a [`Mismatch`] names the reader
/// type's `'static` names), so `?` turns it into a
/// `Box<dyn std::error::Error + Send + Sync>`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum TypedError {
    /// Reading the container failed.
    Read(Error),
    /// No schema frame declares a record type of this name.
    NotDeclared {
        /// The name looked for.
        name: &'static str,
    },
    /// The type's own definition is invalid (a bug in its `RecordType` impl).
    ReaderDefinition(schema::Error),
    /// The file's definition differs in a way the evolution rules do not cover.
    Mismatch(Mismatch<'static>),
}

impl fmt::Display for TypedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypedError::Read(e) => e.fmt(f),
            TypedError::NotDeclared { name } => {
                write!(f, "no record type named {name:?} is declared")
            }
            TypedError::ReaderDefinition(e) => {
                write!(f, "the reader type's definition is invalid: {e}")
            }
            TypedError::Mismatch(m) => write!(f, "schema mismatch: {m}"),
        }
    }
}

impl core::error::Error for TypedError {}

impl From<Error> for TypedError {
    fn from(e: Error) -> Self {
        TypedError::Read(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Direct,
    Appended(usize),
}

/// Iterator over the records of one record type, decoded as `T`.
pub struct Typed<'a, T> {
    records: Records<'a>,
    record_type: u8,
    mode: Mode,
    _t: PhantomData<fn() -> T>,
}

impl<T> Typed<'_, T> {
    /// The record type identifier in this container.
    pub fn record_type(&self) -> u8 {
        self.record_type
    }

    /// True when the file's definition differs from `T`'s and the records are
    /// read by the evolution rules (fields appended with defaults).
    pub fn is_evolved(&self) -> bool {
        self.mode != Mode::Direct
    }
}

impl<'a> Reader<'a> {
    /// The records of `T`'s record type (found by name), decoded as `T`.
    ///
    /// Equal fingerprints decode directly; otherwise the file's definition is
    /// compared with `T`'s by the rules of spec `schema.md` §8: a writer that
    /// wrote the first fields of `T` is read with `T`'s defaults for the rest;
    /// anything else is a [`TypedError::Mismatch`] naming the first difference.
    ///
    /// ```
    /// use koffer::schema::{Describe, Field, Meta, RecordType, Type};
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Beat { at_ms: u64, bpm: u8 }
    /// impl Describe for Beat {
    ///     const TYPE: &'static Type = &Type::Struct("Beat", &[
    ///         Field { name: "at_ms", meta: Meta::NONE, ty: u64::TYPE },
    ///         Field { name: "bpm", meta: Meta::NONE, ty: u8::TYPE },
    ///     ]);
    /// }
    /// impl RecordType for Beat {
    ///     const NAME: &'static str = "beat";
    ///     const VERSION: u32 = 1;
    ///     const DEFINITION: &'static [u8] = koffer::definition!(Beat::TYPE);
    /// }
    ///
    /// let mut buf = [0u8; 64];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    /// let beats = w.declare_type::<Beat>(4).unwrap();
    /// w.write(beats, &Beat { at_ms: 1000, bpm: 61 }).unwrap();
    /// let bytes = w.finish().unwrap();
    ///
    /// let reader = koffer::read::Reader::new(&bytes).unwrap();
    /// let beats: Vec<Beat> = reader.typed::<Beat>().unwrap().map(Result::unwrap).collect();
    /// assert_eq!(beats, [Beat { at_ms: 1000, bpm: 61 }]);
    /// ```
    #[allow(clippy::result_large_err)] // a Mismatch inline: see schema/compat.rs
    pub fn typed<T: RecordType>(&self) -> Result<Typed<'a, T>, TypedError> {
        let mut found = None;
        for s in self.schemas() {
            let s = s?;
            if s.name == T::NAME {
                found = Some(s);
                break;
            }
        }
        let schema = found.ok_or(TypedError::NotDeclared { name: T::NAME })?;
        let mode = if schema.fingerprint() == T::FINGERPRINT {
            Mode::Direct
        } else {
            let mine = Definition::parse(T::DEFINITION).map_err(TypedError::ReaderDefinition)?;
            // The frames iterator checked the file's definition when it read the frame.
            let theirs = schema.definition().ok().and_then(|d| d.root());
            match (mine.root(), theirs) {
                (Some(r), Some(w)) => match schema::compare(r, w) {
                    Ok(Compat::Same) => Mode::Direct,
                    Ok(Compat::AppendedFields { writer_fields }) => Mode::Appended(writer_fields),
                    Err(m) => return Err(TypedError::Mismatch(m)),
                },
                _ => return Err(TypedError::Mismatch(schema::undescribed())),
            }
        };
        Ok(Typed {
            records: self.records(),
            record_type: schema.record_type,
            mode,
            _t: PhantomData,
        })
    }
}

impl<'a, T: Deserialize<'a>> Iterator for Typed<'a, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rec = match self.records.next()? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            if rec.record_type != self.record_type {
                continue;
            }
            return Some(match self.mode {
                Mode::Direct => rec.decode(),
                Mode::Appended(fields) => decode_appended(&rec, fields),
            });
        }
    }
}

/// Decodes a payload written with the first `fields` fields of `T`'s root
/// struct; `T`'s further fields take their `#[serde(default)]` values.
fn decode_appended<'a, T: Deserialize<'a>>(rec: &Record<'a>, fields: usize) -> Result<T, Error> {
    let mut de = postcard::Deserializer::from_bytes(rec.payload);
    let value = T::deserialize(Appended {
        de: &mut de,
        fields,
    });
    let r = value.and_then(|v| de.finalize().map(|rest| (v, rest)));
    rec.finish_decode(r)
}

/// A postcard deserializer whose root struct holds only the writer's fields.
struct Appended<'x, 'de> {
    de: &'x mut postcard::Deserializer<'de, postcard::de_flavors::Slice<'de>>,
    fields: usize,
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
            self.de.$method($($arg,)* visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for Appended<'_, 'de> {
    type Error = postcard::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        // A struct is a tuple of its fields in postcard: read as many as were written.
        self.de.deserialize_tuple(self.fields, visitor)
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }
}
