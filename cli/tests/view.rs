//! `koffer view FILE --no-open`: the viewer page with the file inside,
//! written to a private temporary file.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn koffer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run koffer")
}

fn unbase64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for q in text.as_bytes().chunks(4) {
        let n = q.iter().enumerate().fold(0u32, |n, (i, &c)| {
            n | (if c == b'=' { 0 } else { u32::from(value(c)) }) << (18 - 6 * i)
        });
        let pad = q.iter().filter(|&&c| c == b'=').count();
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

const SLOT_START: &str = r#"<script type="application/octet-stream" id="koffer-file" data-name=""#;

#[test]
fn view_writes_the_page_with_the_file_inside() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/wearable.koffer");
    let o = koffer(&["view", sample.to_str().unwrap(), "--no-open"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).unwrap();
    let path = Path::new(out.trim_end());
    assert!(path.starts_with(std::env::temp_dir()), "{}", path.display());
    assert!(path.extension().is_some_and(|e| e == "html"));
    let page = std::fs::read_to_string(path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
    }
    std::fs::remove_file(path).unwrap();

    // The shipped page, with the file's bytes in its slot and nothing else changed.
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../viewer/koffer-viewer.html"),
    )
    .unwrap();
    let at = page.find(SLOT_START).expect("the file slot");
    let rest = &page[at + SLOT_START.len()..];
    let (name, rest) = rest.split_once("\">").unwrap();
    assert_eq!(name, "wearable.koffer");
    let (data, tail) = rest.split_once("</script>").unwrap();
    assert_eq!(unbase64(data), std::fs::read(&sample).unwrap());
    assert_eq!(
        format!("{}{SLOT_START}\"></script>{tail}", &page[..at]),
        shipped
    );
    // Every network connection forbidden.
    assert!(page.contains("default-src 'none'"));
    assert!(page.contains("connect-src 'none'"));
}

#[test]
fn view_of_a_missing_file_fails_with_status_5() {
    let o = koffer(&["view", "/nonexistent/x.koffer", "--no-open"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with("koffer: /nonexistent/x.koffer: cannot read:"),
        "{err}"
    );
}
