//! One pass over a container's frames: status, valid prefix, what was
//! dropped and where, totals.

use koffer::header::Header;
use koffer::meta::Entry;
use koffer::read::{Class, Completeness, Error, Frame, Reader, Summary, Tail};
use koffer::schema::Schema;
use serde::Serialize;

use crate::doc::{hex, FrameDesc};

/// A container's status, in the command's words ([`Status::word`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every frame intact, the end frame present.
    Complete,
    /// Intact but cut short: no end frame (a torn tail, unwritten storage,
    /// or an input that ends inside the file header).
    Incomplete,
    /// Damaged or malformed from some frame on (or in the header).
    Corrupt,
    /// A container this version cannot read (a later major version, a
    /// required feature).
    Unsupported,
    /// Not a koffer container at all.
    NotAContainer,
}

impl Status {
    /// The word `koffer inspect` uses for it: `complete`, `incomplete`,
    /// `corrupt`, `unsupported`, `not_a_container`.
    ///
    /// ```
    /// assert_eq!(koffer_export::Status::Incomplete.word(), "incomplete");
    /// ```
    pub fn word(&self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Incomplete => "incomplete",
            Status::Corrupt => "corrupt",
            Status::Unsupported => "unsupported",
            Status::NotAContainer => "not_a_container",
        }
    }

    /// The command's exit status for it (spec `command.md` §2): 0, 3, 1, 4, 4.
    ///
    /// ```
    /// assert_eq!(koffer_export::Status::Corrupt.exit_code(), 1);
    /// ```
    pub fn exit_code(&self) -> u8 {
        match self {
            Status::Complete => 0,
            Status::Incomplete => 3,
            Status::Corrupt => 1,
            Status::Unsupported | Status::NotAContainer => 4,
        }
    }

    /// The status of a reader error, by its class (a payload error, which
    /// a frame walk does not produce, counts as corrupt).
    ///
    /// ```
    /// use koffer::read::Class;
    /// assert_eq!(koffer_export::Status::of_class(Class::Unsupported).word(), "unsupported");
    /// ```
    pub fn of_class(class: Class) -> Status {
        match class {
            Class::NotAContainer => Status::NotAContainer,
            Class::Incomplete => Status::Incomplete,
            Class::Unsupported => Status::Unsupported,
            Class::Corrupt | Class::Payload => Status::Corrupt,
        }
    }
}

/// The snake-case name of an error class, as `inspect --json` writes it.
///
/// ```
/// assert_eq!(koffer_export::class_name(koffer::read::Class::NotAContainer), "not_a_container");
/// ```
pub fn class_name(class: Class) -> &'static str {
    match class {
        Class::NotAContainer => "not_a_container",
        Class::Incomplete => "incomplete",
        Class::Unsupported => "unsupported",
        Class::Corrupt => "corrupt",
        Class::Payload => "payload",
    }
}

/// Frames read intact, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FrameCounts {
    /// All intact frames, the end frame included.
    pub total: u64,
    /// Metadata frames.
    pub metadata: u64,
    /// Schema frames.
    pub schema: u64,
    /// Block frames.
    pub block: u64,
    /// Ancillary frames.
    pub ancillary: u64,
    /// End frames (0 or 1).
    pub end: u64,
}

/// Why a container is not read whole: what was dropped and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset of the fault (for an incomplete container: the valid length).
    pub offset: u64,
    /// The error kind's name (`FrameCrcMismatch`, ...), or `incomplete` for
    /// a container without an end frame.
    pub kind: &'static str,
    /// The class word: `incomplete`, `corrupt`, `unsupported`, `not_a_container`.
    pub class: &'static str,
    /// The dropped bytes: `valid_len..size`.
    pub dropped: core::ops::Range<u64>,
    /// The line `koffer export` prints about it, minus the `koffer: FILE: `
    /// prefix: `at byte N: ...; dropped ... at bytes A..B ...`.
    pub message: String,
    /// The reader's error, when there was one (`None` for a container that
    /// is merely incomplete).
    pub error: Option<Error>,
}

/// Everything one pass over a container's frames finds ([`scan`]).
pub struct Scan<'a> {
    /// The whole input.
    pub bytes: &'a [u8],
    /// The file header; `None` when it could not be read (then
    /// [`Scan::outcome`] holds the error and nothing else was read).
    pub header: Option<Header>,
    /// The checked prefix: the container up to the end of the last frame
    /// that passed every check (structure and descriptions). Records come
    /// from here: the records walk applies the structure checks alone
    /// (spec §10.1) and would read on past a faulty description. `None`
    /// when the header could not be read.
    pub checked: Option<Reader<'a>>,
    /// Metadata entries, in file order.
    pub metadata: Vec<Entry<'a>>,
    /// Schemas, in file order.
    pub schemas: Vec<Schema<'a>>,
    /// The frames, as the `frames` list of the JSON export describes them.
    pub frames: Vec<FrameDesc>,
    /// Frames read intact, by kind.
    pub counts: FrameCounts,
    /// Blocks per record type (256 entries).
    pub blocks: Vec<u64>,
    /// Records per record type (256 entries), as the block headers count them.
    pub records: Vec<u64>,
    /// The reader's outcome: totals and completeness, or the first error.
    pub outcome: Result<Summary, Error>,
}

/// Scans `bytes`: every frame checked, up to the end frame or the first
/// fault. Never panics; reads each byte a bounded number of times.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let s = koffer_export::scan(&bytes);
/// assert_eq!(s.status().word(), "complete");
/// assert_eq!(s.valid_len(), bytes.len() as u64);
/// let s = koffer_export::scan(&bytes[..bytes.len() - 3]);
/// assert_eq!(s.status().word(), "incomplete");
/// assert!(s.problem().unwrap().message.contains("torn"));
/// ```
pub fn scan(bytes: &[u8]) -> Scan<'_> {
    scan_with_progress(bytes, &mut |_| {})
}

/// [`scan`], calling `progress` with the offset of each frame read.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let mut last = 0;
/// koffer_export::scan_with_progress(&bytes, &mut |at| last = at);
/// assert!(last > 0 && last < bytes.len() as u64);
/// ```
pub fn scan_with_progress<'a>(bytes: &'a [u8], progress: &mut dyn FnMut(u64)) -> Scan<'a> {
    let mut s = Scan {
        bytes,
        header: None,
        checked: None,
        metadata: Vec::new(),
        schemas: Vec::new(),
        frames: Vec::new(),
        counts: FrameCounts::default(),
        blocks: vec![0; 256],
        records: vec![0; 256],
        outcome: Err(Error {
            offset: 0,
            kind: koffer::read::ErrorKind::HeaderTruncated,
        }),
    };
    let reader = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => {
            s.outcome = Err(e);
            return s;
        }
    };
    s.header = Some(reader.header());
    let mut it = reader.frames();
    // The iterator ends at the first error, which `finish` then returns.
    for f in it.by_ref().map_while(Result::ok) {
        progress(f.offset);
        s.counts.total += 1;
        s.frames.push(match f.frame {
            Frame::Metadata(m) => {
                s.counts.metadata += 1;
                let before = s.metadata.len();
                s.metadata.extend(m.entries());
                FrameDesc::Metadata {
                    entries: (s.metadata.len() - before) as u64,
                }
            }
            Frame::Schema(schema) => {
                s.counts.schema += 1;
                s.schemas.push(schema);
                FrameDesc::Schema {
                    record_type: schema.record_type,
                }
            }
            Frame::Block(b) => {
                s.counts.block += 1;
                let h = b.header();
                let t = usize::from(h.record_type);
                s.blocks[t] += 1;
                s.records[t] += u64::from(h.count);
                FrameDesc::Block {
                    record_type: h.record_type,
                    count: h.count,
                    base_len: h.base_len,
                    width: h.width,
                }
            }
            Frame::Ancillary { kind, body } => {
                s.counts.ancillary += 1;
                FrameDesc::Ancillary {
                    kind,
                    body: hex(body),
                }
            }
            Frame::End(_) => {
                s.counts.end += 1;
                FrameDesc::End
            }
        });
    }
    let intact = it.position();
    s.outcome = it.finish();
    // The prefix starts with the header `reader` has checked, so reading it
    // again cannot fail.
    let end = usize::try_from(intact)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    s.checked = Some(Reader::new(&bytes[..end]).unwrap_or(reader));
    s
}

impl<'a> Scan<'a> {
    /// The container's status.
    pub fn status(&self) -> Status {
        match &self.outcome {
            Ok(summary) => match summary.completeness {
                Completeness::Complete => Status::Complete,
                Completeness::Incomplete { .. } => Status::Incomplete,
            },
            Err(e) => Status::of_class(e.kind.class()),
        }
    }

    /// The length of the valid prefix: the end of the last intact frame (0
    /// when the header could not be read).
    pub fn valid_len(&self) -> u64 {
        self.checked.map_or(0, |r| r.bytes().len() as u64)
    }

    /// Records in the intact blocks, all types.
    pub fn total_records(&self) -> u64 {
        self.records.iter().sum()
    }

    /// Intact blocks, all types.
    pub fn total_blocks(&self) -> u64 {
        self.blocks.iter().sum()
    }

    /// What was dropped and where; `None` for a complete container.
    pub fn problem(&self) -> Option<Problem> {
        let size = self.bytes.len() as u64;
        match &self.outcome {
            Ok(summary) => match summary.completeness {
                Completeness::Complete => None,
                Completeness::Incomplete { valid_len, tail } => {
                    let what = match tail {
                        Tail::None => "nothing dropped".to_string(),
                        Tail::Unwritten { len } => format!(
                            "dropped {len} bytes of unwritten storage (all 0x00 or all 0xFF) at bytes {valid_len}..{size}"
                        ),
                        Tail::Torn { len } => {
                            match crate::inspect::torn_then_unwritten(self.bytes, valid_len, tail) {
                                Some(_) => crate::tail_text_in(self.bytes, valid_len, tail),
                                None => format!(
                                    "dropped {len} bytes of a torn (cut short) frame at bytes {valid_len}..{size}"
                                ),
                            }
                        }
                    };
                    Some(Problem {
                        offset: valid_len,
                        kind: "incomplete",
                        class: "incomplete",
                        dropped: valid_len..size,
                        message: format!(
                            "at byte {valid_len}: incomplete container (no end frame): {what}"
                        ),
                        error: None,
                    })
                }
            },
            Err(e) => {
                let intact = self.valid_len();
                Some(Problem {
                    offset: e.offset,
                    kind: e.kind.name(),
                    class: class_name(e.kind.class()),
                    dropped: intact..size,
                    message: format!(
                        "{e}; dropped {} bytes at bytes {intact}..{size}: everything from the damaged frame on",
                        size.saturating_sub(intact),
                    ),
                    error: Some(*e),
                })
            }
        }
    }
}
