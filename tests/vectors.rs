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
    let extra = cases::extra_files();
    for (file, content) in &extra {
        let bin = std::fs::read(dir().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}; run `cargo run --example vectors`"));
        assert!(bin == *content, "{file} differs from the generator");
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
/// a described type carries its JSON text or, when its payload does not
/// follow the definition, its error: `{"kind", "offset"}` with a payload
/// kind of §10.4. Each payload kind has such a record.
#[test]
fn every_vector_states_what_section_13_promises() {
    let mut payload_kinds = std::collections::BTreeSet::new();
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
                let what = format!("vector {}: record {} of type {t}", case.name, r["index"]);
                assert_eq!(
                    r.get("json").is_some() || r.get("error").is_some(),
                    described.contains(&t),
                    "{what}"
                );
                assert!(
                    r.get("json").is_none() || r.get("error").is_none(),
                    "{what}: json and error"
                );
                if let Some(err) = r.get("error") {
                    let err = err.as_object().unwrap();
                    assert_eq!(err.len(), 2, "{what}: error {err:?}");
                    assert!(err["offset"].is_u64(), "{what}: error {err:?}");
                    let kind = err["kind"].as_str().unwrap().to_owned();
                    assert!(
                        PAYLOAD_KINDS.contains(&kind.as_str()),
                        "{what}: error {kind}"
                    );
                    payload_kinds.insert(kind);
                }
            }
        }
    }
    assert_eq!(
        payload_kinds.into_iter().collect::<Vec<_>>(),
        PAYLOAD_KINDS,
        "a vector holds a record of each payload kind"
    );
}

/// The payload error kinds of spec `format.md` §10.4, in name order.
const PAYLOAD_KINDS: [&str; 3] = ["PayloadInvalid", "PayloadTrailingBytes", "PayloadTruncated"];

/// Spec `format.md` §10.4: a payload error has the same offset for every
/// decoder. The records of `valid-payload-errors` decoded with the Rust types
/// that describe them — `(u8, u32)` for type 0, `(u8, bool)` for types 1 to
/// 3 — fail (or succeed) exactly as the vector states for a decoder by
/// definition.
#[test]
fn a_compiled_type_reports_the_vectors_payload_errors() {
    let case = cases::all()
        .into_iter()
        .find(|c| c.name == "valid-payload-errors")
        .unwrap();
    let reader = koffer::read::Reader::new(&case.bytes).unwrap();
    let records: Vec<_> = reader.records().map(Result::unwrap).collect();
    let expected = case.expect["records"].as_array().unwrap();
    assert_eq!(records.len(), expected.len());
    for (r, want) in records.iter().zip(expected) {
        let got = match r.record_type {
            0 => r.decode::<(u8, u32)>().map(|_| ()),
            _ => r.decode::<(u8, bool)>().map(|_| ()),
        };
        match (got, want.get("error")) {
            (Ok(()), None) => assert_eq!(r.decode::<(u8, bool)>(), Ok((7, true))),
            (Err(e), Some(err)) => {
                assert_eq!(e.kind.name(), err["kind"], "record {}", r.index);
                assert_eq!(e.offset, err["offset"], "record {}", r.index);
            }
            (got, want) => panic!(
                "record {}: decoded {got:?}, the vector says {want:?}",
                r.index
            ),
        }
    }
}
