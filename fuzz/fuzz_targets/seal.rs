//! Seals (spec `seal.md`): KEY and SEAL frame bodies, the verifier, the
//! running digest, and sealing + cutting + resuming.
//!
//! Every input is, at once:
//! - a KEY frame body and a SEAL frame body: parsing never panics, and what
//!   parses encodes back to the same bytes;
//! - a container, verified twice: with the real Ed25519 check against the
//!   demo key that sealed the seeds, and with a check that accepts every
//!   signature (so mutated seals reach the digest, range, sequence and Merkle
//!   checks behind the signature). The report is consistent, and bytes
//!   authentic up to a seal stay authentic, with the same report, when the
//!   container is cut right after that seal;
//! - bytes fed to the running digest whole and in two pieces split at a point
//!   the input chooses: the same state.
//!
//! An input starting with `S` also drives a sealing writer: records, seal
//! interval, block size, cut point and read-back chunk size come from its
//! bytes; the sealed container is cut, resumed from the digest recomputed
//! in chunks, finished, and must verify as authentic with every record.
//! Seeds: `fuzz/seeds/seal/` (sealed containers written by the demo key).
#![no_main]

use koffer::read::Reader;
use koffer::seal::{
    verify, verify_with, Algorithm, Check, Digest, Ed25519, KeyFrame, PublicKey, SealFrame,
    SealingWriter, SignatureCheck, Verdict,
};
use koffer::write::ResumePoint;
use libfuzzer_sys::fuzz_target;

/// The seeds' key: a fixed demo seed, public.
const DEMO_SEED: [u8; 32] = *b"koffer-demo-key: NOT A SECRET!!!";

/// Accepts every signature.
struct AcceptAll;

impl SignatureCheck for AcceptAll {
    fn check(&self, _: Algorithm, _: &[u8], _: &[u8], _: &[u8]) -> Check {
        Check::Good
    }
}

fn frames(data: &[u8]) {
    if let Ok(key) = KeyFrame::parse(data) {
        let mut out = vec![0u8; data.len() + 16];
        let n = key.encode(&mut out).expect("room for the body");
        assert_eq!(&out[..n], data, "a KEY body encodes back to its bytes");
        assert_eq!(key.body_len(), n);
    }
    if let Ok(seal) = SealFrame::parse(data) {
        assert_eq!(
            &seal.encode()[..],
            data,
            "a SEAL body encodes back to its bytes"
        );
    }
}

fn digest_state(d: &Digest) -> impl PartialEq + core::fmt::Debug {
    (
        d.position(),
        d.running(),
        d.merkle_root(),
        d.blocks_since_seal(),
        d.frames_since_seal(),
        d.seals(),
        d.last_sequence(),
        d.last_final(),
        d.segment_start(),
        d.key_seen(),
        d.at_boundary(),
    )
}

fn digest(data: &[u8]) {
    let mut whole = Digest::new();
    whole.feed(data);
    let split = if data.is_empty() {
        0
    } else {
        usize::from(data[0]) * 257 % (data.len() + 1)
    };
    let mut parts = Digest::new();
    parts.feed(&data[..split]);
    parts.feed(&data[split..]);
    assert_eq!(
        digest_state(&whole),
        digest_state(&parts),
        "split at {split}"
    );
}

fn check_report(data: &[u8], trusted: &[PublicKey<'_>], checker: &impl SignatureCheck) {
    let r = verify_with(data, trusted, checker);
    // `container_len` is set whatever the verdict: the end of the last
    // intact frame, never before the last good seal.
    assert!(r.authentic_len <= r.container_len, "{r:?}");
    assert!(r.authentic_len <= data.len() as u64, "{r:?}");
    assert!(r.container_len <= data.len() as u64, "{r:?}");
    assert!(r.seals <= r.seals_found, "{r:?}");
    match r.verdict {
        Verdict::Authentic => {
            assert!(r.seals > 0 && r.key.is_some(), "{r:?}");
            let reader = Reader::new(data).expect("an authentic container reads");
            assert!(reader.records().finish().expect("complete").is_complete());
            assert_eq!(r.container_len, data.len() as u64, "{r:?}");
        }
        Verdict::AuthenticPrefix => assert!(r.seals > 0 || r.authentic_len == 0, "{r:?}"),
        Verdict::NotAuthentic(e) => assert!(e.offset <= data.len() as u64, "{r:?}"),
        Verdict::Container(_) => {}
    }
    // Cut right after the last good seal: authentic up to there, nothing after.
    if r.seals > 0 && r.authentic_len < data.len() as u64 {
        let cut = &data[..r.authentic_len as usize];
        let c = verify_with(cut, trusted, checker);
        assert_eq!(
            c.verdict,
            Verdict::AuthenticPrefix,
            "cut at {}: {c:?} (whole: {r:?})",
            r.authentic_len
        );
        assert_eq!(
            (c.seals, c.authentic_len, c.key),
            (r.seals, r.authentic_len, r.key),
            "{c:?} / {r:?}"
        );
    }
}

/// Seals records, cuts, resumes and checks the result.
fn seal_cut_resume(p: &[u8]) {
    let byte = |i: usize| p.get(i).copied().unwrap_or(0);
    let records = usize::from(byte(1) % 48);
    let every = u32::from(byte(2) % 5) + 1;
    let block = 48 + usize::from(byte(3)); // room for the largest record
    let chunk = usize::from(byte(4)) + 1;
    let values: Vec<Vec<u8>> = (0..records)
        .map(|i| {
            let len = usize::from(byte(5 + i % 16) % 40);
            (0..len).map(|j| (i * 31 + j) as u8).collect()
        })
        .collect();
    let signer = Ed25519::from_seed(DEMO_SEED);
    let pk = signer.public_key();
    let key = KeyFrame::new(Algorithm::EdDSA, &pk, every);
    let trusted = [PublicKey {
        alg: Algorithm::EdDSA,
        bytes: &pk,
    }];
    let mut buf = vec![0u8; block];
    let mut digest = Digest::new();
    let mut w =
        SealingWriter::new(Vec::new(), &mut buf, &mut digest, signer.clone(), &key).unwrap();
    let h = w.declare(0, "bytes", 1, &[]).unwrap();
    for v in &values {
        w.write_serialized(h, v).unwrap();
    }
    let full = w.finish().unwrap();
    assert_eq!(verify(&full, &trusted).verdict, Verdict::Authentic);

    let at = (u32::from_le_bytes([byte(21), byte(22), byte(23), byte(24)]) as usize) % full.len();
    let mut cut = full[..at].to_vec();
    let point = ResumePoint::scan(&cut).expect("a cut container scans");
    cut.truncate(point.valid_len() as usize);
    let mut d = Digest::new();
    for c in cut.chunks(chunk) {
        d.feed(c);
    }
    let from = point.counted().records as usize;
    // A cut inside the KEY frame (only the header survived) resumes too: the
    // writer writes the KEY frame again. A cut after the final seal: the
    // writer appends only the END frame.
    let mut w = match SealingWriter::resume(cut, &mut buf, &mut d, signer.clone(), &key, &point) {
        Ok(w) => w,
        Err(e) => panic!("resume after a cut at {at} of {}: {e:?}", full.len()),
    };
    if w.is_finished() {
        assert_eq!(from, values.len());
    }
    let h = match w.declared_raw(0) {
        Some(h) => h,
        None => w.declare(0, "bytes", 1, &[]).unwrap(),
    };
    for v in &values[from..] {
        w.write_serialized(h, v).unwrap();
    }
    let out = w.finish().unwrap();
    let r = verify(&out, &trusted);
    assert_eq!(
        r.verdict,
        Verdict::Authentic,
        "cut at {at} of {}: {r:?}",
        full.len()
    );
    let got: Vec<Vec<u8>> = Reader::new(&out)
        .unwrap()
        .records()
        .map(|r| r.unwrap().decode::<Vec<u8>>().unwrap())
        .collect();
    assert_eq!(got, values);
}

fuzz_target!(|data: &[u8]| {
    frames(data);
    digest(data);
    static PK: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    let pk = PK.get_or_init(|| Ed25519::from_seed(DEMO_SEED).public_key());
    let trusted = [PublicKey {
        alg: Algorithm::EdDSA,
        bytes: pk,
    }];
    check_report(data, &trusted, &Ed25519::VERIFIER);
    check_report(data, &trusted, &AcceptAll);
    if data.first() == Some(&b'S') {
        seal_cut_resume(data);
    }
});
