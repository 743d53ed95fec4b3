//! Sinks: where the writer's bytes go.
//!
//! The writer takes any [`embedded_io::Write`]. This module adds a sink over a
//! `&mut [u8]` that knows how much it holds, and (feature `std`) an adapter
//! for [`std::io::Write`].

use embedded_io::{ErrorType, SliceWriteError, Write};

/// A sink over a caller's byte slice.
///
/// ```
/// use koffer::write::{SliceSink, Writer};
/// let mut out = [0u8; 128];
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(SliceSink::new(&mut out), &mut buf).unwrap();
/// let t = w.declare(0, "t", 1, &[]).unwrap();
/// w.write_serialized(t, &21.5f32).unwrap();
/// let n = w.finish().unwrap().len();
/// assert!(koffer::read::Reader::new(&out[..n]).unwrap().verify().unwrap().is_complete());
/// ```
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// An empty sink over `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceSink { buf, len: 0 }
    }

    /// A sink over `buf` whose first `len` bytes are already written (for resuming).
    ///
    /// `len` is clamped to the length of `buf`.
    pub fn resume_at(buf: &'a mut [u8], len: usize) -> Self {
        let len = len.min(buf.len());
        SliceSink { buf, len }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The written bytes.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Gives the slice back.
    pub fn into_inner(self) -> &'a mut [u8] {
        self.buf
    }
}

impl ErrorType for SliceSink<'_> {
    type Error = SliceWriteError;
}

impl Write for SliceSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SliceWriteError> {
        let free = self.buf.len() - self.len;
        if free == 0 && !bytes.is_empty() {
            return Err(SliceWriteError::Full);
        }
        let n = free.min(bytes.len());
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        Ok(n)
    }

    // Out of line: the writer calls it for the header, every piece of a frame
    // and every checksum; one copy costs the device less flash than one per call.
    #[inline(never)]
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), SliceWriteError> {
        // All or nothing, so a full slice never holds a partial piece.
        let dst = self
            .buf
            .get_mut(self.len..self.len + bytes.len())
            .ok_or(SliceWriteError::Full)?;
        dst.copy_from_slice(bytes);
        self.len += bytes.len();
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SliceWriteError> {
        Ok(())
    }
}

/// Adapts a [`std::io::Write`] (a file, a socket, a `BufWriter`) to the writer.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct IoSink<W>(pub W);

#[cfg(feature = "std")]
impl<W> ErrorType for IoSink<W> {
    type Error = std::io::Error;
}

#[cfg(feature = "std")]
impl<W: std::io::Write> Write for IoSink<W> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, std::io::Error> {
        self.0.write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), std::io::Error> {
        self.0.write_all(bytes)
    }

    fn flush(&mut self) -> Result<(), std::io::Error> {
        self.0.flush()
    }
}
