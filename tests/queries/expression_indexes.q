-- Indexes on expressions and partial indexes.
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, deleted_at TIMESTAMP, score INTEGER, bonus INTEGER);
INSERT INTO users (email, score, bonus) VALUES ('Ann@Example.com', 10, 1), ('bob@example.com', 20, 2), ('carl@example.com', 30, 0), ('dee@example.com', 5, 40);
-- An index on lower(email) answers the case-blind lookup; EXPLAIN names it.
CREATE INDEX users_email_ci ON users (lower(email));
EXPLAIN SELECT id FROM users WHERE lower(email) = 'ann@example.com';
SELECT id FROM users WHERE lower(email) = 'ann@example.com';
-- Arithmetic, ranges and IN lists on the expression.
CREATE INDEX users_total ON users (score + bonus DESC);
EXPLAIN SELECT id FROM users WHERE score + bonus BETWEEN 20 AND 40;
SELECT id, score + bonus FROM users WHERE score + bonus BETWEEN 20 AND 40 ORDER BY id;
SELECT id FROM users WHERE score + bonus IN (11, 45) ORDER BY id;
-- A query that does not name the expression does not use it.
EXPLAIN SELECT id FROM users WHERE email = 'ann@example.com';
-- Unique among the live rows: a partial UNIQUE index.
CREATE UNIQUE INDEX users_live_email ON users (lower(email)) WHERE deleted_at IS NULL;
INSERT INTO users (email) VALUES ('ANN@example.com');
UPDATE users SET deleted_at = '2026-12-01 00:00:00' WHERE id = 1;
INSERT INTO users (email) VALUES ('ANN@example.com');
SELECT id, email, deleted_at IS NULL AS live FROM users WHERE lower(email) = 'ann@example.com' ORDER BY id;
-- Bringing the old row back would make two live rows with one address.
UPDATE users SET deleted_at = NULL WHERE id = 1;
-- The planner uses a partial index only when the WHERE implies the index's WHERE.
DROP INDEX users_email_ci;
EXPLAIN SELECT id FROM users WHERE lower(email) = 'ann@example.com' AND deleted_at IS NULL;
EXPLAIN SELECT id FROM users WHERE lower(email) = 'ann@example.com';
-- A partial index of plain columns, implied by a comparison of the column.
CREATE INDEX users_scored ON users (score) WHERE score IS NOT NULL;
EXPLAIN SELECT id FROM users WHERE score > 15;
-- INSERT OR REPLACE and upserts see the expression indexes too.
INSERT OR REPLACE INTO users (id, email) VALUES (9, 'Bob@Example.com');
SELECT id, email FROM users WHERE lower(email) = 'bob@example.com';
INSERT INTO users (id, email) VALUES (10, 'CARL@example.com') ON CONFLICT DO UPDATE SET score = score + 1;
SELECT id, score FROM users WHERE lower(email) = 'carl@example.com';
-- An upsert names a partial unique index by its columns and a WHERE that implies the index's.
CREATE TABLE subs (id INTEGER PRIMARY KEY, email TEXT, gone INTEGER, n INTEGER DEFAULT 0);
CREATE UNIQUE INDEX subs_live ON subs (email) WHERE gone IS NULL;
INSERT INTO subs (email) VALUES ('a'), ('b');
UPDATE subs SET gone = 1 WHERE email = 'b';
INSERT INTO subs (email) VALUES ('a'), ('b') ON CONFLICT (email) WHERE gone IS NULL DO UPDATE SET n = n + 1;
SELECT * FROM subs ORDER BY id;
INSERT INTO subs (email) VALUES ('a') ON CONFLICT (email) DO UPDATE SET n = n + 1;
.schema users
-- What an index may not hold.
CREATE INDEX bad ON users (random());
CREATE INDEX bad ON users ((SELECT 1));
CREATE INDEX bad ON users (score) WHERE score > ?;
CREATE INDEX bad ON users (nope);
CHECK DATABASE;
-- A collation in an index key: entries compare under it, so a UNIQUE index refuses
-- names that differ only in case, and a query under the same collation uses it.
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
CREATE UNIQUE INDEX people_name ON people (name COLLATE NOCASE);
INSERT INTO people (name) VALUES ('Ann'), ('bob');
INSERT INTO people (name) VALUES ('ANN');
INSERT INTO people (name) VALUES ('Bob ') ;
INSERT INTO people (name) VALUES ('BOB') ON CONFLICT (name COLLATE NOCASE) DO UPDATE SET name = excluded.name;
SELECT id, name FROM people WHERE name = 'ann' COLLATE NOCASE;
SELECT id, name FROM people ORDER BY name COLLATE NOCASE, id;
EXPLAIN SELECT id FROM people WHERE name = 'ann' COLLATE NOCASE;
