//! The source side of the PostgreSQL import tests, the twin of
//! source_load.rs: the `shop` schema, a deterministic mixed write workload
//! on a PostgreSQL server (inserts, multi-row inserts and updates, deletes,
//! rolled-back transactions, an `ALTER TABLE ... ADD COLUMN` midway), and
//! reading a table on both sides (the source, and the chain over the
//! PostgreSQL wire) as the text PostgreSQL prints, compared exactly (by
//! source_load's `assert_same_rows`).

use std::collections::HashMap;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use super::source_load::{Rng, Rows, TxKind};

/// The source tables, for database `shop` (UTF8, see
/// `postgres_source::init_db`), one statement each for `psql`. `items`
/// spreads over the types the chain supports; `color` is an enum, which the
/// import makes `text`. `note` is stored out of line without compression
/// (`STORAGE EXTERNAL`) once a row is over about 2 kB, so an UPDATE that
/// leaves a long note alone is logged with the note as an "unchanged TOAST
/// datum": the importer must keep the chain's value, not null it. `label`
/// is `varchar(12)` of up to 12 two-byte characters: a length in
/// characters, not bytes.
pub const SCHEMA: &str = "\
CREATE TYPE color AS ENUM ('red', 'green', 'blue');
CREATE TABLE items (
  id serial PRIMARY KEY,
  sku varchar(32) NOT NULL UNIQUE,
  name text,
  label varchar(12),
  price numeric(12,2) NOT NULL,
  weight double precision,
  ratio real,
  big bigint,
  qty smallint NOT NULL DEFAULT 0,
  flag boolean,
  color color,
  note text,
  photo bytea,
  made date,
  updated timestamp(6),
  seen timestamptz,
  attrs jsonb,
  uid uuid
);
ALTER TABLE items ALTER COLUMN note SET STORAGE EXTERNAL;
CREATE TABLE events (txid bigint PRIMARY KEY, kind varchar(16) NOT NULL, at timestamp NOT NULL);
";

/// The column [`run_load`] adds with `ALTER TABLE` when asked to.
pub const ADDED_COLUMN: &str = "rating";

/// Connects to `url` (a `postgres://` URL, or a libpq key=value string);
/// the connection runs on its own task.
pub async fn connect(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

// ---------------------------------------------------------------- the load

/// Runs `txs` source transactions on `url` (a `postgres://` URL of the
/// `shop` database), transaction `i` having txid `first_txid + i`, the mix
/// drawn from a PRNG seeded with `seed`. Every transaction is explicit
/// (`BEGIN` .. `COMMIT`) and writes the `events` row of its txid; every 7th
/// (`i % 7 == 6`) does its writes and then `ROLLBACK`s. With
/// `add_column_at == Some(k)`, `ALTER TABLE items ADD COLUMN rating
/// smallint` runs (autocommit) before transaction `k`, and later ones write
/// `rating` too (as do later loads: the column is looked up at the start).
/// Items that already exist are updated and deleted as well. Returns the
/// txids of the committed transactions, in order.
pub async fn run_load(url: &str, first_txid: u64, txs: u64, seed: u64, add_column_at: Option<u64>) -> Vec<u64> {
    let client = connect(url).await;
    let live: Vec<u64> = query_column(&client, "SELECT id FROM items ORDER BY id")
        .await
        .iter()
        .map(|id| id.parse().expect("an item id"))
        .collect();
    let rating = !query_column(
        &client,
        &format!(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'items' \
             AND column_name = '{ADDED_COLUMN}'"
        ),
    )
    .await
    .is_empty();
    let mut load = Load { rng: Rng::new(seed), live, skus: 0, rating };
    let mut committed = Vec::new();
    for i in 0..txs {
        if add_column_at == Some(i) {
            exec(&client, &format!("ALTER TABLE items ADD COLUMN {ADDED_COLUMN} smallint")).await;
            load.rating = true;
        }
        let txid = first_txid + i;
        let commit = i % 7 != 6;
        load.transaction(&client, txid, commit).await;
        if commit {
            committed.push(txid);
        }
    }
    committed
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
    async fn transaction(&mut self, client: &Client, txid: u64, commit: bool) {
        // The ids as this transaction sees them; kept only if it commits.
        let mut live = self.live.clone();
        let kinds = [TxKind::Insert, TxKind::Update, TxKind::Delete, TxKind::Mixed];
        let kind = if live.is_empty() { TxKind::Insert } else { *self.rng.pick(&kinds) };
        exec(client, "BEGIN").await;
        if matches!(kind, TxKind::Insert | TxKind::Mixed) {
            let rows = 1 + self.rng.below(3);
            // One multi-row INSERT, or one INSERT a row.
            let statements = if self.rng.below(2) == 0 { vec![rows] } else { vec![1; rows as usize] };
            for rows in statements {
                let insert = self.insert_items(txid, rows);
                live.extend(query_column(client, &insert).await.iter().map(|id| id.parse::<u64>().expect("an id")));
            }
        }
        if matches!(kind, TxKind::Update | TxKind::Mixed) {
            let id = *self.rng.pick(&live);
            let update = self.update_item(id, txid);
            exec(client, &update).await;
            // Sometimes one statement updating two rows as well.
            if live.len() > 1 && self.rng.below(3) == 0 {
                let other = *self.rng.pick(&live);
                exec(client, &format!("UPDATE items SET flag = NOT flag, qty = 0 WHERE id IN ({id}, {other})")).await;
            }
        }
        if matches!(kind, TxKind::Delete | TxKind::Mixed) {
            let id = live.swap_remove(self.rng.below(live.len() as u64) as usize);
            exec(client, &format!("DELETE FROM items WHERE id = {id}")).await;
        }
        let event = format!(
            "INSERT INTO events (txid, kind, at) VALUES ({txid}, '{}', TIMESTAMP '2024-03-01 00:00:00' + INTERVAL '{txid} seconds')",
            kind.name()
        );
        exec(client, &event).await;
        exec(client, if commit { "COMMIT" } else { "ROLLBACK" }).await;
        if commit {
            self.live = live;
        }
    }

    /// An INSERT of `rows` rows of every column, `RETURNING id`.
    fn insert_items(&mut self, txid: u64, rows: u64) -> String {
        let generators = self.item_columns();
        let mut columns = vec!["sku"];
        columns.extend(generators.iter().map(|(column, _)| *column));
        let mut tuples = Vec::new();
        for _ in 0..rows {
            let mut values = vec![self.sku(txid)];
            for (_, value) in &generators {
                values.push(value(&mut self.rng));
            }
            tuples.push(format!("({})", values.join(", ")));
        }
        format!("INSERT INTO items ({}) VALUES {} RETURNING id", columns.join(", "), tuples.join(", "))
    }

    /// Sets 2 to 5 columns (drawn with repeats, so sometimes fewer),
    /// sometimes the unique `sku` among them. Most leave `note` alone.
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
            ("label", values::label),
            ("price", values::price),
            ("weight", values::weight),
            ("ratio", values::ratio),
            ("big", values::big),
            ("qty", values::qty),
            ("flag", values::flag),
            ("color", values::color),
            ("note", values::note),
            ("photo", values::photo),
            ("made", values::made),
            ("updated", values::updated),
            ("seen", values::seen),
            ("attrs", values::attrs),
            ("uid", values::uid),
        ];
        if self.rating {
            columns.push((ADDED_COLUMN, values::rating));
        }
        columns
    }
}

/// Makes a SQL literal for a column.
type Generator = fn(&mut Rng) -> String;

async fn exec(client: &Client, sql: &str) -> Vec<SimpleQueryMessage> {
    client.simple_query(sql).await.unwrap_or_else(|e| panic!("source: {sql}: {e:?}"))
}

/// The first column of each row of `sql`'s result (NULL as "").
async fn query_column(client: &Client, sql: &str) -> Vec<String> {
    exec(client, sql)
        .await
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or_default().to_string()),
            _ => None,
        })
        .collect()
}

/// Generators of SQL literals for the `items` columns: each picks one of
/// its edge cases or (one time in `cases + 1`) an ordinary random value.
/// The literals are PostgreSQL's (`standard_conforming_strings` is on: a
/// backslash in '...' is itself).
mod values {
    use super::Rng;

    fn one_of(rng: &mut Rng, cases: &[&str], random: impl FnOnce(&mut Rng) -> String) -> String {
        match cases.get(rng.below(cases.len() as u64 + 1) as usize) {
            Some(case) => case.to_string(),
            None => random(rng),
        }
    }

    fn quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    pub(super) fn name(rng: &mut Rng) -> String {
        let cases = [
            "café ☕ 東京",
            "O'Brien",
            "",
            "NULL",
            "tab\there\nnewline \\ backslash",
            "clef 𝄞",
            "say \"hi\" \\x00ff",
            "\r\n",
        ];
        match cases.get(rng.below(cases.len() as u64 + 2) as usize) {
            Some(case) => quote(case),
            None if rng.below(2) == 0 => "NULL".into(),
            None => format!("'item {}'", rng.below(1000)),
        }
    }

    /// Up to 12 characters of up to 2 bytes each.
    pub(super) fn label(rng: &mut Rng) -> String {
        let cases = ["NULL", "''", "'ÄÖÜäöüßéèêëï'", "'  spaced  '", "'日本語'", "'it''s'"];
        one_of(rng, &cases, |r| format!("'L{}'", r.below(100_000)))
    }

    pub(super) fn price(rng: &mut Rng) -> String {
        let cases = ["12.50", "0.01", "0.00", "-3.10", "9999999999.99", "-9999999999.99", "0.005", "-0.5"];
        one_of(rng, &cases, |r| format!("{}.{:02}", r.below(100_000), r.below(100)))
    }

    /// No NaN or infinity; the shortest text of each double is what both
    /// sides print (`1e+300`, `0.1`).
    pub(super) fn weight(rng: &mut Rng) -> String {
        let cases =
            ["NULL", "1.5", "-0.25", "1e300", "0.1", "3.141592653589793", "-1e-300", "1e-10", "123456789012345680"];
        one_of(rng, &cases, |r| format!("{:e}", r.next_u64() as f64 / 7.0))
    }

    /// float4: `0.1` is the float nearest 0.1, printed `0.1`, not its
    /// double `0.10000000149011612`; 16777217 is not a float4 (it reads as
    /// 16777216).
    pub(super) fn ratio(rng: &mut Rng) -> String {
        let cases = ["NULL", "0.1", "-2.5", "3.4028235e38", "1e-30", "16777217"];
        one_of(rng, &cases, |r| format!("{}", r.below(2_000_000) as f32 / 7.0))
    }

    pub(super) fn big(rng: &mut Rng) -> String {
        let cases = ["NULL", "0", "-1", "-9223372036854775808", "9223372036854775807"];
        one_of(rng, &cases, |r| (r.next_u64() as i64).to_string())
    }

    pub(super) fn qty(rng: &mut Rng) -> String {
        one_of(rng, &["0", "-1", "-32768", "32767"], |r| r.below(1000).to_string())
    }

    pub(super) fn flag(rng: &mut Rng) -> String {
        rng.pick(&["NULL", "true", "false"]).to_string()
    }

    pub(super) fn color(rng: &mut Rng) -> String {
        rng.pick(&["NULL", "'red'", "'green'", "'blue'"]).to_string()
    }

    /// Up to 4.8 kB; about a third of the notes are over 2.4 kB, stored out
    /// of line (see `SCHEMA`).
    pub(super) fn note(rng: &mut Rng) -> String {
        let cases = ["NULL", "''", "'NULL'", "'naïve façade ½'"];
        match cases.get(rng.below(cases.len() as u64 + 3) as usize) {
            Some(case) => case.to_string(),
            None if rng.below(3) == 0 => quote(&"lorem ipsum ".repeat(1 + rng.below(100) as usize)),
            None => quote(&"lorem ipsum ".repeat(200 + rng.below(200) as usize)),
        }
    }

    pub(super) fn photo(rng: &mut Rng) -> String {
        let cases = ["NULL", "'\\x'", "'\\x00'", "'\\xff'", "'\\x00ff00ff'", "'\\x5c27'"];
        one_of(rng, &cases, |r| {
            let bytes: Vec<u8> = (0..r.below(17)).map(|_| r.next_u64() as u8).collect();
            format!("'\\x{}'", hex::encode(bytes))
        })
    }

    pub(super) fn made(rng: &mut Rng) -> String {
        one_of(rng, &["NULL", "'2024-02-29'", "'1970-01-01'", "'0001-01-01'", "'9999-12-31'"], |r| {
            format!("'{}-{:02}-{:02}'", 1990 + r.below(40), 1 + r.below(12), 1 + r.below(28))
        })
    }

    /// Microseconds with and without trailing zeros (PostgreSQL prints
    /// `.5`, not `.500000`); a 7th digit is rounded away by the source.
    pub(super) fn updated(rng: &mut Rng) -> String {
        let cases = [
            "NULL",
            "'2024-02-29 13:45:01.5'",
            "'2024-01-01 00:00:00'",
            "'2024-12-31 23:59:59.999999'",
            "'1970-01-01 00:00:00.000001'",
            "'2000-02-29 12:00:00.1234567'",
        ];
        one_of(rng, &cases, |r| {
            let (month, day, hour) = (1 + r.below(12), 1 + r.below(28), r.below(24));
            let (minute, second, micros) = (r.below(60), r.below(60), r.below(1_000_000));
            format!("'2025-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}'")
        })
    }

    /// Instants written in other zones than UTC, which is how both sides
    /// print them (see `source_rows`).
    pub(super) fn seen(rng: &mut Rng) -> String {
        let cases = [
            "NULL",
            "'2024-02-29 13:45:01.5+05:30'",
            "'2024-06-30 23:59:59.999999-07'",
            "'1970-01-01 00:00:00+00'",
            "'2000-01-01 00:00:00.000001+14'",
        ];
        one_of(rng, &cases, |r| {
            let (month, day, hour) = (1 + r.below(12), 1 + r.below(28), r.below(24));
            let (minute, second, micros) = (r.below(60), r.below(60), r.below(1_000_000));
            format!("'2025-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}+00'")
        })
    }

    /// jsonb prints its own normal form: keys sorted (shorter first), one
    /// space after `:` and `,`, numbers as numeric (`1.50` stays, `1e2` is
    /// `100`); JSON `null` is not SQL NULL.
    pub(super) fn attrs(rng: &mut Rng) -> String {
        let cases = [
            "NULL",
            "'{}'",
            "'[]'",
            "'null'",
            "'\"text\"'",
            r#"'{"a": {"b": [1, 2.5, null, true, false]}, "s": "é \"q\" \\ x"}'"#,
            r#"'{"zz": 1, "b": 2, "aa": {"n": -0.5e3}}'"#,
            r#"'[1.50, 1e2, "\u00e9\n", {"k": ""}]'"#,
        ];
        one_of(rng, &cases, |r| format!(r#"'{{"n": {}, "tags": ["t{}"]}}'"#, r.below(1000), r.below(10)))
    }

    pub(super) fn uid(rng: &mut Rng) -> String {
        let cases = [
            "NULL",
            "'00000000-0000-0000-0000-000000000000'",
            "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
            "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12}'",
        ];
        one_of(rng, &cases, |r| {
            let hex = format!("{:016x}{:016x}", r.next_u64(), r.next_u64());
            let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default().to_string();
            format!("'{}-{}-{}-{}-{}'", part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32))
        })
    }

    pub(super) fn rating(rng: &mut Rng) -> String {
        one_of(rng, &["NULL", "0", "-32768", "32767"], |r| r.below(10).to_string())
    }
}

// ---------------------------------------------------------- the comparison

/// The SELECT of `columns` of `table` ordered by `columns[0]`, which must
/// be the table's (integer) primary key so both sides order alike.
fn select(table: &str, columns: &[&str]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    format!("SELECT {} FROM {table} ORDER BY {}", quoted.join(", "), quoted[0])
}

/// The rows of `table` on the source `url`, `columns` of each, as the text
/// PostgreSQL prints (a simple query), timestamptz in UTC.
pub async fn source_rows(url: &str, table: &str, columns: &[&str]) -> Rows {
    let client = connect(url).await;
    exec(&client, "SET TimeZone = 'UTC'").await;
    super::pg::rows(&client, &select(table, columns)).await
}

/// The rows of `table` on the chain (as admin over the PostgreSQL wire),
/// `columns` of each, ordered as in [`source_rows`]: the text of a simple
/// query, compared with the source's as it is.
pub async fn chain_rows(pg_port: u16, table: &str, columns: &[&str]) -> Rows {
    let client = connect(&chain_dsn(pg_port)).await;
    super::pg::rows(&client, &select(table, columns)).await
}

/// `rows` (of `columns`, `(name, format_type)` as [`source_columns`]
/// gives them) as they compare: the text as printed, except where the
/// chain prints the same value otherwise than PostgreSQL does: in `jsonb`,
/// PostgreSQL keeps the trailing zeros of a number (`1.50`), the chain
/// drops them (`1.5`; the chain's stored jsonb form, a consensus rule, so
/// not changed lightly).
///
/// Such numbers become the same exact decimal in one spelling (`15e-1`), so
/// a value that differs in any digit still differs.
pub fn comparable(columns: &[(String, String)], rows: Rows) -> Rows {
    let normalize = |t: &str, text: String| match t {
        "jsonb" => canonical_json_numbers(&text),
        _ => text,
    };
    rows.into_iter()
        .map(|row| row.into_iter().zip(columns).map(|(cell, (_, t))| cell.map(|c| normalize(t, c))).collect())
        .collect()
}

/// A decimal number's text as `<sign><digits>e<exponent>`, the digits
/// without leading or trailing zeros (`-1.50` is `-15e-1`, `1e+07` and
/// `10000000` are `1e7`, zero is `0e0`); other text as it is.
fn canonical_decimal(text: &str) -> String {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => match e.trim_start_matches('+').parse::<i64>() {
            Ok(e) => (m, e),
            Err(_) => return text.to_string(),
        },
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && fraction.is_empty()) || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return text.to_string();
    }
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let digits = digits.trim_start_matches('0');
    let significant = digits.trim_end_matches('0');
    if significant.is_empty() {
        return "0e0".to_string();
    }
    let exponent = exponent - fraction.len() as i64 + (digits.len() - significant.len()) as i64;
    format!("{}{significant}e{exponent}", if negative { "-" } else { "" })
}

/// JSON text with every number (outside strings) as [`canonical_decimal`].
fn canonical_json_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '-' || c.is_ascii_digit() {
            let mut number = c.to_string();
            while let Some(&n) = chars.peek() {
                if !(n.is_ascii_digit() || matches!(n, '.' | 'e' | 'E' | '+' | '-')) {
                    break;
                }
                number.push(n);
                chars.next();
            }
            out.push_str(&canonical_decimal(&number));
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// The columns of `table` as `(name, format_type)`, in order, on the
/// source `url`.
pub async fn source_columns(url: &str, table: &str) -> Vec<(String, String)> {
    columns(&connect(url).await, table).await
}

/// [`source_columns`] of the chain's table.
pub async fn chain_columns(pg_port: u16, table: &str) -> Vec<(String, String)> {
    columns(&connect(&chain_dsn(pg_port)).await, table).await
}

async fn columns(client: &Client, table: &str) -> Vec<(String, String)> {
    let sql = format!(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute \
         WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
    );
    super::pg::rows(client, &sql)
        .await
        .into_iter()
        .map(|row| {
            let mut cells = row.into_iter().map(Option::unwrap_or_default);
            (cells.next().unwrap_or_default(), cells.next().unwrap_or_default())
        })
        .collect()
}

fn chain_dsn(pg_port: u16) -> String {
    format!("host=127.0.0.1 port={pg_port} user=admin password=admin dbname=rowchain")
}
