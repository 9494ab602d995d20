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

fn main() -> Result<()> {
    let args = Args::parse();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let status = rpc(&agent, &args.url, "status", json!({}))?;
    let chain_id = status["result"]["chain_id"].as_str().context("status has no chain_id")?.to_owned();
    let table = format!("bench_insert_{}", hex::encode(node_core::crypto::random_bytes::<4>()));
    let r = rpc(
        &agent,
        &args.url,
        "sql",
        json!({"sql": format!("CREATE TABLE {table} (id bigint PRIMARY KEY, client int NOT NULL, note text)"),
        "role": "admin", "password": "admin"}),
    )?;
    if r["result"]["status"] != "committed" {
        bail!("cannot create the bench table: {r}");
    }
    let key = match (&args.mode[..], &args.data) {
        ("signed", Some(d)) => {
            Some(node::keystore::Keystore::open(&d.join("keystore.json"))?.unlock("admin", "admin")?)
        }
        ("signed", None) => bail!("--mode signed needs --data DIR"),
        ("sql", _) => None,
        (m, _) => bail!("unknown mode {m}"),
    };
    println!("mode {} | {}s per level | table {table}", args.mode, args.seconds);
    println!("{:>8} {:>10} {:>10} {:>10} {:>10}", "clients", "tx/s", "p50 ms", "p99 ms", "errors");
    let next_id = Arc::new(AtomicU64::new(1));
    for clients in args.clients.split(',').map(|c| c.trim().parse::<usize>()) {
        let clients = clients.context("--clients takes numbers")?;
        let lat: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                let (lat, errors, stop, next_id) = (lat.clone(), errors.clone(), stop.clone(), next_id.clone());
                let (url, table, chain_id, key, agent) =
                    (args.url.clone(), table.clone(), chain_id.clone(), key.clone(), agent.clone());
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let id = next_id.fetch_add(1, Ordering::Relaxed) as i64;
                        let sql = format!("INSERT INTO {table} (id, client, note) VALUES ($1, $2, $3)");
                        let params = vec![json!(id), json!(c), json!("bench")];
                        let t = Instant::now();
                        let reply = match &key {
                            None => rpc(
                                &agent,
                                &url,
                                "sql",
                                json!({"sql": sql, "params": params, "role": "admin", "password": "admin"}),
                            ),
                            Some(k) => {
                                use node_core::tx::{Payload, Statement, TxBody};
                                use node_core::value::Value;
                                let body = TxBody {
                                    chain_id: chain_id.clone(),
                                    account: k.public(),
                                    id: node_core::crypto::random_bytes(),
                                    expires_at_ms: node::now_ms() + 30_000,
                                    payload: Payload::Sql(vec![Statement {
                                        sql,
                                        params: vec![
                                            Value::Integer(id),
                                            Value::Integer(c as i64),
                                            Value::Text("bench".into()),
                                        ],
                                    }]),
                                };
                                rpc(
                                    &agent,
                                    &url,
                                    "submit_tx",
                                    json!({"tx": hex::encode(body.sign(k).to_bytes()), "wait": true}),
                                )
                            }
                        };
                        match reply {
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
        std::thread::sleep(Duration::from_secs(args.seconds));
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
        let elapsed = start.elapsed().as_secs_f64();
        let mut l = lat.lock().unwrap().clone();
        l.sort();
        println!(
            "{:>8} {:>10.0} {:>10.2} {:>10.2} {:>10}",
            clients,
            l.len() as f64 / elapsed,
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            errors.load(Ordering::Relaxed)
        );
    }
    let st = rpc(&agent, &args.url, "status", json!({}))?;
    if let Some(t) = st["result"].get("timings") {
        println!("node time per committed tx (µs, whole run): {t}");
    }
    Ok(())
}
