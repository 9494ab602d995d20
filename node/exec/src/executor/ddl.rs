//! DDL, ownership, GRANT/REVOKE and policies: the table metadata they write and
//! the leaves it changes.

use super::*;
use node_core::catalog::PartKind;
use sqlmap::CommentOn;
use std::collections::BTreeSet;

pub(super) struct StmtCtx {
    pub(super) height: u64,
    pub(super) index: u32,
    pub(super) stmt_index: u32,
    pub(super) owner: String,
    /// The dialect the statements are planned in (the tx's).
    pub(super) dialect: sqlmap::Dialect,
}

impl Executor {
    pub(super) fn run_ddl(
        &mut self,
        d: &DdlPlan,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<StatementResult, SqlError> {
        self.catalog_touched = true;
        self.may_alter(d)?;
        match d {
            DdlPlan::Grant(g) => self.grant(g, changes)?,
            DdlPlan::CreatePolicy(p) => self.create_policy(p, changes)?,
            DdlPlan::RowSecurity { table, enabled } => {
                let mut meta = self.table(table)?.clone();
                meta.row_security = *enabled;
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::DropPolicy { table, name, if_exists } => self.drop_policy(table, name, *if_exists, changes)?,
            DdlPlan::CreateTable(ct) => self.create_table(ct, ctx, changes)?,
            // MySQL's DROP TEMPORARY TABLE names only temporary tables,
            // and the chain has none: they live in a session's scratch database.
            DdlPlan::DropTable { names, if_exists, temporary: true, .. } => {
                if let (false, Some(name)) = (*if_exists, names.first()) {
                    return Err(SqlError::new("42P01", format!("table \"{name}\" does not exist")));
                }
            }
            DdlPlan::DropTable { names, if_exists, cascade, .. } => {
                self.drop_tables(names, *if_exists, *cascade, changes)?
            }
            DdlPlan::RenameTable { from, to, sqlite } => self.rename_table(from, to, sqlite, changes)?,
            DdlPlan::AddColumn { table, column, sqlite } => {
                let mut meta = self.table(table)?.clone();
                self.user_exec(sqlite)?;
                meta.columns.push(ColumnMeta::declared(column));
                // Every row's leaf changes: its encoding gains the column.
                self.all_rows(&meta, false, changes)?;
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::RenameColumn { table, from, to, sqlite } => {
                self.rename_column(table, from, to, sqlite, changes)?
            }
            DdlPlan::CreateIndex { name, table, unique, if_not_exists, sqlite } => {
                let mut meta = self.table(table)?.clone();
                if *if_not_exists && self.catalog.values().any(|t| t.indexes.iter().any(|i| i.name == *name)) {
                    return Ok(StatementResult::default());
                }
                self.user_exec(sqlite)?;
                meta.indexes.push(IndexMeta { name: name.clone(), unique: *unique, sqlite: sqlite.clone() });
                self.put_meta(meta, None, changes)?;
            }
            DdlPlan::DropIndex { names, if_exists } => self.drop_indexes(names, *if_exists, changes)?,
            DdlPlan::Truncate { names } => {
                for name in names {
                    let meta = self.table(name)?.clone();
                    self.all_rows(&meta, true, changes)?;
                    self.user_exec(&format!("DELETE FROM \"{}\"", name.replace('"', "\"\"")))?;
                    // The rows' leaves are removed above, whether or not the hook saw them.
                    self.captured.lock().retain(|c| c.table != *name);
                }
            }
            DdlPlan::AddPrimaryKey { table, columns, sqlite } => {
                self.add_primary_key(table, columns, sqlite, changes)?
            }
            DdlPlan::AddForeignKey { table, columns, references, referenced, clause, validate } => {
                self.add_foreign_key(table, (columns, references, referenced), clause, *validate)?
            }
            DdlPlan::Comment { on, text } => self.comment(on, text, changes)?,
            DdlPlan::CreateView(cv) if cv.materialized => {
                let rows = self.create_materialized_view(cv, ctx, changes)?;
                return Ok(StatementResult { rows_affected: rows, ..StatementResult::default() });
            }
            DdlPlan::CreateView(cv) => self.create_view(cv, ctx, changes)?,
            DdlPlan::RefreshMaterializedView { name } => {
                self.refresh_materialized_view(name, changes)?;
            }
            DdlPlan::DropMaterializedView { names, if_exists, cascade } => {
                self.drop_materialized_views(names, *if_exists, *cascade, changes)?
            }
            DdlPlan::DropView { names, if_exists, cascade } => self.drop_views(names, *if_exists, *cascade, changes)?,
            DdlPlan::CreateSchema { name, if_not_exists, authorization } => {
                self.create_schema(name, *if_not_exists, authorization, ctx, changes)?
            }
            DdlPlan::DropSchema { names, if_exists, cascade } => {
                self.drop_schemas(names, *if_exists, *cascade, changes)?
            }
            DdlPlan::GrantSchema(g) => self.grant_schema(g, changes)?,
            DdlPlan::CreateSequence(plan) => self.create_sequence(plan, ctx, changes)?,
            DdlPlan::GrantSequence(g) => self.grant_sequence(g, changes)?,
            DdlPlan::DropSequence { names, if_exists, cascade } => {
                self.drop_sequences(names, *if_exists, *cascade, changes)?
            }
            DdlPlan::Type { plan, temporary } => self.type_statement(plan, *temporary, ctx, changes)?,
            _ => return Err(SqlError::new("0A000", "this DDL statement is not supported by the executor")),
        }
        Ok(StatementResult::default())
    }

    /// Only a table's owner (or an admin) changes a table or its rights;
    /// TRUNCATE needs its privilege. Statements only a table takes are
    /// 42809 on a view.
    fn may_alter(&self, d: &DdlPlan) -> Result<(), SqlError> {
        match d {
            DdlPlan::RenameTable { from: table, .. }
            | DdlPlan::AddColumn { table, .. }
            | DdlPlan::RenameColumn { table, .. }
            | DdlPlan::AddPrimaryKey { table, .. }
            | DdlPlan::AddForeignKey { table, .. }
            | DdlPlan::RowSecurity { table, .. }
            | DdlPlan::DropPolicy { table, .. } => {
                self.base_table(table)?;
                self.must_own(table)
            }
            // A materialized view takes indexes, as in PostgreSQL.
            DdlPlan::CreateIndex { table, .. } => {
                if self.table(table)?.is_view() {
                    return Err(self.table(table)?.not_a_table());
                }
                self.must_own(table)
            }
            DdlPlan::CreatePolicy(p) => self.base_table(&p.table).map(drop),
            DdlPlan::DropTable { names, if_exists, temporary: false, .. } => {
                for name in names.iter().filter(|n| !*if_exists || self.catalog.contains_key(*n)) {
                    if self.table(name)?.is_view() {
                        return Err(SqlError::new("42809", format!("\"{name}\" is not a table"))
                            .hinted("Use DROP VIEW to remove a view."));
                    }
                    if self.table(name)?.is_materialized() {
                        return Err(SqlError::new("42809", format!("\"{name}\" is not a table"))
                            .hinted("Use DROP MATERIALIZED VIEW to remove a materialized view."));
                    }
                    self.must_own(name)?;
                }
                Ok(())
            }
            DdlPlan::Truncate { names } => {
                for name in names {
                    let meta = self.base_table(name)?;
                    if !acl::has(meta, self.who(), privilege::TRUNCATE) {
                        return Err(acl::denied(name));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// COMMENT ON: only the table's owner (or an admin) comments on it or
    /// its parts, as in PostgreSQL; an empty text removes the comment.
    fn comment(&mut self, on: &CommentOn, text: &Option<String>, changes: &mut Changes) -> Result<(), SqlError> {
        let text = text.clone().filter(|t| !t.is_empty());
        let table = match on {
            CommentOn::Schema(name) => return self.comment_on_schema(name, text, changes),
            CommentOn::Table(table) | CommentOn::Column { table, .. } | CommentOn::Constraint { table, .. } => {
                table.clone()
            }
            CommentOn::Index(index) => self
                .catalog
                .values()
                .find(|t| t.indexes.iter().any(|i| i.name == *index))
                .map(|t| t.name.clone())
                .ok_or_else(|| SqlError::new("42P01", format!("relation \"{index}\" does not exist")))?,
        };
        self.must_own(&table)?;
        let mut meta = self.table(&table)?.clone();
        match on {
            CommentOn::Table(_) => meta.comment = text,
            CommentOn::Column { column, .. } => {
                let Some(c) = meta.columns.iter_mut().find(|c| c.name == *column) else {
                    return Err(SqlError::new(
                        "42703",
                        format!("column \"{column}\" of relation \"{table}\" does not exist"),
                    ));
                };
                c.comment = text;
            }
            CommentOn::Index(index) => meta.set_part_comment(PartKind::Index, index, text),
            CommentOn::Constraint { name, .. } => {
                let known = crate::tables::constraints(&self.conn, "main", &meta).map_err(|e| sql_error(&e))?;
                if !known.iter().any(|c| c.name == *name) {
                    return Err(SqlError::new(
                        "42704",
                        format!("constraint \"{name}\" for table \"{table}\" does not exist"),
                    ));
                }
                meta.set_part_comment(PartKind::Constraint, name, text);
            }
            // Returned above: a schema's comment is in the schema's metadata.
            CommentOn::Schema(_) => {}
        }
        self.put_meta(meta, None, changes)
    }

    fn drop_policy(&mut self, table: &str, name: &str, if_exists: bool, changes: &mut Changes) -> Result<(), SqlError> {
        let mut meta = self.table(table)?.clone();
        let before = meta.policies.len();
        meta.policies.retain(|p| p.name != name);
        if meta.policies.len() == before {
            if if_exists {
                return Ok(());
            }
            return Err(SqlError::new("42704", format!("policy \"{name}\" for table \"{table}\" does not exist")));
        }
        self.put_meta(meta, None, changes)
    }

    /// DROP TABLE: the rows' leaves and the table's own leaf go with it;
    /// with CASCADE, the views that read it too.
    pub(super) fn drop_tables(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let mut left: Vec<(String, BTreeSet<String>)> = Vec::new();
        for name in names {
            if !self.catalog.contains_key(name) && if_exists {
                continue;
            }
            self.table(name)?;
            self.not_referenced(name, names)?;
            if !left.iter().any(|(t, _)| t == name) {
                left.push((name.clone(), self.foreign_parents(name)?));
            }
        }
        let dropping: Vec<String> = left.iter().map(|(name, _)| name.clone()).collect();
        self.drop_dependents(&dropping, "table", cascade, changes)?;
        // Referencing tables go first: SQLite empties a table before it
        // drops it, and the keys of a table still there would refuse that.
        while !left.is_empty() {
            let next = left
                .iter()
                .position(|(name, _)| !left.iter().any(|(other, parents)| other != name && parents.contains(name)))
                .unwrap_or(0);
            let (name, _) = left.remove(next);
            let meta = self.table(&name)?.clone();
            self.all_rows(&meta, true, changes)?;
            self.user_exec(&format!("DROP TABLE \"{}\"", name.replace('"', "\"\"")))?;
            // SQLite's implicit DELETE of a dropped table's rows is not a row change of ours.
            self.captured.lock().retain(|c| c.table != name);
            self.conn.execute("DELETE FROM __rc_tables WHERE name = ?1", [&name]).map_err(|e| sql_error(&e))?;
            self.catalog.remove(&name);
            self.forget_plans();
            changes.insert(self.suite.hash(&meta.label()), None);
            self.drop_owned_sequences(&name, changes)?;
        }
        Ok(())
    }

    /// A table another table's foreign key references stays: SQLite would
    /// drop it and leave every write to the other table failing. Tables
    /// dropped together may reference each other. (PostgreSQL's CASCADE
    /// would drop the other table's key; MySQL refuses as here.)
    fn not_referenced(&self, name: &str, dropping: &[String]) -> Result<(), SqlError> {
        for other in self.catalog.keys().filter(|t| !dropping.contains(t)) {
            if self.foreign_parents(other)?.contains(name) {
                return Err(SqlError::new(
                    "2BP01",
                    format!("cannot drop table {name} because table {other} has a foreign key referencing it"),
                )
                .hinted(&format!("drop table {other} first, or both in one DROP TABLE")));
            }
        }
        Ok(())
    }

    /// The tables `table`'s foreign keys reference.
    fn foreign_parents(&self, table: &str) -> Result<BTreeSet<String>, SqlError> {
        let internal = |e: rusqlite::Error| sql_error(&e);
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let mut list = self.conn.prepare(&format!("PRAGMA main.foreign_key_list({quoted})")).map_err(internal)?;
        let names = list.query_map([], |r| r.get::<_, String>(2)).map_err(internal)?;
        names.collect::<Result<_, _>>().map_err(internal)
    }

    /// Policies keep their expressions as text, so a table they name keeps its name.
    fn rename_table(&mut self, from: &str, to: &str, sqlite: &str, changes: &mut Changes) -> Result<(), SqlError> {
        self.not_read_by_views(from, "rename table")?;
        let mut meta = self.table(from)?.clone();
        if !meta.policies.is_empty() {
            return Err(SqlError::new(
                "0A000",
                format!("cannot rename table \"{from}\": it has row-level security policies"),
            )
            .hinted("policies keep their expressions as text; drop them, rename, and create them again"));
        }
        if self.catalog.contains_key(to) || self.sequence_exists(to) {
            return Err(SqlError::new("42P07", format!("relation \"{to}\" already exists")));
        }
        self.user_exec(sqlite)?;
        meta.name = to.to_owned();
        self.put_meta(meta, Some(from), changes)?;
        self.move_owned_sequences(from, to, None, changes)
    }

    /// Column grants follow the column to its new name.
    fn rename_column(
        &mut self,
        table: &str,
        from: &str,
        to: &str,
        sqlite: &str,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        self.not_read_by_views(table, "rename a column of table")?;
        let mut meta = self.table(table)?.clone();
        if !meta.policies.is_empty() {
            return Err(SqlError::new(
                "0A000",
                format!("cannot rename a column of table \"{table}\": it has row-level security policies"),
            )
            .hinted("policies keep their expressions as text; drop them, rename, and create them again"));
        }
        let Some(col) = meta.columns.iter_mut().find(|c| c.name == from) else {
            return Err(SqlError::new("42703", format!("column \"{from}\" does not exist")));
        };
        col.name = to.to_owned();
        for g in &mut meta.acl {
            for c in g.update_columns.iter_mut().filter(|c| **c == from) {
                *c = to.to_owned();
            }
            g.update_columns.sort();
        }
        self.user_exec(sqlite)?;
        self.put_meta(meta, None, changes)?;
        self.move_owned_sequences(table, table, Some((from, to)), changes)
    }

    /// DROP INDEX, by the owner of each index's table.
    fn drop_indexes(&mut self, names: &[String], if_exists: bool, changes: &mut Changes) -> Result<(), SqlError> {
        for name in names {
            let owner = self.catalog.values().find(|t| t.indexes.iter().any(|i| i.name == *name)).cloned();
            let Some(mut meta) = owner else {
                if if_exists {
                    continue;
                }
                return Err(SqlError::new("42704", format!("index \"{name}\" does not exist")));
            };
            acl::must_own(&meta, self.who())?;
            self.user_exec(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
            meta.indexes.retain(|i| i.name != *name);
            meta.set_part_comment(PartKind::Index, name, None);
            self.put_meta(meta, None, changes)?;
        }
        Ok(())
    }

    /// Rows were keyed by rowid; from now on they are keyed by the new key,
    /// so every row's leaf moves.
    fn add_primary_key(
        &mut self,
        table: &str,
        columns: &[String],
        sqlite: &str,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let mut meta = self.table(table)?.clone();
        if !meta.primary_key.is_empty() {
            return Err(SqlError::new("42P16", format!("multiple primary keys for table \"{table}\" are not allowed")));
        }
        let mut key = Vec::with_capacity(columns.len());
        for c in columns {
            let Some(pos) = meta.columns.iter().position(|m| m.name == *c) else {
                return Err(SqlError::new("42703", format!("column \"{c}\" of relation \"{table}\" does not exist")));
            };
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let nulls: i64 = self
                .conn
                .query_row(&format!("SELECT count(*) FROM {} WHERE {} IS NULL", q(table), q(c)), [], |r| r.get(0))
                .map_err(|e| sql_error(&e))?;
            if nulls > 0 || !meta.columns.get(pos).is_some_and(|c| c.not_null) {
                return Err(SqlError::new(
                    "23502",
                    format!("column \"{c}\" of relation \"{table}\" must be NOT NULL to become the primary key"),
                ));
            }
            key.push(pos);
        }
        self.user_exec(sqlite)?;
        self.all_rows(&meta, true, changes)?;
        meta.primary_key = key;
        meta.indexes.push(IndexMeta { name: format!("{table}_pkey"), unique: true, sqlite: sqlite.to_owned() });
        self.all_rows(&meta, false, changes)?;
        self.put_meta(meta, None, changes)
    }

    /// SQLite has no `ALTER TABLE .. ADD CONSTRAINT`. A foreign key lives
    /// only in the table's definition (SQLite's file format keeps nothing
    /// else for it), so the clause is appended to the definition in
    /// `sqlite_schema` and the schema version bumped: the procedure SQLite
    /// documents for such changes (lang_altertable.html, "other kinds of
    /// table schema changes"). The key is then checked as CREATE TABLE's
    /// are and, unless `NOT VALID`, so is every existing row. A failure
    /// rolls back with the tx's savepoint, which restores the old
    /// definition. No row changes.
    fn add_foreign_key(
        &mut self,
        table: &str,
        (columns, references, referenced): (&[String], &str, &[String]),
        clause: &str,
        validate: bool,
    ) -> Result<(), SqlError> {
        // Before the definition changes: a missing table or column, or a
        // table the signer may not reference, is its own error (a
        // definition naming a missing column would not even load).
        self.may_reference(table, references)?;
        let child = self.table(table)?;
        let parent = self.table(references)?;
        for (meta, names) in [(child, columns), (parent, referenced)] {
            if let Some(missing) = names.iter().find(|c| !meta.columns.iter().any(|m| m.name == **c)) {
                return Err(SqlError::new(
                    "42703",
                    format!("column \"{missing}\" referenced in foreign key constraint does not exist"),
                ));
            }
        }
        let internal = |e: rusqlite::Error| sql_error(&e);
        let definition: String = self
            .conn
            .query_row("SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
            .map_err(internal)?;
        // Table options (STRICT, WITHOUT ROWID) have no parentheses, so the
        // last one closes the definitions.
        let Some((head, tail)) = definition.rfind(')').and_then(|at| definition.split_at_checked(at)) else {
            return Err(SqlError::new("XX000", format!("the definition of table \"{table}\" has no column list")));
        };
        let altered = format!("{head}, {clause}{tail}");
        let version: i64 = self.conn.query_row("PRAGMA main.schema_version", [], |r| r.get(0)).map_err(internal)?;
        self.conn.execute_batch("PRAGMA writable_schema = ON").map_err(internal)?;
        let updated = self
            .conn
            .execute("UPDATE main.sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = ?2", [&altered, table]);
        // RESET also rereads this connection's schema. The version bump
        // comes after it, since it marks the schema changed, so a rollback
        // to the tx's savepoint rereads the old one; other connections
        // reread theirs when they see the new version.
        self.conn.execute_batch("PRAGMA writable_schema = RESET").map_err(internal)?;
        updated.map_err(internal)?;
        self.conn.execute_batch(&format!("PRAGMA main.schema_version = {}", version + 1)).map_err(internal)?;
        self.forget_plans();
        let broken = self.check_references(table)?;
        if validate && broken {
            return Err(SqlError::new(
                "23503",
                format!(
                    "insert or update on table \"{table}\" violates foreign key constraint: \
                     a row references a key missing from \"{references}\""
                ),
            ));
        }
        Ok(())
    }

    /// Whether the signer may make `table` reference `parent`: the table
    /// must exist, and another owner's table needs SELECT on it. rowchain's
    /// grants have no REFERENCES privilege, and a foreign key both reveals
    /// which keys exist and restrains the other owner's deletes.
    fn may_reference(&self, table: &str, parent: &str) -> Result<(), SqlError> {
        if parent == table {
            return Ok(());
        }
        if self.table(parent)?.is_view() {
            return Err(SqlError::new("42809", format!("referenced relation \"{parent}\" is not a table")));
        }
        if !acl::has(self.table(parent)?, self.who(), privilege::SELECT) {
            return Err(acl::denied(parent));
        }
        Ok(())
    }

    /// Checks every foreign key `table` declares, as PostgreSQL does when
    /// one is made: the referenced table exists and the signer may reference
    /// it, and the referenced columns are its primary key or unique. SQLite
    /// takes any of these and then fails every later write to either table,
    /// so another owner's table could be stopped by a key made against it.
    /// Returns whether an existing row of `table` breaks a key.
    fn check_references(&self, table: &str) -> Result<bool, SqlError> {
        let parents = self.foreign_parents(table)?;
        if parents.is_empty() {
            return Ok(false);
        }
        for parent in &parents {
            self.may_reference(table, parent)?;
        }
        // foreign_key_check fails to compile on a key without a unique
        // index to use; its rows are the rows that break a key.
        let mismatch = |e: rusqlite::Error| {
            let message = e.to_string();
            match parents.iter().find(|p| message.contains(&format!("referencing \"{p}\""))) {
                Some(parent) if message.contains("foreign key mismatch") => SqlError::new(
                    "42830",
                    format!("there is no unique constraint matching given keys for referenced table \"{parent}\""),
                ),
                _ => sql_error(&e),
            }
        };
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let mut check = self.conn.prepare(&format!("PRAGMA main.foreign_key_check({quoted})")).map_err(mismatch)?;
        let mut rows = check.query([]).map_err(mismatch)?;
        Ok(rows.next().map_err(mismatch)?.is_some())
    }

    pub(super) fn create_table(
        &mut self,
        ct: &sqlmap::CreateTable,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        if ct.temporary {
            // A front end runs these in the session's scratch database; a
            // signed tx that carries one is refused, as before temporary
            // tables existed (the same receipt on replay).
            return Err(SqlError::new("0A000", "CREATE TEMP TABLE is not supported"));
        }
        if self.catalog.contains_key(&ct.name) || self.sequence_exists(&ct.name) {
            if ct.if_not_exists {
                return Ok(());
            }
            return Err(SqlError::new("42P07", format!("relation \"{}\" already exists", ct.name)));
        }
        self.may_create(&ct.name)?;
        self.user_exec(&ct.sqlite)?;
        self.check_references(&ct.name)?;
        let meta = TableMeta::declared(ct, relation_id(self.suite, ctx, &ct.name), ctx.owner.clone(), ctx.height)?;
        self.put_meta(meta, None, changes)?;
        // Its serial and identity columns' sequences, owned by the table.
        for sequence in &ct.sequences {
            self.create_sequence(sequence, ctx, changes)?;
        }
        Ok(())
    }

    pub(super) fn put_meta(
        &mut self,
        meta: TableMeta,
        old_name: Option<&str>,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let internal = |e: rusqlite::Error| sql_error(&e);
        if let Some(old) = old_name {
            self.conn.execute("DELETE FROM __rc_tables WHERE name = ?1", [old]).map_err(internal)?;
            self.catalog.remove(old);
        }
        self.conn
            .execute(
                "INSERT OR REPLACE INTO __rc_tables(name, id, meta) VALUES (?1, ?2, ?3)",
                params![meta.name, meta.id.as_slice(), meta.encode()],
            )
            .map_err(internal)?;
        let label = meta.label();
        changes.insert(self.suite.hash(&label), Some((self.suite.hash(&meta.encode()), label)));
        self.catalog.insert(meta.name.clone(), meta.clone());
        self.forget_plans();
        self.install_policy_triggers(&meta)?;
        self.refresh_views(&meta.name)
    }

    /// Replaces the table's write-policy triggers with ones built from its
    /// current policies (none without row-level security).
    pub(super) fn install_policy_triggers(&mut self, meta: &TableMeta) -> Result<(), SqlError> {
        for name in acl::trigger_names(meta) {
            self.conn.execute_batch(&format!("DROP TRIGGER IF EXISTS \"{name}\"")).map_err(|e| sql_error(&e))?;
        }
        let view = node_core::catalog::SchemaView(&self.catalog, &self.types);
        let triggers =
            acl::policy_triggers(meta, |text| sqlmap::policy_expr(text, &meta.name, &view).map_err(SqlError::from))?;
        for sql in triggers {
            self.conn.execute_batch(&sql).map_err(|e| {
                let e = sql_error(&e);
                SqlError::new(e.sqlstate, format!("policy on table \"{}\": {}", meta.name, e.message))
            })?;
        }
        Ok(())
    }

    /// 42501 unless the signer owns `table` (or is an admin).
    pub(super) fn must_own(&self, table: &str) -> Result<(), SqlError> {
        acl::must_own(self.table(table)?, self.who())
    }

    pub(super) fn grant(&mut self, g: &sqlmap::GrantPlan, changes: &mut Changes) -> Result<(), SqlError> {
        let bits = g.privileges.iter().fold(0u8, |b, p| {
            b | match p {
                sqlmap::Privilege::Select => privilege::SELECT,
                sqlmap::Privilege::Insert => privilege::INSERT,
                sqlmap::Privilege::Update => privilege::UPDATE,
                sqlmap::Privilege::Delete => privilege::DELETE,
                sqlmap::Privilege::Truncate => privilege::TRUNCATE,
            }
        });
        let grantees = g.grantees.iter().map(|r| self.role_address(r)).collect::<Result<Vec<_>, _>>()?;
        for table in &self.grant_tables(g)? {
            self.must_own(table)?;
            let mut meta = self.table(table)?.clone();
            if let Some(c) = g.update_columns.iter().find(|c| !meta.columns.iter().any(|m| m.name == **c)) {
                return Err(SqlError::new("42703", format!("column \"{c}\" of relation \"{table}\" does not exist")));
            }
            for grantee in &grantees {
                // The owner's rights are implicit and cannot be granted or revoked.
                if *grantee == meta.owner {
                    continue;
                }
                acl::apply_grant(&mut meta, grantee, bits, &g.update_columns, g.revoke);
            }
            self.put_meta(meta, None, changes)?;
        }
        Ok(())
    }

    pub(super) fn create_policy(&mut self, p: &sqlmap::PolicyPlan, changes: &mut Changes) -> Result<(), SqlError> {
        self.must_own(&p.table)?;
        let mut meta = self.table(&p.table)?.clone();
        if meta.policies.iter().any(|q| q.name == p.name) {
            return Err(SqlError::new(
                "42710",
                format!("policy \"{}\" for table \"{}\" already exists", p.name, p.table),
            ));
        }
        let mut roles = p.roles.iter().map(|r| self.role_address(r)).collect::<Result<Vec<_>, _>>()?;
        // TO PUBLIC among others is PUBLIC.
        if roles.iter().any(String::is_empty) {
            roles.clear();
        }
        roles.sort();
        roles.dedup();
        meta.policies.push(node_core::catalog::PolicyMeta {
            name: p.name.clone(),
            command: p.command,
            permissive: p.permissive,
            roles,
            using: p.using.clone(),
            check: p.check.clone(),
        });
        self.put_meta(meta, None, changes)
    }

    /// Leaf removals for every row of a table (before DROP TABLE), or leaf
    /// updates for every row (after ADD COLUMN changed every row's content).
    pub(super) fn all_rows(&self, meta: &TableMeta, remove: bool, changes: &mut Changes) -> Result<(), SqlError> {
        let sql = format!("SELECT rowid, * FROM \"{}\"", meta.name.replace('"', "\"\""));
        let mut stmt = self.conn.prepare(&sql).map_err(|e| sql_error(&e))?;
        let n = meta.columns.len();
        let mut rows = stmt.query([]).map_err(|e| sql_error(&e))?;
        while let Some(row) = rows.next().map_err(|e| sql_error(&e))? {
            let rowid: i64 = row.get(0).map_err(|e| sql_error(&e))?;
            let mut vals: Vec<Value> =
                (1..=n).map(|i| row.get_ref(i).map(crate::sqlvalue::value_of).unwrap_or(Value::Null)).collect();
            meta.normalize(rowid, &mut vals);
            let label = meta.row_label(rowid, &vals);
            let change = if remove { None } else { Some((TableMeta::row_value(self.suite, &vals), label.clone())) };
            changes.insert(self.suite.hash(&label), change);
        }
        Ok(())
    }

    /// The table `name`: 42809 for a view or a materialized view (whose
    /// rows only its query writes).
    pub(super) fn base_table(&self, name: &str) -> Result<&TableMeta, SqlError> {
        let meta = self.table(name)?;
        if meta.is_view() || meta.is_materialized() {
            return Err(meta.not_a_table());
        }
        Ok(meta)
    }

    pub(super) fn table(&self, name: &str) -> Result<&TableMeta, SqlError> {
        self.catalog.get(name).ok_or_else(|| SqlError::new("42P01", format!("relation \"{name}\" does not exist")))
    }
}

/// A new relation's id: its name and where the chain made it, hashed, so
/// ids stay unique and the same on every validator.
pub(super) fn relation_id(suite: Suite, ctx: &StmtCtx, name: &str) -> [u8; 16] {
    let mut src = Vec::new();
    src.extend_from_slice(&ctx.height.to_be_bytes());
    src.extend_from_slice(&ctx.index.to_be_bytes());
    src.extend_from_slice(&ctx.stmt_index.to_be_bytes());
    src.extend_from_slice(name.as_bytes());
    let mut id = [0u8; 16];
    for (to, from) in id.iter_mut().zip(suite.hash(&src)) {
        *to = from;
    }
    id
}
