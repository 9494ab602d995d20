//! `rowchain import`: follows a source database into the chain, exactly
//! once. A MySQL/MariaDB source is copied under a consistent snapshot, then
//! its row-format binlog is followed from the snapshot's position
//! ([`mysql`]). Every source transaction becomes one chain tx that carries
//! the source's position after it, and the executor records that position
//! atomically with the rows and refuses any batch that is not past it
//! (`node_core::import`). So the importer keeps no state of its own: after a
//! crash, a lost connection or a restart it reads its position back from the
//! chain and goes on from there; a batch it sent twice is refused by every
//! validator alike.

pub mod link;
mod mysql;
mod mysql_ddl;
mod mysql_types;

pub use link::{value_from_json, value_json, ChainLink, NodeLink, RpcLink};
pub use mysql::run as run_mysql;

use link::Waiter;
use node_core::import::SourcePosition;
use node_core::tx::{ImportBatch, Statement};
use std::collections::VecDeque;
use std::time::Duration;

/// What `rowchain import mysql://…` was asked to do.
#[derive(Debug, Clone)]
pub struct MysqlOptions {
    /// `mysql://user:password@host:port/db`.
    pub url: String,
    /// The source's name on the chain (`rowchain.imports.source`).
    pub name: String,
    /// Only these tables (all of the database's when `None`).
    pub tables: Option<Vec<String>>,
    /// Where a source the chain has never seen starts.
    pub from: StartAt,
    /// The replica server id the binlog dump registers with (unique among
    /// the source's replicas).
    pub server_id: u32,
    /// Rows per snapshot batch.
    pub batch_rows: usize,
    /// Split a source transaction into txs of at most this many rows; by
    /// default a transaction stays one tx.
    pub split_rows: Option<usize>,
    /// Stop once the chain has caught up with the source's binlog as it was
    /// at start (`--once`), instead of following it.
    pub once: bool,
}

/// Where a new source starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    /// Copy the tables under a consistent snapshot, then follow the binlog
    /// from the snapshot's position.
    Snapshot,
    /// Create the tables empty and follow the binlog from its current end.
    Current,
    /// Create the tables empty and follow the binlog from `file:pos`.
    Position { file: String, pos: u64 },
}

impl std::str::FromStr for StartAt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "snapshot" => Ok(StartAt::Snapshot),
            "current" => Ok(StartAt::Current),
            _ => {
                let (file, pos) =
                    s.rsplit_once(':').ok_or_else(|| format!("--from {s}: expected snapshot, current or FILE:POS"))?;
                let pos = pos.parse().map_err(|_| format!("--from {s}: the position must be a number"))?;
                Ok(StartAt::Position { file: file.to_string(), pos })
            }
        }
    }
}

/// Why an import stopped, or why a step of it must be tried again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The source is unreachable or dropped the connection: retried.
    #[error("source: {0}")]
    Source(String),
    /// The chain is unreachable or did not include a batch: retried.
    #[error("chain: {0}")]
    Chain(String),
    /// The chain already holds this batch's position (55000): the importer
    /// reads its position again and goes on from there.
    #[error("{0}")]
    Stale(String),
    /// The chain refused a batch (a constraint, a policy, a size limit).
    #[error("the chain refused the source transaction ending at {position}: {sqlstate} {message}{}", statement_note(.statement))]
    Refused { position: String, sqlstate: String, message: String, statement: String },
    /// The source cannot be followed as asked: settings, purged logs,
    /// unsupported DDL or types.
    #[error("{0}")]
    Unsupported(String),
}

fn statement_note(statement: &str) -> String {
    if statement.is_empty() {
        String::new()
    } else {
        format!(" (statement: {statement})")
    }
}

impl ImportError {
    /// Whether trying again (from the chain's recorded position) can help.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ImportError::Source(_) | ImportError::Chain(_) | ImportError::Stale(_))
    }
}

/// What the importer tells the person running it.
pub trait Progress: Send + Sync {
    /// A snapshot step: `tables_done` of `tables`, rows copied so far.
    fn snapshot(&self, table: &str, tables_done: usize, tables: usize, rows: u64, rows_per_s: f64);
    /// Following: where the source and chain stand.
    fn following(&self, status: &FollowStatus);
    /// A retryable failure, and how long until the next attempt.
    fn retrying(&self, error: &ImportError, after: Duration);
}

/// The one-line status while following a source.
#[derive(Debug, Clone, Default)]
pub struct FollowStatus {
    /// The source position last sent.
    pub position: String,
    /// The height of the last block known to hold a batch.
    pub height: u64,
    /// Seconds between the last sent source transaction's commit on the
    /// source and its sending.
    pub lag_s: u64,
    pub transactions: u64,
    pub transactions_per_s: f64,
    pub rows_per_s: f64,
}

/// Backoff between retries: 0.5 s doubling to 30 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(6)).min(30_000))
}

/// Batches on their way to the chain, in order, up to `window` of them
/// admitted before the first is known to be in a block. Each names the
/// position it follows, so a batch that fails makes every later one fail
/// (55000) rather than apply past a gap; the session then starts again
/// from the chain's position.
pub(crate) struct Sender<'a, L: ChainLink> {
    link: &'a L,
    source: String,
    /// The order of the last position sent, or the chain's at the start.
    last: Option<Vec<u64>>,
    inflight: VecDeque<Waiter>,
    window: usize,
    /// The height of the last block known to hold a batch.
    pub height: u64,
}

impl<'a, L: ChainLink> Sender<'a, L> {
    /// `recorded`: the source's record on the chain, if any.
    pub fn new(link: &'a L, source: &str, recorded: Option<&node_core::import::ImportMeta>, window: usize) -> Self {
        Sender {
            link,
            source: source.to_string(),
            last: recorded.map(|r| r.position.order.clone()),
            inflight: VecDeque::new(),
            window,
            height: recorded.map_or(0, |r| r.height),
        }
    }

    /// Sends one batch; a position the chain already holds is skipped (a
    /// split transaction read again after a restart).
    pub async fn send(&mut self, position: SourcePosition, statements: Vec<Statement>) -> Result<(), ImportError> {
        if self.last.as_ref().is_some_and(|last| position.order <= *last) {
            return Ok(());
        }
        let follows = self.last.replace(position.order.clone());
        let batch = ImportBatch { source: self.source.clone(), position, follows, statements };
        let waiter = self.link.submit(batch).await?;
        self.inflight.push_back(waiter);
        while self.inflight.len() > self.window {
            self.settle_one().await?;
        }
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<(), ImportError> {
        if let Some(waiter) = self.inflight.pop_front() {
            let height = waiter.await.map_err(|e| ImportError::Chain(format!("waiting for a batch: {e}")))??;
            self.height = self.height.max(height);
        }
        Ok(())
    }

    /// Takes in the outcomes that have arrived, in order.
    pub async fn settle_finished(&mut self) -> Result<(), ImportError> {
        while self.inflight.front().is_some_and(tokio::task::JoinHandle::is_finished) {
            self.settle_one().await?;
        }
        Ok(())
    }

    /// Waits until every batch sent is in a block the node's reads see.
    pub async fn drain(&mut self) -> Result<(), ImportError> {
        while !self.inflight.is_empty() {
            self.settle_one().await?;
        }
        self.link.settled(self.height).await
    }
}
