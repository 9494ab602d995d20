//! Real clients, unchanged, against `rowchain dev`. The programs live in
//! compat/clients/ and were written against a real PostgreSQL first; each
//! asserts results and exits non-zero on the first wrong one.
//! `compat/clients/setup.sh` installs what they need (PyPI, npm, Debian).
//!
//! Every program in compat/clients runs here: psycopg2, SQLAlchemy 2 ORM,
//! Django (migrate and the ORM), pgjdbc, node-postgres, psql and pgbench
//! (tokio-postgres is tests/pg_wire.rs), plus psql over TLS.

mod common;

use common::Dev;
use std::process::Command;

fn setup() {
    common::clients_setup();
}

fn run_client(program: &str) {
    common::run_client_program("compat/clients/run-all.sh", program, |dev| {
        vec![
            ("PGHOST", "127.0.0.1".into()),
            ("PGPORT", dev.pg_port.to_string()),
            ("PGUSER", "admin".into()),
            ("PGPASSWORD", "admin".into()),
            ("PGDATABASE", "rowchain".into()),
        ]
    });
}

#[test]
fn psycopg2() {
    run_client("psycopg2");
}

#[test]
fn sqlalchemy() {
    run_client("sqlalchemy");
}

#[test]
fn django() {
    run_client("django");
}

#[test]
fn pgjdbc() {
    run_client("jdbc");
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

/// psql over TLS: with `pg.tls_cert`/`pg.tls_key` set, `sslmode=require`
/// connects encrypted and plain connections still work; without them the
/// server answers SSLRequest `N` and `sslmode=require` is refused by libpq.
#[test]
fn psql_tls() {
    setup();
    let dir = common::temp_dir("tls");
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .args(["-subj", "/CN=localhost", "-days", "2", "-keyout"])
        .arg(dir.join("server.key"))
        .arg("-out")
        .arg(dir.join("server.crt"))
        .output()
        .expect("run openssl");
    assert!(made.status.success(), "openssl: {}", String::from_utf8_lossy(&made.stderr));
    std::fs::write(dir.join("rowchain.toml"), "[pg]\ntls_cert = \"server.crt\"\ntls_key = \"server.key\"\n").unwrap();
    let dev = Dev::start_in(dir, common::free_port());
    let psql = |dev: &Dev, sslmode: &str, sql: &str| {
        Command::new("psql")
            .arg(format!("{} sslmode={sslmode}", dev.pg_dsn("admin", "admin")))
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("run psql")
    };
    let out = psql(&dev, "require", "CREATE TABLE over_tls (id int PRIMARY KEY, note text)");
    assert!(out.status.success(), "psql sslmode=require: {}", String::from_utf8_lossy(&out.stderr));
    let out = psql(&dev, "require", "INSERT INTO over_tls VALUES (1, 'sealed')");
    assert_eq!(common::text(&out.stdout).trim(), "INSERT 0 1", "{}", String::from_utf8_lossy(&out.stderr));
    let out = psql(&dev, "require", "\\conninfo");
    assert!(common::text(&out.stdout).contains("SSL connection (protocol: TLSv1.3"), "{}", common::text(&out.stdout));
    let out = psql(&dev, "disable", "SELECT note FROM over_tls WHERE id = 1");
    assert_eq!(common::text(&out.stdout).trim(), "sealed", "{}", String::from_utf8_lossy(&out.stderr));
    let out = psql(&dev, "disable", "\\conninfo");
    assert!(!common::text(&out.stdout).contains("SSL connection"), "{}", common::text(&out.stdout));

    let plain = Dev::start("no-tls");
    let out = psql(&plain, "require", "SELECT 1");
    assert!(!out.status.success());
    assert!(common::text(&out.stderr).contains("server does not support SSL"), "{}", common::text(&out.stderr));
    let out = psql(&plain, "prefer", "SELECT 1");
    assert_eq!(common::text(&out.stdout).trim(), "1", "{}", String::from_utf8_lossy(&out.stderr));
}
