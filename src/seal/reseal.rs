//! Sealing an existing container (feature `alloc`; spec `seal.md` §7.3):
//! its frames re-emitted unchanged behind a KEY frame, sealed as the
//! sealing writer seals.

use alloc::vec::Vec;

use crate::frame::{kind, Chain};
use crate::header::Header;
use crate::read::{Frame, Reader};
use crate::seal::digest::{Digest, HashSink};
use crate::seal::writer::seal_body;
use crate::seal::{KeyFrame, Signer, KIND_KEY, KIND_SEAL, MINOR, SEALED};

/// Why a container could not be sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealContainerError<S> {
    /// The input is not a container that reads intact (a corrupt frame).
    Read(crate::read::Error),
    /// The input already has a KEY or SEAL frame (offset of it).
    AlreadySealed(u64),
    /// The KEY frame does not fit the signer (algorithm, interval).
    Key,
    /// The signer failed.
    Sign(S),
}

impl<S: core::fmt::Debug> core::fmt::Display for SealContainerError<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SealContainerError::Read(e) => write!(f, "{e}"),
            SealContainerError::AlreadySealed(at) => {
                write!(f, "at byte {at}: the container is already sealed")
            }
            SealContainerError::Key => f.write_str("the key does not fit the signer"),
            SealContainerError::Sign(e) => write!(f, "the signer failed: {e:?}"),
        }
    }
}

impl<S: core::fmt::Debug> core::error::Error for SealContainerError<S> {}

/// Seals the container `input`: the same header (minor version at least 2,
/// the [`SEALED`] bit set), the KEY frame, then every frame of `input` with
/// its body unchanged (so every record is unchanged), a SEAL frame after
/// every `key.every` blocks, and — if `input` is complete — a final SEAL
/// frame and the END frame. An incomplete input gives an incomplete output
/// whose last frame is a SEAL frame (its torn tail is dropped).
///
/// ```
/// use koffer::seal::{seal_container, verify, Algorithm, Ed25519, KeyFrame, PublicKey, Verdict};
/// let mut buf = [0u8; 32];
/// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
/// let n = w.declare(0, "n", 1, &[])?;
/// for i in 0..100u32 { w.write_serialized(n, &i)?; }
/// let plain = w.finish()?;
///
/// let signer = Ed25519::from_seed([3; 32]);
/// let pk = signer.public_key();
/// let sealed = seal_container(&plain, signer, &KeyFrame::new(Algorithm::EdDSA, &pk, 8))?;
/// let report = verify(&sealed, &[PublicKey { alg: Algorithm::EdDSA, bytes: &pk }]);
/// assert_eq!(report.verdict, Verdict::Authentic);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn seal_container<S: Signer>(
    input: &[u8],
    mut signer: S,
    key: &KeyFrame<'_>,
) -> Result<Vec<u8>, SealContainerError<S::Error>> {
    use SealContainerError as E;
    if key.alg != signer.algorithm() || key.every == 0 || key.every > crate::seal::MAX_EVERY {
        return Err(E::Key);
    }
    let reader = Reader::new(input).map_err(E::Read)?;
    let h = reader.header();
    let header = Header {
        minor: h.minor.max(MINOR),
        optional_features: h.optional_features | SEALED,
        ..h
    };
    let mut digest = Digest::new();
    let mut out = Chain::start(
        HashSink::new(
            Vec::with_capacity(input.len() + input.len() / 8 + 512),
            &mut digest,
        ),
        &header.to_bytes(),
    )
    .map_err(|_| E::Key)?;
    let infallible = |_| E::Key;
    let mut body = alloc::vec![0u8; key.body_len()];
    key.encode(&mut body).ok_or(E::Key)?;
    out.frame(KIND_KEY, &[&body]).map_err(infallible)?;
    let mut frames = reader.frames();
    let mut complete = false;
    for f in frames.by_ref() {
        let f = f.map_err(E::Read)?;
        let body = &input[f.body_offset as usize..(f.offset + f.size) as usize - 4];
        match f.frame {
            Frame::End(_) => {
                complete = true;
                break;
            }
            Frame::Ancillary {
                kind: KIND_KEY | KIND_SEAL,
                ..
            } => return Err(E::AlreadySealed(f.offset)),
            Frame::Ancillary { kind, .. } => out.frame(kind, &[body]).map_err(infallible)?,
            Frame::Metadata(_) => out.frame(kind::METADATA, &[body]).map_err(infallible)?,
            Frame::Schema(_) => out.frame(kind::SCHEMA, &[body]).map_err(infallible)?,
            Frame::Block(b) => {
                out.frame(kind::BLOCK, &[body]).map_err(infallible)?;
                out.count_block(b.header().count);
            }
        }
        if out.sink_mut().digest().blocks_since_seal() >= key.every {
            let seal = seal_body(out.sink_mut().digest(), false, &mut signer).map_err(E::Sign)?;
            out.frame(KIND_SEAL, &[&seal]).map_err(infallible)?;
        }
    }
    frames.finish().map_err(E::Read)?;
    let last_is_seal =
        out.sink_mut().digest().frames_since_seal() == 0 && out.sink_mut().digest().seals() > 0;
    if complete || !last_is_seal {
        let seal = seal_body(out.sink_mut().digest(), complete, &mut signer).map_err(E::Sign)?;
        out.frame(KIND_SEAL, &[&seal]).map_err(infallible)?;
    }
    if complete {
        out.end().map_err(infallible)?;
    }
    Ok(out.into_sink().into_inner())
}
