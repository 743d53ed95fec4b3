//! §5: the to-be-signed bytes, and signatures checked by ed25519-compact
//! directly (not through the verifier).

use koffer::seal::{protected, tbs, Algorithm, SealFrame, PAYLOAD_LEN};

use crate::util::{pk, sealed, seals};

#[test]
fn sig_structure_bytes() {
    let payload = [0x11u8; PAYLOAD_LEN];
    let t = tbs(Algorithm::EdDSA, &payload);
    let mut expected = vec![0x84, 0x6A];
    expected.extend_from_slice(b"Signature1");
    expected.extend_from_slice(&[0x43, 0xA1, 0x01, 0x27, 0x40, 0x58, 0x61]);
    expected.extend_from_slice(&payload);
    assert_eq!(t.to_vec(), expected);
    assert_eq!(t.len(), 116);
    assert_eq!(protected(Algorithm::ES256), [0xA1, 0x01, 0x26]);
    assert_eq!(tbs(Algorithm::ES256, &payload)[15], 0x26);
}

#[test]
fn seals_are_ed25519_signatures_over_the_sig_structure() {
    let bytes = sealed(50, 2, true);
    let key = ed25519_compact::PublicKey::from_slice(&pk()).unwrap();
    for (at, size) in seals(&bytes) {
        let body = &bytes[at + 5..at + size - 4];
        let seal = SealFrame::parse(body).unwrap();
        let t = tbs(Algorithm::EdDSA, body[..PAYLOAD_LEN].try_into().unwrap());
        let sig = ed25519_compact::Signature::from_slice(&seal.signature).unwrap();
        assert!(key.verify(t, &sig).is_ok());
    }
}
