//! What persistent maps buy: snapshot creation that does not grow with the data, diffs
//! that cost the size of the change, and `AS OF` reads as fast as reads of the head.
//!
//! `cargo bench --bench time_travel` (add `-- --quick` for a smaller run).

use std::time::{Duration, Instant};

use amberdb::storage::diff::diff;
use amberdb::storage::{AsOf, History};
use amberdb::{Database, Value};

/// The allocator the `amberdb` binary uses.
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

fn load(rows: usize) -> Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL)", &[]).unwrap();
    let insert = s.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    for i in 0..rows as i64 {
        let params = [Value::Integer(i), Value::Integer(i % 97), Value::text("some text"), Value::Real(i as f64 / 3.0)];
        s.execute_prepared(&insert, &params).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
    db
}

/// The median time of `runs` calls of `f`.
fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    samples[runs / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let big = if quick { 100_000 } else { 1_000_000 };
    println!("{:<44} {:>14}", "measure", "median");
    for rows in [1_000, big] {
        let db = load(rows);
        let mut n = 0;
        let create = time(1001, || {
            let mut s = db.session();
            s.execute(&format!("CREATE SNAPSHOT s{n}"), &[]).unwrap();
            n += 1;
        });
        println!("{:<44} {:>14?}", format!("CREATE SNAPSHOT, {rows} rows (SQL)"), create);
        let pin = time(10_001, || {
            std::hint::black_box(db.state());
        });
        println!("{:<44} {:>14?}", format!("pin the state, {rows} rows"), pin);
    }

    let db = load(big);
    let mut s = db.session();
    let before = db.version();
    for i in 0..10 {
        s.execute("UPDATE t SET a = -1 WHERE id = ?", &[Value::Integer(i * 1000)]).unwrap();
    }
    let (old, new) = (db.state_at(&AsOf::Version(before)).unwrap(), db.state());
    let d = time(101, || assert_eq!(diff(&old, &new).len(), 10));
    println!("{:<44} {:>14?}", format!("diff of 10 changed rows, {big} rows"), d);

    let head = time(11, || {
        s.query("SELECT count(*) FROM t WHERE a = 5", &[]).unwrap();
    });
    let past = format!("SELECT count(*) FROM t AS OF VERSION {before} WHERE a = 5");
    let as_of = time(11, || {
        s.query(&past, &[]).unwrap();
    });
    println!("{:<44} {:>14?}", format!("filtered count at HEAD, {big} rows"), head);
    println!("{:<44} {:>14?}", format!("same count AS OF VERSION, {big} rows"), as_of);
}
