-- Dirty write: two transactions write the same row; the second to commit fails.
CREATE TABLE acct (id INTEGER PRIMARY KEY, owner TEXT);
INSERT INTO acct VALUES (1, 'nobody');
.session a
BEGIN;
UPDATE acct SET owner = 'alice' WHERE id = 1;
.session b
BEGIN;
UPDATE acct SET owner = 'bob' WHERE id = 1;
.session a
COMMIT;
.session b
COMMIT;
SELECT * FROM acct;
