//! Reference: the same records with postcard + CRC-32C (`crc`, Table<1>, as
//! koffer's no_std build) and no container: the floor koffer's writer adds to.
#![no_std]
#![no_main]

use core::hint::black_box;
use firmware_footprint::{fail, keep, measure, report, Reading};

static CASTAGNOLI: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISCSI);

fn work() {
    let mut out = [0u8; 512];
    let mut used = 0;
    for i in 0..black_box(8u32) {
        let r = Reading {
            t: black_box(1000) + i,
            heart_rate: black_box(60) + i as u8,
            steps: black_box(3) * i as u16,
            temp: black_box(2150) - i as i16,
        };
        let Ok(enc) = postcard::to_slice(&r, &mut out[used..]) else {
            fail()
        };
        used += enc.len();
    }
    keep(CASTAGNOLI.checksum(&out[..used]));
    keep(out[black_box(20)]);
}

#[cortex_m_rt::entry]
fn main() -> ! {
    report("postcard-crc", measure(work))
}
