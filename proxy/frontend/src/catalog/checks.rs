//! CHECK constraints as PostgreSQL lists them: `pg_constraint` rows of
//! type `c` with the columns they use (`conkey`), their definitions as
//! `pg_get_constraintdef` prints them, plain and pretty ([`super::viewdef`]
//! reads the expression back), and `information_schema`'s
//! `check_constraints`, `table_constraints` and `constraint_column_usage`.
//!
//! SQLite keeps a table's checks only in its DDL text; the ones listed are
//! those the user declared, named as PostgreSQL names them
//! (`sqlmap::table_checks`, which also tells rowchain's own checks, for
//! `varchar(n)` and MySQL column types, apart), less those of a column of
//! a user-defined type, which PostgreSQL keeps with the type
//! ([`super::types`]). An expression the printer
//! does not read is shown as stored.

use node_core::catalog::TableMeta;
use rusqlite::types::Value as V;
use rusqlite::Connection;

use super::array;
use super::snapshot::{self, b, i, t, ConstraintDefinition, Rows, Snapshot, TableFacts};

/// The user's checks of `meta`'s table, known as `rel` in its schema,
/// whose SQLite definition is in the database `db` (`main`, or `temp` for
/// a session's temporary table).
pub(super) fn read(
    conn: &Connection,
    db: &str,
    meta: &TableMeta,
    rel: &str,
) -> rusqlite::Result<Vec<sqlmap::TableCheck>> {
    let definition = node_exec::tables::definition(conn, db, &meta.name)?;
    let mut checks = node_exec::tables::checks(&definition, meta, rel);
    checks.retain(|check| !user_type_check(&check.expression) && !domain_length_check(meta, check));
    Ok(checks)
}

/// Whether a check is the length check sqlmap gives a `varchar(n)` or
/// `char(n)` column (`length("c") <= n`), here on a column of a domain over
/// such a type, where it does not stand where `sqlmap::table_checks` tells
/// it apart.
fn domain_length_check(meta: &TableMeta, check: &sqlmap::TableCheck) -> bool {
    let [column] = check.references.as_slice() else { return false };
    let Some(meta) = meta.columns.iter().find(|c| c.name == *column && c.user_type.is_some()) else { return false };
    let length = match sqlmap::PgType::parse_name(&meta.pg_type) {
        Some(sqlmap::PgType::Varchar(Some(n)) | sqlmap::PgType::Char(Some(n))) => n,
        _ => return false,
    };
    let quoted = format!("\"{}\"", column.replace('"', "\"\""));
    check.expression.trim() == format!("length({quoted}) <= {length}")
}

/// Whether a check is one sqlmap gives a column of a user-defined type
/// (`sqlmap::UserType`): an enum's label check, a domain's conditions.
/// PostgreSQL keeps those with the type, not the table.
fn user_type_check(expression: &str) -> bool {
    let expression = expression.trim_start();
    expression.starts_with("rc_enum_in(") || expression.starts_with("rc_domain_ok(")
}

/// The rows of `f`'s checks, and their definitions.
pub(super) fn check_rows(rows: &mut Rows, snap: &mut Snapshot, f: &TableFacts<'_>, database: &str) {
    let meta = f.meta;
    let columns: Vec<(String, String)> = meta.columns.iter().map(|c| (c.name.clone(), c.pg_type.clone())).collect();
    for check in &f.checks {
        let oid = snapshot::constraint_oid(meta, &check.name);
        let printed = |pretty| super::viewdef::check_expression(&check.expression, f.rel, &columns, pretty);
        let (plain, pretty) = match (printed(false), printed(true)) {
            (Some(plain), Some(pretty)) => (plain, pretty),
            _ => (check.expression.clone(), check.expression.clone()),
        };
        // `conkey`: the attribute numbers of the columns used, NULL for none.
        let attnums: Vec<Option<String>> = check
            .references
            .iter()
            .filter_map(|c| meta.columns.iter().position(|m| m.name == *c))
            .map(|p| Some((p + 1).to_string()))
            .collect();
        rows.push(
            "pg_catalog",
            "pg_constraint",
            &[
                ("oid", i(oid)),
                ("conname", t(&check.name)),
                ("connamespace", i(f.namespace)),
                ("contype", t("c")),
                ("convalidated", b(true)),
                ("conrelid", i(f.oid)),
                ("confupdtype", t(" ")),
                ("confdeltype", t(" ")),
                ("confmatchtype", t(" ")),
                ("conislocal", b(true)),
                ("conkey", if attnums.is_empty() { V::Null } else { t(array::format(&attnums)) }),
                // What `pg_get_expr(conbin, conrelid)` prints.
                ("conbin", t(&plain)),
            ],
        );
        let definition =
            ConstraintDefinition { plain: format!("CHECK ({plain})"), pretty: format!("CHECK ({pretty})") };
        information_rows(rows, f, check, &definition.plain, database);
        snap.constraints.insert(oid, definition);
    }
}

/// A check in `information_schema`: the constraint, its clause (the plain
/// definition without `CHECK `, as PostgreSQL's view cuts it), the columns
/// it uses.
fn information_rows(rows: &mut Rows, f: &TableFacts<'_>, check: &sqlmap::TableCheck, plain: &str, database: &str) {
    let table = (f.schema, f.rel);
    snapshot::table_constraint(rows, database, &check.name, table, "CHECK");
    rows.push(
        "information_schema",
        "check_constraints",
        &[
            ("constraint_catalog", t(database)),
            ("constraint_schema", t(f.schema)),
            ("constraint_name", t(&check.name)),
            ("check_clause", t(plain.strip_prefix("CHECK ").unwrap_or(plain))),
        ],
    );
    for column in &check.references {
        snapshot::constraint_column(rows, database, table, column, (f.schema, &check.name));
    }
}
