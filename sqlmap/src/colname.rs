//! Result column names as PostgreSQL chooses them for expressions without
//! an alias: `count(*)` is `count`, `x::text` is `x`, `'1'::int` is `int4`,
//! `CASE ...` is `case`, anything else `?column?`. SQLite would name them
//! after their rendered text (`count(*)`, `iif("f", ...)`), which clients
//! see as column names and ORMs map by.

use sqlparser::ast::{DataType, Expr, ObjectNamePart, Query, SelectItem, SetExpr, TrimWhereField};

use crate::names;
use crate::types::{cast_target, PgType};

/// Gives every unaliased expression of the query's SELECT list (the
/// left-most one of a set operation, which names the result) the name
/// PostgreSQL would. Plain column references keep SQLite's naming, which
/// already matches.
pub(crate) fn name_result_columns(query: &mut Query) {
    let mut body = query.body.as_mut();
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left.as_mut(),
            SetExpr::Query(inner) => body = inner.body.as_mut(),
            _ => break,
        }
    }
    let SetExpr::Select(select) = body else { return };
    for item in &mut select.projection {
        let SelectItem::UnnamedExpr(expr) = item else { continue };
        if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            continue;
        }
        let name = figure(expr).unwrap_or_else(|| "?column?".to_string());
        *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias: sqlparser::ast::Ident::with_quote('"', name) };
    }
}

/// PostgreSQL's FigureColname: `None` where it falls back to `?column?`.
fn figure(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(names::fold(ident)),
        Expr::CompoundIdentifier(parts) => parts.last().map(names::fold),
        Expr::Nested(inner) => figure(inner),
        // PostgreSQL ranks a type's name below a column's or a function's:
        // `'x'::regclass::oid` is `oid`, `c.t::regtype::text` is `t`.
        Expr::Cast { expr, data_type, .. } => {
            figure_uncast(expr).or_else(|| type_name(data_type)).or_else(|| figure(expr))
        }
        Expr::TypedString(typed) => type_name(&typed.data_type),
        Expr::Function(f) => f.name.0.last().and_then(ObjectNamePart::as_ident).map(|i| i.value.to_lowercase()),
        Expr::Case { .. } => Some("case".into()),
        Expr::Exists { .. } => Some("exists".into()),
        Expr::Subquery(q) => first_column(q),
        Expr::Array(_) => Some("array".into()),
        Expr::Substring { .. } => Some("substring".into()),
        Expr::Position { .. } => Some("position".into()),
        Expr::Extract { .. } => Some("extract".into()),
        Expr::Ceil { .. } => Some("ceil".into()),
        Expr::Floor { .. } => Some("floor".into()),
        Expr::Trim { trim_where, .. } => Some(
            match trim_where {
                Some(TrimWhereField::Leading) => "ltrim",
                Some(TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            }
            .into(),
        ),
        _ => None,
    }
}

fn first_column(query: &Query) -> Option<String> {
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    match select.projection.first()? {
        SelectItem::ExprWithAlias { alias, .. } => Some(names::fold(alias)),
        SelectItem::UnnamedExpr(e) => figure(e),
        _ => None,
    }
}

/// The name of what a chain of casts casts, unless only a type names it.
fn figure_uncast(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Cast { expr, .. } => figure_uncast(expr),
        Expr::TypedString(_) => None,
        other => figure(other),
    }
}

/// The internal name PostgreSQL gives a cast's type (`int4`, `bool`, ...).
fn type_name(data_type: &DataType) -> Option<String> {
    let Ok(ty) = cast_target(data_type) else {
        // Catalog types: regclass, oid, name, pg_catalog.text, ...
        return match data_type {
            DataType::Regclass => Some("regclass".into()),
            DataType::Custom(name, _) => {
                name.0.last().and_then(ObjectNamePart::as_ident).map(|i| i.value.to_lowercase())
            }
            _ => None,
        };
    };
    Some(internal_name(ty).to_string())
}

/// PostgreSQL's internal name of `ty`; an array's is its element's
/// (`'{1}'::int[]` is a column named `int4`).
fn internal_name(ty: PgType) -> &'static str {
    match ty {
        PgType::Int2 => "int2",
        PgType::Int4 => "int4",
        PgType::Int8 => "int8",
        PgType::Numeric { .. } => "numeric",
        PgType::Float4 => "float4",
        PgType::Float8 => "float8",
        PgType::Text => "text",
        PgType::Varchar(_) => "varchar",
        PgType::Char(_) => "bpchar",
        PgType::Bool => "bool",
        PgType::Date => "date",
        PgType::Timestamp => "timestamp",
        PgType::Time => "time",
        PgType::Timestamptz => "timestamptz",
        PgType::Bytea => "bytea",
        PgType::Json => "json",
        PgType::Jsonb => "jsonb",
        PgType::Uuid => "uuid",
        PgType::Bit(_) => "bit",
        PgType::VarBit(_) => "varbit",
        PgType::Inet => "inet",
        PgType::Cidr => "cidr",
        PgType::MacAddr => "macaddr",
        PgType::MacAddr8 => "macaddr8",
        PgType::InternalChar => "char",
        PgType::Oid => "oid",
        PgType::Int2Vector => "int2vector",
        PgType::OidVector => "oidvector",
        PgType::Array(a) => internal_name(a.element()),
    }
}
