//! SQL-level cursors end to end over the PostgreSQL wire: DECLARE in a
//! transaction block, FETCH in sizes (over the extended protocol too, typed
//! as the cursor's columns), FETCH ALL, MOVE, CLOSE, scrolling and NO
//! SCROLL, WITH HOLD across COMMIT but not ROLLBACK, savepoints, BINARY
//! cursors, errors with PostgreSQL's SQLSTATEs and messages; a cursor reads
//! as its role may (row-level security, privileges) and sees its block's
//! own writes; a signed tx holding a cursor statement is refused.
//! `olive` owns the tables, `gary` and `stan` write notes of their own.

mod common;

use common::pg::{connect_as as connect, counts, refused, rows};
use common::Dev;
use serde_json::json;
use tokio_postgres::{Client, SimpleQueryMessage};

fn s(row: &[&str]) -> Vec<Option<String>> {
    row.iter().map(|v| Some(v.to_string())).collect()
}

/// One-column rows.
fn col(values: &[&str]) -> Vec<Vec<Option<String>>> {
    values.iter().map(|v| s(&[v])).collect()
}

/// The SQLSTATE, message and hint of a statement that must fail.
async fn refusal(c: &Client, sql: &str) -> (String, String, Option<String>) {
    let e = c.simple_query(sql).await.err().unwrap_or_else(|| panic!("{sql}: succeeded, must be refused"));
    let db = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
    (db.code().code().to_string(), db.message().to_string(), db.hint().map(str::to_string))
}

/// The command tags' words and counts of a simple query, e.g. `("FETCH", 3)`:
/// tokio-postgres gives the count, the row description tells FETCH from MOVE.
async fn tagged(c: &Client, sql: &str) -> (bool, Vec<u64>) {
    let messages = c.simple_query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    let described = messages.iter().any(|m| matches!(m, SimpleQueryMessage::RowDescription(_)));
    let counts = messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(n),
            _ => None,
        })
        .collect();
    (described, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_fetch_move_and_close_as_postgresql() {
    let dev = Dev::start("cursors");
    let admin = connect(&dev, "admin").await;
    for role in ["olive", "gary", "stan"] {
        admin.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")).await.unwrap();
    }
    let (olive, gary, stan) = (connect(&dev, "olive").await, connect(&dev, "gary").await, connect(&dev, "stan").await);
    olive
        .batch_execute(
            "CREATE TABLE nums (n int PRIMARY KEY, word text NOT NULL);
             INSERT INTO nums VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four'), (5, 'five'),
               (6, 'six'), (7, 'seven'), (8, 'eight'), (9, 'nine'), (10, 'ten')",
        )
        .await
        .unwrap();

    // Only inside a transaction block, unless WITH HOLD.
    assert_eq!(
        refusal(&olive, "DECLARE c CURSOR FOR SELECT n FROM nums").await,
        ("25P01".into(), "DECLARE CURSOR can only be used in transaction blocks".into(), None)
    );

    // FETCH in sizes, then ALL, then past the end; MOVE counts what it passes.
    olive.batch_execute("BEGIN").await.unwrap();
    assert_eq!(counts(&olive, "DECLARE c CURSOR FOR SELECT n, word FROM nums ORDER BY n").await, vec![0]);
    assert_eq!(rows(&olive, "FETCH 3 FROM c").await, vec![s(&["1", "one"]), s(&["2", "two"]), s(&["3", "three"])]);
    assert_eq!(tagged(&olive, "FETCH FORWARD 2 FROM c").await, (true, vec![2]));
    assert_eq!(rows(&olive, "FETCH NEXT FROM c").await, vec![s(&["6", "six"])]);
    assert_eq!(tagged(&olive, "MOVE 2 IN c").await, (false, vec![2]));
    assert_eq!(rows(&olive, "FETCH ALL FROM c").await, vec![s(&["9", "nine"]), s(&["10", "ten"])]);
    assert_eq!(tagged(&olive, "FETCH c").await, (true, vec![0]));
    // Backward: a cursor over a plain scan scrolls, as PostgreSQL's does.
    assert_eq!(rows(&olive, "FETCH PRIOR FROM c").await, vec![s(&["10", "ten"])]);
    assert_eq!(rows(&olive, "FETCH BACKWARD 2 FROM c").await, vec![s(&["9", "nine"]), s(&["8", "eight"])]);
    assert_eq!(rows(&olive, "FETCH FIRST FROM c").await, vec![s(&["1", "one"])]);
    assert_eq!(rows(&olive, "FETCH ABSOLUTE -3 FROM c").await, vec![s(&["8", "eight"])]);
    assert_eq!(rows(&olive, "FETCH RELATIVE 0 FROM c").await, vec![s(&["8", "eight"])]);
    assert_eq!(tagged(&olive, "MOVE BACKWARD ALL IN c").await, (false, vec![7]));
    // Over the extended protocol, a FETCH is described with the cursor's
    // column types: n is an int4, word a text.
    let fetched = olive.query("FETCH 2 FROM c", &[]).await.unwrap();
    let typed: Vec<(i32, String)> = fetched.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(typed, vec![(1, "one".to_string()), (2, "two".to_string())]);
    let statement = olive.prepare("FETCH FORWARD 1 FROM c").await.unwrap();
    let names: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["n", "word"]);
    assert_eq!(olive.query_one(&statement, &[]).await.unwrap().get::<_, i32>("n"), 3);
    // A cursor's query takes parameters.
    olive.execute("DECLARE p CURSOR FOR SELECT word FROM nums WHERE n > $1 ORDER BY n", &[&8i32]).await.unwrap();
    assert_eq!(rows(&olive, "FETCH ALL IN p").await, col(&["nine", "ten"]));
    // Closing, and closed.
    assert_eq!(counts(&olive, "CLOSE c").await, vec![0]);
    for sql in ["FETCH c", "MOVE c", "CLOSE c"] {
        assert_eq!(refused(&olive, sql).await, ("34000".into(), "cursor \"c\" does not exist".into()), "{sql}");
        olive.batch_execute("ROLLBACK; BEGIN").await.unwrap();
    }
    // A name in use.
    olive.batch_execute("DECLARE c CURSOR FOR SELECT 1").await.unwrap();
    assert_eq!(
        refused(&olive, "DECLARE c CURSOR FOR SELECT 2").await,
        ("42P03".into(), "cursor \"c\" already exists".into())
    );
    assert_eq!(refused(&olive, "FETCH c").await.0, "25P02");
    olive.batch_execute("ROLLBACK").await.unwrap();

    // NO SCROLL, and a default cursor over a plan PostgreSQL cannot run
    // backward, move only forward; the cursor then cannot run at all.
    olive.batch_execute("BEGIN; DECLARE f NO SCROLL CURSOR FOR SELECT n FROM nums ORDER BY n").await.unwrap();
    assert_eq!(rows(&olive, "FETCH ABSOLUTE 4 FROM f").await, col(&["4"]));
    let forward_only = (
        "55000".to_string(),
        "cursor can only scan forward".to_string(),
        Some("Declare it with SCROLL option to enable backward scan.".to_string()),
    );
    assert_eq!(refusal(&olive, "FETCH PRIOR FROM f").await, forward_only);
    olive.batch_execute("ROLLBACK; BEGIN; DECLARE g CURSOR FOR SELECT count(*) FROM nums").await.unwrap();
    assert_eq!(rows(&olive, "FETCH g").await, col(&["10"]));
    olive.batch_execute("SAVEPOINT s").await.unwrap();
    assert_eq!(refusal(&olive, "FETCH FIRST FROM g").await, forward_only);
    olive.batch_execute("ROLLBACK TO s").await.unwrap();
    assert_eq!(refused(&olive, "FETCH g").await, ("55000".into(), "portal \"g\" cannot be run".into()));
    olive.batch_execute("ROLLBACK").await.unwrap();

    // ROLLBACK TO a savepoint closes the cursors declared after it; the
    // others keep their place.
    olive
        .batch_execute(
            "BEGIN;
             DECLARE before CURSOR FOR SELECT n FROM nums ORDER BY n;
             SAVEPOINT s;
             DECLARE after CURSOR FOR SELECT n FROM nums ORDER BY n;
             MOVE 2 IN before;
             ROLLBACK TO SAVEPOINT s",
        )
        .await
        .unwrap();
    assert_eq!(rows(&olive, "FETCH before").await, col(&["3"]));
    assert_eq!(refused(&olive, "FETCH after").await.0, "34000");
    olive.batch_execute("ROLLBACK").await.unwrap();

    // WITH HOLD: survives the COMMIT of its block, not a ROLLBACK; others
    // close with their block. Declared outside a block, it runs at once.
    olive
        .batch_execute(
            "BEGIN;
             DECLARE h CURSOR WITH HOLD FOR SELECT n FROM nums ORDER BY n;
             DECLARE w CURSOR WITHOUT HOLD FOR SELECT n FROM nums ORDER BY n;
             MOVE 2 IN h",
        )
        .await
        .unwrap();
    olive.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&olive, "FETCH 2 FROM h").await, col(&["3", "4"]));
    assert_eq!(refused(&olive, "FETCH w").await.0, "34000");
    olive.batch_execute("BEGIN; MOVE h; DECLARE h2 CURSOR WITH HOLD FOR SELECT 1; ROLLBACK").await.unwrap();
    assert_eq!(rows(&olive, "FETCH h").await, col(&["6"]), "a held cursor keeps its place through a later ROLLBACK");
    assert_eq!(refused(&olive, "FETCH h2").await.0, "34000");
    olive.batch_execute("DECLARE out CURSOR WITH HOLD FOR SELECT word FROM nums WHERE n = 10").await.unwrap();
    olive.batch_execute("DELETE FROM nums WHERE n = 10").await.unwrap();
    assert_eq!(rows(&olive, "FETCH out").await, col(&["ten"]), "a cursor's rows are those it was declared with");
    assert_eq!(counts(&olive, "CLOSE ALL").await, vec![0]);
    assert_eq!(refused(&olive, "FETCH h").await.0, "34000");
    // A query's error is DECLARE's.
    assert_eq!(refused(&olive, "DECLARE z CURSOR WITH HOLD FOR SELECT 1 / (n - n) FROM nums").await.0, "22012");

    // A cursor declared after a write in the same block sees the row; the
    // block commits it with the cursor's read checked.
    olive.batch_execute("BEGIN; INSERT INTO nums VALUES (11, 'eleven')").await.unwrap();
    olive.batch_execute("DECLARE mine CURSOR FOR SELECT n, word FROM nums WHERE n > 8 ORDER BY n").await.unwrap();
    olive.batch_execute("UPDATE nums SET word = 'NINE' WHERE n = 9").await.unwrap();
    assert_eq!(rows(&olive, "FETCH ALL mine").await, vec![s(&["9", "nine"]), s(&["11", "eleven"])]);
    olive.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&olive, "SELECT word FROM nums WHERE n >= 9 ORDER BY n").await, col(&["NINE", "eleven"]));

    // A cursor reads as its role may: row-level security filters it, and
    // a table the role may not read is 42501.
    olive
        .batch_execute(
            "CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL DEFAULT current_user, body text);
             GRANT SELECT, INSERT ON notes TO PUBLIC;
             ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
             CREATE POLICY own ON notes USING (owner = current_user);
             CREATE TABLE secret (x int)",
        )
        .await
        .unwrap();
    gary.batch_execute("INSERT INTO notes (body) VALUES ('g1'); INSERT INTO notes (body) VALUES ('g2')").await.unwrap();
    stan.batch_execute("INSERT INTO notes (body) VALUES ('s1')").await.unwrap();
    stan.batch_execute("BEGIN; DECLARE n CURSOR FOR SELECT owner, body FROM notes ORDER BY body").await.unwrap();
    assert_eq!(rows(&stan, "FETCH ALL FROM n").await, vec![s(&["stan", "s1"])]);
    stan.batch_execute("COMMIT").await.unwrap();
    stan.batch_execute("DECLARE n CURSOR WITH HOLD FOR SELECT body FROM notes ORDER BY body").await.unwrap();
    assert_eq!(rows(&stan, "FETCH ALL FROM n").await, col(&["s1"]));
    gary.batch_execute("BEGIN; INSERT INTO notes (body) VALUES ('g3')").await.unwrap();
    gary.batch_execute("DECLARE n CURSOR FOR SELECT body FROM notes ORDER BY body").await.unwrap();
    assert_eq!(rows(&gary, "FETCH ALL FROM n").await, col(&["g1", "g2", "g3"]));
    gary.batch_execute("COMMIT").await.unwrap();
    stan.batch_execute("BEGIN").await.unwrap();
    assert_eq!(refused(&stan, "DECLARE x CURSOR FOR SELECT * FROM secret").await.0, "42501");
    stan.batch_execute("ROLLBACK").await.unwrap();

    // BINARY: over the simple protocol the rows come in binary format (a
    // text's bytes, an int4's four big-endian bytes).
    let messages = olive
        .simple_query("BEGIN; DECLARE b BINARY CURSOR FOR SELECT word, n FROM nums WHERE n = 3; FETCH b; COMMIT")
        .await
        .unwrap();
    let row = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((r.get(0).map(str::to_string), r.get(1).map(str::as_bytes).map(<[u8]>::to_vec)))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(row, (Some("three".to_string()), Some(vec![0, 0, 0, 3])));

    // Syntax PostgreSQL refuses; a cursor statement in a signed tx, or as
    // a step of an interactive one, is refused by every validator (0A000).
    assert_eq!(refused(&olive, "FETCH 1 FROM c d").await.0, "42601");
    assert_eq!(refused(&olive, "DECLARE c CURSOR FOR INSERT INTO nums VALUES (12, 'x')").await.0, "42601");
    for sql in ["DECLARE c CURSOR WITH HOLD FOR SELECT 1", "FETCH 1 FROM c", "MOVE c", "CLOSE ALL"] {
        let receipt = signed(&dev, sql);
        assert_eq!(receipt["result"]["status"], "failed", "{sql}: {receipt}");
        assert_eq!(receipt["result"]["error"]["sqlstate"], "0A000", "{sql}: {receipt}");
    }

    drop((admin, olive, gary, stan));
    let mut dev = dev;
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}

/// Submits `sql` as the one statement of a tx the admin signs, and waits for its receipt.
fn signed(dev: &Dev, sql: &str) -> serde_json::Value {
    use node_core::tx::{Payload, Statement, TxBody};
    let chain_id = dev.rpc("status", json!({}))["result"]["chain_id"].as_str().unwrap_or_default().to_owned();
    let keystore =
        node::keystore::Keystore::open(&dev.dir.join("keystore.json"), node_core::crypto::Suite::Standard).unwrap();
    let admin = keystore.unlock("admin", "admin").unwrap();
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&node::now_ms().to_be_bytes());
    id[8] = sql.len() as u8;
    let body = TxBody {
        chain_id,
        account: admin.public(),
        id,
        expires_at_ms: node::now_ms() + 60_000,
        dialect: node_core::tx::Dialect::Postgres,
        payload: Payload::Sql(vec![Statement { sql: sql.to_string(), params: vec![] }]),
    };
    dev.rpc("submit_tx", json!({"tx": hex::encode(body.sign(&admin).to_bytes()), "wait": true}))
}
