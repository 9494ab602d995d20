//! SQL-level prepared statements end to end over the PostgreSQL wire:
//! PREPARE, EXECUTE and DEALLOCATE with PostgreSQL's SQLSTATEs, messages,
//! details and hints; an executed write is a signed chain tx of the
//! statement itself (never of the EXECUTE text), alone or as a step of a
//! transaction block, and a failing one changes nothing; the extended
//! protocol's Parse and Describe of an EXECUTE announce the prepared
//! statement's parameters and result columns; `pg_prepared_statements`
//! lists a session's own statements; the MySQL wire still reads its own
//! `PREPARE ... FROM` as before (refused, as MySQL SQL-level prepares
//! are not supported there).

mod common;

use common::pg::{connect_as as connect, counts, refused, rows};
use common::Dev;
use tokio_postgres::types::Type;
use tokio_postgres::Client;

fn s(row: &[&str]) -> Vec<Option<String>> {
    row.iter().map(|v| Some(v.to_string())).collect()
}

/// SQLSTATE, message, detail and hint of a statement that must fail.
async fn refusal(c: &Client, sql: &str) -> (String, String, Option<String>, Option<String>) {
    let e = c.simple_query(sql).await.err().unwrap_or_else(|| panic!("{sql}: succeeded, must be refused"));
    let db = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
    (
        db.code().code().to_string(),
        db.message().to_string(),
        db.detail().map(str::to_string),
        db.hint().map(str::to_string),
    )
}

async fn scalar(c: &Client, sql: &str) -> String {
    rows(c, sql).await.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default()
}

/// How many of the chain's txs carry a statement like `pattern`.
async fn txs_like(c: &Client, pattern: &str) -> String {
    scalar(c, &format!("SELECT count(*) FROM rowchain.transactions WHERE statement LIKE '{pattern}'")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_execute_deallocate_as_postgresql() {
    let dev = Dev::start("prepared");
    let admin = connect(&dev, "admin").await;
    admin
        .batch_execute("CREATE TABLE pitems (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2))")
        .await
        .unwrap();

    // An executed write is the statement's own chain tx.
    admin.batch_execute("PREPARE ins(int, text, numeric) AS INSERT INTO pitems VALUES ($1, $2, $3)").await.unwrap();
    assert_eq!(counts(&admin, "EXECUTE ins(1, 'apple', 0.5)").await, vec![1]);
    assert_eq!(counts(&admin, "EXECUTE ins(2.6, 'bread', '2.25')").await, vec![1]);
    assert_eq!(txs_like(&admin, "INSERT INTO pitems VALUES ($1, $2, $3)").await, "2");
    assert_eq!(txs_like(&admin, "%EXECUTE%").await, "0");
    assert_eq!(txs_like(&admin, "%PREPARE%").await, "0");
    assert_eq!(
        rows(&admin, "SELECT id, name, price FROM pitems ORDER BY id").await,
        vec![s(&["1", "apple", "0.50"]), s(&["3", "bread", "2.25"])]
    );

    // Errors as PostgreSQL 15 gives them.
    let no_detail = |state: &str, message: &str| (state.to_string(), message.to_string(), None, None);
    assert_eq!(
        refusal(&admin, "EXECUTE ins(4)").await,
        (
            "42601".into(),
            "wrong number of parameters for prepared statement \"ins\"".into(),
            Some("Expected 3 parameters but got 1.".into()),
            None
        )
    );
    assert_eq!(
        refusal(&admin, "EXECUTE ins('4'::text, 'x', 1)").await,
        (
            "42804".into(),
            "parameter $1 of type text cannot be coerced to the expected type integer".into(),
            None,
            Some("You will need to rewrite or cast the expression.".into())
        )
    );
    assert_eq!(
        refusal(&admin, "EXECUTE ins('four', 'x', 1)").await,
        no_detail("22P02", "invalid input syntax for type integer: \"four\"")
    );
    assert_eq!(
        refusal(&admin, "EXECUTE nosuch").await,
        no_detail("26000", "prepared statement \"nosuch\" does not exist")
    );
    assert_eq!(
        refusal(&admin, "DEALLOCATE nosuch").await,
        no_detail("26000", "prepared statement \"nosuch\" does not exist")
    );
    assert_eq!(
        refusal(&admin, "PREPARE ins AS SELECT 1").await,
        no_detail("42P05", "prepared statement \"ins\" already exists")
    );
    assert_eq!(
        refusal(&admin, "PREPARE gap AS SELECT $2").await,
        no_detail("42P18", "could not determine data type of parameter $1")
    );
    assert_eq!(refusal(&admin, "PREPARE t AS SELECT * FROM nosuch").await.0, "42P01");
    // A failing write is rolled back: nothing changed, no tx applied.
    assert_eq!(refusal(&admin, "EXECUTE ins(1, 'again', 1)").await.0, "23505");
    assert_eq!(scalar(&admin, "SELECT count(*) FROM pitems").await, "2");
    assert_eq!(
        scalar(&admin, "SELECT count(*) FROM rowchain.transactions WHERE statement LIKE 'INSERT INTO pitems%' AND status = 'committed'").await,
        "2"
    );

    // Inside a transaction block an EXECUTE is a step of the block's tx;
    // its failure fails the block; prepared statements are not transactional.
    admin.batch_execute("BEGIN").await.unwrap();
    assert_eq!(counts(&admin, "EXECUTE ins(10, 'ten', 10)").await, vec![1]);
    admin.batch_execute("PREPARE in_block AS SELECT 42 AS answer").await.unwrap();
    assert_eq!(refusal(&admin, "EXECUTE ins(10, 'again', 1)").await.0, "23505");
    assert_eq!(refusal(&admin, "EXECUTE in_block").await.0, "25P02");
    admin.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&admin, "EXECUTE in_block").await, vec![s(&["42"])]);
    assert_eq!(scalar(&admin, "SELECT count(*) FROM pitems WHERE id = 10").await, "0");
    let before = txs_like(&admin, "%").await;
    admin.batch_execute("BEGIN; EXECUTE ins(11, 'eleven', 11); EXECUTE ins(12, 'twelve', 12); COMMIT").await.unwrap();
    assert_eq!(scalar(&admin, "SELECT count(*) FROM pitems WHERE id > 10").await, "2");
    let after = txs_like(&admin, "%").await;
    assert_eq!(after.parse::<u64>().unwrap(), before.parse::<u64>().unwrap() + 1, "one tx for the block");

    // Reads: rows and the underlying statement's tag.
    admin
        .batch_execute("PREPARE sel(int) AS SELECT id, name, price FROM pitems WHERE id >= $1 ORDER BY id")
        .await
        .unwrap();
    assert_eq!(counts(&admin, "EXECUTE sel(11)").await, vec![2]);
    assert_eq!(rows(&admin, "EXECUTE sel(12)").await, vec![s(&["12", "twelve", "12.00"])]);

    // The extended protocol: Parse/Describe of an EXECUTE announce the
    // prepared statement's parameter and result types.
    let statement = admin.prepare("EXECUTE sel($1)").await.unwrap();
    assert_eq!(statement.params(), &[Type::INT4]);
    let columns: Vec<(&str, &Type)> = statement.columns().iter().map(|c| (c.name(), c.type_())).collect();
    assert_eq!(columns, vec![("id", &Type::INT4), ("name", &Type::TEXT), ("price", &Type::NUMERIC)]);
    let found = admin.query(&statement, &[&11i32]).await.unwrap();
    let found: Vec<(i32, String)> = found.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(found, vec![(11, "eleven".to_string()), (12, "twelve".to_string())]);
    let literal = admin.prepare("EXECUTE sel(3)").await.unwrap();
    assert!(literal.params().is_empty());
    assert_eq!(literal.columns().len(), 3);
    // An executed write over the extended protocol lands on the chain too.
    admin.batch_execute("PREPARE named(int, text) AS INSERT INTO pitems (id, name) VALUES ($1, $2)").await.unwrap();
    assert_eq!(admin.execute("EXECUTE named($1, $2)", &[&20i32, &"twenty"]).await.unwrap(), 1);
    assert_eq!(scalar(&admin, "SELECT name FROM pitems WHERE id = 20").await, "twenty");
    assert_eq!(txs_like(&admin, "INSERT INTO pitems (id, name) VALUES ($1, $2)").await, "1");

    // pg_prepared_statements lists the session's own statements.
    assert_eq!(
        rows(&admin, "SELECT name, statement, parameter_types, from_sql FROM pg_prepared_statements WHERE name IN ('ins', 'in_block') ORDER BY name").await,
        vec![
            s(&["in_block", "PREPARE in_block AS SELECT 42 AS answer", "{}", "t"]),
            s(&["ins", "PREPARE ins(int, text, numeric) AS INSERT INTO pitems VALUES ($1, $2, $3)", "{integer,text,numeric}", "t"]),
        ]
    );
    let other = connect(&dev, "admin").await;
    assert_eq!(scalar(&other, "SELECT count(*) FROM pg_prepared_statements").await, "0");
    assert_eq!(refused(&other, "EXECUTE sel(1)").await.0, "26000");

    // DEALLOCATE one, then all.
    admin.batch_execute("DEALLOCATE PREPARE in_block").await.unwrap();
    assert_eq!(refused(&admin, "EXECUTE in_block").await.0, "26000");
    // The extended protocol's named statements are listed too.
    let protocol =
        rows(&admin, "SELECT statement, parameter_types FROM pg_prepared_statements WHERE NOT from_sql").await;
    assert!(protocol.contains(&s(&["EXECUTE sel($1)", "{integer}"])), "{protocol:?}");
    admin.batch_execute("DEALLOCATE ALL").await.unwrap();
    assert_eq!(scalar(&admin, "SELECT count(*) FROM pg_prepared_statements WHERE from_sql").await, "0");
    drop(statement);
    drop(literal);
}

/// MySQL's SQL-level PREPARE is another statement, which the MySQL wire
/// does not plan as PostgreSQL's: it is refused there as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_dialect_does_not_plan_postgresql_prepare() {
    use mysql_async::prelude::Queryable;
    let dev = Dev::start("prepared-mysql");
    let options = mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(dev.mysql_port)
        .user(Some("admin"))
        .pass(Some("admin"))
        .db_name(Some("rowchain"))
        .prefer_socket(false);
    let mut conn = mysql_async::Conn::new(options).await.unwrap();
    for sql in ["PREPARE s AS SELECT 1", "PREPARE s FROM 'SELECT 1'", "EXECUTE s", "DEALLOCATE PREPARE s"] {
        assert!(conn.query_drop(sql).await.is_err(), "{sql}");
    }
    let one: Option<i64> = conn.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some(1));
}
