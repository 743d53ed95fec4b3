//! The writer's error: the sink's own error, or why a call was refused.

use core::fmt;

use crate::error::ErrorKind;

/// Why the writer refused or failed. `E` is the sink's error type.
///
/// Every refusal (all variants but [`Error::Sink`]) leaves the container as
/// it was: nothing already written or buffered is lost, and writing may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error<E> {
    /// The sink failed. A frame may be half written: the writer refuses further
    /// calls ([`Error::Poisoned`]); resume from the bytes the sink holds.
    Sink(E),
    /// An earlier sink error left a frame half written.
    Poisoned,
    /// The block buffer is too small to be useful.
    BufferTooSmall {
        /// Its length.
        len: usize,
        /// The least length accepted.
        min: usize,
    },
    /// A record's encoding does not fit the block buffer or exceeds the
    /// record length limit. The record was not written.
    RecordTooLarge {
        /// Bytes available for one record in the buffer (or the limit).
        capacity: usize,
    },
    /// The record's `Serialize` implementation failed (postcard refused it).
    Serialize,
    /// A record of a type no schema frame declares yet.
    UndeclaredRecordType {
        /// The record type.
        record_type: u8,
    },
    /// A record type declared twice.
    AlreadyDeclared {
        /// The record type.
        record_type: u8,
    },
    /// A metadata entry or schema that breaks a rule of the spec.
    Invalid(ErrorKind),
    /// A metadata or schema frame body over the frame size limit.
    FrameTooLarge {
        /// The body length.
        len: usize,
    },
    /// Resuming: the existing container is complete (it has its end frame).
    AlreadyComplete,
    /// [`Writer::ancillary`](crate::write::Writer::ancillary) was given a kind
    /// outside the vendor range `0x60..=0x7F` (spec `format.md` §4.2): the
    /// critical kinds are the writer's own frames, and the reserved ancillary
    /// kinds `0x40..=0x5F` belong to later versions of the spec.
    FrameKind {
        /// The kind refused.
        kind: u8,
    },
    /// [`Chain::frame`](crate::frame::Chain::frame) was given
    /// [`kind::END`](crate::frame::kind::END): the end frame carries the
    /// chain's own totals and is written by
    /// [`Chain::end`](crate::frame::Chain::end).
    EndFrame,
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sink(e) => write!(f, "the sink failed: {e:?}"),
            Error::Poisoned => f.write_str("an earlier sink error left a frame half written"),
            Error::BufferTooSmall { len, min } => {
                write!(
                    f,
                    "block buffer of {len} bytes is too small: at least {min} needed"
                )
            }
            Error::RecordTooLarge { capacity } => {
                write!(
                    f,
                    "record does not fit the {capacity} bytes available for one record"
                )
            }
            Error::Serialize => f.write_str("the record could not be serialized"),
            Error::UndeclaredRecordType { record_type } => {
                write!(f, "record type {record_type} has not been declared")
            }
            Error::AlreadyDeclared { record_type } => {
                write!(f, "record type {record_type} is already declared")
            }
            Error::Invalid(kind) => write!(f, "invalid metadata or schema: {kind}"),
            Error::FrameTooLarge { len } => write!(
                f,
                "frame body of {len} bytes exceeds the limit of {} bytes",
                crate::limits::MAX_FRAME_BODY
            ),
            Error::AlreadyComplete => f.write_str("cannot resume: the container is complete"),
            Error::FrameKind { kind } => write!(
                f,
                "frame kind {kind:#04x} is not a vendor ancillary kind (0x60..=0x7f)"
            ),
            Error::EndFrame => {
                f.write_str("the end frame (kind 0x04) is written by Chain::end, not Chain::frame")
            }
        }
    }
}

impl<E: fmt::Debug> core::error::Error for Error<E> {}
