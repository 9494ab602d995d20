//! `tls` owns the transport a connection runs over: plain, or TLS after
//! the client's SSLRequest (tokio-rustls with ring, the versions proxy-pg
//! already builds), and building the acceptor from PEM files' contents.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::error::WireError;

/// A TLS acceptor from a PEM certificate chain and a PEM private key.
pub fn acceptor_from_pem(certificate_chain_pem: &[u8], private_key_pem: &[u8]) -> Result<TlsAcceptor, WireError> {
    let chain = CertificateDer::pem_slice_iter(certificate_chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| WireError::Tls(format!("certificate: {error}")))?;
    let key = PrivateKeyDer::from_pem_slice(private_key_pem)
        .map_err(|error| WireError::Tls(format!("private key: {error}")))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| WireError::Tls(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| WireError::Tls(error.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A connection's byte stream before or after the TLS upgrade.
pub enum Transport<S> {
    Plain(S),
    Tls(Box<TlsStream<S>>),
}

impl<S> Transport<S> {
    pub fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Transport<S> {
    fn poll_read(self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_read(context, buffer),
            Transport::Tls(stream) => Pin::new(stream).poll_read(context, buffer),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Transport<S> {
    fn poll_write(self: Pin<&mut Self>, context: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_write(context, bytes),
            Transport::Tls(stream) => Pin::new(stream).poll_write(context, bytes),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_flush(context),
            Transport::Tls(stream) => Pin::new(stream).poll_flush(context),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_shutdown(context),
            Transport::Tls(stream) => Pin::new(stream).poll_shutdown(context),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pem_that_is_not_a_certificate_and_key_is_an_error() {
        let error = super::acceptor_from_pem(b"not pem", b"not pem").err().map(|error| error.to_string());
        assert!(error.is_some_and(|error| error.starts_with("TLS: ")));
    }
}
