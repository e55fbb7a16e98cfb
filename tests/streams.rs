//! Message streams, following Message DB's own test cases for each function: writing
//! with and without an expected version, reading streams and categories (positions,
//! batch sizes, correlation, consumer groups, conditions), the last message, and the
//! stream name functions; then transactions, snapshots, time travel and durability.

use amberdb::{Database, Session, Value};

fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn write(s: &mut Session, n: u64, stream: &str, kind: &str) -> Value {
    let sql = format!("SELECT write_message('{}', '{stream}', '{kind}', '{{\"n\": {n}}}')", uuid(n));
    s.query(&sql, &[]).unwrap().rows[0][0].clone()
}

fn column(s: &mut Session, sql: &str) -> Vec<Value> {
    s.query(sql, &[]).unwrap().rows.into_iter().map(|mut r| r.remove(0)).collect()
}

fn ints(items: &[i64]) -> Vec<Value> {
    items.iter().map(|&i| Value::Integer(i)).collect()
}

fn error(s: &mut Session, sql: &str) -> String {
    s.execute(sql, &[]).unwrap_err().to_string()
}

#[test]
fn write_message_returns_positions_from_zero_per_stream() {
    let mut s = Database::open_in_memory().session();
    assert_eq!(write(&mut s, 1, "someStream-123", "SomeType"), Value::Integer(0));
    assert_eq!(write(&mut s, 2, "someStream-123", "SomeType"), Value::Integer(1));
    assert_eq!(write(&mut s, 3, "otherStream-1", "SomeType"), Value::Integer(0));
    let r = s.query(
        "SELECT position, global_position, type, data, metadata FROM get_stream_messages('someStream-123')",
        &[],
    );
    let r = r.unwrap();
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.rows[1][..3], [Value::Integer(1), Value::Integer(2), Value::text("SomeType")]);
    assert_eq!(r.rows[1][3], Value::text("{\"n\": 2}"));
    assert_eq!(r.rows[1][4], Value::Null);
    assert_eq!(column(&mut s, "SELECT stream_version('someStream-123')"), ints(&[1]));
    assert_eq!(column(&mut s, "SELECT stream_version('nothing-here')"), vec![Value::Null]);
}

#[test]
fn expected_version_is_checked_and_a_mismatch_writes_nothing() {
    let mut s = Database::open_in_memory().session();
    let w = |n: u64, v: &str| format!("SELECT write_message('{}', 'account-1', 'T', '{{}}', NULL, {v})", uuid(n));
    // -1: the stream must not exist yet.
    assert_eq!(s.query(&w(1, "-1"), &[]).unwrap().rows[0][0], Value::Integer(0));
    assert_eq!(error(&mut s, &w(2, "-1")), "Wrong expected version: -1 (Stream: account-1, Stream Version: 0)");
    assert_eq!(s.query(&w(2, "0"), &[]).unwrap().rows[0][0], Value::Integer(1));
    assert_eq!(error(&mut s, &w(3, "0")), "Wrong expected version: 0 (Stream: account-1, Stream Version: 1)");
    assert_eq!(error(&mut s, &w(3, "5")), "Wrong expected version: 5 (Stream: account-1, Stream Version: 1)");
    assert_eq!(column(&mut s, "SELECT count(*) FROM get_stream_messages('account-1')"), ints(&[2]));
    // Within one statement, the second write expects the first.
    let both = format!(
        "SELECT write_message('{}', 'account-2', 'T', '{{}}', NULL, -1), write_message('{}', 'account-2', 'T', '{{}}', NULL, 0)",
        uuid(10),
        uuid(11)
    );
    assert_eq!(s.query(&both, &[]).unwrap().rows[0], ints(&[0, 1]));
}

#[test]
fn bad_arguments_are_refused_with_clear_errors() {
    let mut s = Database::open_in_memory().session();
    let id = uuid(1);
    assert!(error(&mut s, "SELECT write_message('not-a-uuid', 'a-1', 'T', '{}')").contains("not a UUID"));
    assert!(error(&mut s, &format!("SELECT write_message('{id}', 'a-1', 'T', '{{oops')")).contains("not valid JSON"));
    assert!(error(&mut s, &format!("SELECT write_message('{id}', 'a-1', 'T', '{{}}', '[1,')")).contains("metadata"));
    assert!(error(&mut s, &format!("SELECT write_message('{id}', NULL, 'T', '{{}}')")).contains("must not be NULL"));
    assert!(error(&mut s, "SELECT write_message('x')").contains("4 to 6 arguments"));
    write(&mut s, 1, "a-1", "T");
    assert!(error(&mut s, &format!("SELECT write_message('{id}', 'a-2', 'T', '{{}}')")).contains("already exists"));
    assert_eq!(
        error(&mut s, "SELECT * FROM get_stream_messages('someCategory')"),
        "Must be a stream name: someCategory"
    );
    assert_eq!(error(&mut s, "SELECT * FROM get_category_messages('some-stream')"), "Must be a category: some-stream");
    let e = error(&mut s, "SELECT * FROM get_category_messages('a', 1, 10, 'x-1')");
    assert_eq!(e, "Correlation must be a category (Correlation: x-1)");
    assert!(error(&mut s, "SELECT * FROM get_category_messages('a', 1, 10, NULL, 0)").contains("must be specified"));
    assert!(error(&mut s, "SELECT * FROM get_category_messages('a', 1, 10, NULL, 2, 2)")
        .contains("less than the group size"));
    assert!(error(&mut s, "SELECT * FROM get_category_messages('a', 1, 10, NULL, 0, 0)").contains("greater than zero"));
    assert!(error(&mut s, "SELECT get_stream_messages('a-1')").contains("use it in FROM"));
    assert!(error(&mut s, "SELECT * FROM no_such_function(1)").contains("no such table function"));
    assert!(error(&mut s, "CREATE VIEW v AS SELECT write_message('x', 'a-1', 'T', '{}')").contains("view"));
    assert_eq!(column(&mut s, "SELECT count(*) FROM get_stream_messages('a-1')"), ints(&[1]));
}

#[test]
fn get_stream_messages_reads_from_a_position_in_batches() {
    let mut s = Database::open_in_memory().session();
    for n in 0..5 {
        write(&mut s, n, "someStream-1", if n % 2 == 0 { "Even" } else { "Odd" });
        write(&mut s, 100 + n, "someStream-2", "Other");
    }
    let positions =
        |s: &mut Session, args: &str| column(s, &format!("SELECT position FROM get_stream_messages({args})"));
    assert_eq!(positions(&mut s, "'someStream-1'"), ints(&[0, 1, 2, 3, 4]));
    assert_eq!(positions(&mut s, "'someStream-1', 2"), ints(&[2, 3, 4]), "inclusive of the position");
    assert_eq!(positions(&mut s, "'someStream-1', 1, 2"), ints(&[1, 2]));
    assert_eq!(positions(&mut s, "'someStream-1', 0, -1"), ints(&[0, 1, 2, 3, 4]));
    assert_eq!(positions(&mut s, "'someStream-1', 9"), ints(&[]));
    assert_eq!(positions(&mut s, "'someStream-1', 0, 2, 'type = ''Even'''"), ints(&[0, 2]), "batch counts matches");
    assert_eq!(positions(&mut s, "'nothing-1'"), ints(&[]));
    let with_param =
        s.query("SELECT position FROM get_stream_messages(?, ?)", &[Value::text("someStream-2"), Value::Integer(3)]);
    assert_eq!(with_param.unwrap().rows.len(), 2);
    // The default batch size is 1000.
    for n in 0..1100 {
        write(&mut s, 10_000 + n, "big-1", "T");
    }
    assert_eq!(column(&mut s, "SELECT count(*) FROM get_stream_messages('big-1')"), ints(&[1000]));
    let r = s.query("SELECT type, position FROM get_last_stream_message('someStream-1')", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::text("Even"), Value::Integer(4)]]);
    let r = s.query("SELECT position FROM get_last_stream_message('someStream-1', 'Odd')", &[]).unwrap();
    assert_eq!(r.rows, vec![ints(&[3])]);
    assert!(s.query("SELECT * FROM get_last_stream_message('none-1')", &[]).unwrap().rows.is_empty());
}

#[test]
fn get_category_messages_reads_by_global_position_with_correlation() {
    let mut s = Database::open_in_memory().session();
    write(&mut s, 1, "account-1", "T");
    write(&mut s, 2, "other-1", "T");
    write(&mut s, 3, "account-2", "T");
    write(&mut s, 4, "account:command-1", "T");
    let meta = "{\"correlationStreamName\": \"order-7\"}";
    s.execute(&format!("SELECT write_message('{}', 'account-3', 'T', '{{}}', '{meta}')", uuid(5)), &[]).unwrap();
    let globals =
        |s: &mut Session, args: &str| column(s, &format!("SELECT global_position FROM get_category_messages({args})"));
    assert_eq!(globals(&mut s, "'account'"), ints(&[1, 3, 5]));
    assert_eq!(globals(&mut s, "'account', 3"), ints(&[3, 5]));
    assert_eq!(globals(&mut s, "'account', 1, 2"), ints(&[1, 3]));
    assert_eq!(globals(&mut s, "'account:command'"), ints(&[4]));
    assert_eq!(globals(&mut s, "'account', 1, 1000, 'order'"), ints(&[5]));
    assert_eq!(globals(&mut s, "'account', 1, 1000, 'invoice'"), ints(&[]));
    assert_eq!(globals(&mut s, "'account', 0, 1000, NULL, NULL, NULL, 'stream_name <> ''account-2'''"), ints(&[1, 5]));
}

#[test]
fn consumer_groups_give_every_stream_to_exactly_one_member() {
    let mut s = Database::open_in_memory().session();
    let mut n = 0;
    for stream in 0..60 {
        for _ in 0..3 {
            n += 1;
            // Compound ids: the cardinal id (before `+`) decides the member.
            write(&mut s, n, &format!("account-{stream}+{}", n % 2), "T");
        }
    }
    let size = 4;
    let mut seen: Vec<Value> = Vec::new();
    let mut members_of: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for member in 0..size {
        let sql = format!(
            "SELECT global_position, stream_name FROM get_category_messages('account', 1, -1, NULL, {member}, {size})"
        );
        let rows = s.query(&sql, &[]).unwrap().rows;
        assert!(!rows.is_empty(), "member {member} got nothing");
        for r in rows {
            let cardinal = amberdb::storage::streams::cardinal_id(&r[1].to_string()).unwrap().to_string();
            let owner = *members_of.entry(cardinal.clone()).or_insert(member);
            assert_eq!(owner, member, "stream {cardinal} went to two members");
            seen.push(r[0].clone());
        }
    }
    seen.sort_by(|a, b| a.total_cmp(b));
    assert_eq!(seen, ints(&(1..=n as i64).collect::<Vec<_>>()), "every message once");
    // The member follows Message DB's hash: @hash_64(cardinal_id) % size.
    let r = s.query("SELECT abs(hash_64(cardinal_id('account-7+1'))) % 4", &[]).unwrap();
    assert_eq!(r.rows[0][0], Value::Integer(members_of["7"]));
}

#[test]
fn stream_name_functions_split_as_message_db_does() {
    let mut s = Database::open_in_memory().session();
    let r = s
        .query(
            "SELECT category('someStream-123'), id('someStream-123+abc'), cardinal_id('someStream-123+abc'), \
             id('someStream'), is_category('someStream'), is_category('someStream-1'), category('a:b-c-d')",
            &[],
        )
        .unwrap();
    let row = &r.rows[0];
    assert_eq!(row[0], Value::text("someStream"));
    assert_eq!(row[1], Value::text("123+abc"));
    assert_eq!(row[2], Value::text("123"));
    assert_eq!(row[3], Value::Null);
    assert_eq!((row[4].clone(), row[5].clone()), (Value::Boolean(true), Value::Boolean(false)));
    assert_eq!(row[6], Value::text("a:b"));
}

#[test]
fn messages_commit_and_roll_back_with_the_rows_around_them() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE balance (id TEXT PRIMARY KEY, amount INTEGER)", &[]).unwrap();
    s.execute("BEGIN", &[]).unwrap();
    s.execute("INSERT INTO balance VALUES ('a', 10)", &[]).unwrap();
    write(&mut s, 1, "account-a", "Deposited");
    assert_eq!(column(&mut db.session(), "SELECT stream_version('account-a')"), vec![Value::Null], "not yet visible");
    s.execute("ROLLBACK", &[]).unwrap();
    assert_eq!(column(&mut s, "SELECT stream_version('account-a')"), vec![Value::Null]);
    s.execute("BEGIN", &[]).unwrap();
    s.execute("INSERT INTO balance VALUES ('a', 10)", &[]).unwrap();
    write(&mut s, 1, "account-a", "Deposited");
    s.execute("COMMIT", &[]).unwrap();
    assert_eq!(column(&mut s, "SELECT stream_version('account-a')"), ints(&[0]));
    // An error later in a statement drops the messages it wrote.
    let sql = format!("INSERT INTO balance SELECT 'a', write_message('{}', 'account-b', 'T', '{{}}')", uuid(2));
    assert!(s.execute(&sql, &[]).unwrap_err().to_string().contains("PRIMARY KEY"));
    assert_eq!(column(&mut s, "SELECT stream_version('account-b')"), vec![Value::Null]);
}

#[test]
fn concurrent_transactions_conflict_on_a_stream_and_not_across_streams() {
    let db = Database::open_in_memory();
    let (mut a, mut b) = (db.session(), db.session());
    a.execute("BEGIN", &[]).unwrap();
    b.execute("BEGIN", &[]).unwrap();
    assert_eq!(write(&mut a, 1, "order-1", "T"), Value::Integer(0));
    assert_eq!(write(&mut b, 2, "order-2", "T"), Value::Integer(0));
    a.execute("COMMIT", &[]).unwrap();
    b.execute("COMMIT", &[]).unwrap();
    let globals = column(&mut a, "SELECT global_position FROM get_category_messages('order')");
    assert_eq!(globals, ints(&[1, 2]), "global positions are given at commit");
    a.execute("BEGIN", &[]).unwrap();
    b.execute("BEGIN", &[]).unwrap();
    write(&mut a, 3, "order-1", "T");
    write(&mut b, 4, "order-1", "T");
    a.execute("COMMIT", &[]).unwrap();
    let e = b.execute("COMMIT", &[]).unwrap_err().to_string();
    assert!(e.contains("order-1"), "{e}");
    assert_eq!(column(&mut a, "SELECT count(*) FROM get_stream_messages('order-1')"), ints(&[2]));
}

#[test]
fn many_threads_append_without_losing_a_message() {
    let db = Database::open_in_memory();
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut s = db.session();
                for i in 0..200 {
                    write(&mut s, t * 1000 + i, &format!("load-{}", i % 7), "T");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut s = db.session();
    assert_eq!(column(&mut s, "SELECT count(*) FROM get_category_messages('load', 1, -1)"), ints(&[800]));
    for stream in 0..7 {
        let positions = column(&mut s, &format!("SELECT position FROM get_stream_messages('load-{stream}', 0, -1)"));
        let expected: Vec<Value> = (0..positions.len() as i64).map(Value::Integer).collect();
        assert_eq!(positions, expected, "positions of load-{stream} have no gaps");
    }
}

#[test]
fn streams_take_part_in_snapshots_time_travel_restore_and_diff() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    write(&mut s, 1, "cart-1", "Added");
    s.execute("CREATE SNAPSHOT one", &[]).unwrap();
    let v1 = db.version();
    write(&mut s, 2, "cart-1", "Added");
    write(&mut s, 3, "cart-2", "Added");
    let then = format!("SELECT count(*) FROM get_category_messages('cart') AS OF VERSION {v1}");
    assert_eq!(column(&mut s, &then), ints(&[1]));
    assert_eq!(column(&mut s, "SELECT count(*) FROM get_category_messages('cart') AS OF SNAPSHOT one"), ints(&[1]));
    let diff = s.query(&format!("DIFF VERSION {v1}, HEAD"), &[]).unwrap();
    let tables: Vec<String> = diff.rows.iter().map(|r| format!("{} {} {}", r[0], r[1], r[2])).collect();
    assert_eq!(tables, vec!["stream cart-1 added 1", "stream cart-2 added 0"]);
    s.execute("RESTORE SNAPSHOT one", &[]).unwrap();
    assert_eq!(column(&mut s, "SELECT count(*) FROM get_category_messages('cart')"), ints(&[1]));
    // Writing again after a restore continues from the restored version.
    assert_eq!(write(&mut s, 4, "cart-1", "Added"), Value::Integer(1));
    assert_eq!(column(&mut s, "SELECT global_position FROM get_stream_messages('cart-1')"), ints(&[1, 2]));
}

#[test]
fn messages_survive_reopening_from_log_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        write(&mut s, 1, "doc-1", "Created");
        s.execute("CHECKPOINT", &[]).unwrap();
        write(&mut s, 2, "doc-1", "Edited");
        s.execute("CREATE NAMESPACE other", &[]).unwrap();
        s.execute("USE other", &[]).unwrap();
        write(&mut s, 3, "doc-1", "Elsewhere");
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(
        column(&mut s, "SELECT type FROM get_stream_messages('doc-1')"),
        vec![Value::text("Created"), Value::text("Edited")]
    );
    s.execute("USE other", &[]).unwrap();
    assert_eq!(column(&mut s, "SELECT type FROM get_stream_messages('doc-1')"), vec![Value::text("Elsewhere")]);
    assert_eq!(write(&mut s, 4, "doc-1", "Again"), Value::Integer(1));
}
