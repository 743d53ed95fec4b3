//! Varints: unsigned LEB128, canonical (spec `format.md` §2.2).
//!
//! Every length, count and identifier in koffer's framing is a varint: seven
//! value bits per byte, least significant group first, the high bit set on
//! every byte but the last. The encoding is canonical: the last byte of a
//! varint longer than one byte is never `0x00`, and a value never takes more
//! bytes than its width allows (5 for `u32`, 10 for `u64`).
//!
//! Record payloads (spec `schema.md` §6, postcard's encoding) use the same
//! varints for integers wider than a byte, up to 128 bits, and *zigzag* for
//! signed ones. This module is the one implementation of both in koffer.
//!
//! ```
//! use koffer::varint;
//!
//! let mut buf = [0u8; varint::MAX_LEN_U64];
//! assert_eq!(varint::encode_u64(300, &mut buf), &[0xAC, 0x02]);
//! assert_eq!(varint::decode_u64(&[0xAC, 0x02]), Ok((300, 2)));
//!
//! // A signed payload integer: zigzag, then the varint.
//! assert_eq!(varint::zigzag(-3), 5);
//! assert_eq!(varint::encode_u64(varint::zigzag(-3), &mut buf), &[0x05]);
//! assert_eq!(varint::unzigzag(5), -3);
//!
//! // 128-bit payload integers take up to 19 bytes.
//! let mut wide = [0u8; varint::MAX_LEN_U128];
//! assert_eq!(varint::encode_u128(u128::MAX, &mut wide).len(), 19);
//! ```

#[cfg(feature = "alloc")]
extern crate alloc;

/// Largest number of bytes a `u32` varint takes.
pub const MAX_LEN_U32: usize = 5;
/// Largest number of bytes a `u64` varint takes.
pub const MAX_LEN_U64: usize = 10;
/// Largest number of bytes a `u128` varint takes (payload integers only).
pub const MAX_LEN_U128: usize = 19;

/// Why a varint could not be decoded.
///
/// ```
/// use koffer::varint;
/// assert_eq!(varint::decode_u64(&[0x80]), Err(varint::Error::Truncated));
/// assert_eq!(varint::decode_u64(&[0x80, 0x00]), Err(varint::Error::NonCanonical));
/// assert_eq!(varint::Error::Truncated.to_string(), "the input ends inside the varint");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The input ended before the last byte of the varint.
    Truncated,
    /// The value does not fit the expected width, or it uses more bytes than needed.
    NonCanonical,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::Truncated => "the input ends inside the varint",
            Error::NonCanonical => "the varint is not canonical or overflows",
        })
    }
}

impl core::error::Error for Error {}

/// Encodes `value` into `buf` and returns the bytes written.
///
/// ```
/// let mut buf = [0u8; koffer::varint::MAX_LEN_U64];
/// assert_eq!(koffer::varint::encode_u64(127, &mut buf), &[0x7F]);
/// assert_eq!(koffer::varint::encode_u64(128, &mut buf), &[0x80, 0x01]);
/// ```
pub const fn encode_u64(value: u64, buf: &mut [u8; MAX_LEN_U64]) -> &[u8] {
    let n = encode_into(value, buf);
    buf.split_at(n).0
}

/// Encodes a 128-bit `value` into `buf` and returns the bytes written.
///
/// ```
/// let mut buf = [0u8; koffer::varint::MAX_LEN_U128];
/// assert_eq!(koffer::varint::encode_u128(1 << 70, &mut buf).len(), 11);
/// ```
pub fn encode_u128(mut value: u128, buf: &mut [u8; MAX_LEN_U128]) -> &[u8] {
    let mut n = 0;
    while value >= 0x80 {
        buf[n] = value as u8 | 0x80;
        value >>= 7;
        n += 1;
    }
    buf[n] = value as u8;
    &buf[..n + 1]
}

/// Appends the varint of `value` to `out` (feature `alloc`).
///
/// ```
/// let mut out = vec![0xFF];
/// koffer::varint::push_u64(&mut out, 300);
/// assert_eq!(out, [0xFF, 0xAC, 0x02]);
/// ```
#[cfg(feature = "alloc")]
#[inline]
pub fn push_u64(out: &mut alloc::vec::Vec<u8>, value: u64) {
    let mut buf = [0u8; MAX_LEN_U64];
    out.extend_from_slice(encode_u64(value, &mut buf));
}

/// Appends the varint of a 128-bit `value` to `out` (feature `alloc`).
///
/// ```
/// let mut out = Vec::new();
/// koffer::varint::push_u128(&mut out, u128::from(u64::MAX) + 1);
/// assert_eq!(out, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]);
/// ```
#[cfg(feature = "alloc")]
pub fn push_u128(out: &mut alloc::vec::Vec<u8>, value: u128) {
    let mut buf = [0u8; MAX_LEN_U128];
    out.extend_from_slice(encode_u128(value, &mut buf));
}

/// Encodes `value` at the start of `out` and returns its length.
///
/// Lets fixed-size headers be encoded in place, without a copy through a
/// temporary; `const` for the definitions and fingerprints computed at
/// compile time. Panics if `out` is shorter than the encoding.
pub(crate) const fn encode_into(mut value: u64, out: &mut [u8]) -> usize {
    let mut n = 0;
    while value >= 0x80 {
        out[n] = value as u8 | 0x80;
        value >>= 7;
        n += 1;
    }
    out[n] = value as u8;
    n + 1
}

/// Number of bytes the varint encoding of `value` takes.
///
/// A loop rather than a count of leading zeros and a division: less code on
/// a 32-bit device, and the compiler folds it away for constant values (the
/// writer's schema frames).
pub const fn encoded_len(mut value: u64) -> usize {
    let mut n = 1;
    while value >= 0x80 {
        value >>= 7;
        n += 1;
    }
    n
}

/// Decodes a canonical `u64` varint at the start of `input`.
///
/// Returns the value and the number of bytes it took.
pub fn decode_u64(input: &[u8]) -> Result<(u64, usize), Error> {
    decode(input, MAX_LEN_U64, u64::MAX)
}

/// Decodes a canonical `u32` varint at the start of `input`.
pub fn decode_u32(input: &[u8]) -> Result<(u32, usize), Error> {
    // The value fits `u32` by construction of the bound.
    decode(input, MAX_LEN_U32, u32::MAX as u64).map(|(v, n)| (v as u32, n))
}

fn decode(input: &[u8], max_len: usize, max: u64) -> Result<(u64, usize), Error> {
    let mut value: u64 = 0;
    for i in 0..max_len {
        let Some(&byte) = input.get(i) else {
            return Err(Error::Truncated);
        };
        let group = u64::from(byte & 0x7F);
        let shift = 7 * i as u32;
        // The tenth byte holds bit 63 only; anything above falls off a u64.
        if shift == 63 && group > 1 {
            return Err(Error::NonCanonical);
        }
        value |= group << shift;
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err(Error::NonCanonical);
            }
            if value > max {
                return Err(Error::NonCanonical);
            }
            return Ok((value, i + 1));
        }
    }
    Err(Error::NonCanonical)
}

/// Maps a signed value onto an unsigned one so that small magnitudes stay small
/// (zigzag: 0, -1, 1, -2, … ↦ 0, 1, 2, 3, …), as postcard encodes `i16`,
/// `i32` and `i64` (sign-extend the narrower ones first).
///
/// ```
/// use koffer::varint::zigzag;
/// assert_eq!([0, -1, 1, -2].map(zigzag), [0, 1, 2, 3]);
/// assert_eq!(zigzag(i64::MIN), u64::MAX);
/// ```
pub const fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Inverse of [`zigzag`].
///
/// ```
/// assert_eq!(koffer::varint::unzigzag(u64::MAX), i64::MIN);
/// ```
pub const fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// [`zigzag`] for `i128`.
///
/// ```
/// assert_eq!(koffer::varint::zigzag128(i128::MIN), u128::MAX);
/// ```
pub const fn zigzag128(value: i128) -> u128 {
    ((value << 1) ^ (value >> 127)) as u128
}

/// Inverse of [`zigzag128`].
///
/// ```
/// assert_eq!(koffer::varint::unzigzag128(3), -2);
/// ```
pub const fn unzigzag128(value: u128) -> i128 {
    ((value >> 1) as i128) ^ -((value & 1) as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(v: u64) {
        let mut buf = [0u8; MAX_LEN_U64];
        let enc = encode_u64(v, &mut buf);
        assert_eq!(enc.len(), encoded_len(v), "len of {v}");
        assert_eq!(decode_u64(enc), Ok((v, enc.len())), "value {v}");
    }

    #[test]
    fn boundaries_round_trip() {
        for shift in 0..64 {
            let p = 1u64 << shift;
            roundtrip(p - 1);
            roundtrip(p);
            roundtrip(p + 1);
        }
        roundtrip(u64::MAX);
    }

    #[test]
    fn rejects_non_canonical() {
        assert_eq!(decode_u64(&[0x80, 0x00]), Err(Error::NonCanonical));
        assert_eq!(decode_u64(&[0x81, 0x80, 0x00]), Err(Error::NonCanonical));
        // 11 bytes
        assert_eq!(decode_u64(&[0xFF; 11]), Err(Error::NonCanonical));
        // u64::MAX + 1 territory: tenth byte may only hold one bit.
        let mut too_big = [0xFF; 10];
        too_big[9] = 0x02;
        assert_eq!(decode_u64(&too_big), Err(Error::NonCanonical));
        let mut max = [0xFF; 10];
        max[9] = 0x01;
        assert_eq!(decode_u64(&max), Ok((u64::MAX, 10)));
        // u32 overflow
        assert_eq!(
            decode_u32(&[0xFF, 0xFF, 0xFF, 0xFF, 0x10]),
            Err(Error::NonCanonical)
        );
        assert_eq!(
            decode_u32(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            Ok((u32::MAX, 5))
        );
    }

    #[test]
    fn truncated() {
        assert_eq!(decode_u64(&[]), Err(Error::Truncated));
        assert_eq!(decode_u64(&[0x80]), Err(Error::Truncated));
    }

    #[test]
    fn zigzag_round_trip() {
        for v in [0, -1, 1, -2, 2, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        for v in [
            0,
            -1,
            1,
            -2,
            2,
            i128::MIN,
            i128::MAX,
            i128::from(i64::MIN) - 1,
        ] {
            assert_eq!(unzigzag128(zigzag128(v)), v);
        }
        for v in [0, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(zigzag128(i128::from(v)), u128::from(zigzag(v)));
        }
    }

    #[test]
    fn u128_agrees_with_u64_and_has_19_bytes_at_most() {
        let mut wide = [0u8; MAX_LEN_U128];
        let mut buf = [0u8; MAX_LEN_U64];
        for v in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(
                encode_u128(u128::from(v), &mut wide),
                encode_u64(v, &mut buf)
            );
        }
        let max = encode_u128(u128::MAX, &mut wide);
        assert_eq!(max.len(), MAX_LEN_U128);
        assert_eq!(max[18], 0x03);
    }
}
