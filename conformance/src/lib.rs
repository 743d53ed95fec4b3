//! A conformance runner for the koffer container format: it reads each test
//! vector of `spec/vectors/` (spec `format.md` §13) with koffer, or with
//! another implementation's decoder, and compares the outcome with the
//! vector's `.json` expectation.
//!
//! The `koffer-conformance` binary:
//!
//! - `koffer-conformance outcome [--mode verifier|records] FILE.koffer`
//!   prints koffer's outcome for one container, in the vectors' JSON shape;
//! - `koffer-conformance run [--decoder 'CMD ARGS'] [--mode verifier|records]
//!   [--timeout SECS] [DIR]` checks every vector of `DIR` (default
//!   `spec/vectors`) and prints `PASS name` or `FAIL name: path: expected …,
//!   got …` per vector, then `N passed, N failed`; it exits 0 only if all
//!   pass.
//!
//! The modules: [`outcome`] (koffer's outcome, shared with koffer's
//! `tests/vectors.rs`), [`compare`] (the comparison rules), [`decoder`]
//! (running an external decoder), [`runner`] (a directory of vectors).
//!
//! ```
//! use koffer_conformance::{koffer_outcome, outcome::Mode};
//! let mut buf = [0u8; 64];
//! let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
//! let steps = w.declare(3, "steps", 1, &[]).unwrap();
//! w.write_serialized(steps, &120u16).unwrap();
//! let bytes = w.finish().unwrap();
//!
//! let got = koffer_outcome(&bytes, Mode::Verifier).unwrap();
//! assert_eq!(got["outcome"], "complete");
//! assert_eq!(got["records"][0]["payload"], "78");
//! let cut = koffer_outcome(&bytes[..12], Mode::Records).unwrap();
//! assert_eq!(cut["error"], "HeaderTruncated");
//! ```

#![forbid(unsafe_code)]

pub mod compare;
pub mod decoder;
pub mod outcome;
pub mod runner;

use koffer::schema::Node;
use outcome::{JsonMapping, Mode};
use serde_json::Value as Json;

fn to_json(root: Node<'_>, payload: &[u8]) -> Result<String, String> {
    koffer::json::to_json(root, payload).map_err(|e| format!("{e:?}"))
}

fn from_json(root: Node<'_>, text: &str) -> Result<Vec<u8>, String> {
    koffer::json::from_json(root, text).map_err(|e| format!("{e:?}"))
}

/// koffer's JSON mapping (`koffer::json`, spec `schema.md` §9).
pub const KOFFER_JSON: JsonMapping = JsonMapping { to_json, from_json };

/// koffer's outcome for `bytes` with its JSON mapping:
/// [`outcome::outcome`] with [`KOFFER_JSON`].
pub fn koffer_outcome(bytes: &[u8], mode: Mode) -> Result<Json, String> {
    outcome::outcome(bytes, mode, Some(KOFFER_JSON))
}
