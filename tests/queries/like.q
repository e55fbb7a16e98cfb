CREATE TABLE words (w TEXT);
INSERT INTO words VALUES ('apple'), ('Apricot'), ('banana'), ('grape'), ('a_b'), (NULL);
SELECT w FROM words WHERE w LIKE 'ap%';
SELECT w FROM words WHERE w LIKE '%an%';
SELECT w FROM words WHERE w LIKE '_____';
SELECT w FROM words WHERE w NOT LIKE '%a%';
SELECT w, w LIKE 'a_b' FROM words;
SELECT 'ABC' LIKE 'abc', 123 LIKE '1%', NULL LIKE '%', '' LIKE '%';
