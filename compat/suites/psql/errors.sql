-- SQLSTATEs of common mistakes; the session goes on after each.
CREATE TABLE er_t (id int PRIMARY KEY, name text NOT NULL, ref int CHECK (ref > 0));
INSERT INTO er_t VALUES (1, 'a', 1);
INSERT INTO er_t VALUES (1, 'dup', 1);
INSERT INTO er_t VALUES (2, NULL, 1);
INSERT INTO er_t VALUES (3, 'c', -1);
SELECT * FROM er_missing;
SELECT nope FROM er_t;
SELEC 1;
SELECT 'x'::integer;
SELECT 1 / 0;
SELECT * FROM er_t WHERE id = 'abc';
SELECT count(*) FROM er_t;
DROP TABLE er_t;
