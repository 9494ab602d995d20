//! A PostgreSQL source: the tables copied under the snapshot a new logical
//! replication slot exports, then that slot's `pgoutput` stream, each
//! source transaction one chain batch.
//!
//! Positions (the order the executor compares, see `node_core::import`):
//! - `[0, attempt, table, rows]` while a snapshot is copied. A snapshot cut
//!   short is not resumed (its exported snapshot died with the session):
//!   the next attempt drops the slot and the tables it made, makes a new
//!   slot and copies again.
//! - `[1, lsn]` once streaming: the end of the last applied transaction's
//!   commit record, text as PostgreSQL prints an LSN (`0/16B3748`).
//!
//! The slot is the source's side of exactly once: it keeps the WAL from
//! the oldest change the chain may still need, and the importer confirms
//! to it only positions the chain holds (or, when nothing is in flight,
//! the last transaction it saw, which touched no imported table or is on
//! the chain). On a restart the stream starts at the chain's position; the
//! server skips what it was confirmed, and a transaction the chain already
//! holds is not sent again.
//!
//! Values arrive as their types' output text (the walsender runs with ISO
//! dates, UTC, exact floats and hex bytea) and are read with PostgreSQL's
//! input functions for the chain's types ([`TextInput`]). Schema changes
//! arrive as Relation messages: a column added without a default is added
//! on the chain; a column dropped or renamed, or one added with a default
//! (which PostgreSQL fills into existing rows without logging them), stops
//! the import, naming it.

use super::pgoutput::{self, Cell, Message, Relation};
use super::sql::{delete_sql, insert_rows, insert_sql, quote, statement, update_sql, value_size};
use super::{ChainLink, ImportError, PostgresOptions, Progress, Sender, SnapshotMeter, StartAt, StatusLine, TextInput};
use node_core::import::SourcePosition;
use node_core::tx::Statement;
use node_core::value::Value;
use pgwire_replication::{Lsn, PgWireError, ReplicationClient, ReplicationConfig, ReplicationEvent};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// Bytes of parameters per snapshot batch: well under `limits.tx_bytes_max`.
const SNAPSHOT_BATCH_BYTES: usize = 1 << 20;
/// Batches in flight (admitted, not yet known to be in a block).
const WINDOW: usize = 32;
/// The session settings every source connection runs with, so values print
/// alike in the snapshot and the stream, and as the chain reads them.
const SESSION_OPTIONS: &str =
    "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex -c IntervalStyle=postgres";
/// The prefix of the logical message `--once` writes to know where the
/// source stood when the import started.
const MARKER_PREFIX: &str = "rowchain.import";
/// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_UNIX_S: i64 = 946_684_800;

/// Follows the source until `--once` is satisfied or an error that retrying
/// cannot mend; everything else is retried from the chain's position.
pub async fn run<L: ChainLink>(link: &L, opts: &PostgresOptions, progress: &dyn Progress) -> Result<(), ImportError> {
    super::retrying(progress, || session(link, opts, progress)).await
}

/// Where the source is and who logs in.
struct Source {
    config: tokio_postgres::Config,
    host: String,
    port: u16,
    user: String,
    password: String,
    db: String,
}

impl Source {
    fn parse(url: &str) -> Result<Source, ImportError> {
        let bad = |why: &str| ImportError::Unsupported(format!("{url}: {why}"));
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| bad(&format!("{e}")))?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.to_string_lossy().into_owned(),
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().ok_or_else(|| bad("name the user in the URL"))?.to_string();
        let password = match config.get_password() {
            Some(p) => String::from_utf8(p.to_vec()).map_err(|_| bad("the password is not UTF-8"))?,
            None => String::new(),
        };
        let db = config.get_dbname().ok_or_else(|| bad("name the database in the URL"))?.to_string();
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return Err(bad("TLS to a PostgreSQL source is not supported yet (sslmode=prefer or disable)"));
        }
        config.options(SESSION_OPTIONS).application_name("rowchain import");
        Ok(Source { config, host, port, user, password, db })
    }

    async fn connect(&self) -> Result<Client, ImportError> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(source_error)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "the source connection ended");
            }
        });
        Ok(client)
    }

    fn replication(&self, opts: &PostgresOptions, start: Lsn) -> ReplicationConfig {
        ReplicationConfig::new(
            self.host.clone(),
            self.user.clone(),
            self.password.clone(),
            self.db.clone(),
            opts.slot.clone(),
            opts.publication.clone(),
        )
        .with_port(self.port)
        .with_start_lsn(start)
        // Nothing past the chain's position is confirmed until it is on the chain.
        .with_ack_lsn(start)
        .with_options(SESSION_OPTIONS)
        .with_application_name("rowchain import")
        .with_status_interval(Duration::from_secs(1))
    }
}

/// Column `i` of a catalog row; a value of another type than the query
/// casts it to is the source's error, not a panic.
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a tokio_postgres::Row, i: usize) -> Result<T, ImportError> {
    row.try_get(i).map_err(|e| ImportError::Source(format!("a catalog row from the source: {e}")))
}

fn source_error(e: tokio_postgres::Error) -> ImportError {
    match e.as_db_error() {
        // Connection trouble, a server starting or shutting down, too many
        // clients: worth another try. Other answers are the server's word.
        Some(db) if !matches!(db.code().code().get(..2), Some("08" | "53" | "57")) => {
            ImportError::Unsupported(format!("source: {} ({})", db.message(), db.code().code()))
        }
        _ => ImportError::Source(e.to_string()),
    }
}

fn replication_error(e: PgWireError) -> ImportError {
    match e {
        // Another session (this importer's, before a kill the server has
        // not noticed yet) still holds the slot.
        PgWireError::Server(m) if m.contains("is active for PID") => ImportError::Source(m),
        PgWireError::Server(m) => ImportError::Unsupported(format!("source: {m}")),
        PgWireError::Auth(m) | PgWireError::Tls(m) => ImportError::Unsupported(format!("source: {m}")),
        other => ImportError::Source(format!("replication: {other}")),
    }
}

async fn session<L: ChainLink>(link: &L, opts: &PostgresOptions, progress: &dyn Progress) -> Result<(), ImportError> {
    let source = Source::parse(&opts.url)?;
    let client = source.connect().await?;
    check_settings(&client).await?;
    let record = link.record(&opts.name).await?;
    let snapshot_attempt = match &record {
        None => Some(1),
        Some(r) if r.position.order.first() == Some(&0) => Some(r.position.order.get(1).copied().unwrap_or(0) + 1),
        Some(_) => None,
    };
    let mut sender = Sender::new(link, &opts.name, record.as_ref(), WINDOW);
    let (start, tables) = match (snapshot_attempt, &record) {
        (Some(attempt), _) => {
            let from = if attempt == 1 { opts.from.clone() } else { StartAt::Snapshot };
            begin(&mut sender, &client, &source, opts, from, attempt, progress).await?
        }
        (None, Some(record)) => {
            // The tables followed are those the slot streams: the
            // publication's (a table created on the source since is not).
            let only = match &opts.tables {
                Some(tables) => tables.clone(),
                None => published(&client, opts).await?,
            };
            (parse_position(&record.position.text)?, read_schema(&client, Some(&only)).await?)
        }
        (None, None) => return Err(ImportError::Chain("the source's record vanished".into())),
    };
    check_slot(&client, opts, start).await?;
    let until = match opts.once {
        true => {
            let row = client
                .query_one(
                    "SELECT pg_logical_emit_message(false, $1::text, $2::text)::text",
                    &[&MARKER_PREFIX.to_string(), &opts.name],
                )
                .await
                .map_err(source_error)?;
            Some(parse_lsn(&get::<String>(&row, 0)?)?)
        }
        false => None,
    };
    let mut known = HashMap::new();
    for table in tables.keys() {
        known.insert(table.clone(), link.columns(table).await?);
    }
    let follower = Follower {
        sender,
        opts,
        client,
        tables,
        known,
        relations: HashMap::new(),
        checked: Vec::new(),
        resume_at: start.as_u64(),
        committed: start.as_u64(),
        until,
        progress,
    };
    follower.follow(source.replication(opts, start)).await
}

/// What logical replication needs of the server and the login.
async fn check_settings(client: &Client) -> Result<(), ImportError> {
    let row = client
        .query_one(
            "SELECT current_setting('wal_level'), r.rolreplication, r.rolsuper, current_user::text \
             FROM pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .await
        .map_err(source_error)?;
    let (wal_level, replication, superuser, user): (String, bool, bool, String) =
        (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?, get(&row, 3)?);
    let mut wrong = Vec::new();
    if wal_level != "logical" {
        wrong.push(format!("wal_level is {wal_level}, needs logical (a server restart)"));
    }
    if !(replication || superuser) {
        wrong.push(format!("role {user} has neither REPLICATION nor SUPERUSER (ALTER ROLE {user} REPLICATION)"));
    }
    if !wrong.is_empty() {
        return Err(ImportError::Unsupported(format!(
            "the source cannot be followed by logical replication: {} (see README.md, \"Follow an existing database\")",
            wrong.join("; ")
        )));
    }
    Ok(())
}

/// Refuses to follow a slot that is gone (its WAL with it) or lost. A
/// slot still held by a session that just ended (this importer's own
/// snapshot session, or one killed a moment ago) is waited for a while.
async fn check_slot(client: &Client, opts: &PostgresOptions, at: Lsn) -> Result<(), ImportError> {
    let gone = |why: &str| {
        ImportError::Unsupported(format!(
            "the source {why}, which held this import's changes from {at}: they are gone from the source's WAL. \
             Import again under a new --name from a snapshot"
        ))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = client
            .query_opt(
                "SELECT active_pid, coalesce(wal_status, '') FROM pg_replication_slots \
                 WHERE slot_name = $1 AND database = current_database()",
                &[&opts.slot],
            )
            .await
            .map_err(source_error)?;
        let Some(row) = row else { return Err(gone(&format!("has no replication slot {}", opts.slot))) };
        let (active, status): (Option<i32>, String) = (get(&row, 0)?, get(&row, 1)?);
        if status == "lost" {
            return Err(gone(&format!("lost replication slot {}'s WAL (max_slot_wal_keep_size)", opts.slot)));
        }
        match active {
            None => return Ok(()),
            Some(pid) if Instant::now() > deadline => {
                return Err(ImportError::Source(format!("replication slot {} is in use by process {pid}", opts.slot)))
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// An LSN as a position's text carries it (a split part's is `lsn#part`).
fn parse_position(text: &str) -> Result<Lsn, ImportError> {
    parse_lsn(text.split('#').next().unwrap_or(text))
}

fn parse_lsn(text: &str) -> Result<Lsn, ImportError> {
    Lsn::parse(text).map_err(|e| ImportError::Unsupported(format!("{text:?} is not a PostgreSQL LSN: {e}")))
}

fn lsn_position(lsn: Lsn) -> SourcePosition {
    SourcePosition { order: vec![1, lsn.as_u64()], text: lsn.to_string() }
}

/// A source column: its name, the chain's type, and the OID its values'
/// text is read as.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    chain_type: String,
    input_oid: u32,
    not_null: bool,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// Names of the primary key's columns, in key order.
    primary_key: Vec<String>,
}

impl Table {
    fn create_sql(&self) -> String {
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} {}{}", quote(&c.name), c.chain_type, if c.not_null { " NOT NULL" } else { "" }))
            .collect();
        let key: Vec<String> = self.primary_key.iter().map(|k| quote(k)).collect();
        parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
        format!("CREATE TABLE {} ({})", quote(&self.name), parts.join(", "))
    }
}

/// The chain's type for a source column and the OID its text is read as:
/// the same type where the chain has it; an enum as text.
fn map_type(oid: u32, typmod: i32, typtype: &str, shown: &str) -> Result<(String, u32), String> {
    if typtype == "e" {
        return Ok(("text".into(), 25));
    }
    match sqlmap::PgType::from_oid(oid, typmod) {
        Some(sqlmap::PgType::Int2Vector | sqlmap::PgType::OidVector) | None => {
            Err(format!("type {shown} has no mapping on the chain"))
        }
        Some(t) => Ok((t.name(), oid)),
    }
}

/// The imported tables of schema `public` (those `--tables` names), by name.
async fn read_schema(client: &Client, only: Option<&[String]>) -> Result<BTreeMap<String, Table>, ImportError> {
    let rows = client
        .query(
            "SELECT c.relname::text, a.attname::text, a.atttypid::int8, a.atttypmod, t.typtype::text, \
                    format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                    coalesce(array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) + 1, 0), \
                    a.attgenerated::text \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary \
             WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname, a.attnum",
            &[],
        )
        .await
        .map_err(source_error)?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let mut keys: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
    for row in rows {
        let table: String = get(&row, 0)?;
        if only.is_some_and(|o| !o.contains(&table)) {
            continue;
        }
        let (name, oid, typmod, typtype, shown): (String, i64, i32, String, String) =
            (get(&row, 1)?, get(&row, 2)?, get(&row, 3)?, get(&row, 4)?, get(&row, 5)?);
        let (not_null, key_at, generated): (bool, i32, String) = (get(&row, 6)?, get(&row, 7)?, get(&row, 8)?);
        if !generated.is_empty() {
            return Err(ImportError::Unsupported(format!(
                "table {table}: column {name} is generated, and pgoutput does not send generated columns \
                 (leave the table out with --tables)"
            )));
        }
        let oid = u32::try_from(oid).map_err(|_| ImportError::Unsupported(format!("a type OID {oid}")))?;
        let (chain_type, input_oid) = map_type(oid, typmod, &typtype, &shown)
            .map_err(|e| ImportError::Unsupported(format!("table {table}, column {name}: {e}")))?;
        if key_at > 0 {
            keys.entry(table.clone()).or_default().push((key_at, name.clone()));
        }
        let t = tables.entry(table.clone()).or_insert_with(|| Table {
            name: table.clone(),
            columns: vec![],
            primary_key: vec![],
        });
        t.columns.push(Column { name, chain_type, input_oid, not_null });
    }
    for (table, mut key) in keys {
        key.sort();
        if let Some(t) = tables.get_mut(&table) {
            t.primary_key = key.into_iter().map(|(_, name)| name).collect();
        }
    }
    if let Some(missing) = only.and_then(|o| o.iter().find(|t| !tables.contains_key(*t))) {
        return Err(ImportError::Unsupported(format!("the source's schema public has no table {missing}")));
    }
    let keyless: Vec<&str> = tables.values().filter(|t| t.primary_key.is_empty()).map(|t| t.name.as_str()).collect();
    if !keyless.is_empty() {
        return Err(ImportError::Unsupported(format!(
            "tables without a primary key cannot be followed row by row: {} (leave them out with --tables)",
            keyless.join(", ")
        )));
    }
    if tables.is_empty() {
        return Err(ImportError::Unsupported("the source's schema public has no tables to import".into()));
    }
    Ok(tables)
}

/// The publication the slot streams: made for the tables if the source has
/// none of its name; otherwise it must publish every imported table.
async fn ensure_publication(
    client: &Client,
    opts: &PostgresOptions,
    tables: &BTreeMap<String, Table>,
) -> Result<(), ImportError> {
    let exists = client
        .query_opt("SELECT 1 FROM pg_publication WHERE pubname = $1", &[&opts.publication])
        .await
        .map_err(source_error)?
        .is_some();
    if !exists {
        let names: Vec<String> = tables.keys().map(|t| format!("public.{}", quote(t))).collect();
        let sql = format!("CREATE PUBLICATION {} FOR TABLE {}", quote(&opts.publication), names.join(", "));
        client.batch_execute(&sql).await.map_err(source_error)?;
        return Ok(());
    }
    let published = published(client, opts).await?;
    let missing: Vec<&str> = tables.keys().filter(|t| !published.contains(t)).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(ImportError::Unsupported(format!(
            "publication {} does not publish {}: add them (ALTER PUBLICATION .. ADD TABLE) or name others with --tables",
            opts.publication,
            missing.join(", ")
        )));
    }
    Ok(())
}

/// The tables of schema `public` the publication publishes.
async fn published(client: &Client, opts: &PostgresOptions) -> Result<Vec<String>, ImportError> {
    let rows = client
        .query(
            "SELECT tablename::text FROM pg_publication_tables WHERE pubname = $1 AND schemaname = 'public'",
            &[&opts.publication],
        )
        .await
        .map_err(source_error)?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// Drops the slot a cut-short attempt left, so a new one (and its
/// snapshot) can be made.
async fn drop_stale_slot(client: &Client, opts: &PostgresOptions) -> Result<(), ImportError> {
    let row = client
        .query_opt("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", &[&opts.slot])
        .await
        .map_err(source_error)?;
    match row.map(|r| get::<Option<i32>>(&r, 0)).transpose()? {
        None => Ok(()),
        Some(Some(pid)) => {
            Err(ImportError::Source(format!("replication slot {} is in use by process {pid}", opts.slot)))
        }
        Some(None) => {
            client.execute("SELECT pg_drop_replication_slot($1)", &[&opts.slot]).await.map_err(source_error)?;
            Ok(())
        }
    }
}

/// Starts a source on the chain: a new slot, the tables, then (for a
/// snapshot) their rows as of the slot's start. Returns the LSN to stream
/// from, and the tables.
async fn begin<L: ChainLink>(
    sender: &mut Sender<'_, L>,
    client: &Client,
    source: &Source,
    opts: &PostgresOptions,
    from: StartAt,
    attempt: u64,
    progress: &dyn Progress,
) -> Result<(Lsn, BTreeMap<String, Table>), ImportError> {
    let snapshot = match from {
        StartAt::Snapshot => true,
        StartAt::Current => false,
        StartAt::Position { .. } | StartAt::Gtid(_) => {
            return Err(ImportError::Unsupported(
                "--from FILE:POS and a GTID are MySQL/MariaDB binlog positions; a PostgreSQL source starts from \
                 a snapshot or current"
                    .into(),
            ))
        }
    };
    let tables = read_schema(client, opts.tables.as_deref()).await?;
    // The publication must exist before the slot: the stream reads it as of
    // each change.
    ensure_publication(client, opts, &tables).await?;
    drop_stale_slot(client, opts).await?;
    let mut repl =
        ReplicationClient::connect_gated(source.replication(opts, Lsn::ZERO)).await.map_err(replication_error)?;
    let create = format!(
        "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput {}",
        quote(&opts.slot),
        if snapshot { "EXPORT_SNAPSHOT" } else { "NOEXPORT_SNAPSHOT" }
    );
    let rows = repl.simple_query(&create).await.map_err(replication_error)?;
    let cell = |i: usize| {
        rows.first()
            .and_then(|r| r.get(i))
            .and_then(|c| c.as_ref())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| ImportError::Source("CREATE_REPLICATION_SLOT answered no row".into()))
    };
    let consistent = parse_lsn(&cell(1)?)?;
    let mut ddl = Vec::new();
    if attempt > 1 {
        // A snapshot cut short: what it copied is dropped and copied again.
        ddl.extend(tables.values().map(|t| statement(format!("DROP TABLE IF EXISTS {}", quote(&t.name)), vec![])));
    }
    ddl.extend(tables.values().map(|t| statement(t.create_sql(), vec![])));
    if !snapshot {
        sender.send(lsn_position(consistent), ddl).await?;
        sender.drain().await?;
        return Ok((consistent, tables));
    }
    let snapshot_name = cell(2)?;
    let order = |table: u64, rows: u64| vec![0, attempt, table, rows];
    let text = |table: &str, rows: u64| format!("snapshot {attempt} at {consistent}, table {table}, {rows} rows");
    let created = format!("snapshot {attempt} at {consistent}, tables created");
    sender.send(SourcePosition { order: order(0, 0), text: created }, ddl).await?;
    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(source_error)?;
    client
        .batch_execute(&format!("SET TRANSACTION SNAPSHOT '{}'", snapshot_name.replace('\'', "''")))
        .await
        .map_err(source_error)?;
    let mut meter = SnapshotMeter::new(tables.len(), rows_estimate(client, &tables).await?);
    for (index, table) in tables.values().enumerate() {
        let columns: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
        client
            .batch_execute(&format!(
                "DECLARE rowchain_copy NO SCROLL CURSOR FOR SELECT {} FROM public.{}",
                columns.join(", "),
                quote(&table.name)
            ))
            .await
            .map_err(source_error)?;
        let fetch = format!("FETCH FORWARD {} FROM rowchain_copy", opts.batch_rows.clamp(1, 100_000));
        let (mut rows, mut bytes, mut table_rows) = (Vec::new(), 0usize, 0u64);
        loop {
            let fetched = client.simple_query(&fetch).await.map_err(source_error)?;
            let mut any = false;
            for message in fetched {
                let SimpleQueryMessage::Row(row) = message else { continue };
                any = true;
                let values = table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match row.try_get(i) {
                        Ok(Some(text)) => input(opts.input, &table.name, c, text),
                        Ok(None) => Ok(Value::Null),
                        Err(e) => Err(ImportError::Source(format!("a row of {}: {e}", table.name))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                bytes += values.iter().map(value_size).sum::<usize>();
                rows.push(values);
                if rows.len() >= opts.batch_rows.max(1) || bytes >= SNAPSHOT_BATCH_BYTES {
                    let n = rows.len() as u64;
                    table_rows += n;
                    let position = SourcePosition {
                        order: order(index as u64 + 1, table_rows),
                        text: text(&table.name, table_rows),
                    };
                    sender.send(position, vec![insert(table, std::mem::take(&mut rows))]).await?;
                    bytes = 0;
                    meter.copied(&table.name, index, n, progress);
                }
            }
            if !any {
                break;
            }
        }
        client.batch_execute("CLOSE rowchain_copy").await.map_err(source_error)?;
        let n = rows.len() as u64;
        if n > 0 {
            table_rows += n;
            let position =
                SourcePosition { order: order(index as u64 + 1, table_rows), text: text(&table.name, table_rows) };
            sender.send(position, vec![insert(table, rows)]).await?;
        }
        meter.copied(&table.name, index + 1, n, progress);
    }
    client.batch_execute("COMMIT").await.map_err(source_error)?;
    // The exported snapshot has served; the slot stays, holding the WAL
    // from its consistent point on.
    drop(repl);
    sender.send(lsn_position(consistent), vec![]).await?;
    sender.drain().await?;
    Ok((consistent, tables))
}

/// The tables' row count as the source's statistics estimate it
/// (`pg_class.reltuples`); none while a table was never analyzed.
async fn rows_estimate(client: &Client, tables: &BTreeMap<String, Table>) -> Result<Option<u64>, ImportError> {
    let names: Vec<String> = tables.keys().cloned().collect();
    let row = client
        .query_one(
            "SELECT coalesce(sum(c.reltuples), 0)::int8, coalesce(bool_and(c.reltuples >= 0), false) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY($1)",
            &[&names],
        )
        .await
        .map_err(source_error)?;
    let (sum, known): (i64, bool) = (get(&row, 0)?, get(&row, 1)?);
    Ok(known.then(|| u64::try_from(sum).unwrap_or(0)))
}

fn input(read: TextInput, table: &str, column: &Column, text: &str) -> Result<Value, ImportError> {
    read(text, column.input_oid).map_err(|e| {
        let shown: String = text.chars().take(60).collect();
        ImportError::Unsupported(format!("table {table}, column {}: {e} (value {shown:?})", column.name))
    })
}

fn insert(table: &Table, rows: Vec<Vec<Value>>) -> Statement {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    insert_rows(&table.name, &names, rows)
}

/// Follows the slot's stream from the chain's position.
struct Follower<'a, L: ChainLink> {
    sender: Sender<'a, L>,
    opts: &'a PostgresOptions,
    /// For what the stream does not say: an added column's default and type.
    client: Client,
    /// The imported tables, by name: their primary keys and how their
    /// columns' values are read.
    tables: BTreeMap<String, Table>,
    /// The columns each imported table has on the chain.
    known: HashMap<String, Vec<String>>,
    /// The stream's relations by id, as last described.
    relations: HashMap<u32, Relation>,
    /// Relations whose description was checked against the chain's columns.
    checked: Vec<u32>,
    /// Where the session's stream starts: a transaction that committed
    /// before it is on the chain.
    resume_at: u64,
    /// The end of the last source transaction seen.
    committed: u64,
    /// `--once`: the LSN of the marker written at start.
    until: Option<Lsn>,
    progress: &'a dyn Progress,
}

/// A source transaction being gathered.
#[derive(Default)]
struct Pending {
    statements: Vec<Statement>,
    rows: u64,
    /// Its commit time, seconds since 1970.
    time_s: i64,
    /// It committed before the chain's position: sent again by a stream
    /// that starts before it, and not applied again.
    replay: bool,
}

impl<L: ChainLink> Follower<'_, L> {
    async fn follow(mut self, config: ReplicationConfig) -> Result<(), ImportError> {
        let mut repl = ReplicationClient::connect(config).await.map_err(replication_error)?;
        let mut pending = Pending::default();
        let mut status = StatusLine::new(Lsn::from_u64(self.committed).to_string(), self.sender.height);
        let progress = self.progress;
        // The status line is rewritten every second, events or not, and the
        // slot told how far the chain is.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            let event = tokio::select! {
                event = repl.recv() => match event.map_err(replication_error)? {
                    Some(event) => event,
                    None => return Err(ImportError::Source("the source ended the replication stream".into())),
                },
                _ = tick.tick() => {
                    self.sender.settle_finished().await?;
                    self.confirm(&repl);
                    status.report(self.sender.height, progress);
                    continue;
                }
            };
            match event {
                ReplicationEvent::Begin { final_lsn, commit_time_micros, .. } => {
                    pending = Pending {
                        time_s: commit_time_micros / 1_000_000 + PG_EPOCH_UNIX_S,
                        replay: final_lsn.as_u64() < self.resume_at,
                        ..Pending::default()
                    };
                }
                ReplicationEvent::XLogData { data, .. } => {
                    let message = pgoutput::decode(&data).map_err(|e| ImportError::Source(e.to_string()))?;
                    self.apply(message, &mut pending).await?;
                }
                ReplicationEvent::Commit { end_lsn, .. } => {
                    status.rows += pending.rows;
                    self.commit(&mut pending, end_lsn, &mut status).await?;
                }
                ReplicationEvent::Message { lsn, prefix, .. } => {
                    if prefix == MARKER_PREFIX && self.until.is_some_and(|until| lsn >= until) {
                        break;
                    }
                }
                ReplicationEvent::KeepAlive { .. } | ReplicationEvent::StoppedAt { .. } => {}
            }
        }
        // `--once`: everything the source had committed at start is sent.
        self.sender.drain().await?;
        self.confirm(&repl);
        status.report(self.sender.height, progress);
        // The last confirmation goes out as the session ends.
        repl.shutdown().await.map_err(replication_error)?;
        Ok(())
    }

    /// Tells the slot how far the chain holds the stream: the last batch
    /// known in a block, or when nothing is in flight the last transaction
    /// seen (every relevant one up to it is on the chain).
    fn confirm(&self, repl: &ReplicationClient) {
        let lsn = if self.sender.idle() {
            Some(self.committed)
        } else {
            match self.sender.settled.as_deref() {
                Some([1, lsn]) => Some(*lsn),
                _ => None,
            }
        };
        if let Some(lsn) = lsn {
            repl.update_applied_lsn(Lsn::from_u64(lsn));
        }
    }

    /// One pgoutput message of the open transaction.
    async fn apply(&mut self, message: Message, pending: &mut Pending) -> Result<(), ImportError> {
        let id = match &message {
            Message::Relation(relation) => {
                if !pending.replay {
                    self.check_types(relation)?;
                }
                // Checked against the chain's columns at its first change.
                self.checked.retain(|&r| r != relation.id);
                self.relations.insert(relation.id, relation.clone());
                return Ok(());
            }
            _ if pending.replay => return Ok(()),
            Message::Insert { relation, .. } | Message::Update { relation, .. } | Message::Delete { relation, .. } => {
                *relation
            }
            Message::Truncate { relations } => {
                for id in relations {
                    if let Some(table) = self.imported(self.relation(*id)?) {
                        pending.statements.push(statement(format!("TRUNCATE TABLE {}", quote(&table.name)), vec![]));
                    }
                }
                return Ok(());
            }
            Message::Other(_) => return Ok(()),
        };
        if self.imported(self.relation(id)?).is_none() {
            return Ok(());
        }
        if !self.checked.contains(&id) {
            // Once per relation description, not per change.
            let relation = self.relation(id)?.clone();
            pending.statements.extend(self.schema_changes(&relation).await?);
            self.checked.push(id);
        }
        let relation = self.relation(id)?;
        let Some(table) = self.imported(relation) else { return Ok(()) };
        let key_names: Vec<&str> = table.primary_key.iter().map(String::as_str).collect();
        let statement = match message {
            Message::Insert { new, .. } => {
                let (names, values) = tuple(self.opts.input, table, relation, &new)?;
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                statement(insert_sql(&table.name, &names, 1), values)
            }
            Message::Update { old, new, .. } => {
                let (names, mut values) = tuple(self.opts.input, table, relation, &new)?;
                values.extend(key(self.opts.input, table, relation, old.as_deref().unwrap_or(&new))?);
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                statement(update_sql(&table.name, &names, &key_names), values)
            }
            Message::Delete { old, .. } => {
                statement(delete_sql(&table.name, &key_names), key(self.opts.input, table, relation, &old)?)
            }
            _ => return Ok(()),
        };
        pending.statements.push(statement);
        pending.rows += 1;
        Ok(())
    }

    /// Refuses a column whose type changed since the stream last described
    /// its table: PostgreSQL rewrites the rows without logging them.
    fn check_types(&self, relation: &Relation) -> Result<(), ImportError> {
        let (Some(before), Some(_)) = (self.relations.get(&relation.id), self.imported(relation)) else {
            return Ok(());
        };
        for column in &relation.columns {
            let old = before.columns.iter().find(|c| c.name == column.name);
            if let Some(old) = old.filter(|o| (o.type_oid, o.typmod) != (column.type_oid, column.typmod)) {
                return Err(ImportError::Unsupported(format!(
                    "column {} of {} changed type (after {}; type OID {} to {}): PostgreSQL rewrites the rows \
                     without logging them, so the chain cannot follow it",
                    column.name,
                    relation.name,
                    Lsn::from_u64(self.committed),
                    old.type_oid,
                    column.type_oid
                )));
            }
        }
        Ok(())
    }

    fn relation(&self, id: u32) -> Result<&Relation, ImportError> {
        self.relations.get(&id).ok_or_else(|| ImportError::Source(format!("a change of unknown relation {id}")))
    }

    /// The imported table a relation is, if it is one.
    fn imported(&self, relation: &Relation) -> Option<&Table> {
        (relation.namespace == "public").then(|| self.tables.get(&relation.name)).flatten()
    }

    /// The chain DDL that brings an imported table's columns to those the
    /// stream describes: added columns are added; a column the stream no
    /// longer has stops the import.
    async fn schema_changes(&mut self, relation: &Relation) -> Result<Vec<Statement>, ImportError> {
        let name = relation.name.clone();
        let known = self.known.get(&name).cloned().unwrap_or_default();
        let at = Lsn::from_u64(self.committed);
        if let Some(gone) = known.iter().find(|k| !relation.columns.iter().any(|c| &c.name == *k)) {
            return Err(ImportError::Unsupported(format!(
                "column {gone} of {name} is no longer in the source's table (after {at}): it was dropped or renamed, \
                 which rowchain import does not follow (ADD COLUMN it does)"
            )));
        }
        let mut out = Vec::new();
        for column in relation.columns.iter().filter(|c| !known.contains(&c.name)) {
            let row = self
                .client
                .query_opt(
                    "SELECT a.atthasmissing OR d.adbin IS NOT NULL, t.typtype::text, format_type(a.atttypid, a.atttypmod) \
                     FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
                     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                     WHERE a.attrelid = $1 AND a.attname = $2 AND NOT a.attisdropped",
                    &[&relation.id as &(dyn tokio_postgres::types::ToSql + Sync), &column.name],
                )
                .await
                .map_err(source_error)?;
            let Some(row) = row else {
                return Err(ImportError::Unsupported(format!(
                    "column {} was added to {name} (after {at}) and is gone from the source again, so how it was \
                     added cannot be checked",
                    column.name
                )));
            };
            let (has_default, typtype, shown): (bool, String, String) = (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?);
            if has_default {
                return Err(ImportError::Unsupported(format!(
                    "column {} was added to {name} (after {at}) and has a default: PostgreSQL fills an added \
                     column's default into the existing rows without logging them, so the chain cannot follow it. \
                     Add columns without a default, or import again under a new --name",
                    column.name
                )));
            }
            let (chain_type, _) = map_type(column.type_oid, column.typmod, &typtype, &shown)
                .map_err(|e| ImportError::Unsupported(format!("table {name}, added column {}: {e}", column.name)))?;
            out.push(statement(
                format!("ALTER TABLE {} ADD COLUMN {} {chain_type}", quote(&name), quote(&column.name)),
                vec![],
            ));
            self.known.entry(name.clone()).or_default().push(column.name.clone());
        }
        Ok(out)
    }

    /// Sends the gathered transaction, if it touched an imported table.
    async fn commit(&mut self, pending: &mut Pending, end: Lsn, status: &mut StatusLine) -> Result<(), ImportError> {
        let taken = std::mem::take(pending);
        let start = std::mem::replace(&mut self.committed, end.as_u64());
        if taken.statements.is_empty() {
            return Ok(());
        }
        let start = Lsn::from_u64(start).to_string();
        self.sender.send_transaction(taken.statements, self.opts.split_rows, lsn_position(end), &start).await?;
        status.sent(end.to_string(), u64::try_from(taken.time_s).unwrap_or(0), self.sender.height);
        Ok(())
    }
}

/// A tuple's column names and values; an unchanged TOASTed value is left
/// out (an UPDATE keeps it).
fn tuple(
    read: TextInput,
    table: &Table,
    relation: &Relation,
    cells: &[Cell],
) -> Result<(Vec<String>, Vec<Value>), ImportError> {
    if cells.len() != relation.columns.len() {
        return Err(ImportError::Source(format!(
            "a change of {} with {} values for {} columns",
            table.name,
            cells.len(),
            relation.columns.len()
        )));
    }
    let mut names = Vec::with_capacity(cells.len());
    let mut values = Vec::with_capacity(cells.len());
    for (column, cell) in relation.columns.iter().zip(cells) {
        let value = match cell {
            Cell::Unchanged => continue,
            Cell::Null => Value::Null,
            Cell::Text(text) => cell_value(read, table, &column.name, column.type_oid, text)?,
        };
        names.push(column.name.clone());
        values.push(value);
    }
    Ok((names, values))
}

/// The primary key's values in a tuple (a new row, or an old key).
fn key(read: TextInput, table: &Table, relation: &Relation, cells: &[Cell]) -> Result<Vec<Value>, ImportError> {
    table
        .primary_key
        .iter()
        .map(|k| {
            let at = relation.columns.iter().position(|c| &c.name == k);
            match at.and_then(|i| Some((relation.columns.get(i)?, cells.get(i)?))) {
                Some((column, Cell::Text(text))) => cell_value(read, table, k, column.type_oid, text),
                _ => Err(ImportError::Source(format!("a change of {} without its key column {k}", table.name))),
            }
        })
        .collect()
}

/// A streamed value, read as its type (an enum's label, or any type the
/// chain lacks and the import's checks let through, as text).
fn cell_value(read: TextInput, table: &Table, column: &str, stream_oid: u32, text: &str) -> Result<Value, ImportError> {
    let oid = if sqlmap::PgType::from_oid(stream_oid, -1).is_some() { stream_oid } else { 25 };
    let column = Column { name: column.to_string(), chain_type: String::new(), input_oid: oid, not_null: false };
    input(read, &table.name, &column, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_back_as_they_are_written() {
        let lsn = Lsn::parse("0/16B3748").unwrap();
        let p = lsn_position(lsn);
        assert_eq!((p.order.clone(), p.text.as_str()), (vec![1, 0x16B_3748], "0/16B3748"));
        assert_eq!(parse_position(&p.text).unwrap(), lsn);
        assert_eq!(parse_position("0/16B3700#2").unwrap(), Lsn::parse("0/16B3700").unwrap());
        assert!(parse_position("snapshot 1 at 0/1, table t, 3 rows").is_err());
    }

    #[test]
    fn types_map_to_the_chain_s_own_or_are_refused() {
        assert_eq!(map_type(1700, (12 << 16 | 2) + 4, "b", "numeric(12,2)").unwrap(), ("numeric(12,2)".into(), 1700));
        assert_eq!(map_type(1043, 36, "b", "character varying(32)").unwrap().0, "character varying(32)");
        assert_eq!(map_type(1184, -1, "b", "timestamp with time zone").unwrap().0, "timestamp with time zone");
        assert_eq!(map_type(16390, -1, "e", "color").unwrap(), ("text".into(), 25));
        assert_eq!(map_type(1007, -1, "b", "integer[]").unwrap().0, "integer[]");
        let refused = map_type(1186, -1, "b", "interval").unwrap_err();
        assert_eq!(refused, "type interval has no mapping on the chain");
    }
}
