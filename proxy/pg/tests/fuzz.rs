//! Fuzzing the PostgreSQL front end (the message decoder and the session
//! state machine) over a real socket, against a real dev node served
//! in-process, plus the reproductions from issue 15 as regression tests.
//!
//! `pg_fuzz_messages` logs in and sends an arbitrary sequence of frontend
//! messages: well-formed ones with arbitrary fields (Query with arbitrary
//! UTF-8 and non-ASCII comments, Parse/Bind/Describe/Execute/Close/Sync/
//! Flush/COPY with random names, parameters and formats) and mutated ones
//! (bad lengths, flipped bytes, truncated bodies, unknown types). A case
//! passes when the connection still answers a probe query, or was closed
//! with an ErrorResponse, and a fresh connection runs `SELECT 1`. A panic
//! in a server task would only end that task, so a panic hook counts every
//! panic outside the test's own threads, and the count must stay 0.
//!
//! Cases: 400 by default (about 13 s in a debug build); `PROPTEST_CASES=N`
//! runs N, e.g. a long campaign:
//! `PROPTEST_CASES=20000 cargo test --workspace --test fuzz -- pg_fuzz`.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use node::hba::{Method, Rule};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ---- the server, and the panics it must never have ----

/// Every panic outside the test threads: the thread's name, and where and why.
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// The prefix of each test server's runtime threads, followed by its number.
const SERVER_THREADS: &str = "pg-server-";

thread_local! {
    /// Set on the test's own threads, whose panics are test failures.
    static CLIENT: Cell<bool> = const { Cell::new(false) };
}

/// Records every panic outside the test threads (server tasks, node
/// threads); marks the calling thread as a test thread.
fn record_panics() {
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CLIENT.with(Cell::get) {
                let thread = std::thread::current().name().unwrap_or("?").to_string();
                if let Ok(mut log) = PANICS.lock() {
                    log.push((thread, info.to_string()));
                }
            }
            previous(info);
        }));
    });
    CLIENT.with(|c| c.set(true));
}

/// A dev node with the PostgreSQL front end on a free loopback port, in
/// this process. admin/admin logs in with a clear-text password, except
/// from 127.0.0.2, where it must use SCRAM.
struct Server {
    /// Its runtime's thread name: panics there are this server's.
    threads: String,
    addr: SocketAddr,
    node: Arc<node::Node>,
    runtime: Option<tokio::runtime::Runtime>,
    dir: PathBuf,
}

impl Server {
    fn start() -> Server {
        record_panics();
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let threads = format!("{SERVER_THREADS}{n}");
        let dir = std::env::temp_dir().join(format!("rowchain-proxy-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        node::init_dev(&dir, node_core::crypto::Suite::Standard).expect("dev chain");
        let mut config = node::load_config(&dir).expect("config");
        config.pg.hba =
            vec![Rule::new("admin", "127.0.0.2/32", Method::ScramSha256), Rule::new("all", "all", Method::Password)];
        let node = node::Node::start(&dir, config).expect("node starts");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(&threads)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().expect("address");
        runtime.spawn(proxy_pg::serve(
            proxy_frontend::Frontend::new(node.clone()),
            listener,
            None,
            std::future::pending(),
        ));
        Server { threads, addr, node, runtime: Some(runtime), dir }
    }

    /// A logged-in connection from 127.0.0.1.
    fn login(&self) -> Client {
        let mut c = Client::connect(self.addr);
        c.startup();
        let (tag, body) = c.expect_message();
        assert_eq!((tag, body.as_slice()), (b'R', &[0, 0, 0, 3][..]), "asks for a clear-text password");
        c.send(&message(b'p', b"admin\0"));
        loop {
            match c.expect_message() {
                (b'Z', _) => return c,
                (b'E', body) => panic!("login failed: {:?}", error_fields(&body)),
                _ => {}
            }
        }
    }

    /// A fresh connection runs `SELECT 1`.
    fn assert_serves(&self) {
        let mut c = self.login();
        c.send(&query("SELECT 1"));
        assert_eq!(c.rows_until_ready(), Ok(vec![vec![Some("1".to_string())]]), "a fresh connection runs SELECT 1");
    }

    /// The panics of this server's threads, and of threads no test server
    /// owns (the nodes' own threads), since the tests run in parallel.
    fn panics(&self) -> Vec<String> {
        let log = PANICS.lock().map(|l| l.clone()).unwrap_or_default();
        log.into_iter()
            .filter(|(thread, _)| *thread == self.threads || !thread.starts_with(SERVER_THREADS))
            .map(|(thread, what)| format!("on {thread}: {what}"))
            .collect()
    }

    fn assert_no_panic(&self) {
        assert_eq!(self.panics(), Vec::<String>::new(), "panics in the server");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
        let _ = self.node.shutdown();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---- a raw PostgreSQL client ----

const QUIET: Duration = Duration::from_millis(400);
const PATIENCE: Duration = Duration::from_secs(20);

struct Client {
    s: TcpStream,
    buf: Vec<u8>,
    closed: bool,
}

/// One backend message, or the end of the connection.
#[derive(Debug, PartialEq)]
enum Event {
    Message(u8, Vec<u8>),
    Closed,
    Quiet,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        Client::wrap(TcpStream::connect(addr).expect("connect"))
    }

    /// A connection whose source address is `from` (a loopback address).
    fn connect_from(addr: SocketAddr, from: &str) -> Client {
        let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("runtime");
        let s = rt
            .block_on(async {
                let s = tokio::net::TcpSocket::new_v4()?;
                s.bind(format!("{from}:0").parse().expect("address"))?;
                s.connect(addr).await?.into_std()
            })
            .expect("connect");
        s.set_nonblocking(false).expect("blocking");
        Client::wrap(s)
    }

    fn wrap(s: TcpStream) -> Client {
        s.set_read_timeout(Some(QUIET)).expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        Client { s, buf: Vec::new(), closed: false }
    }

    fn startup(&mut self) {
        let mut body = 196_608u32.to_be_bytes().to_vec();
        body.extend_from_slice(b"user\0admin\0database\0rowchain\0\0");
        let mut packet = (body.len() as u32 + 4).to_be_bytes().to_vec();
        packet.extend_from_slice(&body);
        self.send(&packet);
    }

    /// Writes, ignoring a connection the server has already closed.
    fn send(&mut self, bytes: &[u8]) {
        let _ = self.s.write_all(bytes);
    }

    /// The next message; `Quiet` when none came for [`QUIET`].
    fn next(&mut self) -> Event {
        loop {
            if self.buf.len() >= 5 {
                let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
                if self.buf.len() > len {
                    let m: Vec<u8> = self.buf.drain(..len + 1).collect();
                    return Event::Message(m[0], m[5..].to_vec());
                }
            }
            if self.closed {
                return Event::Closed;
            }
            let mut chunk = [0u8; 8192];
            match self.s.read(&mut chunk) {
                Ok(0) => self.closed = true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    return Event::Quiet
                }
                Err(_) => self.closed = true,
            }
        }
    }

    /// The next message, waiting up to [`PATIENCE`].
    fn expect_message(&mut self) -> (u8, Vec<u8>) {
        let start = Instant::now();
        loop {
            match self.next() {
                Event::Message(t, b) => return (t, b),
                Event::Closed => panic!("the server closed the connection"),
                Event::Quiet if start.elapsed() < PATIENCE => {}
                Event::Quiet => panic!("no answer in {PATIENCE:?}"),
            }
        }
    }

    /// The rows of the reply to a simple query, up to ReadyForQuery; an
    /// ErrorResponse's (severity, SQLSTATE, message) instead.
    fn rows_until_ready(&mut self) -> Result<Vec<Row>, ErrorFields> {
        let mut rows = Vec::new();
        let mut error = None;
        loop {
            match self.expect_message() {
                (b'D', body) => rows.push(data_row(&body)),
                (b'E', body) => error = Some(error_fields(&body)),
                (b'Z', _) => return error.map_or(Ok(rows), Err),
                _ => {}
            }
        }
    }

    /// After a malformed message: the ErrorResponse the server sent last,
    /// before it closed the connection.
    fn fatal_then_closed(&mut self) -> ErrorFields {
        let mut last = None;
        let start = Instant::now();
        loop {
            match self.next() {
                Event::Message(t, body) => last = Some((t, body)),
                Event::Closed => match last {
                    Some((b'E', body)) => return error_fields(&body),
                    other => panic!("closed after {other:?}, not after an ErrorResponse"),
                },
                Event::Quiet if start.elapsed() < PATIENCE => {}
                Event::Quiet => panic!("the connection stayed open"),
            }
        }
    }
}

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn query(sql: &str) -> Vec<u8> {
    let mut body = sql.as_bytes().to_vec();
    body.push(0);
    message(b'Q', &body)
}

fn fields(body: &[u8]) -> Vec<(u8, String)> {
    body.split(|b| *b == 0)
        .filter_map(|f| f.split_first())
        .map(|(k, v)| (*k, String::from_utf8_lossy(v).into_owned()))
        .collect()
}

/// (severity, SQLSTATE, message) of an ErrorResponse.
type ErrorFields = (String, String, String);

/// A DataRow's values in text format.
type Row = Vec<Option<String>>;

fn error_fields(body: &[u8]) -> ErrorFields {
    let f = fields(body);
    let get = |k: u8| f.iter().find(|(c, _)| *c == k).map(|(_, v)| v.clone()).unwrap_or_default();
    (get(b'S'), get(b'C'), get(b'M'))
}

fn data_row(body: &[u8]) -> Row {
    let n = u16::from_be_bytes([body[0], body[1]]);
    let mut at = 2;
    (0..n)
        .map(|_| {
            let len = i32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
            at += 4;
            if len < 0 {
                return None;
            }
            let v = String::from_utf8_lossy(&body[at..at + len as usize]).into_owned();
            at += len as usize;
            Some(v)
        })
        .collect()
}

fn fatal(sqlstate: &str, msg: &str) -> ErrorFields {
    ("FATAL".into(), sqlstate.into(), msg.into())
}

// ---- regression tests: the reproductions from issue 15 ----

/// Sends `bytes` on a logged-in connection: the server must answer with
/// FATAL `sqlstate` `msg` and close, without a panic, and serve a fresh
/// connection.
fn assert_refused(server: &Server, bytes: &[u8], sqlstate: &str, msg: &str) {
    let mut c = server.login();
    c.send(bytes);
    assert_eq!(c.fatal_then_closed(), fatal(sqlstate, msg), "after {bytes:?}");
    server.assert_serves();
    server.assert_no_panic();
}

/// pgwire 0.42.1's Bind decoder panicked on a parameter length past the
/// end of the message (`extendedquery.rs:277`, `split_to`).
#[test]
fn pg_bind_parameter_length_past_end() {
    let server = Server::start();
    let mut c = server.login();
    c.send(&message(b'P', b"\0SELECT $1::text\0\0\0"));
    // portal "", statement "", no formats, 1 parameter of 100 bytes with 1 present, no result formats.
    c.send(&message(b'B', b"\0\0\0\0\0\x01\0\0\0\x64x\0\0"));
    assert_eq!(c.fatal_then_closed(), fatal("08P01", "insufficient data left in message"));
    server.assert_serves();
    server.assert_no_panic();
    // A negative length other than -1, and a Bind cut short inside its parameters.
    assert_refused(
        &server,
        &message(b'B', b"\0\0\0\0\0\x01\xff\xff\xff\xf0"),
        "08P01",
        "insufficient data left in message",
    );
    assert_refused(&server, &message(b'B', b"\0\0\0\0\0\x02\0\0\0\x01"), "08P01", "insufficient data left in message");
}

/// Messages too short for their fields: pgwire's decoders, called from
/// `server.rs`, read past the end with `Buf::get_*`, as did its
/// SASLInitialResponse decoder during login.
#[test]
fn pg_short_messages() {
    let server = Server::start();
    let short = "insufficient data left in message";
    assert_refused(&server, &message(b'P', b"\0SELECT 1\0"), "08P01", short);
    assert_refused(&server, &message(b'P', b"\0SELECT 1\0\0\x02\0\0\0\x17"), "08P01", short);
    assert_refused(&server, &message(b'E', b"\0"), "08P01", short);
    assert_refused(&server, &message(b'D', b""), "08P01", short);
    assert_refused(&server, &message(b'C', b""), "08P01", short);
    assert_refused(&server, &message(b'B', b"\0\0"), "08P01", short);
    assert_refused(&server, &message(b'D', b"X\0"), "08P01", "invalid DESCRIBE message subtype 88");
    assert_refused(&server, &message(b'Q', b"SELECT 1"), "08P01", "invalid string in message");
    assert_refused(&server, &message(b'S', b"x"), "08P01", "invalid message format");
    // Length words below 4: CopyData's decoder computed `len - 4`.
    assert_refused(&server, b"d\0\0\0\0", "08P01", "invalid message length");
    assert_refused(&server, b"Q\0\0\0\x03", "08P01", "invalid message length");
    assert_refused(&server, b"x\0\0\0\x04", "08P01", "invalid frontend message type 120");
}

/// The SASLInitialResponse of a SCRAM login, cut short or with a data
/// length past its end.
#[test]
fn pg_short_sasl_initial_response() {
    let server = Server::start();
    for (body, msg) in [
        (&b"SCRAM-SHA-256\0"[..], "malformed SCRAM message: insufficient data left in message"),
        (&b"SCRAM-SHA-256\0\0\0\0\x64n,,n=,r=abc"[..], "malformed SCRAM message: insufficient data left in message"),
        (&b"SCRAM-SHA-256"[..], "malformed SCRAM message: invalid string in message"),
    ] {
        let mut c = Client::connect_from(server.addr, "127.0.0.2");
        c.startup();
        let (tag, auth) = c.expect_message();
        assert_eq!((tag, auth.get(..4)), (b'R', Some(&[0, 0, 0, 10][..])), "asks for SASL");
        c.send(&message(b'p', body));
        assert_eq!(c.fatal_then_closed(), fatal("08P01", msg), "after {body:?}");
        server.assert_serves();
        server.assert_no_panic();
    }
    // A clear-text password message with no terminating NUL.
    let mut c = Client::connect(server.addr);
    c.startup();
    assert_eq!(c.expect_message(), (b'R', vec![0, 0, 0, 3]));
    c.send(&message(b'p', b"admin"));
    assert_eq!(c.fatal_then_closed(), fatal("08P01", "invalid password packet size"));
    // Something other than a password message during authentication.
    let mut c = Client::connect(server.addr);
    c.startup();
    assert_eq!(c.expect_message(), (b'R', vec![0, 0, 0, 3]));
    c.send(&query("SELECT 1"));
    assert_eq!(c.fatal_then_closed(), fatal("08P01", "expected password response, got Query"));
    server.assert_serves();
    server.assert_no_panic();
}

/// A startup packet of a bad length, or for another protocol.
#[test]
fn pg_bad_startup_packets() {
    let server = Server::start();
    let mut c = Client::connect(server.addr);
    c.send(&[0, 0, 0, 4, 0, 3, 0, 0]);
    assert_eq!(c.fatal_then_closed(), fatal("08P01", "invalid length of startup packet"));
    let mut c = Client::connect(server.addr);
    c.send(&[0, 0, 0, 8, 0, 2, 0, 0]);
    assert_eq!(c.fatal_then_closed(), fatal("0A000", "unsupported frontend protocol 2.0: server supports 3.0"));
    server.assert_serves();
    server.assert_no_panic();
}

/// A comment with a multi-byte character across the planner's byte 6
/// (`sqlmap` sliced `t[..6]`). Fixed in `sqlmap`: fails until that fix is
/// merged.
#[test]
fn pg_query_with_non_ascii_comment() {
    let server = Server::start();
    let mut c = server.login();
    c.send(&query("-- Grüße\nSELECT 1"));
    assert_eq!(c.rows_until_ready(), Ok(vec![vec![Some("1".to_string())]]));
    server.assert_serves();
    server.assert_no_panic();
}

/// A batch that leaves a transaction block failed (the campaign's one
/// non-panic finding was the harness missing this): the probe's ROLLBACK
/// ends the block and the probe answers.
#[test]
fn pg_failed_block_then_probe() {
    let server = Server::start();
    run_case(&server, &[query("BEGIN"), query("SELECT 1 ''")]).expect("the probe answers after ROLLBACK");
    run_case(&server, &[query("-- \nBEGIN")]).expect("the probe answers after ROLLBACK");
    server.assert_no_panic();
}

// ---- the fuzz target ----

/// A frontend message after startup, with arbitrary fields.
#[derive(Debug, Clone)]
enum Frontend {
    Query(String),
    Parse { name: String, query: String, types: Vec<u32> },
    Bind { portal: String, statement: String, formats: Vec<i16>, params: Vec<Option<Vec<u8>>>, results: Vec<i16> },
    Describe(u8, String),
    Execute(String, i32),
    Close(u8, String),
    Sync,
    Flush,
    CopyData(Vec<u8>),
    CopyDone,
    CopyFail(String),
    Password(Vec<u8>),
}

fn cstring(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(s.as_bytes());
    b.push(0);
}

impl Frontend {
    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let tag = match self {
            Frontend::Query(q) => {
                cstring(&mut b, q);
                b'Q'
            }
            Frontend::Parse { name, query, types } => {
                cstring(&mut b, name);
                cstring(&mut b, query);
                b.extend_from_slice(&(types.len() as u16).to_be_bytes());
                types.iter().for_each(|t| b.extend_from_slice(&t.to_be_bytes()));
                b'P'
            }
            Frontend::Bind { portal, statement, formats, params, results } => {
                cstring(&mut b, portal);
                cstring(&mut b, statement);
                b.extend_from_slice(&(formats.len() as u16).to_be_bytes());
                formats.iter().for_each(|f| b.extend_from_slice(&f.to_be_bytes()));
                b.extend_from_slice(&(params.len() as u16).to_be_bytes());
                for p in params {
                    match p {
                        Some(v) => {
                            b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                            b.extend_from_slice(v);
                        }
                        None => b.extend_from_slice(&(-1i32).to_be_bytes()),
                    }
                }
                b.extend_from_slice(&(results.len() as u16).to_be_bytes());
                results.iter().for_each(|f| b.extend_from_slice(&f.to_be_bytes()));
                b'B'
            }
            Frontend::Describe(kind, name) => {
                b.push(*kind);
                cstring(&mut b, name);
                b'D'
            }
            Frontend::Execute(name, rows) => {
                cstring(&mut b, name);
                b.extend_from_slice(&rows.to_be_bytes());
                b'E'
            }
            Frontend::Close(kind, name) => {
                b.push(*kind);
                cstring(&mut b, name);
                b'C'
            }
            Frontend::Sync => b'S',
            Frontend::Flush => b'H',
            Frontend::CopyData(d) => {
                b.extend_from_slice(d);
                b'd'
            }
            Frontend::CopyDone => b'c',
            Frontend::CopyFail(m) => {
                cstring(&mut b, m);
                b'f'
            }
            Frontend::Password(p) => {
                b.extend_from_slice(p);
                b'p'
            }
        };
        message(tag, &b)
    }
}

/// How a well-formed message is broken before it is sent.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    /// The length word set below 4.
    LengthBelowFour(u8),
    /// The length word shortened by this much (the rest is read as the next message).
    Shorter(u16),
    /// The length word beyond any limit.
    Huge(u32),
    /// The body cut to this many bytes, with the length word to match.
    Truncate(u16),
    /// One byte xor-ed.
    Flip(u16, u8),
    /// Another type byte.
    Tag(u8),
}

fn mutate(mut m: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let len = m.len() - 1;
    let set_len = |m: &mut Vec<u8>, n: u32| m[1..5].copy_from_slice(&n.to_be_bytes());
    match mutation {
        Mutation::None => {}
        Mutation::LengthBelowFour(n) => {
            set_len(&mut m, u32::from(*n % 4));
        }
        Mutation::Shorter(by) => {
            let n = len.saturating_sub(usize::from(*by)).max(4);
            set_len(&mut m, n as u32);
        }
        Mutation::Huge(n) => {
            set_len(&mut m, (16 << 20) + 5 + n % (1 << 30));
        }
        Mutation::Truncate(keep) => {
            let keep = usize::from(*keep) % (len - 3);
            m.truncate(5 + keep);
            set_len(&mut m, 4 + keep as u32);
        }
        Mutation::Flip(at, x) => {
            let at = usize::from(*at) % m.len();
            m[at] ^= x | 1;
        }
        Mutation::Tag(t) => m[0] = *t,
    }
    m
}

/// Statements for Query and Parse: the session's states (blocks, savepoints,
/// portals, COPY, settings), parameters, catalog reads and writes.
const SQL: &[&str] = &[
    "SELECT 1",
    "SELECT $1",
    "SELECT $1::int + $2::int",
    "SELECT $1::text, $2::bytea, $3::bool, $4::numeric, $5::timestamptz, $6::date, $7::uuid, $8::float8, $9::int8",
    "SELECT 'é', 'Grüße', '日本語'",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT a",
    "ROLLBACK TO SAVEPOINT a",
    "RELEASE a",
    "CREATE TABLE IF NOT EXISTS fz (id int PRIMARY KEY, t text, b bytea, n numeric(10,2), ts timestamptz)",
    "INSERT INTO fz (id, t) VALUES ($1, $2)",
    "INSERT INTO fz VALUES (1, 'ü', '\\x00ff', 1.5, now()) ON CONFLICT DO NOTHING",
    "UPDATE fz SET t = $1 WHERE id = $2",
    "DELETE FROM fz WHERE id = $1",
    "SELECT * FROM fz",
    "COPY fz (id, t) FROM STDIN",
    "COPY fz FROM STDIN (FORMAT csv)",
    "SET application_name = 'fuzz-ü'",
    "SHOW application_name",
    "RESET ALL",
    "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname ~ $1",
    "SELECT * FROM information_schema.columns WHERE table_name = 'fz'",
    "",
    ";",
    "SELECT 1; SELECT 2",
    "VACUUM",
    "SELECT 1/0",
    "SELECT 'x'::int",
];

fn sql() -> BoxedStrategy<String> {
    let known = prop::sample::select(SQL).prop_map(str::to_string);
    let text = "\\PC{0,12}";
    prop_oneof![
        4 => known.clone(),
        2 => (text, known.clone()).prop_map(|(c, s)| format!("-- {c}\n{s}")),
        1 => (text, known.clone()).prop_map(|(c, s)| format!("/* {c} */{s}")),
        1 => (known.clone(), text).prop_map(|(s, c)| format!("{s} -- {c}")),
        1 => (known, text).prop_map(|(s, t)| format!("{s} '{t}'")),
        1 => any::<String>(),
    ]
    .boxed()
}

fn name() -> BoxedStrategy<String> {
    prop_oneof![4 => Just(String::new()), 2 => Just("s1".to_string()), 1 => Just("ü".to_string()), 1 => "\\PC{0,6}"]
        .boxed()
}

fn param() -> BoxedStrategy<Option<Vec<u8>>> {
    let texts = prop::sample::select(&["1", "-5", "x", "t", "1.50", "2024-02-29 13:45:01+02", "\\x00ff", "é"][..])
        .prop_map(|s| s.as_bytes().to_vec());
    prop_oneof![
        1 => Just(None),
        3 => texts.prop_map(Some),
        2 => prop::collection::vec(any::<u8>(), 0..12).prop_map(Some),
    ]
    .boxed()
}

fn format_code() -> BoxedStrategy<i16> {
    prop_oneof![4 => Just(0i16), 4 => Just(1i16), 1 => any::<i16>()].boxed()
}

fn parse() -> impl Strategy<Value = Frontend> {
    let oid = prop_oneof![Just(0u32), Just(23), Just(25), Just(17), any::<u32>()];
    (name(), sql(), prop::collection::vec(oid, 0..4)).prop_map(|(name, query, types)| Frontend::Parse {
        name,
        query,
        types,
    })
}

fn bind() -> impl Strategy<Value = Frontend> {
    let formats = || prop::collection::vec(format_code(), 0..3);
    (name(), name(), formats(), prop::collection::vec(param(), 0..4), formats()).prop_map(
        |(portal, statement, formats, params, results)| Frontend::Bind { portal, statement, formats, params, results },
    )
}

fn copy_data() -> impl Strategy<Value = Frontend> {
    let rows = prop::sample::select(vec!["1\tü\n".as_bytes().to_vec(), b"2,\"a,b\"\n\\.\n".to_vec()]);
    prop_oneof![rows, prop::collection::vec(any::<u8>(), 0..16)].prop_map(Frontend::CopyData)
}

fn frontend() -> BoxedStrategy<Frontend> {
    let kind = prop_oneof![Just(b'S'), Just(b'P')];
    let max_rows = prop_oneof![Just(0i32), Just(1), any::<i32>()];
    prop_oneof![
        4 => sql().prop_map(Frontend::Query),
        4 => parse(),
        4 => bind(),
        2 => (kind.clone(), name()).prop_map(|(k, n)| Frontend::Describe(k, n)),
        3 => (name(), max_rows).prop_map(|(n, r)| Frontend::Execute(n, r)),
        1 => (kind, name()).prop_map(|(k, n)| Frontend::Close(k, n)),
        3 => Just(Frontend::Sync),
        1 => Just(Frontend::Flush),
        1 => copy_data(),
        1 => Just(Frontend::CopyDone),
        1 => "\\PC{0,8}".prop_map(Frontend::CopyFail),
        1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Frontend::Password),
    ]
    .boxed()
}

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        24 => Just(Mutation::None),
        1 => any::<u8>().prop_map(Mutation::LengthBelowFour),
        1 => any::<u16>().prop_map(Mutation::Shorter),
        1 => any::<u32>().prop_map(Mutation::Huge),
        2 => any::<u16>().prop_map(Mutation::Truncate),
        2 => (any::<u16>(), any::<u8>()).prop_map(|(a, x)| Mutation::Flip(a, x)),
        1 => any::<u8>().prop_map(Mutation::Tag),
    ]
    .boxed()
}

/// The byte patterns that panicked before (issue 15), as they were sent.
fn seeds() -> BoxedStrategy<Vec<u8>> {
    prop::sample::select(vec![
        message(b'B', b"\0\0\0\0\0\x01\0\0\0\x64x\0\0"),
        message(b'B', b"\0\0\0\0\0\x01\xff\xff\xff\xf0"),
        message(b'B', b"\0\0"),
        message(b'P', b"\0SELECT 1\0"),
        message(b'E', b"\0"),
        message(b'D', b""),
        message(b'C', b""),
        b"d\0\0\0\0".to_vec(),
        message(b'p', b"SCRAM-SHA-256\0"),
        query("-- Grüße\nSELECT 1"),
    ])
    .boxed()
}

/// One case: a message's bytes (well-formed, mutated or a seed).
fn wire_message() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        12 => (frontend(), mutation()).prop_map(|(m, x)| mutate(m.encode(), &x)),
        1 => seeds(),
        1 => prop::collection::vec(any::<u8>(), 1..24),
    ]
    .boxed()
}

const PROBE: &str = "SELECT 'probe'";

/// A Terminate message.
const TERMINATE: [u8; 5] = [b'X', 0, 0, 0, 4];

/// Sends `batch` on a logged-in connection, then Sync and a probe query,
/// and reads until the probe's answer or the end of the connection. A
/// COPY the batch started is failed; a probe swallowed (by a message whose
/// length word promised more) is sent again, and in the end the client
/// stops writing, which ends any half-read message.
fn run_case(server: &Server, batch: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let panics_before = server.panics().len();
    let mut c = server.login();
    let bytes: Vec<u8> = batch.concat();
    c.send(&bytes);
    // ROLLBACK first: a batch may leave a transaction block failed, where
    // PostgreSQL answers everything but ROLLBACK with 25P02.
    let probe = [message(b'S', b""), query("ROLLBACK"), query(PROBE)].concat();
    c.send(&probe);
    let mut probes = 1;
    let mut last = None;
    let mut probed = false;
    let start = Instant::now();
    loop {
        prop_assert!(start.elapsed() < PATIENCE * 2, "no end after {:?}; last message {last:?}", start.elapsed());
        match c.next() {
            Event::Message(b'G', _) => {
                c.send(&message(b'f', b"fuzz\0"));
                c.send(&probe);
            }
            Event::Message(b'D', body) if data_row(&body) == [Some("probe".to_string())] => probed = true,
            Event::Message(b'Z', _) if probed => break,
            Event::Message(tag, body) => last = Some((tag, body)),
            Event::Closed => {
                let error = last.as_ref().filter(|(t, _)| *t == b'E').map(|(_, b)| error_fields(b));
                // A Terminate in the batch closes the connection without a word, as PostgreSQL does.
                let terminated = bytes.windows(TERMINATE.len()).any(|w| w == TERMINATE);
                prop_assert!(
                    matches!(&error, Some((severity, _, _)) if severity == "FATAL") || terminated,
                    "closed without a FATAL ErrorResponse; last message {last:?}"
                );
                break;
            }
            Event::Quiet if probes < 3 => {
                probes += 1;
                c.send(&probe);
            }
            Event::Quiet if probes == 3 => {
                probes += 1;
                let _ = c.s.shutdown(Shutdown::Write);
            }
            Event::Quiet => {}
        }
    }
    let panics = server.panics();
    prop_assert_eq!(panics.len(), panics_before, "panics in the server: {:#?}", panics);
    server.assert_serves();
    Ok(())
}

/// Cases by default; `PROPTEST_CASES` (read by proptest's own default) wins.
const CASES: u32 = 400;

#[test]
fn pg_fuzz_messages() {
    let server = Server::start();
    let mut config = Config { failure_persistence: None, ..Config::default() };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = CASES;
    }
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let started = Instant::now();
    let result = runner.run(&prop::collection::vec(wire_message(), 1..8), |batch| run_case(&server, &batch));
    eprintln!("pg_fuzz_messages: {cases} cases in {:.1} s", started.elapsed().as_secs_f64());
    if let Err(e) = result {
        panic!("{e}");
    }
    server.assert_no_panic();
}
