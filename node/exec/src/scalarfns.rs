//! The bit string, network address and `"char"` types' SQLite side,
//! registered with [`crate::pgfns`]: the checking functions sqlmap renders
//! casts and written values through (see sqlmap's `scalars`), and the
//! `rc_inet` collation that orders `inet`/`cidr` text by address.
//!
//! Every value is read with sqlmap's [`sqlmap::bitstring`],
//! [`sqlmap::network`] and [`sqlmap::systypes`], which plan-time literals
//! use too, so a literal and a parameter are judged alike. Pure and
//! deterministic: every validator stores the same text.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::pgfns::fail;

/// Registers `rc_bit`, `rc_inet`, `rc_macaddr`, `rc_char` and the
/// `rc_inet` collation.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_collation(sqlmap::network::INET_COLLATION, sqlmap::network::compare_text)?;
    conn.create_scalar_function("rc_bit", 4, flags, to_bit)?;
    conn.create_scalar_function("rc_inet", 2, flags, to_inet)?;
    conn.create_scalar_function("rc_macaddr", 2, flags, to_macaddr)?;
    conn.create_scalar_function("rc_char", 1, flags, to_char)?;
    Ok(())
}

fn error(e: sqlmap::PlanError) -> rusqlite::Error {
    fail(e.sqlstate, e.message)
}

/// Argument `i` as text: `None` for NULL; a number as its decimal text; a
/// blob is 42846, as PostgreSQL has no cast from bytea to these types.
fn text_arg(ctx: &Context<'_>, i: usize, type_name: &str) -> rusqlite::Result<Option<String>> {
    Ok(match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Blob(_) => return Err(fail("42846", format!("cannot cast type bytea to {type_name}"))),
    })
}

/// `rc_bit(x, length, varying, explicit)`: `x` as `bit(length)` or
/// `bit varying(length)` (no length: NULL); an explicit cast pads or
/// truncates, an assignment must fit.
fn to_bit(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    let varying = ctx.get::<i64>(2)? != 0;
    let Some(text) = text_arg(ctx, 0, if varying { "bit varying" } else { "bit" })? else {
        return Ok(None);
    };
    let length = ctx.get::<Option<i64>>(1)?.and_then(|n| u32::try_from(n).ok());
    let explicit = ctx.get::<i64>(3)? != 0;
    let bits = sqlmap::bitstring::parse(&text).map_err(error)?;
    let ty = sqlmap::bitstring::BitType { varying, length };
    sqlmap::bitstring::coerce(&bits, ty, explicit).map(Some).map_err(error)
}

/// `rc_inet(x, mode)`: `x` as an inet (mode 0), a cidr (1), or a cidr
/// from an inet, its host bits cleared (2).
fn to_inet(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    let mode = u8::try_from(ctx.get::<i64>(1)?).unwrap_or(0);
    let Some(text) = text_arg(ctx, 0, if mode == 0 { "inet" } else { "cidr" })? else {
        return Ok(None);
    };
    sqlmap::network::inet_text(&text, mode).map(Some).map_err(error)
}

/// `rc_macaddr(x, octets)`: `x` as a macaddr (6) or macaddr8 (8).
fn to_macaddr(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    let eight = ctx.get::<i64>(1)? == 8;
    let Some(text) = text_arg(ctx, 0, if eight { "macaddr8" } else { "macaddr" })? else {
        return Ok(None);
    };
    let octets = if eight {
        sqlmap::network::parse_macaddr8(&text).map(|m| m.to_vec())
    } else {
        sqlmap::network::parse_macaddr(&text).map(|m| m.to_vec())
    };
    octets.map(|m| Some(sqlmap::network::mac_text(&m))).map_err(error)
}

/// `rc_char(x)`: `x` as a `"char"`: text's first byte (or `\ooo`); an
/// integer is the byte of that value, -128 to 127 (PostgreSQL's `int4::"char"`).
fn to_char(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    match ctx.get_raw(0) {
        ValueRef::Integer(n) => {
            let byte = i8::try_from(n).map_err(|_| fail("22003", "\"char\" out of range".into()))?;
            Ok(Some(sqlmap::systypes::char_text(byte as u8)))
        }
        _ => Ok(text_arg(ctx, 0, "\"char\"")?.map(|text| sqlmap::systypes::parse_char(&text))),
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    fn one(sql: &str) -> String {
        let c = Connection::open_in_memory().unwrap();
        crate::pgfns::register(&c).unwrap();
        match c.query_row(sql, [], |r| r.get::<_, Option<String>>(0)) {
            Ok(v) => v.unwrap_or_else(|| "NULL".into()),
            Err(e) => {
                let error = crate::executor::sql_error(&e);
                format!("{} {}", error.sqlstate, error.message)
            }
        }
    }

    #[test]
    fn values_are_checked_as_postgresql_checks_them() {
        for (sql, expected) in [
            ("SELECT rc_bit('101', 4, 0, 1)", "1010"),
            ("SELECT rc_bit('x1F', NULL, 1, 1)", "00011111"),
            ("SELECT rc_bit('101', 4, 0, 0)", "22026 bit string length 3 does not match type bit(4)"),
            ("SELECT rc_bit('1011', 3, 1, 0)", "22001 bit string too long for type bit varying(3)"),
            ("SELECT rc_bit('12', NULL, 1, 0)", "22P02 \"2\" is not a valid binary digit"),
            ("SELECT rc_bit(NULL, 4, 0, 0)", "NULL"),
            ("SELECT rc_bit(x'00', 4, 0, 0)", "42846 cannot cast type bytea to bit"),
            ("SELECT rc_inet('127.0.0.1/32', 0)", "127.0.0.1"),
            ("SELECT rc_inet('10.1', 1)", "10.1.0.0/16"),
            ("SELECT rc_inet('10.0.0.1/8', 2)", "10.0.0.0/8"),
            ("SELECT rc_inet('10.0.0.1/8', 1)", "22P02 invalid cidr value: \"10.0.0.1/8\""),
            ("SELECT rc_inet('x', 0)", "22P02 invalid input syntax for type inet: \"x\""),
            ("SELECT rc_macaddr('0800.2b01.0203', 6)", "08:00:2b:01:02:03"),
            ("SELECT rc_macaddr('08:00:2b:01:02:03', 8)", "08:00:2b:ff:fe:01:02:03"),
            ("SELECT rc_macaddr('08:00', 6)", "22P02 invalid input syntax for type macaddr: \"08:00\""),
            ("SELECT rc_char('abc')", "a"),
            ("SELECT rc_char(65)", "A"),
            ("SELECT rc_char(200)", "22003 \"char\" out of range"),
        ] {
            assert_eq!(one(sql), expected, "{sql}");
        }
    }

    #[test]
    fn inet_text_orders_by_address() {
        let c = Connection::open_in_memory().unwrap();
        crate::pgfns::register(&c).unwrap();
        c.execute_batch(
            "CREATE TABLE t (a TEXT COLLATE rc_inet) STRICT;
             INSERT INTO t VALUES ('10.0.0.2'), ('9.0.0.1'), ('::1'), ('10.0.0.0/8'), ('10.0.0.1');",
        )
        .unwrap();
        let mut statement = c.prepare("SELECT a FROM t ORDER BY a").unwrap();
        let sorted: Vec<String> = statement.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(sorted, ["9.0.0.1", "10.0.0.0/8", "10.0.0.1", "10.0.0.2", "::1"]);
    }
}
