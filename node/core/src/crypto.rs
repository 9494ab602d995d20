//! The crypto suite: hashing, account keys, signatures.
//!
//! Everything that hashes or signs goes through here, so the `sm` suite
//! (SM2/SM3/SM4) can be added behind the same functions. Today the chain's only
//! suite is `standard`: SHA-256 and ed25519.
//!
//! Signing uses ed25519-dalek (how a key signs is not a consensus rule: its
//! signatures are the same bytes either way); verifying is a consensus rule
//! and uses ed25519-consensus's ZIP-215 rule, see [`verify`].

use ed25519_consensus::{batch, Signature, VerificationKey, VerificationKeyBytes};
use ed25519_dalek::{Signer, SigningKey};
use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::LazyLock;

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
    #[allow(clippy::expect_used)] // The OS random source failing is a broken host, not input.
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

/// Consensus rule: whether `sig` is `key`'s signature of `msg`.
///
/// Every signature a validator judges (tx admission, gossip intake, block
/// verification, certificates, `rowchain verify`) is checked here or in
/// [`verify_batch`], by one rule: ZIP-215 (ed25519-consensus), which accepts
/// non-canonical and small-order encodings of A and R and checks the
/// cofactored equation `[8][s]B = [8]R + [8][k]A` with `s < l`. It accepts
/// every signature `verify_strict` accepted, so chains signed before it
/// still verify. Changing it forks the chain.
pub fn verify(key: &PublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    let signature = Signature::from(*sig);
    if let Some(vk) = KEYS.get(key) {
        return vk.verify(&signature, msg).is_ok();
    }
    let Ok(vk) = VerificationKey::try_from(key.0) else { return false };
    let valid = vk.verify(&signature, msg).is_ok();
    // Only keys that have signed something enter the cache, so invalid
    // signatures under made-up keys cannot flush it.
    if valid {
        KEYS.insert(*key, vk);
    }
    valid
}

/// Consensus rule: the same rule as [`verify`], for many signatures at once
/// (about twice the single-verify rate, more when signers repeat). Returns
/// one bool per item, each equal to what [`verify`] says of that item,
/// whatever else is in the batch.
///
/// The batch equation is ZIP-215's cofactored one, weighted by random 128-bit
/// scalars `z_i`: `[8](sum z_i ([s_i]B - R_i - [k_i]A_i)) = 0`. Multiplying by
/// the cofactor clears every small-order component before the weights can
/// matter, so a batch of signatures that each pass [`verify`] passes for any
/// weights, and a batch holding one that fails fails unless the weights hit a
/// 2^-128 chance. The weights therefore do not change the result, unlike the
/// cofactorless batch equation, where `sum z_i T_i` over small-order parts
/// `T_i` vanishes or not depending on the weights. They must still be
/// unpredictable (OS randomness), or a forger could pick two invalid
/// signatures whose errors cancel under known weights.
///
/// When the batch fails, each item is checked alone to find the bad ones.
pub fn verify_batch(items: &[(PublicKey, &[u8], [u8; 64])]) -> Vec<bool> {
    if let [] | [_] = items {
        return items.iter().map(|(k, m, s)| verify(k, m, s)).collect();
    }
    // The batch verifier groups items by key and decodes each distinct key
    // once per batch, so it needs no key cache.
    let mut batch = batch::Verifier::new();
    for (key, msg, sig) in items {
        batch.queue((VerificationKeyBytes::from(key.0), Signature::from(*sig), *msg));
    }
    if batch.verify(rand_core_06::OsRng).is_ok() {
        return vec![true; items.len()];
    }
    items.iter().map(|(k, m, s)| verify(k, m, s)).collect()
}

/// How many decoded public keys [`verify`] keeps: decoding one (a square
/// root in the field) costs about a tenth of a verification.
const KEY_CACHE_CAPACITY: usize = 4096;

static KEYS: LazyLock<KeyCache> = LazyLock::new(|| KeyCache::new(KEY_CACHE_CAPACITY));

/// Decoded public keys of accounts that signed recently, for single checks
/// (admission, certificates). Bounded: when full, it is emptied and refills
/// with the accounts still signing.
struct KeyCache {
    keys: RwLock<HashMap<PublicKey, VerificationKey>>,
    capacity: usize,
}

impl KeyCache {
    fn new(capacity: usize) -> Self {
        Self { keys: RwLock::new(HashMap::with_capacity(capacity)), capacity }
    }

    fn get(&self, key: &PublicKey) -> Option<VerificationKey> {
        self.keys.read().get(key).copied()
    }

    fn insert(&self, key: PublicKey, vk: VerificationKey) {
        let mut keys = self.keys.write();
        if keys.len() >= self.capacity && !keys.contains_key(&key) {
            keys.clear();
        }
        keys.insert(key, vk);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.read().len()
    }
}

#[allow(clippy::expect_used)] // The OS random source failing is a broken host, not input.
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

    #[test]
    fn the_key_cache_is_bounded() {
        let cache = KeyCache::new(3);
        let keys: Vec<SecretKey> = (0..4u8).map(|i| SecretKey::from_bytes(&[i; 32])).collect();
        let decoded = |k: &SecretKey| VerificationKey::try_from(k.public().0).unwrap();
        for k in &keys[..3] {
            cache.insert(k.public(), decoded(k));
        }
        assert_eq!(cache.len(), 3);
        // A key already there does not count twice.
        cache.insert(keys[0].public(), decoded(&keys[0]));
        assert_eq!(cache.len(), 3);
        cache.insert(keys[3].public(), decoded(&keys[3]));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&keys[3].public()), Some(decoded(&keys[3])));
        assert_eq!(cache.get(&keys[0].public()), None);
    }

    #[test]
    fn a_cached_key_still_checks_the_message() {
        let key = SecretKey::from_bytes(&[9; 32]);
        let sig = key.sign(b"cached");
        assert!(verify(&key.public(), b"cached", &sig));
        assert!(KEYS.get(&key.public()).is_some());
        assert!(!verify(&key.public(), b"cached!", &sig));
        let mut bad = sig;
        bad[40] ^= 1;
        assert!(!verify(&key.public(), b"cached", &bad));
    }

    /// The ZIP-215 small-order vectors, as Zebra and ed25519-consensus
    /// publish them: every (A, R) pair of 14 encodings of small-order
    /// points, with s = 0, over the message "Zcash".
    mod zip215 {
        use super::super::*;
        use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
        use curve25519_dalek::edwards::CompressedEdwardsY;
        use curve25519_dalek::scalar::Scalar;
        use curve25519_dalek::traits::IsIdentity;
        use proptest::prelude::*;
        use sha2::Sha512;

        const MESSAGE: &[u8] = b"Zcash";

        /// p = 2^255 - 19, little-endian.
        fn p_plus(y: u8, sign: bool) -> [u8; 32] {
            let mut b = [0xff; 32];
            b[0] = 0xed + y;
            b[31] = if sign { 0xff } else { 0x7f };
            b
        }

        /// The 8 canonical encodings of the small-order points, then 6
        /// non-canonical ones: y = 1 and y = p - 1 with the sign bit set
        /// though x = 0 ("negative zero"), and y = 0 and y = 1 encoded as
        /// y + p, each with sign bit 0 and 1.
        fn encodings() -> Vec<[u8; 32]> {
            let mut one_negative_zero = [0u8; 32];
            one_negative_zero[0] = 1;
            one_negative_zero[31] = 0x80;
            let mut minus_one_negative_zero = p_plus(0, true);
            minus_one_negative_zero[0] = 0xec;
            let canonical = EIGHT_TORSION.iter().map(|p| p.compress().to_bytes());
            let non_canonical = [
                one_negative_zero,
                minus_one_negative_zero,
                p_plus(0, false),
                p_plus(0, true),
                p_plus(1, false),
                p_plus(1, true),
            ];
            canonical.chain(non_canonical).collect()
        }

        /// All 196 vectors; ZIP-215 says each is valid.
        fn vectors() -> Vec<(PublicKey, [u8; 64])> {
            let encodings = encodings();
            let mut out = Vec::new();
            for a in &encodings {
                for r in &encodings {
                    let mut sig = [0u8; 64];
                    sig[..32].copy_from_slice(r);
                    out.push((PublicKey(*a), sig));
                }
            }
            out
        }

        fn signed(seed: u8, msg: &[u8]) -> (PublicKey, Vec<u8>, [u8; 64]) {
            let key = SecretKey::from_bytes(&[seed; 32]);
            (key.public(), msg.to_vec(), key.sign(msg))
        }

        fn as_items(v: &[(PublicKey, Vec<u8>, [u8; 64])]) -> Vec<(PublicKey, &[u8], [u8; 64])> {
            v.iter().map(|(k, m, s)| (*k, m.as_slice(), *s)).collect()
        }

        fn vector_items() -> Vec<(PublicKey, Vec<u8>, [u8; 64])> {
            vectors().into_iter().map(|(k, s)| (k, MESSAGE.to_vec(), s)).collect()
        }

        #[test]
        fn the_encodings_are_the_published_ones() {
            let published = [
                "0100000000000000000000000000000000000000000000000000000000000000",
                "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
                "0000000000000000000000000000000000000000000000000000000000000080",
                "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
                "0000000000000000000000000000000000000000000000000000000000000000",
                "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
                "0100000000000000000000000000000000000000000000000000000000000080",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            ];
            let ours: Vec<String> = encodings().iter().map(hex::encode).collect();
            assert_eq!(ours, published);
            for (i, e) in encodings().iter().enumerate() {
                let point = CompressedEdwardsY(*e).decompress().expect("a point");
                assert!(point.is_small_order(), "encoding {i}");
                assert_eq!(point.compress().to_bytes() == *e, i < 8, "encoding {i} canonical");
            }
            assert_eq!(vectors().len(), 196);
        }

        #[test]
        fn single_verify_accepts_every_vector() {
            for (i, (key, sig)) in vectors().iter().enumerate() {
                assert!(verify(key, MESSAGE, sig), "vector {i}");
                // s = 1 makes [8][s]B nonzero: no small-order trick passes.
                let mut s_one = *sig;
                s_one[32] = 1;
                assert!(!verify(key, MESSAGE, &s_one), "vector {i} with s = 1");
            }
        }

        /// Why the rule changed: `verify_strict`, the old single check,
        /// rejects every one of them.
        #[test]
        fn verify_strict_rejects_every_vector() {
            for (i, (key, sig)) in vectors().iter().enumerate() {
                let strict = ed25519_dalek::VerifyingKey::from_bytes(&key.0)
                    .is_ok_and(|vk| vk.verify_strict(MESSAGE, &ed25519_dalek::Signature::from_bytes(sig)).is_ok());
                assert!(!strict, "vector {i}");
            }
        }

        #[test]
        fn batch_verify_accepts_every_vector_alone_and_together() {
            let all = vector_items();
            assert_eq!(verify_batch(&as_items(&all)), vec![true; all.len()]);
            for (i, item) in all.iter().enumerate() {
                assert_eq!(verify_batch(&as_items(std::slice::from_ref(item))), vec![true], "vector {i}");
                // Twice, so the batch holds a repeated key and is not size 1.
                assert_eq!(verify_batch(&as_items(&[item.clone(), item.clone()])), vec![true; 2], "vector {i}");
            }
        }

        #[test]
        fn batch_verify_finds_the_one_invalid_signature_among_them() {
            let mut all = vector_items();
            all.extend((0..4).map(|i| signed(i, b"honest")));
            for bad in [0, 57, all.len() - 1] {
                let mut items = all.clone();
                items[bad].2[33] ^= 1;
                let mut expected = vec![true; items.len()];
                expected[bad] = false;
                assert_eq!(verify_batch(&as_items(&items)), expected, "bad item {bad}");
            }
        }

        /// An honest signer's signature whose R carries an added point of
        /// order 2. ZIP-215 accepts it; the cofactorless equations do not,
        /// except a batch whose weight for it happens to be even.
        fn mixed_order_signature(seed: u8, msg: &[u8]) -> (PublicKey, [u8; 64]) {
            let order_two = EIGHT_TORSION[4];
            assert!(!order_two.is_identity() && (order_two + order_two).is_identity());
            let a = Scalar::from_bytes_mod_order([seed; 32]);
            let r = Scalar::from_bytes_mod_order(hash(&[seed]));
            let big_a = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
            let big_r = (ED25519_BASEPOINT_POINT * r + order_two).compress().to_bytes();
            let k: [u8; 64] = Sha512::new().chain_update(big_r).chain_update(big_a).chain_update(msg).finalize().into();
            let s = r + Scalar::from_bytes_mod_order_wide(&k) * a;
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(&big_r);
            sig[32..].copy_from_slice(s.as_bytes());
            (PublicKey(big_a), sig)
        }

        /// The disagreement this rule removes: the old cofactorless batch
        /// judged the same signature differently in different batches.
        #[test]
        fn the_old_batch_equation_depends_on_the_batch_and_the_new_one_does_not() {
            let (key, sig) = mixed_order_signature(3, b"mixed");
            let vk = ed25519_dalek::VerifyingKey::from_bytes(&key.0).unwrap();
            assert!(vk.verify_strict(b"mixed", &ed25519_dalek::Signature::from_bytes(&sig)).is_err());
            assert!(verify(&key, b"mixed", &sig));
            let mut old_verdicts = std::collections::BTreeSet::new();
            for fillers in 1..=16u8 {
                let mut items = vec![(key, b"mixed".to_vec(), sig)];
                items.extend((0..fillers).map(|i| signed(i, &[i, fillers])));
                assert_eq!(verify_batch(&as_items(&items)), vec![true; items.len()], "{fillers} fillers");
                let keys: Vec<ed25519_dalek::VerifyingKey> =
                    items.iter().map(|(k, _, _)| ed25519_dalek::VerifyingKey::from_bytes(&k.0).unwrap()).collect();
                let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| m.as_slice()).collect();
                let sigs: Vec<ed25519_dalek::Signature> =
                    items.iter().map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(s)).collect();
                old_verdicts.insert(ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok());
            }
            assert_eq!(old_verdicts, [false, true].into());
        }

        fn vector_subset() -> impl Strategy<Value = Vec<(PublicKey, [u8; 64])>> {
            proptest::sample::subsequence(vectors(), 0..=196).prop_shuffle()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// Single and batch agree on every vector in any batch: random
            /// subsets, shuffled, mixed with honest signatures from a few
            /// signers (so keys repeat), and at most one invalid signature,
            /// which alone is reported false.
            #[test]
            fn batch_agrees_with_single_in_any_composition(
                subset in vector_subset(),
                honest in proptest::collection::vec((0..3u8, any::<u8>()), 0..12),
                invalid in proptest::option::of(any::<proptest::sample::Index>()),
            ) {
                let mut items: Vec<(PublicKey, Vec<u8>, [u8; 64])> =
                    subset.into_iter().map(|(k, s)| (k, MESSAGE.to_vec(), s)).collect();
                for (signer, m) in honest {
                    let at = usize::from(m) % (items.len() + 1);
                    items.insert(at, signed(signer, &[m]));
                }
                let mut expected = vec![true; items.len()];
                if let (Some(at), false) = (invalid, items.is_empty()) {
                    // s + 1 breaks an honest signature and a small-order one alike.
                    let at = at.index(items.len());
                    let s: [u8; 32] = items[at].2[32..].try_into().unwrap();
                    let s_plus_one = Scalar::from_bytes_mod_order(s) + Scalar::ONE;
                    items[at].2[32..].copy_from_slice(s_plus_one.as_bytes());
                    expected[at] = false;
                }
                let singles: Vec<bool> = items.iter().map(|(k, m, s)| verify(k, m, s)).collect();
                prop_assert_eq!(&singles, &expected);
                prop_assert_eq!(verify_batch(&as_items(&items)), expected);
            }
        }
    }
}
