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

/// Connects as role `user`, whose password is `pw-<user>` (admin's is
/// `admin`), as the tests that create roles give them.
pub async fn connect_as(dev: &Dev, user: &str) -> Client {
    let password = if user == "admin" { "admin".to_string() } else { format!("pw-{user}") };
    connect(dev, user, &password).await.unwrap_or_else(|e| panic!("connect as {user}: {e}"))
}

/// The SQLSTATE and message of a statement that must fail.
pub async fn refused(c: &Client, sql: &str) -> (String, String) {
    match c.simple_query(sql).await {
        Ok(_) => panic!("{sql}: succeeded, must be refused"),
        Err(e) => {
            let db = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
            (db.code().code().to_string(), db.message().to_string())
        }
    }
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
