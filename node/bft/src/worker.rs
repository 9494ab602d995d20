//! The worker: the one place the BFT side executes blocks and writes the
//! ledger, on a task of its own so the network runtime never waits on
//! SQLite or an fsync.
//!
//! It owns the [`Chain`] and carries out the [`Job`]s the decision core
//! ([`crate::decide::Core`]) hands it, one at a time and in order, answering
//! each with a [`Done`]. The node spawns it on a dedicated thread; the
//! deterministic simulation spawns it as an ordinary task, which keeps the
//! simulation deterministic (the work of a job is one poll of the task).

use crate::actor::Hub;
use futures::channel::mpsc;
use futures::StreamExt;
use node_chain::chain::{Chain, ChainError};
use node_chain::producer::{Outcome, Status};
use node_core::block::{Block, Certificate, Receipt};
use node_core::crypto::{Hash, PublicKey};
use node_core::tx::SignedTx;
use std::collections::HashSet;
use std::sync::Arc;

/// Work the core decided on.
pub enum Job {
    /// Make the chain's pending blocks exactly `path` (blocks from the head
    /// up), executing what is missing: how a vote checks a block.
    Execute { path: Vec<Arc<Block>> },
    /// Execute `path`, then build and execute a block on it from the pool.
    Propose { path: Vec<Arc<Block>>, timestamp_ms: u64 },
    /// Execute `path` and make it durable, the last block with
    /// `finalization` (an encoded certificate).
    Commit { path: Vec<Arc<Block>>, finalization: Vec<u8> },
    /// Verify the signatures of txs a peer gossiped and admit the good ones
    /// to the pool.
    Admit(Vec<SignedTx>),
}

/// What a job did.
pub enum Done {
    /// The path executed; `invalid` names the first block of it that did
    /// not (it and the blocks after it are not pending).
    Executed { invalid: Option<Hash> },
    /// As `Executed`, and the block built on the path, if there was one to
    /// build (the pool may hold nothing the block can take).
    Proposed { invalid: Option<Hash>, block: Option<Box<Block>> },
    /// The path is durable: the new head.
    Committed { height: u64, hash: Hash },
    /// The chain failed; the node stops.
    Failed(ChainError),
}

/// The worker's settings.
pub struct WorkerConfig {
    pub max_txs_per_block: usize,
    /// This node's key: its blocks' proposer.
    pub me: PublicKey,
    /// Fault injection for the deterministic simulation (see
    /// [`crate::actor::Config::tamper`]).
    pub tamper: Option<fn(&mut Block)>,
}

pub struct Worker {
    chain: Chain,
    hub: Arc<Hub>,
    config: WorkerConfig,
    jobs: mpsc::UnboundedReceiver<Job>,
    done: mpsc::UnboundedSender<Done>,
}

impl Worker {
    pub(crate) fn new(
        chain: Chain,
        hub: Arc<Hub>,
        config: WorkerConfig,
        jobs: mpsc::UnboundedReceiver<Job>,
        done: mpsc::UnboundedSender<Done>,
    ) -> Self {
        Worker { chain, hub, config, jobs, done }
    }

    /// Carries out jobs until the core hangs up or a job fails. Dropping the
    /// worker closes the chain (SQLite and the ledger).
    pub async fn run(mut self) {
        while let Some(job) = self.jobs.next().await {
            let done = match self.work(job) {
                Ok(Some(done)) => done,
                Ok(None) => continue,
                Err(e) => Done::Failed(e),
            };
            let failed = matches!(done, Done::Failed(_));
            if self.done.unbounded_send(done).is_err() || failed {
                return;
            }
        }
    }

    /// One job; `None` for jobs nobody waits on.
    fn work(&mut self, job: Job) -> Result<Option<Done>, ChainError> {
        Ok(Some(match job {
            Job::Execute { path } => Done::Executed { invalid: self.execute_path(&path)? },
            Job::Propose { path, timestamp_ms } => self.propose(&path, timestamp_ms)?,
            Job::Commit { path, finalization } => self.commit(&path, finalization)?,
            Job::Admit(txs) => {
                self.admit(txs);
                return Ok(None);
            }
        }))
    }

    /// Makes the chain's pending blocks exactly `path`: keeps the common
    /// prefix, drops the rest and executes what is missing. Returns the
    /// block of the path that is invalid, if one is.
    fn execute_path(&mut self, path: &[Arc<Block>]) -> Result<Option<Hash>, ChainError> {
        let pending: Vec<Hash> = self.chain.pending().collect();
        let common = pending.iter().zip(path).take_while(|(p, b)| **p == b.hash()).count();
        for _ in common..pending.len() {
            self.chain.pop()?;
        }
        for b in path.iter().skip(common) {
            match self.chain.execute_on_tip(b) {
                Ok(()) => {}
                Err(ChainError::InvalidBlock { height, reason }) => {
                    let hash = b.hash();
                    tracing::warn!(height, block = %hex::encode(hash), reason = %reason, "a proposed block is invalid");
                    return Ok(Some(hash));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Builds a block on `path` from the pool's txs that `path` does not
    /// already hold, answering the waiters of txs it cannot take.
    fn propose(&mut self, path: &[Arc<Block>], timestamp_ms: u64) -> Result<Done, ChainError> {
        if let Some(invalid) = self.execute_path(path)? {
            return Ok(Done::Proposed { invalid: Some(invalid), block: None });
        }
        let exclude: HashSet<Hash> = path.iter().flat_map(|b| b.txs.iter().map(|t| t.hash())).collect();
        let candidates = self.hub.pool.candidates(self.config.max_txs_per_block, &exclude);
        if candidates.is_empty() {
            return Ok(Done::Proposed { invalid: None, block: None });
        }
        let proposal = self.chain.propose_on_tip(candidates, timestamp_ms, self.config.me)?;
        if !proposal.rejected.is_empty() {
            let mut gone = HashSet::new();
            let mut w = self.hub.waiters.lock();
            for (h, why) in &proposal.rejected {
                gone.insert(*h);
                if let Some(s) = w.remove(h) {
                    let _ = s.send(Outcome::Rejected(why.message().into()));
                }
            }
            drop(w);
            self.hub.pool.remove(&gone);
        }
        if proposal.block.txs.is_empty() {
            self.chain.pop()?;
            return Ok(Done::Proposed { invalid: None, block: None });
        }
        let mut block = proposal.block;
        if let Some(tamper) = self.config.tamper {
            tamper(&mut block);
            self.chain.pop()?;
        }
        Ok(Done::Proposed { invalid: None, block: Some(Box::new(block)) })
    }

    /// Commits `path`, which a finalization covers, in one SQLite commit.
    fn commit(&mut self, path: &[Arc<Block>], finalization: Vec<u8>) -> Result<Done, ChainError> {
        if let Some(invalid) = self.execute_path(path)? {
            // A quorum finalized a block this node finds invalid: the
            // validators' executions disagree. Nothing can be committed.
            return Err(ChainError::Diverged(format!(
                "block {} was finalized by a quorum but does not execute to its roots here",
                hex::encode(invalid)
            )));
        }
        let mut certificates = vec![Certificate::default(); path.len()];
        if let Some(last) = certificates.last_mut() {
            last.finalization = finalization;
        }
        for (block, receipts) in self.chain.commit_through(certificates, true)? {
            self.committed(&block, receipts);
        }
        let (head, hash) = self.chain.head();
        Ok(Done::Committed { height: head.height, hash })
    }

    /// After a block is durable: status, waiters, pool.
    fn committed(&self, block: &Block, receipts: Vec<Receipt>) {
        let height = block.header.height;
        *self.hub.status.write() = Status {
            height,
            block_hash: block.hash(),
            state_root: block.header.state_root,
            timestamp_ms: block.header.timestamp_ms,
        };
        let done: HashSet<Hash> = block.txs.iter().map(|t| t.hash()).collect();
        {
            let mut w = self.hub.waiters.lock();
            for (i, (tx, receipt)) in block.txs.iter().zip(receipts).enumerate() {
                if let Some(s) = w.remove(&tx.hash()) {
                    let _ = s.send(Outcome::Committed { height, index: i as u32, receipt });
                }
            }
        }
        self.hub.pool.remove(&done);
    }

    /// Txs gossiped by a peer (the core dropped the ones the pool holds,
    /// of another chain or expired): admitted after the same checks as a
    /// client's, the signature above all, without a waiter.
    fn admit(&self, txs: Vec<SignedTx>) {
        let ok = node_core::tx::verify_signatures(&txs);
        for (tx, good) in txs.into_iter().zip(ok) {
            if good && node_chain::mempool::check_plans(&tx.body).is_ok() {
                let _ = self.hub.pool.add(tx);
            }
        }
    }
}
