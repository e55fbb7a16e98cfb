//! Message streams and namespaces in memory, against Message DB's targets divided by a
//! hundred: append ≤ 10 µs, read of 10 ≤ 20 µs, category read of 100 ≤ 100 µs, on a store
//! of 1,000,000 messages in 10,000 streams; and creating / dropping a namespace.
//! `cargo bench --bench streams` (add `-- --quick` for 100,000 messages).
//!
//! Every figure goes through SQL with prepared statements and parameters, as an
//! application would call the functions.

use std::time::{Duration, Instant};

use amberdb::{Database, Session, Value};

/// The allocator the `amberdb` binary uses.
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

fn uuid(n: u64) -> Value {
    Value::text(&format!("{:08x}-0000-4000-8000-{:012x}", n >> 48, n & 0xffff_ffff_ffff))
}

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn stream(i: u64) -> Value {
    Value::text(&format!("account{}-{i}", i % 10))
}

fn report(name: &str, per_op: Duration, target: Duration) {
    let verdict = if per_op <= target { "met" } else { "MISSED" };
    println!("{name:<52} {:>10.2} µs   target {:>6} µs   {verdict}", per_op.as_secs_f64() * 1e6, target.as_micros());
}

fn load(s: &mut Session, messages: u64, streams: u64) {
    let write = s.prepare("SELECT write_message(?, ?, 'Deposited', ?)").unwrap();
    let t0 = Instant::now();
    s.execute("BEGIN", &[]).unwrap();
    for n in 0..messages {
        let data = Value::text(&format!("{{\"amount\": {n}}}"));
        s.execute_prepared(&write, &[uuid(n), stream(n % streams), data]).unwrap();
        if n % 10_000 == 9_999 {
            s.execute("COMMIT", &[]).unwrap();
            s.execute("BEGIN", &[]).unwrap();
        }
    }
    s.execute("COMMIT", &[]).unwrap();
    println!("loaded {messages} messages in {streams} streams in {:.2?}", t0.elapsed());
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (messages, streams) = if quick { (100_000, 1_000) } else { (1_000_000, 10_000) };
    let db = Database::open_in_memory();
    let mut s = db.session();
    load(&mut s, messages, streams);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    let write = s.prepare("SELECT write_message(?, ?, 'Withdrawn', '{\"amount\": 1}')").unwrap();
    let n = 20_000;
    // The first appends after a bulk load also free the load's old versions as the
    // history moves on; they are shown apart from the steady state.
    let t0 = Instant::now();
    for i in 0..n {
        s.execute_prepared(&write, &[uuid(messages + 2 * n + i), stream(rng.below(streams))]).unwrap();
    }
    report("append, first 20,000 after the bulk load", t0.elapsed() / n as u32, Duration::from_micros(10));
    let t0 = Instant::now();
    for i in 0..n {
        s.execute_prepared(&write, &[uuid(messages + i), stream(rng.below(streams))]).unwrap();
    }
    report("append (autocommit, write_message)", t0.elapsed() / n as u32, Duration::from_micros(10));

    let expected = s.prepare("SELECT write_message(?, ?, 'Withdrawn', '{}', NULL, stream_version(?))").unwrap();
    let t0 = Instant::now();
    for i in 0..n {
        let st = stream(rng.below(streams));
        s.execute_prepared(&expected, &[uuid(messages + n + i), st.clone(), st]).unwrap();
    }
    report("append with expected version", t0.elapsed() / n as u32, Duration::from_micros(10));

    let read = s.prepare("SELECT * FROM get_stream_messages(?, ?, 10)").unwrap();
    let t0 = Instant::now();
    let mut rows = 0;
    for _ in 0..n {
        let r = s.query_prepared(&read, &[stream(rng.below(streams)), Value::Integer(rng.below(50) as i64)]).unwrap();
        rows += r.rows.len();
    }
    assert_eq!(rows, n as usize * 10);
    report("read 10 messages of a stream", t0.elapsed() / n as u32, Duration::from_micros(20));

    let category = s.prepare("SELECT * FROM get_category_messages(?, ?, 100)").unwrap();
    let reads = 5_000;
    let t0 = Instant::now();
    for _ in 0..reads {
        let cat = Value::text(&format!("account{}", rng.below(10)));
        let from = Value::Integer(rng.below(messages / 2) as i64 + 1);
        let r = s.query_prepared(&category, &[cat, from]).unwrap();
        assert_eq!(r.rows.len(), 100);
    }
    report("category read of 100 messages", t0.elapsed() / reads, Duration::from_micros(100));

    let group = s.prepare("SELECT * FROM get_category_messages(?, ?, 100, NULL, 1, 4)").unwrap();
    let t0 = Instant::now();
    for _ in 0..reads {
        let cat = Value::text(&format!("account{}", rng.below(10)));
        let from = Value::Integer(rng.below(messages / 2) as i64 + 1);
        s.query_prepared(&group, &[cat, from]).unwrap();
    }
    report("category read of 100, consumer group member 1 of 4", t0.elapsed() / reads, Duration::from_micros(100));

    // A namespace holding a table of 100,000 rows and 10,000 messages.
    s.execute("CREATE NAMESPACE filler", &[]).unwrap();
    s.execute("CREATE TABLE filler.t (id INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
    let values: Vec<String> = (0..100_000).map(|i| format!("({i}, 'v{i}')")).collect();
    s.execute(&format!("INSERT INTO filler.t VALUES {}", values.join(", ")), &[]).unwrap();
    s.execute("USE filler", &[]).unwrap();
    load(&mut s, 10_000, 100);
    s.execute("USE main", &[]).unwrap();
    let t0 = Instant::now();
    s.execute("DROP NAMESPACE filler", &[]).unwrap();
    report("DROP NAMESPACE (1 table of 100,000 rows, 10,000 messages)", t0.elapsed(), Duration::from_millis(1));
    let rounds = 1_000;
    let t0 = Instant::now();
    for i in 0..rounds {
        s.execute(&format!("CREATE NAMESPACE n{i}"), &[]).unwrap();
    }
    report("CREATE NAMESPACE", t0.elapsed() / rounds, Duration::from_millis(1));
}
