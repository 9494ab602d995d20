//! A private PostgreSQL server per test, the source of the `rowchain import
//! postgres://` tests: a fresh cluster in a temporary directory, listening
//! on a free loopback port, with `wal_level=logical` and room for the
//! replication slots and WAL senders the importer uses. The machine's own
//! clusters (a packaged one on port 5432, if any) are never touched: the
//! binaries are run directly on a data directory of the test's own.
//!
//! The binaries are the server's (`initdb`, `postgres`, `psql` from `pg_config
//! --bindir`, else the newest `/usr/lib/postgresql/*/bin`), never Debian's
//! `psql` wrapper. `initdb` and `postgres` refuse to run as root: when the
//! tests run as root the directory is given to the `postgres` user and both
//! run under `runuser -u postgres --`. runuser stays the parent of the
//! server (it forks and waits), so the server is stopped through the
//! postmaster's own pid (`data/postmaster.pid`), not the runuser child.
//!
//! `synchronous_commit=off` (with `fsync=off`) makes the load fast; its
//! price is that a commit reaches a logical decoder, the importer's WAL
//! sender included, only once the WAL writer has flushed it, up to
//! 3 × `wal_writer_delay` (600 ms) after the COMMIT returned.
//!
//! Starting one took 0.7 s on an idle 2-core machine (`initdb` 0.5 s, the
//! server 0.08 s until it answers, `CREATE DATABASE shop` 0.1 s). With the
//! four tests of tests/import_postgres.rs starting theirs at once on 2
//! cores it took 1.0 to 2.1 s (`initdb` 0.75 to 1.7 s, the server 0.08 to
//! 0.18 s, the database 0.08 to 0.27 s). Stopping takes a few milliseconds
//! (an immediate shutdown: the cluster is thrown away). Parallel tests each
//! get their own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The database the tests' source tables live in (`pg_load::SCHEMA`).
pub const DATABASE: &str = "shop";

pub struct Postgres {
    pub port: u16,
    /// Holds `data/` (the cluster), the unix socket and `postgres.log` (the
    /// server's log, `initdb`'s output first).
    pub dir: PathBuf,
    /// The server, or (as root) the `runuser` that waits for it.
    child: Child,
}

impl Postgres {
    /// A fresh cluster under a new temporary directory, started on a free
    /// port with the importer's settings, and database [`DATABASE`].
    pub fn start(tag: &str) -> Postgres {
        Postgres::start_with(tag, &[])
    }

    /// [`Postgres::start`] with more server arguments after the defaults;
    /// a later `-c name=value` wins, so `&["-c", "wal_level=replica"]`
    /// starts a server the importer must refuse.
    pub fn start_with(tag: &str, extra_args: &[&str]) -> Postgres {
        let dir = super::temp_dir(&format!("postgres-{tag}"));
        if as_root() {
            run_ok(Command::new("chown").arg("postgres").arg(&dir), "chown the server's directory to postgres");
        }
        init_db(&dir);
        let pg = Postgres::start_on_free_ports(dir, extra_args);
        pg.psql("postgres", &format!("CREATE DATABASE {DATABASE}"));
        pg
    }

    /// `postgres://postgres@127.0.0.1:<port>/<db>`: the superuser, no
    /// password (the cluster trusts every local connection).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs `sql` (one or more statements, each on its own, in autocommit
    /// unless it says BEGIN) with `psql` over TCP as `postgres` in database
    /// `db`; returns stdout: the rows of every statement that returns rows,
    /// one a line, columns tab-separated, NULL as an empty string, no
    /// headers and no command tags. Panics with psql's stderr when a
    /// statement fails (`ON_ERROR_STOP`).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql).unwrap_or_else(|e| panic!("postgres: {sql}\n{e}"))
    }

    /// [`Postgres::psql`], a failure as psql's stderr.
    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = psql_cli(self.port, db, sql);
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).expect("psql prints UTF-8 (PGCLIENTENCODING=UTF8)"))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.dir)
    }

    /// Other tests may bind a port between [`super::free_port`] and the
    /// server's bind: then `postgres` exits at once ("could not create any
    /// TCP/IP sockets") and it starts again on another port, as
    /// `Dev::start_on_free_ports` does.
    fn start_on_free_ports(dir: PathBuf, extra_args: &[&str]) -> Postgres {
        for _ in 0..4 {
            if let Some(pg) = Postgres::try_start(&dir, super::free_port(), extra_args) {
                return pg;
            }
        }
        panic!("postgres exited before it was ready 4 times (ports taken?); log:\n{}", log_tail(&dir))
    }

    /// Spawns the server on `port`; `None` when it exits before answering.
    /// (No `Postgres` exists until it answers: its drop would remove the
    /// cluster the next attempt needs.)
    fn try_start(dir: &Path, port: u16, extra_args: &[&str]) -> Option<Postgres> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("postgres.log"))
            .expect("open the server's log");
        let mut child = server_command(&bin("postgres"))
            .args(server_args(dir, port))
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log's handle"))
            .stderr(log)
            .spawn()
            .expect("spawn postgres (Debian postgresql; .ci/run installs it)");
        // The data directory as the server reports it: a server that answers
        // with another one is another test's, which took the port.
        // (As given with -D, which is absolute: the server does not resolve symlinks.)
        let ours = dir.join("data").display().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last_error = String::new();
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return None;
            }
            let out = psql_cli(port, "postgres", "SHOW data_directory");
            if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == ours {
                return Some(Postgres { port, dir: dir.to_path_buf(), child });
            }
            last_error = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(50));
        }
        stop(dir, &mut child);
        panic!(
            "postgres did not accept postgres@127.0.0.1 on port {port} within 60 s; last client error: {last_error}\n\
             log:\n{}",
            log_tail(dir)
        );
    }
}

impl Drop for Postgres {
    /// An immediate shutdown: the cluster is thrown away. A failed test
    /// keeps the directory (like `Dev`), for its log.
    fn drop(&mut self) {
        stop(&self.dir, &mut self.child);
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Stops the server `child` started in `dir` and waits for it. SIGQUIT to
/// the postmaster is PostgreSQL's immediate shutdown (`pg_ctl -m
/// immediate`): it ends every backend and WAL sender at once, where a fast
/// shutdown (SIGINT) first waits for the WAL senders to send everything,
/// which a still-connected importer may never confirm. As root the child is
/// `runuser`, which waits for the server and exits with it; the server's
/// pid is the first line of `postmaster.pid`, current while the child runs
/// (the server removes it on exit). SIGKILL if nothing ends in 10 s.
fn stop(dir: &Path, child: &mut Child) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    let postmaster = std::fs::read_to_string(dir.join("data/postmaster.pid"))
        .ok()
        .and_then(|pid| pid.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
    match postmaster {
        Some(pid) => signal(pid, "QUIT"),
        None if !as_root() => signal(child.id(), "QUIT"),
        None => {}
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Some(pid) = postmaster {
        signal(pid, "KILL");
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status();
}

/// Whether this process is root (`id -u` is 0): then `initdb` and
/// `postgres` run as the `postgres` user.
fn as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        let out = Command::new("id").arg("-u").output().expect("run id -u");
        String::from_utf8_lossy(&out.stdout).trim() == "0"
    })
}

/// `program` as the server's user: itself, or under `runuser -u postgres`
/// when we are root.
fn server_command(program: &Path) -> Command {
    if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        // The tests' working directory may be closed to postgres.
        c.current_dir("/");
        c
    } else {
        Command::new(program)
    }
}

/// The directory of the server's binaries: `pg_config --bindir` when it
/// holds `initdb` (libpq-dev's pg_config may name a directory without the
/// server), else the newest `/usr/lib/postgresql/<version>/bin` that does.
fn bindir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
            .filter(|dir| dir.join("initdb").is_file());
        from_pg_config
            .or_else(|| {
                let versions = std::fs::read_dir("/usr/lib/postgresql").ok()?;
                versions
                    .flatten()
                    .filter_map(|v| {
                        let version: u32 = v.file_name().to_str()?.parse().ok()?;
                        let bin = v.path().join("bin");
                        bin.join("initdb").is_file().then_some((version, bin))
                    })
                    .max()
                    .map(|(_, bin)| bin)
            })
            .expect("no PostgreSQL server binaries (initdb) in pg_config --bindir or /usr/lib/postgresql/*/bin: .ci/run installs Debian's postgresql")
    })
}

fn bin(name: &str) -> PathBuf {
    bindir().join(name)
}

/// `initdb` into `dir/data`: every local connection trusted (the importer
/// logs in as `postgres` or a test's role, replication connections
/// included: initdb's pg_hba.conf has `host replication all 127.0.0.1/32`),
/// no fsync of the new files. UTF8 with the C locale whatever the
/// machine's locale is (under a bare C locale initdb would pick SQL_ASCII,
/// and the non-ASCII text of the load would be bytes of no encoding).
fn init_db(dir: &Path) {
    let out = server_command(&bin("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "--encoding=UTF8", "--locale=C"])
        .output()
        .expect("run initdb (Debian postgresql; .ci/run installs it)");
    let mut log = std::fs::File::create(dir.join("postgres.log")).expect("create the server's log");
    let _ = log.write_all(&out.stdout);
    let _ = log.write_all(&out.stderr);
    assert!(
        out.status.success(),
        "initdb failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The server's options. `wal_level=logical` is what the importer needs
/// (its slot decodes the WAL with pgoutput), with WAL senders and slots to
/// spare for a killed importer's that the server has not noticed yet. TCP
/// on loopback only, the unix socket in the test's directory (not
/// /var/run/postgresql, which may be a packaged cluster's). The rest keep
/// it fast: durability does not matter for a cluster that is deleted after
/// the test.
fn server_args(dir: &Path, port: u16) -> Vec<String> {
    let settings = [
        "listen_addresses=127.0.0.1".to_string(),
        format!("unix_socket_directories={}", dir.display()),
        "wal_level=logical".into(),
        "max_wal_senders=10".into(),
        "max_replication_slots=10".into(),
        "fsync=off".into(),
        "synchronous_commit=off".into(),
        "full_page_writes=off".into(),
    ];
    let mut args = vec!["-D".to_string(), dir.join("data").display().to_string(), "-p".into(), port.to_string()];
    for s in settings {
        args.push("-c".into());
        args.push(s);
    }
    args
}

/// `psql` as `postgres` over TCP (never the socket: TCP is what the
/// importer uses), the SQL on stdin, UTF-8 whatever the locale. `-X` skips
/// any ~/.psqlrc; `-q` leaves out the command tags. The connect timeout
/// bounds the wait on a port whose server never answers.
fn psql_cli(port: u16, db: &str, sql: &str) -> Output {
    let mut child = Command::new(bin("psql"))
        .args(["-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
        .args(["-p", &port.to_string(), "-U", "postgres", "-d", db, "-f", "-"])
        .env("PGCONNECT_TIMEOUT", "5")
        .env("PGCLIENTENCODING", "UTF8")
        .env_remove("PGOPTIONS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run psql (Debian postgresql-client; .ci/run installs postgresql)");
    let mut stdin = child.stdin.take().expect("psql's stdin");
    // Written from a thread: psql may fill its stdout before reading all of
    // a long script.
    let sql = sql.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(sql.as_bytes());
    });
    let out = child.wait_with_output().expect("wait for psql");
    let _ = writer.join();
    out
}

fn log_tail(dir: &Path) -> String {
    let log = match std::fs::read(dir.join("postgres.log")) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("(no postgres.log: {e})"),
    };
    let lines: Vec<&str> = log.lines().collect();
    lines.iter().skip(lines.len().saturating_sub(30)).copied().collect::<Vec<_>>().join("\n")
}

/// Runs `cmd`, panicking with its output unless it succeeds.
fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
