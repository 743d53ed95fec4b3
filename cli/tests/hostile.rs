//! Bad input never panics the `koffer` command (exit status 101 never
//! occurs), and every failure is one line on stderr: every vector of the spec
//! (valid and must-reject) through every command, damaged copies of the
//! sample, and cut or mangled JSON documents given to `import`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn koffer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run koffer")
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("koffer-hostile-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// No panic; success prints nothing on stderr but warnings, failure one line.
fn check(o: &Output, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(101), "{what} panicked: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    if !o.status.success() {
        assert_eq!(
            err.lines().count(),
            1,
            "{what}: one line on stderr, got {err:?}"
        );
    }
}

fn every_command(file: &Path, dir: &Path) {
    let f = file.to_str().unwrap();
    let csv = dir.join("csv");
    let json = dir.join("doc.json");
    let back = dir.join("back.koffer");
    for args in [
        vec!["verify", f],
        vec!["inspect", f],
        vec!["inspect", "--json", f],
        vec![
            "export",
            f,
            "--format",
            "ndjson",
            "-o",
            dir.join("x.ndjson").to_str().unwrap(),
        ],
        vec!["export", f, "--format", "csv", "-o", csv.to_str().unwrap()],
        vec![
            "export",
            f,
            "--format",
            "json",
            "-o",
            json.to_str().unwrap(),
        ],
    ] {
        check(&koffer(&args), &format!("{args:?}"));
    }
    if json.exists() {
        check(
            &koffer(&[
                "import",
                json.to_str().unwrap(),
                "-o",
                back.to_str().unwrap(),
            ]),
            &format!("import of the export of {f}"),
        );
        let _ = std::fs::remove_file(&json);
    }
}

#[test]
fn every_vector_through_every_command() {
    let dir = scratch("vectors");
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors");
    let mut n = 0;
    for entry in std::fs::read_dir(vectors).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "koffer") {
            every_command(&path, &dir);
            n += 1;
        }
    }
    assert!(n >= 90, "only {n} vectors");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn damaged_samples_through_every_command() {
    let dir = scratch("damaged");
    let sample =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/wearable.koffer"))
            .unwrap();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let file = dir.join("damaged.koffer");
    for round in 0..12 {
        let mut bytes = sample.clone();
        match round % 3 {
            0 => bytes.truncate((next() as usize) % bytes.len()),
            1 => {
                let at = (next() as usize) % bytes.len();
                bytes[at] ^= 1 << (next() % 8);
            }
            _ => {
                let at = (next() as usize) % (bytes.len() - 64);
                for b in &mut bytes[at..at + 64] {
                    *b = next() as u8;
                }
            }
        }
        std::fs::write(&file, &bytes).unwrap();
        every_command(&file, &dir);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cut_and_mangled_json_documents_are_refused_cleanly() {
    let dir = scratch("json");
    let doc = dir.join("doc.json");
    let vector =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/valid-wearable-256.koffer");
    let o = koffer(&[
        "export",
        vector.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        doc.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let text = std::fs::read(&doc).unwrap();
    let bad = dir.join("bad.json");
    let out = dir.join("out.koffer");
    let step = (text.len() / 60).max(1);
    for cut in (0..text.len()).step_by(step) {
        let mut mangled = text.clone();
        if cut % 2 == 0 {
            mangled.truncate(cut);
        } else {
            mangled[cut] = b"x{]\"0-"[cut % 6];
        }
        std::fs::write(&bad, &mangled).unwrap();
        check(
            &koffer(&["import", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]),
            &format!("import of a document cut or changed at byte {cut}"),
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
