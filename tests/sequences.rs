//! Sequences end to end over the PostgreSQL wire: CREATE SEQUENCE and its
//! options, nextval/setval/currval/lastval (typed bigint, drawn in block
//! order by the executor), serial and identity columns that are not the
//! table's rowid (GENERATED ALWAYS with OVERRIDING SYSTEM VALUE), who may
//! draw, what DROP does, a failed tx's draws rolled back with it, and a
//! full replay. `olive` owns everything, `bob` is granted INSERT only.
//! Also stored generated columns, the other kind of column no statement
//! writes.

mod common;

use common::pg::{connect_as as connect, refused, rows};
use common::Dev;

fn s(row: &[&str]) -> Vec<Option<String>> {
    row.iter().map(|v| Some(v.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequences_draw_in_block_order_as_postgresql_draws() {
    let dev = Dev::start("sequences");
    let admin = connect(&dev, "admin").await;
    for role in ["olive", "bob"] {
        admin.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")).await.unwrap();
    }
    let (olive, bob) = (connect(&dev, "olive").await, connect(&dev, "bob").await);

    // CREATE SEQUENCE and its options; nextval is a bigint, over the
    // extended protocol too.
    olive.batch_execute("CREATE SEQUENCE s START 5 INCREMENT BY 5 MAXVALUE 20").await.unwrap();
    let first: i64 = olive.query_one("SELECT nextval('s')", &[]).await.unwrap().get(0);
    assert_eq!(first, 5);
    let row = olive.query_one("SELECT nextval('s'::regclass) AS a, nextval('public.s') AS b", &[]).await.unwrap();
    assert_eq!((row.get::<_, i64>("a"), row.get::<_, i64>("b")), (10, 15));
    assert_eq!(rows(&olive, "SELECT nextval('S')").await, vec![s(&["20"])]);
    assert_eq!(
        refused(&olive, "SELECT nextval('s')").await,
        ("2200H".into(), "nextval: reached maximum value of sequence \"s\" (20)".into())
    );
    assert_eq!(rows(&olive, "SELECT setval('s', 1, false)").await, vec![s(&["1"])]);
    assert_eq!(rows(&olive, "SELECT nextval('s')").await, vec![s(&["1"])]);
    assert_eq!(
        refused(&olive, "SELECT setval('s', 21)").await,
        ("22003".into(), "setval: value 21 is out of bounds for sequence \"s\" (1..20)".into())
    );

    // currval and lastval know the draws of their own transaction.
    assert_eq!(
        refused(&olive, "SELECT currval('s')").await,
        ("55000".into(), "currval of sequence \"s\" is not yet defined in this session".into())
    );
    olive.batch_execute("BEGIN").await.unwrap();
    assert_eq!(rows(&olive, "SELECT nextval('s')").await, vec![s(&["6"])]);
    assert_eq!(rows(&olive, "SELECT currval('s'), lastval()").await, vec![s(&["6", "6"])]);
    olive.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&olive, "SELECT nextval('s'); SELECT currval('s')").await, vec![s(&["11"]), s(&["11"])]);

    // Bad options and names say what PostgreSQL says.
    assert_eq!(refused(&olive, "CREATE SEQUENCE s").await, ("42P07".into(), "relation \"s\" already exists".into()));
    assert_eq!(refused(&olive, "CREATE TABLE s (a int)").await.0, "42P07");
    assert_eq!(
        refused(&olive, "CREATE SEQUENCE z INCREMENT 0").await,
        ("22023".into(), "INCREMENT must not be zero".into())
    );
    assert_eq!(
        refused(&olive, "CREATE SEQUENCE z AS smallint MAXVALUE 40000").await,
        ("22023".into(), "MAXVALUE (40000) is out of range for sequence data type smallint".into())
    );
    assert_eq!(
        refused(&olive, "SELECT nextval('nope')").await,
        ("42P01".into(), "relation \"nope\" does not exist".into())
    );
    olive.batch_execute("CREATE SEQUENCE IF NOT EXISTS s").await.unwrap();

    // Serial and identity columns that are not the rowid draw from their
    // own sequences, which never hand out a value twice.
    olive
        .batch_execute(
            "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY (START WITH 2 INCREMENT BY 3) PRIMARY KEY, \
             n serial, note text CHECK (note <> 'bad'))",
        )
        .await
        .unwrap();
    assert_eq!(
        rows(&olive, "INSERT INTO t (note) VALUES ('a'), ('b') RETURNING id, n").await,
        vec![s(&["2", "1"]), s(&["5", "2"])]
    );
    let (code, message) = refused(&olive, "INSERT INTO t (id, note) VALUES (1, 'c')").await;
    assert_eq!((code.as_str(), message.as_str()), ("428C9", "cannot insert a non-DEFAULT value into column \"id\""));
    assert_eq!(
        rows(&olive, "INSERT INTO t (id, note) OVERRIDING SYSTEM VALUE VALUES (100, 'c') RETURNING id, n").await,
        vec![s(&["100", "3"])]
    );
    assert_eq!(
        rows(&olive, "INSERT INTO t VALUES (DEFAULT, DEFAULT, 'd') RETURNING id, n").await,
        vec![s(&["8", "4"])]
    );
    assert_eq!(
        refused(&olive, "UPDATE t SET id = 1").await,
        ("428C9".into(), "column \"id\" can only be updated to DEFAULT".into())
    );
    // A tx that fails takes its draws with it: the chain keeps nothing of it.
    assert_eq!(refused(&olive, "INSERT INTO t (note) VALUES ('e'), ('bad')").await.0, "23514");
    olive.batch_execute("DELETE FROM t").await.unwrap();
    assert_eq!(rows(&olive, "INSERT INTO t (note) VALUES ('f') RETURNING id, n").await, vec![s(&["11", "5"])]);

    // Who may draw: whoever may insert draws the table's own sequences;
    // anyone else's sequence needs a grant.
    assert_eq!(refused(&bob, "INSERT INTO t (note) VALUES ('g')").await.0, "42501");
    olive.batch_execute("GRANT INSERT, SELECT ON t TO bob").await.unwrap();
    assert_eq!(rows(&bob, "INSERT INTO t (note) VALUES ('g') RETURNING id, n").await, vec![s(&["14", "6"])]);
    assert_eq!(refused(&bob, "SELECT nextval('s')").await, ("42501".into(), "permission denied for sequence s".into()));
    assert_eq!(refused(&bob, "SELECT nextval('t_id_seq')").await.0, "42501");
    olive.batch_execute("GRANT USAGE ON SEQUENCE s TO bob").await.unwrap();
    assert_eq!(rows(&bob, "SELECT nextval('s')").await, vec![s(&["16"])]);
    assert_eq!(refused(&bob, "SELECT setval('s', 1)").await.0, "42501");
    olive.batch_execute("REVOKE USAGE ON SEQUENCE s FROM bob").await.unwrap();
    assert_eq!(refused(&bob, "SELECT nextval('s')").await.0, "42501");
    assert_eq!(refused(&bob, "DROP SEQUENCE s").await, ("42501".into(), "must be owner of sequence s".into()));

    // A column's sequence goes with its table, not on its own.
    assert_eq!(refused(&olive, "DROP SEQUENCE t_n_seq").await.0, "2BP01");
    olive.batch_execute("ALTER TABLE t RENAME TO u").await.unwrap();
    assert_eq!(rows(&olive, "INSERT INTO u (note) VALUES ('h') RETURNING id, n").await, vec![s(&["17", "7"])]);
    olive.batch_execute("DROP TABLE u").await.unwrap();
    assert_eq!(refused(&olive, "SELECT nextval('t_n_seq')").await.0, "42P01");
    olive.batch_execute("DROP SEQUENCE s").await.unwrap();
    assert_eq!(refused(&olive, "SELECT nextval('s')").await.0, "42P01");
    olive.batch_execute("DROP SEQUENCE IF EXISTS s").await.unwrap();

    // A rowid-numbered key (`id serial PRIMARY KEY`) has no sequence of
    // its own: its sequence's name gives the next id the table would.
    olive
        .batch_execute("CREATE TABLE k (id serial PRIMARY KEY, v text); INSERT INTO k (v) VALUES ('a')")
        .await
        .unwrap();
    assert_eq!(rows(&olive, "SELECT nextval('k_id_seq')").await, vec![s(&["2"])]);
    olive.batch_execute("INSERT INTO k VALUES (2, 'b')").await.unwrap();
    assert_eq!(
        rows(&olive, "SELECT nextval('k_id_seq'), nextval('k_id_seq'), currval('k_id_seq')").await,
        vec![s(&["3", "4", "4"])]
    );
    assert_eq!(refused(&olive, "SELECT setval('k_id_seq', 9)").await.0, "0A000");
    assert_eq!(rows(&olive, "SELECT pg_get_serial_sequence('k', 'id')").await, vec![s(&["public.k_id_seq"])]);

    // Sequences live in schemas, and a schema's go with it.
    olive
        .batch_execute("CREATE SCHEMA sales; CREATE SEQUENCE sales.\"Order No\" AS integer START 100 INCREMENT -1 MINVALUE 98 MAXVALUE 100")
        .await
        .unwrap();
    assert_eq!(
        rows(&olive, "SELECT nextval('sales.\"Order No\"'), nextval('sales.\"Order No\"')").await,
        vec![s(&["100", "99"])]
    );
    assert_eq!(refused(&olive, "DROP SCHEMA sales").await.0, "2BP01");
    olive.batch_execute("DROP SCHEMA sales CASCADE").await.unwrap();

    drop((admin, olive, bob));
    let mut dev = dev;
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_columns_are_computed_and_never_written() {
    let dev = Dev::start("generated");
    let admin = connect(&dev, "admin").await;
    admin
        .batch_execute(
            "CREATE TABLE g (id int PRIMARY KEY, a int, b text, \
             twice int GENERATED ALWAYS AS (a * 2) STORED, label text GENERATED ALWAYS AS (upper(b) || '!') STORED)",
        )
        .await
        .unwrap();
    assert_eq!(
        rows(&admin, "INSERT INTO g (id, a, b) VALUES (1, 21, 'x'), (2, NULL, 'y') RETURNING twice, label").await,
        vec![s(&["42", "X!"]), vec![None, Some("Y!".into())]]
    );
    admin.batch_execute("UPDATE g SET a = 5, b = 'z' WHERE id = 1").await.unwrap();
    assert_eq!(rows(&admin, "SELECT * FROM g WHERE id = 1").await, vec![s(&["1", "5", "z", "10", "Z!"])]);
    assert_eq!(
        refused(&admin, "INSERT INTO g (id, twice) VALUES (3, 1)").await,
        ("428C9".into(), "cannot insert a non-DEFAULT value into column \"twice\"".into())
    );
    assert_eq!(
        refused(&admin, "UPDATE g SET label = 'no'").await,
        ("428C9".into(), "column \"label\" can only be updated to DEFAULT".into())
    );
    assert_eq!(
        rows(&admin, "INSERT INTO g VALUES (4, 1, 'w', DEFAULT, DEFAULT) RETURNING twice").await,
        vec![s(&["2"])]
    );
    let (code, _) = refused(&admin, "CREATE TABLE h (n numeric, m numeric GENERATED ALWAYS AS (n * 2) STORED)").await;
    assert_eq!(code, "0A000");

    drop(admin);
    let mut dev = dev;
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}
