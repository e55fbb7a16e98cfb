-- Foreign keys: references must point at rows; deletes and key changes follow the
-- declared action (RESTRICT by default, CASCADE, SET NULL).
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT, team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE badges (player_id INTEGER, label TEXT, FOREIGN KEY (player_id) REFERENCES players ON DELETE SET NULL);
CREATE TABLE sponsors (team_name TEXT REFERENCES teams (name), amount INTEGER);
.schema players
INSERT INTO teams VALUES (1, 'red'), (2, 'blue');
INSERT INTO players VALUES (10, 'ada', 1), (11, 'bob', 1), (12, 'cy', 2), (13, 'free agent', NULL);
INSERT INTO players VALUES (14, 'dee', 3);
INSERT INTO players VALUES (15, 'eve', 2), (16, 'fay', 9);
INSERT INTO badges VALUES (10, 'mvp'), (12, 'rookie');
INSERT INTO sponsors VALUES ('red', 100), ('blue', 50);
INSERT INTO sponsors VALUES ('green', 10);
UPDATE players SET team_id = 5 WHERE id = 10;
-- RESTRICT (the default) refuses to remove a referenced row
DELETE FROM teams WHERE name = 'blue';
UPDATE teams SET name = 'navy' WHERE name = 'blue';
-- ON UPDATE CASCADE follows the key; ON DELETE CASCADE removes the children, and
-- SET NULL clears the grandchildren's references
UPDATE teams SET id = 20 WHERE id = 2;
SELECT * FROM players ORDER BY id;
DELETE FROM teams WHERE id = 1;
DELETE FROM sponsors WHERE team_name = 'red';
DELETE FROM teams WHERE id = 1;
SELECT * FROM players ORDER BY id;
SELECT * FROM badges;
SELECT * FROM sponsors;
-- a statement may insert a child before its parent: the check is at its end
CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES nodes (id));
INSERT INTO nodes VALUES (2, 1), (1, NULL);
DELETE FROM nodes WHERE id = 1;
DELETE FROM nodes;
SELECT count(*) FROM nodes;
-- bad declarations
CREATE TABLE bad1 (x INTEGER REFERENCES nowhere (id));
CREATE TABLE bad2 (x INTEGER REFERENCES teams (nmae));
CREATE TABLE bad3 (x TEXT REFERENCES players (name));
CREATE TABLE bad4 (x INTEGER, y INTEGER, FOREIGN KEY (x, y) REFERENCES teams (id));
DROP TABLE teams;
CHECK DATABASE;
