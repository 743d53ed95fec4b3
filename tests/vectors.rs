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
#[cfg(feature = "json")]
const JSON: Option<outcome::JsonMapping> = {
    fn to_json(root: koffer::schema::Node<'_>, payload: &[u8]) -> Result<String, String> {
        koffer::json::to_json(root, payload).map_err(|e| format!("{e:?}"))
    }
    fn from_json(root: koffer::schema::Node<'_>, text: &str) -> Result<Vec<u8>, String> {
        koffer::json::from_json(root, text).map_err(|e| format!("{e:?}"))
    }
    Some(outcome::JsonMapping { to_json, from_json })
};

#[cfg(not(feature = "json"))]
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
        // Compare the keys the vector states. Without `json` there is no JSON
        // mapping to check: leave the records' "json" out of the comparison.
        let mut expected = expected.clone();
        if cfg!(not(feature = "json")) {
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

/// Spec `format.md` §13: a complete vector states its totals, metadata,
/// schemas and records; an incomplete one its valid length, tail and
/// records; a rejected one its check, error and offset; and every record of
/// a described type carries its JSON text.
#[test]
fn every_vector_states_what_section_13_promises() {
    for case in cases::all() {
        let e = &case.expect;
        let keys: &[&str] = match e["outcome"].as_str().unwrap() {
            "complete" => &["totals", "metadata", "schemas", "records"],
            "incomplete" => &["valid_len", "tail", "records"],
            "reject" => &["check", "error", "offset"],
            other => panic!("{}: outcome {other}", case.name),
        };
        for k in keys {
            assert!(e.get(*k).is_some(), "vector {} states no {k}", case.name);
        }
        if e["outcome"] == "complete" {
            for t in ["frames", "blocks", "records"] {
                assert!(e["totals"][t].is_u64(), "vector {}: totals.{t}", case.name);
            }
            let described: Vec<u64> = e["schemas"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["definition"] != "")
                .map(|s| s["record_type"].as_u64().unwrap())
                .collect();
            for r in e["records"].as_array().unwrap() {
                let t = r["record_type"].as_u64().unwrap();
                assert_eq!(
                    r.get("json").is_some(),
                    described.contains(&t),
                    "vector {}: record {} of type {t}",
                    case.name,
                    r["index"]
                );
            }
        }
    }
}
