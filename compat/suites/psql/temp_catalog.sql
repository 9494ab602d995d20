-- Temporary tables and views in the session's catalog: pg_class, psql's
-- lookups, information_schema, reflection of keys and indexes.
CREATE TABLE tc_shared (id int PRIMARY KEY, v text);
CREATE TEMP TABLE tc_work (id int PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, amount numeric(8,2) DEFAULT 0);
CREATE INDEX tc_work_amount ON tc_work (amount);
CREATE TEMP VIEW tc_view AS SELECT id, name FROM tc_work WHERE amount > 0;
SELECT c.relname, c.relkind, c.relpersistence, n.nspname LIKE 'pg_temp_%' AS in_temp_schema
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relname LIKE 'tc_%' ORDER BY 1;
SELECT relname, pg_table_is_visible(oid) FROM pg_class WHERE relname LIKE 'tc_%' ORDER BY 1;
SELECT 'tc_work'::regclass::text AS name, 'tc_view'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'tc_view') AS same;
SELECT attname, format_type(atttypid, atttypmod), attnotnull, attnum
  FROM pg_attribute WHERE attrelid = 'tc_work'::regclass AND attnum > 0 ORDER BY attnum;
SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'tc_work'::regclass;
SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'tc_work'::regclass ORDER BY 1;
SELECT i.relname, x.indisunique, x.indisprimary FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
  WHERE x.indrelid = 'tc_work'::regclass ORDER BY 1;
SELECT table_name, table_type FROM information_schema.tables WHERE table_name LIKE 'tc_%' ORDER BY 1;
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'tc_view' ORDER BY ordinal_position;
SELECT pg_get_viewdef('tc_view'::regclass, true);
-- A temporary table hides a permanent one of its name.
CREATE TEMP TABLE tc_shared (x int);
SELECT c.relpersistence, pg_table_is_visible(c.oid) FROM pg_class c WHERE c.relname = 'tc_shared' ORDER BY 1;
SELECT relpersistence FROM pg_class WHERE oid = 'tc_shared'::regclass;
SELECT relpersistence FROM pg_class WHERE oid = 'public.tc_shared'::regclass;
DROP TABLE tc_shared;
SELECT relpersistence FROM pg_class WHERE oid = 'tc_shared'::regclass;
-- Gone from the catalog with the table, and after a rollback.
BEGIN;
CREATE TEMP TABLE tc_never (a int);
SELECT count(*) FROM pg_class WHERE relname = 'tc_never';
ROLLBACK;
SELECT count(*) FROM pg_class WHERE relname = 'tc_never';
DROP VIEW tc_view;
DROP TABLE tc_work;
SELECT count(*) FROM pg_class WHERE relname LIKE 'tc_%' AND relpersistence = 't';
DROP TABLE tc_shared;
