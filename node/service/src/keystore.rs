//! Role keys, kept encrypted under a key derived from the role's password.
//!
//! Each role has a SCRAM-SHA-256 verifier (salt, iterations, StoredKey,
//! ServerKey — what PostgreSQL keeps) and its account key sealed with
//! AES-256-GCM under `SHA-256(domain || ClientKey)`. A SCRAM login recovers
//! ClientKey from the client's proof, so the key opens without the node ever
//! seeing the password; a plain password (JSON-RPC, CLI) derives ClientKey
//! the same way. Entries written before SCRAM (Argon2id-sealed) still open
//! with the password and are upgraded on first use.
//!
//! Unlocked keys are cached in memory, keyed by a salted hash of the
//! password, so signing as a role does not pay the key derivation on every
//! statement.
//!
//! Roles that `pg.hba` admits with `trust` or `md5` must be opened by the
//! node without the role's password, so their entries also hold the key
//! sealed under the node's custody key (`custody.key` beside the keystore,
//! made on first use), and for md5 the MD5 secret `md5(password || role)`
//! PostgreSQL keeps. Other entries hold neither: without a password the node
//! cannot sign as them.
//!
//! For the MySQL wire an entry also keeps, per password plugin, the
//! verifier MySQL keeps and one more copy of the key, sealed under what a
//! successful login of that plugin reveals (as the SCRAM copy is sealed
//! under ClientKey):
//! - `caching_sha2_password` (always, once the password is known):
//!   SHA256(SHA256(password)), the fast-path verifier, and the key sealed
//!   under SHA256(password), which the fast-path scramble yields;
//! - `mysql_native_password` (only when `mysql.native_password` is on as
//!   the password is set): SHA1(SHA1(password)) and the key sealed under
//!   SHA1(password). Both verifiers are fast unsalted hashes, as MySQL's
//!   are: a stolen keystore is open to guessing, which is why the native
//!   one is opt-in.
//!
//! Entries made before these existed get the caching_sha2 pair the first
//! time their password opens them (JSON-RPC, a cleartext login, or MySQL's
//! full authentication).

use crate::scram::{self, Verifier};
use node_core::crypto::{self, PublicKey, SecretKey, Suite};
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
    #[error("role \"{0}\" has no key the node may open without its password: sign in with its password once, or set it again, while pg.hba admits it with trust or md5")]
    NoCustody(String),
    #[error("keystore {path}: {detail}")]
    File { path: String, detail: String },
}

impl KeystoreError {
    pub fn sqlstate(&self) -> &'static str {
        match self {
            KeystoreError::UnknownRole(_) => "28000",
            KeystoreError::WrongPassword(_) => "28P01",
            KeystoreError::NoCustody(_) => "28000",
            KeystoreError::File { .. } => "58030",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    public_key: String,
    /// The Argon2id salt of a legacy (pre-SCRAM) entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scram: Option<ScramEntry>,
    nonce: String,
    ciphertext: String,
    /// PostgreSQL's MD5 secret, hex `md5(password || role)`; kept only for
    /// roles an md5 rule admits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
    /// The key sealed under the node's custody key; kept only for roles a
    /// trust or md5 rule admits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custody: Option<Sealed>,
    /// caching_sha2_password's verifier and key copy (see the module docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mysql_sha2: Option<MysqlSealed>,
    /// mysql_native_password's, when kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mysql_native: Option<MysqlSealed>,
}

/// A MySQL verifier (hex) and the key sealed under the stage-1 hash a
/// login with it reveals.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MysqlSealed {
    verifier: String,
    sealed: Sealed,
}

/// What a MySQL login proved: the stage-1 hash of the role's password.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MysqlProof {
    /// SHA256(password), from a caching_sha2_password fast-path scramble.
    Sha2([u8; 32]),
    /// SHA1(password), from a mysql_native_password scramble.
    Native([u8; 20]),
}

impl std::fmt::Debug for MysqlProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MysqlProof::Sha2(_) => "Sha2(..)",
            MysqlProof::Native(_) => "Native(..)",
        })
    }
}

fn mysql_sha2_stage1(password: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(password.as_bytes()).into()
}

fn mysql_native_stage1(password: &str) -> [u8; 20] {
    use sha1::Digest;
    sha1::Sha1::digest(password.as_bytes()).into()
}

impl MysqlProof {
    fn seal_key(&self, suite: Suite) -> [u8; 32] {
        match self {
            MysqlProof::Sha2(stage1) => suite.hash_parts(&[b"rowchain/keystore/mysql-sha2/v1", stage1]),
            MysqlProof::Native(stage1) => suite.hash_parts(&[b"rowchain/keystore/mysql-native/v1", stage1]),
        }
    }

    /// The stored verifier: the stage-1 hash hashed again.
    fn verifier(&self) -> Vec<u8> {
        use sha1::Digest as _;
        use sha2::Digest as _;
        match self {
            MysqlProof::Sha2(stage1) => sha2::Sha256::digest(stage1).to_vec(),
            MysqlProof::Native(stage1) => sha1::Sha1::digest(stage1).to_vec(),
        }
    }

    fn sealed(&self, key: &SecretKey) -> MysqlSealed {
        let suite = key.suite();
        MysqlSealed { verifier: hex::encode(self.verifier()), sealed: seal(suite, &self.seal_key(suite), key) }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    nonce: String,
    ciphertext: String,
}

/// What an entry keeps besides the SCRAM-sealed key (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    pub custody: bool,
    pub md5: bool,
    /// mysql_native_password's verifier and key copy.
    pub mysql_native: bool,
}

impl Keep {
    pub const NONE: Keep = Keep { custody: false, md5: false, mysql_native: false };
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ScramEntry {
    salt: String,
    iterations: u32,
    stored_key: String,
    server_key: String,
}

impl ScramEntry {
    fn verifier(&self) -> Option<Verifier> {
        Some(Verifier {
            salt: hex::decode(&self.salt).ok()?,
            iterations: self.iterations,
            stored_key: hex::decode(&self.stored_key).ok()?.try_into().ok()?,
            server_key: hex::decode(&self.server_key).ok()?.try_into().ok()?,
        })
    }
}

fn seal_key(suite: Suite, client_key: &[u8; 32]) -> [u8; 32] {
    suite.hash_parts(&[b"rowchain/keystore/v2", client_key])
}

/// The salt a cache entry for `role` is keyed with.
fn cache_salt(e: &Entry) -> Vec<u8> {
    match (&e.scram, &e.salt) {
        (Some(s), _) => hex::decode(&s.salt).unwrap_or_default(),
        (None, Some(s)) => hex::decode(s).unwrap_or_default(),
        (None, None) => Vec::new(),
    }
}

pub struct Keystore {
    path: PathBuf,
    /// The chain's suite: what seals the keys (AES-256-GCM or SM4-GCM) and
    /// derives the sealing keys.
    suite: Suite,
    entries: Mutex<BTreeMap<String, Entry>>,
    unlocked: Mutex<HashMap<String, ([u8; 32], SecretKey)>>,
    /// The custody key, once read or made.
    custody_key: Mutex<Option<[u8; 32]>>,
}

/// PostgreSQL's MD5 secret for a role: hex `md5(password || role)`.
pub fn md5_secret(role: &str, password: &str) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::new().chain_update(password).chain_update(role).finalize())
}

/// What a client sends in answer to an MD5 challenge: `"md5"` followed by
/// hex `md5(secret || salt)`.
pub fn md5_response(secret: &str, salt: &[u8; 4]) -> String {
    use md5::Digest;
    format!("md5{}", hex::encode(md5::Md5::new().chain_update(secret).chain_update(salt).finalize()))
}

/// Seals `key` with the suite's AEAD (no associated data, as keystores
/// written before suites were).
fn seal(suite: Suite, seal_key: &[u8; 32], key: &SecretKey) -> Sealed {
    let sealed = suite.seal(seal_key, b"", key.to_bytes().as_slice());
    let (nonce, ciphertext) = sealed.split_at(crypto::SEAL_NONCE_LEN.min(sealed.len()));
    Sealed { nonce: hex::encode(nonce), ciphertext: hex::encode(ciphertext) }
}

/// The legacy entries' key derivation; `None` for a salt Argon2 refuses
/// (the salt comes from the keystore file: under 8 bytes is corrupt).
fn derive(password: &str, salt: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    argon2::Argon2::default().hash_password_into(password.as_bytes(), salt, &mut out).ok()?;
    Some(out)
}

fn verifier(suite: Suite, password: &str, salt: &[u8]) -> [u8; 32] {
    suite.hash_parts(&[b"rowchain/keystore-cache/v1", salt, password.as_bytes()])
}

impl Keystore {
    /// Opens the keystore of a chain of `suite`.
    pub fn open(path: &Path, suite: Suite) -> Result<Self, KeystoreError> {
        let err = |detail: String| KeystoreError::File { path: path.display().to_string(), detail };
        let entries = if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?
        } else {
            BTreeMap::new()
        };
        Ok(Keystore {
            path: path.to_owned(),
            suite,
            entries: Mutex::new(entries),
            unlocked: Mutex::new(HashMap::new()),
            custody_key: Mutex::new(None),
        })
    }

    fn custody_path(&self) -> PathBuf {
        self.path.with_file_name("custody.key")
    }

    /// The node's custody key: read from `custody.key`, or made there (mode
    /// 0600) when `create` and there is none yet.
    fn custody_key(&self, create: bool) -> Result<Option<[u8; 32]>, KeystoreError> {
        let mut slot = self.custody_key.lock();
        if slot.is_some() {
            return Ok(*slot);
        }
        let path = self.custody_path();
        let err = |detail: String| KeystoreError::File { path: path.display().to_string(), detail };
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
            let bytes = hex::decode(text.trim()).map_err(|_| err("not a hex key".into()))?;
            *slot = Some(bytes.try_into().map_err(|_| err("not a 32-byte key".into()))?);
        } else if create {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let key: [u8; 32] = crypto::random_bytes();
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| err(e.to_string()))?;
            f.write_all(hex::encode(key).as_bytes()).and_then(|_| f.sync_all()).map_err(|e| err(e.to_string()))?;
            *slot = Some(key);
        }
        Ok(*slot)
    }

    fn custody_aes(&self, create: bool) -> Result<Option<[u8; 32]>, KeystoreError> {
        Ok(self.custody_key(create)?.map(|k| self.suite.hash_parts(&[b"rowchain/keystore/custody/v1", &k])))
    }

    /// The custody AES key, made on demand.
    fn made_custody_aes(&self) -> Result<[u8; 32], KeystoreError> {
        self.custody_aes(true)?.ok_or_else(|| KeystoreError::File {
            path: self.custody_path().display().to_string(),
            detail: "the custody key was not made".into(),
        })
    }

    /// Stores `key` for `role`, sealed under `password` (SCRAM-SHA-256), plus
    /// what `keep` asks for.
    pub fn put(&self, role: &str, password: &str, key: &SecretKey, keep: Keep) -> Result<(), KeystoreError> {
        if key.suite() != self.suite {
            return Err(KeystoreError::File {
                path: self.path.display().to_string(),
                detail: format!("role {role}'s key is of the {} suite, the keystore's is {}", key.suite(), self.suite),
            });
        }
        let salt: [u8; 16] = crypto::random_bytes();
        let (v, client_key) = Verifier::new(password, &salt, scram::ITERATIONS);
        let sealed = seal(self.suite, &seal_key(self.suite, &client_key), key);
        let custody = match keep.custody {
            true => Some(seal(self.suite, &self.made_custody_aes()?, key)),
            false => None,
        };
        let entry = Entry {
            public_key: key.public().to_hex(),
            salt: None,
            scram: Some(ScramEntry {
                salt: hex::encode(salt),
                iterations: v.iterations,
                stored_key: hex::encode(v.stored_key),
                server_key: hex::encode(v.server_key),
            }),
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
            md5: keep.md5.then(|| md5_secret(role, password)),
            custody,
            mysql_sha2: Some(MysqlProof::Sha2(mysql_sha2_stage1(password)).sealed(key)),
            mysql_native: keep.mysql_native.then(|| MysqlProof::Native(mysql_native_stage1(password)).sealed(key)),
        };
        let mut entries = self.entries.lock();
        entries.insert(role.to_owned(), entry);
        self.save(&entries)?;
        self.unlocked.lock().remove(role);
        Ok(())
    }

    /// Forgets a role (after DROP ROLE committed).
    pub fn remove(&self, role: &str) -> Result<(), KeystoreError> {
        let mut entries = self.entries.lock();
        if entries.remove(role).is_some() {
            self.save(&entries)?;
        }
        self.unlocked.lock().remove(role);
        Ok(())
    }

    fn save(&self, entries: &BTreeMap<String, Entry>) -> Result<(), KeystoreError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let err =
            |e: std::io::Error| KeystoreError::File { path: self.path.display().to_string(), detail: e.to_string() };
        let text = serde_json::to_string_pretty(entries).map_err(std::io::Error::other).map_err(err)?;
        let tmp = self.path.with_extension("tmp");
        let mut f =
            std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)
    }

    /// Adds the custody copy of `key` to `role`'s entry if it lacks one (a
    /// role a trust or md5 rule admits, after a login that opened its key).
    pub fn keep_custody(&self, role: &str, key: &SecretKey) -> Result<(), KeystoreError> {
        if self.entries.lock().get(role).is_none_or(|e| e.custody.is_some()) {
            return Ok(());
        }
        let sealed = seal(self.suite, &self.made_custody_aes()?, key);
        let mut entries = self.entries.lock();
        match entries.get_mut(role) {
            Some(e) if e.custody.is_none() && PublicKey::from_hex(&e.public_key) == Some(key.public()) => {
                e.custody = Some(sealed);
                self.save(&entries)
            }
            _ => Ok(()),
        }
    }

    /// Opens `role`'s key with the node's custody key, for logins `pg.hba`
    /// trusts or checked by MD5.
    pub fn unlock_custody(&self, role: &str) -> Result<SecretKey, KeystoreError> {
        let entry = self.entries.lock().get(role).cloned().ok_or_else(|| KeystoreError::UnknownRole(role.into()))?;
        let Some(sealed) = &entry.custody else { return Err(KeystoreError::NoCustody(role.into())) };
        let Some(aes) = self.custody_aes(false)? else { return Err(KeystoreError::NoCustody(role.into())) };
        self.unseal(role, &entry.public_key, sealed, &aes).map_err(|e| match e {
            KeystoreError::WrongPassword(_) => KeystoreError::File {
                path: self.custody_path().display().to_string(),
                detail: format!("it does not open the custody copy of role {role}'s key"),
            },
            e => e,
        })
    }

    /// The role's MD5 secret, when an md5 rule admitted it as its password was set.
    pub fn md5_secret(&self, role: &str) -> Option<String> {
        self.entries.lock().get(role)?.md5.clone()
    }

    pub fn contains(&self, role: &str) -> bool {
        self.entries.lock().contains_key(role)
    }

    /// The role's SCRAM-SHA-256 verifier; `None` for unknown roles and for
    /// legacy entries that have not been opened with their password yet.
    pub fn scram_verifier(&self, role: &str) -> Option<Verifier> {
        self.entries.lock().get(role)?.scram.as_ref()?.verifier()
    }

    /// caching_sha2_password's verifier for the role, SHA256(SHA256(password)).
    pub fn mysql_sha2_verifier(&self, role: &str) -> Option<[u8; 32]> {
        hex::decode(&self.entries.lock().get(role)?.mysql_sha2.as_ref()?.verifier).ok()?.try_into().ok()
    }

    /// mysql_native_password's verifier for the role, SHA1(SHA1(password)),
    /// when it was kept.
    pub fn mysql_native_verifier(&self, role: &str) -> Option<[u8; 20]> {
        hex::decode(&self.entries.lock().get(role)?.mysql_native.as_ref()?.verifier).ok()?.try_into().ok()
    }

    /// Opens the role's key with the stage-1 hash a MySQL login proved.
    pub fn unlock_with_mysql(&self, role: &str, proof: MysqlProof) -> Result<SecretKey, KeystoreError> {
        let entry = self.entries.lock().get(role).cloned().ok_or_else(|| KeystoreError::UnknownRole(role.into()))?;
        let kept = match proof {
            MysqlProof::Sha2(_) => &entry.mysql_sha2,
            MysqlProof::Native(_) => &entry.mysql_native,
        };
        let Some(kept) = kept else { return Err(KeystoreError::WrongPassword(role.into())) };
        self.unseal(role, &entry.public_key, &kept.sealed, &proof.seal_key(self.suite))
    }

    /// Adds the caching_sha2_password pair to an entry made before it
    /// existed, once the password has opened the key.
    fn keep_mysql_sha2(&self, role: &str, password: &str, key: &SecretKey) -> Result<(), KeystoreError> {
        let mut entries = self.entries.lock();
        match entries.get_mut(role) {
            Some(e) if e.mysql_sha2.is_none() && PublicKey::from_hex(&e.public_key) == Some(key.public()) => {
                e.mysql_sha2 = Some(MysqlProof::Sha2(mysql_sha2_stage1(password)).sealed(key));
                self.save(&entries)
            }
            _ => Ok(()),
        }
    }

    /// Opens the role's key with the ClientKey a SCRAM exchange recovered.
    pub fn unlock_with_client_key(&self, role: &str, client_key: &[u8; 32]) -> Result<SecretKey, KeystoreError> {
        let entry = self.entries.lock().get(role).cloned().ok_or_else(|| KeystoreError::UnknownRole(role.into()))?;
        self.open_sealed(role, &entry, &seal_key(self.suite, client_key))
    }

    /// Opens the entry's password-sealed key.
    fn open_sealed(&self, role: &str, entry: &Entry, aes_key: &[u8; 32]) -> Result<SecretKey, KeystoreError> {
        let sealed = Sealed { nonce: entry.nonce.clone(), ciphertext: entry.ciphertext.clone() };
        self.unseal(role, &entry.public_key, &sealed, aes_key)
    }

    fn unseal(
        &self,
        role: &str,
        public_key: &str,
        sealed: &Sealed,
        aes_key: &[u8; 32],
    ) -> Result<SecretKey, KeystoreError> {
        let bad = || KeystoreError::File {
            path: self.path.display().to_string(),
            detail: format!("entry {role} is corrupt"),
        };
        let mut bytes = hex::decode(&sealed.nonce).map_err(|_| bad())?;
        if bytes.len() != crypto::SEAL_NONCE_LEN {
            return Err(bad());
        }
        bytes.extend(hex::decode(&sealed.ciphertext).map_err(|_| bad())?);
        let plain = self.suite.open(aes_key, b"", &bytes).ok_or_else(|| KeystoreError::WrongPassword(role.into()))?;
        let seed: [u8; 32] = plain.try_into().map_err(|_| bad())?;
        let key = self.suite.secret_key(&seed).ok_or_else(bad)?;
        if Some(key.public()) != PublicKey::from_hex(public_key) {
            return Err(bad());
        }
        Ok(key)
    }

    pub fn public_key(&self, role: &str) -> Option<PublicKey> {
        self.entries.lock().get(role).and_then(|e| PublicKey::from_hex(&e.public_key))
    }

    /// The role's key when it was unlocked before with this password: no key
    /// derivation, cheap enough for the async runtime.
    pub fn unlock_cached(&self, role: &str, password: &str) -> Option<SecretKey> {
        let salt = cache_salt(self.entries.lock().get(role)?);
        let check = verifier(self.suite, password, &salt);
        match self.unlocked.lock().get(role) {
            Some((v, k)) if *v == check => Some(k.clone()),
            _ => None,
        }
    }

    /// The role's secret key, if `password` is right. Slow (Argon2id) the
    /// first time for a role and password.
    pub fn unlock(&self, role: &str, password: &str) -> Result<SecretKey, KeystoreError> {
        let entry = self.entries.lock().get(role).cloned().ok_or_else(|| KeystoreError::UnknownRole(role.into()))?;
        let salt = cache_salt(&entry);
        let check = verifier(self.suite, password, &salt);
        if let Some((v, k)) = self.unlocked.lock().get(role) {
            if *v == check {
                return Ok(k.clone());
            }
        }
        let key = match (&entry.scram, &entry.salt) {
            (Some(s), _) => {
                let v = s.verifier().ok_or_else(|| KeystoreError::File {
                    path: self.path.display().to_string(),
                    detail: format!("entry {role} is corrupt"),
                })?;
                let ck = scram::client_key(&scram::salted_password(password, &v.salt, v.iterations));
                self.open_sealed(role, &entry, &seal_key(self.suite, &ck))?
            }
            (None, Some(_)) => {
                let aes_key = derive(password, &salt).ok_or_else(|| KeystoreError::File {
                    path: self.path.display().to_string(),
                    detail: format!("entry {role} is corrupt"),
                })?;
                let key = self.open_sealed(role, &entry, &aes_key)?;
                // Upgrade the legacy entry so SCRAM logins work from now on.
                self.put(role, password, &key, Keep::NONE)?;
                key
            }
            (None, None) => {
                return Err(KeystoreError::File {
                    path: self.path.display().to_string(),
                    detail: format!("entry {role} has no key"),
                })
            }
        };
        if entry.mysql_sha2.is_none() {
            self.keep_mysql_sha2(role, password, &key)?;
        }
        let salt = cache_salt(self.entries.lock().get(role).unwrap_or(&entry));
        self.unlocked.lock().insert(role.to_owned(), (verifier(self.suite, password, &salt), key.clone()));
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rc-ks-{}", hex::encode(crypto::random_bytes::<6>())));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn right_password_unlocks_wrong_one_does_not() {
        let dir = scratch_dir();
        let ks = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        let key = Suite::Standard.generate_key();
        ks.put("alice", "s3cret", &key, Keep::NONE).unwrap();
        let again = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        assert_eq!(again.unlock("alice", "s3cret").unwrap().public(), key.public());
        assert_eq!(again.unlock("alice", "s3cret").unwrap().public(), key.public()); // cached path
        assert!(matches!(again.unlock("alice", "nope"), Err(KeystoreError::WrongPassword(_))));
        assert!(matches!(again.unlock("bob", "x"), Err(KeystoreError::UnknownRole(_))));
        // A SCRAM exchange's ClientKey opens the same key; a wrong one does not.
        let v = again.scram_verifier("alice").unwrap();
        let ck = scram::client_key(&scram::salted_password("s3cret", &v.salt, v.iterations));
        assert_eq!(again.unlock_with_client_key("alice", &ck).unwrap().public(), key.public());
        assert!(matches!(again.unlock_with_client_key("alice", &[0; 32]), Err(KeystoreError::WrongPassword(_))));
        // Without a custody copy the node cannot open the key by itself.
        assert!(matches!(again.unlock_custody("alice"), Err(KeystoreError::NoCustody(_))));
        assert!(again.md5_secret("alice").is_none());
        again.keep_custody("alice", &key).unwrap();
        assert_eq!(
            Keystore::open(&dir.join("keystore.json"), Suite::Standard)
                .unwrap()
                .unlock_custody("alice")
                .unwrap()
                .public(),
            key.public()
        );
        again.remove("alice").unwrap();
        assert!(Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap().scram_verifier("alice").is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn trusted_roles_keep_a_custody_copy_and_md5_roles_their_secret() {
        let dir = scratch_dir();
        let ks = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        let key = Suite::Standard.generate_key();
        ks.put("md5_user", "password", &key, Keep { custody: true, md5: true, mysql_native: false }).unwrap();
        let again = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        assert_eq!(again.unlock_custody("md5_user").unwrap().public(), key.public());
        // PostgreSQL's own value for this role and password (pg_authid.rolpassword).
        assert_eq!(again.md5_secret("md5_user").unwrap(), md5_secret("md5_user", "password"));
        assert_eq!(md5_secret("md5_user", "password"), "7cd2b9a92689eab2e58caf2da80afa15");
        assert_eq!(
            md5_response(&md5_secret("md5_user", "password"), &[1, 2, 3, 4]),
            "md580a32c6f038b79de232354a2ee7060eb"
        );
        // The password still opens it the SCRAM way.
        assert_eq!(again.unlock("md5_user", "password").unwrap().public(), key.public());
        // Another node's custody key does not.
        std::fs::write(dir.join("custody.key"), hex::encode([7u8; 32])).unwrap();
        let other = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        assert!(matches!(other.unlock_custody("md5_user"), Err(KeystoreError::File { .. })));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_mysql_login_opens_the_key_with_what_its_scramble_proves() {
        use sha1::Digest as _;
        use sha2::Digest as _;
        let dir = scratch_dir();
        let ks = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        let key = Suite::Standard.generate_key();
        ks.put("plain", "pw", &key, Keep::NONE).unwrap();
        ks.put("old", "pw", &key, Keep { mysql_native: true, ..Keep::NONE }).unwrap();
        let again = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        // MySQL's own verifiers: SHA256(SHA256(pw)) and SHA1(SHA1(pw)).
        let sha2_stage1: [u8; 32] = sha2::Sha256::digest(b"pw").into();
        let sha1_stage1: [u8; 20] = sha1::Sha1::digest(b"pw").into();
        assert_eq!(again.mysql_sha2_verifier("plain").unwrap().to_vec(), sha2::Sha256::digest(sha2_stage1).to_vec());
        assert_eq!(again.mysql_native_verifier("old").unwrap().to_vec(), sha1::Sha1::digest(sha1_stage1).to_vec());
        // mysql_native_password's pair is kept only when asked for.
        assert!(again.mysql_native_verifier("plain").is_none());
        let open = |role: &str, proof| again.unlock_with_mysql(role, proof).map(|k| k.public());
        assert_eq!(open("plain", MysqlProof::Sha2(sha2_stage1)).unwrap(), key.public());
        assert_eq!(open("old", MysqlProof::Native(sha1_stage1)).unwrap(), key.public());
        assert!(matches!(open("plain", MysqlProof::Native(sha1_stage1)), Err(KeystoreError::WrongPassword(_))));
        assert!(matches!(open("plain", MysqlProof::Sha2([7; 32])), Err(KeystoreError::WrongPassword(_))));
        assert!(matches!(open("nobody", MysqlProof::Sha2(sha2_stage1)), Err(KeystoreError::UnknownRole(_))));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_entry_without_the_mysql_pair_gains_it_when_its_password_opens_it() {
        let dir = scratch_dir();
        let ks = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        let key = Suite::Standard.generate_key();
        ks.put("r", "pw", &key, Keep::NONE).unwrap();
        // An entry as written before the MySQL wire.
        ks.entries.lock().get_mut("r").unwrap().mysql_sha2 = None;
        assert!(ks.mysql_sha2_verifier("r").is_none());
        ks.unlock("r", "pw").unwrap();
        let again = Keystore::open(&dir.join("keystore.json"), Suite::Standard).unwrap();
        assert!(again.mysql_sha2_verifier("r").is_some());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
