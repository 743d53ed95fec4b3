//! Why a payload could not be decoded by its definition (spec `schema.md` §6).

use core::fmt;

/// A payload does not follow its definition: what was wrong and where.
///
/// `offset` counts from the start of the payload and names the value that
/// could not be read (spec `schema.md` §6); [`Error::in_record`] turns it into
/// the container's error at the file offset spec `format.md` §10.4 gives, the
/// same for every decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Error {
    /// Offset within the payload: where the value that could not be read
    /// starts, or where the trailing bytes start.
    pub offset: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

/// What was wrong with a payload (spec `schema.md` §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The payload ends inside a value.
    PayloadTruncated,
    /// Bytes are left after the root value.
    PayloadTrailingBytes,
    /// A value is not a valid encoding of its type.
    PayloadInvalid(Invalid),
}

/// Why a value is not a valid encoding of its type (spec `schema.md` §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Invalid {
    /// A bool other than `00` or `01`.
    Bool {
        /// The byte found.
        byte: u8,
    },
    /// An option tag other than `00` or `01`.
    OptionTag {
        /// The byte found.
        byte: u8,
    },
    /// A varint with a final zero group (a shorter encoding exists).
    VarintNonCanonical,
    /// A varint whose value, or length, is beyond its type's width (a `u16`
    /// above 65 535, a `u128` longer than 19 bytes, …).
    VarintOutOfRange,
    /// A string that is not UTF-8.
    Utf8,
    /// A char whose length is not 1..=4, or whose bytes are not the UTF-8 of
    /// exactly one Unicode scalar value.
    Char,
    /// A variant index at or past the enum's variant count.
    VariantIndex {
        /// The index found.
        index: u32,
        /// The enum's variant count.
        count: u32,
    },
    /// A sequence or map count larger than the bytes left in the payload
    /// (spec `schema.md` §6): every element takes at least one byte.
    Count {
        /// The count found.
        count: u64,
        /// Its limit: the bytes left after the count.
        limit: u64,
    },
}

impl Error {
    /// This fault of `record`'s payload as the container's error: its kind,
    /// at the file offset spec `format.md` §10.4 gives — the end of the
    /// payload for `PayloadTruncated`, the first byte left over for
    /// `PayloadTrailingBytes`, the record's first byte for `PayloadInvalid`:
    /// what [`Record::decode`](crate::read::Record::decode) reports for a
    /// compiled type too. The value's own offset is [`Error::file_offset`].
    ///
    /// ```
    /// use koffer::{dynamic, read::{ErrorKind, Record}, schema::Definition};
    /// let def = Definition::parse(&[0x01]).unwrap(); // bool
    /// let record = Record { record_type: 0, index: 0, offset: 100, payload: &[0x02] };
    /// let e = dynamic::check(def.root().unwrap(), record.payload).unwrap_err();
    /// let at = e.in_record(&record);
    /// assert_eq!((at.kind, at.offset), (ErrorKind::PayloadInvalid, 100));
    /// assert_eq!(record.decode::<bool>().unwrap_err(), at); // the compiled type agrees
    /// ```
    pub fn in_record(&self, record: &crate::read::Record<'_>) -> crate::read::Error {
        use crate::read::ErrorKind as K;
        let (offset, kind) = match self.kind {
            ErrorKind::PayloadTruncated => (
                record.offset + record.payload.len() as u64,
                K::PayloadTruncated,
            ),
            ErrorKind::PayloadTrailingBytes => (self.file_offset(record), K::PayloadTrailingBytes),
            ErrorKind::PayloadInvalid(_) => (record.offset, K::PayloadInvalid),
        };
        crate::read::Error { offset, kind }
    }

    /// The file offset of the value that could not be read (or of the first
    /// byte left over): `record`'s payload offset plus [`Error::offset`].
    ///
    /// ```
    /// use koffer::{dynamic, read::Record, schema::Definition};
    /// let def = Definition::parse(&[0x01]).unwrap(); // bool
    /// let record = Record { record_type: 0, index: 0, offset: 100, payload: &[0x01, 0x07] };
    /// let e = dynamic::check(def.root().unwrap(), record.payload).unwrap_err();
    /// assert_eq!(e.file_offset(&record), 101);
    /// ```
    pub fn file_offset(&self, record: &crate::read::Record<'_>) -> u64 {
        record.offset + self.offset as u64
    }
}

impl ErrorKind {
    /// The kind's name as the spec spells it, stable across releases.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::PayloadTruncated => "PayloadTruncated",
            ErrorKind::PayloadTrailingBytes => "PayloadTrailingBytes",
            ErrorKind::PayloadInvalid(_) => "PayloadInvalid",
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Invalid::Bool { byte } => write!(f, "bool byte {byte:#04x} is neither 00 nor 01"),
            Invalid::OptionTag { byte } => {
                write!(f, "option tag {byte:#04x} is neither 00 nor 01")
            }
            Invalid::VarintNonCanonical => f.write_str("varint is not canonical"),
            Invalid::VarintOutOfRange => f.write_str("varint out of range for its type"),
            Invalid::Utf8 => f.write_str("string is not valid UTF-8"),
            Invalid::Char => f.write_str("char is not exactly one Unicode scalar value"),
            Invalid::VariantIndex { index, count } => {
                write!(
                    f,
                    "variant index {index} out of range (the enum has {count})"
                )
            }
            Invalid::Count { count, limit } => {
                write!(f, "element count {count} over its limit {limit}")
            }
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::PayloadTruncated => f.write_str("payload ends inside a value"),
            ErrorKind::PayloadTrailingBytes => f.write_str("bytes after the root value"),
            ErrorKind::PayloadInvalid(why) => write!(f, "invalid payload: {why}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at payload byte {}: {}", self.offset, self.kind)
    }
}

impl core::error::Error for Error {}
