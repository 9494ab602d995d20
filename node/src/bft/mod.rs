//! The BFT network: validators agree on every block with commonware's
//! simplex consensus (DESIGN.md section 7), over commonware's authenticated
//! peer-to-peer network.
//!
//! The engine orders opaque digests; this module is the application it
//! drives ([`actor`]): a digest is a block hash, a leader proposes a block by
//! executing txs from its pool on the parent's state, a validator votes for
//! it only after executing it and finding the same state and receipts roots,
//! and a finalization makes it (and its ancestors) durable on every node,
//! with the engine's certificate stored in the block
//! ([`crate::block::Certificate::finalization`]).
//!
//! Besides the engine's three channels, peers exchange blocks, txs and
//! catch-up requests on channels of their own ([`wire`]). Every message is
//! authenticated by the network (a key not on the trust list cannot
//! connect), bounded in size, and rate-limited per peer and channel.

pub mod actor;
pub mod net;
pub mod wire;

use crate::block::Block;
use crate::crypto::Hash;
use crate::genesis::Genesis;
use commonware_codec::{Decode, DecodeExt, Encode};
use commonware_consensus::simplex;
use commonware_cryptography::certificate::Verifier as _;

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

pub fn public_key(key: &crate::crypto::PublicKey) -> Option<PublicKey> {
    PublicKey::decode(key.0.to_vec()).ok()
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

/// The addresses of the validators whose signatures make `certificate`:
/// the lone validator's, or a finalization's signers.
pub fn signers(genesis: &Genesis, certificate: &crate::block::Certificate) -> Vec<String> {
    if !certificate.signatures.is_empty() {
        return certificate.signatures.iter().map(|(k, _)| k.address()).collect();
    }
    if certificate.finalization.is_empty() {
        return Vec::new();
    }
    let scheme = verifier(genesis);
    let Some(f) = decode_finalization(&scheme, &certificate.finalization) else { return Vec::new() };
    let participants = participants(genesis);
    f.certificate
        .signers
        .iter()
        .filter_map(|p| participants.get(p.get() as usize))
        .filter_map(|k| <[u8; 32]>::try_from(k.as_ref()).ok())
        .map(|k| crate::crypto::PublicKey(k).address())
        .collect()
}

/// Checks a finalization's signatures.
pub fn check(scheme: &Scheme, f: &Finalization) -> bool {
    let mut rng = rand_core_rng();
    f.verify(&mut rng, scheme, &commonware_parallel::Sequential)
}

/// ed25519 verification uses no randomness; the engine's interface asks for
/// a generator anyway.
fn rand_core_rng() -> impl rand_core::CryptoRng {
    rand::rngs::StdRng::seed_from_u64(0)
}

use rand::SeedableRng;
