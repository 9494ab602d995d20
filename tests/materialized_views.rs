//! Materialized views end to end over the PostgreSQL wire: created with
//! their query's rows, stale until REFRESH, read-only, owned and granted
//! like tables, dependent on what they read, shown in the catalog, and
//! replayed to the same state.

mod common;

use common::pg::{connect_as as connect, refused, rows};
use common::Dev;
use tokio_postgres::{Client, SimpleQueryMessage};

fn s(row: &[&str]) -> Vec<Option<String>> {
    row.iter().map(|v| Some(v.to_string())).collect()
}

/// The rows a statement's CommandComplete reports.
async fn completed(c: &Client, sql: &str) -> u64 {
    let messages = c.simple_query(sql).await.unwrap();
    messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{sql}: no CommandComplete"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn materialized_views_keep_their_rows_until_refreshed() {
    let dev = Dev::start("matviews");
    let admin = connect(&dev, "admin").await;
    for role in ["olive", "gary"] {
        admin.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")).await.unwrap();
    }
    let (olive, gary) = (connect(&dev, "olive").await, connect(&dev, "gary").await);
    olive
        .batch_execute(
            "CREATE TABLE sales (id int PRIMARY KEY, region text NOT NULL, amount numeric(10,2));
             INSERT INTO sales VALUES (1, 'north', 10.50), (2, 'north', 4.25), (3, 'south', 7)",
        )
        .await
        .unwrap();
    let created = completed(
        &olive,
        "CREATE MATERIALIZED VIEW totals AS SELECT region, sum(amount) AS total FROM sales GROUP BY region",
    )
    .await;
    assert_eq!(created, 2, "PostgreSQL's tag: SELECT 2");
    let query = "SELECT region, total FROM totals ORDER BY region";
    let before = vec![s(&["north", "14.75"]), s(&["south", "7.00"])];
    assert_eq!(rows(&olive, query).await, before);

    // A snapshot: the table changes, the view does not until REFRESH.
    olive.batch_execute("INSERT INTO sales VALUES (4, 'south', 1)").await.unwrap();
    assert_eq!(rows(&olive, query).await, before);
    olive.batch_execute("REFRESH MATERIALIZED VIEW totals").await.unwrap();
    assert_eq!(rows(&olive, query).await, vec![s(&["north", "14.75"]), s(&["south", "8.00"])]);
    // IF NOT EXISTS leaves it as it is.
    olive.batch_execute("CREATE MATERIALIZED VIEW IF NOT EXISTS totals AS SELECT 1 AS one").await.unwrap();
    assert_eq!(rows(&olive, "SELECT count(*) FROM totals").await, vec![s(&["2"])]);
    olive.batch_execute("CREATE INDEX totals_region ON totals (region)").await.unwrap();

    // Only its query writes it, and it is not a table or a view.
    for (sql, state, message) in [
        ("INSERT INTO totals VALUES ('east', 1)", "42809", "cannot change materialized view \"totals\""),
        ("DELETE FROM totals", "42809", "cannot change materialized view \"totals\""),
        // The chain's receipts carry the hint in the message.
        (
            "DROP TABLE totals",
            "42809",
            "\"totals\" is not a table (hint: Use DROP MATERIALIZED VIEW to remove a materialized view.)",
        ),
        (
            "DROP VIEW totals",
            "42809",
            "\"totals\" is not a view (hint: Use DROP MATERIALIZED VIEW to remove a materialized view.)",
        ),
        ("DROP MATERIALIZED VIEW sales", "42809", "\"sales\" is not a materialized view"),
        ("REFRESH MATERIALIZED VIEW nothing", "42P01", "materialized view \"nothing\" does not exist"),
        ("CREATE MATERIALIZED VIEW totals AS SELECT 1 AS one", "42P07", "relation \"totals\" already exists"),
    ] {
        let got = refused(&olive, sql).await;
        assert_eq!((got.0.as_str(), got.1.as_str()), (state, message), "{sql}");
    }
    // What every validator must compute alike.
    let dice = refused(&olive, "CREATE MATERIALIZED VIEW dice AS SELECT random() AS r").await;
    assert_eq!(dice.0, "0A000", "{dice:?}");
    // DROP TABLE of what it reads: 2BP01 unless CASCADE.
    let (state, message) = refused(&olive, "DROP TABLE sales").await;
    assert_eq!(state, "2BP01", "{message}");
    assert!(message.contains("materialized view totals"), "{message}");

    // Reading it takes SELECT on it, not on what it reads; refreshing
    // takes ownership.
    assert_eq!(refused(&gary, "SELECT * FROM totals").await.1, "permission denied for table totals");
    olive.batch_execute("GRANT SELECT ON totals TO gary").await.unwrap();
    assert_eq!(rows(&gary, query).await.len(), 2);
    assert_eq!(refused(&gary, "SELECT * FROM sales").await.0, "42501");
    assert_eq!(refused(&gary, "REFRESH MATERIALIZED VIEW totals").await.1, "must be owner of materialized view totals");

    // The catalog tells it apart, with its query.
    assert_eq!(
        rows(&olive, "SELECT relkind, relhasindex FROM pg_class WHERE relname = 'totals'").await,
        vec![s(&["m", "t"])]
    );
    let definition = rows(&olive, "SELECT matviewname, definition FROM pg_matviews").await;
    assert_eq!(definition.len(), 1);
    assert_eq!(definition[0][0].as_deref(), Some("totals"));
    let text = definition[0][1].clone().unwrap_or_default();
    assert_eq!(text, " SELECT sales.region,\n    sum(sales.amount) AS total\n   FROM sales\n  GROUP BY sales.region;");
    assert_eq!(
        rows(&olive, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'totals'").await,
        vec![s(&["0"])]
    );

    // In a schema, and gone with it.
    olive
        .batch_execute(
            "CREATE SCHEMA reports;
             CREATE MATERIALIZED VIEW reports.north AS SELECT id FROM sales WHERE region = 'north'",
        )
        .await
        .unwrap();
    assert_eq!(rows(&olive, "SELECT count(*) FROM reports.north").await, vec![s(&["2"])]);
    olive.batch_execute("DROP SCHEMA reports CASCADE").await.unwrap();
    assert_eq!(refused(&olive, "SELECT * FROM reports.north").await.0, "42P01");
    olive.batch_execute("DROP TABLE sales CASCADE").await.unwrap();
    assert_eq!(refused(&olive, "SELECT * FROM totals").await.0, "42P01");

    drop((admin, olive, gary));
    let mut dev = dev;
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}
