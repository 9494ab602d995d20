//! The `rowchain` command: argument parsing and wiring only.

mod import;
mod testnet;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use node::netinit::{self, NetworkSpec};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "rowchain", version, about = "A permissioned blockchain you use like a PostgreSQL database")]
struct Cli {
    /// Log level or filter (error, warn, info, debug, trace, or e.g. `info,node_bft=debug`); overrides RUST_LOG.
    #[arg(long, global = true)]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a single-validator chain (created on first start) with its JSON-RPC.
    Dev {
        /// Data directory.
        #[arg(long, default_value = "./rowchain-data")]
        data: PathBuf,
        /// JSON-RPC listen address (overrides rowchain.toml).
        #[arg(long)]
        http_addr: Option<String>,
        /// PostgreSQL protocol listen address (overrides rowchain.toml's pg.addr).
        #[arg(long)]
        pg_addr: Option<String>,
        /// MySQL protocol listen address, or `none` (overrides rowchain.toml's mysql.addr).
        #[arg(long)]
        mysql_addr: Option<String>,
        /// The crypto suite of a new chain: `standard` (SHA-256, ed25519,
        /// AES-256-GCM) or `sm` (SM3, SM2, SM4-GCM). Fixed in genesis: an
        /// existing chain keeps its own.
        #[arg(long, value_parser = parse_suite)]
        suite: Option<node_core::crypto::Suite>,
    },
    /// Create the data directories of a new network: DIR/node1..nodeN (validators), then the observers.
    ///
    /// Node i listens on 127.0.0.1 with PostgreSQL on port 5433+i-1, JSON-RPC on
    /// 5005+i-1, its peers on 5125+i-1 and MySQL on 3307+i-1. --base-port B
    /// makes those B+i-1, B+100+i-1, B+200+i-1 and B+300+i-1. One --host puts every node on that host (ports
    /// still offset); one host per node (e.g. --host node1,node2,node3,node4 for
    /// docker compose) gives every node the unshifted ports on 0.0.0.0, its
    /// peers addressed by host name. Every node's keystore holds the `admin`
    /// role (password `admin`).
    Init {
        /// Validators: the first N nodes, whose keys make up the genesis trust list.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        validators: u16,
        /// Observers: nodes that follow the chain and accept clients but do not vote.
        #[arg(long, default_value_t = 0)]
        observers: u16,
        /// The directory to create the node directories in.
        #[arg(long)]
        out: PathBuf,
        /// One host for all nodes, or one per node (comma-separated).
        #[arg(long, value_delimiter = ',')]
        host: Vec<String>,
        /// The first PostgreSQL port; JSON-RPC ports start 100 above it, peer ports 200 above, MySQL ports 300 above.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        base_port: Option<u16>,
    },
    /// Run one node of a network from its data directory (made by `rowchain init`).
    Node {
        /// The node's data directory.
        #[arg(long)]
        data: PathBuf,
        /// JSON-RPC listen address (overrides rowchain.toml).
        #[arg(long)]
        http_addr: Option<String>,
        /// PostgreSQL protocol listen address (overrides rowchain.toml's pg.addr).
        #[arg(long)]
        pg_addr: Option<String>,
        /// MySQL protocol listen address, or `none` (overrides rowchain.toml's mysql.addr).
        #[arg(long)]
        mysql_addr: Option<String>,
    },
    /// Run a whole network on this machine: `init` (unless DIR holds one) and one `node` process per node.
    Testnet {
        /// Validators, as for `init`.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        validators: u16,
        /// Observers, as for `init`.
        #[arg(long, default_value_t = 0)]
        observers: u16,
        /// Where the node directories are (created when DIR holds none).
        #[arg(long, default_value = "./rowchain-testnet")]
        data: PathBuf,
        /// As for `init`; only used when the network is created.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        base_port: Option<u16>,
    },
    /// Run one SQL statement (or a list of writes, applied atomically) through a node.
    Sql {
        #[arg(long, default_value = "http://127.0.0.1:5005")]
        url: String,
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long, default_value = "admin", env = "ROWCHAIN_PASSWORD")]
        password: String,
        /// A parameter for $1, $2, ... (repeat); given as JSON when it parses as JSON, else as text.
        #[arg(long = "param")]
        params: Vec<String>,
        /// Print the raw JSON result.
        #[arg(long)]
        json: bool,
        sql: String,
    },
    /// Follow a MySQL/MariaDB database's binlog into the chain, exactly once
    /// (see README.md, "Follow an existing database").
    Import(import::ImportArgs),
    /// Check the whole ledger and the SQL view offline.
    Verify {
        #[arg(long, default_value = "./rowchain-data")]
        data: PathBuf,
        /// Also re-execute every block from genesis and compare every root.
        #[arg(long)]
        replay: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    // A running node also logs to DATA/rowchain.log.
    let log_file = match &cli.command {
        Command::Dev { data, .. } | Command::Node { data, .. } => Some(data.join("rowchain.log")),
        _ => None,
    };
    if let Err(e) = init_logging(cli.log_level.as_deref(), log_file.as_deref()) {
        eprintln!("rowchain: {e:#}");
        std::process::exit(2);
    }
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The command's own last word, for a person: not a log line.
            eprintln!("rowchain: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

/// Structured logs to stderr and, for a running node, to `file`. The level
/// is `--log-level`, else `RUST_LOG`, else `info`.
fn init_logging(level: Option<&str>, file: Option<&Path>) -> Result<()> {
    use std::io::IsTerminal as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = match level {
        Some(l) => EnvFilter::try_new(l).with_context(|| format!("--log-level {l:?}"))?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let file_layer = match file {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening the log {}", path.display()))?;
            Some(fmt::layer().with_ansi(false).with_writer(std::sync::Mutex::new(f)))
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr))
        .with(file_layer)
        .try_init()
        .context("starting the log")?;
    Ok(())
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Dev { data, http_addr, pg_addr, mysql_addr, suite } => {
            dev(&data, suite, Addrs { http_addr, pg_addr, mysql_addr })
        }
        Command::Init { validators, observers, out, host, base_port } => {
            let spec =
                NetworkSpec { validators: validators.into(), observers: observers.into(), hosts: host, base_port };
            init(&out, &spec)
        }
        Command::Node { data, http_addr, pg_addr, mysql_addr } => {
            node_cmd(&data, Addrs { http_addr, pg_addr, mysql_addr })
        }
        Command::Testnet { validators, observers, data, base_port } => {
            let spec = NetworkSpec {
                validators: validators.into(),
                observers: observers.into(),
                hosts: Vec::new(),
                base_port,
            };
            testnet::testnet(&data, &spec)
        }
        Command::Sql { url, role, password, params, json, sql } => sql_cmd(&url, &role, &password, &params, json, &sql),
        Command::Import(args) => import::import(args),
        Command::Verify { data, replay } => verify(&data, replay),
    }
}

fn parse_suite(name: &str) -> Result<node_core::crypto::Suite, String> {
    node_core::crypto::Suite::from_name(name).ok_or_else(|| format!("{name:?} is not a crypto suite: standard or sm"))
}

fn dev(data: &Path, suite: Option<node_core::crypto::Suite>, addrs: Addrs) -> Result<i32> {
    let wanted = suite.unwrap_or_default();
    if node::init_dev(data, wanted)? {
        println!(
            "rowchain: created a new single-validator chain in {} (crypto suite {wanted}: {})",
            data.display(),
            wanted.describe()
        );
    } else if let Some(wanted) = suite {
        let genesis = node_core::genesis::Genesis::load(&node::DataDir(data.to_owned()).genesis())?;
        if genesis.suite() != wanted {
            bail!(
                "the chain in {} was made with the {} crypto suite, which genesis fixes: --suite {wanted} applies to \
                 a new chain (give another --data)",
                data.display(),
                genesis.suite()
            );
        }
    }
    serve(data, addrs)
}

fn node_cmd(data: &Path, addrs: Addrs) -> Result<i32> {
    let d = node::DataDir(data.to_owned());
    if !d.genesis().exists() {
        bail!(
            "{} has no genesis.json: create the network's data directories with `rowchain init --validators N --out DIR` \
             (or run `rowchain dev` for a single-validator chain)",
            data.display()
        );
    }
    serve(data, addrs)
}

fn init(out: &Path, spec: &NetworkSpec) -> Result<i32> {
    let nodes = netinit::init_network(out, spec)?;
    let database = node::config::PgConfig::default().database;
    println!("rowchain: created a network of {} in {}", node_counts(spec.validators, spec.observers), out.display());
    for n in &nodes {
        println!(
            "  {:<7} {:<9}  psql {}  JSON-RPC http://{}:{}  peers {}:{}",
            n.name,
            if n.validator { "validator" } else { "observer" },
            n.psql_url(&database),
            n.host,
            n.http_port,
            n.host,
            n.p2p_port
        );
    }
    println!("rowchain: start each node with  rowchain node --data {}", out.join("nodeI").display());
    if spec.hosts.len() <= 1 {
        println!(
            "rowchain: or all of them at once with  rowchain testnet --validators {} --observers {} --data {}",
            spec.validators,
            spec.observers,
            out.display()
        );
    }
    Ok(0)
}

/// Runs the node in `data` with its JSON-RPC and PostgreSQL front ends
/// until Ctrl-C, SIGTERM, or its block producer stops.
/// Listen addresses given on the command line, over rowchain.toml's.
struct Addrs {
    http_addr: Option<String>,
    pg_addr: Option<String>,
    mysql_addr: Option<String>,
}

fn serve(data: &Path, addrs: Addrs) -> Result<i32> {
    let mut config = node::load_config(data)?;
    if let Some(a) = addrs.http_addr {
        config.http_addr = a;
    }
    if let Some(a) = addrs.pg_addr {
        config.pg.addr = a;
    }
    if let Some(a) = addrs.mysql_addr {
        config.mysql.addr = a;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let addr = config.http_addr.clone();
        let listener = tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("listening on {addr}"))?;
        let pg_addr = config.pg.addr.clone();
        let pg_listener =
            tokio::net::TcpListener::bind(&pg_addr).await.with_context(|| format!("listening on {pg_addr}"))?;
        let mysql_listener = match config.mysql.listen_addr() {
            Some(a) => Some(tokio::net::TcpListener::bind(a).await.with_context(|| format!("listening on {a}"))?),
            None => None,
        };
        let database = config.pg.database.clone();
        // Certificate paths are relative to the data directory.
        for path in [&mut config.pg.tls_cert, &mut config.pg.tls_key].into_iter().flatten() {
            *path = data.join(&*path).to_string_lossy().into_owned();
        }
        let tls = proxy_pg::tls_acceptor(&config.pg)?;
        let mysql_config = match &mysql_listener {
            Some(_) => Some(mysql_server_config(&config)?),
            None => None,
        };
        let network =
            (!config.network.peers.is_empty()).then(|| (config.network.p2p_addr.clone(), config.network.peers.len()));
        let node = node::Node::start(data, config)?;
        let frontend = proxy_frontend::Frontend::new(node.clone());
        let s = node.status();
        tracing::info!(chain = %node.genesis().chain_id, height = s.height, role = node.role(), "node started");
        println!("rowchain: chain {} at height {}, data in {}", node.genesis().chain_id, s.height, data.display());
        if let Some((p2p_addr, peers)) = network {
            println!(
                "rowchain: {} in a network of {} validators; peers on {p2p_addr}, {peers} listed",
                node.role(),
                node.genesis().validators.len()
            );
        }
        println!("rowchain: JSON-RPC on http://{}", listener.local_addr()?);
        println!(
            "rowchain: PostgreSQL on {}{}",
            pg_listener.local_addr()?,
            if tls.is_some() { " (TLS offered)" } else { "" }
        );
        println!("rowchain: try  psql postgres://admin:admin@{}/{database}", pg_listener.local_addr()?);
        if let Some(l) = &mysql_listener {
            let a = l.local_addr()?;
            let offered = if tls.is_some() { " (TLS offered)" } else { "" };
            println!("rowchain: MySQL on {a}{offered}");
            println!("rowchain: try  mysql -h {} -P {} -u admin -padmin {database}", a.ip(), a.port());
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let pg = {
            let frontend = frontend.clone();
            let mut rx = stop_rx.clone();
            tokio::spawn(async move {
                proxy_pg::serve(frontend, pg_listener, tls, async move {
                    let _ = rx.changed().await;
                })
                .await
            })
        };
        let mysql = match (mysql_listener, mysql_config) {
            (Some(listener), Some(mysql_config)) => {
                let frontend = frontend.clone();
                let mut rx = stop_rx.clone();
                Some(tokio::spawn(async move {
                    proxy_mysql_node::serve(frontend, listener, mysql_config, async move {
                        let _ = rx.changed().await;
                    })
                    .await
                }))
            }
            _ => None,
        };
        let watched = node.clone();
        let stop = async move {
            wait_for_stop(watched).await;
            let _ = stop_tx.send(true);
        };
        proxy_rpc::serve(frontend, listener, stop).await?;
        pg.await.context("the PostgreSQL front end panicked")??;
        if let Some(mysql) = mysql {
            mysql.await.context("the MySQL front end panicked")?;
        }
        node.shutdown().map_err(|e| anyhow::anyhow!("block producer: {e}"))?;
        tracing::info!(height = node.status().height, "node stopped");
        println!("rowchain: stopped at height {}", node.status().height);
        Ok(0)
    })
}

/// The MySQL wire's settings: TLS with the PostgreSQL wire's certificate
/// (paths already resolved); `serve` adds the RSA key.
fn mysql_server_config(config: &node::config::Config) -> Result<proxy_mysql_node::MysqlServerConfig> {
    let pem = match (&config.pg.tls_cert, &config.pg.tls_key) {
        (Some(cert), Some(key)) => Some((
            std::fs::read(cert).with_context(|| format!("reading {cert}"))?,
            std::fs::read(key).with_context(|| format!("reading {key}"))?,
        )),
        _ => None,
    };
    let tls = pem.as_ref().map(|(cert, key)| (cert.as_slice(), key.as_slice()));
    proxy_mysql_node::server_config(&config.mysql, tls).map_err(|e| anyhow::anyhow!("MySQL front end: {e}"))
}

/// "4 validators and 1 observer".
pub(crate) fn node_counts(validators: usize, observers: usize) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    format!("{} and {}", plural(validators, "validator"), plural(observers, "observer"))
}

/// Resolves on Ctrl-C, SIGTERM, or when the block producer stopped on an error.
async fn wait_for_stop(node: Arc<node::Node>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            _ = term.recv() => return,
            _ = tick.tick() => if !node.producer_alive() { return },
        }
    }
}

fn sql_cmd(url: &str, role: &str, password: &str, params: &[String], raw: bool, sql: &str) -> Result<i32> {
    let params: Vec<Json> =
        params.iter().map(|p| serde_json::from_str(p).unwrap_or_else(|_| Json::String(p.clone()))).collect();
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": "sql",
                     "params": {"sql": sql, "role": role, "password": password, "params": params}});
    let mut resp = ureq::post(url)
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(&req)
        .with_context(|| format!("cannot reach the node at {url}"))?;
    let body: Json = resp.body_mut().read_json().context("the node's reply is not JSON")?;
    if raw {
        println!("{}", serde_json::to_string_pretty(&body)?);
    }
    if let Some(err) = body.get("error") {
        let state = err.pointer("/data/sqlstate").and_then(Json::as_str).unwrap_or("XX000");
        eprintln!("ERROR:  {state}: {}", err.get("message").and_then(Json::as_str).unwrap_or("unknown error"));
        return Ok(1);
    }
    let result = body.get("result").cloned().unwrap_or(Json::Null);
    if raw {
        return Ok(if result.get("status").and_then(Json::as_str) == Some("failed") { 1 } else { 0 });
    }
    match result.get("kind").and_then(Json::as_str) {
        Some("rows") => {
            print_table(&result);
            Ok(0)
        }
        Some("receipt") => Ok(print_receipt(&result)),
        Some("empty") => Ok(0),
        _ => bail!("unexpected reply: {result}"),
    }
}

fn print_receipt(r: &Json) -> i32 {
    let height = r["height"].as_u64().unwrap_or(0);
    let hash = r["tx_hash"].as_str().unwrap_or("");
    if let Some(err) = r.get("error") {
        eprintln!("ERROR:  {}: {}", err["sqlstate"].as_str().unwrap_or("XX000"), err["message"].as_str().unwrap_or(""));
        eprintln!("(tx {hash} recorded as failed in block {height}; no row changed)");
        return 1;
    }
    println!("COMMITTED block {height} tx {hash} rows affected {}", r["rows_affected"]);
    for res in r["results"].as_array().into_iter().flatten() {
        if let Some(ret) = res.get("returning") {
            print_table(ret);
        }
    }
    0
}

/// A value as psql prints it (JSON-RPC sends booleans as JSON booleans).
fn cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => (if *b { "t" } else { "f" }).to_string(),
        other => other.to_string(),
    }
}

fn print_table(rs: &Json) {
    let cols: Vec<String> = rs["columns"].as_array().into_iter().flatten().map(cell).collect();
    let rows: Vec<Vec<String>> = rs["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r.as_array().into_iter().flatten().map(cell).collect())
        .collect();
    let mut width: Vec<usize> = cols.iter().map(|c| c.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if i < width.len() {
                width[i] = width[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        cells.iter().enumerate().map(|(i, c)| format!(" {:<w$} ", c, w = width[i])).collect::<Vec<_>>().join("|")
    };
    println!("{}", line(&cols));
    println!("{}", width.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    for r in &rows {
        println!("{}", line(r));
    }
    println!("({} row{})", rows.len(), if rows.len() == 1 { "" } else { "s" });
}

fn verify(data: &std::path::Path, replay: bool) -> Result<i32> {
    match node::verify::verify(data, replay) {
        Ok(r) => {
            println!(
                "verified: height {} ({} txs); state root matches the SQL view at height {} ({} leaves){}; crypto \
                 suite {} ({})",
                r.height,
                r.txs,
                r.view_height,
                r.leaves,
                if r.replayed { "; full replay from genesis reproduced every root" } else { "" },
                r.suite,
                r.suite.describe()
            );
            if r.view_height < r.height {
                println!(
                    "note: the SQL view is {} blocks behind the ledger; the node replays them when it starts",
                    r.height - r.view_height
                );
            }
            Ok(0)
        }
        Err(f) => {
            eprintln!("verification FAILED: {f}");
            Ok(1)
        }
    }
}
