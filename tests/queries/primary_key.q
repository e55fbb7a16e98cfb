-- An INTEGER PRIMARY KEY is the row key; NULL gets the next one
CREATE TABLE seq (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO seq (v) VALUES ('a'), ('b');
INSERT INTO seq VALUES (10, 'c');
INSERT INTO seq VALUES (NULL, 'd');
INSERT INTO seq VALUES (2, 'dup');
SELECT * FROM seq;
-- composite and text keys
CREATE TABLE grid (x INTEGER, y INTEGER, label TEXT, PRIMARY KEY (x, y));
INSERT INTO grid VALUES (1, 1, 'a'), (1, 2, 'b'), (0, 5, 'c');
INSERT INTO grid VALUES (1, 2, 'again');
INSERT INTO grid VALUES (NULL, 2, 'null key');
SELECT * FROM grid;
CREATE TABLE codes (code TEXT PRIMARY KEY, n INTEGER);
INSERT INTO codes VALUES ('b', 2), ('a', 1);
INSERT INTO codes VALUES ('a', 3);
SELECT * FROM codes;
-- changing a key moves the row
UPDATE seq SET id = 100 WHERE v = 'a';
UPDATE seq SET id = 10 WHERE v = 'b';
SELECT * FROM seq;
