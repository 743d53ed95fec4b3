//! The comparison rules (spec `format.md` §10.1, §13) on hand-written
//! outcomes.

use koffer_conformance::compare::compare;
use koffer_conformance::outcome::Mode::{self, Records, Verifier};
use serde_json::{json, Value};

fn diff(expected: &Value, got: &Value, mode: Mode) -> String {
    compare(expected, got, mode)
        .err()
        .map(|d| d.to_string())
        .unwrap_or_else(|| "same".into())
}

fn complete() -> Value {
    json!({
        "rule": "§5–§8",
        "outcome": "complete",
        "totals": { "frames": 3, "blocks": 1, "records": 2 },
        "metadata": [{ "key": "x:uint", "type": "uint", "value": "18446744073709551615" }],
        "schemas": [{ "record_type": 0, "name": "v", "version": 1, "definition": "02", "fingerprint": "0011223344556677" }],
        "records": [
            { "record_type": 0, "index": 0, "payload": "00", "json": "0" },
            { "record_type": 0, "index": 1, "payload": "ff", "json": "255" },
        ],
    })
}

fn without(mut v: Value, path: &[&str]) -> Value {
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut v;
    for p in parents {
        at = match p.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*p],
        };
    }
    at.as_object_mut().unwrap().remove(*last);
    v
}

#[test]
fn the_rule_is_not_compared_and_unstated_top_level_keys_are_ignored() {
    let mut got = without(complete(), &["rule"]);
    got["producer"] = json!("another reader");
    assert_eq!(diff(&complete(), &got, Verifier), "same");
    // A vector that does not state totals (the type-* vectors) ignores them.
    let expected = without(complete(), &["totals"]);
    assert_eq!(diff(&expected, &complete(), Verifier), "same");
}

#[test]
fn a_verifier_must_report_metadata_schemas_and_record_json() {
    let e = complete();
    assert_eq!(
        diff(&e, &without(e.clone(), &["metadata"]), Verifier),
        r#"$.metadata: expected [{"key":"x:uint","type":"uint","value":"18446744073709551615"}], got (missing)"#
    );
    assert_eq!(
        diff(&e, &without(e.clone(), &["records", "1", "json"]), Verifier),
        r#"$.records[1].json: expected "255", got (missing)"#
    );
}

#[test]
fn a_records_only_reader_may_leave_out_descriptions_but_not_get_them_wrong() {
    let e = complete();
    let bare = without(
        without(
            without(without(e.clone(), &["metadata"]), &["schemas"]),
            &["records", "0", "json"],
        ),
        &["records", "1", "json"],
    );
    assert_eq!(diff(&e, &bare, Records), "same");
    let mut wrong = bare.clone();
    wrong["records"][1]["json"] = json!("-1");
    assert_eq!(
        diff(&e, &wrong, Records),
        r#"$.records[1].json: expected "255", got "-1""#
    );
    let mut wrong = bare;
    wrong["metadata"] = json!([]);
    assert_eq!(
        diff(&e, &wrong, Records),
        r#"$.metadata[0]: expected {"key":"x:uint","type":"uint","value":"18446744073709551615"}, got (missing: 0 elements, not 1)"#
    );
    // Structure is never optional.
    assert_eq!(
        diff(
            &e,
            &without(e.clone(), &["records", "0", "payload"]),
            Records
        ),
        r#"$.records[0].payload: expected "00", got (missing)"#
    );
}

/// Spec `format.md` §13: a record whose payload does not follow its
/// definition carries `"error"` instead of `"json"`; a verifier must report
/// it, kind and offset, and a records-only reader, which does not decode by
/// the definition, may leave it out.
#[test]
fn a_records_payload_error_is_required_of_a_verifier_only() {
    let mut e = complete();
    e["records"][1] = json!({ "record_type": 0, "index": 1, "payload": "ff",
                              "error": { "kind": "PayloadInvalid", "offset": 78 } });
    assert_eq!(diff(&e, &e.clone(), Verifier), "same");
    assert_eq!(
        diff(
            &e,
            &without(e.clone(), &["records", "1", "error"]),
            Verifier
        ),
        r#"$.records[1].error: expected {"kind":"PayloadInvalid","offset":78}, got (missing)"#
    );
    let mut wrong = e.clone();
    wrong["records"][1]["error"]["offset"] = json!(79);
    assert_eq!(
        diff(&e, &wrong, Verifier),
        "$.records[1].error.offset: expected 78, got 79"
    );
    let mut more = e.clone();
    more["records"][1]["error"]["value_offset"] = json!(79);
    assert_eq!(
        diff(&e, &more, Verifier),
        "$.records[1].error.value_offset: expected (no such key), got 79"
    );
    let mut json_instead = without(e.clone(), &["records", "1", "error"]);
    json_instead["records"][1]["json"] = json!("255");
    assert_eq!(
        diff(&e, &json_instead, Verifier),
        r#"$.records[1].error: expected {"kind":"PayloadInvalid","offset":78}, got (missing)"#
    );
    let bare = without(
        without(
            without(without(e.clone(), &["metadata"]), &["schemas"]),
            &["records", "0", "json"],
        ),
        &["records", "1", "error"],
    );
    assert_eq!(diff(&e, &bare, Records), "same");
    assert_eq!(
        diff(&e, &wrong, Records),
        "$.records[1].error.offset: expected 78, got 79"
    );
    // Only a record's "error" may be left out, not the reject's.
    let reject = json!({ "outcome": "reject", "error": "FrameChecksum", "offset": 45 });
    assert_eq!(
        diff(&reject, &without(reject.clone(), &["error"]), Records),
        r#"$.error: expected "FrameChecksum", got (missing)"#
    );
}

#[test]
fn a_records_only_reader_may_read_past_a_description_error_only() {
    let description =
        json!({ "outcome": "reject", "check": "description", "error": "BadTag", "offset": 54 });
    let read_past = json!({ "outcome": "complete", "totals": { "frames": 4, "blocks": 2, "records": 3 }, "records": [] });
    assert_eq!(diff(&description, &read_past, Records), "same");
    assert_eq!(
        diff(&description, &read_past, Verifier),
        r#"$.outcome: expected "reject", got "complete""#
    );
    // If it does reject, it is the vector's error at its offset, or a fault
    // of the structure past the description.
    let other = json!({ "outcome": "reject", "error": "BadTag", "offset": 53 });
    assert_eq!(
        diff(&description, &other, Records),
        "$.offset: expected 54, got 53"
    );
    let later = json!({ "outcome": "reject", "check": "structure", "error": "UndeclaredRecordType", "offset": 60 });
    assert_eq!(diff(&description, &later, Records), "same");
    assert_eq!(
        diff(&description, &later, Verifier),
        r#"$.check: expected "description", got "structure""#
    );
    let later_description =
        json!({ "outcome": "reject", "check": "description", "error": "BadTag", "offset": 60 });
    assert_eq!(
        diff(&description, &later_description, Records),
        "$.offset: expected 54, got 60"
    );
    let nonsense = json!({ "outcome": "maybe" });
    assert_eq!(
        diff(&description, &nonsense, Records),
        r#"$.outcome: expected "reject" (or "complete"/"incomplete", or a later structure fault, reading past the description), got "maybe""#
    );
    let structure = json!({ "outcome": "reject", "check": "structure", "error": "FrameChecksum", "offset": 45 });
    assert_eq!(
        diff(&structure, &read_past, Records),
        r#"$.outcome: expected "reject", got "complete""#
    );
}

#[test]
fn check_may_be_left_out_but_not_contradicted() {
    let e = json!({ "outcome": "reject", "check": "description", "error": "BadTag", "offset": 54 });
    assert_eq!(diff(&e, &without(e.clone(), &["check"]), Verifier), "same");
    let mut wrong = e.clone();
    wrong["check"] = json!("structure");
    assert_eq!(
        diff(&e, &wrong, Verifier),
        r#"$.check: expected "description", got "structure""#
    );
}

#[test]
fn numbers_compare_by_value_and_never_equal_strings() {
    let e = json!({ "outcome": "incomplete", "valid_len": 447, "tail": { "kind": "torn", "len": 18 }, "records": [] });
    let mut got = e.clone();
    got["valid_len"] = json!(447.0);
    assert_eq!(diff(&e, &got, Verifier), "same");
    got["valid_len"] = json!(447.5);
    assert_eq!(
        diff(&e, &got, Verifier),
        "$.valid_len: expected 447, got 447.5"
    );
    got["valid_len"] = json!("447");
    assert_eq!(
        diff(&e, &got, Verifier),
        r#"$.valid_len: expected 447 (a number), got "447" (a string)"#
    );
    // Exact beyond 2^53: 2^64 - 1 is not the float 2^64.
    let big = json!({ "outcome": "complete", "totals": { "frames": u64::MAX } });
    let mut got = big.clone();
    got["totals"]["frames"] = json!(18446744073709551615.0f64);
    assert_eq!(
        diff(&big, &got, Verifier),
        "$.totals.frames: expected 18446744073709551615, got 1.8446744073709552e+19"
    );
}

#[test]
fn the_outcome_is_compared_first_and_long_values_are_cut() {
    let e = json!({ "outcome": "complete", "totals": { "frames": 0, "blocks": 0, "records": 0 }, "records": [] });
    let got = json!({ "outcome": "reject", "error": "BadSignature", "offset": 0 });
    assert_eq!(
        diff(&e, &got, Verifier),
        r#"$.outcome: expected "complete", got "reject""#
    );
    let long = json!({ "outcome": "complete", "records": [{ "payload": "ab".repeat(500) }] });
    let mut got = long.clone();
    got["records"][0]["payload"] = json!("cd".repeat(500));
    let d = diff(&long, &got, Verifier);
    assert!(d.len() < 400 && d.contains('…'), "{d}");
}
