//! SQL-level prepared statements: `PREPARE`, `EXECUTE`, `DEALLOCATE`
//! (planned by `sqlmap::prepare`), and the session's rows of
//! `pg_prepared_statements`.
//!
//! A prepared statement is its text and its parameter types: the declared
//! ones, then what the statement implies for the others (as for the
//! extended protocol's Parse), else text. PREPARE checks the statement
//! against the tables as they are (42P01, 42703 as PostgreSQL's analysis
//! would); EXECUTE computes the arguments as one read (assigned to the
//! parameter types, `sqlmap::execute_arguments`), plans the text again
//! against the tables as they are then, and runs it as the session runs
//! that statement with those parameters. So an executed write is the same
//! signed chain write (or transaction-block step) as the statement itself,
//! and its reply (rows, command tag) is the statement's.
//!
//! Prepared statements belong to the session, not to a transaction: a
//! PREPARE or DEALLOCATE inside a block stays when the block rolls back,
//! as in PostgreSQL. A session holds at most [`PREPARED_MAX`] of them, and
//! their texts at most [`PREPARED_BYTES_MAX`] bytes together.

use crate::catalog::PreparedStatementRow;
use crate::error::FrontendError;
use crate::session::{Reply, Session};
use crate::types::{self, ColumnType};
use node_core::value::Value;
use sqlmap::{ArgumentType, ExecuteStatement, PgType, Plan, PrepareStatement};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The most prepared statements one session may hold.
const PREPARED_MAX: usize = 1024;

/// The most bytes of statement text one session's prepared statements
/// may hold together (each text is also within `limits.statement_bytes_max`).
const PREPARED_BYTES_MAX: usize = 64 << 20;

/// The prepared statements of a session.
#[derive(Default)]
pub(crate) struct PreparedStatements {
    by_name: BTreeMap<String, PreparedStatement>,
    bytes: usize,
    /// The extended protocol's named statements (the wire keeps their
    /// plans): PostgreSQL lists them too, and their names are taken.
    protocol: BTreeMap<String, PreparedStatement>,
    /// Their `pg_prepared_statements` rows, rebuilt on each change.
    rows: Arc<Vec<PreparedStatementRow>>,
}

struct PreparedStatement {
    /// The statement's own text: what EXECUTE plans and runs.
    statement: String,
    param_types: Vec<PgType>,
    /// The query text it was prepared in.
    source: String,
    /// `prepare_time`, as timestamptz text.
    prepared_at: String,
}

impl PreparedStatement {
    fn bytes(&self) -> usize {
        self.statement.len() + self.source.len()
    }
}

impl PreparedStatements {
    /// Their `pg_prepared_statements` rows, by name.
    pub(crate) fn rows(&self) -> Arc<Vec<PreparedStatementRow>> {
        self.rows.clone()
    }

    fn insert(&mut self, name: String, prepared: PreparedStatement) {
        self.bytes += prepared.bytes();
        self.by_name.insert(name, prepared);
        self.rebuild_rows();
    }

    fn remove(&mut self, name: Option<&str>) -> bool {
        let removed = match name {
            Some(name) => match self.by_name.remove(name) {
                Some(p) => {
                    self.bytes = self.bytes.saturating_sub(p.bytes());
                    true
                }
                None => false,
            },
            None => {
                self.by_name.clear();
                self.bytes = 0;
                true
            }
        };
        self.rebuild_rows();
        removed
    }

    fn rebuild_rows(&mut self) {
        let row = |name: &String, p: &PreparedStatement, from_sql: bool| PreparedStatementRow {
            name: name.clone(),
            statement: p.source.clone(),
            prepare_time: p.prepared_at.clone(),
            parameter_types: regtype_array(&p.param_types),
            from_sql,
        };
        let sql = self.by_name.iter().map(|(name, p)| row(name, p, true));
        let protocol = self.protocol.iter().map(|(name, p)| row(name, p, false));
        self.rows = Arc::new(sql.chain(protocol).collect());
    }

    fn taken(&self, name: &str) -> bool {
        self.by_name.contains_key(name) || self.protocol.contains_key(name)
    }
}

/// A `regtype[]` in its text form: the types' names without modifiers
/// (a parameter has none), quoted where array output quotes.
fn regtype_array(types: &[PgType]) -> String {
    let names: Vec<String> = types
        .iter()
        .map(|t| {
            let name = t.name();
            let name = name.split('(').next().unwrap_or_default().to_string();
            if name.contains(' ') {
                format!("\"{name}\"")
            } else {
                name
            }
        })
        .collect();
    format!("{{{}}}", names.join(","))
}

/// A parameter's type from the OID a statement's inference gave it: text
/// when nothing decided (PostgreSQL resolves an unknown parameter so) or
/// when it is a type rowchain does not store.
fn param_type_of_oid(oid: u32) -> PgType {
    use PgType::*;
    let numeric = Numeric { precision: None, scale: None };
    [Int2, Int4, Int8, numeric, Float4, Float8, Varchar(None), Char(None), Bool, Date, Time, Timestamp]
        .into_iter()
        .chain([Timestamptz, Bytea, Json, Jsonb, Uuid])
        .find(|t| t.oid() == oid)
        .unwrap_or(Text)
}

fn no_statement(name: &str) -> FrontendError {
    FrontendError::new("26000", format!("prepared statement \"{name}\" does not exist"))
}

impl Session {
    /// `PREPARE`: 42P05 for a name in use; the statement is checked
    /// against the tables as they are, its parameter types completed.
    pub(crate) fn prepare_statement(&mut self, p: PrepareStatement) -> Result<Reply, FrontendError> {
        if self.prepared.taken(&p.name) {
            return Err(FrontendError::new("42P05", format!("prepared statement \"{}\" already exists", p.name)));
        }
        if self.prepared.by_name.len() >= PREPARED_MAX {
            return Err(FrontendError::new("54000", format!("the session has {PREPARED_MAX} prepared statements"))
                .hint("DEALLOCATE the statements it no longer runs"));
        }
        let bytes = p.statement.len() + p.source.len();
        if self.prepared.bytes.saturating_add(bytes) > PREPARED_BYTES_MAX {
            return Err(FrontendError::new(
                "54000",
                format!("the session's prepared statements would hold more than {PREPARED_BYTES_MAX} bytes of text"),
            )
            .hint("DEALLOCATE the statements it no longer runs"));
        }
        let declared: Vec<u32> = p.declared.iter().map(PgType::oid).collect();
        let inferred = self.prepare(&p.statement, &declared)?;
        self.check_prepared(&inferred)?;
        let param_types: Vec<PgType> = (0..p.param_count)
            .map(|i| match p.declared.get(i) {
                Some(t) => *t,
                None => param_type_of_oid(inferred.param_types.get(i).copied().unwrap_or(0)),
            })
            .collect();
        let prepared_at = node_core::pgtime::format_timestamp(now_micros(), true);
        let prepared = PreparedStatement { statement: p.statement, param_types, source: p.source, prepared_at };
        self.prepared.insert(p.name, prepared);
        Ok(Reply::Tag("PREPARE".into()))
    }

    /// What PostgreSQL's analysis of the statement would refuse at PREPARE:
    /// a table or column that does not exist. Statements on temporary
    /// tables, and any inside a transaction block that changed the schema
    /// (the read connections do not see its tables), are checked when they run.
    fn check_prepared(&mut self, prepared: &crate::typing::Prepared) -> Result<(), FrontendError> {
        let Some((plan, _)) = &prepared.plan else { return Ok(()) };
        if self.block.as_ref().is_some_and(|b| b.ddl) {
            return Ok(());
        }
        if !matches!(self.route(plan)?, crate::temp::Route::Chain) {
            return Ok(());
        }
        let checked = match plan {
            Plan::Read(r) => self.node.reader().describe(r).map(drop),
            Plan::Write(w) => {
                let sql = w.sqlite.clone();
                self.node.reader().system(|c| c.prepare(&sql).map(drop))
            }
            _ => Ok(()),
        };
        // Only what analysis decides: a read connection lacks functions a
        // write may call (the executor's), which the write meets when it runs.
        match checked {
            Err(e) if matches!(e.sqlstate, "42P01" | "42703") => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// `EXECUTE`: the statement, run with the arguments as its parameters;
    /// `params` are the EXECUTE's own (the extended protocol's `$n`). The
    /// statement runs through [`Session::execute`], where the EXECUTE came
    /// from: the future is boxed (and declared `Send`) to break that cycle.
    pub(crate) fn execute_prepared(
        &mut self,
        e: ExecuteStatement,
        params: Vec<Value>,
    ) -> Pin<Box<dyn Future<Output = Result<Reply, FrontendError>> + Send + '_>> {
        Box::pin(async move {
            let entry = self.prepared.by_name.get(&e.name).ok_or_else(|| no_statement(&e.name))?;
            let (statement, types) = (entry.statement.clone(), entry.param_types.clone());
            let values = self.argument_values(&e, &types, params).await?;
            let mut plans = self.plan(&statement)?;
            let (Some((plan, text)), true) = (plans.pop(), plans.is_empty()) else {
                return Err(FrontendError::internal("a prepared statement planned as several statements"));
            };
            self.execute(plan, text, values).await
        })
    }

    /// The arguments of an EXECUTE as its statement's parameter values,
    /// each in the form a parameter of its type bound over the wire takes.
    async fn argument_values(
        &mut self,
        e: &ExecuteStatement,
        types: &[PgType],
        params: Vec<Value>,
    ) -> Result<Vec<Value>, FrontendError> {
        let (tables, user_types) = (self.tables(), self.user_types());
        let schema = node_core::catalog::SchemaView(&tables, &user_types);
        let Some(read) = sqlmap::execute_arguments(e, types, &schema)? else {
            return Ok(Vec::new());
        };
        let row = match self.argument_row(read, params.clone()).await {
            Ok(row) => row,
            Err(error) if error.sqlstate.starts_with("22") => {
                return Err(self.literal_error(e, types, params).await.unwrap_or(error));
            }
            Err(error) => return Err(error),
        };
        row.iter()
            .zip(types)
            .map(|(value, ty)| {
                let Some(text) = types::to_text(value, &ColumnType::of(ty)) else { return Ok(Value::Null) };
                types::from_text(&String::from_utf8_lossy(&text), ty.oid())
                    .map_err(|bad| FrontendError::new("22P02", bad.0))
            })
            .collect()
    }

    async fn argument_row(&mut self, read: sqlmap::ReadPlan, params: Vec<Value>) -> Result<Vec<Value>, FrontendError> {
        let text = read.sqlite.clone();
        match self.read(read, params, &text, None).await? {
            Reply::Rows { mut rows, .. } if rows.len() == 1 => Ok(rows.pop().unwrap_or_default()),
            _ => Err(FrontendError::internal("EXECUTE arguments gave no row")),
        }
    }

    /// PostgreSQL reads an unknown literal argument with its parameter
    /// type's input function while it analyzes the EXECUTE, before any
    /// other argument is computed, and points at it: when computing the
    /// arguments failed with a data error, the first literal that fails
    /// alone is the error.
    async fn literal_error(
        &mut self,
        e: &ExecuteStatement,
        types: &[PgType],
        params: Vec<Value>,
    ) -> Option<FrontendError> {
        let (tables, user_types) = (self.tables(), self.user_types());
        for (argument, ty) in e.arguments.iter().zip(types) {
            if argument.ty != ArgumentType::Unknown {
                continue;
            }
            let alone = ExecuteStatement { name: e.name.clone(), arguments: vec![argument.clone()], param_count: 0 };
            let schema = node_core::catalog::SchemaView(&tables, &user_types);
            let read = sqlmap::execute_arguments(&alone, std::slice::from_ref(ty), &schema).ok()??;
            if let Err(mut error) = self.argument_row(read, params.clone()).await {
                // 1-based, as PostgreSQL points (the planner's positions
                // are already).
                error.position = argument.position;
                return Some(error);
            }
        }
        None
    }

    /// The extended protocol's Parse named a statement: PostgreSQL keeps
    /// the statements of PREPARE and of Parse in one namespace (42P05 for
    /// a name a PREPARE took) and lists both in `pg_prepared_statements`.
    pub fn protocol_statement_parsed(
        &mut self,
        name: &str,
        sql: &str,
        param_types: &[u32],
    ) -> Result<(), FrontendError> {
        if self.prepared.by_name.contains_key(name) {
            return Err(FrontendError::new("42P05", format!("prepared statement \"{name}\" already exists")));
        }
        let statement = PreparedStatement {
            statement: String::new(),
            param_types: param_types.iter().map(|oid| param_type_of_oid(*oid)).collect(),
            source: sql.to_string(),
            prepared_at: node_core::pgtime::format_timestamp(now_micros(), true),
        };
        self.prepared.protocol.insert(name.to_string(), statement);
        self.prepared.rebuild_rows();
        Ok(())
    }

    /// The extended protocol closed a named statement.
    pub fn protocol_statement_closed(&mut self, name: &str) {
        if self.prepared.protocol.remove(name).is_some() {
            self.prepared.rebuild_rows();
        }
    }

    /// `DEALLOCATE name` (26000 when there is none) or `DEALLOCATE ALL`.
    pub(crate) fn deallocate(&mut self, name: Option<String>) -> Result<Reply, FrontendError> {
        match name {
            None => {
                self.prepared.remove(None);
                Ok(Reply::Tag("DEALLOCATE ALL".into()))
            }
            Some(name) if self.prepared.remove(Some(&name)) => Ok(Reply::Tag("DEALLOCATE".into())),
            Some(name) => Err(no_statement(&name)),
        }
    }

    /// The statement an EXECUTE runs, planned as it would run now, with
    /// its parameter types: what Parse and Describe of an EXECUTE report
    /// (an argument that is just `$n` takes its parameter's type).
    pub(crate) fn executed_statement(
        &mut self,
        e: &ExecuteStatement,
    ) -> Result<(crate::typing::Prepared, Vec<u32>), FrontendError> {
        let entry = self.prepared.by_name.get(&e.name).ok_or_else(|| no_statement(&e.name))?;
        let (statement, types) = (entry.statement.clone(), entry.param_types.clone());
        let oids: Vec<u32> = types.iter().map(PgType::oid).collect();
        let mut outer = vec![0; e.param_count];
        for (argument, oid) in e.arguments.iter().zip(&oids) {
            let n = argument.expr.strip_prefix('$').and_then(|n| n.parse::<usize>().ok());
            if let Some(slot) = n.and_then(|n| n.checked_sub(1)).and_then(|i| outer.get_mut(i)) {
                *slot = *oid;
            }
        }
        Ok((self.prepare(&statement, &oids)?, outer))
    }
}

fn now_micros() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_types_print_as_regtype_arrays() {
        use PgType::*;
        let types = [Int4, Text, Numeric { precision: Some(10), scale: Some(2) }, Varchar(Some(3)), Timestamptz];
        assert_eq!(regtype_array(&types), "{integer,text,numeric,\"character varying\",\"timestamp with time zone\"}");
        assert_eq!(regtype_array(&[]), "{}");
    }

    #[test]
    fn inferred_oids_map_to_parameter_types() {
        assert_eq!(param_type_of_oid(23), PgType::Int4);
        assert_eq!(param_type_of_oid(1700), PgType::Numeric { precision: None, scale: None });
        assert_eq!(param_type_of_oid(0), PgType::Text);
        // A catalog type rowchain does not store (oid) is read as text.
        assert_eq!(param_type_of_oid(26), PgType::Text);
    }
}
