//! The cluster (`--cluster`) on loopback: three NATS servers with an R3 stream and
//! AmberDB nodes in this process.
//!
//! - commit latency (p50, p99) of single-row updates through the stream, from one node
//!   and from three at once; against the same update on one node alone (in memory) and
//!   SQLite's commit to a WAL-mode file with `synchronous=FULL` (each a durable commit),
//!   in the same run;
//! - read throughput (prepared point lookups) with one, two and three nodes reading at
//!   once (this machine has two cores: the nodes share them);
//! - catch-up: write sets per second a new node applies from the stream.
//!
//! Needs `nats-server` (Debian's package). `cargo bench --bench cluster` (add
//! `-- --quick` for a smaller run).

#[path = "../tests/common/nats.rs"]
mod nats;

use std::time::{Duration, Instant};

use amberdb::{Database, Value};

#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

const ROWS: i64 = 10_000;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Latencies of `n` single-row updates on `db`, one after another.
fn updates(db: &Database, n: usize, offset: i64) -> Vec<Duration> {
    let mut s = db.session();
    let update = s.prepare("UPDATE kv SET v = v + 1 WHERE id = ?").unwrap();
    (0..n)
        .map(|i| {
            let t = Instant::now();
            s.execute_prepared(&update, &[Value::Integer((i as i64 * 7 + offset) % ROWS + 1)]).unwrap();
            t.elapsed()
        })
        .collect()
}

fn fill(db: &Database) {
    let mut s = db.session();
    s.execute("CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)", &[]).unwrap();
    s.execute(&format!("INSERT INTO kv SELECT value, 0 FROM generate_series(1, {ROWS})"), &[]).unwrap();
}

fn settle(nodes: &[&Database], version: u64) {
    while nodes.iter().any(|db| db.version() < version) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Point lookups per second over `window`, one reader per node, all at once.
fn reads(nodes: &[&Database], window: Duration) -> f64 {
    let total: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = nodes
            .iter()
            .map(|db| {
                scope.spawn(move || {
                    let mut s = db.session();
                    let get = s.prepare("SELECT v FROM kv WHERE id = ?").unwrap();
                    let started = Instant::now();
                    let mut n = 0usize;
                    while started.elapsed() < window {
                        for _ in 0..256 {
                            s.query_prepared(&get, &[Value::Integer(n as i64 % ROWS + 1)]).unwrap();
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / window.as_secs_f64()
}

fn sqlite_commits(n: usize) -> Vec<Duration> {
    let dir = std::env::temp_dir().join(format!("amber-bench-sqlite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = rusqlite::Connection::open(dir.join("kv.db")).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);")
        .unwrap();
    c.execute(&format!("INSERT INTO kv SELECT value, 0 FROM generate_series(1, {ROWS})"), []).ok();
    let mut update = c.prepare("UPDATE kv SET v = v + 1 WHERE id = ?").unwrap();
    let samples = (0..n)
        .map(|i| {
            let t = Instant::now();
            update.execute([(i as i64 * 7) % ROWS + 1]).unwrap();
            t.elapsed()
        })
        .collect();
    drop(update);
    drop(c);
    std::fs::remove_dir_all(&dir).ok();
    samples
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if !nats::available() {
        return;
    }
    let (commits, catch_up) = if quick { (500, 5_000) } else { (3_000, 30_000) };
    let servers = nats::Nats::start(3);
    let (a, b, c) = (Database::open_in_memory(), Database::open_in_memory(), Database::open_in_memory());
    nats::join(&a, &servers, "bench", "a", 0);
    nats::join(&b, &servers, "bench", "b", 0);
    nats::join(&c, &servers, "bench", "c", 0);
    fill(&a);
    settle(&[&b, &c], a.version());

    println!("measure | p50 | p99");
    let mut one = updates(&a, commits, 0);
    println!(
        "commit through R3 stream, one node | {} | {}",
        micros(percentile(&mut one, 0.5)),
        micros(percentile(&mut one, 0.99))
    );
    let nodes = [&a, &b, &c];
    let mut all: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            nodes.iter().enumerate().map(|(i, db)| scope.spawn(move || updates(db, commits / 3, i as i64))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    println!(
        "commit through R3 stream, three nodes at once | {} | {}",
        micros(percentile(&mut all, 0.5)),
        micros(percentile(&mut all, 0.99))
    );
    let alone = Database::open_in_memory();
    fill(&alone);
    let mut local = updates(&alone, commits, 0);
    println!(
        "commit on one node alone (in memory) | {} | {}",
        micros(percentile(&mut local, 0.5)),
        micros(percentile(&mut local, 0.99))
    );
    let mut lite = sqlite_commits(commits);
    let (lite50, lite99) = (percentile(&mut lite, 0.5), percentile(&mut lite, 0.99));
    println!("sqlite commit, WAL file, synchronous=FULL | {} | {}", micros(lite50), micros(lite99));
    println!(
        "ratio, R3 commit (one node) / sqlite durable commit | {:.2} | {:.2}",
        percentile(&mut one, 0.5).as_secs_f64() / lite50.as_secs_f64(),
        percentile(&mut one, 0.99).as_secs_f64() / lite99.as_secs_f64()
    );

    let newest = [&a, &b, &c].iter().map(|db| db.version()).max().unwrap();
    settle(&[&a, &b, &c], newest);
    let window = Duration::from_secs(if quick { 1 } else { 3 });
    println!("\nreaders | point lookups/s");
    for nodes in [&[&a][..], &[&a, &b][..], &[&a, &b, &c][..]] {
        println!("{} node(s), one reader each | {:.0}", nodes.len(), reads(nodes, window));
    }

    // Catch-up: the stream gets `catch_up` more commits, then a new node replays it all
    // (no checkpoint is published in this run).
    updates(&a, catch_up, 3);
    let d = Database::open_in_memory();
    let started = Instant::now();
    let joined = nats::join(&d, &servers, "bench", "d", 0);
    let took = started.elapsed();
    println!(
        "\ncatch-up | {} write sets in {:.2} s | {:.0} write sets/s",
        joined.caught_up,
        took.as_secs_f64(),
        joined.caught_up as f64 / took.as_secs_f64()
    );
}
