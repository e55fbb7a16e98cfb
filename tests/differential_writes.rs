//! Differential testing of the writes SQLite users write today — upserts (conflicts on
//! the primary key and on unique columns, DO NOTHING and DO UPDATE with `excluded` and
//! WHERE, several clauses in order), `INSERT OR IGNORE|REPLACE|FAIL`, `UPDATE OR
//! IGNORE|REPLACE|FAIL`, `UPDATE … FROM`, and RETURNING on INSERT, UPDATE and DELETE —
//! against bundled SQLite.
//!
//! Each case runs a random sequence of writes on one table in both engines: after each
//! one, both must have failed (and changed nothing) or both must have returned the same
//! rows, and the tables must hold the same rows. 1,000 cases of 12 statements by default;
//! `AMBER_DIFF_CASES=N` runs more. A second property does the same for a table without a
//! key of its own, written and read by its `rowid`.

use amberdb::Database;
use proptest::prelude::*;

mod agree;

const SCHEMA: &[&str] = &[
    "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, a INTEGER CHECK (a IS NULL OR a < 100), \
     b INTEGER NOT NULL DEFAULT 0, u INTEGER)",
    "CREATE UNIQUE INDEX t_u ON t (u)",
    "CREATE TABLE src (id INTEGER, x INTEGER, k TEXT)",
    "INSERT INTO src VALUES (1, 10, 'b'), (2, 20, 'c'), (5, NULL, 'a'), (9, 90, NULL), (3, 150, 'd')",
];

fn int(lo: i64, hi: i64) -> impl Strategy<Value = String> {
    prop_oneof![1 => Just("NULL".to_string()), 5 => (lo..hi).prop_map(|i| i.to_string())]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("NULL".to_string()),
        5 => prop::sample::select(vec!["'a'", "'b'", "'c'", "'d'", "'ax'"]).prop_map(str::to_string)
    ]
}

/// `(id, k, a, u)` values for one row.
fn values() -> impl Strategy<Value = String> {
    (int(1, 7), key(), int(-5, 110), int(0, 4)).prop_map(|(id, k, a, u)| format!("({id}, {k}, {a}, {u})"))
}

fn returning() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", " RETURNING *", " RETURNING id, a", " RETURNING a + b AS s, k || '!'"])
        .prop_map(str::to_string)
}

fn upsert_clause(target: &'static str) -> impl Strategy<Value = String> {
    let set = prop::sample::select(vec![
        "a = excluded.a",
        "a = coalesce(a, 0) + 1",
        "b = b + 1, a = excluded.a",
        "k = excluded.k || 'x'",
        "u = excluded.u",
        "b = b + coalesce(excluded.a, 10)",
        "a = t.a * 2",
    ]);
    let filter = prop::sample::select(vec!["", " WHERE a < 50", " WHERE excluded.a IS NOT NULL", " WHERE b < 2"]);
    prop_oneof![
        1 => Just(format!(" ON CONFLICT{target} DO NOTHING")),
        3 => (set, filter).prop_map(move |(s, w)| format!(" ON CONFLICT{target} DO UPDATE SET {s}{w}")),
    ]
}

fn upsert() -> impl Strategy<Value = String> {
    let target = prop::sample::select(vec!["", " (id)", " (k)", " (u)"]);
    let clauses = target.prop_flat_map(|t| {
        let first = upsert_clause(t);
        // A clause with a target may be followed by a catch-all.
        let second = match t {
            "" => Just(String::new()).boxed(),
            _ => prop_oneof![Just(String::new()), upsert_clause("")].boxed(),
        };
        (first, second).prop_map(|(a, b)| a + &b)
    });
    (prop::collection::vec(values(), 1..4), clauses, returning()).prop_map(|(rows, clauses, ret)| {
        format!("INSERT INTO t (id, k, a, u) VALUES {}{clauses}{ret}", rows.join(", "))
    })
}

fn plain_insert() -> impl Strategy<Value = String> {
    let verb = prop::sample::select(vec!["INSERT", "INSERT OR IGNORE", "INSERT OR REPLACE", "INSERT OR FAIL"]);
    (verb, prop::collection::vec(values(), 1..3), returning())
        .prop_map(|(v, rows, ret)| format!("{v} INTO t (id, k, a, u) VALUES {}{ret}", rows.join(", ")))
}

fn update() -> impl Strategy<Value = String> {
    let set = prop::sample::select(vec!["a = a + 1", "b = b + 1", "k = k || 'y'", "u = u + 1", "a = NULL, b = 7"]);
    let filter = prop::sample::select(vec!["", " WHERE id < 3", " WHERE a > 10", " WHERE k IS NULL", " WHERE u = 1"]);
    let verb =
        prop::sample::select(vec!["UPDATE", "UPDATE", "UPDATE OR IGNORE", "UPDATE OR REPLACE", "UPDATE OR FAIL"]);
    let set =
        prop_oneof![set.prop_map(str::to_string), (int(1, 7), key()).prop_map(|(i, k)| format!("id = {i}, k = {k}"))];
    (verb, set, filter, returning()).prop_map(|(v, s, w, r)| format!("{v} t SET {s}{w}{r}"))
}

fn update_from() -> impl Strategy<Value = String> {
    let set = prop::sample::select(vec!["a = s.x", "a = s.x, b = b + 1", "k = s.k", "u = s.id % 3", "a = t.a + s.id"]);
    let filter =
        prop::sample::select(vec![" WHERE s.id = t.id", " WHERE s.id = t.id AND s.x > 10", " WHERE s.k = t.k"]);
    let verb = prop::sample::select(vec!["UPDATE", "UPDATE OR IGNORE"]);
    (verb, set, filter, returning()).prop_map(|(v, s, w, r)| format!("{v} t SET {s} FROM src AS s{w}{r}"))
}

fn delete() -> impl Strategy<Value = String> {
    let filter = prop::sample::select(vec![" WHERE id = 2", " WHERE a > 50", " WHERE k = 'a'", " WHERE b > 0"]);
    (filter, returning()).prop_map(|(w, r)| format!("DELETE FROM t{w}{r}"))
}

fn statement() -> impl Strategy<Value = String> {
    prop_oneof![6 => upsert(), 2 => plain_insert(), 2 => update(), 1 => update_from(), 1 => delete()]
}

fn show_real(r: f64) -> String {
    format!("{r}")
}

/// Runs one write: its returned rows (sorted), or that it failed.
fn amber_write(s: &mut amberdb::Session, sql: &str) -> Option<Vec<String>> {
    match sql.contains("RETURNING") {
        true => agree::amber_rows(s, sql, show_real).ok(),
        false => s.execute(sql, &[]).ok().map(|_| Vec::new()),
    }
}

fn sqlite_write(c: &rusqlite::Connection, sql: &str) -> Option<Vec<String>> {
    match sql.contains("RETURNING") {
        true => agree::sqlite_rows(c, sql, show_real).ok(),
        false => c.execute(sql, []).ok().map(|_| Vec::new()),
    }
}

const TABLE: &str = "SELECT id, k, a, b, u FROM t";

fn cases() -> u32 {
    std::env::var("AMBER_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn writes_agree_with_sqlite(statements in prop::collection::vec(statement(), 12)) {
        let mut amber = Database::open_in_memory().session();
        let lite = rusqlite::Connection::open_in_memory().unwrap();
        for sql in SCHEMA {
            amber.execute(sql, &[]).unwrap();
            lite.execute(sql, []).unwrap();
        }
        for sql in &statements {
            let a = amber_write(&mut amber, sql);
            let b = sqlite_write(&lite, sql);
            prop_assert_eq!(&a, &b, "{}", sql);
            let changes = "SELECT changes()";
            prop_assert_eq!(
                agree::amber_rows(&mut amber, changes, show_real),
                agree::sqlite_rows(&lite, changes, show_real),
                "changes() after {}", sql
            );
            prop_assert_eq!(
                agree::amber_rows(&mut amber, TABLE, show_real),
                agree::sqlite_rows(&lite, TABLE, show_real),
                "table after {}", sql
            );
        }
    }
}

/// Writes to a table without a key of its own, and reads and writes by its `rowid`.
fn rowid_statement() -> impl Strategy<Value = String> {
    let insert = (int(0, 5), int(0, 9)).prop_map(|(m, n)| format!("INSERT INTO log VALUES ('m{m}', {n})"));
    let by = prop::sample::select(vec![
        "rowid = 2",
        "rowid > 3",
        "oid <= 1",
        "_rowid_ % 2 = 0",
        "rowid IN (SELECT max(rowid) FROM log)",
        "rowid = (SELECT min(rowid) FROM log WHERE n > 4)",
        "n = 3 AND rowid < 5",
    ]);
    let delete = by.clone().prop_map(|w| format!("DELETE FROM log WHERE {w}"));
    let update = by.prop_map(|w| format!("UPDATE log SET n = n + 1, msg = msg || 'u' WHERE {w}"));
    prop_oneof![3 => insert, 1 => delete, 1 => update]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    #[test]
    fn rowids_agree_with_sqlite(statements in prop::collection::vec(rowid_statement(), 16)) {
        let mut amber = Database::open_in_memory().session();
        let lite = rusqlite::Connection::open_in_memory().unwrap();
        let schema = "CREATE TABLE log (msg TEXT, n INTEGER)";
        amber.execute(schema, &[]).unwrap();
        lite.execute(schema, []).unwrap();
        for sql in &statements {
            let a = amber_write(&mut amber, sql);
            let b = sqlite_write(&lite, sql);
            prop_assert_eq!(&a, &b, "{}", sql);
            for read in ["SELECT rowid, msg, n FROM log ORDER BY rowid", "SELECT oid FROM log WHERE rowid > 2 ORDER BY 1 DESC"] {
                prop_assert_eq!(
                    agree::amber_rows(&mut amber, read, show_real),
                    agree::sqlite_rows(&lite, read, show_real),
                    "{} after {}", read, sql
                );
            }
        }
    }
}

/// The generator makes writes that mostly succeed and that conflict, so agreement is
/// not vacuous.
#[test]
fn generated_writes_succeed_and_conflict() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut ok, mut updated) = (0, 0);
    for _ in 0..100 {
        let lite = rusqlite::Connection::open_in_memory().unwrap();
        for sql in SCHEMA {
            lite.execute(sql, []).unwrap();
        }
        for _ in 0..12 {
            let sql = upsert().new_tree(&mut runner).unwrap().current();
            let before = lite.total_changes();
            if sqlite_write(&lite, &sql).is_some() {
                ok += 1;
                let inserted: i64 = lite.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
                updated += usize::from(lite.total_changes() > before && inserted < 6);
            }
        }
    }
    assert!(ok >= 600, "only {ok} of 1200 upserts succeeded");
    assert!(updated >= 100, "only {updated} upserts changed rows");
}
