CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, nick TEXT);
INSERT INTO people (name) VALUES ('ada');
INSERT INTO people (nick) VALUES ('x');
INSERT INTO people (name) VALUES (NULL);
UPDATE people SET name = NULL;
SELECT * FROM people;
