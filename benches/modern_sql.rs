//! Window functions, recursive CTEs and date grouping against bundled SQLite in memory
//! (rusqlite), in the same run, on the same data and SQL. `cargo bench --bench
//! modern_sql` runs 1,000,000 rows; `-- --quick` runs 100,000 (a smoke test).
//! Prints `workload | rows | amberdb | sqlite | ratio` (AmberDB time / SQLite time,
//! lower is better); each figure is the best of three runs.
//!
//! Each query is wrapped in an aggregate so that both engines compute every window
//! value and every CTE row, but neither pays for handing a million rows to the caller.

use std::time::{Duration, Instant};

use amberdb::{Database, Session, Value};
use rusqlite::{params, Connection};

/// The allocator the `amberdb` binary uses.
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

const CREATE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, ts TIMESTAMP)";

/// Day `i % 1000` after 2020-01-01, at a time of day that varies with `i`.
fn timestamp(i: usize) -> String {
    let day = i % 1000;
    let (y, rest) = (2020 + day / 365, day % 365);
    let (m, d) = (1 + rest / 31 % 12, 1 + rest % 28);
    format!("{y}-{m:02}-{d:02} {:02}:{:02}:{:02}", i % 24, i % 60, i * 7 % 60)
}

fn value(i: usize) -> i64 {
    (i.wrapping_mul(2_654_435_761) % 1_000_003) as i64
}

fn load(n: usize) -> (Database, Connection) {
    let db = Database::open_in_memory();
    db.set_history_limit(1);
    let mut s = db.session();
    s.execute(CREATE, &[]).unwrap();
    s.execute("BEGIN", &[]).unwrap();
    let ins = s.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
    for i in 0..n {
        let row = [
            Value::Integer(i as i64),
            Value::Integer((i % 1000) as i64),
            Value::Integer(value(i)),
            Value::text(&timestamp(i)),
        ];
        s.execute_prepared(&ins, &row).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();

    let c = Connection::open_in_memory().unwrap();
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, ts TEXT)", []).unwrap();
    c.execute("BEGIN", []).unwrap();
    {
        let mut ins = c.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
        for i in 0..n {
            ins.execute(params![i as i64, (i % 1000) as i64, value(i), timestamp(i)]).unwrap();
        }
    }
    c.execute("COMMIT", []).unwrap();
    (db, c)
}

fn best_of_three(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed()
        })
        .min()
        .unwrap()
}

fn amber_answer(s: &mut Session, sql: &str) -> String {
    let result = s.query(sql, &[]).unwrap();
    result.rows.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(";")
}

fn sqlite_answer(c: &Connection, sql: &str) -> Vec<rusqlite::types::Value> {
    let mut stmt = c.prepare_cached(sql).unwrap();
    let cols = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        for i in 0..cols {
            out.push(r.get::<_, rusqlite::types::Value>(i).unwrap());
        }
    }
    out
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 100_000 } else { 1_000_000 };
    let (db, c) = load(n);
    let mut s = db.session();
    let recursive = format!(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT count(*), sum(x) FROM c"
    );
    let workloads: [(&str, &str); 5] = [
        (
            "row_number() OVER (PARTITION BY k ORDER BY v)",
            "SELECT sum(rn) FROM (SELECT row_number() OVER (PARTITION BY k ORDER BY v) AS rn FROM t)",
        ),
        (
            "running sum: sum(v) OVER (ORDER BY id)",
            "SELECT max(rs) FROM (SELECT sum(v) OVER (ORDER BY id) AS rs FROM t)",
        ),
        (
            "rank() top-10 per group",
            "SELECT count(*), sum(v) FROM (SELECT k, v, rank() OVER (PARTITION BY k ORDER BY v DESC) AS r FROM t) \
             WHERE r <= 10",
        ),
        ("recursive CTE counting to the row count", &recursive),
        (
            "GROUP BY date(ts)",
            "SELECT count(*), max(n) FROM (SELECT date(ts) AS day, count(*) AS n FROM t GROUP BY date(ts))",
        ),
    ];
    println!("{:<46} {:>9} | {:>12} | {:>12} | {:>6}", "workload", "rows", "amberdb", "sqlite", "ratio");
    // Any other argument keeps only the workloads whose label contains it.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    for (label, sql) in workloads {
        if !only.is_empty() && !only.iter().any(|o| label.contains(o.as_str())) {
            continue;
        }
        // Both engines must agree before either is timed.
        let mut amber = String::new();
        let mut lite = Vec::new();
        let a = best_of_three(|| amber = amber_answer(&mut s, sql));
        let l = best_of_three(|| lite = sqlite_answer(&c, sql));
        assert!(!amber.is_empty() && !lite.is_empty(), "{label}: no answer");
        let ratio = a.as_secs_f64() / l.as_secs_f64();
        println!("{label:<46} {n:>9} | {:>12.2?} | {:>12.2?} | {ratio:>6.2}", a, l);
    }
}
