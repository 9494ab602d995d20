//! `PlanError`, the one error type of the planner, its SQLSTATE constructors,
//! and the mapping from sqlparser's line/column locations to the 1-based
//! character offsets PostgreSQL reports as `position`.

use sqlparser::tokenizer::Location;

/// A planning failure, carrying what a PostgreSQL `ErrorResponse` needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct PlanError {
    /// Five-character SQLSTATE, e.g. `42601`.
    pub sqlstate: &'static str,
    pub message: String,
    pub hint: Option<String>,
    /// PostgreSQL's DETAIL line, where it gives one.
    pub detail: Option<String>,
    /// 1-based character offset into the planned SQL text, when known.
    pub position: Option<u32>,
}

pub(crate) const SYNTAX_ERROR: &str = "42601";
pub(crate) const FEATURE_NOT_SUPPORTED: &str = "0A000";
pub(crate) const INSUFFICIENT_PRIVILEGE: &str = "42501";
pub(crate) const INVALID_SCHEMA_NAME: &str = "3F000";
pub(crate) const RESERVED_NAME: &str = "42939";
pub(crate) const INVALID_TABLE_DEFINITION: &str = "42P16";
pub(crate) const STATEMENT_TOO_COMPLEX: &str = "54001";
pub(crate) const INTERNAL_ERROR: &str = "XX000";

impl PlanError {
    pub(crate) fn new(sqlstate: &'static str, message: impl Into<String>) -> Self {
        PlanError { sqlstate, message: message.into(), hint: None, detail: None, position: None }
    }

    pub(crate) fn unsupported(what: impl std::fmt::Display) -> Self {
        Self::new(FEATURE_NOT_SUPPORTED, format!("{what} is not supported"))
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the position unless one is already known (the innermost wins).
    pub(crate) fn at(mut self, position: Option<u32>) -> Self {
        if self.position.is_none() {
            self.position = position;
        }
        self
    }
}

/// Converts sqlparser locations (1-based line and character column) into
/// 1-based character offsets of the whole SQL string.
pub(crate) struct SourceMap {
    /// Character offset at which each line starts.
    line_starts: Vec<usize>,
    char_count: usize,
}

impl SourceMap {
    pub(crate) fn new(sql: &str) -> Self {
        let mut line_starts = vec![0];
        let mut char_count = 0;
        for ch in sql.chars() {
            char_count += 1;
            if ch == '\n' {
                line_starts.push(char_count);
            }
        }
        SourceMap { line_starts, char_count }
    }

    pub(crate) fn position(&self, location: Location) -> Option<u32> {
        let line = usize::try_from(location.line).ok()?;
        let column = usize::try_from(location.column).ok()?;
        if line == 0 || column == 0 {
            return None;
        }
        let start = self.line_starts.get(line - 1)?;
        u32::try_from(start.checked_add(column)?).ok()
    }

    /// Where PostgreSQL points for "syntax error at end of input".
    pub(crate) fn end_position(&self) -> Option<u32> {
        u32::try_from(self.char_count + 1).ok()
    }

    /// Turns a sqlparser error into 42601 with a position. sqlparser appends
    /// " at Line: L, Column: C" when it knows where; errors at end of input
    /// carry no location and point just past the text, like PostgreSQL.
    pub(crate) fn parse_error(&self, error: &sqlparser::parser::ParserError) -> PlanError {
        use sqlparser::parser::ParserError;
        let text = match error {
            ParserError::TokenizerError(text) | ParserError::ParserError(text) => text.clone(),
            ParserError::RecursionLimitExceeded => {
                return PlanError::new(STATEMENT_TOO_COMPLEX, "statement is too deeply nested");
            }
        };
        let (message, position) = match text.rsplit_once(" at Line: ") {
            Some((message, location)) => (message.to_string(), self.parse_location(location)),
            None => (text, self.end_position()),
        };
        PlanError::new(SYNTAX_ERROR, format!("syntax error: {message}")).at(position)
    }

    /// `L, Column: C`, the tail of sqlparser's message.
    fn parse_location(&self, location: &str) -> Option<u32> {
        let (line, column) = location.split_once(", Column: ")?;
        let column: String = column.chars().take_while(char::is_ascii_digit).collect();
        let location = Location::new(line.trim().parse().ok()?, column.parse().ok()?);
        self.position(location)
    }
}
