//! One-dimensional PostgreSQL arrays in their text form, `{a,"b c",NULL}`:
//! the planner's ([`sqlmap::arrays`]), so the executor (a consensus rule:
//! `#>` paths, array columns) and the front end read them alike.

pub use sqlmap::arrays::{format, parse};
