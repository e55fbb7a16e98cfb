-- A leaderboard: rank per team, running totals, a 7-day moving average.
CREATE TABLE scores (player TEXT PRIMARY KEY, team TEXT, points INTEGER);
INSERT INTO scores VALUES ('ann', 'red', 50), ('bob', 'red', 70), ('cat', 'red', 70), ('dan', 'blue', 40), ('eve', 'blue', 90), ('fay', 'blue', NULL);
SELECT team, player, points, rank() OVER (PARTITION BY team ORDER BY points DESC) AS rank, dense_rank() OVER (PARTITION BY team ORDER BY points DESC) AS dense, row_number() OVER (PARTITION BY team ORDER BY points DESC, player) AS n FROM scores ORDER BY team, n;
SELECT * FROM (SELECT team, player, rank() OVER (PARTITION BY team ORDER BY points DESC) AS r FROM scores) WHERE r <= 2 ORDER BY team, r, player;
SELECT player, points, percent_rank() OVER w AS pr, cume_dist() OVER w AS cd, ntile(4) OVER w AS quartile FROM scores WINDOW w AS (ORDER BY points) ORDER BY points, player;
CREATE TABLE sales (day TEXT PRIMARY KEY, amount INTEGER);
INSERT INTO sales VALUES ('2024-03-01', 10), ('2024-03-02', 20), ('2024-03-03', 30), ('2024-03-04', 40), ('2024-03-05', 50), ('2024-03-06', 60), ('2024-03-07', 70), ('2024-03-08', 80), ('2024-03-09', 90);
SELECT day, amount, sum(amount) OVER (ORDER BY day) AS running_total FROM sales;
SELECT day, avg(amount) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS avg_7d FROM sales;
SELECT day, lag(amount) OVER (ORDER BY day) AS prev, lead(amount, 2, 0) OVER (ORDER BY day) AS after_next, amount - lag(amount) OVER (ORDER BY day) AS change FROM sales;
SELECT day, first_value(amount) OVER w AS first, last_value(amount) OVER w AS last, nth_value(amount, 2) OVER w AS second FROM sales WINDOW w AS (ORDER BY day ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING);
SELECT amount, sum(amount) OVER (ORDER BY amount RANGE BETWEEN 15 PRECEDING AND 15 FOLLOWING) AS near, count(*) OVER (ORDER BY amount GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW) AS before FROM sales;
SELECT count(*) FILTER (WHERE amount > 40) AS big, sum(amount) FILTER (WHERE day < '2024-03-05') AS early FROM sales;
-- Gaps and islands: runs of consecutive ids.
CREATE TABLE seen (id INTEGER PRIMARY KEY);
INSERT INTO seen VALUES (1), (2), (3), (7), (8), (10), (11), (12), (13);
SELECT min(id) AS start, max(id) AS stop, count(*) AS length FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS island FROM seen) GROUP BY island ORDER BY start;
-- Windows over groups.
SELECT team, sum(points) AS total, rank() OVER (ORDER BY sum(points) DESC) AS place FROM scores GROUP BY team;
EXPLAIN SELECT player, row_number() OVER (PARTITION BY team ORDER BY points) FROM scores;
-- Mistakes: each is an error and changes nothing.
SELECT player FROM scores WHERE row_number() OVER () > 1;
SELECT team FROM scores GROUP BY rank() OVER (ORDER BY points);
SELECT team, count(*) FROM scores GROUP BY team HAVING rank() OVER (ORDER BY team) = 1;
SELECT sum(points) OVER (ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM scores;
SELECT sum(points) OVER (RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM scores;
SELECT sum(points) OVER nowhere FROM scores;
SELECT row_number() FROM scores;
SELECT abs(points) OVER () FROM scores;
SELECT ntile(0) OVER (ORDER BY points) FROM scores;
SELECT sum(points) OVER (ORDER BY points ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM scores;
SELECT count(*) FROM scores;
-- A window's partition and order served by an index: its sort finds the rows in order.
CREATE INDEX scores_team_points ON scores (team, points);
EXPLAIN SELECT player, row_number() OVER (PARTITION BY team ORDER BY points) FROM scores;
SELECT player, row_number() OVER (PARTITION BY team ORDER BY points) AS n FROM scores;
