//! Issue: a container written from types the reader does not have is read
//! back, every field with its name, type, unit and description, as JSON —
//! with nothing but the file. `samples/wearable.koffer` is written by
//! `examples/wearable.rs`, whose Rust types this test does not know.
#![cfg(feature = "json")]

use koffer::read::Reader;
use koffer::schema::Kind;

fn sample() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/wearable.koffer"
    ))
    .unwrap()
}

#[test]
fn the_sample_decodes_to_json_from_its_own_schemas() {
    let bytes = sample();
    let reader = Reader::new(&bytes).unwrap();
    let mut first = std::collections::BTreeMap::new();
    let mut count = 0;
    for r in reader.records() {
        let r = r.unwrap();
        let schema = reader.schema(r.record_type).unwrap().unwrap();
        let def = schema.definition().unwrap();
        let json = koffer::json::to_json(def.root().unwrap(), r.payload).unwrap();
        // Lossless: the JSON maps back to the exact payload.
        assert_eq!(
            koffer::json::from_json(def.root().unwrap(), &json).unwrap(),
            r.payload
        );
        first.entry(schema.name).or_insert(json);
        count += 1;
    }
    assert_eq!(count, 10_133);
    assert_eq!(first["sample"], FIRST_SAMPLE);
    assert_eq!(first["event"], FIRST_EVENT);
}

#[test]
fn the_sample_schemas_carry_units_and_descriptions() {
    let bytes = sample();
    let reader = Reader::new(&bytes).unwrap();
    let schema = reader.schemas().next().unwrap().unwrap();
    assert_eq!((schema.name, schema.version), ("sample", 1));
    let def = schema.definition().unwrap();
    let Kind::Struct { name, fields } = def.root().unwrap().kind() else {
        panic!("the sample record is a struct");
    };
    assert_eq!(name, "Sample");
    let fields: Vec<_> = fields
        .map(|f| {
            (
                f.name,
                f.annotations.unit,
                f.annotations.time,
                f.annotations.description.is_some(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("timestamp_ms", Some("ms"), Some(""), true),
            ("heart_rate", Some("1/min"), None, true),
            ("steps", Some("{steps}"), None, true),
            ("lat", Some("lat"), None, true),
            ("lon", Some("lon"), None, true),
            ("battery_pct", Some("%"), None, true),
            ("activity", None, None, true),
            ("note", None, None, true),
        ]
    );
}

/// The first minute of the sample week, 2026-09-14T00:00:00Z, asleep.
const FIRST_SAMPLE: &str = r#"{"timestamp_ms":1789344000000,"heart_rate":51,"steps":0,"lat":52.52000721321155,"lon":13.404943663813892,"battery_pct":83,"activity":"Rest","note":null}"#;
/// The first event: waking up on Monday.
const FIRST_EVENT: &str = r#"{"timestamp_ms":1789368186000,"kind":"sleep_end","detail":"slept since before the export window"}"#;
