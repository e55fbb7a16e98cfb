//! `amberdb serve --http ADDR`: the database over HTTP and JSON, on the same runtime
//! and the same `Database` as the Postgres listener.
//!
//! - this file — the router, the guard every request passes (API key, address, rate
//!   limit), metrics, and running a request's statements on a session of its own
//! - `sql` — `/v1/query` and `/v1/batch`, NDJSON for big results
//! - `documents` — the collections' REST routes
//! - `streams` — messages in, messages out, Server-Sent Events for new ones
//! - `keys` — API keys and token-bucket rate limits
//! - `values` — values as JSON and back
//! - `error` — every error as JSON with its status
//! - `metrics` — Prometheus's text format
//! - `openapi` — the OpenAPI document of the routes

mod documents;
mod error;
pub mod keys;
mod metrics;
mod openapi;
mod sql;
mod streams;
mod values;

pub use keys::{Keys, Rate};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::{Access, Database, Session};
use error::ApiError;
use keys::{Key, Limiter};
use metrics::Metrics;

/// How the HTTP listener runs.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// API keys; without them only clients on this machine are answered.
    pub keys: Option<Arc<Keys>>,
    /// The rate each key (or, without keys, each client address) may send at.
    pub rate: Option<Rate>,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// How long one request's statements may run before they are stopped (408).
    pub statement_timeout: Duration,
    /// The origin browsers may call from (CORS); none by default.
    pub cors: Option<String>,
    /// Log a line per failed request to stderr.
    pub log: bool,
}

impl Default for HttpOptions {
    fn default() -> HttpOptions {
        HttpOptions {
            keys: None,
            rate: None,
            body_limit: 16 << 20,
            statement_timeout: Duration::from_secs(30),
            cors: None,
            log: true,
        }
    }
}

/// What every request shares.
pub(crate) struct App {
    db: Database,
    options: HttpOptions,
    limiter: Limiter,
    metrics: Metrics,
    /// Set once shutdown begins: `/ready` answers 503.
    draining: AtomicBool,
    /// The newest committed version, for subscribers to wait on.
    versions: watch::Receiver<u64>,
    /// Open Postgres connections, when that listener runs too.
    postgres: Option<Arc<AtomicUsize>>,
}

/// Who is calling: a key's name and role, or a client on this machine.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    access: Access,
    /// Recorded with the caller's commits: the API key's name, else the client's address.
    label: Arc<str>,
}

/// A JSON body: too big is 413, not JSON or a field missing is 400 naming it.
pub(crate) struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is larger than the limit")
            } else {
                ApiError::bad_request(format!("cannot read the request body: {e}"))
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::bad_request(format!("the request body is not what this route takes: {e}")))
    }
}

/// The routes, behind the guard and the metrics.
pub(crate) fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/metrics", get(metrics_text))
        .merge(sql::routes())
        .merge(documents::routes())
        .merge(streams::routes())
        .route_layer(middleware::from_fn_with_state(app.clone(), guard));
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/v1/openapi.json", get(openapi::document))
        .merge(api)
        .fallback(|| async { ApiError::not_found("no such route; GET /v1/openapi.json lists them") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(middleware::from_fn_with_state(app.clone(), measure))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panicked))
        .layer(axum::extract::DefaultBodyLimit::max(app.options.body_limit))
        .with_state(app.clone());
    if let Some(origin) = &app.options.cors {
        if let Ok(origin) = origin.parse::<HeaderValue>() {
            router = router.layer(
                tower_http::cors::CorsLayer::new()
                    .allow_origin(origin)
                    .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
                    .allow_headers([
                        header::AUTHORIZATION,
                        header::CONTENT_TYPE,
                        header::IF_MATCH,
                        header::HeaderName::from_static("x-api-key"),
                    ])
                    .expose_headers([header::ETAG, header::RETRY_AFTER]),
            );
        }
    }
    router
}

/// Counts every answer by route and status, with its latency.
async fn measure(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let method = req.method().to_string();
    let start = Instant::now();
    app.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let response = next.run(req).await;
    app.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    app.metrics.record(&route, &method, response.status().as_u16(), start.elapsed());
    response
}

/// The key a request carries: `Authorization: Bearer KEY` or `X-API-Key: KEY`.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, key) = v.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then_some(key.trim());
    }
    headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Lets a request through with a valid key (or, without keys, from this machine) and
/// a token in its bucket.
async fn guard(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let (who, key): (String, Option<Arc<Key>>) = match &app.options.keys {
        Some(keys) => {
            let found = match presented_key(req.headers()) {
                None => Err("this route needs an API key: Authorization: Bearer KEY or X-API-Key: KEY"),
                Some(k) => keys.find(k).ok_or("the API key is not valid"),
            };
            match found {
                Ok(key) => (key.name.clone(), Some(key)),
                Err(why) => {
                    let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", why).into_response();
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                    return r;
                }
            }
        }
        None if !peer.ip().is_loopback() => {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "no API keys are set up (--keys), so only clients on the server's machine are answered",
            )
            .into_response();
        }
        None => (peer.ip().to_string(), None),
    };
    if let Err(seconds) = app.limiter.take(&who, key.as_deref()) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests for {who}; try again in {seconds} s"),
        );
        e.retry_after = Some(seconds);
        return e.into_response();
    }
    let access = key.map_or(Access::Admin, |k| k.access);
    req.extensions_mut().insert(Caller { access, label: who.into() });
    next.run(req).await
}

impl App {
    /// Runs `f` on a new session with the caller's access, on the blocking pool, and
    /// stops it at the statement time limit or when the client goes away.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        caller: &Caller,
        f: impl FnOnce(&mut Session) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        // Raises the flag when the request is dropped before its statements end (the
        // client went away); disarmed once they have.
        struct StopOnDrop(Arc<AtomicBool>, bool);
        impl Drop for StopOnDrop {
            fn drop(&mut self) {
                if self.1 {
                    self.0.store(true, Ordering::Relaxed);
                }
            }
        }
        let mut session = self.db.session();
        session.set_access(caller.access);
        session.set_label(Some(&caller.label));
        let flag = session.interrupt_flag();
        let mut stop = StopOnDrop(flag.clone(), true);
        let limit = self.options.statement_timeout;
        let timer = tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            flag.store(true, Ordering::Relaxed);
        });
        let joined = tokio::task::spawn_blocking(move || f(&mut session)).await;
        stop.1 = false;
        timer.abort();
        match joined {
            Ok(out) => out,
            Err(_) => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server failed to answer this request",
            )),
        }
    }

    /// Runs `f` as [`App::run`] does, but for an operation whose work is bounded (one
    /// document by id, one message, one page): right here on the worker, which is
    /// twice as fast as handing it to another thread and back. Not when commits wait
    /// for an fsync: a worker waiting there would hold up every other request.
    async fn run_quick<T: Send + 'static>(
        self: &Arc<Self>,
        caller: &Caller,
        write: bool,
        f: impl FnOnce(&mut Session) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        if write && self.db.commits_wait_for_fsync() {
            return self.run(caller, f).await;
        }
        let mut session = self.db.session();
        session.set_access(caller.access);
        session.set_label(Some(&caller.label));
        f(&mut session)
    }

    fn log(&self, what: &str, e: &ApiError) {
        if self.options.log && e.status.is_server_error() {
            eprintln!("amberdb serve: http {what}: {} {}", e.code, e.message);
        }
    }
}

/// `GET /health`: the process answers.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "The server is alive")))]
pub(crate) async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`: recovery is done and the server is not shutting down.
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, description = "Ready for requests"),
    (status = 503, description = "Shutting down")))]
pub(crate) async fn ready(State(app): State<Arc<App>>) -> Response {
    if app.draining.load(Ordering::Relaxed) {
        return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "draining", "the server is shutting down")
            .into_response();
    }
    Json(json!({ "status": "ready", "version": app.db.version() })).into_response()
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Metrics in Prometheus's text format", content_type = "text/plain")),
    security(("bearer" = [])))]
pub(crate) async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    let postgres = app.postgres.as_ref().map(|n| n.load(Ordering::Relaxed));
    let text = app.metrics.render(&app.db, postgres);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Serves HTTP on `listener` until `shutdown` completes, then lets requests in flight
/// finish.
pub async fn serve_http(
    db: Database,
    listener: TcpListener,
    options: HttpOptions,
    postgres: Option<Arc<AtomicUsize>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, versions) = watch::channel(db.version());
    let app = Arc::new(App {
        limiter: Limiter::new(options.rate),
        metrics: Metrics::default(),
        draining: AtomicBool::new(false),
        versions,
        postgres,
        options,
        db: db.clone(),
    });
    // Subscribers wait on the version; one look every few milliseconds serves them all.
    let watcher = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let v = db.version();
            if *tx.borrow() != v && tx.send(v).is_err() {
                break;
            }
        }
    });
    let draining = app.clone();
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown.await;
            draining.draining.store(true, Ordering::Relaxed);
        })
        .await;
    // The watcher holds the database: it is gone before this returns, so that the
    // caller may open the data directory again.
    watcher.abort();
    let _ = watcher.await;
    served
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_handler_that_panics_answers_500_json() {
        let router = Router::new()
            .route("/boom", get(|| async { panic!("a bug") as &'static str }))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panicked));
        let response =
            router.oneshot(axum::http::Request::get("/boom").body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "internal");
    }
}
