//! What sqlmap's test files share: a schema of fixed tables, and how a
//! planning error is written in the expectation files.
#![allow(dead_code)]

use sqlmap::{PgType, PlanError, Schema};

/// Tables as (name, [(column, type)]).
pub type Tables = &'static [(&'static str, &'static [(&'static str, PgType)])];

/// A schema of fixed tables, and a row filter on one of them.
pub struct TableSchema {
    pub tables: Tables,
    /// (table, filter): every read of the table goes through the filter.
    pub row_filter: Option<(&'static str, String)>,
}

impl Schema for TableSchema {
    fn column_type(&self, table: &str, column: &str) -> Option<PgType> {
        let (_, columns) = self.tables.iter().find(|(name, _)| *name == table)?;
        columns.iter().find(|(name, _)| *name == column).map(|(_, ty)| *ty)
    }

    fn column_names(&self, table: &str) -> Option<Vec<String>> {
        let (_, columns) = self.tables.iter().find(|(name, _)| *name == table)?;
        Some(columns.iter().map(|(name, _)| name.to_string()).collect())
    }

    fn row_filter(&self, table: &str) -> Option<String> {
        self.row_filter.as_ref().filter(|(t, _)| *t == table).map(|(_, f)| f.clone())
    }

    /// `keyed_id_seq` stands for table `keyed`'s rowid-numbered key.
    fn rowid_sequence(&self, sequence: &str) -> Option<String> {
        (sequence == "keyed_id_seq").then(|| "keyed".to_string())
    }

    /// Every column named `computed` is a stored generated column.
    fn generated(&self, table: &str, column: &str) -> bool {
        column == "computed" && self.column_type(table, column).is_some()
    }

    /// Every column named `always_id` is `GENERATED ALWAYS AS IDENTITY`.
    fn always_identity(&self, table: &str, column: &str) -> bool {
        column == "always_id" && self.column_type(table, column).is_some()
    }
}

/// `ERROR sqlstate: message`, then the hint and position when present.
pub fn describe_error(e: &PlanError) -> String {
    let mut line = format!("ERROR {}: {}", e.sqlstate, e.message);
    if let Some(hint) = &e.hint {
        line.push_str(&format!("\n  hint: {hint}"));
    }
    if let Some(position) = e.position {
        line.push_str(&format!("\n  position: {position}"));
    }
    line
}
