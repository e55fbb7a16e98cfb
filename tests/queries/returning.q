-- RETURNING: the rows a write changed, as a query gives them.
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER DEFAULT 0, added TEXT DEFAULT 'today');
-- The new rows, with their assigned keys and defaults.
INSERT INTO items (name) VALUES ('apple'), ('pear') RETURNING *;
INSERT INTO items (name, qty) VALUES ('fig', 3) RETURNING id, name AS item, qty * 2 AS doubled;
SELECT last_insert_rowid(), changes();
-- "Get or create": an upsert that returns the row's key whether it was there or not.
INSERT INTO items (name) VALUES ('pear') ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id;
INSERT INTO items (name) VALUES ('plum') ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id;
-- DO NOTHING returns nothing for the row it left alone.
INSERT INTO items (name) VALUES ('apple') ON CONFLICT DO NOTHING RETURNING id;
-- UPDATE returns the new values; DELETE the rows as they were.
UPDATE items SET qty = qty + 10 WHERE name IN ('apple', 'fig') RETURNING name, qty;
SELECT changes();
DELETE FROM items WHERE qty = 0 RETURNING id, name, 'deleted' AS what;
SELECT changes();
SELECT * FROM items ORDER BY id;
-- Subqueries in RETURNING read the table as it was before the statement.
UPDATE items SET qty = 0 WHERE name = 'fig' RETURNING qty, (SELECT qty FROM items WHERE name = 'fig') AS before;
-- Within a transaction, and nothing is returned by a failed statement.
BEGIN;
INSERT INTO items (name) VALUES ('kiwi') RETURNING id, name;
INSERT INTO items (name) VALUES ('lime'), ('kiwi') RETURNING id;
ROLLBACK;
SELECT count(*) FROM items;
-- Aggregates have no place in RETURNING, nor does RETURNING in a trigger.
DELETE FROM items RETURNING count(*);
CREATE TRIGGER t AFTER INSERT ON items BEGIN DELETE FROM items WHERE id = 0 RETURNING *; END;
-- Every output mode shows the rows.
.mode csv
INSERT INTO items (name, qty) VALUES ('lemon', 1) RETURNING name, qty;
.mode json
UPDATE items SET qty = 2 WHERE name = 'lemon' RETURNING name, qty;
.mode table
