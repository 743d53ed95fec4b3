//! The streaming writer.

use embedded_io::Write;
use serde::Serialize;

use crate::block::{self, BlockHeader, TablePacker};
use crate::crc::Crc32c;
use crate::end::End;
use crate::frame::{kind, FrameHead};
use crate::header::{Header, HEADER_LEN};
use crate::meta::{self, Entry};
use crate::read::{ErrorKind, TypeSet};
use crate::schema::{RecordType, Schema};
use crate::write::resume::ResumePoint;
use crate::write::Error;
use crate::{limits, varint};

/// The least block buffer the writer accepts.
pub const MIN_BUFFER_LEN: usize = 16;

/// Bytes of block buffer each buffered record costs besides its payload (its
/// length): 1 in a buffer of at most 256 bytes, 2 in a larger one.
pub const fn buffer_cost_per_record(buffer_len: usize) -> usize {
    if buffer_len <= 256 {
        1
    } else {
        2
    }
}

/// Largest part of a buffer used for one block, so that a block frame body stays
/// within [`limits::MAX_FRAME_BODY`].
const MAX_BLOCK_BUFFER: usize = limits::MAX_FRAME_BODY as usize - BlockHeader::MAX_LEN;

/// Writes a container into a sink, one frame at a time, from one block buffer.
///
/// The writer never seeks and never rewrites a byte it has written. Records
/// gather in the caller's block buffer (payloads from its start, their lengths
/// from its end) and leave as one checksummed block when the buffer is full,
/// when the record type changes, or on [`Writer::flush`]. Metadata and schema
/// frames are streamed straight to the sink and need no buffer space.
///
/// ```
/// use koffer::write::{SliceSink, Writer};
/// use koffer::meta::{key, Entry, Value};
///
/// #[derive(serde::Serialize)]
/// struct Sample { t: u32, heart_rate: u8 }
///
/// let mut out = [0u8; 256];
/// let mut block = [0u8; 64];
/// let mut w = Writer::new(SliceSink::new(&mut out), &mut block).unwrap();
/// w.metadata(&[Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme"))]).unwrap();
/// w.declare(0, "sample", 1, &[]).unwrap();
/// for t in 0..10 {
///     w.write(0, &Sample { t, heart_rate: 60 + t as u8 }).unwrap();
/// }
/// let sink = w.finish().unwrap();
/// let reader = koffer::read::Reader::new(sink.written()).unwrap();
/// assert_eq!(reader.verify().unwrap().counted.records, 10);
/// ```
pub struct Writer<'b, W: Write> {
    sink: W,
    buf: &'b mut [u8],
    /// Usable part of `buf`.
    cap: usize,
    /// Payload bytes buffered at `buf[..used]`.
    used: usize,
    /// Records buffered.
    count: u32,
    /// Their record type.
    block_type: u8,
    /// Frames, blocks, records already written.
    counted: End,
    declared: TypeSet,
    position: u64,
    poisoned: bool,
    /// The 4 bytes before the next frame: the last checksum written.
    prev: [u8; 4],
    /// Bytes of buffer per record length: 1 or 2.
    slot: usize,
}

/// A frame being written: feeds the checksum as bytes go to the sink.
struct FrameOut<'s, W: Write> {
    sink: &'s mut W,
    crc: Crc32c,
    written: u64,
}

/// A frame written: its size and its checksum field.
struct Written {
    size: u64,
    checksum: [u8; 4],
}

impl<'s, W: Write> FrameOut<'s, W> {
    fn begin(sink: &'s mut W, prev: &[u8; 4], kind: u8, body_len: usize) -> Result<Self, W::Error> {
        let mut crc = Crc32c::new();
        crc.update(prev);
        let mut out = FrameOut {
            sink,
            crc,
            written: 0,
        };
        // Callers check body_len against MAX_FRAME_BODY, which fits u32.
        out.put(FrameHead::new(kind, body_len as u32).as_bytes())?;
        Ok(out)
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.crc.update(bytes);
        self.written += bytes.len() as u64;
        self.sink.write_all(bytes)
    }

    fn end(self) -> Result<Written, W::Error> {
        let checksum = self.crc.finish().to_le_bytes();
        self.sink.write_all(&checksum)?;
        Ok(Written {
            size: self.written + 4,
            checksum,
        })
    }
}

impl<'b, W: Write> Writer<'b, W> {
    /// Starts a container: writes the file header to `sink`; `buf` becomes the
    /// block buffer. A record must fit in `buf` with its length to spare
    /// ([`buffer_cost_per_record`]).
    pub fn new(mut sink: W, buf: &'b mut [u8]) -> Result<Self, Error<W::Error>> {
        Self::check_buffer(buf)?;
        let header = Header::CURRENT.to_bytes();
        sink.write_all(&header).map_err(Error::Sink)?;
        let prev = [header[14], header[15], header[16], header[17]];
        Ok(Self::with_state(
            sink,
            buf,
            End::default(),
            TypeSet::default(),
            HEADER_LEN as u64,
            prev,
        ))
    }

    /// Continues an incomplete container after a power cut or a crash.
    ///
    /// `point` comes from [`ResumePoint::scan`] over the bytes written before;
    /// `sink` must append right after the first [`ResumePoint::valid_len`]
    /// bytes (truncate a file to that length first). Records then continue
    /// where the last intact block left them.
    ///
    /// ```
    /// use koffer::write::{ResumePoint, SliceSink, Writer};
    /// let mut out = [0u8; 256];
    /// let mut buf = [0u8; 32];
    /// let mut w = Writer::new(SliceSink::new(&mut out), &mut buf).unwrap();
    /// w.declare(0, "n", 1, &[]).unwrap();
    /// w.write(0, &1u32).unwrap();
    /// w.flush().unwrap();
    /// w.write(0, &2u32).unwrap(); // buffered, lost in the "power cut"
    /// let written = w.position() as usize;
    /// drop(w);
    ///
    /// // After reboot: scan what is there, then append.
    /// let point = ResumePoint::scan(&out[..written]).unwrap();
    /// let sink = SliceSink::resume_at(&mut out, point.valid_len() as usize);
    /// let mut w = Writer::resume(sink, &mut buf, &point).unwrap();
    /// w.write(0, &3u32).unwrap();
    /// let n = w.finish().unwrap().len();
    ///
    /// let reader = koffer::read::Reader::new(&out[..n]).unwrap();
    /// let values: Vec<u32> = reader.records().map(|r| r.unwrap().decode().unwrap()).collect();
    /// assert_eq!(values, [1, 3]);
    /// assert!(reader.verify().unwrap().is_complete());
    /// ```
    pub fn resume(
        mut sink: W,
        buf: &'b mut [u8],
        point: &ResumePoint,
    ) -> Result<Self, Error<W::Error>> {
        Self::check_buffer(buf)?;
        if point.is_complete() {
            return Err(Error::AlreadyComplete);
        }
        let mut position = point.valid_len();
        let mut prev = point.last_checksum();
        if position == 0 {
            let header = Header::CURRENT.to_bytes();
            sink.write_all(&header).map_err(Error::Sink)?;
            position = HEADER_LEN as u64;
            prev = [header[14], header[15], header[16], header[17]];
        }
        Ok(Self::with_state(
            sink,
            buf,
            point.counted(),
            point.declared(),
            position,
            prev,
        ))
    }

    fn check_buffer(buf: &[u8]) -> Result<(), Error<W::Error>> {
        if buf.len() < MIN_BUFFER_LEN {
            return Err(Error::BufferTooSmall {
                len: buf.len(),
                min: MIN_BUFFER_LEN,
            });
        }
        Ok(())
    }

    fn with_state(
        sink: W,
        buf: &'b mut [u8],
        counted: End,
        declared: TypeSet,
        position: u64,
        prev: [u8; 4],
    ) -> Self {
        let cap = buf.len().min(MAX_BLOCK_BUFFER);
        Writer {
            prev,
            slot: buffer_cost_per_record(cap),
            sink,
            buf,
            cap,
            used: 0,
            count: 0,
            block_type: 0,
            counted,
            declared,
            position,
            poisoned: false,
        }
    }

    /// Bytes written to the sink so far (buffered records not included).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Frames, blocks and records written to the sink so far.
    pub fn counted(&self) -> End {
        self.counted
    }

    /// Records waiting in the block buffer.
    pub fn buffered_records(&self) -> u32 {
        self.count
    }

    /// Record types declared so far.
    pub fn declared(&self) -> TypeSet {
        self.declared
    }

    fn check(&self) -> Result<(), Error<W::Error>> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        Ok(())
    }

    fn sink_failed(&mut self, e: W::Error) -> Error<W::Error> {
        self.poisoned = true;
        Error::Sink(e)
    }

    /// Writes a metadata frame holding `entries` (after flushing buffered records).
    pub fn metadata(&mut self, entries: &[Entry<'_>]) -> Result<(), Error<W::Error>> {
        self.check()?;
        if entries.is_empty() {
            return Err(Error::Invalid(ErrorKind::BadCount { count: 0 }));
        }
        for e in entries {
            e.validate().map_err(Error::Invalid)?;
        }
        let body_len = meta::body_len(entries);
        if body_len > limits::MAX_FRAME_BODY as usize {
            return Err(Error::FrameTooLarge { len: body_len });
        }
        self.flush()?;
        let r = (|| {
            let mut out = FrameOut::begin(&mut self.sink, &self.prev, kind::METADATA, body_len)?;
            let mut tmp = [0u8; varint::MAX_LEN_U64];
            out.put(varint::encode_u64(entries.len() as u64, &mut tmp))?;
            for e in entries {
                e.encode(&mut |b: &[u8]| out.put(b))?;
            }
            out.end()
        })();
        self.frame_written(r)
    }

    /// Declares record type `record_type` with a schema frame (after flushing
    /// buffered records). `definition` is the field layout (spec `schema.md`),
    /// checked before anything is written; it may be empty (layout not described).
    pub fn declare(
        &mut self,
        record_type: u8,
        name: &str,
        version: u32,
        definition: &[u8],
    ) -> Result<(), Error<W::Error>> {
        let schema = Schema {
            record_type,
            name,
            version,
            definition,
        };
        schema
            .definition()
            .map_err(|e| Error::Invalid(ErrorKind::Definition(e.kind)))?;
        self.declare_checked(schema)
    }

    /// Writes a schema frame whose definition is known to be valid.
    fn declare_checked(&mut self, schema: Schema<'_>) -> Result<(), Error<W::Error>> {
        let record_type = schema.record_type;
        self.check()?;
        if self.declared.contains(record_type) {
            return Err(Error::AlreadyDeclared { record_type });
        }
        schema.validate().map_err(Error::Invalid)?;
        self.flush()?;
        let r = (|| {
            let mut out =
                FrameOut::begin(&mut self.sink, &self.prev, kind::SCHEMA, schema.body_len())?;
            schema.encode(&mut |b: &[u8]| out.put(b))?;
            out.end()
        })();
        self.frame_written(r)?;
        self.declared.insert(record_type);
        Ok(())
    }

    /// Declares `T`'s record type under identifier `record_type`.
    ///
    /// `T::DEFINITION` is trusted: built by [`definition!`](crate::definition)
    /// (as the derive does) it was checked when the firmware was compiled, so
    /// the device carries no definition checker (about 4 KB of flash). Use
    /// [`Writer::declare`] for definitions assembled at run time.
    pub fn declare_type<T: RecordType + ?Sized>(
        &mut self,
        record_type: u8,
    ) -> Result<(), Error<W::Error>> {
        self.declare_checked(Schema {
            record_type,
            name: T::NAME,
            version: T::VERSION,
            definition: T::DEFINITION,
        })
    }

    fn frame_written(&mut self, r: Result<Written, W::Error>) -> Result<(), Error<W::Error>> {
        match r {
            Ok(w) => {
                self.position += w.size;
                self.prev = w.checksum;
                self.counted.frames += 1;
                Ok(())
            }
            Err(e) => Err(self.sink_failed(e)),
        }
    }

    /// Buffers one record of `record_type`, encoded with postcard.
    ///
    /// A full buffer is written out as a block first. A record that does not
    /// fit an empty buffer is refused with [`Error::RecordTooLarge`]; the
    /// records buffered before it may have been written out as a block by
    /// then, and nothing already buffered or written is lost.
    #[inline]
    pub fn write<T: Serialize + ?Sized>(
        &mut self,
        record_type: u8,
        value: &T,
    ) -> Result<(), Error<W::Error>> {
        self.push(record_type, |dst| match postcard::to_slice(value, dst) {
            Ok(enc) => Ok(enc.len()),
            Err(postcard::Error::SerializeBufferFull) => Err(Full::Yes),
            Err(_) => Err(Full::No),
        })
    }

    /// Buffers one record whose payload is already encoded (e.g. when copying
    /// records from another container).
    pub fn write_payload(
        &mut self,
        record_type: u8,
        payload: &[u8],
    ) -> Result<(), Error<W::Error>> {
        self.push(record_type, |dst| {
            let d = dst.get_mut(..payload.len()).ok_or(Full::Yes)?;
            d.copy_from_slice(payload);
            Ok(payload.len())
        })
    }

    #[inline]
    fn push(
        &mut self,
        record_type: u8,
        mut encode: impl FnMut(&mut [u8]) -> Result<usize, Full>,
    ) -> Result<(), Error<W::Error>> {
        self.check()?;
        if !self.declared.contains(record_type) {
            return Err(Error::UndeclaredRecordType { record_type });
        }
        if self.count > 0
            && (self.block_type != record_type || self.count == limits::MAX_BLOCK_RECORDS)
        {
            self.flush()?;
        }
        let len = match self.try_encode(&mut encode) {
            Err(Full::Yes) if self.count > 0 => {
                self.flush()?;
                self.try_encode(&mut encode)
            }
            r => r,
        };
        let len = match len {
            Ok(len) => len,
            Err(Full::Yes) => {
                return Err(Error::RecordTooLarge {
                    capacity: (self.cap - self.slot).min(limits::MAX_RECORD_LEN as usize),
                })
            }
            Err(Full::No) => return Err(Error::Serialize),
        };
        let at = self.cap - self.slot * (self.count as usize + 1);
        // `try_encode` bounds len by the buffer (<= 255 when slots are one
        // byte) and by MAX_RECORD_LEN, which fits u16.
        let le = (len as u16).to_le_bytes();
        self.buf[at..at + self.slot].copy_from_slice(&le[..self.slot]);
        self.used += len;
        self.count += 1;
        self.block_type = record_type;
        Ok(())
    }

    /// Encodes into the free part of the buffer; returns the payload length.
    fn try_encode(
        &mut self,
        encode: &mut impl FnMut(&mut [u8]) -> Result<usize, Full>,
    ) -> Result<usize, Full> {
        let reserved = self.slot * (self.count as usize + 1);
        let Some(end) = self.cap.checked_sub(reserved).filter(|&e| e >= self.used) else {
            return Err(Full::Yes);
        };
        let max = (end - self.used).min(limits::MAX_RECORD_LEN as usize);
        let len = encode(&mut self.buf[self.used..self.used + max])?;
        Ok(len)
    }

    fn record_len(&self, i: usize) -> u32 {
        record_len(self.buf, self.cap, self.slot, i)
    }

    /// Writes the buffered records out as one block. Does nothing if none are buffered.
    pub fn flush(&mut self) -> Result<(), Error<W::Error>> {
        self.check()?;
        if self.count == 0 {
            return Ok(());
        }
        let count = self.count as usize;
        let (mut min, mut max) = (u32::MAX, 0);
        for i in 0..count {
            let len = self.record_len(i);
            min = min.min(len);
            max = max.max(len);
        }
        let header = BlockHeader {
            record_type: self.block_type,
            count: self.count,
            base_len: min,
            width: block::width_for(max - min),
        };
        let mut head = [0u8; BlockHeader::MAX_LEN];
        let head_len = header.encode(&mut head);
        let body_len = head_len + header.table_len() + self.used;
        let r = (|| {
            let mut out = FrameOut::begin(&mut self.sink, &self.prev, kind::BLOCK, body_len)?;
            out.put(&head[..head_len])?;
            let mut chunk = Chunk::new();
            let mut packer = TablePacker::new(header.width);
            for i in 0..count {
                let len = record_len(self.buf, self.cap, self.slot, i);
                packer.push(len - min, &mut |b: &[u8]| chunk.put(b, &mut out))?;
            }
            packer.finish(&mut |b: &[u8]| chunk.put(b, &mut out))?;
            chunk.drain(&mut out)?;
            out.put(&self.buf[..self.used])?;
            out.end()
        })();
        match r {
            Ok(w) => {
                self.position += w.size;
                self.prev = w.checksum;
                self.counted.frames += 1;
                self.counted.blocks += 1;
                self.counted.records += u64::from(self.count);
                self.used = 0;
                self.count = 0;
                Ok(())
            }
            Err(e) => Err(self.sink_failed(e)),
        }
    }

    /// Writes buffered records and the end frame, flushes the sink and
    /// returns it. The container is complete.
    pub fn finish(mut self) -> Result<W, Error<W::Error>> {
        self.flush()?;
        let mut body = [0u8; End::MAX_LEN];
        let n = self.counted.encode(&mut body);
        let r = (|| {
            let mut out = FrameOut::begin(&mut self.sink, &self.prev, kind::END, n)?;
            out.put(&body[..n])?;
            out.end()
        })();
        let written = r.map_err(|e| self.sink_failed(e))?;
        self.position += written.size;
        self.sink.flush().map_err(Error::Sink)?;
        Ok(self.sink)
    }
}

/// Length of buffered record `i`, stored in `slot` bytes counted back from `cap`.
fn record_len(buf: &[u8], cap: usize, slot: usize, i: usize) -> u32 {
    let at = cap - slot * (i + 1);
    let hi = if slot == 2 { buf[at + 1] } else { 0 };
    u32::from(u16::from_le_bytes([buf[at], hi]))
}

/// Why an encoding attempt failed.
enum Full {
    /// The buffer was too small.
    Yes,
    /// The value could not be encoded at all.
    No,
}

/// Gathers the delta table's bytes so the sink sees few, larger writes.
struct Chunk {
    buf: [u8; 32],
    len: usize,
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            buf: [0; 32],
            len: 0,
        }
    }

    fn put<W: Write>(&mut self, bytes: &[u8], out: &mut FrameOut<'_, W>) -> Result<(), W::Error> {
        if self.len + bytes.len() > self.buf.len() {
            self.drain(out)?;
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
        Ok(())
    }

    fn drain<W: Write>(&mut self, out: &mut FrameOut<'_, W>) -> Result<(), W::Error> {
        if self.len > 0 {
            out.put(&self.buf[..self.len])?;
            self.len = 0;
        }
        Ok(())
    }
}
