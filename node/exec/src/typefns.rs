//! User-defined types as SQLite sees them (see sqlmap's `usertype`): the
//! enum check and cast functions, the domain check function, and the
//! collations that order enum values by declaration.
//!
//! An enum's collation is named by its key (`rc_enum:3:sad2:ok5:happy`),
//! which holds the labels: a connection asked for one it lacks builds it
//! from the name alone (`sqlite3_collation_needed`), so every connection
//! (the executor's, the readers', a session's scratch database, `verify`)
//! orders alike, with nothing to keep in step. All of it is pure and
//! deterministic: every validator judges a value alike.

use std::cmp::Ordering;

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::pgfns::fail;

/// Registers `rc_enum`, `rc_enum_in`, `rc_domain_ok` and the enum
/// collations (on demand).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("rc_enum", 3, flags, |ctx| enum_value(ctx).map(|v| v.map(str::to_owned)))?;
    conn.create_scalar_function("rc_enum_in", 3, flags, |ctx| enum_value(ctx).map(|v| v.map(|_| 1i64)))?;
    conn.create_scalar_function("rc_domain_ok", 3, flags, domain_ok)?;
    conn.collation_needed(enum_collation_needed)?;
    Ok(())
}

/// `rc_enum(value, key, type)`: the label, when it is one of the type's
/// (PostgreSQL's `enum_in`); `rc_enum_in` answers 1 for the same.
fn enum_value<'a>(ctx: &'a Context<'_>) -> rusqlite::Result<Option<&'a str>> {
    let type_name: String = ctx.get(2)?;
    let value = match ctx.get_raw(0) {
        ValueRef::Null => return Ok(None),
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| fail("22021", "invalid byte sequence for encoding \"UTF8\"".into()))?,
        ValueRef::Integer(_) => return Err(cannot_cast("integer", &type_name)),
        ValueRef::Real(_) => return Err(cannot_cast("double precision", &type_name)),
        ValueRef::Blob(_) => return Err(cannot_cast("bytea", &type_name)),
    };
    let key = match ctx.get_raw(1) {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
        _ => "",
    };
    let labels =
        sqlmap::enum_labels(key).ok_or_else(|| fail("XX000", format!("malformed enum key for {type_name}")))?;
    if labels.iter().any(|l| l == value) {
        Ok(Some(value))
    } else {
        Err(fail("22P02", format!("invalid input value for enum {type_name}: \"{value}\"")))
    }
}

fn cannot_cast(from: &str, to: &str) -> rusqlite::Error {
    fail("42846", format!("cannot cast type {from} to {to}"))
}

/// `rc_domain_ok(condition, domain, constraint)`: 1 unless the condition
/// is false; then PostgreSQL's error for the domain's check (23514), or
/// for its NOT NULL when `constraint` is NULL (23502).
fn domain_ok(ctx: &mut Context<'_>) -> rusqlite::Result<Option<i64>> {
    let holds = match ctx.get_raw(0) {
        ValueRef::Null => return Ok(Some(1)),
        ValueRef::Integer(n) => n != 0,
        ValueRef::Real(f) => f != 0.0,
        // SQLite reads text as a number in a boolean context.
        ValueRef::Text(t) => {
            std::str::from_utf8(t).ok().and_then(|t| t.trim().parse::<f64>().ok()).unwrap_or(0.0) != 0.0
        }
        ValueRef::Blob(_) => false,
    };
    if holds {
        return Ok(Some(1));
    }
    let domain: String = ctx.get(1)?;
    Err(match ctx.get::<Option<String>>(2)? {
        Some(constraint) => {
            fail("23514", format!("value for domain {domain} violates check constraint \"{constraint}\""))
        }
        None => fail("23502", format!("domain {domain} does not allow null values")),
    })
}

/// Builds the collation an enum key names; other names are not ours.
fn enum_collation_needed(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    let Some(labels) = sqlmap::enum_labels(name) else { return Ok(()) };
    conn.create_collation(name, move |a, b| compare_labels(&labels, a, b))
}

/// Declaration order; a text that is no label (none is stored: every
/// column checks its values) sorts after the labels, by its bytes, so the
/// order stays total.
fn compare_labels(labels: &[String], a: &str, b: &str) -> Ordering {
    let rank = |s: &str| labels.iter().position(|l| l == s).unwrap_or(labels.len());
    rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        crate::pgfns::register(&c).unwrap();
        c
    }

    fn query(c: &Connection, sql: &str) -> Result<Vec<String>, String> {
        let mut st = c.prepare(sql).map_err(|e| e.to_string())?;
        let text = |v: rusqlite::types::Value| match v {
            rusqlite::types::Value::Null => "NULL".to_string(),
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        };
        let rows = st.query_map([], |r| r.get::<_, rusqlite::types::Value>(0)).map_err(|e| e.to_string())?;
        rows.map(|r| r.map(text).map_err(|e| e.to_string())).collect()
    }

    #[test]
    fn enum_columns_check_labels_and_order_by_declaration() {
        let c = conn();
        let key = sqlmap::enum_key(&["sad".into(), "ok".into(), "happy".into()]);
        c.execute_batch(&format!(
            "CREATE TABLE t (m TEXT COLLATE \"{key}\" CHECK (rc_enum_in(m, '{key}', 'mood'))) STRICT;
             CREATE INDEX t_m ON t (m);
             INSERT INTO t VALUES ('happy'), ('sad'), (NULL), ('ok');"
        ))
        .unwrap();
        assert_eq!(query(&c, "SELECT m FROM t ORDER BY m").unwrap(), ["NULL", "sad", "ok", "happy"]);
        assert_eq!(query(&c, "SELECT m FROM t WHERE m > 'sad' ORDER BY m DESC").unwrap(), ["happy", "ok"]);
        let bad = c.execute("INSERT INTO t VALUES ('meh')", []).unwrap_err().to_string();
        assert!(bad.contains("rowchain:22P02:invalid input value for enum mood: \"meh\""), "{bad}");
        let cast = query(&c, &format!("SELECT rc_enum(1, '{key}', 'mood')")).unwrap_err();
        assert!(cast.contains("rowchain:42846:cannot cast type integer to mood"), "{cast}");
        // The collation named in an expression is built from the name alone.
        let ordered = query(&c, &format!("SELECT 'ok' < 'happy' COLLATE \"{key}\"")).unwrap();
        assert_eq!(ordered, ["1"]);
        assert_eq!(query(&c, "SELECT 'ok' < 'happy'").unwrap(), ["0"]);
    }

    #[test]
    fn domain_checks_fail_as_postgres_does() {
        let c = conn();
        assert_eq!(query(&c, "SELECT rc_domain_ok(1 > 0, 'pos', 'positive')").unwrap(), ["1"]);
        assert_eq!(query(&c, "SELECT rc_domain_ok(NULL, 'pos', 'positive')").unwrap(), ["1"]);
        let check = query(&c, "SELECT rc_domain_ok(-1 > 0, 'pos', 'positive')").unwrap_err();
        assert!(
            check.contains("rowchain:23514:value for domain pos violates check constraint \"positive\""),
            "{check}"
        );
        let null = query(&c, "SELECT rc_domain_ok(NULL IS NOT NULL, 'pos', NULL)").unwrap_err();
        assert!(null.contains("rowchain:23502:domain pos does not allow null values"), "{null}");
    }

    #[test]
    fn names_that_are_no_enum_key_stay_unknown() {
        let c = conn();
        let err = query(&c, "SELECT 'a' < 'b' COLLATE \"rc_enum:9:x\"").unwrap_err();
        assert!(err.contains("no such collation sequence"), "{err}");
    }
}
