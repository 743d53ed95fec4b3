//! The streaming writer.

use embedded_io::Write;
use postcard::ser_flavors::Flavor;
use serde::Serialize;

use crate::block::{self, BlockHeader};
use crate::end::End;
use crate::error::ErrorKind;
use crate::frame::{kind, Chain};
use crate::header::{Header, HEADER_LEN};
use crate::meta::{self, Entry};
use crate::read::TypeSet;
use crate::schema::{RecordType, Schema, SCHEMA_PARTS_TMP_LEN};
use crate::write::handle::{RawHandle, RecordHandle};
use crate::write::resume::ResumePoint;
use crate::write::Error;
use crate::{limits, varint};

/// The file header the writer writes, checksum computed at compile time.
const HEADER: [u8; HEADER_LEN] = Header::CURRENT.to_bytes();

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
/// #[derive(serde::Serialize, koffer::Describe)]
/// #[koffer(record = "sample", version = 1)]
/// struct Sample { t: u32, heart_rate: u8 }
///
/// let mut out = [0u8; 256];
/// let mut block = [0u8; 64];
/// let mut w = Writer::new(SliceSink::new(&mut out), &mut block).unwrap();
/// w.metadata(&[Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme"))]).unwrap();
/// let samples = w.declare_type::<Sample>(0).unwrap();
/// for t in 0..10 {
///     w.write(samples, &Sample { t, heart_rate: 60 + t as u8 }).unwrap();
/// }
/// let sink = w.finish().unwrap();
/// let reader = koffer::read::Reader::new(sink.written()).unwrap();
/// assert_eq!(reader.verify().unwrap().counted.records, 10);
/// ```
pub struct Writer<'b, W: Write> {
    /// Where frames go, chained and counted; apart from the block buffer, so
    /// that a block's frame is written straight from the buffer's parts.
    out: Chain<W>,
    buf: &'b mut [u8],
    /// Usable part of `buf`.
    cap: usize,
    /// Payload bytes buffered at `buf[..used]`.
    used: usize,
    /// Records buffered.
    count: u32,
    /// Their record type.
    block_type: u8,
    /// Shortest and longest of their lengths, kept as they come on a device
    /// (less code); a host finds them in `flush`, one fast pass over the
    /// lengths, instead of two updates a record.
    #[cfg(not(target_pointer_width = "64"))]
    min_len: u32,
    #[cfg(not(target_pointer_width = "64"))]
    max_len: u32,
    declared: TypeSet,
    /// Bytes of buffer per record length: 1 or 2.
    slot: usize,
    /// The record type whose next record needs no check but the room left
    /// (`push`'s fast path): the type of the block being filled while the
    /// sink is not poisoned, the block may take another record by count, its
    /// length slot lies in the buffer, and a record cannot exceed
    /// [`limits::MAX_RECORD_LEN`] by the buffer's size; else [`NOT_ARMED`].
    /// A host only: on a device one checked path is less code.
    #[cfg(target_pointer_width = "64")]
    armed: u16,
    /// Where the next record's length goes, `cap − slot × (count + 1)`,
    /// while `armed` names a record type.
    #[cfg(target_pointer_width = "64")]
    end: usize,
}

/// No record type: every record takes `push`'s checked path.
#[cfg(target_pointer_width = "64")]
const NOT_ARMED: u16 = 0x100;

// `push`'s fast path counts on it (no count test while armed).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(limits::MAX_RECORD_LEN <= limits::MAX_BLOCK_RECORDS);

impl<'b, W: Write> Writer<'b, W> {
    /// Starts a container: writes the file header to `sink`; `buf` becomes the
    /// block buffer. A record must fit in `buf` with its length to spare
    /// ([`buffer_cost_per_record`]).
    pub fn new(sink: W, buf: &'b mut [u8]) -> Result<Self, Error<W::Error>> {
        Self::check_buffer(buf)?;
        let out = Chain::start(sink, &HEADER)?;
        Ok(Self::with_chain(out, buf, TypeSet::default()))
    }

    /// Starts a container with a header other than [`Header::CURRENT`]: a later
    /// minor version, or the optional feature bits of an extension of the
    /// format (`spec/format.md` §3.1, §3.2). The header's major version must be
    /// [`MAJOR`](crate::header::MAJOR) and it may set no required feature bit
    /// this crate does not know, else [`Error::Invalid`] with
    /// [`ErrorKind::UnsupportedVersion`] or [`ErrorKind::UnknownRequiredFeatures`].
    ///
    /// ```
    /// use koffer::header::Header;
    /// use koffer::write::{SliceSink, Writer};
    /// let mut out = [0u8; 64];
    /// let mut buf = [0u8; 32];
    /// let header = Header { minor: 1, ..Header::CURRENT };
    /// let w = Writer::with_header(SliceSink::new(&mut out), &mut buf, header).unwrap();
    /// let n = w.finish().unwrap().len();
    /// assert_eq!(koffer::read::Reader::new(&out[..n]).unwrap().header().minor, 1);
    /// ```
    pub fn with_header(
        sink: W,
        buf: &'b mut [u8],
        header: Header,
    ) -> Result<Self, Error<W::Error>> {
        Self::check_buffer(buf)?;
        if header.major != crate::header::MAJOR {
            return Err(Error::Invalid(ErrorKind::UnsupportedVersion {
                major: header.major,
                minor: header.minor,
            }));
        }
        let unknown = header.required_features & !crate::header::KNOWN_REQUIRED_FEATURES;
        if unknown != 0 {
            return Err(Error::Invalid(ErrorKind::UnknownRequiredFeatures {
                bits: unknown,
            }));
        }
        let out = Chain::start(sink, &header.to_bytes())?;
        Ok(Self::with_chain(out, buf, TypeSet::default()))
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
    /// let n = w.declare(0, "n", 1, &[]).unwrap();
    /// w.write_serialized(n, &1u32).unwrap();
    /// w.flush().unwrap();
    /// w.write_serialized(n, &2u32).unwrap(); // buffered, lost in the "power cut"
    /// let written = w.position() as usize;
    /// drop(w);
    ///
    /// // After reboot: scan what is there, then append.
    /// let point = ResumePoint::scan(&out[..written]).unwrap();
    /// let sink = SliceSink::resume_at(&mut out, point.valid_len() as usize);
    /// let mut w = Writer::resume(sink, &mut buf, &point).unwrap();
    /// let n = w.declared_raw(0).unwrap();
    /// w.write_serialized(n, &3u32).unwrap();
    /// let n = w.finish().unwrap().len();
    ///
    /// let reader = koffer::read::Reader::new(&out[..n]).unwrap();
    /// let values: Vec<u32> = reader.records().map(|r| r.unwrap().decode().unwrap()).collect();
    /// assert_eq!(values, [1, 3]);
    /// assert!(reader.verify().unwrap().is_complete());
    /// ```
    pub fn resume(
        sink: W,
        buf: &'b mut [u8],
        point: &ResumePoint,
    ) -> Result<Self, Error<W::Error>> {
        Self::check_buffer(buf)?;
        if point.is_complete() {
            return Err(Error::AlreadyComplete);
        }
        let out = if point.valid_len() == 0 {
            Chain::start(sink, &HEADER)?
        } else {
            Chain::resume(
                sink,
                point.valid_len(),
                point.last_checksum(),
                point.counted(),
            )
        };
        Ok(Self::with_chain(out, buf, point.declared()))
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

    fn with_chain(out: Chain<W>, buf: &'b mut [u8], declared: TypeSet) -> Self {
        let cap = buf.len().min(MAX_BLOCK_BUFFER);
        Writer {
            out,
            slot: buffer_cost_per_record(cap),
            buf,
            cap,
            used: 0,
            count: 0,
            block_type: 0,
            #[cfg(not(target_pointer_width = "64"))]
            min_len: u32::MAX,
            #[cfg(not(target_pointer_width = "64"))]
            max_len: 0,
            declared,
            #[cfg(target_pointer_width = "64")]
            armed: NOT_ARMED,
            #[cfg(target_pointer_width = "64")]
            end: 0,
        }
    }

    /// Bytes written to the sink so far (buffered records not included).
    pub fn position(&self) -> u64 {
        self.out.position()
    }

    /// Frames, blocks and records written to the sink so far.
    pub fn counted(&self) -> End {
        self.out.counted()
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
        if self.out.is_poisoned() {
            return Err(Error::Poisoned);
        }
        Ok(())
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
        // Streamed entry by entry: metadata needs no buffer.
        self.out.stream(kind::METADATA, body_len, |out| {
            let mut tmp = [0u8; varint::MAX_LEN_U64];
            out.put(varint::encode_u64(entries.len() as u64, &mut tmp))?;
            for e in entries {
                e.encode(&mut |b: &[u8]| out.put(b))?;
            }
            Ok(())
        })
    }

    /// Writes a metadata frame whose body was checked and encoded at compile
    /// time by [`metadata!`](crate::metadata!) (after flushing buffered
    /// records): the same bytes as [`Writer::metadata`] writes for the same
    /// entries, without its run-time encoder and checks, so firmware whose
    /// metadata is constant (producer, firmware, time base) links neither.
    ///
    /// ```
    /// use koffer::meta::{key, time_base, Entry, Value};
    /// use koffer::write::Writer;
    /// let mut buf = [0u8; 64];
    /// let mut w = Writer::new(Vec::new(), &mut buf)?;
    /// w.metadata_encoded(koffer::metadata![
    ///     Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
    ///     Entry::new(key::TIME_BASE, Value::Str(time_base::BOOT)),
    /// ])?;
    /// let bytes = w.finish()?;
    ///
    /// let mut same = Writer::new(Vec::new(), &mut buf)?;
    /// same.metadata(&[
    ///     Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
    ///     Entry::new(key::TIME_BASE, Value::Str(time_base::BOOT)),
    /// ])?;
    /// assert_eq!(bytes, same.finish()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metadata_encoded<const N: usize>(
        &mut self,
        body: &meta::Encoded<N>,
    ) -> Result<(), Error<W::Error>> {
        self.metadata_body(body.as_bytes())
    }

    /// [`Writer::metadata_encoded`] without the length parameter: one copy
    /// of the code whatever the body's length.
    fn metadata_body(&mut self, body: &[u8]) -> Result<(), Error<W::Error>> {
        self.check()?;
        self.flush()?;
        self.out.write_frame(kind::METADATA, &[body])
    }

    /// Declares record type `record_type` at run time, from its parts as
    /// bytes, with a schema frame (after flushing buffered records).
    ///
    /// For record types with no Rust type behind them (a container copied or
    /// converted, a schema built at run time); firmware declares its types
    /// with [`Writer::declare_type`]. `definition` is the field layout (spec
    /// `schema.md`), checked before anything is written; it may be empty
    /// (layout not described). The returned [`RawHandle`] writes records with
    /// [`Writer::write_payload`] or [`Writer::write_serialized`].
    ///
    /// ```
    /// use koffer::write::Writer;
    /// let mut buf = [0u8; 64];
    /// let mut w = Writer::new(Vec::new(), &mut buf)?;
    /// // A struct `P { x: u8 }` (spec schema.md §4), as another container holds it.
    /// let p = w.declare(5, "p", 1, b"\x1A\x01P\x01\x01x\x00\x02")?;
    /// w.write_payload(p, &[7])?;
    /// let bytes = w.finish()?;
    /// let reader = koffer::read::Reader::new(&bytes)?;
    /// assert_eq!(reader.records().next().unwrap()?.payload, [7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn declare(
        &mut self,
        record_type: u8,
        name: &str,
        version: u32,
        definition: &[u8],
    ) -> Result<RawHandle, Error<W::Error>> {
        let schema = Schema {
            record_type,
            name,
            version,
            definition,
        };
        schema
            .definition()
            .map_err(|e| Error::Invalid(ErrorKind::Definition(e.kind)))?;
        self.declare_checked(schema)?;
        Ok(RawHandle::new(record_type))
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
        let mut tmp = [0u8; SCHEMA_PARTS_TMP_LEN];
        self.out
            .write_frame(kind::SCHEMA, &schema.parts(&mut tmp))?;
        self.declared.insert(record_type);
        Ok(())
    }

    /// Declares `T`'s record type under identifier `record_type` and returns
    /// the handle [`Writer::write`] takes, which writes `T` values only.
    ///
    /// `T::DEFINITION` is trusted: built by [`definition!`](crate::definition)
    /// (as the derive does) it was checked when the firmware was compiled, so
    /// the device carries no definition checker (about 4 KB of flash). Use
    /// [`Writer::declare`] for definitions assembled at run time.
    ///
    /// ```
    /// #[derive(serde::Serialize, koffer::Describe)]
    /// #[koffer(record = "temp", version = 2)]
    /// struct Temp { centi_c: i16 }
    ///
    /// let mut buf = [0u8; 64];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// let temps = w.declare_type::<Temp>(1)?;
    /// w.write(temps, &Temp { centi_c: 2150 })?;
    /// // Declaring the identifier again is refused, and writes nothing.
    /// assert!(matches!(
    ///     w.declare_type::<Temp>(1),
    ///     Err(koffer::write::Error::AlreadyDeclared { record_type: 1 })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn declare_type<T: RecordType + ?Sized>(
        &mut self,
        record_type: u8,
    ) -> Result<RecordHandle<T>, Error<W::Error>> {
        self.declare_checked(Schema {
            record_type,
            name: T::NAME,
            version: T::VERSION,
            definition: T::DEFINITION,
        })?;
        Ok(RecordHandle::new(record_type))
    }

    /// The handle for `T` of record type `record_type`, declared before:
    /// after [`Writer::resume`], the schema frames are already in the
    /// container. Refused with [`Error::UndeclaredRecordType`] if no schema
    /// frame declares `record_type`; that it declares `T` is the caller's word
    /// (a resumed writer keeps identifiers, not definitions): nothing compares
    /// `T`'s name, version or definition with the schema frame. If the
    /// container declared another type under `record_type`, the records
    /// written through the handle do not follow their schema (see
    /// [`RecordHandle`], *What is checked*). On a host, compare `T::NAME`,
    /// `T::VERSION` and `T::DEFINITION` with the schema a
    /// [`Reader`](crate::read::Reader) finds for `record_type` before
    /// resuming.
    ///
    /// ```
    /// use koffer::write::{ResumePoint, SliceSink, Writer};
    /// let mut out = [0u8; 256];
    /// let mut buf = [0u8; 32];
    /// #[derive(serde::Serialize, koffer::Describe)]
    /// #[koffer(record = "count", version = 1)]
    /// struct Count(u32);
    ///
    /// let mut w = Writer::new(SliceSink::new(&mut out), &mut buf)?;
    /// let n = w.declare_type::<Count>(0)?;
    /// w.write(n, &Count(1))?;
    /// w.flush()?;
    /// let written = w.position() as usize;
    /// drop(w); // power cut
    ///
    /// let point = ResumePoint::scan(&out[..written])?;
    /// let sink = SliceSink::resume_at(&mut out, point.valid_len() as usize);
    /// let mut w = Writer::resume(sink, &mut buf, &point)?;
    /// let n = w.declared_type::<Count>(0)?;
    /// w.write(n, &Count(2))?;
    /// assert!(matches!(
    ///     w.declared_type::<Count>(1),
    ///     Err(koffer::write::Error::UndeclaredRecordType { record_type: 1 })
    /// ));
    /// let len = w.finish()?.len();
    /// let reader = koffer::read::Reader::new(&out[..len])?;
    /// assert_eq!(reader.verify()?.counted.records, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn declared_type<T: RecordType + ?Sized>(
        &self,
        record_type: u8,
    ) -> Result<RecordHandle<T>, Error<W::Error>> {
        self.check_declared(record_type)?;
        Ok(RecordHandle::new(record_type))
    }

    /// The [`RawHandle`] of record type `record_type`, declared before (see
    /// [`Writer::declared_type`]).
    ///
    /// ```
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// w.declare(4, "hr", 1, &[])?;
    /// let hr = w.declared_raw(4)?;
    /// w.write_payload(hr, &[61])?;
    /// assert!(w.declared_raw(5).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn declared_raw(&self, record_type: u8) -> Result<RawHandle, Error<W::Error>> {
        self.check_declared(record_type)?;
        Ok(RawHandle::new(record_type))
    }

    fn check_declared(&self, record_type: u8) -> Result<(), Error<W::Error>> {
        if !self.declared.contains(record_type) {
            return Err(Error::UndeclaredRecordType { record_type });
        }
        Ok(())
    }

    /// Buffers one record of `handle`'s type, encoded with postcard.
    ///
    /// Checked: that this writer has a schema frame for the handle's
    /// identifier ([`Error::UndeclaredRecordType`]). Not checked: that the
    /// schema is `T`'s, for a handle made by another writer, or by
    /// [`Writer::declared_type`] after a resume; the writer keeps no
    /// definitions (see [`RecordHandle`], *What is checked*). Use a handle
    /// with the writer that declared it.
    ///
    /// A full buffer is written out as a block first. A record that does not
    /// fit an empty buffer is refused with [`Error::RecordTooLarge`]; the
    /// records buffered before it may have been written out as a block by
    /// then, and nothing already buffered or written is lost.
    ///
    /// ```
    /// #[derive(serde::Serialize, koffer::Describe)]
    /// #[koffer(record = "steps", version = 1)]
    /// struct Steps(u16);
    /// #[derive(serde::Serialize, koffer::Describe)]
    /// #[koffer(record = "blob", version = 1)]
    /// struct Blob([u8; 32]);
    ///
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// let steps = w.declare_type::<Steps>(0)?;
    /// w.write(steps, &Steps(500))?;
    /// // w.write(steps, &500u16); // does not compile: the handle takes Steps only
    /// let blobs = w.declare_type::<Blob>(1)?;
    /// assert!(matches!(
    ///     w.write(blobs, &Blob([0; 32])), // 32 bytes and a length: over 32
    ///     Err(koffer::write::Error::RecordTooLarge { .. })
    /// ));
    /// let bytes = w.finish()?;
    /// assert_eq!(koffer::read::Reader::new(&bytes)?.verify()?.counted.records, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn write<T: Serialize + ?Sized>(
        &mut self,
        handle: RecordHandle<T>,
        value: &T,
    ) -> Result<(), Error<W::Error>> {
        self.push_serialized(handle.record_type(), value)
    }

    /// Buffers one record of a type declared at run time, encoded with
    /// postcard from any `Serialize` value. Nothing checks that the value
    /// matches the declared definition: firmware writes through
    /// [`Writer::write`] and a typed handle instead.
    ///
    /// ```
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// let pair = w.declare(0, "pair", 1, &[])?;
    /// w.write_serialized(pair, &(1u8, 2u16))?;
    /// let bytes = w.finish()?;
    /// let reader = koffer::read::Reader::new(&bytes)?;
    /// let (a, b): (u8, u16) = reader.records().next().unwrap()?.decode()?;
    /// assert_eq!((a, b), (1, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_serialized<T: Serialize + ?Sized>(
        &mut self,
        handle: RawHandle,
        value: &T,
    ) -> Result<(), Error<W::Error>> {
        self.push_serialized(handle.record_type(), value)
    }

    #[inline]
    fn push_serialized<T: Serialize + ?Sized>(
        &mut self,
        record_type: u8,
        value: &T,
    ) -> Result<(), Error<W::Error>> {
        // `postcard::to_slice` spelled out, so that it inlines here.
        self.push(record_type, |dst| {
            let mut ser = postcard::Serializer {
                output: postcard::ser_flavors::Slice::new(dst),
            };
            let r = value
                .serialize(&mut ser)
                .and_then(|()| ser.output.finalize());
            match r {
                Ok(enc) => Ok(enc.len()),
                Err(postcard::Error::SerializeBufferFull) => Err(Full::Yes),
                Err(_) => Err(Full::No),
            }
        })
    }

    /// Buffers one record whose payload is already encoded (e.g. when copying
    /// records from another container).
    ///
    /// ```
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// let raw = w.declare(0, "bytes", 1, &[])?;
    /// w.write_payload(raw, &[1, 2, 3])?;
    /// let bytes = w.finish()?;
    /// let reader = koffer::read::Reader::new(&bytes)?;
    /// assert_eq!(reader.records().next().unwrap()?.payload, [1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_payload(
        &mut self,
        handle: RawHandle,
        payload: &[u8],
    ) -> Result<(), Error<W::Error>> {
        self.push(handle.record_type(), |dst| {
            let d = dst.get_mut(..payload.len()).ok_or(Full::Yes)?;
            d.copy_from_slice(payload);
            Ok(payload.len())
        })
    }

    /// Buffers one record, `encode` writing its payload into the slice it is
    /// given and returning its length (or `Full::Yes` if the slice is too short).
    ///
    /// The usual case, another record of the block being filled, is one
    /// comparison with `armed` (poisoned sink, record type, count and slot
    /// room were checked when the writer armed itself), the encoding into the
    /// free part of the buffer, and the length slot. Everything else takes
    /// the out-of-line `push_checked`. On a device (not 64-bit) every
    /// record takes `push_checked`, inlined: less code.
    #[inline]
    fn push(
        &mut self,
        record_type: u8,
        encode: impl FnMut(&mut [u8]) -> Result<usize, Full>,
    ) -> Result<(), Error<W::Error>> {
        #[cfg(target_pointer_width = "64")]
        if self.armed == u16::from(record_type) {
            return self.push_armed(record_type, encode);
        }
        self.push_checked(record_type, false, encode)
    }

    /// `push` for a record of the block being filled, the writer armed.
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    fn push_armed(
        &mut self,
        record_type: u8,
        mut encode: impl FnMut(&mut [u8]) -> Result<usize, Full>,
    ) -> Result<(), Error<W::Error>> {
        let at = self.end;
        // `None` when the payloads reached the length slots: full.
        if let Some(dst) = self.buf.get_mut(self.used..at) {
            match encode(dst) {
                // Armed only while `cap` ≤ MAX_RECORD_LEN: `len` fits a slot.
                Ok(len) => {
                    // Little-endian, without a branch on the slot's size:
                    // the high byte first, so that with 1-byte slots (where
                    // it lands at `at` too, and is 0) the low byte replaces it.
                    if let Some(hi) = self.buf.get_mut(at + self.slot - 1) {
                        *hi = (len >> 8) as u8;
                    }
                    if let Some(lo) = self.buf.get_mut(at) {
                        *lo = len as u8;
                    }
                    self.used += len;
                    self.count += 1;
                    // No test of the count against MAX_BLOCK_RECORDS: armed,
                    // `cap` ≤ MAX_RECORD_LEN = MAX_BLOCK_RECORDS, so while the
                    // next slot fits (`slot × (count + 1)` ≤ `cap`) the count
                    // is below the limit.
                    match at.checked_sub(self.slot) {
                        Some(end) => self.end = end,
                        None => self.armed = NOT_ARMED,
                    }
                    return Ok(());
                }
                Err(Full::No) => return Err(Error::Serialize),
                Err(Full::Yes) => {}
            }
        }
        self.push_checked(record_type, true, encode)
    }

    /// `push` with every check: the first record of a block, a record of
    /// another type, a full buffer (`full`: the fast path found the record
    /// does not fit the buffer's free part), a poisoned sink, a buffer over
    /// [`limits::MAX_RECORD_LEN`]. Arms the writer for the next record.
    #[cfg_attr(target_pointer_width = "64", cold, inline(never))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn push_checked(
        &mut self,
        record_type: u8,
        full: bool,
        mut encode: impl FnMut(&mut [u8]) -> Result<usize, Full>,
    ) -> Result<(), Error<W::Error>> {
        let len = if full {
            // Armed: the sink is not poisoned and the block holds records
            // of this type, so this is what the branch below does after its
            // first attempt.
            self.flush()?;
            self.try_encode(&mut encode)
        } else {
            self.check()?;
            if self.count == 0
                || self.block_type != record_type
                || self.count == limits::MAX_BLOCK_RECORDS
            {
                self.start_block(record_type)?;
            }
            match self.try_encode(&mut encode) {
                Err(Full::Yes) if self.count > 0 => {
                    self.flush()?;
                    self.try_encode(&mut encode)
                }
                r => r,
            }
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
        // Little-endian, byte by byte: no copy routine for one or two bytes.
        self.buf[at] = len as u8;
        if self.slot == 2 {
            self.buf[at + 1] = (len >> 8) as u8;
        }
        #[cfg(not(target_pointer_width = "64"))]
        {
            self.min_len = self.min_len.min(len as u32);
            self.max_len = self.max_len.max(len as u32);
        }
        self.used += len;
        self.count += 1;
        self.arm();
        Ok(())
    }

    /// After a record was buffered by `push_checked`: lets the next record
    /// of the block take `push`'s fast path if nothing but the room left
    /// needs checking for it.
    #[cfg(target_pointer_width = "64")]
    fn arm(&mut self) {
        self.armed = NOT_ARMED;
        let next_slot = self.slot * (self.count as usize + 1);
        if let Some(end) = self.cap.checked_sub(next_slot) {
            if !self.out.is_poisoned()
                && self.count < limits::MAX_BLOCK_RECORDS
                && self.cap <= limits::MAX_RECORD_LEN as usize
            {
                self.end = end;
                self.armed = u16::from(self.block_type);
            }
        }
    }

    #[cfg(not(target_pointer_width = "64"))]
    fn arm(&mut self) {}

    /// The next record takes `push`'s checked path.
    #[inline(always)]
    fn disarm(&mut self) {
        #[cfg(target_pointer_width = "64")]
        {
            self.armed = NOT_ARMED;
        }
    }

    /// Before the first record of a block: the record type must be
    /// declared, and the records of another type (or a full count) leave as
    /// a block first.
    fn start_block(&mut self, record_type: u8) -> Result<(), Error<W::Error>> {
        self.check_declared(record_type)?;
        if self.count > 0 {
            self.flush()?;
        }
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

    /// Writes the buffered records out as one block. Does nothing if none are buffered.
    pub fn flush(&mut self) -> Result<(), Error<W::Error>> {
        // The block leaves (or the sink is poisoned): the next record takes
        // the checked path.
        self.disarm();
        self.check()?;
        if self.count == 0 {
            return Ok(());
        }
        // The lengths' slots, last record first (see `push`).
        let start = self.cap - self.slot * self.count as usize;
        #[cfg(target_pointer_width = "64")]
        let (min_len, max_len) = length_range(&self.buf[start..self.cap], self.slot);
        #[cfg(not(target_pointer_width = "64"))]
        let (min_len, max_len) = (self.min_len, self.max_len);
        let header = BlockHeader {
            record_type: self.block_type,
            count: self.count,
            base_len: min_len,
            width: block::width_for(max_len - min_len),
        };
        let mut head = [0u8; BlockHeader::MAX_LEN];
        let head_len = header.encode(&mut head);
        #[cfg(target_pointer_width = "64")]
        if let Some(at) =
            (start.checked_sub(head_len + header.table_len())).filter(|&at| at >= self.used)
        {
            // The usual case on a host: the header and the table fit the
            // free space before the slots; the table is packed there
            // straight from the slots, which stay as they are.
            let (free, slots) = self.buf[..self.cap].split_at_mut(start);
            let (head_to, table) = free[at..].split_at_mut(head_len);
            head_to.copy_from_slice(&head[..head_len]);
            pack_deltas_into(table, slots, self.slot, header);
            self.out
                .write_frame(kind::BLOCK, &[&self.buf[at..start], &self.buf[..self.used]])?;
            self.block_written();
            return Ok(());
        }
        let slots = &mut self.buf[start..self.cap];
        slots.reverse();
        let table_len = pack_deltas(slots, self.slot, header);
        match self.join_head(&head[..head_len], start, table_len) {
            // The block header and the table as one piece: one checksum
            // update and one sink write fewer.
            Some((from, to)) => self
                .out
                .write_frame(kind::BLOCK, &[&self.buf[from..to], &self.buf[..self.used]])?,
            None => self.out.write_frame(
                kind::BLOCK,
                &[
                    &head[..head_len],
                    &self.buf[start..start + table_len],
                    &self.buf[..self.used],
                ],
            )?,
        }
        self.block_written();
        Ok(())
    }

    /// After a block's frame: the buffer is empty again.
    #[inline(always)]
    fn block_written(&mut self) {
        self.out.count_block(self.count);
        self.used = 0;
        self.count = 0;
        #[cfg(not(target_pointer_width = "64"))]
        {
            self.min_len = u32::MAX;
            self.max_len = 0;
        }
    }

    /// On a host, puts the block header and the delta table (at
    /// `buf[start..start + table_len]`) side by side where the buffer has
    /// room: the header in the free space before the table, or the table
    /// moved up into the slots it left free and the header before it.
    /// Returns where the joined piece starts and ends; on a device, `None`
    /// (less code).
    #[cfg(target_pointer_width = "64")]
    fn join_head(&mut self, head: &[u8], start: usize, table_len: usize) -> Option<(usize, usize)> {
        if let Some(at) = start.checked_sub(head.len()).filter(|&at| at >= self.used) {
            self.buf[at..start].copy_from_slice(head);
            return Some((at, start + table_len));
        }
        if table_len + head.len() <= self.cap - start {
            self.buf
                .copy_within(start..start + table_len, start + head.len());
            self.buf[start..start + head.len()].copy_from_slice(head);
            return Some((start, start + head.len() + table_len));
        }
        None
    }

    #[cfg(not(target_pointer_width = "64"))]
    fn join_head(&mut self, _: &[u8], _: usize, _: usize) -> Option<(usize, usize)> {
        None
    }

    /// Writes an ancillary frame of a vendor kind (`0x60..=0x7F`, spec
    /// `format.md` §4.2) holding `body`, after flushing buffered records,
    /// chained to the frames before it like every frame.
    ///
    /// Readers that do not know the kind skip it, so the container stays
    /// fully readable. Other kinds are refused with [`Error::FrameKind`] and a
    /// body over [`limits::MAX_FRAME_BODY`] with [`Error::FrameTooLarge`];
    /// a refusal writes nothing.
    ///
    /// ```
    /// use koffer::read::{Frame, Reader};
    /// use koffer::write::{Error, Writer};
    ///
    /// let mut buf = [0u8; 32];
    /// let mut w = Writer::new(Vec::new(), &mut buf)?;
    /// w.ancillary(0x60, b"acme calibration 7")?;
    /// assert_eq!(w.ancillary(0x02, b"not a schema"), Err(Error::FrameKind { kind: 0x02 }));
    /// let bytes = w.finish()?;
    ///
    /// let reader = Reader::new(&bytes)?;
    /// let first = reader.frames().next().unwrap()?;
    /// assert_eq!(first.frame, Frame::Ancillary { kind: 0x60, body: b"acme calibration 7" });
    /// assert!(reader.verify()?.is_complete());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ancillary(&mut self, kind: u8, body: &[u8]) -> Result<(), Error<W::Error>> {
        self.check()?;
        if !(kind::VENDOR_FIRST..=kind::VENDOR_LAST).contains(&kind) {
            return Err(Error::FrameKind { kind });
        }
        if body.len() > limits::MAX_FRAME_BODY as usize {
            return Err(Error::FrameTooLarge { len: body.len() });
        }
        self.flush()?;
        self.out.write_frame(kind, &[body])
    }

    /// Writes a frame of a spec-assigned kind (the seal frames) without
    /// flushing buffered records first: they go into a later block.
    #[cfg(feature = "seal")]
    pub(crate) fn frame_unbuffered(
        &mut self,
        kind: u8,
        parts: &[&[u8]],
    ) -> Result<(), Error<W::Error>> {
        // A failed write poisons the sink: the next record takes the checked path.
        self.disarm();
        self.out.frame(kind, parts)
    }

    /// The sink (the sealing writer reads its digest).
    #[cfg(feature = "seal")]
    pub(crate) fn sink_ref(&self) -> &W {
        self.out.sink_ref()
    }

    /// Gives the sink back without finishing (what a power cut leaves).
    #[cfg(feature = "seal")]
    pub(crate) fn into_sink(self) -> W {
        self.out.into_sink()
    }

    /// Writes buffered records and the end frame, flushes the sink and
    /// returns it. The container is complete.
    pub fn finish(mut self) -> Result<W, Error<W::Error>> {
        self.flush()?;
        self.out.write_end()?;
        self.out.sink_mut().flush().map_err(Error::Sink)?;
        Ok(self.out.into_sink())
    }
}

/// Length of record `i` in `slots` once reversed (record 0 first): reversing
/// the bytes turned each 2-byte little-endian length big-endian.
#[cfg(not(target_pointer_width = "64"))]
fn slot_len(slots: &[u8], slot: usize, i: usize) -> u32 {
    if slot == 2 {
        u32::from(u16::from_be_bytes([slots[2 * i], slots[2 * i + 1]]))
    } else {
        u32::from(slots[i])
    }
}

/// Packs the block's length deltas (spec `format.md` §7) into the start of
/// `slots` (reversed, record 0 first) and returns the table's length.
///
/// In place, front to back: the table never takes more bits per record than a
/// slot holds (widths up to 8 with 1-byte slots, up to 16 with 2-byte ones),
/// so every byte written lies in slots already read.
#[cfg(not(target_pointer_width = "64"))]
fn pack_deltas(slots: &mut [u8], slot: usize, header: BlockHeader) -> usize {
    let (mut acc, mut bits, mut n) = (0u32, 0u32, 0);
    for i in 0..header.count as usize {
        acc |= (slot_len(slots, slot, i) - header.base_len) << bits;
        bits += u32::from(header.width);
        while bits >= 8 {
            slots[n] = acc as u8;
            n += 1;
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        // The last byte's unused high bits are zero.
        slots[n] = acc as u8;
        n += 1;
    }
    n
}

/// [`pack_deltas`] on a 64-bit host: one loop per slot size, and the table
/// written four bytes at a time. Still in place: after record `i` at most
/// `(i + 1) × width` bits are written, within the `(i + 1) × slot` bytes
/// read.
#[cfg(target_pointer_width = "64")]
fn pack_deltas(slots: &mut [u8], slot: usize, header: BlockHeader) -> usize {
    if header.width == 0 {
        return 0;
    }
    if slot == 2 {
        pack_deltas_of::<2>(slots, header)
    } else {
        pack_deltas_of::<1>(slots, header)
    }
}

#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn pack_deltas_of<const SLOT: usize>(slots: &mut [u8], header: BlockHeader) -> usize {
    let count = header.count as usize;
    let width = u32::from(header.width);
    let (mut acc, mut bits, mut n) = (0u64, 0u32, 0usize);
    for i in 0..count {
        let len = if SLOT == 2 {
            u32::from(u16::from_be_bytes([slots[2 * i], slots[2 * i + 1]]))
        } else {
            u32::from(slots[i])
        };
        acc |= u64::from(len - header.base_len) << bits;
        bits += width;
        if bits >= 32 {
            slots[n..n + 4].copy_from_slice(&(acc as u32).to_le_bytes());
            n += 4;
            acc >>= 32;
            bits -= 32;
        }
    }
    // The last bytes; the unused high bits of the last one are zero.
    while bits > 0 {
        slots[n] = acc as u8;
        n += 1;
        acc >>= 8;
        bits = bits.saturating_sub(8);
    }
    n
}

/// [`pack_deltas`] into another place: packs the deltas of the lengths in
/// `slots` (as `push` laid them out, record 0 last) into `table`, which is
/// [`BlockHeader::table_len`] bytes long; `slots` stay as they are.
#[cfg(target_pointer_width = "64")]
fn pack_deltas_into(table: &mut [u8], slots: &[u8], slot: usize, header: BlockHeader) {
    if header.width == 0 {
        return;
    }
    if slot == 2 {
        pack_deltas_into_of::<2>(table, slots, header)
    } else {
        pack_deltas_into_of::<1>(table, slots, header)
    }
}

#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn pack_deltas_into_of<const SLOT: usize>(table: &mut [u8], slots: &[u8], header: BlockHeader) {
    let width = u32::from(header.width);
    let (mut acc, mut bits, mut n) = (0u64, 0u32, 0usize);
    // Record 0 first: its slot is the last.
    for len in slots.rchunks_exact(SLOT) {
        let len = if SLOT == 2 {
            u32::from(u16::from_le_bytes([len[0], len[1]]))
        } else {
            u32::from(len[0])
        };
        acc |= u64::from(len - header.base_len) << bits;
        bits += width;
        if bits >= 32 {
            table[n..n + 4].copy_from_slice(&(acc as u32).to_le_bytes());
            n += 4;
            acc >>= 32;
            bits -= 32;
        }
    }
    // The last bytes; the unused high bits of the last one are zero.
    while bits > 0 {
        table[n] = acc as u8;
        n += 1;
        acc >>= 8;
        bits = bits.saturating_sub(8);
    }
}

/// The shortest and the longest length in `slots` (as `push` laid them
/// out: 1-byte lengths, or 2-byte little-endian ones), on a 64-bit host.
#[cfg(target_pointer_width = "64")]
fn length_range(slots: &[u8], slot: usize) -> (u32, u32) {
    if slot == 2 {
        let lens = slots
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        let (min, max) = lens.fold((u16::MAX, 0), |(lo, hi), l| (lo.min(l), hi.max(l)));
        (u32::from(min), u32::from(max))
    } else {
        let (min, max) = slots
            .iter()
            .fold((u8::MAX, 0), |(lo, hi), &l| (lo.min(l), hi.max(l)));
        (u32::from(min), u32::from(max))
    }
}

/// Why an encoding attempt failed.
enum Full {
    /// The buffer was too small.
    Yes,
    /// The value could not be encoded at all.
    No,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::TablePacker;
    #[cfg(feature = "std")]
    use std::{vec, vec::Vec};

    /// Lays out `lens` in slots as `push` does (record 0 at the end), packs
    /// them in place and compares with the streaming `TablePacker`.
    fn check_packing(lens: &[u16], slot: usize) {
        let mut slots = [0u8; 64];
        let n = lens.len() * slot;
        for (i, &len) in lens.iter().enumerate() {
            let at = n - slot * (i + 1);
            slots[at] = len as u8;
            if slot == 2 {
                slots[at + 1] = (len >> 8) as u8;
            }
        }
        let min = u32::from(*lens.iter().min().unwrap());
        let max = u32::from(*lens.iter().max().unwrap());
        let header = BlockHeader {
            record_type: 0,
            count: lens.len() as u32,
            base_len: min,
            width: block::width_for(max - min),
        };
        #[cfg(target_pointer_width = "64")]
        let mut table = [0u8; 64];
        #[cfg(target_pointer_width = "64")]
        pack_deltas_into(&mut table[..header.table_len()], &slots[..n], slot, header);
        let region = &mut slots[..n];
        region.reverse();
        let table_len = pack_deltas(region, slot, header);

        let mut expected = [0u8; 64];
        let mut m = 0;
        let mut out = |b: &[u8]| -> Result<(), ()> {
            expected[m..m + b.len()].copy_from_slice(b);
            m += b.len();
            Ok(())
        };
        let mut packer = TablePacker::new(header.width);
        for &len in lens {
            packer.push(u32::from(len) - min, &mut out).unwrap();
        }
        packer.finish(&mut out).unwrap();
        assert_eq!(table_len, header.table_len());
        assert_eq!(
            &slots[..table_len],
            &expected[..m],
            "lens {lens:?} slot {slot}"
        );
        #[cfg(target_pointer_width = "64")]
        assert_eq!(
            &table[..table_len],
            &expected[..m],
            "into: lens {lens:?} slot {slot}"
        );
    }

    /// Writes `n` records (types 0–2, payload lengths up to `max_len`,
    /// from a reproducible sequence; with `typed`, through `write` and
    /// postcard, else through `write_payload`) into `sink` from a buffer of
    /// `buf_len` bytes; with `checked`, every record takes `push_checked`
    /// (the writer disarmed after each), as every record did before the
    /// armed path. Returns each call's result, `finish`'s last.
    /// Each call's result, and the sink if `finish` succeeded.
    #[cfg(feature = "std")]
    type Written<W> = (
        Vec<Result<(), Error<<W as embedded_io::ErrorType>::Error>>>,
        Option<W>,
    );

    #[cfg(feature = "std")]
    fn write_all<W: Write>(
        sink: W,
        buf_len: usize,
        n: usize,
        max_len: usize,
        typed: bool,
        checked: bool,
    ) -> Written<W> {
        let mut buf = vec![0u8; buf_len];
        let mut results = Vec::new();
        let mut w = Writer::new(sink, &mut buf).unwrap();
        let raw = [0, 1, 2].map(|t| w.declare(t, "r", 1, &[]).unwrap());
        let mut state = 0x9E37_79B9_u32;
        let mut payload = vec![0u8; max_len + 1];
        for i in 0..n {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // Runs of one type, now and then another.
            let t = if state.is_multiple_of(8) {
                (state >> 8) % 3
            } else {
                0
            } as usize;
            let len = (state >> 12) as usize % (max_len + 1);
            payload[..len].fill(i as u8);
            let r = if typed {
                // A postcard byte string: a length varint, then the bytes.
                w.write_serialized(raw[t], &payload[..len])
            } else {
                w.write_payload(raw[t], &payload[..len])
            };
            results.push(r);
            if checked {
                w.disarm();
            }
        }
        match w.finish() {
            Ok(sink) => {
                results.push(Ok(()));
                (results, Some(sink))
            }
            Err(e) => {
                results.push(Err(e));
                (results, None)
            }
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn armed_path_writes_the_bytes_of_the_checked_path() {
        for buf_len in [
            16, 17, 31, 64, 255, 256, 257, 300, 1000, 4096, 65_535, 70_000,
        ] {
            for max_len in [0, 1, 7, 40, 200, 300] {
                for typed in [false, true] {
                    let (fast, fast_out) =
                        write_all(Vec::new(), buf_len, 700, max_len, typed, false);
                    let (slow, slow_out) =
                        write_all(Vec::new(), buf_len, 700, max_len, typed, true);
                    assert_eq!(fast, slow, "buffer {buf_len}, lengths ≤ {max_len}");
                    let (fast_out, slow_out) = (fast_out.unwrap(), slow_out.unwrap());
                    assert_eq!(fast_out, slow_out, "buffer {buf_len}, lengths ≤ {max_len}");
                    let reader = crate::read::Reader::new(&fast_out).unwrap();
                    let written = fast.iter().filter(|r| r.is_ok()).count() - 1;
                    assert_eq!(reader.verify().unwrap().counted.records, written as u64);
                }
            }
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn armed_path_stops_like_the_checked_path_on_a_full_sink() {
        use crate::write::SliceSink;
        for out_len in [120, 150, 333, 1000, 2500] {
            for buf_len in [16, 64, 256, 1024] {
                let (mut a, mut b) = (vec![0u8; out_len], vec![0u8; out_len]);
                let (fast, fast_sink) =
                    write_all(SliceSink::new(&mut a), buf_len, 400, 30, false, false);
                let (slow, slow_sink) =
                    write_all(SliceSink::new(&mut b), buf_len, 400, 30, false, true);
                assert_eq!(fast, slow, "sink {out_len}, buffer {buf_len}");
                assert!(fast.contains(&Err(Error::Poisoned)), "sink {out_len}");
                assert_eq!(fast_sink.is_none(), slow_sink.is_none());
                // The sinks borrow `a` and `b`; they end here.
                let _ = (fast_sink, slow_sink);
                assert_eq!(a, b, "sink {out_len}, buffer {buf_len}");
            }
        }
    }

    #[test]
    fn packing_in_place_matches_the_streaming_packer() {
        // xorshift: reproducible lengths of every spread, 1 to 32 records.
        let mut state = 0x2545_F491_u32;
        for count in 1..=32 {
            for spread_bits in 0..=16 {
                let mut lens = [0u16; 32];
                for len in lens.iter_mut() {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    *len = (state & ((1 << spread_bits) - 1)) as u16;
                }
                let lens = &lens[..count];
                if spread_bits <= 8 {
                    check_packing(lens, 1);
                }
                check_packing(lens, 2);
            }
        }
    }
}
