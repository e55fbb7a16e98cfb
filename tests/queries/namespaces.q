-- Namespaces: each holds its own tables, views, indexes and streams; USE picks the one
-- unqualified names mean; n.t names another.
CREATE NAMESPACE shop;
CREATE NAMESPACE shop;
CREATE NAMESPACE IF NOT EXISTS shop;
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO items VALUES (1, 'in main');
CREATE TABLE shop.items (id INTEGER PRIMARY KEY, name TEXT, price REAL);
INSERT INTO shop.items VALUES (1, 'lamp', 25.0), (2, 'desk', 120.0);
SELECT * FROM items;
SELECT items.name, price FROM shop.items WHERE price > 50;
USE shop;
SELECT name FROM items ORDER BY id;
SELECT s.name, m.name FROM items AS s JOIN main.items AS m USING (id);
CREATE INDEX by_price ON items (price);
CREATE VIEW cheap AS SELECT name FROM items WHERE price < 100;
SELECT * FROM cheap;
USE main;
SELECT * FROM cheap;
SELECT * FROM shop.cheap;
.namespaces
.tables
SELECT * FROM nowhere.items;
USE nowhere;
DROP NAMESPACE main;
DROP NAMESPACE shop;
SELECT * FROM shop.items;
DROP NAMESPACE IF EXISTS shop;
SELECT * FROM items;
