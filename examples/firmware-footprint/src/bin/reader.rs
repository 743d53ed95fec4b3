//! koffer's reader over a container in flash (built by build.rs, 8 records),
//! as a device reads back its own export: `read_back` (`Reader::new`, every
//! record decoded as the type the firmware knows, `Records::finish` for
//! completeness). The structure checks only (spec `format.md` §10.1): the
//! container's descriptions are not used, so not checked (the `verifier`
//! variant checks them).
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{measure, read_back, report};

/// The input; footprint.sh subtracts its size from the flash figure.
#[no_mangle]
static FOOTPRINT_INPUT: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/input.koffer")).len()] =
    *include_bytes!(concat!(env!("OUT_DIR"), "/input.koffer"));

fn work() {
    read_back(black_box(&FOOTPRINT_INPUT));
}

#[cortex_m_rt::entry]
fn main() -> ! {
    report("reader", measure(work))
}
