-- COPY ... TO STDOUT in text, CSV and with a query.
CREATE TABLE co_items (id int PRIMARY KEY, label text, price numeric(8,2), seen date, ok boolean);
INSERT INTO co_items VALUES (1, 'plain', 1.5, '2024-02-29', true), (2, E'tab\there\nnewline \\ back', NULL, NULL, false), (3, 'quote " and, comma', 10, 'infinity', NULL), (4, '', 0, '1999-12-31', true);
COPY co_items TO STDOUT;
COPY co_items (id, label) TO STDOUT WITH (FORMAT csv, HEADER);
COPY (SELECT id, price * 2 AS twice FROM co_items WHERE price IS NOT NULL ORDER BY id DESC) TO STDOUT WITH (FORMAT csv, DELIMITER ';', NULL 'NULL');
COPY co_items TO STDOUT WITH (FORMAT text, NULL '-', DELIMITER '|');
COPY (SELECT 1 AS one WHERE false) TO STDOUT;
COPY co_missing TO STDOUT;
DROP TABLE co_items;
