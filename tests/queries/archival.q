-- Archival: ARCHIVE moves the rows a condition picks into a compressed file and deletes
-- them, in one statement; archive('file') reads them where they are, a view spans hot
-- and cold rows, and RESTORE FROM ARCHIVE brings them back through the constraints.
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total REAL, created_at TIMESTAMP);
INSERT INTO orders VALUES
  (1, 'ann', 12.5, '2025-03-01 10:00:00'), (2, 'bob', 7.0, '2025-11-30 18:30:00'),
  (3, 'ann', 30.0, '2026-02-01 09:15:00'), (4, 'cy', NULL, '2026-05-01 12:00:00');

ARCHIVE FROM orders WHERE created_at < '2026-01-01' TO 'orders-2025.amber';
SELECT * FROM orders ORDER BY id;
SELECT * FROM archive('orders-2025.amber') ORDER BY id;
SELECT customer, sum(total) FROM archive('orders-2025.amber') WHERE total > 10 GROUP BY customer;
-- The database records what it archived (and, not shown, its size and checksum).
SELECT path, source, rows FROM amber$archives;

-- Hot and cold together.
CREATE VIEW orders_all AS SELECT * FROM orders UNION ALL SELECT * FROM archive('orders-2025.amber');
SELECT count(*), sum(total) FROM orders_all;

-- An archive is never overwritten; a missing file is named.
ARCHIVE FROM orders WHERE id = 3 TO 'orders-2025.amber';
SELECT * FROM archive('orders-2026.amber');

-- In a transaction the archive gets its name at COMMIT; after a ROLLBACK it has none.
BEGIN;
ARCHIVE FROM orders WHERE id = 4 TO 'orders-cy.amber';
SELECT count(*) FROM orders;
ROLLBACK;
SELECT count(*) FROM orders;
SELECT * FROM archive('orders-cy.amber');

-- Back again: through the table's constraints, so twice is an error that changes nothing.
RESTORE FROM ARCHIVE 'orders-2025.amber' INTO orders;
SELECT id, customer FROM orders ORDER BY id;
RESTORE FROM ARCHIVE 'orders-2025.amber' INTO orders;
SELECT count(*) FROM orders;
