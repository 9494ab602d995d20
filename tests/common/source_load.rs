//! The source side of the MySQL import tests: the `shop` schema, a
//! deterministic mixed write workload on a MariaDB server (inserts, updates,
//! deletes, rolled-back transactions, an `ALTER TABLE` midway), and reading
//! a table on both sides (MariaDB, and the chain over the PostgreSQL wire)
//! as normalized text so the two compare row by row.

use super::mariadb::Mariadb;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};
use std::collections::{HashMap, HashSet};
use tokio_postgres::types::Type;

/// The source tables, in database `shop` (latin1 by default, see
/// [`Mariadb::start`]; `items.name` alone is utf8mb4). One statement each,
/// separated by `;`, for the `mysql` CLI or one statement at a time.
pub const SCHEMA: &str = "\
CREATE TABLE items (
  id INT AUTO_INCREMENT PRIMARY KEY,
  sku VARCHAR(32) NOT NULL UNIQUE,
  name VARCHAR(200) CHARACTER SET utf8mb4,
  price DECIMAL(12,2) NOT NULL,
  weight DOUBLE,
  qty INT UNSIGNED NOT NULL DEFAULT 0,
  big BIGINT UNSIGNED,
  flag TINYINT(1),
  color ENUM('red','green','blue'),
  note TEXT,
  photo BLOB,
  made DATE,
  updated DATETIME(6)
) ENGINE=InnoDB;
CREATE TABLE events (txid BIGINT PRIMARY KEY, kind VARCHAR(16) NOT NULL, at DATETIME NOT NULL) ENGINE=InnoDB;
";

/// The column [`run_load`] adds with `ALTER TABLE` when asked to.
pub const ADDED_COLUMN: &str = "rating";

/// A table's rows as text, one `Option` per cell (`None`: SQL NULL).
pub type Rows = Vec<Vec<Option<String>>>;

// ---------------------------------------------------------------- the load

/// Runs `txs` source transactions on `url` (a `mysql://` URL of the `shop`
/// database), transaction `i` having txid `first_txid + i`, the mix drawn
/// from a PRNG seeded with `seed`. Every transaction is explicit (`START
/// TRANSACTION` .. `COMMIT`) and writes the `events` row of its txid; every
/// 7th (`i % 7 == 6`) does its writes and then `ROLLBACK`s. With
/// `add_column_at == Some(k)`, `ALTER TABLE items ADD COLUMN rating` runs
/// (autocommit) before transaction `k`, and later ones write `rating` too.
/// Items that already exist are updated and deleted as well. Returns the
/// txids of the committed transactions, in order.
pub async fn run_load(url: &str, first_txid: u64, txs: u64, seed: u64, add_column_at: Option<u64>) -> Vec<u64> {
    let opts = Opts::from_url(url).unwrap_or_else(|e| panic!("source URL {url}: {e}"));
    // mysql_async would otherwise reconnect over the server's unix socket.
    let opts = OptsBuilder::from_opts(opts).prefer_socket(false);
    let mut conn = Conn::new(opts).await.unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    let live: Vec<u64> = conn.query("SELECT id FROM items ORDER BY id").await.expect("read the existing item ids");
    let mut load = Load { rng: Rng::new(seed), live, skus: 0, rating: false };
    let mut committed = Vec::new();
    for i in 0..txs {
        if add_column_at == Some(i) {
            let alter = format!("ALTER TABLE items ADD COLUMN {ADDED_COLUMN} SMALLINT NULL");
            exec(&mut conn, &alter).await;
            load.rating = true;
        }
        let txid = first_txid + i;
        let commit = i % 7 != 6;
        load.transaction(&mut conn, txid, commit).await;
        if commit {
            committed.push(txid);
        }
    }
    conn.disconnect().await.expect("disconnect from the source");
    committed
}

/// What one transaction does besides its `events` row (also its `kind`).
#[derive(Clone, Copy)]
pub enum TxKind {
    Insert,
    Update,
    Delete,
    Mixed,
}

impl TxKind {
    pub fn name(self) -> &'static str {
        match self {
            TxKind::Insert => "insert",
            TxKind::Update => "update",
            TxKind::Delete => "delete",
            TxKind::Mixed => "mixed",
        }
    }
}

struct Load {
    rng: Rng,
    /// The ids of the items committed so far.
    live: Vec<u64>,
    /// Makes each sku unique (`sku` is UNIQUE), rolled-back ones included.
    skus: u64,
    /// `items` has the added column.
    rating: bool,
}

impl Load {
    async fn transaction(&mut self, conn: &mut Conn, txid: u64, commit: bool) {
        // The ids as this transaction sees them; kept only if it commits.
        let mut live = self.live.clone();
        let kinds = [TxKind::Insert, TxKind::Update, TxKind::Delete, TxKind::Mixed];
        let kind = if live.is_empty() { TxKind::Insert } else { *self.rng.pick(&kinds) };
        exec(conn, "START TRANSACTION").await;
        if matches!(kind, TxKind::Insert | TxKind::Mixed) {
            for _ in 0..1 + self.rng.below(3) {
                let insert = self.insert_item(txid);
                exec(conn, &insert).await;
                live.push(conn.last_insert_id().expect("an AUTO_INCREMENT id"));
            }
        }
        if matches!(kind, TxKind::Update | TxKind::Mixed) {
            let id = *self.rng.pick(&live);
            let update = self.update_item(id, txid);
            exec(conn, &update).await;
        }
        if matches!(kind, TxKind::Delete | TxKind::Mixed) {
            let id = live.swap_remove(self.rng.below(live.len() as u64) as usize);
            exec(conn, &format!("DELETE FROM items WHERE id = {id}")).await;
        }
        let event = format!(
            "INSERT INTO events (txid, kind, at) VALUES ({txid}, '{}', TIMESTAMP'2024-03-01 00:00:00' + INTERVAL {txid} SECOND)",
            kind.name()
        );
        exec(conn, &event).await;
        exec(conn, if commit { "COMMIT" } else { "ROLLBACK" }).await;
        if commit {
            self.live = live;
        }
    }

    fn insert_item(&mut self, txid: u64) -> String {
        let mut columns = vec!["sku"];
        let mut values = vec![self.sku(txid)];
        for (column, value) in self.item_columns() {
            columns.push(column);
            values.push(value(&mut self.rng));
        }
        format!("INSERT INTO items ({}) VALUES ({})", columns.join(", "), values.join(", "))
    }

    /// Sets 2 to 5 columns (drawn with repeats, so sometimes fewer),
    /// sometimes the unique `sku` among them.
    fn update_item(&mut self, id: u64, txid: u64) -> String {
        let columns = self.item_columns();
        let mut sets = HashMap::new();
        for _ in 0..2 + self.rng.below(4) {
            let (column, value) = *self.rng.pick(&columns);
            sets.insert(column, value(&mut self.rng));
        }
        if self.rng.below(4) == 0 {
            sets.insert("sku", self.sku(txid));
        }
        let mut sets: Vec<String> = sets.into_iter().map(|(c, v)| format!("{c} = {v}")).collect();
        sets.sort();
        format!("UPDATE items SET {} WHERE id = {id}", sets.join(", "))
    }

    fn sku(&mut self, txid: u64) -> String {
        self.skus += 1;
        format!("'sku-{txid}-{}'", self.skus)
    }

    /// The columns of `items` a write sets besides `id` and `sku`, with the
    /// generator of a value (a SQL literal) for each.
    fn item_columns(&self) -> Vec<(&'static str, Generator)> {
        let mut columns: Vec<(&'static str, Generator)> = vec![
            ("name", values::name),
            ("price", values::price),
            ("weight", values::weight),
            ("qty", values::qty),
            ("big", values::big),
            ("flag", values::flag),
            ("color", values::color),
            ("note", values::note),
            ("photo", values::photo),
            ("made", values::made),
            ("updated", values::updated),
        ];
        if self.rating {
            columns.push((ADDED_COLUMN, values::rating));
        }
        columns
    }
}

/// Makes a SQL literal for a column.
type Generator = fn(&mut Rng) -> String;

async fn exec(conn: &mut Conn, sql: &str) {
    conn.query_drop(sql).await.unwrap_or_else(|e| panic!("source: {sql}: {e}"));
}

/// Generators of SQL literals for the `items` columns: each picks one of
/// its edge cases or (one time in `cases + 1`) an ordinary random value.
mod values {
    use super::Rng;

    fn one_of(rng: &mut Rng, cases: &[&str], random: impl FnOnce(&mut Rng) -> String) -> String {
        match cases.get(rng.below(cases.len() as u64 + 1) as usize) {
            Some(case) => case.to_string(),
            None => random(rng),
        }
    }

    /// A string literal; MariaDB's default sql_mode has backslash escapes.
    fn quote(s: &str) -> String {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    }

    pub(super) fn name(rng: &mut Rng) -> String {
        let cases = ["café ☕ 東京", "O'Brien", "", "NULL", "tab\there\nnewline \\ backslash", "clef 𝄞"];
        match cases.get(rng.below(cases.len() as u64 + 2) as usize) {
            Some(case) => quote(case),
            None if rng.below(2) == 0 => "NULL".into(),
            None => format!("'item {}'", rng.below(1000)),
        }
    }

    pub(super) fn price(rng: &mut Rng) -> String {
        one_of(rng, &["12.50", "0.01", "0.00", "-3.10", "9999999999.99"], |r| {
            format!("{}.{:02}", r.below(100_000), r.below(100))
        })
    }

    pub(super) fn weight(rng: &mut Rng) -> String {
        let cases = ["NULL", "1.5", "-0.25", "1e20", "0.1", "3.141592653589793e0", "-1e-10"];
        one_of(rng, &cases, |r| format!("{:e}", r.next_u64() as f64 / 7.0))
    }

    pub(super) fn qty(rng: &mut Rng) -> String {
        one_of(rng, &["0", "1", "4294967295"], |r| r.below(1000).to_string())
    }

    pub(super) fn big(rng: &mut Rng) -> String {
        one_of(rng, &["NULL", "0", "18446744073709551615", "9223372036854775808"], |r| r.next_u64().to_string())
    }

    pub(super) fn flag(rng: &mut Rng) -> String {
        rng.pick(&["NULL", "0", "1"]).to_string()
    }

    pub(super) fn color(rng: &mut Rng) -> String {
        rng.pick(&["NULL", "'red'", "'green'", "'blue'"]).to_string()
    }

    /// `note` is latin1: its non-ASCII case has latin1 characters only.
    pub(super) fn note(rng: &mut Rng) -> String {
        let cases = ["NULL", "''", "'NULL'", "'naïve façade ½'"];
        one_of(rng, &cases, |r| quote(&"lorem ipsum ".repeat(1 + r.below(200) as usize)))
    }

    pub(super) fn photo(rng: &mut Rng) -> String {
        one_of(rng, &["NULL", "X''", "X'00'", "X'ff'", "X'00ff00ff'"], |r| {
            let bytes: Vec<u8> = (0..r.below(17)).map(|_| r.next_u64() as u8).collect();
            format!("X'{}'", hex::encode(bytes))
        })
    }

    pub(super) fn made(rng: &mut Rng) -> String {
        one_of(rng, &["NULL", "'2024-02-29'", "'1970-01-01'", "'1000-01-01'", "'9999-12-31'"], |r| {
            format!("'{}-{:02}-{:02}'", 1990 + r.below(40), 1 + r.below(12), 1 + r.below(28))
        })
    }

    /// Microseconds with and without trailing zeros (MariaDB prints all 6
    /// digits, PostgreSQL drops the trailing zeros).
    pub(super) fn updated(rng: &mut Rng) -> String {
        let cases = [
            "NULL",
            "'2024-02-29 13:45:01.500000'",
            "'2024-01-01 00:00:00'",
            "'2024-12-31 23:59:59.999999'",
            "'1970-01-01 00:00:00.000001'",
        ];
        one_of(rng, &cases, |r| {
            let (month, day, hour) = (1 + r.below(12), 1 + r.below(28), r.below(24));
            let (minute, second, micros) = (r.below(60), r.below(60), r.below(1_000_000));
            format!("'2025-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}'")
        })
    }

    pub(super) fn rating(rng: &mut Rng) -> String {
        one_of(rng, &["NULL", "0", "-32768", "32767"], |r| r.below(10).to_string())
    }
}

/// xorshift64*: deterministic, and enough to pick cases (both sources' loads).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Any seed, 0 included, gives a nonzero state (xorshift's fixed point).
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------- the comparison

/// How a column's text is normalized so that a value equal on both sides
/// prints equal.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// DOUBLE / double precision: parsed as f64 and printed with `{:?}`
    /// (MariaDB prints `1e20`, PostgreSQL `1e+20`; both print the shortest
    /// text that reads back as the same f64).
    Float,
    /// DATETIME(p) / timestamp(p), TIME: trailing zeros of the fraction are
    /// dropped, and the dot if none is left (MariaDB prints all p digits,
    /// `.123400`; PostgreSQL `.1234`).
    Fraction,
    /// BLOB / bytea: lowercase hex without a prefix (PostgreSQL prints
    /// `\x00ff`, the MariaDB side selects `HEX(c)`).
    Bytes,
    /// Everything else as printed. DECIMAL(p,s) and numeric(p,s) both print
    /// exactly s decimals; DATE both as `YYYY-MM-DD`; ENUM as its label.
    Plain,
}

fn normalize(kind: Kind, text: &str) -> String {
    match kind {
        Kind::Float => {
            let value: f64 = text.parse().unwrap_or_else(|e| panic!("not a double: {text:?}: {e}"));
            format!("{value:?}")
        }
        Kind::Fraction if text.contains('.') => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        Kind::Fraction | Kind::Plain => text.to_string(),
        Kind::Bytes => text.strip_prefix("\\x").unwrap_or(text).to_ascii_lowercase(),
    }
}

/// The rows of `shop.<table>` on `db`, `columns` of each, ordered by
/// `columns[0]`, which must be the table's (integer) primary key so both
/// sides order alike. Every cell is selected as `HEX(...)` of its text
/// (UTF-8) or, for a blob, of its bytes: the CLI then prints only hex digits
/// or `NULL`, so neither a text `'NULL'` nor a tab, newline or NUL in a
/// value is ambiguous.
pub fn mariadb_rows(db: &Mariadb, table: &str, columns: &[&str]) -> Rows {
    let kinds = mariadb_kinds(db, table, columns);
    let cells: Vec<String> = columns
        .iter()
        .zip(&kinds)
        .map(|(c, kind)| match kind {
            Kind::Bytes => format!("HEX(`{c}`)"),
            _ => format!("HEX(CAST(`{c}` AS CHAR CHARACTER SET utf8mb4))"),
        })
        .collect();
    let out = db.sql(&format!("SELECT {} FROM {table} ORDER BY `{}`", cells.join(", "), columns[0]));
    let cell = |hex: &str, kind: Kind| match kind {
        Kind::Bytes => normalize(kind, hex),
        _ => {
            let bytes = hex::decode(hex).unwrap_or_else(|e| panic!("mariadb HEX() output {hex:?}: {e}"));
            normalize(kind, &String::from_utf8(bytes).expect("CAST(.. AS CHAR CHARACTER SET utf8mb4) is UTF-8"))
        }
    };
    out.lines()
        .map(|line| line.split('\t').zip(&kinds).map(|(c, k)| (c != "NULL").then(|| cell(c, *k))).collect())
        .collect()
}

/// The [`Kind`] of each of `columns` from MariaDB's catalog.
fn mariadb_kinds(db: &Mariadb, table: &str, columns: &[&str]) -> Vec<Kind> {
    let sql = format!(
        "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'"
    );
    let types: HashMap<String, String> = db
        .sql(&sql)
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(column, data_type)| (column.to_ascii_lowercase(), data_type.to_ascii_lowercase()))
        .collect();
    let kind = |column: &&str| match types.get(&column.to_ascii_lowercase()).map(String::as_str) {
        Some("double" | "float") => Kind::Float,
        Some("datetime" | "timestamp" | "time") => Kind::Fraction,
        Some("blob" | "tinyblob" | "mediumblob" | "longblob" | "binary" | "varbinary") => Kind::Bytes,
        Some(_) => Kind::Plain,
        None => panic!("mariadb: no column {column} in shop.{table} (has {types:?})"),
    };
    columns.iter().map(kind).collect()
}

/// The rows of `table` on the chain (as admin over the PostgreSQL wire),
/// `columns` of each, ordered by `columns[0]` as in [`mariadb_rows`]. The
/// text of a simple query, normalized by the column types the chain
/// describes for the same query.
pub async fn chain_rows(pg_port: u16, table: &str, columns: &[&str]) -> Rows {
    let dsn = format!("host=127.0.0.1 port={pg_port} user=admin password=admin dbname=rowchain");
    let (client, conn) = tokio_postgres::connect(&dsn, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to the chain on port {pg_port}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY {}", quoted.join(", "), quoted[0]);
    let statement = client.prepare(&sql).await.unwrap_or_else(|e| panic!("chain: describe {sql}: {e}"));
    let kinds: Vec<Kind> = statement.columns().iter().map(|c| pg_kind(c.type_())).collect();
    let rows = super::pg::rows(&client, &sql).await;
    rows.into_iter()
        .map(|row| row.into_iter().zip(&kinds).map(|(cell, kind)| cell.map(|t| normalize(*kind, &t))).collect())
        .collect()
}

fn pg_kind(t: &Type) -> Kind {
    match *t {
        Type::FLOAT4 | Type::FLOAT8 => Kind::Float,
        Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::TIME => Kind::Fraction,
        Type::BYTEA => Kind::Bytes,
        _ => Kind::Plain,
    }
}

/// Panics unless `source` and `chain` (from [`mariadb_rows`] and
/// [`chain_rows`]) are the same rows in the same order, with the row counts
/// and the first differences, matched by the first column (the key).
pub fn assert_same_rows(table: &str, source: &[Vec<Option<String>>], chain: &[Vec<Option<String>>]) {
    if source == chain {
        return;
    }
    let key = |row: &Vec<Option<String>>| row.first().cloned().flatten();
    let by_key: HashMap<_, _> = chain.iter().map(|row| (key(row), row)).collect();
    let source_keys: HashSet<_> = source.iter().map(key).collect();
    let mut differences = Vec::new();
    for row in source {
        match by_key.get(&key(row)) {
            Some(other) if *other == row => {}
            Some(other) => differences.push(format!("differs:\n  source {}\n  chain  {}", show(row), show(other))),
            None => differences.push(format!("only in source: {}", show(row))),
        }
    }
    for row in chain.iter().filter(|row| !source_keys.contains(&key(row))) {
        differences.push(format!("only in chain:  {}", show(row)));
    }
    if differences.is_empty() {
        differences.push("the same rows in another order (or repeated keys)".into());
    }
    let shown = differences.len().min(10);
    panic!(
        "{table}: {} source rows, {} chain rows; {} differences, the first {shown}:\n{}",
        source.len(),
        chain.len(),
        differences.len(),
        differences.iter().take(shown).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// A row for a failure message: NULL bare, values quoted (a text 'NULL'
/// shows as "NULL" in quotes).
fn show(row: &[Option<String>]) -> String {
    let cells: Vec<String> = row.iter().map(|c| c.as_ref().map_or("NULL".into(), |v| format!("{v:?}"))).collect();
    format!("({})", cells.join(", "))
}
