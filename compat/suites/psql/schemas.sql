-- Schemas and materialized views: psql's describe commands, qualified names and the catalog.
-- (\dt, \di and \dm list owners, which differ between the recording server's role and rowchain's admin.)
CREATE ROLE sc_owner LOGIN PASSWORD 'sc-secret';
CREATE SCHEMA sc_sales AUTHORIZATION sc_owner;
COMMENT ON SCHEMA sc_sales IS 'the sales team';
CREATE TABLE sc_sales.orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(8,2));
CREATE TABLE orders (id int PRIMARY KEY, note text);
INSERT INTO sc_sales.orders VALUES (1, 'ada', 10.50), (2, 'grace', 4.25), (3, 'ada', 7);
INSERT INTO orders VALUES (1, 'the public one');
CREATE INDEX orders_customer ON sc_sales.orders (customer);
SELECT o.id, o.customer, p.note FROM sc_sales.orders o LEFT JOIN orders p ON p.id = o.id ORDER BY 1;
SELECT sc_sales.orders.customer, sum(orders.amount) FROM sc_sales.orders GROUP BY 1 ORDER BY 1;
\dn sc_*
\dn+ sc_sales
\d sc_sales.orders
CREATE MATERIALIZED VIEW sc_sales.totals AS SELECT customer, sum(amount) AS total FROM sc_sales.orders GROUP BY customer;
\d sc_sales.totals
SELECT * FROM sc_sales.totals ORDER BY 1;
INSERT INTO sc_sales.orders VALUES (4, 'grace', 1);
SELECT * FROM sc_sales.totals ORDER BY 1;
REFRESH MATERIALIZED VIEW sc_sales.totals;
SELECT * FROM sc_sales.totals ORDER BY 1;
SELECT schemaname, matviewname, hasindexes, ispopulated, definition FROM pg_matviews WHERE schemaname = 'sc_sales';
SELECT pg_get_viewdef('sc_sales.totals'::regclass, true);
SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sc_sales' ORDER BY 2;
SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), obj_description(n.oid, 'pg_namespace') FROM pg_namespace n WHERE n.nspname LIKE 'sc\_%';
SELECT schema_name, schema_owner FROM information_schema.schemata WHERE schema_name LIKE 'sc\_%';
SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'sc_sales' ORDER BY 2;
SELECT 'sc_sales.orders'::regclass, 'orders'::regclass;
INSERT INTO sc_sales.totals VALUES ('x', 1);
CREATE TABLE sc_nosuch.t (a int);
CREATE SCHEMA sc_sales;
DROP SCHEMA sc_sales;
DROP MATERIALIZED VIEW sc_sales.totals;
DROP TABLE sc_sales.orders;
DROP TABLE orders;
DROP SCHEMA sc_sales;
DROP ROLE sc_owner;
