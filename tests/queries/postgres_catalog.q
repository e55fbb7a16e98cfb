-- The schema as PostgreSQL's clients read it: information_schema and pg_catalog.
CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pop INTEGER, area REAL DEFAULT 0.0, founded TIMESTAMP, meta JSON);
CREATE INDEX city_pop ON city (pop);
CREATE VIEW big AS SELECT name FROM city WHERE pop > 100000;
CREATE NAMESPACE geo;
CREATE TABLE geo.river (name TEXT, km REAL);
SELECT table_schema, table_name, table_type FROM information_schema.tables ORDER BY table_schema, table_name;
SELECT column_name, ordinal_position, data_type, udt_name, is_nullable, column_default
FROM information_schema.columns WHERE table_name = 'city' ORDER BY ordinal_position;
SELECT schema_name FROM information_schema.schemata ORDER BY schema_name;
-- A driver's lookup of a table's columns and their types by oid.
SELECT a.attnum, a.attname, t.typname, a.attnotnull
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE c.relname = 'city' AND n.nspname = 'public'
ORDER BY a.attnum;
SELECT c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY n.nspname, c.relname;
SELECT i.relname AS index, t.relname AS "table", x.indisunique, x.indkey
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid ORDER BY 1;
SELECT typname FROM pg_type WHERE oid IN (20, 25, 701, 1114, 114) ORDER BY oid;
SELECT schemaname, tablename, hasindexes FROM pg_tables ORDER BY 1, 2;
SELECT datname FROM pg_database;
SELECT version(), current_database(), current_schema();
-- What psql's \dt asks, as it asks it.
SELECT n.nspname as "Schema", c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'i' THEN 'index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;
-- Regular expressions: ~ and ~* match, !~ and !~* do not; regexp_like is the function.
SELECT 'abc' ~ 'b', 'ABC' ~* 'b', 'abc' !~ '^b', 'x' !~* 'X', NULL ~ 'a', regexp_like('Hello', '^h', 'i');
INSERT INTO city (id, name, pop) VALUES (1, 'Lyon', 522250), (2, 'le Mans', 143000), (3, 'Nantes', 320732);
SELECT name FROM city WHERE name ~ '^[A-Z]' ORDER BY id;
SELECT name FROM city WHERE name ~* '^l' ORDER BY id;
SELECT 'a' ~ '(';
SELECT regexp_like('a', 'a', 'q');
SELECT geo.upper('x');
USE geo;
SELECT current_schema();
-- A table of one's own by a catalog's name is that table.
USE main;
CREATE TABLE pg_tables (x INTEGER);
SELECT * FROM pg_tables;
SELECT * FROM pg_catalog.pg_nothing;
