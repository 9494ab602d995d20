//! `information_schema` in MySQL's shape, as MySQL-dialect sessions read
//! it (proxy/frontend/src/catalog/mysql.rs): tables created by signed txs
//! through node's executor, read through node's `Reader` with
//! `CatalogHooks` installed, queried as MySQL clients query it (MariaDB
//! Connector/J's `DatabaseMetaData`, Django's introspection). Expected
//! answers are what MySQL 8 answers for the same schema, except where
//! noted; the PostgreSQL dialect keeps seeing PostgreSQL's shape.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use node_core::block::Header;
use node_core::crypto::{SecretKey, ZERO_HASH};
use node_core::tx::{Payload, Statement, TxBody};
use node_core::value::Value;
use node_exec::executor::{Changes, ExecLimits, Executor};
use node_exec::reader::Reader;
use proxy_frontend::catalog::{with_session, CatalogHooks, SessionInfo};
use sqlmap::Dialect;

const SCHEMA: &[&str] = &[
    "CREATE TABLE parent (id serial PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, flag boolean NOT NULL DEFAULT false, \
     price numeric(10,2) DEFAULT 0, created timestamp, data bytea, doc jsonb, note text DEFAULT 'it''s')",
    "CREATE TABLE child (id bigint PRIMARY KEY, parent_id integer REFERENCES parent(id), code char(3), d double precision)",
    "CREATE INDEX child_parent_idx ON child (parent_id)",
    "CREATE TABLE secret (id int PRIMARY KEY, a int, b int, UNIQUE (a, b))",
    "GRANT SELECT ON parent TO bob",
];

const CHAIN: &str = "mysql-catalog-test";
const T0_MS: u64 = 1_700_000_000_000;

struct View {
    _dir: TempDir,
    exec: Executor,
    alice: SecretKey,
    height: u64,
    txs: u8,
    reader: Arc<Reader>,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn session(user: &str) -> Arc<SessionInfo> {
    Arc::new(SessionInfo {
        user: user.into(),
        database: "rowchain".into(),
        pid: 4242,
        settings: BTreeMap::new(),
        xact_id: 1,
        temp: None,
        prepared: Default::default(),
    })
}

impl View {
    fn new() -> View {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rowchain-mysql-catalog-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("view.sqlite");
        let exec =
            Executor::open(&path, node_core::crypto::Suite::Standard, ExecLimits { result_rows_max: 10_000 }).unwrap();
        let reader = Reader::new(&path, 10_000);
        reader.set_hooks(Arc::new(CatalogHooks::new("rowchain".into(), Default::default())));
        let mut view = View {
            _dir: TempDir(dir),
            exec,
            alice: node_core::crypto::Suite::Standard.secret_key(&[7; 32]).unwrap(),
            height: 0,
            txs: 0,
            reader,
        };
        let bob = node_core::crypto::Suite::Standard.secret_key(&[8; 32]).unwrap();
        view.block(|v, changes| {
            v.exec.add_account("alice", &v.alice.public(), false, changes).unwrap();
            v.exec.add_account("bob", &bob.public(), false, changes).unwrap();
            0
        });
        view.run_ddl(SCHEMA);
        view
    }

    fn block(&mut self, f: impl FnOnce(&mut View, &mut Changes) -> usize) {
        self.height += 1;
        let ts = T0_MS + self.height * 1000;
        self.exec.begin_block(ts).unwrap();
        let mut changes = Changes::new();
        let n = f(self, &mut changes);
        let header = Header {
            chain_id: CHAIN.into(),
            height: self.height,
            prev_hash: ZERO_HASH,
            timestamp_ms: ts,
            proposer: self.alice.public(),
            tx_root: ZERO_HASH,
            receipts_root: ZERO_HASH,
            state_root: ZERO_HASH,
        };
        self.exec.finish_block(&header, &header.hash(), n).unwrap();
        self.exec.commit_block().unwrap();
    }

    /// Each statement as one tx signed by alice, all in one block.
    fn run_ddl(&mut self, statements: &[&str]) {
        self.run_ddl_in(node_core::tx::Dialect::Postgres, statements)
    }

    /// [`Self::run_ddl`] in `dialect`.
    fn run_ddl_in(&mut self, dialect: node_core::tx::Dialect, statements: &[&str]) {
        let height = self.height + 1;
        self.block(|v, changes| {
            for (index, sql) in statements.iter().enumerate() {
                v.txs += 1;
                let tx = TxBody {
                    chain_id: CHAIN.into(),
                    account: v.alice.public(),
                    id: [v.txs; 16],
                    expires_at_ms: T0_MS * 2,
                    dialect,
                    payload: Payload::Sql(vec![Statement { sql: (*sql).into(), params: vec![] }]),
                }
                .sign(&v.alice);
                let receipt = v.exec.execute_tx(&tx, height, index as u32, changes).unwrap();
                assert!(receipt.is_success(), "{sql}: {:?}", receipt.failure);
            }
            statements.len()
        });
    }

    /// `sql` in `dialect` as `user`: its result column names and rows.
    fn query_as(&self, user: &str, dialect: Dialect, sql: &str) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
        let plans = sqlmap::plan_dialect(sql, &sqlmap::NoSchema, dialect).map_err(|e| format!("plan: {e:?}"))?;
        let [sqlmap::Plan::Read(plan)] = plans.as_slice() else {
            return Err(format!("not one read: {plans:?}"));
        };
        with_session(session(user), || self.reader.query(plan, &[]))
            .map(|rows| (rows.columns, rows.rows))
            .map_err(|e| format!("{e:?}\n  sqlite: {}", plan.sqlite))
    }

    fn mysql(&self, sql: &str) -> Vec<Vec<String>> {
        table(&self.query_as("alice", Dialect::MySql, sql).unwrap_or_else(|e| panic!("{sql}: {e}")).1)
    }
}

/// Rows as strings, NULL as "NULL".
fn table(rows: &[Vec<Value>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    Value::Null => "NULL".into(),
                    Value::Integer(i) => i.to_string(),
                    Value::Real(f) => f.to_string(),
                    Value::Text(t) => t.clone(),
                    Value::Blob(b) => format!("{b:?}"),
                })
                .collect()
        })
        .collect()
}

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|x| x.to_string()).collect()
}

#[test]
fn tables_as_mysql_lists_them() {
    let view = View::new();
    let rows = view.mysql(
        "SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = 'rowchain' ORDER BY TABLE_NAME",
    );
    assert_eq!(
        rows,
        vec![
            s(&["def", "rowchain", "child", "BASE TABLE", "InnoDB"]),
            s(&["def", "rowchain", "parent", "BASE TABLE", "InnoDB"]),
            s(&["def", "rowchain", "secret", "BASE TABLE", "InnoDB"]),
        ]
    );
    // Django's: lower case names, DATABASE().
    let rows = view.mysql(
        "SELECT table_name, table_type, table_comment FROM information_schema.tables WHERE table_schema = DATABASE() \
         AND table_name = 'parent'",
    );
    assert_eq!(rows, vec![s(&["parent", "BASE TABLE", ""])]);
    // Result columns are named as written, `*` as MySQL names them.
    let (columns, _) = view.query_as("alice", Dialect::MySql, "SELECT * FROM information_schema.tables").unwrap();
    assert_eq!(&columns[..4], &s(&["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE"])[..]);
    let rows = view.mysql("SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA ORDER BY 1");
    assert_eq!(rows, vec![s(&["information_schema"]), s(&["rowchain"])]);
}

#[test]
fn columns_as_mysql_describes_them() {
    let view = View::new();
    let rows = view.mysql(
        "SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_KEY, EXTRA, COLUMN_DEFAULT, \
         CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, COLLATION_NAME \
         FROM information_schema.COLUMNS WHERE TABLE_NAME = 'parent' ORDER BY ORDINAL_POSITION",
    );
    assert_eq!(
        rows,
        vec![
            s(&["id", "int", "int", "NO", "PRI", "auto_increment", "NULL", "NULL", "10", "0", "NULL"]),
            s(&["name", "varchar(20)", "varchar", "NO", "UNI", "", "NULL", "20", "NULL", "NULL", "utf8mb4_general_ci"]),
            s(&["flag", "tinyint(1)", "tinyint", "NO", "", "", "0", "NULL", "3", "0", "NULL"]),
            s(&["price", "decimal(10,2)", "decimal", "YES", "", "", "0", "NULL", "10", "2", "NULL"]),
            s(&["created", "datetime(6)", "datetime", "YES", "", "", "NULL", "NULL", "NULL", "NULL", "NULL"]),
            s(&["data", "blob", "blob", "YES", "", "", "NULL", "65535", "NULL", "NULL", "NULL"]),
            s(&["doc", "json", "json", "YES", "", "", "NULL", "4294967295", "NULL", "NULL", "NULL"]),
            s(&["note", "text", "text", "YES", "", "", "it's", "65535", "NULL", "NULL", "utf8mb4_general_ci"]),
        ]
    );
    let rows = view.mysql(
        "SELECT column_name, column_type, column_key FROM information_schema.columns \
         WHERE table_name = 'child' ORDER BY ordinal_position",
    );
    assert_eq!(
        rows,
        vec![
            s(&["id", "bigint", "PRI"]),
            s(&["parent_id", "int", "MUL"]),
            s(&["code", "char(3)", ""]),
            s(&["d", "double", ""]),
        ]
    );
    // The first column of a multi-column UNIQUE is MUL, as in MySQL.
    let rows = view.mysql("SELECT COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_NAME = 'secret' ORDER BY 1");
    assert_eq!(rows, vec![s(&[""]), s(&["MUL"]), s(&["PRI"])]);
}

#[test]
fn indexes_and_keys_as_mysql_shows_them() {
    let view = View::new();
    // Text compares and sorts without regard to case, as in MySQL.
    let rows = view.mysql(
        "SELECT TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = 'rowchain' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    );
    assert_eq!(
        rows,
        vec![
            s(&["child", "1", "child_parent_idx", "1", "parent_id"]),
            s(&["child", "0", "PRIMARY", "1", "id"]),
            s(&["parent", "0", "name", "1", "name"]),
            s(&["parent", "0", "PRIMARY", "1", "id"]),
            s(&["secret", "0", "a", "1", "a"]),
            s(&["secret", "0", "a", "2", "b"]),
            s(&["secret", "0", "PRIMARY", "1", "id"]),
        ]
    );
    // Django's get_constraints.
    let rows = view.mysql(
        "SELECT kc.constraint_name, kc.column_name, kc.referenced_table_name, kc.referenced_column_name, \
         c.constraint_type FROM information_schema.key_column_usage AS kc, information_schema.table_constraints AS c \
         WHERE kc.table_schema = DATABASE() AND (kc.referenced_table_schema = DATABASE() OR \
         kc.referenced_table_schema IS NULL) AND c.table_schema = kc.table_schema AND \
         c.constraint_name = kc.constraint_name AND c.table_name = kc.table_name AND c.constraint_type != 'CHECK' \
         AND kc.table_name = 'child' ORDER BY kc.`ordinal_position`, 1",
    );
    assert_eq!(
        rows,
        vec![
            s(&["child_parent_id_fkey", "parent_id", "parent", "id", "FOREIGN KEY"]),
            s(&["PRIMARY", "id", "NULL", "NULL", "PRIMARY KEY"]),
        ]
    );
    let rows = view.mysql(
        "SELECT CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE, TABLE_NAME, REFERENCED_TABLE_NAME \
         FROM information_schema.REFERENTIAL_CONSTRAINTS",
    );
    assert_eq!(rows, vec![s(&["child_parent_id_fkey", "PRIMARY", "NO ACTION", "NO ACTION", "child", "parent"])]);
}

/// MariaDB Connector/J 2.7's getPrimaryKeys, as sent.
#[test]
fn connector_j_primary_keys() {
    let view = View::new();
    let rows = view.mysql(
        "SELECT A.TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, A.TABLE_NAME, A.COLUMN_NAME, B.SEQ_IN_INDEX KEY_SEQ, \
         B.INDEX_NAME PK_NAME  FROM INFORMATION_SCHEMA.COLUMNS A, INFORMATION_SCHEMA.STATISTICS B WHERE \
         A.COLUMN_KEY in ('PRI','pri') AND B.INDEX_NAME='PRIMARY'  AND A.TABLE_SCHEMA='rowchain' AND \
         B.TABLE_SCHEMA='rowchain' AND A.TABLE_NAME='parent' AND B.TABLE_NAME='parent' AND \
         A.TABLE_SCHEMA = B.TABLE_SCHEMA AND A.TABLE_NAME = B.TABLE_NAME AND A.COLUMN_NAME = B.COLUMN_NAME \
         ORDER BY A.COLUMN_NAME",
    );
    assert_eq!(rows, vec![s(&["rowchain", "NULL", "parent", "id", "1", "PRIMARY"])]);
}

/// A role lists only the tables it holds some privilege on.
#[test]
fn a_role_sees_only_tables_it_may_use() {
    let view = View::new();
    let (_, rows) =
        view.query_as("bob", Dialect::MySql, "SELECT TABLE_NAME FROM information_schema.TABLES ORDER BY 1").unwrap();
    assert_eq!(table(&rows), vec![s(&["parent"])]);
    let (_, rows) = view
        .query_as("bob", Dialect::MySql, "SELECT DISTINCT TABLE_NAME FROM information_schema.COLUMNS ORDER BY 1")
        .unwrap();
    assert_eq!(table(&rows), vec![s(&["parent"])]);
    let (_, rows) = view
        .query_as(
            "bob",
            Dialect::MySql,
            "SELECT count(*) FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_NAME <> 'parent'",
        )
        .unwrap();
    assert_eq!(table(&rows), vec![s(&["0"])]);
}

/// The PostgreSQL wire keeps PostgreSQL's information_schema, and
/// pg_class does not list the MySQL tables.
#[test]
fn postgres_sessions_keep_postgres_shape() {
    let view = View::new();
    let (columns, rows) = view
        .query_as(
            "alice",
            Dialect::Postgres,
            "SELECT table_catalog, table_schema, table_name FROM information_schema.tables WHERE table_name = 'parent'",
        )
        .unwrap();
    assert_eq!(columns, s(&["table_catalog", "table_schema", "table_name"]));
    assert_eq!(table(&rows), vec![s(&["rowchain", "public", "parent"])]);
    let (_, rows) = view
        .query_as("alice", Dialect::Postgres, "SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE 'mysql%'")
        .unwrap();
    assert_eq!(table(&rows), vec![s(&["0"])]);
}

/// A PostgreSQL view and a MySQL one (both wires create views).
fn with_views() -> View {
    let mut view = View::new();
    view.run_ddl(&["CREATE VIEW named AS SELECT id, name FROM parent WHERE flag", "GRANT SELECT ON named TO bob"]);
    view.run_ddl_in(
        node_core::tx::Dialect::MySql,
        &["CREATE SQL SECURITY INVOKER VIEW `Totals` AS SELECT `parent_id`, COUNT(*) AS `n` FROM `child` \
           WHERE `code` <> 'x' GROUP BY `parent_id`"],
    );
    view
}

#[test]
fn views_as_mysql_lists_them() {
    let view = with_views();
    let rows = view.mysql(
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, VERSION, ROW_FORMAT, TABLE_ROWS, TABLE_COLLATION, TABLE_COMMENT \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'rowchain' ORDER BY TABLE_NAME",
    );
    assert_eq!(
        rows,
        vec![
            s(&["child", "BASE TABLE", "InnoDB", "10", "Dynamic", "0", "utf8mb4_general_ci", ""]),
            s(&["named", "VIEW", "NULL", "NULL", "NULL", "NULL", "NULL", "VIEW"]),
            s(&["parent", "BASE TABLE", "InnoDB", "10", "Dynamic", "0", "utf8mb4_general_ci", ""]),
            s(&["secret", "BASE TABLE", "InnoDB", "10", "Dynamic", "0", "utf8mb4_general_ci", ""]),
            s(&["totals", "VIEW", "NULL", "NULL", "NULL", "NULL", "NULL", "VIEW"]),
        ]
    );
    let rows = view.mysql(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, EXTRA FROM information_schema.COLUMNS \
         WHERE TABLE_NAME IN ('named', 'totals') ORDER BY TABLE_NAME, ORDINAL_POSITION",
    );
    assert_eq!(
        rows,
        vec![
            s(&["named", "id", "int", "YES", "", ""]),
            s(&["named", "name", "varchar(20)", "YES", "", ""]),
            s(&["totals", "parent_id", "int", "YES", "", ""]),
            s(&["totals", "n", "bigint", "YES", "", ""]),
        ]
    );
    // Views have no keys or indexes.
    let rows = view.mysql("SELECT count(*) FROM information_schema.STATISTICS WHERE TABLE_NAME IN ('named', 'totals')");
    assert_eq!(rows, vec![s(&["0"])]);
}

/// `information_schema.VIEWS` as MySQL clients name it: sqlmap's MySQL
/// dialect plans it as the catalog's `mysql_views` once `views` is among
/// its `INFORMATION_SCHEMA_TABLES` (sqlmap/src/mysql.rs).
#[test]
fn views_in_information_schema_views() {
    let view = with_views();
    let rows = view.mysql(
        "SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, DEFINER, \
         SECURITY_TYPE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.VIEWS \
         WHERE TABLE_SCHEMA = 'rowchain' ORDER BY TABLE_NAME",
    );
    assert_eq!(
        rows,
        vec![
            s(&[
                "def",
                "rowchain",
                "named",
                "select `rowchain`.`parent`.`id` AS `id`,`rowchain`.`parent`.`name` AS `name` \
                 from `rowchain`.`parent` where `rowchain`.`parent`.`flag`",
                "NONE",
                "NO",
                "alice@%",
                "DEFINER",
                "utf8mb4",
                "utf8mb4_general_ci",
            ]),
            s(&[
                "def",
                "rowchain",
                "totals",
                "select `rowchain`.`child`.`parent_id` AS `parent_id`,count(0) AS `n` from `rowchain`.`child` \
                 where `rowchain`.`child`.`code` <> 'x' group by `rowchain`.`child`.`parent_id`",
                "NONE",
                "NO",
                "alice@%",
                "INVOKER",
                "utf8mb4",
                "utf8mb4_general_ci",
            ]),
        ]
    );
    // A role sees the views it holds a privilege on.
    let (_, rows) =
        view.query_as("bob", Dialect::MySql, "SELECT TABLE_NAME FROM information_schema.VIEWS ORDER BY 1").unwrap();
    assert_eq!(table(&rows), vec![s(&["named"])]);
}
