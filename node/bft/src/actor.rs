//! The application the consensus engine drives, in three parts:
//!
//! - [`Mailbox`] is what the engine holds (its automaton, relay and
//!   reporter); it forwards every call to the actor's task.
//! - [`Actor`] is that task: a loop on the network runtime that feeds what
//!   arrives (engine requests, peers' messages, the worker's results, a
//!   tick) to the decision core ([`crate::decide::Core`]) and carries out what
//!   the core returns: messages to send, jobs for the worker.
//! - [`Worker`] owns the [`Chain`] and does every execution and ledger
//!   write, on a task of its own (a dedicated thread in a node), so the
//!   chain is never touched concurrently and the network never waits on
//!   SQLite or an fsync.
//!
//! What is decided, and when, is documented on the core.

use crate::decide::{Core, CoreConfig, Input, Output};
use crate::wire::{self, Sync};
use crate::worker::{Done, Job, Worker, WorkerConfig};
use crate::{Activity, Context, Digest, Finalization, PublicKey, Scheme};
use commonware_actor::Feedback;
use commonware_consensus::simplex::Plan;
use commonware_consensus::{Automaton, CertifiableAutomaton, Relay, Reporter};
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::Clock;
use commonware_utils::channel::oneshot;
use futures::channel::mpsc;
use futures::StreamExt;
use node_chain::chain::{Chain, ChainError};
use node_chain::ledger::LedgerRead;
use node_chain::mempool::Mempool;
use node_chain::producer::{Status, Waiters};
use node_core::block::Block;
use node_core::tx::SignedTx;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

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

pub struct Actor<E> {
    context: E,
    core: Core,
    message_bytes_max: usize,
    jobs: mpsc::UnboundedSender<Job>,
    done: mpsc::UnboundedReceiver<Done>,
}

const TICK: Duration = Duration::from_millis(50);
const GOSSIP_BATCH_MAX: usize = 2_000;

impl<E: Clock> Actor<E> {
    /// The actor and the worker that will own `chain`. The caller spawns
    /// both (the worker where blocking is fine) and runs the actor with
    /// [`Actor::run`]; each stops when the other does.
    pub fn new(context: E, mut chain: Chain, hub: Arc<Hub>, scheme: Scheme, config: Config) -> (Self, Worker) {
        let genesis = chain.genesis().clone();
        chain.set_finalization_signers(Box::new(move |c| crate::finalization_signers(&genesis, c)));
        let (head, head_hash) = chain.head();
        let ledger: Arc<dyn LedgerRead> = chain.ledger().clone();
        let core_config = CoreConfig {
            chain_id: chain.genesis().chain_id.clone(),
            max_future_ms: chain.genesis().max_future_ms,
            parent_wait: config.parent_wait,
            message_bytes_max: config.message_bytes_max,
            validator: config.validator,
        };
        let core = Core::new((head.height, head_hash), ledger, hub.clone(), scheme, core_config);
        let (jobs, jobs_rx) = mpsc::unbounded();
        let (done_tx, done) = mpsc::unbounded();
        let worker_config =
            WorkerConfig { max_txs_per_block: config.max_txs_per_block, me: config.me, tamper: config.tamper };
        let worker = Worker::new(chain, hub, worker_config, jobs_rx, done_tx);
        let actor = Actor { context, core, message_bytes_max: config.message_bytes_max, jobs, done };
        (actor, worker)
    }

    /// Runs until the mailbox closes (the engine stopped), the worker
    /// stops, or the chain fails.
    pub async fn run<S, R>(
        self,
        mut mailbox: mpsc::UnboundedReceiver<Message>,
        mut gossip: mpsc::UnboundedReceiver<SignedTx>,
        channels: Channels<S, R>,
    ) -> Result<(), ChainError>
    where
        S: Sender<PublicKey = PublicKey>,
        R: Receiver<PublicKey = PublicKey>,
    {
        let Actor { context, mut core, message_bytes_max, jobs, mut done } = self;
        let Channels {
            blocks: (mut blocks_out, mut blocks_in),
            sync: (mut sync_out, mut sync_in),
            txs: (mut txs_out, mut txs_in),
        } = channels;
        loop {
            let tick = context.sleep(TICK);
            // Peers' bytes are decoded here; what does not decode is dropped.
            let input = commonware_macros::select! {
                m = mailbox.next() => {
                    let Some(m) = m else { return Ok(()) };
                    Some(Input::Engine(m))
                },
                m = blocks_in.recv() => {
                    let Ok((_, bytes)) = m else { return Ok(()) };
                    Block::from_bytes(bytes.as_ref()).ok().map(Input::Block)
                },
                m = sync_in.recv() => {
                    let Ok((from, bytes)) = m else { return Ok(()) };
                    Sync::decode(bytes.as_ref()).ok().map(|msg| Input::Sync(from, msg))
                },
                m = txs_in.recv() => {
                    let Ok((_, bytes)) = m else { return Ok(()) };
                    wire::decode_txs(bytes.as_ref()).ok().map(Input::Txs)
                },
                d = done.next() => {
                    let Some(d) = d else { return Err(ChainError::ThreadStopped("chain worker")) };
                    Some(Input::Done(d))
                },
                tx = gossip.next() => {
                    let Some(tx) = tx else { return Ok(()) };
                    send_gossip(tx, &mut gossip, &mut txs_out, message_bytes_max);
                    None
                },
                _ = tick => None,
            };
            if let Some(input) = input {
                core.step(context.current(), input)?;
            }
            for output in core.advance(context.current())? {
                match output {
                    Output::Block(to, bytes) => {
                        blocks_out.send(to, bytes, true);
                    }
                    Output::Sync(to, bytes) => {
                        sync_out.send(to, bytes, false);
                    }
                    Output::Work(job) => {
                        if jobs.unbounded_send(job).is_err() {
                            return Err(ChainError::ThreadStopped("chain worker"));
                        }
                    }
                }
            }
        }
    }
}

/// Sends the txs this node admitted to its peers, in batches.
fn send_gossip<S: Sender<PublicKey = PublicKey>>(
    first: SignedTx,
    more: &mut mpsc::UnboundedReceiver<SignedTx>,
    txs_out: &mut S,
    message_bytes_max: usize,
) {
    let mut batch = vec![first];
    while batch.len() < GOSSIP_BATCH_MAX {
        match more.try_recv() {
            Ok(t) => batch.push(t),
            _ => break,
        }
    }
    let bytes = wire::encode_txs(&batch);
    if bytes.len() <= message_bytes_max {
        txs_out.send(Recipients::All, bytes, false);
    }
}
