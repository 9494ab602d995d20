//! CREATE TYPE ... AS ENUM, CREATE DOMAIN, DROP TYPE/DOMAIN and ALTER TYPE
//! ... ADD VALUE / RENAME VALUE: the type metadata they write (`__rc_types`)
//! and its leaf. How columns of a type store and check their values is
//! sqlmap's (`usertype`); a column names its type in its metadata
//! (`ColumnMeta::user_type`), which is how a type knows what depends on it.

use super::*;
use node_core::usertype::{self, TypeMeta};
use sqlmap::{TypePlan, UserTypeKind};

impl Executor {
    pub(super) fn user_type(&self, name: &str) -> Result<&TypeMeta, SqlError> {
        self.types.get(name).ok_or_else(|| usertype::missing(name))
    }

    fn put_type(&mut self, meta: TypeMeta, changes: &mut Changes) -> Result<(), SqlError> {
        let bytes = meta.encode();
        self.conn
            .execute("INSERT OR REPLACE INTO __rc_types(name, meta) VALUES (?1, ?2)", params![meta.name(), bytes])
            .map_err(|e| sql_error(&e))?;
        let label = meta.label();
        changes.insert(self.suite.hash(&label), Some((self.suite.hash(&bytes), label)));
        self.types.insert(meta.name().to_string(), meta);
        self.forget_plans();
        Ok(())
    }

    pub(super) fn remove_type(&mut self, name: &str, changes: &mut Changes) -> Result<(), SqlError> {
        self.conn.execute("DELETE FROM __rc_types WHERE name = ?1", [name]).map_err(|e| sql_error(&e))?;
        self.types.remove(name);
        self.forget_plans();
        changes.insert(self.suite.hash(&usertype::label(name)), None);
        Ok(())
    }

    /// The types of schema `schema`, by SQLite-style name.
    pub(super) fn types_in(&self, schema: &str) -> Vec<String> {
        self.types.keys().filter(|t| sqlmap::relation_schema(t).0 == schema).cloned().collect()
    }

    /// The columns declared with type `name`, as (table, column).
    fn type_users(&self, name: &str) -> Vec<(String, String)> {
        self.catalog
            .values()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .filter(|c| c.user_type.as_deref() == Some(name))
                    .map(|c| (t.name.clone(), c.name.clone()))
            })
            .collect()
    }

    fn must_own_type(&self, name: &str) -> Result<&TypeMeta, SqlError> {
        let meta = self.user_type(name)?;
        if self.signer.admin || meta.owner == self.signer.address {
            Ok(meta)
        } else {
            Err(SqlError::new(acl::INSUFFICIENT_PRIVILEGE, format!("must be owner of type {}", display(name))))
        }
    }

    pub(super) fn type_statement(
        &mut self,
        plan: &TypePlan,
        temporary: bool,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        if temporary {
            // The proxy keeps the session's types; none reaches a block.
            return Err(SqlError::new("0A000", "temporary types belong to a session, not to the chain"));
        }
        match plan {
            TypePlan::CreateEnum { name, labels } => {
                self.create_type(name, UserTypeKind::Enum(labels.clone()), ctx, changes)
            }
            TypePlan::CreateDomain { name, domain } => {
                self.create_type(name, UserTypeKind::Domain(domain.clone()), ctx, changes)
            }
            TypePlan::Drop { names, if_exists, cascade, domain } => {
                self.drop_types(names, *if_exists, *cascade, *domain, changes)
            }
            TypePlan::AddValue { name, label, if_not_exists, position } => {
                let labels = self.enum_labels(name)?;
                let added = sqlmap::add_label(&labels, label, *if_not_exists, position)
                    .map_err(|(sqlstate, message)| SqlError::new(sqlstate, message))?;
                match added {
                    Some(added) => self.set_labels(name, &labels, added, changes),
                    None => Ok(()),
                }
            }
            TypePlan::RenameValue { name, from, to } => {
                let labels = self.enum_labels(name)?;
                let Some(at) = labels.iter().position(|l| l == from) else {
                    return Err(SqlError::new("22023", format!("\"{from}\" is not an existing enum label")));
                };
                if labels.contains(to) {
                    return Err(SqlError::new("42710", format!("enum label \"{to}\" already exists")));
                }
                if let Some((table, column)) = self.type_users(name).into_iter().next() {
                    // Values are stored as their labels: renaming one would
                    // rewrite every row that holds it.
                    return Err(SqlError::new(
                        "0A000",
                        format!(
                            "renaming a label of type {} while column {column} of table {} uses it",
                            display(name),
                            display(&table)
                        ),
                    )
                    .hinted("add the new label, UPDATE the rows to it, then drop the column's use of the old one"));
                }
                let mut renamed = labels.clone();
                if let Some(slot) = renamed.get_mut(at) {
                    slot.clone_from(to);
                }
                self.set_labels(name, &labels, renamed, changes)
            }
        }
    }

    fn create_type(
        &mut self,
        name: &str,
        kind: UserTypeKind,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        // A table's row type shares the name space of types, as in PostgreSQL.
        if self.types.contains_key(name) || self.catalog.contains_key(name) {
            return Err(SqlError::new("42710", format!("type \"{}\" already exists", display(name))));
        }
        self.may_create(name)?;
        self.put_type(TypeMeta::new(self.suite, name.to_string(), kind, ctx.owner.clone(), ctx.height), changes)
    }

    fn drop_types(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
        domain: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        // PostgreSQL finds every named type before it drops any.
        if let Some(missing) = names.iter().find(|n| !if_exists && !self.types.contains_key(*n)) {
            return Err(usertype::missing(missing));
        }
        for name in names {
            let meta = match self.types.get(name) {
                Some(meta) => meta,
                None if if_exists => continue,
                None => return Err(usertype::missing(name)),
            };
            if domain && !meta.is_domain() {
                return Err(SqlError::new("42809", format!("\"{}\" is not a domain", display(name))));
            }
            self.must_own_type(name)?;
            if let Some((table, column)) = self.type_users(name).into_iter().next() {
                let error = if cascade {
                    SqlError::new(
                        "0A000",
                        format!("DROP ... CASCADE of type {} would drop columns that use it", display(name)),
                    )
                    .hinted(&format!("drop column {column} of table {} first", display(&table)))
                } else {
                    SqlError::new(
                        "2BP01",
                        format!("cannot drop type {} because other objects depend on it", display(name)),
                    )
                    .hinted(&format!(
                        "column {column} of table {} depends on type {}; use DROP ... CASCADE to drop the dependent objects too",
                        display(&table),
                        display(name)
                    ))
                };
                return Err(error);
            }
            self.remove_type(name, changes)?;
        }
        Ok(())
    }

    /// DROP SCHEMA ... CASCADE's drop of one of its types, whoever owns it.
    pub(super) fn drop_type_of_schema(&mut self, name: &str, changes: &mut Changes) -> Result<(), SqlError> {
        if let Some((table, column)) = self.type_users(name).into_iter().next() {
            return Err(SqlError::new(
                "0A000",
                format!("DROP ... CASCADE of type {} would drop columns that use it", display(name)),
            )
            .hinted(&format!("drop column {column} of table {} first", display(&table))));
        }
        self.remove_type(name, changes)
    }

    fn enum_labels(&self, name: &str) -> Result<Vec<String>, SqlError> {
        match &self.must_own_type(name)?.ty.kind {
            UserTypeKind::Enum(labels) => Ok(labels.clone()),
            UserTypeKind::Domain(_) => Err(SqlError::new("42809", format!("{} is not an enum", display(name)))),
        }
    }

    /// Gives enum `name` the labels `new` (it had `old`): the tables whose
    /// columns use it get definitions that check and order by the new
    /// labels. Every old label keeps its order among the others, so the
    /// rows and indexes stay valid; SQLite keeps a CHECK and a collation
    /// only in the table's definition, which is rewritten in
    /// `sqlite_schema` with the schema version bumped (as ADD FOREIGN KEY
    /// does). A failure rolls back with the tx's savepoint.
    fn set_labels(
        &mut self,
        name: &str,
        old: &[String],
        new: Vec<String>,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let (old_key, new_key) = (sqlmap::enum_key(old), sqlmap::enum_key(&new));
        let mut tables: Vec<String> = self.type_users(name).into_iter().map(|(table, _)| table).collect();
        tables.dedup();
        if !tables.is_empty() {
            self.rewrite_definitions(&tables, &old_key, &new_key)?;
        }
        let mut meta = self.user_type(name)?.clone();
        meta.ty.kind = UserTypeKind::Enum(new);
        self.put_type(meta, changes)
    }

    /// Replaces an enum key (as a collation name and as a string literal)
    /// in the definitions of `tables`.
    fn rewrite_definitions(&mut self, tables: &[String], old_key: &str, new_key: &str) -> Result<(), SqlError> {
        let internal = |e: rusqlite::Error| sql_error(&e);
        let forms = |key: &str| [format!("\"{}\"", key.replace('"', "\"\"")), format!("'{}'", key.replace('\'', "''"))];
        let (old_forms, new_forms) = (forms(old_key), forms(new_key));
        let mut altered = Vec::with_capacity(tables.len());
        for table in tables {
            let definition: String = self
                .conn
                .query_row("SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?1", [table], |r| {
                    r.get(0)
                })
                .map_err(internal)?;
            let rewritten =
                old_forms.iter().zip(&new_forms).fold(definition, |sql, (old, new)| sql.replace(old.as_str(), new));
            altered.push((table, rewritten));
        }
        let version: i64 = self.conn.query_row("PRAGMA main.schema_version", [], |r| r.get(0)).map_err(internal)?;
        self.conn.execute_batch("PRAGMA writable_schema = ON").map_err(internal)?;
        let updated = altered.iter().try_for_each(|(table, sql)| {
            self.conn
                .execute("UPDATE main.sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = ?2", [sql, *table])
                .map(|_| ())
        });
        // RESET rereads this connection's schema; the version bump after it
        // makes other connections reread theirs (see ADD FOREIGN KEY).
        self.conn.execute_batch("PRAGMA writable_schema = RESET").map_err(internal)?;
        updated.map_err(internal)?;
        self.conn.execute_batch(&format!("PRAGMA main.schema_version = {}", version + 1)).map_err(internal)?;
        self.forget_plans();
        Ok(())
    }
}

/// A type or table name as PostgreSQL's messages print it.
fn display(name: &str) -> String {
    sqlmap::display_name(name)
}
