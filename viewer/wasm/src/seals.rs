//! The seals of a container (spec `seal.md`), checked in the page: every
//! seal verified with `koffer::seal::verify` (software Ed25519) against the
//! public key the container's own KEY frame names, and, when the user picks
//! one, a public key file (`NAME.pub`, spec `seal.md` §6) compared with it.
//!
//! Verifying against the container's own key proves that the sealed bytes
//! were not changed since the holder of that key sealed them; it does not
//! say who holds the key. That is what the key id (to compare with the one
//! a vendor publishes) and the user's key file are for.

use koffer::read::{Frame, Reader};
use koffer::seal::{self, Algorithm, ErrorKind, PublicKey, Reason, Verdict, KIND_KEY, KIND_SEAL};
use serde::Serialize;

/// The prefix of a public key file's one line (spec `seal.md` §6).
pub const PUB_PREFIX: &str = "koffer-pub ed25519 ";

/// What the page shows about a container's seals.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SealCheck {
    /// `unsealed` (no declaration, no KEY frame, no SEAL frame: nothing was
    /// checked), `authentic` (complete, sealed to its END frame),
    /// `prefix` (authentic up to `authentic_len`, the rest not sealed),
    /// `not_authentic` (`error` says what and where), `damaged` (the
    /// container itself fails a check; authentic up to `authentic_len`),
    /// or `unsupported` (sealed with an algorithm this page cannot check).
    pub verdict: &'static str,
    /// The header declares the container sealed.
    pub declared: bool,
    /// The KEY frame, as `koffer inspect --json` shows it (`seals.key`).
    pub key: Option<KeyShown>,
    /// SEAL frames verified good, in order.
    pub seals: u32,
    /// SEAL frames found, as far as the verifier read.
    pub seals_found: u32,
    /// Bytes `0..authentic_len` are authentic (the end of the last good seal).
    pub authentic_len: u64,
    /// The container's length as far as its frames are intact.
    pub container_len: u64,
    /// The file's size.
    pub file_len: u64,
    /// Records (of every type) in blocks that lie wholly before
    /// `authentic_len`: the first `records_authentic` records of the file
    /// in file order are authentic.
    pub records_authentic: u64,
    /// Records in the container's intact frames.
    pub records: u64,
    /// Why it is not authentic (verdicts `not_authentic`, `unsupported`).
    pub error: Option<SealError>,
    /// The public key of the KEY frame (not serialised; compared with the
    /// user's key file).
    #[serde(skip)]
    pub public_key: Option<(Algorithm, Vec<u8>)>,
}

/// A KEY frame as the page shows it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct KeyShown {
    /// `EdDSA` or `ES256`.
    pub algorithm: &'static str,
    /// The key id, 16 lowercase hex digits (as `koffer inspect` prints it).
    pub key_id: String,
    /// The seal interval, in blocks.
    pub every: u32,
    /// The KEY frame's offset.
    pub offset: u64,
}

/// Why the seals do not hold.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SealError {
    /// The failure kind of spec `seal.md` §8.3 (`DigestMismatch`, …).
    pub kind: &'static str,
    /// For `MalformedKey` and `MalformedSeal`: the reason (`BadTag`, …).
    pub reason: Option<&'static str>,
    /// The byte offset of spec `seal.md` §8.3.
    pub offset: u64,
    /// For `DigestMismatch`: the offset of the seal whose digest does not match.
    pub seal_at: Option<u64>,
    /// `koffer verify --key`'s words for it.
    pub message: String,
}

/// The user's public key file compared with the container's KEY frame.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct UserKey {
    /// The file is a public key file (`koffer-pub ed25519 ` and 64
    /// lowercase hex digits, spec `seal.md` §6).
    pub valid: bool,
    /// Its key id (16 hex digits), when valid.
    pub key_id: Option<String>,
    /// It is the key the container is sealed with. Verifying with it as the
    /// trusted key then gives exactly this page's verdict; any other key
    /// gives `UntrustedKey` (spec `seal.md` §8.2 step 2).
    pub matches: bool,
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
    }
}

fn kind_name(kind: ErrorKind) -> (&'static str, Option<&'static str>) {
    let reason = |r: Reason| match r {
        Reason::Truncated => "Truncated",
        Reason::BadVarint => "BadVarint",
        Reason::TrailingBytes => "TrailingBytes",
        Reason::UnknownAlgorithm { .. } => "UnknownAlgorithm",
        Reason::BadEvery { .. } => "BadEvery",
        Reason::BadLength => "BadLength",
        Reason::KeyIdMismatch => "KeyIdMismatch",
        Reason::BadTag => "BadTag",
        Reason::BadFlags { .. } => "BadFlags",
        _ => "Other",
    };
    match kind {
        ErrorKind::Unsealed => ("Unsealed", None),
        ErrorKind::KeyMissing => ("KeyMissing", None),
        ErrorKind::DuplicateKey => ("DuplicateKey", None),
        ErrorKind::MalformedKey(r) => ("MalformedKey", Some(reason(r))),
        ErrorKind::UntrustedKey => ("UntrustedKey", None),
        ErrorKind::UnsupportedAlgorithm { .. } => ("UnsupportedAlgorithm", None),
        ErrorKind::MalformedSeal(r) => ("MalformedSeal", Some(reason(r))),
        ErrorKind::BadSignature => ("BadSignature", None),
        ErrorKind::SequenceMismatch { .. } => ("SequenceMismatch", None),
        ErrorKind::RangeMismatch { .. } => ("RangeMismatch", None),
        ErrorKind::DigestMismatch { .. } => ("DigestMismatch", None),
        ErrorKind::MerkleMismatch => ("MerkleMismatch", None),
        ErrorKind::SealMissing => ("SealMissing", None),
        _ => ("Other", None),
    }
}

/// The public key of the first KEY frame, if it is well formed.
fn frame_key(bytes: &[u8]) -> Option<(Algorithm, Vec<u8>)> {
    let reader = Reader::new(bytes).ok()?;
    for f in reader.frames().map_while(Result::ok) {
        match f.frame {
            Frame::Ancillary {
                kind: KIND_KEY,
                body,
            } => {
                return seal::KeyFrame::parse(body)
                    .ok()
                    .map(|k| (k.alg, k.public_key.to_vec()))
            }
            Frame::Block(_) | Frame::End(_) => return None,
            _ => {}
        }
    }
    None
}

/// Whether the container is plainly not sealed, as `koffer::seal::verify`
/// would find at once (`Unsealed` at 0, spec `seal.md` §8.2 step 1): its
/// header does not declare it sealed, and its first KEY, SEAL, BLOCK or END
/// frame is a BLOCK or END frame (or it has none). Reads only up to that
/// frame, so an unsealed export costs nothing more to open.
fn plainly_unsealed(bytes: &[u8]) -> bool {
    let Ok(reader) = Reader::new(bytes) else {
        return true;
    };
    if reader.header().optional_features & seal::SEALED != 0 {
        return false;
    }
    for f in reader.frames().map_while(Result::ok) {
        match f.frame {
            Frame::Ancillary {
                kind: KIND_KEY | KIND_SEAL,
                ..
            } => return false,
            Frame::Block(_) | Frame::End(_) => return true,
            _ => {}
        }
    }
    true
}

/// Records in the blocks that end at or before `end`, and in all intact blocks.
fn records_before(bytes: &[u8], end: u64) -> (u64, u64) {
    let Ok(reader) = Reader::new(bytes) else {
        return (0, 0);
    };
    let (mut before, mut all) = (0u64, 0u64);
    for f in reader.frames().map_while(Result::ok) {
        if let Frame::Block(b) = f.frame {
            let n = u64::from(b.header().count);
            all += n;
            if f.offset + f.size <= end {
                before += n;
            }
        }
    }
    (before, all)
}

impl SealCheck {
    /// Checks the seals of `bytes` against the key its KEY frame names.
    /// A container that does not declare itself sealed and has no KEY or
    /// SEAL frame before its first block is `unsealed` (what
    /// `koffer::seal::verify` says of it, `Unsealed`), found without
    /// reading further.
    ///
    /// ```
    /// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/vectors/seal/seal-valid-cut.koffer")).unwrap();
    /// let c = koffer_viewer::seals::SealCheck::run(&bytes);
    /// assert_eq!((c.verdict, c.seals, c.authentic_len), ("prefix", 2, 488));
    /// ```
    pub fn run(bytes: &[u8]) -> SealCheck {
        Self::run_counted(bytes, |end| records_before(bytes, end))
    }

    /// [`SealCheck::run`] with the records before a byte offset counted by
    /// `records` (`(records in blocks ending at or before it, all records)`;
    /// the page counts them from its block index,
    /// [`crate::model::Opened::records_before`], instead of reading the file
    /// once more).
    pub fn run_counted(bytes: &[u8], records: impl FnOnce(u64) -> (u64, u64)) -> SealCheck {
        let unsealed = SealCheck {
            verdict: "unsealed",
            declared: false,
            key: None,
            seals: 0,
            seals_found: 0,
            authentic_len: 0,
            container_len: 0,
            file_len: bytes.len() as u64,
            records_authentic: 0,
            records: 0,
            error: None,
            public_key: None,
        };
        if plainly_unsealed(bytes) {
            return unsealed;
        }
        let mut check = unsealed;
        check.public_key = frame_key(bytes);
        let trusted: Vec<PublicKey<'_>> = check
            .public_key
            .iter()
            .map(|(alg, pk)| PublicKey {
                alg: *alg,
                bytes: pk,
            })
            .collect();
        let report = seal::verify(bytes, &trusted);
        check.declared = report.declared;
        check.key = report.key.map(|k| KeyShown {
            algorithm: alg_name(k.alg),
            key_id: koffer::hex::encode(&k.key_id),
            every: k.every,
            offset: k.offset,
        });
        check.seals = report.seals;
        check.seals_found = report.seals_found;
        check.authentic_len = report.authentic_len;
        check.container_len = report.container_len;
        (check.records_authentic, check.records) = records(report.authentic_len);
        check.verdict = match report.verdict {
            Verdict::Authentic => "authentic",
            Verdict::AuthenticPrefix => "prefix",
            Verdict::Container(_) => "damaged",
            Verdict::NotAuthentic(e) if e.kind == ErrorKind::Unsealed => "unsealed",
            Verdict::NotAuthentic(e) => {
                let (kind, reason) = kind_name(e.kind);
                check.error = Some(SealError {
                    kind,
                    reason,
                    offset: e.offset,
                    seal_at: match e.kind {
                        ErrorKind::DigestMismatch { seal } => Some(seal),
                        _ => None,
                    },
                    message: e.kind.to_string(),
                });
                if matches!(e.kind, ErrorKind::UnsupportedAlgorithm { .. }) {
                    "unsupported"
                } else {
                    "not_authentic"
                }
            }
        };
        check
    }

    /// Compares the public key file `text` with the key the container is
    /// sealed with.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/vectors/seal/");
    /// let bytes = std::fs::read(format!("{dir}seal-valid-complete.koffer")).unwrap();
    /// let key = std::fs::read_to_string(format!("{dir}key.pub")).unwrap();
    /// let c = koffer_viewer::seals::SealCheck::run(&bytes);
    /// assert!(c.user_key(&key).matches);
    /// assert!(!c.user_key("koffer-pub ed25519 00").valid);
    /// ```
    pub fn user_key(&self, text: &str) -> UserKey {
        let Some(pk) = parse_pub(text) else {
            return UserKey {
                valid: false,
                key_id: None,
                matches: false,
            };
        };
        UserKey {
            valid: true,
            key_id: Some(koffer::hex::encode(&seal::key_id(&pk))),
            matches: matches!(&self.public_key, Some((Algorithm::EdDSA, k)) if k[..] == pk[..]),
        }
    }
}

/// Parses a public key file: one line, [`PUB_PREFIX`] and 64 lowercase hex
/// digits (spec `seal.md` §6), as `koffer verify --key` reads it; a line
/// ending of `\r\n` (a file that passed through a Windows editor) is
/// accepted too.
///
/// ```
/// use koffer_viewer::seals::parse_pub;
/// let line = format!("koffer-pub ed25519 {}\n", "ab".repeat(32));
/// assert_eq!(parse_pub(&line), Some([0xab; 32]));
/// assert_eq!(parse_pub(&line.to_uppercase()), None);
/// ```
pub fn parse_pub(text: &str) -> Option<[u8; 32]> {
    let line = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    let digits = line.strip_prefix(PUB_PREFIX)?;
    if digits.len() != 64
        || !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
