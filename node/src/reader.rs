//! The read path: SELECTs answered from read-only SQLite connections (WAL lets
//! them run beside the executor's writes). Reads never go through consensus.

use crate::block::RowSet;
use crate::executor::{is_internal, register_now, sql_error, SqlError};
use crate::value::Value;
use parking_lot::Mutex;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// System views readers may see; every other internal table is hidden.
const VISIBLE_INTERNAL: [&str; 2] = ["__rc_blocks", "__rc_transactions"];

fn authorize_read(ctx: AuthContext<'_>) -> Authorization {
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
            if is_internal(table_name) && !VISIBLE_INTERNAL.contains(&table_name) {
                Authorization::Deny
            } else {
                Authorization::Allow
            }
        }
        _ => Authorization::Deny,
    }
}

pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    rows_max: usize,
}

impl Reader {
    pub fn new(path: &Path, rows_max: usize) -> Arc<Self> {
        Arc::new(Reader { path: path.to_owned(), idle: Mutex::new(Vec::new()), rows_max })
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let mut c = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        c.execute_batch("PRAGMA query_only=1; PRAGMA case_sensitive_like=ON; PRAGMA cache_size=-16384;")?;
        c.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
        register_now(&c, Arc::new(AtomicU64::new(0)))?;
        c.authorizer(Some(authorize_read))?;
        c.set_prepared_statement_cache_capacity(256);
        Ok(c)
    }

    /// Runs one planned SELECT. Blocking: call it off the async runtime.
    pub fn query(&self, plan: &sqlmap::ReadPlan, params: &[Value]) -> Result<RowSet, SqlError> {
        if params.len() != plan.param_count {
            return Err(SqlError::new(
                "08P01",
                format!("bind message supplies {} parameters, but prepared statement requires {}", params.len(), plan.param_count),
            ));
        }
        let conn = self.idle.lock().pop();
        let conn = match conn {
            Some(c) => c,
            None => self.connect().map_err(|e| sql_error(&e))?,
        };
        let result = self.run(&conn, plan, params);
        let mut idle = self.idle.lock();
        if idle.len() < 16 {
            idle.push(conn);
        }
        result
    }

    fn run(&self, conn: &Connection, plan: &sqlmap::ReadPlan, params: &[Value]) -> Result<RowSet, SqlError> {
        let mut stmt = conn.prepare_cached(&plan.sqlite).map_err(|e| sql_error(&e))?;
        let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let n = columns.len();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter())).map_err(|e| sql_error(&e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sql_error(&e))? {
            if out.len() >= self.rows_max {
                return Err(SqlError::new(
                    "54000",
                    format!("the result has more than {} rows (limits.result_rows_max); add a LIMIT", self.rows_max),
                ));
            }
            out.push((0..n).map(|i| row.get_ref(i).map(Value::from_sql).unwrap_or(Value::Null)).collect());
        }
        Ok(RowSet { columns, rows: out })
    }
}
