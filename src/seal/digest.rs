//! The running digest (spec `seal.md` §4.1, §6): every byte of a container,
//! fed in order in chunks of any size, into the running SHA-256; every block
//! frame into its Merkle leaf; every SEAL frame closes a segment.
//!
//! The same state serves the sealing writer (through [`HashSink`], as bytes
//! go out), resuming after a power cut (the intact prefix fed back in, from
//! any storage), and the verifier.

use embedded_io::{ErrorType, Write};
use sha2::{Digest as _, Sha256};

use crate::frame::{kind, FrameHead};
use crate::header::HEADER_LEN;
use crate::seal::frame::{at, FLAG_FINAL, TAG};
use crate::seal::merkle::{sha_finish, sha_update, Merkle};
use crate::seal::{KIND_KEY, KIND_SEAL};

/// Bytes of a SEAL body the digest keeps: tag, sequence, flags.
const CAPTURE: usize = at::FLAGS + 1;

/// The state of a container's running digest, fed byte by byte in order.
///
/// ```
/// use koffer::seal::Digest;
/// use koffer::write::Writer;
/// let mut buf = [0u8; 32];
/// let bytes = Writer::new(Vec::new(), &mut buf)?.finish()?;
/// // Fed in chunks of any size, the state is the same.
/// let mut d = Digest::new();
/// for chunk in bytes.chunks(5) {
///     d.feed(chunk);
/// }
/// use sha2::Digest as _;
/// assert_eq!(d.running(), <[u8; 32]>::from(sha2::Sha256::digest(&bytes)));
/// assert_eq!(d.position(), bytes.len() as u64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Digest {
    running: Sha256,
    leaf: Sha256,
    merkle: Merkle,
    position: u64,
    head: [u8; FrameHead::LEN],
    head_len: u8,
    /// Bytes of the current frame after its head still to come.
    left: u32,
    kind: u8,
    /// Bytes of the current frame's body seen so far (up to CAPTURE).
    body_seen: u8,
    capture: [u8; CAPTURE],
    key_seen: bool,
    seals: u32,
    last_sequence: u32,
    last_final: bool,
    segment_start: u64,
    /// Frames since the last SEAL frame (0 right after it).
    frames_since_seal: u32,
}

impl core::fmt::Debug for Digest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Digest")
            .field("position", &self.position)
            .field("seals", &self.seals)
            .field("blocks_since_seal", &self.merkle.len())
            .finish_non_exhaustive()
    }
}

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

impl Digest {
    /// The state before the first byte.
    pub fn new() -> Self {
        Digest {
            running: Sha256::new(),
            leaf: Sha256::new(),
            merkle: Merkle::new(),
            position: 0,
            head: [0; FrameHead::LEN],
            head_len: 0,
            left: 0,
            kind: 0,
            body_seen: 0,
            capture: [0; CAPTURE],
            key_seen: false,
            seals: 0,
            last_sequence: 0,
            last_final: false,
            segment_start: 0,
            frames_since_seal: 0,
        }
    }

    /// Back to the state before the first byte, in place (no 800-byte
    /// temporary on a device's stack).
    pub fn reset(&mut self) {
        sha2::Digest::reset(&mut self.running);
        sha2::Digest::reset(&mut self.leaf);
        self.merkle.clear();
        self.position = 0;
        self.head_len = 0;
        self.left = 0;
        self.kind = 0;
        self.body_seen = 0;
        self.key_seen = false;
        self.seals = 0;
        self.last_sequence = 0;
        self.last_final = false;
        self.segment_start = 0;
        self.frames_since_seal = 0;
    }

    /// Feeds the next bytes of the container.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.position < HEADER_LEN as u64 {
                let n = bytes.len().min(HEADER_LEN - self.position as usize);
                self.take(&bytes[..n]);
                bytes = &bytes[n..];
                continue;
            }
            if usize::from(self.head_len) < FrameHead::LEN {
                let start = usize::from(self.head_len);
                let n = bytes.len().min(FrameHead::LEN - start);
                self.head[start..start + n].copy_from_slice(&bytes[..n]);
                self.head_len += n as u8;
                self.take(&bytes[..n]);
                bytes = &bytes[n..];
                if usize::from(self.head_len) == FrameHead::LEN {
                    self.kind = self.head[0];
                    let len = u32::from_le_bytes([self.head[1], self.head[2], self.head[3], 0]);
                    self.left = len + 4;
                    self.body_seen = 0;
                    if self.kind == kind::BLOCK {
                        // The leaf state was reset when the last block closed.
                        sha_update(&mut self.leaf, &[0x00]);
                        sha_update(&mut self.leaf, &self.head);
                    }
                }
                continue;
            }
            let n = bytes.len().min(self.left as usize);
            let chunk = &bytes[..n];
            self.take(chunk);
            if self.kind == kind::BLOCK {
                sha_update(&mut self.leaf, chunk);
            }
            if self.kind == KIND_SEAL && usize::from(self.body_seen) < CAPTURE {
                let start = usize::from(self.body_seen);
                let m = n.min(CAPTURE - start);
                self.capture[start..start + m].copy_from_slice(&chunk[..m]);
                self.body_seen += m as u8;
            }
            self.left -= n as u32;
            bytes = &bytes[n..];
            if self.left == 0 {
                self.frame_done();
            }
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        sha_update(&mut self.running, bytes);
        self.position += bytes.len() as u64;
    }

    fn frame_done(&mut self) {
        self.head_len = 0;
        self.frames_since_seal += 1;
        match self.kind {
            kind::BLOCK => {
                let mut leaf = [0u8; 32];
                sha_finish(&mut self.leaf, &mut leaf);
                self.merkle.push(leaf);
            }
            KIND_KEY => self.key_seen = true,
            KIND_SEAL if usize::from(self.body_seen) == CAPTURE && self.capture[..8] == TAG => {
                let s = &self.capture[at::SEQUENCE..at::FLAGS];
                self.last_sequence = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                self.last_final = self.capture[at::FLAGS] & FLAG_FINAL != 0;
                self.seals += 1;
                self.segment_start = self.position;
                self.merkle = Merkle::new();
                self.frames_since_seal = 0;
            }
            _ => {}
        }
    }

    /// Bytes fed so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// True when the bytes fed end on a frame boundary (or inside the header).
    pub fn at_boundary(&self) -> bool {
        self.head_len == 0
    }

    /// SHA-256 of every byte fed so far.
    pub fn running(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.running_into(&mut out);
        out
    }

    /// [`running`](Self::running), written into `out` (no copy on a device's stack).
    pub fn running_into(&self, out: &mut [u8; 32]) {
        sha_finish(&mut self.running.clone(), out);
    }

    /// The Merkle tree head over the block frames since the last seal.
    pub fn merkle_root(&self) -> [u8; 32] {
        self.merkle.root()
    }

    /// [`merkle_root`](Self::merkle_root), written into `out`.
    pub fn merkle_root_into(&self, out: &mut [u8; 32]) {
        self.merkle.root_into(out);
    }

    /// Block frames since the last SEAL frame (or the start).
    pub fn blocks_since_seal(&self) -> u32 {
        self.merkle.len()
    }

    /// Frames of any kind since the last SEAL frame (or the start).
    pub fn frames_since_seal(&self) -> u32 {
        self.frames_since_seal
    }

    /// SEAL frames seen.
    pub fn seals(&self) -> u32 {
        self.seals
    }

    /// The sequence number of the last SEAL frame seen (0 before the first).
    pub fn last_sequence(&self) -> u32 {
        self.last_sequence
    }

    /// Whether the last SEAL frame seen was final.
    pub fn last_final(&self) -> bool {
        self.last_final
    }

    /// Where the current segment starts: the end of the last SEAL frame, or 0.
    pub fn segment_start(&self) -> u64 {
        self.segment_start
    }

    /// Whether a KEY frame has gone by.
    pub fn key_seen(&self) -> bool {
        self.key_seen
    }
}

/// A sink that feeds every byte written through it into a [`Digest`]: the
/// sealing writer's hook on the plain writer. The digest is borrowed, not
/// owned: it lives once, where the caller put it, and is never copied.
///
/// ```
/// use koffer::seal::{Digest, HashSink};
/// use koffer::write::Writer;
/// let mut buf = [0u8; 32];
/// let mut digest = Digest::new();
/// let sink = Writer::new(HashSink::new(Vec::new(), &mut digest), &mut buf)?.finish()?;
/// let len = sink.into_inner().len() as u64;
/// assert_eq!(digest.position(), len);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct HashSink<'d, W> {
    inner: W,
    digest: &'d mut Digest,
}

impl<'d, W> HashSink<'d, W> {
    /// A sink over `inner` that appends after the bytes `digest` was fed
    /// (none, for a [`Digest::new`]).
    pub fn new(inner: W, digest: &'d mut Digest) -> Self {
        HashSink { inner, digest }
    }

    /// The digest of everything written so far.
    pub fn digest(&self) -> &Digest {
        self.digest
    }

    /// The sink below.
    pub fn inner(&self) -> &W {
        &self.inner
    }

    /// Gives the sink below back.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: ErrorType> ErrorType for HashSink<'_, W> {
    type Error = W::Error;
}

impl<W: Write> Write for HashSink<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, W::Error> {
        let n = self.inner.write(bytes)?;
        self.digest.feed(&bytes[..n]);
        Ok(n)
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.inner.write_all(bytes)?;
        self.digest.feed(bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), W::Error> {
        self.inner.flush()
    }
}
