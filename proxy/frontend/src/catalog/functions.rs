//! The SQL functions catalog queries call, registered on every read
//! connection: PostgreSQL's catalog and session functions (`format_type`,
//! `pg_get_indexdef`, `version()`, `current_setting`, ...) and the `rc_*`
//! helpers sqlmap's catalog rewrites call (see sqlmap/src/catalog.rs for
//! that contract). Catalog lookups read the snapshot the current query was
//! prepared against ([`super::current_snapshot`]); session values come from
//! [`super::current_session`].

use std::sync::Arc;

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value as V, ValueRef};
use rusqlite::{Connection, Error};

use node_exec::arrayfns::{int_arg, text_arg};

use super::builtin::BUILTIN_TYPES;
use super::snapshot::{self, quote_ident, Snapshot};
use super::{current_session, current_snapshot};

/// Rows a generated series may hold: catalog series are small.
const SERIES_MAX: i64 = 1_000_000;

fn user_error(message: impl Into<String>) -> Error {
    Error::UserFunctionError(message.into().into())
}

fn bool_arg(ctx: &Context<'_>, i: usize) -> Option<bool> {
    match ctx.get_raw(i) {
        ValueRef::Integer(n) => Some(n != 0),
        ValueRef::Text(t) => Some(matches!(t, b"t" | b"true" | b"on" | b"1" | b"yes")),
        _ => None,
    }
}

fn snapshot() -> Arc<Snapshot> {
    current_snapshot().unwrap_or_default()
}

type Scalar = fn(&Context<'_>) -> rusqlite::Result<V>;

/// `(name, arguments (-1: any), function)`.
const SCALARS: &[(&str, i32, Scalar)] = &[
    ("version", 0, version),
    ("current_user", 0, user),
    ("session_user", 0, user),
    ("user", 0, user),
    ("current_role", 0, user),
    ("current_database", 0, database),
    ("current_catalog", 0, database),
    ("current_schema", 0, |_| Ok(V::Text("public".into()))),
    ("current_schemas", 1, current_schemas),
    ("pg_backend_pid", 0, backend_pid),
    ("txid_current", 0, xact_id),
    ("pg_current_xact_id", 0, xact_id),
    ("current_setting", 1, current_setting),
    ("current_setting", 2, current_setting),
    ("set_config", 3, |ctx| Ok(text_arg(ctx, 1).map(V::Text).unwrap_or(V::Null))),
    ("inet_server_addr", 0, |_| Ok(V::Null)),
    ("inet_server_port", 0, |_| Ok(V::Null)),
    ("inet_client_addr", 0, |_| Ok(V::Null)),
    ("inet_client_port", 0, |_| Ok(V::Null)),
    ("pg_is_in_recovery", 0, |_| Ok(V::Integer(0))),
    ("format_type", 2, format_type),
    ("pg_get_expr", 2, |ctx| Ok(text_arg(ctx, 0).map(V::Text).unwrap_or(V::Null))),
    ("pg_get_expr", 3, |ctx| Ok(text_arg(ctx, 0).map(V::Text).unwrap_or(V::Null))),
    ("pg_table_is_visible", 1, table_is_visible),
    ("pg_type_is_visible", 1, type_is_visible),
    ("pg_function_is_visible", 1, |_| Ok(V::Integer(1))),
    ("pg_get_userbyid", 1, get_userbyid),
    ("pg_get_indexdef", 1, get_indexdef),
    ("pg_get_indexdef", 3, get_indexdef),
    ("pg_get_constraintdef", 1, get_constraintdef),
    ("pg_get_constraintdef", 2, get_constraintdef),
    ("pg_get_triggerdef", 1, null),
    ("pg_get_triggerdef", 2, null),
    ("pg_get_viewdef", 1, get_viewdef),
    ("pg_get_viewdef", 2, get_viewdef),
    ("pg_get_ruledef", 1, get_ruledef),
    ("pg_get_ruledef", 2, get_ruledef),
    ("pg_get_functiondef", 1, null),
    ("pg_get_function_result", 1, null),
    ("pg_get_function_arguments", 1, null),
    ("pg_get_function_identity_arguments", 1, null),
    ("pg_get_statisticsobjdef_columns", 1, null),
    ("pg_get_serial_sequence", 2, get_serial_sequence),
    ("pg_relation_is_publishable", 1, |_| Ok(V::Integer(0))),
    ("pg_partition_ancestors", 1, |ctx| Ok(int_arg(ctx, 0).map(V::Integer).unwrap_or(V::Null))),
    ("obj_description", 1, obj_description),
    ("obj_description", 2, obj_description),
    ("col_description", 2, col_description),
    ("shobj_description", 2, null),
    ("pg_encoding_to_char", 1, |ctx| Ok(V::Text(if int_arg(ctx, 0) == Some(6) { "UTF8" } else { "" }.into()))),
    ("pg_char_to_encoding", 1, |ctx| {
        Ok(V::Integer(if text_arg(ctx, 0).is_some_and(|e| e.eq_ignore_ascii_case("utf8")) { 6 } else { -1 }))
    }),
    ("pg_relation_size", 1, |_| Ok(V::Integer(0))),
    ("pg_relation_size", 2, |_| Ok(V::Integer(0))),
    ("pg_total_relation_size", 1, |_| Ok(V::Integer(0))),
    ("pg_table_size", 1, |_| Ok(V::Integer(0))),
    ("pg_indexes_size", 1, |_| Ok(V::Integer(0))),
    ("pg_database_size", 1, |_| Ok(V::Integer(0))),
    ("pg_size_pretty", 1, size_pretty),
    ("has_table_privilege", 2, |ctx| privilege_check(ctx, None, 0, None, 1)),
    ("has_table_privilege", 3, |ctx| privilege_check(ctx, Some(0), 1, None, 2)),
    ("has_schema_privilege", -1, |_| Ok(V::Integer(1))),
    ("has_database_privilege", -1, |_| Ok(V::Integer(1))),
    ("has_column_privilege", 3, |ctx| privilege_check(ctx, None, 0, Some(Columns::One(1)), 2)),
    ("has_column_privilege", 4, |ctx| privilege_check(ctx, Some(0), 1, Some(Columns::One(2)), 3)),
    ("has_any_column_privilege", 2, |ctx| privilege_check(ctx, None, 0, Some(Columns::Any), 1)),
    ("has_any_column_privilege", 3, |ctx| privilege_check(ctx, Some(0), 1, Some(Columns::Any), 2)),
    ("has_function_privilege", -1, |_| Ok(V::Integer(1))),
    ("has_sequence_privilege", -1, |_| Ok(V::Integer(1))),
    ("pg_has_role", -1, |_| Ok(V::Integer(1))),
    ("quote_ident", 1, |ctx| Ok(text_arg(ctx, 0).map(|s| V::Text(quote_ident(&s))).unwrap_or(V::Null))),
    ("quote_literal", 1, |ctx| {
        Ok(text_arg(ctx, 0).map(|s| V::Text(format!("'{}'", s.replace('\'', "''")))).unwrap_or(V::Null))
    }),
    ("to_regclass", 1, |ctx| {
        Ok(text_arg(ctx, 0).and_then(|s| snapshot().relation_oid(&s)).map(|o| V::Integer(o.into())).unwrap_or(V::Null))
    }),
    ("to_regtype", 1, |ctx| {
        Ok(text_arg(ctx, 0).and_then(|s| type_by_name(&s)).map(|o| V::Integer(o.into())).unwrap_or(V::Null))
    }),
    ("rc_series", 2, series),
    ("rc_series", 3, series),
    ("rc_regclass", 1, regclass),
    ("rc_regclass_name", 1, regclass_name),
    ("rc_regtype", 1, regtype),
    ("rc_regtype_name", 1, regtype_name),
    ("rc_regproc", 1, |ctx| {
        Ok(int_arg(ctx, 0).map(V::Integer).unwrap_or(if ctx.get_raw(0) == ValueRef::Null {
            V::Null
        } else {
            V::Integer(0)
        }))
    }),
    ("rc_regproc_name", 1, |ctx| {
        Ok(text_arg(ctx, 0).map(|s| V::Text(if s == "0" { "-".into() } else { s })).unwrap_or(V::Null))
    }),
    ("rc_regnamespace", 1, regnamespace),
    ("rc_regnamespace_name", 1, regnamespace_name),
    ("rc_regrole", 1, regrole),
    ("rc_regrole_name", 1, regrole_name),
];

/// Registers every function on `conn`.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8;
    for (name, arguments, function) in SCALARS {
        let f = *function;
        conn.create_scalar_function(*name, *arguments, flags, move |ctx| f(ctx))?;
    }
    Ok(())
}

fn null(_: &Context<'_>) -> rusqlite::Result<V> {
    Ok(V::Null)
}

fn version(_: &Context<'_>) -> rusqlite::Result<V> {
    let server =
        current_session().and_then(|s| s.settings.get("server_version").cloned()).unwrap_or_else(|| "16.4".into());
    Ok(V::Text(format!(
        "PostgreSQL {server} (rowchain {}) on x86_64-pc-linux-gnu, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION")
    )))
}

fn user(_: &Context<'_>) -> rusqlite::Result<V> {
    Ok(V::Text(
        current_session().map(|s| s.user.clone()).filter(|u| !u.is_empty()).unwrap_or_else(|| "rowchain".into()),
    ))
}

fn database(_: &Context<'_>) -> rusqlite::Result<V> {
    let from_session = current_session().map(|s| s.database.clone()).filter(|d| !d.is_empty());
    Ok(V::Text(from_session.or_else(super::default_database).unwrap_or_else(|| "rowchain".into())))
}

fn current_schemas(ctx: &Context<'_>) -> rusqlite::Result<V> {
    Ok(V::Text(if bool_arg(ctx, 0).unwrap_or(false) { "{pg_catalog,public}" } else { "{public}" }.into()))
}

fn xact_id(_: &Context<'_>) -> rusqlite::Result<V> {
    Ok(current_session().map(|s| V::Integer(i64::try_from(s.xact_id).unwrap_or(i64::MAX))).unwrap_or(V::Null))
}

fn backend_pid(_: &Context<'_>) -> rusqlite::Result<V> {
    Ok(V::Integer(current_session().map(|s| i64::from(s.pid)).unwrap_or_else(|| i64::from(std::process::id()))))
}

/// Settings every session has, when the session does not say otherwise.
fn default_setting(name: &str) -> Option<&'static str> {
    Some(match name {
        "server_version" => "16.4",
        "server_version_num" => "160004",
        "server_encoding" | "client_encoding" => "UTF8",
        "datestyle" => "ISO, MDY",
        "timezone" => "UTC",
        "intervalstyle" => "postgres",
        "integer_datetimes" | "standard_conforming_strings" => "on",
        "search_path" => "\"$user\", public",
        "max_identifier_length" => "63",
        "transaction_isolation" | "default_transaction_isolation" => "serializable",
        "transaction_read_only" | "default_transaction_read_only" | "is_superuser" => "off",
        "lc_collate" | "lc_ctype" => "C.UTF-8",
        "block_size" => "8192",
        "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" => "0",
        "application_name" => "",
        _ => return None,
    })
}

fn current_setting(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(name) = text_arg(ctx, 0) else {
        return Ok(V::Null);
    };
    let key = name.to_ascii_lowercase();
    if let Some(v) = current_session().and_then(|s| s.settings.get(&key).cloned()) {
        return Ok(V::Text(v));
    }
    if let Some(v) = default_setting(&key) {
        return Ok(V::Text(v.into()));
    }
    if ctx.len() > 1 && bool_arg(ctx, 1).unwrap_or(false) {
        return Ok(V::Null);
    }
    Err(user_error(format!("unrecognized configuration parameter \"{name}\"")))
}

/// PostgreSQL's display name of a type, with its modifier.
pub(crate) fn type_display(oid: u32, typmod: Option<i64>) -> Option<String> {
    let ty = BUILTIN_TYPES.iter().find(|t| t.0 == oid)?;
    if ty.7 != 0 && ty.1.starts_with('_') {
        return Some(format!("{}[]", type_display(ty.7, typmod)?));
    }
    let m = typmod.filter(|m| *m >= 0);
    Some(match ty.1 {
        "bool" => "boolean".into(),
        "int2" => "smallint".into(),
        "int4" => "integer".into(),
        "int8" => "bigint".into(),
        "float4" => "real".into(),
        "float8" => "double precision".into(),
        "char" => "\"char\"".into(),
        "varchar" => match m {
            Some(m) => format!("character varying({})", m - 4),
            None => "character varying".into(),
        },
        "bpchar" => match m {
            Some(m) => format!("character({})", m - 4),
            None => "character".into(),
        },
        "numeric" => match m {
            Some(m) => format!("numeric({},{})", ((m - 4) >> 16) & 0xffff, (m - 4) & 0xffff),
            None => "numeric".into(),
        },
        "timestamp" => match m {
            Some(p) => format!("timestamp({p}) without time zone"),
            None => "timestamp without time zone".into(),
        },
        "timestamptz" => match m {
            Some(p) => format!("timestamp({p}) with time zone"),
            None => "timestamp with time zone".into(),
        },
        "time" => "time without time zone".into(),
        "timetz" => "time with time zone".into(),
        "bit" => match m {
            Some(m) => format!("bit({m})"),
            None => "\"bit\"".into(),
        },
        "varbit" => match m {
            Some(m) => format!("bit varying({m})"),
            None => "bit varying".into(),
        },
        other => other.to_string(),
    })
}

fn format_type(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(oid) = int_arg(ctx, 0) else {
        return Ok(V::Null);
    };
    let typmod = int_arg(ctx, 1);
    let Ok(oid) = u32::try_from(oid) else { return Ok(V::Text("???".into())) };
    if oid == 0 {
        return Ok(V::Text("-".into()));
    }
    Ok(V::Text(any_type_display(oid, typmod).unwrap_or_else(|| "???".into())))
}

/// A built-in or user-defined type's display name; a user-defined type
/// with a modifier prints it in parentheses, as PostgreSQL does for a type
/// without a modifier output function.
fn any_type_display(oid: u32, typmod: Option<i64>) -> Option<String> {
    if let Some(name) = type_display(oid, typmod) {
        return Some(name);
    }
    let name = snapshot().user_type_display(oid)?;
    Some(match typmod.filter(|m| *m >= 0) {
        Some(m) => format!("{name}({m})"),
        None => name,
    })
}

fn type_by_name(text: &str) -> Option<u32> {
    builtin_type_by_name(text).or_else(|| snapshot().user_type_oid(text))
}

fn builtin_type_by_name(text: &str) -> Option<u32> {
    let parts = snapshot::split_qualified(text);
    let name = parts.last()?.trim().to_string();
    let (base, array) = match name.strip_suffix("[]") {
        Some(b) => (b.trim().to_string(), true),
        None => (name, false),
    };
    let base_oid = BUILTIN_TYPES
        .iter()
        .find(|t| t.1 == base || type_display(t.0, None).as_deref() == Some(base.as_str()))
        .map(|t| t.0)
        .or_else(|| {
            let alias = match base.as_str() {
                "int" => "int4",
                "decimal" => "numeric",
                "float" => "float8",
                "character varying" => "varchar",
                "character" => "bpchar",
                _ => return None,
            };
            BUILTIN_TYPES.iter().find(|t| t.1 == alias).map(|t| t.0)
        })?;
    if array {
        BUILTIN_TYPES.iter().find(|t| t.0 == base_oid).map(|t| t.8).filter(|a| *a != 0)
    } else {
        Some(base_oid)
    }
}

fn oid_arg(ctx: &Context<'_>, i: usize) -> Option<u32> {
    int_arg(ctx, i).and_then(|n| u32::try_from(n).ok())
}

/// Which columns a privilege check is about.
enum Columns {
    /// The column named (or numbered) by this argument.
    One(usize),
    /// Any column of the table.
    Any,
}

/// `has_table_privilege`, `has_column_privilege`, `has_any_column_privilege`
/// as PostgreSQL answers them: the role (argument `user`, else the
/// session's), the table (argument `table`: OID or name) and a
/// comma-separated privilege list (argument `privileges`); true when the
/// role holds any of them. Owners and admins hold every privilege;
/// REFERENCES, TRIGGER and `WITH GRANT OPTION` only they hold. Catalog
/// tables and system views may be read by everyone.
fn privilege_check(
    ctx: &Context<'_>,
    user: Option<usize>,
    table: usize,
    columns: Option<Columns>,
    privileges: usize,
) -> rusqlite::Result<V> {
    use node_core::catalog::privilege as p;
    let snap = snapshot();
    let name = match user {
        Some(i) => match ctx.get_raw(i) {
            ValueRef::Integer(oid) => u32::try_from(oid).ok().and_then(|o| snap.role_name(o)),
            _ => text_arg(ctx, i),
        },
        None => current_session().map(|s| s.user.clone()),
    };
    let Some(name) = name else { return Ok(V::Null) };
    let Some(who) = snap.who(&name) else {
        return Err(node_exec::pgfns::fail("42704", format!("role \"{name}\" does not exist")));
    };
    let oid = match ctx.get_raw(table) {
        ValueRef::Null => return Ok(V::Null),
        ValueRef::Integer(oid) => u32::try_from(oid).ok(),
        _ => {
            let text = text_arg(ctx, table).unwrap_or_default();
            Some(
                snap.relation_oid(&text)
                    .ok_or_else(|| node_exec::pgfns::fail("42P01", format!("relation \"{text}\" does not exist")))?,
            )
        }
    };
    let Some(list) = text_arg(ctx, privileges) else { return Ok(V::Null) };
    let wanted = privilege_list(&list)?;
    let Some(meta) = oid.and_then(|o| snap.tables.get(&o)) else {
        // Not a user table: the catalog and system views, readable by all.
        return Ok(V::Integer(wanted.iter().any(|&(bit, opt)| bit == p::SELECT && !opt) as i64));
    };
    let column = match &columns {
        Some(Columns::One(i)) => match ctx.get_raw(*i) {
            ValueRef::Integer(n) => {
                usize::try_from(n - 1).ok().and_then(|k| meta.columns.get(k)).map(|c| c.name.clone())
            }
            _ => text_arg(ctx, *i),
        },
        _ => None,
    };
    let holds = |&(bit, grant_option): &(u8, bool)| {
        if grant_option || bit == 0 {
            return node_core::acl::owns(meta, who);
        }
        if node_core::acl::has(meta, who, bit) {
            return true;
        }
        // Column-level UPDATE grants.
        bit == p::UPDATE
            && match &columns {
                Some(Columns::One(_)) => column.as_deref().is_some_and(|c| node_core::acl::may_update(meta, who, c)),
                Some(Columns::Any) => meta.columns.iter().any(|c| node_core::acl::may_update(meta, who, &c.name)),
                None => false,
            }
    };
    Ok(V::Integer(wanted.iter().any(holds) as i64))
}

/// A privilege list (`'SELECT, UPDATE WITH GRANT OPTION'`) as privilege
/// bits (0 for REFERENCES and TRIGGER, which only owners hold) and whether
/// the grant option is asked for.
fn privilege_list(list: &str) -> rusqlite::Result<Vec<(u8, bool)>> {
    use node_core::catalog::privilege as p;
    let mut wanted = Vec::new();
    for item in list.split(',') {
        let item = item.trim().to_ascii_lowercase();
        let (kind, grant_option) = match item.strip_suffix("with grant option") {
            Some(k) => (k.trim_end().to_string(), true),
            None => (item.clone(), false),
        };
        let bit = match kind.as_str() {
            "select" => p::SELECT,
            "insert" => p::INSERT,
            "update" => p::UPDATE,
            "delete" => p::DELETE,
            "truncate" => p::TRUNCATE,
            "references" | "trigger" => 0,
            _ => {
                return Err(node_exec::pgfns::fail(
                    "22023",
                    format!("unrecognized privilege type: \"{}\"", item.trim()),
                ))
            }
        };
        wanted.push((bit, grant_option));
    }
    Ok(wanted)
}

fn table_is_visible(ctx: &Context<'_>) -> rusqlite::Result<V> {
    Ok(oid_arg(ctx, 0).and_then(|o| snapshot().visible(o)).map(|v| V::Integer(v as i64)).unwrap_or(V::Null))
}

fn type_is_visible(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(oid) = oid_arg(ctx, 0) else { return Ok(V::Null) };
    let visible = BUILTIN_TYPES.iter().any(|t| t.0 == oid) || snapshot().user_type_visible(oid) == Some(true);
    Ok(V::Integer(visible as i64))
}

fn get_userbyid(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(oid) = oid_arg(ctx, 0) else {
        return Ok(V::Null);
    };
    Ok(V::Text(snapshot().role_name(oid).unwrap_or_else(|| format!("unknown (OID={oid})"))))
}

fn get_indexdef(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(oid) = oid_arg(ctx, 0) else {
        return Ok(V::Null);
    };
    let snap = snapshot();
    let Some(index) = snap.indexes.get(&oid) else {
        return Ok(V::Null);
    };
    let column = if ctx.len() > 1 { int_arg(ctx, 1).unwrap_or(0) } else { 0 };
    Ok(match column {
        0 => V::Text(index.definition.clone()),
        n => usize::try_from(n - 1)
            .ok()
            .and_then(|k| index.keys.get(k))
            .map(|k| V::Text(k.clone()))
            .unwrap_or(V::Text(String::new())),
    })
}

/// `pg_get_viewdef(view [, pretty])`: `view` an OID or a relation's name
/// (`pg_get_viewdef(text)`); NULL for a relation that is no view, as in
/// PostgreSQL, and 42P01 for a name no relation has. A second argument
/// that is a number (PostgreSQL's wrap column) asks for the pretty form.
fn get_viewdef(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let snap = snapshot();
    let oid = match ctx.get_raw(0) {
        ValueRef::Null => return Ok(V::Null),
        ValueRef::Integer(n) => u32::try_from(n).ok(),
        _ => {
            let text = text_arg(ctx, 0).unwrap_or_default();
            // An OID sent as text (`'16404'::oid`) reads as the OID.
            match snap.relation_oid(&text).or_else(|| text.trim().parse().ok()) {
                Some(oid) => Some(oid),
                None => return Err(node_exec::pgfns::fail("42P01", format!("relation \"{text}\" does not exist"))),
            }
        }
    };
    let pretty = ctx.len() > 1 && bool_arg(ctx, 1).unwrap_or(false);
    let view = oid.and_then(|oid| snap.views.get(&oid));
    Ok(view.map(|v| V::Text(if pretty { v.pretty.clone() } else { v.plain.clone() })).unwrap_or(V::Null))
}

/// `pg_get_ruledef(rule [, pretty])`: the `_RETURN` rules of views are
/// the only rules.
fn get_ruledef(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let snap = snapshot();
    let pretty = ctx.len() > 1 && bool_arg(ctx, 1).unwrap_or(false);
    let view = oid_arg(ctx, 0).and_then(|rule| snap.rules.get(&rule)).and_then(|view| snap.views.get(view));
    Ok(view.map(|v| V::Text(v.rule(pretty))).unwrap_or(V::Null))
}

/// `pg_get_serial_sequence(table, column)`: the sequence the column owns
/// (a serial or identity column's own, or one `OWNED BY` it), always
/// schema-qualified; NULL for a column that owns none. As in PostgreSQL,
/// the table's name is read as `regclass` input (folded unless quoted) and
/// the column's is taken as written: 42P01 for a table that is not there,
/// 42703 for a column it does not have.
fn get_serial_sequence(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(table), Some(column)) = (text_arg(ctx, 0), text_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    // Text that is no name fails as PostgreSQL's name parsing fails (42602, 42601).
    sqlmap::relation_from_text(&table).map_err(|e| node_exec::pgfns::fail(e.sqlstate, e.message))?;
    let snap = snapshot();
    let Some(oid) = snap.relation_oid(&table) else {
        let name = snapshot::split_qualified(&table).join(".");
        return Err(node_exec::pgfns::fail("42P01", format!("relation \"{name}\" does not exist")));
    };
    if let Some(sequence) = snap.serial_sequences.get(&(oid, column.clone())) {
        return Ok(snap.qualified_relation_name(*sequence).map(V::Text).unwrap_or(V::Null));
    }
    if !snap.has_column(oid, &column) {
        let relation = snapshot::split_qualified(&table).pop().unwrap_or_default();
        return Err(node_exec::pgfns::fail(
            "42703",
            format!("column \"{column}\" of relation \"{relation}\" does not exist"),
        ));
    }
    Ok(V::Null)
}

/// `obj_description(oid [, catalog])`: the comment on an object; with a
/// catalog name (`'pg_class'`, `'pg_constraint'`), only in that catalog.
fn obj_description(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(oid) = oid_arg(ctx, 0) else {
        return Ok(V::Null);
    };
    let snap = snapshot();
    let class = if ctx.len() > 1 {
        let Some(class) = text_arg(ctx, 1).and_then(|catalog| snap.relation_oid(&catalog)) else {
            return Ok(V::Null);
        };
        Some(class)
    } else {
        None
    };
    let found = snap
        .descriptions
        .range((oid, 0, 0)..=(oid, u32::MAX, 0))
        .find(|((_, c, sub), _)| *sub == 0 && class.is_none_or(|class| class == *c))
        .map(|(_, text)| V::Text(text.clone()));
    Ok(found.unwrap_or(V::Null))
}

/// `col_description(table oid, column number)`: the comment on a column.
fn col_description(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(oid), Some(n)) = (oid_arg(ctx, 0), int_arg(ctx, 1)) else {
        return Ok(V::Null);
    };
    let key = (oid, super::snapshot::CLASS_PG_CLASS, n);
    Ok(snapshot().descriptions.get(&key).map(|text| V::Text(text.clone())).unwrap_or(V::Null))
}

/// `pg_get_constraintdef(oid [, pretty])`: pretty leaves out the
/// parentheses a check's expression needs none of.
fn get_constraintdef(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let pretty = ctx.len() > 1 && bool_arg(ctx, 1).unwrap_or(false);
    let definition = oid_arg(ctx, 0)
        .and_then(|o| snapshot().constraints.get(&o).map(|d| if pretty { d.pretty.clone() } else { d.plain.clone() }));
    Ok(definition.map(V::Text).unwrap_or(V::Null))
}

/// `pg_size_pretty`: bytes, then kB, MB, GB, TB once a value reaches 10240
/// of the unit below, rounding half up as PostgreSQL does.
fn size_pretty(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let Some(mut size) = int_arg(ctx, 0) else {
        return Ok(V::Null);
    };
    if size.abs() < 10 * 1024 {
        return Ok(V::Text(format!("{size} bytes")));
    }
    for unit in ["kB", "MB", "GB", "TB"] {
        let half = if size < 0 { -1 } else { 1 };
        let next = (size + half * 512) / 1024; // rounded to the next unit
        let exact = size / 1024;
        if exact.abs() < 10 * 1024 || unit == "TB" {
            return Ok(V::Text(format!("{next} {unit}")));
        }
        size = exact;
    }
    unreachable!("the last unit returns")
}

fn series(ctx: &Context<'_>) -> rusqlite::Result<V> {
    let (Some(start), Some(stop)) = (int_arg(ctx, 0), int_arg(ctx, 1)) else {
        return Ok(V::Text("[]".into()));
    };
    let step = if ctx.len() > 2 { int_arg(ctx, 2).unwrap_or(1) } else { 1 };
    if step == 0 {
        return Err(user_error("step size cannot equal zero"));
    }
    let count = if (step > 0 && stop < start) || (step < 0 && stop > start) { 0 } else { (stop - start) / step + 1 };
    if count > SERIES_MAX {
        return Err(user_error(format!(
            "generate_series of more than {SERIES_MAX} rows is not supported in catalog queries"
        )));
    }
    let items: Vec<String> = (0..count).map(|k| (start + k * step).to_string()).collect();
    Ok(V::Text(format!("[{}]", items.join(","))))
}

fn regclass(ctx: &Context<'_>) -> rusqlite::Result<V> {
    match ctx.get_raw(0) {
        ValueRef::Null => Ok(V::Null),
        ValueRef::Integer(n) => Ok(V::Integer(n)),
        _ => {
            let text = text_arg(ctx, 0).unwrap_or_default();
            if let Ok(n) = text.trim().parse::<i64>() {
                return Ok(V::Integer(n));
            }
            match snapshot().relation_oid(&text) {
                Some(oid) => Ok(V::Integer(oid.into())),
                None => Err(node_exec::pgfns::fail("42P01", format!("relation \"{text}\" does not exist"))),
            }
        }
    }
}

fn regclass_name(ctx: &Context<'_>) -> rusqlite::Result<V> {
    if matches!(ctx.get_raw(0), ValueRef::Null) {
        return Ok(V::Null);
    }
    oid_name(regclass(ctx)?, |o| snapshot().relation_name(o))
}

fn regtype(ctx: &Context<'_>) -> rusqlite::Result<V> {
    match ctx.get_raw(0) {
        ValueRef::Null => Ok(V::Null),
        ValueRef::Integer(n) => Ok(V::Integer(n)),
        _ => {
            let text = text_arg(ctx, 0).unwrap_or_default();
            if let Ok(n) = text.trim().parse::<i64>() {
                return Ok(V::Integer(n));
            }
            type_by_name(&text)
                .map(|o| V::Integer(o.into()))
                .ok_or_else(|| node_exec::pgfns::fail("42704", format!("type \"{text}\" does not exist")))
        }
    }
}

fn regtype_name(ctx: &Context<'_>) -> rusqlite::Result<V> {
    oid_name(regtype(ctx)?, |o| any_type_display(o, None))
}

/// How an OID alias (`x::regclass` and friends) prints: the object's name,
/// or the number when no object has that OID; NULL stays NULL.
fn oid_name(oid: V, name: impl FnOnce(u32) -> Option<String>) -> rusqlite::Result<V> {
    let V::Integer(oid) = oid else {
        return Ok(V::Null);
    };
    Ok(V::Text(u32::try_from(oid).ok().and_then(name).unwrap_or_else(|| oid.to_string())))
}

/// `::regnamespace` / `::regrole`: an OID passes through; a name is looked
/// up among `(oid, name)` pairs.
fn reg_lookup<'a>(
    ctx: &Context<'_>,
    entries: impl Iterator<Item = (&'a u32, &'a String)>,
    what: &str,
) -> rusqlite::Result<V> {
    match ctx.get_raw(0) {
        ValueRef::Null => Ok(V::Null),
        ValueRef::Integer(n) => Ok(V::Integer(n)),
        _ => {
            let text = text_arg(ctx, 0).unwrap_or_default();
            let name = snapshot::split_qualified(&text).pop().unwrap_or_default();
            let mut entries = entries;
            entries
                .find(|(_, n)| **n == name)
                .map(|(o, _)| V::Integer((*o).into()))
                .ok_or_else(|| user_error(format!("{what} \"{text}\" does not exist")))
        }
    }
}

fn regnamespace(ctx: &Context<'_>) -> rusqlite::Result<V> {
    reg_lookup(ctx, snapshot().namespaces.iter(), "schema")
}

fn regnamespace_name(ctx: &Context<'_>) -> rusqlite::Result<V> {
    oid_name(regnamespace(ctx)?, |o| snapshot().namespaces.get(&o).cloned())
}

fn regrole(ctx: &Context<'_>) -> rusqlite::Result<V> {
    reg_lookup(ctx, snapshot().roles.iter(), "role")
}

fn regrole_name(ctx: &Context<'_>) -> rusqlite::Result<V> {
    oid_name(regrole(ctx)?, |o| snapshot().role_name(o))
}
