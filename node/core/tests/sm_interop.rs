//! The `sm` suite agrees with another SM implementation, `libsm`: keys,
//! signatures and hashes made by one are read and checked by the other, so
//! that keys and signatures from other SM tools work with rowchain.

use libsm::sm2::signature::{SigCtx, Signature};
use node_core::crypto::{self, Suite};

const MESSAGES: [&[u8]; 4] = [b"", b"abc", b"message digest", &[0xff; 300]];

fn biguint_bytes(n: &num_bigint::BigUint) -> [u8; 32] {
    let b = n.to_bytes_be();
    let mut out = [0u8; 32];
    out[32 - b.len()..].copy_from_slice(&b);
    out
}

#[test]
fn a_libsm_signature_verifies_under_the_suite() {
    let ctx = SigCtx::new();
    for _ in 0..8 {
        let (pk, sk) = ctx.new_keypair().unwrap();
        let compressed = ctx.serialize_pubkey(&pk, true).unwrap();
        let key = Suite::Sm.public_key(&compressed).expect("libsm's compressed key is an sm key");
        // The secret scalar means the same key to both.
        let ours = Suite::Sm.secret_key(&biguint_bytes(&sk)).unwrap();
        assert_eq!(ours.public(), key);
        for msg in MESSAGES {
            let sig = ctx.sign(msg, &sk, &pk).unwrap();
            let mut raw = [0u8; 64];
            raw[..32].copy_from_slice(&biguint_bytes(sig.get_r()));
            raw[32..].copy_from_slice(&biguint_bytes(sig.get_s()));
            assert!(crypto::verify(&key, msg, &raw), "libsm's signature of {msg:?}");
            assert!(!crypto::verify(&key, b"another message", &raw));
        }
    }
}

#[test]
fn a_suite_signature_verifies_under_libsm() {
    let ctx = SigCtx::new();
    for _ in 0..8 {
        let key = Suite::Sm.generate_key();
        let pk = ctx.load_pubkey(key.public().as_bytes()).expect("libsm reads our compressed key");
        let sk = ctx.load_seckey(&key.to_bytes()).expect("libsm reads our secret scalar");
        assert_eq!(ctx.serialize_pubkey(&ctx.pk_from_sk(&sk).unwrap(), true).unwrap(), key.public().as_bytes());
        for msg in MESSAGES {
            let raw = key.sign(msg);
            let sig = Signature::new(&raw[..32], &raw[32..]);
            assert!(ctx.verify(msg, &pk, &sig).unwrap(), "our signature of {msg:?}");
            assert!(!ctx.verify(b"another message", &pk, &sig).unwrap());
        }
    }
}

#[test]
fn sm3_agrees_with_libsm() {
    for msg in MESSAGES {
        let theirs = libsm::sm3::hash::Sm3Hash::new(msg).get_hash();
        assert_eq!(Suite::Sm.hash(msg), theirs, "{msg:?}");
    }
}
