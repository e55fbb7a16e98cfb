//! A NATS cluster with JetStream on loopback ports, for the cluster tests and the
//! cluster benchmark: `nats-server` processes (Debian's package), each with its own
//! store directory, stopped when dropped.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free on loopback just now.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    // Below the ports the kernel hands to outgoing connections (32768 and up), so that
    // no client connection takes a port between its choice here and a server's start,
    // and never the same one twice in a process.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 6_000) as u16;
    let _ = NEXT.compare_exchange(0, base, Ordering::Relaxed, Ordering::Relaxed);
    loop {
        let port = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(port < 32_000, "no free port left below 32000");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Whether `nats-server` runs here. When it does not, the cluster tests are skipped with
/// a note, unless `AMBERDB_REQUIRE_CLIENTS` is set (as `.ci/run` sets it after
/// installing it), which makes its absence a failure.
pub fn available() -> bool {
    let ok = Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("AMBERDB_REQUIRE_CLIENTS").is_none(),
            "nats-server is required (AMBERDB_REQUIRE_CLIENTS) but does not run"
        );
        eprintln!("skipped: nats-server is not installed here (apt-get install nats-server)");
    }
    ok
}

pub struct Nats {
    servers: Vec<Option<Child>>,
    client_ports: Vec<u16>,
    route_ports: Vec<u16>,
    dir: PathBuf,
}

impl Nats {
    /// Starts `n` servers clustered with each other (one alone when `n` is 1).
    pub fn start(n: usize) -> Nats {
        let dir = std::env::temp_dir().join(format!("amber-nats-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("a directory for the NATS servers");
        let mut nats = Nats {
            servers: (0..n).map(|_| None).collect(),
            client_ports: (0..n).map(|_| free_port()).collect(),
            route_ports: (0..n).map(|_| free_port()).collect(),
            dir,
        };
        for i in 0..n {
            nats.spawn(i);
        }
        nats
    }

    /// The client URLs of every server, comma-separated, as `--cluster` takes them.
    pub fn urls(&self) -> String {
        self.client_ports.iter().map(|p| format!("nats://127.0.0.1:{p}")).collect::<Vec<_>>().join(",")
    }

    /// Starts server `i` (again), on its ports and store directory.
    pub fn spawn(&mut self, i: usize) {
        let mut command = Command::new("nats-server");
        command
            .args(["-a", "127.0.0.1", "-p", &self.client_ports[i].to_string()])
            .args(["-n", &format!("s{i}"), "-js", "-sd"])
            .arg(self.dir.join(format!("s{i}")));
        if self.servers.len() > 1 {
            let routes: Vec<String> = (0..self.servers.len())
                .filter(|&j| j != i)
                .map(|j| format!("nats://127.0.0.1:{}", self.route_ports[j]))
                .collect();
            command
                .args(["--cluster_name", "amber", "--cluster"])
                .arg(format!("nats://127.0.0.1:{}", self.route_ports[i]))
                .args(["--routes", &routes.join(",")]);
        }
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start nats-server");
        self.servers[i] = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.client_ports[i])).is_err() {
            assert!(Instant::now() < deadline, "nats-server s{i} did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills server `i` at once (SIGKILL): no goodbye to its peers or clients.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.servers[i].take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        for i in 0..self.servers.len() {
            self.kill(i);
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Joins `db` to the cluster `name` on `nats`, trying again while JetStream is still
/// electing its leaders (a few seconds after the servers start).
pub fn join(
    db: &amberdb::Database,
    nats: &Nats,
    name: &str,
    node: &str,
    checkpoint_every: u64,
) -> amberdb::ClusterJoin {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut options = amberdb::ClusterOptions::new(&nats.urls(), name);
        options.node = node.to_string();
        options.checkpoint_every = checkpoint_every;
        options.keep = checkpoint_every;
        match db.join_cluster(options) {
            Ok(joined) => return joined,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => panic!("node {node} could not join cluster {name}: {e}"),
        }
    }
}
