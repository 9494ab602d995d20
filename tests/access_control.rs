//! Ownership, GRANT/REVOKE and row-level security, end to end over the
//! PostgreSQL wire with three roles: `olive` owns the tables, `gary` is
//! granted rights, `stan` is a stranger who tries every side door. Each
//! refusal is checked for its SQLSTATE and for leaving every row as it was.

mod common;

use common::pg::{connect_as as connect, counts, refused, rows};
use common::Dev;
use serde_json::json;
use tokio_postgres::Client;

async fn denied(c: &Client, sql: &str) {
    let (state, message) = refused(c, sql).await;
    assert_eq!(state, "42501", "{sql}: {message}");
}

/// Every row of `table` (as its owner sees it), as text, in key order.
async fn snapshot(c: &Client, table: &str) -> Vec<Vec<Option<String>>> {
    rows(c, &format!("SELECT * FROM {table} ORDER BY 1")).await
}

/// The row count of a statement that must succeed.
async fn count(c: &Client, sql: &str) -> u64 {
    counts(c, sql).await[0]
}

/// The first column of the first row, NULL as `NULL`.
async fn scalar(c: &Client, sql: &str) -> String {
    let rows = rows(c, sql).await;
    let first = rows.first().unwrap_or_else(|| panic!("{sql}: no row"));
    first[0].clone().unwrap_or_else(|| "NULL".into())
}

async fn three_roles(dev: &Dev) -> (Client, Client, Client, Client) {
    let admin = connect(dev, "admin").await;
    for role in ["olive", "gary", "stan"] {
        admin.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")).await.unwrap();
    }
    (admin, connect(dev, "olive").await, connect(dev, "gary").await, connect(dev, "stan").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_and_side_doors() {
    let dev = Dev::start("acl-grants");
    let (admin, olive, gary, stan) = three_roles(&dev).await;
    olive
        .batch_execute(
            "CREATE TABLE ledger (id integer PRIMARY KEY, amount integer NOT NULL, note text);
             INSERT INTO ledger VALUES (1, 100, 'rent'), (2, 250, 'salary');
             CREATE TABLE drop_box (id integer PRIMARY KEY, secret text)",
        )
        .await
        .unwrap();
    stan.batch_execute("CREATE TABLE mine (id integer, amount integer, note text)").await.unwrap();
    let ledger = snapshot(&olive, "ledger").await;

    // A stranger has no access at all, and may not administer the table.
    let refusals: [(&str, &[&str]); 2] = [
        (
            "permission denied for table ledger",
            &[
                "SELECT * FROM ledger",
                "SELECT count(*) FROM ledger",
                "INSERT INTO ledger VALUES (3, 1, 'x')",
                "UPDATE ledger SET amount = 0",
                "DELETE FROM ledger",
                "TRUNCATE ledger",
            ],
        ),
        (
            "must be owner of table ledger",
            &[
                "DROP TABLE ledger",
                "ALTER TABLE ledger ADD COLUMN x integer",
                "ALTER TABLE ledger RENAME TO stolen",
                "CREATE INDEX ledger_amount ON ledger (amount)",
                "GRANT SELECT ON ledger TO stan",
                "REVOKE SELECT ON ledger FROM gary",
                "ALTER TABLE ledger ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY mine ON ledger USING (true)",
            ],
        ),
    ];
    for (expected, statements) in refusals {
        for sql in statements {
            let (state, message) = refused(&stan, sql).await;
            assert_eq!((state.as_str(), message.as_str()), ("42501", expected), "{sql}");
        }
    }

    // Side doors: every way of reading or changing ledger through another statement.
    for sql in [
        "INSERT INTO mine SELECT id, amount, note FROM ledger",
        "INSERT INTO mine VALUES ((SELECT max(id) FROM ledger), 1, 'x')",
        "WITH l AS (SELECT * FROM ledger) INSERT INTO mine SELECT id, amount, note FROM l",
        "UPDATE mine SET amount = l.amount FROM ledger l WHERE l.id = mine.id",
        "DELETE FROM mine WHERE id IN (SELECT id FROM ledger)",
        "SELECT m.* FROM mine m JOIN ledger l ON l.id = m.id",
        "SELECT (SELECT note FROM ledger LIMIT 1)",
        "WITH RECURSIVE r AS (SELECT id FROM ledger UNION SELECT id + 1 FROM r WHERE id < 3) SELECT * FROM r",
        "SELECT * FROM mine UNION ALL SELECT * FROM ledger",
        "SELECT * FROM (WITH ledger AS (SELECT 1 AS a) SELECT a FROM ledger) x, ledger",
        "INSERT INTO mine SELECT l.* FROM (WITH ledger AS (SELECT 1 AS a) SELECT a FROM ledger) x, ledger l",
        "INSERT INTO ledger SELECT * FROM mine",
        "INSERT INTO ledger VALUES (1, 0, 'x') ON CONFLICT (id) DO UPDATE SET amount = 0",
    ] {
        denied(&stan, sql).await;
    }
    // Inside a transaction block the executor decides, with the same answer.
    stan.batch_execute("BEGIN").await.unwrap();
    denied(&stan, "SELECT * FROM ledger").await;
    stan.batch_execute("ROLLBACK").await.unwrap();
    // A view reads with its owner's rights: the stranger may make one over
    // the table, but reading through it is his own read of the table.
    stan.batch_execute("CREATE VIEW peek AS SELECT * FROM ledger; GRANT SELECT ON peek TO gary").await.unwrap();
    for sql in [
        "SELECT * FROM peek",
        "SELECT count(*) FROM peek",
        "SELECT m.id FROM mine m JOIN peek p ON p.id = m.id",
        "INSERT INTO mine SELECT * FROM peek",
        "INSERT INTO mine VALUES ((SELECT max(id) FROM peek), 1, 'x')",
    ] {
        let (state, message) = refused(&stan, sql).await;
        assert_eq!((state.as_str(), message.as_str()), ("42501", "permission denied for table ledger"), "{sql}");
    }
    let (state, message) = refused(&gary, "SELECT * FROM peek").await;
    assert_eq!(
        (state.as_str(), message.as_str()),
        ("42501", "permission denied for table ledger"),
        "stan's rights, not gary's"
    );
    stan.batch_execute("BEGIN").await.unwrap();
    denied(&stan, "SELECT * FROM peek").await;
    stan.batch_execute("ROLLBACK").await.unwrap();
    // Functions and triggers cannot wrap the table either.
    for sql in [
        "CREATE FUNCTION peek() RETURNS integer AS 'SELECT amount FROM ledger' LANGUAGE sql",
        "CREATE TRIGGER spy AFTER INSERT ON mine FOR EACH ROW EXECUTE FUNCTION peek()",
    ] {
        let (state, _) = refused(&stan, sql).await;
        assert_eq!(state, "0A000", "{sql}");
    }
    // The owner's view is the owner's to share: SELECT on it is enough,
    // and it is read-only and the owner's to drop.
    olive
        .batch_execute("CREATE VIEW amounts AS SELECT id, amount FROM ledger; GRANT SELECT ON amounts TO stan")
        .await
        .unwrap();
    assert_eq!(
        rows(&stan, "SELECT * FROM amounts ORDER BY id").await,
        [[Some("1".to_string()), Some("100".to_string())], [Some("2".to_string()), Some("250".to_string())]]
    );
    denied(&stan, "SELECT note FROM ledger").await;
    let (state, message) = refused(&stan, "INSERT INTO amounts VALUES (3, 1)").await;
    assert_eq!(
        (state.as_str(), message.as_str()),
        (
            "55000",
            "cannot insert into view \"amounts\" (hint: rowchain's views are read-only; write to the tables the view reads)"
        )
    );
    let (state, message) = refused(&stan, "DROP VIEW amounts").await;
    assert_eq!((state.as_str(), message.as_str()), ("42501", "must be owner of view amounts"));
    let (state, _) = refused(&olive, "DROP TABLE ledger").await;
    assert_eq!(state, "2BP01", "a view reads it");
    // COPY into someone else's table is a write like any other.
    {
        use futures::SinkExt;
        let sink = stan.copy_in("COPY ledger FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(bytes::Bytes::from_static(b"9\t9\tcopied\n")).await.unwrap();
        let e = sink.finish().await.unwrap_err();
        assert_eq!(e.code().map(|c| c.code()), Some("42501"), "{e}");
    }
    // The JSON-RPC front end applies the same rules.
    let r = dev.rpc("sql", json!({"sql": "SELECT * FROM ledger", "role": "stan", "password": "pw-stan"}));
    assert_eq!(r["error"]["data"]["sqlstate"], "42501", "{r}");
    let r = dev.rpc("sql", json!({"sql": "DELETE FROM ledger", "role": "stan", "password": "pw-stan"}));
    assert_eq!(r["result"]["error"]["sqlstate"], "42501", "{r}");
    // get_tx shows a tx's statement to its signer and to admins only.
    let tx = scalar(&olive, "SELECT tx_hash FROM rowchain.transactions WHERE statement LIKE '%salary%'").await;
    let peek = |role: &str| {
        dev.rpc("get_tx", json!({"hash": tx, "role": role, "password": format!("pw-{role}")}))["result"].clone()
    };
    assert!(peek("olive")["statement"].as_str().unwrap().contains("salary"));
    assert_eq!(peek("stan")["statement"], serde_json::Value::Null);
    assert_eq!(dev.rpc("get_tx", json!({"hash": tx}))["result"]["statement"], serde_json::Value::Null);
    // rowchain.transactions shows a role its own txs only: a statement's
    // text carries the values it wrote.
    let others = scalar(&stan, "SELECT count(*) FROM rowchain.transactions WHERE account <> (SELECT account FROM rowchain.transactions LIMIT 1)").await;
    assert_eq!(others, "0");
    assert_ne!(scalar(&admin, "SELECT count(DISTINCT account) FROM rowchain.transactions").await, "1");
    assert_eq!(snapshot(&olive, "ledger").await, ledger, "the stranger changed nothing");
    assert_eq!(snapshot(&stan, "mine").await, Vec::<Vec<Option<String>>>::new());

    // Grants: table-wide SELECT and INSERT, UPDATE on one column only.
    olive.batch_execute("GRANT SELECT, INSERT ON ledger TO gary; GRANT UPDATE (note) ON ledger TO gary").await.unwrap();
    assert_eq!(snapshot(&gary, "ledger").await, ledger);
    assert_eq!(count(&gary, "INSERT INTO ledger VALUES (3, 30, 'gift')").await, 1);
    assert_eq!(count(&gary, "UPDATE ledger SET note = 'rent, paid' WHERE id = 1").await, 1);
    // The catalog's privilege functions answer as the checks decide.
    for (c, sql, want) in [
        (&gary, "SELECT has_table_privilege('ledger', 'SELECT')", "t"),
        (&stan, "SELECT has_table_privilege('ledger', 'SELECT')", "f"),
        (&stan, "SELECT has_table_privilege('gary', 'ledger', 'insert, delete')", "t"),
        (&stan, "SELECT has_table_privilege('gary', 'ledger', 'UPDATE')", "f"),
        (&stan, "SELECT has_column_privilege('gary', 'ledger', 'note', 'UPDATE')", "t"),
        (&stan, "SELECT has_column_privilege('gary', 'ledger', 'amount', 'UPDATE')", "f"),
        (&stan, "SELECT has_any_column_privilege('gary', 'ledger', 'UPDATE')", "t"),
        (&stan, "SELECT has_table_privilege('gary', 'ledger', 'SELECT WITH GRANT OPTION')", "f"),
        (&stan, "SELECT has_table_privilege('admin', 'ledger', 'DELETE')", "t"),
        (&stan, "SELECT has_table_privilege('olive', 'ledger', 'TRIGGER')", "t"),
        (&stan, "SELECT has_table_privilege('pg_class', 'SELECT')", "t"),
        (&stan, "SELECT rolsuper FROM pg_roles WHERE rolname = 'admin'", "t"),
    ] {
        assert_eq!(scalar(c, sql).await, want, "{sql}");
    }
    assert_eq!(refused(&stan, "SELECT has_table_privilege('ledger', 'steal')").await.0, "22023");
    assert_eq!(refused(&stan, "SELECT has_table_privilege('nowhere', 'SELECT')").await.0, "42P01");
    denied(&gary, "UPDATE ledger SET amount = 0 WHERE id = 1").await;
    denied(&gary, "DELETE FROM ledger WHERE id = 3").await;
    denied(&stan, "SELECT * FROM ledger").await;
    // RETURNING reads: INSERT alone does not let one read back.
    olive.batch_execute("GRANT INSERT ON drop_box TO stan").await.unwrap();
    assert_eq!(count(&stan, "INSERT INTO drop_box VALUES (1, 'tip')").await, 1);
    denied(&stan, "INSERT INTO drop_box VALUES (2, 'x') RETURNING secret").await;
    denied(&stan, "SELECT * FROM drop_box").await;
    // PUBLIC reaches everyone.
    olive.batch_execute("GRANT SELECT ON drop_box TO PUBLIC").await.unwrap();
    assert_eq!(scalar(&stan, "SELECT secret FROM drop_box").await, "tip");

    // Revocation takes effect from the next block on.
    olive.batch_execute("REVOKE INSERT ON ledger FROM gary").await.unwrap();
    denied(&gary, "INSERT INTO ledger VALUES (4, 40, 'late')").await;
    assert_eq!(count(&gary, "UPDATE ledger SET note = 'still mine to edit' WHERE id = 2").await, 1);
    olive.batch_execute("REVOKE ALL ON ledger FROM gary").await.unwrap();
    denied(&gary, "SELECT * FROM ledger").await;
    denied(&gary, "UPDATE ledger SET note = 'x' WHERE id = 2").await;
    // The owner's own rights are not revocable; admin may do anything.
    olive.batch_execute("REVOKE ALL ON ledger FROM olive").await.unwrap();
    assert_eq!(snapshot(&olive, "ledger").await.len(), 3);
    assert_eq!(snapshot(&admin, "ledger").await.len(), 3);
    // A role that holds grants cannot be dropped until they are revoked.
    let (state, _) = refused(&admin, "DROP ROLE stan").await;
    assert_eq!(state, "2BP01");
    // Roles are created and dropped by admins and by roles with CREATEROLE.
    denied(&stan, "CREATE ROLE sneaky LOGIN PASSWORD 'x'").await;
    admin.batch_execute("CREATE ROLE mgr LOGIN PASSWORD 'pw-mgr' CREATEROLE").await.unwrap();
    let mgr = connect(&dev, "mgr").await;
    assert_eq!(scalar(&mgr, "SELECT rolcreaterole FROM pg_roles WHERE rolname = 'mgr'").await, "t");
    assert_eq!(scalar(&mgr, "SELECT rolcreaterole FROM pg_roles WHERE rolname = 'stan'").await, "f");
    mgr.batch_execute("CREATE ROLE temp LOGIN PASSWORD 'pw-temp'").await.unwrap();
    connect(&dev, "temp").await;
    denied(&mgr, "DROP ROLE admin").await;
    mgr.batch_execute("DROP ROLE temp").await.unwrap();
    denied(&stan, "DROP ROLE mgr").await;
    drop((admin, olive, gary, stan, mgr));
    let mut dev = dev;
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_the_seeds_rules() {
    let dev = Dev::start("acl-rls");
    let (admin, olive, gary, stan) = three_roles(&dev).await;
    // The README's mapping of the seed's row rules: a forced owner column,
    // a forced tx-hash column, owner-only updates and deletes, a cap of
    // rows per account; everyone may read.
    olive
        .batch_execute(
            "CREATE TABLE posts (id serial PRIMARY KEY, owner text NOT NULL DEFAULT current_user,
               tx text DEFAULT rowchain.tx_hash(), body text);
             GRANT SELECT, INSERT, UPDATE, DELETE ON posts TO PUBLIC;
             ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
             CREATE POLICY read_all ON posts FOR SELECT USING (true);
             CREATE POLICY own_rows ON posts USING (owner = current_user) WITH CHECK (owner = current_user);
             CREATE POLICY cap ON posts AS RESTRICTIVE FOR INSERT
               WITH CHECK ((SELECT count(*) FROM posts WHERE owner = current_user) < 3)",
        )
        .await
        .unwrap();
    for i in 1..=3 {
        assert_eq!(count(&gary, &format!("INSERT INTO posts (body) VALUES ('gary {i}')")).await, 1);
    }
    let (state, message) = refused(&gary, "INSERT INTO posts (body) VALUES ('gary 4')").await;
    assert_eq!(
        (state.as_str(), message.as_str()),
        ("42501", "new row violates row-level security policy for table \"posts\"")
    );
    denied(&stan, "INSERT INTO posts (owner, body) VALUES ('gary', 'forged')").await;
    assert_eq!(count(&stan, "INSERT INTO posts (body) VALUES ('stan 1')").await, 1);
    // The forced tx-hash column holds the hash of the tx that wrote the row.
    let tx = scalar(&gary, "SELECT tx FROM posts WHERE body = 'gary 1'").await;
    let recorded = scalar(&gary, &format!("SELECT count(*) FROM rowchain.transactions WHERE tx_hash = '{tx}'")).await;
    assert_eq!(recorded, "1", "tx {tx}");
    let before = snapshot(&olive, "posts").await;
    assert_eq!(before.len(), 4);
    // Owner-only updates and deletes: others' rows are skipped, not errors.
    assert_eq!(count(&stan, "UPDATE posts SET body = 'defaced'").await, 1, "stan's own row only");
    assert_eq!(count(&stan, "DELETE FROM posts WHERE owner = 'gary'").await, 0);
    denied(&gary, "UPDATE posts SET owner = 'stan' WHERE body = 'gary 1'").await;
    let after = snapshot(&olive, "posts").await;
    assert_eq!(after.iter().filter(|r| r[3].as_deref() == Some("defaced")).count(), 1);
    assert_eq!(after.iter().filter(|r| r[1].as_deref() == Some("gary")).count(), 3);

    // SELECT policies filter every read of the table, however it is reached.
    olive
        .batch_execute(
            "CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL DEFAULT current_user, body text);
             GRANT SELECT, INSERT ON notes TO PUBLIC;
             ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
             CREATE POLICY own ON notes USING (owner = current_user)",
        )
        .await
        .unwrap();
    gary.batch_execute("INSERT INTO notes (body) VALUES ('g1'); INSERT INTO notes (body) VALUES ('g2')").await.unwrap();
    stan.batch_execute("INSERT INTO notes (body) VALUES ('s1')").await.unwrap();
    stan.batch_execute("CREATE TABLE loot (body text)").await.unwrap();
    for sql in [
        "SELECT count(*) FROM notes",
        "SELECT (SELECT count(*) FROM notes)",
        "WITH n AS (SELECT * FROM notes) SELECT count(*) FROM n",
        "SELECT count(*) FROM notes a JOIN notes b ON a.id = b.id",
        "SELECT count(*) FROM (SELECT body FROM notes UNION ALL SELECT body FROM loot) u",
    ] {
        assert_eq!(scalar(&stan, sql).await, "1", "{sql}");
    }
    assert_eq!(count(&stan, "INSERT INTO loot SELECT body FROM notes").await, 1);
    // A condition that fails on a hidden row must not run on it: its error
    // would tell that the row exists (PostgreSQL's security barrier).
    let probe = "1 / (CASE WHEN body = 'g1' THEN 0 ELSE 1 END) = 1";
    assert_eq!(scalar(&stan, &format!("SELECT count(*) FROM notes WHERE {probe}")).await, "1");
    olive.batch_execute("GRANT UPDATE, DELETE ON notes TO PUBLIC").await.unwrap();
    assert_eq!(count(&stan, &format!("UPDATE notes SET body = body WHERE {probe}")).await, 1);
    assert_eq!(count(&stan, &format!("DELETE FROM notes WHERE body = 'nothing' AND {probe}")).await, 0);
    // A WITH query named like the table cannot hide a read of it.
    let shadow = "SELECT n.body FROM (WITH notes AS (SELECT 1 AS a) SELECT a FROM notes) x, notes n";
    assert_eq!(refused(&stan, shadow).await.0, "0A000");
    assert_eq!(refused(&stan, &format!("INSERT INTO loot {shadow}")).await.0, "0A000");
    assert_eq!(scalar(&stan, "SELECT string_agg(body, ',') FROM loot").await, "s1");
    let r = dev.rpc("sql", json!({"sql": "SELECT count(*) FROM notes", "role": "gary", "password": "pw-gary"}));
    assert_eq!(r["result"]["rows"][0][0], 2, "{r}");
    stan.batch_execute("BEGIN").await.unwrap();
    assert_eq!(scalar(&stan, "SELECT count(*) FROM notes").await, "1");
    stan.batch_execute("COMMIT").await.unwrap();
    assert_eq!(scalar(&olive, "SELECT count(*) FROM notes").await, "3", "the owner bypasses row security");
    assert_eq!(scalar(&admin, "SELECT count(*) FROM notes").await, "3");
    // A view reads with its owner's row filters, whoever reads it: olive's
    // shows every row (owners bypass), stan's shows stan's rows, to gary too.
    olive
        .batch_execute("CREATE VIEW all_notes AS SELECT * FROM notes; GRANT SELECT ON all_notes TO stan")
        .await
        .unwrap();
    assert_eq!(scalar(&stan, "SELECT count(*) FROM all_notes").await, "3");
    stan.batch_execute("CREATE VIEW my_notes AS SELECT body FROM notes; GRANT SELECT ON my_notes TO gary")
        .await
        .unwrap();
    assert_eq!(scalar(&gary, "SELECT string_agg(body, ',') FROM my_notes").await, "s1");
    assert_eq!(count(&gary, "INSERT INTO notes (body) SELECT body || '?' FROM my_notes").await, 1);
    // security_invoker: the reader's rights, and rowchain cannot apply the
    // reader's filters inside a view, so it refuses rather than leak.
    stan.batch_execute("CREATE VIEW inv WITH (security_invoker) AS SELECT body FROM notes").await.unwrap();
    let (state, message) = refused(&stan, "SELECT * FROM inv").await;
    assert_eq!(state, "0A000", "{message}");
    assert!(message.contains("security_invoker"), "{message}");

    // Policies are the owner's: nobody else creates or drops them.
    denied(&stan, "DROP POLICY own ON notes").await;
    olive.batch_execute("DROP POLICY own ON notes").await.unwrap();
    assert_eq!(scalar(&stan, "SELECT count(*) FROM notes").await, "0", "no permissive policy: no rows");
    assert_eq!(scalar(&gary, "SELECT count(*) FROM my_notes").await, "0", "stan's view follows the new policies");
    olive.batch_execute("ALTER TABLE notes DISABLE ROW LEVEL SECURITY").await.unwrap();
    assert_eq!(scalar(&stan, "SELECT count(*) FROM notes").await, "4");
    assert_eq!(scalar(&gary, "SELECT count(*) FROM my_notes").await, "4");
    assert_eq!(scalar(&stan, "SELECT count(*) FROM inv").await, "4", "no filter left to apply");
    drop((admin, olive, gary, stan));
    let mut dev = dev;
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}
