//! JSON against bundled SQLite in memory, in the same run, as ratios (AmberDB time /
//! SQLite time; lower is better): a `json_extract` filter over every document without an
//! index and through a path index, a `json_set` update of a tenth of them, and
//! `json_each` over 100,000 arrays joined to their rows.
//! `cargo bench --bench json` runs 1,000,000 documents; `-- --quick` 100,000. Both
//! engines' answers are compared before a figure is printed.

use std::time::{Duration, Instant};

use amberdb::{Database, Value};
use rusqlite::Connection;

/// The allocator the `amberdb` binary uses.
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

fn doc(i: i64) -> String {
    format!(
        r#"{{"customer":{{"id":{},"name":"c{}"}},"items":[{{"sku":"s{}","qty":{}}}],"total":{}.5,"tags":["a","b{}"]}}"#,
        i % 1000,
        i % 1000,
        i % 97,
        i % 5,
        i % 300,
        i % 7
    )
}

fn report(name: &str, amber: Duration, lite: Duration) {
    let ratio = amber.as_secs_f64() / lite.as_secs_f64();
    println!("{name:<52} {:>12.2?} {:>12.2?} {ratio:>8.2}", amber, lite);
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t0 = Instant::now();
    let out = f();
    (t0.elapsed(), out)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: i64 = if quick { 100_000 } else { 1_000_000 };
    let db = Database::open_in_memory();
    db.set_history_limit(1);
    let mut s = db.session();
    let lite = Connection::open_in_memory().unwrap();
    let create = "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)";
    s.execute(create, &[]).unwrap();
    lite.execute(create, []).unwrap();
    let ins = s.prepare("INSERT INTO docs VALUES (?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    lite.execute("BEGIN", []).unwrap();
    {
        let mut stmt = lite.prepare("INSERT INTO docs VALUES (?, ?)").unwrap();
        for i in 0..n {
            let d = doc(i);
            s.execute_prepared(&ins, &[Value::Integer(i), Value::text(&d)]).unwrap();
            stmt.execute(rusqlite::params![i, d]).unwrap();
        }
    }
    s.execute("COMMIT", &[]).unwrap();
    lite.execute("COMMIT", []).unwrap();
    println!("{:<52} {:>12} {:>12} {:>8}", "workload", "amberdb", "sqlite", "ratio");

    let count = "SELECT count(*) FROM docs WHERE json_extract(body, '$.customer.id') = 42";
    let read = |s: &mut amberdb::Session, sql: &str| s.query(sql, &[]).unwrap().rows[0][0].clone();
    let (a, got) = timed(|| read(&mut s, count));
    let (l, want): (Duration, i64) = timed(|| lite.query_row(count, [], |r| r.get(0)).unwrap());
    assert_eq!(got, Value::Integer(want));
    report(&format!("json_extract filter, no index, {n} docs"), a, l);

    let index = "CREATE INDEX docs_customer ON docs (json_extract(body, '$.customer.id'))";
    let (a, _) = timed(|| s.execute(index, &[]).unwrap());
    let (l, _) = timed(|| lite.execute(index, []).unwrap());
    report(&format!("CREATE INDEX on the path, {n} docs"), a, l);
    let q = s.prepare("SELECT id FROM docs WHERE json_extract(body, '$.customer.id') = ?").unwrap();
    let lookups = 2_000;
    let (a, found) = timed(|| {
        (0..lookups).map(|i| s.query_prepared(&q, &[Value::Integer(i % 1000)]).unwrap().rows.len()).sum::<usize>()
    });
    let mut stmt = lite.prepare("SELECT id FROM docs WHERE json_extract(body, '$.customer.id') = ?").unwrap();
    let (l, want) = timed(|| {
        (0..lookups).map(|i| stmt.query_map([i % 1000], |r| r.get::<_, i64>(0)).unwrap().count()).sum::<usize>()
    });
    drop(stmt);
    assert_eq!(found, want);
    report(&format!("lookup through the path index ×{lookups}, {n} docs"), a, l);

    let update = "UPDATE docs SET body = json_set(body, '$.status', 'seen', '$.total', 0) WHERE id % 10 = 3";
    let (a, _) = timed(|| s.execute(update, &[]).unwrap());
    let (l, _) = timed(|| lite.execute(update, []).unwrap());
    let check = "SELECT sum(length(body)) FROM docs WHERE id % 10 = 3";
    let want: i64 = lite.query_row(check, [], |r| r.get(0)).unwrap();
    assert_eq!(read(&mut s, check), Value::Integer(want));
    report(&format!("json_set on 10% of {n} docs"), a, l);

    // json_each over 100,000 arrays of ten numbers, joined to their rows.
    let create = "CREATE TABLE arrays (id INTEGER PRIMARY KEY, a TEXT)";
    s.execute(create, &[]).unwrap();
    lite.execute(create, []).unwrap();
    let fill = "INSERT INTO arrays SELECT id, json_array(id, id + 1, id * 2, 'x', 1.5, id % 7, -id, id, 0, 9) \
                FROM docs WHERE id < 100000";
    s.execute(fill, &[]).unwrap();
    lite.execute(fill, []).unwrap();
    let each = "SELECT count(*), sum(j.value) FROM arrays, json_each(arrays.a) AS j WHERE j.type = 'integer'";
    let (a, got) = timed(|| s.query(each, &[]).unwrap().rows[0].clone());
    let (l, want): (Duration, (i64, i64)) = timed(|| lite.query_row(each, [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap());
    assert_eq!(got, vec![Value::Integer(want.0), Value::Integer(want.1)]);
    report(&format!("json_each over {} arrays", n.min(100_000)), a, l);
}
