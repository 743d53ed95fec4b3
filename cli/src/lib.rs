//! `koffer`: inspect, verify, export and import koffer containers.
//!
//! ```text
//! koffer inspect FILE [--json]   header, metadata, record types, totals, status
//! koffer verify FILE             exit 0 only if intact and complete
//! koffer export FILE --format json|ndjson|csv [-o PATH] [--strict]
//! koffer import FILE.json -o OUT  rebuild the container from `export --format json`
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

mod civil;
mod layout;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use koffer::header::Header;
use koffer::meta::{value_type, Entry, Value};
use koffer::read::{Class, Completeness, Error, Frame, Reader, Summary, Tail};
use koffer::schema::Schema;
use serde::Serialize;

/// Prints one line on stderr; a closed stderr is ignored rather than a panic.
macro_rules! fail {
    ($($arg:tt)*) => {{
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, $($arg)*);
    }};
}

mod doc;
mod export;
mod import;
mod input;
mod progress;

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
/// one); `None` if its header is unreadable.
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

fn class_name(class: Class) -> &'static str {
    match class {
        Class::NotAContainer => "not_a_container",
        Class::Incomplete => "incomplete",
        Class::Unsupported => "unsupported",
        Class::Corrupt => "corrupt",
        Class::Payload => "payload",
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

/// Everything one pass over a container's frames finds.
struct Scan<'a> {
    size: u64,
    header: Header,
    metadata: Vec<Entry<'a>>,
    schemas: Vec<Schema<'a>>,
    blocks: Vec<u64>,
    records: Vec<u64>,
    frames: FrameCounts,
    /// The outcome: totals and completeness, or the first error.
    outcome: Result<Summary, Error>,
}

/// Frames read intact, by kind.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct FrameCounts {
    /// All intact frames, the end frame included.
    total: u64,
    metadata: u64,
    schema: u64,
    block: u64,
    ancillary: u64,
    end: u64,
}

fn scan(bytes: &[u8]) -> Result<Scan<'_>, Error> {
    let reader = Reader::new(bytes)?;
    let mut metadata = Vec::new();
    let mut schemas = Vec::new();
    let mut blocks = vec![0u64; 256];
    let mut records = vec![0u64; 256];
    let mut counts = FrameCounts::default();
    let mut frames = reader.frames();
    let mut progress = progress::Progress::new(bytes.len() as u64, "checking");
    // The iterator ends at the first error, which `finish` then returns.
    for f in frames.by_ref().map_while(Result::ok) {
        progress.set(f.offset);
        counts.total += 1;
        match f.frame {
            Frame::Metadata(m) => {
                counts.metadata += 1;
                metadata.extend(m.entries());
            }
            Frame::Schema(schema) => {
                counts.schema += 1;
                schemas.push(schema);
            }
            Frame::Block(block) => {
                counts.block += 1;
                let h = block.header();
                let t = usize::from(h.record_type);
                blocks[t] += 1;
                records[t] += u64::from(h.count);
            }
            Frame::End(_) => counts.end += 1,
            Frame::Ancillary { .. } => counts.ancillary += 1,
        }
    }
    Ok(Scan {
        size: bytes.len() as u64,
        header: reader.header(),
        metadata,
        schemas,
        blocks,
        records,
        frames: counts,
        outcome: frames.finish(),
    })
}

// ---------------------------------------------------------------- verify

fn verify(path: &std::path::Path) -> u8 {
    let name = display_name(path);
    let bytes = match read_input(path, &name) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let s = match scan(&bytes) {
        Ok(s) => s,
        Err(e) => return read_error(&name, &e, &bytes),
    };
    match s.outcome {
        Err(e) => read_error(&name, &e, &bytes),
        Ok(Summary {
            completeness: Completeness::Incomplete { valid_len, tail },
            ..
        }) => {
            fail!(
                "koffer: {name}: at byte {valid_len}: incomplete container: expected an end frame; \
                 valid length {valid_len} of {} bytes, {}",
                s.size,
                dropped(tail)
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
                s.frames.total
            );
            match emit(&line) {
                Ok(()) => 0,
                Err(code) => code,
            }
        }
    }
}

/// What an incomplete container's tail held.
fn dropped(tail: Tail) -> String {
    match tail {
        Tail::None => "nothing dropped (the input ends on a frame boundary)".to_string(),
        Tail::Unwritten { len } => {
            format!("dropped {len} bytes of unwritten storage (all 0x00 or all 0xFF)")
        }
        Tail::Torn { len } => format!("dropped {len} bytes of a torn (cut short) frame"),
    }
}

// ---------------------------------------------------------------- inspect

fn inspect(path: &std::path::Path, json: bool) -> u8 {
    let name = display_name(path);
    let bytes = match read_input(path, &name) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let s = match scan(&bytes) {
        Ok(s) => s,
        Err(e) => return read_error(&name, &e, &bytes),
    };
    let report = Report::new(&name, &s);
    let text = if json {
        match serde_json::to_string_pretty(&report) {
            Ok(mut t) => {
                t.push('\n');
                t
            }
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

/// What `inspect` shows; serialised as is for `--json`.
#[derive(Serialize)]
struct Report {
    file: String,
    size: u64,
    format: Format,
    features: Features,
    metadata: Vec<MetaEntry>,
    record_types: Vec<RecordTypeInfo>,
    frames: FrameCounts,
    blocks: u64,
    records: u64,
    /// `complete`, `incomplete`, or the error class (`corrupt`, `unsupported`, ...).
    status: &'static str,
    complete: bool,
    incomplete: Option<Incomplete>,
    checksums: Checksums,
    error: Option<ErrorInfo>,
}

#[derive(Serialize)]
struct Format {
    major: u8,
    minor: u8,
    version: String,
}

#[derive(Serialize)]
struct Features {
    required: u16,
    optional: u16,
}

#[derive(Serialize)]
struct MetaEntry {
    key: String,
    #[serde(rename = "type")]
    type_name: String,
    type_code: u8,
    /// A float as its `schema.md` §9 text (as `export` writes it), the
    /// rest as serde_json writes them.
    value: Box<serde_json::value::RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rfc3339: Option<String>,
    #[serde(skip)]
    text: String,
}

#[derive(Serialize)]
struct RecordTypeInfo {
    id: u8,
    name: String,
    version: u32,
    definition_bytes: usize,
    /// FNV-1a-64 of name, version and definition (spec `schema.md` §5), hex.
    fingerprint: String,
    /// Root type and fields; absent when the definition is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    layout: Option<layout::Layout>,
    blocks: u64,
    records: u64,
}

#[derive(Serialize)]
struct Incomplete {
    valid_len: u64,
    dropped_bytes: u64,
    /// `none`, `unwritten` or `torn`.
    tail: &'static str,
    #[serde(skip)]
    text: String,
}

#[derive(Serialize)]
struct Checksums {
    header_ok: bool,
    /// Frames whose checksum was verified.
    frames_ok: u64,
    /// True when every frame present was checked and none failed.
    all_ok: bool,
}

#[derive(Serialize)]
struct ErrorInfo {
    offset: u64,
    kind: &'static str,
    class: &'static str,
    message: String,
}

/// Bytes as hex, at most `max` of them.
fn hex(bytes: &[u8], max: usize) -> String {
    koffer::hex::encode(&bytes[..bytes.len().min(max)])
}

fn type_name(code: u8) -> String {
    match code {
        value_type::BOOL => "bool",
        value_type::UINT => "uint",
        value_type::INT => "int",
        value_type::FLOAT => "float",
        value_type::STR => "str",
        value_type::BYTES => "bytes",
        value_type::TIME => "time",
        value_type::ANCHOR => "anchor",
        _ => return format!("unknown({code:#04x})"),
    }
    .to_string()
}

/// A metadata float as its `schema.md` §9 text (`1e-6`, `0.00001`, `"NaN"`),
/// as `export` writes it; `inspect` shows the same text, unquoted.
fn float_text(v: f64) -> String {
    koffer::schema::Definition::parse(doc::F64_DEFINITION)
        .ok()
        .and_then(|d| koffer::json::to_json(d.root()?, &v.to_le_bytes()).ok())
        .unwrap_or_else(|| format!("{v:?}"))
}

impl MetaEntry {
    fn new(e: &Entry<'_>) -> Self {
        use serde_json::json;
        let (value, rfc3339, text) = match e.value {
            Value::Bool(b) => (json!(b), None, b.to_string()),
            Value::Uint(v) => (json!(v), None, v.to_string()),
            Value::Int(v) => (json!(v), None, v.to_string()),
            Value::Float(v) => (json!(v), None, float_text(v).trim_matches('"').to_string()),
            Value::Str(v) => (json!(v), None, format!("{v:?}")),
            Value::Bytes(b) => {
                let more = if b.len() > 32 { "…" } else { "" };
                (
                    json!(hex(b, usize::MAX)),
                    None,
                    format!("{}{more} ({} bytes)", hex(b, 32), b.len()),
                )
            }
            Value::Time(ms) => {
                let t = civil::rfc3339(ms);
                let text = match &t {
                    Some(t) => format!("{t} ({ms} ms)"),
                    None => format!("{ms} ms (outside RFC 3339's years)"),
                };
                (json!(ms), t, text)
            }
            Value::Anchor { boot_ms, unix_ms } => {
                let t = civil::rfc3339(unix_ms);
                let text = format!(
                    "boot + {boot_ms} ms = {}",
                    t.clone().unwrap_or_else(|| format!("{unix_ms} ms"))
                );
                (json!({ "boot_ms": boot_ms, "unix_ms": unix_ms }), t, text)
            }
            Value::Unknown { bytes, .. } => (
                json!(hex(bytes, usize::MAX)),
                None,
                format!("{} ({} bytes, type not known)", hex(bytes, 32), bytes.len()),
            ),
        };
        let value = match e.value {
            Value::Float(v) => serde_json::value::RawValue::from_string(float_text(v)).ok(),
            _ => serde_json::value::to_raw_value(&value).ok(),
        };
        MetaEntry {
            key: e.key.to_string(),
            type_name: type_name(e.value.value_type()),
            type_code: e.value.value_type(),
            value: value.unwrap_or_else(|| serde_json::value::RawValue::NULL.to_owned()),
            rfc3339,
            text,
        }
    }
}

impl Report {
    fn new(name: &str, s: &Scan<'_>) -> Self {
        let record_types = s
            .schemas
            .iter()
            .map(|sc| RecordTypeInfo {
                id: sc.record_type,
                name: sc.name.to_string(),
                version: sc.version,
                definition_bytes: sc.definition.len(),
                fingerprint: format!("{:016x}", sc.fingerprint()),
                layout: layout::layout(sc.definition),
                blocks: s.blocks[usize::from(sc.record_type)],
                records: s.records[usize::from(sc.record_type)],
            })
            .collect();
        let (status, incomplete, error) = match &s.outcome {
            Ok(summary) => match summary.completeness {
                Completeness::Complete => ("complete", None, None),
                Completeness::Incomplete { valid_len, tail } => {
                    let (kind, len) = match tail {
                        Tail::Unwritten { len } => ("unwritten", len),
                        Tail::Torn { len } => ("torn", len),
                        Tail::None => ("none", 0),
                    };
                    let info = Incomplete {
                        valid_len,
                        dropped_bytes: len,
                        tail: kind,
                        text: dropped(tail),
                    };
                    ("incomplete", Some(info), None)
                }
            },
            Err(e) => {
                let class = e.kind.class();
                let info = ErrorInfo {
                    offset: e.offset,
                    kind: e.kind.name(),
                    class: class_name(class),
                    message: e.kind.to_string(),
                };
                (class_name(class), None, Some(info))
            }
        };
        Report {
            file: name.to_string(),
            size: s.size,
            format: Format {
                major: s.header.major,
                minor: s.header.minor,
                version: format!("{}.{}", s.header.major, s.header.minor),
            },
            features: Features {
                required: s.header.required_features,
                optional: s.header.optional_features,
            },
            metadata: s.metadata.iter().map(MetaEntry::new).collect(),
            record_types,
            frames: s.frames,
            blocks: s.blocks.iter().sum(),
            records: s.records.iter().sum(),
            complete: status == "complete",
            status,
            incomplete,
            checksums: Checksums {
                header_ok: true,
                frames_ok: s.frames.total,
                all_ok: error.is_none(),
            },
            error,
        }
    }

    fn text(&self) -> String {
        let mut o = String::new();
        let w = &mut o;
        let _ = writeln!(w, "file          {} ({} bytes)", self.file, self.size);
        let _ = writeln!(w, "format        koffer {}", self.format.version);
        let _ = writeln!(
            w,
            "features      required {:#06x}, optional {:#06x}",
            self.features.required, self.features.optional
        );
        let _ = writeln!(w, "metadata      {} entries", self.metadata.len());
        let width = self
            .metadata
            .iter()
            .map(|m| m.key.escape_debug().to_string().chars().count())
            .max()
            .unwrap_or(0);
        for m in &self.metadata {
            let key = m.key.escape_debug().to_string();
            let _ = writeln!(w, "  {key:<width$}  {:<6}  {}", m.type_name, m.text);
        }
        let _ = writeln!(w, "record types  {}", self.record_types.len());
        if !self.record_types.is_empty() {
            let rows: Vec<[String; 6]> = self
                .record_types
                .iter()
                .map(|t| {
                    [
                        t.id.to_string(),
                        t.name.escape_debug().to_string(),
                        t.version.to_string(),
                        format!("{} bytes", t.definition_bytes),
                        t.blocks.to_string(),
                        t.records.to_string(),
                    ]
                })
                .collect();
            let head = ["id", "name", "version", "definition", "blocks", "records"];
            let mut widths = head.map(|h| h.chars().count());
            for row in &rows {
                for (wd, cell) in widths.iter_mut().zip(row) {
                    *wd = (*wd).max(cell.chars().count());
                }
            }
            let line = |cells: [&str; 6]| {
                let mut l = String::from(" ");
                for (i, (cell, wd)) in cells.iter().zip(widths).enumerate() {
                    // Text columns left, numbers right.
                    if i == 1 {
                        let _ = write!(l, " {cell:<wd$}");
                    } else {
                        let _ = write!(l, " {cell:>wd$}");
                    }
                }
                l.trim_end().to_string()
            };
            let _ = writeln!(w, "{}", line(head));
            for row in &rows {
                let _ = writeln!(w, "{}", line(row.each_ref().map(String::as_str)));
            }
            for t in &self.record_types {
                let _ = writeln!(
                    w,
                    "schema {} {:?} v{} (fingerprint {})",
                    t.id, t.name, t.version, t.fingerprint
                );
                match &t.layout {
                    Some(l) => layout::text(l, w),
                    None => {
                        let _ = writeln!(w, "    (layout not described)");
                    }
                }
            }
        }
        let f = &self.frames;
        let _ = writeln!(
            w,
            "frames        {} ({} metadata, {} schema, {} block, {} ancillary, {} end)",
            f.total, f.metadata, f.schema, f.block, f.ancillary, f.end
        );
        let _ = writeln!(w, "blocks        {}", self.blocks);
        let _ = writeln!(w, "records       {}", self.records);
        match (&self.incomplete, &self.error) {
            (_, Some(e)) => {
                let _ = writeln!(
                    w,
                    "status        {}: at byte {}: {}",
                    self.status, e.offset, e.message
                );
            }
            (Some(i), None) => {
                let _ = writeln!(
                    w,
                    "status        incomplete (no end frame): valid length {} of {} bytes, {}",
                    i.valid_len, self.size, i.text
                );
            }
            (None, None) => {
                let _ = writeln!(w, "status        complete");
            }
        }
        let _ = if self.error.is_some() {
            writeln!(
                w,
                "checksums     header OK, {} frame checksums OK before the error",
                self.checksums.frames_ok
            )
        } else {
            writeln!(
                w,
                "checksums     header OK, all {} frame checksums OK",
                self.checksums.frames_ok
            )
        };
        o
    }
}
