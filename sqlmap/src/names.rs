//! Names: PostgreSQL identifier folding, schema resolution (`public`,
//! the read-only `rowchain` system views, the emulated `pg_catalog` and
//! `information_schema`, unknown schemas), and the reserved prefixes user
//! objects may not use.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use crate::error::{PlanError, INSUFFICIENT_PRIVILEGE, INVALID_SCHEMA_NAME, RESERVED_NAME};

/// The system views of the `rowchain` schema and their SQLite tables.
const SYSTEM_VIEWS: &[(&str, &str)] =
    &[("blocks", "__rc_blocks"), ("transactions", "__rc_transactions"), ("imports", "__rc_imports")];

/// Schemas the proxy attaches to every read connection as in-memory SQLite
/// databases of the same name (proxy/frontend/src/catalog): readable, never written.
pub(crate) const CATALOG_SCHEMAS: [&str; 2] = ["pg_catalog", "information_schema"];

/// A table name resolved to its SQLite name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableName {
    pub sqlite: String,
    pub system_view: bool,
    /// The attached catalog database holding it (`pg_catalog`,
    /// `information_schema`), `None` for `main`.
    pub catalog: Option<&'static str>,
}

impl TableName {
    /// The name as plans list it: `pg_catalog.pg_class` for catalog
    /// tables, the SQLite table name otherwise.
    pub(crate) fn listed(&self) -> String {
        match self.catalog {
            Some(schema) => format!("{schema}.{}", self.sqlite),
            None => self.sqlite.clone(),
        }
    }
}

/// Folds an identifier the way PostgreSQL does: unquoted to lower case,
/// quoted kept as written.
pub(crate) fn fold(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// A double-quoted SQLite identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Rejects user names SQLite or rowchain keep for themselves.
pub(crate) fn check_reserved(name: &str) -> Result<(), PlanError> {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("__rc_") || lower.starts_with("sqlite_") {
        return Err(PlanError::new(RESERVED_NAME, format!("name \"{name}\" is reserved"))
            .with_hint("names starting with \"__rc_\" or \"sqlite_\" belong to rowchain and SQLite"));
    }
    Ok(())
}

fn parts(name: &ObjectName) -> Result<Vec<String>, PlanError> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Ok(fold(ident)),
            ObjectNamePart::Function(_) => Err(PlanError::unsupported(format!("name {name}"))),
        })
        .collect()
}

/// Resolves a possibly schema-qualified table name for reading.
pub(crate) fn resolve_table(name: &ObjectName) -> Result<TableName, PlanError> {
    let parts = parts(name)?;
    let (schema, table) = match parts.as_slice() {
        [table] => (None, table),
        [schema, table] => (Some(schema.as_str()), table),
        [_, schema, table] => (Some(schema.as_str()), table),
        _ => return Err(PlanError::new("42601", format!("improper qualified name: {name}"))),
    };
    match schema {
        None | Some("public") => {
            check_reserved(table)?;
            Ok(TableName { sqlite: qualify("public", table), system_view: false, catalog: None })
        }
        // The session's temporary tables are its `pg_temp` schema.
        Some("pg_temp") => {
            check_reserved(table)?;
            Ok(TableName { sqlite: table.clone(), system_view: false, catalog: None })
        }
        Some("rowchain") => match SYSTEM_VIEWS.iter().find(|(view, _)| view == table) {
            Some((_, sqlite)) => Ok(TableName { sqlite: (*sqlite).to_string(), system_view: true, catalog: None }),
            None => Err(PlanError::new("42P01", format!("relation \"rowchain.{table}\" does not exist"))),
        },
        Some(schema) if CATALOG_SCHEMAS.contains(&schema) => {
            check_reserved(table)?;
            let catalog = CATALOG_SCHEMAS.into_iter().find(|s| *s == schema);
            Ok(TableName { sqlite: table.clone(), system_view: false, catalog })
        }
        Some(schema) if schema.contains('.') => {
            // No schema has a dot in its name (CREATE SCHEMA refuses it),
            // which keeps SQLite names unambiguous.
            Err(PlanError::new(INVALID_SCHEMA_NAME, format!("schema \"{schema}\" does not exist")))
        }
        Some(schema) => {
            check_reserved(schema)?;
            Ok(TableName { sqlite: qualify(schema, table), system_view: false, catalog: None })
        }
    }
}

/// The SQLite name of relation `name` in `schema`: the bare name in
/// `public` (as before schemas existed), else `schema.name`. A public name
/// that holds a dot is kept as `public.name`, so every SQLite name splits
/// back at its first dot ([`relation_schema`]).
pub fn qualify(schema: &str, name: &str) -> String {
    if schema == "public" && !name.contains('.') {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// A relation's schema and its name within it, from its SQLite name.
pub fn relation_schema(sqlite: &str) -> (&str, &str) {
    sqlite.split_once('.').unwrap_or(("public", sqlite))
}

/// The MySQL database and name of the relation whose SQLite name is
/// `sqlite`, for a session whose database is `database`: `public`'s
/// relations are in the session's database, others in their schema's.
pub fn mysql_relation<'a>(sqlite: &'a str, database: &'a str) -> (&'a str, &'a str) {
    match relation_schema(sqlite) {
        ("public", relation) => (database, relation),
        other => other,
    }
}

/// Resolves a table name that a write or DDL statement modifies: system
/// views are read-only.
pub(crate) fn resolve_target(name: &ObjectName) -> Result<String, PlanError> {
    let table = resolve_table(name)?;
    if let Some(schema) = table.catalog {
        return Err(PlanError::new(INSUFFICIENT_PRIVILEGE, format!("permission denied for table {}", table.sqlite))
            .with_hint(format!("{schema} is rowchain's read-only catalog emulation")));
    }
    if table.system_view {
        let view = SYSTEM_VIEWS
            .iter()
            .find(|(_, sqlite)| *sqlite == table.sqlite)
            .map_or(table.sqlite.as_str(), |(view, _)| view);
        return Err(PlanError::new(
            INSUFFICIENT_PRIVILEGE,
            format!("permission denied: rowchain.{view} is a system view"),
        ));
    }
    Ok(table.sqlite)
}

/// The SQLite name of `name` (an index, or a table's new name) in the
/// schema of `table` (a SQLite name), where PostgreSQL puts it. A
/// qualified name must name that schema: nothing moves between schemas.
pub(crate) fn in_schema_of(table: &str, name: &ObjectName) -> Result<String, PlanError> {
    let (schema, _) = relation_schema(table);
    let sqlite = match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => {
            let name = fold(ident);
            check_reserved(&name)?;
            qualify(schema, &name)
        }
        _ => resolve_target(name)?,
    };
    if relation_schema(&sqlite).0 != schema {
        return Err(PlanError::unsupported(format!("moving {name} to another schema"))
            .with_hint(format!("an index or a renamed table stays in schema \"{schema}\"")));
    }
    Ok(sqlite)
}

/// Resolves a user-chosen object name (index, column) that is not schema
/// qualified beyond `public`.
pub(crate) fn resolve_object(name: &ObjectName) -> Result<String, PlanError> {
    resolve_target(name)
}
