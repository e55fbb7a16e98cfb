CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT UNIQUE);
INSERT INTO users VALUES (1, 'ada', 'a@x'), (2, 'bob', 'b@x'), (3, 'cy', 'c@x');
CREATE SNAPSHOT v1;
UPDATE users SET email = 'bob@new' WHERE id = 2;
DELETE FROM users WHERE id = 3;
INSERT INTO users VALUES (4, 'di', 'd@x');
CREATE TABLE notes (body TEXT);
INSERT INTO notes VALUES ('hello');
DIFF SNAPSHOT v1, HEAD;
.diff HEAD v1
DIFF 2, 3;
DIFF v1, v1;
-- swapping unique values restores cleanly
UPDATE users SET email = 'tmp' WHERE id = 1;
UPDATE users SET email = 'a@x' WHERE id = 4;
UPDATE users SET email = 'd@x' WHERE id = 1;
CREATE SNAPSHOT swapped;
UPDATE users SET email = 'zz' WHERE id = 1;
UPDATE users SET email = 'd@x' WHERE id = 4;
UPDATE users SET email = 'a@x' WHERE id = 1;
RESTORE SNAPSHOT swapped;
SELECT * FROM users;
.diff v1 nowhere
.diff 1
