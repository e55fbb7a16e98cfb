CREATE TABLE sales (region TEXT, product TEXT, amount INTEGER);
INSERT INTO sales VALUES ('north', 'apple', 10), ('south', 'apple', 5), ('north', 'pear', 7), ('south', 'pear', 3), ('north', 'apple', 2), (NULL, 'plum', 1);
SELECT region, count(*), sum(amount) FROM sales GROUP BY region;
SELECT region, product, sum(amount) AS total FROM sales GROUP BY region, product ORDER BY total DESC;
SELECT product, avg(amount) FROM sales GROUP BY 1 HAVING avg(amount) > 4;
SELECT product AS p, count(*) FROM sales GROUP BY p HAVING count(*) >= 2 ORDER BY p DESC;
SELECT amount % 2 AS parity, count(*) FROM sales GROUP BY amount % 2;
SELECT region, max(amount) FROM sales GROUP BY region HAVING region IS NOT NULL ORDER BY 2;
SELECT count(*) FROM sales HAVING count(*) > 100;
SELECT region FROM sales HAVING amount > 1;
SELECT region FROM sales GROUP BY sum(amount);

-- Groups are found by hashing, and equal values share one: 1 and 1.0 are one group,
-- as are the NULLs; two spellings of one time in text are two groups, as in SQLite.
SELECT x, count(*) FROM (SELECT 1 AS x UNION ALL SELECT 1.0 UNION ALL SELECT '2026-01-01' UNION ALL SELECT '2026-01-01 00:00:00' UNION ALL SELECT '2026-01-01' UNION ALL SELECT NULL UNION ALL SELECT NULL) GROUP BY x;
SELECT x, y, count(*) FROM (SELECT 1 AS x, 'a' AS y UNION ALL SELECT 1.0, 'a' UNION ALL SELECT 1, 'b' UNION ALL SELECT 2, 'a') GROUP BY x, y;
