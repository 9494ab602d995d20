//! SQLSTATEs as MySQL error numbers. The front-end core reports errors
//! with PostgreSQL's SQLSTATEs; a MySQL client looks at the error number
//! first, and at MySQL's SQLSTATE for it (`23000` for every integrity
//! violation, `42S02` for a missing table). The message is the core's
//! (the same text a receipt records), with its hint appended.

use proxy_frontend::FrontendError;
use proxy_mysql::ServerError;

/// (PostgreSQL SQLSTATE, MySQL error number, MySQL SQLSTATE).
const ERRORS: &[(&str, u16, &[u8; 5])] = &[
    ("23505", 1062, b"23000"), // ER_DUP_ENTRY
    ("23502", 1048, b"23000"), // ER_BAD_NULL_ERROR
    ("23503", 1452, b"23000"), // ER_NO_REFERENCED_ROW_2
    ("23514", 3819, b"HY000"), // ER_CHECK_CONSTRAINT_VIOLATED
    ("42830", 1822, b"HY000"), // ER_FK_NO_INDEX_PARENT
    ("2BP01", 3730, b"HY000"), // ER_FK_CANNOT_DROP_PARENT
    ("42P01", 1146, b"42S02"), // ER_NO_SUCH_TABLE
    ("42703", 1054, b"42S22"), // ER_BAD_FIELD_ERROR
    ("42P07", 1050, b"42S01"), // ER_TABLE_EXISTS_ERROR
    ("42P06", 1007, b"HY000"), // ER_DB_CREATE_EXISTS (a MySQL database is a schema)
    ("3F000", 1049, b"42000"), // ER_BAD_DB_ERROR
    ("42809", 1347, b"HY000"), // ER_WRONG_OBJECT ('v' is not BASE TABLE / VIEW)
    ("55000", 1471, b"HY000"), // ER_NON_INSERTABLE_TABLE (a write to a view)
    ("42701", 1060, b"42S21"), // ER_DUP_FIELDNAME
    ("42601", 1064, b"42000"), // ER_PARSE_ERROR
    ("42000", 1064, b"42000"),
    ("42501", 1142, b"42000"), // ER_TABLEACCESS_DENIED_ERROR
    ("42883", 1305, b"42000"), // ER_SP_DOES_NOT_EXIST (no such function)
    ("42804", 1366, b"HY000"), // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    ("42710", 1396, b"HY000"), // ER_CANNOT_USER (CREATE USER of an existing one)
    ("42704", 1396, b"HY000"), // ER_CANNOT_USER (DROP USER of a missing one)
    ("28000", 1045, b"28000"), // ER_ACCESS_DENIED_ERROR
    ("28P01", 1045, b"28000"),
    ("40001", 1213, b"40001"), // ER_LOCK_DEADLOCK: the transaction was rolled back
    ("22P02", 1366, b"HY000"), // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    ("22003", 1264, b"22003"), // ER_WARN_DATA_OUT_OF_RANGE
    ("22001", 1406, b"22001"), // ER_DATA_TOO_LONG
    ("22012", 1365, b"22012"), // ER_DIVISION_BY_ZERO
    ("22007", 1292, b"22007"), // ER_TRUNCATED_WRONG_VALUE (bad date)
    ("22008", 1292, b"22008"),
    ("0A000", 1235, b"42000"), // ER_NOT_SUPPORTED_YET
    ("25001", 1568, b"25001"), // ER_CANT_CHANGE_TX_CHARACTERISTICS
    ("25006", 1792, b"25006"), // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    ("3D000", 1049, b"42000"), // ER_BAD_DB_ERROR
    ("57014", 1317, b"70100"), // ER_QUERY_INTERRUPTED
    ("54000", 1105, b"HY000"),
    ("54001", 1105, b"HY000"),
];

/// ER_UNKNOWN_ERROR, for SQLSTATEs MySQL has no number for.
const UNKNOWN_ERROR: u16 = 1105;

/// The MySQL error a client sees for a front-end error.
pub fn server_error(error: &FrontendError) -> ServerError {
    let message = match &error.hint {
        Some(hint) => format!("{} (hint: {hint})", error.message),
        None => error.message.clone(),
    };
    match ERRORS.iter().find(|(sqlstate, _, _)| *sqlstate == error.sqlstate) {
        Some((_, code, sqlstate)) => ServerError::new(*code, **sqlstate, message),
        None => {
            // Keep the core's SQLSTATE when it is five ASCII characters.
            let sqlstate = <[u8; 5]>::try_from(error.sqlstate.as_bytes())
                .ok()
                .filter(|s| s.iter().all(u8::is_ascii_alphanumeric))
                .unwrap_or(*b"HY000");
            ServerError::new(UNKNOWN_ERROR, sqlstate, message)
        }
    }
}

/// ER_UNKNOWN_SYSTEM_VARIABLE.
pub(crate) fn unknown_variable(name: &str) -> ServerError {
    ServerError::new(1193, *b"HY000", format!("Unknown system variable '{name}'"))
}

/// ER_BAD_DB_ERROR.
pub(crate) fn unknown_database(name: &str) -> ServerError {
    ServerError::new(1049, *b"42000", format!("Unknown database '{name}'"))
}

/// ER_WRONG_VALUE_FOR_VAR.
pub(crate) fn wrong_value(name: &str, value: &str) -> ServerError {
    ServerError::new(1231, *b"42000", format!("Variable '{name}' can't be set to the value of '{value}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_errors_clients_branch_on_have_mysqls_numbers() {
        let cases = [
            ("23505", 1062, "23000"),
            ("42P01", 1146, "42S02"),
            ("42601", 1064, "42000"),
            ("42501", 1142, "42000"),
            ("28P01", 1045, "28000"),
            ("40001", 1213, "40001"),
            ("25006", 1792, "25006"),
            ("XX000", 1105, "XX000"),
        ];
        for (sqlstate, code, mysql_state) in cases {
            let e = server_error(&FrontendError::new(sqlstate, "m"));
            assert_eq!((e.code, std::str::from_utf8(&e.sqlstate).unwrap()), (code, mysql_state), "{sqlstate}");
        }
        let odd = server_error(&FrontendError::new("é", "m"));
        assert_eq!((odd.code, odd.sqlstate), (1105, *b"HY000"));
        let hinted = server_error(&FrontendError::new("0A000", "no").hint("try this"));
        assert_eq!(hinted.message, "no (hint: try this)");
    }
}
