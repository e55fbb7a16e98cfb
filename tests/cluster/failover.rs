//! Bank transfers through three `amberdb serve` nodes while a NATS server and then a
//! node die and come back; a history check of what the transfers read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::common::nats::{self, free_port, Nats};

const ACCOUNTS: i64 = 8;
const OPENING: i64 = 1000;

struct Node {
    child: Option<Child>,
    port: u16,
    name: String,
    data: Option<PathBuf>,
    urls: String,
    /// Where its stderr goes, shown when it does not start.
    log: PathBuf,
}

impl Node {
    fn start(nats: &Nats, name: &str, data: Option<PathBuf>) -> Node {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("amber-node-{name}-{port}.log"));
        let mut node = Node { child: None, port, name: name.into(), data, urls: nats.urls(), log };
        node.spawn();
        node
    }

    fn spawn(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_amberdb"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--cluster", &self.urls, "--cluster-name", "bank", "--node", &self.name])
            .args(["--cluster-checkpoint-every", "100"]);
        if let Some(dir) = &self.data {
            command.arg("--data").arg(dir);
        }
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("a log file");
        self.child = Some(command.stdout(Stdio::null()).stderr(log).spawn().expect("start a node"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("node {} did not start:\n{log}", self.name);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// The last lines of its log, but for connections and conflicts.
    fn tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().filter(|l| !l.contains("ERROR 40001") && !l.contains("connected")).collect();
        format!("node {}:\n{}", self.name, lines[lines.len().saturating_sub(20)..].join("\n"))
    }

    fn url(&self) -> String {
        format!("host=127.0.0.1 port={} user=bank dbname=amber connect_timeout=2", self.port)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
        std::fs::remove_file(&self.log).ok();
    }
}

/// What the clients saw: transfers acknowledged, and those whose outcome they could
/// not learn (the connection broke during COMMIT).
#[derive(Default)]
struct Seen {
    acknowledged: BTreeSet<i64>,
    unknown: BTreeSet<i64>,
    conflicts: usize,
}

async fn connect(url: &str, stop: &AtomicBool) -> Option<tokio_postgres::Client> {
    while !stop.load(Ordering::Relaxed) {
        if let Ok((client, connection)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await {
            tokio::spawn(connection);
            return Some(client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// One transfer: reads both balances, moves `amount`, and records what it read.
async fn transfer(
    client: &mut tokio_postgres::Client,
    id: i64,
    src: i64,
    dst: i64,
    amount: i64,
) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let src_before: i64 = tx.query_one("SELECT balance FROM accounts WHERE id = $1", &[&src]).await?.get(0);
    let dst_before: i64 = tx.query_one("SELECT balance FROM accounts WHERE id = $1", &[&dst]).await?.get(0);
    tx.execute("UPDATE accounts SET balance = balance - $1 WHERE id = $2", &[&amount, &src]).await?;
    tx.execute("UPDATE accounts SET balance = balance + $1 WHERE id = $2", &[&amount, &dst]).await?;
    tx.execute(
        "INSERT INTO transfers VALUES ($1, $2, $3, $4, $5, $6)",
        &[&id, &src, &dst, &amount, &src_before, &dst_before],
    )
    .await?;
    tx.commit().await
}

async fn client_loop(url: String, seed: i64, ids: Arc<AtomicI64>, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
    let mut rng = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let Some(mut client) = connect(&url, &stop).await else { return };
    while !stop.load(Ordering::Relaxed) {
        let id = ids.fetch_add(1, Ordering::Relaxed);
        let src = (next() % ACCOUNTS as u64) as i64 + 1;
        let dst = (src + (next() % (ACCOUNTS as u64 - 1)) as i64) % ACCOUNTS + 1;
        let amount = (next() % 20) as i64 + 1;
        match transfer(&mut client, id, src, dst, amount).await {
            Ok(()) => {
                seen.lock().unwrap().acknowledged.insert(id);
            }
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE) => {
                seen.lock().unwrap().conflicts += 1;
            }
            Err(_) => {
                // The node or its connection went away: whether this transfer committed
                // is unknown to the client. Connect again (to the same node, once back).
                seen.lock().unwrap().unknown.insert(id);
                if client.is_closed() {
                    let Some(again) = connect(&url, &stop).await else { return };
                    client = again;
                }
            }
        }
    }
}

async fn query(url: &str, sql: &str) -> Vec<tokio_postgres::Row> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client.query(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn applied(url: &str) -> i64 {
    query(url, "SELECT applied_version FROM amber_cluster() WHERE this_node").await[0].get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_transfers_survive_a_nats_server_and_a_node_dying() {
    if !nats::available() {
        return;
    }
    let mut servers = Nats::start(3);
    // The stream is made once JetStream has its leaders (a few seconds after start).
    let setup = tokio::task::spawn_blocking({
        let urls = servers.urls();
        move || {
            let db = amberdb::Database::open_in_memory();
            let mut options = amberdb::ClusterOptions::new(&urls, "bank");
            options.node = "setup".into();
            let deadline = Instant::now() + Duration::from_secs(60);
            while let Err(e) = db.join_cluster(options.clone()) {
                assert!(Instant::now() < deadline, "the cluster did not form: {e}");
                std::thread::sleep(Duration::from_millis(250));
            }
            let mut s = db.session();
            s.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)", &[]).unwrap();
            s.execute(
                &format!("INSERT INTO accounts SELECT value, {OPENING} FROM generate_series(1, {ACCOUNTS})"),
                &[],
            )
            .unwrap();
            s.execute(
                "CREATE TABLE transfers (id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER, \
                 src_before INTEGER, dst_before INTEGER) WITH (history = '1 day')",
                &[],
            )
            .unwrap();
        }
    });
    setup.await.unwrap();
    let data = std::env::temp_dir().join(format!("amber-cluster-node-{}-{}", std::process::id(), free_port()));
    let mut nodes = vec![
        Node::start(&servers, "n1", None),
        Node::start(&servers, "n2", None),
        Node::start(&servers, "n3", Some(data.clone())),
    ];

    let stop = Arc::new(AtomicBool::new(false));
    let ids = Arc::new(AtomicI64::new(1));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut clients = Vec::new();
    for (i, node) in nodes.iter().enumerate().cycle().take(6) {
        let url = node.url();
        clients.push(tokio::spawn(client_loop(url, i as i64 * 7 + 3, ids.clone(), stop.clone(), seen.clone())));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    servers.kill(1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    servers.spawn(1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    nodes[2].kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    tokio::task::block_in_place(|| nodes[2].spawn());
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(seen.acknowledged.len() > 50, "too few transfers went through: {}", seen.acknowledged.len());

    // Every node reaches the same version and the same rows.
    let urls: Vec<String> = nodes.iter().map(Node::url).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let version = loop {
        let mut versions = Vec::new();
        for url in &urls {
            versions.push(applied(url).await);
        }
        if versions.iter().all(|v| *v == versions[0]) {
            break versions[0];
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = nodes.iter().map(Node::tail).collect();
            panic!("the nodes did not settle: {versions:?}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let state =
        |rows: Vec<tokio_postgres::Row>| -> Vec<(i64, i64)> { rows.iter().map(|r| (r.get(0), r.get(1))).collect() };
    let accounts = state(query(&urls[0], "SELECT id, balance FROM accounts ORDER BY id").await);
    let transfers = state(query(&urls[0], "SELECT id, amount FROM transfers ORDER BY id").await);
    for url in &urls[1..] {
        assert_eq!(state(query(url, "SELECT id, balance FROM accounts ORDER BY id").await), accounts);
        assert_eq!(state(query(url, "SELECT id, amount FROM transfers ORDER BY id").await), transfers);
        assert_eq!(applied(url).await, version);
    }
    assert_eq!(accounts.iter().map(|a| a.1).sum::<i64>(), ACCOUNTS * OPENING, "money was made or lost");

    // Every acknowledged transfer is there; every transfer there was acknowledged or
    // had an outcome its client could not learn.
    let present: BTreeSet<i64> = transfers.iter().map(|t| t.0).collect();
    let missing: Vec<_> = seen.acknowledged.difference(&present).collect();
    assert!(missing.is_empty(), "acknowledged transfers missing: {missing:?}");
    let phantom: Vec<_> =
        present.iter().filter(|id| !seen.acknowledged.contains(id) && !seen.unknown.contains(id)).collect();
    assert!(phantom.is_empty(), "transfers nobody committed: {phantom:?}");

    // The history check: replayed one by one in version order from the opening
    // balances, the transfers explain every balance each one read, so the commits
    // form one serial order consistent with every node's reads.
    let history = query(
        &urls[2],
        "SELECT version, new_id, new_src, new_dst, new_amount, new_src_before, new_dst_before \
         FROM history(transfers) WHERE operation = 'insert' ORDER BY version",
    )
    .await;
    assert_eq!(history.len(), present.len(), "the journal holds every transfer");
    let mut balances: BTreeMap<i64, i64> = (1..=ACCOUNTS).map(|id| (id, OPENING)).collect();
    let mut last = 0;
    for row in &history {
        let (v, id, src, dst, amount): (i64, i64, i64, i64, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        let (src_before, dst_before): (i64, i64) = (row.get(5), row.get(6));
        assert!(v > last, "one transfer per version");
        last = v;
        assert_eq!(
            (balances[&src], balances[&dst]),
            (src_before, dst_before),
            "transfer {id} at version {v} read a state no serial order explains"
        );
        *balances.get_mut(&src).unwrap() -= amount;
        *balances.get_mut(&dst).unwrap() += amount;
    }
    assert_eq!(balances.into_iter().collect::<Vec<_>>(), accounts);
    eprintln!(
        "{} transfers acknowledged, {} unknown, {} conflicts; version {version}",
        seen.acknowledged.len(),
        seen.unknown.len(),
        seen.conflicts
    );
    drop(nodes);
    std::fs::remove_dir_all(&data).ok();
}
