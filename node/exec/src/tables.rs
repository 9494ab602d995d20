//! The catalog as the SQL view stores it: every table's metadata and every
//! account, read back from the system tables.

use node_core::catalog::TableMeta;

/// Every user table's metadata as the SQL view holds it, by name.
pub fn load_tables(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<TableMeta>> {
    let mut st = conn.prepare_cached("SELECT name, meta FROM __rc_tables ORDER BY name")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, bytes) = row?;
        let meta = TableMeta::decode(&bytes).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Blob,
                format!("table {name}: {e}").into(),
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
