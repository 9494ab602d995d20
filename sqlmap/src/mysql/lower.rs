//! The rewrite of a parsed MySQL statement into the shapes PostgreSQL's
//! parser gives, so the shared planner takes it from there: identifiers
//! folded, strings and `?` parameters as PostgreSQL writes them, `LIMIT
//! a, b`, database-qualified names, MySQL's functions and column types,
//! and the INSERT forms (`REPLACE`, `IGNORE`, `SET a = 1`, `ON DUPLICATE
//! KEY UPDATE`).

use std::ops::ControlFlow;

use sqlparser::ast::{
    Assignment, AssignmentTarget, BinaryOperator, CastKind, ColumnOption, DataType, DoUpdate, Expr, GrantObjects,
    Grantee, GranteeName, Ident, Insert, LimitClause, ObjectName, ObjectNamePart, Offset, OffsetRows, OnConflict,
    OnConflictAction, OnInsert, Query, Select, SetExpr, SqliteOnConflict, Statement, TableConstraint, TableFactor,
    TableWithJoins, Value, ValueWithSpan, VisitMut, VisitorMut,
};

use crate::error::{PlanError, SYNTAX_ERROR};

use super::{columns, database_name, functions, session};

/// The `rowchain` system views, which `rowchain.x` keeps naming.
const SYSTEM_VIEWS: [&str; 3] = ["blocks", "transactions", "imports"];

/// Lowers `statement` in place; see the module docs.
pub(super) fn statement(statement: &mut Statement) -> Result<(), PlanError> {
    if let Statement::Insert(insert) = statement {
        lower_insert(insert)?;
    }
    let mut parameters = Parameters::default();
    let _ = statement.visit(&mut parameters);
    parameters.starts.sort_unstable();
    parameters.starts.dedup();
    let mut lowering = Lowering { parameters: parameters.starts };
    if let ControlFlow::Break(error) = statement.visit(&mut lowering) {
        return Err(error);
    }
    match statement {
        Statement::CreateTable(create) => {
            create.constraints.iter_mut().try_for_each(columns::table_constraint)?;
            create.columns.iter_mut().try_for_each(columns::column)?;
            // `REFERENCES db.t` names a table as any other name does.
            for constraint in &mut create.constraints {
                if let TableConstraint::ForeignKey(fk) = constraint {
                    qualified_name(&mut fk.foreign_table)?;
                }
            }
            for option in create.columns.iter_mut().flat_map(|c| &mut c.options) {
                if let ColumnOption::ForeignKey(fk) = &mut option.option {
                    qualified_name(&mut fk.foreign_table)?;
                }
            }
        }
        Statement::AlterTable(alter) => {
            for operation in &mut alter.operations {
                match operation {
                    sqlparser::ast::AlterTableOperation::AddColumn { column_def, .. } => columns::column(column_def)?,
                    sqlparser::ast::AlterTableOperation::AddConstraint {
                        constraint: TableConstraint::ForeignKey(fk),
                        ..
                    } => qualified_name(&mut fk.foreign_table)?,
                    _ => {}
                }
            }
        }
        Statement::Drop { names, .. } => names.iter_mut().try_for_each(qualified_name)?,
        Statement::Grant(grant) => grant_objects(grant.objects.as_mut(), &mut grant.grantees)?,
        Statement::Revoke(revoke) => grant_objects(revoke.objects.as_mut(), &mut revoke.grantees)?,
        _ => {}
    }
    Ok(())
}

/// Where each `?` parameter starts, in text order, to number them by.
#[derive(Default)]
struct Parameters {
    starts: Vec<(u64, u64)>,
}

impl VisitorMut for Parameters {
    type Break = ();

    fn post_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<()> {
        if matches!(&value.value, Value::Placeholder(p) if p == "?") {
            self.starts.push((value.span.start.line, value.span.start.column));
        }
        ControlFlow::Continue(())
    }
}

struct Lowering {
    /// Where each `?` starts, sorted, for its number.
    parameters: Vec<(u64, u64)>,
}

impl Lowering {
    /// `?` becomes `$n`, n its place in the text (a rewrite that copies a
    /// parameter keeps its number).
    fn parameter(&self, value: &ValueWithSpan) -> Option<String> {
        let start = (value.span.start.line, value.span.start.column);
        let index = self.parameters.binary_search(&start).ok()?;
        Some(format!("${}", index + 1))
    }
}

impl VisitorMut for Lowering {
    type Break = PlanError;

    fn post_visit_ident(&mut self, ident: &mut Ident) -> ControlFlow<PlanError> {
        match ident.quote_style {
            // A single-quoted name is a string in MySQL (an account name, an alias): kept as written.
            Some('\'') => ident.quote_style = Some('"'),
            Some(_) => {
                ident.value = ident.value.to_lowercase();
                ident.quote_style = Some('"');
            }
            None => ident.value = ident.value.to_lowercase(),
        }
        ControlFlow::Continue(())
    }

    fn post_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<PlanError> {
        let replacement = match &value.value {
            Value::DoubleQuotedString(s) => Value::SingleQuotedString(s.clone()),
            Value::Placeholder(p) if p == "?" => match self.parameter(value) {
                Some(numbered) => Value::Placeholder(numbered),
                None => return ControlFlow::Continue(()),
            },
            _ => return ControlFlow::Continue(()),
        };
        value.value = replacement;
        ControlFlow::Continue(())
    }

    fn post_visit_relation(&mut self, name: &mut ObjectName) -> ControlFlow<PlanError> {
        into_flow(qualified_name(name))
    }

    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<PlanError> {
        // USE / FORCE / IGNORE INDEX: SQLite's planner picks its own indexes.
        if let TableFactor::Table { index_directives, .. } = factor {
            index_directives.clear();
        }
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<PlanError> {
        // `FROM DUAL` names no table: a SELECT without FROM.
        if let [TableWithJoins { relation: TableFactor::Table { name, alias: None, args: None, .. }, joins }] =
            select.from.as_slice()
        {
            let dual = matches!(name.0.as_slice(), [ObjectNamePart::Identifier(i)] if i.quote_style.is_none() && i.value == "dual");
            if dual && joins.is_empty() {
                select.from.clear();
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<PlanError> {
        if let Some(LimitClause::OffsetCommaLimit { offset, limit }) = &query.limit_clause {
            query.limit_clause = Some(LimitClause::LimitOffset {
                limit: Some(limit.clone()),
                offset: Some(Offset { value: offset.clone(), rows: OffsetRows::None }),
                limit_by: vec![],
            });
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<PlanError> {
        into_flow(lower_expr(expr))
    }
}

fn into_flow(result: Result<(), PlanError>) -> ControlFlow<PlanError> {
    match result {
        Ok(()) => ControlFlow::Continue(()),
        Err(error) => ControlFlow::Break(error),
    }
}

fn lower_expr(expr: &mut Expr) -> Result<(), PlanError> {
    // MySQL's b'0101' is a byte string, its bits right-aligned (PostgreSQL
    // reads B'..' as a bit string).
    if let Expr::Value(v) = &*expr {
        if let sqlparser::ast::Value::SingleQuotedByteStringLiteral(bits) = &v.value {
            if !bits.bytes().all(|b| b == b'0' || b == b'1') {
                return Err(PlanError::new(SYNTAX_ERROR, format!("invalid bit-value literal b'{bits}'")));
            }
            let padded = format!("{}{bits}", "0".repeat((8 - bits.len() % 8) % 8));
            let hex: String = padded
                .as_bytes()
                .chunks(8)
                .map(|byte| format!("{:02x}", byte.iter().fold(0u8, |acc, b| acc << 1 | (b - b'0'))))
                .collect();
            *expr = Expr::value(sqlparser::ast::Value::HexStringLiteral(hex));
            return Ok(());
        }
    }
    // A character-set introducer: `_binary'..'` is the string's bytes,
    // `_utf8mb4'..'` (and the others) the string itself.
    if let Expr::Prefixed { prefix, value } = &*expr {
        let binary = prefix.value.eq_ignore_ascii_case("_binary");
        *expr = match (binary, value.as_ref()) {
            (true, Expr::Value(v)) => match &v.value {
                sqlparser::ast::Value::SingleQuotedString(s) | sqlparser::ast::Value::DoubleQuotedString(s) => {
                    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                    Expr::value(sqlparser::ast::Value::HexStringLiteral(hex))
                }
                _ => value.as_ref().clone(),
            },
            _ => value.as_ref().clone(),
        };
        return Ok(());
    }
    lower_cast(expr);
    // MySQL's default collations ignore case, so its LIKE is ILIKE and its
    // REGEXP is `~*`; `BINARY` on either side compares bytes: LIKE and `~`.
    let binary = |side: &mut Box<Expr>| match side.as_mut() {
        Expr::Cast { kind: CastKind::Cast, data_type: DataType::Binary(None), expr: inner, .. } => {
            let value = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
            **side = value;
            true
        }
        _ => false,
    };
    if let Expr::RLike { negated, expr: left, pattern, .. } = expr {
        let exact = binary(left) | binary(pattern);
        let op = match (*negated, exact) {
            (false, false) => BinaryOperator::PGRegexIMatch,
            (true, false) => BinaryOperator::PGRegexNotIMatch,
            (false, true) => BinaryOperator::PGRegexMatch,
            (true, true) => BinaryOperator::PGRegexNotMatch,
        };
        *expr = Expr::BinaryOp {
            left: Box::new(std::mem::replace(left.as_mut(), Expr::value(Value::Null))),
            op,
            right: Box::new(std::mem::replace(pattern.as_mut(), Expr::value(Value::Null))),
        };
        return Ok(());
    }
    if let Expr::Like { negated, any: false, expr: left, pattern, escape_char } = expr {
        let (left_binary, pattern_binary) = (binary(left), binary(pattern));
        if !left_binary && !pattern_binary {
            *expr = Expr::ILike {
                negated: *negated,
                any: false,
                expr: Box::new(std::mem::replace(left.as_mut(), Expr::value(Value::Null))),
                pattern: Box::new(std::mem::replace(pattern.as_mut(), Expr::value(Value::Null))),
                escape_char: escape_char.take(),
            };
        }
        return Ok(());
    }
    let first = match &*expr {
        Expr::Identifier(ident) => Some(ident),
        Expr::CompoundIdentifier(idents) => idents.first(),
        Expr::BinaryOp { op: BinaryOperator::MyIntegerDivide | BinaryOperator::Xor, .. } => {
            return Err(PlanError::unsupported("DIV or XOR"));
        }
        _ => None,
    };
    if first.is_some_and(|ident| ident.quote_style.is_none() && ident.value.starts_with("@@")) {
        // `@@x` inside an expression reads the session's value as text:
        // the MySQL front end keeps each variable as setting `mysql.x`.
        // Writes never see it (current_setting is a read-path function).
        let parts: Vec<String> = match &*expr {
            Expr::Identifier(ident) => vec![ident.value.to_lowercase()],
            Expr::CompoundIdentifier(idents) => idents.iter().map(|i| i.value.to_lowercase()).collect(),
            _ => Vec::new(),
        };
        let name = match parts.as_slice() {
            [qualifier, name] if ["@@session", "@@local", "@@global"].contains(&qualifier.as_str()) => name.clone(),
            [name] => name.trim_start_matches('@').to_string(),
            _ => return Err(PlanError::unsupported(format!("variable {}", parts.join(".")))),
        };
        let setting = Expr::value(sqlparser::ast::Value::SingleQuotedString(format!("mysql.{name}")));
        *expr = crate::render::call("current_setting", vec![setting]);
        return Ok(());
    }
    if first.is_some_and(|ident| ident.quote_style.is_none() && ident.value.starts_with('@')) {
        return Err(session::user_variables());
    }
    functions::lower(expr)
}

/// MySQL's casts to `SIGNED`/`UNSIGNED [INTEGER]` as casts to bigint
/// (MariaDB Connector/J's getColumns sends both), `CONVERT(x, type)` as
/// `CAST(x AS type)`, and `CONVERT(x USING charset)` as `x` (text is
/// UTF-8 throughout).
fn lower_cast(expr: &mut Expr) {
    let integer = |data_type: &DataType| {
        let name = data_type.to_string().to_lowercase();
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let words = ["signed", "signed integer", "signed int", "unsigned", "unsigned integer", "unsigned int"];
        words.contains(&name.as_str()).then_some(DataType::BigInt(None))
    };
    match expr {
        Expr::Cast { data_type, .. } => {
            if let Some(bigint) = integer(data_type) {
                *data_type = bigint;
            }
        }
        Expr::Convert {
            is_try: false,
            expr: inner,
            data_type: Some(data_type),
            charset: None,
            target_before_value: false,
            styles,
        } if styles.is_empty() => {
            let data_type = integer(data_type).unwrap_or_else(|| data_type.clone());
            let inner = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
            *expr = Expr::Cast { kind: CastKind::Cast, expr: Box::new(inner), data_type, format: None };
        }
        Expr::Convert {
            is_try: false,
            expr: inner,
            data_type: None,
            charset: Some(_),
            target_before_value: false,
            styles,
        } if styles.is_empty() => {
            *expr = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
        }
        _ => {}
    }
}

/// `db.t` is `t` when `db` is the one database (but `rowchain.blocks` and
/// `rowchain.transactions` stay the system views); the emulated catalogs
/// keep their schema, `information_schema`'s MySQL tables being named as
/// the proxy names them ([`super::information_schema_table`]); another
/// database is refused.
fn qualified_name(name: &mut ObjectName) -> Result<(), PlanError> {
    let [ObjectNamePart::Identifier(database), ObjectNamePart::Identifier(table)] = name.0.as_slice() else {
        return Ok(());
    };
    let database = database.value.to_lowercase();
    if database == "information_schema" {
        let mysql = super::information_schema_table(&table.value);
        if let (Some(mysql), Some(ObjectNamePart::Identifier(table))) = (mysql, name.0.last_mut()) {
            table.value = mysql;
        }
        return Ok(());
    }
    if crate::names::CATALOG_SCHEMAS.contains(&database.as_str()) {
        return Ok(());
    }
    if database_name(&database).is_err() {
        // Another database is a schema (`CREATE DATABASE` makes one): the
        // name stays qualified and resolves there.
        return Ok(());
    }
    if !SYSTEM_VIEWS.contains(&table.value.to_lowercase().as_str()) {
        let table = table.clone();
        name.0 = vec![ObjectNamePart::Identifier(table)];
    }
    Ok(())
}

/// `ON db.t` and `TO 'user'@'host'` (the host is dropped: a rowchain role
/// is one identity wherever it connects from).
fn grant_objects(objects: Option<&mut GrantObjects>, grantees: &mut [Grantee]) -> Result<(), PlanError> {
    if let Some(GrantObjects::Tables(tables)) = objects {
        for table in tables.iter_mut() {
            let last = table.0.last().and_then(ObjectNamePart::as_ident);
            if last.is_some_and(|ident| ident.value == "*") {
                return Err(PlanError::unsupported("GRANT ON db.* or *.*")
                    .with_hint("rowchain grants privileges on tables: GRANT SELECT ON rowchain.t TO 'user'@'%'"));
            }
            qualified_name(table)?;
        }
    }
    for grantee in grantees {
        let user = match &grantee.name {
            Some(GranteeName::UserHost { user, .. }) => user.value.clone(),
            Some(GranteeName::ObjectName(name)) => match name.0.as_slice() {
                // An unquoted `user@host` is one word.
                [ObjectNamePart::Identifier(ident)] if ident.value.contains('@') => {
                    ident.value.split('@').next().unwrap_or_default().to_string()
                }
                _ => continue,
            },
            None => continue,
        };
        grantee.name = Some(GranteeName::ObjectName(ObjectName::from(vec![Ident::with_quote('"', user)])));
    }
    Ok(())
}

/// MySQL's INSERT forms, as SQLite's: `REPLACE` is `INSERT OR REPLACE`
/// (its plan says so: `WritePlan::replaces_rows()`, since the rows it
/// deletes are not seen as deletes by SQLite's authorizer),
/// `INSERT IGNORE` is `INSERT OR IGNORE` (a row that breaks a constraint
/// is skipped, where MySQL may store an adjusted value with a warning),
/// `INSERT .. SET a = 1` is a column list and one row, and `ON DUPLICATE
/// KEY UPDATE` is `ON CONFLICT DO UPDATE` without a target (any unique key
/// fires it), `VALUES(c)` and `alias.c` in it being `excluded.c`.
fn lower_insert(insert: &mut Insert) -> Result<(), PlanError> {
    if insert.replace_into {
        insert.replace_into = false;
        insert.or = Some(SqliteOnConflict::Replace);
    }
    if insert.ignore {
        insert.ignore = false;
        insert.or = Some(SqliteOnConflict::Ignore);
    }
    // LOW_PRIORITY, DELAYED, HIGH_PRIORITY: writes are serial on a chain.
    insert.priority = None;
    if !insert.assignments.is_empty() {
        set_to_values(insert)?;
    }
    let alias = insert.insert_alias.take();
    if alias.as_ref().is_some_and(|a| a.col_aliases.as_ref().is_some_and(|c| !c.is_empty())) {
        return Err(PlanError::unsupported("column aliases of INSERT ... AS alias"));
    }
    let row_alias =
        alias.and_then(|a| a.row_alias.0.last().and_then(ObjectNamePart::as_ident).map(|i| i.value.to_lowercase()));
    match insert.on.take() {
        Some(OnInsert::DuplicateKeyUpdate(mut assignments)) => {
            for assignment in &mut assignments {
                let _ = assignment.value.visit(&mut ProposedRow { alias: row_alias.as_deref() });
            }
            let action = OnConflictAction::DoUpdate(DoUpdate { assignments, selection: None });
            insert.on = Some(OnInsert::OnConflict(OnConflict { conflict_target: None, action }));
        }
        other if row_alias.is_some() => {
            insert.on = other;
            return Err(PlanError::unsupported("INSERT ... AS alias without ON DUPLICATE KEY UPDATE"));
        }
        other => insert.on = other,
    }
    Ok(())
}

/// `INSERT INTO t SET a = 1, b = 2` as `INSERT INTO t (a, b) VALUES (1, 2)`.
fn set_to_values(insert: &mut Insert) -> Result<(), PlanError> {
    if !insert.columns.is_empty() || insert.source.is_some() {
        return Err(PlanError::new(SYNTAX_ERROR, "INSERT takes SET or a column list, not both"));
    }
    let mut row = Vec::with_capacity(insert.assignments.len());
    for Assignment { target, value } in std::mem::take(&mut insert.assignments) {
        let AssignmentTarget::ColumnName(column) = target else {
            return Err(PlanError::new(SYNTAX_ERROR, "INSERT ... SET assigns one column at a time"));
        };
        insert.columns.push(column);
        row.push(value);
    }
    let parsed = crate::parse::statements("VALUES (1)");
    let Ok(Some(Statement::Query(mut query))) = parsed.map(|mut statements| statements.pop()) else {
        return Err(PlanError::new(crate::error::INTERNAL_ERROR, "the VALUES template did not parse"));
    };
    if let SetExpr::Values(values) = query.body.as_mut() {
        if let Some(first) = values.rows.first_mut() {
            first.content = row;
        }
    }
    insert.source = Some(query);
    Ok(())
}

/// Rewrites `VALUES(c)` and `alias.c` to `excluded.c`: the row the INSERT proposed.
struct ProposedRow<'a> {
    alias: Option<&'a str>,
}

impl VisitorMut for ProposedRow<'_> {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let column = match expr {
            Expr::Function(function) if function.name.to_string().eq_ignore_ascii_case("values") => {
                match &function.args {
                    sqlparser::ast::FunctionArguments::List(list) => match list.args.as_slice() {
                        [sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(
                            Expr::Identifier(column),
                        ))] => Some(column.clone()),
                        _ => None,
                    },
                    _ => None,
                }
            }
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [alias, column] if self.alias.is_some_and(|a| a == alias.value.to_lowercase()) => Some(column.clone()),
                _ => None,
            },
            _ => None,
        };
        if let Some(column) = column {
            *expr = Expr::CompoundIdentifier(vec![Ident::new("excluded"), column]);
        }
        ControlFlow::Continue(())
    }
}
