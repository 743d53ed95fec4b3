//! Seals: proof of origin that survives truncation (spec `seal.md`,
//! format 1.2; feature `seal`).
//!
//! A sealed container names its signing key in a KEY frame (kind `0x40`,
//! [`KeyFrame`]) before any block, and carries SEAL frames (kind `0x41`,
//! [`SealFrame`]): each states the SHA-256 of every byte before it, the
//! RFC 9162 Merkle root over the blocks since the previous seal, its
//! sequence number and the range it covers, and is signed as a COSE_Sign1
//! ([`tbs`]). A container cut short stays provable up to its last seal.
//!
//! | spec `seal.md` | module |
//! |---|---|
//! | §2 declaration | [`SEALED`], [`MINOR`] |
//! | §3 KEY frame | [`KeyFrame`], [`key_id`] |
//! | §4 SEAL frame | [`SealFrame`], [`Payload`] |
//! | §4.1 running digest | [`Digest`], [`HashSink`] |
//! | §4.2 Merkle tree, inclusion proofs | [`merkle`] |
//! | §5 to-be-signed bytes | [`tbs`] |
//! | §6 signing | [`Signer`], [`SignatureCheck`], [`Ed25519`] (`seal-ed25519`) |
//! | §7 writing, resuming | [`SealingWriter`], [`seal_body`], [`seal_container`] (`alloc`) |
//! | §8 verifying | [`verify_with`], [`verify`] (`seal-ed25519`), [`Report`], [`survey`] |
//! | §9 export series | [`series`] |
//!
//! No allocator: the sealing writer's state is its [`Digest`] (two SHA-256
//! states and a 16-level Merkle stack) beside the plain writer's.

mod digest;
mod frame;
mod key;
pub mod merkle;
#[cfg(feature = "alloc")]
mod reseal;
pub mod series;
mod signer;
mod tbs;
mod verify;
mod writer;

pub use digest::{Digest, HashSink};
pub use frame::{Payload, SealFrame, FLAG_FINAL, PAYLOAD_LEN, SEAL_BODY_LEN, SIGNATURE_LEN, TAG};
pub use key::{key_id, Algorithm, Certificates, KeyFrame, KEY_ID_LEN, MAX_EVERY};
#[cfg(feature = "alloc")]
pub use reseal::{seal_container, SealContainerError};
pub use signer::{Check, SignatureCheck, Signer};
#[cfg(feature = "seal-ed25519")]
pub use signer::{Ed25519, NoKey};
pub use tbs::{protected, tbs, TBS_LEN};
#[cfg(feature = "seal-ed25519")]
pub use verify::verify;
pub use verify::{survey, verify_with, KeyInfo, PublicKey, Report, Survey, Verdict};
pub use writer::{seal_body, SealingWriter, WriteError};

/// Field offsets inside a SEAL frame body.
pub use frame::at as seal_field;

/// Frame kind of the KEY frame (spec-assigned ancillary).
pub const KIND_KEY: u8 = crate::frame::kind::KEY;
/// Frame kind of the SEAL frame (spec-assigned ancillary).
pub const KIND_SEAL: u8 = crate::frame::kind::SEAL;
/// The optional feature bit that declares a container sealed (header bytes
/// 12..14, spec `format.md` §3.2).
pub const SEALED: u16 = 0x0001;
/// The minor format version of seals.
pub const MINOR: u8 = 2;

/// A malformed KEY or SEAL frame body: where in the body, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Malformed {
    /// Position in the body of the offending field.
    pub at: usize,
    /// What is wrong with it.
    pub reason: Reason,
}

/// Why a KEY or SEAL frame body is malformed (spec `seal.md` §3, §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Reason {
    /// The body ends inside the field.
    Truncated,
    /// A varint that is not canonical or overflows.
    BadVarint,
    /// Bytes after the last field.
    TrailingBytes,
    /// An algorithm this spec does not define.
    UnknownAlgorithm {
        /// Its COSE identifier.
        alg: i64,
    },
    /// A seal interval outside `1..=MAX_EVERY`.
    BadEvery {
        /// The value found.
        every: u64,
    },
    /// A public key whose length is not the algorithm's.
    BadLength,
    /// The key id is not the public key's.
    KeyIdMismatch,
    /// The payload does not start with [`TAG`].
    BadTag,
    /// A flag bit this spec does not define is set.
    BadFlags {
        /// The flags byte.
        flags: u8,
    },
}

impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Reason::Truncated => f.write_str("the body ends inside the field"),
            Reason::BadVarint => f.write_str("a varint that is not canonical or overflows"),
            Reason::TrailingBytes => f.write_str("bytes after the last field"),
            Reason::UnknownAlgorithm { alg } => {
                write!(f, "algorithm {alg} is not EdDSA (-8) or ES256 (-7)")
            }
            Reason::BadEvery { every } => write!(f, "seal interval {every} is outside 1..=65535"),
            Reason::BadLength => f.write_str("the public key's length is not the algorithm's"),
            Reason::KeyIdMismatch => f.write_str("the key id is not the public key's"),
            Reason::BadTag => f.write_str("the payload does not start with KOFSEAL1"),
            Reason::BadFlags { flags } => write!(f, "undefined flag bits in {flags:#04x}"),
        }
    }
}

/// Why a container is not authentic (spec `seal.md` §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// A key was given, but the container is not sealed: no declaration, no
    /// KEY frame (offset 0).
    Unsealed,
    /// The container is declared sealed, or has a SEAL frame, but no KEY
    /// frame precedes its first block, seal or end frame (offset: that frame).
    KeyMissing,
    /// A second KEY frame (offset: the frame).
    DuplicateKey,
    /// The KEY frame is malformed (offset: the field).
    MalformedKey(Reason),
    /// The KEY frame's key is none of the trusted keys: a wrong key (offset:
    /// the KEY frame).
    UntrustedKey,
    /// The verifier does not implement the key's algorithm (offset: the KEY frame).
    UnsupportedAlgorithm {
        /// The COSE identifier.
        alg: i64,
    },
    /// A SEAL frame is malformed (offset: the field; a truncated signature
    /// at the end of the body).
    MalformedSeal(Reason),
    /// The signature does not verify: a forged or damaged seal (offset: the
    /// signature field).
    BadSignature,
    /// The seal's sequence number is not the previous one plus 1: a seal
    /// reordered, repeated, or replayed (offset: the sequence field).
    SequenceMismatch {
        /// The number due.
        expected: u32,
        /// The number found.
        found: u32,
    },
    /// The seal's `segment_start` or `covered_end` is not where the seal
    /// lies: a seal moved or replayed (offset: the field).
    RangeMismatch {
        /// The value due.
        expected: u64,
        /// The value found.
        found: u64,
    },
    /// The bytes before the seal are not the bytes it sealed: something
    /// between the last good seal and this one was changed (offset: the end
    /// of the last good seal, 0 if none).
    DigestMismatch {
        /// Offset of the SEAL frame whose digest does not match.
        seal: u64,
    },
    /// The running digest matches but the leaf count or Merkle root does not
    /// (offset: the `leaf_count` field).
    MerkleMismatch,
    /// A seal is missing: more than `every` blocks follow the last seal, or
    /// the END frame does not directly follow a final seal (offset: that
    /// block or END frame).
    SealMissing,
}

impl core::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ErrorKind::Unsealed => {
                f.write_str("Unsealed: the container is not sealed (no KEY frame, not declared)")
            }
            ErrorKind::KeyMissing => f.write_str(
                "KeyMissing: no KEY frame before this frame, though the container is sealed",
            ),
            ErrorKind::DuplicateKey => f.write_str("DuplicateKey: a second KEY frame"),
            ErrorKind::MalformedKey(r) => write!(f, "MalformedKey: {r}"),
            ErrorKind::UntrustedKey => {
                f.write_str("UntrustedKey: the container is sealed with a key that is not trusted")
            }
            ErrorKind::UnsupportedAlgorithm { alg } => {
                write!(f, "UnsupportedAlgorithm: algorithm {alg} cannot be checked")
            }
            ErrorKind::MalformedSeal(r) => write!(f, "MalformedSeal: {r}"),
            ErrorKind::BadSignature => {
                f.write_str("BadSignature: the seal's signature does not verify")
            }
            ErrorKind::SequenceMismatch { expected, found } => {
                write!(f, "SequenceMismatch: seal number {found} where {expected} was due (reordered or replayed)")
            }
            ErrorKind::RangeMismatch { expected, found } => {
                write!(f, "RangeMismatch: the seal names byte {found} where {expected} was due (moved or replayed)")
            }
            ErrorKind::DigestMismatch { seal } => {
                write!(f, "DigestMismatch: the bytes from here to the seal at byte {seal} are not the bytes it sealed")
            }
            ErrorKind::MerkleMismatch => {
                f.write_str("MerkleMismatch: the seal's Merkle root is not the blocks'")
            }
            ErrorKind::SealMissing => f.write_str(
                "SealMissing: a seal is due before this frame (or it follows a final seal: only the END frame may)",
            ),
        }
    }
}

/// A container is not authentic: what failed, and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Error {
    /// Offset from the start of the container.
    pub offset: u64,
    /// What failed.
    pub kind: ErrorKind,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "at byte {}: not authentic: {}", self.offset, self.kind)
    }
}

impl core::error::Error for Error {}
