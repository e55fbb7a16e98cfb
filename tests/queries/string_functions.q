SELECT length('hello'), length(''), length(12345), length(NULL), length('héllo');
SELECT lower('MiXeD'), upper('MiXeD'), 'con' || 'cat' || 'enate', 1 || 2;
SELECT substr('abcdef', 2), substr('abcdef', 2, 3), substr('abcdef', -2), substr('abcdef', 0, 2), substr('abcdef', 4, -2);
SELECT trim('  pad  '), ltrim('  pad  '), rtrim('  pad  '), trim('xxhixx', 'x'), '[' || trim('') || ']';
SELECT replace('a-b-c', '-', '+'), replace('abc', '', 'x'), instr('hello', 'll'), instr('hello', 'z');
SELECT substring('abcdef', 3, 2), upper(NULL), trim(NULL);
