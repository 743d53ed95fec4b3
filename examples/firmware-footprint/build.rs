//! Puts memory.x on the link path and writes the reader variant's input: a
//! container of 8 `Reading`s (written by koffer on the host).
use std::{env, fs, path::PathBuf};

#[path = "src/record.rs"]
#[allow(dead_code)]
mod record;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=src/record.rs");

    let mut buf = [0u8; 1024];
    let mut block = [0u8; 256];
    let mut w =
        koffer::write::Writer::new(koffer::write::SliceSink::new(&mut buf), &mut block).unwrap();
    let readings = w.declare_type::<record::Reading>(0).unwrap();
    for i in 0..8u32 {
        let r = record::Reading {
            t: 1000 + i,
            heart_rate: 60 + i as u8,
            steps: 3 * i as u16,
            temp: 2150 - i as i16,
        };
        w.write(readings, &r).unwrap();
    }
    let n = w.finish().unwrap().len();
    fs::write(out.join("input.koffer"), &buf[..n]).unwrap();
}
