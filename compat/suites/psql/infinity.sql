-- infinity and -infinity are values of date, timestamp and timestamptz.
SELECT 'infinity'::date AS d, '-Infinity'::timestamp AS ts, ' INFINITY '::timestamptz AS tstz;
CREATE TABLE inf_events (id int PRIMARY KEY, starts date, ends timestamptz);
INSERT INTO inf_events VALUES (1, '2024-02-29', 'infinity'), (2, '-infinity', '2030-01-01 00:00:00+00'), (3, 'infinity', '-infinity'), (4, '1999-12-31', NULL);
SELECT id, starts, ends FROM inf_events ORDER BY starts, id;
SELECT id FROM inf_events WHERE ends > '2100-01-01' ORDER BY id;
SELECT id FROM inf_events WHERE starts < '1900-01-01' OR starts = 'infinity' ORDER BY id;
SELECT min(starts), max(starts), min(ends), max(ends) FROM inf_events;
DROP TABLE inf_events;
