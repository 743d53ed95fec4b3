//! Robustness: truncation, corruption, hostile declared sizes, unknown frame
//! kinds, malformed structure, payload decode failures, and the writer's
//! refusals, sink failures and resumption (spec `format.md` §3–§11).
//!
//! Every test is deterministic: exhaustive over small containers, or driven by
//! a fixed-seed xorshift generator.

use koffer::block::{self, BlockHeader, TablePacker};
use koffer::end::End;
use koffer::frame::{kind, FrameHead};
use koffer::header::{Header, HEADER_LEN};
use koffer::limits;
use koffer::meta::{key, Entry, Value};
use koffer::read::{Class, Completeness, Error, ErrorKind, Frame, Reader, Record, Summary, Tail};
use koffer::varint;
use koffer::write::{self, ResumePoint, SliceSink, Writer};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// Building containers by hand
// ---------------------------------------------------------------------------

fn varint(v: u64) -> Vec<u8> {
    let mut tmp = [0u8; varint::MAX_LEN_U64];
    varint::encode_u64(v, &mut tmp).to_vec()
}

/// A frame with a correct head check and checksum around `body`, to follow
/// `before` (the checksum chains to its last 4 bytes, spec §4.1).
fn frame(before: &[u8], kind: u8, body: &[u8]) -> Vec<u8> {
    frame_with_len(before, kind, body.len() as u32, body)
}

/// A frame that declares `len` body bytes but carries `body`; head check and
/// checksum are computed over what is there, so both checks pass and only the
/// declared length is wrong.
fn frame_with_len(before: &[u8], kind: u8, len: u32, body: &[u8]) -> Vec<u8> {
    let prev: [u8; 4] = before[before.len() - 4..].try_into().unwrap();
    let mut out = FrameHead::new(kind, len).as_bytes().to_vec();
    out.extend_from_slice(body);
    let crc = koffer::frame::checksum(&prev, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A block body holding `payloads`, laid out as a writer would.
fn block_body(record_type: u8, payloads: &[&[u8]]) -> Vec<u8> {
    let lens: Vec<u32> = payloads.iter().map(|p| p.len() as u32).collect();
    let min = lens.iter().copied().min().unwrap_or(0);
    let max = lens.iter().copied().max().unwrap_or(0);
    let header = BlockHeader {
        record_type,
        count: payloads.len() as u32,
        base_len: min,
        width: block::width_for(max - min),
    };
    let mut head = [0u8; BlockHeader::MAX_LEN];
    let n = header.encode(&mut head);
    let mut out = head[..n].to_vec();
    let mut packer = TablePacker::new(header.width);
    let mut put = |b: &[u8]| -> Result<(), ()> {
        out.extend_from_slice(b);
        Ok(())
    };
    for len in &lens {
        packer.push(len - min, &mut put).unwrap();
    }
    packer.finish(&mut put).unwrap();
    for p in payloads {
        out.extend_from_slice(p);
    }
    out
}

fn schema_body(record_type: u8, name: &str) -> Vec<u8> {
    let s = koffer::schema::Schema {
        record_type,
        name,
        version: 1,
        definition: &[],
    };
    let mut out = vec![0u8; s.body_len()];
    assert_eq!(s.encode_to_slice(&mut out), Some(out.len()));
    out
}

fn metadata_body(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = varint(entries.len() as u64);
    for e in entries {
        e.encode(&mut |b: &[u8]| -> Result<(), ()> {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
    }
    out
}

fn end_body(end: End) -> Vec<u8> {
    let mut out = [0u8; End::MAX_LEN];
    let n = end.encode(&mut out);
    out[..n].to_vec()
}

/// Builds containers frame by frame, keeping the totals an end frame states.
struct Builder {
    out: Vec<u8>,
    counted: End,
}

impl Builder {
    fn new() -> Self {
        Self::with_header(Header::CURRENT)
    }

    fn with_header(h: Header) -> Self {
        Builder {
            out: h.to_bytes().to_vec(),
            counted: End::default(),
        }
    }

    /// Appends a frame as-is; it counts towards the end frame's totals.
    fn raw(&mut self, kind: u8, body: &[u8]) -> &mut Self {
        let f = frame(&self.out, kind, body);
        self.out.extend_from_slice(&f);
        self.counted.frames += 1;
        self
    }

    fn metadata(&mut self, entries: &[Entry<'_>]) -> &mut Self {
        self.raw(kind::METADATA, &metadata_body(entries))
    }

    fn schema(&mut self, record_type: u8, name: &str) -> &mut Self {
        self.raw(kind::SCHEMA, &schema_body(record_type, name))
    }

    fn block(&mut self, record_type: u8, payloads: &[&[u8]]) -> &mut Self {
        self.raw(kind::BLOCK, &block_body(record_type, payloads));
        self.counted.blocks += 1;
        self.counted.records += payloads.len() as u64;
        self
    }

    fn end(&mut self) -> Vec<u8> {
        let c = self.counted;
        self.end_with(c)
    }

    fn end_with(&mut self, end: End) -> Vec<u8> {
        let mut out = self.out.clone();
        out.extend_from_slice(&frame(&self.out, kind::END, &end_body(end)));
        out
    }
}

// ---------------------------------------------------------------------------
// Sample containers
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Sample {
    t: u64,
    heart_rate: u8,
    steps: u16,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Event<'a> {
    name: &'a str,
    code: i32,
}

/// Metadata, two schemas, three blocks of two record types, written by the writer.
fn written_container() -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(&[
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme")),
        Entry::new(
            key::TIME_ANCHOR,
            Value::Anchor {
                boot_ms: 1000,
                unix_ms: 1_700_000_000_000,
            },
        ),
    ])
    .unwrap();
    let h_0 = w.declare(0, "sample", 1, b"\x15\x11\x01").unwrap();
    let h_1 = w.declare(1, "event", 2, &[]).unwrap();
    for i in 0..5u16 {
        let s = Sample {
            t: 60_000 * u64::from(i),
            heart_rate: 60 + i as u8,
            steps: i * 300,
        };
        w.write_serialized(h_0, &s).unwrap();
    }
    w.write_serialized(
        h_1,
        &Event {
            name: "button",
            code: -3,
        },
    )
    .unwrap();
    w.write_serialized(
        h_1,
        &Event {
            name: "fall detected",
            code: 7,
        },
    )
    .unwrap();
    for i in 5..8u16 {
        let s = Sample {
            t: 60_000 * u64::from(i),
            heart_rate: 60 + i as u8,
            steps: i * 300,
        };
        w.write_serialized(h_0, &s).unwrap();
    }
    w.finish().unwrap()
}

/// Hand-built: ancillary frames between the others, empty records, a
/// zero-width and a wide delta table, two metadata frames.
fn built_container() -> Vec<u8> {
    let long = [0xA5u8; 300];
    Builder::new()
        .metadata(&[Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3"))])
        .schema(0, "beat")
        .raw(kind::VENDOR_FIRST, b"vendor data")
        .block(0, &[b"", b"", b""])
        .schema(9, "blob")
        .block(9, &[b"a", &long, b"", b"xyz"])
        .raw(kind::RESERVED_ANCILLARY_FIRST, &[])
        .metadata(&[
            Entry::new("x:n", Value::Uint(5)),
            Entry::new("x:s", Value::Bytes(&[1, 2, 3])),
        ])
        .block(0, &[&[1, 2], &[3, 4], &[5, 6], &[7, 8]])
        .end()
}

/// The smallest containers: no frames but the end frame; one record.
fn tiny_containers() -> Vec<Vec<u8>> {
    vec![
        Builder::new().end(),
        Builder::new().schema(0, "x").block(0, &[b"\x2A"]).end(),
    ]
}

fn sample_containers() -> Vec<Vec<u8>> {
    let mut v = vec![written_container(), built_container()];
    v.extend(tiny_containers());
    v
}

// ---------------------------------------------------------------------------
// Reading helpers
// ---------------------------------------------------------------------------

/// A record, owned, for comparing across inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    record_type: u8,
    index: u64,
    payload: Vec<u8>,
}

fn own(r: &Record<'_>) -> Rec {
    Rec {
        record_type: r.record_type,
        index: r.index,
        payload: r.payload.to_vec(),
    }
}

/// The structure of a complete container.
struct Layout {
    records: Vec<Rec>,
    /// (end offset, counts as a frame?, records, is block, declares type)
    frames: Vec<FrameInfo>,
    len: usize,
}

#[derive(Debug, Clone, Copy)]
struct FrameInfo {
    start: usize,
    end: usize,
    is_end: bool,
    block_records: Option<u64>,
    declares: Option<u8>,
}

fn layout(bytes: &[u8]) -> Layout {
    let reader = Reader::new(bytes).unwrap();
    let records: Vec<Rec> = reader.records().map(|r| own(&r.unwrap())).collect();
    let mut frames = Vec::new();
    for f in reader.frames() {
        let f = f.unwrap();
        frames.push(FrameInfo {
            start: f.offset as usize,
            end: (f.offset + f.size) as usize,
            is_end: matches!(f.frame, Frame::End(_)),
            block_records: match f.frame {
                Frame::Block(b) => Some(u64::from(b.header().count)),
                _ => None,
            },
            declares: match f.frame {
                Frame::Schema(s) => Some(s.record_type),
                _ => None,
            },
        });
    }
    assert!(reader.verify().unwrap().is_complete());
    Layout {
        records,
        frames,
        len: bytes.len(),
    }
}

impl Layout {
    /// The valid prefix of a cut at `cut`: the end of the last whole frame.
    fn valid_len(&self, cut: usize) -> usize {
        self.frames
            .iter()
            .filter(|f| f.end <= cut)
            .map(|f| f.end)
            .max()
            .unwrap_or(HEADER_LEN)
    }

    /// Totals of the frames that end at or before `cut`.
    fn counted(&self, cut: usize) -> End {
        let mut e = End::default();
        for f in self.frames.iter().filter(|f| f.end <= cut && !f.is_end) {
            e.frames += 1;
            if let Some(n) = f.block_records {
                e.blocks += 1;
                e.records += n;
            }
        }
        e
    }

    fn declared(&self, cut: usize) -> Vec<u8> {
        self.frames
            .iter()
            .filter(|f| f.end <= cut)
            .filter_map(|f| f.declares)
            .collect()
    }

    /// Records of the blocks that end at or before `cut`.
    fn records_before(&self, cut: usize) -> &[Rec] {
        &self.records[..self.counted(cut).records as usize]
    }
}

/// What a reader makes of an input: the records it hands out, the error the
/// records iterator ends with (if any), and the final outcome.
#[derive(Debug)]
struct Outcome {
    records: Vec<Rec>,
    iter_error: Option<Error>,
    finish: Result<Summary, Error>,
}

fn read(bytes: &[u8]) -> Result<Outcome, Error> {
    let reader = Reader::new(bytes)?;
    let mut it = reader.records();
    let mut records = Vec::new();
    let mut iter_error = None;
    for r in it.by_ref() {
        assert!(
            iter_error.is_none(),
            "records iterator went on after an error"
        );
        match r {
            Ok(r) => {
                // The payload borrows from the input at the offset it names.
                let at = r.offset as usize;
                assert_eq!(r.payload.as_ptr(), bytes[at..].as_ptr());
                records.push(own(&r));
            }
            Err(e) => iter_error = Some(e),
        }
    }
    let finish = it.finish();
    if let Some(e) = iter_error {
        assert_eq!(finish, Err(e), "finish must report the iterator's error");
    }
    // `verify` agrees with reading the records to the end, but for an error
    // in a description, which the records walk does not check (spec §10.1).
    let verified = reader.verify();
    if verified != finish {
        let e = verified.unwrap_err();
        assert!(
            in_description(&reader, e),
            "verify fails with {e:?} outside a description; records().finish() gives {finish:?}"
        );
    }
    Ok(Outcome {
        records,
        iter_error,
        finish,
    })
}

/// True if `e`, the error `verify` reports, lies in a description (spec
/// §10.1): a metadata frame's body, or a schema frame's body past its
/// record type.
fn in_description(reader: &Reader<'_>, e: Error) -> bool {
    let mut frames = reader.frames();
    let _ = frames.finish();
    // After an error, the position is the offset of the frame that failed.
    let at = frames.position() as usize;
    let body = (at + FrameHead::LEN) as u64;
    match reader.bytes()[at] {
        kind::METADATA => e.offset >= body,
        kind::SCHEMA => e.offset > body,
        _ => false,
    }
}

/// The error `verify` reports, after `read` has checked the records walk
/// against it.
fn verify_error(bytes: &[u8]) -> Error {
    read(bytes).unwrap();
    Reader::new(bytes).unwrap().verify().unwrap_err()
}

fn incomplete(valid_len: usize, tail: Tail) -> Completeness {
    Completeness::Incomplete {
        valid_len: valid_len as u64,
        tail,
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---------------------------------------------------------------------------
// §10.3 Truncation
// ---------------------------------------------------------------------------

#[test]
fn sample_containers_have_the_intended_shape() {
    let l = layout(&written_container());
    let blocks = l
        .frames
        .iter()
        .filter(|f| f.block_records.is_some())
        .count();
    let schemas = l.frames.iter().filter(|f| f.declares.is_some()).count();
    assert!(blocks >= 3, "{blocks} blocks");
    assert_eq!(schemas, 2);
    assert!((200..=600).contains(&l.len), "{} bytes", l.len);
    let l = layout(&built_container());
    assert_eq!(l.records.len(), 11);
    assert!((200..=600).contains(&l.len), "{} bytes", l.len);
}

#[test]
fn truncation_keeps_every_intact_block() {
    for full in sample_containers() {
        let l = layout(&full);
        for cut in 0..=full.len() {
            let input = &full[..cut];
            if cut < HEADER_LEN {
                let e = Reader::new(input).unwrap_err();
                assert_eq!(e.kind, ErrorKind::HeaderTruncated, "cut {cut}");
                assert_eq!(e.kind.class(), Class::Incomplete);
                continue;
            }
            let out = read(input).unwrap();
            assert_eq!(out.iter_error, None, "cut {cut}");
            assert_eq!(out.records, l.records_before(cut), "cut {cut}");
            let summary = out.finish.unwrap();
            assert_eq!(summary.header, Header::CURRENT);
            if cut == full.len() {
                assert_eq!(summary.completeness, Completeness::Complete);
                assert_eq!(summary.counted, l.counted(cut));
                continue;
            }
            let valid = l.valid_len(cut);
            let tail = if valid == cut {
                Tail::None
            } else {
                Tail::Torn {
                    len: (cut - valid) as u64,
                }
            };
            assert_eq!(summary.completeness, incomplete(valid, tail), "cut {cut}");
            assert_eq!(summary.counted, l.counted(cut), "cut {cut}");
        }
    }
}

#[test]
fn truncation_never_yields_records_of_a_cut_block() {
    // The converse of the test above, from the block's side: a block cut by
    // even its last checksum byte hands out none of its records.
    let full = written_container();
    let l = layout(&full);
    for f in l.frames.iter().filter(|f| f.block_records.is_some()) {
        let before = l.counted(f.start).records as usize;
        for cut in f.start..f.end {
            let out = read(&full[..cut]).unwrap();
            assert_eq!(out.records.len(), before, "cut {cut}");
        }
        assert_eq!(
            read(&full[..f.end]).unwrap().records.len() as u64,
            before as u64 + f.block_records.unwrap()
        );
    }
}

#[test]
fn unwritten_tail_after_a_frame_boundary_is_incomplete_not_corrupt() {
    for full in sample_containers() {
        let l = layout(&full);
        let boundaries: Vec<usize> = std::iter::once(HEADER_LEN)
            .chain(l.frames.iter().filter(|f| !f.is_end).map(|f| f.end))
            .collect();
        for &cut in &boundaries {
            for fill in [0x00u8, 0xFF] {
                for n in [1usize, 2, 5, 17, 300] {
                    let mut input = full[..cut].to_vec();
                    input.resize(cut + n, fill);
                    let out = read(&input).unwrap();
                    assert_eq!(out.records, l.records_before(cut));
                    let s = out.finish.unwrap();
                    assert_eq!(
                        s.completeness,
                        incomplete(cut, Tail::Unwritten { len: n as u64 }),
                        "cut {cut} fill {fill:#x} n {n}"
                    );
                    assert_eq!(s.counted, l.counted(cut));
                }
            }
        }
    }
}

#[test]
fn torn_frame_followed_by_unwritten_storage_is_a_torn_tail() {
    // Spec §10.3 case 3: a power cut at any byte of a frame — inside its head,
    // body or checksum — with zero-filled or erased storage after it is a torn
    // write, whatever length of fill follows; never corruption.
    for full in sample_containers() {
        let l = layout(&full);
        for f in &l.frames {
            for cut in f.start + 1..f.end {
                for fill in [0x00u8, 0xFF] {
                    for n in [1usize, f.end - cut, f.end - cut + 9, 400] {
                        let mut input = full[..cut].to_vec();
                        input.resize(cut + n, fill);
                        let out = read(&input).unwrap();
                        assert_eq!(out.records, l.records_before(f.start));
                        let s = out.finish.unwrap();
                        assert_eq!(
                            s.completeness,
                            incomplete(
                                f.start,
                                Tail::Torn {
                                    len: (cut + n - f.start) as u64
                                }
                            ),
                            "cut {cut} fill {fill:#x} n {n}"
                        );
                        // A device can resume right where the torn frame began.
                        let point = ResumePoint::scan(&input).unwrap();
                        assert_eq!(point.valid_len(), f.start as u64);
                    }
                }
            }
        }
    }
}

#[test]
fn never_written_checksum_with_data_after_it_is_corruption() {
    // A checksum field of all 0xFF counts as torn only when nothing written
    // follows it; with a frame after it, it is a checksum error.
    let full = written_container();
    let l = layout(&full);
    let f = l.frames[1];
    let mut input = full.clone();
    input[f.end - 4..f.end].fill(0xFF);
    let e = verify_error(&input);
    assert_eq!(e.offset, f.start as u64);
    assert!(matches!(
        e.kind,
        ErrorKind::FrameChecksum {
            stored: u32::MAX,
            ..
        }
    ));
    // The same frame at the end of the input is a torn tail.
    let s = read(&input[..f.end]).unwrap().finish.unwrap();
    assert_eq!(
        s.completeness,
        incomplete(
            f.start,
            Tail::Torn {
                len: (f.end - f.start) as u64
            }
        )
    );
}

// ---------------------------------------------------------------------------
// §2.3, §4.3 Corruption
// ---------------------------------------------------------------------------

/// Checks a damaged copy of `original`: reading it must not end the way the
/// original does, and every record handed out must be the original's record
/// with that index.
fn check_damaged(l: &Layout, damaged: &[u8], what: &str) {
    let Ok(out) = read(damaged) else {
        return; // refused at the header
    };
    for r in &out.records {
        let i = r.index as usize;
        assert!(i < l.records.len(), "{what}: invented record {r:?}");
        assert_eq!(r, &l.records[i], "{what}: changed record");
    }
    for (k, r) in out.records.iter().enumerate() {
        assert_eq!(r.index, k as u64, "{what}: records out of order");
    }
    let same = matches!(&out.finish, Ok(s) if s.is_complete());
    assert!(!same, "{what}: damage went unnoticed: {:?}", out.finish);
}

#[test]
fn every_single_bit_flip_is_detected() {
    for full in sample_containers() {
        let l = layout(&full);
        for bit in 0..full.len() * 8 {
            let mut d = full.clone();
            d[bit / 8] ^= 1 << (bit % 8);
            check_damaged(&l, &d, &format!("bit {bit} of {}", full.len()));
        }
    }
}

#[test]
fn every_single_byte_zeroed_or_erased_is_detected() {
    for full in sample_containers() {
        let l = layout(&full);
        for i in 0..full.len() {
            for v in [0x00u8, 0xFF] {
                if full[i] == v {
                    continue;
                }
                let mut d = full.clone();
                d[i] = v;
                check_damaged(&l, &d, &format!("byte {i} := {v:#x}"));
            }
        }
    }
}

#[test]
fn random_garbage_overwrites_are_detected() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for full in sample_containers() {
        let l = layout(&full);
        for round in 0..1000 {
            let mut d = full.clone();
            let at = rng.below(d.len());
            let n = 1 + rng.below(24.min(d.len() - at));
            for b in &mut d[at..at + n] {
                *b = rng.next() as u8;
            }
            if d == full {
                continue;
            }
            check_damaged(&l, &d, &format!("round {round}: {n} bytes at {at}"));
        }
    }
}

#[test]
fn random_splices_hand_out_only_original_records() {
    // Delete a range and insert a copy of another range of the same
    // container: frames moved, repeated or lost. Whatever the reader hands
    // out is original data at its original index, and a container that
    // still reads as complete holds exactly the original records.
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut noticed = 0;
    let mut rounds = 0;
    for full in sample_containers() {
        let l = layout(&full);
        for _ in 0..1000 {
            let a = rng.below(full.len() + 1);
            let b = a + rng.below(full.len() - a + 1);
            let c = rng.below(full.len() + 1);
            let d = c + rng.below((full.len() - c).min(64) + 1);
            let mut m = full[..a].to_vec();
            m.extend_from_slice(&full[c..d]);
            m.extend_from_slice(&full[b..]);
            if m == full {
                continue;
            }
            rounds += 1;
            let Ok(out) = read(&m) else {
                noticed += 1;
                continue;
            };
            for (k, r) in out.records.iter().enumerate() {
                assert_eq!(r.index, k as u64, "splice {a}..{b} <- {c}..{d}");
                assert_eq!(Some(r), l.records.get(k), "splice {a}..{b} <- {c}..{d}");
            }
            match &out.finish {
                Ok(s) if s.is_complete() => {
                    assert_eq!(out.records, l.records, "splice {a}..{b} <- {c}..{d}")
                }
                _ => noticed += 1,
            }
        }
    }
    assert!(noticed * 10 >= rounds * 9, "{noticed} of {rounds} noticed");
}

// ---------------------------------------------------------------------------
// §9 Limits: declared sizes and counts beyond the input
// ---------------------------------------------------------------------------

/// Header, a schema for type 0, then the bytes `tail` makes from that prefix;
/// returns the bytes and the offset of the tail.
fn after_schema(tail: impl FnOnce(&[u8]) -> Vec<u8>) -> (Vec<u8>, usize) {
    let mut b = Builder::new();
    b.schema(0, "x");
    let at = b.out.len();
    let mut out = b.out.clone();
    out.extend_from_slice(&tail(&b.out));
    (out, at)
}

fn body_offset(kind: u8, len: u32) -> usize {
    FrameHead::new(kind, len).as_bytes().len()
}

// Hostile lengths and counts (up to u64::MAX) in inputs of a few dozen bytes:
// each must be refused at its own field (the error's offset says so), that is
// before the body is read. A loop or an allocation proportional to such a
// value would not finish (or would abort) rather than pass; nothing here is
// timed (speed belongs to the benchmarks, and these tests also run under Miri).
#[test]
fn oversized_frame_lengths_are_refused_before_reading_the_body() {
    for k in [
        kind::METADATA,
        kind::SCHEMA,
        kind::BLOCK,
        kind::END,
        0x05,
        kind::RESERVED_ANCILLARY_FIRST,
        kind::VENDOR_LAST,
        0xFE,
    ] {
        for len in [
            limits::MAX_FRAME_BODY + 1,
            FrameHead::MAX_FIELD - 1,
            FrameHead::MAX_FIELD,
        ] {
            // A few body bytes and a checksum over them: everything but the length is right.
            let (bytes, at) = after_schema(|p| frame_with_len(p, k, len, &[1, 2, 3, 4]));
            let e = verify_error(&bytes);
            assert_eq!(
                e.kind,
                ErrorKind::FrameTooLarge {
                    len: u64::from(len)
                },
                "kind {k:#x} len {len}"
            );
            assert_eq!(e.offset, at as u64 + 1, "the length field");
            assert!(ResumePoint::scan(&bytes).is_err());
        }
    }
    // At the limit, a length the input does not hold is a torn frame.
    let (bytes, at) =
        after_schema(|p| frame_with_len(p, kind::BLOCK, limits::MAX_FRAME_BODY, &[0; 9]));
    let s = read(&bytes).unwrap().finish.unwrap();
    assert_eq!(
        s.completeness,
        incomplete(
            at,
            Tail::Torn {
                len: (bytes.len() - at) as u64
            }
        )
    );
}

#[test]
fn block_counts_and_lengths_beyond_the_limits_are_refused() {
    // (body, expected error kind, offset of the offending field in the body;
    // None where the spec leaves open which field is the offending one)
    let mut cases: Vec<(Vec<u8>, ErrorKind, Option<usize>)> = Vec::new();
    let cat = |parts: &[&[u8]]| parts.concat();
    // count 65536 (one more than a block may hold)
    cases.push((
        cat(&[&[0], &varint(65_536), &[0, 0]]),
        ErrorKind::BadCount { count: 65_536 },
        Some(1),
    ));
    // count u64::MAX
    cases.push((
        cat(&[&[0], &varint(u64::MAX), &[0, 0]]),
        ErrorKind::BadCount { count: u64::MAX },
        Some(1),
    ));
    // count 0
    cases.push((vec![0, 0, 0, 0], ErrorKind::BadCount { count: 0 }, Some(1)));
    // 65535 records of 16-bit deltas: a 131070-byte table the body does not hold
    cases.push((
        cat(&[&[0], &varint(65_535), &[0, 16], &[0; 8]]),
        ErrorKind::BodyTruncated,
        Some(6),
    ));
    // 65535 records of 65535 bytes each: the lengths add up to ~4 GiB, 3 bytes present
    cases.push((
        cat(&[&[0], &varint(65_535), &varint(65_535), &[0], &[1, 2, 3]]),
        ErrorKind::LengthMismatch {
            declared: 65_535 * 65_535,
            actual: 3,
        },
        Some(8),
    ));
    // base 65535 + delta 1
    cases.push((
        cat(&[&[0, 1], &varint(65_535), &[1, 0b1]]),
        ErrorKind::RecordTooLarge { len: 65_536 },
        Some(6),
    ));
    // base 65535 + delta 65535 (16-bit width)
    cases.push((
        cat(&[&[0, 1], &varint(65_535), &[16, 0xFF, 0xFF]]),
        ErrorKind::RecordTooLarge { len: 131_070 },
        Some(6),
    ));
    // base 65536
    cases.push((
        cat(&[&[0, 1], &varint(65_536), &[0]]),
        ErrorKind::RecordTooLarge { len: 65_536 },
        Some(2),
    ));
    // base u64::MAX
    cases.push((
        cat(&[&[0, 1], &varint(u64::MAX), &[0]]),
        ErrorKind::RecordTooLarge { len: u64::MAX },
        Some(2),
    ));
    // width 17
    cases.push((
        vec![0, 1, 0, 17, 0, 0, 0],
        ErrorKind::BadWidth { width: 17 },
        Some(3),
    ));
    // width 255
    cases.push((
        vec![0, 1, 0, 255],
        ErrorKind::BadWidth { width: 255 },
        Some(3),
    ));
    // record type 256 and u64::MAX
    cases.push((
        cat(&[&varint(256), &[1, 0, 0]]),
        ErrorKind::RecordTypeOutOfRange { value: 256 },
        Some(0),
    ));
    cases.push((
        cat(&[&varint(u64::MAX), &[1, 0, 0]]),
        ErrorKind::RecordTypeOutOfRange { value: u64::MAX },
        Some(0),
    ));
    // non-zero padding bits after the deltas
    cases.push((vec![0, 1, 0, 1, 0b10], ErrorKind::TablePadding, Some(4)));
    // a non-canonical varint in the header
    cases.push((vec![0, 0x80, 0x00, 1, 0, 0], ErrorKind::BadVarint, Some(1)));
    for (body, want, field) in cases {
        let (bytes, at) = after_schema(|p| frame(p, kind::BLOCK, &body));
        let e = verify_error(&bytes);
        assert_eq!(e.kind, want, "body {body:02x?}");
        let body_at = at + body_offset(kind::BLOCK, body.len() as u32);
        if let Some(field) = field {
            assert_eq!(e.offset, (body_at + field) as u64, "offset for {want:?}");
        }
        assert_eq!(e.kind.class(), Class::Corrupt);
    }
}

#[test]
fn metadata_schema_and_end_counts_beyond_the_body_are_refused() {
    let cat = |parts: &[&[u8]]| parts.concat();
    let cases: Vec<(u8, Vec<u8>, ErrorKind, Option<usize>)> = vec![
        // metadata count u64::MAX
        (
            kind::METADATA,
            cat(&[&varint(u64::MAX), b"\x03a:b\x05\x01x"]),
            ErrorKind::BadCount { count: u64::MAX },
            Some(0),
        ),
        // metadata count 2, one entry present
        (
            kind::METADATA,
            cat(&[&[2], b"\x03a:b\x05\x01x"]),
            ErrorKind::BadCount { count: 2 },
            Some(0),
        ),
        // value length u64::MAX
        (
            kind::METADATA,
            cat(&[&[1], b"\x03a:b\x05", &varint(u64::MAX), b"xyz"]),
            ErrorKind::BodyTruncated,
            Some(16),
        ),
        // key length 256, and 2^32
        (
            kind::METADATA,
            cat(&[&[1], &varint(256), &[b'k'; 256], b"\x05\x01x"]),
            ErrorKind::BadName,
            Some(1),
        ),
        (
            kind::METADATA,
            cat(&[&[1], &varint(1 << 32), b"k:\x05\x01x"]),
            ErrorKind::BadName,
            Some(1),
        ),
        // schema name length u64::MAX
        (
            kind::SCHEMA,
            cat(&[&[1], &varint(u64::MAX), b"name\x01"]),
            ErrorKind::BadName,
            Some(1),
        ),
        // schema name longer than the body
        (
            kind::SCHEMA,
            cat(&[&[1], &varint(200), b"name\x01"]),
            ErrorKind::BodyTruncated,
            Some(3),
        ),
        // schema version beyond u32
        (
            kind::SCHEMA,
            cat(&[&[1, 1, b'a'], &varint(1 << 32)]),
            ErrorKind::BadVarint,
            Some(3),
        ),
        // schema record type 256
        (
            kind::SCHEMA,
            cat(&[&varint(256), b"\x01a\x01"]),
            ErrorKind::RecordTypeOutOfRange { value: 256 },
            Some(0),
        ),
        // end frame stating u64::MAX records
        (
            kind::END,
            cat(&[&[1, 0], &varint(u64::MAX)]),
            ErrorKind::EndTotals {
                counted: End {
                    frames: 1,
                    blocks: 0,
                    records: 0,
                },
                stated: End {
                    frames: 1,
                    blocks: 0,
                    records: u64::MAX,
                },
            },
            None,
        ),
        // end frame with a field missing, and with one too many
        (kind::END, vec![1, 0], ErrorKind::BodyTruncated, Some(2)),
        (
            kind::END,
            vec![1, 0, 0, 0],
            ErrorKind::TrailingBytes,
            Some(3),
        ),
    ];
    for (k, body, want, field) in cases {
        let (bytes, at) = after_schema(|p| frame(p, k, &body));
        let e = verify_error(&bytes);
        assert_eq!(e.kind, want, "kind {k:#x} body {body:02x?}");
        let body_at = at + body_offset(k, body.len() as u32);
        if let Some(field) = field {
            assert_eq!(e.offset, (body_at + field) as u64, "offset for {want:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// §3 Header, §4.2 frame kinds
// ---------------------------------------------------------------------------

#[test]
fn ancillary_frames_are_skipped_and_reported() {
    for k in 0x40..=0x7Fu8 {
        let body = [k, 1, 2, 3];
        let bytes = Builder::new()
            .schema(0, "x")
            .block(0, &[b"a"])
            .raw(k, &body)
            .block(0, &[b"b", b"c"])
            .raw(k, &[])
            .end();
        let reader = Reader::new(&bytes).unwrap();
        let ancillary: Vec<(u8, &[u8])> = reader
            .frames()
            .filter_map(|f| match f.unwrap().frame {
                Frame::Ancillary { kind, body } => Some((kind, body)),
                _ => None,
            })
            .collect();
        assert_eq!(ancillary, [(k, &body[..]), (k, &[][..])]);
        let payloads: Vec<&[u8]> = reader.records().map(|r| r.unwrap().payload).collect();
        assert_eq!(payloads, [b"a", b"b", b"c"]);
        let s = reader.verify().unwrap();
        assert!(s.is_complete());
        // Ancillary frames count as frames in the end frame's totals.
        assert_eq!(
            s.counted,
            End {
                frames: 5,
                blocks: 2,
                records: 3
            }
        );
    }
}

#[test]
fn unknown_critical_frames_stop_the_reader() {
    for k in (0x05..=0x3Fu8).chain(0x80..=0xFE) {
        let mut b = Builder::new();
        b.schema(0, "x").block(0, &[b"a", b"b"]);
        let at = b.out.len();
        let bytes = b.raw(k, &[1, 2, 3]).block(0, &[b"c"]).end();
        let out = read(&bytes).unwrap();
        // The records before it are handed out; then the reader stops.
        assert_eq!(out.records.len(), 2);
        let e = out.iter_error.unwrap();
        assert_eq!(e.kind, ErrorKind::UnknownCriticalFrame { kind: k });
        assert_eq!(e.offset, at as u64);
        assert_eq!(e.kind.class(), Class::Unsupported);
    }
}

#[test]
fn invalid_frame_kinds_followed_by_data_are_corruption() {
    for k in [kind::INVALID_ZERO, kind::INVALID_ERASED] {
        let mut b = Builder::new();
        b.schema(0, "x");
        let at = b.out.len();
        let bytes = b.raw(k, &[1, 2, 3]).end();
        let e = verify_error(&bytes);
        assert_eq!(e.kind, ErrorKind::InvalidFrameKind { kind: k });
        assert_eq!(e.offset, at as u64);
    }
}

fn with_header(h: Header) -> Vec<u8> {
    Builder::with_header(h)
        .schema(0, "x")
        .block(0, &[b"a"])
        .end()
}

#[test]
fn unknown_required_feature_bits_are_refused() {
    for bit in 0..16 {
        let bits = 1u16 << bit;
        let bytes = with_header(Header {
            required_features: bits,
            ..Header::CURRENT
        });
        let e = Reader::new(&bytes).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownRequiredFeatures { bits });
        assert_eq!(e.offset, 10);
        assert_eq!(e.kind.class(), Class::Unsupported);
        assert!(ResumePoint::scan(&bytes).is_err());
    }
}

#[test]
fn unknown_optional_bits_and_later_minor_versions_are_read() {
    for (minor, optional) in [
        (0, 0xFFFF),
        (1, 0),
        (1, 0x0001),
        (200, 0x8000),
        (255, 0xFFFF),
    ] {
        let h = Header {
            minor,
            optional_features: optional,
            ..Header::CURRENT
        };
        let bytes = with_header(h);
        let reader = Reader::new(&bytes).unwrap();
        assert_eq!(reader.header(), h);
        let s = reader.verify().unwrap();
        assert!(s.is_complete());
        assert_eq!(s.header, h);
        assert_eq!(reader.records().count(), 1);
    }
}

#[test]
fn other_major_versions_are_refused() {
    for major in [0u8, 2, 255] {
        let bytes = with_header(Header {
            major,
            ..Header::CURRENT
        });
        let e = Reader::new(&bytes).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnsupportedVersion { major, minor: 0 });
        assert_eq!(e.offset, 8);
    }
}

#[test]
fn damaged_or_foreign_headers_are_refused() {
    let good = written_container();
    assert_eq!(
        Reader::new(b"PK\x03\x04 not a container").unwrap_err().kind,
        ErrorKind::BadSignature
    );
    assert_eq!(
        Reader::new(b"").unwrap_err().kind,
        ErrorKind::HeaderTruncated
    );
    for i in 0..HEADER_LEN {
        let mut d = good.clone();
        d[i] ^= 0x10;
        let kind = Reader::new(&d).unwrap_err().kind;
        if i < 8 {
            assert_eq!(kind, ErrorKind::BadSignature, "byte {i}");
        } else {
            assert!(matches!(kind, ErrorKind::HeaderChecksum { .. }), "byte {i}");
        }
    }
}

// ---------------------------------------------------------------------------
// §6–§8 Structure
// ---------------------------------------------------------------------------

#[test]
fn duplicate_record_type_is_refused() {
    let mut b = Builder::new();
    b.schema(3, "a").block(3, &[b"x"]);
    let at = b.out.len();
    let bytes = b.schema(3, "b").end();
    let out = read(&bytes).unwrap();
    assert_eq!(out.records.len(), 1);
    let e = out.iter_error.unwrap();
    assert_eq!(e.kind, ErrorKind::DuplicateRecordType { record_type: 3 });
    assert_eq!(e.offset, (at + body_offset(kind::SCHEMA, 3)) as u64);
}

#[test]
fn block_of_undeclared_type_is_refused() {
    // Never declared, and declared only after the block.
    for declare_later in [false, true] {
        let mut b = Builder::new();
        b.schema(0, "a").block(0, &[b"x"]);
        let at = b.out.len();
        b.block(9, &[b"y"]);
        if declare_later {
            b.schema(9, "late");
        }
        let out = read(&b.end()).unwrap();
        assert_eq!(out.records.len(), 1);
        let e = out.iter_error.unwrap();
        assert_eq!(e.kind, ErrorKind::UndeclaredRecordType { record_type: 9 });
        assert_eq!(e.offset, (at + FrameHead::LEN) as u64);
    }
}

#[test]
fn frames_removed_repeated_or_moved_break_the_checksum_chain() {
    // Spec §4.1: each checksum covers the 4 bytes before its frame.
    let mut b = Builder::new();
    b.schema(0, "a")
        .block(0, &[b"x"])
        .block(0, &[b"y"])
        .block(0, &[b"z"]);
    let full = b.end();
    let l = layout(&full);
    let f: Vec<(usize, usize)> = l.frames.iter().map(|f| (f.start, f.end)).collect();
    let (schema, b1, b2, b3, end) = (f[0], f[1], f[2], f[3], f[4]);
    let cat = |parts: &[(usize, usize)]| -> Vec<u8> {
        let mut out = full[..HEADER_LEN].to_vec();
        for &(a, z) in parts {
            out.extend_from_slice(&full[a..z]);
        }
        out
    };
    // (frames in order, offset of the first frame whose chain breaks)
    let cases: [(Vec<(usize, usize)>, usize); 4] = [
        (vec![schema, b1, b3, end], b2.0),
        (vec![schema, b1, b2, b2, b3, end], b3.0),
        (vec![schema, b2, b1, b3, end], b1.0),
        (vec![b1, schema, b2, b3, end], HEADER_LEN),
    ];
    for (parts, at) in cases {
        let bytes = cat(&parts);
        let e = verify_error(&bytes);
        assert!(
            matches!(e.kind, ErrorKind::FrameChecksum { .. }),
            "{parts:?}: {e:?}"
        );
        assert_eq!(e.offset, at as u64, "{parts:?}");
    }
    assert!(read(&full).unwrap().finish.unwrap().is_complete());
}

#[test]
fn end_totals_must_match_the_container() {
    let mut b = Builder::new();
    b.schema(0, "a").block(0, &[b"x", b"y"]).block(0, &[b"z"]);
    let right = b.counted;
    assert_eq!(
        right,
        End {
            frames: 3,
            blocks: 2,
            records: 3
        }
    );
    assert!(read(&b.end()).unwrap().finish.unwrap().is_complete());
    for stated in [
        End { frames: 2, ..right },
        End { frames: 4, ..right },
        End { blocks: 1, ..right },
        End { blocks: 3, ..right },
        End {
            records: 2,
            ..right
        },
        End {
            records: 4,
            ..right
        },
        End::default(),
    ] {
        let out = read(&b.end_with(stated)).unwrap();
        // Every record of the container was intact and handed out before the end frame.
        assert_eq!(out.records.len(), 3);
        assert_eq!(
            out.iter_error.unwrap().kind,
            ErrorKind::EndTotals {
                counted: right,
                stated
            }
        );
    }
}

#[test]
fn data_after_the_end_frame_is_refused() {
    let full = written_container();
    let l = layout(&full);
    let extra: [&[u8]; 4] = [
        &[0x2A],
        &frame(&full, kind::VENDOR_FIRST, b"late"),
        &frame(&full, kind::END, &end_body(l.counted(full.len()))),
        &full[HEADER_LEN..],
    ];
    for tail in extra {
        let mut bytes = full.clone();
        bytes.extend_from_slice(tail);
        let out = read(&bytes).unwrap();
        assert_eq!(out.records, l.records);
        let e = out.iter_error.unwrap();
        assert_eq!(e.kind, ErrorKind::DataAfterEnd);
        assert_eq!(e.offset, full.len() as u64);
        assert!(ResumePoint::scan(&bytes).is_err());
    }
}

// ---------------------------------------------------------------------------
// Typed decoding of payloads
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, PartialEq)]
enum Three {
    A,
    B(u8),
    C { x: u16 },
}

#[derive(Debug, Deserialize, PartialEq)]
struct Note<'a> {
    at: u32,
    text: &'a str,
}

#[test]
fn payload_decode_failures_name_the_rule_and_the_offset() {
    let payloads: [&[u8]; 16] = [
        b"",                         // 0: u32 from nothing
        b"\x80",                     // 1: u32 varint cut short
        b"\x01\x02",                 // 2: u8 with a byte left over
        b"\x02",                     // 3: bool 2
        b"\x01\xFF",                 // 4: char, not UTF-8
        b"\x03\xED\xA0\x80",         // 5: char, a surrogate
        b"\x02ab",                   // 6: char, two characters
        b"\x02\xC3\x28",             // 7: String, not UTF-8
        b"\x05",                     // 8: enum variant 5 of 3
        b"\x02",                     // 9: Option tag 2
        b"\xFF\xFF\xFF\xFF\x10",     // 10: u32 varint overflow
        b"\x0Aab",                   // 11: String of 10 bytes, 2 present
        b"\xFF\xFF\xFF\xFF\x0F\x01", // 12: Vec<u8> of 2^32 - 1 elements, 1 present
        b"\x07\x05hi",               // 13: Note with a 5-byte text, 2 present
        b"\x07\x02\xFF\xFE",         // 14: Note, text not UTF-8
        b"\x01\x03",                 // 15: Three::B(3) — valid, for contrast
    ];
    let mut buf = [0u8; 256];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "raw", 1, &[]).unwrap();
    for p in payloads {
        w.write_payload(h_0, p).unwrap();
    }
    let bytes = w.finish().unwrap();
    let reader = Reader::new(&bytes).unwrap();
    // Payload errors are about the record type, not the container.
    assert!(reader.verify().unwrap().is_complete());
    let recs: Vec<Record<'_>> = reader.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), payloads.len());
    let kind_at = |e: Error, r: &Record<'_>| (e.kind, e.offset - r.offset);
    use ErrorKind::{PayloadInvalid, PayloadTrailingBytes, PayloadTruncated};
    assert_eq!(
        kind_at(recs[0].decode::<u32>().unwrap_err(), &recs[0]),
        (PayloadTruncated, 0)
    );
    assert_eq!(
        kind_at(recs[1].decode::<u32>().unwrap_err(), &recs[1]),
        (PayloadTruncated, 1)
    );
    assert_eq!(
        kind_at(recs[2].decode::<u8>().unwrap_err(), &recs[2]),
        (PayloadTrailingBytes, 1)
    );
    assert_eq!(recs[3].decode::<bool>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[4].decode::<char>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[5].decode::<char>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[6].decode::<char>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[7].decode::<String>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[7].decode::<&str>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(recs[8].decode::<Three>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(
        recs[9].decode::<Option<u8>>().unwrap_err().kind,
        PayloadInvalid
    );
    assert_eq!(recs[10].decode::<u32>().unwrap_err().kind, PayloadInvalid);
    assert_eq!(
        recs[11].decode::<String>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[11].decode::<&str>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[12].decode::<Vec<u8>>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[13].decode::<Note<'_>>().unwrap_err().kind,
        PayloadTruncated
    );
    assert_eq!(
        recs[14].decode::<Note<'_>>().unwrap_err().kind,
        PayloadInvalid
    );
    assert_eq!(recs[15].decode::<Three>().unwrap(), Three::B(3));
    // Right bytes, wrong type: the same record as u8 has a byte left over.
    assert_eq!(
        kind_at(recs[15].decode::<u8>().unwrap_err(), &recs[15]),
        (PayloadTrailingBytes, 1)
    );
    for k in [PayloadInvalid, PayloadTruncated, PayloadTrailingBytes] {
        assert_eq!(k.class(), Class::Payload);
    }
}

// ---------------------------------------------------------------------------
// §11 The writer: refusals
// ---------------------------------------------------------------------------

fn payloads_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let reader = Reader::new(bytes).unwrap();
    assert!(reader.verify().unwrap().is_complete());
    reader
        .records()
        .map(|r| r.unwrap().payload.to_vec())
        .collect()
}

#[test]
fn record_larger_than_the_buffer_is_refused_and_earlier_records_survive() {
    let mut buf = [0u8; 32];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "raw", 1, &[]).unwrap();
    w.write_payload(h_0, &[1; 10]).unwrap();
    w.write_payload(h_0, &[2; 5]).unwrap();
    // 32 bytes of buffer hold one record of 31 bytes (1 goes to its length).
    assert_eq!(
        w.write_payload(h_0, &[3; 32]),
        Err(write::Error::RecordTooLarge { capacity: 31 })
    );
    assert_eq!(
        w.write_serialized(h_0, &"a string far too long for a 32-byte buffer"),
        Err(write::Error::RecordTooLarge { capacity: 31 })
    );
    w.write_payload(h_0, &[4; 30]).unwrap();
    w.write_payload(h_0, &[]).unwrap();
    let bytes = w.finish().unwrap();
    assert_eq!(
        payloads_of(&bytes),
        [vec![1; 10], vec![2; 5], vec![4; 30], vec![]]
    );
}

#[test]
fn record_longer_than_the_record_limit_is_refused() {
    let mut buf = vec![0u8; 70_000];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "raw", 1, &[]).unwrap();
    let max = limits::MAX_RECORD_LEN as usize;
    w.write_payload(h_0, &[7]).unwrap();
    assert_eq!(
        w.write_payload(h_0, &vec![0; max + 1]),
        Err(write::Error::RecordTooLarge { capacity: max })
    );
    w.write_payload(h_0, &vec![9; max]).unwrap();
    let bytes = w.finish().unwrap();
    let p = payloads_of(&bytes);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0], [7]);
    assert_eq!(p[1], vec![9; max]);
}

#[test]
fn writer_refusals_leave_the_container_usable() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    // Handles of another writer's types: this writer declares neither yet.
    let (foreign_4, foreign_5) = (foreign_handle(4), foreign_handle(5));
    assert_eq!(
        w.write_serialized(foreign_4, &1u8),
        Err(write::Error::UndeclaredRecordType { record_type: 4 })
    );
    assert_eq!(
        w.declared_raw(4),
        Err(write::Error::UndeclaredRecordType { record_type: 4 })
    );
    let h_4 = w.declare(4, "a", 1, &[]).unwrap();
    w.write_serialized(h_4, &1u8).unwrap();
    assert_eq!(
        w.declare(4, "again", 2, &[]),
        Err(write::Error::AlreadyDeclared { record_type: 4 })
    );
    assert_eq!(
        w.write_serialized(foreign_5, &2u8),
        Err(write::Error::UndeclaredRecordType { record_type: 5 })
    );
    assert_eq!(
        w.declare(5, "", 1, &[]),
        Err(write::Error::Invalid(ErrorKind::BadName))
    );
    assert_eq!(
        w.declare(5, &"n".repeat(256), 1, &[]),
        Err(write::Error::Invalid(ErrorKind::BadName))
    );
    assert_eq!(
        w.metadata(&[]),
        Err(write::Error::Invalid(ErrorKind::BadCount { count: 0 }))
    );
    assert_eq!(
        w.metadata(&[Entry::new(key::PRODUCER_VENDOR, Value::Uint(1))]),
        Err(write::Error::Invalid(ErrorKind::MetadataValueType {
            expected: koffer::meta::value_type::STR,
            found: koffer::meta::value_type::UINT,
        }))
    );
    w.write_serialized(h_4, &2u8).unwrap();
    let bytes = w.finish().unwrap();
    assert_eq!(payloads_of(&bytes), [vec![1], vec![2]]);
    let reader = Reader::new(&bytes).unwrap();
    assert_eq!(reader.schemas().count(), 1);
    assert_eq!(reader.metadata().count(), 0);

    let mut small = [0u8; write::MIN_BUFFER_LEN - 1];
    assert!(matches!(
        Writer::new(Vec::new(), &mut small),
        Err(write::Error::BufferTooSmall { len: 15, min: 16 })
    ));
}

// ---------------------------------------------------------------------------
// §11.2 Sink failures and resuming
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SinkFull;

impl std::fmt::Display for SinkFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sink full")
    }
}

impl std::error::Error for SinkFull {}

impl embedded_io::Error for SinkFull {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::OutOfMemory
    }
}

/// A sink that accepts `limit` bytes, then fails; a write that crosses the
/// limit is partly done, as on a device losing power mid-write.
struct FailingSink {
    data: Vec<u8>,
    limit: usize,
}

impl embedded_io::ErrorType for FailingSink {
    type Error = SinkFull;
}

impl embedded_io::Write for FailingSink {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkFull> {
        let room = self.limit - self.data.len();
        if room == 0 && !bytes.is_empty() {
            return Err(SinkFull);
        }
        let n = room.min(bytes.len());
        self.data.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), SinkFull> {
        Ok(())
    }
}

const APPENDED: [&[u8]; 4] = [b"after-1", b"after-2", b"", b"after-4"];

/// The writer's script for the sink tests: metadata, two schemas, blocks of
/// two record types; any step may fail.
fn script<W: embedded_io::Write>(w: &mut Writer<'_, W>) -> Result<(), write::Error<W::Error>> {
    w.metadata(&[Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3"))])?;
    let h_0 = w.declare(0, "sample", 1, b"\x13\x01S")?;
    for i in 0..6u8 {
        w.write_payload(h_0, &[i; 9])?;
    }
    let h_1 = w.declare(1, "event", 1, &[])?;
    w.write_payload(h_1, b"event")?;
    for i in 0..3u8 {
        w.write_payload(h_0, &[0x40 + i; 3])?;
    }
    Ok(())
}

/// A handle of record type `t` declared by another writer: the writer it is
/// used with checks that it declares `t` too.
fn foreign_handle(t: u8) -> write::RawHandle {
    let mut buf = [0u8; 16];
    let mut other = Writer::new(Vec::new(), &mut buf).unwrap();
    other.declare(t, "elsewhere", 1, &[]).unwrap()
}

/// Runs [`script`] and finishes the container; returns the first error.
fn script_and_finish<W: embedded_io::Write>(
    mut w: Writer<'_, W>,
) -> Result<W, write::Error<W::Error>> {
    script(&mut w)?;
    w.finish()
}

fn scripted_container() -> Vec<u8> {
    let mut buf = [0u8; 40];
    script_and_finish(Writer::new(Vec::new(), &mut buf).unwrap()).unwrap()
}

/// The intact prefix of a cut at `cut`, as a writer resumes it (a cut inside
/// the header resumes from nothing).
fn resume_len(l: &Layout, cut: usize) -> usize {
    if cut < HEADER_LEN {
        0
    } else {
        l.valid_len(cut)
    }
}

/// Resumes after `existing` (bytes a writer left behind, whose intact prefix
/// is `expected_valid` bytes of the original container), appends
/// [`APPENDED`] as records of both types and checks the result against the
/// original container's layout.
fn resume_and_check(l: &Layout, existing: &[u8], expected_valid: usize) {
    let point = ResumePoint::scan(existing).unwrap();
    let valid = point.valid_len() as usize;
    assert_eq!(valid, expected_valid, "prefix {}", existing.len());
    assert_eq!(point.counted(), l.counted(valid));
    let declared = l.declared(valid);
    assert_eq!(point.declared().len(), declared.len());
    for &t in &declared {
        assert!(point.declared().contains(t));
    }
    if valid == l.len {
        assert!(point.is_complete());
        let mut buf = [0u8; 40];
        assert!(matches!(
            Writer::resume(existing.to_vec(), &mut buf, &point),
            Err(write::Error::AlreadyComplete)
        ));
        return;
    }
    assert!(!point.is_complete());

    let mut buf = [0u8; 40];
    let mut w = Writer::resume(existing[..valid].to_vec(), &mut buf, &point).unwrap();
    for t in [0u8, 1] {
        if !point.declared().contains(t) {
            w.declare(t, "again", 2, &[]).unwrap();
        }
    }
    for (k, p) in APPENDED.iter().enumerate() {
        let h = w.declared_raw((k % 2) as u8).unwrap();
        w.write_payload(h, p).unwrap();
    }
    let bytes = w.finish().unwrap();
    if valid > 0 {
        assert_eq!(
            &bytes[..valid],
            &existing[..valid],
            "the intact prefix is kept"
        );
    }
    let out = read(&bytes).unwrap();
    assert!(
        out.finish.as_ref().unwrap().is_complete(),
        "prefix {}: {:?}",
        existing.len(),
        out.finish
    );
    let kept = l.records_before(valid);
    let mut expected: Vec<Rec> = kept.to_vec();
    for (k, p) in APPENDED.iter().enumerate() {
        expected.push(Rec {
            record_type: (k % 2) as u8,
            index: (kept.len() + k) as u64,
            payload: p.to_vec(),
        });
    }
    assert_eq!(out.records, expected, "prefix {}", existing.len());
}

#[test]
fn writer_resumes_after_a_cut_at_every_byte() {
    let full = scripted_container();
    let l = layout(&full);
    assert!(
        l.frames
            .iter()
            .filter(|f| f.block_records.is_some())
            .count()
            >= 4
    );
    for p in 0..=full.len() {
        resume_and_check(&l, &full[..p], resume_len(&l, p));
    }
}

#[test]
fn writer_resumes_after_a_cut_followed_by_erased_storage() {
    let full = scripted_container();
    let l = layout(&full);
    for f in l.frames.iter().filter(|f| !f.is_end) {
        for fill in [0x00, 0xFF] {
            let mut existing = full[..f.end].to_vec();
            existing.resize(f.end + 64, fill);
            resume_and_check(&l, &existing, f.end);
        }
    }
}

#[test]
fn sink_failure_poisons_the_writer_and_the_sink_contents_resume() {
    let full = scripted_container();
    let l = layout(&full);
    for limit in 0..=full.len() {
        let mut sink = FailingSink {
            data: Vec::new(),
            limit,
        };
        let mut buf = [0u8; 40];
        match Writer::new(&mut sink, &mut buf) {
            Err(e) => {
                assert!(limit < HEADER_LEN);
                assert_eq!(e, write::Error::Sink(SinkFull));
            }
            Ok(mut w) => {
                let r = match script(&mut w) {
                    Ok(()) => w.finish().map(drop),
                    Err(e) => {
                        // A frame may be half written: every later call is refused.
                        let h = foreign_handle(0);
                        assert_eq!(w.write_payload(h, b"x"), Err(write::Error::Poisoned));
                        assert_eq!(w.flush(), Err(write::Error::Poisoned));
                        assert_eq!(w.declare(7, "late", 1, &[]), Err(write::Error::Poisoned));
                        assert_eq!(
                            w.metadata(&[Entry::new("x:y", Value::Bool(true))]),
                            Err(write::Error::Poisoned)
                        );
                        assert!(matches!(w.finish(), Err(write::Error::Poisoned)));
                        Err(e)
                    }
                };
                match r {
                    Ok(()) => assert_eq!(limit, full.len()),
                    Err(e) => {
                        assert!(limit < full.len());
                        assert_eq!(e, write::Error::Sink(SinkFull), "limit {limit}");
                    }
                }
            }
        }
        // The sink holds exactly the bytes up to the failure.
        assert_eq!(sink.data, &full[..limit]);
        resume_and_check(&l, &sink.data, resume_len(&l, limit));
    }
}

#[test]
fn writing_into_a_full_slice_sink_fails_cleanly() {
    let full = scripted_container();
    let l = layout(&full);
    for size in 0..=full.len() {
        let mut out = vec![0u8; size];
        let mut sink = SliceSink::new(&mut out);
        let mut buf = [0u8; 40];
        let failed = match Writer::new(&mut sink, &mut buf) {
            Err(e) => Some(e),
            Ok(w) => script_and_finish(w).err(),
        };
        assert_eq!(failed.is_some(), size < full.len(), "size {size}");
        if let Some(e) = failed {
            assert!(matches!(e, write::Error::Sink(_)));
        }
        // A slice sink takes all of a piece or none of it, so it holds a
        // prefix of the container, cut where a piece would not fit.
        let written = sink.written();
        assert!(written.len() <= size);
        assert_eq!(written, &full[..written.len()]);
        resume_and_check(&l, written, resume_len(&l, written.len()));
    }
}

// ---------------------------------------------------------------------------
// Findings of the spec review
// ---------------------------------------------------------------------------

#[test]
fn header_cut_by_a_power_loss_then_filled_is_truncated_and_resumes_from_zero() {
    // Spec §3.3: the written bytes end inside the header.
    let header = Header::CURRENT.to_bytes();
    for cut in 0..HEADER_LEN {
        for fill in [0x00u8, 0xFF] {
            let mut input = header[..cut].to_vec();
            input.resize(64, fill);
            let e = Reader::new(&input).unwrap_err();
            assert_eq!(
                e.kind,
                ErrorKind::HeaderTruncated,
                "cut {cut} fill {fill:#x}"
            );
            let point = ResumePoint::scan(&input).unwrap();
            assert_eq!(point.valid_len(), 0);
            // Resume from zero (after erasing), then the container is whole.
            let mut buf = [0u8; 64];
            let mut w = Writer::resume(Vec::new(), &mut buf, &point).unwrap();
            let h_0 = w.declare(0, "t", 1, &[]).unwrap();
            w.write_serialized(h_0, &7u8).unwrap();
            let out = w.finish().unwrap();
            assert!(Reader::new(&out).unwrap().verify().unwrap().is_complete());
        }
    }
    // A foreign file that happens to end in fill is still not a container.
    let mut foreign = b"%PDF-1.7".to_vec();
    foreign.resize(40, 0x00);
    assert_eq!(
        Reader::new(&foreign).unwrap_err().kind,
        ErrorKind::BadSignature
    );
}

#[test]
fn complete_container_in_an_erased_region_resumes_nowhere_and_reports_its_length() {
    let full = written_container();
    let mut region = full.clone();
    region.resize(full.len() + 100, 0xFF);
    let s = read(&region).unwrap().finish.unwrap();
    assert!(s.is_complete());
    assert_eq!(s.len, full.len() as u64);
    let point = ResumePoint::scan(&region).unwrap();
    assert!(point.is_complete());
    assert_eq!(point.valid_len(), full.len() as u64);
}

#[test]
fn metadata_given_as_raw_bytes_of_a_defined_type_must_be_valid() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    for (value_type, bytes) in [
        (1u8, &[2u8][..]),
        (4, &[0; 7][..]),
        (5, &[0xFF][..]),
        (8, &[0x80][..]),
    ] {
        let e = Entry::new("x:y", Value::Unknown { value_type, bytes });
        assert!(
            matches!(
                w.metadata(&[e]),
                Err(write::Error::Invalid(ErrorKind::BadValue { .. }))
            ),
            "type {value_type}"
        );
    }
    // Valid raw bytes of a defined type, and any bytes of an undefined type, are fine.
    w.metadata(&[
        Entry::new(
            "x:a",
            Value::Unknown {
                value_type: 1,
                bytes: &[1],
            },
        ),
        Entry::new(
            "x:b",
            Value::Unknown {
                value_type: 0x42,
                bytes: &[0xFF],
            },
        ),
    ])
    .unwrap();
    let out = w.finish().unwrap();
    assert!(Reader::new(&out).unwrap().verify().unwrap().is_complete());
}

#[test]
fn an_undeclared_block_is_refused_before_its_other_fields_are_read() {
    // Spec §7 rule 1: record type 9 is undeclared; the count 0 after it is not reached.
    let mut b = Builder::new();
    b.schema(0, "a");
    let at = b.out.len();
    b.raw(kind::BLOCK, &[9, 0, 0, 0]);
    let e = verify_error(&b.end());
    assert_eq!(e.kind, ErrorKind::UndeclaredRecordType { record_type: 9 });
    assert_eq!(e.offset, (at + FrameHead::LEN) as u64);
}
