-- Integer division of integers, division by zero is NULL, overflow turns real
SELECT 7 / 2, 7.0 / 2, 7 / 2.0, -7 / 2, 7 % 3, -7 % 3, 7.5 % 2;
SELECT 1 / 0, 1 % 0, 1.0 / 0, 0 / 0;
SELECT 9223372036854775807 + 1, -9223372036854775807 - 2, 4611686018427387904 * 2;
SELECT 2 + 3 * 4, (2 + 3) * 4, 2 - -3, - (4 - 6), +5;
SELECT '3' + 4, '2.5' * 2, 'abc' + 1, '12abc' + 0;
SELECT 6 & 3, 6 | 3, 1 << 4, 256 >> 2, ~0;
SELECT 0.1 + 0.2, 1e300 * 1e10, 3.0 * 2;
SELECT TRUE + TRUE, (1 < 2) * 10, sum(1 = 1);

-- 9223372036854775808 is too big for an integer, but right after a minus sign it is
-- the smallest one, as SQLite reads it; one more is a real either way.
SELECT -9223372036854775808, typeof(-9223372036854775808), -9223372036854775809, typeof(-9223372036854775809), 1-9223372036854775808;
