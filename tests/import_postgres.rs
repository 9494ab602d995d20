//! `rowchain import postgres://`: a chain following a PostgreSQL server
//! through a logical replication slot (pgoutput). The source is a private
//! PostgreSQL server per test (tests/common/postgres_source.rs) written by
//! a deterministic mixed load (tests/common/pg_load.rs).

mod common;

use common::pg_load::{
    chain_columns, chain_rows, comparable, run_load, source_columns, source_rows, ADDED_COLUMN, SCHEMA,
};
use common::postgres_source::Postgres;
use common::source_load::assert_same_rows;
use common::{text, verify, Dev, BIN};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ITEM_COLUMNS: [&str; 19] = [
    "id", "sku", "name", "label", "price", "weight", "ratio", "big", "qty", "flag", "color", "note", "photo", "made",
    "updated", "seen", "attrs", "uid", "rating",
];

/// The source harness itself: the server decodes its WAL logically, the
/// load commits exactly the transactions it reports (the rolled-back ones
/// leave nothing in the tables or the decoded WAL, the ALTER leaves no
/// change of its own), it logs the changes the importer must handle
/// (multi-row statements, unchanged TOAST values, the added column), and
/// the rows read back as PostgreSQL prints them.
#[tokio::test(flavor = "multi_thread")]
async fn private_postgres_decodes_the_load_logically() {
    let pg = Postgres::start("load");
    let settings = pg.psql("shop", "SHOW wal_level; SHOW max_replication_slots; SHOW server_encoding");
    assert_eq!(settings, "logical\n10\nUTF8\n");
    pg.psql("shop", SCHEMA);
    // A slot of the test_decoding plugin (shipped with the server) shows,
    // as text, the changes every logical decoder (pgoutput too) is given.
    pg.psql("shop", "SELECT pg_create_logical_replication_slot('harness', 'test_decoding')");

    let committed = run_load(&pg.url("shop"), 0, 60, 42, Some(30)).await;
    let expected: Vec<u64> = (0..60).filter(|i| i % 7 != 6).collect();
    assert_eq!(committed, expected);
    let events: Vec<u64> =
        pg.psql("shop", "SELECT txid FROM events ORDER BY txid").lines().map(|l| l.parse().expect("a txid")).collect();
    assert_eq!(events, expected);

    // synchronous_commit is off: a commit's WAL reaches a logical decoder
    // once the WAL writer has flushed it (within 3 × wal_writer_delay).
    let end = pg.psql("shop", "SELECT pg_current_wal_insert_lsn()");
    let flushed = || pg.psql("shop", &format!("SELECT pg_current_wal_flush_lsn() >= '{}'", end.trim())) == "t\n";
    wait_for("the WAL flush", flushed, || pg.log_tail());
    let decoded = pg.psql(
        "shop",
        "SELECT count(*) FILTER (WHERE data LIKE 'COMMIT%'), \
                count(*) FILTER (WHERE data LIKE 'table public.events: INSERT:%'), \
                count(*) FILTER (WHERE data LIKE 'table public.items: INSERT:%'), \
                count(*) FILTER (WHERE data LIKE 'table public.items: UPDATE:%'), \
                count(*) FILTER (WHERE data LIKE 'table public.items: DELETE:%'), \
                count(*) FILTER (WHERE data LIKE 'table public.items: UPDATE:%note[text]:unchanged-toast-datum%'), \
                count(*) FILTER (WHERE data LIKE 'table public.items: %rating[smallint]:%') \
         FROM pg_logical_slot_peek_changes('harness', NULL, NULL, 'include-xids', '0', 'skip-empty-xacts', '1')",
    );
    let counts: Vec<usize> = decoded.trim().split('\t').map(|n| n.parse().expect("a count")).collect();
    let &[commits, event_inserts, inserts, updates, deletes, unchanged_toast, with_rating] = counts.as_slice() else {
        panic!("7 counts: {decoded:?}");
    };
    // One decoded transaction per committed one: none for the rolled-back
    // ones, none for the ALTER (DDL is not decoded; the new column shows in
    // the next change's tuple). That is why the import tests count no
    // extra chain tx for the ALTER.
    assert_eq!((commits, event_inserts), (expected.len(), expected.len()), "{decoded}");
    assert!(inserts > 0 && updates > 0 && deletes > 0, "{decoded}");
    assert!(unchanged_toast > 0, "no UPDATE left a stored-out-of-line note alone: {decoded}");
    assert!(with_rating > 0, "no change after the ALTER carries rating: {decoded}");

    let rows = source_rows(&pg.url("shop"), "items", &ITEM_COLUMNS).await;
    let count: usize = pg.psql("shop", "SELECT count(*) FROM items").trim().parse().unwrap();
    assert_eq!(rows.len(), count);
    assert!(rows.iter().all(|row| row.len() == ITEM_COLUMNS.len()));
    let cells = |name: &str| {
        let i = ITEM_COLUMNS.iter().position(|c| *c == name).expect("an items column");
        rows.iter().map(move |row| row.get(i).cloned().flatten())
    };
    let has = |column: &str, value: &str| cells(column).any(|c| c.as_deref() == Some(value));
    assert!(cells("rating").any(|r| r.is_some()), "no row has a rating after the ALTER");
    // NULL and the text 'NULL' stay apart.
    let nulls: usize = pg.psql("shop", "SELECT count(*) FROM items WHERE name IS NULL").trim().parse().unwrap();
    assert_eq!(cells("name").filter(Option::is_none).count(), nulls);
    let texts: usize = pg.psql("shop", "SELECT count(*) FROM items WHERE name = 'NULL'").trim().parse().unwrap();
    assert_eq!(cells("name").filter(|n| n.as_deref() == Some("NULL")).count(), texts);
    assert!(texts > 0 && nulls > 0, "the load writes NULL and 'NULL' names");
    // The text PostgreSQL prints, which the chain must print alike.
    for (column, value) in [
        ("name", "café ☕ 東京"),
        ("name", "tab\there\nnewline \\ backslash"),
        ("label", "ÄÖÜäöüßéèêëï"),
        ("note", "naïve façade ½"),
        ("price", "-0.50"),
        ("photo", "\\x00ff00ff"),
        ("weight", "1e+300"),
        ("ratio", "0.1"),
        ("updated", "2024-02-29 13:45:01.5"),
        ("seen", "2024-02-29 08:15:01.5+00"),
        ("uid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ("attrs", r#"{"b": 2, "aa": {"n": -500}, "zz": 1}"#),
        ("color", "green"),
    ] {
        assert!(has(column, value), "no {column} {value:?} in {rows:?}");
    }
}

/// The chain's side of the comparison: the source rows, written into a
/// chain table of the types the import gives it (the source's, the enum as
/// `text`), read back by `chain_rows` as `source_rows` reads the source:
/// the same text, but for the spelling of `real` and `jsonb` numbers
/// (`comparable`); and one changed cell is reported.
#[tokio::test(flavor = "multi_thread")]
async fn chain_rows_print_the_source_types_as_postgres_does() {
    let pg = Postgres::start("compare");
    pg.psql("shop", SCHEMA);
    let url = pg.url("shop");
    run_load(&url, 0, 80, 7, Some(10)).await;
    let source_types = source_columns(&url, "items").await;
    let source = source_rows(&url, "items", &ITEM_COLUMNS).await;
    let types = chain_types(&source_types);
    let names: Vec<&str> = types.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ITEM_COLUMNS);

    let dev = Dev::start("import-pg-compare");
    let defs: Vec<String> = types.iter().map(|(name, t)| format!("{name} {t}")).collect();
    dev.ok(&format!("CREATE TABLE items ({}, PRIMARY KEY (id))", defs.join(", ")));
    assert_eq!(chain_columns(dev.pg_port, "items").await, types);
    // The text PostgreSQL prints is valid input for every column.
    for row in &source {
        let literal = |cell: &Option<String>| match cell {
            None => "NULL".to_string(),
            Some(text) => format!("'{}'", text.replace('\'', "''")),
        };
        let values: Vec<String> = row.iter().map(literal).collect();
        dev.ok(&format!("INSERT INTO items ({}) VALUES ({})", ITEM_COLUMNS.join(", "), values.join(", ")));
    }
    let chain = chain_rows(dev.pg_port, "items", &ITEM_COLUMNS).await;
    let source = comparable(&source_types, source);
    assert_same_rows("items", &source, &comparable(&source_types, chain));

    let id = source.get(source.len() / 2).and_then(|row| row.first().cloned().flatten()).expect("an id");
    dev.ok(&format!("UPDATE items SET name = coalesce(name, '') || '!' WHERE id = {id}"));
    let changed = comparable(&source_types, chain_rows(dev.pg_port, "items", &ITEM_COLUMNS).await);
    let report = std::panic::catch_unwind(|| assert_same_rows("items", &source, &changed))
        .expect_err("a changed name is a difference");
    let report = report.downcast_ref::<String>().expect("a formatted panic message");
    assert!(report.contains("1 differences") && report.contains("differs:"), "{report}");
}

/// What `comparable` treats as equal, and what not: only the numbers in
/// jsonb are respelled; a `real` compares as printed, exponent and all.
#[test]
fn comparable_respells_jsonb_numbers_only() {
    let columns: Vec<(String, String)> = [("r", "real"), ("j", "jsonb"), ("d", "double precision"), ("t", "text")]
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let row = |cells: [Option<&str>; 4]| vec![cells.iter().map(|c| c.map(str::to_string)).collect::<Vec<_>>()];
    let same =
        |a: [Option<&str>; 4], b: [Option<&str>; 4]| comparable(&columns, row(a)) == comparable(&columns, row(b));
    let postgres =
        [Some("1.6777216e+07"), Some(r#"{"a": [1.50, -0.0, 1e2], "b\"1.50": "1.50"}"#), Some("1e+300"), Some("1.50")];
    let chain =
        [Some("1.6777216e+07"), Some(r#"{"a": [1.5, 0, 100], "b\"1.50": "1.50"}"#), Some("1e+300"), Some("1.50")];
    assert!(same(postgres, chain));
    for (a, b) in [("1.6777216e+07", "16777216"), ("0.1", "0.10000000149011612"), ("1e+07", "1e+06"), ("-1", "1")] {
        assert!(!same([Some(a), None, None, None], [Some(b), None, None, None]), "{a} {b}");
    }
    // Strings inside jsonb, and every other type, compare as they are.
    assert!(!same([None, Some(r#"["1.50"]"#), None, None], [None, Some(r#"["1.5"]"#), None, None]));
    assert!(!same([None, Some(r#"[1.51]"#), None, None], [None, Some(r#"[1.5]"#), None, None]));
    assert!(!same([None, None, Some("1e+300"), None], [None, None, Some("1e300"), None]));
    assert!(!same([None, None, None, Some("1.50")], [None, None, None, Some("1.5")]));
    assert!(!same([Some("1"), None, None, None], [None, None, None, None]));
}

/// The chain's column types for the source's `(name, format_type)`: the
/// same, except that an enum (the schema's `color`) becomes `text`, and
/// that the chain's catalog prints a timestamp of precision 6 (the most,
/// the same as none) without it: a column made as `timestamp(6)` is a
/// `timestamp without time zone` on the chain.
fn chain_types(source: &[(String, String)]) -> Vec<(String, String)> {
    let chain_type = |t: &str| match t {
        "color" => "text".to_string(),
        _ => t.replace("timestamp(6) ", "timestamp "),
    };
    source.iter().map(|(name, t)| (name.clone(), chain_type(t))).collect()
}

/// A running `rowchain import` (following, until killed), its stderr
/// appended to `log` (kept with the source's directory when a test fails).
struct Importer(Child);

impl Importer {
    fn start(source: &str, dev: &Dev, log: &Path) -> Importer {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("open the importer's log");
        let child = Command::new(BIN)
            .args(["import", source, "--url", &dev.url(), "--name", "shop"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start rowchain import");
        Importer(child)
    }

    /// SIGKILL: the importer dies wherever it is (the drop does it).
    fn kill9(self) {
        drop(self);
    }
}

impl Drop for Importer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a `rowchain import … --once` did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs `rowchain import … --once`; fails the test if it has not returned
/// within 3 minutes (a refusal retried forever would otherwise hang it).
fn import_once(args: &[&str]) -> Run {
    let mut child = Command::new(BIN)
        .arg("import")
        .args(args)
        .arg("--once")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rowchain import");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text(&bytes)
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for rowchain import") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    assert!(status.is_some(), "rowchain import {} --once did not return within 180 s:\n{run}", args.join(" "));
    run
}

/// Runs an import that must be refused: exit status 1, and on stderr
/// `rowchain import: ` with `reason` in the message.
fn refused(args: &[&str], reason: &str) -> Run {
    let run = import_once(args);
    assert_eq!(run.code, Some(1), "must be refused with {reason:?}:\n{run}");
    // The message (which may go on over more lines) from its prefix on.
    let lines: Vec<&str> = run.stderr.lines().skip_while(|l| !l.starts_with("rowchain import: ")).collect();
    assert!(lines.join("\n").contains(reason), "no `rowchain import: …{reason}…` on stderr:\n{run}");
    run
}

/// The source's position on the chain, as `rowchain.imports` shows it.
fn chain_position(dev: &Dev, source: &str) -> Option<String> {
    let rows = dev.rows(&format!("SELECT position FROM rowchain.imports WHERE source = '{source}'"));
    rows.first().and_then(|r| r.first()).and_then(|p| p.as_str().map(str::to_string))
}

/// An LSN in PostgreSQL's text form (`%X/%X`: upper-case hex, no leading
/// zeros), as a number; `None` for any other text.
fn lsn(text: &str) -> Option<u64> {
    let half = |s: &str| {
        let canonical = !s.is_empty() && s.len() <= 8 && (s == "0" || !s.starts_with('0'));
        let digits = s.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c));
        if canonical && digits {
            u64::from_str_radix(s, 16).ok()
        } else {
            None
        }
    };
    let (high, low) = text.split_once('/')?;
    Some((half(high)? << 32) | half(low)?)
}

/// The positions of the source's committed import txs on the chain, in
/// chain order (from each tx's statement, `IMPORT <source> AT <position>;
/// <statements>`).
fn import_positions(dev: &Dev, source: &str) -> Vec<String> {
    let prefix = format!("IMPORT {source} AT ");
    let sql = format!(
        "SELECT substr(statement, 1, 300) FROM rowchain.transactions \
         WHERE status = 'committed' AND statement LIKE '{prefix}%' ORDER BY height, tx_index"
    );
    dev.rows(&sql)
        .iter()
        .map(|row| {
            let statement = row.first().and_then(|s| s.as_str()).unwrap_or_default();
            let rest = statement.strip_prefix(&prefix).unwrap_or(statement);
            rest.split_once("; ").map_or(rest, |(position, _)| position).trim_end_matches(';').to_string()
        })
        .collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool, context: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}\n{}", context());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn log_tail(path: &Path) -> String {
    let log = std::fs::read(path).map(|b| text(&b)).unwrap_or_else(|e| format!("(no {}: {e})", path.display()));
    let lines: Vec<&str> = log.lines().collect();
    let tail: Vec<&str> = lines.iter().skip(lines.len().saturating_sub(30)).copied().collect();
    format!("--- {} ---\n{}", path.display(), tail.join("\n"))
}

fn count(dev: &Dev, sql: &str) -> i64 {
    let rows = dev.rows(sql);
    rows.first().and_then(|r| r.first()).and_then(|n| n.as_i64()).unwrap_or_else(|| panic!("{sql}: {rows:?}"))
}

/// The chain's `items` and `events` equal the source's row by row, in
/// every column the source has now, and of the source's types (the enum as
/// text).
async fn assert_tables_equal(url: &str, dev: &Dev) {
    for table in ["items", "events"] {
        let types = chain_types(&source_columns(url, table).await);
        assert_eq!(chain_columns(dev.pg_port, table).await, types, "{table}: the chain's columns");
        let columns: Vec<&str> = types.iter().map(|(name, _)| name.as_str()).collect();
        let source = comparable(&types, source_rows(url, table, &columns).await);
        let chain = comparable(&types, chain_rows(dev.pg_port, table, &columns).await);
        assert_same_rows(table, &source, &chain);
    }
}

/// The two proofs at once: after a mixed load (inserts, updates, deletes,
/// multi-row statements, unchanged TOAST values, rollbacks, an added
/// column) during which the importer is SIGKILLed and restarted ten times,
/// the chain's tables equal the source's row by row, and every committed
/// source transaction is on the chain exactly once: one committed import
/// tx per source transaction, none missing (each writes its own `events`
/// row).
#[tokio::test(flavor = "multi_thread")]
async fn import_follows_the_slot_exactly_once_through_kills() {
    let pg = Postgres::start("import-kills");
    pg.psql("shop", SCHEMA);
    let url = pg.url("shop");
    let snapshotted = run_load(&url, 0, 80, 7, None).await;
    let dev = Dev::start("import-pg-kills");
    let log = pg.dir.join("importer.log");
    let context = || format!("{}\n--- postgres ---\n{}", log_tail(&log), pg.log_tail());

    // The first start makes the slot and copies a snapshot; it may be
    // killed during it (the snapshot is then gone with its connection).
    let importer = Importer::start(&url, &dev, &log);
    tokio::time::sleep(Duration::from_millis(150)).await;
    importer.kill9();
    let mut importer = Importer::start(&url, &dev, &log);
    let streams = || chain_position(&dev, "shop").is_some_and(|p| lsn(&p).is_some());
    tokio::task::block_in_place(|| wait_for("the snapshot", streams, context));

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
        // Behind: a transaction committed on the source before the chain is
        // read is not on the chain yet (events rows are never deleted).
        let source_events: i64 = pg.psql("shop", "SELECT count(*) FROM events").trim().parse().expect("a count");
        killed_behind += usize::from(count(&dev, "SELECT count(*) FROM events") < source_events);
        importer.kill9();
        importer = Importer::start(&url, &dev, &log);
        streamed.extend(load.await.expect("the load ran"));
    }
    importer.kill9();
    // The kills must land while there was work to do, or they prove nothing.
    assert!(killed_behind >= 3, "only {killed_behind} of 10 kills found the importer behind the source");
    let run = import_once(&[&url, "--url", &dev.url(), "--name", "shop"]);
    assert!(run.ok(), "the last import failed:\n{run}\n{}", context());

    assert_tables_equal(&url, &dev).await;
    let txids: Vec<i64> = dev
        .rows("SELECT txid FROM events ORDER BY txid")
        .iter()
        .map(|r| r.first().and_then(|t| t.as_i64()).expect("a txid"))
        .collect();
    let expected: Vec<i64> = snapshotted.iter().chain(&streamed).map(|&t| t as i64).collect();
    assert_eq!(txids, expected, "a source transaction is missing or doubled");

    // The committed import txs: the snapshot's (positions `snapshot …`),
    // then the streamed ones (LSNs, increasing). One LSN tx per streamed
    // source transaction, plus one: the snapshot's last batch, which has
    // no rows and only moves the position to the slot's starting LSN. Not
    // an extra: the ALTER (pgoutput decodes no DDL; the new column comes in
    // the relation message before the next change to `items`, and is added
    // in that change's tx), the rolled-back transactions (never decoded),
    // the importer's own CREATE PUBLICATION (no row of an imported table),
    // a batch sent again after a kill (refused as stale, not committed).
    let positions = import_positions(&dev, "shop");
    let mut lsns: Vec<u64> = Vec::new();
    let mut snapshot_batches = 0;
    for p in &positions {
        if p.starts_with("snapshot ") {
            assert!(lsns.is_empty(), "a snapshot batch after streaming began: {p:?} in {positions:?}");
            snapshot_batches += 1;
        } else {
            let at = lsn(p).unwrap_or_else(|| panic!("neither a snapshot position nor an LSN: {p:?}"));
            assert!(lsns.last().is_none_or(|last| *last < at), "{p} is not past the position before it");
            lsns.push(at);
        }
    }
    assert!(snapshot_batches >= 1, "no snapshot batch: {positions:?}");
    assert_eq!(lsns.len(), streamed.len() + 1, "committed IMPORT shop AT <LSN> txs: {positions:?}");
    let position = chain_position(&dev, "shop").expect("the import's position");
    assert_eq!(positions.last(), Some(&position));
    let sent = pg.psql("shop", &format!("SELECT '{position}'::pg_lsn <= pg_current_wal_lsn()"));
    assert_eq!(sent, "t\n", "the chain is at {position}, past the source's end");

    let mut dev = dev;
    dev.stop();
    let v = verify(&dev.dir, true);
    assert!(v.status.success(), "verify --replay: {}{}", text(&v.stdout), text(&v.stderr));
}

/// What stops an import, with its reason: a server that does not decode
/// its WAL, a role that may not replicate, a slot dropped under a running
/// import (its WAL is gone: quietly making a new slot would skip it).
/// Between them, an import follows a TRUNCATE and an added column; and an
/// import opens a stopped node's data directory in-process (`--data`).
#[tokio::test(flavor = "multi_thread")]
async fn wrong_settings_a_plain_role_and_a_dropped_slot_stop_the_import() {
    let mut dev = Dev::start("import-pg-refusals");
    let rpc = dev.url();

    let replica = Postgres::start_with("import-replica", &["-c", "wal_level=replica"]);
    assert_eq!(replica.psql("shop", "SHOW wal_level"), "replica\n");
    replica.psql("shop", SCHEMA);
    refused(&[&replica.url("shop"), "--url", &rpc, "--name", "shop"], "wal_level is replica, needs logical");
    assert_eq!(chain_position(&dev, "shop"), None, "a refused import started the source on the chain");
    drop(replica);

    let pg = Postgres::start("import-refusals");
    pg.psql("shop", SCHEMA);
    let url = pg.url("shop");
    run_load(&url, 0, 20, 3, None).await;
    pg.psql("shop", "CREATE ROLE plain LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO plain");
    let plain = format!("postgres://plain@127.0.0.1:{}/shop", pg.port);
    refused(&[&plain, "--url", &rpc, "--name", "shop"], "REPLICATION");
    assert_eq!(pg.psql("shop", "SELECT count(*) FROM pg_replication_slots"), "0\n");
    assert_eq!(chain_position(&dev, "shop"), None, "a refused import started the source on the chain");

    // The superuser may: the default slot and publication, named after --name.
    let run = import_once(&[&url, "--url", &rpc, "--name", "shop"]);
    assert!(run.ok(), "{run}");
    let slots = pg.psql("shop", "SELECT slot_name, plugin, slot_type, database FROM pg_replication_slots");
    assert_eq!(slots, "rowchain_shop\tpgoutput\tlogical\tshop\n");
    let published =
        pg.psql("shop", "SELECT tablename FROM pg_publication_tables WHERE pubname = 'rowchain_shop' ORDER BY 1");
    assert_eq!(published, "events\nitems\n");
    let position = chain_position(&dev, "shop").expect("the import's position");
    assert!(lsn(&position).is_some(), "{position}");
    assert_tables_equal(&url, &dev).await;

    // An added column and a TRUNCATE are followed.
    run_load(&url, 100, 10, 4, Some(3)).await;
    pg.psql("shop", "TRUNCATE events");
    run_load(&url, 200, 3, 5, None).await;
    let run = import_once(&[&url, "--url", &rpc, "--name", "shop"]);
    assert!(run.ok(), "{run}");
    assert_tables_equal(&url, &dev).await;
    assert_eq!(count(&dev, "SELECT count(*) FROM events"), 3);
    assert!(chain_columns(dev.pg_port, "items").await.iter().any(|(name, _)| name == ADDED_COLUMN));

    // The slot is dropped: the WAL since the chain's position is gone.
    // (The last import's WAL sender may hold the slot a moment longer.)
    let drop_slot = || pg.try_psql("shop", "SELECT pg_drop_replication_slot('rowchain_shop')").is_ok();
    wait_for("the slot to be dropped", drop_slot, || pg.log_tail());
    run_load(&url, 300, 5, 6, None).await;
    let position = chain_position(&dev, "shop").expect("the import's position");
    refused(&[&url, "--url", &rpc, "--name", "shop"], "has no replication slot rowchain_shop");
    assert_eq!(chain_position(&dev, "shop").as_deref(), Some(position.as_str()), "a refused import moved nothing");
    assert_eq!(pg.psql("shop", "SELECT count(*) FROM pg_replication_slots"), "0\n", "a new slot would skip WAL");

    // Another database, imported into the stopped node's data directory in
    // this process (and named by a postgresql:// URL).
    pg.psql("postgres", "CREATE DATABASE other");
    pg.psql(
        "other",
        "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'ä'), (2, NULL)",
    );
    dev.stop();
    let data = dev.dir.display().to_string();
    let other = format!("postgresql://postgres@127.0.0.1:{}/other", pg.port);
    let run = import_once(&[&other, "--data", &data, "--name", "other"]);
    assert!(run.ok(), "{run}");
    let v = verify(&dev.dir, true);
    assert!(v.status.success(), "verify --replay: {}{}", text(&v.stdout), text(&v.stderr));
    assert_eq!(pg.psql("other", "SELECT slot_name FROM pg_replication_slots"), "rowchain_other\n");
    let dev = Dev::start_in(dev.dir.clone(), common::free_port());
    assert_eq!(
        chain_rows(dev.pg_port, "notes", &["id", "body"]).await,
        vec![vec![Some("1".to_string()), Some("ä".to_string())], vec![Some("2".to_string()), None]]
    );
    assert!(chain_position(&dev, "other").is_some_and(|p| lsn(&p).is_some()));
}
