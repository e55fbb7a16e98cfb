//! Indexes never change an answer: random tables with random indexes answer random
//! predicates (equalities, ranges, IN lists, LIKE, AND/OR, ORDER BY … LIMIT) exactly as
//! the same table without indexes does with full scans.

use amberdb::{Database, Value};
use proptest::prelude::*;

const INDEXES: &[&str] = &[
    "CREATE INDEX t_a ON t (a)",
    "CREATE INDEX t_b ON t (b DESC)",
    "CREATE INDEX t_ab ON t (a, b)",
    "CREATE INDEX t_ca ON t (c, a)",
    "CREATE INDEX t_c ON t (c)",
];

fn small() -> impl Strategy<Value = String> {
    prop_oneof![4 => (0i64..6).prop_map(|v| v.to_string()), 1 => Just("NULL".to_string())]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["'ab'", "'abc'", "'AB'", "'b'", "'ba'", "''"]).prop_map(String::from),
        1 => Just("NULL".to_string()),
    ]
}

fn column() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "id"])
}

fn atom() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["=", "<", "<=", ">", ">=", "<>"]);
    prop_oneof![
        (column(), op, small()).prop_map(|(c, op, v)| format!("{c} {op} {v}")),
        (column(), small(), small()).prop_map(|(c, lo, hi)| format!("{c} BETWEEN {lo} AND {hi}")),
        (column(), prop::collection::vec(small(), 1..4)).prop_map(|(c, vs)| format!("{c} IN ({})", vs.join(", "))),
        (prop::sample::select(vec!["=", "<", ">="]), text()).prop_map(|(op, v)| format!("c {op} {v}")),
        prop::sample::select(vec!["'a%'", "'AB%'", "'b_'", "'%b'"]).prop_map(|p| format!("c LIKE {p}")),
    ]
}

fn predicate() -> impl Strategy<Value = String> {
    atom().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("({x} AND {y})")),
            (inner.clone(), inner).prop_map(|(x, y)| format!("({x} OR {y})")),
        ]
    })
}

fn order() -> impl Strategy<Value = Option<String>> {
    let dir = || prop::sample::select(vec!["", " DESC"]);
    prop::option::of(prop_oneof![
        (column(), dir()).prop_map(|(c, d)| format!("ORDER BY {c}{d}, id{d}")),
        (dir(), 0usize..8).prop_map(|(d, k)| format!("ORDER BY id{d} LIMIT {k}")),
        (column(), dir(), 0usize..8).prop_map(|(c, d, k)| format!("ORDER BY {c}{d}, id{d} LIMIT {k}")),
    ])
}

fn table(rows: &[(String, String, String)], indexes: &[bool]) -> Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT)", &[]).unwrap();
    for (sql, on) in INDEXES.iter().zip(indexes) {
        if *on {
            s.execute(sql, &[]).unwrap();
        }
    }
    for (a, b, c) in rows {
        s.execute(&format!("INSERT INTO t (a, b, c) VALUES ({a}, {b}, {c})"), &[]).unwrap();
    }
    db
}

fn ids(db: &Database, sql: &str, sorted: bool) -> Vec<Value> {
    let rows = db.session().query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")).rows;
    let mut ids: Vec<Value> = rows.into_iter().map(|mut r| r.remove(0)).collect();
    if sorted {
        ids.sort();
    }
    ids
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn indexed_answers_equal_full_scans(
        rows in prop::collection::vec((small(), small(), text()), 0..40),
        indexes in prop::collection::vec(any::<bool>(), INDEXES.len()),
        preds in prop::collection::vec(predicate(), 1..4),
        order in order(),
    ) {
        let (indexed, plain) = (table(&rows, &indexes), table(&rows, &[false; 5]));
        for p in &preds {
            let sql = match &order {
                Some(o) => format!("SELECT id FROM t WHERE {p} {o}"),
                None => format!("SELECT id FROM t WHERE {p}"),
            };
            let unordered = order.is_none();
            prop_assert_eq!(ids(&indexed, &sql, unordered), ids(&plain, &sql, unordered), "{}", sql);
            // The same rows change through UPDATE and DELETE access paths.
            let count = format!("SELECT count(*) FROM t WHERE {p}");
            prop_assert_eq!(ids(&indexed, &count, false), ids(&plain, &count, false), "{}", count);
        }
        if let Some(o) = &order {
            let sql = format!("SELECT id FROM t {o}");
            prop_assert_eq!(ids(&indexed, &sql, false), ids(&plain, &sql, false), "{}", sql);
        }
        let p = &preds[0];
        for db in [&indexed, &plain] {
            db.session().execute(&format!("UPDATE t SET b = 9 WHERE {p}"), &[]).unwrap();
            db.session().execute(&format!("DELETE FROM t WHERE a = 1 AND {p}"), &[]).unwrap();
        }
        let all = "SELECT id FROM t WHERE b = 9 ORDER BY id";
        prop_assert_eq!(ids(&indexed, all, false), ids(&plain, all, false));
        let all = "SELECT id FROM t ORDER BY id";
        prop_assert_eq!(ids(&indexed, all, false), ids(&plain, all, false));
    }
}
