-- Row history and audit from the versions AmberDB keeps: history(t) lists every change
-- of every row with the row before and after, commits() each commit with its label and
-- the rows it changed per table. (Times are the real clock's, so none is shown here.)
SET application_name = 'shop';
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, state TEXT NOT NULL);
INSERT INTO orders VALUES (1, 'ada', 'new'), (2, 'bo', 'new'), (3, 'cy', 'new');
UPDATE orders SET state = 'paid' WHERE id IN (1, 2);
SET application_name = 'warehouse';
UPDATE orders SET state = 'shipped' WHERE id = 1;
SET application_name = 'support';
DELETE FROM orders WHERE id = 3;
UPDATE orders SET state = 'shipped' WHERE id = 2;
SHOW application_name;

SELECT version, operation, label, old_id, old_state, new_id, new_state FROM history(orders);
-- One row's story: the key column (here id) names the row, and filtering on it looks
-- the row up in each kept version instead of comparing whole versions.
SELECT version, operation, old_state, new_state FROM history(orders) WHERE id = 1;
EXPLAIN SELECT version, operation FROM history(orders) WHERE id = 1;
SELECT version, operation, new_state FROM history(orders, 3);
SELECT version, label, tables, rows FROM commits();
SELECT count(*) AS commits_with_times FROM commits() WHERE committed_at IS NOT NULL;

-- State transitions: for each order, each state it entered and how many versions it
-- stayed there (lead() over the order's changes; the last state is still current).
SELECT id, new_state AS state, version AS entered,
       lead(version) OVER (PARTITION BY id ORDER BY version) - version AS stayed
  FROM history(orders)
 ORDER BY id, version;
-- Who moved orders into shipped.
SELECT label, count(*) FROM history(orders) WHERE new_state = 'shipped' AND old_state IS NOT new_state GROUP BY label;

-- The table as it was at a time: far in the future is the newest version.
SELECT id, state FROM orders FOR SYSTEM_TIME AS OF '2999-01-01' ORDER BY id;
SELECT id, state FROM orders AS OF TIMESTAMP '2999-01-01 00:00:00' ORDER BY id;
-- Every state each order was in over a range of time (SQL:2011's periods).
SELECT id, state FROM orders FOR SYSTEM_TIME BETWEEN '2000-01-01' AND '2999-01-01' ORDER BY id, state;

-- Keeping fewer versions: history starts from the oldest kept one, whose rows show as start.
SET history = 2;
SHOW history;
SELECT version, operation, old_state, new_state FROM history(orders);
SET history = '7 days';
SHOW history;

-- A table that keeps its own history: every change stays for 90 days in its journal,
-- accounts$history, however few versions the database keeps.
CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER) WITH (history = '90 days');
INSERT INTO accounts VALUES (1, 'ada', 100), (2, 'bo', 50);
UPDATE accounts SET balance = balance - 30 WHERE id = 1;
UPDATE accounts SET balance = balance + 30 WHERE id = 2;
BEGIN;
UPDATE accounts SET balance = 0 WHERE id = 2;
UPDATE accounts SET balance = 10 WHERE id = 2;
COMMIT;
ALTER TABLE accounts ADD COLUMN frozen BOOLEAN;
UPDATE accounts SET frozen = true WHERE id = 1;
DELETE FROM accounts WHERE id = 2;
SELECT version, operation, id, old_balance, new_balance, new_frozen FROM history(accounts);
SELECT version, operation, old_balance, new_balance FROM history(accounts) WHERE id = 2;
ALTER TABLE accounts SET (history = off);
CREATE TABLE logs (line TEXT) WITH (history = '1 day');

-- Mistakes.
SELECT * FROM history(nosuch);
SELECT * FROM history();
SELECT * FROM orders AS OF TIMESTAMP 'yesterday-ish';
SET history = 0;
