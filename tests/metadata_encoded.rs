//! Metadata frames encoded at compile time (spec `format.md` §5):
//! `koffer::metadata!` and `Writer::metadata_encoded` write the bytes
//! `Writer::metadata` writes for the same entries, and readers read them.

use koffer::meta::{encoded_len, key, time_base, Encoded, Entry, Metadata, Value};
use koffer::read::{Frame, Reader};
use koffer::write::Writer;

/// Every value type, well-known and free keys, a raw value of a defined type.
const ENTRIES: &[Entry<'static>] = &[
    Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme")),
    Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3 \u{2013} Ü")),
    Entry::new(key::PRODUCER_FIRMWARE, Value::Str("1.4.2")),
    Entry::new(key::TIME_BASE, Value::Str(time_base::BOOT)),
    Entry::new(key::EXPORT_CREATED, Value::Time(-1_789_344_000_000)),
    Entry::new(
        key::TIME_ANCHOR,
        Value::Anchor {
            boot_ms: u64::MAX,
            unix_ms: i64::MIN,
        },
    ),
    Entry::new(key::EXPORT_SEQUENCE, Value::Uint(300)),
    Entry::new("acme:flag", Value::Bool(true)),
    Entry::new("acme:offset", Value::Int(-64)),
    Entry::new("acme:gain", Value::Float(-0.25)),
    Entry::new("acme:blob", Value::Bytes(&[0, 0xFF, 7])),
    Entry::new(
        "acme:raw-uint",
        Value::Unknown {
            value_type: 0x02,
            bytes: &[0xAC, 0x02],
        },
    ),
    Entry::new(
        "acme:future",
        Value::Unknown {
            value_type: 0x42,
            bytes: &[1, 2, 3],
        },
    ),
];

const BODY: Encoded<{ encoded_len(ENTRIES) }> = Encoded::new(ENTRIES);

fn frame_body(bytes: &[u8]) -> &[u8] {
    let reader = Reader::new(bytes).unwrap();
    let first = reader.frames().next().unwrap().unwrap();
    match first.frame {
        Frame::Metadata(_) => &bytes[first.body_offset as usize..][..BODY.as_bytes().len()],
        other => panic!("first frame is not metadata: {other:?}"),
    }
}

#[test]
fn encoded_body_equals_what_the_writer_encodes_at_run_time() {
    assert_eq!(encoded_len(ENTRIES), koffer::meta::body_len(ENTRIES));
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(ENTRIES).unwrap();
    let run_time = w.finish().unwrap();
    assert_eq!(frame_body(&run_time), BODY.as_bytes());

    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata_encoded(&BODY).unwrap();
    let compile_time = w.finish().unwrap();
    assert_eq!(compile_time, run_time, "the whole container, byte for byte");
}

#[test]
fn encoded_metadata_reads_back() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h = w.declare_raw_for_test();
    w.write_payload(h, &[1]).unwrap();
    // After records: the writer flushes them first, as for `metadata`.
    w.metadata_encoded(koffer::metadata![
        Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
        Entry::new(key::TIME_BASE, Value::Str("boot")),
        Entry::new(key::EXPORT_CREATED, Value::Time(1_789_344_000_000)),
    ])
    .unwrap();
    let bytes = w.finish().unwrap();
    let reader = Reader::new(&bytes).unwrap();
    assert!(reader.verify().unwrap().is_complete());
    let entries: Vec<_> = reader.metadata().map(Result::unwrap).collect();
    assert_eq!(
        entries,
        [
            Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
            Entry::new(key::TIME_BASE, Value::Str("boot")),
            Entry::new(key::EXPORT_CREATED, Value::Time(1_789_344_000_000)),
        ]
    );
    assert_eq!(
        reader.metadata_value(key::TIME_BASE).unwrap(),
        Some(Value::Str("boot"))
    );
    assert_eq!(
        Metadata::parse(BODY.as_bytes()).unwrap().len(),
        ENTRIES.len()
    );
}

trait DeclareRaw {
    fn declare_raw_for_test(&mut self) -> koffer::write::RawHandle;
}

impl DeclareRaw for Writer<'_, Vec<u8>> {
    fn declare_raw_for_test(&mut self) -> koffer::write::RawHandle {
        // A struct `P { x: u8 }` (spec schema.md §4).
        self.declare(5, "p", 1, b"\x1A\x01P\x01\x01x\x00\x02")
            .unwrap()
    }
}
