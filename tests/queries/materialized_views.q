-- Materialized views: a query's rows kept in a table. A plain one changes on REFRESH;
-- one made WITH (incremental) changes in the commit that changes its tables, from the
-- rows that commit changed, so it equals its query at every version.
CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT, team TEXT);
CREATE TABLE scores (id INTEGER PRIMARY KEY, player INTEGER REFERENCES players (id), points INTEGER);
INSERT INTO players VALUES (1, 'ann', 'red'), (2, 'bob', 'blue'), (3, 'cy', 'red');
INSERT INTO scores (player, points) VALUES (1, 10), (2, 7), (1, 3), (3, 12);

-- A leaderboard: one row per player, with the extremes.
CREATE MATERIALIZED VIEW leaderboard WITH (incremental) AS
  SELECT player, count(*) AS games, sum(points) AS total, max(points) AS best, avg(points) AS mean
  FROM scores GROUP BY player;
CREATE INDEX leaderboard_total ON leaderboard (total);
SELECT * FROM leaderboard ORDER BY total DESC;
INSERT INTO scores (player, points) VALUES (2, 20);
-- Ann's best goes: her max is found again among her remaining rows.
DELETE FROM scores WHERE player = 1 AND points = 10;
SELECT * FROM leaderboard ORDER BY total DESC;
SELECT player FROM leaderboard WHERE total > 10;
EXPLAIN SELECT player FROM leaderboard WHERE total > 10;

-- A join on keys, grouped, with HAVING: teams with more than one score.
CREATE MATERIALIZED VIEW team_totals WITH (incremental) AS
  SELECT p.team, count(*) AS scores, sum(s.points) AS total
  FROM scores s JOIN players p ON s.player = p.id GROUP BY p.team HAVING count(*) > 1;
SELECT * FROM team_totals ORDER BY team;
UPDATE players SET team = 'blue' WHERE id = 3;
SELECT * FROM team_totals ORDER BY team;

-- Every version: the view as it was is the query as it was (version 5 made the view).
SELECT * FROM leaderboard AS OF VERSION 5 ORDER BY player;

-- In a transaction the view changes at COMMIT, with the rest of it; a rollback leaves
-- it alone.
BEGIN;
INSERT INTO scores (player, points) VALUES (3, 1);
ROLLBACK;
SELECT player, games FROM leaderboard WHERE player = 3;

-- A plain materialized view keeps what its query gave when it was last refreshed.
CREATE MATERIALIZED VIEW top AS SELECT player, points FROM scores ORDER BY points DESC LIMIT 2;
INSERT INTO scores (player, points) VALUES (3, 99);
SELECT * FROM top;
REFRESH MATERIALIZED VIEW top;
SELECT * FROM top;

-- What the engine cannot keep, it refuses with the reason; and it keeps the views'
-- tables to itself.
CREATE MATERIALIZED VIEW bad WITH (incremental) AS SELECT player FROM scores ORDER BY points LIMIT 3;
CREATE MATERIALIZED VIEW bad WITH (incremental) AS SELECT s.id FROM scores s LEFT JOIN players p ON s.player = p.id;
CREATE MATERIALIZED VIEW bad WITH (incremental) AS SELECT player, random() FROM scores;
INSERT INTO leaderboard VALUES (9, 1, 1, 1, 1.0);
DROP TABLE scores;
ALTER TABLE players ADD COLUMN age INTEGER;
DROP MATERIALIZED VIEW team_totals;
DROP MATERIALIZED VIEW top;
DROP MATERIALIZED VIEW IF EXISTS top;
ALTER TABLE players ADD COLUMN age INTEGER;
