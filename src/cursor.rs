//! A bounds-checked reader over a frame body, used by the body parsers.
//!
//! Every method either returns a value that lies wholly inside the body or an
//! error that names the position of the field that failed.

use crate::error::ErrorKind;
use crate::varint;

use crate::error::BodyError;

pub(crate) type BodyResult<T> = Result<T, BodyError>;

pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    pub(crate) fn fail<T>(&self, at: usize, kind: ErrorKind) -> BodyResult<T> {
        Err(BodyError { at, kind })
    }

    fn varint_error(&self, e: varint::Error) -> BodyError {
        BodyError {
            at: self.pos,
            kind: match e {
                varint::Error::Truncated => ErrorKind::BodyTruncated,
                varint::Error::NonCanonical => ErrorKind::BadVarint,
            },
        }
    }

    pub(crate) fn u64(&mut self) -> BodyResult<u64> {
        let (v, n) = varint::decode_u64(self.rest()).map_err(|e| self.varint_error(e))?;
        self.pos += n;
        Ok(v)
    }

    pub(crate) fn u32(&mut self) -> BodyResult<u32> {
        let (v, n) = varint::decode_u32(self.rest()).map_err(|e| self.varint_error(e))?;
        self.pos += n;
        Ok(v)
    }

    /// A varint that must not exceed `max`; `make` builds the error from the value.
    pub(crate) fn u32_max(&mut self, max: u32, make: fn(u64) -> ErrorKind) -> BodyResult<u32> {
        let at = self.pos;
        let v = self.u64()?;
        if v > u64::from(max) {
            return self.fail(at, make(v));
        }
        Ok(v as u32)
    }

    pub(crate) fn byte(&mut self) -> BodyResult<u8> {
        let b = *self.bytes.get(self.pos).ok_or(BodyError {
            at: self.pos,
            kind: ErrorKind::BodyTruncated,
        })?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn take(&mut self, n: usize) -> BodyResult<&'a [u8]> {
        if n > self.remaining() {
            return self.fail(self.pos, ErrorKind::BodyTruncated);
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A name: varint length `1..=MAX_NAME_LEN`, then that many bytes of UTF-8.
    pub(crate) fn name(&mut self) -> BodyResult<&'a str> {
        let at = self.pos;
        let len = self.u32_max(crate::limits::MAX_NAME_LEN, |_| ErrorKind::BadName)?;
        if len == 0 {
            return self.fail(at, ErrorKind::BadName);
        }
        let bytes = self.take(len as usize)?;
        core::str::from_utf8(bytes).or(self.fail(at, ErrorKind::InvalidUtf8))
    }

    /// Fails unless every byte of the body has been consumed.
    pub(crate) fn finish(&self) -> BodyResult<()> {
        if self.remaining() != 0 {
            return self.fail(self.pos, ErrorKind::TrailingBytes);
        }
        Ok(())
    }
}
