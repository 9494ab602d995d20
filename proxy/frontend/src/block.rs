//! Transaction blocks by speculation: `BEGIN` opens a block, each statement
//! is a step that the node runs, with all the steps before it, against the
//! latest applied state and rolls back; `COMMIT` submits the steps and the
//! digests of what the client saw as one tx; `ROLLBACK` submits nothing.

use crate::error::FrontendError;
use crate::session::{no_block, Reply, Session};
use node_core::crypto::Hash;
use node_core::tx::{Payload, Statement};
use node_core::value::Value;
use node_exec::executor::{digest_of, StepOutcome};
use node_exec::reader::ColumnOrigin;
use sqlmap::{Plan, TxControl};

#[derive(Default)]
pub(crate) struct Block {
    /// Its `txid_current()`, drawn when it began.
    pub(crate) xact_id: u64,
    pub(crate) steps: Vec<Statement>,
    /// The digest of every step's outcome as the client saw it.
    pub(crate) seen: Vec<Hash>,
    pub(crate) failed: bool,
    pub(crate) writes: bool,
    /// The block changed the schema: its catalog queries must see that.
    pub(crate) ddl: bool,
    /// The catalog built from the steps as they stand, for the catalog
    /// queries that follow one another (an ORM reflecting a table issues
    /// several); any new step drops it.
    pub(crate) catalog: Option<crate::catalog::BlockCatalog>,
}

impl Session {
    /// `BEGIN`: opens a transaction block (inside one, nothing changes).
    pub fn begin(&mut self) -> Result<Reply, FrontendError> {
        if self.block.is_none() {
            // A block that ended without COMMIT or ROLLBACK (a MySQL
            // deadlock rolls it back) left the temporary tables' part open.
            self.temp_end_block(false)?;
            self.block = Some(Block { xact_id: crate::session::next_xact_id(), ..Block::default() });
            self.reset_transaction_read_only();
        }
        Ok(Reply::Tag("BEGIN".into()))
    }

    /// `ROLLBACK`: drops the block; nothing was submitted. Temporary
    /// tables roll back too.
    pub fn rollback(&mut self) -> Result<Reply, FrontendError> {
        self.block = None;
        self.cursors.end_block(false);
        self.reset_transaction_read_only();
        self.temp_end_block(false)?;
        Ok(Reply::Tag("ROLLBACK".into()))
    }

    /// `COMMIT`: submits the block's steps and what the client saw of them
    /// as one tx (a block without writes submits nothing; a failed block
    /// rolls back). The block's cursors close, but for the held ones of a
    /// block that committed.
    pub async fn commit(&mut self) -> Result<Reply, FrontendError> {
        if self.block.is_none() {
            return Ok(Reply::Tag("COMMIT".into()));
        }
        let ended = self.commit_block().await;
        self.cursors.end_block(matches!(&ended, Ok(Reply::Tag(tag)) if tag == "COMMIT"));
        ended
    }

    async fn commit_block(&mut self) -> Result<Reply, FrontendError> {
        let Some(b) = self.block.take() else { return Ok(Reply::Tag("COMMIT".into())) };
        self.reset_transaction_read_only();
        if b.failed {
            self.temp_end_block(false)?;
            return Ok(Reply::Tag("ROLLBACK".into()));
        }
        if b.writes {
            let observed = digest_of(self.node.suite(), &b.seen);
            let committed = match self.submit(Payload::Interactive { steps: b.steps, observed }).await {
                Ok(c) => c,
                Err(e) => {
                    // Whether the chain tx applies is unknown (it may
                    // have expired): the temporary tables' part, which
                    // never reaches the chain, is rolled back.
                    self.temp_end_block(false)?;
                    return Err(e);
                }
            };
            if let Some(e) = crate::submit::receipt_error(&committed.receipt) {
                self.temp_end_block(false)?;
                return Err(e);
            }
        }
        // The chain tx is committed: so is the temporary tables' part.
        self.temp_end_block(true)?;
        Ok(Reply::Tag("COMMIT".into()))
    }

    pub(crate) async fn transaction(&mut self, c: TxControl, text: String) -> Result<Reply, FrontendError> {
        match c {
            TxControl::Begin { read_only } => {
                let reply = self.begin()?;
                if let Some(read_only) = read_only {
                    self.set_transaction_read_only(read_only)?;
                }
                Ok(reply)
            }
            TxControl::Rollback => self.rollback(),
            TxControl::Commit => self.commit().await,
            TxControl::Savepoint(_) | TxControl::Release(_) | TxControl::RollbackTo(_) => {
                if self.block.is_none() {
                    let what = text.split_whitespace().next().unwrap_or("SAVEPOINT").to_ascii_uppercase();
                    return Err(FrontendError::new("25P01", format!("{what} can only be used in transaction blocks")));
                }
                let rollback_to = matches!(c, TxControl::RollbackTo(_));
                let tag = match c {
                    TxControl::Savepoint(_) => "SAVEPOINT",
                    TxControl::Release(_) => "RELEASE",
                    _ => "ROLLBACK",
                };
                self.step(text, vec![], None, None).await?;
                self.temp_savepoint(&c)?;
                self.cursors.savepoint(&c);
                if rollback_to {
                    if let Some(b) = &mut self.block {
                        b.failed = false;
                    }
                }
                Ok(Reply::Tag(tag.into()))
            }
        }
    }

    /// Adds statements to the transaction block and speculates every step
    /// so far. Earlier steps must come out as the client saw them (else
    /// 40001); returns the new steps' outcomes, whose digests are now part of
    /// what the block observed.
    pub(crate) async fn push_steps(&mut self, stmts: Vec<Statement>) -> Result<Vec<StepOutcome>, FrontendError> {
        let max = self.node.config().pg.block_statements_max;
        let block = self.block.as_mut().ok_or_else(no_block)?;
        let added = stmts.len();
        if block.steps.len() + added > max {
            block.failed = true;
            return Err(FrontendError::new(
                "54000",
                format!("the transaction block has more than {max} statements (pg.block_statements_max)"),
            ));
        }
        block.steps.extend(stmts);
        block.catalog = None;
        let steps = block.steps.clone();
        let node = self.node.clone();
        let account = self.key.public();
        let dialect = self.dialect;
        let spec = tokio::task::spawn_blocking(move || node.speculate(&account, dialect, &steps))
            .await
            .map_err(FrontendError::internal)?
            .map_err(FrontendError::internal)?;
        // A failed statement fails a PostgreSQL block; MySQL rolls back
        // only that statement, and a conflict (1213) the whole transaction.
        let mysql = self.dialect == sqlmap::Dialect::MySql;
        let block = self.block.as_mut().ok_or_else(no_block)?;
        let kept = block.steps.len().saturating_sub(added);
        if let Some(f) = spec.refused {
            block.steps.truncate(kept);
            block.failed = !mysql;
            return Err(FrontendError::new(&f.sqlstate, f.message));
        }
        if spec.outcomes.len() != block.steps.len() {
            block.steps.truncate(kept);
            block.failed = true;
            let msg = format!("speculation gave {} outcomes for {} steps", spec.outcomes.len(), block.steps.len());
            return Err(FrontendError::internal(msg));
        }
        let suite = self.node.suite();
        let changed = spec.outcomes.iter().take(kept).zip(&block.seen).any(|(o, seen)| o.digest(suite) != *seen);
        if changed {
            block.steps.truncate(kept);
            block.failed = true;
            if mysql {
                self.block = None;
                self.cursors.end_block(false);
            }
            return Err(FrontendError::new("40001", "could not serialize access due to concurrent update")
                .hint("a transaction that committed meanwhile changed what this one read; run the transaction again"));
        }
        let new: Vec<StepOutcome> = spec.outcomes.into_iter().skip(kept).collect();
        if let Some(StepOutcome::Failed { sqlstate, message }) =
            new.iter().find(|o| matches!(o, StepOutcome::Failed { .. }))
        {
            if mysql {
                block.steps.truncate(kept);
            } else {
                block.seen.extend(new.iter().map(|o| o.digest(suite)));
                block.failed = true;
            }
            return Err(FrontendError::new(sqlstate, message.clone()));
        }
        block.seen.extend(new.iter().map(|o| o.digest(suite)));
        Ok(new)
    }

    /// One statement inside a transaction block. `origins` are a read's
    /// result columns, when the committed state can trace them.
    pub(crate) async fn step(
        &mut self,
        text: String,
        params: Vec<Value>,
        write: Option<Plan>,
        origins: Option<Vec<ColumnOrigin>>,
    ) -> Result<Reply, FrontendError> {
        let outcomes = self.push_steps(vec![Statement { sql: text.clone(), params }]).await?;
        let last = outcomes.into_iter().last().ok_or_else(|| FrontendError::internal("a step gave no outcome"))?;
        match last {
            StepOutcome::Done(r) => {
                let typed = write.as_ref().is_none_or(|p| matches!(p, Plan::Write(w) if w.returning));
                if typed && self.block.as_ref().is_some_and(|b| b.ddl) {
                    // Results are typed by the tables the block made or
                    // altered: its catalog (built once per step, only in
                    // blocks that ran DDL). Without one, values type them.
                    let _ = self.block_catalog().await;
                }
                if let Some(p) = &write {
                    if let Some(b) = &mut self.block {
                        b.writes = true;
                        b.ddl |= matches!(p, Plan::Ddl(_));
                    }
                    return Ok(self.write_reply(p, r));
                }
                let rs = r.returning.unwrap_or_default();
                let n = rs.rows.len();
                let columns = self.read_columns(&rs.columns, &rs.rows, origins.as_deref(), &text);
                Ok(Reply::Rows { columns, rows: rs.rows, tag: format!("SELECT {n}") })
            }
            _ => Ok(Reply::Tag(String::new())),
        }
    }

    /// The catalog as the transaction block's speculation shows it, or None
    /// when the block cannot run as it stands (its next step reports that).
    pub(crate) async fn block_catalog(&mut self) -> Result<Option<crate::catalog::BlockCatalog>, FrontendError> {
        if let Some(built) = self.block.as_ref().and_then(|b| b.catalog.clone()) {
            return Ok(Some(built));
        }
        let steps = self.block.as_ref().map(|b| b.steps.clone()).unwrap_or_default();
        let node = self.node.clone();
        let account = self.key.public();
        let database = self.info().database.clone();
        let dialect = self.dialect;
        let (_, catalog) = tokio::task::spawn_blocking(move || {
            node.speculate_with(&account, dialect, &steps, |conn| {
                crate::catalog::BlockCatalog::build(conn, &database, node.admin_addresses())
            })
        })
        .await
        .map_err(FrontendError::internal)?
        .map_err(FrontendError::internal)?;
        let catalog = catalog
            .transpose()
            .map_err(|e| FrontendError::internal(format!("catalog of the transaction block: {e}")))?;
        if let Some(b) = &mut self.block {
            b.catalog = catalog.clone();
        }
        Ok(catalog)
    }
}
