//! Catalog emulation: `pg_catalog` and `information_schema` for the clients'
//! catalog queries (psql's `\d`, pgjdbc's `DatabaseMetaData`, SQLAlchemy's
//! inspector) and the session functions they call (`version()`,
//! `current_user`, `current_setting`, ...).
//!
//! Every read connection attaches two in-memory databases named
//! `pg_catalog` and `information_schema` ([`CatalogHooks::on_connect`]),
//! holding tables with PostgreSQL's names, columns and OID conventions
//! ([`schema`]), and registers the SQL functions ([`functions`]). sqlmap
//! plans `pg_catalog.pg_class` as exactly that attached table and rewrites
//! PostgreSQL-only syntax into calls of those functions
//! (sqlmap/src/catalog.rs). The rows are derived from the chain's view
//! ([`snapshot`]) and rebuilt only when a query touches the catalog and the
//! view's applied height moved since the connection last filled them;
//! other queries pay one substring check.
//!
//! The front end relies on exactly this API: `CatalogHooks::new(database,
//! admins)` installed on the node's reader (`Frontend::new`), and in the
//! session `SessionInfo` and `with_session(info, f)` around each read;
//! `BlockCatalog::build` on a transaction block's speculation and
//! `with_block_catalog(catalog, f)` around that block's catalog reads; and
//! [`column_type_oid`] to type result columns read from emulated tables.
//!
//! MySQL-dialect sessions see `information_schema` in MySQL's shape
//! instead ([`mysql`]): tables `information_schema.mysql_<name>` in the
//! same attached database, which sqlmap's MySQL dialect plans
//! `information_schema.<NAME>` as; `pg_class` does not list them.
//!
//! Privileges and row-level security policies show as PostgreSQL shows
//! them (`relacl`, `attacl`, `pg_policy`, the information_schema privilege
//! views; [`privileges`]), so psql's `\dp` and `\d` print them;
//! `has_table_privilege`, `has_column_privilege` and
//! `has_any_column_privilege` answer as the executor's checks decide
//! (`node_core::acl`), and `pg_roles` marks the admins as superusers.
//!
//! Schemas are PostgreSQL's: the built-in ones (`pg_catalog`, `public`,
//! `information_schema`, `rowchain`) and the chain's `CREATE SCHEMA`s
//! (`pg_namespace` with owner, `nspacl` and comment, and
//! `information_schema.schemata`). A relation outside `public` is the
//! SQLite table `schema.rel` (`sqlmap::relation_schema`); every row shows
//! it as `rel` in its schema's namespace, and the functions print it as
//! PostgreSQL does (`sales.orders` off the search path, which is
//! `pg_catalog, public`). MySQL sessions see each user schema as a
//! database of its own.
//!
//! Views are relations of kind `v` with their columns, in `pg_views` and
//! `information_schema.views` ([`views`]); `pg_get_viewdef` prints their
//! stored query as PostgreSQL 15 does, and MySQL sessions read the same
//! query in MySQL's words ([`viewdef`], [`mysql_view_definition`]).
//!
//! Materialized views are listed as PostgreSQL lists them: relkind `m`,
//! `pg_matviews`, and the definition `pg_get_viewdef` prints.
//!
//! A session's temporary tables and views show in its own catalog reads
//! only, in its schema `pg_temp_N` ([`temporary`]); so do its prepared
//! statements, in `pg_prepared_statements` (filled for the reading
//! session, as `pg_settings` is).
//!
//! CHECK constraints, which SQLite keeps only in a table's DDL text, are
//! read from it with PostgreSQL's names, without the checks rowchain adds
//! itself for `varchar(n)` and MySQL column types ([`checks`]).
//!
//! Sequences are relations of kind `S` with their options in `pg_sequence`,
//! `pg_sequences` and `information_schema.sequences`, and the column that
//! owns one in `pg_depend` ([`sequences`]); a serial column shows its
//! `nextval` default, an identity column its `attidentity` and options,
//! and `pg_get_serial_sequence` names a column's sequence.
//!
//! User-defined types are listed as PostgreSQL lists them ([`types`]): an
//! enum's or a domain's `pg_type` row and its array type's, the labels in
//! `pg_enum`, a domain's checks in `pg_constraint`; a column of such a type
//! has its OID, so `format_type`, `\d`, `information_schema.columns` and
//! the drivers' type lookups name it. A session's temporary types show in
//! its `pg_temp_N`, with its temporary tables.
//!
//! Deliberately absent: functions; the schema, database, function and
//! sequence privilege functions answer true.

mod array;
mod builtin;
mod checks;
mod functions;
mod mysql;
mod privileges;
mod schema;
mod sequences;
mod snapshot;
mod temporary;
mod types;
mod viewdef;
mod views;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::Connection;

pub use mysql::{mysql_type_name, CHARACTER_SETS, COLLATIONS};
pub use schema::column_type_oid;
use snapshot::Snapshot;
pub use temporary::TempCatalog;
pub use viewdef::mysql as mysql_view_definition;

/// The session values that session functions (`current_user`,
/// `current_setting`, ...) report.
#[derive(Debug, Clone, Default)]
pub struct SessionInfo {
    pub user: String,
    pub database: String,
    pub pid: i32,
    /// Settings by lower-case name.
    pub settings: BTreeMap<String, String>,
    /// `txid_current()`: the number of the session's transaction (see
    /// `Session::info`).
    pub xact_id: u64,
    /// The session's temporary tables and views, which its catalog reads
    /// see over the chain's ([`temporary`]).
    pub temp: Option<Arc<TempCatalog>>,
    /// The session's prepared statements, as `pg_prepared_statements` lists them.
    pub prepared: Arc<Vec<PreparedStatementRow>>,
}

/// One row of `pg_prepared_statements`.
#[derive(Debug, Clone, Default)]
pub struct PreparedStatementRow {
    pub name: String,
    /// The query text that prepared it.
    pub statement: String,
    /// timestamptz text.
    pub prepare_time: String,
    /// `regtype[]` text, e.g. `{integer,text}`.
    pub parameter_types: String,
    /// Prepared by SQL's PREPARE (else by the protocol's Parse).
    pub from_sql: bool,
}

thread_local! {
    static SESSION: RefCell<Option<Arc<SessionInfo>>> = const { RefCell::new(None) };
    /// The catalog version the last query on this thread was prepared
    /// against; the catalog functions answer from it.
    static SNAPSHOT: RefCell<Option<Arc<Snapshot>>> = const { RefCell::new(None) };
    /// Set by [`with_block_catalog`]: the catalog a transaction block's
    /// reads see instead of the committed one.
    static BLOCK: RefCell<Option<Arc<Snapshot>>> = const { RefCell::new(None) };
}

/// The catalog as a transaction block sees it, its own uncommitted DDL
/// included: built from the block's speculative state.
#[derive(Clone)]
pub struct BlockCatalog(
    Arc<Snapshot>,
    Arc<BTreeMap<String, node_core::catalog::TableMeta>>,
    Arc<node_core::usertype::UserTypes>,
);

/// Each block catalog (and each catalog with a session's temporary
/// relations over it) gets its own mark, counting down from the top of the
/// range where no applied height reaches: a connection refills its emulated
/// tables only when the catalog it last filled them from was another one.
static BLOCK_MARKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

/// A mark for a catalog that is not the chain's at some height.
fn next_mark() -> u64 {
    BLOCK_MARKS.fetch_sub(1, std::sync::atomic::Ordering::Relaxed)
}

impl BlockCatalog {
    /// Built from `conn`, a connection inside the block's speculation.
    /// `admins` are the admins' account addresses.
    pub fn build(conn: &Connection, database: &str, admins: &BTreeSet<String>) -> rusqlite::Result<Self> {
        let mark = next_mark();
        let snapshot = snapshot::build(conn, mark, database, admins)?;
        let tables = snapshot.tables.values().map(|meta| (meta.name.clone(), meta.clone())).collect();
        let types = snapshot.types.values().map(|meta| (meta.name().to_string(), meta.clone())).collect();
        Ok(BlockCatalog(Arc::new(snapshot), Arc::new(tables), Arc::new(types)))
    }

    /// The user tables as the block's speculation has them, by name.
    pub fn tables(&self) -> Arc<BTreeMap<String, node_core::catalog::TableMeta>> {
        self.1.clone()
    }

    /// The user-defined types as the block's speculation has them, by name.
    pub fn types(&self) -> Arc<node_core::usertype::UserTypes> {
        self.2.clone()
    }
}

/// Runs `f` (a read on this thread) against `catalog` instead of the
/// committed catalog.
pub fn with_block_catalog<R>(catalog: Option<BlockCatalog>, f: impl FnOnce() -> R) -> R {
    let previous = BLOCK.with(|b| b.replace(catalog.map(|c| c.0)));
    let r = f();
    BLOCK.with(|b| *b.borrow_mut() = previous);
    r
}

/// Runs `f` (a read on this thread) with `info` as the current session.
pub fn with_session<R>(info: Arc<SessionInfo>, f: impl FnOnce() -> R) -> R {
    let previous = SESSION.with(|s| s.replace(Some(info)));
    let r = f();
    SESSION.with(|s| *s.borrow_mut() = previous);
    r
}

/// The current session on this thread, if any.
pub fn current_session() -> Option<Arc<SessionInfo>> {
    SESSION.with(|s| s.borrow().clone())
}

fn current_snapshot() -> Option<Arc<Snapshot>> {
    SNAPSHOT.with(|s| s.borrow().clone())
}

fn default_database() -> Option<String> {
    current_snapshot().map(|s| s.database.clone())
}

/// The read-connection hooks that keep the emulated catalog.
pub struct CatalogHooks {
    database: String,
    /// The admins' (genesis roles') account addresses: PostgreSQL's superusers.
    admins: BTreeSet<String>,
    /// The newest catalog built, shared by every connection: its rows
    /// depend only on the chain's height.
    latest: Mutex<Option<Arc<Snapshot>>>,
}

impl CatalogHooks {
    pub fn new(database: String, admins: BTreeSet<String>) -> Self {
        CatalogHooks { database, admins, latest: Mutex::new(None) }
    }

    /// The catalog at `height`, built from `conn` unless already built.
    fn snapshot_at(&self, conn: &Connection, height: u64) -> rusqlite::Result<Arc<Snapshot>> {
        let mut latest = self.latest.lock();
        if let Some(s) = latest.as_ref().filter(|s| s.height == height) {
            return Ok(s.clone());
        }
        let built = Arc::new(snapshot::build(conn, height, &self.database, &self.admins)?);
        *latest = Some(built.clone());
        Ok(built)
    }
}

/// Whether a planned read may touch the emulated catalog: its tables or
/// the functions that answer from it. Everything else skips the hook.
pub(crate) fn touches_catalog(plan: &sqlmap::ReadPlan) -> bool {
    let sql = &plan.sqlite;
    sql.contains("pg_")
        || sql.contains("information_schema")
        || sql.contains("rc_reg")
        || sql.contains("_privilege")
        || sql.contains("format_type")
}

const BUILT_TABLE: &str = "pg_catalog.__rc_built";

impl node_exec::reader::ReadHooks for CatalogHooks {
    fn on_connect(&self, conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(
            "ATTACH DATABASE ':memory:' AS pg_catalog; ATTACH DATABASE ':memory:' AS information_schema;",
        )?;
        let mut ddl = String::from("BEGIN;\n");
        for table in schema::tables() {
            ddl.push_str(&table.create_sql());
            ddl.push_str(";\n");
        }
        ddl.push_str(&mysql::create_sql());
        ddl.push_str(&format!("CREATE TABLE {BUILT_TABLE} (height INTEGER NOT NULL);\nCOMMIT;"));
        functions::register(conn)?;
        mysql::register(conn)?;
        conn.execute_batch(&ddl)
    }

    fn before_query(&self, conn: &Connection, plan: &sqlmap::ReadPlan) -> rusqlite::Result<()> {
        if !touches_catalog(plan) {
            return Ok(());
        }
        let snap = match BLOCK.with(|b| b.borrow().clone()) {
            Some(snap) => snap,
            None => self.snapshot_at(conn, node_exec::reader::applied_height(conn)?)?,
        };
        let snap = match current_session().and_then(|s| s.temp.clone()) {
            Some(temp) => temp.over(&snap),
            None => snap,
        };
        let height = snap.height;
        let built: Option<i64> = conn
            .query_row(&format!("SELECT height FROM {BUILT_TABLE}"), [], |r| r.get(0))
            .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
        if built != Some(height as i64) {
            fill(conn, &snap)?;
        }
        if plan.tables.iter().any(|t| t.ends_with("pg_settings")) {
            fill_settings(conn)?;
        }
        if plan.tables.iter().any(|t| t.ends_with("pg_prepared_statements")) {
            fill_prepared_statements(conn)?;
        }
        SNAPSHOT.with(|s| *s.borrow_mut() = Some(snap));
        Ok(())
    }
}

/// Replaces every emulated table's rows with the snapshot's.
fn fill(conn: &Connection, snap: &Snapshot) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN")?;
    let result = (|| {
        for table in schema::all_tables() {
            let name = format!("\"{}\".\"{}\"", table.schema, table.name);
            conn.execute(&format!("DELETE FROM {name}"), [])?;
            let Some(rows) = snap.rows.get(&table.qualified()) else {
                continue;
            };
            let marks = vec!["?"; table.columns.len()].join(", ");
            let mut insert = conn.prepare(&format!("INSERT INTO {name} VALUES ({marks})"))?;
            for row in rows {
                insert.execute(rusqlite::params_from_iter(row.iter()))?;
            }
        }
        conn.execute(&format!("DELETE FROM {BUILT_TABLE}"), [])?;
        conn.execute(&format!("INSERT INTO {BUILT_TABLE} VALUES (?1)"), [snap.height as i64])?;
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// `pg_settings` shows the calling session's settings.
fn fill_settings(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM pg_catalog.pg_settings", [])?;
    let settings = current_session().map(|s| s.settings.clone()).unwrap_or_default();
    let mut insert = conn.prepare(
        "INSERT INTO pg_catalog.pg_settings (name, setting, category, short_desc, context, vartype, source, boot_val, reset_val, sourceline, pending_restart) \
         VALUES (?1, ?2, 'rowchain', '', 'user', 'string', 'session', ?2, ?2, 0, 0)",
    )?;
    for (name, value) in &settings {
        insert.execute([name, value])?;
    }
    Ok(())
}

/// `pg_prepared_statements` shows the calling session's prepared statements.
fn fill_prepared_statements(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM pg_catalog.pg_prepared_statements", [])?;
    let rows = current_session().map(|s| s.prepared.clone()).unwrap_or_default();
    let mut insert = conn.prepare(
        "INSERT INTO pg_catalog.pg_prepared_statements \
         (name, statement, prepare_time, parameter_types, from_sql, generic_plans, custom_plans) \
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)",
    )?;
    for row in rows.iter() {
        insert.execute(rusqlite::params![
            row.name,
            row.statement,
            row.prepare_time,
            row.parameter_types,
            row.from_sql
        ])?;
    }
    Ok(())
}
