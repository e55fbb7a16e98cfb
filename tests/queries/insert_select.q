CREATE TABLE src (a INTEGER, b TEXT);
INSERT INTO src VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE TABLE dst (x INTEGER, y TEXT, z TEXT);
INSERT INTO dst (x, y) SELECT a * 10, upper(b) FROM src WHERE a >= 2;
SELECT * FROM dst;
-- reading and writing the same table sees the table as it was
INSERT INTO src SELECT a + 3, b || '!' FROM src;
SELECT * FROM src ORDER BY a;
INSERT INTO dst SELECT a FROM src;
