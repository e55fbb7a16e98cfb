-- The shell shows JSON documents as JSON: minified in tables, indented in line mode,
-- as values (not strings) in json mode. Plain text that holds JSON stays as it is.
CREATE TABLE docs (id INTEGER PRIMARY KEY, doc JSON, note TEXT);
INSERT INTO docs VALUES (1, '{ "name": "Ann",  "tags": ["a", "b"], "n": {"x": 1} }', '{ "plain": true }');
SELECT id, doc, note, doc -> '$.tags' AS tags, doc ->> '$.name' AS name FROM docs;
.mode line
SELECT id, doc, json_object('k', json_array(1, 2)) AS built FROM docs;
.mode json
SELECT id, doc, note, doc -> '$.n' AS n, doc ->> '$.name' AS name, json_group_array(id) AS ids FROM docs;
