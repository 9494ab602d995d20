//! The BFT network: validators agree on every block with commonware's
//! simplex consensus (DESIGN.md section 7), over commonware's authenticated
//! peer-to-peer network.
//!
//! The engine orders opaque digests; this crate is the application it
//! drives ([`actor`], which feeds the decision core [`decide`] and hands
//! execution and ledger writes to the [`worker`]): a digest is a block
//! hash, a leader proposes a block by
//! executing txs from its pool on the parent's state, a validator votes for
//! it only after executing it and finding the same state and receipts roots,
//! and a finalization makes it (and its ancestors) durable on every node,
//! with the engine's certificate stored in the block
//! ([`node_core::block::Certificate::finalization`]).
//!
//! Besides the engine's three channels, peers exchange blocks, txs and
//! catch-up requests on channels of their own ([`wire`]). Every message is
//! authenticated by the network (a key not on the trust list cannot
//! connect), bounded in size, and rate-limited per peer and channel.
//!
//! **Rule: consensus and the peer wire.** Blocks are executed and stored
//! only through `node-chain`'s `Chain`; this crate touches no SQLite or
//! RocksDB itself.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod actor;
pub mod config;
pub mod decide;
pub mod net;
pub mod wire;
pub mod worker;

use commonware_codec::{Decode, DecodeExt, Encode};
use commonware_consensus::simplex;
use commonware_cryptography::certificate::Verifier as _;
use node_core::block::Block;
use node_core::crypto::Hash;
use node_core::genesis::Genesis;

pub type Digest = commonware_cryptography::sha256::Digest;
pub type PublicKey = commonware_cryptography::ed25519::PublicKey;
pub type PrivateKey = commonware_cryptography::ed25519::PrivateKey;
pub type Scheme = simplex::scheme::ed25519::Scheme;
pub type Context = simplex::types::Context<Digest, PublicKey>;
pub type Activity = simplex::types::Activity<Scheme, Digest>;
pub type Finalization = simplex::types::Finalization<Scheme, Digest>;

/// Channels on the peer-to-peer network.
pub const CHANNEL_VOTES: u64 = 0;
pub const CHANNEL_CERTIFICATES: u64 = 1;
pub const CHANNEL_RESOLVER: u64 = 2;
pub const CHANNEL_BLOCKS: u64 = 3;
pub const CHANNEL_SYNC: u64 = 4;
pub const CHANNEL_TXS: u64 = 5;

/// The consensus namespace: votes of one chain are worthless on another.
pub fn namespace(genesis: &Genesis) -> Vec<u8> {
    [b"rowchain/consensus/v1/".as_slice(), genesis.chain_id.as_bytes()].concat()
}

pub fn digest(hash: &Hash) -> Digest {
    commonware_cryptography::sha256::Digest(*hash)
}

pub fn hash_of(d: &Digest) -> Hash {
    d.0
}

#[allow(clippy::expect_used)] // an ed25519 seed is any 32 bytes: decoding 32 bytes cannot fail
pub fn private_key(seed: &[u8; 32]) -> PrivateKey {
    PrivateKey::decode(seed.to_vec()).expect("any 32 bytes are an ed25519 seed")
}

/// The engine's key for a validator's key: only `standard` (ed25519) keys
/// have one; a network runs the standard suite.
pub fn public_key(key: &node_core::crypto::PublicKey) -> Option<PublicKey> {
    match key.suite() {
        node_core::crypto::Suite::Standard => PublicKey::decode(key.as_bytes().to_vec()).ok(),
        node_core::crypto::Suite::Sm => None,
    }
}

/// The validators of `genesis`, as the engine orders them.
pub fn participants(genesis: &Genesis) -> commonware_utils::ordered::Set<PublicKey> {
    let keys: Vec<PublicKey> = genesis.validator_keys().iter().filter_map(public_key).collect();
    commonware_utils::ordered::Set::from_iter_dedup(keys)
}

/// A verifier of finalization certificates for `genesis`'s validators.
pub fn verifier(genesis: &Genesis) -> Scheme {
    Scheme::verifier(&namespace(genesis), participants(genesis))
}

pub fn encode_finalization(f: &Finalization) -> Vec<u8> {
    f.encode().to_vec()
}

pub fn decode_finalization(scheme: &Scheme, bytes: &[u8]) -> Option<Finalization> {
    Finalization::decode_cfg(bytes.to_vec(), &scheme.certificate_codec_config()).ok()
}

/// The finalization `block` carries, when it is of this block and signed by
/// a quorum of the validators.
pub fn finalization_of(scheme: &Scheme, block: &Block) -> Option<Finalization> {
    let f = decode_finalization(scheme, &block.certificate.finalization)?;
    (f.proposal.payload == digest(&block.hash()) && check(scheme, &f)).then_some(f)
}

/// True when `block` carries a finalization of itself signed by a quorum of
/// the validators.
pub fn verify_finalization(scheme: &Scheme, block: &Block) -> bool {
    finalization_of(scheme, block).is_some()
}

/// The addresses of the validators who signed `certificate`'s
/// finalization (a lone validator's signatures the chain reads itself).
pub fn finalization_signers(genesis: &Genesis, certificate: &node_core::block::Certificate) -> Vec<String> {
    let scheme = verifier(genesis);
    let Some(f) = decode_finalization(&scheme, &certificate.finalization) else { return Vec::new() };
    let participants = participants(genesis);
    f.certificate
        .signers
        .iter()
        .filter_map(|p| participants.get(p.get() as usize))
        .filter_map(|k| node_core::crypto::Suite::Standard.public_key(k.as_ref()))
        .map(|k| k.address())
        .collect()
}

/// Consensus rule: checks a finalization's signatures.
///
/// commonware's ed25519 is ed25519-consensus vendored, so this is the same
/// ZIP-215 rule as [`node_core::crypto::verify_batch`], and checks the
/// signatures in one batch with random weights. Those weights must be
/// unpredictable: under weights known in advance, one validator can make its
/// own signature's error cancel a forged signature of another validator, and
/// the certificate passes with a quorum it does not have (see the test). The
/// cofactored equation makes the verdict on valid signatures independent of
/// the weights, so validators still agree.
pub fn check(scheme: &Scheme, f: &Finalization) -> bool {
    f.verify(&mut batch_rng(), scheme, &commonware_parallel::Sequential)
}

/// A generator of batch verification weights, seeded from the OS.
fn batch_rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::from_seed(node_core::crypto::random_bytes())
}

use rand::SeedableRng;

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::transcript::{Summary, Transcript, Version};
    use commonware_cryptography::{ed25519, BatchEntry, BatchVerifier, Signer as _, Verifier as _};
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::scalar::Scalar;
    use rand::rngs::StdRng;
    use rand_core::Rng as _;
    use sha2::{Digest as _, Sha512};

    const NAMESPACE: &[u8] = b"rowchain/consensus/v1/test";
    const MESSAGE: &[u8] = b"finalize block 7";

    fn point(bytes: &[u8]) -> EdwardsPoint {
        CompressedEdwardsY(bytes.try_into().unwrap()).decompress().unwrap()
    }

    /// k = H(R || A || namespaced message), as commonware's ed25519 hashes it.
    fn challenge(r: &[u8], a: &[u8]) -> Scalar {
        let h = Sha512::new()
            .chain_update(r)
            .chain_update(a)
            .chain_update(commonware_utils::union_unique(NAMESPACE, MESSAGE))
            .finalize();
        Scalar::from_bytes_mod_order_wide(&h.into())
    }

    /// The weights commonware 2026.10.0's batch verifier derives for a batch
    /// checked in one piece, from a generator seeded with 0: the generator
    /// gives a transcript seed, the weights come from its noise.
    fn weights_under_seed_zero(n: usize) -> Vec<Scalar> {
        let mut seed = [0u8; 32];
        StdRng::seed_from_u64(0).fill_bytes(&mut seed);
        let mut transcript = Transcript::resume(Summary::decode(seed.to_vec()).unwrap(), Version::V1);
        transcript.commit(0u64.encode());
        let mut noise = transcript.noise(b"batch_verify");
        (0..n)
            .map(|_| {
                let mut z = [0u8; 16];
                noise.fill_bytes(&mut z);
                Scalar::from(u128::from_le_bytes(z))
            })
            .collect()
    }

    /// Whether a batch holding a forged signature of an honest validator and
    /// a Byzantine validator's signature made to cancel its error, under the
    /// weights a zero-seeded generator gives, passes with weights from `rng`.
    fn forged_pair_passes(rng: &mut StdRng) -> bool {
        let honest = private_key(&[1; 32]).public_key();
        let byzantine_secret = Scalar::from_bytes_mod_order([5; 32]);
        let byzantine_bytes = (ED25519_BASEPOINT_POINT * byzantine_secret).compress().to_bytes();
        let byzantine = PublicKey::decode(byzantine_bytes.to_vec()).unwrap();
        let z = weights_under_seed_zero(2);
        // Forged for the honest key: any R, s = 0; its error is e = -R - kA.
        let mut forged = [0u8; 64];
        forged[..32].copy_from_slice(&(ED25519_BASEPOINT_POINT * Scalar::from(77u64)).compress().to_bytes());
        let error = -point(&forged[..32]) - point(honest.as_ref()) * challenge(&forged[..32], honest.as_ref());
        // The Byzantine one: R = rB + (z1/z2)e and s = r + ka, so its error
        // is -(z1/z2)e and z1 e + z2 (-(z1/z2) e) = 0.
        let nonce = Scalar::from(99u64);
        let r = (ED25519_BASEPOINT_POINT * nonce + error * (z[0] * z[1].invert())).compress().to_bytes();
        let s = nonce + challenge(&r, &byzantine_bytes) * byzantine_secret;
        let cancelling: Vec<u8> = [r.as_slice(), s.as_bytes()].concat();
        let forged = ed25519::Signature::decode(forged.to_vec()).unwrap();
        let cancelling = ed25519::Signature::decode(cancelling).unwrap();
        assert!(!honest.verify(NAMESPACE, MESSAGE, &forged));
        assert!(!byzantine.verify(NAMESPACE, MESSAGE, &cancelling));
        let entries = [(&honest, &forged), (&byzantine, &cancelling)];
        PublicKey::verify_batch(
            rng,
            &entries,
            |_, (public_key, signature)| BatchEntry { namespace: NAMESPACE, message: MESSAGE, public_key, signature },
            &commonware_parallel::Sequential,
        )
    }

    #[test]
    fn known_batch_weights_let_one_validator_forge_another() {
        // The attack, against the zero-seeded generator `check` used.
        assert!(forged_pair_passes(&mut StdRng::seed_from_u64(0)));
        // The weights `check` draws now cannot be known in advance.
        assert!(!forged_pair_passes(&mut batch_rng()));
    }
}
