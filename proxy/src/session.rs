//! One client session: settings, prepared statements and portals, the
//! transaction block, and what each statement does.
//!
//! - Reads run on the node's read connections.
//! - An autocommit write (or the writes of one multi-statement Query, which
//!   PostgreSQL runs as one implicit transaction) is one signed chain tx;
//!   the reply waits for its receipt.
//! - Inside `BEGIN ... COMMIT` every statement is a step: the node runs all
//!   steps so far against the latest applied state and rolls them back
//!   (speculation), the client gets the last step's real result, and the
//!   digest of each result it saw is kept. COMMIT submits the steps and the
//!   digests as one tx; the executor re-runs them at the tx's position and
//!   fails it with 40001 if anything the client saw came out different.
//!   ROLLBACK submits nothing.

use crate::catalog::SessionInfo;
use crate::copy::CopyParser;
use crate::server::{CancelFlag, Conn};
use crate::types::{self, WireType};
use futures::SinkExt;
use node::{now_ms, Node, Outcome, SubmitError};
use node_core::block::{Receipt, StatementResult};
use node_core::crypto::{Hash, SecretKey};
use node_core::tx::{Payload, RoleOp, Statement, TxBody};
use node_core::value::Value;
use node_core::SqlError;
use node_exec::executor::{digest_of, StepOutcome};
use node_exec::reader::ColumnOrigin;
use pgwire::messages::copy::CopyInResponse;
use pgwire::messages::data::{DataRow, FieldDescription, NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::{BindComplete, CloseComplete, ParseComplete, PortalSuspended};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use sqlmap::{DdlPlan, Plan, RoleStmt, SessionStmt, TxControl, WriteKind};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub const SERVER_VERSION: &str = "16.4";

/// An error for the client, with PostgreSQL's fields.
#[derive(Debug, Clone)]
pub struct PgError {
    pub severity: &'static str,
    pub sqlstate: String,
    pub message: String,
    pub hint: Option<String>,
    pub position: Option<u32>,
}

impl PgError {
    pub fn new(sqlstate: &str, message: impl Into<String>) -> Self {
        PgError { severity: "ERROR", sqlstate: sqlstate.into(), message: message.into(), hint: None, position: None }
    }

    pub fn fatal(sqlstate: &str, message: impl Into<String>) -> Self {
        PgError { severity: "FATAL", ..Self::new(sqlstate, message) }
    }

    fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
}

impl From<SqlError> for PgError {
    fn from(e: SqlError) -> Self {
        PgError::new(e.sqlstate, e.message)
    }
}

impl From<sqlmap::PlanError> for PgError {
    fn from(e: sqlmap::PlanError) -> Self {
        PgError {
            severity: "ERROR",
            sqlstate: e.sqlstate.into(),
            message: e.message,
            hint: e.hint,
            position: e.position.map(|p| p + 1),
        }
    }
}

impl From<SubmitError> for PgError {
    fn from(e: SubmitError) -> Self {
        let state = match &e {
            SubmitError::TooLarge { .. } => "54000",
            SubmitError::Pool(_) => "53000",
            SubmitError::Unplannable(u) => u.sqlstate,
            _ => "08006",
        };
        PgError::new(state, e.to_string())
    }
}

/// A result column on the wire.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    ty: WireType,
}

/// What a statement produced.
enum Reply {
    Rows { fields: Vec<Field>, rows: Vec<Vec<Value>>, tag: String },
    Tag(String),
    CopyIn(sqlmap::CopyPlan),
}

struct Prepared {
    /// `None` for an empty query string.
    plan: Option<(Plan, String)>,
    /// The parameter types: the client's where it gave them, else inferred, else 0.
    param_types: Vec<u32>,
    /// The result columns a Describe announced: executions keep to them.
    described: parking_lot::Mutex<Option<Vec<Field>>>,
}

struct Portal {
    stmt: Arc<Prepared>,
    params: Vec<Value>,
    formats: Vec<i16>,
    /// Rows computed but not yet sent (Describe of a portal runs a read;
    /// Execute with a row limit leaves the rest here).
    pending: Option<PendingRows>,
}

/// A portal's result columns, rows, the next row to send, and the command tag.
type PendingRows = (Vec<Field>, Vec<Vec<Value>>, usize, String);

#[derive(Default)]
struct Block {
    steps: Vec<Statement>,
    /// The digest of every step's outcome as the client saw it.
    seen: Vec<Hash>,
    failed: bool,
    writes: bool,
    /// The block changed the schema: its catalog queries must see that.
    ddl: bool,
    /// The catalog built from the steps as they stand, for the catalog
    /// queries that follow one another (an ORM reflecting a table issues
    /// several); any new step drops it.
    catalog: Option<crate::catalog::BlockCatalog>,
}

pub struct Session {
    node: Arc<Node>,
    user: String,
    key: SecretKey,
    /// The role's account address and whether it is an admin: whom reads
    /// are checked and filtered for.
    address: String,
    admin: bool,
    /// Reads planned again with their row filters, by statement text, with
    /// the tables they were planned against (a new catalog plans anew).
    filtered: HashMap<String, (Arc<BTreeMap<String, node_core::catalog::TableMeta>>, sqlmap::ReadPlan)>,
    pid: i32,
    cancel: Arc<CancelFlag>,
    settings: BTreeMap<String, String>,
    block: Option<Block>,
    statements: HashMap<String, Arc<Prepared>>,
    portals: HashMap<String, Portal>,
    /// After an error in an extended-query sequence: discard until Sync.
    skipping: bool,
    copy: Option<CopyParser>,
    /// Whether the COPY under way came from a simple Query.
    copy_simple: bool,
    /// Reported settings changed by the last statement: sent as ParameterStatus.
    changed: Vec<(String, String)>,
}

fn default_settings(user: &str, params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut s = BTreeMap::new();
    for (k, v) in [
        ("server_version", SERVER_VERSION),
        ("server_version_num", "160004"),
        ("server_encoding", "UTF8"),
        ("client_encoding", "UTF8"),
        ("datestyle", "ISO, MDY"),
        ("timezone", "UTC"),
        ("intervalstyle", "postgres"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("application_name", ""),
        ("search_path", "\"$user\", public"),
        ("transaction_isolation", "serializable"),
        ("default_transaction_isolation", "serializable"),
        ("transaction_read_only", "off"),
        ("default_transaction_read_only", "off"),
        ("extra_float_digits", "1"),
        ("max_identifier_length", "63"),
        ("statement_timeout", "0"),
        ("lock_timeout", "0"),
        ("lc_collate", "C"),
        ("lc_ctype", "C"),
        ("in_hot_standby", "off"),
        ("bytea_output", "hex"),
    ] {
        s.insert(k.to_string(), v.to_string());
    }
    s.insert("session_authorization".into(), user.to_string());
    s.insert("is_superuser".into(), if user == "admin" { "on" } else { "off" }.into());
    for (k, v) in params {
        let k = k.to_ascii_lowercase();
        if !matches!(k.as_str(), "user" | "database" | "options" | "replication") {
            s.insert(k, v.clone());
        }
    }
    s
}

/// Settings PostgreSQL reports to the client whenever they change.
/// How long a read may run on the connection's own task before it is
/// handed to a blocking thread (and run again there).
const READ_INLINE_BUDGET: Duration = Duration::from_micros(500);

const REPORTED: [&str; 11] = [
    "server_version",
    "server_encoding",
    "client_encoding",
    "application_name",
    "datestyle",
    "timezone",
    "intervalstyle",
    "integer_datetimes",
    "standard_conforming_strings",
    "is_superuser",
    "session_authorization",
];

fn reported_name(k: &str) -> &str {
    match k {
        "datestyle" => "DateStyle",
        "timezone" => "TimeZone",
        "intervalstyle" => "IntervalStyle",
        other => other,
    }
}

fn ddl_tag(d: &DdlPlan) -> &'static str {
    match d {
        DdlPlan::CreateTable(_) => "CREATE TABLE",
        DdlPlan::DropTable { .. } => "DROP TABLE",
        DdlPlan::CreateIndex { .. } => "CREATE INDEX",
        DdlPlan::DropIndex { .. } => "DROP INDEX",
        DdlPlan::Truncate { .. } => "TRUNCATE TABLE",
        DdlPlan::Grant(g) if g.revoke => "REVOKE",
        DdlPlan::Grant(_) => "GRANT",
        DdlPlan::CreatePolicy(_) => "CREATE POLICY",
        DdlPlan::DropPolicy { .. } => "DROP POLICY",
        _ => "ALTER TABLE",
    }
}

fn write_tag(p: &Plan, r: &StatementResult) -> String {
    match p {
        Plan::Write(w) => match w.kind {
            WriteKind::Insert => format!("INSERT 0 {}", r.rows_affected),
            WriteKind::Update => format!("UPDATE {}", r.rows_affected),
            WriteKind::Delete => format!("DELETE {}", r.rows_affected),
        },
        Plan::Ddl(d) => ddl_tag(d).to_string(),
        _ => "OK".into(),
    }
}

fn receipt_error(r: &Receipt) -> Option<PgError> {
    r.failure.as_ref().map(|f| {
        let e = PgError::new(&f.sqlstate, f.message.clone());
        if f.sqlstate == "40001" {
            e.hint("another transaction changed what this one read; run the transaction again")
        } else {
            e
        }
    })
}

impl Session {
    pub(crate) fn new(
        node: Arc<Node>,
        user: String,
        key: SecretKey,
        pid: i32,
        params: BTreeMap<String, String>,
        cancel: Arc<CancelFlag>,
    ) -> Self {
        let settings = default_settings(&user, &params);
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
            statements: HashMap::new(),
            portals: HashMap::new(),
            skipping: false,
            copy: None,
            copy_simple: false,
            changed: Vec::new(),
        }
    }

    pub(crate) fn startup_parameters(&self) -> Vec<(String, String)> {
        REPORTED
            .iter()
            .map(|k| (reported_name(k).to_string(), self.settings.get(*k).cloned().unwrap_or_default()))
            .collect()
    }

    pub(crate) fn status(&self) -> TransactionStatus {
        match &self.block {
            None => TransactionStatus::Idle,
            Some(b) if b.failed => TransactionStatus::Error,
            Some(_) => TransactionStatus::Transaction,
        }
    }

    fn info(&self) -> Arc<SessionInfo> {
        Arc::new(SessionInfo {
            user: self.user.clone(),
            database: self.node.config().pg.database.clone(),
            pid: self.pid,
            settings: self.settings.clone(),
        })
    }

    /// Handles one frontend message after startup.
    pub(crate) async fn handle(&mut self, conn: &mut Conn, msg: PgWireFrontendMessage) -> io::Result<()> {
        use PgWireFrontendMessage as M;
        if self.copy.is_some() {
            return self.copy_message(conn, msg).await;
        }
        match msg {
            M::Query(q) => {
                self.skipping = false;
                self.simple_query(conn, &q.query).await?;
                if self.copy.is_none() {
                    conn.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(self.status()))).await?;
                }
            }
            M::Sync(_) => {
                self.skipping = false;
                self.portals.remove("");
                conn.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(self.status()))).await?;
            }
            M::Flush(_) => conn.flush().await?,
            _ if self.skipping => {}
            M::Parse(p) => {
                let r = self.parse(p.name.unwrap_or_default(), &p.query, &p.type_oids);
                self.ext_reply(conn, r.map(|()| vec![PgWireBackendMessage::ParseComplete(ParseComplete::new())]))
                    .await?;
            }
            M::Bind(b) => {
                let r = self.bind(b);
                self.ext_reply(conn, r.map(|()| vec![PgWireBackendMessage::BindComplete(BindComplete::new())])).await?;
            }
            M::Describe(d) => {
                let name = d.name.unwrap_or_default();
                let r = if d.target_type == b'S' {
                    self.describe_statement(&name).await
                } else {
                    self.describe_portal(&name).await
                };
                self.ext_reply(conn, r).await?;
            }
            M::Execute(e) => {
                let name = e.name.unwrap_or_default();
                let r = self.execute_portal(&name, e.max_rows.max(0) as usize).await;
                match r {
                    Ok(msgs) => {
                        for m in msgs {
                            conn.feed(m).await?;
                        }
                        if self.copy.is_some() {
                            self.copy_simple = false;
                            conn.flush().await?;
                        }
                    }
                    Err(e) => self.ext_error(conn, e).await?,
                }
            }
            M::Close(c) => {
                let name = c.name.unwrap_or_default();
                if c.target_type == b'S' {
                    self.statements.remove(&name);
                } else {
                    self.portals.remove(&name);
                }
                conn.feed(PgWireBackendMessage::CloseComplete(CloseComplete::new())).await?;
            }
            M::CopyData(_) | M::CopyDone(_) | M::CopyFail(_) => {}
            _ => {
                self.ext_error(conn, PgError::new("08P01", "unexpected message type")).await?;
            }
        }
        Ok(())
    }

    async fn ext_reply(&mut self, conn: &mut Conn, r: Result<Vec<PgWireBackendMessage>, PgError>) -> io::Result<()> {
        match r {
            Ok(msgs) => {
                for m in msgs {
                    conn.feed(m).await?;
                }
                Ok(())
            }
            Err(e) => self.ext_error(conn, e).await,
        }
    }

    /// An error in an extended-query sequence: report it, skip to Sync, and
    /// abort the transaction block if one is open.
    async fn ext_error(&mut self, conn: &mut Conn, e: PgError) -> io::Result<()> {
        self.skipping = true;
        if let Some(b) = &mut self.block {
            b.failed = true;
        }
        conn.send(PgWireBackendMessage::ErrorResponse(e.response())).await
    }

    async fn simple_query(&mut self, conn: &mut Conn, sql: &str) -> io::Result<()> {
        if sql.chars().all(|c| c == ';' || c.is_whitespace()) {
            return conn.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await;
        }
        let plans = match self.plan_text(sql) {
            Ok(p) => p,
            Err(e) => return self.simple_error(conn, e).await,
        };
        // PostgreSQL runs a multi-statement Query as one implicit transaction:
        // when it is all writes outside a block, that is one chain tx.
        let all_writes = plans.len() > 1 && plans.iter().all(|(p, _)| matches!(p, Plan::Write(_) | Plan::Ddl(_)));
        if all_writes && self.block.is_none() {
            let stmts = plans.iter().map(|(_, t)| Statement { sql: t.clone(), params: vec![] }).collect();
            match self.autocommit(stmts).await {
                Ok(results) => {
                    for ((p, _), r) in plans.iter().zip(results.iter()) {
                        self.send_reply(conn, Reply::Tag(write_tag(p, r)), &[]).await?;
                    }
                }
                Err(e) => return self.simple_error(conn, e).await,
            }
            return Ok(());
        }
        for (plan, text) in plans {
            match self.run(plan, text, vec![]).await {
                Ok(Reply::CopyIn(c)) => {
                    let n = c.columns.len().max(self.copy_columns(&c).len());
                    self.copy = Some(CopyParser::new(c));
                    self.copy_simple = true;
                    conn.send(PgWireBackendMessage::CopyInResponse(CopyInResponse::new(0, n as i16, vec![0; n])))
                        .await?;
                    return Ok(());
                }
                Ok(reply) => self.send_reply(conn, reply, &[]).await?,
                Err(e) => return self.simple_error(conn, e).await,
            }
        }
        Ok(())
    }

    async fn simple_error(&mut self, conn: &mut Conn, e: PgError) -> io::Result<()> {
        if let Some(b) = &mut self.block {
            b.failed = true;
        }
        conn.feed(PgWireBackendMessage::ErrorResponse(e.response())).await
    }

    /// Plans `sql` against the tables as of the latest block (the executor
    /// plans writes again against its own catalog).
    fn plan_text(&mut self, sql: &str) -> Result<Vec<(Plan, String)>, PgError> {
        let max = self.node.config().limits.statement_bytes_max;
        if sql.len() > max {
            return Err(PgError::new(
                "54000",
                format!("the statement is {} bytes; the limit is {max} (limits.statement_bytes_max)", sql.len()),
            ));
        }
        let tables = self.tables();
        Ok(sqlmap::plan_with_text_in(sql, &node_core::catalog::SchemaView(&tables))?)
    }

    async fn send_reply(&mut self, conn: &mut Conn, reply: Reply, formats: &[i16]) -> io::Result<()> {
        for (k, v) in std::mem::take(&mut self.changed) {
            conn.feed(PgWireBackendMessage::ParameterStatus(pgwire::messages::startup::ParameterStatus::new(k, v)))
                .await?;
        }
        match reply {
            Reply::Rows { fields, rows, tag } => {
                conn.feed(PgWireBackendMessage::RowDescription(row_description(&fields, formats))).await?;
                for row in &rows {
                    match data_row(row, &fields, formats) {
                        Ok(r) => conn.feed(PgWireBackendMessage::DataRow(r)).await?,
                        Err(e) => return conn.feed(PgWireBackendMessage::ErrorResponse(e.response())).await,
                    }
                }
                conn.feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag))).await
            }
            Reply::Tag(tag) => conn.feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag))).await,
            Reply::CopyIn(_) => Ok(()),
        }
    }

    /// Runs one planned statement.
    async fn run(&mut self, plan: Plan, text: String, params: Vec<Value>) -> Result<Reply, PgError> {
        // A cancel that arrived between statements is dropped, as in PostgreSQL.
        self.cancel.store(false, Ordering::SeqCst);
        if let Some(b) = &self.block {
            let ends_block =
                matches!(plan, Plan::Transaction(TxControl::Commit | TxControl::Rollback | TxControl::RollbackTo(_)));
            if b.failed && !ends_block {
                return Err(PgError::new(
                    "25P02",
                    "current transaction is aborted, commands ignored until end of transaction block",
                ));
            }
        }
        match plan {
            Plan::Session(s) => self.session_statement(s),
            Plan::Transaction(c) => self.transaction(c, text).await,
            Plan::Read(r) => {
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
            p @ (Plan::Write(_) | Plan::Ddl(_)) => {
                if self.block.is_some() {
                    return self.step(text, params, Some(p), None).await;
                }
                let r = self.autocommit(vec![Statement { sql: text, params }]).await?;
                Ok(self.write_reply(&p, r.into_iter().next().unwrap_or_default()))
            }
            Plan::Copy(c) => Ok(Reply::CopyIn(c)),
            Plan::Role(r) => {
                if self.block.is_some() {
                    return Err(PgError::new("25001", "role statements cannot run inside a transaction block"));
                }
                self.role(r).await
            }
            _ => Err(PgError::new("0A000", "this statement is not supported")),
        }
    }

    fn session_statement(&mut self, s: SessionStmt) -> Result<Reply, PgError> {
        match s {
            SessionStmt::Set { name, value } => {
                let name = name.to_ascii_lowercase();
                let value = value.trim_matches('\'').to_string();
                match name.as_str() {
                    "client_encoding"
                        if !matches!(value.to_ascii_uppercase().as_str(), "UTF8" | "UTF-8" | "UNICODE") =>
                    {
                        return Err(PgError::new(
                            "22023",
                            format!("invalid value for parameter \"client_encoding\": \"{value}\""),
                        )
                        .hint("rowchain speaks UTF8 only"));
                    }
                    "server_version"
                    | "server_encoding"
                    | "integer_datetimes"
                    | "is_superuser"
                    | "session_authorization" => {
                        return Err(PgError::new("55P02", format!("parameter \"{name}\" cannot be changed")));
                    }
                    _ => {}
                }
                if REPORTED.contains(&name.as_str()) {
                    self.changed.push((reported_name(&name).to_string(), value.clone()));
                }
                self.settings.insert(name, value);
                Ok(Reply::Tag("SET".into()))
            }
            SessionStmt::Show(name) => {
                let name = name.to_ascii_lowercase();
                if name == "all" {
                    let rows = self
                        .settings
                        .iter()
                        .map(|(k, v)| vec![Value::Text(k.clone()), Value::Text(v.clone()), Value::Text(String::new())])
                        .collect();
                    let f = |n: &str| Field { name: n.into(), ty: WireType::plain(types::OID_TEXT) };
                    return Ok(Reply::Rows {
                        fields: vec![f("name"), f("setting"), f("description")],
                        rows,
                        tag: "SHOW".into(),
                    });
                }
                let key = match name.as_str() {
                    "transaction isolation level" | "transaction_isolation" => "transaction_isolation",
                    n => n,
                };
                let Some(v) = self.settings.get(key) else {
                    return Err(PgError::new("42704", format!("unrecognized configuration parameter \"{name}\"")));
                };
                Ok(Reply::Rows {
                    fields: vec![Field { name: key.into(), ty: WireType::plain(types::OID_TEXT) }],
                    rows: vec![vec![Value::Text(v.clone())]],
                    tag: "SHOW".into(),
                })
            }
            SessionStmt::Reset(name) => {
                let defaults = default_settings(&self.user, &BTreeMap::new());
                match name {
                    None => self.settings = defaults,
                    Some(n) => {
                        let n = n.to_ascii_lowercase();
                        match defaults.get(&n) {
                            Some(v) => self.settings.insert(n, v.clone()),
                            None => self.settings.remove(&n),
                        };
                    }
                }
                Ok(Reply::Tag("RESET".into()))
            }
            SessionStmt::SetTransaction => Ok(Reply::Tag("SET".into())),
            SessionStmt::Maintenance => Ok(Reply::Tag("VACUUM".into())),
        }
    }

    async fn transaction(&mut self, c: TxControl, text: String) -> Result<Reply, PgError> {
        match c {
            TxControl::Begin => {
                if self.block.is_none() {
                    self.block = Some(Block::default());
                }
                Ok(Reply::Tag("BEGIN".into()))
            }
            TxControl::Rollback => {
                self.block = None;
                Ok(Reply::Tag("ROLLBACK".into()))
            }
            TxControl::Commit => {
                let Some(b) = self.block.take() else { return Ok(Reply::Tag("COMMIT".into())) };
                if b.failed {
                    return Ok(Reply::Tag("ROLLBACK".into()));
                }
                if b.writes {
                    let observed = digest_of(&b.seen);
                    let r = self.submit(Payload::Interactive { steps: b.steps, observed }).await?;
                    if let Some(e) = receipt_error(&r) {
                        return Err(e);
                    }
                }
                Ok(Reply::Tag("COMMIT".into()))
            }
            TxControl::Savepoint(_) | TxControl::Release(_) | TxControl::RollbackTo(_) => {
                if self.block.is_none() {
                    let what = text.split_whitespace().next().unwrap_or("SAVEPOINT").to_ascii_uppercase();
                    return Err(PgError::new("25P01", format!("{what} can only be used in transaction blocks")));
                }
                let rollback_to = matches!(c, TxControl::RollbackTo(_));
                let tag = match c {
                    TxControl::Savepoint(_) => "SAVEPOINT",
                    TxControl::Release(_) => "RELEASE",
                    _ => "ROLLBACK",
                };
                self.step(text, vec![], None, None).await?;
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
    async fn push_steps(&mut self, stmts: Vec<Statement>) -> Result<Vec<StepOutcome>, PgError> {
        let max = self.node.config().pg.block_statements_max;
        let block = self.block.as_mut().ok_or_else(no_block)?;
        let added = stmts.len();
        if block.steps.len() + added > max {
            block.failed = true;
            return Err(PgError::new(
                "54000",
                format!("the transaction block has more than {max} statements (pg.block_statements_max)"),
            ));
        }
        block.steps.extend(stmts);
        block.catalog = None;
        let steps = block.steps.clone();
        let node = self.node.clone();
        let account = self.key.public();
        let spec = tokio::task::spawn_blocking(move || node.speculate(&account, &steps))
            .await
            .map_err(|e| PgError::new("XX000", e.to_string()))?
            .map_err(|e| PgError::new("XX000", e.to_string()))?;
        let block = self.block.as_mut().ok_or_else(no_block)?;
        let kept = block.steps.len().saturating_sub(added);
        if let Some(f) = spec.refused {
            block.steps.truncate(kept);
            block.failed = true;
            return Err(PgError::new(&f.sqlstate, f.message));
        }
        if spec.outcomes.len() != block.steps.len() {
            block.steps.truncate(kept);
            block.failed = true;
            let msg = format!("speculation gave {} outcomes for {} steps", spec.outcomes.len(), block.steps.len());
            return Err(PgError::new("XX000", msg));
        }
        let changed = spec.outcomes.iter().take(kept).zip(&block.seen).any(|(o, seen)| o.digest() != *seen);
        if changed {
            block.steps.truncate(kept);
            block.failed = true;
            return Err(PgError::new("40001", "could not serialize access due to concurrent update")
                .hint("a transaction that committed meanwhile changed what this one read; run the transaction again"));
        }
        let new: Vec<StepOutcome> = spec.outcomes.into_iter().skip(kept).collect();
        block.seen.extend(new.iter().map(StepOutcome::digest));
        if let Some(StepOutcome::Failed { sqlstate, message }) =
            new.iter().find(|o| matches!(o, StepOutcome::Failed { .. }))
        {
            block.failed = true;
            return Err(PgError::new(sqlstate, message.clone()));
        }
        Ok(new)
    }

    /// One statement inside a transaction block. `origins` are a read's
    /// result columns, when the committed state can trace them.
    async fn step(
        &mut self,
        text: String,
        params: Vec<Value>,
        write: Option<Plan>,
        origins: Option<Vec<ColumnOrigin>>,
    ) -> Result<Reply, PgError> {
        let outcomes = self.push_steps(vec![Statement { sql: text.clone(), params }]).await?;
        let last = outcomes.into_iter().last().ok_or_else(|| PgError::new("XX000", "a step gave no outcome"))?;
        match last {
            StepOutcome::Done(r) => {
                if let Some(p) = &write {
                    if let Some(b) = &mut self.block {
                        b.writes = true;
                        b.ddl |= matches!(p, Plan::Ddl(_));
                    }
                    return Ok(self.write_reply(p, r));
                }
                let rs = r.returning.unwrap_or_default();
                let n = rs.rows.len();
                let fields = self.read_fields_for(&rs.columns, &rs.rows, origins.as_deref(), &text);
                Ok(Reply::Rows { fields, rows: rs.rows, tag: format!("SELECT {n}") })
            }
            _ => Ok(Reply::Tag(String::new())),
        }
    }

    /// The catalog as the transaction block's speculation shows it, or None
    /// when the block cannot run as it stands (its next step reports that).
    async fn block_catalog(&mut self) -> Result<Option<crate::catalog::BlockCatalog>, PgError> {
        if let Some(built) = self.block.as_ref().and_then(|b| b.catalog.clone()) {
            return Ok(Some(built));
        }
        let steps = self.block.as_ref().map(|b| b.steps.clone()).unwrap_or_default();
        let node = self.node.clone();
        let account = self.key.public();
        let database = self.info().database.clone();
        let (_, catalog) = tokio::task::spawn_blocking(move || {
            node.speculate_with(&account, &steps, |conn| {
                crate::catalog::BlockCatalog::build(conn, &database, node.admin_addresses())
            })
        })
        .await
        .map_err(|e| PgError::new("XX000", e.to_string()))?
        .map_err(|e| PgError::new("XX000", e.to_string()))?;
        let catalog =
            catalog.transpose().map_err(|e| PgError::new("XX000", format!("catalog of the transaction block: {e}")))?;
        if let Some(b) = &mut self.block {
            b.catalog = catalog.clone();
        }
        Ok(catalog)
    }

    /// The read as this role may run it: 42501 without SELECT on a table
    /// it names, rows filtered by the tables' SELECT policies.
    fn secure(&mut self, r: sqlmap::ReadPlan, text: &str) -> Result<sqlmap::ReadPlan, PgError> {
        let tables = self.node.tables()?;
        if let Some((planned_for, filtered)) = self.filtered.get(text) {
            if Arc::ptr_eq(planned_for, &tables) {
                return Ok(filtered.clone());
            }
        }
        let who = node_core::acl::Who { address: &self.address, name: &self.user, admin: self.admin };
        match node_core::acl::secure_read(&tables, who, &r, text)? {
            None => Ok(r),
            Some(filtered) => {
                if self.filtered.len() >= 256 {
                    self.filtered.clear();
                }
                self.filtered.insert(text.to_owned(), (tables, filtered.clone()));
                Ok(filtered)
            }
        }
    }

    async fn read(
        &mut self,
        r: sqlmap::ReadPlan,
        params: Vec<Value>,
        text: &str,
        catalog: Option<crate::catalog::BlockCatalog>,
    ) -> Result<Reply, PgError> {
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
            .map_err(|e| PgError::new("XX000", e.to_string()))??,
        };
        if self.cancel.swap(false, Ordering::SeqCst) {
            return Err(PgError::new("57014", "canceling statement due to user request"));
        }
        let fields = self.read_fields_for(&rows.columns, &rows.rows, Some(&origins), text);
        let n = rows.rows.len();
        Ok(Reply::Rows { fields, rows: rows.rows, tag: format!("SELECT {n}") })
    }

    /// The chain's tables as of the latest block, for planning and typing
    /// (empty when they cannot be read; privilege checks use
    /// `Node::tables` and fail instead).
    fn tables(&mut self) -> Arc<BTreeMap<String, node_core::catalog::TableMeta>> {
        self.node.tables().unwrap_or_default()
    }

    fn column_type(&mut self, table: &str, column: &str) -> Option<WireType> {
        let tables = self.tables();
        let Some(meta) = tables.get(table) else {
            // A column of the emulated catalog.
            return crate::catalog::column_type_oid(table, column).map(WireType::plain);
        };
        let col = meta.columns.iter().find(|c| c.name == column)?;
        sqlmap::PgType::parse_name(&col.pg_type).map(|t| WireType::of(&t))
    }

    /// Result column types: the declared type of the table column a result
    /// comes from; else what the statement fixes (a cast, `count(*)`, a
    /// literal); else the type of the values.
    fn read_fields_for(
        &mut self,
        names: &[String],
        rows: &[Vec<Value>],
        origins: Option<&[ColumnOrigin]>,
        text: &str,
    ) -> Vec<Field> {
        let mut hints: Option<Vec<Option<sqlmap::PgType>>> = None;
        // Catalog queries: clients decode booleans and arrays by the type they are told.
        let mut catalog_types: Option<Vec<Option<u32>>> = None;
        let is_catalog = text.contains("pg_") || text.contains("information_schema") || text.contains("_privilege");
        let tables = self.tables();
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let declared = origins
                    .and_then(|o| o.get(i))
                    .and_then(|o| Some((o.table.clone()?, o.column.clone()?)))
                    .and_then(|(t, c)| self.column_type(&t, &c));
                let ty = declared
                    .or_else(|| {
                        if !is_catalog {
                            return None;
                        }
                        let t = catalog_types.get_or_insert_with(|| sqlmap::result_types(text));
                        t.get(i).copied().flatten().map(WireType::plain)
                    })
                    .or_else(|| {
                        let h = hints.get_or_insert_with(|| {
                            sqlmap::result_hints_in(text, &node_core::catalog::SchemaView(&tables))
                        });
                        h.get(i).copied().flatten().map(|t| WireType::of(&t))
                    })
                    .unwrap_or_else(|| {
                        WireType::of_value(rows.iter().filter_map(|r| r.get(i)).find(|v| !matches!(v, Value::Null)))
                    });
                Field { name: name.clone(), ty }
            })
            .collect()
    }

    /// A write's reply: its tag, and its RETURNING rows when it has them.
    fn write_reply(&mut self, p: &Plan, r: StatementResult) -> Reply {
        let tag = write_tag(p, &r);
        match r.returning {
            Some(rs) => {
                let fields = self.write_fields(p).unwrap_or_else(|| value_fields(&rs.columns, &rs.rows));
                Reply::Rows { fields, rows: rs.rows, tag }
            }
            None => Reply::Tag(tag),
        }
    }

    /// RETURNING columns typed by the target table's columns of the same name.
    fn write_fields(&mut self, p: &Plan) -> Option<Vec<Field>> {
        let Plan::Write(w) = p else { return None };
        if !w.returning {
            return None;
        }
        let sql = w.sqlite.clone();
        let names: Vec<String> =
            self.node.reader().system(|c| Ok(c.prepare(&sql)?.column_names().map(str::to_owned).collect())).ok()?;
        let table = w.table.clone();
        Some(
            names
                .into_iter()
                .map(|n| {
                    let ty = self.column_type(&table, &n).unwrap_or(WireType::plain(types::OID_TEXT));
                    Field { name: n, ty }
                })
                .collect(),
        )
    }

    /// Signs and submits one tx of SQL statements, waiting for its receipt.
    async fn autocommit(&mut self, stmts: Vec<Statement>) -> Result<Vec<StatementResult>, PgError> {
        let r = self.submit(Payload::Sql(stmts)).await?;
        match receipt_error(&r) {
            Some(e) => Err(e),
            None => Ok(r.results),
        }
    }

    async fn submit(&mut self, payload: Payload) -> Result<Receipt, PgError> {
        let lifetime = self.node.config().limits.tx_lifetime_default_ms;
        let body = TxBody {
            chain_id: self.node.genesis().chain_id.clone(),
            account: self.key.public(),
            id: node_core::crypto::random_bytes(),
            expires_at_ms: now_ms() + lifetime,
            payload,
        };
        let tx = body.sign(&self.key);
        let size = tx.to_bytes().len();
        let hash = tx.hash();
        let rx = self.node.submit(tx, size, true)?.ok_or_else(|| PgError::new("XX000", "no receipt waiter"))?;
        match tokio::time::timeout(Duration::from_millis(lifetime + 5_000), rx).await {
            Ok(Ok(Outcome::Committed { receipt, .. })) => Ok(receipt),
            Ok(Ok(Outcome::Rejected(why))) => {
                Err(PgError::new("57014", format!("the transaction was not included: {why}")))
            }
            Ok(Err(_)) => Err(PgError::new("57P01", "the node stopped")),
            Err(_) => {
                self.node.forget(&hash);
                Err(PgError::new("57014", "the transaction expired before a block included it; it will never apply"))
            }
        }
    }

    async fn role(&mut self, r: RoleStmt) -> Result<Reply, PgError> {
        match r {
            RoleStmt::Create { name, password, create_role, .. } => {
                let Some(password) = password else {
                    return Err(PgError::new("0A000", "CREATE ROLE needs a PASSWORD")
                        .hint("a rowchain role signs with its own key, sealed under its password"));
                };
                if self.node.keystore().contains(&name) {
                    return Err(PgError::new("42710", format!("role \"{name}\" already exists")));
                }
                let key = SecretKey::generate();
                let ks = &self.node.keystore();
                let keep = node::hba::keep(&self.node.config().pg.hba, &name);
                ks.put(&name, &password, &key, keep).map_err(|e| PgError::new(e.sqlstate(), e.to_string()))?;
                let r = self
                    .submit(Payload::Role(RoleOp::Create { name: name.clone(), public_key: key.public(), create_role }))
                    .await;
                match r.map(|r| receipt_error(&r)) {
                    Ok(None) => Ok(Reply::Tag("CREATE ROLE".into())),
                    Ok(Some(e)) | Err(e) => {
                        let _ = self.node.keystore().remove(&name);
                        Err(e)
                    }
                }
            }
            RoleStmt::AlterPassword { name, password } => {
                if name != self.user {
                    return Err(PgError::new("0A000", "only a role itself can change its password").hint(
                        "its account key is sealed under the current password; sign in as the role and run ALTER ROLE",
                    ));
                }
                let r = self.submit(Payload::Role(RoleOp::SetPassword { name: name.clone() })).await?;
                if let Some(e) = receipt_error(&r) {
                    return Err(e);
                }
                let keep = node::hba::keep(&self.node.config().pg.hba, &name);
                self.node
                    .keystore()
                    .put(&name, &password, &self.key, keep)
                    .map_err(|e| PgError::new(e.sqlstate(), e.to_string()))?;
                Ok(Reply::Tag("ALTER ROLE".into()))
            }
            RoleStmt::Drop { names, if_exists } => {
                for name in names {
                    let r = self.submit(Payload::Role(RoleOp::Drop { name: name.clone() })).await?;
                    match receipt_error(&r) {
                        Some(e) if e.sqlstate == "42704" && if_exists => continue,
                        Some(e) => return Err(e),
                        None => {
                            let _ = self.node.keystore().remove(&name);
                        }
                    }
                }
                Ok(Reply::Tag("DROP ROLE".into()))
            }
            _ => Err(PgError::new("0A000", "this role statement is not supported")),
        }
    }

    // ---- extended query protocol ----

    fn parse(&mut self, name: String, sql: &str, types: &[u32]) -> Result<(), PgError> {
        let plan = if sql.chars().all(|c| c == ';' || c.is_whitespace()) {
            None
        } else {
            let mut plans = self.plan_text(sql)?;
            if plans.len() > 1 {
                return Err(PgError::new("42601", "cannot insert multiple commands into a prepared statement"));
            }
            plans.pop()
        };
        let count = match &plan {
            Some((Plan::Read(r), _)) => r.param_count,
            Some((Plan::Write(w), _)) => w.param_count,
            _ => 0,
        };
        let mut param_types: Vec<u32> = types.to_vec();
        if param_types.len() < count {
            param_types.resize(count, 0);
        }
        if param_types.contains(&0) {
            let hints = sqlmap::param_hints(sql);
            let scope: Vec<String> = match &plan {
                Some((Plan::Read(r), _)) => r.tables.clone(),
                Some((Plan::Write(w), _)) => {
                    std::iter::once(w.table.clone()).chain(w.tables_read.iter().cloned()).collect()
                }
                _ => Vec::new(),
            };
            for (i, t) in param_types.iter_mut().enumerate() {
                if *t == 0 {
                    *t = hints.get(i).and_then(|h| self.hint_type(h, &scope)).unwrap_or(0);
                }
            }
        }
        if !name.is_empty() && self.statements.contains_key(&name) {
            return Err(PgError::new("42P05", format!("prepared statement \"{name}\" already exists")));
        }
        self.statements.insert(name, Arc::new(Prepared { plan, param_types, described: Default::default() }));
        Ok(())
    }

    /// The type a parameter hint points at, resolved in the chain's catalog.
    fn hint_type(&mut self, h: &sqlmap::ParamHint, scope: &[String]) -> Option<u32> {
        let tables = self.tables();
        let typed = |meta: &node_core::catalog::TableMeta, col: &str| {
            meta.columns
                .iter()
                .find(|c| c.name == col)
                .and_then(|c| sqlmap::PgType::parse_name(&c.pg_type))
                .map(|t| t.oid())
        };
        match h {
            sqlmap::ParamHint::Type(t) => Some(t.oid()),
            sqlmap::ParamHint::Column { table, column } => {
                if let Some(t) = table.as_ref().and_then(|t| tables.get(t)) {
                    if let Some(oid) = typed(t, column) {
                        return Some(oid);
                    }
                }
                scope.iter().filter_map(|t| tables.get(t)).find_map(|t| typed(t, column))
            }
            sqlmap::ParamHint::Position { table, index } => {
                let meta = tables.get(table)?;
                meta.columns.get(*index).and_then(|c| sqlmap::PgType::parse_name(&c.pg_type)).map(|t| t.oid())
            }
            _ => None,
        }
    }

    fn bind(&mut self, b: pgwire::messages::extendedquery::Bind) -> Result<(), PgError> {
        let sname = b.statement_name.unwrap_or_default();
        let stmt = self
            .statements
            .get(&sname)
            .cloned()
            .ok_or_else(|| PgError::new("26000", format!("prepared statement \"{sname}\" does not exist")))?;
        if b.parameters.len() != stmt.param_types.len() {
            return Err(PgError::new(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement \"{sname}\" requires {}",
                    b.parameters.len(),
                    stmt.param_types.len()
                ),
            ));
        }
        let formats = &b.parameter_format_codes;
        if formats.len() > 1 && formats.len() != b.parameters.len() {
            let msg =
                format!("bind message has {} parameter formats but {} parameters", formats.len(), b.parameters.len());
            return Err(PgError::new("08P01", msg));
        }
        if let Some(c) = formats.iter().chain(&b.result_column_format_codes).find(|c| !matches!(c, 0 | 1)) {
            return Err(PgError::new("22023", format!("unsupported format code: {c}")));
        }
        let params = b
            .parameters
            .iter()
            .zip(&stmt.param_types)
            .enumerate()
            .map(|(i, (p, oid))| {
                types::param_value(p.as_deref(), *oid, format_of(&b.parameter_format_codes, i) == 1)
                    .map_err(|e| PgError::new("22P02", e.0))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pname = b.portal_name.unwrap_or_default();
        self.portals.insert(pname, Portal { stmt, params, formats: b.result_column_format_codes, pending: None });
        Ok(())
    }

    async fn describe_statement(&mut self, name: &str) -> Result<Vec<PgWireBackendMessage>, PgError> {
        let stmt = self
            .statements
            .get(name)
            .cloned()
            .ok_or_else(|| PgError::new("26000", format!("prepared statement \"{name}\" does not exist")))?;
        let params = PgWireBackendMessage::ParameterDescription(ParameterDescription::new(
            stmt.param_types.iter().map(|t| if *t == 0 { types::OID_TEXT } else { *t }).collect(),
        ));
        let fields = match &stmt.plan {
            Some((Plan::Read(r), text)) => Some(self.describe_read(r, text)?),
            Some((p @ Plan::Write(_), _)) => self.write_fields(p),
            Some((Plan::Session(SessionStmt::Show(n)), _)) => {
                Some(vec![Field { name: n.to_ascii_lowercase(), ty: WireType::plain(types::OID_TEXT) }])
            }
            _ => None,
        };
        *stmt.described.lock() = fields.clone();
        Ok(vec![params, fields_message(fields.as_deref(), &[])])
    }

    /// The result columns of a read, before it runs: declared types for
    /// column references; for expressions, the type of what a trial run
    /// with NULL parameters yields.
    fn describe_read(&mut self, r: &sqlmap::ReadPlan, text: &str) -> Result<Vec<Field>, PgError> {
        let origins = self.node.reader().describe(r)?;
        let names: Vec<String> = origins.iter().map(|o| o.name.clone()).collect();
        let needs_trial = origins.iter().any(|o| o.table.is_none());
        // The trial reads rows, so it runs as the role may read: not at all
        // without SELECT (the statement's Execute reports that), filtered
        // under row-level security.
        let secured = if needs_trial { self.secure(r.clone(), text).ok() } else { None };
        let rows = if let Some(r) = secured {
            let trial = sqlmap::ReadPlan {
                sqlite: format!("SELECT * FROM ({}) LIMIT 1", r.sqlite),
                tables: r.tables.clone(),
                param_count: r.param_count,
            };
            let info = self.info();
            let node = self.node.clone();
            crate::catalog::with_session(info, || node.reader().query(&trial, &vec![Value::Null; r.param_count]))
                .map(|rs| rs.rows)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(self.read_fields_for(&names, &rows, Some(&origins), text))
    }

    async fn describe_portal(&mut self, name: &str) -> Result<Vec<PgWireBackendMessage>, PgError> {
        let portal =
            self.portals.get(name).ok_or_else(|| PgError::new("34000", format!("portal \"{name}\" does not exist")))?;
        let formats = portal.formats.clone();
        if let Some((fields, ..)) = &portal.pending {
            return Ok(vec![fields_message(Some(fields), &formats)]);
        }
        let stmt = portal.stmt.clone();
        let params = portal.params.clone();
        let fields = match &stmt.plan {
            Some((plan @ (Plan::Read(_) | Plan::Session(SessionStmt::Show(_))), text)) => {
                // Run it now: the types come from real values and Execute sends these rows.
                match self.run(plan.clone(), text.clone(), params).await? {
                    Reply::Rows { fields, rows, tag } => {
                        let fields = keep_described(&stmt, fields);
                        if let Some(p) = self.portals.get_mut(name) {
                            p.pending = Some((fields.clone(), rows, 0, tag));
                        }
                        Some(fields)
                    }
                    _ => None,
                }
            }
            Some((p @ Plan::Write(_), _)) => self.write_fields(p),
            _ => None,
        };
        Ok(vec![fields_message(fields.as_deref(), &formats)])
    }

    async fn execute_portal(&mut self, name: &str, max_rows: usize) -> Result<Vec<PgWireBackendMessage>, PgError> {
        let portal = self
            .portals
            .get_mut(name)
            .ok_or_else(|| PgError::new("34000", format!("portal \"{name}\" does not exist")))?;
        let formats = portal.formats.clone();
        if portal.pending.is_none() {
            let stmt = portal.stmt.clone();
            let params = portal.params.clone();
            let Some((plan, text)) = stmt.plan.clone() else {
                return Ok(vec![PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())]);
            };
            match self.run(plan, text, params).await? {
                Reply::Rows { fields, rows, tag } => {
                    let fields = keep_described(&stmt, fields);
                    if let Some(p) = self.portals.get_mut(name) {
                        p.pending = Some((fields, rows, 0, tag));
                    }
                }
                Reply::Tag(tag) => {
                    let mut out: Vec<PgWireBackendMessage> = std::mem::take(&mut self.changed)
                        .into_iter()
                        .map(|(k, v)| {
                            PgWireBackendMessage::ParameterStatus(pgwire::messages::startup::ParameterStatus::new(k, v))
                        })
                        .collect();
                    out.push(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)));
                    return Ok(out);
                }
                Reply::CopyIn(c) => {
                    let n = c.columns.len().max(self.copy_columns(&c).len());
                    self.copy = Some(CopyParser::new(c));
                    return Ok(vec![PgWireBackendMessage::CopyInResponse(CopyInResponse::new(
                        0,
                        n as i16,
                        vec![0; n],
                    ))]);
                }
            }
        }
        // The portal may be gone: a statement it ran (COMMIT, ROLLBACK) may have closed it.
        let Some((fields, rows, cursor, tag)) = self.portals.get_mut(name).and_then(|p| p.pending.as_mut()) else {
            return Err(PgError::new("34000", format!("portal \"{name}\" does not exist")));
        };
        let end = if max_rows == 0 { rows.len() } else { cursor.saturating_add(max_rows).min(rows.len()) };
        let batch = rows.get(*cursor..end).unwrap_or_default();
        let mut out = Vec::with_capacity(batch.len() + 1);
        for row in batch {
            out.push(PgWireBackendMessage::DataRow(data_row(row, fields, &formats)?));
        }
        *cursor = end;
        if end < rows.len() {
            out.push(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()));
        } else {
            let tag = if tag.starts_with("SELECT") { format!("SELECT {}", rows.len()) } else { tag.clone() };
            out.push(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)));
        }
        Ok(out)
    }

    // ---- COPY FROM STDIN ----

    /// The columns a COPY loads, with their declared types.
    fn copy_columns(&mut self, c: &sqlmap::CopyPlan) -> Vec<(String, u32)> {
        let tables = self.tables();
        let Some(meta) = tables.get(&c.table) else { return Vec::new() };
        let typed = |name: &str| {
            meta.columns
                .iter()
                .find(|m| m.name == name)
                .map(|m| (m.name.clone(), sqlmap::PgType::parse_name(&m.pg_type).map(|t| t.oid()).unwrap_or(0)))
        };
        if c.columns.is_empty() {
            meta.columns.iter().filter_map(|m| typed(&m.name)).collect()
        } else {
            c.columns.iter().map(|n| typed(n).unwrap_or((n.clone(), 0))).collect()
        }
    }

    async fn copy_message(&mut self, conn: &mut Conn, msg: PgWireFrontendMessage) -> io::Result<()> {
        use PgWireFrontendMessage as M;
        let result = match msg {
            M::CopyData(d) => {
                let Some(parser) = self.copy.as_mut() else { return Ok(()) };
                if let Err(e) = parser.feed(&d.data) {
                    Err(PgError::new("22P04", e.0))
                } else if parser.rows.len() > self.copy_limit() {
                    Err(self.copy_too_large())
                } else {
                    return Ok(());
                }
            }
            M::CopyDone(_) => self.copy_done().await,
            M::CopyFail(f) => Err(PgError::new("57014", format!("COPY from stdin failed: {}", f.message))),
            M::Flush(_) | M::Sync(_) => return Ok(()),
            _ => Err(PgError::new("08P01", "unexpected message type during COPY")),
        };
        self.copy = None;
        match result {
            Ok(n) => {
                conn.feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(format!("COPY {n}")))).await?
            }
            Err(e) => {
                conn.feed(PgWireBackendMessage::ErrorResponse(e.response())).await?;
                if !self.copy_simple {
                    self.skipping = true;
                }
            }
        }
        if self.copy_simple {
            conn.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(self.status()))).await?;
        } else {
            conn.flush().await?;
        }
        Ok(())
    }

    /// Rows one COPY may load atomically, or `rowchain.copy_batch_rows`
    /// batches when the session opted into non-atomic loading.
    fn copy_limit(&self) -> usize {
        if self.batch_rows().is_some() && self.block.is_none() {
            usize::MAX
        } else {
            self.node.config().pg.copy_rows_max
        }
    }

    fn batch_rows(&self) -> Option<usize> {
        self.settings.get("rowchain.copy_batch_rows").and_then(|v| v.parse().ok()).filter(|n| *n > 0)
    }

    fn copy_too_large(&self) -> PgError {
        PgError::new("54000", format!("COPY loads more than {} rows, the most one atomic transaction holds (pg.copy_rows_max)", self.node.config().pg.copy_rows_max))
            .hint("split the load, or SET rowchain.copy_batch_rows = 10000 to load it in separately committed batches (not atomic)")
    }

    async fn copy_done(&mut self) -> Result<usize, PgError> {
        let mut parser = self.copy.take().ok_or_else(|| PgError::new("XX000", "no COPY in progress"))?;
        parser.finish().map_err(|e| PgError::new("22P04", e.0))?;
        let plan = parser.plan().clone();
        let columns = self.copy_columns(&plan);
        if columns.is_empty() {
            return Err(PgError::new("42P01", format!("relation \"{}\" does not exist", plan.table)));
        }
        let rows = std::mem::take(&mut parser.rows);
        if rows.len() > self.copy_limit() {
            return Err(self.copy_too_large());
        }
        let n = rows.len();
        let mut values = Vec::with_capacity(n);
        for (line, row) in rows.into_iter().enumerate() {
            if row.len() != columns.len() {
                return Err(PgError::new(
                    "22P04",
                    format!(
                        "COPY {}, line {}: expected {} columns, got {}",
                        plan.table,
                        line + 1,
                        columns.len(),
                        row.len()
                    ),
                ));
            }
            let vals = row
                .iter()
                .zip(&columns)
                .map(|(f, (_, oid))| types::param_value(f.as_deref().map(str::as_bytes), *oid, false))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| PgError::new("22P02", format!("COPY {}, line {}: {}", plan.table, line + 1, e.0)))?;
            values.push(vals);
        }
        let col_list =
            columns.iter().map(|(c, _)| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(", ");
        let per_stmt = (30_000 / columns.len()).clamp(1, 500);
        let statements = |rows: &[Vec<Value>]| -> Vec<Statement> {
            rows.chunks(per_stmt)
                .map(|chunk| {
                    let mut sql = format!("INSERT INTO \"{}\" ({col_list}) VALUES ", plan.table.replace('"', "\"\""));
                    let mut params = Vec::with_capacity(chunk.len() * columns.len());
                    for (r, row) in chunk.iter().enumerate() {
                        if r > 0 {
                            sql.push_str(", ");
                        }
                        sql.push('(');
                        for (c, value) in row.iter().enumerate() {
                            if c > 0 {
                                sql.push_str(", ");
                            }
                            sql.push_str(&format!("${}", params.len() + 1));
                            params.push(value.clone());
                        }
                        sql.push(')');
                    }
                    Statement { sql, params }
                })
                .collect()
        };
        if self.block.is_some() {
            // Inside BEGIN ... COMMIT the load is part of the block's one tx.
            self.push_steps(statements(&values)).await?;
            if let Some(b) = &mut self.block {
                b.writes = true;
            }
            return Ok(n);
        }
        match self.batch_rows() {
            None => {
                self.autocommit(statements(&values)).await?;
            }
            Some(batch) => {
                for part in values.chunks(batch) {
                    self.autocommit(statements(part)).await?;
                }
            }
        }
        Ok(n)
    }
}

/// The columns of an execution, as the statement's Describe announced them
/// when it did: a client decodes by what it was told.
fn keep_described(stmt: &Prepared, fields: Vec<Field>) -> Vec<Field> {
    match &*stmt.described.lock() {
        Some(d) if d.len() == fields.len() => d.clone(),
        _ => fields,
    }
}

fn value_fields(names: &[String], rows: &[Vec<Value>]) -> Vec<Field> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Field {
            name: n.clone(),
            ty: WireType::of_value(rows.iter().filter_map(|r| r.get(i)).find(|v| !matches!(v, Value::Null))),
        })
        .collect()
}

/// The format code for column or parameter `i`: none means text, one
/// applies to all, else one each.
fn format_of(formats: &[i16], i: usize) -> i16 {
    match formats {
        [] => 0,
        [all] => *all,
        _ => formats.get(i).copied().unwrap_or(0),
    }
}

fn fields_message(fields: Option<&[Field]>, formats: &[i16]) -> PgWireBackendMessage {
    match fields {
        Some(f) if !f.is_empty() => PgWireBackendMessage::RowDescription(row_description(f, formats)),
        _ => PgWireBackendMessage::NoData(NoData::new()),
    }
}

fn row_description(fields: &[Field], formats: &[i16]) -> RowDescription {
    RowDescription::new(
        fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                FieldDescription::new(f.name.clone(), 0, 0, f.ty.oid, f.ty.size(), f.ty.typmod, format_of(formats, i))
            })
            .collect(),
    )
}

fn data_row(row: &[Value], fields: &[Field], formats: &[i16]) -> Result<DataRow, PgError> {
    let mut buf = bytes::BytesMut::with_capacity(row.len() * 8);
    for (i, (v, f)) in row.iter().zip(fields).enumerate() {
        let bytes = if format_of(formats, i) == 1 {
            types::to_binary(v, &f.ty).map_err(|e| PgError::new("22P02", e.0))?
        } else {
            types::to_text(v, &f.ty)
        };
        match bytes {
            None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(b) => {
                buf.extend_from_slice(&(b.len() as i32).to_be_bytes());
                buf.extend_from_slice(&b);
            }
        }
    }
    Ok(DataRow::new(buf, row.len() as i16))
}

/// Code that runs only inside a transaction block found none: a bug, reported, not a panic.
fn no_block() -> PgError {
    PgError::new("XX000", "not in a transaction block")
}
