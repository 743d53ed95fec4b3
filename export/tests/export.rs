//! `koffer-export` on the sample, on damaged copies of it, on spec vectors,
//! and on arbitrary cuts and bit flips.

use koffer_export::{
    columns, csv_types, inspect_json, scan, write_csv, write_json, write_ndjson, Export, Status,
};

fn sample() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/wearable.koffer"
    ))
    .unwrap()
}

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../spec/vectors/{name}.koffer",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn flipped(bytes: &[u8], at: usize, bit: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= 1 << bit;
    b
}

#[test]
fn status_words_are_the_commands() {
    let words = [
        (Status::Complete, "complete", 0),
        (Status::Incomplete, "incomplete", 3),
        (Status::Corrupt, "corrupt", 1),
        (Status::Unsupported, "unsupported", 4),
        (Status::NotAContainer, "not_a_container", 4),
    ];
    for (s, w, code) in words {
        assert_eq!(s.word(), w);
        assert_eq!(s.exit_code(), code);
    }
}

#[test]
fn scan_of_the_sample_is_complete_with_the_inspect_totals() {
    let bytes = sample();
    let s = scan(&bytes);
    assert_eq!(s.status(), Status::Complete);
    assert!(s.problem().is_none());
    assert_eq!(s.valid_len(), bytes.len() as u64);
    let summary = s.outcome.as_ref().unwrap();
    assert_eq!(s.total_records(), summary.counted.records);
    assert_eq!(s.total_blocks(), summary.counted.blocks);
    let report = inspect_json(&bytes, "wearable.koffer").unwrap();
    assert_eq!(report.status, "complete");
    assert_eq!(report.records, s.total_records());
    assert_eq!(report.blocks, s.total_blocks());
    for t in &report.record_types {
        assert_eq!(t.records, s.records[usize::from(t.id)]);
    }
    // The JSON is what serde_json writes pretty, with a newline.
    let text = report.to_json().unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["records"], s.total_records());
    assert!(text.ends_with("}\n"));
}

#[test]
fn a_cut_sample_is_incomplete_and_says_what_was_dropped() {
    let bytes = sample();
    let cut = &bytes[..bytes.len() * 2 / 3];
    let s = scan(cut);
    assert_eq!(s.status(), Status::Incomplete);
    let p = s.problem().unwrap();
    assert_eq!((p.kind, p.class), ("incomplete", "incomplete"));
    assert_eq!(p.dropped, s.valid_len()..cut.len() as u64);
    assert!(p.dropped.start < p.dropped.end);
    assert_eq!(
        p.message,
        format!(
            "at byte {v}: incomplete container (no end frame): dropped {} bytes of a torn (cut short) frame at bytes {v}..{}",
            cut.len() as u64 - p.dropped.start,
            cut.len(),
            v = p.dropped.start
        )
    );
    let report = inspect_json(cut, "cut").unwrap();
    assert_eq!(report.status, "incomplete");
    assert_eq!(report.incomplete.as_ref().unwrap().valid_len, s.valid_len());
    // Every record of the valid prefix is exported; the outcome says what was dropped.
    let mut out = Vec::new();
    let o = write_ndjson(cut, &mut out).unwrap();
    assert_eq!(o.problem, Some(p));
    assert!(o
        .warning_line()
        .unwrap()
        .ends_with("every intact record before it was exported"));
    assert_eq!(
        out.iter().filter(|&&b| b == b'\n').count() as u64,
        s.total_records()
    );
}

#[test]
fn a_flipped_bit_is_corrupt_from_its_frame_on() {
    let bytes = sample();
    let bad = flipped(&bytes, bytes.len() / 2, 4);
    let s = scan(&bad);
    assert_eq!(s.status(), Status::Corrupt);
    let p = s.problem().unwrap();
    assert_eq!(p.class, "corrupt");
    let e = p.error.unwrap();
    assert_eq!(p.kind, e.kind.name());
    assert_eq!(p.offset, e.offset);
    assert!(
        p.message.starts_with(&format!("at byte {}: ", e.offset)),
        "{}",
        p.message
    );
    assert!(p.message.contains("everything from the damaged frame on"));
    assert_eq!(p.dropped, s.valid_len()..bad.len() as u64);
    assert!(s.valid_len() <= bytes.len() as u64 / 2 + 1);
    let report = inspect_json(&bad, "bad").unwrap();
    assert_eq!(report.status, "corrupt");
    assert_eq!(report.error.as_ref().unwrap().kind, p.kind);
    assert!(!report.checksums.all_ok);
}

#[test]
fn not_a_container_and_unsupported() {
    for (bytes, status) in [
        (b"hello, world".to_vec(), Status::NotAContainer),
        (vector("reject-not-a-container"), Status::NotAContainer),
        (vector("reject-major-version"), Status::Unsupported),
        (vector("reject-required-feature"), Status::Unsupported),
        (vector("reject-header-truncated"), Status::Incomplete),
    ] {
        let s = scan(&bytes);
        assert_eq!(s.status(), status);
        assert!(s.header.is_none() && s.checked.is_none());
        assert_eq!(s.valid_len(), 0);
        assert!(inspect_json(&bytes, "x").is_err());
        let e = write_json(&bytes, &mut Vec::new()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(csv_types(&bytes).is_empty());
        assert!(Export::new(&s).is_none());
    }
}

#[test]
fn json_and_ndjson_hold_the_same_record_objects() {
    let bytes = sample();
    let mut json = Vec::new();
    let o = write_json(&bytes, &mut json).unwrap();
    assert_eq!((o.problem, o.bad_records, o.warning), (None, 0, None));
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let mut nd = Vec::new();
    write_ndjson(&bytes, &mut nd).unwrap();
    let lines: Vec<serde_json::Value> = nd
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(doc["records"].as_array().unwrap(), &lines);
    assert_eq!(lines.len() as u64, scan(&bytes).total_records());
}

#[test]
fn records_that_break_their_schema_are_counted() {
    let bytes = vector("valid-payload-errors");
    let s = scan(&bytes);
    assert_eq!(s.status(), Status::Complete);
    let ex = Export::new(&s).unwrap();
    let first = ex.first_bad_record(&mut |_| {}).unwrap();
    let mut out = Vec::new();
    let o = ex.write_json(&mut out, &mut |_| {}).unwrap();
    assert!(o.bad_records >= 1);
    assert_eq!(o.first_bad_record, Some((first.index, first.error)));
    assert!(o
        .warning
        .unwrap()
        .contains("\"payload\" hex with an \"error\""));
    let t = &ex.csv_types()[0];
    let mut csv = Vec::new();
    let o = write_csv(&bytes, t.record_type, &mut csv).unwrap();
    assert!(o.warning.unwrap().ends_with("their rows are left out"));
    let rows = csv.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64;
    assert_eq!(
        rows,
        1 + s.records[usize::from(t.record_type)] - o.bad_records
    );
}

#[test]
fn csv_of_each_type_has_the_columns_header_and_a_row_a_record() {
    let bytes = sample();
    let s = scan(&bytes);
    let types = csv_types(&bytes);
    assert_eq!(types.len(), s.schemas.len());
    for t in &types {
        assert_eq!(t.file_name, format!("{}.csv", t.name));
        let schema = s
            .schemas
            .iter()
            .find(|x| x.record_type == t.record_type)
            .unwrap();
        let cols = columns(schema);
        let mut out = Vec::new();
        let o = write_csv(&bytes, t.record_type, &mut out).unwrap();
        assert_eq!(o.bad_records, 0);
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.split("\r\n");
        let head: Vec<&str> = cols.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(lines.next().unwrap(), head.join(","));
        assert_eq!(
            lines.filter(|l| !l.is_empty()).count() as u64,
            s.records[usize::from(t.record_type)]
        );
    }
    assert_eq!(
        write_csv(&bytes, 200, &mut Vec::new()).unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
}

#[test]
fn one_pass_over_several_sinks_writes_what_each_type_alone_writes() {
    let bytes = sample();
    let s = scan(&bytes);
    let ex = Export::new(&s).unwrap();
    let types = ex.csv_types();
    let mut bufs: Vec<Vec<u8>> = types.iter().map(|_| Vec::new()).collect();
    {
        let mut sinks: Vec<(u8, &mut dyn std::io::Write)> = types
            .iter()
            .zip(bufs.iter_mut())
            .map(|(t, b)| (t.record_type, b as &mut dyn std::io::Write))
            .collect();
        ex.write_csv(&mut sinks, &mut |_| {}).unwrap();
    }
    for (t, b) in types.iter().zip(&bufs) {
        let mut alone = Vec::new();
        write_csv(&bytes, t.record_type, &mut alone).unwrap();
        assert_eq!(&alone, b, "{}", t.name);
    }
}

#[test]
fn columns_name_the_time_field_units_and_cells_agree_with_csv() {
    let bytes = sample();
    let s = scan(&bytes);
    let sample_type = s.schemas.iter().find(|x| x.name == "sample").unwrap();
    let cols = columns(sample_type);
    let time: Vec<&str> = cols
        .iter()
        .filter(|c| c.is_time())
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(time, ["timestamp_ms"]);
    let ts = &cols[0];
    assert_eq!(
        (ts.unit.as_deref(), ts.ty.as_str(), ts.header.as_str()),
        (Some("ms"), "u64", "timestamp_ms [ms]")
    );
    assert!(cols
        .iter()
        .any(|c| c.path == "heart_rate" && c.unit.as_deref() == Some("1/min")));
    // The first row of the CSV is the cells of the first record.
    let root = koffer::schema::Definition::parse(sample_type.definition)
        .unwrap()
        .root()
        .unwrap();
    let rec = s
        .checked
        .unwrap()
        .records()
        .map(Result::unwrap)
        .find(|r| r.record_type == sample_type.record_type)
        .unwrap();
    let mut row = Vec::new();
    koffer_export::cells(root, rec.payload, &mut row).unwrap();
    assert_eq!(row.len(), cols.len());
    let mut csv = Vec::new();
    write_csv(&bytes, sample_type.record_type, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.split("\r\n").nth(1).unwrap(), row.join(","));
}

#[test]
fn progress_reaches_the_records() {
    let bytes = sample();
    let mut frames = Vec::new();
    let s = koffer_export::scan_with_progress(&bytes, &mut |at| frames.push(at));
    assert_eq!(frames.len() as u64, s.counts.total);
    assert!(frames.windows(2).all(|w| w[0] < w[1]));
    let ex = Export::new(&s).unwrap();
    let mut n = 0u64;
    ex.write_ndjson(&mut std::io::sink(), &mut |_| n += 1)
        .unwrap();
    assert_eq!(n, s.total_records());
}

/// Every function on cuts and bit flips of a container: no panic, and the
/// outputs agree with the scan.
fn exercise(bytes: &[u8]) {
    let s = scan(bytes);
    let report = inspect_json(bytes, "f");
    assert_eq!(report.is_ok(), s.header.is_some());
    if let Ok(r) = &report {
        let word = match &s.outcome {
            Ok(_) => s.status().word(),
            Err(e) => koffer_export::class_name(e.kind.class()),
        };
        assert_eq!(r.status, word);
        assert_eq!(r.records, s.total_records());
        r.to_json().unwrap();
        r.text();
    }
    let mut json = Vec::new();
    if let Ok(o) = write_json(bytes, &mut json) {
        assert_eq!(o.problem, s.problem());
        serde_json::from_slice::<serde_json::Value>(&json).unwrap();
    }
    write_ndjson(bytes, &mut std::io::sink()).ok();
    for t in csv_types(bytes) {
        write_csv(bytes, t.record_type, &mut std::io::sink()).unwrap();
    }
    for schema in &s.schemas {
        columns(schema);
    }
}

#[test]
fn never_panics_on_cuts_and_bit_flips() {
    let bytes = vector("valid-wearable-described");
    for len in (0..=bytes.len()).step_by(7).chain([bytes.len()]) {
        exercise(&bytes[..len]);
    }
    for at in (0..bytes.len()).step_by(5) {
        exercise(&flipped(&bytes, at, (at % 8) as u8));
    }
    let big = sample();
    for len in (0..=big.len()).step_by(big.len() / 40) {
        exercise(&big[..len]);
    }
    for at in (0..big.len()).step_by(big.len() / 40) {
        exercise(&flipped(&big, at, 0));
    }
}

/// A container declaring `names` as record types 0, 1, 2, … (no fields).
fn with_types(names: &[&str]) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    for (id, name) in names.iter().enumerate() {
        w.declare(id as u8, name, 1, &[]).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn csv_file_names_are_unique_ignoring_case() {
    let cases: [(&[&str], &[&str]); 4] = [
        (&["a", "a-2", "a"], &["a.csv", "a-2.csv", "a-2-2.csv"]),
        (&["a", "a", "a-1"], &["a.csv", "a-1.csv", "a-1-2.csv"]),
        (&["Hr", "hR", "HR"], &["Hr.csv", "hR-1.csv", "HR-2.csv"]),
        (
            &["a b", "a_b", "a?b"],
            &["a_b.csv", "a_b-1.csv", "a_b-2.csv"],
        ),
    ];
    for (names, files) in cases {
        let bytes = with_types(names);
        let got: Vec<String> = csv_types(&bytes).into_iter().map(|t| t.file_name).collect();
        assert_eq!(got, files, "{names:?}");
        let mut lower: Vec<String> = got.iter().map(|f| f.to_ascii_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), got.len(), "{names:?}");
    }
}

#[test]
fn a_torn_frame_on_erased_flash_says_which_bytes_are_the_frame_and_which_the_fill() {
    let bytes = sample();
    let mut image = bytes[..bytes.len() / 2].to_vec();
    let torn_end = image.len() as u64;
    image.extend(std::iter::repeat_n(0xFF, 4096));
    let s = scan(&image);
    assert_eq!(s.status(), Status::Incomplete);
    let p = s.problem().unwrap();
    let v = s.valid_len();
    assert!(v < torn_end);
    assert_eq!(
        p.message,
        format!(
            "at byte {v}: incomplete container (no end frame): dropped {} bytes: a torn (cut short) \
             frame at bytes {v}..{torn_end}, then 4096 bytes of unwritten storage (all 0xFF) at bytes {torn_end}..{}",
            image.len() as u64 - v,
            image.len()
        )
    );
    let report = inspect_json(&image, "image").unwrap();
    assert_eq!(
        report.incomplete.as_ref().unwrap().text,
        koffer_export::tail_text_in(
            &image,
            v,
            koffer::read::Tail::Torn {
                len: image.len() as u64 - v
            }
        )
    );
}
