//! Export series (spec `seal.md` §9): an owner's successive exports ("since
//! the last export") join with no gap, no overlap and no reordering.
//!
//! Each export names, in its metadata, its number in the series
//! (`export.sequence`), the SHA-256 of the whole previous export
//! (`export.previous`, absent in the first) and the cursor range it covers
//! (`export.cursor.start` ..< `export.cursor.end`).

use sha2::{Digest as _, Sha256};

use crate::meta::{key, Value};
use crate::read::Reader;

/// The series metadata of one export, and the SHA-256 of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Link {
    /// `export.sequence`.
    pub sequence: u64,
    /// `export.previous`, if present.
    pub previous: Option<[u8; 32]>,
    /// `export.cursor.start`.
    pub cursor_start: u64,
    /// `export.cursor.end`.
    pub cursor_end: u64,
    /// SHA-256 of the export's bytes up to the end of its END frame (its
    /// valid length if incomplete): an unwritten tail after it is not part
    /// of it (spec `seal.md` §9).
    pub digest: [u8; 32],
}

/// Why exports do not join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SeriesError {
    /// The export cannot be read, or lacks a series key or has it with
    /// another value type or length (the key's name).
    Missing(&'static str),
    /// `export.cursor.end` is below `export.cursor.start`.
    BadCursor,
    /// Export number 1 has an `export.previous` entry: the first export of
    /// a series has no predecessor.
    PreviousInFirst,
    /// The sequence number is not the previous one plus 1.
    Reordered {
        /// The number due.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// `export.previous` is not the SHA-256 of the export before it.
    PreviousMismatch,
    /// The export starts after the previous one's end: records are missing.
    Gap {
        /// The previous export's `export.cursor.end`.
        expected: u64,
        /// This export's `export.cursor.start`.
        found: u64,
    },
    /// The export starts before the previous one's end: records twice.
    Overlap {
        /// The previous export's `export.cursor.end`.
        expected: u64,
        /// This export's `export.cursor.start`.
        found: u64,
    },
}

impl core::fmt::Display for SeriesError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SeriesError::Missing(k) => write!(f, "no valid `{k}` metadata entry"),
            SeriesError::BadCursor => f.write_str("export.cursor.end is below export.cursor.start"),
            SeriesError::PreviousInFirst => {
                f.write_str("export 1 has an export.previous entry: the first export has none")
            }
            SeriesError::Reordered { expected, found } => {
                write!(f, "export number {found} where {expected} was due (missing or reordered)")
            }
            SeriesError::PreviousMismatch => {
                f.write_str("export.previous is not the SHA-256 of the export before it")
            }
            SeriesError::Gap { expected, found } => {
                write!(f, "a gap: the export starts at cursor {found}, the one before ended at {expected}")
            }
            SeriesError::Overlap { expected, found } => write!(
                f,
                "an overlap: the export starts at cursor {found}, the one before ended at {expected}"
            ),
        }
    }
}

impl core::error::Error for SeriesError {}

impl Link {
    /// Reads the series metadata of the export `bytes`.
    ///
    /// ```
    /// use koffer::meta::{Entry, Value};
    /// use koffer::seal::series::Link;
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// w.metadata(&[
    ///     Entry::new("export.sequence", Value::Uint(1)),
    ///     Entry::new("export.cursor.start", Value::Uint(0)),
    ///     Entry::new("export.cursor.end", Value::Uint(10)),
    /// ])?;
    /// let link = Link::read(&w.finish()?)?;
    /// assert_eq!((link.sequence, link.previous, link.cursor_end), (1, None, 10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(bytes: &[u8]) -> Result<Link, SeriesError> {
        let reader = Reader::new(bytes).map_err(|_| SeriesError::Missing(key::EXPORT_SEQUENCE))?;
        let uint = |k: &'static str| match reader.metadata_value(k) {
            Ok(Some(Value::Uint(v))) => Ok(v),
            _ => Err(SeriesError::Missing(k)),
        };
        let sequence = uint(key::EXPORT_SEQUENCE)?;
        if sequence == 0 {
            return Err(SeriesError::Missing(key::EXPORT_SEQUENCE));
        }
        let cursor_start = uint(key::EXPORT_CURSOR_START)?;
        let cursor_end = uint(key::EXPORT_CURSOR_END)?;
        if cursor_end < cursor_start {
            return Err(SeriesError::BadCursor);
        }
        let previous = match reader.metadata_value(key::EXPORT_PREVIOUS) {
            Ok(None) => None,
            Ok(Some(Value::Bytes(b))) if b.len() == 32 => {
                let mut d = [0u8; 32];
                d.copy_from_slice(b);
                Some(d)
            }
            _ => return Err(SeriesError::Missing(key::EXPORT_PREVIOUS)),
        };
        match (sequence, previous) {
            (1, Some(_)) => return Err(SeriesError::PreviousInFirst),
            (2.., None) => return Err(SeriesError::Missing(key::EXPORT_PREVIOUS)),
            _ => {}
        }
        // The container's bytes: up to the end of its END frame, without an
        // unwritten tail (format.md §10.3) after it.
        let len = reader
            .frames()
            .finish()
            .map_or(bytes.len(), |s| s.len as usize);
        Ok(Link {
            sequence,
            previous,
            cursor_start,
            cursor_end,
            digest: Sha256::digest(&bytes[..len]).into(),
        })
    }
}

/// Checks that `links`, in the order given, join: each export's number is
/// the previous one's plus 1, its `export.previous` is the previous
/// export's SHA-256, and its cursor range starts where the previous one's
/// ended. On failure: the index of the export that does not join, and why.
///
/// ```
/// use koffer::seal::series::{join, Link, SeriesError};
/// let a = Link { sequence: 1, previous: None, cursor_start: 0, cursor_end: 10, digest: [1; 32] };
/// let b = Link { sequence: 2, previous: Some([1; 32]), cursor_start: 10, cursor_end: 25, digest: [2; 32] };
/// assert_eq!(join(&[a, b]), Ok(()));
/// let gap = Link { cursor_start: 12, ..b };
/// assert_eq!(join(&[a, gap]), Err((1, SeriesError::Gap { expected: 10, found: 12 })));
/// ```
pub fn join(links: &[Link]) -> Result<(), (usize, SeriesError)> {
    for (i, pair) in links.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        let at = i + 1;
        let expected = a.sequence.wrapping_add(1);
        if b.sequence != expected {
            return Err((
                at,
                SeriesError::Reordered {
                    expected,
                    found: b.sequence,
                },
            ));
        }
        if b.previous != Some(a.digest) {
            return Err((at, SeriesError::PreviousMismatch));
        }
        if b.cursor_start > a.cursor_end {
            return Err((
                at,
                SeriesError::Gap {
                    expected: a.cursor_end,
                    found: b.cursor_start,
                },
            ));
        }
        if b.cursor_start < a.cursor_end {
            return Err((
                at,
                SeriesError::Overlap {
                    expected: a.cursor_end,
                    found: b.cursor_start,
                },
            ));
        }
    }
    Ok(())
}
