//! Fuzzing JSON-RPC request handling on a running dev node (moved with
//! `rpc.rs` from node's fuzz targets; the mutation helpers are node's own,
//! `node/service/tests/mutations`).
//!
//! Each case is a proptest over arbitrary requests and over valid requests
//! mutated (bytes flipped, inserted, deleted, truncated, length prefixes set
//! to huge values; text with non-ASCII characters at awkward offsets). A
//! campaign scales it with `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=100000 cargo test --workspace --release --test fuzz -- rpc_`.
//! A finding becomes a regression test beside the code it breaks.

use node::config::Config;
use node_core::crypto::SecretKey;
use node_core::tx::{Payload, SignedTx, Statement, TxBody};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Value as Json};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

// The mutations and proptest settings the node's fuzz targets use.
#[path = "../../../node/service/tests/mutations/mod.rs"]
mod mutations;
use mutations::*;

// ---------------------------------------------------------------------------
// JSON-RPC on a running node

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts every panic in the process (and still prints it): a panic in a
/// tokio task or a SQLite callback is otherwise caught and invisible.
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

struct DevNode {
    dir: PathBuf,
    port: u16,
    node: Arc<node::Node>,
    admin: SecretKey,
    /// Serves the JSON-RPC; dropped (and stopped) with the node.
    _runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DevNode {
    fn start() -> DevNode {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("rowchain-fuzz-{}-{nanos}", std::process::id()));
        assert!(node::init_dev(&dir, node_core::crypto::Suite::Standard).unwrap());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let config = Config { http_addr: format!("127.0.0.1:{port}"), ..Config::default() };
        let node = node::Node::start(&dir, config).unwrap();
        let admin = node.keystore().unlock("admin", "admin").unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = node.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            proxy_rpc::serve(proxy_frontend::Frontend::new(served), listener, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        DevNode { dir, port, node, admin, _runtime: runtime, stop: Some(stop) }
    }

    /// POSTs `body` to `/`: the HTTP status and body, or why there was no answer.
    fn post(&self, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| format!("connect: {e}"))?;
        s.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
        let head = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).and_then(|_| s.write_all(body)).map_err(|e| format!("send: {e}"))?;
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).map_err(|e| format!("no answer: {e}"))?;
        let split = reply.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no HTTP head in the answer")?;
        let head = String::from_utf8_lossy(&reply[..split]).into_owned();
        let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or(format!("bad status line: {head}"))?;
        Ok((status, reply[split + 4..].to_vec()))
    }

    /// The node answers `status` and its block producer runs.
    fn healthy(&self) -> Result<(), String> {
        let (code, body) = self.post(br#"{"jsonrpc":"2.0","id":1,"method":"status"}"#)?;
        let reply: Json = serde_json::from_slice(&body).map_err(|e| format!("status: {e}"))?;
        if code != 200 || reply["result"]["height"].as_u64().is_none() {
            return Err(format!("status answered {code}: {reply}"));
        }
        if reply["result"]["producing"] != json!(true) {
            return Err(format!("the block producer stopped: {reply}"));
        }
        Ok(())
    }

    /// A tx signed by admin for this chain, expiring soon.
    fn signed_tx(&self, sql: &str) -> SignedTx {
        TxBody {
            chain_id: self.node.genesis().chain_id.clone(),
            account: self.admin.public(),
            id: node_core::crypto::random_bytes(),
            expires_at_ms: node::now_ms() + 10_000,
            dialect: node_core::tx::Dialect::Postgres,
            payload: Payload::Sql(vec![Statement { sql: sql.into(), params: Vec::new() }]),
        }
        .sign(&self.admin)
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.node.shutdown();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn sql_seeds() -> Vec<String> {
    [
        "CREATE TABLE IF NOT EXISTS fuzz_t (id integer PRIMARY KEY, name text, at timestamptz, doc jsonb, n numeric)",
        "INSERT INTO fuzz_t (id, name) VALUES (1, 'Grüße') ON CONFLICT (id) DO NOTHING",
        "INSERT INTO fuzz_t (id, name, at) VALUES (2, 'x', '2024-01-01 00:00:00+0130') ON CONFLICT (id) DO NOTHING",
        "INSERT INTO fuzz_t (id, doc) VALUES (3, '{\"é\": [1, 2]}') ON CONFLICT (id) DO NOTHING",
        "UPDATE fuzz_t SET name = 'ß' || name WHERE id = $1",
        "SELECT id, name, at::text FROM fuzz_t WHERE name ~* 'GRÜ' ORDER BY id",
        "SELECT '2024-02-29 13:14:15+02'::timestamptz, '42'::int, 'yes'::boolean",
        "SELECT \"名前\" FROM \"表\"",
        "/* Grüße */ SELECT 1",
        "DELETE FROM fuzz_t WHERE id > 100",
        "CREATE ROLE \"andré\" LOGIN PASSWORD 'x'",
        "BEGIN",
    ]
    .map(str::to_string)
    .to_vec()
}

fn json_scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        ".{0,12}".prop_map(Json::from),
    ]
}

fn json_any() -> impl Strategy<Value = Json> {
    json_scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            proptest::collection::btree_map(".{0,6}", inner, 0..4).prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// A string, often the right one for the field.
fn maybe(right: &'static str) -> impl Strategy<Value = Json> {
    prop_oneof![3 => Just(Json::from(right)), 1 => json_any()]
}

/// A JSON-RPC call's shape before the test fills in what needs the node
/// (fresh signed txs).
#[derive(Debug, Clone)]
enum Call {
    Raw(Vec<u8>),
    Json(Json),
    /// `submit_tx` of a tx signed as admin with this SQL, its bytes mutated.
    Submit {
        sql: String,
        mutations: Vec<Mutation>,
        wait: Json,
    },
}

fn call() -> impl Strategy<Value = Call> {
    let sql_text = text_from(sql_seeds());
    let hex32 = prop_oneof![
        any::<[u8; 32]>().prop_map(|b| Json::from(hex::encode(b))),
        any::<[u8; 32]>().prop_map(|b| Json::from(format!("0x{}", hex::encode(b)))),
        json_any(),
    ];
    let method_call = prop_oneof![
        (sql_text, maybe("admin"), maybe("admin"), proptest::option::of(json_any())).prop_map(
            |(sql, role, password, params)| json!({"method": "sql", "params": {"sql": sql, "role": role, "password": password, "params": params}})
        ),
        json_any().prop_map(|p| json!({"method": "status", "params": p})),
        (hex32.clone(), proptest::option::of((maybe("admin"), maybe("admin"))))
            .prop_map(|(hash, who)| {
                let mut p = json!({"hash": hash});
                if let Some((role, password)) = who {
                    p["role"] = role;
                    p["password"] = password;
                }
                json!({"method": "get_tx", "params": p})
            }),
        prop_oneof![
            (0u64..20).prop_map(Json::from),
            json_any(),
        ].prop_map(|h| json!({"method": "get_block", "params": {"height": h}})),
        hex32.clone().prop_map(|h| json!({"method": "get_block", "params": {"hash": h}})),
        hex32.prop_map(|k| json!({"method": "state_proof", "params": {"key": k}})),
        json_any().prop_map(|p| json!({"method": "submit_tx", "params": {"tx": p}})),
        (json_any(), json_any()).prop_map(|(m, p)| json!({"method": m, "params": p})),
    ];
    let envelope = (method_call, json_any(), any::<bool>())
        .prop_map(|(mut c, id, versioned)| {
            c["id"] = id;
            if versioned {
                c["jsonrpc"] = json!("2.0");
            }
            c
        })
        .boxed();
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Call::Raw),
        1 => ".{0,300}".prop_map(|s| Call::Raw(s.into_bytes())),
        6 => envelope.clone().prop_map(Call::Json),
        1 => proptest::collection::vec(envelope, 0..4).prop_map(|calls| Call::Json(Json::Array(calls))),
        3 => (text_from(sql_seeds()), proptest::collection::vec(mutation(), 0..3), prop_oneof![Just(json!(true)), json_any()])
            .prop_map(|(sql, mutations, wait)| Call::Submit { sql, mutations, wait }),
    ]
}

/// Every request gets an HTTP answer (a JSON-RPC result or error), the node
/// stays healthy after it, and nothing in the process panics.
#[test]
fn rpc_requests_always_get_an_answer() {
    count_panics();
    let dev = DevNode::start();
    dev.healthy().unwrap();
    let mut runner = TestRunner::new(RunnerConfig {
        // The node's state moves on between runs, so shrinking would not replay.
        max_shrink_iters: 0,
        ..runner_config(3000)
    });
    let result = runner.run(&call(), |call| {
        let body = match &call {
            Call::Raw(b) => b.clone(),
            Call::Json(j) => j.to_string().into_bytes(),
            Call::Submit { sql, mutations, wait } => {
                let tx = mutate(&dev.signed_tx(sql).to_bytes(), mutations);
                json!({"jsonrpc": "2.0", "id": 7, "method": "submit_tx", "params": {"tx": hex::encode(tx), "wait": wait}})
                    .to_string()
                    .into_bytes()
            }
        };
        let (code, reply) = dev.post(&body).map_err(TestCaseError::fail)?;
        let reply: Json = serde_json::from_slice(&reply)
            .map_err(|e| TestCaseError::fail(format!("{code}: the answer is not JSON: {e}")))?;
        let answers: Vec<&Json> = match &reply {
            Json::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for a in answers {
            prop_assert!(a.get("result").is_some() != a.get("error").is_some(), "{code}: {a}");
            if let Some(e) = a.get("error") {
                prop_assert!(e["code"].as_i64().is_some() && e["message"].is_string(), "{code}: {a}");
            }
        }
        dev.healthy().map_err(TestCaseError::fail)?;
        prop_assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a panic while serving {}", String::from_utf8_lossy(&body));
        Ok(())
    });
    result.unwrap();
    // A body over limits.rpc_body_bytes_max is refused with an answer.
    let big = vec![b' '; dev.node.config().limits.rpc_body_bytes_max + 1];
    let (code, reply) = dev.post(&big).unwrap();
    assert_eq!(code, 413, "{}", String::from_utf8_lossy(&reply));
    let reply: Json = serde_json::from_slice(&reply).unwrap();
    assert_eq!(reply["error"]["code"], json!(-32600));
    dev.healthy().unwrap();
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);
    drop(dev);
}
