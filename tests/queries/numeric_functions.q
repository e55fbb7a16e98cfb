SELECT abs(-5), abs(5), abs(-2.5), abs(NULL), abs('-3');
SELECT round(2.5), round(-2.5), round(3.14159, 2), round(10), round(1234.5678, -1), round(NULL);
SELECT min(3, 1, 2), max(3, 1, 2), min('b', 'a'), max(1, NULL, 3), min(1, 'a');
SELECT typeof(1), typeof(1.0), typeof('1'), typeof(NULL), typeof(TRUE), typeof(1 < 2);
SELECT sign(-7), sign(0), sign(2.5), sign(NULL);
SELECT abs(-9223372036854775807 - 1);
