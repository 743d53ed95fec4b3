//! §3: the KEY frame, field by field, and its failures at their offsets.

use koffer::seal::{key_id, Algorithm, Certificates, KeyFrame, Malformed, Reason};

fn body(key: &KeyFrame<'_>) -> Vec<u8> {
    let mut out = vec![0u8; key.body_len()];
    assert_eq!(key.encode(&mut out), Some(out.len()));
    out
}

#[test]
fn fields_in_order() {
    let pk = [9u8; 32];
    let b = body(&KeyFrame::new(Algorithm::EdDSA, &pk, 300));
    assert_eq!(b[0], 0x0F, "alg -8 as a zigzag varint");
    assert_eq!(&b[1..3], &[0xAC, 0x02], "every 300");
    assert_eq!(b[3..11], key_id(&pk));
    assert_eq!(b[11], 32);
    assert_eq!(&b[12..44], &pk);
    assert_eq!(&b[44..], &[0x00], "no certificates");
    assert_eq!(b.len(), 45);
}

#[test]
fn certificates_round_trip() {
    let pk = [1u8; 65];
    let mut pk2 = pk;
    pk2[0] = 4;
    let list = Certificates::encode(&[b"leaf cert", b"ca"]);
    let key = KeyFrame {
        certificates: Certificates::parse(&list).unwrap(),
        ..KeyFrame::new(Algorithm::ES256, &pk2, 1)
    };
    let b = body(&key);
    assert_eq!(b[0], 0x0D, "alg -7");
    let back = KeyFrame::parse(&b).unwrap();
    assert_eq!(back, key);
    let certs: Vec<&[u8]> = back.certificates.iter().collect();
    assert_eq!(certs, [&b"leaf cert"[..], b"ca"]);
}

fn malformed(b: &[u8]) -> Malformed {
    KeyFrame::parse(b).unwrap_err()
}

#[test]
fn failures_at_their_fields() {
    let pk = [9u8; 32];
    let good = body(&KeyFrame::new(Algorithm::EdDSA, &pk, 16));
    // alg -35 (zigzag 69): not defined.
    let mut b = good.clone();
    b[0] = 69;
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 0,
            reason: Reason::UnknownAlgorithm { alg: -35 }
        }
    );
    // every 0, every 65536.
    let mut b = good.clone();
    b[1] = 0;
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 1,
            reason: Reason::BadEvery { every: 0 }
        }
    );
    let mut b = vec![0x0F, 0x80, 0x80, 0x04];
    b.extend_from_slice(&good[2..]);
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 1,
            reason: Reason::BadEvery { every: 65536 }
        }
    );
    // A non-canonical varint.
    let mut b = vec![0x0F, 0x90, 0x00];
    b.extend_from_slice(&good[2..]);
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 1,
            reason: Reason::BadVarint
        }
    );
    // A key id that is not the key's.
    let mut b = good.clone();
    b[2] ^= 1;
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 2,
            reason: Reason::KeyIdMismatch
        }
    );
    // A public key length that is not the algorithm's.
    let mut b = good.clone();
    b[10] = 31;
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 10,
            reason: Reason::BadLength
        }
    );
    // Cut inside the public key; bytes after the certificate list.
    assert_eq!(
        malformed(&good[..20]),
        Malformed {
            at: 11,
            reason: Reason::Truncated
        }
    );
    let mut b = good.clone();
    b.push(0);
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 44,
            reason: Reason::TrailingBytes
        }
    );
    // A certificate list that runs past the body.
    let mut b = good[..43].to_vec();
    b.extend_from_slice(&[1, 5, 0xAA]);
    assert_eq!(
        malformed(&b),
        Malformed {
            at: 45,
            reason: Reason::Truncated
        }
    );
}

#[test]
fn every_prefix_of_a_key_body_is_refused_without_panic() {
    let pk = [9u8; 32];
    let good = body(&KeyFrame::new(Algorithm::EdDSA, &pk, 16));
    for n in 0..good.len() {
        assert!(KeyFrame::parse(&good[..n]).is_err(), "prefix {n}");
    }
}
