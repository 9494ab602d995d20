//! User statements: planning (cached per catalog), privilege checks, reads,
//! writes.

use super::*;

/// Plans by statement text, one map per dialect: the same text may plan
/// differently in each.
#[derive(Default)]
pub(super) struct PlanCache {
    postgres: HashMap<String, Arc<Vec<Plan>>>,
    mysql: HashMap<String, Arc<Vec<Plan>>>,
}

impl PlanCache {
    fn of(&self, dialect: sqlmap::Dialect) -> &HashMap<String, Arc<Vec<Plan>>> {
        match dialect {
            sqlmap::Dialect::Postgres => &self.postgres,
            sqlmap::Dialect::MySql => &self.mysql,
        }
    }

    fn of_mut(&mut self, dialect: sqlmap::Dialect) -> &mut HashMap<String, Arc<Vec<Plan>>> {
        match dialect {
            sqlmap::Dialect::Postgres => &mut self.postgres,
            sqlmap::Dialect::MySql => &mut self.mysql,
        }
    }

    fn len(&self) -> usize {
        self.postgres.len() + self.mysql.len()
    }
}

/// Whether `who` may run a MySQL `REPLACE` (SQLite's `INSERT OR REPLACE`)
/// on `meta`. It deletes the rows its new row conflicts with, but SQLite's
/// authorizer reports only the INSERT and, without recursive triggers, no
/// delete trigger (so no DELETE policy) fires for those deletes. So the
/// DELETE privilege is checked here, and on a table under row-level
/// security only the owner (or an admin, whom policies do not bind) may
/// replace: anyone else could delete rows their DELETE policies hide.
fn may_replace(meta: &TableMeta, who: acl::Who<'_>) -> Result<(), SqlError> {
    if !acl::has(meta, who, privilege::DELETE) {
        return Err(acl::denied(&meta.name));
    }
    if meta.row_security && !acl::owns(meta, who) {
        return Err(SqlError::new(
            "0A000",
            format!(
                "REPLACE is not supported on table {} under row-level security; use INSERT ... ON DUPLICATE KEY UPDATE",
                meta.name
            ),
        ));
    }
    Ok(())
}

impl Executor {
    pub(super) fn run_statements(
        &mut self,
        stmts: &[Statement],
        ctx: &mut StmtCtx,
        changes: &mut Changes,
    ) -> Result<Vec<StatementResult>, TxFailure> {
        let mut results = Vec::with_capacity(stmts.len());
        for (i, s) in stmts.iter().enumerate() {
            ctx.stmt_index = i as u32;
            match self.execute_statement(s, ctx, changes) {
                Ok(r) => results.extend(r),
                Err(e) => {
                    return Err(TxFailure {
                        statement_index: i as u32,
                        sqlstate: e.sqlstate.into(),
                        message: e.message,
                    })
                }
            }
        }
        Ok(results)
    }

    pub(super) fn run_read(&mut self, r: &sqlmap::ReadPlan, params: &[Value]) -> Result<StatementResult, SqlError> {
        if params.len() != r.param_count {
            return Err(SqlError::new(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    r.param_count
                ),
            ));
        }
        self.user_mode.store(true, Ordering::Relaxed);
        let result = self.run_prepared(&r.sqlite, &r.tables, params, true);
        self.user_mode.store(false, Ordering::Relaxed);
        result
    }

    pub(super) fn plans_for(&mut self, sql: &str, dialect: sqlmap::Dialect) -> Result<Arc<Vec<Plan>>, SqlError> {
        if let Some(p) = self.plans.get(&self.signer.address).and_then(|c| c.of(dialect).get(sql)) {
            return Ok(p.clone());
        }
        // Plans depend on column types and on the signer's row filters: the
        // cache is emptied whenever the catalog changes.
        let view = acl::PolicyView { catalog: &self.catalog, types: &self.types, who: self.who() };
        let plans = Arc::new(sqlmap::plan_dialect(sql, &view, dialect)?);
        if self.plans.values().map(PlanCache::len).sum::<usize>() >= 10_000 {
            self.plans.clear();
        }
        let cache = self.plans.entry(self.signer.address.clone()).or_default();
        cache.of_mut(dialect).insert(sql.to_owned(), plans.clone());
        Ok(plans)
    }

    /// 42501 unless the signer holds every privilege the statement needs.
    /// What a statement touches is recorded the first time SQLite compiles
    /// it (the authorizer sees every table and column, through subqueries,
    /// CTEs, RETURNING and ON CONFLICT) and checked on every run.
    ///
    /// The views among `named` (what the plan reads) are checked with
    /// `acl::may_read`: SQLite reports no read of a view whose rows only
    /// `count(*)` reads, and reports that read as one of the view's table
    /// by the statement itself, which the view's check covers instead.
    pub(super) fn check_privileges(&mut self, sql: &str, named: &[String]) -> Result<(), SqlError> {
        let touches = match self.touches.get(sql) {
            Some(t) => t.clone(),
            None => {
                *self.recording.lock() = Some(Vec::new());
                let compiled = self.conn.prepare(sql).map(drop);
                let recorded = self.recording.lock().take().unwrap_or_default();
                compiled.map_err(|e| sql_error(&e))?;
                let recorded = Arc::new(recorded);
                if self.touches.len() >= 10_000 {
                    self.touches.clear();
                }
                self.touches.insert(sql.to_owned(), recorded.clone());
                recorded
            }
        };
        let is_admin = |a: &str| self.is_admin_address(a);
        for view in named.iter().filter(|t| self.catalog.get(*t).is_some_and(TableMeta::is_view)) {
            acl::may_read(&self.catalog, self.who(), view, &is_admin)?;
        }
        let through = acl::read_through_views(&self.catalog, named);
        if through.is_empty() {
            return acl::check_touches(&self.catalog, self.who(), &touches, &is_admin);
        }
        let own: Vec<Touch> =
            touches.iter().filter(|t| !matches!(t, Touch::Read(table) if through.contains(table))).cloned().collect();
        acl::check_touches(&self.catalog, self.who(), &own, &is_admin)
    }

    pub(super) fn execute_statement(
        &mut self,
        s: &Statement,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<Vec<StatementResult>, SqlError> {
        #[cfg(test)]
        if s.sql.contains(tests::PANIC_MARK) {
            panic!("injected fault in {}", s.sql);
        }
        let plans = self.plans_for(&s.sql, ctx.dialect)?;
        if plans.len() != 1 && !s.params.is_empty() {
            return Err(SqlError::new("42601", "cannot insert multiple commands into a prepared statement"));
        }
        let mut out = Vec::with_capacity(plans.len());
        for plan in plans.iter() {
            let r = match plan {
                Plan::Write(w) => self.run_write(w, &s.params, ctx.dialect)?,
                Plan::Ddl(d) => self.run_ddl(d, ctx, changes)?,
                Plan::Read(_) => {
                    return Err(SqlError::new(
                        "0A000",
                        "a SELECT is not part of a chain transaction; run it as a query",
                    ))
                }
                // Planning refused COPY ... TO before it became a read the
                // front ends answer; a signed one keeps that receipt.
                Plan::CopyOut(_) => return Err(SqlError::new("0A000", "COPY ... TO is not supported")),
                _ => {
                    return Err(SqlError::new(
                        "0A000",
                        "transaction control and session statements are not part of a chain transaction",
                    ))
                }
            };
            self.flush_sequences(changes)?;
            self.absorb_captured(changes)?;
            out.push(r);
        }
        Ok(out)
    }

    pub(super) fn run_write(
        &mut self,
        w: &sqlmap::WritePlan,
        params: &[Value],
        dialect: sqlmap::Dialect,
    ) -> Result<StatementResult, SqlError> {
        if params.len() != w.param_count {
            return Err(SqlError::new(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    w.param_count
                ),
            ));
        }
        if w.kind == sqlmap::WriteKind::Select {
            // It writes sequences only, whose functions check who may.
            self.user_mode.store(true, Ordering::Relaxed);
            let result = self.run_prepared(&w.sqlite, &w.tables_read, params, true);
            self.user_mode.store(false, Ordering::Relaxed);
            return result;
        }
        let Some(meta) = self.catalog.get(&w.table) else {
            return Err(SqlError::new("42P01", format!("relation \"{}\" does not exist", w.table)));
        };
        if meta.is_view() {
            let verb = match w.kind {
                sqlmap::WriteKind::Insert => "insert into",
                sqlmap::WriteKind::Update => "update",
                sqlmap::WriteKind::Delete | sqlmap::WriteKind::Select => "delete from",
            };
            return Err(SqlError::new("55000", format!("cannot {verb} view \"{}\"", w.table))
                .hinted("rowchain's views are read-only; write to the tables the view reads"));
        }
        if meta.is_materialized() {
            return Err(SqlError::new("42809", format!("cannot change materialized view \"{}\"", w.table)));
        }
        if w.replaces_rows() {
            may_replace(meta, self.who())?;
        }
        let serial = meta.columns.iter().any(|c| c.serial);
        let captured_before = self.captured.lock().len();
        self.sequences.lock().set_writing(Some(w.table.as_str()));
        self.user_mode.store(true, Ordering::Relaxed);
        let result = self.run_prepared(&w.sqlite, &w.tables_read, params, w.returning);
        self.user_mode.store(false, Ordering::Relaxed);
        self.sequences.lock().set_writing(None);
        let mut result = result?;
        if dialect == sqlmap::Dialect::MySql && w.kind != sqlmap::WriteKind::Delete {
            self.as_mysql_reports_it(w, serial, captured_before, &mut result);
        }
        Ok(result)
    }

    /// A MySQL INSERT's result as MySQL reports it: its insert id and, for
    /// `ON DUPLICATE KEY UPDATE`, its affected rows. Both come from the row
    /// changes the preupdate hook captured for this statement (from index
    /// `captured_before` on), so they depend only on the state and the
    /// statement: every validator and every replay computes the same values,
    /// which reach the receipt (a consensus rule). User triggers do not
    /// exist and policy triggers only check, so every insert or update of
    /// the target table captured here is the statement's own, except the
    /// updates a self-referencing foreign key's `ON UPDATE CASCADE` or
    /// `SET NULL` makes when an upsert changes a key: those count as the
    /// statement's updates (MySQL would not count them).
    ///
    /// Insert id: the rowid (which is the AUTO_INCREMENT column, an
    /// `INTEGER PRIMARY KEY`) of the first row the statement inserted, 0 when
    /// it inserted none (a conflict that updated instead, `INSERT IGNORE`
    /// that skipped every row) or the table has no AUTO_INCREMENT column.
    /// Approximation: SQLite does not say whether a rowid was generated or
    /// supplied, so an explicit id counts as if generated. That is what
    /// MySQL's `mysql_insert_id()` reports for a single-row insert with an
    /// explicit id; for a multi-row insert mixing supplied and generated ids
    /// MySQL reports the first generated one where this reports the first
    /// row's, and for one made only of supplied ids MySQL reports the last.
    /// (Reading `last_insert_rowid()` before and after would share the
    /// approximation and get `INSERT IGNORE` or upserts that skip rows
    /// wrong: their ids need not be consecutive.) A negative supplied id,
    /// which no AUTO_INCREMENT generates, counts as none.
    ///
    /// Affected rows, MySQL's default (without `CLIENT_FOUND_ROWS`): 1 per
    /// row inserted, 2 per row an `ON DUPLICATE KEY UPDATE` changed, 0 per
    /// row it left as it was; an UPDATE counts the rows it changed. SQLite
    /// counts every matched row once; the captured old and new row (rowid
    /// and every value) tell the two kinds of update apart. Only when the
    /// statement updated rows does the count change, so plain inserts keep
    /// SQLite's. REPLACE counts the rows it inserted and the rows it
    /// deleted to make room, as MySQL does. `rows_matched` keeps what CLIENT_FOUND_ROWS clients
    /// are told when it differs: an unchanged row counts 1.
    fn as_mysql_reports_it(
        &self,
        w: &sqlmap::WritePlan,
        serial: bool,
        captured_before: usize,
        result: &mut StatementResult,
    ) {
        let captured = self.captured.lock();
        let mut first_inserted = None;
        let (mut inserted, mut updated, mut changed, mut deleted) = (0u64, 0u64, 0u64, 0u64);
        for c in captured.get(captured_before..).unwrap_or_default().iter().filter(|c| c.table == w.table) {
            match (&c.old, &c.new) {
                (None, Some((rowid, _))) => {
                    inserted += 1;
                    first_inserted.get_or_insert(*rowid);
                }
                (Some(old), Some(new)) => {
                    updated += 1;
                    changed += u64::from(old != new);
                }
                (Some(_), None) => deleted += 1,
                _ => {}
            }
        }
        if serial {
            result.last_insert_id = first_inserted.and_then(|id| u64::try_from(id).ok()).unwrap_or(0);
        }
        if w.replaces_rows() && deleted > 0 && !w.returning {
            // REPLACE: the rows it deleted count too, as in MySQL.
            result.rows_affected = inserted + deleted;
        }
        if updated > 0 && !w.replaces_rows() && !w.returning {
            let (affected, matched) = match w.kind {
                sqlmap::WriteKind::Update => (changed, result.rows_affected),
                _ => (inserted + 2 * changed, inserted + 2 * changed + (updated - changed)),
            };
            result.rows_affected = affected;
            result.rows_matched = (matched != affected).then_some(matched);
        }
    }

    /// Runs one planned statement; `named` is what its plan reads.
    pub(super) fn run_prepared(
        &mut self,
        sql: &str,
        named: &[String],
        params: &[Value],
        returning: bool,
    ) -> Result<StatementResult, SqlError> {
        self.check_privileges(sql, named)?;
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| sql_error(&e))?;
        let p = crate::sqlvalue::params(params);
        if !returning {
            let n = stmt.execute(p).map_err(|e| sql_error(&e))?;
            return Ok(StatementResult { rows_affected: n as u64, ..Default::default() });
        }
        let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let ncol = columns.len();
        let mut rows = stmt.query(p).map_err(|e| sql_error(&e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sql_error(&e))? {
            if out.len() >= self.limits.result_rows_max {
                return Err(SqlError::new(
                    "54000",
                    format!(
                        "RETURNING produced more than {} rows (limits.result_rows_max)",
                        self.limits.result_rows_max
                    ),
                ));
            }
            out.push((0..ncol).map(|i| row.get_ref(i).map(crate::sqlvalue::value_of).unwrap_or(Value::Null)).collect());
        }
        Ok(StatementResult {
            rows_affected: out.len() as u64,
            returning: Some(RowSet { columns, rows: out }),
            ..Default::default()
        })
    }

    pub(super) fn user_exec(&mut self, sql: &str) -> Result<(), SqlError> {
        self.user_mode.store(true, Ordering::Relaxed);
        let r = self.conn.execute_batch(sql).map_err(|e| sql_error(&e));
        self.user_mode.store(false, Ordering::Relaxed);
        r
    }
}
