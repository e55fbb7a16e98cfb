-- Every commit is a version; AS OF VERSION reads a table as it was then.
SELECT current_version();
CREATE TABLE prices (item TEXT PRIMARY KEY, price REAL);
INSERT INTO prices VALUES ('tea', 2.5), ('cake', 4);
SELECT current_version();
UPDATE prices SET price = price * 2;
DELETE FROM prices WHERE item = 'cake';
SELECT current_version();
SELECT * FROM prices;
SELECT * FROM prices AS OF VERSION 2;
SELECT * FROM prices AS OF VERSION 3 AS p WHERE p.price > 3;
SELECT count(*) FROM prices AS OF VERSION 1;
SELECT * FROM prices AS OF VERSION 0;
SELECT * FROM prices AS OF VERSION 99;
EXPLAIN SELECT item FROM prices AS OF VERSION 2;
-- a failed statement makes no version
INSERT INTO prices VALUES ('tea', 1);
SELECT current_version();
BEGIN;
INSERT INTO prices VALUES ('jam', 3);
SELECT current_version();
COMMIT;
SELECT current_version();
