-- jsonb and json path operators #> and #>>, in reads and in writes.
CREATE TABLE jp_docs (id int PRIMARY KEY, doc jsonb, raw json);
INSERT INTO jp_docs VALUES
  (1, '{"a": {"b": [10, {"c": "x y"}, null]}, "k": "v", "n": 2.50}', '{"a": {"b": [1, 2]}}'),
  (2, '{"a": {"b": []}, "k": null}', '[{"a": 1}, {"a": 2}]'),
  (3, NULL, NULL);
SELECT id, doc #> '{a,b,1}' AS obj, doc #>> '{a,b,1,c}' AS txt, doc #>> '{a,b,-3}' AS neg FROM jp_docs ORDER BY id;
SELECT id, doc #> '{k}' AS k_json, doc #>> '{k}' AS k_text, (doc #>> '{k}') IS NULL AS k_null FROM jp_docs ORDER BY id;
SELECT id, doc #> '{}' IS NOT NULL AS whole, doc #> '{a, b, 5}' AS past_end, doc #> '{k,0}' AS into_scalar FROM jp_docs ORDER BY id;
SELECT id, raw #>> '{a,b,1}' AS from_json, raw #>> '{1,a}' AS from_array FROM jp_docs ORDER BY id;
SELECT id FROM jp_docs WHERE CAST(doc #>> '{n}' AS numeric) = 2.5;
SELECT id FROM jp_docs WHERE (doc #>> '{a,b,0}')::int > 5;
UPDATE jp_docs SET raw = doc #> '{a}' WHERE id = 2;
SELECT raw #>> '{b}' FROM jp_docs WHERE id = 2;
SELECT doc #> 'a,b' FROM jp_docs;
DROP TABLE jp_docs;
