//! Spec `disclosure.md` §4–§7 ↔ `koffer::share`: selections are exact
//! (property tests over random containers and selections), dropped values
//! are nowhere in the derived bytes, coarsening rounds as specified, both
//! digests are recomputed here independently, and a ledger cut at every byte
//! of its last append keeps every earlier receipt and resumes.
#![cfg(all(feature = "share", feature = "derive"))]

use koffer::disclosure::{receipts, Party, Receipt};
use koffer::read::Reader;
use koffer::share::{ledger_append, share, Error, Selection, Terms};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

#[derive(serde::Serialize, serde::Deserialize, koffer::Describe, Debug, Clone, PartialEq)]
struct Pos {
    x: i32,
    y: i32,
}

#[derive(serde::Serialize, serde::Deserialize, koffer::Describe, Debug, Clone, PartialEq)]
#[koffer(record = "sample", version = 1)]
struct Sample {
    #[koffer(unit = "ms", time = "unix")]
    t: u64,
    hr: u8,
    lat: f64,
    secret: String,
    pos: Pos,
    temp: Option<i16>,
}

#[derive(serde::Serialize, serde::Deserialize, koffer::Describe, Debug, Clone, PartialEq)]
#[koffer(record = "event", version = 2)]
struct Event {
    #[koffer(unit = "s", time = "unix")]
    at_s: u32,
    kind: String,
}

#[derive(serde::Serialize, serde::Deserialize, koffer::Describe, Debug, Clone, PartialEq)]
#[koffer(record = "config", version = 1)]
struct Config {
    level: u8,
}

fn terms() -> Terms<'static> {
    Terms {
        id: [9; 16],
        time: 1_800_000_000_000,
        subject: "p-1",
        discloser: Party {
            name: "owner",
            id: None,
        },
        recipient: Party {
            name: "Dr. Rossi",
            id: Some("mailto:rossi@clinic.example"),
        },
        purpose: "check-up",
        purpose_iris: &["dpv:ServiceProvision"],
        legal_basis: "dpv:Consent",
        expires: None,
    }
}

fn source(samples: &[Sample], events: &[Event], configs: &[Config]) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(&[koffer::meta::Entry::new(
        koffer::meta::key::SUBJECT_PSEUDONYM,
        koffer::meta::Value::Str("p-1"),
    )])
    .unwrap();
    let s = w.declare_type::<Sample>(0).unwrap();
    let e = w.declare_type::<Event>(1).unwrap();
    let c = w.declare_type::<Config>(2).unwrap();
    let n = samples.len().max(events.len()).max(configs.len());
    for i in 0..n {
        if let Some(x) = samples.get(i) {
            w.write(s, x).unwrap();
        }
        if let Some(x) = events.get(i) {
            w.write(e, x).unwrap();
        }
        if let Some(x) = configs.get(i) {
            w.write(c, x).unwrap();
        }
    }
    w.finish().unwrap()
}

fn sample() -> impl Strategy<Value = Sample> {
    (
        0u64..100_000,
        any::<u8>(),
        any::<f64>(),
        any::<u32>(),
        any::<i32>(),
        any::<i32>(),
        any::<Option<i16>>(),
    )
        .prop_map(|(t, hr, lat, n, x, y, temp)| Sample {
            t,
            hr,
            lat,
            secret: format!("SECRET-{n:08x}-zq"),
            pos: Pos { x, y },
            temp,
        })
}

fn event() -> impl Strategy<Value = Event> {
    (0u32..100, "[a-z]{1,8}").prop_map(|(at_s, kind)| Event { at_s, kind })
}

/// The records of `name` in a container, decoded as `T`.
fn records_of<'a, T: serde::Deserialize<'a>>(reader: &Reader<'a>, name: &str) -> Vec<T> {
    let id = reader
        .schemas()
        .map(Result::unwrap)
        .find(|s| s.name == name)
        .map(|s| s.record_type);
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| Some(r.record_type) == id)
        .map(|r| r.decode().unwrap())
        .collect()
}

/// Spec §4.2, recomputed by hand: type byte, LEB128 length, payload; receipts skipped.
fn records_digest_by_hand(bytes: &[u8]) -> [u8; 32] {
    let reader = Reader::new(bytes).unwrap();
    let receipt_ids: Vec<u8> = reader
        .schemas()
        .map(Result::unwrap)
        .filter(|s| s.name == "koffer.disclosure")
        .map(|s| s.record_type)
        .collect();
    let mut h = Sha256::new();
    for r in reader.records().map(Result::unwrap) {
        if receipt_ids.contains(&r.record_type) {
            continue;
        }
        let mut len = r.payload.len() as u64;
        let mut leb = Vec::new();
        loop {
            let b = (len & 0x7F) as u8;
            len >>= 7;
            if len == 0 {
                leb.push(b);
                break;
            }
            leb.push(b | 0x80);
        }
        h.update([r.record_type]);
        h.update(&leb);
        h.update(r.payload);
    }
    h.finalize().into()
}

/// Rounds to the nearest multiple, ties away from zero, within u8 (spec §5.3).
fn round_u8(v: u8, step: u8) -> u8 {
    let (v, s) = (u32::from(v), u32::from(step));
    let down = v / s * s;
    let up = down + s;
    let r = if v - down >= up - v { up } else { down };
    if r > 255 {
        down as u8
    } else {
        r as u8
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn selection_is_exact(
        samples in prop::collection::vec(sample(), 0..40),
        events in prop::collection::vec(event(), 0..20),
        from in prop::option::of(0u64..100_000),
        span in 1u64..100_000,
        bounded_until in any::<bool>(),
        which in 0usize..4,
        step in 1u8..=255,
    ) {
        let bytes = source(&samples, &events, &[Config { level: 3 }]);
        let until = if bounded_until { Some(from.unwrap_or(0) + span) } else { None };
        let types: Vec<String> = match which {
            0 => vec![],
            1 => vec!["sample".into()],
            2 => vec!["event".into()],
            _ => vec!["sample".into(), "event".into()],
        };
        let sel = Selection {
            types: types.clone(),
            from,
            until,
            drop: vec!["sample.lat".into(), "secret".into(), "pos.x".into()],
            coarsen: vec![("hr".into(), f64::from(step))],
        };
        // "secret" and "hr" exist only in sample: with only events selected they name nothing.
        let out = match share(&bytes, &sel, &terms()) {
            Err(Error::UnknownField { field, known }) => {
                prop_assert_eq!(which, 2);
                prop_assert!(known.iter().all(|k| k.starts_with("event.")), "{:?} {:?}", field, known);
                return Ok(());
            }
            r => r.unwrap(),
        };
        prop_assert!(which != 2);
        let ranged = from.is_some() || until.is_some();
        let keep_t = |t_ms: u64| from.is_none_or(|f| t_ms >= f) && until.is_none_or(|u| t_ms < u);
        let reader = Reader::new(&out.bytes).unwrap();
        prop_assert!(reader.verify().unwrap().is_complete());
        prop_assert_eq!(reader.header().minor, 1);

        // Samples: exactly those in range, in order, transformed.
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct PosY { y: i32 }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Derived { t: u64, hr: u8, pos: PosY, temp: Option<i16> }
        let want: Vec<Derived> = samples
            .iter()
            .filter(|s| keep_t(s.t))
            .map(|s| Derived { t: s.t, hr: round_u8(s.hr, step), pos: PosY { y: s.pos.y }, temp: s.temp })
            .collect();
        let got: Vec<Derived> = records_of(&reader, "sample");
        if which == 0 || which == 1 || which == 3 {
            prop_assert_eq!(got, want);
        }
        // Events: by their time field in seconds.
        let want_e: Vec<Event> = events.iter().filter(|e| keep_t(u64::from(e.at_s) * 1000)).cloned().collect();
        let got_e: Vec<Event> = records_of(&reader, "event");
        if which == 0 || which == 3 {
            prop_assert_eq!(got_e, want_e);
        } else {
            prop_assert!(got_e.is_empty());
        }
        // Config has no time field: shared unless a range is given (then left out).
        let got_c: Vec<Config> = records_of(&reader, "config");
        prop_assert_eq!(got_c.len(), usize::from(which == 0 && !ranged));
        prop_assert_eq!(out.left_out.iter().any(|l| l.name == "config"), which == 0 && ranged);

        // Dropped values are nowhere in the bytes.
        for s in &samples {
            prop_assert!(!contains(&out.bytes, s.secret.as_bytes()), "secret {} found", s.secret);
            if s.lat.to_bits().count_ones() > 8 && s.lat.to_bits().count_zeros() > 8 {
                prop_assert!(!contains(&out.bytes, &s.lat.to_le_bytes()), "lat {} found", s.lat);
            }
        }
        // The dropped field's name is only in the receipt (which says it was dropped).
        let schemas: Vec<_> = reader.schemas().map(Result::unwrap).filter(|s| s.name == "sample").collect();
        prop_assert!(schemas.iter().all(|s| !contains(s.definition, b"secret")));

        // Digests, recomputed independently.
        prop_assert_eq!(out.source_sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
        prop_assert_eq!(out.records_sha256, records_digest_by_hand(&out.bytes));
        let r = receipts(&reader).next().unwrap().unwrap();
        prop_assert_eq!(r.records_sha256, out.records_sha256);
        prop_assert_eq!(r.source_sha256, out.source_sha256);
        let counted: u64 = r.shared.iter().map(|s| s.records).sum();
        prop_assert_eq!(counted + 1, reader.verify().unwrap().counted.records);
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn coarsening_rounds_the_raw_value_and_stays_in_range() {
    let samples: Vec<Sample> = [0u8, 2, 3, 7, 8, 12, 13, 250, 254, 255]
        .iter()
        .enumerate()
        .map(|(i, &hr)| Sample {
            t: i as u64,
            hr,
            lat: -0.5 - i as f64,
            secret: String::new(),
            pos: Pos {
                x: -7 - i as i32,
                y: 0,
            },
            temp: Some(-15 + i as i16),
        })
        .collect();
    let bytes = source(&samples, &[], &[]);
    let sel = Selection {
        types: vec!["sample".into()],
        coarsen: vec![
            ("hr".into(), 5.0),
            ("lat".into(), 0.5),
            ("pos.x".into(), 10.0),
            ("temp".into(), 4.0),
        ],
        ..Selection::default()
    };
    let out = share(&bytes, &sel, &terms()).unwrap();
    let got: Vec<Sample> = records_of(&Reader::new(&out.bytes).unwrap(), "sample");
    let hr: Vec<u8> = got.iter().map(|s| s.hr).collect();
    assert_eq!(hr, [0, 0, 5, 5, 10, 10, 15, 250, 255, 255]);
    let lat: Vec<f64> = got.iter().map(|s| s.lat).collect();
    assert_eq!(
        lat,
        [-0.5, -1.5, -2.5, -3.5, -4.5, -5.5, -6.5, -7.5, -8.5, -9.5]
    );
    let x: Vec<i32> = got.iter().map(|s| s.pos.x).collect();
    assert_eq!(x, [-10, -10, -10, -10, -10, -10, -10, -10, -20, -20]);
    let temp: Vec<Option<i16>> = got.iter().map(|s| s.temp).collect();
    assert_eq!(
        temp,
        [
            Some(-16),
            Some(-16),
            Some(-12),
            Some(-12),
            Some(-12),
            Some(-12),
            Some(-8),
            Some(-8),
            Some(-8),
            Some(-8)
        ]
    );
    // u8 254 with step 10: 260 is out of range, the multiple toward zero.
    let out = share(
        &bytes,
        &Selection {
            coarsen: vec![("hr".into(), 10.0)],
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap();
    let got: Vec<Sample> = records_of(&Reader::new(&out.bytes).unwrap(), "sample");
    assert_eq!(got[8].hr, 250);
    assert_eq!(got[9].hr, 250);
}

#[test]
fn errors_name_what_exists() {
    let bytes = source(&[], &[], &[Config { level: 1 }]);
    let e = share(
        &bytes,
        &Selection {
            types: vec!["nope".into()],
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"no record type "nope"; the record types are: sample, event, config"#
    );
    let e = share(
        &bytes,
        &Selection {
            types: vec!["event".into()],
            drop: vec!["lat".into()],
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"no field "lat" in the selected record types; the fields are: event.at_s, event.kind"#
    );
    let e = share(
        &bytes,
        &Selection {
            types: vec!["config".into()],
            from: Some(0),
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"record type "config" cannot be cut by time: it has no time field"#
    );
    let e = share(
        &bytes,
        &Selection {
            coarsen: vec![("hr".into(), 2.5)],
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with(r#"cannot coarsen "sample.hr": it is an integer field"#),
        "{e}"
    );
    let e = share(
        &bytes,
        &Selection {
            coarsen: vec![("secret".into(), 2.0)],
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"cannot coarsen "sample.secret": it is not a number"#
    );
    let e = share(
        &bytes,
        &Selection {
            from: Some(5),
            until: Some(5),
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::EmptyRange { .. }));
    let e = share(
        &bytes,
        &Selection {
            types: vec!["sample".into()],
            from: Some(1),
            drop: vec!["t".into()],
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains(r#"its time field "t" is dropped"#),
        "{e}"
    );
}

#[test]
fn source_receipts_are_not_shared_and_the_derived_receipt_is_the_only_one() {
    let bytes = source(&[], &[], &[Config { level: 1 }]);
    let first = share(&bytes, &Selection::default(), &terms()).unwrap();
    // Sharing the derived container again: its receipt stays behind.
    let again = share(
        &first.bytes,
        &Selection::default(),
        &Terms {
            id: [1; 16],
            ..terms()
        },
    )
    .unwrap();
    let reader = Reader::new(&again.bytes).unwrap();
    let all: Vec<Receipt> = receipts(&reader).map(Result::unwrap).collect();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, [1; 16]);
    assert_eq!(
        again
            .types
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["sample", "event", "config"]
    );
}

#[test]
fn ledger_cut_at_every_byte_of_its_last_append_keeps_earlier_receipts() {
    let payload = |i: u8| {
        postcard::to_allocvec(&Receipt {
            id: [i; 16],
            ..share_receipt()
        })
        .unwrap()
    };
    let mut ledger = Vec::new();
    for i in 0..3u8 {
        let a = ledger_append(&ledger, &payload(i)).unwrap();
        ledger.truncate(a.keep as usize);
        ledger.extend_from_slice(&a.bytes);
        assert!(Reader::new(&ledger)
            .unwrap()
            .verify()
            .unwrap()
            .is_complete());
    }
    // The last append: where it started, and the complete ledger after it.
    let before = {
        let mut l = Vec::new();
        for i in 0..2u8 {
            let a = ledger_append(&l, &payload(i)).unwrap();
            l.truncate(a.keep as usize);
            l.extend_from_slice(&a.bytes);
        }
        l
    };
    let last = ledger_append(&before, &payload(2)).unwrap();
    assert_eq!(last.before, 2);
    let mut cuts = 0;
    for cut in last.keep as usize..ledger.len() {
        let mut l = ledger[..cut].to_vec();
        let ids: Vec<[u8; 16]> = receipts(&Reader::new(&l).unwrap())
            .map(|r| r.unwrap().id)
            .collect();
        assert_eq!(&ids[..2], &[[0; 16], [1; 16]], "cut at {cut}");
        let a = ledger_append(&l, &payload(7)).unwrap();
        l.truncate(a.keep as usize);
        l.extend_from_slice(&a.bytes);
        let reader = Reader::new(&l).unwrap();
        assert!(reader.verify().unwrap().is_complete(), "cut at {cut}");
        let ids: Vec<[u8; 16]> = receipts(&reader).map(|r| r.unwrap().id).collect();
        assert_eq!(&ids[..2], &[[0; 16], [1; 16]], "cut at {cut}");
        assert_eq!(ids.last(), Some(&[7; 16]));
        assert!(
            ids.len() == 3 || ids == [[0; 16], [1; 16], [2; 16], [7; 16]],
            "cut at {cut}: {ids:?}"
        );
        cuts += 1;
    }
    assert!(cuts > 200, "{cuts} cuts");
    // Not a ledger: other record types are refused, nothing planned.
    let other = source(&[], &[], &[Config { level: 1 }]);
    assert!(ledger_append(&other, &payload(0)).is_err());
}

fn share_receipt() -> Receipt<'static> {
    let bytes = source(&[], &[], &[]);
    let out = share(&bytes, &Selection::default(), &terms()).unwrap();
    let leaked: &'static [u8] = Box::leak(out.receipt.into_boxed_slice());
    Receipt::decode(leaked).unwrap()
}

#[test]
fn new_ledger_cut_at_every_byte_of_its_first_append_is_resumed() {
    // disclosure.md §7: a crash while the ledger is created leaves a prefix
    // that may hold the header alone, or a part of the schema frame; the next
    // append writes the koffer.disclosure schema frame first, then its receipt.
    let payload = |i: u8| {
        postcard::to_allocvec(&Receipt {
            id: [i; 16],
            ..share_receipt()
        })
        .unwrap()
    };
    let first = ledger_append(&[], &payload(0)).unwrap();
    assert_eq!(first.keep, 0);
    let full = first.bytes;
    let mut resumed_empty = 0;
    for cut in 0..full.len() {
        let mut l = full[..cut].to_vec();
        let had: Vec<[u8; 16]> = if cut < 18 {
            Vec::new()
        } else {
            receipts(&Reader::new(&l).unwrap())
                .map(|r| r.unwrap().id)
                .collect()
        };
        let a = ledger_append(&l, &payload(7))
            .unwrap_or_else(|e| panic!("cut at {cut}: the append was refused: {e}"));
        l.truncate(a.keep as usize);
        l.extend_from_slice(&a.bytes);
        let reader = Reader::new(&l).unwrap();
        assert!(reader.verify().unwrap().is_complete(), "cut at {cut}");
        let ids: Vec<[u8; 16]> = receipts(&reader).map(|r| r.unwrap().id).collect();
        assert_eq!(ids.last(), Some(&[7; 16]), "cut at {cut}");
        assert_eq!(&ids[..ids.len() - 1], &had[..], "cut at {cut}");
        let schemas: Vec<_> = reader.schemas().map(Result::unwrap).collect();
        assert_eq!(schemas.len(), 1, "cut at {cut}");
        assert!(koffer::disclosure::is_receipt_schema(&schemas[0]));
        if had.is_empty() {
            resumed_empty += 1;
        }
    }
    // Every cut before the first receipt's block is complete: the header,
    // the schema frame, the head of the block.
    assert!(
        resumed_empty > 1_100,
        "{resumed_empty} cuts without a receipt"
    );
}

#[test]
fn a_field_dropped_and_coarsened_or_coarsened_twice_is_refused() {
    let bytes = source(&[], &[], &[]);
    for (drop, coarsen, why) in [
        (vec!["hr"], vec![("hr", 5.0)], "it is dropped"),
        (vec!["pos"], vec![("pos.x", 5.0)], "it is dropped"),
        (
            vec![],
            vec![("hr", 5.0), ("sample.hr", 10.0)],
            "it is named twice",
        ),
    ] {
        let e = share(
            &bytes,
            &Selection {
                drop: drop.iter().map(|d| d.to_string()).collect(),
                coarsen: coarsen.iter().map(|(f, s)| (f.to_string(), *s)).collect(),
                ..Selection::default()
            },
            &terms(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::BadStep { .. }), "{e}");
        assert!(e.to_string().ends_with(why), "{e}");
    }
}

#[test]
fn reserved_koffer_types_are_never_shared_nor_listed() {
    let mut buf = [0u8; 256];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let c = w.declare_type::<Config>(0).unwrap();
    let other = w.declare(1, "koffer.other", 1, &[]).unwrap();
    w.write(c, &Config { level: 3 }).unwrap();
    w.write_payload(other, &[1, 2, 3]).unwrap();
    let bytes = w.finish().unwrap();
    let out = share(&bytes, &Selection::default(), &terms()).unwrap();
    let names: Vec<&str> = out.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["config"]);
    let reader = Reader::new(&out.bytes).unwrap();
    let schemas: Vec<String> = reader
        .schemas()
        .map(|s| s.unwrap().name.to_string())
        .collect();
    assert_eq!(schemas, ["config", "koffer.disclosure"]);
    let e = share(
        &bytes,
        &Selection {
            types: vec!["koffer.other".into()],
            ..Selection::default()
        },
        &terms(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        Error::UnknownType {
            name: "koffer.other".into(),
            known: vec!["config".into()]
        }
    );
}

#[test]
fn the_receipt_takes_255_or_the_highest_free_id_and_none_free_is_refused() {
    let make = |n: usize| {
        let mut buf = [0u8; 64];
        let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
        for i in 0..n {
            w.declare((255 - i) as u8, &format!("t{i}"), 1, &[])
                .unwrap();
        }
        w.finish().unwrap()
    };
    let receipt_id = |bytes: &[u8]| {
        let out = share(bytes, &Selection::default(), &terms()).unwrap();
        let reader = Reader::new(&out.bytes).unwrap();
        let s = reader.schemas().map(Result::unwrap).last().unwrap();
        assert!(koffer::disclosure::is_receipt_schema(&s));
        s.record_type
    };
    assert_eq!(receipt_id(&make(0)), 255);
    assert_eq!(receipt_id(&make(1)), 254);
    assert_eq!(receipt_id(&make(255)), 0);
    let all = make(256);
    assert_eq!(
        share(&all, &Selection::default(), &terms()).unwrap_err(),
        Error::NoRecordTypeId
    );
    // Fewer types selected: an id is free again.
    let one = Selection {
        types: vec!["t3".into()],
        ..Selection::default()
    };
    let out = share(&all, &one, &terms()).unwrap();
    assert_eq!(out.types.len(), 1);
}

#[test]
fn mapping_27560_edge_values() {
    use koffer::disclosure::{Coarsened, List, Shared};
    let c = [
        Coarsened {
            field: "a",
            step: 0.00001,
        },
        Coarsened {
            field: "b",
            step: 1e16,
        },
        Coarsened {
            field: "c",
            step: f64::NAN,
        },
        Coarsened {
            field: "d",
            step: 5.0,
        },
    ];
    let s = [Shared {
        name: "s",
        version: 1,
        fingerprint: 1,
        from: Some(1_500),
        until: Some(koffer::share::LAST_RFC3339_MS + 1),
        records: 0,
        dropped: List::Slice(&[]),
        coarsened: List::Slice(&c),
    }];
    let r = Receipt {
        id: [0; 16],
        time: koffer::share::LAST_RFC3339_MS,
        subject: "",
        discloser: Party {
            name: "owner",
            id: None,
        },
        recipient: Party {
            name: "GP",
            id: Some(""),
        },
        purpose: "",
        purpose_iris: List::Slice(&["", "ServiceProvision", "x:y"]),
        legal_basis: "",
        expires: Some(u64::MAX),
        shared: List::Slice(&s),
        source_sha256: [0; 32],
        records_sha256: [0; 32],
    };
    let v = koffer::share::receipt_27560(&r);
    assert_eq!(v["timestamp"], "9999-12-31T23:59:59.999Z");
    assert_eq!(v["events"][0]["timestamp"], v["timestamp"]);
    assert_eq!(v["data_subject"]["pseudonym"], "");
    assert_eq!(
        v["parties"][1],
        serde_json::json!({"name": "GP", "role": "dpv:Recipient"})
    );
    assert_eq!(v["processing"][0]["recipients"], serde_json::json!(["GP"]));
    assert_eq!(v["processing"][0]["legal_basis"], "");
    assert_eq!(
        v["processing"][0]["purposes"],
        serde_json::json!(["", "dpv:ServiceProvision", "x:y"])
    );
    assert_eq!(v["processing"][0]["retention"], serde_json::json!(u64::MAX));
    let d = &v["processing"][0]["data"][0];
    assert_eq!(d["from"], "1970-01-01T00:00:01.500Z");
    assert_eq!(
        d["until"],
        serde_json::json!(koffer::share::LAST_RFC3339_MS + 1)
    );
    let text = koffer::share::receipts_27560_text(&[r]);
    for step in [
        r#""step": 0.00001"#,
        r#""step": 1e+16"#,
        r#""step": null"#,
        r#""step": 5.0"#,
    ] {
        assert!(text.contains(step), "{step} in {text}");
    }
    assert!(
        text.starts_with("[\n  {\n    \"@context\": {\n      \"dpv\""),
        "{text}"
    );
    assert!(text.ends_with("\n  }\n]\n"));
}

#[test]
fn a_receipt_of_many_types_fits_its_block_and_the_ledger() {
    // 200 record types with long names: the receipt is longer than 4 KiB.
    let mut buf = [0u8; 64];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    for i in 0..200u8 {
        w.declare(i, &format!("type-{i:03}-{}", "x".repeat(40)), 1, &[])
            .unwrap();
    }
    let bytes = w.finish().unwrap();
    let out = share(&bytes, &Selection::default(), &terms()).unwrap();
    assert!(out.receipt.len() > 8_000, "{}", out.receipt.len());
    let a = ledger_append(&[], &out.receipt).unwrap();
    let b = ledger_append(&a.bytes, &out.receipt).unwrap();
    let mut l = a.bytes.clone();
    l.truncate(b.keep as usize);
    l.extend_from_slice(&b.bytes);
    assert_eq!(receipts(&Reader::new(&l).unwrap()).count(), 2);
}

// Hand-built containers: record types declared by definition bytes, records
// as raw payloads (disclosure.md §5.1–§5.3 edge cases).

use koffer::schema::{Annotations, Builder};

fn time_ms() -> Annotations<'static> {
    Annotations {
        unit: Some("ms"),
        time: Some("unix"),
        ..Annotations::default()
    }
}

fn plain() -> Annotations<'static> {
    Annotations::default()
}

/// A record type to build: id, name, version, definition, payloads.
type Built<'a> = (u8, &'a str, u32, Vec<u8>, Vec<Vec<u8>>);

/// A container of the record types `types` and their records.
fn built(types: &[Built<'_>]) -> Vec<u8> {
    let mut buf = vec![0u8; 70_000];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let hs: Vec<_> = types
        .iter()
        .map(|(id, name, v, def, _)| w.declare(*id, name, *v, def).unwrap())
        .collect();
    for (h, (.., payloads)) in hs.into_iter().zip(types) {
        for p in payloads {
            w.write_payload(h, p).unwrap();
        }
    }
    w.finish().unwrap()
}

/// A payload: the values' postcard bytes one after the other.
fn pc(parts: &[&dyn erased::Ser]) -> Vec<u8> {
    parts.iter().flat_map(|p| p.bytes()).collect()
}

mod erased {
    pub trait Ser {
        fn bytes(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn bytes(&self) -> Vec<u8> {
            postcard::to_allocvec(self).unwrap()
        }
    }
}

fn sel(drop: &[&str], coarsen: &[(&str, f64)]) -> Selection {
    Selection {
        drop: drop.iter().map(|d| d.to_string()).collect(),
        coarsen: coarsen.iter().map(|(f, s)| (f.to_string(), *s)).collect(),
        ..Selection::default()
    }
}

/// The record payloads of type `id` in a container.
fn payloads(bytes: &[u8], id: u8) -> Vec<Vec<u8>> {
    Reader::new(bytes)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .filter(|r| r.record_type == id)
        .map(|r| r.payload.to_vec())
        .collect()
}

/// Two versions of `sample` (same name, ids 0 and 1): a field dropped or
/// coarsened by name is dropped or coarsened in both — keyed by record type,
/// not by name.
#[test]
fn same_name_types_both_drop_and_coarsen() {
    let mut b = Builder::new();
    b.struct_("S", 2)
        .field("t", time_ms())
        .u64()
        .field("lat", plain())
        .f64();
    let d1 = b.finish().unwrap();
    let mut b = Builder::new();
    b.struct_("S", 3)
        .field("t", time_ms())
        .u64()
        .field("lat", plain())
        .f64()
        .field("hr", plain())
        .u8();
    let d2 = b.finish().unwrap();
    let src = built(&[
        (0, "sample", 1, d1, vec![pc(&[&1000u64, &11.111111111f64])]),
        (
            1,
            "sample",
            2,
            d2,
            vec![pc(&[&2000u64, &47.376887123f64, &77u8])],
        ),
    ]);
    let d = share(&src, &sel(&["lat"], &[]), &terms()).unwrap();
    assert!(!contains(&d.bytes, &47.376887123f64.to_le_bytes()));
    assert!(!contains(&d.bytes, &11.111111111f64.to_le_bytes()));
    assert_eq!(payloads(&d.bytes, 1), vec![pc(&[&2000u64, &77u8])]);
    assert!(d.types.iter().all(|t| t.dropped == ["lat"]));
    let d = share(&src, &sel(&["sample.lat"], &[]), &terms()).unwrap();
    assert!(d.types.iter().all(|t| t.dropped == ["lat"]));
    let d = share(&src, &sel(&[], &[("lat", 10.0)]), &terms()).unwrap();
    assert_eq!(payloads(&d.bytes, 0), vec![pc(&[&1000u64, &10.0f64])]);
    assert_eq!(
        payloads(&d.bytes, 1),
        vec![pc(&[&2000u64, &50.0f64, &77u8])]
    );
    assert!(d
        .types
        .iter()
        .all(|t| t.coarsened == [("lat".into(), 10.0)]));
}

/// A field whose name contains `.`: named by its whole name it is found on
/// the definition and coarsened or dropped; a path that reads two ways is
/// refused, naming both.
#[test]
fn names_with_dots_resolve_on_the_definition_or_are_refused_as_ambiguous() {
    let mut b = Builder::new();
    b.struct_("D", 3)
        .field("t", time_ms())
        .u64()
        .field("a.b", plain())
        .f64()
        .field("c", plain())
        .f64();
    let def = b.finish().unwrap();
    let src = built(&[(
        0,
        "d",
        1,
        def,
        vec![pc(&[&1000u64, &47.376887123f64, &8.5f64])],
    )]);
    let d = share(&src, &sel(&[], &[("a.b", 10.0)]), &terms()).unwrap();
    assert_eq!(
        payloads(&d.bytes, 0),
        vec![pc(&[&1000u64, &50.0f64, &8.5f64])]
    );
    let d = share(&src, &sel(&["a.b"], &[]), &terms()).unwrap();
    assert_eq!(payloads(&d.bytes, 0), vec![pc(&[&1000u64, &8.5f64])]);
    assert_eq!(d.types[0].dropped, ["a.b"]);
    let d = share(&src, &sel(&["d.a.b"], &[]), &terms()).unwrap();
    assert_eq!(d.types[0].dropped, ["a.b"]);

    // `a.b` as a field name and as the path a → b in one type.
    let mut b = Builder::new();
    b.struct_("E", 2)
        .field("a.b", plain())
        .u8()
        .field("a", plain())
        .struct_("A", 1)
        .field("b", plain())
        .u8();
    let def = b.finish().unwrap();
    let src = built(&[(0, "e", 1, def, vec![vec![1, 2]])]);
    for s in [sel(&["a.b"], &[]), sel(&[], &[("e.a.b", 1.0)])] {
        let e = share(&src, &s, &terms()).unwrap_err();
        assert!(
            matches!(e, Error::AmbiguousField { ref readings, .. } if readings.len() == 2),
            "{e}"
        );
        assert!(e.to_string().contains(r#"field "a.b""#), "{e}");
        assert!(e.to_string().contains(r#"field "a" → "b""#), "{e}");
    }
}

/// `position.lat`: the field `lat` of the type `position`, and the field
/// `position.lat` of the type `sample` — refused, naming both readings;
/// each is still reachable without the ambiguity.
#[test]
fn type_dot_field_that_reads_two_ways_is_refused() {
    let mut b = Builder::new();
    b.struct_("P", 2)
        .field("t", time_ms())
        .u64()
        .field("lat", plain())
        .f64();
    let d1 = b.finish().unwrap();
    let mut b = Builder::new();
    b.struct_("S", 2)
        .field("t", time_ms())
        .u64()
        .field("position", plain())
        .struct_("Pos", 2)
        .field("lat", plain())
        .f64()
        .field("lon", plain())
        .f64();
    let d2 = b.finish().unwrap();
    let src = built(&[
        (0, "position", 1, d1, vec![pc(&[&1000u64, &11.5f64])]),
        (
            1,
            "sample",
            1,
            d2,
            vec![pc(&[&1000u64, &47.376887123f64, &8.5f64])],
        ),
    ]);
    let e = share(&src, &sel(&["position.lat"], &[]), &terms()).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::AmbiguousField { .. }), "{text}");
    assert!(text.contains(r#"type "position", field "lat""#), "{text}");
    assert!(
        text.contains(r#"type "sample", field "position" → "lat""#),
        "{text}"
    );
    let d = share(&src, &sel(&["sample.position.lat"], &[]), &terms()).unwrap();
    assert!(!contains(&d.bytes, &47.376887123f64.to_le_bytes()));
    assert_eq!(d.types[1].dropped, ["position.lat"]);
    assert!(d.types[0].dropped.is_empty());
}

/// The time field a range applies to cannot be coarsened; a NaN time is
/// never in a range; every selected payload is checked, even when copied.
#[test]
fn time_field_coarsening_nan_times_and_malformed_payloads() {
    let mut b = Builder::new();
    b.struct_("F", 2)
        .field("t", time_ms())
        .f64()
        .field("x", plain())
        .u8();
    let def = b.finish().unwrap();
    let ts = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0e9, 2.0e9];
    let src = built(&[(
        0,
        "f",
        1,
        def,
        ts.iter()
            .enumerate()
            .map(|(i, t)| pc(&[t, &(i as u8)]))
            .collect(),
    )]);
    let only_until = Selection {
        until: Some(1_500_000_000),
        ..Selection::default()
    };
    let d = share(&src, &only_until, &terms()).unwrap();
    let kept: Vec<u8> = payloads(&d.bytes, 0).iter().map(|p| p[8]).collect();
    assert_eq!(kept, [2, 3]);
    let only_from = Selection {
        from: Some(0),
        ..Selection::default()
    };
    let kept: Vec<u8> = payloads(&share(&src, &only_from, &terms()).unwrap().bytes, 0)
        .iter()
        .map(|p| p[8])
        .collect();
    assert_eq!(kept, [1, 3, 4]);
    let e = share(
        &src,
        &Selection {
            coarsen: vec![("t".into(), 1000.0)],
            ..only_until.clone()
        },
        &terms(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::BadStep { .. }), "{e}");
    assert!(e.to_string().contains("time range"), "{e}");
    // Without a range the time field may be coarsened.
    share(&src, &sel(&[], &[("t", 1000.0)]), &terms()).unwrap();

    // Trailing bytes after a record's values: refused with its offset,
    // whether or not anything is rewritten.
    let mut b = Builder::new();
    b.struct_("B", 2)
        .field("t", time_ms())
        .u64()
        .field("x", plain())
        .u8();
    let def = b.finish().unwrap();
    let src = built(&[(
        0,
        "b",
        1,
        def,
        vec![vec![5, 7], vec![6, 7, 0x99, 0x98], vec![7, 8]],
    )]);
    for s in [Selection::default(), sel(&[], &[("x", 2.0)])] {
        let e = share(&src, &s, &terms()).unwrap_err();
        let Error::Record(r) = &e else { panic!("{e}") };
        assert!(r.offset > 0, "{e}");
    }
}

/// Integer steps are bounded exactly by the type's maximum; i128 rounding
/// does not overflow; a float never becomes infinite.
#[test]
fn coarsening_bounds_are_exact_and_never_overflow() {
    let one = |ty: fn(&mut Builder) -> &mut Builder, payload: Vec<u8>| {
        let mut b = Builder::new();
        b.struct_("V", 1).field("v", plain());
        ty(&mut b);
        built(&[(0, "v", 1, b.finish().unwrap(), vec![payload])])
    };
    let coarse = |src: &[u8], step: f64| {
        share(src, &sel(&[], &[("v", step)]), &terms()).map(|d| payloads(&d.bytes, 0))
    };
    // Steps of 2^64, 2^63 and 2^127 exceed u64, i64 and i128.
    let u64s = one(Builder::u64, pc(&[&5u64]));
    assert!(coarse(&u64s, 18_446_744_073_709_551_616.0).is_err());
    assert!(coarse(&u64s, 9_223_372_036_854_775_808.0).is_ok());
    let i64s = one(Builder::i64, pc(&[&5i64]));
    assert!(coarse(&i64s, 9_223_372_036_854_775_808.0).is_err());
    let big = (1i128 << 126) + 5;
    let i128s = one(Builder::i128, pc(&[&big]));
    assert!(coarse(&i128s, 2f64.powi(127)).is_err());
    // 2^126 + 5 with step 2^126: 2^126 (no overflow, no wrap to 0).
    assert_eq!(
        coarse(&i128s, 2f64.powi(126)).unwrap(),
        vec![pc(&[&(1i128 << 126)])]
    );
    let near = one(Builder::i128, pc(&[&(i128::MAX - 1)]));
    assert_eq!(
        coarse(&near, 2f64.powi(126)).unwrap(),
        vec![pc(&[&(1i128 << 126)])]
    );
    let low = one(Builder::i128, pc(&[&(i128::MIN + 1)]));
    assert_eq!(
        coarse(&low, 2f64.powi(126)).unwrap(),
        vec![pc(&[&i128::MIN])]
    );
    // Floats: a result beyond the type is the multiple toward zero; a
    // quotient that is not finite leaves the value.
    let f = one(Builder::f64, pc(&[&f64::MAX]));
    assert_eq!(coarse(&f, 1e308).unwrap(), vec![pc(&[&1e308f64])]);
    let f = one(Builder::f64, pc(&[&1e300f64]));
    assert_eq!(coarse(&f, 1e-300).unwrap(), vec![pc(&[&1e300f64])]);
    let f = one(Builder::f32, pc(&[&3e38f32]));
    assert_eq!(coarse(&f, 2e38).unwrap(), vec![pc(&[&(2e38f64 as f32)])]);
}

/// Records up to the format's limit are shared, copied and re-encoded
/// (a block holds the longest selected record, not 4 KiB).
#[test]
fn records_over_4_kib_are_shared() {
    let mut b = Builder::new();
    b.struct_("Big", 3)
        .field("t", time_ms())
        .u64()
        .field("text", plain())
        .string()
        .field("n", plain())
        .u32();
    let def = b.finish().unwrap();
    let long = "x".repeat(10_000);
    let huge = "y".repeat(65_000);
    let src = built(&[(
        0,
        "big",
        1,
        def,
        vec![
            pc(&[&1000u64, &long, &127u32]),
            pc(&[&2000u64, &huge, &5u32]),
        ],
    )]);
    let d = share(&src, &Selection::default(), &terms()).unwrap();
    assert_eq!(payloads(&d.bytes, 0), payloads(&src, 0));
    // 127 → 130 lengthens the varint of `n` by one byte.
    let d = share(&src, &sel(&[], &[("n", 10.0)]), &terms()).unwrap();
    assert_eq!(
        payloads(&d.bytes, 0),
        vec![
            pc(&[&1000u64, &long, &130u32]),
            pc(&[&2000u64, &huge, &10u32])
        ]
    );
    let d = share(&src, &sel(&["n"], &[]), &terms()).unwrap();
    assert_eq!(payloads(&d.bytes, 0)[0], pc(&[&1000u64, &long]));
}
