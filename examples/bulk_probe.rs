use amberdb::{Database, Value};
use std::time::Instant;
fn main() {
    let durable = std::env::args().nth(1).is_some();
    let dir = std::env::temp_dir().join("bulk-probe");
    let _ = std::fs::remove_dir_all(&dir);
    let db = if durable { Database::open(&dir).unwrap() } else { Database::open_in_memory() };
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, name TEXT, score REAL)", &[]).unwrap();
    s.execute("CREATE INDEX t_a ON t (a)", &[]).unwrap();
    let insert = s.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
    let t0 = Instant::now();
    s.execute("BEGIN", &[]).unwrap();
    for i in 0..1_000_000i64 {
        s.execute_prepared(
            &insert,
            &[
                Value::Integer(i),
                Value::Integer(i * 7 % 1000),
                Value::text(&format!("name {i}")),
                Value::Real(i as f64 / 3.0),
            ],
        )
        .unwrap();
    }
    eprintln!("inserts {:?}", t0.elapsed());
    let t0 = Instant::now();
    s.execute("COMMIT", &[]).unwrap();
    eprintln!("commit {:?}", t0.elapsed());
    let t0 = Instant::now();
    drop(s);
    drop(db);
    eprintln!("drop {:?}", t0.elapsed());
}
