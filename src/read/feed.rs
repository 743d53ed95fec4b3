//! Reading a container fed in chunks: [`Feed`].

use core::fmt;

use crate::end::End;
use crate::header::{self, starts_like_signature, Header, HEADER_LEN};
use crate::read::frames::{describe, FrameRef};
use crate::read::walk::{Completeness, Step, Structure, Summary, Tail, TypeSet, Walk};
use crate::read::{Error, ErrorKind};

/// Why a [`Feed`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FeedError {
    /// The container is damaged, malformed or unsupported: the error the
    /// reader reports for the same input in a slice.
    Read(Error),
    /// The frame at `offset` is `needed` bytes long and does not fit the
    /// buffer (which holds a frame and 18 bytes of context).
    BufferTooSmall {
        /// Offset of the frame.
        offset: u64,
        /// Its size in bytes.
        needed: u64,
    },
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Read(e) => e.fmt(f),
            FeedError::BufferTooSmall { offset, needed } => write!(
                f,
                "at byte {offset}: a frame of {needed} bytes does not fit the read buffer"
            ),
        }
    }
}

impl core::error::Error for FeedError {}

impl From<Error> for FeedError {
    fn from(e: Error) -> Self {
        FeedError::Read(e)
    }
}

/// The final run of equal `0x00` or `0xFF` bytes of what was fed since the
/// start of the kept bytes (spec §10.3): where the written data ends.
#[derive(Debug, Clone, Copy, Default)]
struct Fill {
    len: u64,
    last: u8,
    run: u64,
}

impl Fill {
    fn update(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if self.len > 0 && b == self.last {
                self.run += 1;
            } else {
                self.last = b;
                self.run = 1;
            }
            self.len += 1;
        }
    }

    /// The written end, counted from the first byte tracked.
    fn written_end(&self) -> u64 {
        if self.len > 0 && matches!(self.last, 0x00 | 0xFF) {
            self.len - self.run
        } else {
            self.len
        }
    }
}

/// Where the feed stands.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Fewer than 18 bytes so far: the header is not read yet.
    Header,
    /// Frames: complete ones are checked and dropped as they arrive.
    Frames,
    /// The header failed in a way that depends on the written end (§3.3):
    /// decided at the end.
    BadHeader(header::Error),
    /// A frame failed, or the end frame was read, where the outcome
    /// depends on what follows (a torn or unwritten tail, §10.3): decided
    /// at the end. The failing frame stays in the buffer.
    Tail,
    /// Stopped with an error.
    Failed(FeedError),
}

/// Reading a container that is not in memory: fed in chunks of any size
/// (spec `format.md` §10), from storage that is read piece by piece — SPI NOR
/// flash, an SD card, a file read with `read(2)`.
///
/// A [`Feed`] needs one buffer from the caller (no allocator), big enough
/// for the largest frame it meets plus 18 bytes: a device that reads back its
/// own export gives it its writer's block buffer plus 36 bytes (a block frame
/// is at most the block buffer plus 18 bytes; its metadata and schema frames
/// must fit too); a host that reads anything gives it [`Feed::MAX_BUFFER`]. It keeps the frame that is
/// not yet complete, nothing else, and reaches exactly the outcome the same
/// reader reaches on the whole input in a slice: the same [`Summary`], or
/// the same [`Error`] at the same offset.
///
/// ```
/// use koffer::read::{Feed, Reader};
/// use koffer::write::Writer;
/// let mut block = [0u8; 64];
/// let mut w = Writer::new(Vec::new(), &mut block).unwrap();
/// let n = w.declare(0, "n", 1, &[]).unwrap();
/// for i in 0..100u32 {
///     w.write_serialized(n, &i).unwrap();
/// }
/// let bytes = w.finish().unwrap();
///
/// let mut buf = [0u8; 100]; // a block frame of at most 64 + 18 bytes, and 18 more
/// let mut feed = Feed::new(&mut buf);
/// let mut records = 0;
/// for chunk in bytes.chunks(256) { // as the storage hands them out
///     feed.feed_with(chunk, |frame| {
///         if let koffer::read::Frame::Block(b) = frame.frame {
///             records += b.records().count();
///         }
///     }).unwrap();
/// }
/// let summary = feed.finish().unwrap();
/// assert_eq!(records, 100);
/// assert_eq!(Ok(summary), Reader::new(&bytes).unwrap().verify());
/// ```
///
/// `ALL`: every check ([`Feed::new`]), or the structure checks only
/// ([`Feed::structure_only`]; a device that resumes links no description
/// checks).
pub struct Feed<'b, const ALL: bool = true> {
    /// `buf[..HEADER_LEN]` is context: its last 4 bytes are the checksum
    /// the next frame chains to. `buf[HEADER_LEN..len]` are the pending
    /// bytes, from input offset `base` on.
    buf: &'b mut [u8],
    len: usize,
    base: u64,
    mode: Mode,
    header: Header,
    counted: End,
    declared: TypeSet,
    ended: bool,
    /// In `BadHeader` and `Tail`: the fill of everything fed from the first
    /// kept byte on (the header's first byte, or the failing frame's).
    fill: Fill,
    /// Bytes fed in all.
    total: u64,
}

/// The description checks of [`describe`], without building the frame
/// (nothing is handed out): a block, the end frame and an ancillary frame
/// have none.
fn check_descriptions(step: &Step<'_>) -> Result<(), Error> {
    match step.structure {
        Structure::Metadata | Structure::Schema { .. } => describe(step).map(|_| ()),
        Structure::Block(_) | Structure::End(_) | Structure::Ancillary => Ok(()),
    }
}

/// What a walk over the buffer left behind.
struct Pass {
    /// Relative position where the walk stopped.
    pos: usize,
    /// The walk failed, or stopped after the end frame.
    defer: bool,
}

impl<'b> Feed<'b, true> {
    /// A buffer that holds any frame the format allows: the largest frame
    /// body, its head and checksum, and the 18 bytes of context.
    pub const MAX_BUFFER: usize = crate::limits::MAX_FRAME_BODY as usize + 9 + HEADER_LEN;

    /// A feed that applies every check, as [`Reader::verify`](crate::read::Reader::verify) does.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self::start(buf)
    }
}

impl<'b> Feed<'b, false> {
    /// A feed that applies the structure checks only (spec §10.1), as
    /// [`Records`](crate::read::Records) and resuming do; its frames are
    /// not handed out ([`feed_with`](Self::feed_with) calls nothing).
    ///
    /// ```
    /// let mut buf = [0u8; 64];
    /// let mut feed = koffer::read::Feed::structure_only(&mut buf);
    /// feed.feed(b"not a container at all").unwrap();
    /// assert!(feed.finish().is_err());
    /// ```
    pub fn structure_only(buf: &'b mut [u8]) -> Self {
        Self::start(buf)
    }
}

impl<'b, const ALL: bool> Feed<'b, ALL> {
    fn start(buf: &'b mut [u8]) -> Self {
        Feed {
            buf,
            len: 0,
            base: 0,
            mode: Mode::Header,
            header: Header::CURRENT,
            counted: End::default(),
            declared: TypeSet::default(),
            ended: false,
            fill: Fill::default(),
            total: 0,
        }
    }

    /// Bytes fed so far.
    pub fn fed(&self) -> u64 {
        self.total
    }

    /// Frames, blocks and records checked so far.
    pub fn counted(&self) -> End {
        self.counted
    }

    /// Record types declared by the frames checked so far.
    pub fn declared(&self) -> TypeSet {
        self.declared
    }

    /// Feeds the next bytes of the input.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), FeedError> {
        self.feed_inner::<false>(chunk, &mut |_| {})
    }

    /// Feeds the next bytes of the input and hands every frame that passed
    /// every check to `on_frame`, in order (with [`Feed::new`]; a
    /// [`Feed::structure_only`] hands out nothing). Offsets are the input's.
    pub fn feed_with(
        &mut self,
        chunk: &[u8],
        mut on_frame: impl FnMut(&FrameRef<'_>),
    ) -> Result<(), FeedError> {
        // A structure-only feed hands out nothing: one copy of the walk.
        if ALL {
            self.feed_inner::<true>(chunk, &mut on_frame)
        } else {
            self.feed_inner::<false>(chunk, &mut on_frame)
        }
    }

    /// [`Feed::feed_with`]; `HAND_OUT`: whether frames are handed out (else
    /// the description checks run without building the frames).
    fn feed_inner<const HAND_OUT: bool>(
        &mut self,
        mut chunk: &[u8],
        on_frame: &mut impl FnMut(&FrameRef<'_>),
    ) -> Result<(), FeedError> {
        self.total += chunk.len() as u64;
        loop {
            match self.mode {
                Mode::Failed(e) => return Err(e),
                Mode::BadHeader(_) | Mode::Tail => {
                    self.keep(chunk);
                    return Ok(());
                }
                Mode::Header => {
                    let take = (HEADER_LEN - self.len).min(chunk.len());
                    self.buf[self.len..self.len + take].copy_from_slice(&chunk[..take]);
                    self.len += take;
                    chunk = &chunk[take..];
                    if self.len < HEADER_LEN {
                        return Ok(());
                    }
                    self.header_read()?;
                }
                Mode::Frames => {
                    if chunk.is_empty() {
                        return Ok(());
                    }
                    let room = self.buf.len() - self.len;
                    let take = room.min(chunk.len());
                    self.buf[self.len..self.len + take].copy_from_slice(&chunk[..take]);
                    self.len += take;
                    chunk = &chunk[take..];
                    let pass = self.pass::<HAND_OUT>(usize::MAX, on_frame);
                    if let Mode::Failed(e) = self.mode {
                        return Err(e);
                    }
                    let consumed = pass.pos - HEADER_LEN;
                    if pass.defer {
                        self.drop_front(consumed);
                        self.fill = Fill::default();
                        let pending = self.len;
                        self.fill.update(&self.buf[HEADER_LEN..pending]);
                        self.mode = Mode::Tail;
                        continue;
                    }
                    if consumed == 0 && self.len == self.buf.len() && !chunk.is_empty() {
                        // One incomplete frame fills the buffer.
                        return self.fail(FeedError::BufferTooSmall {
                            offset: self.base,
                            needed: self.frame_size().unwrap_or(self.buf.len() as u64),
                        });
                    }
                    self.drop_front(consumed);
                }
            }
        }
    }

    /// The free part of the buffer, to read the next input bytes into in
    /// place (no copy), then hand their count to [`Feed::fill`]: what a
    /// host reading a file does. Empty when a frame fills the whole buffer:
    /// [`Feed::feed`] the next bytes to have that reported
    /// ([`FeedError::BufferTooSmall`]).
    ///
    /// ```
    /// # use koffer::write::Writer;
    /// # let mut block = [0u8; 64];
    /// # let mut w = Writer::new(Vec::new(), &mut block)?;
    /// # w.ancillary(0x60, b"note")?;
    /// # let file = w.finish()?;
    /// use koffer::read::Feed;
    /// let mut buf = vec![0u8; 4096];
    /// let mut feed = Feed::new(&mut buf);
    /// let mut input = &file[..];
    /// loop {
    ///     let n = std::io::Read::read(&mut input, feed.spare())?;
    ///     if n == 0 {
    ///         break;
    ///     }
    ///     feed.fill(n)?;
    /// }
    /// assert!(feed.finish()?.is_complete());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spare(&mut self) -> &mut [u8] {
        let len = self.len;
        &mut self.buf[len..]
    }

    /// Feeds the `n` bytes just written to the start of [`Feed::spare`], as
    /// [`Feed::feed`] feeds a chunk (bytes past the spare part do not exist).
    pub fn fill(&mut self, n: usize) -> Result<(), FeedError> {
        self.fill_inner::<false>(n, &mut |_| {})
    }

    /// [`Feed::fill`], handing every frame that passed every check to
    /// `on_frame` as [`Feed::feed_with`] does.
    pub fn fill_with(
        &mut self,
        n: usize,
        mut on_frame: impl FnMut(&FrameRef<'_>),
    ) -> Result<(), FeedError> {
        if ALL {
            self.fill_inner::<true>(n, &mut on_frame)
        } else {
            self.fill_inner::<false>(n, &mut on_frame)
        }
    }

    /// [`Feed::fill_with`]; `HAND_OUT` as for `feed_inner`.
    fn fill_inner<const HAND_OUT: bool>(
        &mut self,
        n: usize,
        on_frame: &mut impl FnMut(&FrameRef<'_>),
    ) -> Result<(), FeedError> {
        // The bytes not yet taken lie at `buf[len..len + rest]`.
        let mut rest = n.min(self.buf.len() - self.len);
        self.total += rest as u64;
        loop {
            match self.mode {
                Mode::Failed(e) => return Err(e),
                Mode::BadHeader(_) | Mode::Tail => {
                    let start = self.len;
                    self.len += rest;
                    self.fill.update(&self.buf[start..self.len]);
                    return Ok(());
                }
                Mode::Header => {
                    let take = (HEADER_LEN - self.len).min(rest);
                    self.len += take;
                    rest -= take;
                    if self.len < HEADER_LEN {
                        return Ok(());
                    }
                    self.header_read()?;
                }
                Mode::Frames => {
                    self.len += rest;
                    let pass = self.pass::<HAND_OUT>(usize::MAX, on_frame);
                    if let Mode::Failed(e) = self.mode {
                        return Err(e);
                    }
                    let consumed = pass.pos - HEADER_LEN;
                    self.drop_front(consumed);
                    if pass.defer {
                        self.fill = Fill::default();
                        let pending = self.len;
                        self.fill.update(&self.buf[HEADER_LEN..pending]);
                        self.mode = Mode::Tail;
                    }
                    return Ok(());
                }
            }
        }
    }

    /// The 18 header bytes are in the buffer: parse them and go on to the
    /// frames, or keep the header for the end when its outcome depends on
    /// the written end (§3.3).
    fn header_read(&mut self) -> Result<(), FeedError> {
        match Header::parse(&self.buf[..HEADER_LEN]) {
            Ok(h) => {
                self.header = h;
                self.base = HEADER_LEN as u64;
                self.mode = Mode::Frames;
            }
            Err(e @ (header::Error::Checksum { .. } | header::Error::BadSignature)) => {
                // Truncated or damaged depends on the written end.
                self.fill.update(&self.buf[..HEADER_LEN]);
                self.mode = Mode::BadHeader(e);
            }
            Err(e) => return self.fail(FeedError::Read(Error::from_header(e))),
        }
        Ok(())
    }

    /// Ends the input: the outcome for the whole input, as
    /// [`Reader::verify`](crate::read::Reader::verify) (or, for
    /// [`Feed::structure_only`], a walk with the structure checks) reports it.
    pub fn finish(self) -> Result<Summary, FeedError> {
        self.finish_with(|_| {})
    }

    /// [`finish`](Self::finish), handing the last frames to `on_frame`.
    pub fn finish_with(
        mut self,
        mut on_frame: impl FnMut(&FrameRef<'_>),
    ) -> Result<Summary, FeedError> {
        self.end(&mut on_frame).map(|(s, _)| s)
    }

    /// The outcome and the 4 bytes before the valid length (the checksum a
    /// resumed writer chains to).
    pub(crate) fn end(
        &mut self,
        on_frame: &mut impl FnMut(&FrameRef<'_>),
    ) -> Result<(Summary, [u8; 4]), FeedError> {
        match self.mode {
            Mode::Failed(e) => Err(e),
            Mode::Header => {
                // The whole input is in the buffer: the slice reader decides.
                match crate::read::Reader::new(&self.buf[..self.len]) {
                    Err(e) => Err(FeedError::Read(e)),
                    // Fewer than 18 bytes never parse as a header.
                    Ok(_) => Err(FeedError::Read(Error::at(0, ErrorKind::HeaderTruncated))),
                }
            }
            Mode::BadHeader(e) => {
                let w = self.fill.written_end();
                let truncated =
                    w < HEADER_LEN as u64 && starts_like_signature(&self.buf[..w as usize]);
                Err(FeedError::Read(Error::from_header(if truncated {
                    header::Error::Truncated
                } else {
                    e
                })))
            }
            Mode::Frames | Mode::Tail => {
                let written_end = if let Mode::Tail = self.mode {
                    HEADER_LEN as u64 + self.fill.written_end()
                } else {
                    let mut f = Fill::default();
                    f.update(&self.buf[HEADER_LEN..self.len]);
                    HEADER_LEN as u64 + f.written_end()
                };
                let written_end = usize::try_from(written_end).unwrap_or(usize::MAX);
                let mut walk = self.walk(written_end);
                loop {
                    let step = if ALL {
                        walk.step(describe).map(|r| r.map(|(s, f)| (s, Some(f))))
                    } else {
                        walk.step(|_| Ok(())).map(|r| r.map(|(s, ())| (s, None)))
                    };
                    match step {
                        None => break,
                        Some(Ok((step, Some(frame)))) => on_frame(&self.absolute(&step, frame)),
                        Some(Ok(_)) => {}
                        Some(Err(_)) => break,
                    }
                }
                let pos = walk.position();
                let (counted, declared) = (walk.counted(), walk.declared());
                let mut last = [0u8; 4];
                last.copy_from_slice(&self.buf[pos - 4..pos]);
                let outcome = walk.outcome();
                self.counted = counted;
                self.declared = declared;
                let shift = |rel: u64| rel - HEADER_LEN as u64 + self.base;
                match outcome {
                    Err(mut e) => {
                        e.offset = shift(e.offset);
                        Err(FeedError::Read(e))
                    }
                    Ok(mut s) => {
                        s.len = shift(s.len);
                        if let Completeness::Incomplete { valid_len, tail } = &mut s.completeness {
                            *valid_len = shift(*valid_len);
                            let rest = self.total - *valid_len;
                            *tail = match *tail {
                                Tail::None => Tail::None,
                                Tail::Unwritten { .. } => Tail::Unwritten { len: rest },
                                Tail::Torn { .. } => Tail::Torn { len: rest },
                            };
                        }
                        Ok((s, last))
                    }
                }
            }
        }
    }

    fn fail<T>(&mut self, e: FeedError) -> Result<T, FeedError> {
        self.mode = Mode::Failed(e);
        Err(e)
    }

    /// Keeps what fits of `chunk` (the failing frame needs at most a frame's
    /// bytes) and tracks the fill of all of it.
    fn keep(&mut self, chunk: &[u8]) {
        let take = (self.buf.len() - self.len).min(chunk.len());
        self.buf[self.len..self.len + take].copy_from_slice(&chunk[..take]);
        self.len += take;
        self.fill.update(chunk);
    }

    /// A walk over the buffer, in the state the frames before it left.
    fn walk(&self, written_end: usize) -> Walk<'_> {
        Walk::window(
            &self.buf[..self.len],
            self.header,
            self.counted,
            self.declared,
            self.ended,
            written_end,
        )
    }

    fn absolute<'x>(
        &self,
        step: &crate::read::walk::Step<'x>,
        frame: crate::read::Frame<'x>,
    ) -> FrameRef<'x> {
        let shift = |rel: usize| rel as u64 - HEADER_LEN as u64 + self.base;
        FrameRef {
            offset: shift(step.offset),
            body_offset: shift(step.body_offset),
            size: step.size as u64,
            frame,
        }
    }

    /// Checks the complete frames in the buffer ("more input follows": no
    /// tail rules) and takes them into the totals; with `HAND_OUT`, hands
    /// them to `on_frame`.
    fn pass<const HAND_OUT: bool>(
        &mut self,
        written_end: usize,
        on_frame: &mut impl FnMut(&FrameRef<'_>),
    ) -> Pass {
        let mut walk = self.walk(written_end);
        let mut failed = false;
        loop {
            let step = if ALL && HAND_OUT {
                walk.step(describe).map(|r| r.map(|(s, f)| (s, Some(f))))
            } else if ALL {
                walk.step(check_descriptions)
                    .map(|r| r.map(|(s, ())| (s, None)))
            } else {
                walk.step(|_| Ok(())).map(|r| r.map(|(s, ())| (s, None)))
            };
            match step {
                None => break,
                Some(Ok((step, Some(frame)))) => on_frame(&self.absolute(&step, frame)),
                Some(Ok(_)) => {}
                Some(Err(_)) => {
                    failed = true;
                    break;
                }
            }
        }
        let pos = walk.position();
        let (counted, declared, ended) = (walk.counted(), walk.declared(), walk.ended());
        self.counted = counted;
        self.declared = declared;
        self.ended = ended;
        Pass {
            pos,
            defer: failed || ended,
        }
    }

    /// Drops `n` checked bytes from the front of the pending bytes, keeping
    /// the last 4 of them as the chaining context.
    fn drop_front(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let from = HEADER_LEN + n;
        self.buf.copy_within(from - 4..from, HEADER_LEN - 4);
        self.buf.copy_within(from..self.len, HEADER_LEN);
        self.len -= n;
        self.base += n as u64;
    }

    /// The size of the frame at the start of the pending bytes, from its head.
    fn frame_size(&self) -> Option<u64> {
        let head = self
            .buf
            .get(HEADER_LEN..HEADER_LEN + crate::frame::FrameHead::LEN)?;
        Some(u64::from(u32::from_le_bytes([head[1], head[2], head[3], 0])) + 9)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::read::Reader;
    use crate::write::Writer;

    /// A container with metadata, two record types in small blocks, an
    /// ancillary frame and the end frame.
    fn container() -> Vec<u8> {
        let mut block = [0u8; 48];
        let mut w = Writer::new(Vec::new(), &mut block).unwrap();
        w.metadata(&[crate::meta::Entry::new(
            crate::meta::key::TIME_BASE,
            crate::meta::Value::Str("boot"),
        )])
        .unwrap();
        let a = w.declare(0, "a", 1, &[]).unwrap();
        let b = w.declare(7, "b", 1, &[]).unwrap();
        for i in 0..60u32 {
            if i % 7 == 3 {
                w.write_serialized(b, &(i, "x")).unwrap();
            } else {
                w.write_serialized(a, &(i * 1000)).unwrap();
            }
            if i == 30 {
                w.ancillary(0x61, b"vendor").unwrap();
            }
        }
        w.finish().unwrap()
    }

    fn fed(bytes: &[u8], chunk: usize) -> Result<(Summary, u64), FeedError> {
        let mut buf = [0u8; 128];
        let mut feed = Feed::new(&mut buf);
        let mut frames = 0u64;
        for c in bytes.chunks(chunk.max(1)) {
            feed.feed_with(c, |_| frames += 1)?;
        }
        let s = feed.finish_with(|_| frames += 1)?;
        Ok((s, frames))
    }

    /// [`fed`] through `spare` and `fill`: the bytes read in place.
    fn filled(bytes: &[u8], chunk: usize) -> Result<(Summary, u64), FeedError> {
        let mut buf = [0u8; 128];
        let mut feed = Feed::new(&mut buf);
        let mut frames = 0u64;
        let mut input = bytes;
        while !input.is_empty() {
            let spare = feed.spare();
            if spare.is_empty() {
                // A frame fills the buffer: `feed` reports it.
                feed.feed(input)?;
                break;
            }
            let n = chunk.max(1).min(spare.len()).min(input.len());
            spare[..n].copy_from_slice(&input[..n]);
            input = &input[n..];
            feed.fill_with(n, |_| frames += 1)?;
        }
        let s = feed.finish_with(|_| frames += 1)?;
        Ok((s, frames))
    }

    fn same_as_slice(bytes: &[u8], what: &str) {
        let expected = Reader::new(bytes).and_then(|r| r.verify());
        let frames =
            Reader::new(bytes).map_or(0, |r| r.frames().map_while(Result::ok).count() as u64);
        for (chunk, outcome) in (1..=300)
            .map(|c| (c, fed(bytes, c)))
            .chain((1..=300).map(|c| (c, filled(bytes, c))))
        {
            match outcome {
                Ok((s, n)) => {
                    assert_eq!(Ok(s), expected, "{what}, chunks of {chunk}");
                    assert_eq!(n, frames, "{what}, chunks of {chunk}: frames handed out");
                }
                Err(FeedError::Read(e)) => {
                    assert_eq!(Err(e), expected, "{what}, chunks of {chunk}")
                }
                Err(e) => panic!("{what}, chunks of {chunk}: {e}"),
            }
        }
    }

    #[test]
    fn every_chunk_size_reaches_the_slice_outcome() {
        let full = container();
        same_as_slice(&full, "complete");
        // Cut at every length: torn tails, a cut header, nothing at all.
        for cut in 0..full.len() {
            let mut f = Fill::default();
            f.update(&full[..cut]);
            for chunk in [1, 2, 5, 17, 64, 300] {
                let expected = Reader::new(&full[..cut]).and_then(|r| r.verify());
                match fed(&full[..cut], chunk) {
                    Ok((s, _)) => assert_eq!(Ok(s), expected, "cut {cut} chunk {chunk}"),
                    Err(FeedError::Read(e)) => {
                        assert_eq!(Err(e), expected, "cut {cut} chunk {chunk}")
                    }
                    Err(e) => panic!("cut {cut}: {e}"),
                }
            }
        }
        // Unwritten storage after the end and after a cut.
        let mut filled = full.clone();
        filled.extend_from_slice(&[0xFF; 700]);
        same_as_slice(&filled, "complete, then 0xFF fill");
        let mut cut_filled = full[..full.len() / 2].to_vec();
        cut_filled.extend_from_slice(&[0x00; 333]);
        same_as_slice(&cut_filled, "cut, then 0x00 fill");
        // Data after the end frame.
        let mut after = full.clone();
        after.extend_from_slice(&[0xFF, 0xFF, 1, 0xFF]);
        same_as_slice(&after, "data after the end");
        // A flipped bit in every tenth byte, one at a time.
        for at in (0..full.len()).step_by(10) {
            let mut damaged = full.clone();
            damaged[at] ^= 0x10;
            for chunk in [1, 3, 64, 300] {
                let expected = Reader::new(&damaged).and_then(|r| r.verify());
                match fed(&damaged, chunk) {
                    Ok((s, _)) => assert_eq!(Ok(s), expected, "flip at {at} chunk {chunk}"),
                    Err(FeedError::Read(e)) => {
                        assert_eq!(Err(e), expected, "flip at {at} chunk {chunk}")
                    }
                    Err(e) => panic!("flip at {at}: {e}"),
                }
            }
        }
    }

    #[test]
    fn resume_points_from_chunks_match_the_slice_scan() {
        use crate::write::ResumePoint;
        let full = container();
        for cut in 0..=full.len() {
            let expected = ResumePoint::scan(&full[..cut]);
            for chunk in [1, 7, 64, 300] {
                let mut buf = [0u8; 128];
                let mut feed = Feed::structure_only(&mut buf);
                let fed: Result<(), FeedError> =
                    full[..cut].chunks(chunk).try_for_each(|c| feed.feed(c));
                let got = fed.and_then(|()| ResumePoint::from_feed(feed));
                match got {
                    Ok(p) => assert_eq!(Ok(p), expected, "cut {cut} chunk {chunk}"),
                    Err(FeedError::Read(e)) => {
                        assert_eq!(Err(e), expected, "cut {cut} chunk {chunk}")
                    }
                    Err(e) => panic!("cut {cut}: {e}"),
                }
            }
        }
    }

    #[test]
    fn a_frame_larger_than_the_buffer_is_refused_with_its_size() {
        let mut block = [0u8; 512];
        let mut w = Writer::new(Vec::new(), &mut block).unwrap();
        let h = w.declare(0, "big", 1, &[]).unwrap();
        w.write_payload(h, &[7; 300]).unwrap();
        let bytes = w.finish().unwrap();
        let mut buf = [0u8; 128];
        let mut feed = Feed::new(&mut buf);
        let e = bytes.chunks(50).try_for_each(|c| feed.feed(c)).unwrap_err();
        assert!(matches!(e, FeedError::BufferTooSmall { needed, .. } if needed > 300));
        // Read in place: the spare part runs out, and `feed` reports it.
        let e = filled(&bytes, 50).unwrap_err();
        assert!(matches!(e, FeedError::BufferTooSmall { needed, .. } if needed > 300));
    }
}
