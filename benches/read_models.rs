//! Read models: what keeping an incremental GROUP BY view adds to a single-row insert
//! (target: at most 30%), against the same insert without the view and against SQLite
//! keeping the same aggregate table by a trigger (an upsert per insert), in the same
//! run; and reading the kept aggregate against computing it. Then archival: an archive
//! file's size against the same rows in memory (target: at most 25%), and scanning it
//! against scanning the rows in memory (target: at most 2×).
//!
//! `cargo bench --bench read_models` (add `-- --quick` for a smaller run). Prints
//! `measure | amberdb | sqlite | ratio` (AmberDB time / SQLite time).

use std::time::{Duration, Instant};

use amberdb::{Database, Value};
use rusqlite::Connection;

#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

/// The median time per call of `f` over `runs` calls.
fn time(runs: usize, mut f: impl FnMut(usize)) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    samples.sort();
    samples[runs / 2]
}

const PLAYERS: usize = 1_000;

fn amber(rows: usize, view: bool) -> Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE scores (id INTEGER PRIMARY KEY, player INTEGER, points INTEGER)", &[]).unwrap();
    let insert = s.prepare("INSERT INTO scores VALUES (?, ?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    for i in 0..rows {
        let params = [Value::Integer(i as i64), Value::Integer((i % PLAYERS) as i64), Value::Integer((i % 97) as i64)];
        s.execute_prepared(&insert, &params).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
    if view {
        s.execute(
            "CREATE MATERIALIZED VIEW board WITH (incremental) AS \
             SELECT player, count(*) AS games, sum(points) AS total, max(points) AS best FROM scores GROUP BY player",
            &[],
        )
        .unwrap();
    }
    db
}

fn sqlite(rows: usize, view: bool) -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch("CREATE TABLE scores (id INTEGER PRIMARY KEY, player INTEGER, points INTEGER);").unwrap();
    let tx = c.unchecked_transaction().unwrap();
    {
        let mut insert = c.prepare("INSERT INTO scores VALUES (?, ?, ?)").unwrap();
        for i in 0..rows {
            insert.execute(rusqlite::params![i as i64, (i % PLAYERS) as i64, (i % 97) as i64]).unwrap();
        }
    }
    tx.commit().unwrap();
    if view {
        c.execute_batch(
            "CREATE TABLE board (player INTEGER PRIMARY KEY, games INTEGER, total INTEGER, best INTEGER);
             INSERT INTO board SELECT player, count(*), sum(points), max(points) FROM scores GROUP BY player;
             CREATE TRIGGER keep AFTER INSERT ON scores BEGIN
               INSERT INTO board VALUES (new.player, 1, new.points, new.points)
               ON CONFLICT (player) DO UPDATE SET games = games + 1, total = total + excluded.total,
                 best = max(best, excluded.best);
             END;",
        )
        .unwrap();
    }
    c
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rows = if quick { 100_000 } else { 1_000_000 };
    let runs = 20_001;
    println!("{:<58} | {:>10} | {:>10} | {:>6}", "measure", "amberdb", "sqlite", "ratio");
    let line = |what: &str, a: Duration, s: Duration| {
        let ratio = a.as_secs_f64() / s.as_secs_f64();
        println!("{what:<58} | {:>10.2?} | {:>10.2?} | {ratio:>6.2}", a, s);
    };
    let mut inserts = Vec::new();
    for view in [false, true] {
        let db = amber(rows, view);
        let mut s = db.session();
        let insert = s.prepare("INSERT INTO scores VALUES (?, ?, ?)").unwrap();
        let a = time(runs, |i| {
            let id = (rows + i) as i64;
            let params = [Value::Integer(id), Value::Integer(id % PLAYERS as i64), Value::Integer(id % 89)];
            s.execute_prepared(&insert, &params).unwrap();
        });
        let c = sqlite(rows, view);
        let mut ins = c.prepare("INSERT INTO scores VALUES (?, ?, ?)").unwrap();
        let q = time(runs, |i| {
            let id = (rows + i) as i64;
            ins.execute(rusqlite::params![id, id % PLAYERS as i64, id % 89]).unwrap();
        });
        let what = if view { "insert one row, GROUP BY view kept" } else { "insert one row, no view" };
        line(&format!("{what} ({rows} rows)"), a, q);
        inserts.push(a);
        if view {
            let mut s = db.session();
            let a = time(201, |i| {
                s.query("SELECT total FROM board WHERE player = ?", &[Value::Integer((i % PLAYERS) as i64)]).unwrap();
            });
            let mut get = c.prepare("SELECT total FROM board WHERE player = ?").unwrap();
            let q = time(201, |i| {
                get.query_row([(i % PLAYERS) as i64], |r| r.get::<_, i64>(0)).unwrap();
            });
            line("read one player's total from the kept view", a, q);
            let a = time(21, |i| {
                s.query("SELECT sum(points) FROM scores WHERE player = ?", &[Value::Integer((i % PLAYERS) as i64)])
                    .unwrap();
            });
            let mut get = c.prepare("SELECT sum(points) FROM scores WHERE player = ?").unwrap();
            let q = time(21, |i| {
                get.query_row([(i % PLAYERS) as i64], |r| r.get::<_, i64>(0)).unwrap();
            });
            line("the same total computed from the table (no index)", a, q);
        }
    }
    let added = inserts[1].as_secs_f64() / inserts[0].as_secs_f64() - 1.0;
    println!("keeping the view adds {:.0}% to a single-row insert (target: at most 30%)", added * 100.0);
    archival(rows);
}

/// An orders table archived whole: the file's size against the rows' bytes in memory,
/// and a scan of each.
fn archival(rows: usize) {
    let dir = std::env::temp_dir().join(format!("amberdb-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("orders.amber");
    let _ = std::fs::remove_file(&file);
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, status TEXT, total REAL, created_at TIMESTAMP)",
        &[],
    )
    .unwrap();
    let insert = s.prepare("INSERT INTO orders VALUES (?, ?, ?, ?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    let statuses = ["placed", "paid", "shipped", "delivered", "returned"];
    for i in 0..rows {
        let params = [
            Value::Integer(i as i64),
            Value::text(&format!("customer{:05}", (i * 7919) % 20_000)),
            Value::text(statuses[i % statuses.len()]),
            Value::Real(((i * 37) % 100_000) as f64 / 100.0),
            Value::Timestamp(1_735_689_600_000_000 + (i as i64) * 31_000_000),
        ];
        s.execute_prepared(&insert, &params).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
    let bytes =
        match &s.query("SELECT bytes FROM amber_memory() WHERE kind = 'table' AND name = 'orders'", &[]).unwrap().rows
            [0][0]
        {
            Value::Integer(n) => *n as f64,
            other => panic!("{other:?}"),
        };
    let scan = "SELECT count(*), sum(total), max(customer) FROM ";
    let in_memory = time(11, |_| {
        s.query(&format!("{scan}orders"), &[]).unwrap();
    });
    s.execute(&format!("ARCHIVE FROM orders TO '{}'", file.display()), &[]).unwrap();
    let size = std::fs::metadata(&file).unwrap().len() as f64;
    let archived = time(11, |_| {
        s.query(&format!("{scan}archive('{}')", file.display()), &[]).unwrap();
    });
    println!(
        "archive of {rows} orders: {:.1} MB in memory, {:.1} MB on disk ({:.0}%; target at most 25%)",
        bytes / 1e6,
        size / 1e6,
        size / bytes * 100.0
    );
    let ratio = archived.as_secs_f64() / in_memory.as_secs_f64();
    println!("scan in memory {in_memory:.2?}, scan of the archive {archived:.2?} ({ratio:.2}x; target at most 2x)");
    let _ = std::fs::remove_dir_all(&dir);
}
