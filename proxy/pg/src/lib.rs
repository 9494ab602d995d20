//! `proxy-pg`: the PostgreSQL v3 wire front end, on the `pgwire` crate's
//! message types. **Rule: PostgreSQL wire only.** It turns messages into
//! calls of the front-end core (`proxy_frontend`: login, the Session API,
//! result typing, the catalog model) and replies into messages; anything a
//! second wire would also need belongs there, not here.
//!
//! Modules:
//! - `server`: listener, connection limit, startup packet, SSLRequest,
//!   CancelRequest, the message loop.
//! - `codec`: frontend messages checked against their declared lengths
//!   before `pgwire` decodes them; the connection's framing.
//! - `auth`: the SCRAM-SHA-256, md5, clear-text and trust exchanges.
//! - `session`: one connection's simple Query protocol and COPY framing.
//! - `extended`: prepared statements and portals (Parse/Bind/Describe/
//!   Execute/Close/Sync).
//! - `format`: format codes, binary encodings, RowDescription/DataRow.
//! - `copy`: COPY text/CSV data parsing.
//! - `error`: [`PgError`] and the ErrorResponse it becomes.
//! - `tls`: TLS after SSLRequest when `pg.tls_cert`/`pg.tls_key` are set.

// Client bytes and SQL text must never panic the front end.
#![deny(clippy::string_slice, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod auth;
mod codec;
mod copy;
mod error;
mod extended;
mod format;
mod server;
mod session;
mod tls;

pub use error::PgError;
pub use server::serve;
pub use tls::acceptor as tls_acceptor;
