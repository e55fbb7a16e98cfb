-- Date and time, with TIMESTAMP columns and ISO text alike.
SELECT date('2024-01-31', '+1 month'), date('2024-03-31', '-1 month'), datetime('2024-02-29 13:45:00', '+1 year');
SELECT date('2024-03-15', 'start of month'), date('2024-03-15', 'start of year'), date('2024-03-15', 'weekday 0'), datetime('2024-03-15 10:20:30', 'start of day');
SELECT time('13:45:10.5'), time('2024-01-01 13:45:10.5', 'subsec'), datetime(1700000000, 'unixepoch'), datetime(2460000.5), datetime(1700000000, 'auto');
SELECT julianday('2000-01-01 12:00:00'), unixepoch('2024-01-01'), unixepoch('2024-01-01 00:00:00.5', 'subsec');
SELECT strftime('%Y-%m-%d %H:%M:%f', '2024-03-10T08:05:30.125'), strftime('%j %w %u %W %U %V %G', '2024-12-30'), strftime('%s', '2024-01-01'), strftime('%I:%M %p', '2024-01-01 15:04');
SELECT timediff('2024-03-01', '2023-01-15 12:00:00'), timediff('2023-01-15', '2024-03-01 00:00:01');
SELECT date('not a date'), date('2024-01-01', 'fortnight'), date(NULL);
SELECT strftime('%Q', '2024-01-01');
CREATE TABLE visits (id INTEGER PRIMARY KEY, at TIMESTAMP);
INSERT INTO visits VALUES (1, '2024-05-01 08:00:00'), (2, '2024-05-01 17:30:00'), (3, '2024-05-02 09:15:00'), (4, '2024-05-04 23:59:59'), (5, '2024-05-04 00:00:00');
-- Daily counts from TIMESTAMPs.
SELECT date(at) AS day, count(*) AS visits FROM visits GROUP BY date(at) ORDER BY day;
SELECT strftime('%Y-%m', at) AS month, count(*) FROM visits GROUP BY 1;
SELECT id FROM visits WHERE at >= date('2024-05-02') AND at < date('2024-05-02', '+3 days') ORDER BY id;
-- With an index on the TIMESTAMP column, a range of dates reads only its rows.
CREATE INDEX visits_at ON visits (at);
EXPLAIN SELECT id FROM visits WHERE at >= date('2024-05-02') AND at < date('2024-05-02', '+3 days');
SELECT id FROM visits WHERE at >= date('2024-05-02') AND at < date('2024-05-02', '+3 days') ORDER BY id;
SELECT id, datetime(at, '+30 minutes') FROM visits WHERE id = 4;
-- printf and friends.
SELECT printf('%05d|%-6s|%6.2f|%x|%o|%e', 42, 'ab', 3.14159, 255, 8, 12345.678);
SELECT printf('%,d %+d %q %Q %w %c', 1234567, 5, 'it''s', NULL, 'a"b', 'xyz'), format('%s and %s', 'this', 'that');
SELECT printf('%.3s|%10.4f|%-10d|', 'abcdef', 2.5, 7), printf('%g %g %g', 0.0001, 100000, 1e20);
SELECT iif(1 > 2, 'yes', 'no'), concat('a', NULL, 1, 2.5), concat_ws(', ', 'a', NULL, 'b'), quote('it''s'), quote(x'00ff'), quote(1.5);
SELECT char(72, 105), unicode('é'), hex('hi'), unhex('4869'), octet_length('é'), length(zeroblob(4)), typeof(randomblob(8));
SELECT 'main.rs' GLOB '*.rs', 'Main.RS' GLOB '*.rs', 'abc' GLOB '[a-c]?c', 'x' NOT GLOB 'y', glob('a*', 'abc'), like('10!%', '10%', '!'), like('a_c', 'ABC');
SELECT sqrt(16), pow(2, 10), exp(0), ln(1), log(100), log(2, 8), log10(1000), log2(32), floor(-1.5), ceil(1.2), trunc(-2.7), mod(7, 3), round(pi(), 5);
SELECT sqrt(-1), ln(0), floor(3), typeof(ceil(2)), degrees(pi()), atan2(1, 1) * 4, likely(5), unlikely(6), likelihood(7, 0.5);
SELECT NULL IS DISTINCT FROM NULL, 1 IS DISTINCT FROM NULL, 2 IS NOT DISTINCT FROM 2;
SELECT printf('%', 1);
SELECT printf('%k', 1);
SELECT likelihood(1, 2);
SELECT * FROM amber_functions() WHERE name IN ('printf', 'rank', 'sum', 'date');
