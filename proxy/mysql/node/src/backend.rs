//! [`NodeBackend`]: one MySQL connection over a front-end `Session` in the
//! MySQL dialect.
//!
//! - **Login**: the role's MySQL verifier from the keystore (`pg.hba`
//!   rejections apply); what the scramble proves, or the password of a
//!   full authentication, opens the role's sealed key.
//! - **Statements**: planned by the session; the statements sqlmap leaves
//!   to the front end (`Plan::MySql`: SHOW, SET, `SELECT @@x`, USE) are
//!   answered here, everything else runs through `Session::execute`.
//! - **Transactions**: `autocommit=1` (the default) makes each write its
//!   own chain tx. `autocommit=0` opens a transaction block before the
//!   first write; COMMIT submits it. Reads before that first write see the
//!   latest committed state, so a session that only reads never builds up
//!   a block it would re-run on every statement (PyMySQL and
//!   Connector/Python turn autocommit off by default); START TRANSACTION
//!   puts every read in the block and under validation. DDL and user
//!   statements commit an open block first (MySQL's implicit commit). A
//!   failed statement rolls back only itself; a conflict at COMMIT (1213)
//!   rolls back the whole transaction (the session's MySQL rules).
//! - **Multi-statement text** (CLIENT_MULTI_STATEMENTS) runs statement by
//!   statement, each its own result, stopping at the first error.

use crate::errors::{self, server_error};
use crate::results;
use crate::show::{self, Extra, Variables};
use node_core::crypto::SecretKey;
use proxy_frontend::login::{MysqlSecret, MysqlVerifier};
use proxy_frontend::{CancelFlag, Frontend, FrontendError, Prepared as SessionPrepared, Reply, Session, Status};
use proxy_mysql::resultset::status;
use proxy_mysql::{Backend, LoginInfo, Prepared, QueryResult, Secret, ServerError, Value, Verifier};
use sqlmap::{Dialect, MySqlStmt, Plan, SetValue, TxControl};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// The MySQL side of one connection.
pub struct NodeBackend {
    frontend: Arc<Frontend>,
    peer: SocketAddr,
    /// The role whose key the last authentication opened.
    opened: Option<(String, SecretKey)>,
    session: Option<Session>,
    variables: Variables,
    statements: HashMap<u32, SessionPrepared>,
    last_insert_id: u64,
    connection_id: u32,
    /// The last statement's warnings (`SHOW WARNINGS`).
    warnings: Vec<show::Warning>,
    /// CLIENT_FOUND_ROWS: affected rows are the rows matched.
    found_rows: bool,
    /// Whether the connection is TLS (`have_ssl`).
    tls: bool,
    started: Instant,
}

fn error(e: FrontendError) -> QueryResult {
    QueryResult::Error(server_error(&e))
}

fn not_logged_in() -> ServerError {
    ServerError::new(1045, *b"28000", "not logged in")
}

impl NodeBackend {
    pub fn new(frontend: Arc<Frontend>, peer: SocketAddr) -> Self {
        let variables = fresh_variables(&frontend, false);
        NodeBackend {
            frontend,
            peer,
            opened: None,
            session: None,
            variables,
            statements: HashMap::new(),
            last_insert_id: 0,
            connection_id: 0,
            warnings: Vec::new(),
            found_rows: false,
            tls: false,
            started: Instant::now(),
        }
    }

    fn database(&self) -> &str {
        &self.frontend.node().config().pg.database
    }

    /// Runs one planned statement.
    async fn run(&mut self, plan: Plan, text: String, params: Vec<node_core::value::Value>) -> QueryResult {
        let Some(status) = self.session.as_ref().map(Session::status) else {
            return QueryResult::Error(not_logged_in());
        };
        // Every statement but those that read them clears the warnings.
        let reads_warnings = match &plan {
            Plan::MySql(MySqlStmt::ShowWarnings | MySqlStmt::ShowErrors) => true,
            Plan::MySql(MySqlStmt::SelectVariables(reads)) => reads.iter().any(|(v, _)| v.name == "warning_count"),
            _ => false,
        };
        if !reads_warnings {
            self.warnings.clear();
        }
        match plan {
            Plan::MySql(statement) => self.answer(statement).await,
            p @ Plan::Transaction(TxControl::Begin { .. }) if status != Status::Idle => {
                // START TRANSACTION commits the open transaction first.
                if let QueryResult::Error(e) = self.end_block(TxControl::Commit).await {
                    return QueryResult::Error(e);
                }
                self.execute_plan(p, text, params).await
            }
            // CREATE/DROP TEMPORARY TABLE commit nothing in MySQL.
            p @ Plan::Ddl(
                sqlmap::DdlPlan::CreateTable(sqlmap::CreateTable { temporary: true, .. })
                | sqlmap::DdlPlan::DropTable { temporary: true, .. },
            ) => self.execute_plan(p, text, params).await,
            p @ (Plan::Ddl(_) | Plan::Role(_)) => {
                if status != Status::Idle {
                    if let QueryResult::Error(e) = self.end_block(TxControl::Commit).await {
                        return QueryResult::Error(e);
                    }
                }
                self.execute_plan(p, text, params).await
            }
            p @ (Plan::Write(_) | Plan::Transaction(TxControl::Savepoint(_))) => {
                // With autocommit off, a write or a SAVEPOINT starts the transaction.
                if status == Status::Idle && !self.variables.autocommit() {
                    if let QueryResult::Error(e) = self.end_block(TxControl::Begin { read_only: None }).await {
                        return QueryResult::Error(e);
                    }
                }
                self.execute_plan(p, text, params).await
            }
            Plan::Copy(_) => error(FrontendError::new("0A000", "COPY is PostgreSQL's; use LOAD DATA or INSERT")),
            p => self.execute_plan(p, text, params).await,
        }
    }

    /// BEGIN, COMMIT or ROLLBACK on behalf of the client.
    async fn end_block(&mut self, control: TxControl) -> QueryResult {
        let text = match control {
            TxControl::Begin { .. } => "BEGIN",
            TxControl::Rollback => "ROLLBACK",
            _ => "COMMIT",
        };
        self.execute_plan(Plan::Transaction(control), text.to_string(), Vec::new()).await
    }

    async fn execute_plan(&mut self, plan: Plan, text: String, params: Vec<node_core::value::Value>) -> QueryResult {
        let Some(session) = self.session.as_mut() else { return QueryResult::Error(not_logged_in()) };
        let kind = match &plan {
            Plan::Write(w) => Some(w.kind),
            _ => None,
        };
        // INSERT IGNORE: each row it skipped is a warning, as in MySQL.
        let given = match &plan {
            Plan::Write(w) if w.ignores_conflicts() => w.values_rows,
            _ => None,
        };
        let reply = session.execute(plan, text, params).await;
        let insert_id = session.insert_id();
        if insert_id != 0 {
            self.last_insert_id = insert_id;
        }
        match reply {
            Ok(Reply::Rows { columns, rows, .. }) => results::rows(&columns, rows),
            Ok(Reply::Tag(tag)) => {
                let affected = results::tag_rows(&tag);
                let matched = session.rows_matched().unwrap_or(affected);
                let skipped = given.map_or(0, |rows| (rows as u64).saturating_sub(affected));
                for _ in 0..skipped.min(64) {
                    self.warnings.push((
                        "Warning",
                        1062,
                        "Duplicate entry: the row was skipped (INSERT IGNORE)".into(),
                    ));
                }
                let warnings = u16::try_from(skipped).unwrap_or(u16::MAX);
                results::ok(results::Counts { kind, affected, matched, insert_id, warnings }, self.found_rows)
            }
            Ok(Reply::CopyIn(_) | Reply::CopyOut { .. }) => error(FrontendError::new("0A000", "COPY is PostgreSQL's")),
            Err(e) => error(e),
        }
    }

    /// A statement the front end answers itself.
    async fn answer(&mut self, statement: MySqlStmt) -> QueryResult {
        let node = self.frontend.node().clone();
        let database = self.database().to_string();
        let tables = || node.tables().map_err(|e| FrontendError::new(e.sqlstate, e.message));
        let table = |name: &str| -> Result<node_core::catalog::TableMeta, QueryResult> {
            let all = tables().map_err(error)?;
            all.get(name).cloned().ok_or_else(|| {
                let (db, relation) = sqlmap::mysql_relation(name, &database);
                QueryResult::Error(ServerError::new(1146, *b"42S02", format!("Table '{db}.{relation}' doesn't exist")))
            })
        };
        match statement {
            MySqlStmt::ShowDatabases { filter } => {
                // The session's database, information_schema, and the schemas CREATE DATABASE made.
                match self.catalog_rows("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA").await {
                    Ok(rows) => {
                        let names = rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect();
                        show::show_databases(names, filter.as_ref())
                    }
                    Err(e) => QueryResult::Error(e),
                }
            }
            MySqlStmt::ShowTables { full, filter, schema } => match tables() {
                Ok(all) => {
                    let named = if schema == "public" { &database } else { &schema };
                    show::show_tables(&all, named, &schema, full, filter.as_ref())
                }
                Err(e) => error(e),
            },
            MySqlStmt::ShowTableStatus { filter } => match tables() {
                Ok(all) => show::show_table_status(&all, filter.as_ref()),
                Err(e) => error(e),
            },
            MySqlStmt::ShowColumns { table: name, full, filter } => match table(&name) {
                Ok(_) => self.show_columns(&name, full, filter.as_ref()).await,
                Err(e) => e,
            },
            MySqlStmt::ShowIndex { table: name, filter } => match table(&name) {
                Ok(_) => match self.statistics(&name).await {
                    Ok(rows) => show::show_index(rows, filter.as_ref()),
                    Err(e) => QueryResult::Error(e),
                },
                Err(e) => e,
            },
            MySqlStmt::ShowCreateTable { table: name } => match table(&name) {
                // MySQL answers SHOW CREATE TABLE of a view as SHOW CREATE VIEW.
                Ok(meta) if meta.is_view() => self.show_create_view(&meta).await,
                Ok(meta) => {
                    let facts = match self.columns_and_foreign_keys(&name).await {
                        Ok(facts) => facts,
                        Err(e) => return QueryResult::Error(e),
                    };
                    match self.statistics(&name).await {
                        Ok(indexes) => show::show_create_table(
                            sqlmap::relation_schema(&meta.name).1,
                            meta.comment.as_deref(),
                            &facts.0,
                            &indexes,
                            &facts.1,
                        ),
                        Err(e) => QueryResult::Error(e),
                    }
                }
                Err(e) => e,
            },
            MySqlStmt::ShowCreateView { view: name } => match table(&name) {
                Ok(meta) if meta.is_view() => self.show_create_view(&meta).await,
                Ok(_) => QueryResult::Error(show::not_a_view(&database, &name)),
                Err(e) => e,
            },
            MySqlStmt::ShowVariables { filter, .. } => self.variables.show(filter.as_ref(), &self.extra()),
            MySqlStmt::ShowStatus { filter, .. } => {
                show::show_status(self.started.elapsed().as_secs(), filter.as_ref())
            }
            MySqlStmt::ShowWarnings => show::show_warnings(&self.warnings, false),
            MySqlStmt::ShowErrors => show::show_warnings(&self.warnings, true),
            MySqlStmt::ShowGrants { user } => self.show_grants(user),
            MySqlStmt::ShowEngines => show::show_engines(),
            MySqlStmt::ShowCollation { filter } => show::show_collations(filter.as_ref()),
            MySqlStmt::ShowCharset { filter } => show::show_charsets(filter.as_ref()),
            MySqlStmt::SetNames { charset, collation } => {
                match self.variables.set_names(&charset, collation.as_deref()) {
                    Ok(()) => {
                        self.sync_settings();
                        QueryResult::Ok(Default::default())
                    }
                    Err(e) => QueryResult::Error(e),
                }
            }
            MySqlStmt::Set(assignments) => self.set(assignments).await,
            MySqlStmt::SelectVariables(reads) => self.variables.select(&reads, &self.extra()),
            MySqlStmt::Use { database: name } => match self.use_database(&name).await {
                Ok(()) => QueryResult::Ok(Default::default()),
                Err(e) => QueryResult::Error(e),
            },
            _ => error(FrontendError::new("0A000", "this statement is not supported")),
        }
    }

    fn extra(&self) -> Extra {
        Extra {
            last_insert_id: self.last_insert_id,
            connection_id: self.connection_id,
            warning_count: self.warnings.len(),
        }
    }

    /// Hands the variables to the session, where `@@x` inside an
    /// expression reads them (as `current_setting('mysql.x')`).
    fn sync_settings(&mut self) {
        let settings = self.variables.settings(&self.extra());
        if let Some(session) = self.session.as_mut() {
            for (name, value) in settings {
                session.set_setting(&name, value);
            }
        }
    }

    /// `SET a = 1, b = 2`: all or nothing. Turning autocommit on commits
    /// an open transaction, as MySQL does.
    async fn set(&mut self, assignments: Vec<(sqlmap::SystemVariable, SetValue)>) -> QueryResult {
        let mut next = self.variables.clone();
        for (variable, value) in assignments {
            let value = match value {
                SetValue::Text(text) => text,
                SetValue::Expr(expr) => match self.evaluate(&expr).await {
                    Ok(text) => text,
                    Err(e) => return QueryResult::Error(e),
                },
            };
            if let Err(e) = next.set(&variable, &value) {
                return QueryResult::Error(e);
            }
        }
        let in_block = self.session.as_ref().is_some_and(|s| s.status() != Status::Idle);
        if next.autocommit() && !self.variables.autocommit() && in_block {
            if let QueryResult::Error(e) = self.end_block(TxControl::Commit).await {
                return QueryResult::Error(e);
            }
        }
        self.variables = next;
        self.sync_settings();
        QueryResult::Ok(Default::default())
    }

    /// The rows of a read of the catalog (`information_schema`, in MySQL's
    /// shape and filtered for the role) as text, through the session.
    async fn catalog_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, ServerError> {
        let Some(session) = self.session.as_mut() else { return Err(not_logged_in()) };
        let mut plans = session.plan(sql).map_err(|e| server_error(&e))?;
        let Some((plan, text)) = plans.pop() else { return Ok(Vec::new()) };
        match session.execute(plan, text, Vec::new()).await {
            Ok(Reply::Rows { rows, .. }) => Ok(rows
                .into_iter()
                .map(|row| {
                    row.into_iter()
                        .map(|v| match v {
                            node_core::value::Value::Null => None,
                            node_core::value::Value::Integer(i) => Some(i.to_string()),
                            node_core::value::Value::Real(f) => Some(f.to_string()),
                            node_core::value::Value::Text(t) => Some(t),
                            node_core::value::Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                        })
                        .collect()
                })
                .collect()),
            Ok(_) => Ok(Vec::new()),
            Err(e) => Err(server_error(&e)),
        }
    }

    /// `SHOW CREATE VIEW v`. Its definer is the view owner's role, as
    /// `information_schema.VIEWS` names it (`name@%`); a role that holds
    /// no privilege on the view does not see it there (MySQL's 1142).
    async fn show_create_view(&mut self, view: &node_core::catalog::TableMeta) -> QueryResult {
        let all = match self.frontend.node().tables() {
            Ok(all) => all,
            Err(e) => return error(FrontendError::new(e.sqlstate, e.message)),
        };
        let (database, name) = self.catalog_name(&view.name);
        let rows = self
            .catalog_rows(&format!(
                "SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{database}' AND TABLE_NAME = '{name}'"
            ))
            .await;
        let definer = match rows {
            Ok(rows) => rows.into_iter().next().and_then(|row| row.into_iter().next().flatten()),
            Err(e) => return QueryResult::Error(e),
        };
        let Some(definer) = definer else {
            let user = self.session.as_ref().map(|s| s.user().to_string()).unwrap_or_default();
            return QueryResult::Error(ServerError::new(
                1142,
                *b"42000",
                format!("SHOW VIEW command denied to user '{user}'@'%' for table '{}'", view.name),
            ));
        };
        let owner = definer.strip_suffix("@%").unwrap_or(&definer);
        show::show_create_view(view, &all, owner, self.database())
    }

    /// `information_schema.COLUMNS` of `table`, in order: (name, type,
    /// nullable, key, default, extra).
    async fn columns_and_foreign_keys(
        &mut self,
        table: &str,
    ) -> Result<(Vec<show::ColumnInfo>, Vec<show::ForeignKeyInfo>), ServerError> {
        let columns = self.columns(table).await?;
        let (database, table) = self.catalog_name(table);
        let foreign_keys = self
            .catalog_rows(&format!(
                "SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
                 FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = '{database}' \
                 AND TABLE_NAME = '{table}' AND REFERENCED_TABLE_NAME IS NOT NULL \
                 ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION"
            ))
            .await?
            .into_iter()
            .map(show::ForeignKeyInfo::from_row)
            .collect();
        Ok((columns, foreign_keys))
    }

    /// `information_schema.STATISTICS` of `table`: (Table, Non_unique,
    /// Key_name, Seq_in_index, Column_name, Collation, Cardinality,
    /// Sub_part, Packed, Null, Index_type, Comment, Index_comment), as
    /// SHOW INDEX lists them.
    async fn statistics(&mut self, table: &str) -> Result<Vec<Vec<Option<String>>>, ServerError> {
        let (database, table) = self.catalog_name(table);
        self.catalog_rows(&format!(
            "SELECT TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, CARDINALITY, \
             SUB_PART, PACKED, NULLABLE, INDEX_TYPE, COMMENT, INDEX_COMMENT FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = '{database}' AND TABLE_NAME = '{table}' \
             ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX"
        ))
        .await
    }

    /// The `TABLE_SCHEMA` and `TABLE_NAME` of relation `table` (a SQLite
    /// name) in MySQL's information_schema, quoted for a string literal:
    /// the session's database for a public relation, else its schema.
    fn catalog_name(&self, table: &str) -> (String, String) {
        let (database, relation) = sqlmap::mysql_relation(table, self.database());
        (database.replace('\'', "''"), relation.replace('\'', "''"))
    }

    /// `information_schema.COLUMNS` of `table`, in order.
    async fn columns(&mut self, table: &str) -> Result<Vec<show::ColumnInfo>, ServerError> {
        let (database, table) = self.catalog_name(table);
        let columns = self
            .catalog_rows(&format!(
                "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{database}' AND TABLE_NAME = '{table}' \
                 ORDER BY ORDINAL_POSITION"
            ))
            .await?
            .into_iter()
            .map(show::ColumnInfo::from_row)
            .collect();
        Ok(columns)
    }

    /// `SHOW [FULL] COLUMNS FROM t`, from `information_schema.COLUMNS`.
    async fn show_columns(&mut self, table: &str, full: bool, filter: Option<&sqlmap::ShowFilter>) -> QueryResult {
        match self.columns(table).await {
            Ok(columns) => show::show_columns(&columns, full, filter),
            Err(e) => QueryResult::Error(e),
        }
    }

    /// A SET value's expression, evaluated as `SELECT expr` on the read
    /// path (where `@@x` reads the session's variables): its text.
    async fn evaluate(&mut self, expr: &str) -> Result<String, ServerError> {
        let Some(session) = self.session.as_mut() else { return Err(not_logged_in()) };
        let mut plans = session.plan(&format!("SELECT {expr}")).map_err(|e| server_error(&e))?;
        let Some((plan @ Plan::Read(_), text)) = plans.pop().filter(|_| plans.is_empty()) else {
            return Err(errors::wrong_value("", expr));
        };
        match session.execute(plan, text, Vec::new()).await {
            Ok(Reply::Rows { rows, .. }) => match rows.first().and_then(|r| r.first()) {
                Some(node_core::value::Value::Text(t)) => Ok(t.clone()),
                Some(node_core::value::Value::Integer(i)) => Ok(i.to_string()),
                Some(node_core::value::Value::Real(f)) => Ok(f.to_string()),
                _ => Err(errors::wrong_value("", expr)),
            },
            Ok(_) => Err(errors::wrong_value("", expr)),
            Err(e) => Err(server_error(&e)),
        }
    }

    /// `SHOW GRANTS [FOR u]`: what the role owns and was granted, in
    /// MySQL's words.
    fn show_grants(&self, user: Option<String>) -> QueryResult {
        let node = self.frontend.node();
        let Some(me) = self.session.as_ref().map(|s| s.user().to_string()) else {
            return QueryResult::Error(not_logged_in());
        };
        let user = user.unwrap_or(me);
        let Some(key) = node.keystore().public_key(&user) else {
            return QueryResult::Error(ServerError::new(
                1141,
                *b"42000",
                format!("There is no such grant defined for user '{user}' on host '%'"),
            ));
        };
        let address = key.address();
        let tables = match node.tables() {
            Ok(t) => t,
            Err(e) => return error(FrontendError::new(e.sqlstate, e.message)),
        };
        let database = self.database();
        let admin = node.is_admin(&key);
        let mut lines = vec![if admin {
            format!("GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%' WITH GRANT OPTION")
        } else {
            format!("GRANT USAGE ON *.* TO '{user}'@'%'")
        }];
        for (name, meta) in tables.iter() {
            if meta.owner == address {
                lines.push(format!("GRANT ALL PRIVILEGES ON `{database}`.`{name}` TO '{user}'@'%' WITH GRANT OPTION"));
                continue;
            }
            let bits = meta
                .acl
                .iter()
                .filter(|g| g.grantee == address || g.grantee.is_empty())
                .fold(0u8, |bits, g| bits | g.privileges);
            let privileges: Vec<&str> = node_core::catalog::privilege::LETTERS
                .iter()
                .filter(|(bit, ..)| bits & bit != 0)
                .map(|(_, _, word)| *word)
                .filter(|word| *word != "TRUNCATE")
                .collect();
            if !privileges.is_empty() {
                lines.push(format!("GRANT {} ON `{database}`.`{name}` TO '{user}'@'%'", privileges.join(", ")));
            }
        }
        let label = format!("Grants for {user}@%");
        show::text_table(&[label.as_str()], lines.into_iter().map(|l| vec![l]).collect(), None)
    }
}

/// A session's variables with the node's limits.
fn fresh_variables(frontend: &Frontend, tls: bool) -> Variables {
    let config = &frontend.node().config().mysql;
    Variables::new(config.packet_bytes_max, config.connections_max, config.idle_timeout_s, tls)
}

impl Backend for NodeBackend {
    async fn account(&mut self, user: &str) -> Option<Verifier> {
        Some(match self.frontend.mysql_verifier(user, self.peer.ip())? {
            MysqlVerifier::Native(stored) => Verifier::NativePassword(stored),
            // The keystore's verifier is current whenever a password is set.
            MysqlVerifier::Sha2(Some(stored)) => Verifier::Sha2Stored(stored),
            MysqlVerifier::Sha2(None) => Verifier::CachingSha2Password(None),
        })
    }

    async fn authenticated(&mut self, user: &str, secret: Secret) -> bool {
        use node::keystore::MysqlProof;
        let secret = match secret {
            Secret::NativeStage1(stage1) => MysqlSecret::Proof(MysqlProof::Native(stage1)),
            Secret::Sha2Stage1(stage1) => MysqlSecret::Proof(MysqlProof::Sha2(stage1)),
            Secret::Password(password) => MysqlSecret::Password(password),
        };
        match self.frontend.open_with_mysql(user, secret).await {
            Ok(key) => {
                self.opened = Some((user.to_string(), key));
                true
            }
            Err(e) => {
                tracing::debug!(user, error = %e.message, "mysql login refused");
                false
            }
        }
    }

    async fn login(&mut self, login: &LoginInfo<'_>) -> Result<(), ServerError> {
        let Some((user, key)) = self.opened.take().filter(|(user, _)| user == login.user) else {
            return Err(ServerError::access_denied(login.user, true));
        };
        if let Some(database) = login.database.filter(|d| !d.is_empty()) {
            if !database.eq_ignore_ascii_case(self.database()) {
                return Err(errors::unknown_database(database));
            }
        }
        let pid = i32::try_from(login.connection_id).unwrap_or(i32::MAX);
        let cancel = Arc::new(CancelFlag::new(false));
        let session = self.frontend.session(user, key, pid, &BTreeMap::new(), cancel).with_dialect(Dialect::MySql);
        self.session = Some(session);
        self.tls = login.tls;
        self.variables = fresh_variables(&self.frontend, login.tls);
        self.statements.clear();
        self.last_insert_id = 0;
        self.connection_id = login.connection_id;
        self.found_rows = login.client_found_rows;
        self.sync_settings();
        Ok(())
    }

    async fn query(&mut self, sql: &str, multi_statements: bool) -> Vec<QueryResult> {
        let Some(session) = self.session.as_mut() else { return vec![QueryResult::Error(not_logged_in())] };
        let plans = match session.plan(sql) {
            Ok(plans) => plans,
            Err(e) => return vec![error(e)],
        };
        if plans.is_empty() {
            return vec![QueryResult::Error(ServerError::new(1065, *b"42000", "Query was empty"))];
        }
        if plans.len() > 1 && !multi_statements {
            return vec![QueryResult::Error(ServerError::new(
                1064,
                *b"42000",
                "You have an error in your SQL syntax: several statements need the client's CLIENT_MULTI_STATEMENTS",
            ))];
        }
        let mut out = Vec::with_capacity(plans.len());
        for (plan, text) in plans {
            let result = self.run(plan, text, Vec::new()).await;
            let failed = matches!(result, QueryResult::Error(_));
            out.push(result);
            if failed {
                break;
            }
        }
        out
    }

    async fn use_database(&mut self, database: &str) -> Result<(), ServerError> {
        if database.eq_ignore_ascii_case(self.database()) {
            Ok(())
        } else {
            Err(errors::unknown_database(database))
        }
    }

    async fn prepare(&mut self, statement_id: u32, sql: &str) -> Result<Prepared, ServerError> {
        let Some(session) = self.session.as_mut() else { return Err(not_logged_in()) };
        let prepared = session.prepare(sql, &[]).map_err(|e| server_error(&e))?;
        if prepared.plan.is_none() {
            return Err(ServerError::new(1065, *b"42000", "Query was empty"));
        }
        let parameters =
            prepared.param_types.iter().map(|oid| results::column("?", results::mysql_type(*oid), None)).collect();
        let columns = match session.describe(&prepared) {
            Ok(Some(columns)) => {
                columns.iter().map(|c| results::column(&c.name, results::mysql_type(c.ty.oid), Some(&c.ty))).collect()
            }
            Ok(None) => Vec::new(),
            Err(e) => return Err(server_error(&e)),
        };
        self.statements.insert(statement_id, prepared);
        Ok(Prepared { parameters, columns })
    }

    async fn execute(&mut self, statement_id: u32, parameters: Vec<Value>) -> Vec<QueryResult> {
        let Some(prepared) = self.statements.get(&statement_id) else {
            return vec![QueryResult::Error(ServerError::new(
                1243,
                *b"HY000",
                format!("Unknown prepared statement handler ({statement_id}) given to mysqld_stmt_execute"),
            ))];
        };
        let Some((plan, text)) = prepared.plan.clone() else {
            return vec![QueryResult::Error(ServerError::new(1065, *b"42000", "Query was empty"))];
        };
        let mut values = Vec::with_capacity(parameters.len());
        for (index, value) in parameters.into_iter().enumerate() {
            let oid = prepared.param_types.get(index).copied().unwrap_or(0);
            match results::parameter(value, oid) {
                Ok(v) => values.push(v),
                Err(e) => return vec![error(e)],
            }
        }
        vec![self.run(plan, text, values).await]
    }

    fn close(&mut self, statement_id: u32) {
        self.statements.remove(&statement_id);
    }

    async fn reset(&mut self) {
        let in_block = self.session.as_ref().is_some_and(|s| s.status() != Status::Idle);
        if in_block {
            let _ = self.end_block(TxControl::Rollback).await;
        }
        self.statements.clear();
        self.last_insert_id = 0;
        self.variables = fresh_variables(&self.frontend, self.tls);
        self.sync_settings();
    }

    fn status_flags(&self) -> u16 {
        let mut flags = 0;
        if self.variables.autocommit() {
            flags |= status::AUTOCOMMIT;
        }
        if self.session.as_ref().is_some_and(|s| s.status() != Status::Idle) {
            flags |= status::IN_TRANS;
        }
        flags
    }
}
