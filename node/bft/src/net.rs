//! Wiring: the simplex engine with the actor, over any commonware runtime
//! and network ([`start_engine`], shared with the deterministic simulation
//! in tests), and a node's real network: commonware's tokio runtime and its
//! authenticated `lookup` peer-to-peer network ([`run`]).

use super::actor::{Actor, Channels, Config as ActorConfig, Hub, Mailbox, Message};
use super::{Digest, PrivateKey, PublicKey, Scheme};
use commonware_consensus::simplex::{self, elector::RoundRobin};
use commonware_consensus::types::{Epoch, ViewDelta};
use commonware_cryptography::Sha256;
use commonware_p2p::{Blocker, Receiver, Sender};
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage};
use commonware_utils::{NZUsize, NZU16};
use futures::channel::mpsc;
use node_chain::chain::Chain;
use node_core::tx::SignedTx;
use rand_core::CryptoRng;
use std::sync::Arc;
use std::time::Duration;

/// The engine's timing, from `network.leader_timeout_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub leader_timeout: Duration,
}

impl Timing {
    /// At least 1 ms: the engine takes only non-zero timeouts.
    pub fn new(leader_timeout: Duration) -> Self {
        Timing { leader_timeout: leader_timeout.max(Duration::from_millis(1)) }
    }
}

/// Starts simplex for a validator: `mailbox` is the actor's.
#[allow(clippy::too_many_arguments)]
pub fn start_engine<E, B, S, R>(
    context: E,
    scheme: Scheme,
    mailbox: Mailbox,
    blocker: B,
    genesis: Digest,
    timing: Timing,
    partition: String,
    votes: (S, R),
    certificates: (S, R),
    resolver: (S, R),
) -> Handle<()>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let lt = timing.leader_timeout;
    let cfg = simplex::Config {
        scheme,
        elector: RoundRobin::<Sha256>::default(),
        blocker,
        automaton: mailbox.clone(),
        relay: mailbox.clone(),
        reporter: mailbox,
        strategy: commonware_parallel::Sequential,
        partition,
        mailbox_size: NZUsize!(4096),
        epoch: Epoch::zero(),
        floor: simplex::config::Floor::Genesis(genesis),
        leader_timeout: lt,
        certification_timeout: lt * 2,
        timeout_retry: lt * 4,
        // At least 1 ms, so never the zero it refuses.
        fetch_timeout: commonware_utils::NonZeroDuration::new_panic(lt.max(Duration::from_millis(1))),
        fetch_retry_delay: Duration::from_millis(100),
        view_retention: ViewDelta::new(64),
        skip: simplex::config::SkipPolicy::Enabled {
            timeout: lt * 10,
            budget: simplex::config::SkipBudget::Participants,
        },
        replay_buffer: NZUsize!(1 << 20),
        write_buffer: NZUsize!(1 << 20),
        page_cache: CacheRef::new(NZU16!(4096), NZUsize!(256)),
        forward: simplex::config::ForwardPolicy::SilentLeader,
        track_historical_votes: false,
    };
    let engine = simplex::Engine::new(context, cfg);
    engine.start(votes, certificates, resolver)
}

/// Everything a node brings to its network.
pub struct Start {
    pub chain: Chain,
    pub hub: Arc<Hub>,
    pub seed: [u8; 32],
    pub network: crate::config::NetworkConfig,
    /// `chain.max_txs_per_block` of rowchain.toml.
    pub max_txs_per_block: usize,
    pub gossip: mpsc::UnboundedReceiver<SignedTx>,
    /// Where the engine keeps its journal (votes survive a restart).
    pub storage: std::path::PathBuf,
    /// Resolves when the node should stop.
    pub stop: futures::channel::oneshot::Receiver<()>,
}

fn resolve(addr: &str) -> Result<commonware_p2p::Address, String> {
    if let Ok(sa) = addr.parse::<std::net::SocketAddr>() {
        return Ok(commonware_p2p::Address::Symmetric(sa));
    }
    let (host, port) = addr.rsplit_once(':').ok_or_else(|| format!("peer address {addr:?} is not host:port"))?;
    let port: u16 = port.parse().map_err(|_| format!("peer address {addr:?} has a bad port"))?;
    let host = commonware_utils::Hostname::new(host).map_err(|e| format!("peer address {addr:?}: {e}"))?;
    Ok(commonware_p2p::Address::Asymmetric {
        ingress: commonware_p2p::Ingress::Dns { host, port },
        egress: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
    })
}

/// The authenticated peer-to-peer network's settings: the nodes' ed25519
/// keys authenticate an encrypted handshake (SAKE, then CUPS records), in a
/// namespace of the chain, so only tracked keys of this chain get a
/// connection.
pub type Handshake = commonware_stream::SakeCups<PrivateKey, commonware_cryptography::ChaCha20Poly1305>;

pub fn p2p_config(
    key: PrivateKey,
    namespace: &[u8],
    listen: std::net::SocketAddr,
    peer_count: usize,
    message_bytes_max: u32,
    dns: bool,
) -> commonware_p2p::authenticated::lookup::Config<Handshake> {
    let handshake = commonware_stream::cups::Cups::new(
        commonware_stream::sake::Sake {
            signer: key,
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: commonware_stream::sake::Version::V1,
        },
        commonware_stream::cups::Version::V1,
    );
    let mut p2p = commonware_p2p::authenticated::lookup::Config::local(
        handshake,
        &[namespace, b"/p2p"].concat(),
        listen,
        NZUsize!(peer_count + 1),
        message_bytes_max,
        NZUsize!(4096),
    );
    // Peers named by host name may connect from any address; the key is
    // what admits them.
    p2p.bypass_ip_check = dns;
    p2p.peer_connection_cooldown = Duration::from_millis(500);
    p2p
}

/// Every node of the network (the configured peers and this node) with
/// its address; true when some peer is named by a DNS name.
fn peers_of(
    net: &crate::config::NetworkConfig,
    me: PublicKey,
    listen: std::net::SocketAddr,
) -> Result<(Vec<(PublicKey, commonware_p2p::Address)>, bool), String> {
    let mut peers = Vec::with_capacity(net.peers.len() + 1);
    let mut dns = false;
    for p in &net.peers {
        let k = node_core::crypto::PublicKey::from_hex(&p.public_key)
            .and_then(|k| super::public_key(&k))
            .ok_or_else(|| format!("network.peers: {:?} is not a public key", p.public_key))?;
        let a = resolve(&p.addr)?;
        dns |= matches!(a, commonware_p2p::Address::Asymmetric { .. });
        peers.push((k, a));
    }
    peers.push((me, commonware_p2p::Address::Symmetric(listen)));
    Ok((peers, dns))
}

/// What a node's network task needs, worked out before its runtime starts.
struct Setup {
    key: PrivateKey,
    namespace: Vec<u8>,
    genesis_hash: Digest,
    validator: bool,
    listen: std::net::SocketAddr,
    dns: bool,
    peers: commonware_utils::ordered::Map<PublicKey, commonware_p2p::Address>,
    message_bytes_max: u32,
    peer_messages_per_second: std::num::NonZeroU32,
    timing: Timing,
    actor: ActorConfig,
    scheme: Scheme,
    participants: commonware_utils::ordered::Set<PublicKey>,
}

/// Runs the node's network until `stop` resolves or the actor fails.
/// Blocks the calling thread (it owns a runtime of its own).
pub fn run(start: Start) -> Result<(), String> {
    use commonware_runtime::Runner as _;

    let Start { mut chain, hub, seed, network, max_txs_per_block, gossip, storage, stop } = start;
    let pool = hub.pool.clone();
    chain.set_checked(Box::new(move |tx| pool.holds(tx)));
    let setup = setup(&chain, &seed, &network, max_txs_per_block)?;
    let runtime = commonware_runtime::tokio::Config::new()
        .with_worker_threads(2)
        .with_storage_directory(storage)
        .with_tcp_nodelay(Some(true));
    let runner = commonware_runtime::tokio::Runner::new(runtime);
    let failed = hub.clone();
    runner.start(move |context| serve(context, setup, chain, hub, gossip, stop));
    let outcome = failed.failed.lock().clone();
    match outcome {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// This node's keys, peers and settings, checked.
fn setup(
    chain: &Chain,
    seed: &[u8; 32],
    net: &crate::config::NetworkConfig,
    max_txs_per_block: usize,
) -> Result<Setup, String> {
    let genesis = chain.genesis();
    let genesis_hash = chain.ledger().block(0).map_err(|e| e.to_string())?.ok_or("no genesis block")?.hash();
    let key = super::private_key(seed);
    // A network's keys are ed25519 (the standard suite): consensus votes
    // are commonware's ed25519 scheme.
    let me = chain.suite().secret_key(seed).ok_or("bad node key")?.public();
    let my_pk = super::public_key(&me).ok_or("bad node key")?;
    let validator = genesis.validator_keys().contains(&me);
    let listen: std::net::SocketAddr =
        net.p2p_addr.parse().map_err(|_| format!("network.p2p_addr {:?} is not an ip:port address", net.p2p_addr))?;
    let (peers, dns) = peers_of(net, my_pk, listen)?;
    let timing = Timing::new(Duration::from_millis(net.leader_timeout_ms.max(50)));
    let actor = ActorConfig {
        max_txs_per_block,
        parent_wait: timing.leader_timeout / 4,
        message_bytes_max: net.message_bytes_max as usize,
        me,
        validator,
        tamper: None,
    };
    let one = commonware_utils::NZU32!(1);
    Ok(Setup {
        key,
        namespace: super::namespace(genesis),
        genesis_hash: super::digest(&genesis_hash),
        validator,
        listen,
        dns,
        peers: commonware_utils::ordered::Map::from_iter_dedup(peers),
        message_bytes_max: net.message_bytes_max,
        peer_messages_per_second: one.max(std::num::NonZeroU32::new(net.peer_messages_per_second).unwrap_or(one)),
        timing,
        actor,
        scheme: super::verifier(genesis),
        participants: super::participants(genesis),
    })
}

/// The node's network on its runtime: the peer-to-peer network, the engine
/// (validators only), the actor and its worker, until `stop` or the actor
/// ends.
async fn serve(
    context: commonware_runtime::tokio::Context,
    setup: Setup,
    chain: Chain,
    hub: Arc<Hub>,
    gossip: mpsc::UnboundedReceiver<SignedTx>,
    stop: futures::channel::oneshot::Receiver<()>,
) {
    use commonware_p2p::authenticated::lookup;
    use commonware_p2p::AddressableManager as _;
    use commonware_runtime::{Quota, Supervisor as _};

    let peer_count = setup.peers.len();
    let p2p =
        p2p_config(setup.key.clone(), &setup.namespace, setup.listen, peer_count, setup.message_bytes_max, setup.dns);
    let (mut network, mut oracle) = lookup::Network::new(context.child("network"), p2p);
    oracle.track(0, setup.peers);
    let quota = Quota::per_second(setup.peer_messages_per_second);
    let votes = network.register(super::CHANNEL_VOTES, quota);
    let certificates = network.register(super::CHANNEL_CERTIFICATES, quota);
    let resolver = network.register(super::CHANNEL_RESOLVER, quota);
    let blocks = network.register(super::CHANNEL_BLOCKS, quota);
    let sync = network.register(super::CHANNEL_SYNC, quota);
    let txs = network.register(super::CHANNEL_TXS, quota);
    network.start();

    let (mailbox, inbox): (Mailbox, mpsc::UnboundedReceiver<Message>) = Mailbox::new();
    let (actor, worker) = Actor::new(context.child("application"), chain, hub.clone(), setup.scheme, setup.actor);
    // Execution and ledger writes block: they get a thread of their own.
    context.child("chain_worker").dedicated().spawn(move |_| worker.run());
    if setup.validator {
        let Some(scheme) = Scheme::signer(&setup.namespace, setup.participants, setup.key) else {
            *hub.failed.lock() = Some("this validator's key is not among genesis.json's validators".into());
            return;
        };
        start_engine(
            context.child("consensus"),
            scheme,
            mailbox.clone(),
            oracle.clone(),
            setup.genesis_hash,
            setup.timing,
            "consensus".into(),
            votes,
            certificates,
            resolver,
        );
    } else {
        // Observers follow by catch-up only; the engine's channels are drained.
        for (_, mut r) in [votes, certificates, resolver] {
            context.child("drain").spawn(move |_| async move { while r.recv().await.is_ok() {} });
        }
    }
    let channels = Channels { blocks, sync, txs };
    let failed = hub.clone();
    let mut actor_task = context.child("actor").spawn(move |_| async move {
        if let Err(e) = actor.run(inbox, gossip, channels).await {
            tracing::error!(error = %e, "the chain stopped");
            *failed.failed.lock() = Some(e.to_string());
        }
    });
    let _keep = mailbox;
    commonware_macros::select! {
        _ = stop => {},
        _ = &mut actor_task => {},
    }
}
