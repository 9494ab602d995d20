//! The single-validator block producer, its group-commit ledger sync, and
//! what the producer (or the BFT actor) tells the node about commits: the
//! chain's [`Status`] and each waiting tx's [`Outcome`].

use crate::chain::{Application, Chain, ChainError};
use crate::clock::now_ms;
use crate::ledger::LedgerStore;
use crate::mempool::Mempool;
use crate::thread::spawn_node_thread;
use node_core::block::{Certificate, Receipt};
use node_core::crypto::{Hash, SecretKey};
use node_core::tx::SignedTx;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

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

/// The txs whose submitters wait for their outcome, by tx hash.
pub type Waiters = Arc<Mutex<HashMap<Hash, tokio::sync::oneshot::Sender<Outcome>>>>;

/// The single-validator engine: cut a block from the pool, propose it,
/// certify it with the one validator's signature, commit. The BFT engine
/// drives the same [`Application`] calls with votes in between.
pub struct Producer {
    pub chain: Chain,
    pub pool: Arc<Mempool>,
    pub waiters: Waiters,
    pub status: Arc<RwLock<Status>>,
    pub key: SecretKey,
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
    ledger: Arc<dyn LedgerStore>,
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
    pub fn run(mut self, max_txs: usize, max_wait: Duration) -> Result<(), ChainError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let syncer = {
            let (ledger, status, pool) = (self.chain.ledger().clone(), self.status.clone(), self.pool.clone());
            spawn_node_thread("ledger-sync", move || run_syncer(ledger, rx, status, pool))
                .map_err(|source| ChainError::ThreadSpawn { name: "ledger-sync", source })?
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
        let synced = syncer.join().unwrap_or_else(|_| Err(ChainError::ThreadPanicked("ledger-sync")));
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
        synced.send(Committed { status, acks }).map_err(|_| ChainError::ThreadStopped("ledger-sync"))
    }

    fn fail_all_waiters(&self, e: &ChainError) {
        for (_, s) in self.waiters.lock().drain() {
            let _ = s.send(Outcome::Rejected(format!("the node stopped producing blocks: {e}")));
        }
        self.pool.close();
    }
}
