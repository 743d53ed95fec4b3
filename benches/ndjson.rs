//! NDJSON export of the sample week (`samples/wearable.koffer`, 10,133
//! records): koffer decoding by the definitions in the file, against a
//! program that knows the record types at compile time and writes the same
//! JSON with serde_json. Same lines, same run; the target is koffer at
//! no less than half the typed program's speed.
//!
//! `cargo bench --features std --bench ndjson`

use std::hint::black_box;
use std::io::Write;
use std::sync::LazyLock;

use divan::Bencher;
use koffer::json::Exporter;
use koffer::read::Reader;
use serde::{Deserialize, Serialize};

fn main() {
    check_same_output();
    divan::main();
}

static SAMPLE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/wearable.koffer"
    ))
    .unwrap()
});

// The device's types, as `examples/wearable.rs` declares them (the typed program knows them).
#[derive(Serialize, Deserialize)]
enum Activity {
    Rest,
    Walk,
    Run,
    Cycle,
}

#[derive(Serialize, Deserialize)]
struct Sample<'a> {
    timestamp_ms: u64,
    heart_rate: u8,
    steps: u16,
    lat: f64,
    lon: f64,
    battery_pct: u8,
    activity: Activity,
    #[serde(borrow)]
    note: Option<&'a str>,
}

#[derive(Serialize, Deserialize)]
struct Event<'a> {
    timestamp_ms: u64,
    kind: &'a str,
    detail: &'a str,
}

#[derive(Serialize)]
struct Line<'a, T> {
    #[serde(rename = "type")]
    ty: &'a str,
    index: u64,
    value: T,
}

/// The typed program: postcard into the Rust types, serde_json out.
fn typed(bytes: &[u8], out: &mut Vec<u8>) {
    let reader = Reader::new(bytes).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        if r.record_type == 0 {
            let value: Sample = r.decode().unwrap();
            serde_json::to_writer(
                &mut *out,
                &Line {
                    ty: "sample",
                    index: r.index,
                    value,
                },
            )
            .unwrap();
        } else {
            let value: Event = r.decode().unwrap();
            serde_json::to_writer(
                &mut *out,
                &Line {
                    ty: "event",
                    index: r.index,
                    value,
                },
            )
            .unwrap();
        }
        out.push(b'\n');
    }
}

/// koffer: nothing but the file — an exporter per record type from its definition.
fn dynamic(bytes: &[u8], out: &mut Vec<u8>) {
    let reader = Reader::new(bytes).unwrap();
    let schemas: Vec<_> = reader.schemas().map(Result::unwrap).collect();
    let mut exporters: Vec<Option<(Exporter, Vec<u8>)>> = (0..256).map(|_| None).collect();
    for s in &schemas {
        let def = s.definition().unwrap();
        let prefix = format!("{{\"type\":{:?},\"index\":", s.name).into_bytes();
        exporters[usize::from(s.record_type)] = Some((Exporter::new(def.root().unwrap()), prefix));
    }
    let mut digits = itoa::Buffer::new();
    for r in reader.records() {
        let r = r.unwrap();
        let (exporter, prefix) = exporters[usize::from(r.record_type)].as_ref().unwrap();
        out.extend_from_slice(prefix);
        out.extend_from_slice(digits.format(r.index).as_bytes());
        out.extend_from_slice(b",\"value\":");
        exporter.append(r.payload, out).unwrap();
        out.extend_from_slice(b"}\n");
    }
}

/// Both programs write the same bytes (checked once, outside the timing).
fn check_same_output() {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    typed(&SAMPLE, &mut a);
    dynamic(&SAMPLE, &mut b);
    assert!(a == b, "typed and dynamic NDJSON differ");
    let _ = std::io::stderr().write_all(
        format!(
            "same {} bytes of NDJSON from both programs, {} lines\n",
            a.len(),
            a.iter().filter(|&&c| c == b'\n').count()
        )
        .as_bytes(),
    );
}

#[divan::bench]
fn typed_serde_json(b: Bencher) {
    let mut out = Vec::with_capacity(4 << 20);
    b.bench_local(|| {
        out.clear();
        typed(black_box(&SAMPLE), &mut out);
        out.len()
    });
}

#[divan::bench]
fn koffer_dynamic_by_definition(b: Bencher) {
    let mut out = Vec::with_capacity(4 << 20);
    b.bench_local(|| {
        out.clear();
        dynamic(black_box(&SAMPLE), &mut out);
        out.len()
    });
}
