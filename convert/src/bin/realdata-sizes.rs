//! `realdata-sizes [DIR] [--types]`: converts every `.fit` and `.ulg` file under
//! DIR (default `samples/realdata`) and prints a markdown table of sizes.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use koffer_convert::sizes::{markdown, measure};
use koffer_convert::Format;

fn files(dir: &Path, out: &mut Vec<(PathBuf, Format)>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out)?;
        } else if let Some(f) = Format::of_path(&p) {
            out.push((p, f));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut dir = PathBuf::from("samples/realdata");
    let mut types = false;
    for a in std::env::args().skip(1) {
        if a == "--types" {
            types = true;
        } else {
            dir = PathBuf::from(a);
        }
    }
    let mut list = Vec::new();
    if let Err(e) = files(&dir, &mut list) {
        eprintln!("realdata-sizes: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let mut rows = Vec::new();
    let mut failed = false;
    for (path, format) in &list {
        match measure(path, *format) {
            Ok(r) => rows.push(r),
            Err(e) => {
                eprintln!("realdata-sizes: {}: {e}", path.display());
                failed = true;
            }
        }
    }
    print!("{}", markdown(&rows));
    if types {
        for r in &rows {
            println!("\n{}:", r.file);
            for (name, n, bytes) in &r.per_type {
                println!(
                    "  {name:<28} {n:>7} records {bytes:>9} payload bytes ({:.1}/record)",
                    *bytes as f64 / (*n).max(1) as f64
                );
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
