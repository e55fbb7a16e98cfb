-- COLLATE on columns: a column's collation is how its text compares, sorts, groups and
-- is indexed, as in SQLite (every result here checked against the sqlite3 shell).
CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, code TEXT COLLATE RTRIM, tag TEXT);
INSERT INTO u VALUES (1, 'Ann', 'a ', 'x'), (2, 'bob', 'b', 'X'), (3, 'ANN', 'a', 'y'), (4, 'Carl', 'c  ', 'Y'), (5, 'alice', 'A', NULL);
-- The column's collation, from either side; an explicit COLLATE wins.
SELECT id FROM u WHERE name = 'ann' ORDER BY id;
SELECT id FROM u WHERE 'ann' = name ORDER BY id;
SELECT id FROM u WHERE name = 'ann' COLLATE BINARY ORDER BY id;
SELECT id FROM u WHERE code = 'a' ORDER BY id;
SELECT id FROM u WHERE name IN ('ANN', 'BOB') ORDER BY id;
SELECT id FROM u WHERE name BETWEEN 'a' AND 'b' ORDER BY id;
SELECT id FROM u WHERE name > 'b' ORDER BY id;
SELECT id FROM u WHERE +name = 'ANN' ORDER BY id;
-- Sorting, grouping, DISTINCT, min() and max() under it.
SELECT name FROM u ORDER BY name, id;
SELECT name AS n FROM u ORDER BY n DESC, id;
SELECT tag FROM u ORDER BY tag;
SELECT group_concat(id) FROM u GROUP BY name ORDER BY 1;
SELECT DISTINCT name FROM u ORDER BY 1;
SELECT DISTINCT code FROM u ORDER BY 1;
SELECT min(name), max(name), count(DISTINCT name), count(DISTINCT tag) FROM u;
-- A subquery's or a view's column keeps it.
SELECT id FROM (SELECT id, name FROM u) WHERE name = 'ann' ORDER BY id;
CREATE VIEW v AS SELECT id, name FROM u;
SELECT id FROM v WHERE name = 'ALICE';
-- An index on the column is keyed under it, and serves its comparisons and order.
CREATE INDEX u_name ON u (name);
EXPLAIN SELECT id FROM u WHERE name = 'ANN';
SELECT id FROM u WHERE name = 'ANN' ORDER BY id;
EXPLAIN SELECT id FROM u WHERE name = 'ANN' COLLATE BINARY;
-- UNIQUE and PRIMARY KEY hold under it; ON CONFLICT names the column as usual.
CREATE TABLE e (email TEXT UNIQUE COLLATE NOCASE, n INTEGER);
INSERT INTO e VALUES ('a@x.com', 1);
INSERT INTO e VALUES ('A@X.COM', 2);
INSERT INTO e VALUES ('B@X.com', 3) ON CONFLICT (email) DO UPDATE SET n = n + 10;
INSERT INTO e VALUES ('b@x.COM', 4) ON CONFLICT (email) DO UPDATE SET n = n + 10 RETURNING *;
SELECT * FROM e ORDER BY email;
CREATE TABLE k (email TEXT PRIMARY KEY COLLATE NOCASE, n INTEGER);
INSERT INTO k VALUES ('a@x.com', 1);
INSERT INTO k VALUES ('A@X.COM', 2);
SELECT * FROM k WHERE email = 'A@x.Com';
-- Added columns, the schema as written back, and what is not a collation.
ALTER TABLE u ADD COLUMN nick TEXT COLLATE NOCASE;
UPDATE u SET nick = upper(name);
SELECT id FROM u WHERE nick = 'ann' ORDER BY id;
.schema e
.schema k
SELECT sql FROM sqlite_master WHERE name = 'u';
CREATE TABLE bad (x TEXT COLLATE FRENCH);
