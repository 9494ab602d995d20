//! The quick part of the compatibility scorecard (compat/run) against a
//! fresh `rowchain dev`: our psql suite (scripts whose outputs were recorded
//! from a real PostgreSQL) and a representative slice of SQLAlchemy's
//! dialect compliance suite (over the PostgreSQL and the MySQL wire), and
//! of the tokio-postgres crate's own tests.
//! Each fails on any unexpected failure and on any
//! unexpected pass (compat/suites/*/expected-failures.txt).

mod common;

use std::path::PathBuf;
use std::process::Command;

/// Runs compat/run.py for one suite (`only`: its test selection, empty for
/// all of it) and returns the scorecard it printed.
fn scorecard(suite: &str, only: &[&str]) -> String {
    common::clients_setup();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = common::temp_dir("scorecard").join("SCORECARD.md");
    let mut run = Command::new("python3");
    run.arg(root.join("compat/run.py")).args(["--bin", common::BIN, "--out"]).arg(&out);
    if !only.is_empty() {
        run.args(["--only", &only.join(",")]);
    }
    let run = run.arg(suite).output().expect("run compat/run.py");
    let printed = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "the {suite} scorecard has unexpected results:\n{printed}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    printed
}

#[test]
fn psql_scripts_match_postgresql() {
    let card = scorecard("psql", &[]);
    assert!(card.contains("| psql |"), "{card}");
}

/// Classes of SQLAlchemy's compliance suite that cover what an ORM does
/// most: DDL, INSERT/RETURNING, fetching, the common types, joins,
/// limits, UPDATE/DELETE and reflection of the tables it created.
const SQLALCHEMY_SLICE: &[&str] = &[
    "InsertBehaviorTest",
    "ReturningTest",
    "RowFetchTest",
    "LimitOffsetTest",
    "JoinTest",
    "IntegerTest",
    "StringTest",
    "BooleanTest",
    "DateTimeTest",
    "SimpleUpdateDeleteTest",
    "HasTableTest",
    "TableDDLTest",
];

#[test]
fn sqlalchemy_compliance_slice() {
    let card = scorecard("sqlalchemy", SQLALCHEMY_SLICE);
    assert!(card.contains("| sqlalchemy |"), "{card}");
}

/// Classes of SQLAlchemy's compliance suite over the MySQL wire
/// (mysql+pymysql): integer, string and numeric round trips, isolation
/// levels, ping, escaping, difficult parameter names, table DDL,
/// server-side cursors and LIKE; some are listed as expected failures
/// (REGEXP, table comments, a second database), so those are checked too.
const MYSQL_SQLALCHEMY_SLICE: &[&str] = &[
    "IntegerTest",
    "StringTest",
    "NumericTest",
    "IsolationLevelTest",
    "PingTest",
    "EscapingTest",
    "DifficultParametersTest",
    "TableDDLTest",
    "ServerSideCursorsTest",
    "LikeFunctionsTest",
];

#[test]
fn mysql_sqlalchemy_compliance_slice() {
    let card = scorecard("mysql-sqlalchemy", MYSQL_SQLALCHEMY_SLICE);
    assert!(card.contains("| mysql-sqlalchemy |"), "{card}");
}

/// tokio-postgres's own tests of what every client does first: each login
/// method its test server's pg_hba sets up, connection strings with several
/// hosts, prepared statements, the common types through the binary format,
/// and two tests listed as expected failures (temporary tables, hstore),
/// so the expectations are checked too. The crate's tests fix the server at
/// 127.0.0.1:5433, so this needs that port free.
const TOKIO_POSTGRES_SLICE: &[&str] = &[
    "plain_password_missing",
    "plain_password_wrong",
    "plain_password_ok",
    "md5_password_missing",
    "md5_password_wrong",
    "md5_password_ok",
    "scram_password_missing",
    "scram_password_wrong",
    "scram_password_ok",
    "sync",
    "prepare_type_modifier",
    "simple_query",
    "transaction_rollback_drop",
    "query_portal",
    "copy_in",
    "runtime::tcp",
    "runtime::multiple_hosts_multiple_ports",
    "runtime::hostaddr_only_ok",
    "types::test_bool_params",
    "types::test_i64_params",
    "types::test_f64_params",
    "types::test_text_params",
    "types::test_bytea_params",
    "types::test_hstore_params",
    "types::chrono_04::test_date_time_params",
    "types::serde_json_1::test_jsonb_params",
    "types::uuid_1::test_uuid_params",
];

#[test]
fn tokio_postgres_own_tests_slice() {
    let card = scorecard("tokio-postgres", TOKIO_POSTGRES_SLICE);
    assert!(card.contains("| tokio-postgres |"), "{card}");
}
