//! The `reader` variant plus `verify`: every check of the spec, the
//! descriptions too (metadata, schema names and definitions; spec
//! `format.md` §10.1) — what a device needs only if it must judge containers
//! it did not write.
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{fail, keep, measure, report, Reading};
use koffer::read::Reader;

/// The input; footprint.sh subtracts its size from the flash figure.
#[no_mangle]
static FOOTPRINT_INPUT: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/input.koffer")).len()] =
    *include_bytes!(concat!(env!("OUT_DIR"), "/input.koffer"));

fn work() {
    let bytes: &[u8] = black_box(&FOOTPRINT_INPUT);
    let Ok(reader) = Reader::new(bytes) else {
        fail()
    };
    let mut sum = 0u32;
    let mut records = reader.records();
    for r in records.by_ref() {
        let Ok(r) = r else { fail() };
        let Ok(v) = r.decode::<Reading>() else { fail() };
        sum = sum
            .wrapping_add(v.t)
            .wrapping_add(u32::from(v.heart_rate))
            .wrapping_add(u32::from(v.steps))
            .wrapping_add(v.temp as u32);
    }
    let Ok(summary) = records.finish() else { fail() };
    if !summary.is_complete() {
        fail()
    }
    let Ok(verified) = reader.verify() else { fail() };
    if verified != summary {
        fail()
    }
    keep(sum);
}

#[cortex_m_rt::entry]
fn main() -> ! {
    report("verifier", measure(work))
}
