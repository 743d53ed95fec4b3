//! Spec `format.md` §13: every vector in `spec/vectors/` is byte-identical to
//! what `examples/vectors.rs` generates, and the reader reports exactly the
//! outcome its `.json` file states.

#[path = "vectors/cases.rs"]
mod cases;

/// koffer's outcome for a container, in the vectors' JSON shape: the same
/// code as the conformance runner's (`koffer-conformance outcome`), so the
/// runner and this test cannot drift apart.
#[path = "../conformance/src/outcome.rs"]
#[allow(dead_code)]
mod outcome;

use std::path::PathBuf;

use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

/// The JSON mapping of spec `schema.md` §9; without `std` there is none.
#[cfg(feature = "std")]
const JSON: Option<outcome::JsonMapping> = {
    fn to_json(root: koffer::schema::Node<'_>, payload: &[u8]) -> Result<String, String> {
        koffer::json::to_json(root, payload).map_err(|e| format!("{e:?}"))
    }
    fn from_json(root: koffer::schema::Node<'_>, text: &str) -> Result<Vec<u8>, String> {
        koffer::json::from_json(root, text).map_err(|e| format!("{e:?}"))
    }
    Some(outcome::JsonMapping { to_json, from_json })
};

#[cfg(not(feature = "std"))]
const JSON: Option<outcome::JsonMapping> = None;

/// What the reader under test reports, in the vectors' JSON shape: a
/// verifier (spec §10.1). The records walk and `verify` must agree, and each
/// record's JSON must map back to its payload.
fn observe(bytes: &[u8]) -> Json {
    outcome::outcome(bytes, outcome::Mode::Verifier, JSON).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn vectors_match_the_generator_byte_for_byte() {
    let cases = cases::all();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "vector names are unique");
    for case in &cases {
        let bin = std::fs::read(dir().join(format!("{}.koffer", case.name)))
            .unwrap_or_else(|e| panic!("{}: {e}; run `cargo run --example vectors`", case.name));
        assert_eq!(
            bin, case.bytes,
            "{}.koffer differs from the generator",
            case.name
        );
        let text = std::fs::read_to_string(dir().join(format!("{}.json", case.name))).unwrap();
        assert_eq!(
            text,
            cases::expectation_text(case),
            "{}.json differs from the generator",
            case.name
        );
    }
    // No stale files.
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if path
            .extension()
            .is_some_and(|e| e == "koffer" || e == "json")
        {
            assert!(
                names.contains(&stem.as_str()),
                "stale vector file {}",
                path.display()
            );
        }
    }
}

#[test]
fn reader_reports_each_vectors_expected_outcome() {
    for case in cases::all() {
        let observed = observe(&case.bytes);
        let expected = &case.expect;
        // Compare the keys the vector states. Without `std` there is no JSON
        // mapping to check: leave the records' "json" out of the comparison.
        let mut expected = expected.clone();
        if cfg!(not(feature = "std")) {
            if let Some(records) = expected["records"].as_array_mut() {
                for r in records {
                    r.as_object_mut().unwrap().remove("json");
                }
            }
        }
        for (key, want) in expected.as_object().unwrap() {
            assert_eq!(&observed[key], want, "vector {}: field {key}", case.name);
        }
    }
}

#[test]
fn there_are_at_least_twenty_distinct_must_reject_kinds() {
    let kinds: std::collections::BTreeSet<String> = cases::all()
        .iter()
        .filter(|c| c.expect["outcome"] == "reject")
        .map(|c| c.expect["error"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.len() >= 20,
        "only {} distinct error kinds: {kinds:?}",
        kinds.len()
    );
}
