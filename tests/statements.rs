//! Atomic statements, transactions and concurrency through the library API.

use std::thread;

mod common;

use amberdb::{Database, Error, ErrorKind, Outcome, Value};

fn count(db: &Database, table: &str) -> i64 {
    let rows = db.session().query(&format!("SELECT count(*) FROM {table}"), &[]).unwrap();
    match rows.rows[0][0] {
        Value::Integer(n) => n,
        ref v => panic!("count(*) returned {v:?}"),
    }
}

fn big_insert(bad_row: usize, bad: &str) -> String {
    let rows: Vec<String> =
        (1..=10_000).map(|i| if i == bad_row { bad.to_string() } else { format!("({i}, 'user{i}')") }).collect();
    format!("INSERT INTO users (id, name) VALUES {}", rows.join(", "))
}

#[test]
fn a_10000_row_insert_with_one_bad_row_changes_nothing_and_names_it() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)", &[]).unwrap();

    let err = s.execute(&big_insert(7312, "(7312, NULL)"), &[]).unwrap_err();
    assert_eq!(err.to_string(), "row 7312: NOT NULL constraint failed: users.name");
    assert_eq!(count(&db, "users"), 0);

    let err = s.execute(&big_insert(7312, "(7312, 'user1')"), &[]).unwrap_err();
    assert_eq!(err.to_string(), "row 7312: UNIQUE constraint failed: users.name (duplicate value 'user1')");
    assert!(matches!(err.kind(), ErrorKind::InRow { row: 7312, .. }));
    assert_eq!(count(&db, "users"), 0);

    let out = s.execute(&big_insert(0, ""), &[]).unwrap();
    assert_eq!(out, Outcome::Changed { verb: "inserted", count: 10_000 });
    assert_eq!(count(&db, "users"), 10_000);
}

#[test]
fn a_key_clash_is_reported_before_a_unique_clash_and_a_failed_insert_leaves_nothing() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, e TEXT UNIQUE)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'a')", &[]).unwrap();
    // Both the key and the unique column clash: the key is named, as SQLite does.
    let err = s.execute("INSERT INTO t VALUES (1, 'a')", &[]).unwrap_err();
    assert!(err.to_string().starts_with("PRIMARY KEY constraint failed: t.id"), "{err}");
    // A new key with a clashing unique value, inside a transaction (prepared) and out.
    let insert = s.prepare("INSERT INTO t VALUES (?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    let err = s.execute_prepared(&insert, &[Value::Integer(2), Value::text("a")]).unwrap_err();
    assert!(err.to_string().starts_with("UNIQUE constraint failed: t.e"), "{err}");
    s.execute_prepared(&insert, &[Value::Integer(3), Value::text("b")]).unwrap();
    s.execute("COMMIT", &[]).unwrap();
    let err = s.execute("INSERT INTO t VALUES (4, 'b')", &[]).unwrap_err();
    assert!(err.to_string().starts_with("UNIQUE constraint failed: t.e"), "{err}");
    assert_eq!(count(&db, "t"), 2);
    let ids = s.query("SELECT id FROM t ORDER BY id", &[]).unwrap().rows;
    assert_eq!(ids, vec![vec![Value::Integer(1)], vec![Value::Integer(3)]]);
    let check = s.query("CHECK DATABASE", &[]).unwrap().rows;
    assert_eq!(check, vec![vec![Value::text("ok")]]);
}

#[test]
fn parameters_bind_by_position_and_number() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)", &[]).unwrap();
    for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
        s.execute("INSERT INTO kv VALUES (?, ?)", &[Value::text(k), Value::Integer(v)]).unwrap();
    }
    let rows = s
        .query("SELECT k FROM kv WHERE v >= $1 AND k <> ?2 ORDER BY k", &[Value::Integer(2), Value::text("c")])
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Value::text("b")]]);
    let err = s.query("SELECT ?3", &[]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::MissingParameter(3));
}

#[test]
fn rollback_discards_and_commit_publishes() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
    s.execute("BEGIN", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    assert_eq!(count(&db, "t"), 0, "other sessions do not see uncommitted rows");
    s.execute("ROLLBACK", &[]).unwrap();
    assert_eq!(count(&db, "t"), 0);
    s.execute("BEGIN", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    s.execute("COMMIT", &[]).unwrap();
    assert_eq!(count(&db, "t"), 1);
}

#[test]
fn first_committer_wins() {
    let db = Database::open_in_memory();
    let mut setup = db.session();
    setup.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER)", &[]).unwrap();
    setup.execute("INSERT INTO acct VALUES (1, 100)", &[]).unwrap();

    let (mut a, mut b) = (db.session(), db.session());
    a.execute("BEGIN", &[]).unwrap();
    b.execute("BEGIN", &[]).unwrap();
    a.execute("UPDATE acct SET balance = balance + 10 WHERE id = 1", &[]).unwrap();
    b.execute("UPDATE acct SET balance = balance + 20 WHERE id = 1", &[]).unwrap();
    a.execute("COMMIT", &[]).unwrap();
    let err = b.execute("COMMIT", &[]).unwrap_err();
    assert!(err.to_string().contains("row 1 of table acct was changed"), "{err}");
    assert!(!b.in_transaction());
    let rows = setup.query("SELECT balance FROM acct", &[]).unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(110)]]);
}

#[test]
fn concurrent_autocommit_updates_lose_nothing() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO c VALUES (1, 0)", &[]).unwrap();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            thread::spawn(move || {
                let mut s = db.session();
                for _ in 0..250 {
                    s.execute("UPDATE c SET n = n + 1 WHERE id = 1", &[]).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let rows = s.query("SELECT n FROM c", &[]).unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(1000)]]);
}

#[test]
fn an_interrupted_statement_changes_nothing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    for _ in 0..17 {
        s.execute("INSERT INTO t SELECT a + 1 FROM t", &[]).unwrap();
    }
    assert_eq!(count(&db, "t"), 131_072);

    // A flag raised before a statement starts is cleared: only Ctrl-C during it counts.
    let flag = s.interrupt_flag();
    flag.store(true, Ordering::Relaxed);
    assert!(s.query("SELECT count(*) FROM t", &[]).is_ok());

    // Keep raising the flag, as Ctrl-C would while the DELETE runs. The DELETE takes a
    // few milliseconds: on a busy machine the pressing thread may not run at all while
    // it does, so a DELETE that finished is undone and tried again.
    s.execute("CREATE SNAPSHOT full", &[]).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let presser = {
        let (flag, done) = (flag.clone(), done.clone());
        thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                flag.store(true, Ordering::Relaxed);
                thread::yield_now();
            }
        })
    };
    let mut result = s.execute("DELETE FROM t", &[]);
    for _ in 0..50 {
        if result.is_err() {
            break;
        }
        s.execute("RESTORE SNAPSHOT full", &[]).unwrap();
        result = s.execute("DELETE FROM t", &[]);
    }
    done.store(true, Ordering::Relaxed);
    presser.join().unwrap();
    assert_eq!(result.map_err(Error::into_kind), Err(ErrorKind::Interrupted));
    assert_eq!(count(&db, "t"), 131_072);
}

#[test]
fn handles_are_shareable_between_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Database>();
    fn sendable<T: Send>() {}
    sendable::<amberdb::Session>();
    sendable::<amberdb::Prepared>();
}

#[test]
fn typed_rows_and_prepared_statements() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT, score REAL, ok BOOLEAN)", &[]).unwrap();
    let insert = s.prepare("INSERT INTO p (name, score, ok) VALUES (?, ?, ?)").unwrap();
    for (name, score) in [("ada", 9.5), ("bob", 7.0)] {
        s.execute_prepared(&insert, &[Value::text(name), Value::Real(score), Value::Boolean(score > 8.0)]).unwrap();
    }
    let by_name = s.prepare("SELECT id, score, ok FROM p WHERE name = $1").unwrap();
    let rs = s.query_prepared(&by_name, &[Value::text("ada")]).unwrap();
    assert_eq!(rs.get::<i64>(0, "id").unwrap(), 1);
    assert_eq!(rs.get::<f64>(0, "SCORE").unwrap(), 9.5);
    assert!(rs.get::<bool>(0, "ok").unwrap());
    assert!(rs.get::<i64>(0, "nope").is_err());
    assert!(rs.get::<i64>(5, "id").is_err());
    // A prepared statement survives a schema change by planning again.
    s.execute("CREATE TABLE other (x INTEGER)", &[]).unwrap();
    let rs = s.query_prepared(&by_name, &[Value::text("bob")]).unwrap();
    assert_eq!(rs.get::<Option<bool>>(0, "ok").unwrap(), Some(false));
}

#[test]
fn the_shell_lists_snapshots() {
    let out = amberdb::shell::testing::Buffer::default();
    let db = Database::open_in_memory();
    let mut runner = amberdb::shell::Runner::new(
        db.session(),
        amberdb::shell::Settings { mode: amberdb::shell::Mode::Csv, ..Default::default() },
        Box::new(out.clone()),
        Box::new(out.clone()),
    );
    runner
        .run_script("CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2); CREATE SNAPSHOT first; .snapshots", "s.q");
    let text = out.text();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("name,version,created,rows"));
    let row = lines.next().unwrap();
    assert!(row.starts_with("first,2,") && row.ends_with(",2"), "{row}");
    assert_eq!(runner.errors, 0);
}

#[test]
fn concurrent_transactions_cannot_orphan_a_child() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", &[]).unwrap();
    s.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent (id))", &[]).unwrap();
    s.execute("INSERT INTO parent VALUES (1)", &[]).unwrap();
    for deleter_first in [true, false] {
        let (mut a, mut b) = (db.session(), db.session());
        a.execute("BEGIN", &[]).unwrap();
        b.execute("BEGIN", &[]).unwrap();
        a.execute("DELETE FROM parent WHERE id = 1", &[]).unwrap();
        b.execute("INSERT INTO child VALUES (?, 1)", &[Value::Integer(deleter_first as i64 + 10)]).unwrap();
        let (first, second) = if deleter_first { (&mut a, &mut b) } else { (&mut b, &mut a) };
        first.execute("COMMIT", &[]).unwrap();
        let err = second.execute("COMMIT", &[]).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Conflict(_)), "{err}");
        let check = s.query("CHECK DATABASE", &[]).unwrap();
        assert_eq!(check.rows, vec![vec![Value::text("ok")]]);
        // Put the parent back (and drop the child) for the next round.
        s.execute("DELETE FROM child", &[]).unwrap();
        if s.query("SELECT count(*) FROM parent", &[]).unwrap().rows[0][0] == Value::Integer(0) {
            s.execute("INSERT INTO parent VALUES (1)", &[]).unwrap();
        }
    }
}

#[test]
fn the_longest_allowed_expression_chain_runs_on_a_test_thread_stack() {
    // 999 operators: just under the limit, in the debug build, on a test thread's 2 MiB
    // stack (and on a SELECT's WHERE, where evaluation recurses through the chain).
    let db = amberdb::Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1), (2)", &[]).unwrap();
    let chain = vec!["a = 3"; 499].join(" OR ");
    let rows = s.query(&format!("SELECT a FROM t WHERE {chain} OR a = 2"), &[]).unwrap();
    assert_eq!(rows.rows, vec![vec![amberdb::Value::Integer(2)]]);
}

/// Inside a transaction each statement changes the private copy in place; a failing one
/// is undone by rebuilding the copy, which must agree with savepoints taken before it.
#[test]
fn failing_statements_inside_a_transaction_with_savepoints_change_nothing() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'one')", &[]).unwrap();
    let names = |s: &mut amberdb::Session| -> Vec<String> {
        let rows = s.query("SELECT name FROM t ORDER BY id", &[]).unwrap().rows;
        rows.iter().map(|r| r[0].to_string()).collect()
    };
    s.execute("BEGIN", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (2, 'two')", &[]).unwrap();
    s.execute("SAVEPOINT a", &[]).unwrap();
    s.execute("UPDATE t SET name = name || '!'", &[]).unwrap();
    // Fails on its second row, after the first was stored in the private copy.
    assert!(s.execute("INSERT INTO t VALUES (3, 'three'), (4, 'one!')", &[]).is_err());
    assert_eq!(names(&mut s), ["one!", "two!"]);
    s.execute("ROLLBACK TO a", &[]).unwrap();
    assert_eq!(names(&mut s), ["one", "two"]);
    assert!(s.execute("UPDATE t SET id = 1 WHERE id = 2", &[]).is_err());
    s.execute("INSERT INTO t VALUES (5, 'five')", &[]).unwrap();
    assert_eq!(names(&mut s), ["one", "two", "five"]);
    assert_eq!(count(&db, "t"), 1, "nothing is visible before COMMIT");
    s.execute("COMMIT", &[]).unwrap();
    assert_eq!(count(&db, "t"), 3);
    assert_eq!(names(&mut db.session()), ["one", "two", "five"]);
}

/// An UPDATE moves only the index entries whose values changed; a value that compares
/// equal but has another type (1 and 1.0) is a change, since covering reads show it.
#[test]
fn updates_keep_every_index_in_step_with_its_rows() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b TEXT, c INTEGER)", &[]).unwrap();
    s.execute("CREATE INDEX t_a ON t (a)", &[]).unwrap();
    s.execute("CREATE UNIQUE INDEX t_bc ON t (b, c)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 1, 'x', 1), (2, 2, 'y', 2)", &[]).unwrap();
    s.execute("UPDATE t SET c = c + 10", &[]).unwrap(); // t_a unchanged, t_bc moves
    s.execute("UPDATE t SET a = 1.0 WHERE id = 1", &[]).unwrap(); // equal, not the same
    s.execute("UPDATE t SET b = b", &[]).unwrap(); // nothing moves
    let shown = |s: &mut amberdb::Session, sql: &str| -> Vec<String> {
        s.query(sql, &[]).unwrap().rows.iter().map(|r| r.iter().map(|v| v.to_string()).collect()).collect()
    };
    assert_eq!(shown(&mut s, "SELECT a FROM t WHERE a = 1"), ["1.0"]);
    assert_eq!(shown(&mut s, "SELECT b, c FROM t WHERE b = 'y' AND c = 12"), ["y12"]);
    assert!(s.execute("UPDATE t SET c = 11, b = 'x' WHERE id = 2", &[]).is_err(), "a unique pair stays unique");
    assert_eq!(shown(&mut s, "CHECK DATABASE"), ["ok"]);
}

#[test]
fn a_trigger_failing_on_one_row_of_a_batch_changes_nothing_and_names_the_row() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)", &[]).unwrap();
    s.execute("CREATE TABLE names (name TEXT UNIQUE)", &[]).unwrap();
    // Every row writes a second table; row 7312 repeats a name, which that table refuses.
    s.execute("CREATE TRIGGER users_named AFTER INSERT ON users BEGIN INSERT INTO names VALUES (NEW.name); END", &[])
        .unwrap();
    let err = s.execute(&big_insert(7312, "(7312, 'user1')"), &[]).unwrap_err();
    assert_eq!(err.to_string(), "row 7312: UNIQUE constraint failed: names.name (duplicate value 'user1')");
    assert_eq!((count(&db, "users"), count(&db, "names")), (0, 0));

    s.execute(
        "CREATE TRIGGER no_bob BEFORE INSERT ON users WHEN NEW.name = 'bob' BEGIN SELECT RAISE(FAIL, 'no bob'); END",
        &[],
    )
    .unwrap();
    let err = s.execute(&big_insert(9000, "(9000, 'bob')"), &[]).unwrap_err();
    assert_eq!(err.to_string(), "row 9000: no bob");
    assert_eq!((count(&db, "users"), count(&db, "names")), (0, 0));

    let out = s.execute(&big_insert(0, ""), &[]).unwrap();
    assert_eq!(out, Outcome::Changed { verb: "inserted", count: 10_000 });
    assert_eq!((count(&db, "users"), count(&db, "names")), (10_000, 10_000));
}

#[test]
fn what_triggers_write_takes_part_in_first_committer_wins() {
    let db = Database::open_in_memory();
    let mut setup = db.session();
    setup.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER)", &[]).unwrap();
    setup.execute("CREATE TABLE totals (id INTEGER PRIMARY KEY, qty INTEGER)", &[]).unwrap();
    setup.execute("INSERT INTO totals VALUES (1, 0)", &[]).unwrap();
    setup
        .execute(
            "CREATE TRIGGER add_up AFTER INSERT ON orders BEGIN UPDATE totals SET qty = qty + NEW.qty WHERE id = 1; END",
            &[],
        )
        .unwrap();

    // Different order rows, the same total row: the second commit must not lose the first's.
    let (mut a, mut b) = (db.session(), db.session());
    a.execute("BEGIN", &[]).unwrap();
    b.execute("BEGIN", &[]).unwrap();
    a.execute("INSERT INTO orders VALUES (1, 5)", &[]).unwrap();
    b.execute("INSERT INTO orders VALUES (2, 7)", &[]).unwrap();
    a.execute("COMMIT", &[]).unwrap();
    let err = b.execute("COMMIT", &[]).unwrap_err();
    assert!(err.to_string().contains("row 1 of table totals was changed"), "{err}");

    // In autocommit, threads that all fire the trigger lose no update.
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let db = db.clone();
            thread::spawn(move || {
                let mut s = db.session();
                for i in 0..100 {
                    s.execute(&format!("INSERT INTO orders VALUES ({}, 1)", 100 + w * 100 + i), &[]).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let rows = setup.query("SELECT qty FROM totals", &[]).unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(405)]]);
}

#[test]
fn a_trigger_redefined_under_the_same_name_runs_its_new_body() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", &[]).unwrap();
    s.execute("CREATE TABLE log (what TEXT)", &[]).unwrap();
    let ins = s.prepare("INSERT INTO t (id, v) VALUES (?, ?)").unwrap();
    s.execute("CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('first ' || NEW.v); END", &[])
        .unwrap();
    s.execute_prepared(&ins, &[Value::Integer(1), Value::Integer(10)]).unwrap();
    s.execute_prepared(&ins, &[Value::Integer(2), Value::Integer(20)]).unwrap();
    s.execute("DROP TRIGGER t_log", &[]).unwrap();
    s.execute("CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('second ' || NEW.v); END", &[])
        .unwrap();
    s.execute_prepared(&ins, &[Value::Integer(3), Value::Integer(30)]).unwrap();
    // A new column moves nothing the trigger reads, and a rollback of a redefinition
    // brings the old body back.
    s.execute("ALTER TABLE t ADD COLUMN note TEXT", &[]).unwrap();
    s.execute("BEGIN", &[]).unwrap();
    s.execute("DROP TRIGGER t_log", &[]).unwrap();
    s.execute("CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('third ' || NEW.v); END", &[])
        .unwrap();
    s.execute("INSERT INTO t (id, v) VALUES (4, 40)", &[]).unwrap();
    s.execute("ROLLBACK", &[]).unwrap();
    s.execute("INSERT INTO t (id, v) VALUES (5, 50)", &[]).unwrap();
    let rows = s.query("SELECT what FROM log", &[]).unwrap().rows;
    let texts: Vec<Value> = rows.into_iter().map(|mut r| r.remove(0)).collect();
    assert_eq!(texts, ["first 10", "first 20", "second 30", "second 50"].map(Value::text).to_vec(),);
}

/// A chain of triggers, each inserting into the next table: `n` tables, `n - 1` triggers.
fn trigger_chain(n: usize) -> amberdb::Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    for i in 0..n {
        s.execute(&format!("CREATE TABLE c{i} (x INTEGER)"), &[]).unwrap();
    }
    for i in 0..n - 1 {
        let next = i + 1;
        let sql = format!("CREATE TRIGGER g{i} AFTER INSERT ON c{i} BEGIN INSERT INTO c{next} VALUES (NEW.x + 1); END");
        s.execute(&sql, &[]).unwrap();
    }
    db
}

#[test]
fn triggers_firing_one_another_stop_at_a_depth_limit_on_a_test_thread_stack() {
    use amberdb::MAX_TRIGGER_DEPTH;
    // The deepest allowed chain runs in the debug build on a test thread's 2 MiB stack.
    let db = trigger_chain(MAX_TRIGGER_DEPTH + 1);
    let mut s = db.session();
    s.execute("INSERT INTO c0 VALUES (0)", &[]).unwrap();
    assert_eq!(count(&db, &format!("c{MAX_TRIGGER_DEPTH}")), 1);
    // One more level is refused, and the statement changes nothing.
    let db = trigger_chain(MAX_TRIGGER_DEPTH + 2);
    let mut s = db.session();
    let err = s.execute("INSERT INTO c0 VALUES (0)", &[]).unwrap_err();
    assert!(err.to_string().contains("too many levels of trigger recursion"), "{err}");
    assert_eq!((count(&db, "c0"), count(&db, "c1")), (0, 0));
}

#[test]
fn cascades_stop_at_a_depth_limit_on_a_test_thread_stack() {
    use amberdb::MAX_ACTION_DEPTH;
    let chain = |n: usize| {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES n (id) ON DELETE CASCADE)", &[])
            .unwrap();
        let rows: Vec<String> =
            (0..n).map(|i| if i == 0 { "(0, NULL)".to_string() } else { format!("({i}, {})", i - 1) }).collect();
        s.execute(&format!("INSERT INTO n VALUES {}", rows.join(", ")), &[]).unwrap();
        // Every row a cascade deletes fires a trigger too.
        s.execute("CREATE TABLE gone (id INTEGER)", &[]).unwrap();
        s.execute("CREATE TRIGGER n_gone AFTER DELETE ON n BEGIN INSERT INTO gone VALUES (OLD.id); END", &[]).unwrap();
        db
    };
    // The longest chain allowed cascades all the way, in the dev build on a test
    // thread's 2 MiB stack.
    let db = chain(MAX_ACTION_DEPTH);
    db.session().execute("DELETE FROM n WHERE id = 0", &[]).unwrap();
    assert_eq!((count(&db, "n"), count(&db, "gone")), (0, MAX_ACTION_DEPTH as i64));
    // A longer one is refused (as SQLite refuses it) and changes nothing.
    let db = chain(MAX_ACTION_DEPTH + 2);
    let err = db.session().execute("DELETE FROM n WHERE id = 0", &[]).unwrap_err();
    assert!(err.to_string().contains("too many levels of foreign key actions"), "{err}");
    assert_eq!((count(&db, "n"), count(&db, "gone")), (MAX_ACTION_DEPTH as i64 + 2, 0));
}

#[test]
fn a_deep_cascade_on_a_small_thread_stack_fails_instead_of_overflowing() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES n (id) ON DELETE CASCADE)", &[])
        .unwrap();
    let rows: Vec<String> =
        (0..450).map(|i| if i == 0 { "(0, NULL)".into() } else { format!("({i}, {})", i - 1) }).collect();
    s.execute(&format!("INSERT INTO n VALUES {}", rows.join(", ")), &[]).unwrap();
    // 450 levels need more than this thread's 384 KiB: an error, and nothing changed.
    let worker = db.clone();
    let result = thread::Builder::new()
        .stack_size(384 * 1024)
        .spawn(move || worker.session().execute("DELETE FROM n WHERE id = 0", &[]).map(|_| ()))
        .unwrap()
        .join()
        .unwrap();
    let err = result.unwrap_err();
    assert!(err.to_string().contains("nested too deeply for this thread's stack"), "{err}");
    assert_eq!(count(&db, "n"), 450);
}

/// Scans decode only the columns a statement reads, and the filter's first. Filters
/// with correlated subqueries, joins, aggregates and writes must still see every column
/// they read, whichever columns the output names.
#[test]
fn statements_see_every_column_they_read_through_partial_decoding() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d INTEGER)", &[]).unwrap();
    s.execute("CREATE TABLE u (x INTEGER, y TEXT)", &[]).unwrap();
    for i in 0..300 {
        let sql = format!("INSERT INTO t VALUES ({i}, {}, 'b{}', {}.5, {})", i % 7, i % 5, i % 11, i % 3);
        s.execute(&sql, &[]).unwrap();
    }
    s.execute("INSERT INTO u VALUES (0, 'b0'), (2, 'b2'), (4, 'b9')", &[]).unwrap();
    let shown = |s: &mut amberdb::Session, sql: &str| -> Vec<String> {
        let rows = s.query(sql, &[]).unwrap().rows;
        rows.iter().map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")).collect()
    };
    // The subquery reads t.d and t.b, which the output does not name.
    let correlated =
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.d AND u.y = t.b) ORDER BY id LIMIT 3";
    assert_eq!(shown(&mut s, correlated), ["0", "2", "15"]);
    assert_eq!(shown(&mut s, "SELECT c FROM t WHERE a = 3 AND d = 2 ORDER BY id LIMIT 2"), ["6.5", "5.5"]);
    assert_eq!(
        shown(&mut s, "SELECT b, count(*) FROM t WHERE d = 1 GROUP BY b ORDER BY b LIMIT 2"),
        ["b0,20", "b1,20"]
    );
    assert_eq!(
        shown(&mut s, "SELECT t.id, u.y FROM t JOIN u ON u.x = t.a WHERE t.c > 9.0 ORDER BY t.id LIMIT 3"),
        ["9,b2", "21,b0", "32,b9"]
    );
    // Writes whose WHERE reads columns through a subquery.
    s.execute("UPDATE t SET a = -1 WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.d AND u.y = t.b)", &[]).unwrap();
    assert_eq!(shown(&mut s, "SELECT count(*) FROM t WHERE a = -1"), ["40"]);
    s.execute("DELETE FROM t WHERE b = 'b1' AND EXISTS (SELECT 1 FROM u WHERE u.x = t.d + 2)", &[]).unwrap();
    assert_eq!(shown(&mut s, "SELECT count(*) FROM t WHERE b = 'b1'"), ["20"]);
    // Every row still reads back whole. (Expected values are sqlite3's.)
    assert_eq!(shown(&mut s, "SELECT * FROM t WHERE id = 16"), ["16,2,b1,5.5,1"]);
}

#[test]
fn a_prepared_select_reads_its_transaction_and_counts_as_a_serializable_read() {
    let db = Database::open_in_memory();
    let (mut a, mut b) = (db.session(), db.session());
    a.execute("CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BOOLEAN)", &[]).unwrap();
    a.execute("INSERT INTO doctors VALUES ('alice', true), ('bob', true)", &[]).unwrap();
    let on_call = |s: &mut amberdb::Session, p: &amberdb::Prepared| -> i64 {
        s.query_prepared(p, &[]).unwrap().get(0, "n").unwrap()
    };
    let (pa, pb) = (a.prepare(COUNT_ON_CALL).unwrap(), b.prepare(COUNT_ON_CALL).unwrap());
    a.execute("BEGIN ISOLATION LEVEL SERIALIZABLE", &[]).unwrap();
    assert_eq!(on_call(&mut a, &pa), 2);
    a.execute("UPDATE doctors SET on_call = false WHERE name = 'alice'", &[]).unwrap();
    // The transaction's own write, which no one else sees yet.
    assert_eq!(on_call(&mut a, &pa), 1);
    assert_eq!(on_call(&mut b, &pb), 2);
    b.execute("UPDATE doctors SET on_call = false WHERE name = 'bob'", &[]).unwrap();
    // `a` read the table through the prepared statement, and `b` has changed it since.
    let err = a.execute("COMMIT", &[]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Conflict(_)), "{err}");
    assert_eq!(on_call(&mut a, &pa), 1);
}

const COUNT_ON_CALL: &str = "SELECT count(*) AS n FROM doctors WHERE on_call";

#[test]
fn a_prepared_upsert_with_returning_gives_its_rows_through_query() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT UNIQUE, uses INTEGER DEFAULT 1)", &[]).unwrap();
    let get_or_create = s
        .prepare(
            "INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET uses = uses + 1 RETURNING id, uses",
        )
        .unwrap();
    let mut ids = Vec::new();
    for name in ["rust", "sql", "rust", "rust"] {
        let rows = s.query_prepared(&get_or_create, &[Value::text(name)]).unwrap();
        assert_eq!(&*rows.columns, ["id", "uses"]);
        ids.push(rows.rows[0].clone());
    }
    let int = Value::Integer;
    assert_eq!(ids, vec![vec![int(1), int(1)], vec![int(2), int(1)], vec![int(1), int(2)], vec![int(1), int(3)]]);
    // Inside a transaction, and `execute` hands the rows back as rows too.
    s.execute("BEGIN", &[]).unwrap();
    let out = s.execute_prepared(&get_or_create, &[Value::text("db")]).unwrap();
    assert_eq!(
        out,
        Outcome::Rows(amberdb::ResultSet {
            json: 0,
            columns: vec!["id".into(), "uses".into()].into(),
            rows: vec![vec![int(3), int(1)]]
        })
    );
    s.execute("ROLLBACK", &[]).unwrap();
    assert_eq!(count(&db, "tags"), 2);
    // A DELETE gives the rows as they were; changes() counts them.
    let gone = s.query("DELETE FROM tags WHERE uses > 1 RETURNING name", &[]).unwrap();
    assert_eq!(gone.rows, vec![vec![Value::text("rust")]]);
    assert_eq!(s.query("SELECT changes()", &[]).unwrap().rows, vec![vec![int(1)]]);
}
