-- A multi-row statement that fails changes nothing, and the error names the row
CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, memo TEXT UNIQUE);
INSERT INTO ledger VALUES (1, 100, 'opening');
INSERT INTO ledger (amount, memo) VALUES (5, 'a'), (6, 'b'), (NULL, 'c'), (8, 'd');
INSERT INTO ledger (amount, memo) VALUES (5, 'a'), (6, 'opening');
INSERT INTO ledger (amount, memo) VALUES (5, 'x'), ('five', 'y');
INSERT INTO ledger (amount, memo) VALUES (5, 'p'), (6, 'p');
SELECT * FROM ledger;
-- an UPDATE that breaks a constraint halfway changes nothing either
INSERT INTO ledger (amount, memo) VALUES (1, 'm1'), (2, 'm2');
UPDATE ledger SET memo = 'same' WHERE amount < 100;
SELECT * FROM ledger;
