//! A test `Backend` over a tiny in-memory table, and a loopback server.
//!
//! Accounts: `u`/`p` (mysql_native_password), `sha`/`secret`
//! (caching_sha2_password, not cached until a full authentication
//! succeeds) and `stored`/`pw` (caching_sha2_password against a stored,
//! always current verifier). Table `t(id BIGINT, name VARCHAR, score DOUBLE)` holds
//! (1, 'alice', 1.5) and (2, 'bob', NULL).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use proxy_mysql::{
    Backend, Column, ColumnType, Config, DateTime, LoginInfo, OkInfo, Prepared, QueryResult, RsaKey, Secret,
    ServerError, Time, Value, Verifier,
};
use tokio::net::TcpListener;

#[derive(Default)]
pub struct Shared {
    pub sha_cached: Option<[u8; 32]>,
    pub full_authentications: Vec<(String, Vec<u8>)>,
    pub logins: Vec<(String, Option<String>)>,
    /// Each login's connection id, CLIENT_FOUND_ROWS and TLS.
    pub login_details: Vec<(u32, bool, bool)>,
    pub closed_statements: Vec<u32>,
}

pub struct TestBackend {
    pub shared: Arc<Mutex<Shared>>,
    in_transaction: bool,
    statements: BTreeMap<u32, String>,
}

impl TestBackend {
    pub fn new(shared: Arc<Mutex<Shared>>) -> Self {
        TestBackend { shared, in_transaction: false, statements: BTreeMap::new() }
    }
}

fn syntax_error(sql: &str) -> ServerError {
    ServerError::new(1064, *b"42000", format!("You have an error in your SQL syntax near '{sql}'"))
}

pub fn table() -> (Vec<Column>, Vec<Vec<Value>>) {
    let columns = vec![
        Column::new("id", ColumnType::LongLong),
        Column::new("name", ColumnType::VarString),
        Column::new("score", ColumnType::Double),
    ];
    let rows = vec![
        vec![Value::Int(1), Value::Bytes(b"alice".to_vec()), Value::Double(1.5)],
        vec![Value::Int(2), Value::Bytes(b"bob".to_vec()), Value::Null],
    ];
    (columns, rows)
}

/// One row of every type the binary protocol encodes specially.
pub fn typed() -> QueryResult {
    let columns = vec![
        Column::new("i", ColumnType::LongLong),
        Column::new("d", ColumnType::Double),
        Column::new("dec", ColumnType::NewDecimal),
        Column::new("dt", ColumnType::DateTime),
        Column::new("day", ColumnType::Date),
        Column::new("t", ColumnType::Time),
        Column::new("s", ColumnType::VarString),
        Column::new("n", ColumnType::VarString),
        Column::new("small", ColumnType::Short),
    ];
    let moment = DateTime { year: 2024, month: 2, day: 29, hour: 13, minute: 14, second: 15, microsecond: 16 };
    let day = DateTime { year: 2024, month: 2, day: 29, ..DateTime::default() };
    let time = Time { negative: true, days: 1, hour: 2, minute: 3, second: 4, microsecond: 0 };
    let row = vec![
        Value::Int(-5),
        Value::Double(2.5),
        Value::Bytes(b"12.50".to_vec()),
        Value::DateTime(moment),
        Value::DateTime(day),
        Value::Time(time),
        Value::Bytes("héllo".as_bytes().to_vec()),
        Value::Null,
        Value::Int(-300),
    ];
    QueryResult::Rows { columns, rows: vec![row] }
}

impl TestBackend {
    fn statement(&mut self, sql: &str) -> QueryResult {
        let without_comment = sql.split(" -- ").next().unwrap_or(sql);
        let upper = without_comment.trim().to_ascii_uppercase();
        match upper.as_str() {
            "SELECT * FROM T" => {
                let (columns, rows) = table();
                QueryResult::Rows { columns, rows }
            }
            "SELECT TYPED" => typed(),
            // About 3 MB of rows: sent in several flushes.
            "SELECT BIG" => QueryResult::Rows {
                columns: vec![Column::new("n", ColumnType::LongLong), Column::new("pad", ColumnType::VarString)],
                rows: (0..30_000).map(|n| vec![Value::Int(n), Value::Bytes(vec![b'x'; 100])]).collect(),
            },
            // A backend bug: two values for one column.
            "SELECT RAGGED" => QueryResult::Rows {
                columns: vec![Column::new("n", ColumnType::LongLong)],
                rows: vec![vec![Value::Int(1)], vec![Value::Int(2), Value::Int(3)]],
            },
            "BEGIN" => {
                self.in_transaction = true;
                QueryResult::Ok(OkInfo::default())
            }
            "COMMIT" => {
                self.in_transaction = false;
                QueryResult::Ok(OkInfo::default())
            }
            "INSERT INTO T VALUES (3)" => {
                QueryResult::Ok(OkInfo { affected_rows: 1, last_insert_id: 3, ..OkInfo::default() })
            }
            "SELECT @@VERSION_COMMENT LIMIT 1" => QueryResult::Rows {
                columns: vec![Column::new("@@version_comment", ColumnType::VarString)],
                rows: vec![vec![Value::Bytes(b"rowchain".to_vec())]],
            },
            _ => match upper.strip_prefix("SELECT ").and_then(|number| number.parse::<i64>().ok()) {
                Some(number) => QueryResult::Rows {
                    columns: vec![Column::new(number.to_string(), ColumnType::LongLong)],
                    rows: vec![vec![Value::Int(number)]],
                },
                None => QueryResult::Error(syntax_error(sql)),
            },
        }
    }
}

fn column_for(value: &Value) -> ColumnType {
    match value {
        Value::Int(_) | Value::UInt(_) => ColumnType::LongLong,
        Value::Float(_) | Value::Double(_) => ColumnType::Double,
        Value::DateTime(_) => ColumnType::DateTime,
        Value::Time(_) => ColumnType::Time,
        Value::Null | Value::Bytes(_) => ColumnType::VarString,
    }
}

impl Backend for TestBackend {
    async fn account(&mut self, user: &str) -> Option<Verifier> {
        match user {
            "u" => Some(Verifier::native_from_password(b"p")),
            "sha" => Some(Verifier::CachingSha2Password(self.shared.lock().unwrap().sha_cached)),
            "stored" => match Verifier::caching_sha2_from_password(b"pw") {
                Verifier::CachingSha2Password(Some(stored)) => Some(Verifier::Sha2Stored(stored)),
                _ => None,
            },
            _ => None,
        }
    }

    async fn authenticated(&mut self, user: &str, secret: Secret) -> bool {
        let Secret::Password(password) = secret else {
            // A scramble matched the verifier `account` gave.
            return true;
        };
        let mut shared = self.shared.lock().unwrap();
        shared.full_authentications.push((user.to_owned(), password.clone()));
        let accepted = user == "sha" && password == b"secret";
        if let (true, Verifier::CachingSha2Password(cached)) =
            (accepted, Verifier::caching_sha2_from_password(&password))
        {
            shared.sha_cached = cached;
        }
        accepted
    }

    async fn login(&mut self, login: &LoginInfo<'_>) -> Result<(), ServerError> {
        if login.database == Some("missing") {
            return Err(ServerError::new(1049, *b"42000", "Unknown database 'missing'"));
        }
        let mut shared = self.shared.lock().unwrap();
        shared.logins.push((login.user.to_owned(), login.database.map(str::to_owned)));
        shared.login_details.push((login.connection_id, login.client_found_rows, login.tls));
        Ok(())
    }

    async fn query(&mut self, sql: &str, multi_statements: bool) -> Vec<QueryResult> {
        let statements: Vec<&str> = sql.split(';').filter(|part| !part.trim().is_empty()).collect();
        if statements.len() > 1 && !multi_statements {
            return vec![QueryResult::Error(syntax_error(sql))];
        }
        let mut results = Vec::new();
        for statement in statements {
            let result = self.statement(statement);
            let failed = matches!(result, QueryResult::Error(_));
            results.push(result);
            if failed {
                break;
            }
        }
        results
    }

    async fn use_database(&mut self, database: &str) -> Result<(), ServerError> {
        match database {
            "missing" => Err(ServerError::new(1049, *b"42000", "Unknown database 'missing'")),
            _ => Ok(()),
        }
    }

    async fn prepare(&mut self, statement_id: u32, sql: &str) -> Result<Prepared, ServerError> {
        let parameter = || vec![Column::new("?", ColumnType::VarString)];
        let prepared = match sql.trim().to_ascii_uppercase().as_str() {
            "SELECT * FROM T WHERE ID = ?" => Prepared { parameters: parameter(), columns: table().0 },
            "SELECT ?" => Prepared { parameters: parameter(), columns: vec![Column::new("?", ColumnType::VarString)] },
            "SELECT TYPED" => match typed() {
                QueryResult::Rows { columns, .. } => Prepared { parameters: Vec::new(), columns },
                _ => unreachable!(),
            },
            _ => return Err(syntax_error(sql)),
        };
        self.statements.insert(statement_id, sql.trim().to_ascii_uppercase());
        Ok(prepared)
    }

    async fn execute(&mut self, statement_id: u32, parameters: Vec<Value>) -> Vec<QueryResult> {
        let Some(sql) = self.statements.get(&statement_id).cloned() else {
            return vec![QueryResult::Error(ServerError::new(1243, *b"HY000", "unknown statement"))];
        };
        let result = match sql.as_str() {
            "SELECT TYPED" => typed(),
            "SELECT ?" => {
                let value = parameters.into_iter().next().unwrap_or(Value::Null);
                QueryResult::Rows { columns: vec![Column::new("?", column_for(&value))], rows: vec![vec![value]] }
            }
            _ => {
                let (columns, rows) = table();
                let wanted = parameters.first().cloned();
                let rows = rows.into_iter().filter(|row| row.first() == wanted.as_ref()).collect();
                QueryResult::Rows { columns, rows }
            }
        };
        vec![result]
    }

    fn close(&mut self, statement_id: u32) {
        self.statements.remove(&statement_id);
        self.shared.lock().unwrap().closed_statements.push(statement_id);
    }

    async fn reset(&mut self) {
        self.in_transaction = false;
    }

    fn status_flags(&self) -> u16 {
        if self.in_transaction {
            0x0003
        } else {
            0x0002
        }
    }
}

pub fn rsa_key() -> Arc<RsaKey> {
    static KEY: OnceLock<Arc<RsaKey>> = OnceLock::new();
    KEY.get_or_init(|| Arc::new(RsaKey::generate(2048).unwrap())).clone()
}

pub struct TestServer {
    pub port: u16,
    pub shared: Arc<Mutex<Shared>>,
}

/// Serves `config` on a fresh loopback port, at most `connections_max` at a time.
pub async fn start(config: Config, connections_max: usize) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let backend_shared = shared.clone();
    let new_backend = move |_peer| TestBackend::new(backend_shared.clone());
    tokio::spawn(proxy_mysql::listen(listener, Arc::new(config), connections_max, new_backend));
    TestServer { port, shared }
}
