-- Soft delete: a table kept WITH (soft_delete) moves the rows DELETE takes into its
-- companion, users$deleted, with the time. Queries, joins, unique constraints and
-- foreign keys see only live rows; INCLUDING DELETED, UNDELETE and PURGE reach the rest.
-- (Times are the real clock's, so only whether a row has one is shown.)
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, name TEXT)
  WITH (soft_delete, purge_after = '30 days');
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));
INSERT INTO users VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@example.com', 'Bob'), (3, 'cy@example.com', 'Cy');
INSERT INTO orders VALUES (10, 1);

DELETE FROM users WHERE id IN (2, 3);
SELECT * FROM users;
SELECT id, name, deleted_at IS NOT NULL AS deleted FROM users INCLUDING DELETED ORDER BY id;
-- Which commit deleted each row: deleted_version (NULL for live rows).
SELECT id, deleted_version = current_version() AS in_the_last_commit FROM users INCLUDING DELETED ORDER BY id;
SELECT count(*) FROM users u JOIN orders o ON o.user_id = u.id;

-- A deleted user cannot be referenced, and a referenced one cannot be deleted.
INSERT INTO orders VALUES (11, 2);
DELETE FROM users WHERE id = 1;
-- The email of a deleted user is free; bringing the old row back then conflicts.
INSERT INTO users VALUES (4, 'bob@example.com', 'Bobby');
UNDELETE FROM users WHERE id = 2;
UNDELETE FROM users WHERE id = 3;
SELECT id, name FROM users ORDER BY id;

PURGE FROM users WHERE deleted_at < '2000-01-01';
PURGE FROM users WHERE id = 2;
SELECT count(*) FROM users INCLUDING DELETED;

-- Schema changes follow into the deleted rows.
ALTER TABLE users ADD COLUMN plan TEXT DEFAULT 'free';
DELETE FROM users WHERE id = 4;
SELECT id, name, plan FROM users INCLUDING DELETED WHERE deleted_at IS NOT NULL;
ALTER TABLE users SET (purge_after = '7 days');
ALTER TABLE users SET (soft_delete = off);
DELETE FROM users WHERE id = 3;
SELECT * FROM users INCLUDING DELETED;
UNDELETE FROM users;

-- Mistakes.
CREATE TABLE t (id INTEGER) WITH (soft_delete = 'sometimes');
CREATE TABLE t (id INTEGER) WITH (soft_delete, purge_after = 'soon');
CREATE TABLE t (id INTEGER, deleted_at TIMESTAMP) WITH (soft_delete);
ALTER TABLE orders SET (purge_after = '1 day');
ALTER TABLE orders SET (colour = 'red');
