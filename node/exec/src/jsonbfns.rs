//! PostgreSQL's jsonb containment and existence operators, and array
//! containment and overlap, as SQLite functions. sqlmap renders the
//! operators into these calls:
//!
//! | SQL                      | function                        |
//! | ------------------------ | ------------------------------- |
//! | `a @> b` (jsonb)         | `rc_jsonb_contains(a, b)`       |
//! | `a <@ b` (jsonb)         | `rc_jsonb_contains(b, a)`       |
//! | `a ? key`                | `rc_jsonb_exists(a, key)`       |
//! | `a ?\| keys` (text[])    | `rc_jsonb_exists_any(a, keys)`  |
//! | `a ?& keys` (text[])     | `rc_jsonb_exists_all(a, keys)`  |
//! | `a @> b` (arrays)        | `rc_array_contains_all(a, b)`   |
//! | `a <@ b` (arrays)        | `rc_array_contains_all(b, a)`   |
//! | `a && b` (arrays)        | `rc_array_overlaps(a, b)`       |
//!
//! They run in writes every validator executes (an UPDATE's WHERE), so what
//! they return is a consensus rule: pure functions of their arguments. A
//! NULL argument gives NULL, as PostgreSQL's strict operators do; a jsonb
//! operand that is not JSON fails with 22P02, an array operand that is not
//! an array literal likewise.
//!
//! jsonb values are stored as normalised JSON text (`pgfns::rc_jsonb`) and
//! parsed here with serde_json, whose parser stops at depth 128, so the
//! recursion below follows a value no deeper than that. Numbers are
//! serde_json's (i64, u64 or f64): `1`, `1.0` and `1e0` are equal, as
//! PostgreSQL's numeric makes them, but digits past f64's precision are
//! already lost when a jsonb value is stored.

use std::collections::BTreeSet;

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::Value as Json;

use crate::arrayfns::text_arg;
use crate::pgfns::fail;

/// Comparisons one containment check may make before it gives up with
/// 54000. PostgreSQL's own check is quadratic in the containers of two
/// arrays; a write runs on every validator, so one statement must not stall
/// the chain (about a second of work).
pub const CONTAINMENT_STEPS_MAX: u64 = 10_000_000;

type Predicate = fn(&Context<'_>) -> rusqlite::Result<Option<bool>>;

const PREDICATES: &[(&str, Predicate)] = &[
    ("rc_jsonb_contains", jsonb_contains),
    ("rc_jsonb_exists", jsonb_exists),
    ("rc_jsonb_exists_any", |ctx| jsonb_exists_of(ctx, Quantifier::Any)),
    ("rc_jsonb_exists_all", |ctx| jsonb_exists_of(ctx, Quantifier::All)),
    ("rc_array_contains_all", array_contains_all),
    ("rc_array_overlaps", array_overlaps),
];

/// Registers the functions of the table in the module docs.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    for (name, predicate) in PREDICATES {
        let predicate = *predicate;
        conn.create_scalar_function(*name, 2, flags, move |ctx| predicate(ctx))?;
    }
    Ok(())
}

/// PostgreSQL's message for text that is not JSON (its DETAIL, which names
/// the bad token, has no place here).
fn invalid_json() -> rusqlite::Error {
    fail("22P02", "invalid input syntax for type json".to_string())
}

/// Argument `i` as JSON; `None` for NULL. An integer or real stands for its
/// number (a jsonb column holding a number may come back as one).
fn json_arg(ctx: &Context<'_>, i: usize) -> rusqlite::Result<Option<Json>> {
    match ctx.get_raw(i) {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(Json::from(n))),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map(|n| Some(Json::Number(n))).ok_or_else(invalid_json),
        ValueRef::Text(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|_| invalid_json())?;
            serde_json::from_str(text).map(Some).map_err(|_| invalid_json())
        }
        ValueRef::Blob(_) => Err(invalid_json()),
    }
}

/// Argument `i` as the elements of a one-dimensional array literal
/// (`{a,"b c",NULL}`); `None` for NULL, 22P02 for anything else.
fn array_arg(ctx: &Context<'_>, i: usize) -> rusqlite::Result<Option<Vec<Option<String>>>> {
    let Some(text) = text_arg(ctx, i) else { return Ok(None) };
    match sqlmap::arrays::parse(&text) {
        Some(elements) => Ok(Some(elements)),
        None => Err(fail("22P02", format!("malformed array literal: \"{text}\""))),
    }
}

/// `a @> b` on jsonb.
fn jsonb_contains(ctx: &Context<'_>) -> rusqlite::Result<Option<bool>> {
    let (Some(container), Some(contained)) = (json_arg(ctx, 0)?, json_arg(ctx, 1)?) else {
        return Ok(None);
    };
    let mut steps = 0;
    let result = top_contains(&container, &contained, &mut steps);
    result.map(Some).ok_or_else(|| fail("54000", "jsonb containment check is too complex".to_string()))
}

/// jsonb containment at the top level, where PostgreSQL stores a scalar as
/// a one-element "raw scalar" array: an array contains a scalar it has as
/// an element (`[1,2] @> 1`), but a scalar contains no array (`1 @> [1]`
/// is false). Below the top, a scalar is contained only by an equal scalar.
/// `None` when the check would take more than [`CONTAINMENT_STEPS_MAX`].
fn top_contains(container: &Json, contained: &Json, steps: &mut u64) -> Option<bool> {
    match (container, contained) {
        (Json::Array(items), scalar) if is_scalar(scalar) => array_contains(items, std::slice::from_ref(scalar), steps),
        _ => contains(container, contained, steps),
    }
}

fn is_scalar(value: &Json) -> bool {
    !matches!(value, Json::Array(_) | Json::Object(_))
}

/// PostgreSQL's `JsonbDeepContains`: an object contains an object whose
/// keys it all has with contained values; an array contains an array each
/// of whose elements it contains, in any order and however often
/// repeated; a container never contains one of the other kind, nor a
/// scalar (below the top level); a scalar only an equal scalar.
fn contains(container: &Json, contained: &Json, steps: &mut u64) -> Option<bool> {
    *steps += 1;
    if *steps > CONTAINMENT_STEPS_MAX {
        return None;
    }
    match (container, contained) {
        (Json::Object(have), Json::Object(want)) => {
            for (key, value) in want {
                let Some(found) = have.get(key) else { return Some(false) };
                if !contains(found, value, steps)? {
                    return Some(false);
                }
            }
            Some(true)
        }
        (Json::Array(have), Json::Array(want)) => array_contains(have, want, steps),
        (Json::Array(_) | Json::Object(_), _) | (_, Json::Array(_) | Json::Object(_)) => Some(false),
        (a, b) => Some(scalar_key(a) == scalar_key(b)),
    }
}

/// Whether the elements `have` contain every element of `want`. Scalars
/// are looked up in a set (a long array of scalars is the common case and
/// must not cost |have|·|want|); each container of `want` is compared with
/// the containers of `have`, as PostgreSQL does.
fn array_contains(have: &[Json], want: &[Json], steps: &mut u64) -> Option<bool> {
    *steps = steps.saturating_add(have.len() as u64);
    if *steps > CONTAINMENT_STEPS_MAX {
        return None;
    }
    let scalars: BTreeSet<ScalarKey<'_>> = have.iter().filter_map(scalar_key).collect();
    let containers: Vec<&Json> = have.iter().filter(|v| !is_scalar(v)).collect();
    for element in want {
        match scalar_key(element) {
            Some(key) => {
                *steps += 1;
                if !scalars.contains(&key) {
                    return Some(false);
                }
            }
            None => {
                let mut found = false;
                for candidate in &containers {
                    if contains(candidate, element, steps)? {
                        found = true;
                        break;
                    }
                }
                if !found {
                    return Some(false);
                }
            }
        }
    }
    Some(true)
}

/// A scalar's identity under PostgreSQL's jsonb equality: numbers by
/// value (an integral float is its integer), strings by their characters.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ScalarKey<'a> {
    Null,
    Bool(bool),
    Integer(i128),
    /// A float that is not integral (or too large for i128), by its bits:
    /// JSON has no NaN, and two such floats are equal only if identical.
    Float(u64),
    String(&'a str),
}

/// The key of a scalar; `None` for an array or object.
fn scalar_key(value: &Json) -> Option<ScalarKey<'_>> {
    // 2^127 (i128::MAX rounds up to it): below it an integral f64
    // converts to i128 exactly.
    const I128_BOUND: f64 = i128::MAX as f64;
    Some(match value {
        Json::Null => ScalarKey::Null,
        Json::Bool(b) => ScalarKey::Bool(*b),
        Json::String(s) => ScalarKey::String(s),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarKey::Integer(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                ScalarKey::Integer(i128::from(u))
            } else {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < I128_BOUND {
                    ScalarKey::Integer(f as i128)
                } else {
                    ScalarKey::Float(f.to_bits())
                }
            }
        }
        Json::Array(_) | Json::Object(_) => return None,
    })
}

/// The strings `?` finds in a value: an object's keys, the string elements
/// of an array, or a string scalar itself (PostgreSQL's raw scalar array).
/// Nothing below the top level counts.
fn top_level_strings(value: &Json) -> BTreeSet<&str> {
    match value {
        Json::Object(map) => map.keys().map(String::as_str).collect(),
        Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
        Json::String(s) => BTreeSet::from([s.as_str()]),
        _ => BTreeSet::new(),
    }
}

/// `a ? key`.
fn jsonb_exists(ctx: &Context<'_>) -> rusqlite::Result<Option<bool>> {
    let Some(document) = json_arg(ctx, 0)? else { return Ok(None) };
    let Some(key) = text_arg(ctx, 1) else { return Ok(None) };
    Ok(Some(top_level_strings(&document).contains(key.as_str())))
}

#[derive(Clone, Copy)]
enum Quantifier {
    Any,
    All,
}

/// `a ?| keys` (any) and `a ?& keys` (all); NULL elements of `keys` are
/// skipped, so `?|` of no keys is false and `?&` of none is true.
fn jsonb_exists_of(ctx: &Context<'_>, quantifier: Quantifier) -> rusqlite::Result<Option<bool>> {
    let Some(document) = json_arg(ctx, 0)? else { return Ok(None) };
    let Some(keys) = array_arg(ctx, 1)? else { return Ok(None) };
    let strings = top_level_strings(&document);
    let mut keys = keys.iter().flatten();
    Ok(Some(match quantifier {
        Quantifier::Any => keys.any(|k| strings.contains(k.as_str())),
        Quantifier::All => keys.all(|k| strings.contains(k.as_str())),
    }))
}

/// The non-NULL elements of an array, for lookups. Arrays are compared by
/// the text of their elements, which the planner and `rc_array_in` make
/// canonical for the element type, so equal values are equal text.
fn element_set(elements: &[Option<String>]) -> BTreeSet<&str> {
    elements.iter().flatten().map(String::as_str).collect()
}

/// `a @> b` on arrays: every element of `b` is an element of `a`. A NULL
/// equals nothing, so a `b` with a NULL is not contained.
fn array_contains_all(ctx: &Context<'_>) -> rusqlite::Result<Option<bool>> {
    let (Some(have), Some(want)) = (array_arg(ctx, 0)?, array_arg(ctx, 1)?) else {
        return Ok(None);
    };
    let have = element_set(&have);
    Ok(Some(want.iter().all(|e| e.as_deref().is_some_and(|e| have.contains(e)))))
}

/// `a && b` on arrays: some non-NULL element is in both.
fn array_overlaps(ctx: &Context<'_>) -> rusqlite::Result<Option<bool>> {
    let (Some(have), Some(want)) = (array_arg(ctx, 0)?, array_arg(ctx, 1)?) else {
        return Ok(None);
    };
    let have = element_set(&have);
    Ok(Some(want.iter().flatten().any(|e| have.contains(e.as_str()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        crate::pgfns::register(&c).unwrap();
        c
    }

    /// The answer as PostgreSQL prints a boolean (`t`, `f`, or `` for NULL).
    fn answer(c: &Connection, sql: &str) -> Result<String, (String, String)> {
        c.query_row(sql, [], |r| r.get::<_, Option<bool>>(0))
            .map(|b| b.map_or("", |b| if b { "t" } else { "f" }).to_string())
            .map_err(|e| {
                let err = crate::executor::sql_error(&e);
                (err.sqlstate.to_string(), err.message)
            })
    }

    /// Each `(a, b, PostgreSQL 15's answer to a::jsonb @> b::jsonb)`.
    const CONTAINS: &[(&str, &str, &str)] = &[
        (r#"{"a":[1,2]}"#, r#"{"a":[2]}"#, "t"),
        ("[1,2]", "1", "t"),
        ("1", "[1]", "f"),
        ("1", "1", "t"),
        ("[1]", "[1,1]", "t"),
        ("[1,[2]]", "[2]", "f"),
        ("[[1,2]]", "[[1]]", "t"),
        (r#"[{"a":1,"b":2}]"#, r#"[{"a":1}]"#, "t"),
        (r#"{"a":[1]}"#, r#"{"a":1}"#, "f"),
        (r#"{"a":1.0}"#, r#"{"a":1}"#, "t"),
        (r#"{"a":1}"#, "{}", "t"),
        ("[]", "{}", "f"),
        ("{}", "[]", "f"),
        ("[1,2]", "[]", "t"),
        (r#""foo""#, r#""foo""#, "t"),
        (r#"["foo"]"#, r#""foo""#, "t"),
        ("[2,1,3]", "[1,2]", "t"),
        ("null", "null", "t"),
        ("[null]", "null", "t"),
        (r#"{"a":{"b":1,"c":2}}"#, r#"{"a":{"c":2}}"#, "t"),
        ("[[1,2],[3]]", "[1]", "f"),
        (r#"[{"a":1}]"#, "[[]]", "f"),
        ("[[]]", "[{}]", "f"),
        ("1e2", "100", "t"),
        (r#"{"a":"x"}"#, r#"{"a":"x","b":null}"#, "f"),
        ("[true]", "true", "t"),
        ("[1, 2]", "[1.0]", "t"),
        ("1", "[]", "f"),
        (r#"{"a":1,"a":2}"#, r#"{"a":1}"#, "f"),
        (r#"{"é":"\u00e9"}"#, r#"{"\u00e9":"é"}"#, "t"),
        ("[1.5]", "1.5", "t"),
        ("9007199254740993", "9007199254740992", "f"),
        (r#"{"genre":"letters","pages":3}"#, r#"{"genre":"letters"}"#, "t"),
    ];

    #[test]
    fn jsonb_containment_answers_as_postgresql_15() {
        let c = conn();
        for (a, b, expected) in CONTAINS {
            let sql = format!("SELECT rc_jsonb_contains('{a}', '{b}')");
            assert_eq!(answer(&c, &sql).as_deref(), Ok(*expected), "{a} @> {b}");
        }
    }

    #[test]
    fn jsonb_existence_answers_as_postgresql_15() {
        let c = conn();
        for (sql, expected) in [
            (r#"rc_jsonb_exists('{"a":1}', 'a')"#, "t"),
            (r#"rc_jsonb_exists('["a",1]', 'a')"#, "t"),
            (r#"rc_jsonb_exists('["a",1]', '1')"#, "f"),
            (r#"rc_jsonb_exists('"a"', 'a')"#, "t"),
            (r#"rc_jsonb_exists('{"b":{"a":1}}', 'a')"#, "f"),
            ("rc_jsonb_exists('1', '1')", "f"),
            (r#"rc_jsonb_exists('[["a"]]', 'a')"#, "f"),
            ("rc_jsonb_exists('null', 'null')", "f"),
            (r#"rc_jsonb_exists('{"a":null}', 'a')"#, "t"),
            (r#"rc_jsonb_exists_any('{"a":1,"b":2}', rc_array('x', 'b'))"#, "t"),
            (r#"rc_jsonb_exists_any('{"a":1}', '{}')"#, "f"),
            (r#"rc_jsonb_exists_all('{"a":1}', '{}')"#, "t"),
            (r#"rc_jsonb_exists_all('{"a":1,"b":2}', '{a,b}')"#, "t"),
            (r#"rc_jsonb_exists_all('{"a":1}', '{a,c}')"#, "f"),
            (r#"rc_jsonb_exists_all('{"a":1}', '{a,NULL}')"#, "t"),
            (r#"rc_jsonb_exists_any('{"a":1}', '{NULL,a}')"#, "t"),
            (r#"rc_jsonb_exists_all('["a","b"]', '{a,b}')"#, "t"),
            (r#"rc_jsonb_exists_any('{"a":1}', '{NULL}')"#, "f"),
            (r#"rc_jsonb_exists_all('{"a":1}', '{NULL}')"#, "t"),
            (r#"rc_jsonb_exists_any('{"a b":1}', '{"a b"}')"#, "t"),
        ] {
            assert_eq!(answer(&c, &format!("SELECT {sql}")).as_deref(), Ok(expected), "{sql}");
        }
    }

    #[test]
    fn array_containment_answers_as_postgresql_15() {
        let c = conn();
        for (sql, expected) in [
            ("rc_array_contains_all(rc_array(1, 2, 3), rc_array(3, 1, 1))", "t"),
            ("rc_array_contains_all('{1,NULL}', '{NULL}')", "f"),
            ("rc_array_contains_all('{1}', '{}')", "t"),
            ("rc_array_contains_all(rc_array(2, 1), rc_array(1, 2))", "t"),
            ("rc_array_contains_all('{1,2}', '{3}')", "f"),
            ("rc_array_overlaps(rc_array(1, 2), rc_array(2, 5))", "t"),
            ("rc_array_overlaps('{1,NULL}', '{NULL}')", "f"),
            ("rc_array_overlaps('{}', '{}')", "f"),
            ("rc_array_contains_all('{a,b}', '{b}')", "t"),
            (r#"rc_array_contains_all('{"a b",c}', rc_array('a b'))"#, "t"),
        ] {
            assert_eq!(answer(&c, &format!("SELECT {sql}")).as_deref(), Ok(expected), "{sql}");
        }
    }

    #[test]
    fn null_in_is_null_out() {
        let c = conn();
        for sql in [
            "rc_jsonb_contains(NULL, '{}')",
            "rc_jsonb_contains('{}', NULL)",
            "rc_jsonb_exists(NULL, 'a')",
            "rc_jsonb_exists('{}', NULL)",
            "rc_jsonb_exists_any('{}', NULL)",
            "rc_jsonb_exists_all(NULL, '{a}')",
            "rc_array_contains_all(NULL, '{1}')",
            "rc_array_overlaps('{1}', NULL)",
            "rc_jsonb_contains(NULL, NULL)",
        ] {
            assert_eq!(answer(&c, &format!("SELECT {sql}")).as_deref(), Ok(""), "{sql}");
        }
    }

    #[test]
    fn bad_operands_fail_with_postgresql_sqlstates() {
        let c = conn();
        let json = ("22P02".to_string(), "invalid input syntax for type json".to_string());
        for sql in [
            "rc_jsonb_contains('{x', '{}')",
            "rc_jsonb_contains('{}', 'nope')",
            "rc_jsonb_contains(X'7b7d', '{}')",
            "rc_jsonb_exists('', 'a')",
            "rc_jsonb_exists_any('[1', '{a}')",
            "rc_jsonb_exists_all('{\"a\":}', '{a}')",
        ] {
            assert_eq!(answer(&c, &format!("SELECT {sql}")), Err(json.clone()), "{sql}");
        }
        for (sql, message) in [
            ("rc_jsonb_exists_any('{}', 'a')", "malformed array literal: \"a\""),
            ("rc_array_contains_all('{1', '{1}')", "malformed array literal: \"{1\""),
            ("rc_array_overlaps('{1}', 7)", "malformed array literal: \"7\""),
        ] {
            assert_eq!(answer(&c, &format!("SELECT {sql}")), Err(("22P02".into(), message.into())), "{sql}");
        }
    }

    #[test]
    fn numbers_compare_by_value() {
        let c = conn();
        // A jsonb number read back as SQLite's integer or real is its number.
        assert_eq!(answer(&c, "SELECT rc_jsonb_contains('[1, 2.5]', 2.5)").as_deref(), Ok("t"));
        assert_eq!(answer(&c, "SELECT rc_jsonb_contains(1, '1.0')").as_deref(), Ok("t"));
        assert_eq!(answer(&c, "SELECT rc_jsonb_contains('[-0.0]', '0')").as_deref(), Ok("t"));
        // 2^64 - 1 is not the float 2^64, however close.
        let sql = "SELECT rc_jsonb_contains('[18446744073709551615]', '1.8446744073709552e19')";
        assert_eq!(answer(&c, sql).as_deref(), Ok("f"));
    }

    #[test]
    fn containment_work_is_bounded() {
        let c = conn();
        // `[[0],[1],..,[n-1]] @> [[n-1],..,[n-1]]` compares each of n
        // containers with n: about 3 steps each, so n = 1000 passes and
        // n = 3000 stops with 54000 rather than run on.
        let worst = |n: usize| {
            let have: Vec<String> = (0..n).map(|i| format!("[{i}]")).collect();
            let want = vec![format!("[{}]", n - 1); n];
            format!("SELECT rc_jsonb_contains('[{}]', '[{}]')", have.join(","), want.join(","))
        };
        assert_eq!(answer(&c, &worst(1000)).as_deref(), Ok("t"));
        assert_eq!(answer(&c, &worst(3000)).map_err(|e| e.0), Err("54000".to_string()));
        // Scalars are looked up, not scanned: 100k in 100k passes at once.
        let numbers = (0..100_000).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let scalars = format!("SELECT rc_jsonb_contains('[{numbers}]', '[{numbers}]')");
        assert_eq!(answer(&c, &scalars).as_deref(), Ok("t"));
    }
}
