//! What the MySQL front end answers itself: system variables (`SELECT
//! @@x`, `SET x = ..`, `SHOW VARIABLES`), `SET NAMES`, and the SHOW
//! statements, built from the chain's catalog as of the latest block. The
//! one database is the node's (`rowchain`), and its tables are the chain's.
//! Views are listed as MySQL lists them (`Table_type` `VIEW`, no engine),
//! and `SHOW CREATE VIEW` prints the view's query in MySQL's words.

use crate::errors;
use crate::results;
use node_core::catalog::TableMeta;
use proxy_frontend::catalog::{mysql_view_definition, CHARACTER_SETS as CHARSETS, COLLATIONS};
use proxy_mysql::{Column, ColumnType, QueryResult, ServerError, Value};
use sqlmap::{ShowFilter, SystemVariable, VariableScope};
use std::collections::BTreeMap;

/// How a variable reads: `SELECT @@x` gives a number for `Int` and `Bool`
/// (1/0), `SHOW VARIABLES` prints `Bool` as ON/OFF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Text,
}

/// Variables a session may set; the others are read-only (1238).
const SETTABLE: &[&str] = &[
    "autocommit",
    "sql_mode",
    "time_zone",
    "character_set_client",
    "character_set_connection",
    "character_set_results",
    "collation_connection",
    "transaction_isolation",
    "tx_isolation",
    "transaction_read_only",
    "tx_read_only",
    "sql_select_limit",
    "net_write_timeout",
    "net_read_timeout",
    "wait_timeout",
    "interactive_timeout",
    "max_execution_time",
    "sql_auto_is_null",
    "sql_safe_updates",
    "foreign_key_checks",
    "unique_checks",
    "group_concat_max_len",
    "default_storage_engine",
    "names",
    "session_track_schema",
    "session_track_state_change",
    "session_track_system_variables",
    "session_track_transaction_info",
    "sql_notes",
    "sql_quote_show_create",
    "div_precision_increment",
    "explicit_defaults_for_timestamp",
    "innodb_lock_wait_timeout",
    "lc_messages",
];

/// One session's system variables.
#[derive(Clone, Debug)]
pub(crate) struct Variables {
    values: BTreeMap<&'static str, (Kind, String)>,
}

impl Variables {
    pub(crate) fn new(packet_bytes_max: usize, connections_max: usize, wait_timeout_s: u64, tls: bool) -> Self {
        use Kind::*;
        let n = |v: usize| v.to_string();
        let defaults: Vec<(&'static str, Kind, String)> = vec![
            ("auto_increment_increment", Int, "1".into()),
            ("auto_increment_offset", Int, "1".into()),
            ("autocommit", Bool, "ON".into()),
            ("character_set_client", Text, "utf8mb4".into()),
            ("character_set_connection", Text, "utf8mb4".into()),
            ("character_set_database", Text, "utf8mb4".into()),
            ("character_set_filesystem", Text, "binary".into()),
            ("character_set_results", Text, "utf8mb4".into()),
            ("character_set_server", Text, "utf8mb4".into()),
            ("character_set_system", Text, "utf8mb3".into()),
            ("collation_connection", Text, "utf8mb4_general_ci".into()),
            ("collation_database", Text, "utf8mb4_general_ci".into()),
            ("collation_server", Text, "utf8mb4_general_ci".into()),
            ("connect_timeout", Int, "10".into()),
            ("default_authentication_plugin", Text, "caching_sha2_password".into()),
            ("default_storage_engine", Text, "InnoDB".into()),
            ("div_precision_increment", Int, "4".into()),
            ("error_count", Int, "0".into()),
            ("event_scheduler", Text, "OFF".into()),
            ("explicit_defaults_for_timestamp", Bool, "ON".into()),
            ("foreign_key_checks", Bool, "ON".into()),
            ("group_concat_max_len", Int, "1024".into()),
            ("have_ssl", Text, if tls { "YES" } else { "DISABLED" }.into()),
            ("init_connect", Text, String::new()),
            ("innodb_lock_wait_timeout", Int, "50".into()),
            ("interactive_timeout", Int, "28800".into()),
            ("lc_messages", Text, "en_US".into()),
            ("license", Text, "Apache-2.0".into()),
            ("lower_case_table_names", Int, "1".into()),
            ("max_allowed_packet", Int, n(packet_bytes_max)),
            ("max_connections", Int, n(connections_max)),
            ("max_execution_time", Int, "0".into()),
            ("net_buffer_length", Int, "16384".into()),
            ("net_read_timeout", Int, "30".into()),
            ("net_write_timeout", Int, "60".into()),
            ("performance_schema", Bool, "OFF".into()),
            ("protocol_version", Int, "10".into()),
            ("query_cache_size", Int, "0".into()),
            ("query_cache_type", Text, "OFF".into()),
            ("read_only", Bool, "OFF".into()),
            ("require_secure_transport", Bool, "OFF".into()),
            ("session_track_schema", Bool, "ON".into()),
            ("session_track_state_change", Bool, "OFF".into()),
            ("session_track_system_variables", Text, "time_zone,autocommit,character_set_client".into()),
            ("session_track_transaction_info", Text, "OFF".into()),
            (
                "sql_mode",
                Text,
                "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
                    .into(),
            ),
            ("sql_auto_is_null", Bool, "OFF".into()),
            ("sql_notes", Bool, "ON".into()),
            ("sql_quote_show_create", Bool, "ON".into()),
            ("sql_safe_updates", Bool, "OFF".into()),
            ("sql_select_limit", Int, "18446744073709551615".into()),
            ("system_time_zone", Text, "UTC".into()),
            ("time_zone", Text, "+00:00".into()),
            // Reads in a transaction are validated at COMMIT: a transaction
            // commits only if everything it read is still as it saw it.
            ("transaction_isolation", Text, "SERIALIZABLE".into()),
            ("transaction_read_only", Bool, "OFF".into()),
            ("tx_isolation", Text, "SERIALIZABLE".into()),
            ("tx_read_only", Bool, "OFF".into()),
            ("unique_checks", Bool, "ON".into()),
            ("version", Text, crate::SERVER_VERSION.into()),
            ("version_comment", Text, "rowchain: a permissioned blockchain you use like a database".into()),
            ("version_compile_machine", Text, std::env::consts::ARCH.into()),
            ("version_compile_os", Text, std::env::consts::OS.into()),
            ("wait_timeout", Int, wait_timeout_s.to_string()),
            ("warning_count", Int, "0".into()),
        ];
        Variables { values: defaults.into_iter().map(|(name, kind, value)| (name, (kind, value))).collect() }
    }

    pub(crate) fn autocommit(&self) -> bool {
        self.values.get("autocommit").is_some_and(|(_, v)| v == "ON")
    }

    /// Sets a session variable, with MySQL's errors for unknown (1193),
    /// read-only (1238), global (1227) and wrong values (1231).
    pub(crate) fn set(&mut self, variable: &SystemVariable, value: &str) -> Result<(), ServerError> {
        let name = variable.name.as_str();
        let Some((key, (kind, _))) = self.values.get_key_value(name).map(|(k, v)| (*k, v.clone())) else {
            return Err(errors::unknown_variable(name));
        };
        if variable.scope == VariableScope::Global {
            return Err(ServerError::new(
                1227,
                *b"42000",
                "Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN privilege(s) for this operation",
            ));
        }
        if !SETTABLE.contains(&key) {
            return Err(ServerError::new(1238, *b"HY000", format!("Variable '{name}' is a read only variable")));
        }
        let value = match kind {
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "1" | "on" | "true" => "ON".to_string(),
                "0" | "off" | "false" => "OFF".to_string(),
                _ => return Err(errors::wrong_value(name, value)),
            },
            Kind::Int if value.parse::<u64>().is_err() => {
                return Err(ServerError::new(1232, *b"42000", format!("Incorrect argument type to variable '{name}'")))
            }
            _ if value.eq_ignore_ascii_case("default") => {
                let fresh = Variables::new(0, 0, 0, false);
                fresh.values.get(key).map(|(_, v)| v.clone()).unwrap_or_default()
            }
            _ => value.to_string(),
        };
        // The two spellings of the isolation level and read-only flag move together.
        let twin = match key {
            "transaction_isolation" => Some("tx_isolation"),
            "tx_isolation" => Some("transaction_isolation"),
            "transaction_read_only" => Some("tx_read_only"),
            "tx_read_only" => Some("transaction_read_only"),
            _ => None,
        };
        for name in std::iter::once(key).chain(twin) {
            if let Some(slot) = self.values.get_mut(name) {
                slot.1 = value.clone();
            }
        }
        Ok(())
    }

    /// `SET NAMES charset [COLLATE c]`.
    pub(crate) fn set_names(&mut self, charset: &str, collation: Option<&str>) -> Result<(), ServerError> {
        let charset = if charset == "default" { "utf8mb4" } else { charset };
        if !CHARSETS.iter().any(|(name, ..)| *name == charset) {
            return Err(ServerError::new(1115, *b"42000", format!("Unknown character set: '{charset}'")));
        }
        let collation = match collation {
            Some(c) if COLLATIONS.iter().any(|(name, set, _)| *name == c && *set == charset) => c.to_string(),
            Some(c) => return Err(ServerError::new(1273, *b"HY000", format!("Unknown collation: '{c}'"))),
            None => CHARSETS
                .iter()
                .find(|(name, ..)| *name == charset)
                .map(|(_, _, c, _)| c.to_string())
                .unwrap_or_default(),
        };
        for name in ["character_set_client", "character_set_connection", "character_set_results"] {
            if let Some(slot) = self.values.get_mut(name) {
                slot.1 = charset.to_string();
            }
        }
        if let Some(slot) = self.values.get_mut("collation_connection") {
            slot.1 = collation;
        }
        Ok(())
    }

    /// `SELECT @@a, @@b AS x, VERSION()`: one row.
    pub(crate) fn select(&self, reads: &[(SystemVariable, String)], extra: &Extra) -> QueryResult {
        let mut columns = Vec::with_capacity(reads.len());
        let mut row = Vec::with_capacity(reads.len());
        for (variable, label) in reads {
            let (kind, value) =
                match extra.value(&variable.name).or_else(|| self.values.get(variable.name.as_str()).cloned()) {
                    Some(found) => found,
                    None => return QueryResult::Error(errors::unknown_variable(&variable.name)),
                };
            let (column_type, value) = match kind {
                Kind::Int => match value.parse::<u64>() {
                    Ok(number) => (ColumnType::LongLong, Value::UInt(number)),
                    Err(_) => (ColumnType::VarString, Value::Bytes(value.into_bytes())),
                },
                Kind::Bool => (ColumnType::LongLong, Value::Int(i64::from(value == "ON"))),
                Kind::Text => (ColumnType::VarString, Value::Bytes(value.into_bytes())),
            };
            columns.push(Column::new(label.as_str(), column_type));
            row.push(value);
        }
        QueryResult::Rows { columns, rows: vec![row] }
    }

    /// Every variable as `SELECT @@x` prints it (booleans 1/0), for the
    /// session's `mysql.x` settings that `@@x` inside expressions reads.
    pub(crate) fn settings(&self, extra: &Extra) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .values
            .iter()
            .map(|(name, (kind, value))| {
                let value = match kind {
                    Kind::Bool => if value == "ON" { "1" } else { "0" }.to_string(),
                    _ => value.clone(),
                };
                (format!("mysql.{name}"), value)
            })
            .collect();
        for name in Extra::NAMES {
            if let Some((_, value)) = extra.value(name) {
                out.push((format!("mysql.{name}"), value));
            }
        }
        out
    }

    /// `SHOW [GLOBAL|SESSION] VARIABLES [LIKE | WHERE]`.
    pub(crate) fn show(&self, filter: Option<&ShowFilter>, extra: &Extra) -> QueryResult {
        let mut all: BTreeMap<String, String> =
            self.values.iter().map(|(name, (_, value))| (name.to_string(), value.clone())).collect();
        for name in Extra::NAMES {
            if let Some((_, value)) = extra.value(name) {
                all.insert(name.to_string(), value);
            }
        }
        let rows = all.into_iter().map(|(name, value)| vec![name, value]).collect();
        text_table(&["Variable_name", "Value"], rows, filter)
    }
}

/// Variables whose values are the session's, not settings.
pub(crate) struct Extra {
    pub last_insert_id: u64,
    pub connection_id: u32,
    pub warning_count: usize,
}

impl Extra {
    const NAMES: [&'static str; 4] = ["last_insert_id", "identity", "connection_id", "warning_count"];

    fn value(&self, name: &str) -> Option<(Kind, String)> {
        match name {
            "last_insert_id" | "identity" => Some((Kind::Int, self.last_insert_id.to_string())),
            "connection_id" => Some((Kind::Int, self.connection_id.to_string())),
            "warning_count" => Some((Kind::Int, self.warning_count.to_string())),
            _ => None,
        }
    }
}

pub(crate) fn show_charsets(filter: Option<&ShowFilter>) -> QueryResult {
    let rows = CHARSETS
        .iter()
        .map(|(name, description, collation, max)| {
            vec![name.to_string(), description.to_string(), collation.to_string(), max.to_string()]
        })
        .collect();
    text_table(&["Charset", "Description", "Default collation", "Maxlen"], rows, filter)
}

pub(crate) fn show_collations(filter: Option<&ShowFilter>) -> QueryResult {
    let rows = COLLATIONS
        .iter()
        .map(|(name, charset, id)| {
            let default = CHARSETS.iter().any(|(c, _, d, _)| c == charset && d == name);
            vec![
                name.to_string(),
                charset.to_string(),
                id.to_string(),
                if default { "Yes" } else { "" }.to_string(),
                "Yes".to_string(),
                "1".to_string(),
                "PAD SPACE".to_string(),
            ]
        })
        .collect();
    text_table(&["Collation", "Charset", "Id", "Default", "Compiled", "Sortlen", "Pad_attribute"], rows, filter)
}

pub(crate) fn show_engines() -> QueryResult {
    let row =
        ["InnoDB", "DEFAULT", "rowchain: every write is a signed, BFT-ordered chain transaction", "YES", "NO", "YES"];
    text_table(
        &["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"],
        vec![row.iter().map(|s| s.to_string()).collect()],
        None,
    )
}

/// `SHOW DATABASES`: `names` (information_schema.SCHEMATA's), sorted.
pub(crate) fn show_databases(mut names: Vec<String>, filter: Option<&ShowFilter>) -> QueryResult {
    names.sort();
    names.dedup();
    text_table(&["Database"], names.into_iter().map(|n| vec![n]).collect(), filter)
}

/// The relations of `schema` by their names there. The session's
/// database is the public schema; other databases are other schemas.
fn in_schema<'a>(
    tables: &'a BTreeMap<String, TableMeta>,
    schema: &'a str,
) -> impl Iterator<Item = (&'a str, &'a TableMeta)> {
    tables.iter().filter_map(move |(name, meta)| {
        let (of, relation) = sqlmap::relation_schema(name);
        (of == schema).then_some((relation, meta))
    })
}

/// `SHOW [FULL] TABLES [FROM database]`: the relations of `schema` (the
/// database's; `public` for the session's own).
pub(crate) fn show_tables(
    tables: &BTreeMap<String, TableMeta>,
    database: &str,
    schema: &str,
    full: bool,
    filter: Option<&ShowFilter>,
) -> QueryResult {
    let label = format!("Tables_in_{database}");
    let rows = in_schema(tables, schema)
        .map(|(name, meta)| {
            let kind = if meta.is_view() { "VIEW" } else { "BASE TABLE" };
            if full {
                vec![name.to_string(), kind.into()]
            } else {
                vec![name.to_string()]
            }
        })
        .collect();
    if full {
        text_table(&[label.as_str(), "Table_type"], rows, filter)
    } else {
        text_table(&[label.as_str()], rows, filter)
    }
}

pub(crate) fn show_table_status(tables: &BTreeMap<String, TableMeta>, filter: Option<&ShowFilter>) -> QueryResult {
    let names = [
        "Name",
        "Engine",
        "Version",
        "Row_format",
        "Rows",
        "Avg_row_length",
        "Data_length",
        "Max_data_length",
        "Index_length",
        "Data_free",
        "Auto_increment",
        "Create_time",
        "Update_time",
        "Check_time",
        "Collation",
        "Checksum",
        "Create_options",
        "Comment",
    ];
    let rows = in_schema(tables, "public")
        .map(|(name, _)| {
            let mut row = vec![name.to_string(), "InnoDB".into(), "10".into(), "Dynamic".into()];
            row.extend(std::iter::repeat_n(String::new(), 10));
            row.extend(["utf8mb4_general_ci".to_string(), String::new(), String::new(), String::new()]);
            row
        })
        .collect();
    let mut result = text_table(&names, rows, filter);
    // A view has no engine, format, sizes or collation: NULL, and the comment VIEW.
    if let QueryResult::Rows { rows, .. } = &mut result {
        for row in rows {
            let is_view = match row.first() {
                Some(Value::Bytes(name)) => {
                    std::str::from_utf8(name).ok().and_then(|n| tables.get(n)).is_some_and(TableMeta::is_view)
                }
                _ => false,
            };
            if !is_view {
                continue;
            }
            let last = row.len().saturating_sub(1);
            for (at, value) in row.iter_mut().enumerate().skip(1) {
                *value = if at == last { Value::Bytes(b"VIEW".to_vec()) } else { Value::Null };
            }
        }
    }
    result
}

/// `SHOW CREATE VIEW v`, and `SHOW CREATE TABLE v` of a view, as MySQL
/// answers both: the view's CREATE statement with its query in MySQL's
/// words (its column names as the aliases of its result columns, as
/// MySQL prints them). `tables` are the chain's tables and views (the
/// query's columns are resolved against them), `definer` the view owner's
/// role name. The chain keeps no character set per view: the server's
/// are shown.
pub(crate) fn show_create_view(
    view: &TableMeta,
    tables: &BTreeMap<String, TableMeta>,
    definer: &str,
    database: &str,
) -> QueryResult {
    let quote = |name: &str| format!("`{}`", name.replace('`', "``"));
    let Some(meta) = &view.view else {
        return QueryResult::Error(not_a_view(database, &view.name));
    };
    let name = sqlmap::relation_schema(&view.name).1;
    let text = format!(
        "CREATE ALGORITHM=UNDEFINED DEFINER={}@`%` SQL SECURITY {} VIEW {} AS {}",
        quote(definer),
        if meta.security_invoker { "INVOKER" } else { "DEFINER" },
        quote(name),
        mysql_view_definition(view, tables, None).unwrap_or_default(),
    );
    text_table(
        &["View", "Create View", "character_set_client", "collation_connection"],
        vec![vec![name.to_string(), text, "utf8mb4".into(), "utf8mb4_general_ci".into()]],
        None,
    )
}

/// MySQL's answer to `SHOW CREATE VIEW` of a table (1347).
pub(crate) fn not_a_view(database: &str, name: &str) -> ServerError {
    ServerError::new(1347, *b"HY000", format!("'{database}.{name}' is not VIEW"))
}

/// A column as `information_schema.COLUMNS` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ColumnInfo {
    pub name: String,
    pub column_type: String,
    pub nullable: bool,
    pub key: String,
    pub default: Option<String>,
    pub extra: String,
    pub comment: String,
}

impl ColumnInfo {
    /// From (COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT).
    pub(crate) fn from_row(row: Vec<Option<String>>) -> Self {
        let mut cells = row.into_iter();
        let mut next = || cells.next().flatten();
        ColumnInfo {
            name: next().unwrap_or_default(),
            column_type: next().unwrap_or_default(),
            nullable: next().is_some_and(|n| n.eq_ignore_ascii_case("yes")),
            key: next().unwrap_or_default(),
            default: next(),
            extra: next().unwrap_or_default(),
            comment: next().unwrap_or_default(),
        }
    }
}

/// One column of a foreign key, as `information_schema.KEY_COLUMN_USAGE`
/// shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ForeignKeyInfo {
    pub constraint: String,
    pub column: String,
    pub referenced_table: String,
    pub referenced_column: String,
}

impl ForeignKeyInfo {
    /// From (CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME).
    pub(crate) fn from_row(row: Vec<Option<String>>) -> Self {
        let mut cells = row.into_iter();
        let mut next = || cells.next().flatten().unwrap_or_default();
        ForeignKeyInfo { constraint: next(), column: next(), referenced_table: next(), referenced_column: next() }
    }
}

/// `SHOW [FULL] COLUMNS FROM t` / `DESCRIBE t`.
pub(crate) fn show_columns(columns: &[ColumnInfo], full: bool, filter: Option<&ShowFilter>) -> QueryResult {
    let rows = columns
        .iter()
        .map(|c| {
            let mut row = vec![c.name.clone(), c.column_type.clone()];
            if full {
                let text = matches!(c.column_type.split('(').next(), Some("varchar" | "char" | "text"));
                row.push(if text { "utf8mb4_general_ci".into() } else { String::new() });
            }
            row.extend([
                if c.nullable { "YES" } else { "NO" }.to_string(),
                c.key.clone(),
                c.default.clone().unwrap_or_default(),
                c.extra.clone(),
            ]);
            if full {
                row.extend(["select,insert,update,references".to_string(), c.comment.clone()]);
            }
            row
        })
        .collect();
    let mut result = if full {
        text_table(
            &["Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"],
            rows,
            filter,
        )
    } else {
        text_table(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows, filter)
    };
    // A column without a default shows NULL.
    if let QueryResult::Rows { rows, .. } = &mut result {
        let default_at = if full { 5 } else { 4 };
        for row in rows {
            let name = row.first().and_then(|v| match v {
                Value::Bytes(b) => std::str::from_utf8(b).ok().map(str::to_string),
                _ => None,
            });
            let has_default = columns.iter().any(|c| Some(&c.name) == name.as_ref() && c.default.is_some());
            if let (false, Some(v)) = (has_default, row.get_mut(default_at)) {
                *v = Value::Null;
            }
        }
    }
    result
}

/// `SHOW INDEX FROM t`, from `information_schema.STATISTICS` rows.
pub(crate) fn show_index(rows: Vec<Vec<Option<String>>>, filter: Option<&ShowFilter>) -> QueryResult {
    let names = [
        "Table",
        "Non_unique",
        "Key_name",
        "Seq_in_index",
        "Column_name",
        "Collation",
        "Cardinality",
        "Sub_part",
        "Packed",
        "Null",
        "Index_type",
        "Comment",
        "Index_comment",
        "Visible",
    ];
    let text_rows = rows
        .into_iter()
        .map(|row| {
            let mut out: Vec<String> = row.into_iter().map(Option::unwrap_or_default).collect();
            out.resize(13, String::new());
            out.push("YES".to_string());
            out
        })
        .collect();
    let mut result = text_table(&names, text_rows, filter);
    if let QueryResult::Rows { columns, rows } = &mut result {
        // Non_unique, Seq_in_index and Cardinality are numbers; Sub_part and Packed NULL.
        for at in [1, 3, 6] {
            if let Some(c) = columns.get_mut(at) {
                *c = Column::new(c.name.clone(), ColumnType::LongLong);
            }
        }
        for row in rows {
            for at in [1, 3, 6] {
                if let Some(Value::Bytes(b)) = row.get(at) {
                    let n = std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
                    if let Some(v) = row.get_mut(at) {
                        *v = Value::Int(n);
                    }
                }
            }
            for at in [7, 8] {
                if let Some(v) = row.get_mut(at) {
                    *v = Value::Null;
                }
            }
        }
    }
    result
}

/// A comment as SHOW CREATE TABLE quotes it: `'` doubled, backslash
/// escapes for `\`, NUL, newline and carriage return.
fn quoted_comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `SHOW CREATE TABLE t`, in MySQL's words: columns with their types,
/// NOT NULL, defaults, AUTO_INCREMENT and comments, the keys, foreign
/// keys, and the table's comment.
pub(crate) fn show_create_table(
    table: &str,
    comment: Option<&str>,
    columns: &[ColumnInfo],
    indexes: &[Vec<Option<String>>],
    foreign_keys: &[ForeignKeyInfo],
) -> QueryResult {
    let quote = |name: &str| format!("`{}`", name.replace('`', "``"));
    let mut lines: Vec<String> = columns
        .iter()
        .map(|c| {
            let mut line = format!("  {} {}", quote(&c.name), c.column_type);
            if !c.nullable {
                line.push_str(" NOT NULL");
            }
            match &c.default {
                Some(d) if d.eq_ignore_ascii_case("current_timestamp") || d.parse::<f64>().is_ok() => {
                    line.push_str(&format!(" DEFAULT {d}"));
                }
                Some(d) => line.push_str(&format!(" DEFAULT '{}'", d.replace('\'', "''"))),
                None if c.nullable => line.push_str(" DEFAULT NULL"),
                None => {}
            }
            if c.extra.contains("auto_increment") {
                line.push_str(" AUTO_INCREMENT");
            }
            if !c.comment.is_empty() {
                line.push_str(&format!(" COMMENT {}", quoted_comment(&c.comment)));
            }
            line
        })
        .collect();
    // STATISTICS rows: (table, non_unique, index name, seq, column, ...), PRIMARY first.
    let mut keys: Vec<(String, bool, Vec<String>)> = Vec::new();
    for row in indexes {
        let cell = |at: usize| row.get(at).cloned().flatten().unwrap_or_default();
        let (name, unique, column) = (cell(2), cell(1) == "0", cell(4));
        match keys.last_mut() {
            Some((last, _, columns)) if *last == name => columns.push(quote(&column)),
            _ => keys.push((name, unique, vec![quote(&column)])),
        }
    }
    for (name, unique, columns) in keys {
        let kind = match (name.as_str(), unique) {
            ("PRIMARY", _) => {
                lines.push(format!("  PRIMARY KEY ({})", columns.join(",")));
                continue;
            }
            (_, true) => "UNIQUE KEY",
            (_, false) => "KEY",
        };
        lines.push(format!("  {kind} {} ({})", quote(&name), columns.join(",")));
    }
    let mut constraints: Vec<(&str, Vec<&ForeignKeyInfo>)> = Vec::new();
    for fk in foreign_keys {
        match constraints.last_mut() {
            Some((name, parts)) if *name == fk.constraint => parts.push(fk),
            _ => constraints.push((&fk.constraint, vec![fk])),
        }
    }
    for (name, parts) in constraints {
        let own: Vec<String> = parts.iter().map(|p| quote(&p.column)).collect();
        let theirs: Vec<String> = parts.iter().map(|p| quote(&p.referenced_column)).collect();
        let table = parts.first().map(|p| quote(&p.referenced_table)).unwrap_or_default();
        lines.push(format!(
            "  CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {table} ({})",
            quote(name),
            own.join(","),
            theirs.join(",")
        ));
    }
    let text = format!(
        "CREATE TABLE {} (\n{}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci{}",
        quote(table),
        lines.join(",\n"),
        comment.map(|c| format!(" COMMENT={}", quoted_comment(c))).unwrap_or_default()
    );
    text_table(&["Table", "Create Table"], vec![vec![table.to_string(), text]], None)
}

/// A warning or note of the last statement: (level, code, message).
pub(crate) type Warning = (&'static str, u16, String);

/// `SHOW WARNINGS` / `SHOW ERRORS`: the last statement's.
pub(crate) fn show_warnings(warnings: &[Warning], errors_only: bool) -> QueryResult {
    let rows = warnings
        .iter()
        .filter(|(level, ..)| !errors_only || *level == "Error")
        .map(|(level, code, message)| vec![level.to_string(), code.to_string(), message.clone()])
        .collect();
    let mut result = text_table(&["Level", "Code", "Message"], rows, None);
    if let QueryResult::Rows { columns, rows } = &mut result {
        if let Some(c) = columns.get_mut(1) {
            *c = Column::new("Code", ColumnType::Long);
        }
        for row in rows {
            if let Some(Value::Bytes(code)) = row.get(1) {
                let n = std::str::from_utf8(code).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
                if let Some(v) = row.get_mut(1) {
                    *v = Value::Int(n);
                }
            }
        }
    }
    result
}

/// `SHOW [GLOBAL] STATUS`: the counters clients ask about.
pub(crate) fn show_status(uptime_s: u64, filter: Option<&ShowFilter>) -> QueryResult {
    let rows = vec![vec!["Uptime".to_string(), uptime_s.to_string()], vec!["Ssl_cipher".to_string(), String::new()]];
    text_table(&["Variable_name", "Value"], rows, filter)
}

/// A result of text columns, filtered by a SHOW's `LIKE` (on the first
/// column) or `WHERE`.
pub(crate) fn text_table(names: &[&str], rows: Vec<Vec<String>>, filter: Option<&ShowFilter>) -> QueryResult {
    let keep = match filter {
        None => None,
        Some(ShowFilter::Like(pattern)) => Some(Condition::Like(0, pattern.clone())),
        Some(ShowFilter::Where(text)) => match Condition::parse(text, names) {
            Some(condition) => Some(condition),
            None => {
                return QueryResult::Error(ServerError::new(
                    1235,
                    *b"42000",
                    format!(
                        "SHOW ... WHERE {text}: only column = 'value', LIKE and IN (...), joined by OR, are supported"
                    ),
                ))
            }
        },
    };
    let rows = rows
        .into_iter()
        .filter(|row| keep.as_ref().is_none_or(|c| c.holds(row)))
        .map(|row| row.into_iter().map(|v| Value::Bytes(v.into_bytes())).collect())
        .collect();
    let columns = names.iter().map(|n| results::column(n, ColumnType::VarString, None)).collect();
    QueryResult::Rows { columns, rows }
}

/// A SHOW filter on text columns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    Equals(usize, String),
    Like(usize, String),
    In(usize, Vec<String>),
    Any(Vec<Condition>),
}

impl Condition {
    fn holds(&self, row: &[String]) -> bool {
        let cell = |at: &usize| row.get(*at).map(String::as_str).unwrap_or_default();
        match self {
            Condition::Equals(at, value) => cell(at).eq_ignore_ascii_case(value),
            Condition::Like(at, pattern) => like(cell(at), pattern),
            Condition::In(at, values) => values.iter().any(|v| cell(at).eq_ignore_ascii_case(v)),
            Condition::Any(all) => all.iter().any(|c| c.holds(row)),
        }
    }

    /// `col = 'v' | col LIKE 'p' | col IN ('a', 'b')`, joined by OR; column
    /// names match case-insensitively, with or without backticks.
    fn parse(text: &str, names: &[&str]) -> Option<Condition> {
        let tokens = tokens(text)?;
        let mut alternatives = Vec::new();
        let mut rest = tokens.as_slice();
        loop {
            let (condition, after) = Self::one(rest, names)?;
            alternatives.push(condition);
            match after {
                [] => break,
                [Token::Word(or), more @ ..] if or.eq_ignore_ascii_case("or") => rest = more,
                _ => return None,
            }
        }
        Some(if alternatives.len() == 1 { alternatives.pop()? } else { Condition::Any(alternatives) })
    }

    fn one<'t>(tokens: &'t [Token], names: &[&str]) -> Option<(Condition, &'t [Token])> {
        let [Token::Word(column), operator, rest @ ..] = tokens else { return None };
        let at = names.iter().position(|n| n.eq_ignore_ascii_case(column))?;
        match (operator, rest) {
            (Token::Punct('='), [Token::Text(value), after @ ..]) => {
                Some((Condition::Equals(at, value.clone()), after))
            }
            (Token::Word(like), [Token::Text(pattern), after @ ..]) if like.eq_ignore_ascii_case("like") => {
                Some((Condition::Like(at, pattern.clone()), after))
            }
            (Token::Word(keyword), [Token::Punct('('), list @ ..]) if keyword.eq_ignore_ascii_case("in") => {
                let mut values = Vec::new();
                let mut list = list;
                loop {
                    match list {
                        [Token::Text(value), Token::Punct(','), more @ ..] => {
                            values.push(value.clone());
                            list = more;
                        }
                        [Token::Text(value), Token::Punct(')'), after @ ..] => {
                            values.push(value.clone());
                            return Some((Condition::In(at, values), after));
                        }
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Punct(char),
}

/// Words (bare or backticked), quoted strings ('' and \ escapes) and
/// punctuation; `None` for an unterminated string.
fn tokens(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '\'' | '"' => {
                let quote = c;
                let mut value = String::new();
                loop {
                    match chars.next()? {
                        '\\' => value.push(chars.next()?),
                        q if q == quote && chars.peek() == Some(&quote) => {
                            chars.next();
                            value.push(quote);
                        }
                        q if q == quote => break,
                        other => value.push(other),
                    }
                }
                out.push(Token::Text(value));
            }
            '`' => {
                let mut value = String::new();
                loop {
                    match chars.next()? {
                        '`' => break,
                        other => value.push(other),
                    }
                }
                out.push(Token::Word(value));
            }
            c if c.is_alphanumeric() || c == '_' || c == '@' => {
                let mut value = c.to_string();
                while let Some(&next) = chars.peek() {
                    if next.is_alphanumeric() || next == '_' || next == '.' || next == '@' {
                        value.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(value));
            }
            other => out.push(Token::Punct(other)),
        }
    }
    Some(out)
}

/// MySQL's LIKE, case-insensitive: `%` any run, `_` one character, `\`
/// escapes the next.
pub(crate) fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    // Iterative matching with one backtrack point for the last `%`.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('\\') if pattern.get(p + 1) == text.get(t) && pattern.get(p + 1).is_some() => {
                p += 2;
                t += 1;
                continue;
            }
            Some('_') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(c) if *c != '\\' && Some(c) == text.get(t) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_p, star_t)) => {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            }
            None => return false,
        }
    }
    while pattern.get(p) == Some(&'%') {
        p += 1;
    }
    p == pattern.len()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test that indexes wrong fails, as it should
mod tests {
    use super::*;

    #[test]
    fn like_matches_as_mysql_does() {
        assert!(like("sql_mode", "sql_mode"));
        assert!(like("character_set_client", "character\\_set\\_%"));
        assert!(like("Character_Set_Client", "character_set%"));
        assert!(!like("character_set_client", "%results"));
        assert!(like("lower_case_table_names", "lower_case_%"));
        assert!(like("abc", "a_c"));
        assert!(!like("ab", "a_c"));
        assert!(like("", "%"));
        assert!(like("a%b", "a\\%b"));
        assert!(!like("axb", "a\\%b"));
    }

    #[test]
    fn show_where_takes_equality_like_and_in_joined_by_or() {
        let names = ["Variable_name", "Value"];
        let rows = vec![vec!["a".to_string(), "1".to_string()], vec!["b".to_string(), "2".to_string()]];
        let filtered = |text: &str| match text_table(&names, rows.clone(), Some(&ShowFilter::Where(text.into()))) {
            QueryResult::Rows { rows, .. } => Ok(rows.len()),
            QueryResult::Error(e) => Err(e.code),
            QueryResult::Ok(_) => Err(0),
        };
        assert_eq!(filtered("Variable_name = 'a'"), Ok(1));
        assert_eq!(filtered("`variable_name` IN ('a', 'b')"), Ok(2));
        assert_eq!(filtered("Variable_name = 'a' OR Value LIKE '2'"), Ok(2));
        assert_eq!(filtered("Value > 1"), Err(1235));
        assert_eq!(filtered("Variable_name = 'a"), Err(1235));
    }

    fn meta(name: &str, columns: &[(&str, &str)], view: Option<(&str, bool)>) -> TableMeta {
        use node_core::catalog::{ColumnMeta, ViewMeta};
        let columns = columns.iter().map(|(name, ty)| ColumnMeta::computed(*name, *ty)).collect();
        let (query, security_invoker) = view.unwrap_or_default();
        let defined =
            ViewMeta { query: query.into(), column_names: Vec::new(), security_invoker, depends: vec!["t".into()] };
        let mut meta = TableMeta::new_view([0; 16], name.into(), String::new(), columns, defined);
        if view.is_none() {
            meta.view = None; // a table
        }
        meta
    }

    fn cells(result: QueryResult) -> Vec<Vec<Option<String>>> {
        let QueryResult::Rows { rows, .. } = result else { panic!("no rows") };
        rows.into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| match v {
                        Value::Bytes(b) => Some(String::from_utf8(b).unwrap()),
                        Value::Null => None,
                        other => Some(format!("{other:?}")),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn views_show_as_mysql_shows_them() {
        let mut tables = BTreeMap::new();
        tables.insert("t".to_string(), meta("t", &[("a", "integer"), ("b", "text")], None));
        let query = "SELECT a AS \"A\", b FROM t WHERE b <> 'x' ORDER BY a";
        tables.insert("v".to_string(), meta("v", &[("A", "integer"), ("b", "text")], Some((query, true))));
        let listed = cells(show_tables(&tables, "rowchain", "public", true, None));
        assert_eq!(listed[1], [Some("v".to_string()), Some("VIEW".to_string())]);
        assert_eq!(listed[0], [Some("t".to_string()), Some("BASE TABLE".to_string())]);
        let filtered = cells(show_tables(
            &tables,
            "rowchain",
            "public",
            true,
            Some(&ShowFilter::Where("Table_type = 'VIEW'".into())),
        ));
        assert_eq!(filtered.len(), 1);
        let status = cells(show_table_status(&tables, None));
        assert_eq!(status[0][1].as_deref(), Some("InnoDB"));
        assert_eq!(status[1][0].as_deref(), Some("v"));
        assert!(status[1].iter().skip(1).take(16).all(Option::is_none), "{:?}", status[1]);
        assert_eq!(status[1][17].as_deref(), Some("VIEW"));
        let created = cells(show_create_view(&tables["v"], &tables, "al`ice", "rowchain"));
        assert_eq!(
            created,
            vec![vec![
                Some("v".to_string()),
                Some(
                    "CREATE ALGORITHM=UNDEFINED DEFINER=`al``ice`@`%` SQL SECURITY INVOKER VIEW `v` AS \
                     select `t`.`a` AS `A`,`t`.`b` AS `b` from `t` where `t`.`b` <> 'x' order by `t`.`a`"
                        .to_string()
                ),
                Some("utf8mb4".to_string()),
                Some("utf8mb4_general_ci".to_string()),
            ]]
        );
        let QueryResult::Error(e) = show_create_view(&tables["t"], &tables, "alice", "rowchain") else { panic!() };
        assert_eq!((e.code, e.message.as_str()), (1347, "'rowchain.t' is not VIEW"));
    }

    #[test]
    fn variables_set_as_mysql_checks_them() {
        let mut v = Variables::new(1 << 20, 10, 60, false);
        let session = |name: &str| SystemVariable { scope: VariableScope::Session, name: name.into() };
        v.set(&session("autocommit"), "0").unwrap();
        assert!(!v.autocommit());
        assert_eq!(v.set(&session("autocommit"), "maybe").unwrap_err().code, 1231);
        assert_eq!(v.set(&session("nope"), "1").unwrap_err().code, 1193);
        assert_eq!(v.set(&session("version"), "1").unwrap_err().code, 1238);
        let global = SystemVariable { scope: VariableScope::Global, name: "sql_mode".into() };
        assert_eq!(v.set(&global, "").unwrap_err().code, 1227);
        v.set(&session("tx_isolation"), "READ-COMMITTED").unwrap();
        let extra = Extra { last_insert_id: 5, connection_id: 9, warning_count: 0 };
        let read = |name: &str| (session(name), name.to_string());
        let QueryResult::Rows { rows, .. } =
            v.select(&[read("transaction_isolation"), read("autocommit"), read("last_insert_id")], &extra)
        else {
            panic!()
        };
        assert_eq!(rows[0], [Value::Bytes(b"READ-COMMITTED".to_vec()), Value::Int(0), Value::UInt(5)]);
        v.set_names("utf8mb4", Some("utf8mb4_unicode_ci")).unwrap();
        assert_eq!(v.set_names("klingon", None).unwrap_err().code, 1115);
    }
}
