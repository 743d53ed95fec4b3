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
    /// Bytes of the records as NDJSON (`{"type":..,"index":..,"value":..}` lines,
    /// values in koffer's canonical JSON, `schema.md` §9).
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
    let mut ndjson = 0usize;
    let mut names = Vec::new();
    let mut exporters = Vec::new();
    let mut schema_bytes = 0usize;
    for s in reader.schemas() {
        let s = s.map_err(|e| Error::Write(format!("{e:?}")))?;
        schema_bytes += s.name.len() + s.definition.len() + 2;
        let def = s.definition().map_err(|e| Error::Write(format!("{e:?}")))?;
        let root = def
            .root()
            .ok_or_else(|| Error::Write("empty definition".into()))?;
        names.push(s.name.to_string());
        exporters.push(koffer::json::Exporter::new(root));
    }
    let mut per_type: Vec<(String, u64, u64)> = names.iter().map(|n| (n.clone(), 0, 0)).collect();
    let mut line = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| Error::Write(format!("{e:?}")))?;
        let t = usize::from(r.record_type);
        line.clear();
        line.extend_from_slice(b"{\"type\":");
        json_string(&names[t], &mut line);
        line.extend_from_slice(format!(",\"index\":{},\"value\":", r.index).as_bytes());
        exporters[t]
            .append(r.payload, &mut line)
            .map_err(|e| Error::Write(format!("{e:?}")))?;
        line.extend_from_slice(b"}\n");
        ndjson += line.len();
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

fn json_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
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
