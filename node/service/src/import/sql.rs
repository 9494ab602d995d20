//! The chain statements an importer writes rows with, in the chain's
//! (PostgreSQL's) dialect, whatever the source's.

use node_core::tx::Statement;
use node_core::value::Value;

pub(crate) fn statement(sql: String, params: Vec<Value>) -> Statement {
    Statement { sql, params }
}

/// One `INSERT` of `rows` (each in `columns`' order) into `table`.
pub(crate) fn insert_rows(table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Statement {
    statement(insert_sql(table, columns, rows.len()), rows.into_iter().flatten().collect())
}

/// About how many bytes a parameter adds to a tx.
pub(crate) fn value_size(v: &Value) -> usize {
    match v {
        Value::Text(s) => s.len() + 8,
        Value::Blob(b) => b.len() + 8,
        _ => 9,
    }
}

/// A source transaction's statements as txs: one, unless `--split-rows N`
/// allows parts of at most N statements.
pub(crate) fn split(statements: Vec<Statement>, split_rows: Option<usize>) -> Vec<Vec<Statement>> {
    match split_rows {
        Some(n) if n > 0 && statements.len() > n => statements.chunks(n).map(<[Statement]>::to_vec).collect(),
        _ => vec![statements],
    }
}

/// An identifier quoted for the chain's (PostgreSQL's) dialect.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `INSERT INTO t (columns) VALUES ($1, ..), ..` for `rows` rows.
pub(crate) fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let n = columns.len();
    let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=n).map(|i| format!("${}", r * n + i)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!("INSERT INTO {} ({}) VALUES {}", quote(table), names.join(", "), tuples.join(", "))
}

/// `UPDATE t SET every column WHERE key`: the new values are `$1..$n`, the
/// old key `$n+1..`.
pub(crate) fn update_sql(table: &str, columns: &[&str], key: &[&str]) -> String {
    let sets: Vec<String> = columns.iter().enumerate().map(|(i, c)| format!("{} = ${}", quote(c), i + 1)).collect();
    format!("UPDATE {} SET {} WHERE {}", quote(table), sets.join(", "), key_condition(key, columns.len()))
}

/// `DELETE FROM t WHERE key`, the key `$1..`.
pub(crate) fn delete_sql(table: &str, key: &[&str]) -> String {
    format!("DELETE FROM {} WHERE {}", quote(table), key_condition(key, 0))
}

fn key_condition(key: &[&str], offset: usize) -> String {
    let conds: Vec<String> =
        key.iter().enumerate().map(|(k, c)| format!("{} = ${}", quote(c), offset + k + 1)).collect();
    conds.join(" AND ")
}
