//! The writer-seal variant with a hardware signer: koffer's `Signer` trait
//! handing the seal's to-be-signed bytes to a secure element that holds the
//! key and returns the 64-byte signature — no Ed25519 code on the
//! microcontroller. What a device with a secure element pays for sealing:
//! the KEY frame, the running SHA-256, the Merkle root and the SEAL frames.
//! The element's driver (I2C/SPI transfer) is the device's own and is not
//! counted: here the bytes go through `black_box`, and the signature that
//! comes back is a fixed stand-in.
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{fail, keep, measure, report, Reading};
use koffer::seal::{Algorithm, Digest, KeyFrame, SealingWriter, Signer};
use koffer::write::SliceSink;

/// The element's public key, read from it once (here RFC 8032 §7.1 TEST 1's
/// published public key).
const ELEMENT_PUBLIC_KEY: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

/// koffer's `Signer` over a secure element (EdDSA: the element is handed the
/// 116 to-be-signed bytes; an ES256 element would be handed their SHA-256).
struct SecureElement;

impl Signer for SecureElement {
    type Error = ();
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
    fn sign(&mut self, tbs: &[u8], signature: &mut [u8; 64]) -> Result<(), ()> {
        black_box(tbs); // the transfer to the element
        *signature = black_box([0x5A; 64]); // and its answer
        Ok(())
    }
}

fn work() {
    let mut out = [0u8; 1024];
    let mut block = [0u8; 256];
    let mut digest = Digest::new();
    let public = black_box(ELEMENT_PUBLIC_KEY);
    let key = KeyFrame::new(Algorithm::EdDSA, &public, black_box(1));
    let Ok(mut w) = SealingWriter::new(
        SliceSink::new(&mut out),
        &mut block,
        &mut digest,
        SecureElement,
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
    report("writer-seal-hw", measure(work))
}
