//! rowchain's chain. **Rule: no network.** The executor, the state tree and
//! the ledger kept in step (`Chain`, over a [`ledger::LedgerStore`]), the
//! pool of pending txs (over a [`clock::Clock`]), and the single-validator
//! block producer with its group-commit ledger sync. The BFT network
//! (`node-bft`) drives the same `Chain`.
//!
//! Bytes from clients, peers and disk never panic it: no byte-index slicing
//! of `str`, no unchecked indexing, no `unwrap`/`expect` outside tests (each
//! remaining `allow` names its reason). Unit tests may index and unwrap.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod chain;
pub mod clock;
pub mod ledger;
pub mod mempool;
pub mod producer;
pub mod thread;

pub use chain::{Chain, ChainError};
