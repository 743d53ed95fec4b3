//! Frames: kind, length, head check, body, checksum (spec `format.md` §4).
//!
//! ```text
//! kind        u8        what the body is (see [`kind`])
//! length      u24 LE    body length in bytes, at most MAX_FRAME_BODY
//! head_check  u8        low byte of CRC-32C over kind and length
//! body        length bytes
//! checksum    u32 LE    CRC-32C over the 4 bytes before the frame, then
//!                       kind, length, head_check and body
//! ```
//!
//! The head check lets a reader tell a damaged length (corruption) from a frame
//! cut off by the end of the input (a torn write): the head has a fixed size,
//! so every single-bit error in kind, length or head check is caught before
//! the length is trusted.
//!
//! The checksum also covers the 4 bytes just before the frame — the previous
//! frame's checksum, or the header's for the first frame — so frames form a
//! chain: a frame removed, repeated or moved breaks the next checksum, while
//! each frame can still be checked with nothing but the bytes around it.
//! [`Chain`] writes frames so chained.
//!
//! ```
//! use koffer::frame::{self, kind, FrameHead};
//! let prev = [0x11, 0x22, 0x33, 0x44]; // the checksum field before this frame
//! // An ancillary vendor frame with a 2-byte body.
//! let mut bytes = FrameHead::new(kind::VENDOR_FIRST, 2).as_bytes().to_vec();
//! bytes.extend_from_slice(&[0xAB, 0xCD]);
//! let crc = frame::checksum(&prev, &bytes);
//! bytes.extend_from_slice(&crc.to_le_bytes());
//! let f = frame::parse(&prev, &bytes).unwrap();
//! assert_eq!((f.kind, f.body, f.size), (0x60, &[0xAB, 0xCD][..], 11));
//! assert!(frame::parse(&[0; 4], &bytes).is_err()); // not where it was written
//! ```

use crate::{crc, limits};

mod chain;

pub use chain::Chain;

/// Frame kinds and their ranges (spec `format.md` §4.2).
///
/// A kind is *critical* (a reader that does not know it must stop) or
/// *ancillary* (a reader that does not know it skips it). Kinds `0x40..=0x7F`
/// are ancillary; all other valid kinds are critical.
pub mod kind {
    /// Never valid: zeroed storage.
    pub const INVALID_ZERO: u8 = 0x00;
    /// Metadata: typed key/value entries.
    pub const METADATA: u8 = 0x01;
    /// Schema: declares a record type.
    pub const SCHEMA: u8 = 0x02;
    /// Block: records of one record type.
    pub const BLOCK: u8 = 0x03;
    /// End: marks the container complete and carries its totals.
    pub const END: u8 = 0x04;
    /// First kind reserved for future critical frames.
    pub const RESERVED_CRITICAL_FIRST: u8 = 0x05;
    /// Last kind reserved for future critical frames.
    pub const RESERVED_CRITICAL_LAST: u8 = 0x3F;
    /// First kind reserved for ancillary frames defined by this specification.
    pub const RESERVED_ANCILLARY_FIRST: u8 = 0x40;
    /// KEY: the key that signs the seals (spec `seal.md` §3, format 1.2).
    pub const KEY: u8 = 0x40;
    /// SEAL: a signed seal over every byte before it (spec `seal.md` §4, format 1.2).
    pub const SEAL: u8 = 0x41;
    /// Last kind reserved for future ancillary frames defined by this specification.
    pub const RESERVED_ANCILLARY_LAST: u8 = 0x5F;
    /// First vendor kind: vendors may use `0x60..=0x7F` for their own ancillary frames.
    pub const VENDOR_FIRST: u8 = 0x60;
    /// Last vendor kind.
    pub const VENDOR_LAST: u8 = 0x7F;
    /// Never valid: erased flash.
    pub const INVALID_ERASED: u8 = 0xFF;

    /// How a reader treats a frame kind.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub enum Class {
        /// `0x00` or `0xFF`: never a frame.
        Invalid,
        /// A reader must understand the frame or stop.
        Critical,
        /// A reader that does not understand the frame skips it.
        Ancillary,
    }

    /// The class of `kind`.
    pub const fn class(kind: u8) -> Class {
        match kind {
            INVALID_ZERO | INVALID_ERASED => Class::Invalid,
            RESERVED_ANCILLARY_FIRST..=VENDOR_LAST => Class::Ancillary,
            _ => Class::Critical,
        }
    }
}

/// A frame whose checksum has been verified; the body is not yet interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// The frame kind.
    pub kind: u8,
    /// The body bytes.
    pub body: &'a [u8],
    /// Offset of the body from the start of the frame.
    pub body_start: usize,
    /// The whole frame's size in bytes: kind, length, body and checksum.
    pub size: usize,
}

/// Why a frame could not be read.
///
/// ```
/// use koffer::frame::{self, FrameHead};
/// // A frame head (kind 0x04, body of 3 bytes) and nothing more.
/// let head = FrameHead::new(0x04, 3);
/// assert_eq!(frame::parse(&[0; 4], head.as_bytes()), Err(frame::Error::Truncated));
/// assert_eq!(frame::Error::Truncated.to_string(), "the input ends inside the frame");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The kind byte is `0x00` or `0xFF`.
    InvalidKind(u8),
    /// The input ends inside the frame.
    Truncated,
    /// The head check does not match kind and length.
    HeadCheck {
        /// Head check stored in the frame.
        stored: u8,
        /// Head check computed over kind and length.
        computed: u8,
    },
    /// The declared body length exceeds [`limits::MAX_FRAME_BODY`].
    TooLarge(u32),
    /// The stored checksum does not match the frame.
    Checksum {
        /// Checksum stored in the frame.
        stored: u32,
        /// Checksum computed over kind, length and body.
        computed: u32,
        /// The frame's size as its length field declares it.
        size: usize,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Truncated => f.write_str("the input ends inside the frame"),
            e => crate::error::Error::from_frame(0, *e).kind.fmt(f),
        }
    }
}

impl core::error::Error for Error {}

/// The head check of a frame head (kind and length bytes).
#[inline]
pub fn head_check(kind_and_length: &[u8]) -> u8 {
    // On a host, without a checksum call (one instruction or 4 lookups);
    // on a device, the checksum (no table, no code of its own).
    #[cfg(any(
        feature = "std",
        all(target_arch = "x86_64", target_feature = "sse4.2")
    ))]
    if let &[k, l0, l1, l2] = kind_and_length {
        return crc::low_byte_4([k, l0, l1, l2]);
    }
    crc::checksum(kind_and_length) as u8
}

/// The checksum of a frame: CRC-32C over `prev` (the 4 bytes before the frame)
/// and `frame` (kind, length, head check and body).
pub fn checksum(prev: &[u8; 4], frame: &[u8]) -> u32 {
    let mut crc = crc::Crc32c::new();
    crc.update(prev);
    crc.update(frame);
    crc.finish()
}

/// Reads the frame at the start of `input` and verifies its checks; `prev`
/// holds the 4 bytes before the frame.
///
/// The checks run in this order: kind byte valid, head complete, head check,
/// length within the limit, frame complete in `input`, checksum.
pub fn parse<'a>(prev: &[u8; 4], input: &'a [u8]) -> Result<RawFrame<'a>, Error> {
    parse_with(input, |frame| checksum(prev, frame))
}

/// [`parse`] of the frame at `with_prev[4..]`, the 4 bytes before it (the
/// previous frame's checksum, or the header's) in place in front of it: the
/// checksum is one CRC-32C pass over contiguous bytes.
///
/// Inlined into the walk on a 64-bit host: returned through memory, the
/// frame's fields were read back before their stores had completed (a
/// stall of the whole walk; `perf` on `koffer verify`). One caller.
#[cfg_attr(target_pointer_width = "64", inline(always))]
pub(crate) fn parse_chained(with_prev: &[u8]) -> Result<RawFrame<'_>, Error> {
    parse_with(&with_prev[4..], |frame| {
        crc::checksum(&with_prev[..4 + frame.len()])
    })
}

#[inline(always)]
fn parse_with<'a>(
    input: &'a [u8],
    checksum: impl FnOnce(&[u8]) -> u32,
) -> Result<RawFrame<'a>, Error> {
    let Some(&kind) = input.first() else {
        return Err(Error::Truncated);
    };
    if kind::class(kind) == kind::Class::Invalid {
        return Err(Error::InvalidKind(kind));
    }
    let Some(head) = input.get(..FrameHead::LEN) else {
        return Err(Error::Truncated);
    };
    let (stored, computed) = (head[4], head_check(&head[..4]));
    if stored != computed {
        return Err(Error::HeadCheck { stored, computed });
    }
    let len = u32::from_le_bytes([head[1], head[2], head[3], 0]);
    if len > limits::MAX_FRAME_BODY {
        return Err(Error::TooLarge(len));
    }
    let body_start = FrameHead::LEN;
    let body_end = body_start + len as usize;
    let size = body_end + 4;
    let Some(frame) = input.get(..size) else {
        return Err(Error::Truncated);
    };
    let stored = u32::from_le_bytes([
        frame[body_end],
        frame[body_end + 1],
        frame[body_end + 2],
        frame[body_end + 3],
    ]);
    let computed = checksum(&frame[..body_end]);
    if stored != computed {
        return Err(Error::Checksum {
            stored,
            computed,
            size,
        });
    }
    Ok(RawFrame {
        kind,
        body: &frame[body_start..body_end],
        body_start,
        size,
    })
}

/// The bytes before a frame's body: kind, length (u24 LE) and head check.
///
/// ```
/// let head = koffer::frame::FrameHead::new(koffer::frame::kind::END, 300);
/// assert_eq!(&head.as_bytes()[..4], &[0x04, 0x2C, 0x01, 0x00]);
/// assert_eq!(head.as_bytes()[4], koffer::frame::head_check(&[0x04, 0x2C, 0x01, 0x00]));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FrameHead {
    bytes: [u8; FrameHead::LEN],
}

impl FrameHead {
    /// Length of a frame head: kind, 3-byte length, head check.
    pub const LEN: usize = 5;

    /// Largest length the 3-byte field holds; the format's limit is lower
    /// ([`limits::MAX_FRAME_BODY`]).
    pub const MAX_FIELD: u32 = 0x00FF_FFFF;

    /// The head of a frame of `kind` with a body of `body_len` bytes. Lengths
    /// above [`FrameHead::MAX_FIELD`] are stored as `MAX_FIELD` (a reader refuses
    /// both as over the limit).
    pub fn new(kind: u8, body_len: u32) -> Self {
        let len = body_len.min(Self::MAX_FIELD).to_le_bytes();
        let mut bytes = [kind, len[0], len[1], len[2], 0];
        bytes[4] = head_check(&bytes[..4]);
        FrameHead { bytes }
    }

    /// Kind byte, length, head check.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREV: [u8; 4] = [1, 2, 3, 4];

    fn frame(kind: u8, body: &[u8]) -> ([u8; 64], usize) {
        let mut out = [0u8; 64];
        let head = FrameHead::new(kind, body.len() as u32);
        let h = head.as_bytes();
        out[..h.len()].copy_from_slice(h);
        out[h.len()..h.len() + body.len()].copy_from_slice(body);
        let n = h.len() + body.len();
        let crc = checksum(&PREV, &out[..n]);
        out[n..n + 4].copy_from_slice(&crc.to_le_bytes());
        (out, n + 4)
    }

    #[test]
    fn classes() {
        assert_eq!(kind::class(0x00), kind::Class::Invalid);
        assert_eq!(kind::class(0xFF), kind::Class::Invalid);
        for k in 0x01..=0x3F {
            assert_eq!(kind::class(k), kind::Class::Critical, "{k:#x}");
        }
        for k in 0x40..=0x7F {
            assert_eq!(kind::class(k), kind::Class::Ancillary, "{k:#x}");
        }
        for k in 0x80..=0xFE {
            assert_eq!(kind::class(k), kind::Class::Critical, "{k:#x}");
        }
    }

    #[test]
    fn parse_round_trip_and_every_prefix_is_truncated() {
        let (buf, n) = frame(kind::END, &[1, 2, 3]);
        let f = parse(&PREV, &buf[..n]).unwrap();
        assert_eq!(f.kind, kind::END);
        assert_eq!(f.body, &[1, 2, 3]);
        assert_eq!(f.size, n);
        for cut in 0..n {
            assert_eq!(
                parse(&PREV, &buf[..cut]),
                Err(Error::Truncated),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn head_check_catches_every_single_bit_error_in_the_head() {
        // The head check is linear in the flipped bit, so checking every bit
        // position of every head length covers every head.
        for body_len in [0u32, 1, 127, 128, 16_383, 16_384, 1 << 20] {
            let head = FrameHead::new(kind::BLOCK, body_len);
            let h = head.as_bytes();
            for bit in 0..h.len() * 8 {
                let mut b = [0u8; FrameHead::LEN];
                b[..h.len()].copy_from_slice(h);
                b[bit / 8] ^= 1 << (bit % 8);
                let n = h.len() - 1;
                assert_ne!(head_check(&b[..n]), b[n], "len {body_len} bit {bit}");
            }
        }
    }

    #[test]
    fn every_bit_flip_is_caught() {
        let (buf, n) = frame(kind::METADATA, &[9, 8, 7, 6]);
        for bit in 0..n * 8 {
            let mut b = buf;
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(parse(&PREV, &b[..n]).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn limits_and_kinds() {
        assert_eq!(
            parse(&PREV, &[0xFF, 0, 0, 0, 0, 0]),
            Err(Error::InvalidKind(0xFF))
        );
        assert_eq!(parse(&PREV, &[0x00]), Err(Error::InvalidKind(0)));
        // 2^20 + 1
        let too_large = FrameHead::new(kind::BLOCK, (1 << 20) + 1);
        assert_eq!(
            parse(&PREV, too_large.as_bytes()),
            Err(Error::TooLarge((1 << 20) + 1))
        );
        assert!(matches!(
            parse(&PREV, &[kind::BLOCK, 0x01, 0x00, 0x10, 0x00]),
            Err(Error::HeadCheck { .. })
        ));
    }
}
