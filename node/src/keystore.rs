//! Role keys, kept encrypted under a key derived from the role's password
//! (Argon2id, then AES-256-GCM with a random nonce). Unlocked keys are cached
//! in memory, keyed by a salted hash of the password, so signing as a role
//! does not pay the key derivation on every statement.

use crate::crypto::{self, PublicKey, SecretKey};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    #[error("role \"{0}\" does not exist")]
    UnknownRole(String),
    #[error("password authentication failed for user \"{0}\"")]
    WrongPassword(String),
    #[error("keystore {path}: {detail}")]
    File { path: String, detail: String },
}

impl KeystoreError {
    pub fn sqlstate(&self) -> &'static str {
        match self {
            KeystoreError::UnknownRole(_) => "28000",
            KeystoreError::WrongPassword(_) => "28P01",
            KeystoreError::File { .. } => "58030",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    public_key: String,
    salt: String,
    nonce: String,
    ciphertext: String,
}

pub struct Keystore {
    path: PathBuf,
    entries: Mutex<BTreeMap<String, Entry>>,
    unlocked: Mutex<HashMap<String, ([u8; 32], SecretKey)>>,
}

fn derive(password: &str, salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    argon2::Argon2::default().hash_password_into(password.as_bytes(), salt, &mut out).expect("argon2 with valid lengths");
    out
}

fn verifier(password: &str, salt: &[u8]) -> [u8; 32] {
    crypto::hash_parts(&[b"rowchain/keystore-cache/v1", salt, password.as_bytes()])
}

impl Keystore {
    pub fn open(path: &Path) -> Result<Self, KeystoreError> {
        let err = |detail: String| KeystoreError::File { path: path.display().to_string(), detail };
        let entries = if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?
        } else {
            BTreeMap::new()
        };
        Ok(Keystore { path: path.to_owned(), entries: Mutex::new(entries), unlocked: Mutex::new(HashMap::new()) })
    }

    /// Stores `key` for `role`, encrypted under `password`.
    pub fn put(&self, role: &str, password: &str, key: &SecretKey) -> Result<(), KeystoreError> {
        let salt: [u8; 16] = crypto::random_bytes();
        let nonce: [u8; 12] = crypto::random_bytes();
        let cipher = Aes256Gcm::new_from_slice(&derive(password, &salt)).expect("32-byte key");
        let ciphertext = cipher.encrypt(&Nonce::from(nonce), key.to_bytes().as_slice()).expect("AES-GCM encrypt");
        let entry = Entry {
            public_key: key.public().to_hex(),
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        };
        let mut entries = self.entries.lock();
        entries.insert(role.to_owned(), entry);
        let text = serde_json::to_string_pretty(&*entries).expect("keystore serializes");
        let tmp = self.path.with_extension("tmp");
        let err = |e: std::io::Error| KeystoreError::File { path: self.path.display().to_string(), detail: e.to_string() };
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)?;
        self.unlocked.lock().remove(role);
        Ok(())
    }

    pub fn public_key(&self, role: &str) -> Option<PublicKey> {
        self.entries.lock().get(role).and_then(|e| PublicKey::from_hex(&e.public_key))
    }

    /// The role's key when it was unlocked before with this password: no key
    /// derivation, cheap enough for the async runtime.
    pub fn unlock_cached(&self, role: &str, password: &str) -> Option<SecretKey> {
        let salt = hex::decode(&self.entries.lock().get(role)?.salt).ok()?;
        let check = verifier(password, &salt);
        match self.unlocked.lock().get(role) {
            Some((v, k)) if *v == check => Some(k.clone()),
            _ => None,
        }
    }

    /// The role's secret key, if `password` is right. Slow (Argon2id) the
    /// first time for a role and password.
    pub fn unlock(&self, role: &str, password: &str) -> Result<SecretKey, KeystoreError> {
        let entry = self.entries.lock().get(role).cloned().ok_or_else(|| KeystoreError::UnknownRole(role.into()))?;
        let salt = hex::decode(&entry.salt).unwrap_or_default();
        let check = verifier(password, &salt);
        if let Some((v, k)) = self.unlocked.lock().get(role) {
            if *v == check {
                return Ok(k.clone());
            }
        }
        let bad = || KeystoreError::File { path: self.path.display().to_string(), detail: format!("entry {role} is corrupt") };
        let nonce = hex::decode(&entry.nonce).map_err(|_| bad())?;
        let ct = hex::decode(&entry.ciphertext).map_err(|_| bad())?;
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| bad())?;
        let cipher = Aes256Gcm::new_from_slice(&derive(password, &salt)).expect("32-byte key");
        let plain =
            cipher.decrypt(&Nonce::from(nonce), ct.as_slice()).map_err(|_| KeystoreError::WrongPassword(role.into()))?;
        let seed: [u8; 32] = plain.try_into().map_err(|_| bad())?;
        let key = SecretKey::from_bytes(&seed);
        if Some(key.public()) != PublicKey::from_hex(&entry.public_key) {
            return Err(bad());
        }
        self.unlocked.lock().insert(role.to_owned(), (check, key.clone()));
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_unlocks_wrong_one_does_not() {
        let dir = std::env::temp_dir().join(format!("rc-ks-{}", hex::encode(crypto::random_bytes::<6>())));
        std::fs::create_dir_all(&dir).unwrap();
        let ks = Keystore::open(&dir.join("keystore.json")).unwrap();
        let key = SecretKey::generate();
        ks.put("alice", "s3cret", &key).unwrap();
        let again = Keystore::open(&dir.join("keystore.json")).unwrap();
        assert_eq!(again.unlock("alice", "s3cret").unwrap().public(), key.public());
        assert_eq!(again.unlock("alice", "s3cret").unwrap().public(), key.public()); // cached path
        assert!(matches!(again.unlock("alice", "nope"), Err(KeystoreError::WrongPassword(_))));
        assert!(matches!(again.unlock("bob", "x"), Err(KeystoreError::UnknownRole(_))));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
