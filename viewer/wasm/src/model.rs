//! What the viewer knows about one container: the summary (`koffer
//! inspect`'s totals and status), each record type's columns, and an index
//! of its blocks so that any window of rows, or one column of all rows, is
//! read straight from the bytes. Plain Rust: the wasm-bindgen layer in
//! `lib.rs` only passes these results on, so everything here is tested natively.

use koffer::block::Block;
use koffer::dynamic::{self, Visitor};
use koffer::meta::Value;
use koffer::read::Frame;
use koffer::schema::{Definition, Kind, Node, VariantKind, VariantRef};
use serde::Serialize;

/// The largest file the page reads (bytes); larger ones are refused before
/// reading. WebAssembly's 32-bit memory holds the file and the columns
/// plotted from it: 1 GiB leaves room for both.
pub const MAX_FILE: u64 = 1 << 30;

/// The summary of a container, serialised to JSON for the page. The
/// status, totals and words come from `koffer-export`, the library behind
/// the `koffer` command.
#[derive(Serialize, Debug, Clone)]
pub struct Summary {
    pub file: String,
    pub size: u64,
    /// `major.minor`; empty when the header could not be read.
    pub format: String,
    pub metadata: Vec<MetaItem>,
    /// `producer.vendor` and `producer.model` (and `producer.firmware`), if any.
    pub producer: Option<String>,
    /// `export.created` in ms since the Unix epoch, and as RFC 3339.
    pub export_time_ms: Option<i64>,
    pub export_time: Option<String>,
    pub subject: Option<String>,
    pub time_base: Option<String>,
    pub record_types: Vec<TypeInfo>,
    pub frames: FrameCounts,
    pub blocks: u64,
    pub records: u64,
    /// `complete`, `incomplete`, `corrupt`, `unsupported`, `not_a_container`:
    /// the word of `koffer inspect`.
    pub status: &'static str,
    pub complete: bool,
    /// The first error, as `koffer inspect --json` reports it.
    pub error: Option<ErrorInfo>,
    /// What was dropped and where, in the words of `koffer export`; `None`
    /// for a complete container.
    pub dropped: Option<String>,
    /// The dropped bytes, `[start, end)`.
    pub dropped_range: Option<[u64; 2]>,
    /// The intact prefix the records come from (bytes).
    pub valid_len: u64,
    /// Exactly what `koffer inspect --json` prints (`null` when the header
    /// could not be read, where the command prints only the error).
    pub inspect: Option<serde_json::Value>,
}

/// One metadata entry.
#[derive(Serialize, Debug, Clone)]
pub struct MetaItem {
    pub key: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// The value as `koffer inspect` shows it.
    pub text: String,
}

pub use koffer_export::FrameCounts;

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
/// columns of `koffer export --format csv`, from `koffer-export`).
#[derive(Serialize, Debug, Clone)]
pub struct Column {
    #[serde(flatten)]
    pub column: koffer_export::Column,
    /// Whether the column can be plotted (numbers, bools, options of them,
    /// enums of unit variants as their variant index).
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

/// The columns of a type, in the order of `koffer export --format csv`:
/// `koffer-export`'s columns, with where each leaf lies and whether it plots.
pub fn columns(root: Node<'_>) -> Vec<Column> {
    let mut leaves = Vec::new();
    collect(root, &mut Vec::new(), &mut leaves);
    koffer_export::columns_of(root)
        .into_iter()
        .zip(leaves)
        .map(|(column, (field_path, numeric))| Column {
            column,
            numeric,
            field_path,
        })
        .collect()
}

/// Each leaf's field path and whether it is numeric, in column order.
fn collect(node: Node<'_>, path: &mut Vec<usize>, out: &mut Vec<(Vec<usize>, bool)>) {
    if let Kind::Struct { fields, .. } = node.kind() {
        for (i, f) in fields.enumerate() {
            path.push(i);
            collect(f.ty, path, out);
            path.pop();
        }
        return;
    }
    out.push((path.clone(), is_numeric(node)));
}

/// Latitude and longitude columns: numeric leaves whose unit or last name
/// says so (`lat`, `latitude`, `position_lat`, unit `lat`/`deg`…).
pub fn find_track(cols: &[Column]) -> Option<[usize; 2]> {
    let find = |words: &[&str]| {
        cols.iter().position(|c| {
            if !c.numeric {
                return false;
            }
            let c = &c.column;
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

/// How to reach one leaf of every payload of a type: the fields to skip at
/// each struct level, then the leaf. Made once per column, so that reading a
/// column does not parse the definition again for every record.
struct Plan<'a> {
    skip: Vec<Node<'a>>,
    leaf: Node<'a>,
}

impl<'a> Plan<'a> {
    fn new(root: Node<'a>, path: &[usize]) -> Plan<'a> {
        let mut skip = Vec::new();
        let mut node = root;
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
                skip.push(f.ty);
            }
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        Plan { skip, leaf: node }
    }

    /// The leaf's number in `payload`: `None` for an absent option or a
    /// payload that does not decode up to and including the leaf (the
    /// fields after it are not read).
    fn number(&self, payload: &[u8]) -> Option<f64> {
        let mut pos = 0usize;
        for &n in &self.skip {
            pos += dynamic::skip(n, payload.get(pos..)?).ok()?;
        }
        let mut num = Number::default();
        // `walk` wants the value to end the payload; the number is taken as
        // soon as it is read, and the complaint about what follows ignored.
        let _ = dynamic::walk(self.leaf, payload.get(pos..)?, &mut num);
        num.0
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
    /// Reads a container (`name` is how the summary names the file): every
    /// frame is checked; the summary reports the first error or the missing
    /// end, and the intact part stays readable. Never fails: a file that is
    /// not a container gives a summary whose status says so.
    pub fn open(bytes: Vec<u8>, name: &str) -> Opened {
        let (summary, types) = Self::read(&bytes, name);
        Opened {
            bytes,
            summary,
            types,
        }
    }

    fn read(bytes: &[u8], name: &str) -> (Summary, Vec<TypeIndex>) {
        let scan = koffer_export::scan(bytes);
        let status = scan.status();
        let problem = scan.problem();
        let report = koffer_export::report(&scan, name);
        let str_meta = |key: &str| {
            scan.metadata
                .iter()
                .find(|e| e.key == key)
                .and_then(|e| match e.value {
                    Value::Str(s) => Some(s.to_string()),
                    _ => None,
                })
        };
        let producer: Vec<String> = ["producer.vendor", "producer.model"]
            .iter()
            .filter_map(|k| str_meta(k))
            .collect();
        let producer = (!producer.is_empty()).then(|| {
            let mut p = producer.join(" ");
            if let Some(fw) = str_meta("producer.firmware") {
                p.push_str(&format!(" (firmware {fw})"));
            }
            p
        });
        let export_time_ms = scan
            .metadata
            .iter()
            .find(|e| e.key == "export.created")
            .and_then(|e| match e.value {
                Value::Time(ms) => Some(ms),
                _ => None,
            });
        let error = scan.outcome.as_ref().err().map(|e| ErrorInfo {
            offset: e.offset,
            kind: e.kind.name(),
            class: koffer_export::class_name(e.kind.class()),
            message: e.kind.to_string(),
        });
        let index = Self::index_blocks(&scan);
        let mut types = Vec::new();
        for sc in &scan.schemas {
            let t = usize::from(sc.record_type);
            let def = Definition::parse(sc.definition).ok();
            let root = def.as_ref().and_then(|d| d.root());
            let columns = match root {
                Some(root) => columns(root),
                None => koffer_export::columns(sc)
                    .into_iter()
                    .map(|column| Column {
                        column,
                        numeric: false,
                        field_path: Vec::new(),
                    })
                    .collect(),
            };
            let time_column = columns.iter().position(|c| c.column.is_time() && c.numeric);
            let track = find_track(&columns);
            types.push(TypeIndex {
                info: TypeInfo {
                    id: sc.record_type,
                    name: sc.name.to_string(),
                    version: sc.version,
                    fingerprint: format!("{:016x}", sc.fingerprint()),
                    root: root
                        .map(type_name)
                        .unwrap_or_else(|| "(not described)".into()),
                    blocks: scan.blocks[t],
                    records: scan.records[t],
                    columns,
                    time_column,
                    track,
                },
                definition: sc.definition.to_vec(),
                blocks: index[t].clone(),
            });
        }
        let summary = Summary {
            file: name.to_string(),
            size: bytes.len() as u64,
            format: scan
                .header
                .map(|h| format!("{}.{}", h.major, h.minor))
                .unwrap_or_default(),
            metadata: report
                .as_ref()
                .map(|r| {
                    r.metadata
                        .iter()
                        .map(|m| MetaItem {
                            key: m.key.clone(),
                            ty: m.type_name.clone(),
                            text: m.text.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            producer,
            export_time_ms,
            export_time: export_time_ms.and_then(koffer_export::rfc3339),
            subject: str_meta("subject.pseudonym"),
            time_base: str_meta("time.base"),
            record_types: types.iter().map(|t| t.info.clone()).collect(),
            frames: scan.counts,
            blocks: scan.total_blocks(),
            records: scan.total_records(),
            status: status.word(),
            complete: status.word() == "complete",
            error,
            dropped: problem.as_ref().map(|p| p.message.clone()),
            dropped_range: problem.as_ref().map(|p| [p.dropped.start, p.dropped.end]),
            valid_len: scan.valid_len(),
            inspect: report
                .and_then(|r| r.to_json().ok())
                .and_then(|j| serde_json::from_str(&j).ok()),
        };
        (summary, types)
    }

    /// Where each record type's blocks lie in the intact prefix.
    fn index_blocks(scan: &koffer_export::Scan<'_>) -> Vec<Vec<BlockAt>> {
        let mut index: Vec<Vec<BlockAt>> = (0..256).map(|_| Vec::new()).collect();
        let mut records = [0u64; 256];
        let Some(reader) = scan.checked else {
            return index;
        };
        for f in reader.frames().map_while(Result::ok) {
            if let Frame::Block(b) = f.frame {
                let h = b.header();
                let t = usize::from(h.record_type);
                // The body lies between the frame's head and its 4-byte checksum.
                index[t].push(BlockAt {
                    start: f.body_offset as usize,
                    end: (f.offset + f.size) as usize - 4,
                    first: records[t],
                    count: h.count,
                });
                records[t] += u64::from(h.count);
            }
        }
        index
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
        let first = ti
            .blocks
            .partition_point(|b| b.first + u64::from(b.count) <= start);
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
            // The cells exactly as the CSV export writes them.
            match koffer_export::cells(root, p, &mut row.cells) {
                Ok(n) if n == p.len() => {}
                Ok(n) => {
                    row.error = Some(format!(
                        "at byte {}: {}",
                        offset + n as u64,
                        koffer::read::ErrorKind::PayloadTrailingBytes
                    ))
                }
                Err(e) => {
                    row.error = Some(format!("at byte {}: {}", offset + e.offset as u64, e.kind))
                }
            }
            // The stored values, and for a record that does not follow its
            // definition whatever of it can be read.
            let whole = row.error.is_none();
            let cells = core::mem::take(&mut row.cells);
            for (k, c) in ti.info.columns.iter().enumerate() {
                let text = leaf(root, &c.field_path, p)
                    .ok()
                    .and_then(|(node, pos, n)| koffer::json::to_json(node, &p[pos..pos + n]).ok())
                    .map(|j| cell_text(&j))
                    .unwrap_or_default();
                let c = &c.column;
                let scaled = match cells.get(k) {
                    Some(cell) if whole => cell.clone(),
                    _ if c.scale.is_some() || c.offset.is_some() => match text.parse::<f64>() {
                        Ok(v) if v.is_finite() => format!("{}", quantity(v, c.scale, c.offset)),
                        _ => text.clone(),
                    },
                    _ => text.clone(),
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
        let plan = Plan::new(root, &col.field_path);
        let (scale, offset) = (col.column.scale, col.column.offset);
        self.each_payload(ti, 0, ti.info.records, |_, _, p| {
            out.push(match plan.number(p) {
                Some(v) => quantity(v, scale, offset),
                None => f64::NAN,
            });
        });
        out
    }
}
