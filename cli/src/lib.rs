//! `koffer`: inspect, verify, export and import koffer containers.
//!
//! ```text
//! koffer inspect FILE [--json]   header, metadata, record types, totals, status
//! koffer verify FILE             exit 0 only if intact and complete
//! koffer export FILE --format json|ndjson|csv|parquet|arrow [-o PATH] [--strict]
//! koffer import FILE.json -o OUT  rebuild the container from `export --format json`
//! koffer view FILE [--no-open]   the browser viewer with the file loaded (a temporary page, no server)
//! koffer keygen -o NAME          an Ed25519 key pair for sealing: NAME.key, NAME.pub
//! koffer seal FILE -o OUT --key NAME.key [--every N]   seal a container
//! koffer verify FILE --key NAME.pub | --trust DIR       exit 0 only if complete and authentic
//! koffer verify --series A B C [--key ...]              successive exports join
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
//! | 6 | `verify --key`/`--trust`/`--series`: not authentic (forged, wrong key, seals missing or malformed), or the exports do not join |
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
mod ledger;
mod output;
mod progress;
mod share;
mod view;

// Seals (spec seal.md): keygen, seal, verify --key/--trust/--series.
mod keygen;
mod seal;

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
                        4 not a koffer container or unsupported, 5 cannot read the file, \
                        6 not authentic (verify --key/--trust/--series)."
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
        #[command(flatten)]
        seal: seal::VerifyArgs,
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
    /// Share a selection with someone: write OUT with only the chosen
    /// records and fields and a disclosure receipt, and append the receipt
    /// to the owner's ledger (spec disclosure.md).
    Share(Box<ShareArgs>),
    /// Where the owner's data went: the receipts of the ledger, newest first.
    Ledger {
        /// The ledger (default: $XDG_DATA_HOME/koffer/ledger.koffer).
        path: Option<PathBuf>,
        /// Print the receipts as JSON (schema.md §9 mapping), newest first.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Print the receipts as ISO/IEC TS 27560 records with DPV terms.
        #[arg(long, value_parser = ["27560"])]
        format: Option<String>,
    },
    /// Make an Ed25519 key pair for sealing: NAME.key (secret, mode 0600)
    /// and NAME.pub; never overwrites.
    Keygen {
        /// The key files' name, without extension.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Seal a container: its frames unchanged behind a KEY frame, a signed
    /// seal every N blocks and before the end frame (spec seal.md).
    Seal {
        /// The container; `-` reads standard input.
        file: PathBuf,
        /// The sealed container to write (`-`: standard output).
        #[arg(short, long)]
        output: PathBuf,
        /// The secret key file (`NAME.key` of `koffer keygen`).
        #[arg(long, value_name = "NAME.key")]
        key: PathBuf,
        /// Seal after every N blocks (1..=65535). Each seal costs 170 bytes
        /// and one signature check when verified; a device that may lose
        /// power seals more often than a server export needs to.
        #[arg(long, default_value_t = 1024, value_name = "N")]
        every: u32,
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

/// The arguments of `koffer share` (spec `command.md` §1).
#[derive(clap::Args)]
struct ShareArgs {
    /// The source container.
    input: PathBuf,
    /// The derived container to write (never the input).
    #[arg(short, long)]
    output: PathBuf,
    /// Who receives the data.
    #[arg(long)]
    recipient: String,
    /// An identifier of the recipient: a URI.
    #[arg(long)]
    recipient_id: Option<String>,
    /// Why, in words.
    #[arg(long)]
    purpose: String,
    /// Why, as a DPV purpose IRI (repeatable).
    #[arg(long)]
    purpose_iri: Vec<String>,
    /// The legal basis, a DPV term.
    #[arg(long, default_value = "dpv:Consent")]
    basis: String,
    /// A record type to share (repeatable; default: all).
    #[arg(long = "type")]
    types: Vec<String>,
    /// Records from this RFC 3339 time on (inclusive), by each type's time field.
    #[arg(long)]
    from: Option<String>,
    /// Records before this RFC 3339 time (exclusive).
    #[arg(long)]
    until: Option<String>,
    /// A field to remove, `field` or `type.field` (repeatable).
    #[arg(long)]
    drop: Vec<String>,
    /// A number field to round to multiples of STEP: FIELD=STEP (repeatable).
    #[arg(long)]
    coarsen: Vec<String>,
    /// Until when the recipient may keep the data (RFC 3339).
    #[arg(long)]
    expires: Option<String>,
    /// The owner's ledger (default: $XDG_DATA_HOME/koffer/ledger.koffer).
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Print what would be shared, write nothing.
    #[arg(long)]
    dry_run: bool,
}

impl From<ShareArgs> for share::Args {
    fn from(a: ShareArgs) -> Self {
        share::Args {
            input: a.input,
            output: a.output,
            recipient: a.recipient,
            recipient_id: a.recipient_id,
            purpose: a.purpose,
            purpose_iri: a.purpose_iri,
            basis: a.basis,
            types: a.types,
            from: a.from,
            until: a.until,
            drop: a.drop,
            coarsen: a.coarsen,
            expires: a.expires,
            ledger: a.ledger,
            dry_run: a.dry_run,
        }
    }
}

/// The `koffer` command: parses the arguments, runs the subcommand, returns
/// its exit status (what `main` does).
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    VERBOSE.store(cli.verbose, std::sync::atomic::Ordering::Relaxed);
    let code = match cli.command {
        Command::Inspect { file, json } => inspect(&file, json),
        Command::Verify { file, seal } if seal.requested() => seal::verify(&file, &seal),
        Command::Verify { file, .. } => {
            let code = verify(&file);
            seal::note_unchecked(&file);
            code
        }
        Command::Keygen { output } => keygen::keygen(&output),
        Command::Seal {
            file,
            output,
            key,
            every,
        } => seal::seal_file(&file, &output, &key, every),
        Command::Export {
            file,
            format,
            output,
            strict,
        } => export::export(&file, format, output.as_deref(), strict),
        Command::Import { file, output } => import::import(&file, &output),
        Command::View { file, no_open } => view::view(&file, no_open),
        Command::Share(a) => share::share(&(*a).into()),
        Command::Ledger { path, json, format } => ledger::ledger(
            path.as_deref(),
            match (json, format) {
                (true, _) => ledger::Form::Json,
                (_, Some(_)) => ledger::Form::Iso27560,
                _ => ledger::Form::Text,
            },
        ),
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

/// Every check of the container (`Reader::verify`) with a progress bar, and
/// the number of intact frames: what `verify` reports, without the
/// per-frame descriptions `scan` collects for `inspect`.
fn verify_walk(bytes: &[u8]) -> (Result<Summary, koffer::read::Error>, u64) {
    let reader = match koffer::read::Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (Err(e), 0),
    };
    let mut progress = progress::Progress::new(bytes.len() as u64, "checking");
    let mut frames = reader.frames();
    let mut total = 0u64;
    while let Some(Ok(_)) = frames.next() {
        total += 1;
        if total.is_multiple_of(4096) {
            progress.set(frames.position());
        }
    }
    (frames.finish(), total)
}

fn verify(path: &std::path::Path) -> u8 {
    let name = display_name(path);
    // A regular file is read in chunks through a `Feed` (bounded memory, no
    // page faults on a buffer the size of the file); a complete container
    // is reported from there. Anything else — an error, an incomplete
    // container, standard input — takes the in-memory path below, which
    // words every message (and shows the bytes with `-v`).
    if let Some(Ok((summary, fed))) = input::verify_chunked(path) {
        if summary.is_complete() && fed == summary.len {
            let c = summary.counted;
            let line = format!(
                "{name}: OK: koffer {}.{}, complete: {} frames before the end frame, {} blocks, {} records; \
                 all {} frame checksums OK\n",
                summary.header.major,
                summary.header.minor,
                c.frames,
                c.blocks,
                c.records,
                c.frames + 1
            );
            return match emit(&line) {
                Ok(()) => 0,
                Err(code) => code,
            };
        }
    }
    let bytes = match read_input(path, &name) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let (outcome, total) = verify_walk(&bytes);
    match outcome {
        Err(e) => read_error(&name, &e, &bytes),
        Ok(Summary {
            completeness: Completeness::Incomplete { valid_len, tail },
            ..
        }) => {
            fail!(
                "koffer: {name}: at byte {valid_len}: incomplete container: expected an end frame; \
                 valid length {valid_len} of {} bytes, {}",
                bytes.len(),
                koffer_export::tail_text_in(&bytes, valid_len, tail)
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
                total
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
        let mut text = report.text();
        text.extend(seal::inspect_line(&bytes));
        text
    };
    if let Err(code) = emit(&text) {
        return code;
    }
    match &s.outcome {
        Err(e) => read_error(&name, e, &bytes),
        Ok(_) => 0,
    }
}
