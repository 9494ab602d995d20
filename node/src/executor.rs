//! The executor: applies a block's txs to the SQLite view, deterministically.
//!
//! One SQLite transaction per block and a savepoint per tx. Row changes are
//! captured with SQLite's preupdate hook as they happen; a tx that fails is
//! rolled back to its savepoint and its captured changes are dropped, so its
//! receipt records the SQLSTATE and no row changes. Captured changes become
//! state-tree leaf updates (`H(table id || primary key)` -> `H(row)`).
//!
//! User statements run under an SQLite authorizer that denies ATTACH, PRAGMA,
//! extension loading, triggers, views and any access to the internal
//! `__rc_*` tables; the executor's own bookkeeping runs with it switched off.

use crate::acl::{self, Touch, Who};
use crate::block::{Receipt, RowSet, StatementResult, TxFailure};
use crate::catalog::{account_label, account_value, privilege, Catalog, ColumnMeta, IndexMeta, TableMeta};
use crate::crypto::{self, Hash};
use crate::state_tree::Change;
use crate::tx::{Payload, RoleOp, SignedTx, Statement};
use crate::value::Value;
use parking_lot::Mutex;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization, PreUpdateCase};
use rusqlite::{params, Connection, OptionalExtension};
use sqlmap::{DdlPlan, Plan};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    #[error("SQLite view: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("SQLite view is inconsistent: {0}")]
    Inconsistent(String),
}

/// A statement-level failure: the SQLSTATE a PostgreSQL user expects and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub sqlstate: &'static str,
    pub message: String,
}

impl SqlError {
    pub fn new(sqlstate: &'static str, message: impl Into<String>) -> Self {
        Self { sqlstate, message: message.into() }
    }

    /// The message with a hint, as planning errors carry theirs.
    pub fn hinted(mut self, hint: &str) -> Self {
        self.message = format!("{} (hint: {hint})", self.message);
        self
    }
}

impl From<sqlmap::PlanError> for SqlError {
    fn from(e: sqlmap::PlanError) -> Self {
        let message = match &e.hint {
            Some(h) => format!("{} (hint: {h})", e.message),
            None => e.message.clone(),
        };
        SqlError { sqlstate: e.sqlstate, message }
    }
}

/// The receipt message of a tx whose execution panicked. Part of the
/// receipts root, so it is a consensus rule: it never carries the panic's own
/// text (which could differ between builds).
pub const TX_PANICKED: &str = "internal error: executing this transaction hit a bug in rowchain; it was rolled back";

/// Maps an SQLite error to the SQLSTATE PostgreSQL would report.
pub fn sql_error(e: &rusqlite::Error) -> SqlError {
    use rusqlite::ffi::{self as f};
    let msg = e.to_string();
    let code = match e {
        rusqlite::Error::SqliteFailure(fe, _) => fe.extended_code,
        _ => 0,
    };
    // A row a write policy refused (the policy triggers of crate::acl).
    if code == f::SQLITE_CONSTRAINT_TRIGGER {
        if let Some(e) = acl::policy_violation(&msg) {
            return e;
        }
    }
    // A PostgreSQL input function (crate::pgfns) failed with its own SQLSTATE.
    if let Some(at) = msg.find(crate::pgfns::SQLSTATE_PREFIX) {
        let rest = msg.get(at + crate::pgfns::SQLSTATE_PREFIX.len()..).unwrap_or_default();
        for &state in crate::pgfns::SQLSTATES {
            if let Some(message) = rest.strip_prefix(state).and_then(|r| r.strip_prefix(':')) {
                return SqlError { sqlstate: state, message: message.to_string() };
            }
        }
    }
    let state = match code {
        f::SQLITE_CONSTRAINT_UNIQUE | f::SQLITE_CONSTRAINT_PRIMARYKEY => "23505",
        f::SQLITE_CONSTRAINT_NOTNULL => "23502",
        f::SQLITE_CONSTRAINT_CHECK => "23514",
        f::SQLITE_CONSTRAINT_FOREIGNKEY => "23503",
        f::SQLITE_CONSTRAINT_DATATYPE | f::SQLITE_MISMATCH => "22P02",
        f::SQLITE_TOOBIG => "54000",
        f::SQLITE_AUTH => "42501",
        f::SQLITE_INTERRUPT => "57014",
        _ if msg.contains("no such table") => "42P01",
        _ if msg.contains("no such column") => "42703",
        _ if msg.contains("already exists") => "42P07",
        _ if msg.contains("no such function") => "42883",
        _ if msg.contains("syntax error") => "42601",
        _ if msg.contains("not authorized") => "42501",
        _ if msg.contains("integer overflow") => "22003",
        _ if msg.contains("division by zero") => "22012",
        _ => "XX000",
    };
    let message = match state {
        "23505" => format!("duplicate key value violates unique constraint ({msg})"),
        "23502" => format!("null value violates not-null constraint ({msg})"),
        "23514" => format!("new row violates check constraint ({msg})"),
        "23503" => format!("insert or update violates foreign key constraint ({msg})"),
        "22P02" => format!("invalid input value for the column's type ({msg})"),
        "42501" => format!("permission denied ({msg})"),
        _ => msg,
    };
    SqlError { sqlstate: state, message }
}

const INTERNAL_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS __rc_meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_accounts(address TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, public_key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_role_attrs(address TEXT PRIMARY KEY, create_role INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_tables(name TEXT PRIMARY KEY, id BLOB NOT NULL UNIQUE, meta BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_seen(tx_hash BLOB PRIMARY KEY, expires_at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS __rc_seen_expiry ON __rc_seen(expires_at_ms);
CREATE TABLE IF NOT EXISTS __rc_blocks(height INTEGER PRIMARY KEY, hash TEXT NOT NULL, prev_hash TEXT NOT NULL,
  time TEXT NOT NULL, tx_count INTEGER NOT NULL, state_root TEXT NOT NULL, proposer TEXT NOT NULL, signers TEXT);
CREATE TABLE IF NOT EXISTS __rc_transactions(tx_hash TEXT PRIMARY KEY, height INTEGER NOT NULL, tx_index INTEGER NOT NULL,
  account TEXT NOT NULL, statement TEXT NOT NULL, status TEXT NOT NULL, sqlstate TEXT, rows_affected INTEGER NOT NULL,
  error TEXT);
";

/// Formats milliseconds since the epoch as PostgreSQL prints a timestamptz in
/// UTC: the form every stored timestamptz has (see [`crate::pgtime`]).
pub fn format_timestamp(ms: u64) -> String {
    // Saturates rather than overflow: a header's time is a peer's word.
    crate::pgtime::format_timestamp(i64::try_from(ms).unwrap_or(i64::MAX).saturating_mul(1000), true)
}

/// Registers `rc_now()`: the block time on the executor's connection, the
/// wall clock on readers'.
pub fn register_now(conn: &Connection, clock: Arc<AtomicU64>) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "rc_now",
        0,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS | FunctionFlags::SQLITE_DETERMINISTIC,
        move |_| {
            let ms = clock.load(Ordering::Relaxed);
            let ms = if ms == 0 {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0)
            } else {
                ms
            };
            Ok(format_timestamp(ms))
        },
    )
}

pub fn is_internal(name: &str) -> bool {
    name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("__rc_"))
}

fn authorize(ctx: AuthContext<'_>) -> Authorization {
    use AuthAction as A;
    let table = match ctx.action {
        // ALTER TABLE ADD COLUMN runs a read-only quick_check of the table itself.
        A::Pragma { pragma_name, .. } if pragma_name.eq_ignore_ascii_case("quick_check") => {
            return Authorization::Allow
        }
        A::Attach { .. } | A::Detach { .. } | A::Pragma { .. } => return Authorization::Deny,
        A::CreateTrigger { .. } | A::CreateTempTrigger { .. } | A::CreateView { .. } | A::CreateTempView { .. } => {
            return Authorization::Deny
        }
        A::CreateTempTable { .. } | A::CreateTempIndex { .. } | A::CreateVtable { .. } | A::DropVtable { .. } => {
            return Authorization::Deny
        }
        // CREATE INDEX reports a reindex of the new index; that is allowed.
        A::Transaction { .. } | A::Savepoint { .. } | A::Analyze { .. } => return Authorization::Deny,
        A::Function { function_name } => {
            let denied = ["load_extension", "random", "randomblob", "changes", "total_changes", "last_insert_rowid"];
            if denied.iter().any(|d| d.eq_ignore_ascii_case(function_name)) {
                return Authorization::Deny;
            }
            return Authorization::Allow;
        }
        A::Read { table_name, .. }
        | A::Insert { table_name }
        | A::Update { table_name, .. }
        | A::Delete { table_name }
        | A::CreateTable { table_name }
        | A::DropTable { table_name }
        | A::CreateIndex { table_name, .. }
        | A::DropIndex { table_name, .. }
        | A::AlterTable { table_name, .. } => table_name,
        _ => return Authorization::Allow,
    };
    if is_internal(table) {
        Authorization::Deny
    } else {
        Authorization::Allow
    }
}

/// What a user statement touches, recorded while SQLite compiles it: what
/// privileges it needs (see [`acl::check_touches`]). Accesses from inside
/// the policy triggers are not the user's: policies run with the owner's
/// rights.
fn record_touch(ctx: &AuthContext<'_>, touches: &mut Vec<Touch>) {
    if ctx.database_name.is_some_and(|d| d != "main") || ctx.accessor.is_some_and(|a| a.starts_with("__rc_rls_")) {
        return;
    }
    let touch = match ctx.action {
        AuthAction::Read { table_name, .. } => Touch::Read(table_name.to_owned()),
        AuthAction::Insert { table_name } => Touch::Insert(table_name.to_owned()),
        AuthAction::Update { table_name, column_name } => {
            Touch::Update { table: table_name.to_owned(), column: column_name.to_owned() }
        }
        AuthAction::Delete { table_name } => Touch::Delete(table_name.to_owned()),
        _ => return,
    };
    if !touches.contains(&touch) {
        touches.push(touch);
    }
}

/// The role whose tx is running, for the checks and for the SQL functions
/// `current_user`, `rc_account()`, `rc_is_admin()` and `rowchain.tx_hash()`.
#[derive(Debug, Clone, Default)]
struct Signer {
    address: String,
    name: String,
    admin: bool,
    tx_hash: Option<String>,
}

fn register_signer_functions(conn: &Connection, signer: Arc<Mutex<Signer>>) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    // Not deterministic (they change per tx) but innocuous: allowed in the
    // policy triggers and column DEFAULTs.
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS;
    for name in ["current_user", "session_user", "user", "current_role"] {
        let s = signer.clone();
        conn.create_scalar_function(name, 0, flags, move |_| Ok(s.lock().name.clone()))?;
    }
    let s = signer.clone();
    conn.create_scalar_function("rc_account", 0, flags, move |_| Ok(s.lock().address.clone()))?;
    let s = signer.clone();
    conn.create_scalar_function("rc_is_admin", 0, flags, move |_| Ok(s.lock().admin as i64))?;
    conn.create_scalar_function("rc_tx_hash", 0, flags, move |_| Ok(signer.lock().tx_hash.clone()))
}

/// A row change captured by the preupdate hook.
struct RowChange {
    table: String,
    old: Option<(i64, Vec<Value>)>,
    new: Option<(i64, Vec<Value>)>,
}

/// A row as the preupdate hook saw it: rowid and values.
type CapturedRow = Option<(i64, Vec<Value>)>;

fn capture(case: &PreUpdateCase) -> (CapturedRow, CapturedRow) {
    let old = |a: &rusqlite::hooks::PreUpdateOldValueAccessor| {
        let n = a.get_column_count();
        let vals = (0..n).map(|i| a.get_old_column_value(i).map(Value::from_sql).unwrap_or(Value::Null)).collect();
        (a.get_old_row_id(), vals)
    };
    let new = |a: &rusqlite::hooks::PreUpdateNewValueAccessor| {
        let n = a.get_column_count();
        let vals = (0..n).map(|i| a.get_new_column_value(i).map(Value::from_sql).unwrap_or(Value::Null)).collect();
        (a.get_new_row_id(), vals)
    };
    match case {
        PreUpdateCase::Insert(n) => (None, Some(new(n))),
        PreUpdateCase::Delete(o) => (Some(old(o)), None),
        PreUpdateCase::Update { old_value_accessor, new_value_accessor } => {
            (Some(old(old_value_accessor)), Some(new(new_value_accessor)))
        }
        PreUpdateCase::Unknown => (None, None),
    }
}

/// Limits the executor enforces on what one tx may produce.
#[derive(Debug, Clone, Copy)]
pub struct ExecLimits {
    pub result_rows_max: usize,
}

/// What the view has applied: the last block and its state root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub height: u64,
    pub block_hash: Hash,
}

pub struct Executor {
    conn: Connection,
    /// Set while a user statement is compiled for the first time: what it touches.
    recording: Arc<Mutex<Option<Vec<Touch>>>>,
    /// What each user statement (SQLite text) touches; emptied with the plans.
    touches: HashMap<String, Arc<Vec<Touch>>>,
    /// The running tx's signer, as the checks see it.
    signer: Signer,
    /// The same, for the SQL functions.
    signer_fns: Arc<Mutex<Signer>>,
    captured: Arc<Mutex<Vec<RowChange>>>,
    user_mode: Arc<AtomicBool>,
    clock: Arc<AtomicU64>,
    catalog: Catalog,
    accounts: HashMap<[u8; 32], String>,
    /// Roles with CREATEROLE: they may create and drop roles.
    create_roles: std::collections::HashSet<[u8; 32]>,
    /// Plans by signer address, then statement: reads of tables with
    /// SELECT policies are planned for their reader.
    plans: HashMap<String, HashMap<String, Arc<Vec<Plan>>>>,
    limits: ExecLimits,
    in_block: bool,
    /// Blocks open on top of the first one, each behind a savepoint (see
    /// [`Executor::begin_block`]).
    stacked: u32,
    /// Set when the running tx ran DDL: only then must a failure reload the catalog.
    catalog_touched: bool,
    /// Genesis roles: they may create and drop roles.
    superusers: std::collections::HashSet<[u8; 32]>,
    /// The height whose catalog the speculation copy last loaded.
    speculated_at: u64,
}

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
    pub fn encode(&self, w: &mut crate::codec::Writer) {
        match self {
            StepOutcome::Done(r) => {
                w.u8(1).u64(r.rows_affected);
                match &r.returning {
                    None => {
                        w.u8(0);
                    }
                    Some(rs) => {
                        w.u8(1).u32(rs.columns.len() as u32).u32(rs.rows.len() as u32);
                        for row in &rs.rows {
                            w.fixed(&crate::value::encode_row(row));
                        }
                    }
                }
            }
            StepOutcome::Failed { sqlstate, .. } => {
                w.u8(2).str(sqlstate);
            }
            StepOutcome::Control => {
                w.u8(3);
            }
        }
    }

    pub fn digest(&self) -> Hash {
        let mut w = crate::codec::Writer::with_capacity(64);
        self.encode(&mut w);
        crypto::hash(&w.finish())
    }
}

/// The digest a transaction block commits to: every step's outcome, in order.
pub fn observed_digest(outcomes: &[StepOutcome]) -> Hash {
    let parts: Vec<Hash> = outcomes.iter().map(StepOutcome::digest).collect();
    digest_of(&parts)
}

/// [`observed_digest`] from the steps' own digests.
pub fn digest_of(parts: &[Hash]) -> Hash {
    let refs: Vec<&[u8]> =
        std::iter::once(b"rowchain/observed/v1".as_slice()).chain(parts.iter().map(|p| p.as_slice())).collect();
    crypto::hash_parts(&refs)
}

/// True when the statement text plans to reads and transaction control only.
fn is_read_only(sql: &str) -> bool {
    sqlmap::plan(sql).map(|ps| ps.iter().all(|p| matches!(p, Plan::Read(_) | Plan::Transaction(_)))).unwrap_or(false)
}

/// The leaf updates of a block: ordered, last write wins.
pub type Changes = BTreeMap<Hash, Change>;

/// The result of executing a block's txs.
pub struct BlockOutcome {
    pub receipts: Vec<Receipt>,
    pub changes: Changes,
}

impl Executor {
    pub fn open(path: &Path, limits: ExecLimits) -> Result<Self, ExecError> {
        let mut conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
             PRAGMA case_sensitive_like=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;
             PRAGMA wal_autocheckpoint=0;",
        )?;
        // A misspelled "column" must be an error, not a string literal.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
        conn.execute_batch(INTERNAL_SCHEMA)?;
        // Views written before blocks recorded their signers gain the column.
        let has_signers: bool =
            conn.prepare("SELECT 1 FROM pragma_table_info('__rc_blocks') WHERE name = 'signers'")?.exists([])?;
        if !has_signers {
            conn.execute_batch("ALTER TABLE __rc_blocks ADD COLUMN signers TEXT")?;
        }
        conn.set_prepared_statement_cache_capacity(512);
        // The block producer and the speculation executor share the write
        // lock for milliseconds at a time: wait in short steps, not SQLite's
        // default millisecond-scale sleeps.
        conn.busy_handler(Some(|attempt: i32| {
            std::thread::sleep(std::time::Duration::from_micros(50));
            attempt < 200_000
        }))?;
        let clock = Arc::new(AtomicU64::new(1));
        register_now(&conn, clock.clone())?;
        crate::pgfns::register(&conn)?;
        let signer_fns = Arc::new(Mutex::new(Signer::default()));
        register_signer_functions(&conn, signer_fns.clone())?;
        let user_mode = Arc::new(AtomicBool::new(false));
        let um = user_mode.clone();
        let recording: Arc<Mutex<Option<Vec<Touch>>>> = Arc::new(Mutex::new(None));
        let rec = recording.clone();
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            if !um.load(Ordering::Relaxed) {
                return Authorization::Allow;
            }
            if let Some(touches) = rec.lock().as_mut() {
                record_touch(&ctx, touches);
            }
            authorize(ctx)
        }))?;
        let captured: Arc<Mutex<Vec<RowChange>>> = Arc::new(Mutex::new(Vec::new()));
        let cap = captured.clone();
        conn.preupdate_hook(Some(move |_action, db: &str, table: &str, case: &PreUpdateCase| {
            if db != "main" || is_internal(table) || table.starts_with("sqlite_") {
                return;
            }
            let (old, new) = capture(case);
            cap.lock().push(RowChange { table: table.to_owned(), old, new });
        }))?;
        let mut ex = Executor {
            conn,
            recording,
            touches: HashMap::new(),
            signer: Signer::default(),
            signer_fns,
            captured,
            user_mode,
            clock,
            catalog: Catalog::new(),
            accounts: HashMap::new(),
            create_roles: Default::default(),
            plans: HashMap::new(),
            limits,
            in_block: false,
            stacked: 0,
            catalog_touched: false,
            superusers: Default::default(),
            speculated_at: u64::MAX,
        };
        ex.load_catalog()?;
        Ok(ex)
    }

    /// Forgets plans and recorded touches: the catalog changed.
    fn forget_plans(&mut self) {
        self.plans.clear();
        self.touches.clear();
    }

    /// Makes `account` the signer of what runs next.
    fn set_signer(&mut self, account: &crypto::PublicKey, tx_hash: Option<&Hash>) {
        let signer = Signer {
            address: account.address(),
            name: self.accounts.get(&account.0).cloned().unwrap_or_default(),
            admin: self.superusers.contains(&account.0),
            tx_hash: tx_hash.map(hex::encode),
        };
        *self.signer_fns.lock() = signer.clone();
        self.signer = signer;
    }

    fn who(&self) -> Who<'_> {
        Who { address: &self.signer.address, name: &self.signer.name, admin: self.signer.admin }
    }

    fn load_catalog(&mut self) -> Result<(), ExecError> {
        self.forget_plans();
        let mut stmt = self.conn.prepare("SELECT name, meta FROM __rc_tables")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        for row in rows {
            let (name, meta) = row?;
            let meta = TableMeta::decode(&meta).map_err(|e| ExecError::Inconsistent(format!("table {name}: {e}")))?;
            self.catalog.insert(name, meta);
        }
        let mut stmt = self.conn.prepare(
            "SELECT a.public_key, a.name, coalesce(r.create_role, 0) FROM __rc_accounts a LEFT JOIN __rc_role_attrs r USING (address)",
        )?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
        for row in rows {
            let (pk, name, create_role) = row?;
            let pk: [u8; 32] = pk.try_into().map_err(|_| ExecError::Inconsistent("account key length".into()))?;
            self.accounts.insert(pk, name);
            if create_role {
                self.create_roles.insert(pk);
            }
        }
        Ok(())
    }

    /// Genesis roles, which may create and drop roles.
    pub fn set_superusers(&mut self, keys: impl IntoIterator<Item = crypto::PublicKey>) {
        self.superusers = keys.into_iter().map(|k| k.0).collect();
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn account_name(&self, key: &[u8; 32]) -> Option<&str> {
        self.accounts.get(key).map(String::as_str)
    }

    pub fn applied(&self) -> Result<Option<Applied>, ExecError> {
        let h: Option<i64> =
            self.conn.query_row("SELECT value FROM __rc_meta WHERE key = 'height'", [], |r| r.get(0)).optional()?;
        let hash: Option<Vec<u8>> =
            self.conn.query_row("SELECT value FROM __rc_meta WHERE key = 'block_hash'", [], |r| r.get(0)).optional()?;
        match (h, hash) {
            (Some(h), Some(hash)) => Ok(Some(Applied {
                height: h as u64,
                block_hash: hash.try_into().map_err(|_| ExecError::Inconsistent("block hash length".into()))?,
            })),
            _ => Ok(None),
        }
    }

    /// Opens the block's SQLite transaction.
    ///
    /// A block begun while another is open (not yet committed) stacks on it
    /// behind a savepoint: a BFT engine may have to execute a block on top of
    /// a parent that is notarized but not yet final. [`Executor::pop_block`]
    /// drops the top block alone.
    pub fn begin_block(&mut self, timestamp_ms: u64) -> Result<(), ExecError> {
        if self.in_block {
            self.conn.execute_batch(&format!("SAVEPOINT rc_block_{}", self.stacked))?;
            self.stacked += 1;
        } else {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        self.clock.store(timestamp_ms.max(1), Ordering::Relaxed);
        self.captured.lock().clear();
        self.in_block = true;
        Ok(())
    }

    /// Whether the tx hash was executed and has not yet expired.
    pub fn seen(&self, tx_hash: &Hash) -> Result<bool, ExecError> {
        let mut st = self.conn.prepare_cached("SELECT 1 FROM __rc_seen WHERE tx_hash = ?1")?;
        Ok(st.exists([tx_hash.as_slice()])?)
    }

    /// Adds accounts (genesis, and later CREATE ROLE) inside the open block.
    pub fn add_account(
        &mut self,
        name: &str,
        key: &crypto::PublicKey,
        create_role: bool,
        changes: &mut Changes,
    ) -> Result<(), ExecError> {
        assert!(self.in_block);
        let address = key.address();
        self.conn.execute(
            "INSERT INTO __rc_accounts(address, name, public_key) VALUES (?1, ?2, ?3)",
            params![address, name, key.0.as_slice()],
        )?;
        if create_role {
            self.conn.execute("INSERT INTO __rc_role_attrs(address, create_role) VALUES (?1, 1)", [&address])?;
            self.create_roles.insert(key.0);
        }
        self.accounts.insert(key.0, name.to_owned());
        let label = account_label(&address);
        changes.insert(crypto::hash(&label), Some((account_value(name, &key.0, create_role), label)));
        Ok(())
    }

    /// Executes one tx in its own savepoint. A failure rolls back the tx's
    /// rows and leaves only its receipt; its id is remembered either way.
    pub fn execute_tx(
        &mut self,
        tx: &SignedTx,
        height: u64,
        index: u32,
        changes: &mut Changes,
    ) -> Result<Receipt, ExecError> {
        assert!(self.in_block);
        self.run_internal("SAVEPOINT tx")?;
        self.captured.lock().clear();
        let mut tx_changes = Changes::new();
        self.catalog_touched = false;
        let tx_hash = tx.hash();
        self.set_signer(&tx.body.account, Some(&tx_hash));
        let mut ctx = StmtCtx { height, index, stmt_index: 0, owner: self.signer.address.clone() };
        // A bug that panics while running this tx fails this tx alone: the
        // same bug panics the same way on every validator, so every validator
        // writes the same XX000 receipt and the block goes on.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.run_payload(&tx.body.payload, &tx.body.account, &mut ctx, &mut tx_changes)
        }));
        let outcome = match run {
            Ok(outcome) => outcome?,
            Err(panic) => {
                tracing::error!(
                    tx = %hex::encode(tx_hash),
                    panic = crate::fault::panic_text(panic.as_ref()),
                    "a bug panicked while executing this tx: the tx fails with XX000 and the block goes on"
                );
                self.recover_from_panic();
                Err(TxFailure { statement_index: 0, sqlstate: "XX000".into(), message: TX_PANICKED.into() })
            }
        };
        self.user_mode.store(false, Ordering::Relaxed);
        let (results, failure) = match outcome {
            Ok(results) => {
                self.run_internal("RELEASE tx")?;
                changes.extend(tx_changes);
                (results, None)
            }
            Err(f) => {
                self.run_internal("ROLLBACK TO tx")?;
                self.run_internal("RELEASE tx")?;
                if self.catalog_touched {
                    // Catalog edits of the failed tx are undone by reloading it.
                    self.reload_catalog()?;
                }
                (Vec::new(), Some(f))
            }
        };
        self.captured.lock().clear();
        let receipt = Receipt { tx_hash, results, failure };
        self.record_tx(tx, &receipt, height, index, &ctx.owner)?;
        Ok(receipt)
    }

    /// Runs a tx's payload; the outer error is the node's, the inner the tx's.
    fn run_payload(
        &mut self,
        payload: &Payload,
        account: &crypto::PublicKey,
        ctx: &mut StmtCtx,
        changes: &mut Changes,
    ) -> Result<Result<Vec<StatementResult>, TxFailure>, ExecError> {
        Ok(match payload {
            Payload::Sql(stmts) => self.run_statements(stmts, ctx, changes),
            Payload::Interactive { steps, observed } => {
                self.run_interactive(steps, ctx, changes, true)?.and_then(|(results, outcomes)| {
                    if observed_digest(&outcomes) == *observed {
                        Ok(results)
                    } else {
                        Err(TxFailure {
                            statement_index: steps.len() as u32,
                            sqlstate: "40001".into(),
                            message: "could not serialize access due to concurrent update: a transaction committed \
                                      before this one changed data it read or wrote"
                                .into(),
                        })
                    }
                })
            }
            Payload::Role(op) => self.run_role(op, account, changes).map(|r| vec![r]).map_err(|e| TxFailure {
                statement_index: 0,
                sqlstate: e.sqlstate.into(),
                message: e.message,
            }),
        })
    }

    /// After a panic unwound out of a tx or a speculation: nothing the
    /// executor caches may be trusted, so drop it; the caller rolls back.
    fn recover_from_panic(&mut self) {
        self.user_mode.store(false, Ordering::Relaxed);
        *self.recording.lock() = None;
        self.captured.lock().clear();
        self.catalog_touched = true;
    }

    fn reload_catalog(&mut self) -> Result<(), ExecError> {
        self.catalog.clear();
        self.accounts.clear();
        self.create_roles.clear();
        self.load_catalog()
    }

    fn run_statements(
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

    /// Runs a client's transaction block step by step, as PostgreSQL would
    /// have: savepoints nest inside the tx's own, a failed step is an
    /// outcome (the client saw the error) that only `ROLLBACK TO` may
    /// follow. Returns the writes' results for the receipt and every step's
    /// outcome for the observed-result check.
    #[allow(clippy::type_complexity)]
    fn run_interactive(
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
            let plans = match self.plans_for(&s.sql) {
                Ok(p) => p,
                Err(e) => return fail(i, e.sqlstate, e.message),
            };
            let [plan] = plans.as_slice() else {
                return fail(i, "42601", "a transaction step must be exactly one statement".into());
            };
            let quoted = |name: &str| format!("\"u:{}\"", name.replace('"', "\"\""));
            match plan {
                Plan::Transaction(sqlmap::TxControl::RollbackTo(name)) => {
                    let Some(pos) = marks.iter().rposition(|(n, _)| n == name) else {
                        return fail(i, "3B001", format!("savepoint \"{name}\" does not exist"));
                    };
                    marks.truncate(pos + 1);
                    self.run_internal(&format!("ROLLBACK TO {}", quoted(name)))?;
                    self.captured.lock().clear();
                    if let Some((_, at_mark)) = marks.last() {
                        *changes = at_mark.clone();
                    }
                    if self.catalog_touched {
                        self.reload_catalog()?;
                    }
                    aborted = false;
                    outcomes.push(StepOutcome::Control);
                }
                _ if aborted => {
                    return fail(
                        i,
                        "25P02",
                        "current transaction is aborted, commands ignored until end of transaction block".into(),
                    )
                }
                Plan::Transaction(sqlmap::TxControl::Savepoint(name)) => {
                    self.run_internal(&format!("SAVEPOINT {}", quoted(name)))?;
                    marks.push((name.clone(), changes.clone()));
                    outcomes.push(StepOutcome::Control);
                }
                Plan::Transaction(sqlmap::TxControl::Release(name)) => {
                    let Some(pos) = marks.iter().rposition(|(n, _)| n == name) else {
                        return fail(i, "3B001", format!("savepoint \"{name}\" does not exist"));
                    };
                    self.run_internal(&format!("RELEASE {}", quoted(name)))?;
                    marks.truncate(pos);
                    outcomes.push(StepOutcome::Control);
                }
                Plan::Read(r) => {
                    let out = self.run_read(r, &s.params);
                    outcomes.push(match out {
                        Ok(r) => StepOutcome::Done(r),
                        Err(e) => {
                            aborted = true;
                            StepOutcome::Failed { sqlstate: e.sqlstate.into(), message: e.message }
                        }
                    });
                }
                Plan::Write(_) | Plan::Ddl(_) => match self.execute_statement(s, ctx, changes) {
                    Ok(mut r) => {
                        let r = r.pop().unwrap_or_default();
                        results.push(r.clone());
                        outcomes.push(StepOutcome::Done(r));
                    }
                    Err(e) => {
                        // SQLite undid the failed statement; drop what the hook saw of it.
                        self.captured.lock().clear();
                        aborted = true;
                        outcomes.push(StepOutcome::Failed { sqlstate: e.sqlstate.into(), message: e.message });
                    }
                },
                _ => return fail(i, "0A000", "this statement cannot be part of a transaction block".into()),
            }
        }
        // While speculating, a block may end in an error the client has yet to
        // roll back to a savepoint; a block that commits may not.
        if aborted && committing {
            return fail(steps.len(), "25P02", "the transaction block ended in an error; it cannot commit".into());
        }
        Ok(Ok((results, outcomes)))
    }

    fn run_read(&mut self, r: &sqlmap::ReadPlan, params: &[Value]) -> Result<StatementResult, SqlError> {
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
        let result = self.run_prepared(&r.sqlite, params, true);
        self.user_mode.store(false, Ordering::Relaxed);
        result
    }

    /// Role administration: genesis roles (superusers) and roles with
    /// CREATEROLE create and drop roles (never a genesis role); a role may
    /// change its own password.
    fn run_role(
        &mut self,
        op: &RoleOp,
        signer: &crypto::PublicKey,
        changes: &mut Changes,
    ) -> Result<StatementResult, SqlError> {
        self.catalog_touched = true;
        let superuser = self.superusers.contains(&signer.0);
        let create_role = superuser || self.create_roles.contains(&signer.0);
        let signer_name = self.accounts.get(&signer.0).cloned().unwrap_or_default();
        let find = |ex: &Self, name: &str| ex.accounts.iter().find(|(_, n)| *n == name).map(|(k, _)| *k);
        let internal = |e: ExecError| SqlError::new("XX000", e.to_string());
        match op {
            RoleOp::Create { name, public_key, create_role: with_create_role } => {
                if !create_role {
                    return Err(SqlError::new("42501", "permission denied to create role"));
                }
                if name.is_empty() || name.len() > 63 || name.starts_with("pg_") || is_internal(name) {
                    return Err(SqlError::new("42939", format!("role name \"{name}\" is reserved or invalid")));
                }
                if find(self, name).is_some() || self.accounts.contains_key(&public_key.0) {
                    return Err(SqlError::new("42710", format!("role \"{name}\" already exists")));
                }
                self.add_account(name, public_key, *with_create_role, changes).map_err(internal)?;
            }
            RoleOp::SetPassword { name } => {
                if find(self, name).is_none() {
                    return Err(SqlError::new("42704", format!("role \"{name}\" does not exist")));
                }
                if !superuser && signer_name != *name {
                    return Err(SqlError::new("42501", "permission denied to alter role"));
                }
            }
            RoleOp::Drop { name } => {
                if !create_role {
                    return Err(SqlError::new("42501", "permission denied to drop role"));
                }
                let Some(key) = find(self, name) else {
                    return Err(SqlError::new("42704", format!("role \"{name}\" does not exist")));
                };
                if key == signer.0 {
                    return Err(SqlError::new("55006", "current user cannot be dropped"));
                }
                if !superuser && self.create_roles.contains(&key) {
                    return Err(SqlError::new(
                        "42501",
                        format!("permission denied to drop role \"{name}\" (it has CREATEROLE; only admins drop it)"),
                    ));
                }
                if self.superusers.contains(&key) {
                    return Err(SqlError::new(
                        "42501",
                        format!("permission denied to drop role \"{name}\" (a genesis role)"),
                    ));
                }
                let address = crypto::PublicKey(key).address();
                let owned: Vec<&str> =
                    self.catalog.values().filter(|t| t.owner == address).map(|t| t.name.as_str()).collect();
                if !owned.is_empty() {
                    return Err(SqlError::new(
                        "2BP01",
                        format!(
                            "role \"{name}\" cannot be dropped because some objects depend on it (owner of table {})",
                            owned.join(", ")
                        ),
                    ));
                }
                let named = |t: &&TableMeta| {
                    t.acl.iter().any(|g| g.grantee == address) || t.policies.iter().any(|p| p.roles.contains(&address))
                };
                let granted: Vec<&str> = self.catalog.values().filter(named).map(|t| t.name.as_str()).collect();
                if !granted.is_empty() {
                    return Err(SqlError::new(
                        "2BP01",
                        format!(
                            "role \"{name}\" cannot be dropped because some objects depend on it (privileges or policies on table {})",
                            granted.join(", ")
                        ),
                    ));
                }
                self.conn
                    .execute("DELETE FROM __rc_accounts WHERE address = ?1", [&address])
                    .map_err(|e| sql_error(&e))?;
                self.conn
                    .execute("DELETE FROM __rc_role_attrs WHERE address = ?1", [&address])
                    .map_err(|e| sql_error(&e))?;
                self.accounts.remove(&key);
                self.create_roles.remove(&key);
                changes.insert(crypto::hash(&account_label(&address)), None);
            }
        }
        Ok(StatementResult::default())
    }

    /// Runs a transaction block's steps against the latest applied state and
    /// rolls everything back: what the client sees inside `BEGIN ... COMMIT`.
    /// `now_ms` stands in for the block time. Reads take no write lock; the
    /// write lock is held only while the steps run.
    pub fn speculate(
        &mut self,
        account: &crypto::PublicKey,
        steps: &[Statement],
        now_ms: u64,
    ) -> Result<Speculation, ExecError> {
        self.speculate_with(account, steps, now_ms, |_| ()).map(|(s, _)| s)
    }

    /// [`Executor::speculate`], and `look` sees the speculative state after
    /// the steps (when they all could run) before it is rolled back: how a
    /// transaction block's catalog queries see its own uncommitted DDL.
    pub fn speculate_with<R>(
        &mut self,
        account: &crypto::PublicKey,
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
        let writes = steps.iter().any(|s| !is_read_only(&s.sql));
        self.conn.execute_batch(if writes { "BEGIN IMMEDIATE" } else { "BEGIN" })?;
        self.clock.store(now_ms.max(1), Ordering::Relaxed);
        self.captured.lock().clear();
        self.catalog_touched = false;
        self.in_block = true;
        self.set_signer(account, None);
        let mut ctx = StmtCtx { height: height + 1, index: 0, stmt_index: 0, owner: self.signer.address.clone() };
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
                    panic = crate::fault::panic_text(panic.as_ref()),
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
        if self.catalog_touched {
            self.reload_catalog()?;
        }
        rolled_back?;
        Ok(match run? {
            Ok((_, outcomes)) => (Speculation { outcomes, refused: None }, looked),
            Err(f) => (Speculation { outcomes: Vec::new(), refused: Some(f) }, None),
        })
    }

    /// One of the executor's own statements, prepared once and cached.
    fn run_internal(&self, sql: &str) -> Result<(), ExecError> {
        self.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }

    fn record_tx(
        &mut self,
        tx: &SignedTx,
        receipt: &Receipt,
        height: u64,
        index: u32,
        address: &str,
    ) -> Result<(), ExecError> {
        let hash = tx.hash();
        self.conn
            .prepare_cached("INSERT INTO __rc_seen(tx_hash, expires_at_ms) VALUES (?1, ?2)")?
            .execute(params![hash.as_slice(), tx.body.expires_at_ms as i64])?;
        let (status, state, err) = match &receipt.failure {
            None => ("committed", None, None),
            Some(f) => ("failed", Some(f.sqlstate.clone()), Some(f.message.clone())),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO __rc_transactions(tx_hash, height, tx_index, account, statement, status, sqlstate,
                 rows_affected, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                hex::encode(hash),
                height as i64,
                index,
                address,
                tx.body.statement_text(),
                status,
                state,
                receipt.rows_affected() as i64,
                err
            ])?;
        Ok(())
    }

    fn plans_for(&mut self, sql: &str) -> Result<Arc<Vec<Plan>>, SqlError> {
        if let Some(p) = self.plans.get(&self.signer.address).and_then(|m| m.get(sql)) {
            return Ok(p.clone());
        }
        // Plans depend on column types and on the signer's row filters: the
        // cache is emptied whenever the catalog changes.
        let view = acl::PolicyView { catalog: &self.catalog, who: self.who() };
        let plans = Arc::new(sqlmap::plan_in(sql, &view)?);
        if self.plans.values().map(HashMap::len).sum::<usize>() >= 10_000 {
            self.plans.clear();
        }
        self.plans.entry(self.signer.address.clone()).or_default().insert(sql.to_owned(), plans.clone());
        Ok(plans)
    }

    /// 42501 unless the signer holds every privilege the statement needs.
    /// What a statement touches is recorded the first time SQLite compiles
    /// it (the authorizer sees every table and column, through subqueries,
    /// CTEs, RETURNING and ON CONFLICT) and checked on every run.
    fn check_privileges(&mut self, sql: &str) -> Result<(), SqlError> {
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
        acl::check_touches(&self.catalog, self.who(), &touches)
    }

    fn execute_statement(
        &mut self,
        s: &Statement,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<Vec<StatementResult>, SqlError> {
        #[cfg(test)]
        if s.sql.contains(tests::PANIC_MARK) {
            panic!("injected fault in {}", s.sql);
        }
        let plans = self.plans_for(&s.sql)?;
        if plans.len() != 1 && !s.params.is_empty() {
            return Err(SqlError::new("42601", "cannot insert multiple commands into a prepared statement"));
        }
        let mut out = Vec::with_capacity(plans.len());
        for plan in plans.iter() {
            let r = match plan {
                Plan::Write(w) => self.run_write(w, &s.params)?,
                Plan::Ddl(d) => self.run_ddl(d, ctx, changes)?,
                Plan::Read(_) => {
                    return Err(SqlError::new(
                        "0A000",
                        "a SELECT is not part of a chain transaction; run it as a query",
                    ))
                }
                _ => {
                    return Err(SqlError::new(
                        "0A000",
                        "transaction control and session statements are not part of a chain transaction",
                    ))
                }
            };
            self.absorb_captured(changes)?;
            out.push(r);
        }
        Ok(out)
    }

    fn run_write(&mut self, w: &sqlmap::WritePlan, params: &[Value]) -> Result<StatementResult, SqlError> {
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
        if !self.catalog.contains_key(&w.table) {
            return Err(SqlError::new("42P01", format!("relation \"{}\" does not exist", w.table)));
        }
        self.user_mode.store(true, Ordering::Relaxed);
        let result = self.run_prepared(&w.sqlite, params, w.returning);
        self.user_mode.store(false, Ordering::Relaxed);
        result
    }

    fn run_prepared(&mut self, sql: &str, params: &[Value], returning: bool) -> Result<StatementResult, SqlError> {
        self.check_privileges(sql)?;
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| sql_error(&e))?;
        let p = rusqlite::params_from_iter(params.iter());
        if !returning {
            let n = stmt.execute(p).map_err(|e| sql_error(&e))?;
            return Ok(StatementResult { rows_affected: n as u64, returning: None });
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
            out.push((0..ncol).map(|i| row.get_ref(i).map(Value::from_sql).unwrap_or(Value::Null)).collect());
        }
        Ok(StatementResult { rows_affected: out.len() as u64, returning: Some(RowSet { columns, rows: out }) })
    }

    /// Turns captured row changes into leaf updates.
    fn absorb_captured(&mut self, changes: &mut Changes) -> Result<(), SqlError> {
        let captured = std::mem::take(&mut *self.captured.lock());
        for c in captured {
            let Some(meta) = self.catalog.get(&c.table) else { continue };
            if let Some((rowid, mut vals)) = c.old {
                meta.normalize(rowid, &mut vals);
                changes.insert(crypto::hash(&meta.row_label(rowid, &vals)), None);
            }
            if let Some((rowid, mut vals)) = c.new {
                meta.normalize(rowid, &mut vals);
                let label = meta.row_label(rowid, &vals);
                changes.insert(crypto::hash(&label), Some((TableMeta::row_value(&vals), label)));
            }
        }
        Ok(())
    }

    fn user_exec(&mut self, sql: &str) -> Result<(), SqlError> {
        self.user_mode.store(true, Ordering::Relaxed);
        let r = self.conn.execute_batch(sql).map_err(|e| sql_error(&e));
        self.user_mode.store(false, Ordering::Relaxed);
        r
    }

    fn table(&self, name: &str) -> Result<&TableMeta, SqlError> {
        self.catalog.get(name).ok_or_else(|| SqlError::new("42P01", format!("relation \"{name}\" does not exist")))
    }

    fn put_meta(&mut self, meta: TableMeta, old_name: Option<&str>, changes: &mut Changes) -> Result<(), SqlError> {
        let internal = |e: rusqlite::Error| sql_error(&e);
        if let Some(old) = old_name {
            self.conn.execute("DELETE FROM __rc_tables WHERE name = ?1", [old]).map_err(internal)?;
            self.catalog.remove(old);
        }
        self.conn
            .execute(
                "INSERT OR REPLACE INTO __rc_tables(name, id, meta) VALUES (?1, ?2, ?3)",
                params![meta.name, meta.id.as_slice(), meta.encode()],
            )
            .map_err(internal)?;
        let label = meta.label();
        changes.insert(crypto::hash(&label), Some((crypto::hash(&meta.encode()), label)));
        self.catalog.insert(meta.name.clone(), meta.clone());
        self.forget_plans();
        self.install_policy_triggers(&meta)
    }

    /// Replaces the table's write-policy triggers with ones built from its
    /// current policies (none without row-level security).
    fn install_policy_triggers(&mut self, meta: &TableMeta) -> Result<(), SqlError> {
        for name in acl::trigger_names(meta) {
            self.conn.execute_batch(&format!("DROP TRIGGER IF EXISTS \"{name}\"")).map_err(|e| sql_error(&e))?;
        }
        let view = crate::catalog::SchemaView(&self.catalog);
        let triggers =
            acl::policy_triggers(meta, |text| sqlmap::policy_expr(text, &meta.name, &view).map_err(SqlError::from))?;
        for sql in triggers {
            self.conn.execute_batch(&sql).map_err(|e| {
                let e = sql_error(&e);
                SqlError::new(e.sqlstate, format!("policy on table \"{}\": {}", meta.name, e.message))
            })?;
        }
        Ok(())
    }

    /// 42501 unless the signer owns `table` (or is an admin).
    fn must_own(&self, table: &str) -> Result<(), SqlError> {
        acl::must_own(self.table(table)?, self.who())
    }

    /// A role's address by name; `None` is PUBLIC (the empty address).
    fn role_address(&self, role: &Option<String>) -> Result<String, SqlError> {
        let Some(name) = role else { return Ok(String::new()) };
        match self.accounts.iter().find(|(_, n)| *n == name) {
            Some((key, _)) => Ok(crypto::PublicKey(*key).address()),
            None => Err(SqlError::new("42704", format!("role \"{name}\" does not exist"))),
        }
    }

    fn grant(&mut self, g: &sqlmap::GrantPlan, changes: &mut Changes) -> Result<(), SqlError> {
        let bits = g.privileges.iter().fold(0u8, |b, p| {
            b | match p {
                sqlmap::Privilege::Select => privilege::SELECT,
                sqlmap::Privilege::Insert => privilege::INSERT,
                sqlmap::Privilege::Update => privilege::UPDATE,
                sqlmap::Privilege::Delete => privilege::DELETE,
                sqlmap::Privilege::Truncate => privilege::TRUNCATE,
            }
        });
        let grantees = g.grantees.iter().map(|r| self.role_address(r)).collect::<Result<Vec<_>, _>>()?;
        for table in &g.tables {
            self.must_own(table)?;
            let mut meta = self.table(table)?.clone();
            if let Some(c) = g.update_columns.iter().find(|c| !meta.columns.iter().any(|m| m.name == **c)) {
                return Err(SqlError::new("42703", format!("column \"{c}\" of relation \"{table}\" does not exist")));
            }
            for grantee in &grantees {
                // The owner's rights are implicit and cannot be granted or revoked.
                if *grantee == meta.owner {
                    continue;
                }
                acl::apply_grant(&mut meta, grantee, bits, &g.update_columns, g.revoke);
            }
            self.put_meta(meta, None, changes)?;
        }
        Ok(())
    }

    fn create_policy(&mut self, p: &sqlmap::PolicyPlan, changes: &mut Changes) -> Result<(), SqlError> {
        self.must_own(&p.table)?;
        let mut meta = self.table(&p.table)?.clone();
        if meta.policies.iter().any(|q| q.name == p.name) {
            return Err(SqlError::new(
                "42710",
                format!("policy \"{}\" for table \"{}\" already exists", p.name, p.table),
            ));
        }
        let mut roles = p.roles.iter().map(|r| self.role_address(r)).collect::<Result<Vec<_>, _>>()?;
        // TO PUBLIC among others is PUBLIC.
        if roles.iter().any(String::is_empty) {
            roles.clear();
        }
        roles.sort();
        roles.dedup();
        meta.policies.push(crate::catalog::PolicyMeta {
            name: p.name.clone(),
            command: p.command,
            permissive: p.permissive,
            roles,
            using: p.using.clone(),
            check: p.check.clone(),
        });
        self.put_meta(meta, None, changes)
    }

    /// Leaf removals for every row of a table (before DROP TABLE), or leaf
    /// updates for every row (after ADD COLUMN changed every row's content).
    fn all_rows(&self, meta: &TableMeta, remove: bool, changes: &mut Changes) -> Result<(), SqlError> {
        let sql = format!("SELECT rowid, * FROM \"{}\"", meta.name.replace('"', "\"\""));
        let mut stmt = self.conn.prepare(&sql).map_err(|e| sql_error(&e))?;
        let n = meta.columns.len();
        let mut rows = stmt.query([]).map_err(|e| sql_error(&e))?;
        while let Some(row) = rows.next().map_err(|e| sql_error(&e))? {
            let rowid: i64 = row.get(0).map_err(|e| sql_error(&e))?;
            let mut vals: Vec<Value> =
                (1..=n).map(|i| row.get_ref(i).map(Value::from_sql).unwrap_or(Value::Null)).collect();
            meta.normalize(rowid, &mut vals);
            let label = meta.row_label(rowid, &vals);
            let change = if remove { None } else { Some((TableMeta::row_value(&vals), label.clone())) };
            changes.insert(crypto::hash(&label), change);
        }
        Ok(())
    }

    fn run_ddl(&mut self, d: &DdlPlan, ctx: &StmtCtx, changes: &mut Changes) -> Result<StatementResult, SqlError> {
        self.catalog_touched = true;
        // Only the owner (or an admin) changes a table or its rights.
        match d {
            DdlPlan::RenameTable { from: table, .. }
            | DdlPlan::AddColumn { table, .. }
            | DdlPlan::RenameColumn { table, .. }
            | DdlPlan::CreateIndex { table, .. }
            | DdlPlan::AddPrimaryKey { table, .. }
            | DdlPlan::RowSecurity { table, .. }
            | DdlPlan::DropPolicy { table, .. } => self.must_own(table)?,
            DdlPlan::DropTable { names, if_exists, .. } => {
                for name in names.iter().filter(|n| !*if_exists || self.catalog.contains_key(*n)) {
                    self.must_own(name)?;
                }
            }
            DdlPlan::Truncate { names } => {
                for name in names {
                    let meta = self.table(name)?;
                    if !acl::has(meta, self.who(), privilege::TRUNCATE) {
                        return Err(acl::denied(name));
                    }
                }
            }
            _ => {}
        }
        match d {
            DdlPlan::Grant(g) => self.grant(g, changes)?,
            DdlPlan::CreatePolicy(p) => self.create_policy(p, changes)?,
            DdlPlan::RowSecurity { table, enabled } => {
                let mut meta = self.table(table)?.clone();
                meta.row_security = *enabled;
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::DropPolicy { table, name, if_exists } => {
                let mut meta = self.table(table)?.clone();
                let before = meta.policies.len();
                meta.policies.retain(|p| p.name != *name);
                if meta.policies.len() == before {
                    if *if_exists {
                        return Ok(StatementResult::default());
                    }
                    return Err(SqlError::new(
                        "42704",
                        format!("policy \"{name}\" for table \"{table}\" does not exist"),
                    ));
                }
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::CreateTable(ct) => self.create_table(ct, ctx, changes)?,
            DdlPlan::DropTable { names, if_exists, .. } => {
                for name in names {
                    if !self.catalog.contains_key(name) && *if_exists {
                        continue;
                    }
                    let meta = self.table(name)?.clone();
                    self.all_rows(&meta, true, changes)?;
                    self.user_exec(&format!("DROP TABLE \"{}\"", name.replace('"', "\"\"")))?;
                    // SQLite's implicit DELETE of a dropped table's rows is not a row change of ours.
                    self.captured.lock().retain(|c| c.table != *name);
                    self.conn.execute("DELETE FROM __rc_tables WHERE name = ?1", [name]).map_err(|e| sql_error(&e))?;
                    self.catalog.remove(name);
                    self.forget_plans();
                    changes.insert(crypto::hash(&meta.label()), None);
                }
            }
            DdlPlan::RenameTable { from, to, sqlite } => {
                let mut meta = self.table(from)?.clone();
                if !meta.policies.is_empty() {
                    return Err(SqlError::new(
                        "0A000",
                        format!("cannot rename table \"{from}\": it has row-level security policies"),
                    )
                    .hinted("policies keep their expressions as text; drop them, rename, and create them again"));
                }
                if self.catalog.contains_key(to) {
                    return Err(SqlError::new("42P07", format!("relation \"{to}\" already exists")));
                }
                self.user_exec(sqlite)?;
                meta.name = to.clone();
                self.put_meta(meta, Some(from), changes)?;
            }
            DdlPlan::AddColumn { table, column, sqlite } => {
                let mut meta = self.table(table)?.clone();
                self.user_exec(sqlite)?;
                meta.columns.push(ColumnMeta {
                    name: column.name.clone(),
                    pg_type: column.ty.name(),
                    not_null: column.not_null,
                    serial: column.serial,
                    identity: column.identity,
                });
                self.all_rows(&meta, false, changes)?;
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::RenameColumn { table, from, to, sqlite } => {
                let mut meta = self.table(table)?.clone();
                if !meta.policies.is_empty() {
                    return Err(SqlError::new(
                        "0A000",
                        format!("cannot rename a column of table \"{table}\": it has row-level security policies"),
                    )
                    .hinted("policies keep their expressions as text; drop them, rename, and create them again"));
                }
                let Some(col) = meta.columns.iter_mut().find(|c| c.name == *from) else {
                    return Err(SqlError::new("42703", format!("column \"{from}\" does not exist")));
                };
                col.name = to.clone();
                for g in &mut meta.acl {
                    for c in g.update_columns.iter_mut().filter(|c| **c == *from) {
                        *c = to.clone();
                    }
                    g.update_columns.sort();
                }
                self.user_exec(sqlite)?;
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::CreateIndex { name, table, unique, if_not_exists, sqlite } => {
                let mut meta = self.table(table)?.clone();
                if *if_not_exists && self.catalog.values().any(|t| t.indexes.iter().any(|i| i.name == *name)) {
                    return Ok(StatementResult::default());
                }
                self.user_exec(sqlite)?;
                meta.indexes.push(IndexMeta { name: name.clone(), unique: *unique, sqlite: sqlite.clone() });
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::DropIndex { names, if_exists } => {
                for name in names {
                    let owner = self.catalog.values().find(|t| t.indexes.iter().any(|i| i.name == *name)).cloned();
                    let Some(mut meta) = owner else {
                        if *if_exists {
                            continue;
                        }
                        return Err(SqlError::new("42704", format!("index \"{name}\" does not exist")));
                    };
                    acl::must_own(&meta, self.who())?;
                    self.user_exec(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
                    meta.indexes.retain(|i| i.name != *name);
                    self.put_meta(meta, None, changes)?;
                }
            }
            DdlPlan::Truncate { names } => {
                for name in names {
                    let meta = self.table(name)?.clone();
                    self.all_rows(&meta, true, changes)?;
                    self.user_exec(&format!("DELETE FROM \"{}\"", name.replace('"', "\"\"")))?;
                    // The rows' leaves are removed above, whether or not the hook saw them.
                    self.captured.lock().retain(|c| c.table != *name);
                }
            }
            DdlPlan::AddPrimaryKey { table, columns, sqlite } => {
                let mut meta = self.table(table)?.clone();
                if !meta.primary_key.is_empty() {
                    return Err(SqlError::new(
                        "42P16",
                        format!("multiple primary keys for table \"{table}\" are not allowed"),
                    ));
                }
                let mut key = Vec::with_capacity(columns.len());
                for c in columns {
                    let Some(pos) = meta.columns.iter().position(|m| m.name == *c) else {
                        return Err(SqlError::new(
                            "42703",
                            format!("column \"{c}\" of relation \"{table}\" does not exist"),
                        ));
                    };
                    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                    let nulls: i64 = self
                        .conn
                        .query_row(&format!("SELECT count(*) FROM {} WHERE {} IS NULL", q(table), q(c)), [], |r| {
                            r.get(0)
                        })
                        .map_err(|e| sql_error(&e))?;
                    if nulls > 0 || !meta.columns.get(pos).is_some_and(|c| c.not_null) {
                        return Err(SqlError::new(
                            "23502",
                            format!(
                                "column \"{c}\" of relation \"{table}\" must be NOT NULL to become the primary key"
                            ),
                        ));
                    }
                    key.push(pos);
                }
                self.user_exec(sqlite)?;
                // Rows were keyed by rowid; from now on they are keyed by the new key.
                self.all_rows(&meta, true, changes)?;
                meta.primary_key = key;
                meta.indexes.push(IndexMeta { name: format!("{table}_pkey"), unique: true, sqlite: sqlite.clone() });
                self.all_rows(&meta, false, changes)?;
                self.put_meta(meta, None, changes)?;
            }
            _ => return Err(SqlError::new("0A000", "this DDL statement is not supported by the executor")),
        }
        Ok(StatementResult::default())
    }

    fn create_table(&mut self, ct: &sqlmap::CreateTable, ctx: &StmtCtx, changes: &mut Changes) -> Result<(), SqlError> {
        if self.catalog.contains_key(&ct.name) {
            if ct.if_not_exists {
                return Ok(());
            }
            return Err(SqlError::new("42P07", format!("relation \"{}\" already exists", ct.name)));
        }
        self.user_exec(&ct.sqlite)?;
        let columns: Vec<ColumnMeta> = ct
            .columns
            .iter()
            .map(|c| ColumnMeta {
                name: c.name.clone(),
                pg_type: c.ty.name(),
                not_null: c.not_null,
                serial: c.serial,
                identity: c.identity,
            })
            .collect();
        let mut primary_key = Vec::with_capacity(ct.primary_key.len());
        for k in &ct.primary_key {
            let Some(pos) = columns.iter().position(|c| c.name == *k) else {
                return Err(SqlError::new("42703", format!("column \"{k}\" named in key does not exist")));
            };
            primary_key.push(pos);
        }
        let rowid_alias = match primary_key.as_slice() {
            [p] if ct.columns.get(*p).is_some_and(|c| {
                matches!(c.ty, sqlmap::PgType::Int2 | sqlmap::PgType::Int4 | sqlmap::PgType::Int8)
            }) =>
            {
                Some(*p)
            }
            _ => None,
        };
        let mut id_src = Vec::new();
        id_src.extend_from_slice(&ctx.height.to_be_bytes());
        id_src.extend_from_slice(&ctx.index.to_be_bytes());
        id_src.extend_from_slice(&ctx.stmt_index.to_be_bytes());
        id_src.extend_from_slice(ct.name.as_bytes());
        let mut id = [0u8; 16];
        for (to, from) in id.iter_mut().zip(crypto::hash(&id_src)) {
            *to = from;
        }
        let meta = TableMeta {
            id,
            name: ct.name.clone(),
            owner: ctx.owner.clone(),
            columns,
            primary_key,
            rowid_alias,
            indexes: Vec::new(),
            created_height: ctx.height,
            acl: Vec::new(),
            row_security: false,
            policies: Vec::new(),
        };
        self.put_meta(meta, None, changes)
    }

    /// Records the block in the view (system tables and applied height),
    /// still inside the block's transaction.
    pub fn finish_block(
        &mut self,
        header: &crate::block::Header,
        block_hash: &Hash,
        tx_count: usize,
    ) -> Result<(), ExecError> {
        assert!(self.in_block);
        self.conn
            .prepare_cached("DELETE FROM __rc_seen WHERE expires_at_ms <= ?1")?
            .execute([header.timestamp_ms as i64])?;
        self.conn
            .prepare_cached(
                "INSERT INTO __rc_blocks(height, hash, prev_hash, time, tx_count, state_root, proposer)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                header.height as i64,
                hex::encode(block_hash),
                hex::encode(header.prev_hash),
                format_timestamp(header.timestamp_ms),
                tx_count as i64,
                hex::encode(header.state_root),
                header.proposer.address()
            ])?;
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO __rc_meta(key, value) VALUES ('height', ?1), ('block_hash', ?2)")?
            .execute(params![header.height as i64, block_hash.as_slice()])?;
        Ok(())
    }

    /// Records who made the open block at `height` final: the validators'
    /// addresses, comma-separated (`rowchain.blocks.signers`); empty when a
    /// later block's certificate covers it.
    pub fn set_signers(&mut self, height: u64, signers: &str) -> Result<(), ExecError> {
        assert!(self.in_block);
        self.conn
            .prepare_cached("UPDATE __rc_blocks SET signers = ?2 WHERE height = ?1")?
            .execute(params![height as i64, signers])?;
        Ok(())
    }

    pub fn commit_block(&mut self) -> Result<(), ExecError> {
        assert!(self.in_block);
        assert_eq!(self.stacked, 0, "commit with blocks stacked on the open one");
        self.conn.execute_batch("COMMIT")?;
        self.in_block = false;
        self.clock.store(1, Ordering::Relaxed);
        Ok(())
    }

    /// Commits the open block and every block stacked on it.
    pub fn commit_all(&mut self) -> Result<(), ExecError> {
        self.stacked = 0;
        self.commit_block()
    }

    /// Abandons the open block: nothing it did remains.
    pub fn abort_block(&mut self) -> Result<(), ExecError> {
        if self.in_block {
            self.conn.execute_batch("ROLLBACK")?;
            self.in_block = false;
            self.stacked = 0;
            self.reload_catalog()?;
        }
        Ok(())
    }

    /// Abandons the most recently begun block; the blocks under it stay open.
    pub fn pop_block(&mut self) -> Result<(), ExecError> {
        if self.stacked == 0 {
            return self.abort_block();
        }
        self.stacked -= 1;
        let name = format!("rc_block_{}", self.stacked);
        self.conn.execute_batch(&format!("ROLLBACK TO {name}; RELEASE {name}"))?;
        self.reload_catalog()
    }

    /// The connection, for `verify`'s read-only recomputation.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

struct StmtCtx {
    height: u64,
    index: u32,
    stmt_index: u32,
    owner: String,
}

/// Every leaf of the state as the SQLite view holds it: accounts, table
/// metadata and rows. `verify` compares this with the ledger's tree.
pub fn state_leaves(conn: &Connection) -> Result<BTreeMap<Hash, (Hash, Vec<u8>)>, ExecError> {
    let mut out = BTreeMap::new();
    let mut st = conn.prepare(
        "SELECT a.address, a.name, a.public_key, coalesce(r.create_role, 0) FROM __rc_accounts a LEFT JOIN __rc_role_attrs r USING (address)",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let address: String = r.get(0)?;
        let name: String = r.get(1)?;
        let pk: Vec<u8> = r.get(2)?;
        let create_role: bool = r.get(3)?;
        let pk: [u8; 32] =
            pk.try_into().map_err(|_| ExecError::Inconsistent(format!("account {address}: key length")))?;
        let label = account_label(&address);
        out.insert(crypto::hash(&label), (account_value(&name, &pk, create_role), label));
    }
    let mut st = conn.prepare("SELECT name, meta FROM __rc_tables")?;
    let metas: Vec<(String, Vec<u8>)> = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (name, bytes) in metas {
        let meta = TableMeta::decode(&bytes).map_err(|e| ExecError::Inconsistent(format!("table {name}: {e}")))?;
        let label = meta.label();
        out.insert(crypto::hash(&label), (crypto::hash(&bytes), label));
        let sql = format!("SELECT rowid, * FROM \"{}\"", meta.name.replace('"', "\"\""));
        let mut st = conn.prepare(&sql)?;
        let n = st.column_count() - 1;
        if n != meta.columns.len() {
            return Err(ExecError::Inconsistent(format!(
                "table {}: {} columns in SQLite, {} in the chain's catalog",
                meta.name,
                n,
                meta.columns.len()
            )));
        }
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            let mut vals: Vec<Value> = (1..=n).map(|i| r.get_ref(i).map(Value::from_sql)).collect::<Result<_, _>>()?;
            meta.normalize(rowid, &mut vals);
            let label = meta.row_label(rowid, &vals);
            out.insert(crypto::hash(&label), (TableMeta::row_value(&vals), label));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executor() -> Executor {
        Executor::open(Path::new(":memory:"), ExecLimits { result_rows_max: 10 }).unwrap()
    }

    #[test]
    fn authorizer_fences_user_statements() {
        let mut ex = executor();
        ex.conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT) STRICT").unwrap();
        for sql in [
            "ATTACH DATABASE ':memory:' AS other",
            "PRAGMA foreign_keys = OFF",
            "SELECT * FROM __rc_accounts",
            "INSERT INTO __rc_seen VALUES (x'00', 1)",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM t; END",
            "CREATE VIEW v AS SELECT 1",
            "CREATE TEMP TABLE x (a)",
            "SELECT load_extension('x')",
            "INSERT INTO t (v) VALUES (randomblob(4))",
        ] {
            let e = ex.user_exec(sql).unwrap_err();
            assert_eq!(e.sqlstate, "42501", "{sql}: {e:?}");
        }
        // Ordinary DDL and DML pass, including ADD COLUMN's internal quick_check.
        ex.user_exec("CREATE INDEX t_v ON t (v)").unwrap();
        ex.user_exec("DROP INDEX t_v").unwrap();
        ex.user_exec("ALTER TABLE t RENAME TO u").unwrap();
        ex.user_exec("ALTER TABLE u RENAME COLUMN v TO w").unwrap();
        ex.user_exec("ALTER TABLE u RENAME TO t").unwrap();
        ex.user_exec("ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 3").unwrap();
        ex.user_exec("INSERT INTO t (w) VALUES ('a')").unwrap();
        // The executor's own bookkeeping is not fenced.
        ex.conn.execute_batch("SELECT count(*) FROM __rc_accounts").unwrap();
    }

    #[test]
    fn sqlite_errors_map_to_postgres_sqlstates() {
        let mut ex = executor();
        ex.conn
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (v <> 'bad')) STRICT")
            .unwrap();
        ex.user_exec("INSERT INTO t VALUES (1, 'a')").unwrap();
        for (sql, state) in [
            ("INSERT INTO t VALUES (1, 'b')", "23505"),
            ("INSERT INTO t VALUES (2, 'a')", "23505"),
            ("INSERT INTO t VALUES (3, NULL)", "23502"),
            ("INSERT INTO t VALUES (4, 'bad')", "23514"),
            ("INSERT INTO t VALUES ('x', 'c')", "22P02"),
            ("INSERT INTO nope VALUES (1)", "42P01"),
            ("SELECT nope FROM t", "42703"),
            ("SELECT nope(1)", "42883"),
        ] {
            assert_eq!(ex.user_exec(sql).unwrap_err().sqlstate, state, "{sql}");
        }
    }

    /// A statement carrying this comment panics in `execute_statement`: a
    /// stand-in for a bug nobody has found yet.
    pub(super) const PANIC_MARK: &str = "/* rowchain-test: panic */";

    fn sql_tx(admin: &crypto::SecretKey, n: u8, sql: &str) -> SignedTx {
        crate::tx::TxBody {
            chain_id: "test".into(),
            account: admin.public(),
            id: [n; 16],
            expires_at_ms: u64::MAX,
            payload: Payload::Sql(vec![Statement { sql: sql.into(), params: Vec::new() }]),
        }
        .sign(admin)
    }

    /// Runs a block of txs on a fresh validator: its receipts, leaf changes
    /// and the rows of `t` afterwards.
    fn run_block(admin: &crypto::SecretKey, sqls: &[&str]) -> (Vec<Receipt>, Changes, Vec<i64>, Executor) {
        let mut ex = executor();
        let mut changes = Changes::new();
        ex.begin_block(1_000).unwrap();
        ex.add_account("admin", &admin.public(), false, &mut changes).unwrap();
        ex.set_superusers([admin.public()]);
        let mut receipts = Vec::new();
        for (i, sql) in sqls.iter().enumerate() {
            receipts.push(ex.execute_tx(&sql_tx(admin, i as u8, sql), 1, i as u32, &mut changes).unwrap());
        }
        ex.commit_all().unwrap();
        let ids = ex.conn.prepare("SELECT id FROM t ORDER BY id").unwrap();
        let ids = { ids }.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        (receipts, changes, ids, ex)
    }

    #[test]
    fn a_panicking_tx_fails_alone_and_alike_on_every_validator() {
        let admin = crypto::SecretKey::from_bytes(&[7; 32]);
        let block = [
            "CREATE TABLE t (id INT PRIMARY KEY)",
            "INSERT INTO t VALUES (1)",
            &format!("INSERT INTO t VALUES (2); INSERT INTO t VALUES (3) {PANIC_MARK}"),
            "INSERT INTO t VALUES (4)",
        ];
        let (receipts, changes, ids, _) = run_block(&admin, &block);
        let failure = receipts[2].failure.as_ref().expect("the panicking tx failed");
        assert_eq!((failure.sqlstate.as_str(), failure.message.as_str()), ("XX000", TX_PANICKED));
        assert!(receipts.iter().enumerate().all(|(i, r)| i == 2 || r.failure.is_none()), "{receipts:?}");
        // Its first statement ran before the panic and was rolled back with it.
        assert_eq!(ids, vec![1, 4]);
        let (again, changes_again, _, _) = run_block(&admin, &block);
        assert_eq!(crate::block::receipts_root(&receipts), crate::block::receipts_root(&again));
        assert_eq!(changes, changes_again);
    }

    #[test]
    fn a_panicking_speculation_fails_that_session_only() {
        let admin = crypto::SecretKey::from_bytes(&[7; 32]);
        let (_, _, _, mut ex) = run_block(&admin, &["CREATE TABLE t (id INT PRIMARY KEY)"]);
        let step = |sql: &str| Statement { sql: sql.into(), params: Vec::new() };
        let steps = [step("INSERT INTO t VALUES (1)"), step(&format!("INSERT INTO t VALUES (2) {PANIC_MARK}"))];
        let spec = ex.speculate(&admin.public(), &steps, 2_000).unwrap();
        let refused = spec.refused.expect("the panicking block is refused");
        assert_eq!((refused.sqlstate.as_str(), refused.message.as_str()), ("XX000", TX_PANICKED));
        // The speculator is not wedged: the next block speculates and the
        // chain executes, and nothing of the panicked speculation remains.
        let spec = ex.speculate(&admin.public(), &steps[..1], 2_000).unwrap();
        assert!(spec.refused.is_none() && spec.outcomes.len() == 1, "{:?}", spec.refused);
        let mut changes = Changes::new();
        ex.begin_block(3_000).unwrap();
        let r = ex.execute_tx(&sql_tx(&admin, 9, "INSERT INTO t VALUES (5)"), 2, 0, &mut changes).unwrap();
        assert!(r.failure.is_none(), "{r:?}");
        ex.commit_all().unwrap();
        let n: i64 = ex.conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn internal_names_are_recognised_without_slicing_a_char() {
        assert!(is_internal("__rc_seen") && is_internal("__RC_x"));
        assert!(!is_internal("andré") && !is_internal("__rcé") && !is_internal("__r") && !is_internal("数据库"));
    }

    #[test]
    fn timestamps_format_like_postgres() {
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00+00");
        assert_eq!(format_timestamp(951_782_400_123), "2000-02-29 00:00:00.123+00");
        assert_eq!(format_timestamp(1_795_000_000_000), "2026-11-18 11:06:40+00");
    }
}
