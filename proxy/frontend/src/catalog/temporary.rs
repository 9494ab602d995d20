//! A session's temporary tables, views and types in its own catalog reads, as
//! PostgreSQL lists them: relations of the session's temporary schema
//! `pg_temp_N` with `relpersistence = 't'`, their columns, indexes, keys
//! and view definitions, ahead of `public` on the search path.
//!
//! They live in the session's scratch database (`crate::temp`), which the
//! chain's catalog never sees. After each change to them the session builds
//! their rows from the scratch database ([`TempCatalog::build`]); a catalog
//! read of that session then sees the chain's catalog with those rows laid
//! over it ([`TempCatalog::over`]), and no other session sees them.

use std::collections::BTreeMap;
use std::sync::Arc;

use node_core::catalog::TableMeta;
use node_core::usertype::UserTypes;
use parking_lot::Mutex;
use rusqlite::Connection;

use super::snapshot::{self, Snapshot, TEMP_SCHEMA_PREFIX};

/// One session's temporary relations as catalog rows.
#[derive(Debug)]
pub struct TempCatalog {
    /// Their rows and lookups alone.
    rows: Snapshot,
    /// The chain's catalog these were last laid over (by its height, or a
    /// block catalog's mark) and the result.
    merged: Mutex<Option<(u64, Arc<Snapshot>)>>,
}

impl TempCatalog {
    /// Built from the session's scratch connection `conn`, whose `temp`
    /// database holds `tables`; `types` are the session's types (keyed
    /// `pg_temp.name`). They belong to the session's role `owner` (name,
    /// account address) and show in schema `pg_temp_{number}`.
    pub fn build(
        conn: &Connection,
        tables: &BTreeMap<String, TableMeta>,
        types: &UserTypes,
        owner: (&str, &str),
        number: u32,
        database: &str,
    ) -> rusqlite::Result<Self> {
        let schema = format!("{TEMP_SCHEMA_PREFIX}{number}");
        let rows = snapshot::temporary(conn, tables, types, owner, &schema, database)?;
        Ok(TempCatalog { rows, merged: Mutex::new(None) })
    }

    /// `chain` with these relations over it, built once per chain catalog.
    /// The result has a mark of its own, so that a read connection whose
    /// emulated tables hold another catalog's rows refills them.
    pub(super) fn over(&self, chain: &Arc<Snapshot>) -> Arc<Snapshot> {
        let mut merged = self.merged.lock();
        if let Some((_, snap)) = merged.as_ref().filter(|(height, _)| *height == chain.height) {
            return snap.clone();
        }
        let snap = Arc::new(chain.overlaid(&self.rows, super::next_mark()));
        *merged = Some((chain.height, snap.clone()));
        snap
    }
}
