//! §4: the SEAL frame — its fields, the running digest (§4.1) and the
//! Merkle tree (§4.2) — checked against references written from the spec:
//! SHA-256 of the file's prefix and RFC 9162's recursive MTH.

use koffer::seal::merkle::{leaf_hash, Merkle};
use koffer::seal::{Malformed, Payload, Reason, SealFrame, SEAL_BODY_LEN};

use crate::util::{frames, mth, sealed, seals, sha256};

#[test]
fn payload_field_offsets() {
    let p = Payload {
        sequence: 0x0403_0201,
        is_final: true,
        segment_start: 0x1122,
        covered_end: 0x3344,
        leaf_count: 7,
        running: [0xAB; 32],
        merkle_root: [0xCD; 32],
    };
    let b = p.encode();
    assert_eq!(&b[..8], b"KOFSEAL1");
    assert_eq!(&b[8..12], &[1, 2, 3, 4]);
    assert_eq!(b[12], 1);
    assert_eq!(&b[13..21], &[0x22, 0x11, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&b[21..29], &[0x44, 0x33, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&b[29..33], &[7, 0, 0, 0]);
    assert_eq!(&b[33..65], &[0xAB; 32]);
    assert_eq!(&b[65..97], &[0xCD; 32]);
}

#[test]
fn malformed_seal_bodies() {
    let p = Payload {
        sequence: 1,
        is_final: false,
        segment_start: 0,
        covered_end: 18,
        leaf_count: 0,
        running: [0; 32],
        merkle_root: [0; 32],
    };
    let good = SealFrame {
        payload: p,
        signature: [5; 64],
    }
    .encode();
    let mut b = good;
    b[3] = b'X';
    assert_eq!(
        SealFrame::parse(&b),
        Err(Malformed {
            at: 0,
            reason: Reason::BadTag
        })
    );
    let mut b = good;
    b[12] = 0x02;
    assert_eq!(
        SealFrame::parse(&b),
        Err(Malformed {
            at: 12,
            reason: Reason::BadFlags { flags: 2 }
        })
    );
    // A truncated signature: Truncated at the end of the body.
    assert_eq!(
        SealFrame::parse(&good[..150]),
        Err(Malformed {
            at: 150,
            reason: Reason::Truncated
        })
    );
    let mut long = good.to_vec();
    long.push(0);
    assert_eq!(
        SealFrame::parse(&long),
        Err(Malformed {
            at: SEAL_BODY_LEN,
            reason: Reason::TrailingBytes
        })
    );
    for n in 0..SEAL_BODY_LEN {
        assert!(SealFrame::parse(&good[..n]).is_err());
    }
}

#[test]
fn merkle_matches_rfc9162_recursive_definition() {
    let data: Vec<Vec<u8>> = (0..70u32)
        .map(|i| i.to_le_bytes().repeat(i as usize % 5 + 1))
        .collect();
    for n in 0..data.len() {
        let mut m = Merkle::new();
        for d in &data[..n] {
            m.push(leaf_hash(d));
        }
        let refs: Vec<&[u8]> = data[..n].iter().map(|d| d.as_slice()).collect();
        assert_eq!(m.root(), mth(&refs), "{n} leaves");
    }
}

/// Every seal of a written container states what §4 says, computed here
/// from the bytes alone.
#[test]
fn every_seal_states_the_prefix_digest_and_the_segment_tree() {
    for every in [1, 2, 3, 5] {
        let bytes = sealed(130, every, true);
        let fr = frames(&bytes);
        let mut segment_start = 0usize;
        let mut leaves: Vec<&[u8]> = Vec::new();
        let mut sequence = 0;
        for &(at, kind, size) in &fr {
            match kind {
                0x03 => leaves.push(&bytes[at..at + size]),
                0x41 => {
                    sequence += 1;
                    let s = SealFrame::parse(&bytes[at + 5..at + size - 4]).unwrap();
                    let p = s.payload;
                    assert_eq!(p.sequence, sequence);
                    assert_eq!(p.segment_start, segment_start as u64);
                    assert_eq!(p.covered_end, at as u64);
                    assert_eq!(p.leaf_count as usize, leaves.len());
                    assert!(leaves.len() <= every as usize);
                    assert_eq!(p.running, sha256(&bytes[..at]));
                    assert_eq!(p.merkle_root, mth(&leaves));
                    segment_start = at + size;
                    leaves.clear();
                }
                _ => {}
            }
        }
        assert!(sequence > 1);
        // The last seal is final and directly before the END frame.
        let n = fr.len();
        assert_eq!((fr[n - 2].1, fr[n - 1].1), (0x41, 0x04));
        let last =
            SealFrame::parse(&bytes[fr[n - 2].0 + 5..fr[n - 2].0 + fr[n - 2].2 - 4]).unwrap();
        assert!(last.payload.is_final);
        assert_eq!(seals(&bytes).len(), sequence as usize);
    }
}

/// §4.2: every leaf of trees of 1 to 40 leaves has an inclusion proof that
/// verifies against the root, and only for its own leaf and index.
#[test]
fn inclusion_proofs_for_every_leaf() {
    use koffer::seal::merkle::{inclusion_path, verify_inclusion};
    let leaves: Vec<[u8; 32]> = (0..40u8).map(|i| leaf_hash(&[i, i])).collect();
    for n in 1..=leaves.len() {
        let mut m = Merkle::new();
        leaves[..n].iter().for_each(|l| {
            m.push(*l);
        });
        let root = m.root();
        for i in 0..n {
            let path = inclusion_path(&leaves[..n], i).unwrap();
            assert!(path.len() <= 6);
            assert!(
                verify_inclusion(&leaves[i], i as u64, n as u64, &path, &root),
                "{i} of {n}"
            );
            let other = (i + 1) % n;
            if other != i {
                assert!(!verify_inclusion(
                    &leaves[other],
                    i as u64,
                    n as u64,
                    &path,
                    &root
                ));
                assert!(!verify_inclusion(
                    &leaves[i],
                    other as u64,
                    n as u64,
                    &path,
                    &root
                ));
            }
            let mut bad_root = root;
            bad_root[0] ^= 1;
            assert!(!verify_inclusion(
                &leaves[i], i as u64, n as u64, &path, &bad_root
            ));
        }
        assert!(inclusion_path(&leaves[..n], n).is_none());
    }
}
