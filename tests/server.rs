//! `amberdb serve` over the wire: tokio-postgres, a real PostgreSQL driver, runs the
//! library's scenarios against a server started in this process on a free loopback
//! port: typed CRUD, transactions and their failed state, conflicts to retry,
//! savepoints, prepared statements, portals read in parts, SQLSTATEs, cancel, timeouts,
//! disconnects, and malformed protocol messages.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use amberdb::server::{serve, ServeOptions};
use amberdb::Database;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    db: Database,
}

impl Server {
    async fn start() -> Server {
        Server::start_with(Database::open_in_memory(), ServeOptions { log: false, ..Default::default() }).await
    }

    async fn start_with(db: Database, options: ServeOptions) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let done = tokio::spawn(serve(db.clone(), listener, options, async {
            rx.await.ok();
        }));
        Server { addr, stop: Some(tx), done, db }
    }

    async fn connect(&self) -> Client {
        let config = format!("host=127.0.0.1 port={} user=tester dbname=amber", self.addr.port());
        let (client, connection) = tokio_postgres::connect(&config, NoTls).await.expect("connect");
        tokio::spawn(async move {
            connection.await.ok();
        });
        client
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).ok();
        self.done.await.unwrap().unwrap();
    }
}

fn code(e: &tokio_postgres::Error) -> &SqlState {
    e.code().unwrap_or_else(|| panic!("no SQLSTATE in {e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_rows_go_in_and_come_back_with_their_types() {
    let server = Server::start().await;
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, active BOOLEAN, seen TIMESTAMP, doc JSON)",
    )
    .await
    .unwrap();
    let insert =
        c.prepare("INSERT INTO people (id, name, score, active, seen) VALUES ($1, $2, $3, $4, $5)").await.unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(c.execute(&insert, &[&1i64, &"ada", &1.5f64, &true, &when]).await.unwrap(), 1);
    assert_eq!(c.execute(&insert, &[&2i64, &"bob", &None::<f64>, &false, &None::<SystemTime>]).await.unwrap(), 1);
    // A JSON column's parameter is json, as PostgreSQL infers it; text is cast.
    c.execute("UPDATE people SET doc = $1::TEXT WHERE id = 1", &[&r#"{"tags":["x"]}"#]).await.unwrap();

    let rows = c.query("SELECT id, name, score, active, seen FROM people ORDER BY id", &[]).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<_, i64>("id"), 1);
    assert_eq!(rows[0].get::<_, &str>("name"), "ada");
    assert_eq!(rows[0].get::<_, Option<f64>>("score"), Some(1.5));
    assert!(rows[0].get::<_, bool>("active"));
    assert_eq!(rows[0].get::<_, SystemTime>("seen"), when);
    assert_eq!(rows[1].get::<_, Option<f64>>("score"), None);
    assert_eq!(rows[1].get::<_, Option<SystemTime>>("seen"), None);

    // Parameters take the types of what they are compared with.
    let row = c.query_one("SELECT name FROM people WHERE id = $1 AND score > $2", &[&1i64, &1.0f64]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "ada");
    let row = c.query_one("SELECT count(*), sum(score), max(name) FROM people", &[]).await.unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, Option<f64>>(1), row.get::<_, String>(2)),
        (2, Some(1.5), "bob".into())
    );
    let row = c.query_one("SELECT $1::INTEGER + 1, 'a' || $2", &[&41i64, &"b"]).await.unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, String>(1)), (42, "ab".to_string()));
    let row = c.query_one("SELECT doc ->> '$.tags[0]' FROM people WHERE id = 1", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "x");

    // RETURNING answers rows, tagged with the INSERT's count.
    let rows = c.query("INSERT INTO people (id, name) VALUES (3, 'cy') RETURNING id, upper(name)", &[]).await.unwrap();
    assert_eq!((rows[0].get::<_, i64>(0), rows[0].get::<_, String>(1)), (3, "CY".into()));
    let tagged = c.simple_query("UPDATE people SET name = 'cyd' WHERE id = 3 RETURNING id").await.unwrap();
    assert!(tagged.iter().any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::CommandComplete(1))));
    assert_eq!(c.execute("DELETE FROM people WHERE id >= $1", &[&2i64]).await.unwrap(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_queries_answer_text_and_tags() {
    let server = Server::start().await;
    let c = server.connect().await;
    let messages = c
        .simple_query("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2); SELECT a, a * 1.5 FROM t ORDER BY a")
        .await
        .unwrap();
    use tokio_postgres::SimpleQueryMessage::{CommandComplete, Row};
    let rows: Vec<(String, String)> = messages
        .iter()
        .filter_map(|m| match m {
            Row(r) => Some((r.get(0).unwrap().to_string(), r.get(1).unwrap().to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(rows, [("1".to_string(), "1.5".to_string()), ("2".to_string(), "3".to_string())]);
    let counts: Vec<u64> =
        messages.iter().filter_map(|m| if let CommandComplete(n) = m { Some(*n) } else { None }).collect();
    assert_eq!(counts, [0, 2, 2]);

    // Settings clients send at connect are kept and shown.
    c.batch_execute("SET application_name = 'tests'; SET extra_float_digits = 3").await.unwrap();
    let shown = c.simple_query("SHOW application_name").await.unwrap();
    assert!(matches!(&shown[1], Row(r) if r.get(0) == Some("tests")), "{shown:?}");
    let version = c.query_one("SHOW server_version", &[]).await.unwrap();
    assert!(version.get::<_, String>(0).starts_with("15.0 (AmberDB"));
    // SQL reads the settings as they are: current_setting() and pg_settings.
    let name: String = c.query_one("SELECT current_setting('application_name')", &[]).await.unwrap().get(0);
    assert_eq!(name, "tests");
    let digits = "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'extra_float_digits'";
    assert_eq!(c.query_one(digits, &[]).await.unwrap().get::<_, String>(0), "3");
    // A prepared statement reads them when it runs, not when it was prepared.
    let stmt = c.prepare("SELECT current_setting('application_name'), current_setting('nope', true)").await.unwrap();
    c.batch_execute("SET application_name = 'again'").await.unwrap();
    let row = c.query_one(&stmt, &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "again");
    assert_eq!(row.get::<_, Option<String>>(1), None);
    // Another connection has its own.
    let other = server.connect().await;
    let theirs: String = other.query_one("SELECT current_setting('extra_float_digits')", &[]).await.unwrap().get(0);
    assert_eq!(theirs, "1");
    // The database's own settings answer as SHOW does; an unknown name is an error.
    let limit: String = c.query_one("SELECT current_setting('memory_limit')", &[]).await.unwrap().get(0);
    assert_eq!(limit, "off");
    let e = c.query_one("SELECT current_setting('no_such_setting')", &[]).await.unwrap_err();
    let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
    assert!(message.contains("unrecognized configuration parameter \"no_such_setting\""), "{e:?}");
    let both = "SELECT count(*) FROM pg_settings WHERE name IN ('timezone', 'memory_limit')";
    assert_eq!(c.query_one(both, &[]).await.unwrap().get::<_, i64>(0), 2);
    let e = c.batch_execute("SET client_encoding = 'LATIN1'").await.unwrap_err();
    assert_eq!(code(&e), &SqlState::INVALID_PARAMETER_VALUE);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_the_sqlstates_drivers_branch_on() {
    let server = Server::start().await;
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id), n INTEGER NOT NULL CHECK (n > 0));
         INSERT INTO parent VALUES (1);
         INSERT INTO child VALUES (1, 1, 1);",
    )
    .await
    .unwrap();
    let cases: &[(&str, SqlState)] = &[
        ("INSERT INTO child VALUES (1, 1, 1)", SqlState::UNIQUE_VIOLATION),
        ("INSERT INTO child VALUES (2, 9, 1)", SqlState::FOREIGN_KEY_VIOLATION),
        ("INSERT INTO child VALUES (2, 1, NULL)", SqlState::NOT_NULL_VIOLATION),
        ("INSERT INTO child VALUES (2, 1, 0)", SqlState::CHECK_VIOLATION),
        ("INSERT INTO child VALUES (2, 1, 'many')", SqlState::INVALID_TEXT_REPRESENTATION),
        ("SELECT * FROM nothing", SqlState::UNDEFINED_TABLE),
        ("SELECT nothing FROM child", SqlState::UNDEFINED_COLUMN),
        ("SELECT * FROM child WHERE", SqlState::SYNTAX_ERROR),
    ];
    for (sql, expected) in cases {
        let e = c.batch_execute(sql).await.unwrap_err();
        assert_eq!(code(&e), expected, "{sql}: {e:?}");
        // The extended protocol reports the same, at Parse or at Execute.
        let e = c.execute(*sql, &[]).await.unwrap_err();
        assert_eq!(code(&e), expected, "{sql} (extended): {e:?}");
    }
    let e = c.batch_execute("SELECT 1 FROM child WHERE id = = 2").await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert!(matches!(db.position(), Some(tokio_postgres::error::ErrorPosition::Original(p)) if *p > 25), "{db:?}");
    // Nothing the failed statements tried is there.
    let n: i64 = c.query_one("SELECT count(*) FROM child", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_commit_roll_back_and_fail_as_postgres_does() {
    let server = Server::start().await;
    let mut c = server.connect().await;
    c.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").await.unwrap();

    let tx = c.transaction().await.unwrap();
    tx.execute("INSERT INTO t VALUES (1, 'kept')", &[]).await.unwrap();
    tx.commit().await.unwrap();
    let tx = c.transaction().await.unwrap();
    tx.execute("INSERT INTO t VALUES (2, 'dropped')", &[]).await.unwrap();
    tx.rollback().await.unwrap();

    // An error inside a transaction fails it: statements are refused until ROLLBACK.
    c.batch_execute("BEGIN").await.unwrap();
    c.batch_execute("INSERT INTO t VALUES (3, 'in the failed one')").await.unwrap();
    let e = c.batch_execute("INSERT INTO t VALUES (1, 'clash')").await.unwrap_err();
    assert_eq!(code(&e), &SqlState::UNIQUE_VIOLATION);
    let e = c.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(code(&e), &SqlState::IN_FAILED_SQL_TRANSACTION);
    // COMMIT of a failed transaction rolls it back.
    let done = c.simple_query("COMMIT").await.unwrap();
    assert!(done.iter().any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::CommandComplete(_))));
    let ids: Vec<i64> = c.query("SELECT id FROM t ORDER BY id", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(ids, [1]);

    // Savepoints: ROLLBACK TO undoes what came after and clears a failure.
    c.batch_execute("BEGIN; INSERT INTO t VALUES (4, 'a'); SAVEPOINT s; INSERT INTO t VALUES (5, 'b')").await.unwrap();
    assert!(c.batch_execute("INSERT INTO t VALUES (4, 'dup')").await.is_err());
    c.batch_execute("ROLLBACK TO SAVEPOINT s; INSERT INTO t VALUES (6, 'c'); COMMIT").await.unwrap();
    let ids: Vec<i64> = c.query("SELECT id FROM t ORDER BY id", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(ids, [1, 4, 6]);

    // COMMIT and ROLLBACK with no transaction open are answered, as PostgreSQL warns.
    c.batch_execute("COMMIT; ROLLBACK").await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_conflict_with_40001_and_a_retry_succeeds() {
    let server = Server::start().await;
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER); INSERT INTO account VALUES (1, 100)",
    )
    .await
    .unwrap();
    let ta = a.transaction().await.unwrap();
    let tb = b.transaction().await.unwrap();
    ta.execute("UPDATE account SET balance = balance - 10 WHERE id = 1", &[]).await.unwrap();
    tb.execute("UPDATE account SET balance = balance - 20 WHERE id = 1", &[]).await.unwrap();
    ta.commit().await.unwrap();
    let e = tb.commit().await.unwrap_err();
    assert_eq!(code(&e), &SqlState::T_R_SERIALIZATION_FAILURE);
    // The retry loop a driver runs.
    loop {
        let tb = b.transaction().await.unwrap();
        tb.execute("UPDATE account SET balance = balance - 20 WHERE id = 1", &[]).await.unwrap();
        match tb.commit().await {
            Ok(()) => break,
            Err(e) if code(&e) == &SqlState::T_R_SERIALIZATION_FAILURE => continue,
            Err(e) => panic!("{e}"),
        }
    }
    let balance: i64 = a.query_one("SELECT balance FROM account", &[]).await.unwrap().get(0);
    assert_eq!(balance, 70);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_is_read_in_parts() {
    let server = Server::start().await;
    let mut c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE n (i INTEGER PRIMARY KEY);
         INSERT INTO n WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c",
    )
    .await
    .unwrap();
    let tx = c.transaction().await.unwrap();
    let stmt = tx.prepare("SELECT i FROM n WHERE i > $1 ORDER BY i").await.unwrap();
    let portal = tx.bind(&stmt, &[&0i64]).await.unwrap();
    let mut seen = 0i64;
    let mut batches = 0;
    loop {
        let rows = tx.query_portal(&portal, 7_000).await.unwrap();
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 7_000);
        for r in &rows {
            seen += 1;
            assert_eq!(r.get::<_, i64>(0), seen);
        }
        batches += 1;
    }
    assert_eq!((seen, batches), (100_000, 15));
    tx.commit().await.unwrap();
    server.stop().await;
}

/// A query that runs until it is stopped (or reaches the CTE row limit, much later).
const LONG: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_requests_and_statement_timeouts_stop_a_statement() {
    let server = Server::start().await;
    server.db.set_max_cte_rows(usize::MAX);
    let c = server.connect().await;
    let token = c.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await.unwrap();
    });
    let e = c.query_one(LONG, &[]).await.unwrap_err();
    assert_eq!(code(&e), &SqlState::QUERY_CANCELED);
    canceller.await.unwrap();
    // The connection goes on.
    assert_eq!(c.query_one("SELECT 1 + 1", &[]).await.unwrap().get::<_, i64>(0), 2);

    c.batch_execute("SET statement_timeout = 200").await.unwrap();
    let e = c.batch_execute(LONG).await.unwrap_err();
    assert_eq!(code(&e), &SqlState::QUERY_CANCELED);
    assert!(e.as_db_error().unwrap().message().contains("statement timeout"), "{e:?}");
    c.batch_execute("RESET statement_timeout").await.unwrap();
    assert_eq!(c.query_one("SELECT 2 + 2", &[]).await.unwrap().get::<_, i64>(0), 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gone_mid_transaction_leaves_nothing_behind() {
    let server = Server::start().await;
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (a INTEGER)").await.unwrap();
    {
        let gone = server.connect().await;
        gone.batch_execute("BEGIN; INSERT INTO t VALUES (1)").await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let n: i64 = c.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(n, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_limit_refuses_one_more() {
    let options = ServeOptions { max_connections: 2, log: false, ..Default::default() };
    let server = Server::start_with(Database::open_in_memory(), options).await;
    let _a = server.connect().await;
    let _b = server.connect().await;
    let config = format!("host=127.0.0.1 port={} user=t", server.addr.port());
    let e = tokio_postgres::connect(&config, NoTls).await.err().expect("a third connection is refused");
    assert_eq!(code(&e), &SqlState::TOO_MANY_CONNECTIONS);
    server.stop().await;
}

/// Random bytes, truncated frames and lying lengths never take the server down or
/// disturb a connection doing real work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_protocol_messages_harm_nothing() {
    let server = Server::start().await;
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (7)").await.unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // A real startup message, to reach the states past it.
    let mut startup = Vec::new();
    let body = b"\x00\x03\x00\x00user\x00fuzz\x00\x00";
    startup.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    startup.extend_from_slice(body);
    let mut sent = 0;
    while sent < 10_000 {
        let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let after_startup = next() % 2 == 0;
        if after_startup {
            socket.write_all(&startup).await.ok();
        }
        for _ in 0..50 {
            let mut msg = Vec::new();
            let kind = b"QPBEDSXHCdcfp"[(next() % 13) as usize];
            if after_startup {
                msg.push(kind);
            }
            let len = (next() % 64) as usize;
            let claimed = match next() % 4 {
                0 => len as u32 + 4,
                1 => next() as u32,
                2 => 3,
                _ => (len as u32).saturating_sub(2),
            };
            msg.extend_from_slice(&claimed.to_be_bytes());
            msg.extend((0..len).map(|_| next() as u8));
            if socket.write_all(&msg).await.is_err() {
                break;
            }
            sent += 1;
        }
        drop(socket);
        if sent % 1000 < 50 {
            let n: i64 = c.query_one("SELECT a FROM t", &[]).await.unwrap().get(0);
            assert_eq!(n, 7);
        }
    }
    let fresh = server.connect().await;
    assert_eq!(fresh.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get::<_, i64>(0), 1);
    server.stop().await;
}

/// 100 connections at once, each moving money between accounts in transactions
/// (retried on 40001) and reading the total: the books always balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_connections_of_mixed_reads_and_writes_keep_the_books() {
    let options = ServeOptions { max_connections: 120, log: false, ..Default::default() };
    let server = Server::start_with(Database::open_in_memory(), options).await;
    let setup = server.connect().await;
    setup
        .batch_execute(
            "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL);
             INSERT INTO acct WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) SELECT x, 100 FROM c;
             CREATE TABLE moves (a INTEGER, b INTEGER, amount INTEGER);",
        )
        .await
        .unwrap();
    let mut clients = Vec::new();
    for w in 0..100i64 {
        let mut c = server.connect().await;
        clients.push(tokio::spawn(async move {
            let mut moved = 0;
            for i in 0..20i64 {
                let (a, b) = ((w + i) % 50 + 1, (w * 7 + i * 3) % 50 + 1);
                if i % 3 == 0 {
                    let total: i64 = c.query_one("SELECT sum(bal) FROM acct", &[]).await.unwrap().get(0);
                    assert_eq!(total, 5_000);
                    continue;
                }
                loop {
                    let tx = c.transaction().await.unwrap();
                    tx.execute("UPDATE acct SET bal = bal - $1 WHERE id = $2", &[&1i64, &a]).await.unwrap();
                    tx.execute("UPDATE acct SET bal = bal + $1 WHERE id = $2", &[&1i64, &b]).await.unwrap();
                    tx.execute("INSERT INTO moves VALUES ($1, $2, $3)", &[&a, &b, &1i64]).await.unwrap();
                    match tx.commit().await {
                        Ok(()) => break,
                        Err(e) if code(&e) == &SqlState::T_R_SERIALIZATION_FAILURE => continue,
                        Err(e) => panic!("{e:?}"),
                    }
                }
                moved += 1;
            }
            moved
        }));
    }
    let mut moved = 0i64;
    for c in clients {
        moved += c.await.unwrap();
    }
    let row = setup.query_one("SELECT sum(bal), (SELECT count(*) FROM moves) FROM acct", &[]).await.unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (5_000, moved));
    server.stop().await;
}

/// Message DB's functions as its client libraries call them, schema and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_db_functions_answer_over_the_wire() {
    let server = Server::start().await;
    let c = server.connect().await;
    let write = "SELECT message_store.write_message($1, $2, $3, $4, $5, $6)";
    let id = "11111111-1111-4111-8111-111111111111";
    let position: i64 = c
        .query_one(write, &[&id, &"account-7", &"Opened", &r#"{"owner":"ada"}"#, &None::<&str>, &None::<i64>])
        .await
        .unwrap()
        .get(0);
    assert_eq!(position, 0);
    let id2 = "11111111-1111-4111-8111-111111111112";
    c.query_one(write, &[&id2, &"account-7", &"Deposited", &r#"{"amount":5}"#, &None::<&str>, &Some(0i64)])
        .await
        .unwrap();
    let e = c
        .query_one(
            write,
            &[&"11111111-1111-4111-8111-111111111113", &"account-7", &"Deposited", &"{}", &None::<&str>, &Some(0i64)],
        )
        .await
        .unwrap_err();
    assert!(e.as_db_error().unwrap().message().contains("Wrong expected version: 0"), "{e:?}");
    let rows = c
        .query(
            "SELECT type, position, data FROM message_store.get_stream_messages($1) ORDER BY position",
            &[&"account-7"],
        )
        .await
        .unwrap();
    let got: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, [("Opened".to_string(), 0), ("Deposited".to_string(), 1)]);
    let version: i64 = c.query_one("SELECT message_store.stream_version($1)", &[&"account-7"]).await.unwrap().get(0);
    assert_eq!(version, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_sign_in_with_scram_and_others_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users");
    amberdb::server::auth::add_user(&file, "alice", "correct horse").unwrap();
    let users = amberdb::server::Users::load(&file).unwrap();
    let options = ServeOptions { log: false, users: Some(std::sync::Arc::new(users)), ..Default::default() };
    let server = Server::start_with(Database::open_in_memory(), options).await;
    let connect = |user: &str, password: Option<&str>| {
        let mut config = format!("host=127.0.0.1 port={} user={user} dbname=amber", server.addr.port());
        if let Some(p) = password {
            config.push_str(&format!(" password='{p}'"));
        }
        async move { tokio_postgres::connect(&config, NoTls).await }
    };

    let (client, connection) = connect("alice", Some("correct horse")).await.expect("alice signs in");
    tokio::spawn(async move {
        connection.await.ok();
    });
    let row = client.query_one("SELECT 40 + 2", &[]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), 42);
    // pg_backend_pid() is the process id the server gave this connection.
    let pid: i64 = client.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    assert!(pid > 0);

    for (user, password) in [("alice", Some("wrong")), ("mallory", Some("correct horse")), ("alice", None)] {
        let e = connect(user, password).await.err().unwrap_or_else(|| panic!("{user} {password:?} got in"));
        match password {
            Some(_) => {
                assert_eq!(code(&e), &SqlState::INVALID_PASSWORD, "{e:?}");
                let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
                assert_eq!(message, format!("password authentication failed for user \"{user}\""));
            }
            // Without a password the driver gives up when the server asks for one.
            None => assert!(format!("{e:?}").contains("password missing"), "{e:?}"),
        }
    }
    // The refusals left the signed-in connection alone.
    assert_eq!(client.query_one("SELECT 1", &[]).await.unwrap().get::<_, i64>(0), 1);
    drop(client);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_limit_and_the_counters_answer_over_the_wire() {
    let server = Server::start().await;
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)").await.unwrap();
    c.batch_execute("INSERT INTO t SELECT value, 'x' FROM generate_series(1, 100)").await.unwrap();
    // SET reaches the database's own settings, as the shell's does.
    c.batch_execute("SET memory_limit = '64kB'").await.unwrap();
    let shown: String = c.query_one("SHOW memory_limit", &[]).await.unwrap().get(0);
    assert_eq!(shown, "64.0 KB");
    let e = c
        .batch_execute("INSERT INTO t SELECT value, printf('%0500d', value) FROM generate_series(1000, 3000)")
        .await
        .unwrap_err();
    assert_eq!(code(&e), &SqlState::OUT_OF_MEMORY, "{e:?}");
    let n: i64 = c.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(n, 100);
    c.batch_execute("SET memory_limit = off").await.unwrap();
    let inserts: i64 =
        c.query_one("SELECT value FROM amber_stats() WHERE name = 'statements_insert'", &[]).await.unwrap().get(0);
    assert!(inserts >= 2, "{inserts}");
    assert_eq!(server.db.memory_limit(), None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_delete_statements_are_tagged_as_their_writes_and_commits_carry_the_label() {
    let server = Server::start().await;
    let c = server.connect().await;
    c.batch_execute(
        "SET application_name = 'billing';
         CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT) WITH (soft_delete);
         INSERT INTO u VALUES (1, 'a'), (2, 'b'), (3, 'c')",
    )
    .await
    .unwrap();
    assert_eq!(c.execute("DELETE FROM u WHERE id >= $1", &[&2i64]).await.unwrap(), 2);
    assert_eq!(c.execute("UNDELETE FROM u WHERE id = $1", &[&2i64]).await.unwrap(), 1);
    assert_eq!(c.execute("PURGE FROM u", &[]).await.unwrap(), 1);
    use tokio_postgres::SimpleQueryMessage::CommandComplete;
    let messages =
        c.simple_query("DELETE FROM u WHERE id = 2; UNDELETE FROM u; PURGE FROM u WHERE id = 0").await.unwrap();
    let counts: Vec<u64> =
        messages.iter().filter_map(|m| if let CommandComplete(n) = m { Some(*n) } else { None }).collect();
    assert_eq!(counts, [1, 1, 0]);
    let live: i64 = c.query_one("SELECT count(*) FROM u", &[]).await.unwrap().get(0);
    assert_eq!(live, 2);
    let label: String =
        c.query_one("SELECT label FROM commits() ORDER BY version DESC LIMIT 1", &[]).await.unwrap().get(0);
    assert_eq!(label, "billing");
    server.stop().await;
}
