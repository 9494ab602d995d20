//! A MySQL/MariaDB source: a consistent snapshot, then its row-format
//! binlog, each source transaction one chain batch.
//!
//! Positions (the order the executor compares, see `node_core::import`):
//! - `[0, attempt, table, rows]` while a snapshot is copied. A snapshot cut
//!   short (a crash, a lost connection) is not resumed: its transaction on
//!   the source is gone. The next attempt drops the tables it made and
//!   copies again under a new snapshot.
//! - `[1, file number, offset]` once following the binlog: the end of the
//!   last applied transaction's commit event, text `file:offset`.
//!
//! Row events are read with the source's own metadata
//! (`binlog_row_metadata=FULL` names every column), so a row always lands
//! in the columns the source wrote, whatever the source's schema is now.
//! DDL arrives as text: the supported forms (CREATE/DROP TABLE, ADD/DROP/
//! RENAME COLUMN, CREATE INDEX, TRUNCATE) are applied in order; any other
//! DDL on an imported table stops the import, naming it and its position.

use super::mysql_ddl::DdlContext;
use super::mysql_types::{from_binlog, from_text, quote, Column, Table};
use super::sql::{insert_rows, statement, value_size};
use super::{ChainLink, ImportError, MysqlOptions, Progress, Sender, SnapshotMeter, StartAt, StatusLine};
use futures::StreamExt;
use mysql_async::binlog::events::{EventData, OptionalMetaExtractor, RowsEventData, TableMapEvent};
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStreamRequest, Conn, Opts, Row};
use node_core::import::SourcePosition;
use node_core::tx::Statement;
use node_core::value::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Bytes of parameters per snapshot batch: well under `limits.tx_bytes_max`.
const SNAPSHOT_BATCH_BYTES: usize = 1 << 20;
/// Batches in flight (admitted, not yet known to be in a block).
const WINDOW: usize = 32;

/// Follows the source until `--once` is satisfied or an error that retrying
/// cannot mend; everything else is retried from the chain's position.
pub async fn run<L: ChainLink>(link: &L, opts: &MysqlOptions, progress: &dyn Progress) -> Result<(), ImportError> {
    super::retrying(progress, || session(link, opts, progress)).await
}

fn source_error(e: mysql_async::Error) -> ImportError {
    match e {
        // The server's own refusals are answers, not outages.
        mysql_async::Error::Server(s) => ImportError::Unsupported(format!("source: {} ({})", s.message, s.code)),
        other => ImportError::Source(other.to_string()),
    }
}

async fn session<L: ChainLink>(link: &L, opts: &MysqlOptions, progress: &dyn Progress) -> Result<(), ImportError> {
    let source_opts = Opts::from_url(&opts.url).map_err(|e| ImportError::Unsupported(format!("{}: {e}", opts.url)))?;
    let db = source_opts
        .db_name()
        .ok_or_else(|| ImportError::Unsupported(format!("{}: name the database in the URL", opts.url)))?
        .to_string();
    let mut conn = Conn::new(source_opts.clone()).await.map_err(source_error)?;
    check_settings(&mut conn).await?;
    let record = link.record(&opts.name).await?;
    let snapshot_attempt = match &record {
        None => Some(1),
        Some(r) if r.position.order.first() == Some(&0) => Some(r.position.order.get(1).copied().unwrap_or(0) + 1),
        Some(_) => None,
    };
    let mut sender = Sender::new(link, &opts.name, record.as_ref(), WINDOW);
    let (file, pos, tables) = match (snapshot_attempt, &record) {
        (Some(attempt), _) => {
            let start = if attempt == 1 { opts.from.clone() } else { StartAt::Snapshot };
            begin(&mut sender, &mut conn, &db, opts, start, attempt, progress).await?
        }
        (None, Some(record)) => {
            let (file, pos) = parse_position(&record.position.text)?;
            (file, pos, read_schema(&mut conn, &db, opts.tables.as_deref()).await?)
        }
        (None, None) => return Err(ImportError::Chain("the source's record vanished".into())),
    };
    check_not_purged(&mut conn, &file).await?;
    let until = if opts.once { Some(master_position(&mut conn).await?) } else { None };
    let checksum: Option<String> = conn.query_first("SELECT @@binlog_checksum").await.map_err(source_error)?;
    let checksums = checksum.is_some_and(|c| !c.eq_ignore_ascii_case("NONE"));
    let db_charset: Option<String> = conn
        .exec_first("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", (&db,))
        .await
        .map_err(source_error)?;
    let db_charset = db_charset.unwrap_or_else(|| "utf8mb4".into());
    conn.disconnect().await.map_err(source_error)?;
    let conn = Conn::new(source_opts).await.map_err(source_error)?;
    let follower =
        Follower { sender, opts, db, tables, file, pos, checksums, db_charset, committed: pos, until, progress };
    follower.follow(conn).await
}

/// The settings a row-by-row follow needs, checked before anything is copied.
async fn check_settings(conn: &mut Conn) -> Result<(), ImportError> {
    let row: Option<(String, String, String, String)> = conn
        .query_first("SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@binlog_row_metadata")
        .await
        .map_err(source_error)?;
    let Some((log_bin, format, image, metadata)) = row else {
        return Err(ImportError::Unsupported("source: no answer to SELECT @@log_bin".into()));
    };
    let wrong: Vec<String> = [
        ("log_bin", log_bin.as_str(), "1"),
        ("binlog_format", &format, "ROW"),
        ("binlog_row_image", &image, "FULL"),
        ("binlog_row_metadata", &metadata, "FULL"),
    ]
    .iter()
    .filter(|(_, is, want)| !(is.eq_ignore_ascii_case(want) || (*want == "1" && is.eq_ignore_ascii_case("ON"))))
    .map(|(name, is, want)| format!("{name} is {is}, needs {want}"))
    .collect();
    if !wrong.is_empty() {
        return Err(ImportError::Unsupported(format!(
            "the source's binlog cannot be followed row by row: {} (see README.md, \"Follow an existing database\")",
            wrong.join("; ")
        )));
    }
    Ok(())
}

/// `file:offset` as positions are written.
/// A split transaction's part (`file:start#part`) resumes from its start.
fn parse_position(text: &str) -> Result<(String, u64), ImportError> {
    let whole = text.split_once('#').map_or(text, |(whole, _)| whole);
    whole
        .rsplit_once(':')
        .and_then(|(file, pos)| Some((file.to_string(), pos.parse().ok()?)))
        .ok_or_else(|| ImportError::Unsupported(format!("the chain's position {text:?} is not a binlog file:offset")))
}

/// The chain's order for a binlog position: the file's sequence number
/// (its numeric extension), then the offset.
fn binlog_order(file: &str, pos: u64) -> Result<Vec<u64>, ImportError> {
    let number = file.rsplit_once('.').and_then(|(_, n)| n.parse::<u64>().ok());
    let number =
        number.ok_or_else(|| ImportError::Unsupported(format!("binlog file {file} has no sequence number")))?;
    Ok(vec![1, number, pos])
}

fn binlog_position(file: &str, pos: u64) -> Result<SourcePosition, ImportError> {
    Ok(SourcePosition { order: binlog_order(file, pos)?, text: format!("{file}:{pos}") })
}

/// Refuses to follow from a file the source no longer has.
async fn check_not_purged(conn: &mut Conn, file: &str) -> Result<(), ImportError> {
    let logs: Vec<Row> = conn.query("SHOW BINARY LOGS").await.map_err(source_error)?;
    let names: Vec<String> = logs.into_iter().filter_map(|mut r| r.take::<String, _>(0)).collect();
    if names.iter().any(|n| n == file) {
        return Ok(());
    }
    let oldest = names.first().map_or_else(|| "none".to_string(), |n| format!("{n}:4"));
    Err(ImportError::Unsupported(format!(
        "the source has purged binlog {file}, where this import stands; the oldest position it still has is {oldest}. \
         Rows between them are lost to the binlog: import again under a new --name from a snapshot"
    )))
}

async fn master_position(conn: &mut Conn) -> Result<(String, u64), ImportError> {
    let row: Option<Row> = conn.query_first("SHOW MASTER STATUS").await.map_err(source_error)?;
    let mut row = row.ok_or_else(|| ImportError::Unsupported("SHOW MASTER STATUS is empty: is log_bin on?".into()))?;
    let file: Option<String> = row.take(0);
    let pos: Option<u64> = row.take(1);
    file.zip(pos).ok_or_else(|| ImportError::Unsupported("SHOW MASTER STATUS gave no file and position".into()))
}

/// A column as information_schema describes it: table, name, type,
/// nullable, key, character set, and its table's character set.
type ColumnRow = (String, String, String, String, String, Option<String>, Option<String>);

/// The database's tables (those `only` names), by lowercase name.
async fn read_schema(
    conn: &mut Conn,
    db: &str,
    only: Option<&[String]>,
) -> Result<BTreeMap<String, Table>, ImportError> {
    let rows: Vec<ColumnRow> = conn
        .exec(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_KEY, c.CHARACTER_SET_NAME, \
             l.CHARACTER_SET_NAME FROM information_schema.COLUMNS c \
             JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
             LEFT JOIN information_schema.COLLATIONS l ON l.COLLATION_NAME = t.TABLE_COLLATION \
             WHERE c.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            (db,),
        )
        .await
        .map_err(source_error)?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (table, column, column_type, nullable, key, charset, table_charset) in rows {
        if only.is_some_and(|o| !o.iter().any(|t| t.eq_ignore_ascii_case(&table))) {
            continue;
        }
        let t = tables.entry(table.to_lowercase()).or_insert_with(|| Table {
            name: table.clone(),
            columns: vec![],
            primary_key: vec![],
            default_charset: table_charset.unwrap_or_else(|| "utf8mb4".into()),
        });
        let col = Column::new(&column, &column_type, nullable == "YES", charset.as_deref())
            .map_err(|e| ImportError::Unsupported(format!("table {table}: {e}")))?;
        if key == "PRI" {
            t.primary_key.push(t.columns.len());
        }
        t.columns.push(col);
    }
    if let Some(missing) = only.and_then(|o| o.iter().find(|t| !tables.contains_key(&t.to_lowercase()))) {
        return Err(ImportError::Unsupported(format!("the source database {db} has no table {missing}")));
    }
    let keyless: Vec<&str> = tables.values().filter(|t| t.primary_key.is_empty()).map(|t| t.name.as_str()).collect();
    if !keyless.is_empty() {
        return Err(ImportError::Unsupported(format!(
            "tables without a primary key cannot be followed row by row: {} (leave them out with --tables)",
            keyless.join(", ")
        )));
    }
    Ok(tables)
}

/// Starts a source on the chain: its tables, then (for a snapshot) their
/// rows. Returns the binlog position to follow from, and the tables as
/// they were there.
async fn begin<L: ChainLink>(
    sender: &mut Sender<'_, L>,
    conn: &mut Conn,
    db: &str,
    opts: &MysqlOptions,
    start: StartAt,
    attempt: u64,
    progress: &dyn Progress,
) -> Result<(String, u64, BTreeMap<String, Table>), ImportError> {
    if start == StartAt::Snapshot {
        conn.query_drop("SET SESSION time_zone = '+00:00'").await.map_err(source_error)?;
        conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ").await.map_err(source_error)?;
    }
    let (file, pos) = match &start {
        StartAt::Snapshot => consistent_snapshot(conn).await?,
        StartAt::Current => master_position(conn).await?,
        StartAt::Position { file, pos } => (file.clone(), *pos),
        StartAt::Gtid(gtid) => gtid_position(conn, gtid).await?,
    };
    let tables = read_schema(conn, db, opts.tables.as_deref()).await?;
    let mut ddl = Vec::new();
    if attempt > 1 {
        // A snapshot cut short: what it copied is dropped and copied again.
        ddl.extend(tables.values().map(|t| statement(format!("DROP TABLE IF EXISTS {}", quote(&t.name)), vec![])));
    }
    ddl.extend(tables.values().map(|t| statement(t.create_sql(), vec![])));
    let stream_start = binlog_position(&file, pos)?;
    if start != StartAt::Snapshot {
        sender.send(stream_start, ddl).await?;
        sender.drain().await?;
        return Ok((file, pos, tables));
    }
    let order = |table: u64, rows: u64| vec![0, attempt, table, rows];
    let text = |table: &str, rows: u64| format!("snapshot {attempt} at {file}:{pos}, table {table}, {rows} rows");
    let created = format!("snapshot {attempt} at {file}:{pos}, tables created");
    sender.send(SourcePosition { order: order(0, 0), text: created }, ddl).await?;
    let mut meter = SnapshotMeter::new(tables.len(), rows_estimate(conn, db, &tables).await?);
    for (index, table) in tables.values().enumerate() {
        let columns: Vec<String> = table.columns.iter().map(|c| format!("`{}`", c.name.replace('`', "``"))).collect();
        let query = format!(
            "SELECT {} FROM `{}`.`{}`",
            columns.join(", "),
            db.replace('`', "``"),
            table.name.replace('`', "``")
        );
        let mut result = conn.query_iter(query).await.map_err(source_error)?;
        let (mut rows, mut bytes, mut table_rows) = (Vec::new(), 0usize, 0u64);
        while let Some(row) = result.next().await.map_err(source_error)? {
            let values = snapshot_row(table, row)?;
            bytes += values.iter().map(value_size).sum::<usize>();
            rows.push(values);
            if rows.len() >= opts.batch_rows.max(1) || bytes >= SNAPSHOT_BATCH_BYTES {
                let n = rows.len() as u64;
                table_rows += n;
                let position =
                    SourcePosition { order: order(index as u64 + 1, table_rows), text: text(&table.name, table_rows) };
                sender.send(position, vec![insert(table, std::mem::take(&mut rows))]).await?;
                bytes = 0;
                meter.copied(&table.name, index, n, progress);
            }
        }
        drop(result);
        let n = rows.len() as u64;
        if n > 0 {
            table_rows += n;
            let position =
                SourcePosition { order: order(index as u64 + 1, table_rows), text: text(&table.name, table_rows) };
            sender.send(position, vec![insert(table, rows)]).await?;
        }
        meter.copied(&table.name, index + 1, n, progress);
    }
    conn.query_drop("COMMIT").await.map_err(source_error)?;
    // The snapshot is whole: the chain follows the binlog from its position.
    sender.send(stream_start, vec![]).await?;
    sender.drain().await?;
    Ok((file, pos, tables))
}

/// Where the transaction of MariaDB GTID `gtid` ends in the source's
/// binlogs: the end of its commit (its XID event, a `COMMIT` query for a
/// non-transactional engine, or the DDL statement a DDL GTID holds). The
/// binlogs are read newest first, a page of events at a time.
async fn gtid_position(conn: &mut Conn, gtid: &str) -> Result<(String, u64), ImportError> {
    const PAGE: u64 = 10_000;
    let logs: Vec<Row> = conn.query("SHOW BINARY LOGS").await.map_err(source_error)?;
    let files: Vec<String> = logs.into_iter().filter_map(|mut r| r.take::<String, _>(0)).collect();
    for file in files.iter().rev() {
        // Whether the GTID's event was seen, and whether it opened a transaction.
        let mut found: Option<bool> = None;
        let mut from = 4u64;
        loop {
            let sql = format!("SHOW BINLOG EVENTS IN '{}' FROM {from} LIMIT {PAGE}", file.replace('\'', "''"));
            let events: Vec<Row> = conn.query(sql).await.map_err(source_error)?;
            let n = events.len() as u64;
            for mut event in events {
                let kind: String = event.take(2).unwrap_or_default();
                let end: u64 = event.take(4).unwrap_or(0);
                let info: String = event.take(5).unwrap_or_default();
                from = end.max(from);
                match found {
                    None if kind == "Gtid" && gtid_of(&info) == Some(gtid) => {
                        found = Some(info.starts_with("BEGIN"));
                    }
                    Some(transaction)
                        if kind == "Xid" || (kind == "Query" && (!transaction || info.starts_with("COMMIT"))) =>
                    {
                        return Ok((file.clone(), end));
                    }
                    _ => {}
                }
            }
            if n < PAGE {
                break;
            }
        }
    }
    let oldest = files.first().map_or("none", String::as_str);
    Err(ImportError::Unsupported(format!(
        "the source's binlogs (the oldest is {oldest}) hold no transaction of GTID {gtid}"
    )))
}

/// The GTID a MariaDB `Gtid` event's text names (`BEGIN GTID 0-1-5 cid=7`, `GTID 0-1-6`).
fn gtid_of(info: &str) -> Option<&str> {
    let mut words = info.split_whitespace();
    words.find(|w| *w == "GTID")?;
    words.next()
}

/// The tables' row count as the source's statistics estimate it
/// (`information_schema.TABLES.TABLE_ROWS`; InnoDB's is approximate).
async fn rows_estimate(
    conn: &mut Conn,
    db: &str,
    tables: &BTreeMap<String, Table>,
) -> Result<Option<u64>, ImportError> {
    let rows: Vec<(String, Option<u64>)> = conn
        .exec("SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", (db,))
        .await
        .map_err(source_error)?;
    let counts: Option<Vec<u64>> = tables
        .values()
        .map(|t| rows.iter().find(|(name, _)| name.eq_ignore_ascii_case(&t.name)).and_then(|(_, n)| *n))
        .collect();
    Ok(counts.map(|c| c.iter().sum()))
}

/// Opens a consistent-snapshot transaction and returns the binlog position
/// it corresponds to: MariaDB reports it with the snapshot; MySQL needs the
/// tables locked for the moment the transaction starts.
async fn consistent_snapshot(conn: &mut Conn) -> Result<(String, u64), ImportError> {
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT").await.map_err(source_error)?;
    let status: Vec<(String, String)> =
        conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'").await.map_err(source_error)?;
    let get = |name: &str| status.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    if let (Some(file), Some(pos)) = (get("binlog_snapshot_file"), get("binlog_snapshot_position")) {
        if let Ok(pos) = pos.parse() {
            return Ok((file, pos));
        }
    }
    conn.query_drop("ROLLBACK").await.map_err(source_error)?;
    conn.query_drop("FLUSH TABLES WITH READ LOCK").await.map_err(source_error)?;
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT").await.map_err(source_error)?;
    let position = master_position(conn).await;
    conn.query_drop("UNLOCK TABLES").await.map_err(source_error)?;
    position
}

fn snapshot_row(table: &Table, row: Row) -> Result<Vec<Value>, ImportError> {
    let raw = row.unwrap();
    table
        .columns
        .iter()
        .zip(raw.iter())
        .map(|(c, v)| from_text(&c.kind, v).map_err(|e| bad_value(&table.name, &c.name, &e)))
        .collect()
}

fn bad_value(table: &str, column: &str, e: &str) -> ImportError {
    ImportError::Unsupported(format!("table {table}, column {column}: {e}"))
}

fn insert(table: &Table, rows: Vec<Vec<Value>>) -> Statement {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    insert_rows(&table.name, &names, rows)
}

/// Follows the binlog from the chain's position.
struct Follower<'a, L: ChainLink> {
    sender: Sender<'a, L>,
    opts: &'a MysqlOptions,
    db: String,
    /// The source's tables as imported, by lowercase name: their column
    /// kinds (by name) and primary keys.
    tables: BTreeMap<String, Table>,
    file: String,
    pos: u64,
    /// Whether the source writes event checksums (`binlog_checksum`).
    checksums: bool,
    /// The database's default character set: a new table's, unless it names one.
    db_charset: String,
    /// Where the last source transaction ended: where a split one's parts
    /// resume from.
    committed: u64,
    /// `--once`: where to stop.
    until: Option<(String, u64)>,
    progress: &'a dyn Progress,
}

/// A source transaction being gathered.
#[derive(Default)]
struct Pending {
    statements: Vec<Statement>,
    /// Between a BEGIN and its commit.
    open: bool,
}

impl<L: ChainLink> Follower<'_, L> {
    async fn follow(mut self, conn: Conn) -> Result<(), ImportError> {
        let server_id = self.opts.server_id;
        let mut request = BinlogStreamRequest::new(server_id).with_filename(self.file.as_bytes()).with_pos(self.pos);
        if self.until.is_some() {
            request = request.with_non_blocking();
        }
        let mut stream = conn.get_binlog_stream(request).await.map_err(source_error)?;
        let mut pending = Pending::default();
        // Whether the format description (which tells the reader about checksums) has arrived.
        let mut described = false;
        let mut status = StatusLine::new(format!("{}:{}", self.file, self.pos), self.sender.height);
        let progress = self.progress;
        if self.caught_up() {
            status.report(self.sender.height, progress);
            return Ok(());
        }
        // The status line is rewritten every second, events or not.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            let event = tokio::select! {
                event = stream.next() => match event {
                    Some(event) => event.map_err(source_error)?,
                    None => break,
                },
                _ = tick.tick() => {
                    self.sender.settle_finished().await?;
                    status.report(self.sender.height, progress);
                    continue;
                }
            };
            let header = event.header();
            let data = event.read_data().map_err(|e| ImportError::Source(format!("a binlog event: {e}")))?;
            let end = u64::from(header.log_pos());
            tracing::debug!(event = header.event_type_raw(), end, pending = pending.statements.len(), "binlog event");
            match data {
                Some(EventData::FormatDescriptionEvent(_)) => described = true,
                Some(EventData::RotateEvent(r)) => {
                    self.file = rotated_file(r.name_raw(), self.checksums && !described)?;
                    self.pos = r.position();
                }
                Some(EventData::QueryEvent(q)) => {
                    let query = q.query();
                    let trimmed = query.trim();
                    if trimmed.eq_ignore_ascii_case("BEGIN") {
                        pending = Pending { statements: vec![], open: true };
                    } else if trimmed.eq_ignore_ascii_case("COMMIT") {
                        self.commit(&mut pending, end, header.timestamp(), &mut status).await?;
                    } else if !pending.open {
                        // Outside a transaction a query event is DDL (DDL
                        // commits implicitly); inside one it is a row
                        // event's statement text (MariaDB's Annotate_rows,
                        // sent to a replica that did not announce MariaDB's
                        // capabilities as a query event) or a SAVEPOINT.
                        let position = format!("{}:{end}", self.file);
                        let ctx = DdlContext {
                            db: &self.db,
                            only: self.opts.tables.as_deref(),
                            default_db: &q.schema(),
                            position: &position,
                            db_charset: &self.db_charset,
                        };
                        pending.statements.extend(super::mysql_ddl::statements(&ctx, &mut self.tables, trimmed)?);
                        self.commit(&mut pending, end, header.timestamp(), &mut status).await?;
                    }
                }
                Some(EventData::RowsEvent(rows)) => {
                    let Some(tme) = stream.get_tme(rows_table_id(&rows)) else {
                        return Err(ImportError::Source("a rows event without its table map".into()));
                    };
                    status.rows += self.rows(tme, &rows, &mut pending.statements)?;
                }
                Some(EventData::XidEvent(_)) => self.commit(&mut pending, end, header.timestamp(), &mut status).await?,
                _ => {}
            }
            if end != 0 && !matches!(header.event_type(), Ok(mysql_async::binlog::EventType::ROTATE_EVENT)) {
                self.pos = end;
            }
            if pending.statements.is_empty() && self.caught_up() {
                break;
            }
        }
        self.sender.drain().await?;
        status.report(self.sender.height, progress);
        if self.until.is_some() {
            // Closed, not dropped: the source then lets go of the file at once.
            stream.close().await.map_err(source_error)?;
            return Ok(());
        }
        Err(ImportError::Source("the source closed the binlog stream".into()))
    }

    /// `--once`: whether the position reached the source's end as it was at start.
    fn caught_up(&self) -> bool {
        match &self.until {
            Some((file, pos)) => {
                let here = binlog_order(&self.file, self.pos).unwrap_or_default();
                let end = binlog_order(file, *pos).unwrap_or_default();
                here >= end
            }
            None => false,
        }
    }

    /// Sends the gathered transaction, if it touched an imported table.
    async fn commit(
        &mut self,
        pending: &mut Pending,
        end: u64,
        time_s: u32,
        status: &mut StatusLine,
    ) -> Result<(), ImportError> {
        let taken = std::mem::take(pending);
        let start = std::mem::replace(&mut self.committed, end);
        self.pos = end;
        if taken.statements.is_empty() {
            return Ok(());
        }
        let position = binlog_position(&self.file, end)?;
        let text = position.text.clone();
        let start = format!("{}:{start}", self.file);
        self.sender.send_transaction(taken.statements, self.opts.split_rows, position, &start).await?;
        status.sent(text, u64::from(time_s), self.sender.height);
        Ok(())
    }

    /// The statements of one rows event, in the source's column order and names.
    fn rows(
        &self,
        tme: &TableMapEvent<'_>,
        rows: &RowsEventData<'_>,
        out: &mut Vec<Statement>,
    ) -> Result<u64, ImportError> {
        if !tme.database_name().eq_ignore_ascii_case(&self.db) {
            return Ok(0);
        }
        let Some(table) = self.tables.get(&tme.table_name().to_lowercase()) else { return Ok(0) };
        let shape = Shape::of(table, tme)?;
        let mut n = 0;
        for row in rows.rows(tme) {
            let (before, after) = row.map_err(|e| ImportError::Source(format!("a row of {}: {e}", table.name)))?;
            let before = before.map(|r| shape.values(table, &r)).transpose()?;
            let after = after.map(|r| shape.values(table, &r)).transpose()?;
            let names: Vec<&str> = shape.names.iter().map(String::as_str).collect();
            let key_names: Vec<&str> = shape.key.iter().filter_map(|&i| names.get(i).copied()).collect();
            let key = |values: &[Value]| shape.key.iter().filter_map(|&i| values.get(i).cloned()).collect::<Vec<_>>();
            let statement = match (before, after) {
                (None, Some(new)) => {
                    Statement { sql: super::mysql_types::insert_sql(&table.name, &names, 1), params: new }
                }
                (Some(old), Some(mut new)) => {
                    new.extend(key(&old));
                    Statement { sql: super::mysql_types::update_sql(&table.name, &names, &key_names), params: new }
                }
                (Some(old), None) => {
                    Statement { sql: super::mysql_types::delete_sql(&table.name, &key_names), params: key(&old) }
                }
                (None, None) => continue,
            };
            out.push(statement);
            n += 1;
        }
        Ok(n)
    }
}

/// The row layout one table map announces: column names (from the
/// source's metadata), each column's kind, and where the key is.
struct Shape {
    names: Vec<String>,
    columns: Vec<Column>,
    key: Vec<usize>,
}

impl Shape {
    fn of(table: &Table, tme: &TableMapEvent<'_>) -> Result<Shape, ImportError> {
        let meta = OptionalMetaExtractor::new(tme.iter_optional_meta())
            .map_err(|e| ImportError::Source(format!("the table map of {}: {e}", table.name)))?;
        let names: Vec<String> = meta
            .iter_column_name()
            .map(|n| n.map(|n| n.name().to_string()))
            .collect::<Result<_, _>>()
            .map_err(|e| ImportError::Source(format!("the column names of {}: {e}", table.name)))?;
        if names.len() as u64 != tme.columns_count() {
            return Err(ImportError::Unsupported(format!(
                "the binlog names {} of {}'s {} columns: set binlog_row_metadata=FULL on the source",
                names.len(),
                table.name,
                tme.columns_count()
            )));
        }
        let columns = names
            .iter()
            .map(|n| table.column_index(n).and_then(|i| table.columns.get(i)).cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ImportError::Unsupported(format!(
                    "the binlog's {} has columns ({}) the importer does not know: its schema changed in a way it cannot follow",
                    table.name,
                    names.join(", ")
                ))
            })?;
        let key = table
            .primary_key
            .iter()
            .filter_map(|&i| table.columns.get(i))
            .map(|c| names.iter().position(|n| n.eq_ignore_ascii_case(&c.name)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ImportError::Unsupported(format!("the binlog's {} lacks its primary key", table.name)))?;
        Ok(Shape { names, columns, key })
    }

    fn values(&self, table: &Table, row: &mysql_async::binlog::row::BinlogRow) -> Result<Vec<Value>, ImportError> {
        (0..self.names.len())
            .map(|i| {
                let name = self.names.get(i).map_or("", String::as_str);
                let column = self.columns.get(i).ok_or_else(|| bad_value(&table.name, name, "no column"))?;
                match row.as_ref(i) {
                    Some(v) => from_binlog(column, v).map_err(|e| bad_value(&table.name, name, &e)),
                    None => Err(bad_value(&table.name, name, "missing from the row image (set binlog_row_image=FULL)")),
                }
            })
            .collect()
    }
}

/// The file a rotate event names. The server's first, artificial rotate
/// event comes before the format description that announces checksums, so
/// the reader leaves that event's checksum (4 bytes, when the source writes
/// checksums) at the end of the name.
fn rotated_file(raw: &[u8], checksum_left: bool) -> Result<String, ImportError> {
    let name = if checksum_left { raw.len().checked_sub(4).and_then(|n| raw.get(..n)) } else { Some(raw) };
    name.and_then(|n| std::str::from_utf8(n).ok())
        .filter(|n| !n.is_empty() && !n.chars().any(char::is_control))
        .map(str::to_string)
        .ok_or_else(|| {
            ImportError::Source(format!("a rotate event names no binlog file: {}", String::from_utf8_lossy(raw)))
        })
}

/// The table id of a rows event. (`RowsEventData::table_id` of
/// mysql_common 0.37 answers the flags for v2 events.)
fn rows_table_id(rows: &RowsEventData<'_>) -> u64 {
    match rows {
        RowsEventData::WriteRowsEventV1(e) => e.table_id(),
        RowsEventData::UpdateRowsEventV1(e) => e.table_id(),
        RowsEventData::DeleteRowsEventV1(e) => e.table_id(),
        RowsEventData::WriteRowsEvent(e) => e.table_id(),
        RowsEventData::UpdateRowsEvent(e) => e.table_id(),
        RowsEventData::DeleteRowsEvent(e) => e.table_id(),
        RowsEventData::PartialUpdateRowsEvent(e) => e.table_id(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotate_event_names_its_file_with_or_without_a_checksum() {
        assert_eq!(rotated_file(b"mariadb-bin.000001", false).unwrap(), "mariadb-bin.000001");
        assert_eq!(rotated_file(b"mariadb-bin.000001\x3f\x3c\xef\x12", true).unwrap(), "mariadb-bin.000001");
        // A checksum of digits is not read as part of the file's number.
        assert_eq!(rotated_file(b"mariadb-bin.0000121234", true).unwrap(), "mariadb-bin.000012");
        assert!(rotated_file(b"\xff\xfe", false).is_err());
        assert!(rotated_file(b"abc", true).is_err());
        assert_eq!(parse_position("bin.000003:120#2").unwrap(), ("bin.000003".to_string(), 120));
        assert_eq!(binlog_order("bin.000003", 120).unwrap(), vec![1, 3, 120]);
        assert_eq!(gtid_of("BEGIN GTID 0-1-5 cid=7"), Some("0-1-5"));
        assert_eq!(gtid_of("GTID 0-1-6"), Some("0-1-6"));
        assert_eq!(gtid_of("COMMIT /* xid=3 */"), None);
    }
}
