//! Spec `format.md` §6–§8 (schema, block and end frames) and the order and
//! structure checks of §10.1: record types declared once and before use, the
//! checksum chain (§4.1), the end frame's totals, nothing after the end frame.

use koffer::end::End;
use koffer::frame::{kind, FrameHead};
use koffer::header::HEADER_LEN;
use koffer::read::ErrorKind;
use koffer::write::ResumePoint;

use crate::build::*;
use crate::reading::*;

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
