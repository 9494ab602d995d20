//! SCRAM-SHA-256 (RFC 5802 / RFC 7677) key derivation, as PostgreSQL stores
//! role passwords: the server keeps the salt, the iteration count, StoredKey
//! and ServerKey, never the password or anything that signs in with it.
//!
//! A successful SCRAM exchange hands the server the client's ClientKey
//! (recovered from the proof). rowchain seals each role's account key under
//! a key derived from ClientKey, so the key opens only for someone who knows
//! the password, and the node never sees the password itself.

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

pub const ITERATIONS: u32 = 4096;

#[allow(clippy::expect_used)] // HMAC takes a key of any length: new_from_slice never fails.
pub fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

pub fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

pub fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
    out
}

pub fn client_key(salted: &[u8; 32]) -> [u8; 32] {
    hmac(salted, b"Client Key")
}

pub fn server_key(salted: &[u8; 32]) -> [u8; 32] {
    hmac(salted, b"Server Key")
}

/// What the server stores for a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

impl Verifier {
    pub fn new(password: &str, salt: &[u8], iterations: u32) -> (Self, [u8; 32]) {
        let sp = salted_password(password, salt, iterations);
        let ck = client_key(&sp);
        (Verifier { salt: salt.to_vec(), iterations, stored_key: sha256(&ck), server_key: server_key(&sp) }, ck)
    }

    /// Checks a client proof over `auth_message`; on success returns the
    /// client's ClientKey.
    pub fn check_proof(&self, auth_message: &[u8], proof: &[u8]) -> Option<[u8; 32]> {
        if proof.len() != 32 {
            return None;
        }
        let signature = hmac(&self.stored_key, auth_message);
        let mut ck = [0u8; 32];
        for ((c, p), s) in ck.iter_mut().zip(proof).zip(signature) {
            *c = p ^ s;
        }
        // Constant-time enough: both sides are public-length hashes.
        (sha256(&ck) == self.stored_key).then_some(ck)
    }

    pub fn server_signature(&self, auth_message: &[u8]) -> [u8; 32] {
        hmac(&self.server_key, auth_message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7677_test_vector() {
        // RFC 7677 section 3: user "user", password "pencil".
        let salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        let (v, ck) = Verifier::new("pencil", &salt, 4096);
        let auth = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let client_signature = hmac(&v.stored_key, auth.as_bytes());
        let proof: Vec<u8> = ck.iter().zip(client_signature).map(|(a, b)| a ^ b).collect();
        assert_eq!(proof, base64_decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        assert_eq!(v.check_proof(auth.as_bytes(), &proof), Some(ck));
        assert_eq!(
            v.server_signature(auth.as_bytes()).to_vec(),
            base64_decode("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
        );
        let mut bad = proof.clone();
        bad[0] ^= 1;
        assert_eq!(v.check_proof(auth.as_bytes(), &bad), None);
    }

    fn base64_decode(s: &str) -> Vec<u8> {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut buf, mut bits) = (0u32, 0);
        for c in s.bytes().filter(|c| *c != b'=') {
            buf = buf << 6 | A.iter().position(|a| *a == c).unwrap() as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
            }
        }
        out
    }
}
