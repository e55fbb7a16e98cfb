//! Differential testing against SQLite: random data and random queries (joins,
//! aggregates, NULLs, subqueries, compound SELECTs) run on AmberDB and on bundled SQLite,
//! and the results must agree (as multisets of rows). proptest shrinks any difference to
//! a minimal case. 1,000 cases by default; `AMBER_DIFF_CASES=N` runs more.
//!
//! The generator keeps to where the two engines promise the same answers: integers and
//! texts are never compared with each other, and every value fits its column's type.

use amberdb::{Database, Value};
use proptest::prelude::*;

mod agree;

const SCHEMA: &[&str] = &["CREATE TABLE t1 (a INTEGER, b INTEGER, c TEXT)", "CREATE TABLE t2 (a INTEGER, d INTEGER)"];

#[derive(Clone, Debug)]
struct Data {
    t1: Vec<(Option<i64>, Option<i64>, Option<&'static str>)>,
    t2: Vec<(Option<i64>, Option<i64>)>,
}

fn int() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![1 => Just(None), 6 => (-3i64..6).prop_map(Some)]
}

fn text() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![1 => Just(None), 4 => prop::sample::select(vec!["x", "y", "z", ""]).prop_map(Some)]
}

fn data() -> impl Strategy<Value = Data> {
    (prop::collection::vec((int(), int(), text()), 0..8), prop::collection::vec((int(), int()), 0..8))
        .prop_map(|(t1, t2)| Data { t1, t2 })
}

/// An integer-valued expression over the columns in scope.
fn int_expr(cols: &'static [&'static str]) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(cols.to_vec()).prop_map(str::to_string),
        (-2i64..5).prop_map(|v| v.to_string()),
        Just("NULL".to_string()),
    ];
    leaf.prop_recursive(3, 12, 3, move |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec!["+", "-", "*"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("coalesce({a}, {b})")),
            (cond_leaf(cols), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("CASE WHEN {c} THEN {a} ELSE {b} END")),
            inner.prop_map(|a| format!("abs({a})")),
        ]
    })
}

fn cond_leaf(cols: &'static [&'static str]) -> impl Strategy<Value = String> {
    let col = prop::sample::select(cols.to_vec());
    prop_oneof![
        (col.clone(), prop::sample::select(vec!["=", "<>", "<", "<=", ">", ">="]), -2i64..5)
            .prop_map(|(c, op, v)| format!("{c} {op} {v}")),
        (col.clone(), any::<bool>()).prop_map(|(c, n)| format!("{c} IS {}NULL", if n { "NOT " } else { "" })),
        (col.clone(), prop::collection::vec(-2i64..5, 1..4)).prop_map(|(c, vs)| format!(
            "{c} IN ({})",
            vs.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
        )),
        (col, -2i64..3, 2i64..6).prop_map(|(c, lo, hi)| format!("{c} BETWEEN {lo} AND {hi}")),
    ]
}

/// A condition, possibly with subqueries over t2 (correlated through `outer`).
fn cond(cols: &'static [&'static str], outer: &'static str) -> impl Strategy<Value = String> {
    let sub = prop_oneof![
        (prop::sample::select(cols.to_vec()), any::<bool>())
            .prop_map(|(c, not)| format!("{c} {}IN (SELECT d FROM t2)", if not { "NOT " } else { "" })),
        (any::<bool>(), -2i64..5).prop_map(move |(not, v)| format!(
            "{}EXISTS (SELECT 1 FROM t2 WHERE t2.d = {outer} AND t2.a > {v})",
            if not { "NOT " } else { "" }
        )),
        (prop::sample::select(cols.to_vec()), prop::sample::select(vec!["max", "min", "count", "sum"]))
            .prop_map(move |(c, f)| format!("{c} < (SELECT {f}(d) FROM t2 WHERE t2.a <> {outer})")),
    ];
    let leaf = prop_oneof![3 => cond_leaf(cols), 1 => sub, 1 => Just("c = 'x'".to_string())];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec!["AND", "OR"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

const T1: &[&str] = &["t1.a", "t1.b"];
const JOINED: &[&str] = &["t1.a", "t1.b", "t2.a", "t2.d"];

fn query() -> impl Strategy<Value = String> {
    let single = (prop::collection::vec(int_expr(T1), 1..3), prop::option::of(cond(T1, "t1.b")), any::<bool>())
        .prop_map(|(cols, w, distinct)| {
            let w = w.map(|w| format!(" WHERE {w}")).unwrap_or_default();
            format!("SELECT {}{} FROM t1{w}", if distinct { "DISTINCT " } else { "" }, cols.join(", "))
        });
    let join = (
        prop::collection::vec(int_expr(JOINED), 1..3),
        prop::sample::select(vec!["JOIN", "LEFT JOIN", ","]),
        prop::option::of(cond_leaf(JOINED)),
    )
        .prop_map(|(cols, kind, w)| {
            let from = if kind == "," {
                "t1, t2 WHERE t1.a = t2.a".to_string()
            } else {
                format!("t1 {kind} t2 ON t1.a = t2.a")
            };
            let glue = if kind == "," { " AND " } else { " WHERE " };
            let w = w.map(|w| format!("{glue}{w}")).unwrap_or_default();
            format!("SELECT {} FROM {from}{w}", cols.join(", "))
        });
    let aggregate = (
        prop::sample::select(vec!["count(*)", "count(t1.b)", "sum(t1.b)", "min(t1.b)", "max(t1.a)", "total(t1.b)"]),
        any::<bool>(),
        prop::option::of(cond_leaf(T1)),
    )
        .prop_map(|(agg, grouped, w)| {
            let w = w.map(|w| format!(" WHERE {w}")).unwrap_or_default();
            if grouped {
                format!("SELECT t1.c, {agg} FROM t1{w} GROUP BY t1.c")
            } else {
                format!("SELECT {agg} FROM t1{w}")
            }
        });
    let compound = (prop::sample::select(vec!["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]), cond_leaf(T1))
        .prop_map(|(op, w)| format!("SELECT t1.a FROM t1 WHERE {w} {op} SELECT t2.d FROM t2"));
    prop_oneof![3 => single, 3 => join, 2 => aggregate, 1 => compound]
}

fn load_amber(data: &Data) -> amberdb::Session {
    let mut s = Database::open_in_memory().session();
    for sql in SCHEMA {
        s.execute(sql, &[]).unwrap();
    }
    let v = |x: Option<i64>| x.map_or(Value::Null, Value::Integer);
    for (a, b, c) in &data.t1 {
        let c = c.map_or(Value::Null, Value::text);
        s.execute("INSERT INTO t1 VALUES (?, ?, ?)", &[v(*a), v(*b), c]).unwrap();
    }
    for (a, d) in &data.t2 {
        s.execute("INSERT INTO t2 VALUES (?, ?)", &[v(*a), v(*d)]).unwrap();
    }
    s
}

fn load_sqlite(data: &Data) -> rusqlite::Connection {
    let c = rusqlite::Connection::open_in_memory().unwrap();
    for sql in SCHEMA {
        c.execute(sql, []).unwrap();
    }
    for (a, b, t) in &data.t1 {
        c.execute("INSERT INTO t1 VALUES (?, ?, ?)", rusqlite::params![a, b, t]).unwrap();
    }
    for (a, d) in &data.t2 {
        c.execute("INSERT INTO t2 VALUES (?, ?)", rusqlite::params![a, d]).unwrap();
    }
    c
}

/// A value as both engines should render it: numbers by value, reals to 6 places.
fn show_real(r: f64) -> String {
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r:.6}")
    }
}

fn amber_rows(s: &mut amberdb::Session, sql: &str) -> Result<Vec<String>, String> {
    agree::amber_rows(s, sql, show_real)
}

fn sqlite_rows(c: &rusqlite::Connection, sql: &str) -> Result<Vec<String>, String> {
    agree::sqlite_rows(c, sql, show_real)
}

fn cases() -> u32 {
    std::env::var("AMBER_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn amberdb_and_sqlite_agree(data in data(), sql in query()) {
        let mut amber = load_amber(&data);
        let lite = load_sqlite(&data);
        let a = amber_rows(&mut amber, &sql);
        let b = sqlite_rows(&lite, &sql);
        match (&a, &b) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y, "{}", sql),
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{sql}\namberdb: {a:?}\nsqlite:  {b:?}"),
        }
    }
}

/// The generator must produce queries that run: otherwise the comparison above would
/// agree vacuously on errors.
#[test]
fn generated_queries_run() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut ran, mut rows) = (0, 0);
    for _ in 0..300 {
        let data = data().new_tree(&mut runner).unwrap().current();
        let sql = query().new_tree(&mut runner).unwrap().current();
        if let Ok(r) = sqlite_rows(&load_sqlite(&data), &sql) {
            ran += 1;
            rows += r.len();
        }
    }
    assert!(ran >= 290, "only {ran} of 300 generated queries ran on SQLite");
    assert!(rows >= 300, "the queries returned only {rows} rows in all");
}

/// Each query answers the same rows in both engines.
fn same_answers(s: &mut amberdb::Session, c: &rusqlite::Connection, queries: &[&str]) {
    for sql in queries {
        assert_eq!(amber_rows(s, sql), sqlite_rows(c, sql), "{sql}");
    }
}

/// Text is held inline up to 14 bytes and shared beyond: texts on both sides of that
/// line (and multi-byte ones that cross it) must sort, compare, match and group as in
/// SQLite.
#[test]
fn short_and_long_text_behave_as_in_sqlite() {
    let words: Vec<String> = (0..=32)
        .flat_map(|n| {
            let ascii: String = (0..n).map(|i| (b'a' + (i * 7 % 26) as u8) as char).collect();
            let wide: String = (0..n / 2).map(|i| if i % 2 == 0 { 'é' } else { 'x' }).collect();
            [ascii, wide]
        })
        .collect();
    let mut s = Database::open_in_memory().session();
    let c = rusqlite::Connection::open_in_memory().unwrap();
    let create = "CREATE TABLE w (id INTEGER PRIMARY KEY, t TEXT)";
    s.execute(create, &[]).unwrap();
    c.execute(create, []).unwrap();
    for (i, w) in words.iter().enumerate() {
        s.execute("INSERT INTO w VALUES (?, ?)", &[Value::Integer(i as i64), Value::text(w)]).unwrap();
        c.execute("INSERT INTO w VALUES (?, ?)", rusqlite::params![i as i64, w]).unwrap();
    }
    let queries = [
        "SELECT t, length(t) FROM w ORDER BY t, id",
        "SELECT id FROM w WHERE t > 'abcdefghijklmn' AND t < 'ahovcj'",
        "SELECT id FROM w WHERE t = 'ahovcjqxelszgnu'",
        "SELECT id, substr(t, 10, 8), upper(t) FROM w",
        "SELECT id FROM w WHERE t LIKE '%vcjq%' OR t LIKE 'éx_x%'",
        "SELECT t, count(*) FROM w GROUP BY t",
        "SELECT a.id, b.id FROM w a JOIN w b ON a.t = b.t WHERE a.id < b.id",
        "SELECT min(t), max(t), count(DISTINCT t) FROM w",
        "SELECT t || t FROM w WHERE length(t) BETWEEN 6 AND 9",
        "SELECT id FROM w WHERE t IN ('ahovcjqxelszgnubip', 'éxéxéxé', '')",
    ];
    same_answers(&mut s, &c, &queries);
}

/// Bare columns of an aggregate query read the group's first row, or with exactly one
/// min() or max() the row that gave it, as SQLite picks them.
#[test]
fn bare_columns_read_the_row_sqlite_reads() {
    let mut s = Database::open_in_memory().session();
    let c = rusqlite::Connection::open_in_memory().unwrap();
    let setup = [
        "CREATE TABLE x (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, n INTEGER)",
        "INSERT INTO x VALUES (1, 1, 'a', 5), (2, 2, 'z', 1), (3, 1, 'b', 9), (4, 1, 'c', NULL), (5, 2, 'y', 7)",
    ];
    for sql in setup {
        s.execute(sql, &[]).unwrap();
        c.execute(sql, []).unwrap();
    }
    let queries = [
        "SELECT b, count(*) FROM x",
        "SELECT a, b, count(*) FROM x GROUP BY a",
        "SELECT a, b, max(n) FROM x GROUP BY a",
        "SELECT a, b, min(n), count(*) FROM x GROUP BY a",
        "SELECT b, max(b) FROM x",
        "SELECT a, id FROM x GROUP BY a HAVING id > 1",
        "SELECT a, b, sum(n) FROM x WHERE n IS NOT NULL GROUP BY a",
    ];
    same_answers(&mut s, &c, &queries);
}

/// A write for [`writes_agree_with_sqlite`]: UPDATEs of indexed columns and of the key
/// and DELETEs, under conditions over the row. Step `n`'s key change adds `2^n * 10^4`:
/// a key never lands on another (keys start below 10^4, and the sums of earlier steps'
/// offsets stay below each new one), so no engine's row order can make it clash.
fn write(step: u32) -> impl Strategy<Value = String> {
    const COLS: &[&str] = &["a", "b", "id"];
    let set = (prop::sample::select(vec!["a", "b"]), int_expr(COLS)).prop_map(|(c, e)| format!("{c} = {e}"));
    let sets = prop::collection::vec(set, 1..3).prop_map(|s| s.join(", "));
    let offset = (1i64 << step) * 10_000;
    prop_oneof![
        4 => (sets, cond_leaf(COLS)).prop_map(|(s, w)| format!("UPDATE t SET {s} WHERE {w}")),
        1 => cond_leaf(COLS).prop_map(move |w| format!("UPDATE t SET id = id + {offset}, a = b WHERE {w}")),
        2 => cond_leaf(COLS).prop_map(|w| format!("DELETE FROM t WHERE {w}")),
    ]
}

fn writes() -> impl Strategy<Value = Vec<String>> {
    (0..6u32).map(write).collect::<Vec<_>>()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    /// UPDATE and DELETE over hundreds of rows (several pages and index nodes, changed
    /// all at once) leave the table SQLite's do, its indexes answering as a scan does.
    #[test]
    fn writes_agree_with_sqlite(
        rows in prop::collection::vec((int(), int(), text()), 0..400),
        writes in writes(),
    ) {
        // An integer key (rows under plain integers), and a key of two columns (rows
        // under tuples), each with a one-column and a two-column index.
        let tables = [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT)",
            "CREATE TABLE t (id INTEGER, a INTEGER, b INTEGER, c TEXT, PRIMARY KEY (c, id))",
        ];
        for table in tables {
            let mut amber = Database::open_in_memory().session();
            let lite = rusqlite::Connection::open_in_memory().unwrap();
            for sql in [table, "CREATE INDEX t_a ON t (a)", "CREATE INDEX t_ba ON t (b, a)"] {
                amber.execute(sql, &[]).unwrap();
                lite.execute(sql, []).unwrap();
            }
            let v = |x: Option<i64>| x.map_or(Value::Null, Value::Integer);
            for (id, (a, b, c)) in rows.iter().enumerate() {
                let id = (id * 7) as i64;
                // A key column may not be NULL in AmberDB (SQLite allows it): text always.
                let c = c.unwrap_or("");
                amber.execute("INSERT INTO t VALUES (?, ?, ?, ?)", &[Value::Integer(id), v(*a), v(*b), Value::text(c)]).unwrap();
                lite.execute("INSERT INTO t VALUES (?, ?, ?, ?)", rusqlite::params![id, a, b, c]).unwrap();
            }
            let probes = ["SELECT * FROM t", "SELECT id FROM t WHERE a = 2", "SELECT id, a FROM t WHERE b = 1 AND a > 0"];
            for sql in &writes {
                let (x, y) = (amber.execute(sql, &[]).map(|_| ()), lite.execute(sql, []).map(|_| ()));
                prop_assert!(x.is_ok() == y.is_ok(), "{sql}\namberdb: {x:?}\nsqlite:  {y:?}");
                for probe in probes {
                    prop_assert_eq!(amber_rows(&mut amber, probe), sqlite_rows(&lite, probe), "{} after {} in {}", probe, sql, table);
                }
            }
            prop_assert_eq!(amber_rows(&mut amber, "CHECK DATABASE"), Ok(vec!["ok".to_string()]));
        }
    }
}
