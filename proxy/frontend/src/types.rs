//! Result typing and the text form of values: the declared PostgreSQL type
//! of a result column, and PostgreSQL's output and input functions (a
//! stored value as text, text as a stored value) for the types rowchain
//! supports. Every wire prints a value with [`to_text`], so the same SELECT
//! renders the same everywhere; binary formats belong to a wire.
//!
//! SQLite stores integers (and oids), booleans (0/1), reals (floats; a NaN
//! as the text `NaN`, since SQLite has none), text (character types, exact
//! numerics, dates, timestamps, json, uuid, bit strings, network addresses,
//! `"char"`, arrays as `{1,NULL}` and `int2vector`/`oidvector` as `1 2`,
//! each in its output form) and blobs (bytea). The
//! declared PostgreSQL type, from the chain's catalog, decides how a stored
//! value is printed.

use node_core::value::Value;
use sqlmap::PgType;

/// Type OIDs used for results that do not come straight from a column.
pub const OID_TEXT: u32 = 25;
pub const OID_INT8: u32 = 20;
pub const OID_FLOAT8: u32 = 701;
pub const OID_BYTEA: u32 = 17;
pub const OID_BOOL: u32 = 16;
pub const OID_JSONB: u32 = 3802;
pub const OID_CHAR: u32 = 18;
pub const OID_OID: u32 = 26;
pub const OID_BIT: u32 = 1560;
pub const OID_VARBIT: u32 = 1562;
pub const OID_INET: u32 = 869;
pub const OID_CIDR: u32 = 650;
pub const OID_MACADDR: u32 = 829;
pub const OID_MACADDR8: u32 = 774;
/// `oidvector`, whose elements are `oid`s (`int2vector`, 22, holds `int2`s).
pub const OID_OID_VECTOR: u32 = 30;

pub use node_exec::pgfns::jsonb_text;

/// A result column's type: its PostgreSQL type OID, type modifier, and the
/// scale a numeric prints with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnType {
    pub oid: u32,
    pub typmod: i32,
    /// The scale a numeric column prints with.
    pub scale: Option<u32>,
}

impl ColumnType {
    pub fn of(t: &PgType) -> Self {
        let scale = match t {
            PgType::Numeric { scale, .. } => *scale,
            _ => None,
        };
        ColumnType { oid: t.oid(), typmod: t.typmod(), scale }
    }

    pub fn plain(oid: u32) -> Self {
        ColumnType { oid, typmod: -1, scale: None }
    }

    /// The type of an expression, judged from a value it produced.
    pub fn of_value(v: Option<&Value>) -> Self {
        Self::plain(match v {
            Some(Value::Integer(_)) => OID_INT8,
            Some(Value::Real(_)) => OID_FLOAT8,
            Some(Value::Blob(_)) => OID_BYTEA,
            _ => OID_TEXT,
        })
    }

    /// `pg_type.typlen`.
    pub fn size(&self) -> i16 {
        match self.oid {
            16 | 18 => 1,
            21 => 2,
            23 | 26 | 700 | 1082 => 4,
            829 => 6,
            20 | 701 | 774 | 1083 | 1114 | 1184 => 8,
            2950 => 16,
            _ => -1,
        }
    }
}

/// A value that does not fit its type (22P02 on every wire).
#[derive(Debug)]
pub struct BadValue(pub String);

pub fn bad(ty: &str, text: &str) -> BadValue {
    BadValue(format!("invalid input syntax for type {ty}: \"{text}\""))
}

/// A `double precision` as PostgreSQL prints it (`extra_float_digits` 1:
/// the shortest text that reads back as the same value).
fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if f == f.trunc() && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        shortest_text(format!("{f:e}"), format!("{f}"), 15)
    }
}

/// A `real` as PostgreSQL prints it: the shortest text that reads back as
/// the same single-precision value.
fn real_text(f: f64) -> String {
    let g = f as f32;
    if g.is_finite() {
        shortest_text(format!("{g:e}"), format!("{g}"), 6)
    } else {
        float_text(f)
    }
}

/// PostgreSQL's shortest form of a float, given Rust's shortest digits in
/// scientific (`1.5e7`) and plain (`15000000`) notation: scientific when the
/// decimal exponent is below -4 or `digits` and above (`DBL_DIG` 15 for
/// `double precision`, `FLT_DIG` 6 for `real`), written `1.5e+07`.
fn shortest_text(scientific: String, plain: String, digits: i32) -> String {
    match scientific.split_once('e').and_then(|(m, e)| Some((m, e.parse::<i32>().ok()?))) {
        Some((mantissa, exp)) if !(-4..digits).contains(&exp) => {
            format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
        }
        _ => plain,
    }
}

/// Numeric text at `scale` digits (rounded half away from zero), as a
/// `numeric(p, scale)` column prints; other text as it is.
fn numeric_text(text: &str, scale: Option<u32>) -> String {
    let Some(scale) = scale else { return text.to_string() };
    let digits = text.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    if digits == scale as usize || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return text.to_string();
    }
    match sqlmap::numeric::Numeric::parse(text).and_then(|n| n.round(i64::from(scale))) {
        Ok(n) => n.to_text(),
        Err(_) => text.to_string(),
    }
}

/// The text format of a stored value as a column of type `t`.
pub fn to_text(v: &Value, t: &ColumnType) -> Option<Vec<u8>> {
    let s = match v {
        Value::Null => return None,
        Value::Integer(i) => match t.oid {
            OID_BOOL => (if *i != 0 { "t" } else { "f" }).to_string(),
            1700 => match t.scale {
                Some(sc) if sc > 0 => format!("{i}.{}", "0".repeat(sc as usize)),
                _ => i.to_string(),
            },
            700 | 701 => i.to_string(),
            _ => i.to_string(),
        },
        Value::Real(f) => match (t.oid, t.scale) {
            (1700, Some(sc)) => format!("{f:.prec$}", prec = sc as usize),
            (20 | 21 | 23, _) => format!("{}", f.round() as i64),
            (700, _) => real_text(*f),
            _ => float_text(*f),
        },
        // character(n) is blank-padded to its length, as PostgreSQL stores it.
        Value::Text(s) if t.oid == 1042 && t.typmod > 4 => {
            let n = (t.typmod - 4) as usize;
            let len = s.chars().count();
            if len < n {
                format!("{s}{}", " ".repeat(n - len))
            } else {
                s.clone()
            }
        }
        Value::Text(s) if t.oid == OID_JSONB => jsonb_text(s),
        Value::Text(s) if t.oid == OID_BOOL_ARRAY => bool_array_text(s),
        // A numeric with the column's scale (a default or a value written
        // before the column had its modifier may be stored with another).
        Value::Text(s) if t.oid == 1700 => numeric_text(s, t.scale),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => {
            if t.oid == OID_BYTEA {
                format!("\\x{}", hex::encode(b))
            } else {
                String::from_utf8_lossy(b).into_owned()
            }
        }
    };
    Some(s.into_bytes())
}

/// `bool[]`, as catalog queries build it (`array_agg(attnum = 0)`).
pub const OID_BOOL_ARRAY: u32 = 1000;

/// A boolean array's text with SQLite's 0/1 elements printed as `f`/`t`.
fn bool_array_text(s: &str) -> String {
    let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) else {
        return s.to_string();
    };
    if inner.is_empty() {
        return s.to_string();
    }
    let elements: Vec<&str> = inner
        .split(',')
        .map(|e| match e.trim() {
            "0" => "f",
            "1" => "t",
            other => other,
        })
        .collect();
    format!("{{{}}}", elements.join(","))
}

pub use node_core::pgtime::{format_timestamp, parse_timestamp};

/// Normalizes a timestamp/date literal to the canonical text rowchain stores.
pub fn canonical_text(text: &str, oid: u32) -> Result<String, BadValue> {
    node_core::pgtime::canonical(text, oid).ok_or_else(|| bad(node_core::pgtime::type_name(oid), text))
}

/// A value from its PostgreSQL text form, given the type the client or the
/// server's inference chose (0 = unknown: text as written): what a text
/// parameter or a COPY field becomes.
pub fn from_text(text: &str, oid: u32) -> Result<Value, BadValue> {
    // int2vector/oidvector first: `element_oid` names an element type for them too.
    if sqlmap::arrays::is_vector(oid) {
        return vector_from_text(text, oid).map(Value::Text);
    }
    if let Some(element) = sqlmap::arrays::element_oid(oid) {
        return array_from_text(text, element).map(Value::Text);
    }
    Ok(match oid {
        OID_BOOL => match sqlmap::parse_bool(text) {
            Some(b) => Value::Integer(i64::from(b)),
            None => return Err(bad("boolean", text)),
        },
        21 | 23 | 20 => Value::Integer(text.trim().parse().map_err(|_| bad("integer", text))?),
        700 | 701 => Value::Real(text.trim().parse().map_err(|_| bad("double precision", text))?),
        // Exact: stored as its output text.
        1700 => Value::Text(sqlmap::numeric::Numeric::parse(text).map_err(|e| BadValue(e.message))?.to_text()),
        OID_BYTEA => match text.strip_prefix("\\x") {
            Some(h) => Value::Blob(hex::decode(h).map_err(|_| bad("bytea", text))?),
            None => Value::Blob(text.as_bytes().to_vec()),
        },
        1082 | 1083 | 1114 | 1184 => Value::Text(canonical_text(text, oid)?),
        // Stored as PostgreSQL prints jsonb, so casts and comparisons see that form.
        OID_JSONB => Value::Text(jsonb_text(text)),
        // Bit strings, network addresses and "char" are stored as their
        // output text; a type modifier is the statement's to apply.
        OID_BIT | OID_VARBIT => Value::Text(sqlmap::bitstring::parse(text).map_err(|e| BadValue(e.message))?),
        OID_INET | OID_CIDR => {
            Value::Text(sqlmap::network::inet_text(text, u8::from(oid == OID_CIDR)).map_err(|e| BadValue(e.message))?)
        }
        OID_MACADDR => Value::Text(sqlmap::network::mac_text(
            &sqlmap::network::parse_macaddr(text).map_err(|e| BadValue(e.message))?,
        )),
        OID_MACADDR8 => Value::Text(sqlmap::network::mac_text(
            &sqlmap::network::parse_macaddr8(text).map_err(|e| BadValue(e.message))?,
        )),
        OID_CHAR => Value::Text(sqlmap::systypes::parse_char(text)),
        OID_OID => Value::Integer(sqlmap::systypes::parse_oid(text).map_err(|e| BadValue(e.message))?.into()),
        _ => Value::Text(text.to_string()),
    })
}

/// An array's canonical text from a client's: each element read as its
/// element type and printed back, so `{ 1 , 02 }` as `int4[]` is stored as
/// `{1,2}` and a bad element is the element type's error, as in PostgreSQL.
/// Element types a column may hold are read by the planner's own rule
/// ([`sqlmap::arrays::canonical`], what the executor stores); the others
/// (floats, dates, json, bytea) by this module's input and output functions.
fn array_from_text(text: &str, element: u32) -> Result<String, BadValue> {
    if let Some(ty) = PgType::from_oid(element, -1).filter(|t| sqlmap::arrays::storable_element(*t)) {
        return sqlmap::arrays::canonical(text, ty).map_err(|e| BadValue(e.message));
    }
    let elements =
        sqlmap::arrays::parse(text).ok_or_else(|| BadValue(format!("malformed array literal: \"{text}\"")))?;
    let element_type = ColumnType::plain(element);
    let canonical = elements
        .iter()
        .map(|e| match e {
            None => Ok(None),
            Some(e) => {
                let value = from_text(e, element)?;
                Ok(to_text(&value, &element_type).map(|b| String::from_utf8_lossy(&b).into_owned()))
            }
        })
        .collect::<Result<Vec<_>, BadValue>>()?;
    Ok(sqlmap::arrays::format(&canonical))
}

/// An `int2vector` or `oidvector` from its text, whitespace-separated
/// numbers, stored as PostgreSQL prints it: the numbers, one space apart.
fn vector_from_text(text: &str, oid: u32) -> Result<String, BadValue> {
    let numbers = text
        .split_whitespace()
        .map(|n| {
            if oid == OID_OID_VECTOR {
                sqlmap::systypes::parse_oid(n).map(|o| o.to_string()).map_err(|e| BadValue(e.message))
            } else {
                smallint(n).map(|i| i.to_string())
            }
        })
        .collect::<Result<Vec<_>, BadValue>>()?;
    Ok(numbers.join(" "))
}

/// A `smallint` from its text, with PostgreSQL's two messages.
fn smallint(text: &str) -> Result<i16, BadValue> {
    let wide: i64 = text.trim().parse().map_err(|_| bad("smallint", text))?;
    i16::try_from(wide).map_err(|_| BadValue(format!("value \"{text}\" is out of range for type smallint")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_and_print_like_postgres() {
        let t = parse_timestamp("2024-02-29 13:45:01.5+02").unwrap();
        assert_eq!(format_timestamp(t, true), "2024-02-29 11:45:01.5+00");
        assert_eq!(canonical_text("2024-02-29T11:45:01Z", 1184).unwrap(), "2024-02-29 11:45:01+00");
        assert_eq!(canonical_text("1999-12-31", 1082).unwrap(), "1999-12-31");
        assert!(canonical_text("yesterday-ish", 1184).is_err());
    }

    #[test]
    fn reals_print_like_postgres() {
        // What PostgreSQL 15 prints for each `real`, checked on a real server.
        let cases = [
            (16_777_216.0, "1.6777216e+07"),
            (1_234_567.0, "1.234567e+06"),
            (123_456.0, "123456"),
            (999_999.0, "999999"),
            (100_000.0, "100000"),
            (1_000_000.0, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e-30, "1e-30"),
            (3.402_823_5e38, "3.4028235e+38"),
            (1.5, "1.5"),
            (-2.5e10, "-2.5e+10"),
            (0.1, "0.1"),
            (-0.0, "-0"),
        ];
        for (f, text) in cases {
            assert_eq!(real_text(f), text, "{f:e}");
        }
        assert_eq!(real_text(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn doubles_print_like_postgres() {
        // What PostgreSQL 15 prints for each, checked on a real server.
        let cases = [
            (1e14, "100000000000000"),
            (1e15, "1e+15"),
            (123456789012345.6, "123456789012345.6"),
            (1234567890123456.7, "1.2345678901234568e+15"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e300, "1e+300"),
            (-2.5e20, "-2.5e+20"),
            (0.1, "0.1"),
            (-1.5, "-1.5"),
        ];
        for (f, text) in cases {
            assert_eq!(float_text(f), text, "{f:e}");
        }
    }

    #[test]
    fn bool_arrays_print_like_postgres() {
        assert_eq!(bool_array_text("{0,1,NULL}"), "{f,t,NULL}");
        assert_eq!(bool_array_text("{}"), "{}");
        assert_eq!(bool_array_text("{t}"), "{t}");
    }

    /// The text a value of array type `oid` is stored as, or the error.
    fn stored(text: &str, oid: u32) -> String {
        match from_text(text, oid) {
            Ok(Value::Text(s)) => s,
            Ok(other) => panic!("{text} as {oid}: {other:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn array_text_input_is_stored_as_postgres_prints_it() {
        // (type, client text, stored text or error), as PostgreSQL 15 prints each.
        for (oid, input, expected) in [
            (1007, "{ 1 , NULL, 03 }", "{1,NULL,3}"),
            (1007, "{}", "{}"),
            (1007, " { } ", "{}"),
            (1009, r#"{a,NULL,"","x,\"y\\z",😀}"#, r#"{a,NULL,"","x,\"y\\z",😀}"#),
            (1009, r#"{ "a" , b c ,"NULL",null}"#, r#"{a,"b c","NULL",NULL}"#),
            (1009, r#"{a\,b,c\"d}"#, r#"{"a,b","c\"d"}"#),
            (1000, "{t,false,NULL,1}", "{t,f,NULL,t}"),
            (1231, "{1.50,-2,NaN, 0.0001}", "{1.50,-2,NaN,0.0001}"),
            (1022, "{1.0,1e300,NaN}", "{1,1e+300,NaN}"),
            (1001, r#"{"\\x0102"}"#, r#"{"\\x0102"}"#),
            (1182, "{2000-01-02,infinity}", "{2000-01-02,infinity}"),
            (1006, r#"{"1  2",""}"#, r#"{"1 2",""}"#),
            (22, " 1   -2 ", "1 -2"),
            (22, "", ""),
            (30, "-1 0 4000000000", "4294967295 0 4000000000"),
            (1007, "{1,x}", "invalid input syntax for type integer: \"x\""),
            (1000, "{maybe}", "invalid input syntax for type boolean: \"maybe\""),
            (22, "1 99999", "value \"99999\" is out of range for type smallint"),
            (22, "x", "invalid input syntax for type smallint: \"x\""),
            (30, "1 x", "invalid input syntax for type oid: \"x\""),
        ] {
            assert_eq!(stored(input, oid), expected, "{input} as {oid}");
        }
    }

    #[test]
    fn malformed_array_literals_are_refused() {
        // Refused by PostgreSQL 15 too, except the last two, a second
        // dimension and explicit bounds, which rowchain's one-dimensional
        // text cannot hold.
        for input in [
            "",
            "1,2",
            "{1",
            "1}",
            "{a,,b}",
            "{a,}",
            "{,a}",
            r#"{a"b"}"#,
            r#"{"a"b}"#,
            r#"{"a}"#,
            r#"{"a\"}"#,
            "{a{b}",
            "{a}b}",
            "{{1,2},{3,4}}",
            r"{a\}",
            "[1:2]={1,2}",
        ] {
            assert_eq!(stored(input, 1009), format!("malformed array literal: \"{input}\""), "{input}");
        }
    }

    #[test]
    fn arrays_print_as_stored_with_booleans_as_t_and_f() {
        let print = |text: &str, oid: u32| to_text(&Value::Text(text.into()), &ColumnType::plain(oid)).unwrap();
        for (oid, text) in
            [(1007, "{1,NULL,3}"), (1009, r#"{a,"b c",""}"#), (22, "1 2"), (30, "0 26"), (1231, "{1.50}")]
        {
            assert_eq!(print(text, oid), text.as_bytes(), "{oid}");
            assert_eq!(stored(text, oid), text, "{oid}");
        }
        assert_eq!(print("{0,1,NULL}", OID_BOOL_ARRAY), b"{f,t,NULL}");
        for oid in [1000, 1007, 1009, 1231, 1115, 22, 30] {
            assert_eq!(ColumnType::plain(oid).size(), -1, "{oid}");
        }
    }

    #[test]
    fn jsonb_prints_like_postgres() {
        assert_eq!(jsonb_text(r#"{"k":1,"k":2}"#), r#"{"k": 2}"#);
        assert_eq!(jsonb_text("not json"), "not json");
    }

    #[test]
    fn text_input_of_bit_network_and_system_types() {
        let text = |v: Result<Value, BadValue>| match v {
            Ok(Value::Text(s)) => s,
            Ok(Value::Integer(i)) => i.to_string(),
            Ok(other) => format!("{other:?}"),
            Err(e) => e.0,
        };
        for (input, oid, expected) in [
            ("x1F", OID_BIT, "00011111"),
            ("101", OID_VARBIT, "101"),
            ("12", OID_VARBIT, "\"2\" is not a valid binary digit"),
            ("127.0.0.1/32", OID_INET, "127.0.0.1"),
            ("10.1", OID_CIDR, "10.1.0.0/16"),
            ("10.1", OID_INET, "invalid input syntax for type inet: \"10.1\""),
            ("12-34-56-AB-CD-EF", OID_MACADDR, "12:34:56:ab:cd:ef"),
            ("12-34-56-AB-CD-EF", OID_MACADDR8, "12:34:56:ff:fe:ab:cd:ef"),
            ("abc", OID_CHAR, "a"),
            ("4000000000", OID_OID, "4000000000"),
            ("-1", OID_OID, "4294967295"),
            ("x", OID_OID, "invalid input syntax for type oid: \"x\""),
        ] {
            assert_eq!(text(from_text(input, oid)), expected, "{input} {oid}");
        }
        assert_eq!(ColumnType::plain(OID_CHAR).size(), 1);
        assert_eq!(ColumnType::plain(OID_MACADDR).size(), 6);
        assert_eq!(ColumnType::of(&PgType::Bit(Some(14))), ColumnType { oid: OID_BIT, typmod: 14, scale: None });
        assert_eq!(to_text(&Value::Text("NaN".into()), &ColumnType::plain(700)).unwrap(), b"NaN");
    }

    #[test]
    fn text_formats() {
        let num = ColumnType { oid: 1700, typmod: -1, scale: Some(2) };
        assert_eq!(to_text(&Value::Real(-1.5), &num).unwrap(), b"-1.50");
        assert_eq!(to_text(&Value::Integer(1), &ColumnType::plain(OID_BOOL)).unwrap(), b"t");
        assert_eq!(to_text(&Value::Blob(vec![0, 255]), &ColumnType::plain(OID_BYTEA)).unwrap(), b"\\x00ff");
        assert_eq!(to_text(&Value::Real(2.0), &ColumnType::plain(OID_FLOAT8)).unwrap(), b"2");
        assert_eq!(to_text(&Value::Real(0.1), &ColumnType::plain(OID_FLOAT8)).unwrap(), b"0.1");
    }
}
