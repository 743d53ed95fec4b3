//! Throughput of koffer against raw postcard on the wearable data set
//! (100,000 samples + 200 events), measured side by side in one run.
//!
//! `cargo bench --bench throughput` — compare each koffer row with the
//! `postcard_raw` row of the same group; `memcpy` is the limit for `verify`.
//! Divan reports per-iteration times; every iteration handles all 100,200
//! records.

#[path = "../tests/data/wearable.rs"]
mod wearable;

use std::hint::black_box;
use std::sync::LazyLock;

use divan::Bencher;
use koffer::read::Reader;
use koffer::write::Writer;
use wearable::{Event, Record, Sample, EVENT, SAMPLE};

fn main() {
    divan::main();
}

static RECORDS: LazyLock<Vec<Record<'static>>> = LazyLock::new(wearable::records);

/// Raw postcard: the records back to back, no framing (the floor).
static RAW: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut out = vec![0u8; RECORDS.len() * 64];
    let n = encode_raw(&RECORDS, &mut out);
    out.truncate(n);
    out
});

/// The koffer container of the same records, from a 4 KiB block buffer.
static CONTAINER: LazyLock<Vec<u8>> = LazyLock::new(|| encode_koffer(&RECORDS, Vec::new()));

fn encode_raw(records: &[Record<'_>], out: &mut [u8]) -> usize {
    let mut pos = 0;
    for r in records {
        let n = match r {
            Record::Sample(s) => postcard::to_slice(s, &mut out[pos..]).unwrap().len(),
            Record::Event(e) => postcard::to_slice(e, &mut out[pos..]).unwrap().len(),
        };
        pos += n;
    }
    pos
}

fn encode_koffer(records: &[Record<'_>], sink: Vec<u8>) -> Vec<u8> {
    let mut buf = [0u8; 4096];
    let mut w = Writer::new(sink, &mut buf).unwrap();
    w.declare(SAMPLE, "sample", 1, &[]).unwrap();
    w.declare(EVENT, "event", 1, &[]).unwrap();
    for r in records {
        match r {
            Record::Sample(s) => w.write(SAMPLE, s).unwrap(),
            Record::Event(e) => w.write(EVENT, e).unwrap(),
        }
    }
    w.finish().unwrap()
}

mod encode {
    use super::*;

    #[divan::bench]
    fn postcard_raw(b: Bencher) {
        let mut out = vec![0u8; RAW.len() + 64];
        b.bench_local(|| encode_raw(black_box(&RECORDS), &mut out));
    }

    #[divan::bench]
    fn koffer_typed_streaming(b: Bencher) {
        b.bench_local(|| {
            let sink = Vec::with_capacity(CONTAINER.len());
            black_box(encode_koffer(black_box(&RECORDS), sink))
        });
    }
}

mod decode {
    use super::*;

    #[divan::bench]
    fn postcard_raw(b: Bencher) {
        // Raw postcard has no framing: the reader must know the type sequence.
        b.bench_local(|| {
            let mut rest: &[u8] = black_box(&RAW);
            let mut hr = 0u64;
            for r in RECORDS.iter() {
                match r {
                    Record::Sample(_) => {
                        let (s, tail) = postcard::take_from_bytes::<Sample>(rest).unwrap();
                        hr += u64::from(s.heart_rate);
                        rest = tail;
                    }
                    Record::Event(_) => {
                        let (e, tail) = postcard::take_from_bytes::<Event>(rest).unwrap();
                        hr += e.kind.len() as u64;
                        rest = tail;
                    }
                }
            }
            hr
        });
    }

    #[divan::bench]
    fn koffer_typed_with_verification(b: Bencher) {
        b.bench_local(|| {
            let reader = Reader::new(black_box(&CONTAINER)).unwrap();
            let mut hr = 0u64;
            for r in reader.records() {
                let r = r.unwrap();
                match r.record_type {
                    SAMPLE => hr += u64::from(r.decode::<Sample>().unwrap().heart_rate),
                    _ => hr += r.decode::<Event>().unwrap().kind.len() as u64,
                }
            }
            hr
        });
    }

    #[divan::bench]
    fn koffer_iterate_without_decoding(b: Bencher) {
        b.bench_local(|| {
            let reader = Reader::new(black_box(&CONTAINER)).unwrap();
            reader
                .records()
                .map(|r| r.unwrap().payload.len())
                .sum::<usize>()
        });
    }
}

mod verify {
    use super::*;

    #[divan::bench]
    fn koffer_verify(b: Bencher) {
        b.bench_local(|| {
            Reader::new(black_box(&CONTAINER))
                .unwrap()
                .verify()
                .unwrap()
        });
    }

    #[divan::bench]
    fn memcpy_same_bytes(b: Bencher) {
        let mut dst = vec![0u8; CONTAINER.len()];
        b.bench_local(|| {
            dst.copy_from_slice(black_box(&CONTAINER));
            black_box(&dst);
        });
    }
}
