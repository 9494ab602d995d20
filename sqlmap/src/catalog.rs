//! The PostgreSQL-only syntax that clients' catalog queries use (psql's
//! `\d`, pgjdbc's `DatabaseMetaData`, SQLAlchemy's inspector), rewritten
//! into SQLite over the proxy's emulated `pg_catalog` and
//! `information_schema` (attached in-memory databases, proxy/frontend/src/catalog).
//!
//! Arrays are text in PostgreSQL's own output form: `{a,b}` for arrays,
//! space-separated `1 2` for `int2vector`/`oidvector` (whose subscripts start
//! at 0, as in PostgreSQL). The rewrites call functions the proxy registers
//! on every read connection; this list is the contract between the two:
//!
//! | SQL                                  | SQLite                                   |
//! | ------------------------------------ | ---------------------------------------- |
//! | `x::regclass` (also regtype, regproc, regnamespace, regrole) | `rc_regclass(x)` (the OID) |
//! | `x::regclass::text`, `x::regclass` as a result column | `rc_regclass_name(x)`   |
//! | `a ~ b`, `a OPERATOR(pg_catalog.~) b`, `~*`, `!~`, `!~*` | `rc_regex(a, b, '' or 'i')` |
//! | `ARRAY[a, b]`                        | `rc_array(a, b)`                         |
//! | `ARRAY(SELECT x ...)`                | `(SELECT coalesce(rc_array_agg(x), '{}') FROM (...))` |
//! | `x = ANY(ARRAY[a, b])`, `x <> ALL(ARRAY[..])` | `x IN (a, b)`, `x NOT IN (..)`  |
//! | `x = ANY(arr)`                       | `rc_array_contains(arr, x)`              |
//! | `arr[i]`, `c.confkey[1]`             | `rc_array_get(arr, i)`, `rc_array_get("c"."confkey", 1)` |
//! | `array_agg(x)`                       | `rc_array_agg(x)` (an aggregate)         |
//! | `unnest(a)`, `generate_subscripts(a, 1)`, `_pg_expandarray(a)` in a SELECT list | a row per element: `json_each(rc_srf_series(a, ..)) AS "__rc_srfN"` joined in, the calls become `rc_array_elem(a, i)` / `rc_array_sub(a, i)` |
//! | `(_pg_expandarray(a)).n` / `.x`       | the element's position / the element     |
//! | `unnest(a) [WITH ORDINALITY] t(x, n)` in FROM | `(SELECT value AS x, key + 1 AS n FROM json_each(rc_array_json(a)) AS rc_unnest) AS t` |
//! | `unnest(a, b)` in FROM (zipped)       | rows of `json_each(rc_srf_series(a, b))`, elements `json_extract(rc_array_json(a), '$[' \|\| key \|\| ']')` |
//! | `unnest(..)` reading the FROM items to its left | `json_each(..) AS t` joined in, `t.x` and `x` replaced by the element's expression |
//! | `CROSS JOIN LATERAL (SELECT e) AS o(n)` | `o.n` replaced by `e`                 |
//! | `bool_and` / `bool_or`               | `min` / `max` (booleans are 0/1)         |
//! | `json_build_object`                  | `json_object`                            |
//! | `COLLATE "default"`, `COLLATE "C"`   | dropped                                  |
//! | `current_user`, `session_user`, `user`, `current_role`, `current_schema`, `current_catalog` | calls of the same name |
//!
//! The other catalog functions (`format_type`, `pg_get_expr`, `version`, ...)
//! keep their names with any `pg_catalog.` prefix dropped.

use sqlparser::ast::{
    AccessExpr, ArrayElemTypeDef, BinaryOperator, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr,
    FunctionArguments, Ident, InTarget, ObjectName, ObjectNamePart, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableAlias, TableFactor, TableFunctionArgs, VisitMut, VisitorMut,
    WildcardAdditionalOptions,
};
use std::ops::ControlFlow;

use crate::error::{PlanError, INTERNAL_ERROR};
use crate::render::{call, quoted};

/// The `reg*` OID alias types and the function that maps a value to an OID.
const REG_TYPES: &[(&str, &str)] = &[
    ("regclass", "rc_regclass"),
    ("regtype", "rc_regtype"),
    ("regproc", "rc_regproc"),
    ("regprocedure", "rc_regproc"),
    ("regnamespace", "rc_regnamespace"),
    ("regrole", "rc_regrole"),
];

/// Types whose values are kept as they are: OIDs are integers, arrays and
/// vectors are text already.
const KEPT_TYPES: &[&str] = &["oid", "int2vector", "oidvector", "xid", "cid", "tid", "aclitem"];

/// Types that become text.
const TEXT_TYPES: &[&str] = &["name", "text", "char", "bpchar", "varchar", "regconfig"];

/// The last part of a type name, lower case, when it is a plain or
/// `pg_catalog.`-qualified name.
fn custom_type_name(data_type: &DataType) -> Option<String> {
    match data_type {
        DataType::Regclass => Some("regclass".into()),
        DataType::Text => Some("text".into()),
        DataType::Custom(name, modifiers) if modifiers.is_empty() => {
            let parts: Vec<&Ident> = name.0.iter().filter_map(ObjectNamePart::as_ident).collect();
            match parts.as_slice() {
                [ty] => Some(ty.value.to_lowercase()),
                [schema, ty] if schema.value.eq_ignore_ascii_case("pg_catalog") => Some(ty.value.to_lowercase()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A cast that only the catalog emulation understands, or `None` to leave
/// the cast to the ordinary rules.
pub(crate) fn cast(inner: &Expr, data_type: &DataType) -> Option<Expr> {
    if matches!(data_type, DataType::Array(_)) {
        return Some(nested(inner.clone()));
    }
    let name = custom_type_name(data_type)?;
    if let Some((_, function)) = REG_TYPES.iter().find(|(ty, _)| *ty == name) {
        return Some(call(function, vec![inner.clone()]));
    }
    // `ARRAY[1,2]::int2vector` prints as the catalog's vectors do: `1 2`.
    if matches!(name.as_str(), "int2vector" | "oidvector") {
        return Some(call("rc_vector", vec![inner.clone()]));
    }
    if KEPT_TYPES.contains(&name.as_str()) {
        return Some(nested(inner.clone()));
    }
    if TEXT_TYPES.contains(&name.as_str()) {
        // `x::regclass::text` is the relation's name.
        if let Some(named) = reg_name(inner) {
            return Some(named);
        }
        if matches!(data_type, DataType::Text) {
            // A plain cast to text: the renderer's, which knows column types.
            return None;
        }
        return Some(Expr::Cast {
            kind: sqlparser::ast::CastKind::Cast,
            expr: Box::new(inner.clone()),
            data_type: DataType::Text,
            format: None,
        });
    }
    None
}

/// `rc_regclass(x)` as `rc_regclass_name(x)`: the name an OID alias prints.
pub(crate) fn reg_name(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let name = function.name.to_string();
    if !REG_TYPES.iter().any(|(_, f)| *f == name) {
        return None;
    }
    let mut named = function.clone();
    named.name = ObjectName::from(vec![Ident::new(format!("{name}_name"))]);
    Some(Expr::Function(named))
}

fn nested(expr: Expr) -> Expr {
    match expr {
        Expr::Nested(_) | Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_) => expr,
        other => Expr::Nested(Box::new(other)),
    }
}

/// The regular-expression operators: `(negated, case-insensitive)`.
pub(crate) fn regex_operator(op: &BinaryOperator) -> Option<(bool, bool)> {
    match op {
        BinaryOperator::PGRegexMatch => Some((false, false)),
        BinaryOperator::PGRegexIMatch => Some((false, true)),
        BinaryOperator::PGRegexNotMatch => Some((true, false)),
        BinaryOperator::PGRegexNotIMatch => Some((true, true)),
        BinaryOperator::PGCustomBinaryOperator(parts) => {
            let op = match parts.as_slice() {
                [op] => op.as_str(),
                [schema, op] if schema.eq_ignore_ascii_case("pg_catalog") => op.as_str(),
                _ => return None,
            };
            match op {
                "~" => Some((false, false)),
                "~*" => Some((false, true)),
                "!~" => Some((true, false)),
                "!~*" => Some((true, true)),
                _ => None,
            }
        }
        _ => None,
    }
}

pub(crate) fn regex(left: Expr, right: Expr, negated: bool, insensitive: bool) -> Expr {
    let flags = if insensitive { "i" } else { "" };
    let matched = call("rc_regex", vec![left, right, string(flags)]);
    if negated {
        Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Not, expr: Box::new(matched) }
    } else {
        matched
    }
}

/// `x op ANY(...)` / `x op ALL(...)`.
pub(crate) fn any_all(left: &Expr, op: &BinaryOperator, right: &Expr, all: bool) -> Result<Expr, PlanError> {
    let negated = match (op, all) {
        (BinaryOperator::Eq, false) => false,
        (BinaryOperator::NotEq, true) => true,
        _ => return Err(PlanError::unsupported(format!("{op} {}(array)", if all { "ALL" } else { "ANY" }))),
    };
    let right = match right {
        Expr::Nested(inner) => inner.as_ref(),
        other => other,
    };
    Ok(match right {
        Expr::Function(f) if f.name.to_string() == "rc_array" => {
            let list = match &f.args {
                FunctionArguments::List(list) => list
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            };
            Expr::In { expr: Box::new(left.clone()), target: InTarget::List(list), negated, global: false }
        }
        Expr::Subquery(query) => {
            Expr::In { expr: Box::new(left.clone()), target: InTarget::Subquery(query.clone()), negated, global: false }
        }
        array => {
            let contains = call("rc_array_contains", vec![array.clone(), left.clone()]);
            if negated {
                Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Not, expr: Box::new(contains) }
            } else {
                contains
            }
        }
    })
}

/// `ARRAY(SELECT x ...)`: the subquery's single column aggregated.
/// The alias of the derived table an `ARRAY(subquery)` becomes.
pub(crate) const ARRAY_SUBQUERY_ALIAS: &str = "__rc_array";

pub(crate) fn array_subquery(query: &Query) -> Result<Expr, PlanError> {
    let mut inner = query.clone();
    let SetExpr::Select(select) = inner.body.as_mut() else {
        return Err(PlanError::unsupported("ARRAY(subquery) over a set operation"));
    };
    let [item] = select.projection.as_mut_slice() else {
        return Err(PlanError::unsupported("ARRAY(subquery) with several columns"));
    };
    let expr = match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e.clone(),
        _ => return Err(PlanError::unsupported("ARRAY(SELECT *)")),
    };
    *item = SelectItem::ExprWithAlias { expr, alias: quoted("__rc_elem") };
    let mut outer =
        parse_expr("(SELECT coalesce(rc_array_agg(\"__rc_elem\"), '{}') FROM (SELECT 1) AS \"__rc_array\")")?;
    if let Expr::Subquery(query) = &mut outer {
        if let SetExpr::Select(select) = query.body.as_mut() {
            if let Some(sqlparser::ast::TableWithJoins { relation: TableFactor::Derived { subquery, .. }, .. }) =
                select.from.first_mut()
            {
                **subquery = inner;
            }
        }
    }
    Ok(outer)
}

/// `(e).field`: `.n` of `_pg_expandarray(a)` is the element's 1-based
/// position, any other field access keeps the value (the only composite the
/// emulation knows is `_pg_expandarray`'s, represented by its element `x`).
pub(crate) fn field_access(root: &Expr, field: &str, srf: Option<&SrfScope>) -> Expr {
    let root = match root {
        Expr::Nested(inner) => inner.as_ref(),
        other => other,
    };
    if field == "n" {
        if let Some(position) = srf.and_then(|srf| srf.position_of(root)) {
            return position;
        }
    }
    root.clone()
}

/// The column a field access starts from, and how many of its steps name
/// it. sqlparser reads `c.confkey[1]` as the root `c` with the steps
/// `.confkey` and `[1]`: leading `.name` steps on a column reference name
/// the column (`c.confkey`), and only the steps after them subscript it or
/// take a field of it.
pub(crate) fn access_root(root: &Expr, chain: &[AccessExpr]) -> (Expr, usize) {
    let mut parts = match root {
        Expr::Identifier(ident) => vec![ident.clone()],
        Expr::CompoundIdentifier(parts) => parts.clone(),
        other => return (other.clone(), 0),
    };
    let mut named = 0;
    for step in chain {
        let AccessExpr::Dot(Expr::Identifier(field)) = step else { break };
        parts.push(field.clone());
        named += 1;
    }
    let column = match parts.as_slice() {
        [only] => Expr::Identifier(only.clone()),
        _ => Expr::CompoundIdentifier(parts),
    };
    (column, named)
}

/// Set-returning functions met in one SELECT list.
#[derive(Default)]
pub(crate) struct SrfScope {
    /// The arrays iterated together (PostgreSQL zips SRFs of one SELECT).
    pub arrays: Vec<Expr>,
    /// The alias of the joined series, `__rc_srfN`.
    pub alias: String,
    /// The element expressions produced for `_pg_expandarray`, to find
    /// them again under `(...).n`.
    expanded: Vec<Expr>,
}

impl SrfScope {
    pub(crate) fn new(depth: usize) -> Self {
        SrfScope { alias: format!("__rc_srf{depth}"), ..Default::default() }
    }

    fn index(&self) -> Expr {
        Expr::CompoundIdentifier(vec![quoted(&self.alias), quoted("value")])
    }

    fn position_of(&self, expr: &Expr) -> Option<Expr> {
        self.expanded.contains(expr).then(|| {
            Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(self.index()),
                op: BinaryOperator::Plus,
                right: Box::new(Expr::value(sqlparser::ast::Value::Number("1".into(), false))),
            }))
        })
    }

    /// A set-returning call in a SELECT list, by its unqualified name.
    pub(crate) fn call(&mut self, name: &str, args: &[Expr]) -> Option<Expr> {
        let (array, function) = match (name, args) {
            ("unnest", [array]) => (array, "rc_array_elem"),
            ("_pg_expandarray", [array]) => (array, "rc_array_elem"),
            ("generate_subscripts", [array, _dimension]) => (array, "rc_array_sub"),
            _ => return None,
        };
        if !self.arrays.contains(array) {
            self.arrays.push(array.clone());
        }
        let element = call(function, vec![array.clone(), self.index()]);
        if name == "_pg_expandarray" {
            self.expanded.push(element.clone());
        }
        Some(element)
    }

    /// Joins the series the SELECT list iterates, if it used any SRF.
    pub(crate) fn finish(self, select: &mut Select) -> Result<(), PlanError> {
        if self.arrays.is_empty() {
            return Ok(());
        }
        if !matches!(select.group_by, sqlparser::ast::GroupByExpr::Expressions(ref e, _) if e.is_empty()) {
            return Err(PlanError::unsupported("set-returning functions with GROUP BY"));
        }
        let series = TableFactor::Table {
            name: ObjectName::from(vec![Ident::new("json_each")]),
            alias: Some(TableAlias { explicit: true, name: quoted(&self.alias), columns: vec![], at: None }),
            args: Some(TableFunctionArgs {
                args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(call("rc_srf_series", self.arrays)))],
                settings: None,
            }),
            with_hints: vec![],
            version: None,
            with_ordinality: false,
            partitions: vec![],
            json_path: None,
            sample: None,
            index_directives: vec![],
            inheritance: None,
        };
        select.from.push(sqlparser::ast::TableWithJoins { relation: series, joins: vec![] });
        Ok(())
    }
}

/// `CROSS JOIN LATERAL (SELECT e1, e2) AS o(a, b)`, a one-row derived table
/// without FROM: its columns are the expressions themselves, so the join
/// goes and `o.a` becomes `e1` throughout the SELECT. First an `unnest`
/// that reads the FROM items beside it is joined in ([`lateral_unnest`]).
pub(crate) fn inline_lateral(select: &mut Select) -> Result<(), PlanError> {
    lateral_unnest(select)?;
    let mut bindings: Vec<(String, String, Expr)> = Vec::new();
    for table in &mut select.from {
        let mut kept = Vec::new();
        for join in table.joins.drain(..) {
            match lateral_values(&join.relation) {
                Some(found) => bindings.extend(found?),
                None => kept.push(join),
            }
        }
        table.joins = kept;
    }
    if bindings.is_empty() {
        return Ok(());
    }
    let mut inliner = Inliner { bindings };
    let _ = select.projection.visit(&mut inliner);
    let _ = select.selection.visit(&mut inliner);
    let _ = select.group_by.visit(&mut inliner);
    let _ = select.having.visit(&mut inliner);
    Ok(())
}

type Binding = (String, String, Expr);

fn lateral_values(relation: &TableFactor) -> Option<Result<Vec<Binding>, PlanError>> {
    let TableFactor::Derived { lateral: true, subquery, alias: Some(alias), .. } = relation else {
        return None;
    };
    let SetExpr::Select(inner) = subquery.body.as_ref() else {
        return Some(Err(PlanError::unsupported("LATERAL")));
    };
    if !inner.from.is_empty() || inner.selection.is_some() {
        return Some(Err(PlanError::unsupported("LATERAL over a table")));
    }
    let mut out = Vec::new();
    for (i, item) in inner.projection.iter().enumerate() {
        let (expr, own) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            _ => return Some(Err(PlanError::unsupported("LATERAL (SELECT *)"))),
        };
        let column = alias.columns.get(i).map(|c| c.name.value.clone()).or(own);
        if let Some(column) = column {
            out.push((alias.name.value.clone(), column, nested(expr.clone())));
        }
    }
    Some(Ok(out))
}

struct Inliner {
    bindings: Vec<Binding>,
}

impl VisitorMut for Inliner {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::CompoundIdentifier(parts) = expr {
            if let [table, column] = parts.as_slice() {
                if let Some((_, _, value)) =
                    self.bindings.iter().find(|(t, c, _)| *t == table.value && *c == column.value)
                {
                    *expr = value.clone();
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Functions renamed one to one.
pub(crate) fn renamed(name: &str) -> Option<&'static str> {
    Some(match name {
        "array_agg" => "rc_array_agg",
        "bool_and" | "every" => "min",
        "bool_or" => "max",
        "json_build_object" | "jsonb_build_object" => "json_object",
        "json_agg" | "jsonb_agg" => "json_group_array",
        _ => return None,
    })
}

/// SQL-standard functions PostgreSQL lets one call without parentheses.
pub(crate) const SESSION_FUNCTIONS: &[&str] =
    &["current_user", "session_user", "user", "current_role", "current_schema", "current_catalog"];

fn string(text: &str) -> Expr {
    Expr::value(sqlparser::ast::Value::SingleQuotedString(text.into()))
}

fn parse_expr(sql: &str) -> Result<Expr, PlanError> {
    crate::parse::expression(sql).map_err(|e| PlanError::new(INTERNAL_ERROR, format!("internal rewrite failed: {e}")))
}

/// A set-returning function in FROM (`generate_series(a, b) s`,
/// `unnest(arr) x`, `pg_partition_ancestors(r) WITH ORDINALITY AS a(relid, depth)`)
/// as a derived table over SQLite's `json_each`, its columns named as
/// PostgreSQL names them. Arguments may refer to enclosing queries but not
/// to tables beside it in the same FROM (SQLite has no LATERAL), except
/// `unnest`'s ([`lateral_unnest`]).
pub(crate) fn from_function(factor: &TableFactor) -> Option<Result<TableFactor, PlanError>> {
    if let TableFactor::UNNEST { alias, array_exprs, with_offset, with_ordinality, .. } = factor {
        // sqlparser reads an unqualified `unnest(` in FROM as this factor.
        if *with_offset {
            return Some(Err(PlanError::unsupported("UNNEST ... WITH OFFSET")));
        }
        return Some(unnest(array_exprs, alias.as_ref(), *with_ordinality));
    }
    if let TableFactor::Function { name, args, with_ordinality, alias, .. } = factor {
        // `LATERAL unnest(..)`: a FROM function is lateral in PostgreSQL anyway.
        let is_unnest = match name.0.as_slice() {
            [ObjectNamePart::Identifier(f)] => f.value.eq_ignore_ascii_case("unnest"),
            [ObjectNamePart::Identifier(schema), ObjectNamePart::Identifier(f)] => {
                schema.value == "pg_catalog" && f.value.eq_ignore_ascii_case("unnest")
            }
            _ => false,
        };
        if !is_unnest {
            return Some(Err(PlanError::unsupported(format!("LATERAL {name}(...)"))));
        }
        let arrays: Vec<Expr> = args
            .iter()
            .filter_map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect();
        return Some(unnest(&arrays, alias.as_ref(), *with_ordinality));
    }
    let TableFactor::Table { name, alias, args: Some(args), with_ordinality, .. } = factor else {
        return None;
    };
    let parts: Vec<&Ident> = name.0.iter().filter_map(ObjectNamePart::as_ident).collect();
    let function = match parts.as_slice() {
        [f] if f.quote_style.is_none() || f.quote_style == Some('"') => f.value.to_lowercase(),
        [schema, f] if schema.value == "pg_catalog" || schema.value == "information_schema" => f.value.to_lowercase(),
        _ => return Some(Err(PlanError::unsupported(format!("table function {name}")))),
    };
    let args: Vec<Expr> = args
        .args
        .iter()
        .filter_map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect();
    if function == "unnest" && !args.is_empty() {
        return Some(unnest(&args, alias.as_ref(), *with_ordinality));
    }
    let (source, columns): (Expr, &[&str]) = match (function.as_str(), args.as_slice()) {
        ("generate_series", [_, _] | [_, _, _]) => (call("rc_series", args.clone()), &["value"]),
        ("_pg_expandarray", [array]) => (call("rc_array_json", vec![array.clone()]), &["value", "key + 1"]),
        ("pg_partition_ancestors", [relation]) => (call("json_array", vec![relation.clone()]), &["value"]),
        _ => return Some(Err(PlanError::unsupported(format!("table function {function}")))),
    };
    let mut names: Vec<String> =
        alias.as_ref().map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect()).unwrap_or_default();
    let default_first = match (function.as_str(), alias) {
        ("_pg_expandarray", _) => "x".to_string(),
        (_, Some(a)) => a.name.value.clone(),
        (f, None) => f.to_string(),
    };
    let mut defaults = vec![default_first];
    if function == "_pg_expandarray" {
        defaults.push("n".into());
    }
    if *with_ordinality {
        defaults.push("ordinality".into());
    }
    for (i, default) in defaults.iter().enumerate() {
        if names.len() <= i {
            names.push(default.clone());
        }
    }
    let mut selected: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    if *with_ordinality {
        selected.push("key + 1".into());
    }
    let list: Vec<String> = selected
        .iter()
        .zip(&names)
        .map(|(column, name)| format!("{column} AS \"{}\"", name.replace('"', "\"\"")))
        .collect();
    let sql = format!("SELECT {} FROM json_each(NULL)", list.join(", "));
    let mut query = match parse_query(&sql) {
        Ok(q) => q,
        Err(e) => return Some(Err(e)),
    };
    if let SetExpr::Select(select) = query.body.as_mut() {
        if let Some(TableFactor::Table { args: Some(a), .. }) = select.from.first_mut().map(|t| &mut t.relation) {
            a.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(source))];
        }
    }
    let alias_name = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| Ident::new(function.clone()));
    Some(Ok(TableFactor::Derived {
        lateral: false,
        subquery: Box::new(query),
        alias: Some(TableAlias { explicit: true, name: alias_name, columns: vec![], at: None }),
        sample: None,
    }))
}

/// The alias of the `json_each` rows inside the derived table an `unnest`
/// in FROM becomes; [`lateral_unnest`] knows its own derived tables by it.
/// Not `__rc_`-prefixed: column references to those are refused (42939),
/// and the renderer visits this derived table like the client's SQL.
const UNNEST_ROWS: &str = "rc_unnest";

/// `unnest(a, b, ..) [WITH ORDINALITY] [AS t(x, y, n)]` in FROM as
/// `(SELECT .. FROM json_each(..) AS rc_unnest) AS t`. One array is
/// `json_each(rc_array_json(a))` (`key` the 0-based position, `value` the
/// element); several are zipped as PostgreSQL does, the rows driven by
/// `rc_srf_series(a, b)` (as long as the longest) and the shorter ones read
/// as NULL past their end ([`json_element`]). An array cast to `T[]`
/// (Django's `($1)::bigint[]`) gives elements cast to `T`, since the array
/// text alone no longer says what its elements are. A derived table cannot
/// see the tables beside it; [`lateral_unnest`] joins `json_each` in
/// directly where the arrays need them.
fn unnest(arrays: &[Expr], alias: Option<&TableAlias>, with_ordinality: bool) -> Result<TableFactor, PlanError> {
    let row = |column: &str| Expr::CompoundIdentifier(vec![Ident::new(UNNEST_ROWS), Ident::new(column)]);
    let (source, elements): (Expr, Vec<Expr>) = match arrays {
        [] => return Err(PlanError::new("42883", "function unnest() does not exist")),
        [array] => (call("rc_array_json", vec![array.clone()]), vec![row("value")]),
        several => {
            (call("rc_srf_series", several.to_vec()), several.iter().map(|a| json_element(a, row("key"))).collect())
        }
    };
    let mut columns: Vec<Expr> = elements
        .into_iter()
        .zip(arrays)
        .map(|(element, array)| match element_type(array) {
            Some(data_type) => {
                Expr::Cast { kind: CastKind::DoubleColon, expr: Box::new(element), data_type, format: None }
            }
            None => element,
        })
        .collect();
    // PostgreSQL names one array's column after the table alias, several `unnest` each.
    let mut defaults: Vec<Ident> = match (arrays, alias) {
        ([_], Some(alias)) => vec![alias.name.clone()],
        _ => vec![Ident::new("unnest"); arrays.len()],
    };
    if with_ordinality {
        columns.push(Expr::BinaryOp {
            left: Box::new(row("key")),
            op: BinaryOperator::Plus,
            right: Box::new(Expr::value(sqlparser::ast::Value::Number("1".into(), false))),
        });
        defaults.push(Ident::new("ordinality"));
    }
    let declared: Vec<Ident> = alias.map(|a| a.columns.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
    if declared.len() > columns.len() {
        let table = alias.map(|a| a.name.value.clone()).unwrap_or_default();
        return Err(PlanError::new(
            "42P10",
            format!(
                "table \"{table}\" has {} columns available but {} columns specified",
                columns.len(),
                declared.len()
            ),
        ));
    }
    let projection = columns
        .into_iter()
        .enumerate()
        .map(|(i, expr)| {
            let name = declared.get(i).or_else(|| defaults.get(i)).cloned().unwrap_or_else(|| Ident::new("unnest"));
            SelectItem::ExprWithAlias { expr, alias: name }
        })
        .collect();
    let mut query = parse_query(&format!("SELECT 1 FROM json_each(NULL) AS {UNNEST_ROWS}"))?;
    if let SetExpr::Select(select) = query.body.as_mut() {
        select.projection = projection;
        if let Some(TableFactor::Table { args: Some(a), .. }) = select.from.first_mut().map(|t| &mut t.relation) {
            a.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(source))];
        }
    }
    let name = alias.map(|a| a.name.clone()).unwrap_or_else(|| Ident::new("unnest"));
    Ok(TableFactor::Derived {
        lateral: false,
        subquery: Box::new(query),
        alias: Some(TableAlias { explicit: true, name, columns: vec![], at: None }),
        sample: None,
    })
}

/// The element at a 0-based position, NULL past the end:
/// `json_extract(rc_array_json(a), '$[' || i || ']')`, the value
/// `json_each(rc_array_json(a))` gives at `key = i`. Not
/// `rc_array_elem(a, i)`, which parses the array text again for every
/// row: a bulk insert of n rows would take n² steps. SQLite computes a
/// deterministic function of constants (Django's `$1::bigint[]`) once per
/// statement and keeps the JSON it parses.
fn json_element(array: &Expr, index: Expr) -> Expr {
    let concat = |left: Expr, right: Expr| Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::StringConcat,
        right: Box::new(right),
    };
    let path = concat(concat(string("$["), index), string("]"));
    call("json_extract", vec![call("rc_array_json", vec![array.clone()]), path])
}

/// The element type of an array expression cast to an array type.
fn element_type(array: &Expr) -> Option<DataType> {
    let array = match array {
        Expr::Nested(inner) => inner.as_ref(),
        other => other,
    };
    let Expr::Cast { data_type: DataType::Array(element), .. } = array else {
        return None;
    };
    match element {
        // PostgreSQL's `int[]`, `int[3]` and `int ARRAY`.
        ArrayElemTypeDef::SquareBracket(inner, _) | ArrayElemTypeDef::Qualified(inner, _) => Some((**inner).clone()),
        _ => None,
    }
}

/// An `unnest` that PostgreSQL evaluates laterally, its arrays reading the
/// FROM items to its left (`FROM pg_index i, unnest(i.indkey, i.indoption)
/// WITH ORDINALITY koi(key, option, arridx)`, as Django introspects). SQLite
/// has no LATERAL, but a table-valued function may read the tables to its
/// left: the derived table [`unnest`] made becomes its `json_each` under the
/// table's alias, and the columns it named become their expressions in
/// this SELECT (`koi.key`, and bare `key` outside nested queries), `*` and
/// `koi.*` their list. Not rewritten: the enclosing query's ORDER BY, which
/// SQLite cannot resolve then (42703), and bare names of other tables'
/// columns that json_each also has (`key`, `value`, `type`, `atom`, `id`,
/// `parent`, `fullkey`, `path`), which become ambiguous. So an `unnest`
/// that reads nothing beside it stays a derived table.
fn lateral_unnest(select: &mut Select) -> Result<(), PlanError> {
    let mut left: Vec<Option<String>> = Vec::new();
    let mut lateral: Vec<LateralUnnest> = Vec::new();
    let mut positions: Vec<(usize, Option<usize>)> = Vec::new();
    for (t, table) in select.from.iter_mut().enumerate() {
        if let Some(found) = to_lateral(&mut table.relation, &left) {
            lateral.push(found);
            positions.push((t, None));
        }
        left.push(visible_name(&table.relation));
        for (j, join) in table.joins.iter_mut().enumerate() {
            if let Some(found) = to_lateral(&mut join.relation, &left) {
                lateral.push(found);
                positions.push((t, Some(j)));
            }
            left.push(visible_name(&join.relation));
        }
    }
    if lateral.is_empty() {
        return Ok(());
    }
    let bindings: Vec<Binding> = lateral
        .iter()
        .flat_map(|l| l.columns.iter().map(|(column, expr)| (l.alias.clone(), column.clone(), expr.clone())))
        .collect();
    // `SELECT x` keeps its name `x` once `x` is an expression.
    for item in &mut select.projection {
        let SelectItem::UnnamedExpr(expr) = item else { continue };
        let column = match expr {
            Expr::Identifier(column) => bindings.iter().find(|(_, c, _)| *c == column.value),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [table, column] => bindings.iter().find(|(t, c, _)| *t == table.value && *c == column.value),
                _ => None,
            },
            _ => None,
        };
        if let Some((_, column, _)) = column {
            *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias: quoted(column) };
        }
    }
    let mut columns = LateralColumns { bindings, depth: 0 };
    let _ = select.projection.visit(&mut columns);
    let _ = select.selection.visit(&mut columns);
    let _ = select.group_by.visit(&mut columns);
    let _ = select.having.visit(&mut columns);
    let _ = select.qualify.visit(&mut columns);
    for (t, table) in select.from.iter_mut().enumerate() {
        // A converted unnest's own arguments read the tables to its left, never itself.
        if !positions.contains(&(t, None)) {
            let _ = table.relation.visit(&mut columns);
        }
        for (j, join) in table.joins.iter_mut().enumerate() {
            if !positions.contains(&(t, Some(j))) {
                let _ = join.relation.visit(&mut columns);
            }
            let _ = join.join_operator.visit(&mut columns);
        }
    }
    expand_wildcards(select, &lateral)
}

/// An unnest joined in as `json_each(..) AS alias`: its columns' names and
/// expressions.
struct LateralUnnest {
    alias: String,
    columns: Vec<(String, Expr)>,
}

/// Turns the derived table of an `unnest` whose arrays read the FROM items
/// to its left (`left`, their visible names, `None` where unknown) into
/// its `json_each`.
fn to_lateral(factor: &mut TableFactor, left: &[Option<String>]) -> Option<LateralUnnest> {
    if left.is_empty() {
        return None;
    }
    let TableFactor::Derived { lateral: false, subquery, alias: Some(alias), .. } = factor else {
        return None;
    };
    let SetExpr::Select(inner) = subquery.body.as_ref() else { return None };
    let [rows] = inner.from.as_slice() else { return None };
    let TableFactor::Table { alias: Some(rows_alias), args: Some(args), .. } = &rows.relation else {
        return None;
    };
    if rows_alias.name.value != UNNEST_ROWS || !rows.joins.is_empty() || inner.selection.is_some() {
        return None;
    }
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(source))] = args.args.as_slice() else { return None };
    if !reads_left(source, left) {
        return None;
    }
    let name = alias.name.value.clone();
    let mut columns = Vec::new();
    for item in &inner.projection {
        let SelectItem::ExprWithAlias { expr, alias: column } = item else { return None };
        let mut expr = expr.clone();
        let _ = expr.visit(&mut Requalify { to: &name });
        columns.push((column.value.clone(), expr));
    }
    let mut relation = rows.relation.clone();
    if let TableFactor::Table { alias: Some(rows_alias), .. } = &mut relation {
        rows_alias.name = quoted(&name);
    }
    *factor = relation;
    Some(LateralUnnest { alias: name, columns })
}

/// Whether an expression may read a FROM item named in `left`: a bare
/// column, a column qualified by one of them, or any column if one of them
/// has no name to tell.
fn reads_left(expr: &Expr, left: &[Option<String>]) -> bool {
    let unknown = left.iter().any(Option::is_none);
    let found = sqlparser::ast::visit_expressions(expr, |e| {
        let reads = match e {
            Expr::Identifier(_) => true,
            Expr::CompoundIdentifier(parts) => {
                unknown
                    || parts
                        .len()
                        .checked_sub(2)
                        .and_then(|i| parts.get(i))
                        .is_some_and(|q| left.iter().any(|l| l.as_deref() == Some(q.value.as_str())))
            }
            _ => false,
        };
        if reads {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    found.is_break()
}

/// The name a FROM item's columns are qualified by, if it has one.
fn visible_name(factor: &TableFactor) -> Option<String> {
    match factor {
        TableFactor::Table { alias: Some(alias), .. } | TableFactor::Derived { alias: Some(alias), .. } => {
            Some(alias.name.value.clone())
        }
        TableFactor::Table { name, alias: None, args: None, .. } => {
            name.0.last().and_then(ObjectNamePart::as_ident).map(|i| i.value.clone())
        }
        _ => None,
    }
}

/// `rc_unnest.x` as `alias.x`.
struct Requalify<'a> {
    to: &'a str,
}

impl VisitorMut for Requalify<'_> {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::CompoundIdentifier(parts) = expr {
            if let Some(first) = parts.first_mut().filter(|p| p.value == UNNEST_ROWS) {
                *first = quoted(self.to);
            }
        }
        ControlFlow::Continue(())
    }
}

/// Column references to lateral unnests replaced by their expressions:
/// qualified ones anywhere, bare ones only in this SELECT, since a nested
/// query's own tables come first for those.
struct LateralColumns {
    bindings: Vec<Binding>,
    depth: usize,
}

impl VisitorMut for LateralColumns {
    type Break = ();

    fn pre_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let found = match expr {
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [table, column] => {
                    self.bindings.iter().find(|(t, c, _)| *t == table.value && *c == column.value).map(|(_, _, e)| e)
                }
                _ => None,
            },
            Expr::Identifier(column) if self.depth == 0 => {
                self.bindings.iter().find(|(_, c, _)| *c == column.value).map(|(_, _, e)| e)
            }
            _ => None,
        };
        if let Some(value) = found {
            *expr = nested(value.clone());
        }
        ControlFlow::Continue(())
    }
}

/// `*` and `alias.*` over a SELECT with lateral unnests: json_each's own
/// columns are not the unnest's, so the list is spelled out, FROM item by
/// FROM item as PostgreSQL orders it.
fn expand_wildcards(select: &mut Select, lateral: &[LateralUnnest]) -> Result<(), PlanError> {
    let listed = |l: &LateralUnnest| -> Vec<SelectItem> {
        l.columns
            .iter()
            .map(|(name, expr)| SelectItem::ExprWithAlias { expr: expr.clone(), alias: quoted(name) })
            .collect()
    };
    let mut projection = Vec::with_capacity(select.projection.len());
    for item in std::mem::take(&mut select.projection) {
        match item {
            SelectItem::Wildcard(_) => {
                let factors = select
                    .from
                    .iter()
                    .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
                for factor in factors {
                    let name = visible_name(factor).ok_or_else(|| {
                        PlanError::unsupported("SELECT * beside a lateral unnest and an unnamed table")
                    })?;
                    match lateral.iter().find(|l| l.alias == name && is_json_each(factor)) {
                        Some(l) => projection.extend(listed(l)),
                        None => projection.push(SelectItem::QualifiedWildcard(
                            SelectItemQualifiedWildcardKind::ObjectName(ObjectName::from(vec![quoted(&name)])),
                            WildcardAdditionalOptions::default(),
                        )),
                    }
                }
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), options) => {
                let alias = match name.0.as_slice() {
                    [ObjectNamePart::Identifier(only)] => lateral.iter().find(|l| l.alias == only.value),
                    _ => None,
                };
                match alias {
                    Some(l) => projection.extend(listed(l)),
                    None => projection.push(SelectItem::QualifiedWildcard(
                        SelectItemQualifiedWildcardKind::ObjectName(name),
                        options,
                    )),
                }
            }
            other => projection.push(other),
        }
    }
    select.projection = projection;
    Ok(())
}

fn is_json_each(factor: &TableFactor) -> bool {
    matches!(factor, TableFactor::Table { name, args: Some(_), .. }
        if name.0.last().and_then(ObjectNamePart::as_ident).is_some_and(|i| i.value == "json_each"))
}

fn parse_query(sql: &str) -> Result<Query, PlanError> {
    match crate::parse::statements(sql) {
        Ok(mut statements) => match statements.pop() {
            Some(sqlparser::ast::Statement::Query(q)) => Ok(*q),
            _ => Err(PlanError::new(INTERNAL_ERROR, "internal rewrite failed")),
        },
        Err(e) => Err(PlanError::new(INTERNAL_ERROR, format!("internal rewrite failed: {e}"))),
    }
}

/// The PostgreSQL type OIDs of a SELECT's result columns where the SQL
/// alone tells them and SQLite's values cannot: booleans (SQLite returns
/// 0/1), arrays (text in PostgreSQL's form, see the module docs), text from
/// casts and catalog functions. `None` leaves a column to the caller (its
/// table column's declared type, or its values). Columns of derived tables
/// are followed through their aliases. Meant for catalog queries, whose
/// clients decode booleans and arrays by the type they are told.
pub fn result_types(sql: &str) -> Vec<Option<u32>> {
    let Ok(mut statements) = crate::parse::statements(sql) else {
        return Vec::new();
    };
    match statements.pop() {
        Some(sqlparser::ast::Statement::Query(query)) if statements.is_empty() => {
            query_types(&query).into_iter().map(|(_, t)| t).collect()
        }
        _ => Vec::new(),
    }
}

const BOOL: u32 = 16;
const TEXT: u32 = 25;

/// Output columns of a query: (name, type).
fn query_types(query: &Query) -> Vec<(String, Option<u32>)> {
    let mut body = query.body.as_ref();
    while let SetExpr::SetOperation { left, .. } = body {
        body = left.as_ref();
    }
    match body {
        SetExpr::Select(select) => select_types(select),
        SetExpr::Query(q) => query_types(q),
        _ => Vec::new(),
    }
}

type Scope = Vec<(String, Vec<(String, Option<u32>)>)>;

fn select_types(select: &Select) -> Vec<(String, Option<u32>)> {
    let mut scope: Scope = Vec::new();
    for table in &select.from {
        let factors = std::iter::once(&table.relation).chain(table.joins.iter().map(|j| &j.relation));
        for factor in factors {
            if let TableFactor::Derived { subquery, alias: Some(alias), .. } = factor {
                scope.push((alias.name.value.to_lowercase(), query_types(subquery)));
            }
        }
    }
    select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::UnnamedExpr(e) => Some((expr_name(e), expr_type(e, &scope))),
            SelectItem::ExprWithAlias { expr, alias } => Some((alias.value.to_lowercase(), expr_type(expr, &scope))),
            _ => None,
        })
        .collect()
}

fn expr_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(i) => i.value.to_lowercase(),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_lowercase()).unwrap_or_default(),
        _ => String::new(),
    }
}

fn array_of(element: Option<u32>) -> u32 {
    match element {
        Some(BOOL) => 1000,
        Some(19) => 1003,
        Some(21) => 1005,
        Some(23) => 1007,
        Some(20) => 1016,
        Some(26) => 1028,
        _ => 1009,
    }
}

fn expr_type(expr: &Expr, scope: &Scope) -> Option<u32> {
    use sqlparser::ast::{UnaryOperator, Value};
    match expr {
        Expr::Nested(inner) => expr_type(inner, scope),
        Expr::Value(v) => match &v.value {
            Value::Boolean(_) => Some(BOOL),
            Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_) => Some(TEXT),
            _ => None,
        },
        Expr::BinaryOp { op, .. } => match op {
            op if crate::render::is_boolean_operator(op) => Some(BOOL),
            BinaryOperator::StringConcat => Some(TEXT),
            other if regex_operator(other).is_some() => Some(BOOL),
            _ => None,
        },
        Expr::UnaryOp { op: UnaryOperator::Not, .. }
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::In { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::AnyOp { .. }
        | Expr::AllOp { .. }
        | Expr::Exists { .. } => Some(BOOL),
        Expr::Array(_) => Some(1009),
        Expr::Cast { data_type, .. } => cast_type(data_type),
        Expr::Case { conditions, else_result, .. } => conditions
            .iter()
            .find_map(|c| expr_type(&c.result, scope))
            .or_else(|| else_result.as_deref().and_then(|e| expr_type(e, scope))),
        Expr::Identifier(ident) => column_type(None, &ident.value, scope),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [table, column] => column_type(Some(&table.value), &column.value, scope),
            _ => None,
        },
        Expr::Function(f) => function_type(f, scope),
        // A scalar subquery is its one column.
        Expr::Subquery(query) => query_types(query).first().and_then(|(_, t)| *t),
        _ => None,
    }
}

fn column_type(table: Option<&str>, column: &str, scope: &Scope) -> Option<u32> {
    let (table, column) = (table.map(str::to_lowercase), column.to_lowercase());
    scope
        .iter()
        .filter(|(alias, _)| table.as_ref().is_none_or(|t| t == alias))
        .find_map(|(_, columns)| columns.iter().find(|(name, _)| *name == column).map(|(_, t)| *t))
        .flatten()
}

fn cast_type(data_type: &DataType) -> Option<u32> {
    if let DataType::Array(sqlparser::ast::ArrayElemTypeDef::SquareBracket(inner, _)) = data_type {
        return Some(array_of(cast_type(inner)));
    }
    match data_type {
        DataType::Bool | DataType::Boolean => return Some(BOOL),
        DataType::Int2(_) | DataType::SmallInt(_) => return Some(21),
        DataType::Int(_) | DataType::Int4(_) | DataType::Integer(_) => return Some(23),
        DataType::Int8(_) | DataType::BigInt(_) => return Some(20),
        _ => {}
    }
    match custom_type_name(data_type)?.as_str() {
        "text" | "varchar" | "regconfig" => Some(TEXT),
        "name" => Some(19),
        "oid" | "regclass" | "regtype" | "regproc" | "regprocedure" | "regnamespace" | "regrole" => Some(26),
        "bool" => Some(BOOL),
        _ => None,
    }
}

fn function_type(f: &sqlparser::ast::Function, scope: &Scope) -> Option<u32> {
    let name = f.name.0.last().and_then(ObjectNamePart::as_ident)?.value.to_lowercase();
    let first_arg = || match &f.args {
        FunctionArguments::List(list) => list.args.first().and_then(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        }),
        _ => None,
    };
    match name.as_str() {
        "array" => Some(1009),
        // json_build_object becomes SQLite's json_object: a json document.
        "json_build_object" | "json_object" | "json_build_array" | "json_agg" | "to_json" => Some(114),
        "jsonb_build_object" | "jsonb_build_array" | "jsonb_agg" | "to_jsonb" => Some(3802),
        "array_agg" => Some(array_of(first_arg().and_then(|e| expr_type(e, scope)))),
        "bool_and"
        | "bool_or"
        | "every"
        | "pg_table_is_visible"
        | "pg_type_is_visible"
        | "pg_function_is_visible"
        | "has_table_privilege"
        | "has_schema_privilege"
        | "has_database_privilege"
        | "has_column_privilege"
        | "has_any_column_privilege"
        | "has_function_privilege"
        | "has_sequence_privilege"
        | "pg_has_role"
        | "pg_is_in_recovery" => Some(BOOL),
        "current_schemas" => Some(1003),
        "format_type"
        | "pg_get_expr"
        | "pg_get_indexdef"
        | "pg_get_constraintdef"
        | "pg_get_userbyid"
        | "version"
        | "current_database"
        | "current_schema"
        | "current_user"
        | "session_user"
        | "current_setting"
        | "obj_description"
        | "col_description"
        | "shobj_description"
        | "pg_encoding_to_char"
        | "array_to_string"
        | "quote_ident"
        | "string_agg"
        | "pg_size_pretty" => Some(TEXT),
        "min" | "max" | "coalesce" | "nullif" => first_arg().and_then(|e| expr_type(e, scope)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::result_types;

    #[test]
    fn result_types_follow_derived_tables() {
        // SQLAlchemy's get_indexes shape: booleans and arrays through aliases.
        let sql = "SELECT i.indisunique, c.conrelid IS NOT NULL AS has_constraint, x.elements, x.is_expr, x.names, \
                   'a'::text, relname, false AS relhasoids, ARRAY(SELECT 1), n.nspname = ANY(current_schemas(true)) \
                   FROM pg_index i JOIN (SELECT array_agg(CAST(a.attname AS TEXT) ORDER BY a.attnum) AS elements, \
                   array_agg(y.attnum = 0) AS is_expr, array_agg(attname) AS names FROM (SELECT attnum = 0 AS e) AS y) AS x ON true";
        assert_eq!(
            result_types(sql),
            vec![None, Some(16), Some(1009), Some(1000), Some(1009), Some(25), None, Some(16), Some(1009), Some(16)]
        );
        assert_eq!(result_types("SELECT a FROM t; SELECT b FROM u"), vec![]);
        assert_eq!(result_types("not sql"), vec![]);
        // SQLAlchemy's identity options: a json document from a scalar subquery.
        assert_eq!(
            result_types("SELECT (SELECT json_build_object('start', seqstart) FROM pg_sequence), (SELECT 1 = 1)"),
            vec![Some(114), Some(16)]
        );
    }
}
