//! The `export --format csv` files: one a record type, a header of dotted
//! column names with units, a row a record.

use std::collections::HashSet;
use std::io::{self, Write};

use koffer::schema::{Definition, Kind, Node, Schema};
use serde::Serialize;

use crate::doc::hex;
use crate::export::{unreadable, BadRecords, Export, Outcome};

mod row;
use row::RowPlan;

/// One leaf column of a record type, as the CSV header names it and a table
/// or plot shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// The dotted path of the field (`position.lat`); `value` for a root
    /// that is not a struct, `payload` for a type without a described layout.
    pub path: String,
    /// The CSV header cell: the path, then the unit in brackets (`hr [1/min]`).
    pub header: String,
    /// The field's type, as `inspect` names it (`u16`, `option<f32>`, ...).
    #[serde(rename = "type")]
    pub ty: String,
    /// Its unit (of the quantity, after scaling).
    pub unit: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its scale: quantity = value × scale + offset (spec `schema.md` §3).
    /// The CSV cells (and [`cells`]) hold the quantity already.
    pub scale: Option<f64>,
    /// Its offset.
    pub offset: Option<f64>,
    /// A timestamp's time base (`""`: the container's `time.base`); `None`
    /// for a field that is not a timestamp.
    pub time: Option<String>,
}

impl Column {
    /// Whether it is a timestamp (annotated `time`): the type's time axis.
    pub fn is_time(&self) -> bool {
        self.time.is_some()
    }
}

/// The columns of a record type, in the order of the CSV header and of
/// [`cells`]: nested structs flattened with dots. A type with an empty
/// definition has one column, `payload` (its payload as hex).
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let scan = koffer_export::scan(&bytes);
/// let cols = koffer_export::columns(&scan.schemas[0]);
/// assert!(!cols.is_empty());
/// assert!(cols.iter().all(|c| c.header.starts_with(&c.path)));
/// ```
pub fn columns(schema: &Schema<'_>) -> Vec<Column> {
    match Definition::parse(schema.definition)
        .ok()
        .and_then(|d| d.root())
    {
        Some(root) => columns_of(root),
        None => vec![Column {
            path: "payload".into(),
            header: "payload".into(),
            ty: "bytes".into(),
            unit: None,
            description: Some(
                "the record's payload as hex: the type has no described layout".into(),
            ),
            scale: None,
            offset: None,
            time: None,
        }],
    }
}

/// The columns of a value of type `root` ([`columns`] for a parsed definition).
pub fn columns_of(root: Node<'_>) -> Vec<Column> {
    let mut out = Vec::new();
    leaves(root, "", None, &mut out);
    out
}

fn leaves(
    node: Node<'_>,
    prefix: &str,
    a: Option<&koffer::schema::Annotations<'_>>,
    out: &mut Vec<Column>,
) {
    if let Kind::Struct { fields, .. } = node.kind() {
        for f in fields {
            let name = if prefix.is_empty() {
                f.name.to_string()
            } else {
                format!("{prefix}.{}", f.name)
            };
            leaves(f.ty, &name, Some(&f.annotations), out);
        }
        return;
    }
    let path = if prefix.is_empty() { "value" } else { prefix };
    let unit = a.and_then(|a| a.unit);
    out.push(Column {
        path: path.to_string(),
        header: match unit {
            Some(u) => format!("{path} [{u}]"),
            None => path.to_string(),
        },
        ty: crate::layout::type_name(node),
        unit: unit.map(str::to_string),
        description: a.and_then(|a| a.description).map(str::to_string),
        scale: a.and_then(|a| a.scale),
        offset: a.and_then(|a| a.offset),
        time: a.and_then(|a| a.time).map(str::to_string),
    });
}

/// A record type's CSV file, as `koffer export --format csv -o DIR` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvType {
    /// Its record type id.
    pub record_type: u8,
    /// Its name.
    pub name: String,
    /// The file name in DIR: `<type>.csv`, the name with characters other
    /// than ASCII letters, digits, `-`, `_`, `.` as `_` (and `-<id>` after
    /// a name another type already took).
    pub file_name: String,
}

/// The CSV files of the container in `bytes`, one a record type in
/// record type order; empty when its header cannot be read.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let types = koffer_export::csv_types(&bytes);
/// assert!(types.iter().all(|t| t.file_name.ends_with(".csv")));
/// ```
pub fn csv_types(bytes: &[u8]) -> Vec<CsvType> {
    let scan = crate::scan(bytes);
    Export::new(&scan).map_or_else(Vec::new, |ex| ex.csv_types())
}

/// `koffer export --format csv`, one type: exactly the bytes the command
/// writes to `DIR/<file name>` for `record_type`. Fails with `InvalidData`
/// when the header cannot be read and `NotFound` when the container has no
/// schema for `record_type`.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let t = &koffer_export::csv_types(&bytes)[0];
/// let mut out = Vec::new();
/// koffer_export::write_csv(&bytes, t.record_type, &mut out).unwrap();
/// assert!(out.ends_with(b"\r\n"));
/// ```
pub fn write_csv(bytes: &[u8], record_type: u8, out: &mut dyn Write) -> io::Result<Outcome> {
    let scan = crate::scan(bytes);
    let ex = Export::new(&scan).ok_or_else(|| unreadable(&scan))?;
    ex.write_csv(&mut [(record_type, out)], &mut |_| {})
}

impl Export<'_, '_> {
    /// The CSV files, one a record type in record type order ([`csv_types`]).
    pub fn csv_types(&self) -> Vec<CsvType> {
        // Names taken so far, lowercase: file systems that ignore case
        // would make `A.csv` and `a.csv` one file.
        let mut used = HashSet::new();
        let mut out = Vec::new();
        for (id, t) in self.types.iter().enumerate() {
            let Some(t) = t else { continue };
            let base = file_stem(t.name);
            let mut stem = base.clone();
            let mut n = 1u32;
            while !used.insert(stem.to_ascii_lowercase()) {
                stem = if n == 1 {
                    format!("{base}-{id}")
                } else {
                    format!("{base}-{id}-{n}")
                };
                n += 1;
            }
            out.push(CsvType {
                record_type: id as u8,
                name: t.name.to_string(),
                file_name: format!("{stem}.csv"),
            });
        }
        out
    }

    /// The CSV of several record types in one pass over the records: for
    /// each `(record_type, sink)`, the header, then a row a record of that
    /// type (records that do not follow their schema are left out and
    /// counted in the outcome). Calls `progress` with each record's offset.
    /// Fails with `NotFound` for a record type without a schema.
    pub fn write_csv(
        &self,
        sinks: &mut [(u8, &mut dyn Write)],
        progress: &mut dyn FnMut(u64),
    ) -> io::Result<Outcome> {
        let mut slot: Vec<Option<usize>> = vec![None; 256];
        for (i, (id, out)) in sinks.iter_mut().enumerate() {
            let Some(t) = self.types[usize::from(*id)].as_ref() else {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no schema for record type {id}"),
                ));
            };
            let mut head = Vec::new();
            match t.root {
                Some(root) => head.extend(columns_of(root).into_iter().map(|c| c.header)),
                None => head.push("payload".to_string()),
            }
            out.write_all(&csv_line(&head))?;
            slot[usize::from(*id)] = Some(i);
        }
        // The leaves of each exported type, prepared once.
        let mut plans: Vec<Option<RowPlan>> = (0..256).map(|_| None).collect();
        for (id, _) in sinks.iter() {
            if let Some(root) = self.types[usize::from(*id)].as_ref().and_then(|t| t.root) {
                plans[usize::from(*id)] = Some(RowPlan::new(root));
            }
        }
        let mut bad = BadRecords::default();
        let mut json = Vec::new();
        // Each file's rows, written straight into its buffer and handed to
        // its sink a piece of `CHUNK` bytes at a time.
        const CHUNK: usize = 1 << 16;
        let mut bufs: Vec<Vec<u8>> = sinks.iter().map(|_| Vec::with_capacity(CHUNK)).collect();
        for rec in self.reader.records().map_while(Result::ok) {
            progress(rec.offset);
            let t = usize::from(rec.record_type);
            let (Some(_), Some(i)) = (self.types[t].as_ref(), slot[t]) else {
                continue;
            };
            let buf = &mut bufs[i];
            let mark = buf.len();
            match &plans[t] {
                None => {
                    csv_cell(&hex(rec.payload), buf);
                    buf.extend_from_slice(b"\r\n");
                }
                Some(plan) => match plan.row(rec.payload, buf, &mut json) {
                    Ok(n) if n == rec.payload.len() => {}
                    Ok(n) => {
                        buf.truncate(mark);
                        let at = rec.offset + n as u64;
                        bad.note(
                            rec.index,
                            koffer::read::Error {
                                offset: at,
                                kind: koffer::read::ErrorKind::PayloadTrailingBytes,
                            },
                        );
                        continue;
                    }
                    Err(e) => {
                        buf.truncate(mark);
                        bad.note(rec.index, e.in_record(&rec));
                        continue;
                    }
                },
            }
            if buf.len() >= CHUNK {
                sinks[i].1.write_all(buf)?;
                buf.clear();
            }
        }
        for ((_, out), buf) in sinks.iter_mut().zip(&bufs) {
            out.write_all(buf)?;
        }
        Ok(self.outcome(bad, "their rows are left out"))
    }
}

/// The cells of one value, in the order of [`columns`], as the CSV export
/// writes them (before quoting): scaled numbers as their quantity, strings
/// unquoted, an absent option empty. Appends to `out`; returns the bytes it
/// took, which for a record that follows its definition is the whole payload.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
/// let scan = koffer_export::scan(&bytes);
/// let schema = scan.schemas[0];
/// let root = koffer::schema::Definition::parse(schema.definition).unwrap().root().unwrap();
/// let rec = scan.checked.unwrap().records().find_map(|r| r.ok().filter(|r| r.record_type == schema.record_type)).unwrap();
/// let mut row = Vec::new();
/// assert_eq!(koffer_export::cells(root, rec.payload, &mut row).unwrap(), rec.payload.len());
/// assert_eq!(row.len(), koffer_export::columns(&schema).len());
/// ```
pub fn cells(
    node: Node<'_>,
    bytes: &[u8],
    out: &mut Vec<String>,
) -> Result<usize, koffer::dynamic::Error> {
    cells_scaled(node, bytes, Scaling::NONE, out)
}

/// A field's `scale` and `offset` (spec `schema.md` §3): its quantity, in
/// the unit the column's header names, is `value × scale + offset`.
#[derive(Clone, Copy)]
struct Scaling {
    scale: Option<f64>,
    offset: Option<f64>,
}

impl Scaling {
    const NONE: Scaling = Scaling {
        scale: None,
        offset: None,
    };

    /// Whether there is neither a scale nor an offset.
    fn is_none(self) -> bool {
        self.scale.is_none() && self.offset.is_none()
    }

    /// The cell of a number with this scaling: the quantity, as the
    /// shortest decimal that reads back to the same `f64`. Cells that are not
    /// numbers (an absent option, text) are left as they are.
    fn apply(self, cell: String) -> String {
        if self.is_none() {
            return cell;
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => format!("{}", self.quantity(v)),
            _ => cell,
        }
    }

    /// `v × scale + offset`. Scales are usually the inverse of an integer
    /// (0.01, 0.2, 1/256): then `(v + offset ÷ scale) ÷ (1 ÷ scale)`, one
    /// correctly rounded division, so 2,876 × 0.2 − 500 shows as `75.2`, not
    /// `75.20000000000005`.
    fn quantity(self, v: f64) -> f64 {
        let scale = self.scale.unwrap_or(1.0);
        let offset = self.offset.unwrap_or(0.0);
        let k = 1.0 / scale;
        let shift = offset * k;
        let exact = |x: f64| x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0;
        if exact(k) && exact(shift) {
            (v + shift) / k
        } else {
            v * scale + offset
        }
    }
}

fn cells_scaled(
    node: Node<'_>,
    bytes: &[u8],
    scaling: Scaling,
    out: &mut Vec<String>,
) -> Result<usize, koffer::dynamic::Error> {
    if let Kind::Struct { fields, .. } = node.kind() {
        let mut pos = 0;
        for f in fields {
            let scaling = Scaling {
                scale: f.annotations.scale,
                offset: f.annotations.offset,
            };
            pos += cells_scaled(f.ty, &bytes[pos..], scaling, out).map_err(|mut e| {
                e.offset += pos;
                e
            })?;
        }
        return Ok(pos);
    }
    let n = koffer::dynamic::skip(node, bytes)?;
    let json = koffer::json::to_json(node, &bytes[..n])?;
    out.push(scaling.apply(cell_text(&json)));
    Ok(n)
}

/// A cell from a value's JSON: strings (and enum unit variants, NaN, hex
/// bytes) unquoted, `null` (an absent option, a unit) empty, the rest as JSON text.
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

/// Appends `cell` quoted as RFC 4180 says when it needs quoting.
fn csv_cell(cell: &str, line: &mut Vec<u8>) {
    csv_cell_bytes(cell.as_bytes(), line)
}

/// [`csv_cell`] of UTF-8 text as bytes (quoting looks at ASCII bytes only).
fn csv_cell_bytes(cell: &[u8], line: &mut Vec<u8>) {
    let needs_quotes = cell
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        || cell.first() == Some(&b' ')
        || cell.last() == Some(&b' ');
    if needs_quotes {
        line.push(b'"');
        for &b in cell {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(cell);
    }
}

fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        csv_cell(c, &mut line);
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// A file name for a record type's name: characters other than ASCII
/// letters, digits, `-`, `_` and `.` become `_`.
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}
