-- What tools written for SQLite read: the schema table, pragmas, rowid, write counters.
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE, name TEXT DEFAULT 'anon', points REAL);
CREATE INDEX players_team ON players (team_id, points DESC);
CREATE VIEW top AS SELECT name FROM players WHERE points > 10;
SELECT type, name, tbl_name, rootpage FROM sqlite_master ORDER BY name;
SELECT sql FROM sqlite_schema WHERE name = 'players_team';
PRAGMA table_info(players);
PRAGMA index_list(teams);
PRAGMA index_info(players_team);
PRAGMA foreign_key_list(players);
PRAGMA table_list;
SELECT name, type FROM pragma_table_info('players') WHERE pk = 0;
-- rowid, oid and _rowid_ name the integer primary key.
INSERT INTO teams (name) VALUES ('red'), ('blue');
SELECT rowid, oid, _rowid_, teams.rowid, name FROM teams ORDER BY rowid DESC;
UPDATE teams SET name = 'green' WHERE rowid = 2;
-- last_insert_rowid(), changes() and total_changes() follow this session's writes.
SELECT last_insert_rowid(), changes(), total_changes();
INSERT INTO players VALUES (100, 1, 'ann', 12.5);
SELECT last_insert_rowid(), changes(), total_changes();
INSERT INTO teams VALUES (3, 'red');
SELECT last_insert_rowid(), changes(), total_changes();
-- Mistakes.
PRAGMA journal_mode;
PRAGMA table_info(nope);
SELECT * FROM pragma_table_info();
CREATE TABLE codes (code TEXT PRIMARY KEY);
SELECT rowid FROM codes;
SELECT count(*) FROM sqlite_master;
-- COLLATE: how text compares, sorts and groups.
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO people VALUES (1, 'alice'), (2, 'Bob'), (3, 'ALICE'), (4, 'carol  '), (5, 'bob');
SELECT 'a' COLLATE NOCASE = 'A', 'a' = 'A', 'x  ' COLLATE RTRIM = 'x', 'B' COLLATE NOCASE < 'a';
SELECT id FROM people WHERE name = 'alice' COLLATE NOCASE ORDER BY id;
SELECT name FROM people ORDER BY name COLLATE NOCASE, id;
SELECT lower(name) AS name, count(*) FROM people GROUP BY name COLLATE NOCASE ORDER BY 1;
SELECT 'a' COLLATE klingon = 'A';
