//! Limits that keep hostile input from exhausting memory: the longest string or blob a
//! statement may build, and the longest statement a script may hold.

use amberdb::{Database, ErrorKind, Value};

/// `replace` nested `depth` times, each turning every `a` into `grow` of them.
fn nested_replace(depth: usize, grow: usize) -> String {
    let to = "a".repeat(grow);
    (0..depth).fold("'aaaaaaaaaa'".to_string(), |inner, _| format!("replace({inner}, 'a', '{to}')"))
}

#[test]
fn nine_nested_replaces_are_too_big_not_an_abort() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    // The length is worked out before the text is built: 10 × 1000³ bytes are refused
    // with nothing of them allocated (the largest text built is 10 MB).
    let sql = format!("SELECT length({})", nested_replace(3, 1000));
    let err = s.query(&sql, &[]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TooBig { limit: 1_000_000_000 }), "{err}");
    assert_eq!(err.to_string(), "string or blob too big (the limit is 1000000000 bytes)");
    // The report's own case: nine replaces that grow tenfold (283 bytes of SQL), under a
    // lower limit so that the test builds no gigabyte on the way.
    db.set_max_length(1_000_000);
    let sql = format!("SELECT length({})", nested_replace(9, 10));
    assert!(sql.len() < 300);
    let err = s.query(&sql, &[]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TooBig { limit: 1_000_000 }), "{err}");
    // Below the limit the same function answers.
    let rows = s.query(&format!("SELECT length({})", nested_replace(3, 10)), &[]).unwrap();
    assert_eq!(rows.rows[0][0], Value::Integer(10_000));
}

#[test]
fn every_builder_of_text_keeps_the_limit_and_it_can_be_set_lower() {
    let db = Database::open_in_memory();
    db.set_max_length(100);
    let mut s = db.session();
    let too_big = |s: &mut amberdb::Session, sql: &str| {
        let err = s.query(sql, &[]).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::TooBig { limit: 100 }), "{sql}: {err}");
    };
    let fifty = format!("'{}'", "x".repeat(50));
    too_big(&mut s, &format!("SELECT {fifty} || {fifty} || 'y'"));
    too_big(&mut s, &format!("SELECT replace({fifty}, 'x', 'xyz')"));
    too_big(&mut s, &format!("SELECT hex({fifty} || 'y')"));
    s.execute("CREATE TABLE t (v TEXT)", &[]).unwrap();
    s.execute(&format!("INSERT INTO t VALUES ({fifty}), ({fifty})"), &[]).unwrap();
    too_big(&mut s, "SELECT group_concat(v) FROM t");
    // At the limit exactly, each still answers.
    assert_eq!(s.query(&format!("SELECT length({fifty} || {fifty})"), &[]).unwrap().rows[0][0], Value::Integer(100));
    assert_eq!(s.query("SELECT length(group_concat(v, '')) FROM t", &[]).unwrap().rows[0][0], Value::Integer(100));
    // A failed write changes nothing.
    let err = s.execute(&format!("UPDATE t SET v = v || {fifty} || 'z'"), &[]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TooBig { .. }));
    assert_eq!(s.query("SELECT sum(length(v)) FROM t", &[]).unwrap().rows[0][0], Value::Integer(100));
}
