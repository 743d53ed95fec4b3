//! The to-be-signed bytes of a seal (spec `seal.md` §5): the COSE
//! `Sig_structure` of RFC 9052 §4.4 for a COSE_Sign1, written out byte by
//! byte in CBOR so that a device needs no CBOR library, and any COSE library
//! verifies a seal as the COSE_Sign1 `[h'A10127', {}, payload, signature]`.
//!
//! ```text
//! 84                                  array of 4
//! 6A 53 69 67 6E 61 74 75 72 65 31    text "Signature1"
//! 43 A1 01 27                         bstr: protected header {1: -8} (ES256: A1 01 26)
//! 40                                  bstr: external_aad, empty
//! 58 61                               bstr of 97 bytes: the payload
//! ...                                 the payload (frame.rs)
//! ```

use crate::seal::frame::PAYLOAD_LEN;
use crate::seal::Algorithm;

/// Bytes before the payload.
pub const TBS_PREFIX_LEN: usize = 19;
/// Length of the to-be-signed bytes.
pub const TBS_LEN: usize = TBS_PREFIX_LEN + PAYLOAD_LEN;

/// The protected header of a seal: the CBOR map `{1: alg}`.
pub fn protected(alg: Algorithm) -> [u8; 3] {
    [0xA1, 0x01, alg.cbor()]
}

/// The to-be-signed bytes over `payload` for `alg`.
///
/// ```
/// use koffer::seal::{tbs, Algorithm};
/// let t = tbs(Algorithm::EdDSA, &[0u8; 97]);
/// assert_eq!(&t[..19], b"\x84\x6ASignature1\x43\xA1\x01\x27\x40\x58\x61");
/// assert_eq!(t.len(), 116);
/// ```
pub fn tbs(alg: Algorithm, payload: &[u8; PAYLOAD_LEN]) -> [u8; TBS_LEN] {
    let mut out = [0u8; TBS_LEN];
    tbs_prefix(
        alg,
        (&mut out[..TBS_PREFIX_LEN]).try_into().expect("19 bytes"),
    );
    out[TBS_PREFIX_LEN..].copy_from_slice(payload);
    out
}

/// The 19 bytes before the payload: `84`, `"Signature1"`, the protected
/// header of `alg`, the empty external_aad and the payload's length.
pub(crate) fn tbs_prefix(alg: Algorithm, out: &mut [u8; TBS_PREFIX_LEN]) {
    out[0] = 0x84;
    out[1] = 0x6A;
    out[2..12].copy_from_slice(b"Signature1");
    out[12] = 0x43;
    out[13..16].copy_from_slice(&protected(alg));
    out[16] = 0x40;
    out[17] = 0x58;
    out[18] = PAYLOAD_LEN as u8;
}
