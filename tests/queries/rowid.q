-- rowid, oid and _rowid_: the integer key of a table. A table without a key of its own
-- has a hidden one, which SELECT, UPDATE and DELETE can read (checked against sqlite3).
CREATE TABLE log (msg TEXT, n INTEGER);
INSERT INTO log VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4);
SELECT rowid, msg FROM log ORDER BY rowid;
SELECT oid, _rowid_, * FROM log WHERE rowid > 2 ORDER BY 1;
SELECT max(rowid), count(*) FROM log;
SELECT msg FROM log WHERE rowid IN (SELECT rowid FROM log WHERE n % 2 = 0) ORDER BY msg;
DELETE FROM log WHERE rowid = 2;
UPDATE log SET msg = upper(msg) WHERE rowid >= 3;
SELECT rowid, msg, n FROM log ORDER BY rowid;
DELETE FROM log WHERE rowid IN (SELECT max(rowid) FROM log);
SELECT rowid, msg FROM log ORDER BY rowid;
INSERT INTO log VALUES ('e', 5);
SELECT rowid, msg FROM log ORDER BY rowid;
CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO k VALUES (10, 'x'), (20, 'y');
SELECT rowid, oid, id FROM k ORDER BY rowid;
-- A key of another kind is no rowid (as in SQLite's WITHOUT ROWID tables), and a join
-- reads the hidden key of no table.
CREATE TABLE named (code TEXT PRIMARY KEY);
SELECT rowid FROM named;
SELECT log.rowid FROM log JOIN k ON k.id = log.n;
