-- Migrations from the shell: the folder tests/migrations_example holds two.
.migrate status tests/migrations_example
.migrate up 1 tests/migrations_example
.migrate status tests/migrations_example
.migrate up tests/migrations_example
SELECT owner, balance FROM accounts ORDER BY id;
SELECT version, name FROM schema_migrations;
.migrate down tests/migrations_example
SELECT count(*) FROM accounts;
.migrate redo tests/migrations_example
.migrate up tests/migrations_example
.migrate sideways
.migrate status tests/no_such_folder
