//! `amberdb serve` against a real PostgreSQL 15 on this machine, both driven by pgbench:
//! point lookups by key over 1M rows (select-only, simple and prepared protocols, at 1
//! and 16 clients) and a write transaction (update one row, insert a history row), with
//! AmberDB in memory and with `--data --sync always` against PostgreSQL with
//! `synchronous_commit = on`. Prints transactions per second and AmberDB's ratio.
//!
//! `cargo bench --bench server` (AMBERDB_BENCH_SECS sets each run's length, 5 by
//! default). Skipped, saying why, where PostgreSQL 15 or pgbench is not installed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const ROWS: u64 = 1_000_000;

fn main() {
    if !Path::new(PG_BIN).join("initdb").exists() || Command::new("pgbench").arg("--version").output().is_err() {
        println!("server bench skipped: PostgreSQL 15 ({PG_BIN}) or pgbench is not installed");
        return;
    }
    let secs: u64 = std::env::var("AMBERDB_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let pg = match Postgres::start(dir.path()) {
        Ok(pg) => pg,
        Err(e) => {
            println!("server bench skipped: PostgreSQL did not start: {e}");
            return;
        }
    };
    let memory = Amber::start(&[]);
    let durable_dir = dir.path().join("amber-data");
    let durable = Amber::start(&["--data", durable_dir.to_str().unwrap(), "--sync", "always"]);

    let load_pg = format!(
        "CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER);
         INSERT INTO kv SELECT x, x FROM generate_series(1, {ROWS}) x;
         CREATE TABLE hist (id INTEGER, d INTEGER);"
    );
    let load_amber = format!(
        "CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER);
         INSERT INTO kv WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {ROWS}) SELECT x, x FROM c;
         CREATE TABLE hist (id INTEGER, d INTEGER);"
    );
    psql(&pg.url, &load_pg);
    psql(&pg.url, "VACUUM ANALYZE kv");
    psql(&memory.url(), &load_amber);
    psql(&durable.url(), &load_amber);

    let select = dir.path().join("select.sql");
    std::fs::write(&select, format!("\\set id random(1, {ROWS})\nSELECT v FROM kv WHERE id = :id;\n")).unwrap();
    let write = dir.path().join("write.sql");
    std::fs::write(
        &write,
        format!(
            "\\set id random(1, {ROWS})\n\\set d random(-100, 100)\nBEGIN;\nUPDATE kv SET v = v + :d WHERE id = :id;\n\
             INSERT INTO hist (id, d) VALUES (:id, :d);\nEND;\n"
        ),
    )
    .unwrap();

    println!("pgbench, {secs} s per run, {ROWS} rows; transactions per second");
    println!("{:<52} {:>12} {:>12} {:>8}", "workload", "AmberDB", "PostgreSQL", "ratio");
    let runs: [(&str, &Path, &str, &Amber); 8] = [
        ("select by key, simple, 1 client", &select, "-M simple -c 1", &memory),
        ("select by key, simple, 16 clients", &select, "-M simple -c 16 -j 2", &memory),
        ("select by key, prepared, 1 client", &select, "-M prepared -c 1", &memory),
        ("select by key, prepared, 16 clients", &select, "-M prepared -c 16 -j 2", &memory),
        ("update + insert, in memory, 1 client", &write, "-c 1", &memory),
        ("update + insert, in memory, 16 clients", &write, "-c 16 -j 2", &memory),
        ("update + insert, --sync always, 1 client", &write, "-c 1", &durable),
        ("update + insert, --sync always, 16 clients", &write, "-c 16 -j 2", &durable),
    ];
    for (name, script, flags, amber) in runs {
        let a = pgbench(&amber.url(), script, flags, secs);
        let p = pgbench(&pg.url, script, flags, secs);
        println!("{name:<52} {a:>12.0} {p:>12.0} {:>7.2}×", a / p);
    }
}

/// Runs pgbench and answers its transactions per second.
fn pgbench(url: &str, script: &Path, flags: &str, secs: u64) -> f64 {
    let out = Command::new("pgbench")
        .args(["-n", "--max-tries", "1000", "-T", &secs.to_string()])
        .args(flags.split_whitespace())
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("pgbench failed: {text}{}", String::from_utf8_lossy(&out.stderr)))
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Amber {
    child: Child,
    port: u16,
}

impl Amber {
    fn start(args: &[&str]) -> Amber {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
            .args(["serve", "--quiet", "--listen", "127.0.0.1:0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let port = first
            .split("listening on 127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first}"));
        std::thread::spawn(move || for _ in lines {});
        Amber { child, port }
    }

    fn url(&self) -> String {
        format!("host=127.0.0.1 port={} user=bench dbname=bench", self.port)
    }
}

impl Drop for Amber {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A PostgreSQL 15 cluster in a temporary directory, on a free loopback port, with
/// its durable defaults (fsync, synchronous_commit on). As root, it runs as the
/// `postgres` user, since PostgreSQL refuses to run as root.
struct Postgres {
    data: PathBuf,
    url: String,
    as_user: Option<&'static str>,
}

impl Postgres {
    fn start(dir: &Path) -> Result<Postgres, String> {
        let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
        let as_user = root.then_some("postgres");
        let base = dir.join("pg");
        std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
        if let Some(user) = as_user {
            let _ = Command::new("chown").args(["-R", user]).arg(dir).status();
        }
        let data = base.join("data");
        let port = free_port();
        let pg = Postgres {
            data: data.clone(),
            url: format!("host=127.0.0.1 port={port} user=bench dbname=postgres"),
            as_user,
        };
        pg.run("initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "bench"])?;
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c synchronous_commit=on", base.display());
        pg.run(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-o", &options, "-l", base.join("log").to_str().unwrap(), "-w", "start"],
        )?;
        Ok(pg)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = Path::new(PG_BIN).join(program);
        let mut command = match self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let out = command.args(args).output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{program}: {}", String::from_utf8_lossy(&out.stderr)))
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"]);
    }
}
