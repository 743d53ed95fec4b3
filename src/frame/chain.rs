//! Writing frames: the chain of checksums (spec `format.md` §4.1).

use embedded_io::Write;

use crate::crc::Crc32c;
use crate::end::End;
use crate::frame::{kind, FrameHead};
use crate::header::HEADER_LEN;
use crate::limits;
use crate::write::Error;

/// Writes a container's header, then frames of any kind, each with its head
/// check and its checksum chained to the 4 bytes before it (spec `format.md`
/// §4.1), into an [`embedded_io::Write`] sink.
///
/// The one place frames are chained: [`Writer`](crate::write::Writer) writes
/// every frame through a `Chain`, and so does a tool that rebuilds a container
/// frame by frame (`koffer import`). It checks no frame body against the rules
/// of its kind — any kind is written as given, reserved ones included — only
/// the size limit ([`limits::MAX_FRAME_BODY`]). It counts the frames it writes,
/// and the blocks and records its caller reports ([`Chain::count_block`]), for
/// the end frame ([`Chain::end`]).
///
/// A sink error leaves a frame half written: the chain is then *poisoned* and
/// refuses further frames with [`Error::Poisoned`].
///
/// The smallest container, the header and an end frame (`valid-empty` in the
/// test vectors):
///
/// ```
/// use koffer::frame::Chain;
/// use koffer::header::Header;
///
/// let mut chain = Chain::start(Vec::new(), &Header::CURRENT.to_bytes())?;
/// chain.end()?;
/// assert_eq!(
///     chain.into_sink(),
///     [
///         0x8B, 0x4B, 0x4F, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0x01, 0x00, // header
///         0x00, 0x00, 0x00, 0x00, 0x94, 0x66, 0x4B, 0xC9,
///         0x04, 0x03, 0x00, 0x00, 0x47, // end frame: kind, length 3, head check
///         0x00, 0x00, 0x00, //             0 frames, 0 blocks, 0 records
///         0x27, 0x03, 0xC5, 0xB8, //       CRC-32C of 94 66 4B C9 04 .. 00
///     ]
/// );
/// # Ok::<(), koffer::write::Error<core::convert::Infallible>>(())
/// ```
///
/// A frame of a reserved ancillary kind (which [`Writer`](crate::write::Writer)
/// never writes), its body in two parts, then the end frame counting it:
///
/// ```
/// use koffer::frame::{kind, Chain};
/// use koffer::header::Header;
/// use koffer::read::{Frame, Reader};
///
/// let mut chain = Chain::start(Vec::new(), &Header::CURRENT.to_bytes())?;
/// chain.frame(0x40, &[b"ab", b"c"])?;
/// assert_eq!((chain.counted().frames, chain.position()), (1, 18 + 12));
/// let last = chain.last_checksum();
/// chain.end()?; // counts the 1 frame before it, then itself
/// assert_eq!((chain.counted().frames, chain.position()), (2, 18 + 12 + 12));
/// let bytes = chain.into_sink();
/// assert_eq!(
///     bytes[18..30],
///     [0x40, 0x03, 0x00, 0x00, 0x53, b'a', b'b', b'c', last[0], last[1], last[2], last[3]]
/// );
/// assert_eq!(bytes[30..38], [kind::END, 0x03, 0x00, 0x00, 0x47, 0x01, 0x00, 0x00]);
///
/// let reader = Reader::new(&bytes)?;
/// let first = reader.frames().next().unwrap()?;
/// assert_eq!(first.frame, Frame::Ancillary { kind: 0x40, body: b"abc" });
/// assert!(reader.verify()?.is_complete());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Chain<W: Write> {
    sink: W,
    /// The 4 bytes before the next frame: the last checksum written.
    prev: [u8; 4],
    /// Bytes written to the sink.
    position: u64,
    /// Frames written, blocks and records reported.
    counted: End,
    /// A write to the sink failed: the container's end is unknown.
    poisoned: bool,
}

impl<W: Write> Chain<W> {
    /// Writes `header` (the 18 bytes of a file header, e.g. from
    /// [`Header::to_bytes`](crate::header::Header::to_bytes)) to `sink` and
    /// chains the first frame to its checksum field (bytes 14..18).
    pub fn start(mut sink: W, header: &[u8; HEADER_LEN]) -> Result<Self, Error<W::Error>> {
        sink.write_all(header).map_err(Error::Sink)?;
        Ok(Self::resume(
            sink,
            HEADER_LEN as u64,
            [header[14], header[15], header[16], header[17]],
            End::default(),
        ))
    }

    /// Continues a chain whose first `position` bytes are already written:
    /// `sink` appends after them, `last_checksum` is their last 4 bytes (the
    /// last frame's checksum, or the header's), `counted` what they hold (as
    /// [`ResumePoint`](crate::write::ResumePoint) finds them).
    ///
    /// ```
    /// use koffer::frame::Chain;
    /// use koffer::header::Header;
    ///
    /// let mut first = Chain::start(Vec::new(), &Header::CURRENT.to_bytes())?;
    /// first.frame(0x60, &[b"a"])?;
    /// let (position, last, counted) = (first.position(), first.last_checksum(), first.counted());
    /// let mut bytes = first.into_sink();
    /// // Later (another sink, the same bytes): the chain goes on.
    /// let mut rest = Chain::resume(Vec::new(), position, last, counted);
    /// rest.end()?;
    /// bytes.extend(rest.into_sink());
    /// let reader = koffer::read::Reader::new(&bytes)?;
    /// assert!(reader.verify()?.is_complete());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(sink: W, position: u64, last_checksum: [u8; 4], counted: End) -> Self {
        Chain {
            sink,
            prev: last_checksum,
            position,
            counted,
            poisoned: false,
        }
    }

    /// Writes a frame of `kind` whose body is `parts`, back to back, and
    /// counts it as a frame. A body over [`limits::MAX_FRAME_BODY`] is refused
    /// with [`Error::FrameTooLarge`], a poisoned chain with
    /// [`Error::Poisoned`], and [`kind::END`] with [`Error::EndFrame`] (the
    /// end frame holds the chain's totals: write it with [`Chain::end`]); a
    /// refusal writes nothing.
    ///
    /// A frame of [`kind::BLOCK`] is counted as a frame only: report its
    /// records with [`Chain::count_block`] too, or the end frame's block and
    /// record totals will not match the container.
    ///
    /// ```
    /// use koffer::frame::{kind, Chain};
    /// use koffer::header::Header;
    /// use koffer::write::Error;
    ///
    /// let mut chain = Chain::start(Vec::new(), &Header::CURRENT.to_bytes())?;
    /// assert_eq!(chain.frame(kind::END, &[&[0, 0, 0]]), Err(Error::EndFrame));
    /// assert_eq!(chain.counted().frames, 0);
    /// chain.end()?;
    /// # Ok::<(), koffer::write::Error<core::convert::Infallible>>(())
    /// ```
    pub fn frame(&mut self, kind: u8, parts: &[&[u8]]) -> Result<(), Error<W::Error>> {
        if kind == kind::END {
            return Err(Error::EndFrame);
        }
        let body_len = parts.iter().map(|p| p.len()).sum();
        self.check(body_len)?;
        self.write_frame(kind, parts)
    }

    /// Writes the end frame (spec `format.md` §8) with the totals counted so
    /// far, or refuses as [`Chain::frame`] does. Nothing stops frames after
    /// it: a container is complete when its last frame is the end frame.
    pub fn end(&mut self) -> Result<(), Error<W::Error>> {
        self.check(0)?;
        self.write_end()
    }

    fn check(&self, body_len: usize) -> Result<(), Error<W::Error>> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        if body_len > limits::MAX_FRAME_BODY as usize {
            return Err(Error::FrameTooLarge { len: body_len });
        }
        Ok(())
    }

    /// [`Chain::frame`] without its checks: the caller has checked the
    /// chain is not poisoned and the body within the limit. Every frame of a
    /// [`Writer`](crate::write::Writer) but metadata goes through here (the
    /// writer checks both itself, before it flushes a block), so the device
    /// carries one copy of the frame code and no second copy of the checks.
    pub(crate) fn write_frame(&mut self, kind: u8, parts: &[&[u8]]) -> Result<(), Error<W::Error>> {
        let body_len = parts.iter().map(|p| p.len()).sum();
        self.stream(kind, body_len, |out| {
            for part in parts {
                out.put(part)?;
            }
            Ok(())
        })
    }

    /// [`Chain::end`] without its check, as [`Chain::write_frame`].
    pub(crate) fn write_end(&mut self) -> Result<(), Error<W::Error>> {
        let mut body = [0u8; End::MAX_LEN];
        let n = self.counted.encode(&mut body);
        self.write_frame(kind::END, &[&body[..n]])
    }

    /// Writes a frame of `kind` with a body of `body_len` bytes, which `body`
    /// writes through [`FrameOut::put`], and counts it. Unchecked, as
    /// [`Chain::write_frame`]; `body` writes exactly `body_len` bytes.
    #[inline]
    pub(crate) fn stream(
        &mut self,
        kind: u8,
        body_len: usize,
        body: impl FnOnce(&mut FrameOut<'_, W>) -> Result<(), W::Error>,
    ) -> Result<(), Error<W::Error>> {
        let r = (|| {
            let mut out = FrameOut::begin(&mut self.sink, &self.prev, kind, body_len)?;
            body(&mut out)?;
            out.end()
        })();
        match r {
            Ok(checksum) => {
                self.position += (FrameHead::LEN + body_len + 4) as u64;
                self.prev = checksum;
                self.counted.frames += 1;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(Error::Sink(e))
            }
        }
    }

    /// Adds a block of `records` records, written as a frame of kind
    /// [`kind::BLOCK`], to the totals of the end frame.
    ///
    /// ```
    /// use koffer::frame::Chain;
    /// use koffer::header::Header;
    ///
    /// let mut chain = Chain::start(Vec::new(), &Header::CURRENT.to_bytes())?;
    /// chain.count_block(3);
    /// let counted = chain.counted();
    /// assert_eq!((counted.frames, counted.blocks, counted.records), (0, 1, 3));
    /// # Ok::<(), koffer::write::Error<core::convert::Infallible>>(())
    /// ```
    pub fn count_block(&mut self, records: u32) {
        self.counted.blocks += 1;
        self.counted.records += u64::from(records);
    }

    /// Frames written (the end frame included once written), blocks and
    /// records reported by [`Chain::count_block`].
    pub fn counted(&self) -> End {
        self.counted
    }

    /// Bytes written to the sink, header included.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The checksum field of the last frame written (the header's before the
    /// first): the 4 bytes the next frame is chained to.
    pub fn last_checksum(&self) -> [u8; 4] {
        self.prev
    }

    /// Whether a sink error left a frame half written.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The sink, e.g. to flush it.
    pub fn sink_mut(&mut self) -> &mut W {
        &mut self.sink
    }

    /// The sink, to read it.
    #[cfg(feature = "seal")]
    pub(crate) fn sink_ref(&self) -> &W {
        &self.sink
    }

    /// Gives the sink back.
    pub fn into_sink(self) -> W {
        self.sink
    }
}

/// A frame being written: feeds the checksum as bytes go to the sink.
pub(crate) struct FrameOut<'s, W: Write> {
    sink: &'s mut W,
    crc: Crc32c,
}

impl<'s, W: Write> FrameOut<'s, W> {
    fn begin(sink: &'s mut W, prev: &[u8; 4], kind: u8, body_len: usize) -> Result<Self, W::Error> {
        let mut crc = Crc32c::new();
        crc.update(prev);
        let mut out = FrameOut { sink, crc };
        // Callers bound body_len by MAX_FRAME_BODY, which fits u32.
        out.put(FrameHead::new(kind, body_len as u32).as_bytes())?;
        Ok(out)
    }

    /// Out of line: frames are written in many small pieces, and one call
    /// costs less flash than the checksum and sink code at every piece.
    #[inline(never)]
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.crc.update(bytes);
        self.sink.write_all(bytes)
    }

    /// Writes the checksum field and returns it.
    fn end(self) -> Result<[u8; 4], W::Error> {
        let checksum = self.crc.finish().to_le_bytes();
        self.sink.write_all(&checksum)?;
        Ok(checksum)
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::header::Header;
    use crate::read::Reader;
    use crate::write::SliceSink;
    use embedded_io::SliceWriteError;
    use std::vec::Vec;

    const HEADER: [u8; HEADER_LEN] = Header::CURRENT.to_bytes();

    #[test]
    fn a_body_over_the_limit_is_refused_and_nothing_is_written() {
        let mut out = [0u8; 64];
        let mut chain = Chain::start(SliceSink::new(&mut out), &HEADER).unwrap();
        let big = [0u8; 1024];
        let parts = [&big[..]; 1025]; // 1 049 600 bytes > 2^20
        assert_eq!(
            chain.frame(0x60, &parts),
            Err(Error::FrameTooLarge { len: 1025 * 1024 })
        );
        assert_eq!((chain.position(), chain.counted().frames), (18, 0));
        assert!(!chain.is_poisoned());
        chain.end().unwrap();
        let len = chain.into_sink().len();
        assert!(Reader::new(&out[..len])
            .unwrap()
            .verify()
            .unwrap()
            .is_complete());
    }

    #[test]
    fn the_end_frame_is_refused_by_frame() {
        let mut out = [0u8; 64];
        let mut chain = Chain::start(SliceSink::new(&mut out), &HEADER).unwrap();
        assert_eq!(chain.frame(kind::END, &[&[0, 0, 0]]), Err(Error::EndFrame));
        assert_eq!(chain.frame(kind::END, &[]), Err(Error::EndFrame));
        assert_eq!((chain.position(), chain.counted().frames), (18, 0));
        assert!(!chain.is_poisoned());
        chain.frame(0x60, &[b"x"]).unwrap();
        chain.end().unwrap();
        let len = chain.into_sink().len();
        let end = Reader::new(&out[..len]).unwrap().verify().unwrap();
        assert!(end.is_complete());
    }

    #[test]
    fn a_sink_error_poisons_the_chain() {
        let mut out = [0u8; 18 + 9 + 5];
        let mut chain = Chain::start(SliceSink::new(&mut out), &HEADER).unwrap();
        chain.frame(0x60, &[]).unwrap();
        assert_eq!(
            chain.frame(0x61, &[b"too long for the slice"]),
            Err(Error::Sink(SliceWriteError::Full))
        );
        assert!(chain.is_poisoned());
        assert_eq!(chain.frame(0x60, &[]), Err(Error::Poisoned));
        assert_eq!(chain.end(), Err(Error::Poisoned));
        assert_eq!((chain.position(), chain.counted().frames), (18 + 9, 1));
    }

    #[test]
    fn a_resumed_chain_writes_the_bytes_of_an_unbroken_one() {
        let frames: [(u8, &[u8]); 3] = [(0x40, b"x"), (0x7F, b""), (0x5F, b"yz")];
        let mut whole = Chain::start(Vec::new(), &HEADER).unwrap();
        for (kind, body) in frames {
            whole.frame(kind, &[body]).unwrap();
        }
        whole.count_block(3);
        whole.end().unwrap();
        let whole = whole.into_sink();

        let mut first = Chain::start(Vec::new(), &HEADER).unwrap();
        first.frame(frames[0].0, &[frames[0].1]).unwrap();
        let (position, last, counted) = (first.position(), first.last_checksum(), first.counted());
        let mut bytes = first.into_sink();
        assert_eq!(position, bytes.len() as u64);
        assert_eq!(last, bytes[bytes.len() - 4..]);
        let mut rest = Chain::resume(Vec::new(), position, last, counted);
        for (kind, body) in &frames[1..] {
            rest.frame(*kind, &[body]).unwrap();
        }
        rest.count_block(3);
        rest.end().unwrap();
        assert_eq!(rest.position(), whole.len() as u64);
        bytes.extend_from_slice(&rest.into_sink());
        assert_eq!(bytes, whole);
        // The totals: 3 frames before the end frame, 1 block of 3 records.
        let end = End::parse(&whole[whole.len() - 4 - 3..whole.len() - 4]).unwrap();
        assert_eq!((end.frames, end.blocks, end.records), (3, 1, 3));
    }

    #[test]
    fn the_writer_s_bytes_are_chained_as_a_chain_chains_them() {
        // Every frame the writer wrote, re-chained from its kind and body.
        let mut buf = [0u8; 32];
        let mut w = crate::write::Writer::new(Vec::new(), &mut buf).unwrap();
        w.metadata(&[crate::meta::Entry::new(
            crate::meta::key::PRODUCER_VENDOR,
            crate::meta::Value::Str("Acme"),
        )])
        .unwrap();
        let n = w.declare(0, "n", 1, &[]).unwrap();
        for i in 0..20u32 {
            w.write_serialized(n, &(i * 1000)).unwrap();
        }
        w.ancillary(0x60, b"v").unwrap();
        let written = w.finish().unwrap();

        let mut chain = Chain::start(Vec::new(), &HEADER).unwrap();
        let mut at = HEADER_LEN;
        while at < written.len() {
            let prev: [u8; 4] = written[at - 4..at].try_into().unwrap();
            let f = crate::frame::parse(&prev, &written[at..]).unwrap();
            if f.kind == kind::END {
                chain.end().unwrap();
            } else {
                chain.frame(f.kind, &[f.body]).unwrap();
                if f.kind == kind::BLOCK {
                    let block = crate::block::Block::parse(f.body).unwrap();
                    chain.count_block(block.header().count);
                }
            }
            at += f.size;
        }
        assert_eq!(chain.into_sink(), written);
    }
}
