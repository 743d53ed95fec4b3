//! Walking a container frame by frame, with every check of the spec applied
//! before a frame is handed out: the structure walk (`walk.rs`) and the
//! description checks on top of it (spec `format.md` §10.1).

use crate::block::Block;
use crate::end::End;
use crate::header::Header;
use crate::meta::Metadata;
use crate::read::walk::{Step, Structure, Summary, TypeSet, Walk};
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
pub(crate) fn describe<'a>(step: &Step<'a>) -> Result<Frame<'a>, Error> {
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
