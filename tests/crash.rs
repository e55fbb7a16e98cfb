//! The crash test: the real binary commits single rows into a data directory and is
//! killed with SIGKILL at random moments, 50 times. After each kill the directory reopens
//! with every acknowledged commit (each printed `1 row inserted` before the kill) and
//! nothing that was not sent; at most the one commit in flight may be there unacknowledged.
//! A second test does the same with upserts, half of which update a row already there.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use amberdb::{Database, Value};

const ROUNDS: i64 = 50;
const PER_ROUND: i64 = 20_000;

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_commit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    Database::open(&data)
        .unwrap()
        .session()
        .execute("CREATE TABLE t (id INTEGER PRIMARY KEY, round INTEGER)", &[])
        .unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut kept = 0i64;
    let mut cut_short = 0;
    for round in 0..ROUNDS {
        let script = dir.path().join(format!("round{round}.q"));
        let text: String =
            (0..PER_ROUND).map(|i| format!("INSERT INTO t VALUES ({}, {round});\n", round * PER_ROUND + i)).collect();
        std::fs::write(&script, text).unwrap();

        let acked = run_and_kill(&data, &script, "1 row inserted", &mut seed);

        let db = Database::open(&data).unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        let mut s = db.session();
        let mut count = |sql: &str| match &s.query(sql, &[]).unwrap().rows[0][0] {
            Value::Integer(n) => *n,
            other => panic!("{other:?}"),
        };
        let this = count(&format!("SELECT count(*) FROM t WHERE round = {round}"));
        let top = count(&format!("SELECT coalesce(max(id) - {}, -1) FROM t WHERE round = {round}", round * PER_ROUND));
        let all = count("SELECT count(*) FROM t");
        assert!(this >= acked, "round {round}: {acked} commits acknowledged, {this} kept");
        assert!(this <= acked + 1, "round {round}: {acked} acknowledged but {this} kept");
        assert_eq!(top, this - 1, "round {round}: the kept rows are a prefix of those sent");
        assert_eq!(all, kept + this, "round {round}: earlier rounds changed");
        assert_eq!(s.query("CHECK DATABASE", &[]).unwrap().rows, vec![vec![Value::text("ok")]]);
        kept += this;
        if this > 0 && this < PER_ROUND {
            cut_short += 1;
        }
    }
    // Most kills must land in the middle of the writing to test anything.
    assert!(cut_short >= ROUNDS / 2, "only {cut_short} of {ROUNDS} rounds were killed while committing");
}

/// Runs a script through the real binary on `data`, kills it (SIGKILL) at a random moment
/// once commits are flowing, and gives how many statements it acknowledged with `ack`.
fn run_and_kill(data: &std::path::Path, script: &std::path::Path, ack: &'static str, seed: &mut u64) -> i64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
        .arg("--data")
        .arg(data)
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let acked = Arc::new(AtomicUsize::new(0));
    let reader = {
        let out = child.stdout.take().unwrap();
        let acked = acked.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                match line {
                    Ok(l) if l == ack => {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        })
    };
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    // Once commits are flowing (however slowly the machine starts the process), kill
    // at a random moment among them.
    let started = Instant::now();
    while acked.load(Ordering::SeqCst) == 0 && started.elapsed() < Duration::from_secs(20) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_micros(*seed % 60_000));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    acked.load(Ordering::SeqCst) as i64
}

#[test]
fn sigkill_during_upserts_loses_no_acknowledged_one() {
    const UPSERT_ROUNDS: i64 = 12;
    const KEYS: i64 = 500;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    Database::open(&data)
        .unwrap()
        .session()
        .execute("CREATE TABLE c (k INTEGER PRIMARY KEY, n INTEGER NOT NULL, round INTEGER)", &[])
        .unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut total = 0i64;
    let mut cut_short = 0;
    for round in 0..UPSERT_ROUNDS {
        // Each key is inserted once, then updated: after the first KEYS statements every
        // upsert is an update.
        let script = dir.path().join(format!("upserts{round}.q"));
        let text: String = (0..PER_ROUND)
            .map(|i| {
                format!(
                    "INSERT INTO c VALUES ({}, 1, {round}) ON CONFLICT (k) DO UPDATE SET n = n + 1, round = excluded.round;\n",
                    i % KEYS
                )
            })
            .collect();
        std::fs::write(&script, text).unwrap();
        let acked = run_and_kill(&data, &script, "1 row inserted or updated", &mut seed);
        let db = Database::open(&data).unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        let mut s = db.session();
        let mut count = |sql: &str| match &s.query(sql, &[]).unwrap().rows[0][0] {
            Value::Integer(n) => *n,
            Value::Null => 0,
            other => panic!("{other:?}"),
        };
        let sum = count("SELECT sum(n) FROM c");
        let this = sum - total;
        assert!(this >= acked, "round {round}: {acked} upserts acknowledged, {this} kept");
        assert!(this <= acked + 1, "round {round}: {acked} acknowledged but {this} kept");
        assert!(count("SELECT count(*) FROM c") <= KEYS, "round {round}: an upsert inserted a second row for a key");
        assert_eq!(s.query("CHECK DATABASE", &[]).unwrap().rows, vec![vec![Value::text("ok")]]);
        total = sum;
        if this > 0 && this < PER_ROUND {
            cut_short += 1;
        }
    }
    assert!(cut_short >= UPSERT_ROUNDS / 2, "only {cut_short} of {UPSERT_ROUNDS} rounds were killed while committing");
}
