//! GRANTs and row-level security policies in the emulated catalog, end to
//! end: a table's owner grants and creates policies over the PostgreSQL
//! wire, then `information_schema.table_privileges` / `column_privileges`,
//! `pg_policies`, `pg_class.relacl`, `pg_attribute.attacl` and psql's own
//! `\dp` and `\d` show them as PostgreSQL 15 does. Expected values are what
//! PostgreSQL 15 answered for the same statements, except that policy
//! expressions keep their text (PostgreSQL adds casts: `(price > (1)::numeric)`)
//! and grantees are listed by name, PUBLIC last (PostgreSQL: in grant order).

mod common;

use common::Dev;
use std::process::Command;
use tokio_postgres::Client;

async fn connect(dev: &Dev, user: &str, password: &str) -> Client {
    common::pg::connect(dev, user, password).await.unwrap()
}

/// Every row of a query as text, NULL as "NULL".
async fn rows(c: &Client, sql: &str) -> Vec<Vec<String>> {
    let rows = common::pg::rows(c, sql).await;
    rows.into_iter().map(|r| r.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect()).collect()
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()
}

/// psql's answer to a backslash command, unaligned (fields separated by
/// `|`, newlines inside a field kept); `-t` (`format`) leaves out headers
/// and footers.
fn psql(dev: &Dev, format: &str, command: &str) -> String {
    let out = Command::new("psql")
        .arg(dev.pg_dsn("admin", "admin"))
        .env("PGPASSWORD", "admin")
        .args(["-X", format, "-v", "ON_ERROR_STOP=1", "-c", command])
        .output()
        .expect("run psql");
    assert!(out.status.success(), "psql {command}: {}", common::text(&out.stderr));
    common::text(&out.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_and_policies_show_in_the_catalog() {
    let dev = Dev::start("catalog-privileges");
    let admin = connect(&dev, "admin", "admin").await;
    admin.batch_execute("CREATE ROLE bob LOGIN PASSWORD 'x'").await.unwrap();
    for sql in [
        "CREATE TABLE t (id integer PRIMARY KEY, price numeric(8,2), name text)",
        "CREATE TABLE u (id integer PRIMARY KEY)",
        "GRANT SELECT ON t TO bob",
        "GRANT UPDATE (price) ON t TO bob",
        "GRANT INSERT ON t TO PUBLIC",
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY p ON t FOR SELECT TO bob USING (price > 1)",
        "CREATE POLICY cap ON t AS RESTRICTIVE USING (true) WITH CHECK (price < 100)",
    ] {
        admin.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    // The owner's implied privileges (grantable), then each grant's.
    let got = rows(
        &admin,
        "SELECT grantor, grantee, table_schema, table_name, privilege_type, is_grantable, with_hierarchy \
         FROM information_schema.table_privileges WHERE table_name = 't' ORDER BY grantee, privilege_type",
    )
    .await;
    let expected: &[&[&str]] = &[
        &["admin", "PUBLIC", "public", "t", "INSERT", "NO", "NO"],
        &["admin", "admin", "public", "t", "DELETE", "YES", "NO"],
        &["admin", "admin", "public", "t", "INSERT", "YES", "NO"],
        &["admin", "admin", "public", "t", "REFERENCES", "YES", "NO"],
        &["admin", "admin", "public", "t", "SELECT", "YES", "YES"],
        &["admin", "admin", "public", "t", "TRIGGER", "YES", "NO"],
        &["admin", "admin", "public", "t", "TRUNCATE", "YES", "NO"],
        &["admin", "admin", "public", "t", "UPDATE", "YES", "NO"],
        &["admin", "bob", "public", "t", "SELECT", "NO", "YES"],
    ];
    assert_eq!(got, strings(expected));
    let catalogs =
        rows(&admin, "SELECT DISTINCT table_catalog = current_database() FROM information_schema.table_privileges")
            .await;
    assert_eq!(catalogs, strings(&[&["t"]]));
    // A table without grants: only its owner's rows.
    let got = rows(
        &admin,
        "SELECT grantee, count(*) FROM information_schema.table_privileges WHERE table_name = 'u' GROUP BY grantee",
    )
    .await;
    assert_eq!(got, strings(&[&["admin", "7"]]));

    // Columns: table-wide SELECT/INSERT/UPDATE reach every column; the
    // column grant only its column.
    let got = rows(
        &admin,
        "SELECT column_name, grantor, grantee, privilege_type, is_grantable FROM information_schema.column_privileges \
         WHERE table_name = 't' AND grantee <> 'admin' ORDER BY column_name, grantee, privilege_type",
    )
    .await;
    let expected: &[&[&str]] = &[
        &["id", "admin", "PUBLIC", "INSERT", "NO"],
        &["id", "admin", "bob", "SELECT", "NO"],
        &["name", "admin", "PUBLIC", "INSERT", "NO"],
        &["name", "admin", "bob", "SELECT", "NO"],
        &["price", "admin", "PUBLIC", "INSERT", "NO"],
        &["price", "admin", "bob", "SELECT", "NO"],
        &["price", "admin", "bob", "UPDATE", "NO"],
    ];
    assert_eq!(got, strings(expected));
    let got = rows(
        &admin,
        "SELECT privilege_type, is_grantable, count(*) FROM information_schema.column_privileges \
         WHERE table_name = 't' AND grantee = 'admin' GROUP BY 1, 2 ORDER BY 1",
    )
    .await;
    let expected: &[&[&str]] =
        &[&["INSERT", "YES", "3"], &["REFERENCES", "YES", "3"], &["SELECT", "YES", "3"], &["UPDATE", "YES", "3"]];
    assert_eq!(got, strings(expected));

    let got = rows(
        &admin,
        "SELECT schemaname, tablename, policyname, permissive, roles, cmd, qual, with_check \
         FROM pg_policies WHERE tablename = 't' ORDER BY policyname",
    )
    .await;
    let expected: &[&[&str]] = &[
        &["public", "t", "cap", "RESTRICTIVE", "{public}", "ALL", "true", "(price < 100)"],
        &["public", "t", "p", "PERMISSIVE", "{bob}", "SELECT", "(price > 1)", "NULL"],
    ];
    assert_eq!(got, strings(expected));

    // The raw catalog psql reads.
    let got = rows(
        &admin,
        "SELECT relname, relacl, relrowsecurity, relforcerowsecurity FROM pg_catalog.pg_class \
         WHERE relname IN ('t', 'u') ORDER BY 1",
    )
    .await;
    let expected: &[&[&str]] =
        &[&["t", "{admin=arwdDxt/admin,bob=r/admin,=a/admin}", "t", "f"], &["u", "NULL", "f", "f"]];
    assert_eq!(got, strings(expected));
    let got = rows(
        &admin,
        "SELECT attname, attacl FROM pg_catalog.pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum",
    )
    .await;
    assert_eq!(got, strings(&[&["id", "NULL"], &["price", "{bob=w/admin}"], &["name", "NULL"]]));
    let got = rows(
        &admin,
        "SELECT polname, polcmd, polpermissive, polroles = '{0}', \
         array_to_string(ARRAY(SELECT rolname FROM pg_catalog.pg_roles WHERE oid = ANY (polroles) ORDER BY 1), ',') \
         FROM pg_catalog.pg_policy WHERE polrelid = 't'::regclass ORDER BY 1",
    )
    .await;
    assert_eq!(got, strings(&[&["cap", "*", "f", "t", ""], &["p", "r", "t", "f", "bob"]]));

    // psql's \dp and \d, as a user sees them.
    assert_eq!(
        psql(&dev, "-At", "\\dp t"),
        "public|t|table|admin=arwdDxt/admin\nbob=r/admin\n=a/admin|price:\n  bob=w/admin|p (r):\n  (u): (price > 1)\n  to: bob\n\
         cap (RESTRICTIVE):\n  (u): true\n  (c): (price < 100)\n"
    );
    assert_eq!(psql(&dev, "-At", "\\dp u"), "public|u|table|||\n");
    let described = psql(&dev, "-A", "\\d t");
    for line in [
        "Policies:",
        "    POLICY \"cap\" AS RESTRICTIVE\n      USING (true)\n      WITH CHECK ((price < 100))",
        "    POLICY \"p\" FOR SELECT\n      TO bob\n      USING ((price > 1))",
    ] {
        assert!(described.contains(line), "{line:?} missing from \\d t:\n{described}");
    }

    // The catalog follows REVOKE and DROP POLICY.
    admin.batch_execute("REVOKE INSERT ON t FROM PUBLIC").await.unwrap();
    admin.batch_execute("DROP POLICY p ON t").await.unwrap();
    let got = rows(&admin, "SELECT relacl FROM pg_catalog.pg_class WHERE relname = 't'").await;
    assert_eq!(got, strings(&[&["{admin=arwdDxt/admin,bob=r/admin}"]]));
    let got = rows(&admin, "SELECT count(*) FROM information_schema.table_privileges WHERE grantee = 'PUBLIC'").await;
    assert_eq!(got, strings(&[&["0"]]));
    let got = rows(&admin, "SELECT policyname FROM pg_policies").await;
    assert_eq!(got, strings(&[&["cap"]]));
}
