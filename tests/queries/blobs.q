-- Blob literals, their type, length, order and storage.
SELECT x'303132', typeof(x'00ff'), length(x'00ff'), hex(x'00ff'), hex(NULL);
SELECT x'0A' = x'0a', x'01' > 'zzz', x'03' < x'0201', x'' = x'';
SELECT x'303132' IN ('012', x'303132'), x'303132' IN ();
SELECT CAST(x'3132' AS INTEGER) + 1, CAST(x'6869' AS TEXT);
CREATE TABLE files (id INTEGER PRIMARY KEY, data BLOB, size INTEGER);
INSERT INTO files VALUES (1, x'deadbeef', 4), (2, x'00', 1), (3, NULL, 0);
INSERT INTO files VALUES (4, x'01', x'01');
SELECT id, hex(data), typeof(data), length(data) FROM files ORDER BY data;
SELECT id FROM files WHERE data = x'DEADBEEF';
SELECT x'123';
SELECT x'zz';
