//! rowchain's executor and read pool. **Rule: SQLite only.** Applies a
//! block's txs to the SQL view deterministically (a savepoint per tx, row
//! changes captured for the state tree), speculates transaction blocks, and
//! answers reads on pooled read-only connections. No ledger, no network, no
//! clock: the block time is an argument.
//!
//! Bytes from clients, peers and disk never panic it: no byte-index slicing
//! of `str`, no unchecked indexing, no `unwrap`/`expect` outside tests (each
//! remaining `allow` names its reason). Unit tests may index and unwrap.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod arrayfns;
pub mod executor;
pub mod jsonbfns;
pub mod numfns;
pub mod pgfns;
pub mod reader;
pub mod scalarfns;
pub mod sqlvalue;
pub mod tables;
pub mod typefns;
