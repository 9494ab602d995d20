//! `command` owns the decoding of the command phase's client packets
//! (`COM_*`), including COM_STMT_EXECUTE's NULL bitmap, new-params-bound
//! flag and typed binary parameters. Decoding never trusts a declared
//! length or count before checking it against the bytes present.

use crate::error::WireError;
use crate::handshake::capability;
use crate::packet::{text, Reader};
use crate::value::Value;

/// One decoded client command.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum Command {
    Quit,
    InitDb(String),
    Query(String),
    FieldList {
        table: String,
        wildcard: String,
    },
    Ping,
    ChangeUser(ChangeUser),
    StmtPrepare(String),
    StmtExecute {
        statement_id: u32,
        cursor_flags: u8,
        parameters: Vec<u8>,
    },
    StmtSendLongData {
        statement_id: u32,
        parameter: u16,
        data: Vec<u8>,
    },
    StmtClose(u32),
    StmtReset(u32),
    SetOption(u16),
    StmtFetch {
        statement_id: u32,
        rows: u32,
    },
    ResetConnection,
    /// A command byte this server does not implement.
    Unknown(u8),
}

/// COM_CHANGE_USER's fields.
#[derive(Debug, PartialEq, Eq)]
pub struct ChangeUser {
    pub user: String,
    pub auth_response: Vec<u8>,
    pub database: Option<String>,
    pub auth_plugin: Option<String>,
}

impl Command {
    /// Decodes one command packet; `client_capabilities` shapes
    /// COM_CHANGE_USER's fields.
    pub fn decode(payload: &[u8], client_capabilities: u32) -> Result<Command, WireError> {
        let mut reader = Reader::new(payload);
        let code = reader.u8("command byte")?;
        Ok(match code {
            0x01 => Command::Quit,
            0x02 => Command::InitDb(text(reader.rest(), "schema name")?),
            0x03 => Command::Query(crate::querytext::decode(reader.rest(), "query text")?),
            0x04 => {
                let table = text(reader.null_terminated("table name")?, "table name")?;
                Command::FieldList { table, wildcard: text(reader.rest(), "field wildcard")? }
            }
            0x0E => Command::Ping,
            0x11 => Command::ChangeUser(ChangeUser::decode(&mut reader, client_capabilities)?),
            0x16 => Command::StmtPrepare(crate::querytext::decode(reader.rest(), "statement text")?),
            0x17 => Command::StmtExecute {
                statement_id: reader.u32("statement id")?,
                cursor_flags: reader.u8("cursor flags")?,
                parameters: {
                    reader.u32("iteration count")?;
                    reader.rest().to_vec()
                },
            },
            0x18 => Command::StmtSendLongData {
                statement_id: reader.u32("statement id")?,
                parameter: reader.u16("parameter index")?,
                data: reader.rest().to_vec(),
            },
            0x19 => Command::StmtClose(reader.u32("statement id")?),
            0x1A => Command::StmtReset(reader.u32("statement id")?),
            0x1B => Command::SetOption(reader.u16("option")?),
            0x1C => Command::StmtFetch { statement_id: reader.u32("statement id")?, rows: reader.u32("row count")? },
            0x1F => Command::ResetConnection,
            other => Command::Unknown(other),
        })
    }
}

impl ChangeUser {
    fn decode(reader: &mut Reader<'_>, capabilities: u32) -> Result<Self, WireError> {
        let user = text(reader.null_terminated("user name")?, "user name")?;
        let auth_response = if capabilities & capability::SECURE_CONNECTION != 0 {
            let length = reader.u8("auth response length")?;
            reader.take(usize::from(length), "auth response")?
        } else {
            reader.null_terminated("auth response")?
        }
        .to_vec();
        let database = match reader.is_empty() {
            true => None,
            false => Some(text(reader.null_terminated("schema name")?, "schema name")?).filter(|db| !db.is_empty()),
        };
        let mut auth_plugin = None;
        if !reader.is_empty() {
            reader.u16("character set")?;
            if capabilities & capability::PLUGIN_AUTH != 0 && !reader.is_empty() {
                auth_plugin = Some(text(reader.null_terminated("auth plugin")?, "auth plugin")?);
            }
        }
        Ok(ChangeUser { user, auth_response, database, auth_plugin })
    }
}

/// A parameter's type as COM_STMT_EXECUTE declares it: type code, unsigned.
pub type ParameterType = (u8, bool);

/// Decodes COM_STMT_EXECUTE's parameter block for a statement with
/// `count` parameters. `types` holds the types bound by an earlier
/// execution and is replaced when the client sets new-params-bound.
/// Parameters in `long_data` (COM_STMT_SEND_LONG_DATA) carry no value here.
pub fn decode_parameters(
    block: &[u8],
    count: usize,
    types: &mut Vec<ParameterType>,
    long_data: &[Option<Vec<u8>>],
) -> Result<Vec<Value>, WireError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut reader = Reader::new(block);
    let null_bitmap = reader.take(count.div_ceil(8), "parameter NULL bitmap")?;
    if reader.u8("new-params-bound flag")? == 1 {
        // Two bytes per declared type, checked before allocating.
        let declared =
            reader.take(count.checked_mul(2).ok_or(WireError::Malformed("parameter count"))?, "parameter types")?;
        *types = declared
            .chunks_exact(2)
            .map(|pair| (pair.first().copied().unwrap_or(0), pair.get(1).is_some_and(|flag| flag & 0x80 != 0)))
            .collect();
    }
    if types.len() != count {
        return Err(WireError::Malformed("parameters executed before their types were bound"));
    }
    let mut values = Vec::with_capacity(count);
    for (index, &(code, unsigned)) in types.iter().enumerate() {
        let is_null = null_bitmap.get(index / 8).is_some_and(|byte| byte & (1 << (index % 8)) != 0);
        let value = match long_data.get(index) {
            _ if is_null => Value::Null,
            Some(Some(data)) => Value::Bytes(data.clone()),
            _ => Value::decode_binary(code, unsigned, &mut reader)?,
        };
        values.push(value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_commands() {
        let cases: [(&[u8], Command); 11] = [
            (b"\x01", Command::Quit),
            (b"\x02shop", Command::InitDb("shop".into())),
            (b"\x03SELECT 'h\xc3\xa9'", Command::Query("SELECT 'hé'".into())),
            (b"\x04t\0c%", Command::FieldList { table: "t".into(), wildcard: "c%".into() }),
            (b"\x0E", Command::Ping),
            (b"\x16SELECT ?", Command::StmtPrepare("SELECT ?".into())),
            (b"\x19\x01\0\0\0", Command::StmtClose(1)),
            (b"\x1A\x02\0\0\0", Command::StmtReset(2)),
            (b"\x1B\x01\0", Command::SetOption(1)),
            (b"\x1C\x01\0\0\0\x0A\0\0\0", Command::StmtFetch { statement_id: 1, rows: 10 }),
            (b"\x1F", Command::ResetConnection),
        ];
        for (bytes, expected) in cases {
            assert_eq!(Command::decode(bytes, 0).unwrap(), expected, "{bytes:?}");
        }
        assert_eq!(Command::decode(b"\x05", 0).unwrap(), Command::Unknown(0x05));
        assert_eq!(
            Command::decode(b"\x18\x07\0\0\0\x01\0abc", 0).unwrap(),
            Command::StmtSendLongData { statement_id: 7, parameter: 1, data: b"abc".to_vec() }
        );
        assert_eq!(
            Command::decode(b"\x17\x07\0\0\0\x00\x01\0\0\0\x01\x02", 0).unwrap(),
            Command::StmtExecute { statement_id: 7, cursor_flags: 0, parameters: vec![1, 2] }
        );
    }

    #[test]
    fn truncated_or_invalid_commands_are_errors() {
        for bytes in [&b""[..], b"\x03\xff", b"\x19\x01", b"\x17\x01\0\0\0", b"\x04no-nul", b"\x1B"] {
            assert!(Command::decode(bytes, 0).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn change_user_fields() {
        let capabilities = capability::SECURE_CONNECTION | capability::PLUGIN_AUTH;
        let bytes = b"\x11bob\0\x02\xAA\xBBshop\0\x2D\0mysql_native_password\0";
        let Command::ChangeUser(change) = Command::decode(bytes, capabilities).unwrap() else { panic!() };
        assert_eq!(
            change,
            ChangeUser {
                user: "bob".into(),
                auth_response: vec![0xAA, 0xBB],
                database: Some("shop".into()),
                auth_plugin: Some("mysql_native_password".into()),
            }
        );
    }

    #[test]
    fn execute_parameters_with_types_nulls_and_long_data() {
        // Three parameters: LONGLONG 5, NULL (bit 1), unsigned TINY 200.
        let block = [0b010, 1, 0x08, 0, 0xFD, 0, 0x01, 0x80, 5, 0, 0, 0, 0, 0, 0, 0, 200];
        let mut types = Vec::new();
        let values = decode_parameters(&block, 3, &mut types, &[]).unwrap();
        assert_eq!(values, [Value::Int(5), Value::Null, Value::UInt(200)]);
        assert_eq!(types, [(0x08, false), (0xFD, false), (0x01, true)]);
        // Re-execution without new-params-bound reuses the bound types.
        let again = [0b000, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0x01, b'x', 7];
        assert_eq!(
            decode_parameters(&again, 3, &mut types, &[]).unwrap(),
            [Value::Int(6), Value::Bytes(b"x".to_vec()), Value::UInt(7)]
        );
        // Long data replaces a value that is then absent from the packet.
        let long = [None, Some(b"long".to_vec()), None];
        let block = [0b000, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7];
        assert_eq!(
            decode_parameters(&block, 3, &mut types, &long).unwrap(),
            [Value::Int(6), Value::Bytes(b"long".to_vec()), Value::UInt(7)]
        );
    }

    #[test]
    fn execute_parameters_are_checked() {
        let mut types = Vec::new();
        assert!(decode_parameters(&[0, 0], 1, &mut types, &[]).is_err(), "no types bound yet");
        assert!(decode_parameters(&[0, 1, 0x08], 1, &mut types, &[]).is_err(), "type cut short");
        assert!(decode_parameters(&[0, 1, 0x08, 0, 1, 2], 1, &mut types, &[]).is_err(), "value cut short");
        assert!(decode_parameters(&[0], usize::MAX, &mut types, &[]).is_err(), "huge count");
        assert_eq!(decode_parameters(&[], 0, &mut types, &[]).unwrap(), []);
    }
}
