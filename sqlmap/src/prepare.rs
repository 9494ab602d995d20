//! SQL-level prepared statements: `PREPARE name [(type, ...)] AS
//! statement`, `EXECUTE name [(argument, ...)]` and `DEALLOCATE [PREPARE]
//! {name | ALL}`, planned as session statements ([`SessionStmt`]). The
//! front end keeps a session's prepared statements; EXECUTE plans the
//! statement's text again and runs it with the arguments as its
//! parameters, so an executed write is the same chain write as the
//! statement sent with those parameters (the executor refuses session
//! statements with 0A000, so no PREPARE reaches a validator).
//!
//! What PostgreSQL decides when it parses and analyzes these is decided
//! here: which statements may be prepared (its `PreparableStmt`: SELECT,
//! VALUES, TABLE, INSERT, UPDATE, DELETE), parameters whose type nothing
//! determines (42P18), and, given the parameter types, whether each
//! argument of an EXECUTE can be assigned to its parameter (42804, as
//! `EvaluateParams` does) and the read that computes the arguments
//! ([`execute_arguments`]). Only the PostgreSQL dialect plans these:
//! MySQL's `PREPARE stmt FROM '...'` is another statement.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Spanned, Statement, Value, Visit, Visitor};

use crate::control::SessionStmt;
use crate::dialect::Dialect;
use crate::error::{PlanError, SourceMap, FEATURE_NOT_SUPPORTED, SYNTAX_ERROR};
use crate::names;
use crate::plan::{Plan, ReadPlan};
use crate::schema::Schema;
use crate::types::PgType;

/// The most parameters a prepared statement may declare, as PostgreSQL's
/// wire can number them.
const PARAMS_MAX: usize = 65_535;

/// `PREPARE name [(type, ...)] AS statement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareStatement {
    pub name: String,
    /// The declared parameter types, in order; the statement may use more
    /// parameters, whose types the front end infers as for the extended
    /// protocol (text when nothing decides).
    pub declared: Vec<PgType>,
    /// How many parameters the statement has: the declared ones, or up to
    /// the highest `$n` it uses. Every undeclared one below that is used
    /// (else 42P18 at PREPARE, as PostgreSQL).
    pub param_count: usize,
    /// The statement as PostgreSQL text: what EXECUTE plans again and
    /// runs, and what a write submits to the chain.
    pub statement: String,
    /// The statement as planned at PREPARE.
    pub plan: Box<Plan>,
    /// The whole query text the PREPARE came in, as PostgreSQL's
    /// `pg_prepared_statements.statement` shows it.
    pub source: String,
}

/// How an EXECUTE argument becomes its parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentType {
    /// A string literal or NULL: the parameter type's input function reads
    /// it (22P02 and friends for bad text), as PostgreSQL's unknown literals.
    Unknown,
    /// An expression of this type: assigned with PostgreSQL's assignment
    /// casts (42804 where there is none).
    Typed(PgType),
    /// An expression whose type sqlmap cannot tell (a function it does not
    /// know, a parameter): cast to the parameter's type.
    Unresolved,
}

/// One argument of an EXECUTE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteArgument {
    /// The expression as PostgreSQL text.
    pub expr: String,
    pub ty: ArgumentType,
    /// Where it starts in the statement text (1-based characters).
    pub position: Option<u32>,
}

/// `EXECUTE name [(argument, ...)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteStatement {
    pub name: String,
    pub arguments: Vec<ExecuteArgument>,
    /// The highest `$n` the arguments use (the extended protocol binds them).
    pub param_count: usize,
}

/// Plans PREPARE, EXECUTE and DEALLOCATE (PostgreSQL dialect only).
pub(crate) fn plan_prepared_statement(
    statement: Statement,
    source: &SourceMap,
    schema: &dyn Schema,
) -> Result<Plan, PlanError> {
    let session = |s| Ok(Plan::Session(s));
    match statement {
        Statement::Prepare { name, data_types, statement } => {
            session(SessionStmt::Prepare(plan_prepare(&name, &data_types, *statement, source, schema)?))
        }
        Statement::Execute {
            name: Some(name),
            parameters,
            has_parentheses,
            immediate: false,
            into,
            using,
            output: false,
            default: false,
        } if into.is_empty() && using.is_empty() => {
            session(SessionStmt::Execute(plan_execute(&name, parameters, has_parentheses, source, schema)?))
        }
        Statement::Deallocate { name, .. } => {
            // `ALL` unquoted is the keyword; `"ALL"` names a statement.
            if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
                session(SessionStmt::Deallocate(None))
            } else {
                session(SessionStmt::Deallocate(Some(statement_name(&name)?)))
            }
        }
        _ => Err(PlanError::unsupported("this form of EXECUTE")),
    }
}

/// A prepared statement's name, folded as PostgreSQL folds it; an empty
/// quoted name is PostgreSQL's syntax error.
fn statement_name(ident: &sqlparser::ast::Ident) -> Result<String, PlanError> {
    if ident.value.is_empty() {
        return Err(PlanError::new(SYNTAX_ERROR, "zero-length delimited identifier at or near \"\"\"\""));
    }
    Ok(names::fold(ident))
}

fn plan_prepare(
    name: &sqlparser::ast::Ident,
    data_types: &[sqlparser::ast::DataType],
    statement: Statement,
    source: &SourceMap,
    schema: &dyn Schema,
) -> Result<PrepareStatement, PlanError> {
    let name = statement_name(name)?;
    if data_types.len() > PARAMS_MAX {
        return Err(PlanError::new("54023", format!("cannot pass more than {PARAMS_MAX} parameters")));
    }
    let declared = data_types
        .iter()
        .map(|t| crate::types::cast_target(t).map(without_modifiers))
        .collect::<Result<Vec<_>, _>>()?;
    if !preparable(&statement) {
        // No position: sqlparser's spans of such statements do not start at
        // their first word.
        let word = statement.to_string().split_whitespace().next().unwrap_or_default().to_string();
        return Err(PlanError::new(SYNTAX_ERROR, format!("syntax error at or near \"{word}\"")));
    }
    let used = used_parameters(&statement);
    let text = statement.to_string();
    let plan = crate::plan::plan_statement(statement, source, schema, Dialect::Postgres)?;
    let param_count = declared.len().max(used.len());
    if let Some(missing) = (declared.len()..param_count).find(|&i| !used.get(i).copied().unwrap_or(false)) {
        return Err(PlanError::new("42P18", format!("could not determine data type of parameter ${}", missing + 1)));
    }
    Ok(PrepareStatement { name, declared, param_count, statement: text, plan: Box::new(plan), source: String::new() })
}

/// Gives a planned PREPARE the query text it came in (`sql`, the whole
/// text the client sent, as PostgreSQL keeps it).
pub(crate) fn keep_source(plan: &mut Plan, sql: &str) {
    if let Plan::Session(SessionStmt::Prepare(prepare)) = plan {
        prepare.source = sql.to_string();
    }
}

/// A parameter's type keeps no modifier in PostgreSQL (only its OID):
/// `numeric(10,2)` is `numeric`, `varchar(3)` is `varchar`.
fn without_modifiers(t: PgType) -> PgType {
    match t {
        PgType::Numeric { .. } => PgType::Numeric { precision: None, scale: None },
        PgType::Varchar(_) => PgType::Varchar(None),
        PgType::Char(_) => PgType::Char(None),
        other => other,
    }
}

/// PostgreSQL's `PreparableStmt`: a query (SELECT, VALUES, TABLE, with
/// their WITH clauses), INSERT, UPDATE or DELETE.
fn preparable(statement: &Statement) -> bool {
    matches!(statement, Statement::Query(_) | Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_))
}

/// Which of `$1..$n` a statement uses, up to the highest (the planner has
/// checked each number is at most 65535).
fn used_parameters(statement: &Statement) -> Vec<bool> {
    let mut used = Vec::new();
    let _ = sqlparser::ast::visit_expressions(statement, |expr| {
        if let Some(n) = placeholder_number(expr) {
            if used.len() < n {
                used.resize(n, false);
            }
            if let Some(slot) = used.get_mut(n - 1) {
                *slot = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    used
}

/// `n` for the placeholder `$n` (1 to 65535).
fn placeholder_number(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(text) => {
                text.strip_prefix('$')?.parse::<usize>().ok().filter(|n| (1..=PARAMS_MAX).contains(n))
            }
            _ => None,
        },
        _ => None,
    }
}

fn plan_execute(
    name: &sqlparser::ast::ObjectName,
    parameters: Vec<Expr>,
    has_parentheses: bool,
    source: &SourceMap,
    schema: &dyn Schema,
) -> Result<ExecuteStatement, PlanError> {
    let ident = match name.0.as_slice() {
        [part] => part.as_ident(),
        _ => None,
    };
    let Some(ident) = ident else {
        return Err(PlanError::new(SYNTAX_ERROR, format!("syntax error at or near \"{name}\"")));
    };
    let name = statement_name(ident)?;
    if has_parentheses && parameters.is_empty() {
        // PostgreSQL's grammar wants at least one argument between them.
        return Err(PlanError::new(SYNTAX_ERROR, "syntax error at or near \")\""));
    }
    let mut param_count = 0;
    let mut arguments = Vec::with_capacity(parameters.len());
    for expr in &parameters {
        let position = source.position(expr.span().start);
        check_argument(expr).map_err(|e| e.at(position))?;
        let _ = sqlparser::ast::visit_expressions(expr, |e| {
            param_count = param_count.max(placeholder_number(e).unwrap_or(0));
            ControlFlow::<()>::Continue(())
        });
        arguments.push(ExecuteArgument { expr: expr.to_string(), ty: argument_type(expr, schema), position });
    }
    Ok(ExecuteStatement { name, arguments, param_count })
}

/// What PostgreSQL refuses in an EXECUTE argument (`transformExpr` with
/// `EXPR_KIND_EXECUTE_PARAMETER`), and sequence functions, which would
/// make the EXECUTE a write of its own.
fn check_argument(expr: &Expr) -> Result<(), PlanError> {
    struct Refusals;
    impl Visitor for Refusals {
        type Break = PlanError;
        fn pre_visit_query(&mut self, _query: &sqlparser::ast::Query) -> ControlFlow<PlanError> {
            ControlFlow::Break(PlanError::new(FEATURE_NOT_SUPPORTED, "cannot use subquery in EXECUTE parameter"))
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<PlanError> {
            // An argument has no FROM clause: no column reference resolves.
            match expr {
                Expr::Identifier(ident) if !NO_PAREN_FUNCTIONS.contains(&names::fold(ident).as_str()) => {
                    let message = format!("column \"{}\" does not exist", names::fold(ident));
                    return ControlFlow::Break(PlanError::new("42703", message));
                }
                Expr::CompoundIdentifier(parts) => {
                    let table = parts.first().map(names::fold).unwrap_or_default();
                    let message = format!("missing FROM-clause entry for table \"{table}\"");
                    return ControlFlow::Break(PlanError::new("42P01", message));
                }
                _ => {}
            }
            let Expr::Function(f) = expr else { return ControlFlow::Continue(()) };
            let name = f.name.0.last().and_then(|p| p.as_ident()).map(names::fold).unwrap_or_default();
            if f.over.is_some() {
                return ControlFlow::Break(PlanError::new(
                    "42P20",
                    "window functions are not allowed in EXECUTE parameters",
                ));
            }
            if AGGREGATES.contains(&name.as_str()) {
                return ControlFlow::Break(PlanError::new(
                    "42803",
                    "aggregate functions are not allowed in EXECUTE parameters",
                ));
            }
            if ["nextval", "setval", "currval", "lastval"].contains(&name.as_str()) {
                return ControlFlow::Break(
                    PlanError::unsupported("a sequence function in an EXECUTE parameter")
                        .with_hint("draw the value in a statement of its own"),
                );
            }
            ControlFlow::Continue(())
        }
    }
    match expr.visit(&mut Refusals) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Words PostgreSQL reads as functions without parentheses, which
/// sqlparser may give as identifiers.
const NO_PAREN_FUNCTIONS: &[&str] = &[
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "localtime",
    "localtimestamp",
    "session_user",
    "user",
];

/// The aggregate functions rowchain knows, which no EXECUTE argument may call.
const AGGREGATES: &[&str] = &[
    "avg",
    "bit_and",
    "bit_or",
    "bool_and",
    "bool_or",
    "count",
    "every",
    "json_agg",
    "json_object_agg",
    "jsonb_agg",
    "jsonb_object_agg",
    "max",
    "min",
    "string_agg",
    "array_agg",
    "sum",
];

/// How PostgreSQL would type an argument: an unknown literal, else the
/// type sqlmap's result typing gives the expression, if any.
fn argument_type(expr: &Expr, schema: &dyn Schema) -> ArgumentType {
    if let Expr::Value(v) = expr {
        if matches!(
            v.value,
            Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_) | Value::DollarQuotedString(_) | Value::Null
        ) {
            return ArgumentType::Unknown;
        }
    }
    match crate::params::result_hints_in(&format!("SELECT {expr}"), schema).first() {
        Some(Some(ty)) => ArgumentType::Typed(*ty),
        _ => ArgumentType::Unresolved,
    }
}

/// Whether PostgreSQL assigns a value of type `from` to a parameter of
/// type `to` (`find_coercion_pathway` in the assignment context): the
/// numeric types among themselves, anything to a string type (by its
/// output text), dates and times as `pg_cast` allows, json and jsonb
/// either way, and a type to itself.
pub fn assignable(from: PgType, to: PgType) -> bool {
    use PgType::*;
    let numeric = |t: PgType| matches!(t, Int2 | Int4 | Int8 | Numeric { .. } | Float4 | Float8);
    let string = |t: PgType| matches!(t, Text | Varchar(_) | Char(_));
    let same = std::mem::discriminant(&from) == std::mem::discriminant(&to);
    same || (numeric(from) && numeric(to))
        || string(to)
        || matches!(
            (from, to),
            (Date | Timestamp | Timestamptz, Date | Timestamp | Timestamptz)
                | (Timestamp | Timestamptz, Time)
                | (Json | Jsonb, Json | Jsonb)
        )
}

/// The read that computes an EXECUTE's arguments as its parameters'
/// values, one column each, given the prepared statement's parameter
/// types (`None` when it has none): 42601 for a wrong count, 42804 for an
/// argument that cannot be assigned to its parameter. Run it with the
/// EXECUTE's own parameters (the extended protocol's `$n`).
pub fn execute_arguments(
    execute: &ExecuteStatement,
    types: &[PgType],
    schema: &dyn Schema,
) -> Result<Option<ReadPlan>, PlanError> {
    if execute.arguments.len() != types.len() {
        return Err(PlanError::new(
            SYNTAX_ERROR,
            format!("wrong number of parameters for prepared statement \"{}\"", execute.name),
        )
        .with_detail(format!("Expected {} parameters but got {}.", types.len(), execute.arguments.len())));
    }
    if types.is_empty() {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(types.len());
    for (i, (argument, to)) in execute.arguments.iter().zip(types).enumerate() {
        if let ArgumentType::Typed(from) = argument.ty {
            if !assignable(from, *to) {
                return Err(PlanError::new(
                    "42804",
                    format!(
                        "parameter ${} of type {} cannot be coerced to the expected type {}",
                        i + 1,
                        from.name(),
                        to.name()
                    ),
                )
                .with_hint("You will need to rewrite or cast the expression.")
                .at(argument.position));
            }
        }
        columns.push(format!("CAST(({}) AS {}) AS \"${}\"", argument.expr, cast_name(*to), i + 1));
    }
    let sql = format!("SELECT {}", columns.join(", "));
    let source = SourceMap::new(&sql);
    let mut statements = crate::parse::statements(&sql).map_err(|e| source.parse_error(&e))?;
    let (Some(Statement::Query(query)), true) = (statements.pop(), statements.is_empty()) else {
        return Err(PlanError::new(crate::error::INTERNAL_ERROR, "EXECUTE arguments did not plan as one read"));
    };
    crate::plan::plan_read(query, &source, schema).map(Some)
}

/// The type a cast to a parameter of type `t` names: a parameter keeps no
/// length, and `character` alone would be `character(1)`.
fn cast_name(t: PgType) -> String {
    match t {
        PgType::Char(None) => "bpchar".into(),
        other => other.name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::NoSchema;

    /// Each statement's plan in a line: what the session is handed.
    fn show(sql: &str) -> String {
        match crate::plan::plan_in(sql, &NoSchema) {
            Err(e) => format!("{}: {}", e.sqlstate, e.message),
            Ok(plans) => plans
                .iter()
                .map(|plan| match plan {
                    Plan::Session(SessionStmt::Prepare(p)) => {
                        let types: Vec<String> = p.declared.iter().map(PgType::name).collect();
                        let kind = match p.plan.as_ref() {
                            Plan::Read(_) => "read",
                            Plan::Write(_) => "write",
                            _ => "other",
                        };
                        format!(
                            "PREPARE {} ({}) params={} {kind}: {}",
                            p.name,
                            types.join(", "),
                            p.param_count,
                            p.statement
                        )
                    }
                    Plan::Session(SessionStmt::Execute(e)) => {
                        let args: Vec<String> = e.arguments.iter().map(|a| format!("{} {:?}", a.expr, a.ty)).collect();
                        format!("EXECUTE {} [{}] params={}", e.name, args.join("; "), e.param_count)
                    }
                    Plan::Session(SessionStmt::Deallocate(name)) => format!("DEALLOCATE {name:?}"),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    #[test]
    fn prepare_execute_deallocate_plan_as_postgresql_parses_them() {
        let cases: &[(&str, &str)] = &[
            ("PREPARE p AS SELECT 1", "PREPARE p () params=0 read: SELECT 1"),
            (
                "PREPARE Ins(int, TEXT) AS INSERT INTO t (id, name) VALUES ($1, $2);",
                "PREPARE ins (integer, text) params=2 write: INSERT INTO t (id, name) VALUES ($1, $2)",
            ),
            (
                "prepare \"Q r\" (numeric(10,2), varchar(3), timestamptz) as select $1, $3",
                "PREPARE Q r (numeric, character varying, timestamp with time zone) params=3 read: SELECT $1, $3",
            ),
            ("PREPARE p (bigint) AS SELECT $1, $2", "PREPARE p (bigint) params=2 read: SELECT $1, $2"),
            ("PREPARE v AS VALUES (1, 'x'), ($1, 'y')", "PREPARE v () params=1 read: VALUES (1, 'x'), ($1, 'y')"),
            (
                "PREPARE u(int) AS UPDATE t SET n = n + 1 WHERE id = $1 RETURNING *",
                "PREPARE u (integer) params=1 write: UPDATE t SET n = n + 1 WHERE id = $1 RETURNING *",
            ),
            ("PREPARE d AS DELETE FROM t WHERE id > $1", "PREPARE d () params=1 write: DELETE FROM t WHERE id > $1"),
            (
                "PREPARE w AS WITH x AS (SELECT 1 AS a) SELECT a FROM x",
                "PREPARE w () params=0 read: WITH x AS (SELECT 1 AS a) SELECT a FROM x",
            ),
            ("PREPARE n AS SELECT nextval('s')", "PREPARE n () params=0 write: SELECT nextval('s')"),
            ("EXECUTE p", "EXECUTE p [] params=0"),
            (
                "EXECUTE P(1, 'x', 2.5, true, '3'::text, now(), NULL, 1 + 2, $2)",
                "EXECUTE p [1 Typed(Int4); 'x' Unknown; 2.5 Typed(Numeric { precision: None, scale: None }); \
                 true Typed(Bool); '3'::TEXT Typed(Text); now() Typed(Timestamptz); NULL Unknown; \
                 1 + 2 Typed(Int4); $2 Unresolved] params=2",
            ),
            ("EXECUTE \"Q r\"(2147483648)", "EXECUTE Q r [2147483648 Typed(Int8)] params=0"),
            ("DEALLOCATE p", "DEALLOCATE Some(\"p\")"),
            ("DEALLOCATE PREPARE \"P\"", "DEALLOCATE Some(\"P\")"),
            ("DEALLOCATE ALL", "DEALLOCATE None"),
            ("deallocate prepare all", "DEALLOCATE None"),
            ("DEALLOCATE \"ALL\"", "DEALLOCATE Some(\"ALL\")"),
            (
                "PREPARE a AS SELECT 1; EXECUTE a; DEALLOCATE a",
                "PREPARE a () params=0 read: SELECT 1\nEXECUTE a [] params=0\nDEALLOCATE Some(\"a\")",
            ),
            // Refusals, with PostgreSQL's SQLSTATEs and messages.
            ("PREPARE s AS SELECT $2", "42P18: could not determine data type of parameter $1"),
            ("PREPARE s (int) AS SELECT $1, $3", "42P18: could not determine data type of parameter $2"),
            ("PREPARE s AS CREATE TABLE x (a int)", "42601: syntax error at or near \"CREATE\""),
            ("PREPARE s AS BEGIN", "42601: syntax error at or near \"BEGIN\""),
            ("PREPARE s AS PREPARE t AS SELECT 1", "42601: syntax error at or near \"PREPARE\""),
            ("PREPARE s AS SELECT $0", "42P02: there is no parameter $0"),
            ("PREPARE \"\" AS SELECT 1", "42601: zero-length delimited identifier at or near \"\"\"\""),
            ("PREPARE s (point) AS SELECT 1", "0A000: type \"point\" is not supported"),
            ("PREPARE s (int[][]) AS SELECT 1", "0A000: multidimensional arrays are not supported"),
            ("EXECUTE t1()", "42601: syntax error at or near \")\""),
            ("EXECUTE p((SELECT 1))", "0A000: cannot use subquery in EXECUTE parameter"),
            ("EXECUTE p(1 + (SELECT max(a) FROM t))", "0A000: cannot use subquery in EXECUTE parameter"),
            ("EXECUTE p(count(*))", "42803: aggregate functions are not allowed in EXECUTE parameters"),
            ("EXECUTE p(row_number() OVER ())", "42P20: window functions are not allowed in EXECUTE parameters"),
            ("EXECUTE p(nextval('s'))", "0A000: a sequence function in an EXECUTE parameter is not supported"),
            ("EXECUTE a.b(1)", "42601: syntax error at or near \"a.b\""),
            ("EXECUTE p(1, A)", "42703: column \"a\" does not exist"),
            ("EXECUTE p(t.a + 1)", "42P01: missing FROM-clause entry for table \"t\""),
            (
                "EXECUTE p(current_user, CURRENT_DATE)",
                "EXECUTE p [current_user Typed(Text); CURRENT_DATE Unresolved] params=0",
            ),
        ];
        for (sql, expected) in cases {
            assert_eq!(show(sql), *expected, "{sql}");
        }
    }

    #[test]
    fn errors_point_at_the_argument_or_statement() {
        let e = crate::plan::plan_in("EXECUTE p(1, count(*))", &NoSchema).unwrap_err();
        assert_eq!(e.position, Some(14));
        // Positions count characters, not bytes.
        let e = crate::plan::plan_in("-- é\nEXECUTE p('é', count(*))", &NoSchema).unwrap_err();
        assert_eq!((e.sqlstate, e.position), ("42803", Some(21)));
        let e = crate::plan::plan_in("PREPARE s AS SELECT $1 + $0", &NoSchema).unwrap_err();
        assert_eq!(e.sqlstate, "42P02");
    }

    fn execute(sql: &str) -> ExecuteStatement {
        match crate::plan::plan_in(sql, &NoSchema).unwrap().pop() {
            Some(Plan::Session(SessionStmt::Execute(e))) => e,
            other => panic!("not an EXECUTE: {other:?}"),
        }
    }

    #[test]
    fn arguments_are_assigned_to_the_parameter_types() {
        use PgType::*;
        let int_text = [Int4, Text];
        let cases: &[(&str, &[PgType], Result<&str, &str>)] = &[
            ("EXECUTE p(1, 'a')", &int_text, Ok("SELECT rc_int((1), 32) AS \"$1\", CAST(('a') AS TEXT) AS \"$2\"")),
            ("EXECUTE p('7', now())", &int_text, Ok("SELECT ")),
            ("EXECUTE p(3.7, 5)", &int_text, Ok("SELECT ")),
            ("EXECUTE p(NULL, NULL)", &int_text, Ok("SELECT ")),
            ("EXECUTE p($3, 'x')", &int_text, Ok("SELECT ")),
            ("EXECUTE p(1)", &int_text, Err("42601: wrong number of parameters for prepared statement \"p\"")),
            ("EXECUTE p(1, 2, 3)", &int_text, Err("42601: wrong number of parameters for prepared statement \"p\"")),
            (
                "EXECUTE p('3'::text, 'b')",
                &int_text,
                Err("42804: parameter $1 of type text cannot be coerced to the expected type integer"),
            ),
            (
                "EXECUTE p(true, 'b')",
                &int_text,
                Err("42804: parameter $1 of type boolean cannot be coerced to the expected type integer"),
            ),
            (
                "EXECUTE p(1, 2)",
                &[Int8, Bool],
                Err("42804: parameter $2 of type integer cannot be coerced to the expected type boolean"),
            ),
            ("EXECUTE p(DATE '2024-01-02', now())", &[Timestamp, Date], Ok("SELECT ")),
            (
                "EXECUTE p(now())",
                &[Jsonb],
                Err(
                    "42804: parameter $1 of type timestamp with time zone cannot be coerced to the expected type jsonb",
                ),
            ),
        ];
        for (sql, types, expected) in cases {
            let planned = execute_arguments(&execute(sql), types, &NoSchema);
            match (planned, expected) {
                (Ok(Some(read)), Ok(start)) => assert!(read.sqlite.starts_with(start), "{sql}: {}", read.sqlite),
                (Err(e), Err(message)) => assert_eq!(format!("{}: {}", e.sqlstate, e.message), *message, "{sql}"),
                (other, _) => panic!("{sql}: {other:?}"),
            }
        }
        let e = execute_arguments(&execute("EXECUTE p(1)"), &int_text, &NoSchema).unwrap_err();
        assert_eq!(e.detail.as_deref(), Some("Expected 2 parameters but got 1."));
        let e = execute_arguments(&execute("EXECUTE p(1, 'é', true)"), &[Int4, Text, Int4], &NoSchema).unwrap_err();
        assert_eq!(e.position, Some(19));
        let read = execute_arguments(&execute("EXECUTE p($2, $1)"), &int_text, &NoSchema).unwrap();
        assert_eq!(read.map(|r| r.param_count), Some(2));
        assert_eq!(execute_arguments(&execute("EXECUTE p"), &[], &NoSchema), Ok(None));
        assert_eq!(execute_arguments(&execute("EXECUTE p"), &[Int4], &NoSchema).unwrap_err().sqlstate, "42601");
    }

    #[test]
    fn assignment_casts_follow_pg_cast() {
        use PgType::*;
        let numeric = Numeric { precision: None, scale: None };
        for (from, to) in [
            (Int8, Int2),
            (Float8, Int4),
            (numeric, Int8),
            (Int4, numeric),
            (Bool, Text),
            (Jsonb, Varchar(Some(3))),
            (Timestamptz, Date),
            (Timestamp, Time),
            (Json, Jsonb),
            (Uuid, Uuid),
        ] {
            assert!(assignable(from, to), "{from:?} -> {to:?}");
        }
        for (from, to) in
            [(Text, Int4), (Bool, Int4), (Int4, Bool), (Date, Time), (Text, Jsonb), (Bytea, Uuid), (Time, Timestamp)]
        {
            assert!(!assignable(from, to), "{from:?} -> {to:?}");
        }
    }

    /// MySQL's PREPARE, EXECUTE and DEALLOCATE are other statements.
    #[test]
    fn mysql_plans_none_of_them() {
        for sql in ["PREPARE s FROM 'SELECT 1'", "EXECUTE s", "DEALLOCATE PREPARE s"] {
            let plans = crate::plan::plan_dialect(sql, &NoSchema, Dialect::MySql);
            let prepared = plans.as_ref().is_ok_and(|plans| {
                plans.iter().any(|p| {
                    matches!(
                        p,
                        Plan::Session(SessionStmt::Prepare(_) | SessionStmt::Execute(_) | SessionStmt::Deallocate(_))
                    )
                })
            });
            assert!(!prepared, "{sql}: {plans:?}");
        }
    }
}
