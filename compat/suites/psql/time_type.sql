-- The time type: input forms, storage, order, casts and binary-free output.
SELECT '12:34'::time AS a, '1:2:3'::time AS b, '23:59:59.1234567'::time AS c, 'allballs'::time AS d, '24:00:00'::time AS e;
CREATE TABLE shift (id int PRIMARY KEY, starts time NOT NULL, ends time);
INSERT INTO shift VALUES (1, '08:30', '17:00:00'), (2, '22:00', '06:00'), (3, '00:00:00.5', NULL), (4, '2024-01-01 13:15', '24:00:00');
SELECT id, starts, ends FROM shift ORDER BY starts;
SELECT min(starts), max(ends), count(*) FROM shift WHERE starts BETWEEN '08:00' AND '23:00';
SELECT id, starts::text AS t, ends > starts AS later FROM shift ORDER BY id;
UPDATE shift SET ends = '18:45:30' WHERE id = 1 RETURNING id, ends;
INSERT INTO shift VALUES (5, '25:00', NULL);
INSERT INTO shift VALUES (5, 'noon', NULL);
SELECT '12:60'::time;
DROP TABLE shift;
