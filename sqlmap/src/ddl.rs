//! Schema changes: CREATE TABLE (types, keys, constraints, rendered as
//! SQLite `STRICT` tables), DROP TABLE, ALTER TABLE (RENAME TO, ADD
//! COLUMN, RENAME COLUMN), CREATE INDEX and DROP INDEX.
//!
//! Expressions inside DDL (DEFAULT, CHECK, index expressions) follow the
//! write-side determinism rules: every validator runs them.

use sqlparser::ast::{
    self, AlterTableOperation, ColumnOption, CommentDef, CreateIndex, CreateTableOptions, Expr, ForeignKeyConstraint,
    GeneratedAs, IndexColumn, ObjectType, OrderBySort, RenameTableNameKind, SchemaName, SqlOption, Statement,
    TableConstraint,
};

use crate::constraints::{self, ConstraintKind};
use crate::dialect::Dialect;
use crate::error::{PlanError, SourceMap, INVALID_TABLE_DEFINITION, SYNTAX_ERROR};
use crate::names::{self, quote};
use crate::render::Renderer;
use crate::schema::{NoSchema, Schema};
use crate::types::{self, PgType};

/// A schema change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DdlPlan {
    CreateTable(CreateTable),
    DropTable {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
        /// MySQL's `DROP TEMPORARY TABLE`: only the session's temporary
        /// tables are named.
        temporary: bool,
    },
    RenameTable {
        from: String,
        to: String,
        sqlite: String,
    },
    AddColumn {
        table: String,
        column: ColumnDef,
        sqlite: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
        sqlite: String,
    },
    CreateIndex {
        name: String,
        table: String,
        unique: bool,
        if_not_exists: bool,
        sqlite: String,
    },
    DropIndex {
        names: Vec<String>,
        if_exists: bool,
    },
    /// `ALTER TABLE t ADD PRIMARY KEY (cols)` on a table that has none:
    /// rows are re-keyed in the state tree by the new key.
    AddPrimaryKey {
        table: String,
        columns: Vec<String>,
        /// The unique index that enforces the key.
        sqlite: String,
    },
    /// `ALTER TABLE t ADD [CONSTRAINT name] FOREIGN KEY (cols) REFERENCES
    /// p [(cols)]`: the clause joins the table's definition, and existing
    /// rows are checked against it unless `NOT VALID`.
    AddForeignKey {
        table: String,
        /// The referencing columns, in key order.
        columns: Vec<String>,
        /// The referenced table, and its columns (none: its primary key).
        references: String,
        referenced: Vec<String>,
        /// `CONSTRAINT "name" FOREIGN KEY (..) REFERENCES ..`, as SQLite
        /// takes it at the end of a CREATE TABLE's definitions.
        clause: String,
        validate: bool,
    },
    /// `TRUNCATE t, ...`: every row of each table removed.
    Truncate {
        names: Vec<String>,
    },
    Grant(crate::access::GrantPlan),
    /// `ALTER TABLE t ENABLE|DISABLE ROW LEVEL SECURITY`.
    RowSecurity {
        table: String,
        enabled: bool,
    },
    CreatePolicy(crate::access::PolicyPlan),
    DropPolicy {
        table: String,
        name: String,
        if_exists: bool,
    },
    /// `COMMENT ON ... IS 'text'`; `None` (`IS NULL`) removes the comment.
    Comment {
        on: crate::comment::CommentOn,
        text: Option<String>,
    },
    CreateView(crate::view::CreateView),
    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH DATA]`.
    RefreshMaterializedView {
        name: String,
    },
    /// `DROP MATERIALIZED VIEW`; `cascade` drops the views that read these too.
    DropMaterializedView {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    /// `CREATE SCHEMA`; `authorization` names the owner (else the signer).
    CreateSchema {
        name: String,
        if_not_exists: bool,
        authorization: Option<String>,
    },
    /// `DROP SCHEMA`; `cascade` drops the relations in it too.
    DropSchema {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    GrantSchema(crate::schemas::SchemaGrant),
    /// `DROP VIEW`; `cascade` drops the views that read these too.
    DropView {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    CreateSequence(crate::sequence::CreateSequence),
    GrantSequence(crate::sequence::SequenceGrant),
    /// `DROP SEQUENCE`; a column's own sequence goes only with its column
    /// (2BP01), or with CASCADE, which drops the column's default too.
    DropSequence {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    /// CREATE TYPE ... AS ENUM, CREATE DOMAIN, DROP TYPE/DOMAIN, ALTER
    /// TYPE; `temporary` when it names `pg_temp` (the session's own types,
    /// never a chain tx).
    Type {
        plan: crate::usertype::TypePlan,
        temporary: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    /// Primary key columns in key order; empty when none is declared.
    pub primary_key: Vec<String>,
    pub sqlite: String,
    /// MySQL's table option `COMMENT = 'text'`.
    pub comment: Option<String>,
    /// `CREATE TEMP TABLE`: the session's own table, never a chain tx (its
    /// `sqlite` is `CREATE TEMP TABLE ...`).
    pub temporary: bool,
    /// What a temporary table's `ON COMMIT` clause asks of the end of each
    /// transaction.
    pub on_commit: OnCommit,
    /// The sequences its serial and identity columns draw from (those that
    /// are not the table's rowid), created with it.
    pub sequences: Vec<crate::sequence::CreateSequence>,
}

/// `ON COMMIT` of a temporary table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnCommit {
    #[default]
    PreserveRows,
    DeleteRows,
    Drop,
}

/// A column as declared in PostgreSQL terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: PgType,
    pub not_null: bool,
    /// Keys come from the table when none is given: `serial` types and
    /// `GENERATED BY DEFAULT AS IDENTITY` (then `identity` is set too).
    pub serial: bool,
    pub identity: bool,
    /// `GENERATED ALWAYS AS IDENTITY`: only `OVERRIDING SYSTEM VALUE`
    /// writes it (428C9).
    pub always: bool,
    /// The sequence (SQLite name) the column draws its values from; `None`
    /// for a serial or identity column that is the table's rowid.
    pub sequence: Option<String>,
    /// `GENERATED ALWAYS AS (expr) STORED`: SQLite computes and stores it;
    /// no statement writes it (428C9).
    pub generated: bool,
    pub has_default: bool,
    /// MySQL's column option `COMMENT 'text'`.
    pub comment: Option<String>,
    /// The user-defined type (SQLite-style name) the column was declared
    /// with; `ty` is then how it is stored (an enum's text, a domain's
    /// base type).
    pub user_type: Option<String>,
}

pub(crate) fn plan_ddl(
    statement: Statement,
    source: &SourceMap,
    schema: &dyn Schema,
    dialect: Dialect,
) -> Result<DdlPlan, PlanError> {
    let typed = |(plan, temporary)| DdlPlan::Type { plan, temporary };
    match statement {
        Statement::CreateTable(create) => create_table(&create, source, schema, dialect).map(DdlPlan::CreateTable),
        Statement::CreateType { name, representation } if dialect == Dialect::Postgres => {
            crate::usertype::plan_create_type(&name, &representation).map(typed)
        }
        Statement::CreateDomain(create) if dialect == Dialect::Postgres => {
            crate::usertype::plan_create_domain(&create).map(typed)
        }
        Statement::AlterType(alter) if dialect == Dialect::Postgres => {
            crate::usertype::plan_alter_type(&alter).map(typed)
        }
        Statement::DropDomain(drop) if dialect == Dialect::Postgres => crate::usertype::plan_drop(
            std::slice::from_ref(&drop.name),
            drop.if_exists,
            drop.drop_behavior == Some(ast::DropBehavior::Cascade),
            true,
        )
        .map(typed),
        Statement::CreateSequence { temporary, if_not_exists, name, sequence_options } => {
            crate::sequence::plan_create(temporary, if_not_exists, &name, &sequence_options)
                .map(DdlPlan::CreateSequence)
        }
        Statement::CreateIndex(create) => create_index(&create, source),
        Statement::AlterTable(alter) => alter_table(&alter, source, schema),
        Statement::Truncate(t) => {
            if t.partitions.is_some() || t.identity.is_some() {
                return Err(PlanError::unsupported("this form of TRUNCATE"));
            }
            let names =
                t.table_names.iter().map(|target| names::resolve_target(&target.name)).collect::<Result<_, _>>()?;
            Ok(DdlPlan::Truncate { names })
        }
        Statement::Drop { object_type, if_exists, names, cascade, temporary, .. } => match object_type {
            ObjectType::Table => {
                let names = names.iter().map(names::resolve_target).collect::<Result<_, _>>()?;
                Ok(DdlPlan::DropTable { names, if_exists, cascade, temporary })
            }
            ObjectType::Index => {
                let names = names.iter().map(names::resolve_object).collect::<Result<_, _>>()?;
                Ok(DdlPlan::DropIndex { names, if_exists })
            }
            ObjectType::View => {
                let names = names.iter().map(names::resolve_target).collect::<Result<_, _>>()?;
                Ok(DdlPlan::DropView { names, if_exists, cascade })
            }
            ObjectType::MaterializedView => {
                let names = names.iter().map(names::resolve_target).collect::<Result<_, _>>()?;
                Ok(DdlPlan::DropMaterializedView { names, if_exists, cascade })
            }
            ObjectType::Schema => crate::schemas::plan_drop_schema(&names, if_exists, cascade),
            ObjectType::Sequence => {
                let names = names.iter().map(names::resolve_target).collect::<Result<_, _>>()?;
                Ok(DdlPlan::DropSequence { names, if_exists, cascade })
            }
            ObjectType::Type if dialect == Dialect::Postgres => {
                crate::usertype::plan_drop(&names, if_exists, cascade, false).map(typed)
            }
            ObjectType::Database => {
                // MySQL's DROP DATABASE drops what is in it: a schema with CASCADE.
                crate::schemas::plan_drop_schema(&names, if_exists, true)
            }
            other => Err(PlanError::unsupported(format!("DROP {other}"))),
        },
        Statement::CreateSchema {
            schema_name,
            if_not_exists,
            or_replace,
            with: None,
            options: None,
            default_collate_spec: None,
            clone: None,
        } => crate::schemas::plan_create_schema(&schema_name, if_not_exists, or_replace),
        Statement::RefreshMaterializedView(refresh) => {
            // CONCURRENTLY lets PostgreSQL's readers go on meanwhile; a
            // chain refresh is one tx, which readers never see half done.
            if refresh.with_data == Some(false) {
                return Err(PlanError::unsupported("REFRESH MATERIALIZED VIEW ... WITH NO DATA")
                    .with_hint("rowchain's materialized views are always populated"));
            }
            Ok(DdlPlan::RefreshMaterializedView { name: names::resolve_target(&refresh.name)? })
        }
        // MySQL's CREATE DATABASE: a MySQL database is a schema. Its
        // options (character set, collation) are the chain's anyway.
        Statement::CreateDatabase { db_name, if_not_exists, or_replace, .. } => {
            crate::schemas::plan_create_schema(&SchemaName::Simple(db_name), if_not_exists, or_replace)
        }
        other => Err(PlanError::unsupported(crate::control::statement_label(&other))),
    }
}

/// A column planned for CREATE TABLE or ADD COLUMN.
struct PlannedColumn {
    def: ColumnDef,
    /// Declared `PRIMARY KEY` on the column itself.
    primary_key: bool,
    /// The name of that primary key (`CONSTRAINT name PRIMARY KEY`).
    primary_key_name: Option<String>,
    /// Rendered column constraints, in declared order.
    clauses: Vec<String>,
    /// An identity column's sequence options, as written.
    identity_options: Option<crate::sequence::SequenceOptions>,
}

/// Where a column is being declared: SQLite's ADD COLUMN is more limited.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ColumnSite {
    CreateTable,
    AddColumn,
}

fn check_create_flags(create: &ast::CreateTable) -> Result<(), PlanError> {
    // `GLOBAL` and `LOCAL` are noise words to PostgreSQL (deprecated).
    if create.global.is_some() && !create.temporary {
        return Err(PlanError::unsupported("this form of CREATE TABLE"));
    }
    if create.query.is_some() {
        return Err(PlanError::unsupported("CREATE TABLE AS"));
    }
    if create.like.is_some() || create.clone.is_some() {
        return Err(PlanError::unsupported("CREATE TABLE LIKE"));
    }
    if create.or_replace
        || create.unlogged
        || create.external
        || create.inherits.is_some()
        || create.partition_of.is_some()
    {
        return Err(PlanError::unsupported("this form of CREATE TABLE"));
    }
    if create.partition_by.is_some() {
        return Err(PlanError::unsupported("this form of CREATE TABLE"));
    }
    // PostgreSQL says 42P16 "ON COMMIT can only be used on temporary
    // tables"; the chain has refused it with 0A000 since before temporary
    // tables existed, and a replayed receipt must not change.
    if create.on_commit.is_some() && !create.temporary {
        return Err(PlanError::unsupported("this form of CREATE TABLE"));
    }
    Ok(())
}

fn create_table(
    create: &ast::CreateTable,
    source: &SourceMap,
    schema: &dyn Schema,
    dialect: Dialect,
) -> Result<CreateTable, PlanError> {
    check_create_flags(create)?;
    // A table created in `pg_temp` is a temporary table, as in PostgreSQL.
    let in_pg_temp = matches!(create.name.0.as_slice(),
        [ast::ObjectNamePart::Identifier(schema), _] if names::fold(schema) == "pg_temp");
    let temporary = create.temporary || in_pg_temp;
    let name = names::resolve_target(&create.name)?;
    let mut columns = create
        .columns
        .iter()
        .map(|column| plan_column(column, ColumnSite::CreateTable, source, schema))
        .collect::<Result<Vec<_>, _>>()?;
    check_generated_operands(create, &columns)?;
    let (primary_key, primary_key_name) = primary_key(&name, &columns, &create.constraints)?;
    for column in &mut columns {
        if primary_key.contains(&column.def.name) {
            column.def.not_null = true;
        }
    }
    let rowid_key = match primary_key.as_slice() {
        [key] => columns.iter().find(|c| &c.def.name == key && c.def.ty.is_integer()).map(|c| c.def.name.clone()),
        _ => None,
    };
    // The rowid numbers a serial key, and an identity key declared BY
    // DEFAULT with no options, as it always has.
    let rowid_key = rowid_key.filter(|key| {
        columns.iter().find(|c| &c.def.name == key).is_none_or(|c| !c.def.always && c.identity_options.is_none())
    });
    let mut sequences = Vec::new();
    for column in columns.iter_mut().filter(|c| c.def.serial && rowid_key.as_ref() != Some(&c.def.name)) {
        column.def.not_null = true;
        if temporary {
            // A temporary table's other serial columns draw from a counter
            // of the session's scratch database (`rc_temp_serial`, like a
            // sequence: it never goes back).
            let key = format!("{name}.{}", column.def.name).replace('\'', "''");
            column.clauses.push(format!("DEFAULT (rc_temp_serial('{key}'))"));
            continue;
        }
        if dialect == Dialect::MySql {
            return Err(PlanError::unsupported(format!(
                "AUTO_INCREMENT column \"{}\" that is not the single-column primary key",
                column.def.name
            ))
            .with_hint("declare it as \"id INT AUTO_INCREMENT PRIMARY KEY\""));
        }
        let sequence = crate::sequence::column_sequence_name(&name, &column.def.name);
        let text = crate::sequence::regclass_text(&sequence).replace('\'', "''");
        column.clauses.push(format!("DEFAULT (rc_nextval('{text}'))"));
        column.def.sequence = Some(sequence.clone());
        sequences.push(crate::sequence::CreateSequence {
            name: sequence,
            if_not_exists: false,
            options: column.identity_options.clone().unwrap_or_default(),
            default_type: crate::sequence::SeqType::of_column(column.def.ty).unwrap_or(crate::sequence::SeqType::Int8),
            owned_by: Some((name.clone(), column.def.name.clone())),
        });
    }
    // A named key keeps its name in the definition, where the catalog
    // finds it (`declared_constraints`).
    let key_prefix = primary_key_name.map(|n| format!("CONSTRAINT {} ", quote(&n))).unwrap_or_default();
    let mut parts: Vec<String> = columns.iter().map(|c| column_sql(c, rowid_key.as_deref(), &key_prefix)).collect();
    if rowid_key.is_none() && !primary_key.is_empty() {
        parts.push(format!("{key_prefix}PRIMARY KEY ({})", quote_list(&primary_key)));
    }
    for constraint in &create.constraints {
        parts.extend(table_constraint(constraint, source)?);
    }
    let sqlite = format!(
        "CREATE {}TABLE {}{} ({}) STRICT",
        if temporary { "TEMP " } else { "" },
        if create.if_not_exists { "IF NOT EXISTS " } else { "" },
        quote(&name),
        parts.join(", ")
    );
    let columns = columns.into_iter().map(|c| c.def).collect();
    let comment = match &create.table_options {
        CreateTableOptions::Plain(options) => options.iter().find_map(|o| match o {
            SqlOption::Comment(CommentDef::WithEq(text) | CommentDef::WithoutEq(text)) => Some(text.clone()),
            _ => None,
        }),
        _ => None,
    }
    .filter(|text| !text.is_empty());
    let on_commit = match create.on_commit {
        None | Some(ast::OnCommit::PreserveRows) => OnCommit::PreserveRows,
        Some(ast::OnCommit::DeleteRows) => OnCommit::DeleteRows,
        Some(ast::OnCommit::Drop) => OnCommit::Drop,
    };
    Ok(CreateTable {
        name,
        if_not_exists: create.if_not_exists,
        columns,
        primary_key,
        sqlite,
        comment,
        temporary,
        on_commit,
        sequences,
    })
}

/// SQLite computes a generated column in its own arithmetic, where a
/// `numeric` value (exact text) would become a binary float: a generated
/// column whose expression reads a numeric column is 0A000.
fn check_generated_operands(create: &ast::CreateTable, columns: &[PlannedColumn]) -> Result<(), PlanError> {
    use sqlparser::ast::visit_expressions;
    use std::ops::ControlFlow;
    let numeric: Vec<&str> =
        columns.iter().filter(|c| matches!(c.def.ty, PgType::Numeric { .. })).map(|c| c.def.name.as_str()).collect();
    for column in &create.columns {
        for option in &column.options {
            let ColumnOption::Generated { generation_expr: Some(expr), .. } = &option.option else { continue };
            let reads_numeric = visit_expressions(expr, |e| {
                let ident = match e {
                    Expr::Identifier(ident) => Some(ident),
                    Expr::CompoundIdentifier(parts) => parts.last(),
                    _ => None,
                };
                match ident.map(names::fold) {
                    Some(name) if numeric.contains(&name.as_str()) => ControlFlow::Break(name),
                    _ => ControlFlow::Continue(()),
                }
            });
            if let ControlFlow::Break(operand) = reads_numeric {
                return Err(PlanError::unsupported(format!(
                    "generated column \"{}\" computed from numeric column \"{operand}\"",
                    names::fold(&column.name)
                ))
                .with_hint("SQLite would compute it in binary floating point; compute it in a view or in the client"));
            }
        }
    }
    Ok(())
}

/// The declared primary key and its name, from a column option or a table
/// constraint.
fn primary_key(
    table: &str,
    columns: &[PlannedColumn],
    constraints: &[TableConstraint],
) -> Result<(Vec<String>, Option<String>), PlanError> {
    let mut keys: Vec<(Vec<String>, Option<String>)> = columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| (vec![c.def.name.clone()], c.primary_key_name.clone()))
        .collect();
    for constraint in constraints {
        if let TableConstraint::PrimaryKey(pk) = constraint {
            keys.push((index_column_names(&pk.columns)?, pk.name.as_ref().map(names::fold)));
        }
    }
    if keys.len() > 1 {
        return Err(PlanError::new(
            INVALID_TABLE_DEFINITION,
            format!("multiple primary keys for table \"{table}\" are not allowed"),
        ));
    }
    let (key, name) = keys.pop().unwrap_or_default();
    if let Some(missing) = key.iter().find(|k| !columns.iter().any(|c| &c.def.name == *k)) {
        return Err(PlanError::new("42703", format!("column \"{missing}\" named in key does not exist")));
    }
    Ok((key, name))
}

fn plan_column(
    column: &ast::ColumnDef,
    site: ColumnSite,
    source: &SourceMap,
    schema: &dyn Schema,
) -> Result<PlannedColumn, PlanError> {
    let name = names::fold(&column.name);
    names::check_reserved(&name).map_err(|e| e.at(source.position(column.name.span.start)))?;
    let user_type = crate::usertype::column_type(&column.data_type, schema)?;
    let declared = match &user_type {
        Some(ty) => types::Declared { ty: ty.storage(), serial: false },
        None => types::declared_type(&column.data_type)?,
    };
    types::check_storable(declared.ty)?;
    let mut planned = PlannedColumn {
        def: ColumnDef {
            user_type: user_type.as_ref().map(|t| t.name.clone()),
            name,
            ty: declared.ty,
            not_null: false,
            serial: declared.serial,
            identity: false,
            always: false,
            sequence: None,
            generated: false,
            has_default: declared.serial,
            comment: None,
        },
        primary_key: false,
        primary_key_name: None,
        clauses: vec![],
        identity_options: None,
    };
    for option in &column.options {
        if let (ColumnOption::PrimaryKey(_), Some(name)) = (&option.option, &option.name) {
            planned.primary_key_name = Some(names::fold(name));
        }
        let clause = column_option(&mut planned, &option.option, site, source)?;
        if let Some(clause) = clause {
            let prefix =
                option.name.as_ref().map(|n| format!("CONSTRAINT {} ", quote(&names::fold(n)))).unwrap_or_default();
            planned.clauses.push(format!("{prefix}{clause}"));
        }
    }
    if let Some(length) = planned.def.ty.max_length() {
        planned.clauses.push(format!("CHECK ({})", constraints::length_check(&planned.def.name, length)));
    }
    if let Some(ty) = &user_type {
        user_type_clauses(&mut planned, ty, site, source)?;
    }
    if site == ColumnSite::AddColumn && (planned.primary_key || planned.def.serial) {
        return Err(PlanError::unsupported("ADD COLUMN with PRIMARY KEY or serial"));
    }
    Ok(planned)
}

/// The clauses a column of a user-defined type gets: an enum's collation
/// and label check; a domain's NOT NULL and checks, and its default where
/// the column declares none.
fn user_type_clauses(
    planned: &mut PlannedColumn,
    ty: &crate::usertype::UserType,
    site: ColumnSite,
    source: &SourceMap,
) -> Result<(), PlanError> {
    match &ty.kind {
        crate::usertype::UserTypeKind::Enum(labels) => {
            planned.clauses.extend(crate::usertype::enum_column_clauses(&planned.def.name, ty, labels));
        }
        crate::usertype::UserTypeKind::Domain(domain) => {
            let value = Expr::Identifier(ast::Ident::with_quote('"', planned.def.name.clone()));
            for (condition, constraint) in crate::usertype::domain_conditions(domain, &value)? {
                let condition = ddl_expr(&condition, source)?;
                planned.clauses.push(format!(
                    "CHECK (rc_domain_ok({condition}, {}, {}))",
                    crate::usertype::sql_literal(&crate::usertype::display_name(&ty.name)),
                    constraint.as_deref().map_or_else(|| "NULL".to_string(), crate::usertype::sql_literal)
                ));
            }
            if let (Some(default), false) = (&domain.default, planned.def.has_default) {
                let expr = crate::parse::expression(default)
                    .map_err(|e| PlanError::new(SYNTAX_ERROR, format!("domain default: {e}")))?;
                planned.def.has_default = true;
                planned.clauses.push(format!("DEFAULT {}", default_sql(&expr, site, source)?));
            }
        }
    }
    Ok(())
}

/// Applies one column option; returns its SQLite clause, if it renders one.
fn column_option(
    column: &mut PlannedColumn,
    option: &ColumnOption,
    site: ColumnSite,
    source: &SourceMap,
) -> Result<Option<String>, PlanError> {
    Ok(match option {
        ColumnOption::Null => None,
        ColumnOption::Comment(text) => {
            column.def.comment = Some(text.clone()).filter(|text| !text.is_empty());
            None
        }
        ColumnOption::NotNull => {
            column.def.not_null = true;
            Some("NOT NULL".into())
        }
        ColumnOption::Default(expr) => {
            column.def.has_default = true;
            // A numeric default is stored as the column stores values.
            if let Some(literal) = crate::render::numeric_default(expr, column.def.ty)? {
                return Ok(Some(format!("DEFAULT {literal}")));
            }
            // An array default is stored canonical, so it equals the same
            // array written later; the schema calls no node function, so
            // only a literal (or NULL) can be one.
            if let PgType::Array(_) = column.def.ty {
                return Ok(Some(format!("DEFAULT {}", crate::arrays::default_literal(expr, column.def.ty)?)));
            }
            Some(format!("DEFAULT {}", default_sql(expr, site, source)?))
        }
        ColumnOption::PrimaryKey(_) => {
            column.primary_key = true;
            None
        }
        ColumnOption::Unique(_) if site == ColumnSite::AddColumn => {
            return Err(
                PlanError::unsupported("ADD COLUMN with UNIQUE").with_hint("add the column, then CREATE UNIQUE INDEX")
            )
        }
        ColumnOption::Unique(_) => Some("UNIQUE".into()),
        ColumnOption::Check(check) => {
            let clause = format!("CHECK ({})", ddl_expr(&check.expr, source)?);
            // sqlparser's parser names no column-level check, so a name here
            // is the MySQL lowering's mark of a column type's check.
            let mark = constraints::MYSQL_TYPE_CHECK_MARK;
            match &check.name {
                Some(name) if name.value == mark => Some(format!("{clause} /* {mark} */")),
                _ => Some(clause),
            }
        }
        ColumnOption::ForeignKey(fk) => Some(references(fk)?),
        // An identity column numbers its rows as a serial does: the
        // table's rowid when it is the single integer key declared BY
        // DEFAULT with no options, else a sequence of its own.
        ColumnOption::Generated {
            generated_as: generated_as @ (GeneratedAs::ByDefault | GeneratedAs::Always),
            generation_expr: None,
            sequence_options,
            ..
        } if site == ColumnSite::CreateTable => {
            if !column.def.ty.is_integer() {
                return Err(PlanError::new("22023", "identity column type must be smallint, integer, or bigint"));
            }
            if column.def.identity {
                return Err(PlanError::new(
                    SYNTAX_ERROR,
                    format!("multiple identity specifications for column \"{}\"", column.def.name),
                ));
            }
            column.def.serial = true;
            column.def.identity = true;
            column.def.always = *generated_as == GeneratedAs::Always;
            column.def.not_null = true;
            column.identity_options = match sequence_options {
                Some(options) if !options.is_empty() => Some(crate::sequence::plan_options(options)?),
                _ => None,
            };
            None
        }
        // A stored generated column: SQLite's own, computed on every write
        // of the row from the row alone (so alike on every validator).
        ColumnOption::Generated { generated_as: GeneratedAs::ExpStored, generation_expr: Some(expr), .. }
            if site == ColumnSite::CreateTable =>
        {
            column.def.generated = true;
            Some(format!("GENERATED ALWAYS AS ({}) STORED", ddl_expr(expr, source)?))
        }
        ColumnOption::Generated { generation_expr: Some(_), .. } => {
            return Err(PlanError::unsupported("ADD COLUMN ... GENERATED ALWAYS AS (...) STORED")
                .with_hint("create the table with the generated column"))
        }
        other => return Err(PlanError::unsupported(format!("column option {other}"))),
    })
}

/// DEFAULT in CREATE TABLE is any constant expression in parentheses;
/// SQLite's ADD COLUMN takes only a literal.
fn default_sql(expr: &Expr, site: ColumnSite, source: &SourceMap) -> Result<String, PlanError> {
    let rendered = ddl_expr(expr, source)?;
    if site == ColumnSite::CreateTable {
        return Ok(format!("({rendered})"));
    }
    let literal = match expr {
        Expr::Value(_) => true,
        Expr::UnaryOp { expr, .. } => matches!(**expr, Expr::Value(_)),
        _ => false,
    };
    if !literal {
        return Err(PlanError::unsupported("ADD COLUMN with a non-literal DEFAULT")
            .with_hint("add the column with a literal default, then UPDATE it"));
    }
    Ok(rendered)
}

/// Renders a DEFAULT/CHECK/index expression: write-side determinism, no
/// parameters, no subqueries.
fn ddl_expr(expr: &Expr, source: &SourceMap) -> Result<String, PlanError> {
    let mut renderer = Renderer::for_ddl(source, &NoSchema);
    let rendered = renderer.expr(expr)?;
    if renderer.param_count > 0 {
        return Err(PlanError::new("42P02", "there is no parameter $1").with_hint("DDL statements take no parameters"));
    }
    if !renderer.tables.is_empty() {
        return Err(PlanError::unsupported("a subquery in DEFAULT, CHECK or an index expression"));
    }
    Ok(rendered)
}

fn column_sql(column: &PlannedColumn, rowid_key: Option<&str>, key_prefix: &str) -> String {
    // A key that draws from a sequence must not become SQLite's rowid
    // (which ignores DEFAULT): SQLite makes only an `INTEGER` key the rowid.
    let sqlite_type = if column.def.sequence.is_some() { "INT" } else { column.def.ty.sqlite_type() };
    let mut sql = format!("{} {sqlite_type}", quote(&column.def.name));
    if let Some(collation) = column.def.ty.sqlite_collation() {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    if rowid_key == Some(column.def.name.as_str()) {
        // SQLite's rowid alias: sequential keys for serial, fast lookups.
        sql.push_str(&format!(" {key_prefix}PRIMARY KEY"));
    } else if column.def.not_null && !column.clauses.iter().any(|c| c.ends_with("NOT NULL")) {
        sql.push_str(" NOT NULL");
    }
    for clause in &column.clauses {
        sql.push(' ');
        sql.push_str(clause);
    }
    sql
}

/// Renders a table-level constraint; the primary key is rendered by the caller.
fn table_constraint(constraint: &TableConstraint, source: &SourceMap) -> Result<Option<String>, PlanError> {
    let (name, body) = match constraint {
        TableConstraint::PrimaryKey(_) => return Ok(None),
        TableConstraint::Unique(unique) => {
            (unique.name.as_ref(), format!("UNIQUE ({})", quote_list(&index_column_names(&unique.columns)?)))
        }
        TableConstraint::Check(check) => (check.name.as_ref(), format!("CHECK ({})", ddl_expr(&check.expr, source)?)),
        TableConstraint::ForeignKey(fk) => {
            let columns: Vec<String> = fk.columns.iter().map(names::fold).collect();
            (fk.name.as_ref(), format!("FOREIGN KEY ({}) {}", quote_list(&columns), references(fk)?))
        }
        other => return Err(PlanError::unsupported(format!("table constraint {other}"))),
    };
    let prefix = name.map(|n| format!("CONSTRAINT {} ", quote(&names::fold(n)))).unwrap_or_default();
    Ok(Some(format!("{prefix}{body}")))
}

fn references(fk: &ForeignKeyConstraint) -> Result<String, PlanError> {
    if fk.match_kind.is_some() {
        return Err(PlanError::unsupported("REFERENCES ... MATCH"));
    }
    let mut sql = format!("REFERENCES {}", quote(&names::resolve_target(&fk.foreign_table)?));
    if !fk.referred_columns.is_empty() {
        let columns: Vec<String> = fk.referred_columns.iter().map(names::fold).collect();
        sql.push_str(&format!(" ({})", quote_list(&columns)));
    }
    if let Some(action) = &fk.on_delete {
        sql.push_str(&format!(" ON DELETE {action}"));
    }
    if let Some(action) = &fk.on_update {
        sql.push_str(&format!(" ON UPDATE {action}"));
    }
    Ok(sql)
}

/// Column names of a key or UNIQUE list; expressions are not allowed there.
fn index_column_names(columns: &[IndexColumn]) -> Result<Vec<String>, PlanError> {
    columns
        .iter()
        .map(|column| match &column.column.expr {
            Expr::Identifier(ident) => {
                let name = names::fold(ident);
                names::check_reserved(&name)?;
                Ok(name)
            }
            other => Err(PlanError::unsupported(format!("expression {other} in a key"))),
        })
        .collect()
}

fn quote_list(names: &[String]) -> String {
    names.iter().map(|n| quote(n)).collect::<Vec<_>>().join(", ")
}

fn create_index(create: &CreateIndex, source: &SourceMap) -> Result<DdlPlan, PlanError> {
    let unsupported = !create.include.is_empty()
        || create.nulls_distinct == Some(false)
        || !create.with.is_empty()
        || !create.index_options.is_empty()
        || !create.alter_options.is_empty();
    if unsupported || create.using.as_ref().is_some_and(|using| !using.to_string().eq_ignore_ascii_case("btree")) {
        return Err(PlanError::unsupported("this form of CREATE INDEX"));
    }
    let table = names::resolve_target(&create.table_name)?;
    let columns = create.columns.iter().map(|c| index_column(c, source)).collect::<Result<Vec<_>, _>>()?;
    // An index lives in its table's schema.
    let name = match &create.name {
        Some(name) => names::in_schema_of(&table, name)?,
        None => default_index_name(&table, &create.columns),
    };
    names::check_reserved(&name)?;
    let mut sql = format!(
        "CREATE {}INDEX {}{} ON {} ({})",
        if create.unique { "UNIQUE " } else { "" },
        if create.if_not_exists { "IF NOT EXISTS " } else { "" },
        quote(&name),
        quote(&table),
        columns.join(", ")
    );
    if let Some(predicate) = &create.predicate {
        sql.push_str(&format!(" WHERE {}", ddl_expr(predicate, source)?));
    }
    Ok(DdlPlan::CreateIndex { name, table, unique: create.unique, if_not_exists: create.if_not_exists, sqlite: sql })
}

/// PostgreSQL's name for an unnamed index: `table_col1_col2_idx`, with
/// `expr` (or the function name) standing for expressions.
fn default_index_name(table: &str, columns: &[IndexColumn]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|column| match &column.column.expr {
            Expr::Identifier(ident) => names::fold(ident),
            Expr::Function(function) => function.name.to_string().to_lowercase(),
            _ => "expr".to_string(),
        })
        .collect();
    format!("{table}_{}_idx", parts.join("_"))
}

fn index_column(column: &IndexColumn, source: &SourceMap) -> Result<String, PlanError> {
    if column.column.options.nulls_first.is_some() {
        // SQLite's index has no NULLS clause: it sorts NULLs first
        // ascending, which PostgreSQL's default is not.
        return Err(PlanError::unsupported("NULLS FIRST/LAST in an index"));
    }
    if let Some(class) = &column.operator_class {
        btree_operator_class(class)?;
    }
    let mut sql = match &column.column.expr {
        Expr::Identifier(ident) => {
            let name = names::fold(ident);
            names::check_reserved(&name)?;
            quote(&name)
        }
        other => format!("({})", ddl_expr(other, source)?),
    };
    match column.column.options.sort {
        Some(OrderBySort::Asc) => sql.push_str(" ASC"),
        Some(OrderBySort::Desc) => sql.push_str(" DESC"),
        None => {}
        Some(_) => return Err(PlanError::unsupported("USING in an index column")),
    }
    Ok(sql)
}

/// PostgreSQL 15's btree operator classes (`pg_opclass` for access method
/// `btree`), by name.
const BTREE_OPERATOR_CLASSES: &[&str] = &[
    "array_ops",
    "bit_ops",
    "bool_ops",
    "bpchar_ops",
    "bpchar_pattern_ops",
    "bytea_ops",
    "char_ops",
    "cidr_ops",
    "date_ops",
    "enum_ops",
    "float4_ops",
    "float8_ops",
    "inet_ops",
    "int2_ops",
    "int4_ops",
    "int8_ops",
    "interval_ops",
    "jsonb_ops",
    "macaddr8_ops",
    "macaddr_ops",
    "money_ops",
    "multirange_ops",
    "name_ops",
    "numeric_ops",
    "oid_ops",
    "oidvector_ops",
    "pg_lsn_ops",
    "range_ops",
    "record_image_ops",
    "record_ops",
    "text_ops",
    "text_pattern_ops",
    "tid_ops",
    "time_ops",
    "timestamp_ops",
    "timestamptz_ops",
    "timetz_ops",
    "tsquery_ops",
    "tsvector_ops",
    "uuid_ops",
    "varbit_ops",
    "varchar_ops",
    "varchar_pattern_ops",
    "xid8_ops",
];

/// Checks an index column's operator class (`name varchar_pattern_ops`,
/// which Django gives every `_like` index) against PostgreSQL's btree
/// classes, optionally `pg_catalog.`-qualified, where PostgreSQL keeps them.
/// A known class changes nothing in the SQLite index: in PostgreSQL it only
/// decides which operators may use the index (the `_pattern_ops` classes
/// compare bytewise for `LIKE 'x%'`), and SQLite chooses its own plans.
/// Whether the class accepts the column's type (PostgreSQL's 42804) is not
/// checked.
fn btree_operator_class(class: &ast::ObjectName) -> Result<(), PlanError> {
    let parts: Vec<String> =
        class.0.iter().map(|part| part.as_ident().map_or_else(|| part.to_string(), names::fold)).collect();
    let known = match parts.as_slice() {
        [name] => BTREE_OPERATOR_CLASSES.contains(&name.as_str()),
        [schema, name] => schema == "pg_catalog" && BTREE_OPERATOR_CLASSES.contains(&name.as_str()),
        _ => false,
    };
    if known {
        return Ok(());
    }
    Err(PlanError::new(
        "42704",
        format!("operator class \"{}\" does not exist for access method \"btree\"", parts.join(".")),
    ))
}

fn alter_table(alter: &ast::AlterTable, source: &SourceMap, schema: &dyn Schema) -> Result<DdlPlan, PlanError> {
    if alter.if_exists || alter.table_type.is_some() || alter.location.is_some() {
        return Err(PlanError::unsupported("this form of ALTER TABLE"));
    }
    let table = names::resolve_target(&alter.name)?;
    let [operation] = alter.operations.as_slice() else {
        return Err(
            PlanError::unsupported("ALTER TABLE with several actions").with_hint("send one action per ALTER TABLE")
        );
    };
    match operation {
        AlterTableOperation::EnableRowLevelSecurity => Ok(DdlPlan::RowSecurity { table, enabled: true }),
        AlterTableOperation::DisableRowLevelSecurity => Ok(DdlPlan::RowSecurity { table, enabled: false }),
        AlterTableOperation::RenameTable { table_name: RenameTableNameKind::To(to) | RenameTableNameKind::As(to) } => {
            let to = names::in_schema_of(&table, to)?;
            let sqlite = format!("ALTER TABLE {} RENAME TO {}", quote(&table), quote(&to));
            Ok(DdlPlan::RenameTable { from: table, to, sqlite })
        }
        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
            let (from, to) = (names::fold(old_column_name), names::fold(new_column_name));
            names::check_reserved(&to)?;
            let sqlite = format!("ALTER TABLE {} RENAME COLUMN {} TO {}", quote(&table), quote(&from), quote(&to));
            Ok(DdlPlan::RenameColumn { table, from, to, sqlite })
        }
        AlterTableOperation::AddConstraint { constraint: ast::TableConstraint::PrimaryKey(pk), .. } => {
            let mut columns = Vec::with_capacity(pk.columns.len());
            for c in &pk.columns {
                match &c.column.expr {
                    ast::Expr::Identifier(i) => columns.push(names::fold(i)),
                    _ => return Err(PlanError::unsupported("a primary key on an expression")),
                }
            }
            let index = ConstraintKind::PrimaryKey.default_name(&table, &columns);
            let cols: Vec<String> = columns.iter().map(|c| quote(c)).collect();
            let sqlite = format!("CREATE UNIQUE INDEX {} ON {} ({})", quote(&index), quote(&table), cols.join(", "));
            Ok(DdlPlan::AddPrimaryKey { table, columns, sqlite })
        }
        AlterTableOperation::AddConstraint { constraint: ast::TableConstraint::ForeignKey(fk), not_valid } => {
            let columns: Vec<String> = fk.columns.iter().map(names::fold).collect();
            if columns.is_empty() {
                return Err(PlanError::new("42601", "a foreign key needs at least one column"));
            }
            let name = fk
                .name
                .as_ref()
                .map(names::fold)
                .unwrap_or_else(|| ConstraintKind::ForeignKey.default_name(&table, &columns));
            let clause =
                format!("CONSTRAINT {} FOREIGN KEY ({}) {}", quote(&name), quote_list(&columns), references(fk)?);
            let references = names::resolve_target(&fk.foreign_table)?;
            let referenced = fk.referred_columns.iter().map(names::fold).collect();
            Ok(DdlPlan::AddForeignKey { table, columns, references, referenced, clause, validate: !not_valid })
        }
        AlterTableOperation::AddConstraint { constraint: ast::TableConstraint::Unique(unique), .. } => {
            // A UNIQUE constraint is kept as the unique index that enforces it.
            let columns = index_column_names(&unique.columns)?;
            let name = unique
                .name
                .as_ref()
                .map(names::fold)
                .unwrap_or_else(|| ConstraintKind::Unique.default_name(&table, &columns));
            names::check_reserved(&name)?;
            let sqlite =
                format!("CREATE UNIQUE INDEX {} ON {} ({})", quote(&name), quote(&table), quote_list(&columns));
            Ok(DdlPlan::CreateIndex { name, table, unique: true, if_not_exists: false, sqlite })
        }
        AlterTableOperation::AddColumn { if_not_exists: false, column_def, column_position: None, .. } => {
            let column = plan_column(column_def, ColumnSite::AddColumn, source, schema)?;
            let sqlite = format!("ALTER TABLE {} ADD COLUMN {}", quote(&table), column_sql(&column, None, ""));
            Ok(DdlPlan::AddColumn { table, column: column.def, sqlite })
        }
        other => {
            let words: Vec<String> = other.to_string().split_whitespace().take(2).map(str::to_string).collect();
            Err(PlanError::unsupported(format!("ALTER TABLE {}", words.join(" "))))
        }
    }
}
