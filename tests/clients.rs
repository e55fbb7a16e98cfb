//! `amberdb serve` as a program, with the clients people use: psql, pgbench, psycopg2
//! and psycopg 3 (from the Python named by `AMBERDB_PYTHON`, or `python3`), and a
//! crash: kill -9 mid-load loses no acknowledged commit.
//!
//! A client that is not installed is skipped with a message, unless
//! `AMBERDB_REQUIRE_CLIENTS` is set (as `.ci/run` sets it, after installing them).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Served {
    child: Child,
    port: u16,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start amberdb serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().expect("a first line").unwrap();
        let port = first
            .split("listening on 127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        // Keep reading so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Served { child, port }
    }

    fn url(&self) -> String {
        format!("host=127.0.0.1 port={} user=tester dbname=amber", self.port)
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn required() -> bool {
    std::env::var_os("AMBERDB_REQUIRE_CLIENTS").is_some()
}

/// Whether a program runs here; `false` (and a note) when it does not and may be
/// skipped.
fn available(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(!required(), "{program} is required (AMBERDB_REQUIRE_CLIENTS) but does not run");
        eprintln!("skipped: {program} is not installed here");
    }
    ok
}

fn psql(served: &Served, input: &str) -> String {
    // One stream, as a terminal shows it: errors where they happen.
    let mut child = Command::new("sh")
        .args(["-c", "psql -X -q -d \"$0\" 2>&1", &served.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn a_psql_session_reads_as_it_would_against_postgres() {
    if !available("psql", &["--version"]) {
        return;
    }
    let served = Served::start(&["--quiet"]);
    let out = psql(
        &served,
        r"CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL, pop INTEGER, area REAL);
INSERT INTO city VALUES (1, 'Lyon', 522250, 47.87), (2, 'Nantes', 320732, 65.19), (3, 'Brest', NULL, 49.51);
SELECT name, pop, round(pop / area) AS density FROM city ORDER BY id;
BEGIN;
UPDATE city SET pop = pop + 1 WHERE name ILIKE 'lyon';
SELECT pop FROM city WHERE id = 1;
ROLLBACK;
SELECT pop FROM city WHERE id = 1;
UPDATE city SET pop = pop + 10 WHERE id = 2 RETURNING name, pop;
SELECT name FROM city WHERE pop > ;
SELECT * FROM town;
CREATE INDEX city_area ON city (area);
CREATE NAMESPACE geo;
CREATE TABLE geo.river (name TEXT, km REAL);
CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, city INTEGER REFERENCES city (id) ON DELETE SET NULL);
\dt
\dn
\di
\d city
\d city_area
\d person
\d geo.river
\l
\timing on
SELECT count(*) FROM city;
\timing off
\pset format unaligned
SELECT id, name FROM city WHERE area BETWEEN 40 AND 50 ORDER BY id;
SHOW server_version;
",
    );
    // \timing's figures vary from run to run.
    let out = regex::Regex::new(r"Time: [0-9.]+ ms").unwrap().replace_all(&out, "Time: [elapsed] ms");
    insta::assert_snapshot!("psql_session", out);
}

#[test]
fn psycopg2_and_psycopg3_run_their_checks() {
    let python = std::env::var("AMBERDB_PYTHON").unwrap_or_else(|_| "python3".into());
    if !available(&python, &["-c", "import psycopg2, psycopg"]) {
        return;
    }
    let served = Served::start(&["--quiet"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/psycopg_clients.py");
    let out = Command::new(&python).arg(script).arg(served.port.to_string()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("all client checks passed"), "{text}");
}

#[test]
fn pgbench_transfers_at_16_clients_keep_the_books_balanced() {
    if !available("pgbench", &["--version"]) || !available("psql", &["--version"]) {
        return;
    }
    let served = Served::start(&["--quiet"]);
    psql(
        &served,
        "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL);
         INSERT INTO acct WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x, 1000 FROM c;
         CREATE TABLE history (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, d INTEGER);",
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("transfer.sql");
    std::fs::write(
        &script,
        "\\set a random(1, 1000)\n\\set b random(1, 1000)\n\\set d random(1, 100)\nBEGIN;\n\
         UPDATE acct SET bal = bal - :d WHERE id = :a;\nUPDATE acct SET bal = bal + :d WHERE id = :b;\n\
         INSERT INTO history (a, b, d) VALUES (:a, :b, :d);\nCOMMIT;\n",
    )
    .unwrap();
    let out = Command::new("pgbench")
        .args(["-n", "-c", "16", "-j", "2", "-T", "3", "--max-tries", "1000", "-f"])
        .arg(&script)
        .arg(served.url())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    let processed: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("number of transactions actually processed: "))
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no count in {text}"));
    assert!(processed > 0, "{text}");
    let books = psql(&served, "\\pset format unaligned\n\\pset tuples_only on\nSELECT sum(bal), count(*) FROM acct;\nSELECT count(*) FROM history;\n");
    assert_eq!(books.trim(), format!("1000000|1000\n{processed}"), "{text}");
}

/// Clients write as fast as they can; the server is killed with SIGKILL; every
/// commit a client was told of is there after a restart on the same directory.
#[test]
fn kill_9_mid_load_loses_no_acknowledged_commit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let mut served = Served::start(&["--quiet", "--data", &data]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let url = served.url();
    runtime.block_on(async {
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        c.batch_execute("CREATE TABLE acked (id INTEGER PRIMARY KEY, writer INTEGER)").await.unwrap();
    });
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8i64 {
        let (url, acknowledged, stop) = (url.clone(), acknowledged.clone(), stop.clone());
        writers.push(runtime.spawn(async move {
            let Ok((c, conn)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await else { return };
            tokio::spawn(conn);
            let mut i = 0i64;
            while !stop.load(Ordering::Relaxed) {
                let id = w * 1_000_000 + i;
                if c.execute("INSERT INTO acked VALUES ($1, $2)", &[&id, &w]).await.is_err() {
                    return;
                }
                acknowledged.lock().unwrap().push(id);
                i += 1;
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(700));
    served.child.kill().unwrap();
    served.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    runtime.block_on(async {
        for w in writers {
            w.await.ok();
        }
    });
    let acked = acknowledged.lock().unwrap().clone();
    assert!(acked.len() > 50, "only {} commits before the kill", acked.len());
    drop(served);

    let served = Served::start(&["--quiet", "--data", &data]);
    let url = served.url();
    let found: std::collections::HashSet<i64> = runtime.block_on(async {
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        c.query("SELECT id FROM acked", &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
    });
    let lost: Vec<i64> = acked.iter().copied().filter(|id| !found.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged commits lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
    // SIGTERM: the server stops taking connections, checkpoints and exits 0.
    assert!(served.terminate().success());
}

#[test]
fn psql_signs_in_over_tls_with_a_password_from_add_user() {
    if !available("psql", &["--version"]) || !available("openssl", &["version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-keyout", &path("key.pem"), "-out", &path("cert.pem")])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    // --add-user reads the password from stdin when it is not a terminal.
    let mut add = Command::new(env!("CARGO_BIN_EXE_amberdb"))
        .args(["serve", "--users", &path("users"), "--add-user", "alice"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin.take().unwrap().write_all(b"tea for two\n").unwrap();
    assert!(add.wait().unwrap().success());
    let users = std::fs::read_to_string(path("users")).unwrap();
    assert!(users.starts_with("alice SCRAM-SHA-256$4096:") && !users.contains("tea"), "{users}");

    let served = Served::start(&[
        "--quiet",
        "--users",
        &path("users"),
        "--tls-cert",
        &path("cert.pem"),
        "--tls-key",
        &path("key.pem"),
    ]);
    let run = |conninfo: String, password: &str| {
        let out = Command::new("psql")
            .args(["-X", "-At", "-d", &conninfo, "-c", "\\conninfo", "-c", "SELECT 'in'"])
            .env("PGPASSWORD", password)
            .output()
            .unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let at = |mode: &str| format!("host=127.0.0.1 port={} user=alice dbname=amber sslmode={mode}", served.port);
    let tls = run(at("require"), "tea for two");
    assert!(tls.contains("SSL connection (protocol: TLSv1.3, cipher: TLS_"), "{tls}");
    assert!(tls.trim_end().ends_with("in"), "{tls}");
    let plain = run(at("disable"), "tea for two");
    assert!(!plain.contains("SSL connection") && plain.trim_end().ends_with("in"), "{plain}");
    let bound = run(at("require") + " channel_binding=require", "tea for two");
    assert!(bound.trim_end().ends_with("in"), "{bound}");
    let wrong = run(at("require"), "tea for three");
    assert!(wrong.contains("FATAL:  password authentication failed for user \"alice\""), "{wrong}");
}
