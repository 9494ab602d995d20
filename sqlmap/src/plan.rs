//! The plan types the proxy and executor consume, the entry point
//! [`plan`], statement dispatch, and planning of reads and writes
//! (SELECT, INSERT, UPDATE, DELETE).

use sqlparser::ast::{
    AssignmentTarget, ConflictTarget, Delete, FromTable, Insert, OnConflict, OnInsert, Query,
    SetExpr, Statement, TableFactor, TableObject, TableWithJoins, Update, UpdateTableFromKind,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::admin::{self, CopyPlan, RoleStmt};
use crate::control::{self, SessionStmt, TxControl};
use crate::ddl::{self, DdlPlan};
use crate::determinism::Mode;
use crate::error::{PlanError, SourceMap, SYNTAX_ERROR};
use crate::names;
use crate::render::Renderer;

/// What one SQL statement asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Plan {
    Read(ReadPlan),
    Write(WritePlan),
    Ddl(DdlPlan),
    Transaction(TxControl),
    Session(SessionStmt),
    /// `COPY ... FROM STDIN`: the proxy reads the data and writes it as one tx.
    Copy(CopyPlan),
    /// Role administration, a chain tx of its own kind.
    Role(RoleStmt),
}

/// A query answered from the node's read-only SQLite connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    /// The statement as SQLite text, parameters as `?1..?n`.
    pub sqlite: String,
    /// Every table referenced (SQLite names), sorted, without CTE names.
    pub tables: Vec<String>,
    /// The highest parameter number used.
    pub param_count: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Insert,
    Update,
    Delete,
}

/// A data change every validator executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritePlan {
    pub kind: WriteKind,
    /// The table written (SQLite name), always a user table.
    pub table: String,
    pub sqlite: String,
    /// Other tables read by subqueries, `INSERT .. SELECT` or `UPDATE .. FROM`
    /// (the target too when the statement also reads it), sorted.
    pub tables_read: Vec<String>,
    pub returning: bool,
    pub param_count: usize,
}

/// Plans every statement of `sql`, in order. Empty input gives no plans.
pub fn plan(sql: &str) -> Result<Vec<Plan>, PlanError> {
    if is_vacuum(sql) {
        return Ok(vec![Plan::Session(SessionStmt::Maintenance)]);
    }
    let copy_freeze = copy_freeze_on(sql);
    let sql = copy_freeze.as_deref().unwrap_or(sql);
    let source = SourceMap::new(sql);
    let statements =
        Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| source.parse_error(&e))?;
    statements
        .into_iter()
        .map(|statement| plan_statement(statement, &source))
        .collect()
}

/// Like [`plan`], with each statement's own text beside its plan: the
/// input itself when it holds one statement, else the statement as
/// PostgreSQL text.
pub fn plan_with_text(sql: &str) -> Result<Vec<(Plan, String)>, PlanError> {
    if is_vacuum(sql) {
        return Ok(vec![(Plan::Session(SessionStmt::Maintenance), sql.trim().to_string())]);
    }
    let copy_freeze = copy_freeze_on(sql);
    let sql = copy_freeze.as_deref().unwrap_or(sql);
    let source = SourceMap::new(sql);
    let statements =
        Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| source.parse_error(&e))?;
    let single = statements.len() == 1;
    statements
        .into_iter()
        .map(|statement| {
            let text = if single { sql.trim().trim_end_matches(';').to_string() } else { statement.to_string() };
            plan_statement(statement, &source).map(|p| (p, text))
        })
        .collect()
}

/// `COPY ... WITH (FREEZE on)` (pgbench -i sends it) spelled so sqlparser's
/// boolean option parser takes it; FREEZE has no effect on rowchain.
fn copy_freeze_on(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    if !lower.trim_start().starts_with("copy") {
        return None;
    }
    let at = lower.find("freeze on")?;
    Some(format!("{}freeze true{}", &sql[..at], &sql[at + "freeze on".len()..]))
}

/// `VACUUM [options] [tables]`, which sqlparser's PostgreSQL dialect does not
/// fully parse: one statement, nothing after it.
fn is_vacuum(sql: &str) -> bool {
    let t = sql.trim().trim_end_matches(';');
    t.len() >= 6 && t[..6].eq_ignore_ascii_case("vacuum") && !t.contains(';')
        && t[6..].chars().all(|c| c.is_alphanumeric() || c == '_' || c == ',' || c == '.' || c == '"' || c.is_whitespace())
}

fn plan_statement(statement: Statement, source: &SourceMap) -> Result<Plan, PlanError> {
    match statement {
        Statement::Copy { .. } => admin::plan_copy(statement).map(Plan::Copy),
        Statement::CreateRole(_)
        | Statement::AlterRole { .. }
        | Statement::Drop { object_type: sqlparser::ast::ObjectType::Role | sqlparser::ast::ObjectType::User, .. } => {
            admin::plan_role(statement).map(Plan::Role)
        }
        Statement::Query(query) => plan_read(query, source).map(Plan::Read),
        Statement::Insert(insert) => plan_insert(insert, source).map(Plan::Write),
        Statement::Update(update) => plan_update(update, source).map(Plan::Write),
        Statement::Delete(delete) => plan_delete(delete, source).map(Plan::Write),
        Statement::CreateTable(_)
        | Statement::CreateIndex(_)
        | Statement::AlterTable(_)
        | Statement::Truncate(_)
        | Statement::Drop { .. } => ddl::plan_ddl(statement, source).map(Plan::Ddl),
        // Storage maintenance has nothing to do on a chain's SQL view.
        Statement::Vacuum(_) | Statement::Analyze(_) => Ok(Plan::Session(SessionStmt::Maintenance)),
        other => control::plan_control(other),
    }
}

fn plan_read(mut query: Box<Query>, source: &SourceMap) -> Result<ReadPlan, PlanError> {
    let mut renderer = Renderer::new(Mode::Read, source);
    renderer.rewrite(&mut query)?;
    Ok(ReadPlan {
        sqlite: query.to_string(),
        tables: renderer.tables.into_keys().collect(),
        param_count: renderer.param_count,
    })
}

/// Renders a write statement and derives what it reads besides its target.
fn finish_write(
    kind: WriteKind,
    table: String,
    mut statement: Statement,
    returning: bool,
    source: &SourceMap,
) -> Result<WritePlan, PlanError> {
    let mut renderer = Renderer::new(Mode::Write, source);
    renderer.rewrite(&mut statement)?;
    let tables_read = renderer
        .tables
        .iter()
        .filter(|(name, count)| **name != table || **count > 1)
        .map(|(name, _)| name.clone())
        .collect();
    Ok(WritePlan {
        kind,
        table,
        sqlite: statement.to_string(),
        tables_read,
        returning,
        param_count: renderer.param_count,
    })
}

fn plan_insert(mut insert: Insert, source: &SourceMap) -> Result<WritePlan, PlanError> {
    let unsupported_form = insert.or.is_some()
        || insert.ignore
        || insert.replace_into
        || insert.overwrite
        || insert.partitioned.is_some()
        || !insert.after_columns.is_empty()
        || !insert.assignments.is_empty()
        || insert.output.is_some()
        || insert.has_table_keyword;
    if unsupported_form {
        return Err(PlanError::unsupported("this form of INSERT"));
    }
    if insert.table_alias.is_some() {
        return Err(PlanError::unsupported("INSERT with a table alias"));
    }
    if insert.overriding.is_some() {
        return Err(PlanError::unsupported("INSERT ... OVERRIDING"));
    }
    let TableObject::TableName(name) = &insert.table else {
        return Err(PlanError::unsupported("INSERT INTO a table function"));
    };
    let table = names::resolve_target(name)?;
    for column in &insert.columns {
        names::resolve_object(column)?;
    }
    match &insert.on {
        None => {}
        Some(OnInsert::OnConflict(on_conflict)) => check_on_conflict(on_conflict)?,
        Some(_) => return Err(PlanError::unsupported("ON DUPLICATE KEY UPDATE")),
    }
    if insert.on.is_some() {
        if let Some(query) = &mut insert.source {
            guard_upsert_select(query);
        }
    }
    let returning = insert.returning.is_some();
    finish_write(
        WriteKind::Insert,
        table,
        Statement::Insert(insert),
        returning,
        source,
    )
}

fn check_on_conflict(on_conflict: &OnConflict) -> Result<(), PlanError> {
    use sqlparser::ast::OnConflictAction;
    match (&on_conflict.conflict_target, &on_conflict.action) {
        (Some(ConflictTarget::OnConstraint(_)), _) => {
            Err(PlanError::unsupported("ON CONFLICT ON CONSTRAINT")
                .with_hint("name the conflict columns: ON CONFLICT (col, ...)"))
        }
        (None, OnConflictAction::DoUpdate(_)) => Err(PlanError::new(
            SYNTAX_ERROR,
            "ON CONFLICT DO UPDATE requires inference specification or constraint name",
        )
        .with_hint("For example, ON CONFLICT (column_name).")),
        _ => Ok(()),
    }
}

/// SQLite cannot tell `INSERT .. SELECT .. ON CONFLICT` from a join
/// constraint unless the SELECT has a WHERE clause, so a SELECT source
/// becomes `SELECT * FROM (<source>) WHERE true`.
fn guard_upsert_select(query: &mut Box<Query>) {
    if matches!(query.body.as_ref(), SetExpr::Values(_)) {
        return;
    }
    let wrapped: Result<Vec<Statement>, _> = Parser::parse_sql(
        &PostgreSqlDialect {},
        "SELECT * FROM (SELECT 1) AS __rc_source WHERE true",
    );
    let Ok(mut statements) = wrapped else { return };
    let Some(Statement::Query(mut outer)) = statements.pop() else {
        return;
    };
    if let SetExpr::Select(select) = outer.body.as_mut() {
        if let Some(TableWithJoins {
            relation: TableFactor::Derived { subquery, .. },
            ..
        }) = select.from.first_mut()
        {
            *subquery = query.clone();
            *query = outer;
        }
    }
}

fn single_table(tables: &[TableWithJoins], statement: &str) -> Result<String, PlanError> {
    match tables {
        [TableWithJoins {
            relation: TableFactor::Table {
                name, args: None, ..
            },
            joins,
        }] if joins.is_empty() => names::resolve_target(name),
        _ => Err(PlanError::unsupported(format!(
            "{statement} on more than one table"
        ))),
    }
}

fn plan_update(update: Update, source: &SourceMap) -> Result<WritePlan, PlanError> {
    if update.or.is_some()
        || !update.order_by.is_empty()
        || update.limit.is_some()
        || update.output.is_some()
    {
        return Err(PlanError::unsupported("this form of UPDATE"));
    }
    if matches!(update.from, Some(UpdateTableFromKind::BeforeSet(_))) {
        return Err(PlanError::unsupported("UPDATE ... FROM before SET"));
    }
    let table = single_table(std::slice::from_ref(&update.table), "UPDATE")?;
    for assignment in &update.assignments {
        let columns = match &assignment.target {
            AssignmentTarget::ColumnName(name) => std::slice::from_ref(name),
            AssignmentTarget::Tuple(names) => names.as_slice(),
        };
        columns
            .iter()
            .try_for_each(|column| names::resolve_object(column).map(drop))?;
    }
    let returning = update.returning.is_some();
    finish_write(
        WriteKind::Update,
        table,
        Statement::Update(update),
        returning,
        source,
    )
}

fn plan_delete(delete: Delete, source: &SourceMap) -> Result<WritePlan, PlanError> {
    if delete.using.is_some() {
        return Err(PlanError::unsupported("DELETE ... USING")
            .with_hint("use WHERE ... IN (SELECT ...) or WHERE EXISTS (SELECT ...)"));
    }
    if !delete.tables.is_empty()
        || !delete.order_by.is_empty()
        || delete.limit.is_some()
        || delete.output.is_some()
    {
        return Err(PlanError::unsupported("this form of DELETE"));
    }
    let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
    let table = single_table(from, "DELETE")?;
    let returning = delete.returning.is_some();
    finish_write(
        WriteKind::Delete,
        table,
        Statement::Delete(delete),
        returning,
        source,
    )
}
