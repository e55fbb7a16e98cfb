CREATE TABLE events (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL, what TEXT);
INSERT INTO events (at, what) VALUES ('2026-01-15 09:30:00', 'standup'), ('2026-01-14', 'planning'), ('2026-02-01T12:00:00.250Z', 'review'), ('2026-01-15 10:00:00+02:00', 'call');
SELECT id, at, what FROM events ORDER BY at;
SELECT what FROM events WHERE at >= '2026-01-15' AND at < '2026-02-01';
SELECT what FROM events WHERE at BETWEEN '2026-01-01' AND '2026-01-31' ORDER BY at DESC;
SELECT min(at), max(at) FROM events;
SELECT typeof(now()), now() > '2020-01-01';
INSERT INTO events (at, what) VALUES ('2026-02-30', 'no such day');
