//! End to end through the real binary: writes become signed txs in blocks,
//! reads come from the SQL view, failures are recorded and change nothing.

mod common;
use common::*;
use serde_json::{json, Value as Json};

fn err_state(r: &Json) -> String {
    if let Some(e) = r.get("error") {
        return e["data"]["sqlstate"].as_str().unwrap_or("").to_owned();
    }
    r["result"]["error"]["sqlstate"].as_str().unwrap_or("").to_owned()
}

#[test]
fn writes_reads_receipts_failures_and_system_views() {
    let dev = Dev::start("e2e");
    let r = dev.ok(
        "CREATE TABLE item (id int PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, price numeric(10,2) CHECK (price >= 0),
         created timestamptz DEFAULT now())",
    );
    assert_eq!(r["kind"], "receipt");
    let h_create = r["height"].as_u64().unwrap();
    assert!(h_create >= 1);

    // Multi-row INSERT with RETURNING: one tx, its receipt carries the rows.
    let r = dev.ok(
        "INSERT INTO item (id, name, price) VALUES (1, 'apple', 1.5), (2, 'pear', 2), (3, 'fig', 0) RETURNING id, name",
    );
    assert_eq!(r["rows_affected"], 3);
    assert_eq!(r["results"][0]["returning"]["rows"], json!([[1, "apple"], [2, "pear"], [3, "fig"]]));

    // The DEFAULT now() is the block's time, the same on every validator.
    let rows = dev.rows("SELECT created FROM item WHERE id = 1");
    let block_time = dev.rows(&format!("SELECT time FROM rowchain.blocks WHERE height = {}", r["height"]));
    assert_eq!(rows[0][0], block_time[0][0]);

    assert_eq!(dev.ok("UPDATE item SET price = price + 1 WHERE id >= 2")["rows_affected"], 2);
    assert_eq!(
        dev.ok("DELETE FROM item WHERE id = 3 RETURNING name")["results"][0]["returning"]["rows"],
        json!([["fig"]])
    );

    // A duplicate key fails the whole tx (both statements), is recorded, and changes nothing.
    let before = dev.rows("SELECT id, name, price FROM item ORDER BY id");
    let r = dev.sql("INSERT INTO item (id, name) VALUES (10, 'kiwi'); INSERT INTO item (id, name) VALUES (1, 'again')");
    assert_eq!(r["result"]["status"], "failed", "{r}");
    assert_eq!(err_state(&r), "23505");
    assert_eq!(r["result"]["error"]["statement_index"], 0);
    assert_eq!(dev.rows("SELECT id, name, price FROM item ORDER BY id"), before);
    let failed_hash = r["result"]["tx_hash"].as_str().unwrap().to_owned();

    // Check constraint and type errors get PostgreSQL's SQLSTATEs.
    assert_eq!(err_state(&dev.sql("INSERT INTO item (id, name, price) VALUES (20, 'neg', -1)")), "23514");
    assert_eq!(err_state(&dev.sql("INSERT INTO item (id, name) VALUES ('abc', 'x')")), "22P02");
    assert_eq!(err_state(&dev.sql("INSERT INTO nosuch VALUES (1)")), "42P01");
    // Non-deterministic functions are refused before anything is signed.
    assert_eq!(err_state(&dev.sql("INSERT INTO item (id, name, price) VALUES (30, 'r', random())")), "0A000");
    assert_eq!(err_state(&dev.sql("SELEC 1")), "42601");

    // rowchain.transactions records every tx, failed ones with their SQLSTATE.
    let t = dev.rows(&format!(
        "SELECT status, sqlstate, rows_affected, statement FROM rowchain.transactions WHERE tx_hash = '{failed_hash}'"
    ));
    assert_eq!(t[0][0], "failed");
    assert_eq!(t[0][1], "23505");
    assert_eq!(t[0][2], 0);
    assert!(t[0][3].as_str().unwrap().contains("'again'"));
    let committed = dev.rows("SELECT count(*) FROM rowchain.transactions WHERE status = 'committed'");
    assert_eq!(committed[0][0], 4, "create, insert, update, delete");
    // rowchain.blocks: a hash chain, one row per block.
    let blocks = dev.rows("SELECT height, hash, prev_hash, tx_count, state_root FROM rowchain.blocks ORDER BY height");
    assert_eq!(blocks.len() as u64, dev.height() + 1);
    for w in blocks.windows(2) {
        assert_eq!(w[1][2], w[0][1], "prev_hash links to the previous block");
    }
    assert!(blocks.iter().skip(1).all(|b| b[3].as_i64().unwrap() >= 1), "no empty blocks");

    // The JSON-RPC block and tx lookups agree with the views.
    let b = dev.rpc("get_block", json!({"height": blocks[1][0]}))["result"].clone();
    assert_eq!(b["hash"], blocks[1][1]);
    let tx = dev.rpc("get_tx", json!({"hash": failed_hash}))["result"].clone();
    assert_eq!(tx["receipt"]["status"], "failed");

    // Internal tables are not readable; unknown roles and wrong passwords are refused.
    assert_eq!(err_state(&dev.sql("SELECT * FROM __rc_accounts")), "42939");
    let r = dev.rpc("sql", json!({"sql": "SELECT 1", "role": "nobody", "password": "x"}));
    assert_eq!(err_state(&r), "28000");
    let r = dev.rpc("sql", json!({"sql": "SELECT 1", "role": "admin", "password": "wrong"}));
    assert_eq!(err_state(&r), "28P01");
}

#[test]
fn ddl_alter_index_and_tables_without_primary_key() {
    let dev = Dev::start("ddl");
    dev.ok("CREATE TABLE note (body text)");
    dev.ok("INSERT INTO note VALUES ('a'), ('b'), ('a')");
    dev.ok("ALTER TABLE note ADD COLUMN stars int DEFAULT 3");
    dev.ok("ALTER TABLE note RENAME COLUMN body TO text");
    dev.ok("ALTER TABLE note RENAME TO memo");
    dev.ok("CREATE INDEX memo_text ON memo (text)");
    assert_eq!(
        dev.rows("SELECT text, stars FROM memo ORDER BY text"),
        vec![vec![json!("a"), json!(3)], vec![json!("a"), json!(3)], vec![json!("b"), json!(3)]]
    );
    assert_eq!(dev.ok("DELETE FROM memo WHERE text = 'a'")["rows_affected"], 2);
    dev.ok("DROP INDEX memo_text");
    dev.ok("DROP TABLE memo");
    assert_eq!(err_state(&dev.sql("SELECT * FROM memo")), "42P01");
    let mut dev = dev;
    dev.stop();
    let out = verify(&dev.dir, true);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn signed_tx_submission_replay_and_expiry() {
    use node_core::crypto::SecretKey;
    use node_core::tx::{Payload, Statement, TxBody};
    // A small body limit in rowchain.toml, to check oversize requests.
    let dir = temp_dir("replay");
    std::fs::write(dir.join("rowchain.toml"), "[limits]\nrpc_body_bytes_max = 65536\n").unwrap();
    let mut dev = Dev::start_in(dir, free_port());
    dev.ok("CREATE TABLE t (id int PRIMARY KEY)");
    let chain_id = dev.rpc("status", json!({}))["result"]["chain_id"].as_str().unwrap().to_owned();
    let ks =
        node::keystore::Keystore::open(&dev.dir.join("keystore.json"), node_core::crypto::Suite::Standard).unwrap();
    let admin = ks.unlock("admin", "admin").unwrap();
    let now = node::now_ms();
    let tx = |key: &SecretKey, id: u8, expires: u64| {
        let body = TxBody {
            chain_id: chain_id.clone(),
            account: key.public(),
            id: [id; 16],
            expires_at_ms: expires,
            dialect: node_core::tx::Dialect::Postgres,
            payload: Payload::Sql(vec![Statement { sql: format!("INSERT INTO t VALUES ({id})"), params: vec![] }]),
        };
        hex::encode(body.sign(key).to_bytes())
    };
    let good = tx(&admin, 1, now + 60_000);
    let r = dev.rpc("submit_tx", json!({"tx": good, "wait": true}));
    assert_eq!(r["result"]["status"], "committed", "{r}");
    // The same signed tx again: refused, not applied twice.
    let r = dev.rpc("submit_tx", json!({"tx": good, "wait": true}));
    assert!(r["error"]["message"].as_str().unwrap().contains("already executed"), "{r}");
    // Expired, too far in the future, unknown account, tampered signature.
    let r = dev.rpc("submit_tx", json!({"tx": tx(&admin, 2, now - 1), "wait": true}));
    assert!(r["error"]["message"].as_str().unwrap().contains("expired"), "{r}");
    let r = dev.rpc("submit_tx", json!({"tx": tx(&admin, 3, now + 3_600_000), "wait": true}));
    assert!(r.get("error").is_some(), "{r}");
    let stranger = node_core::crypto::Suite::Standard.generate_key();
    let r = dev.rpc("submit_tx", json!({"tx": tx(&stranger, 4, now + 60_000), "wait": true}));
    assert!(r["error"]["message"].as_str().unwrap().contains("account does not exist"), "{r}");
    // A tx of the sm suite on this standard chain: refused, saying why.
    let sm = node_core::crypto::Suite::Sm.generate_key();
    let r = dev.rpc("submit_tx", json!({"tx": tx(&sm, 6, now + 60_000), "wait": true}));
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("signed under the sm crypto suite (SM3, SM2, SM4-GCM), and this chain's suite is standard"),
        "{r}"
    );
    let mut bad = hex::decode(tx(&admin, 5, now + 60_000)).unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let r = dev.rpc("submit_tx", json!({"tx": hex::encode(bad), "wait": true}));
    assert!(r["error"]["message"].as_str().unwrap().contains("signature"), "{r}");
    // Garbage and oversize requests get JSON-RPC errors, and the node keeps serving.
    let r = dev.rpc("submit_tx", json!({"tx": "00ff"}));
    assert_eq!(r["error"]["code"], -32602);
    let r = dev.rpc("no_such_method", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let post = |body: String| {
        let mut resp = ureq::post(&dev.url())
            .config()
            .http_status_as_error(false)
            .build()
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        resp.body_mut().read_json::<Json>().unwrap()
    };
    assert_eq!(post("{not json".into())["error"]["code"], -32700);
    let batch: Vec<Json> = (0..101).map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "status"})).collect();
    assert_eq!(post(Json::Array(batch).to_string())["error"]["code"], -32600);
    let two = json!([{"jsonrpc": "2.0", "id": 1, "method": "status"}, {"jsonrpc": "2.0", "id": 2, "method": "nope"}]);
    let replies = post(two.to_string());
    assert_eq!(replies[0]["result"]["chain_id"], json!(chain_id));
    assert_eq!(replies[1]["error"]["code"], -32601);
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sql\",\"params\":{{\"sql\":\"{}\"}}}}",
        "x".repeat(100_000)
    );
    assert_eq!(post(huge)["error"]["code"], -32600);
    assert_eq!(dev.rows("SELECT id FROM t"), vec![vec![json!(1)]]);
    // Many sessions of one role write at once: no per-account sequence to serialize on.
    let url = dev.url();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                for j in 0..10 {
                    let r = rpc(
                        &url,
                        "sql",
                        json!({"sql": format!("INSERT INTO t VALUES ({})", 100 + i * 10 + j),
                                                     "role": "admin", "password": "admin"}),
                    );
                    assert_eq!(r["result"]["status"], "committed", "{r}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(dev.rows("SELECT count(*) FROM t")[0][0], 81);
    dev.stop();
}

#[test]
fn cli_sql_restart_and_verify_catches_tampering() {
    let mut dev = Dev::start("cli");
    let url = dev.url();
    let out = dev.cli(&["sql", "--url", &url, "CREATE TABLE acct (id int PRIMARY KEY, owner text, balance int)"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("COMMITTED block "), "{}", text(&out.stdout));
    let out = dev.cli(&[
        "sql",
        "--url",
        &url,
        "--param",
        "7",
        "--param",
        "carol",
        "INSERT INTO acct VALUES ($1, $2, 100), (8, 'dave', 50) RETURNING owner",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("carol"), "{}", text(&out.stdout));
    let out = dev.cli(&["sql", "--url", &url, "SELECT owner, balance FROM acct ORDER BY id"]);
    assert_eq!(
        text(&out.stdout),
        " owner | balance \n-------+---------\n carol | 100     \n dave  | 50      \n(2 rows)\n"
    );
    let out = dev.cli(&["sql", "--url", &url, "INSERT INTO acct VALUES (7, 'again', 1)"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("23505"), "{}", text(&out.stderr));

    // Restart: the same chain continues.
    let height = dev.height();
    let (dir, port) = (dev.dir.clone(), dev.port);
    dev.stop();
    std::mem::forget(dev); // keep the directory
    let mut dev = Dev::start_in(dir, port);
    assert_eq!(dev.height(), height);
    let r = dev.ok("UPDATE acct SET balance = balance - 10 WHERE id = 7");
    assert_eq!(r["height"].as_u64().unwrap(), height + 1);
    dev.stop();

    let out = verify(&dev.dir, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("verified: height {}", height + 1)), "{}", text(&out.stdout));

    // Edit one row behind the chain's back: verify names the table and key.
    let db = rusqlite::Connection::open(dev.dir.join("state.sqlite")).unwrap();
    db.execute("UPDATE acct SET balance = 1000000 WHERE id = 8", []).unwrap();
    let out = verify(&dev.dir, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("table acct primary key (8)"), "{}", text(&out.stderr));
    db.execute("UPDATE acct SET balance = 50 WHERE id = 8", []).unwrap();
    assert!(verify(&dev.dir, false).status.success());
    db.execute("DELETE FROM acct WHERE id = 7", []).unwrap();
    let out = verify(&dev.dir, false);
    assert!(
        text(&out.stderr).contains("table acct primary key (7): in the ledger's state but missing from SQLite"),
        "{}",
        text(&out.stderr)
    );
    drop(db);

    // Flip one byte of a stored block: verify names the block.
    let ledger = node_chain::ledger::Ledger::open(&dev.dir.join("ledger")).unwrap();
    let key = node_chain::ledger::Ledger::block_key(2);
    let mut bytes = ledger.raw().get(&key).unwrap().unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    ledger.raw().put(&key, &bytes).unwrap();
    drop(ledger);
    let out = verify(&dev.dir, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("block 2"), "{}", text(&out.stderr));
}

/// A power loss can leave the SQL view a block ahead of the ledger's fsynced
/// head (acks wait for the fsync, so that block was never acknowledged). The
/// node sets such a view aside and rebuilds it from the ledger.
#[test]
fn view_ahead_of_the_ledger_is_rebuilt_from_the_ledger() {
    let mut dev = Dev::start("ahead");
    dev.ok("CREATE TABLE t (id int PRIMARY KEY)");
    dev.ok("INSERT INTO t VALUES (1)");
    let last = dev.ok("INSERT INTO t VALUES (2)")["height"].as_u64().unwrap();
    dev.stop();
    // Lose the last block from the ledger, as an unsynced write would be lost.
    let ledger = node_chain::ledger::Ledger::open(&dev.dir.join("ledger")).unwrap();
    ledger.raw().delete(node_chain::ledger::Ledger::block_key(last)).unwrap();
    ledger.raw().put(b"Mhead", (last - 1).to_be_bytes()).unwrap();
    drop(ledger);
    let (dir, port) = (dev.dir.clone(), dev.port);
    std::mem::forget(dev);
    let mut dev = Dev::start_in(dir, port);
    assert_eq!(dev.height(), last - 1);
    assert_eq!(dev.rows("SELECT id FROM t"), vec![vec![json!(1)]]);
    let aside = std::fs::read_dir(&dev.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("state.sqlite.ahead-"));
    assert!(aside, "the stale view is kept beside the data directory's files");
    dev.ok("INSERT INTO t VALUES (3)");
    dev.stop();
    let out = verify(&dev.dir, true);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}
