//! `#[derive(koffer::Describe)]`: derived descriptors equal hand-written
//! `Type` trees, derived definitions equal bytes written by hand from spec
//! `schema.md` §2–§3, and every definition passes the reader's checks.
//!
//! Run with `cargo test -p koffer --features derive,heapless,alloc`.
#![cfg(feature = "derive")]

use koffer::schema::{Definition, Describe, Field, Meta, RecordType, Type, Variant, VariantData};
use serde::{Deserialize, Serialize};

/// A name as the definition encodes it: its byte length, then its bytes.
fn name(s: &str) -> Vec<u8> {
    assert!(s.len() < 128);
    let mut v = vec![s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[track_caller]
fn parses(def: &[u8]) {
    if let Err(e) = Definition::parse(def) {
        panic!("definition {def:02X?} does not parse: {e:?}");
    }
}

// ---- the spec's example (schema.md §1) ------------------------------------

#[derive(Serialize, Deserialize, koffer::Describe)]
#[koffer(record = "beat", version = 1)]
struct Beat {
    #[koffer(unit = "ms", time)]
    at_ms: u64,
    bpm: u8,
}

#[test]
fn beat_is_the_spec_example() {
    #[rustfmt::skip]
    const SPEC: &[u8] = &[
        0x1A,                               // struct
        0x04, b'B', b'e', b'a', b't',       // name "Beat"
        0x02,                               // 2 fields
        0x05, b'a', b't', b'_', b'm', b's', //   field name "at_ms"
        0x11,                               //   annotations: unit and time
        0x02, b'm', b's',                   //   unit "ms"
        0x00,                               //   time base ""
        0x05,                               //   type u64
        0x03, b'b', b'p', b'm',             //   field name "bpm"
        0x00,                               //   no annotations
        0x02,                               //   type u8
    ];
    assert_eq!(Beat::DEFINITION, SPEC);
    assert_eq!(Beat::NAME, "beat");
    assert_eq!(Beat::VERSION, 1);
    assert_eq!(
        Beat::FINGERPRINT,
        koffer::schema::fingerprint("beat", 1, SPEC)
    );

    const HAND: Type = Type::Struct(
        "Beat",
        &[
            Field {
                name: "at_ms",
                meta: Meta {
                    unit: Some("ms"),
                    time: Some(""),
                    ..Meta::NONE
                },
                ty: &Type::U64,
            },
            Field {
                name: "bpm",
                meta: Meta::NONE,
                ty: &Type::U8,
            },
        ],
    );
    assert_eq!(Beat::TYPE, &HAND);
    parses(Beat::DEFINITION);
}

// ---- every annotation (schema.md §3) --------------------------------------

#[derive(Serialize, Deserialize, koffer::Describe)]
#[koffer(record = "thermo", version = 4)]
struct Thermo {
    /// Temperature of the
    ///   skin.
    #[koffer(unit = "Cel", scale = 0.01, offset = -40)]
    skin: i16,
    /// This doc comment loses to the explicit description.
    #[koffer(unit = "s", time = "unix", description = "taken at")]
    at: u32,
    #[koffer(unit = "ms", time = "boot")]
    since_boot: u64,
    #[koffer(offset = 273.15)]
    kelvin_offset: f32,
}

#[test]
fn every_annotation() {
    const HAND: Type = Type::Struct(
        "Thermo",
        &[
            Field {
                name: "skin",
                meta: Meta {
                    unit: Some("Cel"),
                    description: Some("Temperature of the skin."),
                    scale: Some(0.01),
                    offset: Some(-40.0),
                    time: None,
                },
                ty: &Type::I16,
            },
            Field {
                name: "at",
                meta: Meta {
                    unit: Some("s"),
                    description: Some("taken at"),
                    time: Some("unix"),
                    ..Meta::NONE
                },
                ty: &Type::U32,
            },
            Field {
                name: "since_boot",
                meta: Meta {
                    unit: Some("ms"),
                    time: Some("boot"),
                    ..Meta::NONE
                },
                ty: &Type::U64,
            },
            Field {
                name: "kelvin_offset",
                meta: Meta {
                    offset: Some(273.15),
                    ..Meta::NONE
                },
                ty: &Type::F32,
            },
        ],
    );
    assert_eq!(Thermo::TYPE, &HAND);

    let expected = cat(&[
        &[0x1A],
        &name("Thermo"),
        &[0x04],
        // skin: unit, description, scale, offset = 0x0F
        &name("skin"),
        &[0x0F],
        &name("Cel"),
        &name("Temperature of the skin."),
        &0.01f64.to_le_bytes(),
        &(-40.0f64).to_le_bytes(),
        &[0x08],
        // at: unit, description, time = 0x13
        &name("at"),
        &[0x13],
        &name("s"),
        &name("taken at"),
        &name("unix"),
        &[0x04],
        // since_boot: unit, time = 0x11
        &name("since_boot"),
        &[0x11],
        &name("ms"),
        &name("boot"),
        &[0x05],
        // kelvin_offset: offset = 0x08
        &name("kelvin_offset"),
        &[0x08],
        &273.15f64.to_le_bytes(),
        &[0x0C],
    ]);
    assert_eq!(Thermo::DEFINITION, &expected[..]);
    assert_eq!((Thermo::NAME, Thermo::VERSION), ("thermo", 4));
    parses(Thermo::DEFINITION);
}

// ---- every shape: newtype, tuple and unit structs; every variant kind -----

#[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
struct Meters(u32);

#[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
struct Point(i32, i32);

#[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
struct Marker;

#[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
#[koffer(record = "event", version = 2)]
enum Event {
    Boot,
    Battery(u8),
    Fix(f32, f32),
    Lap {
        #[koffer(unit = "m")]
        distance: Meters,
        at: Point,
    },
    Mark(Marker),
}

#[test]
fn every_shape() {
    assert_eq!(Meters::TYPE, &Type::NewtypeStruct("Meters", &Type::U32));
    assert_eq!(
        Point::TYPE,
        &Type::TupleStruct("Point", &[&Type::I32, &Type::I32])
    );
    assert_eq!(Marker::TYPE, &Type::UnitStruct("Marker"));

    const HAND: Type = Type::Enum(
        "Event",
        &[
            Variant {
                name: "Boot",
                data: VariantData::Unit,
            },
            Variant {
                name: "Battery",
                data: VariantData::Newtype(&Type::U8),
            },
            Variant {
                name: "Fix",
                data: VariantData::Tuple(&[&Type::F32, &Type::F32]),
            },
            Variant {
                name: "Lap",
                data: VariantData::Struct(&[
                    Field {
                        name: "distance",
                        meta: Meta {
                            unit: Some("m"),
                            ..Meta::NONE
                        },
                        ty: &Type::NewtypeStruct("Meters", &Type::U32),
                    },
                    Field {
                        name: "at",
                        meta: Meta::NONE,
                        ty: &Type::TupleStruct("Point", &[&Type::I32, &Type::I32]),
                    },
                ]),
            },
            Variant {
                name: "Mark",
                data: VariantData::Newtype(&Type::UnitStruct("Marker")),
            },
        ],
    );
    assert_eq!(Event::TYPE, &HAND);

    let expected = cat(&[
        &[0x1B],
        &name("Event"),
        &[0x05],
        &name("Boot"),
        &[0x00],
        &name("Battery"),
        &[0x01, 0x02],
        &name("Fix"),
        &[0x02, 0x02, 0x0C, 0x0C],
        &name("Lap"),
        &[0x03, 0x02],
        &name("distance"),
        &[0x01],
        &name("m"),
        &[0x14],
        &name("Meters"),
        &[0x04],
        &name("at"),
        &[0x00, 0x17],
        &name("Point"),
        &[0x02, 0x09, 0x09],
        &name("Mark"),
        &[0x01, 0x13],
        &name("Marker"),
    ]);
    assert_eq!(Event::DEFINITION, &expected[..]);
    parses(Event::DEFINITION);

    // What postcard writes follows the definition: variant index 3, then
    // the fields in order (u32 varint, two zigzag i32 varints).
    let lap = Event::Lap {
        distance: Meters(300),
        at: Point(-1, 2),
    };
    let bytes = postcard::to_allocvec(&lap).unwrap();
    assert_eq!(bytes, [0x03, 0xAC, 0x02, 0x01, 0x04]);
    assert_eq!(postcard::from_bytes::<Event>(&bytes).unwrap(), lap);
}

// ---- strings, bytes, sequences, options -----------------------------------

#[cfg(all(feature = "heapless", feature = "alloc"))]
mod containers {
    use super::*;

    fn heapless_bytes<S: serde::Serializer, const N: usize>(
        v: &heapless::Vec<u8, N>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    #[derive(Serialize, koffer::Describe)]
    struct Blobs<'a> {
        text: &'a str,
        label: heapless::String<16>,
        /// A plain `&[u8]` is a sequence of u8.
        seq: &'a [u8],
        #[serde(with = "serde_bytes")]
        #[koffer(bytes)]
        raw: &'a [u8],
        #[serde(with = "serde_bytes")]
        #[koffer(bytes)]
        owned: Vec<u8>,
        #[serde(serialize_with = "heapless_bytes")]
        #[koffer(bytes)]
        small: heapless::Vec<u8, 8>,
        #[serde(with = "serde_bytes")]
        #[koffer(bytes)]
        maybe: Option<Vec<u8>>,
        samples: heapless::Vec<i16, 4>,
        nested: Option<Option<u8>>,
        list: Vec<u8>,
        fixed: [u8; 3],
    }

    #[test]
    fn strings_bytes_sequences_options() {
        const HAND: Type = Type::Struct(
            "Blobs",
            &[
                Field {
                    name: "text",
                    meta: Meta::NONE,
                    ty: &Type::String,
                },
                Field {
                    name: "label",
                    meta: Meta::NONE,
                    ty: &Type::String,
                },
                Field {
                    name: "seq",
                    meta: Meta {
                        description: Some("A plain `&[u8]` is a sequence of u8."),
                        ..Meta::NONE
                    },
                    ty: &Type::Seq(&Type::U8),
                },
                Field {
                    name: "raw",
                    meta: Meta::NONE,
                    ty: &Type::Bytes,
                },
                Field {
                    name: "owned",
                    meta: Meta::NONE,
                    ty: &Type::Bytes,
                },
                Field {
                    name: "small",
                    meta: Meta::NONE,
                    ty: &Type::Bytes,
                },
                Field {
                    name: "maybe",
                    meta: Meta::NONE,
                    ty: &Type::Option(&Type::Bytes),
                },
                Field {
                    name: "samples",
                    meta: Meta::NONE,
                    ty: &Type::Seq(&Type::I16),
                },
                Field {
                    name: "nested",
                    meta: Meta::NONE,
                    ty: &Type::Option(&Type::Option(&Type::U8)),
                },
                Field {
                    name: "list",
                    meta: Meta::NONE,
                    ty: &Type::Seq(&Type::U8),
                },
                Field {
                    name: "fixed",
                    meta: Meta::NONE,
                    ty: &Type::Array(3, &Type::U8),
                },
            ],
        );
        assert_eq!(<Blobs<'static> as Describe>::TYPE, &HAND);
        let def: &[u8] = koffer::definition!(<Blobs<'static> as Describe>::TYPE);
        parses(def);

        // Bytes and a sequence of u8 are the same payload (schema.md §2).
        let b = Blobs {
            text: "hi",
            label: heapless::String::try_from("L").unwrap(),
            seq: &[1, 2],
            raw: &[1, 2],
            owned: vec![1, 2],
            small: heapless::Vec::from_slice(&[1, 2]).unwrap(),
            maybe: Some(vec![1, 2]),
            samples: heapless::Vec::from_slice(&[-1]).unwrap(),
            nested: Some(None),
            list: vec![1, 2],
            fixed: [7, 8, 9],
        };
        #[rustfmt::skip]
        let expected: &[u8] = &[
            0x02, b'h', b'i',   // text
            0x01, b'L',         // label
            0x02, 1, 2,         // seq
            0x02, 1, 2,         // raw
            0x02, 1, 2,         // owned
            0x02, 1, 2,         // small
            0x01, 0x02, 1, 2,   // maybe
            0x01, 0x01,         // samples: one i16, zigzag(-1) = 1
            0x01, 0x00,         // nested: Some(None)
            0x02, 1, 2,         // list
            7, 8, 9,            // fixed
        ];
        assert_eq!(postcard::to_allocvec(&b).unwrap(), expected);
    }

    // ---- the wearable sample ----------------------------------------------

    #[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq, Clone, Copy)]
    enum Activity {
        Still,
        Walk,
        Run,
        Cycle,
    }

    /// The typical wearable record, with units and no descriptions.
    #[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
    #[koffer(record = "sample", version = 1)]
    struct Sample {
        #[koffer(unit = "ms", time)]
        timestamp_ms: u64,
        #[koffer(unit = "1/min")]
        heart_rate: u8,
        steps: u16,
        #[koffer(unit = "lat")]
        lat: f64,
        #[koffer(unit = "lon")]
        lon: f64,
        #[koffer(unit = "%")]
        battery_pct: u8,
        activity: Activity,
        note: Option<heapless::String<32>>,
    }

    /// The same record with short descriptions, from doc comments.
    #[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
    #[koffer(record = "sample", version = 1)]
    #[serde(rename = "Sample")]
    struct DescribedSample {
        /// Time of the sample.
        #[koffer(unit = "ms", time)]
        timestamp_ms: u64,
        /// Heart rate.
        #[koffer(unit = "1/min")]
        heart_rate: u8,
        /// Steps since midnight.
        steps: u16,
        /// Latitude.
        #[koffer(unit = "lat")]
        lat: f64,
        /// Longitude.
        #[koffer(unit = "lon")]
        lon: f64,
        /// Battery charge.
        #[koffer(unit = "%")]
        battery_pct: u8,
        /// What the wearer is doing.
        activity: Activity,
        /// A note by the wearer.
        note: Option<heapless::String<32>>,
    }

    /// Doc comments, but `docs = false`: the definition of `Sample`.
    #[derive(Serialize, Deserialize, koffer::Describe)]
    #[koffer(record = "sample", version = 1, docs = false)]
    #[serde(rename = "Sample")]
    struct UndocumentedSample {
        /// Time of the sample.
        #[koffer(unit = "ms", time)]
        timestamp_ms: u64,
        /// Heart rate.
        #[koffer(unit = "1/min")]
        heart_rate: u8,
        /// Steps since midnight.
        steps: u16,
        /// Latitude.
        #[koffer(unit = "lat")]
        lat: f64,
        /// Longitude.
        #[koffer(unit = "lon")]
        lon: f64,
        /// Battery charge.
        #[koffer(unit = "%")]
        battery_pct: u8,
        /// What the wearer is doing.
        activity: Activity,
        /// A note by the wearer.
        note: Option<heapless::String<32>>,
    }

    #[test]
    fn wearable_sample() {
        let expected = cat(&[
            &[0x1A],
            &name("Sample"),
            &[0x08],
            &name("timestamp_ms"),
            &[0x11],
            &name("ms"),
            &[0x00, 0x05],
            &name("heart_rate"),
            &[0x01],
            &name("1/min"),
            &[0x02],
            &name("steps"),
            &[0x00, 0x03],
            &name("lat"),
            &[0x01],
            &name("lat"),
            &[0x0D],
            &name("lon"),
            &[0x01],
            &name("lon"),
            &[0x0D],
            &name("battery_pct"),
            &[0x01],
            &name("%"),
            &[0x02],
            &name("activity"),
            &[0x00, 0x1B],
            &name("Activity"),
            &[0x04],
            &name("Still"),
            &[0x00],
            &name("Walk"),
            &[0x00],
            &name("Run"),
            &[0x00],
            &name("Cycle"),
            &[0x00],
            &name("note"),
            &[0x00, 0x11, 0x0F],
        ]);
        assert_eq!(Sample::DEFINITION, &expected[..]);
        assert_eq!(UndocumentedSample::DEFINITION, Sample::DEFINITION);
        assert_eq!(UndocumentedSample::FINGERPRINT, Sample::FINGERPRINT);
        parses(Sample::DEFINITION);
        parses(DescribedSample::DEFINITION);

        let bare = Sample::DEFINITION.len();
        let described = DescribedSample::DEFINITION.len();
        println!("wearable Sample definition: {bare} bytes without descriptions, {described} with");
        assert!(bare <= 150, "{bare} bytes");
        // Each description adds its name: a length byte and the text.
        let texts = [
            "Time of the sample.",
            "Heart rate.",
            "Steps since midnight.",
            "Latitude.",
            "Longitude.",
            "Battery charge.",
            "What the wearer is doing.",
            "A note by the wearer.",
        ];
        assert_eq!(
            described,
            bare + texts.iter().map(|t| 1 + t.len()).sum::<usize>()
        );
        assert_ne!(DescribedSample::FINGERPRINT, Sample::FINGERPRINT);

        // The record as postcard writes it, read back.
        let s = Sample {
            timestamp_ms: 1_700_000_000_000,
            heart_rate: 72,
            steps: 1234,
            lat: 52.52,
            lon: 13.405,
            battery_pct: 80,
            activity: Activity::Walk,
            note: Some(heapless::String::try_from("ok").unwrap()),
        };
        let bytes = postcard::to_allocvec(&s).unwrap();
        assert_eq!(postcard::from_bytes::<Sample>(&bytes).unwrap(), s);
    }
}

// ---- serde names and skips ------------------------------------------------

#[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
#[serde(rename = "reading", rename_all = "camelCase")]
struct Reading {
    sensor_id: u16,
    #[serde(rename = "VALUE")]
    value_raw: i32,
    #[serde(skip)]
    cached: u64,
    r#type: u8,
}

#[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
#[serde(rename_all = "kebab-case", rename_all_fields = "SCREAMING_SNAKE_CASE")]
enum Mode {
    LowPower,
    #[serde(rename = "hi")]
    HighPower,
    Custom {
        duty_cycle: u8,
    },
    #[serde(rename_all = "PascalCase")]
    Other {
        sample_rate: u16,
        #[serde(skip)]
        scratch: u8,
    },
}

#[derive(Serialize, Deserialize, koffer::Describe, Debug, PartialEq)]
struct Skips(u8, #[serde(skip)] u16, i8);

#[test]
fn renames_and_skips() {
    const READING: Type = Type::Struct(
        "reading",
        &[
            Field {
                name: "sensorId",
                meta: Meta::NONE,
                ty: &Type::U16,
            },
            Field {
                name: "VALUE",
                meta: Meta::NONE,
                ty: &Type::I32,
            },
            Field {
                name: "type",
                meta: Meta::NONE,
                ty: &Type::U8,
            },
        ],
    );
    assert_eq!(Reading::TYPE, &READING);
    let r = Reading {
        sensor_id: 1,
        value_raw: -1,
        cached: 99,
        r#type: 7,
    };
    let bytes = postcard::to_allocvec(&r).unwrap();
    assert_eq!(bytes, [0x01, 0x01, 0x07]);

    const MODE: Type = Type::Enum(
        "Mode",
        &[
            Variant {
                name: "low-power",
                data: VariantData::Unit,
            },
            Variant {
                name: "hi",
                data: VariantData::Unit,
            },
            Variant {
                name: "custom",
                data: VariantData::Struct(&[Field {
                    name: "DUTY_CYCLE",
                    meta: Meta::NONE,
                    ty: &Type::U8,
                }]),
            },
            Variant {
                name: "other",
                data: VariantData::Struct(&[Field {
                    name: "SampleRate",
                    meta: Meta::NONE,
                    ty: &Type::U16,
                }]),
            },
        ],
    );
    assert_eq!(Mode::TYPE, &MODE);
    let other = Mode::Other {
        sample_rate: 300,
        scratch: 0,
    };
    assert_eq!(postcard::to_allocvec(&other).unwrap(), [0x03, 0xAC, 0x02]);

    assert_eq!(
        Skips::TYPE,
        &Type::TupleStruct("Skips", &[&Type::U8, &Type::I8])
    );
    assert_eq!(
        postcard::to_allocvec(&Skips(1, 2, -1)).unwrap(),
        [0x01, 0xFF]
    );

    let defs: [&[u8]; 3] = [
        koffer::definition!(Reading::TYPE),
        koffer::definition!(Mode::TYPE),
        koffer::definition!(Skips::TYPE),
    ];
    for def in defs {
        parses(def);
    }
}

// ---- transparent, generics, lifetimes -------------------------------------

#[derive(Serialize, Deserialize, koffer::Describe)]
#[serde(transparent)]
struct Id(u32);

#[derive(Serialize, Deserialize, koffer::Describe)]
#[serde(transparent)]
struct Wrapped {
    #[serde(skip)]
    _cache: u8,
    inner: Meters,
}

#[derive(Serialize, Deserialize, koffer::Describe)]
struct Pair<T> {
    a: T,
    b: Option<T>,
}

// serde has no `Serialize` for `[T; N]` with a const `N`.
#[derive(koffer::Describe)]
#[allow(dead_code)]
struct Window<'a, T: Copy, const N: usize> {
    label: &'a str,
    values: [T; N],
}

#[derive(Serialize, Deserialize, koffer::Describe)]
#[koffer(record = "log", version = 3)]
struct Log<'a, 'b: 'a> {
    #[serde(borrow)]
    msg: &'a str,
    #[koffer(unit = "ms", time)]
    at: u64,
    #[serde(borrow)]
    tag: &'b str,
}

#[test]
fn transparent_generics_lifetimes() {
    assert_eq!(Id::TYPE, &Type::U32);
    assert_eq!(Wrapped::TYPE, Meters::TYPE);

    const PAIR: Type = Type::Struct(
        "Pair",
        &[
            Field {
                name: "a",
                meta: Meta::NONE,
                ty: &Type::I8,
            },
            Field {
                name: "b",
                meta: Meta::NONE,
                ty: &Type::Option(&Type::I8),
            },
        ],
    );
    assert_eq!(<Pair<i8>>::TYPE, &PAIR);

    const WINDOW: Type = Type::Struct(
        "Window",
        &[
            Field {
                name: "label",
                meta: Meta::NONE,
                ty: &Type::String,
            },
            Field {
                name: "values",
                meta: Meta::NONE,
                ty: &Type::Array(4, &Type::F32),
            },
        ],
    );
    assert_eq!(<Window<'static, f32, 4>>::TYPE, &WINDOW);

    let expected = cat(&[
        &[0x1A],
        &name("Log"),
        &[0x03],
        &name("msg"),
        &[0x00, 0x0F],
        &name("at"),
        &[0x11],
        &name("ms"),
        &[0x00, 0x05],
        &name("tag"),
        &[0x00, 0x0F],
    ]);
    assert_eq!(Log::DEFINITION, &expected[..]);
    assert_eq!((Log::NAME, Log::VERSION), ("log", 3));
    parses(Log::DEFINITION);
}

// ---- hygiene: the output names everything by its full path ----------------

#[allow(dead_code, non_camel_case_types)]
mod hygiene {
    // The derive and the trait imported side by side, as users do.
    use koffer::schema::Describe;
    use koffer::Describe;

    struct Type;
    struct Field;
    struct Meta;
    struct Variant;
    struct VariantData;
    struct Some;
    struct None;
    mod core {}
    mod schema {}

    #[derive(Describe)]
    #[koffer(record = "h", version = 1)]
    enum H {
        A {
            #[koffer(unit = "ms", scale = 2)]
            a: u8,
        },
        B(u8, u8),
    }

    #[test]
    fn shadowed_names() {
        assert_eq!(<H as Describe>::TYPE, <H as koffer::schema::Describe>::TYPE);
        super::parses(<H as koffer::schema::RecordType>::DEFINITION);
    }
}

// ---- the run-time builder gives the derived bytes ---------------------------

/// `koffer::schema::Builder`, called as a converter would at run time,
/// produces the definitions `#[derive(Describe)]` produces at compile time.
#[cfg(feature = "alloc")]
#[test]
fn builder_bytes_equal_derived_definitions() {
    use koffer::schema::{Annotations, Builder, RecordType};
    let none = Annotations::default;

    let mut b = Builder::new();
    b.struct_("Beat", 2)
        .field(
            "at_ms",
            Annotations {
                unit: Some("ms"),
                time: Some(""),
                ..none()
            },
        )
        .u64()
        .field("bpm", none())
        .u8();
    assert_eq!(b.finish().unwrap(), Beat::DEFINITION);

    let mut b = Builder::new();
    b.struct_("Thermo", 4)
        .field(
            "skin",
            Annotations {
                unit: Some("Cel"),
                description: Some("Temperature of the skin."),
                scale: Some(0.01),
                offset: Some(-40.0),
                ..none()
            },
        )
        .i16()
        .field(
            "at",
            Annotations {
                unit: Some("s"),
                description: Some("taken at"),
                time: Some("unix"),
                ..none()
            },
        )
        .u32()
        .field(
            "since_boot",
            Annotations {
                unit: Some("ms"),
                time: Some("boot"),
                ..none()
            },
        )
        .u64()
        .field(
            "kelvin_offset",
            Annotations {
                offset: Some(273.15),
                ..none()
            },
        )
        .f32();
    assert_eq!(b.finish().unwrap(), Thermo::DEFINITION);

    let mut b = Builder::new();
    b.enum_("Event", 5)
        .variant_unit("Boot")
        .variant_newtype("Battery")
        .u8()
        .variant_tuple("Fix", 2)
        .f32()
        .f32()
        .variant_struct("Lap", 2)
        .field(
            "distance",
            Annotations {
                unit: Some("m"),
                ..none()
            },
        )
        .newtype_struct("Meters")
        .u32()
        .field("at", none())
        .tuple_struct("Point", 2)
        .i32()
        .i32()
        .variant_newtype("Mark")
        .unit_struct("Marker");
    assert_eq!(b.finish().unwrap(), Event::DEFINITION);
}
