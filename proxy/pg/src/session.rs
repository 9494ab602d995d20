//! One PostgreSQL connection after startup: each frontend message turned
//! into calls of the front end's [`Session`] and its replies into backend
//! messages. The simple Query protocol and COPY framing live here; the
//! extended protocol's statements and portals in [`crate::extended`].

use crate::copy::CopyParser;
use crate::error::PgError;
use crate::extended::{Portal, Prepared};
use crate::format::{data_row, row_description};
use crate::server::Conn;
use futures::SinkExt;
use pgwire::messages::copy::CopyInResponse;
use pgwire::messages::extendedquery::{BindComplete, CloseComplete, ParseComplete};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::startup::ParameterStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use proxy_frontend::{Reply, Session, Status};
use std::collections::HashMap;
use std::io;
use std::sync::Arc;

pub(crate) struct PgSession {
    pub(crate) session: Session,
    pub(crate) statements: HashMap<String, Arc<Prepared>>,
    pub(crate) portals: HashMap<String, Portal>,
    /// After an error in an extended-query sequence: discard until Sync.
    skipping: bool,
    pub(crate) copy: Option<CopyParser>,
    /// Whether the COPY under way came from a simple Query.
    copy_simple: bool,
}

impl PgSession {
    pub(crate) fn new(session: Session) -> Self {
        PgSession {
            session,
            statements: HashMap::new(),
            portals: HashMap::new(),
            skipping: false,
            copy: None,
            copy_simple: false,
        }
    }

    pub(crate) fn startup_parameters(&self) -> Vec<(String, String)> {
        self.session.reported_settings()
    }

    pub(crate) fn status(&self) -> TransactionStatus {
        match self.session.status() {
            Status::Idle => TransactionStatus::Idle,
            Status::FailedBlock => TransactionStatus::Error,
            Status::InBlock => TransactionStatus::Transaction,
        }
    }

    /// ParameterStatus for each reported setting the last statements changed.
    pub(crate) fn changed_settings(&mut self) -> Vec<PgWireBackendMessage> {
        self.session
            .take_changed_settings()
            .into_iter()
            .map(|(k, v)| PgWireBackendMessage::ParameterStatus(ParameterStatus::new(k, v)))
            .collect()
    }

    /// Handles one frontend message after startup.
    pub(crate) async fn handle(&mut self, conn: &mut Conn, msg: PgWireFrontendMessage) -> io::Result<()> {
        use PgWireFrontendMessage as M;
        if self.copy.is_some() {
            return self.copy_message(conn, msg).await;
        }
        match msg {
            M::Query(q) => {
                self.skipping = false;
                self.simple_query(conn, &q.query).await?;
                if self.copy.is_none() {
                    conn.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(self.status()))).await?;
                }
            }
            M::Sync(_) => {
                self.skipping = false;
                self.portals.remove("");
                conn.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(self.status()))).await?;
            }
            M::Flush(_) => conn.flush().await?,
            _ if self.skipping => {}
            M::Parse(p) => {
                let r = self.parse(p.name.unwrap_or_default(), &p.query, &p.type_oids);
                self.ext_reply(conn, r.map(|()| vec![PgWireBackendMessage::ParseComplete(ParseComplete::new())]))
                    .await?;
            }
            M::Bind(b) => {
                let r = self.bind(b);
                self.ext_reply(conn, r.map(|()| vec![PgWireBackendMessage::BindComplete(BindComplete::new())])).await?;
            }
            M::Describe(d) => {
                let name = d.name.unwrap_or_default();
                let r = if d.target_type == b'S' {
                    self.describe_statement(&name).await
                } else {
                    self.describe_portal(&name).await
                };
                self.ext_reply(conn, r).await?;
            }
            M::Execute(e) => {
                let name = e.name.unwrap_or_default();
                let r = self.execute_portal(&name, e.max_rows.max(0) as usize).await;
                match r {
                    Ok(msgs) => {
                        for m in msgs {
                            conn.feed(m).await?;
                        }
                        if self.copy.is_some() {
                            self.copy_simple = false;
                            conn.flush().await?;
                        }
                    }
                    Err(e) => self.ext_error(conn, e).await?,
                }
            }
            M::Close(c) => {
                let name = c.name.unwrap_or_default();
                if c.target_type == b'S' {
                    self.statements.remove(&name);
                    self.session.protocol_statement_closed(&name);
                } else {
                    self.portals.remove(&name);
                }
                conn.feed(PgWireBackendMessage::CloseComplete(CloseComplete::new())).await?;
            }
            M::CopyData(_) | M::CopyDone(_) | M::CopyFail(_) => {}
            _ => {
                self.ext_error(conn, PgError::new("08P01", "unexpected message type")).await?;
            }
        }
        Ok(())
    }

    async fn ext_reply(&mut self, conn: &mut Conn, r: Result<Vec<PgWireBackendMessage>, PgError>) -> io::Result<()> {
        match r {
            Ok(msgs) => {
                for m in msgs {
                    conn.feed(m).await?;
                }
                Ok(())
            }
            Err(e) => self.ext_error(conn, e).await,
        }
    }

    /// An error in an extended-query sequence: report it, skip to Sync, and
    /// abort the transaction block if one is open.
    async fn ext_error(&mut self, conn: &mut Conn, e: PgError) -> io::Result<()> {
        self.skipping = true;
        self.session.fail_block();
        conn.send(PgWireBackendMessage::ErrorResponse(e.response())).await
    }

    async fn simple_query(&mut self, conn: &mut Conn, sql: &str) -> io::Result<()> {
        if sql.chars().all(|c| c == ';' || c.is_whitespace()) {
            return conn.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await;
        }
        let plans = match self.session.plan(sql) {
            Ok(p) => p,
            Err(e) => return self.simple_error(conn, e.into()).await,
        };
        // PostgreSQL runs a multi-statement Query as one implicit transaction:
        // when it is all writes outside a block, that is one chain tx.
        if self.session.is_implicit_tx(&plans) {
            match self.session.execute_writes(&plans).await {
                Ok(replies) => {
                    for reply in replies {
                        self.send_reply(conn, reply, &[]).await?;
                    }
                }
                Err(e) => return self.simple_error(conn, e.into()).await,
            }
            return Ok(());
        }
        for (plan, text) in plans {
            match self.session.execute(plan, text, vec![]).await {
                Ok(Reply::CopyIn(c)) => {
                    let response = self.copy_in_response(c);
                    self.copy_simple = true;
                    conn.send(response).await?;
                    return Ok(());
                }
                Ok(reply) => {
                    // A BINARY cursor's rows go in binary format.
                    let formats: &[i16] = if self.session.rows_binary() { &[1] } else { &[] };
                    self.send_reply(conn, reply, formats).await?
                }
                Err(e) => return self.simple_error(conn, e.into()).await,
            }
        }
        Ok(())
    }

    async fn simple_error(&mut self, conn: &mut Conn, e: PgError) -> io::Result<()> {
        self.session.fail_block();
        conn.feed(PgWireBackendMessage::ErrorResponse(e.response())).await
    }

    async fn send_reply(&mut self, conn: &mut Conn, reply: Reply, formats: &[i16]) -> io::Result<()> {
        for m in self.changed_settings() {
            conn.feed(m).await?;
        }
        match reply {
            Reply::Rows { columns, rows, tag } => {
                conn.feed(PgWireBackendMessage::RowDescription(row_description(&columns, formats))).await?;
                for row in &rows {
                    match data_row(row, &columns, formats) {
                        Ok(r) => conn.feed(PgWireBackendMessage::DataRow(r)).await?,
                        Err(e) => return conn.feed(PgWireBackendMessage::ErrorResponse(e.response())).await,
                    }
                }
                conn.feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag))).await
            }
            Reply::Tag(tag) => conn.feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag))).await,
            Reply::CopyIn(_) => Ok(()),
            Reply::CopyOut { format, columns, rows } => match crate::copy::copy_out(&format, &columns, &rows) {
                Ok(messages) => {
                    for m in messages {
                        conn.feed(m).await?;
                    }
                    Ok(())
                }
                Err(e) => {
                    self.session.fail_block();
                    conn.feed(PgWireBackendMessage::ErrorResponse(e.response())).await
                }
            },
        }
    }

    /// Starts `COPY ... FROM STDIN`: CopyInResponse, then CopyData until CopyDone.
    pub(crate) fn copy_in_response(&mut self, c: sqlmap::CopyPlan) -> PgWireBackendMessage {
        let columns = self.session.copy_columns(&c);
        let n = c.columns.len().max(columns.len());
        let code = i16::from(c.binary);
        let oids = columns.iter().map(|(_, oid)| *oid).collect();
        self.copy = Some(CopyParser::new(c, oids));
        PgWireBackendMessage::CopyInResponse(CopyInResponse::new(code as i8, n as i16, vec![code; n]))
    }

    async fn copy_message(&mut self, conn: &mut Conn, msg: PgWireFrontendMessage) -> io::Result<()> {
        use PgWireFrontendMessage as M;
        let result = match msg {
            M::CopyData(d) => {
                let Some(parser) = self.copy.as_mut() else { return Ok(()) };
                if let Err(e) = parser.feed(&d.data) {
                    Err(PgError::new("22P04", e.0))
                } else if parser.rows.len() > self.session.copy_rows_max() {
                    Err(self.session.copy_too_large().into())
                } else {
                    return Ok(());
                }
            }
            M::CopyDone(_) => self.copy_done().await,
            M::CopyFail(f) => Err(PgError::new("57014", format!("COPY from stdin failed: {}", f.message))),
            M::Flush(_) | M::Sync(_) => return Ok(()),
            _ => Err(PgError::new("08P01", "unexpected message type during COPY")),
        };
        self.copy = None;
        match result {
            Ok(n) => {
                conn.feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(format!("COPY {n}")))).await?
            }
            Err(e) => {
                conn.feed(PgWireBackendMessage::ErrorResponse(e.response())).await?;
                if !self.copy_simple {
                    self.skipping = true;
                }
            }
        }
        if self.copy_simple {
            conn.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(self.status()))).await?;
        } else {
            conn.flush().await?;
        }
        Ok(())
    }

    async fn copy_done(&mut self) -> Result<usize, PgError> {
        let mut parser = self.copy.take().ok_or_else(|| PgError::new("XX000", "no COPY in progress"))?;
        parser.finish().map_err(|e| PgError::new("22P04", e.0))?;
        let rows = std::mem::take(&mut parser.rows);
        Ok(self.session.copy_in(parser.plan(), rows).await?)
    }
}
