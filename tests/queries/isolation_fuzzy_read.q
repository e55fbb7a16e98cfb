-- Fuzzy (non-repeatable) read: a transaction reads the same value twice, whatever
-- commits in between.
CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER);
INSERT INTO acct VALUES (1, 100);
.session a
BEGIN;
SELECT balance FROM acct WHERE id = 1;
.session b
UPDATE acct SET balance = 50 WHERE id = 1;
.session a
SELECT balance FROM acct WHERE id = 1;
COMMIT;
SELECT balance FROM acct WHERE id = 1;
