//! Sequences as PostgreSQL's catalog shows them, from the chain's sequence
//! metadata: a relation of kind `S` in `pg_class` with the three columns a
//! sequence has in `pg_attribute`, its options in `pg_sequence` and the
//! `pg_sequences` view, `information_schema.sequences`, its comment, and,
//! for a sequence a column owns (a serial or identity column's own, or one
//! `OWNED BY` it), the `pg_depend` row psql's `\d` reads "Owned by" from:
//! `i` for an identity column's own sequence, `a` otherwise.
//!
//! What a column shows of its sequence is the table's part
//! ([`super::snapshot`]): the `nextval('s'::regclass)` default of a serial
//! column, and for an identity column no default but `attidentity` and the
//! identity options in `information_schema.columns`. A serial or identity
//! key that is its table's rowid has no sequence in the chain: the table
//! numbers it, and `nextval` of its sequence's name gives the next id
//! (`sqlmap`'s `rowid_sequence`). The catalog shows that sequence as
//! PostgreSQL would (`rowid_sequences`): default options, and the largest
//! id as its last value.
//!
//! A sequence has no id that outlives its name, so its OID is hashed from
//! its SQLite name, in a kind of its own (tables hash their ids).
//!
//! Deliberately absent: `relacl` (NULL), the sequences' row types in
//! `pg_type` (no table has one here either), and the per-role filtering
//! PostgreSQL applies to `pg_sequences.last_value` and
//! `information_schema.sequences` (rows show as a superuser sees them).

use std::collections::btree_map::Entry;

use node_core::sequence::{SeqType, SequenceMeta};
use rusqlite::types::Value as V;

use super::snapshot::{
    attribute, b, derived_oid, i, namespace_oid, opt, t, Relation, Rows, Snapshot, TableFacts, CLASS_PG_CLASS,
};

/// The columns every sequence has: name, type OID.
const SEQUENCE_COLUMNS: [(&str, u32); 3] = [("last_value", 20), ("log_cnt", 20), ("is_called", 16)];

/// A sequence's OID, from its SQLite name.
pub(crate) fn sequence_oid(name: &str) -> u32 {
    derived_oid("sequence", &[name.as_bytes()])
}

/// The sequence (SQLite name) a column default, as SQLite keeps it, draws
/// from: `rc_nextval('t_c_seq')`, the argument read as `regclass` input.
pub(super) fn drawn_by(sqlite_default: &str) -> Option<String> {
    let mut text = sqlite_default.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        text = inner.trim();
    }
    let literal = text.strip_prefix("rc_nextval('")?.strip_suffix("')")?;
    // A quote inside the literal is doubled; a lone one ends it early, so
    // the text would be more than the one call.
    let unquoted = literal.replace("''", "'");
    if literal.replace("''", "").contains('\'') {
        return None;
    }
    sqlmap::relation_from_text(&unquoted).ok()
}

/// The default of a column drawing from `sequence` (a SQLite name), as
/// PostgreSQL prints it: `nextval('t_c_seq'::regclass)`.
pub(super) fn nextval_default(sequence: &str) -> String {
    format!("nextval('{}'::regclass)", sqlmap::regclass_text(sequence).replace('\'', "''"))
}

/// What the catalog shows of an identity column.
pub(super) struct Identity<'s> {
    /// `GENERATED ALWAYS` (else `BY DEFAULT`).
    pub(super) always: bool,
    /// Its own sequence; none for the table's rowid, which numbers it.
    pub(super) sequence: Option<&'s SequenceMeta>,
}

impl Identity<'_> {
    /// `pg_attribute.attidentity`.
    pub(super) fn attidentity(&self) -> &'static str {
        if self.always {
            "a"
        } else {
            "d"
        }
    }

    /// `information_schema.columns.identity_generation`.
    pub(super) fn generation(&self) -> &'static str {
        if self.always {
            "ALWAYS"
        } else {
            "BY DEFAULT"
        }
    }
}

/// Column `n` of `f` as an identity column, `None` when it is none.
pub(super) fn identity<'s>(snap: &'s Snapshot, f: &TableFacts<'_>, n: usize) -> Option<Identity<'s>> {
    let column = f.meta.columns.get(n)?;
    if !column.identity {
        return None;
    }
    Some(Identity { always: column.always, sequence: own_sequence(snap, f, n).map(|(_, s)| s) })
}

/// The sequence column `n` of `f` numbers its rows by (a serial or identity
/// column that is not the rowid), with its OID.
fn own_sequence<'s>(snap: &'s Snapshot, f: &TableFacts<'_>, n: usize) -> Option<(u32, &'s SequenceMeta)> {
    let column = f.meta.columns.get(n)?;
    if !column.serial {
        return None;
    }
    let oid = *snap.serial_sequences.get(&(f.oid, column.name.clone()))?;
    Some((oid, snap.sequences.get(&oid)?))
}

/// Registers every sequence as a relation (what `'s'::regclass`,
/// `to_regclass` and `pg_table_is_visible` find) and each owned one under
/// its column, before the tables' rows are written (an identity column
/// shows its sequence's options). A column that owns more than one
/// sequence is listed with the one its default draws from.
pub(super) fn register(snap: &mut Snapshot, sequences: &[SequenceMeta], facts: &[TableFacts<'_>]) {
    for sequence in sequences {
        let oid = sequence_oid(&sequence.name);
        let (schema, name) = sqlmap::relation_schema(&sequence.name);
        snap.relations.insert(oid, Relation { namespace: namespace_oid(schema), name: name.to_string() });
        snap.sequences.insert(oid, sequence.clone());
        let Some((f, n)) = owner(sequence, facts) else { continue };
        let Some(column) = f.meta.columns.get(n) else { continue };
        let drawn = f.draws.get(n).and_then(Option::as_deref) == Some(sequence.name.as_str());
        match snap.serial_sequences.entry((f.oid, column.name.clone())) {
            Entry::Vacant(entry) => {
                entry.insert(oid);
            }
            Entry::Occupied(mut entry) if drawn => {
                entry.insert(oid);
            }
            Entry::Occupied(_) => {}
        }
    }
}

/// The table and column number of the column that owns `sequence`.
fn owner<'f, 'a>(sequence: &SequenceMeta, facts: &'f [TableFacts<'a>]) -> Option<(&'f TableFacts<'a>, usize)> {
    let (table, column) = sequence.owned_by.as_ref()?;
    let f = facts.iter().find(|f| !f.temporary && f.meta.name == *table)?;
    Some((f, f.meta.columns.iter().position(|c| c.name == *column)?))
}

/// The sequences of the rowid-numbered serial and identity keys of
/// `tables`, as the table numbers them: from 1 by 1 up to the type's
/// maximum, standing at the largest id. A real sequence of the same name
/// (`CREATE SEQUENCE` before the table) hides it.
pub(super) fn rowid_sequences(
    conn: &rusqlite::Connection,
    tables: &[node_core::catalog::TableMeta],
    real: &[SequenceMeta],
) -> rusqlite::Result<Vec<SequenceMeta>> {
    let mut out = Vec::new();
    for meta in tables {
        let Some((name, column)) = meta.rowid_sequence() else { continue };
        if real.iter().any(|s| s.name == name) {
            continue;
        }
        let data_type =
            sqlmap::PgType::parse_name(&column.pg_type).and_then(SeqType::of_column).unwrap_or(SeqType::Int8);
        let options = sqlmap::SequenceOptions::default();
        let Ok(mut sequence) = SequenceMeta::new(name, meta.owner.clone(), meta.created_height, &options, data_type)
        else {
            continue;
        };
        let largest: Option<i64> =
            conn.query_row(&format!("SELECT max(rowid) FROM \"{}\"", meta.name.replace('"', "\"\"")), [], |r| {
                r.get(0)
            })?;
        if let Some(largest) = largest.filter(|l| *l >= sequence.min && *l <= sequence.max) {
            sequence.last_value = largest;
            sequence.is_called = true;
        }
        sequence.owned_by = Some((meta.name.clone(), column.name.clone()));
        out.push(sequence);
    }
    Ok(out)
}

/// The type OID a sequence counts in.
fn type_oid(data_type: SeqType) -> u32 {
    match data_type {
        SeqType::Int2 => sqlmap::PgType::Int2,
        SeqType::Int4 => sqlmap::PgType::Int4,
        SeqType::Int8 => sqlmap::PgType::Int8,
    }
    .oid()
}

/// Bits of precision, as `information_schema` gives them.
fn precision_bits(data_type: SeqType) -> i64 {
    match data_type {
        SeqType::Int2 => 16,
        SeqType::Int4 => 32,
        SeqType::Int8 => 64,
    }
}

/// Every row of one sequence; `owner` is its owner's role OID, `facts`
/// the tables (for the column that owns it).
pub(super) fn sequence_rows(
    rows: &mut Rows,
    snap: &mut Snapshot,
    sequence: &SequenceMeta,
    owner: u32,
    facts: &[TableFacts<'_>],
    database: &str,
) {
    let oid = sequence_oid(&sequence.name);
    let (schema, name) = sqlmap::relation_schema(&sequence.name);
    class_rows(rows, sequence, oid, owner);
    rows.push(
        "pg_catalog",
        "pg_sequences",
        &[
            ("schemaname", t(schema)),
            ("sequencename", t(name)),
            ("sequenceowner", opt(snap.role_name(owner))),
            ("data_type", t(sequence.data_type.pg_name())),
            ("start_value", i(sequence.start)),
            ("min_value", i(sequence.min)),
            ("max_value", i(sequence.max)),
            ("increment_by", i(sequence.increment)),
            ("cycle", b(sequence.cycle)),
            ("cache_size", i(sequence.cache)),
            // Nothing drawn yet: PostgreSQL's `pg_sequence_last_value` is NULL.
            ("last_value", if sequence.is_called { i(sequence.last_value) } else { V::Null }),
        ],
    );
    let identity = owned_rows(rows, snap, sequence, oid, facts);
    // information_schema lists no identity column's sequence: the column
    // shows it.
    if !identity {
        information_row(rows, sequence, (schema, name), database);
    }
    if let Some(text) = &sequence.comment {
        snap.descriptions.insert((oid, CLASS_PG_CLASS, 0), text.clone());
        rows.push(
            "pg_catalog",
            "pg_description",
            &[("objoid", i(oid)), ("classoid", i(CLASS_PG_CLASS)), ("objsubid", i(0)), ("description", t(text))],
        );
    }
}

/// `pg_class`, `pg_attribute` and `pg_sequence`.
fn class_rows(rows: &mut Rows, sequence: &SequenceMeta, oid: u32, owner: u32) {
    let (schema, name) = sqlmap::relation_schema(&sequence.name);
    rows.push(
        "pg_catalog",
        "pg_class",
        &[
            ("oid", i(oid)),
            ("relname", t(name)),
            ("relnamespace", i(namespace_oid(schema))),
            ("relowner", i(owner)),
            // PostgreSQL 15 gives sequences no access method, and one
            // page holding one tuple.
            ("relam", i(0)),
            ("relfilenode", i(oid)),
            ("relpages", i(1)),
            ("reltuples", V::Real(1.0)),
            ("relpersistence", t("p")),
            ("relkind", t("S")),
            ("relnatts", i(SEQUENCE_COLUMNS.len() as i64)),
            ("relispopulated", b(true)),
            ("relreplident", t("n")),
        ],
    );
    for (n, (column, type_oid)) in SEQUENCE_COLUMNS.iter().enumerate() {
        attribute(rows, oid, n as i64 + 1, column, *type_oid, -1, true, false, "");
    }
    rows.push(
        "pg_catalog",
        "pg_sequence",
        &[
            ("seqrelid", i(oid)),
            ("seqtypid", i(type_oid(sequence.data_type))),
            ("seqstart", i(sequence.start)),
            ("seqincrement", i(sequence.increment)),
            ("seqmax", i(sequence.max)),
            ("seqmin", i(sequence.min)),
            ("seqcache", i(sequence.cache)),
            ("seqcycle", b(sequence.cycle)),
        ],
    );
}

/// The `pg_depend` row of a sequence a column owns; whether it is an
/// identity column's own sequence.
fn owned_rows(rows: &mut Rows, snap: &Snapshot, sequence: &SequenceMeta, oid: u32, facts: &[TableFacts<'_>]) -> bool {
    let Some((f, n)) = owner(sequence, facts) else {
        return false;
    };
    let identity = f.meta.columns.get(n).is_some_and(|c| c.identity)
        && own_sequence(snap, f, n).is_some_and(|(own, _)| own == oid);
    rows.push(
        "pg_catalog",
        "pg_depend",
        &[
            ("classid", i(CLASS_PG_CLASS)),
            ("objid", i(oid)),
            ("objsubid", i(0)),
            ("refclassid", i(CLASS_PG_CLASS)),
            ("refobjid", i(f.oid)),
            ("refobjsubid", i(n as i64 + 1)),
            ("deptype", t(if identity { "i" } else { "a" })),
        ],
    );
    identity
}

/// `information_schema.sequences`: the options as character data.
fn information_row(rows: &mut Rows, sequence: &SequenceMeta, (schema, name): (&str, &str), database: &str) {
    rows.push(
        "information_schema",
        "sequences",
        &[
            ("sequence_catalog", t(database)),
            ("sequence_schema", t(schema)),
            ("sequence_name", t(name)),
            ("data_type", t(sequence.data_type.pg_name())),
            ("numeric_precision", i(precision_bits(sequence.data_type))),
            ("numeric_precision_radix", i(2)),
            ("numeric_scale", i(0)),
            ("start_value", t(sequence.start.to_string())),
            ("minimum_value", t(sequence.min.to_string())),
            ("maximum_value", t(sequence.max.to_string())),
            ("increment", t(sequence.increment.to_string())),
            ("cycle_option", t(if sequence.cycle { "YES" } else { "NO" })),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_name_the_sequence_they_draw_from() {
        assert_eq!(drawn_by("rc_nextval('t_id_seq')").as_deref(), Some("t_id_seq"));
        assert_eq!(drawn_by(" (rc_nextval('sales.t_id_seq')) ").as_deref(), Some("sales.t_id_seq"));
        assert_eq!(drawn_by("rc_nextval('\"T_Id_seq\"')").as_deref(), Some("T_Id_seq"));
        assert_eq!(drawn_by("rc_nextval('\"it''s\"')").as_deref(), Some("it's"));
        assert_eq!(drawn_by("rc_nextval('Übersicht_ß_seq')").as_deref(), Some("übersicht_ß_seq"));
        for other in ["rc_nextval('a') + rc_nextval('b')", "rc_nextval('')", "nextval('s')", "0", "rc_nextval('", ""] {
            assert_eq!(drawn_by(other), None, "{other}");
        }
        assert_eq!(nextval_default("t_id_seq"), "nextval('t_id_seq'::regclass)");
        assert_eq!(nextval_default("sales.t_id_seq"), "nextval('sales.t_id_seq'::regclass)");
        assert_eq!(nextval_default("it's"), "nextval('\"it''s\"'::regclass)");
        assert_ne!(sequence_oid("s"), derived_oid("table", &[b"s".as_slice()]));
    }

    #[test]
    fn a_comment_is_what_obj_description_reads() {
        let options = sqlmap::SequenceOptions::default();
        let mut sequence =
            SequenceMeta::new("sales.Zähler".into(), "owner".into(), 1, &options, SeqType::Int4).unwrap();
        sequence.comment = Some("zählt «alles»".into());
        let mut snap = Snapshot::default();
        sequence_rows(&mut Rows::default(), &mut snap, &sequence, 1, &[], "rowchain");
        let key = (sequence_oid("sales.Zähler"), CLASS_PG_CLASS, 0);
        assert_eq!(snap.descriptions.get(&key).map(String::as_str), Some("zählt «alles»"));
    }
}
