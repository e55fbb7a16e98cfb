//! `amber_memory()` counts, it does not guess: after loading a million rows (and an
//! index on them) its total is within 10% of what the allocator handed out meanwhile.
//! One test only, so that no other test allocates while it counts.

use amberdb::{Database, Value};
use cap::Cap;

#[global_allocator]
static GLOBAL: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

#[test]
fn counted_memory_is_within_a_tenth_of_the_allocators_growth() {
    let n = 1_000_000i64;
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, amount REAL, at INTEGER)", &[]).unwrap();
    s.execute("CREATE INDEX events_kind ON events (kind)", &[]).unwrap();
    let empty = db.memory().total() as i64;
    let before = GLOBAL.allocated() as i64;
    let insert = s.prepare("INSERT INTO events VALUES (?, ?, ?, ?)").unwrap();
    for chunk in 0..(n / 10_000) {
        s.execute("BEGIN", &[]).unwrap();
        for i in chunk * 10_000..(chunk + 1) * 10_000 {
            let kind = format!("kind-{}-with-a-longer-name", i % 1000);
            let row = [Value::Integer(i), Value::text(&kind), Value::Real(i as f64 / 8.0), Value::Integer(i * 3)];
            s.execute_prepared(&insert, &row).unwrap();
        }
        s.execute("COMMIT", &[]).unwrap();
    }
    drop(insert);
    let grown = GLOBAL.allocated() as i64 - before;
    let report = db.memory();
    let counted = report.total() as i64 - empty;
    let off = (counted - grown).abs() as f64 / grown as f64;
    eprintln!("counted {counted} bytes; the allocator grew by {grown}");
    assert!(
        off <= 0.10,
        "counted {counted} bytes, the allocator grew by {grown} ({:.1}% apart): {report:?}",
        off * 100.0
    );
    assert_eq!(report.tables[0].rows, n as usize);
}
