//! SQL-level cursors: `DECLARE`, `FETCH`, `MOVE`, `CLOSE`.
//!
//! A cursor is a read run once, when it is declared, the way the session
//! runs any read ([`Session::read_rows`]): the role's privileges and row
//! filters, temporary tables, and inside a transaction block a step of the
//! block's speculation, so it sees the block's own writes and COMMIT checks
//! what it read. Its rows and result columns stay in the session; FETCH and
//! MOVE walk them with PostgreSQL's portal rules ([`Portal`]), which decide
//! every row count, position and "cursor can only scan forward" (55000).
//! A cursor never writes.
//!
//! Cursors declared inside a transaction block close when it ends, except
//! those `WITH HOLD` when it commits; `ROLLBACK TO` a savepoint closes the
//! cursors declared after it; every cursor closes with the session.
//! Holding the rows is PostgreSQL's behaviour for `WITH HOLD` cursors
//! after COMMIT and makes every cursor insensitive, as PostgreSQL's are.

use crate::error::FrontendError;
use crate::session::{Column, Reply, Session};
use node_core::value::Value;
use sqlmap::{DeclareCursor, FetchCursor, FetchDirection, Plan, TxControl};
use std::collections::BTreeMap;

/// The most cursors one session may hold open: each keeps its rows, which
/// `limits.result_rows_max` bounds for all of them together.
const CURSORS_MAX: usize = 1024;

/// PostgreSQL's `FETCH_ALL`: a count of all rows.
const ALL: i64 = i64::MAX;

type Row = Vec<Value>;

/// The open cursors of a session.
#[derive(Default)]
pub(crate) struct Cursors {
    open: BTreeMap<String, Cursor>,
    /// The savepoints open in the transaction block, oldest first.
    savepoints: Vec<String>,
}

struct Cursor {
    columns: Vec<Column>,
    portal: Portal,
    binary: bool,
    hold: bool,
    /// Declared in the transaction block now open: it ends with the block
    /// unless it is held and the block commits.
    in_block: bool,
    /// How many of the block's savepoints were open when it was declared.
    depth: usize,
    /// A FETCH or MOVE failed on it: PostgreSQL marks such a portal failed,
    /// and only CLOSE (or the end of its transaction) is left.
    failed: bool,
}

impl Cursors {
    /// The columns a FETCH from `name` returns, when it is open.
    pub(crate) fn columns(&self, name: &str) -> Option<Vec<Column>> {
        self.open.get(name).map(|c| c.columns.clone())
    }

    /// The end of the transaction block: its cursors close, except the
    /// held ones of a block that committed, which now belong to the session.
    pub(crate) fn end_block(&mut self, committed: bool) {
        self.savepoints.clear();
        self.open.retain(|_, c| !c.in_block || (committed && c.hold));
        for cursor in self.open.values_mut() {
            cursor.in_block = false;
            cursor.depth = 0;
        }
    }

    /// A savepoint statement the block ran: `ROLLBACK TO` closes the
    /// cursors declared since that savepoint (their positions, like
    /// PostgreSQL's, are not rolled back).
    pub(crate) fn savepoint(&mut self, control: &TxControl) {
        let find = |savepoints: &[String], name: &str| savepoints.iter().rposition(|n| n == name);
        match control {
            TxControl::Savepoint(name) => self.savepoints.push(name.clone()),
            TxControl::Release(name) => {
                if let Some(at) = find(&self.savepoints, name) {
                    self.savepoints.truncate(at);
                    for cursor in self.open.values_mut() {
                        cursor.depth = cursor.depth.min(at);
                    }
                }
            }
            TxControl::RollbackTo(name) => {
                if let Some(at) = find(&self.savepoints, name) {
                    self.savepoints.truncate(at + 1);
                    self.open.retain(|_, c| !c.in_block || c.depth <= at);
                }
            }
            _ => {}
        }
    }

    fn rows_held(&self) -> usize {
        self.open.values().map(|c| c.portal.rows.len()).sum()
    }
}

fn no_cursor(name: &str) -> FrontendError {
    FrontendError::new("34000", format!("cursor \"{name}\" does not exist"))
}

impl Session {
    /// `DECLARE`: runs the cursor's query as the read it is and keeps its
    /// rows. Only inside a transaction block unless `WITH HOLD` (25P01);
    /// a name in use is 42P03.
    pub(crate) async fn declare_cursor(
        &mut self,
        d: DeclareCursor,
        params: Vec<Value>,
    ) -> Result<Reply, FrontendError> {
        let in_block = self.block.is_some();
        if !in_block && !d.hold {
            return Err(FrontendError::new("25P01", "DECLARE CURSOR can only be used in transaction blocks"));
        }
        if self.cursors.open.contains_key(&d.name) {
            return Err(FrontendError::new("42P03", format!("cursor \"{}\" already exists", d.name)));
        }
        if self.cursors.open.len() >= CURSORS_MAX {
            return Err(FrontendError::new("54000", format!("the session has {CURSORS_MAX} cursors open"))
                .hint("close the cursors it no longer reads"));
        }
        let DeclareCursor { name, binary, scroll, hold, read, query } = d;
        let Reply::Rows { columns, rows, .. } = self.read_rows(read, query, params).await? else {
            return Err(FrontendError::internal("a cursor's query gave no rows"));
        };
        let max = self.node.config().limits.result_rows_max;
        if self.cursors.rows_held().saturating_add(rows.len()) > max {
            return Err(FrontendError::new(
                "54000",
                format!("the session's cursors would hold more than {max} rows (limits.result_rows_max)"),
            )
            .hint("close the cursors it no longer reads"));
        }
        let depth = self.cursors.savepoints.len();
        let cursor =
            Cursor { columns, portal: Portal::new(rows, scroll), binary, hold, in_block, depth, failed: false };
        self.cursors.open.insert(name, cursor);
        Ok(Reply::Tag("DECLARE CURSOR".into()))
    }

    /// `FETCH` (rows, tag `FETCH n`) or `MOVE` (tag `MOVE n`).
    pub(crate) fn fetch_cursor(&mut self, f: FetchCursor) -> Result<Reply, FrontendError> {
        let cursor = self.cursors.open.get_mut(&f.name).ok_or_else(|| no_cursor(&f.name))?;
        if cursor.failed {
            return Err(FrontendError::new("55000", format!("portal \"{}\" cannot be run", f.name)));
        }
        let (count, rows) = match cursor.portal.run_fetch(f.direction, f.count.unwrap_or(ALL), !f.is_move) {
            Ok(done) => done,
            Err(e) => {
                cursor.failed = true;
                return Err(e);
            }
        };
        if f.is_move {
            return Ok(Reply::Tag(format!("MOVE {count}")));
        }
        self.rows_binary = cursor.binary;
        Ok(Reply::Rows { columns: cursor.columns.clone(), rows, tag: format!("FETCH {count}") })
    }

    /// `CLOSE name` or `CLOSE ALL`.
    pub(crate) fn close_cursor(&mut self, name: Option<String>) -> Result<Reply, FrontendError> {
        match name {
            None => {
                self.cursors.open.clear();
                Ok(Reply::Tag("CLOSE CURSOR ALL".into()))
            }
            Some(name) => {
                self.cursors.open.remove(&name).ok_or_else(|| no_cursor(&name))?;
                Ok(Reply::Tag("CLOSE CURSOR".into()))
            }
        }
    }

    /// The columns a planned FETCH returns: its cursor's, when it is open
    /// (PostgreSQL describes a FETCH of no open cursor, and a MOVE, as
    /// returning no rows).
    pub(crate) fn fetch_columns(&self, plan: &Plan) -> Option<Vec<Column>> {
        match plan {
            Plan::Session(sqlmap::SessionStmt::Fetch(f)) if !f.is_move => self.cursors.columns(&f.name),
            _ => None,
        }
    }
}

fn scan_forward_only() -> FrontendError {
    FrontendError::new("55000", "cursor can only scan forward")
        .hint("Declare it with SCROLL option to enable backward scan.")
}

/// A cursor's rows and position, moved by PostgreSQL's own rules
/// (`DoPortalRunFetch`, `PortalRunSelect`, `DoPortalRewind` in its
/// pquery.c, over a tuple store): every direction is made of forward and
/// backward runs and rewinds, so counts, end positions and which moves a
/// cursor without SCROLL refuses come out as PostgreSQL's do.
struct Portal {
    rows: Vec<Row>,
    scroll: bool,
    /// The tuple store's read position: 0 before the first row, `k` on row
    /// `k`, `rows.len() + 1` past the last.
    store: usize,
    /// PostgreSQL's portal state: no row fetched yet (or rewound)...
    at_start: bool,
    /// ...a forward run ran out of rows...
    at_end: bool,
    /// ...and `portalPos`, the row last fetched.
    position: u64,
}

impl Portal {
    fn new(rows: Vec<Row>, scroll: bool) -> Self {
        Portal { rows, scroll, store: 0, at_start: true, at_end: false, position: 0 }
    }

    /// The next row of the tuple store going forward or backward, if any,
    /// as `tuplestore_gettupleslot` moves its read pointer.
    fn step(&mut self, forward: bool) -> Option<usize> {
        let past_end = self.rows.len() + 1;
        if forward {
            if self.store == past_end {
                return None;
            }
            self.store += 1;
            (self.store < past_end).then_some(self.store)
        } else {
            if self.store == past_end {
                self.store = self.rows.len();
            } else {
                self.store = self.store.saturating_sub(1);
            }
            (self.store > 0).then_some(self.store)
        }
    }

    /// Up to `count` rows (0: all) in one direction, into `dest` when given.
    fn run_from_store(&mut self, forward: bool, count: u64, dest: &mut Option<Vec<Row>>) -> u64 {
        let mut done = 0;
        while let Some(at) = self.step(forward) {
            if let Some(out) = dest {
                let row = match self.rows.get_mut(at - 1) {
                    // A cursor that cannot scroll never reads a row again.
                    Some(row) if !self.scroll => std::mem::take(row),
                    Some(row) => row.clone(),
                    None => Vec::new(),
                };
                out.push(row);
            }
            done += 1;
            if count != 0 && done == count {
                break;
            }
        }
        done
    }

    /// `PortalRunSelect`: `count` rows forward or backward (`ALL`: all,
    /// below 1: none), keeping PostgreSQL's position state.
    fn run_select(&mut self, forward: bool, count: i64, dest: &mut Option<Vec<Row>>) -> Result<u64, FrontendError> {
        if !forward && !self.scroll {
            return Err(scan_forward_only());
        }
        let blocked = if forward { self.at_end } else { self.at_start };
        if blocked || count <= 0 {
            return Ok(0);
        }
        // The executor's 0 is "all rows".
        let count = if count == ALL { 0 } else { count.unsigned_abs() };
        let done = self.run_from_store(forward, count, dest);
        let exhausted = count == 0 || done < count;
        if forward {
            if done > 0 {
                self.at_start = false;
            }
            if exhausted {
                self.at_end = true;
            }
            self.position += done;
        } else {
            if done > 0 && self.at_end {
                self.at_end = false;
                self.position += 1;
            }
            if exhausted {
                self.at_start = true;
                self.position = 0;
            } else {
                self.position = self.position.saturating_sub(done);
            }
        }
        Ok(done)
    }

    /// `DoPortalRewind`: back to the start, which a cursor without SCROLL
    /// may do only while it has not moved.
    fn rewind(&mut self) -> Result<(), FrontendError> {
        if self.at_start && !self.at_end {
            return Ok(());
        }
        if !self.scroll {
            return Err(scan_forward_only());
        }
        self.store = 0;
        self.at_start = true;
        self.at_end = false;
        self.position = 0;
        Ok(())
    }

    /// `DoPortalRunFetch`: one FETCH (`fetch`) or MOVE; the rows it
    /// processed (the tag's count) and, for a FETCH, the rows.
    fn run_fetch(
        &mut self,
        direction: FetchDirection,
        count: i64,
        fetch: bool,
    ) -> Result<(u64, Vec<Row>), FrontendError> {
        let mut out = fetch.then(Vec::new);
        let mut skip = None;
        let (forward, count) = match direction {
            FetchDirection::Forward if count < 0 => (false, count.saturating_neg()),
            FetchDirection::Forward => (true, count),
            FetchDirection::Backward if count < 0 => (true, count.saturating_neg()),
            FetchDirection::Backward => (false, count),
            FetchDirection::Absolute if count > 0 => {
                // From the start, or from here when that is nearer.
                if (count - 1).unsigned_abs() <= self.position / 2 {
                    self.rewind()?;
                    if count > 1 {
                        self.run_select(true, count - 1, &mut skip)?;
                    }
                } else {
                    let position = i64::try_from(self.position).unwrap_or(i64::MAX);
                    let at = if self.at_end { position.saturating_add(1) } else { position };
                    if count <= at {
                        self.run_select(false, at - count + 1, &mut skip)?;
                    } else if count > at + 1 {
                        self.run_select(true, count - at - 1, &mut skip)?;
                    }
                }
                let done = self.run_select(true, 1, &mut out)?;
                return Ok((done, out.unwrap_or_default()));
            }
            FetchDirection::Absolute if count < 0 => {
                self.run_select(true, ALL, &mut skip)?;
                if count < -1 {
                    self.run_select(false, count.saturating_neg() - 1, &mut skip)?;
                }
                let done = self.run_select(false, 1, &mut out)?;
                return Ok((done, out.unwrap_or_default()));
            }
            FetchDirection::Absolute => {
                self.rewind()?;
                let done = self.run_select(true, 0, &mut out)?;
                return Ok((done, out.unwrap_or_default()));
            }
            FetchDirection::Relative if count != 0 => {
                let forward = count > 0;
                let count = count.saturating_abs();
                if count > 1 {
                    self.run_select(forward, count - 1, &mut skip)?;
                }
                let done = self.run_select(forward, 1, &mut out)?;
                return Ok((done, out.unwrap_or_default()));
            }
            FetchDirection::Relative => (true, 0),
        };
        let (mut forward, mut count) = (forward, count);
        if count == 0 {
            // The current row again, if the cursor is on one.
            let on_row = !self.at_start && !self.at_end;
            if !fetch {
                return Ok((u64::from(on_row), Vec::new()));
            }
            if on_row {
                self.run_select(false, 1, &mut skip)?;
                (forward, count) = (true, 1);
            }
        }
        if !forward && count == ALL && !fetch {
            // MOVE BACKWARD ALL is a rewind.
            let moved = if self.position > 0 && !self.at_end { self.position - 1 } else { self.position };
            self.rewind()?;
            return Ok((moved, Vec::new()));
        }
        let done = self.run_select(forward, count, &mut out)?;
        Ok((done, out.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FetchDirection::{Absolute, Backward, Forward, Relative};

    fn portal(scroll: bool) -> Portal {
        Portal::new((1..=5).map(|i| vec![Value::Integer(i)]).collect(), scroll)
    }

    /// The rows' numbers and the tag's count.
    fn fetch(p: &mut Portal, direction: FetchDirection, count: i64) -> Result<(u64, Vec<i64>), String> {
        let (n, rows) = p.run_fetch(direction, count, true).map_err(|e| format!("{}: {}", e.sqlstate, e.message))?;
        let ids = rows
            .iter()
            .map(|r| match r.first() {
                Some(Value::Integer(i)) => *i,
                _ => -1,
            })
            .collect();
        Ok((n, ids))
    }

    fn moved(p: &mut Portal, direction: FetchDirection, count: i64) -> u64 {
        p.run_fetch(direction, count, false).map(|(n, _)| n).unwrap_or(u64::MAX)
    }

    /// The sequence PostgreSQL 15 answered for a SCROLL cursor over 5 rows.
    #[test]
    fn scroll_cursor_moves_as_postgresql() {
        let mut p = portal(true);
        let steps: &[(FetchDirection, i64, &[i64])] = &[
            (Forward, 2, &[1, 2]),
            (Backward, 1, &[1]),
            (Absolute, 1, &[1]),
            (Absolute, -1, &[5]),
            (Absolute, -2, &[4]),
            (Relative, 0, &[4]),
            (Forward, 0, &[4]),
            (Absolute, 0, &[]),
            (Forward, ALL, &[1, 2, 3, 4, 5]),
            (Backward, ALL, &[5, 4, 3, 2, 1]),
        ];
        for (direction, count, expected) in steps {
            let (n, ids) = fetch(&mut p, *direction, *count).unwrap();
            assert_eq!((ids.as_slice(), n), (*expected, expected.len() as u64), "{direction:?} {count}");
        }
        assert_eq!(moved(&mut p, Forward, ALL), 5);
        assert_eq!(moved(&mut p, Backward, 2), 2);
        assert_eq!(moved(&mut p, Forward, 0), 1);
        assert_eq!(moved(&mut p, Absolute, 10), 0);
        assert_eq!(moved(&mut p, Forward, -1), 1);
        assert_eq!(moved(&mut p, Absolute, -1), 1);
        let steps: &[(FetchDirection, i64, &[i64])] = &[
            (Forward, 1, &[]),
            (Forward, -1, &[5]),
            (Forward, 1, &[]),
            (Backward, 1, &[5]),
            (Forward, 1, &[]),
            (Forward, -2, &[5, 4]),
            (Relative, 10, &[]),
            (Relative, -10, &[]),
            (Relative, 2, &[2]),
            (Forward, ALL, &[3, 4, 5]),
        ];
        for (direction, count, expected) in steps {
            let (_, ids) = fetch(&mut p, *direction, *count).unwrap();
            assert_eq!(ids.as_slice(), *expected, "{direction:?} {count}");
        }
        assert_eq!(moved(&mut p, Backward, ALL), 5);
        assert_eq!(fetch(&mut p, Forward, 2), Ok((2, vec![1, 2])));
        assert_eq!(moved(&mut p, Backward, ALL), 1);
    }

    /// What PostgreSQL refuses a NO SCROLL cursor, and what it allows.
    #[test]
    fn no_scroll_cursor_moves_only_forward() {
        let forward_only = "55000: cursor can only scan forward";
        let mut p = portal(false);
        assert_eq!(fetch(&mut p, Forward, 2), Ok((2, vec![1, 2])));
        assert_eq!(fetch(&mut p, Backward, 1).unwrap_err(), forward_only);
        let mut p = portal(false);
        assert_eq!(fetch(&mut p, Absolute, 2), Ok((1, vec![2])));
        assert_eq!(fetch(&mut p, Absolute, 4), Ok((1, vec![4])));
        assert_eq!(fetch(&mut p, Relative, 0).unwrap_err(), forward_only);
        let mut p = portal(false);
        assert_eq!(fetch(&mut p, Absolute, 1), Ok((1, vec![1])));
        assert_eq!(fetch(&mut p, Absolute, 1).unwrap_err(), forward_only);
        let mut p = portal(false);
        assert_eq!(fetch(&mut p, Absolute, -1).unwrap_err(), forward_only);
        let mut p = portal(false);
        assert_eq!(moved(&mut p, Forward, ALL), 5);
        assert_eq!(fetch(&mut p, Absolute, 5).unwrap_err(), forward_only);
        // Re-fetching the current row needs a step back; MOVE 0 does not.
        let mut p = portal(false);
        assert_eq!(fetch(&mut p, Forward, 1), Ok((1, vec![1])));
        assert_eq!(moved(&mut p, Forward, 0), 1);
        assert_eq!(fetch(&mut p, Forward, 3), Ok((3, vec![2, 3, 4])));
        assert_eq!(fetch(&mut p, Forward, ALL), Ok((1, vec![5])));
        assert_eq!(fetch(&mut p, Forward, 1), Ok((0, vec![])));
    }

    #[test]
    fn empty_cursor() {
        let mut p = Portal::new(Vec::new(), true);
        assert_eq!(fetch(&mut p, Forward, 1), Ok((0, vec![])));
        assert_eq!(fetch(&mut p, Backward, 1), Ok((0, vec![])));
        assert_eq!(fetch(&mut p, Absolute, -1), Ok((0, vec![])));
        assert_eq!(moved(&mut p, Backward, ALL), 0);
        let mut p = Portal::new(Vec::new(), false);
        assert_eq!(fetch(&mut p, Forward, 1), Ok((0, vec![])));
        assert_eq!(fetch(&mut p, Backward, 1).unwrap_err(), "55000: cursor can only scan forward");
    }
}
