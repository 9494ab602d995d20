//! The PostgreSQL listener: connection limits, the startup packet and
//! SSLRequest, authentication as `pg.hba` says (SCRAM-SHA-256, password,
//! md5 or trust) against the node's keystore,
//! CancelRequest, and the message loop that hands each frontend message to
//! the connection's [`Session`].
//!
//! TLS: see [`crate::tls`].
//!
//! Messages are framed and decoded with `pgwire`'s message types; the
//! protocol's state machine (extended-query error recovery, COPY, the
//! transaction status in ReadyForQuery) is ours. A message longer than
//! `pg.message_bytes_max` closes that connection only.

use crate::frontend::{self, Malformed};
use crate::session::{PgError, Session};
use crate::tls::PgStream;
use base64::Engine;
use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use node::hba::{self, Method};
use node::keystore::{md5_response, KeystoreError};
use node::Node;
use parking_lot::Mutex;
use pgwire::messages::response::{ErrorResponse, ReadyForQuery};
use pgwire::messages::startup::{Authentication, BackendKeyData, ParameterStatus, SecretKey};
use pgwire::messages::{DecodeContext, PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder, Framed};

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
const CANCEL_REQUEST: u32 = 80_877_102;
const STARTUP_BYTES_MAX: usize = 10_000;

/// Set by a CancelRequest: the session's running query stops with 57014.
pub type CancelFlag = AtomicBool;

pub(crate) struct Shared {
    pub node: Arc<Node>,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub next_pid: AtomicI32,
    /// Open sessions by backend pid: their cancel secret and flag.
    pub sessions: Mutex<HashMap<i32, (i32, Arc<CancelFlag>)>>,
}

/// Serves the PostgreSQL protocol on `listener` until `shutdown` resolves,
/// with TLS through `tls` (see [`crate::tls::acceptor`]).
pub async fn serve(
    node: Arc<Node>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let cfg = node.config().pg.clone();
    node.reader()
        .set_hooks(Arc::new(crate::catalog::CatalogHooks::new(cfg.database.clone(), node.admin_addresses().clone())));
    let shared = Arc::new(Shared { node, tls, next_pid: AtomicI32::new(1000), sessions: Mutex::new(HashMap::new()) });
    let slots = Arc::new(tokio::sync::Semaphore::new(cfg.connections_max));
    tokio::pin!(shutdown);
    loop {
        let (sock, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "PostgreSQL listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = sock.set_nodelay(true);
        let shared = shared.clone();
        match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    let _permit = permit;
                    if let Err(e) = connection(shared, sock).await {
                        if e.kind() != io::ErrorKind::UnexpectedEof && e.kind() != io::ErrorKind::ConnectionReset {
                            tracing::info!(error = %e, "PostgreSQL connection closed");
                        }
                    }
                });
            }
            Err(_) => {
                tokio::spawn(async move {
                    let mut sock = sock;
                    // Answer the startup with the error PostgreSQL gives, then close.
                    let _ = read_startup(&mut sock, false).await;
                    let e = PgError::fatal("53300", "sorry, too many clients already");
                    let mut buf = BytesMut::new();
                    let _ = PgWireBackendMessage::ErrorResponse(e.response()).encode(&mut buf);
                    let _ = sock.write_all(&buf).await;
                });
            }
        }
    }
}

enum Startup {
    Session(BTreeMap<String, String>),
    /// SSLRequest answered `S`: the TLS handshake comes next.
    Tls,
    Cancel {
        pid: i32,
        secret: i32,
    },
    Closed,
}

/// Reads the untyped packets that open a connection: SSLRequest (accepted
/// when `tls` is offered, else refused with `N`), GSSENCRequest (refused),
/// CancelRequest, or the StartupMessage with the client's parameters.
async fn read_startup<S: AsyncRead + AsyncWrite + Unpin>(sock: &mut S, tls: bool) -> io::Result<Startup> {
    loop {
        let mut len = [0u8; 4];
        let mut code = [0u8; 4];
        if sock.read_exact(&mut len).await.is_err() || sock.read_exact(&mut code).await.is_err() {
            return Ok(Startup::Closed);
        }
        let len = u32::from_be_bytes(len) as usize;
        let code = u32::from_be_bytes(code);
        if !(8..=STARTUP_BYTES_MAX).contains(&len) {
            return refuse(sock, PgError::fatal("08P01", "invalid length of startup packet")).await;
        }
        let mut body = vec![0u8; len - 8];
        sock.read_exact(&mut body).await?;
        match code {
            SSL_REQUEST if tls => {
                sock.write_all(b"S").await?;
                return Ok(Startup::Tls);
            }
            SSL_REQUEST | GSSENC_REQUEST => sock.write_all(b"N").await?,
            CANCEL_REQUEST => {
                let Some((pid, rest)) = body.split_first_chunk::<4>() else { return Ok(Startup::Closed) };
                let Some(secret) = rest.first_chunk::<4>() else { return Ok(Startup::Closed) };
                return Ok(Startup::Cancel { pid: i32::from_be_bytes(*pid), secret: i32::from_be_bytes(*secret) });
            }
            c if c >> 16 == 3 => {
                let mut params = BTreeMap::new();
                let mut fields = body.split(|b| *b == 0).map(|f| String::from_utf8_lossy(f).into_owned());
                while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
                    if k.is_empty() {
                        break;
                    }
                    params.insert(k, v);
                }
                return Ok(Startup::Session(params));
            }
            c => {
                let msg = format!("unsupported frontend protocol {}.{}: server supports 3.0", c >> 16, c & 0xffff);
                return refuse(sock, PgError::fatal("0A000", msg)).await;
            }
        }
    }
}

/// Answers a startup packet that cannot be served with `e`; the connection then closes.
async fn refuse<S: AsyncWrite + Unpin>(sock: &mut S, e: PgError) -> io::Result<Startup> {
    let mut buf = BytesMut::new();
    PgWireBackendMessage::ErrorResponse(e.response()).encode(&mut buf).map_err(io::Error::other)?;
    sock.write_all(&buf).await?;
    Ok(Startup::Closed)
}

/// Frames typed frontend messages with a size limit, and backend messages.
pub(crate) struct Codec {
    max: usize,
    ctx: DecodeContext,
}

impl Codec {
    fn new(max: usize) -> Self {
        let mut ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
        ctx.awaiting_frontend_ssl = false;
        ctx.awaiting_frontend_startup = false;
        Codec { max, ctx }
    }
}

impl Decoder for Codec {
    type Item = PgWireFrontendMessage;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<PgWireFrontendMessage>> {
        let malformed = |e: Malformed| io::Error::new(io::ErrorKind::InvalidData, e);
        let Some((&tag, rest)) = src.split_first() else { return Ok(None) };
        // Refused at once, as PostgreSQL does, before waiting for a body.
        if !frontend::known_type(tag) {
            return Err(malformed(Malformed(format!("invalid frontend message type {tag}"))));
        }
        let Some(len) = rest.first_chunk::<4>() else { return Ok(None) };
        let len = u32::from_be_bytes(*len) as usize;
        if len < 4 {
            return Err(malformed(Malformed("invalid message length".into())));
        }
        if len > self.max.saturating_add(4) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a {len}-byte message exceeds the limit of {} (pg.message_bytes_max)", self.max),
            ));
        }
        let total = len + 1;
        if src.len() < total {
            src.reserve(total - src.len());
            return Ok(None);
        }
        frontend::decode(src.split_to(total), &self.ctx).map(Some).map_err(malformed)
    }
}

impl Encoder<PgWireBackendMessage> for Codec {
    type Error = io::Error;

    fn encode(&mut self, item: PgWireBackendMessage, dst: &mut BytesMut) -> io::Result<()> {
        item.encode(dst).map_err(|e| io::Error::other(e.to_string()))
    }
}

pub(crate) type Conn = Framed<PgStream, Codec>;

/// The startup exchange: the packets before authentication, with the TLS
/// handshake in between when the client asks for it and it is offered.
async fn open(shared: &Shared, sock: TcpStream) -> io::Result<(PgStream, Startup)> {
    let mut stream = PgStream::Plain(sock);
    let startup = read_startup(&mut stream, shared.tls.is_some()).await?;
    match (startup, &shared.tls, stream) {
        (Startup::Tls, Some(acceptor), PgStream::Plain(tcp)) => {
            let mut stream = PgStream::Tls(Box::new(acceptor.accept(tcp).await?));
            let startup = read_startup(&mut stream, false).await?;
            Ok((stream, startup))
        }
        (startup, _, stream) => Ok((stream, startup)),
    }
}

async fn connection(shared: Arc<Shared>, sock: TcpStream) -> io::Result<()> {
    let peer = sock.peer_addr()?.ip();
    let (stream, startup) = match tokio::time::timeout(Duration::from_secs(60), open(&shared, sock)).await {
        Err(_) => return Ok(()),
        Ok(r) => r?,
    };
    let params = match startup {
        Startup::Closed | Startup::Tls => return Ok(()),
        Startup::Cancel { pid, secret } => {
            if let Some((s, flag)) = shared.sessions.lock().get(&pid) {
                if *s == secret {
                    flag.store(true, Ordering::SeqCst);
                }
            }
            return Ok(());
        }
        Startup::Session(p) => p,
    };
    let node = shared.node.clone();
    let mut conn = Framed::new(stream, Codec::new(node.config().pg.message_bytes_max));
    let user = params.get("user").cloned().unwrap_or_default();
    let Some(key) = authenticate(&node, &mut conn, &user, peer).await? else {
        return Ok(());
    };
    let pid = shared.next_pid.fetch_add(1, Ordering::Relaxed);
    let secret: i32 = i32::from_be_bytes(node_core::crypto::random_bytes());
    let cancel = Arc::new(CancelFlag::new(false));
    shared.sessions.lock().insert(pid, (secret, cancel.clone()));
    let _unregister = Unregister(shared.clone(), pid);
    let mut session = Session::new(node.clone(), user, key, pid, params, cancel);
    for (k, v) in session.startup_parameters() {
        conn.feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(k, v))).await?;
    }
    conn.feed(PgWireBackendMessage::BackendKeyData(BackendKeyData::new(pid, SecretKey::I32(secret)))).await?;
    conn.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(session.status()))).await?;
    while let Some(msg) = conn.next().await {
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                let _ = conn
                    .send(PgWireBackendMessage::ErrorResponse(PgError::fatal("08P01", e.to_string()).response()))
                    .await;
                return Err(e);
            }
        };
        if matches!(msg, PgWireFrontendMessage::Terminate(_)) {
            break;
        }
        session.handle(&mut conn, msg).await?;
    }
    // A client gone inside a transaction block submitted nothing: the block is dropped here.
    Ok(())
}

struct Unregister(Arc<Shared>, i32);

impl Drop for Unregister {
    fn drop(&mut self) {
        self.0.sessions.lock().remove(&self.1);
    }
}

async fn fail<T>(conn: &mut Conn, e: PgError) -> io::Result<Option<T>> {
    conn.send(PgWireBackendMessage::ErrorResponse(e.response())).await?;
    Ok(None)
}

/// The client's answer to an authentication request; `None` when it closed,
/// timed out, or sent something else or something malformed (it then got
/// 08P01).
async fn next_password_message(
    conn: &mut Conn,
) -> io::Result<Option<pgwire::messages::startup::PasswordMessageFamily>> {
    let e = match tokio::time::timeout(Duration::from_secs(60), conn.next()).await {
        Ok(Some(Ok(PgWireFrontendMessage::PasswordMessageFamily(p)))) => return Ok(Some(p)),
        Ok(Some(Ok(other))) => PgError::fatal("08P01", format!("expected password response, got {}", kind(&other))),
        Ok(Some(Err(e))) => PgError::fatal("08P01", e.to_string()),
        Ok(None) | Err(_) => return Ok(None),
    };
    fail(conn, e).await
}

/// A frontend message's name, for errors.
fn kind(m: &PgWireFrontendMessage) -> &'static str {
    use PgWireFrontendMessage as M;
    match m {
        M::Query(_) => "Query",
        M::Parse(_) => "Parse",
        M::Bind(_) => "Bind",
        M::Describe(_) => "Describe",
        M::Execute(_) => "Execute",
        M::Close(_) => "Close",
        M::Sync(_) => "Sync",
        M::Flush(_) => "Flush",
        M::Terminate(_) => "Terminate",
        M::CopyData(_) | M::CopyDone(_) | M::CopyFail(_) => "COPY data",
        _ => "another message",
    }
}

/// Authenticates `user` as `pg.hba` says for the client's address, and
/// returns the role's account key, opened by the login: by the role's
/// password for `scram-sha-256` and `password`, by the node's custody copy
/// for `trust` and `md5`. Unknown role, no matching rule or a rejecting
/// rule: 28000; wrong password: 28P01.
async fn authenticate(
    node: &Arc<Node>,
    conn: &mut Conn,
    user: &str,
    ip: IpAddr,
) -> io::Result<Option<node_core::crypto::SecretKey>> {
    let rules = &node.config().pg.hba;
    let method = match hba::decide(rules, user, ip) {
        None => {
            let msg = format!("no pg.hba rule for host \"{ip}\", user \"{user}\"");
            return fail(conn, PgError::fatal("28000", msg)).await;
        }
        Some(Method::Reject) => {
            let msg = format!("pg.hba rejects connection for host \"{ip}\", user \"{user}\"");
            return fail(conn, PgError::fatal("28000", msg)).await;
        }
        Some(m) => m,
    };
    if !node.keystore().contains(user) {
        return fail(conn, PgError::fatal("28000", format!("role \"{user}\" does not exist"))).await;
    }
    let md5_secret = if method == Method::Md5 { node.keystore().md5_secret(user) } else { None };
    let key = match (method, md5_secret) {
        (Method::Trust, _) => match node.keystore().unlock_custody(user) {
            Ok(k) => k,
            Err(e) => return fail(conn, PgError::fatal(e.sqlstate(), e.to_string())).await,
        },
        (Method::Md5, Some(secret)) => match md5(node, conn, user, &secret).await? {
            Some(k) => k,
            None => return Ok(None),
        },
        (Method::Password, _) => match cleartext(node, conn, user).await? {
            Some(k) => k,
            None => return Ok(None),
        },
        // A role whose password was set before an md5 rule admitted it has
        // no MD5 secret: PostgreSQL asks such a role for SCRAM, and so do we.
        (Method::Md5 | Method::ScramSha256, _) => match scram(node, conn, user).await? {
            Some(k) => k,
            None => return Ok(None),
        },
        (Method::Reject, _) => unreachable!("refused above"),
    };
    // A role that a trust or md5 rule admits (perhaps from other addresses)
    // gets its custody copy at its first login with a password.
    if hba::needs_custody(rules, user) {
        if let Err(e) = node.keystore().keep_custody(user, &key) {
            tracing::warn!(role = %user, error = %e, "keeping the custody copy of a role's key failed");
        }
    }
    conn.feed(PgWireBackendMessage::Authentication(Authentication::Ok)).await?;
    Ok(Some(key))
}

fn password_failed(user: &str) -> PgError {
    PgError::fatal("28P01", format!("password authentication failed for user \"{user}\""))
}

/// The password message answering an authentication request; `None` when
/// the client closed or sent something else (it then gets 08P01).
async fn read_password(conn: &mut Conn) -> io::Result<Option<String>> {
    let Some(msg) = next_password_message(conn).await? else { return Ok(None) };
    if let Err(e) = frontend::check_password(&msg) {
        return fail(conn, PgError::fatal("08P01", e.0)).await;
    }
    match msg.into_password() {
        Ok(p) => Ok(Some(p.password)),
        Err(e) => fail(conn, PgError::fatal("08P01", format!("malformed password message: {e}"))).await,
    }
}

/// `password`: the client sends the password in clear text; it opens the
/// role's key as a SCRAM login would.
async fn cleartext(node: &Arc<Node>, conn: &mut Conn, user: &str) -> io::Result<Option<node_core::crypto::SecretKey>> {
    conn.send(PgWireBackendMessage::Authentication(Authentication::CleartextPassword)).await?;
    let Some(password) = read_password(conn).await? else { return Ok(None) };
    let key = match node.keystore().unlock_cached(user, &password) {
        Some(k) => Ok(k),
        None => {
            let node = node.clone();
            let role = user.to_owned();
            tokio::task::spawn_blocking(move || node.keystore().unlock(&role, &password))
                .await
                .map_err(io::Error::other)?
        }
    };
    match key {
        Ok(k) => Ok(Some(k)),
        Err(KeystoreError::WrongPassword(_)) => fail(conn, password_failed(user)).await,
        Err(e) => fail(conn, PgError::fatal(e.sqlstate(), e.to_string())).await,
    }
}

/// `md5`: PostgreSQL's challenge against the role's MD5 secret; success
/// opens the custody copy of the role's key.
async fn md5(
    node: &Node,
    conn: &mut Conn,
    user: &str,
    secret: &str,
) -> io::Result<Option<node_core::crypto::SecretKey>> {
    let salt: [u8; 4] = node_core::crypto::random_bytes();
    conn.send(PgWireBackendMessage::Authentication(Authentication::MD5Password(salt.to_vec()))).await?;
    let Some(answer) = read_password(conn).await? else { return Ok(None) };
    let expected = md5_response(secret, &salt);
    // Compared in time independent of where they differ.
    let same =
        answer.len() == expected.len() && answer.bytes().zip(expected.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
    if !same {
        return fail(conn, password_failed(user)).await;
    }
    match node.keystore().unlock_custody(user) {
        Ok(k) => Ok(Some(k)),
        Err(e) => fail(conn, PgError::fatal(e.sqlstate(), e.to_string())).await,
    }
}

/// SCRAM-SHA-256 (RFC 5802, no channel binding) against the role's
/// verifier in the keystore. Success recovers the ClientKey, which opens the
/// role's account key.
async fn scram(node: &Node, conn: &mut Conn, user: &str) -> io::Result<Option<node_core::crypto::SecretKey>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some(verifier) = node.keystore().scram_verifier(user) else {
        let msg = format!("role \"{user}\" has no SCRAM secret yet: sign in once through JSON-RPC with its password");
        return fail(conn, PgError::fatal("28000", msg)).await;
    };
    conn.send(PgWireBackendMessage::Authentication(Authentication::SASL(vec!["SCRAM-SHA-256".into()]))).await?;
    let Some(first) = next_password_message(conn).await? else { return Ok(None) };
    let bad_proto = |m: &str| PgError::fatal("08P01", format!("malformed SCRAM message: {m}"));
    if let Err(e) = frontend::check_sasl_initial_response(&first) {
        return fail(conn, bad_proto(&e.0)).await;
    }
    let first = match first.into_sasl_initial_response() {
        Ok(f) if f.auth_method == "SCRAM-SHA-256" => f,
        Ok(f) => {
            return fail(conn, PgError::fatal("28000", format!("unsupported SASL mechanism {}", f.auth_method))).await
        }
        Err(e) => return fail(conn, bad_proto(&e.to_string())).await,
    };
    let first = String::from_utf8_lossy(first.data.as_deref().unwrap_or_default()).into_owned();
    // gs2 header "n,," (or "y,,": the client supports binding, we offer none), then the bare message.
    let Some(bare) = first.strip_prefix("n,,").or_else(|| first.strip_prefix("y,,")) else {
        return fail(conn, bad_proto("channel binding is not supported")).await;
    };
    let Some(client_nonce) = bare.split(',').find_map(|a| a.strip_prefix("r=")) else {
        return fail(conn, bad_proto("no client nonce")).await;
    };
    let server_nonce = format!("{client_nonce}{}", b64.encode(node_core::crypto::random_bytes::<18>()));
    let server_first = format!("r={server_nonce},s={},i={}", b64.encode(&verifier.salt), verifier.iterations);
    conn.send(PgWireBackendMessage::Authentication(Authentication::SASLContinue(server_first.clone().into()))).await?;
    let Some(fin) = next_password_message(conn).await? else { return Ok(None) };
    let fin = match fin.into_sasl_response() {
        Ok(f) => String::from_utf8_lossy(&f.data).into_owned(),
        Err(e) => return fail(conn, bad_proto(&e.to_string())).await,
    };
    let Some((without_proof, proof)) = fin.rsplit_once(",p=") else {
        return fail(conn, bad_proto("no proof")).await;
    };
    if without_proof.split(',').find_map(|a| a.strip_prefix("r=")) != Some(server_nonce.as_str()) {
        return fail(conn, bad_proto("nonce mismatch")).await;
    }
    let auth_message = format!("{bare},{server_first},{without_proof}");
    let proof = b64.decode(proof).unwrap_or_default();
    let denied = || password_failed(user);
    let Some(client_key) = verifier.check_proof(auth_message.as_bytes(), &proof) else {
        return fail(conn, denied()).await;
    };
    let key = match node.keystore().unlock_with_client_key(user, &client_key) {
        Ok(k) => k,
        Err(_) => return fail(conn, denied()).await,
    };
    let server_final = format!("v={}", b64.encode(verifier.server_signature(auth_message.as_bytes())));
    conn.feed(PgWireBackendMessage::Authentication(Authentication::SASLFinal(server_final.into()))).await?;
    Ok(Some(key))
}

impl PgError {
    pub(crate) fn response(&self) -> ErrorResponse {
        let mut fields = vec![
            (b'S', self.severity.to_string()),
            (b'V', self.severity.to_string()),
            (b'C', self.sqlstate.clone()),
            (b'M', self.message.clone()),
        ];
        if let Some(h) = &self.hint {
            fields.push((b'H', h.clone()));
        }
        if let Some(p) = self.position {
            fields.push((b'P', p.to_string()));
        }
        ErrorResponse::new(fields)
    }
}
