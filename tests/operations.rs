//! Operations: counters, statement shapes, slow statements and their log, the memory
//! limit, EXPLAIN ANALYZE's counts against the real ones, and `amberdb stats`.

use amberdb::{Database, ErrorKind, Value};

fn count(db: &Database, sql: &str) -> i64 {
    match db.session().query(sql, &[]).unwrap().rows[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{other:?} is no count"),
    }
}

fn stat(db: &Database, name: &str) -> u64 {
    db.counters().into_iter().find(|c| c.0 == name).map(|c| c.1).unwrap()
}

#[test]
fn statements_are_counted_by_kind_and_shape() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    for i in 0..10 {
        s.execute(&format!("INSERT INTO t VALUES ({i}, 'v{i}')"), &[]).unwrap();
    }
    let lookup = s.prepare("SELECT v FROM t WHERE id = ?").unwrap();
    for i in 0..5 {
        s.query_prepared(&lookup, &[Value::Integer(i)]).unwrap();
    }
    s.execute("BEGIN", &[]).unwrap();
    s.execute("DELETE FROM t WHERE id >= 8", &[]).unwrap();
    s.execute("ROLLBACK", &[]).unwrap();
    assert!(s.execute("SELECT nope FROM t", &[]).is_err());
    assert_eq!(stat(&db, "statements_insert"), 10);
    assert_eq!(stat(&db, "statements_select"), 5);
    assert_eq!(stat(&db, "statements_delete"), 1);
    assert_eq!(stat(&db, "statements_ddl"), 1);
    assert_eq!(stat(&db, "statements_transaction"), 2);
    assert_eq!(stat(&db, "statements_failed"), 1);
    assert_eq!(stat(&db, "rows_written"), 12);
    assert_eq!(stat(&db, "rows_returned"), 5);
    assert_eq!(stat(&db, "rollbacks"), 1);
    assert_eq!(stat(&db, "commits"), 11);
    // Statements sent as text find their shape's plan in the cache (a prepared
    // statement keeps its own and does not ask).
    assert_eq!(stat(&db, "plan_cache_hits"), 9);
    // Ten inserts of one shape are one row of amber_statements().
    let shapes = s.query("SELECT query, calls, rows FROM amber_statements() WHERE query LIKE 'INSERT%'", &[]).unwrap();
    assert_eq!(
        shapes.rows,
        vec![vec![Value::text("INSERT INTO t VALUES (?, ?)"), Value::Integer(10), Value::Integer(10)]]
    );
    let lookups =
        s.query("SELECT calls, rows FROM amber_statements() WHERE query = 'SELECT v FROM t WHERE id = ?'", &[]);
    assert_eq!(lookups.unwrap().rows, vec![vec![Value::Integer(5), Value::Integer(5)]]);
    // A reset forgets it all.
    s.execute("SELECT amber_stats_reset()", &[]).unwrap();
    assert_eq!(stat(&db, "statements_insert"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM amber_statements() WHERE query LIKE 'INSERT%'"), 0);
}

#[test]
fn slow_statements_are_kept_and_logged_as_json_lines() {
    let dir = std::env::temp_dir().join(format!("amber-slowlog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("slow.log");
    let db = Database::open_in_memory();
    db.set_slow_log(Some(Box::new(std::fs::File::create(&path).unwrap())));
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    s.execute("INSERT INTO t SELECT value, 'x' FROM generate_series(1, 5000)", &[]).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM amber_slow_queries()"), 0);
    s.execute("SET slow_query_ms = 0", &[]).unwrap();
    let p = s.prepare("SELECT count(*) FROM t WHERE v = ?").unwrap();
    s.query_prepared(&p, &[Value::text("x")]).unwrap();
    s.execute("SET slow_query_ms = off", &[]).unwrap();
    let slow = s.query("SELECT rows, query, params, plan FROM amber_slow_queries()", &[]).unwrap();
    assert_eq!(slow.rows[0][0], Value::Integer(1));
    assert_eq!(slow.rows[0][1], Value::text("SELECT count(*) FROM t WHERE v = ?"));
    assert_eq!(slow.rows[0][2], Value::text("[\"x\"]"));
    assert!(slow.rows[0][3].to_string().contains("Scan: t"), "{}", slow.rows[0][3]);
    let log = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // The SET that turned it on was not timed (nothing was being recorded yet).
    assert_eq!(slow.rows.len(), 1);
    assert_eq!(lines.len(), 1, "{log}");
    assert_eq!(lines[0]["sql"], "SELECT count(*) FROM t WHERE v = ?");
    assert_eq!(lines[0]["params"][0], "x");
    assert_eq!(lines[0]["rows"], 1);
    assert!(lines[0]["ms"].as_f64().unwrap() >= 0.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_memory_limit_refuses_what_would_pass_it_and_changes_nothing() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)", &[]).unwrap();
    s.execute("INSERT INTO t SELECT value, printf('%0200d', value) FROM generate_series(1, 20000)", &[]).unwrap();
    let used = db.memory().total();
    db.set_memory_limit(Some(used + used / 4));
    let version = db.version();
    let bulk = "INSERT INTO t SELECT value, printf('%0200d', value) FROM generate_series(100001, 120000)";
    let err = s.execute(bulk, &[]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::OutOfMemory(_)), "{err}");
    assert!(err.to_string().contains("table t"), "{err}");
    assert_eq!(db.version(), version);
    assert_eq!(count(&db, "SELECT count(*) FROM t"), 20000);
    // Reads go on; so do small writes.
    s.execute("INSERT INTO t VALUES (0, 'small')", &[]).unwrap();
    // In a transaction a statement that passes the limit alone is stopped, and the
    // transaction goes on; writes that pass it together are refused at COMMIT, and
    // the transaction is over.
    s.execute("BEGIN", &[]).unwrap();
    assert!(matches!(s.execute(bulk, &[]).unwrap_err().kind(), ErrorKind::OutOfMemory(_)));
    assert!(s.in_transaction());
    for from in [200_001, 202_001, 204_001] {
        let part = format!(
            "INSERT INTO t SELECT value, printf('%0200d', value) FROM generate_series({from}, {})",
            from + 1999
        );
        s.execute(&part, &[]).unwrap();
    }
    assert!(matches!(s.execute("COMMIT", &[]).unwrap_err().kind(), ErrorKind::OutOfMemory(_)));
    assert!(!s.in_transaction());
    assert_eq!(count(&db, "SELECT count(*) FROM t"), 20001);
    // Deleting rows makes room (the old versions holding them are let go).
    s.execute("DELETE FROM t WHERE id <= 16000", &[]).unwrap();
    s.execute(bulk, &[]).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM t"), 24000);
    // A bulk write is stopped while it runs, once it has written past the limit, not
    // only refused at its commit.
    let huge = "INSERT INTO t SELECT value, printf('%0200d', value) FROM generate_series(1000001, 1500000)";
    let err = s.execute(huge, &[]).unwrap_err();
    assert!(err.to_string().contains("it was stopped and nothing was changed"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM t"), 24000);
    db.set_memory_limit(None);
    s.execute("INSERT INTO t SELECT value, 'x' FROM generate_series(200001, 260000)", &[]).unwrap();
}

#[test]
fn explain_analyze_counts_are_the_real_counts() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, g INTEGER)", &[]).unwrap();
    s.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, w INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO a SELECT value, value % 7 FROM generate_series(1, 300)", &[]).unwrap();
    s.execute("INSERT INTO b SELECT value, value % 311, value % 5 FROM generate_series(1, 900)", &[]).unwrap();
    let queries = [
        "SELECT a.g, count(*), sum(b.w) FROM a JOIN b ON b.a_id = a.id WHERE b.w > 1 GROUP BY a.g",
        "SELECT a.id, b.id FROM a LEFT JOIN b ON b.a_id = a.id WHERE a.g = 3",
        "SELECT g, count(*) FROM a GROUP BY g HAVING count(*) > 42",
        "SELECT * FROM b WHERE w = 4 ORDER BY id DESC LIMIT 7",
    ];
    for q in queries {
        let real = s.query(q, &[]).unwrap().rows.len();
        let plan = s.query(&format!("EXPLAIN (ANALYZE, TIMING OFF) {q}"), &[]).unwrap();
        let lines: Vec<String> = plan.rows.iter().map(|r| r[0].to_string()).collect();
        assert_eq!(lines.last().unwrap(), &format!("Execution: {real} rows"), "{q}\n{}", lines.join("\n"));
        assert!(lines[0].contains(&format!("actual rows={real} ")), "{q}\n{}", lines.join("\n"));
    }
    // The join's own line counts the joined rows.
    let q = "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id";
    let real = s.query(q, &[]).unwrap().rows.len();
    let plan = s.query(&format!("EXPLAIN ANALYZE {q}"), &[]).unwrap();
    let join = plan.rows.iter().map(|r| r[0].to_string()).find(|l| l.contains("Join")).unwrap();
    assert!(join.contains(&format!("actual rows={real} loops=1 time=")), "{join}");
    // The aggregate's line counts groups.
    let plan = s.query("EXPLAIN ANALYZE SELECT g, count(*) FROM a GROUP BY g", &[]).unwrap();
    let agg = plan.rows.iter().map(|r| r[0].to_string()).find(|l| l.contains("Aggregate")).unwrap();
    assert!(agg.contains("actual rows=7 "), "{agg}");
}

#[test]
fn amber_memory_charges_old_versions_and_snapshots_with_what_only_they_hold() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)", &[]).unwrap();
    s.execute("INSERT INTO t SELECT value, printf('%0100d', value) FROM generate_series(1, 10000)", &[]).unwrap();
    let before = db.memory();
    assert_eq!(before.snapshots.len(), 0);
    s.execute("CREATE SNAPSHOT before_wipe", &[]).unwrap();
    s.execute("DELETE FROM t", &[]).unwrap();
    let after = db.memory();
    let table = |m: &amberdb::MemoryReport| m.tables.iter().find(|t| t.name == "t").unwrap().total();
    assert!(table(&after) < table(&before) / 100, "{after:?}");
    // The snapshot holds the deleted rows; the old versions share them, counted once.
    let snap = after.snapshots[0].2;
    assert!(snap * 10 >= table(&before) * 9, "snapshot {snap} of {}", table(&before));
    assert!(after.versions.1 < table(&before) / 10, "{after:?}");
    s.execute("DROP SNAPSHOT before_wipe", &[]).unwrap();
    let dropped = db.memory();
    assert!(dropped.versions.1 * 10 >= table(&before) * 9, "{dropped:?}");
    db.set_history_limit(1);
    assert!(db.memory().total() < table(&before) / 10);
}

#[test]
fn amberdb_stats_prints_a_closed_data_directory() {
    let dir = std::env::temp_dir().join(format!("amber-stats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let db = Database::open(&dir).unwrap();
        let mut s = db.session();
        s.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)", &[]).unwrap();
        s.execute("INSERT INTO users SELECT value, 'u' || value || '@x.org' FROM generate_series(1, 500)", &[])
            .unwrap();
    }
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_amberdb")).args(["stats", "--data"]).arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("version 2"), "{text}");
    let users = text.lines().find(|l| l.starts_with("users ")).unwrap();
    assert!(users.contains(" 500 "), "{text}");
    assert!(text.lines().any(|l| l.trim_start().starts_with("users_email") || l.contains("email")), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_row_limit_survives_the_log_and_checkpoints() {
    let dir = std::env::temp_dir().join(format!("amber-max-rows-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let full = |db: &Database| {
        let err = db.session().execute("INSERT INTO capped VALUES (99)", &[]).unwrap_err();
        assert!(err.to_string().contains("holds at most 2 rows"), "{err}");
    };
    {
        let db = Database::open(&dir).unwrap();
        let mut s = db.session();
        s.execute("CREATE TABLE capped (a INTEGER) WITH (max_rows = 2)", &[]).unwrap();
        s.execute("INSERT INTO capped VALUES (1), (2)", &[]).unwrap();
        full(&db);
    }
    // From the log…
    let db = Database::open(&dir).unwrap();
    full(&db);
    db.checkpoint().unwrap();
    drop(db);
    // …and from a checkpoint.
    let db = Database::open(&dir).unwrap();
    full(&db);
    assert!(db.session().dump().contains("WITH (max_rows = 2)"));
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}
