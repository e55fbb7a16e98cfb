CREATE INDEX accounts_owner ON accounts (owner);
INSERT INTO accounts (owner, balance) VALUES ('ada', 100), ('bob', 20);
