//! The crypto suite: hashing, account keys, signatures.
//!
//! Everything that hashes or signs goes through here, so the `sm` suite
//! (SM2/SM3/SM4) can be added behind the same functions. Today the chain's only
//! suite is `standard`: SHA-256 and ed25519.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];
pub const ZERO_HASH: Hash = [0u8; 32];

pub const SUITE_STANDARD: &str = "standard";

pub fn hash(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// Hash of several parts, as if concatenated.
pub fn hash_parts(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// An account's public key. The address is derived from it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// `rc` + hex of the first 20 bytes of SHA-256(public key).
    pub fn address(&self) -> String {
        let h = hash(&self.0);
        format!("rc{}", hex::encode(&h[..20]))
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s).ok()?;
        Some(Self(v.try_into().ok()?))
    }
}

/// A secret signing key (ed25519). Zeroized on drop by ed25519-dalek.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("the OS random source failed");
        Self(SigningKey::from_bytes(&seed))
    }
    pub fn from_bytes(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public().to_hex())
    }
}

pub fn verify(key: &PublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(&key.0) else { return false };
    vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig)).is_ok()
}

/// Verifies many signatures at once (about twice the single-verify rate).
/// Returns one bool per item; when the batch fails, items are checked one by
/// one to find the bad ones.
pub fn verify_batch(items: &[(PublicKey, &[u8], [u8; 64])]) -> Vec<bool> {
    if items.is_empty() {
        return Vec::new();
    }
    let mut keys = Vec::with_capacity(items.len());
    for (k, _, _) in items {
        match VerifyingKey::from_bytes(&k.0) {
            Ok(vk) if !vk.is_weak() => keys.push(vk),
            _ => return items.iter().map(|(k, m, s)| verify(k, m, s)).collect(),
        }
    }
    let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| *m).collect();
    let sigs: Vec<ed25519_dalek::Signature> =
        items.iter().map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(s)).collect();
    if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
        return vec![true; items.len()];
    }
    items.iter().map(|(k, m, s)| verify(k, m, s)).collect()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS random source failed");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_standard_vector() {
        assert_eq!(hex::encode(hash(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn ed25519_rfc8032_test_1() {
        let seed: [u8; 32] = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
        let sk = SecretKey::from_bytes(&seed);
        assert_eq!(sk.public().to_hex(), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let sig = sk.sign(b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(verify(&sk.public(), b"", &sig));
        assert!(!verify(&sk.public(), b"x", &sig));
    }

    #[test]
    fn batch_finds_the_bad_signature() {
        let keys: Vec<SecretKey> = (0..5).map(|_| SecretKey::generate()).collect();
        let msgs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
        let mut items: Vec<(PublicKey, &[u8], [u8; 64])> =
            keys.iter().zip(&msgs).map(|(k, m)| (k.public(), m.as_slice(), k.sign(m))).collect();
        assert_eq!(verify_batch(&items), vec![true; 5]);
        items[3].2[0] ^= 1;
        assert_eq!(verify_batch(&items), vec![true, true, true, false, true]);
    }
}
