//! The PostgreSQL listener: connection limits, the startup packet and
//! SSLRequest, authentication ([`crate::auth`]), CancelRequest, and the
//! message loop that hands each frontend message to the connection's
//! [`PgSession`].
//!
//! TLS: see [`crate::tls`].
//!
//! Messages are framed by [`crate::codec`] and decoded with `pgwire`'s
//! message types; the protocol's state machine (extended-query error
//! recovery, COPY, the transaction status in ReadyForQuery) is
//! [`crate::session`]'s. A message longer than `pg.message_bytes_max`
//! closes that connection only.

use crate::codec::Codec;
use crate::error::PgError;
use crate::session::PgSession;
use crate::tls::PgStream;
use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use pgwire::messages::response::ReadyForQuery;
use pgwire::messages::startup::{BackendKeyData, ParameterStatus, SecretKey};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use proxy_frontend::{CancelFlag, Frontend};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
const CANCEL_REQUEST: u32 = 80_877_102;
const STARTUP_BYTES_MAX: usize = 10_000;

pub(crate) struct Shared {
    pub frontend: Arc<Frontend>,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub next_pid: AtomicI32,
    /// Open sessions by backend pid: their cancel secret and flag.
    pub sessions: Mutex<HashMap<i32, (i32, Arc<CancelFlag>)>>,
}

/// Serves the PostgreSQL protocol for `frontend`'s node on `listener`
/// until `shutdown` resolves, with TLS through `tls` (see
/// [`crate::tls::acceptor`]).
pub async fn serve(
    frontend: Arc<Frontend>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let cfg = frontend.node().config().pg.clone();
    let shared =
        Arc::new(Shared { frontend, tls, next_pid: AtomicI32::new(1000), sessions: Mutex::new(HashMap::new()) });
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

/// A client connection, framed.
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
    let frontend = shared.frontend.clone();
    let mut conn = Framed::new(stream, Codec::new(frontend.node().config().pg.message_bytes_max));
    let user = params.get("user").cloned().unwrap_or_default();
    let Some(key) = crate::auth::authenticate(&frontend, &mut conn, &user, peer).await? else {
        return Ok(());
    };
    let pid = shared.next_pid.fetch_add(1, Ordering::Relaxed);
    let secret: i32 = i32::from_be_bytes(node_core::crypto::random_bytes());
    let cancel = Arc::new(CancelFlag::new(false));
    shared.sessions.lock().insert(pid, (secret, cancel.clone()));
    let _unregister = Unregister(shared.clone(), pid);
    let mut session = PgSession::new(frontend.session(user, key, pid, &params, cancel));
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
