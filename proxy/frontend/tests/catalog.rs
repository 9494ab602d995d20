//! The catalog emulation against a real chain view: tables created by
//! signed txs through node's executor, read through node's `Reader` with
//! `CatalogHooks` installed, queried with the catalog queries real clients
//! send (captured from a PostgreSQL server log into `catalog_queries/`).
//! Expected answers are what PostgreSQL 15 answered for the same schema,
//! except where noted.

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

const SCHEMA: &[&str] = &[
    // psql's \d examples (the same schema was described by PostgreSQL 15).
    "CREATE TABLE parent (id serial PRIMARY KEY, name varchar(20) NOT NULL, price numeric(10,2) DEFAULT 0, note text)",
    "CREATE TABLE child (id bigserial PRIMARY KEY, parent_id integer REFERENCES parent(id), code char(3) UNIQUE, flag boolean NOT NULL DEFAULT false)",
    "CREATE INDEX child_parent_idx ON child (parent_id)",
    "CREATE TABLE multi (a int, b text, c timestamptz, PRIMARY KEY (a, b))",
    // The compat programs' tables (compat/clients), as their clients create them.
    "CREATE TABLE authors (id SERIAL NOT NULL, name VARCHAR(50) NOT NULL, bio TEXT, PRIMARY KEY (id), UNIQUE (name))",
    "CREATE TABLE books (id SERIAL NOT NULL, author_id INTEGER NOT NULL, title VARCHAR(200) NOT NULL, price NUMERIC(8, 2) NOT NULL, \
     in_print BOOLEAN NOT NULL, published_at TIMESTAMP WITH TIME ZONE, isbn UUID, extra JSONB, PRIMARY KEY (id), \
     FOREIGN KEY(author_id) REFERENCES authors (id))",
    "CREATE TABLE jtypes (id serial PRIMARY KEY, c_small smallint, c_int integer, c_big bigint, c_num numeric(12,3), c_real real, \
     c_double double precision, c_text text NOT NULL, c_varchar varchar(20), c_char char(5), c_bool boolean, c_date date, \
     c_ts timestamp, c_tstz timestamptz, c_bytea bytea, c_json json, c_jsonb jsonb, c_uuid uuid)",
    "CREATE TABLE jitems (id bigint PRIMARY KEY, name varchar(40) NOT NULL UNIQUE, qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0))",
    "CREATE TABLE items (id integer PRIMARY KEY, name varchar(40) NOT NULL, price numeric(8,2), \
     created timestamptz DEFAULT '2024-01-01 00:00:00+00', active boolean NOT NULL DEFAULT true)",
    "CREATE TABLE pgbench_accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84))",
    // A user table named like a catalog view: unqualified, the user's wins.
    "CREATE TABLE pg_tables (x integer PRIMARY KEY)",
];

const CHAIN: &str = "catalog-test";
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

fn session() -> Arc<SessionInfo> {
    let mut settings = BTreeMap::new();
    settings.insert("server_version".to_string(), "16.4".to_string());
    settings.insert("application_name".to_string(), "catalog-test".to_string());
    Arc::new(SessionInfo {
        user: "alice".into(),
        database: "rowchain".into(),
        pid: 4242,
        settings,
        xact_id: 1,
        temp: None,
        prepared: Default::default(),
    })
}

impl View {
    fn new() -> View {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rowchain-catalog-{}-{}",
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
        view.block_counted(|v, changes| {
            v.exec.add_account("alice", &v.alice.public(), false, changes).unwrap();
            v.exec.add_account("bob", &bob.public(), false, changes).unwrap();
            0
        });
        view.run_ddl(SCHEMA);
        view
    }

    /// Applies one block whose txs `f` executes; `f` returns their count.
    fn block_counted(&mut self, f: impl FnOnce(&mut View, &mut Changes) -> usize) -> usize {
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
        n
    }

    /// Each statement as one tx signed by alice, all in one block.
    fn run_ddl(&mut self, statements: &[&str]) {
        let height = self.height + 1;
        self.block_counted(|v, changes| {
            for (index, sql) in statements.iter().enumerate() {
                v.txs += 1;
                let tx = TxBody {
                    chain_id: CHAIN.into(),
                    account: v.alice.public(),
                    id: [v.txs; 16],
                    expires_at_ms: T0_MS * 2,
                    dialect: node_core::tx::Dialect::Postgres,
                    payload: Payload::Sql(vec![Statement { sql: (*sql).into(), params: vec![] }]),
                }
                .sign(&v.alice);
                let receipt = v.exec.execute_tx(&tx, height, index as u32, changes).unwrap();
                assert!(receipt.is_success(), "{sql}: {:?}", receipt.failure);
            }
            statements.len()
        });
    }

    fn oid(&self, table: &str) -> i64 {
        let rows = self
            .query(
                &format!("SELECT oid FROM pg_catalog.pg_class WHERE relname = '{table}' AND relnamespace = 2200"),
                &[],
            )
            .unwrap();
        match rows.as_slice() {
            [row] => int(&row[0]),
            other => panic!("{table}: {other:?}"),
        }
    }

    /// `{{oid:name}}` placeholders of the captured queries, filled in.
    fn substitute(&self, sql: &str) -> String {
        let (mut out, mut rest) = (String::new(), sql);
        while let Some((before, after)) = rest.split_once("{{oid:") {
            let (table, after) = after.split_once("}}").unwrap();
            out.push_str(before);
            out.push_str(&self.oid(table).to_string());
            rest = after;
        }
        out.push_str(rest);
        out
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, String> {
        let plans = sqlmap::plan(sql).map_err(|e| format!("plan: {e:?}"))?;
        let [sqlmap::Plan::Read(plan)] = plans.as_slice() else {
            return Err(format!("not one read: {plans:?}"));
        };
        with_session(session(), || self.reader.query(plan, params))
            .map(|rows| rows.rows)
            .map_err(|e| format!("{e:?}\n  sqlite: {}", plan.sqlite))
    }

    /// `sql` in MySQL's dialect as `user`: its rows as strings.
    fn mysql_as(&self, user: &str, sql: &str) -> Vec<Vec<String>> {
        let plans = sqlmap::plan_dialect(sql, &sqlmap::NoSchema, sqlmap::Dialect::MySql)
            .unwrap_or_else(|e| panic!("plan {sql}: {e:?}"));
        let [sqlmap::Plan::Read(plan)] = plans.as_slice() else { panic!("not one read: {plans:?}") };
        let mut info = (*session()).clone();
        info.user = user.into();
        let rows = with_session(Arc::new(info), || self.reader.query(plan, &[]))
            .unwrap_or_else(|e| panic!("{sql}: {e:?}\n  sqlite: {}", plan.sqlite));
        table(&rows.rows)
    }

    /// Runs a captured query (placeholders filled) and returns its rows.
    fn captured(&self, file: &str, contains: &str) -> Vec<Vec<Value>> {
        self.captured_for(file, contains, "parent", "parent")
    }

    /// Runs a captured query about table `from` (psql's, captured for
    /// `parent`) as the same query about table `to`.
    fn captured_for(&self, file: &str, contains: &str, from: &str, to: &str) -> Vec<Vec<Value>> {
        let query = fixture(file)
            .into_iter()
            .find(|q| q.contains(contains))
            .unwrap_or_else(|| panic!("{file}: no query with {contains:?}"));
        let query = query.replace(&format!("{{{{oid:{from}}}}}"), &format!("{{{{oid:{to}}}}}"));
        self.query(&self.substitute(&query), &[]).unwrap_or_else(|e| panic!("{file}: {e}\n  query: {query}"))
    }
}

fn fixture(file: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/catalog_queries").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    text.split("\n;;\n")
        .map(|block| block.lines().filter(|l| !l.starts_with("-- ")).collect::<Vec<_>>().join("\n"))
        .filter(|q| !q.trim().is_empty())
        .collect()
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Integer(i) => *i,
        Value::Text(t) => t.parse().unwrap_or_else(|_| panic!("not an integer: {t}")),
        other => panic!("not an integer: {other:?}"),
    }
}

/// A row as strings, NULL as "NULL", for compact expectations.
fn strings(row: &[Value]) -> Vec<String> {
    row.iter()
        .map(|v| match v {
            Value::Null => "NULL".into(),
            Value::Integer(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Text(t) => t.clone(),
            Value::Blob(b) => format!("{b:?}"),
        })
        .collect()
}

fn table(rows: &[Vec<Value>]) -> Vec<Vec<String>> {
    rows.iter().map(|r| strings(r)).collect()
}

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|x| x.to_string()).collect()
}

#[test]
fn every_captured_query_runs() {
    let view = View::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in ["psql_e.sql", "psql.sql", "sqlalchemy.sql", "jdbc.sql", "psycopg2.sql", "pgbench.sql"] {
        for query in fixture(file) {
            count += 1;
            let params: Vec<Value> = if query.contains("$1") { vec![Value::Integer(23)] } else { vec![] };
            if let Err(e) = view.query(&view.substitute(&query), &params) {
                failures.push(format!("{file}: {e}\n  query: {query}\n"));
            }
        }
    }
    assert!(count > 50, "fixtures found: {count}");
    assert!(failures.is_empty(), "{} of {count} captured queries failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn psql_lists_tables_with_their_owners() {
    let view = View::new();
    let rows = view.captured("psql_e.sql", "WHERE c.relkind IN ('r','p','')");
    let names: Vec<Vec<String>> = table(&rows);
    let expected: Vec<Vec<String>> =
        ["authors", "books", "child", "items", "jitems", "jtypes", "multi", "parent", "pg_tables", "pgbench_accounts"]
            .iter()
            .map(|t| s(&["public", t, "table", "alice"]))
            .collect();
    assert_eq!(names, expected);
    // \di: every index with its table, the implicit ones named as PostgreSQL names them.
    let rows = view.captured("psql_e.sql", "WHERE c.relkind IN ('i','I','')");
    let indexes: Vec<(String, String)> = table(&rows).into_iter().map(|r| (r[1].clone(), r[4].clone())).collect();
    for (index, on) in [
        ("child_code_key", "child"),
        ("child_parent_idx", "child"),
        ("child_pkey", "child"),
        ("multi_pkey", "multi"),
        ("parent_pkey", "parent"),
        ("authors_name_key", "authors"),
    ] {
        assert!(indexes.contains(&(index.to_string(), on.to_string())), "{index} missing from {indexes:?}");
    }
}

#[test]
fn psql_describes_a_table_as_postgresql_does() {
    let view = View::new();
    let oid = view.oid("parent");
    let rows = view.captured("psql_e.sql", "c.relname OPERATOR(pg_catalog.~) '^(parent)$'");
    assert_eq!(table(&rows), vec![s(&[&oid.to_string(), "public", "parent"])]);
    // Columns: name, type, default, not null (PostgreSQL: id has no default;
    // rowchain reports the key SQLite assigns when none is given).
    let rows = view.captured(
        "psql_e.sql",
        "a.attrelid = '{{oid:parent}}' AND a.attnum > 0 AND NOT a.attisdropped\nORDER BY a.attnum;",
    );
    let columns: Vec<Vec<String>> = table(&rows).into_iter().map(|r| r[..4].to_vec()).collect();
    assert_eq!(
        columns,
        vec![
            s(&["id", "integer", "nextval('parent_id_seq'::regclass)", "1"]),
            s(&["name", "character varying(20)", "NULL", "1"]),
            s(&["price", "numeric(10,2)", "0", "0"]),
            s(&["note", "text", "NULL", "0"]),
        ]
    );
    let rows = view.captured("psql_e.sql", "WHERE c.oid = '{{oid:parent}}' AND c.oid = i.indrelid");
    assert_eq!(
        table(&rows).into_iter().map(|r| r[..10].to_vec()).collect::<Vec<_>>(),
        vec![s(&[
            "parent_pkey",
            "1",
            "1",
            "0",
            "1",
            "CREATE UNIQUE INDEX parent_pkey ON public.parent USING btree (id)",
            "PRIMARY KEY (id)",
            "p",
            "0",
            "0"
        ])]
    );
    // Referenced by child's foreign key.
    let rows =
        view.captured("psql_e.sql", "WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('{{oid:parent}}')");
    assert_eq!(
        table(&rows),
        vec![s(&["child_parent_id_fkey", "child", "FOREIGN KEY (parent_id) REFERENCES parent(id)"])]
    );
    // child: defaults, the unique constraint and the plain index, the foreign key.
    let rows = view.captured_for(
        "psql_e.sql",
        "a.attrelid = '{{oid:parent}}' AND a.attnum > 0 AND NOT a.attisdropped\nORDER BY a.attnum;",
        "parent",
        "child",
    );
    assert_eq!(
        table(&rows).into_iter().map(|r| r[..4].to_vec()).collect::<Vec<_>>(),
        vec![
            s(&["id", "bigint", "nextval('child_id_seq'::regclass)", "1"]),
            s(&["parent_id", "integer", "NULL", "0"]),
            s(&["code", "character(3)", "NULL", "0"]),
            s(&["flag", "boolean", "false", "1"]),
        ]
    );
    let rows =
        view.captured_for("psql_e.sql", "WHERE c.oid = '{{oid:parent}}' AND c.oid = i.indrelid", "parent", "child");
    assert_eq!(
        table(&rows).into_iter().map(|r| vec![r[0].clone(), r[5].clone(), r[6].clone()]).collect::<Vec<_>>(),
        vec![
            s(&["child_pkey", "CREATE UNIQUE INDEX child_pkey ON public.child USING btree (id)", "PRIMARY KEY (id)"]),
            s(&[
                "child_code_key",
                "CREATE UNIQUE INDEX child_code_key ON public.child USING btree (code)",
                "UNIQUE (code)"
            ]),
            s(&["child_parent_idx", "CREATE INDEX child_parent_idx ON public.child USING btree (parent_id)", "NULL"]),
        ]
    );
    let rows =
        view.captured_for("psql_e.sql", "WHERE r.conrelid = '{{oid:parent}}' AND r.contype = 'f'", "parent", "child");
    assert_eq!(
        table(&rows),
        vec![s(&["1", "child_parent_id_fkey", "FOREIGN KEY (parent_id) REFERENCES parent(id)", "child"])]
    );
    // The compat program's table: timestamptz and boolean defaults.
    let rows = view.captured("psql.sql", "a.attrelid = '{{oid:items}}'");
    let created = table(&rows).into_iter().find(|r| r[0] == "created").unwrap();
    assert_eq!(
        created[..3],
        s(&["created", "timestamp with time zone", "'2024-01-01 00:00:00+00'::timestamp with time zone"])
    );
    let active = table(&rows).into_iter().find(|r| r[0] == "active").unwrap();
    assert_eq!(active[..4], s(&["active", "boolean", "true", "1"]));
}

#[test]
fn psql_lists_roles_databases_and_schemas() {
    let view = View::new();
    let roles: Vec<String> =
        table(&view.captured("psql_e.sql", "FROM pg_catalog.pg_roles r")).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(roles, s(&["alice", "bob"]));
    let databases = table(&view.captured("psql_e.sql", "FROM pg_catalog.pg_database d"));
    assert_eq!(databases[0][..3], s(&["rowchain", "pg_database_owner", "UTF8"]));
    let schemas = table(&view.captured("psql_e.sql", "FROM pg_catalog.pg_namespace n\nWHERE n.nspname !~ '^pg_'"));
    assert_eq!(schemas, vec![s(&["public", "pg_database_owner"]), s(&["rowchain", "rowchain"])]);
}

#[test]
fn sqlalchemy_inspector_answers() {
    let view = View::new();
    let has_table = view.captured("sqlalchemy.sql", "pg_catalog.pg_class.relname = 'books'");
    assert_eq!(table(&has_table), vec![s(&["books"])]);
    let names: Vec<String> =
        table(&view.captured("sqlalchemy.sql", "relpersistence != 't'")).into_iter().map(|r| r[0].clone()).collect();
    assert!(names.contains(&"authors".to_string()) && names.contains(&"books".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("__rc_")), "{names:?}");
    // get_columns: name, type, default, not null.
    let columns = table(&view.captured("sqlalchemy.sql", "AS identity_options"));
    let got: Vec<Vec<String>> = columns.into_iter().map(|r| r[..4].to_vec()).collect();
    assert_eq!(
        got,
        vec![
            s(&["id", "integer", "nextval('books_id_seq'::regclass)", "1"]),
            s(&["author_id", "integer", "NULL", "1"]),
            s(&["title", "character varying(200)", "NULL", "1"]),
            s(&["price", "numeric(8,2)", "NULL", "1"]),
            s(&["in_print", "boolean", "NULL", "1"]),
            s(&["published_at", "timestamp with time zone", "NULL", "0"]),
            s(&["isbn", "uuid", "NULL", "0"]),
            s(&["extra", "jsonb", "NULL", "0"]),
        ]
    );
    // get_pk_constraint
    let pk = table(&view.captured("sqlalchemy.sql", "pg_catalog.pg_constraint.contype = 'p'"));
    assert_eq!(pk.iter().map(|r| r[1..3].to_vec()).collect::<Vec<_>>(), vec![s(&["{id}", "books_pkey"])]);
    // get_foreign_keys
    let fks = table(&view.captured("sqlalchemy.sql", "pg_catalog.pg_constraint.contype = 'f'"));
    assert_eq!(
        fks.iter().map(|r| r[..4].to_vec()).collect::<Vec<_>>(),
        vec![s(&["books", "books_author_id_fkey", "FOREIGN KEY (author_id) REFERENCES authors(id)", "public"])]
    );
    // get_indexes: books has none besides its key; authors has the UNIQUE constraint's index.
    let indexes = table(&view.captured("sqlalchemy.sql", "pg_catalog.pg_index.indrelid IN ({{oid:books}}) AND NOT"));
    assert!(indexes.is_empty(), "{indexes:?}");
    let indexes = table(&view.captured_for(
        "sqlalchemy.sql",
        "pg_catalog.pg_index.indrelid IN ({{oid:books}}) AND NOT",
        "books",
        "authors",
    ));
    assert_eq!(indexes.len(), 1, "{indexes:?}");
    assert_eq!(indexes[0][1..4], s(&["authors_name_key", "1", "1"]));
    assert_eq!(indexes[0][10..12], s(&["{name}", "{0}"]));
    // get_unique_constraints
    let uniques = table(&view.captured("sqlalchemy.sql", "pg_catalog.pg_constraint.contype = 'u'"));
    assert_eq!(uniques.iter().map(|r| r[1..3].to_vec()).collect::<Vec<_>>(), vec![s(&["{name}", "authors_name_key"])]);
}

#[test]
fn jdbc_metadata_answers() {
    let view = View::new();
    let tables = table(&view.captured("jdbc.sql", "AS TABLE_TYPE"));
    assert_eq!(
        tables.iter().map(|r| r[..4].to_vec()).collect::<Vec<_>>(),
        vec![s(&["NULL", "public", "jitems", "TABLE"]), s(&["NULL", "public", "jtypes", "TABLE"])]
    );
    let columns = table(&view.captured("jdbc.sql", "c.relname LIKE 'jitems') c WHERE true  ORDER BY"));
    assert_eq!(
        columns
            .iter()
            .map(|r| vec![r[2].clone(), r[3].clone(), r[4].clone(), r[5].clone(), r[8].clone()])
            .collect::<Vec<_>>(),
        vec![s(&["id", "20", "1", "-1", "1"]), s(&["name", "1043", "1", "44", "2"]), s(&["qty", "23", "1", "-1", "3"])]
    );
    let keys = table(&view.captured("jdbc.sql", "result.KEY_SEQ"));
    assert_eq!(keys, vec![s(&["NULL", "public", "jitems", "id", "1", "jitems_pkey"])]);
    // ResultSetMetaData: nullability and autoincrement of the result columns.
    let meta = table(&view.captured("jdbc.sql", "JOIN (SELECT {{oid:jtypes}} AS oid"));
    assert_eq!(meta.len(), 17);
    let text = meta.iter().find(|r| r[2] == "c_text").unwrap();
    // Not null; autoincrement `'' != '' OR NULL LIKE ..` is NULL, as in PostgreSQL.
    assert_eq!(text[5..7], s(&["1", "NULL"]));
    // The type of a parameter or column, by OID.
    let ty = view.query(&fixture("jdbc.sql")[1], &[Value::Integer(1043)]).unwrap();
    assert_eq!(table(&ty), vec![s(&["1", "pg_catalog", "varchar"])]);
}

#[test]
fn pgbench_finds_its_table_unpartitioned() {
    let view = View::new();
    let rows = view.captured("pgbench.sql", "pgbench_accounts");
    assert_eq!(table(&rows), vec![s(&["2", "NULL", "0"])]);
}

#[test]
fn session_functions_report_the_session() {
    let view = View::new();
    let rows = view.query("SELECT version(), current_user, session_user, current_database(), current_schema(), current_schemas(true), pg_backend_pid(), current_setting('application_name'), current_setting('nope', true)", &[]).unwrap();
    let row = strings(&rows[0]);
    assert!(row[0].starts_with("PostgreSQL 16.4 (rowchain "), "{}", row[0]);
    assert!(row[0].ends_with("on x86_64-pc-linux-gnu, compiled by rustc, 64-bit"), "{}", row[0]);
    assert_eq!(
        row[1..],
        s(&["alice", "alice", "rowchain", "public", "{pg_catalog,public}", "4242", "catalog-test", "NULL"])
    );
    let e = view.query("SELECT current_setting('nope')", &[]).unwrap_err();
    assert!(e.contains("unrecognized configuration parameter"), "{e}");
    let rows = view.query("SELECT format_type(1043, 24), format_type(1700, 655366), format_type(1007, -1), 'parent'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'parent'), 'child'::regclass, pg_get_userbyid((SELECT relowner FROM pg_class WHERE relname = 'child'))", &[]).unwrap();
    assert_eq!(strings(&rows[0]), s(&["character varying(20)", "numeric(10,2)", "integer[]", "1", "child", "alice"]));
}

#[test]
fn information_schema_describes_user_tables() {
    let view = View::new();
    let rows = view
        .query("SELECT column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale, column_default FROM information_schema.columns WHERE table_name = 'parent' ORDER BY ordinal_position", &[])
        .unwrap();
    assert_eq!(
        table(&rows),
        vec![
            s(&["id", "integer", "NO", "NULL", "32", "0", "nextval('parent_id_seq'::regclass)"]),
            s(&["name", "character varying", "NO", "20", "NULL", "NULL", "NULL"]),
            s(&["price", "numeric", "YES", "NULL", "10", "2", "0"]),
            s(&["note", "text", "YES", "NULL", "NULL", "NULL", "NULL"]),
        ]
    );
    let rows = view
        .query("SELECT tc.constraint_type, kcu.column_name, ccu.table_name, ccu.column_name FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name WHERE tc.table_name = 'child' ORDER BY 1, 2", &[])
        .unwrap();
    assert_eq!(
        table(&rows),
        vec![
            s(&["FOREIGN KEY", "parent_id", "parent", "id"]),
            s(&["PRIMARY KEY", "id", "child", "id"]),
            s(&["UNIQUE", "code", "child", "code"]),
        ]
    );
    let rows = view.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'p%' ORDER BY 1", &[]).unwrap();
    assert_eq!(table(&rows), vec![s(&["parent"]), s(&["pg_tables"]), s(&["pgbench_accounts"])]);
}

#[test]
fn internal_tables_stay_hidden_and_user_tables_win_unqualified() {
    let view = View::new();
    let rows = view
        .query("SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE '\\_\\_rc%' OR relname LIKE 'sqlite%'", &[])
        .unwrap();
    assert_eq!(table(&rows), vec![s(&["0"])]);
    assert!(view.query("SELECT * FROM pg_catalog.__rc_built", &[]).is_err());
    // Unqualified, the user's pg_tables; qualified, the catalog's.
    let rows = view.query("SELECT * FROM pg_tables", &[]).unwrap();
    assert!(rows.is_empty());
    let rows = view.query("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'", &[]).unwrap();
    assert_eq!(table(&rows), vec![s(&["10"])]);
    // Writes to the catalog are refused before they reach the chain.
    let e = sqlmap::plan("UPDATE pg_catalog.pg_class SET relname = 'x'").unwrap_err();
    assert_eq!(e.sqlstate, "42501");
}

#[test]
fn the_catalog_follows_the_chain() {
    let mut view = View::new();
    let count = |v: &View| {
        int(&v
            .query("SELECT count(*) FROM pg_catalog.pg_class WHERE relkind = 'r' AND relnamespace = 2200", &[])
            .unwrap()[0][0])
    };
    assert_eq!(count(&view), 10);
    let oid = view.oid("parent");
    view.run_ddl(&["CREATE TABLE later (id int PRIMARY KEY)", "ALTER TABLE parent RENAME TO parent2"]);
    assert_eq!(count(&view), 11);
    // A table's OID survives a rename: it comes from the table's id.
    assert_eq!(view.oid("parent2"), oid);
}

/// A SQLAlchemy reflection query captured for table `books` or `authors` (by OID or by
/// name), run about `table` instead.
fn sqlalchemy_about(view: &View, contains: &str, table: &str) -> Vec<Vec<Value>> {
    let query = fixture("sqlalchemy.sql")
        .into_iter()
        .find(|q| q.contains(contains))
        .unwrap_or_else(|| panic!("sqlalchemy.sql: no query with {contains:?}"));
    let oid = format!("{{{{oid:{table}}}}}");
    let query = query
        .replace("{{oid:books}}", &oid)
        .replace("{{oid:authors}}", &oid)
        .replace("('books')", &format!("('{table}')"));
    view.query(&view.substitute(&query), &[]).unwrap_or_else(|e| panic!("{e}\n  query: {query}"))
}

#[test]
fn comments_show_in_pg_description_and_in_what_sqlalchemy_reflects() {
    let mut view = View::new();
    view.run_ddl(&[
        "CREATE TABLE email (address_id int, remote int REFERENCES parent (id), email text UNIQUE, \
         CONSTRAINT email_ad_pk PRIMARY KEY (address_id))",
        "CREATE TABLE dingalings (id int PRIMARY KEY, address_id int, \
         CONSTRAINT zz_email_add_id_fg FOREIGN KEY (address_id) REFERENCES email (address_id), \
         CONSTRAINT zz_multi UNIQUE (address_id, id))",
        "CREATE INDEX ix_email ON email (email)",
        r#"COMMENT ON TABLE email IS 'the test % '' " \ table comment'"#,
        r"COMMENT ON COLUMN email.email IS E'Comment\nwith\rescapes'",
        "COMMENT ON CONSTRAINT email_ad_pk ON email IS 'ea pk comment'",
        "COMMENT ON CONSTRAINT zz_email_add_id_fg ON dingalings IS 'di fk comment'",
        "COMMENT ON CONSTRAINT zz_multi ON dingalings IS 'di unique comment'",
        "COMMENT ON INDEX ix_email IS 'ix comment'",
    ]);
    let one = |sql: &str| strings(&view.query(sql, &[]).unwrap()[0]);
    assert_eq!(
        one("SELECT obj_description('email'::regclass, 'pg_class'), obj_description('email'::regclass, 'pg_constraint'), \
             obj_description('email'::regclass)"),
        s(&[r#"the test % ' " \ table comment"#, "NULL", r#"the test % ' " \ table comment"#])
    );
    assert_eq!(
        one("SELECT col_description('email'::regclass, 3), col_description('email'::regclass, 1), \
             obj_description('ix_email'::regclass, 'pg_class'), obj_description('parent'::regclass, 'pg_class')"),
        s(&["Comment\nwith\rescapes", "NULL", "ix comment", "NULL"])
    );
    let described = table(
        &view
            .query(
                "SELECT c.relname, d.objsubid, d.classoid = 'pg_constraint'::regclass, d.description \
                 FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid \
                 ORDER BY 1, 2",
                &[],
            )
            .unwrap(),
    );
    assert_eq!(
        described,
        vec![
            s(&["email", "0", "0", r#"the test % ' " \ table comment"#]),
            s(&["email", "3", "0", "Comment\nwith\rescapes"]),
            s(&["ix_email", "0", "0", "ix comment"])
        ]
    );
    // SQLAlchemy's reflection queries, as captured for `books`, about these tables.
    let columns = table(&sqlalchemy_about(&view, "AS identity_options", "email"));
    let comments: Vec<Vec<String>> = columns.iter().map(|r| vec![r[0].clone(), r[5].clone()]).collect();
    assert_eq!(
        comments,
        vec![s(&["address_id", "NULL"]), s(&["remote", "NULL"]), s(&["email", "Comment\nwith\rescapes"])]
    );
    let pk = table(&sqlalchemy_about(&view, "pg_catalog.pg_constraint.contype = 'p'", "email"));
    assert_eq!(
        pk.iter().map(|r| r[1..4].to_vec()).collect::<Vec<_>>(),
        vec![s(&["{address_id}", "email_ad_pk", "ea pk comment"])]
    );
    let fks = table(&sqlalchemy_about(&view, "pg_catalog.pg_constraint.contype = 'f'", "dingalings"));
    let fks: Vec<Vec<String>> = fks.iter().map(|r| vec![r[1].clone(), r[4].clone()]).collect();
    assert_eq!(fks, vec![s(&["zz_email_add_id_fg", "di fk comment"])]);
    let fks = table(&sqlalchemy_about(&view, "pg_catalog.pg_constraint.contype = 'f'", "email"));
    let fks: Vec<Vec<String>> = fks.iter().map(|r| vec![r[1].clone(), r[4].clone()]).collect();
    assert_eq!(fks, vec![s(&["email_remote_fkey", "NULL"])], "an unnamed key keeps PostgreSQL's default name");
    let uniques = table(&sqlalchemy_about(&view, "pg_catalog.pg_constraint.contype = 'u'", "dingalings"));
    assert_eq!(
        uniques.iter().map(|r| r[1..4].to_vec()).collect::<Vec<_>>(),
        vec![s(&["{address_id,id}", "zz_multi", "di unique comment"])]
    );
}

/// Views over the schema's tables, a view over a view among them.
const VIEWS: &[&str] = &[
    "CREATE VIEW cheap_items AS SELECT id, name, price FROM items WHERE price < 10 AND active",
    "CREATE VIEW item_labels (item, label) AS SELECT id, upper(name) FROM items",
    "CREATE VIEW author_books AS SELECT a.name, count(*) AS books, sum(b.price) AS total \
     FROM authors a JOIN books b ON b.author_id = a.id GROUP BY a.name",
    "CREATE VIEW safe_items WITH (security_invoker) AS SELECT id FROM cheap_items",
    "GRANT SELECT ON cheap_items TO bob",
];

/// PostgreSQL 15's `pg_views.definition` (`pg_get_viewdef(v)`) of `VIEWS`.
const DEFINITIONS: &[(&str, &str)] = &[
    (
        "author_books",
        " SELECT a.name,\n    count(*) AS books,\n    sum(b.price) AS total\n   FROM (authors a\n     \
         JOIN books b ON ((b.author_id = a.id)))\n  GROUP BY a.name;",
    ),
    (
        "cheap_items",
        " SELECT items.id,\n    items.name,\n    items.price\n   FROM items\n  \
         WHERE ((items.price < (10)::numeric) AND items.active);",
    ),
    ("item_labels", " SELECT items.id AS item,\n    upper((items.name)::text) AS label\n   FROM items;"),
    ("safe_items", " SELECT cheap_items.id\n   FROM cheap_items;"),
];

fn with_views() -> View {
    let mut view = View::new();
    view.run_ddl(VIEWS);
    view
}

#[test]
fn psql_lists_and_describes_views() {
    let view = with_views();
    // \dv
    let listed = table(&view.captured("psql_e.sql", "WHERE c.relkind IN ('v','')"));
    let expected: Vec<Vec<String>> = ["author_books", "cheap_items", "item_labels", "safe_items"]
        .iter()
        .map(|v| s(&["public", v, "view", "alice"]))
        .collect();
    assert_eq!(listed, expected);
    // \d+ cheap_items: a view (relkind v) with rules, no index, no access method, no options.
    let about = |contains: &str, to: &str| table(&view.captured_for("psql_e.sql", contains, "parent", to));
    let class = about("c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, pg_catalog.array_to_string", "cheap_items");
    // No options: NULL || '{}' is '{}' as in PostgreSQL, which psql prints as nothing.
    assert_eq!(class, vec![s(&["0", "v", "0", "1", "0", "0", "0", "0", "0", "", "0", "", "p", "n", "NULL"])]);
    let columns: Vec<Vec<String>> = about("a.attcompression AS attcompression", "cheap_items")
        .into_iter()
        .map(|r| vec![r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone(), r[7].clone()])
        .collect();
    assert_eq!(
        columns,
        vec![
            s(&["id", "integer", "NULL", "0", "p"]),
            s(&["name", "character varying(40)", "NULL", "0", "x"]),
            s(&["price", "numeric(8,2)", "NULL", "0", "m"]),
        ]
    );
    // "View definition:" and the rules besides the view's own.
    let oid = view.oid("cheap_items");
    let definition =
        view.query(&format!("SELECT pg_catalog.pg_get_viewdef('{oid}'::pg_catalog.oid, true);"), &[]).unwrap();
    assert_eq!(
        table(&definition),
        vec![s(&[" SELECT items.id,\n    items.name,\n    items.price\n   FROM items\n  WHERE items.price < 10::numeric AND items.active;"])]
    );
    let rules = view
        .query(
            &format!(
                "SELECT r.rulename, trim(trailing ';' from pg_catalog.pg_get_ruledef(r.oid, true))\n\
                 FROM pg_catalog.pg_rewrite r\nWHERE r.ev_class = '{oid}' AND r.rulename != '_RETURN' ORDER BY 1;"
            ),
            &[],
        )
        .unwrap();
    assert!(rules.is_empty(), "{rules:?}");
    // \dp: the grant on the view, as on a table.
    let privileges: Vec<Vec<String>> = table(&view.captured("psql_e.sql", "AS \"Access privileges\",\n"))
        .into_iter()
        .filter(|r| r[1] == "cheap_items" || r[1] == "item_labels")
        .map(|r| r.into_iter().take(4).collect())
        .collect();
    assert_eq!(
        privileges,
        vec![
            s(&["public", "cheap_items", "view", "alice=arwdDxt/alice\nbob=r/alice"]),
            s(&["public", "item_labels", "view", "NULL"]),
        ]
    );
}

#[test]
fn views_have_postgresql_s_catalog_rows_and_definitions() {
    let view = with_views();
    let rows = |sql: &str| table(&view.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")));
    let got =
        rows("SELECT viewname, viewowner, definition FROM pg_catalog.pg_views WHERE schemaname = 'public' ORDER BY 1");
    let expected: Vec<Vec<String>> = DEFINITIONS.iter().map(|(v, d)| s(&[v, "alice", d])).collect();
    assert_eq!(got, expected);
    let classes = rows(
        "SELECT relname, relkind, relhasindex, relhasrules, relam, relpersistence, relnatts, reltuples, reloptions, \
         relowner = (SELECT relowner FROM pg_class WHERE relname = 'items') FROM pg_catalog.pg_class \
         WHERE relkind = 'v' AND relnamespace = 2200 ORDER BY 1",
    );
    assert_eq!(
        classes,
        vec![
            s(&["author_books", "v", "0", "1", "0", "p", "3", "-1", "NULL", "1"]),
            s(&["cheap_items", "v", "0", "1", "0", "p", "3", "-1", "NULL", "1"]),
            s(&["item_labels", "v", "0", "1", "0", "p", "2", "-1", "NULL", "1"]),
            s(&["safe_items", "v", "0", "1", "0", "p", "1", "-1", "{security_invoker=true}", "1"]),
        ]
    );
    // psql's `\d+` joins the options with its toast table's: an array concatenation.
    let options = rows(
        "SELECT pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ') \
         FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid) WHERE c.relname = 'safe_items'",
    );
    assert_eq!(options, vec![s(&["security_invoker=true"])]);
    // No keys, indexes or constraints; columns as a table's.
    let oid = view.oid("author_books");
    assert_eq!(rows(&format!("SELECT count(*) FROM pg_index WHERE indrelid = {oid}")), vec![s(&["0"])]);
    assert_eq!(rows(&format!("SELECT count(*) FROM pg_constraint WHERE conrelid = {oid}")), vec![s(&["0"])]);
    assert_eq!(
        rows(&format!(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute WHERE attrelid = {oid} ORDER BY attnum"
        )),
        vec![
            s(&["name", "character varying(50)", "0"]),
            s(&["books", "bigint", "0"]),
            s(&["total", "numeric", "0"])
        ]
    );
    // pg_get_viewdef by OID, by name, pretty; NULL for a table; 42P01 for nothing.
    let items = view.oid("items");
    assert_eq!(
        rows(&format!(
            "SELECT pg_get_viewdef({oid}) = definition, pg_get_viewdef({oid}, false) = definition, \
             pg_get_viewdef('author_books') = definition, pg_get_viewdef({items}) IS NULL \
             FROM pg_views WHERE viewname = 'author_books'"
        )),
        vec![s(&["1", "1", "1", "1"])]
    );
    assert_eq!(
        rows("SELECT pg_get_viewdef('author_books'::regclass, true)"),
        vec![s(&[" SELECT a.name,\n    count(*) AS books,\n    sum(b.price) AS total\n   FROM authors a\n     \
                  JOIN books b ON b.author_id = a.id\n  GROUP BY a.name;"])]
    );
    let e = view.query("SELECT pg_get_viewdef('nosuch')", &[]).unwrap_err();
    assert!(e.contains("42P01") && e.contains("relation \\\"nosuch\\\" does not exist"), "{e}");
    assert_eq!(rows("SELECT count(*) FROM pg_catalog.pg_matviews"), vec![s(&["0"])]);
}

#[test]
fn information_schema_lists_views_read_only() {
    let view = with_views();
    let rows = |sql: &str| table(&view.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")));
    let got = rows(
        "SELECT table_catalog, table_schema, table_name, view_definition, check_option, is_updatable, \
         is_insertable_into, is_trigger_updatable, is_trigger_deletable, is_trigger_insertable_into \
         FROM information_schema.views WHERE table_schema = 'public' ORDER BY table_name",
    );
    let expected: Vec<Vec<String>> = DEFINITIONS
        .iter()
        .map(|(v, d)| s(&["rowchain", "public", v, d, "NONE", "NO", "NO", "NO", "NO", "NO"]))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        rows(
            "SELECT table_name, table_type, is_insertable_into FROM information_schema.tables \
             WHERE table_name IN ('items', 'cheap_items', 'safe_items') ORDER BY 1"
        ),
        vec![s(&["cheap_items", "VIEW", "NO"]), s(&["items", "BASE TABLE", "YES"]), s(&["safe_items", "VIEW", "NO"])]
    );
    assert_eq!(
        rows(
            "SELECT column_name, data_type, character_maximum_length, is_nullable, is_updatable \
             FROM information_schema.columns WHERE table_name = 'cheap_items' ORDER BY ordinal_position"
        ),
        vec![
            s(&["id", "integer", "NULL", "YES", "NO"]),
            s(&["name", "character varying", "40", "YES", "NO"]),
            s(&["price", "numeric", "NULL", "YES", "NO"]),
        ]
    );
    let grants = rows(
        "SELECT grantee, privilege_type FROM information_schema.table_privileges \
         WHERE table_name = 'cheap_items' AND grantee = 'bob'",
    );
    assert_eq!(grants, vec![s(&["bob", "SELECT"])]);
}

#[test]
fn a_view_s_rule_and_dependencies() {
    let view = with_views();
    let rows = |sql: &str| table(&view.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")));
    let (cheap, items, safe) = (view.oid("cheap_items"), view.oid("items"), view.oid("safe_items"));
    let rules = rows(&format!(
        "SELECT rulename, ev_class = {cheap}, ev_type, ev_enabled, is_instead FROM pg_rewrite WHERE ev_class IN ({cheap}, {safe}) ORDER BY ev_class = {cheap}"
    ));
    assert_eq!(rules, vec![s(&["_RETURN", "0", "1", "O", "1"]), s(&["_RETURN", "1", "1", "O", "1"])]);
    // What depends on items: cheap_items' rule; on cheap_items: its own and safe_items'.
    let depends = |oid: i64| {
        rows(&format!(
            "SELECT r.ev_class::regclass, d.deptype FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid \
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = {oid} ORDER BY 1, 2"
        ))
    };
    assert_eq!(depends(items), vec![s(&["cheap_items", "n"]), s(&["item_labels", "n"])]);
    assert_eq!(depends(cheap), vec![s(&["cheap_items", "i"]), s(&["cheap_items", "n"]), s(&["safe_items", "n"])]);
    assert_eq!(
        rows(&format!("SELECT pg_get_ruledef(oid, true), pg_get_ruledef(oid) FROM pg_rewrite WHERE ev_class = {safe}")),
        vec![s(&[
            "CREATE RULE \"_RETURN\" AS\n    ON SELECT TO safe_items DO INSTEAD  SELECT cheap_items.id\n   FROM cheap_items;",
            "CREATE RULE \"_RETURN\" AS\n    ON SELECT TO public.safe_items DO INSTEAD  SELECT cheap_items.id\n   FROM cheap_items;",
        ])]
    );
}

#[test]
fn sqlalchemy_reflects_views() {
    let view = with_views();
    // get_table_names lists no view.
    let tables: Vec<String> =
        table(&view.captured("sqlalchemy.sql", "relpersistence != 't'")).into_iter().map(|r| r[0].clone()).collect();
    assert!(tables.contains(&"items".to_string()) && !tables.contains(&"cheap_items".to_string()), "{tables:?}");
    // get_view_names and get_view_definition, as SQLAlchemy 2.0 sends them.
    let mut names: Vec<String> = table(
        &view
            .query(
                "SELECT pg_catalog.pg_class.relname \nFROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON \
                 pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace \nWHERE pg_catalog.pg_class.relkind = \
                 ANY (ARRAY['v']) AND pg_catalog.pg_class.relpersistence != 't' AND \
                 pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != 'pg_catalog'",
                &[],
            )
            .unwrap(),
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    names.sort();
    assert_eq!(names, s(&["author_books", "cheap_items", "item_labels", "safe_items"]));
    let definition = view
        .query(
            "SELECT pg_catalog.pg_get_viewdef(pg_catalog.pg_class.oid) AS pg_get_viewdef_1 \nFROM pg_catalog.pg_class \
             JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace \n\
             WHERE pg_catalog.pg_class.relname = 'item_labels' AND pg_catalog.pg_class.relkind = ANY (ARRAY['v', 'm']) \
             AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != 'pg_catalog'",
            &[],
        )
        .unwrap();
    assert_eq!(table(&definition), vec![s(&[DEFINITIONS[2].1])]);
    // get_columns
    let columns: Vec<Vec<String>> = table(&sqlalchemy_about(&view, "AS identity_options", "author_books"))
        .into_iter()
        .map(|r| r.into_iter().take(5).collect())
        .collect();
    assert_eq!(
        columns,
        vec![
            s(&["name", "character varying(50)", "NULL", "0", "author_books"]),
            s(&["books", "bigint", "NULL", "0", "author_books"]),
            s(&["total", "numeric", "NULL", "0", "author_books"]),
        ]
    );
}

/// A user schema beside `public`, with tables of the same name in both,
/// an index, foreign keys within and into the schema, views, a comment
/// and grants (PostgreSQL 15 answered the same queries for this schema).
const SALES: &[&str] = &[
    "CREATE SCHEMA sales AUTHORIZATION alice",
    "COMMENT ON SCHEMA sales IS 'Orders and customers'",
    "GRANT USAGE ON SCHEMA sales TO bob",
    "CREATE TABLE sales.customers (id integer PRIMARY KEY, name text NOT NULL)",
    "CREATE TABLE sales.orders (id serial PRIMARY KEY, customer_id integer REFERENCES sales.customers(id), note text)",
    "CREATE INDEX orders_note_idx ON sales.orders (note)",
    "GRANT SELECT ON sales.orders TO bob",
    // A public table of the same name, with a foreign key into the schema.
    "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES sales.customers(id))",
    "CREATE VIEW order_notes AS SELECT id, note FROM sales.orders",
    "CREATE VIEW sales.customer_orders AS SELECT c.name, o.id FROM sales.customers c JOIN sales.orders o ON o.customer_id = c.id",
];

fn with_sales() -> View {
    let mut view = View::new();
    view.run_ddl(SALES);
    view
}

#[test]
fn a_schema_and_its_relations_are_where_postgresql_puts_them() {
    let view = with_sales();
    let rows = |sql: &str| table(&view.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")));
    // The schema: owner, privileges (the owner's own item first once granted), comment.
    assert_eq!(
        rows(
            "SELECT nspname, pg_get_userbyid(nspowner), nspacl, obj_description(oid, 'pg_namespace') \
             FROM pg_catalog.pg_namespace WHERE nspname = 'sales'"
        ),
        vec![s(&["sales", "alice", "{alice=UC/alice,bob=U/alice}", "Orders and customers"])]
    );
    assert_eq!(
        rows("SELECT catalog_name, schema_name, schema_owner FROM information_schema.schemata ORDER BY schema_name"),
        vec![
            s(&["rowchain", "information_schema", "rowchain"]),
            s(&["rowchain", "pg_catalog", "rowchain"]),
            s(&["rowchain", "public", "pg_database_owner"]),
            s(&["rowchain", "rowchain", "rowchain"]),
            s(&["rowchain", "sales", "alice"]),
        ]
    );
    // Each relation (and index) in its schema, by its name there.
    assert_eq!(
        rows(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname IN ('orders', 'customers', 'orders_pkey', 'customers_pkey', 'orders_note_idx', \
             'order_notes', 'customer_orders') ORDER BY 1, 2"
        ),
        vec![
            s(&["public", "order_notes", "v"]),
            s(&["public", "orders", "r"]),
            s(&["public", "orders_pkey", "i"]),
            s(&["sales", "customer_orders", "v"]),
            s(&["sales", "customers", "r"]),
            s(&["sales", "customers_pkey", "i"]),
            s(&["sales", "orders", "r"]),
            s(&["sales", "orders_note_idx", "i"]),
            s(&["sales", "orders_pkey", "i"]),
        ]
    );
    assert_eq!(
        rows(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables \
             WHERE table_name IN ('orders', 'customers', 'order_notes', 'customer_orders') ORDER BY 1, 2"
        ),
        vec![
            s(&["public", "order_notes", "VIEW"]),
            s(&["public", "orders", "BASE TABLE"]),
            s(&["sales", "customer_orders", "VIEW"]),
            s(&["sales", "customers", "BASE TABLE"]),
            s(&["sales", "orders", "BASE TABLE"]),
        ]
    );
    assert_eq!(
        rows(
            "SELECT schemaname, tablename, tableowner FROM pg_catalog.pg_tables WHERE tablename = 'orders' ORDER BY 1"
        ),
        vec![s(&["public", "orders", "alice"]), s(&["sales", "orders", "alice"])]
    );
    assert_eq!(
        rows(
            "SELECT table_schema, column_name, column_default FROM information_schema.columns \
             WHERE table_name = 'orders' AND column_name = 'id' ORDER BY 1"
        ),
        vec![s(&["public", "id", "NULL"]), s(&["sales", "id", "nextval('sales.orders_id_seq'::regclass)"])]
    );
    assert_eq!(
        rows(
            "SELECT schemaname, tablename, indexname, indexdef FROM pg_catalog.pg_indexes \
             WHERE tablename IN ('orders', 'customers') ORDER BY 1, 2, 3"
        ),
        vec![
            s(&[
                "public",
                "orders",
                "orders_pkey",
                "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)"
            ]),
            s(&[
                "sales",
                "customers",
                "customers_pkey",
                "CREATE UNIQUE INDEX customers_pkey ON sales.customers USING btree (id)",
            ]),
            s(&[
                "sales",
                "orders",
                "orders_note_idx",
                "CREATE INDEX orders_note_idx ON sales.orders USING btree (note)"
            ]),
            s(&["sales", "orders", "orders_pkey", "CREATE UNIQUE INDEX orders_pkey ON sales.orders USING btree (id)"]),
        ]
    );
}

#[test]
fn names_resolve_and_print_with_their_schema() {
    let view = with_sales();
    let rows = |sql: &str| table(&view.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")));
    let class = |schema: &str, name: &str| {
        let found = rows(&format!(
            "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = '{schema}' AND c.relname = '{name}'"
        ));
        match found.as_slice() {
            [row] => row[0].clone(),
            other => panic!("{schema}.{name}: {other:?}"),
        }
    };
    let (sales_orders, public_orders) = (class("sales", "orders"), class("public", "orders"));
    assert_ne!(sales_orders, public_orders);
    // A qualified name finds the schema's relation; an unqualified one public's.
    assert_eq!(
        rows("SELECT 'sales.orders'::regclass::oid, 'orders'::regclass::oid, 'public.orders'::regclass::oid"),
        vec![vec![sales_orders.clone(), public_orders.clone(), public_orders.clone()]]
    );
    // ::regclass prints a relation off the search path qualified; only
    // those on it are visible.
    assert_eq!(
        rows(&format!(
            "SELECT oid::regclass, pg_table_is_visible(oid) FROM pg_catalog.pg_class \
             WHERE oid IN ({sales_orders}, {public_orders}) ORDER BY 2"
        )),
        vec![s(&["sales.orders", "0"]), s(&["orders", "1"])]
    );
    assert_eq!(
        rows(&format!("SELECT relacl FROM pg_catalog.pg_class WHERE oid = {sales_orders}")),
        vec![s(&["{alice=arwdDxt/alice,bob=r/alice}"])]
    );
    // Foreign keys: within the schema and into it from public.
    assert_eq!(
        rows(
            "SELECT n.nspname, c.conname, pg_get_constraintdef(c.oid), c.confrelid = 'sales.customers'::regclass::oid \
             FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace \
             WHERE c.contype = 'f' AND c.conrelid IN ('orders'::regclass, 'sales.orders'::regclass) ORDER BY 1"
        ),
        vec![
            s(&["public", "orders_customer_id_fkey", "FOREIGN KEY (customer_id) REFERENCES sales.customers(id)", "1"]),
            s(&["sales", "orders_customer_id_fkey", "FOREIGN KEY (customer_id) REFERENCES sales.customers(id)", "1"]),
        ]
    );
    assert_eq!(
        rows(
            "SELECT constraint_schema, constraint_name, unique_constraint_schema, unique_constraint_name \
             FROM information_schema.referential_constraints WHERE constraint_name = 'orders_customer_id_fkey' ORDER BY 1"
        ),
        vec![
            s(&["public", "orders_customer_id_fkey", "sales", "customers_pkey"]),
            s(&["sales", "orders_customer_id_fkey", "sales", "customers_pkey"]),
        ]
    );
    assert_eq!(
        rows(
            "SELECT u.table_schema, u.table_name, u.column_name, k.table_schema, k.table_name, k.column_name \
             FROM information_schema.constraint_column_usage u JOIN information_schema.key_column_usage k \
             ON k.constraint_schema = u.constraint_schema AND k.constraint_name = u.constraint_name \
             WHERE u.constraint_name = 'orders_customer_id_fkey' ORDER BY 4"
        ),
        vec![
            s(&["sales", "customers", "id", "public", "orders", "customer_id"]),
            s(&["sales", "customers", "id", "sales", "orders", "customer_id"]),
        ]
    );
    // Names outside ASCII are quoted, and found quoted or not.
    let mut view = view;
    view.run_ddl(&[
        "CREATE SCHEMA \"Verkäufe\"",
        "COMMENT ON SCHEMA \"Verkäufe\" IS 'Bücher und Kunden'",
        "CREATE TABLE \"Verkäufe\".bücher (id integer PRIMARY KEY)",
    ]);
    let rows = |sql: &str| table(&view.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")));
    assert_eq!(
        rows(
            "SELECT n.nspname, c.relname, c.oid::regclass, c.oid = '\"Verkäufe\".bücher'::regclass::oid, \
             obj_description(n.oid, 'pg_namespace'), n.nspacl FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'bücher'"
        ),
        vec![s(&["Verkäufe", "bücher", "\"Verkäufe\".\"bücher\"", "1", "Bücher und Kunden", "NULL"])]
    );
    // Views name the tables they read as PostgreSQL prints them.
    assert_eq!(
        rows(
            "SELECT schemaname, viewname, definition FROM pg_catalog.pg_views \
             WHERE viewname IN ('order_notes', 'customer_orders') ORDER BY 1"
        ),
        vec![
            s(&["public", "order_notes", " SELECT orders.id,\n    orders.note\n   FROM sales.orders;"]),
            s(&[
                "sales",
                "customer_orders",
                " SELECT c.name,\n    o.id\n   FROM (sales.customers c\n     JOIN sales.orders o ON ((o.customer_id = c.id)));",
            ]),
        ]
    );
    assert_eq!(
        rows(
            "SELECT pg_get_viewdef('sales.customer_orders'::regclass, true), pg_get_ruledef(r.oid, true) \
             FROM pg_catalog.pg_rewrite r WHERE r.ev_class = 'sales.customer_orders'::regclass"
        ),
        vec![s(&[
            " SELECT c.name,\n    o.id\n   FROM sales.customers c\n     JOIN sales.orders o ON o.customer_id = c.id;",
            "CREATE RULE \"_RETURN\" AS\n    ON SELECT TO sales.customer_orders DO INSTEAD  SELECT c.name,\n    o.id\n   \
             FROM sales.customers c\n     JOIN sales.orders o ON o.customer_id = c.id;",
        ])]
    );
}

#[test]
fn mysql_sees_a_schema_as_a_database() {
    let view = with_sales();
    assert_eq!(
        view.mysql_as("alice", "SELECT SCHEMA_NAME, SCHEMA_COMMENT FROM information_schema.SCHEMATA ORDER BY 1"),
        vec![s(&["information_schema", ""]), s(&["rowchain", ""]), s(&["sales", "Orders and customers"])]
    );
    let tables = "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES \
                  WHERE TABLE_NAME IN ('orders', 'customers', 'order_notes', 'customer_orders') ORDER BY 1, 2";
    assert_eq!(
        view.mysql_as("alice", tables),
        vec![
            s(&["rowchain", "order_notes", "VIEW"]),
            s(&["rowchain", "orders", "BASE TABLE"]),
            s(&["sales", "customer_orders", "VIEW"]),
            s(&["sales", "customers", "BASE TABLE"]),
            s(&["sales", "orders", "BASE TABLE"]),
        ]
    );
    // bob may read sales.orders, not public's orders of the same name.
    assert_eq!(view.mysql_as("bob", tables), vec![s(&["sales", "orders", "BASE TABLE"])]);
    assert_eq!(
        view.mysql_as(
            "alice",
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, \
             REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_NAME = 'orders' AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY 1"
        ),
        vec![
            s(&["rowchain", "orders", "customer_id", "sales", "customers", "id"]),
            s(&["sales", "orders", "customer_id", "sales", "customers", "id"]),
        ]
    );
    assert_eq!(
        view.mysql_as(
            "alice",
            "SELECT TABLE_SCHEMA, INDEX_SCHEMA, INDEX_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_NAME = 'orders' ORDER BY 1, 3"
        ),
        // MySQL's information_schema compares (and sorts) without regard to case.
        vec![
            s(&["rowchain", "rowchain", "PRIMARY"]),
            s(&["sales", "sales", "orders_note_idx"]),
            s(&["sales", "sales", "PRIMARY"]),
        ]
    );
    assert_eq!(
        view.mysql_as(
            "alice",
            "SELECT VIEW_DEFINITION FROM information_schema.VIEWS ORDER BY TABLE_SCHEMA, TABLE_NAME"
        )
        .into_iter()
        .filter(|r| r[0].contains("orders"))
        .collect::<Vec<_>>(),
        vec![
            s(&["select `sales`.`orders`.`id` AS `id`,`sales`.`orders`.`note` AS `note` from `sales`.`orders`"]),
            s(&[
                "select `c`.`name` AS `name`,`o`.`id` AS `id` from (`sales`.`customers` `c` join `sales`.`orders` `o` \
                 on(`o`.`customer_id` = `c`.`id`))",
            ]),
        ]
    );
}
