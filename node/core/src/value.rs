//! SQL values as they travel in transactions and receipts, with their byte encoding.

use crate::codec::{DecodeError, Reader, Writer};
use serde_json::Value as Json;

/// One SQL value. Booleans travel as integers 0/1 (SQLite has no boolean type).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn encode(&self, w: &mut Writer) {
        match self {
            Value::Null => {
                w.u8(0);
            }
            Value::Integer(i) => {
                w.u8(1).i64(*i);
            }
            // The bit pattern, so -0.0 and NaN payloads hash as they are stored.
            Value::Real(f) => {
                w.u8(2).u64(f.to_bits());
            }
            Value::Text(s) => {
                w.u8(3).str(s);
            }
            Value::Blob(b) => {
                w.u8(4).bytes(b);
            }
        }
    }

    pub fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            0 => Value::Null,
            1 => Value::Integer(r.i64()?),
            2 => Value::Real(f64::from_bits(r.u64()?)),
            3 => Value::Text(r.string()?),
            4 => Value::Blob(r.bytes()?.to_vec()),
            tag => return Err(DecodeError::UnknownTag { what: "value", tag }),
        })
    }

    /// JSON for the RPC: blobs as `\x`-prefixed hex, as PostgreSQL prints bytea.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Integer(i) => Json::from(*i),
            Value::Real(f) => serde_json::Number::from_f64(*f).map(Json::Number).unwrap_or(Json::String(f.to_string())),
            Value::Text(s) => Json::String(s.clone()),
            Value::Blob(b) => Json::String(format!("\\x{}", hex::encode(b))),
        }
    }

    /// Parameters from JSON: numbers, strings, booleans (as 0/1) and null.
    pub fn from_json(v: &Json) -> Option<Self> {
        Some(match v {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Integer(*b as i64),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Integer(i),
                None => Value::Real(n.as_f64()?),
            },
            Json::String(s) => Value::Text(s.clone()),
            _ => return None,
        })
    }
}

pub fn encode_row(values: &[Value]) -> Vec<u8> {
    let mut w = Writer::with_capacity(16 + values.len() * 12);
    w.u32(values.len() as u32);
    for v in values {
        v.encode(&mut w);
    }
    w.finish()
}

pub fn decode_row(r: &mut Reader) -> Result<Vec<Value>, DecodeError> {
    let n = r.count("column", 32_768, 1)?;
    (0..n).map(|_| Value::decode(r)).collect()
}
