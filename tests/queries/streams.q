-- Message streams with Message DB's functions. Times vary, so they are not shown.
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000001', 'account-123', 'Opened', '{"owner": "ada"}');
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000002', 'account-123', 'Deposited', '{"amount": 10}', '{"correlationStreamName": "transfer-9"}', 0);
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000003', 'account-123', 'Deposited', '{"amount": 5}', NULL, 0);
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000004', 'account-456', 'Opened', '{"owner": "bob"}', NULL, -1);
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000005', 'account-456', 'Opened', '{broken');
SELECT write_message('not-a-uuid', 'account-456', 'Opened', '{}');
SELECT stream_version('account-123'), stream_version('account-999');
SELECT id, stream_name, type, position, global_position, data, metadata FROM get_stream_messages('account-123');
SELECT position, type FROM get_stream_messages('account-123', 1, 1);
SELECT global_position, stream_name, type FROM get_category_messages('account');
SELECT global_position FROM get_category_messages('account', 1, 1000, 'transfer');
SELECT type, position FROM get_last_stream_message('account-123');
SELECT type, position FROM get_last_stream_message('account-123', 'Opened');
SELECT position FROM get_stream_messages('account-123', 0, 1000, 'type = ''Deposited''');
SELECT * FROM get_stream_messages('account');
SELECT * FROM get_category_messages('account-123');
SELECT category('account-1+2'), id('account-1+2'), cardinal_id('account-1+2'), is_category('account');
BEGIN;
SELECT write_message('7c3a1a2e-0000-4000-8000-000000000006', 'account-456', 'Closed', '{}');
ROLLBACK;
SELECT stream_version('account-456');
EXPLAIN SELECT type FROM get_stream_messages('account-123') WHERE position > 0;
-- Message DB's table of every message, in global order, as its clients read it.
SELECT stream_name, type, position, global_position FROM message_store.messages ORDER BY global_position DESC LIMIT 3;
SELECT count(*), max(global_position) FROM message_store.messages m WHERE m.stream_name LIKE 'account-%';
