-- Every supported type written and read back in text form.
CREATE TABLE ty_all (
    id int PRIMARY KEY, s smallint, b bigint, n numeric(12,4), r real, d double precision,
    t text, v varchar(10), c char(4), f boolean, dt date, ts timestamp, tz timestamptz,
    by bytea, j json, jb jsonb, u uuid
);
SET TIME ZONE 'UTC';
INSERT INTO ty_all VALUES (1, -32768, 9223372036854775807, 123.4567, 1.5, -2.25,
    'tëxt ✓', 'short', 'ab', true, '2024-02-29', '2024-02-29 13:14:15', '2024-02-29 13:14:15+02',
    '\x00ff10', '{"b": 1, "a": [1, 2]}', '{"b": 1, "a": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
INSERT INTO ty_all (id, f, jb) VALUES (2, 'no', '{"k": 1, "k": 2}');
SELECT * FROM ty_all ORDER BY id;
SELECT f::text, n::text, jb::text, length(by) FROM ty_all ORDER BY id;
SELECT '42'::int + 1 AS i, 'on'::boolean AS b, 7 / 2 AS div, ts::date AS day, tz < '2024-02-29 12:00:00+01' AS earlier FROM ty_all WHERE id = 1;
DROP TABLE ty_all;
