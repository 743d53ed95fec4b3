//! The owner's ledger (spec `disclosure.md` §7): where `koffer share`
//! appends its receipts, and `koffer ledger`, which lists them newest first.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use koffer::disclosure::Receipt;
use koffer::read::{Completeness, Reader};
use koffer::share::{receipt_json, receipts_27560_text, uuid, LedgerAppend};
use koffer_export::printable;

use crate::{emit, read_error};

/// `$XDG_DATA_HOME/koffer/ledger.koffer`, else
/// `$HOME/.local/share/koffer/ledger.koffer`; a relative `XDG_DATA_HOME` is
/// ignored (XDG Base Directory specification).
pub fn default_path() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(x) = non_empty("XDG_DATA_HOME").filter(|x| Path::new(x).is_absolute()) {
        return Some(PathBuf::from(x).join("koffer").join("ledger.koffer"));
    }
    non_empty("HOME").map(|h| {
        PathBuf::from(h)
            .join(".local")
            .join("share")
            .join("koffer")
            .join("ledger.koffer")
    })
}

/// `path` with its directory resolved (links, `.`, `..`), so that two
/// spellings of a file that does not exist yet compare equal.
pub fn normal(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(n)) => d.join(n),
        _ => path.to_path_buf(),
    }
}

/// The ledger's lock: the file `LEDGER.lock` beside it, created new by the
/// share that appends, removed when it is done (disclosure.md §7).
pub struct Lock(PathBuf);

impl Lock {
    /// Takes the lock of the ledger at `path` (its directory created when
    /// it does not exist); refused while another share holds it.
    pub fn take(path: &Path) -> Result<Lock, String> {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let lock = PathBuf::from(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the ledger's directory: {e}"))?;
        }
        match OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(_) => Ok(Lock(lock)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
                "the ledger is locked by another koffer share ({} exists; if no share is \
                 running, a crashed one left it: remove it)",
                lock.display()
            )),
            Err(e) => Err(format!("cannot lock the ledger ({}): {e}", lock.display())),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The ledger's bytes; empty when it does not exist yet.
pub fn read_existing(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Appends as planned (spec `disclosure.md` §7): truncate to `keep`, write
/// the new bytes there, flush to storage. A new ledger (its directory
/// too) is created, and the directory flushed so its entry lasts. On a
/// failure the ledger is put back as it was.
pub fn apply(path: &Path, existing: &[u8], plan: &LedgerAppend) -> std::io::Result<()> {
    let result = (|| {
        if existing.is_empty() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        f.set_len(plan.keep)?;
        f.seek(SeekFrom::Start(plan.keep))?;
        f.write_all(&plan.bytes)?;
        f.sync_all()?;
        if existing.is_empty() {
            sync_dir(path)?;
        }
        Ok(())
    })();
    if result.is_err() {
        restore(path, existing, plan);
    }
    result
}

/// Flushes the directory of `path` to storage (its entry for a new file).
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Puts the ledger back as it was (best effort, after a failure): cut at the
/// append point, then only the bytes after it written back — the receipts
/// before it are never rewritten.
pub fn restore(path: &Path, existing: &[u8], plan: &LedgerAppend) {
    if existing.is_empty() {
        let _ = std::fs::remove_file(path);
        return;
    }
    let keep = usize::try_from(plan.keep)
        .unwrap_or(existing.len())
        .min(existing.len());
    if let Ok(mut f) = OpenOptions::new().write(true).open(path) {
        let _ = f
            .set_len(keep as u64)
            .and_then(|_| f.seek(SeekFrom::Start(keep as u64)))
            .and_then(|_| f.write_all(&existing[keep..]))
            .and_then(|()| f.sync_all());
    }
}

/// Output of `koffer ledger`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Text,
    Json,
    Iso27560,
}

/// `koffer ledger [PATH] [--json | --format 27560]`.
pub fn ledger(path: Option<&Path>, form: Form) -> u8 {
    let Some(path) = path.map(Path::to_path_buf).or_else(default_path) else {
        fail!("koffer: ledger: no ledger path: set XDG_DATA_HOME or HOME, or name the file");
        return 2;
    };
    let name = path.display().to_string();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            fail!("koffer: {name}: cannot read: {e}");
            return crate::status::IO;
        }
    };
    let mut receipts: Vec<Receipt<'_>> = Vec::new();
    if !bytes.is_empty() {
        let reader = match Reader::new(&bytes) {
            Ok(r) => r,
            Err(e) => return read_error(&name, &e, &bytes),
        };
        match reader.verify() {
            Ok(s) => {
                if let Completeness::Incomplete { valid_len, .. } = s.completeness {
                    fail!(
                        "koffer: {name}: at byte {valid_len}: the ledger is incomplete (an append was cut short); \
                         its intact receipts follow, and the next share resumes it"
                    );
                }
            }
            Err(e) => return read_error(&name, &e, &bytes),
        }
        for r in koffer::disclosure::receipts(&reader) {
            match r {
                Ok(r) => receipts.push(r),
                Err(e) => fail!("koffer: {name}: {e} (a malformed receipt, skipped)"),
            }
        }
    }
    // Newest first: sorted by time, latest first; equal times in reverse
    // file order (disclosure.md §6.3).
    receipts.reverse();
    receipts.sort_by_key(|r| std::cmp::Reverse(r.time));
    let text = match form {
        Form::Json => {
            let items: Vec<String> = receipts.iter().map(receipt_json).collect();
            format!("[{}]\n", items.join(",\n"))
        }
        Form::Iso27560 => receipts_27560_text(&receipts),
        Form::Text => text(&receipts, &name),
    };
    match emit(&text) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// A time as `inspect` shows it: RFC 3339 UTC, or `N ms` past the year 9999.
fn time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(koffer_export::rfc3339)
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// Where the owner's data went, newest first, in words; every string from
/// the file through [`printable`] (no control character reaches the
/// terminal).
pub fn text(receipts: &[Receipt<'_>], name: &str) -> String {
    let p = printable;
    if receipts.is_empty() {
        return format!("{name}: no disclosures recorded\n");
    }
    let n = receipts.len();
    let mut o = format!(
        "{name}: {n} {}, newest first\n",
        if n == 1 { "disclosure" } else { "disclosures" }
    );
    for r in receipts {
        o += &format!("\n{}  to {}", time(r.time), p(r.recipient.name));
        if let Some(id) = r.recipient.id {
            o += &format!(" <{}>", p(id));
        }
        o += &format!(" (shared by {})\n", p(r.discloser.name));
        o += &format!("  why:   {}", p(r.purpose));
        let iris: Vec<String> = r.purpose_iris.iter().map(p).collect();
        if !iris.is_empty() {
            o += &format!(" [{}]", iris.join(", "));
        }
        o += &format!("; legal basis {}\n", p(r.legal_basis));
        if let Some(e) = r.expires {
            o += &format!("  keep:  until {}\n", time(e));
        }
        for s in r.shared.iter() {
            o += &format!(
                "  what:  {} v{}: {} records",
                p(s.name),
                s.version,
                s.records
            );
            match (s.from, s.until) {
                (None, None) => {}
                (f, u) => {
                    o += &format!(
                        ", from {} until {}",
                        f.map_or("the start".into(), time),
                        u.map_or("the end".into(), time)
                    )
                }
            }
            let dropped: Vec<String> = s.dropped.iter().map(p).collect();
            if !dropped.is_empty() {
                o += &format!("; without {}", dropped.join(", "));
            }
            for c in s.coarsened.iter() {
                o += &format!("; {} rounded to {}", p(c.field), c.step);
            }
            o += "\n";
        }
        o += &format!("  receipt {}\n", uuid(&r.id));
    }
    o
}
