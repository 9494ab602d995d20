//! rowchain's chain core. **Rule: pure.** Codec, the crypto suite, values,
//! txs, blocks, genesis, the Merkle state tree, table metadata and the access
//! rules over it: no SQLite, no RocksDB, no async runtime, no clock, no
//! threads. Every other crate builds on these types; `tests/purity.rs`
//! checks that this crate's dependency list holds no I/O crate.
//!
//! Bytes from clients, peers and disk never panic it: no byte-index slicing
//! of `str`, no unchecked indexing, no `unwrap`/`expect` outside tests (each
//! remaining `allow` names its reason). Unit tests may index and unwrap.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod acl;
pub mod block;
pub mod catalog;
pub mod codec;
pub mod crypto;
pub mod fault;
pub mod genesis;
pub mod import;
pub mod pgarray;
pub mod pgtime;
pub mod schema;
pub mod sequence;
pub mod sqlerror;
pub mod state_tree;
pub mod tx;
pub mod usertype;
pub mod value;

pub use sqlerror::SqlError;
