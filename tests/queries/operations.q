-- Operations: the database's counters, statement shapes, slow statements, memory,
-- settings and EXPLAIN ANALYZE (run with TIMING OFF so that no time shows).
CREATE TABLE players (id INTEGER PRIMARY KEY, team TEXT NOT NULL, score INTEGER);
CREATE INDEX players_team ON players (team);
INSERT INTO players SELECT value, 'team' || (value % 4), value * 7 % 100 FROM generate_series(1, 200);
CREATE TABLE teams (name TEXT PRIMARY KEY, city TEXT);
INSERT INTO teams VALUES ('team0', 'Oslo'), ('team1', 'Lima'), ('team2', 'Pune'), ('team3', 'Kyiv');

-- Counters and statement shapes start again from here.
SELECT amber_stats_reset();
SELECT count(*) FROM players WHERE score > 50;
SELECT count(*) FROM players WHERE score > 90;
UPDATE players SET score = score + 1 WHERE id = 3;
SELECT nosuch FROM players;
SELECT name, value FROM amber_stats() WHERE name LIKE 'statements_%' OR name LIKE 'rows_%';
-- The two counts are one shape: their literals are parameters.
SELECT query, calls, rows, errors FROM amber_statements() ORDER BY query;

-- EXPLAIN ANALYZE: each part's actual rows and loops beside the plan.
EXPLAIN (ANALYZE, TIMING OFF) SELECT team, count(*), max(score) FROM players WHERE score >= 10 GROUP BY team;
SELECT team, count(*), max(score) FROM players WHERE score >= 10 GROUP BY team;
EXPLAIN (ANALYZE, TIMING OFF) SELECT p.id, t.city FROM players p JOIN teams t ON t.name = p.team WHERE p.score > 95;
SELECT count(*) FROM players p JOIN teams t ON t.name = p.team WHERE p.score > 95;
-- A write is run and rolled back outside a transaction…
EXPLAIN (ANALYZE, TIMING OFF) DELETE FROM players WHERE team = 'team1';
SELECT count(*) FROM players;
-- …and kept inside one, until it ends.
BEGIN;
EXPLAIN (ANALYZE, TIMING OFF) DELETE FROM players WHERE team = 'team1';
SELECT count(*) FROM players;
ROLLBACK;
EXPLAIN (ANALYZE, TIMING OFF) CREATE TABLE nope (a INTEGER);

-- Slow statements: with a bound of 0 every statement is one.
SET slow_query_ms = 0;
SHOW slow_query_ms;
SELECT city FROM teams WHERE name = 'team2';
SET slow_query_ms = off;
SELECT rows, query, plan, error FROM amber_slow_queries();

-- Memory, counted: each table and index, and what old versions hold.
SELECT kind, name, rows FROM amber_memory() WHERE kind IN ('table', 'index', 'versions');
SELECT count(*) FROM amber_memory() WHERE kind = 'total' AND bytes > 0;

-- A write that would pass the memory limit changes nothing.
SET memory_limit = '64KB';
SHOW memory_limit;
INSERT INTO players SELECT value, 'team9', 0 FROM generate_series(1000, 3000);
SELECT count(*) FROM players;
SET memory_limit = off;
INSERT INTO players SELECT value, 'team9', 0 FROM generate_series(1000, 3000);
SELECT count(*) FROM players;

-- Measuring can be switched off (and costs little when on: see benches/operations.rs).
SET track_statements = off;
SHOW track_statements;
SELECT 1;
SET track_statements = on;
SELECT 2;
SELECT query, calls FROM amber_statements() WHERE query IN ('SELECT 1;', 'SELECT 2;');

-- A table can hold at most so many rows: WITH (max_rows = N).
CREATE TABLE recent (id INTEGER PRIMARY KEY, what TEXT) WITH (max_rows = 3);
INSERT INTO recent VALUES (1, 'a'), (2, 'b');
INSERT INTO recent VALUES (3, 'c'), (4, 'd');
SELECT count(*) FROM recent;
INSERT INTO recent VALUES (3, 'c');
INSERT INTO recent VALUES (4, 'd');
DELETE FROM recent WHERE id = 1;
INSERT INTO recent VALUES (4, 'd');
SELECT id, what FROM recent;
.schema recent
CREATE TABLE nope (a INTEGER) WITH (max_rows = 0);

-- Mistakes.
SET memory_limt = '1GB';
SET slow_query_ms = 'soon';
SET memory_limit = 'lots';
SHOW nothing;
SELECT * FROM amber_stats(1);
