//! Views: `CREATE [OR REPLACE] VIEW`, `DROP VIEW`, and keeping each SQLite
//! view in step with the catalog.
//!
//! A view's metadata (its PostgreSQL query text, columns, owner, grants)
//! is a catalog leaf like a table's; the SQLite view is derived from it.
//! The query is planned as a read by the role the view reads as (its
//! owner, or nobody's row filters for a `security_invoker` view, whose
//! readers are checked instead; see `acl::may_read`), so an owner's view
//! applies the owner's row filters. Whenever a table the view reads
//! changes, the SQLite view is rendered again ([`Executor::refresh_views`]),
//! so new policies reach it.
//!
//! The SQLite view selects its columns by name from the rendered query,
//! `SELECT "a" AS "a", ... FROM (query)`: like PostgreSQL's, a view over
//! `SELECT *` keeps the columns it was made with when its table gains one.

use super::*;
use node_core::catalog::ViewMeta;
use std::collections::BTreeSet;

pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A view's query as SQLite compiled it: its result columns and types.
pub(super) struct Body {
    pub(super) sql: String,
    /// The query's own column names, in order.
    pub(super) names: Vec<String>,
    /// Each column's declared PostgreSQL type.
    types: Vec<String>,
    /// The relations of the catalog the query names.
    pub(super) depends: Vec<String>,
}

impl Executor {
    pub(super) fn create_view(
        &mut self,
        cv: &sqlmap::CreateView,
        ctx: &ddl::StmtCtx,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        if cv.materialized {
            return self.create_materialized_view(cv, ctx, changes).map(drop);
        }
        if cv.temporary {
            // A front end runs these in the session's scratch database.
            return Err(SqlError::new("0A000", "CREATE TEMP VIEW is not supported"));
        }
        let existing = self.catalog.get(&cv.name).cloned();
        match &existing {
            Some(t) if !t.is_view() && cv.or_replace => return Err(not_a_view(&cv.name)),
            Some(_) if !cv.or_replace => {
                return Err(SqlError::new("42P07", format!("relation \"{}\" already exists", cv.name)));
            }
            Some(old) if !acl::owns(old, self.who()) => {
                return Err(SqlError::new(acl::INSUFFICIENT_PRIVILEGE, format!("must be owner of view {}", cv.name)));
            }
            Some(_) => {}
            None => self.may_create(&cv.name)?,
        }
        let view = ViewMeta {
            query: cv.query.clone(),
            column_names: cv.columns.clone(),
            security_invoker: cv.security_invoker,
            depends: Vec::new(),
        };
        let owner = self.signer.address.clone();
        let body = self.view_body(&cv.name, &view, &owner)?;
        let columns = view_columns(&view, &body)?;
        let mut meta = match existing {
            Some(mut meta) => {
                same_leading_columns(&meta, &columns)?;
                // The kept columns keep their comments.
                let comments: Vec<Option<String>> = meta.columns.iter().map(|c| c.comment.clone()).collect();
                meta.columns = columns;
                for (c, comment) in meta.columns.iter_mut().zip(comments) {
                    c.comment = comment;
                }
                meta
            }
            None => TableMeta {
                created_height: ctx.height,
                ..TableMeta::new_view(
                    ddl::relation_id(self.suite, ctx, &cv.name),
                    cv.name.clone(),
                    owner,
                    columns,
                    view.clone(),
                )
            },
        };
        meta.view = Some(ViewMeta { depends: body.depends.clone(), ..view });
        self.install_view(&meta, &body)?;
        // put_meta renders the views over this one again.
        self.put_meta(meta, None, changes)
    }

    /// DROP VIEW, by each view's owner; CASCADE takes the views that read
    /// them too.
    pub(super) fn drop_views(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let mut dropping = Vec::new();
        for name in names {
            let Some(meta) = self.catalog.get(name) else {
                if if_exists {
                    continue;
                }
                return Err(SqlError::new("42P01", format!("view \"{name}\" does not exist")));
            };
            if meta.is_materialized() {
                return Err(SqlError::new("42809", format!("\"{name}\" is not a view"))
                    .hinted("Use DROP MATERIALIZED VIEW to remove a materialized view."));
            }
            if !meta.is_view() {
                return Err(not_a_view(name));
            }
            if !acl::owns(meta, self.who()) {
                return Err(SqlError::new(acl::INSUFFICIENT_PRIVILEGE, format!("must be owner of view {name}")));
            }
            dropping.push(name.clone());
        }
        self.drop_dependents(&dropping, "view", cascade, changes)?;
        for name in dropping {
            self.drop_view(&name, changes)?;
        }
        Ok(())
    }

    /// Before `names` (tables or views) go: the views that read them go
    /// too with CASCADE (views over those views first), else 2BP01 names
    /// the first one.
    pub(super) fn drop_dependents(
        &mut self,
        names: &[String],
        kind: &str,
        cascade: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let mut order = Vec::new();
        let mut seen: BTreeSet<String> = names.iter().cloned().collect();
        let mut frontier: Vec<String> = names.to_vec();
        while let Some(name) = frontier.pop() {
            for dependent in self.dependents(&name) {
                if seen.contains(&dependent) {
                    continue;
                }
                if !cascade {
                    let what = match self.catalog.get(&dependent) {
                        Some(meta) if meta.is_materialized() => "materialized view",
                        _ => "view",
                    };
                    return Err(SqlError::new(
                        "2BP01",
                        format!("cannot drop {kind} {name} because other objects depend on it: {what} {dependent} depends on {kind} {name}"),
                    )
                    .hinted("Use DROP ... CASCADE to drop the dependent objects too."));
                }
                seen.insert(dependent.clone());
                frontier.push(dependent.clone());
                order.push(dependent);
            }
        }
        // The last found read the earlier ones: they go first.
        for name in order.into_iter().rev() {
            self.drop_view(&name, changes)?;
        }
        Ok(())
    }

    /// The views and materialized views that read `name` directly, sorted.
    fn dependents(&self, name: &str) -> Vec<String> {
        self.catalog
            .values()
            .filter(|m| m.defining_query().is_some_and(|v| v.depends.iter().any(|d| d == name)))
            .map(|m| m.name.clone())
            .collect()
    }

    /// Drops view `name` (a materialized one as the table it is).
    pub(super) fn drop_view(&mut self, name: &str, changes: &mut Changes) -> Result<(), SqlError> {
        if self.catalog.get(name).is_some_and(TableMeta::is_materialized) {
            return self.drop_tables(&[name.to_string()], false, true, changes);
        }
        let Some(meta) = self.catalog.remove(name) else { return Ok(()) };
        let internal = |e: rusqlite::Error| sql_error(&e);
        self.conn.execute_batch(&format!("DROP VIEW IF EXISTS {}", quote(name))).map_err(internal)?;
        self.conn.execute("DELETE FROM __rc_tables WHERE name = ?1", [name]).map_err(internal)?;
        self.forget_plans();
        changes.insert(self.suite.hash(&meta.label()), None);
        Ok(())
    }

    /// 0A000 when views read `table`: renaming it, or a column of it, would
    /// leave their stored queries naming what is no longer there.
    pub(super) fn not_read_by_views(&self, table: &str, what: &str) -> Result<(), SqlError> {
        match self.dependents(table).first() {
            None => Ok(()),
            Some(view) => Err(SqlError::new("0A000", format!("cannot {what} \"{table}\": view \"{view}\" reads it"))
                .hinted("views keep their queries as text; drop the view, alter the table, and create the view again")),
        }
    }

    /// Renders again every view that reads `changed`, and the views over
    /// those: a table's policies, row security or columns may have
    /// changed, and with them what the view must filter or can select.
    /// A view whose query no longer compiles (or lost a column it
    /// selects) fails the statement that changed `changed`.
    pub(super) fn refresh_views(&mut self, changed: &str) -> Result<(), SqlError> {
        let mut frontier = vec![changed.to_owned()];
        let mut seen = BTreeSet::new();
        while let Some(name) = frontier.pop() {
            for dependent in self.dependents(&name) {
                if !seen.insert(dependent.clone()) {
                    continue;
                }
                let Some(meta) = self.catalog.get(&dependent).cloned() else { continue };
                let Some(view) = &meta.view else { continue };
                let body = self.view_body(&meta.name, view, &meta.owner)?;
                let columns = view_columns(view, &body)?;
                same_leading_columns(&meta, &columns).map_err(|e| {
                    SqlError::new(e.sqlstate, format!("view \"{}\" can no longer be built: {}", meta.name, e.message))
                })?;
                self.install_view(&meta, &body)?;
                frontier.push(dependent);
            }
        }
        Ok(())
    }

    /// Replaces the SQLite view of `meta` with one over `body`, selecting
    /// the view's columns by the query's names. Our own statement: the
    /// authorizer is off, and the query was compiled under it already.
    fn install_view(&mut self, meta: &TableMeta, body: &Body) -> Result<(), SqlError> {
        let select: Vec<String> = meta
            .columns
            .iter()
            .zip(&body.names)
            .map(|(c, from)| format!("{} AS {}", quote(from), quote(&c.name)))
            .collect();
        let sql = format!(
            "DROP VIEW IF EXISTS {name}; CREATE VIEW {name} AS SELECT {} FROM ({})",
            select.join(", "),
            body.sql,
            name = quote(&meta.name)
        );
        self.conn.execute_batch(&sql).map_err(|e| sql_error(&e))?;
        self.forget_plans();
        Ok(())
    }

    /// The view's query planned as a read by the role it reads as and
    /// compiled under the user authorizer (no internal table, no catalog
    /// emulation: the chain's validators have neither).
    pub(super) fn view_body(&mut self, name: &str, view: &ViewMeta, owner: &str) -> Result<Body, SqlError> {
        let (owner_name, owner_admin) = self.role_of(owner)?;
        let rendered = if view.security_invoker {
            sqlmap::view_query(&view.query, &node_core::catalog::SchemaView(&self.catalog, &self.types))
        } else {
            let who = Who { address: owner, name: &owner_name, admin: owner_admin };
            sqlmap::view_query(&view.query, &acl::PolicyView { catalog: &self.catalog, types: &self.types, who })
        };
        let (sql, tables) = rendered.map_err(|e| {
            let e = SqlError::from(e);
            SqlError::new(e.sqlstate, format!("view \"{name}\": {}", e.message))
        })?;
        self.user_mode.store(true, Ordering::Relaxed);
        let compiled = self.conn.prepare(&sql).map(|stmt| {
            stmt.columns_with_metadata()
                .map(|c| (c.name().to_owned(), c.table_name().map(str::to_owned), c.origin_name().map(str::to_owned)))
                .collect::<Vec<_>>()
        });
        self.user_mode.store(false, Ordering::Relaxed);
        let columns = compiled.map_err(|e| sql_error(&e))?;
        let hints = sqlmap::result_hints_in(&view.query, &node_core::catalog::SchemaView(&self.catalog, &self.types));
        let hints = if hints.len() == columns.len() { hints } else { vec![None; columns.len()] };
        let mut names = Vec::with_capacity(columns.len());
        let mut types = Vec::with_capacity(columns.len());
        for ((column, table, origin), hint) in columns.into_iter().zip(hints) {
            let declared = table.zip(origin).and_then(|(t, o)| {
                self.catalog.get(&t)?.columns.iter().find(|c| c.name == o).map(|c| c.pg_type.clone())
            });
            types.push(declared.or_else(|| hint.map(|h| h.name())).unwrap_or_else(|| "text".into()));
            names.push(column);
        }
        let mut depends: Vec<String> = tables.into_iter().filter(|t| self.catalog.contains_key(t)).collect();
        depends.sort();
        depends.dedup();
        Ok(Body { sql, names, types, depends })
    }

    /// An account's role name and whether it is an admin (a dropped
    /// role's views read as nobody's: no name, no admin rights).
    fn role_of(&self, address: &str) -> Result<(String, bool), SqlError> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row("SELECT name, public_key FROM __rc_accounts WHERE address = ?1", [address], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| sql_error(&e))?;
        Ok(match row {
            Some((name, key)) => {
                let admin = self.suite.public_key(&key).is_some_and(|k| self.superusers.contains(&k));
                (name, admin)
            }
            None => (String::new(), false),
        })
    }

    /// Whether `address` is an admin's (a genesis role's).
    pub(super) fn is_admin_address(&self, address: &str) -> bool {
        self.superuser_addresses.contains(address)
    }
}

/// The view's columns: the names given after its name, then the query's,
/// each named once (PostgreSQL's 42701).
pub(super) fn view_columns(view: &ViewMeta, body: &Body) -> Result<Vec<ColumnMeta>, SqlError> {
    if view.column_names.len() > body.names.len() {
        return Err(SqlError::new("42601", "CREATE VIEW specifies more column names than columns"));
    }
    let mut columns: Vec<ColumnMeta> = Vec::with_capacity(body.names.len());
    for (i, (name, ty)) in body.names.iter().zip(&body.types).enumerate() {
        let name = view.column_names.get(i).unwrap_or(name).clone();
        if columns.iter().any(|c| c.name == name) {
            return Err(SqlError::new("42701", format!("column \"{name}\" specified more than once")));
        }
        columns.push(ColumnMeta::computed(name, ty.clone()));
    }
    Ok(columns)
}

/// CREATE OR REPLACE VIEW keeps the old columns, by name and type, in
/// front of any new ones, as PostgreSQL requires (42P16).
fn same_leading_columns(old: &TableMeta, new: &[ColumnMeta]) -> Result<(), SqlError> {
    if new.len() < old.columns.len() {
        return Err(SqlError::new("42P16", "cannot drop columns from view"));
    }
    for (o, n) in old.columns.iter().zip(new) {
        if o.name != n.name {
            return Err(SqlError::new(
                "42P16",
                format!("cannot change name of view column \"{}\" to \"{}\"", o.name, n.name),
            ));
        }
        if o.pg_type != n.pg_type {
            return Err(SqlError::new(
                "42P16",
                format!("cannot change data type of view column \"{}\" from {} to {}", o.name, o.pg_type, n.pg_type),
            ));
        }
    }
    Ok(())
}

/// PostgreSQL's 42809 for DROP VIEW (or CREATE OR REPLACE VIEW) of a table.
fn not_a_view(name: &str) -> SqlError {
    SqlError::new("42809", format!("\"{name}\" is not a view")).hinted("Use DROP TABLE to remove a table.")
}
