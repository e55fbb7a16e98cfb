//! Replicas over NATS JetStream (`--cluster`): three NATS servers on loopback ports
//! (an R3 stream), AmberDB nodes in this process and as `amberdb serve` processes.
//!
//! - every node applies one history: the same versions, rows and AS OF reads;
//! - first committer wins across nodes, and disjoint writes on different nodes both
//!   commit;
//! - a node joining late starts from a published checkpoint and matches the others;
//! - bank transfers from clients on all three nodes while a NATS server and then a
//!   node are killed and restarted: afterwards every node has the same state and
//!   version, the total is unchanged, every acknowledged transfer is there, and the
//!   transfers in version order explain every balance each of them read.
//!
//! Skipped with a note when nats-server is not installed, unless
//! `AMBERDB_REQUIRE_CLIENTS` is set (`.ci/run` installs it and sets it).

mod common;

use std::time::{Duration, Instant};

use amberdb::{Database, ErrorKind, Value};
use common::nats::{self, Nats};

fn one(db: &Database, sql: &str) -> Value {
    db.session().query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")).rows[0][0].clone()
}

fn rows(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    db.session().query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")).rows
}

/// Waits until every node has applied `version`.
fn settle(nodes: &[&Database], version: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while nodes.iter().any(|db| db.version() < version) {
        assert!(Instant::now() < deadline, "nodes did not reach version {version}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn three_nodes_apply_one_history_and_first_committer_wins_across_them() {
    if !nats::available() {
        return;
    }
    let nats = Nats::start(3);
    let (a, b, c) = (Database::open_in_memory(), Database::open_in_memory(), Database::open_in_memory());
    assert_eq!(nats::join(&a, &nats, "one", "a", 20).replicas, 3, "an R3 stream on three servers");
    nats::join(&b, &nats, "one", "b", 20);
    nats::join(&c, &nats, "one", "c", 20);

    let mut s = a.session();
    s.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)", &[]).unwrap();
    s.execute("INSERT INTO accounts SELECT value, 100 FROM generate_series(1, 10)", &[]).unwrap();
    let v = a.version();
    // An AS OF read of a version another node committed waits for it to arrive.
    assert_eq!(one(&c, &format!("SELECT sum(balance) FROM accounts AS OF VERSION {v}")), Value::Integer(1000));

    // Autocommit writes from all three nodes at once: each one commits, those that were
    // refused because another node came first run again on the newer head.
    std::thread::scope(|scope| {
        for db in [&a, &b, &c] {
            scope.spawn(move || {
                let mut s = db.session();
                for i in 0..40 {
                    let id = i % 10 + 1;
                    s.execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", &[Value::Integer(id)]).unwrap();
                }
            });
        }
    });
    let newest = [&a, &b, &c].iter().map(|db| db.version()).max().unwrap();
    settle(&[&a, &b, &c], newest);
    let table = rows(&a, "SELECT id, balance FROM accounts ORDER BY id");
    for db in [&b, &c] {
        assert_eq!(db.version(), a.version());
        assert_eq!(rows(db, "SELECT id, balance FROM accounts ORDER BY id"), table);
    }
    assert_eq!(one(&b, "SELECT sum(balance) FROM accounts"), Value::Integer(1000 + 120));
    // The same versions everywhere: a version read on each node is the same state.
    let then = format!("SELECT sum(balance) FROM accounts AS OF VERSION {}", v + 60);
    assert_eq!(one(&a, &then), one(&c, &then));

    // Two transactions on two nodes write the same row: the first to commit wins.
    let (mut on_a, mut on_b) = (a.session(), b.session());
    on_a.execute("BEGIN", &[]).unwrap();
    on_a.execute("UPDATE accounts SET balance = 0 WHERE id = 1", &[]).unwrap();
    on_b.execute("BEGIN", &[]).unwrap();
    on_b.execute("UPDATE accounts SET balance = 1 WHERE id = 1", &[]).unwrap();
    on_b.execute("COMMIT", &[]).unwrap();
    let refused = on_a.execute("COMMIT", &[]).unwrap_err();
    assert!(matches!(refused.kind(), ErrorKind::Conflict(_)), "{refused}");
    // Disjoint rows on two nodes: both commit, whichever reaches the stream second
    // merging onto the first.
    on_a.execute("BEGIN", &[]).unwrap();
    on_a.execute("UPDATE accounts SET balance = 7 WHERE id = 2", &[]).unwrap();
    on_b.execute("BEGIN", &[]).unwrap();
    on_b.execute("UPDATE accounts SET balance = 8 WHERE id = 3", &[]).unwrap();
    on_b.execute("COMMIT", &[]).unwrap();
    on_a.execute("COMMIT", &[]).unwrap();
    let newest = a.version().max(b.version());
    settle(&[&a, &b, &c], newest);
    assert_eq!(
        rows(&c, "SELECT balance FROM accounts WHERE id <= 3 ORDER BY id"),
        vec![vec![Value::Integer(1)], vec![Value::Integer(7)], vec![Value::Integer(8)]]
    );

    // amber_cluster() lists the nodes, with their applied versions.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let listed = rows(&a, "SELECT node FROM amber_cluster() ORDER BY node");
        if listed.len() == 3 {
            assert_eq!(listed, vec![vec![Value::text("a")], vec![Value::text("b")], vec![Value::text("c")]]);
            break;
        }
        assert!(Instant::now() < deadline, "amber_cluster() lists {listed:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(one(&a, "SELECT this_node FROM amber_cluster() WHERE node = 'a'"), Value::Boolean(true));

    // A node joining now starts from the newest published checkpoint (every 20
    // versions), then applies the rest of the stream, and has what the others have.
    let d = Database::open_in_memory();
    let joined = nats::join(&d, &nats, "one", "d", 20);
    assert!(joined.from_checkpoint && joined.started_at >= 20, "{joined:?}");
    settle(&[&d], a.version());
    assert_eq!(
        rows(&d, "SELECT id, balance FROM accounts ORDER BY id"),
        rows(&a, "SELECT id, balance FROM accounts ORDER BY id")
    );
    // And it writes like the others.
    d.session().execute("UPDATE accounts SET balance = balance - 1 WHERE id = 10", &[]).unwrap();
    settle(&[&a], d.version());
    assert_eq!(
        one(&a, "SELECT balance FROM accounts WHERE id = 10"),
        one(&d, "SELECT balance FROM accounts WHERE id = 10")
    );
}

#[test]
fn a_node_with_data_of_its_own_cannot_join_a_cluster_behind_it() {
    if !nats::available() {
        return;
    }
    let nats = Nats::start(1);
    let db = Database::open_in_memory();
    db.session().execute("CREATE TABLE t (n INTEGER)", &[]).unwrap();
    let mut options = amberdb::ClusterOptions::new(&nats.urls(), "behind");
    options.replicas = 3;
    let e = db.join_cluster(options).unwrap_err().to_string();
    assert!(e.contains("ends at version 0"), "{e}");
    // Nothing changed, and the database goes on alone.
    db.session().execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    assert_eq!(db.version(), 2);
    // One NATS server takes a stream of one replica.
    let fresh = Database::open_in_memory();
    assert_eq!(nats::join(&fresh, &nats, "alone", "x", 0).replicas, 1);
    let unreachable = amberdb::ClusterOptions::new("nats://127.0.0.1:1", "nowhere");
    let e = Database::open_in_memory().join_cluster(unreachable).unwrap_err().to_string();
    assert!(e.contains("cannot reach NATS"), "{e}");
}

#[path = "cluster/failover.rs"]
mod failover;
