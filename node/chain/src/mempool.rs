//! The pool of txs waiting for a block, and the block-cutting rule: no empty
//! blocks; cut when `max_txs_per_block` are pending, or `max_block_time_ms`
//! after the first pending tx arrived.

use crate::clock::{Clock, SystemClock};
use node_core::crypto::Hash;
use node_core::tx::SignedTx;
use parking_lot::{Condvar, Mutex};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    #[error("the transaction is already pending")]
    Duplicate,
    #[error("the transaction pool is full ({0} txs); retry later")]
    Full(usize),
    #[error("the node is shutting down")]
    Closed,
}

/// A tx statement that does not plan: refused at admission with the
/// planner's SQLSTATE, so it never reaches a block through this node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement {statement_index}: {message}")]
pub struct Unplannable {
    pub statement_index: u32,
    pub sqlstate: &'static str,
    pub message: String,
}

/// Plans every SQL statement of a tx, as the executor will: the admission
/// check of `submit_tx`, gossip intake and the front ends. A block holding
/// such a tx anyway (a Byzantine proposer's) gets a failed receipt for it.
pub fn check_plans(body: &node_core::tx::TxBody) -> Result<(), Unplannable> {
    use node_core::tx::Payload;
    let statements = match &body.payload {
        Payload::Sql(stmts) => stmts,
        Payload::Interactive { steps, .. } => steps,
        Payload::Role(_) => return Ok(()),
        Payload::Import(batch) => &batch.statements,
    };
    for (i, s) in statements.iter().enumerate() {
        if let Err(e) = sqlmap::plan_dialect(&s.sql, &sqlmap::NoSchema, body.dialect) {
            let message = match &e.hint {
                Some(h) => format!("{} (hint: {h})", e.message),
                None => e.message,
            };
            return Err(Unplannable { statement_index: i as u32, sqlstate: e.sqlstate, message });
        }
    }
    Ok(())
}

struct Inner {
    queue: VecDeque<SignedTx>,
    /// Each pending tx's signature, by tx hash.
    hashes: HashMap<Hash, [u8; 64]>,
    first_at: Option<Instant>,
    closed: bool,
}

pub struct Mempool {
    inner: Mutex<Inner>,
    ready: Condvar,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

/// What the block-cutting rule says at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Cut a block now.
    Now,
    /// Nothing yet; a block is due at this instant unless more txs come.
    At(Instant),
    /// The pool is empty.
    Idle,
    /// The pool is closed.
    Closed,
}

impl Inner {
    fn cut(&self, max_txs: usize, max_wait: Duration, now: Instant) -> Cut {
        if self.closed {
            return Cut::Closed;
        }
        let Some(first) = self.first_at else { return Cut::Idle };
        let due = first + max_wait;
        if self.queue.len() >= max_txs || now >= due {
            Cut::Now
        } else {
            Cut::At(due)
        }
    }

    fn take(&mut self, max_txs: usize, now: Instant) -> Vec<SignedTx> {
        let n = self.queue.len().min(max_txs);
        let txs: Vec<SignedTx> = self.queue.drain(..n).collect();
        for t in &txs {
            self.hashes.remove(&t.hash());
        }
        self.first_at = if self.queue.is_empty() { None } else { Some(now) };
        txs
    }
}

impl Mempool {
    pub fn new(capacity: usize) -> Self {
        Self::with_clock(capacity, Arc::new(SystemClock))
    }

    pub fn with_clock(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        Mempool {
            inner: Mutex::new(Inner { queue: VecDeque::new(), hashes: HashMap::new(), first_at: None, closed: false }),
            ready: Condvar::new(),
            capacity,
            clock,
        }
    }

    pub fn add(&self, tx: SignedTx) -> Result<(), PoolError> {
        let mut g = self.inner.lock();
        if g.closed {
            return Err(PoolError::Closed);
        }
        if g.queue.len() >= self.capacity {
            return Err(PoolError::Full(self.capacity));
        }
        if g.hashes.insert(tx.hash(), tx.signature).is_some() {
            return Err(PoolError::Duplicate);
        }
        if g.queue.is_empty() {
            g.first_at = Some(self.clock.now());
        }
        g.queue.push_back(tx);
        self.ready.notify_one();
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.inner.lock().queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_closed(&self) -> bool {
        self.inner.lock().closed
    }

    /// Wakes the block producer and refuses further txs.
    pub fn close(&self) {
        self.inner.lock().closed = true;
        self.ready.notify_all();
    }

    /// Blocks until a block should be cut, then takes up to `max_txs` txs in
    /// arrival order. Returns an empty list only when the pool was closed.
    /// (Waits on the system's time; [`Mempool::try_take`] asks the clock once.)
    pub fn take_block(&self, max_txs: usize, max_wait: Duration) -> Vec<SignedTx> {
        let mut g = self.inner.lock();
        loop {
            let now = self.clock.now();
            match g.cut(max_txs, max_wait, now) {
                Cut::Now => return g.take(max_txs, now),
                Cut::Closed => return Vec::new(),
                Cut::At(due) => {
                    self.ready.wait_until(&mut g, due);
                }
                Cut::Idle => self.ready.wait(&mut g),
            }
        }
    }

    /// The block the cutting rule gives at the clock's present instant, if
    /// one is due; never waits. `Some(empty)` means the pool is closed.
    pub fn try_take(&self, max_txs: usize, max_wait: Duration) -> Option<Vec<SignedTx>> {
        let mut g = self.inner.lock();
        let now = self.clock.now();
        match g.cut(max_txs, max_wait, now) {
            Cut::Now => Some(g.take(max_txs, now)),
            Cut::Closed => Some(Vec::new()),
            Cut::At(_) | Cut::Idle => None,
        }
    }
}

/// The BFT network's view of the pool: txs stay until a final block holds
/// them (any validator may be the next leader), and a leader proposes from
/// those its pending blocks do not already hold.
impl Mempool {
    /// Up to `max_txs` pending txs in arrival order, skipping `exclude`.
    pub fn candidates(&self, max_txs: usize, exclude: &HashSet<Hash>) -> Vec<SignedTx> {
        let g = self.inner.lock();
        g.queue.iter().filter(|t| exclude.is_empty() || !exclude.contains(&t.hash())).take(max_txs).cloned().collect()
    }

    /// Drops txs that a final block holds, or that can never be included.
    pub fn remove(&self, hashes: &HashSet<Hash>) {
        if hashes.is_empty() {
            return;
        }
        let mut g = self.inner.lock();
        let before = g.queue.len();
        g.queue.retain(|t| !hashes.contains(&t.hash()));
        if g.queue.len() != before {
            for h in hashes {
                g.hashes.remove(h);
            }
            if g.queue.is_empty() {
                g.first_at = None;
            }
        }
    }

    pub fn contains(&self, hash: &Hash) -> bool {
        self.inner.lock().hashes.contains_key(hash)
    }

    /// Whether `tx`, signature and all, is pending here: its signature was
    /// verified when it was admitted.
    pub fn holds(&self, tx: &SignedTx) -> bool {
        self.inner.lock().hashes.get(&tx.hash()) == Some(&tx.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use node_core::tx::{Payload, TxBody};

    fn tx(i: u8) -> SignedTx {
        let k = node_core::crypto::Suite::Standard.secret_key(&[1; 32]).unwrap();
        TxBody {
            chain_id: "c".into(),
            account: k.public(),
            id: [i; 16],
            expires_at_ms: 1,
            dialect: node_core::tx::Dialect::Postgres,
            payload: Payload::Sql(vec![]),
        }
        .sign(&k)
    }

    #[test]
    fn cuts_by_count_and_by_time_and_rejects_duplicates() {
        let clock = Arc::new(ManualClock::default());
        let pool = Mempool::with_clock(10, clock.clone());
        let wait = Duration::from_millis(30);
        assert_eq!(pool.try_take(3, wait), None, "an empty pool cuts nothing");
        for i in 0..5 {
            pool.add(tx(i)).unwrap();
        }
        assert_eq!(pool.add(tx(0)), Err(PoolError::Duplicate));
        // Count reached: a block at once, and the wait restarts for the rest.
        assert_eq!(pool.try_take(3, wait).map(|b| b.len()), Some(3));
        // Two left, fewer than max: due 30 ms after the cut, not before.
        clock.advance(Duration::from_millis(29));
        assert_eq!(pool.try_take(3, wait), None);
        clock.advance(Duration::from_millis(1));
        assert_eq!(pool.try_take(3, wait).map(|b| b.len()), Some(2));
        assert_eq!(pool.try_take(3, wait), None);
        for i in 0..10 {
            pool.add(tx(10 + i)).unwrap();
        }
        assert_eq!(pool.add(tx(99)), Err(PoolError::Full(10)));
        pool.close();
        assert_eq!(pool.try_take(3, wait), Some(Vec::new()), "a closed pool cuts an empty block");
        assert_eq!(pool.take_block(3, wait), Vec::new());
    }

    #[test]
    fn take_block_waits_for_the_due_time_on_the_system_clock() {
        let pool = Mempool::new(10);
        pool.add(tx(1)).unwrap();
        let t = Instant::now();
        assert_eq!(pool.take_block(3, Duration::from_millis(30)).len(), 1);
        assert!(t.elapsed() >= Duration::from_millis(25));
    }
}
