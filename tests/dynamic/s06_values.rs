//! Spec `schema.md` §6: owned values (`koffer::value`) that do not fit their
//! type are refused when encoded to a payload, with the path to the fault.

use koffer::dynamic;
use koffer::schema::Type;
use koffer::value::{self, Value, VariantValue};

use crate::types::*;

#[test]
fn encode_refuses_values_that_do_not_fit() {
    let ty = node!(INTS);
    let payload = postcard::to_allocvec(&Ints {
        a: 1,
        b: 2,
        c: 3,
        d: 4,
        e: 5,
        f: 6,
        g: 7,
        h: 8,
        i: 9,
        j: 10,
    })
    .unwrap();
    let good = Value::decode(ty, &payload).unwrap();
    let Value::Struct { name, mut fields } = good.clone() else {
        panic!()
    };
    let mut out = vec![1, 2, 3];

    let mut wrong = fields.clone();
    wrong[2].1 = Value::U16(3);
    let e = Value::Struct {
        name: name.clone(),
        fields: wrong,
    }
    .encode(ty, &mut out)
    .unwrap_err();
    assert_eq!(e.path, ".c");
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "u32",
            found: "u16"
        }
    );
    assert_eq!(out, [1, 2, 3], "output left as it was");
    assert_eq!(
        e.to_string(),
        "value does not fit its type at .c: expected u32, found u16"
    );

    let mut renamed = fields.clone();
    renamed[0].0 = "z".into();
    let e = Value::Struct {
        name: name.clone(),
        fields: renamed,
    }
    .to_payload(ty)
    .unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.kind),
        (
            ".z",
            value::ErrorKind::Name {
                expected: "a".into(),
                found: "z".into()
            }
        )
    );

    fields.pop();
    let e = Value::Struct {
        name: name.clone(),
        fields,
    }
    .to_payload(ty)
    .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::Length {
            expected: 10,
            found: 9
        }
    );
    let e = Value::Struct {
        name: "Other".into(),
        fields: vec![],
    }
    .to_payload(ty)
    .unwrap_err();
    assert!(matches!(e.kind, value::ErrorKind::Name { .. }));

    // Enums: index and name must agree, and the data must be of the variant's kind.
    let ev = node!(EV);
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "A".into(),
        index: 9,
        data: VariantValue::Unit,
    }
    .to_payload(ev)
    .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::VariantIndex { index: 9, count: 7 }
    );
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "B".into(),
        index: 0,
        data: VariantValue::Unit,
    }
    .to_payload(ev)
    .unwrap_err();
    assert!(matches!(e.kind, value::ErrorKind::Name { .. }));
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "B".into(),
        index: 1,
        data: VariantValue::Unit,
    }
    .to_payload(ev)
    .unwrap_err();
    assert_eq!(e.path, "::B");
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "newtype variant",
            found: "unit variant"
        }
    );
    let e = Value::Enum {
        name: "Ev".into(),
        variant: "D".into(),
        index: 3,
        data: VariantValue::Struct(vec![
            ("x".into(), Value::U32(1)),
            ("y".into(), Value::U8(1)),
        ]),
    }
    .to_payload(ev)
    .unwrap_err();
    assert_eq!(e.path, "::D.y");
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "option",
            found: "u8"
        }
    );

    // Sequences and maps: deep paths; no count limit (every element takes a
    // byte, so the count never exceeds the bytes left).
    let colls = node!(Type::Seq(&Type::Map(&Type::U8, &Type::String)));
    let v = Value::Seq(vec![
        Value::Map(vec![]),
        Value::Map(vec![(Value::U8(1), Value::Bool(true))]),
    ]);
    let e = v.to_payload(colls).unwrap_err();
    assert_eq!(e.path, "[1][0].value");
    let opts = node!(Type::Seq(&Type::Option(&Type::Unit)));
    let long = Value::Seq(vec![Value::Option(None); 70_000])
        .to_payload(opts)
        .unwrap();
    assert_eq!(long.len(), 3 + 70_000);
    dynamic::check(opts, &long).unwrap();
    let arr = node!(Type::Array(2, &Type::U8));
    let e = Value::Array(vec![Value::U8(1)])
        .to_payload(arr)
        .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::Length {
            expected: 2,
            found: 1
        }
    );
    let e = Value::Seq(vec![Value::U8(1), Value::U8(2)])
        .to_payload(arr)
        .unwrap_err();
    assert_eq!(
        e.kind,
        value::ErrorKind::Mismatch {
            expected: "array",
            found: "sequence"
        }
    );
    assert_eq!(good.to_payload(ty).unwrap(), payload);
}
