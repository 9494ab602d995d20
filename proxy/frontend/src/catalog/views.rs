//! What a view adds to the catalog beside its columns (which it has as a
//! table has them): its `pg_class` row (relkind `v`, no storage, no
//! indexes, `relhasrules` for the `_RETURN` rule PostgreSQL keeps a
//! view's query in), `pg_views`, `information_schema.views` and
//! `information_schema.tables` (`VIEW`; rowchain's views take no writes,
//! so nothing is updatable or insertable), the `_RETURN` rule in
//! `pg_rewrite`, and `pg_depend` rows from that rule to the view and to
//! each relation it reads; plus the definitions `pg_get_viewdef` and
//! `pg_get_ruledef` answer with ([`super::viewdef`]).
//!
//! Deliberately approximate: `pg_depend` names the relations a view reads
//! (refobjsubid 0), not each column of them as PostgreSQL does, and no
//! view has a row type in `pg_type` (no table has one here either).

use std::collections::BTreeMap;

use node_core::catalog::TableMeta;
use rusqlite::types::Value as V;

use super::privileges::TableAcl;
use super::snapshot::{derived_oid, i, opt, t, Rows, Snapshot, TableFacts, CLASS_PG_CLASS};

/// `pg_rewrite`'s own OID: the `classid` of a rule's dependencies.
const CLASS_PG_REWRITE: u32 = 2618;

/// A view's definition, both ways `pg_get_viewdef` prints it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ViewDefinition {
    /// The view's schema and its name there.
    pub schema: String,
    pub name: String,
    /// `pg_get_viewdef(v)`, `pg_views.definition`: every operator in
    /// parentheses.
    pub plain: String,
    /// `pg_get_viewdef(v, true)`.
    pub pretty: String,
}

impl ViewDefinition {
    /// `pg_get_ruledef` of the view's `_RETURN` rule.
    pub(crate) fn rule(&self, pretty: bool) -> String {
        let name = super::viewdef::quote_identifier(&self.name);
        let qualified = format!("{}.{name}", super::viewdef::quote_identifier(&self.schema));
        // Pretty, the view is qualified only off the search path.
        let (target, body) = if !pretty {
            (qualified, &self.plain)
        } else if super::snapshot::on_search_path(&self.schema) {
            (name, &self.pretty)
        } else {
            (qualified, &self.pretty)
        };
        format!("CREATE RULE \"_RETURN\" AS\n    ON SELECT TO {target} DO INSTEAD {body}")
    }
}

/// The rows of view `f`; `relation` finds any table or view by name, and
/// `oids` gives their OIDs.
pub(super) fn view_rows<'a>(
    rows: &mut Rows,
    snap: &mut Snapshot,
    f: &TableFacts<'_>,
    acl: &TableAcl,
    relation: super::viewdef::Relation<'_, 'a>,
    oids: &BTreeMap<&str, u32>,
    database: &str,
) {
    let meta = f.meta;
    let Some(view) = &meta.view else { return };
    let plain = super::viewdef::postgres(meta, relation, false).unwrap_or_default();
    let pretty = super::viewdef::postgres(meta, relation, true).unwrap_or_default();
    class_row(rows, f, acl);
    rows.push(
        "pg_catalog",
        "pg_views",
        &[
            ("schemaname", t(f.schema)),
            ("viewname", t(f.rel)),
            ("viewowner", opt(snap.role_name(f.owner))),
            ("definition", t(&plain)),
        ],
    );
    information_rows(rows, f, &plain, database);
    rule_rows(rows, snap, f, &view.depends, oids, (plain, pretty));
}

/// The `_RETURN` rule of view or materialized view `f` in `pg_rewrite`,
/// what it depends on, and the definitions `pg_get_viewdef` prints
/// (`plain`, `pretty`).
fn rule_rows(
    rows: &mut Rows,
    snap: &mut Snapshot,
    f: &TableFacts<'_>,
    depends: &[String],
    oids: &BTreeMap<&str, u32>,
    (plain, pretty): (String, String),
) {
    let rule = rule_oid(f.meta);
    rows.push(
        "pg_catalog",
        "pg_rewrite",
        &[
            ("oid", i(rule)),
            ("rulename", t("_RETURN")),
            ("ev_class", i(f.oid)),
            ("ev_type", t("1")),
            ("ev_enabled", t("O")),
            ("is_instead", i(1)),
        ],
    );
    depend_rows(rows, f.oid, rule, depends, oids);
    snap.rules.insert(rule, f.oid);
    let (schema, name) = (f.schema.to_string(), f.rel.to_string());
    snap.views.insert(f.oid, ViewDefinition { schema, name, plain, pretty });
}

/// What a materialized view `f` adds to its table-like rows (`pg_class`
/// with relkind `m` is the caller's): `pg_matviews`, its `_RETURN` rule
/// and what that depends on, and the definition `pg_get_viewdef` prints.
/// Like PostgreSQL, `information_schema.tables` does not list it.
pub(super) fn materialized_rows<'a>(
    rows: &mut Rows,
    snap: &mut Snapshot,
    f: &TableFacts<'_>,
    relation: super::viewdef::Relation<'_, 'a>,
    oids: &BTreeMap<&str, u32>,
) {
    let meta = f.meta;
    let Some(query) = &meta.materialized else { return };
    // The definition prints as a view's would.
    let as_view = TableMeta { view: Some(query.clone()), materialized: None, ..meta.clone() };
    let plain = super::viewdef::postgres(&as_view, relation, false).unwrap_or_default();
    let pretty = super::viewdef::postgres(&as_view, relation, true).unwrap_or_default();
    rows.push(
        "pg_catalog",
        "pg_matviews",
        &[
            ("schemaname", t(f.schema)),
            ("matviewname", t(f.rel)),
            ("matviewowner", opt(snap.role_name(f.owner))),
            ("hasindexes", super::snapshot::b(!f.indexes.is_empty())),
            ("ispopulated", super::snapshot::b(true)),
            ("definition", t(&plain)),
        ],
    );
    rule_rows(rows, snap, f, &query.depends, oids, (plain, pretty));
}

fn rule_oid(meta: &TableMeta) -> u32 {
    derived_oid("rule", &[&meta.id])
}

/// `pg_class`: relkind `v`, no access method, no storage, no indexes.
fn class_row(rows: &mut Rows, f: &TableFacts<'_>, acl: &TableAcl) {
    let meta = f.meta;
    let (oid, owner) = (f.oid, f.owner);
    let invoker = meta.view.as_ref().is_some_and(|v| v.security_invoker);
    rows.push(
        "pg_catalog",
        "pg_class",
        &[
            ("oid", i(oid)),
            ("relname", t(f.rel)),
            ("relnamespace", i(f.namespace)),
            ("relowner", i(owner)),
            ("relam", i(0)),
            ("relfilenode", i(0)),
            ("reltuples", V::Real(-1.0)),
            ("relhasindex", i(0)),
            ("relhasrules", i(1)),
            ("relpersistence", t(f.persistence())),
            ("relkind", t("v")),
            ("relnatts", i(meta.columns.len() as i64)),
            ("relispopulated", i(1)),
            ("relreplident", t("n")),
            ("relacl", opt(acl.relacl())),
            ("reloptions", if invoker { t("{security_invoker=true}") } else { V::Null }),
        ],
    );
}

/// `information_schema.tables` and `views`: read-only views.
fn information_rows(rows: &mut Rows, f: &TableFacts<'_>, definition: &str, database: &str) {
    // PostgreSQL calls a temporary view what it calls a temporary table.
    let table_type = if f.temporary { "LOCAL TEMPORARY" } else { "VIEW" };
    super::snapshot::information_table_row(rows, f, database, table_type, false);
    rows.push(
        "information_schema",
        "views",
        &[
            ("table_catalog", t(database)),
            ("table_schema", t(f.schema)),
            ("table_name", t(f.rel)),
            ("view_definition", t(definition)),
            ("check_option", t("NONE")),
            ("is_updatable", t("NO")),
            ("is_insertable_into", t("NO")),
            ("is_trigger_updatable", t("NO")),
            ("is_trigger_deletable", t("NO")),
            ("is_trigger_insertable_into", t("NO")),
        ],
    );
}

/// The `_RETURN` rule's dependencies: on its view (internal and normal,
/// as PostgreSQL records both) and on each relation the view reads.
fn depend_rows(rows: &mut Rows, view: u32, rule: u32, depends: &[String], oids: &BTreeMap<&str, u32>) {
    let mut referenced: Vec<(u32, &str)> = vec![(view, "i"), (view, "n")];
    referenced.extend(depends.iter().filter_map(|name| oids.get(name.as_str())).map(|oid| (*oid, "n")));
    for (oid, kind) in referenced {
        rows.push(
            "pg_catalog",
            "pg_depend",
            &[
                ("classid", i(CLASS_PG_REWRITE)),
                ("objid", i(rule)),
                ("objsubid", i(0)),
                ("refclassid", i(CLASS_PG_CLASS)),
                ("refobjid", i(oid)),
                ("refobjsubid", i(0)),
                ("deptype", t(kind)),
            ],
        );
    }
}
