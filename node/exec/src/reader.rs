//! The read path: SELECTs answered from read-only SQLite connections (WAL lets
//! them run beside the executor's writes). Reads never go through consensus.

use crate::executor::{is_internal, register_now, sql_error};
use node_core::block::RowSet;
use node_core::value::Value;
use node_core::SqlError;
use parking_lot::Mutex;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// System views readers may see; every other internal table is hidden.
const VISIBLE_INTERNAL: [&str; 3] = ["__rc_blocks", "__rc_transactions", "__rc_imports"];

/// Extensions a front end installs on every read connection: the proxy's
/// catalog emulation and session functions. Both calls run with the
/// authorizer off, so they may read internal tables and write to databases
/// they attached themselves; they must never write to `main`.
pub trait ReadHooks: Send + Sync {
    /// Once per new connection.
    fn on_connect(&self, conn: &Connection) -> rusqlite::Result<()>;
    /// Before each query.
    fn before_query(&self, conn: &Connection, plan: &sqlmap::ReadPlan) -> rusqlite::Result<()>;
}

/// The view's applied height as a read connection sees it (0 before genesis).
pub fn applied_height(conn: &Connection) -> rusqlite::Result<u64> {
    use rusqlite::OptionalExtension;
    let h: Option<i64> =
        conn.query_row("SELECT value FROM __rc_meta WHERE key = 'height'", [], |r| r.get(0)).optional()?;
    Ok(h.unwrap_or(0) as u64)
}

/// Read-only, and a user statement reads no table of `main` its plan does
/// not list (`listed`): the front ends check privileges and row filters
/// against that list, so a statement that reaches further is refused
/// rather than answered. Statements are compiled once per text, and a text
/// always plans to the same list.
fn authorize_read(ctx: AuthContext<'_>, listed: Option<&[String]>) -> Authorization {
    match ctx.action {
        AuthAction::Select | AuthAction::Recursive => Authorization::Allow,
        AuthAction::Function { function_name } => {
            if function_name.eq_ignore_ascii_case("load_extension") {
                Authorization::Deny
            } else {
                Authorization::Allow
            }
        }
        AuthAction::Read { table_name, .. } => {
            // json_each and json_tree are SQLite's table-valued functions
            // (set-returning functions in FROM become them), not tables.
            let function = matches!(table_name, "json_each" | "json_tree");
            // Reads inside a view (SQLite names the view as the accessor)
            // are checked with the view: what it reads is in its metadata.
            let unlisted = ctx.database_name == Some("main")
                && !function
                && ctx.accessor.is_none()
                && listed.is_some_and(|tables| !tables.iter().any(|t| t == table_name));
            if unlisted || (is_internal(table_name) && !VISIBLE_INTERNAL.contains(&table_name)) {
                Authorization::Deny
            } else {
                Authorization::Allow
            }
        }
        _ => Authorization::Deny,
    }
}

/// A scratch connection's fence: user statements may create, change and
/// drop tables and indexes of the `temp` database, and read and write
/// them; they write nothing else (`main` is an empty in-memory database),
/// and run no ATTACH, PRAGMA or extension, and touch no internal `__rc_*`
/// table.
fn authorize_scratch(ctx: AuthContext<'_>) -> Authorization {
    use AuthAction as A;
    let temp = ctx.database_name == Some("temp");
    let allowed = match ctx.action {
        A::Select | A::Recursive | A::Reindex { .. } => true,
        A::Function { function_name } => !function_name.eq_ignore_ascii_case("load_extension"),
        // ALTER TABLE ADD COLUMN checks the table with a read-only quick_check.
        A::Pragma { pragma_name, .. } => pragma_name.eq_ignore_ascii_case("quick_check"),
        // `main` is empty; the catalog's attached databases are read-only to users.
        A::Read { table_name, .. } => !is_internal(table_name),
        A::Insert { table_name } | A::Update { table_name, .. } | A::Delete { table_name } => {
            let schema_table = matches!(table_name, "sqlite_master" | "sqlite_temp_master" | "sqlite_sequence");
            (temp || schema_table) && !is_internal(table_name)
        }
        A::CreateTempView { view_name, .. } | A::DropTempView { view_name, .. } => !is_internal(view_name),
        A::CreateTempTable { table_name }
        | A::DropTempTable { table_name }
        | A::CreateTempIndex { table_name, .. }
        | A::DropTempIndex { table_name, .. } => !is_internal(table_name),
        A::AlterTable { database_name, table_name } => database_name == "temp" && !is_internal(table_name),
        _ => false,
    };
    if allowed {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

/// `rc_temp_serial(key)`: the next value of the scratch database's counter
/// `key` (1, 2, ...), the default of a temporary table's serial column that
/// is not its rowid. Like a PostgreSQL sequence it never goes back, not
/// even when the insert that drew a value rolls back.
fn register_temp_serial(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    let counters: Mutex<std::collections::HashMap<String, i64>> = Mutex::default();
    conn.create_scalar_function("rc_temp_serial", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
        let key: String = ctx.get(0)?;
        let mut counters = counters.lock();
        let next = counters.entry(key).or_insert(0);
        *next = next
            .checked_add(1)
            .ok_or_else(|| rusqlite::Error::UserFunctionError("nextval: reached maximum value of sequence".into()))?;
        Ok(*next)
    })
}

/// The sequence functions on a read connection, where statements are only
/// prepared (to describe their result columns): a statement that calls
/// them is planned as a write, which the executor runs. Called here, they
/// fail as PostgreSQL's do in a read-only transaction.
fn register_sequence_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    let functions = [
        ("rc_nextval", 1),
        ("rc_setval", 2),
        ("rc_setval", 3),
        ("rc_currval", 1),
        ("rc_lastval", 0),
        ("rc_rowid_nextval", 2),
        ("rc_rowid_currval", 1),
    ];
    for (name, arity) in functions {
        let function = name.trim_start_matches("rc_").trim_start_matches("rowid_");
        conn.create_scalar_function(name, arity, FunctionFlags::SQLITE_UTF8, move |_| -> rusqlite::Result<i64> {
            Err(crate::pgfns::fail("25006", format!("cannot execute {function}() in a read-only transaction")))
        })?;
    }
    Ok(())
}

/// Whether the read running on this thread must stop (its client
/// cancelled it, or it outran its time budget).
type Stop = Arc<dyn Fn() -> bool + Send + Sync>;

thread_local! {
    /// The running read's [`Stop`]: every read connection's progress
    /// handler asks it, and so do functions that wait (`pg_sleep`), as
    /// SQLite's progress handler does not run while a function does.
    static STOP: std::cell::RefCell<Option<Stop>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `stop` as the thread's [`STOP`].
fn stoppable<R>(stop: Option<Stop>, f: impl FnOnce() -> R) -> R {
    let previous = STOP.with(|s| s.replace(stop));
    let r = f();
    STOP.with(|s| *s.borrow_mut() = previous);
    r
}

/// `pg_sleep(seconds)`: waits, in slices of at most 10 ms, until the time
/// has passed or the read must stop (then SQLite's interrupt: 57014, or a
/// read outrunning its inline budget moves to a blocking thread). Reads
/// only: the executor does not have it, so no write waits.
fn register_sleep(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function("pg_sleep", 1, FunctionFlags::SQLITE_UTF8, |ctx| {
        let seconds: Option<f64> = ctx.get(0)?;
        let seconds = seconds.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(0.0).min(1e9);
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        loop {
            if STOP.with(|s| s.borrow().as_ref().is_some_and(|stop| stop())) {
                return Err(crate::pgfns::fail("57014", "canceling statement due to user request".into()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(rusqlite::types::Value::Null);
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
    })
}

/// A pooled read connection and the switch that lifts its authorizer while
/// the hooks run.
struct ReadConn {
    conn: Connection,
    system: Arc<AtomicBool>,
    /// The tables the plan being compiled lists (see [`authorize_read`]).
    listed: Arc<Mutex<Option<Vec<String>>>>,
    /// `main`'s schema version when the statement cache was last checked.
    schema_version: AtomicI64,
}

impl ReadConn {
    /// Compiles (or finds compiled) a user plan's statement: only the
    /// tables the plan lists may be read.
    ///
    /// A cached statement compiled before the schema changed would name
    /// the old result columns until its first step recompiles it (a view
    /// replaced, a column added under `SELECT *`), so the cache is emptied
    /// whenever the schema version moved.
    fn prepare(&self, plan: &sqlmap::ReadPlan) -> Result<rusqlite::CachedStatement<'_>, SqlError> {
        self.fresh_cache("main")?;
        *self.listed.lock() = Some(plan.tables.clone());
        let stmt = self.conn.prepare_cached(&plan.sqlite);
        *self.listed.lock() = None;
        stmt.map_err(|e| sql_error(&e))
    }

    /// Empties the statement cache if `db`'s schema changed since the
    /// last look.
    fn fresh_cache(&self, db: &str) -> Result<(), SqlError> {
        self.system.store(true, Ordering::Relaxed);
        let version = self
            .conn
            .prepare_cached(&format!("PRAGMA {db}.schema_version"))
            .and_then(|mut stmt| stmt.query_row([], |r| r.get::<_, i64>(0)));
        self.system.store(false, Ordering::Relaxed);
        let version = version.map_err(|e| sql_error(&e))?;
        if self.schema_version.swap(version, Ordering::Relaxed) != version {
            self.conn.flush_prepared_statement_cache();
        }
        Ok(())
    }
}

pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<ReadConn>>,
    rows_max: usize,
    hooks: parking_lot::RwLock<Option<Arc<dyn ReadHooks>>>,
}

impl Reader {
    pub fn new(path: &Path, rows_max: usize) -> Arc<Self> {
        Arc::new(Reader { path: path.to_owned(), idle: Mutex::new(Vec::new()), rows_max, hooks: Default::default() })
    }

    /// Installs the front end's hooks; connections opened before are dropped.
    pub fn set_hooks(&self, hooks: Arc<dyn ReadHooks>) {
        *self.hooks.write() = Some(hooks);
        self.idle.lock().clear();
    }

    /// Opens a connection. It is read-write only so that hooks can fill
    /// in-memory databases they attach; the authorizer allows user
    /// statements nothing but reading.
    fn connect(&self) -> rusqlite::Result<ReadConn> {
        self.open(false)
    }

    /// A read connection to the view, or (`scratch`) a connection to an
    /// empty in-memory database whose `temp` database user statements may
    /// change (see [`Scratch`]).
    fn open(&self, scratch: bool) -> rusqlite::Result<ReadConn> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut c = if scratch {
            Connection::open_in_memory_with_flags(flags | OpenFlags::SQLITE_OPEN_CREATE)?
        } else {
            Connection::open_with_flags(&self.path, flags)?
        };
        c.execute_batch("PRAGMA case_sensitive_like=ON; PRAGMA cache_size=-16384;")?;
        if scratch {
            // Foreign keys between a session's temporary tables are enforced.
            c.execute_batch("PRAGMA foreign_keys=ON;")?;
            register_temp_serial(&c)?;
        }
        c.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
        register_now(&c, Arc::new(AtomicU64::new(0)))?;
        crate::pgfns::register(&c)?;
        register_sleep(&c)?;
        register_sequence_functions(&c)?;
        // Every few thousand SQLite VM steps: whether the running read must
        // stop (its `STOP`; none for the front end's own reads).
        c.progress_handler(4096, Some(|| STOP.with(|s| s.borrow().as_ref().is_some_and(|stop| stop()))))?;
        c.set_prepared_statement_cache_capacity(256);
        if let Some(h) = self.hooks.read().clone() {
            h.on_connect(&c)?;
        }
        let system = Arc::new(AtomicBool::new(false));
        let sys = system.clone();
        let listed: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let list = listed.clone();
        c.authorizer(Some(move |ctx: AuthContext<'_>| {
            if sys.load(Ordering::Relaxed) {
                Authorization::Allow
            } else if scratch {
                authorize_scratch(ctx)
            } else {
                authorize_read(ctx, list.lock().as_deref())
            }
        }))?;
        Ok(ReadConn { conn: c, system, listed, schema_version: AtomicI64::new(-1) })
    }

    /// A session's own scratch database for its temporary tables, which
    /// may hold up to `bytes_max` bytes.
    pub fn scratch(&self, bytes_max: u64) -> Result<Scratch, SqlError> {
        let conn = self.open(true).map_err(|e| sql_error(&e))?;
        // Pages are 4 KiB (SQLite's default); the temp database is created
        // by this first statement on it.
        let pages = (bytes_max / 4096).max(16);
        conn.system.store(true, Ordering::Relaxed);
        let sized =
            conn.conn.execute_batch(&format!("PRAGMA temp.page_size = 4096; PRAGMA temp.max_page_count = {pages};"));
        conn.system.store(false, Ordering::Relaxed);
        sized.map_err(|e| sql_error(&e))?;
        Ok(Scratch { conn, rows_max: self.rows_max, bytes_max })
    }

    /// Runs one planned SELECT. Blocking: call it off the async runtime.
    pub fn query(&self, plan: &sqlmap::ReadPlan, params: &[Value]) -> Result<RowSet, SqlError> {
        self.query_described(plan, params).map(|(_, rows)| rows)
    }

    /// The result columns of a planned SELECT and where each comes from,
    /// without running it.
    pub fn describe(&self, plan: &sqlmap::ReadPlan) -> Result<Vec<ColumnOrigin>, SqlError> {
        self.with_conn(|conn| Ok(origins(&*conn.prepare(plan)?)))
    }

    /// Runs `f` on a pooled connection with the authorizer off: for the front
    /// end's own reads of the view (its catalog, for instance), never for
    /// user SQL.
    pub fn system<R>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<R>) -> Result<R, SqlError> {
        let conn = match self.idle.lock().pop() {
            Some(c) => c,
            None => self.connect().map_err(|e| sql_error(&e))?,
        };
        conn.system.store(true, Ordering::Relaxed);
        let r = f(&conn.conn).map_err(|e| sql_error(&e));
        conn.system.store(false, Ordering::Relaxed);
        self.put_back(conn);
        r
    }

    fn with_conn<R>(&self, f: impl FnOnce(&ReadConn) -> Result<R, SqlError>) -> Result<R, SqlError> {
        let conn = match self.idle.lock().pop() {
            Some(c) => c,
            None => self.connect().map_err(|e| sql_error(&e))?,
        };
        let r = f(&conn);
        self.put_back(conn);
        r
    }

    fn put_back(&self, conn: ReadConn) {
        let mut idle = self.idle.lock();
        if idle.len() < 16 {
            idle.push(conn);
        }
    }

    /// [`Reader::query`] plus where each result column comes from.
    pub fn query_described(
        &self,
        plan: &sqlmap::ReadPlan,
        params: &[Value],
    ) -> Result<(Vec<ColumnOrigin>, RowSet), SqlError> {
        self.query_cancellable(plan, params, None)
    }

    /// [`Reader::query_described`] that stops with 57014 ("canceling
    /// statement due to user request") soon after `cancel` is set.
    pub fn query_cancellable(
        &self,
        plan: &sqlmap::ReadPlan,
        params: &[Value],
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<(Vec<ColumnOrigin>, RowSet), SqlError> {
        self.query_within(plan, params, cancel, None).and_then(|answer| {
            answer.ok_or_else(|| SqlError::new("XX000", "a query without a time budget gave no answer"))
        })
    }

    /// [`Reader::query_cancellable`] that gives up once the query has run
    /// for `budget`: `Ok(None)`, and the caller runs it again where a long
    /// wait harms nothing. The front end answers most reads on its own
    /// thread this way, sparing two thread hand-offs per point query.
    pub fn query_within(
        &self,
        plan: &sqlmap::ReadPlan,
        params: &[Value],
        cancel: Option<Arc<AtomicBool>>,
        budget: Option<Duration>,
    ) -> Result<Option<(Vec<ColumnOrigin>, RowSet)>, SqlError> {
        if params.len() != plan.param_count {
            return Err(SqlError::new(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    plan.param_count
                ),
            ));
        }
        let conn = self.idle.lock().pop();
        let conn = match conn {
            Some(c) => c,
            None => self.connect().map_err(|e| sql_error(&e))?,
        };
        if let Some(h) = self.hooks.read().clone() {
            conn.system.store(true, Ordering::Relaxed);
            let r = h.before_query(&conn.conn, plan);
            conn.system.store(false, Ordering::Relaxed);
            if let Err(e) = r {
                self.put_back(conn);
                return Err(sql_error(&e));
            }
        }
        let over_budget = Arc::new(AtomicBool::new(false));
        let watched = cancel.is_some() || budget.is_some();
        let stop: Option<Stop> = watched.then(|| {
            let deadline = budget.map(|b| Instant::now() + b);
            let over = over_budget.clone();
            let stop: Stop = Arc::new(move || {
                if cancel.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)) {
                    return true;
                }
                let late = deadline.is_some_and(|d| Instant::now() >= d);
                if late {
                    over.store(true, Ordering::Relaxed);
                }
                late
            });
            stop
        });
        let result = stoppable(stop, || self.run(&conn, plan, params));
        self.put_back(conn);
        match result {
            Err(_) if over_budget.load(Ordering::Relaxed) => Ok(None),
            Err(e) if e.sqlstate == "57014" => Err(SqlError::new("57014", "canceling statement due to user request")),
            other => other.map(Some),
        }
    }

    fn run(
        &self,
        conn: &ReadConn,
        plan: &sqlmap::ReadPlan,
        params: &[Value],
    ) -> Result<(Vec<ColumnOrigin>, RowSet), SqlError> {
        let mut stmt = conn.prepare(plan)?;
        let described = origins(&stmt);
        let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let n = columns.len();
        let mut rows = stmt.query(crate::sqlvalue::params(params)).map_err(|e| sql_error(&e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sql_error(&e))? {
            if out.len() >= self.rows_max {
                return Err(SqlError::new(
                    "54000",
                    format!("the result has more than {} rows (limits.result_rows_max); add a LIMIT", self.rows_max),
                ));
            }
            out.push((0..n).map(|i| row.get_ref(i).map(crate::sqlvalue::value_of).unwrap_or(Value::Null)).collect());
        }
        Ok((described, RowSet { columns, rows: out }))
    }
}

/// One session's scratch database: a private in-memory SQLite connection
/// with the read connections' functions (the hooks' `on_connect` ran, but
/// their catalog is never filled here), whose `temp` database holds the
/// session's temporary tables. It never sees the chain's tables, and
/// nothing in it reaches a validator. Blocking, like [`Reader`].
pub struct Scratch {
    conn: ReadConn,
    rows_max: usize,
    bytes_max: u64,
}

/// What a statement did in a [`Scratch`] database.
#[derive(Debug, Default)]
pub struct ScratchOutcome {
    pub origins: Vec<ColumnOrigin>,
    /// Its result rows (a read's, or a write's RETURNING rows); no columns
    /// for a statement without a result.
    pub rows: RowSet,
    /// Rows it inserted, updated or deleted.
    pub changed: u64,
    /// The rowid of the last row it inserted.
    pub last_rowid: i64,
}

impl Scratch {
    /// Runs one user statement (SQLite text, parameters `?1..?n`): a read
    /// of temporary tables, or a change to them. Stops with 57014 soon
    /// after `cancel` is set.
    pub fn run(
        &self,
        sqlite: &str,
        params: &[Value],
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<ScratchOutcome, SqlError> {
        let stop: Option<Stop> = cancel.map(|flag| {
            let stop: Stop = Arc::new(move || flag.load(Ordering::Relaxed));
            stop
        });
        let result = stoppable(stop, || self.step_all(sqlite, params));
        match result {
            Err(e) if e.sqlstate == "57014" => Err(SqlError::new("57014", "canceling statement due to user request")),
            other => other,
        }
    }

    fn step_all(&self, sqlite: &str, params: &[Value]) -> Result<ScratchOutcome, SqlError> {
        let conn = &self.conn.conn;
        let error = |e: rusqlite::Error| self.error(&e);
        self.conn.fresh_cache("temp")?;
        let mut stmt = conn.prepare_cached(sqlite).map_err(error)?;
        if stmt.parameter_count() != params.len() {
            return Err(SqlError::new(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    stmt.parameter_count()
                ),
            ));
        }
        let origins = origins(&stmt);
        let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let n = columns.len();
        let mut out = Vec::new();
        let mut rows = stmt.query(crate::sqlvalue::params(params)).map_err(error)?;
        while let Some(row) = rows.next().map_err(error)? {
            if out.len() >= self.rows_max {
                return Err(SqlError::new(
                    "54000",
                    format!("the result has more than {} rows (limits.result_rows_max); add a LIMIT", self.rows_max),
                ));
            }
            out.push((0..n).map(|i| row.get_ref(i).map(crate::sqlvalue::value_of).unwrap_or(Value::Null)).collect());
        }
        drop(rows);
        let writes = !stmt.readonly();
        drop(stmt);
        Ok(ScratchOutcome {
            origins,
            rows: RowSet { columns, rows: out },
            changed: if writes { conn.changes() } else { 0 },
            last_rowid: conn.last_insert_rowid(),
        })
    }

    /// A full scratch database is over its size limit, not a disk's.
    fn error(&self, e: &rusqlite::Error) -> SqlError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => SqlError::new(
                "53100",
                format!(
                    "this session's temporary tables would hold more than {} bytes (limits.temp_bytes_max)",
                    self.bytes_max
                ),
            ),
            _ => sql_error(e),
        }
    }

    /// The result columns of a statement, without running it.
    pub fn describe(&self, sqlite: &str) -> Result<Vec<ColumnOrigin>, SqlError> {
        let stmt = self.conn.conn.prepare_cached(sqlite).map_err(|e| sql_error(&e))?;
        Ok(origins(&stmt))
    }

    /// Runs `f` with the authorizer off: for the front end's own
    /// bookkeeping and transaction control, never for user SQL.
    pub fn system<R>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<R>) -> Result<R, SqlError> {
        self.conn.system.store(true, Ordering::Relaxed);
        let r = f(&self.conn.conn).map_err(|e| sql_error(&e));
        self.conn.system.store(false, Ordering::Relaxed);
        r
    }
}

/// A result column and, when it is a plain column reference, the table and
/// column it comes from (SQLite names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnOrigin {
    pub name: String,
    pub table: Option<String>,
    pub column: Option<String>,
}

fn origins(stmt: &rusqlite::Statement<'_>) -> Vec<ColumnOrigin> {
    stmt.columns_with_metadata()
        .map(|c| ColumnOrigin {
            name: c.name().to_owned(),
            table: c.table_name().map(str::to_owned),
            column: c.origin_name().map(str::to_owned),
        })
        .collect()
}
