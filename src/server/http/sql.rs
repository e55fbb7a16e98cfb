//! `POST /v1/query` (one statement; `?as_of=VERSION` reads the past; NDJSON when the
//! client asks, made as it reads) and `POST /v1/batch` (statements in one
//! transaction, all or nothing).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body as HttpBody;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json_};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::values;
use super::{App, Body, Caller};
use crate::{Outcome, Session, Value};

/// A statement and its parameters.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// One SQL statement; `?`, `?N` or `$N` mark parameters.
    pub sql: String,
    /// The parameters' values, in order: numbers, strings, booleans, null; arrays and
    /// objects are passed as their JSON text.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub params: Vec<Json_>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueryOptions {
    /// Read the database as it was at this committed version (SELECT only).
    pub as_of: Option<u64>,
}

/// A statement in a batch: its text alone, or text and parameters.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum BatchStatement {
    Text(String),
    WithParams(QueryRequest),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The statements, run in order in one transaction.
    pub statements: Vec<BatchStatement>,
}

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/v1/query", post(query)).route("/v1/batch", post(batch))
}

/// A statement's outcome as the API answers it (without `version` and `elapsed_ms`).
fn outcome_json(app: &App, session: &Session, prepared: &crate::Prepared, out: Outcome) -> Map<String, Json_> {
    let mut body = Map::new();
    match out {
        Outcome::Rows(rs) => {
            let declared = session.result_columns(prepared);
            body.insert("columns".into(), values::columns(&rs, declared.as_deref()));
            let changed = if prepared.is_write() { rs.rows.len() } else { 0 };
            app.metrics.rows_returned.fetch_add(rs.rows.len() as u64, Ordering::Relaxed);
            app.metrics.rows_changed.fetch_add(changed as u64, Ordering::Relaxed);
            body.insert("rows".into(), Json_::Array(rs.rows.iter().map(|r| values::row(r, rs.json)).collect()));
            body.insert("rows_affected".into(), json!(changed));
        }
        Outcome::Changed { count, .. } => {
            app.metrics.rows_changed.fetch_add(count as u64, Ordering::Relaxed);
            body.insert("columns".into(), json!([]));
            body.insert("rows".into(), json!([]));
            body.insert("rows_affected".into(), json!(count));
        }
        Outcome::Done(command) => {
            body.insert("columns".into(), json!([]));
            body.insert("rows".into(), json!([]));
            body.insert("rows_affected".into(), json!(0));
            body.insert("command".into(), json!(command));
        }
    }
    body
}

fn params(list: &[Json_]) -> Vec<Value> {
    list.iter().map(values::from_json).collect()
}

/// The version a statement leaves the session at: its commit's, or the one it read.
fn version_after(session: &Session, before: u64) -> u64 {
    session.last_commit_version().unwrap_or(before)
}

fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson") || a.contains("application/jsonl"))
}

/// Runs one SQL statement.
#[utoipa::path(post, path = "/v1/query", tag = "sql", request_body = QueryRequest, params(QueryOptions),
    responses(
        (status = 200, description = "`{columns: [{name, type}], rows, rows_affected, version, elapsed_ms}`; with `Accept: application/x-ndjson`, a line of columns, then a line per row"),
        (status = 400, description = "A bad statement or request"),
        (status = 401, description = "No valid API key"),
        (status = 403, description = "A read-only key tried to write"),
        (status = 404, description = "as_of names a version no longer kept"),
        (status = 408, description = "The statement ran past the time limit"),
        (status = 409, description = "A constraint failed or a conflict"),
        (status = 413, description = "The body is too large"),
        (status = 429, description = "Over the key's rate limit")),
    security(("bearer" = [])))]
pub(crate) async fn query(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(options): Query<QueryOptions>,
    headers: HeaderMap,
    Body(req): Body<QueryRequest>,
) -> Result<Response, ApiError> {
    let start = Instant::now();
    if wants_ndjson(&headers) && options.as_of.is_none() {
        if let Some(response) = ndjson(&app, &caller, &req).await? {
            return Ok(response);
        }
    }
    let app2 = app.clone();
    let answer = app
        .run(&caller, move |session| {
            let params = params(&req.params);
            let before = session.database().version();
            if let Some(version) = options.as_of {
                let rs = session.query_at(version, &req.sql, &params).map_err(|e| ApiError::from_db(&e, &req.sql))?;
                app2.metrics.rows_returned.fetch_add(rs.rows.len() as u64, Ordering::Relaxed);
                let mut body = Map::new();
                body.insert("columns".into(), values::columns(&rs, None));
                body.insert("rows".into(), Json_::Array(rs.rows.iter().map(|r| values::row(r, rs.json)).collect()));
                body.insert("rows_affected".into(), json!(0));
                body.insert("version".into(), json!(version));
                return Ok(body);
            }
            let prepared = session.prepare(&req.sql).map_err(|e| ApiError::from_db(&e, &req.sql))?;
            let out = session.execute_prepared(&prepared, &params).map_err(|e| ApiError::from_db(&e, &req.sql))?;
            let mut body = outcome_json(&app2, session, &prepared, out);
            body.insert("version".into(), json!(version_after(session, before)));
            Ok(body)
        })
        .await;
    let mut body = answer.inspect_err(|e| app.log("query", e))?;
    body.insert("elapsed_ms".into(), json!(start.elapsed().as_secs_f64() * 1000.0));
    Ok(Json(Json_::Object(body)).into_response())
}

/// A read streamed as NDJSON: a first line with the columns, then one line per row,
/// made as the client reads them (a bounded channel between). `None` for a statement
/// that is not a plain read, which is answered as usual.
async fn ndjson(app: &Arc<App>, caller: &Caller, req: &QueryRequest) -> Result<Option<Response>, ApiError> {
    let sql = req.sql.clone();
    let params = params(&req.params);
    let started = app
        .run(caller, move |session| {
            let prepared = session.prepare(&sql).map_err(|e| ApiError::from_db(&e, &sql))?;
            let declared = session.result_columns(&prepared);
            Ok(session.stream_prepared(&prepared, &params).map(|rows| (rows, declared, sql)))
        })
        .await?;
    let Some((rows, declared, sql)) = started else { return Ok(None) };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(64);
    let names = rows.columns();
    let columns: Vec<Json_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let ty = declared.as_ref().and_then(|d| d.get(i)).and_then(|(_, t)| *t);
            json!({ "name": n, "type": values::type_name(ty, false, std::iter::empty()) })
        })
        .collect();
    // Columns declared JSON go out as JSON (a computed one cannot be known before its
    // rows are made, so it goes out as text).
    let json_columns = declared.as_ref().map_or(0u64, |d| {
        d.iter()
            .enumerate()
            .filter(|(i, (_, t))| *i < 64 && *t == Some(crate::DataType::Json))
            .fold(0, |m, (i, _)| m | 1 << i)
    });
    let first = json!({ "columns": columns }).to_string() + "\n";
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        if tx.blocking_send(Ok(first)).is_err() {
            return;
        }
        let mut count = 0u64;
        let done = rows.run(&mut |row| {
            count += 1;
            tx.blocking_send(Ok(values::row(&row, json_columns).to_string() + "\n")).is_ok()
        });
        app.metrics.rows_returned.fetch_add(count, Ordering::Relaxed);
        // An error after rows went out ends the stream with an error line.
        if let Err(e) = done {
            let line = ApiError::from_db(&e, &sql).body().to_string() + "\n";
            tx.blocking_send(Ok(line)).ok();
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let response = (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-ndjson")], HttpBody::from_stream(stream))
        .into_response();
    Ok(Some(response))
}

/// Runs statements in one transaction: all of them or none.
#[utoipa::path(post, path = "/v1/batch", tag = "sql", request_body = BatchRequest,
    responses(
        (status = 200, description = "`{results: [...], version, elapsed_ms}`, one result per statement"),
        (status = 400, description = "A bad statement (`error.statement` is its index); nothing was changed"),
        (status = 409, description = "A constraint failed or a conflict; nothing was changed")),
    security(("bearer" = [])))]
pub(crate) async fn batch(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<BatchRequest>,
) -> Result<Response, ApiError> {
    let start = Instant::now();
    let app2 = app.clone();
    let answer = app
        .run(&caller, move |session| {
            let before = session.database().version();
            session.execute("BEGIN", &[])?;
            let mut results = Vec::with_capacity(req.statements.len());
            for (i, statement) in req.statements.iter().enumerate() {
                let (sql, list) = match statement {
                    BatchStatement::Text(sql) => (sql.as_str(), &[][..]),
                    BatchStatement::WithParams(q) => (q.sql.as_str(), &q.params[..]),
                };
                let ran = session.prepare(sql).and_then(|prepared| {
                    if prepared.controls_transaction() {
                        return Err(crate::Error::invalid(
                            "a batch is one transaction: it may not begin, end or mark one itself",
                        ));
                    }
                    let out = session.execute_prepared(&prepared, &params(list))?;
                    Ok(outcome_json(&app2, session, &prepared, out))
                });
                match ran {
                    Ok(body) => results.push(Json_::Object(body)),
                    Err(e) => {
                        if session.in_transaction() {
                            session.execute("ROLLBACK", &[]).ok();
                        }
                        return Err(ApiError::from_db(&e, sql).with("statement", i as u64));
                    }
                }
            }
            session.execute("COMMIT", &[])?;
            Ok(json!({ "results": results, "version": version_after(session, before) }))
        })
        .await;
    let mut body = answer.inspect_err(|e| app.log("batch", e))?;
    body["elapsed_ms"] = json!(start.elapsed().as_secs_f64() * 1000.0);
    Ok(Json(body).into_response())
}
