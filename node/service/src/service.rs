//! The running node: the block producer thread, the pool, the waiters for
//! receipts, and the data directory they live in.
//!
//! Data directory layout: `genesis.json`, `validator.key`, `keystore.json`,
//! `rowchain.toml`, `ledger/` (RocksDB) and `state.sqlite` (the SQL view).

use crate::config::Config;
use crate::keystore::Keystore;
use node_chain::chain::{Chain, ChainError, Timings};
use node_chain::clock::now_ms;
use node_chain::ledger::{Ledger, StoreError};
use node_chain::ledger::{LedgerRead, LedgerStore};
use node_chain::mempool::{Mempool, PoolError};
use node_chain::producer::{Outcome, Producer, Status, Waiters};
use node_chain::thread::spawn_node_thread;
use node_core::crypto::{Hash, PublicKey, SecretKey, Suite};
use node_core::genesis::Genesis;
use node_core::tx::SignedTx;
use node_exec::executor::{ExecLimits, Executor};
use node_exec::reader::Reader;
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Why a node could not be set up or started. Each variant keeps its source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Genesis(#[from] node_core::genesis::GenesisError),
    #[error("keystore: {0}")]
    Keystore(#[from] crate::keystore::KeystoreError),
    #[error("{path}: {reason}")]
    Config { path: String, reason: String },
    #[error("{path} is not a 32-byte hex key")]
    ValidatorKey { path: String },
    #[error("this node's validator key is not in the genesis trust list")]
    NotInTrustList,
    #[error("the chain has {validators} validators but rowchain.toml lists no network.peers")]
    NoPeers { validators: usize },
    #[error(
        "the chain's crypto suite is {0}, and a network's consensus votes are ed25519: the {0} suite runs one \
         validator without network.peers"
    )]
    SuiteNetwork(Suite),
    #[error("ledger: {0}")]
    Ledger(#[from] StoreError),
    #[error("SQL view: {0}")]
    View(#[from] node_exec::executor::ExecError),
    #[error("WAL checkpointer: {0}")]
    Checkpointer(#[from] rusqlite::Error),
    #[error("cannot start the {name} thread: {source}")]
    Thread { name: &'static str, source: std::io::Error },
    #[error("genesis.json: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Chain(#[from] ChainError),
}

fn thread_err(name: &'static str) -> impl Fn(std::io::Error) -> NodeError {
    move |source| NodeError::Thread { name, source }
}

pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn genesis(&self) -> PathBuf {
        self.0.join("genesis.json")
    }
    pub fn validator_key(&self) -> PathBuf {
        self.0.join("validator.key")
    }
    pub fn keystore(&self) -> PathBuf {
        self.0.join("keystore.json")
    }
    pub fn config(&self) -> PathBuf {
        self.0.join("rowchain.toml")
    }
    pub fn ledger(&self) -> PathBuf {
        self.0.join("ledger")
    }
    pub fn sqlite(&self) -> PathBuf {
        self.0.join("state.sqlite")
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> NodeError + '_ {
    move |source| NodeError::Io { path: path.display().to_string(), source }
}

/// Creates a single-validator dev chain of `suite` in `dir` unless one is
/// there: genesis, validator key, an `admin` role with password `admin`,
/// config. Returns true when it created one.
pub fn init_dev(dir: &Path, suite: Suite) -> Result<bool, NodeError> {
    let d = DataDir(dir.to_owned());
    if d.genesis().exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let validator = suite.generate_key();
    let admin = suite.generate_key();
    let keystore = Keystore::open(&d.keystore(), suite)?;
    keystore.put("admin", "admin", &admin, crate::keystore::Keep::NONE)?;
    write_private(&d.validator_key(), &hex::encode(validator.to_bytes()))?;
    let cfg = d.config();
    if !cfg.exists() {
        std::fs::write(&cfg, Config::default().to_toml()).map_err(io_err(&cfg))?;
    }
    let genesis = Genesis::new_dev(&validator, &admin.public(), now_ms());
    let g = d.genesis();
    let text = serde_json::to_string_pretty(&genesis)?;
    std::fs::write(&g, text).map_err(io_err(&g))?;
    Ok(true)
}

fn write_private(path: &Path, text: &str) -> Result<(), NodeError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io_err(path))?;
    f.write_all(text.as_bytes()).map_err(io_err(path))
}

pub fn load_config(dir: &Path) -> Result<Config, NodeError> {
    let p = DataDir(dir.to_owned()).config();
    if !p.exists() {
        return Ok(Config::default());
    }
    let text = std::fs::read_to_string(&p).map_err(io_err(&p))?;
    Config::parse(&text).map_err(|reason| NodeError::Config { path: p.display().to_string(), reason })
}

/// Copies the SQLite WAL back into the database file from its own thread,
/// so the block producer's commits never pay for a checkpoint (the executor
/// turns SQLite's automatic checkpoints off). Stops when the pool closes.
fn spawn_checkpointer(path: PathBuf, pool: Arc<Mempool>) -> Result<(), NodeError> {
    let conn = rusqlite::Connection::open(&path)?;
    spawn_node_thread("wal-checkpoint", move || {
        while !pool.is_closed() {
            std::thread::sleep(Duration::from_millis(250));
            // PASSIVE never blocks the writer; a busy or partial pass is retried next time.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    })
    .map_err(thread_err("wal-checkpoint"))?;
    Ok(())
}

fn set_view_aside(d: &DataDir) -> Result<(), NodeError> {
    let stamp = now_ms();
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", d.sqlite().display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}.ahead-{stamp}{suffix}", d.sqlite().display()));
            std::fs::rename(&from, &to).map_err(io_err(&from))?;
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    #[error("the transaction is {size} bytes; the limit is {max} (limits.tx_bytes_max)")]
    TooLarge { size: usize, max: usize },
    #[error("the transaction is for chain {0}, not this one")]
    WrongChain(String),
    #[error("the transaction has expired")]
    Expired,
    #[error("the transaction's expiry is more than {0} ms ahead (limits.tx_lifetime_max_ms)")]
    ExpiryTooFar(u64),
    #[error("the transaction was already executed in block {0}")]
    AlreadyExecuted(u64),
    #[error("the transaction's signature is invalid")]
    BadSignature,
    #[error(
        "the transaction is signed under the {tx} crypto suite ({}), and this chain's suite is {chain} ({})",
        tx.describe(),
        chain.describe()
    )]
    WrongSuite { tx: Suite, chain: Suite },
    #[error(transparent)]
    Unplannable(#[from] node_chain::mempool::Unplannable),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("ledger: {0}")]
    Store(StoreError),
}

impl SubmitError {
    /// The SQLSTATE a client is told for this refusal.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            SubmitError::TooLarge { .. } => "54000",
            SubmitError::Pool(_) => "53000",
            SubmitError::Store(_) => "XX000",
            SubmitError::Unplannable(u) => u.sqlstate,
            _ => "08P01",
        }
    }
}

/// A tx in a block: where, and its receipt (which may record a failure).
#[derive(Debug, Clone)]
pub struct Committed {
    pub height: u64,
    pub index: u32,
    pub receipt: node_core::block::Receipt,
}

/// Why [`Node::submit_and_wait`] has no receipt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    #[error(transparent)]
    Submit(#[from] SubmitError),
    #[error("the transaction was not included: {0}")]
    NotIncluded(String),
    #[error("the transaction expired before a block included it; it will never apply")]
    Expired,
    #[error("the node stopped")]
    Stopped,
}

/// Everything the RPC layer needs from a running node.
pub struct Node {
    genesis: Genesis,
    config: Config,
    ledger: Arc<dyn LedgerStore>,
    reader: Arc<Reader>,
    keystore: Keystore,
    pool: Arc<Mempool>,
    waiters: Waiters,
    status: Arc<RwLock<Status>>,
    producer: Mutex<Option<std::thread::JoinHandle<Result<(), ChainError>>>>,
    timings: Arc<Timings>,
    /// A second executor on the SQL view that runs transaction blocks and
    /// always rolls them back (see [`Node::speculate`]).
    speculator: Mutex<Executor>,
    /// The admins (genesis roles): their public keys and addresses.
    admin_keys: HashSet<PublicKey>,
    admins: BTreeSet<String>,
    /// The user tables as of a height, shared by every reader of them.
    tables: Mutex<Option<(u64, Arc<node_core::catalog::Catalog>)>>,
    /// The user-defined types as of a height, as `tables`.
    types: Mutex<Option<(u64, Arc<node_core::usertype::UserTypes>)>>,
    /// Set when this node is part of a BFT network.
    network: Option<Network>,
}

struct Network {
    hub: Arc<node_bft::actor::Hub>,
    stop: Mutex<Option<futures::channel::oneshot::Sender<()>>>,
    validator: bool,
}

/// One peer as `status` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeerStatus {
    pub public_key: String,
    pub role: &'static str,
    pub height: u64,
    /// Milliseconds since the peer last reported itself.
    pub last_seen_ms: u64,
}

/// What the node shares with its block producer or consensus thread.
struct Shared {
    pool: Arc<Mempool>,
    waiters: Waiters,
    status: Arc<RwLock<Status>>,
}

type ProducerHandle = std::thread::JoinHandle<Result<(), ChainError>>;

fn read_validator_key(path: &Path) -> Result<[u8; 32], NodeError> {
    let key_hex = std::fs::read_to_string(path).map_err(io_err(path))?;
    hex::decode(key_hex.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| NodeError::ValidatorKey { path: path.display().to_string() })
}

/// Opens the chain on the data directory's view. A view ahead of the ledger
/// holds blocks that were never acknowledged (acks wait for the ledger's
/// fsync): it is set aside and rebuilt from the ledger.
fn open_chain(
    d: &DataDir,
    genesis: &Genesis,
    ledger: &Arc<dyn LedgerStore>,
    limits: ExecLimits,
    validator: &SecretKey,
) -> Result<Chain, NodeError> {
    let open = || -> Result<Chain, NodeError> {
        let exec = Executor::open(&d.sqlite(), genesis.suite(), limits)?;
        Ok(Chain::open(genesis.clone(), ledger.clone(), exec, Some(validator))?)
    };
    match open() {
        Err(NodeError::Chain(ChainError::ViewAhead { view, ledger: head })) => {
            tracing::warn!(
                view,
                ledger = head,
                "the SQL view is ahead of the ledger: rebuilding the view from the ledger"
            );
            set_view_aside(d)?;
            open()
        }
        other => other,
    }
}

/// A network: the BFT engine drives the chain (see `node-bft`); its commits
/// choose their own durability (`Chain::commit_through`).
fn start_network(
    chain: Chain,
    shared: &Shared,
    seed: [u8; 32],
    config: &Config,
    dir: &Path,
    validator: bool,
) -> Result<(ProducerHandle, Network), NodeError> {
    let (gossip, gossip_rx) = futures::channel::mpsc::unbounded();
    let hub = Arc::new(node_bft::actor::Hub {
        pool: shared.pool.clone(),
        waiters: shared.waiters.clone(),
        status: shared.status.clone(),
        peers: Mutex::new(Default::default()),
        gossip,
        failed: Mutex::new(None),
    });
    let (stop, stop_rx) = futures::channel::oneshot::channel();
    let start = node_bft::net::Start {
        chain,
        hub: hub.clone(),
        seed,
        network: config.network.clone(),
        max_txs_per_block: config.chain.max_txs_per_block,
        gossip: gossip_rx,
        storage: dir.join("consensus"),
        stop: stop_rx,
    };
    let handle = spawn_node_thread("bft", move || node_bft::net::run(start).map_err(ChainError::Network))
        .map_err(thread_err("bft"))?;
    Ok((handle, Network { hub, stop: Mutex::new(Some(stop)), validator }))
}

/// A single validator: the block producer cuts, executes and commits blocks.
fn start_producer(chain: Chain, shared: &Shared, key: SecretKey, config: &Config) -> Result<ProducerHandle, NodeError> {
    let p = Producer {
        chain,
        pool: shared.pool.clone(),
        waiters: shared.waiters.clone(),
        status: shared.status.clone(),
        key,
    };
    let (max, wait) = (config.chain.max_txs_per_block, Duration::from_millis(config.chain.max_block_time_ms));
    spawn_node_thread("block-producer", move || p.run(max, wait)).map_err(thread_err("block-producer"))
}

/// The genesis roles (PostgreSQL's superusers): their keys and addresses.
fn genesis_admins(genesis: &Genesis) -> (HashSet<PublicKey>, BTreeSet<String>) {
    let keys: HashSet<PublicKey> = genesis.accounts.iter().filter_map(|a| PublicKey::from_hex(&a.public_key)).collect();
    let addresses = keys.iter().map(PublicKey::address).collect();
    (keys, addresses)
}

impl Node {
    /// Opens the data directory (replaying blocks the SQL view lacks) and
    /// starts the block producer, or the BFT network thread when
    /// `network.peers` is set.
    pub fn start(dir: &Path, config: Config) -> Result<Arc<Self>, NodeError> {
        let d = DataDir(dir.to_owned());
        let genesis = Genesis::load(&d.genesis())?;
        let seed = read_validator_key(&d.validator_key())?;
        let validator = genesis
            .suite()
            .secret_key(&seed)
            .ok_or_else(|| NodeError::ValidatorKey { path: d.validator_key().display().to_string() })?;
        let networked = !config.network.peers.is_empty();
        let is_validator = genesis.validator_keys().contains(&validator.public());
        if !is_validator && !networked {
            return Err(NodeError::NotInTrustList);
        }
        if !networked && genesis.validators.len() > 1 {
            return Err(NodeError::NoPeers { validators: genesis.validators.len() });
        }
        if networked && genesis.suite() != Suite::Standard {
            return Err(NodeError::SuiteNetwork(genesis.suite()));
        }
        let ledger: Arc<dyn LedgerStore> = Ledger::open(&d.ledger())?;
        let limits = ExecLimits { result_rows_max: config.limits.result_rows_max };
        let mut chain = open_chain(&d, &genesis, &ledger, limits, &validator)?;
        chain.set_deferred_sync(true);
        let (head, hash) = chain.head();
        let status = Arc::new(RwLock::new(Status {
            height: head.height,
            block_hash: hash,
            state_root: head.state_root,
            timestamp_ms: head.timestamp_ms,
        }));
        let timings = chain.timings();
        let pool = Arc::new(Mempool::new(config.limits.pool_txs_max));
        let shared = Shared { pool: pool.clone(), waiters: Waiters::default(), status };
        let (producer, network) = if networked {
            let (handle, network) = start_network(chain, &shared, seed, &config, dir, is_validator)?;
            (handle, Some(network))
        } else {
            (start_producer(chain, &shared, validator, &config)?, None)
        };
        spawn_checkpointer(d.sqlite(), pool)?;
        let (admin_keys, admins) = genesis_admins(&genesis);
        Ok(Arc::new(Node {
            network,
            admin_keys,
            admins,
            tables: Mutex::new(None),
            types: Mutex::new(None),
            speculator: Mutex::new(Executor::open(&d.sqlite(), genesis.suite(), limits)?),
            reader: Reader::new(&d.sqlite(), config.limits.result_rows_max),
            keystore: Keystore::open(&d.keystore(), genesis.suite())?,
            genesis,
            config,
            ledger,
            pool: shared.pool,
            waiters: shared.waiters,
            status: shared.status,
            producer: Mutex::new(Some(producer)),
            timings,
        }))
    }

    /// Runs a transaction block's steps against the latest applied state,
    /// as `account`, and rolls them back: the results the client sees inside
    /// `BEGIN ... COMMIT`. Blocking; call it off the async runtime.
    pub fn speculate(
        &self,
        account: &node_core::crypto::PublicKey,
        dialect: node_core::tx::Dialect,
        steps: &[node_core::tx::Statement],
    ) -> Result<node_exec::executor::Speculation, node_exec::executor::ExecError> {
        self.speculator.lock().speculate(account, dialect, steps, now_ms())
    }

    /// [`Node::speculate`], with `look` run on the speculative state after
    /// the steps (see [`node_exec::executor::Executor::speculate_with`]).
    pub fn speculate_with<R>(
        &self,
        account: &node_core::crypto::PublicKey,
        dialect: node_core::tx::Dialect,
        steps: &[node_core::tx::Statement],
        look: impl FnOnce(&rusqlite::Connection) -> R,
    ) -> Result<(node_exec::executor::Speculation, Option<R>), node_exec::executor::ExecError> {
        self.speculator.lock().speculate_with(account, dialect, steps, now_ms(), look)
    }

    pub fn status(&self) -> Status {
        self.status.read().clone()
    }

    /// "validator" or "observer" in a network; "single validator" for `rowchain dev`.
    pub fn role(&self) -> &'static str {
        match &self.network {
            None => "single validator",
            Some(n) if n.validator => "validator",
            Some(_) => "observer",
        }
    }

    /// The peers that reported themselves in the last seconds.
    pub fn peers(&self) -> Vec<PeerStatus> {
        let Some(n) = &self.network else { return Vec::new() };
        let now = now_ms();
        n.hub
            .peers
            .lock()
            .iter()
            .map(|(k, v)| PeerStatus {
                public_key: k.clone(),
                role: if v.validator { "validator" } else { "observer" },
                height: v.height,
                last_seen_ms: now.saturating_sub(v.seen_ms),
            })
            .collect()
    }

    /// Whether `account` is an admin: a genesis role, PostgreSQL's superuser.
    pub fn is_admin(&self, account: &node_core::crypto::PublicKey) -> bool {
        self.admin_keys.contains(account)
    }

    /// The admins' account addresses.
    pub fn admin_addresses(&self) -> &BTreeSet<String> {
        &self.admins
    }

    /// The user tables (owner, columns, grants, policies) as of the latest
    /// block, loaded once per height and shared by the front ends.
    pub fn tables(&self) -> Result<Arc<node_core::catalog::Catalog>, node_core::SqlError> {
        let height = self.status().height;
        let mut cached = self.tables.lock();
        if let Some((h, t)) = cached.as_ref() {
            if *h == height {
                return Ok(t.clone());
            }
        }
        let loaded = self.reader.system(node_exec::tables::load_tables)?;
        let tables: Arc<node_core::catalog::Catalog> =
            Arc::new(loaded.into_iter().map(|t| (t.name.clone(), t)).collect());
        *cached = Some((height, tables.clone()));
        Ok(tables)
    }

    /// The user-defined types (enums, domains) as of the latest block,
    /// loaded once per height and shared by the front ends.
    pub fn user_types(&self) -> Result<Arc<node_core::usertype::UserTypes>, node_core::SqlError> {
        let height = self.status().height;
        let mut cached = self.types.lock();
        if let Some((h, t)) = cached.as_ref() {
            if *h == height {
                return Ok(t.clone());
            }
        }
        let loaded = self.reader.system(node_exec::tables::load_types)?;
        let types: Arc<node_core::usertype::UserTypes> =
            Arc::new(loaded.into_iter().map(|t| (t.name().to_string(), t)).collect());
        *cached = Some((height, types.clone()));
        Ok(types)
    }

    pub fn pool_len(&self) -> usize {
        self.pool.len()
    }

    /// Admits a signed tx to the pool. With `wait`, returns a receiver for
    /// its outcome.
    pub fn submit(
        &self,
        tx: SignedTx,
        size: usize,
        wait: bool,
    ) -> Result<Option<tokio::sync::oneshot::Receiver<Outcome>>, SubmitError> {
        let limits = &self.config.limits;
        if size > limits.tx_bytes_max {
            return Err(SubmitError::TooLarge { size, max: limits.tx_bytes_max });
        }
        if tx.body.chain_id != self.genesis.chain_id {
            return Err(SubmitError::WrongChain(tx.body.chain_id.clone()));
        }
        let suite = self.suite();
        if tx.body.account.suite() != suite {
            return Err(SubmitError::WrongSuite { tx: tx.body.account.suite(), chain: suite });
        }
        node_chain::mempool::check_plans(&tx.body)?;
        // Checked here, on the submitting thread, so the block producer
        // proposes only txs whose signatures are known good (see Chain::propose).
        if !node_core::crypto::verify(&tx.body.account, tx.hash().as_slice(), &tx.signature) {
            return Err(SubmitError::BadSignature);
        }
        let now = now_ms();
        if tx.body.expires_at_ms <= now {
            return Err(SubmitError::Expired);
        }
        if tx.body.expires_at_ms > now + limits.tx_lifetime_max_ms {
            return Err(SubmitError::ExpiryTooFar(limits.tx_lifetime_max_ms));
        }
        if let Some(loc) = self.ledger.tx_location(&tx.hash()).map_err(SubmitError::Store)? {
            return Err(SubmitError::AlreadyExecuted(loc.height));
        }
        let hash = tx.hash();
        let rx = if wait {
            let (sender, rx) = tokio::sync::oneshot::channel();
            self.waiters.lock().insert(hash, sender);
            Some(rx)
        } else {
            None
        };
        let gossip = self.network.as_ref().map(|_| tx.clone());
        if let Err(e) = self.pool.add(tx) {
            self.waiters.lock().remove(&hash);
            return Err(e.into());
        }
        if let (Some(n), Some(tx)) = (&self.network, gossip) {
            // Any validator may lead the next view: every one gets the tx.
            let _ = n.hub.gossip.unbounded_send(tx);
        }
        Ok(rx)
    }

    /// Submits `tx` and waits until a block holds it (its receipt may
    /// record a failure), or until it has expired: then it can never
    /// apply, a definite answer.
    pub async fn submit_and_wait(&self, tx: SignedTx) -> Result<Committed, WaitError> {
        let size = tx.to_bytes().len();
        let hash = tx.hash();
        let expires_at_ms = tx.body.expires_at_ms;
        let rx = self.submit(tx, size, true)?.ok_or(WaitError::Stopped)?;
        // Until its expiry, plus a block's worth.
        let wait = expires_at_ms.saturating_sub(now_ms()) + 1_000 + self.config.chain.max_block_time_ms;
        match tokio::time::timeout(Duration::from_millis(wait), rx).await {
            Ok(Ok(Outcome::Committed { height, index, receipt })) => Ok(Committed { height, index, receipt }),
            Ok(Ok(Outcome::Rejected(why))) => Err(WaitError::NotIncluded(why)),
            Ok(Err(_)) => Err(WaitError::Stopped),
            Err(_) => {
                self.forget(&hash);
                Err(WaitError::Expired)
            }
        }
    }

    /// Forgets a waiter that gave up (timed out).
    pub fn forget(&self, hash: &Hash) {
        self.waiters.lock().remove(hash);
    }

    /// Stops the producer after the block it is working on.
    pub fn shutdown(&self) -> Result<(), ChainError> {
        self.pool.close();
        if let Some(stop) = self.network.as_ref().and_then(|n| n.stop.lock().take()) {
            let _ = stop.send(());
        }
        match self.producer.lock().take() {
            Some(h) => h.join().unwrap_or_else(|_| Err(ChainError::ThreadPanicked("block-producer"))),
            None => Ok(()),
        }
    }

    /// True while the block producer runs; false after it stopped on an error.
    pub fn producer_alive(&self) -> bool {
        self.producer.lock().as_ref().is_some_and(|h| !h.is_finished())
    }
}

/// Read access for the front ends: the node's settings, its chain's
/// genesis, the roles' keystore, the read pool and the durable log (read
/// only; only the node's own producer or consensus thread appends to it).
impl Node {
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The chain's crypto suite, from genesis.
    pub fn suite(&self) -> Suite {
        self.genesis.suite()
    }

    pub fn keystore(&self) -> &Keystore {
        &self.keystore
    }

    /// Pooled read-only connections on the SQL view at the latest height.
    pub fn reader(&self) -> &Arc<Reader> {
        &self.reader
    }

    pub fn ledger(&self) -> &dyn LedgerRead {
        self.ledger.as_ref()
    }

    /// Where block production spends its time.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }
}
