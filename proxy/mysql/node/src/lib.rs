//! `proxy-mysql-node`: the MySQL front end of a node. `proxy-mysql` speaks
//! the wire; this crate implements its [`proxy_mysql::Backend`] over the
//! shared front-end core (`proxy_frontend::Session` in the MySQL dialect),
//! so logins, grants, row security, transactions and writes are the same
//! code the PostgreSQL wire runs. **Rule: no wire bytes here** (they are
//! `proxy-mysql`'s) **and no SQL semantics** (they are the front-end
//! core's and sqlmap's): only the translation between the two.
//!
//! Modules:
//! - `backend`: [`NodeBackend`], one per connection: login through the
//!   keystore's MySQL verifiers, COM_QUERY and prepared statements through
//!   the session, autocommit, the transaction status.
//! - `results`: replies as MySQL result sets and OK packets, column types
//!   and values, statement parameters as chain values.
//! - `errors`: SQLSTATEs as MySQL error numbers.
//! - `show`: what the front end answers itself: SHOW statements, system
//!   variables, SET NAMES.

// Client input must never panic the front end.
#![deny(clippy::string_slice, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod backend;
mod errors;
mod results;
mod show;

pub use backend::NodeBackend;
pub use errors::server_error;
/// The wire's settings ([`server_config`] makes them from the node's).
pub use proxy_mysql::Config as MysqlServerConfig;

use proxy_frontend::Frontend;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The version the handshake and `VERSION()` report: MySQL 8.0's protocol
/// and dialect, which Django and the JDBC drivers accept.
pub use proxy_mysql::handshake::SERVER_VERSION;

/// The wire's settings from the node's `[mysql]` configuration, with TLS
/// when `tls` gives a certificate chain and key (PEM; the PostgreSQL
/// wire's). [`serve`] adds a fresh RSA key for caching_sha2_password's
/// full authentication without TLS.
pub fn server_config(
    config: &node::config::MysqlConfig,
    tls: Option<(&[u8], &[u8])>,
) -> Result<proxy_mysql::Config, proxy_mysql::WireError> {
    let tls = tls.map(|(chain, key)| proxy_mysql::acceptor_from_pem(chain, key)).transpose()?;
    let default_auth_plugin = match config.default_auth_plugin.as_str() {
        "mysql_native_password" => proxy_mysql::auth::NATIVE_PASSWORD,
        _ => proxy_mysql::auth::CACHING_SHA2_PASSWORD,
    };
    Ok(proxy_mysql::Config {
        packet_size_max: config.packet_bytes_max,
        default_auth_plugin,
        tls,
        rsa_key: None,
        idle_timeout: Duration::from_secs(config.idle_timeout_s),
        ..proxy_mysql::Config::default()
    })
}

/// Serves the MySQL protocol for `frontend`'s node on `listener` until
/// `shutdown` resolves.
pub async fn serve(
    frontend: Arc<Frontend>,
    listener: TcpListener,
    config: proxy_mysql::Config,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut config = config;
    if config.rsa_key.is_none() {
        // A 2048-bit key takes most of a second to make: made here, not on
        // the node's start; clients that connect meanwhile wait in the
        // listen backlog.
        match tokio::task::spawn_blocking(|| proxy_mysql::RsaKey::generate(2048)).await {
            Ok(Ok(key)) => config.rsa_key = Some(Arc::new(key)),
            Ok(Err(error)) => tracing::warn!(%error, "no RSA key: caching_sha2_password full authentication needs TLS"),
            Err(error) => tracing::warn!(%error, "no RSA key: caching_sha2_password full authentication needs TLS"),
        }
    }
    let connections_max = frontend.node().config().mysql.connections_max;
    let accept = proxy_mysql::listen(listener, Arc::new(config), connections_max, move |peer| {
        NodeBackend::new(frontend.clone(), peer)
    });
    tokio::select! {
        _ = accept => {}
        _ = shutdown => {}
    }
}
