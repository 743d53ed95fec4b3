//! Spec `schema.md` §8: typed reading across versions of a record type.

use koffer::read::{Reader, TypedError};
use koffer::schema::{Describe, Field, Meta, RecordType, Type};
use koffer::write::Writer;
use serde::{Deserialize, Serialize};

const fn field(name: &'static str, ty: &'static Type) -> Field {
    Field {
        name,
        meta: Meta::NONE,
        ty,
    }
}

/// Version 1 as written by old firmware.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct SampleV1 {
    t: u64,
    hr: u8,
}
impl Describe for SampleV1 {
    const TYPE: &'static Type =
        &Type::Struct("Sample", &[field("t", u64::TYPE), field("hr", u8::TYPE)]);
}
impl RecordType for SampleV1 {
    const NAME: &'static str = "sample";
    const VERSION: u32 = 1;
    const DEFINITION: &'static [u8] = koffer::definition!(SampleV1::TYPE);
}

/// Version 2 appends a field with a default.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct SampleV2 {
    t: u64,
    hr: u8,
    #[serde(default)]
    spo2: Option<u8>,
}
impl Describe for SampleV2 {
    const TYPE: &'static Type = &Type::Struct(
        "Sample",
        &[
            field("t", u64::TYPE),
            field("hr", u8::TYPE),
            field("spo2", <Option<u8>>::TYPE),
        ],
    );
}
impl RecordType for SampleV2 {
    const NAME: &'static str = "sample";
    const VERSION: u32 = 2;
    const DEFINITION: &'static [u8] = koffer::definition!(SampleV2::TYPE);
}

/// An incompatible change: `hr` became a u16.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct SampleWide {
    t: u64,
    hr: u16,
}
impl Describe for SampleWide {
    const TYPE: &'static Type =
        &Type::Struct("Sample", &[field("t", u64::TYPE), field("hr", u16::TYPE)]);
}
impl RecordType for SampleWide {
    const NAME: &'static str = "sample";
    const VERSION: u32 = 3;
    const DEFINITION: &'static [u8] = koffer::definition!(SampleWide::TYPE);
}

fn container<T: RecordType + Serialize>(values: &[T]) -> Vec<u8> {
    let mut buf = [0u8; 128];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h = w.declare_type::<T>(0).unwrap();
    for v in values {
        w.write(h, v).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn equal_fingerprints_decode_directly() {
    let bytes = container(&[SampleV1 { t: 1, hr: 60 }, SampleV1 { t: 2, hr: 61 }]);
    let reader = Reader::new(&bytes).unwrap();
    let typed = reader.typed::<SampleV1>().unwrap();
    assert!(!typed.is_evolved());
    let got: Vec<SampleV1> = typed.map(Result::unwrap).collect();
    assert_eq!(got, [SampleV1 { t: 1, hr: 60 }, SampleV1 { t: 2, hr: 61 }]);
    assert_eq!(
        reader.schema(0).unwrap().unwrap().fingerprint(),
        SampleV1::FINGERPRINT
    );
}

#[test]
fn fields_appended_with_defaults_are_read() {
    let bytes = container(&[SampleV1 { t: 7, hr: 70 }]);
    let reader = Reader::new(&bytes).unwrap();
    let typed = reader.typed::<SampleV2>().unwrap();
    assert!(typed.is_evolved());
    let got: Vec<SampleV2> = typed.map(Result::unwrap).collect();
    assert_eq!(
        got,
        [SampleV2 {
            t: 7,
            hr: 70,
            spo2: None
        }]
    );
    // A block at a time, the same values.
    let decoder = reader.decoder::<SampleV2>().unwrap();
    assert!(decoder.is_evolved());
    let mut by_block = Vec::new();
    for block in reader.blocks() {
        decoder
            .decode_each(&block.unwrap(), |s| by_block.push(s))
            .unwrap();
    }
    assert_eq!(by_block, got);
}

#[test]
fn a_field_the_reader_lacks_is_a_mismatch_naming_it() {
    let bytes = container(&[SampleV2 {
        t: 7,
        hr: 70,
        spo2: Some(97),
    }]);
    let reader = Reader::new(&bytes).unwrap();
    let Err(TypedError::Mismatch(m)) = reader.typed::<SampleV1>() else {
        panic!("expected a mismatch");
    };
    assert_eq!(
        m.to_string(),
        "Sample.spo2: the writer has a field the reader lacks"
    );
}

#[test]
fn a_typed_error_outlives_the_container_as_a_boxed_error() {
    let err: Box<dyn std::error::Error + Send + Sync + 'static> = {
        let bytes = container(&[SampleV2 {
            t: 7,
            hr: 70,
            spo2: Some(97),
        }]);
        let reader = Reader::new(&bytes).unwrap();
        match reader.typed::<SampleV1>() {
            Err(e) => e.into(),
            Ok(_) => panic!("expected a mismatch"),
        }
    }; // the container's bytes are gone; the writer's field name was copied
    assert_eq!(
        err.to_string(),
        "schema mismatch: Sample.spo2: the writer has a field the reader lacks"
    );
}

#[test]
fn a_changed_field_type_is_a_mismatch_naming_the_field() {
    let bytes = container(&[SampleV1 { t: 7, hr: 70 }]);
    let reader = Reader::new(&bytes).unwrap();
    let Err(TypedError::Mismatch(m)) = reader.typed::<SampleWide>() else {
        panic!("expected a mismatch");
    };
    assert_eq!(m.path().collect::<Vec<_>>(), ["Sample", "hr"]);
    assert!(m.to_string().starts_with("Sample.hr: "), "{m}");
}

#[test]
fn an_undeclared_record_type_is_reported() {
    let bytes = container::<SampleV1>(&[]);
    let reader = Reader::new(&bytes).unwrap();
    #[derive(Deserialize)]
    struct Other;
    impl Describe for Other {
        const TYPE: &'static Type = &Type::UnitStruct("Other");
    }
    impl RecordType for Other {
        const NAME: &'static str = "other";
        const VERSION: u32 = 1;
        const DEFINITION: &'static [u8] = koffer::definition!(Other::TYPE);
    }
    assert!(matches!(
        reader.typed::<Other>(),
        Err(TypedError::NotDeclared { name: "other" })
    ));
}

#[test]
fn definitions_are_checked_when_declared_and_when_read() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    // tag 0x1C is reserved
    assert!(w.declare(0, "bad", 1, &[0x1C]).is_err());
    w.declare(0, "ok", 1, &[0x01]).unwrap();
    let bytes = w.finish().unwrap();
    assert!(Reader::new(&bytes).unwrap().verify().unwrap().is_complete());
}
