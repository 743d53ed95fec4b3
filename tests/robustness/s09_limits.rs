//! Spec `format.md` §9: limits — declared sizes and counts beyond the input
//! or beyond the limits are refused at their own field.

use koffer::end::End;
use koffer::frame::{kind, FrameHead};
use koffer::limits;
use koffer::read::{Class, ErrorKind, Tail};
use koffer::write::ResumePoint;

use crate::build::*;
use crate::reading::*;

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
