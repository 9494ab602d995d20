//! PostgreSQL's input functions as SQLite functions.
//!
//! sqlmap renders casts and writes that PostgreSQL checks through these
//! (`'x'::int`, a string written to a jsonb column, ...): SQLite's own CAST
//! turns bad input into 0 where PostgreSQL fails with 22P02. They are pure
//! and deterministic, and registered on every connection that runs planned
//! SQL (the executor's, the speculating executor's, the readers'), so every
//! validator computes the same values.
//!
//! A failure carries its SQLSTATE in the message as `rowchain:XXXXX:` and
//! [`crate::executor::sql_error`] turns it back into that SQLSTATE.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

/// The message prefix that carries a SQLSTATE out of a SQLite function.
pub const SQLSTATE_PREFIX: &str = "rowchain:";

/// The SQLSTATEs these functions raise, so a parsed one can be `'static`.
pub const SQLSTATES: &[&str] = &[
    "22P02", "22003", "22012", "42846", "2201B", "22023", "42P01", "42704", "0A000", "22007", "22008", "57014",
    "42602", "42601", "42501", "2200H", "55000", "25006", "42703", "23514", "23502", "22021", "XX000", "22026",
    "22001", "54000", "22P03",
];

#[derive(Debug)]
struct PgFnError(String);

impl std::fmt::Display for PgFnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PgFnError {}

/// An SQL function's error that reaches the client with `sqlstate` (one of
/// [`SQLSTATES`]).
pub fn fail(sqlstate: &str, message: String) -> rusqlite::Error {
    // SQLite takes the message as a C string: a NUL in it (from input the
    // message quotes) would lose the message, and the SQLSTATE with it.
    let message = message.replace('\0', "\\0");
    rusqlite::Error::UserFunctionError(Box::new(PgFnError(format!("{SQLSTATE_PREFIX}{sqlstate}:{message}"))))
}

fn invalid(type_name: &str, text: &str) -> rusqlite::Error {
    fail("22P02", format!("invalid input syntax for type {type_name}: \"{text}\""))
}

fn cannot_cast(from: &str, to: &str) -> rusqlite::Error {
    fail("42846", format!("cannot cast type {from} to {to}"))
}

/// Registers `rc_int`, `rc_real`, `rc_bool`, `rc_div`, `rc_datetime`,
/// `rc_json`, `rc_jsonb`, the regex functions, and exact numeric's
/// functions and collation ([`crate::numfns`]).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("rc_int", 2, flags, to_int)?;
    conn.create_scalar_function("rc_real", 2, flags, to_real)?;
    conn.create_scalar_function("rc_bool", 1, flags, to_bool)?;
    conn.create_scalar_function("rc_div", 2, flags, divide)?;
    conn.create_scalar_function("rc_datetime", 2, flags, to_datetime)?;
    conn.create_scalar_function("rc_json", 1, flags, |ctx| to_json(ctx, false))?;
    conn.create_scalar_function("rc_jsonb", 1, flags, |ctx| to_json(ctx, true))?;
    conn.create_scalar_function("rc_json_path", 3, flags, json_path)?;
    conn.create_scalar_function("rc_regex", 3, flags, regex_match)?;
    conn.create_scalar_function("rc_regexp_replace", 4, flags, regexp_replace)?;
    crate::numfns::register(conn)?;
    crate::arrayfns::register(conn)?;
    crate::jsonbfns::register(conn)?;
    crate::scalarfns::register(conn)?;
    crate::typefns::register(conn)?;
    Ok(())
}

fn text_of<'a>(value: &'a ValueRef<'a>) -> Option<&'a str> {
    match value {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

/// The integer type of `bits` (16, 32, else 64): its name and range.
pub(crate) fn int_type(bits: i64) -> (&'static str, i64, i64) {
    match bits {
        16 => ("smallint", i64::from(i16::MIN), i64::from(i16::MAX)),
        32 => ("integer", i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => ("bigint", i64::MIN, i64::MAX),
    }
}

/// `rc_int(x, bits)`: `x::smallint|integer|bigint`.
fn to_int(ctx: &mut Context<'_>) -> rusqlite::Result<Option<i64>> {
    let (name, min, max) = int_type(ctx.get(1)?);
    let out_of_range = || fail("22003", format!("{name} out of range"));
    let value = ctx.get_raw(0);
    let n = match value {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(n) => n,
        ValueRef::Real(f) => {
            // numeric -> integer rounds half away from zero.
            let rounded = f.round();
            if !rounded.is_finite() || rounded < min as f64 || rounded > max as f64 {
                return Err(out_of_range());
            }
            rounded as i64
        }
        ValueRef::Text(_) => {
            let text = text_of(&value).unwrap_or_default();
            let trimmed = text.trim();
            let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
            if digits.is_empty() || !digits.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(name, text));
            }
            // Too many digits for i64 is out of range, not bad syntax.
            digits
                .parse::<i64>()
                .map_err(|_| fail("22003", format!("value \"{text}\" is out of range for type {name}")))?
        }
        ValueRef::Blob(_) => return Err(cannot_cast("bytea", name)),
    };
    if n < min || n > max {
        return Err(out_of_range());
    }
    Ok(Some(n))
}

/// `rc_real(x, type_name)`: `x::numeric|real|double precision`. SQLite
/// has no NaN (a NaN result becomes NULL), so NaN is the text `'NaN'`,
/// which the front ends print and send as a float NaN.
fn to_real(ctx: &mut Context<'_>) -> rusqlite::Result<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    let name: String = ctx.get(1)?;
    let value = ctx.get_raw(0);
    let float = match value {
        ValueRef::Null => return Ok(V::Null),
        ValueRef::Integer(n) => n as f64,
        ValueRef::Real(f) => f,
        ValueRef::Text(_) => {
            let text = text_of(&value).unwrap_or_default();
            parse_float(text).ok_or_else(|| invalid(&name, text))?
        }
        ValueRef::Blob(_) => return Err(cannot_cast("bytea", &name)),
    };
    Ok(if float.is_nan() { V::Text("NaN".into()) } else { V::Real(float) })
}

/// PostgreSQL's float input: decimal or exponent notation, `NaN`,
/// `Infinity`, `-Infinity` (any case), surrounding blanks allowed.
fn parse_float(text: &str) -> Option<f64> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "nan" => return Some(f64::NAN),
        "infinity" | "inf" => return Some(if lower.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY }),
        _ => {}
    }
    // Rust's parser also takes "inf"/"nan" spellings handled above; insist on digits.
    if !t.bytes().any(|b| b.is_ascii_digit()) || !t.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) {
        return None;
    }
    t.parse().ok()
}

/// `rc_div(a, b)`: `a / b` as SQLite computes it (integer division of
/// integers, truncating), except that dividing by zero fails with 22012
/// and the one overflowing quotient with 22003.
fn divide(ctx: &mut Context<'_>) -> rusqlite::Result<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    let number = |i: usize| -> rusqlite::Result<Option<V>> {
        Ok(match ctx.get_raw(i) {
            ValueRef::Null => None,
            ValueRef::Integer(n) => Some(V::Integer(n)),
            ValueRef::Real(f) => Some(V::Real(f)),
            // Text and blobs take SQLite's numeric conversion, as `/` does.
            ValueRef::Text(bytes) => {
                let t = String::from_utf8_lossy(bytes);
                let t = t.trim();
                Some(
                    t.parse::<i64>()
                        .map(V::Integer)
                        .or_else(|_| t.parse::<f64>().map(V::Real))
                        .unwrap_or(V::Integer(0)),
                )
            }
            ValueRef::Blob(_) => Some(V::Integer(0)),
        })
    };
    let (Some(a), Some(b)) = (number(0)?, number(1)?) else {
        return Ok(V::Null);
    };
    match (a, b) {
        (_, V::Integer(0)) => Err(fail("22012", "division by zero".into())),
        (_, V::Real(0.0)) => Err(fail("22012", "division by zero".into())),
        (V::Integer(x), V::Integer(y)) => {
            x.checked_div(y).map(V::Integer).ok_or_else(|| fail("22003", "bigint out of range".into()))
        }
        (V::Integer(x), V::Real(y)) => Ok(V::Real(x as f64 / y)),
        (V::Real(x), V::Integer(y)) => Ok(V::Real(x / y as f64)),
        (V::Real(x), V::Real(y)) => Ok(V::Real(x / y)),
        _ => Ok(V::Null),
    }
}

/// `rc_datetime(x, oid)`: `x::date|time|timestamp|timestamptz` (oid 1082, 1083, 1114,
/// 1184) in the one text form rowchain stores (see [`node_core::pgtime`]).
fn to_datetime(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    let oid: i64 = ctx.get(1)?;
    let oid = u32::try_from(oid).unwrap_or(1184);
    let name = node_core::pgtime::type_name(oid);
    let value = ctx.get_raw(0);
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Text(_) => {
            let text = text_of(&value).unwrap_or_default();
            node_core::pgtime::canonical(text, oid).map(Some).ok_or_else(|| match oid {
                // PostgreSQL's code for a bad time; dates and timestamps
                // have answered 22P02 since before, and receipts keep it.
                1083 if node_core::pgtime::time_out_of_range(text) => {
                    fail("22008", format!("date/time field value out of range: \"{text}\""))
                }
                1083 => fail("22007", format!("invalid input syntax for type {name}: \"{text}\"")),
                _ => invalid(name, text),
            })
        }
        ValueRef::Integer(_) => Err(cannot_cast("integer", name)),
        ValueRef::Real(_) => Err(cannot_cast("double precision", name)),
        ValueRef::Blob(_) => Err(cannot_cast("bytea", name)),
    }
}

/// `rc_bool(x)`: `x::boolean`.
fn to_bool(ctx: &mut Context<'_>) -> rusqlite::Result<Option<i64>> {
    let value = ctx.get_raw(0);
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(i64::from(n != 0))),
        ValueRef::Real(_) => Err(cannot_cast("double precision", "boolean")),
        ValueRef::Text(_) => {
            let text = text_of(&value).unwrap_or_default();
            sqlmap::parse_bool(text).map(|b| Some(i64::from(b))).ok_or_else(|| invalid("boolean", text))
        }
        ValueRef::Blob(_) => Err(cannot_cast("bytea", "boolean")),
    }
}

/// `rc_json(x)` checks that `x` is JSON and keeps its text; `rc_jsonb(x)`
/// also stores jsonb's normal form (see [`jsonb_text`]).
fn to_json(ctx: &mut Context<'_>, binary: bool) -> rusqlite::Result<Option<String>> {
    let type_name = if binary { "jsonb" } else { "json" };
    let value = ctx.get_raw(0);
    let text = match value {
        ValueRef::Null => return Ok(None),
        ValueRef::Text(_) => text_of(&value).unwrap_or_default().to_string(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Blob(_) => return Err(cannot_cast("bytea", type_name)),
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(parsed) if binary => Ok(Some(jsonb_of(&parsed))),
        Ok(_) => Ok(Some(text)),
        Err(_) => Err(invalid(type_name, &text)),
    }
}

/// `rc_json_path(json, path, as_text)`: PostgreSQL's `json #> text[]`
/// (`as_text` 0) and `#>>` (1). Each element of the path is a key of an
/// object or the index (from 0; negative from the end) of an array;
/// a step that finds nothing, or a NULL element, gives NULL. `#>` gives
/// the value found in jsonb's text form, `#>>` a string's own text, NULL
/// for JSON null, other values in jsonb's text form. A consensus rule: it
/// runs in writes.
fn json_path(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    let (document, path) = (ctx.get_raw(0), ctx.get_raw(1));
    let as_text = ctx.get::<i64>(2)? != 0;
    let (Some(document), Some(path)) = (text_of_json(&document), text_of(&path)) else {
        return Ok(None);
    };
    let Some(steps) = node_core::pgarray::parse(path) else {
        return Err(fail("22P02", format!("malformed array literal: \"{path}\"")));
    };
    let mut at: serde_json::Value = serde_json::from_str(&document).map_err(|_| invalid("json", &document))?;
    for step in steps {
        let Some(step) = step else { return Ok(None) };
        let next = match &mut at {
            serde_json::Value::Object(map) => map.remove(&step),
            serde_json::Value::Array(items) => {
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let index = step.trim().parse::<i64>().ok().map(|i| if i < 0 { len + i } else { i });
                index.and_then(|i| usize::try_from(i).ok()).filter(|i| *i < items.len()).map(|i| items.swap_remove(i))
            }
            _ => None,
        };
        let Some(next) = next else { return Ok(None) };
        at = next;
    }
    Ok(match at {
        serde_json::Value::Null if as_text => None,
        serde_json::Value::String(s) if as_text => Some(s),
        other => Some(jsonb_of(&other)),
    })
}

/// A json argument's text (an integer or real is its JSON number).
fn text_of_json(value: &ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Text(_) => text_of(value).map(str::to_string),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Null | ValueRef::Blob(_) => None,
    }
}

/// jsonb's text form: keys ordered as PostgreSQL stores them (shorter
/// first, then bytewise), the last of duplicate keys kept, `", "` and
/// `": "` between items. Text that is not JSON is returned as it is.
pub fn jsonb_text(s: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(v) => jsonb_of(&v),
        Err(_) => s.to_string(),
    }
}

fn jsonb_of(v: &serde_json::Value) -> String {
    fn write(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(map) => {
                let mut items: Vec<(&String, &serde_json::Value)> = map.iter().collect();
                items.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes())));
                out.push('{');
                for (i, (k, v)) in items.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push_str(": ");
                    write(v, out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        register(&c).unwrap();
        c
    }

    fn one(sql: &str) -> Result<rusqlite::types::Value, (String, String)> {
        conn().query_row(sql, [], |r| r.get(0)).map_err(|e| {
            let err = crate::executor::sql_error(&e);
            (err.sqlstate.to_string(), err.message)
        })
    }

    #[test]
    fn json_paths_walk_as_postgresql_does() {
        use rusqlite::types::Value::*;
        let doc = r#"'{"a": {"b": [10, {"c": "x y"}, null], "n": 1.5}, "k": "v"}'"#;
        let path = |p: &str, as_text: i64| one(&format!("SELECT rc_json_path({doc}, '{p}', {as_text})"));
        assert_eq!(path("{a,b,1}", 0), Ok(Text(r#"{"c": "x y"}"#.into())));
        assert_eq!(path("{a, b, 1, c}", 1), Ok(Text("x y".into())));
        assert_eq!(path("{a,b,1,c}", 0), Ok(Text(r#""x y""#.into())));
        assert_eq!(path("{a,b,-3}", 1), Ok(Text("10".into())));
        assert_eq!(path("{a,b,2}", 0), Ok(Text("null".into())));
        assert_eq!(path("{a,b,2}", 1), Ok(Null));
        assert_eq!(path("{a,n}", 1), Ok(Text("1.5".into())));
        assert_eq!(path("{}", 0), Ok(Text(r#"{"a": {"b": [10, {"c": "x y"}, null], "n": 1.5}, "k": "v"}"#.into())));
        for missing in ["{a,b,3}", "{a,b,x}", "{k,0}", "{nope}", "{a,NULL}", "{a,b,-4}"] {
            assert_eq!(path(missing, 0), Ok(Null), "{missing}");
        }
        assert_eq!(one("SELECT rc_json_path(NULL, '{a}', 0)"), Ok(Null));
        assert_eq!(path("a,b", 0), Err(("22P02".to_string(), "malformed array literal: \"a,b\"".to_string())));
        assert_eq!(
            one("SELECT rc_json_path('{x', '{a}', 0)"),
            Err(("22P02".to_string(), "invalid input syntax for type json: \"{x\"".to_string()))
        );
    }

    #[test]
    fn regexp_replace_answers_as_postgresql_does() {
        use rusqlite::types::Value::*;
        // The expected texts are what PostgreSQL 15 answers.
        let text = |sql: &str| match one(sql) {
            Ok(Text(t)) => t,
            other => panic!("{sql}: {other:?}"),
        };
        assert_eq!(text("SELECT rc_regexp_replace('abcabc', 'b', 'X', '')"), "aXcabc");
        assert_eq!(text("SELECT rc_regexp_replace('abcabc', 'b', 'X', 'g')"), "aXcaXc");
        assert_eq!(text(r"SELECT rc_regexp_replace('Hello World', '(o)(\s)', '[\2\1\&]', 'g')"), "Hell[ oo ]World");
        assert_eq!(text("SELECT rc_regexp_replace('ABC', 'b', 'x', 'i')"), "AxC");
        assert_eq!(text(r"SELECT rc_regexp_replace('a$b', 'b', '\\$1', '')"), r"a$\$1");
        assert_eq!(text("SELECT rc_regexp_replace('é€x', '€', 'E', '')"), "éEx");
        assert_eq!(one("SELECT rc_regexp_replace(NULL, 'a', 'x', '')"), Ok(Null));
        assert_eq!(
            one("SELECT rc_regexp_replace('a', 'a', 'x', 'z')"),
            Err(("22023".into(), "invalid regular expression option: \"z\"".into()))
        );
        assert_eq!(one("SELECT rc_regexp_replace('a', '(', 'x', '')").unwrap_err().0, "2201B");
        assert_eq!(one("SELECT rc_regexp_replace('a', 'a', 'x', 2)").unwrap_err().0, "0A000");
    }

    #[test]
    fn integer_input_is_checked() {
        use rusqlite::types::Value::*;
        assert_eq!(one("SELECT rc_int(' 42 ', 32)"), Ok(Integer(42)));
        assert_eq!(one("SELECT rc_int('+7', 16)"), Ok(Integer(7)));
        assert_eq!(one("SELECT rc_int(2.5, 64)"), Ok(Integer(3)));
        assert_eq!(one("SELECT rc_int(-2.5, 64)"), Ok(Integer(-3)));
        assert_eq!(one("SELECT rc_int(NULL, 32)"), Ok(Null));
        assert_eq!(
            one("SELECT rc_int('x', 32)"),
            Err(("22P02".into(), "invalid input syntax for type integer: \"x\"".into()))
        );
        assert_eq!(one("SELECT rc_int('1.5', 32)").unwrap_err().0, "22P02");
        assert_eq!(one("SELECT rc_int('', 32)").unwrap_err().0, "22P02");
        assert_eq!(one("SELECT rc_int(40000, 16)"), Err(("22003".into(), "smallint out of range".into())));
        assert_eq!(one("SELECT rc_int('99999999999999999999', 64)").unwrap_err().0, "22003");
        assert_eq!(one("SELECT rc_int(x'00', 32)").unwrap_err().0, "42846");
    }

    #[test]
    fn float_and_numeric_input_is_checked() {
        use rusqlite::types::Value::*;
        assert_eq!(one("SELECT rc_real(' 1.5e2 ', 'numeric')"), Ok(Real(150.0)));
        assert_eq!(one("SELECT rc_real('-Infinity', 'double precision')"), Ok(Real(f64::NEG_INFINITY)));
        assert_eq!(one("SELECT rc_real(3, 'real')"), Ok(Real(3.0)));
        assert_eq!(
            one("SELECT rc_real('abc', 'numeric')"),
            Err(("22P02".into(), "invalid input syntax for type numeric: \"abc\"".into()))
        );
        assert_eq!(one("SELECT rc_real('inf', 'real')"), Ok(Real(f64::INFINITY)));
        assert_eq!(one("SELECT rc_real('1..2', 'real')").unwrap_err().0, "22P02");
    }

    #[test]
    fn datetimes_are_stored_in_one_form() {
        use rusqlite::types::Value::*;
        assert_eq!(
            one("SELECT rc_datetime('2024-02-29 13:14:15+02', 1184)"),
            Ok(Text("2024-02-29 11:14:15+00".into()))
        );
        assert_eq!(
            one("SELECT rc_datetime('2024-02-29T13:14:15.250Z', 1184)"),
            Ok(Text("2024-02-29 13:14:15.25+00".into()))
        );
        assert_eq!(one("SELECT rc_datetime('2024-02-29 13:14', 1114)"), Ok(Text("2024-02-29 13:14:00".into())));
        assert_eq!(one("SELECT rc_datetime('2024-02-29', 1082)"), Ok(Text("2024-02-29".into())));
        assert_eq!(
            one("SELECT rc_datetime('yesterday-ish', 1082)"),
            Err(("22P02".into(), "invalid input syntax for type date: \"yesterday-ish\"".into()))
        );
        assert_eq!(one("SELECT rc_datetime(5, 1184)").unwrap_err().0, "42846");
    }

    #[test]
    fn a_nul_in_the_quoted_input_keeps_the_sqlstate() {
        assert_eq!(
            one("SELECT rc_int('a' || char(0) || 'b', 32)"),
            Err(("22P02".into(), "invalid input syntax for type integer: \"a\\0b\"".into()))
        );
        assert_eq!(
            one("SELECT rc_regex('', char(0) || '{', '')"),
            Err((
                "2201B".into(),
                "invalid regular expression: regex parse error:\n    \\0{\n     ^\nerror: unclosed counted repetition"
                    .into()
            ))
        );
    }

    #[test]
    fn division_by_zero_fails() {
        use rusqlite::types::Value::*;
        assert_eq!(one("SELECT rc_div(7, 2)"), Ok(Integer(3)));
        assert_eq!(one("SELECT rc_div(-7, 2)"), Ok(Integer(-3)));
        assert_eq!(one("SELECT rc_div(7.0, 2)"), Ok(Real(3.5)));
        assert_eq!(one("SELECT rc_div(NULL, 0)"), Ok(Null));
        assert_eq!(one("SELECT rc_div(1, 0)"), Err(("22012".into(), "division by zero".into())));
        assert_eq!(one("SELECT rc_div(1.5, 0.0)").unwrap_err().0, "22012");
        assert_eq!(one("SELECT rc_div(-9223372036854775808, -1)").unwrap_err().0, "22003");
    }

    #[test]
    fn boolean_input_is_checked() {
        use rusqlite::types::Value::*;
        for (text, want) in
            [("t", 1), ("TRUE", 1), (" yes ", 1), ("on", 1), ("1", 1), ("f", 0), ("of", 0), ("no", 0), ("0", 0)]
        {
            assert_eq!(one(&format!("SELECT rc_bool('{text}')")), Ok(Integer(want)), "{text}");
        }
        assert_eq!(one("SELECT rc_bool(5)"), Ok(Integer(1)));
        assert_eq!(one("SELECT rc_bool('o')").unwrap_err().0, "22P02");
        assert_eq!(
            one("SELECT rc_bool('maybe')"),
            Err(("22P02".into(), "invalid input syntax for type boolean: \"maybe\"".into()))
        );
    }

    #[test]
    fn json_input_is_checked_and_jsonb_normalised() {
        use rusqlite::types::Value::*;
        assert_eq!(
            one(r#"SELECT rc_jsonb('{"bb":1,"a":{"y":2,"x":[true,null]},"a":3}')"#),
            Ok(Text(r#"{"a": 3, "bb": 1}"#.into()))
        );
        assert_eq!(one(r#"SELECT rc_json('{"b":1,  "a":2}')"#), Ok(Text(r#"{"b":1,  "a":2}"#.into())));
        assert_eq!(one("SELECT rc_jsonb('{bad')").unwrap_err().0, "22P02");
        assert_eq!(one("SELECT rc_json('')").unwrap_err().0, "22P02");
        assert_eq!(one("SELECT rc_jsonb(NULL)"), Ok(Null));
        assert_eq!(
            jsonb_text(r#"{"z":1,"a":[true,false],"bb":{"y":null,"x":"s"}}"#),
            r#"{"a": [true, false], "z": 1, "bb": {"x": "s", "y": null}}"#
        );
        assert_eq!(jsonb_text("not json"), "not json");
    }
}

thread_local! {
    /// Compiled patterns, so a scan compiles its pattern once.
    static REGEXES: std::cell::RefCell<std::collections::HashMap<(String, bool), regex::Regex>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// A value as the text a regular-expression function reads; NULL as `None`.
fn regex_text(ctx: &Context<'_>, i: usize) -> Option<String> {
    match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Runs `f` with `pattern` compiled (cached per thread): 2201B for a
/// pattern that does not compile or would compile too large.
fn with_regex<T>(pattern: String, insensitive: bool, f: impl FnOnce(&regex::Regex) -> T) -> rusqlite::Result<T> {
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > 256 {
            cache.clear();
        }
        let re = match cache.entry((pattern, insensitive)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let re = regex::RegexBuilder::new(&e.key().0)
                    .case_insensitive(insensitive)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| fail("2201B", format!("invalid regular expression: {e}")))?;
                e.insert(re)
            }
        };
        Ok(f(re))
    })
}

/// `rc_regex(text, pattern, flags)`: PostgreSQL's `~` (flags '') and `~*`
/// (flags 'i'). Rust's regex engine answers the same on every validator.
fn regex_match(ctx: &mut Context<'_>) -> rusqlite::Result<Option<bool>> {
    let (Some(text), Some(pattern)) = (regex_text(ctx, 0), regex_text(ctx, 1)) else {
        return Ok(None);
    };
    let insensitive = regex_text(ctx, 2).is_some_and(|f| f.contains('i'));
    with_regex(pattern, insensitive, |re| Some(re.is_match(&text)))
}

/// `rc_regexp_replace(source, pattern, replacement, flags)`: PostgreSQL's
/// `regexp_replace`. The first match is replaced (every match with flag
/// `g`; `i` ignores case, `c` does not); in the replacement `\1`..`\9`
/// insert a group, `\&` the whole match and `\\` a backslash.
fn regexp_replace(ctx: &mut Context<'_>) -> rusqlite::Result<Option<String>> {
    if let ValueRef::Integer(_) | ValueRef::Real(_) = ctx.get_raw(3) {
        return Err(fail("0A000", "regexp_replace with a start position is not supported".into()));
    }
    let (Some(text), Some(pattern), Some(template), Some(flags)) =
        (regex_text(ctx, 0), regex_text(ctx, 1), regex_text(ctx, 2), regex_text(ctx, 3))
    else {
        return Ok(None);
    };
    let (mut global, mut insensitive) = (false, false);
    for flag in flags.chars() {
        match flag {
            'g' => global = true,
            'i' => insensitive = true,
            'c' => insensitive = false,
            other => return Err(fail("22023", format!("invalid regular expression option: \"{other}\""))),
        }
    }
    with_regex(pattern, insensitive, |re| {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in re.captures_iter(&text) {
            let Some(whole) = caps.get(0) else { continue };
            out.push_str(text.get(last..whole.start()).unwrap_or_default());
            expand_replacement(&caps, &template, &mut out);
            last = whole.end();
            if !global {
                break;
            }
        }
        out.push_str(text.get(last..).unwrap_or_default());
        Some(out)
    })
}

/// PostgreSQL's replacement text for one match, appended to `out`.
fn expand_replacement(caps: &regex::Captures<'_>, template: &str, out: &mut String) {
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(digit @ '1'..='9') => {
                let group = digit.to_digit(10).and_then(|n| caps.get(n as usize));
                out.push_str(group.map_or("", |m| m.as_str()));
            }
            Some('&') => out.push_str(caps.get(0).map_or("", |m| m.as_str())),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
}
