-- Tables, constraints, inserts, updates, deletes, RETURNING and command tags.
CREATE TABLE dd_item (
    id integer PRIMARY KEY,
    name varchar(40) NOT NULL UNIQUE,
    qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
    price numeric(8,2)
);
INSERT INTO dd_item (id, name, price) VALUES (1, 'bolt', 0.25), (2, 'nut', 0.1), (3, 'washer', NULL);
INSERT INTO dd_item VALUES (4, 'screw', 7, 1.5) RETURNING id, name, qty, price;
SELECT * FROM dd_item ORDER BY id;
UPDATE dd_item SET qty = qty + 10 WHERE price IS NOT NULL RETURNING id, qty;
DELETE FROM dd_item WHERE name LIKE 'w%';
INSERT INTO dd_item (id, name) VALUES (5, 'nail') ON CONFLICT (id) DO NOTHING;
INSERT INTO dd_item (id, name) VALUES (5, 'pin') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;
SELECT id, name, qty FROM dd_item ORDER BY id;
ALTER TABLE dd_item ADD COLUMN note text DEFAULT 'none';
SELECT id, note FROM dd_item WHERE id = 1;
CREATE INDEX dd_item_qty ON dd_item (qty);
SELECT count(*), sum(qty), min(name), max(price) FROM dd_item;
DROP TABLE dd_item;
