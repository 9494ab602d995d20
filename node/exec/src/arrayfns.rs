//! PostgreSQL's one-dimensional arrays as SQLite functions, registered on
//! every connection that runs planned SQL (the executor's and the
//! readers'), so an array is built, checked and taken apart the same way in
//! a write that every validator executes and in a read. A consensus rule:
//! what these return is what a block stores.
//!
//! An array is its text form, `{1,"a b",NULL}` ([`sqlmap::arrays`]); the
//! catalog's `int2vector` / `oidvector` are `1 2 3`, subscripts from 0.
//!
//! | SQL                                   | function                                  |
//! | ------------------------------------- | ----------------------------------------- |
//! | `ARRAY[a, b]`                         | `rc_array(a, b)`                          |
//! | a value written to an `int[]` column  | `rc_array_in(x, 'integer[]')` (canonical) |
//! | `x::int2vector`, `x::oidvector`       | `rc_vector(x)`                            |
//! | `x = ANY(a)`                          | `rc_array_contains(a, x)`                 |
//! | `a[i]`                                | `rc_array_get(a, i)`                      |
//! | `array_agg(x)`                        | `rc_array_agg(x)` (an aggregate)          |
//! | `unnest(a)` in a SELECT list          | `rc_srf_series`, `rc_array_elem`, `rc_array_sub` |
//! | `unnest(a)` in FROM                   | `json_each(rc_array_json(a))`             |
//!
//! and `array_length`, `array_upper`, `array_lower`, `cardinality`,
//! `array_position`, `array_cat`, `array_to_string` under their own names.

use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::{Value as V, ValueRef};
use rusqlite::Connection;

use crate::pgfns::fail;

/// Elements one array may hold, as [`sqlmap::arrays::ELEMENTS_MAX`].
const ELEMENTS_MAX: usize = sqlmap::arrays::ELEMENTS_MAX;

/// A parsed array: its elements and the subscript of the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgArray {
    pub elements: Vec<Option<String>>,
    pub lower: i64,
}

impl PgArray {
    /// `{..}` (subscripts from 1) or an int2vector/oidvector's `1 2 3`
    /// (from 0).
    pub fn parse(text: &str) -> Option<PgArray> {
        let t = text.trim();
        if t.starts_with('{') {
            return Some(PgArray { elements: sqlmap::arrays::parse(t)?, lower: 1 });
        }
        let elements: Option<Vec<Option<String>>> =
            t.split_whitespace().map(|part| part.parse::<i64>().ok().map(|_| Some(part.to_string()))).collect();
        Some(PgArray { elements: elements?, lower: 0 })
    }

    pub fn upper(&self) -> Option<i64> {
        (!self.elements.is_empty()).then(|| self.lower + self.elements.len() as i64 - 1)
    }

    pub fn get(&self, subscript: i64) -> Option<&str> {
        let index = usize::try_from(subscript.checked_sub(self.lower)?).ok()?;
        self.elements.get(index)?.as_deref()
    }
}

/// An int2vector / oidvector: `1 2 3`.
pub fn vector<I: IntoIterator<Item = i64>>(items: I) -> String {
    items.into_iter().map(|i| i.to_string()).collect::<Vec<_>>().join(" ")
}

/// An SQL function's argument `i` as text (a number as its decimal text),
/// `None` for NULL: how the array, jsonb and catalog functions read text.
pub fn text_arg(ctx: &Context<'_>, i: usize) -> Option<String> {
    value_text(&ctx.get_raw(i))
}

fn value_text(v: &ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// An SQL function's argument `i` as an integer (a real truncated, text
/// parsed), `None` for NULL or anything else.
pub fn int_arg(ctx: &Context<'_>, i: usize) -> Option<i64> {
    match ctx.get_raw(i) {
        ValueRef::Integer(n) => Some(n),
        ValueRef::Real(f) => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn array_arg(ctx: &Context<'_>, i: usize) -> Option<PgArray> {
    text_arg(ctx, i).and_then(|t| PgArray::parse(&t))
}

/// The value an element's text compares equal to: an integer as an
/// integer, when the text is that integer's canonical form (how an integer
/// array stores it), so a text element such as `007` or `+5` stays text.
fn element_value(s: &str) -> V {
    match s.parse::<i64>() {
        Ok(n) if n.to_string() == s => V::Integer(n),
        _ => V::Text(s.to_string()),
    }
}

fn too_large() -> rusqlite::Error {
    fail("54000", format!("array size exceeds the maximum allowed ({ELEMENTS_MAX})"))
}

type Scalar = fn(&Context<'_>) -> rusqlite::Result<V>;

const SCALARS: &[(&str, i32, Scalar)] = &[
    ("rc_array", -1, rc_array),
    ("rc_array_in", 2, rc_array_in),
    ("rc_vector", 1, rc_vector),
    ("rc_array_contains", 2, array_contains),
    ("rc_array_get", 2, array_get),
    ("rc_array_elem", 2, array_elem),
    ("rc_array_sub", 2, array_sub),
    ("rc_array_json", 1, array_json),
    ("rc_srf_series", -1, srf_series),
    ("array_to_string", 2, array_to_string),
    ("array_to_string", 3, array_to_string),
    ("array_upper", 2, |ctx| Ok(array_arg(ctx, 0).and_then(|a| a.upper()).map(V::Integer).unwrap_or(V::Null))),
    ("array_lower", 2, |ctx| {
        Ok(array_arg(ctx, 0).filter(|a| !a.elements.is_empty()).map(|a| V::Integer(a.lower)).unwrap_or(V::Null))
    }),
    ("array_length", 2, |ctx| {
        Ok(array_arg(ctx, 0)
            .filter(|a| !a.elements.is_empty())
            .map(|a| V::Integer(a.elements.len() as i64))
            .unwrap_or(V::Null))
    }),
    ("cardinality", 1, |ctx| Ok(array_arg(ctx, 0).map(|a| V::Integer(a.elements.len() as i64)).unwrap_or(V::Null))),
    ("array_position", 2, array_position),
    ("array_cat", 2, array_cat),
];

/// Registers the array functions and the `rc_array_agg` aggregate.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    for (name, arguments, function) in SCALARS {
        let f = *function;
        conn.create_scalar_function(*name, *arguments, flags, move |ctx| f(ctx))?;
    }
    conn.create_aggregate_function("rc_array_agg", 1, flags, ArrayAgg)?;
    Ok(())
}

fn rc_array(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let elements: Vec<Option<String>> = (0..ctx.len()).map(|i| text_arg(ctx, i)).collect();
    Ok(V::Text(sqlmap::arrays::format(&elements)))
}

/// `rc_array_in(x, 'integer[]')`: `x` as a value of that array type, in its
/// canonical text ([`sqlmap::arrays::canonical`]), or PostgreSQL's error.
fn rc_array_in(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(text) = text_arg(ctx, 0) else { return Ok(V::Null) };
    let name = text_arg(ctx, 1).unwrap_or_default();
    let Some(sqlmap::PgType::Array(array)) = sqlmap::PgType::parse_name(&name) else {
        return Err(fail("42704", format!("type \"{name}\" does not exist")));
    };
    sqlmap::arrays::canonical(&text, array.element()).map(V::Text).map_err(|e| fail(e.sqlstate, e.message))
}

/// `x::int2vector` / `x::oidvector`: the integers of an array (or of a
/// vector already) as the catalog prints vectors, `1 2 3`.
fn rc_vector(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(text) = text_arg(ctx, 0) else { return Ok(V::Null) };
    let Some(a) = PgArray::parse(&text) else {
        return Err(fail("22P02", format!("invalid input syntax for type oidvector: \"{text}\"")));
    };
    let mut numbers = Vec::with_capacity(a.elements.len());
    for element in &a.elements {
        match element.as_deref().map(|e| e.trim().parse::<i64>()) {
            Some(Ok(n)) => numbers.push(n),
            _ => return Err(fail("22P02", format!("invalid input syntax for type oidvector: \"{text}\""))),
        }
    }
    Ok(V::Text(vector(numbers)))
}

fn array_contains(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(a), Some(x)) = (array_arg(ctx, 0), text_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    if a.elements.iter().any(|e| e.as_deref() == Some(x.as_str())) {
        return Ok(V::Integer(1));
    }
    // `x = ANY(array with NULL)` is NULL when nothing matched, as in PostgreSQL.
    Ok(if a.elements.iter().any(Option::is_none) { V::Null } else { V::Integer(0) })
}

fn array_get(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(a), Some(i)) = (array_arg(ctx, 0), int_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    Ok(a.get(i).map(element_value).unwrap_or(V::Null))
}

/// The `i`-th (from 0) element, for `unnest` in a SELECT list.
fn array_elem(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(a), Some(i)) = (array_arg(ctx, 0), int_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    Ok(usize::try_from(i)
        .ok()
        .and_then(|i| a.elements.get(i))
        .and_then(|e| e.as_deref())
        .map(element_value)
        .unwrap_or(V::Null))
}

/// The subscript of the `i`-th (from 0) element, for `generate_subscripts`.
fn array_sub(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(a), Some(i)) = (array_arg(ctx, 0), int_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    Ok(match usize::try_from(i) {
        Ok(index) if index < a.elements.len() => V::Integer(a.lower + i),
        _ => V::Null,
    })
}

fn array_json(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(a) = array_arg(ctx, 0) else {
        return Ok(V::Text("[]".into()));
    };
    let items: Vec<serde_json::Value> = a
        .elements
        .iter()
        .map(|e| match e.as_deref().map(element_value) {
            None => serde_json::Value::Null,
            Some(V::Integer(n)) => n.into(),
            Some(V::Text(s)) => s.into(),
            Some(_) => serde_json::Value::Null,
        })
        .collect();
    Ok(V::Text(serde_json::Value::Array(items).to_string()))
}

/// `[0, 1, ..]` as long as the longest array argument (SRFs in one SELECT
/// list run in lockstep).
fn srf_series(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let longest = (0..ctx.len()).filter_map(|i| array_arg(ctx, i)).map(|a| a.elements.len()).max().unwrap_or(0);
    let items: Vec<String> = (0..longest).map(|i| i.to_string()).collect();
    Ok(V::Text(format!("[{}]", items.join(","))))
}

fn array_to_string(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(a), Some(sep)) = (array_arg(ctx, 0), text_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    let null = if ctx.len() > 2 { text_arg(ctx, 2) } else { None };
    let parts: Vec<String> = a.elements.into_iter().filter_map(|e| e.or_else(|| null.clone())).collect();
    Ok(V::Text(parts.join(&sep)))
}

fn array_position(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(a), Some(x)) = (array_arg(ctx, 0), text_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    Ok(a.elements
        .iter()
        .position(|e| e.as_deref() == Some(x.as_str()))
        .map(|p| V::Integer(a.lower + p as i64))
        .unwrap_or(V::Null))
}

/// `array_cat(a, b)`: `a`'s elements then `b`'s; a NULL array adds none.
fn array_cat(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (a, b) = (array_arg(ctx, 0), array_arg(ctx, 1));
    let elements: Vec<Option<String>> = match (a, b) {
        (None, None) => return Ok(V::Null),
        (Some(a), None) => a.elements,
        (None, Some(b)) => b.elements,
        (Some(a), Some(b)) => a.elements.into_iter().chain(b.elements).collect(),
    };
    if elements.len() > ELEMENTS_MAX {
        return Err(too_large());
    }
    Ok(V::Text(sqlmap::arrays::format(&elements)))
}

/// `array_agg`: the collected values as PostgreSQL's array text.
struct ArrayAgg;

impl Aggregate<Vec<Option<String>>, V> for ArrayAgg {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Vec<Option<String>>> {
        Ok(Vec::new())
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<Option<String>>) -> rusqlite::Result<()> {
        if acc.len() >= ELEMENTS_MAX {
            return Err(too_large());
        }
        acc.push(value_text(&ctx.get_raw(0)));
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, acc: Option<Vec<Option<String>>>) -> rusqlite::Result<V> {
        Ok(match acc {
            Some(items) if !items.is_empty() => V::Text(sqlmap::arrays::format(&items)),
            _ => V::Null,
        })
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

    fn one(c: &Connection, sql: &str) -> rusqlite::Result<Option<String>> {
        c.query_row(sql, [], |r| r.get::<_, Option<String>>(0))
    }

    #[test]
    fn values_written_to_array_columns_are_canonical() {
        let c = conn();
        assert_eq!(one(&c, "SELECT rc_array_in(' { 1 , +2,NULL} ', 'integer[]')").unwrap().unwrap(), "{1,2,NULL}");
        assert_eq!(one(&c, "SELECT rc_array_in(rc_array(1, 0), 'boolean[]')").unwrap().unwrap(), "{t,f}");
        assert_eq!(one(&c, "SELECT rc_array_in('{\"a b\",\"\",ü}', 'text[]')").unwrap().unwrap(), "{\"a b\",\"\",ü}");
        assert_eq!(one(&c, "SELECT rc_array_in('{1.50}', 'numeric(5,1)[]')").unwrap().unwrap(), "{1.5}");
        assert_eq!(one(&c, "SELECT rc_array_in(NULL, 'integer[]')").unwrap(), None);
    }

    #[test]
    fn bad_array_values_fail_with_postgres_sqlstates() {
        let c = conn();
        for (sql, state) in [
            ("SELECT rc_array_in('{1,x}', 'integer[]')", "22P02"),
            ("SELECT rc_array_in('{1', 'integer[]')", "22P02"),
            ("SELECT rc_array_in('{{1,2},{3,4}}', 'integer[]')", "22P02"),
            ("SELECT rc_array_in('{99999}', 'smallint[]')", "22003"),
            ("SELECT rc_array_in('{abcd}', 'character varying(3)[]')", "22001"),
            ("SELECT rc_array_in('{1}', 'nosuch[]')", "42704"),
        ] {
            let message = one(&c, sql).unwrap_err().to_string();
            assert!(message.contains(&format!("rowchain:{state}:")), "{sql}: {message}");
        }
    }

    #[test]
    fn arrays_are_taken_apart_as_postgres_does() {
        let c = conn();
        assert_eq!(one(&c, "SELECT rc_array_get('{a,b}', 2)").unwrap().unwrap(), "b");
        assert_eq!(one(&c, "SELECT rc_array_get('{a,b}', -9223372036854775808)").unwrap(), None);
        assert_eq!(one(&c, "SELECT rc_vector('{0,1,2}')").unwrap().unwrap(), "0 1 2");
        assert_eq!(one(&c, "SELECT rc_array_contains('{1,NULL}', 3)").unwrap(), None);
        assert_eq!(one(&c, "SELECT array_length('{}', 1)").unwrap(), None);
        // A text element that merely parses as a number stays as written.
        assert_eq!(one(&c, "SELECT rc_array_json('{007,+5,7}')").unwrap().unwrap(), r#"["007","+5",7]"#);
        assert_eq!(one(&c, "SELECT typeof(rc_array_get('{007}', 1))").unwrap().unwrap(), "text");
    }
}
