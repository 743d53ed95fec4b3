//! Walking a container frame by frame, with every check of the spec applied
//! before a frame is handed out (spec `format.md` §10).

use crate::block::Block;
use crate::end::End;
use crate::frame::{self, kind, FrameError, FrameHead};
use crate::header::{Header, HEADER_LEN};
use crate::meta::Metadata;
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

#[derive(Debug, Clone, Copy)]
enum State {
    Running,
    Done(Completeness),
    Failed(Error),
}

/// Iterator over the frames of a container, each checked before it is handed out.
///
/// It ends after the end frame, at the end of the input, at a torn or unwritten
/// tail (then [`Frames::finish`] reports the container incomplete), or after
/// yielding one error.
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    bytes: &'a [u8],
    header: Header,
    pos: usize,
    state: State,
    counted: End,
    declared: TypeSet,
    ended: bool,
    /// Where the input's final run of `0x00` or of `0xFF` bytes starts (§10.3).
    written_end: usize,
}

/// The *written end* of `bytes` (spec §10.3): the start of its final run of
/// `0x00` bytes or of `0xFF` bytes; the length if it ends in neither.
pub(crate) fn written_end(bytes: &[u8]) -> usize {
    match bytes.last() {
        Some(&fill @ (0x00 | 0xFF)) => bytes.iter().rposition(|&b| b != fill).map_or(0, |i| i + 1),
        _ => bytes.len(),
    }
}

impl<'a> Frames<'a> {
    pub(crate) fn new(bytes: &'a [u8], header: Header) -> Self {
        Frames {
            bytes,
            header,
            pos: HEADER_LEN,
            state: State::Running,
            counted: End::default(),
            declared: TypeSet::default(),
            ended: false,
            written_end: written_end(bytes),
        }
    }

    /// Frames, blocks and records read so far.
    pub fn counted(&self) -> End {
        self.counted
    }

    /// Record types declared so far.
    pub fn declared(&self) -> TypeSet {
        self.declared
    }

    /// Offset just past the last frame read.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// Reads the remaining frames and reports the outcome: the first error, or
    /// the totals and whether the container is complete.
    pub fn finish(mut self) -> Result<Summary, Error> {
        for item in self.by_ref() {
            item?;
        }
        match self.state {
            State::Done(completeness) => Ok(Summary {
                header: self.header,
                counted: self.counted,
                completeness,
                len: self.pos as u64,
            }),
            State::Failed(e) => Err(e),
            // `by_ref()` ran to the end, so the state is final.
            State::Running => Err(Error::at(self.pos, ErrorKind::BodyTruncated)),
        }
    }

    fn stop(&mut self, tail: Tail) {
        self.state = State::Done(if self.ended {
            Completeness::Complete
        } else {
            Completeness::Incomplete {
                valid_len: self.pos as u64,
                tail,
            }
        });
    }

    fn fail(&mut self, e: Error) -> Option<Result<FrameRef<'a>, Error>> {
        self.state = State::Failed(e);
        Some(Err(e))
    }

    fn interpret(
        &mut self,
        raw: frame::RawFrame<'a>,
        body_offset: usize,
    ) -> Result<Frame<'a>, Error> {
        let at = |e| Error::in_body(body_offset, e);
        Ok(match raw.kind {
            kind::METADATA => Frame::Metadata(Metadata::parse(raw.body).map_err(at)?),
            kind::SCHEMA => {
                let schema = Schema::parse(raw.body).map_err(at)?;
                if let Err(e) = schema.definition() {
                    let def_at = body_offset + raw.body.len() - schema.definition.len();
                    return Err(Error::at(def_at + e.offset, ErrorKind::Definition(e.kind)));
                }
                if !self.declared.insert(schema.record_type) {
                    return Err(Error::at(
                        body_offset,
                        ErrorKind::DuplicateRecordType {
                            record_type: schema.record_type,
                        },
                    ));
                }
                Frame::Schema(schema)
            }
            kind::BLOCK => {
                // §7 rule 1: the record type is checked before the rest of the block.
                if let Ok((t, _)) = crate::varint::decode_u64(raw.body) {
                    if let Ok(t) = u8::try_from(t) {
                        if !self.declared.contains(t) {
                            return Err(Error::at(
                                body_offset,
                                ErrorKind::UndeclaredRecordType { record_type: t },
                            ));
                        }
                    }
                }
                let block = Block::parse(raw.body).map_err(at)?;
                let h = block.header();
                self.counted.blocks += 1;
                self.counted.records += u64::from(h.count);
                Frame::Block(block)
            }
            kind::END => {
                let stated = End::parse(raw.body).map_err(at)?;
                if stated != self.counted {
                    return Err(Error::at(
                        body_offset,
                        ErrorKind::EndTotals {
                            counted: self.counted,
                            stated,
                        },
                    ));
                }
                self.ended = true;
                Frame::End(stated)
            }
            k if kind::class(k) == kind::Class::Ancillary => Frame::Ancillary {
                kind: k,
                body: raw.body,
            },
            k => {
                return Err(Error::at(
                    body_offset - raw.body_start,
                    ErrorKind::UnknownCriticalFrame { kind: k },
                ))
            }
        })
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<FrameRef<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if !matches!(self.state, State::Running) {
            return None;
        }
        let rest = &self.bytes[self.pos..];
        if rest.is_empty() {
            self.stop(Tail::None);
            return None;
        }
        if self.written_end <= self.pos {
            self.stop(Tail::Unwritten {
                len: rest.len() as u64,
            });
            return None;
        }
        if self.ended {
            return self.fail(Error::at(self.pos, ErrorKind::DataAfterEnd));
        }
        // The header (18 bytes) precedes every frame, so pos >= 4.
        let prev: [u8; 4] = match self.bytes[self.pos - 4..self.pos].try_into() {
            Ok(p) => p,
            Err(_) => return self.fail(Error::at(self.pos, ErrorKind::HeaderTruncated)),
        };
        let raw = match frame::parse(&prev, rest) {
            Ok(raw) => raw,
            Err(e) => {
                // §10.3: cut short, or failing while the written data ends
                // inside the frame: the writer's last write was interrupted.
                let torn = match e {
                    FrameError::Truncated => true,
                    // A writer always writes a valid kind first, so an
                    // invalid kind before written data is never a torn write.
                    FrameError::InvalidKind(_) | FrameError::TooLarge(_) => false,
                    FrameError::HeadCheck { .. } => self.written_end < self.pos + FrameHead::LEN,
                    FrameError::Checksum { size, .. } => self.written_end < self.pos + size,
                };
                if torn {
                    self.stop(Tail::Torn {
                        len: rest.len() as u64,
                    });
                    return None;
                }
                return self.fail(Error::from_frame(self.pos, e));
            }
        };
        let offset = self.pos;
        let body_offset = offset + raw.body_start;
        match self.interpret(raw, body_offset) {
            Ok(frame) => {
                if !matches!(frame, Frame::End(_)) {
                    self.counted.frames += 1;
                }
                self.pos += raw.size;
                Some(Ok(FrameRef {
                    offset: offset as u64,
                    body_offset: body_offset as u64,
                    size: raw.size as u64,
                    frame,
                }))
            }
            Err(e) => self.fail(e),
        }
    }
}
