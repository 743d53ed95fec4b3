//! Spec `format.md` §2.3 (the CRC-32C) and §4.3 (the frame checks): every
//! single bit flip, byte zeroed or erased, random overwrite and splice of the
//! sample containers is noticed, and no record handed out is changed.

use crate::build::*;
use crate::reading::*;

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
