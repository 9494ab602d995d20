//! [`Value`]s in and out of SQLite: a column read as a value, a value bound
//! as a parameter.

use node_core::value::Value;
use rusqlite::types::{ToSqlOutput, ValueRef};

/// A column SQLite returned, as a rowchain value (text that is not UTF-8 is
/// read lossily, as SQLite's own `CAST(x AS TEXT)` would show it).
pub fn value_of(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// A value bound as an SQLite parameter.
pub struct Param<'a>(pub &'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// Values bound as `?1, ?2, ...`.
pub fn params(values: &[Value]) -> impl rusqlite::Params + '_ {
    rusqlite::params_from_iter(values.iter().map(Param))
}
