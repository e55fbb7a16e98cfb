-- Secondary and composite indexes, and the access paths the planner picks
CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER, kind TEXT, created_at TIMESTAMP, score INTEGER);
INSERT INTO events (user_id, kind, created_at, score) VALUES
  (7, 'login', '2026-01-05 10:00:00', 10), (7, 'buy', '2026-01-20 11:00:00', 50),
  (7, 'login', '2026-02-03 09:00:00', 20), (8, 'login', '2026-01-10 08:00:00', 5),
  (8, 'buy', '2026-01-11 08:30:00', 70), (9, 'logout', '2026-03-01 00:00:00', NULL),
  (7, 'Login', '2026-01-25 12:00:00', 15);
CREATE INDEX events_user_time ON events (user_id, created_at);
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_score ON events (score DESC);
CREATE INDEX events_kind ON events (score);
CREATE INDEX IF NOT EXISTS events_kind ON events (score);
CREATE INDEX nope ON events (missing);
CREATE INDEX nope ON nowhere (a);
.indexes events
.schema events
EXPLAIN SELECT * FROM events WHERE id = 3;
SELECT * FROM events WHERE id = 3;
EXPLAIN SELECT id FROM events WHERE id IN (5, 1, 5, 99);
SELECT id FROM events WHERE id IN (5, 1, 5, 99);
EXPLAIN SELECT id FROM events WHERE id > 2 AND id <= 4;
SELECT id FROM events WHERE id > 2 AND id <= 4;
EXPLAIN SELECT id, kind FROM events WHERE kind = 'buy';
SELECT id, kind FROM events WHERE kind = 'buy';
EXPLAIN SELECT id FROM events WHERE user_id = 7 AND created_at BETWEEN '2026-01-01' AND '2026-02-01';
SELECT id FROM events WHERE user_id = 7 AND created_at BETWEEN '2026-01-01' AND '2026-02-01';
EXPLAIN SELECT id FROM events WHERE user_id IN (8, 9);
SELECT id FROM events WHERE user_id IN (8, 9);
EXPLAIN SELECT kind FROM events WHERE kind LIKE 'log%';
SELECT kind FROM events WHERE kind LIKE 'log%';
EXPLAIN SELECT id, score FROM events ORDER BY score DESC LIMIT 3;
SELECT id, score FROM events ORDER BY score DESC LIMIT 3;
EXPLAIN SELECT id, score FROM events ORDER BY score LIMIT 3;
SELECT id, score FROM events ORDER BY score LIMIT 3;
EXPLAIN SELECT id FROM events ORDER BY id DESC LIMIT 2;
SELECT id FROM events ORDER BY id DESC LIMIT 2;
EXPLAIN SELECT id, created_at FROM events ORDER BY created_at DESC LIMIT 2;
SELECT id, created_at FROM events ORDER BY created_at DESC LIMIT 2;
EXPLAIN SELECT count(*) FROM events WHERE score > 10;
EXPLAIN UPDATE events SET score = 0, kind = 'x' WHERE id = 1;
EXPLAIN DELETE FROM events WHERE kind = 'login' AND score > 3;
-- writes keep every index in step
UPDATE events SET kind = 'buy' WHERE id = 1;
DELETE FROM events WHERE kind = 'login';
SELECT id, kind FROM events WHERE kind = 'buy';
SELECT id FROM events WHERE user_id = 7;
.indexes events
DROP INDEX events_kind;
DROP INDEX events_kind;
DROP INDEX IF EXISTS events_kind;
EXPLAIN SELECT id FROM events WHERE kind = 'buy';
-- a unique index refuses duplicates, now and later
CREATE UNIQUE INDEX events_user_kind ON events (user_id, kind);
CREATE TABLE handles (id INTEGER PRIMARY KEY, handle TEXT);
INSERT INTO handles (handle) VALUES ('ann'), ('bob');
CREATE UNIQUE INDEX handles_handle ON handles (handle);
INSERT INTO handles (handle) VALUES ('ann');
DROP INDEX handles_handle;
INSERT INTO handles (handle) VALUES ('ann');
CREATE UNIQUE INDEX handles_handle ON handles (handle);
CHECK DATABASE;
.check
