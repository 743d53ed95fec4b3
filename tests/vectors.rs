//! Spec `format.md` §13: every vector in `spec/vectors/` is byte-identical to
//! what `examples/vectors.rs` generates, and the reader reports exactly the
//! outcome its `.json` file states.

#[path = "vectors/cases.rs"]
mod cases;

use std::path::PathBuf;

use cases::{hex, meta_json};
use koffer::read::{Completeness, Reader, Tail};
use serde_json::{json, Value as Json};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

/// The record's JSON text by spec `schema.md` §9, decoded with nothing but
/// the definition in the file; also checks that the JSON maps back to the
/// exact payload. `None` when the record type's layout is not described.
#[cfg(feature = "json")]
fn json_of(reader: &Reader<'_>, r: &koffer::read::Record<'_>) -> Option<String> {
    let schema = reader.schema(r.record_type).unwrap()?;
    let def = schema.definition().unwrap();
    let root = def.root()?;
    let text = koffer::json::to_json(root, r.payload).unwrap();
    let back = koffer::json::from_json(root, &text).unwrap();
    assert_eq!(back, r.payload, "JSON {text} maps back to the payload");
    Some(text)
}

#[cfg(not(feature = "json"))]
fn json_of(_: &Reader<'_>, _: &koffer::read::Record<'_>) -> Option<String> {
    None
}

/// What the reader under test reports, in the vectors' JSON shape.
fn observe(bytes: &[u8]) -> Json {
    let reject = |e: koffer::read::Error| json!({ "outcome": "reject", "check": "structure", "error": e.kind.name(), "offset": e.offset });
    let reader = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return reject(e),
    };
    // The records walk applies the structure checks only (spec §10.1).
    let mut records = Vec::new();
    let mut iter = reader.records();
    let mut walk_error = None;
    for r in iter.by_ref() {
        match r {
            Ok(r) => records.push(r),
            Err(e) => walk_error = Some(e),
        }
    }
    let walked = iter.finish();
    assert_eq!(
        walk_error.map(Err),
        walked.err().map(Err::<(), _>),
        "finish repeats the walk's error"
    );
    // `verify` applies the description checks too.
    let summary = match reader.verify() {
        Ok(s) => {
            assert_eq!(walked, Ok(s), "the records walk and verify agree");
            s
        }
        Err(e) => {
            let mut observed = reject(e);
            match walked {
                Err(w) => assert_eq!(w, e, "the records walk and verify stop at the same error"),
                // The walk read past it: the error lies in a description.
                Ok(_) => observed["check"] = json!("description"),
            }
            return observed;
        }
    };
    let records: Vec<Json> = records
        .iter()
        .map(|r| {
            let mut rec = json!({ "record_type": r.record_type, "index": r.index, "payload": hex(r.payload) });
            if let Some(text) = json_of(&reader, r) {
                rec["json"] = json!(text);
            }
            rec
        })
        .collect();
    let metadata: Vec<Json> = reader.metadata().map(|e| meta_json(&e.unwrap())).collect();
    let schemas: Vec<Json> = reader
        .schemas()
        .map(|s| {
            let s = s.unwrap();
            json!({ "record_type": s.record_type, "name": s.name, "version": s.version, "definition": hex(s.definition),
                    "fingerprint": format!("{:016x}", s.fingerprint()) })
        })
        .collect();
    match summary.completeness {
        Completeness::Complete => json!({
            "outcome": "complete",
            "totals": { "frames": summary.counted.frames, "blocks": summary.counted.blocks, "records": summary.counted.records },
            "metadata": metadata,
            "schemas": schemas,
            "records": records,
        }),
        Completeness::Incomplete { valid_len, tail } => json!({
            "outcome": "incomplete",
            "valid_len": valid_len,
            "tail": match tail {
                Tail::None => json!({"kind": "none"}),
                Tail::Unwritten { len } => json!({"kind": "unwritten", "len": len}),
                Tail::Torn { len } => json!({"kind": "torn", "len": len}),
            },
            "metadata": metadata,
            "schemas": schemas,
            "records": records,
        }),
    }
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
