//! `rowchain import`: the command's arguments, where the chain is (a
//! running node's JSON-RPC or a data directory opened in this process),
//! and what the person running it sees. The importing is node::import.

use anyhow::{bail, Context, Result};
use node::import::{
    ChainLink, FollowStatus, ImportError, MysqlOptions, NodeLink, PostgresOptions, Progress, RpcLink, SnapshotStatus,
    StartAt,
};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// `rowchain import`'s arguments.
#[derive(clap::Args)]
pub(crate) struct ImportArgs {
    /// The source: mysql://user:password@host:port/database (MySQL or
    /// MariaDB), or postgres://user:password@host:port/database (PostgreSQL).
    source: String,
    /// Follow only these tables (comma-separated); all of the database's
    /// (PostgreSQL: of schema public) by default.
    #[arg(long, value_delimiter = ',')]
    tables: Option<Vec<String>>,
    /// The role that signs the import's transactions.
    #[arg(long = "as", default_value = "admin")]
    role: String,
    #[arg(long, default_value = "admin", env = "ROWCHAIN_PASSWORD")]
    password: String,
    /// Where a new source starts: snapshot, current, or (MySQL/MariaDB) a
    /// binlog FILE:POS, or (MariaDB) just after the transaction of GTID D-S-N.
    #[arg(long, default_value = "snapshot")]
    from: StartAt,
    /// The source's name on the chain (default: host:port/database).
    #[arg(long)]
    name: Option<String>,
    /// A running node's JSON-RPC.
    #[arg(long, default_value = "http://127.0.0.1:5005", conflicts_with = "data")]
    url: String,
    /// Open this data directory in this process instead (no node may be running on it).
    #[arg(long)]
    data: Option<PathBuf>,
    /// MySQL: the replica server id to register with (default: derived from the name).
    #[arg(long)]
    server_id: Option<u32>,
    /// PostgreSQL: the logical replication slot (default: rowchain_ and the name).
    #[arg(long)]
    slot: Option<String>,
    /// PostgreSQL: the publication to stream, made for the tables if missing (default: the slot's name).
    #[arg(long)]
    publication: Option<String>,
    /// Rows per snapshot transaction.
    #[arg(long, default_value_t = 500)]
    batch_rows: usize,
    /// Split a source transaction into chain transactions of at most N statements.
    #[arg(long)]
    split_rows: Option<usize>,
    /// Stop once the chain holds everything the source had when the import started.
    #[arg(long)]
    once: bool,
}

/// What to follow, as the source URL's scheme says.
enum Source {
    Mysql(MysqlOptions),
    Postgres(PostgresOptions),
}

pub(crate) fn import(args: ImportArgs) -> Result<i32> {
    let source = source(&args)?;
    let name = match &source {
        Source::Mysql(o) => o.name.clone(),
        Source::Postgres(o) => o.name.clone(),
    };
    println!("rowchain: importing {} as source {name:?}", args.source);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let outcome = rt.block_on(async {
        match &args.data {
            Some(data) => {
                let config = node::load_config(data)?;
                let node = node::Node::start(data, config)?;
                let key = node.keystore().unlock(&args.role, &args.password).context("unlocking the role's key")?;
                let link = NodeLink { node: node.clone(), key };
                let outcome = follow(&link, &source).await;
                node.shutdown().context("stopping the node")?;
                anyhow::Ok(outcome)
            }
            None => {
                let link = RpcLink { url: args.url.clone(), role: args.role.clone(), password: args.password.clone() };
                anyhow::Ok(follow(&link, &source).await)
            }
        }
    })?;
    println!();
    match outcome {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("rowchain import: {e}");
            Ok(1)
        }
    }
}

async fn follow<L: ChainLink>(link: &L, source: &Source) -> Result<(), ImportError> {
    match source {
        Source::Mysql(options) => node::import::run_mysql(link, options, &Printer).await,
        Source::Postgres(options) => node::import::run_postgres(link, options, &Printer).await,
    }
}

fn source(args: &ImportArgs) -> Result<Source> {
    let url = args.source.replacen("mariadb://", "mysql://", 1);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return postgres_source(args);
    }
    if !url.starts_with("mysql://") {
        bail!(
            "{}: a source is mysql://user:password@host:port/database (MySQL or MariaDB) \
             or postgres://user:password@host:port/database (PostgreSQL)",
            args.source
        );
    }
    if args.slot.is_some() || args.publication.is_some() {
        bail!("--slot and --publication are for a PostgreSQL source");
    }
    let opts = mysql_async::Opts::from_url(&url).with_context(|| format!("{}: not a source URL", args.source))?;
    let Some(db) = opts.db_name() else { bail!("{}: name the database in the URL", args.source) };
    let name = args.name.clone().unwrap_or_else(|| format!("{}:{}/{db}", opts.ip_or_hostname(), opts.tcp_port()));
    let digest = node_core::crypto::Suite::Standard.hash(name.as_bytes());
    let derived_id = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) | 0x4000_0000;
    Ok(Source::Mysql(MysqlOptions {
        url,
        name,
        tables: args.tables.clone(),
        from: args.from.clone(),
        server_id: args.server_id.unwrap_or(derived_id),
        batch_rows: args.batch_rows,
        split_rows: args.split_rows,
        once: args.once,
    }))
}

fn postgres_source(args: &ImportArgs) -> Result<Source> {
    if args.server_id.is_some() {
        bail!("--server-id is for a MySQL source");
    }
    let config: tokio_postgres::Config =
        args.source.parse().with_context(|| format!("{}: not a source URL", args.source))?;
    let Some(db) = config.get_dbname() else { bail!("{}: name the database in the URL", args.source) };
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let name = args.name.clone().unwrap_or_else(|| format!("{host}:{port}/{db}"));
    let slot = args.slot.clone().unwrap_or_else(|| default_slot(&name));
    Ok(Source::Postgres(PostgresOptions {
        url: args.source.clone(),
        publication: args.publication.clone().unwrap_or_else(|| slot.clone()),
        slot,
        name,
        tables: args.tables.clone(),
        from: args.from.clone(),
        batch_rows: args.batch_rows,
        split_rows: args.split_rows,
        once: args.once,
        input: |text, oid| proxy_frontend::types::from_text(text, oid).map_err(|e| e.0),
    }))
}

/// `rowchain_` and the source's name as a slot may be named: lowercase
/// letters, digits and `_`, at most 63 bytes.
fn default_slot(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '_' })
        .collect();
    format!("rowchain_{slug}").chars().take(63).collect()
}

/// Progress on one line of the terminal, rewritten in place.
struct Printer;

impl Progress for Printer {
    fn snapshot(&self, s: &SnapshotStatus) {
        let of = match s.rows_estimate {
            Some(total) if total > s.rows => format!(" of ~{total}"),
            _ => String::new(),
        };
        let eta = s.eta_s().filter(|&eta| eta >= 1.0).map(|eta| format!(", ETA {eta:.0} s")).unwrap_or_default();
        print!(
            "\rsnapshot: {}/{} tables, {}{of} rows ({:.0} rows/s{eta}), at {}\x1b[K",
            s.tables_done, s.tables, s.rows, s.rows_per_s, s.table
        );
        let _ = std::io::stdout().flush();
    }

    fn following(&self, s: &FollowStatus) {
        print!(
            "\rfollowing: source at {}, chain height {}, lag {} s, {} transactions ({:.0}/s, {:.0} rows/s)\x1b[K",
            s.position, s.height, s.lag_s, s.transactions, s.transactions_per_s, s.rows_per_s
        );
        let _ = std::io::stdout().flush();
    }

    fn retrying(&self, error: &ImportError, after: Duration) {
        println!("\rrowchain import: {error}; trying again in {:.1} s\x1b[K", after.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_default_slot_is_a_valid_slot_name() {
        assert_eq!(super::default_slot("shop"), "rowchain_shop");
        assert_eq!(super::default_slot("DB1.example:5432/Shop-é"), "rowchain_db1_example_5432_shop__");
        assert_eq!(super::default_slot(&"x".repeat(100)).len(), 63);
    }
}
