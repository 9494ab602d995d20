//! The data directories of a new multi-node network (`rowchain init`): one
//! directory per node, each with its own `validator.key`, the same
//! `genesis.json` (the validators' keys are the trust list), a keystore
//! holding the `admin` role's key under password `admin`, and a
//! `rowchain.toml` whose `network.peers` lists every other node.
//!
//! Addresses. Node i (from 1) listens for PostgreSQL on port `base + i - 1`,
//! for JSON-RPC on `base + 100 + i - 1`, for its peers on
//! `base + 200 + i - 1` and for MySQL on `base + 300 + i - 1`; without a
//! base port the defaults are 5433, 5005, 5125 and 3307 (the ports
//! `rowchain dev` uses, for node 1). All nodes on one host
//! (loopback unless a host is given) therefore need distinct ports. With one
//! host per node (containers, separate machines) every node uses the same
//! unshifted ports, listens on all interfaces and is reached by its host name.
//!
//! Nothing here runs a node; `service::Node::start` opens what this writes.

use crate::config::{Config, Peer};
use crate::keystore::{Keep, Keystore};
use crate::service::DataDir;
use node_chain::clock::now_ms;
use node_core::crypto::{SecretKey, Suite};
use node_core::genesis::{Genesis, GenesisAccount};
use std::path::{Path, PathBuf};

/// Default ports of node 1; node i adds i - 1.
pub const PG_PORT_DEFAULT: u16 = 5433;
pub const HTTP_PORT_DEFAULT: u16 = 5005;
pub const P2P_PORT_DEFAULT: u16 = 5125;
pub const MYSQL_PORT_DEFAULT: u16 = 3307;
/// How far `--base-port` puts the JSON-RPC and peer ports above the
/// PostgreSQL ones; it is also the most nodes one network may have, so the
/// three port ranges never overlap.
pub const PORT_STRIDE: u16 = 100;
pub const NODES_MAX: usize = PORT_STRIDE as usize;
/// The role whose key every node's keystore holds, and its password.
pub const ADMIN_ROLE: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin";

/// What `rowchain init` was asked for.
#[derive(Debug, Clone, Default)]
pub struct NetworkSpec {
    pub validators: usize,
    pub observers: usize,
    /// Empty: every node on 127.0.0.1. One: every node on that host. One per
    /// node: node i on `hosts[i - 1]`, all with the same ports.
    pub hosts: Vec<String>,
    /// Shifts every port (see the module docs).
    pub base_port: Option<u16>,
}

/// One node of a planned network: where it lives and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePlan {
    /// `node1`, `node2`, ...
    pub name: String,
    pub dir: PathBuf,
    pub validator: bool,
    /// The host clients and peers reach it at.
    pub host: String,
    /// The address it listens on (`127.0.0.1`, the given host, or `0.0.0.0`).
    pub listen: String,
    pub pg_port: u16,
    pub http_port: u16,
    pub p2p_port: u16,
    pub mysql_port: u16,
}

impl NodePlan {
    pub fn pg_addr(&self) -> String {
        format!("{}:{}", self.listen, self.pg_port)
    }
    pub fn http_addr(&self) -> String {
        format!("{}:{}", self.listen, self.http_port)
    }
    pub fn p2p_addr(&self) -> String {
        format!("{}:{}", self.listen, self.p2p_port)
    }
    pub fn mysql_addr(&self) -> String {
        format!("{}:{}", self.listen, self.mysql_port)
    }
    /// `psql` connection URL of the admin role on this node.
    pub fn psql_url(&self, database: &str) -> String {
        format!("postgres://{ADMIN_ROLE}:{ADMIN_PASSWORD}@{}:{}/{database}", self.host, self.pg_port)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    #[error("a network needs at least one validator (--validators 1 or more)")]
    NoValidators,
    #[error("{count} nodes asked for; a network made by `rowchain init` has at most {max}")]
    TooManyNodes { count: usize, max: usize },
    #[error("{hosts} hosts given for {nodes} nodes: give one host for all of them, or exactly one per node")]
    HostCount { hosts: usize, nodes: usize },
    #[error("host {0:?} is not a host name or address (give hosts without ports; ports come from --base-port)")]
    BadHost(String),
    #[error("the base port must be 1 or more")]
    ZeroPort,
    #[error("base port {base} leaves no room for {nodes} nodes: the MySQL ports (300 above it) would pass 65535")]
    PortOverflow { base: u16, nodes: usize },
    #[error("{0} exists and is not empty: it may hold a node's keys; choose another --out or remove it")]
    NotEmpty(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("keystore: {0}")]
    Keystore(String),
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> InitError + '_ {
    move |source| InitError::Io { path: path.display().to_string(), source }
}

/// Where each node of `spec` goes under `out`, with its addresses. Checks
/// the spec but touches no file.
pub fn plan(out: &Path, spec: &NetworkSpec) -> Result<Vec<NodePlan>, InitError> {
    if spec.validators == 0 {
        return Err(InitError::NoValidators);
    }
    let count = spec.validators + spec.observers;
    if count > NODES_MAX {
        return Err(InitError::TooManyNodes { count, max: NODES_MAX });
    }
    if let Some(bad) = spec.hosts.iter().find(|h| !valid_host(h)) {
        return Err(InitError::BadHost(bad.clone()));
    }
    let host_per_node = spec.hosts.len() == count && count > 1;
    if !(spec.hosts.len() <= 1 || host_per_node) {
        return Err(InitError::HostCount { hosts: spec.hosts.len(), nodes: count });
    }
    let (pg, http, p2p, mysql) = match spec.base_port {
        Some(b) => {
            let stride = PORT_STRIDE as u32;
            (b, b as u32 + stride, b as u32 + 2 * stride, b as u32 + 3 * stride)
        }
        None => (PG_PORT_DEFAULT, HTTP_PORT_DEFAULT as u32, P2P_PORT_DEFAULT as u32, MYSQL_PORT_DEFAULT as u32),
    };
    // Offset ports go up to node `count`; per-node hosts all use the base.
    let offset_max = if host_per_node { 0 } else { count as u32 - 1 };
    if pg == 0 {
        return Err(InitError::ZeroPort);
    }
    if [pg as u32, http, p2p, mysql].iter().any(|p| p + offset_max > u16::MAX as u32) {
        return Err(InitError::PortOverflow { base: pg, nodes: count });
    }
    (1..=count)
        .map(|i| {
            let offset = if host_per_node { 0 } else { i as u32 - 1 };
            let (host, listen) = match spec.hosts.as_slice() {
                [] => ("127.0.0.1".to_string(), "127.0.0.1".to_string()),
                [one] => (one.clone(), one.clone()),
                many => (
                    many.get(i - 1).cloned().ok_or(InitError::HostCount { hosts: many.len(), nodes: count })?,
                    "0.0.0.0".to_string(),
                ),
            };
            let name = format!("node{i}");
            Ok(NodePlan {
                dir: out.join(&name),
                name,
                validator: i <= spec.validators,
                host,
                listen,
                pg_port: (pg as u32 + offset) as u16,
                http_port: (http + offset) as u16,
                p2p_port: (p2p + offset) as u16,
                mysql_port: (mysql + offset) as u16,
            })
        })
        .collect()
}

/// A host name, an IPv4 address or a bracketed IPv6 address; no port.
fn valid_host(h: &str) -> bool {
    if let Some(inner) = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !h.is_empty() && h.len() <= 253 && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
}

/// Writes the data directories of a new network under `out` (see the
/// module docs) and returns their plans. Refuses before writing anything if
/// a node's directory exists and is not empty.
pub fn init_network(out: &Path, spec: &NetworkSpec) -> Result<Vec<NodePlan>, InitError> {
    let plans = plan(out, spec)?;
    for p in &plans {
        if is_non_empty_dir(&p.dir)? {
            return Err(InitError::NotEmpty(p.dir.display().to_string()));
        }
    }
    // A network's consensus votes are ed25519 (commonware's scheme), so a
    // network is of the standard suite; the sm suite runs one validator.
    let suite = Suite::Standard;
    let keys: Vec<SecretKey> = plans.iter().map(|_| suite.generate_key()).collect();
    let admin = suite.generate_key();
    let genesis = Genesis {
        chain_id: format!("rowchain-net-{}", hex::encode(node_core::crypto::random_bytes::<4>())),
        timestamp_ms: now_ms(),
        crypto_suite: suite.name().into(),
        validators: plans.iter().zip(&keys).filter(|(p, _)| p.validator).map(|(_, k)| k.public().to_hex()).collect(),
        accounts: vec![GenesisAccount { name: ADMIN_ROLE.into(), public_key: admin.public().to_hex() }],
        max_future_ms: node_core::genesis::MAX_FUTURE_MS_DEFAULT,
        sql_rules: node_core::genesis::SQL_RULES,
    };
    let genesis_json = serde_json::to_string_pretty(&genesis)
        .map_err(|e| InitError::Io { path: out.display().to_string(), source: std::io::Error::other(e) })?;
    for (i, (p, key)) in plans.iter().zip(&keys).enumerate() {
        let d = DataDir(p.dir.clone());
        std::fs::create_dir_all(&p.dir).map_err(io_err(&p.dir))?;
        write_private(&d.validator_key(), &hex::encode(key.to_bytes()))?;
        let keystore = Keystore::open(&d.keystore(), suite).map_err(|e| InitError::Keystore(e.to_string()))?;
        keystore.put(ADMIN_ROLE, ADMIN_PASSWORD, &admin, Keep::NONE).map_err(|e| InitError::Keystore(e.to_string()))?;
        let config_path = d.config();
        std::fs::write(&config_path, node_config(&plans, &keys, i, p).to_toml()).map_err(io_err(&config_path))?;
        let genesis_path = d.genesis();
        std::fs::write(&genesis_path, &genesis_json).map_err(io_err(&genesis_path))?;
    }
    Ok(plans)
}

/// Node `me`'s configuration: its listen addresses and every other node as a peer.
fn node_config(plans: &[NodePlan], keys: &[SecretKey], me: usize, p: &NodePlan) -> Config {
    let mut c = Config::default();
    c.pg.addr = p.pg_addr();
    c.http_addr = p.http_addr();
    c.network.p2p_addr = p.p2p_addr();
    c.mysql.addr = p.mysql_addr();
    c.network.peers = plans
        .iter()
        .zip(keys)
        .enumerate()
        .filter(|(i, _)| *i != me)
        .map(|(_, (q, k))| Peer { public_key: k.public().to_hex(), addr: format!("{}:{}", q.host, q.p2p_port) })
        .collect();
    c
}

fn is_non_empty_dir(path: &Path) -> Result<bool, InitError> {
    match std::fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(true),
        Err(source) => Err(InitError::Io { path: path.display().to_string(), source }),
    }
}

/// Writes a secret readable by its owner only; never replaces a file.
fn write_private(path: &Path, text: &str) -> Result<(), InitError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io_err(path))?;
    f.write_all(text.as_bytes()).map_err(io_err(path))
}

/// The node directories of a network `init_network` made under `out`:
/// `out/node1`, `out/node2`, ... as long as each holds a `genesis.json`.
/// Empty when there is none.
pub fn existing_nodes(out: &Path) -> Vec<PathBuf> {
    (1..=NODES_MAX)
        .map(|i| out.join(format!("node{i}")))
        .take_while(|d| DataDir(d.clone()).genesis().exists())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use node_core::crypto::PublicKey;

    fn temp_dir(tag: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("rowchain-netinit-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    fn spec(validators: usize, observers: usize, hosts: &[&str], base_port: Option<u16>) -> NetworkSpec {
        NetworkSpec { validators, observers, hosts: hosts.iter().map(|h| h.to_string()).collect(), base_port }
    }

    fn ports(plans: &[NodePlan]) -> Vec<(String, String, String, String)> {
        plans.iter().map(|p| (p.name.clone(), p.pg_addr(), p.http_addr(), p.p2p_addr())).collect()
    }

    fn load(dir: &Path) -> (Genesis, Config, PublicKey) {
        let d = DataDir(dir.to_owned());
        let genesis = Genesis::load(&d.genesis()).unwrap();
        let config = Config::parse(&std::fs::read_to_string(d.config()).unwrap()).unwrap();
        let seed: [u8; 32] =
            hex::decode(std::fs::read_to_string(d.validator_key()).unwrap().trim()).unwrap().try_into().unwrap();
        (genesis, config, Suite::Standard.secret_key(&seed).unwrap().public())
    }

    #[test]
    fn default_ports_follow_dev_and_offset_per_node() {
        let plans = plan(Path::new("/x"), &spec(2, 1, &[], None)).unwrap();
        let s = |a: &str| a.to_string();
        assert_eq!(
            ports(&plans),
            vec![
                (s("node1"), s("127.0.0.1:5433"), s("127.0.0.1:5005"), s("127.0.0.1:5125")),
                (s("node2"), s("127.0.0.1:5434"), s("127.0.0.1:5006"), s("127.0.0.1:5126")),
                (s("node3"), s("127.0.0.1:5435"), s("127.0.0.1:5007"), s("127.0.0.1:5127")),
            ]
        );
        assert_eq!(plans.iter().map(|p| p.validator).collect::<Vec<_>>(), [true, true, false]);
        assert_eq!(plans[2].dir, Path::new("/x/node3"));
        let config = Config::default();
        assert_eq!(
            (plans[0].pg_addr(), plans[0].http_addr()),
            (config.pg.addr, config.http_addr),
            "node 1 is where dev listens"
        );
    }

    #[test]
    fn base_port_shifts_every_range() {
        let plans = plan(Path::new("/x"), &spec(2, 0, &["10.0.0.7"], Some(20000))).unwrap();
        let s = |a: &str| a.to_string();
        assert_eq!(
            ports(&plans),
            vec![
                (s("node1"), s("10.0.0.7:20000"), s("10.0.0.7:20100"), s("10.0.0.7:20200")),
                (s("node2"), s("10.0.0.7:20001"), s("10.0.0.7:20101"), s("10.0.0.7:20201")),
            ]
        );
        assert_eq!(plans[1].psql_url("rowchain"), "postgres://admin:admin@10.0.0.7:20001/rowchain");
    }

    #[test]
    fn one_host_per_node_uses_the_same_ports_on_all_interfaces() {
        let plans = plan(Path::new("/x"), &spec(3, 0, &["a", "b", "c"], None)).unwrap();
        for (p, host) in plans.iter().zip(["a", "b", "c"]) {
            assert_eq!((p.host.as_str(), p.listen.as_str()), (host, "0.0.0.0"));
            assert_eq!((p.pg_port, p.http_port, p.p2p_port, p.mysql_port), (5433, 5005, 5125, 3307));
        }
    }

    #[test]
    fn bad_specs_are_refused_with_a_reason() {
        let err = |s: NetworkSpec| plan(Path::new("/x"), &s).unwrap_err().to_string();
        assert!(err(spec(0, 2, &[], None)).contains("at least one validator"));
        assert!(err(spec(2, 0, &["a", "b", "c"], None)).contains("3 hosts given for 2 nodes"));
        assert!(err(spec(2, 0, &["a:5433"], None)).contains("without ports"));
        assert!(err(spec(2, 0, &[""], None)).contains("not a host"));
        assert!(err(spec(2, 0, &[], Some(65235))).contains("would pass 65535"), "65235 + 300 + 1 > 65535");
        assert!(err(spec(2, 0, &[], Some(0))).contains("1 or more"));
        assert!(err(spec(99, 2, &[], None)).contains("at most 100"));
        assert!(plan(Path::new("/x"), &spec(1, 0, &["[::1]"], Some(65235))).is_ok());
    }

    #[test]
    fn init_writes_one_network() {
        let out = temp_dir("init");
        let plans = init_network(&out, &spec(3, 1, &[], Some(31000))).unwrap();
        let loaded: Vec<_> = plans.iter().map(|p| load(&p.dir)).collect();
        let keys: Vec<PublicKey> = loaded.iter().map(|(_, _, k)| *k).collect();
        let genesis = &loaded[0].0;
        assert_eq!(genesis.validator_keys(), keys[..3].to_vec(), "the validators, in order; not the observer");
        assert_eq!(genesis.accounts.len(), 1);
        assert_eq!(genesis.accounts[0].name, "admin");
        for (i, (g, config, _)) in loaded.iter().enumerate() {
            assert_eq!(g, genesis, "one genesis for all");
            assert_eq!(config.pg.addr, format!("127.0.0.1:{}", 31000 + i));
            assert_eq!(config.http_addr, format!("127.0.0.1:{}", 31100 + i));
            assert_eq!(config.network.p2p_addr, format!("127.0.0.1:{}", 31200 + i));
            assert_eq!(config.mysql.addr, format!("127.0.0.1:{}", 31300 + i));
            let peers: Vec<Peer> = (0..4)
                .filter(|j| *j != i)
                .map(|j| Peer { public_key: keys[j].to_hex(), addr: format!("127.0.0.1:{}", 31200 + j) })
                .collect();
            assert_eq!(config.network.peers, peers, "node{} lists every other node", i + 1);
            let keystore = Keystore::open(&DataDir(plans[i].dir.clone()).keystore(), Suite::Standard).unwrap();
            let admin = keystore.unlock("admin", "admin").unwrap();
            assert_eq!(admin.public().to_hex(), genesis.accounts[0].public_key, "every node opens the admin key");
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(DataDir(plans[0].dir.clone()).validator_key()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(existing_nodes(&out), plans.iter().map(|p| p.dir.clone()).collect::<Vec<_>>());
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn init_refuses_a_non_empty_node_directory_and_writes_nothing() {
        let out = temp_dir("refuse");
        std::fs::create_dir_all(out.join("node1")).unwrap();
        std::fs::create_dir_all(out.join("node2")).unwrap();
        std::fs::write(out.join("node2/validator.key"), "keep me").unwrap();
        let err = init_network(&out, &spec(2, 0, &[], None)).unwrap_err();
        assert!(matches!(&err, InitError::NotEmpty(p) if p.ends_with("node2")), "{err}");
        assert_eq!(std::fs::read_dir(out.join("node1")).unwrap().count(), 0, "nothing written before the check");
        assert_eq!(std::fs::read_to_string(out.join("node2/validator.key")).unwrap(), "keep me");
        assert!(existing_nodes(&out).is_empty());
        std::fs::remove_dir_all(&out).unwrap();
    }
}
