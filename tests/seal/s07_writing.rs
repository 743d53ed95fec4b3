//! §7: where the sealing writer puts seals, resuming after a power cut
//! (§7.2), and sealing an existing container (§7.3).

use koffer::read::Reader;
use koffer::seal::{
    seal_container, Algorithm, Digest, Ed25519, KeyFrame, SealContainerError, SealingWriter,
    Verdict, WriteError, MINOR, SEALED,
};
use koffer::write::{ResumePoint, Writer};

use crate::util::{frames, pk, sealed, seals, signer, verify, SEED};

fn payloads(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    Reader::new(bytes)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r.record_type, r.payload.to_vec()))
        .collect()
}

#[test]
fn declaration_key_first_and_placement() {
    for every in [1, 4, 9] {
        let bytes = sealed(200, every, true);
        assert_eq!(bytes[9], MINOR);
        assert_eq!(u16::from_le_bytes([bytes[12], bytes[13]]), SEALED);
        let fr = frames(&bytes);
        assert_eq!(fr[0].1, 0x40, "the KEY frame is the first frame");
        let mut since = 0;
        for w in fr.windows(2) {
            match w[0].1 {
                0x03 => {
                    since += 1;
                    assert!(since <= every);
                    if since == every {
                        assert_eq!(w[1].1, 0x41, "a seal right after the N-th block");
                    }
                }
                0x41 => since = 0,
                _ => {}
            }
        }
        assert_eq!(verify(&bytes).verdict, Verdict::Authentic);
    }
}

#[test]
fn a_key_that_does_not_fit_the_signer_is_refused() {
    let pk = pk();
    let mut buf = [0u8; 32];
    for key in [
        KeyFrame::new(Algorithm::ES256, &pk, 4),
        KeyFrame::new(Algorithm::EdDSA, &pk, 0),
        KeyFrame::new(Algorithm::EdDSA, &pk, 65_536),
    ] {
        let mut digest = Digest::new();
        assert!(SealingWriter::new(Vec::new(), &mut buf, &mut digest, signer(), &key).is_err());
    }
}

/// A power cut at every byte of a stretch of the container: the intact
/// prefix, fed back in chunks, resumes; the finished container is authentic
/// and holds the prefix's records and the new ones.
#[test]
fn resume_after_a_cut_at_every_byte() {
    let pk = pk();
    let key = KeyFrame::new(Algorithm::EdDSA, &pk, 3);
    let full = sealed(120, 3, false);
    let start = full.len() - 900;
    for cut in start..=full.len() {
        let mut bytes = full[..cut].to_vec();
        bytes.resize(bytes.len() + (cut % 3) * 4, 0xFF); // sometimes erased flash after it
        let point = ResumePoint::scan(&bytes).unwrap();
        bytes.truncate(point.valid_len() as usize);
        let before = payloads(&bytes);
        let mut digest = Digest::new();
        for chunk in bytes.chunks(1 + cut % 61) {
            digest.feed(chunk);
        }
        let mut buf = [0u8; 40];
        let mut w = SealingWriter::resume(
            bytes,
            &mut buf,
            &mut digest,
            Ed25519::from_seed(SEED),
            &key,
            &point,
        )
        .unwrap();
        let n = w.declared_raw(0).unwrap();
        for i in 0..20u32 {
            w.write_serialized(n, &(1_000_000 + i)).unwrap();
        }
        let out = w.finish().unwrap();
        let report = verify(&out);
        assert_eq!(report.verdict, Verdict::Authentic, "cut at {cut}");
        let after = payloads(&out);
        assert_eq!(after[..before.len()], before[..]);
        assert_eq!(after.len(), before.len() + 20);
    }
}

#[test]
fn resume_refuses_a_digest_of_other_bytes() {
    let pk = pk();
    let key = KeyFrame::new(Algorithm::EdDSA, &pk, 3);
    let bytes = sealed(50, 3, false);
    let point = ResumePoint::scan(&bytes).unwrap();
    let mut digest = Digest::new();
    digest.feed(&bytes[..bytes.len() - 1]);
    let mut buf = [0u8; 40];
    let r = SealingWriter::resume(bytes.clone(), &mut buf, &mut digest, signer(), &key, &point);
    assert!(r.is_err());
}

fn plain(records: u32, finish: bool) -> Vec<u8> {
    let mut buf = [0u8; 48];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(&[koffer::meta::Entry::new(
        "producer.vendor",
        koffer::meta::Value::Str("Acme"),
    )])
    .unwrap();
    let a = w.declare(0, "a", 1, &[]).unwrap();
    let b = w.declare(1, "b", 1, &[]).unwrap();
    for i in 0..records {
        w.write_serialized(if i % 7 == 0 { b } else { a }, &(i, i * 3))
            .unwrap();
    }
    w.ancillary(0x61, b"vendor frame").unwrap();
    if finish {
        w.finish().unwrap()
    } else {
        w.flush().unwrap();
        let mut out = w.finish().unwrap();
        out.truncate(out.len() - 12); // no END frame
        out.extend_from_slice(&[0x03, 0x20]); // and a torn tail
        out
    }
}

#[test]
fn sealing_an_existing_container_keeps_every_record() {
    let pk = pk();
    let input = plain(500, true);
    let out = seal_container(&input, signer(), &KeyFrame::new(Algorithm::EdDSA, &pk, 5)).unwrap();
    assert_eq!(payloads(&out), payloads(&input));
    let (a, b) = (Reader::new(&input).unwrap(), Reader::new(&out).unwrap());
    assert_eq!(
        a.verify().unwrap().counted.records,
        b.verify().unwrap().counted.records
    );
    assert_eq!(verify(&out).verdict, Verdict::Authentic);
    // Sealing it again is refused.
    let again = seal_container(&out, signer(), &KeyFrame::new(Algorithm::EdDSA, &pk, 5));
    assert_eq!(again, Err(SealContainerError::AlreadySealed(18)));
}

#[test]
fn sealing_an_incomplete_container_seals_its_intact_prefix() {
    let pk = pk();
    let input = plain(300, false);
    let out = seal_container(&input, signer(), &KeyFrame::new(Algorithm::EdDSA, &pk, 5)).unwrap();
    assert_eq!(payloads(&out), payloads(&input));
    let report = verify(&out);
    assert_eq!(report.verdict, Verdict::AuthenticPrefix);
    assert_eq!(
        report.authentic_len,
        out.len() as u64,
        "the last frame is a seal"
    );
    assert_eq!(seals(&out).last().map(|s| s.0 + s.1), Some(out.len()));
}

/// A power cut after the final seal (inside the END frame): the container
/// was finished; resuming appends only the END frame (spec `seal.md` §7.2)
/// and refuses more data.
#[test]
fn resume_after_the_final_seal_appends_only_the_end_frame() {
    let pk = pk();
    let key = KeyFrame::new(Algorithm::EdDSA, &pk, 3);
    let full = sealed(50, 3, true);
    for cut in full.len() - 12..full.len() {
        let mut bytes = full[..cut].to_vec();
        let point = ResumePoint::scan(&bytes).unwrap();
        bytes.truncate(point.valid_len() as usize);
        let mut digest = Digest::new();
        digest.feed(&bytes);
        let mut buf = [0u8; 40];
        let mut w =
            SealingWriter::resume(bytes, &mut buf, &mut digest, signer(), &key, &point).unwrap();
        assert!(w.is_finished());
        let n = w.declared_raw(0).unwrap();
        assert!(matches!(
            w.write_serialized(n, &1u32),
            Err(WriteError::Finished)
        ));
        assert!(matches!(w.seal_now(), Err(WriteError::Finished)));
        let out = w.finish().unwrap();
        assert_eq!(out, full, "cut at {cut}");
    }
}

/// A power cut inside the KEY frame (only the header survived): resuming
/// writes the KEY frame again.
#[test]
fn resume_after_a_cut_inside_the_key_frame() {
    let pk = pk();
    let key = KeyFrame::new(Algorithm::EdDSA, &pk, 3);
    let full = sealed(10, 3, true);
    for cut in 18..18 + 9 + key.body_len() {
        let mut bytes = full[..cut].to_vec();
        let point = ResumePoint::scan(&bytes).unwrap();
        bytes.truncate(point.valid_len() as usize);
        assert_eq!(bytes.len(), 18);
        let mut digest = Digest::new();
        digest.feed(&bytes);
        let mut buf = [0u8; 40];
        let mut w =
            SealingWriter::resume(bytes, &mut buf, &mut digest, signer(), &key, &point).unwrap();
        let n = w.declare(0, "n", 1, &[]).unwrap();
        for i in 0..10u32 {
            w.write_serialized(n, &i).unwrap();
        }
        let out = w.finish().unwrap();
        assert_eq!(verify(&out).verdict, Verdict::Authentic, "cut at {cut}");
    }
}
