//! PostgreSQL-wire helpers for the end-to-end tests: a tokio-postgres
//! client of a `Dev` node, and simple-query results as text.

use super::Dev;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// Connects to `dev`'s PostgreSQL port; the connection runs on its own task.
pub async fn connect(dev: &Dev, user: &str, password: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(&dev.pg_dsn(user, password), NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// The rows of a simple query that must succeed, as text (NULL as `None`).
pub async fn rows(c: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    c.simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect()),
            _ => None,
        })
        .collect()
}

/// The row counts of a simple query's CommandComplete tags (tokio-postgres
/// exposes the count; the tag words are checked by the psycopg2 and psql suites).
pub async fn counts(c: &Client, sql: &str) -> Vec<u64> {
    c.simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(n),
            _ => None,
        })
        .collect()
}
