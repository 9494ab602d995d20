//! Transaction blocks: a client's steps run at the tx's position, the digest of
//! what the client observed, and speculation (run, look, always roll back).

use super::*;

/// The result of [`Executor::speculate`].
#[derive(Debug, Clone)]
pub struct Speculation {
    /// Every step's outcome, when the block as a whole could run.
    pub outcomes: Vec<StepOutcome>,
    /// A step the block cannot contain (an unknown savepoint, a statement
    /// after an error): the client gets this error and must not keep the step.
    pub refused: Option<TxFailure>,
}

/// What one step of a transaction block produced, as the client saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// Rows affected, and the rows a SELECT or RETURNING produced.
    Done(StatementResult),
    Failed {
        sqlstate: String,
        message: String,
    },
    /// SAVEPOINT, RELEASE, ROLLBACK TO.
    Control,
}

impl StepOutcome {
    /// The canonical bytes of what the client observed (error messages are
    /// not part of it: the SQLSTATE is).
    pub fn encode(&self, w: &mut node_core::codec::Writer) {
        match self {
            // A MySQL client saw the insert id and a matched count too, so
            // they are part of what the block commits to; without them the
            // bytes are as before they existed (PostgreSQL digests never change).
            StepOutcome::Done(r) if r.last_insert_id != 0 || r.rows_matched.is_some() => {
                w.u8(4).u64(r.rows_affected).u64(r.last_insert_id).u64(r.rows_matched.unwrap_or(r.rows_affected));
                encode_returning(w, r);
            }
            StepOutcome::Done(r) => {
                w.u8(1).u64(r.rows_affected);
                encode_returning(w, r);
            }
            StepOutcome::Failed { sqlstate, .. } => {
                w.u8(2).str(sqlstate);
            }
            StepOutcome::Control => {
                w.u8(3);
            }
        }
    }

    pub fn digest(&self, suite: Suite) -> Hash {
        let mut w = node_core::codec::Writer::with_capacity(64);
        self.encode(&mut w);
        suite.hash(&w.finish())
    }
}

fn encode_returning(w: &mut node_core::codec::Writer, r: &StatementResult) {
    match &r.returning {
        None => {
            w.u8(0);
        }
        Some(rs) => {
            w.u8(1).u32(rs.columns.len() as u32).u32(rs.rows.len() as u32);
            for row in &rs.rows {
                w.fixed(&node_core::value::encode_row(row));
            }
        }
    }
}

/// The digest a transaction block commits to: every step's outcome, in order.
pub fn observed_digest(suite: Suite, outcomes: &[StepOutcome]) -> Hash {
    let parts: Vec<Hash> = outcomes.iter().map(|o| o.digest(suite)).collect();
    digest_of(suite, &parts)
}

/// [`observed_digest`] from the steps' own digests.
pub fn digest_of(suite: Suite, parts: &[Hash]) -> Hash {
    let refs: Vec<&[u8]> =
        std::iter::once(b"rowchain/observed/v1".as_slice()).chain(parts.iter().map(|p| p.as_slice())).collect();
    suite.hash_parts(&refs)
}

/// True when the statement text plans to reads and transaction control only.
pub(super) fn is_read_only(sql: &str, dialect: sqlmap::Dialect) -> bool {
    sqlmap::plan_dialect(sql, &sqlmap::NoSchema, dialect)
        .map(|ps| ps.iter().all(|p| matches!(p, Plan::Read(_) | Plan::Transaction(_))))
        .unwrap_or(false)
}

impl Executor {
    /// Runs a client's transaction block step by step, as PostgreSQL would
    /// have: savepoints nest inside the tx's own, a failed step is an
    /// outcome (the client saw the error) that only `ROLLBACK TO` may
    /// follow. Returns the writes' results for the receipt and every step's
    /// outcome for the observed-result check.
    #[allow(clippy::type_complexity)]
    pub(super) fn run_interactive(
        &mut self,
        steps: &[Statement],
        ctx: &mut StmtCtx,
        changes: &mut Changes,
        committing: bool,
    ) -> Result<Result<(Vec<StatementResult>, Vec<StepOutcome>), TxFailure>, ExecError> {
        let fail = |i: usize, state: &str, message: String| {
            Ok(Err(TxFailure { statement_index: i as u32, sqlstate: state.into(), message }))
        };
        let mut results = Vec::new();
        let mut outcomes = Vec::with_capacity(steps.len());
        // Open savepoints: the client's name and the leaf changes when it was set.
        let mut marks: Vec<(String, Changes)> = Vec::new();
        let mut aborted = false;
        for (i, s) in steps.iter().enumerate() {
            ctx.stmt_index = i as u32;
            let plans = match self.plans_for(&s.sql, ctx.dialect) {
                Ok(p) => p,
                Err(e) => return fail(i, e.sqlstate, e.message),
            };
            let [plan] = plans.as_slice() else {
                return fail(i, "42601", "a transaction step must be exactly one statement".into());
            };
            let outcome = match plan {
                // The one step an aborted block accepts.
                Plan::Transaction(c @ sqlmap::TxControl::RollbackTo(_)) => {
                    if let Err((state, message)) = self.savepoint_step(c, &mut marks, changes)? {
                        return fail(i, state, message);
                    }
                    aborted = false;
                    StepOutcome::Control
                }
                _ if aborted => {
                    return fail(
                        i,
                        "25P02",
                        "current transaction is aborted, commands ignored until end of transaction block".into(),
                    )
                }
                Plan::Transaction(c @ (sqlmap::TxControl::Savepoint(_) | sqlmap::TxControl::Release(_))) => {
                    if let Err((state, message)) = self.savepoint_step(c, &mut marks, changes)? {
                        return fail(i, state, message);
                    }
                    StepOutcome::Control
                }
                Plan::Read(r) => match self.run_read(r, &s.params) {
                    Ok(r) => StepOutcome::Done(r),
                    Err(e) => StepOutcome::Failed { sqlstate: e.sqlstate.into(), message: e.message },
                },
                Plan::Write(_) | Plan::Ddl(_) => match self.execute_statement(s, ctx, changes) {
                    Ok(mut r) => {
                        let r = r.pop().unwrap_or_default();
                        results.push(r.clone());
                        StepOutcome::Done(r)
                    }
                    Err(e) => {
                        // SQLite undid the failed statement; drop what the hook saw of it.
                        self.captured.lock().clear();
                        StepOutcome::Failed { sqlstate: e.sqlstate.into(), message: e.message }
                    }
                },
                _ => return fail(i, "0A000", "this statement cannot be part of a transaction block".into()),
            };
            aborted |= matches!(outcome, StepOutcome::Failed { .. });
            outcomes.push(outcome);
        }
        // While speculating, a block may end in an error the client has yet to
        // roll back to a savepoint; a block that commits may not.
        if aborted && committing {
            return fail(steps.len(), "25P02", "the transaction block ended in an error; it cannot commit".into());
        }
        Ok(Ok((results, outcomes)))
    }

    /// SAVEPOINT, RELEASE or ROLLBACK TO inside a transaction block, on the
    /// SQLite savepoint of the same name and on the block's leaf changes.
    /// `Err` is the SQLSTATE and message of a savepoint that does not exist.
    fn savepoint_step(
        &mut self,
        control: &sqlmap::TxControl,
        marks: &mut Vec<(String, Changes)>,
        changes: &mut Changes,
    ) -> Result<Result<(), (&'static str, String)>, ExecError> {
        let quoted = |name: &str| format!("\"u:{}\"", name.replace('"', "\"\""));
        let position = |marks: &[(String, Changes)], name: &str| {
            marks
                .iter()
                .rposition(|(n, _)| n == name)
                .ok_or_else(|| ("3B001", format!("savepoint \"{name}\" does not exist")))
        };
        match control {
            sqlmap::TxControl::Savepoint(name) => {
                self.run_internal(&format!("SAVEPOINT {}", quoted(name)))?;
                marks.push((name.clone(), changes.clone()));
            }
            sqlmap::TxControl::Release(name) => {
                let pos = match position(marks, name) {
                    Ok(p) => p,
                    Err(e) => return Ok(Err(e)),
                };
                self.run_internal(&format!("RELEASE {}", quoted(name)))?;
                marks.truncate(pos);
            }
            sqlmap::TxControl::RollbackTo(name) => {
                let pos = match position(marks, name) {
                    Ok(p) => p,
                    Err(e) => return Ok(Err(e)),
                };
                marks.truncate(pos + 1);
                self.run_internal(&format!("ROLLBACK TO {}", quoted(name)))?;
                self.captured.lock().clear();
                if let Some((_, at_mark)) = marks.last() {
                    *changes = at_mark.clone();
                }
                if self.must_reload() {
                    self.reload_catalog()?;
                }
            }
            _ => {}
        }
        Ok(Ok(()))
    }

    /// Runs a transaction block's steps against the latest applied state and
    /// rolls everything back: what the client sees inside `BEGIN ... COMMIT`.
    /// `now_ms` stands in for the block time. Reads take no write lock; the
    /// write lock is held only while the steps run.
    pub fn speculate(
        &mut self,
        account: &crypto::PublicKey,
        dialect: sqlmap::Dialect,
        steps: &[Statement],
        now_ms: u64,
    ) -> Result<Speculation, ExecError> {
        self.speculate_with(account, dialect, steps, now_ms, |_| ()).map(|(s, _)| s)
    }

    /// [`Executor::speculate`], and `look` sees the speculative state after
    /// the steps (when they all could run) before it is rolled back: how a
    /// transaction block's catalog queries see its own uncommitted DDL.
    pub fn speculate_with<R>(
        &mut self,
        account: &crypto::PublicKey,
        dialect: sqlmap::Dialect,
        steps: &[Statement],
        now_ms: u64,
        look: impl FnOnce(&Connection) -> R,
    ) -> Result<(Speculation, Option<R>), ExecError> {
        assert!(!self.in_block);
        let height = self.applied()?.map(|a| a.height).unwrap_or(0);
        if height != self.speculated_at {
            self.reload_catalog()?;
            self.speculated_at = height;
        }
        let writes = steps.iter().any(|s| !is_read_only(&s.sql, dialect));
        self.conn.execute_batch(if writes { "BEGIN IMMEDIATE" } else { "BEGIN" })?;
        self.clock.store(now_ms.max(1), Ordering::Relaxed);
        self.captured.lock().clear();
        self.catalog_touched = false;
        self.in_block = true;
        self.set_signer(account, None);
        self.sequences.lock().begin(&self.signer.address, self.signer.admin);
        let owner = self.signer.address.clone();
        let mut ctx = StmtCtx { height: height + 1, index: 0, stmt_index: 0, owner, dialect };
        let mut changes = Changes::new();
        // A panic here must not leave the shared speculator inside an open
        // SQLite transaction: it becomes this session's XX000, and the
        // rollback below runs as always.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let run = self.run_interactive(steps, &mut ctx, &mut changes, false);
            self.user_mode.store(false, Ordering::Relaxed);
            let looked = match &run {
                Ok(Ok(_)) => Some(look(&self.conn)),
                _ => None,
            };
            (run, looked)
        }));
        let (run, looked) = match run {
            Ok(done) => done,
            Err(panic) => {
                tracing::error!(
                    panic = node_core::fault::panic_text(panic.as_ref()),
                    "a bug panicked while speculating a transaction block: that session gets XX000"
                );
                self.recover_from_panic();
                let failure = TxFailure { statement_index: 0, sqlstate: "XX000".into(), message: TX_PANICKED.into() };
                (Ok(Err(failure)), None)
            }
        };
        self.in_block = false;
        let rolled_back = self.conn.execute_batch("ROLLBACK");
        self.captured.lock().clear();
        self.clock.store(1, Ordering::Relaxed);
        if self.must_reload() {
            self.reload_catalog()?;
        }
        rolled_back?;
        Ok(match run? {
            Ok((_, outcomes)) => (Speculation { outcomes, refused: None }, looked),
            Err(f) => (Speculation { outcomes: Vec::new(), refused: Some(f) }, None),
        })
    }
}
