-- Column types, their common spellings, and constraints
CREATE TABLE t1 (a INT, b BIGINT, c VARCHAR(20), d DOUBLE PRECISION, e FLOAT, f BOOL, g DATETIME, h);
.schema t1
CREATE TABLE IF NOT EXISTS t1 (x INTEGER);
CREATE TABLE t1 (x INTEGER);
CREATE TABLE T1 (x INTEGER);
CREATE TABLE t2 (a WIBBLE);
CREATE TABLE t3 (a INT, a TEXT);
CREATE TABLE t4 (a INT PRIMARY KEY, b INT PRIMARY KEY);
CREATE TABLE t5 (a INT, b TEXT, PRIMARY KEY (a, b), UNIQUE (b), CHECK (a > 0));
.schema t5
CREATE TABLE t6 (a INT, PRIMARY KEY (zz));
CREATE TABLE "Mixed Case" ("first name" TEXT DEFAULT 'n/a', "select" INT);
INSERT INTO "Mixed Case" ("select") VALUES (1);
SELECT "first name", "select" FROM "Mixed Case";
.tables
-- SQLite's STRICT and WITHOUT ROWID: accepted (AmberDB's columns are typed already).
CREATE TABLE strict_t (id INTEGER PRIMARY KEY, label TEXT, anything ANY) STRICT;
INSERT INTO strict_t VALUES (1, 'a', 'text'), (2, 'b', 2.5);
SELECT id, label, anything, typeof(anything) FROM strict_t;
CREATE TABLE keyed (code TEXT PRIMARY KEY, n INTEGER) STRICT, WITHOUT ROWID;
CREATE TABLE loose (id INTEGER PRIMARY KEY, name VARCHAR(20)) STRICT;
CREATE TABLE untyped (id INTEGER PRIMARY KEY, name) STRICT;
CREATE TABLE keyless (a INTEGER) WITHOUT ROWID;
-- DEFAULT (expression): worked out for each row that takes it.
CREATE TABLE stamped (id INTEGER PRIMARY KEY, made TEXT DEFAULT (datetime('now')), due TEXT DEFAULT (date('2024-01-31', '+1 month')), n INTEGER DEFAULT (6 * 7));
INSERT INTO stamped (id) VALUES (1), (2);
SELECT id, length(made), due, n FROM stamped;
CREATE TABLE nested (a INTEGER DEFAULT ((SELECT 1)));
ALTER TABLE stamped ADD COLUMN later TEXT DEFAULT (datetime('now'));
