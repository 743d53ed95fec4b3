//! The SEAL frame (kind `0x41`, spec `seal.md` §4): the seal's statement —
//! its payload — and the signature over it. Encoding and parsing mirror each
//! other field for field.
//!
//! ```text
//! offset size  field
//!  0      8    tag            "KOFSEAL1"
//!  8      4    sequence       u32 LE, 1 for the first seal
//! 12      1    flags          bit 0: final (the END frame follows)
//! 13      8    segment_start  u64 LE: the end of the previous SEAL frame, 0 for the first
//! 21      8    covered_end    u64 LE: the offset of this SEAL frame
//! 29      4    leaf_count     u32 LE: blocks in the segment
//! 33     32    running        SHA-256 of bytes 0..covered_end
//! 65     32    merkle_root    RFC 9162 root over the segment's block frames
//! 97     64    signature      over the to-be-signed bytes (tbs.rs)
//! ```

use crate::seal::{Malformed, Reason};

/// The payload's first 8 bytes.
pub const TAG: [u8; 8] = *b"KOFSEAL1";
/// Length of a seal's payload.
pub const PAYLOAD_LEN: usize = 97;
/// Length of a signature (Ed25519; ES256 as `r ‖ s`).
pub const SIGNATURE_LEN: usize = 64;
/// Length of a SEAL frame body.
pub const SEAL_BODY_LEN: usize = PAYLOAD_LEN + SIGNATURE_LEN;
/// Flag: the final seal, written right before the END frame.
pub const FLAG_FINAL: u8 = 0x01;

/// Offsets of the payload's fields in the body (for error offsets).
pub mod at {
    /// `sequence`.
    pub const SEQUENCE: usize = 8;
    /// `flags`.
    pub const FLAGS: usize = 12;
    /// `segment_start`.
    pub const SEGMENT_START: usize = 13;
    /// `covered_end`.
    pub const COVERED_END: usize = 21;
    /// `leaf_count`.
    pub const LEAF_COUNT: usize = 29;
    /// `running`.
    pub const RUNNING: usize = 33;
    /// `merkle_root`.
    pub const MERKLE_ROOT: usize = 65;
    /// `signature`.
    pub const SIGNATURE: usize = super::PAYLOAD_LEN;
}

/// What a seal states (spec `seal.md` §4): the payload of its COSE_Sign1.
///
/// ```
/// use koffer::seal::Payload;
/// let p = Payload { sequence: 1, is_final: false, segment_start: 0, covered_end: 60,
///                   leaf_count: 0, running: [1; 32], merkle_root: [2; 32] };
/// let bytes = p.encode();
/// assert_eq!(&bytes[..13], b"KOFSEAL1\x01\x00\x00\x00\x00");
/// assert_eq!(Payload::parse(&bytes), Ok(p));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payload {
    /// The seal's number: 1 for the first seal of the container.
    pub sequence: u32,
    /// The final seal: the END frame follows it.
    pub is_final: bool,
    /// Where the seal's segment starts: the end of the previous SEAL frame, or 0.
    pub segment_start: u64,
    /// The seal covers bytes `0..covered_end`: its own offset.
    pub covered_end: u64,
    /// Number of block frames between `segment_start` and `covered_end`.
    pub leaf_count: u32,
    /// SHA-256 of bytes `0..covered_end`.
    pub running: [u8; 32],
    /// The RFC 9162 Merkle tree head over the segment's block frames.
    pub merkle_root: [u8; 32],
}

impl Payload {
    /// The payload's bytes.
    pub fn encode(&self) -> [u8; PAYLOAD_LEN] {
        let mut out = [0u8; PAYLOAD_LEN];
        out[..8].copy_from_slice(&TAG);
        out[at::SEQUENCE..at::FLAGS].copy_from_slice(&self.sequence.to_le_bytes());
        out[at::FLAGS] = if self.is_final { FLAG_FINAL } else { 0 };
        out[at::SEGMENT_START..at::COVERED_END].copy_from_slice(&self.segment_start.to_le_bytes());
        out[at::COVERED_END..at::LEAF_COUNT].copy_from_slice(&self.covered_end.to_le_bytes());
        out[at::LEAF_COUNT..at::RUNNING].copy_from_slice(&self.leaf_count.to_le_bytes());
        out[at::RUNNING..at::MERKLE_ROOT].copy_from_slice(&self.running);
        out[at::MERKLE_ROOT..PAYLOAD_LEN].copy_from_slice(&self.merkle_root);
        out
    }

    /// Parses the payload's bytes (exactly [`PAYLOAD_LEN`] of them).
    pub fn parse(bytes: &[u8]) -> Result<Payload, Malformed> {
        let bad = |at, reason| Err(Malformed { at, reason });
        if bytes.len() < PAYLOAD_LEN {
            return bad(bytes.len(), Reason::Truncated);
        }
        if bytes[..8] != TAG {
            return bad(0, Reason::BadTag);
        }
        let flags = bytes[at::FLAGS];
        if flags & !FLAG_FINAL != 0 {
            return bad(at::FLAGS, Reason::BadFlags { flags });
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let mut running = [0u8; 32];
        running.copy_from_slice(&bytes[at::RUNNING..at::MERKLE_ROOT]);
        let mut merkle_root = [0u8; 32];
        merkle_root.copy_from_slice(&bytes[at::MERKLE_ROOT..PAYLOAD_LEN]);
        Ok(Payload {
            sequence: u32_at(at::SEQUENCE),
            is_final: flags & FLAG_FINAL != 0,
            segment_start: u64_at(at::SEGMENT_START),
            covered_end: u64_at(at::COVERED_END),
            leaf_count: u32_at(at::LEAF_COUNT),
            running,
            merkle_root,
        })
    }
}

/// A SEAL frame body: the payload and the signature over its
/// to-be-signed bytes.
///
/// ```
/// use koffer::seal::{Payload, SealFrame, SEAL_BODY_LEN};
/// let payload = Payload { sequence: 2, is_final: true, segment_start: 210, covered_end: 400,
///                         leaf_count: 3, running: [1; 32], merkle_root: [2; 32] };
/// let seal = SealFrame { payload, signature: [9; 64] };
/// let body = seal.encode();
/// assert_eq!(body.len(), SEAL_BODY_LEN);
/// assert_eq!(SealFrame::parse(&body), Ok(seal));
/// assert!(SealFrame::parse(&body[..160]).is_err()); // a truncated signature
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealFrame {
    /// What the seal states.
    pub payload: Payload,
    /// The signature over [`tbs`](crate::seal::tbs) of the payload.
    pub signature: [u8; SIGNATURE_LEN],
}

impl SealFrame {
    /// The body's bytes.
    pub fn encode(&self) -> [u8; SEAL_BODY_LEN] {
        let mut out = [0u8; SEAL_BODY_LEN];
        out[..PAYLOAD_LEN].copy_from_slice(&self.payload.encode());
        out[PAYLOAD_LEN..].copy_from_slice(&self.signature);
        out
    }

    /// Parses and checks a body: exactly [`SEAL_BODY_LEN`] bytes.
    pub fn parse(body: &[u8]) -> Result<SealFrame, Malformed> {
        let payload = Payload::parse(body)?;
        if body.len() != SEAL_BODY_LEN {
            let (at, reason) = if body.len() < SEAL_BODY_LEN {
                (body.len(), Reason::Truncated)
            } else {
                (SEAL_BODY_LEN, Reason::TrailingBytes)
            };
            return Err(Malformed { at, reason });
        }
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&body[PAYLOAD_LEN..]);
        Ok(SealFrame { payload, signature })
    }
}
