//! Runs every vector of a directory and compares each outcome with its
//! expectation.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::compare::compare;
use crate::decoder::Decoder;
use crate::outcome::Mode;

/// Where outcomes come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// koffer's own reader, in this process ([`crate::koffer_outcome`]).
    Koffer,
    /// Another implementation's decoder command.
    Decoder(Decoder),
}

impl Source {
    /// The outcome for the container at `path`, read as `mode` says (koffer
    /// is told the mode; a decoder command carries its own flags).
    pub fn outcome(&self, path: &Path, mode: Mode) -> Result<Json, String> {
        match self {
            Source::Koffer => {
                let bytes = std::fs::read(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                match std::panic::catch_unwind(|| crate::koffer_outcome(&bytes, mode)) {
                    Ok(r) => r.map_err(|e| format!("koffer contradicts itself: {e}")),
                    Err(_) => Err("koffer panicked".into()),
                }
            }
            Source::Decoder(d) => d.outcome(path),
        }
    }
}

/// The names of the vectors in `dir`: every stem of a `.koffer` or `.json`
/// file, sorted.
pub fn vector_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str());
        if matches!(ext, Some("koffer" | "json")) {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                names.insert(stem.to_owned());
            }
        }
    }
    Ok(names.into_iter().collect())
}

/// Checks the vector `name` of `dir`: `Ok` if the outcome matches its
/// expectation, else what went wrong (the text after `FAIL name: `).
pub fn check(dir: &Path, name: &str, source: &Source, mode: Mode) -> Result<(), String> {
    let container: PathBuf = dir.join(format!("{name}.koffer"));
    let expectation = dir.join(format!("{name}.json"));
    if !container.is_file() {
        return Err(format!("no {name}.koffer beside {name}.json"));
    }
    let text = std::fs::read_to_string(&expectation)
        .map_err(|e| format!("cannot read {name}.json: {e}"))?;
    let expected: Json = serde_json::from_str(&text)
        .map_err(|e| format!("the vector's {name}.json is not JSON: {e}"))?;
    let got = source.outcome(&container, mode)?;
    compare(&expected, &got, mode).map_err(|d| d.to_string())
}

/// The result of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Vectors whose outcome matched.
    pub passed: usize,
    /// Vectors whose outcome did not, or could not be had.
    pub failed: usize,
}

/// Checks every vector of `dir`, calling `line` with each result line
/// (`PASS name` or `FAIL name: …`) as it is known.
pub fn run(
    dir: &Path,
    source: &Source,
    mode: Mode,
    mut line: impl FnMut(&str),
) -> io::Result<Tally> {
    let mut tally = Tally::default();
    for name in vector_names(dir)? {
        match check(dir, &name, source, mode) {
            Ok(()) => {
                tally.passed += 1;
                line(&format!("PASS {name}"));
            }
            Err(why) => {
                tally.failed += 1;
                line(&format!("FAIL {name}: {why}"));
            }
        }
    }
    Ok(tally)
}
