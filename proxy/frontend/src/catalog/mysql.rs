//! `information_schema` as MySQL shows it, for MySQL-dialect sessions:
//! `TABLES`, `COLUMNS`, `STATISTICS`, `KEY_COLUMN_USAGE`,
//! `TABLE_CONSTRAINTS`, `REFERENTIAL_CONSTRAINTS`, `CHECK_CONSTRAINTS`,
//! `VIEWS`, `SCHEMATA`, `ENGINES`, `CHARACTER_SETS` and `COLLATIONS`, with
//! MariaDB 10's column lists (upper-case names, `TABLE_CATALOG` 'def',
//! `TABLE_SCHEMA` the database, MySQL type names), which MariaDB
//! Connector/J's `DatabaseMetaData` and Django's MySQL introspection read.
//!
//! A MySQL database is a schema: `public`'s relations are in the
//! database's own (`TABLE_SCHEMA` the database's name), a user schema's in
//! a database of that name, which has its own `SCHEMATA` row.
//!
//! The tables live in the attached `information_schema` database next to
//! PostgreSQL's, named `mysql_<name>` (lower case): sqlmap's MySQL dialect
//! plans `information_schema.TABLES` (any case) as
//! `information_schema.mysql_tables` (sqlmap/src/mysql/lower.rs, which
//! keeps the same list of names), so the PostgreSQL wire never sees them
//! and `pg_class` does not list them.
//!
//! A view is a `TABLES` row of type `VIEW` (no engine, no sizes, the
//! comment `VIEW`, as MySQL shows one), its columns in `COLUMNS`, and a
//! `VIEWS` row with its SELECT in MySQL's words
//! ([`super::viewdef::mysql`]); its owner is its `DEFINER` (`name@%`).
//!
//! The tables that describe user tables are views over `mysql_<name>_rows`
//! that keep only the tables the session's role may use at all (owner,
//! admin, or any grant, as MySQL lists a table on any privilege):
//! `rc_mysql_listed(schema, table)`. The rows themselves are built once per
//! catalog version, as every other emulated table's.
//!
//! Deliberately absent: CHECK constraints (`CHECK_CONSTRAINTS` stays
//! empty; the PostgreSQL tables list them, [`super::checks`]), row counts
//! and sizes (0), comments (''), and the indexes InnoDB would add for
//! foreign keys.

use node_core::catalog::{PartKind, TableMeta};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::Value as V;
use rusqlite::Connection;

use super::schema::TableDef;
use super::snapshot::{action_rule, attnum_column, i, local_name, opt, t, Rows, TableFacts};

/// The attached database holding the tables.
const SCHEMA: &str = "information_schema";

/// `(name, filtered by table privileges, "COLUMN type, ...")`: a table's
/// MySQL name (lower case) and its columns, typed by PostgreSQL type
/// names for the result columns' types. A filtered table's rows are in
/// `mysql_<name>_rows`, shown through the view `mysql_<name>`.
const TABLES: &[(&str, bool, &str)] = &[
    (
        "tables",
        true,
        "TABLE_CATALOG varchar, TABLE_SCHEMA varchar, TABLE_NAME varchar, TABLE_TYPE varchar, ENGINE varchar, \
         VERSION int8, ROW_FORMAT varchar, TABLE_ROWS int8, AVG_ROW_LENGTH int8, DATA_LENGTH int8, \
         MAX_DATA_LENGTH int8, INDEX_LENGTH int8, DATA_FREE int8, AUTO_INCREMENT int8, CREATE_TIME timestamp, \
         UPDATE_TIME timestamp, CHECK_TIME timestamp, TABLE_COLLATION varchar, CHECKSUM int8, \
         CREATE_OPTIONS varchar, TABLE_COMMENT varchar, MAX_INDEX_LENGTH int8, TEMPORARY varchar",
    ),
    (
        "columns",
        true,
        "TABLE_CATALOG varchar, TABLE_SCHEMA varchar, TABLE_NAME varchar, COLUMN_NAME varchar, \
         ORDINAL_POSITION int8, COLUMN_DEFAULT text, IS_NULLABLE varchar, DATA_TYPE varchar, \
         CHARACTER_MAXIMUM_LENGTH int8, CHARACTER_OCTET_LENGTH int8, NUMERIC_PRECISION int8, \
         NUMERIC_SCALE int8, DATETIME_PRECISION int8, CHARACTER_SET_NAME varchar, COLLATION_NAME varchar, \
         COLUMN_TYPE text, COLUMN_KEY varchar, EXTRA varchar, PRIVILEGES varchar, COLUMN_COMMENT varchar, \
         IS_GENERATED varchar, GENERATION_EXPRESSION text",
    ),
    (
        "statistics",
        true,
        "TABLE_CATALOG varchar, TABLE_SCHEMA varchar, TABLE_NAME varchar, NON_UNIQUE int8, INDEX_SCHEMA varchar, \
         INDEX_NAME varchar, SEQ_IN_INDEX int8, COLUMN_NAME varchar, COLLATION varchar, CARDINALITY int8, \
         SUB_PART int8, PACKED varchar, NULLABLE varchar, INDEX_TYPE varchar, COMMENT varchar, \
         INDEX_COMMENT varchar, IGNORED varchar",
    ),
    (
        "key_column_usage",
        true,
        "CONSTRAINT_CATALOG varchar, CONSTRAINT_SCHEMA varchar, CONSTRAINT_NAME varchar, TABLE_CATALOG varchar, \
         TABLE_SCHEMA varchar, TABLE_NAME varchar, COLUMN_NAME varchar, ORDINAL_POSITION int8, \
         POSITION_IN_UNIQUE_CONSTRAINT int8, REFERENCED_TABLE_SCHEMA varchar, REFERENCED_TABLE_NAME varchar, \
         REFERENCED_COLUMN_NAME varchar",
    ),
    (
        "table_constraints",
        true,
        "CONSTRAINT_CATALOG varchar, CONSTRAINT_SCHEMA varchar, CONSTRAINT_NAME varchar, TABLE_SCHEMA varchar, \
         TABLE_NAME varchar, CONSTRAINT_TYPE varchar",
    ),
    (
        "referential_constraints",
        true,
        "CONSTRAINT_CATALOG varchar, CONSTRAINT_SCHEMA varchar, CONSTRAINT_NAME varchar, \
         UNIQUE_CONSTRAINT_CATALOG varchar, UNIQUE_CONSTRAINT_SCHEMA varchar, UNIQUE_CONSTRAINT_NAME varchar, \
         MATCH_OPTION varchar, UPDATE_RULE varchar, DELETE_RULE varchar, TABLE_NAME varchar, \
         REFERENCED_TABLE_NAME varchar",
    ),
    (
        "check_constraints",
        true,
        "CONSTRAINT_CATALOG varchar, CONSTRAINT_SCHEMA varchar, TABLE_NAME varchar, CONSTRAINT_NAME varchar, \
         LEVEL varchar, CHECK_CLAUSE text",
    ),
    (
        "views",
        true,
        "TABLE_CATALOG varchar, TABLE_SCHEMA varchar, TABLE_NAME varchar, VIEW_DEFINITION text, \
         CHECK_OPTION varchar, IS_UPDATABLE varchar, DEFINER varchar, SECURITY_TYPE varchar, \
         CHARACTER_SET_CLIENT varchar, COLLATION_CONNECTION varchar, ALGORITHM varchar",
    ),
    (
        "schemata",
        false,
        "CATALOG_NAME varchar, SCHEMA_NAME varchar, DEFAULT_CHARACTER_SET_NAME varchar, \
         DEFAULT_COLLATION_NAME varchar, SQL_PATH varchar, SCHEMA_COMMENT varchar",
    ),
    (
        "engines",
        false,
        "ENGINE varchar, SUPPORT varchar, COMMENT varchar, TRANSACTIONS varchar, XA varchar, SAVEPOINTS varchar",
    ),
    (
        "character_sets",
        false,
        "CHARACTER_SET_NAME varchar, DEFAULT_COLLATE_NAME varchar, DESCRIPTION varchar, MAXLEN int8",
    ),
    (
        "collations",
        false,
        "COLLATION_NAME varchar, CHARACTER_SET_NAME varchar, ID int8, IS_DEFAULT varchar, IS_COMPILED varchar, \
         SORTLEN int8",
    ),
];

/// The character set and collation of text columns and tables.
const CHARSET: &str = "utf8mb4";
const COLLATION: &str = "utf8mb4_general_ci";

/// The table holding a MySQL table's rows (the view's base when filtered).
fn rows_table(name: &str, filtered: bool) -> String {
    if filtered {
        format!("mysql_{name}_rows")
    } else {
        format!("mysql_{name}")
    }
}

/// The tables that hold the rows, as [`TableDef`]s of `information_schema`.
// TABLES is a literal of this module; any catalog query parses all of it.
#[allow(clippy::expect_used)]
pub(super) fn tables() -> &'static [TableDef] {
    static DEFS: std::sync::OnceLock<Vec<TableDef>> = std::sync::OnceLock::new();
    DEFS.get_or_init(|| {
        TABLES
            .iter()
            .map(|(name, filtered, columns)| TableDef {
                schema: SCHEMA,
                name: Box::leak(rows_table(name, *filtered).into_boxed_str()),
                columns: columns.split(',').map(|c| c.trim().split_once(' ').expect("column and type")).collect(),
            })
            .collect()
    })
}

/// The tables and the views that filter their rows by the session's
/// privileges. Text compares without regard to case, as MySQL's
/// information_schema (`utf8mb3_general_ci`) does: `IS_NULLABLE = 'yes'`
/// and `TABLE_NAME = 'Parent'` match.
pub(super) fn create_sql() -> String {
    let mut sql = String::new();
    for def in tables() {
        let columns: Vec<String> = def
            .columns
            .iter()
            .map(|(name, ty)| match *ty {
                "int8" => format!("\"{name}\" INTEGER"),
                _ => format!("\"{name}\" TEXT COLLATE NOCASE"),
            })
            .collect();
        sql.push_str(&format!("CREATE TABLE \"{}\".\"{}\" ({});\n", def.schema, def.name, columns.join(", ")));
    }
    for (name, filtered, columns) in TABLES {
        if *filtered {
            // The table's schema is the constraint's where no column names it.
            let schema = if columns.contains("TABLE_SCHEMA") { "TABLE_SCHEMA" } else { "CONSTRAINT_SCHEMA" };
            sql.push_str(&format!(
                "CREATE VIEW \"{SCHEMA}\".\"mysql_{name}\" AS SELECT * FROM \"{}\" WHERE rc_mysql_listed({schema}, TABLE_NAME);\n",
                rows_table(name, true)
            ));
        }
    }
    sql
}

/// The character sets a MySQL session may name (`SET NAMES`, `SHOW
/// CHARACTER SET`, `information_schema.CHARACTER_SETS`): (name,
/// description, default collation, bytes per character at most).
pub const CHARACTER_SETS: &[(&str, &str, &str, u8)] = &[
    ("utf8mb4", "UTF-8 Unicode", "utf8mb4_general_ci", 4),
    ("utf8mb3", "UTF-8 Unicode", "utf8mb3_general_ci", 3),
    ("utf8", "UTF-8 Unicode", "utf8_general_ci", 3),
    ("binary", "Binary pseudo charset", "binary", 1),
    ("ascii", "US ASCII", "ascii_general_ci", 1),
    ("latin1", "cp1252 West European", "latin1_swedish_ci", 1),
];

/// Their collations: (name, character set, id).
pub const COLLATIONS: &[(&str, &str, u16)] = &[
    ("utf8mb4_general_ci", "utf8mb4", 45),
    ("utf8mb4_bin", "utf8mb4", 46),
    ("utf8mb4_unicode_ci", "utf8mb4", 224),
    ("utf8mb4_0900_ai_ci", "utf8mb4", 255),
    ("utf8mb3_general_ci", "utf8mb3", 33),
    ("utf8_general_ci", "utf8", 33),
    ("utf8mb3_bin", "utf8mb3", 83),
    ("binary", "binary", 63),
    ("ascii_general_ci", "ascii", 11),
    ("latin1_swedish_ci", "latin1", 8),
];

/// Registers `rc_mysql_listed(schema, table)`: whether the session's role
/// may use `table` of MySQL database `schema` at all. Innocuous, as the
/// views that call it must be allowed to: it reads nothing but the
/// catalog.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("rc_mysql_listed", 2, flags, |ctx| listed(ctx))
}

fn listed(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (schema, name): (Option<String>, Option<String>) = (ctx.get(0).ok(), ctx.get(1).ok());
    let (Some(schema), Some(name)) = (schema, name) else { return Ok(V::Integer(0)) };
    let snap = super::current_snapshot().unwrap_or_default();
    // Outside a session (the node's own reads): every table.
    let Some(session) = super::current_session() else { return Ok(V::Integer(1)) };
    // The database's own tables are public's.
    let schema = if schema == snap.database { "public" } else { schema.as_str() };
    let sqlite = sqlmap::qualify(schema, &name);
    let Some(meta) = snap.tables.values().find(|m| m.name == sqlite) else {
        // Not a user table: readable by all.
        return Ok(V::Integer(1));
    };
    let Some(who) = snap.who(&session.user) else { return Ok(V::Integer(0)) };
    Ok(V::Integer(may_use(meta, who) as i64))
}

/// Any privilege on the table, or on one of its columns.
fn may_use(meta: &TableMeta, who: node_core::acl::Who<'_>) -> bool {
    use node_core::catalog::privilege;
    node_core::acl::has(meta, who, privilege::ALL)
        || meta.columns.iter().any(|c| node_core::acl::may_update(meta, who, &c.name))
}

/// The MySQL spelling of a declared PostgreSQL type, as `COLUMN_TYPE`
/// (and `SHOW COLUMNS`) print it: `int`, `varchar(20)`, `tinyint(1)`.
pub fn mysql_type_name(pg_type: &str) -> String {
    let (base, args) = match pg_type.split_once('(') {
        Some((base, rest)) => (base.trim(), rest.strip_suffix(')').map(str::to_string)),
        None => (pg_type.trim(), None),
    };
    let with = |name: &str| match &args {
        Some(args) => format!("{name}({args})"),
        None => name.to_string(),
    };
    match base {
        "boolean" => "tinyint(1)".into(),
        "smallint" => "smallint".into(),
        "integer" => "int".into(),
        "bigint" => "bigint".into(),
        "real" => "float".into(),
        "double precision" => "double".into(),
        "numeric" => with("decimal"),
        "character varying" => with("varchar"),
        "character" => with("char"),
        "text" => "text".into(),
        "bytea" => "blob".into(),
        "date" => "date".into(),
        // Timestamps keep microseconds, as DATETIME(6) does.
        "timestamp without time zone" => "datetime(6)".into(),
        "timestamp with time zone" => "timestamp(6)".into(),
        "time without time zone" => "time".into(),
        "json" | "jsonb" => "json".into(),
        "uuid" => "char(36)".into(),
        other => other.to_string(),
    }
}

/// What `COLUMNS` says about a column's type.
#[derive(Default)]
struct TypeFacts {
    data_type: String,
    column_type: String,
    length: Option<i64>,
    octets: Option<i64>,
    precision: Option<i64>,
    scale: Option<i64>,
    datetime: Option<i64>,
    text: bool,
}

fn type_facts(pg_type: &str) -> TypeFacts {
    let column_type = mysql_type_name(pg_type);
    let data_type = column_type.split('(').next().unwrap_or_default().to_string();
    let args: Vec<i64> = column_type
        .split_once('(')
        .map(|(_, rest)| rest.trim_end_matches(')').split(',').filter_map(|a| a.trim().parse().ok()).collect())
        .unwrap_or_default();
    let mut facts = TypeFacts { data_type, column_type, ..Default::default() };
    match facts.data_type.as_str() {
        "varchar" | "char" => {
            let n = args.first().copied().unwrap_or(if facts.data_type == "char" { 1 } else { 65535 });
            facts.length = Some(n);
            facts.octets = Some(n * 4);
            facts.text = true;
        }
        "text" | "blob" => {
            facts.length = Some(65535);
            facts.octets = Some(65535);
            facts.text = facts.data_type == "text";
        }
        "json" => {
            facts.length = Some(4_294_967_295);
            facts.octets = Some(4_294_967_295);
        }
        "tinyint" => (facts.precision, facts.scale) = (Some(3), Some(0)),
        "smallint" => (facts.precision, facts.scale) = (Some(5), Some(0)),
        "int" => (facts.precision, facts.scale) = (Some(10), Some(0)),
        "bigint" => (facts.precision, facts.scale) = (Some(19), Some(0)),
        "float" => facts.precision = Some(12),
        "double" => facts.precision = Some(22),
        "decimal" => {
            // An unconstrained numeric: MySQL's widest decimal.
            facts.precision = Some(args.first().copied().unwrap_or(65));
            facts.scale = Some(args.get(1).copied().unwrap_or(if args.is_empty() { 30 } else { 0 }));
        }
        "datetime" | "timestamp" => facts.datetime = Some(6),
        "time" => facts.datetime = Some(0),
        _ => {}
    }
    facts
}

/// A default as MySQL 8 prints it in `COLUMN_DEFAULT`: a literal's value
/// unquoted, `CURRENT_TIMESTAMP`, NULL for none (and for an
/// auto-increment column), from the PostgreSQL form the catalog keeps.
fn mysql_default(pg_default: Option<&str>) -> Option<String> {
    let d = pg_default?.trim();
    if d.starts_with("nextval(") {
        return None;
    }
    Some(match d {
        "now()" => "CURRENT_TIMESTAMP".into(),
        "CURRENT_DATE" => "curdate()".into(),
        "CURRENT_TIME" => "curtime()".into(),
        "true" => "1".into(),
        "false" => "0".into(),
        _ if d.starts_with('\'') => {
            let literal = d.rfind("'::").and_then(|end| d.get(..=end)).unwrap_or(d);
            let inner = literal.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')).unwrap_or(literal);
            inner.replace("''", "'")
        }
        _ => d.to_string(),
    })
}

/// The MySQL name of an index: `PRIMARY`, a UNIQUE constraint's first
/// column (as MySQL names an unnamed one), else the index's own name.
fn index_name(f: &TableFacts<'_>, ix: &super::snapshot::Index) -> String {
    if ix.primary {
        return "PRIMARY".into();
    }
    if ix.constraint == Some('u') {
        let first = ix.attnums.first().and_then(|a| attnum_column(&f.meta.columns, *a));
        if let Some(column) = first {
            return column.name.clone();
        }
    }
    ix.name.clone()
}

/// A `SCHEMATA` row: a MySQL database, with its comment.
pub(super) fn schema_row(rows: &mut Rows, name: &str, comment: Option<&str>) {
    rows.push(
        SCHEMA,
        "mysql_schemata",
        &[
            ("CATALOG_NAME", t("def")),
            ("SCHEMA_NAME", t(name)),
            ("DEFAULT_CHARACTER_SET_NAME", t(CHARSET)),
            ("DEFAULT_COLLATION_NAME", t(COLLATION)),
            ("SCHEMA_COMMENT", t(comment.unwrap_or_default())),
        ],
    );
}

/// The rows that do not depend on the chain.
pub(super) fn fixed_rows(rows: &mut Rows, database: &str) {
    for schema in ["information_schema", database] {
        schema_row(rows, schema, None);
    }
    rows.push(
        SCHEMA,
        "mysql_engines",
        &[
            ("ENGINE", t("InnoDB")),
            ("SUPPORT", t("DEFAULT")),
            ("COMMENT", t("rowchain: SQLite over a permissioned chain")),
            ("TRANSACTIONS", t("YES")),
            ("XA", t("NO")),
            ("SAVEPOINTS", t("YES")),
        ],
    );
    for &(name, description, collation, maxlen) in CHARACTER_SETS {
        rows.push(
            SCHEMA,
            "mysql_character_sets",
            &[
                ("CHARACTER_SET_NAME", t(name)),
                ("DEFAULT_COLLATE_NAME", t(collation)),
                ("DESCRIPTION", t(description)),
                ("MAXLEN", i(maxlen)),
            ],
        );
    }
    for &(name, charset, id) in COLLATIONS {
        let default = if CHARACTER_SETS.iter().any(|&(c, _, d, _)| c == charset && d == name) { "Yes" } else { "" };
        rows.push(
            SCHEMA,
            "mysql_collations",
            &[
                ("COLLATION_NAME", t(name)),
                ("CHARACTER_SET_NAME", t(charset)),
                ("ID", i(id)),
                ("IS_DEFAULT", t(default)),
                ("IS_COMPILED", t("Yes")),
                ("SORTLEN", i(1)),
            ],
        );
    }
}

/// A user table's rows: `TABLES`, `COLUMNS`, `STATISTICS`, its
/// constraints and their key columns; a view's: `TABLES`, `COLUMNS` and
/// `VIEWS`. `owner` is the owner's role name.
pub(super) fn table_rows(rows: &mut Rows, f: &TableFacts<'_>, all: &[TableFacts<'_>], owner: &str, database: &str) {
    if f.meta.is_view() {
        view_rows(rows, f, all, owner, database);
        columns(rows, f, database);
        return;
    }
    let meta = f.meta;
    let (schema, name) = sqlmap::mysql_relation(&meta.name, database);
    rows.push(
        SCHEMA,
        "mysql_tables_rows",
        &[
            ("TABLE_CATALOG", t("def")),
            ("TABLE_SCHEMA", t(schema)),
            ("TABLE_NAME", t(name)),
            ("TABLE_TYPE", t("BASE TABLE")),
            ("ENGINE", t("InnoDB")),
            ("VERSION", i(10)),
            ("ROW_FORMAT", t("Dynamic")),
            ("TABLE_ROWS", i(0)),
            ("AVG_ROW_LENGTH", i(0)),
            ("DATA_LENGTH", i(0)),
            ("MAX_DATA_LENGTH", i(0)),
            ("INDEX_LENGTH", i(0)),
            ("DATA_FREE", i(0)),
            ("TABLE_COLLATION", t(COLLATION)),
            ("CREATE_OPTIONS", t("")),
            ("TABLE_COMMENT", t(meta.comment.as_deref().unwrap_or_default())),
            ("MAX_INDEX_LENGTH", i(0)),
            ("TEMPORARY", t("N")),
        ],
    );
    columns(rows, f, database);
    for ix in &f.indexes {
        let index = index_name(f, ix);
        for (seq, attnum) in ix.attnums.iter().enumerate() {
            let column = attnum_column(&meta.columns, *attnum);
            let nullable = column.is_some_and(|c| {
                let n = meta.columns.iter().position(|x| x.name == c.name).unwrap_or(0);
                !c.not_null && !meta.primary_key.contains(&n)
            });
            rows.push(
                SCHEMA,
                "mysql_statistics_rows",
                &[
                    ("TABLE_CATALOG", t("def")),
                    ("TABLE_SCHEMA", t(schema)),
                    ("TABLE_NAME", t(name)),
                    ("NON_UNIQUE", i(!ix.unique as i64)),
                    ("INDEX_SCHEMA", t(schema)),
                    ("INDEX_NAME", t(&index)),
                    ("SEQ_IN_INDEX", i(seq as i64 + 1)),
                    ("COLUMN_NAME", opt(column.map(|c| c.name.clone()))),
                    ("COLLATION", t("A")),
                    ("CARDINALITY", i(0)),
                    ("NULLABLE", t(if nullable { "YES" } else { "" })),
                    ("INDEX_TYPE", t("BTREE")),
                    ("COMMENT", t("")),
                    ("INDEX_COMMENT", t(index_comment(f, &ix.name))),
                    ("IGNORED", t("NO")),
                ],
            );
        }
        if !ix.unique {
            continue;
        }
        constraint(rows, (schema, name), &index, if ix.primary { "PRIMARY KEY" } else { "UNIQUE" });
        let columns = ix.attnums.iter().filter_map(|a| attnum_column(&meta.columns, *a));
        for (n, column) in columns.enumerate() {
            key_column(rows, (schema, name), &index, &column.name, n as i64 + 1, None);
        }
    }
    for fk in &f.foreign_keys {
        foreign_key(rows, f, fk, all, database);
    }
}

/// The comment on index `name` (a name within the table's schema), '' for none.
fn index_comment<'f>(f: &'f TableFacts<'_>, name: &str) -> &'f str {
    let mut comments = f.meta.part_comments.iter().filter(|c| c.kind == PartKind::Index);
    comments.find(|c| local_name(f.schema, &c.name) == name).map_or("", |c| c.text.as_str())
}

/// A view's `TABLES` and `VIEWS` rows.
fn view_rows(rows: &mut Rows, f: &TableFacts<'_>, all: &[TableFacts<'_>], owner: &str, database: &str) {
    let meta = f.meta;
    let Some(view) = &meta.view else { return };
    let (schema, name) = sqlmap::mysql_relation(&meta.name, database);
    rows.push(
        SCHEMA,
        "mysql_tables_rows",
        &[
            ("TABLE_CATALOG", t("def")),
            ("TABLE_SCHEMA", t(schema)),
            ("TABLE_NAME", t(name)),
            ("TABLE_TYPE", t("VIEW")),
            ("TABLE_COMMENT", t("VIEW")),
        ],
    );
    let relation = |name: &str| all.iter().find(|x| x.meta.name == name).map(|x| x.meta);
    let definition = super::viewdef::mysql_in(meta, &relation, Some(database)).unwrap_or_default();
    rows.push(
        SCHEMA,
        "mysql_views_rows",
        &[
            ("TABLE_CATALOG", t("def")),
            ("TABLE_SCHEMA", t(schema)),
            ("TABLE_NAME", t(name)),
            ("VIEW_DEFINITION", t(definition)),
            ("CHECK_OPTION", t("NONE")),
            ("IS_UPDATABLE", t("NO")),
            ("DEFINER", t(format!("{owner}@%"))),
            ("SECURITY_TYPE", t(if view.security_invoker { "INVOKER" } else { "DEFINER" })),
            ("CHARACTER_SET_CLIENT", t(CHARSET)),
            ("COLLATION_CONNECTION", t(COLLATION)),
            ("ALGORITHM", t("UNDEFINED")),
        ],
    );
}

fn columns(rows: &mut Rows, f: &TableFacts<'_>, database: &str) {
    let meta = f.meta;
    let (schema, name) = sqlmap::mysql_relation(&meta.name, database);
    // PRI, then UNI (the only column of a unique index), then MUL (the
    // first column of any other index), as MySQL marks COLUMN_KEY.
    let key_of = |n: usize| {
        let attnum = n as i64 + 1;
        if meta.primary_key.contains(&n) {
            return "PRI";
        }
        let first = f.indexes.iter().filter(|ix| ix.attnums.first() == Some(&attnum));
        let mut key = "";
        for ix in first {
            if ix.unique && ix.attnums.len() == 1 {
                return "UNI";
            }
            key = "MUL";
        }
        key
    };
    for (n, column) in meta.columns.iter().enumerate() {
        let ty = type_facts(&column.pg_type);
        let not_null = column.not_null || meta.primary_key.contains(&n);
        let auto_increment = column.serial || column.identity;
        let default = if auto_increment { None } else { mysql_default(f.defaults.get(n).and_then(|d| d.as_deref())) };
        let number = |v: Option<i64>| v.map(i).unwrap_or(V::Null);
        rows.push(
            SCHEMA,
            "mysql_columns_rows",
            &[
                ("TABLE_CATALOG", t("def")),
                ("TABLE_SCHEMA", t(schema)),
                ("TABLE_NAME", t(name)),
                ("COLUMN_NAME", t(&column.name)),
                ("ORDINAL_POSITION", i(n as i64 + 1)),
                ("COLUMN_DEFAULT", opt(default)),
                ("IS_NULLABLE", t(if not_null { "NO" } else { "YES" })),
                ("DATA_TYPE", t(ty.data_type)),
                ("CHARACTER_MAXIMUM_LENGTH", number(ty.length)),
                ("CHARACTER_OCTET_LENGTH", number(ty.octets)),
                ("NUMERIC_PRECISION", number(ty.precision)),
                ("NUMERIC_SCALE", number(ty.scale)),
                ("DATETIME_PRECISION", number(ty.datetime)),
                ("CHARACTER_SET_NAME", if ty.text { t(CHARSET) } else { V::Null }),
                ("COLLATION_NAME", if ty.text { t(COLLATION) } else { V::Null }),
                ("COLUMN_TYPE", t(ty.column_type)),
                ("COLUMN_KEY", t(key_of(n))),
                ("EXTRA", t(if auto_increment { "auto_increment" } else { "" })),
                ("PRIVILEGES", t("select,insert,update,references")),
                ("COLUMN_COMMENT", t(column.comment.as_deref().unwrap_or_default())),
                ("IS_GENERATED", t("NEVER")),
            ],
        );
    }
}

/// A constraint of `table` (MySQL database, name), in the table's database.
fn constraint(rows: &mut Rows, (schema, table): (&str, &str), name: &str, kind: &str) {
    rows.push(
        SCHEMA,
        "mysql_table_constraints_rows",
        &[
            ("CONSTRAINT_CATALOG", t("def")),
            ("CONSTRAINT_SCHEMA", t(schema)),
            ("CONSTRAINT_NAME", t(name)),
            ("TABLE_SCHEMA", t(schema)),
            ("TABLE_NAME", t(table)),
            ("CONSTRAINT_TYPE", t(kind)),
        ],
    );
}

/// A foreign key's column in the referenced table: its position in the
/// referenced key, the table's MySQL database and name, the column.
struct Referenced<'a> {
    position: i64,
    table: (&'a str, &'a str),
    column: &'a str,
}

/// A key column of `table` (MySQL database, name).
fn key_column(
    rows: &mut Rows,
    (schema, table): (&str, &str),
    constraint: &str,
    column: &str,
    position: i64,
    references: Option<Referenced<'_>>,
) {
    let (position_in_unique, referenced_schema, referenced_table, referenced_column) = match references {
        Some(r) => (i(r.position), t(r.table.0), t(r.table.1), t(r.column)),
        None => (V::Null, V::Null, V::Null, V::Null),
    };
    rows.push(
        SCHEMA,
        "mysql_key_column_usage_rows",
        &[
            ("CONSTRAINT_CATALOG", t("def")),
            ("CONSTRAINT_SCHEMA", t(schema)),
            ("CONSTRAINT_NAME", t(constraint)),
            ("TABLE_CATALOG", t("def")),
            ("TABLE_SCHEMA", t(schema)),
            ("TABLE_NAME", t(table)),
            ("COLUMN_NAME", t(column)),
            ("ORDINAL_POSITION", i(position)),
            ("POSITION_IN_UNIQUE_CONSTRAINT", position_in_unique),
            ("REFERENCED_TABLE_SCHEMA", referenced_schema),
            ("REFERENCED_TABLE_NAME", referenced_table),
            ("REFERENCED_COLUMN_NAME", referenced_column),
        ],
    );
}

/// A foreign key: named as the PostgreSQL side names it
/// (its declared name, else `<table>_<columns>_fkey`).
fn foreign_key(
    rows: &mut Rows,
    f: &TableFacts<'_>,
    fk: &super::snapshot::ForeignKey,
    all: &[TableFacts<'_>],
    database: &str,
) {
    let meta = f.meta;
    let target = all.iter().find(|x| x.meta.name == fk.table);
    let references: Vec<String> = if fk.references.is_empty() {
        let primary_key = |x: &TableFacts<'_>| {
            x.meta.primary_key.iter().filter_map(|p| x.meta.columns.get(*p)).map(|c| c.name.clone()).collect()
        };
        target.map(primary_key).unwrap_or_default()
    } else {
        fk.references.clone()
    };
    let name = fk.name.clone();
    // The referenced side's unique key, by its MySQL name.
    let unique = target.and_then(|x| {
        let attnum = |c: &str| x.meta.columns.iter().position(|m| m.name == c).map(|p| p as i64 + 1).unwrap_or(0);
        x.indexes
            .iter()
            .find(|ix| {
                ix.unique
                    && ix.attnums.len() == references.len()
                    && references.iter().all(|r| ix.attnums.contains(&attnum(r)))
            })
            .map(|ix| index_name(x, ix))
    });
    let table = sqlmap::mysql_relation(&meta.name, database);
    let target_table = sqlmap::mysql_relation(&fk.table, database);
    constraint(rows, table, &name, "FOREIGN KEY");
    for (n, (column, referenced)) in fk.columns.iter().zip(&references).enumerate() {
        let position = n as i64 + 1;
        let referenced = Referenced { position, table: target_table, column: referenced };
        key_column(rows, table, &name, column, position, Some(referenced));
    }
    rows.push(
        SCHEMA,
        "mysql_referential_constraints_rows",
        &[
            ("CONSTRAINT_CATALOG", t("def")),
            ("CONSTRAINT_SCHEMA", t(table.0)),
            ("CONSTRAINT_NAME", t(&name)),
            ("UNIQUE_CONSTRAINT_CATALOG", t("def")),
            ("UNIQUE_CONSTRAINT_SCHEMA", t(target_table.0)),
            ("UNIQUE_CONSTRAINT_NAME", opt(unique)),
            ("MATCH_OPTION", t("NONE")),
            ("UPDATE_RULE", t(action_rule(&fk.on_update))),
            ("DELETE_RULE", t(action_rule(&fk.on_delete))),
            ("TABLE_NAME", t(table.1)),
            ("REFERENCED_TABLE_NAME", t(target_table.1)),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_as_mysql_names_them() {
        let f = type_facts("character varying(20)");
        assert_eq!((f.data_type.as_str(), f.column_type.as_str(), f.length), ("varchar", "varchar(20)", Some(20)));
        let f = type_facts("boolean");
        assert_eq!((f.data_type.as_str(), f.column_type.as_str(), f.precision), ("tinyint", "tinyint(1)", Some(3)));
        let f = type_facts("numeric(10,2)");
        assert_eq!((f.column_type.as_str(), f.precision, f.scale), ("decimal(10,2)", Some(10), Some(2)));
        let f = type_facts("timestamp without time zone");
        assert_eq!((f.data_type.as_str(), f.column_type.as_str(), f.datetime), ("datetime", "datetime(6)", Some(6)));
        assert_eq!(type_facts("bytea").data_type, "blob");
        assert_eq!(type_facts("double precision").data_type, "double");
        assert_eq!(type_facts("jsonb").data_type, "json");
    }

    #[test]
    fn defaults_as_mysql_prints_them() {
        assert_eq!(mysql_default(Some("'abc'::character varying")), Some("abc".into()));
        assert_eq!(mysql_default(Some("'it''s'::text")), Some("it's".into()));
        assert_eq!(mysql_default(Some("now()")), Some("CURRENT_TIMESTAMP".into()));
        assert_eq!(mysql_default(Some("false")), Some("0".into()));
        assert_eq!(mysql_default(Some("0")), Some("0".into()));
        assert_eq!(mysql_default(Some("nextval('t_id_seq'::regclass)")), None);
        assert_eq!(mysql_default(None), None);
    }
}
