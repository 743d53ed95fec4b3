//! The test vectors of spec `format.md` §13: each case's bytes and the
//! outcome a reader must report, stated here by construction — never computed
//! by the reader under test.
//!
//! Shared by `examples/vectors.rs` (writes `spec/vectors/`) and
//! `tests/vectors.rs` (checks the files byte for byte and runs the reader).

#![allow(dead_code)]

#[path = "types.rs"]
mod types;

#[path = "described.rs"]
mod described;

#[path = "disclosure.rs"]
mod disclosure;

use koffer::frame::{kind, FrameHead};
use koffer::header::Header;
use koffer::meta::{key, value_type, Entry, Value};
use koffer::write::Writer;
use serde::Serialize;
use serde_json::{json, Value as Json};

/// One vector.
pub struct Case {
    pub name: &'static str,
    pub rule: &'static str,
    pub bytes: Vec<u8>,
    pub expect: Json,
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// FNV-1a-64 as spec `schema.md` §5 defines it, written out here so that the
/// expectations do not come from the library under test.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// A schema frame's expectation: its fields and fingerprint (name with its
/// length, version varint, definition).
pub fn schema_json(t: u8, n: &str, v: u32, def: &[u8]) -> Json {
    let mut fp = varint(n.len() as u64);
    fp.extend_from_slice(n.as_bytes());
    fp.extend(varint(u64::from(v)));
    fp.extend_from_slice(def);
    json!({ "record_type": t, "name": n, "version": v, "definition": hex(def),
            "fingerprint": format!("{:016x}", fnv1a64(&fp)) })
}

/// A frame with a correct head check and checksum around `body`, to follow
/// `before` (its checksum chains to the last 4 bytes of `before`).
pub fn frame(before: &[u8], kind: u8, body: &[u8]) -> Vec<u8> {
    let prev: [u8; 4] = before[before.len() - 4..].try_into().unwrap();
    let mut out = FrameHead::new(kind, body.len() as u32).as_bytes().to_vec();
    out.extend_from_slice(body);
    let c = koffer::frame::checksum(&prev, &out);
    out.extend_from_slice(&c.to_le_bytes());
    out
}

/// Appends a frame to `bytes`.
pub fn push(bytes: &mut Vec<u8>, kind: u8, body: &[u8]) {
    let f = frame(bytes, kind, body);
    bytes.extend(f);
}

pub fn header() -> Vec<u8> {
    Header::CURRENT.to_bytes().to_vec()
}

pub fn varint(v: u64) -> Vec<u8> {
    let mut tmp = [0u8; 10];
    koffer::varint::encode_u64(v, &mut tmp).to_vec()
}

fn name(s: &str) -> Vec<u8> {
    let mut v = varint(s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

pub fn schema_body(record_type: u64, n: &str, version: u64) -> Vec<u8> {
    let mut b = varint(record_type);
    b.extend(name(n));
    b.extend(varint(version));
    b
}

pub fn end_body(frames: u64, blocks: u64, records: u64) -> Vec<u8> {
    let mut b = varint(frames);
    b.extend(varint(blocks));
    b.extend(varint(records));
    b
}

/// A block body with explicit fields.
pub fn block_body(
    record_type: u64,
    count: u64,
    base: u64,
    width: u8,
    table: &[u8],
    payloads: &[u8],
) -> Vec<u8> {
    let mut b = varint(record_type);
    b.extend(varint(count));
    b.extend(varint(base));
    b.push(width);
    b.extend_from_slice(table);
    b.extend_from_slice(payloads);
    b
}

/// A container every reader must refuse: the error lies in what the
/// structure checks of spec `format.md` §10.1 cover.
fn reject(
    name: &'static str,
    rule: &'static str,
    bytes: Vec<u8>,
    error: &str,
    offset: usize,
) -> Case {
    refused("structure", name, rule, bytes, error, offset)
}

/// A container whose error lies in a description (spec `format.md` §10.1: a
/// metadata frame's body, a schema frame's name, version or definition):
/// every verifier refuses it, and so does any reader that uses the
/// description; a reader that only hands out records may read past it.
pub fn reject_description(
    name: &'static str,
    rule: &'static str,
    bytes: Vec<u8>,
    error: &str,
    offset: usize,
) -> Case {
    refused("description", name, rule, bytes, error, offset)
}

fn refused(
    check: &str,
    name: &'static str,
    rule: &'static str,
    bytes: Vec<u8>,
    error: &str,
    offset: usize,
) -> Case {
    Case {
        name,
        rule,
        bytes,
        expect: json!({ "outcome": "reject", "check": check, "error": error, "offset": offset }),
    }
}

/// A metadata entry in the vectors' JSON shape (spec `format.md` §13).
pub fn meta_json(e: &Entry<'_>) -> Json {
    let (t, v) = match e.value {
        Value::Bool(b) => ("bool", json!(b)),
        Value::Uint(u) => ("uint", json!(u.to_string())),
        Value::Int(i) => ("int", json!(i.to_string())),
        Value::Float(f) => ("float", json!(hex(&f.to_le_bytes()))),
        Value::Str(s) => ("str", json!(s)),
        Value::Bytes(b) => ("bytes", json!(hex(b))),
        Value::Time(t) => ("time", json!(t.to_string())),
        Value::Anchor { boot_ms, unix_ms } => (
            "anchor",
            json!({ "boot_ms": boot_ms.to_string(), "unix_ms": unix_ms.to_string() }),
        ),
        Value::Unknown { value_type, bytes } => {
            return json!({ "key": e.key, "type": format!("0x{value_type:02x}"), "value": hex(bytes) })
        }
    };
    json!({ "key": e.key, "type": t, "value": v })
}

/// Builds a readable container with the writer and records, by construction,
/// what a reader must find.
struct Built {
    bytes: Vec<u8>,
    totals: koffer::end::End,
    metadata: Vec<Json>,
    schemas: Vec<Json>,
    records: Vec<Json>,
    /// (end offset of the frame, records emitted up to then) after each flush.
    boundaries: Vec<(u64, usize)>,
}

struct Builder<'b> {
    w: Writer<'b, Vec<u8>>,
    metadata: Vec<Json>,
    schemas: Vec<Json>,
    records: Vec<Json>,
    boundaries: Vec<(u64, usize)>,
}

impl<'b> Builder<'b> {
    fn new(buf: &'b mut [u8]) -> Self {
        let w = Writer::new(Vec::new(), buf).unwrap();
        let p = w.position();
        Builder {
            w,
            metadata: vec![],
            schemas: vec![],
            records: vec![],
            boundaries: vec![(p, 0)],
        }
    }
    fn mark(&mut self) {
        let c = self.w.counted().records as usize;
        self.boundaries.push((self.w.position(), c));
    }
    fn meta(&mut self, entries: &[Entry<'_>]) {
        self.w.metadata(entries).unwrap();
        self.metadata.extend(entries.iter().map(meta_json));
        self.mark();
    }
    fn declare(&mut self, t: u8, n: &str, v: u32) {
        self.declare_def(t, n, v, &[]);
    }
    fn declare_def(&mut self, t: u8, n: &str, v: u32, def: &[u8]) {
        self.w.declare(t, n, v, def).unwrap();
        self.schemas.push(schema_json(t, n, v, def));
        self.mark();
    }
    fn record<T: Serialize>(&mut self, t: u8, value: &T) {
        let before = self.w.counted().blocks;
        let h = self.w.declared_raw(t).unwrap();
        self.w.write_serialized(h, value).unwrap();
        let payload = postcard::to_allocvec(value).unwrap();
        let index = self.records.len();
        self.records
            .push(json!({ "record_type": t, "index": index, "payload": hex(&payload) }));
        if self.w.counted().blocks != before {
            // A block went out before this record was buffered.
            let c = self.w.counted().records as usize;
            self.boundaries.push((self.w.position(), c));
        }
    }
    /// A record of a described type, with its JSON text by `schema.md` §9.
    fn record_json<T: Serialize>(&mut self, t: u8, value: &T, text: &str) {
        self.record(t, value);
        let last = self.records.last_mut().unwrap();
        last["json"] = json!(text);
    }
    fn flush(&mut self) {
        self.w.flush().unwrap();
        self.mark();
    }
    fn finish(mut self) -> Built {
        self.w.flush().unwrap();
        self.mark();
        let totals = self.w.counted();
        let bytes = self.w.finish().unwrap();
        Built {
            bytes,
            totals,
            metadata: self.metadata,
            schemas: self.schemas,
            records: self.records,
            boundaries: self.boundaries,
        }
    }
}

impl Built {
    fn complete(&self, name: &'static str, rule: &'static str) -> Case {
        assert_eq!(self.totals.records as usize, self.records.len());
        Case {
            name,
            rule,
            bytes: self.bytes.clone(),
            expect: json!({
                "outcome": "complete",
                "totals": {
                    "frames": self.totals.frames,
                    "blocks": self.totals.blocks,
                    "records": self.totals.records,
                },
                "metadata": self.metadata,
                "schemas": self.schemas,
                "records": self.records,
            }),
        }
    }

    /// The container cut to `len` bytes plus `tail`; `valid_len`, the tail
    /// description and the records kept follow from the recorded boundaries.
    fn cut(
        &self,
        name: &'static str,
        rule: &'static str,
        len: usize,
        tail: &[u8],
        tail_json: Json,
    ) -> Case {
        let (valid_len, kept) = self
            .boundaries
            .iter()
            .copied()
            .rfind(|(end, _)| *end as usize <= len)
            .unwrap();
        let mut bytes = self.bytes[..len].to_vec();
        bytes.extend_from_slice(tail);
        Case {
            name,
            rule,
            bytes,
            expect: json!({
                "outcome": "incomplete",
                "valid_len": valid_len,
                "tail": tail_json,
                "records": self.records[..kept],
            }),
        }
    }
}

#[derive(Serialize, Clone, Copy)]
enum Activity {
    Rest,
    Walk,
    Run,
}

#[derive(Serialize)]
struct Sample<'a> {
    timestamp_ms: u64,
    heart_rate: u8,
    steps: u16,
    lat: f64,
    lon: f64,
    battery_pct: u8,
    activity: Activity,
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct Event<'a> {
    timestamp_ms: u64,
    kind: &'a str,
    detail: &'a str,
}

#[derive(Serialize)]
struct Tick;

fn wearable(buf: &mut [u8]) -> Built {
    let mut b = Builder::new(buf);
    b.meta(&[
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme Wearables")),
        Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
        Entry::new(key::PRODUCER_FIRMWARE, Value::Str("2.4.1")),
        Entry::new(key::PRODUCER_SERIAL, Value::Str("B3-000123")),
        Entry::new(key::EXPORT_CREATED, Value::Time(1_789_000_000_000)),
        Entry::new(key::SUBJECT_PSEUDONYM, Value::Str("p-7f3a")),
        Entry::new(key::TIME_BASE, Value::Str("unix")),
    ]);
    b.declare(0, "sample", 1);
    b.declare(1, "event", 1);
    let t0 = 1_789_000_000_000u64;
    for i in 0..30u16 {
        b.record(
            0,
            &Sample {
                timestamp_ms: t0 + 60_000 * u64::from(i),
                heart_rate: 60 + (i % 7) as u8,
                steps: i * 13,
                lat: 52.52 + f64::from(i) * 1e-4,
                lon: 13.405,
                battery_pct: 90 - (i / 4) as u8,
                activity: [Activity::Rest, Activity::Walk, Activity::Run][usize::from(i % 3)],
                note: if i == 5 { Some("stairs") } else { None },
            },
        );
        if i == 6 {
            b.record(
                1,
                &Event {
                    timestamp_ms: t0 + 360_500,
                    kind: "workout_start",
                    detail: "run",
                },
            );
        }
    }
    b.finish()
}

/// Every vector, in a stable order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();

    // ---- readable containers -------------------------------------------
    let mut empty = header();
    push(&mut empty, kind::END, &end_body(0, 0, 0));
    cases.push(Case {
        name: "valid-empty",
        rule: "§3, §8: a header and an end frame with zero totals is a complete, empty container",
        bytes: empty,
        expect: json!({ "outcome": "complete", "totals": {"frames": 0, "blocks": 0, "records": 0},
                        "metadata": [], "schemas": [], "records": [] }),
    });
    cases.push(Case {
        name: "valid-header-only",
        rule: "§10.2: the header alone is a valid, incomplete container",
        bytes: header(),
        expect: json!({ "outcome": "incomplete", "valid_len": 18, "tail": {"kind": "none"}, "records": [] }),
    });

    let mut buf = [0u8; 256];
    let w = wearable(&mut buf);
    assert!(w.totals.blocks >= 4, "the cuts below need several blocks");
    cases.push(w.complete(
        "valid-wearable-256",
        "§5–§8: metadata, two record types, blocks from a 256-byte writer buffer, end frame",
    ));
    // Cuts of the same container.
    let mid_block = {
        let (a, _) = w.boundaries[4];
        let (b, _) = w.boundaries[5];
        ((a + b) / 2) as usize
    };
    cases.push(w.cut(
        "incomplete-torn-block",
        "§10.3 case 2: input ends inside a block; the block is dropped, earlier records kept",
        mid_block,
        &[],
        json!({"kind": "torn", "len": mid_block as u64 - w.boundaries[4].0}),
    ));
    let at_boundary = w.boundaries[5].0 as usize;
    cases.push(w.cut(
        "incomplete-frame-boundary",
        "§10.2: a prefix ending on a frame boundary is a valid, incomplete container",
        at_boundary,
        &[],
        json!({"kind": "none"}),
    ));
    cases.push(w.cut(
        "incomplete-unwritten-ff",
        "§10.3 case 1: erased flash (0xFF) after the last frame",
        at_boundary,
        &[0xFF; 40],
        json!({"kind": "unwritten", "len": 40}),
    ));
    cases.push(w.cut(
        "incomplete-unwritten-zero",
        "§10.3 case 1: zero-filled storage after the last frame",
        at_boundary,
        &[0x00; 7],
        json!({"kind": "unwritten", "len": 7}),
    ));
    {
        // A whole block whose checksum was never written, then zeros.
        let (a, _) = w.boundaries[5];
        let (b, _) = w.boundaries[6];
        let (a, b) = (a as usize, b as usize);
        let mut bytes = w.bytes[..b].to_vec();
        bytes[b - 4..b].copy_from_slice(&[0, 0, 0, 0]);
        bytes.extend_from_slice(&[0u8; 9]);
        let mut c = w.cut(
            "incomplete-torn-checksum-unwritten",
            "§10.3 case 3: a block whose checksum reads 00000000, followed only by zeros, is torn",
            a,
            &[],
            json!({"kind": "torn", "len": bytes.len() - a}),
        );
        c.bytes = bytes;
        cases.push(c);
    }

    {
        // Power lost after kind and the first length byte: erased flash follows.
        let at = w.boundaries[5].0 as usize;
        let mut c = w.cut(
            "incomplete-torn-head-erased",
            "§10.3 case 3: a frame head cut by a power loss, erased flash after it, is torn",
            at,
            &[],
            json!({"kind": "torn", "len": 2 + 20}),
        );
        c.bytes.extend_from_slice(&[kind::BLOCK, 0x85]);
        c.bytes.extend_from_slice(&[0xFF; 20]);
        cases.push(c);
        // A complete container read from a larger, erased flash region.
        let mut c = w.complete(
            "valid-unwritten-after-end",
            "§8, §10.3 case 1: erased flash after the end frame is not data",
        );
        c.bytes.extend_from_slice(&[0xFF; 33]);
        cases.push(c);
    }

    let mut buf = [0u8; 4096];
    let big = wearable(&mut buf);
    cases.push(big.complete(
        "valid-wearable-4k",
        "§7: the same records from a 4 KiB buffer: fewer, larger blocks",
    ));

    {
        let mut buf = [0u8; 64];
        let mut b = Builder::new(&mut buf);
        b.meta(&[
            Entry::new("x:bool", Value::Bool(true)),
            Entry::new("x:uint", Value::Uint(u64::MAX)),
            Entry::new("x:int", Value::Int(i64::MIN)),
            Entry::new("x:float", Value::Float(f64::NAN)),
            Entry::new("x:str", Value::Str("grüße")),
            Entry::new("x:bytes", Value::Bytes(&[0, 0xFF])),
            Entry::new(key::EXPORT_CREATED, Value::Time(-1)),
            Entry::new(key::TIME_BASE, Value::Str("boot")),
            Entry::new(
                key::TIME_ANCHOR,
                Value::Anchor {
                    boot_ms: 1000,
                    unix_ms: 1_789_000_000_000,
                },
            ),
            Entry::new(
                "future.key",
                Value::Unknown {
                    value_type: 0x09,
                    bytes: &[1, 2, 3],
                },
            ),
        ]);
        b.meta(&[Entry::new(
            key::TIME_ANCHOR,
            Value::Anchor {
                boot_ms: 90_000,
                unix_ms: 1_789_000_089_000,
            },
        )]);
        let built = b.finish();
        cases.push(built.complete(
            "valid-metadata-types",
            "§5.2, §5.3: every value type, an unknown value type and a reserved key are kept; two metadata frames",
        ));
    }

    {
        // Width 0 (all equal), zero-length records, and a non-minimal base accepted.
        let mut bytes = header();
        push(&mut bytes, kind::SCHEMA, &schema_body(0, "tick", 1));
        push(&mut bytes, kind::BLOCK, &block_body(0, 3, 0, 0, &[], &[]));
        push(&mut bytes, kind::SCHEMA, &schema_body(7, "byte", 1));
        // lengths 1,1 with base 0, width 1: deltas 1,1 -> 0b11
        push(
            &mut bytes,
            kind::BLOCK,
            &block_body(7, 2, 0, 1, &[0b11], &[0xAA, 0xBB]),
        );
        push(&mut bytes, kind::END, &end_body(4, 2, 5));
        cases.push(Case {
            name: "valid-widths",
            rule: "§7: width 0 with zero-length records; a base below the shortest record is accepted",
            bytes,
            expect: json!({
                "outcome": "complete",
                "totals": {"frames": 4, "blocks": 2, "records": 5},
                "metadata": [],
                "schemas": [
                    schema_json(0, "tick", 1, &[]),
                    schema_json(7, "byte", 1, &[])
                ],
                "records": [
                    {"record_type": 0, "index": 0, "payload": ""},
                    {"record_type": 0, "index": 1, "payload": ""},
                    {"record_type": 0, "index": 2, "payload": ""},
                    {"record_type": 7, "index": 3, "payload": "aa"},
                    {"record_type": 7, "index": 4, "payload": "bb"}
                ]
            }),
        });
    }

    {
        // Ancillary frames (reserved and vendor) are skipped; later minor
        // version, an optional bit no version assigns. (Kind 0x5F and bit 15,
        // not 0x40 and bit 0: those are seals' since 1.2, seal.md.)
        let h = Header {
            minor: 3,
            optional_features: 0x8000,
            ..Header::CURRENT
        };
        let mut bytes = h.to_bytes().to_vec();
        push(&mut bytes, 0x5F, b"future index");
        push(&mut bytes, kind::SCHEMA, &schema_body(2, "n", 4));
        push(&mut bytes, 0x7F, &[0xDE, 0xAD]);
        push(
            &mut bytes,
            kind::BLOCK,
            &block_body(2, 1, 1, 0, &[], &[0x05]),
        );
        push(&mut bytes, kind::END, &end_body(4, 1, 1));
        cases.push(Case {
            name: "valid-ancillary-and-minor",
            rule: "§3.1, §3.2, §4.2: a later minor version, optional feature bits and ancillary frames are read past",
            bytes,
            expect: json!({
                "outcome": "complete",
                "totals": {"frames": 4, "blocks": 1, "records": 1},
                "metadata": [],
                "schemas": [schema_json(2, "n", 4, &[])],
                "records": [{"record_type": 2, "index": 0, "payload": "05"}]
            }),
        });
    }

    // ---- the data model: schema and dynamic-decode vectors ----------------
    cases.extend(described::all());
    cases.extend(disclosure::all());
    cases.extend(types::all());
    cases.extend(types::rejects());

    // ---- must-reject containers ------------------------------------------
    let good = {
        let mut buf = [0u8; 64];
        let mut b = Builder::new(&mut buf);
        b.declare(0, "tick", 1);
        b.record(0, &Tick);
        b.finish().bytes
    };
    // The end frame: a 5-byte head, a 3-byte body (2, 1, 1), a 4-byte checksum.
    let end_at = good.len() - 12;

    cases.push(reject(
        "reject-not-a-container",
        "§3.3: no signature",
        b"{\"heart_rate\": 61}\n".to_vec(),
        "BadSignature",
        0,
    ));
    {
        let mut b = header();
        b.splice(4..6, [0x0A]); // CRLF -> LF
        cases.push(reject(
            "reject-signature-crlf-to-lf",
            "§3: line-ending conversion breaks the signature",
            b,
            "BadSignature",
            0,
        ));
        let mut b = header();
        b[0] &= 0x7F;
        cases.push(reject(
            "reject-signature-7bit",
            "§3: a 7-bit channel breaks the signature",
            b,
            "BadSignature",
            0,
        ));
    }
    cases.push(reject(
        "reject-header-truncated",
        "§3.3: fewer than 18 bytes",
        header()[..12].to_vec(),
        "HeaderTruncated",
        0,
    ));
    let mut b = header()[..12].to_vec();
    b.resize(32, 0xFF);
    cases.push(reject(
        "reject-header-erased",
        "§3.3: 32 bytes, but the header was cut by a power loss: erased flash from byte 12",
        b,
        "HeaderTruncated",
        0,
    ));
    {
        let mut b = header();
        b[16] ^= 0x10;
        cases.push(reject(
            "reject-header-checksum",
            "§3.3: header checksum",
            b,
            "HeaderChecksum",
            14,
        ));
        let b = Header {
            major: 2,
            ..Header::CURRENT
        }
        .to_bytes()
        .to_vec();
        cases.push(reject(
            "reject-major-version",
            "§3.1: unknown major version",
            b,
            "UnsupportedVersion",
            8,
        ));
        let b = Header {
            required_features: 0x0004,
            ..Header::CURRENT
        }
        .to_bytes()
        .to_vec();
        cases.push(reject(
            "reject-required-feature",
            "§3.2: unknown required feature bit",
            b,
            "UnknownRequiredFeatures",
            10,
        ));
    }
    {
        let mut b = header();
        b.extend_from_slice(&[0x00, 0x00, 0x01]);
        cases.push(reject(
            "reject-frame-kind-zero",
            "§4.3, §10.3: kind 0x00 followed by written data",
            b,
            "InvalidFrameKind",
            18,
        ));
        let mut b = header();
        let mut f = frame(&b, kind::END, &end_body(0, 0, 0));
        f[1] = 0x13; // length 3 -> 19: the head check no longer matches
        b.extend(f);
        cases.push(reject(
            "reject-frame-head-check",
            "§4.1, §4.3: a damaged length fails the head check",
            b,
            "FrameHeadCheck",
            18,
        ));
        let mut b = header();
        let len = FrameHead::new(kind::BLOCK, (1 << 20) + 1);
        b.extend_from_slice(len.as_bytes());
        b.extend_from_slice(&[0; 16]);
        cases.push(reject(
            "reject-frame-too-large",
            "§4.3, §9: frame length over MAX_FRAME_BODY",
            b,
            "FrameTooLarge",
            19,
        ));
        let mut b = good.clone();
        b[18 + 7] ^= 0x01; // inside the schema frame body
        cases.push(reject(
            "reject-frame-checksum",
            "§4.3: a flipped bit in a frame body",
            b,
            "FrameChecksum",
            18,
        ));
        let mut b = header();
        push(&mut b, 0x05, &[]);
        cases.push(reject(
            "reject-unknown-critical-frame",
            "§4.2: unknown critical kind 0x05",
            b,
            "UnknownCriticalFrame",
            18,
        ));
        let mut b = header();
        push(&mut b, 0x80, &[1]);
        cases.push(reject(
            "reject-unknown-critical-high",
            "§4.2: unknown critical kind 0x80",
            b,
            "UnknownCriticalFrame",
            18,
        ));
    }
    // Metadata.
    let meta_frame = |body: &[u8]| {
        let mut b = header();
        push(&mut b, kind::METADATA, body);
        b
    };
    let body_at = 18 + 5; // after the header and a frame head
    cases.push(reject_description(
        "reject-metadata-count-zero",
        "§5: count is at least 1",
        meta_frame(&[0]),
        "BadCount",
        body_at,
    ));
    cases.push(reject_description(
        "reject-metadata-count-huge",
        "§5, §9: a count the body cannot hold is refused before any work",
        meta_frame(&[
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, b'a',
        ]),
        "BadCount",
        body_at,
    ));
    cases.push(reject_description(
        "reject-metadata-trailing",
        "§5: nothing follows the last entry",
        meta_frame(b"\x01\x03x:a\x01\x01\x01!"),
        "TrailingBytes",
        body_at + 8,
    ));
    cases.push(reject_description(
        "reject-metadata-bool",
        "§5.2: bool is 00 or 01",
        meta_frame(b"\x01\x03x:a\x01\x01\x02"),
        "BadValue",
        body_at + 7,
    ));
    cases.push(reject_description(
        "reject-metadata-uint-extra",
        "§5.2: a uint value holds exactly one varint",
        meta_frame(b"\x01\x03x:a\x02\x02\x05\x00"),
        "BadValue",
        body_at + 7,
    ));
    cases.push(reject_description(
        "reject-metadata-well-known-type",
        "§5.3: producer.vendor must be a str",
        meta_frame(
            &[
                &[1u8, 15][..],
                b"producer.vendor",
                &[value_type::UINT, 1, 7],
            ]
            .concat(),
        ),
        "MetadataValueType",
        body_at + 17,
    ));
    cases.push(reject_description(
        "reject-metadata-value-type-zero",
        "§5.2: value type 0x00",
        meta_frame(b"\x01\x03x:a\x00\x00"),
        "InvalidValueType",
        body_at + 5,
    ));
    cases.push(reject_description(
        "reject-metadata-key-utf8",
        "§2.2, §5: keys are UTF-8",
        meta_frame(b"\x01\x03x:\xC3\x05\x00"),
        "InvalidUtf8",
        body_at + 1,
    ));
    cases.push(reject_description(
        "reject-metadata-key-empty",
        "§5: keys are 1..=255 bytes",
        meta_frame(b"\x01\x00\x05\x00zz"),
        "BadName",
        body_at + 1,
    ));
    cases.push(reject_description(
        "reject-metadata-value-past-body",
        "§5: a value length past the body",
        meta_frame(b"\x01\x03x:a\x05\x7Fab"),
        "BodyTruncated",
        body_at + 7,
    ));
    // Schema.
    {
        let mut b = header();
        push(&mut b, kind::SCHEMA, &schema_body(256, "big", 1));
        cases.push(reject(
            "reject-schema-type-range",
            "§6, §9: record type above 255",
            b,
            "RecordTypeOutOfRange",
            body_at,
        ));
        // The second declaration of type 3; in the second vector its name
        // is invalid too, and the structure checks come first (§6, §10.1).
        for (name, rule, second_body) in [
            (
                "reject-schema-duplicate",
                "§6: a record type is declared once",
                schema_body(3, "b", 1),
            ),
            (
                "reject-schema-duplicate-before-name",
                "§6, §10.1: the record type is checked before the name",
                vec![0x03, 0x00, 0x01],
            ),
        ] {
            let mut b = header();
            push(&mut b, kind::SCHEMA, &schema_body(3, "a", 1));
            let second = b.len();
            push(&mut b, kind::SCHEMA, &second_body);
            cases.push(reject(name, rule, b, "DuplicateRecordType", second + 5));
        }
        let mut b = header();
        push(&mut b, kind::SCHEMA, &[0x01, 0x09, b'a']);
        cases.push(reject_description(
            "reject-schema-name-past-body",
            "§6: name runs past the body",
            b,
            "BodyTruncated",
            body_at + 2,
        ));
        let mut b = header();
        push(
            &mut b,
            kind::SCHEMA,
            &[0x01, 0x01, b'a', 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
        );
        cases.push(reject_description(
            "reject-schema-version-overflow",
            "§2.2, §6: version is a varint(u32)",
            b,
            "BadVarint",
            body_at + 3,
        ));
        // A faulty description amid intact records: a verifier refuses the
        // container at the definition; a reader that only hands out records
        // reads all three and the end frame (§10.1).
        let mut b = header();
        push(&mut b, kind::SCHEMA, &schema_body(0, "a", 1));
        push(&mut b, kind::BLOCK, &block_body(0, 1, 1, 0, &[], &[1]));
        let mut body = schema_body(1, "b", 1);
        let def_at = b.len() + 5 + body.len();
        body.push(0x1C); // a reserved tag (schema.md §2)
        push(&mut b, kind::SCHEMA, &body);
        push(&mut b, kind::BLOCK, &block_body(0, 2, 1, 0, &[], &[2, 3]));
        push(&mut b, kind::END, &end_body(4, 2, 3));
        cases.push(reject_description(
            "reject-def-amid-records",
            "§6, §10.1: a faulty definition after a block; the records around it are intact",
            b,
            "BadTag",
            def_at,
        ));
    }
    // Blocks.
    let with_schema = || {
        let mut b = header();
        push(&mut b, kind::SCHEMA, &schema_body(0, "b", 1));
        b
    };
    let block_at = with_schema().len() + 5;
    {
        let mut b = header();
        push(&mut b, kind::BLOCK, &block_body(0, 1, 1, 0, &[], &[1]));
        cases.push(reject(
            "reject-block-undeclared",
            "§7: a block's record type must be declared first",
            b,
            "UndeclaredRecordType",
            body_at,
        ));
        // Three blocks: the chained checksums (§4.1) catch a block removed or
        // two blocks swapped, though every frame is intact on its own.
        let mut three = with_schema();
        let mut starts = vec![];
        for v in [1u8, 2, 3] {
            starts.push(three.len());
            push(&mut three, kind::BLOCK, &block_body(0, 1, 1, 0, &[], &[v]));
        }
        let end = three.len();
        let mut b = three[..starts[1]].to_vec();
        b.extend_from_slice(&three[starts[2]..end]);
        cases.push(reject(
            "reject-block-removed",
            "§4.1: a frame removed from the middle breaks the next frame's checksum chain",
            b,
            "FrameChecksum",
            starts[1],
        ));
        let mut b = three[..starts[1]].to_vec();
        b.extend_from_slice(&three[starts[2]..end]);
        b.extend_from_slice(&three[starts[1]..starts[2]]);
        cases.push(reject(
            "reject-blocks-swapped",
            "§4.1: frames moved out of order break the checksum chain",
            b,
            "FrameChecksum",
            starts[1],
        ));
        let mut b = with_schema();
        push(&mut b, kind::BLOCK, &block_body(0, 0, 0, 0, &[], &[]));
        cases.push(reject(
            "reject-block-count-zero",
            "§7: a block holds at least one record",
            b,
            "BadCount",
            block_at + 1,
        ));
        let mut b = with_schema();
        push(&mut b, kind::BLOCK, &block_body(0, 65_536, 0, 0, &[], &[]));
        cases.push(reject(
            "reject-block-count-limit",
            "§7, §9: count over MAX_BLOCK_RECORDS",
            b,
            "BadCount",
            block_at + 1,
        ));
        let mut b = with_schema();
        push(
            &mut b,
            kind::BLOCK,
            &block_body(0, 1, 0, 17, &[0, 0, 0], &[]),
        );
        cases.push(reject(
            "reject-block-width",
            "§7: width at most 16",
            b,
            "BadWidth",
            block_at + 3,
        ));
        let mut b = with_schema();
        push(&mut b, kind::BLOCK, &block_body(0, 1, 1, 1, &[0b10], &[1]));
        cases.push(reject(
            "reject-block-padding",
            "§7: unused table bits are zero",
            b,
            "TablePadding",
            block_at + 4,
        ));
        let mut b = with_schema();
        push(
            &mut b,
            kind::BLOCK,
            &block_body(0, 2, 1, 0, &[], &[1, 2, 3]),
        );
        cases.push(reject(
            "reject-block-length-mismatch",
            "§7: lengths add up to the payload bytes",
            b,
            "LengthMismatch",
            block_at + 4,
        ));
        let mut b = with_schema();
        push(&mut b, kind::BLOCK, &block_body(0, 1, 65_535, 1, &[1], &[]));
        cases.push(reject(
            "reject-block-record-too-large",
            "§7, §9: base_len + delta over MAX_RECORD_LEN",
            b,
            "RecordTooLarge",
            block_at + 6,
        ));
        let mut b = with_schema();
        push(&mut b, kind::BLOCK, &[0x00, 0x80]);
        cases.push(reject(
            "reject-block-varint-truncated",
            "§7: the count runs past the body",
            b,
            "BodyTruncated",
            block_at + 1,
        ));
        let mut b = with_schema();
        push(&mut b, kind::BLOCK, &block_body(0, 3, 1, 8, &[0, 1], &[]));
        cases.push(reject(
            "reject-block-table-truncated",
            "§7 rule 5: a table of 3 deltas of 8 bits runs past the body",
            b,
            "BodyTruncated",
            block_at + 4,
        ));
    }
    // End.
    {
        let mut b = good[..end_at].to_vec();
        push(&mut b, kind::END, &end_body(2, 1, 2));
        cases.push(reject(
            "reject-end-totals",
            "§8: totals must match",
            b,
            "EndTotals",
            end_at + 5,
        ));
        let mut b = good.clone();
        b.push(0x2A);
        cases.push(reject(
            "reject-data-after-end",
            "§8: nothing follows the end frame",
            b,
            "DataAfterEnd",
            good.len(),
        ));
        let mut b = good[..end_at].to_vec();
        push(&mut b, kind::END, &[2, 1, 1, 0]);
        cases.push(reject(
            "reject-end-trailing",
            "§8: the end body holds three varints",
            b,
            "TrailingBytes",
            end_at + 8,
        ));
        let mut b = good[..end_at].to_vec();
        push(&mut b, kind::END, &[2, 1]);
        cases.push(reject(
            "reject-end-truncated",
            "§8: the third total is missing",
            b,
            "BodyTruncated",
            end_at + 7,
        ));
    }
    cases.push(payload_errors());
    // A faulty description, then a fault of the structure (§10.1): a
    // verifier stops at the description; a reader that only hands out
    // records reads past it and stops at the undeclared block.
    {
        let mut b = header();
        push(&mut b, kind::METADATA, b"\x01\x03x:a\x01\x01\x02");
        let value_at = header().len() + 5 + 7;
        push(&mut b, kind::BLOCK, &block_body(0, 1, 1, 0, &[], &[1]));
        cases.push(reject_description(
            "reject-description-then-structure",
            "§10.1: a bad metadata value, then a block of an undeclared type (a records-only reader stops at the block)",
            b,
            "BadValue",
            value_at,
        ));
    }
    cases
}

/// `valid-payload-errors`: a complete container whose records include one of
/// each payload error kind of spec `format.md` §10.4, and a good record. A
/// payload error is an error of the record, not of the container (§7): the
/// container reads complete, and each faulty record carries `"error"` with
/// the kind and the file offset §10.4 gives (§13) — for `PayloadTruncated`
/// the end of the payload (not the value that runs out, one byte earlier),
/// for `PayloadInvalid` the record's first byte (not the bool, one byte
/// later), for `PayloadTrailingBytes` the first byte left over.
///
/// Each record is of its own record type, declared just before its block;
/// every block holds one record with `base_len` its length and width 0, so
/// its payload starts 4 bytes into the block body (record_type, count,
/// base_len, width; no delta table).
fn payload_errors() -> Case {
    // (u8, u32) and (u8, bool): a tuple of two elements (schema.md §2).
    const U8_U32: [u8; 4] = [0x16, 0x02, 0x02, 0x04];
    const U8_BOOL: [u8; 4] = [0x16, 0x02, 0x02, 0x01];
    let mut bytes = header();
    let mut schemas = vec![];
    let mut records = vec![];
    for (t, (def, payload, fault)) in [
        // The u32 is `80`: its continuation bit is set at the end of the
        // payload, before the 5 bytes a u32 may take (schema.md §6).
        (&U8_U32, &[0x07, 0x80][..], Some("PayloadTruncated")),
        // The bool is `02`, neither `00` nor `01`.
        (&U8_BOOL, &[0x07, 0x02][..], Some("PayloadInvalid")),
        // (7, true), then `09` left over.
        (
            &U8_BOOL,
            &[0x07, 0x01, 0x09][..],
            Some("PayloadTrailingBytes"),
        ),
        // (7, true).
        (&U8_BOOL, &[0x07, 0x01][..], None),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("t{t}");
        push(
            &mut bytes,
            kind::SCHEMA,
            &[schema_body(t as u64, &name, 1), def.to_vec()].concat(),
        );
        schemas.push(schema_json(t as u8, &name, 1, def));
        // The record's first byte: after the frame head (5 bytes) and the
        // block fields (4 bytes).
        let first = bytes.len() + 5 + 4;
        let len = payload.len();
        push(
            &mut bytes,
            kind::BLOCK,
            &block_body(t as u64, 1, len as u64, 0, &[], payload),
        );
        let mut rec = json!({ "record_type": t, "index": t, "payload": hex(payload) });
        match fault {
            Some(kind) => {
                let offset = match kind {
                    "PayloadTruncated" => first + len, // the end of the payload
                    "PayloadInvalid" => first,         // the record's first byte
                    _ => first + 2,                    // after (7, true)
                };
                rec["error"] = json!({ "kind": kind, "offset": offset });
            }
            None => rec["json"] = json!("[7,true]"),
        }
        records.push(rec);
    }
    push(&mut bytes, kind::END, &end_body(8, 4, 4));
    Case {
        name: "valid-payload-errors",
        rule: "§7, §10.4, §13: a record whose payload does not follow its definition is an error of the record, not of the container: one PayloadTruncated (offset: the end of the payload), one PayloadInvalid (the record's first byte), one PayloadTrailingBytes (the first byte left over), and a good record",
        bytes,
        expect: json!({
            "outcome": "complete",
            "totals": {"frames": 8, "blocks": 4, "records": 4},
            "metadata": [],
            "schemas": schemas,
            "records": records,
        }),
    }
}

/// Serialises the vector's expectation exactly as stored in `<name>.json`.
/// Files in folders of `spec/vectors/`, not vectors, by path:
/// `27560/disclosure-derived.json` (`disclosure.md` §8).
pub fn extra_files() -> Vec<(String, Vec<u8>)> {
    disclosure::extra_files()
}

pub fn expectation_text(case: &Case) -> String {
    let mut obj = serde_json::Map::new();
    obj.insert("rule".into(), json!(case.rule));
    if let Json::Object(m) = &case.expect {
        for (k, v) in m {
            obj.insert(k.clone(), v.clone());
        }
    }
    let mut s = serde_json::to_string_pretty(&Json::Object(obj)).unwrap();
    s.push('\n');
    s
}
