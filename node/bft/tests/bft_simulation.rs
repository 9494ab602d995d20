//! Deterministic simulation of a 4-validator network (issue 4).
//!
//! Each run is one seed of commonware's deterministic runtime and simulated
//! network: the real chain (RocksDB ledger, SQLite view, executor) under the
//! real simplex engine, with random message loss, delay and reordering, a
//! partition that heals, a crash and restart from disk, and in most seeds
//! one Byzantine validator (by `seed % 5`): an equivocating leader, a voter
//! forging other validators' signatures, a proposer that lies about the
//! state root, or one that dates its blocks an hour ahead.
//!
//! Checked throughout: no two nodes ever hold different blocks at one
//! height (their headers carry the state roots). Checked at the end: txs
//! submitted after the faults healed are all committed on every honest node
//! (liveness), no tx is committed twice, and no final block is dated past
//! the validators' clocks.
//!
//! `ROWCHAIN_SIM_SEEDS=N` runs N seeds (default 32) from
//! `ROWCHAIN_SIM_SEED_BASE` (default 0; CI moves the window every commit);
//! a failure names its seed, and `ROWCHAIN_SIM_SEED=S` replays that one.

use commonware_consensus::simplex::elector::RoundRobin;
use commonware_consensus::simplex::mocks as byzantine;
use commonware_consensus::types::Epoch;
use commonware_cryptography::Sha256;
use commonware_p2p::simulated::{Config as NetConfig, Link, Network, Oracle};
use commonware_runtime::{deterministic, Clock, Handle, Quota, Runner as _, Spawner, Supervisor as _};
use commonware_utils::{probability, NZUsize, NZU32};
use node_bft::{self as bft, actor, net};
use node_chain::chain::Chain;
use node_chain::ledger::{Ledger, LedgerRead};
use node_chain::mempool::Mempool;
use node_core::block::Block;
use node_core::crypto::{Hash, SecretKey};
use node_core::genesis::{Genesis, GenesisAccount};
use node_core::tx::{Payload, SignedTx, Statement, TxBody};
use node_exec::executor::{ExecLimits, Executor};
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const N: usize = 4;
const CHANNELS: [u64; 6] = [
    bft::CHANNEL_VOTES,
    bft::CHANNEL_CERTIFICATES,
    bft::CHANNEL_RESOLVER,
    bft::CHANNEL_BLOCKS,
    bft::CHANNEL_SYNC,
    bft::CHANNEL_TXS,
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Byzantine {
    None,
    /// Sends different proposals to different validators when it leads.
    Equivocator,
    /// Sends votes signed with its key in the name of other validators.
    Impersonator,
    /// Proposes blocks whose state root does not match their execution.
    Liar,
    /// Proposes blocks dated an hour ahead of its clock, otherwise valid.
    FutureDated,
}

type Sender = commonware_p2p::simulated::Sender<bft::PublicKey, deterministic::Context>;
type Receiver = commonware_p2p::simulated::Receiver<bft::PublicKey>;

struct Sim {
    genesis: Genesis,
    keys: Vec<SecretKey>,
    pks: Vec<bft::PublicKey>,
    dirs: Vec<PathBuf>,
    ledgers: Vec<Arc<Ledger>>,
    hubs: Vec<Option<Arc<actor::Hub>>>,
    handles: Vec<Vec<Handle<()>>>,
    oracle: Oracle<bft::PublicKey, deterministic::Context>,
    genesis_hash: Hash,
}

fn lie(block: &mut Block) {
    block.header.state_root[0] ^= 0xff;
}

const HOUR_MS: u64 = 3_600_000;

/// Dates a block an hour ahead. The sim's txs write constants and live two
/// hours, so nothing but the clock rule refuses such a block.
fn date_ahead(block: &mut Block) {
    block.header.timestamp_ms += HOUR_MS;
}

impl Sim {
    async fn register(&mut self, i: usize) -> BTreeMap<u64, (Sender, Receiver)> {
        let control = self.oracle.control(self.pks[i].clone());
        let mut out = BTreeMap::new();
        for ch in CHANNELS {
            out.insert(ch, control.register(ch, Quota::per_second(NZU32!(100_000))).await.expect("register"));
        }
        out
    }

    /// Starts node `i` from what its directory and ledger hold.
    async fn start(&mut self, context: &deterministic::Context, i: usize, byz: Byzantine) {
        let mut ch = self.register(i).await;
        let namespace = bft::namespace(&self.genesis);
        let key = bft::private_key(&self.keys[i].to_bytes());
        let scheme = bft::Scheme::signer(&namespace, bft::participants(&self.genesis), key).expect("participant");
        let ctx = context.child("node").with_attribute("index", i);
        let mut handles = Vec::new();
        let take = |ch: &mut BTreeMap<u64, (Sender, Receiver)>, c: u64| ch.remove(&c).expect("channel");
        match byz {
            Byzantine::Equivocator => {
                let cfg = byzantine::equivocator::Config {
                    scheme,
                    elector: RoundRobin::<Sha256>::default(),
                    epoch: Epoch::zero(),
                    relay: Arc::new(byzantine::relay::Relay::default()),
                };
                let e = byzantine::equivocator::Equivocator::<_, _, _, Sha256>::new(ctx.child("equivocator"), cfg);
                handles.push(e.start(take(&mut ch, bft::CHANNEL_VOTES), take(&mut ch, bft::CHANNEL_CERTIFICATES)));
                self.hubs[i] = None;
            }
            Byzantine::Impersonator => {
                let cfg = byzantine::impersonator::Config { scheme };
                let e = byzantine::impersonator::Impersonator::<_, _, Sha256>::new(ctx.child("impersonator"), cfg);
                handles.push(e.start(take(&mut ch, bft::CHANNEL_VOTES)));
                self.hubs[i] = None;
            }
            Byzantine::None | Byzantine::Liar | Byzantine::FutureDated => {
                let exec = Executor::open(
                    &self.dirs[i].join("state.sqlite"),
                    node_core::crypto::Suite::Standard,
                    ExecLimits { result_rows_max: 10_000 },
                )
                .expect("view");
                let chain = Chain::open(self.genesis.clone(), self.ledgers[i].clone(), exec, Some(&self.keys[i]))
                    .expect("chain");
                let (gossip, gossip_rx) = futures::channel::mpsc::unbounded();
                let status = chain.head();
                let hub = Arc::new(actor::Hub {
                    pool: Arc::new(Mempool::new(100_000)),
                    waiters: Arc::new(Mutex::new(Default::default())),
                    status: Arc::new(RwLock::new(node_chain::producer::Status {
                        height: status.0.height,
                        block_hash: status.1,
                        state_root: status.0.state_root,
                        timestamp_ms: status.0.timestamp_ms,
                    })),
                    peers: Mutex::new(Default::default()),
                    gossip,
                    failed: Mutex::new(None),
                });
                let cfg = actor::Config {
                    max_txs_per_block: 50,
                    parent_wait: Duration::from_millis(100),
                    message_bytes_max: 1 << 20,
                    me: self.keys[i].public(),
                    validator: true,
                    tamper: match byz {
                        Byzantine::Liar => Some(lie),
                        Byzantine::FutureDated => Some(date_ahead),
                        _ => None,
                    },
                };
                let (mailbox, inbox) = actor::Mailbox::new();
                let (a, worker) =
                    actor::Actor::new(ctx.child("actor"), chain, hub.clone(), bft::verifier(&self.genesis), cfg);
                handles.push(ctx.child("worker").dedicated().spawn(move |_| worker.run()));
                let channels = actor::Channels {
                    blocks: take(&mut ch, bft::CHANNEL_BLOCKS),
                    sync: take(&mut ch, bft::CHANNEL_SYNC),
                    txs: take(&mut ch, bft::CHANNEL_TXS),
                };
                let failed = hub.clone();
                handles.push(ctx.child("actor_task").spawn(move |_| async move {
                    if let Err(e) = a.run(inbox, gossip_rx, channels).await {
                        *failed.failed.lock() = Some(e.to_string());
                    }
                }));
                handles.push(net::start_engine(
                    ctx.child("engine"),
                    scheme,
                    mailbox,
                    self.oracle.control(self.pks[i].clone()),
                    bft::digest(&self.genesis_hash),
                    net::Timing::new(Duration::from_millis(500)),
                    format!("consensus-{i}"),
                    take(&mut ch, bft::CHANNEL_VOTES),
                    take(&mut ch, bft::CHANNEL_CERTIFICATES),
                    take(&mut ch, bft::CHANNEL_RESOLVER),
                ));
                self.hubs[i] = Some(hub);
            }
        }
        self.handles[i] = handles;
    }

    async fn crash(&mut self, i: usize) {
        for h in self.handles[i].drain(..) {
            h.abort();
            let _ = h.await;
        }
        self.hubs[i] = None;
    }

    async fn link_all(&mut self, rng: &mut StdRng, groups: Option<(&[usize], &[usize])>) {
        for a in 0..N {
            for b in 0..N {
                if a == b {
                    continue;
                }
                let _ = self.oracle.remove_link(self.pks[a].clone(), self.pks[b].clone()).await;
                if let Some((g1, g2)) = groups {
                    if g1.contains(&a) != g1.contains(&b) && (g2.contains(&a) || g2.contains(&b)) {
                        continue; // partitioned
                    }
                }
                let link = Link {
                    latency: Duration::from_millis(rng.random_range(5..60)),
                    jitter: Duration::from_millis(rng.random_range(1..30)),
                    success_rate: probability!(0.97),
                };
                self.oracle.add_link(self.pks[a].clone(), self.pks[b].clone(), link).await.expect("link");
            }
        }
    }

    /// Admits a tx at node `i` as `Node::submit` does: its pool, then gossip.
    fn submit(&self, i: usize, tx: SignedTx) -> bool {
        let Some(hub) = &self.hubs[i] else { return false };
        if hub.pool.add(tx.clone()).is_err() {
            return false;
        }
        let _ = hub.gossip.unbounded_send(tx);
        true
    }

    fn height(&self, i: usize) -> u64 {
        self.ledgers[i].head().expect("head").unwrap_or(0)
    }

    /// Safety: every pair of nodes agrees on every block both hold.
    fn check_agreement(&self, seed: u64) {
        let top = (0..N).map(|i| self.height(i)).max().unwrap_or(0);
        for h in 1..=top {
            let mut seen: Option<(usize, Hash, Hash)> = None;
            for i in 0..N {
                let Some(b) = self.ledgers[i].block(h).expect("read") else { continue };
                let (hash, root) = (b.hash(), b.header.state_root);
                match seen {
                    None => seen = Some((i, hash, root)),
                    Some((j, h2, r2)) => assert!(
                        h2 == hash && r2 == root,
                        "seed {seed}: nodes {j} and {i} finalized different blocks at height {h}"
                    ),
                }
            }
        }
    }

    fn committed(&self, i: usize, tx: &Hash) -> bool {
        self.ledgers[i].tx_location(tx).expect("read").is_some()
    }
}

fn tx(genesis: &Genesis, admin: &SecretKey, n: u64, sql: String, now_ms: u64) -> SignedTx {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&n.to_be_bytes());
    TxBody {
        chain_id: genesis.chain_id.clone(),
        account: admin.public(),
        id,
        expires_at_ms: now_ms + 2 * HOUR_MS,
        dialect: node_core::tx::Dialect::Postgres,
        payload: Payload::Sql(vec![Statement { sql, params: Vec::new() }]),
    }
    .sign(admin)
}

fn key(seed: u64, i: u64) -> SecretKey {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&seed.to_be_bytes());
    b[8..16].copy_from_slice(&i.to_be_bytes());
    b[16] = 0x5a;
    node_core::crypto::Suite::Standard.secret_key(&b).unwrap()
}

fn run_seed(seed: u64) {
    let tmp = std::env::temp_dir().join(format!("rowchain-sim-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let byz = match seed % 5 {
        0 => Byzantine::None,
        1 => Byzantine::Equivocator,
        2 => Byzantine::Impersonator,
        3 => Byzantine::Liar,
        _ => Byzantine::FutureDated,
    };
    let cfg = deterministic::Config::new().with_seed(seed).with_timeout(Some(Duration::from_secs(900)));
    let runner = deterministic::Runner::new(cfg);
    let tmp2 = tmp.clone();
    runner.start(|context| async move {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        let keys: Vec<SecretKey> = (0..N as u64).map(|i| key(seed, i)).collect();
        let admin = key(seed, 99);
        let genesis = Genesis {
            chain_id: format!("sim-{seed}"),
            timestamp_ms: 1,
            crypto_suite: "standard".into(),
            validators: keys.iter().map(|k| k.public().to_hex()).collect(),
            accounts: vec![GenesisAccount { name: "admin".into(), public_key: admin.public().to_hex() }],
            max_future_ms: node_core::genesis::MAX_FUTURE_MS_DEFAULT,
            sql_rules: node_core::genesis::SQL_RULES,
        };
        let pks: Vec<bft::PublicKey> = keys.iter().map(|k| bft::public_key(&k.public()).unwrap()).collect();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            NetConfig {
                max_size: 1 << 20,
                max_peers_per_set: NZUsize!(N + 1),
                disconnect_on_block: false,
                tracked_peer_sets: NZUsize!(1),
            },
            pks.clone(),
        )
        .await;
        network.start();
        let dirs: Vec<PathBuf> = (0..N).map(|i| tmp2.join(format!("node{i}"))).collect();
        let mut ledgers = Vec::new();
        for d in &dirs {
            std::fs::create_dir_all(d).unwrap();
            ledgers.push(Ledger::open(&d.join("ledger")).expect("ledger"));
        }
        // Every node builds the same genesis block from genesis.json.
        let mut genesis_hash = None;
        for i in 0..N {
            let exec = Executor::open(
                &dirs[i].join("state.sqlite"),
                node_core::crypto::Suite::Standard,
                ExecLimits { result_rows_max: 10_000 },
            )
            .unwrap();
            let chain = Chain::open(genesis.clone(), ledgers[i].clone(), exec, Some(&keys[i])).unwrap();
            let h = chain.head().1;
            assert!(genesis_hash.is_none_or(|g| g == h), "seed {seed}: genesis blocks differ");
            genesis_hash = Some(h);
        }
        let mut sim = Sim {
            genesis: genesis.clone(),
            keys,
            pks,
            dirs,
            ledgers,
            hubs: vec![None, None, None, None],
            handles: (0..N).map(|_| Vec::new()).collect(),
            oracle,
            genesis_hash: genesis_hash.unwrap(),
        };
        sim.link_all(&mut rng, None).await;
        let byzantine_node = N - 1;
        for i in 0..N {
            sim.start(&context, i, if i == byzantine_node { byz } else { Byzantine::None }).await;
        }
        let honest: Vec<usize> = (0..N).filter(|i| *i != byzantine_node || byz == Byzantine::None).collect();
        let now =
            |c: &deterministic::Context| c.current().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;

        let mut n = 0u64;
        let create = tx(&genesis, &admin, n, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)".into(), now(&context));
        assert!(sim.submit(honest[0], create.clone()));
        let mut early = vec![create.hash()];
        // Phase 1: writes under loss and reordering, then a partition.
        let partition_at = rng.random_range(2..6);
        let crash_at = rng.random_range(6..12);
        let crash_node = honest[rng.random_range(0..honest.len())];
        for step in 0..16 {
            for _ in 0..4 {
                n += 1;
                let t = tx(&genesis, &admin, n, format!("INSERT INTO t VALUES ({n}, 'v{n}')"), now(&context));
                let at = honest[rng.random_range(0..honest.len())];
                if sim.submit(at, t.clone()) {
                    early.push(t.hash());
                }
            }
            if step == partition_at {
                sim.link_all(&mut rng, Some((&[0, 1], &[2, 3]))).await;
            }
            if step == partition_at + 2 {
                sim.link_all(&mut rng, None).await;
            }
            if step == crash_at {
                sim.crash(crash_node).await;
            }
            if step == crash_at + 2 {
                sim.start(&context, crash_node, Byzantine::None).await;
            }
            context.sleep(Duration::from_millis(rng.random_range(100..700))).await;
            sim.check_agreement(seed);
        }
        // Everything healed: every honest node is up and linked.
        sim.link_all(&mut rng, None).await;
        // Phase 2: liveness. Txs submitted now must commit everywhere.
        let mut late = Vec::new();
        for _ in 0..10 {
            n += 1;
            let t = tx(&genesis, &admin, n, format!("INSERT INTO t VALUES ({n}, 'late')"), now(&context));
            let at = honest[rng.random_range(0..honest.len())];
            assert!(sim.submit(at, t.clone()));
            late.push(t.hash());
        }
        let deadline = context.current() + Duration::from_secs(120);
        loop {
            sim.check_agreement(seed);
            for i in &honest {
                if let Some(hub) = &sim.hubs[*i] {
                    assert!(hub.failed.lock().is_none(), "seed {seed}: node {i} stopped: {:?}", hub.failed.lock());
                }
            }
            let done = honest.iter().all(|i| late.iter().all(|h| sim.committed(*i, h)));
            if done {
                break;
            }
            assert!(
                context.current() < deadline,
                "seed {seed} ({byz:?}): no progress after the network healed; heights {:?}",
                (0..N).map(|i| sim.height(i)).collect::<Vec<_>>()
            );
            context.sleep(Duration::from_millis(200)).await;
        }
        // No tx twice: the ledger maps each tx hash to one place; count the
        // txs in the blocks and compare with the distinct hashes.
        for i in &honest {
            let mut all = HashSet::new();
            let mut count = 0;
            for h in 1..=sim.height(*i) {
                for t in sim.ledgers[*i].block(h).unwrap().unwrap().txs {
                    all.insert(t.hash());
                    count += 1;
                }
            }
            assert_eq!(all.len(), count, "seed {seed}: node {i} committed a tx twice");
            // The bounded-time rule: no final block is dated past the clock.
            let latest = now(&context) + genesis.max_future_ms;
            for h in 1..=sim.height(*i) {
                let t = sim.ledgers[*i].block(h).unwrap().unwrap().header.timestamp_ms;
                assert!(t <= latest, "seed {seed} ({byz:?}): node {i} finalized block {h} dated {t}, past {latest}");
            }
            assert!(
                early.iter().filter(|h| all.contains(*h)).count() > 0,
                "seed {seed}: nothing from phase 1 committed"
            );
        }
        let heights: Vec<u64> = honest.iter().map(|i| sim.height(*i)).collect();
        eprintln!("seed {seed} ({byz:?}): ok, heights {heights:?}");
        for i in 0..N {
            sim.crash(i).await;
        }
    });
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn four_validators_agree_under_faults() {
    if let Ok(s) = std::env::var("ROWCHAIN_SIM_SEED") {
        run_seed(s.parse().expect("ROWCHAIN_SIM_SEED is a number"));
        return;
    }
    let var = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    let seeds = var("ROWCHAIN_SIM_SEEDS").unwrap_or(32);
    let first = var("ROWCHAIN_SIM_SEED_BASE").unwrap_or(0);
    eprintln!("simulating seeds {first}..{} (ROWCHAIN_SIM_SEED_BASE, ROWCHAIN_SIM_SEEDS)", first + seeds);
    for seed in first..first + seeds {
        let result = std::panic::catch_unwind(|| run_seed(seed));
        if let Err(e) = result {
            eprintln!("seed {seed} failed; replay it with ROWCHAIN_SIM_SEED={seed}");
            std::panic::resume_unwind(e);
        }
    }
}
