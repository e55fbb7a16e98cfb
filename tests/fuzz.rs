//! Fuzzing, bounded for CI: random bytes and random soups of SQL's own tokens, run as
//! statements against a database with data in it, on a thread with a 2 MiB stack. No
//! input may panic or abort; whatever a statement does, `CHECK DATABASE` still finds
//! every index agreeing with its rows. (A panic fails the test; an abort ends the whole
//! test process, which fails it too.)

use amberdb::{Database, Value};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "CREATE",
    "TABLE",
    "INDEX",
    "VIEW",
    "TRIGGER",
    "DROP",
    "ON",
    "AS",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "LIKE",
    "BETWEEN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "GROUP",
    "BY",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "UNION",
    "ALL",
    "DISTINCT",
    "EXISTS",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "AS OF VERSION",
    "SNAPSHOT",
    "DIFF",
    "HEAD",
    "CAST",
    "INTEGER",
    "TEXT",
    "REAL",
    "PRIMARY KEY",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "REFERENCES",
    "t",
    "u",
    "v",
    "a",
    "b",
    "c",
    "*",
    "(",
    ")",
    ",",
    ";",
    ".",
    "+",
    "-",
    "/",
    "%",
    "||",
    "=",
    "<>",
    "<",
    ">=",
    "?",
    "$1",
    "0",
    "1",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "0x7fffffffffffffff",
    "'x'",
    "'it''s'",
    "x'00ff'",
    "replace",
    "abs",
    "length",
    "hex",
    "group_concat",
    "count",
    "sum",
    "max",
    "coalesce",
    "substr",
    "--",
    "/*",
    "*/",
    "\"q\"",
    "[b]",
    "`c`",
    "\n",
];

fn database() -> Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    for sql in [
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT UNIQUE, c REAL CHECK (c >= 0 OR c IS NULL))",
        "CREATE TABLE u (a INTEGER REFERENCES t (a) ON DELETE CASCADE, b TEXT)",
        "CREATE INDEX u_b ON u (b)",
        "CREATE VIEW v AS SELECT t.a, u.b FROM t JOIN u ON u.a = t.a",
        "INSERT INTO t VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, 'three', 0)",
        "INSERT INTO u VALUES (1, 'x'), (2, 'y'), (3, NULL)",
    ] {
        s.execute(sql, &[]).unwrap();
    }
    db
}

/// Runs each statement on a small stack; the database must stay consistent.
fn survive(statements: Vec<String>) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let db = database();
            let mut s = db.session();
            let params = [Value::Integer(7), Value::text("p")];
            for sql in &statements {
                let _ = amberdb::parse(sql);
                let _ = s.execute(sql, &params);
            }
            let _ = s.execute("ROLLBACK", &[]);
            let check = db.session().query("CHECK DATABASE", &[]).unwrap();
            assert_eq!(check.rows, vec![vec![Value::text("ok")]], "after {statements:?}");
        })
        .unwrap()
        .join()
        .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(inputs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..4)) {
        survive(inputs.into_iter().map(|b| String::from_utf8_lossy(&b).into_owned()).collect());
    }

    #[test]
    fn token_soups_never_panic(soups in proptest::collection::vec(proptest::collection::vec(0..TOKENS.len(), 1..40), 1..6)) {
        survive(soups.into_iter().map(|s| s.into_iter().map(|i| TOKENS[i]).collect::<Vec<_>>().join(" ")).collect());
    }

    /// Statements that start well (a real statement with a soup after its keyword)
    /// get past the parser more often than pure soup does.
    #[test]
    fn half_formed_statements_never_panic(
        start in prop::sample::select(vec![
            "SELECT", "SELECT a FROM t WHERE", "INSERT INTO t VALUES (", "UPDATE t SET b =",
            "DELETE FROM u WHERE", "SELECT * FROM v WHERE a IN (SELECT", "CREATE TABLE w (x",
        ]),
        soup in proptest::collection::vec(0..TOKENS.len(), 0..30),
    ) {
        let tail: Vec<&str> = soup.into_iter().map(|i| TOKENS[i]).collect();
        survive(vec![format!("{start} {}", tail.join(" "))]);
    }
}
