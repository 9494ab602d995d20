//! Sequences on the executor: CREATE/DROP SEQUENCE, the sequences of
//! serial and identity columns (created, renamed and dropped with their
//! table), and the SQL functions statements draw with (`rc_nextval`,
//! `rc_setval`, `rc_currval`, `rc_lastval`).
//!
//! The functions work on the executor's copy of every sequence
//! ([`SequenceState`]); after each statement the sequences it changed are
//! written to `__rc_sequences` and become leaves ([`Executor::flush_sequences`]).
//! A tx that fails is rolled back and the copy is loaded again, so its
//! draws are undone with its rows. `currval` and `lastval` answer from the
//! draws of the running tx: a validator has no session.
//!
//! Who may draw: the owner, an admin, a grantee of USAGE or UPDATE, and
//! anyone whose statement writes the table that owns the sequence (the
//! column default of a serial or identity column draws for whoever may
//! insert).

use super::*;
use node_core::sequence::{self, privilege as seq_privilege, SequenceMeta, Sequences};
use rusqlite::functions::{Context, FunctionFlags};

/// What the sequence functions share with the executor.
#[derive(Default)]
pub(super) struct SequenceState {
    pub(super) metas: Sequences,
    /// Changed since the last flush.
    dirty: std::collections::BTreeSet<String>,
    /// Changed since the running tx (or speculation) began: a rollback
    /// must load them again.
    pub(super) touched: bool,
    /// This tx's draws: the last value of each sequence, most recent last.
    drawn: Vec<(String, i64)>,
    /// The signer's address, and whether it is an admin.
    signer: (String, bool),
    /// The table the running statement writes: its own sequences draw for it.
    writing: Option<String>,
}

impl SequenceState {
    /// Starts a tx (or a speculation) for `signer`.
    pub(super) fn begin(&mut self, address: &str, admin: bool) {
        self.drawn.clear();
        self.dirty.clear();
        self.touched = false;
        self.writing = None;
        self.signer = (address.to_string(), admin);
    }

    /// The sequences as the SQL view holds them now: what a rollback left.
    pub(super) fn load(&mut self, metas: Sequences) {
        self.metas = metas;
        self.dirty.clear();
        self.touched = false;
    }

    pub(super) fn set_writing(&mut self, table: Option<&str>) {
        self.writing = table.map(str::to_string);
    }

    /// The sequence `text` names (as `nextval` reads it), 42P01 if none.
    fn named(&mut self, text: &str) -> rusqlite::Result<&mut SequenceMeta> {
        let name = sequence_name(text)?;
        self.metas.get_mut(&name).ok_or_else(|| crate::pgfns::fail("42P01", sequence::missing(text).message))
    }

    /// What this tx last drew from sequence `name`.
    fn drawn(&self, name: &str) -> Option<i64> {
        self.drawn.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Records a draw: the sequence's last value, and the most recent one.
    fn record_draw(&mut self, name: String, value: i64) {
        self.drawn.retain(|(n, _)| *n != name);
        self.drawn.push((name, value));
    }

    /// `currval` of sequence `name`: 55000 before this tx drew from it.
    fn current(&self, name: &str) -> rusqlite::Result<i64> {
        self.drawn(name).ok_or_else(|| {
            let relname = sqlmap::relation_schema(name).1;
            crate::pgfns::fail("55000", format!("currval of sequence \"{relname}\" is not yet defined in this session"))
        })
    }

    /// 42501 unless the signer holds one of `bits` on `name`, or (`for_writes`)
    /// the statement writes the table owning it.
    fn check(&mut self, text: &str, bits: u8, for_writes: bool) -> rusqlite::Result<&mut SequenceMeta> {
        let (address, admin) = self.signer.clone();
        let writing = self.writing.clone();
        let meta = self.named(text)?;
        let owning = for_writes && writing.is_some() && meta.owned_by.as_ref().map(|(t, _)| t) == writing.as_ref();
        if !(admin || owning || meta.has(&address, bits)) {
            return Err(crate::pgfns::fail("42501", format!("permission denied for sequence {}", meta.relname())));
        }
        Ok(meta)
    }

    fn changed(&mut self, name: String, value: Option<i64>) {
        self.touched = true;
        if let Some(value) = value {
            self.record_draw(name.clone(), value);
        }
        self.dirty.insert(name);
    }

    fn nextval(&mut self, text: &str) -> rusqlite::Result<i64> {
        let meta = self.check(text, seq_privilege::USAGE | seq_privilege::UPDATE, true)?;
        let value = meta.next_value().map_err(failed)?;
        let name = meta.name.clone();
        self.changed(name, Some(value));
        Ok(value)
    }

    fn setval(&mut self, text: &str, value: i64, is_called: bool) -> rusqlite::Result<i64> {
        let meta = self.check(text, seq_privilege::UPDATE, false)?;
        meta.set_value(value, is_called).map_err(failed)?;
        let name = meta.name.clone();
        // A setval counts as this tx's last value only once drawn.
        self.changed(name, None);
        Ok(value)
    }

    fn currval(&mut self, text: &str) -> rusqlite::Result<i64> {
        let name = self.check(text, seq_privilege::USAGE | seq_privilege::SELECT, false)?.name.clone();
        self.current(&name)
    }

    /// `nextval` of a rowid-numbered key's sequence name: the next id the
    /// table would give (past its largest rowid, `max_rowid`, and past
    /// what this tx drew already). Nothing is stored: the next tx that
    /// draws before an insert gets the same id.
    fn rowid_nextval(&mut self, text: &str, max_rowid: Option<i64>) -> rusqlite::Result<i64> {
        let name = sequence_name(text)?;
        let value = max_rowid.unwrap_or(0).max(self.drawn(&name).unwrap_or(0)).checked_add(1).ok_or_else(|| {
            crate::pgfns::fail("2200H", format!("nextval: reached maximum value of sequence \"{text}\""))
        })?;
        self.record_draw(name, value);
        Ok(value)
    }

    /// `currval` of a rowid-numbered key's sequence name.
    fn rowid_currval(&self, text: &str) -> rusqlite::Result<i64> {
        self.current(&sequence_name(text)?)
    }

    fn lastval(&self) -> rusqlite::Result<i64> {
        self.drawn
            .last()
            .map(|(_, v)| *v)
            .ok_or_else(|| crate::pgfns::fail("55000", "lastval is not yet defined in this session".into()))
    }
}

/// The SQLite name of the sequence `text` names (`regclass` input).
fn sequence_name(text: &str) -> rusqlite::Result<String> {
    sqlmap::relation_from_text(text).map_err(|e| crate::pgfns::fail(e.sqlstate, e.message))
}

/// A sequence rule's error, out of a SQL function with its SQLSTATE.
fn failed(e: SqlError) -> rusqlite::Error {
    crate::pgfns::fail(e.sqlstate, e.message)
}

fn text(ctx: &Context<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    use rusqlite::types::ValueRef;
    Ok(match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        _ => return Err(crate::pgfns::fail("22023", "a sequence is named by text".into())),
    })
}

/// Registers the sequence functions over `state` on the executor's connection.
pub(super) fn register(conn: &Connection, state: Arc<Mutex<SequenceState>>) -> rusqlite::Result<()> {
    // Not deterministic (each call draws), innocuous so that a column
    // DEFAULT may call them.
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS;
    let s = state.clone();
    conn.create_scalar_function("rc_nextval", 1, flags, move |ctx| match text(ctx, 0)? {
        None => Ok(None),
        Some(name) => s.lock().nextval(&name).map(Some),
    })?;
    for arity in [2, 3] {
        let s = state.clone();
        conn.create_scalar_function("rc_setval", arity, flags, move |ctx| {
            let Some(name) = text(ctx, 0)? else { return Ok(None) };
            let Some(value) = ctx.get::<Option<i64>>(1)? else { return Ok(None) };
            let is_called = if arity == 3 { ctx.get::<Option<bool>>(2)?.unwrap_or(true) } else { true };
            s.lock().setval(&name, value, is_called).map(Some)
        })?;
    }
    let s = state.clone();
    conn.create_scalar_function("rc_currval", 1, flags, move |ctx| match text(ctx, 0)? {
        None => Ok(None),
        Some(name) => s.lock().currval(&name).map(Some),
    })?;
    let s = state.clone();
    conn.create_scalar_function("rc_rowid_nextval", 2, flags, move |ctx| match text(ctx, 0)? {
        None => Ok(None),
        Some(name) => s.lock().rowid_nextval(&name, ctx.get::<Option<i64>>(1)?).map(Some),
    })?;
    let s = state.clone();
    conn.create_scalar_function("rc_rowid_currval", 1, flags, move |ctx| match text(ctx, 0)? {
        None => Ok(None),
        Some(name) => s.lock().rowid_currval(&name).map(Some),
    })?;
    conn.create_scalar_function("rc_lastval", 0, flags, move |_| state.lock().lastval())
}

impl Executor {
    /// Writes the sequences changed since the last flush and their leaves.
    pub(super) fn flush_sequences(&mut self, changes: &mut Changes) -> Result<(), SqlError> {
        let dirty: Vec<SequenceMeta> = {
            let mut state = self.sequences.lock();
            let names = std::mem::take(&mut state.dirty);
            names.iter().filter_map(|n| state.metas.get(n).cloned()).collect()
        };
        for meta in dirty {
            self.write_sequence(&meta, changes)?;
        }
        Ok(())
    }

    fn write_sequence(&self, meta: &SequenceMeta, changes: &mut Changes) -> Result<(), SqlError> {
        let bytes = meta.encode();
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO __rc_sequences(name, meta) VALUES (?1, ?2)")
            .and_then(|mut st| st.execute(params![meta.name, bytes]))
            .map_err(|e| sql_error(&e))?;
        let label = meta.label();
        changes.insert(self.suite.hash(&label), Some((self.suite.hash(&bytes), label)));
        Ok(())
    }

    /// Stores `meta` as it is now (DDL), in the executor's copy too.
    fn put_sequence(&mut self, meta: SequenceMeta, changes: &mut Changes) -> Result<(), SqlError> {
        self.write_sequence(&meta, changes)?;
        let mut state = self.sequences.lock();
        state.touched = true;
        state.metas.insert(meta.name.clone(), meta);
        Ok(())
    }

    pub(super) fn remove_sequence(&mut self, name: &str, changes: &mut Changes) -> Result<(), SqlError> {
        self.conn.execute("DELETE FROM __rc_sequences WHERE name = ?1", [name]).map_err(|e| sql_error(&e))?;
        changes.insert(self.suite.hash(&sequence::label(name)), None);
        let mut state = self.sequences.lock();
        state.touched = true;
        state.metas.remove(name);
        state.drawn.retain(|(n, _)| n != name);
        Ok(())
    }

    /// The sequences of schema `schema`, by SQLite name.
    pub(super) fn sequences_in(&self, schema: &str) -> Vec<String> {
        self.sequences.lock().metas.keys().filter(|s| sqlmap::relation_schema(s).0 == schema).cloned().collect()
    }

    pub(super) fn sequence_exists(&self, name: &str) -> bool {
        self.sequences.lock().metas.contains_key(name)
    }

    /// CREATE SEQUENCE, or a column's own sequence (`owned_by` set by the
    /// plan). The signer owns it.
    pub(super) fn create_sequence(
        &mut self,
        plan: &sqlmap::CreateSequence,
        ctx: &StmtCtx,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        if self.sequence_exists(&plan.name) || self.catalog.contains_key(&plan.name) {
            if plan.if_not_exists && self.sequence_exists(&plan.name) {
                return Ok(());
            }
            return Err(SqlError::new("42P07", format!("relation \"{}\" already exists", plan.name)));
        }
        self.may_create(&plan.name)?;
        let mut meta =
            SequenceMeta::new(plan.name.clone(), ctx.owner.clone(), ctx.height, &plan.options, plan.default_type)?;
        if let Some((table, column)) = &plan.owned_by {
            let owner = self.table(table)?;
            if !owner.columns.iter().any(|c| c.name == *column) {
                return Err(SqlError::new(
                    "42703",
                    format!("column \"{column}\" of relation \"{}\" does not exist", sqlmap::relation_schema(table).1),
                ));
            }
            if owner.owner != meta.owner {
                return Err(SqlError::new("55000", "sequence must have same owner as table it is linked to"));
            }
            meta.owned_by = Some((table.clone(), column.clone()));
        }
        self.put_sequence(meta, changes)
    }

    /// GRANT/REVOKE on sequences: the owner's (or an admin's) to give.
    pub(super) fn grant_sequence(&mut self, g: &sqlmap::SequenceGrant, changes: &mut Changes) -> Result<(), SqlError> {
        let grantees = g.grantees.iter().map(|r| self.role_address(r)).collect::<Result<Vec<_>, _>>()?;
        for name in &g.sequences {
            let Some(mut meta) = self.sequences.lock().metas.get(name).cloned() else {
                return Err(SqlError::new("42P01", format!("relation \"{name}\" does not exist")));
            };
            if !(self.signer.admin || meta.owner == self.signer.address) {
                return Err(SqlError::new("42501", format!("permission denied for sequence {}", meta.relname())));
            }
            let owner = meta.owner.clone();
            for grantee in grantees.iter().filter(|g| **g != owner) {
                meta.apply_grant(grantee, g.privileges, g.revoke);
            }
            self.put_sequence(meta, changes)?;
        }
        Ok(())
    }

    /// DROP SEQUENCE. A serial or identity column's sequence goes with its
    /// column (2BP01); CASCADE cannot drop a column default here (0A000).
    pub(super) fn drop_sequences(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        for name in names {
            let Some(meta) = self.sequences.lock().metas.get(name).cloned() else {
                if if_exists {
                    continue;
                }
                return Err(SqlError::new("42P01", format!("sequence \"{name}\" does not exist")));
            };
            if !(self.signer.admin || meta.owner == self.signer.address) {
                return Err(SqlError::new("42501", format!("must be owner of sequence {}", meta.relname())));
            }
            if let Some((table, column)) = &meta.owned_by {
                // A serial or identity column that is not the rowid draws
                // from it in its DEFAULT; a plain OWNED BY does not.
                let drawn_by_default = self.catalog.get(table).is_some_and(|t| {
                    t.columns.iter().enumerate().any(|(i, c)| c.name == *column && c.serial && t.rowid_alias != Some(i))
                });
                if drawn_by_default {
                    let message = format!("cannot drop sequence {} because other objects depend on it", meta.relname());
                    return Err(if cascade {
                        SqlError::new("0A000", format!("{message}: dropping a column default is not supported"))
                    } else {
                        SqlError::new("2BP01", message)
                            .hinted("Use DROP ... CASCADE to drop the dependent objects too.")
                    });
                }
            }
            self.remove_sequence(name, changes)?;
        }
        Ok(())
    }

    /// The sequences owned by table `table` go with it.
    pub(super) fn drop_owned_sequences(&mut self, table: &str, changes: &mut Changes) -> Result<(), SqlError> {
        let owned: Vec<String> = self
            .sequences
            .lock()
            .metas
            .values()
            .filter(|m| m.owned_by.as_ref().is_some_and(|(t, _)| t == table))
            .map(|m| m.name.clone())
            .collect();
        for name in owned {
            self.remove_sequence(&name, changes)?;
        }
        Ok(())
    }

    /// A renamed table or column: the sequences it owns follow it.
    pub(super) fn move_owned_sequences(
        &mut self,
        table: &str,
        to_table: &str,
        column: Option<(&str, &str)>,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        let moved: Vec<SequenceMeta> = self
            .sequences
            .lock()
            .metas
            .values()
            .filter_map(|m| {
                let (t, c) = m.owned_by.as_ref()?;
                if t != table || column.is_some_and(|(from, _)| from != c) {
                    return None;
                }
                let mut m = m.clone();
                let c = column.map_or(c.clone(), |(_, to)| to.to_string());
                m.owned_by = Some((to_table.to_string(), c));
                Some(m)
            })
            .collect();
        for meta in moved {
            self.put_sequence(meta, changes)?;
        }
        Ok(())
    }
}
