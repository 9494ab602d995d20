//! The running node: the block producer thread, the pool, the waiters for
//! receipts, and the data directory they live in.
//!
//! Data directory layout: `genesis.json`, `validator.key`, `keystore.json`,
//! `rowchain.toml`, `ledger/` (RocksDB) and `state.sqlite` (the SQL view).

use crate::block::{Certificate, Receipt};
use crate::chain::{Application, Chain, ChainError};
use crate::config::Config;
use crate::crypto::{Hash, SecretKey};
use crate::executor::{ExecLimits, Executor};
use crate::genesis::Genesis;
use crate::keystore::Keystore;
use crate::ledger::Ledger;
use crate::mempool::{Mempool, PoolError};
use crate::reader::Reader;
use crate::tx::SignedTx;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
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

/// Creates a single-validator dev chain in `dir` unless one is there:
/// genesis, validator key, an `admin` role with password `admin`, config.
/// Returns true when it created one.
pub fn init_dev(dir: &Path) -> Result<bool, NodeError> {
    let d = DataDir(dir.to_owned());
    if d.genesis().exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let validator = SecretKey::generate();
    let admin = SecretKey::generate();
    let keystore = Keystore::open(&d.keystore()).map_err(|e| NodeError::Setup(e.to_string()))?;
    keystore.put("admin", "admin", &admin, crate::keystore::Keep::NONE).map_err(|e| NodeError::Setup(e.to_string()))?;
    write_private(&d.validator_key(), &hex::encode(validator.to_bytes()))?;
    let cfg = d.config();
    if !cfg.exists() {
        std::fs::write(&cfg, Config::default().to_toml()).map_err(io_err(&cfg))?;
    }
    let genesis = Genesis::new_dev(&validator, &admin.public(), now_ms());
    let g = d.genesis();
    let text = serde_json::to_string_pretty(&genesis).map_err(|e| NodeError::Setup(e.to_string()))?;
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
    Config::parse(&text).map_err(|e| NodeError::Setup(format!("{}: {e}", p.display())))
}

/// The exit status of a node whose own thread panicked (BSD's EX_SOFTWARE).
pub const EXIT_THREAD_PANICKED: i32 = 70;

/// Starts one of the node's own threads (block producer, ledger sync,
/// consensus network, WAL checkpointer). A panic in one of them is a bug
/// the node cannot reason past: the process logs it and exits with
/// [`EXIT_THREAD_PANICKED`] rather than live on with a dead producer. (A
/// panic inside one tx never gets here: the executor fails that tx alone.)
pub fn spawn_node_thread<T: Send + 'static>(
    name: &'static str,
    body: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<T>> {
    std::thread::Builder::new().name(name.into()).spawn(move || {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
            Ok(v) => v,
            Err(panic) => {
                let text = crate::fault::panic_text(panic.as_ref());
                tracing::error!(thread = name, panic = text, "a node thread panicked: the node stops");
                std::process::exit(EXIT_THREAD_PANICKED);
            }
        }
    })
}

/// Copies the SQLite WAL back into the database file from its own thread,
/// so the block producer's commits never pay for a checkpoint (the executor
/// turns SQLite's automatic checkpoints off). Stops when the pool closes.
fn spawn_checkpointer(path: PathBuf, pool: Arc<Mempool>) -> Result<(), NodeError> {
    let conn = rusqlite::Connection::open(&path).map_err(|e| NodeError::Setup(format!("checkpointer: {e}")))?;
    spawn_node_thread("wal-checkpoint", move || {
        while !pool.is_closed() {
            std::thread::sleep(Duration::from_millis(250));
            // PASSIVE never blocks the writer; a busy or partial pass is retried next time.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    })
    .map_err(|e| NodeError::Setup(e.to_string()))?;
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

/// What happened to a submitted tx.
#[derive(Debug, Clone)]
pub enum Outcome {
    Committed { height: u64, index: u32, receipt: Receipt },
    Rejected(String),
}

#[derive(Debug, Clone, Default)]
pub struct Status {
    pub height: u64,
    pub block_hash: Hash,
    pub state_root: Hash,
    pub timestamp_ms: u64,
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
    #[error(transparent)]
    Unplannable(#[from] crate::mempool::Unplannable),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("ledger: {0}")]
    Store(String),
}

/// Everything the RPC layer needs from a running node.
pub struct Node {
    pub genesis: Genesis,
    pub config: Config,
    pub ledger: Arc<Ledger>,
    pub reader: Arc<Reader>,
    pub keystore: Keystore,
    pool: Arc<Mempool>,
    waiters: Arc<Mutex<HashMap<Hash, tokio::sync::oneshot::Sender<Outcome>>>>,
    status: Arc<RwLock<Status>>,
    producer: Mutex<Option<std::thread::JoinHandle<Result<(), ChainError>>>>,
    pub timings: Arc<crate::chain::Timings>,
    /// A second executor on the SQL view that runs transaction blocks and
    /// always rolls them back (see [`Node::speculate`]).
    speculator: Mutex<Executor>,
    /// The admins (genesis roles): their public keys and addresses.
    admin_keys: std::collections::HashSet<[u8; 32]>,
    admins: std::collections::BTreeSet<String>,
    /// The user tables as of a height, shared by every reader of them.
    tables: Mutex<Option<(u64, Arc<crate::catalog::Catalog>)>>,
    /// Set when this node is part of a BFT network.
    network: Option<Network>,
}

struct Network {
    hub: Arc<crate::bft::actor::Hub>,
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

impl Node {
    /// Opens the data directory (replaying blocks the SQL view lacks) and
    /// starts the block producer.
    pub fn start(dir: &Path, config: Config) -> Result<Arc<Self>, NodeError> {
        let d = DataDir(dir.to_owned());
        let genesis = Genesis::load(&d.genesis()).map_err(|e| NodeError::Setup(e.to_string()))?;
        let key_path = d.validator_key();
        let key_hex = std::fs::read_to_string(&key_path).map_err(io_err(&key_path))?;
        let seed: [u8; 32] = hex::decode(key_hex.trim())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| NodeError::Setup(format!("{} is not a 32-byte hex key", key_path.display())))?;
        let validator = SecretKey::from_bytes(&seed);
        let networked = !config.network.peers.is_empty();
        let is_validator = genesis.validator_keys().contains(&validator.public());
        if !is_validator && !networked {
            return Err(NodeError::Setup("this node's validator key is not in the genesis trust list".into()));
        }
        if !networked && genesis.validators.len() > 1 {
            return Err(NodeError::Setup(format!(
                "the chain has {} validators but rowchain.toml lists no network.peers",
                genesis.validators.len()
            )));
        }
        let ledger = Ledger::open(&d.ledger()).map_err(|e| NodeError::Setup(e.to_string()))?;
        let limits = ExecLimits { result_rows_max: config.limits.result_rows_max };
        let open_view = || Executor::open(&d.sqlite(), limits).map_err(|e| NodeError::Setup(e.to_string()));
        let mut chain = match Chain::open(genesis.clone(), ledger.clone(), open_view()?, Some(&validator)) {
            Err(ChainError::ViewAhead { view, ledger: head }) => {
                // Blocks past the ledger's head were never acknowledged (acks
                // wait for the ledger's fsync): set the view aside and rebuild it.
                tracing::warn!(
                    view,
                    ledger = head,
                    "the SQL view is ahead of the ledger: rebuilding the view from the ledger"
                );
                set_view_aside(&d)?;
                Chain::open(genesis.clone(), ledger.clone(), open_view()?, Some(&validator))?
            }
            other => other?,
        };
        chain.set_deferred_sync(true);
        let (head, hash) = chain.head();
        let status = Arc::new(RwLock::new(Status {
            height: head.height,
            block_hash: hash,
            state_root: head.state_root,
            timestamp_ms: head.timestamp_ms,
        }));
        let timings = chain.timings();
        let keystore = Keystore::open(&d.keystore()).map_err(|e| NodeError::Setup(e.to_string()))?;
        let pool = Arc::new(Mempool::new(config.limits.pool_txs_max));
        let waiters = Arc::new(Mutex::new(HashMap::new()));
        let mut network = None;
        let producer = if networked {
            // A network: the BFT engine drives the chain (see `bft`); its
            // commits choose their own durability (`Chain::commit_through`).
            let (gossip, gossip_rx) = futures::channel::mpsc::unbounded();
            let hub = Arc::new(crate::bft::actor::Hub {
                pool: pool.clone(),
                waiters: waiters.clone(),
                status: status.clone(),
                peers: Mutex::new(Default::default()),
                gossip,
                failed: Mutex::new(None),
            });
            let (stop, stop_rx) = futures::channel::oneshot::channel();
            let start = crate::bft::net::Start {
                chain,
                hub: hub.clone(),
                seed,
                config: config.clone(),
                gossip: gossip_rx,
                storage: dir.join("consensus"),
                stop: stop_rx,
            };
            network = Some(Network { hub, stop: Mutex::new(Some(stop)), validator: is_validator });
            spawn_node_thread("bft", move || crate::bft::net::run(start).map_err(ChainError::Diverged))
                .map_err(|e| NodeError::Setup(e.to_string()))?
        } else {
            let p = Producer {
                chain,
                pool: pool.clone(),
                waiters: waiters.clone(),
                status: status.clone(),
                key: validator,
            };
            let (max, wait) = (config.chain.max_txs_per_block, Duration::from_millis(config.chain.max_block_time_ms));
            spawn_node_thread("block-producer", move || p.run(max, wait))
                .map_err(|e| NodeError::Setup(e.to_string()))?
        };
        spawn_checkpointer(d.sqlite(), pool.clone())?;
        let speculator = Mutex::new(open_view()?);
        let admin_keys: std::collections::HashSet<[u8; 32]> = genesis
            .accounts
            .iter()
            .filter_map(|a| crate::crypto::PublicKey::from_hex(&a.public_key))
            .map(|k| k.0)
            .collect();
        let admins = admin_keys.iter().map(|k| crate::crypto::PublicKey(*k).address()).collect();
        Ok(Arc::new(Node {
            network,
            admin_keys,
            admins,
            tables: Mutex::new(None),
            speculator,
            reader: Reader::new(&d.sqlite(), config.limits.result_rows_max),
            genesis,
            config,
            ledger,
            keystore,
            pool,
            waiters,
            status,
            producer: Mutex::new(Some(producer)),
            timings,
        }))
    }

    /// Runs a transaction block's steps against the latest applied state,
    /// as `account`, and rolls them back: the results the client sees inside
    /// `BEGIN ... COMMIT`. Blocking; call it off the async runtime.
    pub fn speculate(
        &self,
        account: &crate::crypto::PublicKey,
        steps: &[crate::tx::Statement],
    ) -> Result<crate::executor::Speculation, crate::executor::ExecError> {
        self.speculator.lock().speculate(account, steps, now_ms())
    }

    /// [`Node::speculate`], with `look` run on the speculative state after
    /// the steps (see [`crate::executor::Executor::speculate_with`]).
    pub fn speculate_with<R>(
        &self,
        account: &crate::crypto::PublicKey,
        steps: &[crate::tx::Statement],
        look: impl FnOnce(&rusqlite::Connection) -> R,
    ) -> Result<(crate::executor::Speculation, Option<R>), crate::executor::ExecError> {
        self.speculator.lock().speculate_with(account, steps, now_ms(), look)
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
    pub fn is_admin(&self, account: &crate::crypto::PublicKey) -> bool {
        self.admin_keys.contains(&account.0)
    }

    /// The admins' account addresses.
    pub fn admin_addresses(&self) -> &std::collections::BTreeSet<String> {
        &self.admins
    }

    /// The user tables (owner, columns, grants, policies) as of the latest
    /// block, loaded once per height and shared by the front ends.
    pub fn tables(&self) -> Result<Arc<crate::catalog::Catalog>, crate::executor::SqlError> {
        let height = self.status().height;
        let mut cached = self.tables.lock();
        if let Some((h, t)) = cached.as_ref() {
            if *h == height {
                return Ok(t.clone());
            }
        }
        let loaded = self.reader.system(crate::catalog::load_tables)?;
        let tables: Arc<crate::catalog::Catalog> = Arc::new(loaded.into_iter().map(|t| (t.name.clone(), t)).collect());
        *cached = Some((height, tables.clone()));
        Ok(tables)
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
        crate::mempool::check_plans(&tx.body)?;
        // Checked here, on the submitting thread, so the block producer
        // proposes only txs whose signatures are known good (see Chain::propose).
        if !crate::crypto::verify(&tx.body.account, tx.hash().as_slice(), &tx.signature) {
            return Err(SubmitError::BadSignature);
        }
        let now = now_ms();
        if tx.body.expires_at_ms <= now {
            return Err(SubmitError::Expired);
        }
        if tx.body.expires_at_ms > now + limits.tx_lifetime_max_ms {
            return Err(SubmitError::ExpiryTooFar(limits.tx_lifetime_max_ms));
        }
        if let Some(loc) = self.ledger.tx_location(&tx.hash()).map_err(|e| SubmitError::Store(e.to_string()))? {
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
            Some(h) => h.join().unwrap_or_else(|_| Err(ChainError::Diverged("the block producer panicked".into()))),
            None => Ok(()),
        }
    }

    /// True while the block producer runs; false after it stopped on an error.
    pub fn producer_alive(&self) -> bool {
        self.producer.lock().as_ref().is_some_and(|h| !h.is_finished())
    }
}

/// The single-validator engine: cut a block from the pool, propose it,
/// certify it with the one validator's signature, commit. The BFT engine
/// drives the same [`Application`] calls with votes in between.
struct Producer {
    chain: Chain,
    pool: Arc<Mempool>,
    waiters: Arc<Mutex<HashMap<Hash, tokio::sync::oneshot::Sender<Outcome>>>>,
    status: Arc<RwLock<Status>>,
    key: SecretKey,
}

/// A committed block whose acknowledgements wait for the ledger's fsync.
struct Committed {
    status: Status,
    acks: Vec<(tokio::sync::oneshot::Sender<Outcome>, Outcome)>,
}

/// Group commit: one ledger fsync for every block committed since the last
/// one, then the acknowledgements, in block order. The producer meanwhile
/// executes the next block.
fn run_syncer(
    ledger: Arc<Ledger>,
    rx: std::sync::mpsc::Receiver<Committed>,
    status: Arc<RwLock<Status>>,
    pool: Arc<Mempool>,
) -> Result<(), ChainError> {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        if let Err(e) = ledger.sync() {
            tracing::error!(error = %e, "ledger fsync failed: block production stops");
            pool.close();
            for c in batch {
                for (s, _) in c.acks {
                    let _ = s.send(Outcome::Rejected(format!("the ledger could not be made durable: {e}")));
                }
            }
            return Err(e.into());
        }
        for c in batch {
            *status.write() = c.status;
            for (s, outcome) in c.acks {
                let _ = s.send(outcome);
            }
        }
    }
    Ok(())
}

impl Producer {
    fn run(mut self, max_txs: usize, max_wait: Duration) -> Result<(), ChainError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let syncer = {
            let (ledger, status, pool) = (self.chain.ledger().clone(), self.status.clone(), self.pool.clone());
            spawn_node_thread("ledger-sync", move || run_syncer(ledger, rx, status, pool))
                .map_err(|e| ChainError::Diverged(format!("cannot start the ledger sync thread: {e}")))?
        };
        let result = loop {
            let txs = self.pool.take_block(max_txs, max_wait);
            if txs.is_empty() {
                break Ok(());
            }
            if let Err(e) = self.one_block(txs, &tx) {
                tracing::error!(error = %e, "block production stopped");
                break Err(e);
            }
        };
        drop(tx);
        let synced =
            syncer.join().unwrap_or_else(|_| Err(ChainError::Diverged("the ledger sync thread panicked".into())));
        if let Err(e) = result.and(synced) {
            self.fail_all_waiters(&e);
            return Err(e);
        }
        Ok(())
    }

    fn one_block(&mut self, txs: Vec<SignedTx>, synced: &std::sync::mpsc::Sender<Committed>) -> Result<(), ChainError> {
        let proposal = self.chain.propose(txs, now_ms(), self.key.public())?;
        {
            let mut w = self.waiters.lock();
            for (h, why) in &proposal.rejected {
                if let Some(s) = w.remove(h) {
                    let _ = s.send(Outcome::Rejected(why.message().into()));
                }
            }
        }
        let mut block = proposal.block;
        if block.txs.is_empty() {
            return self.chain.abort();
        }
        block.certificate = Certificate::sign(&block.hash(), &self.key);
        let height = block.header.height;
        let hashes: Vec<Hash> = block.txs.iter().map(|t| t.hash()).collect();
        let header = block.header.clone();
        let block_hash = block.hash();
        let receipts = self.chain.commit(block)?;
        let status = Status { height, block_hash, state_root: header.state_root, timestamp_ms: header.timestamp_ms };
        let mut acks = Vec::with_capacity(hashes.len());
        {
            let mut w = self.waiters.lock();
            for (i, (h, receipt)) in hashes.into_iter().zip(receipts).enumerate() {
                if let Some(s) = w.remove(&h) {
                    acks.push((s, Outcome::Committed { height, index: i as u32, receipt }));
                }
            }
        }
        synced
            .send(Committed { status, acks })
            .map_err(|_| ChainError::Diverged("the ledger sync thread stopped".into()))
    }

    fn fail_all_waiters(&self, e: &ChainError) {
        for (_, s) in self.waiters.lock().drain() {
            let _ = s.send(Outcome::Rejected(format!("the node stopped producing blocks: {e}")));
        }
        self.pool.close();
    }
}

/// Read access for the front ends (`proxy/`), which use these rather than
/// the fields.
impl Node {
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    pub fn keystore(&self) -> &Keystore {
        &self.keystore
    }

    pub fn reader(&self) -> &Arc<Reader> {
        &self.reader
    }

    /// Blocks, receipts, the tx index and tree nodes (JSON-RPC's lookups and proofs).
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// Per-phase timings of block production (JSON-RPC's `status`).
    pub fn timings(&self) -> &crate::chain::Timings {
        &self.timings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set in the child process this test starts: there the thread panics.
    const CHILD: &str = "ROWCHAIN_TEST_NODE_THREAD_PANIC";

    #[test]
    fn a_panicking_node_thread_stops_the_process() {
        if std::env::var_os(CHILD).is_some() {
            let h = spawn_node_thread("doomed", || panic!("a bug in a node thread")).expect("thread starts");
            let _ = h.join();
            std::thread::sleep(Duration::from_secs(5));
            std::process::exit(0); // the process must have exited before this
        }
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new(exe)
            .args(["--exact", "service::tests::a_panicking_node_thread_stops_the_process", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .expect("the child runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(EXIT_THREAD_PANICKED), "stderr: {stderr}");
        assert!(stderr.contains("a bug in a node thread"), "stderr: {stderr}");
    }
}
