//! Reading helpers: the structure of a complete container, what a reader makes
//! of any input (checked against `verify` on the way), in owned form.

use koffer::end::End;
use koffer::frame::{kind, FrameHead};
use koffer::header::HEADER_LEN;
use koffer::read::{Completeness, Error, Frame, Reader, Record, Summary, Tail};

/// A record, owned, for comparing across inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    pub record_type: u8,
    pub index: u64,
    pub payload: Vec<u8>,
}

fn own(r: &Record<'_>) -> Rec {
    Rec {
        record_type: r.record_type,
        index: r.index,
        payload: r.payload.to_vec(),
    }
}

/// The structure of a complete container.
pub struct Layout {
    pub records: Vec<Rec>,
    /// (end offset, counts as a frame?, records, is block, declares type)
    pub frames: Vec<FrameInfo>,
    pub len: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct FrameInfo {
    pub start: usize,
    pub end: usize,
    pub is_end: bool,
    pub block_records: Option<u64>,
    pub declares: Option<u8>,
}

pub fn layout(bytes: &[u8]) -> Layout {
    let reader = Reader::new(bytes).unwrap();
    let records: Vec<Rec> = reader.records().map(|r| own(&r.unwrap())).collect();
    let mut frames = Vec::new();
    for f in reader.frames() {
        let f = f.unwrap();
        frames.push(FrameInfo {
            start: f.offset as usize,
            end: (f.offset + f.size) as usize,
            is_end: matches!(f.frame, Frame::End(_)),
            block_records: match f.frame {
                Frame::Block(b) => Some(u64::from(b.header().count)),
                _ => None,
            },
            declares: match f.frame {
                Frame::Schema(s) => Some(s.record_type),
                _ => None,
            },
        });
    }
    assert!(reader.verify().unwrap().is_complete());
    Layout {
        records,
        frames,
        len: bytes.len(),
    }
}

impl Layout {
    /// The valid prefix of a cut at `cut`: the end of the last whole frame.
    pub fn valid_len(&self, cut: usize) -> usize {
        self.frames
            .iter()
            .filter(|f| f.end <= cut)
            .map(|f| f.end)
            .max()
            .unwrap_or(HEADER_LEN)
    }

    /// Totals of the frames that end at or before `cut`.
    pub fn counted(&self, cut: usize) -> End {
        let mut e = End::default();
        for f in self.frames.iter().filter(|f| f.end <= cut && !f.is_end) {
            e.frames += 1;
            if let Some(n) = f.block_records {
                e.blocks += 1;
                e.records += n;
            }
        }
        e
    }

    pub fn declared(&self, cut: usize) -> Vec<u8> {
        self.frames
            .iter()
            .filter(|f| f.end <= cut)
            .filter_map(|f| f.declares)
            .collect()
    }

    /// Records of the blocks that end at or before `cut`.
    pub fn records_before(&self, cut: usize) -> &[Rec] {
        &self.records[..self.counted(cut).records as usize]
    }
}

/// What a reader makes of an input: the records it hands out, the error the
/// records iterator ends with (if any), and the final outcome.
#[derive(Debug)]
pub struct Outcome {
    pub records: Vec<Rec>,
    pub iter_error: Option<Error>,
    pub finish: Result<Summary, Error>,
}

pub fn read(bytes: &[u8]) -> Result<Outcome, Error> {
    let reader = Reader::new(bytes)?;
    let mut it = reader.records();
    let mut records = Vec::new();
    let mut iter_error = None;
    for r in it.by_ref() {
        assert!(
            iter_error.is_none(),
            "records iterator went on after an error"
        );
        match r {
            Ok(r) => {
                // The payload borrows from the input at the offset it names.
                let at = r.offset as usize;
                assert_eq!(r.payload.as_ptr(), bytes[at..].as_ptr());
                records.push(own(&r));
            }
            Err(e) => iter_error = Some(e),
        }
    }
    let finish = it.finish();
    if let Some(e) = iter_error {
        assert_eq!(finish, Err(e), "finish must report the iterator's error");
    }
    // `verify` agrees with reading the records to the end, but for an error
    // in a description, which the records walk does not check (spec §10.1).
    let verified = reader.verify();
    if verified != finish {
        let e = verified.unwrap_err();
        assert!(
            in_description(&reader, e),
            "verify fails with {e:?} outside a description; records().finish() gives {finish:?}"
        );
    }
    Ok(Outcome {
        records,
        iter_error,
        finish,
    })
}

/// True if `e`, the error `verify` reports, lies in a description (spec
/// §10.1): a metadata frame's body, or a schema frame's body past its
/// record type.
fn in_description(reader: &Reader<'_>, e: Error) -> bool {
    let mut frames = reader.frames();
    let _ = frames.finish();
    // After an error, the position is the offset of the frame that failed.
    let at = frames.position() as usize;
    let body = (at + FrameHead::LEN) as u64;
    match reader.bytes()[at] {
        kind::METADATA => e.offset >= body,
        kind::SCHEMA => e.offset > body,
        _ => false,
    }
}

/// The error `verify` reports, after `read` has checked the records walk
/// against it.
pub fn verify_error(bytes: &[u8]) -> Error {
    read(bytes).unwrap();
    Reader::new(bytes).unwrap().verify().unwrap_err()
}

pub fn incomplete(valid_len: usize, tail: Tail) -> Completeness {
    Completeness::Incomplete {
        valid_len: valid_len as u64,
        tail,
    }
}
