//! koffer against the alternatives on the wearable data set (100,000
//! one-second samples + 200 events, `tests/data/wearable.rs`), measured side
//! by side in one process:
//!
//! - size of the encoded data set;
//! - encode (typed, streaming; koffer from a 4 KiB and a 256-byte block
//!   buffer), typed decode, borrowed and owned (koffer exactly as the README
//!   teaches it: a `Decoder` per type and one walk over `blocks()`, each
//!   block handed to `Decoder::decode_each`, checksums verified; also record
//!   at a time over `records()` and the per-type `typed::<T>()` iterators),
//!   koffer's zero-copy
//!   iteration without decoding,
//!   verify-only against `memcpy` of the same bytes, and NDJSON export
//!   (koffer by the definitions in the file, against a program that knows the
//!   types and writes the same lines with serde_json);
//! - for raw postcard (no framing: the floor), an Avro object container
//!   (apache-avro, no codec), MessagePack (rmp-serde, structs as arrays), CBOR
//!   (minicbor-serde, field names) and JSON lines (serde_json).
//!
//! ```text
//! cargo bench --bench peers            # the tables, as in BENCHMARKS.md
//! KOFFER_BENCH_ROUNDS=51 cargo bench --bench peers
//! KOFFER_BENCH_ONLY="encode: koffer" cargo bench --bench peers   # one case, for a profiler
//! ```
//!
//! Why not divan or criterion here: the results are ratios, and on a shared
//! machine two benchmarks measured one after the other see different
//! neighbours. This harness interleaves the cases: every round runs each case
//! once (the order rotating from round to round), and a case's time is its
//! minimum over the rounds, the run least disturbed by the rest of the
//! machine. Before timing, every decoder's output is compared with the data
//! set and every encoder's with what its decoder reads back.

#[path = "../tests/data/wearable.rs"]
mod wearable;

use std::hint::black_box;
use std::time::{Duration, Instant};

use koffer::json::Exporter;
use koffer::read::Reader;
use koffer::write::Writer;
use serde::{Deserialize, Serialize};
use wearable::{Activity, Event, Record, Sample, EVENT, SAMPLE};

fn main() {
    let rounds: usize = std::env::var("KOFFER_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(21);
    let records = wearable::records();
    let n = records.len();
    let d = Data::new(&records);
    d.check(&records);

    println!(
        "wearable data set: {} records ({} samples, {} events); {rounds} interleaved rounds",
        n,
        wearable::SAMPLES,
        wearable::EVENTS
    );
    size_table(&d, n);
    let results = measure(&d, &records, rounds);
    time_tables(&results, &d, n);
}

/// The data set in every encoding.
struct Data {
    postcard: Vec<u8>,
    /// koffer from a 4 KiB block buffer, with both schemas (the host's choice).
    koffer: Vec<u8>,
    /// koffer from a 256-byte block buffer (a small device's choice).
    koffer_256: Vec<u8>,
    avro: Vec<u8>,
    msgpack: Vec<u8>,
    cbor: Vec<u8>,
    json: Vec<u8>,
    avro_schema: apache_avro::Schema,
}

impl Data {
    fn new(records: &[Record<'_>]) -> Data {
        let avro_schema = apache_avro::Schema::parse_str(AVRO_SCHEMA).expect("the Avro schema");
        let mut postcard = vec![0u8; records.len() * 64];
        let len = encode_postcard(records, &mut postcard);
        postcard.truncate(len);
        let mut d = Data {
            postcard,
            koffer: encode_koffer(records, Vec::new(), &mut [0u8; 4096]),
            koffer_256: encode_koffer(records, Vec::new(), &mut [0u8; 256]),
            avro: Vec::new(),
            msgpack: Vec::new(),
            cbor: Vec::new(),
            json: Vec::new(),
            avro_schema,
        };
        d.avro = encode_avro(records, &d.avro_schema, Vec::new());
        encode_msgpack(records, &mut d.msgpack);
        encode_cbor(records, &mut d.cbor);
        encode_json(records, &mut d.json);
        d
    }

    /// Every decoder reads back exactly the data set; both NDJSON programs
    /// write the same bytes.
    fn check(&self, records: &[Record<'_>]) {
        let mut seen = Vec::new();
        decode_postcard(&self.postcard, records, |r| seen.push(r));
        assert!(seen == records, "postcard round trip");
        for (name, bytes) in [("koffer", &self.koffer), ("koffer 256", &self.koffer_256)] {
            let mut seen = Vec::new();
            decode_koffer(bytes, |r| seen.push(r));
            assert!(seen == records, "{name} round trip");
            let mut seen = Vec::new();
            decode_koffer_records(bytes, |r| seen.push(r));
            assert!(seen == records, "{name} record-at-a-time round trip");
            let summary = Reader::new(bytes).unwrap().verify().unwrap();
            assert!(summary.is_complete() && summary.counted.records == records.len() as u64);
        }
        for (name, bytes) in [("koffer", &self.koffer), ("koffer 256", &self.koffer_256)] {
            let mut seen = Vec::new();
            decode_koffer_per_type(bytes, |r| seen.push(r));
            let (mut samples, mut events): (Vec<_>, Vec<_>) = records
                .iter()
                .cloned()
                .partition(|r| matches!(r, Record::Sample(_)));
            samples.append(&mut events);
            assert!(seen == samples, "{name} per-type round trip");
            let (mut a, mut b) = (Vec::new(), Vec::new());
            decode_koffer_owned(bytes, |r| a.push(r.touch()));
            decode_postcard_owned(&self.postcard, records, |r| b.push(r.touch()));
            assert!(
                a == b && a.len() == records.len(),
                "{name} owned round trip"
            );
        }
        let mut c = Vec::new();
        decode_msgpack_owned(&self.msgpack, records, |r| c.push(r.touch()));
        assert!(c.len() == records.len(), "msgpack owned");
        let mut owned = Vec::new();
        decode_avro(&self.avro, |r| owned.push(r));
        assert!(owned.len() == records.len(), "avro record count");
        for (a, b) in owned.iter().zip(records) {
            assert!(a.borrowed() == *b, "avro round trip");
        }
        for (name, bytes, decode) in [
            ("msgpack", &self.msgpack, decode_msgpack as DecodeFn),
            ("cbor", &self.cbor, decode_cbor),
            ("json", &self.json, decode_json),
        ] {
            let mut seen = Vec::new();
            decode(bytes, records, &mut |r| seen.push(r));
            assert!(seen == records, "{name} round trip");
        }
        let (mut typed, mut dynamic) = (Vec::new(), Vec::new());
        ndjson_typed(&self.koffer, &mut typed);
        ndjson_dynamic(&self.koffer, &mut dynamic);
        assert!(typed == dynamic, "typed and dynamic NDJSON differ");
        assert_eq!(
            typed.iter().filter(|&&c| c == b'\n').count(),
            records.len(),
            "one NDJSON line per record"
        );
    }
}

// ---------------------------------------------------------------------------
// The encoders. Each writes the whole data set, in order.

fn encode_postcard(records: &[Record<'_>], out: &mut [u8]) -> usize {
    let mut pos = 0;
    for r in records {
        let rest = &mut out[pos..];
        pos += match r {
            Record::Sample(s) => postcard::to_slice(s, rest).unwrap().len(),
            Record::Event(e) => postcard::to_slice(e, rest).unwrap().len(),
        };
    }
    pos
}

fn encode_koffer(records: &[Record<'_>], sink: Vec<u8>, buf: &mut [u8]) -> Vec<u8> {
    let mut w = Writer::new(sink, buf).unwrap();
    let samples = w.declare_type::<Sample<'static>>(SAMPLE).unwrap();
    let events = w.declare_type::<Event<'static>>(EVENT).unwrap();
    for r in records {
        match r {
            Record::Sample(s) => w.write(samples, s).unwrap(),
            Record::Event(e) => w.write(events, e).unwrap(),
        }
    }
    w.finish().unwrap()
}

/// One Avro object container: the schema is a union of the two record types.
const AVRO_SCHEMA: &str = r#"[
  {"type": "record", "name": "Sample", "fields": [
    {"name": "timestamp_ms", "type": "long"},
    {"name": "heart_rate", "type": "int"},
    {"name": "steps", "type": "int"},
    {"name": "lat", "type": "double"},
    {"name": "lon", "type": "double"},
    {"name": "battery_pct", "type": "int"},
    {"name": "activity", "type": {"type": "enum", "name": "Activity",
      "symbols": ["Rest", "Walk", "Run", "Cycle"]}},
    {"name": "note", "type": ["null", "string"]}]},
  {"type": "record", "name": "Event", "fields": [
    {"name": "timestamp_ms", "type": "long"},
    {"name": "kind", "type": "string"},
    {"name": "detail", "type": "string"}]}
]"#;

/// A record as Avro's serde mapping sees it: a union branch per record type,
/// with Avro's integer types (Avro has no unsigned ones).
#[derive(Serialize)]
enum AvroRecord<'a> {
    Sample(AvroSample<'a>),
    Event(AvroEvent<'a>),
}

#[derive(Serialize)]
struct AvroSample<'a> {
    timestamp_ms: i64,
    heart_rate: i32,
    steps: i32,
    lat: f64,
    lon: f64,
    battery_pct: i32,
    activity: Activity,
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct AvroEvent<'a> {
    timestamp_ms: i64,
    kind: &'a str,
    detail: &'a str,
}

fn avro_record<'a>(r: &Record<'a>) -> AvroRecord<'a> {
    match *r {
        Record::Sample(ref s) => AvroRecord::Sample(AvroSample {
            timestamp_ms: s.timestamp_ms as i64,
            heart_rate: i32::from(s.heart_rate),
            steps: i32::from(s.steps),
            lat: s.lat,
            lon: s.lon,
            battery_pct: i32::from(s.battery_pct),
            activity: s.activity,
            note: s.note,
        }),
        Record::Event(ref e) => AvroRecord::Event(AvroEvent {
            timestamp_ms: e.timestamp_ms as i64,
            kind: e.kind,
            detail: e.detail,
        }),
    }
}

/// Through Avro's schema-aware serde serializer (`append_ser`), its fastest
/// typed path.
fn encode_avro(records: &[Record<'_>], schema: &apache_avro::Schema, sink: Vec<u8>) -> Vec<u8> {
    let mut w = apache_avro::Writer::new(schema, sink).unwrap();
    for r in records {
        w.append_ser(avro_record(r)).unwrap();
    }
    w.into_inner().unwrap()
}

fn encode_msgpack(records: &[Record<'_>], out: &mut Vec<u8>) {
    for r in records {
        match r {
            Record::Sample(s) => rmp_serde::encode::write(out, s).unwrap(),
            Record::Event(e) => rmp_serde::encode::write(out, e).unwrap(),
        }
    }
}

fn encode_cbor(records: &[Record<'_>], out: &mut Vec<u8>) {
    let mut ser = minicbor_serde::Serializer::new(out);
    for r in records {
        match r {
            Record::Sample(s) => s.serialize(&mut ser).unwrap(),
            Record::Event(e) => e.serialize(&mut ser).unwrap(),
        }
    }
}

fn encode_json(records: &[Record<'_>], out: &mut Vec<u8>) {
    for r in records {
        match r {
            Record::Sample(s) => serde_json::to_writer(&mut *out, s).unwrap(),
            Record::Event(e) => serde_json::to_writer(&mut *out, e).unwrap(),
        }
        out.push(b'\n');
    }
}

// ---------------------------------------------------------------------------
// The decoders. Each hands every record, decoded into the Rust types, to
// `f`. Formats without framing or type tags (postcard, MessagePack, CBOR,
// JSON as written here) are decoded in the known order of record types, as
// their users would have to; koffer and Avro say each record's type.

type DecodeFn = for<'a> fn(&'a [u8], &[Record<'_>], &mut dyn FnMut(Record<'a>));

fn decode_postcard<'a>(bytes: &'a [u8], order: &[Record<'_>], mut f: impl FnMut(Record<'a>)) {
    let mut rest = bytes;
    for r in order {
        match r {
            Record::Sample(_) => {
                let (s, tail) = postcard::take_from_bytes::<Sample>(rest).unwrap();
                f(Record::Sample(s));
                rest = tail;
            }
            Record::Event(_) => {
                let (e, tail) = postcard::take_from_bytes::<Event>(rest).unwrap();
                f(Record::Event(e));
                rest = tail;
            }
        }
    }
}

/// Typed decoding of both record types, interleaved as written, exactly as
/// the README teaches it: a `Decoder` per type (the file's schemas matched
/// with the Rust types once, by name and fingerprint), then one walk over
/// `blocks()` (every block's checksum verified before its records are
/// decoded), each block handed to the decoders.
fn decode_koffer<'a>(bytes: &'a [u8], mut f: impl FnMut(Record<'a>)) {
    let reader = Reader::new(bytes).unwrap();
    let samples = reader.decoder::<Sample>().unwrap();
    let events = reader.decoder::<Event>().unwrap();
    for block in reader.blocks() {
        let block = block.unwrap();
        samples
            .decode_each(&block, |s| f(Record::Sample(s)))
            .unwrap();
        events.decode_each(&block, |e| f(Record::Event(e))).unwrap();
    }
}

/// Record at a time: one walk over `records()`, each record handed to the
/// decoders (`Decoder::decode`), as the README taught before `blocks()`.
fn decode_koffer_records<'a>(bytes: &'a [u8], mut f: impl FnMut(Record<'a>)) {
    decode_koffer_indexed(bytes, |_, _, r| f(r));
}

/// An owned record as Avro's reader returns it (its values own their strings).
#[derive(Deserialize)]
#[serde(rename = "Sample")]
struct OwnedSample {
    timestamp_ms: i64,
    heart_rate: i32,
    steps: i32,
    lat: f64,
    lon: f64,
    battery_pct: i32,
    activity: Activity,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename = "Event")]
struct OwnedEvent {
    timestamp_ms: i64,
    kind: String,
    detail: String,
}

#[derive(Deserialize)]
enum Owned {
    Sample(OwnedSample),
    Event(OwnedEvent),
}

impl Owned {
    fn borrowed(&self) -> Record<'_> {
        match self {
            Owned::Sample(s) => Record::Sample(Sample {
                timestamp_ms: s.timestamp_ms as u64,
                heart_rate: s.heart_rate as u8,
                steps: s.steps as u16,
                lat: s.lat,
                lon: s.lon,
                battery_pct: s.battery_pct as u8,
                activity: s.activity,
                note: s.note.as_deref(),
            }),
            Owned::Event(e) => Record::Event(Event {
                timestamp_ms: e.timestamp_ms as u64,
                kind: &e.kind,
                detail: &e.detail,
            }),
        }
    }
}

/// Through Avro's schema-aware serde deserializer; its values own their strings.
fn decode_avro(bytes: &[u8], mut f: impl FnMut(Owned)) {
    let reader = apache_avro::Reader::new(bytes).unwrap();
    for r in reader.into_deser_iter::<Owned>() {
        f(r.unwrap());
    }
}

/// Decodes records one after another in `order` from a serde deserializer.
macro_rules! decode_in_order {
    ($de:expr, $order:expr, $f:expr) => {{
        let de = $de;
        for r in $order {
            match r {
                Record::Sample(_) => $f(Record::Sample(Sample::deserialize(&mut *de).unwrap())),
                Record::Event(_) => $f(Record::Event(Event::deserialize(&mut *de).unwrap())),
            }
        }
    }};
}

fn decode_msgpack<'a>(bytes: &'a [u8], order: &[Record<'_>], f: &mut dyn FnMut(Record<'a>)) {
    decode_in_order!(&mut rmp_serde::Deserializer::from_read_ref(bytes), order, f)
}

fn decode_cbor<'a>(bytes: &'a [u8], order: &[Record<'_>], f: &mut dyn FnMut(Record<'a>)) {
    decode_in_order!(&mut minicbor_serde::Deserializer::new(bytes), order, f)
}

fn decode_json<'a>(bytes: &'a [u8], order: &[Record<'_>], f: &mut dyn FnMut(Record<'a>)) {
    decode_in_order!(&mut serde_json::Deserializer::from_slice(bytes), order, f)
}

// ---------------------------------------------------------------------------
// NDJSON export: one line per record, `{"type":…,"record_type":…,"index":…,"value":…}`,
// as `koffer export --format ndjson` writes it (spec `export-json.md` §7).

#[derive(Serialize)]
struct Line<'a, T> {
    #[serde(rename = "type")]
    ty: &'a str,
    record_type: u8,
    index: u64,
    value: T,
}

/// A program that knows the record types: koffer's typed decoding, then serde_json.
fn ndjson_typed(bytes: &[u8], out: &mut Vec<u8>) {
    decode_koffer_indexed(bytes, |record_type, index, r| {
        match r {
            Record::Sample(value) => serde_json::to_writer(
                &mut *out,
                &Line {
                    ty: "sample",
                    record_type,
                    index,
                    value,
                },
            ),
            Record::Event(value) => serde_json::to_writer(
                &mut *out,
                &Line {
                    ty: "event",
                    record_type,
                    index,
                    value,
                },
            ),
        }
        .unwrap();
        out.push(b'\n');
    });
}

/// Typed decoding record at a time, with each record's index: a `Decoder`
/// per type, then one walk over `records()` handing every record to the
/// decoders (`Decoder::decode`).
fn decode_koffer_indexed<'a>(bytes: &'a [u8], mut f: impl FnMut(u8, u64, Record<'a>)) {
    let reader = Reader::new(bytes).unwrap();
    let samples = reader.decoder::<Sample>().unwrap();
    let events = reader.decoder::<Event>().unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        if let Some(s) = samples.decode(&record).unwrap() {
            f(record.record_type, record.index, Record::Sample(s));
        } else if let Some(e) = events.decode(&record).unwrap() {
            f(record.record_type, record.index, Record::Event(e));
        }
    }
}

/// The same with owned values (`String` fields), as a program that keeps
/// the records after the bytes are gone.
fn decode_koffer_owned(bytes: &[u8], mut f: impl FnMut(owned::Record)) {
    let reader = Reader::new(bytes).unwrap();
    let samples = reader.decoder::<owned::Sample>().unwrap();
    let events = reader.decoder::<owned::Event>().unwrap();
    assert!(!samples.is_evolved() && !events.is_evolved());
    for block in reader.blocks() {
        let block = block.unwrap();
        samples
            .decode_each(&block, |s| f(owned::Record::Sample(s)))
            .unwrap();
        events
            .decode_each(&block, |e| f(owned::Record::Event(e)))
            .unwrap();
    }
}

/// One iterator per type, one after the other (`reader.typed::<T>()`): two
/// walks, each passing over the other type's blocks whole.
fn decode_koffer_per_type<'a>(bytes: &'a [u8], mut f: impl FnMut(Record<'a>)) {
    let reader = Reader::new(bytes).unwrap();
    for s in reader.typed::<Sample>().unwrap() {
        f(Record::Sample(s.unwrap()));
    }
    for e in reader.typed::<Event>().unwrap() {
        f(Record::Event(e.unwrap()));
    }
}

fn decode_postcard_owned(bytes: &[u8], order: &[Record<'_>], mut f: impl FnMut(owned::Record)) {
    let mut rest = bytes;
    for r in order {
        match r {
            Record::Sample(_) => {
                let (s, tail) = postcard::take_from_bytes::<owned::Sample>(rest).unwrap();
                f(owned::Record::Sample(s));
                rest = tail;
            }
            Record::Event(_) => {
                let (e, tail) = postcard::take_from_bytes::<owned::Event>(rest).unwrap();
                f(owned::Record::Event(e));
                rest = tail;
            }
        }
    }
}

fn decode_msgpack_owned(bytes: &[u8], order: &[Record<'_>], mut f: impl FnMut(owned::Record)) {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    for r in order {
        match r {
            Record::Sample(_) => f(owned::Record::Sample(
                owned::Sample::deserialize(&mut de).unwrap(),
            )),
            Record::Event(_) => f(owned::Record::Event(
                owned::Event::deserialize(&mut de).unwrap(),
            )),
        }
    }
}

/// The data set's record types with owned strings: the same schemas.
mod owned {
    use super::wearable::Activity;
    use serde::Deserialize;

    #[derive(Deserialize, koffer::Describe, Debug, PartialEq)]
    #[koffer(record = "sample", version = 1)]
    pub struct Sample {
        #[koffer(unit = "ms", time = "unix")]
        pub timestamp_ms: u64,
        #[koffer(unit = "1/min")]
        pub heart_rate: u8,
        #[koffer(unit = "{steps}")]
        pub steps: u16,
        #[koffer(unit = "lat")]
        pub lat: f64,
        #[koffer(unit = "lon")]
        pub lon: f64,
        #[koffer(unit = "%")]
        pub battery_pct: u8,
        pub activity: Activity,
        pub note: Option<String>,
    }

    #[derive(Deserialize, koffer::Describe, Debug, PartialEq)]
    #[koffer(record = "event", version = 1)]
    pub struct Event {
        #[koffer(unit = "ms", time = "unix")]
        pub timestamp_ms: u64,
        pub kind: String,
        pub detail: String,
    }

    pub enum Record {
        Sample(Sample),
        Event(Event),
    }

    impl Record {
        pub fn touch(&self) -> usize {
            match self {
                Record::Sample(s) => {
                    usize::from(s.heart_rate) + s.note.as_ref().map_or(0, String::len)
                }
                Record::Event(e) => e.kind.len(),
            }
        }
    }
}

/// koffer knowing nothing but the file: an exporter per record type, built
/// from the definitions the container carries.
fn ndjson_dynamic(bytes: &[u8], out: &mut Vec<u8>) {
    let reader = Reader::new(bytes).unwrap();
    let mut exporters: Vec<Option<(Exporter, Vec<u8>)>> = (0..256).map(|_| None).collect();
    for s in reader.schemas() {
        let s = s.unwrap();
        let prefix = format!(
            "{{\"type\":{:?},\"record_type\":{},\"index\":",
            s.name, s.record_type
        )
        .into_bytes();
        let root = s.definition().unwrap().root().unwrap();
        exporters[usize::from(s.record_type)] = Some((Exporter::new(root), prefix));
    }
    let mut digits = itoa::Buffer::new();
    for r in reader.records() {
        let r = r.unwrap();
        let (exporter, prefix) = exporters[usize::from(r.record_type)].as_ref().unwrap();
        out.extend_from_slice(prefix);
        out.extend_from_slice(digits.format(r.index).as_bytes());
        out.extend_from_slice(b",\"value\":");
        exporter.append(r.payload, out).unwrap();
        out.extend_from_slice(b"}\n");
    }
}

// ---------------------------------------------------------------------------
// Measuring.

/// A timed case: what it measures and a pass over the whole data set.
struct Case<'d> {
    group: &'static str,
    name: &'static str,
    run: Box<dyn FnMut() -> usize + 'd>,
}

fn case<'d>(group: &'static str, name: &'static str, run: impl FnMut() -> usize + 'd) -> Case<'d> {
    Case {
        group,
        name,
        run: Box::new(run),
    }
}

struct Timing {
    group: &'static str,
    name: &'static str,
    min: Duration,
    median: Duration,
}

fn measure(d: &Data, records: &[Record<'_>], rounds: usize) -> Vec<Timing> {
    let mut out_postcard = vec![0u8; d.postcard.len() + 64];
    let mut out_koffer = Vec::with_capacity(d.koffer.len());
    let mut out_avro = Vec::with_capacity(d.avro.len());
    let mut out_msgpack = Vec::with_capacity(d.msgpack.len());
    let mut out_cbor = Vec::with_capacity(d.cbor.len());
    let mut out_json = Vec::with_capacity(d.json.len());
    let mut out_ndjson_typed = Vec::with_capacity(d.json.len() * 2);
    let mut out_ndjson_dynamic = Vec::with_capacity(d.json.len() * 2);
    let mut memcpy_dst = vec![0u8; d.koffer.len()];
    let mut block = vec![0u8; 4096];
    let mut out_koffer_256 = Vec::with_capacity(d.koffer_256.len());
    let mut block_256 = vec![0u8; 256];
    let r = black_box(records);
    // Sums of a field of every decoded record keep the decoding from being optimised away.
    fn touch(r: &Record<'_>) -> usize {
        match r {
            Record::Sample(s) => usize::from(s.heart_rate),
            Record::Event(e) => e.kind.len(),
        }
    }
    let mut cases = vec![
        case("encode", "postcard (raw)", || {
            encode_postcard(r, &mut out_postcard)
        }),
        case("encode", "koffer", || {
            let mut sink = std::mem::take(&mut out_koffer);
            sink.clear();
            out_koffer = encode_koffer(r, sink, &mut block);
            out_koffer.len()
        }),
        case("encode", "koffer, 256 B block buffer", || {
            let mut sink = std::mem::take(&mut out_koffer_256);
            sink.clear();
            out_koffer_256 = encode_koffer(r, sink, &mut block_256);
            out_koffer_256.len()
        }),
        case("encode", "Avro container", || {
            let mut sink = std::mem::take(&mut out_avro);
            sink.clear();
            out_avro = encode_avro(r, &d.avro_schema, sink);
            out_avro.len()
        }),
        case("encode", "MessagePack", || {
            out_msgpack.clear();
            encode_msgpack(r, &mut out_msgpack);
            out_msgpack.len()
        }),
        case("encode", "CBOR", || {
            out_cbor.clear();
            encode_cbor(r, &mut out_cbor);
            out_cbor.len()
        }),
        case("encode", "JSON lines", || {
            out_json.clear();
            encode_json(r, &mut out_json);
            out_json.len()
        }),
        case("decode", "postcard (raw)", || {
            let mut sum = 0;
            decode_postcard(black_box(&d.postcard), r, |x| sum += touch(&x));
            sum
        }),
        case(
            "decode",
            "koffer: record at a time (decoders + records())",
            || {
                let mut sum = 0;
                decode_koffer_records(black_box(&d.koffer), |x| sum += touch(&x));
                sum
            },
        ),
        case(
            "decode",
            "koffer: README (decoders + blocks()), checksums verified",
            || {
                let mut sum = 0;
                decode_koffer(black_box(&d.koffer), |x| sum += touch(&x));
                sum
            },
        ),
        case("decode", "koffer: README, 256 B block buffer", || {
            let mut sum = 0;
            decode_koffer(black_box(&d.koffer_256), |x| sum += touch(&x));
            sum
        }),
        case(
            "decode",
            "koffer: typed::<Sample>() then typed::<Event>()",
            || {
                let mut sum = 0;
                decode_koffer_per_type(black_box(&d.koffer), |x| sum += touch(&x));
                sum
            },
        ),
        case("decode owned", "postcard (raw)", || {
            let mut sum = 0;
            decode_postcard_owned(black_box(&d.postcard), r, |x| sum += x.touch());
            sum
        }),
        case(
            "decode owned",
            "koffer: README (decoders + blocks())",
            || {
                let mut sum = 0;
                decode_koffer_owned(black_box(&d.koffer), |x| sum += x.touch());
                sum
            },
        ),
        case("decode owned", "koffer: README, 256 B block buffer", || {
            let mut sum = 0;
            decode_koffer_owned(black_box(&d.koffer_256), |x| sum += x.touch());
            sum
        }),
        case("decode owned", "MessagePack", || {
            let mut sum = 0;
            decode_msgpack_owned(black_box(&d.msgpack), r, |x| sum += x.touch());
            sum
        }),
        case("decode", "Avro container", || {
            let mut sum = 0;
            decode_avro(black_box(&d.avro), |x| sum += touch(&x.borrowed()));
            sum
        }),
        case("decode", "MessagePack", || {
            let mut sum = 0;
            decode_msgpack(black_box(&d.msgpack), r, &mut |x| sum += touch(&x));
            sum
        }),
        case("decode", "CBOR", || {
            let mut sum = 0;
            decode_cbor(black_box(&d.cbor), r, &mut |x| sum += touch(&x));
            sum
        }),
        case("decode", "JSON lines", || {
            let mut sum = 0;
            decode_json(black_box(&d.json), r, &mut |x| sum += touch(&x));
            sum
        }),
        case("decode", "koffer: iterate without decoding", || {
            let reader = Reader::new(black_box(&d.koffer)).unwrap();
            reader.records().map(|x| x.unwrap().payload.len()).sum()
        }),
        case("verify", "koffer: verify only", || {
            let s = Reader::new(black_box(&d.koffer)).unwrap().verify().unwrap();
            s.counted.records as usize
        }),
        case("verify", "memcpy of the same bytes", || {
            memcpy_dst.copy_from_slice(black_box(&d.koffer));
            black_box(&memcpy_dst).len()
        }),
        case("ndjson", "typed decode + serde_json", || {
            out_ndjson_typed.clear();
            ndjson_typed(black_box(&d.koffer), &mut out_ndjson_typed);
            out_ndjson_typed.len()
        }),
        case(
            "ndjson",
            "koffer dynamic, by the file's definitions",
            || {
                out_ndjson_dynamic.clear();
                ndjson_dynamic(black_box(&d.koffer), &mut out_ndjson_dynamic);
                out_ndjson_dynamic.len()
            },
        ),
    ];
    // KOFFER_BENCH_ONLY=decode keeps the cases whose "group: name" contains it,
    // or the one case it names exactly (for profiling one case; the tables
    // then lack their base rows).
    if let Ok(only) = std::env::var("KOFFER_BENCH_ONLY") {
        let full = |c: &Case<'_>| format!("{}: {}", c.group, c.name);
        if cases.iter().any(|c| full(c) == only) {
            cases.retain(|c| full(c) == only);
        } else {
            cases.retain(|c| full(c).contains(&only));
        }
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); cases.len()];
    // One untimed pass warms caches and allocators.
    for c in cases.iter_mut() {
        black_box((c.run)());
    }
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            let start = Instant::now();
            black_box((cases[i].run)());
            times[i].push(start.elapsed());
        }
    }
    cases
        .iter()
        .zip(times)
        .map(|(c, mut t)| {
            t.sort();
            Timing {
                group: c.group,
                name: c.name,
                min: t[0],
                median: t[t.len() / 2],
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Reporting.

fn size_table(d: &Data, n: usize) {
    let base = d.postcard.len() as f64;
    println!("\n| size | bytes | bytes/record | × postcard |");
    println!("|---|---:|---:|---:|");
    for (name, len) in [
        ("postcard (raw, no framing, no schema)", d.postcard.len()),
        ("koffer, 4 KiB block buffer, with schemas", d.koffer.len()),
        ("koffer, 256 B block buffer (device)", d.koffer_256.len()),
        ("Avro object container (schema in header)", d.avro.len()),
        ("MessagePack (structs as arrays)", d.msgpack.len()),
        ("CBOR (field names)", d.cbor.len()),
        ("JSON lines", d.json.len()),
    ] {
        println!(
            "| {name} | {len} | {:.2} | {:.3} |",
            len as f64 / n as f64,
            len as f64 / base
        );
    }
}

fn time_tables(results: &[Timing], d: &Data, n: usize) {
    let find = |group: &str, name: &str| {
        results
            .iter()
            .find(|t| t.group == group && t.name == name)
            .map(|t| t.min)
    };
    let per_record = |t: Duration| t.as_nanos() as f64 / n as f64;
    for (group, base_name, what) in [
        ("encode", "postcard (raw)", "× postcard"),
        ("decode", "postcard (raw)", "× postcard"),
        ("decode owned", "postcard (raw)", "× postcard"),
        ("verify", "memcpy of the same bytes", "throughput × memcpy"),
        ("ndjson", "typed decode + serde_json", "× typed"),
    ] {
        let Some(base) = find(group, base_name) else {
            continue;
        };
        println!("\n| {group} | min ms | median ms | ns/record | {what} |");
        println!("|---|---:|---:|---:|---:|");
        for t in results.iter().filter(|t| t.group == group) {
            let ratio = if group == "verify" {
                base.as_secs_f64() / t.min.as_secs_f64()
            } else {
                t.min.as_secs_f64() / base.as_secs_f64()
            };
            let mut extra = String::new();
            if group == "verify" {
                let gbs = d.koffer.len() as f64 / t.min.as_secs_f64() / 1e9;
                extra = format!(" ({gbs:.1} GB/s)");
            }
            println!(
                "| {} | {:.3} | {:.3} | {:.1} | {:.2}{extra} |",
                t.name,
                t.min.as_secs_f64() * 1e3,
                t.median.as_secs_f64() * 1e3,
                per_record(t.min),
                ratio
            );
        }
    }
}
