//! Signing and checking seals: the [`Signer`] trait a device implements
//! (in software, or by handing the bytes to a secure element), the
//! [`SignatureCheck`] trait a verifier uses, and the software Ed25519 of both
//! (feature `seal-ed25519`, `ed25519-compact`).

use crate::seal::frame::SIGNATURE_LEN;
use crate::seal::Algorithm;

/// Signs the to-be-signed bytes of a seal (spec `seal.md` §5).
///
/// EdDSA signs the 116 bytes as they are (PureEdDSA); ES256 signs their
/// SHA-256, so a secure element that signs a 32-byte digest is handed
/// `SHA-256(tbs)`. The signature is 64 bytes: Ed25519's, or ES256's `r ‖ s`.
///
/// ```
/// use koffer::seal::{Algorithm, Signer};
/// /// A stand-in for a secure element (a real one returns a real signature).
/// struct Element;
/// impl Signer for Element {
///     type Error = ();
///     fn algorithm(&self) -> Algorithm { Algorithm::ES256 }
///     fn sign(&mut self, tbs: &[u8], signature: &mut [u8; 64]) -> Result<(), ()> {
///         use sha2::Digest as _;
///         let digest = sha2::Sha256::digest(tbs); // what the element signs
///         signature[..32].copy_from_slice(&digest);
///         Ok(())
///     }
/// }
/// let mut sig = [0u8; 64];
/// Element.sign(b"tbs", &mut sig).unwrap();
/// ```
pub trait Signer {
    /// Why signing failed.
    type Error;
    /// The algorithm of the key.
    fn algorithm(&self) -> Algorithm;
    /// Signs `tbs` into `signature`.
    fn sign(&mut self, tbs: &[u8], signature: &mut [u8; SIGNATURE_LEN]) -> Result<(), Self::Error>;
}

impl<S: Signer + ?Sized> Signer for &mut S {
    type Error = S::Error;
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn sign(&mut self, tbs: &[u8], signature: &mut [u8; SIGNATURE_LEN]) -> Result<(), S::Error> {
        (**self).sign(tbs, signature)
    }
}

/// Checks a seal's signature: true if `signature` over `tbs` verifies with
/// `public_key` by `alg`. An algorithm the checker does not implement is
/// reported as such ([`Check::Unsupported`]).
pub trait SignatureCheck {
    /// Checks one signature.
    fn check(&self, alg: Algorithm, public_key: &[u8], tbs: &[u8], signature: &[u8]) -> Check;
}

/// The answer of a [`SignatureCheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Check {
    /// The signature verifies.
    Good,
    /// It does not.
    Bad,
    /// The checker does not implement the algorithm.
    Unsupported,
}

/// Software Ed25519 (feature `seal-ed25519`): a [`Signer`] from a 32-byte
/// seed, and a [`SignatureCheck`] (of EdDSA only).
///
/// ```
/// use koffer::seal::{Algorithm, Check, Ed25519, SignatureCheck, Signer};
/// let mut key = Ed25519::from_seed([42; 32]);
/// let mut sig = [0u8; 64];
/// key.sign(b"hello", &mut sig).unwrap();
/// assert_eq!(Ed25519::VERIFIER.check(Algorithm::EdDSA, &key.public_key(), b"hello", &sig), Check::Good);
/// assert_eq!(Ed25519::VERIFIER.check(Algorithm::EdDSA, &key.public_key(), b"hellO", &sig), Check::Bad);
/// ```
#[cfg(feature = "seal-ed25519")]
#[derive(Clone)]
pub struct Ed25519 {
    key: Option<ed25519_compact::KeyPair>,
}

#[cfg(feature = "seal-ed25519")]
impl core::fmt::Debug for Ed25519 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Ed25519 { .. }")
    }
}

#[cfg(feature = "seal-ed25519")]
impl Ed25519 {
    /// A checker with no signing key.
    pub const VERIFIER: Ed25519 = Ed25519 { key: None };

    /// The key pair of a 32-byte secret seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Ed25519 {
            key: Some(ed25519_compact::KeyPair::from_seed(
                ed25519_compact::Seed::new(seed),
            )),
        }
    }

    /// The 32-byte public key (all zero for [`Ed25519::VERIFIER`]).
    pub fn public_key(&self) -> [u8; 32] {
        self.key.as_ref().map_or([0; 32], |k| *k.pk)
    }
}

/// Signing with [`Ed25519::VERIFIER`], which holds no key.
#[cfg(feature = "seal-ed25519")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoKey;

#[cfg(feature = "seal-ed25519")]
impl Signer for Ed25519 {
    type Error = NoKey;
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
    fn sign(&mut self, tbs: &[u8], signature: &mut [u8; SIGNATURE_LEN]) -> Result<(), NoKey> {
        let key = self.key.as_ref().ok_or(NoKey)?;
        signature.copy_from_slice(&key.sk.sign(tbs, None)[..]);
        Ok(())
    }
}

#[cfg(feature = "seal-ed25519")]
impl SignatureCheck for Ed25519 {
    fn check(&self, alg: Algorithm, public_key: &[u8], tbs: &[u8], signature: &[u8]) -> Check {
        if alg != Algorithm::EdDSA {
            return Check::Unsupported;
        }
        let (Ok(pk), Ok(sig)) = (
            ed25519_compact::PublicKey::from_slice(public_key),
            ed25519_compact::Signature::from_slice(signature),
        ) else {
            return Check::Bad;
        };
        match pk.verify(tbs, &sig) {
            Ok(()) => Check::Good,
            Err(_) => Check::Bad,
        }
    }
}
