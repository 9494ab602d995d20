//! Real MySQL clients, unchanged, against `rowchain dev`'s MySQL wire. The
//! programs live in compat/clients/mysql/ and were written against the
//! machine's MariaDB first; each asserts results and exits non-zero on the
//! first wrong one. `compat/clients/setup.sh` installs what they need
//! (PyPI, npm, Debian).
//!
//! Django's scenario (compat/clients/mysql/django) is not here yet: its
//! `migrate` adds foreign keys with `ALTER TABLE .. ADD CONSTRAINT`, which
//! rowchain refuses (0A000 / 1235).

mod common;

use common::Dev;
use std::path::PathBuf;
use std::process::Command;

fn run_client(program: &str) {
    common::clients_setup();
    let dev = Dev::start(&format!("mysql-client-{program}"));
    let logs = common::temp_dir(&format!("mysql-client-logs-{program}"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compat/clients/mysql/run-all.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(program)
        .env("MYSQL_HOST", "127.0.0.1")
        .env("MYSQL_PORT", dev.mysql_port.to_string())
        .env("MYSQL_USER", "admin")
        .env("MYSQL_PASSWORD", "admin")
        .env("MYSQL_DATABASE", "rowchain")
        .env("RC_TARGET", "rowchain")
        .env("RC_CLIENTS_LOGS", &logs)
        .output()
        .expect("run compat/clients/mysql/run-all.sh");
    let log = std::fs::read_to_string(logs.join(format!("{program}.log"))).unwrap_or_default();
    assert!(
        out.status.success(),
        "{program} failed against rowchain:\n{}\n--- {program}.log ---\n{log}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&logs);
}

#[test]
fn pymysql() {
    run_client("pymysql");
}

#[test]
fn mysqlclient() {
    run_client("mysqlclient");
}

#[test]
fn mysql_connector_python() {
    run_client("connector");
}

#[test]
fn sqlalchemy_over_pymysql() {
    run_client("sqlalchemy");
}

#[test]
fn mysql2_for_node() {
    run_client("node");
}

#[test]
fn mariadb_connector_j() {
    run_client("jdbc");
}

#[test]
fn mysql_cli() {
    run_client("cli");
}
