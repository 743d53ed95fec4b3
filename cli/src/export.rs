//! `koffer export`: a container's records as JSON, NDJSON or CSV.
//!
//! The outputs themselves are `koffer_export`'s; this module opens the
//! files, shows progress, and prints the warnings and exit statuses.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use clap::ValueEnum;
use koffer_export::{Export, Outcome};

use crate::progress::Progress;
use crate::{display_name, input, status};

/// Output formats of `export`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON document that `koffer import` turns back into the container.
    Json,
    /// One JSON object a line per record.
    Ndjson,
    /// One CSV file per record type, in the directory `-o` names.
    Csv,
}

/// A progress bar over the container's bytes (a no-op unless it is large
/// and stderr is a terminal).
fn progress(bytes: &[u8], what: &'static str) -> Progress {
    Progress::new(bytes.len() as u64, what)
}

/// Where the export goes: stdout (`-` or nothing) or a file.
fn open_output(output: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match output {
        None => Box::new(BufWriter::with_capacity(1 << 16, io::stdout().lock())),
        Some(p) if p.as_os_str() == "-" => {
            Box::new(BufWriter::with_capacity(1 << 16, io::stdout().lock()))
        }
        Some(p) => Box::new(BufWriter::with_capacity(1 << 16, File::create(p)?)),
    })
}

pub fn export(file: &Path, format: ExportFormat, output: Option<&Path>, strict: bool) -> u8 {
    let name = display_name(file);
    if format == ExportFormat::Csv && output.is_none_or(|o| o.as_os_str() == "-") {
        fail!("koffer: {name}: --format csv needs -o DIR: it writes one file per record type");
        return 2;
    }
    let bytes = match input::open(file) {
        Ok(b) => b,
        Err(e) => {
            fail!("koffer: {name}: cannot read: {e}");
            return status::IO;
        }
    };
    let scan = {
        let mut p = progress(&bytes, "checking");
        koffer_export::scan_with_progress(&bytes, &mut |at| p.set(at))
    };
    let Some(ex) = Export::new(&scan) else {
        return match &scan.outcome {
            Err(e) => crate::read_error(&name, e, &bytes),
            Ok(_) => status::CORRUPT,
        };
    };
    if strict {
        if let Some(p) = scan.problem() {
            fail!("koffer: {name}: {} (refused: --strict)", p.message);
            return scan.status().exit_code();
        }
        let mut p = progress(&bytes, "checking records");
        if let Some(b) = ex.first_bad_record(&mut |at| p.set(at)) {
            drop(p);
            fail!(
                "koffer: {name}: at byte {}: record {} does not follow its schema: {}: {} (refused: --strict)",
                b.error.offset,
                b.index,
                b.error.kind.name(),
                b.detail,
            );
            return status::CORRUPT;
        }
    }
    let result = match format {
        ExportFormat::Json => open_output(output).and_then(|mut out| {
            let mut p = progress(&bytes, "exporting");
            let outcome = ex.write_json(&mut out, &mut |at| p.set(at))?;
            out.flush()?;
            Ok(outcome)
        }),
        ExportFormat::Ndjson => open_output(output).and_then(|mut out| {
            let mut p = progress(&bytes, "exporting");
            let outcome = ex.write_ndjson(&mut out, &mut |at| p.set(at))?;
            out.flush()?;
            Ok(outcome)
        }),
        ExportFormat::Csv => csv(&ex, &bytes, output.unwrap_or(Path::new("."))),
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return 0,
        Err(e) => {
            fail!("koffer: {name}: cannot write the export: {e}");
            return status::IO;
        }
    };
    if let Some(w) = outcome.warning_line() {
        fail!("koffer: {name}: warning: {w}");
    }
    0
}

/// One CSV file a record type in `dir`, written in one pass over the records.
fn csv(ex: &Export<'_, '_>, bytes: &[u8], dir: &Path) -> io::Result<Outcome> {
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    for t in ex.csv_types() {
        let path = dir.join(&t.file_name);
        let out = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        files.push((t.record_type, out, path));
    }
    let outcome = {
        let mut sinks: Vec<(u8, &mut dyn Write)> = files
            .iter_mut()
            .map(|(id, out, _)| (*id, out as &mut dyn Write))
            .collect();
        let mut p = progress(bytes, "exporting");
        ex.write_csv(&mut sinks, &mut |at| p.set(at))?
    };
    for (_, out, path) in &mut files {
        out.flush()
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    Ok(outcome)
}

/// The `--format json` document of `bytes`, as `export` writes it (the
/// intact records of a damaged container); `None` if its header is unreadable.
pub fn json_text(bytes: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    koffer_export::write_json(bytes, &mut out).ok()?;
    String::from_utf8(out).ok()
}
