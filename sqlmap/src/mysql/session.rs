//! MySQL statements the front end answers or carries out itself: `SHOW
//! ...`, `USE`, `SET NAMES`, `SET var = ..`, `SELECT @@var`, and the user
//! statements (`CREATE USER`, `ALTER USER .. IDENTIFIED BY`, `DROP USER`),
//! which become the PostgreSQL path's [`RoleStmt`]s.
//!
//! sqlparser parses only some SHOW forms and none of MySQL's `'user'@'host'`
//! user statements, so these are read from the tokens, before parsing.

use sqlparser::ast::{
    ContextModifier, Expr, ObjectName, ObjectNamePart, Query, SelectItem, Set, SetExpr, Statement, Use,
};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::admin::RoleStmt;
use crate::error::{PlanError, SYNTAX_ERROR};
use crate::plan::Plan;

use super::database_name;

/// A MySQL statement the front end answers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MySqlStmt {
    /// `SHOW DATABASES` / `SHOW SCHEMAS`.
    ShowDatabases {
        filter: Option<ShowFilter>,
    },
    /// `SHOW [FULL] TABLES [FROM db]`: `schema` is the schema the
    /// database is (`public` for the session's own).
    ShowTables {
        full: bool,
        filter: Option<ShowFilter>,
        schema: String,
    },
    /// `SHOW [FULL] COLUMNS|FIELDS FROM t`.
    ShowColumns {
        table: String,
        full: bool,
        filter: Option<ShowFilter>,
    },
    /// `SHOW INDEX|INDEXES|KEYS FROM t`.
    ShowIndex {
        table: String,
        filter: Option<ShowFilter>,
    },
    ShowCreateTable {
        table: String,
    },
    /// `SHOW CREATE VIEW [db.]v`.
    ShowCreateView {
        view: String,
    },
    /// `SHOW [GLOBAL|SESSION] VARIABLES`.
    ShowVariables {
        scope: VariableScope,
        filter: Option<ShowFilter>,
    },
    /// `SHOW [GLOBAL|SESSION] STATUS`.
    ShowStatus {
        scope: VariableScope,
        filter: Option<ShowFilter>,
    },
    ShowWarnings,
    ShowErrors,
    /// `SHOW GRANTS [FOR user]`; the host part is dropped.
    ShowGrants {
        user: Option<String>,
    },
    ShowEngines,
    ShowCollation {
        filter: Option<ShowFilter>,
    },
    /// `SHOW CHARACTER SET` / `SHOW CHARSET`.
    ShowCharset {
        filter: Option<ShowFilter>,
    },
    /// `SHOW TABLE STATUS [FROM rowchain]`.
    ShowTableStatus {
        filter: Option<ShowFilter>,
    },
    /// `SET NAMES charset [COLLATE collation]`.
    SetNames {
        charset: String,
        collation: Option<String>,
    },
    /// `SET name = value, ...`: system variables (`autocommit`,
    /// `sql_mode`, `@@session.x`).
    Set(Vec<(SystemVariable, SetValue)>),
    /// `SELECT @@var [AS label], VERSION(), ... [LIMIT n]`: (variable,
    /// column label).
    SelectVariables(Vec<(SystemVariable, String)>),
    /// `USE db`: the one database, `rowchain`.
    Use {
        database: String,
    },
}

/// A SET value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetValue {
    /// A literal or a bare word: its text, strings unquoted.
    Text(String),
    /// An expression (`CONCAT(@@sql_mode, ',X')`), as MySQL text, for the
    /// front end to evaluate as `SELECT expr`.
    Expr(String),
}

/// The filter of a SHOW statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowFilter {
    /// `LIKE 'pattern'`.
    Like(String),
    /// `WHERE expr`, as MySQL text, for the front end to evaluate.
    Where(String),
}

/// `GLOBAL` or `SESSION` (MySQL's default, also `LOCAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VariableScope {
    #[default]
    Session,
    Global,
}

/// A system variable, its name in lower case without `@@` or scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemVariable {
    pub scope: VariableScope,
    pub name: String,
}

/// The significant tokens of one statement and a cursor over them.
struct Cursor<'a> {
    tokens: Vec<&'a Token>,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(tokens: &'a [TokenWithSpan]) -> Self {
        let tokens = tokens.iter().map(|t| &t.token).filter(|t| !matches!(t, Token::Whitespace(_))).collect();
        Cursor { tokens, at: 0 }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.at).copied()
    }

    /// Takes the next token if it is the unquoted word `word`.
    fn word(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word));
        if found {
            self.at += 1;
        }
        found
    }

    fn token(&mut self, token: &Token) -> bool {
        let found = self.peek() == Some(token);
        if found {
            self.at += 1;
        }
        found
    }

    fn done(&self) -> bool {
        self.at >= self.tokens.len()
    }

    /// A name: a word (folded to lower case unless `keep_case`) or a string.
    fn name(&mut self, keep_case: bool) -> Result<String, PlanError> {
        let name = match self.peek() {
            Some(Token::Word(w)) if keep_case => w.value.clone(),
            Some(Token::Word(w)) => w.value.to_lowercase(),
            Some(Token::SingleQuotedString(s) | Token::DoubleQuotedString(s)) => s.clone(),
            _ => return Err(self.unexpected()),
        };
        self.at += 1;
        Ok(name)
    }

    /// The rest of the statement as text.
    fn rest(&mut self) -> String {
        let text: Vec<String> = self.tokens.get(self.at..).unwrap_or_default().iter().map(|t| t.to_string()).collect();
        self.at = self.tokens.len();
        text.join(" ")
    }

    fn unexpected(&self) -> PlanError {
        let found = self.peek().map_or("end of statement".to_string(), |t| format!("\"{t}\""));
        PlanError::new(SYNTAX_ERROR, format!("syntax error at or near {found}"))
    }

    fn end(&self) -> Result<(), PlanError> {
        if self.done() {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
}

/// Classifies the statements read from tokens; `None` for the others.
pub(crate) fn from_tokens(tokens: &[TokenWithSpan]) -> Result<Option<Plan>, PlanError> {
    let mut cursor = Cursor::new(tokens);
    if cursor.word("SHOW") {
        return show(&mut cursor).map(|statement| Some(Plan::MySql(statement)));
    }
    if cursor.word("SET") {
        return set_transaction(&mut cursor);
    }
    // `DESCRIBE t [col]` / `DESC t` / `EXPLAIN t`: SHOW COLUMNS (EXPLAIN of a
    // statement is not this form: it is left to the parser).
    if cursor.word("DESCRIBE") || cursor.word("DESC") || cursor.word("EXPLAIN") {
        let describes_table = matches!(cursor.peek(), Some(Token::Word(w)) if w.quote_style.is_some()
            || !["SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "FORMAT", "ANALYZE", "EXTENDED", "PARTITIONS"]
                .iter()
                .any(|k| w.value.eq_ignore_ascii_case(k)));
        if !describes_table {
            return Ok(None);
        }
        let table = table_name(&mut cursor)?;
        let filter = if cursor.done() { None } else { Some(ShowFilter::Like(cursor.name(false)?)) };
        cursor.end()?;
        return Ok(Some(Plan::MySql(MySqlStmt::ShowColumns { table, full: false, filter })));
    }
    if let Some(plan) = table_comment(tokens)? {
        return Ok(Some(plan));
    }
    let verb = ["CREATE", "ALTER", "DROP"].into_iter().find(|verb| cursor.word(verb));
    let Some(verb) = verb.filter(|_| cursor.word("USER")) else {
        return Ok(None);
    };
    let role = match verb {
        "CREATE" => create_user(&mut cursor)?,
        "ALTER" => alter_user(&mut cursor)?,
        _ => drop_user(&mut cursor)?,
    };
    cursor.end()?;
    Ok(Some(Plan::Role(role)))
}

/// `ALTER TABLE t COMMENT [=] 'text'` (which sqlparser does not read): the
/// table's comment, as `COMMENT ON TABLE`; an empty text removes it.
/// `None` for every other statement.
fn table_comment(tokens: &[TokenWithSpan]) -> Result<Option<Plan>, PlanError> {
    let mut cursor = Cursor::new(tokens);
    if !(cursor.word("ALTER") && cursor.word("TABLE")) {
        return Ok(None);
    }
    let Ok(table) = table_name(&mut cursor) else { return Ok(None) };
    if !cursor.word("COMMENT") {
        return Ok(None);
    }
    cursor.token(&Token::Eq);
    let text = match cursor.peek() {
        Some(Token::SingleQuotedString(s) | Token::DoubleQuotedString(s)) => s.clone(),
        _ => return Err(cursor.unexpected()),
    };
    cursor.at += 1;
    cursor.end()?;
    crate::names::check_reserved(&table)?;
    Ok(Some(Plan::Ddl(crate::ddl::DdlPlan::Comment { on: crate::comment::CommentOn::Table(table), text: Some(text) })))
}

/// `SET [SESSION | GLOBAL] TRANSACTION ISOLATION LEVEL .. | READ ONLY |
/// READ WRITE [, ..]`: the session's `transaction_isolation` and
/// `transaction_read_only` (MySQL's form without SESSION, for the next
/// transaction only, is taken as SESSION). Other SETs are the parser's.
fn set_transaction(cursor: &mut Cursor) -> Result<Option<Plan>, PlanError> {
    let scope = if cursor.word("GLOBAL") {
        VariableScope::Global
    } else {
        let _ = cursor.word("SESSION") || cursor.word("LOCAL");
        VariableScope::Session
    };
    if !cursor.word("TRANSACTION") {
        return Ok(None);
    }
    let mut settings = Vec::new();
    loop {
        let (name, value) = if cursor.word("ISOLATION") {
            if !cursor.word("LEVEL") {
                return Err(cursor.unexpected());
            }
            let level = if cursor.word("SERIALIZABLE") {
                "SERIALIZABLE"
            } else if cursor.word("REPEATABLE") && cursor.word("READ") {
                "REPEATABLE-READ"
            } else if cursor.word("READ") && cursor.word("COMMITTED") {
                "READ-COMMITTED"
            } else if cursor.word("UNCOMMITTED") {
                // `READ` was taken by the arm above.
                "READ-UNCOMMITTED"
            } else {
                return Err(cursor.unexpected());
            };
            ("transaction_isolation", level)
        } else if cursor.word("READ") {
            if cursor.word("ONLY") {
                ("transaction_read_only", "ON")
            } else if cursor.word("WRITE") {
                ("transaction_read_only", "OFF")
            } else {
                return Err(cursor.unexpected());
            }
        } else {
            return Err(cursor.unexpected());
        };
        settings.push((SystemVariable { scope, name: name.into() }, SetValue::Text(value.to_string())));
        if !cursor.token(&Token::Comma) {
            break;
        }
    }
    cursor.end()?;
    Ok(Some(Plan::MySql(MySqlStmt::Set(settings))))
}

fn show(cursor: &mut Cursor) -> Result<MySqlStmt, PlanError> {
    let full = cursor.word("FULL");
    let scope = if cursor.word("GLOBAL") {
        VariableScope::Global
    } else {
        // LOCAL and SESSION are the default.
        let _ = cursor.word("SESSION") || cursor.word("LOCAL");
        VariableScope::Session
    };
    let statement = if cursor.word("DATABASES") || cursor.word("SCHEMAS") {
        MySqlStmt::ShowDatabases { filter: filter(cursor)? }
    } else if cursor.word("TABLES") {
        let schema = from_database(cursor)?.unwrap_or_else(|| "public".into());
        MySqlStmt::ShowTables { full, filter: filter(cursor)?, schema }
    } else if cursor.word("COLUMNS") || cursor.word("FIELDS") {
        let table = from_table(cursor)?;
        MySqlStmt::ShowColumns { table, full, filter: filter(cursor)? }
    } else if cursor.word("INDEX") || cursor.word("INDEXES") || cursor.word("KEYS") {
        let table = from_table(cursor)?;
        MySqlStmt::ShowIndex { table, filter: filter(cursor)? }
    } else if cursor.word("CREATE") {
        if cursor.word("VIEW") {
            MySqlStmt::ShowCreateView { view: table_name(cursor)? }
        } else if cursor.word("TABLE") {
            MySqlStmt::ShowCreateTable { table: table_name(cursor)? }
        } else {
            return Err(PlanError::unsupported(format!("SHOW CREATE {}", cursor.rest())));
        }
    } else if cursor.word("VARIABLES") {
        MySqlStmt::ShowVariables { scope, filter: filter(cursor)? }
    } else if cursor.word("STATUS") {
        MySqlStmt::ShowStatus { scope, filter: filter(cursor)? }
    } else {
        show_other(cursor)?
    };
    cursor.end()?;
    Ok(statement)
}

fn show_other(cursor: &mut Cursor) -> Result<MySqlStmt, PlanError> {
    Ok(if cursor.word("WARNINGS") {
        MySqlStmt::ShowWarnings
    } else if cursor.word("ERRORS") {
        MySqlStmt::ShowErrors
    } else if cursor.word("GRANTS") {
        let user = if cursor.word("FOR") { Some(user(cursor)?) } else { None };
        MySqlStmt::ShowGrants { user }
    } else if cursor.word("ENGINES") || (cursor.word("STORAGE") && cursor.word("ENGINES")) {
        MySqlStmt::ShowEngines
    } else if cursor.word("COLLATION") {
        MySqlStmt::ShowCollation { filter: filter(cursor)? }
    } else if cursor.word("CHARSET") || (cursor.word("CHARACTER") && cursor.word("SET")) {
        MySqlStmt::ShowCharset { filter: filter(cursor)? }
    } else if cursor.word("TABLE") && cursor.word("STATUS") {
        let _ = from_database(cursor)?;
        MySqlStmt::ShowTableStatus { filter: filter(cursor)? }
    } else {
        return Err(PlanError::unsupported(format!("SHOW {}", cursor.rest()).trim_end().to_string()));
    })
}

/// `[LIKE 'pattern' | WHERE expr]`.
fn filter(cursor: &mut Cursor) -> Result<Option<ShowFilter>, PlanError> {
    if cursor.word("LIKE") {
        return match cursor.peek() {
            Some(Token::SingleQuotedString(s) | Token::DoubleQuotedString(s)) => {
                cursor.at += 1;
                Ok(Some(ShowFilter::Like(s.clone())))
            }
            _ => Err(cursor.unexpected()),
        };
    }
    if cursor.word("WHERE") {
        let text = cursor.rest();
        return if text.is_empty() { Err(cursor.unexpected()) } else { Ok(Some(ShowFilter::Where(text))) };
    }
    Ok(None)
}

/// `[FROM | IN db]`: the schema that database is (`public` for the
/// session's own; another database is the schema of its name).
fn from_database(cursor: &mut Cursor) -> Result<Option<String>, PlanError> {
    if cursor.word("FROM") || cursor.word("IN") {
        return Ok(Some(schema_of(cursor.name(false)?)));
    }
    Ok(None)
}

fn schema_of(database: String) -> String {
    if database_name(&database).is_ok() {
        "public".into()
    } else {
        database
    }
}

/// `FROM | IN [db.]table [FROM | IN db]`: the table's SQLite name.
fn from_table(cursor: &mut Cursor) -> Result<String, PlanError> {
    if !(cursor.word("FROM") || cursor.word("IN")) {
        return Err(cursor.unexpected());
    }
    let table = table_name(cursor)?;
    Ok(match from_database(cursor)? {
        Some(schema) => crate::names::qualify(&schema, crate::names::relation_schema(&table).1),
        None => table,
    })
}

/// `[db.]table`, folded to lower case: its SQLite name.
fn table_name(cursor: &mut Cursor) -> Result<String, PlanError> {
    let first = cursor.name(false)?;
    if cursor.token(&Token::Period) {
        let table = cursor.name(false)?;
        return Ok(crate::names::qualify(&schema_of(first), &table));
    }
    Ok(first)
}

/// `'user'[@'host']`, `user@host` or `` `user`@`host` ``: the user, as
/// written (MySQL user names are case sensitive); the host is dropped.
fn user(cursor: &mut Cursor) -> Result<String, PlanError> {
    // An unquoted `user@host` is one word, `user@'host'` a word and a string.
    let unquoted = match cursor.peek() {
        Some(Token::Word(w)) if w.quote_style.is_none() => {
            w.value.split_once('@').map(|(u, h)| (u.to_string(), h.is_empty()))
        }
        _ => None,
    };
    let name = cursor.name(true)?;
    let name = match unquoted {
        Some((user, host_follows)) => {
            if host_follows {
                cursor.name(true)?;
            }
            user
        }
        None => {
            if cursor.token(&Token::AtSign) {
                cursor.name(true)?;
            }
            name
        }
    };
    if name.is_empty() {
        return Err(PlanError::unsupported("the anonymous user ''"));
    }
    Ok(name)
}

/// `IDENTIFIED [WITH plugin] BY 'password'`, if present.
fn identified(cursor: &mut Cursor) -> Result<Option<String>, PlanError> {
    if !cursor.word("IDENTIFIED") {
        return Ok(None);
    }
    if cursor.word("WITH") {
        // The plugin is the wire's business: every user signs with a key sealed under its password.
        cursor.name(true)?;
    }
    if !cursor.word("BY") {
        return Err(
            PlanError::unsupported("IDENTIFIED ... AS 'hash'").with_hint("give the password: IDENTIFIED BY '...'")
        );
    }
    match cursor.peek() {
        Some(Token::SingleQuotedString(s) | Token::DoubleQuotedString(s)) => {
            cursor.at += 1;
            Ok(Some(s.clone()))
        }
        _ => Err(PlanError::new(SYNTAX_ERROR, "the password must be a string literal")),
    }
}

fn create_user(cursor: &mut Cursor) -> Result<RoleStmt, PlanError> {
    if cursor.word("IF") {
        return Err(PlanError::unsupported("CREATE USER IF NOT EXISTS"));
    }
    let name = user(cursor)?;
    let password = identified(cursor)?;
    if cursor.token(&Token::Comma) {
        return Err(PlanError::unsupported("CREATE USER with several users"));
    }
    Ok(RoleStmt::Create { name, password, login: true, create_role: false })
}

fn alter_user(cursor: &mut Cursor) -> Result<RoleStmt, PlanError> {
    if cursor.word("IF") {
        return Err(PlanError::unsupported("ALTER USER IF EXISTS"));
    }
    let name = user(cursor)?;
    let Some(password) = identified(cursor)? else {
        return Err(PlanError::unsupported("ALTER USER without IDENTIFIED BY"));
    };
    Ok(RoleStmt::AlterPassword { name, password })
}

fn drop_user(cursor: &mut Cursor) -> Result<RoleStmt, PlanError> {
    let if_exists = cursor.word("IF");
    if if_exists && !cursor.word("EXISTS") {
        return Err(cursor.unexpected());
    }
    let mut names = vec![user(cursor)?];
    while cursor.token(&Token::Comma) {
        names.push(user(cursor)?);
    }
    Ok(RoleStmt::Drop { names, if_exists })
}

/// Classifies the parsed statements the front end answers: `SET`, `USE`
/// and `SELECT @@var`. `None` for the others.
pub(crate) fn from_statement(statement: &Statement) -> Result<Option<MySqlStmt>, PlanError> {
    match statement {
        Statement::Set(Set::SetNames { charset_name, collation_name }) => Ok(Some(MySqlStmt::SetNames {
            charset: charset_name.value.to_lowercase(),
            collation: collation_name.as_ref().map(|c| c.to_lowercase()),
        })),
        Statement::Set(Set::SetNamesDefault {}) => {
            Ok(Some(MySqlStmt::SetNames { charset: "default".into(), collation: None }))
        }
        Statement::Set(Set::SingleAssignment { scope, hivevar: false, variable, values }) => {
            let [value] = values.as_slice() else {
                return Err(PlanError::unsupported("SET with several values"));
            };
            Ok(Some(MySqlStmt::Set(vec![(system_variable(*scope, variable)?, set_value(value))])))
        }
        Statement::Set(Set::SetTimeZone { value, .. }) => {
            let variable = SystemVariable { scope: VariableScope::Session, name: "time_zone".into() };
            Ok(Some(MySqlStmt::Set(vec![(variable, set_value(value))])))
        }
        Statement::Set(Set::MultipleAssignments { assignments }) => {
            let settings = assignments
                .iter()
                .map(|a| Ok((system_variable(a.scope, &a.name)?, set_value(&a.value))))
                .collect::<Result<_, PlanError>>()?;
            Ok(Some(MySqlStmt::Set(settings)))
        }
        Statement::Use(Use::Object(name) | Use::Database(name) | Use::Schema(name)) => {
            let database = last_name(name).ok_or_else(|| PlanError::new(SYNTAX_ERROR, "USE takes a database name"))?;
            database_name(&database)?;
            Ok(Some(MySqlStmt::Use { database }))
        }
        Statement::Query(query) => select_variables(query),
        _ => Ok(None),
    }
}

fn last_name(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => Some(ident.value.to_lowercase()),
        _ => None,
    }
}

/// A SET target: `name`, `@@name`, `@@session.name`, `SESSION name`.
fn system_variable(scope: Option<ContextModifier>, name: &ObjectName) -> Result<SystemVariable, PlanError> {
    let parts: Vec<String> =
        name.0.iter().filter_map(ObjectNamePart::as_ident).map(|i| i.value.to_lowercase()).collect();
    let scope = match scope {
        Some(ContextModifier::Global) => VariableScope::Global,
        _ => VariableScope::Session,
    };
    variable(scope, &parts)
}

fn variable(scope: VariableScope, parts: &[String]) -> Result<SystemVariable, PlanError> {
    let named = |scope, name: &str| Ok(SystemVariable { scope, name: name.to_string() });
    match parts {
        [qualifier, name] if qualifier == "@@global" => named(VariableScope::Global, name),
        [qualifier, name] if qualifier == "@@session" || qualifier == "@@local" => named(VariableScope::Session, name),
        [name] if name.starts_with("@@") => named(scope, name.trim_start_matches('@')),
        [name] if name.starts_with('@') => Err(user_variables()),
        [name] => named(scope, name),
        _ => Err(PlanError::unsupported(format!("variable {}", parts.join(".")))),
    }
}

pub(crate) fn user_variables() -> PlanError {
    PlanError::unsupported("a user variable (@name)").with_hint("send values as literals or ? parameters")
}

/// A SET value: literals and words as text (strings unquoted), anything
/// else an expression.
fn set_value(expr: &Expr) -> SetValue {
    match expr {
        Expr::Value(value) => SetValue::Text(match &value.value {
            sqlparser::ast::Value::SingleQuotedString(s) | sqlparser::ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        }),
        Expr::Identifier(ident) => SetValue::Text(ident.value.clone()),
        Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Minus, expr: inner }
            if matches!(**inner, Expr::Value(_)) =>
        {
            SetValue::Text(expr.to_string())
        }
        other => SetValue::Expr(other.to_string()),
    }
}

/// A system variable read in a SELECT list, and its text as written:
/// `@@name`, `@@session.name`, or `VERSION()` (which reads `version`).
fn system_variable_read(expr: &Expr) -> Result<Option<(SystemVariable, String)>, PlanError> {
    let parts: Vec<&sqlparser::ast::Ident> = match expr {
        Expr::Identifier(ident) => vec![ident],
        Expr::CompoundIdentifier(idents) => idents.iter().collect(),
        Expr::Function(function) => {
            let no_arguments = match &function.args {
                sqlparser::ast::FunctionArguments::List(list) => list.args.is_empty() && list.clauses.is_empty(),
                _ => false,
            };
            return Ok(match function.name.0.as_slice() {
                [ObjectNamePart::Identifier(name)] if no_arguments && name.value.eq_ignore_ascii_case("version") => {
                    let variable = SystemVariable { scope: VariableScope::Session, name: "version".into() };
                    Some((variable, format!("{}()", name.value)))
                }
                _ => None,
            });
        }
        _ => return Ok(None),
    };
    if !parts.first().is_some_and(|ident| ident.quote_style.is_none() && ident.value.starts_with("@@")) {
        return Ok(None);
    }
    let written: Vec<String> = parts.iter().map(|ident| ident.value.clone()).collect();
    let folded: Vec<String> = written.iter().map(|part| part.to_lowercase()).collect();
    Ok(Some((variable(VariableScope::Session, &folded)?, written.join("."))))
}

/// `SELECT @@a [AS x], @@session.b, VERSION() [LIMIT n]`: only system
/// variables, no FROM.
fn select_variables(query: &Query) -> Result<Option<MySqlStmt>, PlanError> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Ok(None);
    };
    if !select.from.is_empty() || select.selection.is_some() || query.with.is_some() || select.projection.is_empty() {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(select.projection.len());
    for item in &select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(expr) => (expr, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            _ => return Ok(None),
        };
        let Some((variable, written)) = system_variable_read(expr)? else {
            return Ok(None);
        };
        columns.push((variable, alias.unwrap_or(written)));
    }
    Ok(Some(MySqlStmt::SelectVariables(columns)))
}
