//! A private MariaDB server per test, the source of the `rowchain import
//! mysql://` tests: a fresh data directory, a free loopback port and a
//! row-format binary log with full row images and full metadata, which is
//! what the importer follows. The machine's own MariaDB (port 3306, binlog
//! off) is never touched: every option file is skipped (`--no-defaults`).
//!
//! Starting one took 0.7 s on an idle 2-core machine (`mariadb-install-db`
//! 0.5 s: it bootstraps the `mysql` system tables in a server of its own;
//! then the server 0.2 s until it answers), 3 s while a build was using both
//! cores. Parallel tests each get their own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The database the tests' source tables live in (`source_load::SCHEMA`).
pub const DATABASE: &str = "shop";

pub struct Mariadb {
    pub port: u16,
    /// Holds `data/` (the datadir), `binlog/`, the socket and `error.log`.
    pub dir: PathBuf,
    child: Child,
}

impl Mariadb {
    /// Installs a fresh datadir under a new temporary directory, starts
    /// `mariadbd` on a free port and creates the database [`DATABASE`].
    pub fn start(tag: &str) -> Mariadb {
        let dir = super::temp_dir(&format!("mariadb-{tag}"));
        install_db(&dir);
        let db = Mariadb::start_on_free_ports(dir);
        // latin1 is the server's compiled-in default (the Debian config that
        // makes it utf8mb4 is skipped); said here so it does not depend on
        // the build. Only `items.name` is utf8mb4, so the importer sees both
        // charsets in the binlog.
        db.sql_in("", &format!("CREATE DATABASE {DATABASE} CHARACTER SET latin1"));
        db
    }

    /// `mysql://root@127.0.0.1:<port>/<db>`: root with an empty password.
    pub fn url(&self, db: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs `sql` (one or more statements) with the `mysql` CLI over TCP as
    /// root in [`DATABASE`]; returns stdout (`-N -B`: tab-separated rows, no
    /// header, NULL as `NULL`, tabs and newlines in values escaped). Panics
    /// with the client's stderr when it fails.
    pub fn sql(&self, sql: &str) -> String {
        self.sql_in(DATABASE, sql)
    }

    /// [`Mariadb::sql`] in database `db` (`""`: none).
    pub fn sql_in(&self, db: &str, sql: &str) -> String {
        let out = mysql_cli(self.port, db, sql);
        assert!(out.status.success(), "mariadb: {sql}\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("the mysql CLI prints UTF-8 (--default-character-set=utf8mb4)")
    }

    /// The last lines of the server's error log, for failure messages.
    pub fn error_log_tail(&self) -> String {
        error_log_tail(&self.dir)
    }

    /// Other tests may bind a port between [`super::free_port`] and the
    /// server's bind: then `mariadbd` exits at once and it starts again on
    /// another port, as `Dev::start_on_free_ports` does.
    fn start_on_free_ports(dir: PathBuf) -> Mariadb {
        for _ in 0..4 {
            if let Some(db) = Mariadb::try_start(&dir, super::free_port()) {
                return db;
            }
        }
        panic!("mariadbd exited before it was ready 4 times (ports taken?); error log:\n{}", error_log_tail(&dir))
    }

    /// Spawns `mariadbd` on `port`; `None` when it exits before answering.
    /// (No `Mariadb` exists until it answers: its drop would remove the
    /// datadir the next attempt needs.)
    fn try_start(dir: &Path, port: u16) -> Option<Mariadb> {
        let mut child = Command::new(mariadbd())
            .args(server_args(dir, port))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mariadbd (Debian mariadb-server-core; .ci/run installs it)");
        // The datadir as the server reports it: a server that answers with
        // another datadir is another test's, which took the port.
        let data = std::fs::canonicalize(dir.join("data")).expect("the installed datadir");
        let ours = format!("{}/", data.display());
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last_error = String::new();
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return None;
            }
            let out = mysql_cli(port, "", "SELECT @@datadir");
            if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == ours {
                return Some(Mariadb { port, dir: dir.to_path_buf(), child });
            }
            last_error = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "mariadbd did not accept root@127.0.0.1 on port {port} within 60 s; last client error: {last_error}\n\
             error log:\n{}",
            error_log_tail(dir)
        );
    }
}

impl Drop for Mariadb {
    /// SIGKILL: the datadir is thrown away, so no clean shutdown is needed.
    /// A failed test keeps it (like `Dev`), for its error log and binlog.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `mariadbd` from PATH, else Debian's `/usr/sbin` (not on a user's PATH).
fn mariadbd() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("mariadbd")).find(|p| p.is_file()));
    on_path.unwrap_or_else(|| PathBuf::from("/usr/sbin/mariadbd"))
}

/// `mariadb-install-db` into `dir/data`. `--auth-root-authentication-method
/// =normal` makes root@localhost, root@127.0.0.1 and root@::1 with an empty
/// password (10.4+ defaults to unix_socket auth for root@localhost only);
/// with `--skip-name-resolve` a TCP login from 127.0.0.1 matches
/// root@127.0.0.1, so no user needs creating afterwards. The InnoDB sizes
/// match the server's so it does not resize the redo log on its first start.
/// Each server has a tmpdir of its own: a server that starts deletes the
/// `#sql*` files it finds in its tmpdir, which in a shared /tmp are another
/// test's bootstrap tables.
fn install_db(dir: &Path) {
    std::fs::create_dir_all(dir.join("tmp")).expect("create the server's tmpdir");
    let out = Command::new("mariadb-install-db")
        .arg("--no-defaults")
        .arg(format!("--datadir={}", dir.join("data").display()))
        .arg(format!("--tmpdir={}", dir.join("tmp").display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", "--user=root"])
        .args(["--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M"])
        .output()
        .expect("run mariadb-install-db (Debian mariadb-server-core; .ci/run installs it)");
    assert!(
        out.status.success(),
        "mariadb-install-db failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::create_dir_all(dir.join("binlog")).expect("create the binlog directory");
}

/// The server's options. The binlog ones are what the importer needs: row
/// events (`ROW`) with every column's before and after value (`FULL` image)
/// and the column names, signedness and charsets in each table map event
/// (`FULL` metadata). The rest keep it small and fast: durability does not
/// matter for a datadir that is deleted after the test.
fn server_args(dir: &Path, port: u16) -> Vec<String> {
    let path = |name: &str| dir.join(name).display().to_string();
    vec![
        "--no-defaults".into(),
        format!("--datadir={}", path("data")),
        format!("--tmpdir={}", path("tmp")),
        format!("--port={port}"),
        "--bind-address=127.0.0.1".into(),
        format!("--socket={}", path("mysqld.sock")),
        format!("--pid-file={}", path("mariadbd.pid")),
        format!("--log-error={}", path("error.log")),
        // We run as root; mariadbd refuses to unless told to stay root.
        "--user=root".into(),
        "--server-id=1".into(),
        format!("--log-bin={}", path("binlog/mariadb-bin")),
        "--binlog-format=ROW".into(),
        "--binlog-row-image=FULL".into(),
        "--binlog-row-metadata=FULL".into(),
        "--skip-name-resolve".into(),
        "--innodb-buffer-pool-size=32M".into(),
        "--innodb-log-file-size=16M".into(),
        "--innodb-flush-log-at-trx-commit=2".into(),
        "--innodb-doublewrite=0".into(),
        "--sync-binlog=0".into(),
        "--max-connections=50".into(),
        "--performance-schema=OFF".into(),
    ]
}

/// The `mysql` CLI as root over TCP (never the socket: TCP is what the
/// importer uses), UTF-8 in and out whatever the locale. The connect
/// timeout also bounds the wait for the server's greeting: without it the
/// CLI waits forever on a port another program took and never answers.
fn mysql_cli(port: u16, db: &str, sql: &str) -> Output {
    let mut cmd = Command::new("mysql");
    cmd.args(["--no-defaults", "--protocol=TCP", "-h127.0.0.1", &format!("-P{port}"), "-uroot"])
        .arg("--connect-timeout=5")
        .args(["--default-character-set=utf8mb4", "-N", "-B", "-e", sql]);
    if !db.is_empty() {
        cmd.arg(db);
    }
    cmd.output().expect("run the mysql CLI (Debian mariadb-client; .ci/run installs it)")
}

fn error_log_tail(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_else(|e| format!("(no error.log: {e})"));
    let lines: Vec<&str> = log.lines().collect();
    lines.iter().skip(lines.len().saturating_sub(30)).copied().collect::<Vec<_>>().join("\n")
}
