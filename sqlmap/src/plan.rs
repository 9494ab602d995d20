//! The plan types the proxy and executor consume, the entry point
//! [`plan`], statement dispatch, and planning of reads and writes
//! (SELECT, INSERT, UPDATE, DELETE).

use sqlparser::ast::{
    Assignment, AssignmentTarget, ConflictTarget, DataType, Delete, Expr, FromTable, Ident, Insert, InsertOverriding,
    ObjectName, ObjectNamePart, OnConflict, OnConflictAction, OnInsert, Query, SelectItem, SetExpr, Statement,
    TableFactor, TableObject, TableWithJoins, Update, UpdateTableFromKind, Value, ValueWithSpan,
};

use crate::access;
use crate::admin::{self, CopyPlan, RoleStmt};
use crate::colname;
use crate::control::{self, SessionStmt, TxControl};
use crate::ddl::{self, DdlPlan};
use crate::determinism::Mode;
use crate::dialect::Dialect;
use crate::error::{PlanError, SourceMap, SYNTAX_ERROR};
use crate::mysql::{self, MySqlStmt};
use crate::names;
use crate::render::{self, Renderer};
use crate::schema::{NoSchema, Schema};
use crate::types::PgType;

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
    /// `COPY ... TO STDOUT`: a read, sent as COPY data.
    CopyOut(crate::admin::CopyOutPlan),
    /// Role administration, a chain tx of its own kind.
    Role(RoleStmt),
    /// A MySQL statement the front end answers itself (`SHOW ...`, `USE`,
    /// `SET NAMES`, `SELECT @@var`); only [`Dialect::MySql`] plans these.
    MySql(MySqlStmt),
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
    /// A SELECT that draws from a sequence (`nextval`, `setval`): every
    /// validator runs it, in block order, and its rows are the result.
    Select,
}

/// A data change every validator executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritePlan {
    pub kind: WriteKind,
    /// The table written (SQLite name), always a user table; empty for
    /// [`WriteKind::Select`], which writes only sequences.
    pub table: String,
    pub sqlite: String,
    /// Other tables read by subqueries, `INSERT .. SELECT` or `UPDATE .. FROM`
    /// (the target too when the statement also reads it), sorted.
    pub tables_read: Vec<String>,
    pub returning: bool,
    pub param_count: usize,
    /// The rows of an INSERT's `VALUES` list; `None` for other sources and
    /// statements.
    pub values_rows: Option<usize>,
}

impl WritePlan {
    /// MySQL's `INSERT IGNORE` (SQLite's `INSERT OR IGNORE`): rows that
    /// break a constraint are skipped, each a warning in MySQL.
    pub fn ignores_conflicts(&self) -> bool {
        self.kind == WriteKind::Insert && self.sqlite.starts_with("INSERT OR IGNORE ")
    }

    /// MySQL's `REPLACE` (SQLite's `INSERT OR REPLACE`; the PostgreSQL
    /// dialect never plans it): rows that conflict on a unique key are
    /// deleted before the insert. SQLite's authorizer reports only the
    /// INSERT, and delete triggers (so DELETE policies) fire for these
    /// deletes only under `recursive_triggers`: whoever runs such a plan
    /// must check the DELETE privilege and policies itself.
    pub fn replaces_rows(&self) -> bool {
        self.kind == WriteKind::Insert && self.sqlite.starts_with("INSERT OR REPLACE ")
    }
}

/// Plans every statement of `sql`, in order, knowing no tables' column
/// types (see [`plan_in`]). Empty input gives no plans.
pub fn plan(sql: &str) -> Result<Vec<Plan>, PlanError> {
    plan_in(sql, &NoSchema)
}

/// Plans every statement of `sql` against `schema`: casts of boolean and
/// numeric columns to text print as PostgreSQL prints them, and values
/// written to boolean and jsonb columns are checked and normalised as
/// PostgreSQL's input functions would.
pub fn plan_in(sql: &str, schema: &dyn Schema) -> Result<Vec<Plan>, PlanError> {
    let mut plans = plan_in_text(sql, schema)?;
    plans.iter_mut().for_each(|plan| crate::prepare::keep_source(plan, sql));
    Ok(plans)
}

fn plan_in_text(sql: &str, schema: &dyn Schema) -> Result<Vec<Plan>, PlanError> {
    if is_vacuum(sql) {
        return Ok(vec![Plan::Session(SessionStmt::Maintenance)]);
    }
    if let Some(comment) = crate::comment::constraint_comment(sql) {
        return Ok(vec![Plan::Ddl(comment?)]);
    }
    if let Some(plans) = crate::cursor::with_fetch(sql, schema) {
        return plans.map(|plans| plans.into_iter().map(|(plan, _)| plan).collect());
    }
    let copy_freeze = copy_freeze_on(sql);
    let sql = copy_freeze.as_deref().unwrap_or(sql);
    let source = SourceMap::new(sql);
    let statements = crate::parse::statements(sql).map_err(|e| source.parse_error(&e))?;
    statements.into_iter().map(|statement| plan_statement(statement, &source, schema, Dialect::Postgres)).collect()
}

/// Like [`plan`], with each statement's own text beside its plan: the
/// input itself when it holds one statement, else the statement as
/// PostgreSQL text.
pub fn plan_with_text(sql: &str) -> Result<Vec<(Plan, String)>, PlanError> {
    plan_with_text_in(sql, &NoSchema)
}

/// [`plan_with_text`] against `schema`, as [`plan_in`].
pub fn plan_with_text_in(sql: &str, schema: &dyn Schema) -> Result<Vec<(Plan, String)>, PlanError> {
    let mut plans = plan_with_text_of(sql, schema)?;
    plans.iter_mut().for_each(|(plan, _)| crate::prepare::keep_source(plan, sql));
    Ok(plans)
}

fn plan_with_text_of(sql: &str, schema: &dyn Schema) -> Result<Vec<(Plan, String)>, PlanError> {
    if is_vacuum(sql) {
        return Ok(vec![(Plan::Session(SessionStmt::Maintenance), sql.trim().to_string())]);
    }
    if let Some(comment) = crate::comment::constraint_comment(sql) {
        return Ok(vec![(Plan::Ddl(comment?), sql.trim().trim_end_matches(';').to_string())]);
    }
    if let Some(plans) = crate::cursor::with_fetch(sql, schema) {
        return plans;
    }
    let copy_freeze = copy_freeze_on(sql);
    let sql = copy_freeze.as_deref().unwrap_or(sql);
    let source = SourceMap::new(sql);
    let statements = crate::parse::statements(sql).map_err(|e| source.parse_error(&e))?;
    let single = statements.len() == 1;
    // Types the statements create are there for the statements after them.
    let mut created = crate::usertype::Created::new(schema);
    let mut plans = Vec::with_capacity(statements.len());
    for statement in statements {
        let text = if single { sql.trim().trim_end_matches(';').to_string() } else { statement.to_string() };
        let plan = plan_statement(statement, &source, &created, Dialect::Postgres)?;
        created.note(&plan);
        plans.push((plan, text));
    }
    Ok(plans)
}

/// Plans every statement of `sql`, written in `dialect`, against `schema`.
/// [`Dialect::Postgres`] is [`plan_in`]; [`Dialect::MySql`] reads MySQL
/// text into the same plans (see the `mysql` module docs).
pub fn plan_dialect(sql: &str, schema: &dyn Schema, dialect: Dialect) -> Result<Vec<Plan>, PlanError> {
    match dialect {
        Dialect::Postgres => plan_in(sql, schema),
        Dialect::MySql => Ok(mysql::plan_with_text(sql, schema)?.into_iter().map(|(plan, _)| plan).collect()),
    }
}

/// [`plan_with_text_in`] for `sql` written in `dialect`, as [`plan_dialect`].
pub fn plan_with_text_dialect(
    sql: &str,
    schema: &dyn Schema,
    dialect: Dialect,
) -> Result<Vec<(Plan, String)>, PlanError> {
    match dialect {
        Dialect::Postgres => plan_with_text_in(sql, schema),
        Dialect::MySql => mysql::plan_with_text(sql, schema),
    }
}

/// `COPY ... WITH (FREEZE on)` (pgbench -i sends it) spelled so sqlparser's
/// boolean option parser takes it; FREEZE has no effect on rowchain.
fn copy_freeze_on(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    if !lower.trim_start().starts_with("copy") {
        return None;
    }
    // ASCII lowercasing keeps every byte offset, so `at` is one in `sql` too.
    let at = lower.find("freeze on")?;
    let (before, after) = (sql.get(..at)?, sql.get(at + "freeze on".len()..)?);
    Some(format!("{before}freeze true{after}"))
}

/// `VACUUM [options] [tables]`, which sqlparser's PostgreSQL dialect does not
/// fully parse: one statement, nothing after it.
fn is_vacuum(sql: &str) -> bool {
    let t = sql.trim().trim_end_matches(';');
    // No split inside a character: then the text does not start with "vacuum".
    let Some((word, rest)) = t.split_at_checked("vacuum".len()) else {
        return false;
    };
    word.eq_ignore_ascii_case("vacuum")
        && !t.contains(';')
        && rest
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ',' || c == '.' || c == '"' || c.is_whitespace())
}

/// Plans one statement; a MySQL statement has been lowered to the shapes
/// PostgreSQL's parser gives (see `mysql::lower`) before it gets here.
pub(crate) fn plan_statement(
    mut statement: Statement,
    source: &SourceMap,
    schema: &dyn Schema,
    dialect: Dialect,
) -> Result<Plan, PlanError> {
    if dialect == Dialect::Postgres {
        crate::scalars::bit_literals(&mut statement, source)?;
    }
    match statement {
        Statement::Copy { .. } => admin::plan_copy(statement, source, schema),
        Statement::CreateRole(_)
        | Statement::AlterRole { .. }
        | Statement::Drop {
            object_type: sqlparser::ast::ObjectType::Role | sqlparser::ast::ObjectType::User, ..
        } => admin::plan_role(statement).map(Plan::Role),
        Statement::Query(query) if draws_sequence(&query) => {
            plan_drawing_select(query, source, schema).map(Plan::Write)
        }
        Statement::Query(query) => plan_read(query, source, schema).map(Plan::Read),
        Statement::Insert(insert) => plan_insert(insert, source, schema, dialect).map(Plan::Write),
        Statement::Update(update) => plan_update(update, source, schema).map(Plan::Write),
        Statement::Delete(delete) => plan_delete(delete, source, schema).map(Plan::Write),
        Statement::CreateTable(_)
        | Statement::CreateIndex(_)
        | Statement::AlterTable(_)
        | Statement::Truncate(_)
        | Statement::CreateSchema { .. }
        | Statement::CreateDatabase { .. }
        | Statement::RefreshMaterializedView(_)
        | Statement::CreateSequence { .. }
        | Statement::CreateType { .. }
        | Statement::CreateDomain(_)
        | Statement::AlterType(_)
        | Statement::DropDomain(_)
        | Statement::Drop { .. } => ddl::plan_ddl(statement, source, schema, dialect).map(Plan::Ddl),
        Statement::Comment { .. } => crate::comment::plan_comment(statement).map(Plan::Ddl),
        Statement::CreateView(create) => crate::view::plan_create_view(create, source, schema).map(Plan::Ddl),
        Statement::Grant(_) | Statement::Revoke(_) => access::plan_grant(statement).map(Plan::Ddl),
        Statement::CreatePolicy(p) => access::plan_create_policy(p, source).map(Plan::Ddl),
        Statement::DropPolicy(p) => access::plan_drop_policy(p).map(Plan::Ddl),
        // Storage maintenance has nothing to do on a chain's SQL view.
        Statement::Vacuum(_) | Statement::Analyze(_) => Ok(Plan::Session(SessionStmt::Maintenance)),
        // MySQL's DECLARE and CLOSE belong to stored programs: not planned.
        Statement::Declare { .. } | Statement::Close { .. } if dialect == Dialect::Postgres => {
            crate::cursor::plan_cursor_statement(statement, source, schema)
        }
        // MySQL's PREPARE ... FROM is another statement: not planned.
        Statement::Prepare { .. } | Statement::Execute { .. } | Statement::Deallocate { .. }
            if dialect == Dialect::Postgres =>
        {
            crate::prepare::plan_prepared_statement(statement, source, schema)
        }
        other => control::plan_control(other),
    }
}

pub(crate) fn plan_read(mut query: Box<Query>, source: &SourceMap, schema: &dyn Schema) -> Result<ReadPlan, PlanError> {
    colname::name_result_columns(&mut query);
    access::apply_row_filters(&mut query, schema, false)?;
    let mut renderer = Renderer::new(Mode::Read, source, schema);
    renderer.rewrite(&mut query)?;
    render::exact_result_literals(&mut query)?;
    Ok(ReadPlan {
        sqlite: query.to_string(),
        tables: renderer.tables.into_keys().collect(),
        param_count: renderer.param_count,
    })
}

/// Whether a query calls a sequence function: `nextval` and `setval`
/// change a sequence, and `currval` and `lastval` read what the tx drew,
/// which only the executor knows (a validator has no session).
pub(crate) fn draws_sequence(query: &Query) -> bool {
    use sqlparser::ast::visit_expressions;
    use std::ops::ControlFlow;
    let found = visit_expressions(query, |expr| match expr {
        Expr::Function(f)
            if f.name.0.last().and_then(ObjectNamePart::as_ident).is_some_and(|name| {
                ["nextval", "setval", "currval", "lastval"].iter().any(|f| name.value.eq_ignore_ascii_case(f))
            }) =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    });
    found.is_break()
}

/// A SELECT that draws from a sequence: a write every validator runs,
/// rendered under the write rules, whose rows are its result.
fn plan_drawing_select(mut query: Box<Query>, source: &SourceMap, schema: &dyn Schema) -> Result<WritePlan, PlanError> {
    colname::name_result_columns(&mut query);
    access::apply_row_filters(&mut query, schema, false)?;
    let mut renderer = Renderer::new(Mode::Write, source, schema);
    renderer.rewrite(&mut query)?;
    render::exact_result_literals(&mut query)?;
    Ok(WritePlan {
        kind: WriteKind::Select,
        table: String::new(),
        sqlite: query.to_string(),
        tables_read: renderer.tables.into_keys().collect(),
        returning: true,
        param_count: renderer.param_count,
        values_rows: None,
    })
}

/// Renders a write statement and derives what it reads besides its target.
fn finish_write(
    kind: WriteKind,
    table: String,
    alias: Option<&Ident>,
    mut statement: Statement,
    returning: bool,
    source: &SourceMap,
    schema: &dyn Schema,
) -> Result<WritePlan, PlanError> {
    let leaks = kind != WriteKind::Insert && schema.row_filter(&table).is_some() && access::statement_leaks(&statement);
    access::apply_row_filters(&mut statement, schema, kind != WriteKind::Insert)?;
    // After the filters, so that the guard's own subqueries read the table
    // itself, as the policy triggers do.
    match &mut statement {
        Statement::Update(u) => access::guard_target(&mut u.selection, leaks, &table, schema)?,
        Statement::Delete(d) => access::guard_target(&mut d.selection, leaks, &table, schema)?,
        _ => {}
    }
    let mut renderer = Renderer::new(Mode::Write, source, schema);
    renderer.enter_table(&table, alias);
    renderer.rewrite(&mut statement)?;
    // SQLite knows a schema's table by its SQLite name `s.t`, PostgreSQL
    // by `t` as well (`RETURNING t.id`): the INSERT target gets that alias.
    // SQLite's RETURNING knows the table by that SQLite name only.
    if let Statement::Insert(insert) = &mut statement {
        let (schema_name, relation) = names::relation_schema(&table);
        if schema_name != "public" && insert.table_alias.is_none() {
            insert.table_alias = Some(sqlparser::ast::TableAliasWithoutColumns {
                explicit: true,
                alias: Ident::with_quote('"', relation),
            });
            if let Some(returning) = &mut insert.returning {
                let _ = sqlparser::ast::visit_expressions_mut(returning, |expr| {
                    if let Expr::CompoundIdentifier(parts) = expr {
                        if let [qualifier, _] = parts.as_mut_slice() {
                            if qualifier.value == relation {
                                *qualifier = Ident::with_quote('"', table.as_str());
                            }
                        }
                    }
                    std::ops::ControlFlow::<()>::Continue(())
                });
            }
        }
    }
    let tables_read = renderer
        .tables
        .iter()
        .filter(|(name, count)| **name != table || **count > 1)
        .map(|(name, _)| name.clone())
        .collect();
    let values_rows = match &statement {
        Statement::Insert(insert) => match insert.source.as_ref().map(|q| q.body.as_ref()) {
            Some(sqlparser::ast::SetExpr::Values(values)) => Some(values.rows.len()),
            _ => None,
        },
        _ => None,
    };
    Ok(WritePlan {
        kind,
        table,
        sqlite: statement.to_string(),
        tables_read,
        returning,
        param_count: renderer.param_count,
        values_rows,
    })
}

/// MySQL generates an AUTO_INCREMENT value for 0 as for NULL (unless
/// `NO_AUTO_VALUE_ON_ZERO`); SQLite's rowid alias only for NULL. The
/// column's values in a MySQL `VALUES` list become `nullif(v, 0)`, literals
/// and parameters alike.
fn generate_on_zero(insert: &mut Insert, table: &str, schema: &dyn Schema) {
    let Some(column) = schema.auto_increment_column(table) else { return };
    let position = if insert.columns.is_empty() {
        schema.column_names(table).and_then(|names| names.iter().position(|n| *n == column))
    } else {
        insert
            .columns
            .iter()
            .position(|c| c.0.last().and_then(|p| p.as_ident()).map(names::fold).as_deref() == Some(column.as_str()))
    };
    let Some(position) = position else { return };
    let Some(sqlparser::ast::SetExpr::Values(values)) = insert.source.as_mut().map(|q| q.body.as_mut()) else {
        return;
    };
    for row in &mut values.rows {
        if let Some(value) = row.get_mut(position) {
            let zero = Expr::value(sqlparser::ast::Value::Number("0".into(), false));
            *value = crate::render::call("nullif", vec![value.clone(), zero]);
        }
    }
}

fn plan_insert(
    mut insert: Insert,
    source: &SourceMap,
    schema: &dyn Schema,
    dialect: Dialect,
) -> Result<WritePlan, PlanError> {
    // MySQL's REPLACE and INSERT IGNORE, lowered to SQLite's `INSERT OR ..`.
    let or = if dialect == Dialect::MySql { insert.or.take() } else { None };
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
    let TableObject::TableName(name) = &insert.table else {
        return Err(PlanError::unsupported("INSERT INTO a table function"));
    };
    let table = names::resolve_target(name)?;
    for column in &insert.columns {
        names::resolve_object(column)?;
    }
    let overriding = match insert.overriding.take() {
        Some(InsertOverriding::System) => true,
        Some(InsertOverriding::User) => return Err(PlanError::unsupported("INSERT ... OVERRIDING USER VALUE")),
        None => false,
    };
    check_default_only(&insert, &table, schema, overriding)?;
    omit_default_columns(&mut insert, &table, schema)?;
    match &insert.on {
        None => {}
        Some(OnInsert::OnConflict(on_conflict)) => check_on_conflict(on_conflict, dialect)?,
        Some(_) => return Err(PlanError::unsupported("ON DUPLICATE KEY UPDATE")),
    }
    coerce_insert(&mut insert, &table, schema)?;
    if dialect == Dialect::MySql {
        generate_on_zero(&mut insert, &table, schema);
    }
    if insert.on.is_some() {
        if let Some(query) = &mut insert.source {
            guard_upsert_select(query);
        }
    }
    let returning = insert.returning.is_some();
    insert.or = or;
    finish_write(WriteKind::Insert, table, None, Statement::Insert(insert), returning, source, schema)
}

/// 428C9 when an INSERT gives a generated column a value of its own
/// (DEFAULT is fine), or a `GENERATED ALWAYS AS IDENTITY` column one
/// without `OVERRIDING SYSTEM VALUE`.
fn check_default_only(insert: &Insert, table: &str, schema: &dyn Schema, overriding: bool) -> Result<(), PlanError> {
    let targets: Vec<String> = if insert.columns.is_empty() {
        schema.column_names(table).unwrap_or_default()
    } else {
        insert.columns.iter().filter_map(|c| c.0.last().and_then(ObjectNamePart::as_ident).map(names::fold)).collect()
    };
    let default_only = |c: &str| schema.generated(table, c) || (!overriding && schema.always_identity(table, c));
    for (position, column) in targets.iter().enumerate().filter(|(_, c)| default_only(c)) {
        let given = match insert.source.as_ref().map(|q| q.body.as_ref()) {
            Some(SetExpr::Values(values)) => {
                values.rows.iter().any(|row| row.get(position).is_some_and(|e| !is_default(e)))
            }
            Some(_) => true,
            None => false,
        };
        if given {
            let error = PlanError::new("428C9", format!("cannot insert a non-DEFAULT value into column \"{column}\""));
            return Err(if schema.generated(table, column) {
                error
            } else {
                error.with_hint("Use OVERRIDING SYSTEM VALUE to override.")
            });
        }
    }
    Ok(())
}

/// `VALUES (DEFAULT, ...)`: SQLite has no DEFAULT in a VALUES list, so a
/// column that is DEFAULT in every row leaves the column list and takes its
/// default; when every column goes, one row is `DEFAULT VALUES`. A column
/// that is DEFAULT in some rows only is 0A000.
fn omit_default_columns(insert: &mut Insert, table: &str, schema: &dyn Schema) -> Result<(), PlanError> {
    let Some(SetExpr::Values(values)) = insert.source.as_deref_mut().map(|q| q.body.as_mut()) else {
        return Ok(());
    };
    if !values.rows.iter().flat_map(|row| row.iter()).any(is_default) {
        return Ok(());
    }
    let width = values.rows.first().map_or(0, |row| row.len());
    let mut columns = insert.columns.clone();
    if columns.is_empty() {
        // Planned without the catalog (a node's admission check): the
        // executor, which knows the table, decides.
        let Some(names) = schema.column_names(table) else {
            return Ok(());
        };
        columns = names.into_iter().take(width).map(|n| ObjectName::from(vec![Ident::with_quote('"', n)])).collect();
    }
    let mut keep = Vec::with_capacity(width);
    for position in 0..width {
        let defaults = values.rows.iter().filter(|row| row.get(position).is_some_and(is_default)).count();
        if defaults != 0 && defaults != values.rows.len() {
            return Err(PlanError::unsupported("DEFAULT for a column in some rows of a VALUES list only")
                .with_hint("give that column's value in every row, or split the INSERT"));
        }
        keep.push(defaults == 0);
    }
    for row in &mut values.rows {
        let mut position = 0;
        row.retain(|_| {
            position += 1;
            keep.get(position - 1).copied().unwrap_or(true)
        });
    }
    let mut position = 0;
    columns.retain(|_| {
        position += 1;
        keep.get(position - 1).copied().unwrap_or(true)
    });
    if columns.is_empty() {
        if values.rows.len() > 1 {
            return Err(PlanError::unsupported("a VALUES list of several rows that are all DEFAULT")
                .with_hint("insert one row of DEFAULT VALUES at a time"));
        }
        insert.source = None;
    }
    insert.columns = columns;
    Ok(())
}

/// The keyword DEFAULT where a value goes.
fn is_default(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(ident) if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("default"))
}

/// MySQL's `ON DUPLICATE KEY UPDATE` names no key: it is SQLite's
/// `ON CONFLICT DO UPDATE` without a target, which any unique key fires.
fn check_on_conflict(on_conflict: &OnConflict, dialect: Dialect) -> Result<(), PlanError> {
    match (&on_conflict.conflict_target, &on_conflict.action) {
        (None, OnConflictAction::DoUpdate(_)) if dialect == Dialect::MySql => Ok(()),
        (Some(ConflictTarget::OnConstraint(_)), _) => Err(PlanError::unsupported("ON CONFLICT ON CONSTRAINT")
            .with_hint("name the conflict columns: ON CONFLICT (col, ...)")),
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
    let wrapped: Result<Vec<Statement>, _> =
        crate::parse::statements("SELECT * FROM (SELECT 1) AS __rc_source WHERE true");
    let Ok(mut statements) = wrapped else { return };
    let Some(Statement::Query(mut outer)) = statements.pop() else {
        return;
    };
    if let SetExpr::Select(select) = outer.body.as_mut() {
        if let Some(TableWithJoins { relation: TableFactor::Derived { subquery, .. }, .. }) = select.from.first_mut() {
            *subquery = query.clone();
            *query = outer;
        }
    }
}

fn single_table(tables: &[TableWithJoins], statement: &str) -> Result<String, PlanError> {
    match tables {
        [TableWithJoins { relation: TableFactor::Table { name, args: None, .. }, joins }] if joins.is_empty() => {
            names::resolve_target(name)
        }
        _ => Err(PlanError::unsupported(format!("{statement} on more than one table"))),
    }
}

fn plan_update(mut update: Update, source: &SourceMap, schema: &dyn Schema) -> Result<WritePlan, PlanError> {
    if update.or.is_some() || !update.order_by.is_empty() || update.limit.is_some() || update.output.is_some() {
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
        columns.iter().try_for_each(|column| names::resolve_object(column).map(drop))?;
        let always = columns
            .iter()
            .filter_map(|c| c.0.last().and_then(ObjectNamePart::as_ident).map(names::fold))
            .find(|c| schema.always_identity(&table, c) || schema.generated(&table, c));
        if let Some(column) = always.filter(|_| !is_default(&assignment.value)) {
            return Err(PlanError::new("428C9", format!("column \"{column}\" can only be updated to DEFAULT")));
        }
    }
    coerce_assignments(&mut update.assignments, &table, schema)?;
    let returning = update.returning.is_some();
    let alias = table_alias(&update.table.relation);
    finish_write(WriteKind::Update, table, alias.as_ref(), Statement::Update(update), returning, source, schema)
}

fn plan_delete(delete: Delete, source: &SourceMap, schema: &dyn Schema) -> Result<WritePlan, PlanError> {
    if delete.using.is_some() {
        return Err(PlanError::unsupported("DELETE ... USING")
            .with_hint("use WHERE ... IN (SELECT ...) or WHERE EXISTS (SELECT ...)"));
    }
    if !delete.tables.is_empty() || !delete.order_by.is_empty() || delete.limit.is_some() || delete.output.is_some() {
        return Err(PlanError::unsupported("this form of DELETE"));
    }
    let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
    let table = single_table(from, "DELETE")?;
    let returning = delete.returning.is_some();
    let alias = from.first().and_then(|t| table_alias(&t.relation));
    finish_write(WriteKind::Delete, table, alias.as_ref(), Statement::Delete(delete), returning, source, schema)
}

fn table_alias(factor: &TableFactor) -> Option<Ident> {
    match factor {
        TableFactor::Table { alias: Some(alias), .. } => Some(alias.name.clone()),
        _ => None,
    }
}

/// What a value written to a column of type `ty` goes through: PostgreSQL
/// converts text to the column's type with the type's input function, so
/// `'t'` is true and jsonb is stored in its normal form.
fn coerce_value(expr: &mut Expr, ty: PgType) -> Result<(), PlanError> {
    let is_default = is_default(expr);
    let cast_already =
        matches!(expr, Expr::Cast { data_type, .. } if matches!(data_type, DataType::JSON | DataType::JSONB));
    if is_default || cast_already || matches!(expr, Expr::Value(ValueWithSpan { value: Value::Null, .. })) {
        return Ok(());
    }
    match ty {
        PgType::Bool => {
            if let Some(literal) = render::bool_literal(expr)? {
                *expr = literal;
            }
        }
        PgType::Bytea => {
            if let Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(text), .. }) = expr {
                *expr = render::bytea_literal(text)?;
            }
        }
        PgType::Jsonb => *expr = render::call("rc_jsonb", vec![expr.clone()]),
        PgType::Date | PgType::Time | PgType::Timestamp | PgType::Timestamptz => {
            if matches!(expr, Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(_), .. })) {
                *expr = render::datetime(expr.clone(), ty);
            }
        }
        PgType::Json => *expr = render::call("rc_json", vec![expr.clone()]),
        // Stored as exact text with the column's scale; 22003 past its precision.
        PgType::Numeric { .. } => *expr = render::numeric_value(expr, ty)?,
        // Bit strings, network addresses, "char", oid: checked as written.
        ty if crate::scalars::is_scalar(ty) => crate::scalars::assign(expr, ty)?,
        PgType::Array(_) => crate::arrays::assign(expr, ty)?,
        _ => {}
    }
    Ok(())
}

fn needs_coercion(ty: Option<PgType>) -> bool {
    matches!(
        ty,
        Some(
            PgType::Bool
                | PgType::Numeric { .. }
                | PgType::Bytea
                | PgType::Json
                | PgType::Jsonb
                | PgType::Date
                | PgType::Time
                | PgType::Timestamp
                | PgType::Timestamptz
                | PgType::Array(_)
        )
    ) || ty.is_some_and(crate::scalars::is_scalar)
}

/// Coerces the VALUES rows (or the SELECT list) of an INSERT to the target
/// columns' types, see [`coerce_value`].
fn coerce_insert(insert: &mut Insert, table: &str, schema: &dyn Schema) -> Result<(), PlanError> {
    let columns: Vec<String> = if insert.columns.is_empty() {
        match schema.column_names(table) {
            Some(names) => names,
            None => return Ok(()),
        }
    } else {
        let folded: Option<Vec<String>> = insert
            .columns
            .iter()
            .map(|c| match c.0.last() {
                Some(ObjectNamePart::Identifier(ident)) => Some(names::fold(ident)),
                _ => None,
            })
            .collect();
        match folded {
            Some(names) => names,
            None => return Ok(()),
        }
    };
    let types: Vec<Option<PgType>> = columns.iter().map(|c| schema.column_type(table, c)).collect();
    if !types.iter().any(|t| needs_coercion(*t)) {
        return Ok(());
    }
    let coerce_row = |row: &mut [Expr]| -> Result<(), PlanError> {
        for (expr, ty) in row.iter_mut().zip(&types) {
            if let Some(ty) = ty.filter(|t| needs_coercion(Some(*t))) {
                coerce_value(expr, ty)?;
            }
        }
        Ok(())
    };
    if let Some(OnInsert::OnConflict(OnConflict { action: OnConflictAction::DoUpdate(update), .. })) = &mut insert.on {
        coerce_assignments(&mut update.assignments, table, schema)?;
    }
    let Some(source) = &mut insert.source else {
        return Ok(());
    };
    match source.body.as_mut() {
        SetExpr::Values(values) => values.rows.iter_mut().try_for_each(|row| coerce_row(row)),
        SetExpr::Select(select) => {
            let mut row: Vec<Expr> = Vec::with_capacity(select.projection.len());
            for item in &select.projection {
                match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => row.push(e.clone()),
                    _ => return Ok(()),
                }
            }
            coerce_row(&mut row)?;
            for (item, expr) in select.projection.iter_mut().zip(row) {
                if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                    *e = expr;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Coerces `SET column = value` to the columns' types, see [`coerce_value`].
fn coerce_assignments(assignments: &mut [Assignment], table: &str, schema: &dyn Schema) -> Result<(), PlanError> {
    for assignment in assignments {
        let AssignmentTarget::ColumnName(name) = &assignment.target else {
            continue;
        };
        let Some(ObjectNamePart::Identifier(column)) = name.0.last() else {
            continue;
        };
        let ty = schema.column_type(table, &names::fold(column));
        if let Some(ty) = ty.filter(|t| needs_coercion(Some(*t))) {
            coerce_value(&mut assignment.value, ty)?;
        }
    }
    Ok(())
}
