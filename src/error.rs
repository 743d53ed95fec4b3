//! The errors every layer shares: what breaks a rule of the spec
//! ([`ErrorKind`]), and where ([`Error`]: a byte offset in the container;
//! [`BodyError`]: a position in one frame body).
//!
//! The format modules (`header`, `frame`, `meta`, `schema`, `block`, `end`)
//! report [`ErrorKind`]s; [`read`](crate::read) turns them into [`Error`]s
//! with the offset in the whole container (and re-exports the three types),
//! and [`write`](mod@crate::write) refuses invalid metadata and schemas with
//! them.
//!
//! ```
//! use koffer::error::{Class, Error, ErrorKind};
//! let e = koffer::read::Reader::new(b"not a container").unwrap_err();
//! assert_eq!(e, Error { offset: 0, kind: ErrorKind::BadSignature });
//! assert_eq!(e.kind.class(), Class::NotAContainer);
//! assert_eq!(e.to_string(), "at byte 0: not a koffer container: expected the signature 8B 4B 4F 46 0D 0A 1A 0A");
//! ```

use core::fmt;

use crate::frame::Error as FrameError;
use crate::header::Error as HeaderError;

/// An error inside a frame body: the position in the body and what was wrong.
///
/// The format modules' parsers return it; [`Error`] adds the body's offset.
///
/// ```
/// use koffer::error::{BodyError, ErrorKind};
/// // An end frame body (spec format.md §8) cut after its first total.
/// let e = koffer::end::End::parse(&[3]).unwrap_err();
/// assert_eq!(e, BodyError { at: 1, kind: ErrorKind::BodyTruncated });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BodyError {
    /// Position of the offending field, from the start of the body.
    pub at: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {} of the frame body: {}", self.at, self.kind)
    }
}

impl core::error::Error for BodyError {}

/// A container could not be read: what was wrong and where.
///
/// `offset` is the byte offset, from the start of the input, of the field
/// that was wrong (for a frame checksum: the start of the frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Error {
    /// Byte offset of the offending field.
    pub offset: u64,
    /// What was wrong.
    pub kind: ErrorKind,
}

/// Broad classes of [`ErrorKind`], for callers that act on the class (spec
/// `format.md` §10.4: the class column; `command.md` §2: the exit status
/// of each class).
///
/// Exhaustive, unlike the kinds: a new kind falls into one of these
/// classes, so a caller's `match` on the class (an exit status, a retry
/// policy) stays complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Class {
    /// The input is not a koffer container at all.
    NotAContainer,
    /// The input was cut inside the file header (`HeaderTruncated`, spec
    /// §3.3): an incomplete container that holds nothing, its valid prefix
    /// empty. A writer starts over at offset 0 (§11.2).
    Incomplete,
    /// A container this reader cannot read (a later major version, a required feature).
    Unsupported,
    /// The container is damaged or malformed.
    Corrupt,
    /// A record's payload does not decode as the requested type.
    Payload,
}

/// What was wrong. Each variant names one rule of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input does not start with the koffer signature (§3).
    BadSignature,
    /// The input ends inside the file header (§3).
    HeaderTruncated,
    /// The header checksum does not match (§3).
    HeaderChecksum {
        /// Stored checksum.
        stored: u32,
        /// Computed checksum.
        computed: u32,
    },
    /// A major version this reader does not know (§3.1).
    UnsupportedVersion {
        /// Major version found.
        major: u8,
        /// Minor version found.
        minor: u8,
    },
    /// Required feature bits this reader does not know (§3.2).
    UnknownRequiredFeatures {
        /// The unknown bits.
        bits: u16,
    },
    /// A frame starts with `0x00` or `0xFF` but is followed by written data (§4.2).
    InvalidFrameKind {
        /// The kind byte.
        kind: u8,
    },
    /// A critical frame kind this reader does not know (§4.2).
    UnknownCriticalFrame {
        /// The kind byte.
        kind: u8,
    },
    /// A frame's head check does not match its kind and length (§4.1).
    FrameHeadCheck {
        /// Stored head check.
        stored: u8,
        /// Computed head check.
        computed: u8,
    },
    /// A frame body is longer than the limit (§9).
    FrameTooLarge {
        /// Declared body length.
        len: u64,
    },
    /// A frame's checksum does not match, and data follows it (§4.3): the
    /// frame is damaged, or a frame before it was removed, repeated or moved.
    FrameChecksum {
        /// Stored checksum.
        stored: u32,
        /// Computed checksum.
        computed: u32,
    },
    /// A field runs past the end of its frame body.
    BodyTruncated,
    /// A varint in a frame body is not canonical or overflows (§2.2).
    BadVarint,
    /// Bytes remain in a frame body after its last field.
    TrailingBytes,
    /// A count is zero where it must not be, exceeds a limit, or promises more
    /// items than the body can hold.
    BadCount {
        /// The declared count.
        count: u64,
    },
    /// A key or name is empty or longer than 255 bytes (§5, §6).
    BadName,
    /// Text that must be UTF-8 is not.
    InvalidUtf8,
    /// A metadata value type of `0x00` (§5.2).
    InvalidValueType,
    /// A metadata value does not match its value type's encoding (§5.2).
    BadValue {
        /// The value type.
        value_type: u8,
    },
    /// A well-known metadata key has the wrong value type (§5.3).
    MetadataValueType {
        /// The type the key must have.
        expected: u8,
        /// The type found.
        found: u8,
    },
    /// A record type identifier above 255 (§9).
    RecordTypeOutOfRange {
        /// The identifier.
        value: u64,
    },
    /// A record type declared twice (§6).
    DuplicateRecordType {
        /// The record type.
        record_type: u8,
    },
    /// A block of a record type no earlier schema frame declared (§7).
    UndeclaredRecordType {
        /// The record type.
        record_type: u8,
    },
    /// A record longer than the limit (§9).
    RecordTooLarge {
        /// The record's length.
        len: u64,
    },
    /// A delta width above 16 (§7).
    BadWidth {
        /// The width.
        width: u8,
    },
    /// Unused bits at the end of a delta table are not zero (§7).
    TablePadding,
    /// The record lengths do not add up to the payload bytes (§7).
    LengthMismatch {
        /// Sum of the declared lengths.
        declared: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The end frame's totals do not match the container (§8).
    EndTotals {
        /// The totals counted by the reader.
        counted: crate::end::End,
        /// The totals the end frame states.
        stated: crate::end::End,
    },
    /// Data follows the end frame (§8).
    DataAfterEnd,
    /// A schema frame's definition breaks a rule of spec `schema.md` §4.
    Definition(crate::schema::ErrorKind),
    /// A record's payload is shorter than its type needs; reported at the
    /// end of the payload (§10.4), whichever value ran out.
    PayloadTruncated,
    /// Bytes remain after a record's value was decoded; reported at the
    /// first byte left over (§10.4).
    PayloadTrailingBytes,
    /// A record's payload is not a valid encoding of the requested type;
    /// reported at the record's first byte (§10.4).
    PayloadInvalid,
}

impl ErrorKind {
    /// The broad class of this error (spec §10.4).
    ///
    /// ```
    /// use koffer::read::{Class, ErrorKind, Reader};
    /// // 12 bytes of a header: cut by a power loss, not a foreign file.
    /// let e = Reader::new(&[0x8B, 0x4B, 0x4F, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 1, 0, 0, 0]).unwrap_err();
    /// assert_eq!((e.kind, e.kind.class()), (ErrorKind::HeaderTruncated, Class::Incomplete));
    /// assert_eq!(Reader::new(b"PK\x03\x04").unwrap_err().kind.class(), Class::NotAContainer);
    /// ```
    pub fn class(&self) -> Class {
        match self {
            ErrorKind::BadSignature => Class::NotAContainer,
            ErrorKind::HeaderTruncated => Class::Incomplete,
            ErrorKind::UnsupportedVersion { .. }
            | ErrorKind::UnknownRequiredFeatures { .. }
            | ErrorKind::UnknownCriticalFrame { .. } => Class::Unsupported,
            ErrorKind::PayloadTruncated
            | ErrorKind::PayloadTrailingBytes
            | ErrorKind::PayloadInvalid => Class::Payload,
            _ => Class::Corrupt,
        }
    }

    /// The variant's name, stable across releases (used by test vectors).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::BadSignature => "BadSignature",
            ErrorKind::HeaderTruncated => "HeaderTruncated",
            ErrorKind::HeaderChecksum { .. } => "HeaderChecksum",
            ErrorKind::UnsupportedVersion { .. } => "UnsupportedVersion",
            ErrorKind::UnknownRequiredFeatures { .. } => "UnknownRequiredFeatures",
            ErrorKind::InvalidFrameKind { .. } => "InvalidFrameKind",
            ErrorKind::UnknownCriticalFrame { .. } => "UnknownCriticalFrame",
            ErrorKind::FrameHeadCheck { .. } => "FrameHeadCheck",
            ErrorKind::FrameTooLarge { .. } => "FrameTooLarge",
            ErrorKind::FrameChecksum { .. } => "FrameChecksum",
            ErrorKind::BodyTruncated => "BodyTruncated",
            ErrorKind::BadVarint => "BadVarint",
            ErrorKind::TrailingBytes => "TrailingBytes",
            ErrorKind::BadCount { .. } => "BadCount",
            ErrorKind::BadName => "BadName",
            ErrorKind::InvalidUtf8 => "InvalidUtf8",
            ErrorKind::InvalidValueType => "InvalidValueType",
            ErrorKind::BadValue { .. } => "BadValue",
            ErrorKind::MetadataValueType { .. } => "MetadataValueType",
            ErrorKind::RecordTypeOutOfRange { .. } => "RecordTypeOutOfRange",
            ErrorKind::DuplicateRecordType { .. } => "DuplicateRecordType",
            ErrorKind::UndeclaredRecordType { .. } => "UndeclaredRecordType",
            ErrorKind::RecordTooLarge { .. } => "RecordTooLarge",
            ErrorKind::BadWidth { .. } => "BadWidth",
            ErrorKind::TablePadding => "TablePadding",
            ErrorKind::LengthMismatch { .. } => "LengthMismatch",
            ErrorKind::EndTotals { .. } => "EndTotals",
            ErrorKind::DataAfterEnd => "DataAfterEnd",
            ErrorKind::Definition(k) => k.name(),
            ErrorKind::PayloadTruncated => "PayloadTruncated",
            ErrorKind::PayloadTrailingBytes => "PayloadTrailingBytes",
            ErrorKind::PayloadInvalid => "PayloadInvalid",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::BadSignature => f.write_str("not a koffer container: expected the signature 8B 4B 4F 46 0D 0A 1A 0A"),
            ErrorKind::HeaderTruncated => f.write_str("the 18-byte file header is incomplete: its writer stopped inside it, so the container holds nothing"),
            ErrorKind::HeaderChecksum { stored, computed } => write!(f, "header checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
            ErrorKind::UnsupportedVersion { major, minor } => write!(f, "format version {major}.{minor} is not supported: expected major version {}", crate::header::MAJOR),
            ErrorKind::UnknownRequiredFeatures { bits } => write!(f, "unknown required feature bits {bits:#06x}"),
            ErrorKind::InvalidFrameKind { kind } => write!(f, "invalid frame kind {kind:#04x} followed by data"),
            ErrorKind::UnknownCriticalFrame { kind } => write!(f, "unknown critical frame kind {kind:#04x}"),
            ErrorKind::FrameHeadCheck { stored, computed } => write!(f, "frame head check mismatch: stored {stored:#04x}, computed {computed:#04x} (kind or length damaged)"),
            ErrorKind::FrameTooLarge { len } => write!(f, "frame body of {len} bytes exceeds the limit of {} bytes", crate::limits::MAX_FRAME_BODY),
            ErrorKind::FrameChecksum { stored, computed } => write!(f, "frame checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
            ErrorKind::BodyTruncated => f.write_str("field runs past the end of the frame body"),
            ErrorKind::BadVarint => f.write_str("varint is not canonical or overflows"),
            ErrorKind::TrailingBytes => f.write_str("unexpected bytes after the last field of the frame body"),
            ErrorKind::BadCount { count } => write!(f, "count {count} is zero, over the limit, or more than the body can hold"),
            ErrorKind::BadName => f.write_str("key or name must be 1 to 255 bytes"),
            ErrorKind::InvalidUtf8 => f.write_str("text is not valid UTF-8"),
            ErrorKind::InvalidValueType => f.write_str("metadata value type 0x00 is invalid"),
            ErrorKind::BadValue { value_type } => write!(f, "metadata value does not match its type {value_type:#04x}"),
            ErrorKind::MetadataValueType { expected, found } => write!(f, "well-known metadata key has value type {found:#04x}, expected {expected:#04x}"),
            ErrorKind::RecordTypeOutOfRange { value } => write!(f, "record type {value} is out of range 0..=255"),
            ErrorKind::DuplicateRecordType { record_type } => write!(f, "record type {record_type} is declared twice"),
            ErrorKind::UndeclaredRecordType { record_type } => write!(f, "block of record type {record_type}, which no earlier schema frame declares"),
            ErrorKind::RecordTooLarge { len } => write!(f, "record of {len} bytes exceeds the limit of {} bytes", crate::limits::MAX_RECORD_LEN),
            ErrorKind::BadWidth { width } => write!(f, "delta width {width} exceeds 16 bits"),
            ErrorKind::TablePadding => f.write_str("unused bits of the delta table are not zero"),
            ErrorKind::LengthMismatch { declared, actual } => write!(f, "record lengths add up to {declared} bytes, but the block holds {actual}"),
            ErrorKind::EndTotals { counted, stated } => write!(f, "end frame states {} frames, {} blocks, {} records; counted {}, {}, {}", stated.frames, stated.blocks, stated.records, counted.frames, counted.blocks, counted.records),
            ErrorKind::DataAfterEnd => f.write_str("data after the end frame"),
            ErrorKind::Definition(k) => write!(f, "schema definition: {k}"),
            ErrorKind::PayloadTruncated => f.write_str("record payload is shorter than its type needs"),
            ErrorKind::PayloadTrailingBytes => f.write_str("bytes remain after the record's value"),
            ErrorKind::PayloadInvalid => f.write_str("record payload is not a valid encoding of the requested type"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.kind)
    }
}

impl core::error::Error for Error {}

impl Error {
    pub(crate) fn at(offset: usize, kind: ErrorKind) -> Self {
        Error {
            offset: offset as u64,
            kind,
        }
    }

    pub(crate) fn in_body(body_offset: usize, e: BodyError) -> Self {
        Error::at(body_offset + e.at, e.kind)
    }

    pub(crate) fn from_header(e: HeaderError) -> Self {
        let (offset, kind) = match e {
            HeaderError::Truncated => (0, ErrorKind::HeaderTruncated),
            HeaderError::BadSignature => (0, ErrorKind::BadSignature),
            HeaderError::Checksum { stored, computed } => {
                (14, ErrorKind::HeaderChecksum { stored, computed })
            }
            HeaderError::UnsupportedVersion { major, minor } => {
                (8, ErrorKind::UnsupportedVersion { major, minor })
            }
            HeaderError::UnknownRequiredFeatures { bits } => {
                (10, ErrorKind::UnknownRequiredFeatures { bits })
            }
        };
        Error::at(offset, kind)
    }

    pub(crate) fn from_frame(frame_offset: usize, e: FrameError) -> Self {
        match e {
            FrameError::InvalidKind(kind) => {
                Error::at(frame_offset, ErrorKind::InvalidFrameKind { kind })
            }
            // Truncation is not an error: callers turn it into an incomplete status.
            FrameError::Truncated => Error::at(frame_offset, ErrorKind::BodyTruncated),
            FrameError::HeadCheck { stored, computed } => {
                Error::at(frame_offset, ErrorKind::FrameHeadCheck { stored, computed })
            }
            FrameError::TooLarge(len) => Error::at(
                frame_offset + 1,
                ErrorKind::FrameTooLarge {
                    len: u64::from(len),
                },
            ),
            FrameError::Checksum {
                stored, computed, ..
            } => Error::at(frame_offset, ErrorKind::FrameChecksum { stored, computed }),
        }
    }
}
