//! Host converters from real device formats into koffer containers.
//!
//! - [`fit`]: Garmin/ANT FIT activity files (a tolerant reader of its own, the
//!   FIT profile for names, units, scale and offset).
//! - [`ulog`]: PX4 ULog flight logs (a tolerant reader of its own).
//!
//! Both turn the input into an [`Export`]: metadata, one record type per
//! message layout (a struct with one field per source field, with units,
//! scale/offset and time annotations) and the records in file order, encoded
//! as postcard payloads. [`Export::to_container`] writes the container with
//! koffer's [`Writer`](koffer::write::Writer) and a 4096-byte block buffer.
//! Damaged inputs convert up to the damage; [`Report::damage`] says where and
//! why the reader stopped.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod def;
pub mod fit;
pub mod sizes;
pub mod ulog;

use koffer::meta::{Entry, OwnedValue};
use koffer::write::Writer;

use crate::def::Ty;

/// The block buffer size the converters write with.
pub const BLOCK_BUFFER: usize = 4096;

/// The most record types a container can hold (identifiers 0..=255).
pub const MAX_RECORD_TYPES: usize = 256;

/// Why a conversion failed. Damage inside an input that still has a valid
/// start is not an error: it is reported in [`Report::damage`].
#[derive(Debug)]
pub enum Error {
    /// The input is not a file of the expected format (bad signature or header).
    NotRecognized(String),
    /// A record type definition could not be built.
    Definition(String),
    /// More distinct message layouts than a container has record types.
    TooManyRecordTypes(usize),
    /// koffer's writer refused something (a bug in the mapping).
    Write(String),
    /// Reading or writing a file failed.
    Io(std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NotRecognized(m) => write!(f, "input not recognized: {m}"),
            Error::Definition(m) => write!(f, "cannot build a record type definition: {m}"),
            Error::TooManyRecordTypes(n) => {
                write!(
                    f,
                    "{n} distinct message layouts, a container holds at most 256 record types"
                )
            }
            Error::Write(m) => write!(f, "koffer writer: {m}"),
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// One record type of an export.
#[derive(Debug, Clone)]
pub struct RecordTypeDef {
    /// Record type name (unique within the export).
    pub name: String,
    /// Record type version.
    pub version: u32,
    /// The value's type; a struct for every converter here.
    pub ty: Ty,
}

/// What a converter read and what it could not.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Source format (`FIT`, `ULog`).
    pub format: String,
    /// Bytes of the input.
    pub input_bytes: usize,
    /// Data messages (FIT) / data rows and other logged messages (ULog)
    /// decoded: each becomes one record.
    pub messages: usize,
    /// Definition messages (FIT) / formats (ULog) read.
    pub definitions: usize,
    /// Bytes of the input covered by the messages decoded (from its start,
    /// header included).
    pub bytes_decoded: usize,
    /// Where and why reading stopped before the end, if it did.
    pub damage: Option<String>,
    /// Other observations (checksum mismatches, skipped padding, ...).
    pub notes: Vec<String>,
}

/// A converted file: metadata, record types and records, ready to write.
#[derive(Debug, Clone, Default)]
pub struct Export {
    /// Metadata entries, in order.
    pub metadata: Vec<(String, OwnedValue)>,
    /// Record types; a record's type is its index here.
    pub types: Vec<RecordTypeDef>,
    /// All payloads back to back.
    payloads: Vec<u8>,
    /// Per record: its type and the end of its payload in `payloads`.
    index: Vec<(u8, usize)>,
    /// What was read.
    pub report: Report,
}

impl Export {
    /// Adds a record type; returns its identifier.
    pub fn add_type(&mut self, name: String, version: u32, ty: Ty) -> Result<u8, Error> {
        let id = self.types.len();
        if id >= MAX_RECORD_TYPES {
            return Err(Error::TooManyRecordTypes(id + 1));
        }
        self.types.push(RecordTypeDef { name, version, ty });
        Ok(id as u8)
    }

    /// Appends a record of type `record_type` whose payload `encode` appends.
    pub fn push_record(&mut self, record_type: u8, encode: impl FnOnce(&mut Vec<u8>)) {
        encode(&mut self.payloads);
        self.index.push((record_type, self.payloads.len()));
    }

    /// Number of records.
    pub fn record_count(&self) -> usize {
        self.index.len()
    }

    /// The records in order: type and payload.
    pub fn records(&self) -> impl Iterator<Item = (u8, &[u8])> + '_ {
        let mut start = 0;
        self.index.iter().map(move |&(t, end)| {
            let p = &self.payloads[start..end];
            start = end;
            (t, p)
        })
    }

    /// Adds a metadata entry.
    pub fn meta(&mut self, key: &str, value: OwnedValue) {
        self.metadata.push((key.to_string(), value));
    }

    /// Writes the container: metadata, every schema, then the records in
    /// order, with a [`BLOCK_BUFFER`]-byte block buffer.
    pub fn to_container(&self) -> Result<Vec<u8>, Error> {
        let werr =
            |e: koffer::write::Error<std::convert::Infallible>| Error::Write(format!("{e:?}"));
        let mut block = vec![0u8; BLOCK_BUFFER];
        let mut w = Writer::new(Vec::new(), &mut block).map_err(werr)?;
        // Metadata frames are bounded (1 MiB): write them in chunks.
        let entries: Vec<Entry<'_>> = self
            .metadata
            .iter()
            .map(|(k, v)| Entry::new(k, v.as_value()))
            .collect();
        let mut chunk_start = 0;
        let mut chunk_len = 0;
        for (i, e) in entries.iter().enumerate() {
            let len = e.encoded_len();
            if chunk_len + len > 512 * 1024 && i > chunk_start {
                w.metadata(&entries[chunk_start..i]).map_err(werr)?;
                chunk_start = i;
                chunk_len = 0;
            }
            chunk_len += len;
        }
        if chunk_start < entries.len() {
            w.metadata(&entries[chunk_start..]).map_err(werr)?;
        }
        let mut handles = Vec::with_capacity(self.types.len());
        for (id, t) in self.types.iter().enumerate() {
            let definition = def::encode(&t.ty)?;
            let handle = w
                .declare(id as u8, &t.name, t.version, &definition)
                .map_err(|e| Error::Write(format!("record type {:?}: {e:?}", t.name)))?;
            handles.push(handle);
        }
        for (t, payload) in self.records() {
            w.write_payload(handles[usize::from(t)], payload)
                .map_err(werr)?;
        }
        w.finish().map_err(werr)
    }
}

/// Maps a source unit to the UCUM-style symbol koffer recommends (SenML
/// names where there is one); units without a mapping are kept as given.
pub fn map_unit(unit: &str) -> &str {
    match unit {
        "watts" | "Watts" | "WATTS" => "W",
        "KN/m" => "kN/m",
        "bpm" => "1/min",
        "rpm" => "1/min",
        "percent" => "%",
        "degrees" => "deg",
        "C" | "degC" => "Cel",
        "minutes" => "min",
        "radians" => "rad",
        "radians/second" => "rad/s",
        "m/s^2" | "m/s/s" => "m/s2",
        "mmHg" => "mm[Hg]",
        "years" => "a",
        "hr" => "h",
        "bytes" => "By",
        "kcal/day" => "kcal/d",
        "kN/m" => "kN/m",
        other => other,
    }
}

/// The file name part of `path`, for metadata.
pub fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Garmin/ANT FIT.
    Fit,
    /// PX4 ULog.
    Ulog,
}

impl Format {
    /// The format of `path` by its extension (`.fit`, `.ulg`), if known.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "fit" => Some(Format::Fit),
            "ulg" | "ulog" => Some(Format::Ulog),
            _ => None,
        }
    }
}

/// Converts `input` bytes of `format` into an [`Export`].
pub fn convert_bytes(format: Format, input: &[u8], source_name: &str) -> Result<Export, Error> {
    match format {
        Format::Fit => fit::convert(input, source_name).map(|c| c.export),
        Format::Ulog => ulog::convert(input, source_name).map(|c| c.export),
    }
}

/// Reads `input`, converts it and writes the container to `output`.
pub fn convert_file(
    format: Format,
    input: &std::path::Path,
    output: &std::path::Path,
) -> Result<Report, Error> {
    let bytes = std::fs::read(input)?;
    let export = convert_bytes(format, &bytes, &file_name(input))?;
    let container = export.to_container()?;
    std::fs::write(output, &container)?;
    Ok(export.report)
}

/// Prints what a conversion read and wrote, on stderr.
pub fn print_report(report: &Report, output: &std::path::Path) {
    let written = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "{} {} bytes -> {} ({} bytes): {} records, {} definitions read",
        report.format,
        report.input_bytes,
        output.display(),
        written,
        report.messages,
        report.definitions
    );
    for n in &report.notes {
        eprintln!("  note: {n}");
    }
    if let Some(d) = &report.damage {
        eprintln!(
            "  damaged input: {d}; kept the {} bytes before it",
            report.bytes_decoded
        );
    }
}

/// `secs` since the Unix epoch as an RFC 3339 UTC date-time (`2011-09-25T09:14:29Z`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
