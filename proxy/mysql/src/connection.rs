//! `connection` owns the command phase of one authenticated connection:
//! reading each command, asking the [`Backend`], and writing its replies
//! (result sets with SERVER_MORE_RESULTS_EXISTS between multi-statement
//! results), plus the connection's prepared statements and their long
//! data. A bad command gets an ERR and the connection goes on; only
//! framing errors, the idle timeout and a failed COM_CHANGE_USER close it.

use std::collections::BTreeMap;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::command::{decode_parameters, ChangeUser, Command, ParameterType};
use crate::error::{
    ServerError, WireError, ER_MALFORMED_PACKET, ER_NET_PACKET_TOO_LARGE, ER_UNKNOWN_COM_ERROR, ER_UNKNOWN_STMT_HANDLER,
};
use crate::handshake::{capability, SALT_LEN};
use crate::login::{authenticate, read_packet, Proof, Session, Wire};
use crate::packet::put_u16;
use crate::resultset::{binary_row, column_count, end_of_rows, eof_packet, ok_packet, status, text_row, Column};
use crate::server::{Backend, Config, LoginInfo, QueryResult};
use crate::value::Value;

const ER_MAX_PREPARED_STMT_COUNT_REACHED: u16 = 1461;
const ER_STMT_HAS_NO_OPEN_CURSOR: u16 = 1421;
const ER_CLIENT_INTERACTION_TIMEOUT: u16 = 4031;
const FLUSH_THRESHOLD_BYTES: usize = 64 << 10;

/// A prepared statement's wire state.
struct Statement {
    parameter_count: usize,
    parameter_types: Vec<ParameterType>,
    long_data: Vec<Option<Vec<u8>>>,
    /// All parameters' long data together, bounded by the max packet size.
    long_data_bytes: usize,
    long_data_too_large: bool,
}

impl Statement {
    fn new(parameter_count: usize) -> Self {
        Statement {
            parameter_count,
            parameter_types: Vec::new(),
            long_data: vec![None; parameter_count],
            long_data_bytes: 0,
            long_data_too_large: false,
        }
    }

    /// Hands over the long data sent since the last execution or reset,
    /// and whether some was refused as too large; starts afresh.
    fn take_long_data(&mut self) -> (Vec<Option<Vec<u8>>>, bool) {
        self.long_data_bytes = 0;
        let long_data = std::mem::replace(&mut self.long_data, vec![None; self.parameter_count]);
        (long_data, std::mem::take(&mut self.long_data_too_large))
    }
}

enum Flow {
    Continue,
    Close,
}

pub(crate) struct Connection<'c, S> {
    framed: Wire<S>,
    config: &'c Config,
    capabilities: u32,
    salt: [u8; SALT_LEN],
    connection_id: u32,
    multi_statements: bool,
    statements: BTreeMap<u32, Statement>,
    next_statement_id: u32,
}

impl<'c, S: AsyncRead + AsyncWrite + Unpin + Send> Connection<'c, S> {
    pub fn new(session: Session<S>, config: &'c Config) -> Self {
        Connection {
            framed: session.framed,
            config,
            multi_statements: session.capabilities & capability::MULTI_STATEMENTS != 0,
            capabilities: session.capabilities,
            salt: session.salt,
            connection_id: session.connection_id,
            statements: BTreeMap::new(),
            next_statement_id: 1,
        }
    }

    fn deprecate_eof(&self) -> bool {
        self.capabilities & capability::DEPRECATE_EOF != 0
    }

    pub async fn run<B: Backend>(mut self, backend: &mut B) -> Result<(), WireError> {
        loop {
            self.framed.reset_sequence();
            let Ok(packet) = tokio::time::timeout(self.config.idle_timeout, read_packet(&mut self.framed)).await else {
                let message = "The client was disconnected by the server because of inactivity.";
                self.send_error(&ServerError::new(ER_CLIENT_INTERACTION_TIMEOUT, *b"HY000", message));
                self.framed.shutdown().await;
                return Ok(());
            };
            let Some(payload) = packet? else { return Ok(()) };
            let flow = match Command::decode(&payload, self.capabilities) {
                Ok(Command::Quit) => Flow::Close,
                Ok(command) => self.dispatch(command, backend).await?,
                Err(error) => {
                    self.send_error(&ServerError::new(ER_MALFORMED_PACKET, *b"HY000", error.to_string()));
                    Flow::Continue
                }
            };
            if let Flow::Close = flow {
                self.framed.shutdown().await;
                return Ok(());
            }
            self.framed.flush().await?;
        }
    }

    async fn dispatch<B: Backend>(&mut self, command: Command, backend: &mut B) -> Result<Flow, WireError> {
        match command {
            Command::Query(sql) => {
                let results = backend.query(&sql, self.multi_statements).await;
                self.send_results(results, false, backend.status_flags()).await?;
            }
            Command::InitDb(database) => match backend.use_database(&database).await {
                Ok(()) => self.framed.write_packet(&ok_packet(backend.status_flags())),
                Err(error) => self.send_error(&error),
            },
            Command::Ping => self.framed.write_packet(&ok_packet(backend.status_flags())),
            // Column lists for COM_FIELD_LIST are not served: an empty list.
            Command::FieldList { .. } => {
                self.framed.write_packet(&end_of_rows(self.deprecate_eof(), backend.status_flags()))
            }
            Command::ChangeUser(change) => return self.change_user(change, backend).await,
            Command::StmtPrepare(sql) => self.prepare(&sql, backend).await,
            Command::StmtExecute { statement_id, parameters, .. } => {
                self.execute(statement_id, &parameters, backend).await?
            }
            Command::StmtSendLongData { statement_id, parameter, data } => {
                self.long_data(statement_id, parameter, &data)
            }
            Command::StmtClose(statement_id) => {
                if self.statements.remove(&statement_id).is_some() {
                    backend.close(statement_id);
                }
            }
            Command::StmtReset(statement_id) => self.reset_statement(statement_id, backend.status_flags()),
            Command::SetOption(option @ (0 | 1)) => {
                self.multi_statements = option == 0;
                self.framed.write_packet(&end_of_rows(self.deprecate_eof(), backend.status_flags()));
            }
            Command::StmtFetch { statement_id, .. } => self.send_error(&ServerError::new(
                ER_STMT_HAS_NO_OPEN_CURSOR,
                *b"HY000",
                format!("The statement ({statement_id}) has no open cursor."),
            )),
            Command::ResetConnection => {
                self.close_statements(backend);
                backend.reset().await;
                self.framed.write_packet(&ok_packet(backend.status_flags()));
            }
            Command::Quit => return Ok(Flow::Close),
            Command::SetOption(_) | Command::Unknown(_) => {
                self.send_error(&ServerError::new(ER_UNKNOWN_COM_ERROR, *b"08S01", "Unknown command"))
            }
        }
        Ok(Flow::Continue)
    }

    fn send_error(&mut self, error: &ServerError) {
        self.framed.write_packet(&error.encode());
    }

    fn close_statements<B: Backend>(&mut self, backend: &mut B) {
        for statement_id in std::mem::take(&mut self.statements).into_keys() {
            backend.close(statement_id);
        }
    }

    /// Sends results in order, SERVER_MORE_RESULTS_EXISTS on all but the
    /// last; an error ends the list. No result at all is an OK.
    async fn send_results(
        &mut self,
        results: Vec<QueryResult>,
        binary: bool,
        status_flags: u16,
    ) -> Result<(), WireError> {
        let count = results.len();
        if count == 0 {
            self.framed.write_packet(&ok_packet(status_flags));
        }
        for (index, result) in results.into_iter().enumerate() {
            let flags = if index + 1 < count { status_flags | status::MORE_RESULTS_EXISTS } else { status_flags };
            match result {
                QueryResult::Ok(info) => self.framed.write_packet(&info.encode(0x00, flags)),
                QueryResult::Error(error) => {
                    self.send_error(&error);
                    return Ok(());
                }
                QueryResult::Rows { columns, rows } => {
                    if let Err(error) = self.send_rows(&columns, &rows, binary, flags).await? {
                        self.send_error(&error);
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// One result set. A row that cannot be encoded ends it with an ERR
    /// in place of the row, as a server-side failure mid-result does.
    async fn send_rows(
        &mut self,
        columns: &[Column],
        rows: &[Vec<Value>],
        binary: bool,
        flags: u16,
    ) -> Result<Result<(), ServerError>, WireError> {
        self.framed.write_packet(&column_count(columns.len()));
        self.send_columns(columns, flags);
        for row in rows {
            let packet = if binary { binary_row(columns, row) } else { text_row(columns, row) };
            match packet {
                Ok(packet) => self.framed.write_packet(&packet),
                Err(error) => return Ok(Err(error)),
            }
            // Large results go out as they are encoded, not all at once.
            if self.framed.pending() >= FLUSH_THRESHOLD_BYTES {
                self.framed.flush().await?;
            }
        }
        self.framed.write_packet(&end_of_rows(self.deprecate_eof(), flags));
        Ok(Ok(()))
    }

    /// Column definitions, then EOF unless the client deprecated it.
    fn send_columns(&mut self, columns: &[Column], flags: u16) {
        for column in columns {
            self.framed.write_packet(&column.encode());
        }
        if !self.deprecate_eof() {
            self.framed.write_packet(&eof_packet(0, flags));
        }
    }

    async fn prepare<B: Backend>(&mut self, sql: &str, backend: &mut B) {
        if self.statements.len() >= self.config.statements_per_connection_max {
            let message = "Can't create more than max_prepared_stmt_count statements";
            return self.send_error(&ServerError::new(ER_MAX_PREPARED_STMT_COUNT_REACHED, *b"42000", message));
        }
        let statement_id = self.fresh_statement_id();
        let prepared = match backend.prepare(statement_id, sql).await {
            Ok(prepared) => prepared,
            Err(error) => return self.send_error(&error),
        };
        let (Ok(column_count), Ok(parameter_count)) =
            (u16::try_from(prepared.columns.len()), u16::try_from(prepared.parameters.len()))
        else {
            backend.close(statement_id);
            return self.send_error(&ServerError::new(
                ER_MALFORMED_PACKET,
                *b"HY000",
                "too many columns or parameters",
            ));
        };
        let mut reply = vec![0x00];
        reply.extend_from_slice(&statement_id.to_le_bytes());
        put_u16(&mut reply, column_count);
        put_u16(&mut reply, parameter_count);
        reply.push(0);
        put_u16(&mut reply, 0);
        self.framed.write_packet(&reply);
        let flags = backend.status_flags();
        if parameter_count > 0 {
            self.send_columns(&prepared.parameters, flags);
        }
        if column_count > 0 {
            self.send_columns(&prepared.columns, flags);
        }
        let parameter_count = usize::from(parameter_count);
        self.statements.insert(statement_id, Statement::new(parameter_count));
    }

    fn fresh_statement_id(&mut self) -> u32 {
        loop {
            let statement_id = self.next_statement_id;
            self.next_statement_id = self.next_statement_id.checked_add(1).unwrap_or(1);
            if !self.statements.contains_key(&statement_id) {
                return statement_id;
            }
        }
    }

    async fn execute<B: Backend>(&mut self, statement_id: u32, block: &[u8], backend: &mut B) -> Result<(), WireError> {
        match self.execution_parameters(statement_id, block) {
            Ok(parameters) => {
                let results = backend.execute(statement_id, parameters).await;
                self.send_results(results, true, backend.status_flags()).await
            }
            Err(error) => {
                self.send_error(&error);
                Ok(())
            }
        }
    }

    /// The parameters of one execution, with the statement's long data.
    fn execution_parameters(&mut self, statement_id: u32, block: &[u8]) -> Result<Vec<Value>, ServerError> {
        let statement = self
            .statements
            .get_mut(&statement_id)
            .ok_or_else(|| unknown_statement(statement_id, "mysqld_stmt_execute"))?;
        let (long_data, too_large) = statement.take_long_data();
        if too_large {
            let message = "Parameter of prepared statement is larger than 'max_allowed_packet' bytes";
            return Err(ServerError::new(ER_NET_PACKET_TOO_LARGE, *b"HY000", message));
        }
        decode_parameters(block, statement.parameter_count, &mut statement.parameter_types, &long_data)
            .map_err(|error| ServerError::new(ER_MALFORMED_PACKET, *b"HY000", error.to_string()))
    }

    /// COM_STMT_SEND_LONG_DATA has no reply; a problem shows at execution.
    fn long_data(&mut self, statement_id: u32, parameter: u16, data: &[u8]) {
        let limit = self.config.packet_size_max;
        let Some(statement) = self.statements.get_mut(&statement_id) else { return };
        let Some(slot) = statement.long_data.get_mut(usize::from(parameter)) else { return };
        let total = statement.long_data_bytes.saturating_add(data.len());
        if total > limit {
            statement.long_data_too_large = true;
        } else {
            statement.long_data_bytes = total;
            slot.get_or_insert_with(Vec::new).extend_from_slice(data);
        }
    }

    fn reset_statement(&mut self, statement_id: u32, status_flags: u16) {
        let Some(statement) = self.statements.get_mut(&statement_id) else {
            return self.send_error(&unknown_statement(statement_id, "mysqld_stmt_reset"));
        };
        statement.take_long_data();
        self.framed.write_packet(&ok_packet(status_flags));
    }

    /// Re-authenticates with the handshake's salt; failure closes the
    /// connection, as no session is left to go on with.
    async fn change_user<B: Backend>(&mut self, change: ChangeUser, backend: &mut B) -> Result<Flow, WireError> {
        self.close_statements(backend);
        backend.reset().await;
        let password_used = !change.auth_response.is_empty();
        let proof = Proof {
            user: &change.user,
            plugin: change.auth_plugin.as_deref(),
            can_switch: self.capabilities & capability::PLUGIN_AUTH != 0,
            response: change.auth_response,
        };
        if !authenticate(&mut self.framed, self.config, backend, &self.salt, proof).await? {
            self.send_error(&ServerError::access_denied(&change.user, password_used));
            return Ok(Flow::Close);
        }
        let login = LoginInfo {
            user: &change.user,
            database: change.database.as_deref(),
            connection_id: self.connection_id,
            client_found_rows: self.capabilities & capability::FOUND_ROWS != 0,
            tls: self.framed.stream().is_tls(),
        };
        if let Err(error) = backend.login(&login).await {
            self.send_error(&error);
            return Ok(Flow::Close);
        }
        self.framed.write_packet(&ok_packet(backend.status_flags()));
        Ok(Flow::Continue)
    }
}

fn unknown_statement(statement_id: u32, operation: &str) -> ServerError {
    ServerError::new(
        ER_UNKNOWN_STMT_HANDLER,
        *b"HY000",
        format!("Unknown prepared statement handler ({statement_id}) given to {operation}"),
    )
}
