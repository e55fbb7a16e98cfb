CREATE TABLE a (x INTEGER PRIMARY KEY, y TEXT NOT NULL DEFAULT 'none');
CREATE TABLE b (z REAL);
INSERT INTO a (y) VALUES ('one'), ('two, "quoted"');
.tables
.schema
.schema a
.schema nope
.mode csv
SELECT * FROM a;
.headers off
SELECT * FROM a;
.headers on
.mode json
SELECT x, y, NULL AS n, 1.5 AS r, TRUE AS t FROM a;
.mode markdown
SELECT * FROM a;
.mode line
SELECT * FROM a;
.mode box
SELECT * FROM a;
.mode nonsense
.headers maybe
.frobnicate
.help
