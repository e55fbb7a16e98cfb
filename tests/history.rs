//! The past as data: `commits()` (labels, times, tables), `history(t)` (each change of
//! each row), `AS OF TIMESTAMP` / `FOR SYSTEM_TIME AS OF`, retention by age, and all of
//! it across reopening a data directory.

use std::collections::BTreeMap;
use std::sync::Arc;

use amberdb::storage::time::{parse_timestamp, ManualClock};
use amberdb::{Database, Retention, Value};
use proptest::prelude::*;

const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;

fn at(text: &str) -> i64 {
    parse_timestamp(text).unwrap()
}

fn clocked(db: &Database, start: &str) -> Arc<ManualClock> {
    let clock = Arc::new(ManualClock::new(at(start)));
    db.set_clock(clock.clone());
    clock
}

fn rows(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    db.session().query(sql, &[]).unwrap().rows
}

fn int(n: i64) -> Value {
    Value::Integer(n)
}

#[test]
fn commits_record_time_label_and_tables() {
    let db = Database::open_in_memory();
    let clock = clocked(&db, "2026-12-01 10:00:00");
    let mut s = db.session();
    s.set_label(Some("billing"));
    s.execute("CREATE TABLE a (id INTEGER PRIMARY KEY)", &[]).unwrap();
    s.execute("CREATE TABLE b (id INTEGER PRIMARY KEY)", &[]).unwrap();
    clock.advance(MINUTE);
    s.execute("BEGIN", &[]).unwrap();
    s.execute("INSERT INTO a VALUES (1), (2)", &[]).unwrap();
    s.execute("INSERT INTO b VALUES (1)", &[]).unwrap();
    s.execute("COMMIT", &[]).unwrap();
    let mut other = db.session();
    other.execute("SET application_name = 'ops'", &[]).unwrap();
    other.execute("DELETE FROM a WHERE id = 2", &[]).unwrap();
    assert_eq!(other.label(), Some("ops"));

    let got = rows(&db, "SELECT version, committed_at, label, tables, rows FROM commits() WHERE version >= 3");
    let ts = |t: &str| Value::Timestamp(at(t));
    assert_eq!(
        got,
        vec![
            vec![int(3), ts("2026-12-01 10:01:00"), Value::text("billing"), Value::text(r#"{"a":2,"b":1}"#), int(3)],
            vec![int(4), ts("2026-12-01 10:01:00"), Value::text("ops"), Value::text(r#"{"a":1}"#), int(1)],
        ]
    );
    // The tables column is JSON: which commits touched b?
    let touched = rows(&db, "SELECT version FROM commits(), json_each(commits.tables) WHERE json_each.key = 'b'");
    assert_eq!(touched, vec![vec![int(2)], vec![int(3)]]);
}

#[test]
fn commit_times_never_go_backwards() {
    let db = Database::open_in_memory();
    let clock = clocked(&db, "2026-12-01 10:00:00");
    db.session().execute("CREATE TABLE t (n INTEGER)", &[]).unwrap();
    clock.set(at("2026-11-01 00:00:00"));
    db.session().execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    let times = rows(&db, "SELECT committed_at FROM commits() ORDER BY version");
    assert_eq!(times[0], times[1], "a clock that stepped back does not reorder commits");
}

#[test]
fn as_of_a_time_reads_the_version_committed_by_then() {
    let db = Database::open_in_memory();
    let clock = clocked(&db, "2026-12-01 10:00:00");
    let mut s = db.session();
    s.execute("CREATE TABLE price (item TEXT PRIMARY KEY, cents INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO price VALUES ('tea', 300)", &[]).unwrap();
    clock.set(at("2026-12-01 11:00:00"));
    s.execute("UPDATE price SET cents = 350", &[]).unwrap();
    clock.set(at("2026-12-01 12:00:00"));
    s.execute("UPDATE price SET cents = 400", &[]).unwrap();

    let cents = |sql: &str| rows(&db, sql)[0][0].clone();
    assert_eq!(cents("SELECT cents FROM price AS OF TIMESTAMP '2026-12-01 10:30'"), int(300));
    assert_eq!(cents("SELECT cents FROM price FOR SYSTEM_TIME AS OF '2026-12-01 11:00:00'"), int(350));
    assert_eq!(cents("SELECT cents FROM price FOR SYSTEM_TIME AS OF '2026-12-01 11:59:59'"), int(350));
    assert_eq!(cents("SELECT cents FROM price AS OF TIMESTAMP '2030-01-01'"), int(400));
    // Before the first commit: the empty database, which has no such table.
    let err = db.session().query("SELECT * FROM price AS OF TIMESTAMP '2026-12-01 09:00'", &[]).unwrap_err();
    assert!(err.to_string().contains("no such table"), "{err}");
    let err = db.session().query("SELECT * FROM price AS OF TIMESTAMP 'noon'", &[]).unwrap_err();
    assert!(err.to_string().contains("AS OF TIMESTAMP takes a time"), "{err}");

    // Once the versions before a time are let go, asking for it is a clear error.
    db.set_history(Retention::Versions(1));
    let err = db.session().query("SELECT * FROM price AS OF TIMESTAMP '2026-12-01 10:30'", &[]).unwrap_err();
    assert!(err.to_string().contains("no kept version was committed by 2026-12-01 10:30:00"), "{err}");
}

#[test]
fn retention_by_age_keeps_what_a_time_in_the_window_reads() {
    let db = Database::open_in_memory();
    let clock = clocked(&db, "2026-12-01 00:00:00");
    db.set_history("2 hours".parse().unwrap());
    let mut s = db.session();
    s.execute("CREATE TABLE t (n INTEGER)", &[]).unwrap();
    for n in 0..6 {
        clock.advance(60 * MINUTE);
        s.execute(&format!("INSERT INTO t VALUES ({n})"), &[]).unwrap();
    }
    // Now is 06:00; the window reaches back to 04:00, which reads the version of 04:00.
    let versions = rows(&db, "SELECT version, committed_at FROM commits()");
    let first = &versions[0];
    assert_eq!(first[1], Value::Timestamp(at("2026-12-01 04:00:00")), "{versions:?}");
    assert_eq!(versions.len(), 3);
    let count = rows(&db, "SELECT count(*) FROM t AS OF TIMESTAMP '2026-12-01 04:30'");
    assert_eq!(count, vec![vec![int(4)]]);
    s.execute("SET history = 50", &[]).unwrap();
    assert_eq!(db.history(), Retention::Versions(50));
    assert_eq!(rows(&db, "SHOW history"), vec![vec![Value::text("50 versions")]]);
    assert!(s.execute("SET history = 'sometimes'", &[]).is_err());
}

#[test]
fn history_lists_each_change_with_old_and_new_values() {
    let db = Database::open_in_memory();
    let clock = clocked(&db, "2026-12-01 09:00:00");
    let mut s = db.session();
    s.set_label(Some("shop"));
    s.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, state TEXT)", &[]).unwrap();
    s.execute("INSERT INTO orders VALUES (1, 'new'), (2, 'new')", &[]).unwrap();
    clock.advance(5 * MINUTE);
    s.execute("UPDATE orders SET state = 'paid' WHERE id = 1", &[]).unwrap();
    clock.advance(55 * MINUTE);
    s.execute("UPDATE orders SET state = 'shipped' WHERE id = 1", &[]).unwrap();
    s.execute("DELETE FROM orders WHERE id = 2", &[]).unwrap();

    let got = rows(
        &db,
        "SELECT version, operation, old_state, new_state FROM history(orders) WHERE coalesce(new_id, old_id) = 1",
    );
    let t = |s: &str| Value::text(s);
    assert_eq!(
        got,
        vec![
            vec![int(2), t("insert"), Value::Null, t("new")],
            vec![int(3), t("update"), t("new"), t("paid")],
            vec![int(4), t("update"), t("paid"), t("shipped")],
        ]
    );
    // How long each order stayed in each state (timestamps subtract to microseconds):
    // plain SQL over history with lead().
    let stays = rows(
        &db,
        "SELECT new_state, (lead(committed_at) OVER (ORDER BY version) - committed_at) / 1000000 AS seconds
           FROM history(orders) WHERE new_id = 1 ORDER BY version",
    );
    let stayed: Vec<Value> = stays.into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(stayed[..2], [int(5 * 60), int(55 * 60)], "{stayed:?}");
    assert_eq!(stayed[2], Value::Null);
    assert_eq!(rows(&db, "SELECT DISTINCT label FROM history(orders)"), vec![vec![t("shop")]]);
}

#[test]
fn history_names_tables_like_from_does() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE NAMESPACE billing", &[]).unwrap();
    s.execute("USE billing", &[]).unwrap();
    s.execute("CREATE TABLE inv (n INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO inv VALUES (7)", &[]).unwrap();
    let got = s.query("SELECT operation, new_n FROM history(inv)", &[]).unwrap().rows;
    assert_eq!(got, vec![vec![Value::text("insert"), int(7)]]);
    s.execute("USE main", &[]).unwrap();
    let got = s.query("SELECT new_n FROM history('billing.inv')", &[]).unwrap().rows;
    assert_eq!(got, vec![vec![int(7)]]);
    let err = s.query("SELECT * FROM history(inv)", &[]).unwrap_err();
    assert!(err.to_string().contains("no such table: inv"), "{err}");
    let err = s.query("SELECT * FROM history(1 + 1)", &[]).unwrap_err();
    assert!(err.to_string().contains("history() takes the name of a table"), "{err}");
}

#[test]
fn commit_records_survive_reopening_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        clocked(&db, "2026-12-01 08:00:00");
        let mut s = db.session();
        s.set_label(Some("importer"));
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1, 'a')", &[]).unwrap();
        s.execute("UPDATE t SET v = 'b'", &[]).unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let got = rows(&db, "SELECT version, committed_at, label, rows FROM commits()");
    let when = Value::Timestamp(at("2026-12-01 08:00:00"));
    let label = Value::text("importer");
    assert_eq!(
        got,
        vec![
            vec![int(1), when.clone(), label.clone(), int(0)],
            vec![int(2), when.clone(), label.clone(), int(1)],
            vec![int(3), when, label, int(1)],
        ]
    );
    let changes = rows(&db, "SELECT version, operation, old_v, new_v FROM history(t)");
    assert_eq!(changes.len(), 2);
    assert_eq!(rows(&db, "SELECT v FROM t AS OF TIMESTAMP '2026-12-01 08:00'"), vec![vec![Value::text("b")]]);
    // A checkpoint keeps the record of the commit it was taken at.
    db.session().execute("CHECKPOINT", &[]).unwrap();
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    let got = rows(&db, "SELECT version, committed_at, label FROM commits()");
    assert_eq!(got, vec![vec![int(3), Value::Timestamp(at("2026-12-01 08:00:00")), Value::text("importer")]]);
    assert_eq!(rows(&db, "SELECT v FROM t AS OF TIMESTAMP '2026-12-01 08:00'"), vec![vec![Value::text("b")]]);
}

/// One write of the property test: insert or replace, update, or delete a key.
#[derive(Clone, Debug)]
enum Write {
    Put(i64, i64),
    Add(i64),
    Delete(i64),
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        (0..8i64, 0..100i64).prop_map(|(k, v)| Write::Put(k, v)),
        (0..100i64).prop_map(Write::Add),
        (0..8i64).prop_map(Write::Delete),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Replaying `history(t)` from its start rebuilds the table at every kept version.
    #[test]
    fn replaying_history_rebuilds_every_version(
        commits in prop::collection::vec(prop::collection::vec(write(), 1..4), 1..25),
        keep in 3usize..40,
    ) {
        let db = Database::open_in_memory();
        db.set_history(Retention::Versions(keep));
        db.session().execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)", &[]).unwrap();
        run_commits(&db, &commits);
        let history = rows(&db, "SELECT version, operation, old_k, new_k, new_v FROM history(t)");
        let versions: Vec<i64> = rows(&db, "SELECT version FROM commits()")
            .into_iter()
            .map(|r| match r[0] { Value::Integer(v) => v, _ => unreachable!() })
            .collect();
        let oldest = *versions.first().unwrap() - 1;
        let mut table: BTreeMap<i64, i64> = BTreeMap::new();
        let mut changes = history.iter().peekable();
        for v in std::iter::once(oldest).chain(versions) {
            while let Some(change) = changes.next_if(|c| c[0] == int(v)) {
                let key = |i: usize| match &change[i] { Value::Integer(k) => *k, other => panic!("{other:?}") };
                match &change[1] {
                    Value::Text(op) if op.as_str() == "delete" => { table.remove(&key(2)); }
                    _ => { table.insert(key(3), key(4)); }
                }
            }
            let Ok(then) = db.session().query(&format!("SELECT k, v FROM t AS OF VERSION {v} ORDER BY k"), &[]) else {
                continue;
            };
            let then: Vec<Vec<Value>> = then.rows;
            let rebuilt: Vec<Vec<Value>> = table.iter().map(|(k, v)| vec![int(*k), int(*v)]).collect();
            prop_assert_eq!(rebuilt, then, "at version {}", v);
        }
        prop_assert!(changes.next().is_none());

        // One row's history, looked up per version (history(t, k) and the pushed-down
        // WHERE k = …), is the whole history's rows for that key.
        let all = rows(&db, "SELECT * FROM history(t)");
        for k in 0..8i64 {
            let theirs: Vec<Vec<Value>> = all.iter().filter(|r| r[4] == int(k)).cloned().collect();
            prop_assert_eq!(&rows(&db, &format!("SELECT * FROM history(t, {k})")), &theirs, "key {}", k);
            let mut s = db.session();
            let pushed = s.query("SELECT * FROM history(t) WHERE k = ? AND version > 0", &[int(k)]).unwrap().rows;
            prop_assert_eq!(&pushed, &theirs, "key {} through WHERE", k);
        }
    }
}

/// Runs the property tests' writes, one transaction per commit.
fn run_commits(db: &Database, commits: &[Vec<Write>]) {
    let mut s = db.session();
    for writes in commits {
        s.execute("BEGIN", &[]).unwrap();
        for w in writes {
            let sql = match w {
                Write::Put(k, v) => format!("INSERT OR REPLACE INTO t VALUES ({k}, {v})"),
                Write::Add(n) => format!("UPDATE t SET v = v + {n} WHERE k % 3 = {}", n % 3),
                Write::Delete(k) => format!("DELETE FROM t WHERE k = {k}"),
            };
            s.execute(&sql, &[]).unwrap();
        }
        s.execute("COMMIT", &[]).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A table's own history (`WITH (history = …)`) lists exactly the changes the kept
    /// versions show, whole and per key, and keeps them after the versions are gone.
    #[test]
    fn a_journal_agrees_with_the_versions(
        commits in prop::collection::vec(prop::collection::vec(write(), 1..4), 1..20),
    ) {
        let journaled = Database::open_in_memory();
        let plain = Database::open_in_memory();
        let clock = clocked(&journaled, "2026-12-01 10:00:00");
        plain.set_clock(clock.clone());
        journaled.session().execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER) WITH (history = '1 day')", &[]).unwrap();
        plain.session().execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)", &[]).unwrap();
        run_commits(&journaled, &commits);
        run_commits(&plain, &commits);
        let all = "SELECT * FROM history(t)";
        prop_assert_eq!(rows(&journaled, all), rows(&plain, all));
        for k in 0..8i64 {
            let one = format!("SELECT * FROM history(t) WHERE k = {k}");
            prop_assert_eq!(rows(&journaled, &one), rows(&plain, &one), "key {}", k);
        }
        // Keeping one version releases the others; the journal still has every change.
        journaled.set_history(Retention::Versions(1));
        journaled.session().execute("CREATE TABLE other (x INTEGER)", &[]).unwrap();
        prop_assert_eq!(rows(&journaled, all), rows(&plain, all));
    }
}

#[test]
fn a_journal_outlives_versions_follows_alter_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at("2026-12-01 10:00:00")));
    {
        let db = Database::open(dir.path()).unwrap();
        db.set_clock(clock.clone());
        db.set_history(Retention::Versions(2));
        let mut s = db.session();
        s.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, state TEXT) WITH (history = '30 days')", &[]).unwrap();
        s.execute("INSERT INTO orders VALUES (1, 'new'), (2, 'new')", &[]).unwrap();
        for state in ["paid", "packed", "shipped"] {
            clock.advance(MINUTE);
            s.execute("UPDATE orders SET state = ? WHERE id = 1", &[Value::text(state)]).unwrap();
        }
        s.execute("CHECKPOINT", &[]).unwrap();
        s.execute("ALTER TABLE orders ADD COLUMN note TEXT", &[]).unwrap();
        s.execute("ALTER TABLE orders RENAME COLUMN state TO status", &[]).unwrap();
        s.execute("UPDATE orders SET status = 'delivered', note = 'porch' WHERE id = 1", &[]).unwrap();
        s.execute("DELETE FROM orders WHERE id = 2", &[]).unwrap();
        // Two versions are kept, so version 2 is gone, but its changes are not.
        assert!(db.session().query("SELECT * FROM orders AS OF VERSION 2", &[]).is_err());
    }
    let db = Database::open(dir.path()).unwrap();
    db.set_clock(clock.clone());
    let expected = vec![
        vec![int(2), Value::text("insert"), Value::Null, Value::text("new"), Value::Null],
        vec![int(3), Value::text("update"), Value::text("new"), Value::text("paid"), Value::Null],
        vec![int(4), Value::text("update"), Value::text("paid"), Value::text("packed"), Value::Null],
        vec![int(5), Value::text("update"), Value::text("packed"), Value::text("shipped"), Value::Null],
        vec![int(8), Value::text("update"), Value::text("shipped"), Value::text("delivered"), Value::text("porch")],
    ];
    let sql = "SELECT version, operation, old_status, new_status, new_note FROM history(orders) WHERE id = 1";
    assert_eq!(rows(&db, sql), expected);
    let gone =
        rows(&db, "SELECT version, operation, old_status FROM history(orders) WHERE id = 2 AND operation = 'delete'");
    assert_eq!(gone, vec![vec![int(9), Value::text("delete"), Value::text("new")]]);

    // Entries go when their time is up, as rows with a TTL do.
    clock.advance(31 * 24 * 60 * MINUTE);
    assert_eq!(rows(&db, "SELECT count(*) FROM history(orders)"), vec![vec![int(0)]]);
    assert!(db.sweep_expired().unwrap() > 0);

    // Renaming the table takes the journal along; turning history off drops it.
    let mut s = db.session();
    s.execute("ALTER TABLE orders RENAME TO purchases", &[]).unwrap();
    s.execute("UPDATE purchases SET note = 'signed'", &[]).unwrap();
    assert_eq!(rows(&db, "SELECT new_note FROM history(purchases) WHERE id = 1"), vec![vec![Value::text("signed")]]);
    assert!(db.state().table("purchases$history").is_some());
    s.execute("ALTER TABLE purchases SET (history = off)", &[]).unwrap();
    assert!(db.state().table("purchases$history").is_none());
    let e = s.execute("CREATE TABLE nokey (a INTEGER) WITH (history = '1 day')", &[]).unwrap_err();
    assert!(e.to_string().contains("primary key"), "{e}");
    let e = s.execute("ALTER TABLE purchases SET (history = 'forever')", &[]).unwrap_err();
    assert!(e.to_string().contains("90 days"), "{e}");
}

#[test]
fn for_system_time_between_lists_every_version_of_each_row_in_the_range() {
    let db = Database::open_in_memory();
    let clock = clocked(&db, "2026-12-01 09:00:00");
    let mut s = db.session();
    s.execute("CREATE TABLE prices (item TEXT PRIMARY KEY, cents INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO prices VALUES ('tea', 300), ('cake', 450)", &[]).unwrap();
    clock.advance(60 * MINUTE); // 10:00
    s.execute("UPDATE prices SET cents = 320 WHERE item = 'tea'", &[]).unwrap();
    clock.advance(60 * MINUTE); // 11:00
    s.execute("DELETE FROM prices WHERE item = 'cake'", &[]).unwrap();
    clock.advance(60 * MINUTE); // 12:00
    s.execute("UPDATE prices SET cents = 350 WHERE item = 'tea'", &[]).unwrap();

    let q = |range: &str| {
        rows(&db, &format!("SELECT item, cents FROM prices FOR SYSTEM_TIME {range} ORDER BY item, cents"))
    };
    let row = |item: &str, cents: i64| vec![Value::text(item), int(cents)];
    // 09:30 to 11:00 inclusive: as at 09:30, the 10:00 change and the 11:00 delete.
    assert_eq!(
        q("BETWEEN '2026-12-01 09:30' AND '2026-12-01 11:00'"),
        vec![row("cake", 450), row("tea", 300), row("tea", 320)]
    );
    // FROM … TO leaves out a commit at its end.
    assert_eq!(q("FROM '2026-12-01 10:30' TO '2026-12-01 12:00'"), vec![row("cake", 450), row("tea", 320)]);
    assert_eq!(
        q("BETWEEN '2026-12-01 10:30' AND '2026-12-01 12:00'"),
        vec![row("cake", 450), row("tea", 320), row("tea", 350)]
    );
    // Before anything was committed: nothing.
    assert_eq!(q("BETWEEN '2020-01-01' AND '2020-01-02'"), Vec::<Vec<Value>>::new());
    // A later commit in the range shows on the next run of the same statement.
    let sql = "SELECT count(*) FROM prices FOR SYSTEM_TIME BETWEEN '2026-12-01 12:30' AND '2026-12-01 14:00'";
    assert_eq!(rows(&db, sql), vec![vec![int(1)]]);
    clock.advance(60 * MINUTE); // 13:00
    s.execute("UPDATE prices SET cents = 360 WHERE item = 'tea'", &[]).unwrap();
    assert_eq!(rows(&db, sql), vec![vec![int(2)]]);

    let e = s.execute("SELECT * FROM prices FOR SYSTEM_TIME BETWEEN 'noon' AND 'later'", &[]).unwrap_err();
    assert!(e.to_string().contains("FOR SYSTEM_TIME takes times"), "{e}");
    let e = s.execute("SELECT * FROM prices FOR SYSTEM_TIME FROM '2026-12-02' TO '2026-12-01'", &[]).unwrap_err();
    assert!(e.to_string().contains("ends before it starts"), "{e}");
    // A view keeps the range as written.
    s.execute(
        "CREATE VIEW morning AS SELECT * FROM prices FOR SYSTEM_TIME FROM '2026-12-01 09:00' TO '2026-12-01 12:00'",
        &[],
    )
    .unwrap();
    assert_eq!(rows(&db, "SELECT count(*) FROM morning"), vec![vec![int(3)]]);
}

#[test]
fn retention_by_age_keeps_the_versions_replayed_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at("2026-12-01 10:00:00")));
    {
        let db = Database::open(dir.path()).unwrap();
        db.set_clock(clock.clone());
        db.set_history(Retention::Age(7 * 24 * 60 * MINUTE));
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1, 0)", &[]).unwrap();
        for _ in 0..150 {
            clock.advance(MINUTE);
            s.execute("UPDATE t SET n = n + 1", &[]).unwrap();
        }
    }
    let age = Retention::Age(7 * 24 * 60 * MINUTE);
    let options = amberdb::Options { keep_versions: age.replayed_versions(), ..Default::default() };
    let db = Database::open_with(dir.path(), options).unwrap();
    db.set_clock(clock.clone());
    db.set_history(age);
    // All 152 versions are within the week: the oldest is still readable.
    assert_eq!(rows(&db, "SELECT n FROM t AS OF VERSION 2"), vec![vec![int(0)]]);
    assert_eq!(rows(&db, "SELECT n FROM t AS OF TIMESTAMP '2026-12-01 10:30'"), vec![vec![int(30)]]);
    // Kept by count (the default), only the newest 100 are.
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert!(db.session().query("SELECT n FROM t AS OF VERSION 2", &[]).is_err());
}
