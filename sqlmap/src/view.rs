//! `CREATE [OR REPLACE] [TEMP] VIEW`, `DROP VIEW`, and `CREATE / REFRESH /
//! DROP MATERIALIZED VIEW` as DDL plans.
//!
//! A view keeps its query as PostgreSQL text; the SQLite view is that
//! query planned as a read ([`view_sqlite`]) against the schema of the
//! role it reads as, so it carries that role's row filters. The executor
//! renders it again whenever those could have changed, which is why the
//! text, not the SQLite rendering, is what the chain stores.

use crate::ddl::DdlPlan;
use crate::determinism::{self, Clock};
use crate::error::{PlanError, SourceMap, FEATURE_NOT_SUPPORTED, SYNTAX_ERROR};
use crate::names;
use crate::plan::plan_read;
use crate::schema::Schema;
use sqlparser::ast::{self, CreateTableOptions, CreateViewSecurity, Expr, Query, SqlOption, Value as AstValue};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateView {
    pub name: String,
    pub or_replace: bool,
    /// `CREATE TEMP VIEW`: the session's own view over its temporary tables.
    pub temporary: bool,
    /// The column names given after the view's name; empty: the query's own.
    pub columns: Vec<String>,
    /// The SELECT as PostgreSQL text.
    pub query: String,
    /// `WITH (security_invoker)` / MySQL's `SQL SECURITY INVOKER`.
    pub security_invoker: bool,
    /// The relations the query names (tables, views, catalog tables).
    pub tables: Vec<String>,
    /// The view as a session's scratch database creates it (a temporary
    /// view), rendered against the planner's schema. The chain's executor
    /// renders its own from `query` (see [`view_query`]).
    pub sqlite: String,
    /// `CREATE MATERIALIZED VIEW`: a table of the query's rows as of its
    /// creation (and each `REFRESH MATERIALIZED VIEW`).
    pub materialized: bool,
    /// `IF NOT EXISTS` (materialized views only, as in PostgreSQL).
    pub if_not_exists: bool,
}

pub(crate) fn plan_create_view(
    create: ast::CreateView,
    source: &SourceMap,
    schema: &dyn Schema,
) -> Result<DdlPlan, PlanError> {
    if create.materialized && (create.or_replace || create.temporary || create.params.is_some()) {
        let what = if create.or_replace {
            "OR REPLACE"
        } else if create.temporary {
            "TEMP"
        } else {
            "ALGORITHM"
        };
        return Err(PlanError::new(SYNTAX_ERROR, format!("syntax error at or near \"{what}\"")));
    }
    if create.or_alter
        || create.secure
        || (create.if_not_exists && !create.materialized)
        || create.copy_grants
        || create.with_no_schema_binding
        || create.to.is_some()
        || !create.cluster_by.is_empty()
        || create.comment.is_some()
    {
        return Err(PlanError::unsupported("this form of CREATE VIEW"));
    }
    let mut security_invoker = match create.params.as_ref().and_then(|p| p.security.as_ref()) {
        Some(CreateViewSecurity::Invoker) => true,
        Some(CreateViewSecurity::Definer) | None => false,
    };
    // MySQL's DEFINER (every mysqldump writes one) is not honoured: the
    // signer owns the view and it reads as the signer, never with more
    // rights than that. ALGORITHM is a planner hint.
    match &create.options {
        CreateTableOptions::None => {}
        CreateTableOptions::With(options) => {
            for option in options {
                match view_option(option)? {
                    ViewOption::SecurityInvoker(on) => security_invoker = on,
                    ViewOption::SecurityBarrier => {}
                }
            }
        }
        _ => return Err(PlanError::unsupported("this form of CREATE VIEW")),
    }
    let name = names::resolve_target(&create.name)?;
    let mut columns = Vec::with_capacity(create.columns.len());
    for c in &create.columns {
        if c.data_type.is_some() || c.options.is_some() {
            return Err(PlanError::unsupported("column types or options in CREATE VIEW"));
        }
        let column = names::fold(&c.name);
        if columns.contains(&column) {
            return Err(PlanError::new("42701", format!("column \"{column}\" specified more than once")));
        }
        columns.push(column);
    }
    if create.materialized {
        deterministic(&create.query)?;
    }
    let query = create.query.to_string();
    let (body, tables) = render_body(create.query, source, schema)?;
    let sqlite = create_sqlite(&name, &columns, &body);
    if create.materialized && security_invoker {
        return Err(PlanError::new("22023", "unrecognized parameter \"security_invoker\""));
    }
    Ok(DdlPlan::CreateView(CreateView {
        name,
        or_replace: create.or_replace,
        temporary: create.temporary,
        columns,
        query,
        security_invoker,
        tables,
        sqlite,
        materialized: create.materialized,
        if_not_exists: create.if_not_exists,
    }))
}

enum ViewOption {
    SecurityInvoker(bool),
    SecurityBarrier,
}

/// A `WITH (...)` option of CREATE VIEW. `check_option` asks for writes
/// through the view, which rowchain's views do not take.
fn view_option(option: &SqlOption) -> Result<ViewOption, PlanError> {
    let (key, value) = match option {
        SqlOption::Ident(key) => (key.to_string().to_ascii_lowercase(), None),
        SqlOption::KeyValue { key, value } => (key.to_string().to_ascii_lowercase(), Some(value)),
        other => return Err(PlanError::new(SYNTAX_ERROR, format!("syntax error at or near \"{other}\""))),
    };
    match key.as_str() {
        "security_invoker" | "security_barrier" => {}
        "check_option" => {
            return Err(PlanError::new(FEATURE_NOT_SUPPORTED, "WITH CHECK OPTION is not supported")
                .with_hint("rowchain's views are read-only; write to the tables they read"));
        }
        other => return Err(PlanError::new("22023", format!("unrecognized parameter \"{other}\""))),
    }
    let on = match value {
        None => true,
        Some(Expr::Value(v)) => match &v.value {
            AstValue::Boolean(b) => *b,
            AstValue::Number(n, _) if n == "1" || n == "0" => n == "1",
            AstValue::SingleQuotedString(s) | AstValue::DoubleQuotedString(s) => crate::parse_bool(s)
                .ok_or_else(|| PlanError::new("22023", format!("invalid value for boolean option \"{key}\": {s}")))?,
            other => {
                return Err(PlanError::new("22023", format!("invalid value for boolean option \"{key}\": {other}")));
            }
        },
        Some(Expr::Identifier(i)) => crate::parse_bool(&i.value)
            .ok_or_else(|| PlanError::new("22023", format!("invalid value for boolean option \"{key}\": {i}")))?,
        Some(other) => {
            return Err(PlanError::new("22023", format!("invalid value for boolean option \"{key}\": {other}")));
        }
    };
    Ok(if key == "security_invoker" { ViewOption::SecurityInvoker(on) } else { ViewOption::SecurityBarrier })
}

/// 0A000 for a nondeterministic function in a materialized view's query:
/// every validator stores the rows it gives. (`now()` is the block's
/// time, as in any write.)
fn deterministic(query: &Query) -> Result<(), PlanError> {
    let found = ast::visit_expressions(query, |expr| {
        if let Expr::Function(function) = expr {
            let name = function.name.0.last().map(|part| part.to_string().to_lowercase()).unwrap_or_default();
            if matches!(determinism::classify(&name), Some(Clock::Random | Clock::NonDeterministic)) {
                return std::ops::ControlFlow::Break(name);
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    match found {
        std::ops::ControlFlow::Break(name) => Err(determinism::refused(&name)),
        std::ops::ControlFlow::Continue(()) => Ok(()),
    }
}

/// The view's query planned as a read: its SQLite text and the relations
/// it names. A view takes no parameters (PostgreSQL's 42P02).
fn render_body(query: Box<Query>, source: &SourceMap, schema: &dyn Schema) -> Result<(String, Vec<String>), PlanError> {
    let read = plan_read(query, source, schema)?;
    if read.param_count > 0 {
        return Err(PlanError::new("42P02", "there is no parameter $1"));
    }
    Ok((read.sqlite, read.tables))
}

fn create_sqlite(name: &str, columns: &[String], body: &str) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let list = if columns.is_empty() {
        String::new()
    } else {
        format!(" ({})", columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "))
    };
    format!("CREATE TEMP VIEW {}{list} AS {body}", quote(name))
}

/// A stored view's query (PostgreSQL text) planned as a read against
/// `schema`, whose row filters it then applies: its SQLite SELECT and the
/// relations it names.
pub fn view_query(query: &str, schema: &dyn Schema) -> Result<(String, Vec<String>), PlanError> {
    let source = SourceMap::new(query);
    let mut statements = crate::parse::statements(query).map_err(|e| source.parse_error(&e))?;
    match (statements.pop(), statements.is_empty()) {
        (Some(ast::Statement::Query(mut q)), true) => {
            crate::scalars::bit_literals(&mut q, &source)?;
            render_body(q, &source, schema)
        }
        _ => Err(PlanError::new(crate::error::INTERNAL_ERROR, "a view's stored query is not one SELECT")),
    }
}
