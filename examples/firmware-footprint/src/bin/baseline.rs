//! The empty firmware every delta is taken over.
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{keep, measure, report};

fn work() {
    keep(black_box(0u32));
}

#[cortex_m_rt::entry]
fn main() -> ! {
    report("baseline", measure(work))
}
