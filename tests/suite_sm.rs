//! A chain of the `sm` crypto suite (SM2, SM3, SM4-GCM) end to end: made by
//! `rowchain dev --suite sm`, written and read through the PostgreSQL wire
//! by two roles, its ledger SM throughout, its keystore sealed with SM4, a
//! standard-suite tx refused with the reason, and `verify --replay` green.

mod common;

use common::pg::{connect, connect_as, refused, rows};
use common::{text, verify, Dev};
use node_chain::ledger::{Ledger, LedgerRead};
use node_core::crypto::Suite;
use node_core::tx::{Dialect, Payload, Statement, TxBody};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sm_chain_end_to_end() {
    let mut dev = Dev::start_with_args("suite-sm", &["--suite", "sm"]);
    let status = dev.rpc("status", json!({}))["result"].clone();
    assert_eq!(status["suite"], "sm", "{status}");
    let genesis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dev.dir.join("genesis.json")).unwrap()).unwrap();
    assert_eq!(genesis["crypto_suite"], "sm");
    // Compressed SM2 keys: 33 bytes, 02 or 03 first.
    for key in [&genesis["validators"][0], &genesis["accounts"][0]["public_key"]] {
        let key = key.as_str().unwrap();
        assert!(key.len() == 66 && (key.starts_with("02") || key.starts_with("03")), "{key}");
    }

    // Two roles write and read through the PostgreSQL wire.
    let admin = connect_as(&dev, "admin").await;
    admin.batch_execute("CREATE TABLE ledger (id int PRIMARY KEY, who text, amount numeric(12,2))").await.unwrap();
    admin.batch_execute("INSERT INTO ledger VALUES (1, 'admin', 10.50)").await.unwrap();
    admin.batch_execute("CREATE ROLE bob PASSWORD 'pw-bob'").await.unwrap();
    admin.batch_execute("GRANT SELECT, INSERT ON ledger TO bob").await.unwrap();
    let bob = connect_as(&dev, "bob").await;
    bob.batch_execute("INSERT INTO ledger VALUES (2, current_user, 0.25)").await.unwrap();
    // A transaction block too: its observed digest is SM3.
    bob.batch_execute("BEGIN; INSERT INTO ledger VALUES (3, 'bob', 1); SELECT count(*) FROM ledger; COMMIT")
        .await
        .unwrap();
    let (state, _) = refused(&bob, "DELETE FROM ledger").await;
    assert_eq!(state, "42501");
    assert_eq!(
        rows(&admin, "SELECT id, who, amount FROM ledger ORDER BY id").await,
        vec![
            vec![Some("1".into()), Some("admin".into()), Some("10.50".into())],
            vec![Some("2".into()), Some("bob".into()), Some("0.25".into())],
            vec![Some("3".into()), Some("bob".into()), Some("1.00".into())],
        ]
    );
    assert!(connect(&dev, "bob", "wrong").await.is_err());

    // A tx signed under the standard suite is refused, saying why.
    let chain_id = status["chain_id"].as_str().unwrap().to_owned();
    let stranger = Suite::Standard.generate_key();
    let tx = TxBody {
        chain_id,
        account: stranger.public(),
        id: [7; 16],
        expires_at_ms: node::now_ms() + 60_000,
        dialect: Dialect::Postgres,
        payload: Payload::Sql(vec![Statement { sql: "INSERT INTO ledger VALUES (9, 'x', 1)".into(), params: vec![] }]),
    }
    .sign(&stranger);
    let r = dev.rpc("submit_tx", json!({"tx": hex::encode(tx.to_bytes()), "wait": true}));
    let msg = r["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(msg.contains("signed under the standard crypto suite") && msg.contains("this chain's suite is sm"), "{r}");

    // The keystore is sealed with SM4-GCM under SM3-derived keys: the sm
    // suite opens it, the standard suite cannot.
    let keystore = dev.dir.join("keystore.json");
    let admin_key = node::keystore::Keystore::open(&keystore, Suite::Sm).unwrap().unlock("admin", "admin").unwrap();
    assert_eq!(admin_key.suite(), Suite::Sm);
    assert!(node::keystore::Keystore::open(&keystore, Suite::Standard).unwrap().unlock("admin", "admin").is_err());

    drop((admin, bob));
    dev.stop();
    // Every block of the ledger is an SM block: SM2 proposer and signer
    // keys, SM3 header hashes, each certificate an SM2 signature.
    let ledger = Ledger::open_read_only(&dev.dir.join("ledger")).unwrap();
    let head = ledger.head().unwrap().unwrap();
    let mut txs = 0;
    for h in 0..=head {
        let b = ledger.block(h).unwrap().unwrap();
        assert_eq!(b.header.suite(), Suite::Sm, "block {h}");
        assert!(b.txs.iter().all(|t| t.body.account.suite() == Suite::Sm && t.verify_signature()), "block {h}");
        let (key, sig) = b.certificate.signatures[0];
        assert!(node_core::crypto::verify(&key, &node_core::block::Certificate::message(&b.hash()), &sig));
        txs += b.txs.len();
    }
    assert!(txs >= 6, "{txs} txs");
    drop(ledger);
    let out = verify(&dev.dir, true);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("; crypto suite sm (SM3, SM2, SM4-GCM)"), "{}", text(&out.stdout));

    // The suite is genesis's: asking for another one on this chain is refused.
    let out = dev.cli(&["dev", "--data", dev.dir.to_str().unwrap(), "--suite", "standard"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("was made with the sm crypto suite"), "{}", text(&out.stderr));
}
