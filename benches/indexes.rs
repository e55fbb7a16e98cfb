//! Index workloads against SQLite in memory, in the same run, as ratios (AmberDB time /
//! SQLite time; lower is better). `cargo bench --bench indexes` (add `-- --quick` for a
//! smaller run). Both engines get the same table, the same indexes and the same queries;
//! AmberDB runs through prepared statements of its library API, SQLite through rusqlite's
//! cached statements.

use std::hint::black_box;
use std::time::{Duration, Instant};

use amberdb::{Database, Value};
use rusqlite::{params, Connection};

/// The allocator the `amberdb` binary uses.
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

struct Engines {
    amber: amberdb::Session,
    lite: Connection,
    rows: i64,
}

fn setup(rows: i64) -> Engines {
    let db = Database::open_in_memory();
    let mut amber = db.session();
    let lite = Connection::open_in_memory().unwrap();
    let create = "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, name TEXT, score REAL)";
    amber.execute(create, &[]).unwrap();
    lite.execute(create, []).unwrap();
    let insert = amber.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)").unwrap();
    amber.execute("BEGIN", &[]).unwrap();
    lite.execute("BEGIN", []).unwrap();
    {
        let mut stmt = lite.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)").unwrap();
        for i in 0..rows {
            let (a, b, name, score) = ((i * 7919) % rows, i % 100, format!("name{i}"), (i % 1000) as f64 / 10.0);
            amber
                .execute_prepared(
                    &insert,
                    &[Value::Integer(i), Value::Integer(a), Value::Integer(b), Value::text(&name), Value::Real(score)],
                )
                .unwrap();
            stmt.execute(params![i, a, b, name, score]).unwrap();
        }
    }
    amber.execute("COMMIT", &[]).unwrap();
    lite.execute("COMMIT", []).unwrap();
    Engines { amber, lite, rows }
}

/// Runs `f` `n` times and returns the time per call, after a quarter as many calls
/// untimed: both engines start warm, and what an earlier workload left behind (caches
/// to refill, memory the allocator hands back to the system a few milliseconds after
/// a large free) is not charged to this one.
fn per_call(n: u32, mut f: impl FnMut(u32)) -> Duration {
    for i in 0..n / 4 {
        f(i);
    }
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    start.elapsed() / n
}

fn report(name: &str, amber: Duration, lite: Duration) {
    let ratio = amber.as_secs_f64() / lite.as_secs_f64();
    println!("{name:<46} {:>12?} {:>12?} {ratio:>8.2}", amber, lite);
}

/// Set in the process that runs one size.
const ONE_SIZE: &str = "AMBERDB_BENCH_ROWS";

fn main() {
    if let Some(rows) = std::env::var(ONE_SIZE).ok().and_then(|v| v.parse().ok()) {
        run(rows);
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[i64] = if quick { &[10_000, 100_000] } else { &[10_000, 1_000_000] };
    println!("{:<46} {:>12} {:>12} {:>8}", "workload", "amberdb", "sqlite", "ratio");
    // Each size runs in a process of its own: memory the smaller one freed would
    // otherwise be handed out again to the larger one's tree nodes and rows, scattered
    // where a fresh process lays them side by side, and the point lookups at 1M rows
    // are bound by how far apart those are (they read up to a quarter slower after the
    // 10k round in one process, depending on what that round left behind).
    let me = std::env::current_exe().expect("the bench knows its own path");
    for &rows in sizes {
        let status = std::process::Command::new(&me)
            .args(std::env::args().skip(1))
            .env(ONE_SIZE, rows.to_string())
            .status()
            .expect("the bench runs itself for one size");
        assert!(status.success(), "the {rows}-row run failed");
    }
}

fn run(rows: i64) {
    let mut e = setup(rows);
    let t0 = Instant::now();
    e.amber.execute("CREATE INDEX t_a ON t (a)", &[]).unwrap();
    let amber = t0.elapsed();
    let t0 = Instant::now();
    e.lite.execute("CREATE INDEX t_a ON t (a)", []).unwrap();
    report(&format!("CREATE INDEX, {rows} rows"), amber, t0.elapsed());
    e.amber.execute("CREATE INDEX t_score ON t (score)", &[]).unwrap();
    e.lite.execute("CREATE INDEX t_score ON t (score)", []).unwrap();

    let n = 20_000;
    let q = e.amber.prepare("SELECT name FROM t WHERE id = ?").unwrap();
    let amber = per_call(n, |i| {
        black_box(e.amber.query_prepared(&q, &[Value::Integer((i as i64 * 31) % e.rows)]).unwrap());
    });
    let mut stmt = e.lite.prepare_cached("SELECT name FROM t WHERE id = ?").unwrap();
    let lite = per_call(n, |i| {
        let v: String = stmt.query_row([(i as i64 * 31) % e.rows], |r| r.get(0)).unwrap();
        black_box(v);
    });
    drop(stmt);
    report(&format!("point lookup by primary key, {rows} rows"), amber, lite);

    let q = e.amber.prepare("SELECT id FROM t WHERE a = ?").unwrap();
    let amber = per_call(n, |i| {
        black_box(e.amber.query_prepared(&q, &[Value::Integer((i as i64 * 17) % e.rows)]).unwrap());
    });
    let mut stmt = e.lite.prepare_cached("SELECT id FROM t WHERE a = ?").unwrap();
    let lite = per_call(n, |i| {
        let ids: Vec<i64> =
            stmt.query_map([(i as i64 * 17) % e.rows], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
        black_box(ids);
    });
    drop(stmt);
    report(&format!("point lookup by secondary index, {rows} rows"), amber, lite);

    let span = rows / 100;
    let q = e.amber.prepare("SELECT id, score FROM t WHERE a >= ? AND a < ?").unwrap();
    let runs = 50;
    let amber = per_call(runs, |i| {
        let lo = (i as i64 * 997) % (rows - span);
        black_box(e.amber.query_prepared(&q, &[Value::Integer(lo), Value::Integer(lo + span)]).unwrap());
    });
    let mut stmt = e.lite.prepare_cached("SELECT id, score FROM t WHERE a >= ? AND a < ?").unwrap();
    let lite = per_call(runs, |i| {
        let lo = (i as i64 * 997) % (rows - span);
        let got: Vec<(i64, f64)> =
            stmt.query_map([lo, lo + span], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect();
        black_box(got);
    });
    drop(stmt);
    report(&format!("indexed range selecting 1%, {rows} rows"), amber, lite);

    let q = e.amber.prepare("SELECT id, score FROM t ORDER BY score DESC LIMIT 10").unwrap();
    let amber = per_call(n, |_| {
        black_box(e.amber.query_prepared(&q, &[]).unwrap());
    });
    let mut stmt = e.lite.prepare_cached("SELECT id, score FROM t ORDER BY score DESC LIMIT 10").unwrap();
    let lite = per_call(n, |_| {
        let got: Vec<(i64, f64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect();
        black_box(got);
    });
    drop(stmt);
    report(&format!("ORDER BY indexed DESC LIMIT 10, {rows} rows"), amber, lite);

    expression_indexes(&mut e, n);
}

/// Indexes on an expression and partial indexes: building one, lookups through it,
/// and the cost it adds to inserts.
fn expression_indexes(e: &mut Engines, n: u32) {
    let rows = e.rows;
    let create = "CREATE INDEX t_lname ON t (lower(name))";
    let t0 = Instant::now();
    e.amber.execute(create, &[]).unwrap();
    let amber = t0.elapsed();
    let t0 = Instant::now();
    e.lite.execute(create, []).unwrap();
    report(&format!("CREATE INDEX on lower(name), {rows} rows"), amber, t0.elapsed());

    let sql = "SELECT id FROM t WHERE lower(name) = ?";
    let q = e.amber.prepare(sql).unwrap();
    let name = |i: u32| format!("name{}", (i as i64 * 31) % rows);
    let amber = per_call(n, |i| {
        let got = e.amber.query_prepared(&q, &[Value::text(&name(i))]).unwrap();
        assert_eq!(got.rows.len(), 1);
        black_box(got);
    });
    let mut stmt = e.lite.prepare_cached(sql).unwrap();
    let lite = per_call(n, |i| {
        let id: i64 = stmt.query_row([name(i)], |r| r.get(0)).unwrap();
        black_box(id);
    });
    drop(stmt);
    report(&format!("lookup by lower(name) index, {rows} rows"), amber, lite);

    let partial = "CREATE INDEX t_a_b0 ON t (a) WHERE b = 0";
    e.amber.execute(partial, &[]).unwrap();
    e.lite.execute(partial, []).unwrap();
    e.amber.execute("DROP INDEX t_a", &[]).unwrap();
    e.lite.execute("DROP INDEX t_a", []).unwrap();
    let sql = "SELECT id FROM t WHERE a = ? AND b = 0";
    let q = e.amber.prepare(sql).unwrap();
    let amber = per_call(n, |i| {
        black_box(e.amber.query_prepared(&q, &[Value::Integer((i as i64 * 17) % rows)]).unwrap());
    });
    let mut stmt = e.lite.prepare_cached(sql).unwrap();
    let lite = per_call(n, |i| {
        let ids: Vec<i64> =
            stmt.query_map([(i as i64 * 17) % rows], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
        black_box(ids);
    });
    drop(stmt);
    report(&format!("lookup through a partial index (1%), {rows} rows"), amber, lite);

    // Inserts into a table whose index is on an expression.
    let ddl = "CREATE TABLE w (id INTEGER PRIMARY KEY, email TEXT)";
    e.amber.execute(ddl, &[]).unwrap();
    e.lite.execute(ddl, []).unwrap();
    let index = "CREATE UNIQUE INDEX w_email ON w (lower(email))";
    e.amber.execute(index, &[]).unwrap();
    e.lite.execute(index, []).unwrap();
    let inserts = 50_000u32;
    let email = |i: u32| format!("User{}@Example.com", i as u64 * 7919 % 1_000_003);
    let ins = e.amber.prepare("INSERT INTO w (email) VALUES (?)").unwrap();
    e.amber.execute("BEGIN", &[]).unwrap();
    let t0 = Instant::now();
    for i in 0..inserts {
        e.amber.execute_prepared(&ins, &[Value::text(&email(i))]).unwrap();
    }
    let amber = t0.elapsed() / inserts;
    e.amber.execute("COMMIT", &[]).unwrap();
    e.lite.execute("BEGIN", []).unwrap();
    let mut stmt = e.lite.prepare_cached("INSERT INTO w (email) VALUES (?)").unwrap();
    let t0 = Instant::now();
    for i in 0..inserts {
        stmt.execute([email(i)]).unwrap();
    }
    let lite = t0.elapsed() / inserts;
    drop(stmt);
    e.lite.execute("COMMIT", []).unwrap();
    report("insert with a unique lower(email) index, 50k rows", amber, lite);
}
