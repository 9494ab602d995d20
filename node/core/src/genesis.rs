//! Genesis: the chain's identity and first state, written once at init.

use crate::crypto::{PublicKey, SecretKey, SUITE_STANDARD};
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
    pub fn new_dev(validator: &SecretKey, admin: &PublicKey, timestamp_ms: u64) -> Self {
        let suffix = hex::encode(crate::crypto::random_bytes::<4>());
        Genesis {
            chain_id: format!("rowchain-dev-{suffix}"),
            timestamp_ms,
            crypto_suite: SUITE_STANDARD.into(),
            validators: vec![validator.public().to_hex()],
            accounts: vec![GenesisAccount { name: "admin".into(), public_key: admin.to_hex() }],
            max_future_ms: MAX_FUTURE_MS_DEFAULT,
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

    fn validate(&self) -> Result<(), String> {
        if self.crypto_suite != SUITE_STANDARD {
            return Err(format!("crypto suite {:?} is not supported (only \"standard\")", self.crypto_suite));
        }
        if self.validators.is_empty() {
            return Err("no validators".into());
        }
        for v in &self.validators {
            PublicKey::from_hex(v).ok_or_else(|| format!("validator key {v:?} is not 32 bytes of hex"))?;
        }
        for a in &self.accounts {
            PublicKey::from_hex(&a.public_key).ok_or_else(|| format!("account {:?} has a bad key", a.name))?;
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
