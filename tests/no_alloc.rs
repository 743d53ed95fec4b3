//! Reading and writing allocate nothing (spec `format.md` §9: "a zero-copy
//! reader needs no allocation at all"; §11.1: the writer needs one buffer).
//!
//! A counting global allocator wraps the system allocator. Counting is
//! switched on per thread, and the count is per thread, so the measurement
//! only sees the code under test even when the test harness runs other tests
//! on other threads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use koffer::meta::{key, Entry, Value};
use koffer::read::{Frame, Reader};
use koffer::write::{ResumePoint, SliceSink, Writer};
use serde::{Deserialize, Serialize};

struct Counting;

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator may run while this thread's locals are gone.
    if ACTIVE.try_with(Cell::get).unwrap_or(false) {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result and the number of allocator calls it made
/// on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    COUNT.with(|c| c.set(0));
    ACTIVE.with(|a| a.set(true));
    let r = f();
    ACTIVE.with(|a| a.set(false));
    (r, COUNT.with(Cell::get))
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Note<'a> {
    at: u32,
    text: &'a str,
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
    level: Option<i16>,
}

const TEXTS: [&str; 4] = ["ok", "battery low", "", "sync 😀"];

/// Writes a container into `out` through a slice sink; returns its length.
fn write_container(out: &mut [u8], buf: &mut [u8]) -> usize {
    let mut w = Writer::new(SliceSink::new(out), buf).unwrap();
    w.metadata(&[
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme")),
        Entry::new(key::EXPORT_CREATED, Value::Time(1_700_000_000_000)),
        Entry::new("acme:cal", Value::Bytes(&[1, 2, 3])),
    ])
    .unwrap();
    let h_0 = w.declare(0, "note", 1, b"\x13\x04Note").unwrap();
    let h_1 = w.declare(1, "beat", 1, &[]).unwrap();
    for i in 0..300u32 {
        let note = Note {
            at: i * 1000,
            text: TEXTS[i as usize % TEXTS.len()],
            data: &[i as u8; 5],
            level: (i % 3 == 0).then_some(-(i as i16)),
        };
        w.write_serialized(h_0, &note).unwrap();
        if i % 50 == 49 {
            w.write_serialized(h_1, &(i as u16)).unwrap();
            w.write_payload(h_1, &[0x2A]).unwrap();
        }
        if i % 97 == 0 {
            w.flush().unwrap();
        }
    }
    w.metadata(&[Entry::new(
        key::TIME_ANCHOR,
        Value::Anchor {
            boot_ms: 5,
            unix_ms: 6,
        },
    )])
    .unwrap();
    w.finish().unwrap().len()
}

#[test]
fn the_counting_allocator_sees_allocations() {
    let (_, n) = allocations(|| black_box(Vec::<u8>::with_capacity(16)));
    assert!(n >= 1, "the counter must notice a Vec allocation");
    let (_, n) = allocations(|| black_box(String::from("x")).len());
    assert!(n >= 1);
    let (_, n) = allocations(|| black_box([0u8; 64]).len());
    assert_eq!(n, 0);
}

#[test]
fn writing_into_a_slice_sink_allocates_nothing() {
    let mut out = [0u8; 16 * 1024];
    let mut buf = [0u8; 256];
    let (len, n) = allocations(|| write_container(&mut out, &mut buf));
    assert_eq!(n, 0, "the writer allocated");
    assert!(len > 1000);
    assert!(Reader::new(&out[..len])
        .unwrap()
        .verify()
        .unwrap()
        .is_complete());

    // Resuming a cut container allocates nothing either.
    let cut = len - 100;
    let mut buf = [0u8; 128];
    let (total, n) = allocations(|| {
        let point = ResumePoint::scan(&out[..cut]).unwrap();
        let sink = SliceSink::resume_at(&mut out, point.valid_len() as usize);
        let mut w = Writer::resume(sink, &mut buf, &point).unwrap();
        let h_1 = w.declared_raw(1).unwrap();
        w.write_serialized(h_1, &7u16).unwrap();
        w.finish().unwrap().len()
    });
    assert_eq!(n, 0, "resuming allocated");
    assert!(Reader::new(&out[..total])
        .unwrap()
        .verify()
        .unwrap()
        .is_complete());
}

#[test]
fn reading_decoding_and_verifying_allocate_nothing() {
    let mut out = vec![0u8; 16 * 1024];
    let mut buf = [0u8; 256];
    let len = write_container(&mut out, &mut buf);
    let bytes = &out[..len];

    let (result, n) = allocations(|| {
        let reader = Reader::new(bytes).unwrap();
        let mut notes = 0u32;
        let mut beats = 0u32;
        let mut text_bytes = 0usize;
        let mut checksum = 0u64;
        for r in reader.records() {
            let r = r.unwrap();
            match r.record_type {
                0 => {
                    let note: Note<'_> = r.decode().unwrap();
                    text_bytes += note.text.len();
                    checksum += u64::from(note.at) + u64::from(note.data[0]);
                    notes += 1;
                }
                _ => {
                    // A failing decode builds its error without allocating.
                    if r.payload == [0x2A] {
                        assert!(r.decode::<()>().is_err());
                    } else {
                        checksum += u64::from(r.decode::<u16>().unwrap());
                    }
                    beats += 1;
                }
            }
        }
        let summary = reader.verify().unwrap();
        let entries = reader.metadata().map(Result::unwrap).count();
        let vendor = reader.metadata_value(key::PRODUCER_VENDOR).unwrap();
        let schemas = reader.schemas().map(Result::unwrap).count();
        let note_schema = reader.schema(0).unwrap().unwrap();
        let blocks = reader
            .frames()
            .filter(|f| matches!(f.as_ref().unwrap().frame, Frame::Block(_)))
            .count();
        // A cut copy reads as incomplete, also without allocating.
        let cut = Reader::new(&bytes[..len - 30]).unwrap().verify().unwrap();
        (
            notes,
            beats,
            text_bytes,
            checksum,
            summary,
            entries,
            vendor,
            schemas,
            note_schema.definition,
            blocks,
            cut.is_complete(),
        )
    });
    assert_eq!(n, 0, "reading allocated");

    let (notes, beats, text_bytes, checksum, summary, entries, vendor, schemas, def, blocks, cut) =
        result;
    assert_eq!(notes, 300);
    assert_eq!(beats, 12);
    let expected_text: usize = (0..300).map(|i| TEXTS[i % TEXTS.len()].len()).sum();
    assert_eq!(text_bytes, expected_text);
    let expected_sum: u64 = (0..300u64)
        .map(|i| i * 1000 + (i as u8) as u64)
        .sum::<u64>()
        + (0..300u64).filter(|i| i % 50 == 49).sum::<u64>();
    assert_eq!(checksum, expected_sum);
    assert!(summary.is_complete());
    assert_eq!(summary.counted.records, 312);
    assert_eq!(summary.counted.blocks, blocks as u64);
    assert_eq!(entries, 4);
    assert_eq!(vendor, Some(Value::Str("Acme")));
    assert_eq!(schemas, 2);
    assert_eq!(def, b"\x13\x04Note");
    assert!(!cut);
}
