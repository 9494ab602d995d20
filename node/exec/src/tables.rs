//! The catalog as the SQL view stores it: every table's, schema's,
//! sequence's and user-defined type's metadata and every account, read back from the system tables.

use node_core::catalog::TableMeta;
use node_core::import::{ImportMeta, SourcePosition};
use node_core::schema::SchemaMeta;

/// Every user table's metadata as the SQL view holds it, by name.
pub fn load_tables(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<TableMeta>> {
    load("SELECT name, meta FROM __rc_tables ORDER BY name", "table", conn, TableMeta::decode)
}

/// Every user schema's metadata as the SQL view holds it, by name.
pub fn load_schemas(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<SchemaMeta>> {
    load("SELECT name, meta FROM __rc_schemas ORDER BY name", "schema", conn, SchemaMeta::decode)
}

/// Every sequence's metadata as the SQL view holds it, by name.
pub fn load_sequences(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<node_core::sequence::SequenceMeta>> {
    load(
        "SELECT name, meta FROM __rc_sequences ORDER BY name",
        "sequence",
        conn,
        node_core::sequence::SequenceMeta::decode,
    )
}

/// The columns of `__rc_imports` that make a source's record ([`import_row`]).
pub(crate) const IMPORTS_QUERY: &str =
    "SELECT source, account, position, position_order, batches, height FROM __rc_imports";

/// Every import source's record as the SQL view holds it, by name.
pub fn load_imports(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<ImportMeta>> {
    let mut st = conn.prepare_cached(&format!("{IMPORTS_QUERY} ORDER BY source"))?;
    let rows = st.query_map([], import_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(
            row?.map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))?,
        );
    }
    Ok(out)
}

/// A source's record from a row of [`IMPORTS_QUERY`]; the inner error says
/// what of it is malformed.
pub(crate) fn import_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ImportMeta, String>> {
    let source: String = r.get(0)?;
    let order: String = r.get(3)?;
    let Some(order) = parse_order(&order) else {
        return Ok(Err(format!("import {source}: position order {order:?}")));
    };
    Ok(Ok(ImportMeta {
        account: r.get(1)?,
        position: SourcePosition { order, text: r.get(2)? },
        batches: r.get::<_, i64>(4)? as u64,
        height: r.get::<_, i64>(5)? as u64,
        source,
    }))
}

/// A position's order as `__rc_imports` keeps it: decimal parts, comma-separated.
pub(crate) fn order_text(order: &[u64]) -> String {
    order.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

/// The reverse of [`order_text`]: one text per order, so no other spelling parses.
fn parse_order(text: &str) -> Option<Vec<u64>> {
    let order: Vec<u64> = text.split(',').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    (order_text(&order) == text).then_some(order)
}

/// Every user-defined type's metadata as the SQL view holds it, by name.
pub fn load_types(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<node_core::usertype::TypeMeta>> {
    load("SELECT name, meta FROM __rc_types ORDER BY name", "type", conn, node_core::usertype::TypeMeta::decode)
}

/// The `(name, meta)` rows `sql` selects, each meta decoded (`what`
/// names the kind in an error).
fn load<T>(
    sql: &str,
    what: &str,
    conn: &rusqlite::Connection,
    decode: impl Fn(&[u8]) -> Result<T, node_core::codec::DecodeError>,
) -> rusqlite::Result<Vec<T>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, bytes) = row?;
        let meta = decode(&bytes).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Blob,
                format!("{what} {name}: {e}").into(),
            )
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
    /// CREATE ROLE .. CREATEROLE: the role administers roles.
    pub create_role: bool,
}

/// Every account, by name.
pub fn load_accounts(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<AccountInfo>> {
    let mut st = conn.prepare_cached(
        "SELECT a.name, a.address, coalesce(r.create_role, 0) FROM __rc_accounts a \
         LEFT JOIN __rc_role_attrs r USING (address) ORDER BY a.name",
    )?;
    let rows = st.query_map([], |r| Ok(AccountInfo { name: r.get(0)?, address: r.get(1)?, create_role: r.get(2)? }))?;
    rows.collect()
}

/// A table constraint by the name PostgreSQL clients know it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub name: String,
    pub kind: sqlmap::ConstraintKind,
    /// Key columns (primary key, unique, foreign key) in key order; for a
    /// check, the column it is declared on, if any.
    pub columns: Vec<String>,
}

/// Table `name`'s CREATE TABLE text as SQLite keeps it in database `db`
/// (`main` or `temp`); empty when there is none.
pub fn definition(conn: &rusqlite::Connection, db: &str, name: &str) -> rusqlite::Result<String> {
    use rusqlite::OptionalExtension;
    let sql: Option<Option<String>> = conn
        .query_row(&format!("SELECT sql FROM {db}.sqlite_schema WHERE type = 'table' AND name = ?1"), [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(sql.flatten().unwrap_or_default())
}

/// The user's checks in `meta`'s table `definition`, the table known as
/// `rel` in its schema: unnamed ones by PostgreSQL's names, and none of
/// those rowchain adds itself (`sqlmap::table_checks`).
pub fn checks(definition: &str, meta: &TableMeta, rel: &str) -> Vec<sqlmap::TableCheck> {
    let type_of =
        |c: &str| meta.columns.iter().find(|m| m.name == c).and_then(|m| sqlmap::PgType::parse_name(&m.pg_type));
    sqlmap::table_checks(definition, rel, &type_of)
}

/// The constraints of `meta`'s table: its primary key, the unique
/// constraints and foreign keys of its definition, and its checks (not
/// those rowchain adds itself: `sqlmap::table_checks`).
/// A constraint keeps its declared name (`CONSTRAINT name`); the others
/// get PostgreSQL's default names (`t_pkey`, `t_a_b_key`, `t_a_fkey`,
/// `t_a_check`).
/// Every validator reads the same definition, so every validator finds
/// the same names. `db` is the SQLite database holding the table: `main`
/// (the chain's), or `temp` (a session's scratch database).
pub fn constraints(conn: &rusqlite::Connection, db: &str, meta: &TableMeta) -> rusqlite::Result<Vec<Constraint>> {
    use sqlmap::ConstraintKind;
    let definition = definition(conn, db, &meta.name)?;
    let declared = sqlmap::declared_constraints(&definition);
    // The declared name of the constraint of `kind` on exactly `columns`
    // (a table has one primary key, whatever its columns), else the default.
    let named = |kind: ConstraintKind, columns: Vec<String>| {
        let name = declared
            .iter()
            .find(|d| d.kind == kind && (kind == ConstraintKind::PrimaryKey || d.columns == columns))
            .map(|d| d.name.clone())
            .unwrap_or_else(|| kind.default_name(sqlmap::relation_schema(&meta.name).1, &columns));
        Constraint { name, kind, columns }
    };
    let quoted = format!("\"{}\"", meta.name.replace('"', "\"\""));
    let mut out = Vec::new();
    if !meta.primary_key.is_empty() {
        let columns = meta.primary_key.iter().filter_map(|p| meta.columns.get(*p)).map(|c| c.name.clone()).collect();
        out.push(named(ConstraintKind::PrimaryKey, columns));
    }
    let mut uniques = Vec::new();
    {
        let mut st = conn.prepare(&format!("PRAGMA {db}.index_list({quoted})"))?;
        let mut q = st.query([])?;
        while let Some(r) = q.next()? {
            if r.get::<_, String>(3)? == "u" {
                uniques.push((r.get::<_, i64>(0)?, r.get::<_, String>(1)?));
            }
        }
    }
    uniques.sort();
    for (_, index) in uniques {
        let mut columns = Vec::new();
        let mut st = conn.prepare(&format!("PRAGMA {db}.index_info(\"{}\")", index.replace('"', "\"\"")))?;
        let mut q = st.query([])?;
        while let Some(r) = q.next()? {
            columns.push(r.get::<_, Option<String>>(2)?.unwrap_or_default());
        }
        out.push(named(ConstraintKind::Unique, columns));
    }
    let mut keys: std::collections::BTreeMap<i64, Vec<String>> = std::collections::BTreeMap::new();
    {
        let mut st = conn.prepare(&format!("PRAGMA {db}.foreign_key_list({quoted})"))?;
        let mut q = st.query([])?;
        while let Some(r) = q.next()? {
            keys.entry(r.get(0)?).or_default().push(r.get(3)?);
        }
    }
    out.extend(keys.into_values().map(|columns| named(ConstraintKind::ForeignKey, columns)));
    for check in checks(&definition, meta, sqlmap::relation_schema(&meta.name).1) {
        out.push(Constraint {
            name: check.name,
            kind: ConstraintKind::Check,
            columns: check.column.into_iter().collect(),
        });
    }
    Ok(out)
}
