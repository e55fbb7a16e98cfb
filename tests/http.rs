//! The HTTP API over the wire: reqwest, a real HTTP client, against `serve_http`
//! started in this process on a free loopback port. Every route, status code and
//! error shape the API promises.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use amberdb::server::http::{keys, serve_http, HttpOptions, Keys, Rate};
use amberdb::Database;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    db: Database,
    http: Client,
}

impl Server {
    async fn start() -> Server {
        Server::start_with(Database::open_in_memory(), HttpOptions { log: false, ..Default::default() }).await
    }

    async fn start_with(db: Database, options: HttpOptions) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let done = tokio::spawn(serve_http(db.clone(), listener, options, None, async {
            rx.await.ok();
        }));
        Server { base: format!("http://{addr}"), stop: Some(tx), done, db, http: Client::new() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs JSON and returns the status and the JSON answer.
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self.http.post(self.url(path)).json(&body).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn sql(&self, sql: &str, params: Value) -> (StatusCode, Value) {
        self.post("/v1/query", json!({ "sql": sql, "params": params })).await
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).ok();
        self.done.await.unwrap().unwrap();
    }
}

/// The `error` object of an answer, checked to have a code and a message.
fn error(body: &Value) -> &Value {
    let e = &body["error"];
    assert!(e["code"].is_string() && e["message"].is_string(), "not an error: {body}");
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_answers_typed_json() {
    let s = Server::start().await;
    let (st, b) = s
        .sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, doc JSON, at TIMESTAMP, ok BOOLEAN)", json!([]))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["command"], "CREATE TABLE");
    let (st, b) = s
        .sql(
            "INSERT INTO t (name, doc, at, ok) VALUES (?, ?, '2026-01-02 03:04:05', ?), ('bob', NULL, NULL, NULL)",
            json!(["ada", {"tags": ["x", 1]}, true]),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["rows_affected"], 2);
    let written = b["version"].as_u64().unwrap();
    assert!(b["elapsed_ms"].as_f64().is_some());
    let (st, b) =
        s.sql("SELECT id, name, doc, at, ok, 9007199254740993 AS big, 0.5 AS half FROM t ORDER BY id", json!([])).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let types: Vec<&str> = b["columns"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["integer", "text", "json", "timestamp", "boolean", "integer", "real"]);
    assert_eq!(
        b["rows"][0],
        json!([1, "ada", {"tags": ["x", 1]}, "2026-01-02 03:04:05", true, "9007199254740993", 0.5])
    );
    assert_eq!(b["rows"][1], json!([2, "bob", null, null, null, "9007199254740993", 0.5]));
    assert_eq!(b["version"].as_u64(), Some(written));
    // RETURNING answers rows and counts them as affected.
    let (_, b) = s.sql("UPDATE t SET name = upper(name) RETURNING id, name", json!([])).await;
    assert_eq!((b["rows_affected"].clone(), b["rows"].clone()), (json!(2), json!([[1, "ADA"], [2, "BOB"]])));
    // The past, by version: only reads.
    let (st, b) = s.post(&format!("/v1/query?as_of={written}"), json!({"sql": "SELECT name FROM t ORDER BY id"})).await;
    assert_eq!((st, b["rows"].clone()), (StatusCode::OK, json!([["ada"], ["bob"]])));
    let (st, b) = s.post(&format!("/v1/query?as_of={written}"), json!({"sql": "DELETE FROM t"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    let (st, b) = s.post("/v1/query?as_of=999999", json!({"sql": "SELECT 1"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_json_with_its_status() {
    let s = Server::start_with(
        Database::open_in_memory(),
        HttpOptions {
            log: false,
            body_limit: 1000,
            statement_timeout: Duration::from_millis(200),
            ..Default::default()
        },
    )
    .await;
    s.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)", json!([])).await;
    s.sql("INSERT INTO t VALUES (1, 1)", json!([])).await;
    let cases: Vec<(&str, StatusCode, &str)> = vec![
        ("SELEC 1", StatusCode::BAD_REQUEST, "42601"),
        ("SELECT * FROM nowhere", StatusCode::BAD_REQUEST, "42P01"),
        ("SELECT nope FROM t", StatusCode::BAD_REQUEST, "42703"),
        ("INSERT INTO t VALUES (1, 2)", StatusCode::CONFLICT, "23505"),
        ("INSERT INTO t VALUES (2, NULL)", StatusCode::CONFLICT, "23502"),
        (
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c",
            StatusCode::REQUEST_TIMEOUT,
            "57014",
        ),
    ];
    for (sql, status, code) in cases {
        let (st, b) = s.sql(sql, json!([])).await;
        assert_eq!(st, status, "{sql}: {b}");
        assert_eq!(error(&b)["code"], code, "{sql}");
    }
    // A syntax error's position, in characters from 1.
    // (`WHER` is taken as the table's alias, so `id` is where it goes wrong.)
    let (_, b) = s.sql("SELECT 1 FROM t WHER id = 1", json!([])).await;
    assert_eq!(error(&b)["position"], 22, "{b}");
    // Not JSON, a missing field, an unknown field.
    let r = s.http.post(s.url("/v1/query")).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    error(&r.json().await.unwrap());
    let (st, b) = s.post("/v1/query", json!({"params": []})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(error(&b)["message"].as_str().unwrap().contains("missing field `sql`"), "{b}");
    let (st, b) = s.post("/v1/query", json!({"sql": "SELECT 1", "parms": []})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(error(&b)["message"].as_str().unwrap().contains("parms"), "{b}");
    // Too big a body.
    let (st, b) = s.post("/v1/query", json!({"sql": format!("SELECT '{}'", "x".repeat(2000))})).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    error(&b);
    // No such route, a method the route does not take.
    let (st, b) = s.get("/v2/nothing").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    error(&b);
    let (st, b) = s.get("/v1/query").await;
    assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED);
    error(&b);
    // Nothing the failures tried was kept.
    let (_, b) = s.sql("SELECT count(*) FROM t", json!([])).await;
    assert_eq!(b["rows"], json!([[1]]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_all_or_nothing() {
    let s = Server::start().await;
    s.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)", json!([])).await;
    let (st, b) = s
        .post(
            "/v1/batch",
            json!({"statements": [
                "INSERT INTO t VALUES (1, 10)",
                {"sql": "INSERT INTO t VALUES (?, ?)", "params": [2, 20]},
                "SELECT sum(n) FROM t"
            ]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["results"][2]["rows"], json!([[30]]));
    assert!(b["version"].as_u64().is_some());
    // The third statement fails in its second row: nothing of the batch stays.
    let (st, b) = s
        .post(
            "/v1/batch",
            json!({"statements": ["INSERT INTO t VALUES (3, 30)", "UPDATE t SET n = 0", "INSERT INTO t VALUES (4, 40), (1, 0)"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    let e = error(&b);
    assert_eq!((e["statement"].clone(), e["row"].clone(), e["code"].clone()), (json!(2), json!(2), json!("23505")));
    let (_, b) = s.sql("SELECT id, n FROM t ORDER BY id", json!([])).await;
    assert_eq!(b["rows"], json!([[1, 10], [2, 20]]));
    // A batch may not end its own transaction.
    let (st, b) = s.post("/v1/batch", json!({"statements": ["INSERT INTO t VALUES (5, 5)", "COMMIT"]})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(error(&b)["statement"], 1);
    let (_, b) = s.sql("SELECT count(*) FROM t", json!([])).await;
    assert_eq!(b["rows"], json!([[2]]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_results_stream_as_ndjson() {
    let s = Server::start().await;
    s.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, doc JSON)", json!([])).await;
    s.sql("INSERT INTO t SELECT value, json_object('n', value) FROM generate_series(1, 50000)", json!([])).await;
    let r = s
        .http
        .post(s.url("/v1/query"))
        .header("accept", "application/x-ndjson")
        .json(&json!({"sql": "SELECT id, doc FROM t WHERE id > ?", "params": [10]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["columns"][1], json!({"name": "doc", "type": "json"}));
    assert_eq!(lines.len(), 1 + 49990);
    assert_eq!(lines[1], json!([11, {"n": 11}]));
    assert_eq!(lines[49990], json!([50000, {"n": 50000}]));
    // A write asked for as NDJSON is answered as usual.
    let r = s
        .http
        .post(s.url("/v1/query"))
        .header("accept", "application/x-ndjson")
        .json(&json!({"sql": "DELETE FROM t WHERE id > 10"}))
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["rows_affected"], 49990);
    s.stop().await;
}

/// A server with three keys (read, write, and admin with a generous limit of its
/// own), returned with the keys.
async fn keyed(rate: Option<Rate>, lines: &str) -> (Server, [String; 3], tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys");
    std::fs::write(&path, lines).unwrap();
    let reader = keys::add_key(&path, "reader", "read").unwrap();
    let writer = keys::add_key(&path, "writer", "write").unwrap();
    let admin = keys::add_key(&path, "boss", "admin").unwrap();
    // The admin's own limit overrides the default one.
    let text = std::fs::read_to_string(&path).unwrap();
    let text: Vec<String> = text
        .lines()
        .map(|l| if l.starts_with("boss ") { format!("{l} rate=1000/s burst=1000") } else { l.to_string() })
        .collect();
    std::fs::write(&path, text.join("\n")).unwrap();
    let options =
        HttpOptions { keys: Some(Arc::new(Keys::load(&path).unwrap())), rate, log: false, ..Default::default() };
    (Server::start_with(Database::open_in_memory(), options).await, [reader, writer, admin], dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_decide_who_may_read_and_write() {
    let (s, [reader, writer, admin], _dir) = keyed(None, "").await;
    let q = |key: Option<&str>, sql: &str| {
        let mut r = s.http.post(s.url("/v1/query")).json(&json!({ "sql": sql }));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        r
    };
    // No key, a wrong key: 401 with the challenge.
    let r = q(None, "SELECT 1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    error(&r.json().await.unwrap());
    let r = q(Some("amb_wrong"), "SELECT 1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The health routes and the OpenAPI document need no key.
    assert_eq!(s.get("/health").await.0, StatusCode::OK);
    assert_eq!(s.get("/ready").await.0, StatusCode::OK);
    assert_eq!(s.get("/v1/openapi.json").await.0, StatusCode::OK);
    assert_eq!(s.get("/metrics").await.0, StatusCode::UNAUTHORIZED);
    // The writer makes a table; the reader reads it and cannot write, by any spelling.
    assert_eq!(q(Some(&writer), "CREATE TABLE t (a INTEGER)").send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(q(Some(&writer), "INSERT INTO t VALUES (1)").send().await.unwrap().status(), StatusCode::OK);
    let r = s.http.post(s.url("/v1/query")).header("x-api-key", &reader).json(&json!({"sql": "SELECT a FROM t"}));
    let b: Value = r.send().await.unwrap().json().await.unwrap();
    assert_eq!(b["rows"], json!([[1]]));
    for sql in ["INSERT INTO t VALUES (2)", "with x as (select 5) insert into t select * from x", "DROP TABLE t"] {
        let r = q(Some(&reader), sql).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{sql}");
        assert_eq!(error(&r.json().await.unwrap())["code"], "25006");
    }
    let r = s
        .http
        .post(s.url("/v1/collections/docs/documents"))
        .bearer_auth(&reader)
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Only an admin touches the server's files.
    let target = tempfile::tempdir().unwrap();
    let backup = format!("BACKUP TO '{}'", target.path().join("b").display());
    assert_eq!(q(Some(&writer), &backup).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let r = q(Some(&admin), &backup).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(s.db.session().query("SELECT count(*) FROM t", &[]).unwrap().rows[0][0], amberdb::Value::Integer(1));
    let r = s.http.get(s.url("/metrics")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_waits_and_others_do_not() {
    let (s, [reader, writer, _], _dir) = keyed(Some(Rate { per_second: 1.0, burst: 3.0 }), "").await;
    let get = |key: &str| s.http.post(s.url("/v1/query")).bearer_auth(key).json(&json!({"sql": "SELECT 1"})).send();
    for _ in 0..3 {
        assert_eq!(get(&reader).await.unwrap().status(), StatusCode::OK);
    }
    let r = get(&reader).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(error(&r.json().await.unwrap())["code"], "rate_limited");
    assert_eq!(get(&writer).await.unwrap().status(), StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_made_found_paged_and_changed() {
    let s = Server::start().await;
    let (st, one) = s.post("/v1/collections/people/documents", json!({"name": "ada", "age": 36})).await;
    assert_eq!(st, StatusCode::CREATED, "{one}");
    let id = one["id"].as_str().unwrap().to_string();
    let people: Vec<Value> = (0..25).map(|i| json!({"name": format!("p{i:02}"), "age": i % 7})).collect();
    let (st, many) = s.post("/v1/collections/people/documents", Value::Array(people)).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(many["documents"].as_array().unwrap().len(), 25);
    let (_, list) = s.get("/v1/collections").await;
    assert_eq!(list["collections"], json!([{"name": "people", "documents": 26, "indexes": 0}]));
    // Not objects: 400 naming the document; nothing kept.
    let (st, b) = s.post("/v1/collections/people/documents", json!([{"ok": 1}, 5])).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(error(&b)["document"], 1);
    // Filters and sorting.
    let (_, b) = s.get("/v1/collections/people/documents?filter=age:gte:5&filter=name:like:p1%25&sort=-age").await;
    let names: Vec<&str> =
        b["documents"].as_array().unwrap().iter().map(|d| d["doc"]["name"].as_str().unwrap()).collect();
    // Ties go by id, in the same direction: p19 came after p12.
    assert_eq!(names, ["p13", "p19", "p12"]);
    // Every page by age, in order, with no document twice and none left out.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1/collections/people/documents?sort=age&limit=4".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (st, page) = s.get(&path).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        for d in page["documents"].as_array().unwrap() {
            seen.push((d["doc"]["age"].as_i64().unwrap(), d["id"].as_str().unwrap().to_string()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 26);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    // Bad parameters name themselves.
    for bad in ["filter=age:over:3", "sort=a%20b", "limit=0", "cursor=zzz", "page=2"] {
        let (st, b) = s.get(&format!("/v1/collections/people/documents?{bad}")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    // Read with its version; a stale version is refused; the right one patches.
    let r = s.http.get(s.url(&format!("/v1/collections/people/documents/{id}"))).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let url = s.url(&format!("/v1/collections/people/documents/{id}"));
    let r = s.http.patch(&url).header("if-match", "\"0000\"").json(&json!({"age": 37})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r =
        s.http.patch(&url).header("if-match", &etag).json(&json!({"age": 37, "city": "london"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["doc"], json!({"name": "ada", "age": 37, "city": "london"}));
    // The old version no longer holds for a replace or a delete.
    let r = s.http.put(&url).header("if-match", &etag).json(&json!({"name": "x"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = s.http.delete(&url).header("if-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    // PUT replaces (200) or makes (201); DELETE removes (204), then 404.
    let r = s.http.put(&url).json(&json!({"name": "ada lovelace"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let made = s.url("/v1/collections/people/documents/chosen-id");
    let r = s.http.put(&made).json(&json!({"name": "new"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(s.http.delete(&made).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(s.http.delete(&made).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(s.get("/v1/collections/people/documents/chosen-id").await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.get("/v1/collections/nobody/documents").await.0, StatusCode::NOT_FOUND);
    let r = s.http.patch(s.url("/v1/collections/people/documents/ghost")).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_take_messages_and_deliver_them_as_they_commit() {
    let s = Server::start().await;
    let (st, b) = s
        .post(
            "/v1/streams/account-1/messages",
            json!({"type": "Opened", "data": {"owner": "ada"}, "expected_version": -1}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["position"], 0);
    let (st, b) =
        s.post("/v1/streams/account-1/messages", json!({"type": "Opened", "data": {}, "expected_version": -1})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(error(&b)["message"], "Wrong expected version: -1 (Stream: account-1, Stream Version: 0)");
    let (st, _) = s
        .post("/v1/streams/account-1/messages", json!({"type": "Deposited", "data": {"n": 5}, "metadata": {"by": "x"}}))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, b) = s.post("/v1/streams/account-1/messages", json!({"type": "X", "data": {}, "id": "not-a-uuid"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    let (_, b) = s.get("/v1/streams/account-1/messages?position=1").await;
    let m = &b["messages"][0];
    assert_eq!(
        (m["type"].clone(), m["data"].clone(), m["metadata"].clone()),
        (json!("Deposited"), json!({"n": 5}), json!({"by": "x"}))
    );
    assert_eq!(b["messages"].as_array().unwrap().len(), 1);
    for i in 2..6 {
        s.post(&format!("/v1/streams/account-{i}/messages"), json!({"type": "Opened", "data": {}})).await;
    }
    // Consumer groups split the category's streams between members.
    let (_, a) = s.get("/v1/categories/account/messages?consumer_group_member=0&consumer_group_size=2").await;
    let (_, b) = s.get("/v1/categories/account/messages?consumer_group_member=1&consumer_group_size=2").await;
    let (_, all) = s.get("/v1/categories/account/messages").await;
    let count = |v: &Value| v["messages"].as_array().unwrap().len();
    assert_eq!(count(&a) + count(&b), count(&all));
    assert_eq!(count(&all), 6);
    // A subscriber gets what is there, then each new message as it commits.
    let mut sub = s.http.get(s.url("/v1/streams/account-9/subscribe")).send().await.unwrap();
    assert_eq!(sub.headers()["content-type"], "text/event-stream");
    s.post("/v1/streams/account-9/messages", json!({"type": "Opened", "data": {"k": 1}})).await;
    let mut text = String::new();
    while !text.contains("\"k\":1") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), sub.chunk()).await.expect("an event in time");
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
    }
    assert!(text.contains("event: message"), "{text}");
    assert!(text.contains("id: 0"), "{text}");
    drop(sub);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_routes_answer() {
    let s = Server::start().await;
    assert_eq!(s.get("/health").await.1, json!({"status": "ok"}));
    s.sql("CREATE TABLE t (a INTEGER)", json!([])).await;
    let (st, b) = s.get("/ready").await;
    assert_eq!((st, b["status"].clone(), b["version"].clone()), (StatusCode::OK, json!("ready"), json!(1)));
    let text = s.http.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for metric in [
        "amberdb_http_requests_total{route=\"/v1/query\",method=\"POST\",status=\"200\"} 1",
        "amberdb_http_request_duration_seconds_bucket{route=\"/v1/query\",le=\"+Inf\"} 1",
        "amberdb_commits_total 1",
        "amberdb_conflicts_total 0",
        "amberdb_resident_bytes",
        // The database's own counters, as amber_stats() lists them, and its memory.
        "amberdb_stat_statements_ddl_total 1",
        "amberdb_stat_plan_cache_misses_total",
        "amberdb_memory_bytes ",
    ] {
        assert!(text.contains(metric), "{metric} missing from\n{text}");
    }
    // The OpenAPI document names every route the router has.
    let (_, doc) = s.get("/v1/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/health",
        "/ready",
        "/metrics",
        "/v1/openapi.json",
        "/v1/query",
        "/v1/batch",
        "/v1/collections",
        "/v1/collections/{name}/documents",
        "/v1/collections/{name}/documents/{id}",
        "/v1/streams/{stream}/messages",
        "/v1/streams/{stream}/subscribe",
        "/v1/categories/{category}/messages",
        "/v1/categories/{category}/subscribe",
    ] {
        assert!(paths.contains_key(route), "{route} is not in the OpenAPI document");
    }
    assert_eq!(paths.len(), 13);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_acknowledged_over_http_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let s = Server::start_with(db, HttpOptions { log: false, ..Default::default() }).await;
    s.post("/v1/collections/notes/documents", json!({"text": "kept"})).await;
    s.post("/v1/streams/log-1/messages", json!({"type": "Noted", "data": {}})).await;
    s.stop().await;
    let db = Database::open(dir.path()).unwrap();
    let mut session = db.session();
    let rows = session.query("SELECT doc ->> '$.text' FROM notes", &[]).unwrap().rows;
    assert_eq!(rows, vec![vec![amberdb::Value::text("kept")]]);
    let rows = session.query("SELECT count(*) FROM get_stream_messages('log-1')", &[]).unwrap().rows;
    assert_eq!(rows, vec![vec![amberdb::Value::Integer(1)]]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Routes of every kind, each with a method and a body.
    fn requests() -> impl Strategy<Value = (usize, String)> {
        (0usize..6, "[a-zA-Z0-9_]{0,40}")
    }

    fn send(s: &Server, route: usize, key: Option<&str>, header: bool) -> reqwest::RequestBuilder {
        let r = match route {
            0 => s.http.post(s.url("/v1/query")).json(&json!({"sql": "SELECT 1"})),
            1 => s.http.post(s.url("/v1/batch")).json(&json!({"statements": ["SELECT 1"]})),
            2 => s.http.get(s.url("/v1/collections")),
            3 => s.http.get(s.url("/v1/streams/a-1/messages")),
            4 => s.http.post(s.url("/v1/collections/c/documents")).json(&json!({"a": 1})),
            _ => s.http.get(s.url("/metrics")),
        };
        match (key, header) {
            (Some(k), true) => r.header("x-api-key", k),
            (Some(k), false) => r.bearer_auth(k),
            (None, _) => r,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Any request without a valid key is 401, whatever the route, the key's
        /// spelling or the header it comes in.
        #[test]
        fn no_valid_key_no_answer(list in proptest::collection::vec((requests(), any::<bool>(), any::<bool>()), 1..8)) {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async {
                let (s, _keys, _dir) = keyed(None, "").await;
                for ((route, junk), header, present) in list {
                    let key = present.then(|| format!("amb_{junk}"));
                    let r = send(&s, route, key.as_deref(), header).send().await.unwrap();
                    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
                    error(&r.json().await.unwrap());
                }
                s.stop().await;
            });
        }

        /// A key over its burst gets 429 with Retry-After, and a key under its own
        /// limit is served all the while.
        #[test]
        fn one_key_over_its_rate_leaves_others_alone(burst in 1u32..6, extra in 1u32..4, routes in proptest::collection::vec(0usize..4, 12)) {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async {
                let rate = Rate { per_second: 0.01, burst: f64::from(burst) };
                let (s, [reader, _, admin], _dir) = keyed(Some(rate), "").await;
                let writer = admin;
                let mut i = 0;
                let mut next = || { i += 1; routes[i % routes.len()] };
                for _ in 0..burst {
                    let r = send(&s, next(), Some(&reader), false).send().await.unwrap();
                    assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
                }
                for _ in 0..extra {
                    let r = send(&s, next(), Some(&reader), true).send().await.unwrap();
                    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
                    assert!(r.headers().contains_key("retry-after"));
                    let w = send(&s, 0, Some(&writer), false).send().await.unwrap();
                    assert_eq!(w.status(), StatusCode::OK);
                }
                s.stop().await;
            });
        }
    }
}

/// The load test program runs, and every write it was told about is there after.
#[test]
fn the_load_test_verifies_what_it_was_told() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loadtest"))
        .args(["--clients", "16", "--seconds", "2", "--preload", "200"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("verified:") && stdout.contains("no phantom documents"), "{stdout}");
    assert!(stdout.contains("errors 0 "), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_unless_an_origin_is_named() {
    let s = Server::start().await;
    let r = s.http.get(s.url("/health")).header("origin", "https://app.example").send().await.unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    s.stop().await;
    let options = HttpOptions { cors: Some("https://app.example".into()), log: false, ..Default::default() };
    let s = Server::start_with(Database::open_in_memory(), options).await;
    let r = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/v1/query"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example");
    // Another origin is not allowed (the header names only the configured one).
    let r = s.http.get(s.url("/health")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none_or(|v| v != "https://evil.example"));
    s.stop().await;
}
