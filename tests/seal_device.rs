//! Resuming a sealed export as a device does after a power cut (spec
//! `seal.md` §7.2): the intact prefix found by `ResumePoint::scan`, the
//! running digest recomputed from storage read back in 256-byte chunks, the
//! export continued from the first record that did not survive, with the
//! device's 256-byte block buffer. For a cut at every byte of the last 2 KB
//! of a complete sealed container — inside blocks, seals, the final seal and
//! the END frame — the resumed export is the uninterrupted export byte for
//! byte (Ed25519 signatures are deterministic), so it verifies as authentic;
//! but for a cut between the final seal and the END frame, where the resumed
//! writer adds one more final seal (spec `seal.md` §7.2).
#![cfg(all(feature = "seal-ed25519", feature = "std"))]

use koffer::seal::{
    verify, Algorithm, Digest, Ed25519, KeyFrame, PublicKey, SealingWriter, Verdict,
};
use koffer::write::ResumePoint;

/// A fixed test seed (a demo key).
const SEED: [u8; 32] = *b"koffer-demo-key: NOT A SECRET!!!";
/// The device's block buffer and read-back chunk.
const BLOCK: usize = 256;
const CHUNK: usize = 256;
const EVERY: u32 = 4;
const RECORDS: u32 = 1000;

/// Record `k` of the device's export: a timestamp and a few readings.
fn record(k: u32) -> (u32, u16, i16, Option<&'static str>) {
    (
        1_000 + 60 * k,
        (k * 7 % 1000) as u16,
        2150 - (k % 300) as i16,
        k.is_multiple_of(50).then_some("checkpoint"),
    )
}

/// Writes records `from..RECORDS` and finishes.
fn export_from(mut w: SealingWriter<'_, Vec<u8>, Ed25519>, from: u32) -> Vec<u8> {
    let h = match w.declared_raw(0) {
        Some(h) => h,
        None => w.declare(0, "reading", 1, &[]).unwrap(),
    };
    for k in from..RECORDS {
        w.write_serialized(h, &record(k)).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn resume_after_a_cut_at_every_byte_of_the_last_2_kb_in_256_byte_chunks() {
    let signer = Ed25519::from_seed(SEED);
    let pk = signer.public_key();
    let key = KeyFrame::new(Algorithm::EdDSA, &pk, EVERY);
    let trusted = [PublicKey {
        alg: Algorithm::EdDSA,
        bytes: &pk,
    }];
    let mut block = [0u8; BLOCK];
    let mut digest = Digest::new();
    let full = export_from(
        SealingWriter::new(Vec::new(), &mut block, &mut digest, signer.clone(), &key).unwrap(),
        0,
    );
    let report = verify(&full, &trusted);
    assert_eq!(report.verdict, Verdict::Authentic);
    assert!(
        report.seals >= 6 && full.len() > 4 * 2048,
        "{report:?}, {} bytes",
        full.len()
    );

    let mut cuts_in_seals = 0;
    let mut after_final = 0;
    for cut in full.len() - 2048..full.len() {
        let storage = &full[..cut];
        let point = ResumePoint::scan(storage).unwrap();
        assert!(!point.is_complete(), "cut at {cut}");
        let valid = point.valid_len() as usize;
        // The device reads its storage back in 256-byte chunks.
        let mut digest = Digest::new();
        for chunk in storage[..valid].chunks(CHUNK) {
            digest.feed(chunk);
        }
        let sealed_to = digest.segment_start() as usize;
        let digest_final = digest.last_final();
        if sealed_to == valid && valid < cut {
            cuts_in_seals += 1; // torn right after a seal: in the next frame
        }
        // What a verifier says of the storage as the cut left it: authentic
        // up to the last seal inside the intact prefix.
        let before = verify(storage, &trusted);
        assert_eq!(
            before.verdict,
            Verdict::AuthenticPrefix,
            "cut at {cut}: {before:?}"
        );
        assert_eq!(before.authentic_len as usize, sealed_to, "cut at {cut}");
        assert_eq!(before.seals, digest.seals(), "cut at {cut}");

        let mut block = [0u8; BLOCK];
        let w = SealingWriter::resume(
            storage[..valid].to_vec(),
            &mut block,
            &mut digest,
            signer.clone(),
            &key,
            &point,
        )
        .unwrap();
        // Cut between the final seal and the END frame: the container was
        // finished; the resumed writer appends only the END frame (spec
        // seal.md §7.2), so the export is the uninterrupted one.
        assert_eq!(w.is_finished(), digest_final && sealed_to == valid);
        after_final += usize::from(w.is_finished());
        let out = export_from(w, point.counted().records as u32);
        if out != full {
            let at = out.iter().zip(&full).position(|(a, b)| a != b);
            panic!(
                "cut at {cut} (intact prefix {valid}, sealed to {sealed_to}): the resumed export ({} bytes) differs from the uninterrupted one ({} bytes) from byte {at:?}",
                out.len(),
                full.len()
            );
        }
    }
    assert_eq!(after_final, 13, "the cuts inside the END frame");
    assert!(cuts_in_seals > 0, "no cut fell just after a seal");
}
