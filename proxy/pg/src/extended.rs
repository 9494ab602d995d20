//! The extended query protocol: named prepared statements and portals,
//! Parse/Bind/Describe/Execute/Close, parameter and result formats, row
//! limits with PortalSuspended. Planning, parameter types and result
//! columns come from the front end's [`proxy_frontend::Session`].

use crate::error::PgError;
use crate::format::{data_row, fields_message, format_of, param_value};
use crate::session::PgSession;
use node_core::value::Value;
use pgwire::messages::data::ParameterDescription;
use pgwire::messages::extendedquery::{Bind, PortalSuspended};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse};
use pgwire::messages::PgWireBackendMessage;
use proxy_frontend::types::OID_TEXT;
use proxy_frontend::{Column, Reply};
use sqlmap::{Plan, SessionStmt};
use std::sync::Arc;

pub(crate) struct Prepared {
    statement: proxy_frontend::Prepared,
    /// The result columns a Describe announced: executions keep to them.
    described: parking_lot::Mutex<Option<Vec<Column>>>,
}

pub(crate) struct Portal {
    stmt: Arc<Prepared>,
    params: Vec<Value>,
    formats: Vec<i16>,
    /// Rows computed but not yet sent (Describe of a portal runs a read;
    /// Execute with a row limit leaves the rest here).
    pending: Option<PendingRows>,
}

/// A portal's result columns, rows, the next row to send, and the command tag.
type PendingRows = (Vec<Column>, Vec<Vec<Value>>, usize, String);

/// The columns of an execution, as the statement's Describe announced them
/// when it did: a client decodes by what it was told.
fn keep_described(stmt: &Prepared, columns: Vec<Column>) -> Vec<Column> {
    match &*stmt.described.lock() {
        Some(d) if d.len() == columns.len() => d.clone(),
        _ => columns,
    }
}

fn no_portal(name: &str) -> PgError {
    PgError::new("34000", format!("portal \"{name}\" does not exist"))
}

fn no_statement(name: &str) -> PgError {
    PgError::new("26000", format!("prepared statement \"{name}\" does not exist"))
}

impl PgSession {
    pub(crate) fn parse(&mut self, name: String, sql: &str, types: &[u32]) -> Result<(), PgError> {
        let statement = self.session.prepare(sql, types)?;
        if !name.is_empty() && self.statements.contains_key(&name) {
            return Err(PgError::new("42P05", format!("prepared statement \"{name}\" already exists")));
        }
        if !name.is_empty() {
            self.session.protocol_statement_parsed(&name, sql, &statement.param_types)?;
        }
        self.statements.insert(name, Arc::new(Prepared { statement, described: Default::default() }));
        Ok(())
    }

    pub(crate) fn bind(&mut self, b: Bind) -> Result<(), PgError> {
        let sname = b.statement_name.unwrap_or_default();
        let stmt = self.statements.get(&sname).cloned().ok_or_else(|| no_statement(&sname))?;
        let types = &stmt.statement.param_types;
        if b.parameters.len() != types.len() {
            return Err(PgError::new(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement \"{sname}\" requires {}",
                    b.parameters.len(),
                    types.len()
                ),
            ));
        }
        let formats = &b.parameter_format_codes;
        if formats.len() > 1 && formats.len() != b.parameters.len() {
            let msg =
                format!("bind message has {} parameter formats but {} parameters", formats.len(), b.parameters.len());
            return Err(PgError::new("08P01", msg));
        }
        if let Some(c) = formats.iter().chain(&b.result_column_format_codes).find(|c| !matches!(c, 0 | 1)) {
            return Err(PgError::new("22023", format!("unsupported format code: {c}")));
        }
        // A domain's values come in its base type's format.
        let types: Vec<u32> = types.iter().map(|oid| self.session.storage_oid(*oid)).collect();
        let params = b
            .parameters
            .iter()
            .zip(&types)
            .enumerate()
            .map(|(i, (p, oid))| {
                param_value(p.as_deref(), *oid, format_of(&b.parameter_format_codes, i) == 1)
                    .map_err(|e| PgError::new("22P02", e.0))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pname = b.portal_name.unwrap_or_default();
        self.portals.insert(pname, Portal { stmt, params, formats: b.result_column_format_codes, pending: None });
        Ok(())
    }

    pub(crate) async fn describe_statement(&mut self, name: &str) -> Result<Vec<PgWireBackendMessage>, PgError> {
        let stmt = self.statements.get(name).cloned().ok_or_else(|| no_statement(name))?;
        let params = PgWireBackendMessage::ParameterDescription(ParameterDescription::new(
            stmt.statement.param_types.iter().map(|t| if *t == 0 { OID_TEXT } else { *t }).collect(),
        ));
        let columns = self.session.describe(&stmt.statement)?;
        *stmt.described.lock() = columns.clone();
        Ok(vec![params, fields_message(columns.as_deref(), &[])])
    }

    pub(crate) async fn describe_portal(&mut self, name: &str) -> Result<Vec<PgWireBackendMessage>, PgError> {
        let portal = self.portals.get(name).ok_or_else(|| no_portal(name))?;
        let formats = portal.formats.clone();
        if let Some((columns, ..)) = &portal.pending {
            return Ok(vec![fields_message(Some(columns), &formats)]);
        }
        let stmt = portal.stmt.clone();
        let params = portal.params.clone();
        let columns = match &stmt.statement.plan {
            Some((plan @ (Plan::Read(_) | Plan::Session(SessionStmt::Show(_))), text)) => {
                // Run it now: the types come from real values and Execute sends these rows.
                match self.session.execute(plan.clone(), text.clone(), params).await? {
                    Reply::Rows { columns, rows, tag } => {
                        let columns = keep_described(&stmt, columns);
                        if let Some(p) = self.portals.get_mut(name) {
                            p.pending = Some((columns.clone(), rows, 0, tag));
                        }
                        Some(columns)
                    }
                    _ => None,
                }
            }
            Some((p @ Plan::Write(_), _)) => self.session.returning_columns(p),
            // A FETCH returns its cursor's columns; it moves the cursor only when executed.
            Some((Plan::Session(SessionStmt::Fetch(_)), _)) => self.session.describe(&stmt.statement)?,
            // An EXECUTE returns its prepared statement's columns; it runs only when executed,
            // and keeps to the columns announced here.
            Some((Plan::Session(SessionStmt::Execute(_)), _)) => {
                let columns = self.session.describe(&stmt.statement)?;
                stmt.described.lock().get_or_insert_with(|| columns.clone().unwrap_or_default());
                columns
            }
            _ => None,
        };
        Ok(vec![fields_message(columns.as_deref(), &formats)])
    }

    pub(crate) async fn execute_portal(
        &mut self,
        name: &str,
        max_rows: usize,
    ) -> Result<Vec<PgWireBackendMessage>, PgError> {
        let portal = self.portals.get_mut(name).ok_or_else(|| no_portal(name))?;
        let formats = portal.formats.clone();
        if portal.pending.is_none() {
            let stmt = portal.stmt.clone();
            let params = portal.params.clone();
            let Some((plan, text)) = stmt.statement.plan.clone() else {
                return Ok(vec![PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())]);
            };
            match self.session.execute(plan, text, params).await? {
                Reply::Rows { columns, rows, tag } => {
                    let columns = keep_described(&stmt, columns);
                    if let Some(p) = self.portals.get_mut(name) {
                        p.pending = Some((columns, rows, 0, tag));
                    }
                }
                Reply::Tag(tag) => {
                    let mut out = self.changed_settings();
                    out.push(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)));
                    return Ok(out);
                }
                Reply::CopyIn(c) => return Ok(vec![self.copy_in_response(c)]),
                Reply::CopyOut { format, columns, rows } => {
                    let mut out = self.changed_settings();
                    out.extend(crate::copy::copy_out(&format, &columns, &rows)?);
                    return Ok(out);
                }
            }
        }
        // The portal may be gone: a statement it ran (COMMIT, ROLLBACK) may have closed it.
        let Some((columns, rows, cursor, tag)) = self.portals.get_mut(name).and_then(|p| p.pending.as_mut()) else {
            return Err(no_portal(name));
        };
        let end = if max_rows == 0 { rows.len() } else { cursor.saturating_add(max_rows).min(rows.len()) };
        let batch = rows.get(*cursor..end).unwrap_or_default();
        let mut out = Vec::with_capacity(batch.len() + 1);
        for row in batch {
            out.push(PgWireBackendMessage::DataRow(data_row(row, columns, &formats)?));
        }
        *cursor = end;
        if end < rows.len() {
            out.push(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()));
        } else {
            let tag = if tag.starts_with("SELECT") { format!("SELECT {}", rows.len()) } else { tag.clone() };
            out.push(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)));
        }
        Ok(out)
    }
}
