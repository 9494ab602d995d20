//! Transaction control (BEGIN, COMMIT, ROLLBACK, savepoints) and session
//! statements (SET, SHOW, RESET; cursors, planned in `cursor`; prepared
//! statements, planned in `prepare`), plus the
//! 0A000 answer for every statement rowchain does not plan.

use sqlparser::ast::{Expr, Reset, Set, Statement, TransactionAccessMode, TransactionMode, Value};

use crate::error::PlanError;
use crate::names;
use crate::plan::Plan;

/// Transaction control, handled by the proxy's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxControl {
    /// `BEGIN` / `START TRANSACTION`, any modes; `READ ONLY` or `READ
    /// WRITE` if one was given.
    Begin {
        read_only: Option<bool>,
    },
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT`.
    Rollback,
    Savepoint(String),
    Release(String),
    RollbackTo(String),
}

/// Session settings, handled by the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStmt {
    /// `SET name = value` / `SET name TO value`; `SET TIME ZONE x` is `timezone`.
    Set {
        name: String,
        value: String,
    },
    Show(String),
    /// `RESET name`; `None` is `RESET ALL`.
    Reset(Option<String>),
    /// `SET [SESSION CHARACTERISTICS AS] TRANSACTION ...`: `READ ONLY` or
    /// `READ WRITE` if one was given, for the transaction or (`session`)
    /// as the session's default; isolation levels are accepted, as every
    /// transaction block is serializable.
    SetTransaction {
        read_only: Option<bool>,
        session: bool,
    },
    /// `SET CONSTRAINTS { ALL | name, ... } { IMMEDIATE | DEFERRED }`.
    /// rowchain checks every constraint, foreign keys included, when the
    /// statement that could break it runs: nothing is ever deferred, and a
    /// `DEFERRABLE` clause in a table's definition is accepted and ignored.
    /// So IMMEDIATE is what always happens, and DEFERRED is accepted and
    /// changes nothing (a dangling foreign key still fails at its own
    /// statement, not at COMMIT). `constraints` are the names given (folded,
    /// `schema.name` when qualified), `None` for ALL; they are not looked
    /// up, where PostgreSQL refuses an unknown one (42704) or one that is not
    /// deferrable (42809).
    SetConstraints {
        deferred: bool,
        constraints: Option<Vec<String>>,
    },
    /// `VACUUM` / `ANALYZE`: accepted, no effect (SQLite keeps its own statistics).
    Maintenance,
    /// `DECLARE name CURSOR FOR query`: the session runs the read and keeps its rows.
    DeclareCursor(crate::cursor::DeclareCursor),
    /// `FETCH` or `MOVE` on a cursor of the session.
    Fetch(crate::cursor::FetchCursor),
    /// `CLOSE name`; `None` is `CLOSE ALL`.
    CloseCursor(Option<String>),
    /// `PREPARE name [(type, ...)] AS statement`: the session keeps it.
    Prepare(crate::prepare::PrepareStatement),
    /// `EXECUTE name [(argument, ...)]` of a statement the session prepared.
    Execute(crate::prepare::ExecuteStatement),
    /// `DEALLOCATE [PREPARE] name`; `None` is `DEALLOCATE ALL`.
    Deallocate(Option<String>),
}

pub(crate) fn plan_control(statement: Statement) -> Result<Plan, PlanError> {
    let tx = |control| Ok(Plan::Transaction(control));
    let session = |statement| Ok(Plan::Session(statement));
    match statement {
        Statement::StartTransaction { modes, .. } => tx(TxControl::Begin { read_only: read_only(&modes) }),
        Statement::Commit { chain: false, .. } => tx(TxControl::Commit),
        Statement::Rollback { chain: false, savepoint: None } => tx(TxControl::Rollback),
        Statement::Rollback { chain: false, savepoint: Some(name) } => tx(TxControl::RollbackTo(names::fold(&name))),
        Statement::Savepoint { name } => tx(TxControl::Savepoint(names::fold(&name))),
        Statement::ReleaseSavepoint { name } => tx(TxControl::Release(names::fold(&name))),
        Statement::Set(set) => plan_set(set).map(Plan::Session),
        Statement::ShowVariable { variable } => session(SessionStmt::Show(show_name(&variable))),
        Statement::Reset(reset) => match reset.reset {
            Reset::ALL => session(SessionStmt::Reset(None)),
            Reset::ConfigurationParameter(name) => {
                let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident()).map(names::fold).collect();
                session(SessionStmt::Reset(Some(parts.join("."))))
            }
            _ => Err(PlanError::unsupported("this form of RESET")),
        },
        other => Err(PlanError::unsupported(statement_label(&other))),
    }
}

/// The access mode among transaction modes: `Some(true)` for READ ONLY.
fn read_only(modes: &[TransactionMode]) -> Option<bool> {
    modes.iter().rev().find_map(|m| match m {
        TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => Some(true),
        TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => Some(false),
        _ => None,
    })
}

fn plan_set(set: Set) -> Result<SessionStmt, PlanError> {
    match set {
        Set::SingleAssignment { variable, values, .. } if is_set_constraints(&variable) => set_constraints(&values),
        Set::SingleAssignment { variable, values, .. } => {
            let parts: Vec<String> = variable.0.iter().filter_map(|p| p.as_ident()).map(names::fold).collect();
            let values: Vec<String> = values.iter().map(set_value).collect();
            Ok(SessionStmt::Set { name: parts.join("."), value: values.join(", ") })
        }
        Set::SetTimeZone { value, .. } => Ok(SessionStmt::Set { name: "timezone".into(), value: set_value(&value) }),
        Set::SetNames { charset_name, .. } => {
            Ok(SessionStmt::Set { name: "client_encoding".into(), value: charset_name.value })
        }
        Set::SetTransaction { modes, session, .. } => {
            Ok(SessionStmt::SetTransaction { read_only: read_only(&modes), session })
        }
        _ => Err(PlanError::unsupported("this form of SET")),
    }
}

/// Whether a SET names the setting `parse` rewrites `SET CONSTRAINTS` to
/// (`parse::SET_CONSTRAINTS_SETTING`).
fn is_set_constraints(variable: &sqlparser::ast::ObjectName) -> bool {
    match variable.0.as_slice() {
        [part] => part.as_ident().is_some_and(|i| i.value == crate::parse::SET_CONSTRAINTS_SETTING),
        _ => false,
    }
}

/// The SET CONSTRAINTS that `parse` wrote as `SET "<setting>" TO 'mode'
/// [, 'name' ...]`.
fn set_constraints(values: &[Expr]) -> Result<SessionStmt, PlanError> {
    let values: Vec<String> = values.iter().map(set_value).collect();
    let Some((mode, names)) = values.split_first() else {
        return Err(PlanError::unsupported("this form of SET CONSTRAINTS"));
    };
    let deferred = mode == "deferred";
    Ok(SessionStmt::SetConstraints { deferred, constraints: (!names.is_empty()).then(|| names.to_vec()) })
}

/// A SET value as PostgreSQL stores it: strings unquoted, names folded.
fn set_value(expr: &Expr) -> String {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => s.clone(),
            Value::DollarQuotedString(s) => s.value.clone(),
            Value::Boolean(b) => if *b { "on" } else { "off" }.to_string(),
            other => other.to_string(),
        },
        Expr::Identifier(ident) => names::fold(ident),
        other => other.to_string(),
    }
}

/// PostgreSQL's names for the multi-word SHOW forms.
fn show_name(variable: &[sqlparser::ast::Ident]) -> String {
    let words: Vec<String> = variable.iter().map(names::fold).collect();
    match words.join(" ").as_str() {
        "time zone" => "timezone".into(),
        "transaction isolation level" => "transaction_isolation".into(),
        "session authorization" => "session_authorization".into(),
        joined => joined.replace(' ', "_"),
    }
}

/// A short name for an unsupported statement, e.g. `CREATE VIEW`, taken
/// from the leading keywords of its canonical text.
pub(crate) fn statement_label(statement: &Statement) -> String {
    const QUALIFIERS: &[&str] = &[
        "OR",
        "REPLACE",
        "TEMPORARY",
        "TEMP",
        "MATERIALIZED",
        "VIEW",
        "TRIGGER",
        "FUNCTION",
        "PROCEDURE",
        "SCHEMA",
        "DATABASE",
        "SEQUENCE",
        "TYPE",
        "DOMAIN",
        "EXTENSION",
        "ROLE",
        "USER",
        "POLICY",
        "TABLE",
        "INDEX",
        "VIRTUAL",
        "UNIQUE",
        "RULE",
        "AGGREGATE",
        "SERVER",
    ];
    let text = statement.to_string();
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("statement").to_uppercase();
    let mut label = vec![first.clone()];
    if matches!(first.as_str(), "CREATE" | "ALTER" | "DROP") {
        label.extend(words.take_while(|word| QUALIFIERS.contains(word)).take(3).map(str::to_string));
    }
    label.join(" ")
}
