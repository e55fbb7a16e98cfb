-- Phantom read: rows inserted by others after a transaction began never appear in it.
CREATE TABLE tasks (id INTEGER PRIMARY KEY, done BOOLEAN);
INSERT INTO tasks (done) VALUES (false), (true);
.session a
BEGIN;
SELECT count(*) FROM tasks WHERE done = false;
.session b
INSERT INTO tasks (done) VALUES (false), (false);
.session a
SELECT count(*) FROM tasks WHERE done = false;
COMMIT;
SELECT count(*) FROM tasks WHERE done = false;
