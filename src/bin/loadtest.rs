//! `cargo run --release --bin loadtest -- --clients 100 --seconds 60`: a load test of
//! the HTTP API, on loopback against a server started in this process.
//!
//! Each client keeps one connection and sends, at random, document inserts, point
//! reads, merge patches, deletes and stream appends (or only reads, or only writes,
//! with `--mix`). At the end it reports throughput, latency percentiles and error and
//! timeout rates, then checks the database against what was acknowledged: every
//! acknowledged document is there with its last acknowledged change, every
//! acknowledged delete is gone, no document exists that no client was told about,
//! and every stream holds exactly its acknowledged messages.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value as Json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use amberdb::server::http::{serve_http, HttpOptions};
use amberdb::{Database, Value};

#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

#[derive(Parser, Clone)]
#[command(name = "loadtest", about = "Load-test the HTTP API on loopback, then verify every acknowledged write")]
struct Args {
    /// Clients, each with its own connection.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// How long to run (at most 600).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// mixed, read (point reads only) or write (inserts and appends only).
    #[arg(long, default_value = "mixed")]
    mix: String,
    /// Keep the database in this directory (else in memory).
    #[arg(long)]
    data: Option<std::path::PathBuf>,
    /// The log's sync mode with --data: always, batch or off.
    #[arg(long, default_value = "batch")]
    sync: amberdb::SyncMode,
    /// Documents made before the clock starts, for reads to find.
    #[arg(long, default_value_t = 10_000)]
    preload: usize,
}

/// A keep-alive HTTP/1.1 connection: one request at a time.
struct Conn {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        Ok(Conn { reader: BufReader::new(r), writer: w })
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<&Json>) -> std::io::Result<(u16, Vec<u8>)> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: loadtest\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(&line))?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.reader.read_line(&mut line).await? == 0 {
                return Err(bad("the connection closed"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().map_err(|_| bad(l))?;
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).await?;
        Ok((status, body))
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not an HTTP answer: {what:?}"))
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Op {
    Read,
    Insert,
    Patch,
    Delete,
    Append,
}

/// What one client saw and was told.
#[derive(Default)]
struct Tally {
    latencies: HashMap<&'static str, Vec<u32>>,
    errors: usize,
    timeouts: usize,
    /// Documents made, with the last `n` acknowledged for each.
    made: HashMap<String, i64>,
    deleted: HashSet<String>,
    /// Documents whose last write's outcome is unknown (a timeout or a dropped
    /// connection): they may or may not hold it.
    uncertain: HashSet<String>,
    /// Appends acknowledged per stream, and appends whose outcome is unknown.
    appended: HashMap<String, i64>,
    appends_uncertain: HashMap<String, i64>,
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Read => "read",
        Op::Insert => "insert",
        Op::Patch => "patch",
        Op::Delete => "delete",
        Op::Append => "append",
    }
}

/// A small, fast random number generator (xorshift), one per client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn choose(rng: &mut Rng, mix: &str) -> Op {
    let r = rng.below(100);
    match mix {
        "read" => Op::Read,
        "write" if r < 60 => Op::Insert,
        "write" => Op::Append,
        _ => match r {
            0..50 => Op::Read,
            50..70 => Op::Insert,
            70..80 => Op::Patch,
            80..85 => Op::Delete,
            _ => Op::Append,
        },
    }
}

async fn client(id: usize, addr: String, args: Args, preloaded: Arc<Vec<String>>, until: Instant) -> Tally {
    let mut t = Tally::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut mine: Vec<String> = Vec::new();
    let mut conn = match Conn::open(&addr).await {
        Ok(c) => c,
        Err(_) => {
            t.errors += 1;
            return t;
        }
    };
    let stream = format!("load-{id}");
    let mut n = 0i64;
    while Instant::now() < until {
        let op = choose(&mut rng, &args.mix);
        n += 1;
        let (method, path, body, target) = match op {
            Op::Read => {
                let doc = if !mine.is_empty() && rng.below(2) == 0 {
                    &mine[rng.below(mine.len())]
                } else {
                    &preloaded[rng.below(preloaded.len())]
                };
                ("GET", format!("/v1/collections/docs/documents/{doc}"), None, Some(doc.clone()))
            }
            Op::Insert => {
                ("POST", "/v1/collections/docs/documents".to_string(), Some(json!({"client": id, "n": n})), None)
            }
            Op::Patch | Op::Delete if mine.is_empty() => continue,
            Op::Patch => {
                let doc = mine[rng.below(mine.len())].clone();
                ("PATCH", format!("/v1/collections/docs/documents/{doc}"), Some(json!({"n": n})), Some(doc))
            }
            Op::Delete => {
                let doc = mine.swap_remove(rng.below(mine.len()));
                ("DELETE", format!("/v1/collections/docs/documents/{doc}"), None, Some(doc))
            }
            Op::Append => (
                "POST",
                format!("/v1/streams/{stream}/messages"),
                Some(json!({"type": "Loaded", "data": {"n": n}})),
                None,
            ),
        };
        let start = Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(5), conn.send(method, &path, body.as_ref())).await;
        let took = start.elapsed().as_micros().min(u32::MAX as u128) as u32;
        let (status, body) = match answer {
            Ok(Ok(a)) => a,
            failed => {
                if failed.is_err() {
                    t.timeouts += 1;
                } else {
                    t.errors += 1;
                }
                match (op, &target) {
                    (Op::Append, _) => *t.appends_uncertain.entry(stream.clone()).or_default() += 1,
                    (Op::Insert, _) => {
                        t.uncertain.insert(format!("client {id} n {n}"));
                    }
                    (_, Some(doc)) if op != Op::Read => {
                        t.uncertain.insert(doc.clone());
                    }
                    _ => {}
                }
                match Conn::open(&addr).await {
                    Ok(c) => conn = c,
                    Err(_) => break,
                }
                continue;
            }
        };
        t.latencies.entry(op_name(op)).or_default().push(took);
        let ok = (200..300).contains(&status);
        if !ok {
            t.errors += 1;
            continue;
        }
        match op {
            Op::Insert => {
                let doc: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
                if let Some(new) = doc["id"].as_str() {
                    t.made.insert(new.to_string(), n);
                    mine.push(new.to_string());
                }
            }
            Op::Patch => {
                if let Some(doc) = target {
                    t.made.insert(doc, n);
                }
            }
            Op::Delete => {
                if let Some(doc) = target {
                    t.deleted.insert(doc);
                }
            }
            Op::Append => *t.appended.entry(stream.clone()).or_default() += 1,
            Op::Read => {}
        }
    }
    t
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.seconds == 0 || args.seconds > 600 || args.clients == 0 || args.clients > 2000 {
        eprintln!("loadtest: --seconds must be 1 to 600 and --clients 1 to 2000");
        return ExitCode::FAILURE;
    }
    let db = match &args.data {
        None => Database::open_in_memory(),
        Some(dir) => match Database::open_with(dir, amberdb::Options { sync: args.sync, ..Default::default() }) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("loadtest: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    // Documents for reads to find, made before the clock starts.
    let mut session = db.session();
    let preloaded: Vec<String> = {
        let made = session.execute("CREATE COLLECTION IF NOT EXISTS docs", &[]).and_then(|_| {
            session.execute("BEGIN", &[])?;
            let mut ids = Vec::with_capacity(args.preload);
            for i in 0..args.preload.max(1) {
                let rs = session.query(
                    "INSERT INTO docs (doc) VALUES (?) RETURNING id",
                    &[Value::text(&json!({"seed": i}).to_string())],
                )?;
                ids.push(rs.rows[0][0].to_string());
            }
            session.execute("COMMIT", &[])?;
            Ok(ids)
        });
        match made {
            Ok(ids) => ids,
            Err(e) => {
                eprintln!("loadtest: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(cores.max(4)).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadtest: {e}");
            return ExitCode::FAILURE;
        }
    };
    let preloaded = Arc::new(preloaded);
    let (tallies, elapsed) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("the port's address").to_string();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let options = HttpOptions { log: false, ..Default::default() };
        let server = tokio::spawn(serve_http(db.clone(), listener, options, None, async {
            stop_rx.await.ok();
        }));
        eprintln!(
            "loadtest: {} clients for {} s, mix {}, {} on http://{addr}",
            args.clients,
            args.seconds,
            args.mix,
            if args.data.is_some() { format!("data directory, sync {:?}", args.sync) } else { "in memory".into() }
        );
        let start = Instant::now();
        let until = start + Duration::from_secs(args.seconds);
        let tasks: Vec<_> = (0..args.clients)
            .map(|i| tokio::spawn(client(i, addr.clone(), args.clone(), preloaded.clone(), until)))
            .collect();
        let mut tallies = Vec::new();
        for t in tasks {
            if let Ok(t) = t.await {
                tallies.push(t);
            }
        }
        let elapsed = start.elapsed();
        stop_tx.send(()).ok();
        server.await.ok();
        (tallies, elapsed)
    });
    report(&args, &tallies, elapsed);
    match verify(&db, &tallies, &preloaded) {
        Ok(summary) => {
            println!("verified: {summary}");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                println!("LOST OR PHANTOM: {p}");
            }
            ExitCode::FAILURE
        }
    }
}

fn report(args: &Args, tallies: &[Tally], elapsed: Duration) {
    let seconds = elapsed.as_secs_f64();
    let mut all: Vec<u32> = Vec::new();
    println!("{:<8} {:>10} {:>10} {:>8} {:>8} {:>8}", "op", "count", "per s", "p50 ms", "p99 ms", "p99.9 ms");
    for op in ["read", "insert", "patch", "delete", "append"] {
        let mut lat: Vec<u32> =
            tallies.iter().flat_map(|t| t.latencies.get(op).into_iter().flatten().copied()).collect();
        if lat.is_empty() {
            continue;
        }
        lat.sort_unstable();
        println!(
            "{op:<8} {:>10} {:>10.0} {:>8.2} {:>8.2} {:>8.2}",
            lat.len(),
            lat.len() as f64 / seconds,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            percentile(&lat, 0.999)
        );
        all.extend(lat);
    }
    all.sort_unstable();
    let errors: usize = tallies.iter().map(|t| t.errors).sum();
    let timeouts: usize = tallies.iter().map(|t| t.timeouts).sum();
    let total = all.len() + timeouts;
    println!(
        "{:<8} {:>10} {:>10.0} {:>8.2} {:>8.2} {:>8.2}",
        "all",
        all.len(),
        all.len() as f64 / seconds,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 0.999)
    );
    println!(
        "clients {}, {:.1} s; errors {} ({:.3}%), timeouts {} ({:.3}%)",
        args.clients,
        seconds,
        errors,
        100.0 * errors as f64 / total.max(1) as f64,
        timeouts,
        100.0 * timeouts as f64 / total.max(1) as f64
    );
}

/// Checks the database against what the clients were told.
fn verify(db: &Database, tallies: &[Tally], preloaded: &[String]) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut s = db.session();
    let rows = s.query("SELECT id, doc ->> '$.n', doc ->> '$.seed' FROM docs", &[]).map_err(|e| vec![e.to_string()])?;
    let stored: HashMap<String, (Value, Value)> =
        rows.rows.into_iter().map(|r| (r[0].to_string(), (r[1].clone(), r[2].clone()))).collect();
    let preloaded: HashSet<&String> = preloaded.iter().collect();
    let mut acknowledged = 0;
    let mut uncertain_inserts = 0;
    for t in tallies {
        uncertain_inserts += t.uncertain.iter().filter(|u| u.starts_with("client ")).count();
        for (id, n) in &t.made {
            if t.deleted.contains(id) {
                if stored.contains_key(id) && !t.uncertain.contains(id) {
                    problems.push(format!("document {id} was deleted and is still there"));
                }
                continue;
            }
            acknowledged += 1;
            match stored.get(id) {
                None => problems.push(format!("document {id} was acknowledged and is gone")),
                Some((stored_n, _)) if *stored_n != Value::Integer(*n) && !t.uncertain.contains(id) => {
                    problems.push(format!("document {id} holds n = {stored_n}, not the acknowledged {n}"))
                }
                _ => {}
            }
        }
    }
    // Every stored document is one made before, or one a client was told about (or
    // whose insert's answer was lost).
    let known: HashSet<&String> = tallies.iter().flat_map(|t| t.made.keys()).collect();
    let phantoms = stored.keys().filter(|id| !known.contains(id) && !preloaded.contains(id)).count();
    if phantoms > uncertain_inserts {
        problems
            .push(format!("{phantoms} documents no client was told about ({uncertain_inserts} inserts unanswered)"));
    }
    let mut messages = 0;
    for t in tallies {
        for (stream, n) in &t.appended {
            let rs = s
                .query("SELECT count(*) FROM get_stream_messages(?, 0, 1000000000)", &[Value::text(stream)])
                .map_err(|e| vec![e.to_string()])?;
            let found = match rs.rows[0][0] {
                Value::Integer(c) => c,
                _ => -1,
            };
            let unsure = t.appends_uncertain.get(stream).copied().unwrap_or(0);
            if found < *n || found > n + unsure {
                problems.push(format!("stream {stream} holds {found} messages; {n} were acknowledged"));
            }
            messages += n;
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "{acknowledged} acknowledged documents hold their last acknowledged change, {} deletes stayed deleted, {messages} acknowledged messages are in their streams, no phantom documents",
            tallies.iter().map(|t| t.deleted.len()).sum::<usize>()
        ))
    } else {
        Err(problems)
    }
}
