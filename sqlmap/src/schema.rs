//! What planning may know about the chain's tables: their columns and
//! declared types. SQLite stores booleans as 0/1, numerics as reals and
//! jsonb as text, so PostgreSQL's meaning of a value sometimes depends on
//! the column it came from or goes to: `flag::text` prints `true`, a jsonb
//! column stores jsonb's normal form whatever text was written to it.
//!
//! Planning stays pure: the caller passes its view of the catalog (the
//! executor its own, which every validator has identically at that point
//! of the chain), and plans depend on nothing else.

use crate::types::PgType;

/// The tables a statement is planned against.
pub trait Schema {
    /// The declared type of `table.column` (SQLite names), or `None` when
    /// there is no such table or column.
    fn column_type(&self, table: &str, column: &str) -> Option<PgType>;
    /// The table's column names in order, or `None` when there is no such table.
    fn column_names(&self, table: &str) -> Option<Vec<String>>;
    /// The condition (PostgreSQL text) rows of `table` (SQLite name) must
    /// meet to be seen by whoever the plan is for: its SELECT policies
    /// under row-level security. `None` reads the table unfiltered.
    fn row_filter(&self, _table: &str) -> Option<String> {
        None
    }
    /// The table's AUTO_INCREMENT (serial) column, if it has one.
    fn auto_increment_column(&self, _table: &str) -> Option<String> {
        None
    }
    /// Whether `table.column` is `GENERATED ALWAYS AS IDENTITY`: only
    /// `OVERRIDING SYSTEM VALUE` (or DEFAULT) writes it.
    fn always_identity(&self, _table: &str, _column: &str) -> bool {
        false
    }
    /// The table whose rowid numbers the key that sequence name `sequence`
    /// (a SQLite name) stands for: `t_id_seq` of `id serial PRIMARY KEY`,
    /// which has no sequence of its own.
    fn rowid_sequence(&self, _sequence: &str) -> Option<String> {
        None
    }
    /// Whether `table.column` is a generated column, which no statement
    /// writes (not even with `OVERRIDING SYSTEM VALUE`).
    fn generated(&self, _table: &str, _column: &str) -> bool {
        false
    }
    /// The user-defined type (enum or domain) of SQLite-style name `name`
    /// (`mood`, `s.mood`), or `None` when there is none.
    fn user_type(&self, _name: &str) -> Option<crate::usertype::UserType> {
        None
    }
    /// Whether [`Schema::user_type`] answers for the chain: `false` (as for
    /// [`NoSchema`]) plans a type name it does not know as a user-defined
    /// type that may exist by the time the statement runs (the admission
    /// check plans every tx without a catalog; the executor plans it
    /// again against its own).
    fn knows_user_types(&self) -> bool {
        false
    }
}

/// `schema`, except that a type name it does not know is planned as a
/// user-defined type that may exist by the time the statement runs: a
/// transaction block's own `CREATE TYPE` is not in the chain's catalog
/// until the block commits, and the executor plans every statement again
/// against the catalog as the block's earlier statements left it.
pub struct TypesMayGrow<'a>(pub &'a dyn Schema);

impl Schema for TypesMayGrow<'_> {
    fn column_type(&self, table: &str, column: &str) -> Option<PgType> {
        self.0.column_type(table, column)
    }
    fn column_names(&self, table: &str) -> Option<Vec<String>> {
        self.0.column_names(table)
    }
    fn row_filter(&self, table: &str) -> Option<String> {
        self.0.row_filter(table)
    }
    fn auto_increment_column(&self, table: &str) -> Option<String> {
        self.0.auto_increment_column(table)
    }
    fn always_identity(&self, table: &str, column: &str) -> bool {
        self.0.always_identity(table, column)
    }
    fn rowid_sequence(&self, sequence: &str) -> Option<String> {
        self.0.rowid_sequence(sequence)
    }
    fn generated(&self, table: &str, column: &str) -> bool {
        self.0.generated(table, column)
    }
    fn user_type(&self, name: &str) -> Option<crate::usertype::UserType> {
        self.0.user_type(name)
    }
    fn knows_user_types(&self) -> bool {
        false
    }
}

/// Knows no tables: plans come out as SQLite text that does not depend on
/// column types.
pub struct NoSchema;

impl Schema for NoSchema {
    fn column_type(&self, _table: &str, _column: &str) -> Option<PgType> {
        None
    }

    fn column_names(&self, _table: &str) -> Option<Vec<String>> {
        None
    }
}
