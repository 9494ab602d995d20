-- Views: psql's describe commands, pg_views, information_schema and pg_get_viewdef.
CREATE TABLE vw_item (id int PRIMARY KEY, name varchar(20) NOT NULL, price numeric(8,2), qty int DEFAULT 0, note text);
INSERT INTO vw_item VALUES (1, 'apple', 2.50, 4, NULL), (2, 'pear', 12.00, 1, 'ripe'), (3, 'apricot', 7.25, 2, 'dried');
CREATE VIEW vw_cheap AS SELECT id, name, price FROM vw_item WHERE price < 10;
CREATE VIEW vw_named (item, label) AS SELECT id, upper(name) FROM vw_item;
CREATE VIEW vw_totals AS SELECT name, count(*) AS n, sum(qty * price) AS value FROM vw_item GROUP BY name HAVING count(*) > 0 ORDER BY name;
CREATE VIEW vw_joined AS SELECT c.id, c.name, i.note FROM vw_cheap c JOIN vw_item i ON i.id = c.id WHERE i.note IS NOT NULL OR c.name LIKE 'a%';
CREATE VIEW vw_inv WITH (security_invoker) AS SELECT id, name FROM vw_item;
CREATE VIEW vw_mixed AS SELECT id, CASE WHEN qty > 1 THEN 'many' ELSE 'few' END AS amount, price * 2 AS doubled, 'fixed' AS label FROM vw_item WHERE name IN ('apple', 'pear') AND qty BETWEEN 1 AND 10;
SELECT * FROM vw_cheap ORDER BY id;
\d vw_cheap
\d+ vw_named
\d+ vw_totals
\d+ vw_joined
\d+ vw_mixed
\d+ vw_inv
\dp vw_cheap
SELECT c.relname, c.relkind, c.relhasindex, c.relhasrules, c.relpersistence, c.relnatts FROM pg_class c WHERE c.relname LIKE 'vw\_%' AND c.relkind IN ('r', 'v') ORDER BY 1;
SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' AND viewname LIKE 'vw\_%' ORDER BY viewname;
SELECT table_name, view_definition, check_option FROM information_schema.views WHERE table_schema = 'public' AND table_name LIKE 'vw\_%' ORDER BY table_name;
SELECT table_name, is_updatable, is_insertable_into, is_trigger_updatable, is_trigger_deletable, is_trigger_insertable_into FROM information_schema.views WHERE table_name IN ('vw_totals', 'vw_joined') ORDER BY 1;
SELECT table_name, table_type FROM information_schema.tables WHERE table_name LIKE 'vw\_%' ORDER BY 1;
SELECT table_name, column_name, ordinal_position, data_type, is_nullable FROM information_schema.columns WHERE table_name IN ('vw_cheap', 'vw_named') ORDER BY 1, 3;
SELECT pg_get_viewdef('vw_cheap'::regclass) AS plain, pg_get_viewdef('vw_cheap'::regclass, true) AS pretty;
SELECT pg_get_viewdef('vw_totals') AS by_name, pg_get_viewdef('vw_item'::regclass) IS NULL AS table_has_none;
SELECT pg_get_viewdef('vw_nosuch');
SELECT count(*) FROM pg_matviews;
DROP VIEW vw_joined;
DROP VIEW vw_named, vw_totals, vw_mixed, vw_inv;
DROP VIEW vw_cheap;
SELECT count(*) AS views_left FROM pg_views WHERE viewname LIKE 'vw\_%';
DROP TABLE vw_item;
