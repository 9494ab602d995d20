//! CREATE SCHEMA, DROP SCHEMA, GRANT/REVOKE on a schema and COMMENT ON
//! SCHEMA: the schema metadata they write (`__rc_schemas`) and its leaf.
//! A relation of schema `s` is the SQLite table `"s.name"`, so the
//! relations of a schema are the catalog names with the prefix `s.`.

use super::*;
use node_core::schema::{self, privilege as schema_privilege, SchemaMeta};
use sqlmap::{SchemaGrant, SchemaPrivilege};

impl Executor {
    /// The relations of schema `name`, by SQLite name.
    fn relations_in(&self, name: &str) -> Vec<String> {
        self.catalog.keys().filter(|t| sqlmap::relation_schema(t).0 == name).cloned().collect()
    }

    pub(super) fn schema(&self, name: &str) -> Result<&SchemaMeta, SqlError> {
        self.schemas.get(name).ok_or_else(|| schema::missing(name))
    }

    /// 42501 unless the signer may create relation `relation` (a SQLite
    /// name) in its schema; 3F000 when there is no such schema.
    pub(super) fn may_create(&self, relation: &str) -> Result<(), SqlError> {
        let (name, _) = sqlmap::relation_schema(relation);
        schema::may_create_in(&self.schemas, name, &self.signer.address, self.signer.admin)
    }

    fn must_own_schema(&self, name: &str) -> Result<&SchemaMeta, SqlError> {
        let meta = self.schema(name)?;
        if self.signer.admin || meta.owner == self.signer.address {
            Ok(meta)
        } else {
            Err(SqlError::new(acl::INSUFFICIENT_PRIVILEGE, format!("must be owner of schema {name}")))
        }
    }

    fn put_schema(&mut self, meta: SchemaMeta, changes: &mut Changes) -> Result<(), SqlError> {
        let bytes = meta.encode();
        self.conn
            .execute("INSERT OR REPLACE INTO __rc_schemas(name, meta) VALUES (?1, ?2)", params![meta.name, bytes])
            .map_err(|e| sql_error(&e))?;
        let label = meta.label();
        changes.insert(self.suite.hash(&label), Some((self.suite.hash(&bytes), label)));
        self.schemas.insert(meta.name.clone(), meta);
        self.forget_plans();
        Ok(())
    }

    /// CREATE SCHEMA: anyone may create one, owned by themselves; only an
    /// admin creates one for another role (`AUTHORIZATION`).
    pub(super) fn create_schema(
        &mut self,
        name: &str,
        if_not_exists: bool,
        authorization: &Option<String>,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        if schema::exists(&self.schemas, name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(SqlError::new("42P06", format!("schema \"{name}\" already exists")));
        }
        // A public relation from before schemas existed whose name starts
        // with `name.` would read as one of the new schema's.
        let prefix = format!("{name}.");
        if let Some(clash) = self.catalog.keys().find(|t| t.starts_with(&prefix)) {
            return Err(SqlError::new(
                "0A000",
                format!("schema \"{name}\" would hold relation \"{clash}\", which was created in schema public"),
            )
            .hinted(&format!("rename table \"{clash}\" first, or choose another schema name")));
        }
        let owner = match authorization {
            None => self.signer.address.clone(),
            Some(role) if *role == self.signer.name => self.signer.address.clone(),
            Some(role) => {
                let address = self.role_address(&Some(role.clone()))?;
                if !self.signer.admin {
                    return Err(SqlError::new(
                        acl::INSUFFICIENT_PRIVILEGE,
                        format!("must be able to SET ROLE \"{role}\""),
                    ));
                }
                address
            }
        };
        self.put_schema(SchemaMeta::new(name.to_string(), owner, ctx.height), changes)
    }

    /// DROP SCHEMA: the owner (or an admin) drops it; with CASCADE the
    /// relations in it go too (and the views elsewhere that read them),
    /// whoever owns them, as in PostgreSQL.
    pub(super) fn drop_schemas(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        for name in names {
            if name == "public" {
                return Err(
                    SqlError::new("0A000", "schema public cannot be dropped").hinted("drop the tables in it instead")
                );
            }
            if sqlmap::BUILTIN_SCHEMAS.contains(&name.as_str()) {
                return Err(SqlError::new(
                    "2BP01",
                    format!("cannot drop schema {name} because it is required by the database system"),
                ));
            }
            if !self.schemas.contains_key(name) && if_exists {
                continue;
            }
            self.must_own_schema(name)?;
            let relations = self.relations_in(name);
            if let (false, Some(first)) = (cascade, relations.first()) {
                return Err(SqlError::new(
                    "2BP01",
                    format!(
                        "cannot drop schema {name} because other objects depend on it: {} {} depends on schema {name}",
                        if self.table(first)?.is_view() { "view" } else { "table" },
                        first
                    ),
                )
                .hinted("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            if let (false, Some(first)) = (cascade, self.sequences_in(name).first()) {
                return Err(SqlError::new(
                    "2BP01",
                    format!(
                        "cannot drop schema {name} because other objects depend on it: sequence {first} depends on schema {name}"
                    ),
                )
                .hinted("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            if let (false, Some(first)) = (cascade, self.types_in(name).first()) {
                return Err(SqlError::new(
                    "2BP01",
                    format!(
                        "cannot drop schema {name} because other objects depend on it: type {first} depends on schema {name}"
                    ),
                )
                .hinted("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            self.drop_dependents(&relations, "table", true, changes)?;
            let (views, tables): (Vec<String>, Vec<String>) =
                self.relations_in(name).into_iter().partition(|t| self.catalog.get(t).is_some_and(TableMeta::is_view));
            for view in views {
                self.drop_view(&view, changes)?;
            }
            self.drop_tables(&tables, false, true, changes)?;
            // Its own sequences went with their tables; the others go now.
            for sequence in self.sequences_in(name) {
                self.remove_sequence(&sequence, changes)?;
            }
            // Its types go last, once its tables have; a column elsewhere
            // that uses one keeps it (and the schema) from going.
            for ty in self.types_in(name) {
                self.drop_type_of_schema(&ty, changes)?;
            }
            self.conn.execute("DELETE FROM __rc_schemas WHERE name = ?1", [name]).map_err(|e| sql_error(&e))?;
            self.schemas.remove(name);
            self.forget_plans();
            changes.insert(self.suite.hash(&schema::label(name)), None);
        }
        Ok(())
    }

    /// GRANT/REVOKE USAGE, CREATE ON SCHEMA: the owner's (or an admin's) to give.
    pub(super) fn grant_schema(&mut self, g: &SchemaGrant, changes: &mut Changes) -> Result<(), SqlError> {
        let bits = g.privileges.iter().fold(0u8, |b, p| {
            b | match p {
                SchemaPrivilege::Usage => schema_privilege::USAGE,
                SchemaPrivilege::Create => schema_privilege::CREATE,
            }
        });
        let grantees = g.grantees.iter().map(|r| self.role_address(r)).collect::<Result<Vec<_>, _>>()?;
        for name in &g.schemas {
            if sqlmap::BUILTIN_SCHEMAS.contains(&name.as_str()) {
                return Err(SqlError::new("0A000", format!("GRANT ON SCHEMA {name}"))
                    .hinted("rowchain's built-in schemas keep their fixed rights"));
            }
            let mut meta = self.must_own_schema(name)?.clone();
            let owner = meta.owner.clone();
            for grantee in grantees.iter().filter(|g| **g != owner) {
                meta.apply_grant(grantee, bits, g.revoke);
            }
            self.put_schema(meta, changes)?;
        }
        Ok(())
    }

    /// COMMENT ON SCHEMA: the owner's (or an admin's).
    pub(super) fn comment_on_schema(
        &mut self,
        name: &str,
        text: Option<String>,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        if sqlmap::BUILTIN_SCHEMAS.contains(&name) {
            return Err(SqlError::new("0A000", format!("COMMENT ON SCHEMA {name}"))
                .hinted("rowchain's built-in schemas keep their fixed comments"));
        }
        let mut meta = self.must_own_schema(name)?.clone();
        meta.comment = text;
        self.put_schema(meta, changes)
    }

    /// The tables a GRANT names: its list, and for `ON ALL TABLES IN
    /// SCHEMA` the relations there the signer owns (PostgreSQL grants on
    /// those and only warns about the others).
    pub(super) fn grant_tables(&self, g: &sqlmap::GrantPlan) -> Result<Vec<String>, SqlError> {
        let mut tables = g.tables.clone();
        for name in &g.in_schemas {
            if !schema::exists(&self.schemas, name) {
                return Err(schema::missing(name));
            }
            let owned = self
                .relations_in(name)
                .into_iter()
                .filter(|t| self.catalog.get(t).is_some_and(|meta| acl::owns(meta, self.who())));
            tables.extend(owned);
        }
        Ok(tables)
    }
}
