//! `koffer export`: a container's records as JSON, NDJSON or CSV.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use koffer::json::Exporter;
use koffer::meta::{Entry, Value};
use koffer::read::{Completeness, Frame, Reader, Record, Tail};
use koffer::schema::{Definition, Kind, Node, Schema};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::doc::{self, hex, FormatDesc, FrameDesc};
use crate::progress::Progress;
use crate::{display_name, error_status, input, layout, status};

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

/// What one pass over the frames found.
struct Scan<'a> {
    /// The checked prefix: the container up to the end of the last frame
    /// that passed every check (structure and descriptions). Records come
    /// from here: the records walk applies the structure checks alone (spec
    /// §10.1) and would read on past a faulty description.
    checked: Reader<'a>,
    metadata: Vec<Entry<'a>>,
    schemas: Vec<Schema<'a>>,
    frames: Vec<FrameDesc>,
    /// What was dropped and where; `None` for a complete container.
    problem: Option<Problem>,
}

/// Why a container was not exported whole.
struct Problem {
    /// Exit status under `--strict`.
    status: u8,
    text: String,
}

/// A record type as the exporters see it.
struct TypeInfo<'a> {
    name: &'a str,
    /// `None` when the definition is empty.
    root: Option<Node<'a>>,
    exporter: Option<Exporter>,
}

fn scan<'a>(reader: &Reader<'a>) -> Scan<'a> {
    let size = reader.bytes().len() as u64;
    let mut metadata = Vec::new();
    let mut schemas = Vec::new();
    let mut frames = Vec::new();
    let mut it = reader.frames();
    let mut progress = Progress::new(size, "checking");
    for f in it.by_ref().map_while(Result::ok) {
        progress.set(f.offset);
        frames.push(match f.frame {
            Frame::Metadata(m) => {
                let before = metadata.len();
                metadata.extend(m.entries());
                FrameDesc::Metadata {
                    entries: (metadata.len() - before) as u64,
                }
            }
            Frame::Schema(s) => {
                schemas.push(s);
                FrameDesc::Schema {
                    record_type: s.record_type,
                }
            }
            Frame::Block(b) => {
                let h = b.header();
                FrameDesc::Block {
                    record_type: h.record_type,
                    count: h.count,
                    base_len: h.base_len,
                    width: h.width,
                }
            }
            Frame::Ancillary { kind, body } => FrameDesc::Ancillary {
                kind,
                body: hex(body),
            },
            Frame::End(_) => FrameDesc::End,
        });
    }
    drop(progress);
    let intact = it.position();
    let problem = match it.finish() {
        Ok(summary) => match summary.completeness {
            Completeness::Complete => None,
            Completeness::Incomplete { valid_len, tail } => {
                let what = match tail {
                    Tail::None => "nothing dropped".to_string(),
                    Tail::Unwritten { len } => format!(
                        "dropped {len} bytes of unwritten storage (all 0x00 or all 0xFF) at bytes {valid_len}..{size}"
                    ),
                    Tail::Torn { len } => format!(
                        "dropped {len} bytes of a torn (cut short) frame at bytes {valid_len}..{size}"
                    ),
                };
                Some(Problem {
                    status: status::INCOMPLETE,
                    text: format!(
                        "at byte {valid_len}: incomplete container (no end frame): {what}"
                    ),
                })
            }
        },
        Err(e) => Some(Problem {
            status: error_status(&e),
            text: format!(
                "{e}; dropped {} bytes at bytes {intact}..{size}: everything from the damaged frame on",
                size.saturating_sub(intact),
            ),
        }),
    };
    // The prefix starts with the header `reader` has checked, so reading it
    // again cannot fail.
    let checked = Reader::new(&reader.bytes()[..intact as usize]).unwrap_or(*reader);
    Scan {
        checked,
        metadata,
        schemas,
        frames,
        problem,
    }
}

/// A progress bar over the container's bytes (a no-op unless it is large
/// and stderr is a terminal).
fn progress(reader: &Reader<'_>, what: &'static str) -> Progress {
    Progress::new(reader.bytes().len() as u64, what)
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
    let reader = match Reader::new(&bytes) {
        Ok(r) => r,
        Err(e) => return crate::read_error(&name, &e, &bytes),
    };
    let scan = scan(&reader);
    let types = types(&scan.schemas);
    if strict {
        if let Some(p) = &scan.problem {
            fail!("koffer: {name}: {} (refused: --strict)", p.text);
            return p.status;
        }
        if let Some((index, e, detail)) = first_bad_record(&scan.checked, &types) {
            fail!(
                "koffer: {name}: at byte {}: record {index} does not follow its schema: {}: {detail} (refused: --strict)",
                e.offset,
                e.kind.name(),
            );
            return status::CORRUPT;
        }
    }
    let result = match format {
        ExportFormat::Json => open_output(output).and_then(|mut out| {
            let bad = json(&scan, &types, &mut out)?;
            out.flush()?;
            Ok(bad)
        }),
        ExportFormat::Ndjson => open_output(output).and_then(|mut out| {
            let bad = ndjson(&scan.checked, &types, &mut out)?;
            out.flush()?;
            Ok(bad)
        }),
        ExportFormat::Csv => csv(&scan.checked, &types, output.unwrap_or(Path::new("."))),
    };
    let bad = match result {
        Ok(bad) => bad,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return 0,
        Err(e) => {
            fail!("koffer: {name}: cannot write the export: {e}");
            return status::IO;
        }
    };
    let mut warnings = Vec::new();
    if let Some(p) = &scan.problem {
        warnings.push(format!(
            "{}; every intact record before it was exported",
            p.text
        ));
    }
    if let Some(b) = bad {
        warnings.push(b);
    }
    if !warnings.is_empty() {
        fail!("koffer: {name}: warning: {}", warnings.join("; "));
    }
    0
}

fn types<'a>(schemas: &[Schema<'a>]) -> Vec<Option<TypeInfo<'a>>> {
    let mut types: Vec<Option<TypeInfo<'a>>> = (0..256).map(|_| None).collect();
    for s in schemas {
        // The reader checked every definition it handed out.
        let root = Definition::parse(s.definition).ok().and_then(|d| d.root());
        types[usize::from(s.record_type)] = Some(TypeInfo {
            name: s.name,
            root,
            exporter: root.map(Exporter::new),
        });
    }
    types
}

/// The first record that does not follow its definition: its index, the
/// container's error (kind and file offset by spec `format.md` §10.4) and
/// the decoder's detail (the value that could not be read).
fn first_bad_record(
    reader: &Reader<'_>,
    types: &[Option<TypeInfo<'_>>],
) -> Option<(u64, koffer::read::Error, String)> {
    let mut progress = progress(reader, "checking records");
    for rec in reader.records().map_while(Result::ok) {
        progress.set(rec.offset);
        if let Some(root) = types[usize::from(rec.record_type)]
            .as_ref()
            .and_then(|t| t.root)
        {
            if let Err(e) = koffer::dynamic::check(root, rec.payload) {
                return Some((rec.index, e.in_record(&rec), detail(&e, &rec)));
            }
        }
    }
    None
}

/// The decoder's detail of a payload fault, in file offsets: what was wrong
/// with the value at which byte.
fn detail(e: &koffer::dynamic::Error, rec: &Record<'_>) -> String {
    format!("{} (the value at byte {})", e.kind, e.file_offset(rec))
}

/// A record's `"error"` entry (spec `export-json.md` §4): the kind and file
/// offset of spec `format.md` §10.4, the offset of the value that could not
/// be read, and why.
#[derive(Serialize)]
struct RecordError {
    kind: &'static str,
    offset: u64,
    value_offset: u64,
    message: String,
}

impl RecordError {
    fn new(e: &koffer::dynamic::Error, rec: &Record<'_>) -> Self {
        RecordError {
            kind: e.kind.name(),
            offset: e.in_record(rec).offset,
            value_offset: e.file_offset(rec),
            message: e.kind.to_string(),
        }
    }
}

/// Counts records that do not follow their definition, for the warning.
#[derive(Default)]
struct BadRecords {
    count: u64,
    /// The first one: its index and the container's error.
    first: Option<(u64, koffer::read::Error)>,
}

impl BadRecords {
    fn note(&mut self, index: u64, error: koffer::read::Error) {
        self.count += 1;
        self.first.get_or_insert((index, error));
    }

    fn warning(&self, what: &str) -> Option<String> {
        let (index, e) = self.first?;
        Some(format!(
            "{} records do not follow their schema (the first is record {index}, {e}); {what}",
            self.count
        ))
    }
}

// ---------------------------------------------------------------- json

#[derive(Serialize)]
struct MetaOut<'a> {
    key: &'a str,
    #[serde(rename = "type")]
    ty: String,
    value: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rfc3339: Option<String>,
}

#[derive(Serialize)]
struct SchemaOut<'a> {
    record_type: u8,
    name: &'a str,
    version: u32,
    definition: String,
    fingerprint: String,
    layout: Option<layout::Layout>,
}

fn raw(text: String) -> Box<RawValue> {
    // Every text passed here is JSON the command wrote itself; the fallback,
    // `null`, is valid JSON, so its unwrap cannot fail.
    RawValue::from_string(text).unwrap_or_else(|_| RawValue::from_string("null".into()).unwrap())
}

fn meta_out<'a>(e: &Entry<'a>) -> MetaOut<'a> {
    let s = |v: &dyn ToString| serde_json::to_string(&v.to_string()).unwrap_or_default();
    let mut rfc3339 = None;
    let value = match e.value {
        Value::Bool(b) => b.to_string(),
        Value::Uint(v) => s(&v),
        Value::Int(v) => s(&v),
        Value::Time(v) => {
            rfc3339 = crate::civil::rfc3339(v);
            s(&v)
        }
        Value::Float(v) => {
            let def = Definition::parse(doc::F64_DEFINITION).ok();
            def.and_then(|d| d.root())
                .and_then(|ty| koffer::json::to_json(ty, &v.to_le_bytes()).ok())
                .unwrap_or_else(|| "null".into())
        }
        Value::Str(v) => serde_json::to_string(v).unwrap_or_default(),
        Value::Bytes(b) | Value::Unknown { bytes: b, .. } => format!("\"{}\"", hex(b)),
        Value::Anchor { boot_ms, unix_ms } => {
            rfc3339 = crate::civil::rfc3339(unix_ms);
            format!("{{\"boot_ms\":\"{boot_ms}\",\"unix_ms\":\"{unix_ms}\"}}")
        }
    };
    MetaOut {
        key: e.key,
        ty: doc::value_type_name(e.value.value_type()),
        value: raw(value),
        rfc3339,
    }
}

/// Writes a JSON list, one element a line.
fn list<T: Serialize>(
    out: &mut dyn Write,
    key: &str,
    items: impl IntoIterator<Item = T>,
) -> io::Result<()> {
    write!(out, "\"{key}\":[")?;
    for (i, item) in items.into_iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &item)?;
    }
    out.write_all(b"\n]")
}

/// The `json` export (spec `spec/export-json.md`). Returns the warning about
/// records that do not follow their schema, if any.
fn json(
    scan: &Scan<'_>,
    types: &[Option<TypeInfo<'_>>],
    out: &mut dyn Write,
) -> io::Result<Option<String>> {
    let reader = &scan.checked;
    let h = reader.header();
    write!(out, "{{\"koffer_export\":{},\n\"format\":", doc::VERSION)?;
    serde_json::to_writer(
        &mut *out,
        &FormatDesc {
            major: h.major,
            minor: h.minor,
            required_features: h.required_features,
            optional_features: h.optional_features,
        },
    )?;
    out.write_all(b",\n")?;
    list(out, "metadata", scan.metadata.iter().map(meta_out))?;
    out.write_all(b",\n")?;
    list(
        out,
        "schemas",
        scan.schemas.iter().map(|s| SchemaOut {
            record_type: s.record_type,
            name: s.name,
            version: s.version,
            definition: hex(s.definition),
            fingerprint: format!("{:016x}", s.fingerprint()),
            layout: layout::layout(s.definition),
        }),
    )?;
    out.write_all(b",\n\"records\":[")?;
    let prefixes = record_prefixes(types);
    let mut bad = BadRecords::default();
    let mut line = Vec::with_capacity(256);
    let mut num = itoa_buf();
    let mut progress = progress(reader, "exporting");
    for (i, rec) in reader.records().map_while(Result::ok).enumerate() {
        progress.set(rec.offset);
        line.clear();
        line.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        record_object(types, &prefixes, &rec, &mut num, &mut line, &mut bad);
        out.write_all(&line)?;
    }
    out.write_all(b"\n],\n")?;
    list(out, "frames", &scan.frames)?;
    out.write_all(b"}\n")?;
    Ok(bad.warning("they are exported as \"payload\" hex with an \"error\""))
}

/// Per record type, the start of its record objects: `{"type":NAME,"record_type":ID,"index":`.
fn record_prefixes(types: &[Option<TypeInfo<'_>>]) -> Vec<Vec<u8>> {
    types
        .iter()
        .enumerate()
        .map(|(id, t)| {
            let name = t.as_ref().map_or("", |t| t.name);
            format!(
                "{{\"type\":{},\"record_type\":{id},\"index\":",
                serde_json::to_string(name).unwrap_or_default()
            )
            .into_bytes()
        })
        .collect()
}

/// Appends one record object (spec `export-json.md` §4), the same in the
/// `json` document and in `ndjson` lines: `{"type","record_type","index"`,
/// then `"value"`, or `"payload"` (and `"error"`).
fn record_object(
    types: &[Option<TypeInfo<'_>>],
    prefixes: &[Vec<u8>],
    rec: &Record<'_>,
    num: &mut Num,
    line: &mut Vec<u8>,
    bad: &mut BadRecords,
) {
    let t = usize::from(rec.record_type);
    line.extend_from_slice(&prefixes[t]);
    line.extend_from_slice(num.format(rec.index));
    line.push(b',');
    value_or_payload(types[t].as_ref(), rec, line, bad);
    line.push(b'}');
}

/// Appends `"value":JSON` or, for a record type without a definition or a
/// payload that does not follow it, `"error":{...},"payload":"HEX"`.
fn value_or_payload(
    t: Option<&TypeInfo<'_>>,
    rec: &Record<'_>,
    line: &mut Vec<u8>,
    bad: &mut BadRecords,
) {
    if let Some(exporter) = t.and_then(|t| t.exporter.as_ref()) {
        line.extend_from_slice(b"\"value\":");
        match exporter.append(rec.payload, line) {
            Ok(()) => return,
            Err(e) => {
                bad.note(rec.index, e.in_record(rec));
                line.truncate(line.len() - b"\"value\":".len());
                line.extend_from_slice(b"\"error\":");
                // A struct of plain fields always serialises.
                let _ = serde_json::to_writer(&mut *line, &RecordError::new(&e, rec));
                line.push(b',');
            }
        }
    }
    line.extend_from_slice(b"\"payload\":\"");
    line.extend_from_slice(hex(rec.payload).as_bytes());
    line.push(b'"');
}

// ---------------------------------------------------------------- ndjson

fn ndjson(
    reader: &Reader<'_>,
    types: &[Option<TypeInfo<'_>>],
    out: &mut dyn Write,
) -> io::Result<Option<String>> {
    let prefixes = record_prefixes(types);
    let mut bad = BadRecords::default();
    let mut line = Vec::with_capacity(256);
    let mut num = itoa_buf();
    let mut progress = progress(reader, "exporting");
    for rec in reader.records().map_while(Result::ok) {
        progress.set(rec.offset);
        line.clear();
        record_object(types, &prefixes, &rec, &mut num, &mut line, &mut bad);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(bad.warning("their lines carry \"payload\" hex and an \"error\""))
}

/// A small decimal formatter for record indexes.
struct Num([u8; 20]);

fn itoa_buf() -> Num {
    Num([0; 20])
}

impl Num {
    fn format(&mut self, mut n: u64) -> &[u8] {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        &self.0[i..]
    }
}

// ---------------------------------------------------------------- csv

/// One CSV output: a record type's file and its column plan.
struct CsvFile {
    out: BufWriter<File>,
    path: PathBuf,
}

/// The column names of a type: nested structs flattened with dots, the unit
/// in brackets. A scaled field's cells hold its quantity (see [`Scaling`]),
/// so the unit applies to them as written.
fn columns(node: Node<'_>, prefix: &str, unit: Option<&str>, out: &mut Vec<String>) {
    if let Kind::Struct { fields, .. } = node.kind() {
        for f in fields {
            let name = if prefix.is_empty() {
                f.name.to_string()
            } else {
                format!("{prefix}.{}", f.name)
            };
            columns(f.ty, &name, f.annotations.unit, out);
        }
        return;
    }
    let name = if prefix.is_empty() { "value" } else { prefix };
    out.push(match unit {
        Some(u) => format!("{name} [{u}]"),
        None => name.to_string(),
    });
}

/// The cells of one value, in the order of [`columns`]; returns the bytes it took.
fn cells(
    node: Node<'_>,
    bytes: &[u8],
    out: &mut Vec<String>,
) -> Result<usize, koffer::dynamic::Error> {
    cells_scaled(node, bytes, Scaling::NONE, out)
}

/// A field's `scale` and `offset` (spec `schema.md` §3): its quantity, in
/// the unit the column's header names, is `value × scale + offset`.
#[derive(Clone, Copy)]
struct Scaling {
    scale: Option<f64>,
    offset: Option<f64>,
}

impl Scaling {
    const NONE: Scaling = Scaling {
        scale: None,
        offset: None,
    };

    /// The cell of a number with this scaling: the quantity, as the
    /// shortest decimal that reads back to the same `f64`. Cells that are not
    /// numbers (an absent option, text) are left as they are.
    fn apply(self, cell: String) -> String {
        if self.scale.is_none() && self.offset.is_none() {
            return cell;
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => format!("{}", self.quantity(v)),
            _ => cell,
        }
    }

    /// `v × scale + offset`. Scales are usually the inverse of an integer
    /// (0.01, 0.2, 1/256): then `(v + offset ÷ scale) ÷ (1 ÷ scale)`, one
    /// correctly rounded division, so 2,876 × 0.2 − 500 shows as `75.2`, not
    /// `75.20000000000005`.
    fn quantity(self, v: f64) -> f64 {
        let scale = self.scale.unwrap_or(1.0);
        let offset = self.offset.unwrap_or(0.0);
        let k = 1.0 / scale;
        let shift = offset * k;
        let exact = |x: f64| x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0;
        if exact(k) && exact(shift) {
            (v + shift) / k
        } else {
            v * scale + offset
        }
    }
}

fn cells_scaled(
    node: Node<'_>,
    bytes: &[u8],
    scaling: Scaling,
    out: &mut Vec<String>,
) -> Result<usize, koffer::dynamic::Error> {
    if let Kind::Struct { fields, .. } = node.kind() {
        let mut pos = 0;
        for f in fields {
            let scaling = Scaling {
                scale: f.annotations.scale,
                offset: f.annotations.offset,
            };
            pos += cells_scaled(f.ty, &bytes[pos..], scaling, out).map_err(|mut e| {
                e.offset += pos;
                e
            })?;
        }
        return Ok(pos);
    }
    let n = koffer::dynamic::skip(node, bytes)?;
    let json = koffer::json::to_json(node, &bytes[..n])?;
    out.push(scaling.apply(cell_text(&json)));
    Ok(n)
}

/// A cell from a value's JSON: strings (and enum unit variants, NaN, hex
/// bytes) unquoted, `null` (an absent option, a unit) empty, the rest as JSON text.
fn cell_text(json: &str) -> String {
    if json == "null" {
        return String::new();
    }
    if json.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(json) {
            return s;
        }
    }
    json.to_string()
}

/// Appends `cell` quoted as RFC 4180 says when it needs quoting.
fn csv_cell(cell: &str, line: &mut String) {
    if cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ') {
        line.push('"');
        line.push_str(&cell.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(cell);
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        csv_cell(c, &mut line);
    }
    line.push_str("\r\n");
    line
}

/// A file name for a record type's name: characters other than ASCII
/// letters, digits, `-`, `_` and `.` become `_`.
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

fn csv(
    reader: &Reader<'_>,
    types: &[Option<TypeInfo<'_>>],
    dir: &Path,
) -> io::Result<Option<String>> {
    std::fs::create_dir_all(dir)?;
    let mut files: Vec<Option<CsvFile>> = (0..256).map(|_| None).collect();
    let mut used = std::collections::HashSet::new();
    for (id, t) in types.iter().enumerate() {
        let Some(t) = t else { continue };
        let mut stem = file_stem(t.name);
        if !used.insert(stem.clone()) {
            stem = format!("{stem}-{id}");
            used.insert(stem.clone());
        }
        let path = dir.join(format!("{stem}.csv"));
        let mut out = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        let mut head = Vec::new();
        match t.root {
            Some(root) => columns(root, "", None, &mut head),
            None => head.push("payload".to_string()),
        }
        out.write_all(csv_line(&head).as_bytes())?;
        files[id] = Some(CsvFile { out, path });
    }
    let mut bad = BadRecords::default();
    let mut row = Vec::new();
    let mut progress = progress(reader, "exporting");
    for rec in reader.records().map_while(Result::ok) {
        progress.set(rec.offset);
        let t = usize::from(rec.record_type);
        let (Some(info), Some(file)) = (types[t].as_ref(), files[t].as_mut()) else {
            continue;
        };
        row.clear();
        match info.root {
            None => row.push(hex(rec.payload)),
            Some(root) => match cells(root, rec.payload, &mut row) {
                Ok(n) if n == rec.payload.len() => {}
                Ok(n) => {
                    let at = rec.offset + n as u64;
                    bad.note(
                        rec.index,
                        koffer::read::Error {
                            offset: at,
                            kind: koffer::read::ErrorKind::PayloadTrailingBytes,
                        },
                    );
                    continue;
                }
                Err(e) => {
                    bad.note(rec.index, e.in_record(&rec));
                    continue;
                }
            },
        }
        file.out.write_all(csv_line(&row).as_bytes())?;
    }
    for f in files.iter_mut().flatten() {
        f.out
            .flush()
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", f.path.display())))?;
    }
    Ok(bad.warning("their rows are left out"))
}

/// The `--format json` document of `bytes`, as `export` writes it (the
/// intact records of a damaged container); `None` if its header is unreadable.
pub fn json_text(bytes: &[u8]) -> Option<String> {
    let reader = Reader::new(bytes).ok()?;
    let scan = scan(&reader);
    let types = types(&scan.schemas);
    let mut out = Vec::new();
    json(&scan, &types, &mut out).ok()?;
    String::from_utf8(out).ok()
}
