SELECT 1 = 1.0, 2 > 1.5, 'a' < 'b', 'B' < 'a', 10 < '9', '10' < '9';
SELECT 5 BETWEEN 1 AND 10, 5 NOT BETWEEN 1 AND 4, 'm' BETWEEN 'a' AND 'z', 3 BETWEEN 3 AND 3;
SELECT 2 IN (1, 2, 3), 'x' IN ('a', 'b'), 4 NOT IN (1, 2), 2.0 IN (1, 2);
SELECT 1 == 1, 1 != 2, 1 <> 1, 1 <= 1, 1 >= 2;
-- A range of integer keys bounded above by text or a blob holds every key: both sort
-- after every number. Bounded below by one, it holds none.
CREATE TABLE kr (id INTEGER PRIMARY KEY);
INSERT INTO kr VALUES (1), (2);
SELECT id FROM kr WHERE id BETWEEN 0 AND x'01';
SELECT id FROM kr WHERE id < 'a';
SELECT id FROM kr WHERE id > x'01';
