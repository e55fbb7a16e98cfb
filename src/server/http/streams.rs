//! Message streams over HTTP: write a message (with Message DB's expected version),
//! read a stream or a category from a position (with consumer groups), and subscribe
//! to new messages as Server-Sent Events.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures::StreamExt;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use serde_json::{json, Map, Value as Doc};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::values;
use super::{App, Body, Caller};
use crate::{ResultSet, Session, Value};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/streams/{stream}/messages", post(write).get(read_stream))
        .route("/v1/streams/{stream}/subscribe", get(subscribe_stream))
        .route("/v1/categories/{category}/messages", get(read_category))
        .route("/v1/categories/{category}/subscribe", get(subscribe_category))
}

/// A message to write.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The message's type, such as `Deposited`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The message's body (a JSON object).
    #[schema(value_type = Object)]
    pub data: Doc,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Doc>,
    /// A UUID; made when left out.
    pub id: Option<String>,
    /// The stream's version (its last message's position, -1 for a new stream)
    /// the writer expects; a different one is refused with 409.
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamRead {
    /// The first position to read (0 by default).
    pub position: Option<i64>,
    /// How many messages at most (1000 by default).
    pub batch_size: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryRead {
    /// The first global position to read (1 by default).
    pub position: Option<i64>,
    pub batch_size: Option<i64>,
    /// Only messages whose metadata's correlation stream is of this category.
    pub correlation: Option<String>,
    /// This consumer's number in its group (0-based) …
    pub consumer_group_member: Option<i64>,
    /// … and the group's size: each stream goes to one member.
    pub consumer_group_size: Option<i64>,
}

/// A random (version 4) UUID.
fn new_uuid() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "no random bytes"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

/// Writes a message to a stream.
#[utoipa::path(post, path = "/v1/streams/{stream}/messages", tag = "streams",
    params(("stream" = String, Path, description = "The stream, such as account-123")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "`{id, stream_name, position, version}`"),
        (status = 400, description = "A bad message (not JSON, id not a UUID)"),
        (status = 409, description = "Wrong expected version (Message DB's text), or the id is taken")),
    security(("bearer" = [])))]
pub(crate) async fn write(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(stream): Path<String>,
    Body(m): Body<NewMessage>,
) -> Result<Response, ApiError> {
    let id = match m.id {
        Some(id) => id,
        None => new_uuid()?,
    };
    let written = app
        .run_quick(&caller, true, move |session| {
            const SQL: &str = "SELECT write_message(?, ?, ?, ?, ?, ?)";
            let params = [
                Value::text(&id),
                Value::text(&stream),
                Value::text(&m.kind),
                Value::text(&m.data.to_string()),
                m.metadata.as_ref().map_or(Value::Null, |d| Value::text(&d.to_string())),
                m.expected_version.map_or(Value::Null, Value::Integer),
            ];
            let rs = session.query(SQL, &params).map_err(|e| {
                let mut err = ApiError::from_db(&e, SQL);
                if err.message.contains("already exists") {
                    err.status = StatusCode::CONFLICT;
                }
                err
            })?;
            let position = rs.rows.first().map_or(Doc::Null, |r| values::to_json(&r[0], false));
            let version = session.last_commit_version();
            Ok(json!({ "id": id, "stream_name": stream, "position": position, "version": version }))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(written)).into_response())
}

/// Messages as JSON objects; `data` and `metadata` as JSON.
fn messages(rs: &ResultSet) -> Vec<Doc> {
    rs.rows
        .iter()
        .map(|row| {
            let mut m = Map::new();
            for (name, v) in rs.columns.iter().zip(row) {
                let json = name == "data" || name == "metadata";
                m.insert(name.clone(), values::to_json(v, json));
            }
            Doc::Object(m)
        })
        .collect()
}

fn read_stream_rows(session: &mut Session, stream: &str, q: &StreamRead) -> Result<ResultSet, ApiError> {
    const SQL: &str = "SELECT * FROM get_stream_messages(?, ?, ?)";
    let params =
        [Value::text(stream), Value::Integer(q.position.unwrap_or(0)), Value::Integer(q.batch_size.unwrap_or(1000))];
    session.query(SQL, &params).map_err(|e| ApiError::from_db(&e, SQL))
}

fn read_category_rows(session: &mut Session, category: &str, q: &CategoryRead) -> Result<ResultSet, ApiError> {
    const SQL: &str = "SELECT * FROM get_category_messages(?, ?, ?, ?, ?, ?)";
    let params = [
        Value::text(category),
        Value::Integer(q.position.unwrap_or(1)),
        Value::Integer(q.batch_size.unwrap_or(1000)),
        q.correlation.as_deref().map_or(Value::Null, Value::text),
        q.consumer_group_member.map_or(Value::Null, Value::Integer),
        q.consumer_group_size.map_or(Value::Null, Value::Integer),
    ];
    session.query(SQL, &params).map_err(|e| ApiError::from_db(&e, SQL))
}

/// Reads a stream from a position.
#[utoipa::path(get, path = "/v1/streams/{stream}/messages", tag = "streams",
    params(("stream" = String, Path, description = "The stream"), StreamRead),
    responses((status = 200, description = "`{messages: [{id, stream_name, type, position, global_position, data, metadata, time}]}`")),
    security(("bearer" = [])))]
pub(crate) async fn read_stream(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(stream): Path<String>,
    Query(q): Query<StreamRead>,
) -> Result<Response, ApiError> {
    let rs = app.run(&caller, move |session| read_stream_rows(session, &stream, &q)).await?;
    app.metrics.rows_returned.fetch_add(rs.rows.len() as u64, Ordering::Relaxed);
    Ok(Json(json!({ "messages": messages(&rs) })).into_response())
}

/// Reads a category (every stream named `category-…`) from a global position.
#[utoipa::path(get, path = "/v1/categories/{category}/messages", tag = "streams",
    params(("category" = String, Path, description = "The category"), CategoryRead),
    responses((status = 200, description = "`{messages: [...]}` in global order")),
    security(("bearer" = [])))]
pub(crate) async fn read_category(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(category): Path<String>,
    Query(q): Query<CategoryRead>,
) -> Result<Response, ApiError> {
    let rs = app.run(&caller, move |session| read_category_rows(session, &category, &q)).await?;
    app.metrics.rows_returned.fetch_add(rs.rows.len() as u64, Ordering::Relaxed);
    Ok(Json(json!({ "messages": messages(&rs) })).into_response())
}

/// What a subscription reads each time the database moves on.
enum Source {
    Stream(String, StreamRead),
    Category(String, CategoryRead),
}

/// Server-Sent Events: every message from the position on, then each new one as it
/// commits (`event: message`, `id:` its position); a comment every 15 s keeps the
/// connection open.
fn subscription(app: Arc<App>, caller: Caller, mut source: Source) -> Response {
    let stream = async_stream(app, caller, move |session| {
        let (rs, global) = match &source {
            Source::Stream(s, q) => (read_stream_rows(session, s, q)?, false),
            Source::Category(c, q) => (read_category_rows(session, c, q)?, true),
        };
        let column = if global { "global_position" } else { "position" };
        let at = rs.column(column);
        if let Some(Value::Integer(last)) = rs.rows.last().and_then(|r| at.map(|i| r[i].clone())) {
            match &mut source {
                Source::Stream(_, q) => q.position = Some(last + 1),
                Source::Category(_, q) => q.position = Some(last + 1),
            }
        }
        Ok(messages(&rs)
            .into_iter()
            .map(|m| {
                let id = m[column].to_string();
                Event::default().event("message").id(id).data(m.to_string())
            })
            .collect())
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

/// The events of a subscription: `poll` reads what is new, after each commit, until
/// the client goes away or the server stops.
fn async_stream(
    app: Arc<App>,
    caller: Caller,
    poll: impl FnMut(&mut Session) -> Result<Vec<Event>, ApiError> + Send + 'static,
) -> impl futures::Stream<Item = Result<Event, Infallible>> {
    let poll = Arc::new(std::sync::Mutex::new(poll));
    let versions = app.versions.clone();
    let start = (app, caller, poll, versions, Some(true));
    futures::stream::unfold(start, |(app, caller, poll, mut versions, first)| async move {
        // `None`: the last poll failed and its error event went out; the stream ends.
        let first = first?;
        if !first {
            // Wait for a commit; wake now and then to notice a server shutting down.
            loop {
                if app.draining.load(Ordering::Relaxed) {
                    return None;
                }
                match tokio::time::timeout(Duration::from_millis(500), versions.changed()).await {
                    Ok(Ok(())) => break,
                    Ok(Err(_)) => return None,
                    Err(_) => continue,
                }
            }
        }
        versions.borrow_and_update();
        let p = poll.clone();
        let polled = app
            .run(&caller, move |session| {
                let mut f = p.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                f(session)
            })
            .await;
        let (events, next) = match polled {
            Ok(events) => (events, Some(false)),
            Err(e) => (vec![Event::default().event("error").data(e.body().to_string())], None),
        };
        Some((futures::stream::iter(events.into_iter().map(Ok)), (app, caller, poll, versions, next)))
    })
    .flatten()
}

/// Subscribes to a stream.
#[utoipa::path(get, path = "/v1/streams/{stream}/subscribe", tag = "streams",
    params(("stream" = String, Path, description = "The stream"), StreamRead),
    responses((status = 200, description = "Server-Sent Events, one `message` event per message", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub(crate) async fn subscribe_stream(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(stream): Path<String>,
    Query(q): Query<StreamRead>,
) -> Response {
    subscription(app, caller, Source::Stream(stream, q))
}

/// Subscribes to a category (with consumer groups).
#[utoipa::path(get, path = "/v1/categories/{category}/subscribe", tag = "streams",
    params(("category" = String, Path, description = "The category"), CategoryRead),
    responses((status = 200, description = "Server-Sent Events, one `message` event per message", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub(crate) async fn subscribe_category(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(category): Path<String>,
    Query(q): Query<CategoryRead>,
) -> Response {
    subscription(app, caller, Source::Category(category, q))
}
