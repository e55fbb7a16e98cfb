//! `amberdb`: the shell, or a script runner when given a file, `-c`, or piped input.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use amberdb::shell::{repl, Mode, Runner, Settings};
use amberdb::Database;

/// Rows and tree nodes are many small allocations; mimalloc keeps allocations of one
/// size together, so the nodes of a tree sit side by side in memory and a scan walks
/// them far faster than with the system allocator (see docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

#[derive(Parser)]
#[command(
    name = "amberdb",
    version,
    about = "AmberDB: an in-memory SQL database with a friendly shell",
    after_help = "Snapshot tests for .q scripts: amberdb test [PATH…] (see amberdb test --help)\nA server for PostgreSQL clients: amberdb serve [--data DIR] [--listen ADDR] (see amberdb serve --help)"
)]
struct Args {
    /// A `.q` script to run instead of opening the shell.
    file: Option<String>,
    /// Run these statements (separated by `;`) and exit.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    command: Option<String>,
    /// Output mode: box, table, column, csv, json, jsonl, markdown, html, line, list,
    /// tabs, insert.
    #[arg(long, value_name = "MODE", value_parser = parse_mode)]
    mode: Option<Mode>,
    /// Stop at the first error.
    #[arg(long)]
    bail: bool,
    /// Leave out column names in csv, markdown and table output.
    #[arg(long)]
    no_headers: bool,
    /// Keep the database in this directory: a write-ahead log and checkpoints, so that
    /// every acknowledged commit survives a crash. Without it, everything is in memory.
    #[arg(long, value_name = "DIR")]
    data: Option<std::path::PathBuf>,
    /// When the log is fsynced: always (before each commit is acknowledged), batch
    /// (every 100 ms) or off.
    #[arg(long, value_name = "MODE", default_value = "always", requires = "data")]
    sync: amberdb::SyncMode,
    /// Open the data directory read-only as it was at this version.
    #[arg(long, value_name = "VERSION", requires = "data")]
    as_of: Option<u64>,
    /// How long committed versions stay readable with AS OF: a number of versions, or
    /// a time such as 7d or 12h.
    #[arg(long, value_name = "N|AGE", default_value = "100")]
    history: amberdb::Retention,

    /// The longest string or blob a statement may build, in bytes (at most the default,
    /// 1,000,000,000).
    #[arg(long, value_name = "BYTES")]
    max_length: Option<usize>,

    /// The longest statement a script or piped input may hold, in bytes (default 1 GiB).
    #[arg(long, value_name = "BYTES")]
    max_statement: Option<usize>,

    /// The most rows one recursive CTE may make before it fails (default 10,000,000).
    #[arg(long, value_name = "ROWS")]
    max_cte_rows: Option<usize>,

    #[command(flatten)]
    ops: OpsArgs,
}

/// Memory limit and slow-query log, for the shell and the server alike.
#[derive(clap::Args)]
struct OpsArgs {
    /// Refuse writes that would take the database past this much memory (`2GB`,
    /// `512MB`); old versions are let go first.
    #[arg(long, value_name = "SIZE", env = "AMBERDB_MEMORY_LIMIT")]
    memory_limit: Option<String>,
    /// Record statements slower than this many milliseconds (`amber_slow_queries()`).
    #[arg(long, value_name = "MS", env = "AMBERDB_SLOW_QUERY_MS")]
    slow_query_ms: Option<f64>,
    /// Append each slow statement to FILE as one JSON line.
    #[arg(long, value_name = "FILE", env = "AMBERDB_LOG")]
    log: Option<std::path::PathBuf>,
}

/// Applies the operations flags to a database; `stderr_log`: without `--log`, slow
/// statements go to stderr (the server) rather than nowhere (the shell).
fn apply_ops(db: &Database, ops: &OpsArgs, stderr_log: bool) -> Result<(), String> {
    if let Some(limit) = &ops.memory_limit {
        db.set_setting("memory_limit", &amberdb::Value::text(limit)).map_err(|e| e.to_string())?;
    }
    if let Some(ms) = ops.slow_query_ms {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(format!("--slow-query-ms takes milliseconds, not {ms}"));
        }
        db.set_slow_query_ms(Some(ms));
    }
    match &ops.log {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            db.set_slow_log(Some(Box::new(file)));
        }
        None if stderr_log && ops.slow_query_ms.is_some() => db.set_slow_log(Some(Box::new(std::io::stderr()))),
        None => {}
    }
    Ok(())
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    Mode::parse(s).ok_or_else(|| format!("expected one of {}", Mode::NAMES))
}

/// `amberdb test [PATH…]`: snapshot tests for `.q` scripts.
#[derive(Parser)]
#[command(name = "amberdb test", about = "Run .q scripts and compare each transcript with the NAME.q.snap beside it")]
struct TestArgs {
    /// Files or folders (searched recursively); the current folder by default.
    paths: Vec<std::path::PathBuf>,
    /// Write new and changed snapshots.
    #[arg(long)]
    accept: bool,
    /// Ask, for each change, whether to accept it.
    #[arg(long)]
    review: bool,
    /// Run only the scripts whose path contains TEXT.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Run this many scripts at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    jobs: usize,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,
}

/// `amberdb recover --data DIR [--discard-after-damage]`: opens a data directory and
/// says what recovery found; with the flag, a log damaged in the middle is cut at the
/// damage (a copy of what is cut is kept in the directory) so that the database opens.
#[derive(Parser)]
#[command(
    name = "amberdb recover",
    about = "Open a data directory, report what recovery found, and repair a damaged log"
)]
struct RecoverArgs {
    /// The data directory.
    #[arg(long, value_name = "DIR")]
    data: std::path::PathBuf,
    /// Cut a log damaged in the middle at the damage, dropping the commits after it
    /// (kept as a copy in DIR/discarded-<time>/).
    #[arg(long)]
    discard_after_damage: bool,
}

fn run_recover() -> ExitCode {
    let args = RecoverArgs::parse_from(std::env::args().skip(1));
    let options = amberdb::Options { discard_after_damage: args.discard_after_damage, ..Default::default() };
    match Database::open_with(&args.data, options) {
        Ok(db) => {
            match db.recovery_report() {
                Some(report) => println!("{}: {report}", args.data.display()),
                None => println!("{}: opened at version {}", args.data.display(), db.version()),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("amberdb: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `amberdb migrate`: numbered migration scripts, applied and undone in transactions.
#[derive(Parser)]
#[command(
    name = "amberdb migrate",
    about = "Apply, undo and list the migrations in a folder (NNNN_name.up.q and NNNN_name.down.q)"
)]
struct MigrateArgs {
    /// The data directory (in memory without it: a dry run of the scripts).
    #[arg(long, value_name = "DIR", env = "AMBERDB_DATA")]
    data: Option<std::path::PathBuf>,
    /// Where the migrations are.
    #[arg(long, value_name = "DIR", default_value = "migrations")]
    dir: std::path::PathBuf,
    /// Say what would run, and run nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(subcommand)]
    command: MigrateSub,
}

#[derive(clap::Subcommand)]
enum MigrateSub {
    /// Apply the pending migrations (the next N only, when given).
    Up { n: Option<usize> },
    /// Undo the last N applied migrations (1 when not given).
    Down { n: Option<usize> },
    /// Undo the last applied migration and apply it again.
    Redo,
    /// List the migrations and whether each is applied.
    Status,
    /// Record the migrations up to VERSION as applied without running them.
    Baseline { version: i64 },
    /// Write NNNN_NAME.up.q and .down.q, numbered after the newest.
    New { name: String },
}

fn run_migrate() -> ExitCode {
    use amberdb::MigrateCommand;
    let args = MigrateArgs::parse_from(std::env::args().skip(1));
    let command = match args.command {
        MigrateSub::New { name } => {
            return match amberdb::new_migration(&args.dir, &name) {
                Ok((up, down)) => {
                    println!("{}\n{}", up.display(), down.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("amberdb migrate: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        MigrateSub::Up { n } => MigrateCommand::Up(n),
        MigrateSub::Down { n } => MigrateCommand::Down(n.unwrap_or(1)),
        MigrateSub::Redo => MigrateCommand::Redo,
        MigrateSub::Status => MigrateCommand::Status,
        MigrateSub::Baseline { version } => MigrateCommand::Baseline(version),
    };
    let db = match &args.data {
        None => Database::open_in_memory(),
        // A second process gets the directory's lock error here: one migrates at a time.
        Some(dir) => match Database::open(dir) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("amberdb migrate: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    match db.migrate_with(&args.dir, &command, args.dry_run) {
        Ok(lines) => {
            if lines.is_empty() {
                println!("nothing to do");
            }
            for l in lines {
                println!("{:04}_{:<40} {}", l.version, l.name, l.state);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("amberdb migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `amberdb stats --data DIR`: what a data directory holds, opened and counted.
#[derive(Parser)]
#[command(
    name = "amberdb stats",
    about = "Open a data directory that is not in use and print its memory and log figures"
)]
struct StatsArgs {
    /// The data directory.
    #[arg(long, value_name = "DIR")]
    data: std::path::PathBuf,
}

fn run_stats() -> ExitCode {
    use amberdb::storage::memory::human_bytes;
    let args = StatsArgs::parse_from(std::env::args().skip(1));
    let db = match Database::open(&args.data) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("amberdb: {e}");
            return ExitCode::FAILURE;
        }
    };
    let files: u64 = std::fs::read_dir(&args.data)
        .map(|d| d.filter_map(|e| e.ok()?.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0);
    println!("{}: version {}, {} on disk", args.data.display(), db.version(), human_bytes(files));
    if let Some(report) = db.recovery_report() {
        println!("recovery: {report}");
    }
    let m = db.memory();
    println!("{:<32} {:>12} {:>12}", "table / index", "rows", "bytes");
    for t in &m.tables {
        println!("{:<32} {:>12} {:>12}", t.name, t.rows, human_bytes(t.bytes));
        for (name, bytes) in &t.indexes {
            println!("{:<32} {:>12} {:>12}", format!("  {name}"), t.rows, human_bytes(*bytes));
        }
    }
    for (ns, messages, bytes) in &m.streams {
        println!("{:<32} {:>12} {:>12}", format!("messages ({ns})"), messages, human_bytes(*bytes));
    }
    println!("{:<32} {:>12} {:>12}", "old versions", m.versions.0, human_bytes(m.versions.1));
    println!("{:<32} {:>12} {:>12}", "total in memory", "", human_bytes(m.total()));
    ExitCode::SUCCESS
}

/// `amberdb serve`: the database over PostgreSQL's wire protocol.
#[derive(Parser)]
#[command(
    name = "amberdb serve",
    about = "Serve a database to PostgreSQL clients (psql, drivers) until Ctrl-C or SIGTERM"
)]
struct ServeArgs {
    /// Keep the database in this directory (a write-ahead log and checkpoints);
    /// without it, everything is in memory.
    #[arg(long, value_name = "DIR", env = "AMBERDB_DATA")]
    data: Option<std::path::PathBuf>,
    /// When the log is fsynced: always (before each commit is acknowledged), batch
    /// (every 100 ms) or off.
    #[arg(long, value_name = "MODE", default_value = "always", requires = "data", env = "AMBERDB_SYNC")]
    sync: amberdb::SyncMode,
    /// The address to listen on for PostgreSQL clients.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5433", env = "AMBERDB_LISTEN")]
    listen: String,
    /// The most connections open at once.
    #[arg(long, value_name = "N", default_value_t = 100, env = "AMBERDB_MAX_CONNECTIONS")]
    max_connections: usize,
    /// How long committed versions stay readable with AS OF: a number of versions, or
    /// a time such as 7d or 12h.
    #[arg(long, value_name = "N|AGE", default_value = "100", env = "AMBERDB_HISTORY")]
    history: amberdb::Retention,
    /// Log nothing but errors at start.
    #[arg(long, env = "AMBERDB_QUIET")]
    quiet: bool,
    /// Who may connect: a file of names and SCRAM-SHA-256 verifiers (see
    /// --add-user). Without it, only connections from this machine are accepted.
    #[arg(long, value_name = "FILE", env = "AMBERDB_USERS")]
    users: Option<std::path::PathBuf>,
    /// Add NAME to the --users file (or change its password), asking for the
    /// password (read from stdin when it is not a terminal), and exit.
    #[arg(long, value_name = "NAME", requires = "users")]
    add_user: Option<String>,
    /// A PEM certificate (chain) for TLS; clients that ask for TLS get it.
    #[arg(long, value_name = "FILE", requires = "tls_key", env = "AMBERDB_TLS_CERT")]
    tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert", env = "AMBERDB_TLS_KEY")]
    tls_key: Option<std::path::PathBuf>,
    /// Also serve the HTTP API on this address (such as 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR", env = "AMBERDB_HTTP")]
    http: Option<String>,
    /// API keys for HTTP clients: a file of names, roles (read, write, admin) and key
    /// hashes (see --add-key). Without it, only clients on this machine are answered.
    #[arg(long, value_name = "FILE", env = "AMBERDB_KEYS")]
    keys: Option<std::path::PathBuf>,
    /// Make a new API key for NAME with ROLE (read, write or admin), store its hash in
    /// the --keys file, print the key once, and exit.
    #[arg(long, num_args = 2, value_names = ["NAME", "ROLE"], requires = "keys")]
    add_key: Option<Vec<String>>,
    /// The rate each API key may send requests at (such as 100/s); unlimited by
    /// default. A key's own rate= in the keys file overrides it.
    #[arg(long, value_name = "RATE", env = "AMBERDB_RATE")]
    rate: Option<String>,
    /// How many requests a key may send at once above its rate (default: one
    /// second's worth).
    #[arg(long, value_name = "N", requires = "rate", env = "AMBERDB_BURST")]
    burst: Option<f64>,
    /// The largest HTTP request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20, env = "AMBERDB_BODY_LIMIT")]
    body_limit: usize,
    /// How long one HTTP request's statements may run, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000, env = "AMBERDB_STATEMENT_TIMEOUT")]
    statement_timeout: u64,
    /// Let browsers on this origin call the HTTP API (CORS); off by default.
    #[arg(long, value_name = "ORIGIN", env = "AMBERDB_CORS")]
    cors: Option<String>,
    /// Be a node of a cluster whose commits go through a NATS JetStream stream: the
    /// NATS servers, comma-separated (nats://127.0.0.1:4222,…).
    #[arg(long, value_name = "URLS", requires = "cluster_name", env = "AMBERDB_CLUSTER")]
    cluster: Option<String>,
    /// The cluster's name: nodes with the same name share one stream.
    #[arg(long, value_name = "NAME", requires = "cluster", env = "AMBERDB_CLUSTER_NAME")]
    cluster_name: Option<String>,
    /// This node's name in the cluster (default: node-<process id>).
    #[arg(long, value_name = "NAME", requires = "cluster", env = "AMBERDB_NODE")]
    node: Option<String>,
    /// Replicas of a new cluster's stream (1 when NATS runs as one server).
    #[arg(long, value_name = "N", default_value_t = 3, requires = "cluster")]
    cluster_replicas: usize,
    /// Publish a checkpoint to the cluster every N versions; the stream keeps N versions
    /// behind the newest one (0: never, and keep everything).
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "cluster")]
    cluster_checkpoint_every: u64,

    #[command(flatten)]
    ops: OpsArgs,
}

/// The HTTP listener's options from the flags.
fn http_options(args: &ServeArgs) -> Result<amberdb::server::http::HttpOptions, String> {
    use amberdb::server::http::{keys, HttpOptions, Keys, Rate};
    let keys = match &args.keys {
        None => None,
        Some(file) => {
            let keys = Keys::load(file)?;
            if keys.is_empty() {
                return Err(format!("{} holds no keys; add one with --add-key NAME ROLE", file.display()));
            }
            Some(std::sync::Arc::new(keys))
        }
    };
    let rate = match &args.rate {
        None => None,
        Some(text) => {
            let per_second = keys::parse_rate(text)?;
            let burst = args.burst.unwrap_or(per_second.max(1.0));
            if burst < 1.0 {
                return Err("--burst must be at least 1".into());
            }
            Some(Rate { per_second, burst })
        }
    };
    Ok(HttpOptions {
        keys,
        rate,
        body_limit: args.body_limit,
        statement_timeout: std::time::Duration::from_millis(args.statement_timeout.max(1)),
        cors: args.cors.clone(),
        log: !args.quiet,
    })
}

/// `amberdb serve --users FILE --add-user NAME`.
fn add_user(file: &std::path::Path, name: &str) -> ExitCode {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "));
        let second = rpassword::prompt_password("Again: ");
        match (first, second) {
            (Ok(a), Ok(b)) if a == b => Ok(a),
            (Ok(_), Ok(_)) => Err("the passwords differ".to_string()),
            (Err(e), _) | (_, Err(e)) => Err(format!("cannot read the password: {e}")),
        }
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map(|_| line.trim_end_matches(['\r', '\n']).to_string())
            .map_err(|e| format!("cannot read the password: {e}"))
    };
    match password.and_then(|p| amberdb::server::auth::add_user(file, name, &p)) {
        Ok(()) => {
            eprintln!("amberdb serve: {name} can now sign in (users in {})", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("amberdb serve: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_serve() -> ExitCode {
    let args = ServeArgs::parse_from(std::env::args().skip(1));
    if let (Some(name), Some(file)) = (&args.add_user, &args.users) {
        return add_user(file, name);
    }
    if let (Some(pair), Some(file)) = (&args.add_key, &args.keys) {
        return match amberdb::server::http::keys::add_key(file, &pair[0], &pair[1]) {
            Ok(key) => {
                eprintln!(
                    "amberdb serve: a {} key for {} (stored hashed in {}; shown only now):",
                    pair[1],
                    pair[0],
                    file.display()
                );
                println!("{key}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("amberdb serve: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let http = match &args.http {
        None => None,
        Some(address) => match http_options(&args) {
            Ok(options) => Some((address.clone(), options)),
            Err(e) => {
                eprintln!("amberdb serve: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let users = match &args.users {
        None => None,
        Some(file) => match amberdb::server::Users::load(file) {
            Ok(users) if users.is_empty() => {
                eprintln!("amberdb serve: {} names no users; add one with --add-user NAME", file.display());
                return ExitCode::FAILURE;
            }
            Ok(users) => Some(std::sync::Arc::new(users)),
            Err(e) => {
                eprintln!("amberdb serve: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => match amberdb::server::Tls::load(cert, key) {
            Ok(tls) => Some(tls),
            Err(e) => {
                eprintln!("amberdb serve: {e}");
                return ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let db = match &args.data {
        None => Database::open_in_memory(),
        Some(dir) => match Database::open_with(
            dir,
            amberdb::Options { sync: args.sync, keep_versions: args.history.replayed_versions(), ..Default::default() },
        ) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("amberdb: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    amberdb::alloc::collect();
    db.set_history(args.history);
    if let Err(e) = apply_ops(&db, &args.ops, true) {
        eprintln!("amberdb serve: {e}");
        return ExitCode::FAILURE;
    }
    if let (Some(servers), Some(name)) = (&args.cluster, &args.cluster_name) {
        let mut options = amberdb::ClusterOptions::new(servers, name);
        if let Some(node) = &args.node {
            options.node = node.clone();
        }
        options.replicas = args.cluster_replicas;
        options.checkpoint_every = args.cluster_checkpoint_every;
        options.keep = args.cluster_checkpoint_every;
        let node = options.node.clone();
        match db.join_cluster(options) {
            Ok(joined) if !args.quiet => eprintln!(
                "amberdb serve: node {node} of cluster {name} at version {} (started from {} {}, stream R{})",
                joined.caught_up,
                if joined.from_checkpoint { "published checkpoint" } else { "version" },
                joined.started_at,
                joined.replicas
            ),
            Ok(_) => {}
            Err(e) => {
                eprintln!("amberdb serve: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let _sweeper = db.start_sweeper(std::time::Duration::from_secs(1));
    let options = amberdb::server::ServeOptions {
        max_connections: args.max_connections,
        log: !args.quiet,
        users,
        tls,
        ..Default::default()
    };
    match amberdb::server::run(db, &args.listen, options, http, args.data.is_some()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("amberdb serve: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_tests() -> ExitCode {
    let args = TestArgs::parse_from(std::env::args().skip(1));
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let options = amberdb::shell::testing::TestOptions {
        paths: args.paths,
        accept: args.accept,
        review: args.review,
        filter: args.filter,
        jobs: args.jobs,
        junit: args.junit,
        color,
    };
    ExitCode::from(amberdb::shell::testing::run(&options) as u8)
}

fn main() -> ExitCode {
    amberdb::storage::memory::set_allocator_probe(amberdb::alloc::committed_bytes);
    match std::env::args().nth(1).as_deref() {
        Some("stats") => return run_stats(),
        Some("migrate") => return run_migrate(),
        Some("test") => return run_tests(),
        Some("recover") => return run_recover(),
        Some("serve") => return run_serve(),
        _ => {}
    }
    let args = Args::parse();
    let stdout_tty = std::io::stdout().is_terminal();
    let color = stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let size = if stdout_tty { terminal_size::terminal_size() } else { None };
    let mut settings = Settings {
        mode: args.mode.unwrap_or(Mode::Box),
        headers: !args.no_headers,
        color,
        width: size.map(|(w, _)| w.0 as usize),
        ..Settings::default()
    };
    if let Some((_, h)) = size {
        // On a terminal, as DuckDB's and psql's shells do: a long result shows its first
        // and last rows, widths come from the first screenful, and what is longer than
        // the screen goes through the pager.
        settings.max_rows = Some(40);
        settings.sample = (h.0 as usize).max(50);
        settings.pager = amberdb::shell::Pager::Auto;
        settings.height = Some(h.0 as usize);
    }
    let db = match &args.data {
        None => Database::open_in_memory(),
        Some(dir) => {
            let keep_versions = args.history.replayed_versions();
            let options = amberdb::Options { sync: args.sync, as_of: args.as_of, keep_versions, ..Default::default() };
            // Recovering a big data directory takes a while: a line on stderr says so.
            let watcher = amberdb::shell::progress::Watcher::new(true);
            let opening = watcher.begin(&format!("opening {}", dir.display()));
            let opened = Database::open_with(dir, options);
            drop(opening);
            match opened {
                Ok(db) => db,
                Err(e) => {
                    eprintln!("amberdb: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    // Recovery read a checkpoint and a log into buffers it has freed: return them now.
    amberdb::alloc::collect();
    if let Some(report) = db.recovery_report().filter(|r| r.is_eventful()) {
        eprintln!("amberdb: {}: {report}", args.data.as_deref().unwrap_or(std::path::Path::new(".")).display());
    }
    db.set_history(args.history);
    if let Some(rows) = args.max_cte_rows {
        db.set_max_cte_rows(rows);
    }
    if let Some(bytes) = args.max_length {
        db.set_max_length(bytes);
    }
    if let Err(e) = apply_ops(&db, &args.ops, false) {
        eprintln!("amberdb: {e}");
        return ExitCode::FAILURE;
    }
    // Expired rows are invisible at once; the sweeper frees them every second.
    let _sweeper = db.start_sweeper(std::time::Duration::from_secs(1));
    let session = db.session();
    // Output is flushed after each statement (and before each error), not each line: a
    // 2M-row result is a few thousand writes, not two million.
    let stdout = Box::new(std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()));
    let mut runner = Runner::new(session, settings, stdout, Box::new(std::io::stderr()));
    runner.bail = args.bail;
    runner.show_progress();
    if let Some(bytes) = args.max_statement {
        runner.max_statement = bytes;
    }

    if let Some(sql) = &args.command {
        runner.run_script(sql, "<command>");
    } else if let Some(path) = &args.file {
        match std::fs::File::open(path) {
            Ok(file) => {
                runner.run_reader(&mut std::io::BufReader::new(file), path);
            }
            Err(e) => {
                eprintln!("amberdb: cannot read {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else if !std::io::stdin().is_terminal() {
        runner.run_reader(&mut std::io::stdin().lock(), "<stdin>");
    } else if let Err(e) = repl::run(&mut runner) {
        eprintln!("amberdb: {e}");
        return ExitCode::FAILURE;
    }
    // A script that leaves a transaction open loses it, and says so.
    if runner.session.in_transaction() {
        let _ = runner.session.execute("ROLLBACK", &[]);
        eprintln!("amberdb: a transaction was still open at the end; it was rolled back");
        runner.errors += 1;
    }
    if runner.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
