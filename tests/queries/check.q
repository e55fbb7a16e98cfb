CREATE TABLE prices (item TEXT, price REAL CHECK (price >= 0), discount REAL, CHECK (discount IS NULL OR discount < price));
INSERT INTO prices VALUES ('a', 10, 2);
INSERT INTO prices VALUES ('b', -1, NULL);
INSERT INTO prices VALUES ('c', 5, 6);
INSERT INTO prices VALUES ('d', NULL, NULL);
UPDATE prices SET price = -5 WHERE item = 'a';
SELECT * FROM prices;
CREATE TABLE bad (a INT CHECK (b > 0));
