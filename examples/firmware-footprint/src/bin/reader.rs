//! koffer's reader over a container in flash (built by build.rs, 8 records),
//! as a device reads back its own export: `Reader::new`, every record
//! decoded as the type the firmware knows, then `finish` for completeness.
//! The structure checks only (spec `format.md` §10.1): the container's
//! descriptions are not used, so not checked (the `verifier` variant checks
//! them).
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
    keep(sum);
}

#[cortex_m_rt::entry]
fn main() -> ! {
    report("reader", measure(work))
}
