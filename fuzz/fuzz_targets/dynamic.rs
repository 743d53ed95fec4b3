//! Arbitrary definitions and payloads: a definition is accepted or refused
//! with an error; an accepted one decodes any payload, or refuses it, without
//! panic or hang; whatever decodes maps to JSON and back to the same bytes.
#![no_main]

use koffer::schema::Definition;
use koffer::value::Value;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte: length of the definition (the rest is the payload).
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (def, payload) = rest.split_at(usize::from(n).min(rest.len()));
    let Ok(def) = Definition::parse(def) else {
        return;
    };
    let Some(root) = def.root() else { return };
    let checked = koffer::dynamic::check(root, payload);
    let value = Value::decode(root, payload);
    let json = koffer::json::to_json(root, payload);
    assert_eq!(
        checked.is_ok(),
        value.is_ok(),
        "check and Value::decode agree"
    );
    assert_eq!(checked.is_ok(), json.is_ok(), "check and JSON agree");
    if let (Ok(value), Ok(json)) = (value, json) {
        assert_eq!(
            value.to_payload(root).unwrap(),
            payload,
            "value encodes back"
        );
        assert_eq!(
            koffer::json::from_json(root, &json).unwrap(),
            payload,
            "JSON maps back"
        );
    }
});
