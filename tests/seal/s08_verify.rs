//! §8: the verification report, and every failure of §8.3 at its offset:
//! forged records (checksums rebuilt), a wrong key, seals stripped,
//! reordered, repeated, replayed from another file, truncated signatures;
//! and a sealed container cut at every byte of its last 2 KB.

use koffer::seal::{seal_field, ErrorKind, Reason, Verdict, SEALED};
use proptest::prelude::*;

use crate::util::{
    bodies, continued_after_final, frames, offset_of, rebuild, sealed, sealed_with, seals, verify,
    OTHER_SEED,
};

fn not_authentic(bytes: &[u8]) -> koffer::seal::Error {
    match verify(bytes).verdict {
        Verdict::NotAuthentic(e) => e,
        v => panic!("expected not authentic, got {v:?}"),
    }
}

fn index_of(fr: &[(u8, Vec<u8>)], kind: u8, nth: usize) -> usize {
    fr.iter()
        .enumerate()
        .filter(|(_, f)| f.0 == kind)
        .nth(nth)
        .unwrap()
        .0
}

#[test]
fn authentic_and_rebuilt_unchanged() {
    let bytes = sealed(100, 3, true);
    let r = verify(&bytes);
    assert_eq!(r.verdict, Verdict::Authentic);
    assert_eq!(r.seals as usize, seals(&bytes).len());
    let last = *seals(&bytes).last().unwrap();
    assert_eq!(r.authentic_len, (last.0 + last.1) as u64);
    assert_eq!(r.unsealed_len(), 12, "only the END frame");
    // The forger's tool, with nothing changed, gives the same bytes.
    assert_eq!(rebuild(&bytes, &bodies(&bytes)), bytes);
}

#[test]
fn a_forged_record_is_not_authentic_from_the_last_good_seal() {
    let bytes = sealed(100, 3, true);
    let mut fr = bodies(&bytes);
    // A payload byte of the 5th block: after seal 1, before seal 2.
    let b = index_of(&fr, 0x03, 4);
    let last = fr[b].1.len() - 1;
    fr[b].1[last] ^= 0x01;
    let forged = rebuild(&bytes, &fr);
    assert!(koffer::read::Reader::new(&forged)
        .unwrap()
        .verify()
        .unwrap()
        .is_complete());
    let e = not_authentic(&forged);
    let seal1 = index_of(&fr, 0x41, 0);
    let seal2 = index_of(&fr, 0x41, 1);
    assert_eq!(
        e.kind,
        ErrorKind::DigestMismatch {
            seal: offset_of(&fr, seal2)
        }
    );
    assert_eq!(e.offset, offset_of(&fr, seal1 + 1), "the end of seal 1");
    let r = verify(&forged);
    assert_eq!((r.seals, r.authentic_len), (1, offset_of(&fr, seal1 + 1)));
}

#[test]
fn a_forged_metadata_value_is_caught_by_the_first_seal() {
    let bytes = sealed(40, 3, true);
    let mut fr = bodies(&bytes);
    let m = index_of(&fr, 0x01, 0);
    let n = fr[m].1.len();
    fr[m].1[n - 1] = b'4'; // "Band 3" -> "Band 4"
    let e = not_authentic(&rebuild(&bytes, &fr));
    assert_eq!(e.offset, 0);
    assert!(matches!(e.kind, ErrorKind::DigestMismatch { .. }));
}

#[test]
fn a_wrong_key() {
    let other = sealed_with(OTHER_SEED, 40, 3, true);
    let e = not_authentic(&other);
    assert_eq!((e.offset, e.kind), (18, ErrorKind::UntrustedKey));
    // The KEY frame swapped for ours (checksums rebuilt): the signatures fail.
    let ours = sealed(40, 3, true);
    let mut fr = bodies(&other);
    fr[0] = bodies(&ours)[0].clone();
    let e = not_authentic(&rebuild(&other, &fr));
    let s = index_of(&fr, 0x41, 0);
    assert_eq!(e.kind, ErrorKind::BadSignature);
    assert_eq!(
        e.offset,
        offset_of(&fr, s) + 5 + seal_field::SIGNATURE as u64
    );
}

#[test]
fn seals_stripped() {
    let bytes = sealed(100, 3, true);
    let fr = bodies(&bytes);
    // Every seal removed: the 4th block after the KEY frame is one too many.
    let stripped: Vec<_> = fr.iter().filter(|f| f.0 != 0x41).cloned().collect();
    let e = not_authentic(&rebuild(&bytes, &stripped));
    assert_eq!(e.kind, ErrorKind::SealMissing);
    assert_eq!(e.offset, offset_of(&stripped, index_of(&stripped, 0x03, 3)));
    // Only the final seal removed: the END frame is not sealed.
    let mut no_final = fr.clone();
    no_final.remove(no_final.len() - 2);
    let e = not_authentic(&rebuild(&bytes, &no_final));
    assert_eq!(
        (e.kind, e.offset),
        (
            ErrorKind::SealMissing,
            offset_of(&no_final, no_final.len() - 1)
        )
    );
    // Cut at a seal and given a new END frame: not complete-and-authentic.
    let s3 = index_of(&fr, 0x41, 2);
    let mut cut = fr[..=s3].to_vec();
    cut.push((0x04, vec![]));
    let e = not_authentic(&rebuild(&bytes, &cut));
    assert_eq!(
        (e.kind, e.offset),
        (ErrorKind::SealMissing, offset_of(&cut, s3 + 1))
    );
    // Seals, KEY frame and declaration removed: unsealed.
    let mut header = bytes[..18].to_vec();
    header[12] = 0;
    header[9] = 0;
    let bare: Vec<_> = stripped.into_iter().filter(|f| f.0 != 0x40).collect();
    let e = not_authentic(&rebuild(&header, &bare));
    assert_eq!((e.kind, e.offset), (ErrorKind::Unsealed, 0));
    // Declared, but the KEY frame removed.
    let no_key: Vec<_> = fr.iter().filter(|f| f.0 != 0x40).cloned().collect();
    let e = not_authentic(&rebuild(&bytes, &no_key));
    assert_eq!(e.kind, ErrorKind::KeyMissing);
    assert_eq!(e.offset, offset_of(&no_key, index_of(&no_key, 0x03, 0)));
    assert_ne!(u16::from_le_bytes([bytes[12], bytes[13]]) & SEALED, 0);
}

#[test]
fn seals_reordered_repeated_and_replayed() {
    let bytes = sealed(100, 3, true);
    let fr = bodies(&bytes);
    let (s2, s3) = (index_of(&fr, 0x41, 1), index_of(&fr, 0x41, 2));
    // Seal 3's body where seal 2 was, and seal 2's where 3 was.
    let mut swapped = fr.clone();
    swapped.swap(s2, s3);
    let swapped_back = {
        let mut v = swapped.clone();
        v[s2].0 = 0x41;
        v
    };
    let e = not_authentic(&rebuild(&bytes, &swapped_back));
    assert_eq!(
        e.kind,
        ErrorKind::SequenceMismatch {
            expected: 2,
            found: 3
        }
    );
    assert_eq!(
        e.offset,
        offset_of(&fr, s2) + 5 + seal_field::SEQUENCE as u64
    );
    // Seal 2 repeated right after itself.
    let mut repeated = fr.clone();
    repeated.insert(s2 + 1, fr[s2].clone());
    let e = not_authentic(&rebuild(&bytes, &repeated));
    assert_eq!(
        e.kind,
        ErrorKind::SequenceMismatch {
            expected: 3,
            found: 2
        }
    );
    assert_eq!(
        e.offset,
        offset_of(&repeated, s2 + 1) + 5 + seal_field::SEQUENCE as u64
    );
    // Seal 2 moved one frame later: its range no longer matches.
    let mut moved = fr.clone();
    let s = moved.remove(s2);
    moved.insert(s2 + 1, s);
    let e = not_authentic(&rebuild(&bytes, &moved));
    assert!(
        matches!(
            e.kind,
            ErrorKind::RangeMismatch { .. } | ErrorKind::SealMissing
        ),
        "{e:?}"
    );
    // Seal 2 of another file by the same key, same layout, other records.
    let other = {
        let mut fr_o = bodies(&sealed(100, 3, true));
        let b = index_of(&fr_o, 0x03, 3);
        fr_o[b].1[6] ^= 0x40;
        fr_o
    };
    let donor = sealed_from(&bytes, &other);
    let mut replayed = fr.clone();
    replayed[s2] = bodies(&donor)[s2].clone();
    let e = not_authentic(&rebuild(&bytes, &replayed));
    assert!(matches!(e.kind, ErrorKind::DigestMismatch { .. }), "{e:?}");
    assert_eq!(e.offset, offset_of(&fr, index_of(&fr, 0x41, 0) + 1));
}

/// Re-seals `frames` (seals dropped) with our key: a genuine container with
/// other content.
fn sealed_from(header: &[u8], frames: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let plain: Vec<_> = frames
        .iter()
        .filter(|f| f.0 != 0x41 && f.0 != 0x40)
        .cloned()
        .collect();
    let mut h = header[..18].to_vec();
    h[9] = 0;
    h[12] = 0;
    let input = rebuild(&h, &plain);
    let pk = crate::util::pk();
    koffer::seal::seal_container(
        &input,
        crate::util::signer(),
        &koffer::seal::KeyFrame::new(koffer::seal::Algorithm::EdDSA, &pk, 3),
    )
    .unwrap()
}

#[test]
fn damaged_seals() {
    let bytes = sealed(60, 3, true);
    let fr = bodies(&bytes);
    let s1 = index_of(&fr, 0x41, 0);
    let at = offset_of(&fr, s1) + 5;
    // A flipped signature byte, a flipped payload byte: BadSignature.
    for i in [
        seal_field::SIGNATURE + 3,
        seal_field::RUNNING + 1,
        seal_field::COVERED_END,
    ] {
        let mut f = fr.clone();
        f[s1].1[i] ^= 0x80;
        let e = not_authentic(&rebuild(&bytes, &f));
        assert_eq!(
            (e.kind, e.offset),
            (ErrorKind::BadSignature, at + seal_field::SIGNATURE as u64)
        );
    }
    // A truncated signature.
    for cut in [1, 10, 64] {
        let mut f = fr.clone();
        let n = f[s1].1.len();
        f[s1].1.truncate(n - cut);
        let e = not_authentic(&rebuild(&bytes, &f));
        assert_eq!(e.kind, ErrorKind::MalformedSeal(Reason::Truncated));
        assert_eq!(e.offset, at + (n - cut) as u64);
    }
    // A bad tag.
    let mut f = fr.clone();
    f[s1].1[0] = b'X';
    let e = not_authentic(&rebuild(&bytes, &f));
    assert_eq!(
        (e.kind, e.offset),
        (ErrorKind::MalformedSeal(Reason::BadTag), at)
    );
    // A second KEY frame.
    let mut f = fr.clone();
    f.insert(2, fr[0].clone());
    let e = not_authentic(&rebuild(&bytes, &f));
    assert_eq!(
        (e.kind, e.offset),
        (ErrorKind::DuplicateKey, offset_of(&f, 2))
    );
}

/// Cut at every byte of the last 2 KB (and with erased flash after the
/// cut): authentic up to the last SEAL frame wholly before the cut.
#[test]
fn cut_at_every_byte_of_the_last_2k() {
    let bytes = sealed(300, 4, true);
    let ends: Vec<usize> = seals(&bytes).iter().map(|s| s.0 + s.1).collect();
    for cut in bytes.len() - 2048..=bytes.len() {
        for fill in [None, Some(0xFF)] {
            let mut input = bytes[..cut].to_vec();
            if let Some(b) = fill {
                input.resize(input.len() + 50, b);
            }
            let r = verify(&input);
            let expected_len = ends
                .iter()
                .copied()
                .filter(|&e| e <= cut)
                .max()
                .unwrap_or(0) as u64;
            if cut == bytes.len() {
                assert_eq!(r.verdict, Verdict::Authentic);
            } else {
                assert_eq!(r.verdict, Verdict::AuthenticPrefix, "cut at {cut}");
            }
            assert_eq!(r.authentic_len, expected_len, "cut at {cut}");
            assert_eq!(
                r.seals as usize,
                ends.iter().filter(|&&e| e as u64 <= expected_len).count()
            );
        }
    }
}

#[test]
fn a_prefix_before_the_first_seal_proves_nothing_but_is_not_forged() {
    let bytes = sealed(40, 3, true);
    let first = seals(&bytes)[0].0;
    let r = verify(&bytes[..first]);
    assert_eq!(
        (r.verdict, r.seals, r.authentic_len),
        (Verdict::AuthenticPrefix, 0, 0)
    );
    let r = verify(&bytes[..18]);
    assert_eq!(r.verdict, Verdict::AuthenticPrefix);
}

#[test]
fn a_damaged_frame_is_a_container_error_after_the_authentic_prefix() {
    let bytes = sealed(60, 3, true);
    let (at, size) = seals(&bytes)[1];
    let mut damaged = bytes.clone();
    damaged[at + size + 7] ^= 1; // inside the frame after seal 2, checksum not rebuilt
    let r = verify(&damaged);
    assert!(
        matches!(r.verdict, Verdict::Container(e) if e.offset == (at + size) as u64),
        "{:?}",
        r.verdict
    );
    assert_eq!((r.seals, r.authentic_len), (2, (at + size) as u64));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any change a forger makes (checksums rebuilt) is never authentic;
    /// and no input makes the verifier panic.
    #[test]
    fn no_change_passes(pos in 0usize..4000, xor in 1u8..=255, rebuild_crcs: bool) {
        let bytes = sealed(120, 3, true);
        let mut forged = bytes.clone();
        let pos = pos % forged.len();
        forged[pos] ^= xor;
        if rebuild_crcs {
            crate::util::rechain(&mut forged);
        }
        let r = verify(&forged);
        if forged != bytes {
            prop_assert_ne!(r.verdict, Verdict::Authentic);
        }
        let _ = frames(&forged);
    }
}

/// The truncation attack: a final seal in the middle of a container (a
/// writer resumed after a cut between it and the END frame and went on).
/// Cut right after that seal and given an END frame it would pass as
/// complete, so no frame but the END frame may follow a final seal
/// (spec `seal.md` §8.2 step 5): `SealMissing` at the frame after it.
#[test]
fn a_frame_after_a_final_seal_is_seal_missing() {
    let bytes = sealed(40, 3, true);
    let fr = bodies(&bytes);
    let prefix = &fr[..fr.len() - 1]; // up to the final seal
    let blocks: Vec<Vec<u8>> = fr
        .iter()
        .filter(|f| f.0 == 0x03)
        .take(3)
        .map(|f| f.1.clone())
        .collect();
    let resumed = continued_after_final(&bytes, prefix, &blocks, 3);
    let e = not_authentic(&resumed);
    assert_eq!(
        (e.kind, e.offset),
        (ErrorKind::SealMissing, offset_of(prefix, prefix.len()))
    );
    let r = verify(&resumed);
    assert_eq!(r.authentic_len, offset_of(prefix, prefix.len()));
    assert_eq!(r.container_len, resumed.len() as u64);
    // Cut after the middle final seal, with the END frame appended: the
    // container a writer finishes there, all it proves is that prefix.
    let mut cut = prefix.to_vec();
    cut.push((0x04, vec![]));
    let cut = rebuild(&bytes, &cut);
    assert_eq!(cut, bytes);
    assert_eq!(verify(&cut).verdict, Verdict::Authentic);
}

/// The report's container length is set whatever the verdict.
#[test]
fn container_len_is_set_whatever_the_verdict() {
    let bytes = sealed(60, 3, true);
    // Not authentic: a forged record, checksums rebuilt.
    let mut fr = bodies(&bytes);
    let b = index_of(&fr, 0x03, 4);
    fr[b].1[6] ^= 0x40;
    let forged = rebuild(&bytes, &fr);
    let r = verify(&forged);
    assert!(matches!(r.verdict, Verdict::NotAuthentic(_)), "{r:?}");
    assert_eq!(r.container_len, forged.len() as u64);
    // A damaged frame: the end of the last intact one.
    let (at, size) = seals(&bytes)[1];
    let mut damaged = bytes.clone();
    damaged[at + size + 7] ^= 1;
    let r = verify(&damaged);
    assert!(matches!(r.verdict, Verdict::Container(_)), "{r:?}");
    assert_eq!(r.container_len, (at + size) as u64);
}
