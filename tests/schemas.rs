//! Schemas end to end over the PostgreSQL wire: CREATE SCHEMA and
//! schema-qualified tables, views and indexes beside public ones of the
//! same name; who may create in a schema, drop it, and read from it; DROP
//! SCHEMA's RESTRICT and CASCADE; search_path; and a full replay of it all.
//! `olive` owns the schema, `gary` is granted rights, `stan` is a stranger.

mod common;

use common::pg::{connect_as as connect, refused, rows};
use common::Dev;

fn s(row: &[&str]) -> Vec<Option<String>> {
    row.iter().map(|v| Some(v.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_hold_their_own_relations_with_postgresql_rights() {
    let dev = Dev::start("schemas");
    let admin = connect(&dev, "admin").await;
    for role in ["olive", "gary", "stan"] {
        admin.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")).await.unwrap();
    }
    let (olive, gary, stan) = (connect(&dev, "olive").await, connect(&dev, "gary").await, connect(&dev, "stan").await);

    olive
        .batch_execute(
            "CREATE SCHEMA sales;
             CREATE TABLE sales.customers (id int PRIMARY KEY, name text NOT NULL);
             CREATE TABLE sales.orders (id int PRIMARY KEY, customer int REFERENCES sales.customers (id), note text);
             CREATE TABLE orders (id int PRIMARY KEY, note text);
             INSERT INTO sales.customers VALUES (1, 'Ada'), (2, 'Grace');
             INSERT INTO sales.orders VALUES (10, 1, 'sales order'), (11, 2, 'another');
             INSERT INTO orders VALUES (10, 'public order');
             CREATE INDEX orders_note ON sales.orders (note)",
        )
        .await
        .unwrap();

    // The same name in two schemas is two tables; a FROM item is known by
    // its relation name, and a column may be qualified with the schema.
    assert_eq!(rows(&olive, "SELECT note FROM orders").await, vec![s(&["public order"])]);
    assert_eq!(
        rows(&olive, "SELECT orders.id, sales.orders.note FROM sales.orders WHERE orders.customer = 2").await,
        vec![s(&["11", "another"])]
    );
    assert_eq!(
        rows(&olive, "SELECT s.note, p.note FROM sales.orders s JOIN public.orders p ON p.id = s.id").await,
        vec![s(&["sales order", "public order"])]
    );
    olive.batch_execute("UPDATE sales.orders SET note = 'changed' WHERE orders.id = 11").await.unwrap();
    assert_eq!(rows(&olive, "SELECT note FROM sales.orders WHERE id = 11").await, vec![s(&["changed"])]);
    assert_eq!(rows(&olive, "SELECT note FROM orders WHERE id = 10").await, vec![s(&["public order"])]);
    // The foreign key is enforced within the schema.
    assert_eq!(refused(&olive, "INSERT INTO sales.orders VALUES (12, 99, 'x')").await.0, "23503");
    // A renamed table stays in its schema; an index lives in its table's.
    olive.batch_execute("ALTER TABLE sales.customers RENAME TO clients").await.unwrap();
    assert_eq!(rows(&olive, "SELECT count(*) FROM sales.clients").await, vec![s(&["2"])]);
    assert_eq!(refused(&olive, "SELECT * FROM sales.customers").await.0, "42P01");
    assert_eq!(refused(&olive, "DROP INDEX orders_note").await.0, "42704");
    olive.batch_execute("DROP INDEX sales.orders_note").await.unwrap();
    olive
        .batch_execute(
            "CREATE VIEW sales.order_names AS
               SELECT o.id, c.name FROM sales.orders o JOIN sales.clients c ON c.id = o.customer",
        )
        .await
        .unwrap();
    assert_eq!(
        rows(&olive, "SELECT * FROM sales.order_names ORDER BY id").await,
        vec![s(&["10", "Ada"]), s(&["11", "Grace"])]
    );

    // Creating in a schema takes its owner, an admin or a CREATE grant.
    let (state, message) = refused(&stan, "CREATE TABLE sales.mine (id int)").await;
    assert_eq!((state.as_str(), message.as_str()), ("42501", "permission denied for schema sales"));
    assert_eq!(refused(&stan, "CREATE VIEW sales.peek AS SELECT 1 AS one").await.0, "42501");
    admin.batch_execute("CREATE TABLE sales.audit (id int PRIMARY KEY)").await.unwrap();
    assert_eq!(refused(&stan, "GRANT CREATE ON SCHEMA sales TO stan").await.1, "must be owner of schema sales");
    olive.batch_execute("GRANT USAGE, CREATE ON SCHEMA sales TO stan").await.unwrap();
    stan.batch_execute("CREATE TABLE sales.mine (id int PRIMARY KEY)").await.unwrap();
    // Table privileges still decide who reads a table of the schema.
    assert_eq!(refused(&stan, "SELECT * FROM sales.orders").await.1, "permission denied for table orders");
    assert_eq!(refused(&gary, "SELECT * FROM sales.clients").await.0, "42501");
    olive.batch_execute("GRANT USAGE ON SCHEMA sales TO gary").await.unwrap();
    olive.batch_execute("GRANT SELECT ON ALL TABLES IN SCHEMA sales TO gary").await.unwrap();
    assert_eq!(rows(&gary, "SELECT count(*) FROM sales.clients").await, vec![s(&["2"])]);
    assert_eq!(rows(&gary, "SELECT count(*) FROM sales.order_names").await, vec![s(&["2"])]);
    // ... but not on the tables olive does not own (admin's, stan's).
    assert_eq!(refused(&gary, "SELECT * FROM orders").await.0, "42501");

    // Names and rights PostgreSQL refuses.
    for (sql, state, message) in [
        ("CREATE TABLE nowhere.t (id int)", "3F000", "schema \"nowhere\" does not exist"),
        ("CREATE SCHEMA sales", "42P06", "schema \"sales\" already exists"),
        ("CREATE SCHEMA pg_mine", "42939", "unacceptable schema name \"pg_mine\""),
        ("CREATE SCHEMA public", "42P06", "schema \"public\" already exists"),
        ("DROP SCHEMA nowhere", "3F000", "schema \"nowhere\" does not exist"),
        (
            "DROP SCHEMA pg_catalog",
            "2BP01",
            "cannot drop schema pg_catalog because it is required by the database system",
        ),
        (
            "SET search_path TO sales, public",
            "0A000",
            "search_path with schema \"sales\" before public is not supported",
        ),
    ] {
        let (got_state, got_message) = refused(&olive, sql).await;
        assert_eq!((got_state.as_str(), got_message.as_str()), (state, message), "{sql}");
    }
    olive
        .batch_execute("CREATE SCHEMA IF NOT EXISTS sales; SET search_path TO \"$user\", public, sales")
        .await
        .unwrap();
    assert_eq!(refused(&stan, "DROP SCHEMA sales CASCADE").await.1, "must be owner of schema sales");
    let (state, message) = refused(&olive, "DROP SCHEMA sales").await;
    assert_eq!(state, "2BP01", "{message}");
    assert!(message.starts_with("cannot drop schema sales because other objects depend on it"), "{message}");
    assert_eq!(rows(&olive, "SELECT count(*) FROM sales.orders").await, vec![s(&["2"])]);

    // A public view that reads the schema goes with it under CASCADE.
    olive.batch_execute("CREATE VIEW order_count AS SELECT count(*) AS n FROM sales.orders").await.unwrap();
    olive.batch_execute("COMMENT ON SCHEMA sales IS 'the sales team'").await.unwrap();
    olive.batch_execute("DROP SCHEMA sales CASCADE").await.unwrap();
    for gone in ["sales.orders", "sales.clients", "sales.mine", "sales.audit", "sales.order_names", "order_count"] {
        assert_eq!(refused(&olive, &format!("SELECT * FROM {gone}")).await.0, "42P01", "{gone}");
    }
    assert_eq!(rows(&olive, "SELECT note FROM orders").await, vec![s(&["public order"])]);
    // The name is free again, and a new schema starts empty.
    olive.batch_execute("CREATE SCHEMA sales; CREATE TABLE sales.orders (id int PRIMARY KEY)").await.unwrap();
    assert_eq!(rows(&olive, "SELECT count(*) FROM sales.orders").await, vec![s(&["0"])]);

    drop((admin, olive, gary, stan));
    let mut dev = dev;
    dev.stop();
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}
