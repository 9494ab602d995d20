//! PostgreSQL values on the wire: the declared column types of results, and
//! text and binary encodings of the types rowchain supports, both ways.
//!
//! SQLite stores integers, booleans (0/1), reals (numeric and floats), text
//! (character types, dates, timestamps, json, uuid) and blobs (bytea). The
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

pub use node_exec::pgfns::jsonb_text;

/// A result column's wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireType {
    pub oid: u32,
    pub typmod: i32,
    /// The scale a numeric column prints with.
    pub scale: Option<u32>,
}

impl WireType {
    pub fn of(t: &PgType) -> Self {
        let scale = match t {
            PgType::Numeric { scale, .. } => *scale,
            _ => None,
        };
        WireType { oid: t.oid(), typmod: t.typmod(), scale }
    }

    pub fn plain(oid: u32) -> Self {
        WireType { oid, typmod: -1, scale: None }
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
            16 => 1,
            21 => 2,
            23 | 700 | 1082 => 4,
            20 | 701 | 1114 | 1184 => 8,
            2950 => 16,
            _ => -1,
        }
    }
}

#[derive(Debug)]
pub struct BadValue(pub String);

fn bad(ty: &str, text: &str) -> BadValue {
    BadValue(format!("invalid input syntax for type {ty}: \"{text}\""))
}

/// Formats a float as PostgreSQL does (shortest round-trip digits).
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
        format!("{f}")
    }
}

/// The text format of a stored value as a column of type `t`.
pub fn to_text(v: &Value, t: &WireType) -> Option<Vec<u8>> {
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
            (700, _) => {
                let g = *f as f32;
                if !g.is_finite() {
                    float_text(*f)
                } else if g == g.trunc() && g.abs() < 1e7 {
                    format!("{}", g as i64)
                } else {
                    format!("{g}")
                }
            }
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
const OID_BOOL_ARRAY: u32 = 1000;

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

use node_core::pgtime::{civil_from_days, parse_date, PG_EPOCH_DAYS};
pub use node_core::pgtime::{format_timestamp, parse_timestamp};

/// Normalizes a timestamp/date literal to the canonical text rowchain stores.
pub fn canonical_text(text: &str, oid: u32) -> Result<String, BadValue> {
    node_core::pgtime::canonical(text, oid).ok_or_else(|| bad(node_core::pgtime::type_name(oid), text))
}

/// The binary format of a stored value as a column of type `t`.
pub fn to_binary(v: &Value, t: &WireType) -> Result<Option<Vec<u8>>, BadValue> {
    if matches!(v, Value::Null) {
        return Ok(None);
    }
    let int = |v: &Value| -> Result<i64, BadValue> {
        match v {
            Value::Integer(i) => Ok(*i),
            Value::Real(f) => Ok(f.round() as i64),
            Value::Text(s) => s.trim().parse().map_err(|_| bad("bigint", s)),
            _ => Err(BadValue("not an integer".into())),
        }
    };
    let float = |v: &Value| -> Result<f64, BadValue> {
        match v {
            Value::Integer(i) => Ok(*i as f64),
            Value::Real(f) => Ok(*f),
            Value::Text(s) => s.trim().parse().map_err(|_| bad("double precision", s)),
            _ => Err(BadValue("not a number".into())),
        }
    };
    let text = || to_text(v, t).unwrap_or_default();
    Ok(Some(match t.oid {
        OID_BOOL => vec![(int(v)? != 0) as u8],
        21 => (int(v)? as i16).to_be_bytes().to_vec(),
        23 => (int(v)? as i32).to_be_bytes().to_vec(),
        20 => int(v)?.to_be_bytes().to_vec(),
        700 => (float(v)? as f32).to_be_bytes().to_vec(),
        701 => float(v)?.to_be_bytes().to_vec(),
        1700 => numeric_binary(&String::from_utf8_lossy(&text()))?,
        OID_BYTEA => match v {
            Value::Blob(b) => b.clone(),
            _ => text(),
        },
        1082 => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            let days = parse_date(&s).and_then(|d| d.checked_sub(PG_EPOCH_DAYS)).ok_or_else(|| bad("date", &s))?;
            (days as i32).to_be_bytes().to_vec()
        }
        1114 | 1184 => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            let micros = parse_timestamp(&s)
                .and_then(|m| m.checked_sub(PG_EPOCH_DAYS * 86_400_000_000))
                .ok_or_else(|| bad("timestamp", &s))?;
            micros.to_be_bytes().to_vec()
        }
        2950 => {
            let s = String::from_utf8_lossy(&text()).replace('-', "");
            let b = hex::decode(s.trim()).map_err(|_| bad("uuid", &s))?;
            if b.len() != 16 {
                return Err(bad("uuid", &s));
            }
            b
        }
        OID_JSONB => {
            let mut b = vec![1u8];
            b.extend(text());
            b
        }
        // oid, xid, cid: unsigned 32-bit.
        26 | 28 | 29 => (int(v)? as u32).to_be_bytes().to_vec(),
        // "char": one byte.
        18 => text().first().map(|b| vec![*b]).unwrap_or_default(),
        _ => text(),
    }))
}

/// PostgreSQL's binary numeric: base-10000 digits with weight, sign and scale.
fn numeric_binary(s: &str) -> Result<Vec<u8>, BadValue> {
    let s = s.trim();
    let mut out = Vec::new();
    if s.eq_ignore_ascii_case("nan") {
        for v in [0i16, 0, 0xC000u16 as i16, 0] {
            out.extend(v.to_be_bytes());
        }
        return Ok(out);
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if !int_part.chars().chain(frac_part.chars()).all(|c| c.is_ascii_digit())
        || (int_part.is_empty() && frac_part.is_empty())
    {
        return Err(bad("numeric", s));
    }
    let scale = frac_part.len() as i16;
    let int_part = int_part.trim_start_matches('0');
    // Pad the integer part on the left and the fraction on the right to groups of 4.
    let int_pad = (4 - int_part.len() % 4) % 4;
    let frac_pad = (4 - frac_part.len() % 4) % 4;
    let digits_str = format!("{}{}{}{}", "0".repeat(int_pad), int_part, frac_part, "0".repeat(frac_pad));
    // Every byte is an ASCII digit (checked above, or padding).
    let mut digits: Vec<i16> = digits_str
        .as_bytes()
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |v, d| v * 10 + i16::from(d.wrapping_sub(b'0'))))
        .collect();
    let mut weight = (((int_part.len() + int_pad) / 4) as i16).saturating_sub(1);
    let leading_zeros = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..leading_zeros);
    weight = weight.saturating_sub(i16::try_from(leading_zeros).unwrap_or(i16::MAX));
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    let sign: u16 = if neg && !digits.is_empty() { 0x4000 } else { 0 };
    out.extend((digits.len() as i16).to_be_bytes());
    out.extend(weight.to_be_bytes());
    out.extend(sign.to_be_bytes());
    out.extend(scale.to_be_bytes());
    for d in digits {
        out.extend(d.to_be_bytes());
    }
    Ok(out)
}

fn numeric_from_binary(b: &[u8]) -> Result<String, BadValue> {
    let rd = |i: usize| -> Result<i16, BadValue> {
        b.get(i..i.saturating_add(2))
            .and_then(|x| x.try_into().ok())
            .map(i16::from_be_bytes)
            .ok_or_else(|| BadValue("short numeric".into()))
    };
    let n = usize::try_from(rd(0)?).map_err(|_| BadValue("invalid numeric digit count".into()))?;
    let (weight, sign, scale) = (rd(2)?, rd(4)? as u16, rd(6)?.max(0) as usize);
    if sign == 0xC000 {
        return Ok("NaN".into());
    }
    let digits: Vec<i16> = (0..n).map(|i| rd(8 + 2 * i)).collect::<Result<_, _>>()?;
    let mut int = String::new();
    let mut frac = String::new();
    for (i, d) in digits.iter().enumerate() {
        let pos = weight as i64 - i as i64;
        if pos >= 0 {
            int.push_str(&format!("{d:04}"));
        } else {
            if frac.is_empty() {
                frac.push_str(&"0000".repeat((-pos - 1) as usize));
            }
            frac.push_str(&format!("{d:04}"));
        }
    }
    if weight as i64 >= digits.len() as i64 {
        int.push_str(&"0000".repeat((weight as i64 - digits.len() as i64 + 1) as usize));
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    frac.truncate(scale);
    while frac.len() < scale {
        frac.push('0');
    }
    let mut s = String::new();
    if sign == 0x4000 {
        s.push('-');
    }
    s.push_str(int);
    if scale > 0 {
        s.push('.');
        s.push_str(&frac);
    }
    Ok(s)
}

/// A binary parameter of a fixed-size type: exactly `N` bytes.
fn fixed<const N: usize>(b: &[u8], oid: u32) -> Result<[u8; N], BadValue> {
    b.try_into().map_err(|_| BadValue(format!("incorrect binary data format in bind parameter (type {oid})")))
}

/// A bound parameter's value, from its wire bytes, given the type the client
/// or the server's inference chose (0 = unknown: text as written).
pub fn param_value(bytes: Option<&[u8]>, oid: u32, binary: bool) -> Result<Value, BadValue> {
    let Some(b) = bytes else { return Ok(Value::Null) };
    if binary {
        return Ok(match oid {
            OID_BOOL => Value::Integer(i64::from(u8::from_be_bytes(fixed(b, oid)?) != 0)),
            21 => Value::Integer(i16::from_be_bytes(fixed(b, oid)?).into()),
            23 => Value::Integer(i32::from_be_bytes(fixed(b, oid)?).into()),
            20 => Value::Integer(i64::from_be_bytes(fixed(b, oid)?)),
            700 => Value::Real(f32::from_be_bytes(fixed(b, oid)?).into()),
            701 => Value::Real(f64::from_be_bytes(fixed(b, oid)?)),
            1700 => Value::Real(numeric_from_binary(b)?.parse().map_err(|_| BadValue("numeric out of range".into()))?),
            OID_BYTEA => Value::Blob(b.to_vec()),
            1082 => {
                let days = i64::from(i32::from_be_bytes(fixed(b, oid)?)) + PG_EPOCH_DAYS;
                let (y, m, d) = civil_from_days(days);
                Value::Text(format!("{y:04}-{m:02}-{d:02}"))
            }
            1114 | 1184 => {
                let micros = i64::from_be_bytes(fixed(b, oid)?)
                    .checked_add(PG_EPOCH_DAYS * 86_400_000_000)
                    .ok_or_else(|| BadValue("timestamp out of range".into()))?;
                Value::Text(format_timestamp(micros, oid == 1184))
            }
            2950 => {
                let u: [u8; 16] = fixed(b, oid)?;
                let part = |r: std::ops::Range<usize>| hex::encode(u.get(r).unwrap_or_default());
                Value::Text(format!("{}-{}-{}-{}-{}", part(0..4), part(4..6), part(6..8), part(8..10), part(10..16)))
            }
            OID_JSONB => Value::Text(jsonb_text(&String::from_utf8_lossy(b.get(1..).unwrap_or_default()))),
            _ => Value::Text(
                String::from_utf8(b.to_vec()).map_err(|_| BadValue("invalid UTF-8 in a text parameter".into()))?,
            ),
        });
    }
    let text = std::str::from_utf8(b).map_err(|_| BadValue("invalid byte sequence for encoding \"UTF8\"".into()))?;
    Ok(match oid {
        OID_BOOL => match sqlmap::parse_bool(text) {
            Some(b) => Value::Integer(i64::from(b)),
            None => return Err(bad("boolean", text)),
        },
        21 | 23 | 20 => Value::Integer(text.trim().parse().map_err(|_| bad("integer", text))?),
        700 | 701 | 1700 => Value::Real(text.trim().parse().map_err(|_| bad("numeric", text))?),
        OID_BYTEA => match text.strip_prefix("\\x") {
            Some(h) => Value::Blob(hex::decode(h).map_err(|_| bad("bytea", text))?),
            None => Value::Blob(text.as_bytes().to_vec()),
        },
        1082 | 1114 | 1184 => Value::Text(canonical_text(text, oid)?),
        // Stored as PostgreSQL prints jsonb, so casts and comparisons see that form.
        OID_JSONB => Value::Text(jsonb_text(text)),
        _ => Value::Text(text.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_binary_round_trips() {
        for s in ["0", "1", "-1.50", "12345.6789", "0.0001", "100000000", "-0.5", "3.14159", "10000.00"] {
            let b = numeric_binary(s).unwrap();
            let back = numeric_from_binary(&b).unwrap();
            assert_eq!(back.parse::<f64>().unwrap(), s.parse::<f64>().unwrap(), "{s} -> {back}");
        }
        assert_eq!(numeric_from_binary(&numeric_binary("-1.50").unwrap()).unwrap(), "-1.50");
    }

    #[test]
    fn timestamps_parse_and_print_like_postgres() {
        let t = parse_timestamp("2024-02-29 13:45:01.5+02").unwrap();
        assert_eq!(format_timestamp(t, true), "2024-02-29 11:45:01.5+00");
        assert_eq!(canonical_text("2024-02-29T11:45:01Z", 1184).unwrap(), "2024-02-29 11:45:01+00");
        assert_eq!(canonical_text("1999-12-31", 1082).unwrap(), "1999-12-31");
        assert!(canonical_text("yesterday-ish", 1184).is_err());
        let b = to_binary(&Value::Text("2000-01-01 00:00:00+00".into()), &WireType::plain(1184)).unwrap().unwrap();
        assert_eq!(b, 0i64.to_be_bytes());
    }

    #[test]
    fn bool_arrays_print_like_postgres() {
        assert_eq!(bool_array_text("{0,1,NULL}"), "{f,t,NULL}");
        assert_eq!(bool_array_text("{}"), "{}");
        assert_eq!(bool_array_text("{t}"), "{t}");
    }

    #[test]
    fn jsonb_prints_like_postgres() {
        assert_eq!(jsonb_text(r#"{"k":1,"k":2}"#), r#"{"k": 2}"#);
        assert_eq!(jsonb_text("not json"), "not json");
    }

    #[test]
    fn text_formats() {
        let num = WireType { oid: 1700, typmod: -1, scale: Some(2) };
        assert_eq!(to_text(&Value::Real(-1.5), &num).unwrap(), b"-1.50");
        assert_eq!(to_text(&Value::Integer(1), &WireType::plain(OID_BOOL)).unwrap(), b"t");
        assert_eq!(to_text(&Value::Blob(vec![0, 255]), &WireType::plain(OID_BYTEA)).unwrap(), b"\\x00ff");
        assert_eq!(to_text(&Value::Real(2.0), &WireType::plain(OID_FLOAT8)).unwrap(), b"2");
        assert_eq!(to_text(&Value::Real(0.1), &WireType::plain(OID_FLOAT8)).unwrap(), b"0.1");
    }
}
