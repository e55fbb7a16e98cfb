-- CREATE TABLE … AS SELECT, UPDATE / DELETE with ORDER BY and LIMIT, and UPDATE … FROM.
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL, at TIMESTAMP);
INSERT INTO orders VALUES (1, 'ann', 10.5, '2024-01-01 10:00:00'), (2, 'bob', 20, '2024-01-02 11:00:00'), (3, 'ann', 5, '2024-01-03 09:00:00');
-- A table from a query: a column it names keeps its type, the others take their values'.
CREATE TABLE per_customer AS SELECT customer, count(*) AS n, sum(total) AS spent, max(at) AS last FROM orders GROUP BY customer;
SELECT * FROM per_customer ORDER BY customer;
SELECT name, type FROM pragma_table_info('per_customer');
-- An empty copy keeps the column types; a name given twice gets a number.
CREATE TABLE empty_copy AS SELECT * FROM orders WHERE false;
SELECT name, type FROM pragma_table_info('empty_copy');
CREATE TABLE pairs AS SELECT o.id, p.customer, o.customer FROM orders o JOIN per_customer p ON p.customer = o.customer;
SELECT * FROM pairs ORDER BY id;
CREATE TABLE joined AS SELECT * FROM orders JOIN per_customer USING (customer);
SELECT name, type FROM pragma_table_info('joined');
CREATE TABLE per_customer AS SELECT 1;
CREATE TABLE IF NOT EXISTS per_customer AS SELECT 1;
-- A job queue: take the two most urgent queued jobs, then drop the oldest finished one.
CREATE TABLE jobs (id INTEGER PRIMARY KEY, prio INTEGER, state TEXT DEFAULT 'queued');
INSERT INTO jobs (prio) VALUES (3), (1), (2), (5), (4), (1);
UPDATE jobs SET state = 'running' WHERE state = 'queued' RETURNING id, prio ORDER BY prio DESC, id LIMIT 2;
UPDATE jobs SET state = 'done' WHERE state = 'running' ORDER BY id LIMIT 1;
-- RETURNING goes before ORDER BY and LIMIT, as in SQLite.
DELETE FROM jobs WHERE state = 'done' ORDER BY id LIMIT 1 RETURNING *;
DELETE FROM jobs WHERE state = 'done' RETURNING * ORDER BY id LIMIT 1;
DELETE FROM jobs WHERE state = 'queued' RETURNING id ORDER BY prio, id LIMIT 1 OFFSET 1;
DELETE FROM jobs ORDER BY id DESC LIMIT 1, 1;
SELECT * FROM jobs ORDER BY id;
-- A negative LIMIT is no limit; ORDER BY needs a LIMIT.
UPDATE jobs SET prio = prio + 10 LIMIT -1;
SELECT changes();
DELETE FROM jobs ORDER BY id;
-- UPDATE … FROM: each row the join matches takes its values from the first matching row.
CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER);
CREATE TABLE sales (sku TEXT, n INTEGER);
INSERT INTO stock VALUES ('a', 10), ('b', 20), ('c', 30);
INSERT INTO sales VALUES ('a', 3), ('b', 5);
UPDATE stock SET qty = qty - sales.n FROM sales WHERE sales.sku = stock.sku RETURNING *;
UPDATE stock SET qty = t.total FROM (SELECT sku, sum(n) * 100 AS total FROM sales GROUP BY sku) AS t WHERE t.sku = stock.sku;
SELECT * FROM stock ORDER BY sku;
UPDATE stock SET qty = nope FROM sales;
