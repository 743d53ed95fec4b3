//! The runner against koffer itself (in process and as an external decoder,
//! both reading modes of spec `format.md` §10.1), and against decoders that
//! are wrong, hang, flood or print garbage.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_koffer-conformance");

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors")
}

fn vector_count() -> usize {
    std::fs::read_dir(vectors())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count()
}

/// A fresh directory holding copies of the vectors `names`.
fn some_vectors(tag: &str, names: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("conformance-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for name in names {
        for ext in ["koffer", "json"] {
            let file = format!("{name}.{ext}");
            std::fs::copy(vectors().join(&file), dir.join(&file)).unwrap();
        }
    }
    dir
}

/// A shell script as a decoder command: `sh -c SCRIPT sh`, so the vector's
/// path is `$1` and koffer's outcome command `$KOFFER`.
fn script(body: &str) -> String {
    format!("sh -c '{}' sh", body.replace('\'', r"'\''"))
}

fn run(args: &[&str]) -> (Output, Vec<String>) {
    let out = Command::new(BIN)
        .arg("run")
        .args(args)
        .env("KOFFER", BIN)
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (out, lines)
}

/// Each vector has one PASS or FAIL line, and the last line is the tally.
fn assert_report(lines: &[String], passed: usize, failed: usize) {
    assert_eq!(
        lines.last().unwrap(),
        &format!("{passed} passed, {failed} failed"),
        "{lines:#?}"
    );
    let body = &lines[..lines.len() - 1];
    assert_eq!(body.len(), passed + failed);
    assert_eq!(
        body.iter().filter(|l| l.starts_with("PASS ")).count(),
        passed
    );
    assert_eq!(
        body.iter().filter(|l| l.starts_with("FAIL ")).count(),
        failed
    );
}

#[test]
fn koffer_passes_every_vector_as_verifier_and_as_records_only_reader() {
    let n = vector_count();
    assert!(n >= 100, "only {n} vectors");
    let dir = vectors();
    for mode in ["verifier", "records"] {
        let (out, lines) = run(&["--mode", mode, dir.to_str().unwrap()]);
        assert_report(&lines, n, 0);
        assert!(out.status.success(), "{mode}: {lines:#?}");
    }
}

#[test]
fn koffer_as_an_external_decoder_passes_every_vector_in_both_modes() {
    let n = vector_count();
    let dir = vectors();
    let verifier = format!("{BIN} outcome");
    let records = format!("{BIN} outcome --mode records");
    for (mode, decoder) in [("verifier", &verifier), ("records", &records)] {
        let (out, lines) = run(&["--mode", mode, "--decoder", decoder, dir.to_str().unwrap()]);
        assert_report(&lines, n, 0);
        assert!(out.status.success(), "{mode}: {lines:#?}");
    }
}

#[test]
fn a_records_only_reader_fails_the_verifier_run_on_exactly_the_vectors_about_descriptions() {
    let dir = vectors();
    let records = format!("{BIN} outcome --mode records");
    let (out, lines) = run(&["--decoder", &records, dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let failed: Vec<&String> = lines.iter().filter(|l| l.starts_with("FAIL ")).collect();
    assert!(!failed.is_empty());
    for name in std::fs::read_dir(&dir).unwrap().filter_map(|e| {
        let p = e.unwrap().path();
        (p.extension()? == "json").then_some(p)
    }) {
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&name).unwrap()).unwrap();
        let stem = name.file_stem().unwrap().to_str().unwrap();
        let description = expected["check"] == "description";
        // Reading past the description yields no reject; a complete vector
        // states metadata and schemas a records-only reader leaves out.
        let states_descriptions = expected["outcome"] != "reject"
            && (expected.get("metadata").is_some() || expected.get("schemas").is_some());
        let fails = lines
            .iter()
            .any(|l| l.starts_with(&format!("FAIL {stem}: ")));
        assert_eq!(
            fails,
            description || states_descriptions,
            "{stem}: {lines:#?}"
        );
    }
}

#[test]
fn a_decoder_with_one_field_altered_fails_with_that_field_path() {
    let dir = some_vectors(
        "altered",
        &[
            "incomplete-torn-block",
            "reject-header-checksum",
            "valid-empty",
        ],
    );
    // The second record's index, and nothing else, is wrong.
    let decoder = script(r#""$KOFFER" outcome "$1" | sed 's/"index": 1,/"index": 7,/'"#);
    let (out, lines) = run(&["--decoder", &decoder, dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{lines:#?}");
    assert_eq!(
        lines,
        [
            "FAIL incomplete-torn-block: $.records[1].index: expected 1, got 7",
            "PASS reject-header-checksum",
            "PASS valid-empty",
            "2 passed, 1 failed",
        ]
    );
}

#[test]
fn a_number_written_as_a_string_is_a_difference() {
    let dir = some_vectors(
        "string-number",
        &["incomplete-torn-block", "reject-header-checksum"],
    );
    let decoder = script(
        r#""$KOFFER" outcome "$1" | sed -e 's/"valid_len": \([0-9]*\)/"valid_len": "\1"/' -e 's/"error": "HeaderChecksum"/"error": "headerchecksum"/'"#,
    );
    let (_, lines) = run(&["--decoder", &decoder, dir.to_str().unwrap()]);
    assert_eq!(
        lines,
        [
            r#"FAIL incomplete-torn-block: $.valid_len: expected 447 (a number), got "447" (a string)"#,
            r#"FAIL reject-header-checksum: $.error: expected "HeaderChecksum", got "headerchecksum""#,
            "0 passed, 2 failed",
        ]
    );
}

#[test]
fn a_missing_record_and_an_extra_key_are_differences() {
    let dir = some_vectors("missing", &["type-u8", "valid-empty"]);
    // Drops the last record of type-u8 (its two records become one) and
    // adds a key to valid-empty's totals.
    let decoder = script(
        r#""$KOFFER" outcome "$1" | tr -d "\n" | sed -e 's/, *{ *"index": 1,[^}]*}//' -e 's/"blocks": 0/"blocks": 0, "bytes": 30/'"#,
    );
    let (_, lines) = run(&["--decoder", &decoder, dir.to_str().unwrap()]);
    assert_eq!(
        lines,
        [
            r#"FAIL type-u8: $.records[1]: expected {"index":1,"json":"255","payload":"ff","record_type":0}, got (missing: 1 elements, not 2)"#,
            "FAIL valid-empty: $.totals.bytes: expected (no such key), got 30",
            "0 passed, 2 failed",
        ]
    );
}

#[test]
fn a_hanging_decoder_times_out_and_is_killed_with_what_it_started() {
    let dir = some_vectors("hang", &["valid-empty", "reject-header-checksum"]);
    let pids = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-hang-pids");
    let _ = std::fs::remove_file(&pids);
    // The shell starts a child of its own that would outlive it.
    let decoder = script(&format!("sleep 30 & echo $! >> {}; wait", pids.display()));
    let start = Instant::now();
    let (out, lines) = run(&[
        "--timeout",
        "0.5",
        "--decoder",
        &decoder,
        dir.to_str().unwrap(),
    ]);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        lines,
        [
            "FAIL reject-header-checksum: decoder timed out after 0.5 s (killed)",
            "FAIL valid-empty: decoder timed out after 0.5 s (killed)",
            "0 passed, 2 failed",
        ]
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // The sleeps went with their shells (Linux: look in /proc).
    if cfg!(target_os = "linux") {
        let pids = std::fs::read_to_string(&pids).unwrap();
        assert_eq!(pids.lines().count(), 2);
        std::thread::sleep(Duration::from_millis(200));
        for pid in pids.lines() {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let running = stat.contains("(sleep)") && !stat.contains(") Z ");
            assert!(!running, "sleep {pid} still runs: {stat}");
        }
    }
}

#[test]
fn garbage_no_output_a_flood_and_a_missing_program_are_failures_not_crashes() {
    let dir = some_vectors("garbage", &["valid-empty"]);
    let dir = dir.to_str().unwrap();
    let cases: [(String, &str); 8] = [
        (script("printf 'not json {{{'; exit 0"), "FAIL valid-empty: decoder output is not one JSON value ("),
        (script("echo Segmentation fault >&2; exit 139"), "FAIL valid-empty: decoder printed no JSON; exit status 139; stderr: Segmentation fault"),
        (script(r"printf '\377\376{'"), "FAIL valid-empty: decoder output is not one JSON value ("),
        (script("printf '{}{}'"), "FAIL valid-empty: decoder output is not one JSON value (trailing characters"),
        (script("printf '[1,2]'"), "FAIL valid-empty: $: expected a JSON object, got [1,2] (an array)"),
        (script(r#"head -c 3000 /dev/zero | tr "\0" "["; echo"#), "FAIL valid-empty: decoder output is not one JSON value (recursion limit exceeded"),
        (script("yes"), "FAIL valid-empty: decoder wrote more than 4096 bytes to stdout (killed)"),
        ("/nonexistent/decoder".to_owned(), "FAIL valid-empty: cannot start decoder \"/nonexistent/decoder\": "),
    ];
    for (decoder, want) in cases {
        let (out, lines) = run(&["--max-output", "4096", "--decoder", &decoder, dir]);
        assert_eq!(out.status.code(), Some(1), "{decoder}: {lines:#?}");
        assert_eq!(lines.len(), 2, "{decoder}: {lines:#?}");
        assert!(lines[0].starts_with(want), "{decoder}: {}", lines[0]);
        assert_eq!(lines[1], "0 passed, 1 failed");
    }
}

#[test]
fn a_broken_vector_directory_is_reported_per_vector() {
    let dir = some_vectors("broken", &["valid-empty", "reject-header-checksum"]);
    std::fs::remove_file(dir.join("valid-empty.koffer")).unwrap();
    std::fs::write(dir.join("reject-header-checksum.json"), "{ not json").unwrap();
    let (out, lines) = run(&[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines[0], "FAIL reject-header-checksum: the vector's reject-header-checksum.json is not JSON: key must be a string at line 1 column 3");
    assert_eq!(
        lines[1],
        "FAIL valid-empty: no valid-empty.koffer beside valid-empty.json"
    );
    assert_eq!(lines[2], "0 passed, 2 failed");

    let empty = some_vectors("empty", &[]);
    let (out, lines) = run(&[empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(lines.is_empty());
}

#[test]
fn outcome_prints_the_vectors_json_shape() {
    for name in [
        "valid-metadata-types",
        "valid-wearable-256",
        "reject-def-amid-records",
    ] {
        let out = Command::new(BIN)
            .args([
                "outcome",
                vectors().join(format!("{name}.koffer")).to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut want: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(vectors().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        want.as_object_mut().unwrap().remove("rule");
        // These vectors state every key of their outcome.
        assert_eq!(got, want, "{name}");
    }
    let out = Command::new(BIN)
        .args(["outcome", "/nonexistent.koffer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_largest_max_output_does_not_overflow() {
    let dir = some_vectors("max-output", &["valid-empty"]);
    let decoder = format!("{BIN} outcome");
    let (out, lines) = run(&[
        "--max-output",
        "18446744073709551615",
        "--decoder",
        &decoder,
        dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{lines:#?} {err}");
    assert_report(&lines, 1, 0);
}

#[cfg(target_os = "linux")]
#[test]
fn what_a_decoder_leaves_running_is_ended_after_it_exits() {
    let dir = some_vectors("leftover", &["valid-empty"]);
    let pid_file = dir.join("leftover.pid");
    let decoder = script(&format!(
        r#"sleep 300 </dev/null >/dev/null 2>&1 & echo $! > "{}"; "$KOFFER" outcome "$1""#,
        pid_file.display()
    ));
    let (out, lines) = run(&["--decoder", &decoder, dir.to_str().unwrap()]);
    assert_report(&lines, 1, 0);
    assert!(out.status.success(), "{lines:#?}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    // Gone, or a zombie waiting for its new parent to reap it.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let alive = std::fs::read_to_string(&stat).is_ok_and(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'))
        });
        if !alive {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the decoder's background sleep (pid {pid}) still runs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
