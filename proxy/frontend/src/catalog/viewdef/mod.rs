//! A view's definition as clients read it back: `pg_get_viewdef` and
//! `pg_views.definition` / `information_schema.views.view_definition` in
//! PostgreSQL 15's words, and the SELECT of MySQL's `SHOW CREATE VIEW` and
//! `information_schema.VIEWS`, all from the query text the chain stores
//! ([`node_core::catalog::ViewMeta::query`], as sqlparser printed it).
//! Also a CHECK constraint's expression as `pg_get_constraintdef` prints
//! it, from the SQLite text sqlmap rendered ([`check_expression`]).
//!
//! The text is read into a tree ([`ast`], by [`parse`] over [`lex`]'s tokens), its
//! names resolved against the catalog as PostgreSQL's parser resolved
//! them when the view was created ([`bind`]), and printed ([`postgres`],
//! [`mysql`]); types ([`types`]) give the casts PostgreSQL shows. A query
//! this module does not read (a window function, `WITH`, `LATERAL`, ...)
//! is shown as stored, with the leading space and the `;` PostgreSQL
//! prints around a definition.

mod ast;
mod bind;
mod lex;
mod mysql;
mod parse;
mod postgres;
mod sqlite;
mod types;

use std::collections::BTreeMap;

use node_core::catalog::TableMeta;

/// PostgreSQL 15's keywords that are not unreserved, from its
/// `pg_get_keywords()` (catcode <> 'U'): an identifier that is one of
/// them is quoted (`AS "coalesce"`, `"left"(s, 3)`).
const KEYWORDS: &str = "\
    all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both \
    case cast char character check coalesce collate collation column concurrently constraint create cross \
    current_catalog current_date current_role current_schema current_time current_timestamp current_user dec \
    decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign \
    freeze from full grant greatest group grouping having ilike in initially inner inout int integer \
    intersect interval into is isnull join lateral leading least left like limit localtime localtimestamp \
    national natural nchar none normalize not notnull null nullif numeric offset on only or order out outer \
    overlaps overlay placing position precision primary real references returning right row select \
    session_user setof similar smallint some substring symmetric table tablesample then time timestamp to \
    trailing treat trim true union unique user using values varchar variadic verbose when where window with \
    xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize \
    xmltable";

/// An identifier as PostgreSQL's `quote_identifier` prints it: bare when
/// it is lower case letters, digits and underscores and no keyword.
pub(crate) fn quote_identifier(name: &str) -> String {
    if KEYWORDS.split_ascii_whitespace().any(|k| k == name) {
        format!("\"{name}\"")
    } else {
        super::snapshot::quote_ident(name)
    }
}

/// A relation, by its SQLite name, as PostgreSQL's `generate_relation_name`
/// prints it in a definition: bare on the search path (`public`,
/// `pg_catalog`), else qualified by its schema.
pub(crate) fn relation_name(sqlite: &str) -> String {
    match sqlmap::relation_schema(sqlite) {
        ("public" | "pg_catalog", relation) => quote_identifier(relation),
        (schema, relation) => format!("{}.{}", quote_identifier(schema), quote_identifier(relation)),
    }
}

/// Finds a table or view by its SQLite name (`schema.rel` outside `public`).
pub(crate) type Relation<'r, 'a> = &'r dyn Fn(&str) -> Option<&'a TableMeta>;

/// A view's query, read and bound against the relations `relation`
/// finds; `None` when the text is outside what is read here.
fn bound(view: &TableMeta, relation: Relation<'_, '_>) -> Option<ast::Query> {
    let query = &view.view.as_ref()?.query;
    let parsed = parse::parse(lex::tokens(query)?)?;
    let columns = |name: &str| {
        let meta = relation(name)?;
        Some(meta.columns.iter().map(|c| (c.name.clone(), c.pg_type.clone())).collect())
    };
    Some(bind::Binder::new(&columns).query(parsed))
}

fn column_names(view: &TableMeta) -> Vec<String> {
    view.columns.iter().map(|c| c.name.clone()).collect()
}

/// `pg_get_viewdef(view, pretty)`: `None` when `view` is no view.
pub(crate) fn postgres(view: &TableMeta, relation: Relation<'_, '_>, pretty: bool) -> Option<String> {
    let stored = &view.view.as_ref()?.query;
    Some(match bound(view, relation) {
        Some(query) => postgres::definition(&query, &column_names(view), pretty),
        None => format!(" {};", stored.trim_end_matches(';')),
    })
}

/// The SELECT of MySQL's `SHOW CREATE VIEW` (`schema`: none) and of
/// `information_schema.VIEWS.VIEW_DEFINITION` (the database's name):
/// `None` when `view` is no view.
pub fn mysql(view: &TableMeta, relations: &BTreeMap<String, TableMeta>, schema: Option<&str>) -> Option<String> {
    mysql_in(view, &|name| relations.get(name), schema)
}

/// [`mysql`] with the relations `relation` finds.
pub(crate) fn mysql_in(view: &TableMeta, relation: Relation<'_, '_>, schema: Option<&str>) -> Option<String> {
    let stored = &view.view.as_ref()?.query;
    Some(match bound(view, relation) {
        Some(query) => mysql::definition(&query, &column_names(view), schema),
        None => stored.trim_end_matches(';').to_string(),
    })
}

/// A CHECK constraint's expression, as sqlmap rendered it for SQLite, in
/// the words of PostgreSQL 15's `pg_get_constraintdef(oid, pretty)` inside
/// its `CHECK (...)`: read back ([`sqlite`]), bound against the columns
/// (name, declared type) of its table, known as `relation`, and printed.
/// `None` when the text is outside what is read here.
pub(crate) fn check_expression(
    expression: &str,
    relation: &str,
    columns: &[(String, String)],
    pretty: bool,
) -> Option<String> {
    let parsed = parse::expression(sqlite::tokens(expression)?)?;
    let bound = bind::relation_expression(sqlite::unrendered(parsed), relation, columns);
    Some(postgres::check(&sqlite::booleans(bound), pretty))
}

/// A stored generated column's expression, as sqlmap rendered it for
/// SQLite, in the words of `pg_get_expr(adbin, adrelid, pretty)` for a
/// column of type `ty` of the table known as `relation`.
pub(crate) fn generation_expression(
    expression: &str,
    relation: &str,
    columns: &[(String, String)],
    ty: &str,
    pretty: bool,
) -> Option<String> {
    let parsed = parse::expression(sqlite::tokens(expression)?)?;
    let bound = bind::relation_expression(sqlite::unrendered(parsed), relation, columns);
    Some(postgres::expression(&bound, ty, pretty))
}

/// A domain's CHECK condition (PostgreSQL text in which `VALUE` is the
/// value checked) as `pg_get_constraintdef(oid, pretty)` prints it inside
/// its `CHECK (...)`, for a domain over the type `base` (its name as a
/// column's declared type reads). `None` when the text is outside what is
/// read here.
pub(crate) fn domain_check(condition: &str, base: &str, pretty: bool) -> Option<String> {
    let parsed = parse::expression(lex::tokens(condition)?)?;
    let bound = bind::relation_expression(parsed, "", &[("value".to_string(), base.to_string())]);
    Some(postgres::domain_check(&bound, pretty))
}

/// A domain's DEFAULT (PostgreSQL text) as `pg_type.typdefault` holds it
/// for a domain over `base`: PostgreSQL's unpretty deparse (`'x'::text`).
pub(crate) fn domain_default(expression: &str, base: &str) -> Option<String> {
    let parsed = parse::expression(lex::tokens(expression)?)?;
    let bound = bind::relation_expression(parsed, "", &[]);
    // The constant is coerced to the domain's base type without its
    // modifier: `'x'::character varying` for a `varchar(10)`.
    Some(postgres::expression(&bound, &types::base(base), false))
}

#[cfg(test)]
mod tests;
