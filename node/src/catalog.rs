//! The chain's table catalog: owner, columns with their declared PostgreSQL
//! types, primary key and indexes of every user table, and how each row maps
//! onto a state-tree leaf.

use crate::codec::{DecodeError, Reader, Writer};
use crate::crypto::{self, Hash};
use crate::value::{encode_row, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMeta {
    pub name: String,
    /// The declared PostgreSQL type, as `format_type` prints it.
    pub pg_type: String,
    pub not_null: bool,
    /// Declared `serial`/`bigserial`/`smallserial`: keys come from the table
    /// when not given (the catalog shows a `nextval` default).
    pub serial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexMeta {
    pub name: String,
    pub unique: bool,
    pub sqlite: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMeta {
    /// Stable across renames: rows are keyed by it.
    pub id: [u8; 16],
    pub name: String,
    /// The creator's address.
    pub owner: String,
    pub columns: Vec<ColumnMeta>,
    /// Column positions of the declared primary key; empty means the hidden
    /// SQLite rowid identifies each row.
    pub primary_key: Vec<usize>,
    /// The column that is SQLite's rowid alias (a single integer primary key).
    pub rowid_alias: Option<usize>,
    pub indexes: Vec<IndexMeta>,
    pub created_height: u64,
}

impl TableMeta {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(128);
        w.u8(1).fixed(&self.id).str(&self.name).str(&self.owner).u32(self.columns.len() as u32);
        for c in &self.columns {
            // Flags: bit 0 not null, bit 1 serial.
            w.str(&c.name).str(&c.pg_type).u8(c.not_null as u8 | (c.serial as u8) << 1);
        }
        w.u32(self.primary_key.len() as u32);
        for p in &self.primary_key {
            w.u32(*p as u32);
        }
        w.u32(self.rowid_alias.map(|a| a as u32 + 1).unwrap_or(0));
        w.u32(self.indexes.len() as u32);
        for i in &self.indexes {
            w.str(&i.name).u8(i.unique as u8).str(&i.sqlite);
        }
        w.u64(self.created_height);
        w.finish()
    }

    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let version = r.u8()?;
        if version != 1 {
            return Err(DecodeError::Version { what: "table metadata", version });
        }
        let id = r.fixed()?;
        let name = r.string()?;
        let owner = r.string()?;
        let n = r.count("column", 32_768, 9)?;
        let columns = (0..n)
            .map(|_| {
                let (name, pg_type, flags) = (r.string()?, r.string()?, r.u8()?);
                Ok(ColumnMeta { name, pg_type, not_null: flags & 1 != 0, serial: flags & 2 != 0 })
            })
            .collect::<Result<_, DecodeError>>()?;
        let n = r.count("key column", 32_768, 4)?;
        let primary_key = (0..n).map(|_| r.u32().map(|p| p as usize)).collect::<Result<_, _>>()?;
        let rowid_alias = match r.u32()? {
            0 => None,
            a => Some(a as usize - 1),
        };
        let n = r.count("index", 32_768, 9)?;
        let indexes = (0..n)
            .map(|_| Ok(IndexMeta { name: r.string()?, unique: r.u8()? != 0, sqlite: r.string()? }))
            .collect::<Result<_, DecodeError>>()?;
        let created_height = r.u64()?;
        r.finish()?;
        Ok(TableMeta { id, name, owner, columns, primary_key, rowid_alias, indexes, created_height })
    }

    /// The state-tree leaf label of this table's metadata.
    pub fn label(&self) -> Vec<u8> {
        [b"t".as_slice(), &self.id].concat()
    }

    /// Row values as the tree commits them: the rowid alias column, which
    /// SQLite may report as NULL before the rowid is assigned, is the rowid.
    pub fn normalize(&self, rowid: i64, values: &mut [Value]) {
        if let Some(a) = self.rowid_alias {
            if let Some(v) = values.get_mut(a) {
                *v = Value::Integer(rowid);
            }
        }
    }

    /// The leaf label of a row: table id and the encoded primary key.
    pub fn row_label(&self, rowid: i64, values: &[Value]) -> Vec<u8> {
        let pk: Vec<Value> = if self.primary_key.is_empty() {
            vec![Value::Integer(rowid)]
        } else {
            self.primary_key.iter().map(|i| values.get(*i).cloned().unwrap_or(Value::Null)).collect()
        };
        [b"r".as_slice(), &self.id, &encode_row(&pk)].concat()
    }

    pub fn row_value(values: &[Value]) -> Hash {
        crypto::hash(&encode_row(values))
    }
}

/// What a state-tree label names, for messages.
pub enum LabelKind {
    Account(String),
    Table([u8; 16]),
    Row { table: [u8; 16], key: Vec<Value> },
    Unknown,
}

pub fn parse_label(label: &[u8]) -> LabelKind {
    match label.split_first() {
        Some((b'a', rest)) => LabelKind::Account(String::from_utf8_lossy(rest).into_owned()),
        Some((b't', rest)) if rest.len() == 16 => LabelKind::Table(rest.try_into().unwrap()),
        Some((b'r', rest)) if rest.len() > 16 => {
            let mut r = Reader::new(&rest[16..]);
            match crate::value::decode_row(&mut r) {
                Ok(key) => LabelKind::Row { table: rest[..16].try_into().unwrap(), key },
                Err(_) => LabelKind::Unknown,
            }
        }
        _ => LabelKind::Unknown,
    }
}

/// A primary key for people: `(1)`, `('a', 2)`.
pub fn format_key(key: &[Value]) -> String {
    let parts: Vec<String> = key
        .iter()
        .map(|v| match v {
            Value::Null => "NULL".into(),
            Value::Integer(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
            Value::Blob(b) => format!("'\\x{}'", hex::encode(b)),
        })
        .collect();
    format!("({})", parts.join(", "))
}

/// An account as the state tree commits it.
pub fn account_label(address: &str) -> Vec<u8> {
    [b"a".as_slice(), address.as_bytes()].concat()
}

pub fn account_value(name: &str, public_key: &[u8; 32]) -> Hash {
    let mut w = Writer::new();
    w.u8(1).str(name).fixed(public_key);
    crypto::hash(&w.finish())
}

/// User tables by name.
pub type Catalog = BTreeMap<String, TableMeta>;

/// A catalog as the [`sqlmap::Schema`] statements are planned against.
pub struct SchemaView<'a>(pub &'a Catalog);

impl sqlmap::Schema for SchemaView<'_> {
    fn column_type(&self, table: &str, column: &str) -> Option<sqlmap::PgType> {
        let meta = self.0.get(table)?;
        let col = meta.columns.iter().find(|c| c.name == column)?;
        sqlmap::PgType::parse_name(&col.pg_type)
    }

    fn column_names(&self, table: &str) -> Option<Vec<String>> {
        Some(self.0.get(table)?.columns.iter().map(|c| c.name.clone()).collect())
    }
}

/// Every user table's metadata as the SQL view holds it, by name.
pub fn load_tables(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<TableMeta>> {
    let mut st = conn.prepare_cached("SELECT name, meta FROM __rc_tables ORDER BY name")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, bytes) = row?;
        let meta = TableMeta::decode(&bytes).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, format!("table {name}: {e}").into())
        })?;
        out.push(meta);
    }
    Ok(out)
}

/// A chain account (a PostgreSQL role) as the SQL view holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub name: String,
    pub address: String,
}

/// Every account, by name.
pub fn load_accounts(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<AccountInfo>> {
    let mut st = conn.prepare_cached("SELECT name, address FROM __rc_accounts ORDER BY name")?;
    let rows = st.query_map([], |r| Ok(AccountInfo { name: r.get(0)?, address: r.get(1)? }))?;
    rows.collect()
}
