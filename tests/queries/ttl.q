-- Rows that expire. Times are real here, so only whether a row has a lifetime shows.
CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER) WITH (ttl = '30 minutes');
INSERT INTO sessions VALUES ('t1', 1);
INSERT INTO sessions VALUES ('t2', 2) WITH TTL '1 hour';
INSERT INTO sessions VALUES ('t3', 3) WITH TTL NULL;
SELECT token, ttl_remaining() > 1700 AS lives, ttl_remaining() IS NULL AS forever FROM sessions ORDER BY token;
UPDATE sessions SET user_id = 30 WHERE token = 't3' WITH TTL '10 seconds';
SELECT token, ttl_remaining() <= 10 AS soon FROM sessions WHERE token = 't3';
INSERT INTO sessions VALUES ('t4', 4) WITH TTL 'a while';
CREATE TABLE bad (x INTEGER) WITH (colour = 'red');
CREATE TABLE visits (id INTEGER PRIMARY KEY, token TEXT REFERENCES sessions (token));
SELECT ttl_remaining() FROM sessions, sessions AS s2;
.schema sessions
