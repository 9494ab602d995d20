//! Committed 1-row INSERT throughput and commit latency against a running
//! rowchain node, with N concurrent submitters, each waiting for its receipt.
//! A benchmark, not a test: it prints figures and asserts none.
//!
//! `--mode sql`: the node signs as the role (the path `rowchain sql` and the
//! proxy take). `--mode signed`: the submitters sign themselves and send
//! signed txs (`submit_tx`), so signing leaves the node's CPU budget.

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value as Json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:5005")]
    url: String,
    /// Concurrency levels to run, comma separated.
    #[arg(long, default_value = "1,8,32")]
    clients: String,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value = "sql")]
    mode: String,
    /// The node's data directory (for --mode signed: the admin key is read from its keystore).
    #[arg(long)]
    data: Option<std::path::PathBuf>,
}

fn rpc(agent: &ureq::Agent, url: &str, method: &str, params: Json) -> Result<Json> {
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let mut r = agent.post(url).send_json(&req)?;
    Ok(r.body_mut().read_json()?)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Where the submitters send their INSERTs, and as whom.
struct Target {
    agent: ureq::Agent,
    url: String,
    chain_id: String,
    table: String,
    /// The admin key, for `--mode signed`.
    key: Option<node_core::crypto::SecretKey>,
}

impl Target {
    /// Creates a fresh bench table on the node at `args.url`.
    fn open(args: &Args) -> Result<Self> {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let status = rpc(&agent, &args.url, "status", json!({}))?;
        let chain_id = status["result"]["chain_id"].as_str().context("status has no chain_id")?.to_owned();
        let table = format!("bench_insert_{}", hex::encode(node_core::crypto::random_bytes::<4>()));
        let create = format!("CREATE TABLE {table} (id bigint PRIMARY KEY, client int NOT NULL, note text)");
        let r = rpc(&agent, &args.url, "sql", json!({"sql": create, "role": "admin", "password": "admin"}))?;
        if r["result"]["status"] != "committed" {
            bail!("cannot create the bench table: {r}");
        }
        let key = match (args.mode.as_str(), &args.data) {
            ("signed", Some(d)) => {
                let suite = node_core::genesis::Genesis::load(&d.join("genesis.json"))?.suite();
                Some(node::keystore::Keystore::open(&d.join("keystore.json"), suite)?.unlock("admin", "admin")?)
            }
            ("signed", None) => bail!("--mode signed needs --data DIR"),
            ("sql", _) => None,
            (m, _) => bail!("unknown mode {m}"),
        };
        Ok(Target { agent, url: args.url.clone(), chain_id, table, key })
    }

    /// One INSERT of row `id` by client `c`, waiting for its receipt.
    fn insert(&self, id: i64, c: usize) -> Result<Json> {
        let sql = format!("INSERT INTO {} (id, client, note) VALUES ($1, $2, $3)", self.table);
        let Some(k) = &self.key else {
            let params = vec![json!(id), json!(c), json!("bench")];
            let call = json!({"sql": sql, "params": params, "role": "admin", "password": "admin"});
            return rpc(&self.agent, &self.url, "sql", call);
        };
        use node_core::tx::{Payload, Statement, TxBody};
        use node_core::value::Value;
        let params = vec![Value::Integer(id), Value::Integer(c as i64), Value::Text("bench".into())];
        let body = TxBody {
            chain_id: self.chain_id.clone(),
            account: k.public(),
            id: node_core::crypto::random_bytes(),
            expires_at_ms: node::now_ms() + 30_000,
            dialect: node_core::tx::Dialect::Postgres,
            payload: Payload::Sql(vec![Statement { sql, params }]),
        };
        let call = json!({"tx": hex::encode(body.sign(k).to_bytes()), "wait": true});
        rpc(&self.agent, &self.url, "submit_tx", call)
    }
}

/// `clients` submitters for `seconds`: committed latencies and error count.
fn run_level(target: &Arc<Target>, clients: usize, seconds: u64, next_id: &Arc<AtomicU64>) -> (Vec<Duration>, u64) {
    let lat: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (lat, errors, stop, next_id, target) =
                (lat.clone(), errors.clone(), stop.clone(), next_id.clone(), target.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let id = next_id.fetch_add(1, Ordering::Relaxed) as i64;
                    let t = Instant::now();
                    match target.insert(id, c) {
                        Ok(r) if r["result"]["status"] == "committed" => mine.push(t.elapsed()),
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                lat.lock().unwrap().extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let mut l = lat.lock().unwrap().clone();
    l.sort();
    (l, errors.load(Ordering::Relaxed))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let target = Arc::new(Target::open(&args)?);
    println!("mode {} | {}s per level | table {}", args.mode, args.seconds, target.table);
    println!("{:>8} {:>10} {:>10} {:>10} {:>10}", "clients", "tx/s", "p50 ms", "p99 ms", "errors");
    let next_id = Arc::new(AtomicU64::new(1));
    for clients in args.clients.split(',').map(|c| c.trim().parse::<usize>()) {
        let clients = clients.context("--clients takes numbers")?;
        let start = Instant::now();
        let (l, errors) = run_level(&target, clients, args.seconds, &next_id);
        let elapsed = start.elapsed().as_secs_f64();
        let (p50, p99) = (percentile(&l, 0.5), percentile(&l, 0.99));
        println!("{clients:>8} {:>10.0} {p50:>10.2} {p99:>10.2} {errors:>10}", l.len() as f64 / elapsed);
    }
    let st = rpc(&target.agent, &args.url, "status", json!({}))?;
    if let Some(t) = st["result"].get("timings") {
        println!("node time per committed tx (µs, whole run): {t}");
    }
    Ok(())
}
