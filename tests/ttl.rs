//! Rows that expire: table defaults, `WITH TTL`, visibility before any sweep, the
//! sweeper's commits, and expiry across snapshots, restore and reopening.

use std::sync::Arc;

use amberdb::storage::time::ManualClock;
use amberdb::{Database, Value};

const SECOND: i64 = 1_000_000;
const START: i64 = 1_800_000_000 * SECOND;

fn db() -> (Database, Arc<ManualClock>) {
    let db = Database::open_in_memory();
    let clock = Arc::new(ManualClock::new(START));
    db.set_clock(clock.clone());
    (db, clock)
}

fn keys(db: &Database, sql: &str) -> Vec<Value> {
    db.session().query(sql, &[]).unwrap().rows.into_iter().map(|mut r| r.remove(0)).collect()
}

fn text(items: &[&str]) -> Vec<Value> {
    items.iter().map(|s| Value::text(s)).collect()
}

#[test]
fn rows_vanish_when_they_expire_before_any_sweep() {
    let (db, clock) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE cache (k TEXT PRIMARY KEY, v TEXT) WITH (ttl = '10 minutes')", &[]).unwrap();
    s.execute("INSERT INTO cache VALUES ('a', '1')", &[]).unwrap();
    s.execute("INSERT INTO cache VALUES ('b', '2') WITH TTL '30 seconds'", &[]).unwrap();
    s.execute("INSERT INTO cache VALUES ('c', '3') WITH TTL NULL", &[]).unwrap();
    s.execute("CREATE INDEX cache_v ON cache (v)", &[]).unwrap();
    assert_eq!(keys(&db, "SELECT k FROM cache ORDER BY k"), text(&["a", "b", "c"]));
    let remaining = s.query("SELECT ttl_remaining() FROM cache WHERE k = 'b'", &[]).unwrap();
    assert_eq!(remaining.rows[0][0], Value::Real(30.0));

    clock.advance(30 * SECOND);
    // Every access path hides the expired row: full scan, key lookup, index, count.
    assert_eq!(keys(&db, "SELECT k FROM cache ORDER BY k"), text(&["a", "c"]));
    assert!(keys(&db, "SELECT k FROM cache WHERE k = 'b'").is_empty());
    assert!(keys(&db, "SELECT k FROM cache WHERE v = '2'").is_empty());
    assert_eq!(keys(&db, "SELECT count(*) FROM cache"), vec![Value::Integer(2)]);
    // An expired key can be taken again at once.
    s.execute("INSERT INTO cache VALUES ('b', 'new')", &[]).unwrap();
    assert_eq!(keys(&db, "SELECT v FROM cache WHERE k = 'b'"), text(&["new"]));
    // UPDATE and DELETE see only live rows.
    clock.advance(10 * 60 * SECOND);
    assert_eq!(keys(&db, "SELECT k FROM cache"), text(&["c"]));
    let changed = s.execute("UPDATE cache SET v = 'x'", &[]).unwrap();
    assert_eq!(changed, amberdb::Outcome::Changed { verb: "updated", count: 1 });
}

#[test]
fn update_with_ttl_sets_or_clears_expiry_and_keys_carry_theirs() {
    let (db, clock) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b') WITH TTL '1 minute'", &[]).unwrap();
    s.execute("UPDATE t SET v = 'A' WHERE id = 1 WITH TTL NULL", &[]).unwrap();
    s.execute("UPDATE t SET id = 20 WHERE id = 2", &[]).unwrap();
    let r = s.query("SELECT id, ttl_remaining() FROM t ORDER BY id", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(1), Value::Null], vec![Value::Integer(20), Value::Real(60.0)]]);
    clock.advance(61 * SECOND);
    assert_eq!(keys(&db, "SELECT id FROM t"), vec![Value::Integer(1)]);
}

#[test]
fn the_sweeper_removes_expired_rows_through_ordinary_commits() {
    let (db, clock) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)", &[]).unwrap();
    for i in 0..1000 {
        let ttl = if i % 10 == 0 { "5 seconds" } else { "1 hour" };
        s.execute(&format!("INSERT INTO t VALUES ({i}) WITH TTL '{ttl}'"), &[]).unwrap();
    }
    assert_eq!(db.sweep_expired().unwrap(), 0);
    clock.advance(6 * SECOND);
    let before = db.version();
    assert_eq!(db.sweep_expired().unwrap(), 100);
    assert_eq!(db.version(), before + 1, "one commit");
    let state = db.state();
    let t = state.table("t").unwrap();
    assert_eq!((t.rows.len(), t.expiry.len(), t.expiry_order.len()), (900, 900, 900));
    assert_eq!(db.sweep_expired().unwrap(), 0);
    // The row is still there in the version before the sweep, as time travel shows.
    let then = s.query(&format!("SELECT count(*) FROM t AS OF VERSION {before}"), &[]).unwrap();
    assert_eq!(then.rows[0][0], Value::Integer(900), "expired rows are invisible in past versions too");
    assert_eq!(state.table("t").unwrap().rows.len(), 900);
}

#[test]
fn a_background_sweeper_runs_until_dropped() {
    let (db, clock) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY) WITH (ttl = 1)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1), (2)", &[]).unwrap();
    clock.advance(2 * SECOND);
    let sweeper = db.start_sweeper(std::time::Duration::from_millis(10));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !db.state().table("t").unwrap().rows.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the sweeper never ran");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    drop(sweeper);
}

#[test]
fn bad_ttls_and_referenced_tables_are_refused() {
    let (db, _) = db();
    let mut s = db.session();
    let err = |s: &mut amberdb::Session, sql: &str| s.execute(sql, &[]).unwrap_err().to_string();
    assert!(err(&mut s, "CREATE TABLE x (a INT) WITH (ttl = 'soon')").contains("not a duration"));
    assert!(err(&mut s, "CREATE TABLE x (a INT) WITH (colour = 'red')").contains("unknown table option colour"));
    s.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", &[]).unwrap();
    s.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent (id))", &[]).unwrap();
    assert!(err(&mut s, "INSERT INTO parent VALUES (1) WITH TTL '1 minute'").contains("cannot expire"));
    assert!(err(&mut s, "INSERT INTO child VALUES (1, NULL) WITH TTL 'later'").contains("not a duration"));
    s.execute("CREATE TABLE session (id INTEGER PRIMARY KEY) WITH (ttl = '1 hour')", &[]).unwrap();
    let e = err(&mut s, "CREATE TABLE visit (id INTEGER PRIMARY KEY, s INTEGER REFERENCES session (id))");
    assert!(e.contains("expire"), "{e}");
    assert!(err(&mut s, "SELECT ttl_remaining() FROM parent, child").contains("one table"));
    assert!(db.state().table("x").is_none());
}

#[test]
fn expiry_survives_snapshots_restore_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    {
        let db = Database::open(dir.path()).unwrap();
        db.set_clock(clock.clone());
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1, 'a') WITH TTL '1 minute'", &[]).unwrap();
        s.execute("CREATE SNAPSHOT before", &[]).unwrap();
        s.execute("UPDATE t SET v = 'b' WITH TTL NULL", &[]).unwrap();
        s.execute("RESTORE SNAPSHOT before", &[]).unwrap();
        let r = s.query("SELECT v, ttl_remaining() FROM t", &[]).unwrap();
        assert_eq!(r.rows, vec![vec![Value::text("a"), Value::Real(60.0)]]);
        s.execute("INSERT INTO t VALUES (2, 'c') WITH TTL '2 minutes'", &[]).unwrap();
        s.execute("CHECKPOINT", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (3, 'd') WITH TTL '3 minutes'", &[]).unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    db.set_clock(clock.clone());
    clock.advance(90 * SECOND);
    assert_eq!(keys(&db, "SELECT id FROM t ORDER BY id"), vec![Value::Integer(2), Value::Integer(3)]);
    let t = db.state();
    assert_eq!(t.table("t").unwrap().expiry.len(), 3, "checkpoint and log both carry expiry");
}

#[test]
fn dump_and_export_keep_the_time_rows_have_left_and_leave_out_expired_rows() {
    let (db, clock) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE cache (k TEXT PRIMARY KEY, v TEXT) WITH (ttl = '10 minutes')", &[]).unwrap();
    s.execute("INSERT INTO cache VALUES ('default', '1')", &[]).unwrap();
    s.execute("INSERT INTO cache VALUES ('short', '2') WITH TTL '30 seconds'", &[]).unwrap();
    s.execute("INSERT INTO cache VALUES ('forever', '3') WITH TTL NULL", &[]).unwrap();
    s.execute("INSERT INTO cache VALUES ('gone', '4') WITH TTL '5 seconds'", &[]).unwrap();
    s.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY)", &[]).unwrap();
    s.execute("INSERT INTO plain VALUES (1)", &[]).unwrap();
    clock.advance(10 * SECOND);
    let sql = amberdb::export::dump(&db.state(), db.now());
    assert!(!sql.contains("'gone'"), "an expired row is not dumped:\n{sql}");
    assert!(sql.contains("INSERT INTO plain VALUES (1);"), "rows that never expire need no clause:\n{sql}");
    let ron = amberdb::export::export(&db.state(), db.version(), db.now()).unwrap();

    let left = |db: &Database| -> Vec<Value> {
        keys(db, "SELECT k || ':' || coalesce(CAST(ttl_remaining() AS INTEGER), -1) FROM cache ORDER BY k")
    };
    let expected = text(&["default:590", "forever:-1", "short:20"]);
    let (from_dump, dump_clock) = self::db();
    dump_clock.advance(1_000 * SECOND);
    let mut s = from_dump.session();
    for stmt in amberdb::split(&sql) {
        s.execute(stmt.text, &[]).unwrap();
    }
    assert_eq!(left(&from_dump), expected);
    let (from_export, _) = self::db();
    amberdb::export::import(&mut from_export.session(), &ron, "export").unwrap();
    assert_eq!(left(&from_export), expected);
    assert_eq!(keys(&from_export, "SELECT id FROM plain"), vec![Value::Integer(1)]);
}

#[test]
fn altering_a_table_keeps_when_its_rows_expire() {
    let (db, clock) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT) WITH (ttl = '1 minute')", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b') WITH TTL NULL", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (3, 'c')", &[]).unwrap();
    s.execute("ALTER TABLE t ADD COLUMN w INTEGER", &[]).unwrap();
    s.execute("ALTER TABLE t RENAME TO u", &[]).unwrap();
    clock.advance(61 * SECOND);
    assert_eq!(keys(&db, "SELECT id FROM u ORDER BY id"), vec![Value::Integer(1), Value::Integer(2)]);
    assert_eq!(db.sweep_expired().unwrap(), 1);
}
