//! The `export` outputs: the JSON document and NDJSON lines (spec
//! `spec/export-json.md`), and what they share with CSV.

use std::io::{self, Write};

use koffer::json::Exporter;
use koffer::meta::{Entry, Value};
use koffer::read::{Reader, Record};
use koffer::schema::{Definition, Node, Schema};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::doc::{self, hex, FormatDesc};
use crate::scan::{Problem, Scan};
use crate::{civil, layout};

/// What an export wrote around the records it could: what was dropped from
/// the container and which records did not follow their schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What was dropped from a damaged or incomplete container and where
    /// (its intact records were exported); `None` for a complete one.
    pub problem: Option<Problem>,
    /// Records that do not follow their schema (exported as `"payload"` hex
    /// with an `"error"` in JSON and NDJSON; left out of CSV).
    pub bad_records: u64,
    /// The first of them: its index and the container's error (kind and
    /// file offset by spec `format.md` §10.4).
    pub first_bad_record: Option<(u64, koffer::read::Error)>,
    /// The warning about them that `koffer export` prints (after the
    /// problem's), minus the `koffer: FILE: warning: ` prefix.
    pub warning: Option<String>,
}

impl Outcome {
    /// The whole warning line `koffer export` prints, minus the
    /// `koffer: FILE: warning: ` prefix; `None` when nothing was dropped or
    /// bad.
    pub fn warning_line(&self) -> Option<String> {
        let mut warnings = Vec::new();
        if let Some(p) = &self.problem {
            warnings.push(format!(
                "{}; every intact record before it was exported",
                p.message
            ));
        }
        if let Some(b) = &self.warning {
            warnings.push(b.clone());
        }
        (!warnings.is_empty()).then(|| warnings.join("; "))
    }
}

/// A record that does not follow its schema ([`Export::first_bad_record`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// Its index in the container.
    pub index: u64,
    /// The container's error: kind and file offset (spec `format.md` §10.4).
    pub error: koffer::read::Error,
    /// The decoder's detail: what was wrong with the value at which byte.
    pub detail: String,
}

/// The record types of a scanned container, ready to export; borrows the
/// [`Scan`]. Built by [`Export::new`]; the `write_*` functions of the crate
/// root make one for you.
pub struct Export<'s, 'a> {
    pub(crate) scan: &'s Scan<'a>,
    pub(crate) reader: Reader<'a>,
    pub(crate) types: Vec<Option<TypeInfo<'a>>>,
}

impl<'s, 'a> Export<'s, 'a> {
    /// The exporter of a scan; `None` when its header could not be read.
    ///
    /// ```
    /// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
    /// let scan = koffer_export::scan(&bytes);
    /// let export = koffer_export::Export::new(&scan).unwrap();
    /// let mut out = Vec::new();
    /// let outcome = export.write_ndjson(&mut out, &mut |_| {}).unwrap();
    /// assert!(outcome.problem.is_none() && outcome.bad_records == 0);
    /// assert_eq!(out.iter().filter(|&&b| b == b'\n').count() as u64, scan.total_records());
    /// ```
    pub fn new(scan: &'s Scan<'a>) -> Option<Self> {
        Some(Export {
            scan,
            reader: scan.checked?,
            types: types(&scan.schemas),
        })
    }

    /// The scan it exports.
    pub fn scan(&self) -> &'s Scan<'a> {
        self.scan
    }

    pub(crate) fn outcome(&self, bad: BadRecords, what: &str) -> Outcome {
        Outcome {
            problem: self.scan.problem(),
            bad_records: bad.count,
            first_bad_record: bad.first,
            warning: bad.warning(what),
        }
    }

    /// The first record of the valid prefix that does not follow its
    /// definition (what `export --strict` refuses), calling `progress` with
    /// each record's offset.
    pub fn first_bad_record(&self, progress: &mut dyn FnMut(u64)) -> Option<BadRecord> {
        first_bad_record(&self.reader, &self.types, progress).map(|(index, error, detail)| {
            BadRecord {
                index,
                error,
                detail,
            }
        })
    }

    /// The `export --format json` document (spec `spec/export-json.md`),
    /// calling `progress` with each record's offset.
    pub fn write_json(
        &self,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64),
    ) -> io::Result<Outcome> {
        let bad = json(self.scan, &self.reader, &self.types, out, progress)?;
        Ok(self.outcome(
            bad,
            "they are exported as \"payload\" hex with an \"error\"",
        ))
    }

    /// The `export --format ndjson` lines, calling `progress` with each
    /// record's offset.
    pub fn write_ndjson(
        &self,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64),
    ) -> io::Result<Outcome> {
        let bad = ndjson(&self.reader, &self.types, out, progress)?;
        Ok(self.outcome(bad, "their lines carry \"payload\" hex and an \"error\""))
    }
}

/// The error a writer returns for a file whose header cannot be read:
/// `InvalidData`, with the reader's message.
pub(crate) fn unreadable(scan: &Scan<'_>) -> io::Error {
    let text = match &scan.outcome {
        Err(e) => e.to_string(),
        Ok(_) => "the file header cannot be read".to_string(),
    };
    io::Error::new(io::ErrorKind::InvalidData, text)
}

/// `koffer export --format json`: the export document of the container in
/// `bytes` (its intact records, when damaged), exactly as the command
/// writes it. Fails with `InvalidData` when the file header cannot be read.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let mut out = Vec::new();
/// let outcome = koffer_export::write_json(&bytes, &mut out).unwrap();
/// assert!(outcome.warning_line().is_none());
/// assert!(out.starts_with(b"{\"koffer_export\":1,"));
/// ```
pub fn write_json(bytes: &[u8], out: &mut dyn Write) -> io::Result<Outcome> {
    let scan = crate::scan(bytes);
    let ex = Export::new(&scan).ok_or_else(|| unreadable(&scan))?;
    ex.write_json(out, &mut |_| {})
}

/// `koffer export --format ndjson`: one record object a line, exactly as
/// the command writes them. Fails with `InvalidData` when the file header
/// cannot be read.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let mut out = Vec::new();
/// koffer_export::write_ndjson(&bytes, &mut out).unwrap();
/// assert!(out.starts_with(b"{\"type\":"));
/// ```
pub fn write_ndjson(bytes: &[u8], out: &mut dyn Write) -> io::Result<Outcome> {
    let scan = crate::scan(bytes);
    let ex = Export::new(&scan).ok_or_else(|| unreadable(&scan))?;
    ex.write_ndjson(out, &mut |_| {})
}

/// A record type as the exporters see it.
pub(crate) struct TypeInfo<'a> {
    pub(crate) name: &'a str,
    /// `None` when the definition is empty.
    pub(crate) root: Option<Node<'a>>,
    exporter: Option<Exporter>,
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
    progress: &mut dyn FnMut(u64),
) -> Option<(u64, koffer::read::Error, String)> {
    for rec in reader.records().map_while(Result::ok) {
        progress(rec.offset);
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
pub(crate) struct BadRecords {
    count: u64,
    /// The first one: its index and the container's error.
    first: Option<(u64, koffer::read::Error)>,
}

impl BadRecords {
    pub(crate) fn note(&mut self, index: u64, error: koffer::read::Error) {
        self.count += 1;
        self.first.get_or_insert((index, error));
    }

    pub(crate) fn warning(&self, what: &str) -> Option<String> {
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
            rfc3339 = civil::rfc3339(v);
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
            rfc3339 = civil::rfc3339(unix_ms);
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
    reader: &Reader<'_>,
    types: &[Option<TypeInfo<'_>>],
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> io::Result<BadRecords> {
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
    for (i, rec) in reader.records().map_while(Result::ok).enumerate() {
        progress(rec.offset);
        line.clear();
        line.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        record_object(types, &prefixes, &rec, &mut num, &mut line, &mut bad);
        out.write_all(&line)?;
    }
    out.write_all(b"\n],\n")?;
    list(out, "frames", &scan.frames)?;
    out.write_all(b"}\n")?;
    Ok(bad)
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
    progress: &mut dyn FnMut(u64),
) -> io::Result<BadRecords> {
    let prefixes = record_prefixes(types);
    let mut bad = BadRecords::default();
    let mut line = Vec::with_capacity(256);
    let mut num = itoa_buf();
    for rec in reader.records().map_while(Result::ok) {
        progress(rec.offset);
        line.clear();
        record_object(types, &prefixes, &rec, &mut num, &mut line, &mut bad);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(bad)
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
