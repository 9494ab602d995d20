//! The chain's table catalog: owner, columns with their declared PostgreSQL
//! types, primary key and indexes of every user table, and how each row maps
//! onto a state-tree leaf.

use crate::codec::{DecodeError, Reader, Writer};
use crate::crypto::{Hash, PublicKey, Suite};
use crate::value::{encode_row, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMeta {
    pub name: String,
    /// The declared PostgreSQL type, as `format_type` prints it.
    pub pg_type: String,
    pub not_null: bool,
    /// Declared `serial`/`bigserial`/`smallserial` or identity: keys come
    /// from the table when not given (the catalog shows a `nextval` default
    /// for serials).
    pub serial: bool,
    /// Declared `GENERATED ... AS IDENTITY` (the catalog shows
    /// `attidentity = 'd'`, or `'a'` with `always`).
    pub identity: bool,
    /// `GENERATED ALWAYS AS IDENTITY`: only `OVERRIDING SYSTEM VALUE`
    /// writes it.
    pub always: bool,
    /// `GENERATED ALWAYS AS (expr) STORED`: computed by SQLite from its
    /// row (the expression is in the table's definition); never written.
    pub generated: bool,
    /// `COMMENT ON COLUMN` (MySQL: the column's `COMMENT`).
    pub comment: Option<String>,
    /// The user-defined type (enum, domain) the column was declared with,
    /// by SQLite-style name; `pg_type` is then how it is stored (an enum's
    /// `text`, a domain's base type).
    pub user_type: Option<String>,
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
    /// Privileges the owner granted, one entry per grantee, sorted by grantee.
    pub acl: Vec<GrantMeta>,
    /// `ALTER TABLE .. ENABLE ROW LEVEL SECURITY`: rows are filtered and
    /// checked by `policies` for everyone but the owner and admins.
    pub row_security: bool,
    /// Row-level security policies, in creation order (names are unique).
    pub policies: Vec<PolicyMeta>,
    /// `COMMENT ON TABLE` (MySQL: the table's `COMMENT`).
    pub comment: Option<String>,
    /// `COMMENT ON INDEX` / `COMMENT ON CONSTRAINT` of this table's
    /// indexes and constraints, sorted by kind and name.
    pub part_comments: Vec<PartComment>,
    /// Set when the relation is a view (`CREATE VIEW`): it has no rows,
    /// keys, indexes or policies, and `columns` are the query's.
    pub view: Option<ViewMeta>,
    /// Set when the relation is a materialized view: a table (its rows are
    /// leaves like any table's, keyed by rowid) whose rows are its query's
    /// as of its creation or last `REFRESH`. Only the executor writes them.
    pub materialized: Option<ViewMeta>,
}

/// What makes a relation a view. The SQLite view is rendered from `query`
/// (see `sqlmap::view_sqlite`), so every validator builds the same one and
/// can build it again when the row filters it must apply change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewMeta {
    /// The SELECT as PostgreSQL text (what `pg_get_viewdef` shows).
    pub query: String,
    /// The column names given after the view's name; empty: the query's own.
    pub column_names: Vec<String>,
    /// `WITH (security_invoker)` (MySQL: `SQL SECURITY INVOKER`): reads
    /// through the view are checked as the reader, not as the view's owner.
    pub security_invoker: bool,
    /// The relations (tables and views) the query reads, sorted: what the
    /// privilege checks of a read through the view cover, and what may not
    /// be dropped while the view stands.
    pub depends: Vec<String>,
}

impl ColumnMeta {
    /// A column a query computes (a view's): nullable, no key, no comment.
    pub fn computed(name: impl Into<String>, pg_type: impl Into<String>) -> ColumnMeta {
        ColumnMeta {
            name: name.into(),
            pg_type: pg_type.into(),
            not_null: false,
            serial: false,
            identity: false,
            always: false,
            generated: false,
            comment: None,
            user_type: None,
        }
    }
}

impl TableMeta {
    /// A view's metadata: its columns and query, and no rows, keys,
    /// indexes, grants or policies yet.
    pub fn new_view(id: [u8; 16], name: String, owner: String, columns: Vec<ColumnMeta>, view: ViewMeta) -> TableMeta {
        TableMeta {
            id,
            name,
            owner,
            columns,
            primary_key: Vec::new(),
            rowid_alias: None,
            indexes: Vec::new(),
            created_height: 0,
            acl: Vec::new(),
            row_security: false,
            policies: Vec::new(),
            comment: None,
            part_comments: Vec::new(),
            view: Some(view),
            materialized: None,
        }
    }

    pub fn is_view(&self) -> bool {
        self.view.is_some()
    }

    /// A serial or identity key that is SQLite's rowid has no sequence of
    /// its own: the table numbers it. The name PostgreSQL would give that
    /// sequence (`t_id_seq`), and the column.
    pub fn rowid_sequence(&self) -> Option<(String, &ColumnMeta)> {
        let column = self.columns.get(self.rowid_alias?).filter(|c| c.serial)?;
        Some((sqlmap::column_sequence_name(&self.name, &column.name), column))
    }

    pub fn is_materialized(&self) -> bool {
        self.materialized.is_some()
    }

    /// The view or materialized view query this relation keeps, if any.
    pub fn defining_query(&self) -> Option<&ViewMeta> {
        self.view.as_ref().or(self.materialized.as_ref())
    }

    /// PostgreSQL's 42809 for a view where only a table will do.
    pub fn not_a_table(&self) -> crate::SqlError {
        crate::SqlError::new("42809", format!("\"{}\" is not a table", self.name))
    }
}

/// The comment on one of a table's named parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartComment {
    pub kind: PartKind,
    pub name: String,
    pub text: String,
}

/// What a [`PartComment`] is on; the discriminant is its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartKind {
    Index = 1,
    Constraint = 2,
}

impl TableMeta {
    /// Sets (`Some`) or removes (`None`) the comment on a named part.
    pub fn set_part_comment(&mut self, kind: PartKind, name: &str, text: Option<String>) {
        self.part_comments.retain(|c| !(c.kind == kind && c.name == name));
        if let Some(text) = text {
            self.part_comments.push(PartComment { kind, name: name.to_string(), text });
            self.part_comments.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        }
    }

    /// The comment on a named part, if any.
    pub fn part_comment(&self, kind: PartKind, name: &str) -> Option<&str> {
        self.part_comments.iter().find(|c| c.kind == kind && c.name == name).map(|c| c.text.as_str())
    }
}

/// Table privileges as bits of [`GrantMeta::privileges`].
impl ColumnMeta {
    /// The metadata of a column as CREATE TABLE or ADD COLUMN declares it.
    pub fn declared(c: &sqlmap::ColumnDef) -> ColumnMeta {
        ColumnMeta {
            name: c.name.clone(),
            pg_type: c.ty.name(),
            not_null: c.not_null,
            serial: c.serial,
            identity: c.identity,
            always: c.always,
            generated: c.generated,
            comment: c.comment.clone(),
            user_type: c.user_type.clone(),
        }
    }
}

impl TableMeta {
    /// The metadata of a table as `CREATE TABLE` declares it: no indexes,
    /// grants or policies yet. `id` keys its rows.
    pub fn declared(
        ct: &sqlmap::CreateTable,
        id: [u8; 16],
        owner: String,
        height: u64,
    ) -> Result<TableMeta, crate::SqlError> {
        let columns: Vec<ColumnMeta> = ct.columns.iter().map(ColumnMeta::declared).collect();
        let mut primary_key = Vec::with_capacity(ct.primary_key.len());
        for k in &ct.primary_key {
            let Some(pos) = columns.iter().position(|c| c.name == *k) else {
                return Err(crate::SqlError::new("42703", format!("column \"{k}\" named in key does not exist")));
            };
            primary_key.push(pos);
        }
        // A single integer key is SQLite's rowid, unless it draws from a
        // sequence (sqlmap renders that one so SQLite keeps it apart).
        let rowid_alias = match primary_key.as_slice() {
            [p] if ct.columns.get(*p).is_some_and(|c| {
                matches!(c.ty, sqlmap::PgType::Int2 | sqlmap::PgType::Int4 | sqlmap::PgType::Int8)
                    && c.sequence.is_none()
            }) =>
            {
                Some(*p)
            }
            _ => None,
        };
        Ok(TableMeta {
            id,
            name: ct.name.clone(),
            owner,
            columns,
            primary_key,
            rowid_alias,
            indexes: Vec::new(),
            created_height: height,
            acl: Vec::new(),
            row_security: false,
            policies: Vec::new(),
            comment: ct.comment.clone(),
            part_comments: Vec::new(),
            view: None,
            materialized: None,
        })
    }
}

pub mod privilege {
    pub const SELECT: u8 = 1;
    pub const INSERT: u8 = 2;
    pub const UPDATE: u8 = 4;
    pub const DELETE: u8 = 8;
    pub const TRUNCATE: u8 = 16;
    pub const ALL: u8 = SELECT | INSERT | UPDATE | DELETE | TRUNCATE;
    /// In PostgreSQL's `aclitem` order and letters (`\dp` prints them).
    pub const LETTERS: [(u8, char, &str); 5] = [
        (INSERT, 'a', "INSERT"),
        (SELECT, 'r', "SELECT"),
        (UPDATE, 'w', "UPDATE"),
        (DELETE, 'd', "DELETE"),
        (TRUNCATE, 'D', "TRUNCATE"),
    ];
}

/// What one grantee may do with a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantMeta {
    /// The grantee's address; empty for PUBLIC (every role).
    pub grantee: String,
    /// Table-wide privileges, bits of [`privilege`].
    pub privileges: u8,
    /// Columns the grantee may UPDATE without table-wide UPDATE, sorted.
    pub update_columns: Vec<String>,
}

pub use sqlmap::PolicyCommand;

/// A row-level security policy (`CREATE POLICY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyMeta {
    pub name: String,
    pub command: PolicyCommand,
    /// PERMISSIVE policies are OR-ed, RESTRICTIVE ones AND-ed onto them.
    pub permissive: bool,
    /// The roles' addresses; empty for PUBLIC.
    pub roles: Vec<String>,
    /// The USING expression as PostgreSQL text.
    pub using: Option<String>,
    /// The WITH CHECK expression as PostgreSQL text.
    pub check: Option<String>,
}

impl TableMeta {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(128);
        w.u8(self.version()).fixed(&self.id).str(&self.name).str(&self.owner).u32(self.columns.len() as u32);
        for c in &self.columns {
            // Flags: bit 0 not null, bit 1 serial, bit 2 identity, bit 3
            // always, bit 4 generated, bit 5 a user-defined type (its name
            // follows), so columns without one encode as before.
            w.str(&c.name).str(&c.pg_type).u8(c.not_null as u8
                | (c.serial as u8) << 1
                | (c.identity as u8) << 2
                | (c.always as u8) << 3
                | (c.generated as u8) << 4
                | (c.user_type.is_some() as u8) << 5);
            if let Some(user_type) = &c.user_type {
                w.str(user_type);
            }
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
        // Version 1 tables (no grants, no row security) keep their encoding,
        // so chains written before version 2 verify unchanged; version 3
        // (comments) appends to version 2's.
        if self.version() >= 2 {
            w.u32(self.acl.len() as u32);
            for g in &self.acl {
                w.str(&g.grantee).u8(g.privileges).u32(g.update_columns.len() as u32);
                for c in &g.update_columns {
                    w.str(c);
                }
            }
            w.u8(self.row_security as u8).u32(self.policies.len() as u32);
            for p in &self.policies {
                w.str(&p.name).u8(p.command.code()).u8(p.permissive as u8).u32(p.roles.len() as u32);
                for r in &p.roles {
                    w.str(r);
                }
                for e in [&p.using, &p.check] {
                    optional(&mut w, e);
                }
            }
        }
        if self.version() >= 3 {
            optional(&mut w, &self.comment);
            for c in &self.columns {
                optional(&mut w, &c.comment);
            }
            w.u32(self.part_comments.len() as u32);
            for c in &self.part_comments {
                w.u8(c.kind as u8).str(&c.name).str(&c.text);
            }
        }
        // Version 4 (views) appends the view to version 3's; version 5
        // (materialized views) its query in the same form.
        if let Some(v) = self.view.as_ref().or(self.materialized.as_ref()) {
            w.str(&v.query).u32(v.column_names.len() as u32);
            for c in &v.column_names {
                w.str(c);
            }
            w.u8(v.security_invoker as u8).u32(v.depends.len() as u32);
            for d in &v.depends {
                w.str(d);
            }
        }
        w.finish()
    }

    fn version(&self) -> u8 {
        if self.materialized.is_some() {
            return 5;
        }
        if self.view.is_some() {
            return 4;
        }
        let commented = self.comment.is_some()
            || !self.part_comments.is_empty()
            || self.columns.iter().any(|c| c.comment.is_some());
        if commented {
            3
        } else if self.acl.is_empty() && !self.row_security && self.policies.is_empty() {
            1
        } else {
            2
        }
    }

    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let version = r.u8()?;
        if !(1..=5).contains(&version) {
            return Err(DecodeError::Version { what: "table metadata", version });
        }
        let id = r.fixed()?;
        let name = r.string()?;
        let owner = r.string()?;
        let n = r.count("column", 32_768, 9)?;
        let mut columns: Vec<ColumnMeta> = (0..n)
            .map(|_| {
                let (name, pg_type, flags) = (r.string()?, r.string()?, r.u8()?);
                if flags >> 6 != 0 {
                    return Err(DecodeError::Version { what: "column flags", version: flags });
                }
                let user_type = if flags & 32 != 0 { Some(r.string()?) } else { None };
                Ok(ColumnMeta {
                    user_type,
                    name,
                    pg_type,
                    not_null: flags & 1 != 0,
                    serial: flags & 2 != 0,
                    identity: flags & 4 != 0,
                    always: flags & 8 != 0,
                    generated: flags & 16 != 0,
                    comment: None,
                })
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
        let (mut acl, mut row_security, mut policies) = (Vec::new(), false, Vec::new());
        if version >= 2 {
            let n = r.count("grant", 65_536, 9)?;
            for _ in 0..n {
                let (grantee, privileges) = (r.string()?, r.u8()?);
                let m = r.count("column", 32_768, 4)?;
                let update_columns = (0..m).map(|_| r.string()).collect::<Result<_, _>>()?;
                acl.push(GrantMeta { grantee, privileges, update_columns });
            }
            row_security = r.u8()? != 0;
            let n = r.count("policy", 65_536, 16)?;
            for _ in 0..n {
                let name = r.string()?;
                let command = r.u8()?;
                let command = PolicyCommand::from_code(command)
                    .ok_or(DecodeError::Version { what: "policy command", version: command })?;
                let permissive = r.u8()? != 0;
                let m = r.count("role", 65_536, 4)?;
                let roles = (0..m).map(|_| r.string()).collect::<Result<_, _>>()?;
                let (using, check) = (read_optional(&mut r)?, read_optional(&mut r)?);
                policies.push(PolicyMeta { name, command, permissive, roles, using, check });
            }
        }
        let (mut comment, mut part_comments) = (None, Vec::new());
        if version >= 3 {
            comment = read_optional(&mut r)?;
            for c in &mut columns {
                c.comment = read_optional(&mut r)?;
            }
            let n = r.count("comment", 65_536, 9)?;
            for _ in 0..n {
                let kind = match r.u8()? {
                    1 => PartKind::Index,
                    2 => PartKind::Constraint,
                    other => return Err(DecodeError::Version { what: "comment kind", version: other }),
                };
                part_comments.push(PartComment { kind, name: r.string()?, text: r.string()? });
            }
        }
        let (mut view, mut materialized) = (None, None);
        if version >= 4 {
            let query = r.string()?;
            let n = r.count("view column", 32_768, 4)?;
            let column_names = (0..n).map(|_| r.string()).collect::<Result<_, _>>()?;
            let security_invoker = r.u8()? != 0;
            let n = r.count("dependency", 65_536, 4)?;
            let depends = (0..n).map(|_| r.string()).collect::<Result<_, _>>()?;
            let meta = Some(ViewMeta { query, column_names, security_invoker, depends });
            if version == 4 {
                view = meta;
            } else {
                materialized = meta;
            }
        }
        r.finish()?;
        Ok(TableMeta {
            id,
            name,
            owner,
            columns,
            primary_key,
            rowid_alias,
            indexes,
            created_height,
            acl,
            row_security,
            policies,
            comment,
            part_comments,
            view,
            materialized,
        })
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

    pub fn row_value(suite: Suite, values: &[Value]) -> Hash {
        suite.hash(&encode_row(values))
    }
}

/// An optional text: a 0 byte, or a 1 byte and the text.
pub(crate) fn optional(w: &mut Writer, text: &Option<String>) {
    match text {
        Some(text) => w.u8(1).str(text),
        None => w.u8(0),
    };
}

pub(crate) fn read_optional(r: &mut Reader) -> Result<Option<String>, DecodeError> {
    Ok(match r.u8()? {
        0 => None,
        _ => Some(r.string()?),
    })
}

/// What a state-tree label names, for messages.
pub enum LabelKind {
    Account(String),
    Table([u8; 16]),
    Row { table: [u8; 16], key: Vec<Value> },
    Schema(String),
    Sequence(String),
    Import(String),
    Unknown,
}

pub fn parse_label(label: &[u8]) -> LabelKind {
    match label.split_first() {
        Some((b'a', rest)) => LabelKind::Account(String::from_utf8_lossy(rest).into_owned()),
        Some((b't', rest)) => match rest.try_into() {
            Ok(table) => LabelKind::Table(table),
            Err(_) => LabelKind::Unknown,
        },
        Some((b's', rest)) => LabelKind::Schema(String::from_utf8_lossy(rest).into_owned()),
        Some((b'q', rest)) => LabelKind::Sequence(String::from_utf8_lossy(rest).into_owned()),
        Some((b'i', rest)) => LabelKind::Import(String::from_utf8_lossy(rest).into_owned()),
        Some((b'r', rest)) => {
            let Some((table, key)) = rest.split_first_chunk::<16>() else {
                return LabelKind::Unknown;
            };
            match crate::value::decode_row(&mut Reader::new(key)) {
                Ok(key) => LabelKind::Row { table: *table, key },
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

/// `create_role`: the role has CREATEROLE (encoded as version 2, so other
/// accounts keep their version 1 leaves).
pub fn account_value(name: &str, public_key: &PublicKey, create_role: bool) -> Hash {
    let mut w = Writer::new();
    if create_role {
        w.u8(2).str(name).fixed(public_key.as_bytes()).u8(1);
    } else {
        w.u8(1).str(name).fixed(public_key.as_bytes());
    }
    public_key.suite().hash(&w.finish())
}

/// User tables by name.
pub type Catalog = BTreeMap<String, TableMeta>;

/// A catalog as the [`sqlmap::Schema`] statements are planned against:
/// the tables and the user-defined types.
pub struct SchemaView<'a>(pub &'a Catalog, pub &'a crate::usertype::UserTypes);

impl sqlmap::Schema for SchemaView<'_> {
    fn column_type(&self, table: &str, column: &str) -> Option<sqlmap::PgType> {
        let meta = self.0.get(table)?;
        let col = meta.columns.iter().find(|c| c.name == column)?;
        sqlmap::PgType::parse_name(&col.pg_type)
    }

    fn column_names(&self, table: &str) -> Option<Vec<String>> {
        Some(self.0.get(table)?.columns.iter().map(|c| c.name.clone()).collect())
    }

    fn auto_increment_column(&self, table: &str) -> Option<String> {
        self.0.get(table)?.columns.iter().find(|c| c.serial).map(|c| c.name.clone())
    }

    fn always_identity(&self, table: &str, column: &str) -> bool {
        self.0.get(table).is_some_and(|t| t.columns.iter().any(|c| c.name == column && c.always))
    }

    fn generated(&self, table: &str, column: &str) -> bool {
        self.0.get(table).is_some_and(|t| t.columns.iter().any(|c| c.name == column && c.generated))
    }

    fn rowid_sequence(&self, sequence: &str) -> Option<String> {
        self.0.values().find(|t| t.rowid_sequence().is_some_and(|(name, _)| name == sequence)).map(|t| t.name.clone())
    }

    fn user_type(&self, name: &str) -> Option<sqlmap::UserType> {
        self.1.get(name).map(|t| t.ty.clone())
    }

    fn knows_user_types(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(label: &[u8]) -> String {
        match parse_label(label) {
            LabelKind::Account(a) => format!("account {a}"),
            LabelKind::Table(id) => format!("table {}", hex::encode(id)),
            LabelKind::Row { table, key } => format!("row {} {}", hex::encode(table), format_key(&key)),
            LabelKind::Schema(name) => format!("schema {name}"),
            LabelKind::Sequence(name) => format!("sequence {name}"),
            LabelKind::Import(name) => format!("import {name}"),
            LabelKind::Unknown => "unknown".into(),
        }
    }

    #[test]
    fn labels_of_every_length_parse_or_are_unknown() {
        let id = [0xab; 16];
        let row = |key: &[Value]| [b"r".as_slice(), &id, &encode_row(key)].concat();
        assert_eq!(kind(b""), "unknown");
        assert_eq!(kind(b"a"), "account ");
        assert_eq!(kind(b"ishop@db1"), "import shop@db1");
        assert_eq!(kind("aandré".as_bytes()), "account andré");
        assert_eq!(kind(b"a\xff"), "account \u{fffd}");
        assert_eq!(kind(&[b"t".as_slice(), &id].concat()), format!("table {}", hex::encode(id)));
        for len in [0, 1, 15, 17, 40] {
            assert_eq!(kind(&[b"t".as_slice(), &vec![1; len]].concat()), "unknown", "table label of {len} bytes");
            assert_eq!(kind(&[b"r".as_slice(), &vec![1; len]].concat()), "unknown", "row label of {len} bytes");
        }
        assert_eq!(
            kind(&row(&[Value::Integer(1), Value::Text("é".into())])),
            format!("row {} (1, 'é')", hex::encode(id))
        );
        let mut truncated = row(&[Value::Text("Grüße".into())]);
        truncated.pop();
        assert_eq!(kind(&truncated), "unknown");
        assert_eq!(kind(b"qsales.orders_id_seq"), "sequence sales.orders_id_seq");
        assert_eq!(kind(b"x0123456789abcdef"), "unknown");
    }

    fn table(acl: Vec<GrantMeta>) -> TableMeta {
        TableMeta {
            id: [1; 16],
            name: "tä".into(),
            owner: "rc00".into(),
            columns: vec![ColumnMeta {
                name: "名前".into(),
                pg_type: "text".into(),
                not_null: true,
                serial: false,
                identity: true,
                always: false,
                generated: false,
                comment: None,
                user_type: None,
            }],
            primary_key: vec![0],
            rowid_alias: Some(0),
            indexes: vec![IndexMeta { name: "i".into(), unique: true, sqlite: "CREATE INDEX i ON t(a)".into() }],
            created_height: 9,
            acl,
            row_security: false,
            policies: Vec::new(),
            comment: None,
            part_comments: Vec::new(),
            view: None,
            materialized: None,
        }
    }

    fn view(t: TableMeta) -> TableMeta {
        TableMeta {
            primary_key: Vec::new(),
            rowid_alias: None,
            indexes: Vec::new(),
            view: Some(ViewMeta {
                query: "SELECT a FROM t".into(),
                column_names: vec!["ä".into()],
                security_invoker: true,
                depends: vec!["t".into(), "u".into()],
            }),
            ..t
        }
    }

    /// A materialized view: a table's storage, a view's query.
    fn materialized(t: TableMeta) -> TableMeta {
        let query = view(t.clone()).view;
        TableMeta { primary_key: Vec::new(), rowid_alias: None, materialized: query, ..t }
    }

    fn commented(acl: Vec<GrantMeta>) -> TableMeta {
        let mut t = table(acl);
        t.comment = Some("the test % ' \" \\ table comment".into());
        if let Some(c) = t.columns.first_mut() {
            c.comment = Some("Comment\nwith\rescapes".into());
        }
        t.set_part_comment(PartKind::Constraint, "t_pkey", Some("pk".into()));
        t.set_part_comment(PartKind::Index, "i", Some("ix".into()));
        t
    }

    #[test]
    fn table_metadata_round_trips_and_truncations_are_errors() {
        let grant =
            GrantMeta { grantee: String::new(), privileges: privilege::SELECT, update_columns: vec!["a".into()] };
        let versions = [
            (table(Vec::new()), 1),
            (table(vec![grant.clone()]), 2),
            (commented(Vec::new()), 3),
            (commented(vec![grant.clone()]), 3),
            (view(table(Vec::new())), 4),
            (view(commented(vec![grant.clone()])), 4),
            (materialized(table(vec![grant])), 5),
        ];
        for (t, version) in versions {
            assert_eq!(t.version(), version);
            let bytes = t.encode();
            assert_eq!(bytes.first(), Some(&t.version()));
            assert_eq!(TableMeta::decode(&bytes), Ok(t.clone()));
            for len in 0..bytes.len() {
                assert!(TableMeta::decode(&bytes[..len]).is_err(), "{len} of {} bytes decoded", bytes.len());
            }
        }
        assert_eq!(TableMeta::decode(&[]), Err(DecodeError::Truncated { offset: 0, wanted: 1, left: 0 }));
        assert_eq!(TableMeta::decode(&[6]), Err(DecodeError::Version { what: "table metadata", version: 6 }));
        let mut huge_name = table(Vec::new()).encode();
        huge_name.splice(17..21, u32::MAX.to_be_bytes());
        assert_eq!(
            TableMeta::decode(&huge_name),
            Err(DecodeError::Truncated { offset: 21, wanted: u32::MAX as usize, left: huge_name.len() - 21 })
        );
    }

    #[test]
    fn comments_leave_the_older_encodings_unchanged_and_go_away_with_their_removal() {
        let plain = table(Vec::new());
        let mut t = commented(Vec::new());
        assert_eq!(t.part_comment(PartKind::Index, "i"), Some("ix"));
        assert_eq!(t.part_comment(PartKind::Constraint, "i"), None);
        // Parts sort by kind, then name, whatever the order they were set in.
        let kinds: Vec<PartKind> = t.part_comments.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [PartKind::Index, PartKind::Constraint]);
        t.comment = None;
        if let Some(c) = t.columns.first_mut() {
            c.comment = None;
        }
        t.set_part_comment(PartKind::Constraint, "t_pkey", None);
        t.set_part_comment(PartKind::Index, "i", None);
        assert_eq!(t.encode(), plain.encode(), "an uncommented table encodes as version 1 again");
        let mut bad = commented(Vec::new()).encode();
        // The last part comment's kind byte sits before its name and text.
        let tail = 1 + 4 + "t_pkey".len() + 4 + "pk".len();
        let at = bad.len() - tail;
        bad[at] = 9;
        assert_eq!(TableMeta::decode(&bad), Err(DecodeError::Version { what: "comment kind", version: 9 }));
    }
}
