//! The wasm-bindgen layer, called natively: what the page's JavaScript gets.

use koffer_viewer::Viewer;

fn sample() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/wearable.koffer"
    ))
    .unwrap()
}

fn opened(bytes: &[u8], chunk: usize) -> (Viewer, serde_json::Value) {
    let mut v = Viewer::new("wearable.koffer", bytes.len() as f64).unwrap();
    for c in bytes.chunks(chunk.max(1)) {
        v.push(c);
    }
    let summary = serde_json::from_str(&v.open()).unwrap();
    (v, summary)
}

#[test]
fn chunks_of_any_size_give_the_same_summary() {
    let bytes = sample();
    let (_, whole) = opened(&bytes, bytes.len());
    for chunk in [1usize << 16, 4093, 7] {
        let (_, s) = opened(&bytes, chunk);
        assert_eq!(s, whole);
    }
    assert_eq!(whole["status"], "complete");
    assert_eq!(whole["records"], 10133);
    assert_eq!(
        whole["record_types"][0]["columns"][1]["header"],
        "heart_rate [1/min]"
    );
    assert_eq!(whole["record_types"][0]["columns"][1]["numeric"], true);
    assert_eq!(whole["record_types"][0]["time_column"], 0);
}

#[test]
fn push_never_goes_beyond_the_announced_size() {
    let bytes = sample();
    let mut v = Viewer::new("x", 100.0).unwrap();
    v.push(&bytes);
    let s: serde_json::Value = serde_json::from_str(&v.open()).unwrap();
    assert_eq!(s["size"], 100);
    assert_eq!(s["status"], "incomplete");
}

#[test]
fn files_above_the_limit_are_refused_before_reading() {
    let max = Viewer::max_file();
    assert_eq!(max, (1u64 << 30) as f64);
    let e = Viewer::new("big", max + 1.0).err().unwrap();
    assert!(e.contains("reads files up to 1073741824 bytes"), "{e}");
    assert!(Viewer::new("neg", -1.0).is_err());
    assert!(Viewer::new("nan", f64::NAN).is_err());
}

#[test]
fn csv_and_json_are_the_commands_bytes() {
    let bytes = sample();
    let (v, _) = opened(&bytes, 1 << 20);
    for t in koffer_export::csv_types(&bytes) {
        let mut want = Vec::new();
        koffer_export::write_csv(&bytes, t.record_type, &mut want).unwrap();
        assert_eq!(v.csv(t.record_type), want);
        assert_eq!(v.csv_file_name(t.record_type), t.file_name);
    }
    let mut want = Vec::new();
    koffer_export::write_json(&bytes, &mut want).unwrap();
    assert_eq!(v.json(), want);
    assert!(v.csv(9).is_empty(), "no schema for type 9");
}

#[test]
fn rows_and_columns_as_the_page_reads_them() {
    let bytes = sample();
    let (v, _) = opened(&bytes, 1 << 20);
    let rows: serde_json::Value = serde_json::from_str(&v.rows(0, 100.0, 3.0)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["index"], 100);
    let hr = v.column(0, 1);
    assert_eq!(hr.len(), 10_080);
    assert_eq!(
        rows[0]["cells"][1]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        hr[100]
    );
    assert!(v.column(5, 0).is_empty());
}

#[test]
fn a_viewer_that_was_not_opened_answers_empty() {
    let v = Viewer::new("x", 10.0).unwrap();
    assert_eq!(v.rows(0, 0.0, 10.0), "[]");
    assert!(v.column(0, 0).is_empty());
    assert!(v.csv(0).is_empty());
    assert!(v.json().is_empty());
}
