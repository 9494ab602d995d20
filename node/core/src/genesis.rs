//! Genesis: the chain's identity and first state, written once at init.

use crate::crypto::{PublicKey, SecretKey, Suite};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisAccount {
    pub name: String,
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Genesis {
    pub chain_id: String,
    pub timestamp_ms: u64,
    /// The crypto suite every hash, signature and seal of the chain uses:
    /// `standard` or `sm` ([`Suite`]).
    pub crypto_suite: String,
    /// Validators' public keys (hex): the trust list.
    pub validators: Vec<String>,
    pub accounts: Vec<GenesisAccount>,
    /// How far past its own clock a validator accepts a block's timestamp
    /// (a consensus rule: without it one Byzantine leader could date a block
    /// far ahead, after which every tx counts as expired). Replay and
    /// `rowchain verify` read no clock and check only that time increases.
    #[serde(default = "default_max_future_ms")]
    pub max_future_ms: u64,
    /// The SQL rules every validator executes the chain's statements by
    /// ([`SQL_RULES`]). A genesis.json without the field predates them.
    #[serde(default = "sql_rules_unversioned")]
    pub sql_rules: u32,
}

/// The SQL rules this rowchain executes: 2 is exact `numeric` (stored as
/// decimal text, computed with `sqlmap::numeric`). Rules 1, the chains
/// made before, stored numerics as binary floats: replaying their blocks
/// under rules 2 would store other values than the validators committed
/// to, so such a chain is refused rather than silently forked.
pub const SQL_RULES: u32 = 2;

fn sql_rules_unversioned() -> u32 {
    1
}

/// [`Genesis::max_future_ms`] for chains whose genesis.json predates it.
pub const MAX_FUTURE_MS_DEFAULT: u64 = 2_000;

fn default_max_future_ms() -> u64 {
    MAX_FUTURE_MS_DEFAULT
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenesisError {
    #[error("reading {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is not a valid genesis file: {detail}")]
    Invalid { path: String, detail: String },
}

impl Genesis {
    /// A single-validator chain of the validator key's suite.
    pub fn new_dev(validator: &SecretKey, admin: &PublicKey, timestamp_ms: u64) -> Self {
        let suffix = hex::encode(crate::crypto::random_bytes::<4>());
        Genesis {
            chain_id: format!("rowchain-dev-{suffix}"),
            timestamp_ms,
            crypto_suite: validator.suite().name().into(),
            validators: vec![validator.public().to_hex()],
            accounts: vec![GenesisAccount { name: "admin".into(), public_key: admin.to_hex() }],
            max_future_ms: MAX_FUTURE_MS_DEFAULT,
            sql_rules: SQL_RULES,
        }
    }

    pub fn load(path: &Path) -> Result<Self, GenesisError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Io { path: p.clone(), source })?;
        let g: Genesis = serde_json::from_str(&text)
            .map_err(|e| GenesisError::Invalid { path: p.clone(), detail: e.to_string() })?;
        g.validate().map_err(|detail| GenesisError::Invalid { path: p, detail })?;
        Ok(g)
    }

    /// The chain's suite. A loaded genesis names a known one; a genesis
    /// built in code without one is `standard`.
    pub fn suite(&self) -> Suite {
        Suite::from_name(&self.crypto_suite).unwrap_or_default()
    }

    /// Checks what [`Genesis::load`] checks, for a genesis built in code.
    pub fn validate(&self) -> Result<(), String> {
        let Some(suite) = Suite::from_name(&self.crypto_suite) else {
            return Err(format!("crypto suite {:?} is unknown (\"standard\" or \"sm\")", self.crypto_suite));
        };
        if self.sql_rules != SQL_RULES {
            return Err(format!(
                "the chain was made under SQL rules {} (numeric stored as binary floating point), and this rowchain \
                 executes rules {SQL_RULES} (exact numeric): it cannot replay the chain as its validators did. Read \
                 the tables out with the rowchain that made it (psql --csv), and \\copy them into a new chain",
                self.sql_rules
            ));
        }
        if self.validators.is_empty() {
            return Err("no validators".into());
        }
        let key_of_suite = |hex: &str| PublicKey::from_hex(hex).filter(|k| k.suite() == suite);
        let len = suite.public_key_len();
        for v in &self.validators {
            key_of_suite(v).ok_or_else(|| format!("validator key {v:?} is not a {suite} key ({len} bytes of hex)"))?;
        }
        for a in &self.accounts {
            key_of_suite(&a.public_key)
                .ok_or_else(|| format!("account {:?} has no {suite} key ({len} bytes of hex)", a.name))?;
        }
        if suite == Suite::Sm && self.validators.len() > 1 {
            return Err(format!(
                "a network of {} validators under the sm suite needs SM2-signed consensus votes, which this rowchain \
                 does not have yet: the sm suite runs one validator (rowchain dev --suite sm)",
                self.validators.len()
            ));
        }
        Ok(())
    }

    pub fn validator_keys(&self) -> Vec<PublicKey> {
        self.validators.iter().filter_map(|v| PublicKey::from_hex(v)).collect()
    }

    /// Signatures needed to finalize a block: n - floor((n-1)/3).
    pub fn quorum(&self) -> usize {
        let n = self.validators.len();
        n - (n - 1) / 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_made_before_exact_numeric_is_refused_with_the_way_out() {
        let validator = Suite::Standard.generate_key();
        let current = Genesis::new_dev(&validator, &Suite::Standard.generate_key().public(), 1);
        assert_eq!(current.sql_rules, SQL_RULES);
        let dir = std::env::temp_dir().join(format!("rowchain-genesis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("genesis.json");
        std::fs::write(&path, serde_json::to_string(&current).unwrap()).unwrap();
        assert_eq!(Genesis::load(&path).unwrap(), current);
        // The same file as an older rowchain wrote it: no `sql_rules`.
        let mut old: serde_json::Value = serde_json::to_value(&current).unwrap();
        old.as_object_mut().unwrap().remove("sql_rules");
        std::fs::write(&path, old.to_string()).unwrap();
        let e = Genesis::load(&path).unwrap_err().to_string();
        assert!(e.contains("SQL rules 1") && e.contains("exact numeric") && e.contains("--csv"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_suite_is_checked_against_every_key() {
        let sm = Genesis::new_dev(&Suite::Sm.generate_key(), &Suite::Sm.generate_key().public(), 1);
        assert_eq!((sm.crypto_suite.as_str(), sm.suite()), ("sm", Suite::Sm));
        sm.validate().unwrap();
        // An account of the other suite.
        let mut mixed = sm.clone();
        mixed.accounts[0].public_key = Suite::Standard.generate_key().public().to_hex();
        let e = mixed.validate().unwrap_err();
        assert!(e.contains("has no sm key (33 bytes of hex)"), "{e}");
        // A validator of the other suite.
        let mut mixed = Genesis::new_dev(&Suite::Standard.generate_key(), &Suite::Standard.generate_key().public(), 1);
        mixed.validators[0] = Suite::Sm.generate_key().public().to_hex();
        let e = mixed.validate().unwrap_err();
        assert!(e.contains("is not a standard key (32 bytes of hex)"), "{e}");
        // No such suite.
        let mut unknown = sm.clone();
        unknown.crypto_suite = "gost".into();
        assert!(unknown.validate().unwrap_err().contains("\"gost\" is unknown"));
        // A network under sm needs SM2 consensus votes, which are not built.
        let mut network = sm;
        network.validators.push(Suite::Sm.generate_key().public().to_hex());
        let e = network.validate().unwrap_err();
        assert!(e.contains("SM2-signed consensus votes"), "{e}");
    }
}
