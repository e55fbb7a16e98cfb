-- Lost update: two read-modify-write transactions on one row; the second commit fails
-- instead of overwriting the first.
CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER);
INSERT INTO counter VALUES (1, 10);
.session a
BEGIN;
SELECT n FROM counter;
.session b
BEGIN;
SELECT n FROM counter;
UPDATE counter SET n = n + 1;
.session a
UPDATE counter SET n = n + 1;
COMMIT;
.session b
COMMIT;
SELECT n FROM counter;
