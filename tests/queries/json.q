-- JSON in ordinary tables: SQLite's functions and the -> and ->> operators.
CREATE TABLE orders (id INTEGER PRIMARY KEY, body TEXT NOT NULL CHECK (json_valid(body)));
INSERT INTO orders (body) VALUES ('{"customer": {"id": 7, "name": "Ann"}, "items": [{"sku": "a1", "qty": 2}, {"sku": "b2", "qty": 1}], "total": 25.5}'), ('{"customer": {"id": 9, "name": "Bo"}, "items": [], "total": 0}'), ('{"customer": {"id": 7, "name": "Ann"}, "items": [{"sku": "c3", "qty": 5}], "total": 12, "note": "rush"}');
-- `->` gives JSON text, `->>` an SQL value; a bare label or an array index works too.
SELECT id, body -> '$.customer' AS customer, body ->> '$.customer.name' AS name, body -> 'items' -> 0 ->> 'sku' AS first_sku FROM orders ORDER BY id;
SELECT id, json_extract(body, '$.total') AS total, typeof(json_extract(body, '$.total')) AS type, json_array_length(body, '$.items') AS lines FROM orders ORDER BY id;
-- Filter by a nested field, sort and paginate.
SELECT id, body ->> '$.total' AS total FROM orders WHERE body ->> '$.customer.id' = 7 ORDER BY body ->> '$.total' DESC LIMIT 1 OFFSET 0;
-- An index on a path answers the filter; EXPLAIN names it.
CREATE INDEX orders_customer ON orders (body ->> '$.customer.id');
EXPLAIN SELECT id FROM orders WHERE body ->> '$.customer.id' = 7;
SELECT id FROM orders WHERE body ->> '$.customer.id' IN (9, 10);
-- Edits: set, insert, replace, remove, and an RFC 7396 patch.
UPDATE orders SET body = json_set(body, '$.status', 'shipped', '$.customer.name', 'Ann B.') WHERE id = 1;
UPDATE orders SET body = json_patch(body, '{"note": null, "priority": 1}') WHERE id = 3;
SELECT id, body FROM orders WHERE id IN (1, 3) ORDER BY id;
SELECT json_insert('{"a":1}', '$.a', 2, '$.b', 3), json_replace('{"a":1}', '$.a', 2, '$.b', 3), json_remove('[0,1,2,3]', '$[1]', '$[#-1]');
-- Building documents: nested calls nest JSON, plain text stays a string.
SELECT json_object('id', id, 'skus', json_array(body -> 'items' -> 0 ->> 'sku', 'x'), 'raw', '[1]') FROM orders WHERE id = 1;
SELECT json_quote('he said "hi"'), json_quote(3.5), json_type('{"a":[1,2.5,"x",null,true]}', '$.a[1]'), json('  [1, 2 ,3 ]  ');
SELECT json_pretty('{"a":[1,{"b":null}],"c":{}}');
-- Bad JSON and bad paths are errors that name the place, and a write with one changes nothing.
SELECT json('{"a": [1, 2}');
SELECT json_error_position('{"a": [1, 2}'), json_valid('{"a": [1, 2}');
SELECT json_extract('{"a":1}', 'a');
INSERT INTO orders (body) VALUES ('{"customer": {"id": 1}'), ('{}');
UPDATE orders SET body = json_set(body, '$[', 1);
SELECT count(*) FROM orders;
-- Aggregates: json_group_array (NULLs too) and json_group_object, also as window functions.
SELECT body ->> '$.customer.id' AS customer, json_group_array(id) AS ids, json_group_object(CAST(id AS TEXT), body -> '$.total') AS totals FROM orders GROUP BY 1 ORDER BY 1;
SELECT json_object('orders', json_group_array(json_object('id', id, 'total', body ->> '$.total'))) FROM orders;
SELECT id, json_group_array(id) OVER (ORDER BY id) AS so_far FROM orders;
-- JSON5 is read as SQLite reads it and written back as JSON; json_valid wants flag 2 for it.
SELECT json('{a:1, ''b'':[0x1F, .5, 5., +2, Infinity, NaN,], /* c */ "c":''it\''s''}');
SELECT json_valid('{a:1}'), json_valid('{a:1}', 2), json_valid('[1]', 1), json_valid('[1]', 6);
SELECT json_valid('{a:1}', 16);
SELECT '{a:[1,2,],}' ->> '$.a[1]', json_extract('[-0x10]', '$[0]'), json_type('[Infinity]', '$[0]');
CREATE TABLE conf (id INTEGER PRIMARY KEY, doc JSON);
INSERT INTO conf VALUES (1, '{retries: 3, // more is slower
  hosts: [''a'', ''b'',],}');
SELECT doc FROM conf;
