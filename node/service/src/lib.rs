//! rowchain's node: what a front end (the PostgreSQL wire, JSON-RPC, the
//! CLI) talks to. **Rule: the facade.** [`Node`] starts a node from its
//! data directory and offers a small API: submit a tx and wait for its
//! outcome, read at the latest height, the catalog at that height, status.
//! Its state is private. Also here: `rowchain.toml` ([`config`]), the
//! keystore of roles' keys and credentials ([`keystore`], [`scram`],
//! [`hba`]), `rowchain init` ([`netinit`]) and offline verification
//! ([`verify`]). The layers below are crates: `node-core` (pure),
//! `node-exec` (SQLite), `node-chain` (ledger and pool), `node-bft`
//! (consensus); this crate knows no wire protocol.
//!
//! Bytes from clients, peers and disk never panic it: no byte-index slicing
//! of `str`, no unchecked indexing, no `unwrap`/`expect` outside tests (each
//! remaining `allow` names its reason). Unit tests may index and unwrap.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod hba;
pub mod import;
pub mod keystore;
pub mod netinit;
pub mod scram;
pub mod service;
pub mod verify;

pub use node_chain::clock::now_ms;
pub use node_chain::producer::{Outcome, Status};
pub use node_chain::thread::{spawn_node_thread, EXIT_THREAD_PANICKED};
pub use service::{init_dev, load_config, Committed, DataDir, Node, NodeError, PeerStatus, SubmitError, WaitError};
