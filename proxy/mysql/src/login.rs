//! `login` owns the connection phase as an exchange of packets: send the
//! HandshakeV10, upgrade to TLS on SSLRequest, read HandshakeResponse41,
//! then authenticate (AuthSwitchRequest when the client began with the
//! other plugin; caching_sha2_password's fast path, or full authentication
//! in cleartext over TLS or through the RSA public-key exchange). COM_CHANGE_USER reuses
//! [`authenticate`].

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;

use crate::auth::{
    self, Secret, Verifier, FAST_AUTH_SUCCESS, NATIVE_PASSWORD, PERFORM_FULL_AUTHENTICATION, REQUEST_PUBLIC_KEY,
};
use crate::error::{ServerError, WireError, ER_HANDSHAKE_ERROR};
use crate::handshake::{capability, fresh_salt, HandshakeResponse, HandshakeV10, SALT_LEN};
use crate::packet::{put_null_terminated, Framed};
use crate::resultset::ok_packet;
use crate::server::{Backend, Config, LoginInfo};
use crate::tls::Transport;

pub(crate) type Wire<S> = Framed<Transport<S>>;

/// Before authentication a client gets this much per packet, not the max
/// packet size: a handshake response with connection attributes, or an
/// RSA-encrypted password, is far smaller.
pub(crate) const PACKET_SIZE_MAX: usize = 64 << 10;

/// An authenticated connection, ready for commands.
pub(crate) struct Session<S> {
    pub framed: Wire<S>,
    /// The capabilities both sides have.
    pub capabilities: u32,
    pub salt: [u8; SALT_LEN],
    pub connection_id: u32,
}

/// Reads a packet; framing errors (too large, out of order) are told to
/// the client before they end the connection.
pub(crate) async fn read_packet<S>(framed: &mut Wire<S>) -> Result<Option<Vec<u8>>, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match framed.read_packet().await {
        Err(error @ (WireError::PacketTooLarge { .. } | WireError::Sequence { .. })) => {
            framed.write_packet(&error.to_server_error().encode());
            framed.shutdown().await;
            Err(error)
        }
        other => other,
    }
}

async fn refuse<S>(framed: &mut Wire<S>, error: ServerError) -> Result<Option<Session<S>>, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    framed.write_packet(&error.encode());
    framed.shutdown().await;
    Ok(None)
}

/// Runs the connection phase; `None` when the client left or was refused.
pub(crate) async fn run<S, B>(
    mut framed: Wire<S>,
    config: &Config,
    backend: &mut B,
) -> Result<Option<Session<S>>, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    B: Backend,
{
    let salt = fresh_salt()?;
    let connection_id = config.next_connection_id();
    let server_capabilities = capability::SERVER | if config.tls.is_some() { capability::SSL } else { 0 };
    let handshake = HandshakeV10 {
        connection_id,
        salt: &salt,
        capabilities: server_capabilities,
        status_flags: backend.status_flags(),
        auth_plugin: config.default_auth_plugin,
    };
    framed.write_packet(&handshake.encode());
    framed.flush().await?;
    let Some(mut payload) = read_packet(&mut framed).await? else { return Ok(None) };
    if HandshakeResponse::is_ssl_request(&payload) {
        let Some(acceptor) = &config.tls else {
            return refuse(&mut framed, bad_handshake()).await;
        };
        framed = upgrade(framed, acceptor).await?;
        let Some(next) = read_packet(&mut framed).await? else { return Ok(None) };
        payload = next;
    }
    let Ok(response) = HandshakeResponse::decode(&payload) else {
        return refuse(&mut framed, bad_handshake()).await;
    };
    let capabilities = response.header.capabilities & server_capabilities;
    let proof = Proof {
        user: &response.user,
        plugin: response.auth_plugin.as_deref(),
        can_switch: capabilities & capability::PLUGIN_AUTH != 0,
        response: response.auth_response.clone(),
    };
    if !authenticate(&mut framed, config, backend, &salt, proof).await? {
        let denied = ServerError::access_denied(&response.user, !response.auth_response.is_empty());
        return refuse(&mut framed, denied).await;
    }
    let login = LoginInfo {
        user: &response.user,
        database: response.database.as_deref(),
        connection_id,
        client_found_rows: capabilities & capability::FOUND_ROWS != 0,
        tls: framed.stream().is_tls(),
    };
    if let Err(error) = backend.login(&login).await {
        return refuse(&mut framed, error).await;
    }
    framed.write_packet(&ok_packet(backend.status_flags()));
    framed.flush().await?;
    framed.set_packet_size_max(config.packet_size_max);
    Ok(Some(Session { framed, capabilities, salt, connection_id }))
}

fn bad_handshake() -> ServerError {
    ServerError::new(ER_HANDSHAKE_ERROR, *b"08S01", "Bad handshake")
}

async fn upgrade<S>(framed: Wire<S>, acceptor: &TlsAcceptor) -> Result<Wire<S>, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (sequence, packet_size_max) = (framed.sequence(), framed.packet_size_max());
    let Transport::Plain(stream) = framed.into_inner() else {
        return Err(WireError::Malformed("SSLRequest on a TLS connection"));
    };
    let stream = acceptor.accept(stream).await.map_err(|error| WireError::Tls(error.to_string()))?;
    let mut framed = Framed::new(Transport::Tls(Box::new(stream)), packet_size_max);
    framed.set_sequence(sequence);
    Ok(framed)
}

/// What a client offered to prove who it is.
pub(crate) struct Proof<'a> {
    pub user: &'a str,
    /// The plugin the client computed `response` with; `None` means it
    /// predates plugins and used mysql_native_password.
    pub plugin: Option<&'a str>,
    pub can_switch: bool,
    pub response: Vec<u8>,
}

/// Runs the authentication exchange; true when the client proved its
/// identity. Unknown users go through the same exchange and fail, so the
/// replies do not tell which accounts exist.
pub(crate) async fn authenticate<S, B>(
    framed: &mut Wire<S>,
    config: &Config,
    backend: &mut B,
    salt: &[u8; SALT_LEN],
    proof: Proof<'_>,
) -> Result<bool, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    B: Backend,
{
    let account = backend.account(proof.user).await;
    let known = account.is_some();
    let verifier = account.unwrap_or_else(|| decoy(config));
    let mut response = proof.response;
    if proof.plugin.unwrap_or(NATIVE_PASSWORD) != verifier.plugin() {
        if !proof.can_switch {
            return Ok(false);
        }
        framed.write_packet(&auth_switch_request(verifier.plugin(), salt));
        framed.flush().await?;
        let Some(next) = read_packet(framed).await? else { return Ok(false) };
        response = next;
    }
    match verifier {
        Verifier::NativePassword(stored) => match auth::check_native(&stored, salt, &response) {
            Some(stage1) if known => Ok(backend.authenticated(proof.user, Secret::NativeStage1(stage1)).await),
            _ => Ok(false),
        },
        Verifier::Sha2Stored(stored) => match auth::check_sha2_fast(&stored, salt, &response) {
            Some(stage1) if known && backend.authenticated(proof.user, Secret::Sha2Stage1(stage1)).await => {
                framed.write_packet(&[0x01, FAST_AUTH_SUCCESS]);
                Ok(true)
            }
            _ => Ok(false),
        },
        Verifier::CachingSha2Password(cached) => {
            let fast = cached.and_then(|stored| auth::check_sha2_fast(&stored, salt, &response));
            if let (Some(stage1), true) = (fast, known) {
                if backend.authenticated(proof.user, Secret::Sha2Stage1(stage1)).await {
                    framed.write_packet(&[0x01, FAST_AUTH_SUCCESS]);
                    return Ok(true);
                }
            }
            let Some(password) = full_authentication_password(framed, config, salt).await? else {
                return Ok(false);
            };
            Ok(known && backend.authenticated(proof.user, Secret::Password(password)).await)
        }
    }
}

/// The verifier an unknown user is checked against: it matches nothing.
fn decoy(config: &Config) -> Verifier {
    match config.default_auth_plugin {
        NATIVE_PASSWORD => Verifier::NativePassword([0; 20]),
        _ => Verifier::CachingSha2Password(None),
    }
}

fn auth_switch_request(plugin: &str, salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let mut out = vec![0xFE];
    put_null_terminated(&mut out, plugin.as_bytes());
    put_null_terminated(&mut out, salt);
    out
}

/// Asks for the password itself: taken in clear only inside TLS,
/// otherwise RSA-OAEP encrypted under the server's key (sent on request).
/// `None` when the client gave up or sent what cannot be a password.
async fn full_authentication_password<S>(
    framed: &mut Wire<S>,
    config: &Config,
    salt: &[u8; SALT_LEN],
) -> Result<Option<Vec<u8>>, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    framed.write_packet(&[0x01, PERFORM_FULL_AUTHENTICATION]);
    framed.flush().await?;
    let Some(mut packet) = read_packet(framed).await? else { return Ok(None) };
    if framed.stream().is_tls() {
        return Ok(Some(auth::strip_nul(packet)));
    }
    let Some(key) = &config.rsa_key else { return Ok(None) };
    if packet == [REQUEST_PUBLIC_KEY] {
        let mut reply = vec![0x01];
        reply.extend_from_slice(key.public_pem().as_bytes());
        framed.write_packet(&reply);
        framed.flush().await?;
        let Some(encrypted) = read_packet(framed).await? else { return Ok(None) };
        packet = encrypted;
    }
    Ok(key.decrypt_password(&packet, salt).ok())
}
