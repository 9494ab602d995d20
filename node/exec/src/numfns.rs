//! Exact `numeric` as SQLite functions and a collation, over
//! [`sqlmap::numeric`].
//!
//! sqlmap renders numeric arithmetic, casts, aggregates and comparisons
//! through these (`price * 2` is `rc_num_mul("price", '2') COLLATE
//! rc_numeric`), and numeric columns are `TEXT COLLATE rc_numeric`. Like
//! [`crate::pgfns`], they are pure and deterministic and registered on every
//! connection that runs planned SQL; failures carry their SQLSTATE.

use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use sqlmap::numeric::{compare_text, Numeric, NumericError, Sum};

use crate::pgfns::fail;

fn error(e: NumericError) -> rusqlite::Error {
    fail(e.sqlstate, e.message)
}

/// An argument as a numeric: integers exactly, floats by their shortest
/// decimal form, text by numeric's input rules; `None` for NULL.
fn arg(ctx: &Context<'_>, i: usize) -> rusqlite::Result<Option<Numeric>> {
    value(ctx.get_raw(i))
}

fn value(v: ValueRef<'_>) -> rusqlite::Result<Option<Numeric>> {
    Ok(Some(match v {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(n) => Numeric::from_i64(n),
        ValueRef::Real(f) => Numeric::from_f64(f),
        ValueRef::Text(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            Numeric::parse(&text).map_err(error)?
        }
        ValueRef::Blob(_) => return Err(fail("42846", "cannot cast type bytea to numeric".into())),
    }))
}

/// An integer argument (a type modifier, decimal places).
fn int_arg(ctx: &Context<'_>, i: usize, what: &str) -> rusqlite::Result<Option<i64>> {
    match ctx.get_raw(i) {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        other => match value(other)?.and_then(|n| n.to_i64_rounded()) {
            Some(n) => Ok(Some(n)),
            None => Err(fail("22P02", format!("invalid {what}"))),
        },
    }
}

fn unary(ctx: &Context<'_>, f: impl Fn(&Numeric) -> Result<Numeric, NumericError>) -> rusqlite::Result<Option<String>> {
    match arg(ctx, 0)? {
        None => Ok(None),
        Some(x) => f(&x).map(|n| Some(n.to_text())).map_err(error),
    }
}

fn binary(
    ctx: &Context<'_>,
    f: impl Fn(&Numeric, &Numeric) -> Result<Numeric, NumericError>,
) -> rusqlite::Result<Option<String>> {
    match (arg(ctx, 0)?, arg(ctx, 1)?) {
        (Some(a), Some(b)) => f(&a, &b).map(|n| Some(n.to_text())).map_err(error),
        _ => Ok(None),
    }
}

/// Registers the `rc_num_*` functions, `rc_num`, and the `rc_numeric`
/// collation.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_collation(sqlmap::NUMERIC_COLLATION, compare_text)?;
    conn.create_scalar_function("rc_num", 1, flags, |ctx| unary(ctx, |x| Ok(x.clone())))?;
    conn.create_scalar_function("rc_num_cast", 3, flags, cast)?;
    conn.create_scalar_function("rc_num_add", 2, flags, |ctx| binary(ctx, Numeric::add))?;
    conn.create_scalar_function("rc_num_sub", 2, flags, |ctx| binary(ctx, Numeric::sub))?;
    conn.create_scalar_function("rc_num_mul", 2, flags, |ctx| binary(ctx, Numeric::mul))?;
    conn.create_scalar_function("rc_num_div", 2, flags, |ctx| binary(ctx, Numeric::div))?;
    conn.create_scalar_function("rc_num_mod", 2, flags, |ctx| binary(ctx, Numeric::rem))?;
    conn.create_scalar_function("rc_num_neg", 1, flags, |ctx| unary(ctx, |x| Ok(x.neg())))?;
    conn.create_scalar_function("rc_num_abs", 1, flags, |ctx| unary(ctx, |x| Ok(x.abs())))?;
    conn.create_scalar_function("rc_num_sign", 1, flags, |ctx| unary(ctx, |x| Ok(x.sign())))?;
    conn.create_scalar_function("rc_num_ceil", 1, flags, |ctx| unary(ctx, Numeric::ceil))?;
    conn.create_scalar_function("rc_num_floor", 1, flags, |ctx| unary(ctx, Numeric::floor))?;
    conn.create_scalar_function("rc_num_round", 2, flags, |ctx| places(ctx, Numeric::round))?;
    conn.create_scalar_function("rc_num_trunc", 2, flags, |ctx| places(ctx, Numeric::trunc))?;
    conn.create_scalar_function("rc_num_int", 2, flags, to_int)?;
    conn.create_aggregate_function("rc_num_sum", 1, flags, SumOf { mean: false })?;
    conn.create_aggregate_function("rc_num_avg", 1, flags, SumOf { mean: true })?;
    Ok(())
}

/// `rc_num_cast(x, precision, scale)`: `x::numeric(precision, scale)`
/// (NULL modifiers: unconstrained).
fn cast(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    let modifier = |i: usize| -> rusqlite::Result<Option<u32>> {
        Ok(int_arg(ctx, i, "type modifier")?.and_then(|m| u32::try_from(m).ok()))
    };
    let (precision, scale) = (modifier(1)?, modifier(2)?);
    unary(ctx, |x| x.with_typmod(precision, scale))
}

/// `round(x, places)` and `trunc(x, places)`.
fn places(
    ctx: &mut Context<'_>,
    f: fn(&Numeric, i64) -> Result<Numeric, NumericError>,
) -> rusqlite::Result<Option<String>> {
    let Some(places) = int_arg(ctx, 1, "number of decimal places")? else { return Ok(None) };
    unary(ctx, |x| f(x, places))
}

/// `rc_num_int(x, bits)`: `x::smallint|integer|bigint`, rounded half away
/// from zero.
fn to_int(ctx: &mut Context<'_>) -> rusqlite::Result<Option<i64>> {
    let (name, min, max) = crate::pgfns::int_type(ctx.get(1)?);
    let Some(x) = arg(ctx, 0)? else { return Ok(None) };
    match x {
        Numeric::NaN => Err(fail("0A000", format!("cannot convert NaN to {name}"))),
        Numeric::Infinity { .. } => Err(fail("0A000", format!("cannot convert infinity to {name}"))),
        Numeric::Finite(_) => match x.to_i64_rounded() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(fail("22003", format!("{name} out of range"))),
        },
    }
}

/// `rc_num_sum(x)` and `rc_num_avg(x)`: exact, NULL over no rows.
struct SumOf {
    mean: bool,
}

impl Aggregate<Sum, Option<String>> for SumOf {
    fn init(&self, _ctx: &mut Context<'_>) -> rusqlite::Result<Sum> {
        Ok(Sum::default())
    }

    fn step(&self, ctx: &mut Context<'_>, sum: &mut Sum) -> rusqlite::Result<()> {
        match ctx.get_raw(0) {
            ValueRef::Null => Ok(()),
            ValueRef::Text(bytes) => sum.add_text(&String::from_utf8_lossy(bytes)).map_err(error),
            other => match value(other)? {
                Some(n) => sum.add(&n).map_err(error),
                None => Ok(()),
            },
        }
    }

    fn finalize(&self, _ctx: &mut Context<'_>, sum: Option<Sum>) -> rusqlite::Result<Option<String>> {
        let Some(sum) = sum else { return Ok(None) };
        let result = if self.mean { sum.mean().map_err(error)? } else { sum.total() };
        Ok(result.map(|n| n.to_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        crate::pgfns::register(&c).unwrap();
        c
    }

    fn one(c: &Connection, sql: &str) -> Result<rusqlite::types::Value, String> {
        c.query_row(sql, [], |r| r.get(0)).map_err(|e| e.to_string())
    }

    fn text(c: &Connection, sql: &str) -> String {
        match one(c, sql) {
            Ok(rusqlite::types::Value::Text(t)) => t,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn arithmetic_and_casts_are_exact() {
        let c = conn();
        assert_eq!(one(&c, "SELECT rc_num_add('0.1', '0.2') COLLATE rc_numeric = '0.3'"), Ok(1.into()));
        assert_eq!(text(&c, "SELECT rc_num_div('1', 3)"), "0.33333333333333333333");
        assert_eq!(text(&c, "SELECT rc_num_mul('1.10', 3)"), "3.30");
        assert_eq!(text(&c, "SELECT rc_num_cast(1.005, 10, 2)"), "1.01");
        assert_eq!(text(&c, "SELECT rc_num_cast('7', 10, 2)"), "7.00");
        assert_eq!(text(&c, "SELECT rc_num_round('2.5', 0)"), "3");
        assert_eq!(text(&c, "SELECT rc_num_trunc('-2.99', 1)"), "-2.9");
        assert_eq!(one(&c, "SELECT rc_num_int('-2.5', 32)"), Ok((-3i64).into()));
        assert_eq!(one(&c, "SELECT rc_num_add(NULL, '1')"), Ok(rusqlite::types::Value::Null));
        for (sql, sqlstate) in [
            ("SELECT rc_num_div('1', '0')", "22012"),
            ("SELECT rc_num_cast('123.4', 3, 1)", "22003"),
            ("SELECT rc_num('x')", "22P02"),
            ("SELECT rc_num_int('NaN', 32)", "0A000"),
            ("SELECT rc_num_int('3000000000', 32)", "22003"),
            ("SELECT rc_num(x'00')", "42846"),
        ] {
            let e = one(&c, sql).unwrap_err();
            assert!(e.contains(&format!("rowchain:{sqlstate}:")), "{sql}: {e}");
        }
    }

    #[test]
    fn a_numeric_column_orders_groups_and_keys_by_value() {
        let c = conn();
        c.execute_batch(
            "CREATE TABLE t (v TEXT COLLATE rc_numeric UNIQUE) STRICT;
             INSERT INTO t VALUES ('10'), ('9.5'), ('-1'), ('NaN'), ('0.25'), ('-Infinity');",
        )
        .unwrap();
        let order: Vec<String> = c
            .prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(order, ["-Infinity", "-1", "0.25", "9.5", "10", "NaN"]);
        // 10.0 is 10: the key is taken.
        let e = c.execute("INSERT INTO t VALUES ('10.0')", []).unwrap_err().to_string();
        assert!(e.contains("UNIQUE"), "{e}");
        assert_eq!(text(&c, "SELECT max(v) FROM t WHERE v <> 'NaN'"), "10");
        assert_eq!(one(&c, "SELECT count(*) FROM t WHERE v > 9"), Ok(3.into()));
        assert_eq!(one(&c, "SELECT count(*) FROM t WHERE v = '0.250'"), Ok(1.into()));
    }

    #[test]
    fn sums_and_means_are_exact() {
        let c = conn();
        c.execute_batch("CREATE TABLE m (v TEXT COLLATE rc_numeric) STRICT;").unwrap();
        let mut insert = c.prepare("INSERT INTO m VALUES (?1)").unwrap();
        for _ in 0..10_000 {
            insert.execute(["0.01"]).unwrap();
        }
        insert.execute(["0.10"]).unwrap();
        assert_eq!(text(&c, "SELECT rc_num_sum(v) FROM m"), "100.10");
        assert_eq!(text(&c, "SELECT rc_num_avg(v) FROM m WHERE v = '0.1'"), "0.10000000000000000000");
        assert_eq!(one(&c, "SELECT rc_num_sum(v) FROM m WHERE 0"), Ok(rusqlite::types::Value::Null));
        assert_eq!(text(&c, "SELECT rc_num_sum(DISTINCT v) FROM m"), "0.11");
    }
}
