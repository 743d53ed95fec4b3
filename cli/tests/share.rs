//! `koffer share`, `koffer ledger` and the receipts of `koffer inspect`, end
//! to end on the wearable sample (spec `disclosure.md`, `command.md`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/wearable.koffer")
}

/// A fresh directory under the temp directory, removed when dropped; the
/// command runs with `XDG_DATA_HOME` inside it.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!(
            "koffer-share-test-{}-{n}-{tag}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
    fn ledger(&self) -> PathBuf {
        self.0.join("xdg/koffer/ledger.koffer")
    }
    fn koffer(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_koffer"))
            .args(args)
            .env("XDG_DATA_HOME", self.0.join("xdg"))
            .env_remove("HOME")
            .stdin(Stdio::null())
            .output()
            .expect("run koffer")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer");

fn share_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "share",
        SAMPLE,
        "-o",
        out,
        "--recipient",
        "Sleep Lab Basel",
        "--recipient-id",
        "https://sleeplab.example/",
        "--purpose",
        "sleep study",
        "--purpose-iri",
        "dpv:ResearchAndDevelopment",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn share_writes_the_selection_its_receipt_and_the_ledger() {
    let d = Dir::new("ok");
    let out = d.path("out.koffer");
    let o = d.koffer(&share_args(
        &out,
        &[
            "--from",
            "2026-09-15T00:00:00Z",
            "--until",
            "2026-09-16T00:00:00Z",
            "--drop",
            "lat",
            "--drop",
            "lon",
            "--coarsen",
            "heart_rate=5",
            "--expires",
            "2027-01-01T00:00:00Z",
        ],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("shared 1447 records of 2 record types with Sleep Lab Basel"),
        "{}",
        text(&o.stdout)
    );

    // OUT and the ledger are complete containers.
    let v = d.koffer(&["verify", &out]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stderr));
    assert!(text(&v.stdout).contains("koffer 1.1"));
    let v = d.koffer(&["verify", d.ledger().to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stderr));

    // No latitude of the source is left in OUT.
    let bytes = std::fs::read(&out).unwrap();
    let src = std::fs::read(sample_path()).unwrap();
    let json = Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(["export", SAMPLE, "--format", "ndjson"])
        .output()
        .unwrap();
    let mut lats = 0;
    for line in text(&json.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(lat) = v
            .get("value")
            .and_then(|v| v.get("lat"))
            .and_then(|l| l.as_f64())
        {
            lats += 1;
            assert!(
                !bytes.windows(8).any(|w| w == lat.to_le_bytes()),
                "lat {lat} in OUT"
            );
        }
    }
    assert!(lats > 1000, "{lats} latitudes checked");
    assert!(bytes.len() < src.len());

    // inspect shows the receipt, in text and in JSON.
    let i = d.koffer(&["inspect", &out]);
    let t = text(&i.stdout);
    assert!(t.contains("receipts      1"), "{t}");
    assert!(
        t.contains("to Sleep Lab Basel <https://sleeplab.example/>"),
        "{t}"
    );
    assert!(t.contains("sample v1: 1440 records, from 2026-09-15T00:00:00Z until 2026-09-16T00:00:00Z; without lat, lon; heart_rate rounded to 5"), "{t}");
    let i = d.koffer(&["inspect", "--json", &out]);
    let j: serde_json::Value = serde_json::from_slice(&i.stdout).unwrap();
    assert_eq!(j["receipts"][0]["recipient"]["name"], "Sleep Lab Basel");
    assert_eq!(j["receipts"][0]["expires_rfc3339"], "2027-01-01T00:00:00Z");
    assert_eq!(j["receipts"][0]["shared"][1]["records"], 7);
    // A container without receipts has no "receipts" key.
    let i = d.koffer(&["inspect", "--json", SAMPLE]);
    let j: serde_json::Value = serde_json::from_slice(&i.stdout).unwrap();
    assert!(j.get("receipts").is_none());

    // A second share: the ledger lists both, newest first.
    let out2 = d.path("out2.koffer");
    let o = d.koffer(&[
        "share",
        SAMPLE,
        "-o",
        &out2,
        "--recipient",
        "GP",
        "--purpose",
        "check-up",
        "--type",
        "event",
        "--basis",
        "Contract",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let l = d.koffer(&["ledger"]);
    assert_eq!(l.status.code(), Some(0));
    let t = text(&l.stdout);
    assert!(t.contains("2 disclosures, newest first"), "{t}");
    assert!(
        t.find("to GP").unwrap() < t.find("to Sleep Lab Basel").unwrap(),
        "{t}"
    );
    assert!(t.contains("legal basis dpv:Contract"), "{t}");
    let l = d.koffer(&["ledger", d.ledger().to_str().unwrap(), "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&l.stdout).unwrap();
    assert_eq!(j[0]["recipient"]["name"], "GP");
    assert_eq!(
        j[1]["shared"][0]["dropped"],
        serde_json::json!(["lat", "lon"])
    );
    let l = d.koffer(&["ledger", "--format", "27560"]);
    let j: serde_json::Value = serde_json::from_slice(&l.stdout).unwrap();
    assert_eq!(j[0]["processing"][0]["legal_basis"], "dpv:Contract");
    assert_eq!(
        j[1]["processing"][0]["purposes"][0],
        "dpv:ResearchAndDevelopment"
    );
    assert_eq!(j[1]["parties"][1]["id"], "https://sleeplab.example/");
}

#[test]
fn failed_shares_write_nothing_and_leave_the_ledger_byte_identical() {
    let d = Dir::new("fail");
    let out = d.path("out.koffer");
    let o = d.koffer(&share_args(&out, &[]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let ledger = std::fs::read(d.ledger()).unwrap();
    std::fs::remove_file(&out).unwrap();
    let ro = d.path("readonly-dir");
    std::fs::create_dir_all(&ro).unwrap();
    let blocked = format!("{ro}/sub/out.koffer"); // a missing directory: cannot be written
    for (extra, out, says) in [
        (
            vec!["--type", "nope"],
            out.as_str(),
            r#"no record type "nope"; the record types are: sample, event"#,
        ),
        (
            vec!["--drop", "gps"],
            out.as_str(),
            r#"no field "gps" in the selected record types; the fields are: sample.timestamp_ms"#,
        ),
        (
            vec!["--from", "yesterday"],
            out.as_str(),
            r#"--from: "yesterday" is not an RFC 3339 time"#,
        ),
        (
            vec!["--coarsen", "heart_rate"],
            out.as_str(),
            "expected FIELD=STEP",
        ),
        (
            vec!["--coarsen", "note=2"],
            out.as_str(),
            r#"cannot coarsen "sample.note": it is not a number"#,
        ),
        (vec![], SAMPLE, "is the input file"),
        (vec![], blocked.as_str(), "cannot write"),
    ] {
        let o = d.koffer(&share_args(out, &extra));
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("koffer: "), "{err}");
        assert!(err.contains(says), "{extra:?}: {err}");
        assert!(
            !Path::new(&d.path("out.koffer")).exists(),
            "{extra:?} wrote OUT"
        );
        assert_eq!(
            std::fs::read(d.ledger()).unwrap(),
            ledger,
            "{extra:?} changed the ledger"
        );
    }
    assert_eq!(
        std::fs::read(sample_path()).unwrap().len() as u64,
        std::fs::metadata(SAMPLE).unwrap().len()
    );
    // --dry-run writes nothing either, and says what would be shared.
    let o = d.koffer(&share_args(
        &out,
        &["--from", "2026-09-15T00:00:00Z", "--dry-run"],
    ));
    assert_eq!(o.status.code(), Some(0));
    let t = text(&o.stdout);
    assert!(
        t.contains("sample v1: ") && t.contains("nothing written (--dry-run)"),
        "{t}"
    );
    assert!(!Path::new(&out).exists());
    assert_eq!(std::fs::read(d.ledger()).unwrap(), ledger);
    // A ledger that is not one: refused before OUT is written.
    let o = d.koffer(&share_args(&out, &["--ledger", SAMPLE]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("the ledger is the input or the output file"),
        "{}",
        text(&o.stderr)
    );
    let other = d.path("other.koffer");
    std::fs::copy(SAMPLE, &other).unwrap();
    let o = d.koffer(&share_args(&out, &["--ledger", &other]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not a koffer ledger"),
        "{}",
        text(&o.stderr)
    );
    assert!(!Path::new(&out).exists());
}

#[test]
fn a_ledger_cut_mid_append_is_resumed_by_the_next_share() {
    let d = Dir::new("cut");
    for i in 0..2 {
        let o = d.koffer(&share_args(
            &d.path(&format!("o{i}.koffer")),
            &["--type", "event"],
        ));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let full = std::fs::read(d.ledger()).unwrap();
    // Cut inside the second receipt's block (after the first block and its predecessor frames).
    let cut = full.len() - 40;
    std::fs::write(d.ledger(), &full[..cut]).unwrap();
    let l = d.koffer(&["ledger"]);
    assert_eq!(l.status.code(), Some(0));
    assert!(
        text(&l.stdout).contains("1 disclosure, newest first"),
        "{}",
        text(&l.stdout)
    );
    assert!(
        text(&l.stderr).contains("the ledger is incomplete"),
        "{}",
        text(&l.stderr)
    );
    assert_eq!(
        d.koffer(&["verify", d.ledger().to_str().unwrap()])
            .status
            .code(),
        Some(3)
    );
    let o = d.koffer(&share_args(&d.path("o2.koffer"), &["--type", "event"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        d.koffer(&["verify", d.ledger().to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let l = d.koffer(&["ledger"]);
    assert!(
        text(&l.stdout).contains("2 disclosures"),
        "{}",
        text(&l.stdout)
    );
}

#[test]
fn a_new_ledger_cut_after_its_header_or_in_its_schema_frame_is_resumed() {
    // disclosure.md §7: a crash while the ledger is created; the next share
    // writes the koffer.disclosure schema frame first, then its receipt.
    let d = Dir::new("newcut");
    let o = d.koffer(&share_args(&d.path("o0.koffer"), &["--type", "event"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let full = std::fs::read(d.ledger()).unwrap();
    let schema_end = 18 + 5 + 2 + 17 + 1 + 1085 + 4; // header, frame head, id, name, version, definition, crc
    let mut cuts: Vec<usize> = (0..=24).collect();
    cuts.extend([
        40,
        300,
        700,
        1000,
        schema_end - 5,
        schema_end - 1,
        full.len() - 1,
    ]);
    for cut in cuts {
        std::fs::write(d.ledger(), &full[..cut]).unwrap();
        let out = d.path("o1.koffer");
        let o = d.koffer(&share_args(&out, &["--type", "event"]));
        assert_eq!(
            o.status.code(),
            Some(0),
            "cut at {cut}: {}",
            text(&o.stderr)
        );
        let v = d.koffer(&["verify", d.ledger().to_str().unwrap()]);
        assert_eq!(
            v.status.code(),
            Some(0),
            "cut at {cut}: {}",
            text(&v.stderr)
        );
        let l = d.koffer(&["ledger", "--json"]);
        assert_eq!(l.status.code(), Some(0), "cut at {cut}");
        let list: serde_json::Value = serde_json::from_slice(&l.stdout).unwrap();
        assert!(!list.as_array().unwrap().is_empty(), "cut at {cut}");
        // The receipt in OUT is the newest in the ledger.
        let i = d.koffer(&["inspect", "--json", &out]);
        let report: serde_json::Value = serde_json::from_slice(&i.stdout).unwrap();
        assert_eq!(
            report["receipts"][0]["id"]
                .as_str()
                .map(|s| s.replace('-', "")),
            Some(
                list[0]["id"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| format!("{:02x}", b.as_u64().unwrap()))
                    .collect::<String>()
            ),
            "cut at {cut}"
        );
    }
}

#[test]
fn ledger_inspect_and_dry_run_escape_control_characters() {
    // No control character from a receipt reaches the terminal: the escape
    // sequence ESC [2J (clear the screen), a newline forging a line, a
    // bidirectional override.
    let d = Dir::new("esc");
    let out = d.path("out.koffer");
    let evil = "Evil\u{1b}[2J\nfake line\u{202e}";
    let o = d.koffer(&[
        "share",
        SAMPLE,
        "-o",
        &out,
        "--recipient",
        evil,
        "--purpose",
        "why\u{7}",
        "--type",
        "event",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let dry = d.koffer(&[
        "share",
        SAMPLE,
        "-o",
        &out,
        "--recipient",
        evil,
        "--purpose",
        "x",
        "--dry-run",
    ]);
    for (what, o) in [
        ("ledger", d.koffer(&["ledger"])),
        ("inspect", d.koffer(&["inspect", &out])),
        ("dry-run", dry),
    ] {
        assert_eq!(o.status.code(), Some(0), "{what}: {}", text(&o.stderr));
        let t = text(&o.stdout);
        assert!(
            !t.contains('\u{1b}') && !t.contains('\u{7}') && !t.contains('\u{202e}'),
            "{what}: {t:?}"
        );
        assert!(!t.contains("\nfake line"), "{what}: {t:?}");
        assert!(
            t.contains(r"Evil\u{1b}[2J\nfake line\u{202e}"),
            "{what}: {t:?}"
        );
    }
    // The JSON forms keep the text as it is (JSON escapes it).
    let j = d.koffer(&["ledger", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(v[0]["recipient"]["name"], evil);
}

#[test]
fn empty_and_malformed_arguments_are_refused_and_terms_normalised() {
    let d = Dir::new("args");
    let out = d.path("out.koffer");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--recipient-id", ""],
            "--recipient-id \"\": expected a URI",
        ),
        (&["--recipient-id", "sleep lab"], "expected a URI"),
        (&["--purpose-iri", "Service Provision"], "expected an IRI"),
        (&["--purpose-iri", ""], "expected an IRI"),
        (&["--basis", ""], "expected an IRI"),
        (
            &[
                "--from",
                "2026-09-16T00:00:00Z",
                "--until",
                "2026-09-16T00:00:00Z",
            ],
            "the time range is empty",
        ),
        (
            &[
                "--from",
                "2026-09-17T00:00:00Z",
                "--until",
                "2026-09-16T00:00:00Z",
            ],
            "the time range is empty",
        ),
        (
            &["--drop", "heart_rate", "--coarsen", "heart_rate=5"],
            "it is dropped",
        ),
        (
            &["--expires", "9999-12-31T23:00:00-01:00"],
            "after 9999-12-31",
        ),
    ];
    // share_args with `extra`; a flag it already has takes the new value.
    let with = |extra: &[&'static str]| {
        let mut a = share_args(&out, &[]);
        let mut rest = Vec::new();
        for pair in extra.chunks(2) {
            match a.iter().position(|x| *x == pair[0]) {
                Some(i) => a[i + 1] = pair[1],
                None => rest.extend_from_slice(pair),
            }
        }
        a.extend(rest);
        a
    };
    for (extra, expect) in cases {
        let o = d.koffer(&with(extra));
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(
            text(&o.stderr).contains(expect),
            "{extra:?}: {}",
            text(&o.stderr)
        );
        assert!(!Path::new(&out).exists(), "{extra:?}");
        assert!(!d.ledger().exists(), "{extra:?}");
    }
    for (flag, value) in [("--recipient", ""), ("--purpose", "")] {
        let o = d.koffer(&with(&[flag, value]));
        assert_eq!(o.status.code(), Some(2), "{flag}");
        assert!(
            text(&o.stderr).contains("not an empty string"),
            "{flag}: {}",
            text(&o.stderr)
        );
    }
    // A bare DPV term is stored in compact form, like --basis.
    let o = d.koffer(&share_args(
        &out,
        &[
            "--purpose-iri",
            "ServiceProvision",
            "--basis",
            "Contract",
            "--type",
            "event",
        ],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let l = d.koffer(&["ledger", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&l.stdout).unwrap();
    assert_eq!(
        v[0]["purpose_iris"],
        serde_json::json!(["dpv:ResearchAndDevelopment", "dpv:ServiceProvision"])
    );
    assert_eq!(v[0]["legal_basis"], "dpv:Contract");
}

#[test]
fn ledger_lists_by_time_latest_first_equal_times_in_reverse_file_order() {
    use koffer::disclosure::Party;
    let d = Dir::new("order");
    let mut buf = [0u8; 64];
    let source = koffer::write::Writer::new(Vec::new(), &mut buf)
        .unwrap()
        .finish()
        .unwrap();
    let receipt = |id: u8, time: u64| {
        let terms = koffer::share::Terms {
            id: [id; 16],
            time,
            subject: "p",
            discloser: Party {
                name: "owner",
                id: None,
            },
            recipient: Party {
                name: "GP",
                id: None,
            },
            purpose: "care",
            purpose_iris: &[],
            legal_basis: "dpv:Consent",
            expires: None,
        };
        koffer::share::share(&source, &Default::default(), &terms)
            .unwrap()
            .receipt
    };
    // File order: 1 (t=5), 2 (t=9), 3 (t=5), 4 (t=1), 5 (t=9).
    let mut ledger = Vec::new();
    for (id, t) in [(1, 5), (2, 9), (3, 5), (4, 1), (5, 9)] {
        let a = koffer::share::ledger_append(&ledger, &receipt(id, t * 1000)).unwrap();
        ledger.truncate(a.keep as usize);
        ledger.extend_from_slice(&a.bytes);
    }
    let path = d.path("ledger.koffer");
    std::fs::write(&path, &ledger).unwrap();
    let o = d.koffer(&["ledger", "--json", &path]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"][0].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [5, 2, 3, 1, 4]);
    let o = d.koffer(&["ledger", "--format", "27560", &path]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v[0]["record_id"],
        "urn:uuid:05050505-0505-0505-0505-050505050505"
    );
    assert_eq!(
        v[2]["record_id"],
        "urn:uuid:03030303-0303-0303-0303-030303030303"
    );
}

/// Receipts a ledger lists (`koffer ledger --json`).
fn receipts_in(d: &Dir, ledger: &str) -> usize {
    let o = d.koffer(&["ledger", ledger, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array().unwrap().len()
}

/// Shares started at once on one ledger: each appends whole or is refused
/// while another holds the lock; the ledger stays a complete container with
/// one receipt per share that succeeded, and the lock file is gone.
#[test]
fn concurrent_shares_append_one_at_a_time_or_are_refused() {
    let d = Dir::new("lock");
    let ledger = d.path("L.koffer");
    let children: Vec<_> = (0..12)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_koffer"))
                .args(share_args("/dev/null", &["--ledger", &ledger]))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ok = 0;
    for c in children {
        let o = c.wait_with_output().unwrap();
        match o.status.code() {
            Some(0) => ok += 1,
            _ => assert!(text(&o.stderr).contains("is locked by another koffer share")),
        }
    }
    assert!(ok >= 1);
    let v = d.koffer(&["verify", &ledger]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stderr));
    assert_eq!(receipts_in(&d, &ledger), ok);
    assert!(!Path::new(&format!("{ledger}.lock")).exists());

    // A lock left behind: refused with how to recover, the ledger untouched.
    std::fs::write(format!("{ledger}.lock"), b"").unwrap();
    let before = std::fs::read(&ledger).unwrap();
    let o = d.koffer(&share_args(&d.path("o.koffer"), &["--ledger", &ledger]));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("remove it"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&ledger).unwrap(), before);
    assert!(!Path::new(&d.path("o.koffer")).exists());
    assert!(Path::new(&format!("{ledger}.lock")).exists());
}

/// An append that fails (the file size limit) puts back only the tail: every
/// earlier receipt stays; and a pipe as OUT receives nothing from a share
/// that failed.
#[test]
fn a_failed_append_keeps_every_earlier_receipt_and_delivers_nothing() {
    let d = Dir::new("fsize");
    let ledger = d.path("L.koffer");
    for _ in 0..10 {
        let o = d.koffer(&share_args("/dev/null", &["--ledger", &ledger]));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let len = std::fs::metadata(&ledger).unwrap().len();
    assert!(len > 2048, "{len}");
    let limit = len / 1024 - 1; // in KiB: below the append point
    let mut cmd = format!(
        "trap '' XFSZ; ulimit -f {limit}; exec '{}'",
        env!("CARGO_BIN_EXE_koffer")
    );
    for a in share_args("/dev/stdout", &["--ledger", &ledger]) {
        cmd += &format!(" '{a}'");
    }
    let o = Command::new("bash")
        .args(["-c", &cmd])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "{} bytes delivered", o.stdout.len());
    assert_eq!(receipts_in(&d, &ledger), 10);
    // The next share resumes it.
    let o = d.koffer(&share_args("/dev/null", &["--ledger", &ledger]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(receipts_in(&d, &ledger), 11);
    assert_eq!(d.koffer(&["verify", &ledger]).status.code(), Some(0));
}

/// `--ledger` and `-o` spelling one path that does not exist yet are
/// refused; a relative `XDG_DATA_HOME` is ignored for `$HOME`'s.
#[test]
fn ledger_equal_to_out_and_relative_xdg_data_home() {
    let d = Dir::new("paths");
    std::fs::create_dir_all(d.path("sub")).unwrap();
    let out = d.path("x.koffer");
    let same = d.path("sub/../x.koffer");
    let o = d.koffer(&share_args(&out, &["--ledger", &same]));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("the ledger is the input or the output file"));
    assert!(!Path::new(&out).exists());

    let o = Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(share_args(&d.path("y.koffer"), &[]))
        .current_dir(&d.0)
        .env("XDG_DATA_HOME", "rel")
        .env("HOME", d.path("home"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(Path::new(&d.path("home/.local/share/koffer/ledger.koffer")).exists());
    assert!(!Path::new(&d.path("rel")).exists());
}
