//! Logging a role in and opening its account key. `pg.hba` decides how a
//! role must prove itself from a client address ([`Frontend::challenge`]);
//! the wire runs that exchange and opens the key through one of the
//! `open_*` calls. Unknown role, no matching rule or a rejecting rule:
//! 28000; wrong password: 28P01.

use crate::error::{ErrorKind, FrontendError};
use crate::Frontend;
use node::hba::{self, Method};
use node::keystore::{KeystoreError, MysqlProof};
use node::scram::Verifier;
use node_core::crypto::SecretKey;
use std::net::IpAddr;

/// What a role must show to log in.
pub enum Challenge {
    /// Nothing: the node's custody copy of the key opens ([`Frontend::open_custody`]).
    Trust,
    /// Its password in clear text ([`Frontend::open_with_password`]).
    Password,
    /// PostgreSQL's md5 challenge against this MD5 secret; success opens
    /// the custody copy.
    Md5 { secret: String },
    /// SCRAM-SHA-256 against this verifier; the ClientKey it recovers
    /// opens the key ([`Frontend::open_with_client_key`]).
    Scram { verifier: Verifier },
}

/// What a MySQL login of a role must match: the verifier of the password
/// plugin it uses (see `node::keystore`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MysqlVerifier {
    /// mysql_native_password: SHA1(SHA1(password)).
    Native([u8; 20]),
    /// caching_sha2_password: SHA256(SHA256(password)), or `None` when the
    /// role has none yet (its first login is a full authentication).
    Sha2(Option<[u8; 32]>),
}

/// What a MySQL login proved (see `proxy_mysql::Secret`).
pub enum MysqlSecret {
    Proof(MysqlProof),
    /// The password itself, unchecked (full authentication).
    Password(Vec<u8>),
}

fn login_error(sqlstate: &str, message: String) -> FrontendError {
    FrontendError::of(ErrorKind::Login, sqlstate, message)
}

/// 28P01 for `user`.
pub fn password_failed(user: &str) -> FrontendError {
    KeystoreError::WrongPassword(user.to_owned()).into()
}

impl Frontend {
    /// How `user`, connecting from `ip`, must log in, as `pg.hba` says.
    pub fn challenge(&self, user: &str, ip: IpAddr) -> Result<Challenge, FrontendError> {
        let node = &self.node;
        let method = match hba::decide(&node.config().pg.hba, user, ip) {
            None => return Err(login_error("28000", format!("no pg.hba rule for host \"{ip}\", user \"{user}\""))),
            Some(Method::Reject) => {
                return Err(login_error(
                    "28000",
                    format!("pg.hba rejects connection for host \"{ip}\", user \"{user}\""),
                ))
            }
            Some(m) => m,
        };
        if !node.keystore().contains(user) {
            return Err(login_error("28000", format!("role \"{user}\" does not exist")));
        }
        let md5_secret = if method == Method::Md5 { node.keystore().md5_secret(user) } else { None };
        Ok(match (method, md5_secret) {
            (Method::Trust, _) => Challenge::Trust,
            (Method::Md5, Some(secret)) => Challenge::Md5 { secret },
            (Method::Password, _) => Challenge::Password,
            // A role whose password was set before an md5 rule admitted it has
            // no MD5 secret: PostgreSQL asks such a role for SCRAM, and so do we.
            (Method::Md5 | Method::ScramSha256 | Method::Reject, _) => match node.keystore().scram_verifier(user) {
                Some(verifier) => Challenge::Scram { verifier },
                None => {
                    let msg = format!(
                        "role \"{user}\" has no SCRAM secret yet: sign in once through JSON-RPC with its password"
                    );
                    return Err(login_error("28000", msg));
                }
            },
        })
    }

    /// The verifier a MySQL login of `user` from `ip` must match; `None`
    /// for an unknown role and for one `pg.hba` rejects (or has no rule
    /// for) from there, which the client sees as a wrong password. The
    /// native verifier is used when the handshake names that plugin or the
    /// role has no other.
    pub fn mysql_verifier(&self, user: &str, ip: IpAddr) -> Option<MysqlVerifier> {
        let node = &self.node;
        if matches!(hba::decide(&node.config().pg.hba, user, ip), None | Some(Method::Reject)) {
            return None;
        }
        if !node.keystore().contains(user) {
            return None;
        }
        let native = node.keystore().mysql_native_verifier(user);
        let sha2 = node.keystore().mysql_sha2_verifier(user);
        let prefers_native = node.config().mysql.default_auth_plugin == "mysql_native_password";
        Some(match (native, sha2) {
            (Some(native), _) if prefers_native => MysqlVerifier::Native(native),
            (Some(native), None) => MysqlVerifier::Native(native),
            (_, sha2) => MysqlVerifier::Sha2(sha2),
        })
    }

    /// The role's key opened by what a MySQL login proved.
    pub async fn open_with_mysql(&self, user: &str, secret: MysqlSecret) -> Result<SecretKey, FrontendError> {
        let key = match secret {
            MysqlSecret::Proof(proof) => {
                self.node.keystore().unlock_with_mysql(user, proof).map_err(|_| password_failed(user))?
            }
            MysqlSecret::Password(password) => {
                let password = String::from_utf8(password).map_err(|_| password_failed(user))?;
                self.open_with_password(user, &password).await?
            }
        };
        self.logged_in(user, &key);
        Ok(key)
    }

    /// The role's key opened with its password: from the keystore's cache,
    /// or derived off the async runtime (it is slow on purpose).
    pub async fn open_with_password(&self, user: &str, password: &str) -> Result<SecretKey, FrontendError> {
        if let Some(k) = self.node.keystore().unlock_cached(user, password) {
            return Ok(k);
        }
        let node = self.node.clone();
        let (role, password) = (user.to_owned(), password.to_owned());
        Ok(tokio::task::spawn_blocking(move || node.keystore().unlock(&role, &password))
            .await
            .map_err(FrontendError::internal)??)
    }

    /// The role's key from the node's custody copy (`trust`, `md5`).
    pub fn open_custody(&self, user: &str) -> Result<SecretKey, FrontendError> {
        Ok(self.node.keystore().unlock_custody(user)?)
    }

    /// The role's key opened by the ClientKey a SCRAM exchange recovered.
    pub fn open_with_client_key(&self, user: &str, client_key: &[u8; 32]) -> Result<SecretKey, FrontendError> {
        self.node.keystore().unlock_with_client_key(user, client_key).map_err(|_| password_failed(user))
    }

    /// After a successful login: a role that a trust or md5 rule admits
    /// (perhaps from other addresses) gets its custody copy at its first
    /// login with a password.
    pub fn logged_in(&self, user: &str, key: &SecretKey) {
        if hba::needs_custody(&self.node.config().pg.hba, user) {
            if let Err(e) = self.node.keystore().keep_custody(user, key) {
                tracing::warn!(role = %user, error = %e, "keeping the custody copy of a role's key failed");
            }
        }
    }
}
