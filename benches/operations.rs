//! What measuring statements costs: point lookups (prepared, and as SQL text) with
//! statement statistics on and off (`SET track_statements`), against bundled SQLite in
//! the same run. `cargo bench --bench operations` prints, for each, the time per call
//! on both settings, their ratios to SQLite, and the overhead of measuring
//! (on / off − 1), each the median of many short interleaved rounds (the settings
//! alternate every 20,000 calls, so that drift in the machine's speed falls on both).

use std::time::{Duration, Instant};

use amberdb::alloc::Allocator;
use amberdb::{Database, Value};
use rusqlite::Connection;

#[global_allocator]
static GLOBAL: Allocator = Allocator;

const ROWS: i64 = 100_000;
const CALLS: usize = 20_000;
const ROUNDS: usize = 61;

fn key(i: usize) -> i64 {
    (i as i64).wrapping_mul(7919) % ROWS + 1
}

fn per_call(mut f: impl FnMut(usize)) -> Duration {
    let t0 = Instant::now();
    for i in 0..CALLS {
        f(i);
    }
    t0.elapsed() / CALLS as u32
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, name TEXT, score REAL)", &[]).unwrap();
    s.execute(
        &format!(
            "INSERT INTO t SELECT value, value % 1000, 'user' || value, value * 0.37 FROM generate_series(1, {ROWS})"
        ),
        &[],
    )
    .unwrap();
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, name TEXT, score REAL)").unwrap();
    c.execute_batch(&format!(
        "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < {ROWS}) \
         INSERT INTO t SELECT v, v % 1000, 'user' || v, v * 0.37 FROM n"
    ))
    .unwrap();

    let prepared = s.prepare("SELECT * FROM t WHERE id = ?").unwrap();
    let (mut on, mut off, mut lite) = (Vec::new(), Vec::new(), Vec::new());
    let (mut text_on, mut text_off, mut text_lite) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Each setting goes first in every other round, and each block starts warm.
        let mut order = [(true, &mut on, &mut text_on), (false, &mut off, &mut text_off)];
        if round % 2 == 1 {
            order.reverse();
        }
        for (track, times, texts) in order {
            s.execute(&format!("SET track_statements = {}", if track { "on" } else { "off" }), &[]).unwrap();
            for i in 0..CALLS / 4 {
                s.query_prepared(&prepared, &[Value::Integer(key(i))]).unwrap();
            }
            times.push(per_call(|i| {
                s.query_prepared(&prepared, &[Value::Integer(key(i))]).unwrap();
            }));
            for i in 0..CALLS / 4 {
                s.query(&format!("SELECT * FROM t WHERE id = {}", key(i)), &[]).unwrap();
            }
            texts.push(per_call(|i| {
                s.query(&format!("SELECT * FROM t WHERE id = {}", key(i)), &[]).unwrap();
            }));
        }
        let mut stmt = c.prepare_cached("SELECT * FROM t WHERE id = ?").unwrap();
        lite.push(per_call(|i| {
            let mut rows = stmt.query([key(i)]).unwrap();
            while rows.next().unwrap().is_some() {}
        }));
        drop(stmt);
        text_lite.push(per_call(|i| {
            let mut stmt = c.prepare(&format!("SELECT * FROM t WHERE id = {}", key(i))).unwrap();
            let mut rows = stmt.query([]).unwrap();
            while rows.next().unwrap().is_some() {}
        }));
    }
    println!(
        "{:<40} | {:>10} | {:>10} | {:>10} | {:>8} | {:>8} | {:>8}",
        "workload", "on", "off", "sqlite", "on/lite", "off/lite", "cost"
    );
    for (label, on, off, lite) in [
        ("point lookup by primary key, prepared", on, off, lite),
        ("point lookup by primary key, SQL text", text_on, text_off, text_lite),
    ] {
        let (on, off, lite) = (median(on), median(off), median(lite));
        let ns = |d: Duration| d.as_secs_f64() * 1e9;
        println!(
            "{label:<40} | {:>7.0} ns | {:>7.0} ns | {:>7.0} ns | {:>8.2} | {:>8.2} | {:>+7.1}%",
            ns(on),
            ns(off),
            ns(lite),
            ns(on) / ns(lite),
            ns(off) / ns(lite),
            (ns(on) / ns(off) - 1.0) * 100.0
        );
    }
}
