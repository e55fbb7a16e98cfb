DELETE FROM accounts;
DROP INDEX accounts_owner;
