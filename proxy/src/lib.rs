//! `proxy`: rowchain's wire front ends. The PostgreSQL v3 protocol (built on
//! the `pgwire` crate's message types) in front of a [`node::Node`]:
//! startup and SCRAM authentication against the node's keystore, sessions
//! with PostgreSQL transaction semantics, the emulated `pg_catalog` and
//! `information_schema`, and result encoding with the declared types.
//!
//! Modules:
//! - `server`: listener, limits, startup, SCRAM, the message loop.
//! - `frontend`: frontend messages checked against their declared lengths
//!   before `pgwire` decodes them.
//! - `session`: one client's statements, transaction block, extended
//!   protocol and COPY.
//! - `types`: PostgreSQL text/binary encodings of rowchain's types.
//! - `copy`: COPY text/CSV parsing.
//! - `tls`: TLS after SSLRequest when `pg.tls_cert`/`pg.tls_key` are set.
//! - [`catalog`]: `pg_catalog` / `information_schema` emulation.

// Client bytes and SQL text must never panic the front end.
#![deny(clippy::string_slice, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod catalog;
mod copy;
mod frontend;
mod server;
mod session;
mod tls;
mod types;

pub use server::serve;
pub use tls::acceptor as tls_acceptor;
