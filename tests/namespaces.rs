//! Namespaces: isolation of tables, views, indexes and streams; qualified names; atomic
//! and quick CREATE/DROP NAMESPACE; persistence.

use std::time::Instant;

use amberdb::{Database, Session, Value};

fn column(s: &mut Session, sql: &str) -> Vec<Value> {
    s.query(sql, &[]).unwrap().rows.into_iter().map(|mut r| r.remove(0)).collect()
}

fn error(s: &mut Session, sql: &str) -> String {
    s.execute(sql, &[]).unwrap_err().to_string()
}

#[test]
fn tables_of_one_namespace_are_invisible_to_another_unless_qualified() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE NAMESPACE app", &[]).unwrap();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'main')", &[]).unwrap();
    s.execute("USE app", &[]).unwrap();
    assert_eq!(s.namespace(), "app");
    assert!(error(&mut s, "SELECT * FROM t").contains("no such table"));
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'app')", &[]).unwrap();
    s.execute("CREATE INDEX by_v ON t (v)", &[]).unwrap();
    s.execute("CREATE VIEW names AS SELECT v FROM t", &[]).unwrap();
    assert_eq!(column(&mut s, "SELECT v FROM t"), vec![Value::text("app")]);
    assert_eq!(column(&mut s, "SELECT m.v FROM main.t AS m"), vec![Value::text("main")]);
    assert_eq!(
        column(&mut s, "SELECT t.v || main_t.v FROM t JOIN main.t AS main_t USING (id)"),
        vec![Value::text("appmain")]
    );
    s.execute("USE main", &[]).unwrap();
    assert_eq!(column(&mut s, "SELECT v FROM t"), vec![Value::text("main")]);
    assert_eq!(
        column(&mut s, "SELECT t.v FROM app.t"),
        vec![Value::text("app")],
        "a qualified table keeps its short name"
    );
    assert_eq!(column(&mut s, "SELECT v FROM app.names"), vec![Value::text("app")]);
    assert!(error(&mut s, "SELECT * FROM names").contains("no such table"));
    // Index names belong to their namespace.
    s.execute("CREATE INDEX by_v ON t (v)", &[]).unwrap();
    s.execute("UPDATE app.t SET v = 'changed'", &[]).unwrap();
    assert_eq!(column(&mut s, "SELECT v FROM app.t WHERE v = 'changed'"), vec![Value::text("changed")]);
    assert!(error(&mut s, "SELECT * FROM nowhere.t").contains("no such namespace: nowhere"));
    assert!(error(&mut s, "USE nowhere").contains("no such namespace"));
    assert_eq!(column(&mut s, "CHECK DATABASE"), vec![Value::text("ok")]);
}

#[test]
fn plans_are_cached_per_namespace() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE NAMESPACE a", &[]).unwrap();
    s.execute("CREATE TABLE t (x INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    s.execute("CREATE TABLE a.t (x INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO a.t VALUES (2)", &[]).unwrap();
    let p = s.prepare("SELECT x FROM t").unwrap();
    for (ns, want) in [("main", 1), ("a", 2), ("main", 1)] {
        s.execute(&format!("USE {ns}"), &[]).unwrap();
        assert_eq!(column(&mut s, "SELECT x FROM t"), vec![Value::Integer(want)]);
        assert_eq!(s.query_prepared(&p, &[]).unwrap().rows[0][0], Value::Integer(want));
    }
}

#[test]
fn dropping_a_namespace_removes_everything_in_it_at_once() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE NAMESPACE big", &[]).unwrap();
    s.execute("USE big", &[]).unwrap();
    for t in 0..20 {
        s.execute(&format!("CREATE TABLE t{t} (id INTEGER PRIMARY KEY, v TEXT)"), &[]).unwrap();
    }
    let rows: Vec<String> = (0..20_000).map(|i| format!("({i}, 'v{i}')")).collect();
    s.execute(&format!("INSERT INTO t0 VALUES {}", rows.join(", ")), &[]).unwrap();
    for i in 0..100 {
        s.query(&format!("SELECT write_message('00000000-0000-4000-8000-{i:012x}', 's-{}', 'T', '{{}}')", i % 10), &[])
            .unwrap();
    }
    s.execute("USE main", &[]).unwrap();
    s.execute("CREATE TABLE keep (x INTEGER)", &[]).unwrap();
    let before = db.version();
    let started = Instant::now();
    s.execute("DROP NAMESPACE big", &[]).unwrap();
    let took = started.elapsed();
    assert_eq!(db.version(), before + 1, "one commit");
    assert!(db.state().tables().all(|t| !t.name().starts_with("big.")));
    assert!(db.state().messages("big").is_none());
    assert!(db.state().table("keep").is_some());
    assert!(error(&mut s, "SELECT * FROM big.t0").contains("no such namespace"));
    // Names resolve against the namespaces that exist now, so even AS OF cannot name a
    // dropped one (RESTORE SNAPSHOT brings a namespace back; see below).
    assert!(db.session().query(&format!("SELECT 1 FROM big.t0 AS OF VERSION {before}"), &[]).is_err());
    eprintln!("DROP NAMESPACE with 20 tables, 20,000 rows and 100 messages: {took:?}");
    assert!(error(&mut s, "DROP NAMESPACE main").contains("cannot be dropped"));
    assert!(error(&mut s, "DROP NAMESPACE big").contains("no such namespace"));
    s.execute("DROP NAMESPACE IF EXISTS big", &[]).unwrap();
    s.execute("CREATE NAMESPACE IF NOT EXISTS big", &[]).unwrap();
    assert!(error(&mut s, "CREATE NAMESPACE big").contains("already exists"));
}

#[test]
fn a_namespace_referenced_from_outside_cannot_be_dropped() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE NAMESPACE lib", &[]).unwrap();
    s.execute("CREATE TABLE lib.parent (id INTEGER PRIMARY KEY)", &[]).unwrap();
    s.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES lib.parent (id))", &[]).unwrap();
    s.execute("INSERT INTO lib.parent VALUES (1)", &[]).unwrap();
    s.execute("INSERT INTO child VALUES (1, 1)", &[]).unwrap();
    assert!(error(&mut s, "INSERT INTO child VALUES (2, 9)").contains("FOREIGN KEY"));
    assert!(error(&mut s, "DROP NAMESPACE lib").contains("refers to"));
    s.execute("DROP TABLE child", &[]).unwrap();
    s.execute("DROP NAMESPACE lib", &[]).unwrap();
}

#[test]
fn namespaces_survive_reopening_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        s.execute("CREATE NAMESPACE app", &[]).unwrap();
        s.execute("CREATE TABLE app.t (x INTEGER)", &[]).unwrap();
        s.execute("INSERT INTO app.t VALUES (1)", &[]).unwrap();
        s.execute("CHECKPOINT", &[]).unwrap();
        s.execute("CREATE NAMESPACE later", &[]).unwrap();
        s.execute("CREATE SNAPSHOT both", &[]).unwrap();
        s.execute("DROP NAMESPACE app", &[]).unwrap();
        s.execute("RESTORE SNAPSHOT both", &[]).unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(column(&mut s, "SELECT x FROM app.t"), vec![Value::Integer(1)]);
    s.execute("USE later", &[]).unwrap();
    let namespaces: Vec<String> = db.state().namespaces().cloned().collect();
    assert_eq!(namespaces, vec!["app".to_string(), "later".to_string()]);
}

#[test]
fn dump_and_export_carry_namespaces_and_messages() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE NAMESPACE app", &[]).unwrap();
    s.execute("CREATE TABLE app.t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    s.execute("CREATE INDEX app.by_v ON app.t (v)", &[]).unwrap();
    s.execute("INSERT INTO app.t VALUES (1, 'x')", &[]).unwrap();
    s.execute("USE app", &[]).unwrap();
    s.query("SELECT write_message('00000000-0000-4000-8000-000000000001', 'a-1', 'T', '{\"k\": 1}', '{}')", &[])
        .unwrap();
    let state = db.state();
    let dump = amberdb::export::dump(&state, db.now());
    let copy = Database::open_in_memory();
    let mut c = copy.session();
    let mut runner = amberdb::shell::runner::Runner::new(
        copy.session(),
        amberdb::shell::render::Settings::default(),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    runner.run_script(&dump, "dump");
    assert_eq!(runner.errors, 0, "{dump}");
    assert_eq!(column(&mut c, "SELECT v FROM app.t"), vec![Value::text("x")]);
    c.execute("USE app", &[]).unwrap();
    assert_eq!(column(&mut c, "SELECT data FROM get_stream_messages('a-1')"), vec![Value::text("{\"k\": 1}")]);
    let text = amberdb::export::export(&state, db.version(), db.now()).unwrap();
    let other = Database::open_in_memory();
    let mut o = other.session();
    amberdb::export::import(&mut o, &text, "export.ron").unwrap();
    assert_eq!(column(&mut o, "SELECT v FROM app.t WHERE v = 'x'"), vec![Value::text("x")]);
    o.execute("USE app", &[]).unwrap();
    assert_eq!(column(&mut o, "SELECT metadata FROM get_stream_messages('a-1')"), vec![Value::text("{}")]);
}
