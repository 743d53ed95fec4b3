//! `koffer-export`: what the `koffer` command writes, as a library.
//!
//! One implementation of each output, shared by the command (`cli/`) and
//! the browser viewer (`viewer/`, built for `wasm32-unknown-unknown`):
//!
//! | function | the command's output |
//! |---|---|
//! | [`scan`] → [`Scan`] | the status word ([`Status::word`]), the valid prefix, what was dropped and where ([`Scan::problem`]), totals |
//! | [`inspect_json`] → [`Report`] | `koffer inspect --json` ([`Report::to_json`]) and `koffer inspect` ([`Report::text`]) |
//! | [`write_json`] | `koffer export --format json` (spec `spec/export-json.md`) |
//! | [`write_ndjson`] | `koffer export --format ndjson` |
//! | [`csv_types`], [`write_csv`] | `koffer export --format csv -o DIR`: the file names and each file's bytes |
//! | [`columns`], [`cells`] | the CSV header's columns (dotted path, unit, type, scale, time field) and a record's cells |
//!
//! No file system, no threads, no clock, no terminal: inputs are byte
//! slices, outputs go to any [`std::io::Write`]. Long passes take an
//! optional progress callback (the `_with_progress` functions and the
//! methods of [`Export`]), called with the byte offset reached.
//!
//! Damaged input is exported as far as it is intact, never with a panic: the
//! records come from the valid prefix, and the [`Outcome`] says what was
//! dropped.
//!
//! ```
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/wearable.koffer")).unwrap();
//!
//! // Status and totals.
//! let scan = koffer_export::scan(&bytes);
//! assert_eq!(scan.status().word(), "complete");
//! println!("{} records in {} blocks", scan.total_records(), scan.total_blocks());
//!
//! // A cut copy: incomplete, with what was dropped and where.
//! let cut = &bytes[..bytes.len() - 10];
//! let p = koffer_export::scan(cut).problem().unwrap();
//! assert_eq!(p.class, "incomplete");
//! assert_eq!(p.dropped.end, cut.len() as u64);
//!
//! // One record type as CSV, the same bytes as `koffer export --format csv`.
//! let t = &koffer_export::csv_types(&bytes)[0];
//! let mut csv = Vec::new();
//! koffer_export::write_csv(&bytes, t.record_type, &mut csv).unwrap();
//!
//! // The whole file as the JSON export.
//! let mut json = Vec::new();
//! let outcome = koffer_export::write_json(&bytes, &mut json).unwrap();
//! assert!(outcome.warning_line().is_none());
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod civil;
mod csv;
pub mod doc;
mod export;
mod inspect;
pub mod layout;
mod receipts;
mod scan;

pub use civil::{civil_from_days, rfc3339};
pub use csv::{cells, columns, columns_of, csv_types, write_csv, Column, CsvType};
pub use export::{write_json, write_ndjson, BadRecord, Export, Outcome};
pub use inspect::{
    inspect_json, report, tail_text, tail_text_in, Checksums, ErrorInfo, Features, Format,
    Incomplete, MetaEntry, RecordTypeInfo, Report,
};
pub use receipts::{printable, PartyInfo, ReceiptInfo, SharedInfo};
pub use scan::{class_name, scan, scan_with_progress, FrameCounts, Problem, Scan, Status};
