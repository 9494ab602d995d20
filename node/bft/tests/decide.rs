//! The decision core on its own: inputs in, messages and worker jobs out,
//! with no runtime, network, SQLite or clock (each step is given `now`).
//! The worker's results are written by the test, so each rule is checked
//! against exactly the result it reacts to.

use commonware_consensus::types::{Epoch, Round, View};
use commonware_utils::channel::oneshot;
use node_bft::actor::{Hub, Message};
use node_bft::decide::{Core, CoreConfig, Input, Output};
use node_bft::worker::{Done, Job};
use node_bft::{self as bft, wire::Sync};
use node_chain::chain::ChainError;
use node_chain::ledger::{LedgerRead, MemLedger};
use node_chain::mempool::Mempool;
use node_chain::producer::Status;
use node_core::block::{Block, Header};
use node_core::crypto::{Hash, SecretKey};
use node_core::genesis::Genesis;
use node_core::tx::{Payload, Statement, TxBody};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const T0: u64 = 1_700_000_000_000;
const HEAD: Hash = [7; 32];

struct Fixture {
    core: Core,
    genesis: Genesis,
    leader: SecretKey,
    hub: Arc<Hub>,
    now: SystemTime,
}

impl Fixture {
    fn new(validator: bool) -> Self {
        let leader = node_core::crypto::Suite::Standard.secret_key(&[1; 32]).unwrap();
        let admin = node_core::crypto::Suite::Standard.secret_key(&[2; 32]).unwrap();
        let genesis = Genesis::new_dev(&leader, &admin.public(), T0);
        let (gossip, _) = futures::channel::mpsc::unbounded();
        let hub = Arc::new(Hub {
            pool: Arc::new(Mempool::new(100)),
            waiters: Arc::new(Mutex::new(Default::default())),
            status: Arc::new(RwLock::new(Status {
                height: 0,
                block_hash: HEAD,
                state_root: [0; 32],
                timestamp_ms: T0,
            })),
            peers: Mutex::new(Default::default()),
            gossip,
            failed: Mutex::new(None),
        });
        let ledger: Arc<dyn LedgerRead> = MemLedger::new();
        let config = CoreConfig {
            chain_id: genesis.chain_id.clone(),
            max_future_ms: genesis.max_future_ms,
            parent_wait: Duration::from_millis(100),
            message_bytes_max: 1 << 20,
            validator,
        };
        let core = Core::new((0, HEAD), ledger, hub.clone(), bft::verifier(&genesis), config);
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(T0 + 10_000);
        Fixture { core, genesis, leader, hub, now }
    }

    /// A block at `height` on `prev`, proposed by the leader.
    fn block(&self, height: u64, prev: Hash) -> Block {
        Block {
            header: Header {
                chain_id: self.genesis.chain_id.clone(),
                height,
                prev_hash: prev,
                timestamp_ms: T0 + height,
                proposer: self.leader.public(),
                tx_root: [0; 32],
                receipts_root: [0; 32],
                state_root: [0; 32],
            },
            txs: Vec::new(),
            certificate: Default::default(),
        }
    }

    fn context(&self, view: u64, parent: Hash) -> bft::Context {
        bft::Context {
            round: Round::new(Epoch::zero(), View::new(view)),
            leader: bft::public_key(&self.leader.public()).unwrap(),
            parent: (View::new(view - 1), bft::digest(&parent)),
        }
    }

    /// The lone validator's finalization of `block` at `view`.
    fn finalization(&self, view: u64, block: &Block) -> bft::Finalization {
        use commonware_consensus::simplex::types::{Finalize, Proposal};
        let key = bft::private_key(&[1; 32]);
        let scheme = bft::Scheme::signer(&bft::namespace(&self.genesis), bft::participants(&self.genesis), key)
            .expect("the leader is the genesis validator");
        let round = Round::new(Epoch::zero(), View::new(view));
        let proposal = Proposal::new(round, View::new(view - 1), bft::digest(&block.hash()));
        let finalizes = vec![Finalize::sign(&scheme, proposal).unwrap()];
        bft::Finalization::from_finalizes(
            &scheme,
            commonware_utils::non_empty![@&finalizes],
            &commonware_parallel::Sequential,
        )
        .unwrap()
    }

    fn relay(&mut self, block: &Block) {
        self.core.step(self.now, Input::Block(block.clone())).unwrap();
    }

    fn ask_vote(&mut self, view: u64, block: &Block) -> oneshot::Receiver<bool> {
        let (response, answer) = oneshot::channel();
        let context = self.context(view, block.header.prev_hash);
        let payload = bft::digest(&block.hash());
        self.core.step(self.now, Input::Engine(Message::Verify { context, payload, response })).unwrap();
        answer
    }

    fn advance(&mut self) -> Vec<Output> {
        self.core.advance(self.now).unwrap()
    }

    /// The jobs among `outputs`.
    fn jobs(outputs: Vec<Output>) -> Vec<Job> {
        outputs
            .into_iter()
            .filter_map(|o| match o {
                Output::Work(j) => Some(j),
                _ => None,
            })
            .collect()
    }

    fn done(&mut self, done: Done) -> Result<(), ChainError> {
        self.core.step(self.now, Input::Done(done))
    }
}

fn path_of(job: &Job) -> Vec<Hash> {
    match job {
        Job::Execute { path } | Job::Propose { path, .. } | Job::Commit { path, .. } => {
            path.iter().map(|b| b.hash()).collect()
        }
        Job::Admit(_) => Vec::new(),
    }
}

#[test]
fn a_vote_on_a_block_over_another_parent_is_no_without_executing() {
    let mut f = Fixture::new(true);
    let block = f.block(1, HEAD);
    f.relay(&block);
    let (response, mut answer) = oneshot::channel();
    // The engine says the parent is some other block.
    let context = f.context(1, [9; 32]);
    f.core
        .step(f.now, Input::Engine(Message::Verify { context, payload: bft::digest(&block.hash()), response }))
        .unwrap();
    assert!(Fixture::jobs(f.advance()).is_empty());
    assert_eq!(answer.try_recv(), Ok(false));
}

#[test]
fn a_vote_waits_for_the_worker_and_one_job_runs_at_a_time() {
    let mut f = Fixture::new(true);
    let a = f.block(1, HEAD);
    f.relay(&a);
    let mut answer = f.ask_vote(1, &a);
    let jobs = Fixture::jobs(f.advance());
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&jobs[0], Job::Execute { .. }));
    assert_eq!(path_of(&jobs[0]), vec![a.hash()]);
    assert!(f.core.is_busy());
    assert_eq!(answer.try_recv(), Err(oneshot::error::TryRecvError::Empty));

    // A second vote on the same block while the first executes: no new job.
    let mut again = f.ask_vote(1, &a);
    assert!(Fixture::jobs(f.advance()).is_empty());

    f.done(Done::Executed { invalid: None }).unwrap();
    assert!(!f.core.is_busy());
    assert_eq!(answer.try_recv(), Ok(true));
    assert_eq!(again.try_recv(), Ok(true));
}

#[test]
fn an_invalid_block_is_voted_against_and_forgotten() {
    let mut f = Fixture::new(true);
    let a = f.block(1, HEAD);
    f.relay(&a);
    let mut answer = f.ask_vote(1, &a);
    assert_eq!(Fixture::jobs(f.advance()).len(), 1);
    f.done(Done::Executed { invalid: Some(a.hash()) }).unwrap();
    assert_eq!(answer.try_recv(), Ok(false));
    // Forgotten: a broadcast of it sends nothing.
    let plan = commonware_consensus::simplex::Plan::Propose { round: Round::new(Epoch::zero(), View::new(1)) };
    f.core.step(f.now, Input::Engine(Message::Broadcast { payload: bft::digest(&a.hash()), plan })).unwrap();
    assert!(!f.advance().iter().any(|o| matches!(o, Output::Block(..))));
}

#[test]
fn a_block_dated_too_far_ahead_gets_no_vote() {
    let mut f = Fixture::new(true);
    let mut a = f.block(1, HEAD);
    a.header.timestamp_ms = T0 + 10_000 + f.genesis.max_future_ms + 1;
    f.relay(&a);
    let mut answer = f.ask_vote(1, &a);
    assert!(Fixture::jobs(f.advance()).is_empty());
    assert_eq!(answer.try_recv(), Ok(false));
}

#[test]
fn a_block_stacked_on_a_parent_that_is_not_final_executes_after_the_wait() {
    let mut f = Fixture::new(true);
    let a = f.block(1, HEAD);
    let b = f.block(2, a.hash());
    f.relay(&a);
    f.relay(&b);
    let mut vote = f.ask_vote(2, &b);
    assert!(Fixture::jobs(f.advance()).is_empty(), "a may still become final: wait parent_wait");
    f.now += Duration::from_millis(100);
    let jobs = Fixture::jobs(f.advance());
    assert_eq!(jobs.len(), 1);
    assert_eq!(path_of(&jobs[0]), vec![a.hash(), b.hash()], "b executes stacked on a");
    f.done(Done::Executed { invalid: None }).unwrap();
    assert_eq!(vote.try_recv(), Ok(true));
}

#[test]
fn a_finalization_commits_its_path_and_votes_wait_for_the_commit() {
    let mut f = Fixture::new(true);
    let a = f.block(1, HEAD);
    let b = f.block(2, a.hash());
    let c = f.block(3, b.hash());
    for block in [&a, &b, &c] {
        f.relay(block);
    }
    let finalization = f.finalization(2, &b);
    f.core.step(f.now, Input::Engine(Message::Finalized(finalization))).unwrap();
    let jobs = Fixture::jobs(f.advance());
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&jobs[0], Job::Commit { finalization, .. } if !finalization.is_empty()));
    assert_eq!(path_of(&jobs[0]), vec![a.hash(), b.hash()], "b and the ancestor it finalizes");

    // The ledger may be ahead of the core while the commit runs: no vote
    // is judged until the worker reports.
    let mut vote = f.ask_vote(3, &c);
    f.now += Duration::from_secs(1);
    assert!(Fixture::jobs(f.advance()).is_empty());
    assert_eq!(vote.try_recv(), Err(oneshot::error::TryRecvError::Empty));

    f.done(Done::Committed { height: 2, hash: b.hash() }).unwrap();
    assert_eq!(f.core.head(), (2, b.hash()));
    let jobs = Fixture::jobs(f.advance());
    assert_eq!(jobs.len(), 1);
    assert_eq!(path_of(&jobs[0]), vec![c.hash()], "c now executes on the new head alone");
}

#[test]
fn a_result_for_a_job_never_asked_is_refused() {
    let mut f = Fixture::new(true);
    let a = f.block(1, HEAD);
    f.relay(&a);
    let e = f.done(Done::Committed { height: 1, hash: a.hash() }).unwrap_err();
    assert!(matches!(e, ChainError::Misuse(_)), "{e}");
    assert_eq!(f.core.head(), (0, HEAD));
}

#[test]
fn a_failed_job_stops_the_core() {
    let mut f = Fixture::new(true);
    let e = f.done(Done::Failed(ChainError::MissingBlock(3))).unwrap_err();
    assert!(matches!(e, ChainError::MissingBlock(3)), "{e}");
}

#[test]
fn a_validator_proposes_only_with_txs_and_answers_with_the_workers_block() {
    let mut f = Fixture::new(true);
    let (response, mut answer) = oneshot::channel();
    let context = f.context(1, HEAD);
    f.core.step(f.now, Input::Engine(Message::Propose { context, response })).unwrap();
    assert!(Fixture::jobs(f.advance()).is_empty(), "no empty blocks");

    let admin = node_core::crypto::Suite::Standard.secret_key(&[2; 32]).unwrap();
    let tx = TxBody {
        chain_id: f.genesis.chain_id.clone(),
        account: admin.public(),
        id: [1; 16],
        expires_at_ms: T0 + 1_000_000,
        dialect: node_core::tx::Dialect::Postgres,
        payload: Payload::Sql(vec![Statement { sql: "SELECT 1".into(), params: vec![] }]),
    }
    .sign(&admin);
    f.hub.pool.add(tx).unwrap();
    let jobs = Fixture::jobs(f.advance());
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&jobs[0], Job::Propose { path, .. } if path.is_empty()));

    let built = f.block(1, HEAD);
    f.done(Done::Proposed { invalid: None, block: Some(Box::new(built.clone())) }).unwrap();
    assert_eq!(answer.try_recv(), Ok(bft::digest(&built.hash())));
}

#[test]
fn an_observer_never_proposes() {
    let mut f = Fixture::new(false);
    let (response, mut answer) = oneshot::channel();
    let context = f.context(1, HEAD);
    f.core.step(f.now, Input::Engine(Message::Propose { context, response })).unwrap();
    assert!(Fixture::jobs(f.advance()).is_empty());
    assert_eq!(answer.try_recv(), Err(oneshot::error::TryRecvError::Closed));
}

#[test]
fn blocks_of_another_chain_or_at_the_head_are_not_kept() {
    let mut f = Fixture::new(true);
    let mut other = f.block(1, HEAD);
    other.header.chain_id = "another-chain".into();
    let old = f.block(0, HEAD);
    let good = f.block(1, HEAD);
    for b in [&other, &old, &good] {
        f.relay(b);
    }
    f.advance();
    // A peer asking for each by hash gets only the one that was kept.
    let peer = bft::public_key(&node_core::crypto::Suite::Standard.secret_key(&[5; 32]).unwrap().public()).unwrap();
    let served = |f: &mut Fixture, b: &Block| {
        f.core.step(f.now, Input::Sync(peer.clone(), Sync::Want { hash: b.hash() })).unwrap();
        f.advance()
            .into_iter()
            .filter_map(|o| match o {
                Output::Sync(_, m) => match Sync::decode(&m) {
                    Ok(Sync::Blocks(list)) => Some(list),
                    _ => None,
                },
                _ => None,
            })
            .flatten()
            .collect::<Vec<_>>()
    };
    assert!(served(&mut f, &other).is_empty());
    assert!(served(&mut f, &old).is_empty());
    assert_eq!(served(&mut f, &good), vec![good.to_bytes()]);
}

#[test]
fn status_goes_to_peers_once_a_second() {
    let mut f = Fixture::new(true);
    let statuses = |outs: Vec<Output>| {
        outs.into_iter()
            .filter(|o| matches!(o, Output::Sync(_, m) if matches!(Sync::decode(m), Ok(Sync::Status { .. }))))
            .count()
    };
    assert_eq!(statuses(f.advance()), 1);
    f.now += Duration::from_millis(500);
    assert_eq!(statuses(f.advance()), 0);
    f.now += Duration::from_millis(600);
    assert_eq!(statuses(f.advance()), 1);
}
