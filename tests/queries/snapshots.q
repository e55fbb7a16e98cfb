CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER);
INSERT INTO stock VALUES ('a', 10), ('b', 20);
CREATE SNAPSHOT before_sale;
UPDATE stock SET qty = qty - 5;
INSERT INTO stock VALUES ('c', 1);
SELECT * FROM stock;
SELECT * FROM stock AS OF SNAPSHOT before_sale;
CREATE SNAPSHOT before_sale;
CREATE SNAPSHOT after_sale;
-- restoring is a new version, so it can be undone
RESTORE SNAPSHOT before_sale;
SELECT * FROM stock;
SELECT current_version();
RESTORE SNAPSHOT after_sale;
SELECT * FROM stock;
-- a snapshot keeps tables that were dropped since
DROP TABLE stock;
SELECT count(*) FROM stock AS OF SNAPSHOT before_sale;
RESTORE SNAPSHOT before_sale;
SELECT * FROM stock;
BEGIN;
CREATE SNAPSHOT in_txn;
RESTORE SNAPSHOT before_sale;
ROLLBACK;
DROP SNAPSHOT after_sale;
DROP SNAPSHOT after_sale;
DROP SNAPSHOT IF EXISTS after_sale;
SELECT * FROM stock AS OF SNAPSHOT befor_sale;
RESTORE SNAPSHOT nothing;
