//! Real clients, unchanged, against `rowchain dev`. The programs live in
//! compat/clients/ and were written against a real PostgreSQL first; each
//! asserts results and exits non-zero on the first wrong one.
//! `compat/clients/setup.sh` installs what they need (PyPI, npm, Debian).
//!
//! Only the programs that pass against rowchain are listed here; the others
//! (psycopg2, SQLAlchemy, pgjdbc) still stop at gaps
//! listed in compat/clients/README.md and join this file as they are closed.

mod common;

use common::Dev;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compat/clients")
}

/// Runs setup.sh once per test process.
fn setup() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let out = Command::new("bash").arg(clients_dir().join("setup.sh")).output().expect("run setup.sh");
        assert!(
            out.status.success(),
            "compat/clients/setup.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

fn run_client(program: &str) {
    setup();
    let dev = Dev::start(&format!("client-{program}"));
    let logs = common::temp_dir(&format!("client-logs-{program}"));
    let out = Command::new("bash")
        .arg(clients_dir().join("run-all.sh"))
        .arg(program)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", dev.pg_port.to_string())
        .env("PGUSER", "admin")
        .env("PGPASSWORD", "admin")
        .env("PGDATABASE", "rowchain")
        .env("RC_TARGET", "rowchain")
        .env("RC_CLIENTS_LOGS", &logs)
        .output()
        .expect("run run-all.sh");
    let log = std::fs::read_to_string(logs.join(format!("{program}.log"))).unwrap_or_default();
    assert!(
        out.status.success(),
        "{program} failed against rowchain:\n{}\n--- {program}.log ---\n{log}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&logs);
}

#[test]
fn node_postgres() {
    run_client("node");
}

#[test]
fn psql() {
    run_client("psql");
}

#[test]
fn pgbench() {
    run_client("pgbench");
}
