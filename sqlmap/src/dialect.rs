//! The SQL dialects sqlmap reads: which sqlparser dialect tokenizes and
//! parses a statement. Both plan into the same [`Plan`](crate::Plan)s.

use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};

/// The SQL dialect a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// PostgreSQL, as `plan`, `plan_in` and the other entry points without a
    /// dialect read it.
    #[default]
    Postgres,
    /// MySQL: see the `mysql` module for what it lowers and how.
    MySql,
}

impl Dialect {
    /// The sqlparser dialect that tokenizes and parses this one.
    pub(crate) fn parser_dialect(self) -> &'static dyn sqlparser::dialect::Dialect {
        const POSTGRES: &PostgreSqlDialect = &PostgreSqlDialect {};
        const MYSQL: &MySqlDialect = &MySqlDialect {};
        match self {
            Dialect::Postgres => POSTGRES,
            Dialect::MySql => MYSQL,
        }
    }
}
