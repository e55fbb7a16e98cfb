"""psycopg2 and psycopg 3 against `amberdb serve`: parameterised writes and reads,
transactions, and the SQLSTATEs a program branches on. Run by tests/clients.rs with
the server's port; prints one line per check and exits non-zero on the first failure."""

import sys

import psycopg
import psycopg2
import psycopg2.errors

port = int(sys.argv[1])
dsn = f"host=127.0.0.1 port={port} user=py dbname=amber"


def check(name, got, want):
    if got != want:
        print(f"FAIL {name}: got {got!r}, want {want!r}")
        sys.exit(1)
    print(f"ok {name}")


# ---- psycopg2: client-side parameters over the simple protocol, a transaction per block
conn = psycopg2.connect(dsn)
cur = conn.cursor()
cur.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance REAL, opened TIMESTAMP)")
cur.executemany(
    "INSERT INTO accounts (id, owner, balance, opened) VALUES (%s, %s, %s, %s)",
    [(1, "ada", 100.5, "2024-01-02 03:04:05"), (2, "bob", 20.0, None), (3, "o'hara", None, None)],
)
conn.commit()
cur.execute("SELECT id, owner, balance FROM accounts WHERE balance > %s ORDER BY id", (10,))
check("psycopg2 typed rows", cur.fetchall(), [(1, "ada", 100.5), (2, "bob", 20.0)])
cur.execute("SELECT owner FROM accounts WHERE id = %(id)s", {"id": 3})
check("psycopg2 quoting", cur.fetchone(), ("o'hara",))
cur.execute("SELECT opened FROM accounts WHERE id = 1")
check("psycopg2 timestamp", str(cur.fetchone()[0]), "2024-01-02 03:04:05")

# A failed statement fails the transaction until rollback.
try:
    cur.execute("INSERT INTO accounts (id, owner) VALUES (1, 'dup')")
    check("psycopg2 unique violation", "no error", "error")
except psycopg2.errors.UniqueViolation as e:
    check("psycopg2 unique violation", e.pgcode, "23505")
try:
    cur.execute("SELECT 1")
    check("psycopg2 failed transaction", "no error", "error")
except psycopg2.errors.InFailedSqlTransaction as e:
    check("psycopg2 failed transaction", e.pgcode, "25P02")
conn.rollback()
try:
    cur.execute("INSERT INTO accounts (id, owner) VALUES (9, NULL)")
except psycopg2.errors.NotNullViolation as e:
    check("psycopg2 not null", e.pgcode, "23502")
conn.rollback()
try:
    cur.execute("SELECT * FROM missing")
except psycopg2.errors.UndefinedTable as e:
    check("psycopg2 undefined table", e.pgcode, "42P01")
conn.rollback()

# Rolled back work is gone; committed work stays.
cur.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 2")
conn.rollback()
cur.execute("SELECT balance FROM accounts WHERE id = 2")
check("psycopg2 rollback", cur.fetchone(), (20.0,))
with conn:
    with conn.cursor() as c2:
        c2.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 2")
cur.execute("SELECT balance FROM accounts WHERE id = 2")
check("psycopg2 commit", cur.fetchone(), (21.0,))
conn.close()

# ---- psycopg 3: server-side parameters over the extended protocol
with psycopg.connect(dsn) as conn:
    with conn.cursor() as cur:
        cur.execute("INSERT INTO accounts (id, owner, balance) VALUES (%s, %s, %s)", (4, "cy", 7.25))
        cur.execute("SELECT id, owner, balance FROM accounts WHERE id >= %s ORDER BY id", (3,))
        check("psycopg3 typed rows", cur.fetchall(), [(3, "o'hara", None), (4, "cy", 7.25)])
        cur.execute("SELECT count(*), sum(balance) FROM accounts")
        check("psycopg3 aggregates", cur.fetchone(), (4, 128.75))
        cur.executemany("UPDATE accounts SET balance = %s WHERE id = %s", [(1.0, 3), (2.0, 4)])
        cur.execute("SELECT balance FROM accounts WHERE id IN (%s, %s) ORDER BY id", (3, 4))
        check("psycopg3 executemany", cur.fetchall(), [(1.0,), (2.0,)])
        # Binary results.
        cur.execute("SELECT id, owner FROM accounts WHERE id = %s", (1,), binary=True)
        check("psycopg3 binary", cur.fetchone(), (1, "ada"))
    conn.commit()
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO accounts (id, owner) VALUES (%s, %s)", (4, "again"))
    except psycopg.errors.UniqueViolation as e:
        check("psycopg3 unique violation", e.sqlstate, "23505")
    conn.rollback()
    try:
        with conn.cursor() as cur:
            cur.execute("SELEKT 1")
    except psycopg.errors.SyntaxError as e:
        check("psycopg3 syntax error", e.sqlstate, "42601")
    conn.rollback()
    with conn.transaction():
        conn.execute("DELETE FROM accounts WHERE id = %s", (4,))
    check("psycopg3 transaction", conn.execute("SELECT count(*) FROM accounts").fetchone(), (3,))

# Autocommit and a server-side cursor read in parts.
with psycopg.connect(dsn, autocommit=True) as conn:
    conn.execute("CREATE TABLE n (i INTEGER PRIMARY KEY)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO n VALUES (%s)", [(i,) for i in range(1, 501)])
    check("psycopg3 autocommit", conn.execute("SELECT count(*), max(i) FROM n").fetchone(), (500, 500))
print("all client checks passed")
