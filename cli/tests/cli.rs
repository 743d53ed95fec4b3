//! The `koffer` binary, end to end: `inspect` and `verify` on the wearable
//! sample and on damaged copies of it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/wearable.koffer")
}

fn sample() -> Vec<u8> {
    std::fs::read(sample_path()).expect("samples/wearable.koffer (cargo run --example wearable)")
}

fn koffer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run koffer")
}

/// A file under the temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, bytes: &[u8]) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("koffer-cli-test-{}-{n}-{tag}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts the exit code and that stderr is exactly one line naming the file.
fn assert_failure(o: &Output, code: i32, file: &str) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line on stderr, got: {err:?}");
    assert!(
        err.starts_with(&format!("koffer: {file}: ")),
        "stderr names the file: {err:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn sample_arg() -> String {
    sample_path().to_str().expect("UTF-8 path").to_string()
}

#[test]
fn inspect_shows_the_sample() {
    let file = sample_arg();
    let o = koffer(&["inspect", &file]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(o.stderr.is_empty());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let has = |needle: &str| {
        assert!(
            lines.iter().any(|l| l.contains(needle)),
            "no line contains {needle:?} in:\n{out}"
        )
    };
    has("format        koffer 1.0");
    has("required 0x0000, optional 0x0000");
    has("metadata      8 entries");
    has("producer.vendor    str     \"Acme Wearables\"");
    has("producer.model     str     \"Band 3\"");
    has("producer.firmware  str     \"3.4.1\"");
    has("producer.serial    str     \"B3-2026-004217\"");
    has("export.created     time    2026-09-21T07:42:10Z (1789976530000 ms)");
    has("subject.pseudonym  str     \"p-7f3a9c\"");
    has("time.base          str     \"unix\"");
    has("example:generator");
    has("record types  2");
    has("   0 sample       1  357 bytes   1151   10080");
    has("   1 event        1  134 bytes     53      53");
    // The schemas, readably: names, types, units, descriptions.
    has("    timestamp_ms  u64 [ms, timestamp]  — Start of the minute.");
    has("    heart_rate    u8 [1/min]  — Heart rate; 0 when the band is off the wrist.");
    has("    activity      enum Activity { Rest, Walk, Run, Cycle }  — What the wearer was doing.");
    has("    note          option<string>  — A rare remark of the firmware.");
    has("frames        1208 (1 metadata, 2 schema, 1204 block, 0 ancillary, 1 end)");
    has("blocks        1204");
    has("records       10133");
    has("status        complete");
    has("checksums     header OK, all 1208 frame checksums OK");
}

#[test]
fn inspect_json_parses() {
    let file = sample_arg();
    let o = koffer(&["inspect", "--json", &file]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["size"], sample().len() as u64);
    assert_eq!(v["format"]["major"], 1);
    assert_eq!(v["format"]["minor"], 0);
    assert_eq!(v["format"]["version"], "1.0");
    assert_eq!(v["features"]["required"], 0);
    assert_eq!(v["status"], "complete");
    assert_eq!(v["complete"], true);
    assert!(v["incomplete"].is_null());
    assert!(v["error"].is_null());
    assert_eq!(v["records"], 10_133);
    assert_eq!(v["blocks"], 1_204);
    assert_eq!(v["frames"]["total"], 1_208);
    assert_eq!(v["frames"]["end"], 1);
    assert_eq!(v["checksums"]["frames_ok"], 1_208);
    assert_eq!(v["checksums"]["all_ok"], true);

    let meta = v["metadata"].as_array().expect("metadata array");
    let entry = |key: &str| {
        meta.iter()
            .find(|e| e["key"] == key)
            .unwrap_or_else(|| panic!("no metadata entry {key}"))
    };
    assert_eq!(entry("producer.vendor")["value"], "Acme Wearables");
    assert_eq!(entry("producer.vendor")["type"], "str");
    assert_eq!(entry("time.base")["value"], "unix");
    let created = entry("export.created");
    assert_eq!(created["type"], "time");
    assert_eq!(created["type_code"], 7);
    assert_eq!(created["value"], 1_789_976_530_000u64);
    assert_eq!(created["rfc3339"], "2026-09-21T07:42:10Z");

    let types = v["record_types"].as_array().expect("record_types array");
    assert_eq!(types.len(), 2);
    assert_eq!(types[0]["id"], 0);
    assert_eq!(types[0]["name"], "sample");
    assert_eq!(types[0]["version"], 1);
    assert_eq!(types[0]["definition_bytes"], 357);
    assert_eq!(types[0]["records"], 10_080);
    let fields = types[0]["layout"]["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 8);
    assert_eq!(fields[0]["name"], "timestamp_ms");
    assert_eq!(fields[0]["type"], "u64");
    assert_eq!(fields[0]["unit"], "ms");
    assert_eq!(fields[0]["time"], "");
    assert_eq!(fields[1]["unit"], "1/min");
    assert_eq!(types[0]["fingerprint"].as_str().map(str::len), Some(16));
    assert_eq!(types[1]["name"], "event");
    assert_eq!(types[1]["records"], 53);
}

#[test]
fn verify_accepts_the_sample() {
    let file = sample_arg();
    let o = koffer(&["verify", &file]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(o.stderr.is_empty());
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("OK"), "{out}");
    assert!(out.contains("complete"), "{out}");
    assert!(out.contains("10133 records"), "{out}");
    assert!(out.contains("all 1208 frame checksums OK"), "{out}");
}

/// Spec §8: the end frame's `frames` total counts the frames before it;
/// `verify` prints that number, named as such, and the checksums of all
/// frames (one more: the end frame's).
#[test]
fn verify_counts_frames_as_the_end_frame_does() {
    let bytes = sample();
    let stated = koffer::read::Reader::new(&bytes)
        .unwrap()
        .verify()
        .unwrap()
        .counted
        .frames;
    let o = koffer(&["verify", &sample_arg()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(stated, 1207);
    assert!(
        out.contains(&format!("complete: {stated} frames before the end frame, ")),
        "{out}"
    );
    assert!(
        out.contains(&format!("all {} frame checksums OK", stated + 1)),
        "{out}"
    );
}

#[test]
fn verify_reads_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(["verify", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run koffer");
    let bytes = sample();
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let o = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread").expect("write stdin");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(stdout(&o).starts_with("<stdin>: OK"), "{}", stdout(&o));
}

#[test]
fn not_a_container_is_4() {
    let f = TempFile::new("text.txt", b"just some text, not a container\n");
    for cmd in ["verify", "inspect"] {
        let o = koffer(&[cmd, f.arg()]);
        let err = assert_failure(&o, 4, f.arg());
        assert!(err.contains("at byte 0:"), "{err}");
        assert!(err.contains("expected the signature"), "{err}");
        assert!(o.stdout.is_empty());
    }
}

/// An empty file is a container whose writer stopped before its header
/// (spec §3.3): incomplete, holding nothing — not a foreign file.
#[test]
fn empty_file_is_3() {
    let f = TempFile::new("empty", b"");
    let o = koffer(&["verify", f.arg()]);
    let err = assert_failure(&o, 3, f.arg());
    assert!(err.contains("at byte 0:"), "{err}");
    assert!(err.contains("holds nothing"), "{err}");
}

#[test]
fn later_major_version_is_4() {
    let mut bytes = sample();
    bytes[8] = 2;
    let crc = koffer::crc::checksum(&bytes[..14]);
    bytes[14..18].copy_from_slice(&crc.to_le_bytes());
    let f = TempFile::new("v2.koffer", &bytes);
    let o = koffer(&["verify", f.arg()]);
    let err = assert_failure(&o, 4, f.arg());
    assert!(err.contains("at byte 8:"), "{err}");
    assert!(err.contains("2.0 is not supported"), "{err}");
}

#[test]
fn damaged_header_is_1() {
    let mut bytes = sample();
    bytes[12] ^= 0x01; // an optional feature bit, without fixing the checksum
    let f = TempFile::new("hdr.koffer", &bytes);
    let o = koffer(&["verify", f.arg()]);
    let err = assert_failure(&o, 1, f.arg());
    assert!(err.contains("at byte 14:"), "{err}");
}

#[test]
fn corrupt_block_is_1() {
    let mut bytes = sample();
    // A byte inside the body of the block frame that holds the middle of the file.
    let mid = bytes.len() / 2;
    let block = koffer::read::Reader::new(&bytes)
        .unwrap()
        .frames()
        .map(Result::unwrap)
        .find(|f| f.offset + f.size > mid as u64)
        .unwrap();
    let mid = (block.body_offset + 2) as usize;
    bytes[mid] ^= 0xFF;
    let f = TempFile::new("corrupt.koffer", &bytes);
    let o = koffer(&["verify", f.arg()]);
    let err = assert_failure(&o, 1, f.arg());
    assert!(o.stdout.is_empty());
    let offset: u64 = err
        .split("at byte ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no offset in {err:?}"));
    assert!(
        offset <= mid as u64,
        "the damaged frame starts before byte {mid}: {err}"
    );
    assert!(err.contains("checksum"), "{err}");

    // inspect shows what precedes the damage, then fails the same way.
    let o = koffer(&["inspect", "--json", f.arg()]);
    assert_failure(&o, 1, f.arg());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["status"], "corrupt");
    assert_eq!(v["error"]["kind"], "FrameChecksum");
    assert_eq!(v["error"]["offset"], offset);
    assert_eq!(v["checksums"]["all_ok"], false);
}

#[test]
fn truncated_file_is_3() {
    let bytes = sample();
    let cut = bytes.len() - 100;
    let f = TempFile::new("cut.koffer", &bytes[..cut]);
    let o = koffer(&["verify", f.arg()]);
    let err = assert_failure(&o, 3, f.arg());
    assert!(o.stdout.is_empty());
    assert!(err.contains("incomplete"), "{err}");
    assert!(err.contains(&format!("of {cut} bytes")), "{err}");
    assert!(err.contains("dropped"), "{err}");

    // inspect describes an incomplete container without failing.
    let o = koffer(&["inspect", "--json", f.arg()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["status"], "incomplete");
    assert_eq!(v["complete"], false);
    let valid = v["incomplete"]["valid_len"].as_u64().expect("valid_len");
    let dropped = v["incomplete"]["dropped_bytes"].as_u64().expect("dropped");
    assert_eq!(valid + dropped, cut as u64);
    assert_eq!(v["incomplete"]["tail"], "torn");
    assert!(err.contains(&format!("at byte {valid}:")), "{err}");
    assert!(err.contains(&format!("dropped {dropped} bytes")), "{err}");
}

#[test]
fn header_only_is_3() {
    let bytes = sample();
    let f = TempFile::new("hdr-only.koffer", &bytes[..18]);
    let o = koffer(&["verify", f.arg()]);
    assert_failure(&o, 3, f.arg());
}

#[test]
fn missing_file_is_5() {
    let path = std::env::temp_dir().join(format!(
        "koffer-cli-test-{}-does-not-exist.koffer",
        std::process::id()
    ));
    let file = path.to_str().expect("UTF-8 path");
    for cmd in ["verify", "inspect"] {
        let o = koffer(&[cmd, file]);
        let err = assert_failure(&o, 5, file);
        assert!(err.contains("cannot read"), "{err}");
    }
}

#[test]
fn usage_error_is_2() {
    let o = koffer(&["verify"]);
    assert_eq!(o.status.code(), Some(2));
    let o = koffer(&["frobnicate", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------- export / import

/// The bytes a round trip must reproduce: the container up to the end of its
/// last intact frame (unwritten and torn tails are not reproduced).
fn valid_prefix(bytes: &[u8]) -> &[u8] {
    let summary = koffer::read::Reader::new(bytes)
        .and_then(|r| r.verify())
        .expect("a readable container");
    &bytes[..summary.len as usize]
}

/// `export --format json` then `import`: the rebuilt bytes.
fn round_trip(file: &str) -> Vec<u8> {
    let o = koffer(&["export", file, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "export {file}: {}", stderr(&o));
    let json = TempFile::new("export.json", &o.stdout);
    let out = TempFile::new("rebuilt.koffer", b"");
    let o = koffer(&["import", json.arg(), "-o", out.arg()]);
    assert_eq!(o.status.code(), Some(0), "import {file}: {}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    std::fs::read(&out.0).expect("rebuilt container")
}

#[test]
fn round_trip_sample_is_byte_identical() {
    let rebuilt = round_trip(&sample_arg());
    assert!(rebuilt == sample(), "rebuilt sample differs");
}

/// Records and documents the one-pass reading of `import` does not take as
/// they come (keys out of order or escaped, a bad value beside a payload,
/// which import takes instead, "records" before "schemas") still rebuild the
/// same bytes.
#[test]
fn import_reads_records_in_any_key_order_and_escape() {
    let o = koffer(&["export", &sample_arg(), "--format", "json"]);
    let json = stdout(&o);
    let first = "{\"type\":\"sample\",\"record_type\":0,\"index\":0,\"value\":";
    let at = json.find(first).expect("the first record");
    let (value_at, end) = (at + first.len(), at + json[at..].find("}},").unwrap() + 1);
    let value = &json[value_at..end];
    let payload = hex_of(&sample_payload(0));
    for record in [
        // value before record_type
        format!("{{\"value\":{value},\"index\":0,\"record_type\":0,\"type\":\"sample\"}}"),
        // an escaped key
        format!("{{\"record_\\u0074ype\":0, \"value\" : {value}}}"),
        // a value that does not fit, and the payload import takes instead
        format!("{{\"record_type\":0,\"value\":{{\"x\":1}},\"payload\":\"{payload}\"}}"),
        format!("{{\"record_type\":0,\"payload\":\"{payload}\",\"value\":{value}}}"),
    ] {
        let edited = format!("{}{record}{}", &json[..at], &json[end + 1..]);
        let f = TempFile::new("keys.json", edited.as_bytes());
        let out = TempFile::new("keys.koffer", b"");
        let o = koffer(&["import", f.arg(), "-o", out.arg()]);
        assert_eq!(o.status.code(), Some(0), "{record}: {}", stderr(&o));
        assert!(
            std::fs::read(&out.0).unwrap() == sample(),
            "{record}: rebuilt differs"
        );
    }

    // "records" before "schemas": not the exporter's order, the same bytes.
    let key = |k: &str| json.find(&format!("\n\"{k}\":[")).expect(k);
    let (schemas, records, frames) = (key("schemas"), key("records"), key("frames"));
    let reordered = [
        &json[..schemas],
        &json[records..frames],
        &json[schemas..records],
        &json[frames..],
    ]
    .concat();
    let f = TempFile::new("reordered.json", reordered.as_bytes());
    let out = TempFile::new("reordered.koffer", b"");
    let o = koffer(&["import", f.arg(), "-o", out.arg()]);
    assert_eq!(o.status.code(), Some(0), "reordered: {}", stderr(&o));
    assert!(
        std::fs::read(&out.0).unwrap() == sample(),
        "reordered: rebuilt differs"
    );
}

/// The payload of record `i` of the sample.
fn sample_payload(i: usize) -> Vec<u8> {
    let bytes = sample();
    let reader = koffer::read::Reader::new(&bytes).unwrap();
    let record = reader.records().nth(i).unwrap().unwrap();
    record.payload.to_vec()
}

#[test]
fn round_trip_every_readable_vector_is_byte_identical() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("spec/vectors") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let expect: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("vector json")).expect("JSON");
        let outcome = expect["outcome"].as_str().expect("outcome");
        if outcome == "reject" {
            continue;
        }
        let file = path.with_extension("koffer");
        let bytes = std::fs::read(&file).expect("vector");
        let rebuilt = round_trip(file.to_str().expect("UTF-8 path"));
        assert!(
            rebuilt == valid_prefix(&bytes),
            "{}: rebuilt {} bytes, expected {}",
            file.display(),
            rebuilt.len(),
            valid_prefix(&bytes).len()
        );
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} vectors checked");
}

#[test]
fn export_json_document_shape() {
    let o = koffer(&["export", &sample_arg(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(v["koffer_export"], 1);
    assert_eq!(v["format"]["major"], 1);
    assert_eq!(v["metadata"][4]["type"], "time");
    assert_eq!(v["metadata"][4]["value"], "1789976530000");
    assert_eq!(v["schemas"][0]["name"], "sample");
    assert_eq!(
        v["schemas"][0]["layout"]["fields"][0]["name"],
        "timestamp_ms"
    );
    let records = v["records"].as_array().expect("records");
    assert_eq!(records.len(), 10_133);
    assert_eq!(records[0]["type"], "sample");
    assert_eq!(records[0]["record_type"], 0);
    assert_eq!(records[0]["index"], 0);
    assert_eq!(records[10_132]["index"], 10_132);
    assert_eq!(records[0]["value"]["heart_rate"], 51);
    let frames = v["frames"].as_array().expect("frames");
    assert_eq!(frames.len(), 1_208);
    assert_eq!(frames[0]["frame"], "metadata");
    assert_eq!(frames[1]["frame"], "schema");
    assert_eq!(frames[3]["frame"], "block");
    assert_eq!(frames[1_207]["frame"], "end");
}

#[test]
fn export_ndjson_first_lines() {
    let o = koffer(&["export", &sample_arg(), "--format", "ndjson"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stderr.is_empty());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10_133);
    assert_eq!(
        lines[0],
        r#"{"type":"sample","record_type":0,"index":0,"value":{"timestamp_ms":1789344000000,"heart_rate":51,"steps":0,"lat":52.52000721321155,"lon":13.404943663813892,"battery_pct":83,"activity":"Rest","note":null}}"#
    );
    assert_eq!(
        lines[1],
        r#"{"type":"sample","record_type":0,"index":1,"value":{"timestamp_ms":1789344060000,"heart_rate":52,"steps":0,"lat":52.52000440774994,"lon":13.404958695296962,"battery_pct":82,"activity":"Rest","note":null}}"#
    );
    let event = lines
        .iter()
        .find(|l| l.starts_with(r#"{"type":"event""#))
        .expect("an event line");
    let v: serde_json::Value = serde_json::from_str(event).expect("JSON line");
    assert!(v["index"].as_u64().is_some());
    assert!(v["value"]["kind"].is_string());
}

#[test]
fn export_csv_headers() {
    let dir = std::env::temp_dir().join(format!("koffer-cli-test-{}-csv", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = koffer(&[
        "export",
        &sample_arg(),
        "--format",
        "csv",
        "-o",
        dir.to_str().expect("UTF-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sample = std::fs::read_to_string(dir.join("sample.csv")).expect("sample.csv");
    let mut lines = sample.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("timestamp_ms [ms],heart_rate [1/min],steps [{steps}],lat [lat],lon [lon],battery_pct [%],activity,note")
    );
    assert_eq!(
        lines.next(),
        Some("1789344000000,51,0,52.52000721321155,13.404943663813892,83,Rest,")
    );
    assert_eq!(sample.split("\r\n").count(), 10_080 + 2); // header, rows, "" after the last CRLF
    let event = std::fs::read_to_string(dir.join("event.csv")).expect("event.csv");
    assert!(
        event.starts_with("timestamp_ms [ms],kind,detail\r\n"),
        "{event}"
    );
    assert!(
        event.contains(r#","run 6.2 km, 43 min""#),
        "RFC 4180 quoting"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_csv_shows_scaled_integers_as_their_quantity() {
    /// A FIT-style record: integers with scale and offset, a relative time.
    #[derive(serde::Serialize, koffer::Describe)]
    #[koffer(record = "fix", version = 1)]
    struct Fix {
        #[koffer(unit = "s", time = "unix", offset = 1316955621.0)]
        timestamp: u32,
        #[koffer(unit = "m", scale = 0.2, offset = -500.0)]
        altitude: u16,
        #[koffer(unit = "V", scale = 0.00390625)]
        battery: Option<u16>,
        steps: u16,
    }
    let mut buf = [0u8; 256];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let fixes = w.declare_type::<Fix>(0).unwrap();
    let rows = [(1, 2876, Some(1021), 7), (2, 0, None, 8)];
    for (timestamp, altitude, battery, steps) in rows {
        let fix = Fix {
            timestamp,
            altitude,
            battery,
            steps,
        };
        w.write(fixes, &fix).unwrap();
    }
    let f = TempFile::new("scaled.koffer", &w.finish().unwrap());
    let dir = std::env::temp_dir().join(format!("koffer-cli-test-{}-scaled", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = koffer(&[
        "export",
        f.arg(),
        "--format",
        "csv",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.join("fix.csv")).expect("fix.csv");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        csv,
        "timestamp [s],altitude [m],battery [V],steps\r\n\
         1316955622,75.2,3.98828125,7\r\n\
         1316955623,-500,,8\r\n"
    );
}

#[test]
fn export_csv_needs_a_directory() {
    let o = koffer(&["export", &sample_arg(), "--format", "csv"]);
    assert_failure(&o, 2, &sample_arg());
}

#[test]
fn export_truncated_warns_and_exports_the_intact_records() {
    let bytes = sample();
    let cut = bytes.len() / 3;
    let f = TempFile::new("cut.koffer", &bytes[..cut]);
    let intact = koffer::read::Reader::new(&bytes[..cut])
        .unwrap()
        .records()
        .map_while(Result::ok)
        .count();
    assert!(intact > 1000);
    let valid = valid_prefix(&bytes[..cut]).len();

    let o = koffer(&["export", f.arg(), "--format", "ndjson"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), intact);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("warning"), "{err}");
    assert!(err.contains(&format!("at byte {valid}")), "{err}");
    assert!(err.contains("dropped"), "{err}");

    // json re-imports to the valid prefix, without an end frame.
    let rebuilt = round_trip(f.arg());
    assert!(rebuilt == bytes[..valid], "rebuilt prefix differs");
}

#[test]
fn export_strict_refuses_a_truncated_file() {
    let bytes = sample();
    let f = TempFile::new("cut.koffer", &bytes[..bytes.len() - 100]);
    for format in ["json", "ndjson"] {
        let o = koffer(&["export", f.arg(), "--format", format, "--strict"]);
        let err = assert_failure(&o, 3, f.arg());
        assert!(err.contains("incomplete"), "{err}");
        assert!(o.stdout.is_empty(), "nothing exported");
    }
}

#[test]
fn export_corrupt_warns_and_strict_refuses() {
    let mut bytes = sample();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xFF;
    let f = TempFile::new("corrupt.koffer", &bytes);
    let o = koffer(&["export", f.arg(), "--format", "ndjson"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).lines().count() > 1000);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("warning: at byte"), "{err}");
    let o = koffer(&["export", f.arg(), "--format", "ndjson", "--strict"]);
    assert_failure(&o, 1, f.arg());
}

/// A faulty definition between intact blocks (spec §10.1): `verify` names
/// its byte; `export` writes the records before it and no record after it,
/// though the records walk alone would read on to the end.
#[test]
fn a_faulty_description_stops_verify_and_export_at_its_frame() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/vectors/reject-def-amid-records.koffer"
    );
    let f = TempFile::new("faulty-def.koffer", &std::fs::read(path).unwrap());
    let o = koffer(&["verify", f.arg()]);
    let err = assert_failure(&o, 1, f.arg());
    assert!(err.contains("at byte 54"), "{err}");

    let o = koffer(&["export", f.arg(), "--format", "ndjson"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(
        lines.len(),
        1,
        "only the record before the faulty frame: {lines:?}"
    );
    let err = stderr(&o);
    assert!(err.contains("warning: at byte 54"), "{err}");
    assert!(err.contains("dropped"), "{err}");

    // export-json.md §6: the same prefix in the JSON document, and one line
    // naming the error's offset and the bytes dropped (from the faulty frame on).
    let o = koffer(&["export", f.arg(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 1);
    assert_eq!(doc["frames"].as_array().unwrap().len(), 2);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("warning: at byte 54: "), "{err}");
    assert!(err.contains("dropped 41 bytes at bytes 45..86"), "{err}");

    let o = koffer(&["export", f.arg(), "--format", "ndjson", "--strict"]);
    assert_failure(&o, 1, f.arg());
    assert!(o.stdout.is_empty(), "nothing exported");
}

#[test]
fn import_bad_json_is_one_clear_line() {
    let f = TempFile::new(
        "bad.json",
        b"{\"koffer_export\":1,\n\"format\":{\"major\":1,",
    );
    let out = TempFile::new("out.koffer", b"");
    let o = koffer(&["import", f.arg(), "-o", out.arg()]);
    let err = assert_failure(&o, 1, f.arg());
    assert!(err.contains("at JSON byte 39 (line 2)"), "{err}");
    assert!(err.contains("EOF"), "{err}");

    // A value that does not fit its schema: the byte offset of the bad value.
    let o = koffer(&["export", &sample_arg(), "--format", "json"]);
    let json = stdout(&o).replacen("\"heart_rate\":51", "\"heart_rate\":\"x\"", 1);
    let at = json.find("\"heart_rate\":\"x\"").unwrap() + "\"heart_rate\":".len();
    let f = TempFile::new("bad2.json", json.as_bytes());
    let o = koffer(&["import", f.arg(), "-o", out.arg()]);
    let err = assert_failure(&o, 1, f.arg());
    assert!(err.contains(&format!("at JSON byte {at} ")), "{err}");
    assert!(err.contains("expected an integer"), "{err}");

    // A schema frame whose schema is missing.
    let f = TempFile::new("bad3.json", br#"{"koffer_export":1,"format":{"major":1,"minor":0,"required_features":0,"optional_features":0},"metadata":[],"schemas":[],"records":[],"frames":[{"frame":"schema","record_type":0}]}"#);
    let o = koffer(&["import", f.arg(), "-o", out.arg()]);
    let err = assert_failure(&o, 1, f.arg());
    assert!(err.contains("expected a schema of record type 0"), "{err}");
}

/// A container above the progress bar's threshold (8 MiB): with stderr a
/// pipe, as here, no command shows a bar or writes anything else on stderr.
#[test]
fn large_inputs_show_no_progress_on_a_pipe() {
    // Nine ancillary frames of 1 MiB (the largest frame body), via `import`.
    let body = "5a".repeat(1 << 20);
    let frame = format!("{{\"frame\":\"ancillary\",\"kind\":64,\"body\":\"{body}\"}},\n");
    let json = format!(
        "{{\"koffer_export\":1,\n\"format\":{{\"major\":1,\"minor\":0,\"required_features\":0,\"optional_features\":0}},\n\
         \"metadata\":[],\n\"schemas\":[],\n\"records\":[],\n\"frames\":[\n{}{{\"frame\":\"end\"}}\n]}}\n",
        frame.repeat(9)
    );
    let json = TempFile::new("large.json", json.as_bytes());
    let out = TempFile::new("large.koffer", b"");
    let o = koffer(&["import", json.arg(), "-o", out.arg()]);
    assert_eq!(o.status.code(), Some(0), "import: {}", stderr(&o));
    assert!(o.stderr.is_empty(), "import: {}", stderr(&o));
    assert!(std::fs::metadata(&out.0).expect("container").len() > 9 << 20);
    for args in [
        &["verify", out.arg()][..],
        &["inspect", out.arg()],
        &["export", out.arg(), "--format", "ndjson", "--strict"],
        &["export", out.arg(), "--format", "json"],
    ] {
        let o = koffer(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(o.stderr.is_empty(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn verbose_errors_add_detail_after_the_one_line() {
    let mut bytes = sample();
    let (offset, body_offset) = koffer::read::Reader::new(&bytes)
        .unwrap()
        .frames()
        .map(Result::unwrap)
        .find(|f| matches!(f.frame, koffer::read::Frame::Block(_)))
        .map(|f| (f.offset, f.body_offset))
        .unwrap();
    bytes[(body_offset + 1) as usize] ^= 0x10;
    let f = TempFile::new("verbose.koffer", &bytes);
    // Without -v: exactly one line (checked by assert_failure).
    assert_failure(&koffer(&["verify", f.arg()]), 1, f.arg());
    // With -v: the same first line, then the kind, class and bytes at the offset.
    let o = koffer(&["verify", "-v", f.arg()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with(&format!("koffer: {}: at byte {offset}:", f.arg())),
        "{err}"
    );
    assert_eq!(lines[1], "  error kind: FrameChecksum (corrupt)");
    assert!(
        lines[2].starts_with(&format!("  bytes at {offset}: 03 ")),
        "{err}"
    );

    let json = TempFile::new("verbose.json", b"{\"koffer_export\": 1,\n \"format\": [}\n");
    let out = TempFile::new("verbose-out.koffer", b"");
    let o = koffer(&["import", "-v", json.arg(), "-o", out.arg()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].contains("at JSON byte"), "{err}");
    assert_eq!(lines[1], "   \"format\": [}");
    assert!(lines[2].ends_with('^'), "{err}");
}

// ---------------------------------------------------------------- spec tables

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors")
}

/// The class of each error kind and the exit status of each class, as the
/// tables of spec `format.md` §10.4 and `command.md` §2 give them (written
/// here from the text, not taken from the crate).
fn status_of_kind(kind: &str) -> (&'static str, i32) {
    match kind {
        "BadSignature" => ("not_a_container", 4),
        "HeaderTruncated" => ("incomplete", 3),
        "UnsupportedVersion" | "UnknownRequiredFeatures" | "UnknownCriticalFrame" => {
            ("unsupported", 4)
        }
        "PayloadTruncated" | "PayloadTrailingBytes" | "PayloadInvalid" => ("payload", 1),
        _ => ("corrupt", 1),
    }
}

/// `command.md` §2: `verify`'s exit status for every vector is the one the
/// class of its outcome gives — 0 complete, 3 incomplete, and for a reject
/// the status of its error kind's class; the error line names the vector's
/// offset, and `-v` the kind and class.
#[test]
fn verify_status_matches_the_class_table() {
    let mut seen = std::collections::BTreeSet::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() > 90, "{} vectors", paths.len());
    for json in paths {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let input = json.with_extension("koffer");
        let file = input.to_str().unwrap();
        let o = koffer(&["verify", "-v", file]);
        let err = stderr(&o);
        let (class, status) = match v["outcome"].as_str().unwrap() {
            "complete" => ("complete", 0),
            "incomplete" => ("incomplete", 3),
            "reject" => {
                let kind = v["error"].as_str().unwrap();
                let offset = v["offset"].as_u64().unwrap();
                let (class, status) = status_of_kind(kind);
                let first = err.lines().next().unwrap_or_default();
                assert!(
                    first.starts_with(&format!("koffer: {file}: at byte {offset}: ")),
                    "{file}: {err}"
                );
                assert!(
                    err.contains(&format!("  error kind: {kind} ({class})")),
                    "{file}: {err}"
                );
                (class, status)
            }
            other => panic!("{file}: outcome {other}"),
        };
        assert_eq!(o.status.code(), Some(status), "{file} ({class}): {err}");
        seen.insert(class);
    }
    // One vector of each class at least (payload faults are no vector's
    // outcome: see export_record_errors_use_file_offsets).
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [
            "complete",
            "corrupt",
            "incomplete",
            "not_a_container",
            "unsupported"
        ]
    );
}

/// Spec §3.3: a header cut by a power loss (here: erased flash from byte 12)
/// is an incomplete container that holds nothing: every command exits 3
/// (`command.md` §2), with the error line at byte 0.
#[test]
fn header_cut_short_is_3_for_every_command() {
    for name in ["reject-header-truncated", "reject-header-erased"] {
        let path = vectors_dir().join(format!("{name}.koffer"));
        let file = path.to_str().unwrap();
        for args in [
            &["verify", file][..],
            &["inspect", file],
            &["inspect", "--json", file],
            &["export", file, "--format", "json"],
            &["export", file, "--format", "ndjson"],
        ] {
            let o = koffer(args);
            let err = assert_failure(&o, 3, file);
            assert!(err.contains("at byte 0: "), "{args:?}: {err}");
            assert!(err.contains("holds nothing"), "{args:?}: {err}");
            assert!(o.stdout.is_empty(), "{args:?}");
        }
    }
}

/// A container with one record of each payload fault (spec §10.4), each of
/// its own record type, then a good record: (definition, payload).
const FAULTS: [(&[u8], &[u8]); 4] = [
    (&[0x16, 0x02, 0x02, 0x04], &[0x07, 0x80]), // (u8, u32): the u32 cut short
    (&[0x16, 0x02, 0x02, 0x01], &[0x07, 0x02]), // (u8, bool): bool 02
    (&[0x16, 0x02, 0x02, 0x01], &[0x07, 0x01, 0x09]), // (u8, bool) and a byte left over
    (&[0x16, 0x02, 0x02, 0x01], &[0x07, 0x01]), // good
];

fn faulty_records() -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    for (t, (def, payload)) in FAULTS.iter().enumerate() {
        let raw = w.declare(t as u8, &format!("t{t}"), 1, def).unwrap();
        w.write_payload(raw, payload).unwrap();
    }
    w.finish().unwrap()
}

/// Spec `export-json.md` §4 and `format.md` §10.4: a record that does not
/// follow its definition carries `"error"` with the kind and the file offset
/// of §10.4 and the file offset of the value; `--strict` refuses it with
/// the same offset (exit 1, class payload); the JSON document and NDJSON
/// lines hold the same record objects.
#[test]
fn export_record_errors_use_file_offsets() {
    let bytes = faulty_records();
    let reader = koffer::read::Reader::new(&bytes).unwrap();
    let recs: Vec<_> = reader.records().map(Result::unwrap).collect();
    // (kind, §10.4 offset, the value's offset) per faulty record.
    let expected = [
        ("PayloadTruncated", recs[0].offset + 2, recs[0].offset + 1),
        ("PayloadInvalid", recs[1].offset, recs[1].offset + 1),
        (
            "PayloadTrailingBytes",
            recs[2].offset + 2,
            recs[2].offset + 2,
        ),
    ];
    let f = TempFile::new("payload-faults.koffer", &bytes);

    let o = koffer(&["export", f.arg(), "--format", "ndjson"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for (i, (kind, offset, value_offset)) in expected.iter().enumerate() {
        let l = &lines[i];
        assert_eq!(l["type"], format!("t{i}"));
        assert_eq!(l["record_type"], i);
        assert_eq!(l["index"], i);
        assert_eq!(l["error"]["kind"], *kind, "{l}");
        assert_eq!(l["error"]["offset"], *offset, "{l}");
        assert_eq!(l["error"]["value_offset"], *value_offset, "{l}");
        assert!(l["error"]["message"].is_string(), "{l}");
        assert!(l.get("value").is_none(), "{l}");
        assert_eq!(l["payload"], hex_of(FAULTS[i].1));
    }
    assert_eq!(lines[3]["value"], serde_json::json!([7, true]));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "3 records do not follow their schema (the first is record 0, at byte {}: ",
            expected[0].1
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("before it"), "nothing was dropped: {err}");

    // The JSON document's records are the NDJSON lines, object for object.
    let o = koffer(&["export", f.arg(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["records"].as_array().unwrap(), &lines);

    // --strict: the first faulty record, at its §10.4 offset; class payload.
    for format in ["json", "ndjson"] {
        let o = koffer(&["export", f.arg(), "--format", format, "--strict"]);
        let err = assert_failure(&o, status_of_kind("PayloadTruncated").1, f.arg());
        assert!(
            err.contains(&format!(
                "at byte {}: record 0 does not follow its schema: PayloadTruncated: payload ends inside a value (the value at byte {})",
                expected[0].1, expected[0].2
            )),
            "{err}"
        );
        assert!(o.stdout.is_empty());
    }

    // import takes the document back, byte for byte.
    let json = TempFile::new("payload-faults.json", &o_stdout(f.arg()));
    let out = TempFile::new("payload-faults-out.koffer", b"");
    let o = koffer(&["import", json.arg(), "-o", out.arg()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out.0).unwrap(), bytes);
}

fn o_stdout(file: &str) -> Vec<u8> {
    koffer(&["export", file, "--format", "json"]).stdout
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// `inspect --json` writes a float metadata value as its `schema.md` §9 text,
/// as `export` does: one notation rule, NaN and infinities as strings.
#[test]
fn inspect_json_metadata_floats_are_their_schema_text() {
    use koffer::meta::{Entry, Value};
    let mut buf = [0u8; 64];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(&[
        Entry::new("x:big", Value::Float(1e16)),
        Entry::new("x:small", Value::Float(1e-6)),
        Entry::new("x:plain", Value::Float(0.00001)),
        Entry::new("x:nan", Value::Float(f64::NAN)),
        Entry::new("x:inf", Value::Float(f64::NEG_INFINITY)),
    ])
    .unwrap();
    let f = TempFile::new("floats.koffer", &w.finish().unwrap());
    let o = koffer(&["inspect", "--json", f.arg()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for (key, value) in [
        ("x:big", "1e+16"),
        ("x:small", "1e-6"),
        ("x:plain", "0.00001"),
        ("x:nan", "\"NaN\""),
        ("x:inf", "\"-inf\""),
    ] {
        let at = text.find(&format!("\"{key}\"")).expect(key);
        let entry = &text[at..at + text[at..].find('}').unwrap()];
        assert!(
            entry.contains(&format!("\"value\": {value}\n")),
            "{key}: {entry}"
        );
    }
}

/// A fresh directory under the temp directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "koffer-cli-test-{}-dir{n}-{tag}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn join(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("UTF-8").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn export_onto_its_input_is_refused_and_the_input_kept() {
    let bytes = sample();
    let dir = TempDir::new("same");
    let input = dir.join("in.koffer");
    std::fs::write(&input, &bytes).expect("write input");
    // A hard link is the same file under another name.
    let link = dir.join("link.koffer");
    std::fs::hard_link(&input, &link).expect("hard link");
    for format in ["json", "ndjson"] {
        for out in [&input, &link] {
            let o = koffer(&["export", &input, "--format", format, "-o", out]);
            let err = assert_failure(&o, 5, out);
            assert!(err.contains("is the input file"), "{err}");
            assert_eq!(
                std::fs::read(&input).expect("input"),
                bytes,
                "{format} -o {out}"
            );
        }
    }
    // CSV: the input sits where a CSV file would go.
    let csv_dir = TempDir::new("same-csv");
    let in_csv = csv_dir.join("sample.csv");
    std::fs::write(&in_csv, &bytes).expect("write input");
    let o = koffer(&[
        "export",
        &in_csv,
        "--format",
        "csv",
        "-o",
        csv_dir.0.to_str().expect("UTF-8"),
    ]);
    let err = assert_failure(&o, 5, &in_csv);
    assert!(err.contains("is the input file"), "{err}");
    assert_eq!(std::fs::read(&in_csv).expect("input"), bytes);
    assert_eq!(listing(&csv_dir.0), ["sample.csv"], "nothing else written");
}

#[test]
fn import_onto_its_input_is_refused_and_the_input_kept() {
    let dir = TempDir::new("import-same");
    let doc = dir.join("doc.json");
    let o = koffer(&["export", &sample_arg(), "--format", "json", "-o", &doc]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read(&doc).expect("doc");
    let o = koffer(&["import", &doc, "-o", &doc]);
    let err = assert_failure(&o, 5, &doc);
    assert!(err.contains("is the input file"), "{err}");
    assert_eq!(std::fs::read(&doc).expect("doc"), text);
}

#[test]
fn a_failed_export_leaves_the_output_as_it_was() {
    let dir = TempDir::new("keep");
    let out = dir.join("out.json");
    std::fs::write(&out, b"precious").expect("write");
    // The header is unreadable: nothing to export, the old file stays.
    let empty = TempFile::new("empty", b"");
    let o = koffer(&["export", empty.arg(), "--format", "json", "-o", &out]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).expect("out"), b"precious");
    // A failed import too.
    let bad = TempFile::new("bad.json", b"{\"koffer_export\": 1,");
    let o = koffer(&["import", bad.arg(), "-o", &out]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).expect("out"), b"precious");
    // A successful one replaces it and leaves no temporary file behind.
    let o = koffer(&["export", &sample_arg(), "--format", "ndjson", "-o", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read(&out).expect("out").starts_with(b"{"));
    assert_eq!(listing(&dir.0), ["out.json"]);
}

#[test]
fn export_csv_twice_into_one_directory_replaces_its_files() {
    let dir = TempDir::new("csv-twice");
    let d = dir.0.to_str().expect("UTF-8");
    for _ in 0..2 {
        let o = koffer(&["export", &sample_arg(), "--format", "csv", "-o", d]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let names = listing(&dir.0);
    assert!(names.contains(&"sample.csv".to_string()), "{names:?}");
    assert!(
        names.iter().all(|n| n.ends_with(".csv")),
        "no temporary left: {names:?}"
    );
}

/// A fault inside a float metadata value is reported at its own byte of the
/// document, as a fault inside a record value is.
#[test]
fn import_float_metadata_faults_are_at_their_exact_byte() {
    use koffer::meta::{Entry, Value};
    let mut buf = [0u8; 64];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(&[Entry::new("x:f", Value::Float(1.5))]).unwrap();
    let doc = koffer_cli::export_json(&w.finish().unwrap()).unwrap();
    let value = "\"ab\\ud800x\""; // a high surrogate without its low half
    let bad = doc.replacen("1.5", value, 1);
    let start = bad.find(value).unwrap();
    let e = koffer_cli::import_json(&bad).unwrap_err();
    assert_eq!(e.offset, start + 9, "{e:?}");
    assert!(e.message.starts_with("metadata \"x:f\" (float): "), "{e:?}");
    assert!(!e.message.contains("at JSON byte"), "one offset: {e:?}");
    // A value that is no float at all: at its start.
    let bad = doc.replacen("1.5", "[1]", 1);
    let e = koffer_cli::import_json(&bad).unwrap_err();
    assert_eq!(e.offset, bad.find("[1]").unwrap(), "{e:?}");
    assert!(!e.message.contains("at JSON byte"), "one offset: {e:?}");
}
