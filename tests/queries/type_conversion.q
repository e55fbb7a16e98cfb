-- Values convert into typed columns only when the conversion is exact
CREATE TABLE typed (i INTEGER, r REAL, t TEXT, b BOOLEAN, ts TIMESTAMP);
INSERT INTO typed VALUES ('12', 3, 42, 1, '2026-01-02 03:04:05');
INSERT INTO typed VALUES (4.0, '2.5', 1.5, 'false', '2026-01-02T03:04:05Z');
INSERT INTO typed VALUES (NULL, NULL, NULL, NULL, NULL);
SELECT i, typeof(i), r, typeof(r), t, typeof(t), b, typeof(b), ts, typeof(ts) FROM typed;
INSERT INTO typed (i) VALUES (3.5);
INSERT INTO typed (i) VALUES ('12abc');
INSERT INTO typed (r) VALUES ('abc');
INSERT INTO typed (b) VALUES (2);
INSERT INTO typed (ts) VALUES ('yesterday');
INSERT INTO typed (ts) VALUES (5);
SELECT count(*) FROM typed;
UPDATE typed SET i = 'x' WHERE i = 12;
SELECT i FROM typed ORDER BY i;
