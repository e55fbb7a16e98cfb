-- Upsert: INSERT … ON CONFLICT … DO NOTHING | DO UPDATE, with `excluded` the row that was to go in.
-- A counter: the first hit inserts, every later one adds.
CREATE TABLE hits (page TEXT PRIMARY KEY, n INTEGER NOT NULL, last_seen TEXT);
INSERT INTO hits VALUES ('/home', 1, '09:00') ON CONFLICT (page) DO UPDATE SET n = n + 1, last_seen = excluded.last_seen;
INSERT INTO hits VALUES ('/home', 1, '09:05') ON CONFLICT (page) DO UPDATE SET n = n + 1, last_seen = excluded.last_seen;
INSERT INTO hits VALUES ('/home', 1, '09:07'), ('/about', 1, '09:08'), ('/home', 1, '09:09') ON CONFLICT (page) DO UPDATE SET n = n + excluded.n, last_seen = excluded.last_seen;
SELECT changes();
SELECT * FROM hits ORDER BY page;
-- DO NOTHING leaves the stored row alone and counts no change.
INSERT INTO hits VALUES ('/home', 100, 'never') ON CONFLICT DO NOTHING;
SELECT changes(), n FROM hits WHERE page = '/home';
-- DO UPDATE … WHERE: a row the WHERE refuses is left alone too.
INSERT INTO hits VALUES ('/about', 1, '10:00') ON CONFLICT (page) DO UPDATE SET n = n + 1 WHERE excluded.last_seen > last_seen AND n < 2;
INSERT INTO hits VALUES ('/about', 1, '11:00') ON CONFLICT (page) DO UPDATE SET n = n + 1 WHERE excluded.last_seen > last_seen AND n < 2;
SELECT * FROM hits ORDER BY page;
-- The table may go by another name, and the stored row is then that name's.
INSERT INTO hits AS h VALUES ('/about', 5, '12:00') ON CONFLICT (page) DO UPDATE SET n = h.n * 10 + excluded.n;
SELECT n FROM hits WHERE page = '/about';
-- Conflicts on a UNIQUE column; several clauses are tried in order, the last may name none.
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, logins INTEGER DEFAULT 0);
INSERT INTO users VALUES (1, 'ann@x', 'Ann', 0), (2, 'bob@x', 'Bob', 0);
INSERT INTO users (id, email, name) VALUES (3, 'ann@x', 'Ann B.') ON CONFLICT (email) DO UPDATE SET name = excluded.name, logins = logins + 1 ON CONFLICT DO NOTHING;
INSERT INTO users (id, email, name) VALUES (2, 'carl@x', 'Carl') ON CONFLICT (email) DO UPDATE SET logins = logins + 1 ON CONFLICT DO NOTHING;
SELECT * FROM users ORDER BY id;
-- A conflict no clause answers for fails as a plain INSERT does, and the statement changes nothing.
INSERT INTO users (id, email, name) VALUES (4, 'dan@x', 'Dan'), (1, 'eve@x', 'Eve') ON CONFLICT (email) DO NOTHING;
SELECT count(*) FROM users;
-- DO UPDATE's change is an UPDATE's: its constraints hold, and the error names the row.
INSERT INTO users (id, email, name) VALUES (5, 'erin@x', 'Erin'), (6, 'ann@x', 'x') ON CONFLICT (email) DO UPDATE SET email = 'bob@x';
SELECT count(*) FROM users;
-- The UPDATE triggers fire for a DO UPDATE, the INSERT ones for an insert.
CREATE TABLE log (what TEXT);
CREATE TRIGGER users_ins AFTER INSERT ON users BEGIN INSERT INTO log VALUES ('insert ' || new.email); END;
CREATE TRIGGER users_upd AFTER UPDATE ON users BEGIN INSERT INTO log VALUES ('update ' || old.name || ' -> ' || new.name); END;
INSERT INTO users (email, name) VALUES ('bob@x', 'Robert'), ('fay@x', 'Fay') ON CONFLICT (email) DO UPDATE SET name = excluded.name;
SELECT * FROM log;
-- Bad targets are clear errors.
INSERT INTO users (email) VALUES ('x') ON CONFLICT (name) DO NOTHING;
INSERT INTO users (email) VALUES ('x') ON CONFLICT DO NOTHING ON CONFLICT (email) DO NOTHING;
INSERT INTO users (email) VALUES ('x') ON CONFLICT (email) DO UPDATE SET nope = 1;
INSERT INTO users (email) VALUES ('x') ON CONFLICT (email) DO UPDATE SET name = excluded.nope;
-- In a transaction, an upsert sees the transaction's own rows.
BEGIN;
INSERT INTO hits VALUES ('/new', 1, '13:00') ON CONFLICT (page) DO UPDATE SET n = n + 1;
INSERT INTO hits VALUES ('/new', 1, '13:01') ON CONFLICT (page) DO UPDATE SET n = n + 1;
COMMIT;
SELECT * FROM hits WHERE page = '/new';
-- ON CONFLICT names the expressions of a UNIQUE expression index (its WHERE implied,
-- for a partial one): the usual "unique email among live accounts, any case".
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, visits INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email)) WHERE deleted = 0;
INSERT INTO accounts (email) VALUES ('Ann@X');
INSERT INTO accounts (email) VALUES ('ANN@x') ON CONFLICT (lower(email)) WHERE deleted = 0 DO UPDATE SET visits = visits + 1;
INSERT INTO accounts (email) VALUES ('bob@x') ON CONFLICT (lower(email)) WHERE deleted = 0 DO UPDATE SET visits = visits + 1;
SELECT * FROM accounts ORDER BY id;
INSERT INTO accounts (email) VALUES ('BOB@X') ON CONFLICT (lower(email)) WHERE deleted = 0 DO NOTHING RETURNING id;
INSERT INTO accounts (email) VALUES ('x') ON CONFLICT (lower(email)) DO NOTHING;
INSERT INTO accounts (email) VALUES ('x') ON CONFLICT (upper(email)) WHERE deleted = 0 DO NOTHING;
