//! `koffer keygen`, `koffer seal`, `koffer verify --key/--trust/--series`
//! and the seal line of `inspect`, end to end (spec `seal.md`, `command.md`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

fn koffer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run koffer")
}

/// A fresh directory under the temp directory, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("koffer-seal-test-{}-{n}-{tag}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/wearable.koffer")
        .to_str()
        .unwrap()
        .to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn keygen(d: &Dir, name: &str) {
    let o = koffer(&["keygen", "-o", &d.path(name)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn keygen_writes_two_files_private_and_never_overwrites() {
    let d = Dir::new("keygen");
    keygen(&d, "dev");
    let key = std::fs::read_to_string(d.path("dev.key")).unwrap();
    let public = std::fs::read_to_string(d.path("dev.pub")).unwrap();
    assert!(
        key.starts_with("koffer-key ed25519 ") && key.len() == 19 + 64 + 1,
        "{key}"
    );
    assert!(public.starts_with("koffer-pub ed25519 ") && public.len() == 19 + 64 + 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.path("dev.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let o = koffer(&["keygen", "-o", &d.path("dev")]);
    assert_eq!(o.status.code(), Some(5));
    assert!(stderr(&o).contains("refusing to overwrite"));
    assert_eq!(std::fs::read_to_string(d.path("dev.key")).unwrap(), key);
}

#[test]
fn seal_then_verify_with_the_key_wrong_key_and_trust_dir() {
    let d = Dir::new("verify");
    keygen(&d, "dev");
    keygen(&d, "other");
    let sealed = d.path("w.sealed");
    let o = koffer(&[
        "seal",
        &sample(),
        "-o",
        &sealed,
        "--key",
        &d.path("dev.key"),
        "--every",
        "16",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let o = koffer(&["verify", &sealed, "--key", &d.path("dev.pub")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("OK: authentic and complete"),
        "{}",
        stdout(&o)
    );

    let o = koffer(&["verify", &sealed, "--key", &d.path("other.pub")]);
    assert_eq!(o.status.code(), Some(6));
    assert!(
        stderr(&o).contains("at byte 18: not authentic: UntrustedKey"),
        "{}",
        stderr(&o)
    );

    let trust = d.0.join("trust");
    std::fs::create_dir(&trust).unwrap();
    std::fs::copy(d.path("dev.pub"), trust.join("dev.pub")).unwrap();
    let o = koffer(&["verify", &sealed, "--trust", trust.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Without a key: verified as a container, with a line saying the seals were not checked.
    let o = koffer(&["verify", &sealed]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("the seals were not checked"),
        "{}",
        stderr(&o)
    );
    let o = koffer(&["inspect", &sealed]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("seals         sealed, key id"),
        "{}",
        stdout(&o)
    );

    // An unsealed container with a key given: not authentic.
    let o = koffer(&["verify", &sample(), "--key", &d.path("dev.pub")]);
    assert_eq!(o.status.code(), Some(6));
    assert!(stderr(&o).contains("at byte 0: not authentic: Unsealed"));
}

#[test]
fn a_cut_container_is_authentic_up_to_its_last_seal_and_a_forged_one_is_not() {
    let d = Dir::new("cut");
    keygen(&d, "dev");
    let sealed = d.path("w.sealed");
    let o = koffer(&[
        "seal",
        &sample(),
        "-o",
        &sealed,
        "--key",
        &d.path("dev.key"),
        "--every",
        "16",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let bytes = std::fs::read(&sealed).unwrap();
    let cut = d.path("cut");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = koffer(&["verify", &cut, "--key", &d.path("dev.pub")]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    assert!(
        e.contains("incomplete: authentic up to byte")
            && e.contains("bytes after it are not sealed"),
        "{e}"
    );

    // A record changed and the container rebuilt through export + import.
    let json = d.path("w.json");
    let o = koffer(&["export", &sealed, "--format", "json", "-o", &json]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&json).unwrap();
    // The first record's heart rate, one digit changed.
    let pos = text
        .find("\"heart_rate\":")
        .expect("a record in the export")
        + 13;
    let mut forged_text = text.clone().into_bytes();
    forged_text[pos] = if forged_text[pos] == b'1' { b'2' } else { b'1' };
    std::fs::write(&json, forged_text).unwrap();
    let forged = d.path("forged");
    let o = koffer(&["import", &json, "-o", &forged]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = koffer(&["verify", &forged]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the checksums were rebuilt: {}",
        stderr(&o)
    );
    let o = koffer(&["verify", &forged, "--key", &d.path("dev.pub")]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not authentic: DigestMismatch"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_series_with_a_gap_is_refused() {
    use koffer::meta::{Entry, Value};
    let d = Dir::new("series");
    let export = |seq: u64, prev: Option<&[u8]>, start: u64, end: u64| {
        let mut buf = [0u8; 64];
        let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
        let digest: [u8; 32];
        let mut e = vec![
            Entry::new("export.sequence", Value::Uint(seq)),
            Entry::new("export.cursor.start", Value::Uint(start)),
            Entry::new("export.cursor.end", Value::Uint(end)),
        ];
        if let Some(p) = prev {
            digest = koffer::seal::series::Link::read(p).unwrap().digest;
            e.push(Entry::new("export.previous", Value::Bytes(&digest)));
        }
        w.metadata(&e).unwrap();
        w.finish().unwrap()
    };
    let a = export(1, None, 0, 10);
    let b = export(2, Some(&a), 10, 20);
    let c_gap = export(3, Some(&b), 21, 30);
    for (name, bytes) in [("a", &a), ("b", &b), ("c", &c_gap)] {
        std::fs::write(d.path(name), bytes).unwrap();
    }
    let o = koffer(&["verify", "--series", &d.path("a"), &d.path("b")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("series OK: 2 exports"));
    let o = koffer(&[
        "verify",
        "--series",
        &d.path("a"),
        &d.path("b"),
        &d.path("c"),
    ]);
    assert_eq!(o.status.code(), Some(6));
    assert!(stderr(&o).contains("a gap"), "{}", stderr(&o));
    let o = koffer(&["verify", "--series", &d.path("b"), &d.path("a")]);
    assert_eq!(o.status.code(), Some(6));
}

/// Without a key, a malformed KEY frame that is the first frame is called
/// malformed, not missing from its place.
#[test]
fn verify_without_key_names_a_malformed_first_key_frame() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spec/vectors/seal/seal-reject-key-id.koffer")
        .to_str()
        .unwrap()
        .to_string();
    let o = koffer(&["verify", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("sealed (its KEY frame is malformed): the seals were not checked"),
        "{}",
        stderr(&o)
    );
}

/// `inspect --json` has a `seals` object (unchecked) only for a container
/// declared sealed.
#[test]
fn inspect_json_shows_seals_only_when_declared() {
    let d = Dir::new("inspect-json");
    keygen(&d, "dev");
    let sealed = d.path("sealed.koffer");
    let o = koffer(&[
        "seal",
        &sample(),
        "-o",
        &sealed,
        "--key",
        &d.path("dev.key"),
        "--every",
        "4",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = koffer(&["inspect", "--json", &sealed]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let seals = &v["seals"];
    assert_eq!(seals["checked"], false);
    assert_eq!(seals["key"]["algorithm"], "EdDSA");
    assert_eq!(seals["key"]["offset"], 18);
    assert_eq!(seals["key"]["every"], 4);
    assert_eq!(seals["key"]["key_id"].as_str().unwrap().len(), 16);
    assert!(seals["count"].as_u64().unwrap() >= 2, "{seals}");
    let o = koffer(&["inspect", "--json", &sample()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("seals").is_none());
}
