//! koffer's sealing writer with its software Ed25519 signer (`seal::Ed25519`,
//! ed25519-compact): the KEY frame,
//! a schema declared, a few records, a SEAL frame after every block and the
//! final one, the end frame, into a 1 KiB `SliceSink` from a 256-byte block
//! buffer (all on the stack). The seed is a fixed test seed (a demo key).
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{fail, keep, measure, report, Reading};
use koffer::seal::{Algorithm, Digest, Ed25519, KeyFrame, SealingWriter};
use koffer::write::SliceSink;

/// A demo key: RFC 8032 §7.1 TEST 1's published seed, never a real key.
const DEMO_SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];

fn work() {
    let mut out = [0u8; 1024];
    let mut block = [0u8; 256];
    let mut digest = Digest::new();
    let signer = Ed25519::from_seed(black_box(DEMO_SEED));
    let public = signer.public_key();
    let key = KeyFrame::new(Algorithm::EdDSA, &public, black_box(1));
    let Ok(mut w) = SealingWriter::new(
        SliceSink::new(&mut out),
        &mut block,
        &mut digest,
        signer,
        &key,
    ) else {
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
    report("writer-seal", measure(work))
}
