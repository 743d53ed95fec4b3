//! Verifying a sealed container (spec `seal.md` §8): which bytes are
//! authentic, up to where, and why not.

use crate::frame::kind;
use crate::read::{Frame, Frames, Reader};
use crate::seal::digest::Digest;
use crate::seal::frame::{at, SealFrame, PAYLOAD_LEN};
use crate::seal::signer::{Check, SignatureCheck};
use crate::seal::tbs::tbs;
use crate::seal::{Algorithm, Error, ErrorKind, KeyFrame, KEY_ID_LEN, KIND_KEY, KIND_SEAL, SEALED};

/// A public key the verifier trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey<'a> {
    /// Its algorithm.
    pub alg: Algorithm,
    /// Its bytes, as the KEY frame holds them.
    pub bytes: &'a [u8],
}

/// The KEY frame a container names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KeyInfo {
    /// Offset of the KEY frame.
    pub offset: u64,
    /// The algorithm.
    pub alg: Algorithm,
    /// The key id.
    pub key_id: [u8; KEY_ID_LEN],
    /// The seal interval, in blocks.
    pub every: u32,
}

/// What the verifier concluded (spec `seal.md` §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Verdict {
    /// Complete, and every byte before the END frame is sealed by a trusted
    /// key, the last seal final.
    Authentic,
    /// Authentic up to [`Report::authentic_len`] (the end of seal
    /// [`Report::seals`]); the container is incomplete and the bytes after
    /// that are not sealed (a power cut, a truncation, or appended bytes).
    AuthenticPrefix,
    /// Not authentic: what failed, and where.
    NotAuthentic(Error),
    /// The container itself is damaged or not a container; the bytes up to
    /// [`Report::authentic_len`] are authentic.
    Container(crate::read::Error),
}

/// The verification report of a sealed container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Report {
    /// The header declares the container sealed (optional feature bit [`SEALED`]).
    pub declared: bool,
    /// The container's KEY frame, if it has one.
    pub key: Option<KeyInfo>,
    /// SEAL frames verified, in order (the last verified one is seal number `seals`).
    pub seals: u32,
    /// SEAL frames found (as far as the verifier read).
    pub seals_found: u32,
    /// Bytes `0..authentic_len` are authentic: the end of the last good SEAL frame.
    pub authentic_len: u64,
    /// The container's length: the end of its last intact frame (the valid
    /// prefix of an incomplete or damaged container; 0 if its header is not
    /// a container's). Set whatever the verdict.
    pub container_len: u64,
    /// The verdict.
    pub verdict: Verdict,
}

impl Report {
    /// Bytes of the container after the last good seal that no seal covers
    /// (the END frame of an authentic container included).
    pub fn unsealed_len(&self) -> u64 {
        self.container_len.saturating_sub(self.authentic_len)
    }
}

/// Verifies `bytes` with the software Ed25519 (feature `seal-ed25519`):
/// [`verify_with`] and [`Ed25519::VERIFIER`](crate::seal::Ed25519::VERIFIER).
#[cfg(feature = "seal-ed25519")]
pub fn verify(bytes: &[u8], trusted: &[PublicKey<'_>]) -> Report {
    verify_with(bytes, trusted, &crate::seal::Ed25519::VERIFIER)
}

/// Verifies the seals of the container `bytes` against the `trusted` keys.
///
/// Reads every frame with every check of a verifier (spec `format.md`
/// §10.1), feeds every byte into the running digest, and checks each SEAL
/// frame in the order of spec `seal.md` §8.2. Never panics; its work is
/// linear in the input (one signature check per SEAL frame, each at least
/// 170 bytes long); allocates nothing.
///
/// ```
/// use koffer::seal::{verify_with, Ed25519, ErrorKind, Verdict};
/// // A plain container, verified as if it had to be sealed.
/// let mut buf = [0u8; 32];
/// let bytes = koffer::write::Writer::new(Vec::new(), &mut buf)?.finish()?;
/// let report = verify_with(&bytes, &[], &Ed25519::VERIFIER);
/// assert!(matches!(report.verdict, Verdict::NotAuthentic(e) if e.kind == ErrorKind::Unsealed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_with(
    bytes: &[u8],
    trusted: &[PublicKey<'_>],
    checker: &impl SignatureCheck,
) -> Report {
    let mut report = Report {
        declared: false,
        key: None,
        seals: 0,
        seals_found: 0,
        authentic_len: 0,
        container_len: 0,
        verdict: Verdict::AuthenticPrefix,
    };
    let reader = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => {
            report.verdict = Verdict::Container(e);
            return report;
        }
    };
    report.declared = reader.header().optional_features & SEALED != 0;
    let mut digest = Digest::new();
    digest.feed(&bytes[..crate::header::HEADER_LEN]);
    let mut key: Option<(KeyInfo, &[u8])> = None;
    let mut frames = reader.frames();
    // A failure: the verdict, and the container's length as far as its
    // frames stay intact (read on, without seal checks).
    let fail = |report: &mut Report, frames: &mut Frames<'_>, offset: u64, kind: ErrorKind| {
        report.verdict = Verdict::NotAuthentic(Error { offset, kind });
        report.container_len = match frames.finish() {
            Ok(summary) => summary.len,
            Err(_) => Frames::position(frames),
        };
    };
    while let Some(item) = frames.next() {
        let f = match item {
            Ok(f) => f,
            Err(e) => {
                report.verdict = Verdict::Container(e);
                report.container_len = Frames::position(&frames);
                return report;
            }
        };
        let start = f.offset;
        let end = (f.offset + f.size) as usize;
        let frame_kind = match f.frame {
            Frame::Block(_) => kind::BLOCK,
            Frame::End(_) => kind::END,
            Frame::Ancillary { kind, .. } => kind,
            _ => kind::METADATA,
        };
        // The KEY frame comes before any block, seal or end frame.
        if key.is_none() && matches!(frame_kind, kind::BLOCK | KIND_SEAL | kind::END) {
            let kind = if report.declared || frame_kind == KIND_SEAL {
                ErrorKind::KeyMissing
            } else {
                ErrorKind::Unsealed
            };
            let at = if kind == ErrorKind::Unsealed {
                0
            } else {
                start
            };
            fail(&mut report, &mut frames, at, kind);
            return report;
        }
        // After a final seal the writer ended: only the END frame follows
        // (spec `seal.md` §8.2 step 5), so a container cut after a final
        // seal in its middle cannot pass as complete.
        if digest.last_final() && frame_kind != kind::END {
            fail(&mut report, &mut frames, start, ErrorKind::SealMissing);
            return report;
        }
        match (frame_kind, f.frame) {
            (KIND_KEY, Frame::Ancillary { body, .. }) => {
                if key.is_some() {
                    fail(&mut report, &mut frames, start, ErrorKind::DuplicateKey);
                    return report;
                }
                let k = match KeyFrame::parse(body) {
                    Ok(k) => k,
                    Err(m) => {
                        fail(
                            &mut report,
                            &mut frames,
                            f.body_offset + m.at as u64,
                            ErrorKind::MalformedKey(m.reason),
                        );
                        return report;
                    }
                };
                let info = KeyInfo {
                    offset: start,
                    alg: k.alg,
                    key_id: k.key_id,
                    every: k.every,
                };
                report.key = Some(info);
                if !trusted
                    .iter()
                    .any(|t| t.alg == k.alg && t.bytes == k.public_key)
                {
                    fail(&mut report, &mut frames, start, ErrorKind::UntrustedKey);
                    return report;
                }
                key = Some((info, k.public_key));
            }
            (kind::BLOCK, _) => {
                let (info, _) = key.expect("checked above");
                if digest.blocks_since_seal() >= info.every {
                    fail(&mut report, &mut frames, start, ErrorKind::SealMissing);
                    return report;
                }
            }
            (KIND_SEAL, Frame::Ancillary { body, .. }) => {
                report.seals_found += 1;
                let (info, public_key) = key.expect("checked above");
                let body_at = |i: usize| f.body_offset + i as u64;
                let seal = match SealFrame::parse(body) {
                    Ok(s) => s,
                    Err(m) => {
                        fail(
                            &mut report,
                            &mut frames,
                            body_at(m.at),
                            ErrorKind::MalformedSeal(m.reason),
                        );
                        return report;
                    }
                };
                let p = seal.payload;
                let payload: &[u8; PAYLOAD_LEN] = body[..PAYLOAD_LEN].try_into().expect("parsed");
                match checker.check(
                    info.alg,
                    public_key,
                    &tbs(info.alg, payload),
                    &seal.signature,
                ) {
                    Check::Good => {}
                    Check::Bad => {
                        fail(
                            &mut report,
                            &mut frames,
                            body_at(at::SIGNATURE),
                            ErrorKind::BadSignature,
                        );
                        return report;
                    }
                    Check::Unsupported => {
                        fail(
                            &mut report,
                            &mut frames,
                            info.offset,
                            ErrorKind::UnsupportedAlgorithm {
                                alg: info.alg.cose_id(),
                            },
                        );
                        return report;
                    }
                }
                let expected = digest.last_sequence().wrapping_add(1);
                if p.sequence != expected {
                    fail(
                        &mut report,
                        &mut frames,
                        body_at(at::SEQUENCE),
                        ErrorKind::SequenceMismatch {
                            expected,
                            found: p.sequence,
                        },
                    );
                    return report;
                }
                if p.segment_start != digest.segment_start() {
                    fail(
                        &mut report,
                        &mut frames,
                        body_at(at::SEGMENT_START),
                        ErrorKind::RangeMismatch {
                            expected: digest.segment_start(),
                            found: p.segment_start,
                        },
                    );
                    return report;
                }
                if p.covered_end != start {
                    fail(
                        &mut report,
                        &mut frames,
                        body_at(at::COVERED_END),
                        ErrorKind::RangeMismatch {
                            expected: start,
                            found: p.covered_end,
                        },
                    );
                    return report;
                }
                if p.running != digest.running() {
                    // Some byte of the segment differs from what was sealed:
                    // the bytes from the last good seal on are not authentic.
                    let from = report.authentic_len;
                    fail(
                        &mut report,
                        &mut frames,
                        from,
                        ErrorKind::DigestMismatch { seal: start },
                    );
                    return report;
                }
                if p.leaf_count != digest.blocks_since_seal()
                    || p.merkle_root != digest.merkle_root()
                {
                    fail(
                        &mut report,
                        &mut frames,
                        body_at(at::LEAF_COUNT),
                        ErrorKind::MerkleMismatch,
                    );
                    return report;
                }
                report.seals += 1;
                report.authentic_len = end as u64;
            }
            (kind::END, _) => {
                let sealed_end = digest.seals() > 0
                    && digest.last_final()
                    && digest.frames_since_seal() == 0
                    && report.authentic_len == start;
                if !sealed_end {
                    fail(&mut report, &mut frames, start, ErrorKind::SealMissing);
                    return report;
                }
            }
            _ => {}
        }
        digest.feed(&bytes[start as usize..end]);
    }
    match frames.finish() {
        Ok(summary) => {
            report.container_len = summary.len;
            if key.is_none() {
                if report.declared {
                    // Incomplete before any block: nothing to prove yet.
                    report.verdict = Verdict::AuthenticPrefix;
                } else {
                    report.verdict = Verdict::NotAuthentic(Error {
                        offset: 0,
                        kind: ErrorKind::Unsealed,
                    });
                }
            } else if summary.is_complete() {
                report.verdict = Verdict::Authentic;
            } else {
                report.verdict = Verdict::AuthenticPrefix;
            }
        }
        Err(e) => {
            report.verdict = Verdict::Container(e);
            report.container_len = Frames::position(&frames);
        }
    }
    report
}

/// What a container says about its seals, read without checking them (for
/// `verify` without a key, and `inspect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Survey {
    /// The header declares the container sealed.
    pub declared: bool,
    /// The first KEY frame, if well formed.
    pub key: Option<KeyInfo>,
    /// SEAL frames.
    pub seals: u32,
}

/// Surveys the seals of `bytes`: the declaration, the KEY frame, the number
/// of SEAL frames, as far as the container reads (no digest, no signature).
///
/// ```
/// let mut buf = [0u8; 32];
/// let bytes = koffer::write::Writer::new(Vec::new(), &mut buf)?.finish()?;
/// let s = koffer::seal::survey(&bytes);
/// assert_eq!((s.declared, s.key, s.seals), (false, None, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn survey(bytes: &[u8]) -> Survey {
    let mut s = Survey {
        declared: false,
        key: None,
        seals: 0,
    };
    let Ok(reader) = Reader::new(bytes) else {
        return s;
    };
    s.declared = reader.header().optional_features & SEALED != 0;
    for f in reader.frames().map_while(|f| f.ok()) {
        match f.frame {
            Frame::Ancillary {
                kind: KIND_KEY,
                body,
            } if s.key.is_none() => {
                if let Ok(k) = KeyFrame::parse(body) {
                    s.key = Some(KeyInfo {
                        offset: f.offset,
                        alg: k.alg,
                        key_id: k.key_id,
                        every: k.every,
                    });
                }
            }
            Frame::Ancillary {
                kind: KIND_SEAL, ..
            } => s.seals += 1,
            _ => {}
        }
    }
    s
}
