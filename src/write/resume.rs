//! Resuming an interrupted container (spec `format.md` §11.2).

use crate::end::End;
use crate::read::walk::Walk;
use crate::read::{Completeness, Error, ErrorKind, Feed, FeedError, Reader, TypeSet};

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
    /// An empty input, or one whose written bytes end inside the file header
    /// (spec §3.3), resumes from zero: the header is written again (on flash,
    /// erase the region first). Damage the structure checks of spec §10.1
    /// find, other than a torn tail, is an error: continuing after it would
    /// bury it inside the container. Descriptions (metadata entries, schema
    /// names and definitions) are not checked here, as §11.2 allows: a faulty
    /// one stays where it is, and [`Reader::verify`] reports it.
    pub fn scan(existing: &[u8]) -> Result<ResumePoint, Error> {
        let reader = match Reader::new(existing) {
            Ok(r) => r,
            // Nothing or only part of a header was written (spec §3.3): start over.
            Err(e) if e.kind == ErrorKind::HeaderTruncated => {
                return Ok(ResumePoint {
                    valid_len: 0,
                    last_checksum: [0; 4],
                    counted: End::default(),
                    declared: TypeSet::default(),
                    complete: false,
                })
            }
            Err(e) => return Err(e),
        };
        // The structure checks of §10.1 decide the valid prefix and the
        // totals; appending uses no description, so none is checked here
        // (`Reader::verify` checks them).
        let mut walk = Walk::new(existing, reader.header());
        while let Some(step) = walk.step(|_| Ok(())) {
            step?;
        }
        let counted = walk.counted();
        let declared = walk.declared();
        let summary = walk.outcome()?;
        let valid_len = summary.len;
        let complete = summary.completeness == Completeness::Complete;
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

    /// [`ResumePoint::scan`] for storage that is not in memory (external
    /// flash, an SD card): the bytes written before were fed in chunks to
    /// `feed`, a [`Feed::structure_only`] (the structure checks are what
    /// resuming needs, as in `scan`). The RAM this takes is the feed's buffer.
    ///
    /// ```
    /// use koffer::read::Feed;
    /// use koffer::write::{ResumePoint, SliceSink, Writer};
    /// let mut flash = [0xFFu8; 512]; // erased NOR flash
    /// let mut block = [0u8; 32];
    /// let mut w = Writer::new(SliceSink::new(&mut flash), &mut block).unwrap();
    /// let n = w.declare(0, "n", 1, &[]).unwrap();
    /// w.write_serialized(n, &1u32).unwrap();
    /// w.flush().unwrap();
    /// drop(w); // power cut
    ///
    /// // After reboot: read the flash back 64 bytes at a time.
    /// let mut buf = [0u8; 96];
    /// let mut feed = Feed::structure_only(&mut buf);
    /// for page in flash.chunks(64) {
    ///     feed.feed(page).unwrap();
    /// }
    /// let point = ResumePoint::from_feed(feed).unwrap();
    /// assert_eq!(Ok(point), ResumePoint::scan(&flash));
    /// ```
    pub fn from_feed(mut feed: Feed<'_, false>) -> Result<ResumePoint, FeedError> {
        match feed.end(&mut |_| {}) {
            Err(FeedError::Read(e)) if e.kind == ErrorKind::HeaderTruncated => Ok(ResumePoint {
                valid_len: 0,
                last_checksum: [0; 4],
                counted: End::default(),
                declared: TypeSet::default(),
                complete: false,
            }),
            Err(e) => Err(e),
            Ok((summary, last_checksum)) => Ok(ResumePoint {
                valid_len: summary.len,
                last_checksum,
                counted: summary.counted,
                declared: feed.declared(),
                complete: summary.completeness == Completeness::Complete,
            }),
        }
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
