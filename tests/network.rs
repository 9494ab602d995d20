//! A network of real `rowchain node` processes on loopback: `rowchain init`,
//! writes through one node read through another, a validator killed and
//! restarted (it catches up to the same state root), a write refused while
//! only 2 of 4 validators run (and never applied later), and every
//! acknowledged write present on every node at the end. Also the CLI around
//! it: `init`'s refusals, `node` without a data directory, `testnet`'s
//! supervision, and docker-compose.yml against `init --host ...`.

mod common;

use common::{rpc, temp_dir, text, BIN};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// The tx lifetime the proxy gives its txs in these networks: a write that
/// cannot be finalized is reported failed this long (plus 5 s) after it was sent.
const TX_LIFETIME_MS: u64 = 5_000;

/// A base port whose PostgreSQL, JSON-RPC and peer ports (`base + i`,
/// `base + 100 + i`, `base + 200 + i`) are free for `nodes` nodes. Below
/// Linux's ephemeral range, so outgoing connections do not take them.
fn free_base_port(nodes: u16) -> u16 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let seed = std::process::id().wrapping_mul(2_654_435_761) ^ nanos;
    for attempt in 0..500u32 {
        let base = 20_000 + (seed.wrapping_add(attempt.wrapping_mul(7_919)) % 9_000) as u16;
        let ports = (0..nodes).flat_map(|i| [base + i, base + 100 + i, base + 200 + i]);
        if ports.into_iter().all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
    panic!("no free base port for {nodes} nodes");
}

fn init(out: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("init").arg("--out").arg(out).args(args).output().expect("run rowchain init")
}

fn load_config(dir: &Path) -> node::config::Config {
    node::config::Config::parse(&std::fs::read_to_string(dir.join("rowchain.toml")).unwrap()).unwrap()
}

/// One `rowchain node` process of a test network.
struct NodeProc {
    name: String,
    dir: PathBuf,
    pg_port: u16,
    http_port: u16,
    child: Option<Child>,
}

/// A network made by `rowchain init` in a temporary directory. Dropping it
/// kills every node; the directory (with each node's log) is kept when the
/// test failed.
struct Network {
    dir: PathBuf,
    nodes: Vec<NodeProc>,
}

impl Network {
    fn init(tag: &str, validators: u16) -> Network {
        let dir = temp_dir(tag);
        let base = free_base_port(validators);
        let out = init(&dir, &["--validators", &validators.to_string(), "--base-port", &base.to_string()]);
        assert!(out.status.success(), "rowchain init failed: {}", text(&out.stderr));
        let nodes = (1..=validators)
            .map(|i| {
                let dir = dir.join(format!("node{i}"));
                let mut config = load_config(&dir);
                config.limits.tx_lifetime_default_ms = TX_LIFETIME_MS;
                std::fs::write(dir.join("rowchain.toml"), config.to_toml()).unwrap();
                let port = |addr: &str| addr.rsplit(':').next().unwrap().parse().unwrap();
                assert_eq!(port(&config.pg.addr), base + i - 1);
                NodeProc {
                    name: format!("node{i}"),
                    pg_port: port(&config.pg.addr),
                    http_port: port(&config.http_addr),
                    dir,
                    child: None,
                }
            })
            .collect();
        Network { dir, nodes }
    }

    /// Starts node `i` (0-based); its output goes to `<dir>/nodeI.log`.
    fn start(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        assert!(n.child.is_none(), "{} is running", n.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{}.log", n.name)))
            .unwrap();
        let child = Command::new(BIN)
            .args(["node", "--data"])
            .arg(&n.dir)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start rowchain node");
        n.child = Some(child);
    }

    fn kill9(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            c.kill().unwrap();
            let _ = c.wait();
        }
    }

    fn url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[i].http_port)
    }

    /// Waits until node `i` answers JSON-RPC.
    fn wait_ready(&mut self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if ureq::get(&format!("{}/health", self.url(i))).call().is_ok() {
                return;
            }
            if let Some(status) = self.nodes[i].child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("{} exited ({status}) before it was ready; see {}", self.nodes[i].name, self.log_hint());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{} did not answer on {} within 60 s; see {}", self.nodes[i].name, self.url(i), self.log_hint());
    }

    /// Node `i`'s (height, last block hash, state root).
    fn status(&self, i: usize) -> (u64, String, String) {
        let r = rpc(&self.url(i), "status", json!({}));
        let s = &r["result"];
        assert!(s["height"].is_u64(), "status of {}: {r}", self.nodes[i].name);
        (s["height"].as_u64().unwrap(), s["last_block_hash"].to_string(), s["state_root"].to_string())
    }

    /// Waits until every node in `which` is at the same height with the
    /// same block and state root, at or above `height_min`.
    fn wait_same_state(&self, which: &[usize], height_min: u64, within: Duration) -> (u64, String, String) {
        let deadline = Instant::now() + within;
        loop {
            let all: Vec<_> = which.iter().map(|i| self.status(*i)).collect();
            if all.iter().all(|s| *s == all[0]) && all[0].0 >= height_min {
                return all[0].clone();
            }
            if Instant::now() > deadline {
                let names: Vec<&str> = which.iter().map(|i| self.nodes[*i].name.as_str()).collect();
                panic!(
                    "{names:?} did not reach one state at height >= {height_min} within {within:?}: {all:?}; see {}",
                    self.log_hint()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log_hint(&self) -> String {
        format!("the logs in {}", self.dir.display())
    }

    async fn connect(&self, i: usize) -> Client {
        let dsn = format!("host=127.0.0.1 port={} user=admin password=admin dbname=rowchain", self.nodes[i].pg_port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match tokio_postgres::connect(&dsn, NoTls).await {
                Ok((client, conn)) => {
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    return client;
                }
                Err(e) if Instant::now() > deadline => panic!("connecting to {}: {e}", self.nodes[i].name),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill9(i);
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("network test: node directories and logs kept in {}", self.dir.display());
        }
    }
}

/// A tx signed by `admin` (key from `dir`'s keystore) running `sql`, as hex.
fn admin_tx(dir: &Path, sql: &str) -> String {
    use node_core::tx::{Payload, Statement, TxBody};
    let d = node::DataDir(dir.to_owned());
    let genesis = node_core::genesis::Genesis::load(&d.genesis()).expect("genesis");
    let key = node::keystore::Keystore::open(&d.keystore(), node_core::crypto::Suite::Standard)
        .unwrap()
        .unlock("admin", "admin")
        .expect("admin key");
    let body = TxBody {
        chain_id: genesis.chain_id,
        account: key.public(),
        id: node_core::crypto::random_bytes(),
        expires_at_ms: node::now_ms() + TX_LIFETIME_MS,
        dialect: node_core::tx::Dialect::Postgres,
        payload: Payload::Sql(vec![Statement { sql: sql.into(), params: Vec::new() }]),
    };
    hex::encode(body.sign(&key).to_bytes())
}

/// Runs a write; bounded, so a network that hangs fails the test instead.
async fn write(c: &Client, sql: &str) -> Result<(), tokio_postgres::Error> {
    let limit = Duration::from_millis(TX_LIFETIME_MS + 20_000);
    match tokio::time::timeout(limit, c.simple_query(sql)).await {
        Ok(r) => r.map(|_| ()),
        Err(_) => panic!("{sql}: no reply within {limit:?}"),
    }
}

async fn insert(c: &Client, id: i64) -> Result<(), tokio_postgres::Error> {
    write(c, &format!("INSERT INTO kv (id, v) VALUES ({id}, 'row {id}')")).await
}

async fn ids(c: &Client) -> Vec<i64> {
    c.simple_query("SELECT id FROM kv ORDER BY id")
        .await
        .expect("read kv")
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap().parse().unwrap()),
            _ => None,
        })
        .collect()
}

/// Waits until node `c`'s view holds exactly `expected` (it applies a block
/// a moment after the node that acknowledged the write).
async fn wait_ids(c: &Client, expected: &[i64], who: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // A node still catching up may not have applied the CREATE TABLE yet.
        let got = match c.simple_query("SELECT 1 FROM kv LIMIT 0").await {
            Err(e) if e.code().is_some_and(|c| c.code() == "42P01") => Vec::new(),
            _ => ids(c).await,
        };
        if got == expected {
            return;
        }
        if Instant::now() > deadline {
            panic!("{who} holds ids {got:?}, expected {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_tolerate_one_failure_and_stop_without_a_quorum() {
    let started = Instant::now();
    let mut net = Network::init("net4", 4);
    for i in 0..4 {
        net.start(i);
    }
    for i in 0..4 {
        net.wait_ready(i);
    }
    let n1 = net.connect(0).await;
    // The first write also waits for the validators to find each other: a
    // write that timed out is never applied, so it may be retried.
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Err(e) = write(&n1, "CREATE TABLE kv (id bigint PRIMARY KEY, v text NOT NULL)").await {
        assert!(Instant::now() < deadline, "the network committed no write within 60 s: {e:?}; see {}", net.log_hint());
        assert!(e.code().is_some_and(|c| c.code() == "57014"), "CREATE TABLE: {e:?}");
    }
    let mut acked: Vec<i64> = Vec::new();
    // A signed tx whose text starts with a comment whose "ü" straddles byte
    // 6 once panicked the planner inside every validator's block producer:
    // sent straight to submit_tx, it is executed everywhere like any other.
    let tx = admin_tx(&net.nodes[0].dir, "-- Grüße\nINSERT INTO kv (id, v) VALUES (0, 'Grüße')");
    let reply = rpc(&net.url(0), "submit_tx", json!({"tx": tx, "wait": true}));
    assert_eq!(reply["result"]["status"], "committed", "{reply}; see {}", net.log_hint());
    acked.push(0);
    // One that does not plan is refused at admission, with the planner's SQLSTATE.
    let tx = admin_tx(&net.nodes[0].dir, "-- Grüße\nSELEC Ü");
    let reply = rpc(&net.url(0), "submit_tx", json!({"tx": tx, "wait": true}));
    assert_eq!(reply["error"]["data"]["sqlstate"], "42601", "{reply}");
    assert!(reply["error"]["message"].as_str().is_some_and(|m| m.starts_with("statement 0: ")), "{reply}");
    for id in 1..=5 {
        insert(&n1, id).await.unwrap_or_else(|e| panic!("insert {id} through node1: {e:?}"));
        acked.push(id);
    }
    let n3 = net.connect(2).await;
    wait_ids(&n3, &acked, "node3").await;

    // One validator down: 3 of 4 is a quorum, so writes go on.
    net.kill9(3);
    let n2 = net.connect(1).await;
    for id in 6..=10 {
        let c = if id % 2 == 0 { &n1 } else { &n2 };
        insert(c, id).await.unwrap_or_else(|e| panic!("insert {id} with node4 down: {e:?}"));
        acked.push(id);
    }
    // node4 comes back and catches up to the same block and state root.
    net.start(3);
    net.wait_ready(3);
    let height = net.status(0).0;
    net.wait_same_state(&[0, 3], height, Duration::from_secs(30));
    let n4 = net.connect(3).await;
    wait_ids(&n4, &acked, "node4 after catching up").await;

    // Two of four: no quorum. The write is refused once its tx expires...
    net.kill9(2);
    net.kill9(3);
    let refused_at = Instant::now();
    let e = insert(&n1, 1000).await.expect_err("a write without a quorum must fail");
    assert!(e.as_db_error().is_some(), "the refusal is an error reply, not a dropped connection: {e:?}");
    assert!(
        refused_at.elapsed() >= Duration::from_millis(TX_LIFETIME_MS),
        "refused after {:?}: {e:?}",
        refused_at.elapsed()
    );
    assert_eq!(ids(&n1).await, acked, "reads keep working on node1 without a quorum");
    // ...and never applied: not when the others are back and blocks flow.
    net.start(2);
    net.start(3);
    net.wait_ready(2);
    net.wait_ready(3);
    let mut refused = vec![1000];
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 11..=15 {
        let mut id = n;
        loop {
            match insert(&n1, id).await {
                Ok(()) => break acked.push(id),
                // The restarted validators may still be catching up; a
                // timed-out write never applies, so it is tried again
                // under another id, and that one must stay absent too.
                Err(e) if Instant::now() < deadline && e.code().is_some_and(|c| c.code() == "57014") => {
                    refused.push(id);
                    id += 10_000;
                }
                Err(e) => panic!("insert {id} after the restart: {e:?}; see {}", net.log_hint()),
            }
        }
    }
    acked.sort();
    let height = net.status(0).0;
    net.wait_same_state(&[0, 1, 2, 3], height, Duration::from_secs(30));
    for i in 0..4 {
        let c = net.connect(i).await;
        wait_ids(&c, &acked, &net.nodes[i].name).await;
        let present = ids(&c).await;
        assert!(refused.iter().all(|id| !present.contains(id)), "a refused write was applied on node{}", i + 1);
    }
    assert_eq!(acked.len(), 16, "the submit_tx write and 15 inserts");
    assert!(started.elapsed() < Duration::from_secs(120), "the test took {:?}", started.elapsed());
}

#[test]
fn init_and_node_refuse_with_reasons() {
    let dir = temp_dir("init-cli");
    let zero = init(&dir, &["--validators", "0"]);
    assert!(!zero.status.success());
    assert!(text(&zero.stderr).contains("--validators"), "{}", text(&zero.stderr));
    let hosts = init(&dir, &["--validators", "3", "--host", "a,b"]);
    assert!(!hosts.status.success());
    assert!(text(&hosts.stderr).contains("2 hosts given for 3 nodes"), "{}", text(&hosts.stderr));

    let args = ["--validators", "2", "--observers", "1", "--base-port", "30000"];
    let made = init(&dir, &args);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let listing = text(&made.stdout);
    assert!(listing.contains("2 validators and 1 observer"), "{listing}");
    assert!(listing.contains("node3   observer   psql postgres://admin:admin@127.0.0.1:30002/rowchain"), "{listing}");
    let key = std::fs::read_to_string(dir.join("node1/validator.key")).unwrap();
    let again = init(&dir, &args);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("node1 exists and is not empty"), "{}", text(&again.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("node1/validator.key")).unwrap(), key, "keys are never overwritten");

    let missing = Command::new(BIN).args(["node", "--data"]).arg(dir.join("nowhere")).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("has no genesis.json") && text(&missing.stderr).contains("rowchain init"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A running `rowchain testnet`; killed if the test fails before it exits.
struct Testnet(Child);

impl Testnet {
    fn start(data: &Path, validators: &str, base: u16) -> Testnet {
        let child = Command::new(BIN)
            .args(["testnet", "--validators", validators, "--data"])
            .arg(data)
            .args(["--base-port", &base.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rowchain testnet");
        Testnet(child)
    }

    /// Waits for the exit; returns (exit code, stdout, stderr).
    fn wait(&mut self, within: Duration) -> (Option<i32>, String, String) {
        use std::io::Read;
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "rowchain testnet did not exit within {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let (mut out, mut err) = (String::new(), String::new());
        self.0.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        self.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.code(), out, err)
    }

    /// The pids of its node processes.
    fn nodes(&self) -> Vec<u32> {
        let pid = self.0.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
        children.split_whitespace().map(|p| p.parse().unwrap()).collect()
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            for pid in self.nodes() {
                signal(pid, "KILL");
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status();
}

fn wait_health(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&format!("http://127.0.0.1:{port}/health")).call().is_err() {
        assert!(Instant::now() < deadline, "nothing answered on port {port} within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `testnet` runs as a single validator too, so its supervision is tested
/// without consensus: SIGTERM stops the nodes cleanly; a node that dies
/// stops the testnet, which names it.
#[test]
fn testnet_passes_sigterm_on_and_stops_when_a_node_dies() {
    let dir = temp_dir("testnet");
    let data = dir.join("net");
    let base = free_base_port(1);
    let mut t = Testnet::start(&data, "1", base);
    wait_health(base + 100);
    let nodes = t.nodes();
    assert_eq!(nodes.len(), 1, "one node process");
    signal(t.0.id(), "TERM");
    let (code, out, err) = t.wait(Duration::from_secs(60));
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("created a network of 1 validator and 0 observers"), "{out}");
    assert!(out.contains(&format!("node1: psql postgres://admin:admin@127.0.0.1:{base}/rowchain")), "{out}");
    assert!(out.contains("node1 | rowchain: stopped at height"), "the node stopped cleanly: {out}");
    assert!(!Path::new(&format!("/proc/{}", nodes[0])).exists(), "the node process is gone");

    // Started again it reuses the network; a node killed outright ends it.
    let mut t = Testnet::start(&data, "1", base);
    wait_health(base + 100);
    signal(t.nodes()[0], "KILL");
    let (code, out, err) = t.wait(Duration::from_secs(60));
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("using the network in"), "{out}");
    assert!(err.contains("a node exited: stopping the others node=node1 status=signal: 9"), "{err}");

    let other = Command::new(BIN).args(["testnet", "--validators", "4", "--data"]).arg(&data).output().unwrap();
    assert!(!other.status.success());
    assert!(text(&other.stderr).contains("holds a network of 1 validator and 0 observers"), "{}", text(&other.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What docker-compose.yml says about one service.
#[derive(Debug, Default)]
struct ComposeService {
    hostname: String,
    volumes: Vec<String>,
    ports: Vec<String>,
}

/// The services of a compose file in the shape ours has (two-space
/// indents, lists as `- item`): enough to compare it with the configs.
fn compose_services(text: &str) -> std::collections::BTreeMap<String, ComposeService> {
    let mut services = std::collections::BTreeMap::new();
    let (mut in_services, mut current, mut list) = (false, None::<String>, "");
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
        let indent = line.len() - line.trim_start().len();
        let item = line.trim();
        match indent {
            0 => {
                in_services = item == "services:";
                current = None;
            }
            2 if in_services => {
                let name = item.trim_end_matches(':').to_string();
                services.insert(name.clone(), ComposeService::default());
                current = Some(name);
            }
            4 if current.is_some() => {
                let (key, value) = item.split_once(':').unwrap();
                list = key;
                if key == "hostname" {
                    services.get_mut(current.as_ref().unwrap()).unwrap().hostname = value.trim().to_string();
                }
            }
            6 if current.is_some() && item.starts_with("- ") => {
                let value = item[2..].trim().trim_matches('"').to_string();
                let s = services.get_mut(current.as_ref().unwrap()).unwrap();
                match list {
                    "volumes" => s.volumes.push(value),
                    "ports" => s.ports.push(value),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    services
}

#[test]
fn docker_compose_matches_init_with_one_host_per_node() {
    let command = "rowchain init --validators 4 --host node1,node2,node3,node4 --out testnet";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compose = std::fs::read_to_string(root.join("docker-compose.yml")).unwrap();
    assert!(compose.contains(command), "docker-compose.yml documents `{command}`");
    assert!(std::fs::read_to_string(root.join("README.md")).unwrap().contains(command), "so does the README");
    assert!(compose.contains(r#"command: ["node", "--data", "/data"]"#));

    let dir = temp_dir("compose");
    let out = dir.join("testnet");
    let made = init(&out, &["--validators", "4", "--host", "node1,node2,node3,node4"]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let configs: Vec<_> = (1..=4).map(|i| load_config(&out.join(format!("node{i}")))).collect();
    let services = compose_services(&compose);
    assert_eq!(services.keys().collect::<Vec<_>>(), ["node1", "node2", "node3", "node4"]);
    let port = |addr: &str| -> u16 { addr.rsplit(':').next().unwrap().parse().unwrap() };
    for (i, config) in configs.iter().enumerate() {
        let name = format!("node{}", i + 1);
        let s = &services[&name];
        assert_eq!(s.hostname, name, "the service is reached by the host init was given");
        assert_eq!(s.volumes, [format!("./testnet/{name}:/data")]);
        for addr in [&config.pg.addr, &config.http_addr, &config.network.p2p_addr, &config.mysql.addr] {
            assert!(addr.starts_with("0.0.0.0:"), "{name} listens on every interface in its container: {addr}");
        }
        let (pg, http, mysql) = (port(&config.pg.addr), port(&config.http_addr), port(&config.mysql.addr));
        assert_eq!(
            s.ports,
            [
                format!("127.0.0.1:{}:{pg}", 5433 + i),
                format!("127.0.0.1:{}:{http}", 5005 + i),
                format!("127.0.0.1:{}:{mysql}", 3307 + i)
            ],
            "{name} publishes its PostgreSQL, JSON-RPC and MySQL ports"
        );
        let peers: Vec<&str> = config.network.peers.iter().map(|p| p.addr.as_str()).collect();
        let expected: Vec<String> = (0..4)
            .filter(|j| *j != i)
            .map(|j| format!("node{}:{}", j + 1, port(&configs[j].network.p2p_addr)))
            .collect();
        assert_eq!(peers, expected, "{name}'s peers are the other services");
    }
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let c = &configs[0];
    let expose = format!(
        "EXPOSE {} {} {} {}",
        port(&c.pg.addr),
        port(&c.http_addr),
        port(&c.network.p2p_addr),
        port(&c.mysql.addr)
    );
    assert!(dockerfile.contains(&expose), "the Dockerfile says `{expose}`");
    std::fs::remove_dir_all(&dir).unwrap();
}
