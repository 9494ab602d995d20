//! One client's session, whatever its wire: settings, the transaction
//! block, and what each statement does. A wire turns its messages into
//! these calls and the [`Reply`]s back into its messages.
//!
//! - Reads run on the node's read connections, checked and filtered for
//!   the role, typed by the tables' declared types ([`crate::typing`]).
//! - An autocommit write (or the writes of one multi-statement query, which
//!   PostgreSQL runs as one implicit transaction) is one signed chain tx;
//!   the reply waits for its receipt ([`crate::submit`]).
//! - Inside `BEGIN ... COMMIT` every statement is a step: the node runs all
//!   steps so far against the latest applied state and rolls them back
//!   (speculation), the client gets the last step's real result, and the
//!   digest of each result it saw is kept. COMMIT submits the steps and the
//!   digests as one tx; the executor re-runs them at the tx's position and
//!   fails it with 40001 if anything the client saw came out different.
//!   ROLLBACK submits nothing ([`crate::block`]).

use crate::block::Block;
use crate::catalog::SessionInfo;
use crate::error::FrontendError;
use crate::types::ColumnType;
use node::Node;
use node_core::crypto::SecretKey;
use node_core::tx::Statement;
use node_core::value::Value;
use sqlmap::{Plan, SessionStmt, TxControl};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Set by a wire's cancel request: the session's running read stops with 57014.
pub type CancelFlag = AtomicBool;

/// How long a read may run on the caller's task before it is handed to a
/// blocking thread (and run again there).
const READ_INLINE_BUDGET: Duration = Duration::from_micros(500);

/// The last number `txid_current()` gave on this node.
static XACT_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A new transaction number: what `txid_current()` answers. It counts the
/// transactions of this node's sessions (a transaction block, or a
/// statement outside one), as PostgreSQL counts its transaction ids; it is
/// not a chain tx's identity (a block has none until COMMIT signs it) and
/// another node counts its own.
pub(crate) fn next_xact_id() -> u64 {
    XACT_IDS.fetch_add(1, Ordering::Relaxed) + 1
}

/// A result column: its name and declared type.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

/// What a statement produced.
#[derive(Debug)]
pub enum Reply {
    Rows {
        columns: Vec<Column>,
        rows: Vec<Vec<Value>>,
        tag: String,
    },
    /// A statement without rows, with PostgreSQL's command tag.
    Tag(String),
    /// `COPY ... FROM STDIN`: the wire collects the rows and hands them to
    /// [`Session::copy_in`].
    CopyIn(sqlmap::CopyPlan),
    /// `COPY ... TO STDOUT`: the rows, for the wire to send as COPY data in
    /// `format`.
    CopyOut {
        format: sqlmap::CopyFormat,
        columns: Vec<Column>,
        rows: Vec<Vec<Value>>,
    },
}

/// Where the session stands, as PostgreSQL's ReadyForQuery reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Idle,
    InBlock,
    /// Inside a transaction block that failed: only its end is accepted.
    FailedBlock,
}

pub struct Session {
    pub(crate) node: Arc<Node>,
    pub(crate) user: String,
    pub(crate) key: SecretKey,
    /// The role's account address and whether it is an admin: whom reads
    /// are checked and filtered for.
    pub(crate) address: String,
    admin: bool,
    /// Reads planned again with their row filters, by statement text, with
    /// the tables they were planned against (a new catalog plans anew).
    filtered: HashMap<String, (Arc<BTreeMap<String, node_core::catalog::TableMeta>>, sqlmap::ReadPlan)>,
    pub(crate) pid: i32,
    pub(crate) cancel: Arc<CancelFlag>,
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) block: Option<Block>,
    /// Reported settings changed by the last statement.
    pub(crate) changed: Vec<(String, String)>,
    /// The SQL dialect the client speaks: how its text is planned here and
    /// by every validator (it is signed into each tx).
    pub(crate) dialect: sqlmap::Dialect,
    /// The id the last statement generated for a MySQL AUTO_INCREMENT
    /// column (its insert id); 0 when it generated none.
    pub(crate) insert_id: u64,
    /// The rows the last MySQL statement matched, where that differs from
    /// the rows it affected (told to CLIENT_FOUND_ROWS clients).
    pub(crate) rows_matched: Option<u64>,
    /// The session's temporary tables and their scratch database, from
    /// its first `CREATE TEMP TABLE` on ([`crate::temp`]).
    pub(crate) temp: Option<crate::temp::TempTables>,
    /// The SQL-level cursors open ([`crate::cursor`]).
    pub(crate) cursors: crate::cursor::Cursors,
    /// The last statement's rows are in binary format: a FETCH from a
    /// `BINARY` cursor, whose rows the simple query protocol sends so.
    pub(crate) rows_binary: bool,
    /// The SQL-level prepared statements ([`crate::prepared`]).
    pub(crate) prepared: crate::prepared::PreparedStatements,
}

impl Session {
    /// A session of `user`, whose account key a login opened. `params` are
    /// the client's startup settings; `cancel` is the flag the wire's cancel
    /// request sets.
    pub fn new(
        node: Arc<Node>,
        user: String,
        key: SecretKey,
        pid: i32,
        params: &BTreeMap<String, String>,
        cancel: Arc<CancelFlag>,
    ) -> Self {
        let settings = crate::settings::defaults(&user, params);
        let account = key.public();
        Session {
            address: account.address(),
            admin: node.is_admin(&account),
            filtered: HashMap::new(),
            node,
            user,
            key,
            pid,
            cancel,
            settings,
            block: None,
            changed: Vec::new(),
            dialect: sqlmap::Dialect::Postgres,
            insert_id: 0,
            rows_matched: None,
            temp: None,
            cursors: crate::cursor::Cursors::default(),
            rows_binary: false,
            prepared: crate::prepared::PreparedStatements::default(),
        }
    }

    /// The session, speaking `dialect` (PostgreSQL's unless changed).
    pub fn with_dialect(mut self, dialect: sqlmap::Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    pub fn dialect(&self) -> sqlmap::Dialect {
        self.dialect
    }

    /// Sets a session setting that reads see through `current_setting`
    /// (the MySQL front end keeps its variables as `mysql.*`).
    pub fn set_setting(&mut self, name: &str, value: String) {
        self.settings.insert(name.to_ascii_lowercase(), value);
    }

    /// The id the last statement generated for an AUTO_INCREMENT column
    /// (MySQL's insert id, in the OK packet); 0 when it generated none.
    pub fn insert_id(&self) -> u64 {
        self.insert_id
    }

    /// The rows the last statement matched, where that differs from the
    /// rows it affected (a MySQL UPDATE that left rows as they were).
    pub fn rows_matched(&self) -> Option<u64> {
        self.rows_matched
    }

    /// Whether the last statement's rows are in binary format (a FETCH
    /// from a `BINARY` cursor): the simple query protocol sends them so;
    /// the extended protocol's Bind chooses formats itself.
    pub fn rows_binary(&self) -> bool {
        self.rows_binary
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn status(&self) -> Status {
        match &self.block {
            None => Status::Idle,
            Some(b) if b.failed => Status::FailedBlock,
            Some(_) => Status::InBlock,
        }
    }

    /// An error the wire reported fails the transaction block, if one is open.
    pub fn fail_block(&mut self) {
        if let Some(b) = &mut self.block {
            b.failed = true;
        }
    }

    pub(crate) fn info(&self) -> Arc<SessionInfo> {
        Arc::new(SessionInfo {
            user: self.user.clone(),
            database: self.node.config().pg.database.clone(),
            pid: self.pid,
            settings: self.settings.clone(),
            // Outside a block each statement is a transaction of its own.
            xact_id: self.block.as_ref().map(|b| b.xact_id).unwrap_or_else(next_xact_id),
            temp: self.temp.as_ref().and_then(|t| t.catalog()),
            prepared: self.prepared.rows(),
        })
    }

    /// Plans `sql` against the tables as of the latest block (the executor
    /// plans writes again against its own catalog): each statement's plan
    /// and text.
    pub fn plan(&mut self, sql: &str) -> Result<Vec<(Plan, String)>, FrontendError> {
        let max = self.node.config().limits.statement_bytes_max;
        if sql.len() > max {
            return Err(FrontendError::new(
                "54000",
                format!("the statement is {} bytes; the limit is {max} (limits.statement_bytes_max)", sql.len()),
            ));
        }
        let tables = self.tables();
        let types = self.user_types();
        let view = node_core::catalog::SchemaView(&tables, &types);
        // A block that changed the schema may have created types the
        // chain's catalog does not hold yet (the executor checks them).
        let plans = if self.block.as_ref().is_some_and(|b| b.ddl) {
            sqlmap::plan_with_text_dialect(sql, &sqlmap::TypesMayGrow(&view), self.dialect)?
        } else {
            sqlmap::plan_with_text_dialect(sql, &view, self.dialect)?
        };
        let path = self.settings.get("search_path").map_or("", String::as_str);
        if let Some(problem) = crate::settings::search_path_problem(path) {
            // A startup option set it (SET refuses it): only settings run.
            let reads =
                |plan: &Plan| matches!(plan, Plan::Session(SessionStmt::DeclareCursor(_) | SessionStmt::Execute(_)));
            if plans.iter().any(|(plan, _)| !matches!(plan, Plan::Session(_)) || reads(plan)) {
                return Err(problem);
            }
        }
        Ok(plans)
    }

    /// Whether `plans` (one multi-statement query) run as one implicit
    /// transaction, as PostgreSQL runs them: several writes outside a block,
    /// which [`Session::execute_writes`] submits as one chain tx.
    /// Statements on temporary tables run one by one, in the scratch database.
    pub fn is_implicit_tx(&self, plans: &[(Plan, String)]) -> bool {
        self.block.is_none()
            && plans.len() > 1
            && plans.iter().all(|(p, _)| {
                matches!(p, Plan::Write(_) | Plan::Ddl(_)) && matches!(self.route(p), Ok(crate::temp::Route::Chain))
            })
    }

    /// Runs one planned statement with its parameters.
    pub async fn execute(&mut self, plan: Plan, text: String, params: Vec<Value>) -> Result<Reply, FrontendError> {
        // A cancel that arrived between statements is dropped, as in PostgreSQL.
        self.cancel.store(false, Ordering::SeqCst);
        self.insert_id = 0;
        self.rows_matched = None;
        self.rows_binary = false;
        if let Some(b) = &self.block {
            let ends_block =
                matches!(plan, Plan::Transaction(TxControl::Commit | TxControl::Rollback | TxControl::RollbackTo(_)));
            if b.failed && !ends_block {
                return Err(FrontendError::new(
                    "25P02",
                    "current transaction is aborted, commands ignored until end of transaction block",
                ));
            }
        }
        let route = match &plan {
            Plan::Read(_) | Plan::Write(_) | Plan::Ddl(_) | Plan::Copy(_) => self.route(&plan)?,
            _ => crate::temp::Route::Chain,
        };
        if route == crate::temp::Route::Temp && !matches!(plan, Plan::Copy(_)) {
            return self.run_temp(plan, text, params).await;
        }
        if matches!(plan, Plan::Write(_) | Plan::Ddl(_) | Plan::Copy(_) | Plan::Role(_))
            && route == crate::temp::Route::Chain
        {
            self.check_writable(&plan)?;
        }
        match plan {
            Plan::Session(SessionStmt::DeclareCursor(d)) => self.declare_cursor(d, params).await,
            Plan::Session(SessionStmt::Fetch(f)) => self.fetch_cursor(f),
            Plan::Session(SessionStmt::CloseCursor(name)) => self.close_cursor(name),
            Plan::Session(SessionStmt::Prepare(p)) => self.prepare_statement(p),
            Plan::Session(SessionStmt::Execute(e)) => self.execute_prepared(e, params).await,
            Plan::Session(SessionStmt::Deallocate(name)) => self.deallocate(name),
            Plan::Session(s) => self.session_statement(s),
            Plan::Transaction(c) => self.transaction(c, text).await,
            Plan::Read(r) => self.execute_read(r, text, params).await,
            p @ (Plan::Write(_) | Plan::Ddl(_)) => {
                if self.block.is_some() {
                    return self.step(text, params, Some(p), None).await;
                }
                let r = self.autocommit(vec![Statement { sql: text, params }]).await?;
                Ok(self.write_reply(&p, r.into_iter().next().unwrap_or_default()))
            }
            Plan::Copy(c) => Ok(Reply::CopyIn(c)),
            Plan::CopyOut(c) => self.copy_out(c, params).await,
            Plan::Role(r) => {
                if self.block.is_some() {
                    return Err(FrontendError::new("25001", "role statements cannot run inside a transaction block"));
                }
                self.role(r).await
            }
            _ => Err(FrontendError::new("0A000", "this statement is not supported")),
        }
    }

    pub(crate) async fn execute_read(
        &mut self,
        r: sqlmap::ReadPlan,
        text: String,
        params: Vec<Value>,
    ) -> Result<Reply, FrontendError> {
        // Reads of the catalog or of no table at all (`SELECT version()`)
        // take the read path, with the session functions and the
        // catalog; once the block has run DDL, that catalog is the
        // one its speculation shows (an ORM reflecting the tables
        // it has just created, before COMMIT).
        let user_tables = self.tables();
        let catalog_only = r.tables.iter().all(|t| {
            t.starts_with("pg_catalog.")
                || t.starts_with("information_schema.")
                || (t.starts_with("pg_") && !user_tables.contains_key(t))
        });
        if self.block.is_some() && !catalog_only {
            let origins = self.node.reader().describe(&r).ok();
            self.step(text, params, None, origins).await
        } else {
            let catalog = match &self.block {
                Some(b) if b.ddl => self.block_catalog().await?,
                _ => None,
            };
            self.read(r, params, &text, catalog).await
        }
    }

    /// A read wherever its tables are, as [`Session::execute`] runs it: on
    /// the session's temporary tables, or the chain's (inside a transaction
    /// block, a step of its speculation). `text` is the read's own text.
    pub(crate) async fn read_rows(
        &mut self,
        r: sqlmap::ReadPlan,
        text: String,
        params: Vec<Value>,
    ) -> Result<Reply, FrontendError> {
        let plan = Plan::Read(r);
        if self.route(&plan)? == crate::temp::Route::Temp {
            return self.run_temp(plan, text, params).await;
        }
        match plan {
            Plan::Read(r) => self.execute_read(r, text, params).await,
            _ => Err(FrontendError::internal("a read became another statement")),
        }
    }

    /// The read as this role may run it: 42501 without SELECT on a table
    /// it names (or on what a view it names reads, as the view's reader),
    /// rows filtered by the tables' SELECT policies, and the tables its
    /// views read listed for the read connection's fence.
    pub(crate) fn secure(&mut self, r: sqlmap::ReadPlan, text: &str) -> Result<sqlmap::ReadPlan, FrontendError> {
        let tables = self.node.tables()?;
        if let Some((planned_for, secured)) = self.filtered.get(text) {
            if Arc::ptr_eq(planned_for, &tables) {
                return Ok(secured.clone());
            }
        }
        let types = self.user_types();
        let who = node_core::acl::Who { address: &self.address, name: &self.user, admin: self.admin };
        let admins = self.node.admin_addresses();
        let filtered = node_core::acl::secure_read(&tables, &types, who, &r, text, &|a| admins.contains(a))?;
        let through = node_core::acl::read_through_views(&tables, &r.tables);
        if filtered.is_none() && through.is_empty() {
            return Ok(r);
        }
        let mut secured = filtered.unwrap_or(r);
        secured.tables.extend(through);
        if self.filtered.len() >= 256 {
            self.filtered.clear();
        }
        self.filtered.insert(text.to_owned(), (tables, secured.clone()));
        Ok(secured)
    }

    pub(crate) async fn read(
        &mut self,
        r: sqlmap::ReadPlan,
        params: Vec<Value>,
        text: &str,
        catalog: Option<crate::catalog::BlockCatalog>,
    ) -> Result<Reply, FrontendError> {
        let r = self.secure(r, text)?;
        let node = self.node.clone();
        let info = self.info();
        let cancel = self.cancel.clone();
        // Most reads finish in microseconds: run them here, and hand only
        // those that outlast READ_INLINE_BUDGET (or rebuild the emulated
        // catalog) to a blocking thread, where they run again from the start.
        let inline = if crate::catalog::touches_catalog(&r) || catalog.is_some() {
            None
        } else {
            crate::catalog::with_session(info.clone(), || {
                node.reader().query_within(&r, &params, Some(cancel.clone()), Some(READ_INLINE_BUDGET))
            })?
        };
        let (origins, rows) = match inline {
            Some(answer) => answer,
            None => tokio::task::spawn_blocking(move || {
                crate::catalog::with_block_catalog(catalog, || {
                    crate::catalog::with_session(info, || node.reader().query_cancellable(&r, &params, Some(cancel)))
                })
            })
            .await
            .map_err(FrontendError::internal)??,
        };
        if self.cancel.swap(false, Ordering::SeqCst) {
            return Err(FrontendError::new("57014", "canceling statement due to user request"));
        }
        let columns = self.read_columns(&rows.columns, &rows.rows, Some(&origins), text);
        let n = rows.rows.len();
        Ok(Reply::Rows { columns, rows: rows.rows, tag: format!("SELECT {n}") })
    }

    /// The tables statements are planned and typed against: the
    /// transaction block's, once it has run DDL and its catalog is built,
    /// else the chain's as of the latest block (empty when they cannot be
    /// read; privilege checks use `Node::tables` and fail instead).
    /// The session's temporary tables are over them ([`crate::temp`]).
    pub(crate) fn tables(&mut self) -> Arc<BTreeMap<String, node_core::catalog::TableMeta>> {
        let chain = match self.block.as_ref().filter(|b| b.ddl).and_then(|b| b.catalog.as_ref()) {
            Some(catalog) => catalog.tables(),
            None => self.node.tables().unwrap_or_default(),
        };
        self.with_temp_tables(chain)
    }
}

impl Session {
    /// The user-defined types statements are planned and typed against:
    /// the transaction block's once it has run DDL, else the chain's as of
    /// the latest block; the session's temporary types (`pg_temp.name`)
    /// are over them.
    pub(crate) fn user_types(&mut self) -> Arc<node_core::usertype::UserTypes> {
        let chain = match self.block.as_ref().filter(|b| b.ddl).and_then(|b| b.catalog.as_ref()) {
            Some(catalog) => catalog.types(),
            None => self.node.user_types().unwrap_or_default(),
        };
        self.with_temp_types(chain)
    }

    /// The user-defined type a type OID names, if any.
    pub(crate) fn user_type_by_oid(&mut self, oid: u32) -> Option<sqlmap::UserType> {
        if oid < 16384 {
            return None;
        }
        self.user_types().values().find(|t| t.ty.oid == oid).map(|t| t.ty.clone())
    }

    /// The type a parameter of type `oid` decodes as on the wire: a
    /// domain's base type (PostgreSQL sends and takes a domain's values in
    /// its base type's formats), else `oid` itself.
    pub fn storage_oid(&mut self, oid: u32) -> u32 {
        match self.user_type_by_oid(oid).map(|t| t.kind) {
            Some(sqlmap::UserTypeKind::Domain(d)) => d.base.oid(),
            _ => oid,
        }
    }
}

/// Code that runs only inside a transaction block found none: a bug, reported, not a panic.
pub(crate) fn no_block() -> FrontendError {
    FrontendError::internal("not in a transaction block")
}
