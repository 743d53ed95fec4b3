//! Converts every file under `samples/realdata/`, reads the container back
//! with koffer's reader and checks it against the source.

use std::path::PathBuf;

use koffer::read::Reader;
use koffer::schema::Kind;
use koffer::value::Value;
use koffer_convert::{fit, ulog};

fn sample(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/realdata")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The container of `export`, verified complete, with its record count checked.
fn container(export: &koffer_convert::Export) -> Vec<u8> {
    let bytes = export.to_container().expect("container written");
    let reader = Reader::new(&bytes).expect("header");
    let summary = reader.verify().expect("verifies");
    assert!(summary.is_complete());
    assert_eq!(summary.counted.records, export.record_count() as u64);
    bytes
}

/// Record `index` of the container decoded by its definition alone, as
/// (field name, value) pairs.
fn record_fields(bytes: &[u8], index: u64) -> (String, Vec<(String, Value)>) {
    let reader = Reader::new(bytes).unwrap();
    let rec = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| r.index == index)
        .expect("record exists");
    let schema = reader.schema(rec.record_type).unwrap().unwrap();
    let def = schema.definition().unwrap();
    let root = def.root().unwrap();
    let value = Value::decode(root, rec.payload).expect("payload decodes");
    let Value::Struct { fields, .. } = value else {
        panic!("struct value")
    };
    (schema.name.to_string(), fields)
}

/// A field's quantity: raw × scale + offset (None for an absent Option).
fn quantity(bytes: &[u8], index: u64, field: &str) -> Option<f64> {
    let reader = Reader::new(bytes).unwrap();
    let rec = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| r.index == index)?;
    let schema = reader.schema(rec.record_type).unwrap().unwrap();
    let def = schema.definition().unwrap();
    let root = def.root().unwrap();
    let Kind::Struct { fields, .. } = root.kind() else {
        return None;
    };
    let (_, values) = record_fields(bytes, index);
    let (i, f) = fields.enumerate().find(|(_, f)| f.name == field)?;
    let raw = match &values[i].1 {
        Value::Option(None) => return None,
        Value::Option(Some(v)) => v.as_ref().clone(),
        v => v.clone(),
    };
    let raw = match raw {
        Value::U8(v) => f64::from(v),
        Value::U16(v) => f64::from(v),
        Value::U32(v) => f64::from(v),
        Value::U64(v) => v as f64,
        Value::I8(v) => f64::from(v),
        Value::I16(v) => f64::from(v),
        Value::I32(v) => f64::from(v),
        Value::I64(v) => v as f64,
        Value::F32(v) => f64::from(v),
        Value::F64(v) => v,
        other => panic!("{field}: not a number: {other:?}"),
    };
    let a = f.annotations;
    Some(raw * a.scale.unwrap_or(1.0) + a.offset.unwrap_or(0.0))
}

/// fitparser's (independent) value of `field` in message `msg`, as f64.
fn fp_value(msg: &fitparser::FitDataRecord, field: &str) -> Option<f64> {
    let f = msg.fields().iter().find(|f| f.name() == field)?;
    use fitparser::Value as V;
    Some(match f.value() {
        V::Timestamp(t) => t.timestamp() as f64,
        V::Byte(v) | V::Enum(v) | V::UInt8(v) | V::UInt8z(v) => f64::from(*v),
        V::SInt8(v) => f64::from(*v),
        V::SInt16(v) => f64::from(*v),
        V::UInt16(v) | V::UInt16z(v) => f64::from(*v),
        V::SInt32(v) => f64::from(*v),
        V::UInt32(v) | V::UInt32z(v) => f64::from(*v),
        V::Float32(v) => f64::from(*v),
        V::Float64(v) => *v,
        V::SInt64(v) => *v as f64,
        V::UInt64(v) | V::UInt64z(v) => *v as f64,
        _ => return None,
    })
}

/// Converts a healthy FIT file and checks counts and values against fitparser.
fn check_fit(name: &str, expected_records: usize) {
    let input = sample(&format!("fit/{name}"));
    let conv = fit::convert(&input, name).expect("converts");
    assert!(
        conv.export.report.damage.is_none(),
        "{:?}",
        conv.export.report.damage
    );
    assert!(conv.export.report.notes.iter().any(|n| n == "file CRC ok"));
    let bytes = container(&conv.export);
    let record_msgs: Vec<usize> = conv
        .messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.global == 20)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(record_msgs.len(), expected_records, "record messages");

    // fitparser, an independent decoder, sees the same data messages.
    let reference = fitparser::from_bytes(&input).expect("fitparser reads it");
    assert_eq!(reference.len(), conv.messages.len(), "data messages");
    let fp_records: Vec<&fitparser::FitDataRecord> = reference
        .iter()
        .filter(|r| r.kind() == fitparser::profile::MesgNum::Record)
        .collect();
    assert_eq!(fp_records.len(), expected_records);
    // First, middle and last record: timestamp, heart rate, position,
    // altitude, distance, speed as koffer quantities equal fitparser's.
    for k in [0, expected_records / 2, expected_records - 1] {
        let index = record_msgs[k] as u64;
        for field in [
            "timestamp",
            "heart_rate",
            "position_lat",
            "position_long",
            "altitude",
            "distance",
            "speed",
            "cadence",
            "power",
        ] {
            let mine = quantity(&bytes, index, field);
            let theirs = fp_value(fp_records[k], field);
            let mine = if field.starts_with("position") {
                mine.map(|d| d * 2_147_483_648.0 / 180.0) // back to semicircles
            } else {
                mine
            };
            match (mine, theirs) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                    "{name} record {k} {field}: koffer {a}, fitparser {b}"
                ),
                (None, None) => {}
                // fitparser drops invalid values; koffer keeps raw sentinels
                // or None. A field fitparser has must be in koffer.
                (None, Some(b)) => panic!("{name} record {k} {field}: missing, fitparser {b}"),
                (Some(_), None) => {}
            }
        }
    }
}

#[test]
fn garmin_edge_500() {
    check_fit("garmin-edge-500-activity.fit", 10_686);
}

#[test]
fn edge_810_vector() {
    check_fit("Edge810-Vector-2013-08-16-15-35-10.fit", 4_700);
}

#[test]
fn developer_fields_are_kept() {
    check_fit("developer-types-sample.fit", 3_424);
    let input = sample("fit/developer-types-sample.fit");
    let conv = fit::convert(&input, "d").unwrap();
    let bytes = container(&conv.export);
    let reader = Reader::new(&bytes).unwrap();
    let mut found = Vec::new();
    for s in reader.schemas() {
        let s = s.unwrap();
        let def = s.definition().unwrap();
        if let Kind::Struct { fields, .. } = def.root().unwrap().kind() {
            for f in fields {
                if f.name == "Form Power" || f.name == "Leg Spring Stiffness" {
                    found.push((f.name.to_string(), f.annotations.unit.map(str::to_string)));
                }
            }
        }
    }
    assert!(
        found.contains(&("Form Power".into(), Some("W".into()))),
        "{found:?}"
    );
    assert!(
        found.contains(&("Leg Spring Stiffness".into(), Some("kN/m".into()))),
        "{found:?}"
    );
}

#[test]
fn elemnt_with_manufacturer_messages() {
    check_fit("2019-02-17-062644-ELEMNT-297E-195-0.fit", 13_471);
}

#[test]
fn fenix2_multisport() {
    check_fit("activity-large-fenxi2-multisport.fit", 24_239);
}

#[test]
fn coros_misaligned_fields() {
    let input = sample("fit/coros-pace-2-cycling-misaligned-fields.fit");
    let conv = fit::convert(&input, "coros").unwrap();
    assert!(conv.export.report.damage.is_none());
    container(&conv.export);
    assert_eq!(
        conv.messages.iter().filter(|m| m.global == 20).count(),
        11_272
    );
}

#[test]
fn strava_undefined_local_type_recovers_prefix() {
    let input = sample("fit/strava-android-app-201.10-b1218918.fit");
    let conv = fit::convert(&input, "strava").unwrap();
    let r = &conv.export.report;
    assert_eq!(r.messages, 488);
    assert_eq!(r.bytes_decoded, 7_471);
    assert!(
        r.damage
            .as_deref()
            .unwrap()
            .contains("local message type 11"),
        "{r:?}"
    );
    let bytes = container(&conv.export);
    // The first message is file_id.
    let (name, fields) = record_fields(&bytes, 0);
    assert_eq!(name, "file_id");
    assert!(fields.iter().any(|(n, _)| n == "manufacturer"));
}

#[test]
fn nick_badly_terminated_recovers_prefix() {
    let input = sample("fit/nick.fit");
    let conv = fit::convert(&input, "nick").unwrap();
    let r = &conv.export.report;
    assert_eq!(r.messages, 14_412);
    assert_eq!(r.bytes_decoded, 403_437);
    assert!(r
        .damage
        .as_deref()
        .unwrap()
        .contains("past the end of the data"));
    // fitparser refuses the whole file.
    assert!(fitparser::from_bytes(&input).is_err());
    let bytes = container(&conv.export);
    let last = conv.messages.len() as u64 - 1;
    let ts = quantity(&bytes, last, "timestamp").expect("last message has a timestamp");
    // 2020-09-12 (SOURCES.md).
    assert!(
        koffer_convert::rfc3339(ts as i64).starts_with("2020-09-1"),
        "{ts}"
    );
}

#[test]
fn ulog_small() {
    let input = sample("ulog/sample_log_small.ulg");
    let conv = ulog::convert(&input, "small").unwrap();
    assert!(
        conv.export.report.damage.is_none(),
        "{:?}",
        conv.export.report.damage
    );
    assert_eq!(conv.rows, 14_604);
    assert_eq!(conv.rows_per_topic.len(), 55);
    assert_eq!(conv.parameters, 980);
    let bytes = container(&conv.export);
    let reader = Reader::new(&bytes).unwrap();
    let model = reader.metadata_value("producer.model").unwrap();
    assert_eq!(
        model,
        Some(koffer::meta::Value::Str("CUBEPILOT_CUBEORANGE"))
    );
    // Every topic row starts with multi_id and a timestamp in µs since boot.
    let mut checked = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        let (name, fields) = record_fields(&bytes, rec.index);
        if name.starts_with("ulog.") {
            continue;
        }
        assert_eq!(fields[0].0, "multi_id");
        assert_eq!(fields[1].0, "timestamp");
        let Value::U64(t) = fields[1].1 else {
            panic!("u64 timestamp")
        };
        assert!(t < 1_200_000_000, "{name}: {t} µs"); // a 19.6-minute log
        checked += 1;
        if checked > 2000 {
            break;
        }
    }
    assert!(checked > 2000);
}

#[test]
fn ulog_appended_data() {
    let input = sample("ulog/sample_appended_multiple.ulg");
    let conv = ulog::convert(&input, "appended").unwrap();
    let r = &conv.export.report;
    assert!(r.notes.iter().any(|n| n.contains("434369")), "{r:?}");
    assert_eq!(conv.rows, 6_852);
    assert_eq!(conv.parameters, 750);
    assert_eq!(conv.rows_per_topic.values().sum::<usize>(), conv.rows);
    container(&conv.export);
}

#[test]
fn damaged_inputs_never_panic() {
    for rel in [
        "fit/garmin-edge-500-activity.fit",
        "ulog/sample_log_small.ulg",
    ] {
        let input = sample(rel);
        let format = if rel.starts_with("fit") {
            koffer_convert::Format::Fit
        } else {
            koffer_convert::Format::Ulog
        };
        // Truncations and a flipped byte at spread-out places.
        for cut in [0, 5, 13, 100, 1000, input.len() / 3, input.len() - 1] {
            if let Ok(e) = koffer_convert::convert_bytes(format, &input[..cut], "cut") {
                container(&e);
            }
        }
        for at in [20, 200, 4000, input.len() / 2] {
            let mut bad = input.clone();
            bad[at] ^= 0xFF;
            if let Ok(e) = koffer_convert::convert_bytes(format, &bad, "flipped") {
                container(&e);
            }
        }
    }
}

#[test]
fn cli_exports_converted_containers_to_json() {
    let input = sample("fit/strava-android-app-201.10-b1218918.fit");
    let bytes = container(&fit::convert(&input, "strava").unwrap().export);
    let text = koffer_cli::export_json(&bytes).expect("exported");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(text.contains("\"file_id\""));
    assert!(doc.is_object());
    // And back: import rebuilds the identical container.
    assert_eq!(koffer_cli::import_json(&text).expect("imports"), bytes);

    let input = sample("ulog/sample_appended_multiple.ulg");
    let bytes = container(&ulog::convert(&input, "a").unwrap().export);
    let text = koffer_cli::export_json(&bytes).expect("exported");
    assert!(text.contains("actuator_outputs"));
    assert_eq!(koffer_cli::import_json(&text).expect("imports"), bytes);
}
