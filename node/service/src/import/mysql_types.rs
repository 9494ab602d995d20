//! A MySQL/MariaDB table as the chain stores it: each column type mapped to
//! a PostgreSQL type (the table in README.md, "Follow an existing
//! database"), and each value, as the snapshot's text protocol or the
//! binlog's row images carry it, converted to the chain's value.
//!
//! Values are converted exactly or refused: a value the chain's type cannot
//! hold (a zero date, a TIME past 24 hours) stops the import with the table,
//! column and value named, rather than arriving changed.

use mysql_async::binlog::value::BinlogValue;
use mysql_async::Value as MyValue;
use node_core::value::Value;

/// How a column's values are read and converted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// Integers that fit `i64` (and YEAR).
    Int,
    /// BIGINT UNSIGNED: `numeric(20,0)`, carried as text.
    UInt64,
    Decimal,
    /// FLOAT: an `f32` on the source, read back by its shortest text.
    Float,
    Double,
    Text,
    Enum(Vec<String>),
    Set(Vec<String>),
    Bytes,
    Bit,
    Date,
    DateTime,
    /// TIMESTAMP: imported as UTC.
    Timestamp,
    Time,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub pg_type: String,
    pub kind: Kind,
    pub nullable: bool,
    /// How the binlog encodes a text column's values (the snapshot reads
    /// them converted to UTF-8 by the server).
    pub charset: Charset,
}

impl Column {
    /// `charset`: the column's character set name, for a text column.
    pub fn new(name: &str, column_type: &str, nullable: bool, charset: Option<&str>) -> Result<Column, String> {
        let (pg_type, kind) = map_type(column_type).map_err(|e| format!("column {name}: {e}"))?;
        let charset = match (&kind, charset) {
            (Kind::Text, Some(c)) => Charset::named(c).ok_or_else(|| {
                format!("column {name}: character set {c} is not supported yet (utf8mb4, utf8mb3, latin1, ascii are)")
            })?,
            _ => Charset::Utf8,
        };
        Ok(Column { name: name.to_string(), pg_type, kind, nullable, charset })
    }
}

/// The character sets whose bytes the importer decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    Utf8,
    /// MySQL's latin1: Windows-1252, with its five unassigned bytes kept as
    /// the C1 controls of the same number.
    Latin1,
}

impl Charset {
    pub fn named(name: &str) -> Option<Charset> {
        match name.to_ascii_lowercase().as_str() {
            "utf8mb4" | "utf8mb3" | "utf8" | "ascii" => Some(Charset::Utf8),
            "latin1" => Some(Charset::Latin1),
            _ => None,
        }
    }

    pub fn decode(self, bytes: &[u8]) -> Result<String, String> {
        match self {
            Charset::Utf8 => utf8(bytes),
            Charset::Latin1 => Ok(bytes.iter().map(|&b| latin1_char(b)).collect()),
        }
    }
}

/// Windows-1252's 0x80..=0x9F (0 where the code page assigns nothing).
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0, 0,
    0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

fn latin1_char(b: u8) -> char {
    let mapped = match b {
        0x80..=0x9F => CP1252_HIGH.get(usize::from(b - 0x80)).copied().filter(|&c| c != 0).unwrap_or(u16::from(b)),
        _ => u16::from(b),
    };
    char::from_u32(u32::from(mapped)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Indexes into `columns`, in key order.
    pub primary_key: Vec<usize>,
    /// The character set of text columns added without one.
    pub default_charset: String,
}

pub(crate) use super::sql::{delete_sql, insert_sql, quote, update_sql};

impl Table {
    pub fn create_sql(&self) -> String {
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} {}{}", quote(&c.name), c.pg_type, if c.nullable { "" } else { " NOT NULL" }))
            .collect();
        let key: Vec<String> =
            self.primary_key.iter().filter_map(|&i| self.columns.get(i)).map(|c| quote(&c.name)).collect();
        parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
        format!("CREATE TABLE {} ({})", quote(&self.name), parts.join(", "))
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// The chain's type for a source column type, and how its values convert.
pub(crate) fn map_type(column_type: &str) -> Result<(String, Kind), String> {
    let t = column_type.trim().to_ascii_lowercase();
    let unsigned = t.contains(" unsigned");
    let base: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let args = t
        .find('(')
        .and_then(|open| t.get(open + 1..))
        .and_then(|rest| rest.rfind(')').and_then(|close| rest.get(..close)));
    let numbers = |default: &str| args.map_or_else(|| default.to_string(), |a| a.replace(' ', ""));
    let mapped = match base.as_str() {
        "tinyint" | "bool" | "boolean" => ("smallint".to_string(), Kind::Int),
        "smallint" if unsigned => ("integer".into(), Kind::Int),
        "smallint" => ("smallint".into(), Kind::Int),
        "mediumint" => ("integer".into(), Kind::Int),
        "int" | "integer" if unsigned => ("bigint".into(), Kind::Int),
        "int" | "integer" => ("integer".into(), Kind::Int),
        "bigint" if unsigned => ("numeric(20,0)".into(), Kind::UInt64),
        "bigint" => ("bigint".into(), Kind::Int),
        "decimal" | "numeric" | "dec" | "fixed" => (format!("numeric({})", numbers("10,0")), Kind::Decimal),
        "float" => ("real".into(), Kind::Float),
        "double" | "real" => ("double precision".into(), Kind::Double),
        "bit" => ("bigint".into(), Kind::Bit),
        "year" => ("smallint".into(), Kind::Int),
        "char" | "varchar" => (format!("varchar({})", numbers("1")), Kind::Text),
        "tinytext" | "text" | "mediumtext" | "longtext" | "json" => ("text".into(), Kind::Text),
        "enum" => ("text".into(), Kind::Enum(labels(args.unwrap_or(""))?)),
        "set" => ("text".into(), Kind::Set(labels(args.unwrap_or(""))?)),
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => ("bytea".into(), Kind::Bytes),
        "date" => ("date".into(), Kind::Date),
        "datetime" => (args.map_or_else(|| "timestamp".into(), |p| format!("timestamp({p})")), Kind::DateTime),
        "timestamp" => (args.map_or_else(|| "timestamp".into(), |p| format!("timestamp({p})")), Kind::Timestamp),
        "time" => (args.map_or_else(|| "time".into(), |p| format!("time({p})")), Kind::Time),
        _ => return Err(format!("type {column_type} has no mapping on the chain")),
    };
    Ok(mapped)
}

/// The labels of `enum('a','b')`/`set(..)`'s argument list, as quoted strings.
fn labels(args: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = args.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let mut label = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            label.push('\'');
                        }
                        Some('\'') => break,
                        Some('\\') => label.extend(chars.next()),
                        Some(c) => label.push(c),
                        None => return Err(format!("unterminated label in ({args})")),
                    }
                }
                out.push(label);
            }
            ',' | ' ' => {}
            _ => return Err(format!("unexpected {c:?} in ({args})")),
        }
    }
    Ok(out)
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "a text value that is not UTF-8".to_string())
}

/// A value as the text protocol carries it (the snapshot's SELECT).
pub(crate) fn from_text(kind: &Kind, value: &MyValue) -> Result<Value, String> {
    let bytes = match value {
        MyValue::NULL => return Ok(Value::Null),
        MyValue::Bytes(b) => b,
        // The text protocol sends every value as bytes; other forms come from the binary one.
        other => return from_binlog_value(kind, other),
    };
    Ok(match kind {
        Kind::Int => Value::Integer(utf8(bytes)?.parse().map_err(|_| "an integer out of range".to_string())?),
        Kind::Float | Kind::Double => {
            Value::Real(utf8(bytes)?.parse().map_err(|_| "a floating-point value that does not parse".to_string())?)
        }
        Kind::Bytes => Value::Blob(bytes.clone()),
        Kind::Bit => Value::Integer(bits(bytes)?),
        Kind::Date | Kind::DateTime | Kind::Timestamp => Value::Text(checked_datetime(utf8(bytes)?)?),
        Kind::Time => Value::Text(trim_fraction(checked_time(utf8(bytes)?)?)),
        _ => Value::Text(utf8(bytes)?),
    })
}

/// A value of a binlog row image.
pub(crate) fn from_binlog(column: &Column, value: &BinlogValue<'_>) -> Result<Value, String> {
    match value {
        BinlogValue::Value(MyValue::Bytes(b)) if column.kind == Kind::Text => {
            Ok(Value::Text(column.charset.decode(b)?))
        }
        BinlogValue::Value(v) => from_binlog_value(&column.kind, v),
        BinlogValue::Jsonb(j) => {
            let json = serde_json::Value::try_from(j.clone()).map_err(|e| format!("a JSON value: {e}"))?;
            Ok(Value::Text(json.to_string()))
        }
        BinlogValue::JsonDiff(_) => Err("a partial JSON update (set binlog_row_value_options='')".into()),
    }
}

fn from_binlog_value(kind: &Kind, value: &MyValue) -> Result<Value, String> {
    Ok(match (kind, value) {
        (_, MyValue::NULL) => Value::Null,
        (Kind::Enum(labels), MyValue::Int(i)) => match usize::try_from(*i).ok().and_then(|i| i.checked_sub(1)) {
            Some(i) => {
                Value::Text(labels.get(i).cloned().ok_or_else(|| format!("enum index {} of {}", i + 1, labels.len()))?)
            }
            // MySQL's invalid-value index 0 is the empty string.
            None => Value::Text(String::new()),
        },
        (Kind::Set(labels), MyValue::Bytes(mask)) => Value::Text(set_text(labels, mask)),
        (Kind::Set(labels), MyValue::Int(mask)) => Value::Text(set_text(labels, &mask.to_le_bytes())),
        (Kind::UInt64, MyValue::UInt(u)) => Value::Text(u.to_string()),
        (Kind::UInt64, MyValue::Int(i)) => Value::Text(i.to_string()),
        (_, MyValue::Int(i)) => Value::Integer(*i),
        (_, MyValue::UInt(u)) => Value::Integer(i64::try_from(*u).map_err(|_| format!("{u} is out of range"))?),
        (_, MyValue::Float(f)) => Value::Real(f.to_string().parse().unwrap_or(f64::from(*f))),
        (_, MyValue::Double(d)) => Value::Real(*d),
        (Kind::Date, MyValue::Date(y, m, d, ..)) => Value::Text(checked_datetime(format!("{y:04}-{m:02}-{d:02}"))?),
        (_, MyValue::Date(y, mo, d, h, mi, s, us)) => {
            Value::Text(checked_datetime(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}"))?)
        }
        (_, MyValue::Time(neg, days, h, m, s, us)) => {
            let hours = u32::from(*h) + days * 24;
            if *neg || hours >= 24 {
                return Err(format!(
                    "TIME {}{hours}:{m:02}:{s:02} is outside a time of day",
                    if *neg { "-" } else { "" }
                ));
            }
            Value::Text(trim_fraction(format!("{hours:02}:{m:02}:{s:02}.{us:06}")))
        }
        (Kind::Timestamp, MyValue::Bytes(b)) => Value::Text(epoch_text(&utf8(b)?)?),
        (Kind::Int, MyValue::Bytes(b)) => {
            Value::Integer(utf8(b)?.parse().map_err(|_| "an integer that does not parse".to_string())?)
        }
        (Kind::Bit, MyValue::Bytes(b)) => Value::Integer(bits(b)?),
        (Kind::Bytes, MyValue::Bytes(b)) => Value::Blob(b.clone()),
        (_, MyValue::Bytes(b)) => Value::Text(utf8(b)?),
    })
}

fn set_text(labels: &[String], mask: &[u8]) -> String {
    let on = |i: usize| mask.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0);
    labels.iter().enumerate().filter(|(i, _)| on(*i)).map(|(_, l)| l.as_str()).collect::<Vec<_>>().join(",")
}

/// BIT(n) bytes, big-endian, as an integer.
fn bits(bytes: &[u8]) -> Result<i64, String> {
    if bytes.len() > 8 {
        return Err("a BIT value wider than 64 bits".into());
    }
    let v = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    i64::try_from(v).map_err(|_| "a BIT(64) value past 2^63".to_string())
}

/// A time's text as PostgreSQL writes it: no trailing zeros in the
/// fraction (MySQL pads it to the column's precision). The chain keeps a
/// parameter's text as sent, so the importer sends the canonical form.
fn trim_fraction(text: String) -> String {
    match text.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => text,
    }
}

/// MySQL's zero dates have no PostgreSQL counterpart: refused, not
/// changed. Returned in PostgreSQL's form.
fn checked_datetime(text: String) -> Result<String, String> {
    let zero = |range: std::ops::Range<usize>| text.get(range).is_some_and(|part| part.bytes().all(|b| b == b'0'));
    if zero(0..4) || zero(5..7) || zero(8..10) {
        return Err(format!("the zero date {text:?} (PostgreSQL has no such date)"));
    }
    Ok(trim_fraction(text))
}

fn checked_time(text: String) -> Result<String, String> {
    let hours: Option<u32> = text.split(':').next().and_then(|h| h.parse().ok());
    match hours {
        Some(h) if h < 24 && !text.starts_with('-') => Ok(text),
        _ => Err(format!("TIME {text} is outside a time of day")),
    }
}

/// A binlog TIMESTAMP (`seconds[.micros]` since the epoch) as UTC text.
fn epoch_text(text: &str) -> Result<String, String> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs.parse().map_err(|_| format!("TIMESTAMP {text}"))?;
    let micros: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").get(..6).and_then(|f| f.parse().ok()).ok_or_else(|| format!("TIMESTAMP {text}"))?
    };
    if secs == 0 && micros == 0 {
        return Err("the zero TIMESTAMP (PostgreSQL has no such date)".into());
    }
    Ok(node_core::pgtime::format_timestamp(secs.saturating_mul(1_000_000) + micros, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_as_the_readme_says() {
        let cases = [
            ("int(11)", "integer"),
            ("int(10) unsigned", "bigint"),
            ("bigint(20) unsigned", "numeric(20,0)"),
            ("decimal(12,2)", "numeric(12,2)"),
            ("tinyint(1)", "smallint"),
            ("double", "double precision"),
            ("varchar(32)", "varchar(32)"),
            ("char(3)", "varchar(3)"),
            ("enum('red','green')", "text"),
            ("blob", "bytea"),
            ("datetime(6)", "timestamp(6)"),
            ("datetime", "timestamp"),
            ("timestamp", "timestamp"),
            ("date", "date"),
        ];
        for (source, chain) in cases {
            assert_eq!(map_type(source).unwrap().0, chain, "{source}");
        }
        assert!(map_type("geometry").unwrap_err().contains("geometry"));
        assert_eq!(
            map_type("enum('a','it''s','b,c')").unwrap().1,
            Kind::Enum(vec!["a".into(), "it's".into(), "b,c".into()])
        );
    }

    #[test]
    fn binlog_values_convert_exactly_or_are_refused() {
        let e = Kind::Enum(vec!["red".into(), "green".into()]);
        assert_eq!(from_binlog_value(&e, &MyValue::Int(2)).unwrap(), Value::Text("green".into()));
        assert!(from_binlog_value(&e, &MyValue::Int(3)).is_err());
        assert_eq!(
            from_binlog_value(&Kind::UInt64, &MyValue::UInt(u64::MAX)).unwrap(),
            Value::Text(u64::MAX.to_string())
        );
        assert_eq!(from_binlog_value(&Kind::Float, &MyValue::Float(0.1)).unwrap(), Value::Real(0.1));
        assert_eq!(
            from_binlog_value(&Kind::DateTime, &MyValue::Date(2024, 1, 2, 3, 4, 5, 120)).unwrap(),
            Value::Text("2024-01-02 03:04:05.00012".into())
        );
        assert!(from_binlog_value(&Kind::Date, &MyValue::Date(0, 0, 0, 0, 0, 0, 0)).is_err());
        assert_eq!(
            from_text(&Kind::DateTime, &MyValue::Bytes(b"2024-01-02 03:04:05.500000".to_vec())).unwrap(),
            Value::Text("2024-01-02 03:04:05.5".into())
        );
        assert_eq!(
            from_binlog_value(&Kind::DateTime, &MyValue::Date(2024, 1, 2, 3, 4, 5, 0)).unwrap(),
            Value::Text("2024-01-02 03:04:05".into())
        );
        assert!(from_binlog_value(&Kind::Time, &MyValue::Time(false, 1, 2, 0, 0, 0)).is_err());
        assert_eq!(from_binlog_value(&Kind::Bit, &MyValue::Bytes(vec![1, 2])).unwrap(), Value::Integer(258));
        let set = Kind::Set(vec!["a".into(), "b".into(), "c".into()]);
        assert_eq!(from_binlog_value(&set, &MyValue::Bytes(vec![0b101])).unwrap(), Value::Text("a,c".into()));
        assert_eq!(epoch_text("86400.5").unwrap(), "1970-01-02 00:00:00.5");
        assert!(from_text(&Kind::Text, &MyValue::Bytes(vec![0xff])).is_err());
        let latin1 = Column::new("note", "text", true, Some("latin1")).unwrap();
        let bytes = BinlogValue::Value(MyValue::Bytes(b"na\xefve \x80 \x81\xbd".to_vec()));
        assert_eq!(from_binlog(&latin1, &bytes).unwrap(), Value::Text("naïve € \u{81}½".into()));
        assert!(Column::new("g", "text", true, Some("gbk")).unwrap_err().contains("gbk"));
    }

    #[test]
    fn statements_quote_names_and_number_parameters() {
        let t = Table {
            name: "it\"ems".into(),
            columns: vec![
                Column::new("id", "int", false, None).unwrap(),
                Column::new("name", "text", true, Some("utf8mb4")).unwrap(),
            ],
            primary_key: vec![0],
            default_charset: "utf8mb4".into(),
        };
        assert_eq!(
            t.create_sql(),
            r#"CREATE TABLE "it""ems" ("id" integer NOT NULL, "name" text, PRIMARY KEY ("id"))"#
        );
        assert_eq!(
            insert_sql(&t.name, &["id", "name"], 2),
            r#"INSERT INTO "it""ems" ("id", "name") VALUES ($1, $2), ($3, $4)"#
        );
        assert_eq!(
            update_sql(&t.name, &["id", "name"], &["id"]),
            r#"UPDATE "it""ems" SET "id" = $1, "name" = $2 WHERE "id" = $3"#
        );
        assert_eq!(delete_sql(&t.name, &["id"]), r#"DELETE FROM "it""ems" WHERE "id" = $1"#);
    }
}
