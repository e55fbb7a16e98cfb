//! Transactions under threads: the bank invariant, gap-free versions, and a model check
//! of transactions and snapshots against a plain `BTreeMap`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use amberdb::storage::{AsOf, History, RowKey};
use amberdb::{Database, ErrorKind, Value};
use proptest::prelude::*;

const ACCOUNTS: i64 = 100;
const START: i64 = 1_000;

fn total(s: &mut amberdb::Session) -> i64 {
    match s.query("SELECT sum(balance) FROM accounts", &[]).unwrap().rows[0][0] {
        Value::Integer(n) => n,
        ref v => panic!("sum returned {v:?}"),
    }
}

#[test]
fn bank_transfers_keep_the_total() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)", &[]).unwrap();
    s.execute("CREATE TABLE transfers (worker INTEGER, seq INTEGER, amount INTEGER, PRIMARY KEY (worker, seq))", &[])
        .unwrap();
    for id in 0..ACCOUNTS {
        s.execute("INSERT INTO accounts VALUES (?, ?)", &[Value::Integer(id), Value::Integer(START)]).unwrap();
    }
    let transfers_each = 10_000;
    let committed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, stop) = (db.clone(), stop.clone());
            thread::spawn(move || {
                let mut s = db.session();
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(total(&mut s), ACCOUNTS * START, "a reader saw money appear or vanish");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let writers: Vec<_> = (0..8)
        .map(|worker| {
            let (db, committed) = (db.clone(), committed.clone());
            thread::spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (worker as u64 + 1);
                let mut next = move || {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed
                };
                let debit = "UPDATE accounts SET balance = balance - ? WHERE id = ?";
                let credit = "UPDATE accounts SET balance = balance + ? WHERE id = ?";
                let log = "INSERT INTO transfers VALUES (?, ?, ?)";
                for seq in 0..transfers_each {
                    let from = (next() % ACCOUNTS as u64) as i64;
                    let to = (from + 1 + (next() % (ACCOUNTS as u64 - 1)) as i64) % ACCOUNTS;
                    let amount = Value::Integer((next() % 50) as i64 + 1);
                    db.transaction(1_000, |tx| {
                        tx.execute(debit, &[amount.clone(), Value::Integer(from)])?;
                        tx.execute(credit, &[amount.clone(), Value::Integer(to)])?;
                        tx.execute(log, &[Value::Integer(worker), Value::Integer(seq), amount.clone()])?;
                        Ok(())
                    })
                    .unwrap();
                    committed.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(total(&mut s), ACCOUNTS * START);
    let logged = s.query("SELECT count(*) FROM transfers", &[]).unwrap().rows[0][0].clone();
    assert_eq!(logged, Value::Integer(committed.load(Ordering::Relaxed) as i64));
    assert_eq!(committed.load(Ordering::Relaxed), 8 * transfers_each as usize);
}

#[test]
fn every_autocommit_write_gets_its_own_version() {
    let db = Database::open_in_memory();
    db.set_history_limit(20_000);
    db.session().execute("CREATE TABLE w (id INTEGER PRIMARY KEY, worker INTEGER)", &[]).unwrap();
    let start = db.version();
    let (threads, writes) = (100, 1_000);
    let handles: Vec<_> = (0..threads)
        .map(|worker| {
            let db = db.clone();
            thread::spawn(move || {
                let mut s = db.session();
                let mut versions = Vec::with_capacity(writes);
                for i in 0..writes {
                    let id = (worker * writes + i) as i64;
                    s.execute("INSERT INTO w VALUES (?, ?)", &[Value::Integer(id), Value::Integer(worker as i64)])
                        .unwrap();
                    let v = s.last_commit_version().expect("an autocommit write has a version");
                    let key = RowKey::Int(id);
                    let at = |v| db.state_at(&AsOf::Version(v)).unwrap().table("w").unwrap().rows.contains_key(&key);
                    assert!(at(v), "row {id} is visible at its own version {v}");
                    assert!(!at(v - 1), "row {id} is not visible before its version {v}");
                    versions.push(v);
                }
                versions
            })
        })
        .collect();
    let mut all = BTreeSet::new();
    for h in handles {
        for v in h.join().unwrap() {
            assert!(all.insert(v), "version {v} was given twice");
        }
    }
    let expected: BTreeSet<u64> = (start + 1..=start + (threads * writes) as u64).collect();
    assert_eq!(all, expected, "versions are distinct and have no gap");
    assert_eq!(db.version(), start + (threads * writes) as u64);
}

#[test]
fn reading_a_version_no_longer_kept_says_which_is_oldest() {
    let db = Database::open_in_memory();
    db.set_history_limit(3);
    let mut s = db.session();
    s.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
    for i in 0..5 {
        s.execute("INSERT INTO t VALUES (?)", &[Value::Integer(i)]).unwrap();
    }
    let err = s.query("SELECT * FROM t AS OF VERSION 1", &[]).unwrap_err();
    assert_eq!(err.to_string(), "version 1 is no longer kept: the oldest available is 4");
    assert!(matches!(err.kind(), ErrorKind::NoSuchVersion(_)));
    assert_eq!(s.query("SELECT count(*) FROM t AS OF VERSION 4", &[]).unwrap().rows[0][0], Value::Integer(3));
}

#[derive(Clone, Debug)]
enum Op {
    Insert(i64, i64),
    Update(i64, i64),
    Delete(i64),
    Begin,
    Commit,
    Rollback,
    Snapshot(u8),
    Restore(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0i64..8, 0i64..100).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0i64..8, 0i64..100).prop_map(|(k, v)| Op::Update(k, v)),
        2 => (0i64..8).prop_map(Op::Delete),
        1 => Just(Op::Begin),
        1 => Just(Op::Commit),
        1 => Just(Op::Rollback),
        1 => (0u8..3).prop_map(Op::Snapshot),
        1 => (0u8..3).prop_map(Op::Restore),
    ]
}

/// What the session should see, kept with a plain map.
#[derive(Default)]
struct Model {
    committed: BTreeMap<i64, i64>,
    txn: Option<BTreeMap<i64, i64>>,
    snapshots: BTreeMap<u8, BTreeMap<i64, i64>>,
}

impl Model {
    fn visible(&mut self) -> &mut BTreeMap<i64, i64> {
        self.txn.as_mut().unwrap_or(&mut self.committed)
    }

    /// Applies an op; returns whether the database should accept it.
    fn apply(&mut self, op: &Op) -> bool {
        match *op {
            Op::Insert(k, v) => {
                // A duplicate key is refused and changes nothing.
                let m = self.visible();
                !m.contains_key(&k) && m.insert(k, v).is_none()
            }
            Op::Update(k, v) => {
                if let Some(x) = self.visible().get_mut(&k) {
                    *x = v;
                }
                true
            }
            Op::Delete(k) => {
                self.visible().remove(&k);
                true
            }
            Op::Begin => {
                self.txn.is_none() && {
                    self.txn = Some(self.committed.clone());
                    true
                }
            }
            Op::Commit => match self.txn.take() {
                Some(t) => {
                    self.committed = t;
                    true
                }
                None => false,
            },
            Op::Rollback => self.txn.take().is_some(),
            Op::Snapshot(n) => {
                self.txn.is_none() && !self.snapshots.contains_key(&n) && {
                    self.snapshots.insert(n, self.committed.clone());
                    true
                }
            }
            Op::Restore(n) => match (&self.txn, self.snapshots.get(&n)) {
                (None, Some(s)) => {
                    self.committed = s.clone();
                    true
                }
                _ => false,
            },
        }
    }
}

fn sql(op: &Op) -> String {
    match op {
        Op::Insert(k, v) => format!("INSERT INTO kv VALUES ({k}, {v})"),
        Op::Update(k, v) => format!("UPDATE kv SET v = {v} WHERE k = {k}"),
        Op::Delete(k) => format!("DELETE FROM kv WHERE k = {k}"),
        Op::Begin => "BEGIN".into(),
        Op::Commit => "COMMIT".into(),
        Op::Rollback => "ROLLBACK".into(),
        Op::Snapshot(n) => format!("CREATE SNAPSHOT s{n}"),
        Op::Restore(n) => format!("RESTORE SNAPSHOT s{n}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn transactions_and_snapshots_match_a_model(ops in prop::collection::vec(op(), 1..40)) {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)", &[]).unwrap();
        let mut model = Model::default();
        for op in &ops {
            let accepted = model.apply(op);
            let result = s.execute(&sql(op), &[]);
            prop_assert_eq!(result.is_ok(), accepted, "{:?} gave {:?}", op, result);
            let rows = s.query("SELECT k, v FROM kv ORDER BY k", &[]).unwrap().rows;
            let expected: Vec<Vec<Value>> = model
                .visible()
                .iter()
                .map(|(k, v)| vec![Value::Integer(*k), Value::Integer(*v)])
                .collect();
            prop_assert_eq!(rows, expected, "after {:?}", op);
        }
    }
}

/// A session keeps the state its last read ran on for the next one: it must still see
/// every commit made before that next read began, its own and other sessions'.
#[test]
fn a_read_sees_every_commit_made_before_it() {
    let db = Database::open_in_memory();
    let mut reader = db.session();
    let mut writer = db.session();
    writer.execute("CREATE TABLE c (id INTEGER PRIMARY KEY)", &[]).unwrap();
    let count = |s: &mut amberdb::Session| s.query("SELECT count(*) FROM c", &[]).unwrap().rows[0][0].clone();
    let prepared = reader.prepare("SELECT count(*) FROM c WHERE id >= ?").unwrap();
    for i in 0..50 {
        assert_eq!(count(&mut reader), Value::Integer(i));
        writer.execute("INSERT INTO c VALUES (?)", &[Value::Integer(i)]).unwrap();
        let rows = reader.query_prepared(&prepared, &[Value::Integer(0)]).unwrap().rows;
        assert_eq!(rows[0][0], Value::Integer(i + 1), "the other session's commit {i}");
        reader.execute("INSERT INTO c VALUES (?)", &[Value::Integer(1000 + i)]).unwrap();
        assert_eq!(count(&mut reader), Value::Integer(i + 2), "the session's own commit");
        reader.execute("DELETE FROM c WHERE id = ?", &[Value::Integer(1000 + i)]).unwrap();
    }

    // Under threads: a reader's counts never go back, and once the writer is done the
    // reader's next read sees all of its rows.
    let done = Arc::new(AtomicBool::new(false));
    let writing = {
        let (db, done) = (db.clone(), done.clone());
        thread::spawn(move || {
            let mut s = db.session();
            for i in 0..2_000 {
                s.execute("INSERT INTO c VALUES (?)", &[Value::Integer(10_000 + i)]).unwrap();
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut last = 0;
    while !done.load(Ordering::SeqCst) {
        let Value::Integer(n) = count(&mut reader) else { panic!("count is an integer") };
        assert!(n >= last, "a read saw {n} rows after one saw {last}");
        last = n;
    }
    writing.join().unwrap();
    assert_eq!(count(&mut reader), Value::Integer(2_050));
}

/// Concurrent transactions adding rows to a table with no key of its own (a log) do not
/// conflict: each commit's rows take row ids past those committed before it, and what
/// a transaction did to its own new rows goes with them. A table whose key the rows
/// carry still conflicts.
#[test]
fn concurrent_inserts_into_a_keyless_table_do_not_conflict() {
    let db = Database::open_in_memory();
    let mut a = db.session();
    let mut b = db.session();
    a.execute("CREATE TABLE log (who TEXT, n INTEGER)", &[]).unwrap();
    a.execute("CREATE INDEX log_n ON log (n)", &[]).unwrap();
    a.execute("CREATE TABLE keyed (id INTEGER PRIMARY KEY, who TEXT)", &[]).unwrap();
    a.execute("INSERT INTO log VALUES ('before', 0)", &[]).unwrap();
    for s in [&mut a, &mut b] {
        s.execute("BEGIN", &[]).unwrap();
    }
    a.execute("INSERT INTO log VALUES ('a', 1), ('a', 2)", &[]).unwrap();
    b.execute("INSERT INTO log VALUES ('b', 10), ('b', 20)", &[]).unwrap();
    b.execute("UPDATE log SET n = n + 1 WHERE who = 'b' AND n = 20", &[]).unwrap();
    b.execute("DELETE FROM log WHERE who = 'b' AND n = 10", &[]).unwrap();
    a.execute("COMMIT", &[]).unwrap();
    b.execute("COMMIT", &[]).unwrap();
    let rows = a.query("SELECT who, n FROM log ORDER BY n", &[]).unwrap().rows;
    let text: Vec<String> = rows.iter().map(|r| format!("{}{}", r[0], r[1])).collect();
    assert_eq!(text, ["before0", "a1", "a2", "b21"]);
    // The index agrees with the rows.
    let by_index = a.query("SELECT who FROM log WHERE n = 21", &[]).unwrap().rows;
    assert_eq!(by_index, [[Value::text("b")]]);
    assert_eq!(a.query("SELECT count(*) FROM log WHERE n > 0", &[]).unwrap().rows[0][0], Value::Integer(3));

    for s in [&mut a, &mut b] {
        s.execute("BEGIN", &[]).unwrap();
    }
    a.execute("INSERT INTO keyed (who) VALUES ('a')", &[]).unwrap();
    b.execute("INSERT INTO keyed (who) VALUES ('b')", &[]).unwrap();
    a.execute("COMMIT", &[]).unwrap();
    let e = b.execute("COMMIT", &[]).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Conflict(_)), "{e}");
}
