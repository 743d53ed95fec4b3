//! Compares an outcome with a vector's expectation by the rules of spec
//! `format.md` §10.1 and §13, generically over the JSON (no rule names a
//! particular vector, so new vectors need no change here).
//!
//! - The expectation's `"rule"` is commentary, not compared.
//! - Top level: every other key the vector states is compared; keys it does
//!   not state (the `type-*` vectors leave out `totals` and `metadata`) are
//!   not, so an outcome may hold more.
//! - `"check"` may be left out of an outcome: it classifies the vector
//!   (which readers must report the error); when present it must match.
//! - Below the top level, objects have exactly the expected keys and arrays
//!   the expected elements, in order.
//! - Values compare by JSON type and value: a number never equals a string
//!   (`uint` metadata values and the records' `"json"` are strings, totals
//!   and offsets numbers); numbers by value (`54` equals `54.0`); strings,
//!   `"json"` text included, byte for byte.
//! - [`Mode::Records`], a reader that only hands out records, may leave out
//!   `"metadata"`, `"schemas"` and each record's `"json"` or `"error"` (a
//!   payload error, found by decoding with the definition; present, they are
//!   compared), and for a `"description"` vector may read past the error:
//!   an outcome `"complete"` or `"incomplete"` passes, since the vector does
//!   not state the repaired container's records; so does a `"reject"` of
//!   the structure at a later offset (a fault past the description); any
//!   other `"reject"` must be the vector's error at its offset.

use std::fmt;

use serde_json::{Number, Value as Json};

use crate::outcome::Mode;

/// The first place where an outcome differs from the expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where, as `$` (the whole outcome), `$.key`, `$.key[index]`...
    pub path: String,
    /// What the vector expects there (compact JSON, or a description).
    pub expected: String,
    /// What the outcome holds there.
    pub got: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.path, self.expected, self.got
        )
    }
}

/// Longest excerpt of a value shown in a [`Difference`].
const SHOW: usize = 160;

/// A value as compact JSON, cut to [`SHOW`] characters, with its JSON type
/// when `with_type` (to tell `54` from `"54"` at a glance).
fn show(v: &Json, with_type: bool) -> String {
    let mut text = v.to_string();
    if text.chars().count() > SHOW {
        text = text.chars().take(SHOW).collect::<String>() + "…";
    }
    if with_type {
        let ty = match v {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        };
        format!("{text} ({ty})")
    } else {
        text
    }
}

fn differ(path: &str, expected: &Json, got: &Json) -> Difference {
    let with_type = std::mem::discriminant(expected) != std::mem::discriminant(got);
    Difference {
        path: path.to_owned(),
        expected: show(expected, with_type),
        got: show(got, with_type),
    }
}

fn as_int(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Numbers by value: integers exactly, an integral float equals the same
/// integer, floats by `f64` value.
fn numbers_equal(a: &Number, b: &Number) -> bool {
    let int_float = |x: i128, f: &Number| {
        f.as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0 && f as i128 == x)
    };
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        (Some(x), None) => int_float(x, b),
        (None, Some(y)) => int_float(y, a),
        (None, None) => a.as_f64() == b.as_f64(),
    }
}

/// Whether `key` of the object at `path` may be absent from the outcome.
fn optional(path: &str, key: &str, mode: Mode) -> bool {
    if path == "$" && key == "check" {
        return true;
    }
    mode == Mode::Records
        && match path {
            "$" => key == "metadata" || key == "schemas",
            _ => {
                (key == "json" || key == "error")
                    && path
                        .strip_prefix("$.records[")
                        .is_some_and(|rest| rest.ends_with(']') && !rest.contains(['.', '[']))
            }
        }
}

fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

fn value(path: &str, expected: &Json, got: &Json, mode: Mode) -> Result<(), Difference> {
    match (expected, got) {
        (Json::Number(a), Json::Number(b)) if numbers_equal(a, b) => Ok(()),
        (Json::Array(e), Json::Array(g)) => {
            for (i, (e, g)) in e.iter().zip(g).enumerate() {
                value(&format!("{path}[{i}]"), e, g, mode)?;
            }
            match e.len().cmp(&g.len()) {
                std::cmp::Ordering::Equal => Ok(()),
                std::cmp::Ordering::Greater => Err(Difference {
                    path: format!("{path}[{}]", g.len()),
                    expected: show(&e[g.len()], false),
                    got: format!("(missing: {} elements, not {})", g.len(), e.len()),
                }),
                std::cmp::Ordering::Less => Err(Difference {
                    path: format!("{path}[{}]", e.len()),
                    expected: format!("(nothing: {} elements, not {})", e.len(), g.len()),
                    got: show(&g[e.len()], false),
                }),
            }
        }
        (Json::Object(e), Json::Object(g)) => {
            for (key, want) in e {
                match g.get(key) {
                    Some(have) => value(&child(path, key), want, have, mode)?,
                    None if optional(path, key, mode) => {}
                    None => {
                        return Err(Difference {
                            path: child(path, key),
                            expected: show(want, false),
                            got: "(missing)".into(),
                        })
                    }
                }
            }
            match g.iter().find(|(key, _)| !e.contains_key(*key)) {
                Some((key, have)) => Err(Difference {
                    path: child(path, key),
                    expected: "(no such key)".into(),
                    got: show(have, false),
                }),
                None => Ok(()),
            }
        }
        (e, g) if e == g => Ok(()),
        (e, g) => Err(differ(path, e, g)),
    }
}

/// Compares the outcome `got` with the vector's expectation `expected`, read
/// as `mode` says; the first difference, if any.
///
/// ```
/// use koffer_conformance::{compare::compare, outcome::Mode};
/// use serde_json::json;
///
/// let expected = json!({ "rule": "§3.3", "outcome": "reject", "check": "structure",
///                        "error": "HeaderChecksum", "offset": 14 });
/// let got = json!({ "outcome": "reject", "error": "HeaderChecksum", "offset": "14" });
/// let d = compare(&expected, &got, Mode::Verifier).unwrap_err();
/// assert_eq!(d.to_string(), r#"$.offset: expected 14 (a number), got "14" (a string)"#);
/// ```
pub fn compare(expected: &Json, got: &Json, mode: Mode) -> Result<(), Difference> {
    let Json::Object(exp) = expected else {
        return Err(Difference {
            path: "$".into(),
            expected: "the vector's expectation to be a JSON object".into(),
            got: show(expected, true),
        });
    };
    let Json::Object(have) = got else {
        return Err(Difference {
            path: "$".into(),
            expected: "a JSON object".into(),
            got: show(got, true),
        });
    };
    let outcome = exp.get("outcome");
    // A records-only reader may read past a faulty description (§10.1).
    let may_read_past = mode == Mode::Records
        && outcome.and_then(Json::as_str) == Some("reject")
        && exp.get("check").and_then(Json::as_str) == Some("description");
    if may_read_past
        && matches!(
            have.get("outcome").and_then(Json::as_str),
            Some("complete" | "incomplete")
        )
    {
        return Ok(());
    }
    // Past the description it may also meet a fault in the structure, later
    // in the file: a reject of the structure at a greater offset.
    if may_read_past
        && have.get("outcome").and_then(Json::as_str) == Some("reject")
        && have.get("check").and_then(Json::as_str) != Some("description")
        && matches!(
            (have.get("offset").and_then(Json::as_u64), exp.get("offset").and_then(Json::as_u64)),
            (Some(h), Some(e)) if h > e
        )
    {
        return Ok(());
    }
    // The outcome first: it says which other keys matter.
    let keys = exp
        .iter()
        .filter(|(k, _)| k.as_str() == "outcome")
        .chain(exp.iter().filter(|(k, _)| k.as_str() != "outcome"));
    for (key, want) in keys {
        if key == "rule" {
            continue;
        }
        match have.get(key) {
            Some(g) => value(&child("$", key), want, g, mode).map_err(|mut d| {
                if may_read_past && key == "outcome" {
                    d.expected += r#" (or "complete"/"incomplete", or a later structure fault, reading past the description)"#;
                }
                d
            })?,
            None if optional("$", key, mode) => {}
            None => {
                return Err(Difference {
                    path: child("$", key),
                    expected: show(want, false),
                    got: "(missing)".into(),
                })
            }
        }
    }
    Ok(())
}
