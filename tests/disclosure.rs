//! Spec `disclosure.md` ↔ `koffer::disclosure` and the receipt mappings of
//! `koffer::share`: the definition and the worked example in the spec's text
//! are the code's, receipts round-trip through JSON and the 27560 mapping.
#![cfg(all(feature = "share", feature = "derive"))]

use koffer::disclosure::{is_reserved, receipts, Coarsened, List, Party, Receipt, Shared};
use koffer::schema::{Definition, RecordType};

fn spec() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/disclosure.md")).unwrap()
}

/// The first fenced block of `lang` after `heading`.
fn block(text: &str, heading: &str, lang: &str) -> String {
    let at = text.find(heading).expect("heading");
    let open = format!("```{lang}\n");
    let start = text[at..].find(&open).unwrap() + at + open.len();
    let end = text[start..].find("```").unwrap() + start;
    text[start..end].to_string()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    koffer::hex::decode(&s).unwrap()
}

const SHARED: [Shared<'static>; 1] = [Shared {
    name: "sample",
    version: 1,
    fingerprint: 0x2bd6b8707f631099,
    from: Some(1_789_862_400_000),
    until: Some(1_789_948_800_000),
    records: 1440,
    dropped: List::Slice(&["lat", "lon"]),
    coarsened: List::Slice(&[Coarsened {
        field: "heart_rate",
        step: 5.0,
    }]),
}];

/// The worked example of spec `disclosure.md` §8.
fn example() -> Receipt<'static> {
    Receipt {
        id: [
            0x3f, 0x2a, 0x9c, 0x41, 0x7d, 0x0e, 0x4b, 0x8a, 0x9f, 0x12, 0x55, 0xc3, 0x6e, 0x01,
            0xd4, 0x77,
        ],
        time: 1_790_000_000_000,
        subject: "p-7f3a9c",
        discloser: Party {
            name: "owner",
            id: None,
        },
        recipient: Party {
            name: "Sleep Lab Basel",
            id: Some("https://sleeplab.example/"),
        },
        purpose: "sleep study, night of 20 September",
        purpose_iris: List::Slice(&["https://w3id.org/dpv#ResearchAndDevelopment"]),
        legal_basis: "dpv:Consent",
        expires: Some(1_821_536_000_000),
        shared: List::Slice(&SHARED),
        source_sha256: [0x11; 32],
        records_sha256: [0x22; 32],
    }
}

#[test]
fn spec_definition_hex() {
    let text = spec();
    let hex = block(&text, "## 3. The record type", "text");
    assert_eq!(unhex(&hex), Receipt::DEFINITION);
    assert!(text.contains(&format!("{} bytes, in hex", Receipt::DEFINITION.len())));
    assert!(text.contains(&format!("`0x{:016X}`", Receipt::FINGERPRINT)));
    assert_eq!(Receipt::NAME, "koffer.disclosure");
    assert_eq!(Receipt::VERSION, 1);
    Definition::parse(Receipt::DEFINITION).unwrap();
}

#[test]
fn spec_worked_example_payload() {
    let text = spec();
    let hex = block(&text, "Worked example", "text");
    let payload = postcard::to_allocvec(&example()).unwrap();
    assert_eq!(unhex(&hex), payload);
    assert_eq!(Receipt::decode(&payload).unwrap(), example());
}

#[test]
fn spec_worked_example_27560() {
    let text = spec();
    let json = block(&text, "Worked example", "json");
    let expected: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(koffer::share::receipt_27560(&example()), expected);
    // The text form byte for byte: in an array, every line two spaces in.
    let lines: Vec<String> = json.trim_end().lines().map(|l| format!("  {l}")).collect();
    assert_eq!(
        koffer::share::receipts_27560_text(&[example()]),
        format!("[\n{}\n]\n", lines.join("\n"))
    );
    // The mapping's table names every top-level key the code writes.
    for key in expected.as_object().unwrap().keys() {
        let named = text.contains(&format!("| `{key}`")) || text.contains(&format!("| `{key}[0]."));
        assert!(named, "{key} is not in the §8 table");
    }
}

#[test]
fn receipt_round_trips_through_json() {
    let r = example();
    let json = koffer::share::receipt_json(&r);
    let root = Definition::parse(Receipt::DEFINITION)
        .unwrap()
        .root()
        .unwrap();
    let payload = koffer::json::from_json(root, &json).unwrap();
    assert_eq!(payload, postcard::to_allocvec(&r).unwrap());
    assert_eq!(Receipt::decode(&payload).unwrap(), r);
    // The 27560 record carries every value of the receipt.
    let iso = koffer::share::receipt_27560(&r);
    assert_eq!(
        iso["record_id"],
        "urn:uuid:3f2a9c41-7d0e-4b8a-9f12-55c36e01d477"
    );
    assert_eq!(iso["processing"][0]["data"][0]["records"], 1440);
    assert_eq!(
        iso["processing"][0]["data"][0]["dropped"],
        serde_json::json!(["lat", "lon"])
    );
    assert_eq!(
        iso["processing"][0]["purposes"][0],
        "dpv:ResearchAndDevelopment"
    );
    assert_eq!(iso["integrity"]["source_sha256"], "11".repeat(32));
}

#[test]
fn every_cut_or_flipped_receipt_is_a_payload_error_or_another_receipt() {
    let payload = postcard::to_allocvec(&example()).unwrap();
    for n in 0..payload.len() {
        assert!(
            Receipt::decode(&payload[..n]).is_err(),
            "a prefix of {n} bytes decoded"
        );
    }
    for i in 0..payload.len() {
        let mut p = payload.clone();
        p[i] ^= 0x80;
        let root = Definition::parse(Receipt::DEFINITION)
            .unwrap()
            .root()
            .unwrap();
        // Decoding agrees with the checker of schema.md §6, and what decodes
        // re-encodes to the same bytes.
        match Receipt::decode(&p) {
            Ok(r) => {
                koffer::dynamic::check(root, &p).unwrap();
                assert_eq!(postcard::to_allocvec(&r).unwrap(), p);
            }
            Err(e) => assert_eq!(koffer::dynamic::check(root, &p).unwrap_err(), e),
        }
    }
}

#[test]
fn receipts_are_read_from_a_container_and_a_malformed_one_is_its_records_error() {
    let mut buf = [0u8; 2048];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let h = w.declare_type::<Receipt>(3).unwrap();
    w.write(h, &example()).unwrap();
    let raw = w.declared_raw(3).unwrap();
    w.write_payload(raw, &[1, 2, 3]).unwrap();
    w.write(h, &example()).unwrap();
    let bytes = w.finish().unwrap();
    let reader = koffer::read::Reader::new(&bytes).unwrap();
    assert!(reader.verify().unwrap().is_complete());
    let got: Vec<_> = receipts(&reader).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].as_ref().unwrap(), &example());
    assert_eq!(
        got[1].as_ref().unwrap_err().kind,
        koffer::read::ErrorKind::PayloadTruncated
    );
    assert_eq!(got[2].as_ref().unwrap(), &example());
}

#[test]
fn reserved_names() {
    assert!(is_reserved("koffer.disclosure"));
    assert!(is_reserved("koffer."));
    assert!(!is_reserved("koffer"));
    assert!(!is_reserved("kofferdisclosure"));
}

/// `spec/vectors/disclosure-*` files.
fn vector(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec/vectors")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn share_reproduces_the_disclosure_derived_vector_and_its_27560_text() {
    // The vector is written from the spec's text (tests/vectors/disclosure.rs);
    // the library's share of the source must be the same bytes.
    let source = vector("disclosure-source.koffer");
    let expected = vector("disclosure-derived.koffer");
    let selection = koffer::share::Selection {
        from: Some(2_000),
        until: Some(5_000),
        drop: vec!["lat".into()],
        coarsen: vec![("hr".into(), 10.0)],
        ..Default::default()
    };
    let terms = koffer::share::Terms {
        id: [
            0x3f, 0x2a, 0x9c, 0x41, 0x7d, 0x0e, 0x4b, 0x8a, 0x9f, 0x12, 0x55, 0xc3, 0x6e, 0x01,
            0xd4, 0x77,
        ],
        time: 1_790_000_000_000,
        subject: "",
        discloser: Party {
            name: "owner",
            id: None,
        },
        recipient: Party {
            name: "Sleep Lab Basel",
            id: Some("https://sleeplab.example/"),
        },
        purpose: "sleep study",
        purpose_iris: &["dpv:ResearchAndDevelopment"],
        legal_basis: "dpv:Consent",
        expires: Some(1_821_536_000_000),
    };
    let out = koffer::share::share(&source, &selection, &terms).unwrap();
    assert!(
        out.bytes == expected,
        "share differs from disclosure-derived.koffer"
    );
    // Its digests, recomputed by a reader of the derived container alone.
    let reader = koffer::read::Reader::new(&expected).unwrap();
    let all: Vec<Receipt> = receipts(&reader).map(Result::unwrap).collect();
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].records_sha256,
        koffer::share::records_sha256(&reader).unwrap()
    );
    assert_eq!(
        all[0].source_sha256,
        koffer::share::source_sha256(&source).unwrap()
    );
    let text = String::from_utf8(vector("27560/disclosure-derived.json")).unwrap();
    assert_eq!(koffer::share::receipts_27560_text(&all), text);
}
