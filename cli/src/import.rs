//! `koffer import`: rebuilds a container from `export --format json`
//! (spec `spec/export-json.md`), frame by frame, byte for byte.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use koffer::block::{BlockHeader, TablePacker};
use koffer::frame::{self, kind, Chain};
use koffer::header::Header;
use koffer::json::Importer;
use koffer::meta::{value_type, Entry, OwnedValue};
use koffer::read::{Completeness, Reader};
use koffer::schema::{Definition, Node, Schema};
use koffer::{limits, varint};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::doc::{self, unhex, FormatDesc, FrameDesc};
use crate::output::{self, Output};
use crate::progress::Progress;
use crate::{display_name, input, status};

/// Exit status for an import input that is not a valid export document.
const BAD_INPUT: u8 = status::CORRUPT;

#[derive(Deserialize)]
struct DocIn<'a> {
    koffer_export: u32,
    format: FormatDesc,
    #[serde(borrow)]
    metadata: Vec<&'a RawValue>,
    #[serde(borrow)]
    schemas: Vec<&'a RawValue>,
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
    #[serde(borrow)]
    frames: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct MetaIn<'a> {
    key: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(borrow)]
    value: &'a RawValue,
}

#[derive(Deserialize)]
struct SchemaIn {
    record_type: u8,
    name: String,
    version: u32,
    definition: String,
}

#[derive(Deserialize)]
struct RecordIn<'a> {
    record_type: u8,
    /// `null` is a value here (a unit, an absent option), not an absent key.
    #[serde(borrow, default, deserialize_with = "present")]
    value: Option<&'a RawValue>,
    #[serde(default)]
    payload: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct AnchorIn<'a> {
    #[serde(borrow)]
    boot_ms: &'a RawValue,
    #[serde(borrow)]
    unix_ms: &'a RawValue,
}

/// An import error: where in the JSON text, and what was wrong.
pub(crate) struct Fault {
    pub(crate) offset: usize,
    pub(crate) what: String,
}

fn fault(offset: usize, what: impl Into<String>) -> Fault {
    Fault {
        offset,
        what: what.into(),
    }
}

/// Byte offset of `part` (a slice of `text`) in `text`.
fn offset_in(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// Byte offset of serde_json's 1-based line and column in `text`.
fn line_col_offset(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off + column.saturating_sub(1).min(l.len());
        }
        off += l.len();
    }
    text.len()
}

/// Parses `raw` (a slice of `text`) as a `T`, faults at the right offset.
fn parse<'a, T: Deserialize<'a>>(text: &str, raw: &'a str, what: &str) -> Result<T, Fault> {
    serde_json::from_str(raw).map_err(|e| {
        let at = offset_in(text, raw) + line_col_offset(raw, e.line(), e.column());
        let msg = e.to_string();
        // serde_json appends " at line L column C", which would be relative to `raw`.
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        fault(at, format!("{what}: {msg}"))
    })
}

pub fn import(file: &Path, output: &Path) -> u8 {
    let name = display_name(file);
    if file.as_os_str() != "-" && output.as_os_str() != "-" && output::same_file(output, file) {
        fail!(
            "koffer: {}: is the input file: refusing to overwrite it (write the container to another file)",
            display_name(output)
        );
        return status::IO;
    }
    let bytes = match input::open(file) {
        Ok(b) => b,
        Err(e) => {
            fail!("koffer: {name}: cannot read: {e}");
            return status::IO;
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            fail!(
                "koffer: {name}: at JSON byte {at} (line {}): expected UTF-8 text (JSON), found an invalid byte",
                line_of(&bytes[..at])
            );
            crate::json_detail(&bytes, at);
            return BAD_INPUT;
        }
    };
    let container = match rebuild(text) {
        Ok(c) => c,
        Err(f) => {
            fail!(
                "koffer: {name}: at JSON byte {} (line {}): {}",
                f.offset,
                line_of(&bytes[..f.offset.min(bytes.len())]),
                f.what
            );
            crate::json_detail(&bytes, f.offset);
            return BAD_INPUT;
        }
    };
    let written = if output.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(&container).and_then(|()| out.flush())
    } else {
        Output::create(output, file).and_then(|mut out| {
            out.write_all(&container)?;
            out.commit()
        })
    };
    match written {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            fail!("koffer: {}: cannot write: {e}", display_name(output));
            status::IO
        }
    }
}

fn line_of(bytes: &[u8]) -> usize {
    1 + bytes.iter().filter(|&&b| b == b'\n').count()
}

/// A decimal integer written as a JSON string (or, leniently, a number).
fn integer<T: std::str::FromStr>(text: &str, raw: &RawValue, what: &str) -> Result<T, Fault> {
    let at = offset_in(text, raw.get());
    let s = raw.get().trim();
    let digits = match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(d) => d,
        None => s,
    };
    digits.parse().map_err(|_| {
        fault(
            at,
            format!("{what}: expected a decimal integer in range (as a string), found {s}"),
        )
    })
}

fn string(text: &str, raw: &RawValue, what: &str) -> Result<String, Fault> {
    parse(text, raw.get(), what)
}

fn metadata_value(text: &str, m: &MetaIn<'_>, f64_ty: Node<'_>) -> Result<OwnedValue, Fault> {
    let at = offset_in(text, m.value.get());
    let what = format!("metadata {:?} ({})", m.key, m.ty);
    Ok(match m.ty.as_str() {
        "bool" => OwnedValue::Bool(parse(text, m.value.get(), &what)?),
        "uint" => OwnedValue::Uint(integer(text, m.value, &what)?),
        "int" => OwnedValue::Int(integer(text, m.value, &what)?),
        "time" => OwnedValue::Time(integer(text, m.value, &what)?),
        "float" => {
            let bytes = koffer::json::from_json(f64_ty, m.value.get()).map_err(|e| match e {
                koffer::json::Error::Json { offset, kind } => {
                    fault(at + offset, format!("{what}: {kind}"))
                }
                e => fault(at, format!("{what}: {e}")),
            })?;
            let arr: [u8; 8] = bytes
                .try_into()
                .map_err(|_| fault(at, format!("{what}: expected an f64")))?;
            OwnedValue::Float(f64::from_le_bytes(arr))
        }
        "str" => OwnedValue::Str(string(text, m.value, &what)?),
        "bytes" => OwnedValue::Bytes(
            unhex(&string(text, m.value, &what)?).map_err(|e| fault(at, format!("{what}: {e}")))?,
        ),
        "anchor" => {
            let a: AnchorIn<'_> = parse(text, m.value.get(), &what)?;
            OwnedValue::Anchor {
                boot_ms: integer(text, a.boot_ms, &what)?,
                unix_ms: integer(text, a.unix_ms, &what)?,
            }
        }
        other => {
            let code = other
                .strip_prefix("0x")
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .filter(|&c| c > value_type::ANCHOR)
                .ok_or_else(|| {
                    fault(
                        offset_in(text, m.value.get()),
                        format!(
                            "{what}: expected a type bool, uint, int, float, str, bytes, time, anchor or 0x09..0xff"
                        ),
                    )
                })?;
            OwnedValue::Unknown {
                value_type: code,
                bytes: unhex(&string(text, m.value, &what)?)
                    .map_err(|e| fault(at, format!("{what}: {e}")))?,
            }
        }
    })
}

/// A frame refused by the chain (only a body over the size limit: the sink,
/// a `Vec`, does not fail).
fn chain_error(e: koffer::write::Error<core::convert::Infallible>) -> String {
    match e {
        koffer::write::Error::FrameTooLarge { len } => format!(
            "frame body of {len} bytes exceeds the limit of {} bytes",
            limits::MAX_FRAME_BODY
        ),
        e => e.to_string(),
    }
}

/// Appends the payload of record `raw` (a slice of `text`), which must be
/// of type `block_type`, to `payload`.
///
/// In one pass when it can ([`OnePass`]); a record the one pass cannot read
/// (an error, an escaped key) is read again the careful way, which finds and
/// reports its fault.
fn record(
    text: &str,
    raw: &RawValue,
    block_type: u8,
    importers: &HashMap<u8, Importer>,
    payload: &mut Vec<u8>,
) -> Result<(), Fault> {
    let start = payload.len();
    let mut one = OnePass {
        text: raw.get(),
        importers,
        payload: &mut *payload,
        record_type: None,
        value: None,
        hex: None,
        at: 0,
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    if de.deserialize_map(&mut one).is_ok() && one.record_type == Some(block_type) {
        match (one.hex.take(), one.value) {
            (None, Some(OnePassValue::Read)) => return Ok(()),
            (Some(hex), _) => {
                if let Ok(bytes) = unhex(&hex) {
                    payload.truncate(start);
                    payload.extend_from_slice(&bytes);
                    return Ok(());
                }
            }
            _ => {}
        }
    }
    payload.truncate(start);
    record_in_two_passes(text, raw, block_type, importers, payload)
}

/// [`record`]'s careful way: the record's keys first, its value then.
fn record_in_two_passes(
    text: &str,
    raw: &RawValue,
    record_type: u8,
    importers: &HashMap<u8, Importer>,
    payload: &mut Vec<u8>,
) -> Result<(), Fault> {
    let rat = offset_in(text, raw.get());
    let r: RecordIn<'_> = parse(text, raw.get(), "a record")?;
    if r.record_type != record_type {
        return Err(fault(
            rat,
            format!(
                "expected a record of type {record_type} (its block's), found type {}",
                r.record_type
            ),
        ));
    }
    match (&r.payload, r.value) {
        (Some(hex), _) => payload.extend_from_slice(
            &unhex(hex).map_err(|e| fault(rat, format!("record payload: {e}")))?,
        ),
        (None, Some(v)) => {
            let Some(importer) = importers.get(&record_type) else {
                return Err(fault(
                    rat,
                    format!(
                        "expected \"payload\": record type {record_type} has no described layout"
                    ),
                ));
            };
            let vat = offset_in(text, v.get());
            importer.append(v.get(), payload).map_err(|e| match e {
                koffer::json::Error::Json { offset, kind } => {
                    fault(vat + offset, format!("record value: {kind}"))
                }
                e => fault(vat, format!("record value: {e}")),
            })?;
        }
        (None, None) => {
            return Err(fault(
                rat,
                "expected a record with \"value\" or \"payload\"",
            ))
        }
    }
    Ok(())
}

/// A record object read in one pass: `record_type`, then `value` read by its
/// type's [`Importer`] straight into the payload (no second scan of the
/// value), or `payload`; other keys skipped. Any fault, a key with escapes,
/// or `value` before `record_type` stops it (an error, or no value read):
/// [`record`] then reads the record the careful way.
struct OnePass<'r, 'j> {
    /// The record's JSON text.
    text: &'j str,
    importers: &'r HashMap<u8, Importer>,
    payload: &'r mut Vec<u8>,
    record_type: Option<u8>,
    value: Option<OnePassValue>,
    hex: Option<String>,
    /// Where its value starts in `text`, once read.
    at: usize,
}

/// What became of a record's `value` in [`OnePass`].
enum OnePassValue {
    /// Appended to the payload.
    Read,
    /// Skipped: its type was not known (yet) or has no layout.
    Skipped,
}

impl<'j> serde::de::Visitor<'j> for &mut OnePass<'_, 'j> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record object")
    }

    fn visit_map<A: serde::de::MapAccess<'j>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::{Error, IgnoredAny};
        while let Some(key) = map.next_key::<&'j str>()? {
            match key {
                "record_type" if self.record_type.is_none() => {
                    self.record_type = Some(map.next_value()?);
                }
                "value" if self.value.is_none() => {
                    let importer = self.record_type.and_then(|t| self.importers.get(&t));
                    self.value = Some(match importer {
                        Some(importer) => {
                            // The value starts after the key's closing quote.
                            let at = offset_in(self.text, key) + key.len() + 1;
                            self.at = at;
                            let seed = importer.seed(self.text, at);
                            map.next_value_seed(seed.to(&mut *self.payload))?;
                            OnePassValue::Read
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                            OnePassValue::Skipped
                        }
                    });
                }
                "payload" if self.hex.is_none() => self.hex = Some(map.next_value()?),
                "record_type" | "value" | "payload" => {
                    return Err(A::Error::custom("duplicate key"))
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The records of a document read in its one pass: their payloads back to
/// back, and each record's type and end in them.
struct RecordsRead {
    payloads: Vec<u8>,
    records: Vec<(u8, usize)>,
}

impl RecordsRead {
    /// Record `i`'s type and payload.
    fn get(&self, i: usize) -> (u8, &[u8]) {
        let start = if i == 0 { 0 } else { self.records[i - 1].1 };
        let (t, end) = self.records[i];
        (t, &self.payloads[start..end])
    }
}

/// The export document read in one pass, every record's value straight into
/// its payload ([`OnePass`]): `None` if the pass does not take it as the
/// exporter writes it ("schemas" before "records", every record read in one
/// pass) or finds a fault anywhere.
fn one_pass_document<'j>(
    text: &'j str,
    progress: &mut Progress,
) -> Option<(DocIn<'j>, RecordsRead)> {
    let mut pass = DocPass {
        text,
        progress,
        importers: HashMap::new(),
        records: None,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = de.deserialize_map(&mut pass).ok()?;
    de.end().ok()?;
    Some((doc, pass.records?))
}

/// The visitor of [`one_pass_document`].
struct DocPass<'p, 'j> {
    text: &'j str,
    progress: &'p mut Progress,
    /// By record type, from "schemas".
    importers: HashMap<u8, Importer>,
    records: Option<RecordsRead>,
}

/// Stops the one pass: the careful way reads the document again.
fn not_in_one_pass<E: serde::de::Error>() -> E {
    E::custom("not in one pass")
}

impl<'j> serde::de::Visitor<'j> for &mut DocPass<'_, 'j> {
    type Value = DocIn<'j>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an export document")
    }

    fn visit_map<A: serde::de::MapAccess<'j>>(self, mut map: A) -> Result<DocIn<'j>, A::Error> {
        use serde::de::IgnoredAny;
        let (mut version, mut format, mut metadata, mut schemas, mut frames) =
            (None, None, None, None, None);
        while let Some(key) = map.next_key::<&'j str>()? {
            match key {
                "koffer_export" if version.is_none() => version = Some(map.next_value()?),
                "format" if format.is_none() => format = Some(map.next_value()?),
                "metadata" if metadata.is_none() => metadata = Some(map.next_value()?),
                "schemas" if schemas.is_none() => {
                    let raws: Vec<&'j RawValue> = map.next_value()?;
                    for raw in &raws {
                        let s: SchemaIn =
                            serde_json::from_str(raw.get()).map_err(|_| not_in_one_pass())?;
                        let def = unhex(&s.definition).map_err(|_| not_in_one_pass())?;
                        let def = Definition::parse(&def).map_err(|_| not_in_one_pass())?;
                        if let Some(root) = def.root() {
                            self.importers.insert(s.record_type, Importer::new(root));
                        }
                    }
                    schemas = Some(raws);
                }
                "records" if self.records.is_none() && schemas.is_some() => {
                    self.records = Some(map.next_value_seed(RecordsPass {
                        text: self.text,
                        importers: &self.importers,
                        progress: &mut *self.progress,
                    })?);
                }
                "frames" if frames.is_none() => frames = Some(map.next_value()?),
                "koffer_export" | "format" | "metadata" | "schemas" | "records" | "frames" => {
                    return Err(not_in_one_pass())
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (version, format, metadata, schemas, frames) {
            (Some(koffer_export), Some(format), Some(metadata), Some(schemas), Some(frames)) => {
                Ok(DocIn {
                    koffer_export,
                    format,
                    metadata,
                    schemas,
                    records: Vec::new(),
                    frames,
                })
            }
            _ => Err(not_in_one_pass()),
        }
    }
}

/// "records" in the one pass: each record by [`OnePass`].
struct RecordsPass<'r, 'j> {
    text: &'j str,
    importers: &'r HashMap<u8, Importer>,
    progress: &'r mut Progress,
}

impl<'j> serde::de::DeserializeSeed<'j> for RecordsPass<'_, 'j> {
    type Value = RecordsRead;

    fn deserialize<D: Deserializer<'j>>(self, d: D) -> Result<RecordsRead, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'j> serde::de::Visitor<'j> for RecordsPass<'_, 'j> {
    type Value = RecordsRead;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'j>>(self, mut seq: A) -> Result<RecordsRead, A::Error> {
        let mut read = RecordsRead {
            payloads: Vec::new(),
            records: Vec::new(),
        };
        loop {
            let start = read.payloads.len();
            let mut one = OnePass {
                text: self.text,
                importers: self.importers,
                payload: &mut read.payloads,
                record_type: None,
                value: None,
                hex: None,
                at: 0,
            };
            if seq.next_element_seed(&mut one)?.is_none() {
                break;
            }
            let at = one.at;
            let Some(record_type) = one.record_type else {
                return Err(not_in_one_pass());
            };
            match (one.hex.take(), one.value) {
                (None, Some(OnePassValue::Read)) => {}
                (Some(hex), _) => {
                    let bytes = unhex(&hex).map_err(|_| not_in_one_pass())?;
                    read.payloads.truncate(start);
                    read.payloads.extend_from_slice(&bytes);
                }
                _ => return Err(not_in_one_pass()),
            }
            read.records.push((record_type, read.payloads.len()));
            self.progress.set(at as u64);
        }
        Ok(read)
    }
}

impl<'j> serde::de::DeserializeSeed<'j> for &mut OnePass<'_, 'j> {
    type Value = ();

    fn deserialize<D: Deserializer<'j>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

pub(crate) fn rebuild(text: &str) -> Result<Vec<u8>, Fault> {
    // By JSON bytes: the bar follows the records as the one pass reads them;
    // the careful way, it waits at 0 while the document is parsed, then
    // follows the records as their blocks are rebuilt.
    let mut progress = Progress::new(text.len() as u64, "importing");
    // The whole document in one pass, records and all; a document that pass
    // does not take (or that has a fault) is read again the careful way,
    // which reports the first fault where it is.
    if let Some((doc, read)) = one_pass_document(text, &mut progress) {
        if let Ok(container) = rebuild_doc(text, doc, Some(&read), &mut progress) {
            return Ok(container);
        }
    }
    progress.label("parsing JSON");
    let doc: DocIn<'_> = parse(text, text, "the export document")?;
    progress.label("importing");
    rebuild_doc(text, doc, None, &mut progress)
}

/// Rebuilds the container `doc` describes; its records are `read` when the
/// document's one pass read them, else `doc.records`.
fn rebuild_doc(
    text: &str,
    doc: DocIn<'_>,
    read: Option<&RecordsRead>,
    progress: &mut Progress,
) -> Result<Vec<u8>, Fault> {
    let records_len = read.map_or(doc.records.len(), |r| r.records.len());
    if doc.koffer_export != doc::VERSION {
        return Err(fault(
            0,
            format!(
                "expected \"koffer_export\": {}, found {}",
                doc::VERSION,
                doc.koffer_export
            ),
        ));
    }
    let f64_def = Definition::parse(doc::F64_DEFINITION).ok();
    let f64_ty = f64_def
        .as_ref()
        .and_then(|d| d.root())
        .ok_or_else(|| fault(0, "internal: no f64 type"))?;

    let mut metadata = Vec::with_capacity(doc.metadata.len());
    for raw in &doc.metadata {
        let m: MetaIn<'_> = parse(text, raw.get(), "a metadata entry")?;
        let v = metadata_value(text, &m, f64_ty)?;
        metadata.push((offset_in(text, raw.get()), m.key, v));
    }

    // Schemas by record type, with their definitions parsed once.
    let mut schemas: HashMap<u8, (usize, SchemaIn, Vec<u8>)> = HashMap::new();
    for raw in &doc.schemas {
        let at = offset_in(text, raw.get());
        let s: SchemaIn = parse(text, raw.get(), "a schema")?;
        let def = unhex(&s.definition).map_err(|e| fault(at, format!("schema definition: {e}")))?;
        if let Err(e) = Definition::parse(&def) {
            return Err(fault(
                at,
                format!("schema {:?}: its definition is invalid: {e}", s.name),
            ));
        }
        if schemas.insert(s.record_type, (at, s, def)).is_some() {
            return Err(fault(at, "expected one schema per record type: duplicate"));
        }
    }
    // Each described record type's definition read once, into the plan its
    // records' values are read by.
    let importers: HashMap<u8, Importer> = schemas
        .iter()
        .filter_map(|(&t, (_, _, def))| {
            let def = Definition::parse(def).ok()?;
            Some((t, Importer::new(def.root()?)))
        })
        .collect();

    let header = Header {
        major: doc.format.major,
        minor: doc.format.minor,
        required_features: doc.format.required_features,
        optional_features: doc.format.optional_features,
    }
    .to_bytes();
    // Vec<u8> as a sink never fails.
    let mut chain = Chain::start(Vec::new(), &header).map_err(|e| fault(0, chain_error(e)))?;

    let mut next_meta = 0usize;
    let mut next_record = 0usize;
    let mut payload = Vec::new();
    let mut lens = Vec::new();
    let mut ended = false;
    for raw in &doc.frames {
        let at = offset_in(text, raw.get());
        if ended {
            return Err(fault(at, "expected no frame after the end frame"));
        }
        let f: FrameDesc = parse(text, raw.get(), "a frame")?;
        let r = match f {
            FrameDesc::Metadata { entries } => {
                let n = usize::try_from(entries).unwrap_or(usize::MAX);
                let Some(chunk) = metadata.get(next_meta..next_meta.saturating_add(n)) else {
                    return Err(fault(
                        at,
                        format!(
                            "a metadata frame of {entries} entries: expected that many entries left in \"metadata\", found {}",
                            metadata.len() - next_meta
                        ),
                    ));
                };
                next_meta += n;
                let entries: Vec<Entry<'_>> = chunk
                    .iter()
                    .map(|(_, k, v)| Entry::new(k, v.as_value()))
                    .collect();
                for ((at, k, _), e) in chunk.iter().zip(&entries) {
                    if let Err(kind) = e.validate() {
                        return Err(fault(*at, format!("metadata {k:?}: {kind}")));
                    }
                }
                let mut body = Vec::with_capacity(koffer::meta::body_len(&entries));
                let mut tmp = [0u8; varint::MAX_LEN_U64];
                body.extend_from_slice(varint::encode_u64(entries.len() as u64, &mut tmp));
                for e in &entries {
                    let _ = e.encode(&mut |b: &[u8]| -> Result<(), ()> {
                        body.extend_from_slice(b);
                        Ok(())
                    });
                }
                chain.frame(kind::METADATA, &[&body])
            }
            FrameDesc::Schema { record_type } => {
                let Some((_, s, def)) = schemas.get(&record_type) else {
                    return Err(fault(
                        at,
                        format!("expected a schema of record type {record_type} in \"schemas\""),
                    ));
                };
                let schema = Schema {
                    record_type,
                    name: &s.name,
                    version: s.version,
                    definition: def,
                };
                if let Err(kind) = schema.validate() {
                    return Err(fault(at, format!("schema {:?}: {kind}", s.name)));
                }
                let mut body = Vec::with_capacity(schema.body_len());
                let _ = schema.encode(&mut |b: &[u8]| -> Result<(), ()> {
                    body.extend_from_slice(b);
                    Ok(())
                });
                chain.frame(kind::SCHEMA, &[&body])
            }
            FrameDesc::Block {
                record_type,
                count,
                base_len,
                width,
            } => {
                let n = count as usize;
                let range = next_record..next_record.saturating_add(n);
                if range.end > records_len {
                    return Err(fault(
                        at,
                        format!(
                            "a block of {count} records: expected that many records left in \"records\", found {}",
                            records_len - next_record
                        ),
                    ));
                }
                next_record += n;
                payload.clear();
                lens.clear();
                for i in range {
                    let start = payload.len();
                    let rat = match read {
                        Some(read) => {
                            // Read in the one pass: a fault here sends the
                            // document to the careful way, which places it.
                            let (t, bytes) = read.get(i);
                            if t != record_type {
                                return Err(fault(at, "a record of another type"));
                            }
                            payload.extend_from_slice(bytes);
                            at
                        }
                        None => {
                            let raw = doc.records[i];
                            let rat = offset_in(text, raw.get());
                            progress.set(rat as u64);
                            record(text, raw, record_type, &importers, &mut payload)?;
                            rat
                        }
                    };
                    let len = (payload.len() - start) as u64;
                    let fits = len >= u64::from(base_len)
                        && width <= 16
                        && (len - u64::from(base_len)) < (1u64 << width);
                    if !fits {
                        return Err(fault(
                            rat,
                            format!(
                                "a record of {len} bytes does not fit its block (base_len {base_len}, width {width})"
                            ),
                        ));
                    }
                    lens.push((len - u64::from(base_len)) as u32);
                }
                let h = BlockHeader {
                    record_type,
                    count,
                    base_len,
                    width,
                };
                let mut head = [0u8; BlockHeader::MAX_LEN];
                let hn = h.encode(&mut head);
                let mut body = Vec::with_capacity(hn + h.table_len() + payload.len());
                body.extend_from_slice(&head[..hn]);
                let mut put = |b: &[u8]| -> Result<(), ()> {
                    body.extend_from_slice(b);
                    Ok(())
                };
                let mut packer = TablePacker::new(width);
                for &d in &lens {
                    let _ = packer.push(d, &mut put);
                }
                let _ = packer.finish(&mut put);
                body.extend_from_slice(&payload);
                chain.count_block(count);
                chain.frame(kind::BLOCK, &[&body])
            }
            FrameDesc::Ancillary { kind, body } => {
                if frame::kind::class(kind) != frame::kind::Class::Ancillary {
                    return Err(fault(
                        at,
                        format!("expected an ancillary kind (0x40..=0x7f), found {kind:#04x}"),
                    ));
                }
                let body = unhex(&body).map_err(|e| fault(at, format!("ancillary body: {e}")))?;
                chain.frame(kind, &[&body])
            }
            FrameDesc::End => {
                ended = true;
                chain.end()
            }
        };
        r.map_err(|e| fault(at, chain_error(e)))?;
    }
    let end_of = |raws: &[&RawValue]| raws.last().map_or(text.len(), |r| offset_in(text, r.get()));
    if next_meta < metadata.len() {
        return Err(fault(
            metadata[next_meta].0,
            format!(
                "{} metadata entries are in no metadata frame of \"frames\"",
                metadata.len() - next_meta
            ),
        ));
    }
    if next_record < records_len {
        return Err(fault(
            doc.records
                .get(next_record)
                .map_or(0, |r| offset_in(text, r.get())),
            format!(
                "{} records are in no block of \"frames\"",
                records_len - next_record
            ),
        ));
    }
    // The rebuilt container must read back intact (schemas before their blocks, ...).
    let out = chain.into_sink();
    let reader = Reader::new(&out).map_err(|e| fault(0, format!("the header: {e}")))?;
    match reader.verify() {
        Ok(s) => {
            let complete = s.completeness == Completeness::Complete;
            if complete != ended {
                return Err(fault(
                    end_of(&doc.frames),
                    "the rebuilt container does not read back as described",
                ));
            }
        }
        Err(e) => {
            return Err(fault(
                end_of(&doc.frames),
                format!("the frames describe an invalid container: {e}"),
            ))
        }
    }
    Ok(out)
}
