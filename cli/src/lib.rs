//! `koffer`: inspect, verify, export and import koffer containers.
//!
//! ```text
//! koffer inspect FILE [--json]   header, metadata, record types, totals, status
//! koffer verify FILE             exit 0 only if intact and complete
//! koffer export FILE --format json|ndjson|csv|parquet|arrow [-o PATH] [--strict]
//! koffer import FILE.json -o OUT  rebuild the container from `export --format json`
//! koffer view FILE [--no-open]   the browser viewer with the file loaded (a temporary page, no server)
//! ```
//!
//! FILE `-` reads standard input. Exit status:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | intact; for `verify` also complete (`inspect` reports an incomplete container and exits 0) |
//! | 1 | corrupt: damaged or malformed (for `import`: the JSON input) |
//! | 2 | usage error (from the argument parser) |
//! | 3 | `verify`, `export --strict`: incomplete (truncated, torn tail, no end frame); every command: the input ends inside the file header (it holds nothing) |
//! | 4 | not a koffer container, or one this version cannot read |
//! | 5 | the file cannot be read (or the output cannot be written) |
//!
//! Every failure prints one line on stderr:
//! `koffer: FILE: at byte OFFSET: what was wrong and what was expected`.
//!
//! The outputs themselves — the scan and its status words, the `inspect`
//! report (text and `--json`), the JSON, NDJSON and CSV exports — come from
//! the library crate `koffer-export` (`export/`), which the browser viewer
//! uses too: this crate is the layer around it (arguments, files, memory
//! maps, progress bars, exit statuses, stderr lines) plus `import`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use koffer::read::{Class, Completeness, Error, Summary};
use koffer_export::class_name;

/// Prints one line on stderr; a closed stderr is ignored rather than a panic.
macro_rules! fail {
    ($($arg:tt)*) => {{
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, $($arg)*);
    }};
}

mod doc;
mod export;
mod export_arrow;
mod import;
mod input;
mod output;
mod progress;
mod view;

/// Exit statuses.
mod status {
    pub const CORRUPT: u8 = 1;
    pub const INCOMPLETE: u8 = 3;
    pub const NOT_KOFFER: u8 = 4;
    pub const IO: u8 = 5;
}

#[derive(Parser)]
#[command(
    name = "koffer",
    version,
    about = "Inspect, verify, export and import koffer containers"
)]
#[command(
    after_help = "Exit status: 0 ok, 1 corrupt, 2 usage, 3 incomplete (verify, export --strict; \
                        any command when the input ends inside the header), \
                        4 not a koffer container or unsupported, 5 cannot read the file."
)]
struct Cli {
    /// On an error, print details after the one-line message: the error's
    /// kind and class, and the bytes (or JSON text) where it was found.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// Set from `-v`: errors print details after their one line.
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Reports a container error: one line naming the file, the byte offset and
/// what was expected; with `-v`, the error's kind and class and the bytes at
/// the offset. Returns the exit status for it.
fn read_error(name: &str, e: &Error, bytes: &[u8]) -> u8 {
    fail!("koffer: {name}: {e}");
    if verbose() {
        let at = usize::try_from(e.offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let end = at.saturating_add(16).min(bytes.len());
        let hex: Vec<String> = bytes[at..end].iter().map(|b| format!("{b:02x}")).collect();
        fail!(
            "  error kind: {} ({})",
            e.kind.name(),
            class_name(e.kind.class())
        );
        fail!(
            "  bytes at {at}: {}",
            if hex.is_empty() {
                "(end of input)".to_string()
            } else {
                hex.join(" ")
            }
        );
        fail!("  file size: {} bytes", bytes.len());
    }
    error_status(e)
}

/// With `-v`: the line of JSON text around `offset`, with a caret under it.
fn json_detail(text: &[u8], offset: usize) {
    if !verbose() {
        return;
    }
    let at = offset.min(text.len());
    let start = text[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = text[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| at + i);
    // Show at most 60 bytes either side of the offset.
    let from = start.max(at.saturating_sub(60));
    let to = end.min(at + 60);
    let line = String::from_utf8_lossy(&text[from..to]);
    let caret = String::from_utf8_lossy(&text[from..at]).chars().count();
    fail!("  {line}");
    fail!("  {}^", " ".repeat(caret));
}

#[derive(Subcommand)]
enum Command {
    /// Show the header, metadata, record types, totals and status of a container.
    Inspect {
        /// The container; `-` reads standard input.
        file: PathBuf,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check every frame; exit 0 only if the container is intact and complete.
    Verify {
        /// The container; `-` reads standard input.
        file: PathBuf,
    },
    /// Write the records (and, for json, everything needed to rebuild the
    /// container) as JSON, NDJSON or CSV.
    Export {
        /// The container; `-` reads standard input.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// Output file (`-` or absent: standard output); for csv, a directory.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Refuse an incomplete or damaged container instead of exporting its
        /// intact part with a warning.
        #[arg(long)]
        strict: bool,
    },
    /// Open the container in the browser viewer: a copy of the viewer page
    /// with the file inside, written to a private temporary file (no server).
    View {
        /// The container; `-` reads standard input.
        file: PathBuf,
        /// Print the page's path instead of opening it.
        #[arg(long)]
        no_open: bool,
    },
    /// Rebuild a container, byte for byte, from `export --format json`.
    Import {
        /// The JSON export; `-` reads standard input.
        file: PathBuf,
        /// The container to write (`-`: standard output).
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// The `koffer` command: parses the arguments, runs the subcommand, returns
/// its exit status (what `main` does).
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    VERBOSE.store(cli.verbose, std::sync::atomic::Ordering::Relaxed);
    let code = match cli.command {
        Command::Inspect { file, json } => inspect(&file, json),
        Command::Verify { file } => verify(&file),
        Command::Export {
            file,
            format,
            output,
            strict,
        } => export::export(&file, format, output.as_deref(), strict),
        Command::Import { file, output } => import::import(&file, &output),
        Command::View { file, no_open } => view::view(&file, no_open),
    };
    ExitCode::from(code)
}

/// Why [`import_json`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// Byte offset in the JSON text.
    pub offset: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

/// `koffer import` without the files: rebuilds the container from the text of
/// `export --format json` (spec `spec/export-json.md`), or says why not.
pub fn import_json(text: &str) -> Result<Vec<u8>, ImportError> {
    import::rebuild(text).map_err(|f| ImportError {
        offset: f.offset,
        message: f.what,
    })
}

/// `koffer export --format json` without the files: the export document of
/// a container, as `export` writes it (the intact records of a damaged
/// one); `None` if its header is unreadable. The same as
/// `koffer_export::write_json` into a `Vec`.
pub fn export_json(bytes: &[u8]) -> Option<String> {
    export::json_text(bytes)
}

/// The name to show for `path`.
fn display_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads the whole input; on failure prints the error line and returns the exit status.
fn read_input(path: &std::path::Path, name: &str) -> Result<Vec<u8>, u8> {
    let result = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    result.map_err(|e| {
        fail!("koffer: {name}: cannot read: {e}");
        status::IO
    })
}

/// The exit status for a reader error: its class's (spec `command.md` §2).
fn error_status(e: &Error) -> u8 {
    match e.kind.class() {
        Class::NotAContainer | Class::Unsupported => status::NOT_KOFFER,
        Class::Incomplete => status::INCOMPLETE,
        Class::Corrupt | Class::Payload => status::CORRUPT,
    }
}

/// Writes `text` to stdout. A closed pipe (`koffer inspect f | head`) is not an error.
fn emit(text: &str) -> Result<(), u8> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            fail!("koffer: <stdout>: cannot write: {e}");
            Err(status::IO)
        }
    }
}

/// Scans a container with a progress bar on stderr (for large inputs).
fn scan(bytes: &[u8]) -> koffer_export::Scan<'_> {
    let mut progress = progress::Progress::new(bytes.len() as u64, "checking");
    koffer_export::scan_with_progress(bytes, &mut |at| progress.set(at))
}

// ---------------------------------------------------------------- verify

fn verify(path: &std::path::Path) -> u8 {
    let name = display_name(path);
    let bytes = match read_input(path, &name) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let s = scan(&bytes);
    match s.outcome {
        Err(e) => read_error(&name, &e, &bytes),
        Ok(Summary {
            completeness: Completeness::Incomplete { valid_len, tail },
            ..
        }) => {
            fail!(
                "koffer: {name}: at byte {valid_len}: incomplete container: expected an end frame; \
                 valid length {valid_len} of {} bytes, {}",
                bytes.len(),
                koffer_export::tail_text(tail)
            );
            status::INCOMPLETE
        }
        Ok(summary) => {
            let c = summary.counted;
            // The end frame's totals (spec §8): `frames` counts the frames
            // before it, so the end frame makes one more checksum.
            let line = format!(
                "{name}: OK: koffer {}.{}, complete: {} frames before the end frame, {} blocks, {} records; \
                 all {} frame checksums OK\n",
                summary.header.major,
                summary.header.minor,
                c.frames,
                c.blocks,
                c.records,
                s.counts.total
            );
            match emit(&line) {
                Ok(()) => 0,
                Err(code) => code,
            }
        }
    }
}

// ---------------------------------------------------------------- inspect

fn inspect(path: &std::path::Path, json: bool) -> u8 {
    let name = display_name(path);
    let bytes = match read_input(path, &name) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let s = scan(&bytes);
    let Some(report) = koffer_export::report(&s, &name) else {
        return match &s.outcome {
            Err(e) => read_error(&name, e, &bytes),
            Ok(_) => status::CORRUPT,
        };
    };
    let text = if json {
        match report.to_json() {
            Ok(t) => t,
            Err(e) => {
                fail!("koffer: {name}: cannot encode the report as JSON: {e}");
                return status::IO;
            }
        }
    } else {
        report.text()
    };
    if let Err(code) = emit(&text) {
        return code;
    }
    match &s.outcome {
        Err(e) => read_error(&name, e, &bytes),
        Ok(_) => 0,
    }
}
