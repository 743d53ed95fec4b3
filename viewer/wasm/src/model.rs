//! What the viewer knows about one container: the summary (`koffer
//! inspect`'s totals and status), each record type's columns, and an index
//! of its blocks so that any window of rows, or one column of all rows, is
//! read straight from the bytes. Plain Rust: the wasm-bindgen layer in
//! `lib.rs` only passes these results on, so everything here is tested natively.

use koffer::block::Block;
use koffer::dynamic::{self, Visitor};
use koffer::meta::{Entry, Value};
use koffer::read::{Class, Completeness, Frame, Reader, Tail};
use koffer::schema::{Definition, Kind, Node, VariantKind, VariantRef};
use serde::Serialize;

/// The largest file the page reads (bytes); larger ones are refused before
/// reading. WebAssembly's 32-bit memory holds the file and the columns
/// plotted from it: 1 GiB leaves room for both.
pub const MAX_FILE: u64 = 1 << 30;

/// The summary of a container, serialised to JSON for the page.
#[derive(Serialize, Debug, Clone)]
pub struct Summary {
    pub size: u64,
    pub format: String,
    pub metadata: Vec<MetaItem>,
    /// `producer.vendor`, `producer.model`, `producer.firmware` joined, if any.
    pub producer: Option<String>,
    /// `export.created` in ms since the Unix epoch.
    pub export_time_ms: Option<i64>,
    pub subject: Option<String>,
    pub time_base: Option<String>,
    pub record_types: Vec<TypeInfo>,
    pub frames: FrameCounts,
    pub blocks: u64,
    pub records: u64,
    /// `complete`, `incomplete`, or the error class (`corrupt`,
    /// `unsupported`, `not_a_container`), as `koffer inspect` says it.
    pub status: &'static str,
    pub complete: bool,
    pub incomplete: Option<Incomplete>,
    pub error: Option<ErrorInfo>,
    /// What was dropped and where, in the words of `koffer export`; `None`
    /// for a complete container.
    pub dropped: Option<String>,
    /// The intact prefix the records come from (bytes).
    pub valid_len: u64,
}

/// One metadata entry.
#[derive(Serialize, Debug, Clone)]
pub struct MetaItem {
    pub key: String,
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// The value as text (strings unquoted, bytes in hex, times in ms).
    pub text: String,
    /// For `time` and `anchor` values: ms since the Unix epoch.
    pub time_ms: Option<i64>,
}

/// Frames read intact, by kind (as `koffer inspect --json` counts them).
#[derive(Serialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameCounts {
    pub total: u64,
    pub metadata: u64,
    pub schema: u64,
    pub block: u64,
    pub ancillary: u64,
    pub end: u64,
}

/// An incomplete container's tail.
#[derive(Serialize, Debug, Clone)]
pub struct Incomplete {
    pub valid_len: u64,
    pub dropped_bytes: u64,
    /// `none`, `unwritten` or `torn`.
    pub tail: &'static str,
}

/// The first error, as `koffer inspect --json` reports it.
#[derive(Serialize, Debug, Clone)]
pub struct ErrorInfo {
    pub offset: u64,
    pub kind: &'static str,
    pub class: &'static str,
    pub message: String,
}

/// A record type: its name, counts and columns.
#[derive(Serialize, Debug, Clone)]
pub struct TypeInfo {
    pub id: u8,
    pub name: String,
    pub version: u32,
    pub fingerprint: String,
    /// The root type's one-line name.
    pub root: String,
    pub blocks: u64,
    pub records: u64,
    pub columns: Vec<Column>,
    /// The column of the type's time field (the first field annotated
    /// `time`), if it has one that holds numbers.
    pub time_column: Option<usize>,
    /// Latitude and longitude columns, when both are found.
    pub track: Option<[usize; 2]>,
}

/// One column: a leaf field, nested structs flattened with dots (the
/// columns of `koffer export --format csv`).
#[derive(Serialize, Debug, Clone)]
pub struct Column {
    /// Dotted path, e.g. `position.lat`; `value` for a root that is not a struct.
    pub path: String,
    /// The CSV header: the path and the unit in brackets.
    pub header: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub scale: Option<f64>,
    pub offset: Option<f64>,
    /// The time base of a timestamp field ("" = the container's `time.base`).
    pub time: Option<String>,
    /// Whether the column can be plotted (numbers, bools, options of them,
    /// enums as their variant index).
    pub numeric: bool,
    /// Field indices from the root, one per struct level.
    #[serde(skip)]
    pub field_path: Vec<usize>,
}

/// Where the records of one block are.
#[derive(Debug, Clone, Copy)]
struct BlockAt {
    /// The block's body in the file.
    start: usize,
    end: usize,
    /// Index (within its type) of its first record.
    first: u64,
    count: u32,
}

/// A record type's definition and block index.
#[derive(Debug, Clone)]
struct TypeIndex {
    info: TypeInfo,
    definition: Vec<u8>,
    blocks: Vec<BlockAt>,
}

/// One opened container.
pub struct Opened {
    bytes: Vec<u8>,
    summary: Summary,
    types: Vec<TypeIndex>,
}

/// One row of a table window.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Row {
    /// Index of the record within its type.
    pub index: u64,
    /// File offset of the record's payload.
    pub offset: u64,
    /// Cells with scale and offset applied (as the CSV writes them).
    pub cells: Vec<String>,
    /// Cells as stored (before scale and offset).
    pub raw: Vec<String>,
    /// Why the record could not be read by its definition.
    pub error: Option<String>,
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

fn meta_item(e: &Entry<'_>) -> MetaItem {
    let (ty, text, time_ms) = match e.value {
        Value::Bool(b) => ("bool", b.to_string(), None),
        Value::Uint(v) => ("uint", v.to_string(), None),
        Value::Int(v) => ("int", v.to_string(), None),
        Value::Float(v) => ("float", format!("{v}"), None),
        Value::Str(s) => ("str", s.to_string(), None),
        Value::Bytes(b) => ("bytes", koffer::hex::encode(b), None),
        Value::Time(ms) => ("time", ms.to_string(), Some(ms)),
        Value::Anchor { boot_ms, unix_ms } => (
            "anchor",
            format!("boot + {boot_ms} ms = {unix_ms} ms"),
            Some(unix_ms),
        ),
        Value::Unknown { bytes, .. } => ("unknown", koffer::hex::encode(bytes), None),
    };
    MetaItem {
        key: e.key.to_string(),
        ty,
        text,
        time_ms,
    }
}

/// A one-line name of a type (as `koffer inspect` prints it, shortened for
/// structs and enums).
pub fn type_name(node: Node<'_>) -> String {
    match node.kind() {
        Kind::Bool => "bool".into(),
        Kind::U8 => "u8".into(),
        Kind::U16 => "u16".into(),
        Kind::U32 => "u32".into(),
        Kind::U64 => "u64".into(),
        Kind::U128 => "u128".into(),
        Kind::I8 => "i8".into(),
        Kind::I16 => "i16".into(),
        Kind::I32 => "i32".into(),
        Kind::I64 => "i64".into(),
        Kind::I128 => "i128".into(),
        Kind::F32 => "f32".into(),
        Kind::F64 => "f64".into(),
        Kind::Char => "char".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Unit => "()".into(),
        Kind::Option(t) => format!("option<{}>", type_name(t)),
        Kind::Seq(t) => format!("seq<{}>", type_name(t)),
        Kind::UnitStruct { name } => format!("struct {name}"),
        Kind::NewtypeStruct { name, inner } => format!("struct {name}({})", type_name(inner)),
        Kind::Tuple(els) => format!("({})", els.map(type_name).collect::<Vec<_>>().join(", ")),
        Kind::TupleStruct { name, .. } => format!("struct {name}(…)"),
        Kind::Array { len, element } => format!("[{}; {len}]", type_name(element)),
        Kind::Map { key, value } => format!("map<{}, {}>", type_name(key), type_name(value)),
        Kind::Struct { name, .. } => format!("struct {name}"),
        Kind::Enum { name, variants } => {
            let names: Vec<&str> = variants.map(|v| v.name).collect();
            format!("enum {name} {{ {} }}", names.join(", "))
        }
    }
}

/// Whether a leaf of this type gives one number per record.
fn is_numeric(node: Node<'_>) -> bool {
    match node.kind() {
        Kind::Bool
        | Kind::U8
        | Kind::U16
        | Kind::U32
        | Kind::U64
        | Kind::U128
        | Kind::I8
        | Kind::I16
        | Kind::I32
        | Kind::I64
        | Kind::I128
        | Kind::F32
        | Kind::F64 => true,
        Kind::Option(t) => is_numeric(t),
        Kind::NewtypeStruct { inner, .. } => is_numeric(inner),
        Kind::Enum { mut variants, .. } => variants.all(|v| matches!(v.kind, VariantKind::Unit)),
        _ => false,
    }
}

/// The columns of a type, in the order of `koffer export --format csv`.
pub fn columns(root: Node<'_>) -> Vec<Column> {
    let mut out = Vec::new();
    collect(root, "", None, &mut Vec::new(), &mut out);
    out
}

fn collect(
    node: Node<'_>,
    prefix: &str,
    field: Option<&koffer::schema::FieldRef<'_>>,
    path: &mut Vec<usize>,
    out: &mut Vec<Column>,
) {
    if let Kind::Struct { fields, .. } = node.kind() {
        for (i, f) in fields.enumerate() {
            let name = if prefix.is_empty() {
                f.name.to_string()
            } else {
                format!("{prefix}.{}", f.name)
            };
            path.push(i);
            collect(f.ty, &name, Some(&f), path, out);
            path.pop();
        }
        return;
    }
    let name = if prefix.is_empty() { "value" } else { prefix };
    let a = field.map(|f| f.annotations);
    let unit = a.and_then(|a| a.unit).map(str::to_string);
    out.push(Column {
        path: name.to_string(),
        header: match &unit {
            Some(u) => format!("{name} [{u}]"),
            None => name.to_string(),
        },
        ty: type_name(node),
        unit,
        description: a.and_then(|a| a.description).map(str::to_string),
        scale: a.and_then(|a| a.scale),
        offset: a.and_then(|a| a.offset),
        time: a.and_then(|a| a.time).map(str::to_string),
        numeric: is_numeric(node),
        field_path: path.clone(),
    });
}

/// Latitude and longitude columns: numeric leaves whose unit or last name
/// says so (`lat`, `latitude`, `position_lat`, unit `lat`/`deg`…).
pub fn find_track(cols: &[Column]) -> Option<[usize; 2]> {
    let find = |words: &[&str]| {
        cols.iter().position(|c| {
            if !c.numeric {
                return false;
            }
            let last = c.path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            let unit = c.unit.as_deref().unwrap_or("").to_ascii_lowercase();
            words.iter().any(|w| {
                unit == *w
                    || last == *w
                    || last.ends_with(&format!("_{w}"))
                    || last.starts_with(&format!("{w}_"))
            })
        })
    };
    let lat = find(&["lat", "latitude"])?;
    let lon = find(&["lon", "lng", "long", "longitude"])?;
    (lat != lon).then_some([lat, lon])
}

/// `v × scale + offset`, as `koffer export --format csv` computes a
/// quantity: for a scale that is the inverse of an integer, one correctly
/// rounded division (2,876 × 0.2 − 500 shows as `75.2`).
pub fn quantity(v: f64, scale: Option<f64>, offset: Option<f64>) -> f64 {
    if scale.is_none() && offset.is_none() {
        return v;
    }
    let scale = scale.unwrap_or(1.0);
    let offset = offset.unwrap_or(0.0);
    let k = 1.0 / scale;
    let shift = offset * k;
    let exact = |x: f64| x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0;
    if exact(k) && exact(shift) {
        (v + shift) / k
    } else {
        v * scale + offset
    }
}

/// Reads the one number of a numeric leaf (NaN for an absent option).
#[derive(Default)]
struct Number(Option<f64>);

impl<'a> Visitor<'a> for Number {
    type Error = dynamic::Error;
    fn bool(&mut self, v: bool) -> Result<(), Self::Error> {
        self.0 = Some(if v { 1.0 } else { 0.0 });
        Ok(())
    }
    fn u8(&mut self, v: u8) -> Result<(), Self::Error> {
        self.0 = Some(v.into());
        Ok(())
    }
    fn u16(&mut self, v: u16) -> Result<(), Self::Error> {
        self.0 = Some(v.into());
        Ok(())
    }
    fn u32(&mut self, v: u32) -> Result<(), Self::Error> {
        self.0 = Some(v.into());
        Ok(())
    }
    fn u64(&mut self, v: u64) -> Result<(), Self::Error> {
        self.0 = Some(v as f64);
        Ok(())
    }
    fn u128(&mut self, v: u128) -> Result<(), Self::Error> {
        self.0 = Some(v as f64);
        Ok(())
    }
    fn i8(&mut self, v: i8) -> Result<(), Self::Error> {
        self.0 = Some(v.into());
        Ok(())
    }
    fn i16(&mut self, v: i16) -> Result<(), Self::Error> {
        self.0 = Some(v.into());
        Ok(())
    }
    fn i32(&mut self, v: i32) -> Result<(), Self::Error> {
        self.0 = Some(v.into());
        Ok(())
    }
    fn i64(&mut self, v: i64) -> Result<(), Self::Error> {
        self.0 = Some(v as f64);
        Ok(())
    }
    fn i128(&mut self, v: i128) -> Result<(), Self::Error> {
        self.0 = Some(v as f64);
        Ok(())
    }
    fn f32(&mut self, v: f32) -> Result<(), Self::Error> {
        self.0 = Some(v.into());
        Ok(())
    }
    fn f64(&mut self, v: f64) -> Result<(), Self::Error> {
        self.0 = Some(v);
        Ok(())
    }
    fn variant_begin(&mut self, _: &'a str, v: &VariantRef<'a>) -> Result<(), Self::Error> {
        self.0 = Some(v.index.into());
        Ok(())
    }
}

/// The node and payload slice of the leaf at `path` in one payload.
fn leaf<'a>(
    root: Node<'a>,
    path: &[usize],
    payload: &'a [u8],
) -> Result<(Node<'a>, usize, usize), dynamic::Error> {
    let mut node = root;
    let mut pos = 0usize;
    for &want in path {
        let Kind::Struct { fields, .. } = node.kind() else {
            break;
        };
        let mut next = None;
        for (i, f) in fields.enumerate() {
            if i == want {
                next = Some(f.ty);
                break;
            }
            pos += dynamic::skip(f.ty, &payload[pos..]).map_err(|mut e| {
                e.offset += pos;
                e
            })?;
        }
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    let n = dynamic::skip(node, &payload[pos..]).map_err(|mut e| {
        e.offset += pos;
        e
    })?;
    Ok((node, pos, n))
}

/// A cell from a value's JSON, as the CSV writes it: strings (and enum unit
/// variants, NaN, hex bytes) unquoted, `null` empty, the rest as JSON text.
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

impl Opened {
    /// Reads a container: every frame is checked; the summary reports the
    /// first error or the missing end, and the intact part stays readable.
    /// Never fails: a file that is not a container gives a summary whose
    /// status says so.
    pub fn open(bytes: Vec<u8>) -> Opened {
        let size = bytes.len() as u64;
        let mut summary = Summary {
            size,
            format: String::new(),
            metadata: Vec::new(),
            producer: None,
            export_time_ms: None,
            subject: None,
            time_base: None,
            record_types: Vec::new(),
            frames: FrameCounts::default(),
            blocks: 0,
            records: 0,
            status: "complete",
            complete: false,
            incomplete: None,
            error: None,
            dropped: None,
            valid_len: 0,
        };
        let reader = match Reader::new(&bytes) {
            Ok(r) => r,
            Err(e) => {
                let class = e.kind.class();
                summary.status = class_name(class);
                if class == Class::Incomplete {
                    summary.incomplete = Some(Incomplete {
                        valid_len: 0,
                        dropped_bytes: size,
                        tail: "torn",
                    });
                }
                summary.dropped = Some(format!(
                    "at byte {}: {}; nothing could be read",
                    e.offset, e.kind
                ));
                summary.error = Some(ErrorInfo {
                    offset: e.offset,
                    kind: e.kind.name(),
                    class: class_name(class),
                    message: e.kind.to_string(),
                });
                return Opened {
                    bytes,
                    summary,
                    types: Vec::new(),
                };
            }
        };
        let h = reader.header();
        summary.format = format!("{}.{}", h.major, h.minor);
        let mut types: Vec<Option<TypeIndex>> = (0..256).map(|_| None).collect();
        let mut pending: Vec<Vec<BlockAt>> = (0..256).map(|_| Vec::new()).collect();
        let mut records = [0u64; 256];
        let mut blocks = [0u64; 256];
        let mut metadata = Vec::new();
        let mut frames = reader.frames();
        let counts = &mut summary.frames;
        for f in frames.by_ref().map_while(Result::ok) {
            counts.total += 1;
            match f.frame {
                Frame::Metadata(m) => {
                    counts.metadata += 1;
                    metadata.extend(m.entries().map(|e| meta_item(&e)));
                }
                Frame::Schema(s) => {
                    counts.schema += 1;
                    let def = Definition::parse(s.definition).ok();
                    let root = def.as_ref().and_then(|d| d.root());
                    let columns = root.map(columns).unwrap_or_default();
                    let time_column = columns
                        .iter()
                        .position(|c| c.time.is_some() && c.numeric);
                    let track = find_track(&columns);
                    types[usize::from(s.record_type)] = Some(TypeIndex {
                        info: TypeInfo {
                            id: s.record_type,
                            name: s.name.to_string(),
                            version: s.version,
                            fingerprint: format!("{:016x}", s.fingerprint()),
                            root: root.map(type_name).unwrap_or_else(|| "(empty)".into()),
                            blocks: 0,
                            records: 0,
                            columns,
                            time_column,
                            track,
                        },
                        definition: s.definition.to_vec(),
                        blocks: Vec::new(),
                    });
                }
                Frame::Block(b) => {
                    counts.block += 1;
                    let bh = b.header();
                    let t = usize::from(bh.record_type);
                    // The body lies between the frame's head and its 4-byte checksum.
                    let start = f.body_offset as usize;
                    let end = (f.offset + f.size) as usize - 4;
                    pending[t].push(BlockAt {
                        start,
                        end,
                        first: records[t],
                        count: bh.count,
                    });
                    blocks[t] += 1;
                    records[t] += u64::from(bh.count);
                }
                Frame::End(_) => counts.end += 1,
                Frame::Ancillary { .. } => counts.ancillary += 1,
            }
        }
        let intact = frames.position();
        summary.valid_len = intact;
        match frames.finish() {
            Ok(s) => match s.completeness {
                Completeness::Complete => {
                    summary.status = "complete";
                    summary.complete = true;
                }
                Completeness::Incomplete { valid_len, tail } => {
                    let (kind, len) = match tail {
                        Tail::Unwritten { len } => ("unwritten", len),
                        Tail::Torn { len } => ("torn", len),
                        Tail::None => ("none", 0),
                    };
                    summary.status = "incomplete";
                    summary.valid_len = valid_len;
                    summary.incomplete = Some(Incomplete {
                        valid_len,
                        dropped_bytes: len,
                        tail: kind,
                    });
                    let what = match tail {
                        Tail::None => "nothing dropped".to_string(),
                        Tail::Unwritten { len } => format!(
                            "dropped {len} bytes of unwritten storage (all 0x00 or all 0xFF) at bytes {valid_len}..{size}"
                        ),
                        Tail::Torn { len } => format!(
                            "dropped {len} bytes of a torn (cut short) frame at bytes {valid_len}..{size}"
                        ),
                    };
                    summary.dropped = Some(format!(
                        "at byte {valid_len}: incomplete container (no end frame): {what}"
                    ));
                }
            },
            Err(e) => {
                let class = class_name(e.kind.class());
                summary.status = class;
                summary.dropped = Some(format!(
                    "at byte {}: {}; dropped {} bytes at bytes {intact}..{size}: everything from the damaged frame on",
                    e.offset,
                    e.kind,
                    size.saturating_sub(intact),
                ));
                summary.error = Some(ErrorInfo {
                    offset: e.offset,
                    kind: e.kind.name(),
                    class,
                    message: e.kind.to_string(),
                });
            }
        }
        let find = |key: &str| metadata.iter().find(|m: &&MetaItem| m.key == key);
        let producer: Vec<&str> = ["producer.vendor", "producer.model"]
            .iter()
            .filter_map(|k| find(k).map(|m| m.text.as_str()))
            .collect();
        summary.producer = (!producer.is_empty()).then(|| {
            let mut p = producer.join(" ");
            if let Some(fw) = find("producer.firmware") {
                p.push_str(&format!(" (firmware {})", fw.text));
            }
            p
        });
        summary.export_time_ms = find("export.created").and_then(|m| m.time_ms);
        summary.subject = find("subject.pseudonym").map(|m| m.text.clone());
        summary.time_base = find("time.base").map(|m| m.text.clone());
        summary.metadata = metadata;
        summary.blocks = blocks.iter().sum();
        summary.records = records.iter().sum();
        let mut out = Vec::new();
        for (t, slot) in types.into_iter().enumerate() {
            if let Some(mut ti) = slot {
                ti.info.blocks = blocks[t];
                ti.info.records = records[t];
                ti.blocks = core::mem::take(&mut pending[t]);
                summary.record_types.push(ti.info.clone());
                out.push(ti);
            }
        }
        Opened {
            bytes,
            summary,
            types: out,
        }
    }

    /// The summary.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn index(&self, record_type: u8) -> Option<&TypeIndex> {
        self.types.iter().find(|t| t.info.id == record_type)
    }

    /// Calls `f` with each payload (and its file offset) of records
    /// `start..start + count` of a type.
    fn each_payload(
        &self,
        ti: &TypeIndex,
        start: u64,
        count: u64,
        mut f: impl FnMut(u64, u64, &[u8]),
    ) {
        let end = start.saturating_add(count).min(ti.info.records);
        if start >= end {
            return;
        }
        // The first block that holds `start`.
        let first = ti.blocks.partition_point(|b| b.first + u64::from(b.count) <= start);
        let base = self.bytes.as_ptr() as usize;
        for b in &ti.blocks[first..] {
            if b.first >= end {
                break;
            }
            let Ok(block) = Block::parse(&self.bytes[b.start..b.end]) else {
                continue;
            };
            for (i, p) in block.records().enumerate() {
                let index = b.first + i as u64;
                if index < start {
                    continue;
                }
                if index >= end {
                    break;
                }
                f(index, (p.as_ptr() as usize - base) as u64, p);
            }
        }
    }

    /// Rows `start..start + count` of a record type, cells as the CSV has them.
    pub fn rows(&self, record_type: u8, start: u64, count: u64) -> Vec<Row> {
        let Some(ti) = self.index(record_type) else {
            return Vec::new();
        };
        let def = Definition::parse(&ti.definition).ok();
        let root = def.as_ref().and_then(|d| d.root());
        let mut rows = Vec::new();
        self.each_payload(ti, start, count.min(10_000), |index, offset, p| {
            let mut row = Row {
                index,
                offset,
                cells: Vec::new(),
                raw: Vec::new(),
                error: None,
            };
            let Some(root) = root else {
                row.cells.push(koffer::hex::encode(p));
                row.raw = row.cells.clone();
                rows.push(row);
                return;
            };
            if let Err(e) = dynamic::check(root, p) {
                row.error = Some(format!(
                    "at byte {}: {}",
                    offset + e.offset as u64,
                    e.kind
                ));
            }
            for c in &ti.info.columns {
                let text = leaf(root, &c.field_path, p)
                    .ok()
                    .and_then(|(node, pos, n)| koffer::json::to_json(node, &p[pos..pos + n]).ok())
                    .map(|j| cell_text(&j))
                    .unwrap_or_default();
                let scaled = if c.scale.is_some() || c.offset.is_some() {
                    match text.parse::<f64>() {
                        Ok(v) if v.is_finite() => format!("{}", quantity(v, c.scale, c.offset)),
                        _ => text.clone(),
                    }
                } else {
                    text.clone()
                };
                row.cells.push(scaled);
                row.raw.push(text);
            }
            rows.push(row);
        });
        rows
    }

    /// One numeric column of all records of a type, scaled; NaN where a
    /// record has no number there (an absent option, a damaged payload).
    pub fn column(&self, record_type: u8, column: usize) -> Vec<f64> {
        let Some(ti) = self.index(record_type) else {
            return Vec::new();
        };
        let Some(col) = ti.info.columns.get(column) else {
            return Vec::new();
        };
        let def = Definition::parse(&ti.definition).ok();
        let Some(root) = def.as_ref().and_then(|d| d.root()) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(ti.info.records as usize);
        if !col.numeric {
            out.resize(ti.info.records as usize, f64::NAN);
            return out;
        }
        self.each_payload(ti, 0, ti.info.records, |_, _, p| {
            let v = leaf(root, &col.field_path, p).ok().and_then(|(node, pos, n)| {
                let mut num = Number::default();
                dynamic::walk(node, &p[pos..pos + n], &mut num).ok()?;
                num.0
            });
            out.push(match v {
                Some(v) => quantity(v, col.scale, col.offset),
                None => f64::NAN,
            });
        });
        out
    }
}
