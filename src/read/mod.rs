//! Reading containers: zero-copy, allocation-free, every check before use
//! (spec `format.md` §10).
//!
//! [`Reader::new`] checks the header; [`Reader::records`] walks the records
//! lazily, [`Reader::blocks`] a block of records at a time (with
//! [`Decoder::decode_each`], the fast way to decode records of known types); [`Reader::verify`] checks everything and reports whether the
//! container is complete. A truncated container yields every record of its
//! intact blocks and then reports [`Completeness::Incomplete`]; damage is an
//! [`Error`] that carries its byte offset.
//!
//! The spec (§10.1) sorts the checks in two: the *structure checks* decide
//! which records a container holds and whether it is complete (frames,
//! checksums, blocks, declared record types, end totals, torn tails); the
//! *description checks* cover metadata entries and schema names, versions and
//! definitions. [`Records`] applies the structure checks alone, so a firmware
//! that decodes its own records with types it knows links none of the
//! description code; [`Frames`], and with it [`Reader::verify`],
//! [`Reader::metadata`] and [`Reader::schemas`], applies both.
//!
//! ```
//! use koffer::read::{Reader, Completeness, Tail};
//! use koffer::write::Writer;
//! let mut buf = [0u8; 64];
//! let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
//! let hr = w.declare(0, "hr", 1, &[]).unwrap();
//! w.write_serialized(hr, &61u8).unwrap();
//! w.flush().unwrap();
//! w.write_serialized(hr, &62u8).unwrap();
//! let full = w.finish().unwrap();
//!
//! // Cut inside the second block: the first block's record survives.
//! let cut = &full[..full.len() - 14]; // the end frame (12 bytes) and 2 more
//! let reader = Reader::new(cut).unwrap();
//! let mut records = reader.records();
//! let first = records.next().unwrap().unwrap();
//! assert_eq!(first.decode::<u8>().unwrap(), 61);
//! assert!(records.next().is_none());
//! let summary = records.finish().unwrap();
//! assert!(matches!(summary.completeness, Completeness::Incomplete { tail: Tail::Torn { .. }, .. }));
//! ```

mod feed;
mod frames;
mod reader;
mod records;
mod typed;
pub(crate) mod walk;

pub use crate::error::{Class, Error, ErrorKind};
pub use feed::{Feed, FeedError};
pub use frames::{Frame, FrameRef, Frames};
pub use reader::Reader;
pub use records::{Blocks, Record, RecordBlock, Records};
pub use typed::{Decoder, Typed, TypedError};
pub use walk::{Completeness, Summary, Tail, TypeSet};
