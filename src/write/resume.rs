//! Resuming an interrupted container (spec `format.md` §11.2).

use crate::end::End;
use crate::header::{Header, HEADER_LEN};
use crate::read::{Completeness, Error, Reader, TypeSet};

/// Where and how a writer continues an existing container.
///
/// [`ResumePoint::scan`] reads the bytes written before, finds the end of the
/// last intact frame, and recovers what the writer needs to go on: the totals
/// and the declared record types. Bytes after [`ResumePoint::valid_len`] (a
/// torn frame, unwritten storage) are to be discarded by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    valid_len: u64,
    last_checksum: [u8; 4],
    counted: End,
    declared: TypeSet,
    complete: bool,
}

impl ResumePoint {
    /// Scans `existing`, the bytes of a container written before.
    ///
    /// An empty input, or one cut inside the file header, resumes from zero
    /// (the header is written again). Damage other than a torn tail is an error:
    /// continuing after it would bury it inside the container.
    pub fn scan(existing: &[u8]) -> Result<ResumePoint, Error> {
        let header = Header::CURRENT.to_bytes();
        if existing.len() < HEADER_LEN && existing == &header[..existing.len()] {
            return Ok(ResumePoint {
                valid_len: 0,
                last_checksum: [0; 4],
                counted: End::default(),
                declared: TypeSet::default(),
                complete: false,
            });
        }
        let reader = Reader::new(existing)?;
        let mut frames = reader.frames();
        for f in frames.by_ref() {
            f?;
        }
        let counted = frames.counted();
        let declared = frames.declared();
        let summary = frames.finish()?;
        let (valid_len, complete) = match summary.completeness {
            Completeness::Complete => (existing.len() as u64, true),
            Completeness::Incomplete { valid_len, .. } => (valid_len, false),
        };
        // The prefix holds at least the header, so it ends in a checksum field.
        let end = valid_len as usize;
        let mut last_checksum = [0u8; 4];
        last_checksum.copy_from_slice(&existing[end - 4..end]);
        Ok(ResumePoint {
            valid_len,
            last_checksum,
            counted,
            declared,
            complete,
        })
    }

    /// Length of the intact prefix; the writer appends right after it.
    pub fn valid_len(&self) -> u64 {
        self.valid_len
    }

    /// The last 4 bytes of the intact prefix: the checksum the next frame chains to.
    pub fn last_checksum(&self) -> [u8; 4] {
        self.last_checksum
    }

    /// Frames, blocks and records in the intact prefix.
    pub fn counted(&self) -> End {
        self.counted
    }

    /// Record types the intact prefix declares.
    pub fn declared(&self) -> TypeSet {
        self.declared
    }

    /// True if the container already has its end frame and cannot be continued.
    pub fn is_complete(&self) -> bool {
        self.complete
    }
}
