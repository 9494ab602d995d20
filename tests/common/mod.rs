//! Shared harness for the end-to-end tests: runs the real `rowchain` binary on
//! a free loopback port in a fresh temporary data directory.
#![allow(dead_code)]

pub mod mariadb;
pub mod pg;
pub mod pg_load;
pub mod postgres_source;
pub mod source_load;

use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_rowchain");

pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let p = std::env::temp_dir().join(format!("rowchain-test-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&p).unwrap();
    p
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Dev {
    pub dir: PathBuf,
    pub port: u16,
    /// The PostgreSQL protocol port.
    pub pg_port: u16,
    /// The MySQL protocol port.
    pub mysql_port: u16,
    child: Option<Child>,
}

impl Dev {
    pub fn start(tag: &str) -> Dev {
        Dev::start_on_free_ports(temp_dir(tag), &[])
    }

    /// Starts a fresh chain with more `rowchain dev` arguments (`--suite sm`).
    pub fn start_with_args(tag: &str, args: &[&str]) -> Dev {
        Dev::start_on_free_ports(temp_dir(tag), args)
    }

    /// Starts a fresh chain whose `rowchain.toml` is `config`.
    pub fn start_with_config(tag: &str, config: &str) -> Dev {
        let dir = temp_dir(tag);
        std::fs::write(dir.join("rowchain.toml"), config).unwrap();
        Dev::start_on_free_ports(dir, &[])
    }

    /// Starts a chain in `dir` on ports that were free a moment ago. Tests
    /// run in parallel processes, so another one may bind a port between
    /// [`free_port`] and the node's bind: then the node exits at once and
    /// it starts again on other ports.
    fn start_on_free_ports(dir: PathBuf, args: &[&str]) -> Dev {
        for _ in 0..4 {
            if let Some(dev) = Dev::try_start(dir.clone(), free_port(), args) {
                return dev;
            }
        }
        Dev::try_start(dir, free_port(), args).expect("rowchain dev exited before it was ready")
    }

    pub fn start_in(dir: PathBuf, port: u16) -> Dev {
        Dev::try_start(dir, port, &[])
            .unwrap_or_else(|| panic!("rowchain dev exited before it was ready on port {port}"))
    }

    /// Spawns `rowchain dev`; `None` when it exits before answering on its
    /// HTTP port (a port it was given is taken).
    fn try_start(dir: PathBuf, port: u16, args: &[&str]) -> Option<Dev> {
        let pg_port = free_port();
        let mysql_port = free_port();
        let child = Command::new(BIN)
            .args(["dev", "--data"])
            .arg(&dir)
            .args(["--http-addr", &format!("127.0.0.1:{port}")])
            .args(["--pg-addr", &format!("127.0.0.1:{pg_port}")])
            .args(["--mysql-addr", &format!("127.0.0.1:{mysql_port}")])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rowchain dev");
        let mut child = child;
        let health = format!("http://127.0.0.1:{port}/health");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if ureq::get(&health).call().is_ok() {
                return Some(Dev { dir, port, pg_port, mysql_port, child: Some(child) });
            }
            // Exited: a port it was given is taken (the data directory stays).
            if child.try_wait().ok().flatten().is_some() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        panic!("rowchain dev did not become ready on port {port}");
    }

    /// A libpq connection string for `user`.
    pub fn pg_dsn(&self, user: &str, password: &str) -> String {
        format!("host=127.0.0.1 port={} user={user} password={password} dbname=rowchain", self.pg_port)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn rpc(&self, method: &str, params: Json) -> Json {
        rpc(&self.url(), method, params)
    }

    /// Runs SQL as admin; returns the JSON-RPC reply (with `result` or `error`).
    pub fn sql(&self, sql: &str) -> Json {
        self.rpc("sql", json!({"sql": sql, "role": "admin", "password": "admin"}))
    }

    /// Runs SQL that must succeed; returns its `result`.
    pub fn ok(&self, sql: &str) -> Json {
        let r = self.sql(sql);
        assert!(r.get("error").is_none(), "{sql}: {r}");
        let res = r["result"].clone();
        assert_ne!(res["status"], "failed", "{sql}: {res}");
        res
    }

    pub fn rows(&self, sql: &str) -> Vec<Vec<Json>> {
        let r = self.ok(sql);
        assert_eq!(r["kind"], "rows", "{sql}: {r}");
        r["rows"].as_array().unwrap().iter().map(|r| r.as_array().unwrap().clone()).collect()
    }

    pub fn height(&self) -> u64 {
        self.rpc("status", json!({}))["result"]["height"].as_u64().unwrap()
    }

    /// SIGTERM and wait: a clean stop.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe_kill(c.id(), 15);
            let _ = c.wait();
        }
    }

    /// SIGKILL: the process dies wherever it is.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            let _ = c.wait();
        }
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN).args(args).output().expect("run rowchain")
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        self.kill9();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn unsafe_kill(pid: u32, sig: i32) {
    let _ = Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status();
}

pub fn rpc(url: &str, method: &str, params: Json) -> Json {
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let mut resp = ureq::post(url).config().http_status_as_error(false).build().send_json(&req).expect("rpc call");
    resp.body_mut().read_json().expect("rpc reply is JSON")
}

pub fn verify(dir: &Path, replay: bool) -> Output {
    let mut c = Command::new(BIN);
    c.args(["verify", "--data"]).arg(dir);
    if replay {
        c.arg("--replay");
    }
    c.output().expect("run verify")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs compat/clients/setup.sh once per test process: the client programs,
/// psql and pgbench, openssl (apt, PyPI, npm; idempotent).
pub fn clients_setup() {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compat/clients/setup.sh");
        let out = Command::new("bash").arg(script).output().expect("run setup.sh");
        assert!(
            out.status.success(),
            "compat/clients/setup.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Runs `program` of the client runner `script` (compat/clients/run-all.sh
/// or compat/clients/mysql/run-all.sh) against a fresh `rowchain dev`,
/// with the target's settings from `env(&dev)`; fails with the program's
/// log when it fails.
pub fn run_client_program(script: &str, program: &str, env: impl Fn(&Dev) -> Vec<(&'static str, String)>) {
    clients_setup();
    let dev = Dev::start(&format!("client-{program}"));
    let logs = temp_dir(&format!("client-logs-{program}"));
    let out = Command::new("bash")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(script))
        .arg(program)
        .envs(env(&dev))
        .env("RC_TARGET", "rowchain")
        .env("RC_CLIENTS_LOGS", &logs)
        .output()
        .expect("run the client runner");
    let log = std::fs::read_to_string(logs.join(format!("{program}.log"))).unwrap_or_default();
    assert!(
        out.status.success(),
        "{program} failed against rowchain:\n{}\n--- {program}.log ---\n{log}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&logs);
}
