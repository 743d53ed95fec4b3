//! Native tests of what the page gets from the WebAssembly module.

use koffer::read::Reader;
use koffer_viewer::model::{quantity, Opened};

fn sample() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/wearable.koffer"
    ))
    .unwrap()
}

/// Records per type by the core crate's own record walk.
fn counts(bytes: &[u8]) -> [u64; 256] {
    let mut n = [0u64; 256];
    if let Ok(r) = Reader::new(bytes) {
        for rec in r.records().map_while(Result::ok) {
            n[usize::from(rec.record_type)] += 1;
        }
    }
    n
}

#[test]
fn sample_summary_has_inspects_totals_and_metadata() {
    let bytes = sample();
    let o = Opened::open(bytes.clone(), "wearable.koffer");
    let s = o.summary();
    assert_eq!(s.status, "complete");
    assert!(s.complete);
    assert_eq!(s.format, "1.0");
    // `koffer inspect samples/wearable.koffer`
    assert_eq!((s.blocks, s.records), (1204, 10133));
    assert_eq!(s.frames.total, 1208);
    assert_eq!(
        (
            s.frames.metadata,
            s.frames.schema,
            s.frames.block,
            s.frames.end
        ),
        (1, 2, 1204, 1)
    );
    let types: Vec<(&str, u64, u64)> = s
        .record_types
        .iter()
        .map(|t| (t.name.as_str(), t.blocks, t.records))
        .collect();
    assert_eq!(types, [("sample", 1151, 10080), ("event", 53, 53)]);
    let n = counts(&bytes);
    assert_eq!((n[0], n[1]), (10080, 53));
    assert_eq!(
        s.producer.as_deref(),
        Some("Acme Wearables Band 3 (firmware 3.4.1)")
    );
    assert_eq!(s.export_time_ms, Some(1_789_976_530_000));
    assert_eq!(s.subject.as_deref(), Some("p-7f3a9c"));
    assert_eq!(s.time_base.as_deref(), Some("unix"));
    assert_eq!(s.dropped, None);
    assert_eq!(s.valid_len, bytes.len() as u64);
}

/// The summary's words and totals are `koffer inspect --json`'s, for the
/// sample and for damaged copies of it.
#[test]
fn summary_agrees_with_inspect_json() {
    let bytes = sample();
    let mut cases = vec![
        bytes.clone(),
        bytes[..bytes.len() - 7].to_vec(),
        bytes[..5000].to_vec(),
    ];
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 1;
    cases.push(flipped);
    for case in cases {
        let o = Opened::open(case.clone(), "f.koffer");
        let s = o.summary();
        let report = koffer_export::inspect_json(&case, "f.koffer").unwrap();
        let inspect: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
        assert_eq!(s.inspect.as_ref(), Some(&inspect));
        assert_eq!(s.status, inspect["status"]);
        assert_eq!(s.records, inspect["records"]);
        assert_eq!(s.blocks, inspect["blocks"]);
        assert_eq!(s.frames.total, inspect["frames"]["total"]);
        for (t, it) in s
            .record_types
            .iter()
            .zip(inspect["record_types"].as_array().unwrap())
        {
            assert_eq!(t.name, it["name"]);
            assert_eq!(t.records, it["records"]);
            assert_eq!(t.blocks, it["blocks"]);
            assert_eq!(t.fingerprint, it["fingerprint"]);
        }
        assert_eq!(
            s.dropped,
            koffer_export::scan(&case).problem().map(|p| p.message)
        );
    }
}

/// The table's cells are the CSV's, row for row.
#[test]
fn table_cells_are_the_csv_rows() {
    let bytes = sample();
    let o = Opened::open(bytes.clone(), "wearable.koffer");
    for t in &o.summary().record_types {
        let mut csv = Vec::new();
        koffer_export::write_csv(&bytes, t.id, &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let mut lines = text.split("\r\n");
        let head: Vec<&str> = t.columns.iter().map(|c| c.column.header.as_str()).collect();
        assert_eq!(lines.next().unwrap(), head.join(","));
        let rows = o.rows(t.id, 0, 10_000);
        assert_eq!(rows.len() as u64, t.records.min(10_000));
        for (row, line) in rows.iter().zip(lines) {
            let cells: Vec<String> = row
                .cells
                .iter()
                .map(|c| {
                    if c.contains([',', '"']) || c.starts_with(' ') || c.ends_with(' ') {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect();
            assert_eq!(cells.join(","), line, "{} row {}", t.name, row.index);
        }
    }
}

#[test]
fn sample_columns_carry_units_descriptions_time_and_track() {
    let o = Opened::open(sample(), "wearable.koffer");
    let t = &o.summary().record_types[0];
    let paths: Vec<&str> = t.columns.iter().map(|c| c.column.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "timestamp_ms",
            "heart_rate",
            "steps",
            "lat",
            "lon",
            "battery_pct",
            "activity",
            "note"
        ]
    );
    let hr = &t.columns[1].column;
    assert_eq!((hr.ty.as_str(), hr.unit.as_deref()), ("u8", Some("1/min")));
    assert_eq!(hr.header, "heart_rate [1/min]");
    assert!(hr.description.as_deref().unwrap().starts_with("Heart rate"));
    assert_eq!(t.time_column, Some(0));
    assert_eq!(t.columns[0].column.time.as_deref(), Some(""));
    assert_eq!(t.track, Some([3, 4]));
    assert!(
        t.columns[6].numeric,
        "a unit-only enum plots as its variant index"
    );
    assert!(!t.columns[7].numeric, "option<string> does not plot");
    let e = &o.summary().record_types[1];
    assert_eq!(e.track, None);
    assert!(!e.columns[1].numeric);
}

#[test]
fn rows_windows_follow_the_record_walk_across_blocks() {
    let bytes = sample();
    let o = Opened::open(bytes.clone(), "wearable.koffer");
    let reader = Reader::new(&bytes).unwrap();
    let offsets: Vec<u64> = reader
        .records()
        .map_while(Result::ok)
        .filter(|r| r.record_type == 0)
        .map(|r| r.offset)
        .collect();
    for (start, count) in [(0u64, 5u64), (7, 20), (9_990, 200), (10_079, 1)] {
        let rows = o.rows(0, start, count);
        let want = count.min(10_080 - start) as usize;
        assert_eq!(rows.len(), want, "window {start}+{count}");
        for (k, r) in rows.iter().enumerate() {
            assert_eq!(r.index, start + k as u64);
            assert_eq!(r.offset, offsets[r.index as usize]);
            assert_eq!(r.cells.len(), 8);
            assert_eq!(r.error, None);
        }
    }
    assert!(o.rows(0, 10_080, 10).is_empty());
    assert!(o.rows(7, 0, 10).is_empty(), "no such type");
    let first = &o.rows(1, 0, 1)[0];
    assert_eq!(first.cells.len(), 3);
    assert!(
        first.cells[1]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_'),
        "{:?}",
        first.cells
    );
}

#[test]
fn column_equals_the_table_cells() {
    let o = Opened::open(sample(), "wearable.koffer");
    for col in [0usize, 1, 2, 3, 4, 5] {
        let values = o.column(0, col);
        assert_eq!(values.len(), 10_080);
        for r in o.rows(0, 4_000, 50) {
            let cell: f64 = r.cells[col].parse().unwrap();
            assert_eq!(
                values[r.index as usize], cell,
                "column {col} row {}",
                r.index
            );
        }
    }
    // The enum as its variant index; the string column has no numbers.
    let act = o.column(0, 6);
    let names = ["Rest", "Walk", "Run", "Cycle"];
    for r in o.rows(0, 0, 100) {
        assert_eq!(names[act[r.index as usize] as usize], r.cells[6]);
    }
    assert!(o.column(0, 7).iter().all(|v| v.is_nan()));
    assert!(o.column(0, 99).is_empty());
}

#[test]
fn scaled_cells_keep_the_raw_value() {
    assert_eq!(quantity(2876.0, Some(0.2), Some(-500.0)), 75.2);
    assert_eq!(quantity(7.0, None, None), 7.0);
    assert_eq!(quantity(3.0, Some(0.5), None), 1.5);
}

#[test]
fn truncated_file_is_incomplete_with_its_intact_part() {
    let bytes = sample();
    let cut = bytes.len() / 2;
    let o = Opened::open(bytes[..cut].to_vec(), "cut.koffer");
    let s = o.summary();
    assert_eq!(s.status, "incomplete");
    assert!(s.valid_len <= cut as u64 && s.valid_len > 0);
    assert_eq!(s.dropped_range, Some([s.valid_len, cut as u64]));
    let inc = &s.inspect.as_ref().unwrap()["incomplete"];
    assert_eq!(inc["valid_len"], s.valid_len);
    let d = s.dropped.as_deref().unwrap();
    assert!(d.contains("incomplete container (no end frame)"), "{d}");
    let n = counts(&bytes[..cut]);
    assert_eq!(s.record_types[0].records, n[0]);
    assert!(n[0] > 1000);
    assert_eq!(o.column(0, 1).len() as u64, n[0]);
}

#[test]
fn flipped_bit_is_corrupt_and_says_what_was_dropped() {
    let mut bytes = sample();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x10;
    let o = Opened::open(bytes.clone(), "wearable.koffer");
    let s = o.summary();
    assert_eq!(s.status, "corrupt");
    let e = s.error.as_ref().unwrap();
    assert!(e.offset <= at as u64);
    assert!(s
        .dropped
        .as_deref()
        .unwrap()
        .contains("everything from the damaged frame on"));
    assert!(s.records > 0 && s.records < 10133);
    assert_eq!(o.rows(0, 0, 3).len(), 3);
}

#[test]
fn not_a_container_and_empty_input_say_so() {
    let o = Opened::open(b"hello, this is text".to_vec(), "x");
    assert_eq!(o.summary().status, "not_a_container");
    assert!(o.summary().record_types.is_empty());
    assert!(o.rows(0, 0, 10).is_empty());
    let o = Opened::open(Vec::new(), "x");
    assert_ne!(o.summary().status, "complete");
    assert!(o.summary().error.is_some());
}

#[test]
fn every_single_byte_corruption_opens_without_panic() {
    let bytes = sample();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut b = bytes.clone();
        let at = (seed as usize) % b.len();
        b[at] = (seed >> 32) as u8;
        let o = Opened::open(b, "x");
        let s = o.summary();
        for t in &s.record_types {
            let _ = o.rows(t.id, 0, 20);
            assert_eq!(o.column(t.id, 1).len() as u64, t.records);
        }
    }
}

mod nested {
    use super::Opened;
    use serde::Serialize;

    #[derive(Serialize, koffer::Describe, Clone, Copy)]
    struct Position {
        /// Latitude.
        #[koffer(unit = "deg")]
        lat: f64,
        /// Longitude.
        #[koffer(unit = "deg")]
        lon: f64,
    }

    #[derive(Serialize, koffer::Describe, Clone, Copy)]
    #[koffer(record = "fix", version = 1)]
    struct Fix {
        #[koffer(unit = "s", time = "unix")]
        t: u32,
        position: Position,
        /// Speed, when known.
        #[koffer(unit = "m/s", scale = 0.01)]
        speed: Option<u16>,
        ok: bool,
    }

    fn container(n: u32) -> Vec<u8> {
        let mut block = [0u8; 512];
        let mut w = koffer::write::Writer::new(Vec::new(), &mut block).unwrap();
        w.declare_type::<Fix>(3).unwrap();
        for i in 0..n {
            let fix = Fix {
                t: 1_800_000_000 + i,
                position: Position {
                    lat: 48.0 + f64::from(i) * 1e-4,
                    lon: 11.0 - f64::from(i) * 1e-4,
                },
                speed: (i % 3 != 0).then_some(i as u16 * 7),
                ok: i % 2 == 0,
            };
            w.write(3, &fix).unwrap();
        }
        w.finish().unwrap()
    }

    /// Nested fields are columns with dotted paths, read from the right
    /// place of every payload; an absent option is NaN and an empty cell.
    #[test]
    fn nested_fields_are_addressable_columns() {
        let o = Opened::open(container(500), "fix.koffer");
        let t = &o.summary().record_types[0];
        assert_eq!(o.summary().status, "complete");
        let paths: Vec<&str> = t.columns.iter().map(|c| c.column.path.as_str()).collect();
        assert_eq!(paths, ["t", "position.lat", "position.lon", "speed", "ok"]);
        assert_eq!(t.columns[1].field_path, [1, 0]);
        assert_eq!(t.columns[2].column.header, "position.lon [deg]");
        assert_eq!(t.track, Some([1, 2]), "found by the last name of the path");
        assert_eq!(t.time_column, Some(0));
        let lon = o.column(3, 2);
        let speed = o.column(3, 3);
        let ok = o.column(3, 4);
        assert_eq!(lon.len(), 500);
        for i in [0usize, 1, 2, 3, 250, 499] {
            assert_eq!(lon[i], 11.0 - i as f64 * 1e-4);
            assert_eq!(ok[i], if i % 2 == 0 { 1.0 } else { 0.0 });
            if i % 3 == 0 {
                assert!(speed[i].is_nan());
            } else {
                assert_eq!(speed[i], (i as f64 * 7.0) / 100.0);
            }
        }
        let rows = o.rows(3, 2, 2);
        assert_eq!(rows[0].cells[3], "0.14", "scaled: 14 × 0.01");
        assert_eq!(rows[0].raw[3], "14");
        assert_eq!(rows[1].cells[3], "", "an absent option");
        assert_eq!(rows[0].cells[4], "true");
    }
}
