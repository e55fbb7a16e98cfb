-- Dirty read: nobody sees another transaction's uncommitted writes.
CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER);
INSERT INTO acct VALUES (1, 100);
.session a
BEGIN;
UPDATE acct SET balance = 0 WHERE id = 1;
SELECT balance FROM acct;
.session b
SELECT balance FROM acct;
.session a
ROLLBACK;
.session b
SELECT balance FROM acct;
