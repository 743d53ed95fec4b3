//! Shared helpers: a fixed key, sealed containers, a reference SHA-256 and
//! Merkle tree written from the spec (not from the library's own digest).

#![allow(dead_code)]

use koffer::seal::{Algorithm, Ed25519, KeyFrame, PublicKey, Report, SealingWriter};
use sha2::{Digest as _, Sha256};

pub const SEED: [u8; 32] = [0x5E; 32];
pub const OTHER_SEED: [u8; 32] = [0xA7; 32];

pub fn signer() -> Ed25519 {
    Ed25519::from_seed(SEED)
}

pub fn pk() -> [u8; 32] {
    signer().public_key()
}

pub fn verify(bytes: &[u8]) -> Report {
    let pk = pk();
    koffer::seal::verify(
        bytes,
        &[PublicKey {
            alg: Algorithm::EdDSA,
            bytes: &pk,
        }],
    )
}

/// A sealed container of `records` u32 records, sealed every `every` blocks
/// (8 records a block with a 40-byte buffer), complete if `finish`.
pub fn sealed(records: u32, every: u32, finish: bool) -> Vec<u8> {
    sealed_with(SEED, records, every, finish)
}

pub fn sealed_with(seed: [u8; 32], records: u32, every: u32, finish: bool) -> Vec<u8> {
    let s = Ed25519::from_seed(seed);
    let pk = s.public_key();
    let key = KeyFrame::new(Algorithm::EdDSA, &pk, every);
    let mut buf = [0u8; 40];
    let mut digest = koffer::seal::Digest::new();
    let mut w = SealingWriter::new(Vec::new(), &mut buf, &mut digest, s, &key).unwrap();
    w.metadata(&[koffer::meta::Entry::new(
        koffer::meta::key::PRODUCER_MODEL,
        koffer::meta::Value::Str("Band 3"),
    )])
    .unwrap();
    let n = w.declare(0, "n", 1, &[]).unwrap();
    for i in 0..records {
        w.write_serialized(n, &(i * 7919)).unwrap();
    }
    if finish {
        w.finish().unwrap()
    } else {
        w.flush().unwrap();
        w.into_sink()
    }
}

/// The frames of a container: (offset, kind, size).
pub fn frames(bytes: &[u8]) -> Vec<(usize, u8, usize)> {
    let mut out = Vec::new();
    let mut at = 18;
    while at + 5 <= bytes.len() {
        let len = u32::from_le_bytes([bytes[at + 1], bytes[at + 2], bytes[at + 3], 0]) as usize;
        let size = 5 + len + 4;
        if at + size > bytes.len() {
            break;
        }
        out.push((at, bytes[at], size));
        at += size;
    }
    out
}

/// Offsets of the SEAL frames.
pub fn seals(bytes: &[u8]) -> Vec<(usize, usize)> {
    frames(bytes)
        .into_iter()
        .filter(|f| f.1 == 0x41)
        .map(|f| (f.0, f.2))
        .collect()
}

pub fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// RFC 9162 §2.1 MTH, recursively, as the RFC writes it.
pub fn mth(leaves: &[&[u8]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha256(&[]),
        1 => {
            let mut v = vec![0u8];
            v.extend_from_slice(leaves[0]);
            sha256(&v)
        }
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            let mut v = vec![1u8];
            v.extend_from_slice(&mth(&leaves[..k]));
            v.extend_from_slice(&mth(&leaves[k..]));
            sha256(&v)
        }
    }
}

/// Rebuilds every frame checksum after the first `from` bytes were edited
/// (what a forger does): walks the frames and recomputes each CRC chained
/// to the 4 bytes before it.
pub fn rechain(bytes: &mut [u8]) {
    let header_crc = koffer::crc::checksum(&bytes[..14]);
    bytes[14..18].copy_from_slice(&header_crc.to_le_bytes());
    for (at, _, size) in frames(bytes) {
        let prev: [u8; 4] = bytes[at - 4..at].try_into().unwrap();
        let crc = koffer::frame::checksum(&prev, &bytes[at..at + size - 4]);
        bytes[at + size - 4..at + size].copy_from_slice(&crc.to_le_bytes());
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The frames of a container as (kind, body).
pub fn bodies(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    frames(bytes)
        .into_iter()
        .map(|(at, kind, size)| (kind, bytes[at + 5..at + size - 4].to_vec()))
        .collect()
}

/// What a forger does: writes `frames` behind `header` with every checksum
/// and the END frame's totals rebuilt (an END frame in the list is written
/// with the totals counted).
pub fn rebuild(header: &[u8], frames: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut h = [0u8; 18];
    h.copy_from_slice(&header[..18]);
    let crc = koffer::crc::checksum(&h[..14]);
    h[14..18].copy_from_slice(&crc.to_le_bytes());
    let mut chain = koffer::frame::Chain::start(Vec::new(), &h).unwrap();
    for (kind, body) in frames {
        match kind {
            0x04 => chain.end().unwrap(),
            0x03 => {
                chain.frame(0x03, &[body]).unwrap();
                let count = koffer::block::Block::parse(body).unwrap().header().count;
                chain.count_block(count);
            }
            k => chain.frame(*k, &[body]).unwrap(),
        }
    }
    chain.into_sink()
}

/// Offset of frame `i` (of `bodies`) once rebuilt.
pub fn offset_of(frames: &[(u8, Vec<u8>)], i: usize) -> u64 {
    18 + frames[..i]
        .iter()
        .map(|(_, b)| 9 + b.len() as u64)
        .sum::<u64>()
}

/// What an older writer did when it resumed after a cut between a final
/// seal and the END frame: `frames` (a sealed container's frames, the last
/// one a final seal), then `blocks` more block frames sealed every `every`,
/// a final seal and the END frame, every seal signed with our key.
pub fn continued_after_final(
    header: &[u8],
    frames: &[(u8, Vec<u8>)],
    blocks: &[Vec<u8>],
    every: usize,
) -> Vec<u8> {
    let mut cur = frames.to_vec();
    let seal = |cur: &mut Vec<(u8, Vec<u8>)>, is_final: bool| {
        let mut d = koffer::seal::Digest::new();
        d.feed(&rebuild(header, cur));
        let body = koffer::seal::seal_body(&d, is_final, &mut signer()).unwrap();
        cur.push((0x41, body.to_vec()));
    };
    for (i, b) in blocks.iter().enumerate() {
        cur.push((0x03, b.clone()));
        if (i + 1) % every == 0 && i + 1 < blocks.len() {
            seal(&mut cur, false);
        }
    }
    seal(&mut cur, true);
    cur.push((0x04, vec![]));
    rebuild(header, &cur)
}
