//! Data-driven planner tests: every case in `CASES` is planned and its
//! result printed into `cases.txt`, and every case in `MYSQL_CASES` is
//! planned as MySQL into `mysql_cases.txt` (`UPDATE_EXPECT=1` rewrites them).

mod common;

use common::{describe_error, TableSchema};
use expect_test::expect_file;
use sqlmap::{plan_dialect, plan_in, plan_with_text_dialect, ColumnDef, DdlPlan, Dialect, PgType, Plan, PlanError};

const CASES: &[&str] = &[
    // -- empty input and multi-statement strings
    "",
    "   \n\t ",
    "-- only a comment\n/* and another */",
    "SELECT 1; SELECT 2;",
    "BEGIN; INSERT INTO t (a) VALUES ($1); COMMIT",
    // -- reads
    "SELECT * FROM t",
    "select A, \"B\" from Accounts as X where x.a = $2 and b = $1",
    "SELECT a FROM public.t WHERE flag = TRUE OR other = false",
    "SELECT t.a, u.b FROM t JOIN u ON t.id = u.t_id LEFT JOIN v USING (id) ORDER BY 1 DESC LIMIT 10 OFFSET 5",
    "SELECT a FROM t OFFSET 3",
    "WITH recent AS (SELECT * FROM orders WHERE id > 10) SELECT * FROM recent JOIN customers c ON c.id = recent.cid",
    "SELECT a FROM t UNION ALL SELECT b FROM u EXCEPT SELECT c FROM v",
    // parenthesized compound operands: SQLite's grammar takes none
    "(SELECT a FROM t ORDER BY a LIMIT 1) UNION (SELECT b FROM u) UNION ALL (WITH w AS (SELECT 3) SELECT * FROM w) ORDER BY 1 LIMIT 2",
    // JSON paths: the executor's and readers' function, refused in DDL
    "SELECT $1::jsonb #> '{a,b}', x #>> $2 FROM t",
    "CREATE TABLE jd (d jsonb CHECK (d #>> '{a}' <> ''))",
    "SELECT * FROM t WHERE id IN (SELECT t_id FROM u) AND EXISTS (SELECT 1 FROM w WHERE w.x = t.x)",
    "VALUES (1, 'a'), (2, 'b')",
    "SELECT x::int, CAST(y AS text), z::numeric(10,2), w::float8, v::bigint, b::bool, 'yes'::boolean, d::date, j::jsonb",
    "SELECT name FROM people WHERE name ILIKE 'al%' AND city NOT ILIKE $1",
    "SELECT char_length(a), character_length(b), substring(c from 2 for 3), substring(c from 2), position('x' in d), greatest(1, 2, 3), least(a, b), btrim(e), strpos(f, 'g'), concat(a, 'b', c), lower(unknown_fn(a))",
    "SELECT trim(both 'x' from a), trim(leading from b), trim(trailing 'y' from c)",
    "SELECT extract(year from created), extract(epoch from created) FROM t",
    "SELECT a || b, CASE WHEN a > 1 THEN 'big' ELSE 'small' END, a BETWEEN 1 AND 5, a IS NULL, count(*), sum(DISTINCT b) FROM t GROUP BY a, b HAVING count(*) > 1",
    "SELECT now(), current_timestamp, current_date, localtimestamp, transaction_timestamp(), statement_timestamp()",
    "SELECT random(), gen_random_uuid()",
    "SELECT E'a\\nb', $$dollar$$, DATE '2024-01-02'",
    "SELECT * FROM rowchain.blocks b JOIN rowchain.transactions t ON t.height = b.height",
    "SELECT * FROM t FOR UPDATE",
    "SELECT * FROM t WHERE a = ANY($1)",
    "SELECT now() + interval '1 day'",
    "SELECT a # 5 > 0, 6 # 3 FROM t",
    "SELECT DISTINCT ON (a) a FROM t",
    "SELECT id FROM t ORDER BY id OFFSET (1) ROWS FETCH FIRST (2) ROWS ONLY",
    "SELECT id FROM t ORDER BY id FETCH NEXT ( $1 ) ROW ONLY",
    "SELECT id FROM t ORDER BY id FETCH FIRST (1 + 1) ROWS ONLY",
    "SELECT id FROM t ORDER BY id FETCH FIRST ROW ONLY",
    "UPDATE t SET note = regexp_replace(note, '(a)(b)', '\\2\\1', 'g') WHERE regexp_replace(note, 'x', 'y') <> note",
    "SELECT regexp_replace(note, 'a', 'b', 1, 2) FROM t",
    "SELECT id FROM t ORDER BY id FETCH FIRST 2 ROWS WITH TIES",
    "SELECT id FROM t LIMIT 1 FETCH FIRST 2 ROWS ONLY",
    // -- reserved names, schemas, system views
    "SELECT * FROM sqlite_master",
    "SELECT __rc_secret FROM t",
    "SELECT * FROM other.t",
    "SELECT * FROM pg_catalog.pg_class",
    "SELECT * FROM rowchain.nothing",
    "INSERT INTO rowchain.blocks (height) VALUES (1)",
    "DELETE FROM rowchain.transactions",
    "CREATE TABLE __rc_x (id int PRIMARY KEY)",
    "CREATE TABLE t (sqlite_col int)",
    // -- inserts
    "INSERT INTO t (a, b) VALUES (1, 'x'), ($1, $2)",
    "INSERT INTO Public.T VALUES ($3, now(), current_date)",
    "INSERT INTO t DEFAULT VALUES",
    "INSERT INTO t (a) SELECT b FROM u WHERE c > $1",
    "INSERT INTO t (id, n) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n RETURNING *",
    "INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING",
    "INSERT INTO t (id) SELECT id FROM u ON CONFLICT (id) DO NOTHING",
    "INSERT INTO t (id) VALUES (1) ON CONFLICT DO UPDATE SET id = 2",
    "INSERT INTO t (id) VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING",
    "INSERT INTO t (id, at) VALUES (1, random())",
    "INSERT INTO t (id) VALUES (gen_random_uuid())",
    "INSERT INTO t (id) VALUES (uuid_generate_v4())",
    "INSERT INTO t (x) VALUES (clock_timestamp())",
    "INSERT INTO t (x) VALUES (last_insert_rowid())",
    "INSERT INTO t (x) SELECT 1 WHERE random() > 0.5",
    "INSERT INTO t (__rc_x) VALUES (1)",
    // -- updates and deletes
    "UPDATE t SET a = a + 1, b = $1 WHERE id = $2 RETURNING a, b",
    "UPDATE t SET total = u.total FROM u WHERE t.id = u.id",
    "UPDATE t SET at = now(), touched = TRUE WHERE id IN (SELECT t_id FROM u)",
    "UPDATE t SET x = random()",
    // MySQL's LAST_INSERT_ID() is this session value: refused in writes.
    "UPDATE t SET x = current_setting('rowchain.last_insert_id', true)::bigint",
    "SELECT current_setting('rowchain.last_insert_id', true)",
    "DELETE FROM t WHERE id = $1 RETURNING *",
    "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE a > 3)",
    "DELETE FROM t USING u WHERE t.a = u.a",
    // -- create table: every type
    "CREATE TABLE all_types (a int2, b smallint, c int4, d int, e integer, f int8, g bigint, h numeric(10,2), i decimal, j real, k float4, l double precision, m float8, n float, o text, p varchar(20), q character varying(5), r char(3), s character(2), t bpchar, u boolean, v bool, w date, x timestamp, y timestamp without time zone, z timestamptz, aa timestamp with time zone, ab bytea, ac json, ad jsonb, ae uuid)",
    "CREATE TABLE s1 (id serial PRIMARY KEY, n text)",
    "CREATE TABLE s2 (id bigserial PRIMARY KEY)",
    "CREATE TABLE s3 (id smallserial, PRIMARY KEY (id))",
    "CREATE TABLE s4 (id int, n serial, PRIMARY KEY (id))",
    "CREATE TABLE s5 (a int, b text, PRIMARY KEY (a, b))",
    "CREATE TABLE s6 (k text PRIMARY KEY, v int NOT NULL DEFAULT 0 CHECK (v >= 0))",
    "CREATE TABLE IF NOT EXISTS Orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id) ON DELETE CASCADE ON UPDATE RESTRICT, code varchar(8) UNIQUE, created timestamptz DEFAULT now(), CONSTRAINT positive CHECK (id > 0), UNIQUE (customer_id, code), FOREIGN KEY (code) REFERENCES codes (code) ON DELETE SET NULL)",
    "CREATE TABLE s7 (id int PRIMARY KEY, b int, PRIMARY KEY (b))",
    "CREATE TABLE s8 (a money)",
    "CREATE TABLE s9 (a int[])",
    "CREATE TABLE s9b (a \"point\")",
    "CREATE TABLE s10 (id uuid PRIMARY KEY DEFAULT gen_random_uuid())",
    "CREATE TABLE s11 (id int PRIMARY KEY, r float8 DEFAULT random())",
    "CREATE TABLE s12 (id int PRIMARY KEY, d date DEFAULT current_date, ok bool DEFAULT TRUE)",
    "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE",
    "BEGIN NOT DEFERRABLE, READ WRITE; SET TRANSACTION DEFERRABLE; SELECT deferrable FROM t",
    "CREATE TEMP TABLE tt (a int)",
    "CREATE TEMPORARY TABLE IF NOT EXISTS tt (id serial PRIMARY KEY, n numeric(10,2)) ON COMMIT DELETE ROWS",
    "CREATE GLOBAL TEMPORARY TABLE tt (a int) ON COMMIT DROP",
    "CREATE TEMP TABLE \"it's\" (id serial, n bigserial, name text)",
    "CREATE TABLE tt (a int) ON COMMIT DROP",
    "DROP TABLE tt",
    "CREATE TABLE ta AS SELECT * FROM t",
    "CREATE TABLE rowchain.blocks (a int)",
    "CREATE TABLE other.x (a int)",
    // -- drop, alter, index
    "DROP TABLE t",
    "DROP TABLE IF EXISTS a, public.B CASCADE",
    "DROP TABLE rowchain.blocks",
    "ALTER TABLE t RENAME TO u",
    "ALTER TABLE t ADD COLUMN c varchar(10) NOT NULL DEFAULT 'x'",
    "ALTER TABLE t ADD d int",
    "ALTER TABLE t ADD COLUMN e timestamptz DEFAULT now()",
    "ALTER TABLE t ADD COLUMN f int UNIQUE",
    "ALTER TABLE t RENAME COLUMN a TO b",
    "ALTER TABLE t RENAME COLUMN a TO sqlite_b",
    "ALTER TABLE t DROP COLUMN a",
    "CREATE INDEX idx_t_a ON t (a)",
    "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a, b DESC)",
    "CREATE INDEX ON t (lower(name))",
    "CREATE INDEX p ON t (a) WHERE b > 0",
    "CREATE INDEX __rc_i ON t (a)",
    "DROP INDEX i",
    "DROP INDEX IF EXISTS i, j",
    // -- transactions and session
    "BEGIN",
    "BEGIN ISOLATION LEVEL SERIALIZABLE",
    "START TRANSACTION READ WRITE",
    "COMMIT",
    "END",
    "ROLLBACK",
    "ABORT",
    "SAVEPOINT Sp1",
    "RELEASE SAVEPOINT sp1",
    "RELEASE sp1",
    "ROLLBACK TO SAVEPOINT sp1",
    "SET search_path = public",
    "SET application_name TO 'psql'",
    "SET TIME ZONE 'UTC'",
    "SET extra_float_digits = 3",
    "SHOW server_version",
    "SHOW TRANSACTION ISOLATION LEVEL",
    "RESET ALL",
    "RESET statement_timeout",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "SET TRANSACTION READ ONLY",
    "SELECT ARRAY['a'] || ARRAY['b'], 'x' || 'y', c.reloptions || array(SELECT 'toast.' || x FROM unnest(t.reloptions) x) FROM pg_class c, pg_class t",
    // -- views
    "CREATE VIEW v AS SELECT 1",
    "create or replace view Big (n, \"Total\") with (security_invoker = true, security_barrier) as select a, sum(amount) from ledger where amount > 1.5 group by a",
    "CREATE VIEW v WITH (security_invoker) AS SELECT * FROM t",
    "CREATE TEMP VIEW tv AS SELECT * FROM t",
    "CREATE VIEW v AS SELECT a FROM t WHERE b = $1",
    "CREATE VIEW v (a, a) AS SELECT 1, 2",
    "CREATE VIEW v WITH (check_option = local) AS SELECT * FROM t",
    "CREATE VIEW v WITH (security_invoker = maybe) AS SELECT * FROM t",
    "CREATE VIEW v WITH (fillfactor = 10) AS SELECT * FROM t",
    "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t",
    "CREATE VIEW pg_catalog.v AS SELECT 1",
    "DROP VIEW IF EXISTS v, w CASCADE",
    "DROP MATERIALIZED VIEW mv",
    "DROP VIEW v",
    // -- unsupported statements
    "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
    "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
    "TRUNCATE t",
    "VACUUM",
    "COPY t FROM STDIN",
    "EXPLAIN SELECT 1",
    // -- parse errors with positions
    "SELECT 1 +",
    "SELECT\n  foo bar baz",
    "SELEC 1",
    "INSERT INTO t VALUES (1",
    "SELECT 1; SELEC 2",
    "SELECT $0",
    // -- statements the proxy carries out: roles, COPY, maintenance
    "CREATE ROLE alice LOGIN PASSWORD 'wonder'",
    "CREATE ROLE bob SUPERUSER PASSWORD 'x'",
    "ALTER ROLE Alice PASSWORD 'land'",
    "ALTER ROLE alice RENAME TO carol",
    "DROP ROLE IF EXISTS alice, bob",
    "COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER true, NULL 'NA')",
    "COPY t FROM '/etc/passwd'",
    "COPY t TO STDOUT",
    "COPY t (a, b) TO STDOUT WITH (FORMAT csv, HEADER)",
    "COPY (SELECT a FROM t WHERE b > $1 ORDER BY a) TO STDOUT (FORMAT binary)",
    "COPY t TO '/tmp/out'",
    "COPY t (a) TO STDIN BINARY",
    "COPY t (a, b) FROM STDIN (FORMAT binary)",
    "ALTER TABLE t ADD PRIMARY KEY (a, b)",
    "ALTER TABLE book ADD CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE CASCADE",
    "ALTER TABLE book ADD FOREIGN KEY (a, b) REFERENCES author NOT VALID",
    "ALTER TABLE book ADD CONSTRAINT book_title_key UNIQUE (title, author_id)",
    "ALTER TABLE book ADD UNIQUE (title)",
    // -- comments (and the constraint names they refer to)
    "CREATE TABLE email (address_id int, x text, CONSTRAINT email_ad_pk PRIMARY KEY (address_id, x))",
    "CREATE TABLE named_pk (id int CONSTRAINT named_pk_id PRIMARY KEY, v text)",
    "COMMENT ON TABLE comment_test IS 'the test % '' \" \\ table comment'",
    "COMMENT ON COLUMN public.comment_test.d3 IS E'Comment\\nwith\\rescapes'",
    "COMMENT ON COLUMN comment_test IS 'x'",
    "COMMENT ON INDEX ix_email IS NULL",
    "COMMENT ON CONSTRAINT \"Email_Ad_PK\" ON public.email IS 'ea pk comment';",
    "comment on constraint zz_test2_gt_zero on users is null",
    "COMMENT ON CONSTRAINT c ON t IS 'a'; SELECT 1",
    "COMMENT ON CONSTRAINT c ON pg_catalog.pg_class IS 'a'",
    "COMMENT ON TABLE rowchain.blocks IS 'a'",
    "COMMENT ON SCHEMA public IS 'standard public schema'",
    "TRUNCATE TABLE a, b",
    "VACUUM ANALYZE t",
    "copy pgbench_accounts from stdin with (freeze on)",
    "SELECT v.a, w.c FROM (VALUES (1, 'x'), (2, 'y')) AS v(a, b) JOIN (SELECT id, n FROM t) AS w(c) ON w.c = v.a",
    "INSERT INTO t (name, bio) SELECT p0::VARCHAR, p1::TEXT FROM (VALUES ('a', NULL, 0), ('b', NULL, 1)) AS imp_sen(p0, p1, sen_counter) ORDER BY sen_counter RETURNING t.id",
    // -- column types from the schema (TestSchema: typed, other)
    "SELECT flag::text, amount::text, typed.flag::varchar, t2.amount::text, id::text FROM typed t2",
    "SELECT (SELECT flag::text FROM typed WHERE typed.id = o.id), o.flag::text FROM other o",
    "SELECT flag::text FROM typed JOIN other USING (id)",
    "SELECT '12'::int, ' 7 '::bigint, 'x'::integer, n::int, id::int, n::numeric, amount::float8, doc::jsonb, n::jsonb, n::json, flag::boolean, n::bool",
    "SELECT 'maybe'::boolean",
    "SELECT n FROM typed WHERE id = ' 7' AND '2.50' <= amount AND flag <> 'no' AND n = 'x'",
    "SELECT n FROM typed WHERE id = 'x'",
    "SELECT id / 2, mod(id, 3) FROM typed WHERE amount / 2 > 1",
    "CREATE TABLE c2 (a int CHECK (a / 2 < 10))",
    "CREATE TABLE i1 (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n text)",
    "CREATE TABLE i2 (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
    "CREATE TABLE i3 (id int PRIMARY KEY, seq int GENERATED BY DEFAULT AS IDENTITY)",
    "SELECT count(*), sum(amount), upper(n), flag::text, '1'::int, 1 + 1, CASE WHEN flag THEN 1 END, (SELECT max(id) FROM other), EXISTS (SELECT 1), 'x'::pg_catalog.text FROM typed",
    "DELETE FROM typed WHERE amount > 'lots'",
    "INSERT INTO typed VALUES (1, 'yes', 2.5, '{\"b\": 1, \"a\": 2}', '[1, 2]', $1)",
    "INSERT INTO typed (doc, flag, id) VALUES ($1, $2, 3), (NULL, DEFAULT, 4), ('{}', 'off', 5)",
    "INSERT INTO typed (id, flag) VALUES (1, 'sometimes')",
    "INSERT INTO typed (id, doc) SELECT p0, p1::jsonb FROM (VALUES (1, '{}')) AS imp(p0, p1)",
    "INSERT INTO typed (id, doc) VALUES (1, '[]') ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, flag = 't'",
    "UPDATE typed SET doc = $1, flag = 'f', n = 'x' WHERE flag::text = 'true' RETURNING amount::text",
    "DELETE FROM typed AS d WHERE d.flag::text = $1",
    // -- exact numeric (TestSchema: ledger)
    "SELECT 0.1 + 0.2 = 0.3, 1.5 * 2, 7 % 2.5, 1 / 3.0, -amount, 2 + 3 FROM ledger",
    "SELECT sum(amount), avg(amount), sum(DISTINCT rate), sum(id), avg(weight), sum(amount) OVER (ORDER BY id), min(amount), max(rate) FROM ledger",
    "SELECT round(amount), round(rate, 2), trunc(amount, 1), abs(amount), ceil(rate), floor(amount), sign(amount), mod(amount, 3), round(weight) FROM ledger",
    "SELECT coalesce(sum(amount), 0), greatest(amount, 1), CASE WHEN id > 1 THEN amount ELSE 0 END FROM ledger",
    "SELECT id FROM ledger WHERE amount > 10 AND rate = 1.50 AND amount * 2 >= id AND amount BETWEEN 1 AND 2.5 AND rate IN (1, 2.5) AND weight > 1.5",
    "SELECT id FROM ledger WHERE (SELECT sum(amount) FROM ledger) > 100 AND amount < $1 AND weight * 1.5 > id",
    "SELECT amount::int, rate::bigint, 2.5::int, amount::float8, amount::text, '1.005'::numeric(5,2), rate::numeric(6,1), weight::numeric FROM ledger",
    "SELECT 'abc'::numeric",
    "SELECT 123456.789::numeric(5,2)",
    "INSERT INTO ledger (id, amount, rate, weight) VALUES (1, 1.005, '2.50', 0.1), (2, -3, 1e3, 2), (3, $1, $2 * 2, $3)",
    "INSERT INTO ledger (id, amount) VALUES (1, 12345678901.5)",
    "INSERT INTO ledger (id, amount) VALUES (1, 'ten')",
    "UPDATE ledger SET amount = amount * 1.1, rate = rate / 3 WHERE amount - 0.5 < 0 RETURNING amount + 1",
    "INSERT INTO ledger (id, amount) SELECT id, amount / 2 FROM ledger ON CONFLICT (id) DO UPDATE SET amount = excluded.amount + ledger.amount",
    "CREATE TABLE money (id int PRIMARY KEY, price numeric(10,2) DEFAULT 0, fee numeric(6,3) DEFAULT -1.5 CHECK (fee < 100), qty decimal UNIQUE)",
    "CREATE TABLE c1 (j jsonb DEFAULT '{}'::jsonb, n int CHECK (n::text <> 'x'), b boolean DEFAULT 'true'::boolean)",
    // -- catalog queries (sqlmap/src/catalog.rs)
    "SELECT relname FROM pg_catalog.pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    "INSERT INTO pg_catalog.pg_class (oid) VALUES (1)",
    "DELETE FROM information_schema.tables",
    "INSERT INTO t (a) SELECT oid FROM pg_catalog.pg_class",
    "SELECT 'parent'::regclass, 'public.parent'::pg_catalog.regclass::oid, c.oid::pg_catalog.regclass FROM pg_class c WHERE c.oid = 'parent'::regclass",
    "SELECT conrelid::pg_catalog.regclass AS ontable, c.reloftype::pg_catalog.regtype::pg_catalog.text, stxnamespace::pg_catalog.regnamespace::pg_catalog.text, CAST(CAST(x AS REGCLASS) AS TEXT) FROM t",
    "SELECT attname::text, typname::name, oid::oid, 'x'::pg_catalog.text, prattrs::pg_catalog.int2[], indkey::int2vector FROM t",
    "SELECT 1 WHERE c.relname OPERATOR(pg_catalog.~) '^(parent)$' COLLATE pg_catalog.default",
    "SELECT a ~ 'x', a !~ '^pg_', a ~* 'X', a !~* 'y' FROM t",
    "SELECT 1 FROM t WHERE relkind = ANY (ARRAY['r', 'p']) AND kind <> ALL (ARRAY['i']) AND n.nspname = ANY(current_schemas(true)) AND 'd' = any(stxkind) AND a = ANY(SELECT b FROM u)",
    "SELECT a FROM t WHERE a > ANY(ARRAY[1])",
    "SELECT ARRAY(SELECT b.rolname FROM pg_roles b WHERE b.oid = r.oid ORDER BY 1) AS memberof, ARRAY[1, 2] FROM pg_roles r",
    "SELECT prattrs[s], (r.keys).x, (information_schema._pg_expandarray(i.indkey)).n, information_schema._pg_expandarray(i.indkey) AS keys FROM pg_index i",
    "SELECT indexrelid, unnest(indkey) AS attnum, generate_subscripts(indkey, 1) AS ord FROM pg_catalog.pg_index",
    "SELECT unnest(a) FROM t GROUP BY a",
    "SELECT string_agg(attname, ', ') FROM pg_catalog.generate_series(0, pg_catalog.array_upper(p.prattrs, 1)) s, pg_attribute WHERE attnum = prattrs[s]",
    "SELECT u.tgrelid FROM pg_trigger AS u, pg_catalog.pg_partition_ancestors(t.tgrelid) WITH ORDINALITY AS a(relid, depth) ORDER BY a.depth",
    "SELECT 'toast.' || x FROM pg_catalog.unnest(tc.reloptions) x",
    "SELECT * FROM other_fn(1)",
    "SELECT o.n, pg_catalog.count(i.inhparent) FROM pg_catalog.pg_class AS c CROSS JOIN LATERAL (SELECT pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) AS o(n) WHERE o.n IS NOT NULL GROUP BY 1",
    "SELECT current_user, session_user, user, current_schema, current_schema(), current_role, current_catalog, \"current_user\" FROM t",
    "SELECT array_agg(attname ORDER BY attnum), bool_and(x), bool_or(y), json_build_object('a', 1) FROM t",
    "SELECT pg_catalog.version(), pg_catalog.format_type(23, -1), information_schema._pg_truetypid(a, t)",
    "SELECT a FROM t WHERE a LIKE 't\\_x%' AND b NOT LIKE 'y' ESCAPE '!' AND c ILIKE 'z_'",
    "SELECT E'\\n', CASE c.relkind WHEN 'r' THEN 'table' END FROM pg_catalog.pg_class c",
    // -- access control (sqlmap/src/access.rs)
    "GRANT SELECT, UPDATE (b, a) ON t TO bob, PUBLIC",
    "GRANT ALL ON TABLE t, u TO alice",
    "REVOKE INSERT ON t FROM public",
    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO bob",
    "GRANT SELECT (a) ON t TO bob",
    "GRANT admin TO bob",
    "GRANT SELECT ON t TO bob WITH GRANT OPTION",
    "GRANT SELECT ON rowchain.blocks TO bob",
    "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE t DISABLE ROW LEVEL SECURITY",
    "CREATE POLICY own ON t AS RESTRICTIVE FOR UPDATE TO bob, public USING (owner = current_user) WITH CHECK (a < 5)",
    "CREATE POLICY cap ON t FOR INSERT WITH CHECK ((SELECT count(*) FROM t WHERE owner = current_user) < 5)",
    "CREATE POLICY p ON t USING (random() > 0.5)",
    "CREATE POLICY p ON t FOR INSERT USING (true)",
    "CREATE POLICY p ON t FOR DELETE WITH CHECK (true)",
    "DROP POLICY IF EXISTS p ON t",
    "INSERT INTO t (owner, h) VALUES (current_user, rowchain.tx_hash())",
    // -- row filters: reads of `guarded` (TestSchema) are filtered everywhere
    "SELECT g.a FROM guarded g JOIN other ON other.id = g.id WHERE EXISTS (SELECT 1 FROM guarded)",
    "SELECT guarded.a FROM public.guarded UNION SELECT 1",
    "WITH guarded AS (SELECT 1 AS a) SELECT a FROM guarded",
    "SELECT * FROM (WITH other AS (SELECT 1 AS a) SELECT a FROM other) x, other",
    "INSERT INTO other (id) SELECT id FROM guarded",
    "UPDATE guarded SET a = 1 WHERE id IN (SELECT id FROM guarded)",
    "DELETE FROM guarded g WHERE g.a = 2",
    "SELECT a FROM guarded WHERE 1 / (a - 2) = 1",
    "UPDATE guarded SET a = 1 WHERE 10 / a > 1",
    "DELETE FROM guarded WHERE a::int > 1",
    "SELECT count(*), lower(n) FROM guarded WHERE id = $1 GROUP BY lower(n) ORDER BY abs(id)",
    "UPDATE guarded SET a = 1 / a",
    // -- schemas: a relation of schema s is the SQLite table "s.name"
    "CREATE SCHEMA sales",
    "CREATE SCHEMA IF NOT EXISTS Sales AUTHORIZATION alice",
    "CREATE SCHEMA AUTHORIZATION bob",
    "CREATE SCHEMA pg_mine",
    "CREATE SCHEMA \"a.b\"",
    "CREATE SCHEMA __rc_x",
    "CREATE SCHEMA db.s",
    "DROP SCHEMA IF EXISTS sales, other CASCADE",
    "DROP SCHEMA sales",
    "GRANT USAGE, CREATE ON SCHEMA sales TO alice, PUBLIC",
    "REVOKE ALL ON SCHEMA sales FROM alice",
    "GRANT SELECT ON SCHEMA sales TO alice",
    "GRANT SELECT ON ALL TABLES IN SCHEMA sales, public TO bob",
    "COMMENT ON SCHEMA sales IS 'the sales team''s tables'",
    "CREATE TABLE sales.orders (id int PRIMARY KEY, customer int REFERENCES sales.customers (id), note text)",
    "CREATE TABLE public.\"odd.name\" (id int PRIMARY KEY)",
    "CREATE INDEX orders_note ON sales.orders (note)",
    "CREATE INDEX ON sales.orders (customer)",
    "DROP INDEX sales.orders_note",
    "ALTER TABLE sales.orders RENAME TO purchases",
    "ALTER TABLE sales.orders RENAME TO other.purchases",
    "SELECT orders.id, sales.orders.note FROM sales.orders WHERE orders.customer = $1",
    "SELECT o.id FROM sales.orders o JOIN public.orders p ON p.id = o.id",
    "INSERT INTO sales.orders (id, note) VALUES ($1, $2)",
    "UPDATE sales.orders SET note = 'x' WHERE orders.id = 1",
    "DELETE FROM sales.orders WHERE id = 1",
    "SELECT * FROM \"a.b\".c",
    "SELECT * FROM sqlite_x.t",
    // -- materialized views
    "CREATE MATERIALIZED VIEW mv AS SELECT a, count(*) FROM t GROUP BY a",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS sales.mv (x) AS SELECT note FROM sales.orders",
    "CREATE MATERIALIZED VIEW dice AS SELECT random() AS r, now() AS at",
    "CREATE MATERIALIZED VIEW ids AS SELECT gen_random_uuid()",
    "CREATE OR REPLACE MATERIALIZED VIEW mv AS SELECT 1",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY sales.mv",
    "REFRESH MATERIALIZED VIEW mv WITH NO DATA",
    "DROP MATERIALIZED VIEW IF EXISTS mv, sales.mv CASCADE",
];

/// MySQL text, planned with `Dialect::MySql` against the same schema.
const MYSQL_CASES: &[&str] = &[
    // -- lexical: identifiers fold, "strings", backslash escapes, comments, LIMIT a, b
    "SELECT `Name`, Other, `t`.`A` FROM `Accounts` AS `T` WHERE b = \"x\" # a comment",
    "select 'it\\'s', 'tab\\there', 'new\\nline', 'a\\\\b', \"dq \\\"x\\\"\" -- trailing comment",
    "SELECT a FROM t WHERE a LIKE 'x\\_y%' LIMIT 5, 10",
    "SELECT a FROM t WHERE a LIKE '%Engine%' AND b NOT LIKE 'x!%' ESCAPE '!'",
    "SELECT a FROM t WHERE a LIKE BINARY '%Engine%'",
    "SELECT a FROM t WHERE BINARY a LIKE 'E%'",
    "SELECT a FROM t LIMIT 3",
    "SELECT a FROM t WHERE id = ? AND b IN (?, ?) LIMIT ?, ?",
    "SELECT 1 -- a comment\n; SELECT 2",
    "SELECT 1--1",
    "SELECT * FROM rowchain.t JOIN Rowchain.U USING (id)",
    "SELECT * FROM other_db.t",
    "SELECT * FROM rowchain.blocks",
    "SELECT * FROM information_schema.tables",
    "SELECT 'ñ', `数据`.`André` FROM `数据`",
    // -- DDL: types, AUTO_INCREMENT, UNSIGNED, ENUM, SET, options
    "CREATE TABLE `Users` (`Id` INT UNSIGNED NOT NULL AUTO_INCREMENT, name VARCHAR(64) NOT NULL, PRIMARY KEY (`Id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=10",
    "CREATE TEMPORARY TABLE `Scratch` (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB",
    "DROP TEMPORARY TABLE IF EXISTS `Scratch`",
    "CREATE TABLE s (id BIGINT AUTO_INCREMENT PRIMARY KEY, n TEXT)",
    "CREATE TABLE s (id SMALLINT NOT NULL AUTO_INCREMENT, UNIQUE KEY (id))",
    "CREATE TABLE s (id DOUBLE AUTO_INCREMENT PRIMARY KEY)",
    "CREATE TABLE all_types (a TINYINT(1), b BOOL, c TINYINT, d TINYINT UNSIGNED, e SMALLINT, f SMALLINT UNSIGNED, g MEDIUMINT, h MEDIUMINT UNSIGNED, i INT, j INTEGER UNSIGNED, k BIGINT, l BIGINT UNSIGNED, m FLOAT, n DOUBLE, o DOUBLE UNSIGNED, p REAL, q DECIMAL(10,2), r DECIMAL, s DECIMAL(5) UNSIGNED, t CHAR(3), u VARCHAR(255), v TEXT, w TINYTEXT, x MEDIUMTEXT, y LONGTEXT, z BLOB, aa TINYBLOB, ab MEDIUMBLOB, ac LONGBLOB, ad VARBINARY(16), ae DATE, af DATETIME, ag DATETIME(6), ah TIMESTAMP, ai TIMESTAMP(3), aj JSON)",
    "CREATE TABLE e (id INT PRIMARY KEY, mood ENUM('happy', 'sad', 'it''s') NOT NULL DEFAULT 'happy', tags SET('a', 'b', 'c'))",
    "CREATE TABLE e (s SET('a,b'))",
    "CREATE TABLE c (id INT PRIMARY KEY, note VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT 'free text', at DATETIME DEFAULT CURRENT_TIMESTAMP, at2 TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3))",
    "CREATE TABLE cm (id INT PRIMARY KEY COMMENT 'the key', note TEXT COMMENT '') ENGINE=InnoDB COMMENT='a table''s comment' DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE cm2 (id INT) COMMENT ''",
    "SELECT id FROM t WHERE note REGEXP '^(b|c)' AND note NOT REGEXP 'x.z' AND note RLIKE BINARY 'A'",
    "SELECT REGEXP_REPLACE(note, 'a.c', 'X') FROM t",
    "SELECT REGEXP_REPLACE(note, 'a', 'X', 2) FROM t",
    "ALTER TABLE cm COMMENT = 'a new comment'",
    "ALTER TABLE rowchain.cm COMMENT ''",
    "ALTER TABLE cm COMMENT 5",
    "ALTER TABLE cm ADD COLUMN c INT COMMENT 'added'",
    "CREATE TABLE c (id INT PRIMARY KEY, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
    "CREATE TABLE c (id INT PRIMARY KEY, b INT, KEY idx_b (b))",
    "CREATE TABLE c (id INT PRIMARY KEY, b INT, UNIQUE KEY uk_b (b), CONSTRAINT fk FOREIGN KEY (b) REFERENCES `Other` (id))",
    "CREATE TABLE c (t TIME)",
    "ALTER TABLE t ADD COLUMN flag TINYINT(1) NOT NULL DEFAULT 0",
    "ALTER TABLE t ADD COLUMN n INT UNSIGNED",
    "ALTER TABLE `t_book` ADD CONSTRAINT `t_book_author_id_cb4b5f69_fk_t_author_id` FOREIGN KEY (`author_id`) REFERENCES `t_author` (`id`)",
    "ALTER TABLE t ADD FOREIGN KEY idx_a (a) REFERENCES u (id) ON UPDATE CASCADE",
    "DROP TABLE IF EXISTS rowchain.t, `U`",
    "CREATE INDEX idx ON rowchain.T (A)",
    // -- DML: upserts, REPLACE, IGNORE, INSERT ... SET
    "INSERT INTO t (id, n) VALUES (1, 'a') ON DUPLICATE KEY UPDATE n = VALUES(n), hits = hits + 1",
    "INSERT INTO t (id, n) VALUES (?, ?) AS new ON DUPLICATE KEY UPDATE n = new.n",
    "INSERT INTO t (id, n) VALUES (1, 'x') AS `New` ON DUPLICATE KEY UPDATE n = `new`.n, id = VALUES(`ID`)",
    "INSERT INTO t (id, n) SELECT id, n FROM u ON DUPLICATE KEY UPDATE n = VALUES(n)",
    "REPLACE INTO t (id, n) VALUES (1, 'b')",
    "INSERT IGNORE INTO t (id) VALUES (1), (2)",
    "INSERT INTO t SET id = 1, n = 'x'",
    "INSERT IGNORE INTO t SET id = ?, n = CONCAT(?, '!')",
    "INSERT INTO t (id) VALUES (1) AS new",
    "UPDATE t SET n = VALUES(n)",
    "UPDATE `T` SET `N` = 'x' WHERE id = 1 LIMIT 1",
    "DELETE FROM t WHERE id = ?",
    "INSERT INTO typed SET id = 1, flag = 'yes', doc = '{\"b\": 1}'",
    // -- functions
    "SELECT IFNULL(a, 'none'), IF(a > 1, 'big', 'small'), CONCAT(a, '-', b), CONCAT(a) FROM t",
    "SELECT CONCAT()",
    "SELECT IFNULL(a)",
    "SELECT NOW(), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(), NOW(3), CURDATE(), CURTIME(), UTC_TIMESTAMP()",
    "SELECT NOW(7)",
    "INSERT INTO t (id, at) VALUES (1, NOW())",
    "UPDATE t SET at = CURRENT_TIMESTAMP(6) WHERE id = 1",
    "INSERT INTO t (id, r) VALUES (1, RAND())",
    "SELECT LAST_INSERT_ID()",
    "INSERT INTO child (parent_id) VALUES (LAST_INSERT_ID())",
    "UPDATE t SET n = 'x' WHERE id = last_insert_id()",
    "SELECT GROUP_CONCAT(n), GROUP_CONCAT(DISTINCT n ORDER BY n DESC), GROUP_CONCAT(n ORDER BY id SEPARATOR '; '), GROUP_CONCAT(a, b SEPARATOR '') FROM t GROUP BY k",
    "SELECT GROUP_CONCAT(DISTINCT n SEPARATOR '|') FROM t",
    "SELECT DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s'), DATE_FORMAT(at, '%e/%c/%y %k:%i %p'), DATE_FORMAT(at, '%r %T %j %w %% %h %l'), DATE_FORMAT(NULL, '%Y') FROM t",
    "SELECT DATE_FORMAT(at, '%W %M %D') FROM t",
    "SELECT DATE_FORMAT(at, '%f') FROM t",
    "SELECT DATE_FORMAT(at, fmt) FROM t",
    "SELECT DATABASE(), SCHEMA()",
    "SELECT 1 + 1 FROM DUAL",
    "SELECT a FROM t FORCE INDEX (idx_a) JOIN u USE INDEX (PRIMARY) ON u.id = t.id",
    "SELECT COUNT(*) AS Total, `N` AS `Name`, n AS 'Label', MAX(id) FROM t GROUP BY n ORDER BY total",
    "SELECT a+1, 'x' FROM t UNION SELECT b, c FROM u",
    "SELECT a FROM `dual`",
    "SELECT @x",
    "SELECT a FROM t WHERE a = @@sql_mode",
    "SELECT 7 DIV 2",
    // -- statements the front end answers
    "SHOW DATABASES",
    "SHOW SCHEMAS LIKE 'row%'",
    "SHOW FULL TABLES FROM rowchain WHERE Table_type = 'BASE TABLE'",
    "SHOW TABLES FROM mysql",
    "SHOW FULL COLUMNS FROM `Users` FROM rowchain LIKE 'i%'",
    "SHOW COLUMNS IN rowchain.users",
    "SHOW INDEX FROM users",
    "SHOW KEYS IN users WHERE Key_name = 'PRIMARY'",
    "SHOW CREATE TABLE `Users`",
    "SHOW CREATE VIEW v",
    "CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW `Big` AS SELECT `a`, COUNT(*) FROM `t` GROUP BY `a`",
    "CREATE DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW v AS SELECT 1",
    "DROP VIEW IF EXISTS `v`",
    "SHOW VARIABLES LIKE 'lower_case%'",
    "SHOW GLOBAL VARIABLES",
    "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
    "SHOW WARNINGS",
    "SHOW ERRORS",
    "SHOW GRANTS",
    "SHOW GRANTS FOR 'Bob'@'%'",
    "SHOW ENGINES",
    "SHOW STORAGE ENGINES",
    "SHOW COLLATION WHERE Charset = 'utf8mb4'",
    "SHOW CHARACTER SET",
    "SHOW TABLE STATUS FROM rowchain LIKE 'u%'",
    "SHOW PROCESSLIST",
    "SHOW TABLES extra",
    "SET NAMES utf8mb4",
    "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'",
    "SET autocommit = 0",
    "SET SESSION sql_mode = 'STRICT_TRANS_TABLES', @@session.time_zone = '+00:00', GLOBAL max_connections = 10",
    "SET @@global.read_only = ON",
    "SET time_zone = '+00:00'",
    "SET @x = 1",
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client, @@GLOBAL.Version_Comment LIMIT 1",
    "SELECT @@version, 1",
    "SELECT VERSION()",
    "select version() AS v, @@version_comment",
    "USE rowchain",
    "USE `RowChain`",
    "USE other",
    // -- transactions
    "START TRANSACTION",
    "BEGIN",
    "BEGIN WORK",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT `Sp1`",
    "ROLLBACK TO SAVEPOINT sp1",
    "RELEASE SAVEPOINT sp1",
    "START TRANSACTION; INSERT INTO t (a) VALUES (?); COMMIT",
    // -- users and grants
    "CREATE USER 'Bob'@'%' IDENTIFIED BY 's3cret'",
    "CREATE USER carol@localhost IDENTIFIED WITH caching_sha2_password BY 'pw'",
    "CREATE USER dave",
    "CREATE USER 'x'@'%' IDENTIFIED WITH mysql_native_password AS '*ABC'",
    "CREATE USER IF NOT EXISTS 'x'@'%'",
    "ALTER USER 'Bob'@'%' IDENTIFIED BY 'n3w'",
    "ALTER USER 'Bob'@'%' ACCOUNT LOCK",
    "DROP USER 'Bob'@'%', `carol`@`localhost`",
    "DROP USER IF EXISTS dave",
    "DROP USER eve@'%', 'a@b'@'localhost'",
    "GRANT SELECT, INSERT, UPDATE (n) ON rowchain.t TO 'Bob'@'%'",
    "GRANT ALL PRIVILEGES ON `T` TO 'bob'@'localhost'",
    "GRANT SELECT ON rowchain.* TO 'bob'@'%'",
    "GRANT SELECT ON other.t TO 'bob'@'%'",
    "REVOKE INSERT ON rowchain.t FROM 'Bob'@'%'",
    // -- errors
    "SELEC 1",
    "SELECT * FROM t WHERE",
    "INSERT INTO t VALUES (1",
    "CREATE TABLE t (a INT) PARTITION BY HASH(a) PARTITIONS 4",
    // DESCRIBE is SHOW COLUMNS; EXPLAIN of a statement is the parser's.
    "DESCRIBE `Orders`",
    "DESC rowchain.t n",
    "EXPLAIN t",
    "EXPLAIN SELECT 1",
    // SET TRANSACTION sets the session's variables.
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED, READ ONLY",
    "SET GLOBAL TRANSACTION READ WRITE",
    "SET TRANSACTION ISOLATION LEVEL SNAPSHOT",
    // @@x inside expressions reads the session's value; a SET value that is
    // an expression is the front end's to evaluate (Connector/J, Django).
    "SELECT VERSION(), @@sql_mode, @@SESSION.sql_auto_is_null, CONVERT_TZ('2001-01-01 01:00:00', 'UTC', 'UTC') IS NOT NULL",
    "SELECT CONVERT_TZ(NOW(), 'UTC', 'Europe/Paris')",
    "SET autocommit = 1, sql_mode = CONCAT(@@sql_mode, ',STRICT_TRANS_TABLES')",
    "INSERT INTO t (id) VALUES (CONNECTION_ID())",
    "UPDATE t SET n = @@version",
    // Character-set introducers: _binary is the bytes, others the string.
    "INSERT INTO t (id, n) VALUES (1, _binary'a\\0b'), (2, _utf8mb4'x'), (3, _binary X'ff')",
    // -- information_schema in MySQL's shape: hand-written, MariaDB Connector/J 2.7's
    //    DatabaseMetaData (getTables, getColumns, getPrimaryKeys, getIndexInfo, getCatalogs)
    //    and Django 5.2's MySQL introspection
    "SELECT * FROM information_schema.TABLES",
    "SELECT TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.`Tables` WHERE TABLE_SCHEMA = 'rowchain'",
    "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, EXTRA FROM information_schema.columns WHERE TABLE_NAME = 't' ORDER BY ORDINAL_POSITION",
    "SELECT routine_name FROM information_schema.routines",
    "SELECT * FROM `information_schema`.`key_column_usage` k JOIN information_schema.referential_constraints r ON r.constraint_name = k.constraint_name",
    "SELECT TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, TABLE_NAME, IF(TABLE_TYPE='BASE TABLE' or TABLE_TYPE='SYSTEM VERSIONED', 'TABLE', TABLE_TYPE) as TABLE_TYPE, TABLE_COMMENT REMARKS, NULL TYPE_CAT, NULL TYPE_SCHEM, NULL TYPE_NAME, NULL SELF_REFERENCING_COL_NAME, NULL REF_GENERATION FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA='rowchain' AND TABLE_NAME LIKE 't%' AND  TABLE_TYPE IN ('BASE TABLE','SYSTEM VERSIONED') ORDER BY TABLE_TYPE, TABLE_SCHEMA, TABLE_NAME",
    "SELECT TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, TABLE_NAME, COLUMN_NAME, CASE data_type WHEN 'bit' THEN -7 WHEN 'tinyblob' THEN -3 WHEN 'mediumblob' THEN -4 WHEN 'longblob' THEN -4 WHEN 'blob' THEN -4 WHEN 'tinytext' THEN 12 WHEN 'mediumtext' THEN -1 WHEN 'longtext' THEN -1 WHEN 'text' THEN -1 WHEN 'date' THEN 91 WHEN 'datetime' THEN 93 WHEN 'decimal' THEN 3 WHEN 'double' THEN 8 WHEN 'enum' THEN 12 WHEN 'float' THEN 7 WHEN 'int' THEN IF( COLUMN_TYPE like '%unsigned%', 4,4) WHEN 'bigint' THEN -5 WHEN 'mediumint' THEN 4 WHEN 'null' THEN 0 WHEN 'set' THEN 12 WHEN 'smallint' THEN IF( COLUMN_TYPE like '%unsigned%', 5,5) WHEN 'varchar' THEN 12 WHEN 'varbinary' THEN -3 WHEN 'char' THEN 1 WHEN 'binary' THEN -2 WHEN 'time' THEN 92 WHEN 'timestamp' THEN 93 WHEN 'tinyint' THEN IF(COLUMN_TYPE like 'tinyint(1)%',-7,-6)  WHEN 'year' THEN 91 ELSE 1111 END  DATA_TYPE, IF(COLUMN_TYPE like 'tinyint(1)%', 'BIT',  UCASE(IF( COLUMN_TYPE LIKE '%(%)%', CONCAT(SUBSTRING( COLUMN_TYPE,1, LOCATE('(',COLUMN_TYPE) - 1 ), SUBSTRING(COLUMN_TYPE ,1+locate(')', COLUMN_TYPE))), COLUMN_TYPE))) TYPE_NAME,  CASE DATA_TYPE  WHEN 'time' THEN IF(DATETIME_PRECISION = 0, 10, CAST(11 + DATETIME_PRECISION as signed integer))  WHEN 'date' THEN 10  WHEN 'datetime' THEN IF(DATETIME_PRECISION = 0, 19, CAST(20 + DATETIME_PRECISION as signed integer))  WHEN 'timestamp' THEN IF(DATETIME_PRECISION = 0, 19, CAST(20 + DATETIME_PRECISION as signed integer))  ELSE   IF(NUMERIC_PRECISION IS NULL, LEAST(CHARACTER_MAXIMUM_LENGTH,2147483647), NUMERIC_PRECISION)  END COLUMN_SIZE, 65535 BUFFER_LENGTH,  CONVERT (CASE DATA_TYPE WHEN 'year' THEN NUMERIC_SCALE WHEN 'tinyint' THEN 0 ELSE NUMERIC_SCALE END, UNSIGNED INTEGER) DECIMAL_DIGITS, 10 NUM_PREC_RADIX, IF(IS_NULLABLE = 'yes',1,0) NULLABLE,COLUMN_COMMENT REMARKS, COLUMN_DEFAULT COLUMN_DEF, 0 SQL_DATA_TYPE, 0 SQL_DATETIME_SUB,   LEAST(CHARACTER_OCTET_LENGTH,2147483647) CHAR_OCTET_LENGTH, ORDINAL_POSITION, IS_NULLABLE, NULL SCOPE_CATALOG, NULL SCOPE_SCHEMA, NULL SCOPE_TABLE, NULL SOURCE_DATA_TYPE, IF(EXTRA = 'auto_increment','YES','NO') IS_AUTOINCREMENT,  IF(EXTRA in ('VIRTUAL', 'PERSISTENT', 'VIRTUAL GENERATED', 'STORED GENERATED') ,'YES','NO') IS_GENERATEDCOLUMN  FROM INFORMATION_SCHEMA.COLUMNS  WHERE TABLE_SCHEMA='rowchain' AND TABLE_NAME='t' ORDER BY TABLE_CAT, TABLE_SCHEM, TABLE_NAME, ORDINAL_POSITION",
    "SELECT A.TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, A.TABLE_NAME, A.COLUMN_NAME, B.SEQ_IN_INDEX KEY_SEQ, B.INDEX_NAME PK_NAME  FROM INFORMATION_SCHEMA.COLUMNS A, INFORMATION_SCHEMA.STATISTICS B WHERE A.COLUMN_KEY in ('PRI','pri') AND B.INDEX_NAME='PRIMARY'  AND A.TABLE_SCHEMA='rowchain' AND B.TABLE_SCHEMA='rowchain' AND A.TABLE_NAME='t' AND B.TABLE_NAME='t' AND A.TABLE_SCHEMA = B.TABLE_SCHEMA AND A.TABLE_NAME = B.TABLE_NAME AND A.COLUMN_NAME = B.COLUMN_NAME ORDER BY A.COLUMN_NAME",
    "SELECT TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, TABLE_NAME, NON_UNIQUE,  TABLE_SCHEMA INDEX_QUALIFIER, INDEX_NAME, 3 TYPE, SEQ_IN_INDEX ORDINAL_POSITION, COLUMN_NAME, COLLATION ASC_OR_DESC, CARDINALITY, NULL PAGES, NULL FILTER_CONDITION FROM INFORMATION_SCHEMA.STATISTICS WHERE TABLE_SCHEMA='rowchain' AND TABLE_NAME = 't' ORDER BY NON_UNIQUE, TYPE, INDEX_NAME, ORDINAL_POSITION",
    "SELECT SCHEMA_NAME TABLE_CAT FROM INFORMATION_SCHEMA.SCHEMATA ORDER BY 1",
    "SELECT CAST(a AS SIGNED), CAST(a AS UNSIGNED INTEGER), CONVERT(a, SIGNED INTEGER), CONVERT(a, CHAR), CONVERT(a USING utf8mb4) FROM t",
    "SELECT UCASE(a), LCASE(a), LOCATE('(', a) FROM t",
    "SELECT LOCATE('x', a, 2) FROM t",
    "SELECT table_name, table_type, table_comment FROM information_schema.tables WHERE table_schema = DATABASE()",
    "SELECT table_collation FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
    "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, extra, column_default, CASE WHEN collation_name = ? THEN NULL ELSE collation_name END AS collation_name, CASE WHEN column_type LIKE '% unsigned' THEN 1 ELSE 0 END AS is_unsigned, column_comment FROM information_schema.columns WHERE table_name = ? AND table_schema = DATABASE()",
    "SELECT column_name, referenced_column_name, referenced_table_name FROM information_schema.key_column_usage WHERE table_name = ? AND table_schema = DATABASE() AND referenced_table_schema = DATABASE() AND referenced_table_name IS NOT NULL AND referenced_column_name IS NOT NULL",
    "SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()",
    "SELECT kc.constraint_name, kc.column_name, kc.referenced_table_name, kc.referenced_column_name, c.constraint_type FROM information_schema.key_column_usage AS kc, information_schema.table_constraints AS c WHERE kc.table_schema = DATABASE() AND (kc.referenced_table_schema = DATABASE() OR kc.referenced_table_schema IS NULL) AND c.table_schema = kc.table_schema AND c.constraint_name = kc.constraint_name AND c.constraint_type != 'CHECK' AND kc.table_name = ? ORDER BY kc.`ordinal_position`",
    "SELECT cc.constraint_name AS constraint_name, cc.check_clause AS check_clause FROM information_schema.check_constraints AS cc, information_schema.table_constraints AS tc WHERE cc.constraint_schema = DATABASE() AND tc.table_schema = cc.constraint_schema AND cc.constraint_name = tc.constraint_name AND tc.constraint_type = 'CHECK' AND tc.table_name = ?",
    // -- a MySQL database is a schema
    "CREATE DATABASE IF NOT EXISTS test_schema CHARACTER SET utf8mb4",
    "DROP DATABASE test_schema",
    "CREATE TABLE test_schema.t (id INT PRIMARY KEY AUTO_INCREMENT)",
    "SELECT * FROM test_schema.t JOIN rowchain.u ON u.id = t.id",
    "CREATE TABLE test_schema.r (id INT PRIMARY KEY, u_id INT REFERENCES rowchain.u (id), FOREIGN KEY (id) REFERENCES test_schema.t (id))",
    "ALTER TABLE test_schema.r ADD CONSTRAINT r_u FOREIGN KEY (u_id) REFERENCES `rowchain`.`u` (id)",
];

/// Two tables the schema-dependent cases plan against.
const TABLES: &[(&str, &[(&str, PgType)])] = &[
    (
        "typed",
        &[
            ("id", PgType::Int4),
            ("flag", PgType::Bool),
            ("amount", PgType::Numeric { precision: Some(10), scale: Some(2) }),
            ("doc", PgType::Jsonb),
            ("raw", PgType::Json),
            ("n", PgType::Text),
        ],
    ),
    ("other", &[("id", PgType::Int4), ("flag", PgType::Bool)]),
    (
        "ledger",
        &[
            ("id", PgType::Int8),
            ("amount", PgType::Numeric { precision: Some(12), scale: Some(2) }),
            ("rate", PgType::Numeric { precision: None, scale: None }),
            ("weight", PgType::Float8),
            ("note", PgType::Text),
        ],
    ),
];

fn describe(result: Result<Vec<Plan>, PlanError>) -> String {
    match result {
        Err(e) => describe_error(&e),
        Ok(plans) if plans.is_empty() => "(no statements)".to_string(),
        Ok(plans) => plans.iter().map(describe_plan).collect::<Vec<_>>().join("\n"),
    }
}

/// `guarded` has a SELECT policy whose own subquery reads it again.
fn test_schema() -> TableSchema {
    TableSchema {
        tables: TABLES,
        row_filter: Some(("guarded", "owner = 'bob' AND (SELECT count(*) FROM guarded) < 5".to_string())),
    }
}

/// `name type(oid)[ not null][ serial][ default]`.
fn describe_column(column: &ColumnDef) -> String {
    let mut text = format!("{} {}({})", column.name, column.ty.name(), column.ty.oid());
    for (flag, word) in [
        (column.not_null, "not null"),
        (column.serial, "serial"),
        (column.identity, "identity"),
        (column.has_default, "default"),
    ] {
        if flag {
            text.push(' ');
            text.push_str(word);
        }
    }
    if let Some(comment) = &column.comment {
        text.push_str(&format!(" comment {comment:?}"));
    }
    text
}

fn describe_plan(plan: &Plan) -> String {
    match plan {
        Plan::Read(read) => format!("READ tables={:?} params={}\n  {}", read.tables, read.param_count, read.sqlite),
        Plan::Write(write) => format!(
            "WRITE {:?} table={:?} reads={:?} returning={} params={}{}\n  {}",
            write.kind,
            write.table,
            write.tables_read,
            write.returning,
            write.param_count,
            if write.replaces_rows() { " replaces_rows" } else { "" },
            write.sqlite
        ),
        Plan::Ddl(DdlPlan::CreateTable(create)) => {
            let columns: Vec<String> = create.columns.iter().map(describe_column).collect();
            let comment = create.comment.as_ref().map(|c| format!(" comment={c:?}")).unwrap_or_default();
            let temporary =
                if create.temporary { format!(" temporary on_commit={:?}", create.on_commit) } else { String::new() };
            format!(
                "CREATE TABLE {:?} if_not_exists={} pk={:?}{comment}{temporary}\n  columns: {}\n  {}",
                create.name,
                create.if_not_exists,
                create.primary_key,
                columns.join(", "),
                create.sqlite
            )
        }
        Plan::Ddl(DdlPlan::AddColumn { table, column, sqlite }) => {
            format!("ADD COLUMN table={table:?} column: {}\n  {sqlite}", describe_column(column))
        }
        Plan::Ddl(ddl) => format!("DDL {ddl:?}"),
        other => format!("{other:?}"),
    }
}

#[test]
fn mysql_cases() {
    let mut out = String::new();
    for sql in MYSQL_CASES {
        out.push_str(&format!("== {sql}\n{}\n\n", describe(plan_dialect(sql, &test_schema(), Dialect::MySql))));
    }
    expect_file!["mysql_cases.txt"].assert_eq(&out);
}

/// The PostgreSQL dialect through `plan_dialect` is `plan_in`.
#[test]
fn postgres_dialect_is_plan_in() {
    for sql in CASES {
        assert_eq!(plan_dialect(sql, &test_schema(), Dialect::Postgres), plan_in(sql, &test_schema()), "{sql}");
    }
}

/// Each MySQL statement's text is its own, as written.
#[test]
fn mysql_statement_texts() {
    let sql = "SET NAMES utf8mb4; SELECT `A` FROM t -- c\n;\n SHOW  TABLES ;INSERT INTO t SET a = 'x;y'";
    let texts: Vec<String> = plan_with_text_dialect(sql, &test_schema(), Dialect::MySql)
        .map(|plans| plans.into_iter().map(|(_, text)| text).collect())
        .unwrap_or_else(|e| vec![describe_error(&e)]);
    assert_eq!(texts, ["SET NAMES utf8mb4", "SELECT `A` FROM t", "SHOW  TABLES", "INSERT INTO t SET a = 'x;y'"]);
    let single = plan_with_text_dialect(" SELECT 1; ", &test_schema(), Dialect::MySql).map(|p| p.len());
    assert_eq!(single, Ok(1));
}

#[test]
fn cases() {
    let mut out = String::new();
    for sql in CASES {
        out.push_str(&format!("== {sql}\n{}\n\n", describe(plan_in(sql, &test_schema()))));
    }
    expect_file!["cases.txt"].assert_eq(&out);
}
