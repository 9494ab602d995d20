//! The quick part of the compatibility scorecard (compat/run) against a
//! fresh `rowchain dev`: our psql suite (scripts whose outputs were recorded
//! from a real PostgreSQL) and a representative slice of SQLAlchemy's
//! dialect compliance suite. Each fails on any unexpected failure and on any
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
