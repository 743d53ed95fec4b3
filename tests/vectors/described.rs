//! Readable containers whose record types carry real definitions (spec
//! `schema.md`), so that the vectors pin the decoding of multi-field records:
//! each record's expectation carries its JSON text by `schema.md` §9, written
//! by hand from the spec, never produced by the library under test.

use koffer::meta::{key, Entry, Value};
use koffer::schema::{Field, Meta, Type, Variant, VariantData};
use serde::Serialize;

use super::{Builder, Case};

macro_rules! def {
    ($t:expr) => {{
        const T: Type = $t;
        koffer::definition!(&T)
    }};
}

#[derive(Serialize, Clone, Copy)]
enum Activity {
    Rest,
    Walk,
    Run,
}

#[derive(Serialize)]
struct Position {
    lat: i32,
    lon: i32,
    alt: f32,
}

#[derive(Serialize)]
struct Sample<'a> {
    timestamp_ms: u64,
    heart_rate: Option<u8>,
    skin_temp: i16,
    position: Position,
    activity: Activity,
    note: Option<&'a str>,
}

#[derive(Serialize)]
enum EventKind<'a> {
    WorkoutStart { sport: &'a str },
    Lap(u16),
    Tap(i8, i8),
    Sync,
}

#[derive(Serialize)]
struct Event<'a> {
    timestamp_ms: u64,
    kind: EventKind<'a>,
}

const fn field(name: &'static str, meta: Meta, ty: &'static Type) -> Field {
    Field { name, meta, ty }
}

const TIMESTAMP: Meta = Meta {
    unit: Some("ms"),
    time: Some(""),
    description: Some("Start of the sample, in the container's time base."),
    ..Meta::NONE
};

const DEGREES: Meta = Meta {
    unit: Some("deg"),
    scale: Some(1e-7),
    ..Meta::NONE
};

const POSITION: Type = Type::Struct(
    "Position",
    &[
        field("lat", DEGREES, &Type::I32),
        field("lon", DEGREES, &Type::I32),
        field(
            "alt",
            Meta {
                unit: Some("m"),
                ..Meta::NONE
            },
            &Type::F32,
        ),
    ],
);

const ACTIVITY: Type = Type::Enum(
    "Activity",
    &[
        Variant {
            name: "Rest",
            data: VariantData::Unit,
        },
        Variant {
            name: "Walk",
            data: VariantData::Unit,
        },
        Variant {
            name: "Run",
            data: VariantData::Unit,
        },
    ],
);

const SAMPLE: Type = Type::Struct(
    "Sample",
    &[
        field("timestamp_ms", TIMESTAMP, &Type::U64),
        field(
            "heart_rate",
            Meta {
                unit: Some("1/min"),
                description: Some("None while the band is off the wrist."),
                ..Meta::NONE
            },
            &Type::Option(&Type::U8),
        ),
        field(
            "skin_temp",
            Meta {
                unit: Some("Cel"),
                scale: Some(0.01),
                offset: Some(20.0),
                ..Meta::NONE
            },
            &Type::I16,
        ),
        field("position", Meta::NONE, &POSITION),
        field("activity", Meta::NONE, &ACTIVITY),
        field("note", Meta::NONE, &Type::Option(&Type::String)),
    ],
);

const EVENT_KIND: Type = Type::Enum(
    "EventKind",
    &[
        Variant {
            name: "WorkoutStart",
            data: VariantData::Struct(&[field("sport", Meta::NONE, &Type::String)]),
        },
        Variant {
            name: "Lap",
            data: VariantData::Newtype(&Type::U16),
        },
        Variant {
            name: "Tap",
            data: VariantData::Tuple(&[&Type::I8, &Type::I8]),
        },
        Variant {
            name: "Sync",
            data: VariantData::Unit,
        },
    ],
);

const EVENT: Type = Type::Struct(
    "Event",
    &[
        field("timestamp_ms", TIMESTAMP, &Type::U64),
        field("kind", Meta::NONE, &EVENT_KIND),
    ],
);

const T0: u64 = 1_789_000_000_000;

fn sample(
    i: u64,
    heart_rate: Option<u8>,
    skin_temp: i16,
    (lat, lon, alt): (i32, i32, f32),
    activity: Activity,
    note: Option<&'static str>,
) -> Sample<'static> {
    Sample {
        timestamp_ms: T0 + 1000 * i,
        heart_rate,
        skin_temp,
        position: Position { lat, lon, alt },
        activity,
        note,
    }
}

/// The described wearable: metadata, two described record types (a struct
/// with a nested struct, an enum, options, a string, scaled integers with
/// unit, scale and offset, a timestamp; an enum with struct, newtype, tuple
/// and unit variants) and one undescribed type, interleaved, in blocks from
/// a 128-byte writer buffer.
pub fn all() -> Vec<Case> {
    use Activity::*;
    let samples: [(Sample<'static>, &str); 8] = [
        (
            sample(
                0,
                Some(61),
                1234,
                (525_200_000, 134_050_000, 34.5),
                Rest,
                None,
            ),
            r#"{"timestamp_ms":1789000000000,"heart_rate":61,"skin_temp":1234,"position":{"lat":525200000,"lon":134050000,"alt":34.5},"activity":"Rest","note":null}"#,
        ),
        (
            sample(
                1,
                Some(72),
                1240,
                (525_200_150, 134_050_075, 34.75),
                Walk,
                None,
            ),
            r#"{"timestamp_ms":1789000001000,"heart_rate":72,"skin_temp":1240,"position":{"lat":525200150,"lon":134050075,"alt":34.75},"activity":"Walk","note":null}"#,
        ),
        (
            sample(
                2,
                None,
                -310,
                (525_200_300, 134_050_150, 35.0),
                Walk,
                Some("off wrist"),
            ),
            r#"{"timestamp_ms":1789000002000,"heart_rate":null,"skin_temp":-310,"position":{"lat":525200300,"lon":134050150,"alt":35.0},"activity":"Walk","note":"off wrist"}"#,
        ),
        (
            sample(
                3,
                Some(140),
                1502,
                (525_201_000, 134_051_000, 120.125),
                Run,
                Some("stairs \"B\""),
            ),
            r#"{"timestamp_ms":1789000003000,"heart_rate":140,"skin_temp":1502,"position":{"lat":525201000,"lon":134051000,"alt":120.125},"activity":"Run","note":"stairs \"B\""}"#,
        ),
        (
            sample(
                4,
                Some(255),
                i16::MAX,
                (-338_688_000, 1_512_093_000, -2.5),
                Run,
                Some("grüße"),
            ),
            r#"{"timestamp_ms":1789000004000,"heart_rate":255,"skin_temp":32767,"position":{"lat":-338688000,"lon":1512093000,"alt":-2.5},"activity":"Run","note":"grüße"}"#,
        ),
        (
            sample(5, Some(0), 0, (0, 0, 0.0), Rest, Some("")),
            r#"{"timestamp_ms":1789000005000,"heart_rate":0,"skin_temp":0,"position":{"lat":0,"lon":0,"alt":0.0},"activity":"Rest","note":""}"#,
        ),
        (
            sample(
                6,
                Some(90),
                i16::MIN,
                (900_000_000, -1_800_000_000, 8848.86),
                Walk,
                None,
            ),
            r#"{"timestamp_ms":1789000006000,"heart_rate":90,"skin_temp":-32768,"position":{"lat":900000000,"lon":-1800000000,"alt":8848.86},"activity":"Walk","note":null}"#,
        ),
        (
            sample(
                7,
                Some(65),
                1200,
                (525_200_000, 134_050_000, 1e-6),
                Rest,
                None,
            ),
            r#"{"timestamp_ms":1789000007000,"heart_rate":65,"skin_temp":1200,"position":{"lat":525200000,"lon":134050000,"alt":1e-6},"activity":"Rest","note":null}"#,
        ),
    ];
    let events: [(u64, Event<'static>, &str); 4] = [
        (
            1,
            Event {
                timestamp_ms: T0 + 1500,
                kind: EventKind::WorkoutStart { sport: "run" },
            },
            r#"{"timestamp_ms":1789000001500,"kind":{"WorkoutStart":{"sport":"run"}}}"#,
        ),
        (
            3,
            Event {
                timestamp_ms: T0 + 3500,
                kind: EventKind::Lap(2),
            },
            r#"{"timestamp_ms":1789000003500,"kind":{"Lap":2}}"#,
        ),
        (
            5,
            Event {
                timestamp_ms: T0 + 5500,
                kind: EventKind::Tap(-1, 3),
            },
            r#"{"timestamp_ms":1789000005500,"kind":{"Tap":[-1,3]}}"#,
        ),
        (
            6,
            Event {
                timestamp_ms: T0 + 6500,
                kind: EventKind::Sync,
            },
            r#"{"timestamp_ms":1789000006500,"kind":"Sync"}"#,
        ),
    ];

    let mut buf = [0u8; 128];
    let mut b = Builder::new(&mut buf);
    b.meta(&[
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme Wearables")),
        Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
        Entry::new(key::TIME_BASE, Value::Str("unix")),
    ]);
    b.declare_def(0, "sample", 2, def!(SAMPLE));
    b.declare_def(1, "event", 1, def!(EVENT));
    b.declare(2, "raw", 1);
    for (i, (s, text)) in samples.iter().enumerate() {
        b.record_json(0, s, text);
        for (after, e, text) in &events {
            if *after == i as u64 {
                b.record_json(1, e, text);
            }
        }
        if i == 2 || i == 7 {
            // An undescribed record type: its records carry no JSON text.
            b.record(2, &[i as u8, 0xFF]);
        }
    }
    let built = b.finish();
    assert!(built.totals.blocks >= 4, "several blocks of each type");
    vec![built.complete(
        "valid-wearable-described",
        "schema §2, §3, §9: two record types with real definitions (nested struct, enum variants of every kind, options, string, scaled integers with unit, scale and offset, a timestamp) and one undescribed type, interleaved in blocks from a 128-byte buffer; each described record's JSON text",
    )]
}
