//! User-defined types (`CREATE TYPE ... AS ENUM`, `CREATE DOMAIN`) as
//! PostgreSQL 15 lists them: a `pg_type` row for each (typtype `e` or
//! `d`) and for its array type (`_name`), an enum's labels in `pg_enum`,
//! a domain's checks in `pg_constraint` (`contypid` set, `conrelid` 0) and
//! `information_schema.check_constraints`, with the definitions
//! `pg_get_constraintdef` prints; and the lookups `format_type`,
//! `::regtype` and `pg_type_is_visible` answer from ([`TypeName`]).
//!
//! A chain type shows in its schema; a session's temporary type
//! (`pg_temp.name`) in the session's `pg_temp_N`, laid over the chain's
//! catalog with its temporary tables ([`super::temporary`]). A column of
//! such a type has the type's OID as `atttypid` ([`column_layout`]).

use node_core::usertype::TypeMeta;
use rusqlite::types::Value as V;
use sqlmap::{DomainDef, UserType, UserTypeKind};

use super::builtin::{BuiltinType, BUILTIN_TYPES};
use super::snapshot::{
    b, derived_oid, i, on_search_path, opt, quote_ident, t, ConstraintDefinition, Rows, Snapshot, NS_PG_CATALOG,
    NS_PUBLIC,
};

/// What `format_type` and `::regtype` need of a user-defined type or of
/// its array type.
#[derive(Debug, Clone)]
pub(crate) struct TypeName {
    pub namespace: u32,
    /// The name within its schema (`mood`, `_mood`).
    pub name: String,
    /// For an array type, its element type's OID.
    pub element: Option<u32>,
}

/// The schema a type named `name` (SQLite-style: `mood`, `s.mood`,
/// `pg_temp.mood`) is in, and its name there. `temp_schema` is the
/// session's `pg_temp_N`.
pub(super) fn type_schema<'a>(name: &'a str, temp_schema: Option<&'a str>) -> (&'a str, &'a str) {
    match (name.strip_prefix("pg_temp."), temp_schema) {
        (Some(bare), Some(schema)) => (schema, bare),
        _ => sqlmap::relation_schema(name),
    }
}

/// The OID of a type's array type: fixed by the type's own OID.
pub(super) fn array_oid(type_oid: u32) -> u32 {
    derived_oid("array type", &[&type_oid.to_be_bytes()])
}

fn builtin(oid: u32) -> Option<&'static BuiltinType> {
    BUILTIN_TYPES.iter().find(|t| t.0 == oid)
}

/// How a value of the type is laid out, as `pg_type` and a column's
/// `pg_attribute` row show it: (typlen, typbyval, typalign, typstorage,
/// typcollation). An enum is a 4-byte OID; a domain is its base type.
pub(super) fn column_layout(ty: &UserType) -> (i64, bool, char, char, u32) {
    match &ty.kind {
        UserTypeKind::Enum(_) => (4, true, 'i', 'p', 0),
        UserTypeKind::Domain(domain) => match builtin(domain.base.oid()) {
            Some(base) => (i64::from(base.2), base.3, base.13, base.14, base.15),
            None => (-1, false, 'i', 'x', 0),
        },
    }
}

/// Every row of one user-defined type, `meta`, in the schema `schema`
/// (namespace `namespace`) as `name`, owned by role `owner`.
pub(super) fn type_rows(
    rows: &mut Rows,
    snap: &mut Snapshot,
    meta: &TypeMeta,
    (schema, name): (&str, &str),
    owner: u32,
    database: &str,
) {
    let ty = &meta.ty;
    let namespace = super::snapshot::namespace_oid(schema);
    let array = array_oid(ty.oid);
    snap.type_names.insert(ty.oid, TypeName { namespace, name: name.to_string(), element: None });
    snap.type_names.insert(array, TypeName { namespace, name: format!("_{name}"), element: Some(ty.oid) });
    snap.types.insert(ty.oid, meta.clone());
    let (len, byval, align, storage, collation) = column_layout(ty);
    let mut values = vec![
        ("oid", i(ty.oid)),
        ("typname", t(name)),
        ("typnamespace", i(namespace)),
        ("typowner", i(owner)),
        ("typlen", i(len)),
        ("typbyval", b(byval)),
        ("typispreferred", b(false)),
        ("typisdefined", b(true)),
        ("typdelim", t(",")),
        ("typsubscript", t("-")),
        ("typarray", i(array)),
        ("typmodin", t("-")),
        ("typmodout", t("-")),
        ("typanalyze", t("-")),
        ("typalign", t(align)),
        ("typstorage", t(storage)),
        ("typtypmod", i(-1)),
        ("typcollation", i(collation)),
    ];
    match &ty.kind {
        UserTypeKind::Enum(labels) => {
            values.extend([
                ("typtype", t("e")),
                ("typcategory", t("E")),
                ("typinput", t("enum_in")),
                ("typoutput", t("enum_out")),
                ("typreceive", t("enum_recv")),
                ("typsend", t("enum_send")),
            ]);
            rows.push("pg_catalog", "pg_type", &values);
            enum_rows(rows, ty.oid, labels);
        }
        UserTypeKind::Domain(domain) => {
            let base = builtin(domain.base.oid());
            values.extend([
                ("typtype", t("d")),
                ("typcategory", t(base.map_or('U', |b| b.5))),
                ("typinput", t("domain_in")),
                ("typoutput", t(base.map_or("-", |b| b.10))),
                ("typreceive", t("domain_recv")),
                ("typsend", t(base.map_or("-", |b| b.12))),
                ("typnotnull", b(domain.not_null)),
                ("typbasetype", i(domain.base.oid())),
                ("typtypmod", i(domain.base.typmod())),
                ("typdefault", opt(domain.default.as_deref().map(|d| domain_default(d, domain)))),
            ]);
            rows.push("pg_catalog", "pg_type", &values);
            domain_checks(rows, snap, ty.oid, domain, (schema, namespace), database);
        }
    }
    array_row(rows, (array, name), ty.oid, (namespace, owner), (align, collation));
}

/// The `pg_type` row of the array type of the type `element`.
fn array_row(
    rows: &mut Rows,
    (oid, name): (u32, &str),
    element: u32,
    (namespace, owner): (u32, u32),
    (align, collation): (char, u32),
) {
    rows.push(
        "pg_catalog",
        "pg_type",
        &[
            ("oid", i(oid)),
            ("typname", t(format!("_{name}"))),
            ("typnamespace", i(namespace)),
            ("typowner", i(owner)),
            ("typlen", i(-1)),
            ("typbyval", b(false)),
            ("typtype", t("b")),
            ("typcategory", t("A")),
            ("typisdefined", b(true)),
            ("typdelim", t(",")),
            ("typsubscript", t("array_subscript_handler")),
            ("typelem", i(element)),
            ("typarray", i(0)),
            ("typinput", t("array_in")),
            ("typoutput", t("array_out")),
            ("typreceive", t("array_recv")),
            ("typsend", t("array_send")),
            ("typmodin", t("-")),
            ("typmodout", t("-")),
            ("typanalyze", t("array_typanalyze")),
            ("typalign", t(if align == 'd' { 'd' } else { 'i' })),
            ("typstorage", t("x")),
            ("typtypmod", i(-1)),
            ("typcollation", i(collation)),
        ],
    );
}

/// `pg_enum`: the labels in their order, sort orders 1, 2, ...
fn enum_rows(rows: &mut Rows, type_oid: u32, labels: &[String]) {
    for (n, label) in labels.iter().enumerate() {
        rows.push(
            "pg_catalog",
            "pg_enum",
            &[
                ("oid", i(derived_oid("enum label", &[&type_oid.to_be_bytes(), label.as_bytes()]))),
                ("enumtypid", i(type_oid)),
                ("enumsortorder", V::Real(n as f64 + 1.0)),
                ("enumlabel", t(label)),
            ],
        );
    }
}

/// The base type's name as a column of it is declared (`integer`,
/// `character varying(10)`): what the printer types `VALUE` with.
fn base_name(domain: &DomainDef) -> String {
    domain.base.name()
}

/// A domain's DEFAULT as `typdefault` holds it.
fn domain_default(text: &str, domain: &DomainDef) -> String {
    super::viewdef::domain_default(text, &base_name(domain)).unwrap_or_else(|| text.to_string())
}

/// A domain's DEFAULT as a column of the domain would print it, were it
/// the column's own (`pg_get_expr`); `None` for an enum or a domain
/// without one.
pub(super) fn domain_default_printed(ty: &UserType) -> Option<String> {
    match &ty.kind {
        UserTypeKind::Domain(domain) => domain.default.as_deref().map(|d| domain_default(d, domain)),
        UserTypeKind::Enum(_) => None,
    }
}

/// A domain's checks: `pg_constraint` rows and their definitions, and
/// `information_schema.check_constraints`.
fn domain_checks(
    rows: &mut Rows,
    snap: &mut Snapshot,
    type_oid: u32,
    domain: &DomainDef,
    (schema, namespace): (&str, u32),
    database: &str,
) {
    let base = base_name(domain);
    for check in &domain.checks {
        let oid = derived_oid("domain constraint", &[&type_oid.to_be_bytes(), check.name.as_bytes()]);
        let printed = |pretty| super::viewdef::domain_check(&check.expr, &base, pretty);
        let (plain, pretty) = match (printed(false), printed(true)) {
            (Some(plain), Some(pretty)) => (plain, pretty),
            _ => (check.expr.clone(), check.expr.clone()),
        };
        rows.push(
            "pg_catalog",
            "pg_constraint",
            &[
                ("oid", i(oid)),
                ("conname", t(&check.name)),
                ("connamespace", i(namespace)),
                ("contype", t("c")),
                ("convalidated", b(true)),
                ("conrelid", i(0)),
                ("contypid", i(type_oid)),
                ("confupdtype", t(" ")),
                ("confdeltype", t(" ")),
                ("confmatchtype", t(" ")),
                ("conislocal", b(true)),
                ("conbin", t(&plain)),
            ],
        );
        rows.push(
            "information_schema",
            "check_constraints",
            &[
                ("constraint_catalog", t(database)),
                ("constraint_schema", t(schema)),
                ("constraint_name", t(&check.name)),
                ("check_clause", t(format!("({plain})"))),
            ],
        );
        let definition =
            ConstraintDefinition { plain: format!("CHECK ({plain})"), pretty: format!("CHECK ({pretty})") };
        snap.constraints.insert(oid, definition);
    }
}

/// `information_schema.columns` for a column of a user-defined type `ty`
/// (the last row pushed): an enum is `USER-DEFINED` with its own schema and
/// name as the udt; a domain keeps its base type's description and names
/// itself as the domain.
pub(super) fn information_column(rows: &mut Rows, ty: &UserType, (schema, name): (&str, &str), database: &str) {
    let set = |rows: &mut Rows, column: &str, value: V| rows.set_last("information_schema", "columns", column, value);
    match &ty.kind {
        UserTypeKind::Enum(_) => {
            set(rows, "data_type", t("USER-DEFINED"));
            for column in ["character_maximum_length", "character_octet_length"] {
                set(rows, column, V::Null);
            }
            set(rows, "udt_schema", t(schema));
            set(rows, "udt_name", t(name));
        }
        UserTypeKind::Domain(_) => {
            set(rows, "domain_catalog", t(database));
            set(rows, "domain_schema", t(schema));
            set(rows, "domain_name", t(name));
        }
    }
}

impl Snapshot {
    /// `format_type` of a user-defined type (or its array): its name,
    /// qualified when its schema is off the search path.
    pub(crate) fn user_type_display(&self, oid: u32) -> Option<String> {
        let entry = self.type_names.get(&oid)?;
        if let Some(element) = entry.element {
            return Some(format!("{}[]", self.user_type_display(element)?));
        }
        let schema = self.namespaces.get(&entry.namespace)?;
        Some(if on_search_path(schema) {
            quote_ident(&entry.name)
        } else {
            format!("{}.{}", quote_ident(schema), quote_ident(&entry.name))
        })
    }

    /// The OID a user-defined type's name (`mood`, `s.mood`, `pg_temp.mood`,
    /// `mood[]`, quoted or not) means, as `'...'::regtype` resolves it: an
    /// unqualified one in the session's temporary schema first, then in
    /// `public`.
    pub(crate) fn user_type_oid(&self, text: &str) -> Option<u32> {
        let text = text.trim();
        if let Some(element) = text.strip_suffix("[]") {
            let element = self.user_type_oid(element)?;
            return self.type_names.iter().find(|(_, n)| n.element == Some(element)).map(|(oid, _)| *oid);
        }
        let parts = super::snapshot::split_qualified(text);
        let (namespaces, name): (Vec<u32>, &str) = match parts.as_slice() {
            [name] => (self.temp_namespace.into_iter().chain([NS_PG_CATALOG, NS_PUBLIC]).collect(), name),
            [schema, name] | [_, schema, name] => {
                let namespace = match schema.as_str() {
                    "pg_temp" => self.temp_namespace?,
                    s => *self.namespaces.iter().find(|(_, n)| *n == s)?.0,
                };
                (vec![namespace], name)
            }
            _ => return None,
        };
        namespaces.into_iter().find_map(|ns| {
            self.type_names.iter().find(|(_, n)| n.namespace == ns && n.name == name).map(|(oid, _)| *oid)
        })
    }

    /// `pg_type_is_visible` of a user-defined type: its schema is on the
    /// search path and no type of its name earlier on the path hides it.
    pub(crate) fn user_type_visible(&self, oid: u32) -> Option<bool> {
        let entry = self.type_names.get(&oid)?;
        let schema = self.namespaces.get(&entry.namespace)?;
        if !on_search_path(schema) {
            return Some(false);
        }
        let shadowed = schema == "public"
            && self
                .temp_namespace
                .is_some_and(|temp| self.type_names.values().any(|n| n.namespace == temp && n.name == entry.name));
        Some(!shadowed)
    }
}

/// The type a literal is cast to in a default for a column of `ty`
/// (stored as `storage`), as `pg_get_expr` prints it: an enum's name
/// (`'ok'::mood`, `'x'::s.mood`), a domain's base type (`'x'::character
/// varying`, the modifier dropped where the default is printed).
pub(super) fn default_type_name(ty: &UserType, storage: &str) -> String {
    if let UserTypeKind::Domain(_) = ty.kind {
        return storage.to_string();
    }
    match ty.name.strip_prefix("pg_temp.") {
        Some(bare) => quote_ident(bare),
        None => sqlmap::display_name(&ty.name),
    }
}
