//! Determinism rules (DESIGN.md section 4): which functions read the clock
//! or randomness, what they become in SQLite, and which are refused in
//! statements every validator executes.
//!
//! The executor registers `rc_now()`, returning the block time as text
//! `YYYY-MM-DD HH:MM:SS.ffffff+00`; read connections register the same
//! function over the wall clock.

use crate::error::{PlanError, FEATURE_NOT_SUPPORTED};

/// Whether a statement runs on every validator (`Write`: writes and DDL)
/// or only on the node answering the client (`Read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Read,
    Write,
}

/// What a function call becomes under the determinism rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// The statement's timestamp: `rc_now()`.
    Now,
    /// `current_date`: `substr(rc_now(), 1, 10)`.
    Date,
    /// `current_time` / `localtime`: `substr(rc_now(), 12)`.
    Time,
    /// `random()`: a float in [0, 1) in reads.
    Random,
    /// Any other source of nondeterminism: refused in writes, passed through in reads.
    NonDeterministic,
}

const NOW: &[&str] = &["now", "current_timestamp", "localtimestamp", "transaction_timestamp", "statement_timestamp"];

const NON_DETERMINISTIC: &[&str] = &[
    "gen_random_uuid",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "setseed",
    "random_normal",
    "randomblob",
    "changes",
    "total_changes",
    "last_insert_rowid",
    "sqlite_version",
    "sqlite_source_id",
    "sqlite_offset",
    "sqlite_compileoption_get",
    "sqlite_compileoption_used",
    "load_extension",
];

/// Classifies a function by its folded, unqualified name.
pub(crate) fn classify(name: &str) -> Option<Clock> {
    match name {
        _ if NOW.contains(&name) => Some(Clock::Now),
        "current_date" => Some(Clock::Date),
        "current_time" | "localtime" => Some(Clock::Time),
        "random" => Some(Clock::Random),
        _ if NON_DETERMINISTIC.contains(&name) => Some(Clock::NonDeterministic),
        _ => None,
    }
}

/// The error for a nondeterministic function in a write or DDL statement.
pub(crate) fn refused(name: &str) -> PlanError {
    PlanError::new(
        FEATURE_NOT_SUPPORTED,
        format!("function {name}() is not deterministic and cannot be used in a write or DDL statement"),
    )
    .with_hint(
        "every validator executes each write; compute the value in the client and send it as a literal or parameter",
    )
}
