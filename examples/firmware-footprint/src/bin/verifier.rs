//! The `reader` variant plus `verify`: every check of the spec, the
//! descriptions too (metadata, schema names and definitions; spec
//! `format.md` §10.1) — what a device needs only if it must judge containers
//! it did not write.
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{fail, measure, read_back, report};

/// The input; footprint.sh subtracts its size from the flash figure.
#[no_mangle]
static FOOTPRINT_INPUT: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/input.koffer")).len()] =
    *include_bytes!(concat!(env!("OUT_DIR"), "/input.koffer"));

fn work() {
    let (reader, summary) = read_back(black_box(&FOOTPRINT_INPUT));
    let Ok(verified) = reader.verify() else {
        fail()
    };
    if verified != summary {
        fail()
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    report("verifier", measure(work))
}
