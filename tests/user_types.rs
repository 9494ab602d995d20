//! User-defined types end to end over the PostgreSQL wire: enums (labels
//! checked on every write and cast, values ordered by declaration, ADD
//! VALUE while a table and an index use the type), domains (NOT NULL,
//! named and unnamed CHECKs, DEFAULT, casts), who may change a type, what
//! DROP refuses, types created inside a transaction block, the session's
//! temporary types, and a full replay. `olive` owns the types, `bob` may
//! only use them.

mod common;

use common::pg::{connect_as as connect, refused, rows};
use common::Dev;

fn s(row: &[&str]) -> Vec<Option<String>> {
    row.iter().map(|v| Some(v.to_string())).collect()
}

fn column(values: &[&str]) -> Vec<Vec<Option<String>>> {
    values.iter().map(|v| s(&[v])).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enums_and_domains_behave_as_in_postgresql() {
    let dev = Dev::start("user-types");
    let admin = connect(&dev, "admin").await;
    for role in ["olive", "bob"] {
        admin.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")).await.unwrap();
    }
    let (olive, bob) = (connect(&dev, "olive").await, connect(&dev, "bob").await);

    // An enum's labels are checked on every write and cast.
    olive.batch_execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')").await.unwrap();
    olive
        .batch_execute(
            "CREATE TABLE t (id int PRIMARY KEY, m mood, n mood DEFAULT 'ok'); CREATE INDEX t_m ON t (m);
             INSERT INTO t (id, m) VALUES (1, 'happy'), (2, 'sad'), (3, NULL), (4, 'ok');
             GRANT SELECT, INSERT ON t TO bob",
        )
        .await
        .unwrap();
    let bad_label = ("22P02".to_string(), "invalid input value for enum mood: \"meh\"".to_string());
    assert_eq!(refused(&olive, "INSERT INTO t (id, m) VALUES (5, 'meh')").await, bad_label);
    assert_eq!(refused(&olive, "UPDATE t SET m = 'meh' WHERE id = 1").await, bad_label);
    assert_eq!(refused(&olive, "SELECT 'meh'::mood").await, bad_label);
    assert_eq!(refused(&olive, "SELECT 1::mood").await, ("42846".into(), "cannot cast type integer to mood".into()));
    assert_eq!(
        refused(&olive, "CREATE TYPE mood AS ENUM ('x')").await,
        ("42710".into(), "type \"mood\" already exists".into())
    );
    assert_eq!(
        refused(&olive, "CREATE TYPE twice AS ENUM ('a', 'a')").await,
        ("23505".into(), "enum label \"a\" used more than once".into())
    );

    // Values order by declaration, in ORDER BY, comparisons and casts.
    assert_eq!(rows(&olive, "SELECT m FROM t WHERE m IS NOT NULL ORDER BY m").await, column(&["sad", "ok", "happy"]));
    assert_eq!(rows(&olive, "SELECT id FROM t WHERE m > 'sad' ORDER BY m DESC").await, column(&["1", "4"]));
    assert_eq!(rows(&olive, "SELECT n FROM t WHERE id = 1").await, column(&["ok"]));
    assert_eq!(
        rows(&olive, "SELECT 'ok'::mood < 'happy'::mood, 'ok' < 'happy', max(m) FROM t").await,
        vec![s(&["t", "f", "happy"])]
    );

    // ADD VALUE puts the label where asked, while a table and an index use
    // the type; the rows and the index keep their order.
    olive.batch_execute("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'").await.unwrap();
    olive.batch_execute("ALTER TYPE mood ADD VALUE 'ecstatic'; INSERT INTO t (id, m) VALUES (5, 'meh')").await.unwrap();
    bob.batch_execute("INSERT INTO t (id, m) VALUES (6, 'ecstatic')").await.unwrap();
    assert_eq!(
        rows(&olive, "SELECT m FROM t WHERE m IS NOT NULL ORDER BY m").await,
        column(&["sad", "meh", "ok", "happy", "ecstatic"])
    );
    assert_eq!(rows(&olive, "SELECT id FROM t WHERE m = 'meh'").await, column(&["5"]));
    assert_eq!(
        rows(&olive, "SELECT id FROM t WHERE m BETWEEN 'meh' AND 'happy' ORDER BY m").await,
        column(&["5", "4", "1"])
    );
    assert_eq!(
        refused(&olive, "ALTER TYPE mood ADD VALUE 'ok'").await,
        ("42710".into(), "enum label \"ok\" already exists".into())
    );
    olive.batch_execute("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok'").await.unwrap();
    assert_eq!(
        refused(&olive, "ALTER TYPE mood ADD VALUE 'x' AFTER 'nope'").await,
        ("22023".into(), "\"nope\" is not an existing enum label".into())
    );
    assert_eq!(refused(&olive, "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'").await.0, "0A000");

    // Only the owner changes or drops a type; a used type stays.
    assert_eq!(
        refused(&bob, "ALTER TYPE mood ADD VALUE 'bored'").await,
        ("42501".into(), "must be owner of type mood".into())
    );
    let (code, message) = refused(&olive, "DROP TYPE mood").await;
    assert_eq!(code, "2BP01");
    assert!(message.starts_with("cannot drop type mood because other objects depend on it"), "{message}");
    assert_eq!(refused(&olive, "DROP DOMAIN mood").await, ("42809".into(), "\"mood\" is not a domain".into()));
    assert_eq!(refused(&olive, "DROP TYPE nope").await, ("42704".into(), "type \"nope\" does not exist".into()));
    olive.batch_execute("DROP TYPE IF EXISTS nope").await.unwrap();
    olive
        .batch_execute("CREATE TYPE spare AS ENUM ('a', 'b'); ALTER TYPE spare RENAME VALUE 'b' TO 'c'")
        .await
        .unwrap();
    assert_eq!(rows(&olive, "SELECT 'c'::spare").await, column(&["c"]));
    olive.batch_execute("DROP TYPE spare").await.unwrap();

    // Domains: NOT NULL, named and unnamed checks, a default, casts.
    olive
        .batch_execute(
            "CREATE DOMAIN pos AS integer NOT NULL CONSTRAINT positive CHECK (VALUE > 0) DEFAULT 5;
             CREATE DOMAIN code AS text CHECK (length(VALUE) = 3);
             CREATE TABLE d (id int PRIMARY KEY, p pos, c code)",
        )
        .await
        .unwrap();
    olive.batch_execute("INSERT INTO d (id, c) VALUES (1, 'abc')").await.unwrap();
    assert_eq!(rows(&olive, "SELECT p, c FROM d").await, vec![s(&["5", "abc"])]);
    let positive = ("23514".to_string(), "value for domain pos violates check constraint \"positive\"".to_string());
    assert_eq!(refused(&olive, "INSERT INTO d (id, p) VALUES (2, -1)").await, positive);
    assert_eq!(refused(&olive, "UPDATE d SET p = 0").await, positive);
    assert_eq!(refused(&olive, "SELECT (-3)::pos").await, positive);
    assert_eq!(
        refused(&olive, "INSERT INTO d (id, p) VALUES (2, NULL)").await,
        ("23502".into(), "domain pos does not allow null values".into())
    );
    assert_eq!(
        refused(&olive, "INSERT INTO d (id, c) VALUES (2, 'abcd')").await,
        ("23514".into(), "value for domain code violates check constraint \"code_check\"".into())
    );
    assert_eq!(rows(&olive, "SELECT 7::pos, 'xyz'::code").await, vec![s(&["7", "xyz"])]);

    // Types made inside a transaction block are there for its statements.
    olive
        .batch_execute(
            "BEGIN; CREATE TYPE color AS ENUM ('red', 'blue'); CREATE TABLE paint (c color);
             INSERT INTO paint VALUES ('blue'), ('red'); COMMIT",
        )
        .await
        .unwrap();
    assert_eq!(rows(&olive, "SELECT c FROM paint ORDER BY c").await, column(&["red", "blue"]));
    olive.batch_execute("BEGIN; CREATE TYPE gone AS ENUM ('x'); ROLLBACK").await.unwrap();
    assert_eq!(refused(&olive, "SELECT 'x'::gone").await, ("0A000".into(), "type \"gone\" is not supported".into()));

    // A session's temporary types are its own.
    olive
        .batch_execute(
            "CREATE TYPE pg_temp.tmood AS ENUM ('a', 'b'); CREATE TEMP TABLE tt (x tmood);
             INSERT INTO tt VALUES ('b'), ('a')",
        )
        .await
        .unwrap();
    assert_eq!(rows(&olive, "SELECT x FROM tt ORDER BY x").await, column(&["a", "b"]));
    // A table created in pg_temp is a temporary table too.
    olive
        .batch_execute("CREATE TABLE pg_temp.tt2 (x pg_temp.tmood); INSERT INTO pg_temp.tt2 VALUES ('b')")
        .await
        .unwrap();
    assert_eq!(rows(&olive, "SELECT x FROM pg_temp.tt2").await, column(&["b"]));
    assert_eq!(refused(&bob, "SELECT * FROM tt2").await.0, "42P01");
    assert_eq!(
        refused(&olive, "INSERT INTO tt VALUES ('c')").await,
        ("22P02".into(), "invalid input value for enum tmood: \"c\"".into())
    );
    assert_eq!(refused(&bob, "SELECT 'a'::tmood").await, ("0A000".into(), "type \"tmood\" is not supported".into()));

    // Parameters of an enum type are described as that type.
    let stmt = olive.prepare("SELECT $1::mood").await.unwrap();
    assert_eq!(stmt.params()[0].name(), "mood");
    let stmt = olive.prepare("INSERT INTO t (id, m) VALUES ($1, $2)").await.unwrap();
    assert_eq!(stmt.params()[1].name(), "mood");

    drop((olive, bob, admin));
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}

/// A transaction block's own types are usable by its later statements, as
/// ORMs create them (SQLAlchemy: CREATE TYPE, then CREATE TABLE, one
/// statement at a time inside one transaction); an unknown type is still
/// refused, by the executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_uses_the_types_it_created() {
    let dev = Dev::start("block-types");
    let mut admin = connect(&dev, "admin").await;
    let tx = admin.transaction().await.unwrap();
    tx.batch_execute("CREATE TYPE tone AS ENUM ('low', 'high')").await.unwrap();
    tx.batch_execute("CREATE DOMAIN small AS int CHECK (VALUE < 10)").await.unwrap();
    tx.batch_execute("CREATE TABLE notes (id int PRIMARY KEY, t tone, n small)").await.unwrap();
    tx.execute("INSERT INTO notes VALUES (1, 'high', 3)", &[]).await.unwrap();
    let unknown = tx.batch_execute("CREATE TABLE other (x nosuch)").await.unwrap_err();
    let db = unknown.as_db_error().unwrap();
    assert_eq!((db.code().code(), db.message()), ("0A000", "type \"nosuch\" is not supported"));
    drop(tx);
    let tx = admin.transaction().await.unwrap();
    tx.batch_execute("CREATE TYPE tone AS ENUM ('low', 'high')").await.unwrap();
    tx.batch_execute("CREATE TABLE notes (id int PRIMARY KEY, t tone)").await.unwrap();
    tx.execute("INSERT INTO notes VALUES (1, 'high')", &[]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows(&admin, "SELECT t FROM notes WHERE t > 'low'").await, column(&["high"]));
}
