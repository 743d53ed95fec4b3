//! `koffer seal`, `koffer verify --key/--trust/--series`, and the seal lines
//! of `verify` and `inspect` (spec `seal.md`, `command.md`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use koffer::seal::{
    self, series, Algorithm, Check, Ed25519, KeyFrame, KeyInfo, PublicKey, Report, SignatureCheck,
    Verdict,
};

use crate::keygen::{parse_key_line, KEY_PREFIX, PUB_PREFIX};
use crate::{display_name, status};

/// Exit status: the container is not authentic (spec `command.md` §2).
pub const NOT_AUTHENTIC: u8 = 6;

/// The seal options of `verify`.
#[derive(clap::Args, Debug, Default)]
pub struct VerifyArgs {
    /// Check the seals with this public key (`NAME.pub` of `koffer keygen`):
    /// exit 0 only if complete and authentic.
    #[arg(long, value_name = "NAME.pub")]
    pub key: Vec<PathBuf>,
    /// Check the seals with any public key (`*.pub`) in this directory.
    #[arg(long, value_name = "DIR")]
    pub trust: Option<PathBuf>,
    /// FILE and MORE are successive exports of one series: check that they
    /// join (sequence, previous export's digest, cursor range), and, with
    /// --key or --trust, that each is authentic.
    #[arg(long)]
    pub series: bool,
    /// The further exports of --series, in order.
    #[arg(requires = "series", value_name = "MORE")]
    pub more: Vec<PathBuf>,
}

impl VerifyArgs {
    /// Whether any seal option was given.
    pub fn requested(&self) -> bool {
        !self.key.is_empty() || self.trust.is_some() || self.series
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
    }
}

/// The trusted public keys of `--key` and `--trust`.
fn trusted(args: &VerifyArgs) -> Result<Vec<[u8; 32]>, u8> {
    let mut paths = args.key.clone();
    if let Some(dir) = &args.trust {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            fail!(
                "koffer: {}: cannot read the trust directory: {e}",
                dir.display()
            );
            status::IO
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pub"))
            .collect();
        found.sort();
        if found.is_empty() {
            fail!(
                "koffer: {}: no .pub files in the trust directory",
                dir.display()
            );
            return Err(status::IO);
        }
        paths.extend(found);
    }
    let mut keys = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| {
            fail!("koffer: {}: cannot read: {e}", p.display());
            status::IO
        })?;
        let Some(pk) = parse_key_line(&text, PUB_PREFIX) else {
            fail!(
                "koffer: {}: at byte 0: not a public key file: expected one line \"{PUB_PREFIX}\" and 64 lowercase hex digits",
                p.display()
            );
            return Err(status::IO);
        };
        keys.push(pk);
    }
    Ok(keys)
}

/// `koffer verify` with seal options.
pub fn verify(file: &Path, args: &VerifyArgs) -> u8 {
    let keys = match trusted(args) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let files: Vec<&Path> = std::iter::once(file)
        .chain(args.more.iter().map(PathBuf::as_path))
        .collect();
    let mut worst = 0;
    let mut links = Vec::new();
    for f in &files {
        let name = display_name(f);
        let bytes = match crate::input::open(f) {
            Ok(b) => b,
            Err(e) => {
                fail!("koffer: {name}: cannot read: {e}");
                return status::IO;
            }
        };
        if !keys.is_empty() {
            let code = verify_one(&name, &bytes, &keys);
            if code != 0 && !args.series {
                return code;
            }
            if code != 0 {
                worst = code;
            }
        }
        if args.series {
            match series::Link::read(&bytes) {
                Ok(l) => links.push(l),
                Err(e) => {
                    fail!("koffer: {name}: not part of an export series: {e}");
                    return status::CORRUPT;
                }
            }
        }
    }
    if args.series {
        if worst != 0 {
            return worst;
        }
        if let Err((i, e)) = series::join(&links) {
            let name = display_name(files[i]);
            let prev = display_name(files[i - 1]);
            fail!("koffer: {name}: does not follow {prev} in the export series: {e}");
            return NOT_AUTHENTIC;
        }
        let first = &links[0];
        let last = &links[links.len() - 1];
        let line = format!(
            "series OK: {} exports, numbers {}..={}, cursor {}..{}, each export's previous digest matches{}\n",
            links.len(),
            first.sequence,
            last.sequence,
            first.cursor_start,
            last.cursor_end,
            if keys.is_empty() { " (seals not checked: give --key or --trust)" } else { "; every export authentic" }
        );
        return match crate::emit(&line) {
            Ok(()) => 0,
            Err(code) => code,
        };
    }
    worst
}

/// Verifies one container's seals; prints its line; returns its status.
fn verify_one(name: &str, bytes: &[u8], keys: &[[u8; 32]]) -> u8 {
    let trusted: Vec<PublicKey<'_>> = keys
        .iter()
        .map(|k| PublicKey {
            alg: Algorithm::EdDSA,
            bytes: k,
        })
        .collect();
    let report = verify_parallel(bytes, &trusted);
    report_status(name, bytes, &report)
}

fn key_text(k: &Option<KeyInfo>) -> String {
    match k {
        Some(k) => format!("key id {} ({})", hex(&k.key_id), alg_name(k.alg)),
        None => "no key".to_string(),
    }
}

fn report_status(name: &str, bytes: &[u8], r: &Report) -> u8 {
    let upto = if r.seals == 0 {
        "nothing is authenticated (no good seal)".to_string()
    } else {
        format!(
            "authentic up to byte {} (seal {})",
            r.authentic_len, r.seals
        )
    };
    match r.verdict {
        Verdict::Authentic => {
            let line = format!(
                "{name}: OK: authentic and complete: sealed by {}, {} seals; bytes 0..{} sealed, then the end frame\n",
                key_text(&r.key),
                r.seals,
                r.authentic_len
            );
            match crate::emit(&line) {
                Ok(()) => 0,
                Err(code) => code,
            }
        }
        Verdict::AuthenticPrefix => {
            fail!(
                "koffer: {name}: at byte {}: incomplete: {upto}; {} bytes after it are not sealed (valid length {} of {} bytes)",
                r.authentic_len,
                r.unsealed_len(),
                r.container_len,
                bytes.len()
            );
            status::INCOMPLETE
        }
        Verdict::NotAuthentic(e) => {
            fail!(
                "koffer: {name}: at byte {}: not authentic: {}; {upto}",
                e.offset,
                e.kind
            );
            NOT_AUTHENTIC
        }
        Verdict::Container(e) => {
            let code = crate::read_error(name, &e, bytes);
            fail!("koffer: {name}: {upto}");
            code
        }
    }
}

/// After a plain `verify` or `inspect`: one line saying the container is
/// sealed and its seals were not checked. Reads only the header and the
/// first frame.
pub fn note_unchecked(file: &Path) {
    use std::io::Read as _;
    // Standard input was read already; a device or a pipe is not read twice.
    if file.as_os_str() == "-" || !std::fs::metadata(file).is_ok_and(|m| m.is_file()) {
        return;
    }
    let mut bytes = Vec::new();
    let Ok(f) = std::fs::File::open(file) else {
        return;
    };
    if f.take(18 + 5 + 300).read_to_end(&mut bytes).is_err() {
        return;
    }
    let head = &bytes[..];
    let Ok(h) = koffer::header::Header::parse(head) else {
        return;
    };
    if h.optional_features & seal::SEALED == 0 {
        return;
    }
    let key = head.get(18..23).and_then(|f| {
        let len = u32::from_le_bytes([f[1], f[2], f[3], 0]) as usize;
        (f[0] == seal::KIND_KEY)
            .then(|| head.get(23..23 + len))
            .flatten()
    });
    let key = match key.map(KeyFrame::parse) {
        Some(Ok(k)) => format!("key id {} ({})", hex(&k.key_id), alg_name(k.alg)),
        Some(Err(_)) => "its KEY frame is malformed".into(),
        None => "its KEY frame is not the first frame".into(),
    };
    fail!(
        "koffer: {}: sealed ({key}): the seals were not checked: give --key NAME.pub or --trust DIR",
        display_name(file),
    );
}

/// The `inspect` line about seals: key id and number of seals.
pub fn inspect_line(bytes: &[u8]) -> Option<String> {
    let s = seal::survey(bytes);
    if !s.declared && s.key.is_none() && s.seals == 0 {
        return None;
    }
    Some(format!(
        "seals         {} {}, {} seals, every {} blocks (not checked: verify --key)\n",
        if s.declared {
            "sealed,"
        } else {
            "not declared sealed,"
        },
        key_text(&s.key),
        s.seals,
        s.key.map_or(0, |k| k.every)
    ))
}

/// `koffer seal IN -o OUT --key NAME.key [--every N]`.
pub fn seal_file(input: &Path, output: &Path, key: &Path, every: u32) -> u8 {
    let name = display_name(input);
    if every == 0 || every > seal::MAX_EVERY {
        fail!("koffer: --every {every}: expected 1..={}", seal::MAX_EVERY);
        return 2;
    }
    let text = match std::fs::read_to_string(key) {
        Ok(t) => t,
        Err(e) => {
            fail!("koffer: {}: cannot read: {e}", key.display());
            return status::IO;
        }
    };
    let Some(seed) = parse_key_line(&text, KEY_PREFIX) else {
        fail!(
            "koffer: {}: at byte 0: not a secret key file: expected one line \"{KEY_PREFIX}\" and 64 lowercase hex digits",
            key.display()
        );
        return status::IO;
    };
    let bytes = match crate::input::open(input) {
        Ok(b) => b,
        Err(e) => {
            fail!("koffer: {name}: cannot read: {e}");
            return status::IO;
        }
    };
    let signer = Ed25519::from_seed(seed);
    let pk = signer.public_key();
    let frame = KeyFrame::new(Algorithm::EdDSA, &pk, every);
    let sealed = match seal::seal_container(&bytes, signer, &frame) {
        Ok(s) => s,
        Err(seal::SealContainerError::Read(e)) => return crate::read_error(&name, &e, &bytes),
        Err(e) => {
            fail!("koffer: {name}: {e}");
            return status::CORRUPT;
        }
    };
    let result = (|| {
        use std::io::Write;
        if output.as_os_str() == "-" {
            let mut out = std::io::stdout().lock();
            out.write_all(&sealed)?;
            return out.flush();
        }
        let mut out = crate::output::Output::create(output, input)?;
        out.write_all(&sealed)?;
        out.commit()
    })();
    if let Err(e) = result {
        fail!("koffer: {}: cannot write: {e}", display_name(output));
        return status::IO;
    }
    let s = seal::survey(&sealed);
    fail!(
        "koffer: {}: sealed {} bytes with key id {}: {} seals, every {every} blocks",
        display_name(output),
        sealed.len(),
        hex(&seal::key_id(&pk)),
        s.seals
    );
    0
}

/// A signature check to be done later: the key, the to-be-signed bytes,
/// the signature.
type Job = ([u8; 32], [u8; seal::TBS_LEN], [u8; seal::SIGNATURE_LEN]);

/// Hands every EdDSA signature to another thread and answers "good" at once.
struct Deferred(std::sync::Mutex<std::sync::mpsc::Sender<Job>>);

impl SignatureCheck for Deferred {
    fn check(&self, alg: Algorithm, public_key: &[u8], tbs: &[u8], signature: &[u8]) -> Check {
        if alg != Algorithm::EdDSA {
            return Check::Unsupported;
        }
        let (Ok(pk), Ok(t), Ok(sig)) =
            (public_key.try_into(), tbs.try_into(), signature.try_into())
        else {
            return Ed25519::VERIFIER.check(alg, public_key, tbs, signature);
        };
        match self.0.lock() {
            Ok(tx) if tx.send((pk, t, sig)).is_ok() => Check::Good,
            _ => Ed25519::VERIFIER.check(alg, public_key, tbs, signature),
        }
    }
}

/// [`seal::verify`], with the signatures checked on a second thread while
/// this one hashes. Every answer is optimistic; if any signature turns out
/// bad, the container is verified again, in order, so that the report names
/// the first failure exactly as [`seal::verify`] does.
fn verify_parallel(bytes: &[u8], trusted: &[PublicKey<'_>]) -> Report {
    let (all_good, report) = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let worker = s.spawn(move || {
            rx.iter().fold(true, |ok, (pk, tbs, sig)| {
                ok && Ed25519::VERIFIER.check(Algorithm::EdDSA, &pk, &tbs, &sig) == Check::Good
            })
        });
        let report = seal::verify_with(bytes, trusted, &Deferred(std::sync::Mutex::new(tx)));
        (worker.join().unwrap_or(false), report)
    });
    if all_good {
        report
    } else {
        seal::verify(bytes, trusted)
    }
}
