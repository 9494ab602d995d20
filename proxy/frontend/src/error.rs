//! The one error every front-end operation returns: PostgreSQL's SQLSTATE,
//! message and hint, plus what kind of failure it is, so each wire can map
//! it to its own form (an ErrorResponse, a JSON-RPC error code).

use node::keystore::KeystoreError;
use node::SubmitError;
use node_core::SqlError;

/// What failed, for the wires that answer kinds differently (JSON-RPC's
/// error codes); the SQLSTATE alone decides everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The statement failed: planning, privileges, execution, a receipt's failure.
    Sql,
    /// Authentication: unknown role, no rule, wrong password, no key to open.
    Login,
    /// The node refused the tx at admission (size, pool, plan checks).
    Admission,
    /// The node dropped the tx without including it.
    NotIncluded,
    /// The tx expired without being included; it will never apply.
    Expired,
    /// A bug or a broken node: the operation failed, nothing else did.
    Internal,
}

/// A wire-neutral error: SQLSTATE, message, hint, and the position in the
/// statement text (1-based, in characters) when the planner knows it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{sqlstate}: {message}")]
#[non_exhaustive]
pub struct FrontendError {
    pub kind: ErrorKind,
    pub sqlstate: String,
    pub message: String,
    pub hint: Option<String>,
    /// PostgreSQL's DETAIL line, where it gives one.
    pub detail: Option<String>,
    pub position: Option<u32>,
}

impl FrontendError {
    /// A statement's error.
    pub fn new(sqlstate: &str, message: impl Into<String>) -> Self {
        Self::of(ErrorKind::Sql, sqlstate, message)
    }

    pub fn of(kind: ErrorKind, sqlstate: &str, message: impl Into<String>) -> Self {
        FrontendError {
            kind,
            sqlstate: sqlstate.into(),
            message: message.into(),
            hint: None,
            detail: None,
            position: None,
        }
    }

    /// XX000: a bug or a broken node.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::of(ErrorKind::Internal, "XX000", message.to_string())
    }

    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
}

impl From<SqlError> for FrontendError {
    fn from(e: SqlError) -> Self {
        FrontendError::new(e.sqlstate, e.message)
    }
}

impl From<sqlmap::PlanError> for FrontendError {
    fn from(e: sqlmap::PlanError) -> Self {
        FrontendError {
            kind: ErrorKind::Sql,
            sqlstate: e.sqlstate.into(),
            message: e.message,
            hint: e.hint,
            detail: e.detail,
            position: e.position.map(|p| p + 1),
        }
    }
}

impl From<SubmitError> for FrontendError {
    fn from(e: SubmitError) -> Self {
        FrontendError::of(ErrorKind::Admission, e.sqlstate(), e.to_string())
    }
}

impl From<KeystoreError> for FrontendError {
    fn from(e: KeystoreError) -> Self {
        FrontendError::of(ErrorKind::Login, e.sqlstate(), e.to_string())
    }
}
