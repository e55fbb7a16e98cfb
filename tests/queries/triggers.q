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
CREATE TRIGGER on_a_view INSTEAD OF INSERT ON rich BEGIN SELECT 1; END;
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
