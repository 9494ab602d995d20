-- psql's describe commands, answered from the emulated catalog.
CREATE TABLE cat_parent (id serial PRIMARY KEY, code varchar(8) NOT NULL UNIQUE, amount numeric(10,2) DEFAULT 0);
CREATE TABLE cat_child (id bigint PRIMARY KEY, parent int REFERENCES cat_parent(id), flag boolean NOT NULL DEFAULT false);
CREATE INDEX cat_child_parent ON cat_child (parent);
\d cat_parent
\d cat_child
SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name LIKE 'cat\_%' ORDER BY table_name, ordinal_position;
DROP TABLE cat_child;
DROP TABLE cat_parent;
