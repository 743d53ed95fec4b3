//! koffer's outcome for one container, in the shape of the vectors'
//! `.json` files (spec `format.md` §13).
//!
//! This file is the one place that turns what koffer's reader reports into
//! that shape: the `koffer-conformance` crate uses it as its `outcome`
//! module, and koffer's own `tests/vectors.rs` includes the same file with
//! `#[path]`, so the runner and the test cannot drift apart. It therefore
//! uses nothing but `koffer` (without requiring its `std` feature; the JSON
//! mapping is passed in as [`JsonMapping`]) and `serde_json`.

use koffer::meta::{Entry, Value};
use koffer::read::{Completeness, Reader, Record, Tail};
use koffer::schema::Node;
use serde_json::{json, Value as Json};

/// Which reader of spec `format.md` §10.1 produces the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A verifier: structure and description checks on every frame; reports
    /// metadata, schemas and each described record's canonical JSON, or its
    /// payload error where the payload does not follow the definition.
    Verifier,
    /// A reader that only hands out records: structure checks alone. It
    /// reads past a faulty description and reports no metadata, no schemas
    /// and no record JSON or payload error.
    Records,
}

impl Mode {
    /// The mode's name on the command line: `verifier` or `records`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Verifier => "verifier",
            Mode::Records => "records",
        }
    }

    /// The mode named `name` (`verifier` or `records`).
    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "verifier" => Some(Mode::Verifier),
            "records" => Some(Mode::Records),
            _ => None,
        }
    }
}

/// The JSON mapping of spec `schema.md` §9, both ways: a record's canonical
/// JSON text from its payload, and the payload back from the text (the
/// outcome checks that the text maps back to the exact payload).
#[derive(Clone, Copy)]
pub struct JsonMapping {
    /// Payload to canonical JSON text.
    pub to_json: for<'d> fn(Node<'d>, &[u8]) -> Result<String, String>,
    /// JSON text back to the payload.
    pub from_json: for<'d> fn(Node<'d>, &str) -> Result<Vec<u8>, String>,
}

/// Lowercase hex, as the vectors write bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// A metadata entry as `{"key", "type", "value"}` (spec `format.md` §13).
pub fn metadata_entry(e: &Entry<'_>) -> Json {
    let (ty, value) = match e.value {
        Value::Bool(b) => ("bool".to_owned(), json!(b)),
        Value::Uint(u) => ("uint".to_owned(), json!(u.to_string())),
        Value::Int(i) => ("int".to_owned(), json!(i.to_string())),
        Value::Float(f) => ("float".to_owned(), json!(hex(&f.to_le_bytes()))),
        Value::Str(s) => ("str".to_owned(), json!(s)),
        Value::Bytes(b) => ("bytes".to_owned(), json!(hex(b))),
        Value::Time(t) => ("time".to_owned(), json!(t.to_string())),
        Value::Anchor { boot_ms, unix_ms } => (
            "anchor".to_owned(),
            json!({ "boot_ms": boot_ms.to_string(), "unix_ms": unix_ms.to_string() }),
        ),
        Value::Unknown { value_type, bytes } => (format!("0x{value_type:02x}"), json!(hex(bytes))),
    };
    json!({ "key": e.key, "type": ty, "value": value })
}

fn reject(e: koffer::read::Error, check: &str) -> Json {
    json!({ "outcome": "reject", "check": check, "error": e.kind.name(), "offset": e.offset })
}

/// What a verifier adds to a record of a described type (spec `format.md`
/// §13), decoding it with nothing but the definition in the file:
/// `("json", text)`, its canonical JSON text (when `mapping` is given), or,
/// when the payload does not follow the definition, `("error", {"kind",
/// "offset"})` — a payload kind of §10.4 at the file offset §10.4 gives.
/// `None` when the record type's layout is not described (or the payload is
/// good and there is no mapping).
fn described(
    reader: &Reader<'_>,
    r: &Record<'_>,
    mapping: Option<JsonMapping>,
) -> Result<Option<(&'static str, Json)>, String> {
    let at = |what: &str| format!("record {} (type {}): {what}", r.index, r.record_type);
    let schema = reader
        .schema(r.record_type)
        .map_err(|e| at(&format!("schema lookup failed after verify passed: {e:?}")))?
        .ok_or_else(|| at("no schema, yet the walk handed the record out"))?;
    let def = schema
        .definition()
        .map_err(|e| at(&format!("definition fails after verify passed: {e:?}")))?;
    let Some(root) = def.root() else {
        return Ok(None);
    };
    // The payload error, if any: an error of the record, not of the
    // container (spec §7), at the offset §10.4 gives for every decoder.
    if let Err(fault) = koffer::dynamic::check(root, r.payload) {
        let e = fault.in_record(r);
        if let Some(text) = mapping.and_then(|m| (m.to_json)(root, r.payload).ok()) {
            return Err(at(&format!(
                "the payload check says {fault:?}, yet the JSON mapping gives {text}"
            )));
        }
        return Ok(Some((
            "error",
            json!({ "kind": e.kind.name(), "offset": e.offset }),
        )));
    }
    let Some(mapping) = mapping else {
        return Ok(None);
    };
    let text = (mapping.to_json)(root, r.payload).map_err(|e| {
        at(&format!(
            "the payload check passed, the JSON mapping fails: {e}"
        ))
    })?;
    let back = (mapping.from_json)(root, &text)
        .map_err(|e| at(&format!("JSON {text} does not map back: {e}")))?;
    if back != r.payload {
        return Err(at(&format!(
            "JSON {text} maps back to {}, not to the payload {}",
            hex(&back),
            hex(r.payload)
        )));
    }
    Ok(Some(("json", json!(text))))
}

/// What koffer's reader reports for the container `bytes`, in the vectors'
/// JSON shape (spec `format.md` §13), read as `mode` says.
///
/// In verifier mode, a record of a described type whose payload does not
/// follow its definition carries `"error"`: `{"kind", "offset"}` (spec §13),
/// found by `koffer::dynamic::check`, without `std`. `mapping` is the JSON
/// mapping for the other records' `"json"` (verifier mode only); with `None`
/// the records carry no `"json"`.
///
/// `Err` means koffer contradicts itself — the records walk and `verify`
/// disagree, the payload check and the JSON mapping disagree on a record, or
/// its JSON does not map back to its payload — never that the container is
/// bad (a bad container is a `"reject"` outcome, a bad record an `"error"`).
pub fn outcome(bytes: &[u8], mode: Mode, mapping: Option<JsonMapping>) -> Result<Json, String> {
    let reader = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return Ok(reject(e, "structure")),
    };
    // The records walk applies the structure checks only (spec §10.1).
    let mut records = Vec::new();
    let mut iter = reader.records();
    let mut walk_error = None;
    for r in iter.by_ref() {
        match r {
            Ok(r) => records.push(r),
            Err(e) => {
                if walk_error.replace(e).is_some() {
                    return Err("the records walk reported two errors".into());
                }
            }
        }
    }
    let walked = iter.finish();
    if walked.err() != walk_error {
        return Err(format!(
            "the walk stopped at {walk_error:?}, finish() says {walked:?}"
        ));
    }
    let summary = match mode {
        Mode::Records => match walked {
            Ok(s) => s,
            Err(e) => return Ok(reject(e, "structure")),
        },
        // `verify` applies the description checks too.
        Mode::Verifier => match (reader.verify(), walked) {
            (Ok(v), Ok(w)) if v == w => v,
            (Ok(v), w) => {
                return Err(format!("verify says {v:?}, the records walk {w:?}"));
            }
            (Err(v), Err(w)) if v == w => return Ok(reject(v, "structure")),
            // The walk read past a faulty description and found a fault in
            // the structure after it (spec §10.1): the verifier stops at the
            // description.
            (Err(v), Err(w)) if w.offset > v.offset => return Ok(reject(v, "description")),
            (Err(v), Err(w)) => {
                return Err(format!("verify stops at {v:?}, the records walk at {w:?}"));
            }
            // The walk read past it: the error lies in a description.
            (Err(v), Ok(_)) => return Ok(reject(v, "description")),
        },
    };
    let mut records_json = Vec::with_capacity(records.len());
    for r in &records {
        let mut rec =
            json!({ "record_type": r.record_type, "index": r.index, "payload": hex(r.payload) });
        if mode == Mode::Verifier {
            if let Some((key, value)) = described(&reader, r, mapping)? {
                rec[key] = value;
            }
        }
        records_json.push(rec);
    }
    let mut out = match summary.completeness {
        Completeness::Complete => json!({
            "outcome": "complete",
            "totals": { "frames": summary.counted.frames, "blocks": summary.counted.blocks, "records": summary.counted.records },
        }),
        Completeness::Incomplete { valid_len, tail } => json!({
            "outcome": "incomplete",
            "valid_len": valid_len,
            "tail": match tail {
                Tail::None => json!({ "kind": "none" }),
                Tail::Unwritten { len } => json!({ "kind": "unwritten", "len": len }),
                Tail::Torn { len } => json!({ "kind": "torn", "len": len }),
            },
        }),
    };
    out["records"] = Json::Array(records_json);
    if mode == Mode::Verifier {
        let mut metadata = Vec::new();
        for e in reader.metadata() {
            let e = e.map_err(|e| format!("metadata fails after verify passed: {e:?}"))?;
            metadata.push(metadata_entry(&e));
        }
        let mut schemas = Vec::new();
        for s in reader.schemas() {
            let s = s.map_err(|e| format!("a schema fails after verify passed: {e:?}"))?;
            schemas.push(json!({
                "record_type": s.record_type, "name": s.name, "version": s.version,
                "definition": hex(s.definition), "fingerprint": format!("{:016x}", s.fingerprint()),
            }));
        }
        out["metadata"] = Json::Array(metadata);
        out["schemas"] = Json::Array(schemas);
    }
    Ok(out)
}
