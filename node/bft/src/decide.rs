//! The decision core: what the application answers the engine and its
//! peers, decided without executing anything and without writing.
//!
//! The shape is raft-rs's `RawNode`: [`Core::step`] takes one input (an
//! engine request, a peer's message, a worker's result) at a time `now`
//! the caller reads from its clock, and [`Core::advance`] returns what to do
//! next: messages to send and [`Job`]s for the [`crate::worker`], which
//! executes blocks and writes the ledger. The core reads the ledger's
//! committed blocks through [`LedgerRead`] (as `RawNode` reads its
//! `Storage`), answers the engine's oneshot requests itself, and touches
//! the pool only to ask whether it is empty.
//!
//! One chain job is in flight at a time. While one is, the ledger may be
//! ahead of the core's head, so nothing that compares the two (commits,
//! votes, proposals) is decided until its [`Done`] arrives; the rest
//! (remembering blocks, serving peers, catch-up) goes on.
//!
//! - **propose**: wait until the pool has txs and the parent is executable,
//!   then have the worker build a block on the parent; answer its hash;
//! - **verify**: wait for the block (relayed by its proposer) and its parent,
//!   have the worker execute it, answer whether every root matched;
//! - **finalization**: have the worker commit the finalized block and every
//!   ancestor not yet committed, with the certificate.
//!
//! A parent that is notarized but not yet final is waited for a moment (its
//! finalization usually arrives with the next proposal); after that the
//! block is executed stacked on it (SQLite savepoints), so a notarized block
//! that never finalizes on its own cannot stall the chain.
//!
//! Catch-up: every node tells its peers its height each second; a node
//! behind asks one of them for the final blocks it lacks and commits them
//! once a finalization certificate covers them.

use crate::actor::{Hub, Message, PeerView};
use crate::wire::{self, Sync};
use crate::worker::{Done, Job};
use crate::{digest, hash_of, Context, Digest, Finalization, PublicKey, Scheme};
use commonware_consensus::simplex::Plan;
use commonware_p2p::Recipients;
use commonware_utils::channel::{fallible::OneshotExt, oneshot};
use node_chain::chain::ChainError;
use node_chain::ledger::LedgerRead;
use node_core::block::{Block, Certificate};
use node_core::crypto::Hash;
use node_core::tx::SignedTx;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// One thing that happened, for [`Core::step`].
pub enum Input {
    /// A request or report of the consensus engine.
    Engine(Message),
    /// A block a peer relayed.
    Block(Block),
    /// A catch-up message from a peer.
    Sync(PublicKey, Sync),
    /// Txs a peer gossiped.
    Txs(Vec<SignedTx>),
    /// The worker finished a job.
    Done(Done),
}

/// One thing to do, from [`Core::advance`].
pub enum Output {
    /// Send a block on the blocks channel (with priority).
    Block(Recipients<PublicKey>, Vec<u8>),
    /// Send a catch-up message.
    Sync(Recipients<PublicKey>, Vec<u8>),
    /// Hand a job to the worker.
    Work(Job),
}

/// What the core needs to know of the chain and of its settings.
pub struct CoreConfig {
    pub chain_id: String,
    /// genesis `max_future_ms`: the bounded-time rule of votes.
    pub max_future_ms: u64,
    /// How long a proposal waits for its notarized parent to become final.
    pub parent_wait: Duration,
    /// The largest message this node sends (catch-up replies are cut to it).
    pub message_bytes_max: usize,
    pub validator: bool,
}

struct Waiting<T> {
    context: Context,
    response: oneshot::Sender<T>,
    since: SystemTime,
}

/// The chain job in flight, and what its result answers.
enum Busy {
    /// Executing `path_to(parent) + block` for the votes on `block`.
    Verify {
        block: Hash,
        parent: Hash,
    },
    Propose {
        parent: Hash,
    },
    /// Committing the blocks of `path`, oldest first.
    Commit {
        path: Vec<Hash>,
    },
}

/// Unconfirmed blocks kept at most; a flood of junk blocks cannot grow it.
const BLOCKS_KEPT_MAX: usize = 1024;
const STATUS_EVERY: Duration = Duration::from_secs(1);
const SYNC_TIMEOUT: Duration = Duration::from_secs(3);
const BEHIND_GRACE: Duration = Duration::from_millis(500);
/// Peers not heard from for this long are forgotten.
const PEER_SILENT_MAX: Duration = Duration::from_secs(10);

pub(crate) fn millis(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn since(now: SystemTime, then: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or_default()
}

pub struct Core {
    hub: Arc<Hub>,
    ledger: Arc<dyn LedgerRead>,
    scheme: Scheme,
    config: CoreConfig,
    /// The last committed block, as the worker last reported it.
    head: (u64, Hash),
    busy: Option<Busy>,
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
    next_status: Option<SystemTime>,
    out: Vec<Output>,
}

impl Core {
    pub fn new(
        head: (u64, Hash),
        ledger: Arc<dyn LedgerRead>,
        hub: Arc<Hub>,
        scheme: Scheme,
        config: CoreConfig,
    ) -> Self {
        Core {
            hub,
            ledger,
            scheme,
            config,
            head,
            busy: None,
            blocks: BTreeMap::new(),
            finals: BTreeMap::new(),
            proposes: Vec::new(),
            verifies: Vec::new(),
            peers: BTreeMap::new(),
            syncing: None,
            wanted: BTreeMap::new(),
            behind_since: None,
            next_status: None,
            out: Vec::new(),
        }
    }

    /// Takes one input. An error stops the node: the worker failed, or the
    /// ledger could not be read.
    pub fn step(&mut self, now: SystemTime, input: Input) -> Result<(), ChainError> {
        match input {
            Input::Engine(m) => self.on_message(now, m)?,
            Input::Block(block) => {
                self.remember(block);
            }
            Input::Sync(from, msg) => self.on_sync(now, from, msg)?,
            Input::Txs(txs) => self.on_txs(now, txs),
            Input::Done(done) => self.on_done(done)?,
        }
        Ok(())
    }

    /// Decides what can be decided at `now` and returns what to do.
    pub fn advance(&mut self, now: SystemTime) -> Result<Vec<Output>, ChainError> {
        if self.next_status.is_none_or(|t| now >= t) {
            self.next_status = Some(now + STATUS_EVERY);
            self.send_status(now);
        }
        if self.busy.is_none() {
            self.progress(now)?;
        }
        self.maybe_sync(now);
        Ok(std::mem::take(&mut self.out))
    }

    /// The head the core knows: height and hash.
    pub fn head(&self) -> (u64, Hash) {
        self.head
    }

    /// Whether a chain job is in flight.
    pub fn is_busy(&self) -> bool {
        self.busy.is_some()
    }

    fn on_message(&mut self, now: SystemTime, m: Message) -> Result<(), ChainError> {
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
                        self.out.push(Output::Block(recipients, bytes));
                    }
                }
            }
            Message::Finalized(f) => {
                let hash = hash_of(&f.proposal.payload);
                if self.ledger.height_of_block(&hash)?.is_none() {
                    self.finals.insert(hash, f);
                }
            }
        }
        Ok(())
    }

    fn on_done(&mut self, done: Done) -> Result<(), ChainError> {
        let busy = self.busy.take();
        match (done, busy) {
            (Done::Failed(e), _) => return Err(e),
            (Done::Executed { invalid }, Some(Busy::Verify { block, parent })) => {
                self.forget_invalid(invalid);
                self.answer_verify(&block, &parent, invalid.is_none());
            }
            (Done::Proposed { invalid, block }, Some(Busy::Propose { parent })) => {
                self.forget_invalid(invalid);
                if let Some(block) = block {
                    self.proposed(*block, &parent);
                }
            }
            (Done::Committed { height, hash }, Some(Busy::Commit { path })) => {
                self.head = (height, hash);
                self.blocks.retain(|_, b| b.header.height > height);
                for h in &path {
                    self.finals.remove(h);
                }
            }
            _ => return Err(ChainError::Misuse("the worker answered a job that was not asked".into())),
        }
        Ok(())
    }

    fn forget_invalid(&mut self, invalid: Option<Hash>) {
        if let Some(hash) = invalid {
            self.blocks.remove(&hash);
        }
    }

    /// The worker built `block` on `parent`: remembered, and the hash
    /// answers the newest open proposal request on that parent.
    fn proposed(&mut self, block: Block, parent: &Hash) {
        let hash = block.hash();
        self.blocks.insert(hash, Arc::new(block));
        self.proposes.retain(|w| !w.response.is_closed());
        let asked = self.proposes.iter().rposition(|w| hash_of(&w.context.parent.1) == *parent);
        if let Some(i) = asked {
            let w = self.proposes.swap_remove(i);
            w.response.send_lossy(digest(&hash));
            self.proposes.clear();
        }
    }

    /// Answers every vote request on `block` over `parent`.
    fn answer_verify(&mut self, block: &Hash, parent: &Hash, ok: bool) {
        let mut i = 0;
        while i < self.verifies.len() {
            let matches = self
                .verifies
                .get(i)
                .is_some_and(|(w, p)| hash_of(p) == *block && hash_of(&w.context.parent.1) == *parent);
            if matches {
                let (w, _) = self.verifies.swap_remove(i);
                w.response.send_lossy(ok);
            } else {
                i += 1;
            }
        }
    }

    fn remember(&mut self, block: Block) -> bool {
        if block.header.chain_id != self.config.chain_id || block.header.height <= self.head.0 {
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

    /// Txs gossiped by a peer: those the pool lacks, of this chain and not
    /// expired, go to the worker to have their signatures checked.
    fn on_txs(&mut self, now: SystemTime, txs: Vec<SignedTx>) {
        let now = millis(now);
        let fresh: Vec<SignedTx> = txs
            .into_iter()
            .filter(|t| t.body.chain_id == self.config.chain_id && t.body.expires_at_ms > now)
            .filter(|t| !self.hub.pool.contains(&t.hash()))
            .collect();
        if !fresh.is_empty() {
            self.out.push(Output::Work(Job::Admit(fresh)));
        }
    }

    fn send_status(&mut self, now: SystemTime) {
        let (height, hash) = self.head;
        let msg = Sync::Status { height, hash, validator: self.config.validator };
        self.out.push(Output::Sync(Recipients::All, msg.encode()));
        self.peers.retain(|_, (_, seen)| since(now, *seen) < PEER_SILENT_MAX);
    }

    fn on_sync(&mut self, now: SystemTime, from: PublicKey, msg: Sync) -> Result<(), ChainError> {
        match msg {
            Sync::Status { height, validator, .. } => {
                self.peers.insert(from.clone(), (height, now));
                self.hub
                    .peers
                    .lock()
                    .insert(hex::encode(from.as_ref()), PeerView { height, validator, seen_ms: millis(now) });
            }
            Sync::Request { from: start, count } => self.serve_request(from, start, count)?,
            Sync::Want { hash } => {
                let bytes = match self.blocks.get(&hash) {
                    Some(b) => Some(b.to_bytes()),
                    None => match self.ledger.height_of_block(&hash)? {
                        Some(h) => self.ledger.block_bytes(h)?,
                        None => None,
                    },
                };
                if let Some(b) = bytes.filter(|b| b.len() + 16 <= self.config.message_bytes_max) {
                    self.out.push(Output::Sync(Recipients::One(from), Sync::Blocks(vec![b]).encode()));
                }
            }
            Sync::Blocks(list) => self.on_blocks(&from, list),
        }
        Ok(())
    }

    /// A peer's catch-up request: the final blocks from `start`, as many as
    /// fit in one message.
    fn serve_request(&mut self, to: PublicKey, start: u64, count: u32) -> Result<(), ChainError> {
        let end = self.head.0.min(start.saturating_add(count as u64).saturating_sub(1));
        let mut blocks = Vec::new();
        let mut size = 16;
        for h in start.max(1)..=end {
            let Some(b) = self.ledger.block_bytes(h)? else { break };
            size += b.len() + 4;
            if size > self.config.message_bytes_max {
                break;
            }
            blocks.push(b);
        }
        if !blocks.is_empty() {
            self.out.push(Output::Sync(Recipients::One(to), Sync::Blocks(blocks).encode()));
        }
        Ok(())
    }

    /// Blocks a peer sent: remembered, and made final where a
    /// finalization that verifies comes with them.
    fn on_blocks(&mut self, from: &PublicKey, list: Vec<Vec<u8>>) {
        if self.syncing.as_ref().map(|(p, _)| p) == Some(from) {
            self.syncing = None;
        }
        for bytes in list {
            let Ok(mut block) = Block::from_bytes(&bytes) else { break };
            let hash = block.hash();
            if !block.certificate.finalization.is_empty() {
                match crate::finalization_of(&self.scheme, &block) {
                    Some(f) => self.finals.insert(hash, f),
                    None => break,
                };
            }
            block.certificate = Certificate::default();
            self.remember(block);
        }
    }

    /// The first block missing on the way from `target` back to the head,
    /// if one is (None when the path is complete or leaves the chain).
    fn missing_ancestor(&self, target: &Hash) -> Option<Hash> {
        let mut cur = *target;
        for _ in 0..=BLOCKS_KEPT_MAX {
            if cur == self.head.1 {
                return None;
            }
            match self.blocks.get(&cur) {
                Some(b) if b.header.height > self.head.0 => cur = b.header.prev_hash,
                Some(_) => return None,
                None => return Some(cur),
            }
        }
        None
    }

    /// Asks every peer for blocks that votes wait on and that the relay did
    /// not bring (a node that restarted lost the ones it had), at most
    /// every half second each.
    fn request_wanted(&mut self, now: SystemTime) {
        let mut want: Vec<Hash> = Vec::new();
        for (w, payload) in &self.verifies {
            if since(now, w.since) < Duration::from_millis(200) {
                continue;
            }
            want.extend(self.missing_ancestor(&hash_of(payload)));
        }
        for w in &self.proposes {
            want.extend(self.missing_ancestor(&hash_of(&w.context.parent.1)));
        }
        self.wanted.retain(|h, _| want.contains(h));
        for hash in want {
            if self.ledger.height_of_block(&hash).ok().flatten().is_some() {
                continue;
            }
            let due = self.wanted.get(&hash).is_none_or(|t| since(now, *t) >= Duration::from_millis(500));
            if due {
                self.wanted.insert(hash, now);
                self.out.push(Output::Sync(Recipients::All, Sync::Want { hash }.encode()));
            }
        }
    }

    /// Asks a peer that is ahead for the blocks this node lacks.
    fn maybe_sync(&mut self, now: SystemTime) {
        self.request_wanted(now);
        if let Some((_, asked)) = &self.syncing {
            if since(now, *asked) < SYNC_TIMEOUT {
                return;
            }
            self.syncing = None;
        }
        let head = self.head.0;
        let ahead: Vec<&PublicKey> = self.peers.iter().filter(|(_, (h, _))| *h > head).map(|(p, _)| p).collect();
        if ahead.is_empty() {
            self.behind_since = None;
            return;
        }
        // A peer a block ahead is usual (its finalization arrived first):
        // fetch only when this node stays behind.
        let behind = *self.behind_since.get_or_insert((head, now));
        if behind.0 != head {
            self.behind_since = Some((head, now));
            return;
        }
        if since(now, behind.1) < BEHIND_GRACE {
            return;
        }
        // Spread requests over the peers that are ahead.
        let Some(peer) = ahead.get((millis(now) as usize / 1000) % ahead.len().max(1)).map(|p| (*p).clone()) else {
            return;
        };
        let msg = Sync::Request { from: head + 1, count: wire::SYNC_BLOCKS_MAX };
        self.out.push(Output::Sync(Recipients::One(peer.clone()), msg.encode()));
        self.syncing = Some((peer, now));
    }

    /// Answers what can be answered without the worker, and hands the
    /// worker the first job that needs it: commits first, then votes, then
    /// a proposal.
    fn progress(&mut self, now: SystemTime) -> Result<(), ChainError> {
        self.commit_final();
        if self.busy.is_none() {
            self.answer_verifies(now)?;
        }
        if self.busy.is_none() {
            self.answer_proposes(now)?;
        }
        Ok(())
    }

    /// The blocks from the head (exclusive) to `target` (inclusive), if all known.
    fn path_to(&self, target: &Hash) -> Option<Vec<Arc<Block>>> {
        let mut path = Vec::new();
        let mut cur = *target;
        while cur != self.head.1 {
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

    /// Hands the worker the finalization nearest the head whose blocks are
    /// all known.
    fn commit_final(&mut self) {
        loop {
            let target =
                self.finals.keys().filter_map(|h| self.path_to(h).map(|p| (p.len(), *h, p))).min_by_key(|(n, _, _)| *n);
            let Some((_, hash, path)) = target else { return };
            if path.is_empty() {
                self.finals.remove(&hash);
                continue;
            }
            let Some(f) = self.finals.get(&hash) else { return };
            let finalization = crate::encode_finalization(f);
            self.busy = Some(Busy::Commit { path: path.iter().map(|b| b.hash()).collect() });
            self.out.push(Output::Work(Job::Commit { path, finalization }));
            return;
        }
    }

    /// Whether work on `parent` may start now: it is the head, or a known
    /// block whose finalization did not come within `parent_wait`.
    fn parent_ready(&self, now: SystemTime, parent: &Hash, asked: SystemTime) -> bool {
        if *parent == self.head.1 {
            return true;
        }
        if self.path_to(parent).is_none() {
            return false;
        }
        since(now, asked) >= self.config.parent_wait
    }

    /// The verdict on one vote request, if one can be given now: `Ok(None)`
    /// waits (for the block, its parent, or the worker).
    fn verdict(
        &mut self,
        now: SystemTime,
        w_since: SystemTime,
        block: Hash,
        parent: Hash,
        leader: &PublicKey,
    ) -> Result<Option<bool>, ChainError> {
        let Some(b) = self.blocks.get(&block).cloned() else {
            // Final already (a replay after restart), or not here yet.
            return Ok(match self.ledger.height_of_block(&block)? {
                Some(h) => Some(self.ledger.block(h)?.is_some_and(|b| b.header.prev_hash == parent)),
                None => None,
            });
        };
        let leader_ok = crate::public_key(&b.header.proposer).as_ref() == Some(leader);
        if b.header.prev_hash != parent || !leader_ok || self.too_far_ahead(now, &b) {
            return Ok(Some(false));
        }
        if self.is_final_below_head(&parent)? {
            // Building on a final block other than the head forks finality.
            return Ok(Some(false));
        }
        if !self.parent_ready(now, &parent, w_since) {
            return Ok(None);
        }
        if let Some(mut path) = self.path_to(&parent) {
            path.push(b);
            self.busy = Some(Busy::Verify { block, parent });
            self.out.push(Output::Work(Job::Execute { path }));
        }
        Ok(None)
    }

    /// Answers the vote requests that need no execution, and hands the
    /// worker the first that does.
    fn answer_verifies(&mut self, now: SystemTime) -> Result<(), ChainError> {
        let mut i = 0;
        while i < self.verifies.len() && self.busy.is_none() {
            let Some((w, payload)) = self.verifies.get(i) else { break };
            if w.response.is_closed() {
                self.verifies.swap_remove(i);
                continue;
            }
            let (block, parent) = (hash_of(payload), hash_of(&w.context.parent.1));
            let (asked, leader) = (w.since, w.context.leader.clone());
            match self.verdict(now, asked, block, parent, &leader)? {
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
    fn too_far_ahead(&self, now: SystemTime, block: &Block) -> bool {
        block.header.timestamp_ms > millis(now).saturating_add(self.config.max_future_ms)
    }

    fn is_final_below_head(&self, parent: &Hash) -> Result<bool, ChainError> {
        Ok(*parent != self.head.1 && self.ledger.height_of_block(parent)?.is_some())
    }

    /// Hands the worker the newest proposal request, once its parent is
    /// ready and the pool holds txs.
    fn answer_proposes(&mut self, now: SystemTime) -> Result<(), ChainError> {
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
        if self.is_final_below_head(&parent)? || !self.parent_ready(now, &parent, w.since) {
            return Ok(());
        }
        let Some(path) = self.path_to(&parent) else { return Ok(()) };
        self.busy = Some(Busy::Propose { parent });
        self.out.push(Output::Work(Job::Propose { path, timestamp_ms: millis(now) }));
        Ok(())
    }
}
