//! `koffer inspect`: the report, as text and as `--json`.

use std::fmt::Write as _;

use koffer::header::Header;
use koffer::meta::{value_type, Entry, Value};
use koffer::read::{Completeness, Error, Tail};
use serde::Serialize;

use crate::scan::{class_name, FrameCounts, Scan};
use crate::{civil, doc, layout};

/// `koffer inspect --json` without the files: the report on `bytes`, shown
/// under the name `file` (the command passes the path it was given, or
/// `<stdin>`). `Err` when the file header cannot be read (the command then
/// prints only the error line). Print it with [`Report::to_json`] for the
/// command's exact bytes, or serialise it any way you like.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let report = koffer_export::inspect_json(&bytes, "wearable.koffer").unwrap();
/// assert_eq!(report.status, "complete");
/// let text = report.to_json().unwrap();
/// assert!(text.starts_with("{\n  \"file\": \"wearable.koffer\""));
/// assert!(koffer_export::inspect_json(b"not a container", "x").is_err());
/// ```
pub fn inspect_json(bytes: &[u8], file: &str) -> Result<Report, Error> {
    let s = crate::scan(bytes);
    match s.header {
        Some(header) => Ok(Report::new(file, &s, header)),
        // `scan` keeps the header's error as its outcome.
        None => Err(s.outcome.err().unwrap_or(Error {
            offset: 0,
            kind: koffer::read::ErrorKind::HeaderTruncated,
        })),
    }
}

/// [`inspect_json`] on a scan already made (no second pass); `None` when its
/// header could not be read.
pub fn report(s: &Scan<'_>, file: &str) -> Option<Report> {
    Some(Report::new(file, s, s.header?))
}

/// What an incomplete container's tail held, in the words `inspect` and
/// `verify` use.
///
/// ```
/// use koffer::read::Tail;
/// assert_eq!(koffer_export::tail_text(Tail::Torn { len: 3 }), "dropped 3 bytes of a torn (cut short) frame");
/// ```
pub fn tail_text(tail: Tail) -> String {
    match tail {
        Tail::None => "nothing dropped (the input ends on a frame boundary)".to_string(),
        Tail::Unwritten { len } => {
            format!("dropped {len} bytes of unwritten storage (all 0x00 or all 0xFF)")
        }
        Tail::Torn { len } => format!("dropped {len} bytes of a torn (cut short) frame"),
    }
}

/// [`tail_text`], told apart further with the input in hand: a torn frame
/// followed by unwritten storage (a flash chip's erased `0xFF`, a file
/// extended with zeros) says how many of the dropped bytes are the torn
/// frame and how many the fill after the written end (spec `format.md`
/// §10.3).
///
/// ```
/// use koffer::read::Tail;
/// // 9 bytes of a valid prefix, 3 of a torn frame, 8 of erased flash.
/// let mut input = vec![0u8; 9];
/// input.extend([0x03, 0x20, 0x07]);
/// input.extend([0xFF; 8]);
/// assert_eq!(
///     koffer_export::tail_text_in(&input, 9, Tail::Torn { len: 11 }),
///     "dropped 11 bytes: a torn (cut short) frame at bytes 9..12, \
///      then 8 bytes of unwritten storage (all 0xFF) at bytes 12..20"
/// );
/// // A cut file whose last bytes happen to be a zero or two says no more.
/// let cut = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x00, 0x00];
/// assert_eq!(
///     koffer_export::tail_text_in(&cut, 9, Tail::Torn { len: 3 }),
///     "dropped 3 bytes of a torn (cut short) frame"
/// );
/// ```
pub fn tail_text_in(input: &[u8], valid_len: u64, tail: Tail) -> String {
    match torn_then_unwritten(input, valid_len, tail) {
        Some((w, fill)) => format!(
            "dropped {} bytes: a torn (cut short) frame at bytes {valid_len}..{w}, \
             then {} bytes of unwritten storage (all {fill}) at bytes {w}..{}",
            input.len() as u64 - valid_len,
            input.len() as u64 - w,
            input.len()
        ),
        None => tail_text(tail),
    }
}

/// The shortest final run of `0x00` or `0xFF` that the messages call
/// unwritten storage after a torn frame: a frame cut short may well end on a
/// few such bytes of its own (a zero in a record, a checksum's byte).
const MIN_FILL: u64 = 8;

/// For a torn tail that ends in at least [`MIN_FILL`] bytes of unwritten
/// storage: the written end and the fill byte's name; `None` for any other
/// tail.
pub(crate) fn torn_then_unwritten(
    input: &[u8],
    valid_len: u64,
    tail: Tail,
) -> Option<(u64, &'static str)> {
    let size = input.len() as u64;
    let w = written_end(input) as u64;
    match tail {
        Tail::Torn { len } if valid_len < w && w + MIN_FILL <= size && valid_len + len == size => {
            Some((
                w,
                if input[input.len() - 1] == 0xFF {
                    "0xFF"
                } else {
                    "0x00"
                },
            ))
        }
        _ => None,
    }
}

/// The input's written end (spec `format.md` §10.3): where its final run of
/// `0x00` bytes, or of `0xFF` bytes, begins; its length if its last byte is
/// neither.
fn written_end(input: &[u8]) -> usize {
    match input.last() {
        Some(&b) if b == 0x00 || b == 0xFF => {
            input.iter().rposition(|&x| x != b).map_or(0, |i| i + 1)
        }
        _ => input.len(),
    }
}

/// What `inspect` shows; serialised as is for `--json` (the fields are the
/// JSON keys, in order).
#[derive(Serialize)]
pub struct Report {
    /// The name the file was given as.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// The format version of its header.
    pub format: Format,
    /// The feature bits of its header.
    pub features: Features,
    /// Metadata entries of the intact frames, in file order.
    pub metadata: Vec<MetaEntry>,
    /// Record types (schemas), in file order, with their blocks and records.
    pub record_types: Vec<RecordTypeInfo>,
    /// Frames read intact, by kind.
    pub frames: FrameCounts,
    /// Intact blocks.
    pub blocks: u64,
    /// Records in the intact blocks.
    pub records: u64,
    /// `complete`, `incomplete`, or the error class (`corrupt`, `unsupported`, ...).
    pub status: &'static str,
    /// `status == "complete"`.
    pub complete: bool,
    /// For an incomplete container: the valid length and the tail dropped.
    pub incomplete: Option<Incomplete>,
    /// What the checksums showed.
    pub checksums: Checksums,
    /// For a damaged container: the first error.
    pub error: Option<ErrorInfo>,
    /// Disclosure receipts (spec `disclosure.md`), in file order; absent
    /// when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<crate::receipts::ReceiptInfo>,
    /// Seals (spec `seal.md`), as the container states them, not checked
    /// (`koffer verify --key` checks them); present only when the header
    /// declares the container sealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seals: Option<SealsInfo>,
}

/// What a sealed container says about its seals (spec `seal.md` §2–§4),
/// unchecked.
#[derive(Serialize)]
pub struct SealsInfo {
    /// Always false: `inspect` reads, it does not verify signatures.
    pub checked: bool,
    /// The KEY frame, if it has a well-formed one.
    pub key: Option<SealKey>,
    /// SEAL frames among the intact frames.
    pub count: u32,
}

/// A sealed container's KEY frame.
#[derive(Serialize)]
pub struct SealKey {
    /// Its offset.
    pub offset: u64,
    /// `EdDSA` or `ES256`.
    pub algorithm: &'static str,
    /// The key id: 16 lowercase hex digits.
    pub key_id: String,
    /// The seal interval *N*, in blocks.
    pub every: u32,
}

fn seals_info(bytes: &[u8]) -> Option<SealsInfo> {
    use koffer::seal::Algorithm;
    let s = koffer::seal::survey(bytes);
    s.declared.then(|| SealsInfo {
        checked: false,
        key: s.key.map(|k| SealKey {
            offset: k.offset,
            algorithm: match k.alg {
                Algorithm::EdDSA => "EdDSA",
                Algorithm::ES256 => "ES256",
            },
            key_id: hex(&k.key_id, usize::MAX),
            every: k.every,
        }),
        count: s.seals,
    })
}

/// The header's format version.
#[derive(Serialize)]
pub struct Format {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// `major.minor`.
    pub version: String,
}

/// The header's feature bits.
#[derive(Serialize)]
pub struct Features {
    /// Features a reader must know.
    pub required: u16,
    /// Features a reader may ignore.
    pub optional: u16,
}

/// One metadata entry.
#[derive(Serialize)]
pub struct MetaEntry {
    /// Its key.
    pub key: String,
    /// Its value type's name (`str`, `uint`, ..., `unknown(0x09)`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its value type's code.
    pub type_code: u8,
    /// A float as its `schema.md` §9 text (as `export` writes it), the
    /// rest as serde_json writes them.
    pub value: Box<serde_json::value::RawValue>,
    /// A time's (or an anchor's wall-clock) RFC 3339 UTC text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc3339: Option<String>,
    /// The value as `inspect` shows it in text.
    #[serde(skip)]
    pub text: String,
}

/// One record type.
#[derive(Serialize)]
pub struct RecordTypeInfo {
    /// Its record type id.
    pub id: u8,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// Length of its definition in bytes.
    pub definition_bytes: usize,
    /// FNV-1a-64 of name, version and definition (spec `schema.md` §5), hex.
    pub fingerprint: String,
    /// Root type and fields; absent when the definition is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<layout::Layout>,
    /// Its intact blocks.
    pub blocks: u64,
    /// Its records in the intact blocks.
    pub records: u64,
}

/// An incomplete container's valid prefix and dropped tail.
#[derive(Serialize)]
pub struct Incomplete {
    /// Length of the valid prefix.
    pub valid_len: u64,
    /// Bytes of the tail dropped.
    pub dropped_bytes: u64,
    /// `none`, `unwritten` or `torn`.
    pub tail: &'static str,
    /// What the tail held, in words.
    #[serde(skip)]
    pub text: String,
}

/// What the checksums showed.
#[derive(Serialize)]
pub struct Checksums {
    /// The header's checksum (always true in a report).
    pub header_ok: bool,
    /// Frames whose checksum was verified.
    pub frames_ok: u64,
    /// True when every frame present was checked and none failed.
    pub all_ok: bool,
}

/// The first error of a damaged container.
#[derive(Serialize)]
pub struct ErrorInfo {
    /// Its byte offset.
    pub offset: u64,
    /// The error kind's name.
    pub kind: &'static str,
    /// Its class word.
    pub class: &'static str,
    /// What was wrong and what was expected.
    pub message: String,
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
    fn new(name: &str, s: &Scan<'_>, header: Header) -> Self {
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
                        text: tail_text_in(s.bytes, valid_len, tail),
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
            size: s.bytes.len() as u64,
            format: Format {
                major: header.major,
                minor: header.minor,
                version: format!("{}.{}", header.major, header.minor),
            },
            features: Features {
                required: header.required_features,
                optional: header.optional_features,
            },
            metadata: s.metadata.iter().map(MetaEntry::new).collect(),
            record_types,
            frames: s.counts,
            blocks: s.blocks.iter().sum(),
            records: s.records.iter().sum(),
            complete: status == "complete",
            status,
            incomplete,
            checksums: Checksums {
                header_ok: true,
                frames_ok: s.counts.total,
                all_ok: error.is_none(),
            },
            error,
            receipts: s
                .checked
                .as_ref()
                .map(crate::receipts::receipt_infos)
                .unwrap_or_default(),
            seals: seals_info(s.bytes),
        }
    }

    /// The report as `koffer inspect --json` prints it: pretty JSON and a
    /// newline.
    pub fn to_json(&self) -> serde_json::Result<String> {
        let mut t = serde_json::to_string_pretty(self)?;
        t.push('\n');
        Ok(t)
    }

    /// The report as `koffer inspect` prints it in text.
    pub fn text(&self) -> String {
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
        if !self.receipts.is_empty() {
            crate::receipts::text(&self.receipts, w);
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
