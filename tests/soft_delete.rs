//! Soft delete: tables kept `WITH (soft_delete)` move deleted rows aside, where
//! `INCLUDING DELETED`, `UNDELETE` and `PURGE` reach them, while queries, joins, unique
//! constraints and foreign keys see only live rows; `purge_after` is swept like TTL,
//! and all of it survives transactions, time travel and reopening a data directory.

use std::sync::Arc;

use amberdb::storage::time::ManualClock;
use amberdb::{Database, Outcome, Value};

const SECOND: i64 = 1_000_000;
const DAY: i64 = 86_400 * SECOND;
const START: i64 = 1_800_000_000 * SECOND;

fn db() -> (Database, Arc<ManualClock>) {
    let db = Database::open_in_memory();
    let clock = Arc::new(ManualClock::new(START));
    db.set_clock(clock.clone());
    (db, clock)
}

fn rows(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    db.session().query(sql, &[]).unwrap().rows
}

fn ids(db: &Database, sql: &str) -> Vec<i64> {
    rows(db, sql)
        .into_iter()
        .map(|r| match r[0] {
            Value::Integer(n) => n,
            ref other => panic!("not an id: {other:?}"),
        })
        .collect()
}

fn users(db: &Database) {
    let mut s = db.session();
    s.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, name TEXT) WITH (soft_delete)",
        &[],
    )
    .unwrap();
    s.execute("INSERT INTO users VALUES (1, 'a@x', 'Ann'), (2, 'b@x', 'Bob'), (3, 'c@x', 'Cy')", &[]).unwrap();
}

fn changed(out: Outcome) -> (&'static str, usize) {
    match out {
        Outcome::Changed { verb, count } => (verb, count),
        other => panic!("not a change: {other:?}"),
    }
}

#[test]
fn deleted_rows_leave_queries_and_joins_but_stay_reachable() {
    let (db, clock) = db();
    users(&db);
    let mut s = db.session();
    s.execute("CREATE TABLE notes (user_id INTEGER, body TEXT)", &[]).unwrap();
    s.execute("INSERT INTO notes VALUES (1, 'one'), (2, 'two'), (3, 'three')", &[]).unwrap();
    clock.advance(SECOND);
    assert_eq!(changed(s.execute("DELETE FROM users WHERE id = 2", &[]).unwrap()), ("deleted", 1));
    let deleted_in = s.last_commit_version().unwrap() as i64;

    assert_eq!(ids(&db, "SELECT id FROM users ORDER BY id"), vec![1, 3]);
    assert_eq!(ids(&db, "SELECT count(*) FROM users"), vec![2]);
    assert_eq!(ids(&db, "SELECT n.user_id FROM notes n JOIN users u ON u.id = n.user_id ORDER BY 1"), vec![1, 3]);
    assert_eq!(ids(&db, "SELECT id FROM users WHERE email = 'b@x'"), Vec::<i64>::new());

    let all = rows(&db, "SELECT id, name, deleted_at FROM users INCLUDING DELETED ORDER BY id");
    assert_eq!(
        all,
        vec![
            vec![Value::Integer(1), Value::text("Ann"), Value::Null],
            vec![Value::Integer(2), Value::text("Bob"), Value::Timestamp(START + SECOND)],
            vec![Value::Integer(3), Value::text("Cy"), Value::Null],
        ]
    );
    // Each deleted row carries the version of the commit that deleted it.
    let versions = rows(&db, "SELECT id, deleted_version FROM users INCLUDING DELETED ORDER BY id");
    assert_eq!(
        versions,
        vec![
            vec![Value::Integer(1), Value::Null],
            vec![Value::Integer(2), Value::Integer(deleted_in)],
            vec![Value::Integer(3), Value::Null],
        ]
    );
    let as_then = rows(&db, &format!("SELECT count(*) FROM users AS OF VERSION {} WHERE id = 2", deleted_in - 1));
    assert_eq!(as_then, vec![vec![Value::Integer(1)]]);
    // With an alias, in a join, and filtered by when.
    assert_eq!(
        ids(&db, "SELECT u.id FROM users INCLUDING DELETED AS u JOIN notes n ON n.user_id = u.id WHERE u.deleted_at IS NOT NULL"),
        vec![2]
    );
}

#[test]
fn unique_constraints_and_foreign_keys_see_only_live_rows() {
    let (db, _) = db();
    users(&db);
    let mut s = db.session();
    s.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id))", &[]).unwrap();
    s.execute("INSERT INTO orders VALUES (10, 1)", &[]).unwrap();
    s.execute("DELETE FROM users WHERE id = 2", &[]).unwrap();

    // A deleted user cannot be referenced, and a referenced user cannot be deleted.
    let e = s.execute("INSERT INTO orders VALUES (11, 2)", &[]).unwrap_err();
    assert!(e.to_string().contains("FOREIGN KEY"), "{e}");
    let e = s.execute("DELETE FROM users WHERE id = 1", &[]).unwrap_err();
    assert!(e.to_string().contains("FOREIGN KEY"), "{e}");
    assert_eq!(ids(&db, "SELECT count(*) FROM users INCLUDING DELETED"), vec![3], "a refused delete moves nothing");

    // The deleted user's email is free again; undeleting the old row now conflicts and
    // changes nothing.
    s.execute("INSERT INTO users VALUES (4, 'b@x', 'Bea')", &[]).unwrap();
    let e = s.execute("UNDELETE FROM users WHERE id = 2", &[]).unwrap_err();
    assert!(e.to_string().contains("UNIQUE"), "{e}");
    assert_eq!(ids(&db, "SELECT id FROM users INCLUDING DELETED WHERE deleted_at IS NOT NULL"), vec![2]);
    assert_eq!(ids(&db, "SELECT id FROM users ORDER BY id"), vec![1, 3, 4]);
}

#[test]
fn undelete_restores_rows_through_constraints_and_purge_removes_them() {
    let (db, clock) = db();
    users(&db);
    let mut s = db.session();
    s.execute("DELETE FROM users WHERE id IN (1, 2)", &[]).unwrap();
    clock.advance(DAY);
    s.execute("DELETE FROM users WHERE id = 3", &[]).unwrap();
    assert_eq!(ids(&db, "SELECT count(*) FROM users"), vec![0]);

    assert_eq!(changed(s.execute("UNDELETE FROM users WHERE id = 1", &[]).unwrap()), ("restored", 1));
    assert_eq!(rows(&db, "SELECT * FROM users"), vec![vec![Value::Integer(1), Value::text("a@x"), Value::text("Ann")]]);
    assert_eq!(ids(&db, "SELECT id FROM users INCLUDING DELETED WHERE deleted_at IS NOT NULL ORDER BY id"), vec![2, 3]);

    // Purge what was deleted before a time: only row 2 (row 3 went a day later).
    let cut = Value::Timestamp(START + DAY / 2);
    let out = s.execute("PURGE FROM users WHERE deleted_at < ?", &[cut]).unwrap();
    assert_eq!(changed(out), ("purged", 1));
    assert_eq!(ids(&db, "SELECT id FROM users INCLUDING DELETED ORDER BY id"), vec![1, 3]);
    // An undeleted row can be deleted again.
    s.execute("DELETE FROM users WHERE id = 1", &[]).unwrap();
    assert_eq!(changed(s.execute("PURGE FROM users", &[]).unwrap()), ("purged", 2));
    assert_eq!(ids(&db, "SELECT count(*) FROM users INCLUDING DELETED"), vec![0]);
}

#[test]
fn a_rolled_back_delete_keeps_nothing_and_time_travel_sees_each_side() {
    let (db, _) = db();
    users(&db);
    let before = db.version();
    let mut s = db.session();
    s.execute("BEGIN", &[]).unwrap();
    s.execute("DELETE FROM users", &[]).unwrap();
    assert_eq!(ids(&db, "SELECT count(*) FROM users INCLUDING DELETED WHERE deleted_at IS NULL"), vec![3]);
    s.execute("ROLLBACK", &[]).unwrap();
    assert_eq!(ids(&db, "SELECT count(*) FROM users INCLUDING DELETED WHERE deleted_at IS NOT NULL"), vec![0]);

    s.execute("DELETE FROM users WHERE id = 3", &[]).unwrap();
    assert_eq!(ids(&db, &format!("SELECT id FROM users AS OF VERSION {before} ORDER BY id")), vec![1, 2, 3]);
    let then = format!("SELECT id, deleted_at IS NULL FROM users AS OF VERSION {before} INCLUDING DELETED ORDER BY id");
    assert_eq!(ids(&db, &then), vec![1, 2, 3]);
    // The delete is one commit that changed both tables.
    let got = rows(&db, "SELECT tables FROM commits() ORDER BY version DESC LIMIT 1");
    assert_eq!(got, vec![vec![Value::text(r#"{"users":1,"users$deleted":1}"#)]]);
}

#[test]
fn purge_after_is_swept_like_ttl() {
    let (db, clock) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY) WITH (soft_delete, purge_after = '30 days')", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1), (2), (3)", &[]).unwrap();
    s.execute("DELETE FROM t WHERE id = 1", &[]).unwrap();
    clock.advance(20 * DAY);
    s.execute("DELETE FROM t WHERE id = 2", &[]).unwrap();
    clock.advance(11 * DAY);
    // Row 1 is past its 30 days: invisible before any sweep, gone after one.
    assert_eq!(ids(&db, "SELECT id FROM t INCLUDING DELETED ORDER BY id"), vec![2, 3]);
    assert_eq!(db.sweep_expired().unwrap(), 1);
    assert_eq!(db.state().table("t$deleted").unwrap().rows.len(), 1);

    // A new purge_after applies to rows deleted from then on; soft_delete = off drops
    // the deleted rows and DELETE removes for good.
    s.execute("ALTER TABLE t SET (purge_after = '1 day')", &[]).unwrap();
    s.execute("DELETE FROM t WHERE id = 3", &[]).unwrap();
    clock.advance(2 * DAY);
    assert_eq!(ids(&db, "SELECT id FROM t INCLUDING DELETED"), vec![2]);
    s.execute("ALTER TABLE t SET (soft_delete = off)", &[]).unwrap();
    assert!(db.state().table("t$deleted").is_none());
    let e = s.execute("SELECT * FROM t INCLUDING DELETED", &[]).unwrap_err();
    assert!(e.to_string().contains("does not keep deleted rows"), "{e}");
}

#[test]
fn soft_delete_turned_on_later_and_schema_changes_follow() {
    let (db, _) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')", &[]).unwrap();
    s.execute("DELETE FROM t WHERE id = 1", &[]).unwrap();
    for sql in ["UNDELETE FROM t WHERE id = 1", "PURGE FROM t", "SELECT * FROM t INCLUDING DELETED"] {
        let e = s.execute(sql, &[]).unwrap_err();
        assert!(e.to_string().contains("does not keep deleted rows"), "{sql}: {e}");
    }
    s.execute("ALTER TABLE t SET (soft_delete)", &[]).unwrap();
    s.execute("ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 7", &[]).unwrap();
    s.execute("ALTER TABLE t RENAME COLUMN v TO label", &[]).unwrap();
    s.execute("DELETE FROM t WHERE id = 2", &[]).unwrap();
    s.execute("ALTER TABLE t RENAME TO items", &[]).unwrap();
    let got = rows(&db, "SELECT id, label, w, deleted_at IS NOT NULL FROM items INCLUDING DELETED");
    assert_eq!(got, vec![vec![Value::Integer(2), Value::text("b"), Value::Integer(7), Value::Boolean(true)]]);
    s.execute("UNDELETE FROM items", &[]).unwrap();
    assert_eq!(ids(&db, "SELECT w FROM items"), vec![7]);
    // A table with its own deleted_at column cannot keep deleted rows beside it.
    s.execute("CREATE TABLE u (id INTEGER, deleted_at TIMESTAMP)", &[]).unwrap();
    let e = s.execute("ALTER TABLE u SET (soft_delete)", &[]).unwrap_err();
    assert!(e.to_string().contains("deleted_at"), "{e}");
    let e = s.execute("CREATE TABLE v (id INTEGER) WITH (soft_delete = 'maybe')", &[]).unwrap_err();
    assert!(e.to_string().contains("on or off"), "{e}");
    assert!(db.state().table("v").is_none(), "a refused CREATE makes nothing");

    // DROP TABLE takes the deleted rows too, and the name is free again.
    s.execute("DROP TABLE items", &[]).unwrap();
    assert!(db.state().table("items$deleted").is_none());
    s.execute("CREATE TABLE items (id INTEGER)", &[]).unwrap();
}

#[test]
fn cascades_keep_their_deleted_rows_too() {
    let (db, _) = db();
    let mut s = db.session();
    s.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY) WITH (soft_delete)", &[]).unwrap();
    s.execute(
        "CREATE TABLE kids (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents (id) ON DELETE CASCADE) WITH (soft_delete)",
        &[],
    )
    .unwrap();
    s.execute("INSERT INTO parents VALUES (1), (2)", &[]).unwrap();
    s.execute("INSERT INTO kids VALUES (10, 1), (11, 1), (20, 2)", &[]).unwrap();
    s.execute("DELETE FROM parents WHERE id = 1", &[]).unwrap();
    assert_eq!(ids(&db, "SELECT id FROM kids"), vec![20]);
    assert_eq!(
        ids(&db, "SELECT id FROM kids INCLUDING DELETED WHERE deleted_at IS NOT NULL ORDER BY id"),
        vec![10, 11]
    );
    // Undeleting in the order the references need brings the family back.
    s.execute("UNDELETE FROM parents", &[]).unwrap();
    s.execute("UNDELETE FROM kids WHERE parent = 1", &[]).unwrap();
    assert_eq!(ids(&db, "SELECT id FROM kids ORDER BY id"), vec![10, 11, 20]);
}

#[test]
fn deleted_rows_survive_checkpoints_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    {
        let db = Database::open(dir.path()).unwrap();
        db.set_clock(clock.clone());
        users(&db);
        let mut s = db.session();
        s.execute("DELETE FROM users WHERE id = 1", &[]).unwrap();
        s.execute("CHECKPOINT", &[]).unwrap();
        s.execute("DELETE FROM users WHERE id = 2", &[]).unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    db.set_clock(clock);
    assert_eq!(ids(&db, "SELECT id FROM users"), vec![3]);
    let sql =
        "SELECT id, deleted_at, deleted_version FROM users INCLUDING DELETED WHERE deleted_at IS NOT NULL ORDER BY id";
    let deleted = rows(&db, sql);
    let (at, v) = (Value::Timestamp(START), |n: i64| Value::Integer(n));
    assert_eq!(deleted, vec![vec![Value::Integer(1), at.clone(), v(3)], vec![Value::Integer(2), at, v(4)]]);
    let mut s = db.session();
    s.execute("UNDELETE FROM users WHERE id = 2", &[]).unwrap();
    assert_eq!(ids(&db, "SELECT id FROM users ORDER BY id"), vec![2, 3]);
}

#[test]
fn a_dump_loads_back_with_soft_delete_and_deleted_rows() {
    let (db, _) = db();
    users(&db);
    db.session().execute("DELETE FROM users WHERE id = 2", &[]).unwrap();
    let sql = amberdb::export::dump(&db.state(), db.now());
    let (copy, _) = self::db();
    let mut s = copy.session();
    for piece in amberdb::split(&sql) {
        s.execute(piece.text, &[]).unwrap_or_else(|e| panic!("{}: {e}", piece.text));
    }
    assert_eq!(ids(&copy, "SELECT id FROM users"), vec![1, 3]);
    copy.session().execute("UNDELETE FROM users", &[]).unwrap();
    assert_eq!(ids(&copy, "SELECT id FROM users ORDER BY id"), vec![1, 2, 3]);
}
