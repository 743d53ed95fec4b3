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

/// The most records of one type the page plots or exports as CSV (and of
/// the whole file, for the JSON export), whatever the file's size: 2²⁶, a
/// plotted column of them takes 512 MiB.
pub const MAX_RECORDS: u64 = 1 << 26;

/// The most bytes one export the page saves (CSV, JSON) may take: 1 GiB.
pub const MAX_OUTPUT: usize = 1 << 30;

/// The most records the page plots or exports from a file of `file_size`
/// bytes: two a byte of the file (a record that holds a number takes at
/// least one byte), at least 2²⁰, at most [`MAX_RECORDS`]. A block frame
/// of 13 bytes may announce 65,535 records of zero size, so a record count
/// far above the file size is possible, but not worth gigabytes of memory.
///
/// ```
/// use koffer_viewer::model::{record_limit, MAX_RECORDS};
/// assert_eq!(record_limit(1_500), 1 << 20);
/// assert_eq!(record_limit(10_000_000), 20_000_000);
/// assert_eq!(record_limit(1 << 30), MAX_RECORDS);
/// ```
pub fn record_limit(file_size: u64) -> u64 {
    file_size.saturating_mul(2).clamp(1 << 20, MAX_RECORDS)
}

/// Why the page will not plot or export something: the message it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// More records than [`record_limit`] allows for the file.
    TooManyRecords {
        /// The records asked for.
        records: u64,
        /// The limit for this file.
        limit: u64,
    },
    /// The export grew beyond its limit of bytes ([`MAX_OUTPUT`]).
    OutputTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The memory for the result could not be reserved.
    OutOfMemory {
        /// The bytes asked for.
        bytes: u64,
    },
}

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Refused::TooManyRecords { records, limit } => write!(
                f,
                "{records} records are more than this page plots or exports from this file \
                 (at most {limit}); use `koffer export` on the command line"
            ),
            Refused::OutputTooLarge { limit } => write!(
                f,
                "the export would take more than {limit} bytes, more than this page saves; \
                 use `koffer export` on the command line"
            ),
            Refused::OutOfMemory { bytes } => {
                write!(f, "not enough memory for {bytes} bytes in this page")
            }
        }
    }
}

impl std::error::Error for Refused {}

/// An export's bytes, refused beyond `limit` bytes (and when memory for
/// them cannot be reserved) instead of growing without bound.
struct Capped {
    out: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.limit.saturating_sub(self.out.len()) {
            return Err(std::io::Error::other(Refused::OutputTooLarge {
                limit: self.limit,
            }));
        }
        self.out.try_reserve(buf.len()).map_err(|_| {
            std::io::Error::other(Refused::OutOfMemory {
                bytes: (self.out.len() + buf.len()) as u64,
            })
        })?;
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The [`Refused`] inside an I/O error of [`Capped`], if it is one.
fn refused(e: &std::io::Error) -> Option<Refused> {
    e.get_ref()?.downcast_ref::<Refused>().cloned()
}

/// The summary of a container, serialised to JSON for the page. The
/// status, totals and words come from `koffer-export`, the library behind
/// the `koffer` command.
#[derive(Serialize, Debug, Clone)]
pub struct Summary {
    /// The file's name, as the page was given it.
    pub file: String,
    /// The file's size (bytes).
    pub size: u64,
    /// `major.minor`; empty when the header could not be read.
    pub format: String,
    /// The metadata entries, in file order, as `koffer inspect` shows them.
    pub metadata: Vec<MetaItem>,
    /// `producer.vendor` and `producer.model` (and `producer.firmware`), if any.
    pub producer: Option<String>,
    /// `export.created` in ms since the Unix epoch.
    pub export_time_ms: Option<i64>,
    /// `export.created` as RFC 3339 (UTC).
    pub export_time: Option<String>,
    /// `subject.pseudonym`, if given.
    pub subject: Option<String>,
    /// `time.base` (`unix`, `boot`, …), if given.
    pub time_base: Option<String>,
    /// The record types with a schema, in record type order.
    pub record_types: Vec<TypeInfo>,
    /// Frames of each kind in the intact prefix.
    pub frames: FrameCounts,
    /// Blocks in the intact prefix.
    pub blocks: u64,
    /// Records in the intact prefix.
    pub records: u64,
    /// `complete`, `incomplete`, `corrupt`, `unsupported`, `not_a_container`:
    /// the word of `koffer inspect`.
    pub status: &'static str,
    /// Whether the status is `complete`.
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
    /// Why the page will not save the whole file as JSON (too many records
    /// for its size, [`Refused`]); `None` when it will.
    pub too_many: Option<String>,
    /// Exactly what `koffer inspect --json` prints (`null` when the header
    /// could not be read, where the command prints only the error).
    pub inspect: Option<serde_json::Value>,
}

/// One metadata entry.
#[derive(Serialize, Debug, Clone)]
pub struct MetaItem {
    /// Its key (`producer.vendor`, …).
    pub key: String,
    /// Its value's type (`str`, `time`, …), as `koffer inspect` names it.
    #[serde(rename = "type")]
    pub ty: String,
    /// The value as `koffer inspect` shows it.
    pub text: String,
}

pub use koffer_export::FrameCounts;

/// The first error, as `koffer inspect --json` reports it.
#[derive(Serialize, Debug, Clone)]
pub struct ErrorInfo {
    /// The file offset spec `format.md` §10.4 gives it.
    pub offset: u64,
    /// Its kind (`FrameChecksum`, …).
    pub kind: &'static str,
    /// Its class (`incomplete`, `corrupt`, `unsupported`, …).
    pub class: &'static str,
    /// What was wrong, in words.
    pub message: String,
}

/// A record type: its name, counts and columns.
#[derive(Serialize, Debug, Clone)]
pub struct TypeInfo {
    /// The record type id.
    pub id: u8,
    /// Its schema's name.
    pub name: String,
    /// Its schema's version.
    pub version: u32,
    /// Its schema's fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// The root type's one-line name.
    pub root: String,
    /// Its blocks in the intact prefix.
    pub blocks: u64,
    /// Its records in the intact prefix.
    pub records: u64,
    /// Its columns, in the order of the CSV export.
    pub columns: Vec<Column>,
    /// The column of the type's time field (the first field annotated
    /// `time`), if it has one that holds numbers.
    pub time_column: Option<usize>,
    /// Latitude and longitude columns, when both are found.
    pub track: Option<[usize; 2]>,
    /// Why the page will not plot this type or save it as CSV (too many
    /// records for the file's size, [`Refused`]); `None` when it will.
    pub too_many: Option<String>,
}

/// One column: a leaf field, nested structs flattened with dots (the
/// columns of `koffer export --format csv`, from `koffer-export`).
#[derive(Serialize, Debug, Clone)]
pub struct Column {
    /// Its path, header, type, unit, description, scale, offset and time
    /// base (serialised flat, beside `numeric`).
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
/// structs and enums): [`koffer_export::layout::short_type_name`].
pub use koffer_export::layout::short_type_name as type_name;

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

// Payload bytes the row walk has passed over (counted in tests only, to
// show that a row costs one pass over its record).
#[cfg(test)]
thread_local! {
    static WALKED: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
}

#[inline]
fn walked(_n: usize) {
    #[cfg(test)]
    WALKED.with(|w| w.set(w.get() + _n as u64));
}

/// One pass over a payload in field order, as `koffer_export::cells` makes
/// the CSV's cells: appends each leaf's stored text to `raw` and its
/// quantity (scale and offset applied) to `cells`. A leaf that cannot be
/// read gets empty cells; a leaf whose extent cannot be found ends the walk
/// (`None`), since the fields after it cannot be located.
fn row_cells(
    node: Node<'_>,
    bytes: &[u8],
    scale: Option<f64>,
    offset: Option<f64>,
    raw: &mut Vec<String>,
    cells: &mut Vec<String>,
) -> Option<usize> {
    if let Kind::Struct { fields, .. } = node.kind() {
        let mut pos = 0;
        for f in fields {
            let (s, o) = (f.annotations.scale, f.annotations.offset);
            pos += row_cells(f.ty, bytes.get(pos..)?, s, o, raw, cells)?;
        }
        return Some(pos);
    }
    let Ok(n) = dynamic::skip(node, bytes) else {
        return None;
    };
    walked(n);
    let text = koffer::json::to_json(node, &bytes[..n])
        .map(|j| cell_text(&j))
        .unwrap_or_default();
    let scaled = if scale.is_some() || offset.is_some() {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => format!("{}", quantity(v, scale, offset)),
            _ => text.clone(),
        }
    } else {
        text.clone()
    };
    cells.push(scaled);
    raw.push(text);
    Some(n)
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
                    too_many: too_many(scan.records[t], bytes.len() as u64),
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
            too_many: too_many(scan.total_records(), bytes.len() as u64),
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

    /// Records (of every type) in the blocks whose frames end at or before
    /// byte `end`, and in all blocks of the intact prefix: from the block
    /// index, without reading the file again.
    pub fn records_before(&self, end: u64) -> (u64, u64) {
        let (mut before, mut all) = (0u64, 0u64);
        for b in self.types.iter().flat_map(|t| &t.blocks) {
            let n = u64::from(b.count);
            all += n;
            // `b.end` is the end of the body; the 4-byte checksum follows.
            if b.end as u64 + 4 <= end {
                before += n;
            }
        }
        (before, all)
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
            if let Err(e) = dynamic::check(root, p) {
                // The container's error at the offset spec `format.md`
                // §10.4 gives (as `koffer export` reports it), then the
                // decoder's detail: the value that could not be read.
                let rec = koffer::read::Record {
                    record_type,
                    index,
                    offset,
                    payload: p,
                };
                row.error = Some(format!(
                    "{}: {} (the value at byte {})",
                    e.in_record(&rec),
                    e.kind,
                    e.file_offset(&rec)
                ));
            }
            // The stored values and their quantities, in one pass over the
            // record; for a record that does not follow its definition,
            // whatever of it can be read.
            let _ = row_cells(root, p, None, None, &mut row.raw, &mut row.cells);
            let n = ti.info.columns.len();
            row.raw.resize(n, String::new());
            row.cells.resize(n, String::new());
            rows.push(row);
        });
        rows
    }

    /// Refuses `records` records of this file beyond [`record_limit`].
    fn within_limit(&self, records: u64) -> Result<(), Refused> {
        let limit = record_limit(self.bytes.len() as u64);
        if records > limit {
            return Err(Refused::TooManyRecords { records, limit });
        }
        Ok(())
    }

    /// One numeric column of all records of a type, scaled; NaN where a
    /// record has no number there (an absent option, a damaged payload).
    /// Empty for a column that is not numeric (or does not exist); refused
    /// for a type with more records than [`record_limit`] allows.
    pub fn column(&self, record_type: u8, column: usize) -> Result<Vec<f64>, Refused> {
        let Some(ti) = self.index(record_type) else {
            return Ok(Vec::new());
        };
        let Some(col) = ti.info.columns.get(column) else {
            return Ok(Vec::new());
        };
        let def = Definition::parse(&ti.definition).ok();
        let Some(root) = def.as_ref().and_then(|d| d.root()) else {
            return Ok(Vec::new());
        };
        if !col.numeric {
            return Ok(Vec::new());
        }
        let records = ti.info.records;
        self.within_limit(records)?;
        let oom = Refused::OutOfMemory {
            bytes: records.saturating_mul(8),
        };
        let n = usize::try_from(records).map_err(|_| oom.clone())?;
        let mut out = Vec::new();
        out.try_reserve_exact(n).map_err(|_| oom)?;
        let plan = Plan::new(root, &col.field_path);
        let (scale, offset) = (col.column.scale, col.column.offset);
        self.each_payload(ti, 0, records, |_, _, p| {
            out.push(match plan.number(p) {
                Some(v) => quantity(v, scale, offset),
                None => f64::NAN,
            });
        });
        Ok(out)
    }

    /// Record type `record_type` as CSV: the bytes `koffer export --format
    /// csv` writes for it (empty when the header cannot be read or the type
    /// has no schema); refused beyond [`record_limit`] records or
    /// [`MAX_OUTPUT`] bytes.
    pub fn csv(&self, record_type: u8) -> Result<Vec<u8>, Refused> {
        self.csv_within(record_type, MAX_OUTPUT)
    }

    /// [`Opened::csv`] with at most `limit` bytes of output.
    pub fn csv_within(&self, record_type: u8, limit: usize) -> Result<Vec<u8>, Refused> {
        let records = self.index(record_type).map_or(0, |t| t.info.records);
        self.within_limit(records)?;
        let mut out = Capped {
            out: Vec::new(),
            limit,
        };
        if let Err(e) = koffer_export::write_csv(&self.bytes, record_type, &mut out) {
            if let Some(r) = refused(&e) {
                return Err(r);
            }
        }
        Ok(out.out)
    }

    /// The whole file as `koffer export --format json` writes it (empty
    /// when the header cannot be read); refused beyond [`record_limit`]
    /// records or [`MAX_OUTPUT`] bytes.
    pub fn json(&self) -> Result<Vec<u8>, Refused> {
        self.json_within(MAX_OUTPUT)
    }

    /// [`Opened::json`] with at most `limit` bytes of output.
    pub fn json_within(&self, limit: usize) -> Result<Vec<u8>, Refused> {
        self.within_limit(self.summary.records)?;
        let mut out = Capped {
            out: Vec::new(),
            limit,
        };
        if let Err(e) = koffer_export::write_json(&self.bytes, &mut out) {
            if let Some(r) = refused(&e) {
                return Err(r);
            }
            out.out.clear();
        }
        Ok(out.out)
    }
}

/// The message of [`Refused::TooManyRecords`] for `records` records of a
/// file of `file_size` bytes, if that is too many.
fn too_many(records: u64, file_size: u64) -> Option<String> {
    let limit = record_limit(file_size);
    (records > limit).then(|| Refused::TooManyRecords { records, limit }.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use koffer::schema::{Annotations, Builder};

    /// A container of one record of a struct of `n` structs of `n` u8
    /// fields (`n²` columns, an `n²`-byte payload).
    fn wide(n: usize) -> Vec<u8> {
        let mut b = Builder::new();
        b.struct_("Outer", n);
        for i in 0..n {
            b.field(&format!("f{i}"), Annotations::default())
                .struct_(&format!("Inner{i}"), n);
            for j in 0..n {
                b.field(&format!("g{j}"), Annotations::default()).u8();
            }
        }
        let def = b.finish().unwrap();
        let mut buf = vec![0u8; 2 * n * n + 64];
        let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
        let raw = w.declare(0, "wide", 1, &def).unwrap();
        let payload: Vec<u8> = (0..n * n).map(|k| (k % 100) as u8).collect();
        w.write_payload(raw, &payload).unwrap();
        w.finish().unwrap()
    }

    /// A row of a many-column record costs one pass over the record, as
    /// its CSV line does: the bytes walked are the payload's, not a
    /// multiple of them per column.
    #[test]
    fn a_row_window_walks_its_record_once() {
        let n = 64;
        let bytes = wide(n);
        let o = Opened::open(bytes.clone(), "wide.koffer");
        assert_eq!(o.summary().record_types[0].columns.len(), n * n);
        WALKED.with(|w| w.set(0));
        let rows = o.rows(0, 0, 1);
        let walked = WALKED.with(|w| w.get());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].error, None);
        let mut csv = Vec::new();
        koffer_export::write_csv(&bytes, 0, &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let line = text.split("\r\n").nth(1).unwrap();
        assert_eq!(rows[0].cells.join(","), line);
        assert_eq!(rows[0].raw, rows[0].cells);
        // One pass: each of the n² payload bytes once (not once per column).
        assert!(
            walked <= 2 * (n * n) as u64,
            "walked {walked} bytes for a {}-byte record",
            n * n
        );
    }
}
