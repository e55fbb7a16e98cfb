//! Durable workloads against SQLite file databases in WAL mode, in the same run, as
//! ratios (AmberDB time / SQLite time; lower is better). `cargo bench --bench durability`
//! (add `-- --quick` for a smaller run).
//!
//! - single-row commits: AmberDB `--sync always` against SQLite `synchronous=FULL`, both
//!   fsyncing before each commit returns; and the same from 4 threads at once, where
//!   AmberDB's commits share fsyncs (group commit);
//! - a bulk load in one transaction through a prepared insert;
//! - the checkpoint of that database, and reopening it (AmberDB loads the checkpoint and
//!   rebuilds indexes; SQLite opens the file and reads every row once to be comparable).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use amberdb::fs::{Fault, FaultyFs};
use amberdb::Options;
use amberdb::{Database, Value};
use rusqlite::{params, Connection};

/// The allocator the `amberdb` binary uses.
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

const CREATE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, name TEXT, score REAL)";

fn report(name: &str, amber: Duration, lite: Duration) {
    let ratio = amber.as_secs_f64() / lite.as_secs_f64();
    println!("{name:<52} {:>12?} {:>12?} {ratio:>8.2}", amber, lite);
}

fn sqlite(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c
}

fn row(i: i64) -> [Value; 4] {
    [Value::Integer(i), Value::Integer(i * 7 % 1000), Value::text(&format!("name {i}")), Value::Real(i as f64 / 3.0)]
}

fn single_commits(dir: &Path, n: i64, threads: i64) {
    let amber_dir = dir.join(format!("amber-commits-{threads}"));
    let fs = FaultyFs::new();
    let db = Database::open_with(&amber_dir, Options { fs: Arc::new(fs.clone()), ..Options::default() }).unwrap();
    db.session().execute(CREATE, &[]).unwrap();
    fs.fail_at(usize::MAX, Fault::Fail); // counts operations, fails none
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for w in 0..threads {
            let db = db.clone();
            s.spawn(move || {
                let mut session = db.session();
                let insert = session.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
                for i in 0..n / threads {
                    session.execute_prepared(&insert, &row(w * n + i)).unwrap();
                }
            });
        }
    });
    let amber = t0.elapsed() / n as u32;
    let syncs = fs.history().iter().filter(|op| op.starts_with("sync ")).count();

    let path = dir.join(format!("lite-commits-{threads}.db"));
    sqlite(&path).execute(CREATE, []).unwrap();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for w in 0..threads {
            let path = path.clone();
            s.spawn(move || {
                let c = sqlite(&path);
                c.busy_timeout(Duration::from_secs(30)).unwrap();
                let mut stmt = c.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
                for i in 0..n / threads {
                    let id = w * n + i;
                    stmt.execute(params![id, id * 7 % 1000, format!("name {id}"), id as f64 / 3.0]).unwrap();
                }
            });
        }
    });
    let lite = t0.elapsed() / n as u32;
    report(&format!("commit one row, {threads} thread(s) ({syncs} fsyncs for {n})"), amber, lite);
}

fn bulk(dir: &Path, rows: i64) {
    let amber_dir = dir.join("amber-bulk");
    let lite_path = dir.join("lite-bulk.db");
    let t0 = Instant::now();
    {
        let db = Database::open(&amber_dir).unwrap();
        let mut s = db.session();
        s.execute(CREATE, &[]).unwrap();
        s.execute("CREATE INDEX t_a ON t (a)", &[]).unwrap();
        let insert = s.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
        s.execute("BEGIN", &[]).unwrap();
        for i in 0..rows {
            s.execute_prepared(&insert, &row(i)).unwrap();
        }
        s.execute("COMMIT", &[]).unwrap();
    }
    let amber = t0.elapsed();
    let t0 = Instant::now();
    {
        let c = sqlite(&lite_path);
        c.execute(CREATE, []).unwrap();
        c.execute("CREATE INDEX t_a ON t (a)", []).unwrap();
        c.execute("BEGIN", []).unwrap();
        {
            let mut stmt = c.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
            for i in 0..rows {
                stmt.execute(params![i, i * 7 % 1000, format!("name {i}"), i as f64 / 3.0]).unwrap();
            }
        }
        c.execute("COMMIT", []).unwrap();
    }
    let lite = t0.elapsed();
    report(&format!("bulk load {rows} rows in one transaction"), amber, lite);

    // The checkpoint that makes reopening fast, against SQLite's WAL checkpoint.
    let db = Database::open(&amber_dir).unwrap();
    let t0 = Instant::now();
    let done = db.checkpoint().unwrap();
    let amber = t0.elapsed();
    drop(db);
    let c = sqlite(&lite_path);
    let t0 = Instant::now();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    let lite = t0.elapsed();
    drop(c);
    report(&format!("checkpoint {rows} rows ({} MB)", done.bytes >> 20), amber, lite);

    let t0 = Instant::now();
    let db = Database::open(&amber_dir).unwrap();
    let n = db.state().table("t").map_or(0, |t| t.rows.len());
    let amber = t0.elapsed();
    assert_eq!(n as i64, rows);
    drop(db);
    let t0 = Instant::now();
    let c = sqlite(&lite_path);
    let n: i64 = c.query_row("SELECT count(*) FROM t WHERE name IS NOT NULL", [], |r| r.get(0)).unwrap();
    let lite = t0.elapsed();
    assert_eq!(n, rows);
    report(&format!("reopen {rows} rows (target < 1 s)"), amber, lite);
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let dir = tempfile::tempdir().unwrap();
    println!("{:<52} {:>12} {:>12} {:>8}", "workload", "amberdb", "sqlite", "ratio");
    let commits = if quick { 300 } else { 2000 };
    single_commits(dir.path(), commits, 1);
    single_commits(dir.path(), commits, 4);
    bulk(dir.path(), if quick { 100_000 } else { 1_000_000 });
}
