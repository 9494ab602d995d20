-- Catalog queries psycopg2 sends, captured from a real PostgreSQL 15 server log
-- (or psql -E); one query per block, blocks end with a line ";;".
-- {{oid:NAME}} stands for the OID of table NAME in the test schema.

SELECT t.oid, typarray
FROM pg_type t JOIN pg_namespace ns
    ON typnamespace = ns.oid
WHERE typname = 'hstore';
;;
