//! Front-end replies as MySQL results, and MySQL parameters as chain
//! values. A result column's MySQL type follows its declared PostgreSQL
//! type (`boolean` is `TINYINT(1)`, `timestamp` `DATETIME`, `bytea`
//! `BLOB`, `numeric` `DECIMAL`); its values are converted to fit that type
//! so the text and the binary protocol both encode them. A date or time
//! column holding a value that is not one (SQLite stores text) is sent as
//! a string column rather than failing the result.

use node_core::value::Value as ChainValue;
use proxy_frontend::types::{self, ColumnType as PgType};
use proxy_frontend::{Column as FrontendColumn, FrontendError};
use proxy_mysql::{Column, ColumnType, DateTime, OkInfo, QueryResult, Time, Value};

use proxy_frontend::types::{OID_BOOL, OID_BYTEA, OID_FLOAT8, OID_INT8, OID_JSONB};

const OID_INT2: u32 = 21;
const OID_INT4: u32 = 23;
const OID_JSON: u32 = 114;
const OID_FLOAT4: u32 = 700;
const OID_DATE: u32 = 1082;
const OID_TIME: u32 = 1083;
const OID_TIMESTAMP: u32 = 1114;
const OID_TIMESTAMPTZ: u32 = 1184;
const OID_NUMERIC: u32 = 1700;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The MySQL column type for a declared PostgreSQL type.
pub(crate) fn mysql_type(oid: u32) -> ColumnType {
    match oid {
        OID_BOOL => ColumnType::Tiny,
        OID_INT2 => ColumnType::Short,
        OID_INT4 => ColumnType::Long,
        OID_INT8 => ColumnType::LongLong,
        OID_FLOAT4 => ColumnType::Float,
        OID_FLOAT8 => ColumnType::Double,
        OID_NUMERIC => ColumnType::NewDecimal,
        OID_BYTEA => ColumnType::Blob,
        OID_DATE => ColumnType::Date,
        OID_TIMESTAMP => ColumnType::DateTime,
        OID_TIMESTAMPTZ => ColumnType::Timestamp,
        OID_TIME => ColumnType::Time,
        OID_JSON | OID_JSONB => ColumnType::Json,
        _ => ColumnType::VarString,
    }
}

/// A column definition as drivers expect it for the type.
pub(crate) fn column(name: &str, column_type: ColumnType, pg: Option<&PgType>) -> Column {
    let mut column = Column::new(name, column_type);
    match (column_type, pg) {
        // Connector/J and others read TINYINT(1) as a boolean.
        (ColumnType::Tiny, _) => column.length = 1,
        (ColumnType::NewDecimal, Some(t)) => {
            if let Some(scale) = t.scale {
                column.decimals = u8::try_from(scale).unwrap_or(30);
            }
        }
        (ColumnType::Date, _) => {
            column.length = 10;
            column.decimals = 0;
        }
        (ColumnType::VarString | ColumnType::Json, Some(t)) if t.typmod > 4 => {
            // varchar(n) / char(n): n characters of up to 4 bytes.
            column.length = u32::try_from(t.typmod - 4).unwrap_or(u32::MAX / 4).saturating_mul(4);
        }
        _ => {}
    }
    column
}

/// A result set: columns typed by their declared types, values converted.
pub(crate) fn rows(columns: &[FrontendColumn], rows: Vec<Vec<ChainValue>>) -> QueryResult {
    let mut types: Vec<ColumnType> = columns.iter().map(|c| mysql_type(c.ty.oid)).collect();
    let pg = |index: usize| columns.get(index).map_or(PgType::plain(types::OID_TEXT), |c| c.ty);
    // Each value converted once; a column whose values do not all fit its
    // type is converted again, as text.
    let mut converted: Vec<Vec<Option<Value>>> = rows
        .iter()
        .map(|row| row.iter().enumerate().map(|(i, v)| convert(v, types.get(i).copied()?, &pg(i))).collect())
        .collect();
    for (index, kind) in types.iter_mut().enumerate() {
        if converted.iter().any(|row| row.get(index).is_some_and(Option::is_none)) {
            *kind = ColumnType::VarString;
            for (row, values) in rows.iter().zip(&mut converted) {
                if let (Some(v), Some(slot)) = (row.get(index), values.get_mut(index)) {
                    *slot = convert(v, ColumnType::VarString, &pg(index));
                }
            }
        }
    }
    let out = converted.into_iter().map(|row| row.into_iter().map(|v| v.unwrap_or(Value::Null)).collect()).collect();
    let columns = columns.iter().zip(&types).map(|(c, kind)| column(&c.name, *kind, Some(&c.ty))).collect();
    QueryResult::Rows { columns, rows: out }
}

/// `value` as a MySQL value of `kind`; `None` when it does not fit.
fn convert(value: &ChainValue, kind: ColumnType, pg: &PgType) -> Option<Value> {
    use ColumnType as T;
    Some(match (kind, value) {
        (_, ChainValue::Null) => Value::Null,
        (T::Tiny | T::Short | T::Long | T::LongLong, ChainValue::Integer(i)) => Value::Int(*i),
        (T::Tiny | T::Short | T::Long | T::LongLong, _) => return None,
        (T::Float, ChainValue::Real(f)) => Value::Float(*f as f32),
        (T::Float, ChainValue::Integer(i)) => Value::Float(*i as f32),
        (T::Double, ChainValue::Real(f)) => Value::Double(*f),
        (T::Double, ChainValue::Integer(i)) => Value::Double(*i as f64),
        (T::Float | T::Double, _) => return None,
        // Exact numerics are stored as their text.
        (T::NewDecimal, ChainValue::Integer(_) | ChainValue::Real(_) | ChainValue::Text(_)) => {
            Value::Bytes(types::to_text(value, pg)?)
        }
        (T::NewDecimal, _) => return None,
        (T::Blob, ChainValue::Blob(bytes)) => Value::Bytes(bytes.clone()),
        (T::Blob, ChainValue::Text(text)) => Value::Bytes(text.as_bytes().to_vec()),
        (T::Date, ChainValue::Text(text)) => Value::DateTime(date(text)?),
        (T::DateTime | T::Timestamp, ChainValue::Text(text)) => Value::DateTime(datetime(text)?),
        (T::Time, ChainValue::Text(text)) => Value::Time(time(text)?),
        (T::Date | T::DateTime | T::Timestamp | T::Time, _) => return None,
        // Booleans that reach a text column print as MySQL prints them.
        (_, ChainValue::Integer(i)) if pg.oid == OID_BOOL => Value::Bytes(i.to_string().into_bytes()),
        (_, ChainValue::Blob(bytes)) => Value::Bytes(bytes.clone()),
        (_, ChainValue::Integer(i)) => Value::Bytes(i.to_string().into_bytes()),
        (_, _) => Value::Bytes(types::to_text(value, pg)?),
    })
}

fn date(text: &str) -> Option<DateTime> {
    let days = node_core::pgtime::parse_date(text.trim())?;
    let (year, month, day) = node_core::pgtime::civil_from_days(days);
    Some(DateTime {
        year: u16::try_from(year).ok().filter(|y| *y <= 9999)?,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        ..DateTime::default()
    })
}

fn datetime(text: &str) -> Option<DateTime> {
    let micros = node_core::pgtime::parse_timestamp(text.trim())?;
    let (days, of_day) = (micros.div_euclid(MICROS_PER_DAY), micros.rem_euclid(MICROS_PER_DAY));
    let (year, month, day) = node_core::pgtime::civil_from_days(days);
    let seconds = of_day / 1_000_000;
    Some(DateTime {
        year: u16::try_from(year).ok().filter(|y| *y <= 9999)?,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        hour: u8::try_from(seconds / 3600).ok()?,
        minute: u8::try_from(seconds / 60 % 60).ok()?,
        second: u8::try_from(seconds % 60).ok()?,
        microsecond: u32::try_from(of_day % 1_000_000).ok()?,
    })
}

/// `[-]HH:MM:SS[.ffffff]`.
fn time(text: &str) -> Option<Time> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let mut parts = clock.split(':');
    let hours: u32 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok().filter(|m| *m < 60)?;
    let second: u8 = parts.next()?.parse().ok().filter(|s| *s < 60)?;
    if parts.next().is_some() {
        return None;
    }
    let microsecond = match fraction {
        None => 0,
        Some(digits) if !digits.is_empty() && digits.len() <= 6 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{digits:0<6}");
            padded.parse().ok()?
        }
        Some(_) => return None,
    };
    Some(Time { negative, days: hours / 24, hour: u8::try_from(hours % 24).ok()?, minute, second, microsecond })
}

/// The rows a statement's command tag (`INSERT 0 3`, `UPDATE 2`) says it
/// affected.
pub(crate) fn tag_rows(tag: &str) -> u64 {
    match tag.split_whitespace().next() {
        Some("INSERT" | "UPDATE" | "DELETE" | "MERGE") => {
            tag.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0)
        }
        _ => 0,
    }
}

/// What a write reports in its OK packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub kind: Option<sqlmap::WriteKind>,
    /// Rows changed (MySQL's affected rows).
    pub affected: u64,
    /// Rows matched (CLIENT_FOUND_ROWS).
    pub matched: u64,
    pub insert_id: u64,
    pub warnings: u16,
}

/// The OK packet for a statement, with MySQL's info line: `Rows matched:
/// M  Changed: C  Warnings: 0` after an UPDATE, `Records: N  Duplicates:
/// 0  Warnings: 0` after an INSERT of several rows.
pub(crate) fn ok(counts: Counts, found_rows: bool) -> QueryResult {
    let info = match counts.kind {
        Some(sqlmap::WriteKind::Update) => {
            format!("Rows matched: {}  Changed: {}  Warnings: 0", counts.matched, counts.affected)
        }
        Some(sqlmap::WriteKind::Insert) if counts.affected > 1 && counts.matched == counts.affected => {
            format!("Records: {}  Duplicates: 0  Warnings: {}", counts.affected, counts.warnings)
        }
        _ => String::new(),
    };
    let affected_rows = if found_rows { counts.matched } else { counts.affected };
    QueryResult::Ok(OkInfo { affected_rows, last_insert_id: counts.insert_id, warnings: counts.warnings, info })
}

/// A statement parameter as the chain value for a parameter of PostgreSQL
/// type `oid` (0: not known), as the PostgreSQL wire's text parameters
/// become values.
pub(crate) fn parameter(value: Value, oid: u32) -> Result<ChainValue, FrontendError> {
    let from_text = |text: &str| types::from_text(text, oid).map_err(|e| FrontendError::new("22P02", e.0));
    Ok(match value {
        Value::Null => ChainValue::Null,
        Value::Int(i) if matches!(oid, OID_FLOAT4 | OID_FLOAT8) => ChainValue::Real(i as f64),
        Value::Int(i) => ChainValue::Integer(i),
        Value::UInt(u) => match i64::try_from(u) {
            Ok(i) if !matches!(oid, OID_FLOAT4 | OID_FLOAT8) => ChainValue::Integer(i),
            _ => from_text(&u.to_string())?,
        },
        Value::Float(f) => ChainValue::Real(f64::from(f)),
        Value::Double(f) => ChainValue::Real(f),
        Value::Bytes(bytes) if oid == OID_BYTEA => ChainValue::Blob(bytes),
        Value::Bytes(bytes) => match String::from_utf8(bytes) {
            Ok(text) if oid == 0 => ChainValue::Text(text),
            Ok(text) => from_text(&text)?,
            Err(not_text) => ChainValue::Blob(not_text.into_bytes()),
        },
        Value::DateTime(d) if oid == OID_DATE => from_text(&format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))?,
        Value::DateTime(d) => {
            let fraction = if d.microsecond == 0 { String::new() } else { format!(".{:06}", d.microsecond) };
            let text = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{fraction}",
                d.year, d.month, d.day, d.hour, d.minute, d.second
            );
            if matches!(oid, OID_TIMESTAMP | OID_TIMESTAMPTZ | OID_DATE) {
                from_text(&text)?
            } else {
                ChainValue::Text(text)
            }
        }
        Value::Time(t) => {
            let hours = u64::from(t.days) * 24 + u64::from(t.hour);
            let sign = if t.negative { "-" } else { "" };
            let fraction = if t.microsecond == 0 { String::new() } else { format!(".{:06}", t.microsecond) };
            ChainValue::Text(format!("{sign}{hours:02}:{:02}:{:02}{fraction}", t.minute, t.second))
        }
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test that indexes wrong fails, as it should
mod tests {
    use super::*;

    fn col(name: &str, oid: u32) -> FrontendColumn {
        FrontendColumn { name: name.into(), ty: PgType::plain(oid) }
    }

    #[test]
    fn values_take_their_columns_mysql_types() {
        let columns = [col("b", OID_BOOL), col("t", OID_TIMESTAMP), col("d", OID_DATE), col("x", OID_BYTEA)];
        let row = vec![
            ChainValue::Integer(1),
            ChainValue::Text("2024-02-29 13:45:01.5".into()),
            ChainValue::Text("1999-12-31".into()),
            ChainValue::Blob(vec![0, 255]),
        ];
        let QueryResult::Rows { columns, rows } = rows(&columns, vec![row]) else { panic!() };
        let kinds: Vec<ColumnType> = columns.iter().map(|c| c.column_type).collect();
        assert_eq!(kinds, [ColumnType::Tiny, ColumnType::DateTime, ColumnType::Date, ColumnType::Blob]);
        assert_eq!(columns[0].length, 1);
        let stamp = DateTime { year: 2024, month: 2, day: 29, hour: 13, minute: 45, second: 1, microsecond: 500_000 };
        let day = DateTime { year: 1999, month: 12, day: 31, ..DateTime::default() };
        assert_eq!(rows[0], [Value::Int(1), Value::DateTime(stamp), Value::DateTime(day), Value::Bytes(vec![0, 255])]);
    }

    #[test]
    fn a_date_column_holding_text_that_is_no_date_is_sent_as_text() {
        let QueryResult::Rows { columns, rows } =
            rows(&[col("d", OID_DATE)], vec![vec![ChainValue::Text("soon".into())]])
        else {
            panic!()
        };
        assert_eq!(columns[0].column_type, ColumnType::VarString);
        assert_eq!(rows[0], [Value::Bytes(b"soon".to_vec())]);
    }

    #[test]
    fn times_parse_with_hours_past_a_day_and_fractions() {
        assert_eq!(
            time("-25:01:02.5"),
            Some(Time { negative: true, days: 1, hour: 1, minute: 1, second: 2, microsecond: 500_000 })
        );
        assert_eq!(time("12:60:00"), None);
        assert_eq!(time("1:2"), None);
        assert_eq!(time("01:02:03.1234567"), None);
    }

    #[test]
    fn writes_report_mysqls_counts_and_info_lines() {
        assert_eq!((tag_rows("INSERT 0 3"), tag_rows("UPDATE 2"), tag_rows("CREATE TABLE")), (3, 2, 0));
        let update =
            Counts { kind: Some(sqlmap::WriteKind::Update), affected: 0, matched: 1, insert_id: 0, warnings: 0 };
        let QueryResult::Ok(info) = ok(update, false) else { panic!() };
        assert_eq!((info.affected_rows, info.info.as_str()), (0, "Rows matched: 1  Changed: 0  Warnings: 0"));
        let QueryResult::Ok(info) = ok(update, true) else { panic!() };
        assert_eq!(info.affected_rows, 1);
        let insert =
            Counts { kind: Some(sqlmap::WriteKind::Insert), affected: 2, matched: 2, insert_id: 7, warnings: 0 };
        assert_eq!(
            ok(insert, false),
            QueryResult::Ok(OkInfo {
                affected_rows: 2,
                last_insert_id: 7,
                info: "Records: 2  Duplicates: 0  Warnings: 0".into(),
                ..OkInfo::default()
            })
        );
        assert_eq!(
            ok(Counts { kind: None, affected: 0, matched: 0, insert_id: 0, warnings: 0 }, false),
            QueryResult::Ok(OkInfo::default())
        );
    }

    #[test]
    fn parameters_follow_the_declared_type() {
        assert_eq!(parameter(Value::Bytes(b"12".to_vec()), OID_INT4).unwrap(), ChainValue::Integer(12));
        assert_eq!(parameter(Value::Bytes(vec![0xff]), OID_BYTEA).unwrap(), ChainValue::Blob(vec![0xff]));
        assert_eq!(parameter(Value::Bytes(vec![0xff]), 25).unwrap(), ChainValue::Blob(vec![0xff]));
        assert_eq!(parameter(Value::Int(3), OID_FLOAT8).unwrap(), ChainValue::Real(3.0));
        assert_eq!(parameter(Value::UInt(u64::MAX), 0).unwrap(), ChainValue::Text(u64::MAX.to_string()));
        assert_eq!(parameter(Value::Bytes(b"x".to_vec()), OID_INT4).unwrap_err().sqlstate, "22P02");
        let d = DateTime { year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: 0 };
        assert_eq!(parameter(Value::DateTime(d), 0).unwrap(), ChainValue::Text("2024-01-02 03:04:05".into()));
    }
}
