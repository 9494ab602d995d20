//! One version of the emulated catalog: every row of every emulated table,
//! derived from the chain's SQL view at one applied height (the chain's
//! table metadata, accounts, and SQLite's own `PRAGMA` answers for
//! defaults, unique constraints, indexes and foreign keys), plus the
//! lookups the catalog functions answer from (`pg_get_indexdef`,
//! `::regclass`, `pg_get_serial_sequence`, ...).

use std::collections::{BTreeMap, BTreeSet};

use node_core::catalog::TableMeta;
use node_core::schema::SchemaMeta;
use node_core::sequence::SequenceMeta;
use node_exec::tables::AccountInfo;
use rusqlite::types::Value as V;
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::array;
use super::builtin::BUILTIN_TYPES;
use super::privileges::{self, TableAcl};
use super::schema;
use super::sequences::{self, Identity};

pub(crate) const NS_PG_CATALOG: u32 = 11;
pub(crate) const NS_PUBLIC: u32 = 2200;
pub(crate) const NS_INFORMATION_SCHEMA: u32 = 13207;
pub(crate) const NS_ROWCHAIN: u32 = 13300;
/// The bootstrap role that owns the catalog itself.
pub(crate) const ROLE_SYSTEM: u32 = 10;
/// PostgreSQL's `pg_database_owner`, the owner of `public`.
pub(crate) const ROLE_DATABASE_OWNER: u32 = 6171;
pub(crate) const DATABASE_OID: u32 = 5;
/// `pg_class`'s and `pg_constraint`'s own OIDs: the `classoid` of a
/// description.
pub(crate) const CLASS_PG_CLASS: u32 = 1259;
pub(crate) const CLASS_PG_CONSTRAINT: u32 = 2606;
/// `pg_namespace`'s own OID: the `classoid` of a schema's description.
pub(crate) const CLASS_PG_NAMESPACE: u32 = 2615;
const AM_HEAP: u32 = 2;
const AM_BTREE: u32 = 403;
const COLLATION_DEFAULT: u32 = 100;

/// A relation as the catalog functions need it.
#[derive(Debug, Clone)]
pub(crate) struct Relation {
    pub namespace: u32,
    pub name: String,
}

/// An index as `pg_get_indexdef` prints it.
#[derive(Debug, Clone)]
pub(crate) struct IndexInfo {
    pub definition: String,
    /// Each key column's name or expression, by position.
    pub keys: Vec<String>,
}

/// A constraint's definition as `pg_get_constraintdef(oid, pretty)`
/// prints it; only a check's differs between the two.
#[derive(Debug, Clone)]
pub(crate) struct ConstraintDefinition {
    pub plain: String,
    pub pretty: String,
}

impl From<String> for ConstraintDefinition {
    fn from(text: String) -> Self {
        ConstraintDefinition { plain: text.clone(), pretty: text }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub height: u64,
    /// The database name `current_database()` reports outside a session.
    pub database: String,
    /// Rows by qualified table name, in the column order of its definition.
    pub rows: BTreeMap<String, Vec<Vec<V>>>,
    pub relations: BTreeMap<u32, Relation>,
    pub namespaces: BTreeMap<u32, String>,
    pub roles: BTreeMap<u32, String>,
    pub indexes: BTreeMap<u32, IndexInfo>,
    pub constraints: BTreeMap<u32, ConstraintDefinition>,
    /// Comments by `(objoid, classoid, objsubid)`, as `pg_description`.
    pub descriptions: BTreeMap<(u32, u32, i64), String>,
    /// Each user table's (and view's) metadata by OID: owner, grants, policies.
    pub tables: BTreeMap<u32, TableMeta>,
    /// Each view's definition by the view's OID.
    pub views: BTreeMap<u32, super::views::ViewDefinition>,
    /// Each view's `_RETURN` rule: the rule's OID to the view's.
    pub rules: BTreeMap<u32, u32>,
    /// Each sequence by its OID.
    pub sequences: BTreeMap<u32, SequenceMeta>,
    /// Each user-defined type (enum, domain) by its OID.
    pub types: BTreeMap<u32, node_core::usertype::TypeMeta>,
    /// The user-defined types and their array types by OID, as
    /// `format_type` and `::regtype` name them ([`super::types`]).
    pub type_names: BTreeMap<u32, super::types::TypeName>,
    /// The sequence each column owns (serial and identity columns, `OWNED
    /// BY`), by (table OID, column name): what `pg_get_serial_sequence`
    /// answers ([`super::sequences`]).
    pub serial_sequences: BTreeMap<(u32, String), u32>,
    /// Account addresses by role name.
    pub addresses: BTreeMap<String, String>,
    /// The admins' addresses (genesis roles: superusers).
    pub admins: BTreeSet<String>,
    /// The session's temporary schema (`pg_temp_N`), in a snapshot with
    /// its temporary relations laid over the chain's ([`super::temporary`]).
    pub temp_namespace: Option<u32>,
}

impl Snapshot {
    /// A relation's OID by a possibly qualified, possibly quoted name, as
    /// PostgreSQL resolves `'name'::regclass` (pg_catalog, then public).
    pub(crate) fn relation_oid(&self, text: &str) -> Option<u32> {
        let parts = split_qualified(text);
        let (schema, name) = match parts.as_slice() {
            [name] => (None, name.as_str()),
            [schema, name] => (Some(schema.as_str()), name.as_str()),
            [_, schema, name] => (Some(schema.as_str()), name.as_str()),
            _ => return None,
        };
        match schema {
            Some("pg_temp") => self.relation_in(self.temp_namespace?, name),
            Some(s) => self.relation_in(*self.namespaces.iter().find(|(_, n)| *n == s)?.0, name),
            None => self.on_path(name),
        }
    }

    fn relation_in(&self, namespace: u32, name: &str) -> Option<u32> {
        self.relations.iter().find(|(_, r)| r.namespace == namespace && r.name == name).map(|(oid, _)| *oid)
    }

    /// The relation an unqualified `name` means: the session's temporary
    /// one first (PostgreSQL searches `pg_temp` before the path), then
    /// `pg_catalog`'s, then `public`'s.
    fn on_path(&self, name: &str) -> Option<u32> {
        self.temp_namespace.into_iter().chain([NS_PG_CATALOG, NS_PUBLIC]).find_map(|ns| self.relation_in(ns, name))
    }

    /// The name `oid::regclass` prints: qualified unless on the search path.
    pub(crate) fn relation_name(&self, oid: u32) -> Option<String> {
        let r = self.relations.get(&oid)?;
        Some(relation_display(self.namespaces.get(&r.namespace)?, &r.name))
    }

    /// The name always qualified, as `pg_get_serial_sequence` prints it.
    pub(crate) fn qualified_relation_name(&self, oid: u32) -> Option<String> {
        let r = self.relations.get(&oid)?;
        Some(qualified_display(self.namespaces.get(&r.namespace)?, &r.name))
    }

    /// Whether relation `rel` has a column `name` (as `pg_attribute`
    /// lists it: a user table's from its metadata, any other's from the rows).
    pub(crate) fn has_column(&self, rel: u32, name: &str) -> bool {
        if let Some(meta) = self.tables.get(&rel) {
            return meta.columns.iter().any(|c| c.name == name);
        }
        let def = schema::table("pg_catalog", "pg_attribute");
        let (Some(relid), Some(attname)) = (def.position("attrelid"), def.position("attname")) else {
            return false;
        };
        let listed = |row: &Vec<V>| {
            row.get(relid) == Some(&V::Integer(rel.into())) && matches!(row.get(attname), Some(V::Text(n)) if n == name)
        };
        self.rows.get(&def.qualified()).is_some_and(|rows| rows.iter().any(listed))
    }

    /// `pg_table_is_visible`: the relation is in a schema on the path,
    /// and no temporary relation of its name hides it.
    pub(crate) fn visible(&self, oid: u32) -> Option<bool> {
        let r = self.relations.get(&oid)?;
        let on_path = on_search_path(self.namespaces.get(&r.namespace)?);
        if !on_path || self.temp_namespace.is_none() {
            return Some(on_path);
        }
        Some(self.on_path(&r.name) == Some(oid))
    }

    /// The role `name` as the privilege checks know it, `None` when no
    /// account has that name.
    pub(crate) fn who<'a>(&'a self, name: &'a str) -> Option<node_core::acl::Who<'a>> {
        let address = self.addresses.get(name)?;
        Some(node_core::acl::Who { address, name, admin: self.admins.contains(address) })
    }

    pub(crate) fn role_name(&self, oid: u32) -> Option<String> {
        match oid {
            ROLE_SYSTEM => Some("rowchain".into()),
            ROLE_DATABASE_OWNER => Some("pg_database_owner".into()),
            _ => self.roles.get(&oid).cloned(),
        }
    }
}

/// `a.b`, `"A"."b"` -> parts, folded the way PostgreSQL folds identifiers.
pub(crate) fn split_qualified(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut quoted_part = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted_part = true;
                while let Some(q) = chars.next() {
                    if q == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            current.push('"');
                        } else {
                            break;
                        }
                    } else {
                        current.push(q);
                    }
                }
            }
            '.' => {
                parts.push(std::mem::take(&mut current));
                quoted_part = false;
            }
            c if quoted_part => current.push(c),
            c => current.extend(c.to_lowercase()),
        }
    }
    parts.push(current);
    parts
}

/// An identifier as PostgreSQL's `quote_ident` prints it.
pub(crate) fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A stable OID for a chain object, from its identity (a table's id never
/// changes, even across renames): in PostgreSQL's user range, below 2^31 so
/// clients reading it as a signed int see it positive.
pub(crate) fn derived_oid(kind: &str, parts: &[&[u8]]) -> u32 {
    let mut h = Sha256::new();
    h.update((kind.len() as u32).to_be_bytes());
    h.update(kind.as_bytes());
    for p in parts {
        h.update((p.len() as u32).to_be_bytes());
        h.update(p);
    }
    let [a, b, c, d, ..]: [u8; 32] = h.finalize().into();
    let n = u32::from_be_bytes([a, b, c, d]);
    16384 + n % (i32::MAX as u32 - 16384)
}

pub(crate) fn role_oid(address: &str) -> u32 {
    derived_oid("role", &[address.as_bytes()])
}

/// A schema's namespace OID: a built-in schema's fixed one, a user
/// schema's hashed from its name (which never changes while it exists).
pub(crate) fn namespace_oid(schema: &str) -> u32 {
    NAMESPACES
        .iter()
        .find(|(_, name, _)| *name == schema)
        .map(|(oid, _, _)| *oid)
        .unwrap_or_else(|| derived_oid("namespace", &[schema.as_bytes()]))
}

/// A relation of `schema` named as PostgreSQL's `generate_relation_name`
/// names it (what `::regclass`, `pg_get_viewdef` and a foreign key's
/// `REFERENCES` print): bare when on the search path (`pg_catalog`,
/// `public`), else qualified.
pub(crate) fn relation_display(schema: &str, rel: &str) -> String {
    if on_search_path(schema) {
        quote_ident(rel)
    } else {
        qualified_display(schema, rel)
    }
}

/// Whether unqualified names find relations of `schema`: the session's
/// search path is `pg_catalog, public` (see `settings::search_path_problem`),
/// behind its own temporary schema, the only `pg_temp_N` a snapshot holds.
pub(crate) fn on_search_path(schema: &str) -> bool {
    schema == "public" || schema == "pg_catalog" || schema.starts_with(TEMP_SCHEMA_PREFIX)
}

/// A session's temporary schema is `pg_temp_N`.
pub(crate) const TEMP_SCHEMA_PREFIX: &str = "pg_temp_";

/// A relation always qualified (`generate_qualified_relation_name`, what
/// `pg_get_indexdef` prints after `ON`).
pub(crate) fn qualified_display(schema: &str, rel: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(rel))
}

/// The name within its schema of an index or constraint of a table in
/// `schema`: SQLite keeps index `ix` of schema `s` as `s.ix` (and `public`'s
/// dotted names as `public.a.b`); a constraint's name has no prefix and is
/// its own.
pub(crate) fn local_name<'n>(schema: &str, name: &'n str) -> &'n str {
    name.strip_prefix(schema).and_then(|rest| rest.strip_prefix('.')).unwrap_or(name)
}

/// Collects rows against the table definitions.
#[derive(Default)]
pub(super) struct Rows(BTreeMap<String, Vec<Vec<V>>>);

impl Rows {
    /// A row of `schema.table`: `values` by column name, defaults elsewhere.
    pub(super) fn push(&mut self, schema: &str, table: &str, values: &[(&str, V)]) {
        let def = schema::table(schema, table);
        let mut row = def.default_row();
        for (column, value) in values {
            // The names are literals of this module, each used by the tests.
            let Some(slot) = def.position(column).and_then(|i| row.get_mut(i)) else {
                panic!("{schema}.{table} has no column {column}")
            };
            *slot = value.clone();
        }
        self.0.entry(def.qualified()).or_default().push(row);
    }

    /// Sets `column` of the last row pushed to `schema.table`.
    pub(super) fn set_last(&mut self, schema: &str, table: &str, column: &str, value: V) {
        let def = schema::table(schema, table);
        let position = def.position(column);
        let slot = self.0.get_mut(&def.qualified()).and_then(|rows| rows.last_mut()).zip(position);
        let Some(slot) = slot.and_then(|(row, i)| row.get_mut(i)) else {
            panic!("no row of {schema}.{table} with a column {column}")
        };
        *slot = value;
    }
}

pub(super) fn i(n: impl Into<i64>) -> V {
    V::Integer(n.into())
}
pub(super) fn t(s: impl Into<String>) -> V {
    V::Text(s.into())
}
pub(super) fn b(x: bool) -> V {
    V::Integer(x as i64)
}
pub(super) fn opt(s: Option<String>) -> V {
    s.map(V::Text).unwrap_or(V::Null)
}

/// What one user table contributes, gathered before rows are written.
pub(super) struct TableFacts<'a> {
    pub(super) meta: &'a TableMeta,
    /// The relation's schema and its name there (`meta.name` is the
    /// SQLite name, `schema.rel` outside `public`).
    pub(super) schema: &'a str,
    pub(super) rel: &'a str,
    /// The schema's namespace OID.
    pub(super) namespace: u32,
    /// A session's temporary relation (in its scratch database, shown in
    /// its temporary schema `pg_temp_N`), not the chain's.
    pub(super) temporary: bool,
    pub(super) oid: u32,
    /// The owner's role OID.
    pub(super) owner: u32,
    /// `(type oid, typmod, type name)` per column.
    types: Vec<(u32, i32, String)>,
    /// The user-defined type of each column that has one.
    pub(super) user_types: Vec<Option<sqlmap::UserType>>,
    pub(super) defaults: Vec<Option<String>>,
    /// The sequence (SQLite name) each column's default draws from.
    pub(super) draws: Vec<Option<String>>,
    /// Each stored generated column's expression as `information_schema`
    /// prints it (its `defaults` entry is the pretty form psql shows).
    pub(super) generation: Vec<Option<String>>,
    pub(super) indexes: Vec<Index>,
    pub(super) foreign_keys: Vec<ForeignKey>,
    /// The user's CHECK constraints ([`super::checks`]).
    pub(super) checks: Vec<sqlmap::TableCheck>,
}

impl TableFacts<'_> {
    /// `pg_class.relpersistence`: `t` for a temporary relation, else `p`.
    pub(super) fn persistence(&self) -> &'static str {
        if self.temporary {
            "t"
        } else {
            "p"
        }
    }
}

pub(super) struct Index {
    oid: u32,
    /// The name within the table's schema ([`local_name`]).
    pub(super) name: String,
    pub(super) unique: bool,
    pub(super) primary: bool,
    /// `p` or `u` when the index backs a constraint.
    pub(super) constraint: Option<char>,
    /// attnums; 0 for an expression.
    pub(super) attnums: Vec<i64>,
    /// Key columns or expressions as SQL text.
    keys: Vec<String>,
    predicate: Option<String>,
}

pub(super) struct ForeignKey {
    /// The declared name, else PostgreSQL's default (`t_a_fkey`), within
    /// the table's schema.
    pub(super) name: String,
    pub(super) columns: Vec<String>,
    /// The referenced table's SQLite name (`schema.rel` outside `public`).
    pub(super) table: String,
    pub(super) references: Vec<String>,
    pub(super) on_update: String,
    pub(super) on_delete: String,
}

/// Reads the chain's view and builds the whole catalog; `admins` are the
/// admins' account addresses.
pub(crate) fn build(
    conn: &Connection,
    height: u64,
    database: &str,
    admins: &BTreeSet<String>,
) -> rusqlite::Result<Snapshot> {
    let tables = node_exec::tables::load_tables(conn)?;
    let schemas = node_exec::tables::load_schemas(conn)?;
    let mut sequences = node_exec::tables::load_sequences(conn)?;
    let accounts = node_exec::tables::load_accounts(conn)?;
    let types = node_exec::tables::load_types(conn)?;
    let mut snap = Snapshot {
        height,
        database: database.to_string(),
        addresses: accounts.iter().map(|a| (a.name.clone(), a.address.clone())).collect(),
        admins: admins.clone(),
        ..Default::default()
    };
    let mut rows = Rows(BTreeMap::new());
    fixed_rows(&mut rows, &mut snap, database);
    super::mysql::fixed_rows(&mut rows, database);
    roles(&mut rows, &mut snap, &accounts);
    let owner_of = |address: &str| {
        accounts.iter().find(|a| a.address == address).map(|a| role_oid(&a.address)).unwrap_or(ROLE_SYSTEM)
    };
    for schema in &schemas {
        user_schema(&mut rows, &mut snap, schema, owner_of(&schema.owner), database);
    }
    for meta in &types {
        let place = super::types::type_schema(meta.name(), None);
        super::types::type_rows(&mut rows, &mut snap, meta, place, owner_of(&meta.owner), database);
    }
    let types: node_core::usertype::UserTypes = types.into_iter().map(|t| (t.name().to_string(), t)).collect();
    let mut facts = Vec::new();
    for meta in &tables {
        facts.push(table_facts(conn, meta, owner_of(&meta.owner), None, &types)?);
    }
    let oids: BTreeMap<&str, u32> = facts.iter().map(|f| (f.meta.name.as_str(), f.oid)).collect();
    sequences.extend(sequences::rowid_sequences(conn, &tables, &sequences)?);
    // Before the tables' rows: their identity columns show their sequences.
    sequences::register(&mut snap, &sequences, &facts);
    for f in &facts {
        user_table(&mut rows, &mut snap, f, &facts, &oids, database);
    }
    for sequence in &sequences {
        sequences::sequence_rows(&mut rows, &mut snap, sequence, owner_of(&sequence.owner), &facts, database);
    }
    catalog_relations(&mut rows, &mut snap);
    system_views(conn, &mut rows, &mut snap)?;
    snap.rows = rows.0;
    Ok(snap)
}

/// The rows of a session's temporary tables and views alone, in its
/// temporary schema `schema` (`pg_temp_N`): `conn` is the session's scratch
/// connection, whose `temp` database holds them, and they belong to the
/// session's role `owner` (name, account address). Laid over the chain's
/// catalog by [`Snapshot::overlaid`].
pub(crate) fn temporary(
    conn: &Connection,
    tables: &BTreeMap<String, TableMeta>,
    types: &node_core::usertype::UserTypes,
    (owner, address): (&str, &str),
    schema: &str,
    database: &str,
) -> rusqlite::Result<Snapshot> {
    let namespace = namespace_oid(schema);
    let owner_oid = role_oid(address);
    let mut snap = Snapshot { temp_namespace: Some(namespace), ..Default::default() };
    snap.namespaces.insert(namespace, schema.to_string());
    snap.roles.insert(owner_oid, owner.to_string());
    snap.addresses.insert(owner.to_string(), address.to_string());
    let mut rows = Rows(BTreeMap::new());
    rows.push(
        "pg_catalog",
        "pg_namespace",
        &[("oid", i(namespace)), ("nspname", t(schema)), ("nspowner", i(owner_oid))],
    );
    for meta in types.values() {
        let place = super::types::type_schema(meta.name(), Some(schema));
        super::types::type_rows(&mut rows, &mut snap, meta, place, owner_oid, database);
    }
    let mut facts = Vec::new();
    for meta in tables.values() {
        facts.push(table_facts(conn, meta, owner_oid, Some(schema), types)?);
    }
    let oids: BTreeMap<&str, u32> = facts.iter().map(|f| (f.meta.name.as_str(), f.oid)).collect();
    for f in &facts {
        user_table(&mut rows, &mut snap, f, &facts, &oids, database);
    }
    snap.rows = rows.0;
    Ok(snap)
}

impl Snapshot {
    /// This catalog with a session's temporary relations (built by
    /// [`temporary`]) over it, marked `height`.
    pub(crate) fn overlaid(&self, temp: &Snapshot, height: u64) -> Snapshot {
        // Every field named, so a new one cannot be forgotten here.
        let Snapshot {
            height: _,
            database: _,
            rows,
            relations,
            namespaces,
            roles: _,
            indexes,
            constraints,
            descriptions,
            tables,
            views,
            rules,
            sequences,
            types,
            type_names,
            serial_sequences,
            addresses: _,
            admins: _,
            temp_namespace,
        } = temp;
        let mut out = self.clone();
        out.height = height;
        out.temp_namespace = *temp_namespace;
        for (table, rows) in rows {
            out.rows.entry(table.clone()).or_default().extend(rows.iter().cloned());
        }
        out.relations.extend(relations.iter().map(|(k, v)| (*k, v.clone())));
        out.namespaces.extend(namespaces.iter().map(|(k, v)| (*k, v.clone())));
        out.indexes.extend(indexes.iter().map(|(k, v)| (*k, v.clone())));
        out.constraints.extend(constraints.iter().map(|(k, v)| (*k, v.clone())));
        out.descriptions.extend(descriptions.iter().map(|(k, v)| (*k, v.clone())));
        out.tables.extend(tables.iter().map(|(k, v)| (*k, v.clone())));
        out.views.extend(views.iter().map(|(k, v)| (*k, v.clone())));
        out.rules.extend(rules.iter().map(|(k, v)| (*k, *v)));
        out.types.extend(types.iter().map(|(k, v)| (*k, v.clone())));
        out.type_names.extend(type_names.iter().map(|(k, v)| (*k, v.clone())));
        out.sequences.extend(sequences.iter().map(|(k, v)| (*k, v.clone())));
        out.serial_sequences.extend(serial_sequences.iter().map(|(k, v)| (k.clone(), *v)));
        out
    }
}

/// A user schema's rows: `pg_namespace` (with its `nspacl`),
/// `information_schema.schemata`, its comment, and MySQL's `SCHEMATA`.
/// `owner` is its owner's role OID.
fn user_schema(rows: &mut Rows, snap: &mut Snapshot, schema: &SchemaMeta, owner: u32, database: &str) {
    let oid = namespace_oid(&schema.name);
    snap.namespaces.insert(oid, schema.name.clone());
    rows.push(
        "pg_catalog",
        "pg_namespace",
        &[
            ("oid", i(oid)),
            ("nspname", t(&schema.name)),
            ("nspowner", i(owner)),
            ("nspacl", opt(privileges::schema_acl(schema, owner, snap))),
        ],
    );
    rows.push(
        "information_schema",
        "schemata",
        &[
            ("catalog_name", t(database)),
            ("schema_name", t(&schema.name)),
            ("schema_owner", opt(snap.role_name(owner))),
        ],
    );
    if let Some(text) = &schema.comment {
        snap.descriptions.insert((oid, CLASS_PG_NAMESPACE, 0), text.clone());
        rows.push(
            "pg_catalog",
            "pg_description",
            &[("objoid", i(oid)), ("classoid", i(CLASS_PG_NAMESPACE)), ("objsubid", i(0)), ("description", t(text))],
        );
    }
    super::mysql::schema_row(rows, &schema.name, schema.comment.as_deref());
}

/// The schemas: oid, name, owner.
const NAMESPACES: &[(u32, &str, u32)] = &[
    (NS_PG_CATALOG, "pg_catalog", ROLE_SYSTEM),
    (NS_PUBLIC, "public", ROLE_DATABASE_OWNER),
    (NS_INFORMATION_SCHEMA, "information_schema", ROLE_SYSTEM),
    (NS_ROWCHAIN, "rowchain", ROLE_SYSTEM),
];

/// `pg_am`: oid, name, kind (`t` table, `i` index), handler.
const ACCESS_METHODS: &[(u32, &str, &str, &str)] = &[
    (AM_HEAP, "heap", "t", "heap_tableam_handler"),
    (AM_BTREE, "btree", "i", "bthandler"),
    (405, "hash", "i", "hashhandler"),
    (783, "gist", "i", "gisthandler"),
    (2742, "gin", "i", "ginhandler"),
    (4000, "spgist", "i", "spghandler"),
    (3580, "brin", "i", "brinhandler"),
];

/// `pg_tablespace`: oid, name.
const TABLESPACES: &[(u32, &str)] = &[(1663, "pg_default"), (1664, "pg_global")];

/// `pg_collation`: oid, name, provider, collate and ctype (`None`: NULL).
const COLLATIONS: &[(u32, &str, &str, Option<&str>)] =
    &[(COLLATION_DEFAULT, "default", "d", None), (950, "C", "c", Some("C")), (951, "POSIX", "c", Some("POSIX"))];

/// `pg_language`: oid, name, whether it is trusted.
const LANGUAGES: &[(u32, &str, bool)] = &[(12, "internal", false), (14, "sql", true)];

/// The rows that do not depend on the chain: schemas, built-in types,
/// access methods, operator classes, tablespaces, collations, the
/// database, languages.
fn fixed_rows(rows: &mut Rows, snap: &mut Snapshot, database: &str) {
    for (oid, name, owner) in NAMESPACES {
        snap.namespaces.insert(*oid, name.to_string());
        rows.push("pg_catalog", "pg_namespace", &[("oid", i(*oid)), ("nspname", t(*name)), ("nspowner", i(*owner))]);
        let owner_name = if *owner == ROLE_SYSTEM { "rowchain" } else { "pg_database_owner" };
        rows.push(
            "information_schema",
            "schemata",
            &[("catalog_name", t(database)), ("schema_name", t(*name)), ("schema_owner", t(owner_name))],
        );
    }
    for ty in BUILTIN_TYPES {
        type_row(rows, ty);
    }
    for (oid, name, kind, handler) in ACCESS_METHODS {
        rows.push(
            "pg_catalog",
            "pg_am",
            &[("oid", i(*oid)), ("amname", t(*name)), ("amhandler", t(*handler)), ("amtype", t(*kind))],
        );
    }
    for (oid, name, intype) in OPCLASSES {
        rows.push(
            "pg_catalog",
            "pg_opclass",
            &[
                ("oid", i(*oid)),
                ("opcmethod", i(AM_BTREE)),
                ("opcname", t(*name)),
                ("opcnamespace", i(NS_PG_CATALOG)),
                ("opcowner", i(ROLE_SYSTEM)),
                ("opcintype", i(*intype)),
                ("opcdefault", b(true)),
            ],
        );
    }
    for (oid, name) in TABLESPACES {
        rows.push(
            "pg_catalog",
            "pg_tablespace",
            &[("oid", i(*oid)), ("spcname", t(*name)), ("spcowner", i(ROLE_SYSTEM))],
        );
    }
    for collation in COLLATIONS {
        collation_row(rows, collation);
    }
    database_row(rows, database);
    for (oid, name, trusted) in LANGUAGES {
        let mut values = vec![("oid", i(*oid)), ("lanname", t(*name)), ("lanowner", i(ROLE_SYSTEM))];
        if *trusted {
            values.push(("lanpltrusted", b(true)));
        }
        rows.push("pg_catalog", "pg_language", &values);
    }
}

/// A built-in type's `pg_type` row.
fn type_row(rows: &mut Rows, ty: &super::builtin::BuiltinType) {
    let (
        oid,
        name,
        len,
        byval,
        typtype,
        category,
        preferred,
        elem,
        array,
        input,
        output,
        receive,
        send,
        align,
        storage,
        collation,
    ) = *ty;
    rows.push(
        "pg_catalog",
        "pg_type",
        &[
            ("oid", i(oid)),
            ("typname", t(name)),
            ("typnamespace", i(NS_PG_CATALOG)),
            ("typowner", i(ROLE_SYSTEM)),
            ("typlen", i(len)),
            ("typbyval", b(byval)),
            ("typtype", t(typtype)),
            ("typcategory", t(category)),
            ("typispreferred", b(preferred)),
            ("typisdefined", b(true)),
            ("typdelim", t(",")),
            ("typsubscript", t(if elem != 0 { "array_subscript_handler" } else { "-" })),
            ("typelem", i(elem)),
            ("typarray", i(array)),
            ("typinput", t(input)),
            ("typoutput", t(output)),
            ("typreceive", t(receive)),
            ("typsend", t(send)),
            ("typmodin", t("-")),
            ("typmodout", t("-")),
            ("typanalyze", t("-")),
            ("typalign", t(align)),
            ("typstorage", t(storage)),
            ("typbasetype", i(0)),
            ("typtypmod", i(-1)),
            ("typcollation", i(collation)),
        ],
    );
}

fn collation_row(rows: &mut Rows, (oid, name, provider, collate): &(u32, &str, &str, Option<&str>)) {
    let collate = || collate.map(t).unwrap_or(V::Null);
    rows.push(
        "pg_catalog",
        "pg_collation",
        &[
            ("oid", i(*oid)),
            ("collname", t(*name)),
            ("collnamespace", i(NS_PG_CATALOG)),
            ("collowner", i(ROLE_SYSTEM)),
            ("collprovider", t(*provider)),
            ("collisdeterministic", b(true)),
            ("collencoding", i(-1)),
            ("collcollate", collate()),
            ("collctype", collate()),
        ],
    );
}

/// The one database, named as `pg.database` says.
fn database_row(rows: &mut Rows, database: &str) {
    rows.push(
        "pg_catalog",
        "pg_database",
        &[
            ("oid", i(DATABASE_OID)),
            ("datname", t(database)),
            ("datdba", i(ROLE_DATABASE_OWNER)),
            ("encoding", i(6)),
            ("datlocprovider", t("c")),
            ("datallowconn", b(true)),
            ("datconnlimit", i(-1)),
            ("dattablespace", i(1663)),
            ("datcollate", t("C.UTF-8")),
            ("datctype", t("C.UTF-8")),
        ],
    );
}

/// PostgreSQL's default btree operator classes for the types rowchain stores.
const OPCLASSES: &[(u32, &str, u32)] = &[
    (10003, "bool_ops", 16),
    (10006, "bytea_ops", 17),
    (10028, "name_ops", 19),
    (3124, "int8_ops", 20),
    (1979, "int2_ops", 21),
    (1978, "int4_ops", 23),
    (3126, "text_ops", 25),
    (1981, "oid_ops", 26),
    (10012, "float4_ops", 700),
    (3123, "float8_ops", 701),
    (10004, "bpchar_ops", 1042),
    (3122, "date_ops", 1082),
    (3128, "timestamp_ops", 1114),
    (3127, "timestamptz_ops", 1184),
    (3125, "numeric_ops", 1700),
    (10065, "uuid_ops", 2950),
    (10088, "jsonb_ops", 3802),
];

fn opclass_for(type_oid: u32) -> u32 {
    let key = match type_oid {
        1043 => 25, // varchar uses text_ops
        other => other,
    };
    OPCLASSES.iter().find(|(_, _, t)| *t == key).map(|(o, _, _)| *o).unwrap_or(0)
}

fn roles(rows: &mut Rows, snap: &mut Snapshot, accounts: &[AccountInfo]) {
    for a in accounts {
        let oid = role_oid(&a.address);
        snap.roles.insert(oid, a.name.clone());
        rows.push(
            "pg_catalog",
            "pg_roles",
            &[
                ("rolname", t(&a.name)),
                ("rolsuper", b(snap.admins.contains(&a.address))),
                ("rolcreaterole", b(a.create_role || snap.admins.contains(&a.address))),
                ("rolinherit", b(true)),
                ("rolcanlogin", b(true)),
                ("rolconnlimit", i(-1)),
                ("rolpassword", t("********")),
                ("oid", i(oid)),
            ],
        );
        rows.push("pg_catalog", "pg_user", &[("usename", t(&a.name)), ("usesysid", i(oid)), ("passwd", t("********"))]);
    }
}

/// The column with attribute number `attnum` (1-based; 0 is an expression).
pub(super) fn attnum_column<T>(columns: &[T], attnum: i64) -> Option<&T> {
    columns.get(usize::try_from(attnum).ok()?.checked_sub(1)?)
}

fn builtin(type_oid: u32) -> Option<&'static super::builtin::BuiltinType> {
    BUILTIN_TYPES.iter().find(|t| t.0 == type_oid)
}

/// What the catalog shows of one relation. `temp_schema` is set for a
/// session's temporary relation: its SQLite table is in the scratch
/// connection's `temp` database, and it shows in that schema.
pub(super) fn table_facts<'a>(
    conn: &Connection,
    meta: &'a TableMeta,
    owner: u32,
    temp_schema: Option<&'a str>,
    user_types: &node_core::usertype::UserTypes,
) -> rusqlite::Result<TableFacts<'a>> {
    let oid = derived_oid("table", &[&meta.id]);
    let (schema, rel) = match temp_schema {
        Some(schema) => (schema, meta.name.as_str()),
        None => sqlmap::relation_schema(&meta.name),
    };
    let temporary = temp_schema.is_some();
    let db = if temporary { "temp" } else { "main" };
    let namespace = namespace_oid(schema);
    let user_types: Vec<Option<sqlmap::UserType>> = meta
        .columns
        .iter()
        .map(|c| c.user_type.as_ref().and_then(|name| user_types.get(name)).map(|t| t.ty.clone()))
        .collect();
    // A user-defined type's column: the type's OID, and the type a
    // default's literal is cast to.
    let types = meta
        .columns
        .iter()
        .zip(&user_types)
        .map(|(c, user_type)| match (user_type, sqlmap::PgType::parse_name(&c.pg_type)) {
            (Some(ty), _) => (ty.oid, -1, super::types::default_type_name(ty, &c.pg_type)),
            (None, Some(ty)) => (ty.oid(), ty.typmod(), c.pg_type.clone()),
            (None, None) => (25, -1, "text".to_string()),
        })
        .collect::<Vec<_>>();
    // A view has no defaults, keys or indexes of its own (and SQLite keeps
    // no table definition of it to read constraints from).
    let (defaults, draws, generation, indexes, foreign_keys, checks) = if meta.is_view() {
        let none = vec![None; meta.columns.len()];
        (none.clone(), none.clone(), none, Vec::new(), Vec::new(), Vec::new())
    } else {
        stored_parts(conn, db, meta, (schema, rel), &types)?
    };
    // sqlmap gives a domain's column the domain's DEFAULT; PostgreSQL keeps
    // it with the type, so the column shows none of its own.
    let mut defaults = defaults;
    for (slot, ty) in defaults.iter_mut().zip(&user_types) {
        let inherited = ty.as_ref().and_then(super::types::domain_default_printed);
        if inherited.is_some() && *slot == inherited {
            *slot = None;
        }
    }
    Ok(TableFacts {
        meta,
        schema,
        rel,
        namespace,
        temporary,
        oid,
        owner,
        types,
        user_types,
        defaults,
        draws,
        generation,
        indexes,
        foreign_keys,
        checks,
    })
}

/// A table's column defaults, the sequences they draw from, generated
/// columns' expressions, indexes, foreign keys and checks.
type StoredParts = (
    Vec<Option<String>>,
    Vec<Option<String>>,
    Vec<Option<String>>,
    Vec<Index>,
    Vec<ForeignKey>,
    Vec<sqlmap::TableCheck>,
);

/// What a table's SQLite definition in database `db` holds: each column's
/// default as PostgreSQL shows it and the sequence it draws from, the
/// indexes, foreign keys and checks.
/// `(schema, rel)` name the table; `types` are its columns' `(type oid,
/// typmod, type name)`.
fn stored_parts(
    conn: &Connection,
    db: &str,
    meta: &TableMeta,
    (schema, rel): (&str, &str),
    types: &[(u32, i32, String)],
) -> rusqlite::Result<StoredParts> {
    let quoted = format!("\"{}\"", meta.name.replace('"', "\"\""));
    let mut sqlite_defaults: BTreeMap<String, Option<String>> = BTreeMap::new();
    {
        let mut st = conn.prepare(&format!("PRAGMA {db}.table_info({quoted})"))?;
        let mut q = st.query([])?;
        while let Some(r) = q.next()? {
            sqlite_defaults.insert(r.get(1)?, r.get(4)?);
        }
    }
    let defaults: Vec<Option<String>> = meta
        .columns
        .iter()
        .enumerate()
        .zip(types)
        .map(|((n, c), (_, _, type_name))| {
            if meta.rowid_alias == Some(n) && c.serial && !c.identity {
                // SQLite assigns the next key when none is given, as a serial does.
                let sequence = format!("{rel}_{}_seq", c.name);
                let sequence = if on_search_path(schema) { sequence } else { format!("{schema}.{sequence}") };
                return Some(format!("nextval('{sequence}'::regclass)"));
            }
            // PostgreSQL keeps no default for an identity column: its
            // sequence is part of the column (`attidentity`).
            if c.identity {
                return None;
            }
            let base = type_name.split('(').next().unwrap_or("").to_string();
            sqlite_defaults.get(&c.name).cloned().flatten().map(|d| pg_default(&d, &base))
        })
        .collect();
    // A stored generated column's "default" is its expression, as
    // PostgreSQL keeps it in pg_attrdef (and `attgenerated` says so).
    let mut defaults = defaults;
    let mut generation = vec![None; meta.columns.len()];
    if meta.columns.iter().any(|c| c.generated) {
        let definition = node_exec::tables::definition(conn, db, &meta.name)?;
        let typed: Vec<(String, String)> = meta.columns.iter().map(|c| (c.name.clone(), c.pg_type.clone())).collect();
        for (column, expression) in sqlmap::generated_columns(&definition) {
            let Some(n) = meta.columns.iter().position(|c| c.name == column && c.generated) else { continue };
            let ty = meta.columns.get(n).map_or("text", |c| c.pg_type.as_str());
            let printed = |pretty| {
                super::viewdef::generation_expression(&expression, rel, &typed, ty, pretty)
                    .unwrap_or_else(|| expression.clone())
            };
            if let (Some(default), Some(plain)) = (defaults.get_mut(n), generation.get_mut(n)) {
                *default = Some(printed(true));
                *plain = Some(printed(false));
            }
        }
    }
    let draws = meta
        .columns
        .iter()
        .map(|c| sqlite_defaults.get(&c.name).and_then(|d| d.as_deref()).and_then(sequences::drawn_by))
        .collect();
    let constraints = node_exec::tables::constraints(conn, db, meta)?;
    let indexes = indexes(conn, db, meta, &quoted, &constraints)?;
    let mut foreign_keys = foreign_keys(conn, db, &quoted)?;
    for fk in &mut foreign_keys {
        fk.name = constraint_name(&constraints, meta, sqlmap::ConstraintKind::ForeignKey, &fk.columns);
    }
    let checks = super::checks::read(conn, db, meta, rel)?;
    Ok((defaults, draws, generation, indexes, foreign_keys, checks))
}

/// A default as SQLite keeps it, in PostgreSQL's words.
fn pg_default(sqlite: &str, type_name: &str) -> String {
    if let Some(sequence) = sequences::drawn_by(sqlite) {
        return sequences::nextval_default(&sequence);
    }
    match sqlite.trim() {
        "rc_now()" => "now()".into(),
        "substr(rc_now(), 1, 10)" => "CURRENT_DATE".into(),
        "substr(rc_now(), 12)" => "CURRENT_TIME".into(),
        "1" if type_name == "boolean" => "true".into(),
        "0" if type_name == "boolean" => "false".into(),
        // Stored with the column's scale ('0.00'); shown as the number.
        s if type_name == "numeric" && s.len() > 2 && s.starts_with('\'') && s.ends_with('\'') => {
            let number = s.trim_matches('\'');
            match number.split_once('.') {
                Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole.to_string(),
                Some(_) => number.trim_end_matches('0').to_string(),
                None => number.to_string(),
            }
        }
        s if s.starts_with('\'') && s.ends_with('\'') => format!("{s}::{type_name}"),
        s => s.to_string(),
    }
}

/// The name of `meta`'s constraint of `kind` on exactly `columns`, as
/// `node_exec::tables::constraints` named it, within the table's schema.
fn constraint_name(
    constraints: &[node_exec::tables::Constraint],
    meta: &TableMeta,
    kind: sqlmap::ConstraintKind,
    columns: &[String],
) -> String {
    let (schema, rel) = sqlmap::relation_schema(&meta.name);
    constraints
        .iter()
        .find(|c| c.kind == kind && c.columns == columns)
        .map(|c| local_name(schema, &c.name).to_string())
        .unwrap_or_else(|| kind.default_name(rel, columns))
}

/// A constraint's stable OID: from its table's id and its name.
pub(super) fn constraint_oid(meta: &TableMeta, name: &str) -> u32 {
    derived_oid("constraint", &[&meta.id, name.as_bytes()])
}

fn indexes(
    conn: &Connection,
    db: &str,
    meta: &TableMeta,
    quoted: &str,
    constraints: &[node_exec::tables::Constraint],
) -> rusqlite::Result<Vec<Index>> {
    let mut out = Vec::new();
    if !meta.primary_key.is_empty() {
        let columns: Vec<String> =
            meta.primary_key.iter().filter_map(|p| meta.columns.get(*p)).map(|c| c.name.clone()).collect();
        let name = constraint_name(constraints, meta, sqlmap::ConstraintKind::PrimaryKey, &columns);
        out.push(Index {
            oid: derived_oid("index", &[&meta.id, name.as_bytes()]),
            keys: meta.primary_key.iter().filter_map(|p| meta.columns.get(*p)).map(|c| quote_ident(&c.name)).collect(),
            attnums: meta.primary_key.iter().map(|p| *p as i64 + 1).collect(),
            name,
            unique: true,
            primary: true,
            constraint: Some('p'),
            predicate: None,
        });
    }
    let mut listed: Vec<(String, bool, String, bool)> = Vec::new();
    {
        let mut st = conn.prepare(&format!("PRAGMA {db}.index_list({quoted})"))?;
        let mut q = st.query([])?;
        while let Some(r) = q.next()? {
            listed.push((r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?, r.get::<_, i64>(4)? != 0));
        }
    }
    listed.sort();
    for (sqlite_name, unique, origin, partial) in listed {
        let mut columns: Vec<(i64, Option<String>)> = Vec::new();
        {
            let mut st = conn.prepare(&format!("PRAGMA {db}.index_info(\"{}\")", sqlite_name.replace('"', "\"\"")))?;
            let mut q = st.query([])?;
            while let Some(r) = q.next()? {
                columns.push((r.get(1)?, r.get(2)?));
            }
        }
        let attnums: Vec<i64> = columns.iter().map(|(cid, _)| if *cid >= 0 { cid + 1 } else { 0 }).collect();
        let (name, constraint) = match origin.as_str() {
            "pk" => continue,
            "u" => {
                let cols: Vec<String> = columns.iter().filter_map(|(_, n)| n.clone()).collect();
                (constraint_name(constraints, meta, sqlmap::ConstraintKind::Unique, &cols), Some('u'))
            }
            _ if sqlite_name.starts_with("__rc_") || sqlite_name.starts_with("sqlite_") => continue,
            _ => (local_name(sqlmap::relation_schema(&meta.name).0, &sqlite_name).to_string(), None),
        };
        let sql: Option<String> = conn
            .query_row(
                &format!("SELECT sql FROM {db}.sqlite_master WHERE type = 'index' AND name = ?1"),
                [&sqlite_name],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let (listed_keys, predicate) = sql.as_deref().map(index_parts).unwrap_or((None, None));
        let keys = if attnums.contains(&0) {
            listed_keys.unwrap_or_default()
        } else {
            columns.iter().map(|(_, n)| quote_ident(n.as_deref().unwrap_or(""))).collect()
        };
        out.push(Index {
            oid: derived_oid("index", &[&meta.id, name.as_bytes()]),
            name,
            unique,
            primary: false,
            constraint,
            attnums,
            keys,
            predicate: if partial { predicate } else { None },
        });
    }
    Ok(out)
}

/// The key list and WHERE clause of a `CREATE INDEX` text (as SQLite
/// keeps it): the keys between the parentheses after `ON table`, split at
/// their top-level commas, and what follows `WHERE`. Quoted identifiers
/// and string literals are skipped whole, so a `,`, `(`, `)` or ` ON `
/// inside them splits nothing.
fn index_parts(sql: &str) -> (Option<Vec<String>>, Option<String>) {
    let code = unquoted(sql);
    // Byte offsets of the `(` opening the key list, and the `)` closing it.
    let on = code.windows(4).find(|w| {
        matches!(w, [(_, ' '), (_, o), (_, n), (_, ' ')] if o.eq_ignore_ascii_case(&'o') && n.eq_ignore_ascii_case(&'n'))
    });
    let Some(&[(on_at, _), ..]) = on else { return (None, None) };
    let mut depth = 0usize;
    let (mut open, mut close, mut commas) = (None, None, Vec::new());
    for &(at, c) in code.iter().filter(|(at, _)| *at > on_at) {
        match c {
            '(' => {
                depth += 1;
                open = open.or(Some(at));
            }
            ')' if open.is_some() => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(at);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(at),
            _ => {}
        }
    }
    let (Some(open), Some(close)) = (open, close) else { return (None, None) };
    let mut keys = Vec::new();
    let mut from = open + 1;
    for at in commas.into_iter().chain(std::iter::once(close)) {
        keys.push(sql.get(from..at).unwrap_or_default().trim().to_string());
        from = at + 1;
    }
    let rest = sql.get(close + 1..).unwrap_or_default().trim();
    let predicate = rest
        .split_at_checked(6)
        .filter(|(w, _)| w.eq_ignore_ascii_case("where "))
        .map(|(_, predicate)| predicate.trim().to_string());
    (Some(keys), predicate)
}

/// The characters of `sql` outside quoted identifiers and string literals,
/// with their byte offsets (a doubled quote inside quotes is part of them).
fn unquoted(sql: &str) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = sql.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match quote {
            Some(q) if c == q => {
                if chars.peek().is_some_and(|(_, next)| *next == q) {
                    chars.next();
                } else {
                    quote = None;
                }
            }
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => out.push((at, c)),
        }
    }
    out
}

fn foreign_keys(conn: &Connection, db: &str, quoted: &str) -> rusqlite::Result<Vec<ForeignKey>> {
    let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    let mut st = conn.prepare(&format!("PRAGMA {db}.foreign_key_list({quoted})"))?;
    let mut q = st.query([])?;
    while let Some(r) = q.next()? {
        let id: i64 = r.get(0)?;
        let fk = by_id.entry(id).or_insert_with(|| ForeignKey {
            name: String::new(),
            columns: vec![],
            table: String::new(),
            references: vec![],
            on_update: String::new(),
            on_delete: String::new(),
        });
        fk.table = r.get(2)?;
        fk.columns.push(r.get(3)?);
        if let Some(to) = r.get::<_, Option<String>>(4)? {
            fk.references.push(to);
        }
        fk.on_update = r.get(5)?;
        fk.on_delete = r.get(6)?;
    }
    Ok(by_id.into_values().collect())
}

fn action_code(action: &str) -> &'static str {
    match action {
        "CASCADE" => "c",
        "SET NULL" => "n",
        "SET DEFAULT" => "d",
        "RESTRICT" => "r",
        _ => "a",
    }
}

pub(super) fn action_rule(action: &str) -> &'static str {
    match action {
        "CASCADE" => "CASCADE",
        "SET NULL" => "SET NULL",
        "SET DEFAULT" => "SET DEFAULT",
        "RESTRICT" => "RESTRICT",
        _ => "NO ACTION",
    }
}

fn user_table(
    rows: &mut Rows,
    snap: &mut Snapshot,
    f: &TableFacts<'_>,
    all: &[TableFacts<'_>],
    oids: &BTreeMap<&str, u32>,
    database: &str,
) {
    let meta = f.meta;
    // PostgreSQL enforces foreign keys with triggers on both tables, and
    // psql shows a table's foreign keys ("Referenced by" too) only when set.
    let has_triggers =
        !f.foreign_keys.is_empty() || all.iter().any(|other| other.foreign_keys.iter().any(|fk| fk.table == meta.name));
    snap.relations.insert(f.oid, Relation { namespace: f.namespace, name: f.rel.to_string() });
    snap.tables.insert(f.oid, meta.clone());
    let acl = TableAcl::new(meta, f.owner, snap);
    let relation = |name: &str| all.iter().find(|x| x.meta.name == name).map(|x| x.meta);
    if meta.is_view() {
        super::views::view_rows(rows, snap, f, &acl, &relation, oids, database);
    } else if meta.is_materialized() {
        class_row(rows, f, &acl, has_triggers, "m");
        super::views::materialized_rows(rows, snap, f, &relation, oids);
    } else {
        table_relation(rows, snap, f, &acl, has_triggers, database);
    }
    for n in 0..meta.columns.len() {
        user_column(rows, snap, f, &acl, n, database);
    }
    for ix in &f.indexes {
        index_rows(rows, snap, f, ix, database);
    }
    for fk in &f.foreign_keys {
        foreign_key_rows(rows, snap, f, fk, all, oids, database);
    }
    super::checks::check_rows(rows, snap, f, database);
    acl.information_rows(rows, f, database);
    privileges::policy_rows(rows, snap, f);
    description_rows(rows, snap, f);
    // MySQL lists no temporary table in its information_schema.
    if !f.temporary {
        let owner = snap.role_name(f.owner).unwrap_or_default();
        super::mysql::table_rows(rows, f, all, &owner, database);
    }
}

/// `pg_description`: the comments on a table, its columns, its indexes
/// and the constraints `pg_constraint` lists.
fn description_rows(rows: &mut Rows, snap: &mut Snapshot, f: &TableFacts<'_>) {
    use node_core::catalog::PartKind;
    let meta = f.meta;
    let mut described: Vec<(u32, u32, i64, &str)> = Vec::new();
    if let Some(text) = &meta.comment {
        described.push((f.oid, CLASS_PG_CLASS, 0, text));
    }
    for (n, column) in meta.columns.iter().enumerate() {
        if let Some(text) = &column.comment {
            described.push((f.oid, CLASS_PG_CLASS, n as i64 + 1, text));
        }
    }
    for part in &meta.part_comments {
        let name = local_name(f.schema, &part.name);
        let oid = match part.kind {
            PartKind::Index => f.indexes.iter().find(|ix| ix.name == name).map(|ix| ix.oid),
            PartKind::Constraint => {
                let listed = f.indexes.iter().any(|ix| ix.constraint.is_some() && ix.name == name)
                    || f.foreign_keys.iter().any(|fk| fk.name == name)
                    || f.checks.iter().any(|check| check.name == name);
                listed.then(|| constraint_oid(meta, name))
            }
        };
        let class = if part.kind == PartKind::Index { CLASS_PG_CLASS } else { CLASS_PG_CONSTRAINT };
        if let Some(oid) = oid {
            described.push((oid, class, 0, &part.text));
        }
    }
    for (objoid, classoid, objsubid, text) in described {
        snap.descriptions.insert((objoid, classoid, objsubid), text.to_string());
        rows.push(
            "pg_catalog",
            "pg_description",
            &[("objoid", i(objoid)), ("classoid", i(classoid)), ("objsubid", i(objsubid)), ("description", t(text))],
        );
    }
}

/// A user table's relation rows: `pg_class`, `pg_tables`,
/// `pg_stat_user_tables`, `information_schema.tables`.
fn table_relation(
    rows: &mut Rows,
    snap: &Snapshot,
    f: &TableFacts<'_>,
    acl: &TableAcl,
    has_triggers: bool,
    database: &str,
) {
    let meta = f.meta;
    class_row(rows, f, acl, has_triggers, "r");
    rows.push(
        "pg_catalog",
        "pg_tables",
        &[
            ("schemaname", t(f.schema)),
            ("tablename", t(f.rel)),
            ("tableowner", opt(snap.role_name(f.owner))),
            ("hasindexes", b(!f.indexes.is_empty())),
            ("rowsecurity", b(meta.row_security)),
        ],
    );
    rows.push(
        "pg_catalog",
        "pg_stat_user_tables",
        &[("relid", i(f.oid)), ("schemaname", t(f.schema)), ("relname", t(f.rel))],
    );
    let table_type = if f.temporary { "LOCAL TEMPORARY" } else { "BASE TABLE" };
    information_table_row(rows, f, database, table_type, true);
}

/// The `pg_class` row of a relation with storage: a table (`relkind`
/// `r`) or a materialized view (`m`).
fn class_row(rows: &mut Rows, f: &TableFacts<'_>, acl: &TableAcl, has_triggers: bool, relkind: &str) {
    let meta = f.meta;
    rows.push(
        "pg_catalog",
        "pg_class",
        &[
            ("oid", i(f.oid)),
            ("relname", t(f.rel)),
            ("relnamespace", i(f.namespace)),
            ("relowner", i(f.owner)),
            ("relam", i(AM_HEAP)),
            ("relfilenode", i(f.oid)),
            ("reltuples", V::Real(-1.0)),
            ("relhasindex", b(!f.indexes.is_empty())),
            ("relhastriggers", b(has_triggers)),
            ("relpersistence", t(f.persistence())),
            ("relkind", t(relkind)),
            ("relnatts", i(meta.columns.len() as i64)),
            ("relchecks", i(f.checks.len() as i64)),
            ("relrowsecurity", b(meta.row_security)),
            ("relispopulated", b(true)),
            ("relreplident", t("d")),
            ("relacl", opt(acl.relacl())),
        ],
    );
}

/// A relation's `information_schema.tables` row (`table_type` `BASE TABLE`
/// or `VIEW`).
pub(super) fn information_table_row(
    rows: &mut Rows,
    f: &TableFacts<'_>,
    database: &str,
    table_type: &str,
    insertable: bool,
) {
    rows.push(
        "information_schema",
        "tables",
        &[
            ("table_catalog", t(database)),
            ("table_schema", t(f.schema)),
            ("table_name", t(f.rel)),
            ("table_type", t(table_type)),
            ("is_insertable_into", t(if insertable { "YES" } else { "NO" })),
            ("is_typed", t("NO")),
        ],
    );
}

/// Column `n` of a user table: `pg_attribute` (with its `attacl`),
/// `pg_attrdef` for a default, `information_schema.columns`.
fn user_column(rows: &mut Rows, snap: &Snapshot, f: &TableFacts<'_>, acl: &TableAcl, n: usize, database: &str) {
    let meta = f.meta;
    let (Some(column), Some((type_oid, typmod, type_name)), Some(default)) =
        (meta.columns.get(n), f.types.get(n), f.defaults.get(n))
    else {
        return;
    };
    let not_null = column.not_null || meta.primary_key.contains(&n);
    let identity = sequences::identity(snap, f, n);
    attribute(
        rows,
        f.oid,
        n as i64 + 1,
        &column.name,
        *type_oid,
        *typmod,
        not_null,
        default.is_some(),
        identity.as_ref().map_or("", Identity::attidentity),
    );
    let user_type = f.user_types.get(n).and_then(Option::as_ref);
    if let Some(ty) = user_type {
        let (len, byval, align, storage, collation) = super::types::column_layout(ty);
        for (field, value) in [
            ("attlen", i(len)),
            ("attbyval", b(byval)),
            ("attalign", t(align)),
            ("attstorage", t(storage)),
            ("attcollation", i(collation)),
        ] {
            rows.set_last("pg_catalog", "pg_attribute", field, value);
        }
    }
    if let Some(attacl) = acl.attacl(&column.name) {
        rows.set_last("pg_catalog", "pg_attribute", "attacl", t(attacl));
    }
    if column.generated {
        rows.set_last("pg_catalog", "pg_attribute", "attgenerated", t("s"));
    }
    if let Some(default) = default {
        rows.push(
            "pg_catalog",
            "pg_attrdef",
            &[
                ("oid", i(derived_oid("attrdef", &[&meta.id, column.name.as_bytes()]))),
                ("adrelid", i(f.oid)),
                ("adnum", i(n as i64 + 1)),
                ("adbin", t(default)),
            ],
        );
    }
    // A user-defined type's column is described by how it is stored (an
    // enum's text, a domain's base type), then named as that type.
    let (described_oid, described_name) = match user_type {
        Some(ty) => (ty.storage().oid(), column.pg_type.as_str()),
        None => (*type_oid, type_name.as_str()),
    };
    information_column(
        rows,
        database,
        (f.schema, f.rel),
        n,
        &column.name,
        described_oid,
        described_name,
        not_null,
        if column.generated { None } else { default.clone() },
        identity.as_ref(),
    );
    if let Some(ty) = user_type {
        let place = super::types::type_schema(&ty.name, f.temporary.then_some(f.schema));
        super::types::information_column(rows, ty, place, database);
    }
    if column.generated {
        rows.set_last("information_schema", "columns", "is_generated", t("ALWAYS"));
        rows.set_last(
            "information_schema",
            "columns",
            "generation_expression",
            opt(f.generation.get(n).cloned().flatten()),
        );
    }
    if meta.is_view() {
        // rowchain's views take no writes.
        rows.set_last("information_schema", "columns", "is_updatable", t("NO"));
    }
}

/// A `pg_attribute` row; `identity` is `attidentity` (`a`, `d` or empty).
#[allow(clippy::too_many_arguments)]
pub(super) fn attribute(
    rows: &mut Rows,
    rel: u32,
    attnum: i64,
    name: &str,
    type_oid: u32,
    typmod: i32,
    not_null: bool,
    has_default: bool,
    identity: &str,
) {
    let bt = builtin(type_oid);
    rows.push(
        "pg_catalog",
        "pg_attribute",
        &[
            ("attrelid", i(rel)),
            ("attname", t(name)),
            ("atttypid", i(type_oid)),
            ("attstattarget", i(-1)),
            ("attlen", i(bt.map(|b| b.2).unwrap_or(-1))),
            ("attnum", i(attnum)),
            ("attcacheoff", i(-1)),
            ("atttypmod", i(typmod)),
            ("attbyval", b(bt.is_some_and(|b| b.3))),
            ("attalign", t(bt.map(|b| b.13).unwrap_or('i'))),
            ("attstorage", t(bt.map(|b| b.14).unwrap_or('x'))),
            ("attnotnull", b(not_null)),
            ("atthasdef", b(has_default)),
            ("attidentity", t(identity)),
            ("attislocal", b(true)),
            ("attcollation", i(bt.map(|b| b.15).unwrap_or(0))),
        ],
    );
}

#[allow(clippy::too_many_arguments)]
fn information_column(
    rows: &mut Rows,
    database: &str,
    (schema, table): (&str, &str),
    n: usize,
    name: &str,
    type_oid: u32,
    type_name: &str,
    not_null: bool,
    default: Option<String>,
    identity: Option<&Identity<'_>>,
) {
    // The options of an identity column's own sequence, in words.
    let sequence = identity.and_then(|x| x.sequence);
    let ty = sqlmap::PgType::parse_name(type_name);
    let base = type_name.split('(').next().unwrap_or(type_name).to_string();
    let udt = builtin(type_oid).map(|b| b.1).unwrap_or("text");
    let (mut length, mut octets, mut precision, mut radix, mut scale, mut datetime) =
        (V::Null, V::Null, V::Null, V::Null, V::Null, V::Null);
    match ty {
        Some(sqlmap::PgType::Varchar(n) | sqlmap::PgType::Char(n)) => {
            length = n.map(i).unwrap_or(V::Null);
            octets = i(n.map(|n| i64::from(n) * 4).unwrap_or(1_073_741_824));
        }
        Some(sqlmap::PgType::Text) => octets = i(1_073_741_824),
        Some(sqlmap::PgType::Bit(n) | sqlmap::PgType::VarBit(n)) => length = n.map(i).unwrap_or(V::Null),
        Some(sqlmap::PgType::Int2) => (precision, radix, scale) = (i(16), i(2), i(0)),
        Some(sqlmap::PgType::Int4) => (precision, radix, scale) = (i(32), i(2), i(0)),
        Some(sqlmap::PgType::Int8) => (precision, radix, scale) = (i(64), i(2), i(0)),
        Some(sqlmap::PgType::Float4) => (precision, radix) = (i(24), i(2)),
        Some(sqlmap::PgType::Float8) => (precision, radix) = (i(53), i(2)),
        Some(sqlmap::PgType::Numeric { precision: p, scale: s }) => {
            radix = i(10);
            precision = p.map(i).unwrap_or(V::Null);
            scale = s.map(i).unwrap_or(V::Null);
        }
        Some(sqlmap::PgType::Date) => datetime = i(0),
        Some(sqlmap::PgType::Time | sqlmap::PgType::Timestamp | sqlmap::PgType::Timestamptz) => datetime = i(6),
        _ => {}
    }
    rows.push(
        "information_schema",
        "columns",
        &[
            ("table_catalog", t(database)),
            ("table_schema", t(schema)),
            ("table_name", t(table)),
            ("column_name", t(name)),
            ("ordinal_position", i(n as i64 + 1)),
            ("column_default", opt(default)),
            ("is_nullable", t(if not_null { "NO" } else { "YES" })),
            ("data_type", t(base)),
            ("character_maximum_length", length),
            ("character_octet_length", octets),
            ("numeric_precision", precision),
            ("numeric_precision_radix", radix),
            ("numeric_scale", scale),
            ("datetime_precision", datetime),
            ("udt_catalog", t(database)),
            ("udt_schema", t("pg_catalog")),
            ("udt_name", t(udt)),
            ("dtd_identifier", t((n + 1).to_string())),
            ("is_self_referencing", t("NO")),
            ("is_identity", t(if identity.is_some() { "YES" } else { "NO" })),
            ("identity_generation", identity.map_or(V::Null, |x| t(x.generation()))),
            ("identity_start", opt(sequence.map(|s| s.start.to_string()))),
            ("identity_increment", opt(sequence.map(|s| s.increment.to_string()))),
            ("identity_maximum", opt(sequence.map(|s| s.max.to_string()))),
            ("identity_minimum", opt(sequence.map(|s| s.min.to_string()))),
            ("identity_cycle", t(if sequence.is_some_and(|s| s.cycle) { "YES" } else { "NO" })),
            ("is_generated", t("NEVER")),
            ("is_updatable", t("YES")),
        ],
    );
}

/// An index's rows: the relation and its definition, and the constraint it
/// backs, if any.
fn index_rows(rows: &mut Rows, snap: &mut Snapshot, f: &TableFacts<'_>, ix: &Index, database: &str) {
    index_relation(rows, snap, f, ix);
    if let Some(kind) = ix.constraint {
        index_constraint(rows, snap, f, ix, kind, database);
    }
}

/// `pg_class`, `pg_index` and `pg_indexes` for an index.
fn index_relation(rows: &mut Rows, snap: &mut Snapshot, f: &TableFacts<'_>, ix: &Index) {
    let definition = format!(
        "CREATE {}INDEX {} ON {} USING btree ({}){}",
        if ix.unique { "UNIQUE " } else { "" },
        quote_ident(&ix.name),
        qualified_display(f.schema, f.rel),
        ix.keys.join(", "),
        ix.predicate.as_ref().map(|p| format!(" WHERE ({p})")).unwrap_or_default(),
    );
    snap.indexes.insert(ix.oid, IndexInfo { definition: definition.clone(), keys: ix.keys.clone() });
    snap.relations.insert(ix.oid, Relation { namespace: f.namespace, name: ix.name.clone() });
    rows.push(
        "pg_catalog",
        "pg_class",
        &[
            ("oid", i(ix.oid)),
            ("relname", t(&ix.name)),
            ("relnamespace", i(f.namespace)),
            ("relowner", i(f.owner)),
            ("relam", i(AM_BTREE)),
            ("relfilenode", i(ix.oid)),
            ("reltuples", V::Real(-1.0)),
            ("relpersistence", t(f.persistence())),
            ("relkind", t("i")),
            ("relnatts", i(ix.attnums.len() as i64)),
            ("relispopulated", b(true)),
            ("relreplident", t("n")),
        ],
    );
    let column_types: Vec<u32> = ix.attnums.iter().map(|a| attnum_column(&f.types, *a).map_or(0, |t| t.0)).collect();
    rows.push(
        "pg_catalog",
        "pg_index",
        &[
            ("indexrelid", i(ix.oid)),
            ("indrelid", i(f.oid)),
            ("indnatts", i(ix.attnums.len() as i64)),
            ("indnkeyatts", i(ix.attnums.len() as i64)),
            ("indisunique", b(ix.unique)),
            ("indisprimary", b(ix.primary)),
            ("indimmediate", b(true)),
            ("indisvalid", b(true)),
            ("indisready", b(true)),
            ("indislive", b(true)),
            ("indkey", t(array::vector(ix.attnums.iter().copied()))),
            (
                "indcollation",
                t(array::vector(column_types.iter().map(|t| builtin(*t).map(|b| i64::from(b.15)).unwrap_or(0)))),
            ),
            ("indclass", t(array::vector(column_types.iter().map(|t| i64::from(opclass_for(*t)))))),
            ("indoption", t(array::vector(ix.attnums.iter().map(|_| 0)))),
            ("indpred", opt(ix.predicate.clone())),
        ],
    );
    rows.push(
        "pg_catalog",
        "pg_indexes",
        &[
            ("schemaname", t(f.schema)),
            ("tablename", t(f.rel)),
            ("indexname", t(&ix.name)),
            ("indexdef", t(&definition)),
        ],
    );
}

/// The PRIMARY KEY or UNIQUE constraint (`kind` `p` or `u`) an index backs.
fn index_constraint(rows: &mut Rows, snap: &mut Snapshot, f: &TableFacts<'_>, ix: &Index, kind: char, database: &str) {
    let meta = f.meta;
    let oid = constraint_oid(meta, &ix.name);
    let columns: Vec<String> =
        ix.attnums.iter().filter_map(|a| attnum_column(&meta.columns, *a)).map(|c| c.name.clone()).collect();
    let definition = format!(
        "{} ({})",
        if kind == 'p' { "PRIMARY KEY" } else { "UNIQUE" },
        columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
    );
    snap.constraints.insert(oid, definition.into());
    rows.push(
        "pg_catalog",
        "pg_constraint",
        &[
            ("oid", i(oid)),
            ("conname", t(&ix.name)),
            ("connamespace", i(f.namespace)),
            ("contype", t(kind)),
            ("convalidated", b(true)),
            ("conrelid", i(f.oid)),
            ("conindid", i(ix.oid)),
            ("conislocal", b(true)),
            ("connoinherit", b(true)),
            ("conkey", t(array::format(&ix.attnums.iter().map(|a| Some(a.to_string())).collect::<Vec<_>>()))),
        ],
    );
    let constraint_type = if kind == 'p' { "PRIMARY KEY" } else { "UNIQUE" };
    let table = (f.schema, f.rel);
    table_constraint(rows, database, &ix.name, table, constraint_type);
    for (position, column) in columns.iter().enumerate() {
        key_column(rows, database, &ix.name, table, column, position as i64 + 1, V::Null);
        constraint_column(rows, database, table, column, (f.schema, &ix.name));
    }
}

/// `information_schema.constraint_column_usage`: a column of `table`
/// (schema, name) that `constraint` (schema, name) uses.
pub(super) fn constraint_column(
    rows: &mut Rows,
    database: &str,
    table: (&str, &str),
    column: &str,
    constraint: (&str, &str),
) {
    rows.push(
        "information_schema",
        "constraint_column_usage",
        &[
            ("table_catalog", t(database)),
            ("table_schema", t(table.0)),
            ("table_name", t(table.1)),
            ("column_name", t(column)),
            ("constraint_catalog", t(database)),
            ("constraint_schema", t(constraint.0)),
            ("constraint_name", t(constraint.1)),
        ],
    );
}

/// A constraint of `table` (schema, name), in the table's schema.
pub(super) fn table_constraint(rows: &mut Rows, database: &str, name: &str, (schema, table): (&str, &str), kind: &str) {
    rows.push(
        "information_schema",
        "table_constraints",
        &[
            ("constraint_catalog", t(database)),
            ("constraint_schema", t(schema)),
            ("constraint_name", t(name)),
            ("table_catalog", t(database)),
            ("table_schema", t(schema)),
            ("table_name", t(table)),
            ("constraint_type", t(kind)),
            ("is_deferrable", t("NO")),
            ("initially_deferred", t("NO")),
            ("enforced", t("YES")),
            ("nulls_distinct", if kind == "UNIQUE" { t("YES") } else { V::Null }),
        ],
    );
}

fn key_column(
    rows: &mut Rows,
    database: &str,
    constraint: &str,
    (schema, table): (&str, &str),
    column: &str,
    position: i64,
    unique_position: V,
) {
    rows.push(
        "information_schema",
        "key_column_usage",
        &[
            ("constraint_catalog", t(database)),
            ("constraint_schema", t(schema)),
            ("constraint_name", t(constraint)),
            ("table_catalog", t(database)),
            ("table_schema", t(schema)),
            ("table_name", t(table)),
            ("column_name", t(column)),
            ("ordinal_position", i(position)),
            ("position_in_unique_constraint", unique_position),
        ],
    );
}

fn foreign_key_rows(
    rows: &mut Rows,
    snap: &mut Snapshot,
    f: &TableFacts<'_>,
    fk: &ForeignKey,
    all: &[TableFacts<'_>],
    oids: &BTreeMap<&str, u32>,
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
    let oid = constraint_oid(meta, &name);
    let attnum = |m: &TableMeta, c: &str| m.columns.iter().position(|x| x.name == c).map(|p| p as i64 + 1).unwrap_or(0);
    let conkey: Vec<Option<String>> = fk.columns.iter().map(|c| Some(attnum(meta, c).to_string())).collect();
    let confkey: Vec<Option<String>> =
        references.iter().map(|c| Some(target.map(|x| attnum(x.meta, c)).unwrap_or(0).to_string())).collect();
    // The referenced side's unique index: what PostgreSQL records in conindid.
    let backing = target.and_then(|x| {
        x.indexes.iter().find(|ix| {
            ix.constraint.is_some()
                && ix.attnums.len() == references.len()
                && references.iter().all(|r| ix.attnums.contains(&attnum(x.meta, r)))
        })
    });
    let (target_schema, target_rel) = sqlmap::relation_schema(&fk.table);
    let mut definition = format!(
        "FOREIGN KEY ({}) REFERENCES {}({})",
        fk.columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", "),
        relation_display(target_schema, target_rel),
        references.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
    );
    for (verb, action) in [("UPDATE", &fk.on_update), ("DELETE", &fk.on_delete)] {
        if action_code(action) != "a" {
            definition.push_str(&format!(" ON {verb} {}", action_rule(action)));
        }
    }
    snap.constraints.insert(oid, definition.into());
    rows.push(
        "pg_catalog",
        "pg_constraint",
        &[
            ("oid", i(oid)),
            ("conname", t(&name)),
            ("connamespace", i(f.namespace)),
            ("contype", t("f")),
            ("convalidated", b(true)),
            ("conrelid", i(f.oid)),
            ("conindid", i(backing.map(|ix| ix.oid).unwrap_or(0))),
            ("confrelid", i(oids.get(fk.table.as_str()).copied().unwrap_or(0))),
            ("confupdtype", t(action_code(&fk.on_update))),
            ("confdeltype", t(action_code(&fk.on_delete))),
            ("confmatchtype", t("s")),
            ("conislocal", b(true)),
            ("connoinherit", b(true)),
            ("conkey", t(array::format(&conkey))),
            ("confkey", t(array::format(&confkey))),
        ],
    );
    let unique_name = backing.map(|ix| ix.name.clone());
    foreign_key_information(rows, database, f, fk, &references, unique_name);
}

/// A foreign key of `f` in `information_schema`: the constraint, its key
/// columns, the referenced columns, and the referential rules. The
/// referenced columns and the unique constraint are in the referenced
/// table's schema.
fn foreign_key_information(
    rows: &mut Rows,
    database: &str,
    f: &TableFacts<'_>,
    fk: &ForeignKey,
    references: &[String],
    unique_name: Option<String>,
) {
    let (table, name) = ((f.schema, f.rel), fk.name.as_str());
    let target = sqlmap::relation_schema(&fk.table);
    table_constraint(rows, database, name, table, "FOREIGN KEY");
    for (position, column) in fk.columns.iter().enumerate() {
        key_column(rows, database, name, table, column, position as i64 + 1, i(position as i64 + 1));
    }
    for column in references {
        constraint_column(rows, database, target, column, (f.schema, name));
    }
    rows.push(
        "information_schema",
        "referential_constraints",
        &[
            ("constraint_catalog", t(database)),
            ("constraint_schema", t(f.schema)),
            ("constraint_name", t(name)),
            ("unique_constraint_catalog", t(database)),
            ("unique_constraint_schema", t(target.0)),
            ("unique_constraint_name", opt(unique_name)),
            ("match_option", t("NONE")),
            ("update_rule", t(action_rule(&fk.on_update))),
            ("delete_rule", t(action_rule(&fk.on_delete))),
        ],
    );
}

/// Well-known catalog OIDs clients write as literals (`'pg_class'::regclass`).
const CATALOG_OIDS: &[(&str, u32)] = &[
    ("pg_type", 1247),
    ("pg_attribute", 1249),
    ("pg_proc", 1255),
    ("pg_class", CLASS_PG_CLASS),
    ("pg_database", 1262),
    ("pg_namespace", 2615),
    ("pg_constraint", CLASS_PG_CONSTRAINT),
    ("pg_index", 2610),
    ("pg_attrdef", 2604),
    ("pg_description", 2609),
    ("pg_am", 2601),
    ("pg_trigger", 2620),
    ("pg_inherits", 2611),
    ("pg_depend", 2608),
    ("pg_collation", 3456),
    ("pg_extension", 3079),
    ("pg_tablespace", 1213),
    ("pg_policy", 3256),
    ("pg_sequence", 2224),
    ("pg_enum", 3501),
    ("pg_opclass", 2616),
    ("pg_auth_members", 1261),
    ("pg_shdescription", 2396),
    ("pg_rewrite", 2618),
];

/// The emulated relations themselves, as PostgreSQL lists its catalogs.
fn catalog_relations(rows: &mut Rows, snap: &mut Snapshot) {
    for def in schema::tables() {
        let oid = CATALOG_OIDS
            .iter()
            .find(|(n, _)| def.schema == "pg_catalog" && *n == def.name)
            .map(|(_, o)| *o)
            .unwrap_or_else(|| 12000 + derived_oid(def.schema, &[def.name.as_bytes()]) % 4000);
        let namespace = if def.schema == "pg_catalog" { NS_PG_CATALOG } else { NS_INFORMATION_SCHEMA };
        let view = def.schema == "information_schema"
            || matches!(
                def.name,
                "pg_roles"
                    | "pg_user"
                    | "pg_settings"
                    | "pg_prepared_statements"
                    | "pg_tables"
                    | "pg_policies"
                    | "pg_indexes"
                    | "pg_views"
                    | "pg_matviews"
                    | "pg_sequences"
            )
            || def.name.starts_with("pg_stat_");
        snap.relations.insert(oid, Relation { namespace, name: def.name.to_string() });
        rows.push(
            "pg_catalog",
            "pg_class",
            &[
                ("oid", i(oid)),
                ("relname", t(def.name)),
                ("relnamespace", i(namespace)),
                ("relowner", i(ROLE_SYSTEM)),
                ("relam", i(if view { 0 } else { AM_HEAP })),
                ("reltuples", V::Real(-1.0)),
                ("relpersistence", t("p")),
                ("relkind", t(if view { "v" } else { "r" })),
                ("relnatts", i(def.columns.len() as i64)),
                ("relispopulated", b(true)),
                ("relreplident", t(if view { "n" } else { "d" })),
            ],
        );
        for (n, (column, ty)) in def.columns.iter().enumerate() {
            let type_oid = schema::column_type_oid(def.name, column).unwrap_or(25);
            let _ = ty;
            attribute(rows, oid, n as i64 + 1, column, type_oid, -1, false, false, "");
        }
    }
}

/// `rowchain.blocks`, `rowchain.transactions` and `rowchain.imports`, read-only views of the chain.
fn system_views(conn: &Connection, rows: &mut Rows, snap: &mut Snapshot) -> rusqlite::Result<()> {
    for (view, table) in [("blocks", "__rc_blocks"), ("transactions", "__rc_transactions"), ("imports", "__rc_imports")]
    {
        let mut columns = Vec::new();
        {
            let mut st = conn.prepare(&format!("PRAGMA main.table_info(\"{table}\")"))?;
            let mut q = st.query([])?;
            while let Some(r) = q.next()? {
                columns.push((r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)? != 0));
            }
        }
        if columns.is_empty() {
            continue;
        }
        let oid = derived_oid("system view", &[view.as_bytes()]);
        snap.relations.insert(oid, Relation { namespace: NS_ROWCHAIN, name: view.to_string() });
        rows.push(
            "pg_catalog",
            "pg_class",
            &[
                ("oid", i(oid)),
                ("relname", t(view)),
                ("relnamespace", i(NS_ROWCHAIN)),
                ("relowner", i(ROLE_SYSTEM)),
                ("reltuples", V::Real(-1.0)),
                ("relpersistence", t("p")),
                ("relkind", t("v")),
                ("relnatts", i(columns.len() as i64)),
                ("relispopulated", b(true)),
                ("relreplident", t("n")),
            ],
        );
        for (n, (name, decl, not_null)) in columns.iter().enumerate() {
            let type_oid = match decl.to_ascii_uppercase().as_str() {
                "INTEGER" => 20,
                "REAL" => 701,
                "BLOB" => 17,
                _ => 25,
            };
            attribute(rows, oid, n as i64 + 1, name, type_oid, -1, *not_null, false, "");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(keys: &[&str], predicate: Option<&str>) -> (Option<Vec<String>>, Option<String>) {
        (Some(keys.iter().map(|k| k.to_string()).collect()), predicate.map(str::to_string))
    }

    #[test]
    fn names_within_their_schema() {
        assert_eq!(local_name("sales", "sales.orders_note_idx"), "orders_note_idx");
        assert_eq!(local_name("sales", "orders_pk"), "orders_pk");
        assert_eq!(local_name("sales", "salesorders_pk"), "salesorders_pk");
        assert_eq!(local_name("public", "public.a.b_idx"), "a.b_idx");
        assert_eq!(local_name("público", "público.índice"), "índice");
        assert_eq!(relation_display("public", "Orders"), "\"Orders\"");
        assert_eq!(relation_display("pg_catalog", "pg_class"), "pg_class");
        assert_eq!(relation_display("sales", "orders"), "sales.orders");
        assert_eq!(relation_display("Verkäufe", "bücher"), "\"Verkäufe\".\"bücher\"");
        assert_eq!(qualified_display("public", "orders"), "public.orders");
        assert_ne!(namespace_oid("sales"), namespace_oid("sales2"));
        assert_eq!(namespace_oid("public"), NS_PUBLIC);
    }

    #[test]
    fn index_parts_split_keys_and_predicate() {
        let sql = r#"CREATE INDEX "i" ON "t" ("a", lower("b"))"#;
        assert_eq!(index_parts(sql), expect(&[r#""a""#, r#"lower("b")"#], None));
        assert_eq!(index_parts("CREATE UNIQUE INDEX i ON t (a) WHERE b > 1"), expect(&["a"], Some("b > 1")));
        assert_eq!(index_parts("CREATE INDEX i on t (a,b)"), expect(&["a", "b"], None));
        assert_eq!(index_parts("CREATE INDEX i"), (None, None));
        assert_eq!(index_parts("CREATE INDEX i ON t (a"), (None, None));
    }

    #[test]
    fn index_parts_skip_quoted_text() {
        // A name or literal holding ` ON `, `(`, `)` or `,` splits nothing.
        let sql = r#"CREATE INDEX "x ON y (" ON "t (" (a) WHERE b = ')'"#;
        assert_eq!(index_parts(sql), expect(&["a"], Some("b = ')'")));
        let sql = r#"CREATE INDEX i ON t (coalesce(a, ','), "c,""d)") WHERE a <> 'x)''y'"#;
        assert_eq!(index_parts(sql), expect(&["coalesce(a, ',')", r#""c,""d)""#], Some("a <> 'x)''y'")));
        // Non-ASCII text anywhere slices at character boundaries.
        let sql = r#"CREATE INDEX "ïx" ON "tä" ("ü", 'ß,') WHERE "ö" = 'é'"#;
        assert_eq!(index_parts(sql), expect(&[r#""ü""#, "'ß,'"], Some(r#""ö" = 'é'"#)));
    }
}
