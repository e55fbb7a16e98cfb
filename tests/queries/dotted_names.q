-- A quoted name with a dot in it is one name, as in SQLite; only an unquoted dot (or
-- one between two names) names a namespace.
CREATE TABLE "my.table" (id INTEGER PRIMARY KEY, "a.b" TEXT);
INSERT INTO "my.table" VALUES (1, 'one'), (2, 'two');
SELECT * FROM "my.table" ORDER BY id;
SELECT "my.table"."a.b" FROM "my.table" WHERE id = 2;
SELECT t."a.b" FROM main."my.table" AS t WHERE id = 1;
SELECT * FROM my.t;
UPDATE "my.table" SET "a.b" = upper("a.b") WHERE id = 1 RETURNING *;
CREATE INDEX "by.a.b" ON "my.table" ("a.b");
EXPLAIN SELECT id FROM "my.table" WHERE "a.b" = 'two';
CREATE VIEW "v.one" AS SELECT id FROM "my.table" WHERE id = 1;
SELECT * FROM "v.one";
.tables
.schema "my.table"
.indexes my.table
-- In a namespace, a dotted name is that namespace's.
CREATE NAMESPACE app;
CREATE TABLE app."x.y" (v INTEGER PRIMARY KEY);
INSERT INTO app."x.y" VALUES (7);
USE app;
SELECT * FROM "x.y";
CREATE TABLE "z.w" (v INTEGER REFERENCES "x.y");
.tables
USE main;
SELECT * FROM app."x.y";
SELECT * FROM "x.y";
SELECT name, tbl_name FROM sqlite_master ORDER BY name;
SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2;
SELECT name FROM pragma_table_info('my.table');
DROP VIEW "v.one";
ALTER TABLE "my.table" RENAME TO "your.table";
SELECT * FROM "your.table" ORDER BY id;
SELECT * FROM "my.table";
.dump
DROP TABLE "your.table";
.tables
