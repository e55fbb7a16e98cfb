CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER DEFAULT 1, note TEXT);
INSERT INTO items VALUES (10, 'bolt', 5, 'steel');
INSERT INTO items (name) VALUES ('nut');
INSERT INTO items (name, qty) VALUES ('washer', 100), ('screw', 20);
INSERT INTO items (qty, name) VALUES (2, 'gear');
SELECT * FROM items;
-- wrong numbers of values
INSERT INTO items VALUES (1, 'x');
INSERT INTO items (name, qty) VALUES ('a');
INSERT INTO items (name) VALUES ('a'), ('b', 2);
-- unknown and repeated columns
INSERT INTO items (nmae) VALUES ('a');
INSERT INTO items (name, name) VALUES ('a', 'b');
INSERT INTO nothere VALUES (1);
CREATE TABLE defaults_only (a INTEGER DEFAULT 7, b TEXT DEFAULT 'x', c REAL DEFAULT -1.5);
INSERT INTO defaults_only DEFAULT VALUES;
SELECT * FROM defaults_only;
