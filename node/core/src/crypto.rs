//! The crypto suites: hashing, account keys, signatures, sealing.
//!
//! Everything that hashes, signs or seals goes through here; nothing outside
//! this module names a concrete algorithm. A chain's suite is fixed in its
//! genesis ([`Suite`]):
//!
//! - `standard`: SHA-256, ed25519 (verified under ZIP-215, see [`verify`]),
//!   AES-256-GCM.
//! - `sm`: SM3 (GM/T 0004), SM2 signatures (GB/T 32918, with the default
//!   user ID `1234567812345678`), SM4-GCM (GB/T 32907 in GCM mode).
//!
//! A key carries its suite ([`PublicKey::suite`]), so a signature is checked
//! by its key's algorithm and a tx is hashed by its account's suite; the
//! chain refuses keys of another suite than its own.
//!
//! Signing uses ed25519-dalek and RustCrypto's `sm2` (how a key signs is not
//! a consensus rule: SM2 signs deterministically per RFC 6979, and any
//! valid signature is accepted); verifying is a consensus rule.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use ed25519_consensus::{batch, Signature, VerificationKey, VerificationKeyBytes};
use ed25519_dalek::{Signer, SigningKey};
use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use sm2::dsa::signature::Verifier as _;
use sm2::elliptic_curve::sec1::ToSec1Point;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

pub type Hash = [u8; 32];
pub const ZERO_HASH: Hash = [0u8; 32];

/// The SM2 user ID (GB/T 32918's `ID_A`) every `sm` signature is made and
/// checked with: the standard's default, as other SM tools use it.
pub const SM2_USER_ID: &str = "1234567812345678";

/// A chain's crypto suite, fixed in genesis (`crypto_suite`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub enum Suite {
    #[default]
    Standard,
    Sm,
}

/// SM4-GCM: aes-gcm's GCM over the SM4 block cipher, 96-bit nonces.
type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, U12>;

/// Bytes of the nonce in front of what [`Suite::seal`] returns.
pub const SEAL_NONCE_LEN: usize = 12;

impl Suite {
    pub const ALL: [Suite; 2] = [Suite::Standard, Suite::Sm];

    /// The name genesis.json and `--suite` use.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Standard => "standard",
            Suite::Sm => "sm",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What the suite's algorithms are, for people (status, errors, docs).
    pub fn describe(self) -> &'static str {
        match self {
            Suite::Standard => "SHA-256, ed25519, AES-256-GCM",
            Suite::Sm => "SM3, SM2, SM4-GCM",
        }
    }

    pub fn hash(self, data: &[u8]) -> Hash {
        self.hash_parts(&[data])
    }

    /// Hash of several parts, as if concatenated.
    pub fn hash_parts(self, parts: &[&[u8]]) -> Hash {
        match self {
            Suite::Standard => {
                let mut h = Sha256::new();
                for p in parts {
                    h.update(p);
                }
                h.finalize().into()
            }
            Suite::Sm => {
                let mut h = sm3::Sm3::new();
                for p in parts {
                    sm3::Digest::update(&mut h, p);
                }
                sm3::Digest::finalize(h).into()
            }
        }
    }

    /// Bytes of an encoded public key: 32 for ed25519, 33 for a compressed
    /// SM2 point.
    pub fn public_key_len(self) -> usize {
        match self {
            Suite::Standard => 32,
            Suite::Sm => 33,
        }
    }

    /// A public key of this suite from its encoding. An SM2 key must be a
    /// compressed point's encoding (0x02 or 0x03, then x); whether x is on
    /// the curve is judged when a signature is checked.
    pub fn public_key(self, bytes: &[u8]) -> Option<PublicKey> {
        match self {
            Suite::Standard => Some(PublicKey(Key::Ed25519(bytes.try_into().ok()?))),
            Suite::Sm => {
                let key: [u8; 33] = bytes.try_into().ok()?;
                matches!(key[0], 2 | 3).then_some(PublicKey(Key::Sm2(key)))
            }
        }
    }

    /// Reads a public key of this suite (its fixed length, no prefix).
    pub fn read_public_key(self, r: &mut crate::codec::Reader) -> Result<PublicKey, crate::codec::DecodeError> {
        let bytes = match self {
            Suite::Standard => r.fixed::<32>()?.to_vec(),
            Suite::Sm => r.fixed::<33>()?.to_vec(),
        };
        self.public_key(&bytes).ok_or(crate::codec::DecodeError::Invalid("public key"))
    }

    /// A new random secret key of this suite.
    pub fn generate_key(self) -> SecretKey {
        loop {
            // An SM2 scalar must lie in [1, n-2]: about one draw in 2^32 is
            // outside and is drawn again.
            if let Some(key) = self.secret_key(&random_bytes()) {
                return key;
            }
        }
    }

    /// A secret key of this suite from its 32 bytes (an ed25519 seed, an SM2
    /// scalar, big-endian). None for an SM2 scalar outside [1, n-2].
    pub fn secret_key(self, bytes: &[u8; 32]) -> Option<SecretKey> {
        match self {
            Suite::Standard => Some(SecretKey(Secret::Ed25519(SigningKey::from_bytes(bytes)))),
            Suite::Sm => {
                let key = sm2::dsa::SigningKey::from_slice(SM2_USER_ID, bytes).ok()?;
                // d = n-1 makes (1+d) zero, and no signature can be made.
                key.try_sign(b"").ok()?;
                let public = compressed(key.verifying_key())?;
                Some(SecretKey(Secret::Sm2(Box::new(key), public)))
            }
        }
    }

    /// Seals `plaintext` under a 32-byte key with the suite's AEAD
    /// (AES-256-GCM; SM4-GCM keyed by the first 16 bytes), a random nonce
    /// and `aad` bound in: returns nonce then ciphertext and tag.
    #[allow(clippy::expect_used)] // GCM refuses only inputs over 64 GiB; what is sealed here is keys.
    pub fn seal(self, key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce: [u8; SEAL_NONCE_LEN] = random_bytes();
        let payload = Payload { msg: plaintext, aad };
        let sealed = match self {
            Suite::Standard => aes_gcm::Aes256Gcm::new(&(*key).into()).encrypt(&nonce.into(), payload),
            Suite::Sm => Sm4Gcm::new(&sm4_key(key).into()).encrypt(&nonce.into(), payload),
        };
        let mut out = nonce.to_vec();
        out.extend(sealed.expect("GCM seals a key"));
        out
    }

    /// Opens what [`Suite::seal`] made; None when the key, the aad or the
    /// bytes are not what sealed it.
    pub fn open(self, key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, ct) = sealed.split_first_chunk::<SEAL_NONCE_LEN>()?;
        let payload = Payload { msg: ct, aad };
        match self {
            Suite::Standard => aes_gcm::Aes256Gcm::new(&(*key).into()).decrypt(&(*nonce).into(), payload).ok(),
            Suite::Sm => Sm4Gcm::new(&sm4_key(key).into()).decrypt(&(*nonce).into(), payload).ok(),
        }
    }
}

fn sm4_key(key: &[u8; 32]) -> [u8; 16] {
    let mut k = [0u8; 16];
    for (to, from) in k.iter_mut().zip(key) {
        *to = *from;
    }
    k
}

fn compressed(key: &sm2::dsa::VerifyingKey) -> Option<[u8; 33]> {
    key.to_sec1_point(true).as_bytes().try_into().ok()
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An account's (or validator's) public key, with its suite. The address is
/// derived from it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(Key);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Ed25519([u8; 32]),
    Sm2([u8; 33]),
}

impl PublicKey {
    pub fn suite(&self) -> Suite {
        match self.0 {
            Key::Ed25519(_) => Suite::Standard,
            Key::Sm2(_) => Suite::Sm,
        }
    }

    /// The key's encoding: 32 bytes (ed25519) or 33 (compressed SM2).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Key::Ed25519(k) => k,
            Key::Sm2(k) => k,
        }
    }

    /// `rc` + hex of the first 20 bytes of the suite's hash of the key.
    pub fn address(&self) -> String {
        let h = self.suite().hash(self.as_bytes());
        let mut head = [0u8; 20];
        for (to, from) in head.iter_mut().zip(h) {
            *to = from;
        }
        format!("rc{}", hex::encode(head))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }

    /// A key from its hex: 64 digits are an ed25519 key, 66 an SM2 one.
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s).ok()?;
        Suite::ALL.into_iter().find(|suite| suite.public_key_len() == v.len())?.public_key(&v)
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({}:{})", self.suite(), self.to_hex())
    }
}

/// A secret signing key. Zeroized on drop by its crate.
#[derive(Clone)]
pub struct SecretKey(Secret);

#[derive(Clone)]
enum Secret {
    Ed25519(SigningKey),
    /// The key and its public key, compressed.
    Sm2(Box<sm2::dsa::SigningKey>, [u8; 33]),
}

impl SecretKey {
    pub fn suite(&self) -> Suite {
        match self.0 {
            Secret::Ed25519(_) => Suite::Standard,
            Secret::Sm2(..) => Suite::Sm,
        }
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        match &self.0 {
            Secret::Ed25519(k) => k.to_bytes(),
            Secret::Sm2(k, _) => {
                let mut out = [0u8; 32];
                out.copy_from_slice(&k.to_bytes());
                out
            }
        }
    }

    pub fn public(&self) -> PublicKey {
        match &self.0 {
            Secret::Ed25519(k) => PublicKey(Key::Ed25519(k.verifying_key().to_bytes())),
            Secret::Sm2(_, public) => PublicKey(Key::Sm2(*public)),
        }
    }

    /// A 64-byte signature: ed25519's R || s, or SM2's r || s.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        match &self.0 {
            Secret::Ed25519(k) => k.sign(msg).to_bytes(),
            Secret::Sm2(k, _) => {
                // The key was checked to sign when it was made
                // (Suite::secret_key), so signing cannot fail.
                let sig: sm2::dsa::Signature = k.try_sign(msg).unwrap_or_else(|_| unreachable_sign());
                let mut out = [0u8; 64];
                out.copy_from_slice(&sig.to_bytes());
                out
            }
        }
    }
}

#[cold]
#[allow(clippy::panic)] // Suite::secret_key made sure the key signs.
fn unreachable_sign() -> ! {
    panic!("an SM2 key that was checked to sign failed to sign")
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({:?})", self.public())
    }
}

/// Consensus rule: whether `sig` is `key`'s signature of `msg`, by the
/// key's suite.
///
/// Every signature a validator judges (tx admission, gossip intake, block
/// verification, certificates, `rowchain verify`) is checked here or in
/// [`verify_batch`].
///
/// - ed25519: ZIP-215 (ed25519-consensus), which accepts non-canonical and
///   small-order encodings of A and R and checks the cofactored equation
///   `[8][s]B = [8]R + [8][k]A` with `s < l`. It accepts every signature
///   `verify_strict` accepted, so chains signed before it still verify.
/// - SM2: GB/T 32918 verification with [`SM2_USER_ID`]: r and s in
///   [1, n-1], the key a point on the curve other than the identity.
///
/// Changing either forks the chain.
pub fn verify(key: &PublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    if let Some(vk) = KEYS.get(key) {
        return vk.verify(msg, sig);
    }
    let Some(vk) = Decoded::new(key) else { return false };
    let valid = vk.verify(msg, sig);
    // Only keys that have signed something enter the cache, so invalid
    // signatures under made-up keys cannot flush it.
    if valid {
        KEYS.insert(*key, vk);
    }
    valid
}

/// A public key made ready to verify: decoding one costs about a tenth of a
/// verification (a square root in the field; for SM2 also the user-ID hash
/// `Z`).
#[derive(Clone)]
enum Decoded {
    Ed25519(VerificationKey),
    Sm2(Arc<sm2::dsa::VerifyingKey>),
}

impl Decoded {
    fn new(key: &PublicKey) -> Option<Self> {
        match &key.0 {
            Key::Ed25519(k) => VerificationKey::try_from(*k).ok().map(Decoded::Ed25519),
            Key::Sm2(k) => {
                sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_USER_ID, k).ok().map(|v| Decoded::Sm2(Arc::new(v)))
            }
        }
    }

    fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        match self {
            Decoded::Ed25519(vk) => vk.verify(&Signature::from(*sig), msg).is_ok(),
            Decoded::Sm2(vk) => sm2::dsa::Signature::from_slice(sig).is_ok_and(|s| vk.verify(msg, &s).is_ok()),
        }
    }
}

/// Consensus rule: the same rule as [`verify`], for many signatures at once.
/// Returns one bool per item, each equal to what [`verify`] says of that
/// item, whatever else is in the batch.
///
/// ed25519 items are checked together (about twice the single-verify rate,
/// more when signers repeat). The batch equation is ZIP-215's cofactored
/// one, weighted by random 128-bit scalars `z_i`:
/// `[8](sum z_i ([s_i]B - R_i - [k_i]A_i)) = 0`. Multiplying by the cofactor
/// clears every small-order component before the weights can matter, so a
/// batch of signatures that each pass [`verify`] passes for any weights, and
/// a batch holding one that fails fails unless the weights hit a 2^-128
/// chance. The weights therefore do not change the result, unlike the
/// cofactorless batch equation, where `sum z_i T_i` over small-order parts
/// `T_i` vanishes or not depending on the weights. They must still be
/// unpredictable (OS randomness), or a forger could pick two invalid
/// signatures whose errors cancel under known weights. When the batch
/// fails, each item is checked alone to find the bad ones.
///
/// SM2 has no batch equation: its items are checked one by one, with the
/// decoded keys cached.
pub fn verify_batch(items: &[(PublicKey, &[u8], [u8; 64])]) -> Vec<bool> {
    let mut out: Vec<bool> = Vec::with_capacity(items.len());
    // The ed25519 items, by position and key; SM2 items are checked as they come.
    let mut ed: Vec<(usize, [u8; 32])> = Vec::new();
    for (i, (key, msg, sig)) in items.iter().enumerate() {
        match key.0 {
            Key::Ed25519(k) => {
                ed.push((i, k));
                out.push(false);
            }
            Key::Sm2(_) => out.push(verify(key, msg, sig)),
        }
    }
    let batch_ok = ed.len() >= 2 && {
        // The batch verifier groups items by key and decodes each distinct
        // key once per batch, so it needs no key cache.
        let mut batch = batch::Verifier::new();
        for (i, k) in &ed {
            if let Some((_, msg, sig)) = items.get(*i) {
                batch.queue((VerificationKeyBytes::from(*k), Signature::from(*sig), *msg));
            }
        }
        batch.verify(rand_core_06::OsRng).is_ok()
    };
    for (i, _) in &ed {
        if let (Some(slot), Some((key, msg, sig))) = (out.get_mut(*i), items.get(*i)) {
            *slot = batch_ok || verify(key, msg, sig);
        }
    }
    out
}

/// How many decoded public keys [`verify`] keeps.
const KEY_CACHE_CAPACITY: usize = 4096;

static KEYS: LazyLock<KeyCache> = LazyLock::new(|| KeyCache::new(KEY_CACHE_CAPACITY));

/// Decoded public keys of accounts that signed recently, for single checks
/// (admission, certificates). Bounded: when full, it is emptied and refills
/// with the accounts still signing.
struct KeyCache {
    keys: RwLock<HashMap<PublicKey, Decoded>>,
    capacity: usize,
}

impl KeyCache {
    fn new(capacity: usize) -> Self {
        Self { keys: RwLock::new(HashMap::with_capacity(capacity)), capacity }
    }

    fn get(&self, key: &PublicKey) -> Option<Decoded> {
        self.keys.read().get(key).cloned()
    }

    fn insert(&self, key: PublicKey, vk: Decoded) {
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
        assert_eq!(
            hex::encode(Suite::Standard.hash(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// GM/T 0004-2012 (GB/T 32905-2016), appendix A: "abc" and "abcd" x 16.
    #[test]
    fn sm3_standard_vectors() {
        assert_eq!(
            hex::encode(Suite::Sm.hash(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex::encode(Suite::Sm.hash(&b"abcd".repeat(16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
        assert_eq!(Suite::Sm.hash_parts(&[b"ab", b"", b"c"]), Suite::Sm.hash(b"abc"));
    }

    /// GB/T 32907-2016, appendix A: one block under the key that equals the
    /// plaintext, once and a million times (checked through the block
    /// cipher the suite's SM4-GCM is built on).
    #[test]
    fn sm4_standard_vectors() {
        use sm4::cipher::{Array, BlockCipherEncrypt};
        let key: [u8; 16] = hex::decode("0123456789abcdeffedcba9876543210").unwrap().try_into().unwrap();
        let cipher = <sm4::Sm4 as sm4::cipher::KeyInit>::new(&key.into());
        let mut block = Array::from(key);
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
        let mut block = Array::from(key);
        for _ in 0..1_000_000 {
            cipher.encrypt_block(&mut block);
        }
        assert_eq!(hex::encode(block), "595298c7c6fd271f0402f804c33d3f66");
    }

    /// GB/T 32918.5-2017 (GM/T 0003.5), appendix A: the key pair on the
    /// recommended curve, and the signature of "message digest" under the
    /// default user ID that the standard makes with its fixed k.
    #[test]
    fn sm2_standard_example() {
        let d: [u8; 32] = hex::decode("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8")
            .unwrap()
            .try_into()
            .unwrap();
        let key = Suite::Sm.secret_key(&d).unwrap();
        // x = 09F9DF31...56F35020; y = CCEA490C...2DA9AD13 is odd: prefix 03.
        assert_eq!(key.public().to_hex(), "0309f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020");
        assert_eq!(key.to_bytes(), d);
        let sig: [u8; 64] = hex::decode(concat!(
            "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3",
            "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
        ))
        .unwrap()
        .try_into()
        .unwrap();
        assert!(verify(&key.public(), b"message digest", &sig));
        assert!(!verify(&key.public(), b"message digesT", &sig));
        let mut bad = sig;
        bad[63] ^= 1;
        assert!(!verify(&key.public(), b"message digest", &bad));
        // Our own signature of the same message verifies too (SM2 signs
        // with a fresh k: RFC 6979 here, not the standard's fixed one).
        let ours = key.sign(b"message digest");
        assert!(verify(&key.public(), b"message digest", &ours));
    }

    #[test]
    fn sm2_keys_and_signatures_follow_the_rules() {
        let key = Suite::Sm.generate_key();
        assert_eq!(key.suite(), Suite::Sm);
        assert_eq!(key.public().as_bytes().len(), 33);
        assert_eq!(PublicKey::from_hex(&key.public().to_hex()), Some(key.public()));
        assert_eq!(Suite::Sm.secret_key(&key.to_bytes()).unwrap().public(), key.public());
        // Scalars outside [1, n-2] are no key.
        assert!(Suite::Sm.secret_key(&[0; 32]).is_none());
        assert!(Suite::Sm.secret_key(&[0xff; 32]).is_none());
        let n_minus_1 = hex::decode("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122").unwrap();
        assert!(Suite::Sm.secret_key(&n_minus_1.try_into().unwrap()).is_none());
        // r = 0 or s = 0 is refused; so is a point off the curve.
        let sig = key.sign(b"m");
        let mut zero_r = sig;
        zero_r[..32].fill(0);
        assert!(!verify(&key.public(), b"m", &zero_r));
        let mut off_curve: [u8; 33] = key.public().as_bytes().try_into().unwrap();
        off_curve[32] ^= 1;
        let off = Suite::Sm.public_key(&off_curve).unwrap();
        assert!(!verify(&off, b"m", &sig));
        // Only compressed encodings are SM2 keys.
        let mut uncompressed_tag = off_curve;
        uncompressed_tag[0] = 4;
        assert!(Suite::Sm.public_key(&uncompressed_tag).is_none());
        // A signature of one suite never verifies under the other's key.
        let ed = Suite::Standard.generate_key();
        assert!(!verify(&ed.public(), b"m", &sig));
        assert!(!verify(&key.public(), b"m", &ed.sign(b"m")));
        assert_ne!(key.public().address(), ed.public().address());
    }

    #[test]
    fn a_batch_of_both_suites_agrees_with_single_checks() {
        let keys: Vec<SecretKey> = (0..6).map(|i| Suite::ALL[i % 2].generate_key()).collect();
        let msgs: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 3]).collect();
        let mut items: Vec<(PublicKey, &[u8], [u8; 64])> =
            keys.iter().zip(&msgs).map(|(k, m)| (k.public(), m.as_slice(), k.sign(m))).collect();
        assert_eq!(verify_batch(&items), vec![true; 6]);
        items[1].2[5] ^= 1;
        items[4].2[5] ^= 1;
        assert_eq!(verify_batch(&items), vec![true, false, true, true, false, true]);
    }

    #[test]
    fn sealing_binds_key_aad_and_suite() {
        for suite in Suite::ALL {
            let key: [u8; 32] = random_bytes();
            let sealed = suite.seal(&key, b"role:alice", b"secret key bytes");
            assert_eq!(suite.open(&key, b"role:alice", &sealed).as_deref(), Some(&b"secret key bytes"[..]));
            assert_eq!(suite.open(&key, b"role:bob", &sealed), None);
            assert_eq!(suite.open(&random_bytes(), b"role:alice", &sealed), None);
            let mut flipped = sealed.clone();
            flipped[20] ^= 1;
            assert_eq!(suite.open(&key, b"role:alice", &flipped), None);
            assert_eq!(suite.open(&key, b"role:alice", &sealed[..5]), None);
            let other = Suite::ALL.into_iter().find(|s| *s != suite).unwrap();
            assert_eq!(other.open(&key, b"role:alice", &sealed), None);
        }
    }

    /// SM4-GCM is GCM over SM4 as RFC 8998 uses it: the empty message under
    /// the all-zero key and nonce gives the tag E(K, J0) xor GHASH() =
    /// E(K, 0^96 || 1).
    #[test]
    fn sm4_gcm_is_gcm_over_sm4() {
        use sm4::cipher::{Array, BlockCipherEncrypt};
        let cipher = <sm4::Sm4 as sm4::cipher::KeyInit>::new(&[0u8; 16].into());
        let mut j0 = Array::from([0u8; 16]);
        j0[15] = 1;
        cipher.encrypt_block(&mut j0);
        let gcm = Sm4Gcm::new(&[0u8; 16].into());
        let tag = gcm.encrypt(&[0u8; 12].into(), &b""[..]).unwrap();
        assert_eq!(tag, j0.to_vec());
    }

    #[test]
    fn ed25519_rfc8032_test_1() {
        let seed: [u8; 32] = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
        let sk = Suite::Standard.secret_key(&seed).unwrap();
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
        let keys: Vec<SecretKey> = (0..5).map(|_| Suite::Standard.generate_key()).collect();
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
        let keys: Vec<SecretKey> = (0..4u8).map(|i| Suite::Standard.secret_key(&[i; 32]).unwrap()).collect();
        let decoded = |k: &SecretKey| Decoded::new(&k.public()).unwrap();
        for k in &keys[..3] {
            cache.insert(k.public(), decoded(k));
        }
        assert_eq!(cache.len(), 3);
        // A key already there does not count twice.
        cache.insert(keys[0].public(), decoded(&keys[0]));
        assert_eq!(cache.len(), 3);
        cache.insert(keys[3].public(), decoded(&keys[3]));
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&keys[3].public()).is_some());
        assert!(cache.get(&keys[0].public()).is_none());
    }

    #[test]
    fn a_cached_key_still_checks_the_message() {
        let key = Suite::Standard.secret_key(&[9; 32]).unwrap();
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
                    out.push((PublicKey(Key::Ed25519(*a)), sig));
                }
            }
            out
        }

        fn signed(seed: u8, msg: &[u8]) -> (PublicKey, Vec<u8>, [u8; 64]) {
            let key = Suite::Standard.secret_key(&[seed; 32]).unwrap();
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
                let strict = ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes().try_into().unwrap())
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
            let r = Scalar::from_bytes_mod_order(Suite::Standard.hash(&[seed]));
            let big_a = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
            let big_r = (ED25519_BASEPOINT_POINT * r + order_two).compress().to_bytes();
            let k: [u8; 64] = Sha512::new().chain_update(big_r).chain_update(big_a).chain_update(msg).finalize().into();
            let s = r + Scalar::from_bytes_mod_order_wide(&k) * a;
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(&big_r);
            sig[32..].copy_from_slice(s.as_bytes());
            (PublicKey(Key::Ed25519(big_a)), sig)
        }

        /// The disagreement this rule removes: the old cofactorless batch
        /// judged the same signature differently in different batches.
        #[test]
        fn the_old_batch_equation_depends_on_the_batch_and_the_new_one_does_not() {
            let (key, sig) = mixed_order_signature(3, b"mixed");
            let vk = ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes().try_into().unwrap()).unwrap();
            assert!(vk.verify_strict(b"mixed", &ed25519_dalek::Signature::from_bytes(&sig)).is_err());
            assert!(verify(&key, b"mixed", &sig));
            let mut old_verdicts = std::collections::BTreeSet::new();
            for fillers in 1..=16u8 {
                let mut items = vec![(key, b"mixed".to_vec(), sig)];
                items.extend((0..fillers).map(|i| signed(i, &[i, fillers])));
                assert_eq!(verify_batch(&as_items(&items)), vec![true; items.len()], "{fillers} fillers");
                let keys: Vec<ed25519_dalek::VerifyingKey> = items
                    .iter()
                    .map(|(k, _, _)| ed25519_dalek::VerifyingKey::from_bytes(k.as_bytes().try_into().unwrap()).unwrap())
                    .collect();
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
