//! `COPY ... FROM STDIN` once the wire has parsed the rows: the fields
//! become values of the columns' declared types, and the rows become one
//! tx (or one step of the transaction block), or with
//! `rowchain.copy_batch_rows` separately committed batches. And `COPY ...
//! TO STDOUT`: a read like any other, whose rows the wire sends as COPY
//! data.

use crate::error::FrontendError;
use crate::session::{Reply, Session};
use crate::types;
use node_core::tx::Statement;
use node_core::value::Value;
use sqlmap::{CopyOutPlan, CopyPlan};

impl Session {
    /// `COPY ... TO STDOUT`: its read, run as every read runs (privileges,
    /// row filters, temporary tables, the transaction block), its rows for
    /// the wire to write as COPY data.
    pub(crate) async fn copy_out(&mut self, c: CopyOutPlan, params: Vec<Value>) -> Result<Reply, FrontendError> {
        let CopyOutPlan { read, query, format } = c;
        match self.read_rows(read, query, params).await? {
            Reply::Rows { columns, rows, .. } => Ok(Reply::CopyOut { format, columns, rows }),
            _ => Err(FrontendError::internal("COPY's query gave no rows")),
        }
    }

    /// The columns a COPY loads, with their declared type OIDs (0 unknown).
    pub fn copy_columns(&mut self, c: &CopyPlan) -> Vec<(String, u32)> {
        let tables = self.tables();
        let Some(meta) = tables.get(&c.table) else { return Vec::new() };
        let typed = |name: &str| {
            meta.columns
                .iter()
                .find(|m| m.name == name)
                .map(|m| (m.name.clone(), sqlmap::PgType::parse_name(&m.pg_type).map(|t| t.oid()).unwrap_or(0)))
        };
        if c.columns.is_empty() {
            meta.columns.iter().filter_map(|m| typed(&m.name)).collect()
        } else {
            c.columns.iter().map(|n| typed(n).unwrap_or((n.clone(), 0))).collect()
        }
    }

    /// Rows one COPY may load atomically, or unbounded when the session
    /// opted into loading `rowchain.copy_batch_rows` batches.
    pub fn copy_rows_max(&self) -> usize {
        if self.batch_rows().is_some() && self.block.is_none() {
            usize::MAX
        } else {
            self.node.config().pg.copy_rows_max
        }
    }

    fn batch_rows(&self) -> Option<usize> {
        self.settings.get("rowchain.copy_batch_rows").and_then(|v| v.parse().ok()).filter(|n| *n > 0)
    }

    /// The error for a COPY of more than [`Session::copy_rows_max`] rows.
    pub fn copy_too_large(&self) -> FrontendError {
        FrontendError::new("54000", format!("COPY loads more than {} rows, the most one atomic transaction holds (pg.copy_rows_max)", self.node.config().pg.copy_rows_max))
            .hint("split the load, or SET rowchain.copy_batch_rows = 10000 to load it in separately committed batches (not atomic)")
    }

    /// Loads `rows` (text fields, `None` for NULL) into the COPY's table;
    /// returns the number of rows.
    pub async fn copy_in(&mut self, plan: &CopyPlan, rows: Vec<Vec<Option<String>>>) -> Result<usize, FrontendError> {
        let columns = self.copy_columns(plan);
        if columns.is_empty() {
            return Err(FrontendError::new("42P01", format!("relation \"{}\" does not exist", plan.table)));
        }
        if rows.len() > self.copy_rows_max() {
            return Err(self.copy_too_large());
        }
        let n = rows.len();
        let values = typed_rows(plan, &columns, rows)?;
        if self.route(&sqlmap::Plan::Copy(plan.clone()))? == crate::temp::Route::Temp {
            self.temp_copy_in(plan, values, &columns).await?;
            return Ok(n);
        }
        let col_list =
            columns.iter().map(|(c, _)| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(", ");
        let per_stmt = (30_000 / columns.len()).clamp(1, 500);
        let statements = |rows: &[Vec<Value>]| -> Vec<Statement> {
            rows.chunks(per_stmt).map(|chunk| insert(&plan.table, &col_list, chunk)).collect()
        };
        if self.block.is_some() {
            // Inside BEGIN ... COMMIT the load is part of the block's one tx.
            self.push_steps(statements(&values)).await?;
            if let Some(b) = &mut self.block {
                b.writes = true;
            }
            return Ok(n);
        }
        match self.batch_rows() {
            None => {
                self.autocommit(statements(&values)).await?;
            }
            Some(batch) => {
                for part in values.chunks(batch) {
                    self.autocommit(statements(part)).await?;
                }
            }
        }
        Ok(n)
    }
}

/// The rows' fields as values of their columns' types.
fn typed_rows(
    plan: &CopyPlan,
    columns: &[(String, u32)],
    rows: Vec<Vec<Option<String>>>,
) -> Result<Vec<Vec<Value>>, FrontendError> {
    let mut values = Vec::with_capacity(rows.len());
    for (line, row) in rows.into_iter().enumerate() {
        if row.len() != columns.len() {
            return Err(FrontendError::new(
                "22P04",
                format!(
                    "COPY {}, line {}: expected {} columns, got {}",
                    plan.table,
                    line + 1,
                    columns.len(),
                    row.len()
                ),
            ));
        }
        let vals = row
            .iter()
            .zip(columns)
            .map(|(f, (_, oid))| match f {
                None => Ok(Value::Null),
                Some(text) => types::from_text(text, *oid),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| FrontendError::new("22P02", format!("COPY {}, line {}: {}", plan.table, line + 1, e.0)))?;
        values.push(vals);
    }
    Ok(values)
}

/// One multi-row INSERT of `rows` into `table`, its values as parameters.
fn insert(table: &str, col_list: &str, rows: &[Vec<Value>]) -> Statement {
    let mut sql = format!("INSERT INTO \"{}\" ({col_list}) VALUES ", table.replace('"', "\"\""));
    let mut params = Vec::with_capacity(rows.iter().map(Vec::len).sum());
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (c, value) in row.iter().enumerate() {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", params.len() + 1));
            params.push(value.clone());
        }
        sql.push(')');
    }
    Statement { sql, params }
}
