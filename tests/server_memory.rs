//! A million-row result read through a portal in parts (Execute with a row limit)
//! streams: the server makes rows as the client takes them, so what it holds at any
//! time is a few batches, not the whole result. Measured with a counting allocator in
//! this process, which is both the server and the client.

use amberdb::server::{serve, ServeOptions};
use amberdb::Database;
use cap::Cap;
use tokio::net::TcpListener;
use tokio_postgres::NoTls;

#[global_allocator]
static ALLOCATED: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

const ROWS: i64 = 1_000_000;
const MIB: usize = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_rows_stream_through_a_portal_in_bounded_memory() {
    let db = Database::open_in_memory();
    let mut session = db.session();
    session.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, label TEXT NOT NULL)", &[]).unwrap();
    let fill = format!("INSERT INTO big SELECT value, printf('%060d', value) FROM generate_series(1, {ROWS})");
    session.execute(&fill, &[]).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(serve(db.clone(), listener, ServeOptions { log: false, ..Default::default() }, async {
        stopped.await.ok();
    }));
    let config = format!("host=127.0.0.1 port={port} user=tester dbname=amber");
    let (mut client, connection) = tokio_postgres::connect(&config, NoTls).await.unwrap();
    tokio::spawn(async move {
        connection.await.ok();
    });

    let before = ALLOCATED.allocated();
    let mut peak = before;
    let tx = client.transaction().await.unwrap();
    let portal = tx.bind("SELECT id, label FROM big", &[]).await.unwrap();
    let (mut count, mut sum) = (0i64, 0i64);
    loop {
        let rows = tx.query_portal(&portal, 10_000).await.unwrap();
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id: i64 = row.get(0);
            let label: &str = row.get(1);
            assert_eq!(label.len(), 60);
            sum += id;
        }
        count += rows.len() as i64;
        peak = peak.max(ALLOCATED.allocated());
    }
    tx.commit().await.unwrap();
    assert_eq!(count, ROWS);
    assert_eq!(sum, ROWS * (ROWS + 1) / 2);
    // Held whole, the result would take well over 100 MiB (a million rows of an
    // integer and 60 bytes of text); streamed, a few batches of 10,000.
    let grew = peak.saturating_sub(before);
    assert!(grew < 40 * MIB, "the server held {} MiB while streaming", grew / MIB);

    stop.send(()).ok();
    served.await.unwrap().unwrap();
}
