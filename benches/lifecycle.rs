//! Data lifecycle costs: soft-deleted rows against an indexed lookup (they should add
//! nothing: they live in the companion table, not beside the live rows), the same
//! hand-built in SQLite (a `deleted_at` column and a partial index, in the same run),
//! and `history(t) WHERE id = k` over the versions kept.
//!
//! `cargo bench --bench lifecycle` (add `-- --quick` for a smaller run). Prints
//! `measure | amberdb | sqlite | ratio` (AmberDB time / SQLite time).

use std::time::{Duration, Instant};

use amberdb::{Database, Value};
use rusqlite::Connection;

/// The allocator the `amberdb` binary uses.
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

/// The median time per call of `f` over `runs` calls.
fn time(runs: usize, mut f: impl FnMut(usize)) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    samples.sort();
    samples[runs / 2]
}

fn email(i: usize) -> String {
    format!("user{i}@example.com")
}

/// `live` users, and `deleted` more that were deleted when `soft`.
fn amber(live: usize, deleted: usize, soft: bool) -> Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    let with = if soft { " WITH (soft_delete)" } else { "" };
    s.execute(&format!("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT){with}"), &[]).unwrap();
    s.execute("CREATE UNIQUE INDEX users_email ON users (email)", &[]).unwrap();
    let insert = s.prepare("INSERT INTO users VALUES (?, ?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    for i in 0..live + deleted {
        let params = [Value::Integer(i as i64), Value::text(&email(i)), Value::text("someone")];
        s.execute_prepared(&insert, &params).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
    if deleted > 0 {
        s.execute("DELETE FROM users WHERE id >= ?", &[Value::Integer(live as i64)]).unwrap();
    }
    db
}

/// The same in SQLite, soft delete done by hand: a `deleted_at` column, and the
/// unique index over live rows only.
fn sqlite(live: usize, deleted: usize) -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, deleted_at TEXT);
         CREATE UNIQUE INDEX users_email ON users (email) WHERE deleted_at IS NULL;",
    )
    .unwrap();
    let tx = c.unchecked_transaction().unwrap();
    {
        let mut insert = c.prepare("INSERT INTO users VALUES (?, ?, 'someone', NULL)").unwrap();
        for i in 0..live + deleted {
            insert.execute(rusqlite::params![i as i64, email(i)]).unwrap();
        }
    }
    tx.commit().unwrap();
    c.execute("UPDATE users SET deleted_at = datetime('now') WHERE id >= ?", [live as i64]).unwrap();
    c
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (live, deleted) = if quick { (20_000, 80_000) } else { (200_000, 800_000) };
    let runs = 20_001;
    println!("{:<58} | {:>10} | {:>10} | {:>6}", "measure", "amberdb", "sqlite", "ratio");
    let report = |what: &str, a: Duration, s: Duration| {
        println!("{what:<58} | {a:>10.2?} | {s:>10.2?} | {:>6.2}", a.as_secs_f64() / s.as_secs_f64());
    };

    // Lookups by the unique index: a table of live rows only, then one that also had
    // four times as many rows deleted.
    let lookup = |db: &Database| {
        let mut s = db.session();
        let q = s.prepare("SELECT id, name FROM users WHERE email = ?").unwrap();
        time(runs, |i| {
            let k = Value::text(&email(i * 7919 % live));
            assert_eq!(s.query_prepared(&q, &[k]).unwrap().rows.len(), 1);
        })
    };
    let lookup_sqlite = |c: &Connection| {
        let mut q = c.prepare("SELECT id, name FROM users WHERE email = ? AND deleted_at IS NULL").unwrap();
        time(runs, |i| {
            let n = q.query_map([email(i * 7919 % live)], |r| r.get::<_, i64>(0)).unwrap().count();
            assert_eq!(n, 1);
        })
    };
    let plain = lookup(&amber(live, 0, false));
    let plain_sqlite = lookup_sqlite(&sqlite(live, 0));
    report(&format!("lookup by email, {live} live rows"), plain, plain_sqlite);
    // The same deletes without soft delete: what the table's own trees cost after
    // losing four fifths of their rows, apart from keeping them.
    let hard = lookup(&amber(live, deleted, false));
    println!("{:<58} | {hard:>10.2?} |", format!("lookup by email, {live} live after {deleted} deleted"));
    let soft = lookup(&amber(live, deleted, true));
    let soft_sqlite = lookup_sqlite(&sqlite(live, deleted));
    report(&format!("lookup by email, {live} live + {deleted} soft-deleted"), soft, soft_sqlite);
    println!(
        "soft-deleted rows' cost on a lookup: amberdb {:.2}x ({:.2}x against the same deletes kept nowhere), \
         sqlite {:.2}x (time with / without)",
        soft.as_secs_f64() / plain.as_secs_f64(),
        soft.as_secs_f64() / hard.as_secs_f64(),
        soft_sqlite.as_secs_f64() / plain_sqlite.as_secs_f64()
    );

    // history(t) for one row, over 100 kept versions of 1,000 updates each: the key
    // pushed down (one lookup per version), against a filter the planner cannot push
    // (every version's changes listed, then filtered).
    let db = amber(live, 0, false);
    let mut s = db.session();
    let update = s.prepare("UPDATE users SET name = 'renamed' || ? WHERE id = ?").unwrap();
    for round in 0..100i64 {
        s.execute("BEGIN", &[]).unwrap();
        for i in 0..1_000i64 {
            let id = Value::Integer((round * 1_000 + i) * 7 % live as i64);
            s.execute_prepared(&update, &[Value::Integer(round), id]).unwrap();
        }
        s.execute("COMMIT", &[]).unwrap();
    }
    let pushed = s.prepare("SELECT count(*) FROM history(users) WHERE id = ?").unwrap();
    let keyed = time(1_001, |i| {
        s.query_prepared(&pushed, &[Value::Integer(i as i64 * 7)]).unwrap();
    });
    let scanned = s.prepare("SELECT count(*) FROM history(users) WHERE coalesce(new_id, old_id) = ?").unwrap();
    let whole = time(11, |i| {
        s.query_prepared(&scanned, &[Value::Integer(i as i64 * 7)]).unwrap();
    });
    println!("history(users) WHERE id = k, {live} rows, 100 versions of 1,000 updates: {keyed:.2?}");
    println!("  the same through a filter that lists every change first:      {whole:.2?}");
    drop(s);
    drop(db);

    // A table that keeps its own history (WITH (history = …)): every change of every
    // row stays, however few versions the database keeps, and one row's history is a
    // lookup in the journal's key index.
    let (rows, updates) = if quick { (100_000, 100_000) } else { (1_000_000, 1_000_000) };
    // Loads the accounts, updates them, and says how long an update took.
    let accounts = |with: &str| -> (Database, Duration) {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.execute(&format!("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER){with}"), &[]).unwrap();
        let insert = s.prepare("INSERT INTO accounts VALUES (?, 0)").unwrap();
        s.execute("BEGIN", &[]).unwrap();
        for i in 0..rows as i64 {
            s.execute_prepared(&insert, &[Value::Integer(i)]).unwrap();
        }
        s.execute("COMMIT", &[]).unwrap();
        let update = s.prepare("UPDATE accounts SET balance = balance + 1 WHERE id = ?").unwrap();
        let started = Instant::now();
        for batch in 0..(updates / 1_000) as i64 {
            s.execute("BEGIN", &[]).unwrap();
            for i in 0..1_000i64 {
                let id = ((batch * 1_000 + i) * 7_919) % rows as i64;
                s.execute_prepared(&update, &[Value::Integer(id)]).unwrap();
            }
            s.execute("COMMIT", &[]).unwrap();
        }
        let per_update = started.elapsed() / updates as u32;
        drop(s);
        (db, per_update)
    };
    let (_, plain_update) = accounts("");
    let (db, per_update) = accounts(" WITH (history = '90 days')");
    let mut s = db.session();
    let q = s.prepare("SELECT count(*) FROM history(accounts) WHERE id = ?").unwrap();
    let one = time(1_001, |i| {
        s.query_prepared(&q, &[Value::Integer((i * 7_919 % rows) as i64)]).unwrap();
    });
    println!("history(accounts) WHERE id = k, {rows} rows and {updates} updates kept in its journal: {one:.2?}");
    println!("  an update in transactions of 1,000: {per_update:.2?} journaled, {plain_update:.2?} without");
}
