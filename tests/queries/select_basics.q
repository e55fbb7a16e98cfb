-- SELECT without FROM, expressions, aliases, *, t.*
SELECT 1, 'two', 3.0, NULL, TRUE, FALSE;
SELECT 1 + 2 AS three, 'it''s' AS quoted, -5 AS neg, 1.5e3 AS sci, 0x10 AS hex;
CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, kind TEXT, age INT);
INSERT INTO pets (name, kind, age) VALUES ('rex', 'dog', 3), ('tom', 'cat', 5), ('nemo', 'fish', 1);
SELECT * FROM pets;
SELECT pets.* FROM pets WHERE age > 1;
SELECT p.name, p.age * 12 AS months FROM pets AS p;
SELECT name n, age FROM pets p WHERE p.kind = 'cat';
SELECT id, upper(name) FROM pets WHERE id = 2;
