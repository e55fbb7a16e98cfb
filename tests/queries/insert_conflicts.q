-- INSERT OR IGNORE | ABORT | ROLLBACK | REPLACE: what a row that breaks a constraint does.
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, age INTEGER CHECK (age >= 0), name TEXT NOT NULL);
INSERT INTO users VALUES (1, 'a@x', 30, 'ann');
-- IGNORE skips each row that breaks a key, UNIQUE, CHECK or NOT NULL, and goes on.
INSERT OR IGNORE INTO users VALUES (1, 'dup-key', 1, 'k'), (2, 'a@x', 2, 'dup-mail'), (3, 'c@x', -1, 'bad-age'), (4, 'd@x', 4, NULL), (5, 'e@x', 5, 'eve');
SELECT changes(), last_insert_rowid();
SELECT id, email, name FROM users ORDER BY id;
-- ABORT (the default) changes nothing.
INSERT OR ABORT INTO users VALUES (6, 'f@x', 6, 'fay'), (7, 'a@x', 7, 'dup');
SELECT count(*) FROM users;
-- ROLLBACK also ends the open transaction.
BEGIN;
INSERT INTO users VALUES (8, 'h@x', 8, 'hal');
INSERT OR ROLLBACK INTO users VALUES (9, 'a@x', 9, 'dup');
SELECT count(*) FROM users;
COMMIT;
-- REPLACE deletes the rows in the way.
INSERT OR REPLACE INTO users VALUES (10, 'a@x', 31, 'ann again');
SELECT id, email, name FROM users ORDER BY id;
-- FAIL stops at the row that breaks a constraint; the rows before it stay.
INSERT OR FAIL INTO users VALUES (11, 'k@x', 1, 'kim'), (12, 'a@x', 2, 'dup'), (13, 'm@x', 3, 'max');
SELECT changes(), last_insert_rowid();
SELECT id, email FROM users WHERE id > 10 ORDER BY id;
-- UPDATE OR IGNORE skips the rows whose change breaks a constraint; OR REPLACE deletes the rows in the way.
CREATE TABLE slots (id INTEGER PRIMARY KEY, code TEXT UNIQUE, n INTEGER CHECK (n < 10));
INSERT INTO slots VALUES (1, 'a', 1), (2, 'b', 5), (3, 'c', 8);
UPDATE OR IGNORE slots SET n = n * 2;
SELECT * FROM slots ORDER BY id;
UPDATE OR IGNORE slots SET code = 'c' WHERE id = 1;
UPDATE OR REPLACE slots SET code = 'c' WHERE id = 1;
SELECT * FROM slots ORDER BY id;
-- A NULL integer key is a datatype mismatch, which IGNORE does not skip.
UPDATE OR IGNORE slots SET id = NULL;
UPDATE OR FAIL slots SET n = n + 7;
SELECT * FROM slots ORDER BY id;
