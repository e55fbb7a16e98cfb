-- Each error names what was expected, with a caret under the place
SELECT * FROM;
SELECT * FROM t WHERE;
SELCT 1;
SELECT 1 +;
INSERT INTO t VALUES (1, 2;
CREATE TABLE (a INT);
SELECT (1 + 2;
UPDATE t SET WHERE a = 1;
SELECT 1
  FROM
  WHERE x = 1;
SELECT 1 2;
DELETE t;
SELECT 'still works' AS after_errors;
-- an unterminated string runs to the end of the script, as in sqlite3
SELECT 'unterminated;
SELECT 'swallowed';
