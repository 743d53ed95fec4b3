//! The sealing writer (spec `seal.md` §7): a [`Writer`] whose every byte
//! goes through a [`HashSink`], with the KEY frame first, a SEAL frame
//! after every `every` blocks, and a final SEAL frame before the END frame.

use embedded_io::Write;
use serde::Serialize;

use crate::end::End;
use crate::header::{Header, HEADER_LEN};
use crate::meta::Entry;
use crate::schema::RecordType;
use crate::seal::digest::{Digest, HashSink};
use crate::seal::frame::{at, FLAG_FINAL, PAYLOAD_LEN, SEAL_BODY_LEN, TAG};
use crate::seal::key::KEY_HEAD_MAX;
use crate::seal::tbs::{tbs_prefix, TBS_LEN, TBS_PREFIX_LEN};
use crate::seal::{KeyFrame, Signer, KIND_KEY, KIND_SEAL, MINOR, SEALED};
use crate::write::{self, RawHandle, RecordHandle, ResumePoint, Writer};

/// Why the sealing writer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WriteError<E, S> {
    /// The writer below failed.
    Write(write::Error<E>),
    /// The signer failed; no SEAL frame was written.
    Sign(S),
    /// The KEY frame is not one this writer can use: its algorithm is not
    /// the signer's, its interval is outside `1..=MAX_EVERY`, or it does not
    /// fit a frame.
    Key,
    /// Resuming: the digest was not fed exactly the intact prefix, or the
    /// prefix is not a sealed container's (frames after a final seal).
    Resume,
    /// The container was finished by its final seal (resumed after a cut
    /// between the final seal and the END frame): only
    /// [`SealingWriter::finish`], which appends the END frame, is allowed;
    /// further data goes to a new container (spec `seal.md` §7.2).
    Finished,
}

impl<E, S> From<write::Error<E>> for WriteError<E, S> {
    fn from(e: write::Error<E>) -> Self {
        WriteError::Write(e)
    }
}

impl<E: core::fmt::Debug, S: core::fmt::Debug> core::fmt::Display for WriteError<E, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WriteError::Write(e) => write!(f, "{e}"),
            WriteError::Sign(e) => write!(f, "the signer failed: {e:?}"),
            WriteError::Key => f.write_str("the KEY frame does not fit the signer or the limits"),
            WriteError::Resume => {
                f.write_str("the digest does not match the intact prefix of a sealed container")
            }
            WriteError::Finished => f.write_str(
                "the container ended with its final seal: only the END frame may follow",
            ),
        }
    }
}

impl<E: core::fmt::Debug, S: core::fmt::Debug> core::error::Error for WriteError<E, S> {}

/// Builds the SEAL frame body that closes the bytes `digest` was fed.
///
/// ```
/// use koffer::seal::{seal_body, Digest, Ed25519, SealFrame};
/// let mut d = Digest::new();
/// d.feed(&koffer::header::Header::CURRENT.to_bytes());
/// let body = seal_body(&d, false, &mut Ed25519::from_seed([1; 32])).unwrap();
/// let seal = SealFrame::parse(&body).unwrap();
/// assert_eq!((seal.payload.sequence, seal.payload.covered_end), (1, 18));
/// ```
pub fn seal_body<S: Signer>(
    digest: &Digest,
    is_final: bool,
    signer: &mut S,
) -> core::result::Result<[u8; SEAL_BODY_LEN], S::Error> {
    let mut buf = [0u8; SEAL_BUF_LEN];
    fill_seal(digest, is_final, signer, &mut buf)?;
    let mut body = [0u8; SEAL_BODY_LEN];
    body.copy_from_slice(&buf[TBS_PREFIX_LEN..]);
    Ok(body)
}

/// The to-be-signed prefix (§5) followed by the SEAL body: the payload is
/// written once, in place, signed where it lies, and the signature lands
/// right after it, so the body is `buf[TBS_PREFIX_LEN..]` with no copy.
const SEAL_BUF_LEN: usize = TBS_PREFIX_LEN + SEAL_BODY_LEN;

/// Fills `buf` with the to-be-signed bytes of the seal that closes the
/// bytes `digest` was fed, then its signature (spec `seal.md` §4.3, §5).
fn fill_seal<S: Signer>(
    digest: &Digest,
    is_final: bool,
    signer: &mut S,
    buf: &mut [u8; SEAL_BUF_LEN],
) -> core::result::Result<(), S::Error> {
    let alg = signer.algorithm();
    tbs_prefix(
        alg,
        (&mut buf[..TBS_PREFIX_LEN]).try_into().expect("19 bytes"),
    );
    let (tbs, signature) = buf.split_at_mut(TBS_LEN);
    let p = &mut tbs[TBS_PREFIX_LEN..];
    p[..8].copy_from_slice(&TAG);
    p[at::SEQUENCE..at::FLAGS]
        .copy_from_slice(&digest.last_sequence().wrapping_add(1).to_le_bytes());
    p[at::FLAGS] = if is_final { FLAG_FINAL } else { 0 };
    p[at::SEGMENT_START..at::COVERED_END].copy_from_slice(&digest.segment_start().to_le_bytes());
    p[at::COVERED_END..at::LEAF_COUNT].copy_from_slice(&digest.position().to_le_bytes());
    p[at::LEAF_COUNT..at::RUNNING].copy_from_slice(&digest.blocks_since_seal().to_le_bytes());
    digest.running_into(
        (&mut p[at::RUNNING..at::MERKLE_ROOT])
            .try_into()
            .expect("32 bytes"),
    );
    digest.merkle_root_into(
        (&mut p[at::MERKLE_ROOT..PAYLOAD_LEN])
            .try_into()
            .expect("32 bytes"),
    );
    signer.sign(tbs, signature.try_into().expect("64 bytes"))
}

/// A [`Writer`] that seals what it writes (spec `seal.md` §7): the header
/// declares the container sealed (minor version 2, optional feature bit
/// [`SEALED`]), the KEY frame comes first, a SEAL frame follows every
/// `every` blocks, and [`SealingWriter::finish`] writes the final SEAL frame
/// and the END frame. Its RAM: the block buffer and the [`Digest`] (about
/// 800 bytes), both the caller's and borrowed, and the signer.
///
/// ```
/// use koffer::seal::{verify, Algorithm, Digest, Ed25519, KeyFrame, PublicKey, SealingWriter, Verdict};
///
/// let signer = Ed25519::from_seed([7; 32]);
/// let pk = signer.public_key();
/// let key = KeyFrame::new(Algorithm::EdDSA, &pk, 2);
/// let mut buf = [0u8; 32];
/// let mut digest = Digest::new();
/// let mut w = SealingWriter::new(Vec::new(), &mut buf, &mut digest, signer, &key)?;
/// let n = w.declare(0, "n", 1, &[])?;
/// for i in 0..40u32 {
///     w.write_serialized(n, &i)?;
/// }
/// let bytes = w.finish()?;
///
/// let report = verify(&bytes, &[PublicKey { alg: Algorithm::EdDSA, bytes: &pk }]);
/// assert_eq!(report.verdict, Verdict::Authentic);
/// assert!(report.seals > 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SealingWriter<'b, W: Write, S: Signer> {
    w: Writer<'b, HashSink<'b, W>>,
    signer: S,
    every: u32,
}

type Result<T, W, S> =
    core::result::Result<T, WriteError<<W as embedded_io::ErrorType>::Error, <S as Signer>::Error>>;

impl<'b, W: Write, S: Signer> SealingWriter<'b, W, S> {
    /// Starts a sealed container: the header, then `key`'s KEY frame.
    /// `digest` is reset and then fed every byte written (the caller keeps
    /// its RAM, like `buf`'s).
    pub fn new(
        sink: W,
        buf: &'b mut [u8],
        digest: &'b mut Digest,
        signer: S,
        key: &KeyFrame<'_>,
    ) -> Result<Self, W, S> {
        Self::check_key(&signer, key)?;
        digest.reset();
        let header = Header {
            minor: MINOR,
            optional_features: SEALED,
            ..Header::CURRENT
        };
        let mut w = Writer::with_header(HashSink::new(sink, digest), buf, header)?;
        Self::key_frame(&mut w, key)?;
        Ok(SealingWriter {
            w,
            signer,
            every: key.every,
        })
    }

    fn check_key(signer: &S, key: &KeyFrame<'_>) -> Result<(), W, S> {
        if key.alg != signer.algorithm() || key.every == 0 || key.every > crate::seal::MAX_EVERY {
            return Err(WriteError::Key);
        }
        Ok(())
    }

    /// Continues a sealed container after a power cut (spec `seal.md` §7.2).
    ///
    /// `point` is [`ResumePoint::scan`] of the bytes written before, and
    /// `digest` those bytes' first [`ResumePoint::valid_len`] fed in order
    /// (in chunks of any size: storage need not be memory-mapped); it goes
    /// on being fed what is written. `key` and `signer` are the ones the
    /// container was started with.
    ///
    /// ```
    /// use koffer::seal::{verify, Algorithm, Digest, Ed25519, KeyFrame, PublicKey, SealingWriter, Verdict};
    /// use koffer::write::ResumePoint;
    ///
    /// let pk = Ed25519::from_seed([7; 32]).public_key();
    /// let key = KeyFrame::new(Algorithm::EdDSA, &pk, 4);
    /// let mut buf = [0u8; 32];
    /// let mut digest = Digest::new();
    /// let mut w = SealingWriter::new(Vec::new(), &mut buf, &mut digest, Ed25519::from_seed([7; 32]), &key)?;
    /// let n = w.declare(0, "n", 1, &[])?;
    /// for i in 0..30u32 { w.write_serialized(n, &i)?; }
    /// let mut bytes = w.into_sink(); // power cut: no final seal, no END frame
    /// bytes.truncate(bytes.len() - 3); // and a torn frame
    ///
    /// let point = ResumePoint::scan(&bytes)?;
    /// bytes.truncate(point.valid_len() as usize);
    /// digest.reset();
    /// for chunk in bytes.chunks(100) { digest.feed(chunk); } // read back from storage
    /// let mut w = SealingWriter::resume(bytes, &mut buf, &mut digest, Ed25519::from_seed([7; 32]), &key, &point)?;
    /// let n = w.declared_raw(0).unwrap();
    /// w.write_serialized(n, &99u32)?;
    /// let bytes = w.finish()?;
    /// let report = verify(&bytes, &[PublicKey { alg: Algorithm::EdDSA, bytes: &pk }]);
    /// assert_eq!(report.verdict, Verdict::Authentic);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(
        sink: W,
        buf: &'b mut [u8],
        digest: &'b mut Digest,
        signer: S,
        key: &KeyFrame<'_>,
        point: &ResumePoint,
    ) -> Result<Self, W, S> {
        if point.valid_len() == 0 {
            return Self::new(sink, buf, digest, signer, key);
        }
        Self::check_key(&signer, key)?;
        // Only the header survived (the cut fell inside the KEY frame): the
        // KEY frame is written again. A prefix with frames after a final
        // seal is not one a sealing writer wrote.
        let header_only = !digest.key_seen() && digest.position() == HEADER_LEN as u64;
        if digest.position() != point.valid_len()
            || !digest.at_boundary()
            || !(digest.key_seen() || header_only)
            || (digest.last_final() && digest.frames_since_seal() != 0)
        {
            return Err(WriteError::Resume);
        }
        let mut w = Writer::resume(HashSink::new(sink, digest), buf, point)?;
        if header_only {
            Self::key_frame(&mut w, key)?;
        }
        let mut s = SealingWriter {
            w,
            signer,
            every: key.every,
        };
        // After a final seal only the END frame follows (`finish`).
        if !s.digest().last_final() {
            s.maybe_seal()?;
        }
        Ok(s)
    }

    fn key_frame(w: &mut Writer<'b, HashSink<'b, W>>, key: &KeyFrame<'_>) -> Result<(), W, S> {
        let mut head = [0u8; KEY_HEAD_MAX];
        let n = key.encode_head(&mut head);
        w.frame_unbuffered(
            KIND_KEY,
            &[&head[..n], key.public_key, key.certificates.as_bytes()],
        )?;
        Ok(())
    }

    /// Whether the container ended with its final seal (resumed after a cut
    /// right after it): only [`finish`](Self::finish) is left to call.
    pub fn is_finished(&self) -> bool {
        self.digest().last_final()
    }

    fn open(&self) -> Result<(), W, S> {
        if self.digest().last_final() {
            return Err(WriteError::Finished);
        }
        Ok(())
    }

    /// The running digest of the bytes written so far.
    pub fn digest(&self) -> &Digest {
        self.w.sink_ref().digest()
    }

    /// Bytes written to the sink so far.
    pub fn position(&self) -> u64 {
        self.w.position()
    }

    /// Frames, blocks and records written so far.
    pub fn counted(&self) -> End {
        self.w.counted()
    }

    fn maybe_seal(&mut self) -> Result<(), W, S> {
        if self.digest().blocks_since_seal() >= self.every {
            self.seal(false)?;
        }
        Ok(())
    }

    /// Writes a SEAL frame now (records still buffered stay buffered: they
    /// go into a later block, under a later seal).
    pub fn seal_now(&mut self) -> Result<(), W, S> {
        self.open()?;
        self.seal(false)
    }

    fn seal(&mut self, is_final: bool) -> Result<(), W, S> {
        let mut buf = [0u8; SEAL_BUF_LEN];
        fill_seal(
            self.w.sink_ref().digest(),
            is_final,
            &mut self.signer,
            &mut buf,
        )
        .map_err(WriteError::Sign)?;
        self.w
            .frame_unbuffered(KIND_SEAL, &[&buf[TBS_PREFIX_LEN..]])?;
        Ok(())
    }

    /// [`Writer::metadata`], sealing when due.
    pub fn metadata(&mut self, entries: &[Entry<'_>]) -> Result<(), W, S> {
        self.open()?;
        self.w.metadata(entries)?;
        self.maybe_seal()
    }

    /// [`Writer::declare`], sealing when due.
    pub fn declare(
        &mut self,
        record_type: u8,
        name: &str,
        version: u32,
        definition: &[u8],
    ) -> Result<RawHandle, W, S> {
        self.open()?;
        let h = self.w.declare(record_type, name, version, definition)?;
        self.maybe_seal()?;
        Ok(h)
    }

    /// [`Writer::declare_type`], sealing when due.
    pub fn declare_type<T: RecordType + ?Sized>(
        &mut self,
        record_type: u8,
    ) -> Result<RecordHandle<T>, W, S> {
        self.open()?;
        let h = self.w.declare_type::<T>(record_type)?;
        self.maybe_seal()?;
        Ok(h)
    }

    /// [`Writer::declared_raw`].
    pub fn declared_raw(&self, record_type: u8) -> Option<RawHandle> {
        self.w.declared_raw(record_type).ok()
    }

    /// [`Writer::write`], sealing when due.
    pub fn write<T: Serialize + ?Sized>(
        &mut self,
        handle: RecordHandle<T>,
        value: &T,
    ) -> Result<(), W, S> {
        self.open()?;
        self.w.write(handle, value)?;
        self.maybe_seal()
    }

    /// [`Writer::write_serialized`], sealing when due.
    pub fn write_serialized<T: Serialize + ?Sized>(
        &mut self,
        handle: RawHandle,
        value: &T,
    ) -> Result<(), W, S> {
        self.open()?;
        self.w.write_serialized(handle, value)?;
        self.maybe_seal()
    }

    /// [`Writer::write_payload`], sealing when due.
    pub fn write_payload(&mut self, handle: RawHandle, payload: &[u8]) -> Result<(), W, S> {
        self.open()?;
        self.w.write_payload(handle, payload)?;
        self.maybe_seal()
    }

    /// [`Writer::flush`], sealing when due.
    pub fn flush(&mut self) -> Result<(), W, S> {
        self.open()?;
        self.w.flush()?;
        self.maybe_seal()
    }

    /// [`Writer::ancillary`]: a vendor frame (`0x60..=0x7F`), sealed with the rest.
    pub fn ancillary(&mut self, kind: u8, body: &[u8]) -> Result<(), W, S> {
        self.open()?;
        self.w.ancillary(kind, body)?;
        self.maybe_seal()
    }

    /// Writes the buffered records, the final SEAL frame and the END frame;
    /// returns the sink. If the container already ended with its final seal
    /// ([`is_finished`](Self::is_finished)), writes only the END frame.
    pub fn finish(mut self) -> Result<W, W, S> {
        if !self.digest().last_final() {
            self.w.flush()?;
            self.seal(true)?;
        }
        Ok(self.w.finish()?.into_inner())
    }

    /// Stops without finishing (what a power cut does) and returns the sink:
    /// the container is incomplete, authentic up to its last seal.
    pub fn into_sink(self) -> W {
        self.w.into_sink().into_inner()
    }
}
