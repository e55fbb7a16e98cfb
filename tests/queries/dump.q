-- .dump prints SQL that rebuilds the database; CHECKPOINT needs a data directory.
CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES owners (id), weight REAL, born TIMESTAMP);
CREATE INDEX pets_by_weight ON pets (weight DESC);
INSERT INTO owners VALUES (1, 'Ada'), (2, 'O''Brien');
INSERT INTO pets VALUES (10, 1, 0.1 + 0.2, '2024-02-29 12:00:00'), (11, NULL, 4.0, NULL);
.dump
CHECKPOINT;
BACKUP TO '';
