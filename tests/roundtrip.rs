//! Typed round trips: every serde data-model type postcard supports goes
//! through `write::Writer` into a container and comes back out of
//! `read::Reader` + `Record::decode` unchanged, with the container's totals,
//! record indexes and block layout as the spec describes them.

use std::collections::BTreeMap;
use std::fmt::Debug;

use koffer::frame::kind;
use koffer::read::{Frame, Reader};
use koffer::write::{self, Writer};
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestCaseError};
use proptest_derive::Arbitrary;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// Deterministic proptest configuration: fixed seed, no regression files.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x6B6F_6666_6572),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Block buffer sizes: the documented 256-byte default, the minimum, and random sizes.
fn buf_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(256usize),
        Just(write::MIN_BUFFER_LEN),
        16usize..=96,
        97usize..=4096,
    ]
}

/// Writes `values` as records of `record_type` from a `buf_len`-byte block
/// buffer, reads them back and checks everything the spec promises about them.
///
/// Records whose encoding does not fit the buffer must be refused with
/// `RecordTooLarge` (and are then expected to be absent).
fn check_roundtrip<T>(
    values: &[T],
    buf_len: usize,
    record_type: u8,
    eq: impl Fn(&T, &T) -> bool,
) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + Debug,
{
    let mut buf = vec![0u8; buf_len];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h = w.declare(record_type, "value", 1, b"\x13\x01V").unwrap();
    // A record fits an empty buffer with its length (1 or 2 bytes) to spare.
    let cost = write::buffer_cost_per_record(buf_len);
    let capacity = buf_len - cost;
    let mut expected: Vec<(Vec<u8>, &T)> = Vec::new();
    // Numbers of records accepted when a record was refused: a refusal writes
    // out the buffered records first, so a block may end there.
    let mut refusals: Vec<usize> = Vec::new();
    for v in values {
        let enc = postcard::to_allocvec(v).unwrap();
        match w.write_serialized(h, v) {
            Ok(()) => {
                prop_assert!(enc.len() <= capacity, "{} > {}", enc.len(), capacity);
                expected.push((enc, v));
            }
            Err(write::Error::RecordTooLarge { capacity: c }) => {
                prop_assert_eq!(c, capacity);
                prop_assert!(enc.len() > capacity);
                refusals.push(expected.len());
            }
            Err(e) => return Err(TestCaseError::fail(format!("write failed: {e:?}"))),
        }
    }
    let bytes = w.finish().unwrap();

    let reader = Reader::new(&bytes).unwrap();
    let mut n = 0usize;
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.unwrap();
        prop_assert!(i < expected.len(), "more records than written");
        let (enc, v) = &expected[i];
        prop_assert_eq!(rec.record_type, record_type);
        prop_assert_eq!(rec.index, i as u64);
        prop_assert_eq!(rec.payload, &enc[..]);
        // The offset names where the payload lies in the input.
        let at = rec.offset as usize;
        prop_assert_eq!(&bytes[at..at + rec.payload.len()], rec.payload);
        prop_assert_eq!(rec.payload.as_ptr(), bytes[at..].as_ptr());
        let back: T = rec.decode().unwrap();
        prop_assert!(eq(&back, v), "decoded {:?}, wrote {:?}", back, v);
        n += 1;
    }
    prop_assert_eq!(n, expected.len());

    // Totals, and the writer's block layout: a block is only written when the
    // next record no longer fits the buffer (or a record was refused).
    let summary = reader.verify().unwrap();
    prop_assert!(summary.is_complete());
    let mut blocks: Vec<(u32, usize)> = Vec::new(); // (count, payload bytes)
    let mut frames = 0u64;
    for f in reader.frames() {
        let f = f.unwrap();
        match f.frame {
            Frame::Block(b) => {
                let h = b.header();
                prop_assert_eq!(h.record_type, record_type);
                let payload: usize = b.records().map(<[u8]>::len).sum();
                blocks.push((h.count, payload));
                frames += 1;
            }
            Frame::Schema(s) => {
                prop_assert_eq!(s.record_type, record_type);
                prop_assert_eq!(s.definition, b"\x13\x01V");
                frames += 1;
            }
            Frame::End(_) => {}
            other => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
        }
    }
    prop_assert_eq!(summary.counted.records, expected.len() as u64);
    prop_assert_eq!(summary.counted.blocks, blocks.len() as u64);
    prop_assert_eq!(summary.counted.frames, frames);
    prop_assert_eq!(frames, blocks.len() as u64 + 1);
    let mut first = 0usize;
    for (k, &(count, payload)) in blocks.iter().enumerate() {
        let count = count as usize;
        prop_assert!(payload + cost * count <= buf_len);
        if k + 1 < blocks.len() && !refusals.contains(&(first + count)) {
            let next_len = expected[first + count].0.len();
            prop_assert!(
                payload + cost * (count + 1) + next_len > buf_len,
                "block {} flushed although the next record fit",
                k
            );
        }
        first += count;
    }
    Ok(())
}

fn eq<T: PartialEq>(a: &T, b: &T) -> bool {
    a == b
}

macro_rules! roundtrip {
    ($(#[$m:meta])* $name:ident: $ty:ty = $strategy:expr, cases = $cases:expr) => {
        proptest! {
            #![proptest_config(config($cases))]
            $(#[$m])*
            #[test]
            fn $name(
                values in prop::collection::vec($strategy, 0..48),
                buf_len in buf_len(),
                record_type in any::<u8>(),
            ) {
                check_roundtrip::<$ty>(&values, buf_len, record_type, eq)?;
            }
        }
    };
}

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct UnitStruct;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Newtype(u32);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct TupleStruct(
    i16,
    bool,
    #[proptest(regex = "[a-zA-Z0-9 äöü€😀]{0,12}")] String,
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
enum Shape {
    Unit,
    Newtype(i64),
    Tuple(u8, char),
    Struct {
        #[proptest(regex = "[a-z]{0,8}")]
        name: String,
        #[proptest(strategy = "prop::collection::vec(any::<u16>(), 0..6)")]
        tags: Vec<u16>,
    },
    Another(Option<u128>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Inner {
    id: u64,
    delta: i32,
    flag: bool,
    unit: (),
    marker: UnitStruct,
    wrapped: Newtype,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Nested {
    inner: Inner,
    #[proptest(strategy = "prop::collection::vec(any::<Inner>(), 0..4)")]
    list: Vec<Inner>,
    maybe: Option<Inner>,
    shape: Shape,
    #[proptest(strategy = "prop::collection::vec(any::<Shape>(), 0..4)")]
    shapes: Vec<Shape>,
    tuple: (u8, i128, TupleStruct),
    array: [u16; 5],
    #[proptest(
        strategy = "prop::collection::btree_map(\"[a-z]{1,4}\", prop::collection::vec(any::<i8>(), 0..4), 0..4)"
    )]
    map: BTreeMap<String, Vec<i8>>,
    #[proptest(strategy = "prop::collection::vec(any::<u8>(), 0..16).prop_map(ByteBuf::from)")]
    bytes: ByteBuf,
}

/// Floats compared bitwise, so NaN payloads and signed zeros count.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Floats {
    a: f32,
    b: f64,
    list: Vec<f64>,
}

fn floats() -> impl Strategy<Value = Floats> {
    (
        any::<u32>(),
        any::<u64>(),
        prop::collection::vec(any::<u64>(), 0..4),
    )
        .prop_map(|(a, b, list)| Floats {
            a: f32::from_bits(a),
            b: f64::from_bits(b),
            list: list.into_iter().map(f64::from_bits).collect(),
        })
}

fn floats_eq(x: &Floats, y: &Floats) -> bool {
    x.a.to_bits() == y.a.to_bits()
        && x.b.to_bits() == y.b.to_bits()
        && x.list.len() == y.list.len()
        && x.list
            .iter()
            .zip(&y.list)
            .all(|(p, q)| p.to_bits() == q.to_bits())
}

/// Every float class, including quiet and signalling NaNs, by bit pattern.
fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        prop::sample::select(vec![
            0.0f32,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::from_bits(0x7F80_0001),
            f32::from_bits(0xFFC0_1234),
            f32::MIN_POSITIVE,
            f32::from_bits(1),
        ]),
    ]
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        prop::sample::select(vec![
            0.0f64,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::from_bits(0x7FF0_0000_0000_0001),
            f64::from_bits(0xFFF8_0000_DEAD_BEEF),
            f64::MIN_POSITIVE,
            f64::from_bits(1),
        ]),
    ]
}

fn heapless_string<const N: usize>() -> impl Strategy<Value = heapless::String<N>> {
    any::<String>().prop_map(|s| {
        let mut h = heapless::String::<N>::new();
        for c in s.chars() {
            if h.push(c).is_err() {
                break;
            }
        }
        h
    })
}

fn heapless_vec<T: Arbitrary + Clone, const N: usize>() -> impl Strategy<Value = heapless::Vec<T, N>>
{
    prop::collection::vec(any::<T>(), 0..=N)
        .prop_map(|v| heapless::Vec::<T, N>::from_slice(&v).unwrap())
}

// ---------------------------------------------------------------------------
// One property per serde data-model type
// ---------------------------------------------------------------------------

roundtrip!(record_round_trips_bool: bool = any::<bool>(), cases = 64);
roundtrip!(record_round_trips_u8: u8 = any::<u8>(), cases = 64);
roundtrip!(record_round_trips_u16: u16 = any::<u16>(), cases = 64);
roundtrip!(record_round_trips_u32: u32 = any::<u32>(), cases = 64);
roundtrip!(record_round_trips_u64: u64 = any::<u64>(), cases = 64);
roundtrip!(record_round_trips_u128: u128 = any::<u128>(), cases = 64);
roundtrip!(record_round_trips_i8: i8 = any::<i8>(), cases = 64);
roundtrip!(record_round_trips_i16: i16 = any::<i16>(), cases = 64);
roundtrip!(record_round_trips_i32: i32 = any::<i32>(), cases = 64);
roundtrip!(record_round_trips_i64: i64 = any::<i64>(), cases = 64);
roundtrip!(record_round_trips_i128: i128 = any::<i128>(), cases = 64);
roundtrip!(record_round_trips_char: char = any::<char>(), cases = 64);
roundtrip!(record_round_trips_string: String = any::<String>(), cases = 64);
roundtrip!(
    record_round_trips_long_strings: String = "[a-zé€😀]{0,400}",
    cases = 32
);
roundtrip!(
    record_round_trips_bytes: ByteBuf =
        prop::collection::vec(any::<u8>(), 0..600).prop_map(ByteBuf::from),
    cases = 64
);
roundtrip!(record_round_trips_option: Option<u32> = any::<Option<u32>>(), cases = 64);
roundtrip!(
    record_round_trips_nested_option: Option<Option<bool>> = any::<Option<Option<bool>>>(),
    cases = 32
);
roundtrip!(record_round_trips_unit: () = Just(()), cases = 16);
roundtrip!(record_round_trips_unit_struct: UnitStruct = Just(UnitStruct), cases = 16);
roundtrip!(record_round_trips_newtype_struct: Newtype = any::<Newtype>(), cases = 64);
roundtrip!(record_round_trips_tuple_struct: TupleStruct = any::<TupleStruct>(), cases = 64);
roundtrip!(
    record_round_trips_seq: Vec<u16> = prop::collection::vec(any::<u16>(), 0..64),
    cases = 64
);
roundtrip!(
    record_round_trips_tuple: (u8, i64, String, bool) = any::<(u8, i64, String, bool)>(),
    cases = 64
);
roundtrip!(record_round_trips_array: [u32; 4] = any::<[u32; 4]>(), cases = 64);
roundtrip!(record_round_trips_array_32: [u8; 32] = any::<[u8; 32]>(), cases = 32);
roundtrip!(
    record_round_trips_map: BTreeMap<String, u32> =
        prop::collection::btree_map("[a-z0-9]{0,6}", any::<u32>(), 0..8),
    cases = 64
);
roundtrip!(
    record_round_trips_map_of_seqs: BTreeMap<u16, Vec<u8>> = prop::collection::btree_map(
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..8),
        0..6
    ),
    cases = 32
);
roundtrip!(record_round_trips_enum: Shape = any::<Shape>(), cases = 128);
roundtrip!(record_round_trips_nested_struct: Nested = any::<Nested>(), cases = 64);
roundtrip!(
    record_round_trips_heapless_string: heapless::String<24> = heapless_string::<24>(),
    cases = 64
);
roundtrip!(
    record_round_trips_heapless_vec: heapless::Vec<i32, 8> = heapless_vec::<i32, 8>(),
    cases = 64
);
roundtrip!(
    record_round_trips_heapless_vec_of_strings: heapless::Vec<heapless::String<8>, 4> =
        prop::collection::vec(heapless_string::<8>(), 0..=4)
            .prop_map(|v| heapless::Vec::from_slice(&v).unwrap()),
    cases = 32
);

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn record_round_trips_f32_bitwise(
        values in prop::collection::vec(any_f32(), 0..48),
        buf_len in buf_len(),
    ) {
        check_roundtrip(&values, buf_len, 0, |a: &f32, b: &f32| a.to_bits() == b.to_bits())?;
    }

    #[test]
    fn record_round_trips_f64_bitwise(
        values in prop::collection::vec(any_f64(), 0..48),
        buf_len in buf_len(),
    ) {
        check_roundtrip(&values, buf_len, 1, |a: &f64, b: &f64| a.to_bits() == b.to_bits())?;
    }

    #[test]
    fn record_round_trips_struct_of_floats_bitwise(
        values in prop::collection::vec(floats(), 0..32),
        buf_len in buf_len(),
    ) {
        check_roundtrip(&values, buf_len, 2, floats_eq)?;
    }
}

/// The harness itself notices a value that does not come back: a record
/// written as one type and decoded as another fails the comparison.
#[test]
fn harness_detects_a_changed_value() {
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Wrapped(u32);
    let values = [Wrapped(1), Wrapped(2)];
    let r = check_roundtrip(&values, 256, 0, |a: &Wrapped, b: &Wrapped| a.0 == b.0 + 1);
    assert!(r.is_err());
}

// ---------------------------------------------------------------------------
// Zero-copy decoding
// ---------------------------------------------------------------------------

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Borrowed<'a> {
    at: u32,
    #[serde(borrow)]
    text: &'a str,
    #[serde(borrow, with = "serde_bytes")]
    data: &'a [u8],
    #[serde(borrow)]
    plain: &'a [u8],
}

#[derive(Debug, Serialize)]
struct Owned {
    at: u32,
    text: String,
    data: ByteBuf,
    plain: Vec<u8>,
}

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let r = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    r.start <= i.start && i.end <= r.end
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn decode_borrows_str_and_bytes_from_the_input(
        items in prop::collection::vec(
            (any::<u32>(), "[a-zé€😀 ]{0,20}", prop::collection::vec(any::<u8>(), 0..20),
             prop::collection::vec(any::<u8>(), 0..20)),
            1..24,
        ),
        buf_len in 128usize..=1024,
    ) {
        let mut buf = vec![0u8; buf_len];
        let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
        let h_5 = w.declare(5, "note", 1, &[]).unwrap();
        for (k, (at, text, data, plain)) in items.iter().enumerate() {
            // Half written from the borrowed type itself, half from an owned twin.
            if k % 2 == 0 {
                w.write_serialized(h_5, &Borrowed { at: *at, text, data, plain }).unwrap();
            } else {
                let owned = Owned {
                    at: *at,
                    text: text.clone(),
                    data: ByteBuf::from(data.clone()),
                    plain: plain.clone(),
                };
                w.write_serialized(h_5, &owned).unwrap();
            }
        }
        let bytes = w.finish().unwrap();
        let reader = Reader::new(&bytes).unwrap();
        let mut n = 0;
        for (rec, (at, text, data, plain)) in reader.records().zip(&items) {
            let rec = rec.unwrap();
            let b: Borrowed<'_> = rec.decode().unwrap();
            prop_assert_eq!(b.at, *at);
            prop_assert_eq!(b.text, text.as_str());
            prop_assert_eq!(b.data, &data[..]);
            prop_assert_eq!(b.plain, &plain[..]);
            // Zero copy: every borrowed field points into the payload, which
            // points into the input.
            prop_assert!(within(&bytes, rec.payload));
            prop_assert!(within(rec.payload, b.text.as_bytes()));
            prop_assert!(within(rec.payload, b.data));
            prop_assert!(within(rec.payload, b.plain));
            n += 1;
        }
        prop_assert_eq!(n, items.len());
    }
}

#[test]
fn decoded_str_points_at_its_bytes_in_the_input() {
    let mut buf = [0u8; 256];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "note", 1, &[]).unwrap();
    w.write_serialized(
        h_0,
        &Borrowed {
            at: 1,
            text: "hello",
            data: b"\x01\x02",
            plain: b"xyz",
        },
    )
    .unwrap();
    let bytes = w.finish().unwrap();
    let reader = Reader::new(&bytes).unwrap();
    let rec = reader.records().next().unwrap().unwrap();
    let b: Borrowed<'_> = rec.decode().unwrap();
    // The exact position: find "hello" in the input; the decoded str is that slice.
    let pos = bytes.windows(5).position(|w| w == b"hello").unwrap();
    assert_eq!(b.text.as_ptr(), bytes[pos..].as_ptr());
    let pos = bytes.windows(3).position(|w| w == b"xyz").unwrap();
    assert_eq!(b.plain.as_ptr(), bytes[pos..].as_ptr());
    // A copy of the input is not the input.
    let copy = bytes.clone();
    assert!(!within(&copy, b.text.as_bytes()));
}

// ---------------------------------------------------------------------------
// Several record types interleaved
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Sample {
    t: u64,
    heart_rate: u8,
    steps: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Arbitrary)]
struct Event {
    #[proptest(regex = "[a-z_]{1,10}")]
    name: String,
    code: i32,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
enum AnyRecord {
    Sample(Sample),
    Event(Event),
    Shape(Shape),
    Beat(u16),
    Blob(#[proptest(strategy = "prop::collection::vec(any::<u8>(), 0..40)")] Vec<u8>),
}

const TYPES: [(u8, &str); 5] = [
    (0, "sample"),
    (1, "event"),
    (7, "shape"),
    (200, "beat"),
    (255, "blob"),
];

impl AnyRecord {
    fn record_type(&self) -> u8 {
        match self {
            AnyRecord::Sample(_) => 0,
            AnyRecord::Event(_) => 1,
            AnyRecord::Shape(_) => 7,
            AnyRecord::Beat(_) => 200,
            AnyRecord::Blob(_) => 255,
        }
    }

    fn write<W: embedded_io::Write>(
        &self,
        w: &mut Writer<'_, W>,
    ) -> Result<(), write::Error<W::Error>> {
        let t = w.declared_raw(self.record_type())?;
        match self {
            AnyRecord::Sample(v) => w.write_serialized(t, v),
            AnyRecord::Event(v) => w.write_serialized(t, v),
            AnyRecord::Shape(v) => w.write_serialized(t, v),
            AnyRecord::Beat(v) => w.write_serialized(t, v),
            AnyRecord::Blob(v) => w.write_serialized(t, v),
        }
    }

    fn decode(rec: &koffer::read::Record<'_>) -> AnyRecord {
        match rec.record_type {
            0 => AnyRecord::Sample(rec.decode().unwrap()),
            1 => AnyRecord::Event(rec.decode().unwrap()),
            7 => AnyRecord::Shape(rec.decode().unwrap()),
            200 => AnyRecord::Beat(rec.decode().unwrap()),
            255 => AnyRecord::Blob(rec.decode().unwrap()),
            t => panic!("record type {t} was never written"),
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn interleaved_record_types_keep_order_and_type(
        records in prop::collection::vec(any::<AnyRecord>(), 0..80),
        buf_len in 128usize..=600,
        flush_every in prop::option::of(1usize..10),
    ) {
        let mut buf = vec![0u8; buf_len];
        let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
        for (t, name) in TYPES {
            w.declare(t, name, u32::from(t) + 1, &unit_struct_def(name)).unwrap();
        }
        for (i, r) in records.iter().enumerate() {
            r.write(&mut w).unwrap();
            if flush_every.is_some_and(|k| i % k == k - 1) {
                w.flush().unwrap();
                prop_assert_eq!(w.buffered_records(), 0);
            }
        }
        let bytes = w.finish().unwrap();
        let reader = Reader::new(&bytes).unwrap();

        let mut back = Vec::new();
        for (i, rec) in reader.records().enumerate() {
            let rec = rec.unwrap();
            prop_assert_eq!(rec.index, i as u64);
            back.push(AnyRecord::decode(&rec));
        }
        prop_assert_eq!(&back, &records);

        // Every block holds records of one type, in their original order.
        let mut next = 0u64;
        let mut schemas = Vec::new();
        for f in reader.frames() {
            match f.unwrap().frame {
                Frame::Block(b) => {
                    let h = b.header();
                    for k in 0..u64::from(h.count) {
                        prop_assert_eq!(records[(next + k) as usize].record_type(), h.record_type);
                    }
                    next += u64::from(h.count);
                }
                Frame::Schema(s) => schemas.push((s.record_type, s.name, s.version, s.definition.to_vec())),
                _ => {}
            }
        }
        prop_assert_eq!(next, records.len() as u64);
        let expected: Vec<_> = TYPES
            .iter()
            .map(|&(t, n)| (t, n, u32::from(t) + 1, unit_struct_def(n)))
            .collect();
        prop_assert_eq!(schemas, expected);
        for (t, name) in TYPES {
            prop_assert_eq!(reader.schema(t).unwrap().map(|s| s.name), Some(name));
        }
        prop_assert_eq!(reader.schema(3).unwrap(), None);
        let summary = reader.verify().unwrap();
        prop_assert!(summary.is_complete());
        prop_assert_eq!(summary.counted.records, records.len() as u64);
    }
}

#[test]
fn type_change_starts_a_new_block() {
    let mut buf = [0u8; 256];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "a", 1, &[]).unwrap();
    let h_1 = w.declare(1, "b", 1, &[]).unwrap();
    for t in [0u8, 0, 1, 0, 1, 1, 1, 0] {
        let h = if t == 0 { h_0 } else { h_1 };
        w.write_serialized(h, &u32::from(t)).unwrap();
    }
    let bytes = w.finish().unwrap();
    let reader = Reader::new(&bytes).unwrap();
    let blocks: Vec<(u8, u32)> = reader
        .frames()
        .filter_map(|f| match f.unwrap().frame {
            Frame::Block(b) => {
                let h = b.header();
                Some((h.record_type, h.count))
            }
            _ => None,
        })
        .collect();
    assert_eq!(blocks, [(0, 2), (1, 1), (0, 1), (1, 3), (0, 1)]);
    let s = reader.verify().unwrap();
    assert_eq!(
        (s.counted.frames, s.counted.blocks, s.counted.records),
        (7, 5, 8)
    );
}

#[test]
fn metadata_round_trips_every_value_type() {
    use koffer::meta::{key, Entry, Value};
    let entries = [
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme")),
        Entry::new(key::EXPORT_CREATED, Value::Time(-1)),
        Entry::new(
            key::TIME_ANCHOR,
            Value::Anchor {
                boot_ms: u64::MAX,
                unix_ms: i64::MIN,
            },
        ),
        Entry::new("x:bool", Value::Bool(false)),
        Entry::new("x:uint", Value::Uint(u64::MAX)),
        Entry::new("x:int", Value::Int(i64::MIN)),
        Entry::new("x:float", Value::Float(f64::NEG_INFINITY)),
        Entry::new("x:bytes", Value::Bytes(&[0, 0xFF])),
        Entry::new(
            "x:future",
            Value::Unknown {
                value_type: 0x99,
                bytes: b"later",
            },
        ),
    ];
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(&entries[..3]).unwrap();
    let h_0 = w.declare(0, "n", 1, &[]).unwrap();
    w.write_serialized(h_0, &1u8).unwrap();
    w.metadata(&entries[3..]).unwrap();
    let bytes = w.finish().unwrap();
    let reader = Reader::new(&bytes).unwrap();
    let back: Vec<Entry<'_>> = reader.metadata().map(Result::unwrap).collect();
    assert_eq!(back, entries);
    assert_eq!(
        reader.metadata_value(key::PRODUCER_VENDOR).unwrap(),
        Some(Value::Str("Acme"))
    );
    assert_eq!(reader.metadata_value(key::PRODUCER_MODEL).unwrap(), None);
    // The metadata frame written after the record flushed it first: the
    // block precedes the second metadata frame.
    let kinds: Vec<u8> = reader
        .frames()
        .map(|f| match f.unwrap().frame {
            Frame::Metadata(_) => kind::METADATA,
            Frame::Schema(_) => kind::SCHEMA,
            Frame::Block(_) => kind::BLOCK,
            Frame::End(_) => kind::END,
            Frame::Ancillary { kind, .. } => kind,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            kind::METADATA,
            kind::SCHEMA,
            kind::BLOCK,
            kind::METADATA,
            kind::END
        ]
    );
}

/// A definition naming a unit struct `name` (spec `schema.md` §2, tag 0x13):
/// valid, and distinct per record type.
fn unit_struct_def(name: &str) -> Vec<u8> {
    [&[0x13, name.len() as u8][..], name.as_bytes()].concat()
}

#[test]
fn ancillary_frames_round_trip_chained_between_blocks() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let n = w.declare(0, "n", 1, &[]).unwrap();
    w.write_serialized(n, &1u8).unwrap();
    // Flushes the buffered record first: the frame lands after its block.
    w.ancillary(0x60, b"first vendor frame").unwrap();
    w.write_serialized(n, &2u8).unwrap();
    w.ancillary(0x7F, &[]).unwrap();
    let bytes = w.finish().unwrap();

    let reader = Reader::new(&bytes).unwrap();
    let frames: Vec<Frame<'_>> = reader.frames().map(|f| f.unwrap().frame).collect();
    assert!(matches!(frames[0], Frame::Schema(_)));
    assert!(matches!(frames[1], Frame::Block(_)));
    assert_eq!(
        frames[2],
        Frame::Ancillary {
            kind: 0x60,
            body: b"first vendor frame"
        }
    );
    assert!(matches!(frames[3], Frame::Block(_)));
    assert_eq!(
        frames[4],
        Frame::Ancillary {
            kind: 0x7F,
            body: b""
        }
    );
    assert!(matches!(frames[5], Frame::End(_)));
    assert_eq!(frames.len(), 6);
    let summary = reader.verify().unwrap();
    assert!(summary.is_complete());
    // The end frame counts them like every other frame.
    assert_eq!(summary.counted.frames, 5);
    let values: Vec<u8> = reader
        .records()
        .map(|r| r.unwrap().decode().unwrap())
        .collect();
    assert_eq!(values, [1, 2]);
}

#[test]
fn a_refused_ancillary_kind_leaves_the_container_unchanged() {
    let written = |refused: &[(u8, usize)]| {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
        let n = w.declare(0, "n", 1, &[]).unwrap();
        w.write_serialized(n, &1u8).unwrap();
        for &(kind, len) in refused {
            let body = vec![0xA5; len];
            let e = w.ancillary(kind, &body).unwrap_err();
            if len > koffer::limits::MAX_FRAME_BODY as usize {
                assert_eq!(e, write::Error::FrameTooLarge { len });
            } else {
                assert_eq!(e, write::Error::FrameKind { kind });
            }
            // Nothing written, the buffered record still buffered.
            assert_eq!(w.buffered_records(), 1);
        }
        w.write_serialized(n, &2u8).unwrap();
        w.finish().unwrap()
    };
    let plain = written(&[]);
    // Critical, invalid and reserved ancillary kinds (spec format.md §4.2),
    // and a vendor kind with a body over the limit.
    let kinds = [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x3F, 0x40, 0x5F, 0x80, 0xFE, 0xFF,
    ];
    let mut refused: Vec<(u8, usize)> = kinds.iter().map(|&k| (k, 3)).collect();
    refused.push((0x60, koffer::limits::MAX_FRAME_BODY as usize + 1));
    assert_eq!(written(&refused), plain);
    let reader = Reader::new(&plain).unwrap();
    assert_eq!(reader.verify().unwrap().counted.records, 2);
}
