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
    // SQLite's own text, without what rusqlite adds around a syntax error
    // (` in <sql> at offset <n>`).
    let sqlite_msg = match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) | rusqlite::Error::SqlInputError { msg: m, .. } => m.as_str(),
        _ => "",
    };
    let insert_arity = values_for_columns(sqlite_msg);
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
        _ if msg.contains("syntax error") || msg.starts_with("unrecognized token:") => "42601",
        _ if insert_arity.is_some() => "42601",
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
        _ => match insert_arity {
            Some(more) => more.to_string(),
            None => msg,
        },
    };
    SqlError { sqlstate: state, message }
}

/// PostgreSQL's message for an INSERT whose VALUES row and target columns
/// differ in length, from SQLite's `N values for M columns` (a column list)
/// or `table T has M columns but N values were supplied` (none), which tell
/// which side is longer. Without a column list PostgreSQL fills a short row
/// with defaults, so only a long one is its error there. Part of a receipt,
/// so a consensus rule: it depends only on SQLite's text for the statement.
fn values_for_columns(msg: &str) -> Option<&'static str> {
    let count = |text: &str| text.parse::<u64>().ok();
    let (values, columns, listed) = if let Some(head) = msg.strip_suffix(" values were supplied") {
        // The table's name comes first and may hold any text: read from the end.
        let (head, values) = head.rsplit_once(" columns but ")?;
        let (_, columns) = head.rsplit_once(" has ")?;
        (count(values)?, count(columns)?, false)
    } else {
        let (values, columns) = msg.strip_suffix(" columns")?.split_once(" values for ")?;
        (count(values)?, count(columns)?, true)
    };
    match values.cmp(&columns) {
        std::cmp::Ordering::Greater => Some("INSERT has more expressions than target columns"),
        std::cmp::Ordering::Less if listed => Some("INSERT has more target columns than expressions"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(setup: &str, sql: &str) -> SqlError {
        let conn = rusqlite::Connection::open_in_memory().expect("in-memory SQLite");
        conn.execute_batch(setup).expect("setup");
        let e = conn.execute_batch(sql).expect_err("the statement fails");
        sql_error(&e)
    }

    #[test]
    fn unrecognized_token_is_a_syntax_error() {
        let e = error_of("", "SELECT 1 #");
        assert_eq!((e.sqlstate, e.message.as_str()), ("42601", "unrecognized token: \"#\" in SELECT 1 # at offset 9"));
    }

    #[test]
    fn values_for_columns_is_postgres_insert_arity_error() {
        let setup = "CREATE TABLE t (a INT, b INT)";
        let e = error_of(setup, "INSERT INTO t (a) VALUES (1, 2)");
        assert_eq!((e.sqlstate, e.message.as_str()), ("42601", "INSERT has more expressions than target columns"));
        let e = error_of(setup, "INSERT INTO t (a, b) VALUES (1)");
        assert_eq!((e.sqlstate, e.message.as_str()), ("42601", "INSERT has more target columns than expressions"));
        let e = error_of(setup, "INSERT INTO t VALUES (1, 2, 3)");
        assert_eq!((e.sqlstate, e.message.as_str()), ("42601", "INSERT has more expressions than target columns"));
        // PostgreSQL takes this one (b gets its default): not a syntax error.
        let e = error_of(setup, "INSERT INTO t VALUES (1)");
        assert_eq!((e.sqlstate, e.message.as_str()), ("XX000", "table t has 2 columns but 1 values were supplied"));
    }

    #[test]
    fn other_messages_with_values_are_left_alone() {
        assert_eq!(values_for_columns("2 values for 2 columns"), None);
        assert_eq!(values_for_columns("x values for 2 columns"), None);
        assert_eq!(values_for_columns("values for columns"), None);
        assert_eq!(values_for_columns("1 values for ∞ columns"), None);
        assert_eq!(
            values_for_columns("table \"ä has 9 columns but 1\" has 2 columns but 3 values were supplied"),
            Some("INSERT has more expressions than target columns")
        );
        assert_eq!(values_for_columns("table t has x columns but 3 values were supplied"), None);
    }
}
