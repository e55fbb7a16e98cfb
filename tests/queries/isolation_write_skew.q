-- Write skew: two doctors each go off call after checking that another is on call.
-- Snapshot isolation lets both commit; SERIALIZABLE refuses the second.
CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BOOLEAN);
INSERT INTO doctors VALUES ('alice', true), ('bob', true);
.session a
BEGIN;
SELECT count(*) FROM doctors WHERE on_call;
.session b
BEGIN;
SELECT count(*) FROM doctors WHERE on_call;
UPDATE doctors SET on_call = false WHERE name = 'bob';
COMMIT;
.session a
UPDATE doctors SET on_call = false WHERE name = 'alice';
COMMIT;
SELECT count(*) AS on_call_under_snapshot_isolation FROM doctors WHERE on_call;
-- the same under SERIALIZABLE
UPDATE doctors SET on_call = true;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM doctors WHERE on_call;
.session b
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM doctors WHERE on_call;
UPDATE doctors SET on_call = false WHERE name = 'bob';
COMMIT;
.session a
UPDATE doctors SET on_call = false WHERE name = 'alice';
COMMIT;
SELECT count(*) AS on_call_under_serializable FROM doctors WHERE on_call;
