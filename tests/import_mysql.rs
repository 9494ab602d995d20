//! `rowchain import mysql://`: a chain following a MariaDB binlog. The
//! source is a private MariaDB server per test (tests/common/mariadb.rs)
//! written by a deterministic mixed load (tests/common/source_load.rs).

mod common;

use common::mariadb::Mariadb;
use common::source_load::{assert_same_rows, chain_rows, mariadb_rows, run_load, SCHEMA};
use common::{text, verify, Dev, BIN};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ITEM_COLUMNS: [&str; 14] = [
    "id", "sku", "name", "price", "weight", "qty", "big", "flag", "color", "note", "photo", "made", "updated", "rating",
];

/// The source harness itself: the server logs row events with full
/// metadata, the load commits exactly the transactions it reports (the
/// rolled-back ones leave nothing), and the rows read back unambiguously.
#[tokio::test(flavor = "multi_thread")]
async fn private_mariadb_has_a_row_binlog_and_runs_the_load() {
    let db = Mariadb::start("load");
    assert_eq!(db.sql("SELECT @@log_bin, @@binlog_format, @@binlog_row_metadata"), "1\tROW\tFULL\n");
    db.sql(SCHEMA);

    let committed = run_load(&db.url("shop"), 0, 60, 42, Some(30)).await;
    let expected: Vec<u64> = (0..60).filter(|i| i % 7 != 6).collect();
    assert_eq!(committed, expected);
    let events: Vec<u64> =
        db.sql("SELECT txid FROM events ORDER BY txid").lines().map(|l| l.parse().expect("a txid")).collect();
    assert_eq!(events, expected);

    // The binlog holds row events (no statements) for the committed writes.
    let status = db.sql("SHOW MASTER STATUS");
    let file = status.split('\t').next().expect("SHOW MASTER STATUS names the binlog file");
    let binlog = db.sql(&format!("SHOW BINLOG EVENTS IN '{file}'"));
    for kind in ["Table_map", "Write_rows_v1", "Update_rows_v1", "Delete_rows_v1"] {
        assert!(binlog.contains(&format!("\t{kind}\t")), "no {kind} event in {file}:\n{binlog}");
    }
    // (MariaDB also logs each row event's statement as an Annotate_rows
    // event: binlog_annotate_row_events is on by default.)
    let statement_writes = binlog.lines().map(|e| e.split('\t').collect::<Vec<_>>()).filter(|e| {
        e.get(2) == Some(&"Query")
            && ["INSERT", "UPDATE", "DELETE"].iter().any(|w| e.get(5).is_some_and(|q| q.contains(w)))
    });
    assert_eq!(statement_writes.count(), 0, "statement-format writes in {file}:\n{binlog}");

    let rows = mariadb_rows(&db, "items", &ITEM_COLUMNS);
    let count: usize = db.sql("SELECT COUNT(*) FROM items").trim().parse().unwrap();
    assert_eq!(rows.len(), count);
    assert!(rows.iter().all(|row| row.len() == ITEM_COLUMNS.len()));
    let cells = |name: &str| {
        let i = ITEM_COLUMNS.iter().position(|c| *c == name).expect("an items column");
        rows.iter().map(move |row| row[i].as_deref())
    };
    assert!(cells("rating").any(|r| r.is_some()), "no row has a rating after the ALTER");
    // NULL and the text 'NULL' stay apart; UTF-8, latin1 and tabs decode.
    let nulls: usize = db.sql("SELECT COUNT(*) FROM items WHERE name IS NULL").trim().parse().unwrap();
    assert_eq!(cells("name").filter(Option::is_none).count(), nulls);
    let texts: usize = db.sql("SELECT COUNT(*) FROM items WHERE name = 'NULL'").trim().parse().unwrap();
    assert_eq!(cells("name").filter(|n| *n == Some("NULL")).count(), texts);
    assert!(texts > 0 && nulls > 0, "the load writes NULL and 'NULL' names");
    assert!(cells("name").any(|n| n == Some("café ☕ 東京")), "{rows:?}");
    assert!(cells("name").any(|n| n == Some("tab\there\nnewline \\ backslash")), "{rows:?}");
    assert!(cells("note").any(|n| n == Some("naïve façade ½")), "{rows:?}");
    assert!(cells("photo").any(|p| p == Some("00ff00ff")), "{rows:?}");
    assert!(cells("updated").any(|u| u == Some("2024-02-29 13:45:01.5")), "{rows:?}");
    assert!(cells("weight").any(|w| w == Some("1e20")), "{rows:?}");
}

/// The chain's side of the comparison: the rows of a MariaDB table, written
/// into a chain table of the PostgreSQL types the import maps them to, read
/// back through `chain_rows` equal to `mariadb_rows` (the chain prints
/// `1e+20`, `.5` and `\x00ff` where MariaDB prints `1e20`, `.500000` and
/// `00FF`); and one changed cell is reported.
#[tokio::test(flavor = "multi_thread")]
async fn chain_rows_read_the_import_types_as_mariadb_rows_reads_the_source() {
    let db = Mariadb::start("compare");
    db.sql(SCHEMA);
    run_load(&db.url("shop"), 0, 40, 7, Some(10)).await;
    let source = mariadb_rows(&db, "items", &ITEM_COLUMNS);

    let dev = Dev::start("import-compare");
    dev.ok("CREATE TABLE items (id integer PRIMARY KEY, sku varchar(32) NOT NULL UNIQUE, name varchar(200), \
         price numeric(12,2) NOT NULL, weight double precision, qty bigint NOT NULL DEFAULT 0, big numeric(20,0), \
         flag smallint, color text, note text, photo bytea, made date, updated timestamp(6), rating smallint)");
    // The normalized text is valid PostgreSQL input for every column.
    for row in &source {
        let literal = |(cell, column): (&Option<String>, &&str)| match (cell, *column) {
            (None, _) => "NULL".to_string(),
            (Some(hex), "photo") => format!("'\\x{hex}'"),
            (Some(text), _) => format!("'{}'", text.replace('\'', "''")),
        };
        let values: Vec<String> = row.iter().zip(&ITEM_COLUMNS).map(literal).collect();
        dev.ok(&format!("INSERT INTO items ({}) VALUES ({})", ITEM_COLUMNS.join(", "), values.join(", ")));
    }
    let chain = chain_rows(dev.pg_port, "items", &ITEM_COLUMNS).await;
    assert_same_rows("items", &source, &chain);

    let id = source[source.len() / 2][0].clone().expect("an id");
    dev.ok(&format!("UPDATE items SET qty = qty + 1 WHERE id = {id}"));
    let changed = chain_rows(dev.pg_port, "items", &ITEM_COLUMNS).await;
    let report = std::panic::catch_unwind(|| assert_same_rows("items", &source, &changed))
        .expect_err("a changed qty is a difference");
    let report = report.downcast_ref::<String>().expect("a formatted panic message");
    assert!(report.contains("1 differences") && report.contains("differs:"), "{report}");
}

/// A running `rowchain import` (following, until killed).
struct Importer(std::process::Child);

impl Importer {
    fn start(source: &str, dev: &Dev) -> Importer {
        let child = Command::new(BIN)
            .args(["import", source, "--url", &dev.url(), "--name", "shop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rowchain import");
        Importer(child)
    }

    fn kill9(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `rowchain import … --once`: its exit status and everything it printed.
fn import_once(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).arg("import").args(args).arg("--once").output().expect("run rowchain import");
    (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

/// The source's position on the chain, as `rowchain.imports` shows it.
fn chain_position(dev: &Dev, source: &str) -> Option<String> {
    let rows = dev.rows(&format!("SELECT position FROM rowchain.imports WHERE source = '{source}'"));
    rows.first().and_then(|r| r[0].as_str().map(str::to_string))
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn assert_tables_equal(db: &Mariadb, dev: &Dev) {
    for (table, columns) in [("items", &ITEM_COLUMNS[..]), ("events", &["txid", "kind", "at"][..])] {
        let source = mariadb_rows(db, table, columns);
        let chain = chain_rows(dev.pg_port, table, columns).await;
        assert_same_rows(table, &source, &chain);
    }
}

/// The two proofs at once: after a mixed load (inserts, updates,
/// deletes, multi-row transactions, rollbacks, an added column) during
/// which the importer is SIGKILLed and restarted ten times, the chain's
/// tables equal the source's row by row, and every committed source
/// transaction is on the chain exactly once: one committed import tx per
/// source transaction, none missing (each writes its own `events` row).
#[tokio::test(flavor = "multi_thread")]
async fn import_follows_the_binlog_exactly_once_through_kills() {
    let db = Mariadb::start("import-kills");
    db.sql_in("shop", SCHEMA);
    let url = db.url("shop");
    let snapshotted = run_load(&url, 0, 80, 7, None).await;
    let dev = Dev::start("import-kills");

    // The first start copies a snapshot; it may be killed during it.
    let importer = Importer::start(&url, &dev);
    tokio::time::sleep(Duration::from_millis(150)).await;
    importer.kill9();
    let mut importer = Importer::start(&url, &dev);
    let follows = || chain_position(&dev, "shop").is_some_and(|p| p.starts_with("mariadb-bin."));
    tokio::task::block_in_place(|| wait_for("the snapshot", follows));

    // Ten chunks of load; the importer dies at a random moment of each.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut streamed = Vec::new();
    let mut killed_behind = 0;
    for chunk in 0..10u64 {
        let load = tokio::spawn({
            let url = url.clone();
            async move { run_load(&url, 1_000 + chunk * 100, 30, chunk + 11, (chunk == 4).then_some(12)).await }
        });
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(rng % 250)).await;
        let source_end = db.sql("SHOW MASTER STATUS").split('\t').take(2).collect::<Vec<_>>().join(":");
        killed_behind += usize::from(chain_position(&dev, "shop").is_some_and(|p| p != source_end));
        importer.kill9();
        importer = Importer::start(&url, &dev);
        streamed.extend(load.await.expect("the load ran"));
    }
    importer.kill9();
    // The kills must land while there was work to do, or they prove nothing.
    assert!(killed_behind >= 3, "only {killed_behind} of 10 kills found the importer behind the source");
    let (ok, out) = import_once(&[&url, "--url", &dev.url(), "--name", "shop"]);
    assert!(ok, "the last import failed:\n{out}");

    assert_tables_equal(&db, &dev).await;
    let txids: Vec<i64> =
        dev.rows("SELECT txid FROM events ORDER BY txid").iter().map(|r| r[0].as_i64().unwrap()).collect();
    let expected: Vec<i64> = snapshotted.iter().chain(&streamed).map(|&t| t as i64).collect();
    assert_eq!(txids, expected, "a source transaction is missing or doubled");
    // One committed chain tx per streamed source transaction, plus the
    // snapshot's last batch (which only moves the position) and the ALTER.
    let committed = dev.rows(
        "SELECT count(*) FROM rowchain.transactions WHERE status = 'committed' AND statement LIKE 'IMPORT shop AT mariadb-bin.%'",
    );
    assert_eq!(committed[0][0].as_i64(), Some(streamed.len() as i64 + 2));

    let mut dev = dev;
    dev.stop();
    let v = verify(&dev.dir, true);
    assert!(v.status.success(), "verify --replay: {}{}", text(&v.stdout), text(&v.stderr));
}

/// What stops an import, with its reason: settings a row-by-row follow
/// cannot work with, and a position the source has purged. And an import
/// that opens a stopped node's data directory in-process (`--data`).
#[tokio::test(flavor = "multi_thread")]
async fn wrong_settings_and_a_purged_position_stop_the_import() {
    let db = Mariadb::start("import-purge");
    db.sql_in("shop", SCHEMA);
    let url = db.url("shop");
    run_load(&url, 0, 10, 3, None).await;
    let mut dev = Dev::start("import-purge");
    let rpc = dev.url();

    db.sql("SET GLOBAL binlog_row_metadata = 'MINIMAL'");
    let (ok, out) = import_once(&[&url, "--url", &rpc]);
    assert!(!ok && out.contains("binlog_row_metadata is MINIMAL, needs FULL"), "{out}");
    db.sql("SET GLOBAL binlog_row_metadata = 'FULL'");
    let (ok, out) = import_once(&[&url, "--url", &rpc]);
    assert!(ok, "{out}");
    let source = format!("127.0.0.1:{}/shop", db.port);
    let position = chain_position(&dev, &source).expect("the import's position");
    assert!(position.starts_with("mariadb-bin.000001:"), "{position}");

    // The source moves to a new binlog file and purges the one the import stands in.
    db.sql("FLUSH BINARY LOGS");
    run_load(&url, 100, 5, 4, None).await;
    // The server keeps a file while a replica (the last import's dump
    // thread, until the server notices it left) still reads it.
    wait_for("the purge", || {
        db.sql("PURGE BINARY LOGS TO 'mariadb-bin.000002'");
        !db.sql("SHOW BINARY LOGS").contains("mariadb-bin.000001")
    });
    let (ok, out) = import_once(&[&url, "--url", &rpc]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("purged binlog mariadb-bin.000001")
            && out.contains("the oldest position it still has is mariadb-bin.000002:4"),
        "{out}"
    );
    assert_eq!(chain_position(&dev, &source).as_deref(), Some(position.as_str()), "a refused import moved nothing");

    // Another database, imported into the stopped node's data directory in this process.
    db.sql("CREATE DATABASE other");
    db.sql_in(
        "other",
        "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'ä'), (2, NULL)",
    );
    dev.stop();
    let data = dev.dir.display().to_string();
    let (ok, out) = import_once(&[&db.url("other"), "--data", &data, "--name", "other"]);
    assert!(ok, "{out}");
    let v = verify(&dev.dir, true);
    assert!(v.status.success(), "verify --replay: {}{}", text(&v.stdout), text(&v.stderr));
    let dev = Dev::start_in(dev.dir.clone(), common::free_port());
    assert_eq!(
        chain_rows(dev.pg_port, "notes", &["id", "body"]).await,
        vec![vec![Some("1".to_string()), Some("ä".to_string())], vec![Some("2".to_string()), None]]
    );
}

/// A source transaction larger than `limits.tx_bytes_max` stops the import,
/// naming it; `--split-rows` lets it through as several txs, each with its
/// own position inside the transaction.
#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_over_the_size_limit_stops_unless_split() {
    let db = Mariadb::start("import-split");
    db.sql_in("shop", "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT)");
    let dev = Dev::start_with_config("import-split", "[limits]\ntx_bytes_max = 65536\n");
    let url = db.url("shop");
    let (ok, out) = import_once(&[&url, "--url", &dev.url(), "--name", "docs"]);
    assert!(ok, "{out}");
    let rows: Vec<String> = (0..100).map(|i| format!("({i}, REPEAT('x', 1000))")).collect();
    db.sql_in("shop", &format!("START TRANSACTION; INSERT INTO docs VALUES {}; COMMIT", rows.join(", ")));
    // Row events hold at most a few KB each: the transaction is several statements.
    let end = db.sql("SHOW MASTER STATUS").split('\t').take(2).collect::<Vec<_>>().join(":");

    let (ok, out) = import_once(&[&url, "--url", &dev.url(), "--name", "docs"]);
    assert!(!ok, "{out}");
    let refusal = format!("the chain refused the source transaction ending at {end}: 54000");
    assert!(out.contains(&refusal) && out.contains("limits.tx_bytes_max"), "{out}");

    let (ok, out) = import_once(&[&url, "--url", &dev.url(), "--name", "docs", "--split-rows", "4"]);
    assert!(ok, "{out}");
    assert_eq!(chain_position(&dev, "docs"), Some(end.clone()));
    let n = dev.rows("SELECT count(*), sum(length(body)) FROM docs");
    assert_eq!((n[0][0].as_i64(), n[0][1].as_i64()), (Some(100), Some(100_000)));
    let parts = dev.rows(
        "SELECT count(*) FROM rowchain.transactions WHERE status = 'committed' AND statement LIKE 'IMPORT docs AT %#%'",
    );
    assert!(parts[0][0].as_i64().is_some_and(|p| p >= 1), "no part of the split transaction: {parts:?}");
}

/// `--from D-S-N`: a MariaDB GTID starts a new import just after that
/// GTID's transaction. The chain's tables start empty and then hold exactly
/// the transactions the source committed after it; a GTID the binlogs do
/// not hold is refused by name.
#[tokio::test(flavor = "multi_thread")]
async fn a_mariadb_gtid_starts_the_import_just_after_its_transaction() {
    let db = Mariadb::start("import-gtid");
    db.sql_in("shop", SCHEMA);
    let url = db.url("shop");
    run_load(&url, 0, 12, 5, None).await;
    // The last transaction the source committed: the import starts after it.
    let gtid = db.sql("SELECT @@gtid_binlog_pos").trim().to_string();
    assert!(gtid.starts_with("0-1-"), "{gtid}");
    let after = run_load(&url, 100, 12, 6, None).await;
    let dev = Dev::start("import-gtid");

    let (ok, out) = import_once(&[&url, "--url", &dev.url(), "--name", "from-gtid", "--from", &gtid]);
    assert!(ok, "the import from {gtid} failed:\n{out}");
    let txids: Vec<i64> =
        dev.rows("SELECT txid FROM events ORDER BY txid").iter().map(|r| r[0].as_i64().unwrap()).collect();
    let expected: Vec<i64> = after.iter().map(|&t| t as i64).collect();
    assert_eq!(txids, expected, "the chain holds other transactions than those after {gtid}");

    let (ok, out) = import_once(&[&url, "--url", &dev.url(), "--name", "no-such-gtid", "--from", "0-1-999999"]);
    assert!(!ok, "an import from a GTID the source lacks succeeded:\n{out}");
    assert!(out.contains("hold no transaction of GTID 0-1-999999"), "{out}");
}
