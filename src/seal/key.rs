//! The KEY frame (spec `seal.md` §3): the algorithm, the seal interval, the
//! key id and the public key that verify the container's seals, and an
//! optional certificate chain.

use sha2::{Digest as _, Sha256};

use crate::seal::{Malformed, Reason};
use crate::varint;

/// A COSE signature algorithm (RFC 9053 identifiers).
///
/// ```
/// use koffer::seal::Algorithm;
/// assert_eq!(Algorithm::EdDSA.cose_id(), -8);
/// assert_eq!(Algorithm::from_cose_id(-7), Some(Algorithm::ES256));
/// assert_eq!(Algorithm::from_cose_id(-35), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Algorithm {
    /// EdDSA over Ed25519 (COSE −8), 32-byte public key: required.
    EdDSA,
    /// ECDSA P-256 with SHA-256 (COSE −7), 65-byte uncompressed SEC1 public
    /// key, signature `r ‖ s`: optional.
    ES256,
}

impl Algorithm {
    /// The COSE algorithm identifier.
    pub const fn cose_id(self) -> i64 {
        match self {
            Algorithm::EdDSA => -8,
            Algorithm::ES256 => -7,
        }
    }

    /// The algorithm of a COSE identifier, if this spec defines it.
    pub const fn from_cose_id(id: i64) -> Option<Algorithm> {
        match id {
            -8 => Some(Algorithm::EdDSA),
            -7 => Some(Algorithm::ES256),
            _ => None,
        }
    }

    /// Length of a public key of this algorithm.
    pub const fn public_key_len(self) -> usize {
        match self {
            Algorithm::EdDSA => 32,
            Algorithm::ES256 => 65,
        }
    }

    /// The CBOR encoding of the algorithm identifier: one byte for both.
    pub(crate) const fn cbor(self) -> u8 {
        match self {
            Algorithm::EdDSA => 0x27,
            Algorithm::ES256 => 0x26,
        }
    }
}

/// Length of a key id.
pub const KEY_ID_LEN: usize = 8;

/// The key id of a public key: the first 8 bytes of its SHA-256 (spec
/// `seal.md` §3).
///
/// ```
/// let id = koffer::seal::key_id(&[0u8; 32]);
/// assert_eq!(id, [0x66, 0x68, 0x7a, 0xad, 0xf8, 0x62, 0xbd, 0x77]);
/// ```
pub fn key_id(public_key: &[u8]) -> [u8; KEY_ID_LEN] {
    let d = Sha256::digest(public_key);
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&d[..KEY_ID_LEN]);
    id
}

/// Most blocks a seal interval may declare: a segment's Merkle tree then
/// needs at most 16 stored nodes.
pub const MAX_EVERY: u32 = 65_535;

/// The encoded certificate list of a KEY frame: a varint count, then each
/// certificate (DER bytes) with its varint length. Checked when parsed.
///
/// ```
/// use koffer::seal::Certificates;
/// assert_eq!(Certificates::NONE.iter().count(), 0);
/// let list = Certificates::parse(&[2, 1, 0xAA, 2, 0xBB, 0xCC]).unwrap();
/// let certs: Vec<&[u8]> = list.iter().collect();
/// assert_eq!(certs, [&[0xAA][..], &[0xBB, 0xCC][..]]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certificates<'a>(&'a [u8]);

impl<'a> Certificates<'a> {
    /// No certificates: the list `00`.
    pub const NONE: Certificates<'static> = Certificates(&[0]);

    /// Checks an encoded list; the whole of `bytes` must be the list.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Malformed> {
        let mut c = Fields::new(bytes);
        let count = c.varint()?;
        for _ in 0..count {
            let len = c.varint()?;
            c.take(len)?;
        }
        c.finish()?;
        Ok(Certificates(bytes))
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The certificates, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut c = Fields::new(self.0);
        let count = c.varint().unwrap_or(0);
        (0..count).map_while(move |_| {
            let len = c.varint().ok()?;
            c.take(len).ok()
        })
    }

    /// Encodes a list of certificates (feature `alloc`).
    #[cfg(feature = "alloc")]
    pub fn encode(list: &[&[u8]]) -> alloc::vec::Vec<u8> {
        let mut out = alloc::vec::Vec::new();
        varint::push_u64(&mut out, list.len() as u64);
        for cert in list {
            varint::push_u64(&mut out, cert.len() as u64);
            out.extend_from_slice(cert);
        }
        out
    }
}

/// Longest encoding of the fields before a KEY frame's public key.
pub(crate) const KEY_HEAD_MAX: usize = 3 * varint::MAX_LEN_U64 + KEY_ID_LEN;

/// The body of a KEY frame (kind `0x40`, spec `seal.md` §3).
///
/// ```
/// use koffer::seal::{Algorithm, Certificates, KeyFrame};
/// let pk = [7u8; 32];
/// let key = KeyFrame::new(Algorithm::EdDSA, &pk, 16);
/// let mut body = [0u8; 64];
/// let n = key.encode(&mut body).unwrap();
/// assert_eq!(&body[..2], &[0x0F, 0x10]); // alg −8 (zigzag 15), every 16
/// assert_eq!(body[2..10], koffer::seal::key_id(&pk)); // then the key id
/// assert_eq!(KeyFrame::parse(&body[..n]).unwrap(), key);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFrame<'a> {
    /// The signature algorithm of every seal.
    pub alg: Algorithm,
    /// The seal interval: a seal follows at most this many blocks.
    pub every: u32,
    /// The key id: [`key_id`] of `public_key`.
    pub key_id: [u8; KEY_ID_LEN],
    /// The public key, as the algorithm encodes it.
    pub public_key: &'a [u8],
    /// The certificate chain, leaf first (possibly empty).
    pub certificates: Certificates<'a>,
}

impl<'a> KeyFrame<'a> {
    /// A KEY frame for `public_key` with no certificates.
    pub fn new(alg: Algorithm, public_key: &'a [u8], every: u32) -> Self {
        KeyFrame {
            alg,
            every,
            key_id: key_id(public_key),
            public_key,
            certificates: Certificates::NONE,
        }
    }

    /// Length of the encoded body.
    pub fn body_len(&self) -> usize {
        let mut tmp = [0u8; varint::MAX_LEN_U64];
        varint::encode_u64(varint::zigzag(self.alg.cose_id()), &mut tmp).len()
            + varint::encode_u64(u64::from(self.every), &mut tmp).len()
            + KEY_ID_LEN
            + varint::encode_u64(self.public_key.len() as u64, &mut tmp).len()
            + self.public_key.len()
            + self.certificates.0.len()
    }

    /// Encodes the body into `out`; returns its length, or `None` if `out`
    /// is too short.
    pub fn encode(&self, out: &mut [u8]) -> Option<usize> {
        let mut head = [0u8; KEY_HEAD_MAX];
        let h = self.encode_head(&mut head);
        let mut n = 0;
        for part in [&head[..h], self.public_key, self.certificates.0] {
            out.get_mut(n..n + part.len())?.copy_from_slice(part);
            n += part.len();
        }
        Some(n)
    }

    /// Encodes the fields before `public_key` (alg, every, key_id,
    /// public_key_len) into `out`; returns their length. The body is these
    /// bytes, `public_key`, then the certificates' bytes: a writer sends the
    /// three parts as they are, with no buffer for the whole body.
    pub(crate) fn encode_head(&self, out: &mut [u8; KEY_HEAD_MAX]) -> usize {
        let mut n = varint::encode_into(varint::zigzag(self.alg.cose_id()), &mut out[..]);
        n += varint::encode_into(u64::from(self.every), &mut out[n..]);
        out[n..n + KEY_ID_LEN].copy_from_slice(&self.key_id);
        n += KEY_ID_LEN;
        n + varint::encode_into(self.public_key.len() as u64, &mut out[n..])
    }

    /// Parses and checks a KEY frame body, field by field in the order of
    /// spec `seal.md` §3.
    pub fn parse(body: &'a [u8]) -> Result<Self, Malformed> {
        let mut c = Fields::new(body);
        let at = c.pos;
        let alg_id = varint::unzigzag(c.varint()?);
        let alg = Algorithm::from_cose_id(alg_id).ok_or(Malformed {
            at,
            reason: Reason::UnknownAlgorithm { alg: alg_id },
        })?;
        let at = c.pos;
        let every = c.varint()?;
        if every == 0 || every > u64::from(MAX_EVERY) {
            return Err(Malformed {
                at,
                reason: Reason::BadEvery { every },
            });
        }
        let id_at = c.pos;
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(c.take(KEY_ID_LEN as u64)?);
        let at = c.pos;
        let len = c.varint()?;
        if len != alg.public_key_len() as u64 {
            return Err(Malformed {
                at,
                reason: Reason::BadLength,
            });
        }
        let public_key = c.take(len)?;
        if key_id(public_key) != id {
            return Err(Malformed {
                at: id_at,
                reason: Reason::KeyIdMismatch,
            });
        }
        let at = c.pos;
        let certificates =
            Certificates::parse(c.rest()).map_err(|e| Malformed { at: at + e.at, ..e })?;
        Ok(KeyFrame {
            alg,
            every: every as u32,
            key_id: id,
            public_key,
            certificates,
        })
    }
}

/// A bounds-checked reader of a seal or key body's fields.
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, pos: 0 }
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    pub(crate) fn varint(&mut self) -> Result<u64, Malformed> {
        let (v, n) = varint::decode_u64(self.rest()).map_err(|e| Malformed {
            at: self.pos,
            reason: match e {
                varint::Error::Truncated => Reason::Truncated,
                varint::Error::NonCanonical => Reason::BadVarint,
            },
        })?;
        self.pos += n;
        Ok(v)
    }

    pub(crate) fn take(&mut self, n: u64) -> Result<&'a [u8], Malformed> {
        if n > self.rest().len() as u64 {
            return Err(Malformed {
                at: self.pos,
                reason: Reason::Truncated,
            });
        }
        let s = &self.bytes[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    pub(crate) fn finish(&self) -> Result<(), Malformed> {
        if self.pos != self.bytes.len() {
            return Err(Malformed {
                at: self.pos,
                reason: Reason::TrailingBytes,
            });
        }
        Ok(())
    }
}
