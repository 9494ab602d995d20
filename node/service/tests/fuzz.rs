//! Fuzz targets for the node's entry points: tx, block and receipt decoding,
//! config parsing, the PostgreSQL date/time and input functions, and JSON-RPC
//! request handling on a running dev node.
//!
//! Each target is a proptest over arbitrary input and over valid input
//! mutated (bytes flipped, inserted, deleted, truncated, length prefixes set
//! to huge values; text with non-ASCII characters at awkward offsets). The
//! defaults run the whole file in a few seconds; a campaign scales every target
//! with `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=100000 cargo test --workspace --release --test fuzz`.
//! A finding becomes a regression test beside the code it breaks.

use node::config::Config;
use node_core::block::{
    decode_receipts, encode_receipts, Block, Certificate, Header, Receipt, RowSet, StatementResult, TxFailure,
};
use node_core::crypto::SecretKey;
use node_core::pgtime;
use node_core::tx::{Payload, RoleOp, SignedTx, Statement, TxBody};
use node_core::value::Value;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Value as Json};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

/// Cases for a target: `PROPTEST_CASES` when set, else the target's default.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner_config(default_cases: u32) -> RunnerConfig {
    RunnerConfig { cases: cases(default_cases), ..RunnerConfig::default() }
}

// ---------------------------------------------------------------------------
// Mutations

/// One change to a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
    /// Overwrites four bytes with a big-endian count, as a forged length prefix.
    Length(Index, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let length = prop_oneof![
        Just(u32::MAX),
        Just(0x8000_0000),
        Just(0x7fff_ffff),
        Just(0x8000_0001),
        Just(1 << 20),
        Just(1025),
        any::<u32>(),
        0u32..64,
    ];
    prop_oneof![
        (any::<Index>(), 1u8..).prop_map(|(i, m)| Mutation::Flip(i, m)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..8)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), length).prop_map(|(i, n)| Mutation::Length(i, n)),
    ]
}

fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let len = b.len();
        match m {
            Mutation::Insert(i, bytes) => {
                let at = i.index(len + 1);
                b.splice(at..at, bytes.iter().copied());
            }
            _ if len == 0 => {}
            Mutation::Flip(i, mask) => b[i.index(len)] ^= mask,
            Mutation::Set(i, v) => b[i.index(len)] = *v,
            Mutation::Delete(i, n) => {
                let at = i.index(len);
                b.drain(at..(at + n).min(len));
            }
            Mutation::Truncate(i) => b.truncate(i.index(len)),
            Mutation::Length(i, n) => {
                let at = i.index(len);
                for (dst, src) in b[at..].iter_mut().zip(n.to_be_bytes()) {
                    *dst = src;
                }
            }
        }
    }
    b
}

/// Arbitrary bytes, or one of `seeds` mutated.
fn bytes_from(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..400),
        4 => (proptest::sample::select(seeds), proptest::collection::vec(mutation(), 1..6))
            .prop_map(|(seed, ms)| mutate(&seed, &ms)),
    ]
}

/// Characters that break byte-offset assumptions: multi-byte letters,
/// combining marks, emoji, and the ASCII that separates SQL, JSON and TOML.
const AWKWARD: &[&str] = &[
    "Ü",
    "ß",
    "é",
    "e\u{301}",
    "日本",
    "😀",
    "\u{feff}",
    "\u{0}",
    "'",
    "\"",
    ";",
    "--",
    "/*",
    "*/",
    "\\",
    "$$",
    "\n",
    " ",
    "-",
    "+",
    ":",
    ".",
    "T",
    "Z",
    "=",
    "[",
    "]",
    "{",
    "}",
    "#",
    ",",
    "0",
    "9",
    "99999999999999999999",
];

/// One change to a text.
#[derive(Debug, Clone)]
enum TextMutation {
    Insert(Index, String),
    Delete(Index, usize),
    Truncate(Index),
    /// Replaces what follows the first `=` of a line.
    Value(Index, String),
    DuplicateLine(Index),
    DeleteLine(Index),
}

fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(AWKWARD).prop_map(str::to_string),
        1 => ".{0,6}",
    ]
}

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    let value = prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("9223372036854775807".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1e400".to_string()),
        Just("\"\"".to_string()),
        Just("\"Ü\"".to_string()),
        Just("\"10.0.0.0/33\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".to_string()),
        Just("true".to_string()),
        awkward_text(),
    ];
    prop_oneof![
        3 => (any::<Index>(), awkward_text()).prop_map(|(i, s)| TextMutation::Insert(i, s)),
        1 => (any::<Index>(), 1usize..8).prop_map(|(i, n)| TextMutation::Delete(i, n)),
        1 => any::<Index>().prop_map(TextMutation::Truncate),
        2 => (any::<Index>(), value).prop_map(|(i, v)| TextMutation::Value(i, v)),
        1 => any::<Index>().prop_map(TextMutation::DuplicateLine),
        1 => any::<Index>().prop_map(TextMutation::DeleteLine),
    ]
}

fn mutate_text(seed: &str, mutations: &[TextMutation]) -> String {
    let mut s = seed.to_string();
    for m in mutations {
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let at = |i: &Index| chars.get(i.index(chars.len() + 1)).map_or(s.len(), |(b, _)| *b);
        let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
        match m {
            TextMutation::Insert(i, text) => s.insert_str(at(i), text),
            TextMutation::Delete(i, n) => {
                let from = at(i);
                let to = chars.iter().map(|(b, _)| *b).filter(|b| *b > from).nth(n - 1).unwrap_or(s.len());
                s.replace_range(from..to, "");
            }
            TextMutation::Truncate(i) => s.truncate(at(i)),
            _ if lines.is_empty() => {}
            TextMutation::Value(i, v) => {
                let n = i.index(lines.len());
                let line = &mut lines[n];
                if let Some((key, _)) = line.split_once('=') {
                    *line = format!("{key}= {v}");
                }
                s = lines.join("\n");
            }
            TextMutation::DuplicateLine(i) => {
                let n = i.index(lines.len());
                lines.insert(n, lines[n].clone());
                s = lines.join("\n");
            }
            TextMutation::DeleteLine(i) => {
                lines.remove(i.index(lines.len()));
                s = lines.join("\n");
            }
        }
    }
    s
}

/// Arbitrary text, or one of `seeds` mutated.
fn text_from(seeds: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,200}",
        4 => (proptest::sample::select(seeds), proptest::collection::vec(text_mutation(), 1..5))
            .prop_map(|(seed, ms)| mutate_text(&seed, &ms)),
    ]
}

// ---------------------------------------------------------------------------
// Seeds

fn key() -> SecretKey {
    SecretKey::from_bytes(&[42; 32])
}

fn every_value() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(-7),
        Value::Real(1.5),
        Value::Real(f64::NAN),
        Value::Text("Grüße".into()),
        Value::Blob(vec![0, 255, 7]),
    ]
}

fn sample_txs() -> Vec<SignedTx> {
    let k = key();
    let body = |payload| TxBody {
        chain_id: "fuzz-chain".into(),
        account: k.public(),
        id: [9; 16],
        expires_at_ms: 1_700_000_000_000,
        payload,
    };
    let stmt = |sql: &str, params| Statement { sql: sql.into(), params };
    [
        Payload::Sql(vec![
            stmt("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6)", every_value()),
            stmt("-- Grüße\nUPDATE t SET a = 'é' WHERE b = $1", vec![Value::Integer(1)]),
        ]),
        Payload::Sql(Vec::new()),
        Payload::Interactive {
            steps: vec![stmt("SELECT 1", Vec::new()), stmt("INSERT INTO t VALUES (1)", Vec::new())],
            observed: [3; 32],
        },
        Payload::Role(RoleOp::Create { name: "andré".into(), public_key: k.public(), create_role: true }),
        Payload::Role(RoleOp::Create { name: "bob".into(), public_key: k.public(), create_role: false }),
        Payload::Role(RoleOp::SetPassword { name: "bob".into() }),
        Payload::Role(RoleOp::Drop { name: "bob".into() }),
    ]
    .into_iter()
    .map(|p| body(p).sign(&k))
    .collect()
}

fn sample_blocks() -> Vec<Block> {
    let k = key();
    let txs = sample_txs();
    let header = Header {
        chain_id: "fuzz-chain".into(),
        height: 3,
        prev_hash: [1; 32],
        timestamp_ms: 1_700_000_000_000,
        proposer: k.public(),
        tx_root: node_core::block::tx_root(&txs),
        receipts_root: [2; 32],
        state_root: [4; 32],
    };
    let signed = Certificate::sign(&header.hash(), &k);
    vec![
        Block { header: header.clone(), txs: txs.clone(), certificate: signed },
        Block {
            header: header.clone(),
            txs: txs[..1].to_vec(),
            certificate: Certificate { signatures: Vec::new(), finalization: vec![5; 40] },
        },
        Block { header, txs: Vec::new(), certificate: Certificate::default() },
    ]
}

fn sample_receipts() -> Vec<Vec<Receipt>> {
    let rows = RowSet {
        columns: vec!["id".into(), "名前".into()],
        rows: vec![every_value(), vec![Value::Integer(1), Value::Null]],
    };
    let ok = Receipt {
        tx_hash: [7; 32],
        results: vec![
            StatementResult { rows_affected: 2, returning: Some(rows) },
            StatementResult { rows_affected: 0, returning: None },
        ],
        failure: None,
    };
    let failed = Receipt {
        tx_hash: [8; 32],
        results: Vec::new(),
        failure: Some(TxFailure { statement_index: 1, sqlstate: "23505".into(), message: "clé dupliquée".into() }),
    };
    vec![vec![ok.clone(), failed.clone()], vec![failed], vec![ok], Vec::new()]
}

// ---------------------------------------------------------------------------
// Decoders

proptest! {
    #![proptest_config(runner_config(20_000))]

    /// Decoding never panics, and whatever decodes is the one encoding of
    /// its value: it re-encodes to the same bytes (no malleability).
    #[test]
    fn tx_decoding(bytes in bytes_from(sample_txs().iter().map(SignedTx::to_bytes).collect())) {
        if let Ok(tx) = SignedTx::from_bytes(&bytes) {
            prop_assert_eq!(tx.to_bytes(), bytes);
            let again = SignedTx::from_bytes(&tx.to_bytes()).unwrap();
            prop_assert_eq!(again.hash(), tx.hash());
        }
    }

    #[test]
    fn block_decoding(bytes in bytes_from(sample_blocks().iter().map(Block::to_bytes).collect())) {
        if let Ok(block) = Block::from_bytes(&bytes) {
            prop_assert_eq!(block.to_bytes(), bytes);
            prop_assert_eq!(Block::from_bytes(&block.to_bytes()).unwrap().hash(), block.hash());
        }
    }

    #[test]
    fn receipts_decoding(bytes in bytes_from(sample_receipts().iter().map(|r| encode_receipts(r)).collect())) {
        if let Ok(receipts) = decode_receipts(&bytes) {
            prop_assert_eq!(encode_receipts(&receipts), bytes);
        }
    }
}

#[test]
fn the_seeds_decode_to_themselves() {
    for tx in sample_txs() {
        assert_eq!(SignedTx::from_bytes(&tx.to_bytes()).unwrap().to_bytes(), tx.to_bytes());
        assert!(tx.verify_signature());
    }
    for b in sample_blocks() {
        assert_eq!(Block::from_bytes(&b.to_bytes()).unwrap().to_bytes(), b.to_bytes());
    }
    for r in sample_receipts() {
        assert_eq!(encode_receipts(&decode_receipts(&encode_receipts(&r)).unwrap()), encode_receipts(&r));
    }
}

// ---------------------------------------------------------------------------
// Config

fn config_seeds() -> Vec<String> {
    let mut network = Config::default();
    network.network.peers =
        vec![node::config::Peer { public_key: hex::encode([1u8; 32]), addr: "10.0.0.2:5125".into() }];
    vec![
        Config::default().to_toml(),
        network.to_toml(),
        // README: pg.hba.
        "[[pg.hba]]\nrole = \"reporting\"        # a role, or \"all\" (the default)\n\
         address = \"127.0.0.1\"     # an address, a CIDR block like \"10.0.0.0/8\", or \"all\" (the default)\n\
         method = \"trust\"\n\n[[pg.hba]]\nmethod = \"scram-sha-256\"\n"
            .into(),
        // README: TLS.
        "[pg]\ntls_cert = \"server.crt\"\ntls_key = \"server.key\"\n".into(),
        // README: the configuration table, one key each.
        "http_addr = \"127.0.0.1:5005\"\n[chain]\nmax_txs_per_block = 5000\nmax_block_time_ms = 0\n\
         [limits]\npool_txs_max = 100000\ntx_bytes_max = 16777216\ntx_lifetime_max_ms = 120000\n\
         tx_lifetime_default_ms = 30000\nstatement_bytes_max = 1048576\nresult_rows_max = 100000\n\
         rpc_body_bytes_max = 8388608\nrpc_batch_max = 100\nrpc_connections_max = 1024\n\
         [pg]\naddr = \"127.0.0.1:5433\"\ndatabase = \"rowchain\"\nconnections_max = 256\n\
         message_bytes_max = 16777216\nblock_statements_max = 10000\ncopy_rows_max = 200000\n"
            .into(),
    ]
}

proptest! {
    #![proptest_config(runner_config(1500))]

    /// Parsing never panics, and a parsed config survives `to_toml` unchanged.
    #[test]
    fn config_parsing(text in text_from(config_seeds())) {
        if let Ok(c) = Config::parse(&text) {
            let toml = c.to_toml();
            let again = Config::parse(&toml);
            prop_assert!(again.is_ok(), "{toml}\n{:?}", again.err());
            prop_assert_eq!(again.unwrap().to_toml(), toml);
        }
    }
}

#[test]
fn the_config_seeds_parse() {
    for seed in config_seeds() {
        assert!(Config::parse(&seed).is_ok(), "{seed}");
    }
}

// ---------------------------------------------------------------------------
// PostgreSQL date/time text and input functions

fn datetime_seeds() -> Vec<String> {
    [
        "2024-02-29",
        "2024-02-29 13:14:15",
        "2024-02-29T13:14:15.250Z",
        "2024-02-29 13:14:15.123456+02",
        "2024-02-29 13:14:15-0530",
        "2024-02-29 13:14:15+05:30",
        "0000-01-01 00:00:00",
        "294276-12-31 23:59:59.999999",
        "  1999-12-31 23:59  ",
    ]
    .map(str::to_string)
    .to_vec()
}

/// Midnight of 0000-01-01, the earliest instant rowchain prints so that it
/// reads it back (earlier years print with a minus sign parse_date refuses).
const YEAR_ZERO_MICROS: i64 = -62_167_219_200_000_000;

proptest! {
    #![proptest_config(runner_config(20_000))]

    /// Parsing never panics; a stored form parses to itself.
    #[test]
    fn datetime_parsing(text in text_from(datetime_seeds()), oid in prop_oneof![Just(1082u32), Just(1114), Just(1184)]) {
        let _ = pgtime::parse_date(&text);
        let _ = pgtime::parse_timestamp(&text);
        if let Some(stored) = pgtime::canonical(&text, oid) {
            if !stored.starts_with('-') {
                prop_assert_eq!(pgtime::canonical(&stored, oid), Some(stored.clone()), "from {:?}", text);
            }
        }
    }

    #[test]
    fn timestamps_print_and_parse_back(micros in YEAR_ZERO_MICROS.., tz in any::<bool>()) {
        let text = pgtime::format_timestamp(micros, tz);
        prop_assert_eq!(pgtime::parse_timestamp(&text), Some(micros), "{}", text);
    }

    #[test]
    fn day_counts_convert_both_ways(days in any::<i64>()) {
        let (y, m, d) = pgtime::civil_from_days(days);
        prop_assert_eq!(pgtime::days_from_civil(y, m, d), Some(days));
    }
}

fn input_function_seeds() -> Vec<String> {
    let mut seeds = datetime_seeds();
    seeds.extend(
        [
            " 42 ",
            "+7",
            "-9223372036854775808",
            "1.5e2",
            "-Infinity",
            "NaN",
            "true",
            " yes ",
            "off",
            r#"{"bb":1,"a":{"y":2,"x":[true,null]},"a":3}"#,
            "[1, 2.5, \"Ü\"]",
            "^[a-zé]+$",
            "(a|b)*c",
        ]
        .map(str::to_string),
    );
    seeds
}

proptest! {
    #![proptest_config(runner_config(1500))]

    /// Every input function answers a value or one of its SQLSTATEs.
    #[test]
    fn input_functions(text in text_from(input_function_seeds()), other in text_from(input_function_seeds())) {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        node_exec::pgfns::register(&conn).unwrap();
        let _ = node_exec::pgfns::jsonb_text(&text);
        for sql in [
            "SELECT rc_int(?1, 16)", "SELECT rc_int(?1, 32)", "SELECT rc_int(?1, 64)",
            "SELECT rc_real(?1, 'numeric')", "SELECT rc_bool(?1)", "SELECT rc_div(?1, ?2)",
            "SELECT rc_datetime(?1, 1082)", "SELECT rc_datetime(?1, 1114)", "SELECT rc_datetime(?1, 1184)",
            "SELECT rc_json(?1)", "SELECT rc_jsonb(?1)", "SELECT rc_regex(?1, ?2, '')", "SELECT rc_regex(?2, ?1, 'i')",
        ] {
            let params: &[&dyn rusqlite::ToSql] = if sql.contains("?2") { &[&text, &other] } else { &[&text] };
            if let Err(e) = conn.query_row(sql, params, |r| r.get::<_, rusqlite::types::Value>(0)) {
                let err = node_exec::executor::sql_error(&e);
                prop_assert!(
                    node_exec::pgfns::SQLSTATES.contains(&err.sqlstate),
                    "{sql} with {text:?}, {other:?}: {} {}", err.sqlstate, err.message
                );
            }
        }
    }
}

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
        assert!(node::init_dev(&dir).unwrap());
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
            node::rpc::serve(served, listener, async move {
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
