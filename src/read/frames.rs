//! Walking a container frame by frame, with every check of the spec applied
//! before a frame is handed out: the structure walk (`walk.rs`) and the
//! description checks on top of it (spec `format.md` §10.1).

use crate::block::Block;
use crate::end::End;
use crate::header::Header;
use crate::meta::Metadata;
use crate::read::walk::{Step, Structure, Walk};
use crate::read::{Error, ErrorKind};
use crate::schema::Schema;

/// A frame's checked, interpreted body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Frame<'a> {
    /// A metadata frame.
    Metadata(Metadata<'a>),
    /// A schema frame.
    Schema(Schema<'a>),
    /// A block of records.
    Block(Block<'a>),
    /// The end frame.
    End(End),
    /// An ancillary frame this reader does not interpret (reserved or vendor kind).
    Ancillary {
        /// The kind byte.
        kind: u8,
        /// The body.
        body: &'a [u8],
    },
}

/// A frame and where it lies in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameRef<'a> {
    /// Offset of the frame's kind byte.
    pub offset: u64,
    /// Offset of the frame's body.
    pub body_offset: u64,
    /// Size of the whole frame: kind, length, body, checksum.
    pub size: u64,
    /// The frame.
    pub frame: Frame<'a>,
}

/// What follows the last intact frame of an incomplete container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Tail {
    /// Nothing: the input ends on a frame boundary.
    None,
    /// Bytes that are all `0x00` or all `0xFF`: storage never written
    /// (§10.3). After an end frame they are ignored and the container is complete.
    Unwritten {
        /// Number of such bytes.
        len: u64,
    },
    /// A frame cut short by the end of the input, or one that fails a check
    /// while the written data ends inside it (the rest being `0x00` or `0xFF`
    /// fill): the writer was interrupted (§10.3). Its bytes are dropped.
    Torn {
        /// Number of bytes dropped, from the frame's start to the end of the input.
        len: u64,
    },
}

/// Whether the container was finished by its writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Completeness {
    /// The end frame is present and its totals match.
    Complete,
    /// No end frame: the writer stopped (power cut, truncation, still writing).
    /// Every record before `valid_len` is intact.
    Incomplete {
        /// Length of the valid prefix: the end of the last intact frame.
        valid_len: u64,
        /// What follows it.
        tail: Tail,
    },
}

/// The outcome of reading a whole container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Summary {
    /// The file header.
    pub header: Header,
    /// Frames, blocks and records counted (the end frame itself not counted).
    pub counted: End,
    /// Complete, or incomplete and why.
    pub completeness: Completeness,
    /// Length of the container proper: the end of its last intact frame.
    /// Bytes after it are unwritten storage (§10.3) or, in an incomplete
    /// container, a dropped torn frame.
    pub len: u64,
}

impl Summary {
    /// True when the container is complete.
    pub fn is_complete(&self) -> bool {
        self.completeness == Completeness::Complete
    }
}

/// The set of declared record types (a 256-bit bitmap; no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypeSet([u64; 4]);

impl TypeSet {
    /// True if `record_type` is in the set.
    pub fn contains(&self, record_type: u8) -> bool {
        self.0[usize::from(record_type >> 6)] & (1 << (record_type & 63)) != 0
    }

    /// Adds `record_type`; returns false if it was already present.
    pub fn insert(&mut self, record_type: u8) -> bool {
        let had = self.contains(record_type);
        self.0[usize::from(record_type >> 6)] |= 1 << (record_type & 63);
        !had
    }

    /// Number of record types in the set.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True if no record type is declared.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Iterator over the frames of a container, each checked before it is handed
/// out: the structure checks and the description checks of spec §10.1 (a
/// metadata frame's entries, a schema frame's name, version and definition).
///
/// It ends after the end frame, at the end of the input, at a torn or unwritten
/// tail (then [`Frames::finish`] reports the container incomplete), or after
/// yielding one error.
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    walk: Walk<'a>,
}

impl<'a> Frames<'a> {
    pub(crate) fn new(bytes: &'a [u8], header: Header) -> Self {
        Frames {
            walk: Walk::new(bytes, header),
        }
    }

    /// Frames, blocks and records read so far.
    pub fn counted(&self) -> End {
        self.walk.counted()
    }

    /// Record types declared so far.
    pub fn declared(&self) -> TypeSet {
        self.walk.declared()
    }

    /// Offset just past the last frame read: after an error, the offset of
    /// the frame that failed.
    pub fn position(&self) -> u64 {
        self.walk.position() as u64
    }

    /// Reads the remaining frames and reports the outcome: the first error, or
    /// the totals and whether the container is complete. By reference, like
    /// [`Records::finish`](crate::read::Records::finish); afterwards the
    /// iterator yields nothing, and `finish` reports the same outcome again.
    pub fn finish(&mut self) -> Result<Summary, Error> {
        for item in self.by_ref() {
            item?;
        }
        self.walk.outcome()
    }
}

/// The description checks of one frame (spec §10.1), and the frame as they
/// interpret it.
fn describe<'a>(step: &Step<'a>) -> Result<Frame<'a>, Error> {
    let at = |e| Error::in_body(step.body_offset, e);
    Ok(match step.structure {
        Structure::Metadata => Frame::Metadata(Metadata::parse(step.body).map_err(at)?),
        Structure::Schema { .. } => {
            let schema = Schema::parse(step.body).map_err(at)?;
            if let Err(e) = schema.definition() {
                let def_at = step.body_offset + step.body.len() - schema.definition.len();
                return Err(Error::at(def_at + e.offset, ErrorKind::Definition(e.kind)));
            }
            Frame::Schema(schema)
        }
        Structure::Block(block) => Frame::Block(block),
        Structure::End(end) => Frame::End(end),
        Structure::Ancillary => Frame::Ancillary {
            kind: step.kind,
            body: step.body,
        },
    })
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<FrameRef<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.walk.step(describe)?.map(|(step, frame)| FrameRef {
            offset: step.offset as u64,
            body_offset: step.body_offset as u64,
            size: step.size as u64,
            frame,
        }))
    }
}
