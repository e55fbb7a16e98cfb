//! The resident-memory twin of `memory.rs`: rows loaded by SQL text with negative
//! numbers (every statement a new text, one shape), and the same rows reopened from a
//! checkpoint, grow the process by at most twice what the same rows grow SQLite by.
//! Each load runs in a fresh process (this test binary again, told by an environment
//! variable which load to run), since resident memory is the whole process's.

use std::process::Command;

use amberdb::{Database, Value};

#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

const ROWS: usize = 1_000_000;
const CHILD: &str = "AMBERDB_RSS_CHILD";

fn status_kb(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = text.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn batch(from: usize) -> String {
    let rows: Vec<String> = (from..from + 1000)
        .map(|i| format!("({}, {}, 'row{:07}')", i + 1, -((i * 7919 % 100_003) as i64), i))
        .collect();
    format!("INSERT INTO t VALUES {}", rows.join(", "))
}

const CREATE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)";

/// Runs one load here and prints how much the process grew, in KB.
fn child(which: &str, dir: &str) {
    let before = status_kb("VmRSS:");
    match which {
        "amber" => {
            let db = if dir.is_empty() { Database::open_in_memory() } else { Database::open(dir).unwrap() };
            let mut s = db.session();
            s.execute(CREATE, &[]).unwrap();
            for from in (0..ROWS).step_by(1000) {
                s.execute("BEGIN", &[]).ok();
                s.execute(&batch(from), &[]).unwrap();
                s.execute("COMMIT", &[]).unwrap();
            }
            if !dir.is_empty() {
                db.checkpoint().unwrap();
            }
            println!("\ngrew {}", status_kb("VmHWM:") - before);
        }
        "reopen" => {
            let db = Database::open(dir).unwrap();
            amberdb::alloc::collect();
            let n = db.session().query("SELECT count(*) FROM t", &[]).unwrap();
            assert_eq!(n.rows[0][0], Value::Integer(ROWS as i64));
            println!("\ngrew {}", status_kb("VmRSS:") - before);
        }
        _ => {
            let c = rusqlite::Connection::open_in_memory().unwrap();
            c.execute(CREATE, []).unwrap();
            for from in (0..ROWS).step_by(1000) {
                c.execute_batch(&format!("BEGIN; {}; COMMIT", batch(from))).unwrap();
            }
            println!("\ngrew {}", status_kb("VmHWM:") - before);
        }
    }
}

fn grew(which: &str, dir: &str) -> f64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "rows_take_at_most_twice_sqlites_resident_memory", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{which}\u{1}{dir}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let after = text.split("grew ").nth(1).unwrap_or_else(|| panic!("{which}: {text}"));
    after.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn rows_take_at_most_twice_sqlites_resident_memory() {
    if let Ok(task) = std::env::var(CHILD) {
        let (which, dir) = task.split_once('\u{1}').unwrap();
        return child(which, dir);
    }
    let sqlite = grew("sqlite", "");
    let text = grew("amber", "");
    assert!(text <= 2.0 * sqlite, "loading by SQL text grew {text} KB, SQLite {sqlite} KB");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let data = data.to_str().unwrap();
    grew("amber", data);
    let reopened = grew("reopen", data);
    assert!(reopened <= 2.0 * sqlite, "reopening grew {reopened} KB settled, SQLite's load {sqlite} KB");
}
