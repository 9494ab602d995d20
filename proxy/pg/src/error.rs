//! Errors on the PostgreSQL wire: a [`FrontendError`] (or the wire's own
//! protocol error) with its severity, sent as an ErrorResponse.

use pgwire::messages::response::ErrorResponse;
use proxy_frontend::FrontendError;

/// An error for the client, with PostgreSQL's fields.
#[derive(Debug, Clone)]
pub struct PgError {
    pub severity: &'static str,
    pub sqlstate: String,
    pub message: String,
    pub hint: Option<String>,
    pub detail: Option<String>,
    pub position: Option<u32>,
}

impl PgError {
    pub fn new(sqlstate: &str, message: impl Into<String>) -> Self {
        PgError {
            severity: "ERROR",
            sqlstate: sqlstate.into(),
            message: message.into(),
            hint: None,
            detail: None,
            position: None,
        }
    }

    /// An error that ends the connection (startup, authentication, protocol).
    pub fn fatal(sqlstate: &str, message: impl Into<String>) -> Self {
        PgError { severity: "FATAL", ..Self::new(sqlstate, message) }
    }

    pub(crate) fn response(&self) -> ErrorResponse {
        let mut fields = vec![
            (b'S', self.severity.to_string()),
            (b'V', self.severity.to_string()),
            (b'C', self.sqlstate.clone()),
            (b'M', self.message.clone()),
        ];
        if let Some(d) = &self.detail {
            fields.push((b'D', d.clone()));
        }
        if let Some(h) = &self.hint {
            fields.push((b'H', h.clone()));
        }
        if let Some(p) = self.position {
            fields.push((b'P', p.to_string()));
        }
        ErrorResponse::new(fields)
    }
}

impl From<FrontendError> for PgError {
    fn from(e: FrontendError) -> Self {
        PgError {
            severity: "ERROR",
            sqlstate: e.sqlstate,
            message: e.message,
            hint: e.hint,
            detail: e.detail,
            position: e.position,
        }
    }
}
