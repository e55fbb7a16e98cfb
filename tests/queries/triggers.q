-- Row triggers: BEFORE/AFTER INSERT, UPDATE [OF], DELETE, with WHEN, NEW/OLD and RAISE.
CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, what TEXT, account INTEGER, old_balance INTEGER, new_balance INTEGER);
CREATE TRIGGER accounts_opened AFTER INSERT ON accounts BEGIN
  INSERT INTO audit (what, account, new_balance) VALUES ('open', NEW.id, NEW.balance);
END;
CREATE TRIGGER accounts_moved AFTER UPDATE OF balance ON accounts WHEN NEW.balance <> OLD.balance BEGIN
  INSERT INTO audit (what, account, old_balance, new_balance) VALUES ('move', NEW.id, OLD.balance, NEW.balance);
END;
CREATE TRIGGER accounts_closed BEFORE DELETE ON accounts BEGIN
  INSERT INTO audit (what, account, old_balance) VALUES ('close', OLD.id, OLD.balance);
END;
CREATE TRIGGER no_overdraft BEFORE UPDATE ON accounts WHEN NEW.balance < 0 BEGIN
  SELECT RAISE(ABORT, 'overdraft on account ' || OLD.id);
END;
INSERT INTO accounts VALUES (1, 'ada', 100), (2, 'bob', 50);
UPDATE accounts SET balance = balance - 30 WHERE id = 1;
-- Setting only the owner does not fire the UPDATE OF balance trigger.
UPDATE accounts SET owner = 'Bob' WHERE id = 2;
-- The same balance: the WHEN clause is false.
UPDATE accounts SET balance = balance WHERE id = 2;
DELETE FROM accounts WHERE id = 2;
SELECT * FROM audit ORDER BY seq;

-- RAISE(ABORT) fails the whole statement: no row and no trigger change is kept.
UPDATE accounts SET balance = balance - 100;
INSERT INTO accounts VALUES (3, 'cy', 10), (4, 'di', 20);
UPDATE accounts SET balance = balance - 15;
SELECT * FROM accounts ORDER BY id;
SELECT count(*) FROM audit;

-- RAISE(IGNORE) in a BEFORE trigger leaves that row alone and goes on with the others.
CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL);
CREATE TRIGGER drop_negative BEFORE INSERT ON readings WHEN NEW.value < 0 BEGIN SELECT RAISE(IGNORE); END;
INSERT INTO readings VALUES (1, 1.5), (2, -3.0), (3, 2.5);
SELECT * FROM readings;

-- A trigger's body may fire other triggers, but not itself again.
CREATE TABLE chain (n INTEGER);
CREATE TRIGGER chain_grows AFTER INSERT ON chain WHEN NEW.n < 5 BEGIN INSERT INTO chain VALUES (NEW.n + 1); END;
INSERT INTO chain VALUES (1);
SELECT * FROM chain;
CREATE TRIGGER readings_chained AFTER INSERT ON readings BEGIN INSERT INTO chain VALUES (NEW.id * 10); END;
CREATE TRIGGER chain_counted AFTER INSERT ON chain BEGIN
  UPDATE readings SET value = (SELECT count(*) FROM chain) WHERE id = 1;
END;
INSERT INTO readings VALUES (7, 0.5);
SELECT * FROM chain;
SELECT * FROM readings ORDER BY id;

-- Inside a transaction, a rollback takes the triggers' changes back too.
BEGIN;
INSERT INTO accounts VALUES (9, 'eve', 1);
SELECT count(*) FROM audit;
ROLLBACK;
SELECT count(*) FROM audit;

-- The catalog: .schema shows a table's triggers; dropping the table drops them.
.schema readings
CREATE TRIGGER accounts_opened AFTER INSERT ON accounts BEGIN SELECT 1; END;
CREATE TRIGGER IF NOT EXISTS accounts_opened AFTER INSERT ON accounts BEGIN SELECT 1; END;
CREATE TRIGGER on_nothing AFTER INSERT ON missing BEGIN SELECT 1; END;
CREATE TRIGGER on_a_column AFTER UPDATE OF nope ON accounts BEGIN SELECT 1; END;
CREATE VIEW rich AS SELECT * FROM accounts WHERE balance > 50;
CREATE TRIGGER on_a_view BEFORE INSERT ON rich BEGIN SELECT 1; END;
CREATE TRIGGER on_a_table INSTEAD OF INSERT ON accounts BEGIN SELECT 1; END;
CREATE TRIGGER wrong_row AFTER DELETE ON accounts BEGIN INSERT INTO audit (account) VALUES (NEW.id); END;
DELETE FROM accounts WHERE id = 3;
DROP TRIGGER wrong_row;
SELECT RAISE(ABORT, 'not in a trigger');
DROP TABLE readings;
DROP TRIGGER drop_negative;
DROP TRIGGER IF EXISTS drop_negative;
DROP TRIGGER accounts_opened;
INSERT INTO accounts VALUES (10, 'fay', 5);
SELECT what, account FROM audit ORDER BY seq DESC LIMIT 1;

-- INSTEAD OF triggers make a view writable: they do the work for each row it names.
CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT, last TEXT);
CREATE VIEW names AS SELECT id, first || ' ' || last AS full, last FROM people;
INSERT INTO names VALUES (1, 'Ada Lovelace', 'Lovelace');
CREATE TRIGGER names_in INSTEAD OF INSERT ON names BEGIN
  INSERT INTO people VALUES (NEW.id, substr(NEW.full, 1, instr(NEW.full, ' ') - 1), NEW.last);
END;
CREATE TRIGGER names_up INSTEAD OF UPDATE OF last ON names BEGIN
  UPDATE people SET last = NEW.last WHERE id = OLD.id;
END;
CREATE TRIGGER names_out INSTEAD OF DELETE ON names WHEN OLD.last <> 'Keep' BEGIN
  DELETE FROM people WHERE id = OLD.id;
END;
INSERT INTO names VALUES (1, 'Ada Lovelace', 'Lovelace'), (2, 'Alan Turing', 'Turing'), (3, 'Kurt Keep', 'Keep');
INSERT INTO names (id, full) VALUES (4, 'Grace Hopper');
UPDATE names SET last = upper(last) WHERE id < 3;
-- No INSTEAD OF trigger fires for an UPDATE of another column.
UPDATE names SET full = 'no' WHERE id = 3;
SELECT * FROM names ORDER BY id;
EXPLAIN DELETE FROM names WHERE last = 'TURING';
DELETE FROM names;
SELECT * FROM people ORDER BY id;
-- Dropping the view drops its triggers.
DROP VIEW names;
DROP TRIGGER names_in;

-- RAISE(ROLLBACK) ends the open transaction with the statement; ABORT only the statement.
CREATE TABLE stock (item TEXT PRIMARY KEY, qty INTEGER);
CREATE TRIGGER stock_floor BEFORE UPDATE ON stock WHEN NEW.qty < 0 BEGIN SELECT RAISE(ROLLBACK, 'out of ' || OLD.item); END;
CREATE TRIGGER stock_cap BEFORE UPDATE ON stock WHEN NEW.qty > 100 BEGIN SELECT RAISE(ABORT, 'too many'); END;
INSERT INTO stock VALUES ('tea', 5);
BEGIN;
INSERT INTO stock VALUES ('jam', 1);
UPDATE stock SET qty = 500;
SELECT * FROM stock ORDER BY item;
UPDATE stock SET qty = qty - 3;
SELECT * FROM stock ORDER BY item;
COMMIT;

-- Rows that foreign-key actions delete or change fire their table's triggers.
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE players (id INTEGER PRIMARY KEY, team INTEGER REFERENCES teams (id) ON DELETE CASCADE ON UPDATE CASCADE, coach INTEGER REFERENCES teams (id) ON DELETE SET NULL);
CREATE TABLE roster_log (what TEXT);
CREATE TRIGGER players_gone AFTER DELETE ON players BEGIN INSERT INTO roster_log VALUES ('gone ' || OLD.id); END;
CREATE TRIGGER players_moved AFTER UPDATE OF team ON players BEGIN INSERT INTO roster_log VALUES ('moved ' || OLD.id || ' to ' || NEW.team); END;
CREATE TRIGGER players_coach BEFORE UPDATE OF coach ON players BEGIN INSERT INTO roster_log VALUES ('coach of ' || OLD.id || ' gone'); END;
INSERT INTO teams VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO players VALUES (10, 1, 3), (11, 1, 1), (12, 2, 3);
UPDATE teams SET id = 5 WHERE id = 2;
DELETE FROM teams WHERE id = 3;
DELETE FROM teams WHERE id = 1;
SELECT * FROM players;
SELECT * FROM roster_log;
