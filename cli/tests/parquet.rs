//! `koffer export --format parquet|arrow -o DIR` (spec `command.md`,
//! `arrow.md`): every Parquet and Arrow IPC file read back with the parquet
//! and arrow crates holds, row for row, the values of the NDJSON export —
//! for the sample and for every real-data conversion (`samples/realdata/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use arrow_array::{RecordBatch, StructArray};
use koffer::schema::Definition;

fn koffer(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_koffer"))
        .args(args)
        .output()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("koffer-parquet-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The NDJSON export's `"value"` texts of one record type, in order.
fn ndjson_values(ndjson: &str, type_name: &str) -> Vec<String> {
    let prefix = format!("{{\"type\":{},", serde_json::to_string(type_name).unwrap());
    ndjson
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(|l| {
            let at = l.find(",\"value\":").expect("a value") + ",\"value\":".len();
            l[at..l.len() - 1].to_string()
        })
        .collect()
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let f = std::fs::File::open(path).unwrap();
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn read_ipc(path: &Path) -> Vec<RecordBatch> {
    let f = std::fs::File::open(path).unwrap();
    arrow_ipc::reader::FileReader::try_new(f, None)
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// Exports `file` in both formats and compares every file with NDJSON;
/// returns the number of values compared.
fn same_as_ndjson(file: &Path, name: &str) -> usize {
    let bytes = std::fs::read(file).unwrap();
    let scan = koffer_export::scan(&bytes);
    let out = koffer(&["export", file.to_str().unwrap(), "--format", "ndjson"]);
    assert!(out.status.success());
    let ndjson = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for (format, ext) in [("parquet", "parquet"), ("arrow", "arrow")] {
        let dir = tmp(&format!("{name}-{format}"));
        let out = koffer(&[
            "export",
            file.to_str().unwrap(),
            "--format",
            format,
            "-o",
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for t in koffer_export::csv_types(&bytes) {
            let schema = scan
                .schemas
                .iter()
                .find(|s| s.record_type == t.record_type)
                .unwrap();
            let def = Definition::parse(schema.definition).unwrap();
            let Some(root) = def.root() else { continue };
            let path = dir.join(t.file_name.replace(".csv", &format!(".{ext}")));
            let batches = if ext == "parquet" {
                read_parquet(&path)
            } else {
                read_ipc(&path)
            };
            let want = ndjson_values(&ndjson, &t.name);
            let mut i = 0;
            for b in &batches {
                let rows = StructArray::from(b.clone());
                for row in 0..b.num_rows() {
                    let v = koffer_arrow::from_arrow::value(root, &rows, row).unwrap();
                    let payload = v.to_payload(root).unwrap();
                    let json = koffer::json::to_json(root, &payload).unwrap();
                    assert_eq!(json, want[i], "{name} {} record {i} ({format})", t.name);
                    i += 1;
                }
            }
            assert_eq!(i, want.len(), "{name} {}: rows", t.name);
            n += i;
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    n
}

#[test]
fn parquet_and_arrow_files_hold_the_ndjson_values_of_the_sample() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/wearable.koffer");
    assert!(same_as_ndjson(&sample, "sample") > 1000);
}

#[test]
fn parquet_and_arrow_files_hold_the_ndjson_values_of_real_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/realdata");
    let dir = tmp("realdata");
    let mut files = 0;
    for sub in ["fit", "ulog"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            let p = e.unwrap().path();
            let Some(format) = koffer_convert::Format::of_path(&p) else {
                continue;
            };
            let out = dir.join(format!(
                "{}.koffer",
                p.file_stem().unwrap().to_string_lossy()
            ));
            koffer_convert::convert_file(format, &p, &out).unwrap();
            assert!(same_as_ndjson(&out, &p.file_name().unwrap().to_string_lossy()) > 0);
            files += 1;
        }
    }
    assert!(files >= 4, "{files}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parquet_needs_a_directory_and_refuses_garbage() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/wearable.koffer");
    let out = koffer(&["export", sample.to_str().unwrap(), "--format", "parquet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format parquet needs -o DIR"));
    let dir = tmp("garbage");
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, b"this is not a container at all").unwrap();
    let out = koffer(&[
        "export",
        junk.to_str().unwrap(),
        "--format",
        "parquet",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(4));
    std::fs::remove_dir_all(&dir).unwrap();
}
