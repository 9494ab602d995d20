-- psql session run by run.sh with -v prefix=<table prefix>; run.sh checks the key
-- lines of its output. Meta-commands (\d, \dt, \du, \l) send psql's own
-- pg_catalog queries, chosen by the server_version the server reports.
\set ON_ERROR_STOP 1
\set VERBOSITY verbose
\pset pager off
\set tbl :prefix items

CREATE TABLE :tbl (
    id integer PRIMARY KEY,
    name varchar(40) NOT NULL,
    price numeric(8,2),
    created timestamptz DEFAULT '2024-01-01 00:00:00+00',
    active boolean NOT NULL DEFAULT true
);
INSERT INTO :tbl (id, name, price) VALUES (1, 'widget', 9.99), (2, 'gädget ✓', -1.5);
SELECT id, name, price, active FROM :tbl ORDER BY id;
UPDATE :tbl SET price = price * 2 WHERE id = 1;
DELETE FROM :tbl WHERE id = 99;

BEGIN;
INSERT INTO :tbl (id, name) VALUES (3, 'rolled back');
SELECT count(*) AS inside_block FROM :tbl;
ROLLBACK;
SELECT count(*) AS after_rollback FROM :tbl;

\echo MARK list-relations
\d
\echo MARK list-tables
\dt
\echo MARK describe-table
\d :tbl
\echo MARK list-roles
\du
\echo MARK list-databases
\l
\echo MARK copy
COPY :tbl (id, name, price) FROM STDIN;
10	copied plain	1.00
11	copied ünïcode ✓	\N
12	copied with \t tab	-0.01
\.
SELECT count(*) AS copied, count(price) AS priced, sum(price) AS total FROM :tbl WHERE id >= 10;
SELECT length(name) AS tab_name_length FROM :tbl WHERE id = 12;
\echo MARK end
