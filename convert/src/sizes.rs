//! The size comparison behind `realdata-sizes`: original file, koffer
//! container and NDJSON of the same records.

use std::fmt::Write as _;
use std::path::Path;

use koffer::read::Reader;

use crate::{convert_bytes, file_name, Error, Format};

/// Sizes of one converted file.
#[derive(Debug, Clone)]
pub struct SizeRow {
    /// File name.
    pub file: String,
    /// Source format.
    pub format: Format,
    /// Bytes of the original file.
    pub original: usize,
    /// Bytes of the koffer container.
    pub koffer: usize,
    /// Bytes of the records as NDJSON, as `koffer export --format ndjson`
    /// writes them (`export-json.md` §7: one record object a line, values in
    /// koffer's canonical JSON, `schema.md` §9).
    pub ndjson: usize,
    /// Records.
    pub records: u64,
    /// Record types.
    pub record_types: usize,
    /// Blocks in the container.
    pub blocks: u64,
    /// Bytes of schema frames (definitions) in the container.
    pub schema_bytes: usize,
    /// What was recovered, for a damaged input (empty when intact).
    pub recovered: String,
    /// Per record type: name, records, payload bytes.
    pub per_type: Vec<(String, u64, u64)>,
}

/// Converts `path` and measures the result.
pub fn measure(path: &Path, format: Format) -> Result<SizeRow, Error> {
    let bytes = std::fs::read(path)?;
    let export = convert_bytes(format, &bytes, &file_name(path))?;
    let container = export.to_container()?;
    let reader = Reader::new(&container).map_err(|e| Error::Write(format!("{e:?}")))?;
    let summary = reader
        .verify()
        .map_err(|e| Error::Write(format!("{e:?}")))?;
    // The bytes `koffer export --format ndjson` writes, from the same code.
    let mut counter = Counter(0);
    koffer_export::write_ndjson(&container, &mut counter)?;
    let ndjson = counter.0;
    let mut names = Vec::new();
    let mut schema_bytes = 0usize;
    for s in reader.schemas() {
        let s = s.map_err(|e| Error::Write(format!("{e:?}")))?;
        schema_bytes += s.name.len() + s.definition.len() + 2;
        names.push(s.name.to_string());
    }
    let mut per_type: Vec<(String, u64, u64)> = names.iter().map(|n| (n.clone(), 0, 0)).collect();
    for r in reader.records() {
        let r = r.map_err(|e| Error::Write(format!("{e:?}")))?;
        let t = usize::from(r.record_type);
        per_type[t].1 += 1;
        per_type[t].2 += r.payload.len() as u64;
    }
    let report = &export.report;
    let recovered = match &report.damage {
        Some(d) => format!(
            "{} messages from the first {} of {} bytes ({d})",
            report.messages, report.bytes_decoded, report.input_bytes
        ),
        None => String::new(),
    };
    Ok(SizeRow {
        file: file_name(path),
        format,
        original: bytes.len(),
        koffer: container.len(),
        ndjson,
        records: summary.counted.records,
        record_types: export.types.len(),
        blocks: summary.counted.blocks,
        schema_bytes,
        recovered,
        per_type,
    })
}

/// The markdown table of `rows`.
pub fn markdown(rows: &[SizeRow]) -> String {
    let mut s = String::new();
    s.push_str("| file | format | original bytes | koffer bytes | koffer/original | NDJSON bytes | records | record types | blocks | schema bytes | recovered from damage |\n");
    s.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {:?} | {} | {} | {:.3} | {} | {} | {} | {} | {} | {} |",
            r.file,
            r.format,
            r.original,
            r.koffer,
            r.koffer as f64 / r.original.max(1) as f64,
            r.ndjson,
            r.records,
            r.record_types,
            r.blocks,
            r.schema_bytes,
            if r.recovered.is_empty() {
                "intact"
            } else {
                &r.recovered
            }
        );
    }
    s
}

/// Counts the bytes written to it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
