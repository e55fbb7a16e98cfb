-- Document collections: a table of JSON documents with a generated key and timestamps.
CREATE COLLECTION orders;
.collections
.schema orders
-- Ids default to version-7 UUIDs, so they sort in the order documents were made.
INSERT INTO orders (doc) VALUES ('{"customer": {"id": 7, "name": "Ann"}, "total": 25.5, "tags": ["rush", "gift"]}');
INSERT INTO orders (doc) VALUES ('{"customer": {"id": 9, "name": "Bo"}, "total": 4, "tags": []}');
SELECT length(id) AS len, substr(id, 15, 1) AS version, updated_at = created_at AS fresh FROM orders ORDER BY id;
SELECT count(*) AS sorted FROM orders AS a, orders AS b WHERE a.id < b.id AND a.doc ->> '$.customer.id' = 7;
-- Named ids work too; the document must be JSON, and the error says where it breaks.
INSERT INTO orders (id, doc) VALUES ('o1', '{"customer": {"id": 7, "name": "Ann"}, "total": 12, "tags": ["gift"]}'), ('o2', '{"customer": {"id": 3, "name": "Cy"}, "total": 99.9, "tags": ["bulk", "rush"]}'), ('o3', '{"customer": {"id": 7}, "total": 1, "tags": []}');
INSERT INTO orders (id, doc) VALUES ('o4', '{"customer": {"id": 1}, "total": }');
INSERT INTO orders (id) VALUES ('o5');
SELECT count(*) FROM orders;
-- Filter by a nested field, sort by another, paginate by offset and by key.
SELECT doc ->> '$.customer.name' AS name, doc ->> '$.total' AS total FROM orders WHERE doc ->> '$.customer.id' = 7 ORDER BY doc ->> '$.total' DESC;
SELECT id, doc ->> '$.total' AS total FROM orders WHERE id LIKE 'o%' ORDER BY id LIMIT 2 OFFSET 1;
SELECT id FROM orders WHERE id > 'o1' AND id LIKE 'o%' ORDER BY id LIMIT 2;
-- An index on the field answers the filter.
CREATE INDEX orders_customer ON orders (doc ->> '$.customer.id');
EXPLAIN SELECT id FROM orders WHERE doc ->> '$.customer.id' = 3;
-- Sorting by an indexed field with a LIMIT reads the index in order instead of sorting.
CREATE INDEX orders_total ON orders (doc ->> '$.total');
EXPLAIN SELECT id FROM orders ORDER BY doc ->> '$.total' DESC LIMIT 2;
SELECT doc ->> '$.total' AS total FROM orders ORDER BY doc ->> '$.total' DESC LIMIT 2;
.collections
-- A partial update merges a patch (RFC 7396: null removes); updated_at moves on.
UPDATE orders SET doc = json_patch(doc, '{"total": 15, "tags": null, "status": "paid"}') WHERE id = 'o1';
SELECT doc, updated_at > created_at AS touched FROM orders WHERE id = 'o1';
-- Tags through json_each, joined to their documents.
SELECT t.value AS tag, count(*) AS orders FROM orders, json_each(orders.doc, '$.tags') AS t GROUP BY t.value ORDER BY t.value;
SELECT o.id, t.key, t.value, t.fullkey FROM orders AS o, json_each(o.doc, '$.tags') AS t WHERE o.id LIKE 'o%' ORDER BY o.id, t.key;
SELECT o.id, t.value FROM orders AS o LEFT JOIN json_each(o.doc, '$.tags') AS t WHERE o.id LIKE 'o%' ORDER BY o.id, t.value;
SELECT key, type, fullkey, path FROM json_tree('{"a": {"b": [1, "x"]}}');
-- Delete by a field.
DELETE FROM orders WHERE doc ->> '$.customer.id' = 9;
SELECT count(*) FROM orders;
CREATE COLLECTION IF NOT EXISTS orders;
CREATE COLLECTION orders;
