//! The file header: signature, version, feature flags (spec `format.md` §3).
//!
//! ```text
//! offset  size  field
//!  0      8     signature   8B 4B 4F 46 0D 0A 1A 0A
//!  8      1     major       1
//!  9      1     minor       0
//! 10      2     required    feature bits, u16 LE: an unknown bit means "refuse"
//! 12      2     optional    feature bits, u16 LE: unknown bits are ignored
//! 14      4     checksum    CRC-32C of bytes 0..14, u32 LE
//! ```
//!
//! ```
//! use koffer::header::{Header, HEADER_LEN};
//! let bytes = Header::CURRENT.to_bytes();
//! assert_eq!(&bytes[..10], b"\x8BKOF\r\n\x1A\n\x01\x00");
//! assert_eq!(Header::parse(&bytes), Ok(Header::CURRENT));
//! assert_eq!(bytes.len(), HEADER_LEN);
//! ```

use crate::crc;

/// The eight bytes every container starts with.
///
/// Like PNG's, the signature catches the usual ways of mangling a binary file
/// in transit: `0x8B` has the high bit set (7-bit channels clear it), `KOF`
/// names the format, `\r\n` is changed by line-ending conversion in either
/// direction, `0x1A` stops DOS `type`, and the final `\n` catches `\n` → `\r\n`.
pub const SIGNATURE: [u8; 8] = *b"\x8BKOF\r\n\x1A\n";

/// True if `input` starts with the signature, or with a prefix of it when
/// shorter. (A byte loop: a slice comparison would link `memcmp`, 116 bytes
/// on a Cortex-M.)
pub(crate) fn starts_like_signature(input: &[u8]) -> bool {
    input.iter().zip(SIGNATURE).all(|(a, b)| *a == b)
}

/// Length of the file header in bytes.
pub const HEADER_LEN: usize = 18;

/// The major version this crate reads and writes.
pub const MAJOR: u8 = 1;
/// The minor version this crate writes; it reads every minor version of [`MAJOR`].
pub const MINOR: u8 = 0;

/// Required feature bits this crate understands (none are defined in 1.0).
pub const KNOWN_REQUIRED_FEATURES: u16 = 0;

/// The parsed file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    /// Major version: a reader refuses a major version it does not know.
    pub major: u8,
    /// Minor version: later minor versions only add what older readers may ignore.
    pub minor: u8,
    /// Feature bits a reader must understand to read the container.
    pub required_features: u16,
    /// Feature bits a reader may ignore.
    pub optional_features: u16,
}

/// Why a header was refused.
///
/// ```
/// use koffer::header::{self, Header};
/// assert_eq!(Header::parse(b"{\"a\":1}"), Err(header::Error::BadSignature));
/// let mut bytes = Header::CURRENT.to_bytes();
/// bytes[8] = 9; // major version 9
/// let e = Header::parse(&bytes).unwrap_err();
/// assert!(matches!(e, header::Error::Checksum { .. }));
/// assert!(e.to_string().starts_with("header checksum mismatch"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// Fewer than [`HEADER_LEN`] bytes, and the ones present match a header.
    Truncated,
    /// The first eight bytes are not the signature.
    BadSignature,
    /// The header checksum does not match.
    Checksum {
        /// The checksum stored in the header.
        stored: u32,
        /// The checksum computed over bytes 0..14.
        computed: u32,
    },
    /// The major version is not one this reader knows.
    UnsupportedVersion {
        /// The major version found.
        major: u8,
        /// The minor version found.
        minor: u8,
    },
    /// A required feature bit this reader does not know is set.
    UnknownRequiredFeatures {
        /// The unknown bits.
        bits: u16,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::error::Error::from_header(*self).kind.fmt(f)
    }
}

impl core::error::Error for Error {}

impl Header {
    /// The header this crate writes.
    pub const CURRENT: Header = Header {
        major: MAJOR,
        minor: MINOR,
        required_features: 0,
        optional_features: 0,
    };

    /// Encodes the header, checksum included.
    ///
    /// A `const fn`: the writer's header is a constant, so the device does not
    /// compute its checksum at run time.
    pub const fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let [r0, r1] = self.required_features.to_le_bytes();
        let [o0, o1] = self.optional_features.to_le_bytes();
        let s = SIGNATURE;
        let head = [
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], self.major, self.minor, r0, r1, o0, o1,
        ];
        let [c0, c1, c2, c3] = crc::checksum_const(&head).to_le_bytes();
        [
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], self.major, self.minor, r0, r1, o0, o1,
            c0, c1, c2, c3,
        ]
    }

    /// Parses and checks the header at the start of `input`.
    ///
    /// The checks run in this order: signature, length, checksum, major
    /// version, required feature bits.
    pub fn parse(input: &[u8]) -> Result<Header, Error> {
        if !starts_like_signature(input) {
            return Err(Error::BadSignature);
        }
        let Some(bytes) = input.get(..HEADER_LEN) else {
            return Err(Error::Truncated);
        };
        let stored = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
        let computed = crc::checksum(&bytes[..14]);
        if stored != computed {
            return Err(Error::Checksum { stored, computed });
        }
        let header = Header {
            major: bytes[8],
            minor: bytes[9],
            required_features: u16::from_le_bytes([bytes[10], bytes[11]]),
            optional_features: u16::from_le_bytes([bytes[12], bytes[13]]),
        };
        if header.major != MAJOR {
            return Err(Error::UnsupportedVersion {
                major: header.major,
                minor: header.minor,
            });
        }
        let unknown = header.required_features & !KNOWN_REQUIRED_FEATURES;
        if unknown != 0 {
            return Err(Error::UnknownRequiredFeatures { bits: unknown });
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_header_bytes() {
        let b = Header::CURRENT.to_bytes();
        assert_eq!(&b[..14], b"\x8BKOF\r\n\x1A\n\x01\x00\x00\x00\x00\x00");
        assert_eq!(
            u32::from_le_bytes(b[14..].try_into().unwrap()),
            crc::checksum(&b[..14])
        );
    }

    #[test]
    fn later_minor_and_optional_bits_are_read() {
        let h = Header {
            minor: 7,
            optional_features: 0xFFFF,
            ..Header::CURRENT
        };
        assert_eq!(Header::parse(&h.to_bytes()), Ok(h));
    }

    #[test]
    fn refusals() {
        let h = Header {
            major: 2,
            ..Header::CURRENT
        };
        assert_eq!(
            Header::parse(&h.to_bytes()),
            Err(Error::UnsupportedVersion { major: 2, minor: 0 })
        );
        let h = Header {
            required_features: 0x0100,
            ..Header::CURRENT
        };
        assert_eq!(
            Header::parse(&h.to_bytes()),
            Err(Error::UnknownRequiredFeatures { bits: 0x0100 })
        );
        let good = Header::CURRENT.to_bytes();
        assert_eq!(Header::parse(&good[..5]), Err(Error::Truncated));
        assert_eq!(Header::parse(&[]), Err(Error::Truncated));
        assert_eq!(Header::parse(b"{\"a\":1}"), Err(Error::BadSignature));
        // Text-mode damage: LF -> CRLF, CRLF -> LF, high bit cleared.
        let mut lf_to_crlf = [0u8; HEADER_LEN + 2];
        lf_to_crlf[..5].copy_from_slice(&good[..5]);
        lf_to_crlf[5..7].copy_from_slice(b"\r\n");
        lf_to_crlf[7..18].copy_from_slice(&good[6..17]);
        assert_eq!(Header::parse(&lf_to_crlf), Err(Error::BadSignature));
        let mut crlf_to_lf = [0u8; HEADER_LEN - 1];
        crlf_to_lf[..4].copy_from_slice(&good[..4]);
        crlf_to_lf[4..].copy_from_slice(&good[5..]);
        assert_eq!(Header::parse(&crlf_to_lf), Err(Error::BadSignature));
        let mut seven_bit = good;
        seven_bit[0] &= 0x7F;
        assert_eq!(Header::parse(&seven_bit), Err(Error::BadSignature));
        let mut flipped = good;
        flipped[12] ^= 1;
        assert!(matches!(
            Header::parse(&flipped),
            Err(Error::Checksum { .. })
        ));
    }
}
