//! `auth` owns the two password plugins' cryptography and what the server
//! stores per account, which is never the password:
//!
//! - `mysql_native_password`: SHA1(SHA1(password)). The client proves it
//!   knows SHA1(password) with `SHA1(password) XOR SHA1(salt || stored)`.
//! - `caching_sha2_password`: optionally a *cached* SHA256(SHA256(password)),
//!   enough to check the fast-path scramble `SHA256(password) XOR
//!   SHA256(stored || salt)`. Without it (or when the scramble does not
//!   match) the server asks for full authentication: the client sends the
//!   password in clear over TLS, or RSA-OAEP(password XOR salt) under the
//!   server's public key.
//!
//! A successful check recovers a [`Secret`]: SHA1(password) from the
//! native scramble, SHA256(password) from the fast path, or the password
//! itself from full authentication. The server hands it to
//! `Backend::authenticated`, so a node can open a key sealed under it
//! without ever storing anything a login does not prove.
//!
//! Every comparison of secret-derived bytes is constant-time (`subtle`).

use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use sha1::Digest as _;
use sha1::Sha1;
use sha2::Digest as _;
use subtle::ConstantTimeEq;

use crate::error::WireError;

pub const NATIVE_PASSWORD: &str = "mysql_native_password";
pub const CACHING_SHA2_PASSWORD: &str = "caching_sha2_password";

/// caching_sha2_password's AuthMoreData bytes.
pub const REQUEST_PUBLIC_KEY: u8 = 0x02;
pub const FAST_AUTH_SUCCESS: u8 = 0x03;
pub const PERFORM_FULL_AUTHENTICATION: u8 = 0x04;

/// What the server stores to check one account's password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verifier {
    /// SHA1(SHA1(password)).
    NativePassword([u8; 20]),
    /// SHA256(SHA256(password)) when cached; `None` makes every login a
    /// full authentication. A scramble that does not match the cached
    /// value also falls back to full authentication, as in MySQL (the
    /// cache may be stale).
    CachingSha2Password(Option<[u8; 32]>),
    /// caching_sha2_password against a stored SHA256(SHA256(password))
    /// that is always current (the node derives it whenever the password
    /// is set): a scramble that does not match is a wrong password, told
    /// at once (1045) without asking for full authentication.
    Sha2Stored([u8; 32]),
}

impl Verifier {
    pub fn native_from_password(password: &[u8]) -> Self {
        Verifier::NativePassword(sha1_of(&sha1_of(password)))
    }

    pub fn caching_sha2_from_password(password: &[u8]) -> Self {
        Verifier::CachingSha2Password(Some(sha256_of(&sha256_of(password))))
    }

    pub fn plugin(&self) -> &'static str {
        match self {
            Verifier::NativePassword(_) => NATIVE_PASSWORD,
            Verifier::CachingSha2Password(_) | Verifier::Sha2Stored(_) => CACHING_SHA2_PASSWORD,
        }
    }
}

/// What a successful password check recovered from the client's proof.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// SHA1(password), from a mysql_native_password scramble.
    NativeStage1([u8; 20]),
    /// SHA256(password), from a caching_sha2_password fast-path scramble.
    Sha2Stage1([u8; 32]),
    /// The password, from caching_sha2_password full authentication.
    Password(Vec<u8>),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Secret::NativeStage1(_) => "NativeStage1(..)",
            Secret::Sha2Stage1(_) => "Sha2Stage1(..)",
            Secret::Password(_) => "Password(..)",
        })
    }
}

fn sha1_of(bytes: &[u8]) -> [u8; 20] {
    Sha1::digest(bytes).into()
}

fn sha256_of(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

fn xor<const N: usize>(left: [u8; N], right: [u8; N]) -> [u8; N] {
    let mut out = left;
    for (byte, other) in out.iter_mut().zip(right) {
        *byte ^= other;
    }
    out
}

/// Checks a mysql_native_password token: SHA1(password) when it matches.
/// An empty token means an empty password, accepted only if the account's
/// password is empty.
pub fn check_native(stored: &[u8; 20], salt: &[u8], token: &[u8]) -> Option<[u8; 20]> {
    let candidate = if token.is_empty() {
        sha1_of(b"")
    } else {
        let token = <[u8; 20]>::try_from(token).ok()?;
        let mut hasher = Sha1::new();
        hasher.update(salt);
        hasher.update(stored);
        xor(token, hasher.finalize().into())
    };
    bool::from(sha1_of(&candidate).ct_eq(stored)).then_some(candidate)
}

/// Checks a caching_sha2_password fast-path scramble against a cached
/// verifier: SHA256(password) when it matches.
pub fn check_sha2_fast(stored: &[u8; 32], salt: &[u8], token: &[u8]) -> Option<[u8; 32]> {
    let token = <[u8; 32]>::try_from(token).ok()?;
    let mut hasher = sha2::Sha256::new();
    hasher.update(stored);
    hasher.update(salt);
    let candidate = xor(token, hasher.finalize().into());
    bool::from(sha256_of(&candidate).ct_eq(stored)).then_some(candidate)
}

/// The client's side of mysql_native_password (for tests and tools).
pub fn scramble_native(salt: &[u8], password: &[u8]) -> [u8; 20] {
    let stage1 = sha1_of(password);
    let mut hasher = Sha1::new();
    hasher.update(salt);
    hasher.update(sha1_of(&stage1));
    xor(stage1, hasher.finalize().into())
}

/// The client's side of the caching_sha2_password fast path.
pub fn scramble_sha2(salt: &[u8], password: &[u8]) -> [u8; 32] {
    let stage1 = sha256_of(password);
    let mut hasher = sha2::Sha256::new();
    hasher.update(sha256_of(&stage1));
    hasher.update(salt);
    xor(stage1, hasher.finalize().into())
}

/// A full-authentication password arrives NUL-terminated.
pub fn strip_nul(mut password: Vec<u8>) -> Vec<u8> {
    if password.last() == Some(&0) {
        password.pop();
    }
    password
}

/// The server's RSA key pair for caching_sha2_password's public-key
/// exchange. The private key stays here; clients get the SPKI PEM.
///
/// The `rsa` crate's decryption is not hardened against the Marvin timing
/// attack (RUSTSEC-2023-0071); decryption is blinded, and deployments that
/// can should prefer TLS, where the password travels inside the tunnel.
pub struct RsaKey {
    private: RsaPrivateKey,
    public_pem: String,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RsaKey(..)")
    }
}

impl RsaKey {
    pub fn generate(bits: usize) -> Result<Self, WireError> {
        let private = RsaPrivateKey::new(&mut rand_core_06::OsRng, bits)
            .map_err(|error| WireError::Crypto(format!("RSA key generation: {error}")))?;
        Self::from_private(private)
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, WireError> {
        let private = RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|error| WireError::Crypto(format!("RSA private key: {error}")))?;
        Self::from_private(private)
    }

    fn from_private(private: RsaPrivateKey) -> Result<Self, WireError> {
        let public_pem = RsaPublicKey::from(&private)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|error| WireError::Crypto(format!("RSA public key: {error}")))?;
        Ok(RsaKey { private, public_pem })
    }

    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// RSA-OAEP (SHA-1, as MySQL uses it) decryption, then the salt XOR;
    /// returns the password without its NUL.
    pub fn decrypt_password(&self, ciphertext: &[u8], salt: &[u8]) -> Result<Vec<u8>, WireError> {
        let mut plain = self
            .private
            .decrypt_blinded(&mut rand_core_06::OsRng, Oaep::new::<Sha1>(), ciphertext)
            .map_err(|_| WireError::Malformed("RSA-encrypted password"))?;
        for (byte, key) in plain.iter_mut().zip(salt.iter().cycle()) {
            *byte ^= key;
        }
        Ok(strip_nul(plain))
    }

    #[cfg(test)]
    pub fn encrypt_for_tests(&self, plain: &[u8]) -> Vec<u8> {
        let public = RsaPublicKey::from(&self.private);
        public.encrypt(&mut rand_core_06::OsRng, Oaep::new::<Sha1>(), plain).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn native_verifier_is_mysqls_double_sha1() {
        // MySQL's PASSWORD('password') is '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'.
        let Verifier::NativePassword(stored) = Verifier::native_from_password(b"password") else { panic!() };
        assert_eq!(hex(&stored), "2470c0c06dee42fd1618bb99005adca2ec9d1e19");
    }

    #[test]
    fn native_scramble_checks_only_the_right_password() {
        let salt = b"01234567890123456789";
        let Verifier::NativePassword(stored) = Verifier::native_from_password(b"s3cret") else { panic!() };
        assert_eq!(check_native(&stored, salt, &scramble_native(salt, b"s3cret")), Some(sha1_of(b"s3cret")));
        assert!(check_native(&stored, salt, &scramble_native(salt, b"s3creT")).is_none());
        assert!(check_native(&stored, b"other salt other sal", &scramble_native(salt, b"s3cret")).is_none());
        assert!(check_native(&stored, salt, &[1, 2, 3]).is_none());
        assert!(check_native(&stored, salt, b"").is_none());
        let Verifier::NativePassword(empty) = Verifier::native_from_password(b"") else { panic!() };
        assert!(check_native(&empty, salt, b"").is_some());
    }

    #[test]
    fn sha2_fast_path_checks_only_the_right_password() {
        let salt = b"abcdefghijabcdefghij";
        let Verifier::CachingSha2Password(Some(stored)) = Verifier::caching_sha2_from_password(b"pw") else { panic!() };
        assert_eq!(hex(&stored), hex(&sha256_of(&sha256_of(b"pw"))),);
        assert_eq!(check_sha2_fast(&stored, salt, &scramble_sha2(salt, b"pw")), Some(sha256_of(b"pw")));
        assert!(check_sha2_fast(&stored, salt, &scramble_sha2(salt, b"pW")).is_none());
        assert!(check_sha2_fast(&stored, salt, &[0; 20]).is_none());
    }

    #[test]
    fn rsa_password_round_trip_strips_salt_and_nul() {
        let key = RsaKey::generate(1024).unwrap();
        assert!(key.public_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let salt = b"abcdefghijabcdefghij";
        let mut plain = b"a password longer than the twenty-byte salt".to_vec();
        plain.push(0);
        for (byte, key) in plain.iter_mut().zip(salt.iter().cycle()) {
            *byte ^= key;
        }
        let ciphertext = key.encrypt_for_tests(&plain);
        assert_eq!(key.decrypt_password(&ciphertext, salt).unwrap(), b"a password longer than the twenty-byte salt");
        assert!(key.decrypt_password(b"garbage", salt).is_err());
    }

    #[test]
    fn rsa_key_loads_from_pkcs8_pem() {
        use rsa::pkcs8::EncodePrivateKey;
        let key = RsaKey::generate(1024).unwrap();
        let pem = key.private.to_pkcs8_pem(LineEnding::LF).unwrap();
        let loaded = RsaKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(loaded.public_pem(), key.public_pem());
        assert!(matches!(
            RsaKey::from_pkcs8_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            Err(WireError::Crypto(_))
        ));
    }
}
