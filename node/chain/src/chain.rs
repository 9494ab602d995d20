//! The chain: the ledger, the state tree and the executor kept in step.
//!
//! [`Chain`] implements [`Application`], the interface a BFT engine drives:
//! propose a block from the pool, verify someone else's proposal by executing
//! it and comparing roots, and commit a finalized block. A block executed by
//! `propose` or `verify` stays *pending* (its SQLite transaction open) until
//! `commit` stores it durably and commits the view, or `abort` drops it.
//!
//! Crash safety: the ledger write (fsync) comes before the SQLite commit, so
//! the view is never ahead of the ledger; on open, blocks the view has not
//! applied are replayed.

use crate::ledger::{LedgerStore, Overlay, StoreError};
use node_core::block::{receipts_root, tx_root, Block, Certificate, Header, Receipt};
use node_core::crypto::{Hash, PublicKey, Suite, ZERO_HASH};
use node_core::genesis::Genesis;
use node_core::state_tree::{self, Node, TreeError};
use node_core::tx::SignedTx;
use node_exec::executor::{Changes, ExecError, Executor};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("block {height} is invalid: {reason}")]
    InvalidBlock { height: u64, reason: String },
    /// Replaying the ledger into the SQL view did not give what the ledger
    /// recorded.
    #[error("the ledger and the SQLite view disagree: {0}")]
    Diverged(String),
    #[error("the ledger has no block {0}")]
    MissingBlock(u64),
    #[error("genesis: {0}")]
    Genesis(String),
    /// A caller broke the chain's contract (a bug in rowchain).
    #[error("chain API misuse: {0}")]
    Misuse(String),
    #[error("the {0} thread panicked")]
    ThreadPanicked(&'static str),
    #[error("the {0} thread stopped")]
    ThreadStopped(&'static str),
    #[error("cannot start the {name} thread: {source}")]
    ThreadSpawn { name: &'static str, source: std::io::Error },
    /// The BFT network could not start or stopped on an error.
    #[error("network: {0}")]
    Network(String),
    #[error("the SQLite view has applied block {view} but the ledger ends at {ledger} (a power loss took blocks that were never acknowledged)")]
    ViewAhead { view: u64, ledger: u64 },
}

/// Why a tx offered for a block was left out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    WrongChain,
    /// Signed with a key of another crypto suite than the chain's.
    WrongSuite,
    UnknownAccount,
    Expired,
    AlreadyExecuted,
}

impl Rejection {
    pub fn message(&self) -> &'static str {
        match self {
            Rejection::WrongChain => "the transaction is for another chain",
            Rejection::WrongSuite => "the transaction is signed under another crypto suite than this chain's",
            Rejection::UnknownAccount => "the signing account does not exist on this chain",
            Rejection::Expired => "the transaction expired before it could be included in a block",
            Rejection::AlreadyExecuted => "the transaction was already executed",
        }
    }
}

/// A block the engine may propose, and the txs that could not go into it.
pub struct Proposal {
    pub block: Block,
    pub rejected: Vec<(Hash, Rejection)>,
}

/// The interface a consensus engine drives.
pub trait Application {
    /// Builds and executes a block on top of the head from `candidates`:
    /// txs this validator admitted, whose signatures admission verified
    /// (`Node::submit`), so they are not verified again here.
    fn propose(
        &mut self,
        candidates: Vec<SignedTx>,
        timestamp_ms: u64,
        proposer: PublicKey,
    ) -> Result<Proposal, ChainError>;
    /// Executes a proposed block and checks every root in its header.
    fn verify(&mut self, block: &Block) -> Result<(), ChainError>;
    /// Makes a finalized block durable and visible; returns its receipts.
    fn commit(&mut self, block: Block) -> Result<Vec<Receipt>, ChainError>;
    /// Drops a pending block that was not finalized.
    fn abort(&mut self) -> Result<(), ChainError>;
}

/// Where block production spends its time, summed since start (µs).
#[derive(Debug, Default)]
pub struct Timings {
    pub signatures_us: AtomicU64,
    pub execute_us: AtomicU64,
    pub tree_us: AtomicU64,
    pub ledger_us: AtomicU64,
    pub view_commit_us: AtomicU64,
    pub blocks: AtomicU64,
    pub txs: AtomicU64,
}

impl Timings {
    fn add(counter: &AtomicU64, since: Instant) {
        counter.fetch_add(since.elapsed().as_micros() as u64, Ordering::Relaxed);
    }

    /// Per committed tx, in µs.
    pub fn per_tx(&self) -> serde_json::Value {
        let txs = self.txs.load(Ordering::Relaxed).max(1) as f64;
        let f = |c: &AtomicU64| (c.load(Ordering::Relaxed) as f64 / txs * 100.0).round() / 100.0;
        serde_json::json!({
            "signature_verify": f(&self.signatures_us),
            "execute": f(&self.execute_us),
            "state_tree": f(&self.tree_us),
            "ledger_write_fsync": f(&self.ledger_us),
            "sqlite_commit": f(&self.view_commit_us),
            "blocks": self.blocks.load(Ordering::Relaxed),
            "txs": self.txs.load(Ordering::Relaxed),
        })
    }
}

/// A block executed on top of the head (or of another pending block) whose
/// SQLite work is open and whose tree nodes are held in memory until it is
/// final.
struct Pending {
    block_hash: Hash,
    /// The block, its certificate still empty.
    block: Block,
    receipts: Vec<Receipt>,
    nodes: Vec<(Hash, Node)>,
}

/// Whether a tx's signature was already checked (see `Chain::set_checked`).
pub type TxChecked = Box<dyn Fn(&SignedTx) -> bool + Send>;

/// A block's receipts and the tree nodes its execution created.
type Executed = (Vec<Receipt>, Vec<(Hash, Node)>);

pub struct Chain {
    /// Genesis's crypto suite: every hash, key and signature of the chain's.
    suite: Suite,
    genesis: Genesis,
    ledger: Arc<dyn LedgerStore>,
    exec: Executor,
    head: Header,
    head_hash: Hash,
    /// Executed, not yet final: each stacked on the one before, the first on
    /// the head.
    pending: Vec<Pending>,
    timings: Arc<Timings>,
    /// Whether a tx's signature was already checked (it sits in this node's
    /// pool, which admits only txs whose signatures verify).
    checked: Option<TxChecked>,
    /// When set, `commit` does not fsync the ledger; the caller syncs it
    /// (once for several blocks) before acknowledging anything.
    deferred_sync: bool,
    /// Reads the signers of a consensus engine's finalization certificate
    /// (the BFT network sets it: see `Chain::set_finalization_signers`).
    finalization_signers: Option<FinalizationSigners>,
}

/// The addresses of the validators who signed a finalization certificate.
pub type FinalizationSigners = Box<dyn Fn(&Certificate) -> Vec<String> + Send>;

impl Chain {
    /// Opens the chain, creating the genesis block when the ledger is empty and
    /// replaying blocks the SQLite view has not applied.
    pub fn open(
        genesis: Genesis,
        ledger: Arc<dyn LedgerStore>,
        exec: Executor,
        validator: Option<&node_core::crypto::SecretKey>,
    ) -> Result<Self, ChainError> {
        let mut exec = exec;
        let suite = genesis.suite();
        if exec.suite() != suite {
            return Err(ChainError::Misuse(format!(
                "the executor hashes with the {} suite and genesis names {suite}",
                exec.suite()
            )));
        }
        exec.set_superusers(
            genesis.accounts.iter().filter_map(|a| node_core::crypto::PublicKey::from_hex(&a.public_key)),
        );
        let head_height = match ledger.head()? {
            Some(h) => h,
            None => {
                let key = validator.ok_or_else(|| {
                    ChainError::Misuse("an empty ledger needs the validator key to create genesis".into())
                })?;
                let (block, nodes) = genesis_block(&genesis, ledger.as_ref(), &mut exec, key)?;
                ledger.append(&block, &[], &nodes, true)?;
                exec.commit_block()?;
                0
            }
        };
        let head = ledger.block(head_height)?.ok_or(ChainError::MissingBlock(head_height))?;
        let mut chain = Chain {
            suite,
            genesis,
            ledger,
            exec,
            head_hash: head.hash(),
            head: head.header,
            pending: Vec::new(),
            timings: Arc::default(),
            deferred_sync: false,
            checked: None,
            finalization_signers: None,
        };
        chain.replay()?;
        Ok(chain)
    }

    fn replay(&mut self) -> Result<(), ChainError> {
        let applied = match self.exec.applied()? {
            Some(a) => a.height,
            None => {
                // A fresh view beside an existing ledger: rebuild it from genesis.
                let g0 = self.ledger.block(0)?.ok_or(ChainError::MissingBlock(0))?;
                let key_free = genesis_changes(&self.genesis, &mut self.exec, g0.header.timestamp_ms)?;
                let root = state_tree::apply(self.suite, self.source(), &state_tree::EMPTY_ROOT, &key_free)?.root;
                if root != g0.header.state_root {
                    return Err(ChainError::Diverged("genesis state root differs from block 0".into()));
                }
                self.exec.finish_block(&g0.header, &g0.hash(), 0)?;
                self.exec.commit_block()?;
                0
            }
        };
        if applied > self.head.height {
            return Err(ChainError::ViewAhead { view: applied, ledger: self.head.height });
        }
        let applied_hash = self.ledger.block(applied)?.map(|b| b.hash());
        if applied_hash != self.exec.applied()?.map(|a| a.block_hash) {
            return Err(ChainError::Diverged(format!("the SQLite view's block {applied} is not the ledger's")));
        }
        for h in applied + 1..=self.head.height {
            let block = self.ledger.block(h)?.ok_or(ChainError::MissingBlock(h))?;
            let parent = self.ledger.block(h - 1)?.ok_or(ChainError::MissingBlock(h - 1))?;
            let (receipts, nodes) = self.execute(&parent.header, &block)?;
            drop(nodes); // already in the ledger
            let stored = self.ledger.receipts(h)?.unwrap_or_default();
            if stored != receipts {
                return Err(ChainError::Diverged(format!("replaying block {h} gave different receipts")));
            }
            self.exec.commit_block()?;
        }
        Ok(())
    }

    pub fn head(&self) -> (&Header, Hash) {
        (&self.head, self.head_hash)
    }

    /// The ledger as the state tree reads its nodes.
    fn source(&self) -> &dyn state_tree::NodeSource {
        self.ledger.as_ref()
    }

    /// Lets commits record who signed a finalization certificate; without
    /// it only a lone validator's signatures are read.
    pub fn set_finalization_signers(&mut self, signers: FinalizationSigners) {
        self.finalization_signers = Some(signers);
    }

    /// The addresses of the validators whose signatures make `certificate`:
    /// the lone validator's, or a finalization's signers.
    fn signers_of(&self, certificate: &Certificate) -> Vec<String> {
        if !certificate.signatures.is_empty() {
            return certificate.signatures.iter().map(|(k, _)| k.address()).collect();
        }
        match &self.finalization_signers {
            Some(read) if !certificate.finalization.is_empty() => read(certificate),
            _ => Vec::new(),
        }
    }

    /// Lets block verification skip the signatures of txs `checked` vouches for.
    pub fn set_checked(&mut self, checked: TxChecked) {
        self.checked = Some(checked);
    }

    /// The block new work builds on: the last pending block, or the head.
    pub fn tip(&self) -> (&Header, Hash) {
        match self.pending.last() {
            Some(p) => (&p.block.header, p.block_hash),
            None => (&self.head, self.head_hash),
        }
    }

    /// The pending blocks' hashes, first (on the head) to last.
    pub fn pending(&self) -> impl Iterator<Item = Hash> + '_ {
        self.pending.iter().map(|p| p.block_hash)
    }

    /// Drops the last pending block.
    pub fn pop(&mut self) -> Result<(), ChainError> {
        if self.pending.pop().is_some() {
            self.exec.pop_block()?;
        }
        Ok(())
    }

    /// Executes `block` on the tip (it must extend it) and leaves it pending.
    pub fn execute_on_tip(&mut self, block: &Block) -> Result<(), ChainError> {
        let (parent, _) = self.tip();
        let parent = parent.clone();
        let t = Instant::now();
        let (receipts, nodes) = self.execute(&parent, block)?;
        Timings::add(&self.timings.execute_us, t);
        self.pending.push(Pending {
            block_hash: block.hash(),
            block: Block { certificate: Default::default(), ..block.clone() },
            receipts,
            nodes,
        });
        Ok(())
    }

    /// Makes the first pending block durable and visible: its ledger entry
    /// (with `certificate`), then the SQLite commit. Blocks stacked on it
    /// are dropped first (SQLite commits the whole open transaction), to be
    /// executed again when they are needed.
    pub fn commit_first(
        &mut self,
        certificate: Certificate,
        durable: bool,
    ) -> Result<(Block, Vec<Receipt>), ChainError> {
        let mut done = self.commit_through(vec![certificate], durable)?;
        done.pop().ok_or_else(|| ChainError::Misuse("a commit of one block committed none".into()))
    }

    /// Makes the first `certificates.len()` pending blocks durable and
    /// visible in one SQLite commit, each with its certificate; drops the
    /// pending blocks above them.
    pub fn commit_through(
        &mut self,
        certificates: Vec<Certificate>,
        durable: bool,
    ) -> Result<Vec<(Block, Vec<Receipt>)>, ChainError> {
        let k = certificates.len();
        if k == 0 || k > self.pending.len() {
            return Err(ChainError::Misuse(format!("commit of {k} blocks with {} pending", self.pending.len())));
        }
        while self.pending.len() > k {
            self.pop()?;
        }
        let pending = std::mem::take(&mut self.pending);
        let mut done = Vec::with_capacity(k);
        let t = Instant::now();
        for (i, (p, certificate)) in pending.into_iter().zip(certificates).enumerate() {
            let mut block = p.block;
            block.certificate = certificate;
            let signers = self.signers_of(&block.certificate).join(",");
            let stored = self
                .exec
                .set_signers(block.header.height, &signers)
                .map_err(ChainError::from)
                .and_then(|()| Ok(self.ledger.append(&block, &p.receipts, &p.nodes, durable && i + 1 == k)?));
            if let Err(e) = stored {
                // The ledger may hold some of these blocks: start-up replays
                // them into the view.
                self.exec.abort_block()?;
                return Err(e);
            }
            done.push((block, p.receipts, p.block_hash));
        }
        Timings::add(&self.timings.ledger_us, t);
        let t = Instant::now();
        self.exec.commit_all()?;
        Timings::add(&self.timings.view_commit_us, t);
        let Some((last, _, last_hash)) = done.last() else {
            return Err(ChainError::Misuse("a commit of at least one block committed none".into()));
        };
        self.head = last.header.clone();
        self.head_hash = *last_hash;
        self.timings.blocks.fetch_add(k as u64, Ordering::Relaxed);
        self.timings.txs.fetch_add(done.iter().map(|(b, _, _)| b.txs.len() as u64).sum(), Ordering::Relaxed);
        Ok(done.into_iter().map(|(b, r, _)| (b, r)).collect())
    }

    pub fn suite(&self) -> Suite {
        self.suite
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    pub fn ledger(&self) -> &Arc<dyn LedgerStore> {
        &self.ledger
    }

    pub fn executor(&self) -> &Executor {
        &self.exec
    }

    /// Group commit: `commit` leaves the fsync to the caller's [`LedgerStore::sync`].
    pub fn set_deferred_sync(&mut self, deferred: bool) {
        self.deferred_sync = deferred;
    }

    pub fn timings(&self) -> Arc<Timings> {
        self.timings.clone()
    }

    fn check_tx(
        &self,
        tx: &SignedTx,
        timestamp_ms: u64,
        in_block: &HashSet<Hash>,
    ) -> Result<Option<Rejection>, ChainError> {
        Ok(if tx.body.chain_id != self.genesis.chain_id {
            Some(Rejection::WrongChain)
        } else if tx.body.account.suite() != self.suite {
            Some(Rejection::WrongSuite)
        } else if self.exec.account_name(&tx.body.account).is_none() {
            Some(Rejection::UnknownAccount)
        } else if tx.body.expires_at_ms <= timestamp_ms {
            Some(Rejection::Expired)
        } else if in_block.contains(&tx.hash()) || self.exec.seen(&tx.hash())? {
            Some(Rejection::AlreadyExecuted)
        } else {
            None
        })
    }

    /// Executes `block` on top of `parent` in a new SQLite transaction, which
    /// is left open. Checks the tx root, every tx's admission and the state
    /// and receipts roots against the header.
    fn execute(&mut self, parent: &Header, block: &Block) -> Result<Executed, ChainError> {
        let h = &block.header;
        let invalid = |reason: String| ChainError::InvalidBlock { height: h.height, reason };
        if h.height != parent.height + 1 || h.prev_hash != parent.hash() || h.chain_id != self.genesis.chain_id {
            return Err(invalid("does not extend the head".into()));
        }
        if h.timestamp_ms <= parent.timestamp_ms {
            return Err(invalid("timestamp is not after its parent's".into()));
        }
        if h.suite() != self.suite {
            return Err(invalid(format!("its header is of the {} suite, the chain's is {}", h.suite(), self.suite)));
        }
        if tx_root(self.suite, &block.txs) != h.tx_root {
            return Err(invalid("tx root does not match its txs".into()));
        }
        // Txs this node admitted itself had their signatures checked then.
        let unchecked: Vec<(usize, &SignedTx)> =
            block.txs.iter().enumerate().filter(|(_, t)| !self.checked.as_ref().is_some_and(|c| c(t))).collect();
        let hashes: Vec<Hash> = unchecked.iter().map(|(_, t)| t.hash()).collect();
        let items: Vec<(PublicKey, &[u8], [u8; 64])> =
            unchecked.iter().zip(&hashes).map(|((_, t), h)| (t.body.account, h.as_slice(), t.signature)).collect();
        if let Some(j) = node_core::crypto::verify_batch(&items).iter().position(|ok| !ok) {
            let index = unchecked.get(j).map_or(j, |(i, _)| *i);
            return Err(invalid(format!("tx {index} has an invalid signature")));
        }
        self.exec.begin_block(h.timestamp_ms)?;
        let result = self.execute_txs(parent, block);
        if result.is_err() {
            self.exec.pop_block()?;
        }
        result
    }

    /// The tree nodes of the pending blocks: a block stacked on pending
    /// blocks reads its parent's state through them.
    fn pending_nodes(&self) -> HashMap<Hash, Node> {
        self.pending.iter().flat_map(|p| p.nodes.iter().cloned()).collect()
    }

    /// Applies `changes` to the state tree at `root` (the tip's state).
    fn apply_tree(&self, root: &Hash, changes: &Changes) -> Result<state_tree::Update, TreeError> {
        if self.pending.is_empty() {
            state_tree::apply(self.suite, self.source(), root, changes)
        } else {
            let overlay = self.pending_nodes();
            state_tree::apply(self.suite, &Overlay { base: self.source(), overlay: &overlay }, root, changes)
        }
    }

    fn execute_txs(&mut self, parent: &Header, block: &Block) -> Result<Executed, ChainError> {
        let h = &block.header;
        let mut changes = Changes::new();
        let mut receipts = Vec::with_capacity(block.txs.len());
        let mut in_block = HashSet::with_capacity(block.txs.len());
        for (i, tx) in block.txs.iter().enumerate() {
            if let Some(r) = self.check_tx(tx, h.timestamp_ms, &in_block)? {
                return Err(ChainError::InvalidBlock { height: h.height, reason: format!("tx {i}: {}", r.message()) });
            }
            in_block.insert(tx.hash());
            receipts.push(self.exec.execute_tx(tx, h.height, i as u32, &mut changes)?);
        }
        let update = self.apply_tree(&parent.state_root, &changes)?;
        if update.root != h.state_root {
            return Err(ChainError::InvalidBlock {
                height: h.height,
                reason: "state root does not match execution".into(),
            });
        }
        if receipts_root(self.suite, &receipts) != h.receipts_root {
            return Err(ChainError::InvalidBlock {
                height: h.height,
                reason: "receipts root does not match execution".into(),
            });
        }
        self.exec.finish_block(h, &block.hash(), block.txs.len())?;
        Ok((receipts, update.created))
    }
}

impl Chain {
    /// Builds and executes a block on the tip from `candidates` (see
    /// [`Application::propose`]) and leaves it pending.
    pub fn propose_on_tip(
        &mut self,
        candidates: Vec<SignedTx>,
        timestamp_ms: u64,
        proposer: PublicKey,
    ) -> Result<Proposal, ChainError> {
        let (parent, parent_hash) = self.tip();
        let parent = parent.clone();
        let timestamp_ms = timestamp_ms.max(parent.timestamp_ms + 1);
        let height = parent.height + 1;
        let t = Instant::now();
        self.exec.begin_block(timestamp_ms)?;
        let mut rejected = Vec::new();
        let mut txs = Vec::with_capacity(candidates.len());
        let mut receipts = Vec::with_capacity(candidates.len());
        let mut changes = Changes::new();
        let mut in_block = HashSet::with_capacity(candidates.len());
        for tx in candidates {
            let why = match self.check_tx(&tx, timestamp_ms, &in_block) {
                Ok(w) => w,
                Err(e) => {
                    self.exec.pop_block()?;
                    return Err(e);
                }
            };
            if let Some(r) = why {
                rejected.push((tx.hash(), r));
                continue;
            }
            in_block.insert(tx.hash());
            match self.exec.execute_tx(&tx, height, txs.len() as u32, &mut changes) {
                Ok(r) => receipts.push(r),
                Err(e) => {
                    self.exec.pop_block()?;
                    return Err(e.into());
                }
            }
            txs.push(tx);
        }
        Timings::add(&self.timings.execute_us, t);
        let t = Instant::now();
        let update = match self.apply_tree(&parent.state_root, &changes) {
            Ok(u) => u,
            Err(e) => {
                self.exec.pop_block()?;
                return Err(e.into());
            }
        };
        Timings::add(&self.timings.tree_us, t);
        let header = Header {
            chain_id: self.genesis.chain_id.clone(),
            height,
            prev_hash: parent_hash,
            timestamp_ms,
            proposer,
            tx_root: tx_root(self.suite, &txs),
            receipts_root: receipts_root(self.suite, &receipts),
            state_root: update.root,
        };
        let block = Block { header, txs, certificate: Certificate::default() };
        let block_hash = block.hash();
        if let Err(e) = self.exec.finish_block(&block.header, &block_hash, block.txs.len()) {
            self.exec.pop_block()?;
            return Err(e.into());
        }
        self.pending.push(Pending { block_hash, block: block.clone(), receipts, nodes: update.created });
        Ok(Proposal { block, rejected })
    }
}

impl Application for Chain {
    fn propose(
        &mut self,
        candidates: Vec<SignedTx>,
        timestamp_ms: u64,
        proposer: PublicKey,
    ) -> Result<Proposal, ChainError> {
        if !self.pending.is_empty() {
            return Err(ChainError::Misuse("propose while a block is pending".into()));
        }
        self.propose_on_tip(candidates, timestamp_ms, proposer)
    }

    fn verify(&mut self, block: &Block) -> Result<(), ChainError> {
        if !self.pending.is_empty() {
            return Err(ChainError::Misuse("verify while a block is pending".into()));
        }
        self.execute_on_tip(block)
    }

    fn commit(&mut self, block: Block) -> Result<Vec<Receipt>, ChainError> {
        let hash = block.hash();
        if self.pending.first().map(|p| p.block_hash) != Some(hash) {
            self.abort()?;
            self.verify(&block)?;
        }
        let validators = self.genesis.validator_keys();
        if !block.certificate.verify(&hash, &validators, self.genesis.quorum()) {
            self.abort()?;
            return Err(ChainError::InvalidBlock {
                height: block.header.height,
                reason: "certificate lacks a quorum".into(),
            });
        }
        let (_, receipts) = self.commit_first(block.certificate, !self.deferred_sync)?;
        Ok(receipts)
    }

    fn abort(&mut self) -> Result<(), ChainError> {
        self.pending.clear();
        self.exec.abort_block()?;
        Ok(())
    }
}

/// Applies the genesis accounts to a fresh view (inside an open block).
pub fn genesis_changes(genesis: &Genesis, exec: &mut Executor, timestamp_ms: u64) -> Result<Changes, ChainError> {
    exec.begin_block(timestamp_ms)?;
    let mut changes = Changes::new();
    for a in &genesis.accounts {
        let key = PublicKey::from_hex(&a.public_key)
            .ok_or_else(|| ChainError::Genesis(format!("account {} has no valid public key", a.name)))?;
        exec.add_account(&a.name, &key, false, &mut changes)?;
    }
    Ok(changes)
}

fn genesis_block(
    genesis: &Genesis,
    ledger: &dyn LedgerStore,
    exec: &mut Executor,
    validator: &node_core::crypto::SecretKey,
) -> Result<(Block, Vec<(Hash, Node)>), ChainError> {
    let changes = genesis_changes(genesis, exec, genesis.timestamp_ms)?;
    let empty = HashMap::new();
    let suite = genesis.suite();
    let update =
        state_tree::apply(suite, &Overlay { base: ledger, overlay: &empty }, &state_tree::EMPTY_ROOT, &changes)?;
    let header = Header {
        chain_id: genesis.chain_id.clone(),
        height: 0,
        prev_hash: ZERO_HASH,
        timestamp_ms: genesis.timestamp_ms,
        proposer: genesis
            .validator_keys()
            .first()
            .copied()
            .ok_or_else(|| ChainError::Genesis("no validators".into()))?,
        tx_root: tx_root(suite, &[]),
        receipts_root: receipts_root(suite, &[]),
        state_root: update.root,
    };
    let hash = header.hash();
    // genesis.json defines block 0; a lone validator also signs it, as it
    // signs every block. A network's genesis carries no certificate: every
    // node builds the same block 0 from the same genesis.json.
    let certificate = if genesis.validators.len() == 1 && validator.public() == header.proposer {
        Certificate::sign(&hash, validator)
    } else {
        Certificate::default()
    };
    let block = Block { header, txs: Vec::new(), certificate };
    exec.finish_block(&block.header, &hash, 0)?;
    Ok((block, update.created))
}
