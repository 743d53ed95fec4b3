//! Disclosure receipts (spec `disclosure.md`): the record type
//! `koffer.disclosure` in a container of format 1.1. A receipt is a record,
//! so a malformed one is a payload error of that record in an otherwise
//! complete container (`disclosure.md` §9, `format.md` §7, §10.4). The
//! definition, the payload and its JSON text are copied from the spec's text
//! (`disclosure.md` §3 and §8), not produced by the library under test.

use koffer::frame::{kind, FrameHead};
use koffer::header::Header;
use serde_json::json;

use serde_json::Value as Json;

use super::{block_body, end_body, header, hex, push, schema_body, schema_json, varint, Case};

/// The definition of `koffer.disclosure` v1 (`disclosure.md` §3).
pub const DEFINITION: &[&str] = &[
    "1a07526563656970740c026964021b726563656970742069643a2031362072616e646f6d206279746573181002047469",
    "6d6513026d731b7768656e2074686520646174612077617320646973636c6f73656404756e697805077375626a656374",
    "021d70736575646f6e796d206f66207468652064617461207375626a6563740f09646973636c6f736572021377686f20",
    "7368617265642074686520646174611a05506172747902046e616d65021d6e616d65206f66207468652070617274792c",
    "20666f722070656f706c650f026964021e6964656e746966696572206f66207468652070617274793a20612055524911",
    "0f09726563697069656e74021577686f2072656365697665642074686520646174611a05506172747902046e616d6502",
    "1d6e616d65206f66207468652070617274792c20666f722070656f706c650f026964021e6964656e746966696572206f",
    "66207468652070617274793a206120555249110f07707572706f7365020d7768792c20696e20776f7264730f0c707572",
    "706f73655f6972697302187768792c2061732044505620707572706f73652049524973150f0b6c6567616c5f62617369",
    "7302176c6567616c2062617369732c206120445056207465726d0f076578706972657313026d73277468652072656369",
    "7069656e74206b6565707320746865206461746120756e74696c207468656e04756e6978110506736861726564022077",
    "68617420776173207368617265642c20706572207265636f72642074797065151a0653686172656408046e616d650210",
    "7265636f72642074797065206e616d650f0776657273696f6e02137265636f726420747970652076657273696f6e040b",
    "66696e6765727072696e7402257265636f726420747970652066696e6765727072696e7420696e2074686520736f7572",
    "6365050466726f6d03026d73247265636f7264732066726f6d20746869732074696d65206f6e2c20696e636c75736976",
    "65110505756e74696c03026d73237265636f726473206265666f726520746869732074696d652c206578636c75736976",
    "651105077265636f72647302186e756d626572206f66207265636f72647320736861726564050764726f70706564020e",
    "6669656c64732072656d6f766564150f09636f617273656e6564020e6669656c647320726f756e646564151a09436f61",
    "7273656e656402056669656c64022670617468206f6620746865206669656c642c206e616d6573206a6f696e65642077",
    "697468202e0f0473746570023c76616c75657320726f756e64656420746f20746865206e656172657374206d756c7469",
    "706c65206f6620746869732c20696e2072617720756e6974730d0d736f757263655f736861323536021f5348412d3235",
    "36206f662074686520736f7572636520636f6e7461696e65721820020e7265636f7264735f736861323536021d534841",
    "2d323536206f662074686520736861726564207265636f726473182002",
];

/// The worked example's payload (`disclosure.md` §8).
const PAYLOAD: &[&str] = &[
    "3f2a9c417d0e4b8a9f1255c36e01d47780d8c1a28c3408702d376633613963056f776e6572000f536c656570204c6162",
    "20426173656c011968747470733a2f2f736c6565706c61622e6578616d706c652f22736c6565702073747564792c206e",
    "69676874206f662032302053657074656d626572012b68747470733a2f2f773369642e6f72672f647076235265736561",
    "726368416e64446576656c6f706d656e740b6470763a436f6e73656e740180b086e08135010673616d706c650199a18c",
    "fb878eaeeb2b0180a0f3e08b340180d88c8a8c34a00b02036c6174036c6f6e010a68656172745f726174650000000000",
    "001440111111111111111111111111111111111111111111111111111111111111111122222222222222222222222222",
    "22222222222222222222222222222222222222",
];

/// Its JSON text by `schema.md` §9.
const JSON: &str = r#"{"id":[63,42,156,65,125,14,75,138,159,18,85,195,110,1,212,119],"time":1790000000000,"subject":"p-7f3a9c","discloser":{"name":"owner","id":null},"recipient":{"name":"Sleep Lab Basel","id":"https://sleeplab.example/"},"purpose":"sleep study, night of 20 September","purpose_iris":["https://w3id.org/dpv#ResearchAndDevelopment"],"legal_basis":"dpv:Consent","expires":1821536000000,"shared":[{"name":"sample","version":1,"fingerprint":3158914981960028313,"from":1789862400000,"until":1789948800000,"records":1440,"dropped":["lat","lon"],"coarsened":[{"field":"heart_rate","step":5.0}]}],"source_sha256":[17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17],"records_sha256":[34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34]}"#;

fn unhex(parts: &[&str]) -> Vec<u8> {
    let s: String = parts.concat();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn header_1_1() -> Vec<u8> {
    Header {
        minor: 1,
        ..Header::CURRENT
    }
    .to_bytes()
    .to_vec()
}

/// The payload's first byte when it is the only record of a block frame
/// pushed now onto `bytes`: after the frame head and the block fields.
fn first_payload_byte(bytes: &[u8], record_type: u64, len: usize, body_len: usize) -> usize {
    let head = FrameHead::new(kind::BLOCK, body_len as u32)
        .as_bytes()
        .len();
    bytes.len() + head + varint(record_type).len() + varint(1).len() + varint(len as u64).len() + 1
}

pub fn all() -> Vec<Case> {
    let def = unhex(DEFINITION);
    let payload = unhex(PAYLOAD);
    let name = "koffer.disclosure";
    let mut cases = Vec::new();

    // One receipt, the worked example.
    let mut bytes = header_1_1();
    push(
        &mut bytes,
        kind::SCHEMA,
        &[schema_body(7, name, 1), def.clone()].concat(),
    );
    push(
        &mut bytes,
        kind::BLOCK,
        &block_body(7, 1, payload.len() as u64, 0, &[], &payload),
    );
    push(&mut bytes, kind::END, &end_body(2, 1, 1));
    cases.push(Case {
        name: "disclosure-receipt",
        rule: "disclosure.md §3, §8: format 1.1, one koffer.disclosure v1 receipt (the worked example) under its fixed definition, read as an ordinary record with its JSON text; its digests are placeholders (32 × 11, 32 × 22) that match no container (disclosure-derived has real ones)",
        bytes,
        expect: json!({
            "outcome": "complete",
            "totals": {"frames": 2, "blocks": 1, "records": 1},
            "metadata": [],
            "schemas": [schema_json(7, name, 1, &def)],
            "records": [{"record_type": 7, "index": 0, "payload": hex(&payload), "json": JSON}],
        }),
    });

    // Malformed receipts: each a payload error of its record, then a good one.
    let mut truncated = payload.clone();
    truncated.pop(); // the last byte of records_sha256 is missing
    let mut invalid = payload.clone();
    // After id (16), time (6), subject (9), the discloser's name "owner" (6):
    // the option tag of discloser.id, 02 instead of 00 or 01.
    let tag = 16 + 6 + 9 + 6;
    assert_eq!(invalid[tag], 0x00);
    invalid[tag] = 0x02;
    let mut trailing = payload.clone();
    trailing.push(0x00);
    let mut bytes = header_1_1();
    push(
        &mut bytes,
        kind::SCHEMA,
        &[schema_body(7, name, 1), def.clone()].concat(),
    );
    let mut records = Vec::new();
    for (i, (p, fault)) in [
        (&truncated, Some("PayloadTruncated")),
        (&invalid, Some("PayloadInvalid")),
        (&trailing, Some("PayloadTrailingBytes")),
        (&payload, None),
    ]
    .into_iter()
    .enumerate()
    {
        let body = block_body(7, 1, p.len() as u64, 0, &[], p);
        let first = first_payload_byte(&bytes, 7, p.len(), body.len());
        push(&mut bytes, kind::BLOCK, &body);
        let mut rec = json!({"record_type": 7, "index": i, "payload": hex(p)});
        match fault {
            Some(kind) => {
                let offset = match kind {
                    "PayloadTruncated" => first + p.len(), // the end of the payload
                    "PayloadInvalid" => first,             // the record's first byte
                    _ => first + payload.len(),            // the first byte left over
                };
                rec["error"] = json!({"kind": kind, "offset": offset});
            }
            None => rec["json"] = json!(JSON),
        }
        records.push(rec);
    }
    push(&mut bytes, kind::END, &end_body(5, 4, 4));
    cases.push(Case {
        name: "disclosure-receipt-errors",
        rule: "disclosure.md §9: a malformed receipt is its record's payload error, never the container's: a receipt cut one byte short (PayloadTruncated), one whose discloser.id option tag is 02 (PayloadInvalid), one with a byte left over (PayloadTrailingBytes), then a good receipt",
        bytes,
        expect: json!({
            "outcome": "complete",
            "totals": {"frames": 5, "blocks": 4, "records": 4},
            "metadata": [],
            "schemas": [schema_json(7, name, 1, &def)],
            "records": records,
        }),
    });
    let (source, derived, _) = derived();
    cases.push(source);
    cases.push(derived);
    cases
}

/// The `sample` record type of `disclosure-source`: `t` (u64, ms, Unix time),
/// `hr` (u8) and `lat` (f64, deg).
const SAMPLE: koffer::schema::Type = koffer::schema::Type::Struct(
    "Sample",
    &[
        koffer::schema::Field {
            name: "t",
            meta: koffer::schema::Meta {
                unit: Some("ms"),
                time: Some("unix"),
                ..koffer::schema::Meta::NONE
            },
            ty: &koffer::schema::Type::U64,
        },
        koffer::schema::Field {
            name: "hr",
            meta: koffer::schema::Meta::NONE,
            ty: &koffer::schema::Type::U8,
        },
        koffer::schema::Field {
            name: "lat",
            meta: koffer::schema::Meta {
                unit: Some("deg"),
                ..koffer::schema::Meta::NONE
            },
            ty: &koffer::schema::Type::F64,
        },
    ],
);

/// The same without `lat`: what `disclosure.md` §5.2 leaves of it.
const SAMPLE_WITHOUT_LAT: koffer::schema::Type = koffer::schema::Type::Struct(
    "Sample",
    &[
        koffer::schema::Field {
            name: "t",
            meta: koffer::schema::Meta {
                unit: Some("ms"),
                time: Some("unix"),
                ..koffer::schema::Meta::NONE
            },
            ty: &koffer::schema::Type::U64,
        },
        koffer::schema::Field {
            name: "hr",
            meta: koffer::schema::Meta::NONE,
            ty: &koffer::schema::Type::U8,
        },
    ],
);

/// The records of `disclosure-source`: `(t, hr, lat)`.
const SOURCE_RECORDS: [(u64, u8, f64); 6] = [
    (1_000, 57, 47.1),
    (2_000, 65, 47.2),
    (3_000, 74, 47.3),
    (4_000, 84, 47.4),
    (5_000, 69, 47.5),
    (6_000, 72, 47.6),
];

/// The terms of the share in `disclosure-derived` (besides the selection).
pub const DERIVED_ID: [u8; 16] = [
    0x3f, 0x2a, 0x9c, 0x41, 0x7d, 0x0e, 0x4b, 0x8a, 0x9f, 0x12, 0x55, 0xc3, 0x6e, 0x01, 0xd4, 0x77,
];
pub const DERIVED_TIME: u64 = 1_790_000_000_000;
pub const DERIVED_EXPIRES: u64 = 1_821_536_000_000;

fn str_bytes(s: &str) -> Vec<u8> {
    [varint(s.len() as u64), s.as_bytes().to_vec()].concat()
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// `disclosure-source`, `disclosure-derived` and the derived receipt's ISO/IEC
/// TS 27560 text (`disclosure.md` §4, §5, §8), every byte written here from
/// the spec's text: the share `--from 1970-01-01T00:00:02Z --until
/// 1970-01-01T00:00:05Z --drop lat --coarsen hr=10`.
pub fn derived() -> (Case, Case, String) {
    let def = koffer::definition!(&SAMPLE).to_vec();
    let new_def = koffer::definition!(&SAMPLE_WITHOUT_LAT).to_vec();
    // §5.2: the same bytes without the field `lat` (the last one) and with the
    // struct's field count (after the tag and the name "Sample") one less.
    let count_at = 1 + 1 + "Sample".len();
    assert_eq!((def[count_at], new_def[count_at]), (3, 2));
    assert_eq!(def[..count_at], new_def[..count_at]);
    assert_eq!(def[count_at + 1..new_def.len()], new_def[count_at + 1..]);
    assert_eq!(def[new_def.len()..][..4], [3, b'l', b'a', b't']);

    // The source: format 1.0, one record type, one block of six records of
    // 11 bytes each (varint t: 2 bytes, hr: 1, lat: 8).
    let mut source = header();
    push(
        &mut source,
        kind::SCHEMA,
        &[schema_body(0, "sample", 1), def.clone()].concat(),
    );
    let payload = |t: u64, hr: u8, lat: Option<f64>| {
        let mut p = varint(t);
        p.push(hr);
        if let Some(lat) = lat {
            p.extend_from_slice(&lat.to_le_bytes());
        }
        p
    };
    let src_payloads: Vec<Vec<u8>> = SOURCE_RECORDS
        .iter()
        .map(|&(t, hr, lat)| payload(t, hr, Some(lat)))
        .collect();
    push(
        &mut source,
        kind::BLOCK,
        &block_body(0, 6, 11, 0, &[], &src_payloads.concat()),
    );
    push(&mut source, kind::END, &end_body(2, 1, 6));
    let float = |v: f64| format!("{v}");
    let source_case = Case {
        name: "disclosure-source",
        rule: "disclosure.md §4.1, §5: the source container of disclosure-derived (format 1.0): record type sample (t: u64 ms Unix time, hr: u8, lat: f64) with six records",
        bytes: source.clone(),
        expect: json!({
            "outcome": "complete",
            "totals": {"frames": 2, "blocks": 1, "records": 6},
            "metadata": [],
            "schemas": [schema_json(0, "sample", 1, &def)],
            "records": SOURCE_RECORDS.iter().zip(&src_payloads).enumerate().map(|(i, (&(t, hr, lat), p))| json!({
                "record_type": 0, "index": i, "payload": hex(p),
                "json": format!(r#"{{"t":{t},"hr":{hr},"lat":{}}}"#, float(lat)),
            })).collect::<Vec<_>>(),
        }),
    };

    // §5.1: t in [2000, 5000); §5.2: lat dropped; §5.3: hr to the nearest
    // multiple of 10, ties away from zero (65 → 70, 74 → 70, 84 → 80).
    let chosen: Vec<(u64, u8)> = SOURCE_RECORDS
        .iter()
        .filter(|r| (2_000..5_000).contains(&r.0))
        .map(|&(t, hr, _)| (t, ((u32::from(hr) + 5) / 10 * 10) as u8))
        .collect();
    assert_eq!(chosen, [(2_000, 70), (3_000, 70), (4_000, 80)]);
    let payloads: Vec<Vec<u8>> = chosen.iter().map(|&(t, hr)| payload(t, hr, None)).collect();
    // §4.2: record_type ‖ varint(len) ‖ payload, in file order.
    let mut records_input = Vec::new();
    for p in &payloads {
        records_input.push(0);
        records_input.extend(varint(p.len() as u64));
        records_input.extend_from_slice(p);
    }
    let records_sha = sha256(&records_input);
    // §4.1: the whole source (complete, nothing after its end frame).
    let source_sha = sha256(&source);
    // schema.md §5: the source's fingerprint of sample.
    let mut fp_input = str_bytes("sample");
    fp_input.extend(varint(1));
    fp_input.extend_from_slice(&def);
    let fingerprint = super::fnv1a64(&fp_input);

    // The receipt (§3), postcard field by field.
    let some = |v: u64| [vec![1], varint(v)].concat();
    let mut r = DERIVED_ID.to_vec();
    r.extend(varint(DERIVED_TIME));
    r.extend(str_bytes("")); // subject: the source has no subject.pseudonym
    r.extend(str_bytes("owner"));
    r.push(0); // discloser.id: none
    r.extend(str_bytes("Sleep Lab Basel"));
    r.push(1);
    r.extend(str_bytes("https://sleeplab.example/"));
    r.extend(str_bytes("sleep study"));
    r.extend(varint(1));
    r.extend(str_bytes("dpv:ResearchAndDevelopment"));
    r.extend(str_bytes("dpv:Consent"));
    r.extend(some(DERIVED_EXPIRES));
    r.extend(varint(1)); // shared: one entry
    r.extend(str_bytes("sample"));
    r.extend(varint(1));
    r.extend(varint(fingerprint));
    r.extend(some(2_000));
    r.extend(some(5_000));
    r.extend(varint(3));
    r.extend(varint(1));
    r.extend(str_bytes("lat"));
    r.extend(varint(1));
    r.extend(str_bytes("hr"));
    r.extend_from_slice(&10f64.to_le_bytes());
    r.extend_from_slice(&source_sha);
    r.extend_from_slice(&records_sha);

    // The derived container (§5 steps 1–6): header minor 1, no metadata (the
    // source has none), sample under its id 0 without lat, the three records
    // in one block (3 bytes each), the receipt's schema under 255, its block,
    // the end frame.
    let mut derived = header_1_1();
    push(
        &mut derived,
        kind::SCHEMA,
        &[schema_body(0, "sample", 1), new_def.clone()].concat(),
    );
    push(
        &mut derived,
        kind::BLOCK,
        &block_body(0, 3, 3, 0, &[], &payloads.concat()),
    );
    let receipt_def = unhex(DEFINITION);
    push(
        &mut derived,
        kind::SCHEMA,
        &[
            schema_body(255, "koffer.disclosure", 1),
            receipt_def.clone(),
        ]
        .concat(),
    );
    push(
        &mut derived,
        kind::BLOCK,
        &block_body(255, 1, r.len() as u64, 0, &[], &r),
    );
    push(&mut derived, kind::END, &end_body(4, 2, 4));

    let digits = |b: &[u8]| hex(b);
    let bytes_json = |b: &[u8]| {
        format!(
            "[{}]",
            b.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let receipt_text = format!(
        concat!(
            r#"{{"id":{},"time":{},"subject":"","discloser":{{"name":"owner","id":null}},"#,
            r#""recipient":{{"name":"Sleep Lab Basel","id":"https://sleeplab.example/"}},"#,
            r#""purpose":"sleep study","purpose_iris":["dpv:ResearchAndDevelopment"],"legal_basis":"dpv:Consent","#,
            r#""expires":{},"shared":[{{"name":"sample","version":1,"fingerprint":{},"from":2000,"until":5000,"#,
            r#""records":3,"dropped":["lat"],"coarsened":[{{"field":"hr","step":10.0}}]}}],"#,
            r#""source_sha256":{},"records_sha256":{}}}"#
        ),
        bytes_json(&DERIVED_ID),
        DERIVED_TIME,
        DERIVED_EXPIRES,
        fingerprint,
        bytes_json(&source_sha),
        bytes_json(&records_sha),
    );
    let mut records: Vec<Json> = chosen
        .iter()
        .zip(&payloads)
        .enumerate()
        .map(|(i, (&(t, hr), p))| {
            json!({"record_type": 0, "index": i, "payload": hex(p),
                   "json": format!(r#"{{"t":{t},"hr":{hr}}}"#)})
        })
        .collect();
    records.push(json!({"record_type": 255, "index": 3, "payload": hex(&r), "json": receipt_text}));
    let derived_case = Case {
        name: "disclosure-derived",
        rule: "disclosure.md §4, §5, §8: disclosure-source shared from 1970-01-01T00:00:02Z until 1970-01-01T00:00:05Z, lat dropped, hr coarsened to 10 (65 and 74 to 70, 84 to 80): the rewritten definition, the re-encoded records, the receipt under 255 with both digests matching; its ISO/IEC TS 27560 text is 27560/disclosure-derived.json",
        bytes: derived,
        expect: json!({
            "outcome": "complete",
            "totals": {"frames": 4, "blocks": 2, "records": 4},
            "metadata": [],
            "schemas": [
                schema_json(0, "sample", 1, &new_def),
                schema_json(255, "koffer.disclosure", 1, &receipt_def),
            ],
            "records": records,
        }),
    };

    // §8, written from its table and its text form.
    let time = |ms: u64| {
        // Whole seconds only here: 1970-01-01T00:00:0S or the two terms.
        match ms {
            2_000 => "1970-01-01T00:00:02Z",
            5_000 => "1970-01-01T00:00:05Z",
            DERIVED_TIME => "2026-09-21T14:13:20Z",
            DERIVED_EXPIRES => "2027-09-21T14:13:20Z",
            _ => unreachable!(),
        }
    };
    let iso = json!([{
        "@context": {"dpv": "https://w3id.org/dpv#"},
        "schema_version": "ISO/IEC TS 27560:2023",
        "record_id": "urn:uuid:3f2a9c41-7d0e-4b8a-9f12-55c36e01d477",
        "timestamp": time(DERIVED_TIME),
        "data_subject": {"pseudonym": ""},
        "parties": [
            {"name": "owner", "role": "discloser"},
            {"name": "Sleep Lab Basel", "id": "https://sleeplab.example/", "role": "dpv:Recipient"},
        ],
        "processing": [{
            "purpose": "sleep study",
            "purposes": ["dpv:ResearchAndDevelopment"],
            "legal_basis": "dpv:Consent",
            "processing": ["dpv:Disclose"],
            "recipients": ["https://sleeplab.example/"],
            "data": [{
                "record_type": "sample",
                "version": 1,
                "fingerprint": format!("{fingerprint:016x}"),
                "from": time(2_000),
                "until": time(5_000),
                "records": 3,
                "dropped": ["lat"],
                "coarsened": [{"field": "hr", "step": 10.0}],
            }],
            "retention": time(DERIVED_EXPIRES),
        }],
        "events": [{"type": "dpv:Disclose", "timestamp": time(DERIVED_TIME)}],
        "integrity": {"source_sha256": digits(&source_sha), "records_sha256": digits(&records_sha)},
        "koffer": {"record_type": "koffer.disclosure", "version": 1},
    }]);
    // Keys sorted by code point (serde_json's map is ordered so), two spaces
    // of indent, a newline at the end.
    let mut iso_text = serde_json::to_string_pretty(&iso).unwrap();
    iso_text.push('\n');
    (source_case, derived_case, iso_text)
}

/// Files in folders of `spec/vectors/` (not vectors: a vector runner reads
/// only the top folder): the 27560 text of `disclosure-derived`.
pub fn extra_files() -> Vec<(String, Vec<u8>)> {
    let (_, _, iso) = derived();
    vec![("27560/disclosure-derived.json".into(), iso.into_bytes())]
}
