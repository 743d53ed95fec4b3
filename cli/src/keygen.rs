//! `koffer keygen -o NAME`: an Ed25519 key pair for sealing, as the key
//! files of spec `seal.md` §6: `NAME.key` (mode 0600) and `NAME.pub`.

use std::io::Write;
use std::path::{Path, PathBuf};

use koffer::seal::Ed25519;

use crate::status;

/// The first word of a secret key file.
pub const KEY_PREFIX: &str = "koffer-key ed25519 ";
/// The first word of a public key file.
pub const PUB_PREFIX: &str = "koffer-pub ed25519 ";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses the one line of a key file: `PREFIX` and 64 lowercase hex digits.
pub fn parse_key_line(text: &str, prefix: &str) -> Option<[u8; 32]> {
    let digits = text
        .strip_suffix('\n')
        .unwrap_or(text)
        .strip_prefix(prefix)?;
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

/// `NAME` with `ext` appended (`NAME.key`, `NAME.pub`).
fn with_ext(name: &Path, ext: &str) -> PathBuf {
    let mut s = name.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

/// Creates `path` with `text`, refusing an existing file; `private` sets
/// mode 0600 before anything is written.
fn create(path: &Path, text: &str, private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

pub fn keygen(name: &Path) -> u8 {
    let (key_path, pub_path) = (with_ext(name, ".key"), with_ext(name, ".pub"));
    for p in [&key_path, &pub_path] {
        if p.exists() {
            fail!(
                "koffer: {}: exists: refusing to overwrite a key file",
                p.display()
            );
            return status::IO;
        }
    }
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut seed) {
        fail!("koffer: keygen: no random numbers from the system: {e}");
        return status::IO;
    }
    let pk = Ed25519::from_seed(seed).public_key();
    if let Err(e) = create(&key_path, &format!("{KEY_PREFIX}{}\n", hex(&seed)), true) {
        fail!("koffer: {}: cannot write: {e}", key_path.display());
        return status::IO;
    }
    if let Err(e) = create(&pub_path, &format!("{PUB_PREFIX}{}\n", hex(&pk)), false) {
        fail!("koffer: {}: cannot write: {e}", pub_path.display());
        let _ = std::fs::remove_file(&key_path);
        return status::IO;
    }
    let line = format!(
        "{}: secret key (keep it private; mode 0600)\n{}: public key, key id {}\n",
        key_path.display(),
        pub_path.display(),
        hex(&koffer::seal::key_id(&pk))
    );
    match crate::emit(&line) {
        Ok(()) => 0,
        Err(code) => code,
    }
}
