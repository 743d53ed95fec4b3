//! Typed reading: records of one Rust type, checked against the schema in
//! the file (spec `schema.md` §8).

use core::fmt;
use core::marker::PhantomData;

use serde::de::{Deserializer, Visitor};
use serde::Deserialize;

use crate::read::records::{Record, RecordBlock, Records};
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

/// What a container's schema says about the Rust type `T`: the record type
/// it has in this container, and whether its records decode directly or by
/// the evolution rules. Made once by [`Reader::decoder`]; then
/// [`Decoder::decode_each`] decodes the blocks of that type from
/// [`Reader::blocks`] and passes over the others (the fast way, shown
/// there), and [`Decoder::decode`] does the same a record at a time, so one
/// walk over [`Reader::records`] reads records of several types:
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, koffer::Describe, Debug, PartialEq)]
/// #[koffer(record = "beat", version = 1)]
/// struct Beat { at_ms: u64, bpm: u8 }
/// #[derive(serde::Serialize, serde::Deserialize, koffer::Describe, Debug, PartialEq)]
/// #[koffer(record = "note", version = 1)]
/// struct Note<'a> { at_ms: u64, text: &'a str }
///
/// let mut buf = [0u8; 64];
/// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
/// let (beat, note) = (w.declare_type::<Beat>(0)?, w.declare_type::<Note>(1)?);
/// w.write(beat, &Beat { at_ms: 1000, bpm: 61 })?;
/// w.write(note, &Note { at_ms: 1500, text: "run" })?;
/// w.write(beat, &Beat { at_ms: 2000, bpm: 64 })?;
/// let bytes = w.finish()?;
///
/// let reader = koffer::read::Reader::new(&bytes)?;
/// let beats = reader.decoder::<Beat>()?; // the schemas are checked once, here
/// let notes = reader.decoder::<Note>()?;
/// let (mut bpm, mut texts) = (0, Vec::new());
/// for record in reader.records() {
///     let record = record?;
///     if let Some(b) = beats.decode(&record)? {
///         bpm += u32::from(b.bpm);
///     } else if let Some(n) = notes.decode(&record)? {
///         texts.push(n.text); // borrowed from `bytes`
///     }
/// }
/// assert_eq!((bpm, texts), (125, vec!["run"]));
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct Decoder<T> {
    record_type: u8,
    mode: Mode,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Decoder<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Decoder<T> {}

impl<T> fmt::Debug for Decoder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("record_type", &self.record_type)
            .field("evolved", &self.is_evolved())
            .finish()
    }
}

impl<T> Decoder<T> {
    /// The record type identifier of `T` in this container.
    pub fn record_type(&self) -> u8 {
        self.record_type
    }

    /// True when the file's definition differs from `T`'s and the records are
    /// read by the evolution rules (fields appended with defaults).
    pub fn is_evolved(&self) -> bool {
        self.mode != Mode::Direct
    }

    /// `record` decoded as `T` if it is of `T`'s record type, `None` if it
    /// is of another type. Payload errors are those of [`Record::decode`].
    /// To read whole blocks, [`decode_each`](Self::decode_each) is faster
    /// (no record, index or `Option` per value).
    #[inline]
    pub fn decode<'a>(&self, record: &Record<'a>) -> Result<Option<T>, Error>
    where
        T: Deserialize<'a>,
    {
        if record.record_type != self.record_type {
            return Ok(None);
        }
        self.decode_unchecked_type(record).map(Some)
    }

    /// Decodes every record of `block` as `T` and hands each value to `f`,
    /// in order, if the block is of `T`'s record type; passes over a block
    /// of another type. Stops at the first payload error, reported as
    /// [`Record::decode`] reports it (the values before it were handed to
    /// `f`).
    ///
    /// The fast way to read: a block's records come from one tight loop,
    /// each value goes straight to `f`, and one type test serves the whole
    /// block. One walk over [`Reader::blocks`] with a decoder per type reads
    /// several types:
    ///
    /// ```
    /// #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
    /// #[koffer(record = "beat", version = 1)]
    /// struct Beat { at_ms: u64, bpm: u8 }
    /// #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
    /// #[koffer(record = "note", version = 1)]
    /// struct Note<'a> { at_ms: u64, text: &'a str }
    ///
    /// let mut buf = [0u8; 64];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// let (beat, note) = (w.declare_type::<Beat>(0)?, w.declare_type::<Note>(1)?);
    /// w.write(beat, &Beat { at_ms: 1000, bpm: 61 })?;
    /// w.write(beat, &Beat { at_ms: 2000, bpm: 64 })?;
    /// w.write(note, &Note { at_ms: 2500, text: "run" })?;
    /// let bytes = w.finish()?;
    ///
    /// let reader = koffer::read::Reader::new(&bytes)?;
    /// let (beats, notes) = (reader.decoder::<Beat>()?, reader.decoder::<Note>()?);
    /// let (mut bpm, mut texts) = (0, Vec::new());
    /// for block in reader.blocks() {
    ///     let block = block?; // its checksum and lengths verified
    ///     beats.decode_each(&block, |b| bpm += u32::from(b.bpm))?;
    ///     notes.decode_each(&block, |n| texts.push(n.text))?; // borrowed from `bytes`
    /// }
    /// assert_eq!((bpm, texts), (125, vec!["run"]));
    /// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    /// ```
    #[inline]
    pub fn decode_each<'a>(
        &self,
        block: &RecordBlock<'a>,
        mut f: impl FnMut(T),
    ) -> Result<(), Error>
    where
        T: Deserialize<'a>,
    {
        if block.record_type() != self.record_type {
            return Ok(());
        }
        let Mode::Direct = self.mode else {
            for record in block.records() {
                f(self.decode_unchecked_type(&record)?);
            }
            return Ok(());
        };
        let mut payloads = block.payloads();
        while let Some(payload) = payloads.next() {
            let mut de = postcard::Deserializer::from_bytes(payload);
            let r = match T::deserialize(&mut de) {
                Ok(value) => match de.finalize() {
                    Ok([]) => {
                        f(value);
                        continue;
                    }
                    r => r.map(|rest| ((), rest)),
                },
                Err(e) => Err(e),
            };
            block
                .record_before_end(payloads.len(), payload)
                .finish_decode(r)?;
        }
        Ok(())
    }

    #[inline]
    fn decode_unchecked_type<'a>(&self, record: &Record<'a>) -> Result<T, Error>
    where
        T: Deserialize<'a>,
    {
        match self.mode {
            Mode::Direct => record.decode(),
            Mode::Appended(fields) => decode_appended(record, fields),
        }
    }
}

/// Iterator over the records of one record type, decoded as `T`. Blocks of
/// other record types are checked (the structure checks of spec §10.1) and
/// passed over whole.
pub struct Typed<'a, T> {
    records: Records<'a>,
    decoder: Decoder<T>,
}

impl<T> Typed<'_, T> {
    /// The record type identifier in this container.
    pub fn record_type(&self) -> u8 {
        self.decoder.record_type
    }

    /// True when the file's definition differs from `T`'s and the records are
    /// read by the evolution rules (fields appended with defaults).
    pub fn is_evolved(&self) -> bool {
        self.decoder.is_evolved()
    }

    /// The [`Decoder`] this iterator decodes with.
    pub fn decoder(&self) -> Decoder<T> {
        self.decoder
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
        Ok(Typed {
            records: self.records(),
            decoder: self.decoder::<T>()?,
        })
    }

    /// The [`Decoder`] of `T`: finds `T`'s record type by name and checks the
    /// file's definition against `T`'s once, by the rules
    /// [`typed`](Self::typed) describes. To read records of several types
    /// in one walk, make a decoder for each and hand it every record of
    /// [`records`](Self::records) (see [`Decoder`]).
    #[allow(clippy::result_large_err)] // a Mismatch inline: see schema/compat.rs
    pub fn decoder<T: RecordType>(&self) -> Result<Decoder<T>, TypedError> {
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
        Ok(Decoder {
            record_type: schema.record_type,
            mode,
            _t: PhantomData,
        })
    }
}

impl<'a, T: Deserialize<'a>> Iterator for Typed<'a, T> {
    type Item = Result<T, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.records.next_of(self.decoder.record_type)? {
            Ok(rec) => self.decoder.decode_unchecked_type(&rec),
            Err(e) => Err(e),
        })
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
