//! A scan passes over a stored row that cannot satisfy WHERE's comparisons of columns
//! with numbers (joined by AND and OR) before decoding it, reading the columns from the
//! row's bytes. These properties hold
//! that shortcut to the answer the WHERE clause gives when nothing is read early:
//! `NOT NOT (cond)` is the same condition in a shape the shortcut does not look into.

use amberdb::{Database, Session, Value};
use proptest::prelude::*;

/// Numbers at the edges of each width a row stores integers in, reals that compare
/// oddly, and values that are not numbers at all.
const VALUES: &[&str] = &[
    "NULL",
    "0",
    "-1",
    "127",
    "128",
    "-128",
    "-129",
    "32767",
    "32768",
    "-32769",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "-9223372036854775808",
    "0.0",
    "-0.0",
    "1.5",
    "127.0",
    "-1e300",
    "'128'",
    "'abc'",
    "x'01'",
];

const COLUMNS: &[&str] = &["id", "i", "r", "x"];

fn table(rows: &[(usize, usize, usize)]) -> Session {
    let db = Database::open_in_memory();
    let mut s = db.session();
    // `i` and `r` hold what their types take (a value they cannot is left out);
    // `x` holds anything.
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, x)", &[]).unwrap();
    // Joined to `t` by id, so that WHERE's conditions on `t` are its scan's own.
    s.execute("CREATE TABLE u (k INTEGER)", &[]).unwrap();
    for (n, &(i, r, x)) in rows.iter().enumerate() {
        s.execute(&format!("INSERT INTO t (id, x) VALUES ({}, {})", n as i64 * 300 - 1000, VALUES[x]), &[]).unwrap();
        s.execute(&format!("INSERT INTO u VALUES ({})", n as i64 * 300 - 1000), &[]).unwrap();
        let _ = s.execute(&format!("UPDATE t SET i = {} WHERE id = {}", VALUES[i], n as i64 * 300 - 1000), &[]);
        let _ = s.execute(&format!("UPDATE t SET r = {} WHERE id = {}", VALUES[r], n as i64 * 300 - 1000), &[]);
    }
    s
}

fn comparison() -> impl Strategy<Value = String> {
    let column = prop::sample::select(COLUMNS);
    let value = prop::sample::select(VALUES);
    let op = prop::sample::select(&["=", "<>", "<", "<=", ">", ">="][..]);
    prop_oneof![
        (column.clone(), op.clone(), value.clone()).prop_map(|(c, o, v)| format!("{c} {o} {v}")),
        (value.clone(), op, column.clone()).prop_map(|(v, o, c)| format!("{v} {o} {c}")),
        (column.clone(), value.clone(), value.clone()).prop_map(|(c, a, b)| format!("{c} BETWEEN {a} AND {b}")),
        (column.clone(), value.clone()).prop_map(|(c, v)| format!("{c} >= ?1 AND {c} <> {v}")),
        (column, prop::collection::vec(value, 0..4)).prop_map(|(c, vs)| format!("{c} IN ({})", vs.join(", "))),
    ]
}

/// Comparisons joined by AND and OR, nested.
fn condition() -> impl Strategy<Value = String> {
    comparison().prop_recursive(3, 12, 2, |inner| {
        (inner.clone(), prop::sample::select(&["AND", "OR"][..]), inner)
            .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
    })
}

fn ids(s: &mut Session, sql: &str, param: &Value) -> Vec<Value> {
    let params: &[Value] = if sql.contains('?') { std::slice::from_ref(param) } else { &[] };
    s.query(sql, params).unwrap().rows.into_iter().map(|mut r| r.remove(0)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_filter_read_from_the_bytes_keeps_what_the_clause_keeps(
        rows in prop::collection::vec((0..VALUES.len(), 0..VALUES.len(), 0..VALUES.len()), 0..12),
        conds in prop::collection::vec(condition(), 1..4),
        param in prop::sample::select(vec![Value::Integer(128), Value::Real(-0.5), Value::Null, Value::text("7")]),
    ) {
        let mut s = table(&rows);
        let cond = conds.join(" AND ");
        let read_early = ids(&mut s, &format!("SELECT id FROM t WHERE {cond} ORDER BY id"), &param);
        let decoded = ids(&mut s, &format!("SELECT id FROM t WHERE NOT NOT ({cond}) ORDER BY id"), &param);
        prop_assert_eq!(&read_early, &decoded, "WHERE {}", cond);
        let joined = ids(&mut s, &format!("SELECT t.id FROM t JOIN u ON u.k = t.id WHERE {cond} ORDER BY t.id"), &param);
        prop_assert_eq!(&joined, &decoded, "joined, WHERE {}", cond);

        // A DELETE finds its rows through the same scan.
        s.execute("BEGIN", &[]).unwrap();
        let params: &[Value] = if cond.contains('?') { std::slice::from_ref(&param) } else { &[] };
        s.execute(&format!("DELETE FROM t WHERE {cond}"), params).unwrap();
        let left = ids(&mut s, "SELECT id FROM t ORDER BY id", &param);
        s.execute("ROLLBACK", &[]).unwrap();
        let all = ids(&mut s, "SELECT id FROM t ORDER BY id", &param);
        let kept: Vec<Value> = all.into_iter().filter(|id| !decoded.contains(id)).collect();
        prop_assert_eq!(left, kept, "DELETE WHERE {}", cond);
    }
}
