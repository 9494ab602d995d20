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
    if let Some(element) = sqlmap::arrays::element_oid(t.oid) {
        return array_binary(v, t, element).map(Some);
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

/// PostgreSQL's `array_send`: dimensions, a has-nulls flag, the element
/// type, each dimension's length and lower bound, then every element as its
/// length (-1 for NULL) and its binary form. rowchain's arrays are
/// one-dimensional, subscripted from 1; an `int2vector` or `oidvector`
/// is always one-dimensional, subscripted from 0, even when empty.
fn array_binary(v: &Value, t: &ColumnType, element: u32) -> Result<Vec<u8>, BadValue> {
    let text = String::from_utf8_lossy(&to_text(v, t).unwrap_or_default()).into_owned();
    let vector = sqlmap::arrays::is_vector(t.oid);
    let elements: Vec<Option<String>> = if vector {
        text.split_whitespace().map(|e| Some(e.to_string())).collect()
    } else {
        sqlmap::arrays::parse(&text).ok_or_else(|| BadValue(format!("malformed array literal: \"{text}\"")))?
    };
    let too_large = || BadValue("array size exceeds the maximum allowed".into());
    let dimensions: i32 = if elements.is_empty() && !vector { 0 } else { 1 };
    let mut out = Vec::with_capacity(20 + 8 * elements.len());
    out.extend(dimensions.to_be_bytes());
    out.extend(i32::from(elements.iter().any(Option::is_none)).to_be_bytes());
    out.extend(element.to_be_bytes());
    if dimensions == 1 {
        out.extend(i32::try_from(elements.len()).map_err(|_| too_large())?.to_be_bytes());
        out.extend(i32::from(!vector).to_be_bytes());
    }
    let element_type = ColumnType::plain(element);
    for e in &elements {
        let bytes = match e {
            Some(e) => to_binary(&types::from_text(e, element)?, &element_type)?,
            None => None,
        };
        match bytes {
            Some(b) => {
                out.extend(i32::try_from(b.len()).map_err(|_| too_large())?.to_be_bytes());
                out.extend(b);
            }
            None => out.extend((-1i32).to_be_bytes()),
        }
    }
    Ok(out)
}

/// Checked big-endian reads from a client's bytes: a short input is an
/// error, never a panic.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadValue> {
        let (head, rest) = self.rest.split_at_checked(n).ok_or_else(insufficient_data)?;
        self.rest = rest;
        Ok(head)
    }

    fn i32(&mut self) -> Result<i32, BadValue> {
        let (head, rest) = self.rest.split_first_chunk::<4>().ok_or_else(insufficient_data)?;
        self.rest = rest;
        Ok(i32::from_be_bytes(*head))
    }

    fn u32(&mut self) -> Result<u32, BadValue> {
        self.i32().map(i32::cast_unsigned)
    }
}

fn insufficient_data() -> BadValue {
    BadValue("insufficient data left in message".into())
}

/// An array parameter in `array_recv`'s format (see [`array_binary`]), as
/// the array's text (`{1,NULL}`, or `1 2` for a vector): each element is
/// decoded as a parameter of the element type and printed as that type.
fn array_from_binary(b: &[u8], oid: u32, element: u32) -> Result<String, BadValue> {
    let vector = sqlmap::arrays::is_vector(oid);
    let invalid_vector = || BadValue(format!("invalid {} data", if oid == 22 { "int2vector" } else { "oidvector" }));
    let mut input = Reader { rest: b };
    let (dimensions, flags, element_type) = (input.i32()?, input.i32()?, input.u32()?);
    // Checked in array_recv's order, so the same input gets the same error.
    match dimensions {
        0 | 1 => {}
        2.. => return Err(BadValue("multidimensional arrays are not supported".into())),
        _ => return Err(BadValue(format!("invalid number of dimensions: {dimensions}"))),
    }
    if !matches!(flags, 0 | 1) {
        return Err(BadValue("invalid array flags".into()));
    }
    if element_type != element {
        return Err(BadValue("wrong element type".into()));
    }
    let count = if dimensions == 0 {
        0
    } else {
        let length = usize::try_from(input.i32()?).map_err(|_| BadValue("invalid array length".into()))?;
        match (input.i32()?, vector) {
            (1, false) | (0, true) => {}
            (_, true) => return Err(invalid_vector()),
            (_, false) => return Err(BadValue("array lower bounds other than 1 are not supported".into())),
        }
        length
    };
    // Every element takes at least its 4-byte length, so the message's own
    // length bounds the count before anything is allocated for it.
    if count.checked_mul(4).is_none_or(|n| n > input.rest.len()) {
        return Err(insufficient_data());
    }
    let element_column = ColumnType::plain(element);
    let mut elements = Vec::with_capacity(count);
    for _ in 0..count {
        let text = match input.i32()? {
            -1 if vector => return Err(invalid_vector()),
            -1 => None,
            length => {
                let length = usize::try_from(length).map_err(|_| insufficient_data())?;
                let value = param_value(Some(input.take(length)?), element, true)?;
                Some(String::from_utf8_lossy(&to_text(&value, &element_column).unwrap_or_default()).into_owned())
            }
        };
        elements.push(text);
    }
    if !input.rest.is_empty() {
        return Err(BadValue(format!("incorrect binary data format in bind parameter (type {oid})")));
    }
    Ok(if vector {
        elements.into_iter().flatten().collect::<Vec<_>>().join(" ")
    } else {
        sqlmap::arrays::format(&elements)
    })
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
        if let Some(element) = sqlmap::arrays::element_oid(oid) {
            return array_from_binary(b, oid, element).map(Value::Text);
        }
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

    /// (type, stored text, what PostgreSQL 15 sends for it: `array_send`,
    /// `int2vectorsend`, `oidvectorsend`, checked on a real server).
    const ARRAYS: &[(u32, &str, &str)] = &[
        (1007, "{1,NULL,3}", "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003"),
        (
            1009,
            r#"{a,NULL,"","x,\"y\\z",😀}"#,
            "00000001000000010000001900000005000000010000000161ffffffff0000000000000006782c22795c7a00000004f09f9880",
        ),
        (1000, "{t,f,NULL}", "000000010000000100000010000000030000000100000001010000000100ffffffff"),
        (
            1231,
            "{1.5,-2,NULL,0.0001}",
            "0000000100000001000006a400000004000000010000000c0002000000000001000113880000000a0001000040000000\
             0002ffffffff0000000a0001ffff000000040001",
        ),
        (1007, "{}", "000000000000000000000017"),
        (1022, "{1.5,NaN}", "0000000100000000000002bd0000000200000001000000083ff8000000000000000000087ff8000000000000"),
        (1182, "{2000-01-02,infinity}", "00000001000000000000043a00000002000000010000000400000001000000047fffffff"),
        (2951, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "000000010000000000000b86000000010000000100000010a0eebc999c0b4ef8bb6d6bb9bd380a11"),
        (1001, r#"{"\\x0102"}"#, "0000000100000000000000110000000100000001000000020102"),
        (22, "1 2", "0000000100000000000000150000000200000000000000020001000000020002"),
        (30, "0 23 4000000000", "00000001000000000000001a00000003000000000000000400000000000000040000001700000004ee6b2800"),
        (30, "", "00000001000000000000001a0000000000000000"),
        (
            1006,
            r#"{"1 2"}"#,
            "0000000100000000000000160000000100000001000000200000000100000000000000150000000200000000000000020001000000020002",
        ),
    ];

    #[test]
    fn arrays_and_vectors_round_trip_in_binary_as_postgres_sends_them() {
        for (oid, text, hex_bytes) in ARRAYS {
            let bytes = hex::decode(hex_bytes).unwrap();
            let value = Value::Text(text.to_string());
            assert_eq!(to_binary(&value, &ColumnType::plain(*oid)).unwrap().unwrap(), bytes, "{oid} {text}");
            assert_eq!(param_value(Some(&bytes), *oid, true).unwrap(), value, "{oid} {hex_bytes}");
            // A text parameter of the same array is stored the same way.
            assert_eq!(param_value(Some(text.as_bytes()), *oid, false).unwrap(), value, "{oid} {text}");
        }
        // Booleans as SQLite stores them (a catalog's `array_agg(x = 0)`).
        let sqlite_bools = to_binary(&Value::Text("{0,1,NULL}".into()), &ColumnType::plain(1000)).unwrap().unwrap();
        assert_eq!(hex::encode(sqlite_bools), "000000010000000100000010000000030000000100000001000000000101ffffffff");
        assert_eq!(to_binary(&Value::Null, &ColumnType::plain(1007)).unwrap(), None);
    }

    #[test]
    fn stored_text_that_is_no_array_is_an_error() {
        for (oid, text) in
            [(1007, "not an array"), (1007, "{1,x}"), (1007, "{1"), (22, "1 x"), (30, "-x"), (1000, "{maybe}")]
        {
            assert!(to_binary(&Value::Text(text.into()), &ColumnType::plain(oid)).is_err(), "{oid} {text}");
        }
    }

    #[test]
    fn malformed_binary_arrays_are_errors() {
        let header = |dimensions: i32, flags: i32, element: u32| {
            [dimensions.to_be_bytes(), flags.to_be_bytes(), element.to_be_bytes()].concat()
        };
        let with = |parts: &[&[u8]]| parts.concat();
        let int4s = |length: i32, lower: i32| with(&[&header(1, 0, 23), &length.to_be_bytes(), &lower.to_be_bytes()]);
        let one = [4i32.to_be_bytes(), 7i32.to_be_bytes()].concat();
        let error = |oid: u32, bytes: &[u8]| match param_value(Some(bytes), oid, true) {
            Err(e) => e.0,
            Ok(v) => panic!("{oid} {bytes:?} decoded as {v:?}"),
        };
        let cases: Vec<(u32, Vec<u8>, &str)> = vec![
            (1007, vec![], "insufficient data"),
            (1007, vec![0, 0, 0, 1, 0, 0, 0], "insufficient data"),
            (1007, header(1, 0, 23), "insufficient data"),
            (1007, with(&[&header(1, 0, 23), &1i32.to_be_bytes()]), "insufficient data"),
            (1007, int4s(-1, 1), "invalid array length"),
            (1007, int4s(i32::MAX, 1), "insufficient data"),
            (1007, with(&[&int4s(2, 1), &one]), "insufficient data"),
            (1007, with(&[&int4s(1, 1), &(-2i32).to_be_bytes(), &[0; 8]]), "insufficient data"),
            (1007, with(&[&int4s(1, 1), &i32::MAX.to_be_bytes(), &[0; 8]]), "insufficient data"),
            (1007, with(&[&int4s(1, 1), &2i32.to_be_bytes(), &[0, 7]]), "incorrect binary data format"),
            (1007, with(&[&int4s(1, 1), &one, &[0]]), "incorrect binary data format"),
            (1007, with(&[&int4s(1, 0), &one]), "lower bounds"),
            (
                1007,
                with(&[&header(2, 0, 23), &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], &one]),
                "multidimensional",
            ),
            (1007, header(-1, 0, 23), "invalid number of dimensions"),
            (1007, header(0, 2, 23), "invalid array flags"),
            (1007, with(&[&header(1, 0, 20), &[0, 0, 0, 1, 0, 0, 0, 1], &one]), "wrong element type"),
            (1009, with(&[&header(1, 0, 25), &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff]]), "UTF-8"),
            (
                22,
                with(&[&header(1, 1, 21), &[0, 0, 0, 1, 0, 0, 0, 0], &(-1i32).to_be_bytes()]),
                "invalid int2vector data",
            ),
            (
                30,
                with(&[&header(1, 0, 26), &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1]]),
                "invalid oidvector data",
            ),
        ];
        for (oid, bytes, message) in cases {
            let e = error(oid, &bytes);
            assert!(e.contains(message), "{oid} {bytes:?}: {e}");
        }
    }

    #[test]
    fn no_prefix_or_corruption_of_a_binary_array_panics() {
        for (oid, _, hex_bytes) in ARRAYS {
            let bytes = hex::decode(hex_bytes).unwrap();
            for end in 0..bytes.len() {
                let prefix = bytes.get(..end).unwrap();
                assert!(param_value(Some(prefix), *oid, true).is_err(), "{oid} {hex_bytes} cut at {end}");
            }
            for at in 0..bytes.len() {
                for byte in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                    let mut corrupt = bytes.clone();
                    *corrupt.get_mut(at).unwrap() = byte;
                    let _ = param_value(Some(&corrupt), *oid, true);
                }
            }
        }
    }

    #[test]
    fn timestamps_encode_from_the_postgres_epoch() {
        let b = to_binary(&Value::Text("2000-01-01 00:00:00+00".into()), &ColumnType::plain(1184)).unwrap().unwrap();
        assert_eq!(b, 0i64.to_be_bytes());
    }
}
