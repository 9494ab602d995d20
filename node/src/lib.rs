//! rowchain's chain: every SQL write a signed, hash-chained, Merkle-committed
//! transaction, executed deterministically on SQLite. This crate knows no wire
//! protocol; the `proxy` crate and the CLI sit on top of it.
//!
//! Bytes from clients, peers and disk never panic it: no byte-index slicing
//! of `str`, no unchecked indexing, no `unwrap`/`expect` outside tests (each
//! remaining `allow` names its reason). Unit tests may index and unwrap.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod acl;
pub mod bft;
pub mod block;
pub mod catalog;
pub mod chain;
pub mod codec;
pub mod config;
pub mod crypto;
pub mod executor;
pub mod fault;
pub mod genesis;
pub mod hba;
pub mod keystore;
pub mod ledger;
pub mod mempool;
pub mod netinit;
pub mod pgfns;
pub mod pgtime;
pub mod reader;
pub mod scram;
pub mod service;
pub mod state_tree;
pub mod tx;
pub mod value;
pub mod verify;
