//! `koffer export`: a container's records as JSON, NDJSON or CSV.
//!
//! The outputs themselves are `koffer_export`'s; this module opens the
//! files, shows progress, and prints the warnings and exit statuses.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use clap::ValueEnum;
use koffer_export::{Export, Outcome};

use crate::output::{self, Output};
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
    /// One Parquet file (zstd) per record type, in the directory `-o` names.
    Parquet,
    /// One Arrow IPC file per record type, in the directory `-o` names.
    Arrow,
}

impl ExportFormat {
    /// Whether it writes a directory of files, one a record type.
    fn is_dir(self) -> bool {
        matches!(
            self,
            ExportFormat::Csv | ExportFormat::Parquet | ExportFormat::Arrow
        )
    }
}

/// A progress bar over the container's bytes (a no-op unless it is large
/// and stderr is a terminal).
fn progress(bytes: &[u8], what: &'static str) -> Progress {
    Progress::new(bytes.len() as u64, what)
}

/// Writes the export to stdout (`-` or nothing) or to a file, through
/// [`Output`]: a file is put in place only once it is complete.
fn write_to(
    output: Option<&Path>,
    input: &Path,
    body: impl FnOnce(&mut dyn Write) -> io::Result<Outcome>,
) -> io::Result<Outcome> {
    match output {
        Some(p) if p.as_os_str() != "-" => {
            let mut out = BufWriter::with_capacity(1 << 16, Output::create(p, input)?);
            let outcome = body(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.commit()?;
            Ok(outcome)
        }
        _ => {
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            let outcome = body(&mut out)?;
            out.flush()?;
            Ok(outcome)
        }
    }
}

pub fn export(file: &Path, format: ExportFormat, output: Option<&Path>, strict: bool) -> u8 {
    let name = display_name(file);
    if format.is_dir() && output.is_none_or(|o| o.as_os_str() == "-") {
        let f = format
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        fail!("koffer: {name}: --format {f} needs -o DIR: it writes one file per record type");
        return 2;
    }
    if let Some(out) = output.filter(|o| !format.is_dir() && o.as_os_str() != "-") {
        if file.as_os_str() != "-" && output::same_file(out, file) {
            fail!("koffer: {}: is the input file: refusing to overwrite it (write the export to another file)", display_name(out));
            return status::IO;
        }
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
        ExportFormat::Json => write_to(output, file, |out| {
            let mut p = progress(&bytes, "exporting");
            ex.write_json(out, &mut |at| p.set(at))
        }),
        ExportFormat::Ndjson => write_to(output, file, |out| {
            let mut p = progress(&bytes, "exporting");
            ex.write_ndjson(out, &mut |at| p.set(at))
        }),
        ExportFormat::Csv => csv(&ex, &bytes, output.unwrap_or(Path::new(".")), file),
        ExportFormat::Parquet | ExportFormat::Arrow => crate::export_arrow::files(
            scan,
            format == ExportFormat::Parquet,
            output.unwrap_or(Path::new(".")),
            file,
        ),
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

/// A directory of files being written, removed (with what is left in it)
/// when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(parent: &Path) -> io::Result<TempDir> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!(".koffer-csv-tmp-{}-{n}", std::process::id()));
        std::fs::create_dir(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One CSV file a record type in `dir`, written in one pass over the records.
///
/// The files are created (never opened over an existing file) in a fresh
/// temporary directory inside `dir`, so two record types can never share a
/// file, and moved into `dir` only once all are written: a failure leaves
/// the files already in `dir` as they were. A file that would replace the
/// input is refused before anything is written.
fn csv(ex: &Export<'_, '_>, bytes: &[u8], dir: &Path, input: &Path) -> io::Result<Outcome> {
    std::fs::create_dir_all(dir)?;
    let types = ex.csv_types();
    for t in &types {
        let path = dir.join(&t.file_name);
        if input.as_os_str() != "-" && output::same_file(&path, input) {
            return Err(output::is_the_input(&path));
        }
    }
    let temp = TempDir::new(dir)?;
    let mut files = Vec::new();
    for t in &types {
        let path = temp.0.join(&t.file_name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{}: {e}", dir.join(&t.file_name).display()),
                )
            })?;
        files.push((
            t.record_type,
            BufWriter::with_capacity(1 << 16, file),
            &t.file_name,
        ));
    }
    let outcome = {
        let mut sinks: Vec<(u8, &mut dyn Write)> = files
            .iter_mut()
            .map(|(id, out, _)| (*id, out as &mut dyn Write))
            .collect();
        let mut p = progress(bytes, "exporting");
        ex.write_csv(&mut sinks, &mut |at| p.set(at))?
    };
    for (_, out, name) in &mut files {
        out.flush()
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.join(name).display())))?;
    }
    drop(files);
    for t in &types {
        let to = dir.join(&t.file_name);
        std::fs::rename(temp.0.join(&t.file_name), &to)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", to.display())))?;
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
