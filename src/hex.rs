//! Bytes as lowercase hex digits, two per byte: how the JSON mapping writes
//! byte strings (spec `schema.md` §9) and how the test vectors and the
//! command line show raw bytes. Reading accepts either case.
//!
//! The digit functions and [`Hex`] need no allocator; [`encode`],
//! [`decode`] and [`decode_into`] need `alloc`.
//!
//! ```
//! use koffer::hex::{self, Hex};
//!
//! assert_eq!(format!("{}", Hex(&[0x00, 0xAB, 0x10])), "00ab10");
//! # #[cfg(feature = "alloc")] {
//! assert_eq!(hex::encode(&[0xDE, 0xAD]), "dead");
//! assert_eq!(hex::decode("DEad"), Ok(vec![0xDE, 0xAD]));
//! assert_eq!(
//!     hex::decode("dex"),
//!     Err(hex::HexError { offset: 3, kind: hex::HexErrorKind::OddLength })
//! );
//! # }
//! ```

use core::fmt;

/// The sixteen lowercase digits.
pub const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The two lowercase digits of `byte`, high nibble first.
///
/// ```
/// assert_eq!(koffer::hex::pair(0x7F), *b"7f");
/// ```
#[inline]
pub const fn pair(byte: u8) -> [u8; 2] {
    [DIGITS[(byte >> 4) as usize], DIGITS[(byte & 0xF) as usize]]
}

/// The value of one hex digit of either case, or `None`.
///
/// ```
/// assert_eq!(koffer::hex::digit(b'B'), Some(11));
/// assert_eq!(koffer::hex::digit(b'g'), None);
/// ```
#[inline]
pub const fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Displays bytes as lowercase hex, with no allocation.
///
/// ```
/// assert_eq!(format!("{}", koffer::hex::Hex(b"\x01\xff")), "01ff");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            let [h, l] = pair(b);
            f.write_str(core::str::from_utf8(&[h, l]).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// Why hex digits could not be read as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HexError {
    /// Offset of the offending digit in the text (for [`HexErrorKind::OddLength`]
    /// and [`HexErrorKind::LengthMismatch`], the text's length).
    pub offset: usize,
    /// What was wrong.
    pub kind: HexErrorKind,
}

/// What was wrong, in a [`HexError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HexErrorKind {
    /// An odd number of digits.
    OddLength,
    /// A character that is not a hex digit.
    NotHex,
    /// An even number of digits, but not the number the output needs
    /// ([`decode_to_slice`]): `expected` digits, twice the output's length.
    LengthMismatch {
        /// The number of digits the output needs.
        expected: usize,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            HexErrorKind::OddLength => write!(
                f,
                "expected an even number of hex digits, found {}",
                self.offset
            ),
            HexErrorKind::NotHex => write!(f, "expected a hex digit at digit {}", self.offset),
            HexErrorKind::LengthMismatch { expected } => {
                write!(f, "expected {expected} hex digits, found {}", self.offset)
            }
        }
    }
}

impl core::error::Error for HexError {}

/// Decodes hex digits into `out`, which must hold exactly half as many
/// bytes; nothing is read past the first error. No allocation. An odd
/// number of digits is [`HexErrorKind::OddLength`]; an even number that does
/// not fill `out` exactly is [`HexErrorKind::LengthMismatch`].
///
/// ```
/// let mut out = [0u8; 2];
/// koffer::hex::decode_to_slice(b"beef", &mut out).unwrap();
/// assert_eq!(out, [0xBE, 0xEF]);
/// ```
pub fn decode_to_slice(text: &[u8], out: &mut [u8]) -> Result<(), HexError> {
    if !text.len().is_multiple_of(2) {
        return Err(HexError {
            offset: text.len(),
            kind: HexErrorKind::OddLength,
        });
    }
    if text.len() / 2 != out.len() {
        return Err(HexError {
            offset: text.len(),
            kind: HexErrorKind::LengthMismatch {
                expected: 2 * out.len(),
            },
        });
    }
    for (i, (p, o)) in text.chunks_exact(2).zip(out.iter_mut()).enumerate() {
        *o = byte_at(p, 2 * i)?;
    }
    Ok(())
}

/// The byte of two digits `p`, at digit offset `at`.
#[inline]
fn byte_at(p: &[u8], at: usize) -> Result<u8, HexError> {
    let not_hex = |offset| HexError {
        offset,
        kind: HexErrorKind::NotHex,
    };
    let h = digit(p[0]).ok_or(not_hex(at))?;
    let l = digit(p[1]).ok_or(not_hex(at + 1))?;
    Ok(h << 4 | l)
}

/// `bytes` as a string of lowercase hex (feature `alloc`).
///
/// ```
/// assert_eq!(koffer::hex::encode(&[0x0A, 0xFF]), "0aff");
/// ```
#[cfg(feature = "alloc")]
pub fn encode(bytes: &[u8]) -> alloc::string::String {
    let mut s = alloc::string::String::with_capacity(2 * bytes.len());
    for &b in bytes {
        let [h, l] = pair(b);
        s.push(char::from(h));
        s.push(char::from(l));
    }
    s
}

/// Appends the bytes of the hex digits `text` (either case) to `out`
/// (feature `alloc`). On error `out` may hold part of the bytes.
///
/// ```
/// let mut out = vec![1];
/// koffer::hex::decode_into(b"0203", &mut out).unwrap();
/// assert_eq!(out, [1, 2, 3]);
/// ```
#[cfg(feature = "alloc")]
pub fn decode_into(text: &[u8], out: &mut alloc::vec::Vec<u8>) -> Result<(), HexError> {
    if !text.len().is_multiple_of(2) {
        return Err(HexError {
            offset: text.len(),
            kind: HexErrorKind::OddLength,
        });
    }
    out.reserve(text.len() / 2);
    for (i, p) in text.chunks_exact(2).enumerate() {
        out.push(byte_at(p, 2 * i)?);
    }
    Ok(())
}

/// The bytes of the hex digits `text`, either case (feature `alloc`).
///
/// ```
/// assert_eq!(koffer::hex::decode("0aFF"), Ok(vec![0x0A, 0xFF]));
/// assert_eq!(
///     koffer::hex::decode("0g").unwrap_err().kind,
///     koffer::hex::HexErrorKind::NotHex
/// );
/// ```
#[cfg(feature = "alloc")]
pub fn decode(text: &str) -> Result<alloc::vec::Vec<u8>, HexError> {
    let mut out = alloc::vec::Vec::new();
    decode_into(text.as_bytes(), &mut out)?;
    Ok(out)
}

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        let all: [u8; 256] = core::array::from_fn(|i| i as u8);
        let mut text = [0u8; 512];
        for (i, &b) in all.iter().enumerate() {
            text[2 * i..2 * i + 2].copy_from_slice(&pair(b));
        }
        let mut back = [0u8; 256];
        decode_to_slice(&text, &mut back).unwrap();
        assert_eq!(back, all);
        text.make_ascii_uppercase();
        decode_to_slice(&text, &mut back).unwrap();
        assert_eq!(back, all);
    }

    #[test]
    fn errors_name_the_digit() {
        let mut out = [0u8; 2];
        let e = |offset, kind| Err(HexError { offset, kind });
        assert_eq!(
            decode_to_slice(b"abc", &mut out),
            e(3, HexErrorKind::OddLength)
        );
        assert_eq!(
            decode_to_slice(b"ab", &mut out),
            e(2, HexErrorKind::LengthMismatch { expected: 4 })
        );
        assert_eq!(
            decode_to_slice(b"abcdef", &mut out),
            e(6, HexErrorKind::LengthMismatch { expected: 4 })
        );
        assert_eq!(
            decode_to_slice(b"abcde", &mut out),
            e(5, HexErrorKind::OddLength)
        );
        #[cfg(feature = "alloc")]
        assert_eq!(
            alloc::string::ToString::to_string(&HexError {
                offset: 2,
                kind: HexErrorKind::LengthMismatch { expected: 4 }
            }),
            "expected 4 hex digits, found 2"
        );
        assert_eq!(
            decode_to_slice(b"ab0x", &mut out),
            e(3, HexErrorKind::NotHex)
        );
        assert_eq!(
            decode_to_slice(b" b00", &mut out),
            e(0, HexErrorKind::NotHex)
        );
        for c in 0..=255u8 {
            assert_eq!(digit(c).is_some(), c.is_ascii_hexdigit(), "{c}");
        }
    }
}
