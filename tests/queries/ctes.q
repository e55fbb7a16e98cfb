-- Common table expressions: plain, read twice, recursive.
CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT, boss INTEGER);
INSERT INTO staff VALUES (1, 'ada', NULL), (2, 'bo', 1), (3, 'cy', 1), (4, 'di', 2), (5, 'ed', 4), (6, 'flo', 3);
WITH bosses AS (SELECT DISTINCT boss FROM staff WHERE boss IS NOT NULL) SELECT name FROM staff WHERE id IN (SELECT boss FROM bosses) ORDER BY name;
WITH c(b, n) AS (SELECT boss, count(*) FROM staff GROUP BY boss) SELECT x.b, x.n, y.n FROM c x JOIN c y ON x.b = y.b ORDER BY x.b;
-- An org chart: each person with their depth and chain of bosses.
WITH RECURSIVE chart(id, name, depth, path) AS (SELECT id, name, 0, name FROM staff WHERE boss IS NULL UNION ALL SELECT s.id, s.name, c.depth + 1, c.path || ' > ' || s.name FROM staff s JOIN chart c ON s.boss = c.id) SELECT printf('%.*s%s', depth * 2, '          ', name) AS person, depth, path FROM chart ORDER BY path;
-- The tree of parents of one person.
WITH RECURSIVE up(id) AS (SELECT 5 UNION SELECT boss FROM staff JOIN up ON staff.id = up.id WHERE boss IS NOT NULL) SELECT name FROM staff WHERE id IN up ORDER BY id;
-- A counter, and LIMIT inside the CTE and outside it.
WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt WHERE x < 5) SELECT x, x * x AS square FROM cnt;
WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt LIMIT 4) SELECT group_concat(x) FROM cnt;
WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt) SELECT x FROM cnt LIMIT 3;
-- UNION stops a cycle.
WITH RECURSIVE cyc(x) AS (SELECT 0 UNION SELECT (x + 1) % 4 FROM cyc) SELECT x FROM cyc ORDER BY x;
-- A calendar of days joined to events.
CREATE TABLE events (at TIMESTAMP, what TEXT);
INSERT INTO events VALUES ('2024-02-27 09:00:00', 'standup'), ('2024-02-29 14:30:00', 'leap party'), ('2024-02-29 18:00:00', 'dinner'), ('2024-03-02 10:00:00', 'hike');
WITH RECURSIVE days(day) AS (SELECT date('2024-02-26') UNION ALL SELECT date(day, '+1 day') FROM days WHERE day < '2024-03-03') SELECT day, count(what) AS events FROM days LEFT JOIN events ON date(events.at) = days.day GROUP BY day ORDER BY day;
-- WITH before writes.
CREATE TABLE archive (id INTEGER, name TEXT);
WITH leaves AS (SELECT id, name FROM staff WHERE id NOT IN (SELECT boss FROM staff WHERE boss IS NOT NULL)) INSERT INTO archive SELECT * FROM leaves;
SELECT * FROM archive ORDER BY id;
WITH old AS (SELECT id FROM archive WHERE id > 5) DELETE FROM archive WHERE id IN old;
SELECT count(*) FROM archive;
-- A bare VALUES list, as a query and in FROM.
VALUES (1, 'one'), (2, 'two');
SELECT column2 FROM (VALUES (1, 'one'), (2, 'two')) WHERE column1 = 2;
EXPLAIN WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt WHERE x < 5) SELECT x FROM cnt;
-- Mistakes.
WITH RECURSIVE bad(x) AS (SELECT x FROM bad UNION ALL SELECT 1) SELECT * FROM bad;
WITH c(a, b) AS (SELECT 1) SELECT * FROM c;
WITH c AS (SELECT 1), c AS (SELECT 2) SELECT * FROM c;
