CREATE TABLE stock (id INTEGER PRIMARY KEY, item TEXT, qty INTEGER, price REAL);
INSERT INTO stock (item, qty, price) VALUES ('pen', 10, 1.5), ('ink', 0, 7), ('pad', 3, 2.25);
UPDATE stock SET qty = qty + 5 WHERE qty < 5;
SELECT * FROM stock;
UPDATE stock SET price = price * 2, item = upper(item);
SELECT * FROM stock;
UPDATE stock SET qty = 0 WHERE item = 'nothing';
UPDATE stock SET nope = 1;
UPDATE stock SET qty = 'lots' WHERE id = 1;
UPDATE nowhere SET a = 1;
-- the new values are computed from the old row
UPDATE stock SET qty = price, price = qty WHERE id = 3;
SELECT * FROM stock WHERE id = 3;
