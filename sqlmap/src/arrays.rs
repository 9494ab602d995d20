//! PostgreSQL's one-dimensional arrays: which array type holds which
//! element type (`_int4` holds `int4`), so that results, parameters and
//! columns of array types are described and encoded as PostgreSQL does.
//!
//! An array value is its text form, `{1,2,NULL}` ([`parse`], [`format`]),
//! in SQLite as in a client's text parameter. A binary parameter or result
//! is encoded element by element in the element type's binary form by the
//! wire; `int2vector` and `oidvector` are arrays of `int2` / `oid` whose
//! text is space-separated and whose subscripts start at 0.

use sqlparser::ast::Expr;

use crate::error::PlanError;
use crate::types::PgType;

/// The elements of `{...}` (`None` for an unquoted NULL), with
/// PostgreSQL's rules: whitespace around an unquoted element is dropped,
/// a quoted one keeps everything and takes `\` escapes. `None` when the
/// text is not such an array.
pub fn parse(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    parse_elements(inner)
}

fn parse_elements(inner: &str) -> Option<Vec<Option<String>>> {
    let mut out = Vec::new();
    if inner.trim().is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        let quoted = chars.peek() == Some(&'"');
        // An escaped character makes an unquoted element text: `\NULL` is
        // the string "NULL", as in PostgreSQL.
        let mut escaped = false;
        if quoted {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '"' => break,
                    c => value.push(c),
                }
            }
            // Only whitespace may follow the closing quote.
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                match c {
                    ',' => break,
                    // A brace starts a sub-array (a second dimension), a
                    // quote only begins an element: both are malformed here.
                    '{' | '}' | '"' => return None,
                    '\\' => {
                        chars.next();
                        value.push(chars.next()?);
                        escaped = true;
                        continue;
                    }
                    _ => value.push(c),
                }
                chars.next();
            }
            value = value.trim().to_string();
            // `{a,,b}`, `{,a}`, `{a,}`: an element is missing.
            if value.is_empty() && !escaped {
                return None;
            }
        }
        let null = !quoted && !escaped && value.eq_ignore_ascii_case("NULL");
        out.push((!null).then_some(value));
        match chars.next() {
            Some(',') => continue,
            None => return Some(out),
            Some(_) => return None,
        }
    }
}

/// `{a,b}` with PostgreSQL's quoting rules for elements.
pub fn format<S: AsRef<str>>(elements: &[Option<S>]) -> String {
    let parts: Vec<String> = elements
        .iter()
        .map(|e| match e {
            None => "NULL".to_string(),
            Some(s) => quote_element(s.as_ref()),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn quote_element(s: &str) -> String {
    let needs = s.is_empty()
        || s.eq_ignore_ascii_case("NULL")
        || s.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
    if !needs {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether a column may hold arrays of `element`: those whose canonical
/// text the planner computes itself (a literal is checked as it is planned,
/// anything else by the node's `rc_array_in` with the same code).
/// Floating point, date/time, json and bytea elements are still missing.
pub fn storable_element(element: PgType) -> bool {
    matches!(
        element,
        PgType::Int2
            | PgType::Int4
            | PgType::Int8
            | PgType::Numeric { .. }
            | PgType::Bool
            | PgType::Text
            | PgType::Varchar(_)
            | PgType::Char(_)
            | PgType::Uuid
    ) || crate::scalars::is_scalar(element)
}

/// The stored form of `text` as an array of `element`: every element read
/// by the element type's input rules and printed canonically, so equal
/// arrays are equal text (UNIQUE, `=`, `ANY`). PostgreSQL's SQLSTATEs:
/// 22P02 for a malformed array or element, 22003 out of range, 22001 too
/// long. A consensus rule: the executor stores what this returns.
pub fn canonical(text: &str, element: PgType) -> Result<String, PlanError> {
    let elements =
        parse(text).ok_or_else(|| PlanError::new("22P02", format!("malformed array literal: \"{text}\"")))?;
    if elements.len() > ELEMENTS_MAX {
        return Err(PlanError::new("54000", format!("array size exceeds the maximum allowed ({ELEMENTS_MAX})")));
    }
    let canonical: Vec<Option<String>> = elements
        .iter()
        .map(|e| e.as_deref().map(|e| canonical_element(e, element)).transpose())
        .collect::<Result<_, _>>()?;
    Ok(format(&canonical))
}

/// Elements one array value may hold (PostgreSQL's own limit is far above
/// what a row of a chain table should carry).
pub const ELEMENTS_MAX: usize = 100_000;

fn canonical_element(text: &str, element: PgType) -> Result<String, PlanError> {
    let integer = |name: &str, min: i64, max: i64| {
        let n: i64 = text
            .trim()
            .parse()
            .map_err(|_| PlanError::new("22P02", format!("invalid input syntax for type {name}: \"{text}\"")))?;
        if !(min..=max).contains(&n) {
            return Err(PlanError::new("22003", format!("value \"{text}\" is out of range for type {name}")));
        }
        Ok(n.to_string())
    };
    let too_long = || PlanError::new("22001", format!("value too long for type {}", element.name()));
    match element {
        PgType::Int2 => integer("smallint", i16::MIN.into(), i16::MAX.into()),
        PgType::Int4 => integer("integer", i32::MIN.into(), i32::MAX.into()),
        PgType::Int8 => integer("bigint", i64::MIN, i64::MAX),
        PgType::Numeric { precision, scale } => crate::numeric::Numeric::parse(text)
            .and_then(|n| n.with_typmod(precision, scale))
            .map(|n| n.to_text())
            .map_err(|e| PlanError::new(e.sqlstate, e.message)),
        PgType::Bool => match crate::render::parse_bool(text) {
            Some(b) => Ok(if b { "t" } else { "f" }.to_string()),
            None => Err(PlanError::new("22P02", format!("invalid input syntax for type boolean: \"{text}\""))),
        },
        PgType::Varchar(Some(n)) if text.chars().count() > n as usize => Err(too_long()),
        // character(n): blank-padded, as PostgreSQL stores and prints it.
        PgType::Char(n) => {
            let n = n.unwrap_or(1) as usize;
            let trimmed = text.trim_end_matches(' ');
            let length = trimmed.chars().count();
            if length > n {
                return Err(too_long());
            }
            Ok(format!("{trimmed}{}", " ".repeat(n - length)))
        }
        PgType::Uuid => uuid_text(text),
        ty if crate::scalars::is_scalar(ty) => crate::scalars::element_text(text, ty),
        _ => Ok(text.to_string()),
    }
}

/// A uuid in PostgreSQL's output form: lower-case hex in groups 8-4-4-4-12.
/// Input may be upper case, in braces, and hyphenated after any group of
/// four digits, as PostgreSQL's `uuid_in` takes it.
fn uuid_text(text: &str) -> Result<String, PlanError> {
    let invalid = || PlanError::new("22P02", format!("invalid input syntax for type uuid: \"{text}\""));
    let t = text.trim();
    let t = t.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(t);
    let mut digits = String::with_capacity(32);
    let mut since_hyphen = 0;
    for (i, c) in t.chars().enumerate() {
        if c == '-' && i > 0 && since_hyphen % 4 == 0 && since_hyphen > 0 && digits.len() < 32 {
            since_hyphen = 0;
            continue;
        }
        if !c.is_ascii_hexdigit() {
            return Err(invalid());
        }
        digits.push(c.to_ascii_lowercase());
        since_hyphen += 1;
    }
    if digits.len() != 32 || t.ends_with('-') {
        return Err(invalid());
    }
    let group = |from: usize, to: usize| digits.get(from..to).unwrap_or_default();
    Ok(format!("{}-{}-{}-{}-{}", group(0, 8), group(8, 12), group(12, 16), group(16, 20), group(20, 32)))
}

/// A value written to an array column of type `ty` (INSERT, UPDATE SET): a
/// string literal checked and made canonical now, anything else (an
/// `ARRAY[..]`, a parameter, an expression) by the node's `rc_array_in` as
/// it is written.
pub(crate) fn assign(expr: &mut Expr, ty: PgType) -> Result<(), PlanError> {
    let PgType::Array(array) = ty else { return Ok(()) };
    if let Some(text) = crate::scalars::literal_text(expr) {
        let value = canonical(text, array.element())?;
        *expr = crate::render::string(&value);
        return Ok(());
    }
    *expr = crate::render::call("rc_array_in", vec![expr.clone(), crate::render::string(&ty.name())]);
    Ok(())
}

/// An array column's DEFAULT as SQL: a string literal (possibly cast to
/// the column's type) made canonical, or NULL; 0A000 for anything else.
pub(crate) fn default_literal(expr: &Expr, ty: PgType) -> Result<String, PlanError> {
    let PgType::Array(array) = ty else { return Ok(expr.to_string()) };
    let inner = match expr {
        Expr::Cast { expr, data_type, .. } if crate::types::cast_target(data_type) == Ok(ty) => expr.as_ref(),
        other => other,
    };
    if let Expr::Value(v) = inner {
        if v.value == sqlparser::ast::Value::Null {
            return Ok("NULL".into());
        }
    }
    if let Expr::Array(a) = inner {
        if a.elem.is_empty() {
            return Ok("'{}'".into());
        }
    }
    let Some(text) = crate::scalars::literal_text(inner) else {
        return Err(PlanError::unsupported("an array column's DEFAULT that is not a literal")
            .with_hint("write the default as a string literal, e.g. DEFAULT '{1,2}'"));
    };
    Ok(crate::render::string(&canonical(text, array.element())?).to_string())
}

/// A string literal compared with an array column: read as that array
/// type, so `tags = '{ a , b }'` finds `{a,b}`.
pub(crate) fn compared_literal(expr: &mut Expr, ty: PgType) -> Result<(), PlanError> {
    let (PgType::Array(array), Some(text)) = (ty, crate::scalars::literal_text(expr)) else { return Ok(()) };
    let value = canonical(text, array.element())?;
    *expr = crate::render::string(&value);
    Ok(())
}

/// `(element, array)` type OIDs, as in `pg_type.typelem` / `typarray`.
const ARRAY_TYPES: &[(u32, u32)] = &[
    (16, 1000),   // bool
    (17, 1001),   // bytea
    (18, 1002),   // "char"
    (19, 1003),   // name
    (21, 1005),   // int2
    (22, 1006),   // int2vector
    (23, 1007),   // int4
    (25, 1009),   // text
    (26, 1028),   // oid
    (30, 1013),   // oidvector
    (114, 199),   // json
    (650, 651),   // cidr
    (700, 1021),  // float4
    (701, 1022),  // float8
    (774, 775),   // macaddr8
    (829, 1040),  // macaddr
    (869, 1041),  // inet
    (1042, 1014), // bpchar
    (1043, 1015), // varchar
    (20, 1016),   // int8
    (1082, 1182), // date
    (1083, 1183), // time
    (1114, 1115), // timestamp
    (1184, 1185), // timestamptz
    (1560, 1561), // bit
    (1562, 1563), // varbit
    (1700, 1231), // numeric
    (2950, 2951), // uuid
    (3802, 3807), // jsonb
];

/// The OID of the array type whose elements are of type `element`.
pub fn array_oid(element: u32) -> Option<u32> {
    ARRAY_TYPES.iter().find(|(e, _)| *e == element).map(|(_, a)| *a)
}

/// The element type of array type `array`; for `int2vector` and
/// `oidvector`, `int2` and `oid`.
pub fn element_oid(array: u32) -> Option<u32> {
    match array {
        22 => Some(21),
        30 => Some(26),
        _ => ARRAY_TYPES.iter().find(|(_, a)| *a == array).map(|(e, _)| *e),
    }
}

/// Whether `oid` is `int2vector` or `oidvector`: space-separated text,
/// subscripts from 0.
pub fn is_vector(oid: u32) -> bool {
    matches!(oid, 22 | 30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ArrayOf, PgType};

    #[test]
    fn round_trip() {
        let a = format(&[Some("a"), None, Some("b c"), Some(""), Some("x\"y"), Some("ü,é")]);
        assert_eq!(a, r#"{a,NULL,"b c","","x\"y","ü,é"}"#);
        let parsed = parse(&a).unwrap();
        let expected = [Some("a"), None, Some("b c"), Some(""), Some("x\"y"), Some("ü,é")];
        assert_eq!(parsed, expected.map(|e| e.map(str::to_string)));
        assert_eq!(parse("{}").unwrap(), Vec::<Option<String>>::new());
        assert_eq!(parse(" { key1 , subkey1 } ").unwrap(), [Some("key1".to_string()), Some("subkey1".to_string())]);
    }

    #[test]
    fn text_that_is_no_array_is_refused() {
        for text in ["", "a,b", "{a", "{\"a}", "{\"a\" b}x", "{a\\", "{a,,b}", "{a,}", "{,a}", "{\"a\"b}", "{{1},{2}}"]
        {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn every_array_type_names_its_element_back() {
        for (element, array) in ARRAY_TYPES {
            assert_eq!(array_oid(*element), Some(*array));
            assert_eq!(element_oid(*array), Some(*element));
        }
        assert_eq!(element_oid(30), Some(26));
        assert_eq!(element_oid(25), None);
    }

    #[test]
    fn array_types_round_trip_through_their_names_and_oids() {
        for element in
            [PgType::Int4, PgType::Varchar(Some(20)), PgType::Numeric { precision: Some(10), scale: Some(2) }]
        {
            let array = PgType::Array(ArrayOf::of(element).unwrap());
            assert_eq!(PgType::parse_name(&array.name()), Some(array));
            assert_eq!(PgType::from_oid(array.oid(), array.typmod()), Some(array));
            assert_eq!(array.typmod(), element.typmod());
        }
        let ints = PgType::parse_name("integer[]").unwrap();
        assert_eq!((ints.oid(), ints.name().as_str()), (1007, "integer[]"));
        assert_eq!(PgType::parse_name("character varying(20)[]").unwrap().oid(), 1015);
    }
}
