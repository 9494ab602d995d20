//! `proxy-mysql`: the MySQL client/server protocol (protocol 4.1, as
//! MySQL 8.0 speaks it) as a library. **Rule: MySQL wire only, and no
//! workspace crate**: the node plugs in through [`Backend`]; this crate
//! knows no SQL and no storage.
//!
//! Modules:
//! - `packet`: framing, sequence ids, the max packet size, the checked
//!   cursor for client bytes.
//! - `handshake`: capabilities, HandshakeV10, SSLRequest, HandshakeResponse41.
//! - `auth`: stored verifiers, mysql_native_password and
//!   caching_sha2_password checks, the RSA key.
//! - `login`: the connection phase's exchange (TLS upgrade, auth switch,
//!   fast and full authentication).
//! - `command`: `COM_*` decoding, binary statement parameters.
//! - `querytext`: statement text from bytes (binary string literals become
//!   hex literals).
//! - `value`: values and column types, text and binary encodings.
//! - `resultset`: OK, ERR, EOF, column definitions, text and binary rows.
//! - `connection`: the command phase of one connection.
//! - `server`: [`Backend`], [`Config`], [`serve`], [`listen`], the
//!   connection limit.
//! - `tls`: the plain-or-TLS transport and the acceptor.
//!
//! Deliberately absent: compression (CLIENT_COMPRESS is not offered),
//! query attributes and session-state tracking (not offered), server-side
//! cursors (COM_STMT_EXECUTE's cursor flags are ignored and rows are sent
//! at once; COM_STMT_FETCH answers 1421), column lists for COM_FIELD_LIST
//! (an empty list), LOCAL INFILE, and the `sha256_password` and clear-text
//! plugins. Values are the backend's: this crate checks only that a row
//! has one value per column and that each value fits its column type.

// Client bytes must never panic the server.
#![deny(clippy::string_slice, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod command;
mod connection;
pub mod error;
pub mod handshake;
mod login;
pub mod packet;
mod querytext;
pub mod resultset;
mod server;
mod tls;
pub mod value;

pub use auth::{RsaKey, Secret, Verifier};
pub use error::{ServerError, WireError};
pub use resultset::{Column, OkInfo};
pub use server::{
    listen, refuse_connection, serve, Backend, Config, ConnectionLimit, ConnectionPermit, LoginInfo, Prepared,
    QueryResult,
};
pub use tls::acceptor_from_pem;
pub use value::{ColumnType, DateTime, Time, Value};
