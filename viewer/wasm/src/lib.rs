//! `koffer-viewer`: the decoding behind `viewer/koffer-viewer.html`, the
//! `koffer` crate compiled to `wasm32-unknown-unknown` and handed to the
//! page's JavaScript by wasm-bindgen. The page reads a file into a
//! [`Viewer`] chunk by chunk, opens it, and asks for the summary, windows of
//! table rows, numeric columns for plots, and the CSV and JSON exports.
//!
//! The work is done by [`model`], plain Rust with native tests; this layer
//! only converts to JavaScript values (JSON text, `Float64Array`, bytes).
//!
//! ```
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/wearable.koffer")).unwrap();
//! let mut v = koffer_viewer::Viewer::new("wearable.koffer", bytes.len() as f64).unwrap();
//! v.push(&bytes);
//! let summary: serde_json::Value = serde_json::from_str(&v.open()).unwrap();
//! assert_eq!(summary["status"], "complete");
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod model;
pub mod seals;

use wasm_bindgen::prelude::*;

/// One file in the page: its bytes, then (after [`Viewer::open`]) the
/// opened container.
#[wasm_bindgen]
pub struct Viewer {
    name: String,
    bytes: Vec<u8>,
    size: usize,
    opened: Option<model::Opened>,
    seals: Option<seals::SealCheck>,
}

#[wasm_bindgen]
impl Viewer {
    /// Reserves room for the file `name` of `size` bytes; refuses one above
    /// [`model::MAX_FILE`] with a message (before anything is read).
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str, size: f64) -> Result<Viewer, String> {
        if !(0.0..=model::MAX_FILE as f64).contains(&size) {
            return Err(format!(
                "the file has {size} bytes; this page reads files up to {} bytes",
                model::MAX_FILE
            ));
        }
        let size = size as usize;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(size)
            .map_err(|_| format!("not enough memory for {size} bytes"))?;
        Ok(Viewer {
            name: name.to_string(),
            bytes,
            size,
            opened: None,
            seals: None,
        })
    }

    /// The largest file size accepted.
    #[wasm_bindgen(js_name = maxFile)]
    pub fn max_file() -> f64 {
        model::MAX_FILE as f64
    }

    /// Appends the next chunk of the file (never beyond the announced size).
    pub fn push(&mut self, chunk: &[u8]) {
        let room = self.size.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    /// Opens the bytes pushed so far; returns the summary as JSON text.
    pub fn open(&mut self) -> String {
        let bytes = core::mem::take(&mut self.bytes);
        let opened = model::Opened::open(bytes, &self.name);
        let json = serde_json::to_string(opened.summary()).unwrap_or_else(|_| "null".into());
        self.opened = Some(opened);
        self.seals = None;
        json
    }

    /// Checks the seals (spec `seal.md`) against the key the container's
    /// KEY frame names (once; later calls return the same result); the
    /// result as JSON text ([`seals::SealCheck`]). `null` before
    /// [`Viewer::open`].
    pub fn seals(&mut self) -> String {
        let Some(o) = &self.opened else {
            return "null".into();
        };
        let check = self.seals.get_or_insert_with(|| {
            seals::SealCheck::run_counted(o.bytes(), |end| o.records_before(end))
        });
        serde_json::to_string(check).unwrap_or_else(|_| "null".into())
    }

    /// Compares the public key file `text` (`NAME.pub`) with the key the
    /// container is sealed with; JSON text ([`seals::UserKey`]).
    #[wasm_bindgen(js_name = compareKey)]
    pub fn compare_key(&mut self, text: &str) -> String {
        self.seals();
        let key = match &self.seals {
            Some(c) => c.user_key(text),
            None => seals::SealCheck::run(&[]).user_key(text),
        };
        serde_json::to_string(&key).unwrap_or_else(|_| "null".into())
    }

    /// Rows `start..start + count` of record type `record_type` as JSON
    /// text: `[{index, offset, cells, raw, error}]`.
    pub fn rows(&self, record_type: u8, start: f64, count: f64) -> String {
        let rows = match &self.opened {
            Some(o) => o.rows(record_type, start as u64, count as u64),
            None => Vec::new(),
        };
        serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
    }

    /// One numeric column of all records of a type, scale and offset
    /// applied (NaN where a record holds no number there; empty for a
    /// column that is not numeric). Throws the message of
    /// [`model::Refused`] for a type with too many records for the file.
    pub fn column(&self, record_type: u8, column: usize) -> Result<Vec<f64>, String> {
        match &self.opened {
            Some(o) => o.column(record_type, column).map_err(|e| e.to_string()),
            None => Ok(Vec::new()),
        }
    }

    /// Record type `record_type` as CSV: the bytes `koffer export --format
    /// csv` writes for it (`koffer-export`'s `write_csv`). Throws the
    /// message of [`model::Refused`] when it would take too much memory.
    pub fn csv(&self, record_type: u8) -> Result<Vec<u8>, String> {
        match &self.opened {
            Some(o) => o.csv(record_type).map_err(|e| e.to_string()),
            None => Ok(Vec::new()),
        }
    }

    /// The file name `koffer export --format csv` gives record type `record_type`.
    #[wasm_bindgen(js_name = csvFileName)]
    pub fn csv_file_name(&self, record_type: u8) -> String {
        self.opened
            .as_ref()
            .and_then(|o| {
                koffer_export::csv_types(o.bytes())
                    .into_iter()
                    .find(|t| t.record_type == record_type)
            })
            .map_or_else(|| format!("type-{record_type}.csv"), |t| t.file_name)
    }

    /// The whole file as `koffer export --format json` writes it
    /// (`koffer-export`'s `write_json`); empty when the header cannot be
    /// read. Throws the message of [`model::Refused`] when it would take
    /// too much memory.
    pub fn json(&self) -> Result<Vec<u8>, String> {
        match &self.opened {
            Some(o) => o.json().map_err(|e| e.to_string()),
            None => Ok(Vec::new()),
        }
    }
}
