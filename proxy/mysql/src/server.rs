//! `server` owns the crate's public face: the [`Backend`] trait the node
//! implements, the server [`Config`] with its limits, the connection-count
//! limit, [`serve`], which runs one connection from handshake to quit, and
//! [`listen`], the accept loop around it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::auth::{RsaKey, Secret, Verifier, NATIVE_PASSWORD};
use crate::connection::Connection;
use crate::error::{ServerError, WireError, ER_CON_COUNT_ERROR};
use crate::login;
use crate::packet::Framed;
use crate::resultset::{Column, OkInfo};
use crate::tls::Transport;
use crate::value::Value;

/// One reply to a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryResult {
    Ok(OkInfo),
    Rows { columns: Vec<Column>, rows: Vec<Vec<Value>> },
    Error(ServerError),
}

/// Who logged in, and what the client asked for that changes results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginInfo<'a> {
    pub user: &'a str,
    pub database: Option<&'a str>,
    /// The id the handshake announced (CONNECTION_ID()).
    pub connection_id: u32,
    /// CLIENT_FOUND_ROWS: affected-row counts are rows matched, not changed.
    pub client_found_rows: bool,
    pub tls: bool,
}

/// What COM_STMT_PREPARE learns about a statement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prepared {
    pub parameters: Vec<Column>,
    pub columns: Vec<Column>,
}

/// The database behind one connection. The node implements it over its
/// front-end `Session`; tests implement it over an in-memory table.
/// Methods are called in protocol order on one connection's task.
pub trait Backend: Send {
    /// The stored verifier of `user`'s account, or `None` if there is none.
    fn account(&mut self, user: &str) -> impl Future<Output = Option<Verifier>> + Send;

    /// The client proved `secret` (a scramble matched the verifier
    /// [`account`](Backend::account) gave), or, for caching_sha2_password
    /// full authentication, sent its password (over TLS or RSA), which no
    /// one has checked yet. True accepts the login. The node opens the
    /// role's sealed key with the secret, and may cache a verifier
    /// `account` returns next time. A refused fast-path secret falls back
    /// to full authentication.
    fn authenticated(&mut self, user: &str, secret: Secret) -> impl Future<Output = bool> + Send;

    /// Authentication succeeded (also after COM_CHANGE_USER): start a
    /// session for the user, in the database if one was named.
    fn login(&mut self, login: &LoginInfo<'_>) -> impl Future<Output = Result<(), ServerError>> + Send;

    /// Runs COM_QUERY text. With `multi_statements` the text may hold
    /// several statements; the results come back in order, and an error
    /// ends the list.
    fn query(&mut self, sql: &str, multi_statements: bool) -> impl Future<Output = Vec<QueryResult>> + Send;

    /// COM_INIT_DB.
    fn use_database(&mut self, database: &str) -> impl Future<Output = Result<(), ServerError>> + Send;

    /// Prepares `sql` under the id the server chose.
    fn prepare(&mut self, statement_id: u32, sql: &str) -> impl Future<Output = Result<Prepared, ServerError>> + Send;

    /// Executes a prepared statement; rows are sent in the binary protocol.
    fn execute(&mut self, statement_id: u32, parameters: Vec<Value>) -> impl Future<Output = Vec<QueryResult>> + Send;

    /// COM_STMT_CLOSE, or every statement on reset and change of user.
    fn close(&mut self, statement_id: u32);

    /// COM_RESET_CONNECTION and COM_CHANGE_USER: end the transaction and
    /// session state.
    fn reset(&mut self) -> impl Future<Output = ()> + Send;

    /// SERVER_STATUS_AUTOCOMMIT / SERVER_STATUS_IN_TRANS as they stand now.
    fn status_flags(&self) -> u16;
}

/// Server settings; every limit has a default.
pub struct Config {
    /// The largest client packet accepted (max_allowed_packet); larger is
    /// error 1153 and the connection closes.
    pub packet_size_max: usize,
    /// Prepared statements one connection may hold.
    pub statements_per_connection_max: usize,
    /// The plugin named in the handshake; accounts of the other plugin
    /// get an AuthSwitchRequest.
    pub default_auth_plugin: &'static str,
    /// TLS after SSLRequest; the SSL capability is offered only with it.
    pub tls: Option<TlsAcceptor>,
    /// caching_sha2_password's key pair for full authentication without TLS.
    pub rsa_key: Option<Arc<RsaKey>>,
    /// From accepting the connection to the end of authentication; a
    /// client that takes longer is dropped, freeing its connection slot.
    pub login_timeout: Duration,
    /// How long a logged-in connection may wait for its next command
    /// (MySQL's wait_timeout); then it gets error 4031 and is closed.
    pub idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            packet_size_max: 64 << 20,
            statements_per_connection_max: 1024,
            default_auth_plugin: NATIVE_PASSWORD,
            tls: None,
            rsa_key: None,
            login_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(8 * 60 * 60),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Config")
            .field("packet_size_max", &self.packet_size_max)
            .field("statements_per_connection_max", &self.statements_per_connection_max)
            .field("default_auth_plugin", &self.default_auth_plugin)
            .field("tls", &self.tls.is_some())
            .field("rsa_key", &self.rsa_key.is_some())
            .field("login_timeout", &self.login_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// Connection ids are process-wide, as MySQL's thread ids are.
static CONNECTION_IDS: AtomicU32 = AtomicU32::new(1);

impl Config {
    pub(crate) fn next_connection_id(&self) -> u32 {
        CONNECTION_IDS.fetch_add(1, Ordering::Relaxed)
    }
}

/// Runs one connection: handshake, authentication, then commands until
/// COM_QUIT or end of stream. Errors are this connection's alone.
pub async fn serve<S, B>(stream: S, config: Arc<Config>, mut backend: B) -> Result<(), WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    B: Backend,
{
    let framed = Framed::new(Transport::Plain(stream), config.packet_size_max.min(login::PACKET_SIZE_MAX));
    let login = tokio::time::timeout(config.login_timeout, login::run(framed, &config, &mut backend));
    let Some(session) = login.await.map_err(|_| WireError::LoginTimeout)?? else {
        return Ok(());
    };
    Connection::new(session, &config).run(&mut backend).await
}

/// Accepts connections on `listener` for ever: each gets a backend from
/// `new_backend` and a task of its own; beyond `connections_max` open
/// connections a client gets 1040 in place of the handshake. Failed
/// accepts (out of file descriptors) are logged and retried.
pub async fn listen<B, F>(listener: TcpListener, config: Arc<Config>, connections_max: usize, new_backend: F)
where
    B: Backend + 'static,
    F: Fn(SocketAddr) -> B,
{
    let limit = ConnectionLimit::new(connections_max);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "mysql listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(permit) = limit.try_acquire() else {
            tokio::spawn(refuse_connection(stream));
            continue;
        };
        let (config, backend) = (config.clone(), new_backend(peer));
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(error) = serve(stream, config, backend).await {
                tracing::debug!(%peer, %error, "mysql connection ended with an error");
            }
        });
    }
}

/// Counts open connections against a maximum.
#[derive(Clone, Debug)]
pub struct ConnectionLimit {
    active: Arc<AtomicUsize>,
    max: usize,
}

/// One admitted connection; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    active: Arc<AtomicUsize>,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ConnectionLimit {
    pub fn new(max: usize) -> Self {
        ConnectionLimit { active: Arc::new(AtomicUsize::new(0)), max }
    }

    /// A permit, or `None` when `max` connections are open.
    pub fn try_acquire(&self) -> Option<ConnectionPermit> {
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |active| (active < self.max).then_some(active + 1))
            .ok()
            .map(|_| ConnectionPermit { active: self.active.clone() })
    }
}

/// Tells an excess client "Too many connections" (1040 / 08004) in place
/// of the handshake, then closes.
pub async fn refuse_connection<S: AsyncRead + AsyncWrite + Unpin>(stream: S) -> Result<(), WireError> {
    let mut framed = Framed::new(stream, 0);
    framed.write_packet(&ServerError::new(ER_CON_COUNT_ERROR, *b"08004", "Too many connections").encode());
    framed.flush().await?;
    let mut stream = framed.into_inner();
    stream.shutdown().await?;
    Ok(())
}
