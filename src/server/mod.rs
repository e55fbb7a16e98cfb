//! `amberdb serve`: the database over PostgreSQL's wire protocol, so that psql and
//! every Postgres driver connect to it.
//!
//! - this file — the listener: accepting connections (loopback only, up to a limit),
//!   and shutting down: refusing new connections, letting running statements finish,
//!   closing the rest
//! - `pg` — one connection: a session behind the simple and extended protocols
//! - `startup` — a connection's start: password, process id, parameters
//! - `answer` — a statement's outcome as rows or a command tag
//! - `wire` — values on the wire, in text and binary formats
//! - `sqlstate` — errors as PostgreSQL's SQLSTATEs
//! - `stream` — big results made as the client reads them
//! - `dialect` — SET, SHOW and RESET of session settings
//! - `auth` — the users file and SCRAM-SHA-256 passwords
//! - `tls` — TLS from a certificate and key

mod answer;
pub mod auth;
mod cancel;
mod dialect;
pub mod http;
mod parse;
mod pg;
mod sqlstate;
mod startup;
mod stream;
mod tls;
mod wire;

pub use auth::Users;
pub use tls::Tls;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::auth::{AuthDriver, DefaultServerParameterProvider};

use crate::Database;

/// How the server listens.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The most connections open at once; one more is refused (SQLSTATE 53300).
    pub max_connections: usize,
    /// Log a line per connection and per failed statement to stderr.
    pub log: bool,
    /// How long shutdown waits for running statements before closing their
    /// connections.
    pub drain: Duration,
    /// Who may connect, with which password (SCRAM-SHA-256). Without users, only
    /// clients on this machine are accepted, with no password asked.
    pub users: Option<Arc<Users>>,
    /// TLS for clients that ask for it.
    pub tls: Option<Tls>,
    /// The number of open connections, kept up to date (shared with the HTTP
    /// listener's metrics).
    pub open: Arc<AtomicUsize>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            max_connections: 100,
            log: true,
            drain: Duration::from_secs(10),
            users: None,
            tls: None,
            open: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// A connection's secret key and the flag that stops its statement.
type CancelKey = (Vec<u8>, Arc<AtomicBool>);

/// What the connections share.
pub(crate) struct Shared {
    db: Database,
    log: bool,
    /// Each connection's process id: its cancel key and interrupt flag.
    cancels: Mutex<HashMap<i32, CancelKey>>,
    open: Arc<AtomicUsize>,
    /// Secret keys for new connections.
    pids: pgwire::api::RandomPidSecretKeyGenerator,
    /// SCRAM-SHA-256 over the users, when there are users.
    scram: Option<ScramAuth>,
    /// The same for clients over TLS, offering channel binding too.
    scram_tls: Option<ScramAuth>,
    /// Steps a client through its password exchange.
    driver: AuthDriver<DefaultServerParameterProvider>,
}

/// Serves `db` on `listener` until `shutdown` completes; then takes no new
/// connections, waits (up to `options.drain`) for running statements, closes every
/// connection (an open transaction is rolled back) and returns.
pub async fn serve(
    db: Database,
    listener: TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let scram = options.users.clone().map(|users| ScramAuth::new(users));
    // Over TLS, clients may bind the exchange to the certificate
    // (SCRAM-SHA-256-PLUS); a certificate whose signature pgwire cannot read leaves
    // plain SCRAM-SHA-256, which is still safe over TLS.
    let scram_tls = match (&scram, &options.tls) {
        (Some(scram), Some(tls)) => {
            let mut plus = scram.clone();
            plus.configure_certificate(&tls.cert_pem).ok();
            Some(plus)
        }
        _ => None,
    };
    let shared = Arc::new(Shared {
        db,
        log: options.log,
        cancels: Mutex::new(HashMap::new()),
        open: options.open.clone(),
        pids: Default::default(),
        scram,
        scram_tls,
        driver: AuthDriver::new(DefaultServerParameterProvider::default()),
    });
    let tls = options.tls.as_ref().map(|t| t.acceptor.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        if options.log {
                            eprintln!("amberdb serve: accept failed: {e}");
                        }
                        // Out of file descriptors and the like: wait, then go on.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                socket.set_nodelay(true).ok();
                let refuse = refusal(&shared, &options, peer);
                let conn = Arc::new(pg::Connection::new(shared.clone(), peer, refuse));
                let mut stop = stop_rx.clone();
                let stopped = async move {
                    stop.wait_for(|s| *s).await.ok();
                };
                let shared = shared.clone();
                shared.open.fetch_add(1, Ordering::Relaxed);
                let tls = tls.clone();
                tasks.spawn(async move {
                    let handlers = Arc::new(pg::Handlers(conn.clone()));
                    let serving = pgwire::tokio::process_socket(socket, tls, handlers);
                    tokio::pin!(serving);
                    tokio::select! {
                        _ = &mut serving => {}
                        _ = stopped => {
                            // Let a running statement finish and answer.
                            while conn.busy() {
                                tokio::select! {
                                    _ = &mut serving => break,
                                    _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                                }
                            }
                        }
                    }
                    shared.open.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    stop_tx.send(true).ok();
    let drained = tokio::time::timeout(options.drain, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    Ok(())
}

/// Why a new connection is refused, if it is: the server is full, or the client is
/// not on this machine and no users are set up to check who it is.
fn refusal(shared: &Shared, options: &ServeOptions, peer: SocketAddr) -> Option<(&'static str, String)> {
    if options.users.is_none() && !peer.ip().is_loopback() {
        return Some((
            "28000",
            format!("no users are set up, so only connections from this machine are accepted, not from {}", peer.ip()),
        ));
    }
    if shared.open.load(Ordering::Relaxed) >= options.max_connections {
        return Some(("53300", format!("sorry, too many clients already (the limit is {})", options.max_connections)));
    }
    None
}

/// `amberdb serve`: binds `listen` (and `http`'s address, when given), serves until
/// Ctrl-C or SIGTERM, then checkpoints a database kept in a data directory.
pub fn run(
    db: Database,
    listen: &str,
    options: ServeOptions,
    http: Option<(String, http::HttpOptions)>,
    checkpoint: bool,
) -> std::io::Result<()> {
    // Quick statements run on the workers themselves (see `pg::Connection::blocking`):
    // more workers than cores keep a slow one from holding up the rest.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(cores.max(4)).enable_all().build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let who = match &options.users {
            None => "without --users only connections from this machine are accepted".to_string(),
            Some(users) => format!("{} users sign in with SCRAM-SHA-256 passwords", users.len()),
        };
        let tls = if options.tls.is_some() { ", TLS for clients that ask" } else { "" };
        eprintln!(
            "amberdb serve: listening on {addr} for PostgreSQL clients (psql -h {} -p {}); {who}{tls}",
            addr.ip(),
            addr.port()
        );
        // One signal stops both listeners.
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            stop_signal().await;
            stop_tx.send(true).ok();
        });
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            rx.wait_for(|s| *s).await.ok();
        };
        let http_task = match http {
            None => None,
            Some((address, http_options)) => {
                let listener = TcpListener::bind(&address).await?;
                let who = match &http_options.keys {
                    None => "without --keys only clients on this machine are answered".to_string(),
                    Some(keys) => format!("{} API keys", keys.len()),
                };
                eprintln!("amberdb serve: listening on http://{} for HTTP clients; {who}", listener.local_addr()?);
                let open = options.open.clone();
                let stop = stopped(stop_rx.clone());
                Some(tokio::spawn(http::serve_http(db.clone(), listener, http_options, Some(open), stop)))
            }
        };
        serve(db.clone(), listener, options, stopped(stop_rx)).await?;
        if let Some(task) = http_task {
            match task.await {
                Ok(result) => result?,
                Err(e) => eprintln!("amberdb serve: the HTTP listener failed: {e}"),
            }
        }
        eprintln!("amberdb serve: stopped taking connections");
        Ok::<(), std::io::Error>(())
    })?;
    if checkpoint {
        match db.checkpoint() {
            Ok(done) => eprintln!("amberdb serve: checkpointed version {}", done.version),
            Err(e) => eprintln!("amberdb serve: checkpoint failed: {e}"),
        }
    }
    Ok(())
}

/// Completes at Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => {
                tokio::signal::ctrl_c().await.ok();
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok();
    }
}
