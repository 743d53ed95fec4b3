//! The structure walk: frame by frame, the *structure checks* of spec
//! `format.md` §10.1 — what decides which records a container holds and
//! whether it is complete: §4.3 for every frame, a schema frame's record type
//! and the declared-once rule (§6), a block's rules (§7), the end frame's
//! (§8), and torn and unwritten tails (§10.3).
//!
//! The *description checks* — a metadata frame's body (§5), a schema frame's
//! name, version and definition (§6) — are the caller's: [`Frames`] applies
//! them to every frame before handing it out; [`Records`] does not use the
//! descriptions and leaves them unchecked, as §10.1 allows, so a device that
//! reads its own records links none of that code.
//!
//! Its outcome types live here too: [`Summary`], [`Completeness`], [`Tail`]
//! and the [`TypeSet`] of declared record types.
//!
//! [`Frames`]: super::Frames
//! [`Records`]: super::Records

use crate::block::Block;
use crate::cursor::Cursor;
use crate::end::End;
use crate::frame::{self, kind, FrameHead};
use crate::header::{Header, HEADER_LEN};
use crate::limits;
use crate::read::{Error, ErrorKind};

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

/// What the structure checks found in a frame's body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Structure<'a> {
    /// A metadata frame: the body is a description only.
    Metadata,
    /// A schema frame declaring `record_type`; the rest of the body (name,
    /// version, definition) is a description.
    Schema { record_type: u8 },
    /// A block whose rules (§7) hold.
    Block(Block<'a>),
    /// The end frame, its totals matching the frames before it.
    End(End),
    /// An ancillary frame (§4.2), skipped.
    Ancillary,
}

/// A frame that passed the structure checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<'a> {
    /// Offset of the frame's kind byte.
    pub(crate) offset: usize,
    /// Offset of the frame's body.
    pub(crate) body_offset: usize,
    /// The whole frame's size.
    pub(crate) size: usize,
    /// The kind byte.
    pub(crate) kind: u8,
    /// The body.
    pub(crate) body: &'a [u8],
    /// What the structure checks found.
    pub(crate) structure: Structure<'a>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Running,
    Done(Completeness),
    Failed(Error),
}

/// The walk's position and what it has counted and seen declared.
#[derive(Debug, Clone)]
pub(crate) struct Walk<'a> {
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

impl<'a> Walk<'a> {
    pub(crate) fn new(bytes: &'a [u8], header: Header) -> Self {
        Walk {
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

    /// A walk over a window of the input (`read::Feed`): `bytes` holds 18
    /// bytes of context, the last 4 the checksum the first frame chains to,
    /// then the frames from where the state (`counted`, `declared`, `ended`)
    /// was left. `written_end` is the input's written end (§10.3) in the
    /// window's terms; `usize::MAX` when more input follows.
    pub(crate) fn window(
        bytes: &'a [u8],
        header: Header,
        counted: End,
        declared: TypeSet,
        ended: bool,
        written_end: usize,
    ) -> Self {
        Walk {
            bytes,
            header,
            pos: HEADER_LEN,
            state: State::Running,
            counted,
            declared,
            ended,
            written_end,
        }
    }

    /// True once the end frame has been taken.
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    /// Frames, blocks and records of the frames handed out so far.
    pub(crate) fn counted(&self) -> End {
        self.counted
    }

    /// Record types declared by the frames handed out so far.
    pub(crate) fn declared(&self) -> TypeSet {
        self.declared
    }

    /// Offset just past the last frame handed out.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The next frame that passes the structure checks and then `describe`
    /// (the caller's description checks, §10.1), with what `describe` made
    /// of it. A frame is taken into the totals only when both pass; after
    /// an error, or at the end, the walk yields nothing more.
    #[inline]
    pub(crate) fn step<D>(
        &mut self,
        describe: impl FnOnce(&Step<'a>) -> Result<D, Error>,
    ) -> Option<Result<(Step<'a>, D), Error>> {
        let step = match self.check_structure()? {
            Ok(step) => step,
            Err(e) => return Some(Err(e)),
        };
        match describe(&step) {
            Ok(d) => {
                self.take(&step);
                Some(Ok((step, d)))
            }
            Err(e) => {
                self.state = State::Failed(e);
                Some(Err(e))
            }
        }
    }

    /// Walks the rest without checking descriptions and reports the outcome.
    /// (By reference: moving the walk would copy it, 144 bytes on a Cortex-M.)
    pub(crate) fn finish(&mut self) -> Result<Summary, Error> {
        while let Some(step) = self.step(|_| Ok(())) {
            step?;
        }
        self.outcome()
    }

    /// The outcome once the walk has stopped: the error it stopped at, or the
    /// totals and completeness.
    pub(crate) fn outcome(&self) -> Result<Summary, Error> {
        match self.state {
            State::Done(completeness) => Ok(Summary {
                header: self.header,
                counted: self.counted,
                completeness,
                len: self.pos as u64,
            }),
            State::Failed(e) => Err(e),
            // Only called once `step` has returned `None`.
            State::Running => Err(Error::at(self.pos, ErrorKind::BodyTruncated)),
        }
    }

    fn stop(&mut self, tail: Tail) -> Option<Result<Step<'a>, Error>> {
        self.state = State::Done(if self.ended {
            Completeness::Complete
        } else {
            Completeness::Incomplete {
                valid_len: self.pos as u64,
                tail,
            }
        });
        None
    }

    fn fail(&mut self, e: Error) -> Option<Result<Step<'a>, Error>> {
        self.state = State::Failed(e);
        Some(Err(e))
    }

    /// Counts a frame that passed every check and moves past it.
    fn take(&mut self, step: &Step<'a>) {
        match step.structure {
            Structure::Schema { record_type } => {
                self.declared.insert(record_type);
            }
            Structure::Block(block) => {
                self.counted.blocks += 1;
                self.counted.records += u64::from(block.header().count);
            }
            Structure::End(_) => self.ended = true,
            Structure::Metadata | Structure::Ancillary => {}
        }
        if !matches!(step.structure, Structure::End(_)) {
            self.counted.frames += 1;
        }
        self.pos += step.size;
    }

    /// §4.3 steps 1–6 and §10.3 at the current position, then the structure
    /// checks of the frame's kind. Out of line: one copy serves every caller.
    #[inline(never)]
    fn check_structure(&mut self) -> Option<Result<Step<'a>, Error>> {
        if !matches!(self.state, State::Running) {
            return None;
        }
        let rest = &self.bytes[self.pos..];
        if rest.is_empty() {
            return self.stop(Tail::None);
        }
        if self.written_end <= self.pos {
            let len = rest.len() as u64;
            return self.stop(Tail::Unwritten { len });
        }
        if self.ended {
            return self.fail(Error::at(self.pos, ErrorKind::DataAfterEnd));
        }
        // The header (18 bytes) precedes every frame, so pos >= 4.
        let raw = match frame::parse_chained(&self.bytes[self.pos - 4..]) {
            Ok(raw) => raw,
            Err(e) => {
                // §10.3: cut short, or failing while the written data ends
                // inside the frame: the writer's last write was interrupted.
                let torn = match e {
                    frame::Error::Truncated => true,
                    // A writer always writes a valid kind first, so an
                    // invalid kind before written data is never a torn write.
                    frame::Error::InvalidKind(_) | frame::Error::TooLarge(_) => false,
                    frame::Error::HeadCheck { .. } => self.written_end < self.pos + FrameHead::LEN,
                    frame::Error::Checksum { size, .. } => self.written_end < self.pos + size,
                };
                if torn {
                    let len = rest.len() as u64;
                    return self.stop(Tail::Torn { len });
                }
                return self.fail(Error::from_frame(self.pos, e));
            }
        };
        let body_offset = self.pos + raw.body_start;
        match self.structure_of(raw.kind, raw.body, body_offset) {
            Ok(structure) => Some(Ok(Step {
                offset: self.pos,
                body_offset,
                size: raw.size,
                kind: raw.kind,
                body: raw.body,
                structure,
            })),
            Err(e) => self.fail(e),
        }
    }

    /// The structure checks of one frame's body (§6 record type and
    /// declared-once rule, §7, §8, §4.2 kinds).
    fn structure_of(
        &self,
        kind: u8,
        body: &'a [u8],
        body_offset: usize,
    ) -> Result<Structure<'a>, Error> {
        let at = |e| Error::in_body(body_offset, e);
        Ok(match kind {
            kind::METADATA => Structure::Metadata,
            kind::SCHEMA => {
                let record_type = Cursor::new(body)
                    .u32_max(limits::MAX_RECORD_TYPES - 1, |v| {
                        ErrorKind::RecordTypeOutOfRange { value: v }
                    })
                    .map_err(at)? as u8;
                if self.declared.contains(record_type) {
                    return Err(Error::at(
                        body_offset,
                        ErrorKind::DuplicateRecordType { record_type },
                    ));
                }
                Structure::Schema { record_type }
            }
            kind::BLOCK => {
                // §7 rule 1: the record type is checked before the rest of the block.
                if let Ok((t, _)) = crate::varint::decode_u64(body) {
                    if let Ok(t) = u8::try_from(t) {
                        if !self.declared.contains(t) {
                            return Err(Error::at(
                                body_offset,
                                ErrorKind::UndeclaredRecordType { record_type: t },
                            ));
                        }
                    }
                }
                Structure::Block(Block::parse(body).map_err(at)?)
            }
            kind::END => {
                let stated = End::parse(body).map_err(at)?;
                if stated != self.counted {
                    return Err(Error::at(
                        body_offset,
                        ErrorKind::EndTotals {
                            counted: self.counted,
                            stated,
                        },
                    ));
                }
                Structure::End(stated)
            }
            k if kind::class(k) == kind::Class::Ancillary => Structure::Ancillary,
            k => {
                return Err(Error::at(
                    body_offset - FrameHead::LEN,
                    ErrorKind::UnknownCriticalFrame { kind: k },
                ))
            }
        })
    }
}
