//! The entry point for reading: a checked header over a byte slice.

use crate::header::{self, starts_like_signature, Header, HEADER_LEN};
use crate::meta::{Entry, Value};
use crate::read::frames::{Frame, Frames};
use crate::read::records::{Blocks, Records};
use crate::read::walk::Summary;
use crate::read::walk::{written_end, Walk};
use crate::read::Error;
use crate::schema::Schema;

/// A container in a byte slice. Reading allocates nothing and copies nothing:
/// every name, value and payload handed out borrows from the slice.
///
/// ```
/// use koffer::{read::Reader, write::Writer};
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
/// let steps = w.declare(3, "steps", 1, &[]).unwrap();
/// for n in [120u16, 98, 4000] {
///     w.write_serialized(steps, &n).unwrap();
/// }
/// let bytes = w.finish().unwrap();
///
/// let reader = Reader::new(&bytes).unwrap();
/// let steps: Vec<u16> = reader.records().map(|r| r.unwrap().decode().unwrap()).collect();
/// assert_eq!(steps, [120, 98, 4000]);
/// assert!(reader.verify().unwrap().is_complete());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    header: Header,
}

impl<'a> Reader<'a> {
    /// Checks the file header at the start of `bytes`.
    ///
    /// A header whose written bytes end inside it — the input is shorter than
    /// 18 bytes, or followed by `0x00`/`0xFF` fill — and that starts like the
    /// signature, is [`ErrorKind::HeaderTruncated`](crate::read::ErrorKind):
    /// a container whose writer stopped before its header was complete
    /// (spec §3.3).
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        match Header::parse(bytes) {
            Ok(header) => Ok(Reader { bytes, header }),
            Err(e @ (header::Error::Checksum { .. } | header::Error::BadSignature)) => {
                let w = written_end(bytes);
                if w < HEADER_LEN && starts_like_signature(&bytes[..w]) {
                    Err(Error::from_header(header::Error::Truncated))
                } else {
                    Err(Error::from_header(e))
                }
            }
            Err(e) => Err(Error::from_header(e)),
        }
    }

    /// The file header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// The input.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Every frame, in order, with every check applied: the structure and
    /// the description checks of spec §10.1.
    pub fn frames(&self) -> Frames<'a> {
        Frames::new(self.bytes, self.header)
    }

    /// Every record, in order. The walk applies the structure checks of spec
    /// §10.1 (frames, blocks, totals, tails) and leaves the descriptions
    /// (metadata, schema names and definitions) to the readers that use them,
    /// so a firmware that reads its own records links no description checks.
    /// [`verify`](Self::verify) checks everything.
    pub fn records(&self) -> Records<'a> {
        Records::new(Walk::new(self.bytes, self.header))
    }

    /// Every block of records, in order, checked as [`records`](Self::records)
    /// checks them: the fast way to read records of known types, a block at
    /// a time with [`Decoder::decode_each`](crate::read::Decoder::decode_each).
    pub fn blocks(&self) -> Blocks<'a> {
        Blocks::new(Walk::new(self.bytes, self.header))
    }

    /// Checks every frame of the container — structure and descriptions — and
    /// returns its totals and completeness, or the first error.
    pub fn verify(&self) -> Result<Summary, Error> {
        self.frames().finish()
    }

    /// Every metadata entry of every metadata frame, in order; stops after
    /// the first error.
    pub fn metadata(&self) -> impl Iterator<Item = Result<Entry<'a>, Error>> + 'a {
        let mut frames = self.frames();
        let mut entries: Option<crate::meta::Entries<'a>> = None;
        core::iter::from_fn(move || loop {
            if let Some(e) = entries.as_mut().and_then(Iterator::next) {
                return Some(Ok(e));
            }
            match frames.next()? {
                Ok(f) => {
                    if let Frame::Metadata(m) = f.frame {
                        entries = Some(m.entries());
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        })
    }

    /// The value of the last entry with `key`, the rule for single-valued keys.
    pub fn metadata_value(&self, key: &str) -> Result<Option<Value<'a>>, Error> {
        let mut found = None;
        for entry in self.metadata() {
            let entry = entry?;
            if entry.key == key {
                found = Some(entry.value);
            }
        }
        Ok(found)
    }

    /// Every schema frame, in order; stops after the first error.
    pub fn schemas(&self) -> impl Iterator<Item = Result<Schema<'a>, Error>> + 'a {
        self.frames().filter_map(|f| match f {
            Ok(f) => match f.frame {
                Frame::Schema(s) => Some(Ok(s)),
                _ => None,
            },
            Err(e) => Some(Err(e)),
        })
    }

    /// The schema of `record_type`, if a schema frame declares it.
    pub fn schema(&self, record_type: u8) -> Result<Option<Schema<'a>>, Error> {
        for s in self.schemas() {
            let s = s?;
            if s.record_type == record_type {
                return Ok(Some(s));
            }
        }
        Ok(None)
    }
}
