CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER CHECK (age >= 0), nick TEXT);
CREATE INDEX people_name ON people (name);
INSERT INTO people (name, age, nick) VALUES ('ada', 36, 'countess'), ('bob', 41, NULL);
ALTER TABLE people ADD COLUMN country TEXT DEFAULT 'uk';
ALTER TABLE people ADD active BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE people ADD COLUMN email TEXT NOT NULL;
ALTER TABLE people ADD COLUMN name TEXT;
ALTER TABLE people ADD COLUMN code TEXT UNIQUE;
SELECT * FROM people;
INSERT INTO people (name, age) VALUES ('cy', 7);
SELECT id, name, country, active FROM people WHERE id = 3;
ALTER TABLE people RENAME COLUMN age TO years;
INSERT INTO people (name, years) VALUES ('dee', -1);
SELECT name, years FROM people;
ALTER TABLE people RENAME COLUMN nmae TO full_name;
ALTER TABLE people DROP COLUMN nick;
ALTER TABLE people DROP COLUMN name;
ALTER TABLE people DROP COLUMN years;
ALTER TABLE people DROP COLUMN id;
SELECT * FROM people;
ALTER TABLE people RENAME TO humans;
SELECT count(*) FROM people;
SELECT name FROM humans WHERE name = 'bob';
EXPLAIN SELECT name FROM humans WHERE name = 'bob';
ALTER TABLE humans RENAME TO humans;
ALTER TABLE nobody RENAME TO x;
.schema humans
CHECK DATABASE;
-- DROP COLUMN is refused while an index, a view or a trigger uses the column.
CREATE TABLE dc (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c INTEGER, d INTEGER);
CREATE INDEX dc_a ON dc (a);
CREATE VIEW dc_b AS SELECT b FROM dc;
CREATE VIEW dc_all AS SELECT * FROM dc;
CREATE TRIGGER dc_c AFTER INSERT ON dc BEGIN SELECT new.c; END;
ALTER TABLE dc DROP COLUMN a;
ALTER TABLE dc DROP COLUMN b;
ALTER TABLE dc DROP COLUMN c;
ALTER TABLE dc DROP COLUMN d;
SELECT * FROM dc_all;
-- ADD COLUMN with NOT NULL and a default, CHECK, and REFERENCES (whose default must be NULL).
CREATE TABLE parent (id INTEGER PRIMARY KEY);
INSERT INTO parent VALUES (1);
INSERT INTO dc VALUES (1, 1, 'x', 1);
ALTER TABLE dc ADD COLUMN n INTEGER NOT NULL DEFAULT 5 CHECK (n > 0);
ALTER TABLE dc ADD COLUMN pid INTEGER REFERENCES parent(id) ON DELETE CASCADE;
ALTER TABLE dc ADD COLUMN up INTEGER REFERENCES dc(id);
ALTER TABLE dc ADD COLUMN bad INTEGER DEFAULT 3 REFERENCES parent(id);
UPDATE dc SET n = 0;
UPDATE dc SET pid = 2;
UPDATE dc SET pid = 1, up = 1;
DELETE FROM parent;
SELECT count(*) FROM dc;
-- RENAME TO renames the table where views, triggers and other tables' foreign keys name
-- it (a view's FROM keeps the old name as its alias); a CTE of that name is not it.
CREATE TABLE p (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES p (id));
CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id));
CREATE VIEW pv AS SELECT p.id, (SELECT count(*) FROM c WHERE c.p = p.id) AS kids FROM p WHERE p.id > 0;
CREATE VIEW cte_p AS WITH p AS (SELECT 7 AS id) SELECT id FROM p;
CREATE TRIGGER c_new AFTER INSERT ON c BEGIN INSERT INTO p VALUES (NEW.id + 100, NULL); END;
CREATE TRIGGER p_gone AFTER DELETE ON p BEGIN DELETE FROM c WHERE c.p = OLD.id; END;
INSERT INTO p VALUES (1, NULL);
ALTER TABLE p RENAME TO q;
SELECT * FROM pv;
SELECT * FROM cte_p;
INSERT INTO c VALUES (5, 1);
SELECT * FROM q ORDER BY id;
INSERT INTO c VALUES (6, 42);
DELETE FROM q WHERE id = 1;
SELECT count(*) FROM c;
.schema c
.schema q
SELECT name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY name;
