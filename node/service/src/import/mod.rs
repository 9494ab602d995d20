//! `rowchain import`: follows a source database into the chain, exactly
//! once. A MySQL/MariaDB source is copied under a consistent snapshot, then
//! its row-format binlog is followed from the snapshot's position
//! ([`mysql`]); a PostgreSQL source is copied under the snapshot a new
//! logical replication slot exports, then that slot's `pgoutput` stream is
//! followed ([`postgres`]). Every source transaction becomes one chain tx that carries
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
mod pgoutput;
mod postgres;
mod sql;

pub use link::{value_from_json, value_json, ChainLink, NodeLink, RpcLink};
pub use mysql::run as run_mysql;
pub use postgres::run as run_postgres;

use link::Waiter;
use node_core::import::SourcePosition;
use node_core::tx::{ImportBatch, Statement};
use node_core::value::Value;
use std::collections::VecDeque;
use std::future::Future;
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

/// What `rowchain import postgres://…` was asked to do.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// `postgres://user:password@host:port/db`.
    pub url: String,
    /// The source's name on the chain (`rowchain.imports.source`).
    pub name: String,
    /// Only these tables of schema `public` (all of them when `None`).
    pub tables: Option<Vec<String>>,
    /// The logical replication slot that holds the source's changes for
    /// the import (created by it).
    pub slot: String,
    /// The publication the slot streams (created for the tables when the
    /// source has none of that name).
    pub publication: String,
    /// Where a new source starts: a snapshot, or the slot's start (`current`).
    pub from: StartAt,
    /// Rows per snapshot batch.
    pub batch_rows: usize,
    /// Split a source transaction into txs of at most this many rows.
    pub split_rows: Option<usize>,
    /// Stop once the chain holds everything the source had committed at start.
    pub once: bool,
    /// PostgreSQL's input function for the chain's types: a value's text
    /// form, given its type OID, as the chain stores it (the front end's,
    /// so an imported value is stored exactly as the same text written by
    /// a client would be).
    pub input: TextInput,
}

/// A value from its PostgreSQL text form and type OID.
pub type TextInput = fn(&str, u32) -> Result<Value, String>;

/// Where a new source starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    /// Copy the tables under a consistent snapshot, then follow the change
    /// log from the snapshot's position.
    Snapshot,
    /// Create the tables empty and follow the change log from its current end.
    Current,
    /// MySQL/MariaDB: create the tables empty and follow the binlog from `file:pos`.
    Position { file: String, pos: u64 },
    /// MariaDB: create the tables empty and follow the binlog from just
    /// after the transaction of this GTID (`domain-server-sequence`).
    Gtid(String),
}

impl std::str::FromStr for StartAt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "snapshot" => Ok(StartAt::Snapshot),
            "current" => Ok(StartAt::Current),
            _ if is_mariadb_gtid(s) => Ok(StartAt::Gtid(s.to_string())),
            _ => {
                let (file, pos) = s.rsplit_once(':').ok_or_else(|| {
                    format!("--from {s}: expected snapshot, current, FILE:POS or a MariaDB GTID D-S-N")
                })?;
                if file.len() == 36 && file.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                    return Err(format!(
                        "--from {s}: MySQL GTIDs are not supported yet; start from the binlog FILE:POS instead"
                    ));
                }
                let pos = pos.parse().map_err(|_| format!("--from {s}: the position must be a number"))?;
                Ok(StartAt::Position { file: file.to_string(), pos })
            }
        }
    }
}

/// MariaDB's GTID form: three numbers joined by `-`.
fn is_mariadb_gtid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
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
    /// A snapshot step.
    fn snapshot(&self, status: &SnapshotStatus);
    /// Following: where the source and chain stand.
    fn following(&self, status: &FollowStatus);
    /// A retryable failure, and how long until the next attempt.
    fn retrying(&self, error: &ImportError, after: Duration);
}

/// Where a snapshot copy stands.
#[derive(Debug, Clone, Default)]
pub struct SnapshotStatus {
    /// The table being copied.
    pub table: String,
    pub tables_done: usize,
    pub tables: usize,
    /// Rows copied so far.
    pub rows: u64,
    /// All the rows to copy as the source's statistics estimate them (none
    /// when it has none yet, e.g. a PostgreSQL table never analyzed).
    pub rows_estimate: Option<u64>,
    pub rows_per_s: f64,
}

impl SnapshotStatus {
    /// Seconds left at the rate so far, by the source's estimate.
    pub fn eta_s(&self) -> Option<f64> {
        let left = self.rows_estimate?.saturating_sub(self.rows);
        (self.rows_per_s > 0.0).then(|| left as f64 / self.rows_per_s)
    }
}

/// Counts a snapshot's rows and reports them.
pub(crate) struct SnapshotMeter {
    status: SnapshotStatus,
    started: std::time::Instant,
}

impl SnapshotMeter {
    pub fn new(tables: usize, rows_estimate: Option<u64>) -> SnapshotMeter {
        SnapshotMeter {
            status: SnapshotStatus { tables, rows_estimate, ..SnapshotStatus::default() },
            started: std::time::Instant::now(),
        }
    }

    /// `rows` more rows of `table` were sent; `tables_done` tables are whole.
    pub fn copied(&mut self, table: &str, tables_done: usize, rows: u64, progress: &dyn Progress) {
        let s = &mut self.status;
        s.table.clear();
        s.table.push_str(table);
        s.tables_done = tables_done;
        s.rows += rows;
        s.rows_per_s = s.rows as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        progress.snapshot(s);
    }
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

/// The status line's figures while following, counted from its start.
pub(crate) struct StatusLine {
    pub status: FollowStatus,
    started: std::time::Instant,
    /// Source rows read so far.
    pub rows: u64,
}

impl StatusLine {
    pub fn new(position: String, height: u64) -> StatusLine {
        StatusLine {
            status: FollowStatus { position, height, ..FollowStatus::default() },
            started: std::time::Instant::now(),
            rows: 0,
        }
    }

    /// A source transaction was sent: where it ended, when it committed
    /// on the source (seconds since 1970), the height known to hold a batch.
    pub fn sent(&mut self, position: String, committed_s: u64, height: u64) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.status.position = position;
        self.status.lag_s = now.saturating_sub(committed_s);
        self.status.height = height;
        self.status.transactions += 1;
    }

    /// Rewrites the status line with the rates so far.
    pub fn report(&mut self, height: u64, progress: &dyn Progress) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.status.height = height;
        self.status.transactions_per_s = self.status.transactions as f64 / secs;
        self.status.rows_per_s = self.rows as f64 / secs;
        progress.following(&self.status);
    }
}

/// Backoff between retries: 0.5 s doubling to 30 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(6)).min(30_000))
}

/// Runs import sessions until one ends the import (`--once` satisfied, or
/// an error that retrying cannot mend); a retryable failure is reported and
/// the next session starts again from the chain's position.
async fn retrying<F, Fut>(progress: &dyn Progress, mut session: F) -> Result<(), ImportError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ImportError>>,
{
    let mut failures = 0;
    loop {
        match session().await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_retryable() => {
                let after = backoff(failures);
                progress.retrying(&e, after);
                tokio::time::sleep(after).await;
                failures += 1;
            }
            Err(e) => return Err(e),
        }
    }
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
    /// Each batch on its way, with its position's order.
    inflight: VecDeque<(Waiter, Vec<u64>)>,
    /// The order of the last batch known to be in a block.
    pub settled: Option<Vec<u64>>,
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
            settled: recorded.map(|r| r.position.order.clone()),
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
        let order = position.order.clone();
        let batch = ImportBatch { source: self.source.clone(), position, follows, statements };
        let waiter = self.link.submit(batch).await?;
        self.inflight.push_back((waiter, order));
        while self.inflight.len() > self.window {
            self.settle_one().await?;
        }
        Ok(())
    }

    /// Sends one source transaction ending at `whole`: as one batch, or
    /// (`--split-rows`) in parts that sit between the transaction before it
    /// and `whole` (the last order part one less, then the part's number),
    /// each resumable from `start`, the text of where the transaction
    /// begins. After a restart the transaction is read again from its start
    /// and the parts the chain holds are skipped.
    pub async fn send_transaction(
        &mut self,
        statements: Vec<Statement>,
        split_rows: Option<usize>,
        whole: SourcePosition,
        start: &str,
    ) -> Result<(), ImportError> {
        let parts = sql::split(statements, split_rows);
        let last = parts.len().saturating_sub(1);
        for (i, statements) in parts.into_iter().enumerate() {
            let mut position = whole.clone();
            if i < last {
                if let Some(end) = position.order.last_mut() {
                    *end = end.saturating_sub(1);
                }
                position.order.push(i as u64);
                position.text = format!("{start}#{i}");
            }
            self.send(position, statements).await?;
        }
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<(), ImportError> {
        if let Some((waiter, order)) = self.inflight.pop_front() {
            let height = waiter.await.map_err(|e| ImportError::Chain(format!("waiting for a batch: {e}")))??;
            self.height = self.height.max(height);
            self.settled = Some(order);
        }
        Ok(())
    }

    /// Takes in the outcomes that have arrived, in order.
    pub async fn settle_finished(&mut self) -> Result<(), ImportError> {
        while self.inflight.front().is_some_and(|(waiter, _)| waiter.is_finished()) {
            self.settle_one().await?;
        }
        Ok(())
    }

    /// Whether every batch sent is known to be in a block.
    pub fn idle(&self) -> bool {
        self.inflight.is_empty()
    }

    /// Waits until every batch sent is in a block the node's reads see.
    pub async fn drain(&mut self) -> Result<(), ImportError> {
        while !self.inflight.is_empty() {
            self.settle_one().await?;
        }
        self.link.settled(self.height).await
    }
}

#[cfg(test)]
mod tests {
    use super::{SnapshotStatus, StartAt};

    #[test]
    fn the_snapshot_eta_is_the_estimated_rows_left_at_the_rate_so_far() {
        let status =
            SnapshotStatus { rows: 1_000, rows_estimate: Some(5_000), rows_per_s: 500.0, ..SnapshotStatus::default() };
        assert_eq!(status.eta_s(), Some(8.0));
        // An estimate below what was copied leaves nothing; no estimate or no rate, no ETA.
        assert_eq!(SnapshotStatus { rows_estimate: Some(10), ..status.clone() }.eta_s(), Some(0.0));
        assert_eq!(SnapshotStatus { rows_estimate: None, ..status.clone() }.eta_s(), None);
        assert_eq!(SnapshotStatus { rows_per_s: 0.0, ..status }.eta_s(), None);
    }

    #[test]
    fn where_to_start_reads_every_form() {
        assert_eq!("snapshot".parse(), Ok(StartAt::Snapshot));
        assert_eq!("current".parse(), Ok(StartAt::Current));
        assert_eq!("0-1-42".parse(), Ok(StartAt::Gtid("0-1-42".into())));
        assert_eq!("mariadb-bin.000042:4".parse(), Ok(StartAt::Position { file: "mariadb-bin.000042".into(), pos: 4 }));
        let mysql_gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:23".parse::<StartAt>().unwrap_err();
        assert!(mysql_gtid.contains("MySQL GTIDs are not supported yet"), "{mysql_gtid}");
        assert!("0-1-".parse::<StartAt>().is_err());
        assert!("bin.1:x".parse::<StartAt>().is_err());
    }
}
