//! `koffer-arrow`: koffer containers as Apache Arrow record batches, Arrow
//! IPC files and Parquet files — the bridge to pyarrow, pandas, Polars,
//! DuckDB, Spark, Trino and DataFusion. The mapping is spec `spec/arrow.md`;
//! its words are the names here.
//!
//! - [`Container::arrow_schema`]: a record type's definition → an Arrow
//!   schema (field metadata `koffer.unit`, `koffer.description`, ...;
//!   schema metadata: the container's metadata and the type's fingerprint).
//! - [`Container::batches`]: its records → [`RecordBatch`]es, streaming:
//!   at most [`Options::batch_size`] rows are held at a time.
//! - [`write_parquet`], [`write_ipc`]: every record type in one pass, a
//!   file per type, named by [`file_names`].
//!
//! Records whose payload does not follow their definition are skipped and
//! counted ([`Outcome::bad_records`]); a damaged container gives its intact
//! records. Nothing here panics on bad input.
//!
//! ```
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
//! let c = koffer_arrow::Container::open(&bytes).unwrap();
//! assert_eq!(c.status().word(), "complete");
//! let t = c.record_types()[0].record_type;
//! let options = koffer_arrow::Options { batch_size: 100, ..Default::default() };
//! let mut rows = 0;
//! let mut batches = c.batches(t, options).unwrap();
//! for batch in &mut batches {
//!     let batch = batch.unwrap();
//!     assert!(batch.num_rows() <= 100);
//!     rows += batch.num_rows();
//! }
//! assert_eq!(batches.bad_records(), 0);
//! assert!(rows > 0);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod decode;
pub mod from_arrow;
mod mapping;
mod plan;

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BinaryArray, RecordBatch, StructArray};
use arrow_schema::{ArrowError, DataType, Field, Schema as ArrowSchema, SchemaRef};
use koffer::read::Records;
use koffer::schema::{Definition, Node, Schema};
use koffer_export::{Outcome, Scan, Status};

use decode::{Fill, FillError};
pub use mapping::{key, quantity, Options, DECIMAL_128};
use mapping::{Ctx, Tree};
use plan::Plan;

/// Schema metadata keys (spec `arrow.md` §4).
pub mod schema_key {
    /// The record type's id.
    pub const RECORD_TYPE: &str = "koffer.record_type";
    /// Its name.
    pub const NAME: &str = "koffer.name";
    /// Its version.
    pub const VERSION: &str = "koffer.version";
    /// Its fingerprint, 16 hex digits (as `inspect --json` writes it).
    pub const FINGERPRINT: &str = "koffer.fingerprint";
    /// Its definition's bytes, hex.
    pub const DEFINITION: &str = "koffer.definition";
    /// The container's metadata: a JSON array of `inspect --json` metadata
    /// entries (`key`, `type`, `value`, `rfc3339`).
    pub const METADATA: &str = "koffer.metadata";
    /// The container's status (`complete`, `incomplete`, ...).
    pub const STATUS: &str = "koffer.status";
}

/// What went wrong.
#[derive(Debug)]
pub enum Error {
    /// The file's header cannot be read: not a container, or one this
    /// version cannot read (the reader's error: kind and offset).
    Unreadable(koffer::read::Error),
    /// The container has no schema for this record type.
    NoSchema(u8),
    /// Arrow refused a batch (not expected: reported, not a panic).
    Arrow(ArrowError),
    /// The Parquet writer failed.
    Parquet(parquet::errors::ParquetError),
    /// Writing failed.
    Io(std::io::Error),
    /// A checked payload did not fit its columns (not expected).
    Internal(u64),
    /// The thread encoding the files of [`write_files`] stopped without
    /// saying why (not expected).
    Encoder,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreadable(e) => write!(f, "{e}"),
            Error::NoSchema(t) => write!(f, "no schema for record type {t}"),
            Error::Arrow(e) => write!(f, "arrow: {e}"),
            Error::Parquet(e) => write!(f, "parquet: {e}"),
            Error::Io(e) => write!(f, "{e}"),
            Error::Internal(i) => write!(f, "record {i} could not be put into its columns"),
            Error::Encoder => write!(f, "the encoding thread stopped"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ArrowError> for Error {
    fn from(e: ArrowError) -> Self {
        Error::Arrow(e)
    }
}
impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Self {
        Error::Parquet(e)
    }
}
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// A record type of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordType {
    /// Its id.
    pub record_type: u8,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// Its fingerprint (16 hex digits).
    pub fingerprint: String,
}

/// A scanned container, ready to convert.
pub struct Container<'a> {
    scan: Scan<'a>,
    reader: koffer::read::Reader<'a>,
    time_base: String,
    metadata_json: String,
}

impl<'a> Container<'a> {
    /// Scans `bytes`. Fails only when the header cannot be read; a damaged
    /// or incomplete container opens with its intact prefix.
    pub fn open(bytes: &'a [u8]) -> Result<Container<'a>, Error> {
        Container::from_scan(koffer_export::scan(bytes))
    }

    /// A container already scanned (by [`koffer_export::scan`]).
    pub fn from_scan(scan: Scan<'a>) -> Result<Container<'a>, Error> {
        let Some(reader) = scan.checked else {
            return Err(Error::Unreadable(scan.outcome.err().unwrap_or(
                koffer::read::Error {
                    offset: 0,
                    kind: koffer::read::ErrorKind::HeaderTruncated,
                },
            )));
        };
        let time_base = scan
            .metadata
            .iter()
            .find_map(|e| match (e.key, e.value) {
                (koffer::meta::key::TIME_BASE, koffer::meta::Value::Str(s)) => Some(s.to_string()),
                _ => None,
            })
            .unwrap_or_default();
        let metadata_json = koffer_export::report(&scan, "")
            .and_then(|r| serde_json::to_string(&r.metadata).ok())
            .unwrap_or_else(|| "[]".into());
        Ok(Container {
            scan,
            reader,
            time_base,
            metadata_json,
        })
    }

    /// The scan (status, metadata, schemas, what was dropped).
    pub fn scan(&self) -> &Scan<'a> {
        &self.scan
    }

    /// `complete`, `incomplete`, `corrupt`, ... ([`Status::word`]).
    pub fn status(&self) -> Status {
        self.scan.status()
    }

    /// Its record types, in file order.
    pub fn record_types(&self) -> Vec<RecordType> {
        self.scan
            .schemas
            .iter()
            .map(|s| RecordType {
                record_type: s.record_type,
                name: s.name.to_string(),
                version: s.version,
                fingerprint: format!("{:016x}", s.fingerprint()),
            })
            .collect()
    }

    fn schema_of(&self, record_type: u8) -> Result<&Schema<'a>, Error> {
        self.scan
            .schemas
            .iter()
            .find(|s| s.record_type == record_type)
            .ok_or(Error::NoSchema(record_type))
    }

    /// The Arrow schema of a record type's batches.
    pub fn arrow_schema(&self, record_type: u8, options: Options) -> Result<SchemaRef, Error> {
        Ok(self.converter(record_type, options)?.schema)
    }

    fn converter(&self, record_type: u8, options: Options) -> Result<Converter<'a>, Error> {
        let s = *self.schema_of(record_type)?;
        Ok(Converter::new(&s, self, options))
    }

    /// A record type's records as record batches, streaming.
    pub fn batches(&self, record_type: u8, options: Options) -> Result<Batches<'a>, Error> {
        let conv = self.converter(record_type, options)?;
        let records = self.records();
        Ok(Batches {
            records,
            conv,
            done: false,
        })
    }

    fn records(&self) -> Records<'a> {
        self.reader.records()
    }

    fn outcome(&self, bad: u64, first: Option<(u64, koffer::read::Error)>) -> Outcome {
        Outcome {
            problem: self.scan.problem(),
            bad_records: bad,
            first_bad_record: first,
            warning: first.map(|(index, e)| {
                format!(
                    "{bad} records do not follow their schema (the first is record {index}, {e}); they are left out"
                )
            }),
        }
    }
}

/// One record type being converted: its Arrow schema and its columns.
struct Converter<'a> {
    record_type: u8,
    /// The definition compiled once (spec `arrow.md` §6).
    plan: Option<Plan<'a>>,
    root: Option<Node<'a>>,
    tree: Option<Tree>,
    payloads: Option<arrow_array::builder::BinaryBuilder>,
    schema: SchemaRef,
    /// The root's columns become the batch's columns.
    split: bool,
    flatten: bool,
    rows: usize,
    batch_size: usize,
    bad: u64,
    first_bad: Option<(u64, koffer::read::Error)>,
    stack: Vec<usize>,
    scratch: Vec<usize>,
}

impl<'a> Converter<'a> {
    fn new(s: &Schema<'a>, c: &Container<'a>, options: Options) -> Converter<'a> {
        let root = Definition::parse(s.definition).ok().and_then(|d| d.root());
        let ctx = Ctx {
            time_base: &c.time_base,
            options,
        };
        let mut meta = HashMap::new();
        meta.insert(schema_key::RECORD_TYPE.into(), s.record_type.to_string());
        meta.insert(schema_key::NAME.into(), s.name.to_string());
        meta.insert(schema_key::VERSION.into(), s.version.to_string());
        meta.insert(
            schema_key::FINGERPRINT.into(),
            format!("{:016x}", s.fingerprint()),
        );
        meta.insert(
            schema_key::DEFINITION.into(),
            koffer_export::doc::hex(s.definition),
        );
        meta.insert(schema_key::METADATA.into(), c.metadata_json.clone());
        meta.insert(
            schema_key::STATUS.into(),
            c.scan.status().word().to_string(),
        );
        let (tree, payloads, fields, split) = match root {
            Some(root) => {
                let tree = Tree::new(root, &ctx);
                let (fields, split) = match tree.field.data_type() {
                    DataType::Struct(fs) if !tree.field.is_nullable() => {
                        (fs.iter().map(|f| f.as_ref().clone()).collect(), true)
                    }
                    _ => (vec![tree.field.clone()], false),
                };
                (Some(tree), None, fields, split)
            }
            None => (
                None,
                Some(arrow_array::builder::BinaryBuilder::new()),
                vec![Field::new("payload", DataType::Binary, false)],
                false,
            ),
        };
        let fields = if options.flatten {
            flat_fields(&fields, "")
        } else {
            fields
        };
        Converter {
            record_type: s.record_type,
            root,
            plan: root.map(Plan::new),
            tree,
            payloads,
            schema: Arc::new(ArrowSchema::new_with_metadata(fields, meta)),
            split,
            flatten: options.flatten,
            rows: 0,
            batch_size: options.batch_size.max(1),
            bad: 0,
            first_bad: None,
            stack: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Adds a record; returns whether a batch is full.
    fn push(&mut self, rec: &koffer::read::Record<'a>) -> Result<bool, Error> {
        match (self.root, &mut self.tree, &mut self.payloads) {
            (_, _, Some(p)) => p.append_value(rec.payload),
            (Some(root), Some(tree), None) => {
                if let Some(plan) = &self.plan {
                    if plan.check(rec.payload) {
                        let mut fill = Fill {
                            cols: &mut tree.cols,
                            stack: std::mem::take(&mut self.stack),
                            next: tree.root,
                            scratch: std::mem::take(&mut self.scratch),
                        };
                        fill.stack.clear();
                        let r = plan.fill(rec.payload, &mut fill);
                        self.stack = fill.stack;
                        self.scratch = fill.scratch;
                        if r.is_err() {
                            return Err(Error::Internal(rec.index));
                        }
                        self.rows += 1;
                        return Ok(self.rows >= self.batch_size);
                    }
                }
                // Refused by the plan: the fault is named as every decoder
                // names it.
                if let Err(e) = koffer::dynamic::check(root, rec.payload) {
                    self.bad += 1;
                    self.first_bad.get_or_insert((rec.index, e.in_record(rec)));
                    return Ok(false);
                }
                self.stack.clear();
                let mut fill = Fill {
                    cols: &mut tree.cols,
                    stack: std::mem::take(&mut self.stack),
                    next: tree.root,
                    scratch: std::mem::take(&mut self.scratch),
                };
                let r = koffer::dynamic::walk(root, rec.payload, &mut fill);
                self.stack = fill.stack;
                self.scratch = fill.scratch;
                if let Err(FillError::Payload | FillError::Mismatch) = r {
                    return Err(Error::Internal(rec.index));
                }
            }
            _ => return Err(Error::Internal(rec.index)),
        }
        self.rows += 1;
        Ok(self.rows >= self.batch_size)
    }

    /// The rows added since the last batch, as a batch.
    fn batch(&mut self) -> Result<RecordBatch, Error> {
        let rows = std::mem::take(&mut self.rows);
        let columns: Vec<ArrayRef> = match (&mut self.tree, &mut self.payloads) {
            (_, Some(p)) => {
                let a: BinaryArray = p.finish();
                vec![Arc::new(a)]
            }
            (Some(tree), None) => {
                let a = tree.finish()?;
                if self.split {
                    match a.as_any().downcast_ref::<StructArray>() {
                        Some(s) => s.columns().to_vec(),
                        None => return Err(Error::Internal(0)),
                    }
                } else {
                    vec![a]
                }
            }
            _ => return Err(Error::Internal(0)),
        };
        let columns = if self.flatten {
            let fields: Vec<Field> = match (&self.tree, self.split) {
                (Some(t), true) => match t.field.data_type() {
                    DataType::Struct(fs) => fs.iter().map(|f| f.as_ref().clone()).collect(),
                    _ => Vec::new(),
                },
                (Some(t), false) => vec![t.field.clone()],
                _ => vec![Field::new("payload", DataType::Binary, false)],
            };
            flat_columns(&fields, columns)
        } else {
            columns
        };
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &options,
        )?)
    }
}

/// Whether a field is flattened (spec `arrow.md` §5): a struct with named
/// fields, not an option, as the CSV export flattens them.
fn flattens(f: &Field) -> bool {
    let t = f.metadata().get(key::TYPE).map_or("", String::as_str);
    matches!(f.data_type(), DataType::Struct(_))
        && !f.is_nullable()
        && t.starts_with("struct ")
        && t.ends_with('}')
}

fn flat_fields(fields: &[Field], prefix: &str) -> Vec<Field> {
    let mut out = Vec::new();
    for f in fields {
        let name = format!("{prefix}{}", f.name());
        match f.data_type() {
            DataType::Struct(fs) if flattens(f) => {
                let kids: Vec<Field> = fs.iter().map(|k| k.as_ref().clone()).collect();
                out.extend(flat_fields(&kids, &format!("{name}.")));
            }
            _ => out.push(f.clone().with_name(name)),
        }
    }
    out
}

fn flat_columns(fields: &[Field], columns: Vec<ArrayRef>) -> Vec<ArrayRef> {
    let mut out = Vec::new();
    for (f, c) in fields.iter().zip(columns) {
        match (f.data_type(), c.as_any().downcast_ref::<StructArray>()) {
            (DataType::Struct(fs), Some(s)) if flattens(f) => {
                let kids: Vec<Field> = fs.iter().map(|k| k.as_ref().clone()).collect();
                out.extend(flat_columns(&kids, s.columns().to_vec()));
            }
            _ => out.push(c),
        }
    }
    out
}

/// A record type's record batches ([`Container::batches`]).
pub struct Batches<'a> {
    records: Records<'a>,
    conv: Converter<'a>,
    done: bool,
}

impl Batches<'_> {
    /// The Arrow schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.conv.schema.clone()
    }

    /// Records of this type skipped so far: they do not follow their schema.
    pub fn bad_records(&self) -> u64 {
        self.conv.bad
    }

    /// The first of them: its index and the container's error.
    pub fn first_bad_record(&self) -> Option<(u64, koffer::read::Error)> {
        self.conv.first_bad
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<RecordBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        for rec in self.records.by_ref() {
            let Ok(rec) = rec else { break };
            if rec.record_type != self.conv.record_type {
                continue;
            }
            match self.conv.push(&rec) {
                Ok(true) => return Some(self.conv.batch()),
                Ok(false) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.done = true;
        if self.conv.rows > 0 {
            return Some(self.conv.batch());
        }
        None
    }
}

/// Where the batches of one record type go ([`convert`]).
pub trait BatchSink {
    /// Takes one batch.
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error>;
    /// No more batches: completes the file.
    fn finish(&mut self) -> Result<(), Error>;
}

/// Converts the records of several record types in one pass over the
/// container: each `(record_type, sink)` gets its batches (at most
/// `options.batch_size` rows each; a type without records gets none) and
/// is finished. Returns what was dropped and skipped.
pub fn convert(
    c: &Container<'_>,
    sinks: &mut [(u8, &mut dyn BatchSink)],
    options: Options,
) -> Result<Outcome, Error> {
    let mut slot: Vec<Option<usize>> = vec![None; 256];
    let mut convs = Vec::new();
    for (i, (t, _)) in sinks.iter().enumerate() {
        convs.push(c.converter(*t, options)?);
        slot[usize::from(*t)] = Some(i);
    }
    for rec in c.records() {
        let Ok(rec) = rec else { break };
        let Some(i) = slot[usize::from(rec.record_type)] else {
            continue;
        };
        if convs[i].push(&rec)? {
            let b = convs[i].batch()?;
            sinks[i].1.write(&b)?;
        }
    }
    let mut bad = 0;
    let mut first: Option<(u64, koffer::read::Error)> = None;
    for (conv, (_, sink)) in convs.iter_mut().zip(sinks.iter_mut()) {
        if conv.rows > 0 {
            let b = conv.batch()?;
            sink.write(&b)?;
        }
        sink.finish()?;
        bad += conv.bad;
        if let Some(f) = conv.first_bad {
            if first.is_none_or(|g| f.0 < g.0) {
                first = Some(f);
            }
        }
    }
    Ok(c.outcome(bad, first))
}

/// A record type's output file, as `koffer export --format parquet|arrow
/// -o DIR` names it: the CSV export's name with its extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The record type's id.
    pub record_type: u8,
    /// Its name.
    pub name: String,
    /// `<type>.parquet` or `<type>.arrow`.
    pub file_name: String,
}

/// The output files of a container, one a record type, named as the CSV
/// export names its files ([`koffer_export::csv_types`]) with `extension`.
pub fn file_names(c: &Container<'_>, extension: &str) -> Vec<FileName> {
    koffer_export::Export::new(&c.scan)
        .map(|ex| ex.csv_types())
        .unwrap_or_default()
        .into_iter()
        .map(|t| FileName {
            record_type: t.record_type,
            name: t.name,
            file_name: format!(
                "{}.{extension}",
                t.file_name.strip_suffix(".csv").unwrap_or(&t.file_name)
            ),
        })
        .collect()
}

/// A Parquet file being written (zstd).
pub struct ParquetSink<W: Write + Send> {
    writer: Option<parquet::arrow::ArrowWriter<W>>,
}

impl<W: Write + Send> ParquetSink<W> {
    /// A Parquet writer of batches of `schema` to `out`, zstd-compressed,
    /// with the settings of [`writer_properties`].
    pub fn new(out: W, schema: SchemaRef) -> Result<Self, Error> {
        let props = writer_properties(&schema)?;
        Ok(ParquetSink {
            writer: Some(parquet::arrow::ArrowWriter::try_new(
                out,
                schema,
                Some(props),
            )?),
        })
    }
}

impl<W: Write + Send> BatchSink for ParquetSink<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        match &mut self.writer {
            Some(w) => Ok(w.write(batch)?),
            None => Ok(()),
        }
    }
    fn finish(&mut self) -> Result<(), Error> {
        if let Some(w) = self.writer.take() {
            w.into_inner()?.flush()?;
        }
        Ok(())
    }
}

/// The Parquet writer's settings for a schema's file (spec `arrow.md` §8):
/// zstd level 1; timestamp columns `DELTA_BINARY_PACKED` (a device's clock
/// advances by about the same step: a few bits a value); `f32`/`f64`
/// columns plain, without the dictionary that measurements overflow (it
/// cost a hash a value, then was dropped); every other column the parquet
/// crate's defaults (dictionary, then plain); format 1.0 data pages, page
/// statistics. `BYTE_STREAM_SPLIT` would make float columns ≈ 25 % smaller,
/// but Spark's vectorized reader (on by default) could not read it.
///
/// ```
/// use arrow_schema::{DataType, Field, Schema, TimeUnit};
/// use parquet::basic::Encoding;
/// use parquet::schema::types::ColumnPath;
/// let schema = Schema::new(vec![
///     Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
///     Field::new("lat", DataType::Float64, false),
///     Field::new("steps", DataType::UInt16, false),
/// ]);
/// let p = koffer_arrow::writer_properties(&schema).unwrap();
/// let col = |n: &str| ColumnPath::from(n);
/// assert_eq!(p.encoding(&col("t")), Some(Encoding::DELTA_BINARY_PACKED));
/// assert!(!p.dictionary_enabled(&col("t")));
/// assert_eq!(p.encoding(&col("lat")), Some(Encoding::PLAIN));
/// assert!(!p.dictionary_enabled(&col("lat")));
/// assert!(p.dictionary_enabled(&col("steps")));
/// ```
pub fn writer_properties(
    schema: &ArrowSchema,
) -> Result<parquet::file::properties::WriterProperties, Error> {
    use parquet::basic::{Compression, Encoding, LogicalType, Type, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    let mut b =
        WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default()));
    // The column paths as the writer names them (the same conversion).
    let columns = parquet::arrow::ArrowSchemaConverter::new().convert(schema)?;
    for c in columns.columns() {
        let encoding = if matches!(c.logical_type_ref(), Some(LogicalType::Timestamp { .. })) {
            Encoding::DELTA_BINARY_PACKED
        } else if matches!(c.physical_type(), Type::FLOAT | Type::DOUBLE) {
            Encoding::PLAIN
        } else {
            continue;
        };
        b = b
            .set_column_dictionary_enabled(c.path().clone(), false)
            .set_column_encoding(c.path().clone(), encoding);
    }
    Ok(b.build())
}

/// An Arrow IPC file being written.
pub struct IpcSink<W: Write> {
    writer: arrow_ipc::writer::FileWriter<W>,
}

impl<W: Write> IpcSink<W> {
    /// An Arrow IPC file writer of batches of `schema` to `out`.
    pub fn new(out: W, schema: SchemaRef) -> Result<Self, Error> {
        Ok(IpcSink {
            writer: arrow_ipc::writer::FileWriter::try_new(out, &schema)?,
        })
    }
}

impl<W: Write> BatchSink for IpcSink<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        Ok(self.writer.write(batch)?)
    }
    fn finish(&mut self) -> Result<(), Error> {
        self.writer.finish()?;
        Ok(self.writer.get_mut().flush()?)
    }
}

/// The file format of [`write_files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Parquet, zstd (`<type>.parquet`).
    Parquet,
    /// Arrow IPC file (`<type>.arrow`).
    Ipc,
}

impl FileFormat {
    /// The file extension: `parquet` or `arrow`.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Parquet => "parquet",
            FileFormat::Ipc => "arrow",
        }
    }
}

/// Writes one file a record type (named by [`file_names`]) through `open`,
/// which makes the sink of a file name, in one pass over the records.
///
/// Two threads: this one decodes the records into batches, a second one
/// encodes them into the files (Parquet's column encoding and compression,
/// or Arrow IPC), so the two overlap. At most [`PIPELINE_BATCHES`] batches
/// wait between them, so memory stays bounded by the batch size.
pub fn write_files<W: Write + Send>(
    c: &Container<'_>,
    format: FileFormat,
    options: Options,
    open: &mut dyn FnMut(&FileName) -> std::io::Result<W>,
) -> Result<(Vec<FileName>, Outcome), Error> {
    let names = file_names(c, format.extension());
    let mut sinks: Vec<Box<dyn BatchSink + Send>> = Vec::new();
    for n in &names {
        let schema = c.arrow_schema(n.record_type, options)?;
        let out = open(n)?;
        sinks.push(match format {
            FileFormat::Parquet => Box::new(ParquetSink::new(out, schema)?),
            FileFormat::Ipc => Box::new(IpcSink::new(out, schema)?),
        });
    }
    let outcome = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Sent>(PIPELINE_BATCHES);
        let encoder = scope.spawn(move || -> Result<(), Error> {
            for sent in rx {
                match sent {
                    Sent::Batch(i, b) => sinks[i].write(&b)?,
                    Sent::Finish(i) => sinks[i].finish()?,
                }
            }
            Ok(())
        });
        let mut channels: Vec<Channel> = (0..names.len())
            .map(|index| Channel {
                index,
                tx: tx.clone(),
            })
            .collect();
        drop(tx);
        let mut pairs: Vec<(u8, &mut dyn BatchSink)> = names
            .iter()
            .zip(channels.iter_mut())
            .map(|(n, s)| (n.record_type, s as &mut dyn BatchSink))
            .collect();
        let decoded = convert(c, &mut pairs, options);
        drop(pairs);
        // The encoder ends when every sender is gone.
        drop(channels);
        let encoded = encoder.join().unwrap_or(Err(Error::Encoder));
        // The encoder's error first: a decoder's send fails because of it.
        encoded.and(decoded)
    })?;
    Ok((names, outcome))
}

/// Batches that may wait between the decoding and the encoding thread of
/// [`write_files`].
pub const PIPELINE_BATCHES: usize = 2;

/// What the decoding thread of [`write_files`] hands to the encoding one.
enum Sent {
    Batch(usize, RecordBatch),
    Finish(usize),
}

/// A file's sink as the decoding thread sees it: the batches go to the
/// encoding thread.
struct Channel {
    index: usize,
    tx: std::sync::mpsc::SyncSender<Sent>,
}

impl BatchSink for Channel {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.tx
            .send(Sent::Batch(self.index, batch.clone()))
            .map_err(|_| Error::Encoder)
    }
    fn finish(&mut self) -> Result<(), Error> {
        self.tx
            .send(Sent::Finish(self.index))
            .map_err(|_| Error::Encoder)
    }
}

/// A record type's records as one Parquet file (zstd) written to `out`.
pub fn write_parquet<W: Write + Send>(
    c: &Container<'_>,
    record_type: u8,
    options: Options,
    out: W,
) -> Result<Outcome, Error> {
    let mut sink = ParquetSink::new(out, c.arrow_schema(record_type, options)?)?;
    convert(c, &mut [(record_type, &mut sink)], options)
}

/// A record type's records as one Arrow IPC file written to `out`.
pub fn write_ipc<W: Write>(
    c: &Container<'_>,
    record_type: u8,
    options: Options,
    out: W,
) -> Result<Outcome, Error> {
    let mut sink = IpcSink::new(out, c.arrow_schema(record_type, options)?)?;
    convert(c, &mut [(record_type, &mut sink)], options)
}
