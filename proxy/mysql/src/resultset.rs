//! `resultset` owns the server's reply packets: OK, ERR, EOF (or OK as
//! EOF under DEPRECATE_EOF), column definitions, text rows and binary
//! rows, and the status flags they carry.

use crate::error::ServerError;
use crate::packet::{put_lenenc_bytes, put_lenenc_int, put_u16, put_u32};
use crate::value::{ColumnType, Value};

/// `SERVER_STATUS_*` flags.
pub mod status {
    pub const IN_TRANS: u16 = 0x0001;
    pub const AUTOCOMMIT: u16 = 0x0002;
    pub const MORE_RESULTS_EXISTS: u16 = 0x0008;
}

/// Column definition flags (`*_FLAG`).
pub mod column_flag {
    pub const NOT_NULL: u16 = 1;
    pub const PRIMARY_KEY: u16 = 2;
    pub const BLOB: u16 = 16;
    pub const UNSIGNED: u16 = 32;
    pub const BINARY: u16 = 128;
    pub const NUM: u16 = 32768;
}

/// utf8mb4_general_ci, for text columns: clients decode 4-byte UTF-8
/// (emoji) only under a utf8mb4 collation.
pub const CHARSET_UTF8: u16 = 45;
/// binary, for numbers, dates and blobs.
pub const CHARSET_BINARY: u16 = 63;

/// What an OK packet reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OkInfo {
    pub affected_rows: u64,
    pub last_insert_id: u64,
    pub warnings: u16,
    pub info: String,
}

impl OkInfo {
    /// OK (header 0x00) or, ending a result set under DEPRECATE_EOF, 0xFE.
    pub fn encode(&self, header: u8, status_flags: u16) -> Vec<u8> {
        let mut out = vec![header];
        put_lenenc_int(&mut out, self.affected_rows);
        put_lenenc_int(&mut out, self.last_insert_id);
        put_u16(&mut out, status_flags);
        put_u16(&mut out, self.warnings);
        // The protocol documents `string<EOF>`, but servers send (and
        // libmariadb and mysql_common read) a length-encoded string.
        if !self.info.is_empty() {
            put_lenenc_bytes(&mut out, self.info.as_bytes());
        }
        out
    }
}

pub fn ok_packet(status_flags: u16) -> Vec<u8> {
    OkInfo::default().encode(0x00, status_flags)
}

/// The pre-DEPRECATE_EOF end-of-list marker.
pub fn eof_packet(warnings: u16, status_flags: u16) -> Vec<u8> {
    let mut out = vec![0xFE];
    put_u16(&mut out, warnings);
    put_u16(&mut out, status_flags);
    out
}

/// The packet that ends a result set's rows, per DEPRECATE_EOF.
pub fn end_of_rows(deprecate_eof: bool, status_flags: u16) -> Vec<u8> {
    if deprecate_eof {
        OkInfo::default().encode(0xFE, status_flags)
    } else {
        eof_packet(0, status_flags)
    }
}

impl ServerError {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0xFF];
        put_u16(&mut out, self.code);
        out.push(b'#');
        out.extend_from_slice(&self.sqlstate);
        out.extend_from_slice(self.message.as_bytes());
        out
    }
}

/// A result column (ColumnDefinition41).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub column_type: ColumnType,
    pub flags: u16,
    pub charset: u16,
    pub length: u32,
    pub decimals: u8,
}

impl Column {
    /// A column with the charset and flags drivers expect for its type.
    pub fn new(name: impl Into<String>, column_type: ColumnType) -> Self {
        use ColumnType as T;
        let (charset, flags, length, decimals) = match column_type {
            T::Tiny | T::Short | T::Long | T::Int24 | T::LongLong | T::Year => {
                (CHARSET_BINARY, column_flag::NUM, 20, 0)
            }
            T::Float | T::Double => (CHARSET_BINARY, column_flag::NUM, 22, 31),
            T::Decimal | T::NewDecimal => (CHARSET_BINARY, column_flag::NUM, 67, 30),
            T::Date | T::DateTime | T::Timestamp | T::Time => (CHARSET_BINARY, column_flag::BINARY, 26, 6),
            T::TinyBlob | T::MediumBlob | T::LongBlob | T::Blob | T::Geometry => {
                (CHARSET_BINARY, column_flag::BLOB | column_flag::BINARY, u32::MAX, 0)
            }
            _ => (CHARSET_UTF8, 0, 1024, 0),
        };
        Column {
            schema: String::new(),
            table: String::new(),
            name: name.into(),
            column_type,
            flags,
            charset,
            length,
            decimals,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_lenenc_bytes(&mut out, b"def");
        put_lenenc_bytes(&mut out, self.schema.as_bytes());
        put_lenenc_bytes(&mut out, self.table.as_bytes());
        put_lenenc_bytes(&mut out, self.table.as_bytes());
        put_lenenc_bytes(&mut out, self.name.as_bytes());
        put_lenenc_bytes(&mut out, self.name.as_bytes());
        put_lenenc_int(&mut out, 0x0C);
        put_u16(&mut out, self.charset);
        put_u32(&mut out, self.length);
        out.push(self.column_type.code());
        put_u16(&mut out, self.flags);
        out.push(self.decimals);
        put_u16(&mut out, 0);
        out
    }
}

pub fn column_count(count: usize) -> Vec<u8> {
    let mut out = Vec::new();
    put_lenenc_int(&mut out, count as u64);
    out
}

/// A backend's row must have one value per column: clients parse a row
/// by the column count they were sent.
fn check_width(columns: &[Column], row: &[Value]) -> Result<(), ServerError> {
    if columns.len() == row.len() {
        return Ok(());
    }
    let message = format!("row has {} values for {} columns", row.len(), columns.len());
    Err(ServerError::new(crate::error::ER_UNKNOWN_ERROR, *b"HY000", message))
}

/// A text-protocol row: each value length-encoded, NULL as 0xFB.
pub fn text_row(columns: &[Column], row: &[Value]) -> Result<Vec<u8>, ServerError> {
    check_width(columns, row)?;
    let mut out = Vec::new();
    for (column, value) in columns.iter().zip(row) {
        match value.to_text(column.column_type) {
            Some(text) => put_lenenc_bytes(&mut out, &text),
            None => out.push(0xFB),
        }
    }
    Ok(out)
}

/// A binary-protocol row: header 0x00, the NULL bitmap (offset 2), then
/// the non-NULL values. A value that does not fit its column is an error.
pub fn binary_row(columns: &[Column], row: &[Value]) -> Result<Vec<u8>, ServerError> {
    check_width(columns, row)?;
    let mut out = vec![0x00];
    let bitmap_start = out.len();
    out.resize(bitmap_start + (columns.len() + 7 + 2) / 8, 0);
    for (index, (column, value)) in columns.iter().zip(row).enumerate() {
        if *value == Value::Null {
            let bit = index + 2;
            if let Some(byte) = out.get_mut(bitmap_start + bit / 8) {
                *byte |= 1 << (bit % 8);
            }
        } else if value.encode_binary(column.column_type, &mut out).is_err() {
            return Err(ServerError::new(
                crate::error::ER_WRONG_ARGUMENTS,
                *b"HY000",
                format!("value {value:?} does not fit column {} of type {:?}", column.name, column.column_type),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test that slices wrong fails, as it should
mod tests {
    use super::*;

    #[test]
    fn ok_and_ok_as_eof() {
        let ok = OkInfo { affected_rows: 3, last_insert_id: 300, warnings: 1, info: "done".into() };
        assert_eq!(ok.encode(0x00, status::AUTOCOMMIT), b"\x00\x03\xFC\x2C\x01\x02\x00\x01\x00\x04done");
        assert_eq!(end_of_rows(true, 0x000A), [0xFE, 0, 0, 0x0A, 0, 0, 0]);
        assert_eq!(end_of_rows(false, 0x000A), [0xFE, 0, 0, 0x0A, 0]);
    }

    #[test]
    fn err_packet_layout() {
        let error = ServerError::new(1047, *b"08S01", "Unknown command");
        assert_eq!(error.encode(), b"\xFF\x17\x04#08S01Unknown command");
    }

    #[test]
    fn column_definition_41_layout() {
        let mut column = Column::new("id", ColumnType::LongLong);
        column.table = "t".into();
        let mut expected = b"\x03def\x00\x01t\x01t\x02id\x02id\x0c".to_vec();
        expected.extend_from_slice(&[63, 0, 20, 0, 0, 0, 0x08, 0x00, 0x80, 0, 0, 0]);
        assert_eq!(column.encode(), expected);
        let name = Column::new("näme", ColumnType::VarString).encode();
        assert_eq!(name[name.len() - 13..], [0x0C, 45, 0, 0, 4, 0, 0, 0xFD, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn rows_in_both_protocols() {
        let columns = [
            Column::new("a", ColumnType::LongLong),
            Column::new("b", ColumnType::VarString),
            Column::new("c", ColumnType::Double),
        ];
        let row = [Value::Int(1), Value::Null, Value::Double(2.0)];
        assert_eq!(text_row(&columns, &row).unwrap(), b"\x011\xFB\x012");
        assert_eq!(text_row(&columns, &row[..2]).unwrap_err().code, 1105);
        assert_eq!(binary_row(&columns, &[row.as_slice(), &[Value::Null]].concat()).unwrap_err().code, 1105);
        let mut expected = vec![0x00, 0b0000_1000, 1, 0, 0, 0, 0, 0, 0, 0];
        expected.extend_from_slice(&2.0f64.to_le_bytes());
        assert_eq!(binary_row(&columns, &row).unwrap(), expected);
        // Seven columns need two bitmap bytes: (7 + 7 + 2) / 8.
        let wide: Vec<Column> = (0..7).map(|i| Column::new(format!("c{i}"), ColumnType::Tiny)).collect();
        let nulls = vec![Value::Null; 7];
        assert_eq!(binary_row(&wide, &nulls).unwrap(), [0x00, 0xFC, 0x01]);
        assert_eq!(binary_row(&columns, &[Value::Bytes(vec![1]), Value::Null, Value::Null]).unwrap_err().code, 1210);
    }
}
