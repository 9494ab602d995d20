//! The node's configuration, `rowchain.toml` in the data directory. Every
//! limit lives here with a default.

pub use node_bft::config::{NetworkConfig, Peer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub http_addr: String,
    pub chain: ChainConfig,
    pub limits: Limits,
    pub pg: PgConfig,
    pub mysql: MysqlConfig,
    /// The peer-to-peer network of a multi-validator chain. Empty `peers`
    /// (the default) is a single-validator chain (`rowchain dev`).
    pub network: NetworkConfig,
}

/// The PostgreSQL wire front end.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PgConfig {
    pub addr: String,
    /// The database name clients see (any name connects to it).
    pub database: String,
    pub connections_max: usize,
    /// A wire message larger than this closes the connection.
    pub message_bytes_max: usize,
    /// Statements a `BEGIN ... COMMIT` block may hold.
    pub block_statements_max: usize,
    /// Rows one `COPY ... FROM STDIN` may load as one atomic tx; larger loads
    /// are refused unless the session sets `rowchain.copy_batch_rows`.
    pub copy_rows_max: usize,
    /// TLS certificate chain and private key, PEM files (paths relative to
    /// the data directory); without them SSLRequest is answered `N`.
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    /// Which authentication each login must pass, by role and client
    /// address (PostgreSQL's pg_hba.conf; see `hba`). First match decides.
    pub hba: Vec<crate::hba::Rule>,
}

impl Default for PgConfig {
    fn default() -> Self {
        PgConfig {
            addr: "127.0.0.1:5433".into(),
            database: "rowchain".into(),
            connections_max: 256,
            message_bytes_max: 16 << 20,
            block_statements_max: 10_000,
            copy_rows_max: 200_000,
            tls_cert: None,
            tls_key: None,
            hba: crate::hba::default_rules(),
        }
    }
}

/// The MySQL wire front end. It serves the same database, roles and
/// grants as the PostgreSQL one; TLS uses `pg.tls_cert` / `pg.tls_key`, and
/// `pg.hba`'s `reject` rules (and the absence of a rule) apply to it too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MysqlConfig {
    /// Where to listen; `none` turns the MySQL wire off.
    pub addr: String,
    pub connections_max: usize,
    /// The largest client packet (MySQL's max_allowed_packet).
    pub packet_bytes_max: usize,
    /// The password plugin the handshake names: `caching_sha2_password`
    /// (MySQL 8's default) or `mysql_native_password`.
    pub default_auth_plugin: String,
    /// Keep mysql_native_password's verifier, SHA1(SHA1(password)), for
    /// roles whose password is set while this is on, so clients that know
    /// only that plugin can log in (see `keystore`).
    pub native_password: bool,
    /// Seconds a logged-in connection may wait for its next command
    /// (MySQL's wait_timeout).
    pub idle_timeout_s: u64,
}

impl Default for MysqlConfig {
    fn default() -> Self {
        MysqlConfig {
            addr: "127.0.0.1:3307".into(),
            connections_max: 256,
            packet_bytes_max: 64 << 20,
            default_auth_plugin: "caching_sha2_password".into(),
            native_password: false,
            idle_timeout_s: 8 * 60 * 60,
        }
    }
}

impl MysqlConfig {
    /// The address to listen on, unless the MySQL wire is off.
    pub fn listen_addr(&self) -> Option<&str> {
        (self.addr != "none").then_some(self.addr.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainConfig {
    /// Cut a block as soon as this many txs are pending.
    pub max_txs_per_block: usize,
    /// Cut a block at most this long after the first pending tx arrived. 0
    /// cuts as soon as the producer is free: txs that arrive while a block
    /// executes form the next one, so blocks grow with the load and a lone
    /// client waits for nothing.
    pub max_block_time_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub pool_txs_max: usize,
    pub tx_bytes_max: usize,
    /// The longest a tx may live: its expiry must be within this of now.
    pub tx_lifetime_max_ms: u64,
    /// The expiry `rowchain sql` and the proxy give the txs they sign.
    pub tx_lifetime_default_ms: u64,
    pub statement_bytes_max: usize,
    pub result_rows_max: usize,
    /// The most bytes one session's temporary tables may hold (the scratch
    /// database's pages); past it a write fails with 53100.
    pub temp_bytes_max: u64,
    pub rpc_body_bytes_max: usize,
    pub rpc_batch_max: usize,
    pub rpc_connections_max: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            http_addr: "127.0.0.1:5005".into(),
            chain: ChainConfig::default(),
            limits: Limits::default(),
            pg: PgConfig::default(),
            mysql: MysqlConfig::default(),
            network: NetworkConfig::default(),
        }
    }
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig { max_txs_per_block: 5_000, max_block_time_ms: 0 }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            pool_txs_max: 100_000,
            tx_bytes_max: 16 << 20,
            tx_lifetime_max_ms: 120_000,
            tx_lifetime_default_ms: 30_000,
            statement_bytes_max: 1 << 20,
            result_rows_max: 100_000,
            temp_bytes_max: 256 << 20,
            rpc_body_bytes_max: 8 << 20,
            rpc_batch_max: 100,
            rpc_connections_max: 1_024,
        }
    }
}

/// The most connections (or calls in flight) a limit may allow: far more
/// than a node serves, and within what a tokio semaphore can count.
pub const CONNECTIONS_MAX: usize = 1 << 20;

impl Config {
    pub fn parse(text: &str) -> Result<Self, String> {
        let c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if c.chain.max_txs_per_block == 0 {
            return Err("chain.max_txs_per_block must be at least 1".into());
        }
        for rule in &c.pg.hba {
            rule.validate()?;
        }
        if !["caching_sha2_password", "mysql_native_password"].contains(&c.mysql.default_auth_plugin.as_str()) {
            return Err(format!(
                "mysql.default_auth_plugin must be caching_sha2_password or mysql_native_password, not {:?}",
                c.mysql.default_auth_plugin
            ));
        }
        for (name, value) in [
            ("limits.rpc_connections_max", c.limits.rpc_connections_max),
            ("pg.connections_max", c.pg.connections_max),
            ("mysql.connections_max", c.mysql.connections_max),
        ] {
            if value > CONNECTIONS_MAX {
                return Err(format!("{name} must be at most {CONNECTIONS_MAX}"));
            }
        }
        Ok(c)
    }

    /// What the keystore must keep for `role` so that every login the
    /// configuration allows can open its key.
    pub fn keep(&self, role: &str) -> crate::keystore::Keep {
        crate::keystore::Keep { mysql_native: self.mysql.native_password, ..crate::hba::keep(&self.pg.hba, role) }
    }

    // Every field is a string, bool, table, array or integer, and integers come
    // from TOML or the defaults, so they fit TOML's i64.
    #[allow(clippy::expect_used)]
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_config_parses_back() {
        let text = Config::default().to_toml();
        assert_eq!(Config::parse(&text).map(|c| c.to_toml()), Ok(text));
    }

    #[test]
    fn connection_limits_beyond_a_semaphore_are_refused() {
        assert_eq!(
            Config::parse("[limits]\nrpc_connections_max = 9223372036854775807\n").err(),
            Some("limits.rpc_connections_max must be at most 1048576".into())
        );
        assert_eq!(
            Config::parse("[pg]\nconnections_max = 2305843009213693952\n").err(),
            Some("pg.connections_max must be at most 1048576".into())
        );
        assert!(Config::parse("[pg]\nconnections_max = 1048576\n").is_ok());
        assert_eq!(
            Config::parse("[chain]\nmax_txs_per_block = 0\n").err(),
            Some("chain.max_txs_per_block must be at least 1".into())
        );
    }
}
