//! The MySQL wire of a real `rowchain dev`, with real clients (`mysql_async`
//! and the `mysql` command-line client): logins through the keystore's
//! MySQL verifiers, one chain under both wires (rows, grants and policies
//! written over one are seen over the other), MySQL's error numbers,
//! autocommit and transactions, prepared statements, and a ledger that
//! replays.

mod common;

use common::{text, verify, Dev};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};

fn options(dev: &Dev, user: &str, password: &str) -> OptsBuilder {
    OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(dev.mysql_port)
        .user(Some(user))
        .pass(Some(password))
        .db_name(Some("rowchain"))
        .prefer_socket(false)
}

async fn connect(dev: &Dev, user: &str, password: &str) -> Conn {
    Conn::new(options(dev, user, password)).await.unwrap()
}

fn server_error(error: mysql_async::Error) -> (u16, String) {
    match error {
        mysql_async::Error::Server(error) => (error.code, error.state),
        other => panic!("expected a server error, got {other:?}"),
    }
}

fn mysql_cli(dev: &Dev, args: &[&str]) -> std::process::Output {
    std::process::Command::new("mysql")
        .args(["-h", "127.0.0.1", "-P", &dev.mysql_port.to_string(), "--batch", "--skip-column-names"])
        .args(args)
        .output()
        .expect("the mysql client (Debian mariadb-client; .ci/run installs it)")
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_grants_and_policies_are_one_chain_under_both_wires() {
    let dev = Dev::start("mysql-both");
    let mut admin = connect(&dev, "admin", "admin").await;
    admin
        .query_drop(
            "CREATE TABLE `Orders` (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(20) NOT NULL UNIQUE, \
             paid TINYINT(1), amount DOUBLE, at DATETIME(6), note TEXT)",
        )
        .await
        .unwrap();
    admin
        .exec_drop(
            "INSERT INTO orders (who, paid, amount, at, note) VALUES (?, ?, ?, ?, ?)",
            ("ann", true, 12.5, "2024-02-29 13:45:01.500000", "snow ☃ and 𝄞"),
        )
        .await
        .unwrap();
    assert_eq!((admin.affected_rows(), admin.last_insert_id()), (1, Some(1)));
    admin.query_drop("INSERT INTO orders (who, paid) VALUES ('bo', 0), ('cy', NULL)").await.unwrap();
    // MySQL reports the first id a multi-row INSERT generated.
    assert_eq!((admin.affected_rows(), admin.last_insert_id()), (2, Some(2)));
    let last: Vec<u64> = admin.query("SELECT LAST_INSERT_ID()").await.unwrap();
    assert_eq!(last, [2]);
    // ON DUPLICATE KEY UPDATE counts 2 for a row it changed, 0 for one it left.
    admin.query_drop("INSERT INTO orders (who, paid) VALUES ('bo', 1) ON DUPLICATE KEY UPDATE paid = 0").await.unwrap();
    assert_eq!(admin.affected_rows(), 0);
    admin.query_drop("INSERT INTO orders (who, paid) VALUES ('bo', 1) ON DUPLICATE KEY UPDATE paid = 1").await.unwrap();
    assert_eq!(admin.affected_rows(), 2);
    admin.query_drop("UPDATE orders SET paid = 0 WHERE who = 'bo'").await.unwrap();

    // Read over PostgreSQL: the same rows.
    let pg = common::pg::connect(&dev, "admin", "admin").await.unwrap();
    let rows = common::pg::rows(&pg, "SELECT id, who, paid, amount, at, note FROM orders ORDER BY id").await;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![
            vec![s("1"), s("ann"), s("t"), s("12.5"), s("2024-02-29 13:45:01.5"), s("snow ☃ and 𝄞")],
            vec![s("2"), s("bo"), s("f"), None, None, None],
            vec![s("3"), s("cy"), None, None, None, None],
        ]
    );
    // Written over PostgreSQL, read over MySQL, in the text and the binary protocol.
    pg.batch_execute("UPDATE orders SET amount = 7.25 WHERE who = 'bo'").await.unwrap();
    let text_rows: Vec<(i64, String, Option<bool>, Option<f64>)> =
        admin.query("SELECT id, who, paid, amount FROM orders ORDER BY id").await.unwrap();
    assert_eq!(
        text_rows,
        [
            (1, "ann".into(), Some(true), Some(12.5)),
            (2, "bo".into(), Some(false), Some(7.25)),
            (3, "cy".into(), None, None)
        ]
    );
    let binary_rows: Vec<(String, Option<mysql_async::Value>)> =
        admin.exec("SELECT who, at FROM orders WHERE id = ?", (1,)).await.unwrap();
    assert_eq!(binary_rows[0].1, Some(mysql_async::Value::Date(2024, 2, 29, 13, 45, 1, 500_000)));

    // A user made over MySQL is a chain role: grants and a policy made over
    // PostgreSQL bind it over MySQL.
    admin.query_drop("CREATE USER 'Dee'@'%' IDENTIFIED BY 'pw-dee'").await.unwrap();
    admin.query_drop("GRANT SELECT ON rowchain.orders TO 'Dee'@'%'").await.unwrap();
    pg.batch_execute(
        "ALTER TABLE orders ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY few ON orders FOR SELECT USING (who <> 'cy')",
    )
    .await
    .unwrap();
    let mut dee = connect(&dev, "Dee", "pw-dee").await;
    let seen: Vec<String> = dee.query("SELECT who FROM orders ORDER BY id").await.unwrap();
    assert_eq!(seen, ["ann", "bo"], "the policy filters Dee's reads");
    let denied = dee.query_drop("INSERT INTO orders (who) VALUES ('dee')").await.unwrap_err();
    assert_eq!(server_error(denied), (1142, "42000".into()));
    let grants: Vec<String> = dee.query("SHOW GRANTS").await.unwrap();
    assert_eq!(grants, ["GRANT USAGE ON *.* TO 'Dee'@'%'", "GRANT SELECT ON `rowchain`.`orders` TO 'Dee'@'%'"]);
    // The same role logs in over PostgreSQL with the same password.
    let dee_pg = common::pg::connect(&dev, "Dee", "pw-dee").await.unwrap();
    assert_eq!(common::pg::rows(&dee_pg, "SELECT count(*) FROM orders").await, vec![vec![s("2")]]);
    // A wrong password is MySQL's 1045, and the connection limit is per connection.
    let wrong = Conn::new(options(&dev, "Dee", "nope")).await.unwrap_err();
    assert_eq!(server_error(wrong), (1045, "28000".into()));
    let nobody = Conn::new(options(&dev, "nobody", "x")).await.unwrap_err();
    assert_eq!(server_error(nobody), (1045, "28000".into()));

    drop((admin.disconnect().await, dee.disconnect().await));
    let mut dev = dev;
    dev.stop();
    let out = verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_carry_mysql_numbers_and_affect_only_their_statement() {
    let dev = Dev::start("mysql-errors");
    let mut c = connect(&dev, "admin", "admin").await;
    c.query_drop("CREATE TABLE t (id INT PRIMARY KEY, n VARCHAR(3) NOT NULL)").await.unwrap();
    c.query_drop("INSERT INTO t VALUES (1, 'a')").await.unwrap();
    c.query_drop("CREATE TABLE c (id INT PRIMARY KEY, t_id INT, n VARCHAR(3))").await.unwrap();
    c.query_drop("ALTER TABLE c ADD CONSTRAINT c_t FOREIGN KEY (t_id) REFERENCES t (id)").await.unwrap();
    let cases = [
        ("INSERT INTO t VALUES (1, 'b')", 1062, "23000"),
        ("INSERT INTO c VALUES (1, 2, 'x')", 1452, "23000"),
        ("ALTER TABLE c ADD FOREIGN KEY (n) REFERENCES t (n)", 1822, "HY000"),
        ("DROP TABLE t", 3730, "HY000"),
        ("INSERT INTO t VALUES (2, NULL)", 1048, "23000"),
        ("SELECT * FROM missing", 1146, "42S02"),
        ("SELECT nope FROM t", 1054, "42S22"),
        ("SELEC 1", 1064, "42000"),
        ("SET @@nonsense = 1", 1193, "HY000"),
        ("USE other", 1049, "42000"),
    ];
    for (sql, code, state) in cases {
        let e = c.query_drop(sql).await.unwrap_err();
        assert_eq!(server_error(e), (code, state.to_string()), "{sql}");
    }
    // The connection goes on after each.
    let n: Vec<i64> = c.query("SELECT count(*) FROM t").await.unwrap();
    assert_eq!(n, [1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn comments_made_over_either_wire_show_over_both() {
    let dev = Dev::start("mysql-comments");
    let mut c = connect(&dev, "admin", "admin").await;
    c.query_drop(
        "CREATE TABLE cm (id INT PRIMARY KEY COMMENT 'the key', note TEXT COMMENT 'it''s \\\\ free\ntext') \
         ENGINE=InnoDB COMMENT='a table''s comment'",
    )
    .await
    .unwrap();
    let pg = common::pg::connect(&dev, "admin", "admin").await.unwrap();
    pg.simple_query("COMMENT ON COLUMN cm.id IS 'set over PostgreSQL'").await.unwrap();
    let described = common::pg::rows(
        &pg,
        "SELECT obj_description('cm'::regclass, 'pg_class'), col_description('cm'::regclass, 1), \
         col_description('cm'::regclass, 2)",
    )
    .await;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(described, vec![vec![s("a table's comment"), s("set over PostgreSQL"), s("it's \\ free\ntext")]]);
    // MySQL reads them from information_schema, SHOW FULL COLUMNS and SHOW CREATE TABLE.
    let columns: Vec<(String, String)> = c
        .query("SELECT COLUMN_NAME, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_NAME = 'cm' ORDER BY ORDINAL_POSITION")
        .await
        .unwrap();
    assert_eq!(columns, [("id".into(), "set over PostgreSQL".into()), ("note".into(), "it's \\ free\ntext".into())]);
    let table: Vec<String> =
        c.query("SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_NAME = 'cm'").await.unwrap();
    assert_eq!(table, ["a table's comment"]);
    let created: Vec<(String, String)> = c.query("SHOW CREATE TABLE cm").await.unwrap();
    let text = &created[0].1;
    assert!(text.contains("`id` int NOT NULL COMMENT 'set over PostgreSQL'"), "{text}");
    assert!(text.contains("`note` text DEFAULT NULL COMMENT 'it''s \\\\ free\\ntext'"), "{text}");
    assert!(text.ends_with(" COMMENT='a table''s comment'"), "{text}");
    c.query_drop("ALTER TABLE cm COMMENT = 'changed'").await.unwrap();
    let table: Vec<String> =
        c.query("SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_NAME = 'cm'").await.unwrap();
    assert_eq!(table, ["changed"]);
    c.query_drop("ALTER TABLE cm COMMENT ''").await.unwrap();
    let created: Vec<(String, String)> = c.query("SHOW CREATE TABLE cm").await.unwrap();
    assert!(!created[0].1.contains("COMMENT="), "{}", created[0].1);
    // Only the owner comments.
    c.query_drop("CREATE USER 'eve' IDENTIFIED BY 'eve'").await.unwrap();
    let eve = common::pg::connect(&dev, "eve", "eve").await.unwrap();
    let refused = eve.simple_query("COMMENT ON TABLE cm IS 'mine'").await.unwrap_err();
    let refused = refused.as_db_error().map(|e| (e.code().code().to_string(), e.message().to_string()));
    assert_eq!(refused, Some(("42501".into(), "must be owner of table cm".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn views_made_over_mysql_are_the_chains() {
    let dev = Dev::start("mysql-views");
    let mut c = connect(&dev, "admin", "admin").await;
    c.query_drop(
        "CREATE TABLE item (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20), price DECIMAL(8,2));
         INSERT INTO item (name, price) VALUES ('a', 1.50), ('b', 2)",
    )
    .await
    .unwrap();
    // mysqldump's form: ALGORITHM, DEFINER and SQL SECURITY are taken.
    c.query_drop(
        "CREATE OR REPLACE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `doubled` AS \
         SELECT `name`, `price` * 2 AS `twice` FROM `item`",
    )
    .await
    .unwrap();
    let rows: Vec<(String, String)> = c.query("SELECT name, twice FROM doubled ORDER BY name").await.unwrap();
    assert_eq!(rows, [("a".into(), "3.00".into()), ("b".into(), "4.00".into())]);
    // MySQL's own ways of telling views from tables.
    let kinds: Vec<(String, String)> = c.query("SHOW FULL TABLES").await.unwrap();
    assert_eq!(kinds, [("doubled".into(), "VIEW".into()), ("item".into(), "BASE TABLE".into())]);
    let created: Vec<(String, String, String, String)> = c.query("SHOW CREATE VIEW doubled").await.unwrap();
    assert_eq!(
        created[0].1,
        "CREATE ALGORITHM=UNDEFINED DEFINER=`admin`@`%` SQL SECURITY DEFINER VIEW `doubled` AS \
         select `item`.`name` AS `name`,`item`.`price` * 2 AS `twice` from `item`"
    );
    let security: Vec<String> =
        c.query("SELECT SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_NAME = 'doubled'").await.unwrap();
    assert_eq!(security, ["DEFINER"]);
    let cases = [
        ("INSERT INTO doubled VALUES ('x', 1)", 1471, "HY000"),
        ("DROP TABLE doubled", 1347, "HY000"),
        ("DROP VIEW item", 1347, "HY000"),
        ("CREATE VIEW doubled AS SELECT 1", 1050, "42S01"),
        ("DROP VIEW missing", 1146, "42S02"),
        ("SHOW CREATE VIEW item", 1347, "HY000"),
    ];
    for (sql, code, state) in cases {
        let e = c.query_drop(sql).await.unwrap_err();
        assert_eq!(server_error(e), (code, state.to_string()), "{sql}");
    }
    // The same view over PostgreSQL, typed by its table's column.
    let pg = common::pg::connect(&dev, "admin", "admin").await.unwrap();
    let r = pg.query("SELECT twice FROM doubled WHERE name = 'a'", &[]).await.unwrap();
    assert_eq!(r[0].columns()[0].type_(), &tokio_postgres::types::Type::NUMERIC);
    c.query_drop("DROP VIEW IF EXISTS doubled").await.unwrap();
    c.query_drop("DROP TABLE item").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn autocommit_off_transactions_commit_roll_back_and_conflict() {
    let dev = Dev::start("mysql-tx");
    let mut a = connect(&dev, "admin", "admin").await;
    let mut b = connect(&dev, "admin", "admin").await;
    a.query_drop("CREATE TABLE acct (id INT PRIMARY KEY, bal BIGINT NOT NULL)").await.unwrap();
    a.query_drop("INSERT INTO acct VALUES (1, 100), (2, 0)").await.unwrap();

    a.query_drop("SET autocommit = 0").await.unwrap();
    let flags: Vec<i64> = a.query("SELECT @@autocommit").await.unwrap();
    assert_eq!(flags, [0]);
    a.query_drop("UPDATE acct SET bal = bal - 10 WHERE id = 1").await.unwrap();
    // A failed statement rolls back only itself, as in MySQL.
    let dup = a.query_drop("INSERT INTO acct VALUES (2, 5)").await.unwrap_err();
    assert_eq!(server_error(dup), (1062, "23000".into()));
    a.query_drop("UPDATE acct SET bal = bal + 10 WHERE id = 2").await.unwrap();
    let mine: Vec<(i64, i64)> = a.query("SELECT id, bal FROM acct ORDER BY id").await.unwrap();
    assert_eq!(mine, [(1, 90), (2, 10)], "a reads its own writes");
    let theirs: Vec<(i64, i64)> = b.query("SELECT id, bal FROM acct ORDER BY id").await.unwrap();
    assert_eq!(theirs, [(1, 100), (2, 0)], "b does not see them before COMMIT");
    a.query_drop("COMMIT").await.unwrap();
    let theirs: Vec<(i64, i64)> = b.query("SELECT id, bal FROM acct ORDER BY id").await.unwrap();
    assert_eq!(theirs, [(1, 90), (2, 10)]);

    a.query_drop("DELETE FROM acct").await.unwrap();
    a.query_drop("ROLLBACK").await.unwrap();
    let n: Vec<i64> = b.query("SELECT count(*) FROM acct").await.unwrap();
    assert_eq!(n, [2], "the rolled-back DELETE never reached the chain");

    // A transaction whose reads another commit changed fails with 1213 and
    // is rolled back whole.
    a.query_drop("START TRANSACTION").await.unwrap();
    let before: Vec<i64> = a.query("SELECT bal FROM acct WHERE id = 1").await.unwrap();
    assert_eq!(before, [90]);
    b.query_drop("UPDATE acct SET bal = 0 WHERE id = 1").await.unwrap();
    // The next statement re-runs the transaction so far and may see the
    // change already; COMMIT sees it at the latest.
    let conflict = match a.query_drop("UPDATE acct SET bal = 1000 WHERE id = 2").await {
        Err(e) => e,
        Ok(()) => a.query_drop("COMMIT").await.expect_err("COMMIT after a concurrent change of what it read"),
    };
    assert_eq!(server_error(conflict), (1213, "40001".into()));
    let after: Vec<(i64, i64)> = b.query("SELECT id, bal FROM acct ORDER BY id").await.unwrap();
    assert_eq!(after, [(1, 0), (2, 10)]);
}

#[test]
fn the_mysql_cli_logs_in_as_the_readme_shows() {
    let dev = Dev::start("mysql-cli");
    let out = mysql_cli(&dev, &["-u", "admin", "-padmin", "rowchain", "-e", "SELECT VERSION(); SHOW DATABASES"]);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "8.0.36-rowchain\ninformation_schema\nrowchain\n");
    let out = mysql_cli(
        &dev,
        &[
            "-u",
            "admin",
            "-padmin",
            "rowchain",
            "-e",
            "CREATE TABLE t (id INT PRIMARY KEY, n TEXT); SHOW TABLES; DESCRIBE t",
        ],
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "t\nid\tint\tNO\tPRI\tNULL\t\nn\ttext\tYES\t\tNULL\t\n");
    let bad = mysql_cli(&dev, &["-u", "admin", "-pwrong", "-e", "SELECT 1"]);
    assert!(text(&bad.stderr).contains("ERROR 1045 (28000)"), "{}", text(&bad.stderr));
}

/// DECIMAL is exact over the MySQL wire too: stored with its scale, summed
/// exactly, bound from prepared-statement parameters, out-of-range values
/// refused with MySQL's error number.
#[tokio::test(flavor = "multi_thread")]
async fn decimal_columns_are_exact() {
    let dev = Dev::start("mysql-decimal");
    let mut c = connect(&dev, "admin", "admin").await;
    c.query_drop("CREATE TABLE price (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL, rate DECIMAL(20,6))")
        .await
        .unwrap();
    c.query_drop("INSERT INTO price VALUES (1, 0.1, 0.1), (2, 0.2, 0.2), (3, 19.999, 1.0000005)").await.unwrap();
    c.exec_drop("INSERT INTO price VALUES (?, ?, ?)", (4, "1.10", 2.5)).await.unwrap();
    let rows: Vec<(i64, String, String)> = c.query("SELECT id, amount, rate FROM price ORDER BY amount").await.unwrap();
    let expected =
        [(1, "0.10", "0.100000"), (2, "0.20", "0.200000"), (4, "1.10", "2.500000"), (3, "20.00", "1.000001")];
    assert_eq!(rows, expected.map(|(i, a, r)| (i, a.to_string(), r.to_string())));
    let sums: Vec<(String, i64)> =
        c.query("SELECT SUM(amount), SUM(amount) = 21.30 FROM price WHERE amount + rate > 0.3").await.unwrap();
    assert_eq!(sums, [("21.30".to_string(), 1)]);
    let e = c.query_drop("INSERT INTO price VALUES (5, 123456789.5, 0)").await.unwrap_err();
    assert_eq!(server_error(e), (1264, "22003".to_string()));
    let n: Vec<i64> = c.query("SELECT COUNT(*) FROM price").await.unwrap();
    assert_eq!(n, [4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_tables_are_session_local() {
    let dev = Dev::start("mysql-temp");
    let mut c = connect(&dev, "admin", "admin").await;
    let mut other = connect(&dev, "admin", "admin").await;
    c.query_drop("CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(20))").await.unwrap();
    c.query_drop("INSERT INTO kept VALUES (1, 'chain')").await.unwrap();
    c.query_drop(
        "CREATE TEMPORARY TABLE staging (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20), amount DECIMAL(8,2))",
    )
    .await
    .unwrap();
    c.query_drop("INSERT INTO staging (v, amount) VALUES ('a', 1.5), ('b', 2.25)").await.unwrap();
    c.exec_drop("INSERT INTO staging (v, amount) VALUES (?, ?)", ("c", "3.10")).await.unwrap();
    assert_eq!(c.last_insert_id(), Some(3));
    let rows: Vec<(i64, String, String)> = c.query("SELECT id, v, amount FROM staging ORDER BY id").await.unwrap();
    assert_eq!(rows, [(1, "a", "1.50"), (2, "b", "2.25"), (3, "c", "3.10")].map(|(i, v, a)| (i, v.into(), a.into())));
    // Another session sees none of it.
    let e = other.query_drop("SELECT * FROM staging").await.unwrap_err();
    assert_eq!(server_error(e), (1146, "42S02".to_string()));
    // A write that mixes the session's table with the chain's is refused.
    let e = c.query_drop("INSERT INTO kept SELECT id, v FROM staging").await.unwrap_err();
    let mysql_async::Error::Server(ref refused) = e else { panic!("{e:?}") };
    assert!(refused.message.contains("mixes temporary tables"), "{refused:?}");
    assert_eq!(server_error(e), (1235, "42000".to_string()));
    // A rolled-back transaction undoes its rows; DROP TEMPORARY TABLE
    // names only temporary tables, so the chain's table survives it.
    c.query_drop("START TRANSACTION").await.unwrap();
    c.query_drop("DELETE FROM staging").await.unwrap();
    c.query_drop("ROLLBACK").await.unwrap();
    let n: Vec<i64> = c.query("SELECT COUNT(*) FROM staging").await.unwrap();
    assert_eq!(n, [3]);
    let e = c.query_drop("DROP TEMPORARY TABLE kept").await.unwrap_err();
    assert_eq!(server_error(e), (1146, "42S02".to_string()));
    c.query_drop("DROP TEMPORARY TABLE staging").await.unwrap();
    let kept: Vec<String> = other.query("SELECT v FROM kept").await.unwrap();
    assert_eq!(kept, ["chain"]);
    // A READ ONLY transaction refuses chain writes with MySQL's error.
    c.query_drop("START TRANSACTION READ ONLY").await.unwrap();
    let e = c.query_drop("INSERT INTO kept VALUES (2, 'no')").await.unwrap_err();
    assert_eq!(server_error(e), (1792, "25006".to_string()));
    c.query_drop("ROLLBACK").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mysql_database_is_a_schema() {
    let dev = Dev::start("mysql-databases");
    let mut c = connect(&dev, "admin", "admin").await;
    c.query_drop(
        "CREATE DATABASE IF NOT EXISTS test_schema CHARACTER SET utf8mb4;
         CREATE TABLE test_schema.item (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20));
         CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(20));
         INSERT INTO test_schema.item (name) VALUES ('in the schema');
         INSERT INTO rowchain.item VALUES (1, 'in the database')",
    )
    .await
    .unwrap();
    let rows: Vec<(String, String)> =
        c.query("SELECT s.name, d.name FROM test_schema.item s JOIN item d ON d.id = s.id").await.unwrap();
    assert_eq!(rows, [("in the schema".into(), "in the database".into())]);
    // SHOW TABLES lists the session's database, or the one it names.
    c.query_drop("CREATE TABLE test_schema.other (id INT PRIMARY KEY)").await.unwrap();
    let tables: Vec<String> = c.query("SHOW TABLES").await.unwrap();
    assert_eq!(tables, ["item"]);
    let tables: Vec<String> = c.query("SHOW TABLES FROM test_schema").await.unwrap();
    assert_eq!(tables, ["item", "other"]);
    let created: Vec<(String, String)> = c.query("SHOW CREATE TABLE `test_schema`.`other`").await.unwrap();
    assert!(created[0].1.starts_with("CREATE TABLE `other` ("), "{}", created[0].1);
    let columns: Vec<String> = c
        .query_map("SHOW COLUMNS FROM other FROM test_schema", |row: mysql_async::Row| {
            row.get::<String, _>(0).unwrap_or_default()
        })
        .await
        .unwrap();
    assert_eq!(columns, ["id"]);
    // The same schema over PostgreSQL.
    let pg = common::pg::connect(&dev, "admin", "admin").await.unwrap();
    let r = pg.query("SELECT name FROM test_schema.item", &[]).await.unwrap();
    assert_eq!(r[0].get::<_, String>(0), "in the schema");
    let e = c.query_drop("CREATE DATABASE test_schema").await.unwrap_err();
    assert_eq!(server_error(e), (1007, "HY000".to_string()));
    // DROP DATABASE drops what is in it.
    c.query_drop("DROP DATABASE test_schema").await.unwrap();
    let e = c.query_drop("SELECT * FROM test_schema.item").await.unwrap_err();
    assert_eq!(server_error(e), (1146, "42S02".to_string()));
    let rows: Vec<String> = c.query("SELECT name FROM item").await.unwrap();
    assert_eq!(rows, ["in the database"]);
}
