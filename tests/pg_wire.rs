//! The PostgreSQL wire front end, end to end: the real `rowchain dev`
//! binary, a real client (tokio-postgres) over a real socket.

mod common;

use common::pg::{connect, counts};
use common::Dev;
use futures::SinkExt;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

fn state(e: &tokio_postgres::Error) -> String {
    e.code().map(|c| c.code().to_string()).unwrap_or_else(|| format!("no SQLSTATE: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_login_types_and_errors() {
    let dev = Dev::start("pg-basics");
    // Authentication: SCRAM-SHA-256 against the keystore.
    let bad = connect(&dev, "admin", "wrong").await.expect_err("a wrong password is refused");
    assert_eq!(state(&bad), "28P01");
    let unknown = connect(&dev, "nobody", "x").await.expect_err("an unknown role is refused");
    assert_eq!(state(&unknown), "28000");
    let c = connect(&dev, "admin", "admin").await.unwrap();

    let version: String = c.query_one("SELECT version()", &[]).await.unwrap().get(0);
    assert!(version.starts_with("PostgreSQL 16"), "{version}");
    let show = c.simple_query("SHOW server_version").await.unwrap();
    assert!(matches!(&show[1], SimpleQueryMessage::Row(r) if r.get(0) == Some("16.4")));

    c.batch_execute(
        "CREATE TABLE acct (id integer PRIMARY KEY, name text NOT NULL, big bigint, ok boolean, \
         score double precision, amount numeric(10,2), raw bytea, small smallint)",
    )
    .await
    .unwrap();
    // Extended protocol with inferred parameter types and binary values.
    let n = c
        .execute(
            "INSERT INTO acct (id, name, big, ok, score, amount, raw, small) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&1i32, &"alice", &-9_000_000_000i64, &true, &2.5f64, &"12.30", &vec![0u8, 255, 7], &-3i16],
        )
        .await;
    // numeric is inferred, and a Rust &str is not a numeric: bind it as text instead.
    assert!(n.is_err(), "a &str for a numeric parameter must be refused by the client");
    let n = c
        .execute(
            "INSERT INTO acct (id, name, big, ok, score, raw, small) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&1i32, &"alice", &-9_000_000_000i64, &true, &2.5f64, &vec![0u8, 255, 7], &-3i16],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(counts(&c, "INSERT INTO acct (id, name, amount) VALUES (2, 'bob', 7.5), (3, 'carol', -1.5)").await, [2]);
    let row =
        c.query_one("SELECT id, name, big, ok, score, raw, small FROM acct WHERE id = $1", &[&1i32]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 1);
    assert_eq!(row.get::<_, &str>(1), "alice");
    assert_eq!(row.get::<_, i64>(2), -9_000_000_000);
    assert!(row.get::<_, bool>(3));
    assert_eq!(row.get::<_, f64>(4), 2.5);
    assert_eq!(row.get::<_, Vec<u8>>(5), vec![0u8, 255, 7]);
    assert_eq!(row.get::<_, i16>(6), -3);
    let count: i64 = c.query_one("SELECT count(*) FROM acct", &[]).await.unwrap().get(0);
    assert_eq!(count, 3);
    // Text results keep the declared numeric scale and boolean spelling.
    let rows = c.simple_query("SELECT amount, ok FROM acct ORDER BY id").await.unwrap();
    let texts: Vec<(Option<String>, Option<String>)> = rows
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((r.get(0).map(str::to_owned), r.get(1).map(str::to_owned))),
            _ => None,
        })
        .collect();
    assert_eq!(texts, vec![(None, Some("t".into())), (Some("7.50".into()), None), (Some("-1.50".into()), None)]);
    // RETURNING and command tags.
    let r = c.query_one("UPDATE acct SET big = 5 WHERE id = $1 RETURNING id, big", &[&2i32]).await.unwrap();
    assert_eq!((r.get::<_, i32>(0), r.get::<_, i64>(1)), (2, 5));
    assert_eq!(counts(&c, "UPDATE acct SET small = 1 WHERE id > 1").await, [2]);
    assert_eq!(counts(&c, "DELETE FROM acct WHERE id = 3").await, [1]);
    // Errors carry PostgreSQL's SQLSTATEs; the session goes on.
    let dup = c.execute("INSERT INTO acct (id, name) VALUES (1, 'again')", &[]).await.unwrap_err();
    assert_eq!(state(&dup), "23505");
    let syntax = c.simple_query("SELEC 1").await.unwrap_err();
    assert_eq!(state(&syntax), "42601");
    assert!(syntax.as_db_error().unwrap().position().is_some(), "a syntax error says where");
    assert_eq!(state(&c.simple_query("SELECT * FROM nope").await.unwrap_err()), "42P01");
    let long = format!("SELECT '{}'", "x".repeat(2 << 20));
    assert_eq!(state(&c.simple_query(&long).await.unwrap_err()), "54000");
    let one: i32 = c.query_one("SELECT 1::int4", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    // PostgreSQL's input rules: checked casts, boolean and numeric text, jsonb's normal form.
    assert_eq!(state(&c.simple_query("SELECT 'x'::integer").await.unwrap_err()), "22P02");
    assert_eq!(state(&c.simple_query("SELECT 70000::smallint").await.unwrap_err()), "22003");
    assert_eq!(state(&c.simple_query("SELECT 'maybe'::boolean").await.unwrap_err()), "22P02");
    let r = c
        .query_one(
            "SELECT ok::text, amount::text, ' 42 '::int8 FROM acct a WHERE a.id = 1 OR a.id = 2 ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.get::<_, Option<&str>>(0), r.get::<_, Option<&str>>(1), r.get::<_, i64>(2)),
        (Some("true"), None, 42)
    );
    let r = c.query_one("SELECT amount::text FROM acct WHERE id = 2", &[]).await.unwrap();
    assert_eq!(r.get::<_, &str>(0), "7.50");
    c.batch_execute("CREATE TABLE docs (id int PRIMARY KEY, d jsonb, flag boolean)").await.unwrap();
    c.batch_execute(r#"INSERT INTO docs VALUES (1, '{"b": 1, "a": {"z": [], "y": 2}}', 'yes')"#).await.unwrap();
    let bad_json = c.batch_execute("INSERT INTO docs VALUES (2, '{oops', 'no')").await.unwrap_err();
    assert_eq!(state(&bad_json), "22P02");
    let r = c.query_one("SELECT d::text, flag FROM docs WHERE id = 1", &[]).await.unwrap();
    assert_eq!((r.get::<_, &str>(0), r.get::<_, bool>(1)), (r#"{"a": {"y": 2, "z": []}, "b": 1}"#, true));
    c.batch_execute(r#"UPDATE docs SET d = '{"k":1,"k":2}', flag = 'off' WHERE id = 1"#).await.unwrap();
    let r = c.query_one("SELECT d::text, flag::text FROM docs", &[]).await.unwrap();
    assert_eq!((r.get::<_, &str>(0), r.get::<_, &str>(1)), (r#"{"k": 2}"#, "false"));
    // Identity columns number rows as PostgreSQL's do, and the catalog says so.
    c.batch_execute("CREATE TABLE ident (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)")
        .await
        .unwrap();
    let ids: Vec<i64> = c
        .query("INSERT INTO ident (v) VALUES ('a'), ('b') RETURNING id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [1, 2]);
    let r = c
        .query_one("SELECT is_identity, identity_generation, column_default FROM information_schema.columns WHERE table_name = 'ident' AND column_name = 'id'", &[])
        .await
        .unwrap();
    assert_eq!(
        (r.get::<_, &str>(0), r.get::<_, Option<&str>>(1), r.get::<_, Option<&str>>(2)),
        ("YES", Some("BY DEFAULT"), None)
    );
    // GENERATED ALWAYS takes no value of the client's unless it overrides.
    c.batch_execute("CREATE TABLE ident2 (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY)").await.unwrap();
    assert_eq!(state(&c.simple_query("INSERT INTO ident2 VALUES (7)").await.unwrap_err()), "428C9");
    let id: i32 = c.query_one("INSERT INTO ident2 DEFAULT VALUES RETURNING id", &[]).await.unwrap().get(0);
    assert_eq!(id, 1);
    // CancelRequest stops a running query with 57014; the session goes on.
    let token = c.cancel_token();
    let slow = c.simple_query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT count(*) FROM n",
    );
    let canceller = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await.unwrap();
    };
    let started = std::time::Instant::now();
    let (slow, ()) = tokio::join!(slow, canceller);
    assert_eq!(state(&slow.unwrap_err()), "57014");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "cancelled after {:?}", started.elapsed());
    let one: i32 = c.query_one("SELECT 1::int4", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    // Every write is on chain.
    let statuses = c
        .query("SELECT status FROM rowchain.transactions WHERE statement LIKE 'INSERT INTO acct%' ORDER BY height", &[])
        .await
        .unwrap();
    let statuses: Vec<String> = statuses.iter().map(|r| r.get(0)).collect();
    assert_eq!(statuses, ["committed", "committed", "failed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_blocks_savepoints_and_conflicts() {
    let dev = Dev::start("pg-tx");
    let a = connect(&dev, "admin", "admin").await.unwrap();
    let b = connect(&dev, "admin", "admin").await.unwrap();
    a.batch_execute("CREATE TABLE kv (k integer PRIMARY KEY, v integer NOT NULL)").await.unwrap();
    a.batch_execute("INSERT INTO kv VALUES (1, 10), (2, 20)").await.unwrap();

    // Read your own writes inside the block; others see nothing until COMMIT.
    assert_eq!(counts(&a, "BEGIN").await, [0]);
    assert_eq!(counts(&a, "INSERT INTO kv VALUES (3, 30)").await, [1]);
    let seen: i64 = a.query_one("SELECT count(*) FROM kv", &[]).await.unwrap().get(0);
    assert_eq!(seen, 3);
    let other: i64 = b.query_one("SELECT count(*) FROM kv", &[]).await.unwrap().get(0);
    assert_eq!(other, 2);
    assert_eq!(counts(&a, "COMMIT").await, [0]);
    let other: i64 = b.query_one("SELECT count(*) FROM kv", &[]).await.unwrap().get(0);
    assert_eq!(other, 3);

    // ROLLBACK submits nothing.
    let height = dev.height();
    a.batch_execute("BEGIN; UPDATE kv SET v = 0; ROLLBACK").await.unwrap();
    let v: i32 = b.query_one("SELECT v FROM kv WHERE k = 1", &[]).await.unwrap().get(0);
    assert_eq!(v, 10);
    assert_eq!(dev.height(), height, "a rolled-back block reaches no block");

    // An error aborts the block until ROLLBACK TO or ROLLBACK.
    a.batch_execute("BEGIN").await.unwrap();
    a.batch_execute("SAVEPOINT s1").await.unwrap();
    assert_eq!(state(&a.batch_execute("INSERT INTO kv VALUES (1, 1)").await.unwrap_err()), "23505");
    assert_eq!(state(&a.batch_execute("SELECT 1").await.unwrap_err()), "25P02");
    a.batch_execute("ROLLBACK TO s1").await.unwrap();
    a.execute("UPDATE kv SET v = v + $1 WHERE k = $2", &[&5i32, &1i32]).await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let v: i32 = b.query_one("SELECT v FROM kv WHERE k = 1", &[]).await.unwrap().get(0);
    assert_eq!(v, 15);

    // A concurrent commit that changes what the block read, after its last
    // statement: COMMIT fails with 40001 and the block changes nothing.
    a.batch_execute("BEGIN").await.unwrap();
    let v: i32 = a.query_one("SELECT v FROM kv WHERE k = 2", &[]).await.unwrap().get(0);
    a.execute("UPDATE kv SET v = $1 WHERE k = 2", &[&(v + 100)]).await.unwrap();
    b.batch_execute("UPDATE kv SET v = v + 1 WHERE k = 2").await.unwrap();
    let err = a.batch_execute("COMMIT").await.unwrap_err();
    assert_eq!(state(&err), "40001");
    let v: i32 = b.query_one("SELECT v FROM kv WHERE k = 2", &[]).await.unwrap().get(0);
    assert_eq!(v, 21, "the failed block changed nothing");

    // A conflict seen by the next statement fails that statement, as a
    // SERIALIZABLE PostgreSQL may; the block is then aborted and COMMIT rolls back.
    a.batch_execute("BEGIN").await.unwrap();
    let v: i32 = a.query_one("SELECT v FROM kv WHERE k = 2", &[]).await.unwrap().get(0);
    b.batch_execute("UPDATE kv SET v = v + 1 WHERE k = 2").await.unwrap();
    let err = a.execute("UPDATE kv SET v = $1 WHERE k = 2", &[&(v + 100)]).await.unwrap_err();
    assert_eq!(state(&err), "40001");
    assert_eq!(state(&a.batch_execute("SELECT 1").await.unwrap_err()), "25P02");
    a.batch_execute("COMMIT").await.unwrap();
    let v: i32 = b.query_one("SELECT v FROM kv WHERE k = 2", &[]).await.unwrap().get(0);
    assert_eq!(v, 22);

    // The catalog inside a block shows the block's own DDL (as an ORM that
    // creates tables and reflects them before COMMIT expects); other
    // sessions see it only after COMMIT, and a ROLLBACK leaves no trace.
    let catalog =
        "SELECT a.attname::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
                   WHERE c.relname = 'fresh' AND a.attnum > 0 ORDER BY a.attnum";
    let names = |rows: Vec<tokio_postgres::Row>| rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>();
    a.batch_execute("BEGIN; CREATE TABLE fresh (id integer PRIMARY KEY, label text)").await.unwrap();
    assert_eq!(names(a.query(catalog, &[]).await.unwrap()), ["id", "label"]);
    assert!(b.query(catalog, &[]).await.unwrap().is_empty());
    a.batch_execute("ALTER TABLE fresh ADD COLUMN note text").await.unwrap();
    assert_eq!(names(a.query(catalog, &[]).await.unwrap()), ["id", "label", "note"]);
    a.batch_execute("ROLLBACK").await.unwrap();
    assert!(a.query(catalog, &[]).await.unwrap().is_empty(), "the rolled-back table is gone");
    a.batch_execute("BEGIN; CREATE TABLE fresh (id integer PRIMARY KEY)").await.unwrap();
    assert_eq!(names(a.query(catalog, &[]).await.unwrap()), ["id"]);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(names(b.query(catalog, &[]).await.unwrap()), ["id"]);

    // Regular expressions work in reads, in a block's steps and in writes
    // (every validator runs the same regex engine); a bad pattern is 2201B.
    a.batch_execute(
        "CREATE TABLE words (w text PRIMARY KEY); INSERT INTO words VALUES ('apple'), ('Banana'), ('cherry')",
    )
    .await
    .unwrap();
    let matching = "SELECT count(*) FROM words WHERE w ~* '^b' OR w ~ 'rr'";
    assert_eq!(b.query_one(matching, &[]).await.unwrap().get::<_, i64>(0), 2);
    a.batch_execute("BEGIN").await.unwrap();
    assert_eq!(a.query_one(matching, &[]).await.unwrap().get::<_, i64>(0), 2);
    assert_eq!(a.execute("DELETE FROM words WHERE w !~ '^[a-c]'", &[]).await.unwrap(), 1);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(b.query_one("SELECT count(*) FROM words", &[]).await.unwrap().get::<_, i64>(0), 2);
    assert_eq!(state(&b.query("SELECT w ~ '(' FROM words", &[]).await.unwrap_err()), "2201B");

    // A client that disconnects inside a block submits nothing.
    let height = dev.height();
    {
        let c = connect(&dev, "admin", "admin").await.unwrap();
        c.batch_execute("BEGIN; INSERT INTO kv VALUES (9, 9)").await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(dev.height(), height);
    let n: i64 = b.query_one("SELECT count(*) FROM kv WHERE k = 9", &[]).await.unwrap().get(0);
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_roles_and_ownership() {
    let dev = Dev::start("pg-copy-roles");
    let admin = connect(&dev, "admin", "admin").await.unwrap();
    admin.batch_execute("CREATE TABLE items (id integer PRIMARY KEY, label text, price numeric(8,2))").await.unwrap();
    let sink = admin.copy_in("COPY items (id, label, price) FROM STDIN").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"1\tone\t1.5\n2\t\\N\t2\n3\ttab\\there\t\\N\n")).await.unwrap();
    let n = sink.finish().await.unwrap();
    assert_eq!(n, 3);
    let label: Option<String> = admin.query_one("SELECT label FROM items WHERE id = 3", &[]).await.unwrap().get(0);
    assert_eq!(label.as_deref(), Some("tab\there"));
    // A bad row fails the whole COPY: it is one atomic tx.
    let sink = admin.copy_in("COPY items FROM STDIN WITH (FORMAT csv)").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"4,four,4\n5,five,notanumber\n")).await.unwrap();
    assert!(sink.finish().await.is_err());
    let n: i64 = admin.query_one("SELECT count(*) FROM items", &[]).await.unwrap().get(0);
    assert_eq!(n, 3);

    // Roles are chain accounts with their own keys.
    assert_eq!(counts(&admin, "CREATE ROLE alice LOGIN PASSWORD 'wonder'").await, [0]);
    assert_eq!(state(&admin.batch_execute("CREATE ROLE alice LOGIN PASSWORD 'x'").await.unwrap_err()), "42710");
    let alice = connect(&dev, "alice", "wonder").await.unwrap();
    assert_eq!(state(&connect(&dev, "alice", "nope").await.err().unwrap()), "28P01");
    let me: String = alice.query_one("SELECT current_user", &[]).await.unwrap().get(0);
    assert_eq!(me, "alice");
    alice.batch_execute("CREATE TABLE notes (id integer PRIMARY KEY, body text)").await.unwrap();
    assert_eq!(counts(&alice, "ALTER ROLE alice PASSWORD 'land'").await, [0]);
    drop(alice);
    assert_eq!(state(&connect(&dev, "alice", "wonder").await.err().unwrap()), "28P01");
    let alice = connect(&dev, "alice", "land").await.unwrap();
    alice.batch_execute("INSERT INTO notes VALUES (1, 'hi')").await.unwrap();
    // Alice owns notes, so she cannot be dropped; she cannot drop roles either.
    assert_eq!(state(&alice.batch_execute("DROP ROLE admin").await.unwrap_err()), "42501");
    assert_eq!(state(&admin.batch_execute("DROP ROLE alice").await.unwrap_err()), "2BP01");
    assert_eq!(counts(&admin, "CREATE ROLE temp LOGIN PASSWORD 't'").await, [0]);
    assert_eq!(counts(&admin, "DROP ROLE temp").await, [0]);
    assert_eq!(state(&connect(&dev, "temp", "t").await.err().unwrap()), "28000");
    assert_eq!(counts(&admin, "DROP ROLE IF EXISTS temp").await, [0]);
}

/// `pg.hba`: trust, password, md5, SCRAM and reject, each as its rule says,
/// and each login signing as its own role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hba_methods_by_role_and_address() {
    let config = r#"
[[pg.hba]]
role = "blocked"
method = "reject"

[[pg.hba]]
role = "trusty"
address = "127.0.0.0/8"
method = "trust"

[[pg.hba]]
role = "plain"
method = "password"

[[pg.hba]]
role = "hashed"
method = "md5"

[[pg.hba]]
role = "trusty"
method = "reject"

[[pg.hba]]
role = "admin"
address = "127.0.0.1/32"
method = "scram-sha-256"
"#;
    let dev = Dev::start_with_config("pg-hba", &format!("[pg]\n{config}"));
    let dsn = |user: &str, password: Option<&str>| {
        let pw = password.map(|p| format!(" password={p}")).unwrap_or_default();
        format!("host=127.0.0.1 port={} user={user} dbname=rowchain{pw}", dev.pg_port)
    };
    let login = |user: &'static str, password: Option<&'static str>| {
        let dsn = dsn(user, password);
        async move {
            let (client, conn) = tokio_postgres::connect(&dsn, NoTls).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok::<Client, tokio_postgres::Error>(client)
        }
    };
    let admin = connect(&dev, "admin", "admin").await.unwrap();
    for role in ["trusty", "plain", "hashed", "blocked", "orphan"] {
        admin.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")).await.unwrap();
    }

    // trust: no password, or any password, is enough from 127.0.0.0/8.
    for pw in [None, Some("whatever")] {
        let trusty = login("trusty", pw).await.unwrap();
        let me: String = trusty.query_one("SELECT current_user", &[]).await.unwrap().get(0);
        assert_eq!(me, "trusty");
    }
    // Its writes are signed with its own key: it owns what it creates.
    let trusty = login("trusty", None).await.unwrap();
    trusty.batch_execute("CREATE TABLE t_trusty (id int PRIMARY KEY); INSERT INTO t_trusty VALUES (1)").await.unwrap();
    let owner: String = admin
        .query_one("SELECT tableowner::text FROM pg_tables WHERE tablename = 't_trusty'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, "trusty");

    // password: the right one in clear text; a wrong one is 28P01, none at all
    // fails in the client, which has nothing to send.
    assert!(login("plain", None).await.is_err());
    assert_eq!(state(&login("plain", Some("nope")).await.err().unwrap()), "28P01");
    let plain = login("plain", Some("pw-plain")).await.unwrap();
    plain.batch_execute("CREATE TABLE t_plain (id int PRIMARY KEY)").await.unwrap();

    // md5: PostgreSQL's challenge.
    assert_eq!(state(&login("hashed", Some("nope")).await.err().unwrap()), "28P01");
    let hashed = login("hashed", Some("pw-hashed")).await.unwrap();
    hashed.batch_execute("CREATE TABLE t_hashed (id int PRIMARY KEY)").await.unwrap();

    // reject, and no matching rule: 28000 even with the right password.
    let e = login("blocked", Some("pw-blocked")).await.err().unwrap();
    assert_eq!(state(&e), "28000");
    assert!(e.as_db_error().unwrap().message().contains("pg.hba rejects connection"), "{e:?}");
    let e = login("orphan", Some("pw-orphan")).await.err().unwrap();
    assert_eq!(state(&e), "28000");
    assert!(e.as_db_error().unwrap().message().contains("no pg.hba rule"), "{e:?}");
    assert_eq!(state(&login("nobody", None).await.err().unwrap()), "28000");

    // Only the roles a trust or md5 rule admits have a copy of their key the
    // node can open by itself; only md5 roles keep an MD5 secret.
    let ks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dev.dir.join("keystore.json")).unwrap()).unwrap();
    for (role, custody, md5) in [
        ("trusty", true, false),
        ("hashed", true, true),
        ("plain", false, false),
        ("orphan", false, false),
        ("admin", false, false),
    ] {
        assert_eq!(ks[role].get("custody").is_some(), custody, "{role}");
        assert_eq!(ks[role].get("md5").is_some(), md5, "{role}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(dev.dir.join("custody.key")).unwrap().permissions().mode() & 0o777, 0o600);
}

/// Non-ASCII text where the code once sliced bytes: each of these stopped
/// a request, a connection or the whole node (issue 15).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_at_awkward_offsets_stops_nothing() {
    let dev = Dev::start("pg-non-ascii");
    // JSON-RPC `sql`: the planner sliced "-- Grüße" inside the "ü".
    let r = dev.rows("-- Grüße\nSELECT 1 AS one");
    assert_eq!(r, vec![vec![serde_json::json!(1)]]);
    dev.ok("-- Grüße\nCREATE TABLE greetings (id int PRIMARY KEY, word text)");
    dev.ok("-- Grüße\nINSERT INTO greetings VALUES (1, 'Grüße')");
    let c = connect(&dev, "admin", "admin").await.unwrap();
    // Drivers send comments as they are, in simple and extended queries.
    let n: i32 = c.query_one("-- Grüße\nSELECT count(*)::int FROM greetings", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    // A role named with a non-ASCII character once panicked the block
    // producer (the executor sliced the name); the node exited.
    c.batch_execute(r#"CREATE ROLE "andré" LOGIN PASSWORD 'x'"#).await.unwrap();
    let andre = connect(&dev, "andré", "x").await.expect("the new role logs in");
    let who: String = andre.query_one("SELECT current_user", &[]).await.unwrap().get(0);
    assert_eq!(who, "andré");
    // The chain goes on committing.
    assert_eq!(counts(&c, "INSERT INTO greetings VALUES (2, 'Grüezi')").await, vec![1]);
    let height = dev.height();
    assert!(height >= 4, "height {height}");
}

/// `numeric` is exact end to end: literals, columns with a type modifier,
/// arithmetic with PostgreSQL's scales, aggregates, ordering and keys by
/// value, PostgreSQL's SQLSTATEs, and a replay that reproduces every value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_is_exact_decimal_arithmetic() {
    use common::pg::rows;
    let mut dev = Dev::start("pg-numeric");
    let c = connect(&dev, "admin", "admin").await.unwrap();
    let one = |r: &[&str]| vec![r.iter().map(|v| Some(v.to_string())).collect::<Vec<_>>()];
    assert_eq!(
        rows(
            &c,
            "SELECT 0.1 + 0.2 = 0.3, 0.1 + 0.2, 1 / 3.0, 10.0 / 3, 2.5::int, (-2.5)::int, round(2.345, 2), 7.5 % 2"
        )
        .await,
        one(&["t", "0.3", "0.33333333333333333333", "3.3333333333333333", "3", "-3", "2.35", "1.5"])
    );
    c.batch_execute("CREATE TABLE pay (id int PRIMARY KEY, amount numeric(12,2) NOT NULL DEFAULT 0, rate numeric)")
        .await
        .unwrap();
    assert_eq!(
        counts(
            &c,
            "INSERT INTO pay (id, amount, rate) VALUES (1, 0.1, 0.1), (2, 0.2, '2.50'), (3, 1.005, 1e3), (4, -3, -0.5)"
        )
        .await,
        [4]
    );
    assert_eq!(
        rows(&c, "SELECT id, amount, rate FROM pay ORDER BY id").await,
        [["1", "0.10", "0.1"], ["2", "0.20", "2.50"], ["3", "1.01", "1000"], ["4", "-3.00", "-0.5"]]
            .map(|r| r.map(|v| Some(v.to_string())).to_vec())
    );
    // Sums, means and comparisons are exact; order is by value, not text.
    assert_eq!(
        rows(&c, "SELECT sum(amount), avg(amount), sum(amount) = -1.69, max(rate), min(amount), sum(rate) FROM pay")
            .await,
        one(&["-1.69", "-0.42250000000000000000", "t", "1000", "-3.00", "1002.10"])
    );
    assert_eq!(
        rows(&c, "SELECT string_agg(rate::text, ' ' ORDER BY rate) FROM pay WHERE rate > -1 AND amount * 2 < 1").await,
        one(&["-0.5 0.1 2.50"])
    );
    // Ten times 0.1 is 1.0, not 0.9999999999999999.
    let tenths: Vec<String> = (10..20).map(|id| format!("({id}, 0, 0.1)")).collect();
    counts(&c, &format!("INSERT INTO pay (id, amount, rate) VALUES {}", tenths.join(", "))).await;
    assert_eq!(rows(&c, "SELECT sum(rate), count(*) FROM pay WHERE id >= 10").await, one(&["1.0", "10"]));
    // An UPDATE rounds to the column's scale, half away from zero.
    counts(&c, "UPDATE pay SET amount = amount * 1.005 WHERE id IN (1, 4)").await;
    assert_eq!(
        rows(&c, "SELECT amount FROM pay WHERE id IN (1, 4) ORDER BY id").await,
        [["0.10"], ["-3.02"]].map(|r| r.map(|v| Some(v.to_string())).to_vec())
    );
    // Keys compare by value: 1.0 and 1.00 are the same key.
    c.batch_execute("CREATE TABLE k (v numeric PRIMARY KEY); INSERT INTO k VALUES (1.0)").await.unwrap();
    let dup = c.batch_execute("INSERT INTO k VALUES (1.00)").await.unwrap_err();
    assert_eq!(state(&dup), "23505");
    // PostgreSQL's errors, and nothing written by a failed statement.
    for (sql, code, text) in [
        ("INSERT INTO pay (id, amount) VALUES (50, 12345678901)", "22003", "numeric field overflow"),
        ("INSERT INTO pay (id, amount) VALUES (51, 'ten')", "22P02", "invalid input syntax for type numeric: \"ten\""),
        ("UPDATE pay SET amount = amount / (id - id)", "22012", "division by zero"),
        ("UPDATE pay SET amount = amount * 1e10", "22003", "numeric field overflow"),
        ("SELECT 'NaN'::numeric::int", "0A000", "cannot convert NaN to integer"),
    ] {
        let e = c.batch_execute(sql).await.unwrap_err();
        let db = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
        assert_eq!((db.code().code(), db.message().starts_with(text)), (code, true), "{sql}: {}", db.message());
    }
    assert_eq!(rows(&c, "SELECT count(*), sum(amount) FROM pay").await, one(&["14", "-1.71"]));
    drop(c);
    dev.stop();
    // Replaying the chain recomputes every value to the same state root.
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "{}{}", common::text(&out.stdout), common::text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_tables_are_session_local() {
    use common::pg::rows;
    let dev = Dev::start_with_config("pg-temp", "[limits]\ntemp_bytes_max = 1048576\n");
    let c = connect(&dev, "admin", "admin").await.unwrap();
    let other = connect(&dev, "admin", "admin").await.unwrap();
    let text = |r: &[&[&str]]| -> Vec<Vec<Option<String>>> {
        r.iter().map(|row| row.iter().map(|v| Some(v.to_string())).collect()).collect()
    };
    c.batch_execute("CREATE TABLE shared (id int PRIMARY KEY, v text); INSERT INTO shared VALUES (1, 'chain')")
        .await
        .unwrap();
    let txs = "SELECT count(*) FROM rowchain.transactions";
    let chain_txs = rows(&c, txs).await;

    // A temporary table, its rows, an index and a COPY: none of it is a chain tx.
    c.batch_execute(
        "CREATE TEMP TABLE scratch (id serial, name text NOT NULL, n numeric(6,2), UNIQUE (name));
         INSERT INTO scratch (name, n) VALUES ('a', 1.005), ('b', 2)",
    )
    .await
    .unwrap();
    let id: i32 =
        c.query_one("INSERT INTO scratch (name, n) VALUES ($1, 0.1) RETURNING id", &[&"c"]).await.unwrap().get(0);
    assert_eq!(id, 3, "a serial that is not the key counts 1, 2, 3");
    assert_eq!(counts(&c, "UPDATE scratch SET n = n * 2 WHERE name <> 'c'").await, [2]);
    assert_eq!(counts(&c, "CREATE INDEX scratch_n ON scratch (n)").await, [0]);
    let sink = c.copy_in("COPY scratch (name, n) FROM STDIN").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"d\t4.5\ne\t\\N\n")).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);
    assert_eq!(
        rows(&c, "SELECT id, name, n FROM scratch WHERE id < 5 ORDER BY id").await,
        text(&[&["1", "a", "2.02"], &["2", "b", "4.00"], &["3", "c", "0.10"], &["4", "d", "4.50"]])
    );
    // Extended protocol: parameters and result types come from the table.
    let row = c.query_one("SELECT id, n FROM scratch WHERE name = $1", &[&"b"]).await.unwrap();
    assert_eq!((row.get::<_, i32>(0), row.columns()[1].type_().name()), (2, "numeric"));
    let e = c.batch_execute("INSERT INTO scratch (name) VALUES ('a')").await.unwrap_err();
    assert_eq!(state(&e), "23505");
    assert_eq!(rows(&c, txs).await, chain_txs, "statements on temporary tables never reach the chain");

    // Only this session sees it; it shadows a chain table of its name.
    assert_eq!(state(&other.batch_execute("SELECT * FROM scratch").await.unwrap_err()), "42P01");
    c.batch_execute("CREATE TEMP TABLE shared (id int, v text); INSERT INTO shared VALUES (7, 'temp')").await.unwrap();
    assert_eq!(rows(&c, "SELECT id, v FROM shared").await, text(&[&["7", "temp"]]));
    assert_eq!(rows(&other, "SELECT id, v FROM shared").await, text(&[&["1", "chain"]]));

    // The session's catalog lists its temporary tables, in its own
    // temporary schema, ahead of public; no other session's does.
    let listed = "SELECT c.relname, c.relpersistence, n.nspname = 'pg_temp_' || pg_backend_pid(), \
                  pg_table_is_visible(c.oid) \
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                  WHERE c.relname IN ('scratch', 'shared', 'scratch_n') ORDER BY 1, 2";
    assert_eq!(
        rows(&c, listed).await,
        text(&[
            &["scratch", "t", "t", "t"],
            &["scratch_n", "t", "t", "t"],
            &["shared", "p", "f", "f"],
            &["shared", "t", "t", "t"],
        ])
    );
    assert_eq!(rows(&other, listed).await, text(&[&["shared", "p", "f", "t"]]));
    let resolved = "SELECT relpersistence FROM pg_class WHERE oid = 'shared'::regclass";
    assert_eq!(rows(&c, resolved).await, text(&[&["t"]]));
    assert_eq!(rows(&other, resolved).await, text(&[&["p"]]));
    assert_eq!(
        rows(
            &c,
            "SELECT attname FROM pg_attribute WHERE attrelid = 'scratch'::regclass AND attnum > 0 ORDER BY attnum"
        )
        .await,
        text(&[&["id"], &["name"], &["n"]])
    );

    assert_eq!(counts(&c, "DROP TABLE shared").await, [0]);
    assert_eq!(rows(&c, "SELECT id, v FROM shared").await, text(&[&["1", "chain"]]));
    assert_eq!(rows(&c, resolved).await, text(&[&["p"]]));

    // Mixing temporary and chain tables is refused, with the reason.
    for sql in [
        "INSERT INTO shared SELECT id, name FROM scratch",
        "SELECT * FROM scratch JOIN shared USING (id)",
        "DELETE FROM scratch WHERE id IN (SELECT id FROM shared)",
    ] {
        let e = c.batch_execute(sql).await.unwrap_err();
        assert_eq!(state(&e), "0A000", "{sql}");
        assert!(e.as_db_error().unwrap().message().contains("mixes temporary tables"), "{sql}: {e:?}");
    }
    let e = c.batch_execute("CREATE TEMP TABLE child (id int REFERENCES shared (id))").await.unwrap_err();
    assert_eq!(state(&e), "42P16");

    // Transaction blocks: ROLLBACK undoes rows and tables, savepoints are
    // kept, and a block that also writes the chain commits both.
    c.batch_execute("BEGIN; DELETE FROM scratch; CREATE TEMP TABLE gone (a int); ROLLBACK").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM scratch").await, text(&[&["5"]]));
    assert_eq!(state(&c.batch_execute("SELECT * FROM gone").await.unwrap_err()), "42P01");
    c.batch_execute(
        "BEGIN; INSERT INTO scratch (name) VALUES ('f'); SAVEPOINT s; INSERT INTO scratch (name) VALUES ('g');
         ROLLBACK TO s; INSERT INTO shared VALUES (2, 'also chain'); COMMIT",
    )
    .await
    .unwrap();
    assert_eq!(rows(&c, "SELECT name FROM scratch WHERE name > 'e' ORDER BY name").await, text(&[&["f"]]));
    assert_eq!(rows(&other, "SELECT v FROM shared WHERE id = 2").await, text(&[&["also chain"]]));
    // A failed statement fails the block; ROLLBACK undoes what came before it.
    c.batch_execute("BEGIN; INSERT INTO scratch (name) VALUES ('h')").await.unwrap();
    assert_eq!(state(&c.batch_execute("INSERT INTO scratch (name) VALUES ('a')").await.unwrap_err()), "23505");
    assert_eq!(state(&c.batch_execute("SELECT 1").await.unwrap_err()), "25P02");
    c.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM scratch WHERE name = 'h'").await, text(&[&["0"]]));

    // ON COMMIT DELETE ROWS and ON COMMIT DROP.
    c.batch_execute("BEGIN; CREATE TEMP TABLE per_tx (a int) ON COMMIT DELETE ROWS; INSERT INTO per_tx VALUES (1)")
        .await
        .unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM per_tx").await, text(&[&["1"]]));
    c.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM per_tx").await, text(&[&["0"]]));
    c.batch_execute("BEGIN; CREATE TEMP TABLE once (a int) ON COMMIT DROP; INSERT INTO once VALUES (1); COMMIT")
        .await
        .unwrap();
    assert_eq!(state(&c.batch_execute("SELECT * FROM once").await.unwrap_err()), "42P01");

    // A session's temporary tables hold at most limits.temp_bytes_max.
    c.batch_execute("CREATE TEMP TABLE big (t text)").await.unwrap();
    let chunk = "x".repeat(100_000);
    let mut refused = None;
    for _ in 0..20 {
        if let Err(e) = c.execute("INSERT INTO big VALUES ($1)", &[&chunk]).await {
            refused = Some(e);
            break;
        }
    }
    let e = refused.expect("20 inserts of 100 kB fit in 1 MiB");
    assert_eq!(state(&e), "53100");
    assert!(e.as_db_error().unwrap().message().contains("limits.temp_bytes_max"), "{e:?}");
    assert_eq!(counts(&c, "DROP TABLE big").await, [0]);

    // The tables end with the session.
    drop(c);
    let again = connect(&dev, "admin", "admin").await.unwrap();
    assert_eq!(state(&again.batch_execute("SELECT * FROM scratch").await.unwrap_err()), "42P01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_transactions_and_startup_options() {
    use common::pg::rows;
    let dev = Dev::start("pg-read-only");
    let admin = connect(&dev, "admin", "admin").await.unwrap();
    admin.batch_execute("CREATE TABLE ro (id int PRIMARY KEY)").await.unwrap();
    let refused = |e: tokio_postgres::Error, what: &str| {
        assert_eq!(state(&e), "25006", "{what}: {e:?}");
        assert_eq!(e.as_db_error().unwrap().message(), format!("cannot execute {what} in a read-only transaction"));
    };

    // `-c name=value` in the startup packet's options sets the session's
    // default; a read-only session reads, and writes only temporary tables.
    let dsn = format!(
        "{} options='-c default_transaction_read_only=on --application-name=ro\\\\ app'",
        dev.pg_dsn("admin", "admin")
    );
    let (ro, conn) = tokio_postgres::connect(&dsn, NoTls).await.unwrap();
    tokio::spawn(conn);
    assert_eq!(
        rows(&ro, "SHOW transaction_read_only; SHOW default_transaction_read_only; SHOW application_name").await,
        [["on"], ["on"], ["ro app"]].map(|r| r.map(|v| Some(v.to_string())).to_vec())
    );
    refused(ro.batch_execute("INSERT INTO ro VALUES (1)").await.unwrap_err(), "INSERT");
    refused(ro.batch_execute("CREATE TABLE ro2 (a int)").await.unwrap_err(), "CREATE TABLE");
    ro.batch_execute("CREATE TEMP TABLE scratch (a int); INSERT INTO scratch VALUES (1)").await.unwrap();
    // READ WRITE for one block; SET SESSION CHARACTERISTICS for the session.
    ro.batch_execute("START TRANSACTION READ WRITE; INSERT INTO ro VALUES (1); COMMIT").await.unwrap();
    refused(ro.batch_execute("UPDATE ro SET id = 2").await.unwrap_err(), "UPDATE");
    ro.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM ro WHERE id = 1")
        .await
        .unwrap();

    // BEGIN READ ONLY and SET TRANSACTION READ ONLY last for their block.
    admin.batch_execute("BEGIN READ ONLY").await.unwrap();
    assert_eq!(rows(&admin, "SHOW transaction_read_only").await, [[Some("on".to_string())]]);
    refused(admin.batch_execute("DELETE FROM ro").await.unwrap_err(), "DELETE");
    assert_eq!(state(&admin.batch_execute("SELECT 1").await.unwrap_err()), "25P02");
    admin.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&admin, "SHOW transaction_read_only").await, [[Some("off".to_string())]]);
    admin
        .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE, NOT DEFERRABLE; SET TRANSACTION READ ONLY")
        .await
        .unwrap();
    refused(admin.batch_execute("INSERT INTO ro VALUES (3)").await.unwrap_err(), "INSERT");
    admin.batch_execute("ROLLBACK; INSERT INTO ro VALUES (4)").await.unwrap();
    assert_eq!(rows(&admin, "SELECT id FROM ro").await, [[Some("4".to_string())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_sleep_is_cancellable_and_txid_current_numbers_transactions() {
    let dev = Dev::start("pg-sleep-txid");
    let c = connect(&dev, "admin", "admin").await.unwrap();
    let current =
        async |c: &Client| -> i64 { c.query_one("SELECT txid_current()", &[]).await.unwrap().get("txid_current") };
    // Outside a block every statement is a transaction; inside, one number.
    let (a, b) = (current(&c).await, current(&c).await);
    assert!(b > a, "{a} then {b}");
    c.batch_execute("BEGIN").await.unwrap();
    let (x, y) = (current(&c).await, current(&c).await);
    assert_eq!(x, y);
    assert!(x > b);
    c.batch_execute("COMMIT").await.unwrap();
    assert!(current(&c).await > y);

    // A short sleep sleeps; a long one stops at the client's cancel with 57014.
    let started = std::time::Instant::now();
    c.batch_execute("SELECT pg_sleep(0.2)").await.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
    let token = c.cancel_token();
    let cancel = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await
    };
    let started = std::time::Instant::now();
    let (slept, cancelled) = tokio::join!(c.batch_execute("SELECT pg_sleep(60)"), cancel);
    cancelled.unwrap();
    assert_eq!(state(&slept.unwrap_err()), "57014");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    // The session goes on.
    assert_eq!(c.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_stdout_reads_as_the_role_may_read() {
    use futures::TryStreamExt;
    use tokio_postgres::binary_copy::BinaryCopyOutStream;
    use tokio_postgres::types::Type;
    let dev = Dev::start("pg-copy-out");
    let admin = connect(&dev, "admin", "admin").await.unwrap();
    admin
        .batch_execute(
            "CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text);
             INSERT INTO notes VALUES (1, 'ann', 'tab\there'), (2, 'bob', NULL), (3, 'bob', 'b\\2');
             CREATE ROLE ann LOGIN PASSWORD 'ann'; CREATE ROLE eve LOGIN PASSWORD 'eve';
             GRANT SELECT ON notes TO ann;
             ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
             CREATE POLICY mine ON notes FOR SELECT USING (owner = current_user)",
        )
        .await
        .unwrap();
    let copied = async |c: &Client, sql: &str| -> Result<String, tokio_postgres::Error> {
        let stream = c.copy_out(sql).await?;
        let chunks: Vec<bytes::Bytes> = stream.try_collect().await?;
        Ok(String::from_utf8(chunks.concat()).unwrap())
    };
    assert_eq!(
        copied(&admin, "COPY notes TO STDOUT").await.unwrap(),
        "1\tann\ttab\\there\n2\tbob\t\\N\n3\tbob\tb\\\\2\n"
    );
    assert_eq!(
        copied(&admin, "COPY (SELECT id, body FROM notes WHERE id > 1 ORDER BY id) TO STDOUT (FORMAT csv, HEADER)")
            .await
            .unwrap(),
        "id,body\n2,\n3,b\\2\n"
    );
    // The role's privileges and row filters hold, as for its SELECTs.
    let ann = connect(&dev, "ann", "ann").await.unwrap();
    assert_eq!(copied(&ann, "COPY notes (id) TO STDOUT").await.unwrap(), "1\n");
    let eve = connect(&dev, "eve", "eve").await.unwrap();
    assert_eq!(state(&copied(&eve, "COPY notes TO STDOUT").await.unwrap_err()), "42501");
    // Binary format, and a session's temporary table.
    admin
        .batch_execute("CREATE TEMP TABLE scratch (n int, t text); INSERT INTO scratch VALUES (7, 'seven'), (8, NULL)")
        .await
        .unwrap();
    let stream = admin.copy_out("COPY scratch TO STDOUT (FORMAT binary)").await.unwrap();
    let rows: Vec<_> = BinaryCopyOutStream::new(stream, &[Type::INT4, Type::TEXT]).try_collect().await.unwrap();
    let values: Vec<(i32, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(values, [(7, Some("seven".to_string())), (8, None)]);
    assert_eq!(state(&admin.batch_execute("COPY notes TO '/tmp/rowchain-copy-out'").await.unwrap_err()), "0A000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_copy_in_loads_typed_values() {
    use common::pg::rows;
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::{ToSql, Type};
    let dev = Dev::start("pg-binary-copy-in");
    let c = connect(&dev, "admin", "admin").await.unwrap();
    c.batch_execute(
        "CREATE TABLE loaded (id int PRIMARY KEY, name text, ok boolean, score float8, amount numeric(6,2))",
    )
    .await
    .unwrap();
    let sink = c.copy_in("COPY loaded (id, name, ok, score) FROM STDIN (FORMAT binary)").await.unwrap();
    let writer = BinaryCopyInWriter::new(sink, &[Type::INT4, Type::TEXT, Type::BOOL, Type::FLOAT8]);
    futures::pin_mut!(writer);
    let data: [(i32, Option<&str>, bool, f64); 3] =
        [(1, Some("tab\there"), true, 1.5), (2, None, false, -0.25), (3, Some("ü"), true, 1e300)];
    for (id, name, ok, score) in &data {
        let values: [&(dyn ToSql + Sync); 4] = [id, name, ok, score];
        writer.as_mut().write(&values).await.unwrap();
    }
    assert_eq!(writer.finish().await.unwrap(), 3);
    let text = |r: &[&[Option<&str>]]| -> Vec<Vec<Option<String>>> {
        r.iter().map(|row| row.iter().map(|v| v.map(str::to_string)).collect()).collect()
    };
    assert_eq!(
        rows(&c, "SELECT id, name, ok, score FROM loaded ORDER BY id").await,
        text(&[
            &[Some("1"), Some("tab\there"), Some("t"), Some("1.5")],
            &[Some("2"), None, Some("f"), Some("-0.25")],
            &[Some("3"), Some("ü"), Some("t"), Some("1e+300")],
        ])
    );
    // A stream cut inside a row loads nothing.
    let sink = c.copy_in("COPY loaded (id) FROM STDIN BINARY").await.unwrap();
    futures::pin_mut!(sink);
    let mut cut = b"PGCOPY\n\xff\r\n\0".to_vec();
    cut.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0]);
    sink.send(bytes::Bytes::from(cut)).await.unwrap();
    let e = sink.finish().await.unwrap_err();
    assert_eq!(state(&e), "22P04", "{e:?}");
    assert_eq!(rows(&c, "SELECT count(*) FROM loaded").await, text(&[&[Some("3")]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_are_chain_relations_with_their_own_rules() {
    use common::pg::rows;
    let mut dev = Dev::start("pg-views");
    let c = connect(&dev, "admin", "admin").await.unwrap();
    let text = |r: &[&[&str]]| -> Vec<Vec<Option<String>>> {
        r.iter().map(|row| row.iter().map(|v| Some(v.to_string())).collect()).collect()
    };
    let refused = |e: tokio_postgres::Error| {
        let db = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
        (state(&e), db)
    };
    c.batch_execute(
        "CREATE TABLE ledger (id serial PRIMARY KEY, who text NOT NULL, amount numeric(10,2));
         INSERT INTO ledger (who, amount) VALUES ('ann', 10.50), ('bob', 3.25), ('ann', 1)",
    )
    .await
    .unwrap();
    let created = c
        .simple_query("CREATE VIEW totals AS SELECT who, sum(amount) AS total, count(*) AS n FROM ledger GROUP BY who")
        .await
        .unwrap();
    assert!(matches!(created.last(), Some(SimpleQueryMessage::CommandComplete(0))), "{created:?}");
    // Typed through the view: numeric stays exact, count(*) is bigint.
    let r = c.query("SELECT who, total, n FROM totals ORDER BY who", &[]).await.unwrap();
    assert_eq!(r[0].columns()[1].type_(), &tokio_postgres::types::Type::NUMERIC);
    assert_eq!(r[0].columns()[2].type_(), &tokio_postgres::types::Type::INT8);
    let ann: (String, i64) = (r[0].get(0), r[0].get(2));
    assert_eq!(ann, ("ann".to_string(), 2));
    let star = c.query("SELECT * FROM totals WHERE who = 'bob'", &[]).await.unwrap();
    assert_eq!(star[0].columns()[1].type_(), &tokio_postgres::types::Type::NUMERIC, "`*` is typed too");
    assert_eq!(rows(&c, "SELECT total::text FROM totals ORDER BY who").await, text(&[&["11.50"], &["3.25"]]));

    // Like PostgreSQL's, a view over `*` keeps the columns it was made with.
    c.batch_execute(
        "CREATE VIEW big AS SELECT * FROM ledger WHERE amount > 2; ALTER TABLE ledger ADD COLUMN note text",
    )
    .await
    .unwrap();
    assert_eq!(rows(&c, "SELECT * FROM big ORDER BY id").await, text(&[&["1", "ann", "10.50"], &["2", "bob", "3.25"]]));
    // OR REPLACE may add columns at the end, not drop, rename or retype them.
    c.batch_execute("CREATE OR REPLACE VIEW big AS SELECT id, who, amount, note FROM ledger WHERE amount > 2")
        .await
        .unwrap();
    assert_eq!(rows(&c, "SELECT count(note) FROM big").await, text(&[&["0"]]));
    // The same text in the same session sees the new columns (a statement
    // compiled before the change must not keep the old ones).
    let r = c.simple_query("SELECT * FROM big ORDER BY id").await.unwrap();
    let Some(SimpleQueryMessage::Row(first)) = r.iter().find(|m| matches!(m, SimpleQueryMessage::Row(_))) else {
        panic!("no row: {r:?}")
    };
    assert_eq!(first.columns().iter().map(|c| c.name()).collect::<Vec<_>>(), ["id", "who", "amount", "note"]);
    c.batch_execute("CREATE TABLE grows (a int); INSERT INTO grows VALUES (1)").await.unwrap();
    assert_eq!(rows(&c, "SELECT * FROM grows").await, text(&[&["1"]]));
    c.batch_execute("ALTER TABLE grows ADD COLUMN b int DEFAULT 2").await.unwrap();
    assert_eq!(rows(&c, "SELECT * FROM grows").await, text(&[&["1", "2"]]));
    for (sql, want) in [
        ("CREATE OR REPLACE VIEW big AS SELECT id, who FROM ledger", ("42P16", "cannot drop columns from view")),
        (
            "CREATE OR REPLACE VIEW big AS SELECT id, who AS name, amount, note FROM ledger",
            ("42P16", "cannot change name of view column \"who\" to \"name\""),
        ),
        ("CREATE VIEW big AS SELECT 1", ("42P07", "relation \"big\" already exists")),
        (
            "CREATE OR REPLACE VIEW ledger AS SELECT 1",
            ("42809", "\"ledger\" is not a view (hint: Use DROP TABLE to remove a table.)"),
        ),
        ("CREATE VIEW dup AS SELECT 1 AS a, 2 AS a", ("42701", "column \"a\" specified more than once")),
        ("CREATE VIEW param AS SELECT * FROM ledger WHERE id = $1", ("42P02", "there is no parameter $1")),
        (
            "INSERT INTO totals VALUES ('x', 1, 1)",
            (
                "55000",
                "cannot insert into view \"totals\" (hint: rowchain's views are read-only; write to the tables the view reads)",
            ),
        ),
        (
            "DELETE FROM big",
            (
                "55000",
                "cannot delete from view \"big\" (hint: rowchain's views are read-only; write to the tables the view reads)",
            ),
        ),
        ("DROP TABLE totals", ("42809", "\"totals\" is not a table (hint: Use DROP VIEW to remove a view.)")),
        ("DROP VIEW ledger", ("42809", "\"ledger\" is not a view (hint: Use DROP TABLE to remove a table.)")),
        ("TRUNCATE totals", ("42809", "\"totals\" is not a table")),
        ("CREATE INDEX on_view ON totals (who)", ("42809", "\"totals\" is not a table")),
        (
            "ALTER TABLE ledger RENAME TO l2",
            (
                "0A000",
                "cannot rename table \"ledger\": view \"big\" reads it (hint: views keep their queries as text; drop the view, alter the table, and create the view again)",
            ),
        ),
    ] {
        let e = c.batch_execute(sql).await.expect_err(sql);
        assert_eq!(refused(e), (want.0.to_string(), want.1.to_string()), "{sql}");
    }

    // Views over views, and what DROP does to them.
    c.batch_execute("CREATE VIEW top AS SELECT who FROM totals WHERE total > 5").await.unwrap();
    assert_eq!(rows(&c, "SELECT * FROM top").await, text(&[&["ann"]]));
    let e = c.batch_execute("DROP VIEW totals").await.unwrap_err();
    assert_eq!(state(&e), "2BP01", "{e:?}");
    let e = c.batch_execute("DROP TABLE ledger").await.unwrap_err();
    assert_eq!(state(&e), "2BP01", "{e:?}");
    c.batch_execute("DROP VIEW totals CASCADE").await.unwrap();
    assert_eq!(state(&c.batch_execute("SELECT * FROM top").await.unwrap_err()), "42P01");
    c.batch_execute("DROP TABLE ledger CASCADE").await.unwrap();
    assert_eq!(state(&c.batch_execute("SELECT * FROM big").await.unwrap_err()), "42P01");
    c.batch_execute("DROP VIEW IF EXISTS big").await.unwrap();

    // Temporary views live with the session's temporary tables.
    c.batch_execute(
        "CREATE TEMP TABLE tt (a int, b text); INSERT INTO tt VALUES (1, 'x');
         CREATE TEMP VIEW tv AS SELECT a, b || '!' AS c FROM tt; CREATE VIEW tv2 AS SELECT a FROM tt",
    )
    .await
    .unwrap();
    assert_eq!(rows(&c, "SELECT t.c, u.a FROM tv t, tv2 u").await, text(&[&["x!", "1"]]));
    assert_eq!(state(&c.batch_execute("DROP TABLE tt").await.unwrap_err()), "2BP01");
    let e = c.batch_execute("CREATE TEMP VIEW chain_view AS SELECT * FROM rowchain.blocks").await.unwrap_err();
    assert_eq!(state(&e), "0A000");
    c.batch_execute("DROP TABLE tt CASCADE").await.unwrap();
    assert_eq!(state(&c.batch_execute("SELECT * FROM tv").await.unwrap_err()), "42P01");

    drop(c);
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}
