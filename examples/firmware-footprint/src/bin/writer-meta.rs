//! The writer variant plus a 3-entry metadata frame (producer model, time
//! base, export time), constant: checked and encoded at compile time by
//! `koffer::metadata!`, written by `Writer::metadata_encoded` (the way the
//! README teaches for constant metadata).
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{fail, keep, measure, report, Reading};
use koffer::meta::{key, Entry, Value};
use koffer::write::{SliceSink, Writer};

fn work() {
    let mut out = [0u8; 512];
    let mut block = [0u8; 256];
    let Ok(mut w) = Writer::new(SliceSink::new(&mut out), &mut block) else {
        fail()
    };
    let meta = koffer::metadata![
        Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
        Entry::new(key::TIME_BASE, Value::Str("boot")),
        Entry::new(key::EXPORT_CREATED, Value::Time(1_789_344_000_000)),
    ];
    if w.metadata_encoded(black_box(meta)).is_err() {
        fail()
    }
    let Ok(readings) = w.declare_type::<Reading>(0) else {
        fail()
    };
    for i in 0..black_box(8u32) {
        let r = Reading {
            t: black_box(1000) + i,
            heart_rate: black_box(60) + i as u8,
            steps: black_box(3) * i as u16,
            temp: black_box(2150) - i as i16,
        };
        if w.write(readings, &r).is_err() {
            fail()
        }
    }
    let Ok(sink) = w.finish() else { fail() };
    keep(sink.len());
    keep(out[black_box(20)]);
}

#[cortex_m_rt::entry]
fn main() -> ! {
    report("writer-meta", measure(work))
}
