//! Real MySQL clients, unchanged, against `rowchain dev`'s MySQL wire. The
//! programs live in compat/clients/mysql/ and were written against the
//! machine's MariaDB first; each asserts results and exits non-zero on the
//! first wrong one. `compat/clients/setup.sh` installs what they need
//! (PyPI, npm, Debian).

mod common;

fn run_client(program: &str) {
    common::run_client_program("compat/clients/mysql/run-all.sh", program, |dev| {
        vec![
            ("MYSQL_HOST", "127.0.0.1".into()),
            ("MYSQL_PORT", dev.mysql_port.to_string()),
            ("MYSQL_USER", "admin".into()),
            ("MYSQL_PASSWORD", "admin".into()),
            ("MYSQL_DATABASE", "rowchain".into()),
        ]
    });
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

/// `migrate` (CREATE TABLE, then the foreign key by `ALTER TABLE .. ADD
/// CONSTRAINT`), ORM CRUD, IntegrityError, `atomic` rollback, `migrate zero`.
#[test]
fn django() {
    run_client("django");
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
