//! Lazy iteration over records, and their typed, zero-copy decoding.

use serde::Deserialize;

use crate::block::{Block, BlockRecords};
use crate::read::walk::{Structure, Summary, Walk};
use crate::read::{Error, ErrorKind};

/// One record: its type, its index in the container, and its payload, which
/// borrows from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Record<'a> {
    /// The record type, as declared by a schema frame.
    pub record_type: u8,
    /// The record's index among all records of the container, from 0.
    pub index: u64,
    /// Byte offset of the payload in the input.
    pub offset: u64,
    /// The postcard encoding of the record's value.
    pub payload: &'a [u8],
}

impl<'a> Record<'a> {
    /// Decodes the payload as a `T`, borrowing `&str` and `&[u8]` fields from
    /// the input. The whole payload must be consumed. A payload error is
    /// reported at the file offset of spec §10.4, as
    /// [`dynamic::Error::in_record`](crate::dynamic::Error::in_record) reports it.
    ///
    /// ```
    /// # use koffer::{write::Writer, read::Reader};
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    /// struct Note<'a> { at: u32, text: &'a str }
    ///
    /// let mut buf = [0u8; 64];
    /// let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    /// let notes = w.declare(0, "note", 1, &[]).unwrap();
    /// w.write_serialized(notes, &Note { at: 7, text: "hi" }).unwrap();
    /// let bytes = w.finish().unwrap();
    ///
    /// let reader = Reader::new(&bytes).unwrap();
    /// let rec = reader.records().next().unwrap().unwrap();
    /// let note: Note = rec.decode().unwrap();
    /// assert_eq!(note, Note { at: 7, text: "hi" });
    /// ```
    #[inline]
    pub fn decode<T: Deserialize<'a>>(&self) -> Result<T, Error> {
        let mut de = postcard::Deserializer::from_bytes(self.payload);
        match T::deserialize(&mut de) {
            Ok(value) => match de.finalize() {
                Ok([]) => Ok(value),
                r => self.finish_decode(r.map(|rest| ((), rest))).map(|()| value),
            },
            Err(e) => self.finish_decode::<T>(Err(e)),
        }
    }

    /// Turns postcard's outcome (the value and the bytes left) into the
    /// reader's: the whole payload must be consumed.
    #[cold]
    pub(crate) fn finish_decode<T>(&self, r: postcard::Result<(T, &'a [u8])>) -> Result<T, Error> {
        match r {
            Ok((value, [])) => Ok(value),
            Ok((_, rest)) => Err(Error {
                offset: self.offset + (self.payload.len() - rest.len()) as u64,
                kind: ErrorKind::PayloadTrailingBytes,
            }),
            Err(postcard::Error::DeserializeUnexpectedEnd) => Err(Error {
                offset: self.offset + self.payload.len() as u64,
                kind: ErrorKind::PayloadTruncated,
            }),
            Err(_) => Err(Error {
                offset: self.offset,
                kind: ErrorKind::PayloadInvalid,
            }),
        }
    }
}

/// Iterator over the records of a container, block by block.
///
/// A block's checksum and lengths are verified before any of its records is
/// handed out. The iterator yields at most one error, then ends; when it ends
/// without error, [`Records::finish`] tells whether the container is complete.
///
/// It applies the *structure checks* of spec §10.1 — everything that decides
/// which records the container holds and whether it is complete — and not
/// the *description checks* (metadata entries, schema names and
/// definitions), which a reader applies where it uses a description:
/// [`Reader::verify`](crate::read::Reader::verify), [`Reader::metadata`](crate::read::Reader::metadata)
/// and [`Reader::schemas`](crate::read::Reader::schemas) apply them.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    walk: Walk<'a>,
    block: Option<CurrentBlock<'a>>,
}

#[derive(Debug, Clone)]
struct CurrentBlock<'a> {
    records: BlockRecords<'a>,
    record_type: u8,
    next_index: u64,
    next_offset: u64,
}

impl<'a> CurrentBlock<'a> {
    #[inline(always)]
    fn next_record(&mut self) -> Option<Record<'a>> {
        let payload = self.records.next()?;
        let rec = Record {
            record_type: self.record_type,
            index: self.next_index,
            offset: self.next_offset,
            payload,
        };
        self.next_index += 1;
        self.next_offset += payload.len() as u64;
        Some(rec)
    }
}

impl<'a> Records<'a> {
    pub(crate) fn new(walk: Walk<'a>) -> Self {
        Records { walk, block: None }
    }

    /// Reads the rest of the container (without handing out its records) and
    /// reports the outcome: the first error, or the totals and whether the
    /// container is complete. Descriptions stay unchecked, as in
    /// [`Records`]; [`Reader::verify`](crate::read::Reader::verify) checks them too.
    ///
    /// By reference, so that the iterator is not moved: on a Cortex-M, moving
    /// it copies 200 bytes and links `memcpy`. Afterwards the iterator yields
    /// nothing, and `finish` reports the same outcome again.
    ///
    /// ```
    /// # use koffer::{read::Reader, write::Writer};
    /// let mut buf = [0u8; 64];
    /// let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    /// let h = w.declare(0, "n", 1, &[]).unwrap();
    /// for n in 0..5u8 {
    ///     w.write_serialized(h, &n).unwrap();
    /// }
    /// let bytes = w.finish().unwrap();
    ///
    /// let reader = Reader::new(&bytes).unwrap();
    /// let mut records = reader.records();
    /// assert_eq!(records.next().unwrap().unwrap().payload, [0]);
    /// let summary = records.finish().unwrap(); // the other 4 records are skipped
    /// assert!(summary.is_complete() && summary.counted.records == 5);
    /// assert!(records.next().is_none());
    /// assert_eq!(records.finish(), Ok(summary));
    /// ```
    pub fn finish(&mut self) -> Result<Summary, Error> {
        self.block = None;
        self.walk.finish()
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    /// The records of the current block come from here, inlined into the
    /// caller's loop; the frame walk behind it (a new block, checksums,
    /// errors) is out of line in `next_block`.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(b) = &mut self.block {
            if let Some(rec) = b.next_record() {
                return Some(Ok(rec));
            }
        }
        self.next_block()
    }
}

impl<'a> Records<'a> {
    /// The next record of `record_type`: blocks of other types pass the
    /// structure checks and are passed over whole, their records not visited.
    #[inline]
    pub(crate) fn next_of(&mut self, record_type: u8) -> Option<Result<Record<'a>, Error>> {
        loop {
            if let Some(b) = &mut self.block {
                if b.record_type == record_type {
                    if let Some(rec) = b.next_record() {
                        return Some(Ok(rec));
                    }
                }
            }
            match self.next_block()? {
                Ok(rec) if rec.record_type == record_type => return Some(Ok(rec)),
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<'a> Records<'a> {
    /// Walks to the next block with records and hands out its first one.
    #[inline(never)]
    fn next_block(&mut self) -> Option<Result<Record<'a>, Error>> {
        self.block = None;
        match next_record_block(&mut self.walk)? {
            Ok(block) => {
                let mut b = CurrentBlock {
                    records: block.block.records(),
                    record_type: block.record_type(),
                    next_index: block.first_index,
                    next_offset: block.payloads_offset,
                };
                // A block holds at least one record (`Block::parse`).
                let first = b.next_record()?;
                self.block = Some(b);
                Some(Ok(first))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// The walk's next block of records, past the frames that hold none.
fn next_record_block<'a>(walk: &mut Walk<'a>) -> Option<Result<RecordBlock<'a>, Error>> {
    loop {
        match walk.step(|_| Ok(()))? {
            Ok((step, ())) => {
                if let Structure::Block(block) = step.structure {
                    return Some(Ok(RecordBlock {
                        block,
                        // The walk has counted this block's records already.
                        first_index: walk.counted().records - u64::from(block.header().count),
                        payloads_offset: (step.body_offset + block.payloads_start()) as u64,
                    }));
                }
            }
            Err(e) => return Some(Err(e)),
        }
    }
}

/// One block of records: records of one type, its checksum and lengths
/// verified (spec `format.md` §7). [`Reader::blocks`](crate::read::Reader::blocks)
/// hands them out, and [`Decoder::decode_each`](crate::read::Decoder::decode_each)
/// decodes a whole block of its type in one tight loop.
///
/// ```
/// # use koffer::{write::Writer, read::Reader};
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
/// let n = w.declare(2, "n", 1, &[]).unwrap();
/// for v in [5u8, 6, 7] {
///     w.write_serialized(n, &v).unwrap();
/// }
/// let bytes = w.finish().unwrap();
///
/// let reader = Reader::new(&bytes).unwrap();
/// let block = reader.blocks().next().unwrap().unwrap();
/// assert_eq!((block.record_type(), block.len(), block.first_index()), (2, 3, 0));
/// let third = block.records().nth(2).unwrap();
/// assert_eq!((third.index, third.payload), (2, &[7u8][..]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordBlock<'a> {
    block: Block<'a>,
    first_index: u64,
    payloads_offset: u64,
}

impl<'a> RecordBlock<'a> {
    /// The record type of every record in the block.
    #[inline]
    pub fn record_type(&self) -> u8 {
        self.block.header().record_type
    }

    /// Number of records in the block (at least 1).
    #[inline]
    #[allow(clippy::len_without_is_empty)] // a block is never empty
    pub fn len(&self) -> usize {
        self.block.header().count as usize
    }

    /// The index of the block's first record among all records of the
    /// container, from 0.
    pub fn first_index(&self) -> u64 {
        self.first_index
    }

    /// The block's records, in order, as [`Reader::records`](crate::read::Reader::records)
    /// hands them out.
    pub fn records(&self) -> impl ExactSizeIterator<Item = Record<'a>> + 'a {
        let record_type = self.record_type();
        let (first_index, mut offset) = (self.first_index, self.payloads_offset);
        self.block.records().enumerate().map(move |(i, payload)| {
            let rec = Record {
                record_type,
                index: first_index + i as u64,
                offset,
                payload,
            };
            offset += payload.len() as u64;
            rec
        })
    }

    /// The block's payloads, in order (for the tight loop of
    /// [`Decoder::decode_each`](crate::read::Decoder::decode_each)).
    #[inline]
    pub(crate) fn payloads(&self) -> BlockRecords<'a> {
        self.block.records()
    }

    /// The record `payload` of the block, `left` records before its end:
    /// found again when a payload fails to decode, so that the tight loop
    /// keeps no index or offset.
    #[cold]
    #[inline(never)]
    pub(crate) fn record_before_end(&self, left: usize, payload: &'a [u8]) -> Record<'a> {
        let i = self.len() - 1 - left;
        let before: u64 = self.block.records().take(i).map(|p| p.len() as u64).sum();
        Record {
            record_type: self.record_type(),
            index: self.first_index + i as u64,
            offset: self.payloads_offset + before,
            payload,
        }
    }
}

/// Iterator over the blocks of records of a container, in order: what
/// [`Reader::blocks`](crate::read::Reader::blocks) returns.
///
/// The same walk as [`Records`] with the same checks (the structure checks of
/// spec §10.1): a block's checksum and lengths are verified before it is
/// handed out; the iterator yields at most one error, then ends, and
/// [`Blocks::finish`] tells whether the container is complete.
#[derive(Debug, Clone)]
pub struct Blocks<'a> {
    walk: Walk<'a>,
}

impl<'a> Blocks<'a> {
    pub(crate) fn new(walk: Walk<'a>) -> Self {
        Blocks { walk }
    }

    /// Reads the rest of the container and reports the outcome, as
    /// [`Records::finish`] does.
    ///
    /// ```
    /// # use koffer::{read::Reader, write::Writer};
    /// let mut buf = [0u8; 64];
    /// let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    /// let h = w.declare(0, "n", 1, &[]).unwrap();
    /// w.write_serialized(h, &1u8).unwrap();
    /// let bytes = w.finish().unwrap();
    ///
    /// let reader = Reader::new(&bytes).unwrap();
    /// let mut blocks = reader.blocks();
    /// for block in &mut blocks {
    ///     assert_eq!(block.unwrap().len(), 1);
    /// }
    /// assert!(blocks.finish().unwrap().is_complete());
    /// ```
    pub fn finish(&mut self) -> Result<Summary, Error> {
        self.walk.finish()
    }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Result<RecordBlock<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        next_record_block(&mut self.walk)
    }
}
