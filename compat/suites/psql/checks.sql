-- CHECK constraints: named and unnamed, on a column or the table, as psql's \d and the catalog show them; the length checks rowchain adds for varchar(n) and char(n) are no constraint of the user's.
CREATE TABLE products (id int PRIMARY KEY CHECK (id > 0), name varchar(20) NOT NULL CHECK (name <> ''), code char(4), price numeric(10,2) CONSTRAINT positive_price CHECK (price > 0), discount numeric(10,2) CHECK (discount >= 0), qty int CHECK (qty >= 0 AND qty < 1000), CHECK (discount < price), CONSTRAINT "Sane" CHECK (qty IS NULL OR qty <> 13), CHECK (qty <> 7), CHECK (1 > 0));
ALTER TABLE products ADD COLUMN weight int CHECK (weight > 0);
CREATE TABLE plain (v varchar(5), c char(2), t text);
\d products
\d plain
SELECT conname, pg_get_constraintdef(oid, true) FROM pg_constraint WHERE contype = 'c' AND conrelid IN ('products'::regclass, 'plain'::regclass) ORDER BY 1;
SELECT conname, pg_get_constraintdef(oid) AS plain, conkey, convalidated, connoinherit, conislocal FROM pg_constraint WHERE conrelid = 'products'::regclass AND contype = 'c' ORDER BY 1;
SELECT relname, relchecks FROM pg_class WHERE relname IN ('products', 'plain') ORDER BY 1;
SELECT constraint_name, check_clause FROM information_schema.check_constraints WHERE constraint_schema = 'public' AND constraint_name NOT LIKE '%not_null' ORDER BY 1;
SELECT constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_name = 'products' AND constraint_name NOT LIKE '%not_null' ORDER BY 1;
SELECT constraint_name, column_name FROM information_schema.constraint_column_usage WHERE table_name = 'products' ORDER BY 1, 2;
INSERT INTO products VALUES (1, 'pen', 'P001', 2.50, 0.10, 5, 10);
INSERT INTO products VALUES (2, 'ink', 'P002', -1, 0, 5, 10);
INSERT INTO products VALUES (3, '', 'P003', 1, 0, 5, 10);
INSERT INTO products VALUES (4, 'cap', 'P004', 1, 2, 5, 10);
INSERT INTO products VALUES (5, 'nib', 'P005', 1, 0, 7, 10);
SELECT id, name FROM products ORDER BY id;
COMMENT ON CONSTRAINT positive_price ON products IS 'prices are positive';
COMMENT ON CONSTRAINT products_qty_check ON products IS 'stock bounds';
COMMENT ON CONSTRAINT products_code_check ON products IS 'no such check';
SELECT conname, obj_description(oid, 'pg_constraint') AS comment FROM pg_constraint WHERE conrelid = 'products'::regclass AND contype = 'c' ORDER BY 1;
CREATE SCHEMA shop;
CREATE TABLE shop.items (n int CHECK (n > 0), m int, CHECK (m > n));
\d shop.items
DROP TABLE shop.items;
DROP SCHEMA shop;
DROP TABLE products;
DROP TABLE plain;
