//! Memory per row, counted by the allocator: rows packed into pages must stay within
//! twice what SQLite takes for the same rows (32 bytes for this shape; see
//! `docs/BENCHMARKS.md`). A count of bytes, not a time: it does not depend on the
//! machine. One test only, so that no other test allocates while it counts.

use amberdb::{Database, Value};
use cap::Cap;

#[global_allocator]
static GLOBAL: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

#[test]
fn a_row_of_five_columns_takes_under_64_bytes() {
    let n = 100_000usize;
    let db = Database::open_in_memory();
    db.set_history_limit(1);
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, name TEXT, score REAL)", &[]).unwrap();
    let before = GLOBAL.allocated();
    s.execute("BEGIN", &[]).unwrap();
    let insert = s.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)").unwrap();
    for i in 0..n {
        let row = [
            Value::Integer(i as i64),
            Value::Integer((i * 7 % 1000) as i64),
            Value::Integer((i % 100) as i64),
            Value::text(&format!("user{:x}", i.wrapping_mul(2_654_435_761) % 1_000_003)),
            Value::Real(i as f64 * 0.37 % 1000.0),
        ];
        s.execute_prepared(&insert, &row).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
    drop(insert);
    let per_row = (GLOBAL.allocated() - before) as f64 / n as f64;
    assert!(per_row < 64.0, "{per_row:.1} bytes per row");
    // The rows are all there and read back.
    let count = s.query("SELECT count(*) AS n FROM t WHERE score >= 0", &[]).unwrap();
    assert_eq!(count.get::<i64>(0, "n").unwrap(), n as i64);
}
