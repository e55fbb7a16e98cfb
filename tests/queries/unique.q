CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT UNIQUE, org TEXT, handle TEXT, UNIQUE (org, handle));
INSERT INTO accounts (email, org, handle) VALUES ('a@x', 'acme', 'ann'), ('b@x', 'acme', 'bob');
INSERT INTO accounts (email, org, handle) VALUES ('a@x', 'zeta', 'zed');
INSERT INTO accounts (email, org, handle) VALUES ('c@x', 'acme', 'ann');
-- the same handle in another org is fine, and NULLs never clash
INSERT INTO accounts (email, org, handle) VALUES ('c@x', 'zeta', 'ann');
INSERT INTO accounts (email, org, handle) VALUES (NULL, NULL, 'x'), (NULL, NULL, 'x');
UPDATE accounts SET email = 'b@x' WHERE id = 1;
UPDATE accounts SET email = 'new@x' WHERE id = 1;
SELECT * FROM accounts;
