-- Read skew: a transaction never sees half of another's commit.
CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER);
INSERT INTO acct VALUES (1, 50), (2, 50);
.session a
BEGIN;
SELECT balance FROM acct WHERE id = 1;
.session b
BEGIN;
UPDATE acct SET balance = balance - 25 WHERE id = 1;
UPDATE acct SET balance = balance + 25 WHERE id = 2;
COMMIT;
.session a
SELECT balance FROM acct WHERE id = 2;
SELECT sum(balance) FROM acct;
COMMIT;
