//! Row changes as state-tree leaves: the preupdate hook's capture, and every
//! leaf of a view (for `verify`).

use super::*;

/// A row change captured by the preupdate hook.
pub(super) struct RowChange {
    pub(super) table: String,
    pub(super) old: Option<(i64, Vec<Value>)>,
    pub(super) new: Option<(i64, Vec<Value>)>,
}

/// A row as the preupdate hook saw it: rowid and values.
pub(super) type CapturedRow = Option<(i64, Vec<Value>)>;

pub(super) fn capture(case: &PreUpdateCase) -> (CapturedRow, CapturedRow) {
    let old = |a: &rusqlite::hooks::PreUpdateOldValueAccessor| {
        let n = a.get_column_count();
        let vals =
            (0..n).map(|i| a.get_old_column_value(i).map(crate::sqlvalue::value_of).unwrap_or(Value::Null)).collect();
        (a.get_old_row_id(), vals)
    };
    let new = |a: &rusqlite::hooks::PreUpdateNewValueAccessor| {
        let n = a.get_column_count();
        let vals =
            (0..n).map(|i| a.get_new_column_value(i).map(crate::sqlvalue::value_of).unwrap_or(Value::Null)).collect();
        (a.get_new_row_id(), vals)
    };
    match case {
        PreUpdateCase::Insert(n) => (None, Some(new(n))),
        PreUpdateCase::Delete(o) => (Some(old(o)), None),
        PreUpdateCase::Update { old_value_accessor, new_value_accessor } => {
            (Some(old(old_value_accessor)), Some(new(new_value_accessor)))
        }
        PreUpdateCase::Unknown => (None, None),
    }
}

/// Every leaf of the state as the SQLite view holds it: accounts, schema,
/// sequence and table metadata, import positions, and rows. `verify` compares this with the ledger's tree.
pub fn state_leaves(conn: &Connection, suite: Suite) -> Result<BTreeMap<Hash, (Hash, Vec<u8>)>, ExecError> {
    let mut out = BTreeMap::new();
    let mut st = conn.prepare(
        "SELECT a.address, a.name, a.public_key, coalesce(r.create_role, 0) FROM __rc_accounts a LEFT JOIN __rc_role_attrs r USING (address)",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let address: String = r.get(0)?;
        let name: String = r.get(1)?;
        let pk: Vec<u8> = r.get(2)?;
        let create_role: bool = r.get(3)?;
        let pk = suite
            .public_key(&pk)
            .ok_or_else(|| ExecError::Inconsistent(format!("account {address}: not a {suite} key")))?;
        let label = account_label(&address);
        out.insert(suite.hash(&label), (account_value(&name, &pk, create_role), label));
    }
    for meta in crate::tables::load_schemas(conn)? {
        let label = meta.label();
        out.insert(suite.hash(&label), (suite.hash(&meta.encode()), label));
    }
    for meta in crate::tables::load_types(conn)? {
        let label = meta.label();
        out.insert(suite.hash(&label), (suite.hash(&meta.encode()), label));
    }
    for meta in crate::tables::load_imports(conn)? {
        let label = meta.label();
        out.insert(suite.hash(&label), (suite.hash(&meta.encode()), label));
    }
    for meta in crate::tables::load_sequences(conn)? {
        let label = meta.label();
        out.insert(suite.hash(&label), (suite.hash(&meta.encode()), label));
    }
    let mut st = conn.prepare("SELECT name, meta FROM __rc_tables")?;
    let metas: Vec<(String, Vec<u8>)> = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (name, bytes) in metas {
        let meta = TableMeta::decode(&bytes).map_err(|e| ExecError::Inconsistent(format!("table {name}: {e}")))?;
        let label = meta.label();
        out.insert(suite.hash(&label), (suite.hash(&bytes), label));
        if meta.is_view() {
            continue;
        }
        let sql = format!("SELECT rowid, * FROM \"{}\"", meta.name.replace('"', "\"\""));
        let mut st = conn.prepare(&sql)?;
        let n = st.column_count() - 1;
        if n != meta.columns.len() {
            return Err(ExecError::Inconsistent(format!(
                "table {}: {} columns in SQLite, {} in the chain's catalog",
                meta.name,
                n,
                meta.columns.len()
            )));
        }
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            let mut vals: Vec<Value> =
                (1..=n).map(|i| r.get_ref(i).map(crate::sqlvalue::value_of)).collect::<Result<_, _>>()?;
            meta.normalize(rowid, &mut vals);
            let label = meta.row_label(rowid, &vals);
            out.insert(suite.hash(&label), (TableMeta::row_value(suite, &vals), label));
        }
    }
    Ok(out)
}

impl Executor {
    /// Turns captured row changes into leaf updates.
    pub(super) fn absorb_captured(&mut self, changes: &mut Changes) -> Result<(), SqlError> {
        let captured = std::mem::take(&mut *self.captured.lock());
        for c in captured {
            let Some(meta) = self.catalog.get(&c.table) else { continue };
            if let Some((rowid, mut vals)) = c.old {
                meta.normalize(rowid, &mut vals);
                changes.insert(self.suite.hash(&meta.row_label(rowid, &vals)), None);
            }
            if let Some((rowid, mut vals)) = c.new {
                meta.normalize(rowid, &mut vals);
                let label = meta.row_label(rowid, &vals);
                changes.insert(self.suite.hash(&label), Some((TableMeta::row_value(self.suite, &vals), label)));
            }
        }
        Ok(())
    }
}
