//! MySQL text in, the same [`Plan`]s as PostgreSQL's out: sqlparser's
//! `MySqlDialect` parses, `lower` rewrites the tree into the shapes the
//! PostgreSQL parser gives (so ownership, grants, row-level security, the
//! determinism rules and the SQLite executor are shared), and statements
//! the front end answers itself become [`MySqlStmt`]s.
//!
//! What MySQL text means here:
//! - Identifiers, backticked or not, fold to lower case: the server runs
//!   as `lower_case_table_names=1`, so a table created over MySQL is the
//!   table PostgreSQL clients name unquoted. Result columns are named as
//!   MySQL names them (see `labels`).
//! - `"double quoted"` text is a string; strings take backslash escapes
//!   (`\'`, `\n`, ...; `\%` and `\_` stay as written for LIKE, whose
//!   escape is the backslash as in MySQL). `#` and `-- ` start comments.
//! - Parameters are `?`, numbered in order of appearance.
//! - `db.t` names table `t` of the one database, `rowchain`; another
//!   database is 3D000 "Unknown database" (MySQL's 1049). `rowchain.blocks` and
//!   `rowchain.transactions` stay the system views, as on PostgreSQL.
//! - `information_schema.TABLES`, `.COLUMNS`, `.STATISTICS`, ... (any
//!   case) are the proxy's MySQL-shaped tables, `information_schema.mysql_tables`
//!   and so on; the other `information_schema` tables keep PostgreSQL's shape.
//! - MySQL column types map onto the [`PgType`](crate::PgType) the
//!   PostgreSQL path gives the closest type (see `columns`), with CHECK
//!   constraints for the ranges and value lists MySQL enforces.
//! - `FROM DUAL` is no table; index hints (`USE`/`FORCE`/`IGNORE INDEX`)
//!   are dropped, SQLite choosing its own indexes.
//! - Comparisons are binary (as a `_bin` collation): MySQL's default
//!   case-insensitive collations are not emulated.
//! - Errors keep their SQLSTATEs, except syntax errors, which are 42000
//!   as MySQL reports them (the front end adds error number 1064).

mod columns;
mod functions;
mod labels;
mod lower;
mod session;

use sqlparser::ast::Statement;
use sqlparser::tokenizer::{Token, TokenWithSpan};

pub(crate) use functions::{reads_session_insert_id, reads_session_variable};
pub use session::{MySqlStmt, SetValue, ShowFilter, SystemVariable, VariableScope};

use crate::dialect::Dialect;
use crate::error::{PlanError, SourceMap, SYNTAX_ERROR};
use crate::plan::Plan;
use crate::schema::Schema;

/// The session setting `LAST_INSERT_ID()` reads: the decimal text of the
/// last nonzero insert id of the session's writes (their receipts'
/// `last_insert_id`), set by the front end; unset reads as 0.
pub const LAST_INSERT_ID_SETTING: &str = "rowchain.last_insert_id";

/// The one database a MySQL client sees.
pub(crate) const DATABASE: &str = "rowchain";

/// The `information_schema` tables the proxy keeps in MySQL's shape
/// (proxy/frontend/src/catalog/mysql.rs), each attached as
/// `information_schema.mysql_<name>` next to PostgreSQL's tables of the
/// same names.
const INFORMATION_SCHEMA_TABLES: [&str; 12] = [
    "tables",
    "columns",
    "statistics",
    "key_column_usage",
    "table_constraints",
    "referential_constraints",
    "check_constraints",
    "views",
    "schemata",
    "engines",
    "character_sets",
    "collations",
];

/// The attached table that answers MySQL's `information_schema.<name>`
/// (any case), or `None` for a table kept in PostgreSQL's shape.
pub(crate) fn information_schema_table(name: &str) -> Option<String> {
    let name = name.to_lowercase();
    INFORMATION_SCHEMA_TABLES.contains(&name.as_str()).then(|| format!("mysql_{name}"))
}

/// MySQL's SQLSTATE for syntax errors and access errors (error 1064, 1049).
pub(crate) const MYSQL_SYNTAX_ERROR: &str = "42000";

/// Plans every statement of MySQL text `sql`, each with its own text.
pub(crate) fn plan_with_text(sql: &str, schema: &dyn Schema) -> Result<Vec<(Plan, String)>, PlanError> {
    plan_all(sql, schema).map_err(|mut error| {
        if error.sqlstate == SYNTAX_ERROR {
            error.sqlstate = MYSQL_SYNTAX_ERROR;
        }
        error
    })
}

fn plan_all(sql: &str, schema: &dyn Schema) -> Result<Vec<(Plan, String)>, PlanError> {
    let source = SourceMap::new(sql);
    let text = Text::new(sql);
    let tokens = crate::parse::tokens(sql, Dialect::MySql).map_err(|e| source.parse_error(&e))?;
    let statements = split(tokens);
    let single = statements.len() == 1;
    let mut plans = Vec::with_capacity(statements.len());
    for tokens in statements {
        let own_text = if single {
            sql.trim().trim_end_matches(';').trim_end().to_string()
        } else {
            text_of(&text, &source, &tokens)
        };
        if let Some(plan) = session::from_tokens(&tokens)? {
            plans.push((plan, own_text));
            continue;
        }
        let parsed = crate::parse::parser_over(tokens.clone(), Dialect::MySql)
            .parse_statements()
            .map_err(|e| source.parse_error(&e))?;
        for mut statement in parsed {
            labels::name_columns(&mut statement, &text, &source, &tokens);
            plans.push((plan_statement(statement, &source, schema)?, own_text.clone()));
        }
    }
    Ok(plans)
}

/// The statements of MySQL text as the planner sees them after lowering
/// (`?` numbered `$1..`, names folded); those that do not parse or lower
/// are left out. For analyses that take parsed statements (parameter hints).
pub(crate) fn lowered_statements(sql: &str) -> Vec<Statement> {
    let Ok(tokens) = crate::parse::tokens(sql, Dialect::MySql) else { return Vec::new() };
    let mut out = Vec::new();
    for tokens in split(tokens) {
        let Ok(parsed) = crate::parse::parser_over(tokens, Dialect::MySql).parse_statements() else { continue };
        for mut statement in parsed {
            if matches!(session::from_statement(&statement), Ok(None)) && lower::statement(&mut statement).is_ok() {
                out.push(statement);
            }
        }
    }
    out
}

fn plan_statement(mut statement: Statement, source: &SourceMap, schema: &dyn Schema) -> Result<Plan, PlanError> {
    if let Some(statement) = session::from_statement(&statement)? {
        return Ok(Plan::MySql(statement));
    }
    lower::statement(&mut statement)?;
    crate::plan::plan_statement(statement, source, schema, Dialect::MySql)
}

/// The tokens of each statement: split at `;`, empty statements dropped.
fn split(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut statements = vec![Vec::new()];
    for token in tokens {
        if token.token == Token::SemiColon {
            statements.push(Vec::new());
        } else if let Some(current) = statements.last_mut() {
            current.push(token);
        }
    }
    statements.retain(|tokens| tokens.iter().any(|t| !matches!(t.token, Token::Whitespace(_))));
    statements
}

/// The statement text with the byte offset of every character: token spans
/// count characters, and a text holding many statements or select items
/// must not be walked from its start once per span.
pub(crate) struct Text<'a> {
    sql: &'a str,
    /// The byte offset of each character, then the text's length.
    offsets: Vec<usize>,
}

impl<'a> Text<'a> {
    pub(crate) fn new(sql: &'a str) -> Self {
        let offsets = sql.char_indices().map(|(i, _)| i).chain(std::iter::once(sql.len())).collect();
        Text { sql, offsets }
    }

    /// Characters `from..to` (0-based), or "" when out of range.
    fn chars(&self, from: usize, to: usize) -> &'a str {
        let bytes = self.offsets.get(from).zip(self.offsets.get(to));
        bytes.and_then(|(start, end)| self.sql.get(*start..*end)).unwrap_or("")
    }
}

/// A statement's text as written: from its first significant token to the
/// end of its last.
fn text_of(text: &Text<'_>, source: &SourceMap, tokens: &[TokenWithSpan]) -> String {
    let mut significant = tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_)));
    let first = significant.next();
    match (first, significant.next_back().or(first)) {
        (Some(first), Some(last)) => span_text(text, source, first, last),
        _ => String::new(),
    }
}

/// The text from the start of `first` to the end of `last`.
pub(crate) fn span_text(text: &Text<'_>, source: &SourceMap, first: &TokenWithSpan, last: &TokenWithSpan) -> String {
    let start = source.position(first.span.start).and_then(|p| usize::try_from(p).ok());
    let end = source.position(last.span.end).and_then(|p| usize::try_from(p).ok());
    match (start, end) {
        (Some(start), Some(end)) if start <= end => text.chars(start.saturating_sub(1), end - 1).to_string(),
        _ => String::new(),
    }
}

/// Checks a database name (folded) is the one database.
pub(crate) fn database_name(name: &str) -> Result<(), PlanError> {
    if name.eq_ignore_ascii_case(DATABASE) {
        Ok(())
    } else {
        // PostgreSQL's invalid_catalog_name; the MySQL front end sends 1049.
        Err(PlanError::new("3D000", format!("Unknown database '{name}'"))
            .with_hint(format!("rowchain has one database, `{DATABASE}`")))
    }
}
