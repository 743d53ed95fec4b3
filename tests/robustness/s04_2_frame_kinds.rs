//! Spec `format.md` §4.2: frame kinds — ancillary frames are skipped,
//! unknown critical ones stop the reader, the invalid kinds are corruption.

use koffer::end::End;
use koffer::frame::kind;
use koffer::read::{Class, ErrorKind, Frame, Reader};

use crate::build::*;
use crate::reading::*;

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
