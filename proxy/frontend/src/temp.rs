//! Temporary tables: `CREATE TEMP TABLE` (MySQL: `CREATE TEMPORARY TABLE`)
//! makes a table in the session's own scratch database
//! ([`node_exec::reader::Scratch`]), never a chain tx. The scratch
//! database is opened by the session's first temporary table and closed
//! with the session, so its tables go away at disconnect.
//!
//! - Statements that touch only temporary tables run there, at once:
//!   reads, writes, COPY FROM STDIN, CREATE/DROP INDEX, TRUNCATE, and
//!   ALTER TABLE's RENAME and ADD COLUMN.
//! - A temporary table shadows a chain table of the same name, as
//!   `pg_temp` comes first in PostgreSQL's `search_path`.
//! - A statement that mixes temporary and chain tables is refused with
//!   0A000: the validators cannot see a session's tables, and the scratch
//!   database cannot see the chain's.
//! - Inside a transaction block the scratch database has a transaction
//!   of its own, opened by the block's first statement on it: ROLLBACK
//!   undoes it (a table created in the block too), savepoints are
//!   mirrored, and COMMIT commits it once the chain tx (if any) is
//!   committed. `ON COMMIT DELETE ROWS | DROP` run at each commit, which
//!   outside a block is the end of every statement.
//!
//! The tables' metadata lives in the scratch database itself (its
//! `__rc_temp` table), so the scratch transaction undoes a DDL's metadata
//! together with its table.

use crate::error::FrontendError;
use crate::session::{Reply, Session};
use node_core::block::{RowSet, StatementResult};
use node_core::catalog::{Catalog, ColumnMeta, IndexMeta, TableMeta, ViewMeta};
use node_core::value::Value;
use node_core::SqlError;
use node_exec::reader::{Scratch, ScratchOutcome};
use sqlmap::{CommentOn, CopyPlan, DdlPlan, OnCommit, Plan, TxControl, WriteKind};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The metadata table: one row per temporary table.
const META_TABLE: &str =
    "CREATE TABLE temp.__rc_temp (name TEXT PRIMARY KEY, on_commit INTEGER NOT NULL, meta BLOB NOT NULL)";

/// The session's temporary types (`CREATE TYPE pg_temp.name`): one row each.
const TYPES_TABLE: &str = "CREATE TABLE temp.__rc_temp_types (name TEXT PRIMARY KEY, meta BLOB NOT NULL)";

/// Where a statement runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The chain (or the chain's read connections): no temporary table named.
    Chain,
    /// The session's scratch database.
    Temp,
}

/// One session's temporary tables.
pub(crate) struct TempTables {
    /// The scratch database; `None` only while a statement runs on it off
    /// the session's task.
    scratch: Option<Scratch>,
    /// The tables, as their metadata rows record them.
    tables: Arc<Catalog>,
    /// The session's types, by `pg_temp.name`.
    types: Arc<node_core::usertype::UserTypes>,
    /// The chain's types with these over them, and the chain's map that
    /// was built from.
    merged_types: Option<(Arc<node_core::usertype::UserTypes>, Arc<node_core::usertype::UserTypes>)>,
    on_commit: BTreeMap<String, OnCommit>,
    /// The scratch database has a transaction open: the transaction block's.
    in_tx: bool,
    /// The block's savepoints set since that transaction opened, in order.
    savepoints: Vec<String>,
    /// The chain's tables with these over them, and the chain catalog that
    /// was built from (rebuilt when either changes).
    merged: Option<(Arc<Catalog>, Arc<Catalog>)>,
    /// Numbers the tables' ids (an id keys nothing here; it is unique).
    created: u64,
    /// Whose the tables are and where the catalog shows them.
    owner: CatalogPlace,
    /// The tables as the session's catalog reads list them; `None` while
    /// there are none.
    catalog: Option<Arc<crate::catalog::TempCatalog>>,
}

/// What the catalog rows of a session's temporary tables name: the
/// session's role (name, account address), the number of its temporary
/// schema `pg_temp_N`, and the database.
pub(crate) struct CatalogPlace {
    role: String,
    address: String,
    number: u32,
    database: String,
}

fn temp_only(what: &str) -> FrontendError {
    FrontendError::new("0A000", format!("{what} mixes temporary tables with the chain's tables"))
        .hint("temporary tables live in this session only, where the validators cannot see them; copy the rows through the client, or use a permanent table")
}

fn unsupported_on_temp(what: &str) -> FrontendError {
    FrontendError::new("0A000", format!("{what} on a temporary table is not supported"))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn on_commit_code(o: OnCommit) -> i64 {
    match o {
        OnCommit::PreserveRows => 0,
        OnCommit::DeleteRows => 1,
        OnCommit::Drop => 2,
    }
}

impl TempTables {
    fn open(scratch: Scratch, owner: CatalogPlace) -> Result<Self, FrontendError> {
        scratch.system(|c| c.execute_batch(&format!("{META_TABLE}; {TYPES_TABLE}")))?;
        Ok(TempTables {
            scratch: Some(scratch),
            tables: Arc::default(),
            types: Arc::default(),
            merged_types: None,
            on_commit: BTreeMap::new(),
            in_tx: false,
            savepoints: Vec::new(),
            merged: None,
            created: 0,
            owner,
            catalog: None,
        })
    }

    fn scratch(&self) -> Result<&Scratch, FrontendError> {
        self.scratch.as_ref().ok_or_else(|| FrontendError::internal("the scratch database is in use"))
    }

    /// Reads the metadata back (after a DDL, a rollback or a savepoint's).
    fn reload(&mut self) -> Result<(), FrontendError> {
        let rows = self.scratch()?.system(|c| {
            let mut stmt = c.prepare("SELECT name, on_commit, meta FROM temp.__rc_temp")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>();
            rows
        })?;
        let types = self.scratch()?.system(|c| {
            let mut stmt = c.prepare("SELECT name, meta FROM temp.__rc_temp_types")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>();
            rows
        })?;
        let mut decoded = node_core::usertype::UserTypes::new();
        for (name, meta) in types {
            let meta = node_core::usertype::TypeMeta::decode(&meta)
                .map_err(|e| FrontendError::internal(format!("temporary type \"{name}\": {e:?}")))?;
            decoded.insert(name, meta);
        }
        self.types = Arc::new(decoded);
        self.merged_types = None;
        let mut tables = Catalog::new();
        let mut on_commit = BTreeMap::new();
        for (name, code, meta) in rows {
            let meta = TableMeta::decode(&meta)
                .map_err(|e| FrontendError::internal(format!("temporary table \"{name}\": {e:?}")))?;
            let o = match code {
                1 => OnCommit::DeleteRows,
                2 => OnCommit::Drop,
                _ => OnCommit::PreserveRows,
            };
            on_commit.insert(name.clone(), o);
            tables.insert(name, meta);
        }
        let place = &self.owner;
        self.catalog = if tables.is_empty() && self.types.is_empty() {
            None
        } else {
            let owner = (place.role.as_str(), place.address.as_str());
            let types = self.types.clone();
            let built = self.scratch()?.system(|c| {
                crate::catalog::TempCatalog::build(c, &tables, &types, owner, place.number, &place.database)
            })?;
            Some(Arc::new(built))
        };
        self.tables = Arc::new(tables);
        self.on_commit = on_commit;
        self.merged = None;
        Ok(())
    }

    /// The tables as the session's catalog reads list them.
    pub(crate) fn catalog(&self) -> Option<Arc<crate::catalog::TempCatalog>> {
        self.catalog.clone()
    }

    fn put_meta(&self, meta: &TableMeta, on_commit: OnCommit) -> Result<(), FrontendError> {
        self.scratch()?.system(|c| {
            c.execute(
                "INSERT OR REPLACE INTO temp.__rc_temp (name, on_commit, meta) VALUES (?1, ?2, ?3)",
                rusqlite::params![meta.name, on_commit_code(on_commit), meta.encode()],
            )
        })?;
        Ok(())
    }

    fn delete_meta(&self, name: &str) -> Result<(), FrontendError> {
        self.scratch()?.system(|c| c.execute("DELETE FROM temp.__rc_temp WHERE name = ?1", [name]))?;
        Ok(())
    }

    /// Runs `sql` (our own, not the user's) with the authorizer off.
    fn system(&self, sql: &str) -> Result<(), FrontendError> {
        self.scratch()?.system(|c| c.execute_batch(sql))?;
        Ok(())
    }

    /// Before `name` goes: the temporary views that read it go too with
    /// CASCADE (views over them first), else 2BP01 as on the chain.
    fn drop_dependent_views(&self, name: &str, kind: &str, cascade: bool) -> Result<(), FrontendError> {
        let dependents = |of: &str| -> Vec<String> {
            self.tables
                .values()
                .filter(|m| m.view.as_ref().is_some_and(|v| v.depends.iter().any(|d| d == of)))
                .map(|m| m.name.clone())
                .collect()
        };
        let mut order = Vec::new();
        let mut frontier = vec![name.to_owned()];
        while let Some(of) = frontier.pop() {
            for view in dependents(&of) {
                if order.contains(&view) || view == name {
                    continue;
                }
                if !cascade {
                    return Err(FrontendError::new(
                        "2BP01",
                        format!("cannot drop {kind} {name} because other objects depend on it"),
                    )
                    .hint("Use DROP ... CASCADE to drop the dependent objects too."));
                }
                frontier.push(view.clone());
                order.push(view);
            }
        }
        for view in order.iter().rev() {
            self.system(&format!("DROP VIEW IF EXISTS temp.{}", quote(view)))?;
            self.delete_meta(view)?;
        }
        Ok(())
    }

    /// The table whose index `name` is.
    fn index_table(&self, name: &str) -> Option<&TableMeta> {
        self.tables.values().find(|t| t.indexes.iter().any(|i| i.name == name))
    }

    /// Rolls the scratch transaction back, and the metadata with it.
    fn rollback_tx(&mut self) -> Result<(), FrontendError> {
        self.system("ROLLBACK")?;
        self.in_tx = false;
        self.savepoints.clear();
        self.reload()
    }

    /// What a commit does to tables with `ON COMMIT DELETE ROWS | DROP`.
    fn commit_actions(&mut self) -> Result<(), FrontendError> {
        let mut dropped = false;
        for (name, o) in self.on_commit.clone() {
            match o {
                OnCommit::PreserveRows => {}
                OnCommit::DeleteRows => self.system(&format!("DELETE FROM temp.{}", quote(&name)))?,
                OnCommit::Drop => {
                    self.system(&format!("DROP TABLE temp.{}", quote(&name)))?;
                    self.delete_meta(&name)?;
                    dropped = true;
                }
            }
        }
        if dropped {
            self.reload()?;
        }
        Ok(())
    }
}

impl Session {
    /// The session's temporary tables, when it has any.
    pub(crate) fn temp_tables(&self) -> Option<&Arc<Catalog>> {
        self.temp.as_ref().map(|t| &t.tables).filter(|t| !t.is_empty())
    }

    /// The chain's tables with the session's temporary tables over them
    /// (a temporary table shadows a chain table of its name).
    /// The chain's user-defined types with the session's temporary ones
    /// (keyed `pg_temp.name`) over them.
    pub(crate) fn with_temp_types(
        &mut self,
        chain: Arc<node_core::usertype::UserTypes>,
    ) -> Arc<node_core::usertype::UserTypes> {
        let Some(temp) = self.temp.as_mut().filter(|t| !t.types.is_empty()) else { return chain };
        if let Some((built_from, merged)) = &temp.merged_types {
            if Arc::ptr_eq(built_from, &chain) {
                return merged.clone();
            }
        }
        let mut merged = (*chain).clone();
        merged.extend(temp.types.iter().map(|(k, v)| (k.clone(), v.clone())));
        let merged = Arc::new(merged);
        temp.merged_types = Some((chain, merged.clone()));
        merged
    }

    pub(crate) fn with_temp_tables(&mut self, chain: Arc<Catalog>) -> Arc<Catalog> {
        let Some(temp) = self.temp.as_mut().filter(|t| !t.tables.is_empty()) else { return chain };
        if let Some((built_from, merged)) = &temp.merged {
            if Arc::ptr_eq(built_from, &chain) {
                return merged.clone();
            }
        }
        let mut merged = (*chain).clone();
        merged.extend(temp.tables.iter().map(|(k, v)| (k.clone(), v.clone())));
        let merged = Arc::new(merged);
        temp.merged = Some((chain, merged.clone()));
        merged
    }

    /// Where `plan` runs; an error for a statement that mixes temporary
    /// and chain tables, or does to a temporary table what only chain
    /// tables support.
    pub(crate) fn route(&self, plan: &Plan) -> Result<Route, FrontendError> {
        if let Plan::Ddl(DdlPlan::CreateTable(ct)) = plan {
            return Ok(if ct.temporary { Route::Temp } else { Route::Chain });
        }
        if let Plan::Ddl(DdlPlan::DropTable { temporary: true, .. } | DdlPlan::Type { temporary: true, .. }) = plan {
            return Ok(Route::Temp);
        }
        if let Plan::Ddl(DdlPlan::CreateView(cv)) = plan {
            return self.view_route(cv);
        }
        let Some(temp) = self.temp_tables() else { return Ok(Route::Chain) };
        let is_temp = |t: &String| temp.contains_key(t);
        // All named tables temporary: Temp; none: Chain; else refused.
        let all_or_none = |names: &mut dyn Iterator<Item = &String>, what: &str| {
            let (mut some, mut other) = (false, false);
            for n in names {
                if is_temp(n) {
                    some = true;
                } else {
                    other = true;
                }
            }
            match (some, other) {
                (false, _) => Ok(Route::Chain),
                (true, false) => Ok(Route::Temp),
                (true, true) => Err(temp_only(what)),
            }
        };
        match plan {
            // The catalog is a table of the chain's here: the scratch
            // database has none.
            Plan::Read(r) => all_or_none(&mut r.tables.iter(), "a query"),
            Plan::Write(w) => all_or_none(&mut std::iter::once(&w.table).chain(&w.tables_read), "a write"),
            Plan::Copy(c) => Ok(if is_temp(&c.table) { Route::Temp } else { Route::Chain }),
            Plan::Ddl(d) => match d {
                DdlPlan::DropTable { names, .. } => all_or_none(&mut names.iter(), "DROP TABLE"),
                DdlPlan::DropView { names, .. } => all_or_none(&mut names.iter(), "DROP VIEW"),
                DdlPlan::Truncate { names } => all_or_none(&mut names.iter(), "TRUNCATE"),
                DdlPlan::CreateIndex { table, .. }
                | DdlPlan::RenameTable { from: table, .. }
                | DdlPlan::AddColumn { table, .. }
                | DdlPlan::RenameColumn { table, .. } => Ok(if is_temp(table) { Route::Temp } else { Route::Chain }),
                DdlPlan::DropIndex { names, .. } => {
                    let owner = self.temp.as_ref();
                    let on_temp = names.iter().filter(|n| owner.is_some_and(|t| t.index_table(n).is_some())).count();
                    match on_temp {
                        0 => Ok(Route::Chain),
                        n if n == names.len() => Ok(Route::Temp),
                        _ => Err(temp_only("DROP INDEX")),
                    }
                }
                DdlPlan::AddPrimaryKey { table, .. } | DdlPlan::AddForeignKey { table, .. } if is_temp(table) => {
                    Err(unsupported_on_temp("this ALTER TABLE"))
                }
                DdlPlan::RowSecurity { table, .. } | DdlPlan::DropPolicy { table, .. } if is_temp(table) => {
                    Err(unsupported_on_temp("row-level security"))
                }
                DdlPlan::CreatePolicy(p) if is_temp(&p.table) => Err(unsupported_on_temp("CREATE POLICY")),
                DdlPlan::Grant(g) if g.tables.iter().any(is_temp) => Err(unsupported_on_temp("GRANT")),
                DdlPlan::Comment { on, .. } => {
                    let on_temp = match on {
                        CommentOn::Table(t)
                        | CommentOn::Column { table: t, .. }
                        | CommentOn::Constraint { table: t, .. } => is_temp(t),
                        CommentOn::Index(i) => self.temp.as_ref().is_some_and(|t| t.index_table(i).is_some()),
                        CommentOn::Schema(_) => false,
                    };
                    if on_temp {
                        Err(unsupported_on_temp("COMMENT"))
                    } else {
                        Ok(Route::Chain)
                    }
                }
                _ => Ok(Route::Chain),
            },
            _ => Ok(Route::Chain),
        }
    }

    /// Where a CREATE VIEW runs: a view over temporary tables is a
    /// temporary view (as PostgreSQL makes it one), a temporary view must
    /// read only temporary tables (the scratch database sees no other),
    /// and any other view is the chain's.
    fn view_route(&self, cv: &sqlmap::CreateView) -> Result<Route, FrontendError> {
        let temp = self.temp_tables();
        let on_temp = cv.tables.iter().filter(|t| temp.is_some_and(|m| m.contains_key(*t))).count();
        if on_temp > 0 && on_temp < cv.tables.len() {
            return Err(temp_only("CREATE VIEW"));
        }
        if on_temp > 0 && cv.materialized {
            return Err(FrontendError::new("0A000", "materialized views must not use temporary tables or views"));
        }
        if on_temp > 0 {
            return Ok(Route::Temp);
        }
        if cv.temporary {
            if !cv.tables.is_empty() {
                return Err(FrontendError::new("0A000", "a temporary view over the chain's tables is not supported")
                    .hint("a temporary view lives in this session's scratch database, which cannot see the chain's tables; create a view"));
            }
            return Ok(Route::Temp);
        }
        Ok(Route::Chain)
    }

    /// Runs `f` on the scratch database off the session's task, with the
    /// session functions in reach.
    async fn on_scratch<R: Send + 'static>(
        &mut self,
        f: impl FnOnce(&Scratch) -> Result<R, SqlError> + Send + 'static,
    ) -> Result<R, FrontendError> {
        let temp = self.temp.as_mut().ok_or_else(|| FrontendError::internal("no scratch database"))?;
        let scratch = temp.scratch.take().ok_or_else(|| FrontendError::internal("the scratch database is in use"))?;
        let info = self.info();
        let (scratch, r) = tokio::task::spawn_blocking(move || {
            let r = crate::catalog::with_session(info, || f(&scratch));
            (scratch, r)
        })
        .await
        .map_err(FrontendError::internal)?;
        if let Some(temp) = self.temp.as_mut() {
            temp.scratch = Some(scratch);
        }
        Ok(r?)
    }

    /// Opens the scratch database's transaction inside a block (and
    /// rolls back one a block ended without it).
    fn temp_sync_tx(&mut self) -> Result<(), FrontendError> {
        let in_block = self.block.is_some();
        let Some(temp) = self.temp.as_mut() else { return Ok(()) };
        match (in_block, temp.in_tx) {
            (true, false) => {
                temp.system("BEGIN")?;
                temp.in_tx = true;
            }
            (false, true) => temp.rollback_tx()?,
            _ => {}
        }
        Ok(())
    }

    /// Ends the scratch database's transaction with the block: `commit`
    /// once the chain tx (if any) is committed, else rolled back.
    pub(crate) fn temp_end_block(&mut self, commit: bool) -> Result<(), FrontendError> {
        let Some(temp) = self.temp.as_mut().filter(|t| t.in_tx) else { return Ok(()) };
        if commit {
            temp.in_tx = false;
            temp.savepoints.clear();
            temp.commit_actions()?;
            temp.system("COMMIT")
        } else {
            temp.rollback_tx()
        }
    }

    /// Mirrors a savepoint statement the block ran onto the scratch
    /// database's transaction.
    pub(crate) fn temp_savepoint(&mut self, c: &TxControl) -> Result<(), FrontendError> {
        let Some(temp) = self.temp.as_mut().filter(|t| t.in_tx) else { return Ok(()) };
        match c {
            TxControl::Savepoint(name) => {
                temp.system(&format!("SAVEPOINT {}", quote(name)))?;
                temp.savepoints.push(name.clone());
            }
            TxControl::Release(name) => match temp.savepoints.iter().rposition(|s| s == name) {
                Some(at) => {
                    temp.system(&format!("RELEASE {}", quote(name)))?;
                    temp.savepoints.truncate(at);
                }
                // Set before the scratch transaction opened: every
                // savepoint since is released with it.
                None => {
                    if let Some(first) = temp.savepoints.first().cloned() {
                        temp.system(&format!("RELEASE {}", quote(&first)))?;
                    }
                    temp.savepoints.clear();
                }
            },
            TxControl::RollbackTo(name) => {
                match temp.savepoints.iter().rposition(|s| s == name) {
                    Some(at) => {
                        temp.system(&format!("ROLLBACK TO {}", quote(name)))?;
                        temp.savepoints.truncate(at + 1);
                        temp.reload()?;
                    }
                    // Set before the scratch transaction opened: all of it
                    // is undone (the block's next statement opens another).
                    None => temp.rollback_tx()?,
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// After a statement on temporary tables outside a block: that was
    /// its transaction, so the `ON COMMIT` actions run.
    fn temp_statement_done(&mut self) -> Result<(), FrontendError> {
        if self.block.is_some() {
            return Ok(());
        }
        match self.temp.as_mut() {
            Some(temp) => temp.commit_actions(),
            None => Ok(()),
        }
    }

    /// Runs a statement [`Session::route`] sent to the scratch database.
    pub(crate) async fn run_temp(
        &mut self,
        plan: Plan,
        text: String,
        params: Vec<Value>,
    ) -> Result<Reply, FrontendError> {
        if self.temp.is_none() {
            let scratch = self.node.reader().scratch(self.node.config().limits.temp_bytes_max)?;
            let owner = CatalogPlace {
                role: self.user.clone(),
                address: self.address.clone(),
                number: self.pid.unsigned_abs(),
                database: self.node.config().pg.database.clone(),
            };
            self.temp = Some(TempTables::open(scratch, owner)?);
        }
        self.temp_sync_tx()?;
        let r = match plan {
            Plan::Ddl(d) => self.temp_ddl(d).await,
            Plan::Write(_) | Plan::Read(_) => self.temp_statement(plan, text, params).await,
            _ => Err(FrontendError::internal("a statement that cannot run on temporary tables was sent there")),
        };
        // A failed statement fails a PostgreSQL block as the wire reports
        // it (MySQL rolls back only the statement, which SQLite did).
        let reply = r?;
        self.temp_statement_done()?;
        Ok(reply)
    }

    /// A read or write of temporary tables. It is planned again against
    /// them: it may have been planned before they existed (a prepared
    /// statement, or a later statement of the query that created them).
    async fn temp_statement(&mut self, plan: Plan, text: String, params: Vec<Value>) -> Result<Reply, FrontendError> {
        let plan = match self.plan(&text) {
            Ok(mut plans) if plans.len() == 1 => plans.pop().map(|(p, _)| p).unwrap_or(plan),
            _ => plan,
        };
        let sqlite = match &plan {
            Plan::Read(r) => r.sqlite.clone(),
            Plan::Write(w) => w.sqlite.clone(),
            _ => return Err(FrontendError::internal("not a read or write")),
        };
        let cancel = self.cancel.clone();
        let out: ScratchOutcome = self.on_scratch(move |s| s.run(&sqlite, &params, Some(cancel))).await?;
        match &plan {
            Plan::Write(w) => {
                let serial = self
                    .temp_tables()
                    .and_then(|t| t.get(&w.table))
                    .is_some_and(|m| m.columns.iter().any(|c| c.serial));
                let first_id = out.last_rowid.saturating_sub(out.changed as i64 - 1);
                let last_insert_id = match (self.dialect, w.kind) {
                    (sqlmap::Dialect::MySql, WriteKind::Insert) if serial && out.changed > 0 => first_id.max(0) as u64,
                    _ => 0,
                };
                let r = StatementResult {
                    rows_affected: out.changed,
                    returning: w.returning.then_some(out.rows),
                    last_insert_id,
                    rows_matched: None,
                };
                Ok(self.write_reply(&plan, r))
            }
            _ => {
                let RowSet { columns, rows } = out.rows;
                let columns = self.read_columns(&columns, &rows, Some(&out.origins), &text);
                let n = rows.len();
                Ok(Reply::Rows { columns, rows, tag: format!("SELECT {n}") })
            }
        }
    }

    /// A schema change of temporary tables, with its metadata, as one
    /// statement (undone together if any part fails).
    async fn temp_ddl(&mut self, d: DdlPlan) -> Result<Reply, FrontendError> {
        let address = self.address.clone();
        let suite = self.node.suite();
        let temp = self.temp.as_mut().ok_or_else(|| FrontendError::internal("no scratch database"))?;
        temp.system("SAVEPOINT rc_temp_ddl")?;
        let r = temp_ddl_in(temp, suite, &d, &address);
        let end = if r.is_ok() { "RELEASE rc_temp_ddl" } else { "ROLLBACK TO rc_temp_ddl; RELEASE rc_temp_ddl" };
        temp.system(end)?;
        temp.reload()?;
        r.map(|tag| Reply::Tag(tag.into()))
    }

    /// The result columns of a statement on temporary tables, without running it.
    pub(crate) fn describe_temp(&self, sqlite: &str) -> Result<Vec<node_exec::reader::ColumnOrigin>, FrontendError> {
        let temp = self.temp.as_ref().ok_or_else(|| FrontendError::internal("no scratch database"))?;
        Ok(temp.scratch()?.describe(sqlite)?)
    }

    /// A read of temporary tables' result columns before it runs: planned
    /// again against them, typed by their columns where it names them,
    /// else by a trial run with NULL parameters.
    pub(crate) fn describe_temp_read(&mut self, text: &str) -> Result<Vec<crate::session::Column>, FrontendError> {
        let Some((Plan::Read(r), _)) = self.plan(text)?.pop() else {
            return Err(FrontendError::internal("a read planned as something else"));
        };
        let origins = self.describe_temp(&r.sqlite)?;
        let names: Vec<String> = origins.iter().map(|o| o.name.clone()).collect();
        let rows = if origins.iter().any(|o| o.table.is_none()) {
            let trial = format!("SELECT * FROM ({}) LIMIT 1", r.sqlite);
            let temp = self.temp.as_ref().ok_or_else(|| FrontendError::internal("no scratch database"))?;
            let info = self.info();
            crate::catalog::with_session(info, || {
                temp.scratch()?.run(&trial, &vec![Value::Null; r.param_count], None).map_err(FrontendError::from)
            })
            .map(|o| o.rows.rows)
            .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(self.read_columns(&names, &rows, Some(&origins), text))
    }

    /// `COPY ... FROM STDIN` into a temporary table: the rows as inserts
    /// of typed values, in one statement's worth of atomicity.
    pub(crate) async fn temp_copy_in(
        &mut self,
        plan: &CopyPlan,
        values: Vec<Vec<Value>>,
        columns: &[(String, u32)],
    ) -> Result<(), FrontendError> {
        self.temp_sync_tx()?;
        let col_list = columns.iter().map(|(c, _)| quote(c)).collect::<Vec<_>>().join(", ");
        let marks = (1..=columns.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let text = format!("INSERT INTO {} ({col_list}) VALUES ({marks})", quote(&plan.table));
        let sqlite = match self.plan(&text)?.pop() {
            Some((Plan::Write(w), _)) => w.sqlite,
            _ => return Err(FrontendError::internal("COPY's insert did not plan as a write")),
        };
        let cancel = self.cancel.clone();
        let r = self
            .on_scratch(move |s| {
                s.system(|c| c.execute_batch("SAVEPOINT rc_temp_copy"))?;
                let mut r = Ok(());
                for row in &values {
                    if let Err(e) = s.run(&sqlite, row, Some(cancel.clone())) {
                        r = Err(e);
                        break;
                    }
                }
                let end =
                    if r.is_ok() { "RELEASE rc_temp_copy" } else { "ROLLBACK TO rc_temp_copy; RELEASE rc_temp_copy" };
                s.system(|c| c.execute_batch(end))?;
                r
            })
            .await;
        r?;
        self.temp_statement_done()
    }
}

/// [`Session::temp_ddl`]'s work inside its savepoint; its command tag.
fn temp_ddl_in(
    temp: &mut TempTables,
    suite: node_core::crypto::Suite,
    d: &DdlPlan,
    owner: &str,
) -> Result<&'static str, FrontendError> {
    let run = |temp: &TempTables, sql: &str| -> Result<(), FrontendError> {
        temp.scratch()?.run(sql, &[], None)?;
        Ok(())
    };
    let table = |temp: &TempTables, name: &str| -> Result<TableMeta, FrontendError> {
        temp.tables
            .get(name)
            .cloned()
            .ok_or_else(|| FrontendError::new("42P01", format!("relation \"{name}\" does not exist")))
    };
    match d {
        DdlPlan::Type { plan, .. } => temp_type(temp, suite, plan, owner),
        DdlPlan::CreateTable(ct) => {
            if temp.tables.contains_key(&ct.name) {
                if ct.if_not_exists {
                    return Ok("CREATE TABLE");
                }
                return Err(FrontendError::new("42P07", format!("relation \"{}\" already exists", ct.name)));
            }
            run(temp, &ct.sqlite)?;
            // SQLite resolves a temporary table's REFERENCES among the
            // temporary tables only; PostgreSQL refuses any other.
            let name = ct.name.clone();
            let referenced = temp.scratch()?.system(|c| {
                let mut stmt = c.prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1, 'temp')")?;
                let rows =
                    stmt.query_map([&name], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<String>>>();
                rows
            })?;
            if referenced.iter().any(|t| *t != ct.name && !temp.tables.contains_key(t)) {
                return Err(FrontendError::new(
                    "42P16",
                    "constraints on temporary tables may reference only temporary tables",
                ));
            }
            temp.created += 1;
            let id = u128::from(temp.created).to_be_bytes();
            let meta = TableMeta::declared(ct, id, owner.to_owned(), 0)?;
            temp.put_meta(&meta, ct.on_commit)?;
            Ok("CREATE TABLE")
        }
        DdlPlan::DropTable { names, if_exists, cascade, .. } => {
            for name in names {
                let Some(meta) = temp.tables.get(name) else {
                    if *if_exists {
                        continue;
                    }
                    return Err(FrontendError::new("42P01", format!("table \"{name}\" does not exist")));
                };
                if meta.is_view() {
                    return Err(FrontendError::new("42809", format!("\"{name}\" is not a table"))
                        .hint("Use DROP VIEW to remove a view."));
                }
                temp.drop_dependent_views(name, "table", *cascade)?;
                run(temp, &format!("DROP TABLE temp.{}", quote(name)))?;
                temp.delete_meta(name)?;
            }
            Ok("DROP TABLE")
        }
        DdlPlan::CreateView(cv) => {
            match temp.tables.get(&cv.name) {
                Some(m) if !m.is_view() || !cv.or_replace => {
                    return Err(FrontendError::new("42P07", format!("relation \"{}\" already exists", cv.name)));
                }
                Some(_) => run(temp, &format!("DROP VIEW temp.{}", quote(&cv.name)))?,
                None => {}
            }
            run(temp, &cv.sqlite)?;
            let origins = temp.scratch()?.describe(&format!("SELECT * FROM temp.{}", quote(&cv.name)))?;
            let columns = origins
                .iter()
                .map(|o| {
                    let declared = o.table.as_ref().zip(o.column.as_ref()).and_then(|(t, c)| {
                        temp.tables.get(t)?.columns.iter().find(|m| m.name == *c).map(|m| m.pg_type.clone())
                    });
                    ColumnMeta::computed(o.name.clone(), declared.unwrap_or_else(|| "text".into()))
                })
                .collect();
            temp.created += 1;
            let mut depends = cv.tables.clone();
            depends.sort();
            depends.dedup();
            let view = ViewMeta {
                query: cv.query.clone(),
                column_names: cv.columns.clone(),
                security_invoker: cv.security_invoker,
                depends,
            };
            let id = u128::from(temp.created).to_be_bytes();
            let meta = TableMeta::new_view(id, cv.name.clone(), owner.to_owned(), columns, view);
            temp.put_meta(&meta, OnCommit::PreserveRows)?;
            Ok("CREATE VIEW")
        }
        DdlPlan::DropView { names, if_exists, cascade } => {
            for name in names {
                let Some(meta) = temp.tables.get(name) else {
                    if *if_exists {
                        continue;
                    }
                    return Err(FrontendError::new("42P01", format!("view \"{name}\" does not exist")));
                };
                if !meta.is_view() {
                    return Err(FrontendError::new("42809", format!("\"{name}\" is not a view"))
                        .hint("Use DROP TABLE to remove a table."));
                }
                temp.drop_dependent_views(name, "view", *cascade)?;
                run(temp, &format!("DROP VIEW temp.{}", quote(name)))?;
                temp.delete_meta(name)?;
            }
            Ok("DROP VIEW")
        }
        DdlPlan::Truncate { names } => {
            for name in names {
                run(temp, &format!("DELETE FROM temp.{}", quote(name)))?;
            }
            Ok("TRUNCATE TABLE")
        }
        DdlPlan::CreateIndex { name, table: on, unique, if_not_exists, sqlite } => {
            if temp.index_table(name).is_some() || temp.tables.contains_key(name) {
                if *if_not_exists {
                    return Ok("CREATE INDEX");
                }
                return Err(FrontendError::new("42P07", format!("relation \"{name}\" already exists")));
            }
            let mut meta = table(temp, on)?;
            run(temp, sqlite)?;
            meta.indexes.push(IndexMeta { name: name.clone(), unique: *unique, sqlite: sqlite.clone() });
            temp.put_meta(&meta, temp.on_commit.get(on).copied().unwrap_or_default())?;
            Ok("CREATE INDEX")
        }
        DdlPlan::DropIndex { names, .. } => {
            for name in names {
                let Some(mut meta) = temp.index_table(name).cloned() else { continue };
                run(temp, &format!("DROP INDEX temp.{}", quote(name)))?;
                meta.indexes.retain(|i| i.name != *name);
                temp.put_meta(&meta, temp.on_commit.get(&meta.name).copied().unwrap_or_default())?;
            }
            Ok("DROP INDEX")
        }
        DdlPlan::RenameTable { from, to, sqlite } => {
            if temp.tables.contains_key(to) {
                return Err(FrontendError::new("42P07", format!("relation \"{to}\" already exists")));
            }
            let mut meta = table(temp, from)?;
            let on_commit = temp.on_commit.get(from).copied().unwrap_or_default();
            run(temp, sqlite)?;
            temp.delete_meta(from)?;
            meta.name = to.clone();
            temp.put_meta(&meta, on_commit)?;
            Ok("ALTER TABLE")
        }
        DdlPlan::AddColumn { table: on, column, sqlite } => {
            let mut meta = table(temp, on)?;
            run(temp, sqlite)?;
            meta.columns.push(ColumnMeta::declared(column));
            temp.put_meta(&meta, temp.on_commit.get(on).copied().unwrap_or_default())?;
            Ok("ALTER TABLE")
        }
        DdlPlan::RenameColumn { table: on, from, to, sqlite } => {
            let mut meta = table(temp, on)?;
            run(temp, sqlite)?;
            for c in meta.columns.iter_mut().filter(|c| c.name == *from) {
                c.name = to.clone();
            }
            temp.put_meta(&meta, temp.on_commit.get(on).copied().unwrap_or_default())?;
            Ok("ALTER TABLE")
        }
        _ => Err(unsupported_on_temp("this statement")),
    }
}

/// A temporary type's statement (`pg_temp.name`), inside
/// [`Session::temp_ddl`]'s savepoint; its command tag. The checks are the
/// chain's (node_exec's `types`), on the session's own types.
fn temp_type(
    temp: &mut TempTables,
    suite: node_core::crypto::Suite,
    plan: &sqlmap::TypePlan,
    owner: &str,
) -> Result<&'static str, FrontendError> {
    use node_core::usertype::TypeMeta;
    use sqlmap::{TypePlan, UserTypeKind};
    let key = |name: &str| format!("pg_temp.{name}");
    let missing = |name: &str| FrontendError::new("42704", format!("type \"{name}\" does not exist"));
    let used_by = |temp: &TempTables, name: &str| {
        temp.tables
            .values()
            .find(|t| t.columns.iter().any(|c| c.user_type.as_deref() == Some(key(name).as_str())))
            .map(|t| t.name.clone())
    };
    let put = |temp: &TempTables, meta: &TypeMeta| -> Result<(), FrontendError> {
        temp.scratch()?.system(|c| {
            c.execute(
                "INSERT OR REPLACE INTO temp.__rc_temp_types (name, meta) VALUES (?1, ?2)",
                rusqlite::params![meta.name(), meta.encode()],
            )
        })?;
        Ok(())
    };
    let create = |temp: &mut TempTables, name: &str, kind: UserTypeKind| -> Result<(), FrontendError> {
        if temp.types.contains_key(&key(name)) || temp.tables.contains_key(name) {
            return Err(FrontendError::new("42710", format!("type \"{name}\" already exists")));
        }
        temp.created += 1;
        put(temp, &TypeMeta::new(suite, key(name), kind, owner.to_owned(), u64::MAX - temp.created))
    };
    let enum_labels = |temp: &TempTables, name: &str| -> Result<(TypeMeta, Vec<String>), FrontendError> {
        let meta = temp.types.get(&key(name)).cloned().ok_or_else(|| missing(name))?;
        match &meta.ty.kind {
            UserTypeKind::Enum(labels) => {
                if let Some(table) = used_by(temp, name) {
                    return Err(FrontendError::new(
                        "0A000",
                        format!("altering temporary type {name} while temporary table {table} uses it"),
                    ));
                }
                let labels = labels.clone();
                Ok((meta, labels))
            }
            UserTypeKind::Domain(_) => Err(FrontendError::new("42809", format!("{name} is not an enum"))),
        }
    };
    match plan {
        TypePlan::CreateEnum { name, labels } => {
            create(temp, name, UserTypeKind::Enum(labels.clone()))?;
            Ok("CREATE TYPE")
        }
        TypePlan::CreateDomain { name, domain } => {
            create(temp, name, UserTypeKind::Domain(domain.clone()))?;
            Ok("CREATE DOMAIN")
        }
        TypePlan::Drop { names, if_exists, domain, .. } => {
            for name in names {
                let Some(meta) = temp.types.get(&key(name)) else {
                    if *if_exists {
                        continue;
                    }
                    return Err(missing(name));
                };
                if *domain && !meta.is_domain() {
                    return Err(FrontendError::new("42809", format!("\"{name}\" is not a domain")));
                }
                if let Some(table) = used_by(temp, name) {
                    return Err(FrontendError::new(
                        "2BP01",
                        format!("cannot drop type {name} because other objects depend on it"),
                    )
                    .hint(format!("a column of table {table} depends on type {name}")));
                }
                temp.scratch()?
                    .system(|c| c.execute("DELETE FROM temp.__rc_temp_types WHERE name = ?1", [key(name)]))?;
            }
            Ok(plan.tag())
        }
        TypePlan::AddValue { name, label, if_not_exists, position } => {
            let (mut meta, labels) = enum_labels(temp, name)?;
            let added = sqlmap::add_label(&labels, label, *if_not_exists, position)
                .map_err(|(sqlstate, message)| FrontendError::new(sqlstate, message))?;
            if let Some(added) = added {
                meta.ty.kind = UserTypeKind::Enum(added);
                put(temp, &meta)?;
            }
            Ok("ALTER TYPE")
        }
        TypePlan::RenameValue { name, from, to } => {
            let (mut meta, mut labels) = enum_labels(temp, name)?;
            if labels.contains(to) {
                return Err(FrontendError::new("42710", format!("enum label \"{to}\" already exists")));
            }
            let slot = labels
                .iter_mut()
                .find(|l| *l == from)
                .ok_or_else(|| FrontendError::new("22023", format!("\"{from}\" is not an existing enum label")))?;
            slot.clone_from(to);
            meta.ty.kind = UserTypeKind::Enum(labels);
            put(temp, &meta)?;
            Ok("ALTER TYPE")
        }
    }
}
