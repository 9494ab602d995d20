//! `value` owns MySQL values and column types: a value's text-protocol
//! form, its binary-protocol encoding for a given column type (result
//! rows), and the decoding of typed binary parameters (COM_STMT_EXECUTE).

use crate::error::WireError;
use crate::packet::{put_lenenc_bytes, Reader};

/// `MYSQL_TYPE_*` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    Decimal,
    Tiny,
    Short,
    Long,
    Float,
    Double,
    Null,
    Timestamp,
    LongLong,
    Int24,
    Date,
    Time,
    DateTime,
    Year,
    VarChar,
    Bit,
    Json,
    NewDecimal,
    Enum,
    Set,
    TinyBlob,
    MediumBlob,
    LongBlob,
    Blob,
    VarString,
    String,
    Geometry,
}

const TYPE_CODES: [(ColumnType, u8); 27] = [
    (ColumnType::Decimal, 0x00),
    (ColumnType::Tiny, 0x01),
    (ColumnType::Short, 0x02),
    (ColumnType::Long, 0x03),
    (ColumnType::Float, 0x04),
    (ColumnType::Double, 0x05),
    (ColumnType::Null, 0x06),
    (ColumnType::Timestamp, 0x07),
    (ColumnType::LongLong, 0x08),
    (ColumnType::Int24, 0x09),
    (ColumnType::Date, 0x0A),
    (ColumnType::Time, 0x0B),
    (ColumnType::DateTime, 0x0C),
    (ColumnType::Year, 0x0D),
    (ColumnType::VarChar, 0x0F),
    (ColumnType::Bit, 0x10),
    (ColumnType::Json, 0xF5),
    (ColumnType::NewDecimal, 0xF6),
    (ColumnType::Enum, 0xF7),
    (ColumnType::Set, 0xF8),
    (ColumnType::TinyBlob, 0xF9),
    (ColumnType::MediumBlob, 0xFA),
    (ColumnType::LongBlob, 0xFB),
    (ColumnType::Blob, 0xFC),
    (ColumnType::VarString, 0xFD),
    (ColumnType::String, 0xFE),
    (ColumnType::Geometry, 0xFF),
];

impl ColumnType {
    pub fn code(self) -> u8 {
        TYPE_CODES.iter().find(|(kind, _)| *kind == self).map_or(0xFD, |&(_, code)| code)
    }

    pub fn from_code(code: u8) -> Option<Self> {
        TYPE_CODES.iter().find(|&&(_, known)| known == code).map(|&(kind, _)| kind)
    }
}

/// A value's kind does not fit the column type it is encoded for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoesNotFit;

/// DATE, DATETIME and TIMESTAMP values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub microsecond: u32,
}

/// TIME values: a signed duration of days, hours, minutes, seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Time {
    pub negative: bool,
    pub days: u32,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub microsecond: u32,
}

/// A value in a row or a statement parameter. DECIMAL travels as its text
/// in `Bytes`, as the protocol sends it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    UInt(u64),
    Float(f32),
    Double(f64),
    Bytes(Vec<u8>),
    DateTime(DateTime),
    Time(Time),
}

impl Value {
    /// The text protocol's form; `None` for NULL. `column_type` picks
    /// DATE's short form.
    pub fn to_text(&self, column_type: ColumnType) -> Option<Vec<u8>> {
        let text = match self {
            Value::Null => return None,
            Value::Int(number) => number.to_string(),
            Value::UInt(number) => number.to_string(),
            Value::Float(number) => number.to_string(),
            Value::Double(number) => number.to_string(),
            Value::Bytes(bytes) => return Some(bytes.clone()),
            Value::DateTime(date) if column_type == ColumnType::Date => {
                format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
            }
            Value::DateTime(date) => {
                let clock = format!("{:02}:{:02}:{:02}", date.hour, date.minute, date.second);
                format!("{:04}-{:02}-{:02} {clock}{}", date.year, date.month, date.day, fraction(date.microsecond))
            }
            Value::Time(time) => {
                let hours = u64::from(time.days) * 24 + u64::from(time.hour);
                let sign = if time.negative { "-" } else { "" };
                format!("{sign}{hours:02}:{:02}:{:02}{}", time.minute, time.second, fraction(time.microsecond))
            }
        };
        Some(text.into_bytes())
    }

    /// Appends the binary protocol's encoding of a non-NULL value for a
    /// column of `column_type`; `Err` when the value does not fit the type.
    pub fn encode_binary(&self, column_type: ColumnType, out: &mut Vec<u8>) -> Result<(), DoesNotFit> {
        use ColumnType as T;
        match (column_type, self) {
            (T::Tiny, _) => out.push(self.integer_bits().ok_or(DoesNotFit)? as u8),
            (T::Short | T::Year, _) => {
                out.extend_from_slice(&(self.integer_bits().ok_or(DoesNotFit)? as u16).to_le_bytes())
            }
            (T::Long | T::Int24, _) => {
                out.extend_from_slice(&(self.integer_bits().ok_or(DoesNotFit)? as u32).to_le_bytes())
            }
            (T::LongLong, _) => out.extend_from_slice(&self.integer_bits().ok_or(DoesNotFit)?.to_le_bytes()),
            (T::Float, Value::Float(number)) => out.extend_from_slice(&number.to_le_bytes()),
            (T::Double, Value::Double(number)) => out.extend_from_slice(&number.to_le_bytes()),
            (T::Double, Value::Float(number)) => out.extend_from_slice(&f64::from(*number).to_le_bytes()),
            (T::Date | T::DateTime | T::Timestamp, Value::DateTime(date)) => encode_datetime(date, out),
            (T::Time, Value::Time(time)) => encode_time(time, out),
            (T::Float | T::Double | T::Date | T::DateTime | T::Timestamp | T::Time | T::Null, _) => {
                return Err(DoesNotFit)
            }
            (_, value) => put_lenenc_bytes(out, &value.to_text(column_type).ok_or(DoesNotFit)?),
        }
        Ok(())
    }

    /// An integer's two's-complement bits; the column's width truncates them.
    fn integer_bits(&self) -> Option<u64> {
        match *self {
            Value::Int(number) => Some(number as u64),
            Value::UInt(number) => Some(number),
            _ => None,
        }
    }

    /// Decodes one binary parameter of type `code` (with the unsigned flag).
    pub fn decode_binary(code: u8, unsigned: bool, reader: &mut Reader<'_>) -> Result<Value, WireError> {
        const WHAT: &str = "binary parameter value";
        let kind = ColumnType::from_code(code).ok_or(WireError::Malformed("unknown parameter type"))?;
        use ColumnType as T;
        Ok(match kind {
            T::Null => Value::Null,
            T::Tiny if unsigned => Value::UInt(u64::from(reader.u8(WHAT)?)),
            T::Tiny => Value::Int(i64::from(reader.u8(WHAT)? as i8)),
            T::Short | T::Year if unsigned => Value::UInt(u64::from(reader.u16(WHAT)?)),
            T::Short | T::Year => Value::Int(i64::from(reader.u16(WHAT)? as i16)),
            T::Long | T::Int24 if unsigned => Value::UInt(u64::from(reader.u32(WHAT)?)),
            T::Long | T::Int24 => Value::Int(i64::from(reader.u32(WHAT)? as i32)),
            T::LongLong if unsigned => Value::UInt(reader.u64(WHAT)?),
            T::LongLong => Value::Int(reader.u64(WHAT)? as i64),
            T::Float => Value::Float(f32::from_le_bytes(reader.array(WHAT)?)),
            T::Double => Value::Double(f64::from_le_bytes(reader.array(WHAT)?)),
            T::Date | T::DateTime | T::Timestamp => Value::DateTime(decode_datetime(reader)?),
            T::Time => Value::Time(decode_time(reader)?),
            _ => Value::Bytes(reader.lenenc_bytes(WHAT)?.to_vec()),
        })
    }
}

fn fraction(microsecond: u32) -> String {
    if microsecond == 0 {
        String::new()
    } else {
        format!(".{microsecond:06}")
    }
}

/// Length 0, 4, 7 or 11, the shortest that holds the value.
fn encode_datetime(date: &DateTime, out: &mut Vec<u8>) {
    let has_clock = date.hour != 0 || date.minute != 0 || date.second != 0;
    let length: u8 = if date.microsecond != 0 {
        11
    } else if has_clock {
        7
    } else if date.year != 0 || date.month != 0 || date.day != 0 {
        4
    } else {
        0
    };
    out.push(length);
    if length >= 4 {
        out.extend_from_slice(&date.year.to_le_bytes());
        out.extend_from_slice(&[date.month, date.day]);
    }
    if length >= 7 {
        out.extend_from_slice(&[date.hour, date.minute, date.second]);
    }
    if length == 11 {
        out.extend_from_slice(&date.microsecond.to_le_bytes());
    }
}

/// Length 0, 8 or 12.
fn encode_time(time: &Time, out: &mut Vec<u8>) {
    let zero = time.days == 0 && time.hour == 0 && time.minute == 0 && time.second == 0;
    let length: u8 = if time.microsecond != 0 {
        12
    } else if zero {
        0
    } else {
        8
    };
    out.push(length);
    if length >= 8 {
        out.push(u8::from(time.negative));
        out.extend_from_slice(&time.days.to_le_bytes());
        out.extend_from_slice(&[time.hour, time.minute, time.second]);
    }
    if length == 12 {
        out.extend_from_slice(&time.microsecond.to_le_bytes());
    }
}

fn decode_datetime(reader: &mut Reader<'_>) -> Result<DateTime, WireError> {
    const WHAT: &str = "binary DATETIME";
    let length = reader.u8(WHAT)?;
    let mut body = Reader::new(reader.take(usize::from(length), WHAT)?);
    let mut date = DateTime::default();
    if !matches!(length, 0 | 4 | 7 | 11) {
        return Err(WireError::Malformed(WHAT));
    }
    if length >= 4 {
        date.year = body.u16(WHAT)?;
        [date.month, date.day] = body.array(WHAT)?;
    }
    if length >= 7 {
        [date.hour, date.minute, date.second] = body.array(WHAT)?;
    }
    if length == 11 {
        date.microsecond = body.u32(WHAT)?;
    }
    Ok(date)
}

fn decode_time(reader: &mut Reader<'_>) -> Result<Time, WireError> {
    const WHAT: &str = "binary TIME";
    let length = reader.u8(WHAT)?;
    let mut body = Reader::new(reader.take(usize::from(length), WHAT)?);
    let mut time = Time::default();
    if !matches!(length, 0 | 8 | 12) {
        return Err(WireError::Malformed(WHAT));
    }
    if length >= 8 {
        time.negative = body.u8(WHAT)? != 0;
        time.days = body.u32(WHAT)?;
        [time.hour, time.minute, time.second] = body.array(WHAT)?;
    }
    if length == 12 {
        time.microsecond = body.u32(WHAT)?;
    }
    Ok(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(value: Value, kind: ColumnType) -> Vec<u8> {
        let mut out = Vec::new();
        value.encode_binary(kind, &mut out).unwrap();
        out
    }

    #[test]
    fn binary_encodings_per_type() {
        use ColumnType as T;
        assert_eq!(binary(Value::Int(-2), T::LongLong), [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(binary(Value::Int(258), T::Long), [2, 1, 0, 0]);
        assert_eq!(binary(Value::Int(-1), T::Short), [0xFF, 0xFF]);
        assert_eq!(binary(Value::Int(5), T::Tiny), [5]);
        assert_eq!(binary(Value::Double(1.5), T::Double), [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]);
        assert_eq!(binary(Value::Float(1.5), T::Float), [0, 0, 0xC0, 0x3F]);
        assert_eq!(binary(Value::Bytes(b"12.50".to_vec()), T::NewDecimal), b"\x0512.50");
        assert_eq!(binary(Value::Bytes(b"hi".to_vec()), T::VarString), b"\x02hi");
        let date = DateTime { year: 2010, month: 10, day: 17, hour: 19, minute: 27, second: 30, microsecond: 1 };
        assert_eq!(binary(Value::DateTime(date), T::DateTime), [11, 0xDA, 0x07, 10, 17, 19, 27, 30, 1, 0, 0, 0]);
        let day = DateTime { year: 2010, month: 10, day: 17, ..DateTime::default() };
        assert_eq!(binary(Value::DateTime(day), T::Date), [4, 0xDA, 0x07, 10, 17]);
        assert_eq!(binary(Value::DateTime(DateTime::default()), T::Timestamp), [0]);
        let time = Time { negative: true, days: 120, hour: 19, minute: 27, second: 30, microsecond: 0 };
        assert_eq!(binary(Value::Time(time), T::Time), [8, 1, 120, 0, 0, 0, 19, 27, 30]);
        assert_eq!(binary(Value::Time(Time::default()), T::Time), [0]);
        assert!(Value::Bytes(vec![1]).encode_binary(T::LongLong, &mut Vec::new()).is_err());
        assert!(Value::Int(1).encode_binary(T::Date, &mut Vec::new()).is_err());
    }

    #[test]
    fn text_forms() {
        use ColumnType as T;
        let date = DateTime { year: 2024, month: 2, day: 29, hour: 1, minute: 2, second: 3, microsecond: 40 };
        assert_eq!(Value::DateTime(date).to_text(T::DateTime).unwrap(), b"2024-02-29 01:02:03.000040");
        assert_eq!(Value::DateTime(date).to_text(T::Date).unwrap(), b"2024-02-29");
        let time = Time { negative: true, days: 1, hour: 2, minute: 3, second: 4, microsecond: 0 };
        assert_eq!(Value::Time(time).to_text(T::Time).unwrap(), b"-26:03:04");
        assert_eq!(Value::Int(-7).to_text(T::LongLong).unwrap(), b"-7");
        assert_eq!(Value::Double(0.25).to_text(T::Double).unwrap(), b"0.25");
        assert_eq!(Value::Null.to_text(T::VarString), None);
    }

    #[test]
    fn binary_parameters_decode_by_type_and_sign() {
        let decode = |code, unsigned, bytes: &[u8]| Value::decode_binary(code, unsigned, &mut Reader::new(bytes));
        assert_eq!(decode(0x01, false, &[0xFF]).unwrap(), Value::Int(-1));
        assert_eq!(decode(0x01, true, &[0xFF]).unwrap(), Value::UInt(255));
        assert_eq!(decode(0x02, false, &[0xFE, 0xFF]).unwrap(), Value::Int(-2));
        assert_eq!(decode(0x03, false, &[0xFF, 0xFF, 0xFF, 0xFF]).unwrap(), Value::Int(-1));
        assert_eq!(decode(0x08, true, &[0xFF; 8]).unwrap(), Value::UInt(u64::MAX));
        assert_eq!(decode(0x05, false, &1.5f64.to_le_bytes()).unwrap(), Value::Double(1.5));
        assert_eq!(decode(0xFD, false, b"\x03abc").unwrap(), Value::Bytes(b"abc".to_vec()));
        let date = DateTime { year: 2010, month: 10, day: 17, ..DateTime::default() };
        assert_eq!(decode(0x0A, false, &[4, 0xDA, 0x07, 10, 17]).unwrap(), Value::DateTime(date));
        let time = Time { negative: true, days: 1, hour: 2, minute: 3, second: 4, microsecond: 5 };
        assert_eq!(decode(0x0B, false, &[12, 1, 1, 0, 0, 0, 2, 3, 4, 5, 0, 0, 0]).unwrap(), Value::Time(time));
        for (code, bytes) in
            [(0x08, &[1u8, 2][..]), (0x0C, &[5, 0, 0, 0, 0, 0]), (0x0B, &[3, 0, 0, 0]), (0x0E, &[]), (0xFD, &[9, 1])]
        {
            assert!(decode(code, false, bytes).is_err(), "{code:#x} {bytes:?}");
        }
    }
}
