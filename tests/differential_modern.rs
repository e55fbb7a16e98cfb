//! Differential testing of the SQL SQLite users write today — CTEs (recursive ones
//! too), window functions with every frame kind, date arithmetic, printf and the other
//! newer scalar functions, COLLATE — against bundled SQLite, on random tables with NULLs.
//!
//! Each case loads one random table into both engines and runs ten generated queries;
//! the results must agree as multisets of rows (every query either orders by a unique
//! key inside its windows or asks only what ties cannot change). 2,000 cases (20,000
//! queries) by default; `AMBER_DIFF_CASES=N` runs more (`N=100000` for a million
//! queries).
//!
//! Deliberate differences are kept out of the generator and listed in
//! `docs/DEVIATIONS.md`: local time is UTC, comparisons yield booleans (shown as 1/0 here).
//! The math functions (`sqrt`, `ln`, …) are not compared here: the bundled SQLite is
//! built without them; `tests/queries/dates_and_functions.q` holds their answers.

use amberdb::{Database, Value};
use proptest::prelude::*;

mod agree;

const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, v INTEGER, s TEXT, d TEXT)";

type Row = (Option<i64>, Option<i64>, Option<&'static str>, Option<&'static str>);

const DATES: &[&str] = &[
    "2024-01-31",
    "2024-02-29 13:45:00",
    "2023-12-31 23:59:59",
    "2024-03-10T08:05:30",
    "2000-01-01 00:00:00.250",
    "1999-07-04",
    "2024-06-15 12:00",
];

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let int = |lo: i64, hi: i64| prop_oneof![1 => Just(None), 5 => (lo..hi).prop_map(Some)];
    let text = prop_oneof![1 => Just(None), 4 => prop::sample::select(vec!["x", "y", "xy", "Zed", ""]).prop_map(Some)];
    let date = prop_oneof![1 => Just(None), 5 => prop::sample::select(DATES.to_vec()).prop_map(Some)];
    prop::collection::vec((int(0, 4), int(-3, 7), text, date), 0..12)
}

/// Window functions whose value the order of tied rows cannot change.
const TIE_SAFE: &[&str] =
    &["rank()", "dense_rank()", "percent_rank()", "cume_dist()", "count(*)", "count(v)", "sum(v)", "min(v)", "max(v)"];
/// Window functions that need a total order.
const ORDERED: &[&str] = &[
    "row_number()",
    "ntile(3)",
    "lag(v)",
    "lead(v, 2, -1)",
    "lag(s, 1, 'none')",
    "first_value(v)",
    "last_value(s)",
    "nth_value(v, 2)",
    "total(v)",
    "avg(v)",
    "group_concat(id, '.')",
    "sum(v) FILTER (WHERE v > 0)",
];

fn frame() -> impl Strategy<Value = String> {
    let edge = |preceding: bool| {
        let word = if preceding { "PRECEDING" } else { "FOLLOWING" };
        prop_oneof![(0i64..3).prop_map(move |k| format!("{k} {word}")), Just("CURRENT ROW".to_string()),]
    };
    let exclude = prop::sample::select(vec!["", " EXCLUDE CURRENT ROW", " EXCLUDE GROUP", " EXCLUDE TIES"]);
    prop_oneof![
        Just(String::new()),
        (prop::sample::select(vec!["ROWS", "GROUPS"]), edge(true), edge(false), exclude.clone())
            .prop_map(|(u, a, b, x)| format!(" {u} BETWEEN {a} AND {b}{x}")),
        (prop::sample::select(vec!["ROWS", "GROUPS", "RANGE"]), exclude.clone())
            .prop_map(|(u, x)| format!(" {u} BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW{x}")),
        (prop::sample::select(vec!["ROWS", "GROUPS", "RANGE"]), exclude)
            .prop_map(|(u, x)| format!(" {u} BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING{x}")),
        Just(" ROWS 1 PRECEDING".to_string()),
    ]
}

fn window_query() -> impl Strategy<Value = String> {
    let partition = prop::sample::select(vec!["", "PARTITION BY g ", "PARTITION BY v % 2 "]);
    // A total order: any function and frame.
    let ordered = (
        prop::sample::select([TIE_SAFE, ORDERED].concat()),
        partition.clone(),
        prop::sample::select(vec!["v, id", "v DESC, id", "s NULLS LAST, id DESC", "id"]),
        frame(),
    )
        .prop_map(|(f, p, o, fr)| format!("SELECT id, {f} OVER ({p}ORDER BY {o}{fr}) FROM t"));
    // Ties: only what ties cannot change, RANGE frames by value included.
    let tied = (
        prop::sample::select(TIE_SAFE.to_vec()),
        partition,
        prop::sample::select(vec!["ORDER BY v", "ORDER BY v DESC", ""]),
        prop::sample::select(vec![
            "",
            " RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING",
            " RANGE BETWEEN 2 PRECEDING AND CURRENT ROW",
            " RANGE BETWEEN CURRENT ROW AND 1 FOLLOWING",
            " GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING",
        ]),
    )
        .prop_map(|(f, p, o, fr)| {
            let fr = if o.is_empty() && fr.starts_with(" RANGE") { "" } else { fr };
            format!("SELECT id, {f} OVER ({p}{o}{fr}) FROM t")
        });
    let named = Just(
        "SELECT id, sum(v) OVER w, row_number() OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY id)".to_string(),
    );
    let grouped =
        Just("SELECT g, sum(v), rank() OVER (ORDER BY sum(v) DESC NULLS LAST, g) FROM t GROUP BY g".to_string());
    prop_oneof![4 => ordered, 3 => tied, 1 => named, 1 => grouped]
}

fn cte_query() -> impl Strategy<Value = String> {
    prop_oneof![
        (-2i64..6).prop_map(|k| format!(
            "WITH c AS (SELECT g, sum(v) AS total FROM t GROUP BY g) SELECT * FROM c WHERE total > {k}"
        )),
        (0i64..3).prop_map(|k| format!(
            "WITH c(k, n) AS (SELECT g, count(*) FROM t GROUP BY g) SELECT a.k, b.k FROM c a JOIN c b ON a.n + {k} >= b.n"
        )),
        (1i64..20).prop_map(|k| format!(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {k}) \
             SELECT x, (SELECT count(*) FROM t WHERE t.v = n.x) FROM n"
        )),
        (1i64..7).prop_map(|k| format!(
            "WITH RECURSIVE n(x) AS (SELECT 0 UNION SELECT (x + 2) % {k} FROM n) SELECT x FROM n"
        )),
        (1i64..6).prop_map(|k| format!(
            "WITH RECURSIVE r(id, depth) AS (SELECT id, 0 FROM t WHERE id = {k} \
             UNION SELECT t.id, r.depth + 1 FROM t JOIN r ON t.g = r.id WHERE r.depth < 4) SELECT * FROM r"
        )),
        (1i64..30).prop_map(|k| format!(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT {k}) SELECT sum(x), count(*) FROM n"
        )),
        Just(
            "WITH RECURSIVE days(day) AS (SELECT '2024-02-26' UNION ALL SELECT date(day, '+1 day') FROM days \
             WHERE day < '2024-03-03') SELECT day, (SELECT count(*) FROM t WHERE date(t.d) = day) FROM days"
                .to_string()
        ),
        Just("SELECT * FROM (VALUES (1, 'a'), (2, NULL), (3, 'c')) WHERE column1 > 1".to_string()),
    ]
}

fn date_query() -> impl Strategy<Value = String> {
    let modifier = prop_oneof![
        (-40i64..40, prop::sample::select(vec!["days", "hours", "minutes", "seconds", "months", "years"]))
            .prop_map(|(k, u)| format!("'{k:+} {u}'")),
        prop::sample::select(vec![
            "'start of month'",
            "'start of year'",
            "'start of day'",
            "'weekday 0'",
            "'weekday 3'"
        ])
        .prop_map(str::to_string),
        Just("'+1.5 days'".to_string()),
    ];
    let fmt =
        prop::sample::select(vec!["%Y-%m-%d", "%H:%M:%S", "%j %w %u", "%W %U %V %G", "%s", "%J", "%f %e %k %l %p"]);
    prop_oneof![
        (prop::sample::select(vec!["date", "time", "datetime", "unixepoch", "julianday"]), modifier.clone(), modifier)
            .prop_map(|(f, a, b)| format!("SELECT id, {f}(d, {a}, {b}) FROM t")),
        fmt.prop_map(|f| format!("SELECT id, strftime('{f}', d) FROM t")),
        Just("SELECT id, timediff(d, '2024-01-15 06:00:00'), timediff('2000-03-01', d) FROM t".to_string()),
        Just("SELECT date(d), count(*) FROM t GROUP BY date(d)".to_string()),
        Just(
            "SELECT id, julianday(d) - julianday('2024-01-01'), date(d, 'start of month', '+1 month', '-1 day') FROM t"
                .to_string()
        ),
    ]
}

fn function_query() -> impl Strategy<Value = String> {
    let call = prop::sample::select(vec![
        "printf('%5.2f|%-4s|%04d|%x', v / 3.0, s, v, g)",
        "printf('%d%%, %+.1e, %q', v, v * 1000.5, s)",
        "format('%3d:%s', g, s)",
        "iif(v > 1, s, 'no')",
        "concat(s, v, NULL, g)",
        "concat_ws('-', s, v, g)",
        "quote(s)",
        "quote(v)",
        "unicode(s)",
        "char(65 + coalesce(g, 0), 97)",
        "s GLOB 'x*'",
        "s NOT GLOB '*y'",
        "like('%Y%', s)",
        "octet_length(s)",
        "hex(s)",
        "unhex('4142')",
        "likely(v)",
        "v IS DISTINCT FROM g",
        "v IS NOT DISTINCT FROM g",
        "s COLLATE NOCASE = 'zed'",
        "s < 'Y' COLLATE NOCASE",
        "s COLLATE NOCASE IN ('X', 'zED')",
        "s COLLATE RTRIM = 'x '",
        "rowid",
    ]);
    (call, prop::option::of(prop::sample::select(vec!["v > 0", "s IS NOT NULL", "g = 1"]))).prop_map(|(c, w)| {
        let w = w.map(|w| format!(" WHERE {w}")).unwrap_or_default();
        format!("SELECT id, {c} FROM t{w}")
    })
}

/// Sorting and grouping under a collation: a unique key breaks ties.
fn collate_query() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "SELECT id, s FROM t ORDER BY s COLLATE NOCASE, id",
        "SELECT id FROM t ORDER BY s COLLATE NOCASE DESC, id",
        "SELECT lower(s), count(*) FROM t GROUP BY s COLLATE NOCASE",
        "SELECT id, rank() OVER (ORDER BY s COLLATE NOCASE) FROM t",
        "SELECT id FROM t WHERE s COLLATE NOCASE BETWEEN 'x' AND 'Y'",
    ])
    .prop_map(str::to_string)
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![4 => window_query(), 2 => cte_query(), 2 => date_query(), 2 => function_query(), 1 => collate_query()]
}

fn load(rows: &[Row]) -> (amberdb::Session, rusqlite::Connection) {
    let mut s = Database::open_in_memory().session();
    let c = rusqlite::Connection::open_in_memory().unwrap();
    s.execute(SCHEMA, &[]).unwrap();
    c.execute(SCHEMA, []).unwrap();
    let int = |x: Option<i64>| x.map_or(Value::Null, Value::Integer);
    let text = |x: Option<&str>| x.map_or(Value::Null, Value::text);
    for (id, (g, v, t, d)) in rows.iter().enumerate() {
        let id = id as i64 + 1;
        s.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", &[Value::Integer(id), int(*g), int(*v), text(*t), text(*d)])
            .unwrap();
        c.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rusqlite::params![id, g, v, t, d]).unwrap();
    }
    (s, c)
}

/// Numbers by value, reals to 9 significant digits.
fn show_real(r: f64) -> String {
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r:.9e}")
    }
}

fn amber_rows(s: &mut amberdb::Session, sql: &str) -> Result<Vec<String>, String> {
    agree::amber_rows(s, sql, show_real)
}

fn sqlite_rows(c: &rusqlite::Connection, sql: &str) -> Result<Vec<String>, String> {
    agree::sqlite_rows(c, sql, show_real)
}

fn cases() -> u32 {
    std::env::var("AMBER_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn modern_queries_agree_with_sqlite(data in rows(), queries in prop::collection::vec(query(), 10)) {
        let (mut amber, lite) = load(&data);
        for sql in &queries {
            let a = amber_rows(&mut amber, sql);
            let b = sqlite_rows(&lite, sql);
            match (&a, &b) {
                (Ok(x), Ok(y)) => prop_assert_eq!(x, y, "{}", sql),
                _ => prop_assert!(false, "{sql}\namberdb: {a:?}\nsqlite:  {b:?}"),
            }
        }
    }
}

/// The generator makes queries that return rows, so agreement is not vacuous.
#[test]
fn generated_queries_return_rows() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut rows = 0;
    for _ in 0..200 {
        let data = self::rows().new_tree(&mut runner).unwrap().current();
        let sql = query().new_tree(&mut runner).unwrap().current();
        let (_, lite) = load(&data);
        rows += sqlite_rows(&lite, &sql).unwrap_or_else(|e| panic!("{sql}: {e}")).len();
    }
    assert!(rows >= 400, "the queries returned only {rows} rows in all");
}

/// Columns declared with a collation: comparisons, sorting, grouping, DISTINCT,
/// min()/max() and UNIQUE under it, with and without an index on the column. Which of
/// the values equal under a collation a group or min() shows depends on the order rows
/// are read in, so those are compared trimmed and in lower case.
const COLLATED: &str = "CREATE TABLE c (id INTEGER PRIMARY KEY, n TEXT COLLATE NOCASE, r TEXT COLLATE RTRIM, \
                        b TEXT, u TEXT UNIQUE COLLATE NOCASE)";

fn collated_text() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![1 => Just(None), 6 => prop::sample::select(vec!["a", "A", "a ", "b", "B ", "ab", "Ab", "", " "]).prop_map(Some)]
}

fn collated_query() -> impl Strategy<Value = String> {
    let literal = prop::sample::select(vec!["'a'", "'A '", "'b'", "'AB'", "''"]);
    let column = prop::sample::select(vec!["n", "r", "b", "u"]);
    let op = prop::sample::select(vec!["=", "<>", "<", ">=", "IS"]);
    prop_oneof![
        (column.clone(), op, literal.clone()).prop_map(|(c, o, l)| format!("SELECT id FROM c WHERE {c} {o} {l}")),
        (column.clone(), literal.clone()).prop_map(|(c, l)| format!("SELECT id FROM c WHERE {l} = {c}")),
        (column.clone(), literal.clone(), literal)
            .prop_map(|(c, l, h)| format!("SELECT id FROM c WHERE {c} IN ({l}, {h}) OR {c} BETWEEN {l} AND {h}")),
        column.clone().prop_map(|c| format!("SELECT group_concat(id) FROM (SELECT id FROM c ORDER BY {c}, id)")),
        column.clone().prop_map(|c| format!("SELECT group_concat(id) FROM (SELECT id FROM c ORDER BY {c} DESC, id)")),
        column.clone().prop_map(|c| format!("SELECT trim(lower({c})), count(*), min(id) FROM c GROUP BY {c}")),
        column.clone().prop_map(|c| format!("SELECT count(*) FROM (SELECT DISTINCT {c} FROM c)")),
        column
            .clone()
            .prop_map(|c| format!("SELECT trim(lower(min({c}))), trim(lower(max({c}))), count(DISTINCT {c}) FROM c")),
        (column.clone(), column).prop_map(|(x, y)| format!("SELECT a.id, b.id FROM c a JOIN c b ON a.{x} = b.{y}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    #[test]
    fn collated_columns_agree_with_sqlite(
        data in prop::collection::vec((collated_text(), collated_text(), collated_text(), collated_text()), 0..10),
        index in any::<bool>(),
        queries in prop::collection::vec(collated_query(), 8),
    ) {
        let mut amber = Database::open_in_memory().session();
        let lite = rusqlite::Connection::open_in_memory().unwrap();
        let mut setup = vec![COLLATED.to_string()];
        if index {
            setup.push("CREATE INDEX c_n ON c (n)".to_string());
            setup.push("CREATE INDEX c_r ON c (r, b)".to_string());
        }
        let quote = |v: &Option<&str>| v.map_or("NULL".to_string(), |s| format!("'{s}'"));
        for (i, (n, r, b, u)) in data.iter().enumerate() {
            // A clash on `u` (under NOCASE) is ignored by both.
            setup.push(format!(
                "INSERT OR IGNORE INTO c VALUES ({}, {}, {}, {}, {})",
                i + 1,
                quote(n),
                quote(r),
                quote(b),
                quote(u)
            ));
        }
        for sql in &setup {
            amber.execute(sql, &[]).map_err(|e| TestCaseError::fail(format!("{sql}: {e}")))?;
            lite.execute(sql, []).unwrap();
        }
        for sql in queries.iter().map(String::as_str).chain(["SELECT * FROM c"]) {
            let a = amber_rows(&mut amber, sql);
            let b = sqlite_rows(&lite, sql);
            match (&a, &b) {
                (Ok(x), Ok(y)) => prop_assert_eq!(x, y, "{}", sql),
                _ => prop_assert!(false, "{sql}\namberdb: {a:?}\nsqlite:  {b:?}"),
            }
        }
    }
}
