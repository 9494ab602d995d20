//! Authentication on the PostgreSQL wire: the exchange `pg.hba` asks for
//! (trust, clear-text password, md5, SCRAM-SHA-256 without channel
//! binding), run against the front end's login, which opens the role's
//! account key. Every failure is FATAL and closes the connection.

use crate::codec;
use crate::error::PgError;
use crate::server::Conn;
use base64::Engine;
use futures::{SinkExt, StreamExt};
use node::keystore::md5_response;
use node::scram::Verifier;
use node_core::crypto::SecretKey;
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use proxy_frontend::login::{password_failed, Challenge};
use proxy_frontend::{Frontend, FrontendError};
use std::io;
use std::net::IpAddr;
use std::time::Duration;

/// A login failure: FATAL.
fn fatal(e: FrontendError) -> PgError {
    PgError { severity: "FATAL", ..PgError::from(e) }
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
pub(crate) async fn authenticate(
    frontend: &Frontend,
    conn: &mut Conn,
    user: &str,
    ip: IpAddr,
) -> io::Result<Option<SecretKey>> {
    let challenge = match frontend.challenge(user, ip) {
        Ok(c) => c,
        Err(e) => return fail(conn, fatal(e)).await,
    };
    let key = match challenge {
        Challenge::Trust => match frontend.open_custody(user) {
            Ok(k) => Some(k),
            Err(e) => return fail(conn, fatal(e)).await,
        },
        Challenge::Md5 { secret } => md5(frontend, conn, user, &secret).await?,
        Challenge::Password => cleartext(frontend, conn, user).await?,
        Challenge::Scram { verifier } => scram(frontend, conn, user, &verifier).await?,
    };
    let Some(key) = key else { return Ok(None) };
    frontend.logged_in(user, &key);
    conn.feed(PgWireBackendMessage::Authentication(Authentication::Ok)).await?;
    Ok(Some(key))
}

/// The password message answering an authentication request; `None` when
/// the client closed or sent something else (it then gets 08P01).
async fn read_password(conn: &mut Conn) -> io::Result<Option<String>> {
    let Some(msg) = next_password_message(conn).await? else { return Ok(None) };
    if let Err(e) = codec::check_password(&msg) {
        return fail(conn, PgError::fatal("08P01", e.0)).await;
    }
    match msg.into_password() {
        Ok(p) => Ok(Some(p.password)),
        Err(e) => fail(conn, PgError::fatal("08P01", format!("malformed password message: {e}"))).await,
    }
}

/// `password`: the client sends the password in clear text; it opens the
/// role's key as a SCRAM login would.
async fn cleartext(frontend: &Frontend, conn: &mut Conn, user: &str) -> io::Result<Option<SecretKey>> {
    conn.send(PgWireBackendMessage::Authentication(Authentication::CleartextPassword)).await?;
    let Some(password) = read_password(conn).await? else { return Ok(None) };
    match frontend.open_with_password(user, &password).await {
        Ok(k) => Ok(Some(k)),
        Err(e) => fail(conn, fatal(e)).await,
    }
}

/// `md5`: PostgreSQL's challenge against the role's MD5 secret; success
/// opens the custody copy of the role's key.
async fn md5(frontend: &Frontend, conn: &mut Conn, user: &str, secret: &str) -> io::Result<Option<SecretKey>> {
    let salt: [u8; 4] = node_core::crypto::random_bytes();
    conn.send(PgWireBackendMessage::Authentication(Authentication::MD5Password(salt.to_vec()))).await?;
    let Some(answer) = read_password(conn).await? else { return Ok(None) };
    let expected = md5_response(secret, &salt);
    // Compared in time independent of where they differ.
    let same =
        answer.len() == expected.len() && answer.bytes().zip(expected.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
    if !same {
        return fail(conn, fatal(password_failed(user))).await;
    }
    match frontend.open_custody(user) {
        Ok(k) => Ok(Some(k)),
        Err(e) => fail(conn, fatal(e)).await,
    }
}

/// SCRAM-SHA-256 (RFC 5802, no channel binding) against the role's
/// verifier in the keystore. Success recovers the ClientKey, which opens the
/// role's account key.
async fn scram(frontend: &Frontend, conn: &mut Conn, user: &str, verifier: &Verifier) -> io::Result<Option<SecretKey>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    conn.send(PgWireBackendMessage::Authentication(Authentication::SASL(vec!["SCRAM-SHA-256".into()]))).await?;
    let Some(first) = next_password_message(conn).await? else { return Ok(None) };
    let bad_proto = |m: &str| PgError::fatal("08P01", format!("malformed SCRAM message: {m}"));
    if let Err(e) = codec::check_sasl_initial_response(&first) {
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
    let Some(client_key) = verifier.check_proof(auth_message.as_bytes(), &proof) else {
        return fail(conn, fatal(password_failed(user))).await;
    };
    let key = match frontend.open_with_client_key(user, &client_key) {
        Ok(k) => k,
        Err(e) => return fail(conn, fatal(e)).await,
    };
    let server_final = format!("v={}", b64.encode(verifier.server_signature(auth_message.as_bytes())));
    conn.feed(PgWireBackendMessage::Authentication(Authentication::SASLFinal(server_final.into()))).await?;
    Ok(Some(key))
}
