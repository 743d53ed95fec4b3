//! `koffer export --format parquet|arrow -o DIR`: one Parquet (zstd) or
//! Arrow IPC file a record type (spec `arrow.md`, `command.md`), named as
//! the CSV export names its files, through `koffer_arrow`.

use std::fs::OpenOptions;
use std::io::{self, BufWriter};
use std::path::Path;

use koffer_arrow::{Container, FileFormat, Options};
use koffer_export::{Outcome, Scan};

use crate::export::TempDir;
use crate::output;

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// The files of `scan` in `dir`, written in one pass over the records into
/// a fresh temporary directory inside `dir` and moved into `dir` once all
/// are written (as the CSV export does).
pub fn files(scan: Scan<'_>, parquet: bool, dir: &Path, input: &Path) -> io::Result<Outcome> {
    let c = Container::from_scan(scan).map_err(other)?;
    let format = if parquet {
        FileFormat::Parquet
    } else {
        FileFormat::Ipc
    };
    std::fs::create_dir_all(dir)?;
    for n in koffer_arrow::file_names(&c, format.extension()) {
        let path = dir.join(&n.file_name);
        if input.as_os_str() != "-" && output::same_file(&path, input) {
            return Err(output::is_the_input(&path));
        }
    }
    let temp = TempDir::new(dir)?;
    let (names, outcome) = koffer_arrow::write_files(&c, format, Options::default(), &mut |n| {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp.0.join(&n.file_name))
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{}: {e}", dir.join(&n.file_name).display()),
                )
            })?;
        Ok(BufWriter::with_capacity(1 << 16, file))
    })
    .map_err(|e| match e {
        koffer_arrow::Error::Io(e) => e,
        e => other(e),
    })?;
    for n in &names {
        let to = dir.join(&n.file_name);
        std::fs::rename(temp.0.join(&n.file_name), &to)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", to.display())))?;
    }
    Ok(outcome)
}
