//! PostgreSQL's formats on the wire: the format codes of Bind, binary
//! encodings of results and parameters, and the RowDescription and DataRow
//! messages. Text forms are the front end's ([`proxy_frontend::types`]),
//! shared with every wire.

use node_core::pgtime::{
    civil_from_days, format_time, format_timestamp, infinity, parse_date, parse_time, parse_timestamp, PG_EPOCH_DAYS,
};
use node_core::value::Value;
use pgwire::messages::data::{DataRow, FieldDescription, NoData, RowDescription};
use pgwire::messages::PgWireBackendMessage;
use proxy_frontend::session::Column;
use proxy_frontend::types::{
    self, bad, jsonb_text, to_text, BadValue, ColumnType, OID_BIT, OID_BOOL, OID_BYTEA, OID_CHAR, OID_CIDR, OID_INET,
    OID_JSONB, OID_MACADDR, OID_MACADDR8, OID_OID, OID_VARBIT,
};

use crate::error::PgError;

/// The format code for column or parameter `i`: none means text, one
/// applies to all, else one each.
pub(crate) fn format_of(formats: &[i16], i: usize) -> i16 {
    match formats {
        [] => 0,
        [all] => *all,
        _ => formats.get(i).copied().unwrap_or(0),
    }
}

/// RowDescription, or NoData for a statement without result columns.
pub(crate) fn fields_message(fields: Option<&[Column]>, formats: &[i16]) -> PgWireBackendMessage {
    match fields {
        Some(f) if !f.is_empty() => PgWireBackendMessage::RowDescription(row_description(f, formats)),
        _ => PgWireBackendMessage::NoData(NoData::new()),
    }
}

pub(crate) fn row_description(fields: &[Column], formats: &[i16]) -> RowDescription {
    RowDescription::new(
        fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                FieldDescription::new(f.name.clone(), 0, 0, f.ty.oid, f.ty.size(), f.ty.typmod, format_of(formats, i))
            })
            .collect(),
    )
}

pub(crate) fn data_row(row: &[Value], fields: &[Column], formats: &[i16]) -> Result<DataRow, PgError> {
    let mut buf = bytes::BytesMut::with_capacity(row.len() * 8);
    for (i, (v, f)) in row.iter().zip(fields).enumerate() {
        let bytes = if format_of(formats, i) == 1 {
            to_binary(v, &f.ty).map_err(|e| PgError::new("22P02", e.0))?
        } else {
            to_text(v, &f.ty)
        };
        match bytes {
            None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(b) => {
                buf.extend_from_slice(&(b.len() as i32).to_be_bytes());
                buf.extend_from_slice(&b);
            }
        }
    }
    Ok(DataRow::new(buf, row.len() as i16))
}

/// The binary format of a stored value as a column of type `t`.
pub(crate) fn to_binary(v: &Value, t: &ColumnType) -> Result<Option<Vec<u8>>, BadValue> {
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
        // PostgreSQL sends infinity as the type's largest value and
        // -infinity as its smallest.
        1082 => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            let days = match infinity(&s) {
                Some(positive) => {
                    if positive {
                        i32::MAX
                    } else {
                        i32::MIN
                    }
                }
                None => parse_date(&s)
                    .and_then(|d| d.checked_sub(PG_EPOCH_DAYS))
                    .and_then(|d| i32::try_from(d).ok())
                    .ok_or_else(|| bad("date", &s))?,
            };
            days.to_be_bytes().to_vec()
        }
        // Microseconds since midnight.
        1083 => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            parse_time(&s).ok_or_else(|| bad("time", &s))?.to_be_bytes().to_vec()
        }
        1114 | 1184 => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            let micros = match infinity(&s) {
                Some(positive) => {
                    if positive {
                        i64::MAX
                    } else {
                        i64::MIN
                    }
                }
                None => parse_timestamp(&s)
                    .and_then(|m| m.checked_sub(PG_EPOCH_DAYS * 86_400_000_000))
                    .ok_or_else(|| bad("timestamp", &s))?,
            };
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
        // "char": one byte (its text may be a `\ooo` escape, or empty for 0).
        OID_CHAR => vec![sqlmap::systypes::char_byte(&String::from_utf8_lossy(&text()))],
        OID_BIT | OID_VARBIT => {
            sqlmap::bitstring::to_binary(&String::from_utf8_lossy(&text())).map_err(|e| BadValue(e.message))?
        }
        OID_INET | OID_CIDR => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            sqlmap::network::Inet::parse(&s, t.oid == OID_CIDR).map_err(|e| BadValue(e.message))?.to_binary()
        }
        OID_MACADDR => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            sqlmap::network::parse_macaddr(&s).map_err(|e| BadValue(e.message))?.to_vec()
        }
        OID_MACADDR8 => {
            let s = String::from_utf8_lossy(&text()).into_owned();
            sqlmap::network::parse_macaddr8(&s).map_err(|e| BadValue(e.message))?.to_vec()
        }
        _ => text(),
    }))
}

/// PostgreSQL's binary numeric: base-10000 digits with weight, sign and scale.
fn numeric_binary(s: &str) -> Result<Vec<u8>, BadValue> {
    let s = s.trim();
    let mut out = Vec::new();
    // NaN and the infinities: no digits, a special sign word.
    let special = match s {
        _ if s.eq_ignore_ascii_case("nan") => Some(0xC000u16),
        "Infinity" => Some(0xD000),
        "-Infinity" => Some(0xF000),
        _ => None,
    };
    if let Some(sign) = special {
        for v in [0u16, 0, sign, 0] {
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
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
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
pub(crate) fn param_value(bytes: Option<&[u8]>, oid: u32, binary: bool) -> Result<Value, BadValue> {
    let Some(b) = bytes else { return Ok(Value::Null) };
    if binary {
        return Ok(match oid {
            OID_BOOL => Value::Integer(i64::from(u8::from_be_bytes(fixed(b, oid)?) != 0)),
            21 => Value::Integer(i16::from_be_bytes(fixed(b, oid)?).into()),
            23 => Value::Integer(i32::from_be_bytes(fixed(b, oid)?).into()),
            20 => Value::Integer(i64::from_be_bytes(fixed(b, oid)?)),
            // SQLite has no NaN: it is the text `NaN`, as `'NaN'::float8` is.
            700 | 701 => {
                let float = match oid {
                    700 => f64::from(f32::from_be_bytes(fixed(b, oid)?)),
                    _ => f64::from_be_bytes(fixed(b, oid)?),
                };
                if float.is_nan() {
                    Value::Text("NaN".into())
                } else {
                    Value::Real(float)
                }
            }
            // Exact: the digits as numeric text.
            1700 => types::from_text(&numeric_from_binary(b)?, oid)?,
            OID_BYTEA => Value::Blob(b.to_vec()),
            1082 => match i32::from_be_bytes(fixed(b, oid)?) {
                i32::MAX => Value::Text("infinity".into()),
                i32::MIN => Value::Text("-infinity".into()),
                days => {
                    let (y, m, d) = civil_from_days(i64::from(days) + PG_EPOCH_DAYS);
                    Value::Text(format!("{y:04}-{m:02}-{d:02}"))
                }
            },
            1083 => match i64::from_be_bytes(fixed(b, oid)?) {
                micros @ 0..=86_400_000_000 => Value::Text(format_time(micros)),
                _ => return Err(BadValue("time out of range".into())),
            },
            1114 | 1184 => match i64::from_be_bytes(fixed(b, oid)?) {
                i64::MAX => Value::Text("infinity".into()),
                i64::MIN => Value::Text("-infinity".into()),
                micros => {
                    let micros = micros
                        .checked_add(PG_EPOCH_DAYS * 86_400_000_000)
                        .ok_or_else(|| BadValue("timestamp out of range".into()))?;
                    Value::Text(format_timestamp(micros, oid == 1184))
                }
            },
            2950 => {
                let u: [u8; 16] = fixed(b, oid)?;
                let part = |r: std::ops::Range<usize>| hex::encode(u.get(r).unwrap_or_default());
                Value::Text(format!("{}-{}-{}-{}-{}", part(0..4), part(4..6), part(6..8), part(8..10), part(10..16)))
            }
            OID_JSONB => Value::Text(jsonb_text(&String::from_utf8_lossy(b.get(1..).unwrap_or_default()))),
            OID_OID => Value::Integer(u32::from_be_bytes(fixed(b, oid)?).into()),
            OID_CHAR => Value::Text(sqlmap::systypes::char_text(u8::from_be_bytes(fixed(b, oid)?))),
            OID_BIT | OID_VARBIT => Value::Text(sqlmap::bitstring::from_binary(b).map_err(|e| BadValue(e.message))?),
            OID_INET | OID_CIDR => Value::Text(
                sqlmap::network::Inet::from_binary(b, oid == OID_CIDR).map_err(|e| BadValue(e.message))?.to_text(),
            ),
            OID_MACADDR => Value::Text(sqlmap::network::mac_from_binary(b, 6).map_err(|e| BadValue(e.message))?),
            OID_MACADDR8 => Value::Text(sqlmap::network::mac_from_binary(b, 8).map_err(|e| BadValue(e.message))?),
            _ => Value::Text(
                String::from_utf8(b.to_vec()).map_err(|_| BadValue("invalid UTF-8 in a text parameter".into()))?,
            ),
        });
    }
    let text = std::str::from_utf8(b).map_err(|_| BadValue("invalid byte sequence for encoding \"UTF8\"".into()))?;
    types::from_text(text, oid)
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
    fn bit_network_and_system_types_round_trip_in_binary() {
        // (type, stored text, PostgreSQL's binary form)
        for (oid, text, bytes) in [
            (OID_BIT, "01101001000001", vec![0, 0, 0, 14, 0b0110_1001, 0b0000_0100]),
            (OID_VARBIT, "", vec![0, 0, 0, 0]),
            (OID_INET, "127.0.0.1", vec![2, 32, 0, 4, 127, 0, 0, 1]),
            (OID_INET, "10.1.2.3/8", vec![2, 8, 0, 4, 10, 1, 2, 3]),
            (OID_CIDR, "10.0.0.0/8", vec![2, 8, 1, 4, 10, 0, 0, 0]),
            (OID_MACADDR, "12:34:56:ab:cd:ef", vec![0x12, 0x34, 0x56, 0xab, 0xcd, 0xef]),
            (OID_MACADDR8, "12:34:56:ff:fe:ab:cd:ef", vec![0x12, 0x34, 0x56, 0xff, 0xfe, 0xab, 0xcd, 0xef]),
            (OID_CHAR, "a", vec![b'a']),
            (OID_CHAR, "\\303", vec![0xc3]),
            (OID_CHAR, "", vec![0]),
        ] {
            let value = Value::Text(text.into());
            assert_eq!(to_binary(&value, &ColumnType::plain(oid)).unwrap().unwrap(), bytes, "{oid} {text}");
            assert_eq!(param_value(Some(bytes.as_slice()), oid, true).unwrap(), value, "{oid} {bytes:?}");
        }
        let oid = Value::Integer(4_000_000_000);
        assert_eq!(to_binary(&oid, &ColumnType::plain(OID_OID)).unwrap().unwrap(), 4_000_000_000u32.to_be_bytes());
        assert_eq!(param_value(Some(&4_000_000_000u32.to_be_bytes()[..]), OID_OID, true).unwrap(), oid);
        // Malformed binary input is an error, never a panic.
        for (oid, bytes) in [
            (OID_BIT, &[0u8, 0, 0, 9, 1][..]),
            (OID_BIT, &[0xff, 0xff, 0xff, 0xff][..]),
            (OID_INET, &[2, 33, 0, 4, 1, 2, 3, 4][..]),
            (OID_INET, &[2, 32, 0, 16, 1, 2, 3, 4][..]),
            (OID_CIDR, &[2, 8, 1, 4, 10, 0, 0, 1][..]),
            (OID_MACADDR, &[1, 2, 3][..]),
            (OID_CHAR, &[][..]),
            (OID_OID, &[1, 2][..]),
        ] {
            assert!(param_value(Some(bytes), oid, true).is_err(), "{oid} {bytes:?}");
        }
    }

    #[test]
    fn float_nan_is_sent_and_received_as_nan() {
        let nan = Value::Text("NaN".into());
        let b = to_binary(&nan, &ColumnType::plain(700)).unwrap().unwrap();
        assert!(f32::from_be_bytes(b.try_into().unwrap()).is_nan());
        let b = to_binary(&nan, &ColumnType::plain(701)).unwrap().unwrap();
        assert!(f64::from_be_bytes(b.try_into().unwrap()).is_nan());
        assert_eq!(param_value(Some(&f64::NAN.to_be_bytes()[..]), 701, true).unwrap(), nan);
        assert_eq!(param_value(Some(&f32::NAN.to_be_bytes()[..]), 700, true).unwrap(), nan);
        let inf = to_binary(&Value::Real(f64::INFINITY), &ColumnType::plain(701)).unwrap().unwrap();
        assert_eq!(inf, f64::INFINITY.to_be_bytes());
    }

    #[test]
    fn timestamps_encode_from_the_postgres_epoch() {
        let b = to_binary(&Value::Text("2000-01-01 00:00:00+00".into()), &ColumnType::plain(1184)).unwrap().unwrap();
        assert_eq!(b, 0i64.to_be_bytes());
    }
}
