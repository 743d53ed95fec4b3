//! The harness: every way through (walk, check, skip, `Value`, JSON both
//! ways) for one valid payload, every reader's refusal of an invalid one,
//! and the property tests' configuration.

use std::fmt::Debug;

use koffer::dynamic::{self, ErrorKind, Invalid, Visitor};
use koffer::json;
use koffer::schema::{Node, VariantRef};
use koffer::value::Value;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde::Serialize;

/// A visitor that counts values and checks that begin/end events nest.
#[derive(Default)]
pub struct Balance {
    depth: i64,
    max_depth: i64,
    leaves: usize,
}

impl Balance {
    fn open(&mut self) -> Result<(), dynamic::Error> {
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
        Ok(())
    }
    fn close(&mut self) -> Result<(), dynamic::Error> {
        self.depth -= 1;
        assert!(self.depth >= 0, "unbalanced end event");
        Ok(())
    }
    fn leaf(&mut self) -> Result<(), dynamic::Error> {
        self.leaves += 1;
        Ok(())
    }
}

impl<'a> Visitor<'a> for Balance {
    type Error = dynamic::Error;
    fn bool(&mut self, _: bool) -> Result<(), dynamic::Error> {
        self.leaf()
    }
    fn u8(&mut self, _: u8) -> Result<(), dynamic::Error> {
        self.leaf()
    }
    fn str(&mut self, _: &'a str) -> Result<(), dynamic::Error> {
        self.leaf()
    }
    fn some_begin(&mut self, _: Node<'a>) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn some_end(&mut self, _: Node<'a>) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn newtype_begin(&mut self, _: &'a str) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn newtype_end(&mut self, _: &'a str) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn seq_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn seq_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn tuple_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn tuple_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn tuple_struct_begin(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn tuple_struct_end(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn array_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn array_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn map_begin(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn map_end(&mut self, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn struct_begin(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn struct_end(&mut self, _: &'a str, _: usize) -> Result<(), dynamic::Error> {
        self.close()
    }
    fn variant_begin(&mut self, _: &'a str, _: &VariantRef<'a>) -> Result<(), dynamic::Error> {
        self.open()
    }
    fn variant_end(&mut self, _: &'a str, _: &VariantRef<'a>) -> Result<(), dynamic::Error> {
        self.close()
    }
}

/// Checks every path for one valid payload of `ty`; returns its JSON.
#[track_caller]
pub fn check_payload(ty: Node<'_>, payload: &[u8]) -> String {
    // Walk, check, skip.
    let mut b = Balance::default();
    dynamic::walk(ty, payload, &mut b).unwrap_or_else(|e| panic!("walk {payload:02X?}: {e}"));
    assert_eq!(b.depth, 0);
    assert!(b.max_depth <= 32);
    dynamic::check(ty, payload).unwrap();
    assert_eq!(dynamic::skip(ty, payload), Ok(payload.len()));
    let mut longer = payload.to_vec();
    longer.extend_from_slice(&[0x00, 0xFF]);
    assert_eq!(dynamic::skip(ty, &longer), Ok(payload.len()));
    let trailing = dynamic::check(ty, &longer).unwrap_err();
    assert_eq!(
        trailing,
        dynamic::Error {
            offset: payload.len(),
            kind: ErrorKind::PayloadTrailingBytes
        }
    );

    // Value: decode, then encode to the same bytes.
    let value = Value::decode(ty, payload).unwrap();
    let mut again = vec![0xAA];
    value.encode(ty, &mut again).unwrap();
    assert_eq!(&again[1..], payload, "value {value:?}");
    assert_eq!(again[0], 0xAA);

    // JSON: valid JSON, written the same three ways, read back to the same bytes.
    let text = json::to_json(ty, payload).unwrap();
    serde_json::from_str::<serde_json::Value>(&text)
        .unwrap_or_else(|e| panic!("not JSON: {e}: {text}"));
    let mut io_out = Vec::new();
    json::write_json(ty, payload, &mut io_out).unwrap();
    assert_eq!(io_out, text.as_bytes());
    let mut appended = b"x".to_vec();
    json::append_json(ty, payload, &mut appended).unwrap();
    assert_eq!(&appended[1..], text.as_bytes());
    let back = json::from_json(ty, &text).unwrap_or_else(|e| panic!("from_json {text}: {e}"));
    assert_eq!(back, payload, "JSON {text}");
    let mut into = vec![7u8];
    json::from_json_into(ty, &text, &mut into).unwrap();
    assert_eq!(&into[1..], payload);

    // Every proper prefix is refused (postcard encodings are prefix-free), by
    // every reader, and without touching an output buffer.
    // (Long payloads: a sample of the cuts, and the last few.)
    let step = (payload.len() / 128).max(1);
    let cuts = (0..payload.len())
        .step_by(step)
        .chain(payload.len().saturating_sub(8)..payload.len());
    for cut in cuts {
        let short = &payload[..cut];
        let e = dynamic::check(ty, short).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::PayloadTruncated | ErrorKind::PayloadInvalid(Invalid::Count { .. })
            ),
            "cut {cut}: {e:?}"
        );
        assert!(e.offset <= cut);
        assert_eq!(dynamic::walk(ty, short, &mut Balance::default()), Err(e));
        assert_eq!(Value::decode(ty, short), Err(e));
        let mut buf = b"keep".to_vec();
        assert_eq!(json::append_json(ty, short, &mut buf), Err(e));
        assert_eq!(buf, b"keep");
    }
    text
}

/// Serializes `value` with postcard and checks every path for it.
#[track_caller]
pub fn check_value<T: Serialize + Debug>(ty: Node<'_>, value: &T) -> String {
    let payload = postcard::to_allocvec(value).unwrap();
    check_payload(ty, &payload)
}

// ---------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------

/// Checks that every reader refuses `payload` with the same error.
#[track_caller]
pub fn refused(ty: Node<'_>, payload: &[u8], offset: usize, kind: ErrorKind) {
    let e = dynamic::Error { offset, kind };
    assert_eq!(
        dynamic::check(ty, payload),
        Err(e),
        "payload {payload:02X?}"
    );
    assert_eq!(dynamic::walk(ty, payload, &mut Balance::default()), Err(e));
    assert_eq!(Value::decode(ty, payload), Err(e));
    assert_eq!(json::to_json(ty, payload), Err(e));
    assert!(matches!(
        json::write_json(ty, payload, &mut Vec::new()),
        Err(json::Error::Payload(x)) if x == e
    ));
}

pub fn invalid(why: Invalid) -> ErrorKind {
    ErrorKind::PayloadInvalid(why)
}

// ---------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x0064_796E_616D_6963),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Checks every path for a value, and that Value::decode agrees with serde.
pub fn prop_value<T: Serialize + Debug>(ty: Node<'_>, v: &T) -> Result<(), TestCaseError> {
    let payload = postcard::to_allocvec(v).unwrap();
    check_payload(ty, &payload);
    Ok(())
}

/// Any bytes: no panic; the readers agree; what passes the checks comes back
/// byte for byte through Value and JSON.
pub fn prop_bytes(ty: Node<'_>, bytes: &[u8]) -> Result<(), TestCaseError> {
    let checked = dynamic::check(ty, bytes);
    let decoded = Value::decode(ty, bytes);
    let text = json::to_json(ty, bytes);
    prop_assert_eq!(checked.err(), decoded.as_ref().err().copied());
    prop_assert_eq!(checked.err(), text.as_ref().err().copied());
    if let (Ok(v), Ok(text)) = (decoded, text) {
        prop_assert_eq!(&v.to_payload(ty).unwrap()[..], bytes);
        prop_assert_eq!(&json::from_json(ty, &text).unwrap()[..], bytes);
    }
    if let Ok(n) = dynamic::skip(ty, bytes) {
        prop_assert!(dynamic::check(ty, &bytes[..n]).is_ok());
    }
    Ok(())
}
