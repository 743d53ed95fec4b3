//! §9: export series join with no gap, overlap or reordering.

use koffer::meta::{Entry, Value};
use koffer::seal::series::{join, Link, SeriesError};

fn export(seq: u64, previous: Option<&[u8]>, start: u64, end: u64) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let mut entries = vec![
        Entry::new("export.sequence", Value::Uint(seq)),
        Entry::new("export.cursor.start", Value::Uint(start)),
        Entry::new("export.cursor.end", Value::Uint(end)),
    ];
    let digest;
    if let Some(p) = previous {
        digest = crate::util::sha256(p);
        entries.push(Entry::new("export.previous", Value::Bytes(&digest)));
    }
    w.metadata(&entries).unwrap();
    let n = w.declare(0, "n", 1, &[]).unwrap();
    for i in start..end {
        w.write_serialized(n, &i).unwrap();
    }
    w.finish().unwrap()
}

fn links(files: &[&Vec<u8>]) -> Vec<Link> {
    files.iter().map(|f| Link::read(f).unwrap()).collect()
}

#[test]
fn a_series_joins() {
    let a = export(1, None, 0, 10);
    let b = export(2, Some(&a), 10, 25);
    let c = export(3, Some(&b), 25, 25);
    assert_eq!(join(&links(&[&a, &b, &c])), Ok(()));
}

#[test]
fn gap_overlap_reordering_and_a_changed_predecessor_are_refused() {
    let a = export(1, None, 0, 10);
    let b = export(2, Some(&a), 10, 25);
    let gap = export(2, Some(&a), 11, 25);
    assert_eq!(
        join(&links(&[&a, &gap])),
        Err((
            1,
            SeriesError::Gap {
                expected: 10,
                found: 11
            }
        ))
    );
    let overlap = export(2, Some(&a), 8, 25);
    assert_eq!(
        join(&links(&[&a, &overlap])),
        Err((
            1,
            SeriesError::Overlap {
                expected: 10,
                found: 8
            }
        ))
    );
    assert_eq!(
        join(&links(&[&b, &a])),
        Err((
            1,
            SeriesError::Reordered {
                expected: 3,
                found: 1
            }
        ))
    );
    let c = export(3, Some(&b), 25, 30);
    assert_eq!(
        join(&links(&[&a, &c])),
        Err((
            1,
            SeriesError::Reordered {
                expected: 2,
                found: 3
            }
        ))
    );
    let mut a2 = a.clone();
    let n = a2.len();
    a2[n - 1] ^= 1; // a different file than the one b names
    let mut l = links(&[&a, &b]);
    l[0].digest = crate::util::sha256(&a2);
    assert_eq!(join(&l), Err((1, SeriesError::PreviousMismatch)));
}

#[test]
fn series_keys_are_well_known_with_their_types() {
    // A uint key written as a string is MetadataValueType (format.md §5.3).
    let mut buf = [0u8; 64];
    let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
    let e = w.metadata(&[Entry::new("export.sequence", Value::Str("1"))]);
    assert!(e.is_err());
    let a = export(1, None, 5, 3);
    assert_eq!(Link::read(&a), Err(SeriesError::BadCursor));
}

/// Export 1 has no `export.previous`, every later export has one, numbers
/// start at 1 (spec `seal.md` §9).
#[test]
fn the_first_export_has_no_previous_and_the_others_have_one() {
    let a = export(1, None, 0, 10);
    assert_eq!(
        Link::read(&export(1, Some(&a), 0, 10)),
        Err(SeriesError::PreviousInFirst)
    );
    assert_eq!(
        Link::read(&export(2, None, 10, 20)),
        Err(SeriesError::Missing("export.previous"))
    );
    assert_eq!(
        Link::read(&export(0, None, 0, 10)),
        Err(SeriesError::Missing("export.sequence"))
    );
}

/// `export.previous` is the SHA-256 of the predecessor up to the end of its
/// END frame: an unwritten tail after it (format.md §10.3) does not break
/// the series.
#[test]
fn an_unwritten_tail_after_the_end_frame_is_not_part_of_the_digest() {
    let a = export(1, None, 0, 10);
    let b = export(2, Some(&a), 10, 25);
    let mut padded = a.clone();
    padded.extend_from_slice(&[0xFF; 64]);
    assert_eq!(join(&links(&[&padded, &b])), Ok(()));
}
