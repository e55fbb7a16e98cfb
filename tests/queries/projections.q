-- Projections: a category's messages kept as rows of a table, one write per message
-- type, applied in the commit that writes the messages (so the table is never behind
-- its stream). The rules read the message as message.data, message.stream_id …
CREATE TABLE accounts (id TEXT PRIMARY KEY, owner TEXT, balance INTEGER NOT NULL DEFAULT 0, version INTEGER);
CREATE PROJECTION balances FROM CATEGORY 'account' INTO accounts AS
  ON 'Opened' DO INSERT INTO accounts (id, owner, version)
    VALUES (message.stream_id, message.data ->> 'owner', message.position)
  ON 'Deposited' DO UPDATE accounts SET balance = balance + (message.data ->> 'amount'), version = message.position
    WHERE id = message.stream_id
  ON 'Withdrawn' DO UPDATE accounts SET balance = balance - (message.data ->> 'amount'), version = message.position
    WHERE id = message.stream_id;

SELECT write_message('7c3a1a2e-0000-4000-8000-000000000001', 'account-123', 'Opened', '{"owner": "ada"}');
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000002', 'account-123', 'Deposited', '{"amount": 100}');
SELECT * FROM accounts;
-- Several messages in one transaction: applied at COMMIT, in order.
BEGIN;
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000003', 'account-456', 'Opened', '{"owner": "bob"}');
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000004', 'account-123', 'Withdrawn', '{"amount": 30}');
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000005', 'account-456', 'Deposited', '{"amount": 7}');
-- Types without a rule, and other categories, are passed over.
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000006', 'account-456', 'Renamed', '{}');
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000007', 'audit-1', 'Deposited', '{"amount": 1000}');
COMMIT;
SELECT * FROM accounts ORDER BY id;
SELECT name, category, target, position FROM amber$projections;

-- A message whose rule fails is refused with its commit: the stream and the table
-- stay together (here balance would become NULL, and a second Opened clashes).
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000008', 'account-123', 'Withdrawn', '{"amount": null}');
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000009', 'account-123', 'Opened', '{"owner": "eve"}');
SELECT count(*) FROM get_category_messages('account');
.projections

-- Rebuilding empties the table and applies every message again from the first.
UPDATE accounts SET balance = 0;
REBUILD PROJECTION balances;
SELECT * FROM accounts ORDER BY id;

-- Aggregate snapshots, as Message DB users keep them: the last one of a stream.
SELECT write_message('7c3a1a2e-0000-4000-8000-00000000000a', 'account:snapshot-123', 'Snapshot', '{"balance": 70, "version": 2}');
SELECT data ->> 'balance' AS balance, data ->> 'version' AS version FROM get_last_stream_message('account:snapshot-123');

-- A projection created over a stream that already has messages catches up at once.
CREATE TABLE openings (id TEXT PRIMARY KEY, at INTEGER);
CREATE PROJECTION opened FROM CATEGORY 'account' INTO openings AS
  ON 'Opened' DO INSERT INTO openings VALUES (message.stream_id, message.global_position);
SELECT * FROM openings ORDER BY id;

-- Mistakes are named.
CREATE PROJECTION bad FROM CATEGORY 'account' INTO accounts AS ON 'Opened' DO INSERT INTO openings VALUES (message.stream_id, 1);
CREATE PROJECTION bad FROM CATEGORY 'account' INTO accounts AS ON 'Opened' DO DELETE FROM accounts WHERE id = message.owner;
DROP PROJECTION opened;
DROP PROJECTION opened;
