//! The end frame: marks a container complete and carries its totals
//! (spec `format.md` §8).
//!
//! ```text
//! frames   varint   frames between the header and this end frame
//! blocks   varint   block frames among them
//! records  varint   records in those blocks
//! ```
//!
//! ```
//! use koffer::end::End;
//! let end = End { frames: 3, blocks: 1, records: 300 };
//! let mut out = [0u8; End::MAX_LEN];
//! let n = end.encode(&mut out);
//! assert_eq!(&out[..n], &[3, 1, 0xAC, 0x02]);
//! assert_eq!(End::parse(&out[..n]), Ok(end));
//! ```

use crate::cursor::Cursor;
use crate::error::BodyError;
use crate::varint;

/// Totals of a complete container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct End {
    /// Frames between the header and the end frame.
    pub frames: u64,
    /// Block frames among them.
    pub blocks: u64,
    /// Records in those blocks.
    pub records: u64,
}

impl End {
    /// Longest encoded end-frame body.
    pub const MAX_LEN: usize = 3 * varint::MAX_LEN_U64;

    /// Parses an end frame body.
    pub fn parse(body: &[u8]) -> Result<End, BodyError> {
        let mut c = Cursor::new(body);
        let end = End {
            frames: c.u64()?,
            blocks: c.u64()?,
            records: c.u64()?,
        };
        c.finish()?;
        Ok(end)
    }

    /// Encodes the body into `out`; returns its length.
    pub fn encode(&self, out: &mut [u8; Self::MAX_LEN]) -> usize {
        let mut pos = 0;
        for v in [self.frames, self.blocks, self.records] {
            pos += varint::encode_into(v, &mut out[pos..]);
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn refusals() {
        assert_eq!(
            End::parse(&[1, 2]).unwrap_err().kind,
            ErrorKind::BodyTruncated
        );
        assert_eq!(
            End::parse(&[1, 2, 3, 4]).unwrap_err().kind,
            ErrorKind::TrailingBytes
        );
        assert_eq!(
            End::parse(&[0x80, 0, 1, 1]).unwrap_err().kind,
            ErrorKind::BadVarint
        );
    }
}
