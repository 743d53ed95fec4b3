//! `koffer view FILE`: the browser viewer (`viewer/koffer-viewer.html`) with
//! the file's bytes inside, written to a private temporary file and opened
//! with the system's opener. No server: nothing is reachable from other
//! machines, and the page's Content Security Policy forbids every network
//! connection.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{display_name, input, status};

/// The shipped page (rebuilt by `bash viewer/build.sh`).
const PAGE: &str = include_str!("../../viewer/koffer-viewer.html");

/// The empty element the page loads a file from on start.
const SLOT: &str =
    r#"<script type="application/octet-stream" id="koffer-file" data-name=""></script>"#;

/// The largest file embedded (the page's own limit, 1 GiB).
const MAX_FILE: u64 = 1 << 30;

/// The viewer page with `bytes` embedded as base64, named `name`.
pub fn page_with(bytes: &[u8], name: &str) -> String {
    let mut out = String::with_capacity(PAGE.len() + bytes.len() / 3 * 4 + 64);
    let at = PAGE.find(SLOT).expect("the shipped page has the file slot");
    out.push_str(&PAGE[..at]);
    out.push_str(r#"<script type="application/octet-stream" id="koffer-file" data-name=""#);
    for c in name.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.push_str("\">");
    base64(bytes, &mut out);
    out.push_str("</script>");
    out.push_str(&PAGE[at + SLOT.len()..]);
    out
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8], out: &mut String) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
}

/// A new private file in the temporary directory (readable by its owner only).
fn create_temp(stem: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let dir = std::env::temp_dir();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let pid = std::process::id();
    let mut last = None;
    for n in 0..1000u32 {
        let path = dir.join(format!("koffer-view-{pid}-{n}-{stem}.html"));
        match options.open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// Opens `path` with the system's opener.
fn open_with_system(path: &Path) -> std::io::Result<()> {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let status = cmd.arg(path).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the opener exited with {status}"
        )))
    }
}

pub fn view(file: &Path, no_open: bool) -> u8 {
    let name = display_name(file);
    let bytes = match input::open(file) {
        Ok(b) => b,
        Err(e) => {
            fail!("koffer: {name}: cannot read: {e}");
            return status::IO;
        }
    };
    if bytes.len() as u64 > MAX_FILE {
        fail!(
            "koffer: {name}: {} bytes: the viewer reads files up to {MAX_FILE} bytes; use inspect or export",
            bytes.len()
        );
        return status::IO;
    }
    let base = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stdin.koffer".into());
    let stem: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let page = page_with(&bytes, &base);
    let (path, mut out) = match create_temp(&stem) {
        Ok(p) => p,
        Err(e) => {
            fail!("koffer: {name}: cannot write the viewer page: {e}");
            return status::IO;
        }
    };
    if let Err(e) = out.write_all(page.as_bytes()).and_then(|()| out.flush()) {
        fail!("koffer: {name}: cannot write {}: {e}", path.display());
        return status::IO;
    }
    drop(out);
    if no_open {
        println!("{}", path.display());
        return 0;
    }
    match open_with_system(&path) {
        Ok(()) => {
            eprintln!(
                "koffer: {name}: opened {} (nothing is served: the page reads its own copy)",
                path.display()
            );
            0
        }
        Err(e) => {
            fail!(
                "koffer: {name}: cannot start a browser ({e}); open {} in one",
                path.display()
            );
            status::IO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_rfc_4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut s = String::new();
            base64(plain.as_bytes(), &mut s);
            assert_eq!(s, enc);
        }
    }

    #[test]
    fn page_embeds_bytes_and_escapes_the_name() {
        let page = page_with(b"foobar", "a\"<b>&.koffer");
        assert!(page.contains(
            r#"id="koffer-file" data-name="a&quot;&lt;b&gt;&amp;.koffer">Zm9vYmFy</script>"#
        ));
        assert!(!page.contains(SLOT));
        assert_eq!(
            page.len(),
            PAGE.len() + "a&quot;&lt;b&gt;&amp;.koffer".len() + 8
        );
    }
}
