//! Resident memory against SQLite, each workload in a fresh process: peak (VmHWM) and
//! settled (VmRSS once the load is done and free memory given back) for the same rows —
//! `id INTEGER PRIMARY KEY, a INTEGER, b TEXT` of 10 characters, with negative numbers
//! in `a` — loaded as 1,000-row transactions by SQL text and by prepared statements,
//! and, for AmberDB, reopened from its checkpoint; plus the checkpoint's size against
//! SQLite's database file. `cargo bench --bench memory` runs 1,000,000 rows; `-- --quick`
//! 200,000. Ratio = AmberDB / SQLite (target ≤ 2, and ≤ 1.5 for the file).

use std::process::Command;

use amberdb::{Database, Value};
use rusqlite::Connection;

#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

const BATCH: usize = 1000;

fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = text.lines().find(|l| l.starts_with(field)).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The same pseudo-random rows every run.
fn row(i: usize) -> (i64, i64, String) {
    let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5bd1_e995;
    x ^= x >> 29;
    let b: String = (0..10).map(|k| (b'a' + ((x >> (k * 5)) % 26) as u8) as char).collect();
    (i as i64 + 1, -((x % 1_000_000) as i64), b)
}

fn batch_sql(from: usize, rows: usize) -> String {
    let values: Vec<String> = (from..from + rows)
        .map(|i| {
            let (id, a, b) = row(i);
            format!("({id}, {a}, '{b}')")
        })
        .collect();
    format!("INSERT INTO t VALUES {}", values.join(", "))
}

const CREATE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)";

fn amber_load(db: &Database, n: usize, prepared: bool) {
    let mut s = db.session();
    s.execute(CREATE, &[]).unwrap();
    let insert = s.prepare("INSERT INTO t VALUES (?, ?, ?)").unwrap();
    for from in (0..n).step_by(BATCH) {
        s.execute("BEGIN", &[]).unwrap();
        if prepared {
            for i in from..from + BATCH {
                let (id, a, b) = row(i);
                s.execute_prepared(&insert, &[Value::Integer(id), Value::Integer(a), Value::text(&b)]).unwrap();
            }
        } else {
            s.execute(&batch_sql(from, BATCH), &[]).unwrap();
        }
        s.execute("COMMIT", &[]).unwrap();
    }
}

fn sqlite_load(n: usize, prepared: bool) -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute(CREATE, []).unwrap();
    for from in (0..n).step_by(BATCH) {
        c.execute_batch("BEGIN").unwrap();
        if prepared {
            let mut st = c.prepare_cached("INSERT INTO t VALUES (?, ?, ?)").unwrap();
            for i in from..from + BATCH {
                let (id, a, b) = row(i);
                st.execute(rusqlite::params![id, a, b]).unwrap();
            }
        } else {
            c.execute_batch(&batch_sql(from, BATCH)).unwrap();
        }
        c.execute_batch("COMMIT").unwrap();
    }
    c
}

/// Runs one workload in this (fresh) process and prints `peak settled` in KB.
fn child(workload: &str, n: usize, dir: &str) {
    match workload {
        "amber-text" | "amber-prepared" => {
            let db = Database::open_in_memory();
            amber_load(&db, n, workload == "amber-prepared");
            amberdb::alloc::collect();
            println!("{} {}", status("VmHWM:"), status("VmRSS:"));
            drop(db);
        }
        "amber-reopen" => {
            let db = Database::open(dir).unwrap();
            amberdb::alloc::collect();
            let count = db.session().query("SELECT count(*) FROM t", &[]).unwrap();
            assert_eq!(count.rows[0][0], Value::Integer(n as i64));
            println!("{} {}", status("VmHWM:"), status("VmRSS:"));
        }
        "sqlite-text" | "sqlite-prepared" => {
            let c = sqlite_load(n, workload == "sqlite-prepared");
            println!("{} {}", status("VmHWM:"), status("VmRSS:"));
            drop(c);
        }
        other => panic!("unknown workload {other}"),
    }
}

fn run(workload: &str, n: usize, dir: &str) -> (f64, f64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", workload, &n.to_string(), dir])
        .output()
        .expect("the bench runs itself as a child");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_else(|| panic!("{workload}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut parts = line.split_whitespace().map(|p| p.parse::<f64>().unwrap() / 1024.0);
    (parts.next().unwrap(), parts.next().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        child(&args[at + 1], args[at + 2].parse().unwrap(), &args[at + 3]);
        return;
    }
    let n = if args.iter().any(|a| a == "--quick") { 200_000 } else { 1_000_000 };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("amber");
    {
        let db = Database::open(&data).unwrap();
        amber_load(&db, n, false);
        db.checkpoint().unwrap();
    }
    let sqlite_file = dir.path().join("sqlite.db");
    {
        let c = Connection::open(&sqlite_file).unwrap();
        c.execute(CREATE, []).unwrap();
        for from in (0..n).step_by(BATCH) {
            c.execute_batch(&format!("BEGIN; {}; COMMIT", batch_sql(from, BATCH))).unwrap();
        }
    }
    let data_str = data.to_string_lossy().into_owned();
    println!("{:<44} {:>9} | {:>14} | {:>14} | {:>11}", "workload (MB)", "rows", "amberdb", "sqlite", "ratio");
    let line = |what: &str, a: f64, s: f64| {
        println!("{what:<44} {n:>9} | {a:>14.1} | {s:>14.1} | {:>11.2}", a / s);
    };
    let (at_peak, at_settled) = run("amber-text", n, &data_str);
    let (st_peak, st_settled) = run("sqlite-text", n, &data_str);
    line("load by SQL text: peak", at_peak, st_peak);
    line("load by SQL text: settled", at_settled, st_settled);
    let (ap_peak, ap_settled) = run("amber-prepared", n, &data_str);
    let (sp_peak, sp_settled) = run("sqlite-prepared", n, &data_str);
    line("load by prepared statements: peak", ap_peak, sp_peak);
    line("load by prepared statements: settled", ap_settled, sp_settled);
    let (ar_peak, ar_settled) = run("amber-reopen", n, &data_str);
    line("reopen from checkpoint: peak (vs SQLite load)", ar_peak, st_peak);
    line("reopen from checkpoint: settled (vs SQLite load)", ar_settled, st_settled);
    let checkpoint: u64 = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("checkpoint-"))
        .map(|e| e.metadata().map_or(0, |m| m.len()))
        .sum();
    let sqlite_bytes = std::fs::metadata(&sqlite_file).map_or(0, |m| m.len());
    line("checkpoint file against SQLite's file", checkpoint as f64 / 1048576.0, sqlite_bytes as f64 / 1048576.0);
}
