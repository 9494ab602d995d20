//! Materialized views: `CREATE MATERIALIZED VIEW`, `REFRESH MATERIALIZED
//! VIEW` and `DROP MATERIALIZED VIEW`.
//!
//! A materialized view is a table whose metadata also keeps the query
//! (`TableMeta::materialized`): its rows are ordinary row leaves (keyed by
//! rowid), written only here, when the view is created and each time it is
//! refreshed. The query is planned and run as the view's owner, with the
//! owner's row filters, like a view's (see `views`). The SQLite table has
//! untyped columns, so each value stays as the query produced it; the
//! declared types are the query's, in the metadata.

use super::views::{quote, view_columns, Body};
use super::*;
use node_core::catalog::ViewMeta;

impl Executor {
    /// CREATE MATERIALIZED VIEW: the table, then the query's rows in it.
    /// Returns the rows it holds.
    pub(super) fn create_materialized_view(
        &mut self,
        cv: &sqlmap::CreateView,
        ctx: &ddl::StmtCtx,
        changes: &mut Changes,
    ) -> Result<u64, SqlError> {
        if self.catalog.contains_key(&cv.name) {
            if cv.if_not_exists {
                return Ok(0);
            }
            return Err(SqlError::new("42P07", format!("relation \"{}\" already exists", cv.name)));
        }
        self.may_create(&cv.name)?;
        let query = ViewMeta {
            query: cv.query.clone(),
            column_names: cv.columns.clone(),
            security_invoker: false,
            depends: Vec::new(),
        };
        let owner = self.signer.address.clone();
        let body = self.view_body(&cv.name, &query, &owner)?;
        let columns = view_columns(&query, &body)?;
        let definitions: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        self.conn
            .execute_batch(&format!("CREATE TABLE {} ({})", quote(&cv.name), definitions.join(", ")))
            .map_err(|e| sql_error(&e))?;
        let mut meta = TableMeta::new_view(
            ddl::relation_id(self.suite, ctx, &cv.name),
            cv.name.clone(),
            owner,
            columns,
            ViewMeta { depends: body.depends.clone(), ..query },
        );
        meta.created_height = ctx.height;
        meta.materialized = meta.view.take();
        self.put_meta(meta.clone(), None, changes)?;
        self.fill(&meta, &body)
    }

    /// REFRESH MATERIALIZED VIEW: by its owner (or an admin), the rows
    /// replaced by what the query gives now, read as the owner now reads.
    pub(super) fn refresh_materialized_view(&mut self, name: &str, changes: &mut Changes) -> Result<u64, SqlError> {
        let meta = self.owned_materialized(name)?.clone();
        let Some(query) = &meta.materialized else { return Ok(0) };
        let body = self.view_body(name, query, &meta.owner)?;
        let columns = view_columns(query, &body)?;
        let same = columns.len() == meta.columns.len()
            && columns.iter().zip(&meta.columns).all(|(new, old)| new.name == old.name);
        if !same {
            return Err(SqlError::new(
                "42P16",
                format!("materialized view \"{name}\" no longer has the columns its query gives"),
            )
            .hinted("drop the materialized view and create it again"));
        }
        self.all_rows(&meta, true, changes)?;
        self.conn.execute_batch(&format!("DELETE FROM {}", quote(name))).map_err(|e| sql_error(&e))?;
        // The rows' leaves are removed above.
        self.captured.lock().retain(|c| c.table != name);
        self.fill(&meta, &body)
    }

    /// DROP MATERIALIZED VIEW, by each one's owner; CASCADE takes the
    /// views that read them too.
    pub(super) fn drop_materialized_views(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let mut dropping = Vec::new();
        for name in names {
            if if_exists && !self.catalog.contains_key(name) {
                continue;
            }
            self.owned_materialized(name)?;
            dropping.push(name.clone());
        }
        self.drop_dependents(&dropping, "materialized view", cascade, changes)?;
        self.drop_tables(&dropping, false, cascade, changes)
    }

    /// The materialized view `name`, which the signer must own (or be an
    /// admin): 42501 otherwise.
    fn owned_materialized(&self, name: &str) -> Result<&TableMeta, SqlError> {
        let meta = self.materialized(name)?;
        if !acl::owns(meta, self.who()) {
            return Err(SqlError::new(
                acl::INSUFFICIENT_PRIVILEGE,
                format!("must be owner of materialized view {}", sqlmap::relation_schema(name).1),
            ));
        }
        Ok(meta)
    }

    /// The materialized view `name`: 42P01 when there is none, 42809 for
    /// another kind of relation.
    fn materialized(&self, name: &str) -> Result<&TableMeta, SqlError> {
        let meta = self.catalog.get(name).ok_or_else(|| {
            SqlError::new("42P01", format!("materialized view \"{}\" does not exist", sqlmap::relation_schema(name).1))
        })?;
        if !meta.is_materialized() {
            return Err(SqlError::new(
                "42809",
                format!("\"{}\" is not a materialized view", sqlmap::relation_schema(name).1),
            ));
        }
        Ok(meta)
    }

    /// Puts the query's rows (`body`, compiled as the owner) into the
    /// view's table; the preupdate hook makes them leaves.
    fn fill(&mut self, meta: &TableMeta, body: &Body) -> Result<u64, SqlError> {
        let targets: Vec<String> = meta.columns.iter().map(|c| quote(&c.name)).collect();
        let sources: Vec<String> = body.names.iter().map(|n| quote(n)).collect();
        let sql = format!(
            "INSERT INTO {} ({}) SELECT {} FROM ({})",
            quote(&meta.name),
            targets.join(", "),
            sources.join(", "),
            body.sql
        );
        let inserted = self.conn.execute(&sql, []).map_err(|e| sql_error(&e))?;
        self.forget_plans();
        Ok(inserted as u64)
    }
}
