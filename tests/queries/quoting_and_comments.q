/* block comment
   spanning lines */
select 1 AS "Quoted Alias", 'it''s' AS apostrophe; -- trailing comment
SeLeCt 'keywords are case-insensitive' AS note;
CREATE TABLE "order" ("group" TEXT, [weird col] INTEGER, `back tick` TEXT);
INSERT INTO "order" VALUES ('g', 1, 'b');
SELECT "group", [weird col], `back tick` FROM "order";
SELECT 'semi;colon' AS s, "group" AS "a""b" FROM "order";
SELECT 1 /* inline */ + /* comments */ 2 AS three;
