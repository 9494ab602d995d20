//! The application the consensus engine drives.
//!
//! [`Mailbox`] is what the engine holds (its automaton, relay and reporter);
//! it forwards every call to [`Actor`], which owns the [`Chain`] and does the
//! work in one task, so the chain is never touched concurrently:
//!
//! - **propose**: wait until the pool has txs and the parent is executable,
//!   then execute a block on the parent and answer its hash;
//! - **verify**: wait for the block (relayed by its proposer) and its parent,
//!   execute it and answer whether every root in its header matched;
//! - **finalization**: commit the finalized block and every ancestor not yet
//!   committed, store the certificate with it, acknowledge the txs' waiters.
//!
//! A parent that is notarized but not yet final is waited for a moment (its
//! finalization usually arrives with the next proposal); after that the block
//! is executed stacked on it (SQLite savepoints), so a notarized block that
//! never finalizes on its own cannot stall the chain.
//!
//! Catch-up: every node tells its peers its height each second; a node
//! behind asks one of them for the final blocks it lacks and commits them
//! once a finalization certificate covers them.

use super::wire::{self, Sync};
use super::{digest, hash_of, Activity, Context, Digest, Finalization, PublicKey, Scheme};
use commonware_actor::Feedback;
use commonware_consensus::simplex::Plan;
use commonware_consensus::{Automaton, CertifiableAutomaton, Relay, Reporter};
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::channel::{fallible::OneshotExt, oneshot};
use futures::channel::mpsc;
use futures::StreamExt;
use node_chain::chain::{Chain, ChainError};
use node_chain::mempool::Mempool;
use node_chain::producer::{Outcome, Status, Waiters};
use node_core::block::{Block, Certificate};
use node_core::crypto::Hash;
use node_core::tx::SignedTx;
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What a peer last told us.
#[derive(Debug, Clone)]
pub struct PeerView {
    pub height: u64,
    pub validator: bool,
    pub seen_ms: u64,
}

/// State shared between the actor and the node's front ends.
pub struct Hub {
    pub pool: Arc<Mempool>,
    pub waiters: Waiters,
    pub status: Arc<RwLock<Status>>,
    /// Peers by public key (hex), as they last reported themselves.
    pub peers: Mutex<BTreeMap<String, PeerView>>,
    /// Txs this node admitted, to be gossiped to its peers.
    pub gossip: mpsc::UnboundedSender<SignedTx>,
    /// Set when the actor stopped on an error.
    pub failed: Mutex<Option<String>>,
}

/// The engine's handle on the actor.
#[derive(Clone)]
pub struct Mailbox {
    sender: mpsc::UnboundedSender<Message>,
}

pub enum Message {
    Propose { context: Context, response: oneshot::Sender<Digest> },
    Verify { context: Context, payload: Digest, response: oneshot::Sender<bool> },
    Broadcast { payload: Digest, plan: Plan<PublicKey> },
    Finalized(Finalization),
}

impl Mailbox {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Message>) {
        let (sender, receiver) = mpsc::unbounded();
        (Mailbox { sender }, receiver)
    }
}

impl Automaton for Mailbox {
    type Context = Context;
    type Digest = Digest;

    async fn propose(&mut self, context: Context) -> oneshot::Receiver<Digest> {
        let (response, receiver) = oneshot::channel();
        let _ = self.sender.unbounded_send(Message::Propose { context, response });
        receiver
    }

    async fn verify(&mut self, context: Context, payload: Digest) -> oneshot::Receiver<bool> {
        let (response, receiver) = oneshot::channel();
        let _ = self.sender.unbounded_send(Message::Verify { context, payload, response });
        receiver
    }
}

/// A block is final only with a finalization; notarized blocks are always
/// certifiable (the default).
impl CertifiableAutomaton for Mailbox {}

impl Relay for Mailbox {
    type Digest = Digest;
    type PublicKey = PublicKey;
    type Plan = Plan<PublicKey>;

    fn broadcast(&mut self, payload: Digest, plan: Plan<PublicKey>) -> Feedback {
        match self.sender.unbounded_send(Message::Broadcast { payload, plan }) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}

impl Reporter for Mailbox {
    type Activity = Activity;

    fn report(&mut self, activity: Activity) -> Feedback {
        // Only finalizations matter to the chain; the engine has verified
        // every certificate it reports.
        if let Activity::Finalization(f) = activity {
            if self.sender.unbounded_send(Message::Finalized(f)).is_err() {
                return Feedback::Closed;
            }
        }
        Feedback::Ok
    }
}

pub struct Config {
    pub max_txs_per_block: usize,
    /// How long a proposal waits for its notarized parent to become final
    /// before it is executed stacked on it.
    pub parent_wait: Duration,
    /// The largest message this node sends (catch-up replies are cut to it).
    pub message_bytes_max: usize,
    /// This node's key: its blocks' proposer, when it is a validator.
    pub me: node_core::crypto::PublicKey,
    pub validator: bool,
    /// Fault injection for the deterministic simulation (always `None` in a
    /// node): alters each block this validator proposes after executing
    /// it, making it a lying proposer that honest validators must reject.
    pub tamper: Option<fn(&mut Block)>,
}

/// The peer channels the actor uses, besides the engine's.
pub struct Channels<S, R> {
    pub blocks: (S, R),
    pub sync: (S, R),
    pub txs: (S, R),
}

struct Waiting<T> {
    context: Context,
    response: oneshot::Sender<T>,
    since: SystemTime,
}

pub struct Actor<E> {
    context: E,
    chain: Chain,
    hub: Arc<Hub>,
    scheme: Scheme,
    config: Config,
    /// Blocks not yet final that this node has seen (proposed, relayed or
    /// fetched), by hash.
    blocks: BTreeMap<Hash, Arc<Block>>,
    /// Finalizations of blocks not yet committed.
    finals: BTreeMap<Hash, Finalization>,
    proposes: Vec<Waiting<Digest>>,
    verifies: Vec<(Waiting<bool>, Digest)>,
    peers: BTreeMap<PublicKey, (u64, SystemTime)>,
    syncing: Option<(PublicKey, SystemTime)>,
    /// Blocks asked for by hash, and when.
    wanted: BTreeMap<Hash, SystemTime>,
    /// The head height at which a peer was first seen ahead, and when.
    behind_since: Option<(u64, SystemTime)>,
}

/// Unconfirmed blocks kept at most; a flood of junk blocks cannot grow it.
const BLOCKS_KEPT_MAX: usize = 1024;
const TICK: Duration = Duration::from_millis(50);
const STATUS_EVERY: Duration = Duration::from_secs(1);
const SYNC_TIMEOUT: Duration = Duration::from_secs(3);
const BEHIND_GRACE: Duration = Duration::from_millis(500);
const GOSSIP_BATCH_MAX: usize = 2_000;

fn millis(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl<E: Clock + Spawner> Actor<E> {
    pub fn new(context: E, mut chain: Chain, hub: Arc<Hub>, scheme: Scheme, config: Config) -> Self {
        let genesis = chain.genesis().clone();
        chain.set_finalization_signers(Box::new(move |c| crate::finalization_signers(&genesis, c)));
        Actor {
            context,
            chain,
            hub,
            scheme,
            config,
            blocks: BTreeMap::new(),
            finals: BTreeMap::new(),
            proposes: Vec::new(),
            verifies: Vec::new(),
            peers: BTreeMap::new(),
            syncing: None,
            wanted: BTreeMap::new(),
            behind_since: None,
        }
    }

    /// Runs until the mailbox closes (the engine stopped) or the chain fails.
    pub async fn run<S, R>(
        mut self,
        mut mailbox: mpsc::UnboundedReceiver<Message>,
        mut gossip: mpsc::UnboundedReceiver<SignedTx>,
        channels: Channels<S, R>,
    ) -> Result<(), ChainError>
    where
        S: Sender<PublicKey = PublicKey>,
        R: Receiver<PublicKey = PublicKey>,
    {
        let Channels {
            blocks: (mut blocks_out, mut blocks_in),
            sync: (mut sync_out, mut sync_in),
            txs: (mut txs_out, mut txs_in),
        } = channels;
        let mut next_status = self.context.current();
        loop {
            let tick = self.context.sleep(TICK);
            commonware_macros::select! {
                m = mailbox.next() => {
                    let Some(m) = m else { return Ok(()) };
                    self.on_message(m, &mut blocks_out)?;
                },
                m = blocks_in.recv() => {
                    let Ok((from, bytes)) = m else { return Ok(()) };
                    self.on_block(&from, bytes.as_ref());
                },
                m = sync_in.recv() => {
                    let Ok((from, bytes)) = m else { return Ok(()) };
                    match Sync::decode(bytes.as_ref()) {
                        Ok(msg) => self.on_sync(from, msg, &mut sync_out)?,
                        Err(_) => continue,
                    }
                },
                m = txs_in.recv() => {
                    let Ok((_, bytes)) = m else { return Ok(()) };
                    if let Ok(txs) = wire::decode_txs(bytes.as_ref()) {
                        self.on_txs(txs);
                    }
                },
                tx = gossip.next() => {
                    let Some(tx) = tx else { return Ok(()) };
                    let mut batch = vec![tx];
                    while batch.len() < GOSSIP_BATCH_MAX {
                        match gossip.try_recv() {
                            Ok(t) => batch.push(t),
                            _ => break,
                        }
                    }
                    let bytes = wire::encode_txs(&batch);
                    if bytes.len() <= self.config.message_bytes_max {
                        txs_out.send(Recipients::All, bytes, false);
                    }
                },
                _ = tick => {},
            }
            let now = self.context.current();
            if now >= next_status {
                next_status = now + STATUS_EVERY;
                self.send_status(&mut sync_out);
            }
            self.progress()?;
            self.maybe_sync(&mut sync_out);
        }
    }

    fn head_hash(&self) -> Hash {
        self.chain.head().1
    }

    fn on_message<S: Sender<PublicKey = PublicKey>>(
        &mut self,
        m: Message,
        blocks_out: &mut S,
    ) -> Result<(), ChainError> {
        let now = self.context.current();
        match m {
            Message::Propose { context, response } => {
                // Only the newest request can still be answered usefully.
                self.proposes.retain(|w| !w.response.is_closed());
                self.proposes.push(Waiting { context, response, since: now });
            }
            Message::Verify { context, payload, response } => {
                self.verifies.push((Waiting { context, response, since: now }, payload));
            }
            Message::Broadcast { payload, plan } => {
                let recipients = match plan {
                    Plan::Propose { .. } | Plan::Prepare { .. } => Recipients::All,
                    Plan::Forward { recipients, .. } => recipients,
                };
                if let Some(b) = self.blocks.get(&hash_of(&payload)) {
                    let bytes = b.to_bytes();
                    if bytes.len() <= self.config.message_bytes_max {
                        blocks_out.send(recipients, bytes, true);
                    }
                }
            }
            Message::Finalized(f) => {
                let hash = hash_of(&f.proposal.payload);
                if self.chain.ledger().height_of_block(&hash)?.is_none() {
                    self.finals.insert(hash, f);
                }
            }
        }
        Ok(())
    }

    /// A block relayed by its proposer (or forwarded). Kept until final or
    /// superseded; checked when a vote needs it.
    fn on_block(&mut self, _from: &PublicKey, bytes: &[u8]) {
        let Ok(block) = Block::from_bytes(bytes) else { return };
        self.remember(block);
    }

    fn remember(&mut self, block: Block) -> bool {
        let head = self.chain.head().0.height;
        if block.header.chain_id != self.chain.genesis().chain_id || block.header.height <= head {
            return false;
        }
        let hash = block.hash();
        if self.blocks.contains_key(&hash) {
            return true;
        }
        if self.blocks.len() >= BLOCKS_KEPT_MAX {
            // Drop the block farthest ahead: the nearest are the ones needed next.
            if let Some(far) = self.blocks.iter().max_by_key(|(_, b)| b.header.height).map(|(h, _)| *h) {
                self.blocks.remove(&far);
            }
        }
        self.blocks.insert(hash, Arc::new(block));
        true
    }

    /// Txs gossiped by a peer: admitted to the pool after the same checks
    /// as a client's (the signature above all), without a waiter.
    fn on_txs(&mut self, txs: Vec<SignedTx>) {
        let fresh: Vec<SignedTx> = txs.into_iter().filter(|t| !self.hub.pool.contains(&t.hash())).collect();
        if fresh.is_empty() {
            return;
        }
        let ok = node_core::tx::verify_signatures(&fresh);
        let now = millis(self.context.current());
        let chain_id = &self.chain.genesis().chain_id;
        for (tx, good) in fresh.into_iter().zip(ok) {
            let admissible = || node_chain::mempool::check_plans(&tx.body).is_ok();
            if !good || &tx.body.chain_id != chain_id || tx.body.expires_at_ms <= now || !admissible() {
                continue;
            }
            let _ = self.hub.pool.add(tx);
        }
    }

    fn send_status<S: Sender<PublicKey = PublicKey>>(&mut self, sync_out: &mut S) {
        let (h, hash) = self.chain.head();
        let msg = Sync::Status { height: h.height, hash, validator: self.config.validator };
        sync_out.send(Recipients::All, msg.encode(), false);
        // Forget peers not heard from for a while.
        let now = self.context.current();
        self.peers
            .retain(|_, (_, seen)| now.duration_since(*seen).map(|d| d < Duration::from_secs(10)).unwrap_or(true));
    }

    fn on_sync<S: Sender<PublicKey = PublicKey>>(
        &mut self,
        from: PublicKey,
        msg: Sync,
        sync_out: &mut S,
    ) -> Result<(), ChainError> {
        let now = self.context.current();
        match msg {
            Sync::Status { height, validator, .. } => {
                self.peers.insert(from.clone(), (height, now));
                self.hub
                    .peers
                    .lock()
                    .insert(hex::encode(from.as_ref()), PeerView { height, validator, seen_ms: millis(now) });
            }
            Sync::Request { from: start, count } => {
                let ledger = self.chain.ledger();
                let end = self.chain.head().0.height.min(start.saturating_add(count as u64).saturating_sub(1));
                let mut blocks = Vec::new();
                let mut size = 16;
                for h in start.max(1)..=end {
                    let Some(b) = ledger.block_bytes(h)? else { break };
                    size += b.len() + 4;
                    if size > self.config.message_bytes_max {
                        break;
                    }
                    blocks.push(b);
                }
                if !blocks.is_empty() {
                    sync_out.send(Recipients::One(from), Sync::Blocks(blocks).encode(), false);
                }
            }
            Sync::Want { hash } => {
                let bytes = match self.blocks.get(&hash) {
                    Some(b) => Some(b.to_bytes()),
                    None => match self.chain.ledger().height_of_block(&hash)? {
                        Some(h) => self.chain.ledger().block_bytes(h)?,
                        None => None,
                    },
                };
                if let Some(b) = bytes.filter(|b| b.len() + 16 <= self.config.message_bytes_max) {
                    sync_out.send(Recipients::One(from), Sync::Blocks(vec![b]).encode(), false);
                }
            }
            Sync::Blocks(list) => {
                if self.syncing.as_ref().map(|(p, _)| p) == Some(&from) {
                    self.syncing = None;
                }
                for bytes in list {
                    let Ok(block) = Block::from_bytes(&bytes) else { break };
                    let hash = block.hash();
                    if !block.certificate.finalization.is_empty() {
                        // Only a finalization that verifies makes fetched blocks final.
                        match super::finalization_of(&self.scheme, &block) {
                            Some(f) => self.finals.insert(hash, f),
                            None => break,
                        };
                    }
                    let mut block = block;
                    block.certificate = Certificate::default();
                    if !self.remember(block) {
                        continue;
                    }
                }
            }
        }
        Ok(())
    }

    /// The first block missing on the way from `target` back to the head,
    /// if one is (None when the path is complete or leaves the chain).
    fn missing_ancestor(&self, target: &Hash) -> Option<Hash> {
        let (head, head_hash) = self.chain.head();
        let mut cur = *target;
        for _ in 0..=BLOCKS_KEPT_MAX {
            if cur == head_hash {
                return None;
            }
            match self.blocks.get(&cur) {
                Some(b) if b.header.height > head.height => cur = b.header.prev_hash,
                Some(_) => return None,
                None => return Some(cur),
            }
        }
        None
    }

    /// Asks every peer for blocks that votes wait on and that the relay did
    /// not bring (a node that restarted lost the ones it had), at most
    /// every half second each.
    fn request_wanted<S: Sender<PublicKey = PublicKey>>(&mut self, sync_out: &mut S) {
        let now = self.context.current();
        let mut want: Vec<Hash> = Vec::new();
        for (w, payload) in &self.verifies {
            if now.duration_since(w.since).unwrap_or_default() < Duration::from_millis(200) {
                continue;
            }
            want.extend(self.missing_ancestor(&hash_of(payload)));
        }
        for w in &self.proposes {
            want.extend(self.missing_ancestor(&hash_of(&w.context.parent.1)));
        }
        self.wanted.retain(|h, _| want.contains(h));
        for hash in want {
            if self.chain.ledger().height_of_block(&hash).ok().flatten().is_some() {
                continue;
            }
            let due = self
                .wanted
                .get(&hash)
                .is_none_or(|t| now.duration_since(*t).unwrap_or_default() >= Duration::from_millis(500));
            if due {
                self.wanted.insert(hash, now);
                sync_out.send(Recipients::All, Sync::Want { hash }.encode(), false);
            }
        }
    }

    /// Asks a peer that is ahead for the blocks this node lacks.
    fn maybe_sync<S: Sender<PublicKey = PublicKey>>(&mut self, sync_out: &mut S) {
        self.request_wanted(sync_out);
        let now = self.context.current();
        if let Some((_, since)) = &self.syncing {
            if now.duration_since(*since).map(|d| d < SYNC_TIMEOUT).unwrap_or(true) {
                return;
            }
            self.syncing = None;
        }
        let head = self.chain.head().0.height;
        let ahead: Vec<&PublicKey> = self.peers.iter().filter(|(_, (h, _))| *h > head).map(|(p, _)| p).collect();
        if ahead.is_empty() {
            self.behind_since = None;
            return;
        }
        // A peer a block ahead is usual (its finalization arrived first):
        // fetch only when this node stays behind.
        let since = *self.behind_since.get_or_insert((head, now));
        if since.0 != head {
            self.behind_since = Some((head, now));
            return;
        }
        if now.duration_since(since.1).unwrap_or_default() < BEHIND_GRACE {
            return;
        }
        // Spread requests over the peers that are ahead.
        let Some(peer) = ahead.get((millis(now) as usize / 1000) % ahead.len().max(1)).map(|p| (*p).clone()) else {
            return;
        };
        let msg = Sync::Request { from: head + 1, count: wire::SYNC_BLOCKS_MAX };
        sync_out.send(Recipients::One(peer.clone()), msg.encode(), false);
        self.syncing = Some((peer, now));
    }

    /// Answers what can be answered and commits what is final.
    fn progress(&mut self) -> Result<(), ChainError> {
        self.commit_final()?;
        self.answer_verifies()?;
        self.answer_proposes()?;
        Ok(())
    }

    /// The blocks from the head (exclusive) to `target` (inclusive), if all known.
    fn path_to(&self, target: &Hash) -> Option<Vec<Arc<Block>>> {
        let head = self.head_hash();
        let mut path = Vec::new();
        let mut cur = *target;
        while cur != head {
            let b = self.blocks.get(&cur)?;
            cur = b.header.prev_hash;
            path.push(b.clone());
            if path.len() > BLOCKS_KEPT_MAX {
                return None;
            }
        }
        path.reverse();
        Some(path)
    }

    /// Makes the chain's pending blocks exactly `path`: keeps the common
    /// prefix, drops the rest and executes what is missing. Returns false
    /// (and forgets the block) when a block of the path is invalid.
    fn execute_path(&mut self, path: &[Arc<Block>]) -> Result<bool, ChainError> {
        let pending: Vec<Hash> = self.chain.pending().collect();
        let common = pending.iter().zip(path).take_while(|(p, b)| **p == b.hash()).count();
        for _ in common..pending.len() {
            self.chain.pop()?;
        }
        for b in path.iter().skip(common) {
            match self.chain.execute_on_tip(b) {
                Ok(()) => {}
                Err(ChainError::InvalidBlock { height, reason }) => {
                    tracing::warn!(height, block = %hex::encode(b.hash()), reason = %reason, "a proposed block is invalid");
                    self.blocks.remove(&b.hash());
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Commits every block a finalization covers, oldest first.
    fn commit_final(&mut self) -> Result<(), ChainError> {
        loop {
            // The finalization nearest the head whose blocks are all known.
            let target =
                self.finals.keys().filter_map(|h| self.path_to(h).map(|p| (p.len(), *h, p))).min_by_key(|(n, _, _)| *n);
            let Some((_, hash, path)) = target else { break };
            if path.is_empty() {
                self.finals.remove(&hash);
                continue;
            }
            if !self.execute_path(&path)? {
                // A quorum finalized a block this node finds invalid: the
                // validators' executions disagree. Nothing can be committed.
                return Err(ChainError::Diverged(format!(
                    "block {} was finalized by a quorum but does not execute to its roots here",
                    hex::encode(hash)
                )));
            }
            let Some(f) = self.finals.remove(&hash) else { break };
            let mut certificates = vec![Certificate::default(); path.len()];
            if let Some(last) = certificates.last_mut() {
                last.finalization = super::encode_finalization(&f);
            }
            for (block, receipts) in self.chain.commit_through(certificates, true)? {
                self.committed(block, receipts);
            }
        }
        Ok(())
    }

    /// After a block is durable: status, waiters, pool, caches.
    fn committed(&mut self, block: Block, receipts: Vec<node_core::block::Receipt>) {
        let height = block.header.height;
        let hash = block.hash();
        *self.hub.status.write() = Status {
            height,
            block_hash: hash,
            state_root: block.header.state_root,
            timestamp_ms: block.header.timestamp_ms,
        };
        let done: HashSet<Hash> = block.txs.iter().map(|t| t.hash()).collect();
        {
            let mut w = self.hub.waiters.lock();
            for (i, (tx, receipt)) in block.txs.iter().zip(receipts).enumerate() {
                if let Some(s) = w.remove(&tx.hash()) {
                    let _ = s.send(Outcome::Committed { height, index: i as u32, receipt });
                }
            }
        }
        self.hub.pool.remove(&done);
        self.blocks.retain(|_, b| b.header.height > height);
        self.finals.retain(|h, _| *h != hash);
    }

    /// Whether work on `parent` may start now: it is the head, or a known
    /// block whose finalization did not come within `parent_wait`.
    fn parent_ready(&self, parent: &Hash, since: SystemTime) -> bool {
        if *parent == self.head_hash() {
            return true;
        }
        if self.path_to(parent).is_none() {
            return false;
        }
        let waited = self.context.current().duration_since(since).unwrap_or_default();
        waited >= self.config.parent_wait
    }

    fn answer_verifies(&mut self) -> Result<(), ChainError> {
        let mut i = 0;
        while i < self.verifies.len() {
            let Some((w, payload)) = self.verifies.get(i) else { break };
            if w.response.is_closed() {
                self.verifies.swap_remove(i);
                continue;
            }
            let hash = hash_of(payload);
            let parent = hash_of(&w.context.parent.1);
            let verdict = match self.blocks.get(&hash).cloned() {
                None => {
                    // Final already (a replay after restart), or not here yet.
                    if let Some(h) = self.chain.ledger().height_of_block(&hash)? {
                        let b = self.chain.ledger().block(h)?;
                        Some(b.is_some_and(|b| b.header.prev_hash == parent))
                    } else {
                        None
                    }
                }
                Some(block) => {
                    let leader_ok = super::public_key(&block.header.proposer).as_ref() == Some(&w.context.leader);
                    if block.header.prev_hash != parent || !leader_ok || self.too_far_ahead(&block) {
                        Some(false)
                    } else if self.is_final_below_head(&parent)? {
                        // Building on a final block other than the head forks finality.
                        Some(false)
                    } else if !self.parent_ready(&parent, w.since) {
                        None
                    } else if let Some(mut path) = self.path_to(&parent) {
                        path.push(block.clone());
                        Some(self.execute_path(&path)?)
                    } else {
                        None // parent_ready found a path; none now means wait
                    }
                }
            };
            match verdict {
                Some(ok) => {
                    let (w, _) = self.verifies.swap_remove(i);
                    w.response.send_lossy(ok);
                }
                None => i += 1,
            }
        }
        Ok(())
    }

    /// The bounded-time rule, a consensus rule judged against this
    /// validator's own clock: no vote for a block dated more than
    /// `max_future_ms` (genesis) ahead of it. (The ordering rule, after its
    /// parent, is the chain's and is rechecked on replay; this one reads a
    /// clock, so only votes apply it.)
    fn too_far_ahead(&self, block: &Block) -> bool {
        let now = millis(self.context.current());
        block.header.timestamp_ms > now.saturating_add(self.chain.genesis().max_future_ms)
    }

    fn is_final_below_head(&self, parent: &Hash) -> Result<bool, ChainError> {
        Ok(*parent != self.head_hash() && self.chain.ledger().height_of_block(parent)?.is_some())
    }

    fn answer_proposes(&mut self) -> Result<(), ChainError> {
        if !self.config.validator {
            self.proposes.clear();
            return Ok(());
        }
        self.proposes.retain(|w| !w.response.is_closed());
        let Some(w) = self.proposes.last() else { return Ok(()) };
        if self.hub.pool.is_empty() {
            return Ok(()); // no empty blocks: the view waits, or times out
        }
        let parent = hash_of(&w.context.parent.1);
        if self.is_final_below_head(&parent)? || !self.parent_ready(&parent, w.since) {
            return Ok(());
        }
        let Some(path) = self.path_to(&parent) else { return Ok(()) };
        if !self.execute_path(&path)? {
            return Ok(());
        }
        let exclude: HashSet<Hash> = path.iter().flat_map(|b| b.txs.iter().map(|t| t.hash())).collect();
        let candidates = self.hub.pool.candidates(self.config.max_txs_per_block, &exclude);
        if candidates.is_empty() {
            return Ok(());
        }
        let now = millis(self.context.current());
        let proposal = self.chain.propose_on_tip(candidates, now, self.config.me)?;
        if !proposal.rejected.is_empty() {
            let mut gone = HashSet::new();
            let mut w = self.hub.waiters.lock();
            for (h, why) in &proposal.rejected {
                gone.insert(*h);
                if let Some(s) = w.remove(h) {
                    let _ = s.send(Outcome::Rejected(why.message().into()));
                }
            }
            drop(w);
            self.hub.pool.remove(&gone);
        }
        if proposal.block.txs.is_empty() {
            self.chain.pop()?;
            return Ok(());
        }
        let mut block = proposal.block;
        if let Some(tamper) = self.config.tamper {
            tamper(&mut block);
            self.chain.pop()?;
        }
        let hash = block.hash();
        self.blocks.insert(hash, Arc::new(block));
        if let Some(w) = self.proposes.pop() {
            w.response.send_lossy(digest(&hash));
        }
        self.proposes.clear();
        Ok(())
    }
}
