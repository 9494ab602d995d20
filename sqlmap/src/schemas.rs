//! Schemas as DDL plans: `CREATE SCHEMA [IF NOT EXISTS] [name]
//! [AUTHORIZATION role]`, `DROP SCHEMA [IF EXISTS] ... [CASCADE]` and
//! `GRANT|REVOKE USAGE, CREATE ON SCHEMA`. MySQL's `CREATE DATABASE` and
//! `DROP DATABASE` are the same statements there (a MySQL database is a
//! schema).
//!
//! A relation in schema `s` is the SQLite table `"s.name"`
//! ([`crate::names::qualify`]); planning only names schemas, the executor
//! knows which exist, who owns them and who may create in them.

use sqlparser::ast::{Action, ObjectName, ObjectNamePart, Privileges, SchemaName};

use crate::error::{PlanError, RESERVED_NAME, SYNTAX_ERROR};
use crate::names;

/// Schemas every chain has: `public` for user tables, the read-only
/// `rowchain` system views, and the emulated catalogs.
pub const BUILTIN_SCHEMAS: [&str; 4] = ["public", "pg_catalog", "information_schema", "rowchain"];

/// A schema privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchemaPrivilege {
    /// Look up objects in the schema.
    Usage,
    /// Create objects in the schema.
    Create,
}

/// `GRANT` or `REVOKE` of schema privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaGrant {
    pub revoke: bool,
    pub schemas: Vec<String>,
    pub privileges: Vec<SchemaPrivilege>,
    /// Role names; `None` is PUBLIC.
    pub grantees: Vec<Option<String>>,
}

/// A schema name as CREATE/DROP SCHEMA and GRANT name it: one identifier,
/// folded.
pub(crate) fn schema_name(name: &ObjectName) -> Result<String, PlanError> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => Ok(names::fold(ident)),
        _ => Err(PlanError::new(SYNTAX_ERROR, format!("improper qualified name (too many dotted names): {name}"))),
    }
}

/// A name CREATE SCHEMA may take: not a system prefix, no dot (SQLite names
/// split at their first dot).
fn creatable(name: &str) -> Result<(), PlanError> {
    if name.starts_with("pg_") {
        return Err(PlanError::new(RESERVED_NAME, format!("unacceptable schema name \"{name}\""))
            .with_hint("the prefix \"pg_\" is reserved for system schemas"));
    }
    names::check_reserved(name)?;
    if name.contains('.') {
        return Err(PlanError::unsupported(format!("schema name \"{name}\" with a dot"))
            .with_hint("rowchain keeps a schema's tables as \"schema.table\"; choose a name without dots"));
    }
    if name.is_empty() {
        return Err(PlanError::new("42602", "zero-length delimited identifier"));
    }
    Ok(())
}

pub(crate) fn plan_create_schema(
    given: &SchemaName,
    if_not_exists: bool,
    or_replace: bool,
) -> Result<crate::DdlPlan, PlanError> {
    if or_replace {
        return Err(PlanError::unsupported("CREATE OR REPLACE SCHEMA"));
    }
    let (name, authorization) = match given {
        SchemaName::Simple(name) => (schema_name(name)?, None),
        SchemaName::UnnamedAuthorization(role) => (names::fold(role), Some(names::fold(role))),
        SchemaName::NamedAuthorization(name, role) => (schema_name(name)?, Some(names::fold(role))),
    };
    creatable(&name)?;
    Ok(crate::DdlPlan::CreateSchema { name, if_not_exists, authorization })
}

pub(crate) fn plan_drop_schema(
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> Result<crate::DdlPlan, PlanError> {
    let names = names.iter().map(schema_name).collect::<Result<_, _>>()?;
    Ok(crate::DdlPlan::DropSchema { names, if_exists, cascade })
}

/// The privileges of `GRANT ... ON SCHEMA`: USAGE, CREATE or ALL.
pub(crate) fn privileges(privileges: Privileges) -> Result<Vec<SchemaPrivilege>, PlanError> {
    let mut list = match privileges {
        Privileges::All { .. } => vec![SchemaPrivilege::Usage, SchemaPrivilege::Create],
        Privileges::Actions(actions) => actions
            .into_iter()
            .map(|action| match action {
                Action::Usage => Ok(SchemaPrivilege::Usage),
                Action::Create { obj_type: None } => Ok(SchemaPrivilege::Create),
                other => Err(PlanError::new("0LP01", format!("invalid privilege type {other} for schema"))),
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    list.sort();
    list.dedup();
    Ok(list)
}

/// The schema names of `GRANT ... ON SCHEMA a, b`.
pub(crate) fn grant_schemas(schemas: &[ObjectName]) -> Result<Vec<String>, PlanError> {
    schemas.iter().map(schema_name).collect()
}
