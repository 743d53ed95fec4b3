//! The schema frame: declares a record type (spec `format.md` §6).
//!
//! ```text
//! record_type  varint      identifier used by blocks, 0..=255
//! name         varint n (1..=255), n bytes UTF-8
//! version      varint      the record type's version (u32)
//! definition   the rest of the body: the record type's field layout
//! ```
//!
//! The definition's encoding is specified in spec `schema.md`; the core
//! container treats it as opaque bytes.
//!
//! ```
//! use koffer::schema::Schema;
//! let s = Schema { record_type: 1, name: "sample", version: 2, definition: &[0xAA] };
//! let mut out = [0u8; 16];
//! let n = s.encode_to_slice(&mut out).unwrap();
//! assert_eq!(&out[..n], b"\x01\x06sample\x02\xAA");
//! assert_eq!(Schema::parse(&out[..n]), Ok(s));
//! ```

use crate::cursor::Cursor;
use crate::error::BodyError;
use crate::error::ErrorKind;
use crate::{limits, varint};

/// Scratch space [`Schema::parts`] encodes the varints into.
pub(crate) const SCHEMA_PARTS_TMP_LEN: usize = 3 * varint::MAX_LEN_U64;

/// A record type's declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Schema<'a> {
    /// The identifier blocks use for this record type.
    pub record_type: u8,
    /// The record type's name, e.g. `"sample"`.
    pub name: &'a str,
    /// The record type's version.
    pub version: u32,
    /// The field layout (spec `schema.md`); opaque to the container layer.
    pub definition: &'a [u8],
}

impl<'a> Schema<'a> {
    /// Parses and checks a schema frame body.
    pub fn parse(body: &'a [u8]) -> Result<Schema<'a>, BodyError> {
        let mut c = Cursor::new(body);
        let record_type = c.u32_max(limits::MAX_RECORD_TYPES - 1, |v| {
            ErrorKind::RecordTypeOutOfRange { value: v }
        })? as u8;
        let name = c.name()?;
        let version = c.u32()?;
        Ok(Schema {
            record_type,
            name,
            version,
            definition: c.rest(),
        })
    }

    /// Checks what a writer must check before emitting the frame.
    pub fn validate(&self) -> Result<(), ErrorKind> {
        if self.name.is_empty() || self.name.len() > limits::MAX_NAME_LEN as usize {
            return Err(ErrorKind::BadName);
        }
        if self.body_len() > limits::MAX_FRAME_BODY as usize {
            return Err(ErrorKind::FrameTooLarge {
                len: self.body_len() as u64,
            });
        }
        Ok(())
    }

    /// Passes the encoded body to `out`, in pieces.
    pub fn encode<E>(&self, out: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let mut tmp = [0u8; SCHEMA_PARTS_TMP_LEN];
        for part in self.parts(&mut tmp) {
            out(part)?;
        }
        Ok(())
    }

    /// The encoded body as four parts, back to back: record type and name
    /// length, name, version, definition. The varints go to `tmp`.
    pub(crate) fn parts<'s>(&'s self, tmp: &'s mut [u8; SCHEMA_PARTS_TMP_LEN]) -> [&'s [u8]; 4] {
        let (head, version) = tmp.split_at_mut(2 * varint::MAX_LEN_U64);
        let mut n = varint::encode_into(self.record_type.into(), head);
        n += varint::encode_into(self.name.len() as u64, &mut head[n..]);
        let v = varint::encode_into(self.version.into(), version);
        [
            &head[..n],
            self.name.as_bytes(),
            &version[..v],
            self.definition,
        ]
    }

    /// Length of the encoded body.
    pub fn body_len(&self) -> usize {
        varint::encoded_len(u64::from(self.record_type))
            + varint::encoded_len(self.name.len() as u64)
            + self.name.len()
            + varint::encoded_len(u64::from(self.version))
            + self.definition.len()
    }

    /// The record type's fingerprint (spec `schema.md` §5).
    pub fn fingerprint(&self) -> u64 {
        super::fingerprint(self.name, self.version, self.definition)
    }

    /// The checked definition.
    pub fn definition(&self) -> Result<super::Definition<'a>, super::Error> {
        super::Definition::parse(self.definition)
    }

    /// Encodes the body into `out`; returns its length, or `None` if `out` is too short.
    pub fn encode_to_slice(&self, out: &mut [u8]) -> Option<usize> {
        let mut pos = 0;
        self.encode(&mut |b: &[u8]| -> Result<(), ()> {
            out.get_mut(pos..pos + b.len())
                .ok_or(())?
                .copy_from_slice(b);
            pos += b.len();
            Ok(())
        })
        .ok()?;
        Some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals() {
        assert_eq!(
            Schema::parse(b"\x80\x02\x01a\x00").unwrap_err().kind,
            ErrorKind::RecordTypeOutOfRange { value: 256 }
        );
        assert_eq!(
            Schema::parse(b"\x01\x00\x00").unwrap_err().kind,
            ErrorKind::BadName
        );
        assert_eq!(
            Schema::parse(b"\x01\x05ab").unwrap_err().kind,
            ErrorKind::BodyTruncated
        );
        assert_eq!(
            Schema::parse(b"\x01\x01a").unwrap_err().kind,
            ErrorKind::BodyTruncated
        );
        assert_eq!(
            Schema::parse(b"\x01\x01a\xFF\xFF\xFF\xFF\x1F")
                .unwrap_err()
                .kind,
            ErrorKind::BadVarint
        );
    }
}
