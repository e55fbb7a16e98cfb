//! Incremental materialized views equal their queries: after every step of random
//! transactions (inserts, updates, deletes, commits, rollbacks, snapshot restores), at
//! the head and at earlier versions, and after reopening a data directory.

use amberdb::{Database, Session, Value};
use proptest::prelude::*;

/// The views under test, each with the query it must equal.
const VIEWS: &[(&str, &str)] = &[
    (
        "per_player",
        "SELECT pid, count(*) AS n, count(pts) AS counted, sum(pts) AS total, total(pts) AS t, avg(pts) AS mean, \
         min(pts) AS lo, max(pts) AS hi FROM s GROUP BY pid",
    ),
    ("big", "SELECT id, pid, pts * 2 AS double FROM s WHERE pts > 3"),
    ("joined", "SELECT s.id, p.team, s.pts FROM s JOIN p ON s.pid = p.id WHERE s.pts IS NOT NULL"),
    ("teams", "SELECT DISTINCT team FROM p"),
    ("overall", "SELECT count(*) AS n, sum(pts) AS total, max(pts) AS hi FROM s"),
    (
        "by_team",
        "SELECT p.team, count(*) AS n, sum(s.pts) AS total, min(s.pts) AS lo FROM s, p WHERE s.pid = p.id \
         GROUP BY p.team HAVING count(*) > 1",
    ),
    ("active", "SELECT pid, max(pts) FILTER (WHERE pts > 2) AS best FROM s GROUP BY pid"),
];

#[derive(Clone, Debug)]
enum Op {
    InsertScore(i64, i64, Option<i64>),
    UpdateScore(i64, Option<i64>),
    MoveScore(i64, i64),
    DeleteScore(i64),
    DeletePlayers(i64),
    InsertPlayer(i64, u8),
    RenameTeam(i64, u8),
    Begin,
    Commit,
    Rollback,
    Snapshot,
    Restore,
}

fn op() -> impl Strategy<Value = Op> {
    let id = 1i64..30;
    let pid = 1i64..6;
    // Halves add up exactly, so sums in any order are the same real.
    let pts = prop::option::weighted(0.85, -4i64..12);
    prop_oneof![
        6 => (id.clone(), pid.clone(), pts.clone()).prop_map(|(i, p, v)| Op::InsertScore(i, p, v)),
        3 => (id.clone(), pts).prop_map(|(i, v)| Op::UpdateScore(i, v)),
        2 => (id.clone(), pid.clone()).prop_map(|(i, p)| Op::MoveScore(i, p)),
        2 => id.prop_map(Op::DeleteScore),
        1 => pid.clone().prop_map(Op::DeletePlayers),
        2 => (pid.clone(), 0u8..3).prop_map(|(p, t)| Op::InsertPlayer(p, t)),
        1 => (pid, 0u8..3).prop_map(|(p, t)| Op::RenameTeam(p, t)),
        1 => Just(Op::Begin),
        1 => Just(Op::Commit),
        1 => Just(Op::Rollback),
        1 => Just(Op::Snapshot),
        1 => Just(Op::Restore),
    ]
}

fn sql(op: &Op) -> String {
    let num = |v: &Option<i64>| v.map_or("NULL".to_string(), |v| format!("{}", v as f64 / 2.0 + (v % 3) as f64));
    match op {
        Op::InsertScore(i, p, v) => format!("INSERT OR REPLACE INTO s VALUES ({i}, {p}, {})", num(v)),
        Op::UpdateScore(i, v) => format!("UPDATE s SET pts = {} WHERE id = {i}", num(v)),
        Op::MoveScore(i, p) => format!("UPDATE s SET pid = {p} WHERE id >= {i} AND id < {i} + 3"),
        Op::DeleteScore(i) => format!("DELETE FROM s WHERE id % 7 = {i} % 7"),
        Op::DeletePlayers(p) => format!("DELETE FROM p WHERE id = {p}"),
        Op::InsertPlayer(p, t) => format!("INSERT OR REPLACE INTO p VALUES ({p}, 'team{t}')"),
        Op::RenameTeam(p, t) => format!("UPDATE p SET team = 'team{t}' WHERE id >= {p}"),
        Op::Begin => "BEGIN".into(),
        Op::Commit => "COMMIT".into(),
        Op::Rollback => "ROLLBACK".into(),
        Op::Snapshot => "CREATE SNAPSHOT s1".into(),
        Op::Restore => "RESTORE SNAPSHOT s1".into(),
    }
}

fn sorted(s: &mut Session, q: &str) -> Vec<Vec<Value>> {
    let mut rows = s.query(q, &[]).unwrap_or_else(|e| panic!("{q}: {e}")).rows;
    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    rows
}

fn setup(s: &mut Session) {
    s.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, team TEXT)", &[]).unwrap();
    s.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, pid INTEGER, pts REAL)", &[]).unwrap();
    s.execute("CREATE INDEX s_pid ON s (pid)", &[]).unwrap();
    s.execute("INSERT INTO p VALUES (1, 'team0'), (2, 'team1'), (3, 'team0')", &[]).unwrap();
    s.execute("INSERT INTO s VALUES (100, 1, 5), (101, 2, 7.5), (102, 1, NULL)", &[]).unwrap();
    for (name, query) in VIEWS {
        s.execute(&format!("CREATE MATERIALIZED VIEW {name} WITH (incremental) AS {query}"), &[]).unwrap();
    }
}

/// Every view equals its query, at the head or at `as_of`.
fn check(s: &mut Session, as_of: Option<u64>) -> Result<(), TestCaseError> {
    for (name, query) in VIEWS {
        let (view, fresh) = match as_of {
            None => (format!("SELECT * FROM {name}"), format!("SELECT * FROM ({query})")),
            Some(v) => {
                // The query reads each table as of the version through a CTE-free rewrite.
                let q = query.replace(" FROM s", &format!(" FROM s AS OF VERSION {v}"));
                let q = q.replace(" JOIN p ", &format!(" JOIN p AS OF VERSION {v} "));
                let q = q.replace(", p WHERE", &format!(", p AS OF VERSION {v} WHERE"));
                let q = q.replace("FROM p", &format!("FROM p AS OF VERSION {v}"));
                (format!("SELECT * FROM {name} AS OF VERSION {v}"), format!("SELECT * FROM ({q})"))
            }
        };
        let (got, want) = (sorted(s, &view), sorted(s, &fresh));
        prop_assert_eq!(got, want, "view {} (as of {:?})", name, as_of);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn incremental_views_equal_their_queries(ops in prop::collection::vec(op(), 1..40)) {
        let db = Database::open_in_memory();
        let mut s = db.session();
        setup(&mut s);
        let mut versions = vec![db.version()];
        for op in &ops {
            // Errors (COMMIT outside a transaction, a restore without a snapshot) change
            // nothing, which the check below sees as well.
            let _ = s.execute(&sql(op), &[]);
            if !s.in_transaction() {
                versions.push(db.version());
                check(&mut s, None)?;
            }
        }
        let _ = s.execute("COMMIT", &[]);
        check(&mut s, None)?;
        for v in versions.iter().step_by(5) {
            check(&mut s, Some(*v))?;
        }
    }
}

#[test]
fn views_survive_reopening_and_refresh() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        setup(&mut s);
        s.execute("INSERT INTO s VALUES (1, 3, 4), (2, 3, 9)", &[]).unwrap();
        s.execute("DELETE FROM s WHERE id = 100", &[]).unwrap();
        s.execute("CHECKPOINT", &[]).unwrap();
        s.execute("UPDATE s SET pts = pts + 1", &[]).unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    let before = sorted(&mut s, "SELECT * FROM per_player");
    check(&mut s, None).unwrap();
    s.execute("INSERT INTO s VALUES (3, 3, 1)", &[]).unwrap();
    check(&mut s, None).unwrap();
    s.execute("REFRESH MATERIALIZED VIEW per_player", &[]).unwrap();
    check(&mut s, None).unwrap();
    assert_ne!(before, sorted(&mut s, "SELECT * FROM per_player"));
}

#[test]
fn what_cannot_be_kept_is_refused_with_the_reason() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    setup(&mut s);
    let refused = [
        ("SELECT pid FROM s ORDER BY pts LIMIT 3", "LIMIT"),
        ("SELECT s.id FROM s LEFT JOIN p ON s.pid = p.id", "outer join"),
        ("SELECT pid, group_concat(pts) FROM s GROUP BY pid", "only count, sum"),
        ("SELECT id, random() FROM s", "randomness"),
        ("SELECT id FROM s WHERE pid IN (SELECT id FROM p)", "subquer"),
        ("SELECT pid, pts FROM s GROUP BY pid", "neither grouped nor aggregated"),
        ("SELECT * FROM per_player", "materialized view per_player"),
        ("SELECT id FROM s UNION SELECT id FROM p", "compound"),
    ];
    for (query, why) in refused {
        let e = s.execute(&format!("CREATE MATERIALIZED VIEW x WITH (incremental) AS {query}"), &[]).unwrap_err();
        assert!(e.to_string().contains(why), "{query}: {e}");
        // Without incremental the same query is a view REFRESH keeps.
        s.execute(&format!("CREATE MATERIALIZED VIEW x AS {query}"), &[]).unwrap();
        s.execute("DROP MATERIALIZED VIEW x", &[]).unwrap();
    }
    for stmt in ["INSERT INTO big VALUES (1, 2, 3)", "DELETE FROM per_player", "DROP TABLE teams", "DROP TABLE s"] {
        assert!(s.execute(stmt, &[]).is_err(), "{stmt}");
    }
    assert!(s.execute("ALTER TABLE p ADD COLUMN x INTEGER", &[]).is_err());
}

#[test]
fn a_dump_makes_the_views_again() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    setup(&mut s);
    s.execute("CREATE INDEX per_player_total ON per_player (total)", &[]).unwrap();
    s.execute("CREATE MATERIALIZED VIEW plain AS SELECT pid, pts FROM s ORDER BY pts DESC LIMIT 2", &[]).unwrap();
    let dump = s.dump();
    assert!(dump.contains("CREATE MATERIALIZED VIEW per_player WITH (incremental) AS"), "{dump}");
    assert!(!dump.contains("INSERT INTO \"per_player$groups\""), "{dump}");
    let copy = Database::open_in_memory();
    let mut c = copy.session();
    for stmt in dump.split(";\n").map(str::trim).filter(|t| !t.is_empty()) {
        c.execute(stmt, &[]).unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    check(&mut c, None).unwrap();
    c.execute("INSERT INTO s VALUES (50, 4, 2.5)", &[]).unwrap();
    check(&mut c, None).unwrap();
    assert_eq!(sorted(&mut c, "SELECT * FROM plain"), sorted(&mut s, "SELECT * FROM plain"));
    assert!(c.query("EXPLAIN SELECT pid FROM per_player WHERE total > 3", &[]).is_ok());
}
