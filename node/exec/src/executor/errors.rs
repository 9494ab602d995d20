//! SQLite errors as the SQLSTATEs a PostgreSQL client expects, and the receipt
//! of a tx that panicked.

use super::*;

/// The receipt message of a tx whose execution panicked. Part of the
/// receipts root, so it is a consensus rule: it never carries the panic's own
/// text (which could differ between builds).
pub const TX_PANICKED: &str = "internal error: executing this transaction hit a bug in rowchain; it was rolled back";

/// Maps an SQLite error to the SQLSTATE PostgreSQL would report.
pub fn sql_error(e: &rusqlite::Error) -> SqlError {
    use rusqlite::ffi::{self as f};
    let msg = e.to_string();
    let code = match e {
        rusqlite::Error::SqliteFailure(fe, _) => fe.extended_code,
        _ => 0,
    };
    // A row a write policy refused (the policy triggers of node_core::acl).
    if code == f::SQLITE_CONSTRAINT_TRIGGER {
        if let Some(e) = acl::policy_violation(&msg) {
            return e;
        }
    }
    // A PostgreSQL input function (crate::pgfns) failed with its own SQLSTATE.
    if let Some(at) = msg.find(crate::pgfns::SQLSTATE_PREFIX) {
        let rest = msg.get(at + crate::pgfns::SQLSTATE_PREFIX.len()..).unwrap_or_default();
        for &state in crate::pgfns::SQLSTATES {
            if let Some(message) = rest.strip_prefix(state).and_then(|r| r.strip_prefix(':')) {
                return SqlError { sqlstate: state, message: message.to_string() };
            }
        }
    }
    let state = match code {
        f::SQLITE_CONSTRAINT_UNIQUE | f::SQLITE_CONSTRAINT_PRIMARYKEY => "23505",
        f::SQLITE_CONSTRAINT_NOTNULL => "23502",
        f::SQLITE_CONSTRAINT_CHECK => "23514",
        f::SQLITE_CONSTRAINT_FOREIGNKEY => "23503",
        f::SQLITE_CONSTRAINT_DATATYPE | f::SQLITE_MISMATCH => "22P02",
        f::SQLITE_TOOBIG => "54000",
        f::SQLITE_AUTH => "42501",
        f::SQLITE_INTERRUPT => "57014",
        _ if msg.contains("no such table") => "42P01",
        _ if msg.contains("no such column") => "42703",
        _ if msg.contains("already exists") => "42P07",
        _ if msg.contains("no such function") => "42883",
        _ if msg.contains("syntax error") => "42601",
        _ if msg.contains("not authorized") => "42501",
        _ if msg.contains("integer overflow") => "22003",
        _ if msg.contains("division by zero") => "22012",
        _ => "XX000",
    };
    let message = match state {
        "23505" => format!("duplicate key value violates unique constraint ({msg})"),
        "23502" => format!("null value violates not-null constraint ({msg})"),
        "23514" => format!("new row violates check constraint ({msg})"),
        "23503" => format!("insert or update violates foreign key constraint ({msg})"),
        "22P02" => format!("invalid input value for the column's type ({msg})"),
        "42501" => format!("permission denied ({msg})"),
        _ => msg,
    };
    SqlError { sqlstate: state, message }
}
