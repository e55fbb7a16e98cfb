-- Generated columns: worked out from the row's other columns whenever it is written.
CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, price REAL NOT NULL, total REAL GENERATED ALWAYS AS (qty * price) STORED, label TEXT AS ('#' || id || ' x' || qty));
-- INSERT without a column list gives values to the columns that are not generated.
INSERT INTO orders VALUES (1, 3, 2.5);
INSERT INTO orders (qty, price) VALUES (10, 0.99);
SELECT * FROM orders ORDER BY id;
-- An UPDATE works them out again; RETURNING sees the new values.
UPDATE orders SET qty = qty + 1 WHERE id = 1 RETURNING id, total, label;
-- Writing to a generated column is an error, and changes nothing.
INSERT INTO orders (id, qty, price, total) VALUES (3, 1, 1.0, 99.0);
UPDATE orders SET total = 0;
INSERT INTO orders VALUES (3, 1, 1.0, 99.0, 'x');
SELECT count(*) FROM orders;
-- A generated column may read another; the order they are declared in does not matter.
CREATE TABLE chain (a INTEGER, c INTEGER AS (b * 10), b INTEGER AS (a + 1));
INSERT INTO chain (a) VALUES (1), (5);
SELECT * FROM chain;
-- Its constraints hold: NOT NULL, CHECK and UNIQUE on the value worked out.
CREATE TABLE sized (w INTEGER, h INTEGER, area INTEGER AS (w * h) NOT NULL CHECK (area < 100) UNIQUE);
INSERT INTO sized VALUES (2, 3);
INSERT INTO sized VALUES (3, 2);
INSERT INTO sized VALUES (20, 20);
INSERT INTO sized (w) VALUES (4);
SELECT * FROM sized;
-- An index on a generated column answers queries on it.
CREATE INDEX orders_total ON orders (total);
EXPLAIN SELECT id FROM orders WHERE total > 5;
SELECT id FROM orders WHERE total > 5;
-- ALTER TABLE adds a VIRTUAL one (worked out for every row there is), not a STORED one.
ALTER TABLE orders ADD COLUMN pricey BOOLEAN AS (price > 1);
ALTER TABLE orders ADD COLUMN big INTEGER AS (qty > 5) STORED;
SELECT id, pricey FROM orders ORDER BY id;
-- Renaming a column rewrites the expressions that read it; dropping one they read is refused.
ALTER TABLE orders RENAME COLUMN qty TO quantity;
ALTER TABLE orders DROP COLUMN price;
.schema orders
-- What is refused when the table is created.
CREATE TABLE bad (a INTEGER, b INTEGER AS (b + 1));
CREATE TABLE bad (a INTEGER, b INTEGER AS (c), c INTEGER AS (b));
CREATE TABLE bad (a INTEGER, b INTEGER AS (random()));
CREATE TABLE bad (a INTEGER, b TEXT AS (datetime('now')));
CREATE TABLE bad (a INTEGER, b INTEGER AS (1 + (SELECT 1)));
CREATE TABLE bad (a INTEGER, b INTEGER AS (max(a)));
CREATE TABLE bad (a INTEGER, b INTEGER AS (a) DEFAULT 3);
CREATE TABLE bad (a INTEGER, b INTEGER AS (a + 1) PRIMARY KEY);
CREATE TABLE bad (b INTEGER AS (1));
CREATE TABLE bad (a INTEGER, b INTEGER AS (nope + 1));
