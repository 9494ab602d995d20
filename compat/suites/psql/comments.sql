-- COMMENT ON tables, columns, indexes and constraints, and where clients read them.
CREATE TABLE commented (id int CONSTRAINT commented_id PRIMARY KEY, note text, CONSTRAINT one_note UNIQUE (note));
CREATE INDEX commented_note_idx ON commented (note);
COMMENT ON TABLE commented IS 'a table''s comment';
COMMENT ON COLUMN commented.note IS E'free\ntext';
COMMENT ON CONSTRAINT one_note ON commented IS 'one note each';
COMMENT ON CONSTRAINT commented_id ON commented IS 'the key';
COMMENT ON INDEX commented_note_idx IS 'for lookups';
SELECT obj_description('commented'::regclass, 'pg_class') AS table_comment, col_description('commented'::regclass, 2) AS note_comment, col_description('commented'::regclass, 1) AS id_comment;
SELECT c.conname, c.contype, obj_description(c.oid, 'pg_constraint') AS comment FROM pg_constraint c WHERE c.conrelid = 'commented'::regclass ORDER BY 1;
SELECT obj_description('commented_note_idx'::regclass, 'pg_class') AS index_comment;
COMMENT ON CONSTRAINT nope ON commented IS 'x';
COMMENT ON COLUMN commented.nope IS 'x';
COMMENT ON TABLE missing IS 'x';
COMMENT ON TABLE commented IS NULL;
COMMENT ON COLUMN commented.note IS '';
SELECT obj_description('commented'::regclass, 'pg_class') IS NULL AS table_cleared, col_description('commented'::regclass, 2) IS NULL AS note_cleared;
DROP TABLE commented;
