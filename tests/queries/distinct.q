CREATE TABLE d (a INTEGER, b TEXT);
INSERT INTO d VALUES (1, 'x'), (1, 'x'), (2, 'x'), (NULL, 'y'), (NULL, 'y'), (1, 'z');
SELECT DISTINCT a FROM d;
SELECT DISTINCT a, b FROM d ORDER BY b, a;
SELECT DISTINCT b FROM d ORDER BY b DESC;
SELECT ALL a FROM d WHERE b = 'x';
SELECT count(DISTINCT a), count(a), count(*) FROM d;
