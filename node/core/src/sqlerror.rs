//! The statement-level error every layer reports: a SQLSTATE and a message.

/// A statement-level failure: the SQLSTATE a PostgreSQL user expects and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub sqlstate: &'static str,
    pub message: String,
}

impl SqlError {
    pub fn new(sqlstate: &'static str, message: impl Into<String>) -> Self {
        Self { sqlstate, message: message.into() }
    }

    /// The message with a hint, as planning errors carry theirs.
    pub fn hinted(mut self, hint: &str) -> Self {
        self.message = format!("{} (hint: {hint})", self.message);
        self
    }
}

impl From<sqlmap::PlanError> for SqlError {
    fn from(e: sqlmap::PlanError) -> Self {
        let message = match &e.hint {
            Some(h) => format!("{} (hint: {h})", e.message),
            None => e.message.clone(),
        };
        SqlError { sqlstate: e.sqlstate, message }
    }
}
