//! TLS for the PostgreSQL wire: an SSLRequest is answered `S` and the
//! connection continues inside TLS when `pg.tls_cert` and `pg.tls_key` name a
//! PEM certificate chain and private key; without them it is answered `N`
//! and the client goes on in plain text or gives up, as it chooses
//! (libpq's `sslmode`).

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// Builds the acceptor `pg.tls_cert`/`pg.tls_key` describe: `None` when
/// neither is set, an error naming the file when one is missing or unusable.
pub fn acceptor(cfg: &node::config::PgConfig) -> io::Result<Option<TlsAcceptor>> {
    let (cert, key) = match (&cfg.tls_cert, &cfg.tls_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        _ => return Err(invalid("pg.tls_cert and pg.tls_key must be set together".into())),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| invalid(format!("pg.tls_cert {cert}: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| invalid(format!("pg.tls_cert {cert}: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(format!("pg.tls_cert {cert}: no certificate in the file")));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| invalid(format!("pg.tls_key {key}: {e}")))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("pg.tls_cert/pg.tls_key: {e}")))?;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// A client connection, in plain text or inside TLS.
pub enum PgStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for PgStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            PgStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            PgStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for PgStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            PgStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            PgStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            PgStream::Plain(s) => Pin::new(s).poll_flush(cx),
            PgStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            PgStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            PgStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
