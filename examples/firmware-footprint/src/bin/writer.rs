//! koffer's writer: a schema declared, a few records, the end frame, into a
//! 512-byte `SliceSink` from a 256-byte block buffer (both on the stack).
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{fail, keep, measure, report, Reading};
use koffer::write::{SliceSink, Writer};

fn work() {
    let mut out = [0u8; 512];
    let mut block = [0u8; 256];
    let Ok(mut w) = Writer::new(SliceSink::new(&mut out), &mut block) else {
        fail()
    };
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
    report("writer", measure(work))
}
