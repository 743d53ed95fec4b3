//! Reading the values of a payload, with every check of spec `schema.md` §6.

use super::{Error, ErrorKind, Invalid};

/// A position in a payload, for reading.
pub(crate) struct Reader<'a> {
    p: &'a [u8],
    /// Offset of the next byte to read.
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(payload: &'a [u8]) -> Self {
        Reader { p: payload, pos: 0 }
    }

    #[inline]
    fn err(&self, offset: usize, kind: ErrorKind) -> Error {
        Error { offset, kind }
    }

    #[inline]
    pub(crate) fn invalid(&self, offset: usize, why: Invalid) -> Error {
        self.err(offset, ErrorKind::PayloadInvalid(why))
    }

    #[inline]
    fn left(&self) -> usize {
        self.p.len().saturating_sub(self.pos)
    }

    /// Checks that the whole payload has been read.
    pub(crate) fn end(&self) -> Result<(), Error> {
        if self.pos == self.p.len() {
            Ok(())
        } else {
            Err(self.err(self.pos, ErrorKind::PayloadTrailingBytes))
        }
    }

    #[inline]
    pub(crate) fn byte(&mut self) -> Result<u8, Error> {
        match self.p.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.err(self.pos, ErrorKind::PayloadTruncated)),
        }
    }

    /// `n` bytes; a shortfall is reported at `at`, where the value starts.
    #[inline]
    fn take(&mut self, n: usize, at: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.p.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.err(at, ErrorKind::PayloadTruncated)),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let at = self.pos;
        let s = self.take(N, at)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// A canonical varint of at most `max_len` bytes and at most `max`.
    #[inline]
    fn varint(&mut self, max_len: usize, max: u64) -> Result<u64, Error> {
        let at = self.pos;
        // One-byte fast path.
        if let Some(&b) = self.p.get(at) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        let mut v: u64 = 0;
        for i in 0..max_len {
            let Some(&b) = self.p.get(at + i) else {
                return Err(self.err(at, ErrorKind::PayloadTruncated));
            };
            let group = u64::from(b & 0x7F);
            let shift = 7 * i as u32;
            if shift > 0 && group.leading_zeros() < shift {
                // Bits past 64 (only reachable in the tenth byte).
                return Err(self.invalid(at, Invalid::VarintOutOfRange));
            }
            v |= group << shift;
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(self.invalid(at, Invalid::VarintNonCanonical));
                }
                if v > max {
                    return Err(self.invalid(at, Invalid::VarintOutOfRange));
                }
                self.pos = at + i + 1;
                return Ok(v);
            }
        }
        Err(self.invalid(at, Invalid::VarintOutOfRange))
    }

    /// A canonical 128-bit varint (at most 19 bytes).
    fn varint128(&mut self) -> Result<u128, Error> {
        let at = self.pos;
        let mut v: u128 = 0;
        for i in 0..19usize {
            let Some(&b) = self.p.get(at + i) else {
                return Err(self.err(at, ErrorKind::PayloadTruncated));
            };
            let group = u128::from(b & 0x7F);
            let shift = 7 * i as u32;
            if shift > 0 && group.leading_zeros() < shift {
                return Err(self.invalid(at, Invalid::VarintOutOfRange));
            }
            v |= group << shift;
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(self.invalid(at, Invalid::VarintNonCanonical));
                }
                self.pos = at + i + 1;
                return Ok(v);
            }
        }
        Err(self.invalid(at, Invalid::VarintOutOfRange))
    }

    #[inline]
    pub(crate) fn bool(&mut self) -> Result<bool, Error> {
        let at = self.pos;
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(self.invalid(at, Invalid::Bool { byte })),
        }
    }

    /// An option's tag: whether a value follows.
    #[inline]
    pub(crate) fn option(&mut self) -> Result<bool, Error> {
        let at = self.pos;
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(self.invalid(at, Invalid::OptionTag { byte })),
        }
    }

    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        self.varint(3, u16::MAX.into()).map(|v| v as u16)
    }

    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        self.varint(5, u32::MAX.into()).map(|v| v as u32)
    }

    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        self.varint(10, u64::MAX)
    }

    pub(crate) fn u128(&mut self) -> Result<u128, Error> {
        self.varint128()
    }

    #[inline]
    pub(crate) fn i16(&mut self) -> Result<i16, Error> {
        self.varint(3, u16::MAX.into())
            .map(|v| crate::varint::unzigzag(v) as i16)
    }

    #[inline]
    pub(crate) fn i32(&mut self) -> Result<i32, Error> {
        self.varint(5, u32::MAX.into())
            .map(|v| crate::varint::unzigzag(v) as i32)
    }

    #[inline]
    pub(crate) fn i64(&mut self) -> Result<i64, Error> {
        self.varint(10, u64::MAX).map(crate::varint::unzigzag)
    }

    pub(crate) fn i128(&mut self) -> Result<i128, Error> {
        self.varint128().map(crate::varint::unzigzag128)
    }

    #[inline]
    pub(crate) fn f32(&mut self) -> Result<f32, Error> {
        self.array().map(f32::from_le_bytes)
    }

    #[inline]
    pub(crate) fn f64(&mut self) -> Result<f64, Error> {
        self.array().map(f64::from_le_bytes)
    }

    pub(crate) fn char(&mut self) -> Result<char, Error> {
        let at = self.pos;
        let n = self.varint(10, u64::MAX)?;
        if !(1..=4).contains(&n) {
            return Err(self.invalid(at, Invalid::Char));
        }
        let b = self.take(n as usize, at)?;
        let mut chars = match core::str::from_utf8(b) {
            Ok(s) => s.chars(),
            Err(_) => return Err(self.invalid(at, Invalid::Char)),
        };
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(self.invalid(at, Invalid::Char)),
        }
    }

    /// A length-prefixed run of bytes.
    #[inline]
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let at = self.pos;
        let n = self.varint(10, u64::MAX)?;
        let n = usize::try_from(n).map_err(|_| self.err(at, ErrorKind::PayloadTruncated))?;
        self.take(n, at)
    }

    #[inline]
    pub(crate) fn str(&mut self) -> Result<&'a str, Error> {
        let b = self.bytes()?;
        core::str::from_utf8(b).map_err(|e| {
            let start = self.pos - b.len();
            self.invalid(start + e.valid_up_to(), Invalid::Utf8)
        })
    }

    /// A variant index, below `count`.
    #[inline]
    pub(crate) fn variant(&mut self, count: u32) -> Result<u32, Error> {
        let at = self.pos;
        let index = self.u32()?;
        if index >= count {
            return Err(self.invalid(at, Invalid::VariantIndex { index, count }));
        }
        Ok(index)
    }

    /// A sequence or map count, checked against its limit (spec `schema.md`
    /// §6) before any element is read: the bytes left in the payload. Every
    /// element takes at least one byte (a checked definition has no
    /// zero-size elements, spec §4), so a larger count cannot be valid, and
    /// the loop over the elements is bounded by the payload's length.
    #[inline]
    pub(crate) fn count(&mut self) -> Result<usize, Error> {
        let at = self.pos;
        let n = self.varint(10, u64::MAX)?;
        let limit = self.left() as u64;
        if n > limit {
            return Err(self.invalid(at, Invalid::Count { count: n, limit }));
        }
        // n ≤ the payload's length: it fits a usize.
        Ok(n as usize)
    }
}
