//! DDL from a MySQL/MariaDB binlog: the forms the chain can follow become
//! chain DDL in the same batch position; the importer's picture of each
//! table (column kinds, primary key) changes with them. Any other DDL that
//! touches an imported table stops the import with the statement shown:
//! following it blindly would let the chain's schema drift from the source's.

#[cfg(test)]
use super::mysql_types::Charset;
use super::mysql_types::{quote, Column, Table};
use super::ImportError;
use node_core::tx::Statement;
use sqlparser::ast::{
    AlterTableOperation, ColumnOption, CreateTable, Expr, ObjectName, ObjectType, Statement as Ast, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use std::collections::BTreeMap;

/// What the follower knows while reading DDL.
pub(crate) struct DdlContext<'a> {
    /// The imported database.
    pub db: &'a str,
    /// `--tables`, if given: other tables are neither created nor followed.
    pub only: Option<&'a [String]>,
    /// The query event's default database.
    pub default_db: &'a str,
    /// The event's position, for messages.
    pub position: &'a str,
    /// The imported database's default character set (a new table's default).
    pub db_charset: &'a str,
}

impl DdlContext<'_> {
    /// The table `name` names, if it is in the imported database.
    fn table_name(&self, name: &ObjectName) -> Option<String> {
        let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident().map(|i| i.value.clone())).collect();
        let (db, table) = match parts.as_slice() {
            [table] => (self.default_db.to_string(), table.clone()),
            [db, table] => (db.clone(), table.clone()),
            _ => return None,
        };
        db.eq_ignore_ascii_case(self.db).then_some(table)
    }

    fn wanted(&self, table: &str) -> bool {
        self.only.is_none_or(|o| o.iter().any(|t| t.eq_ignore_ascii_case(table)))
    }

    fn unsupported(&self, what: &str, text: &str) -> ImportError {
        ImportError::Unsupported(format!(
            "the source ran {what} at {}, which the chain cannot follow: {}",
            self.position,
            text.chars().take(300).collect::<String>()
        ))
    }
}

fn ddl(sql: String) -> Statement {
    Statement { sql, params: vec![] }
}

/// The chain statements for one query event's text, updating `tables`.
pub(crate) fn statements(
    ctx: &DdlContext<'_>,
    tables: &mut BTreeMap<String, Table>,
    text: &str,
) -> Result<Vec<Statement>, ImportError> {
    let parsed = match sqlparser::parser::Parser::parse_sql(&MySqlDialect {}, text) {
        Ok(parsed) => parsed,
        // Text the parser does not know is followed only when it cannot be
        // about an imported table.
        Err(_) => {
            let lower = text.to_lowercase();
            let mentions = tables.values().any(|t| lower.contains(&t.name.to_lowercase()));
            let schema_change =
                ["alter", "create", "drop", "rename", "truncate"].iter().any(|w| lower.trim_start().starts_with(w));
            return if mentions && schema_change { Err(ctx.unsupported("a statement", text)) } else { Ok(vec![]) };
        }
    };
    let mut out = Vec::new();
    for statement in parsed {
        match statement {
            Ast::CreateTable(create) => out.extend(create_table(ctx, tables, &create, text)?),
            Ast::AlterTable(alter) => {
                let Some(name) = ctx.table_name(&alter.name) else { continue };
                let Some(table) = tables.get_mut(&name.to_lowercase()) else { continue };
                for operation in &alter.operations {
                    out.push(alter_table(ctx, table, operation, text)?);
                }
            }
            Ast::CreateIndex(create) => {
                let Some(name) = ctx.table_name(&create.table_name) else { continue };
                let Some(table) = tables.get(&name.to_lowercase()) else { continue };
                let index = create.name.as_ref().map(|n| n.to_string().trim_matches('`').to_string());
                let columns: Option<Vec<String>> = create
                    .columns
                    .iter()
                    .map(|c| match &c.column.expr {
                        Expr::Identifier(i) => Some(quote(&i.value)),
                        _ => None,
                    })
                    .collect();
                let (Some(index), Some(columns)) = (index, columns) else {
                    return Err(ctx.unsupported("CREATE INDEX on an expression", text));
                };
                out.push(ddl(format!(
                    "CREATE {}INDEX {} ON {} ({})",
                    if create.unique { "UNIQUE " } else { "" },
                    quote(&index),
                    quote(&table.name),
                    columns.join(", ")
                )));
            }
            Ast::Drop { object_type: ObjectType::Table, names, .. } => {
                for name in &names {
                    let Some(name) = ctx.table_name(name) else { continue };
                    if let Some(table) = tables.remove(&name.to_lowercase()) {
                        out.push(ddl(format!("DROP TABLE IF EXISTS {}", quote(&table.name))));
                    }
                }
            }
            Ast::Truncate(truncate) => {
                for target in &truncate.table_names {
                    let Some(name) = ctx.table_name(&target.name) else { continue };
                    if let Some(table) = tables.get(&name.to_lowercase()) {
                        out.push(ddl(format!("TRUNCATE TABLE {}", quote(&table.name))));
                    }
                }
            }
            Ast::RenameTable(renames)
                if renames
                    .iter()
                    .any(|r| ctx.table_name(&r.old_name).is_some_and(|n| tables.contains_key(&n.to_lowercase()))) =>
            {
                return Err(ctx.unsupported("RENAME TABLE", text));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn create_table(
    ctx: &DdlContext<'_>,
    tables: &mut BTreeMap<String, Table>,
    create: &CreateTable,
    text: &str,
) -> Result<Option<Statement>, ImportError> {
    let Some(name) = ctx.table_name(&create.name) else { return Ok(None) };
    if !ctx.wanted(&name) || (create.if_not_exists && tables.contains_key(&name.to_lowercase())) {
        return Ok(None);
    }
    if create.query.is_some() || create.like.is_some() || create.clone.is_some() {
        return Err(ctx.unsupported("CREATE TABLE … AS/LIKE", text));
    }
    let default_charset =
        charset_option(&create.table_options.to_string()).unwrap_or_else(|| ctx.db_charset.to_string());
    let mut table = Table { name: name.clone(), columns: vec![], primary_key: vec![], default_charset };
    for def in &create.columns {
        let primary = def.options.iter().any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)));
        let not_null = primary || def.options.iter().any(|o| matches!(o.option, ColumnOption::NotNull));
        let charset = column_charset(def).unwrap_or_else(|| table.default_charset.clone());
        let column = Column::new(&def.name.value, &def.data_type.to_string(), !not_null, Some(&charset))
            .map_err(|e| ImportError::Unsupported(format!("table {name} at {}: {e}", ctx.position)))?;
        if primary {
            table.primary_key.push(table.columns.len());
        }
        table.columns.push(column);
    }
    for constraint in &create.constraints {
        if let TableConstraint::PrimaryKey(pk) = constraint {
            for c in &pk.columns {
                let Expr::Identifier(ident) = &c.column.expr else {
                    return Err(ctx.unsupported("a primary key on an expression", text));
                };
                let i = table
                    .column_index(&ident.value)
                    .ok_or_else(|| ctx.unsupported("a key on a missing column", text))?;
                if let Some(column) = table.columns.get_mut(i) {
                    column.nullable = false;
                }
                table.primary_key.push(i);
            }
        }
    }
    if table.primary_key.is_empty() {
        return Err(ImportError::Unsupported(format!(
            "the source created table {name} at {} without a primary key: it cannot be followed row by row \
             (list the tables to follow with --tables)",
            ctx.position
        )));
    }
    let statement = ddl(table.create_sql());
    tables.insert(name.to_lowercase(), table);
    Ok(Some(statement))
}

/// A column's own `CHARACTER SET`.
fn column_charset(def: &sqlparser::ast::ColumnDef) -> Option<String> {
    def.options.iter().find_map(|o| match &o.option {
        ColumnOption::CharacterSet(name) => Some(name.to_string().trim_matches('`').to_string()),
        _ => None,
    })
}

/// The `[DEFAULT] CHARSET`/`CHARACTER SET` of a table's options, as sqlparser prints them.
fn charset_option(options: &str) -> Option<String> {
    let upper = options.to_ascii_uppercase();
    let at = upper
        .find("CHARSET")
        .map(|i| i + "CHARSET".len())
        .or_else(|| upper.find("CHARACTER SET").map(|i| i + "CHARACTER SET".len()))?;
    let rest = options.get(at..)?.trim_start_matches([' ', '=']);
    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

fn alter_table(
    ctx: &DdlContext<'_>,
    table: &mut Table,
    operation: &AlterTableOperation,
    text: &str,
) -> Result<Statement, ImportError> {
    match operation {
        AlterTableOperation::AddColumn { column_def, if_not_exists: false, .. } => {
            let not_null = column_def.options.iter().any(|o| matches!(o.option, ColumnOption::NotNull));
            let default = column_def.options.iter().find_map(|o| match &o.option {
                ColumnOption::Default(expr) => Some(expr.to_string()),
                _ => None,
            });
            if not_null && default.is_none() {
                // The source fills existing rows with an implicit default
                // the binlog never shows.
                return Err(ctx.unsupported("ADD COLUMN … NOT NULL without a DEFAULT", text));
            }
            let charset = column_charset(column_def).unwrap_or_else(|| table.default_charset.clone());
            let column =
                Column::new(&column_def.name.value, &column_def.data_type.to_string(), !not_null, Some(&charset))
                    .map_err(|e| ImportError::Unsupported(format!("table {} at {}: {e}", table.name, ctx.position)))?;
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN {} {}{}{}",
                quote(&table.name),
                quote(&column.name),
                column.pg_type,
                default.map(|d| format!(" DEFAULT {d}")).unwrap_or_default(),
                if not_null { " NOT NULL" } else { "" }
            );
            table.columns.push(column);
            Ok(ddl(sql))
        }
        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
            let i = table
                .column_index(&old_column_name.value)
                .ok_or_else(|| ctx.unsupported("RENAME COLUMN of an unknown column", text))?;
            let sql = format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                quote(&table.name),
                quote(&old_column_name.value),
                quote(&new_column_name.value)
            );
            if let Some(column) = table.columns.get_mut(i) {
                column.name = new_column_name.value.clone();
            }
            Ok(ddl(sql))
        }
        AlterTableOperation::DropColumn { .. } => {
            Err(ctx.unsupported("DROP COLUMN (the chain has no DROP COLUMN yet)", text))
        }
        _ => Err(ctx.unsupported("this ALTER TABLE", text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> DdlContext<'static> {
        DdlContext { db: "shop", only: None, default_db: "shop", position: "bin.000001:100", db_charset: "latin1" }
    }

    fn items() -> BTreeMap<String, Table> {
        let table = Table {
            name: "items".into(),
            columns: vec![
                Column::new("id", "int", false, None).unwrap(),
                Column::new("name", "varchar(20)", true, Some("utf8mb4")).unwrap(),
            ],
            primary_key: vec![0],
            default_charset: "utf8mb4".into(),
        };
        BTreeMap::from([("items".to_string(), table)])
    }

    fn sql(out: &[Statement]) -> Vec<&str> {
        out.iter().map(|s| s.sql.as_str()).collect()
    }

    #[test]
    fn supported_ddl_becomes_chain_ddl_and_changes_the_picture() {
        let mut tables = items();
        let out = statements(&ctx(), &mut tables, "ALTER TABLE items ADD COLUMN rating SMALLINT NULL").unwrap();
        assert_eq!(sql(&out), [r#"ALTER TABLE "items" ADD COLUMN "rating" smallint"#]);
        assert_eq!(tables["items"].columns.len(), 3);
        let out = statements(&ctx(), &mut tables, "CREATE TABLE shop.tags (id BIGINT PRIMARY KEY, label TEXT, u TEXT CHARACTER SET utf8mb4) DEFAULT CHARSET=latin1").unwrap();
        assert_eq!(
            sql(&out),
            [r#"CREATE TABLE "tags" ("id" bigint NOT NULL, "label" text, "u" text, PRIMARY KEY ("id"))"#]
        );
        let charsets: Vec<Charset> = tables["tags"].columns.iter().map(|c| c.charset).collect();
        assert_eq!(charsets, [Charset::Utf8, Charset::Latin1, Charset::Utf8]);
        let out = statements(&ctx(), &mut tables, "CREATE INDEX by_name ON items (name)").unwrap();
        assert_eq!(sql(&out), [r#"CREATE INDEX "by_name" ON "items" ("name")"#]);
        let out = statements(&ctx(), &mut tables, "DROP TABLE `tags` /* generated by server */").unwrap();
        assert_eq!(sql(&out), [r#"DROP TABLE IF EXISTS "tags""#]);
        assert!(!tables.contains_key("tags"));
        // Other databases and statements that change no schema pass by.
        assert!(statements(&ctx(), &mut tables, "CREATE TABLE other.t (id INT PRIMARY KEY)").unwrap().is_empty());
        assert!(statements(&ctx(), &mut tables, "GRANT SELECT ON shop.items TO bob").unwrap().is_empty());
    }

    #[test]
    fn ddl_the_chain_cannot_follow_stops_with_its_position() {
        let mut tables = items();
        let e = statements(&ctx(), &mut tables, "ALTER TABLE items DROP COLUMN name").unwrap_err().to_string();
        assert!(e.contains("DROP COLUMN") && e.contains("bin.000001:100"), "{e}");
        let e = statements(&ctx(), &mut tables, "ALTER TABLE items ADD COLUMN n INT NOT NULL").unwrap_err().to_string();
        assert!(e.contains("without a DEFAULT"), "{e}");
        let e = statements(&ctx(), &mut tables, "CREATE TABLE loose (a INT)").unwrap_err().to_string();
        assert!(e.contains("without a primary key"), "{e}");
        let e = statements(&ctx(), &mut tables, "RENAME TABLE items TO things").unwrap_err().to_string();
        assert!(e.contains("RENAME TABLE"), "{e}");
    }
}
