//! The executor: applies a block's txs to the SQLite view, deterministically.
//!
//! One SQLite transaction per block and a savepoint per tx. Row changes are
//! captured with SQLite's preupdate hook as they happen; a tx that fails is
//! rolled back to its savepoint and its captured changes are dropped, so its
//! receipt records the SQLSTATE and no row changes. Captured changes become
//! state-tree leaf updates (`H("r" || table id || primary key)` -> `H(row)`;
//! a table without a declared primary key uses its rowid).
//!
//! User statements run under an SQLite authorizer that denies ATTACH, PRAGMA,
//! extension loading, triggers, views and any access to the internal
//! `__rc_*` tables; the executor's own bookkeeping (the SQLite views of
//! `CREATE VIEW` among it) runs with it switched off.

use node_core::acl::{self, Touch, Who};
use node_core::block::{Receipt, RowSet, StatementResult, TxFailure};
use node_core::catalog::{account_label, account_value, privilege, Catalog, ColumnMeta, IndexMeta, TableMeta};
use node_core::crypto::{self, Hash, PublicKey, Suite};
use node_core::state_tree::Change;
use node_core::tx::{Payload, RoleOp, SignedTx, Statement};
use node_core::value::Value;
use node_core::SqlError;
use parking_lot::Mutex;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization, PreUpdateCase};
use rusqlite::{params, Connection, OptionalExtension};
use sqlmap::{DdlPlan, Plan};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

mod authorizer;
mod capture;
mod ddl;
mod errors;
mod functions;
mod imports;
mod matviews;
mod roles;
mod schemas;
mod sequences;
mod speculate;
mod statements;
mod types;
mod views;

pub use authorizer::is_internal;
pub use capture::state_leaves;
pub use errors::{sql_error, TX_PANICKED};
pub use functions::{format_timestamp, register_now};
pub use speculate::{digest_of, observed_digest, Speculation, StepOutcome};

use authorizer::{authorize, record_touch};
use capture::{capture, RowChange};
use ddl::StmtCtx;
use functions::{register_signer_functions, Signer};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    #[error("SQLite view: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("SQLite view is inconsistent: {0}")]
    Inconsistent(String),
}

const INTERNAL_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS __rc_meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_accounts(address TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, public_key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_role_attrs(address TEXT PRIMARY KEY, create_role INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_tables(name TEXT PRIMARY KEY, id BLOB NOT NULL UNIQUE, meta BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_schemas(name TEXT PRIMARY KEY, meta BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_sequences(name TEXT PRIMARY KEY, meta BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_types(name TEXT PRIMARY KEY, meta BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_imports(source TEXT PRIMARY KEY, role TEXT NOT NULL, account TEXT NOT NULL,
  position TEXT NOT NULL, position_order TEXT NOT NULL, batches INTEGER NOT NULL, height INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS __rc_seen(tx_hash BLOB PRIMARY KEY, expires_at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS __rc_seen_expiry ON __rc_seen(expires_at_ms);
CREATE TABLE IF NOT EXISTS __rc_blocks(height INTEGER PRIMARY KEY, hash TEXT NOT NULL, prev_hash TEXT NOT NULL,
  time TEXT NOT NULL, tx_count INTEGER NOT NULL, state_root TEXT NOT NULL, proposer TEXT NOT NULL, signers TEXT);
CREATE TABLE IF NOT EXISTS __rc_transactions(tx_hash TEXT PRIMARY KEY, height INTEGER NOT NULL, tx_index INTEGER NOT NULL,
  account TEXT NOT NULL, statement TEXT NOT NULL, status TEXT NOT NULL, sqlstate TEXT, rows_affected INTEGER NOT NULL,
  error TEXT);
";

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
    /// The chain's crypto suite: every leaf key and value is its hash.
    suite: Suite,
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
    /// User schemas (`CREATE SCHEMA`), by name.
    schemas: node_core::schema::Schemas,
    /// User-defined types (enums, domains), by SQLite-style name.
    types: node_core::usertype::UserTypes,
    /// Sequences, shared with the functions that draw from them.
    sequences: Arc<Mutex<sequences::SequenceState>>,
    accounts: HashMap<PublicKey, String>,
    /// Roles with CREATEROLE: they may create and drop roles.
    create_roles: std::collections::HashSet<PublicKey>,
    /// Plans by signer address, then dialect and statement: reads of tables
    /// with SELECT policies are planned for their reader.
    plans: HashMap<String, statements::PlanCache>,
    limits: ExecLimits,
    in_block: bool,
    /// Blocks open on top of the first one, each behind a savepoint (see
    /// [`Executor::begin_block`]).
    stacked: u32,
    /// Set when the running tx ran DDL: only then must a failure reload the catalog.
    catalog_touched: bool,
    /// Genesis roles: they may create and drop roles.
    superusers: std::collections::HashSet<PublicKey>,
    /// The same as account addresses (what view owners are).
    superuser_addresses: std::collections::HashSet<String>,
    /// The height whose catalog the speculation copy last loaded.
    speculated_at: u64,
}

/// The leaf updates of a block: ordered, last write wins.
pub type Changes = BTreeMap<Hash, Change>;

/// The result of executing a block's txs.
pub struct BlockOutcome {
    pub receipts: Vec<Receipt>,
    pub changes: Changes,
}

impl Executor {
    pub fn open(path: &Path, suite: Suite, limits: ExecLimits) -> Result<Self, ExecError> {
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
        let sequence_state = Arc::new(Mutex::new(sequences::SequenceState::default()));
        sequences::register(&conn, sequence_state.clone())?;
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
            suite,
            recording,
            touches: HashMap::new(),
            signer: Signer::default(),
            signer_fns,
            captured,
            user_mode,
            clock,
            catalog: Catalog::new(),
            schemas: Default::default(),
            types: Default::default(),
            sequences: sequence_state,
            accounts: HashMap::new(),
            create_roles: Default::default(),
            plans: HashMap::new(),
            limits,
            in_block: false,
            stacked: 0,
            catalog_touched: false,
            superusers: Default::default(),
            superuser_addresses: Default::default(),
            speculated_at: u64::MAX,
        };
        ex.load_catalog()?;
        Ok(ex)
    }

    /// Forgets plans, recorded touches and compiled statements: the
    /// catalog changed (a cached statement would name its old result
    /// columns until its first step recompiled it).
    fn forget_plans(&mut self) {
        self.plans.clear();
        self.touches.clear();
        self.conn.flush_prepared_statement_cache();
    }

    /// Makes `account` the signer of what runs next.
    fn set_signer(&mut self, account: &crypto::PublicKey, tx_hash: Option<&Hash>) {
        let signer = Signer {
            address: account.address(),
            name: self.accounts.get(account).cloned().unwrap_or_default(),
            admin: self.superusers.contains(account),
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
        self.schemas = crate::tables::load_schemas(&self.conn)?.into_iter().map(|s| (s.name.clone(), s)).collect();
        self.types = crate::tables::load_types(&self.conn)?.into_iter().map(|t| (t.name().to_string(), t)).collect();
        let sequences = crate::tables::load_sequences(&self.conn)?.into_iter().map(|s| (s.name.clone(), s)).collect();
        self.sequences.lock().load(sequences);
        let mut stmt = self.conn.prepare(
            "SELECT a.public_key, a.name, coalesce(r.create_role, 0) FROM __rc_accounts a LEFT JOIN __rc_role_attrs r USING (address)",
        )?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
        for row in rows {
            let (pk, name, create_role) = row?;
            let pk = self
                .suite
                .public_key(&pk)
                .ok_or_else(|| ExecError::Inconsistent(format!("account {name}: not a {} key", self.suite)))?;
            self.accounts.insert(pk, name);
            if create_role {
                self.create_roles.insert(pk);
            }
        }
        Ok(())
    }

    /// Genesis roles, which may create and drop roles.
    pub fn set_superusers(&mut self, keys: impl IntoIterator<Item = crypto::PublicKey>) {
        self.superusers = keys.into_iter().collect();
        self.superuser_addresses = self.superusers.iter().map(PublicKey::address).collect();
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The chain's crypto suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    pub fn account_name(&self, key: &PublicKey) -> Option<&str> {
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
            params![address, name, key.as_bytes()],
        )?;
        if create_role {
            self.conn.execute("INSERT INTO __rc_role_attrs(address, create_role) VALUES (?1, 1)", [&address])?;
            self.create_roles.insert(*key);
        }
        self.accounts.insert(*key, name.to_owned());
        let label = account_label(&address);
        changes.insert(self.suite.hash(&label), Some((account_value(name, key, create_role), label)));
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
        self.sequences.lock().begin(&self.signer.address, self.signer.admin);
        let owner = self.signer.address.clone();
        let mut ctx = StmtCtx { height, index, stmt_index: 0, owner, dialect: tx.body.dialect };
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
                    panic = node_core::fault::panic_text(panic.as_ref()),
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
                if self.must_reload() {
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
                    if observed_digest(self.suite, &outcomes) == *observed {
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
            Payload::Import(batch) => self.run_import(batch, ctx, changes)?,
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

    /// Whether what the running tx changed in the executor's copies of
    /// the catalog and the sequences must be loaded again after a rollback.
    fn must_reload(&self) -> bool {
        self.catalog_touched || self.sequences.lock().touched
    }

    fn reload_catalog(&mut self) -> Result<(), ExecError> {
        self.catalog.clear();
        self.schemas.clear();
        self.types.clear();
        self.accounts.clear();
        self.create_roles.clear();
        self.load_catalog()
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

    /// Records the block in the view (system tables and applied height),
    /// still inside the block's transaction.
    pub fn finish_block(
        &mut self,
        header: &node_core::block::Header,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn executor() -> Executor {
        Executor::open(Path::new(":memory:"), Suite::Standard, ExecLimits { result_rows_max: 10 }).unwrap()
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
        node_core::tx::TxBody {
            chain_id: "test".into(),
            account: admin.public(),
            id: [n; 16],
            expires_at_ms: u64::MAX,
            dialect: node_core::tx::Dialect::Postgres,
            payload: Payload::Sql(vec![Statement { sql: sql.into(), params: Vec::new() }]),
        }
        .sign(admin)
    }

    fn tx_in(key: &crypto::SecretKey, n: u8, dialect: sqlmap::Dialect, sql: &str) -> SignedTx {
        node_core::tx::TxBody {
            chain_id: "test".into(),
            account: key.public(),
            id: [n; 16],
            expires_at_ms: u64::MAX,
            dialect,
            payload: Payload::Sql(vec![Statement { sql: sql.into(), params: Vec::new() }]),
        }
        .sign(key)
    }

    /// A validator in block 1 with two accounts: admin (a superuser) and bob.
    fn admin_and_bob() -> (Executor, Changes, crypto::SecretKey, crypto::SecretKey) {
        let admin = node_core::crypto::Suite::Standard.secret_key(&[7; 32]).unwrap();
        let bob = node_core::crypto::Suite::Standard.secret_key(&[8; 32]).unwrap();
        let mut ex = executor();
        let mut changes = Changes::new();
        ex.begin_block(1_000).unwrap();
        ex.add_account("admin", &admin.public(), false, &mut changes).unwrap();
        ex.add_account("bob", &bob.public(), false, &mut changes).unwrap();
        ex.set_superusers([admin.public()]);
        (ex, changes, admin, bob)
    }

    /// Txs run one after another in block 1, each statement its own tx.
    struct Txs {
        n: u8,
        changes: Changes,
    }

    impl Txs {
        /// Runs `sql` signed by `key`: its failure's SQLSTATE and message.
        fn run(
            &mut self,
            ex: &mut Executor,
            key: &crypto::SecretKey,
            dialect: sqlmap::Dialect,
            sql: &str,
        ) -> Option<(String, String)> {
            self.n += 1;
            let receipt =
                ex.execute_tx(&tx_in(key, self.n, dialect, sql), 1, self.n as u32, &mut self.changes).unwrap();
            receipt.failure.map(|f| (f.sqlstate, f.message))
        }
    }

    #[test]
    fn a_tx_is_planned_in_its_own_dialect_and_replace_needs_delete() {
        use sqlmap::Dialect::{MySql, Postgres};
        let (mut ex, mut changes, admin, bob) = admin_and_bob();
        let mut n = 0u8;
        let mut run = |ex: &mut Executor, key: &crypto::SecretKey, dialect, sql: &str| {
            n += 1;
            let receipt = ex.execute_tx(&tx_in(key, n, dialect, sql), 1, n as u32, &mut changes).unwrap();
            receipt.failure.map(|f| f.sqlstate)
        };
        let note = |ex: &Executor| -> String {
            ex.conn.query_row("SELECT note FROM t WHERE id = 1", [], |r| r.get(0)).unwrap()
        };
        assert_eq!(run(&mut ex, &admin, Postgres, "CREATE TABLE t (id INT PRIMARY KEY, note TEXT)"), None);
        // MySQL text: a double-quoted string, and an upsert.
        assert_eq!(run(&mut ex, &admin, MySql, r#"INSERT INTO t (id, note) VALUES (1, "one")"#), None);
        let upsert = r#"INSERT INTO t (id, note) VALUES (1, "uno") ON DUPLICATE KEY UPDATE note = VALUES(note)"#;
        assert_eq!(run(&mut ex, &admin, MySql, upsert), None);
        assert_eq!(note(&ex), "uno");
        // The same text signed as PostgreSQL is another statement: "uno" names a column there.
        let pg = run(&mut ex, &admin, Postgres, r#"INSERT INTO t (id, note) VALUES (2, "uno")"#);
        assert_eq!(pg.as_deref(), Some("42703"));

        // REPLACE deletes the row it conflicts with: INSERT alone is not enough.
        let replace = "REPLACE INTO t (id, note) VALUES (1, 'bob')";
        assert_eq!(run(&mut ex, &admin, Postgres, "GRANT INSERT ON t TO bob"), None);
        assert_eq!(run(&mut ex, &bob, MySql, replace).as_deref(), Some("42501"));
        assert_eq!(note(&ex), "uno");
        assert_eq!(run(&mut ex, &admin, Postgres, "GRANT DELETE ON t TO bob"), None);
        assert_eq!(run(&mut ex, &bob, MySql, replace), None);
        assert_eq!(note(&ex), "bob");
        // Under row-level security its deletes would pass no DELETE policy: only the owner replaces.
        assert_eq!(run(&mut ex, &admin, Postgres, "ALTER TABLE t ENABLE ROW LEVEL SECURITY"), None);
        assert_eq!(run(&mut ex, &bob, MySql, "REPLACE INTO t (id, note) VALUES (1, 'x')").as_deref(), Some("0A000"));
        assert_eq!(run(&mut ex, &admin, MySql, "REPLACE INTO t (id, note) VALUES (1, 'admin')"), None);
        assert_eq!(note(&ex), "admin");
    }

    #[test]
    fn comments_are_kept_by_owners_on_tables_columns_indexes_and_constraints() {
        use node_core::catalog::PartKind;
        use sqlmap::Dialect::{MySql, Postgres};
        let (mut ex, changes, admin, bob) = admin_and_bob();
        let mut txs = Txs { n: 0, changes };
        let mut run = |ex: &mut Executor, key: &crypto::SecretKey, dialect, sql: &str| txs.run(ex, key, dialect, sql);
        for sql in [
            "CREATE TABLE users (user_id INT PRIMARY KEY, test2 REAL NOT NULL, CONSTRAINT zz_test2_gt_zero CHECK (test2 > 0))",
            "CREATE TABLE email (address_id INT, remote INT REFERENCES users (user_id), email TEXT UNIQUE, CONSTRAINT email_ad_pk PRIMARY KEY (address_id))",
            "CREATE INDEX ix_email ON email (email)",
            r#"COMMENT ON TABLE email IS 'the test % '' " \ table comment'"#,
            r"COMMENT ON COLUMN public.email.email IS E'Comment\nwith\rescapes'",
            "COMMENT ON CONSTRAINT email_ad_pk ON email IS 'ea pk comment'",
            // Unnamed constraints go by PostgreSQL's default names.
            "COMMENT ON CONSTRAINT email_remote_fkey ON email IS 'fk'",
            "COMMENT ON CONSTRAINT email_email_key ON email IS 'unique'",
            "COMMENT ON CONSTRAINT zz_test2_gt_zero ON users IS 'users check constraint'",
            "COMMENT ON INDEX ix_email IS 'ix'",
        ] {
            assert_eq!(run(&mut ex, &admin, Postgres, sql), None, "{sql}");
        }
        let meta = |ex: &Executor, t: &str| {
            let stored = crate::tables::load_tables(&ex.conn).unwrap();
            let meta = stored.into_iter().find(|m| m.name == t).unwrap();
            assert_eq!(ex.catalog.get(t), Some(&meta), "the catalog in memory is the one stored");
            meta
        };
        let email = meta(&ex, "email");
        assert_eq!(email.comment.as_deref(), Some(r#"the test % ' " \ table comment"#));
        assert_eq!(email.columns[2].comment.as_deref(), Some("Comment\nwith\rescapes"));
        assert_eq!(email.columns[0].comment, None);
        assert_eq!(email.part_comment(PartKind::Constraint, "email_ad_pk"), Some("ea pk comment"));
        assert_eq!(email.part_comment(PartKind::Constraint, "email_remote_fkey"), Some("fk"));
        assert_eq!(email.part_comment(PartKind::Constraint, "email_email_key"), Some("unique"));
        assert_eq!(email.part_comment(PartKind::Index, "ix_email"), Some("ix"));
        let users = meta(&ex, "users");
        assert_eq!(users.part_comment(PartKind::Constraint, "zz_test2_gt_zero"), Some("users check constraint"));

        // A declared name replaces the default one; what does not exist is refused, exactly.
        let refusals = [
            (
                "COMMENT ON CONSTRAINT email_pkey ON email IS 'x'",
                "42704",
                r#"constraint "email_pkey" for table "email" does not exist"#,
            ),
            ("COMMENT ON COLUMN email.nope IS 'x'", "42703", r#"column "nope" of relation "email" does not exist"#),
            ("COMMENT ON INDEX nope IS 'x'", "42P01", r#"relation "nope" does not exist"#),
            ("COMMENT ON TABLE nope IS 'x'", "42P01", r#"relation "nope" does not exist"#),
        ];
        for (sql, state, message) in refusals {
            assert_eq!(run(&mut ex, &admin, Postgres, sql), Some((state.into(), message.into())), "{sql}");
        }
        // Only the owner comments: another account's comment changes nothing.
        for sql in [
            "COMMENT ON TABLE email IS 'mine'",
            "COMMENT ON COLUMN email.email IS NULL",
            "COMMENT ON INDEX ix_email IS 'x'",
        ] {
            let (state, message) = run(&mut ex, &bob, Postgres, sql).unwrap();
            assert_eq!((state.as_str(), message.as_str()), ("42501", "must be owner of table email"), "{sql}");
        }
        assert_eq!(meta(&ex, "email"), email);
        // NULL and '' remove a comment; a dropped index takes its comment along.
        for sql in ["COMMENT ON TABLE email IS ''", "COMMENT ON COLUMN email.email IS NULL", "DROP INDEX ix_email"] {
            assert_eq!(run(&mut ex, &admin, Postgres, sql), None, "{sql}");
        }
        let email = meta(&ex, "email");
        assert_eq!((email.comment.as_deref(), email.columns[2].comment.as_deref()), (None, None));
        assert_eq!(email.part_comment(PartKind::Index, "ix_email"), None);
        // MySQL declares them inline.
        let inline = "CREATE TABLE cm (id INT PRIMARY KEY COMMENT 'the key', note TEXT) COMMENT='a table''s comment'";
        assert_eq!(run(&mut ex, &admin, MySql, inline), None);
        let cm = meta(&ex, "cm");
        assert_eq!(
            (cm.comment.as_deref(), cm.columns[0].comment.as_deref()),
            (Some("a table's comment"), Some("the key"))
        );
        assert_eq!(run(&mut ex, &admin, MySql, "ALTER TABLE cm ADD COLUMN extra INT COMMENT 'added'"), None);
        assert_eq!(meta(&ex, "cm").columns[2].comment.as_deref(), Some("added"));
    }

    #[test]
    fn checks_are_commented_by_postgresql_s_names_but_not_rowchain_s_own() {
        use node_core::catalog::PartKind;
        use sqlmap::Dialect::{MySql, Postgres};
        let (mut ex, changes, admin, _) = admin_and_bob();
        let mut txs = Txs { n: 0, changes };
        let mut run = |ex: &mut Executor, dialect, sql: &str| txs.run(ex, &admin, dialect, sql);
        for sql in [
            "CREATE TABLE k (a INT CHECK (a > 0), v VARCHAR(5), CHECK (a < 100 OR v IS NULL), CHECK (a <> 7))",
            "COMMENT ON CONSTRAINT k_a_check ON k IS 'positive'",
            "COMMENT ON CONSTRAINT k_check ON k IS 'two columns'",
            "COMMENT ON CONSTRAINT k_a_check1 ON k IS 'not seven'",
        ] {
            assert_eq!(run(&mut ex, Postgres, sql), None, "{sql}");
        }
        let stored = crate::tables::load_tables(&ex.conn).unwrap();
        let k = stored.iter().find(|m| m.name == "k").unwrap();
        assert_eq!(k.part_comment(PartKind::Constraint, "k_check"), Some("two columns"));
        // The length check of a varchar and the check of a MySQL ENUM are
        // rowchain's, no constraint of the table's.
        assert_eq!(run(&mut ex, MySql, "CREATE TABLE e (m ENUM('x', 'y'))"), None);
        for sql in ["COMMENT ON CONSTRAINT k_v_check ON k IS 'x'", "COMMENT ON CONSTRAINT e_m_check ON e IS 'x'"] {
            let refused = run(&mut ex, Postgres, sql).map(|(state, _)| state);
            assert_eq!(refused.as_deref(), Some("42704"), "{sql}");
        }
    }

    #[test]
    fn alter_table_adds_a_foreign_key_that_binds_old_and_new_rows() {
        use sqlmap::Dialect::{MySql, Postgres};
        let (mut ex, changes, admin, bob) = admin_and_bob();
        let mut txs = Txs { n: 0, changes };
        let mut run = |ex: &mut Executor, key: &crypto::SecretKey, dialect, sql: &str| txs.run(ex, key, dialect, sql);
        let state = |r: Option<(String, String)>| r.map(|(s, _)| s);
        let definition = |ex: &Executor| -> String {
            ex.conn.query_row("SELECT sql FROM sqlite_schema WHERE name = 'book'", [], |r| r.get(0)).unwrap()
        };
        for sql in [
            "CREATE TABLE author (id INT PRIMARY KEY, name TEXT)",
            "CREATE TABLE book (id INT PRIMARY KEY, author_id INT, title TEXT)",
            "INSERT INTO author VALUES (1, 'ada')",
            "INSERT INTO book VALUES (1, 1, 'notes'), (2, 99, 'lost')",
        ] {
            assert_eq!(run(&mut ex, &admin, Postgres, sql), None, "{sql}");
        }
        let before = definition(&ex);
        let add =
            "ALTER TABLE `book` ADD CONSTRAINT `book_author_fk` FOREIGN KEY (`author_id`) REFERENCES `author` (`id`)";
        // An existing row breaks the key: refused, and the definition is as it was.
        let refused = run(&mut ex, &admin, MySql, add).unwrap();
        assert_eq!(refused.0, "23503", "{refused:?}");
        assert!(refused.1.contains("a key missing from \"author\""), "{refused:?}");
        assert_eq!(definition(&ex), before);
        assert_eq!(state(run(&mut ex, &admin, Postgres, "INSERT INTO book VALUES (3, 98, 'x')")), None);
        // A key on columns the referenced table does not hold unique: 42830, not a table every write fails on.
        let not_unique = "ALTER TABLE book ADD FOREIGN KEY (title) REFERENCES author (name)";
        assert_eq!(state(run(&mut ex, &admin, Postgres, not_unique)).as_deref(), Some("42830"));
        assert_eq!(definition(&ex), before);
        // CREATE TABLE's keys are checked alike: else every later write to either table fails.
        let made = "CREATE TABLE blurb (id INT PRIMARY KEY, by_name TEXT REFERENCES author (name))";
        assert_eq!(state(run(&mut ex, &admin, Postgres, made)).as_deref(), Some("42830"));
        assert_eq!(state(run(&mut ex, &admin, Postgres, "DELETE FROM author WHERE id = 0")), None);
        let made = "CREATE TABLE blurb (id INT PRIMARY KEY, by_id INT REFERENCES nobody (id))";
        assert_eq!(state(run(&mut ex, &admin, Postgres, made)).as_deref(), Some("42P01"));
        let made = "CREATE TABLE tree (id INT PRIMARY KEY, up INT REFERENCES tree (id))";
        assert_eq!(run(&mut ex, &admin, Postgres, made), None);
        for missing in [
            "ALTER TABLE book ADD FOREIGN KEY (nope) REFERENCES author (id)",
            "ALTER TABLE book ADD FOREIGN KEY (author_id) REFERENCES author (nope)",
        ] {
            assert_eq!(state(run(&mut ex, &admin, Postgres, missing)).as_deref(), Some("42703"), "{missing}");
            assert_eq!(definition(&ex), before);
        }
        // NOT VALID leaves the old rows alone and binds the next ones.
        let not_valid = "ALTER TABLE book ADD FOREIGN KEY (author_id) REFERENCES author (id) NOT VALID";
        assert_eq!(run(&mut ex, &admin, Postgres, not_valid), None);
        assert!(definition(&ex)
            .contains(r#"CONSTRAINT "book_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "author" ("id")"#));
        assert_eq!(
            state(run(&mut ex, &admin, Postgres, "INSERT INTO book VALUES (4, 97, 'x')")).as_deref(),
            Some("23503")
        );
        assert_eq!(state(run(&mut ex, &admin, Postgres, "DELETE FROM book WHERE author_id > 1")), None);
        // Now every row has its author: the MySQL statement is taken.
        assert_eq!(run(&mut ex, &admin, MySql, add), None);
        assert!(definition(&ex).contains(r#"CONSTRAINT "book_author_fk" FOREIGN KEY"#), "{}", definition(&ex));
        assert_eq!(state(run(&mut ex, &admin, MySql, "INSERT INTO book VALUES (5, 2, 'x')")).as_deref(), Some("23503"));
        assert_eq!(state(run(&mut ex, &admin, Postgres, "DELETE FROM author WHERE id = 1")).as_deref(), Some("23503"));
        assert_eq!(state(run(&mut ex, &admin, Postgres, "INSERT INTO author VALUES (2, 'alan')")), None);
        assert_eq!(state(run(&mut ex, &admin, MySql, "INSERT INTO book VALUES (5, 2, 'x')")), None);

        // Another owner's table is referenced only with SELECT on it.
        assert_eq!(run(&mut ex, &bob, Postgres, "CREATE TABLE review (id INT PRIMARY KEY, book_id INT)"), None);
        let review = "ALTER TABLE review ADD FOREIGN KEY (book_id) REFERENCES book (id)";
        assert_eq!(state(run(&mut ex, &bob, Postgres, review)).as_deref(), Some("42501"));
        // Nor on a table one does not own.
        let theirs = "ALTER TABLE book ADD FOREIGN KEY (id) REFERENCES review (id)";
        assert_eq!(state(run(&mut ex, &bob, Postgres, theirs)).as_deref(), Some("42501"));
        let made = "CREATE TABLE quote (id INT PRIMARY KEY, book_id INT REFERENCES book (id))";
        assert_eq!(state(run(&mut ex, &bob, Postgres, made)).as_deref(), Some("42501"));
        assert_eq!(run(&mut ex, &admin, Postgres, "GRANT SELECT ON book TO bob"), None);
        assert_eq!(run(&mut ex, &bob, Postgres, review), None);
        assert_eq!(run(&mut ex, &bob, Postgres, made), None);
        assert_eq!(state(run(&mut ex, &bob, Postgres, "INSERT INTO review VALUES (1, 42)")).as_deref(), Some("23503"));
        assert_eq!(state(run(&mut ex, &bob, Postgres, "INSERT INTO review VALUES (1, 5)")), None);

        // A referenced table is not dropped from under another table's key, unless both go together.
        let dropped = run(&mut ex, &admin, Postgres, "DROP TABLE book").unwrap();
        assert_eq!(dropped.0, "2BP01", "{dropped:?}");
        assert!(dropped.1.contains("table quote has a foreign key") || dropped.1.contains("table review has"));
        assert_eq!(run(&mut ex, &bob, Postgres, "DROP TABLE review, quote"), None);
        assert_eq!(state(run(&mut ex, &admin, Postgres, "DROP TABLE author")).as_deref(), Some("2BP01"));
        assert_eq!(run(&mut ex, &admin, MySql, "DROP TABLE `author`, `book` CASCADE"), None);
    }

    #[test]
    fn a_mysql_insert_reports_its_first_id_and_an_upsert_counts_rows_as_mysql_does() {
        use sqlmap::Dialect::{MySql, Postgres};
        let admin = node_core::crypto::Suite::Standard.secret_key(&[7; 32]).unwrap();
        let mut ex = executor();
        let mut changes = Changes::new();
        ex.begin_block(1_000).unwrap();
        ex.add_account("admin", &admin.public(), false, &mut changes).unwrap();
        ex.set_superusers([admin.public()]);
        let mut n = 0u8;
        // (rows affected, insert id) of a one-statement tx, and its receipt's version byte.
        let mut run = |ex: &mut Executor, dialect, sql: &str| -> (u64, u64, u8) {
            n += 1;
            let receipt = ex.execute_tx(&tx_in(&admin, n, dialect, sql), 1, n as u32, &mut changes).unwrap();
            assert_eq!(receipt.failure, None, "{sql}");
            let [r] = receipt.results.as_slice() else { panic!("{sql}: {:?}", receipt.results) };
            (r.rows_affected, r.last_insert_id, receipt.to_bytes()[0])
        };
        assert_eq!(
            run(&mut ex, MySql, "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(9))"),
            (0, 0, 1)
        );
        assert_eq!(run(&mut ex, MySql, "INSERT INTO t (note) VALUES ('a')"), (1, 1, 2));
        // A multi-row insert reports its first id.
        assert_eq!(run(&mut ex, MySql, "INSERT INTO t (note) VALUES ('b'), ('c'), ('d')"), (3, 2, 2));
        // PostgreSQL has no insert id: its receipts stay version 1.
        assert_eq!(run(&mut ex, Postgres, "INSERT INTO t (note) VALUES ('e')"), (1, 0, 1));
        // A supplied id counts as generated (the approximation).
        assert_eq!(run(&mut ex, MySql, "INSERT INTO t (id, note) VALUES (10, 'x')"), (1, 10, 2));
        assert_eq!(run(&mut ex, MySql, "INSERT INTO t (note) VALUES ('y')"), (1, 11, 2));
        // ON DUPLICATE KEY UPDATE: 0 for a row left as it was, 2 for a changed one, 1 per insert.
        let upsert = |values: &str| {
            format!("INSERT INTO t (id, note) VALUES {values} ON DUPLICATE KEY UPDATE note = VALUES(note)")
        };
        // A row left as it was still matched (CLIENT_FOUND_ROWS): version 2 carries it.
        assert_eq!(run(&mut ex, MySql, &upsert("(1, 'a')")), (0, 0, 2));
        assert_eq!(run(&mut ex, MySql, &upsert("(1, 'A')")), (2, 0, 1));
        assert_eq!(run(&mut ex, MySql, &upsert("(1, 'z'), (NULL, 'new'), (2, 'b')")), (3, 12, 2));
        let note: String = ex.conn.query_row("SELECT note FROM t WHERE id = 12", [], |r| r.get(0)).unwrap();
        assert_eq!(note, "new");
        // An UPDATE counts the rows it changed; the receipt keeps the rows it matched.
        assert_eq!(run(&mut ex, MySql, "UPDATE t SET note = 'z' WHERE id <= 2"), (1, 0, 2));
        // An ignored row inserts nothing and has no id.
        assert_eq!(run(&mut ex, MySql, "INSERT IGNORE INTO t (id, note) VALUES (1, 'dup')"), (0, 0, 1));
        assert_eq!(run(&mut ex, MySql, "INSERT IGNORE INTO t (id, note) VALUES (1, 'dup'), (20, 'new')"), (1, 20, 2));
        // PostgreSQL's upsert counts as PostgreSQL does.
        let pg_upsert = "INSERT INTO t (id, note) VALUES (1, 'z') ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note";
        assert_eq!(run(&mut ex, Postgres, pg_upsert), (1, 0, 1));
        // Without an AUTO_INCREMENT column there is no insert id.
        assert_eq!(run(&mut ex, MySql, "CREATE TABLE u (id INT PRIMARY KEY)"), (0, 0, 1));
        assert_eq!(run(&mut ex, MySql, "INSERT INTO u (id) VALUES (5)"), (1, 0, 1));
        // MySQL generates an AUTO_INCREMENT value for 0 as for NULL.
        assert_eq!(run(&mut ex, MySql, "INSERT INTO t (id, note) VALUES (0, 'zero')"), (1, 21, 2));
        assert_eq!(run(&mut ex, MySql, "INSERT INTO t VALUES (0, 'zero')"), (1, 22, 2));
        let tx = tx_in(&admin, 200, MySql, "UPDATE t SET note = note WHERE id <= 2");
        let receipt = ex.execute_tx(&tx, 1, 200, &mut changes).unwrap();
        assert_eq!((receipt.results[0].rows_affected, receipt.results[0].rows_matched), (0, Some(2)));
    }

    #[test]
    fn a_step_digest_changes_only_with_an_insert_id() {
        let done = |last_insert_id| {
            let mut w = node_core::codec::Writer::with_capacity(32);
            StepOutcome::Done(StatementResult { rows_affected: 3, last_insert_id, ..Default::default() })
                .encode(&mut w);
            w.finish()
        };
        // The bytes from before insert ids existed.
        assert_eq!(done(0), [1, 0, 0, 0, 0, 0, 0, 0, 3, 0]);
        // rows affected, insert id, rows matched.
        assert_eq!(done(7), [4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3, 0]);
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

    /// The leaves a block's changes leave in the tree, beside what the
    /// view holds (`verify`'s comparison): sequences drawn and rolled back,
    /// and rows with stored generated columns, whose values the preupdate
    /// hook must report as `SELECT *` reads them.
    #[test]
    fn sequence_draws_and_generated_columns_are_leaves_as_the_view_holds_them() {
        let admin = node_core::crypto::Suite::Standard.secret_key(&[7; 32]).unwrap();
        let block = [
            "CREATE SEQUENCE s START 10",
            "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n serial, a int, \
             twice int GENERATED ALWAYS AS (a * 2) STORED, note text)",
            "INSERT INTO t (a, note) VALUES (1, 'x'), (2, nextval('s')::text)",
            // Fails after drawing: its draws go with it.
            "INSERT INTO t (a, note) VALUES (3, 'y'); INSERT INTO t (id) VALUES (1)",
            "UPDATE t SET a = a + 10",
            "SELECT nextval('s'), setval('t_n_seq', 100)",
            "INSERT INTO t (a) VALUES (5)",
        ];
        let (receipts, changes, ids, ex) = run_block(&admin, &block);
        assert_eq!(receipts.iter().filter(|r| r.failure.is_some()).count(), 1, "{receipts:?}");
        assert_eq!(ids, vec![1, 2, 3]);
        let drawn = &receipts[5].results[0].returning.as_ref().unwrap().rows;
        assert_eq!(drawn, &vec![vec![Value::Integer(11), Value::Integer(100)]]);
        let rows: Vec<(i64, i64, i64)> = ex
            .conn
            .prepare("SELECT id, n, twice FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows, vec![(1, 1, 22), (2, 2, 24), (3, 101, 10)]);
        let tree: BTreeMap<Hash, (Hash, Vec<u8>)> =
            changes.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
        assert_eq!(tree, state_leaves(&ex.conn, Suite::Standard).unwrap());
        let (again, changes_again, _, _) = run_block(&admin, &block);
        assert_eq!(
            node_core::block::receipts_root(Suite::Standard, &receipts),
            node_core::block::receipts_root(Suite::Standard, &again)
        );
        assert_eq!(tree.len(), changes_again.len());
    }

    #[test]
    fn a_panicking_tx_fails_alone_and_alike_on_every_validator() {
        let admin = node_core::crypto::Suite::Standard.secret_key(&[7; 32]).unwrap();
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
        assert_eq!(
            node_core::block::receipts_root(Suite::Standard, &receipts),
            node_core::block::receipts_root(Suite::Standard, &again)
        );
        assert_eq!(changes, changes_again);
    }

    #[test]
    fn a_panicking_speculation_fails_that_session_only() {
        let admin = node_core::crypto::Suite::Standard.secret_key(&[7; 32]).unwrap();
        let (_, _, _, mut ex) = run_block(&admin, &["CREATE TABLE t (id INT PRIMARY KEY)"]);
        let step = |sql: &str| Statement { sql: sql.into(), params: Vec::new() };
        let steps = [step("INSERT INTO t VALUES (1)"), step(&format!("INSERT INTO t VALUES (2) {PANIC_MARK}"))];
        let spec = ex.speculate(&admin.public(), sqlmap::Dialect::Postgres, &steps, 2_000).unwrap();
        let refused = spec.refused.expect("the panicking block is refused");
        assert_eq!((refused.sqlstate.as_str(), refused.message.as_str()), ("XX000", TX_PANICKED));
        // The speculator is not wedged: the next block speculates and the
        // chain executes, and nothing of the panicked speculation remains.
        let spec = ex.speculate(&admin.public(), sqlmap::Dialect::Postgres, &steps[..1], 2_000).unwrap();
        assert!(spec.refused.is_none() && spec.outcomes.len() == 1, "{:?}", spec.refused);
        let mut changes = Changes::new();
        ex.begin_block(3_000).unwrap();
        let r = ex.execute_tx(&sql_tx(&admin, 9, "INSERT INTO t VALUES (5)"), 2, 0, &mut changes).unwrap();
        assert!(r.failure.is_none(), "{r:?}");
        ex.commit_all().unwrap();
        let n: i64 = ex.conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
    }

    fn import_tx(key: &crypto::SecretKey, n: u8, source: &str, order: Vec<u64>, sql: &[&str]) -> SignedTx {
        import_after(key, n, source, None, order, sql)
    }

    fn import_after(
        key: &crypto::SecretKey,
        n: u8,
        source: &str,
        follows: Option<Vec<u64>>,
        order: Vec<u64>,
        sql: &[&str],
    ) -> SignedTx {
        let text = format!("bin.{}:{}", order.get(1).copied().unwrap_or(0), order.last().copied().unwrap_or(0));
        node_core::tx::TxBody {
            chain_id: "test".into(),
            account: key.public(),
            id: [n; 16],
            expires_at_ms: u64::MAX,
            dialect: node_core::tx::Dialect::Postgres,
            payload: Payload::Import(node_core::tx::ImportBatch {
                source: source.into(),
                position: node_core::import::SourcePosition { order, text },
                follows,
                statements: sql.iter().map(|s| Statement { sql: s.to_string(), params: vec![] }).collect(),
            }),
        }
        .sign(key)
    }

    #[test]
    fn an_import_batch_applies_once_with_its_position() {
        let (mut ex, mut changes, admin, bob) = admin_and_bob();
        let carol = node_core::crypto::Suite::Standard.secret_key(&[9; 32]).unwrap();
        ex.add_account("carol", &carol.public(), false, &mut changes).unwrap();
        let mut n = 0u8;
        let mut run = |ex: &mut Executor, key: &crypto::SecretKey, order: Vec<u64>, sql: &[&str]| {
            n += 1;
            let receipt = ex.execute_tx(&import_tx(key, n, "src", order, sql), 1, n as u32, &mut changes).unwrap();
            receipt.failure.map(|f| (f.sqlstate, f.message))
        };
        let position = |ex: &Executor| -> Option<(String, String, i64)> {
            ex.conn
                .query_row("SELECT position, position_order, batches FROM __rc_imports WHERE source = 'src'", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .unwrap()
        };
        let count = |ex: &Executor| -> i64 { ex.conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap() };
        assert_eq!(run(&mut ex, &bob, vec![1, 1, 100], &["CREATE TABLE t (id INT PRIMARY KEY)"]), None);
        assert_eq!(
            run(&mut ex, &bob, vec![1, 1, 200], &["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"]),
            None
        );
        assert_eq!(position(&ex), Some(("bin.1:200".into(), "1,1,200".into(), 2)));
        // The same source transaction again, from a restarted importer: refused, nothing applied twice.
        let (state, message) = run(&mut ex, &bob, vec![1, 1, 200], &["INSERT INTO t VALUES (3)"]).unwrap();
        assert_eq!(state, "55000");
        assert!(message.contains("already at bin.1:200"), "{message}");
        assert_eq!(run(&mut ex, &bob, vec![1, 0, 900], &["INSERT INTO t VALUES (3)"]).unwrap().0, "55000");
        assert_eq!(count(&ex), 2);
        // A batch that fails leaves the position where it was.
        assert_eq!(
            run(&mut ex, &bob, vec![1, 2, 4], &["INSERT INTO t VALUES (4)", "INSERT INTO t VALUES (1)"]).unwrap().0,
            "23505"
        );
        assert_eq!((count(&ex), position(&ex).unwrap().0), (2, "bin.1:200".to_string()));
        // Only the role that imports the source (or an admin) moves it on.
        let (state, message) = run(&mut ex, &carol, vec![1, 3, 4], &[]).unwrap();
        assert_eq!((state.as_str(), message.as_str()), ("42501", "import source \"src\" is imported by role bob"));
        assert_eq!(run(&mut ex, &admin, vec![1, 3, 4], &[]), None);
        assert_eq!(position(&ex).unwrap().2, 3);
        // A batch that names the position it follows applies only right after it.
        let mut after = |ex: &mut Executor, follows: Vec<u64>, order: Vec<u64>| {
            n += 1;
            let tx = import_after(&admin, n, "src", Some(follows), order, &["INSERT INTO t VALUES (10 + 1)"]);
            ex.execute_tx(&tx, 1, n as u32, &mut changes).unwrap().failure.map(|f| (f.sqlstate, f.message))
        };
        let (state, message) = after(&mut ex, vec![1, 3, 3], vec![1, 3, 9]).unwrap();
        assert_eq!(state, "55000");
        assert!(message.contains("is at bin.3:4: this batch follows another position"), "{message}");
        assert_eq!(after(&mut ex, vec![1, 3, 4], vec![1, 3, 9]), None);
        // Positions are leaves: verify's recomputation agrees with the block's changes.
        let leaves = state_leaves(&ex.conn, Suite::Standard).unwrap();
        let label = node_core::import::label("src");
        let (value, _) = leaves.get(&Suite::Standard.hash(&label)).expect("the source is a leaf");
        assert_eq!(changes.get(&Suite::Standard.hash(&label)).cloned().flatten().map(|(h, _)| h), Some(*value));
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
