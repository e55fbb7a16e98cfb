-- Joins: inner, LEFT, comma lists, USING, NATURAL, self-joins; WHERE terms placed on scans and joins.
CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, v REAL);
INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, 'z');
INSERT INTO b VALUES (10, 1, 1.5), (11, 1, 2.5), (12, 2, 3.5), (13, NULL, 4.5);
SELECT a.name, b.v FROM a JOIN b ON b.a_id = a.id ORDER BY b.v;
SELECT a.name, b.v FROM a LEFT JOIN b ON b.a_id = a.id ORDER BY a.id, b.v;
SELECT a.name, b.v FROM a LEFT JOIN b ON b.a_id = a.id WHERE b.v IS NULL;
SELECT count(*) FROM a, b;
SELECT * FROM a, b WHERE a.id = b.a_id AND b.v > 2;
SELECT name, sum(v) FROM a JOIN b ON a.id = b.a_id GROUP BY name;
SELECT * FROM a JOIN b USING (id);
SELECT * FROM a x JOIN a y ON x.id < y.id ORDER BY 1, 3;
SELECT * FROM a JOIN a;
SELECT * FROM a LEFT JOIN b ON c.id = 1;
SELECT a.name, c.v FROM a LEFT JOIN b AS c ON c.a_id = a.id AND c.v > 2 ORDER BY a.id;
SELECT * FROM a NATURAL JOIN b;
SELECT id, name FROM a JOIN b USING (id) WHERE id > 0;
EXPLAIN SELECT a.name, b.v FROM a JOIN b ON b.a_id = a.id WHERE a.id = 1;
CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER, tag TEXT);
EXPLAIN SELECT a.name, c.tag FROM a, b, c WHERE c.tag = 'q' AND c.b_id = b.id AND b.a_id = a.id;

-- A join on integer keys in a narrow range finds rows by position, not by hash: keys
-- below, above and far outside the range, reals equal to integers and NULLs.
CREATE TABLE ids (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO ids VALUES (-2, 'minus two'), (0, 'zero'), (1, 'one'), (3, 'three');
CREATE TABLE refs (r);
INSERT INTO refs VALUES (-3), (-2), (0), (1.0), (1), (2), (3), (4), (NULL), (9223372036854775807), (-9223372036854775808), ('one');
SELECT refs.r, ids.name FROM refs JOIN ids ON ids.id = refs.r ORDER BY ids.id;
SELECT refs.r, ids.name FROM refs LEFT JOIN ids ON ids.id = refs.r ORDER BY refs.r, ids.name;
