-- What PostgreSQL's clients write besides the catalog: arrays as text, quantified
-- comparisons, E'' strings, OPERATOR(), generate_series, and untyped literals.
CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, tags TEXT);
INSERT INTO item VALUES (1, 'pen', 1.5, '{red,blue}'), (2, 'ink', 4.25, '{blue}'), (3, 'pad', NULL, '{}');
-- A text literal that is a number compares as one with an INTEGER or REAL column.
SELECT name FROM item WHERE id = '2';
SELECT name FROM item WHERE price = ' 1.5 ' OR '3' = id ORDER BY id;
SELECT name FROM item WHERE id = 'two';
-- ARRAY(SELECT …) makes an array's text; ANY and ALL read one.
SELECT ARRAY(SELECT name FROM item ORDER BY id DESC);
SELECT ARRAY(SELECT price FROM item ORDER BY id);
SELECT name FROM item WHERE 'blue' = ANY (tags) ORDER BY id;
SELECT name FROM item WHERE 'red' <> ALL (tags) ORDER BY id;
SELECT name FROM item WHERE id = ANY (SELECT id FROM item WHERE price > 2);
SELECT name FROM item WHERE id <> ALL (SELECT id FROM item WHERE price > 2) ORDER BY id;
SELECT 5 > ANY ('{1,2}');
SELECT name, tags[1], array_length(tags, 1), cardinality(tags), array_to_string(tags, '+') FROM item ORDER BY id;
SELECT array_to_string('{a,NULL,"b c"}', ',', '*'), array_lower('{7}', 1), array_upper('{7,8}', 1);
SELECT tags::text[] FROM item WHERE id = 1;
SELECT ARRAY(SELECT 1);
SELECT ARRAY(1);
-- E'' strings read backslash escapes.
SELECT length(E'tab\there'), E'it\'s', E'\x41\u00e9', length(E'a\nb');
SELECT E'\q\\', E'\xZZ';
-- OPERATOR(schema.op) is the operator; COLLATE pg_catalog.default changes nothing.
SELECT name FROM item WHERE name OPERATOR(pg_catalog.~) '^p' COLLATE pg_catalog.default ORDER BY id;
SELECT 2 OPERATOR(pg_catalog.+) 3;
-- generate_series: a table of integers; an alias names its column.
SELECT * FROM generate_series(1, 4);
SELECT n, n * n AS square FROM generate_series(10, 1, -4) AS n;
SELECT count(*), sum(value) FROM pg_catalog.generate_series(1, 1000);
SELECT i.name, s FROM item i, generate_series(1, i.id) s WHERE i.id < 3 ORDER BY 1, 2;
SELECT * FROM generate_series(1, 3, 0);
SELECT * FROM generate_series(1, NULL);
SELECT * FROM generate_series('a', 3);
-- string_agg is group_concat with its separator.
SELECT string_agg(name, ', ') FROM item;
-- The catalog's functions.
SELECT format_type(20, -1), format_type(1184, NULL), format_type(1009, -1), format_type(NULL, -1);
CREATE INDEX item_price ON item (price DESC) WHERE price IS NOT NULL;
CREATE INDEX item_lower ON item (lower(name));
SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_class c WHERE c.relkind = 'i' ORDER BY 1;
SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint ORDER BY 1;
SELECT 'item'::regclass, 'item'::regclass::regclass, 'public.item_pkey'::regclass::regclass;
SELECT 'nosuch'::regclass;
SELECT 20::regtype, 'public'::regnamespace::regnamespace;
SELECT pg_backend_pid() > 0;
-- Table functions number their rows WITH ORDINALITY and take names for their columns.
SELECT * FROM generate_series(5, 7) WITH ORDINALITY AS g(n, i);
SELECT key, value, ordinality FROM json_each('["a","b"]') WITH ORDINALITY;
SELECT k, v FROM json_each('{"x":1}') AS j(k, v);
SELECT * FROM pg_partition_ancestors('item'::regclass) WITH ORDINALITY AS a(relid, depth);
SELECT * FROM generate_series(1, 2) AS g(a, b);
SELECT * FROM item WITH ORDINALITY;
-- Settings read from SQL: a shell session has no client settings, so the database's
-- own answer (as SHOW does).
SET history_limit = 500;
SELECT current_setting('history_limit') AS kept, current_setting('nope', true) AS missing;
SELECT current_setting('nope');
SELECT name, setting, source FROM pg_settings ORDER BY name;
