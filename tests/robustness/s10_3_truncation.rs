//! Spec `format.md` §10.3: torn and unwritten tails — a container cut at any
//! byte keeps every intact block; a tail of `0x00` or `0xFF` after a frame
//! boundary, or after a torn frame, is not corruption.

use koffer::header::{Header, HEADER_LEN};
use koffer::read::{Class, Completeness, ErrorKind, Reader, Tail};
use koffer::write::ResumePoint;

use crate::build::*;
use crate::reading::*;

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
