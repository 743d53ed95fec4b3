//! Spec `schema.md` §9, reading back: JSON import accepts whitespace, escapes
//! and any key order; it keeps every digit; it refuses what does not fit,
//! at the byte where the fault starts, leaving the output as it was.

use koffer::dynamic;
use koffer::json;
use koffer::schema::{Node, Type};
use proptest::prelude::*;
use serde_bytes::ByteBuf;

use crate::harness::*;
use crate::types::*;

#[track_caller]
fn json_err(ty: Node<'_>, text: &str) -> (usize, json::ErrorKind) {
    match json::from_json(ty, text) {
        Err(json::Error::Json { offset, kind }) => (offset, kind),
        other => panic!("{text}: expected a JSON error, got {other:?}"),
    }
}

#[test]
fn json_import_accepts_whitespace_escapes_and_any_key_order() {
    let ty = node!(LOG);
    let log = Log {
        at_ms: 5,
        events: vec![Ev::B(3), Ev::A, Ev::C(0, "é\"".into())],
        temp: 0,
        colls: Some(Colls {
            v: vec![1],
            units: vec![Some(())],
            nested: vec![vec![9]],
            arr: [1, 2, 3],
            unit_arr: [(Unit, 7), (Unit, 8)],
            grid: [[1, 2], [3, 4]],
            tup: (1, false, '\u{1F600}'),
            map: [((1, 2), "x".to_string())].into_iter().collect(),
            by_name: [("a".to_string(), vec![1u8])].into_iter().collect(),
            opt_keys: [(Some(1), ())].into_iter().collect(),
            pair: Pair(1, "q".into()),
            meters: Meters(0.25),
            unit: (),
            unit_s: Unit,
            wrap: Wrap(()),
        }),
        floats: Floats { x: 0.3, y: 1e100 },
        text: Text {
            c: '\n',
            s: "tab\there".into(),
            b: ByteBuf::from(vec![0xAB]),
        },
        ints: Ints {
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
        },
    };
    let payload = postcard::to_allocvec(&log).unwrap();
    let text = check_payload(ty, &payload);
    // serde_json sorts object keys and pretty-prints: keys out of order,
    // whitespace everywhere.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&text).unwrap())
            .unwrap();
    assert_ne!(pretty, text);
    assert_eq!(json::from_json(ty, &pretty).unwrap(), payload);
    // Escapes the writer does not use, surrogate pairs, uppercase hex.
    let ty = node!(TEXT);
    let expected = postcard::to_allocvec(&Text {
        c: '😀',
        s: "é/😀\u{8}".into(),
        b: ByteBuf::from(vec![0xAB, 0xCD]),
    })
    .unwrap();
    assert_eq!(
        json::from_json(
            ty,
            r#" { "b" : "AbCD", "c":"\ud83d\ude00" , "s":"\u00e9\/\uD83D\uDE00\b" } "#
        )
        .unwrap(),
        expected
    );
    // Negative zero for integers, exponents and fractions for floats.
    assert_eq!(json::from_json(node!(Type::I32), "-0").unwrap(), [0]);
    assert_eq!(
        json::from_json(node!(Type::F32), "1E0").unwrap(),
        1f32.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F32), "100e-2").unwrap(),
        1f32.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F64), "7").unwrap(),
        7f64.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F32), "1e-50").unwrap(),
        0f32.to_le_bytes()
    );
    // NaN bits of any length, the canonical NaN spelled out.
    assert_eq!(
        json::from_json(node!(Type::F32), r#""nan:0x7FC00000""#).unwrap(),
        f32::NAN.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F64), r#""nan:0x7ff8000000000001""#).unwrap(),
        0x7FF8_0000_0000_0001u64.to_le_bytes()
    );
}

#[test]
fn json_import_refusals() {
    use json::ErrorKind as K;
    let u8_ty = node!(Type::U8);
    assert_eq!(json_err(u8_ty, "256"), (0, K::OutOfRange));
    assert_eq!(json_err(u8_ty, "-1"), (0, K::OutOfRange));
    assert_eq!(
        json_err(u8_ty, " 1.0"),
        (1, K::Expected("an integer (no fraction, no exponent)"))
    );
    assert_eq!(
        json_err(u8_ty, "1e2"),
        (0, K::Expected("an integer (no fraction, no exponent)"))
    );
    assert_eq!(json_err(u8_ty, "\"1\""), (0, K::Expected("an integer")));
    // A leading zero is malformed JSON (serde_json says so at the second digit).
    assert_eq!(json_err(u8_ty, "01"), (1, K::Syntax("a valid number")));
    assert_eq!(json_err(u8_ty, "1 2"), (2, K::TrailingCharacters));
    assert_eq!(
        json_err(node!(Type::U128), "340282366920938463463374607431768211456"),
        (0, K::OutOfRange)
    );
    assert_eq!(
        json_err(
            node!(Type::I128),
            "-170141183460469231731687303715884105729"
        ),
        (0, K::OutOfRange)
    );
    assert_eq!(
        json_err(node!(Type::I128), "170141183460469231731687303715884105728"),
        (0, K::OutOfRange)
    );
    assert_eq!(json_err(node!(Type::I8), "-129"), (0, K::OutOfRange));
    assert_eq!(
        json_err(
            node!(Type::U16),
            "99999999999999999999999999999999999999999999"
        ),
        (0, K::OutOfRange)
    );
    let f32_ty = node!(Type::F32);
    assert_eq!(json_err(f32_ty, "1e39"), (0, K::OutOfRange));
    assert!(matches!(
        json_err(f32_ty, "\"nan:0x3f800000\"").1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(f32_ty, "\"nan:0x7fc000001\"").1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(f32_ty, "\"nan:0x+7fc0000\"").1,
        K::Expected(_)
    ));
    assert!(matches!(json_err(f32_ty, "\"Infinity\"").1, K::Expected(_)));
    assert!(matches!(json_err(f32_ty, "NaN").1, K::Expected(_)));
    assert!(matches!(json_err(f32_ty, "1.").1, K::Syntax(_)));
    assert!(matches!(json_err(f32_ty, ".5").1, K::Expected(_)));
    assert!(matches!(
        json_err(node!(Type::Bool), "True").1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(node!(Type::Char), r#""ab""#).1,
        K::Expected(_)
    ));
    assert!(matches!(
        json_err(node!(Type::Char), r#""""#).1,
        K::Expected(_)
    ));
    let s = node!(Type::String);
    assert!(matches!(json_err(s, "\"a\nb\"").1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""\ud800""#).1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""\udc00x""#).1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""\x""#).1, K::Syntax(_)));
    assert!(matches!(json_err(s, r#""abc"#).1, K::Syntax(_)));
    let b = node!(Type::Bytes);
    assert!(matches!(json_err(b, r#""abc""#).1, K::Expected(_)));
    assert!(matches!(json_err(b, r#""zz""#).1, K::Expected(_)));
    let opt = node!(Type::Option(&Type::Unit));
    assert!(matches!(json_err(opt, "[]").1, K::Expected(_)));
    assert!(matches!(json_err(opt, "[null,null]").1, K::Syntax(_)));
    let tup = node!(Type::Tuple(&[&Type::U8, &Type::U8]));
    assert_eq!(
        json_err(tup, "[1]"),
        (
            0,
            K::Length {
                expected: 2,
                found: 1
            }
        )
    );
    assert_eq!(
        json_err(tup, "[]"),
        (
            0,
            K::Length {
                expected: 2,
                found: 0
            }
        )
    );
    assert_eq!(
        json_err(tup, "[1,2,3,[4]]"),
        (
            0,
            K::Length {
                expected: 2,
                found: 4
            }
        )
    );
    assert!(matches!(json_err(tup, "[1,2").1, K::Syntax(_)));
    // A long array of nulls is just a long sequence of options.
    let opts = node!(Type::Seq(&Type::Option(&Type::Unit)));
    let many = format!("[{}null]", "null,".repeat(69_999));
    let long = json::from_json(opts, &many).unwrap();
    assert_eq!(long.len(), 3 + 70_000);
    dynamic::check(opts, &long).unwrap();
    let ty = node!(TEXT);
    assert_eq!(
        json_err(ty, r#"{"c":"x","s":"","b":"","d":1}"#).1,
        K::UnknownField("d".into())
    );
    assert_eq!(
        json_err(ty, r#"{"c":"x","s":"","c":"y","b":""}"#).1,
        K::DuplicateField("c".into())
    );
    assert_eq!(
        json_err(ty, r#"{"c":"x","b":""}"#),
        (0, K::MissingField("s".into()))
    );
    assert!(matches!(
        json_err(ty, r#"{"c":"x","s":"","b":"",}"#).1,
        K::Syntax(_)
    ));
    assert!(matches!(json_err(ty, r#"["x","",""]"#).1, K::Expected(_)));
    let ev = node!(EV);
    assert_eq!(json_err(ev, r#""Z""#), (0, K::UnknownVariant("Z".into())));
    assert!(matches!(json_err(ev, r#"{"A":null}"#).1, K::Expected(_)));
    assert!(matches!(json_err(ev, r#""B""#).1, K::Expected(_)));
    assert!(matches!(
        json_err(ev, r#"{"B":1,"C":[1,""]}"#).1,
        K::Syntax(_)
    ));
    assert!(matches!(json_err(ev, "3").1, K::Expected(_)));
    let map = node!(Type::Map(&Type::U8, &Type::U8));
    assert!(matches!(json_err(map, "[[1,2,3]]").1, K::Syntax(_)));
    assert!(matches!(json_err(map, "{\"1\":2}").1, K::Expected(_)));
    // Deep nesting in a skipped value (keys out of order) needs no recursion.
    let deep = format!(
        r#"{{"s":"","b":"","x":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(json_err(ty, &deep).1, K::UnknownField("x".into()));
    // An array where a string must be is refused where it opens, before
    // its (unterminated) nesting is read.
    let deep = format!(r#"{{"s":{}"#, "[".repeat(100_000));
    assert_eq!(json_err(ty, &deep), (5, K::Expected("a string")));
    // Excess elements are skipped without recursion, however deep; an
    // unterminated one is malformed JSON.
    let deep = format!("[1,2,{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        json_err(tup, &deep),
        (
            0,
            K::Length {
                expected: 2,
                found: 3
            }
        )
    );
    let deep = format!("[1,2,{}", "[".repeat(100_000));
    assert!(matches!(json_err(tup, &deep).1, K::Syntax(_)));
    // Errors have messages.
    let e = json::from_json(u8_ty, "300").unwrap_err();
    assert_eq!(
        e.to_string(),
        "at JSON byte 0: number out of range for its type"
    );
    // A failed import leaves the output as it was.
    let mut out = vec![1, 2];
    assert!(json::from_json_into(node!(Type::Seq(&Type::U8)), "[1,2,300]", &mut out).is_err());
    assert_eq!(out, [1, 2]);
}

#[test]
fn json_fault_inside_a_multibyte_character_is_at_its_first_byte() {
    let s = node!(Type::String);
    // `é` is 2 bytes, `€` 3, `😀` 4: serde_json stops inside each.
    for (text, at) in [
        ("\"\\u00é\"", 5),
        ("\"\\u0€\"", 4),
        ("\"ab\\u😀\"", 5),
        ("\"\\é\"", 2),
    ] {
        let (offset, kind) = json_err(s, text);
        assert!(text.is_char_boundary(offset), "{text}: {offset} {kind:?}");
        assert_eq!(offset, at, "{text}: {kind:?}");
        assert!(
            matches!(kind, json::ErrorKind::Syntax(_)),
            "{text}: {kind:?}"
        );
    }
}

#[test]
fn json_import_exact_numbers_and_fault_offsets() {
    use json::ErrorKind as K;
    // Integers keep every digit, beyond 64 bits too.
    let u128_ty = node!(Type::U128);
    let i128_ty = node!(Type::I128);
    for v in [
        0,
        1,
        u128::from(u64::MAX),
        u128::from(u64::MAX) + 1,
        u128::MAX,
    ] {
        let payload = postcard::to_allocvec(&v).unwrap();
        assert_eq!(json::from_json(u128_ty, &v.to_string()).unwrap(), payload);
    }
    for v in [i128::MIN, i128::from(i64::MIN) - 1, -1, 0, i128::MAX] {
        let payload = postcard::to_allocvec(&v).unwrap();
        assert_eq!(json::from_json(i128_ty, &v.to_string()).unwrap(), payload);
    }
    assert_eq!(json::from_json(node!(Type::U8), "-0").unwrap(), [0]);
    assert_eq!(
        json::from_json(node!(Type::I64), "-9223372036854775808").unwrap(),
        postcard::to_allocvec(&i64::MIN).unwrap()
    );
    assert_eq!(
        json_err(node!(Type::I64), "-9223372036854775809"),
        (0, K::OutOfRange)
    );
    assert_eq!(
        json_err(node!(Type::U64), " 18446744073709551616"),
        (1, K::OutOfRange)
    );
    // An f32 is read from its text as an f32. 1 + 2^-24 + 2^-60 is just
    // above halfway between 1 and the next f32: through an f64 it would
    // round to the halfway point first, then to even, 1.0.
    let text = "1.000000059604644776257986737988403547205962240695953369140625";
    assert_eq!((text.parse::<f64>().unwrap() as f32).to_bits(), 0x3F80_0000);
    assert_eq!(
        json::from_json(node!(Type::F32), text).unwrap(),
        0x3F80_0001u32.to_le_bytes()
    );
    assert_eq!(
        json::from_json(node!(Type::F64), "1e400")
            .unwrap_err()
            .to_string(),
        "at JSON byte 0: number out of range for its type"
    );
    // Every fault at the byte where its value starts, across lines.
    let ty = node!(Type::Tuple(&[
        &Type::U8,
        &Type::Tuple(&[&Type::U8, &Type::U8]),
        &Type::Option(&Type::Unit),
    ]));
    assert_eq!(
        json_err(ty, "[1,\n [2, \"x\"], null]"),
        (9, K::Expected("an integer"))
    );
    assert_eq!(
        json_err(ty, "[1,\n [2, 3, 4], null]"),
        (
            5,
            K::Length {
                expected: 2,
                found: 3
            }
        )
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], true]"),
        (12, K::Expected("null, or [value] for some"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], [null, null]]"),
        (12, K::Syntax("']' after the value of an option"))
    );
    assert_eq!(json_err(ty, "[1, [2, 3], [7]]"), (13, K::Expected("null")));
    // Malformed JSON where serde_json finds it, as a byte offset.
    assert_eq!(
        json_err(ty, "[1,\n [2 3], null]"),
        (8, K::Syntax("',' or ']'"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], null"),
        (15, K::Syntax("',' or ']' before the end"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], nul]"),
        (12, K::Expected("null, or [value] for some"))
    );
    assert_eq!(
        json_err(node!(Type::Seq(&Type::Option(&Type::U8))), "[1, nul]"),
        (4, K::Expected("null or a value"))
    );
    assert_eq!(
        json_err(ty, "[1, [2, 3], null] x"),
        (18, K::TrailingCharacters)
    );
    // Keys: escaped, repeated or unknown after every field, at the key.
    let text = node!(TEXT);
    let expected = postcard::to_allocvec(&Text {
        c: 'x',
        s: "y".into(),
        b: ByteBuf::from(vec![1]),
    })
    .unwrap();
    assert_eq!(
        json::from_json(text, r#"{"\u0063":"x","s":"y","b":"01"}"#).unwrap(),
        expected
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"y","b":"01", "c":"z"}"#),
        (27, K::DuplicateField("c".into()))
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"y","b":"01","d":1}"#),
        (26, K::UnknownField("d".into()))
    );
    assert_eq!(
        json_err(text, r#"{"s":"y","c":"x","s":"z"}"#),
        (17, K::DuplicateField("s".into()))
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"y","b":"0g"}"#),
        (21, K::Expected("a string of hex digits, two per byte"))
    );
    assert_eq!(
        json_err(text, r#"{"c":"x","s":"\ud800","b":""}"#).1,
        K::Syntax("a low surrogate after a high one")
    );
    // Enums: escaped names, one key, at the name or the object.
    let ev = node!(EV);
    assert_eq!(json::from_json(ev, r#""\u0041""#).unwrap(), [0]);
    assert_eq!(
        json::from_json(ev, r#"{"\u0042":-2}"#).unwrap(),
        postcard::to_allocvec(&Ev::B(-2)).unwrap()
    );
    assert_eq!(
        json_err(ev, r#"{"B":1, "C":[1,""]}"#),
        (8, K::Syntax("'}': a variant object has one key"))
    );
    assert_eq!(
        json_err(ev, "{}"),
        (0, K::Expected("a variant: \"Name\", or {\"Name\": data}"))
    );
    assert_eq!(
        json_err(ev, r#" {"Z":1}"#),
        (2, K::UnknownVariant("Z".into()))
    );
    assert_eq!(
        json_err(ev, r#"{"D":{"x":1}}"#),
        (5, K::MissingField("y".into()))
    );
    // Maps are arrays of pairs.
    let map = node!(Type::Map(&Type::U8, &Type::String));
    assert_eq!(
        json_err(map, r#"[[1,"a"],[2]]"#),
        (9, K::Syntax("a [key, value] pair of two elements"))
    );
    assert_eq!(
        json_err(map, r#"[[1,"a"],{"2":"b"}]"#),
        (9, K::Expected("a [key, value] pair"))
    );
}

proptest! {
    #![proptest_config(config(64))]

    /// A record's JSON with a few chars replaced, removed or inserted: the
    /// import never panics; what it accepts is a payload of the type that
    /// comes back the same way; what it refuses it refuses at an offset in
    /// the text, leaving the output as it was.
    #[test]
    fn prop_json_import_of_mangled_text(
        v in any::<Log>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
            &['[', ']', '{', '}', ',', ':', '"', '\\', '0', '9', '-', '.', 'e', 'n', ' ', 'x', 'é'][..],
        )), 1..4),
    ) {
        let ty = node!(LOG);
        let mut chars: Vec<char> = json::to_json(ty, &postcard::to_allocvec(&v).unwrap())
            .unwrap()
            .chars()
            .collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => chars[i] = c,
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                _ => chars.insert(i, c),
            }
        }
        let text: String = chars.into_iter().collect();
        let mut out = vec![7u8];
        match json::from_json_into(ty, &text, &mut out) {
            Ok(()) => {
                let payload = &out[1..];
                prop_assert!(dynamic::check(ty, payload).is_ok(), "{}", text);
                let again = json::to_json(ty, payload).unwrap();
                prop_assert_eq!(&json::from_json(ty, &again).unwrap()[..], payload);
            }
            Err(json::Error::Json { offset, .. }) => {
                prop_assert!(offset <= text.len(), "{} at {}", text, offset);
                prop_assert_eq!(out, vec![7u8]);
            }
            Err(e) => prop_assert!(false, "{}: {:?}", text, e),
        }
    }
}
