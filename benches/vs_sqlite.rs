//! AmberDB (library API) against bundled SQLite in memory (rusqlite), in the same run,
//! on the same data and queries. `cargo bench --bench vs_sqlite` runs 100,000 and
//! 1,000,000 rows; `-- --quick` runs 100,000 rows with fewer repetitions (a smoke test,
//! under a minute). Prints `workload | amberdb | sqlite | ratio` (AmberDB time / SQLite
//! time, lower is better) and writes the same figures to `target/bench/vs_sqlite.json`.
//!
//! The row: an integer key, two integers, a short text and a real. Memory per row is
//! what AmberDB's allocations grew by (a counting allocator) against SQLite's
//! `page_count * page_size`, each divided by the rows.

use std::time::{Duration, Instant};

use amberdb::alloc::Allocator;
use amberdb::{Database, Session, Value};
use cap::Cap;
use rusqlite::{params, Connection};

/// The allocator the `amberdb` binary uses (mimalloc), counting the bytes in use.
#[global_allocator]
static GLOBAL: Cap<Allocator> = Cap::new(Allocator, usize::MAX);

const CREATE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, name TEXT, score REAL)";

struct Figure {
    workload: String,
    rows: usize,
    amber: f64,
    sqlite: f64,
    unit: &'static str,
}

struct Bench {
    figures: Vec<Figure>,
    rows: usize,
}

impl Bench {
    fn report(&mut self, workload: &str, amber: Duration, sqlite: Duration) {
        self.add(workload, amber.as_secs_f64() * 1e6, sqlite.as_secs_f64() * 1e6, "µs");
    }

    fn add(&mut self, workload: &str, amber: f64, sqlite: f64, unit: &'static str) {
        let ratio = amber / sqlite;
        println!("{:<46} {:>9} | {:>12.2} {unit} | {:>12.2} {unit} | {ratio:>6.2}", workload, self.rows, amber, sqlite);
        self.figures.push(Figure { workload: workload.to_string(), rows: self.rows, amber, sqlite, unit });
    }
}

/// The time per call of `f`, over `n` calls.
/// Runs `f` `n` times and returns the time per call, after a quarter as many calls
/// untimed, so that both engines start warm.
fn per_call(n: usize, mut f: impl FnMut(usize)) -> Duration {
    for i in 0..n / 4 {
        f(i);
    }
    timed(n, f)
}

/// Runs `f` `n` times (with `0..n`) and returns the time per call.
fn timed(n: usize, mut f: impl FnMut(usize)) -> Duration {
    let t0 = Instant::now();
    for i in 0..n {
        f(i);
    }
    t0.elapsed() / n.max(1) as u32
}

fn once(f: impl FnOnce()) -> Duration {
    let t0 = Instant::now();
    f();
    t0.elapsed()
}

fn name(i: usize) -> String {
    format!("user{:x}", i.wrapping_mul(2_654_435_761) % 1_000_003)
}

fn amber_row(i: usize) -> [Value; 5] {
    [
        Value::Integer(i as i64),
        Value::Integer((i * 7 % 1000) as i64),
        Value::Integer((i % 100) as i64),
        Value::text(&name(i)),
        Value::Real(i as f64 * 0.37 % 1000.0),
    ]
}

fn values_sql(from: usize, to: usize) -> String {
    let rows: Vec<String> = (from..to)
        .map(|i| format!("({i}, {}, {}, '{}', {})", i * 7 % 1000, i % 100, name(i), i as f64 * 0.37 % 1000.0))
        .collect();
    format!("INSERT INTO t VALUES {}", rows.join(", "))
}

fn sqlite_load(c: &Connection, n: usize) {
    c.execute(CREATE, []).unwrap();
    c.execute("BEGIN", []).unwrap();
    {
        let mut ins = c.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)").unwrap();
        for i in 0..n {
            ins.execute(params![i as i64, (i * 7 % 1000) as i64, (i % 100) as i64, name(i), i as f64 * 0.37 % 1000.0])
                .unwrap();
        }
    }
    c.execute("COMMIT", []).unwrap();
}

fn amber_load(s: &mut Session, n: usize) {
    s.execute(CREATE, &[]).unwrap();
    s.execute("BEGIN", &[]).unwrap();
    let ins = s.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)").unwrap();
    for i in 0..n {
        s.execute_prepared(&ins, &amber_row(i)).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
}

fn sqlite_count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn amber_count(s: &mut Session, sql: &str) -> i64 {
    s.query(sql, &[]).unwrap().get(0, "n").unwrap()
}

fn run(b: &mut Bench, n: usize, quick: bool) {
    let reps = if quick { 2_000 } else { 20_000 };
    let scans = if quick { 3 } else { 10 };

    // Loads, and memory per row.
    let in_use = GLOBAL.allocated();
    let db = Database::open_in_memory();
    db.set_history_limit(1);
    let mut s = db.session();
    let amber = once(|| amber_load(&mut s, n));
    let amber_bytes = GLOBAL.allocated() as f64 - in_use as f64;
    // Only the head counted toward memory; AS OF below needs the usual history.
    db.set_history_limit(1000);
    let c = Connection::open_in_memory().unwrap();
    let lite = once(|| sqlite_load(&c, n));
    b.report("bulk load, prepared insert (one transaction)", amber, lite);
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    let page_size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    b.add("memory per row", amber_bytes / n as f64, (pages * page_size) as f64 / n as f64, "B");

    let text_db = Database::open_in_memory();
    let mut ts = text_db.session();
    ts.execute(CREATE, &[]).unwrap();
    let text_lite = Connection::open_in_memory().unwrap();
    text_lite.execute(CREATE, []).unwrap();
    let batches: Vec<String> = (0..n).step_by(1000).map(|f| values_sql(f, (f + 1000).min(n))).collect();
    let amber = once(|| {
        for sql in &batches {
            ts.execute(sql, &[]).unwrap();
        }
    });
    let lite = once(|| {
        for sql in &batches {
            text_lite.execute(sql, []).unwrap();
        }
    });
    b.report("bulk load, SQL text (1,000-row INSERTs)", amber, lite);
    drop((ts, text_db, text_lite));

    s.execute("CREATE INDEX t_a ON t (a)", &[]).unwrap();
    c.execute("CREATE INDEX t_a ON t (a)", []).unwrap();

    // Point lookups.
    let key = |i: usize| (i * 7919 % n) as i64;
    let q = s.prepare("SELECT * FROM t WHERE id = ?").unwrap();
    let amber = per_call(reps, |i| assert_eq!(s.query_prepared(&q, &[Value::Integer(key(i))]).unwrap().rows.len(), 1));
    let mut stmt = c.prepare("SELECT * FROM t WHERE id = ?").unwrap();
    let lite = per_call(reps, |i| {
        let mut rows = stmt.query([key(i)]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let _: (i64, i64, i64, String, f64) =
                (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap(), r.get(3).unwrap(), r.get(4).unwrap());
        }
    });
    drop(stmt);
    b.report("point lookup by primary key, prepared", amber, lite);
    let amber = per_call(reps, |i| {
        s.query(&format!("SELECT * FROM t WHERE id = {}", key(i)), &[]).unwrap();
    });
    let lite = per_call(reps, |i| {
        let mut stmt = c.prepare(&format!("SELECT * FROM t WHERE id = {}", key(i))).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while rows.next().unwrap().is_some() {}
    });
    b.report("point lookup by primary key, SQL text", amber, lite);

    // Scans and aggregates: the same SQL on both.
    let read = |b: &mut Bench, label: &str, sql: &str, s: &mut Session, c: &Connection| {
        let amber = per_call(scans, |_| {
            s.query(sql, &[]).unwrap();
        });
        let lite = per_call(scans, |_| {
            let mut stmt = c.prepare_cached(sql).unwrap();
            let cols = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                for i in 0..cols {
                    let _ = r.get_ref(i).unwrap();
                }
            }
        });
        b.report(label, amber, lite);
    };
    read(b, "full scan with a filter", "SELECT id, name FROM t WHERE score > 990.0", &mut s, &c);
    let lo = 500;
    let sql = format!("SELECT * FROM t WHERE a BETWEEN {lo} AND {}", lo + 9);
    read(b, "indexed range selecting 1%", &sql, &mut s, &c);
    read(
        b,
        "GROUP BY into 100 groups (count, sum, avg)",
        "SELECT b, count(*), sum(a), avg(score) FROM t GROUP BY b",
        &mut s,
        &c,
    );
    read(b, "ORDER BY non-indexed column LIMIT 10", "SELECT * FROM t ORDER BY score DESC LIMIT 10", &mut s, &c);
    read(b, "LIKE '%abc%' count", "SELECT count(*) FROM t WHERE name LIKE '%abc%'", &mut s, &c);

    // A three-table join: rows → users → teams.
    let users = n / 10;
    s.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, team INTEGER)", &[]).unwrap();
    s.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, label TEXT)", &[]).unwrap();
    c.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, team INTEGER)", []).unwrap();
    c.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, label TEXT)", []).unwrap();
    for f in (0..users).step_by(1000) {
        let rows: Vec<String> = (f..(f + 1000).min(users)).map(|i| format!("({i}, {})", i % 100)).collect();
        let sql = format!("INSERT INTO u VALUES {}", rows.join(", "));
        s.execute(&sql, &[]).unwrap();
        c.execute(&sql, []).unwrap();
    }
    let teams: Vec<String> = (0..100).map(|i| format!("({i}, 'team {i}')")).collect();
    let sql = format!("INSERT INTO v VALUES {}", teams.join(", "));
    s.execute(&sql, &[]).unwrap();
    c.execute(&sql, []).unwrap();
    let join =
        "SELECT v.label, count(*) FROM t JOIN u ON u.id = t.a JOIN v ON v.id = u.team WHERE t.b < 10 GROUP BY v.label";
    read(b, "three-table join with GROUP BY", join, &mut s, &c);

    // Snapshots: AmberDB's are O(1); SQLite's nearest equivalent is a copy of the table.
    // Each call makes a new snapshot (or copy): nothing to warm up.
    let amber = timed(scans, |i| {
        s.execute(&format!("CREATE SNAPSHOT snap{i}"), &[]).unwrap();
    });
    let lite = timed(scans, |i| {
        c.execute(&format!("CREATE TABLE snap{i} AS SELECT * FROM t"), []).unwrap();
    });
    b.report("snapshot creation (SQLite: copy the table)", amber, lite);
    let v = db.version();
    s.execute("UPDATE t SET a = a + 1 WHERE id < 100", &[]).unwrap();
    c.execute("UPDATE t SET a = a + 1 WHERE id < 100", []).unwrap();
    let amber = per_call(scans, |_| {
        assert_eq!(
            amber_count(&mut s, &format!("SELECT count(*) AS n FROM t AS OF VERSION {v} WHERE a < 500")),
            (n / 2) as i64
        );
    });
    let lite = per_call(scans, |_| {
        sqlite_count(&c, "SELECT count(*) FROM snap0 WHERE a < 500");
    });
    b.report("AS OF read (SQLite: read the copy)", amber, lite);
    for i in 0..scans {
        s.execute(&format!("DROP SNAPSHOT snap{i}"), &[]).unwrap();
    }

    // Writes of 10% of the rows, each a fresh copy of the table so both do the same work.
    let amber = once(|| {
        s.execute("UPDATE t SET a = a + 1 WHERE b = 7 OR b BETWEEN 20 AND 28", &[]).unwrap();
    });
    let lite = once(|| {
        c.execute("UPDATE t SET a = a + 1 WHERE b = 7 OR b BETWEEN 20 AND 28", []).unwrap();
    });
    b.report("UPDATE of 10% of the rows", amber, lite);
    let amber = once(|| {
        s.execute("DELETE FROM t WHERE b >= 90", &[]).unwrap();
    });
    let lite = once(|| {
        c.execute("DELETE FROM t WHERE b >= 90", []).unwrap();
    });
    b.report("DELETE of 10% of the rows", amber, lite);
    assert_eq!(amber_count(&mut s, "SELECT count(*) AS n FROM t"), sqlite_count(&c, "SELECT count(*) FROM t"));
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[usize] = if quick { &[100_000] } else { &[100_000, 1_000_000] };
    println!("{:<46} {:>9} | {:>15} | {:>15} | {:>6}", "workload", "rows", "amberdb", "sqlite", "ratio");
    let mut bench = Bench { figures: Vec::new(), rows: 0 };
    for &n in sizes {
        bench.rows = n;
        run(&mut bench, n, quick);
    }
    let json: Vec<serde_json::Value> = bench
        .figures
        .iter()
        .map(|f| {
            serde_json::json!({
                "workload": f.workload, "rows": f.rows, "unit": f.unit,
                "amberdb": f.amber, "sqlite": f.sqlite, "ratio": f.amber / f.sqlite,
            })
        })
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let written = std::fs::create_dir_all(&dir).and_then(|_| {
        std::fs::write(dir.join("vs_sqlite.json"), serde_json::to_string_pretty(&json).unwrap_or_default())
    });
    match written {
        Ok(()) => println!("figures written to {}", dir.join("vs_sqlite.json").display()),
        Err(e) => eprintln!("cannot write target/bench/vs_sqlite.json: {e}"),
    }
}
