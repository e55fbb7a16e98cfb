//! The collections' REST routes: documents in, out by id, filtered and sorted a page
//! at a time (keyset pagination), replaced, merged (RFC 7396) and deleted, with
//! `If-Match` on a document's version for optimistic concurrency.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use base64::Engine;
use ring::digest;
use serde_json::{json, Value as Doc};

use super::error::ApiError;
use super::values;
use super::{App, Body, Caller};
use crate::{quote_ident, ErrorKind, Session, Value};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/collections", get(list))
        .route("/v1/collections/{name}/documents", get(find).post(insert))
        .route("/v1/collections/{name}/documents/{id}", get(read).put(replace).patch(merge).delete(remove))
}

const COLUMNS: &str = "id, doc, created_at, updated_at";
const MAX_LIMIT: usize = 1000;

/// A document as the API shows it: its id, body, times, and version (the ETag).
fn document(row: &[Value]) -> Doc {
    let body = match &row[1] {
        Value::Text(t) => serde_json::from_str(t.as_str()).unwrap_or(Doc::Null),
        other => values::to_json(other, false),
    };
    json!({
        "id": values::to_json(&row[0], false),
        "doc": body,
        "created_at": values::to_json(&row[2], false),
        "updated_at": values::to_json(&row[3], false),
        "version": version(row),
    })
}

/// A document's version: a digest of its body and the time it last changed.
fn version(row: &[Value]) -> String {
    let mut text = format!("{:?}", row[1]);
    text.push_str(&format!("{:?}", row[3]));
    let d = digest::digest(&digest::SHA256, text.as_bytes());
    d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn with_etag(status: StatusCode, doc: Doc) -> Response {
    let tag = doc["version"].as_str().map(|v| format!("\"{v}\"")).unwrap_or_default();
    let mut response = (status, Json(doc)).into_response();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// The version `If-Match` asks for (`*` asks only that the document exists).
fn if_match(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::IF_MATCH)?.to_str().ok()?.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    Some(v.trim_matches('"').to_string())
}

/// Whether `name` is a collection, from the session's view of the schema.
fn check_collection(session: &Session, name: &str) -> Result<(), ApiError> {
    let listing = session.collection_listing();
    if listing.rows.iter().any(|r| matches!(&r[0], Value::Text(t) if t.as_str() == name)) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no such collection: {name}")))
    }
}

fn db_error(sql: &str) -> impl Fn(crate::Error) -> ApiError + '_ {
    move |e| ApiError::from_db(&e, sql)
}

fn fetch(session: &mut Session, table: &str, id: &str) -> Result<Option<Vec<Value>>, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM {table} WHERE id = ?");
    let rs = session.query(&sql, &[Value::text(id)]).map_err(db_error(&sql))?;
    Ok(rs.rows.into_iter().next())
}

/// Runs `f` in a transaction, committing what it did when it succeeds; a conflict at
/// COMMIT under `If-Match` is a stale version (412).
fn transaction<T>(
    session: &mut Session,
    guarded: bool,
    f: impl FnOnce(&mut Session) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    session.execute("BEGIN", &[])?;
    let out = f(session);
    match out {
        Ok(v) => match session.execute("COMMIT", &[]) {
            Ok(_) => Ok(v),
            Err(e) if guarded && matches!(e.kind(), ErrorKind::Conflict(_)) => Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "stale_version",
                "the document changed while this request ran; read it again",
            )),
            Err(e) => Err(e.into()),
        },
        Err(e) => {
            if session.in_transaction() {
                session.execute("ROLLBACK", &[]).ok();
            }
            Err(e)
        }
    }
}

/// Fails with 412 unless the stored document has the version `If-Match` names.
fn check_version(row: &[Value], wanted: &Option<String>) -> Result<(), ApiError> {
    match wanted {
        Some(w) if w != "*" && *w != version(row) => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "stale_version",
            format!("the document's version is {}, not {w}", version(row)),
        )
        .with("version", version(row))),
        _ => Ok(()),
    }
}

/// Lists the collections.
#[utoipa::path(get, path = "/v1/collections", tag = "documents",
    responses((status = 200, description = "`{collections: [{name, documents, indexes}]}`")),
    security(("bearer" = [])))]
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let body = app
        .run(&caller, |session| {
            let listing = session.collection_listing();
            let list: Vec<Doc> = listing
                .rows
                .iter()
                .map(|r| json!({ "name": values::to_json(&r[0], false), "documents": values::to_json(&r[1], false), "indexes": values::to_json(&r[2], false) }))
                .collect();
            Ok(json!({ "collections": list }))
        })
        .await?;
    Ok(Json(body).into_response())
}

/// Adds one document (a JSON object) or many (an array of them), in one transaction;
/// a collection that does not exist yet is made.
#[utoipa::path(post, path = "/v1/collections/{name}/documents", tag = "documents",
    params(("name" = String, Path, description = "The collection")),
    request_body(content = Object, description = "A document, or an array of documents"),
    responses(
        (status = 201, description = "The document (or `{documents: [...]}`), with id and version"),
        (status = 400, description = "Not a JSON object or array of objects"),
        (status = 403, description = "A read-only key")),
    security(("bearer" = [])))]
pub(crate) async fn insert(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Body(body): Body<Doc>,
) -> Result<Response, ApiError> {
    let (docs, many) = match body {
        Doc::Array(items) => (items, true),
        one => (vec![one], false),
    };
    if let Some(i) = docs.iter().position(|d| !d.is_object()) {
        return Err(ApiError::bad_request(format!("document {i} is not a JSON object")).with("document", i as u64));
    }
    let table = quote_ident(&name);
    // Bounded by the body limit.
    let made = app
        .run_quick(&caller, true, move |session| {
            transaction(session, false, |session| {
                session.execute(&format!("CREATE COLLECTION IF NOT EXISTS {table}"), &[])?;
                check_collection(session, &name)?;
                let sql = format!("INSERT INTO {table} (doc) VALUES (?) RETURNING id");
                let mut out = Vec::with_capacity(docs.len());
                for (i, d) in docs.iter().enumerate() {
                    let id = session
                        .query(&sql, &[Value::text(&d.to_string())])
                        .map_err(|e| ApiError::from_db(&e, &sql).with("document", i as u64))?;
                    let id = id.rows[0][0].to_string();
                    out.push(fetch(session, &table, &id)?.map(|r| document(&r)).unwrap_or(Doc::Null));
                }
                Ok(out)
            })
        })
        .await?;
    if many {
        Ok((StatusCode::CREATED, Json(json!({ "documents": made }))).into_response())
    } else {
        Ok(with_etag(StatusCode::CREATED, made.into_iter().next().unwrap_or(Doc::Null)))
    }
}

/// One filter, `field:op:value`.
struct Filter {
    expr: String,
    op: &'static str,
    value: Value,
}

/// `doc ->> '$.a.b'` for a field `a.b`; `_id`, `_created_at`, `_updated_at` are the
/// columns.
fn field_expr(field: &str) -> Result<String, ApiError> {
    match field {
        "_id" => return Ok("id".into()),
        "_created_at" => return Ok("created_at".into()),
        "_updated_at" => return Ok("updated_at".into()),
        _ => {}
    }
    let ok = !field.is_empty()
        && field.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if !ok {
        return Err(ApiError::bad_request(format!(
            "{field:?} is not a field: use names of letters, digits and _, joined by dots"
        )));
    }
    // A segment of digits is an index into an array.
    let path: String = field
        .split('.')
        .map(|p| if p.chars().all(|c| c.is_ascii_digit()) { format!("[{p}]") } else { format!(".{p}") })
        .collect();
    Ok(format!("(doc ->> '${path}')"))
}

/// A filter's value: a number, true/false (1/0, as `->>` gives them), null, or text.
fn filter_value(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Integer(i);
    }
    match text {
        "true" => return Value::Integer(1),
        "false" => return Value::Integer(0),
        "null" => return Value::Null,
        _ => {}
    }
    match text.parse::<f64>() {
        Ok(r) if r.is_finite() => Value::Real(r),
        _ => Value::text(text),
    }
}

fn parse_filter(text: &str) -> Result<Filter, ApiError> {
    let mut parts = text.splitn(3, ':');
    let (Some(field), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ApiError::bad_request(format!("filter {text:?} is not field:op:value")));
    };
    let op = match op {
        "eq" => "=",
        "ne" => "<>",
        "gt" => ">",
        "gte" => ">=",
        "lt" => "<",
        "lte" => "<=",
        "like" => "LIKE",
        other => {
            return Err(ApiError::bad_request(format!(
                "{other:?} is not an operator: use eq, ne, gt, gte, lt, lte or like"
            )))
        }
    };
    Ok(Filter { expr: field_expr(field)?, op, value: filter_value(value) })
}

/// Decodes `%XX` and `+` in a query string's part.
fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() => {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A page's cursor: the last document's sort value and id.
fn encode_cursor(value: &Value, id: &Value) -> String {
    let v = match value {
        Value::Null => json!(["n"]),
        Value::Integer(i) => json!(["i", i.to_string()]),
        Value::Real(r) => json!(["r", r.to_string()]),
        other => json!(["t", other.to_string()]),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!([v, id.to_string()]).to_string())
}

fn decode_cursor(text: &str) -> Result<(Value, Value), ApiError> {
    let bad = || ApiError::bad_request("the cursor is not one this server gave");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let doc: Doc = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let id = doc[1].as_str().ok_or_else(bad)?;
    let v = &doc[0];
    let value = match (v[0].as_str(), v[1].as_str()) {
        (Some("n"), _) => Value::Null,
        (Some("i"), Some(i)) => Value::Integer(i.parse().map_err(|_| bad())?),
        (Some("r"), Some(r)) => Value::Real(r.parse().map_err(|_| bad())?),
        (Some("t"), Some(t)) => Value::text(t),
        _ => return Err(bad()),
    };
    Ok((value, Value::text(id)))
}

/// Finds documents: `filter=field:op:value` (repeatable, all must hold),
/// `sort=field` or `sort=-field`, `limit=` (at most 1000), `cursor=` from the last
/// page's `next_cursor`.
#[utoipa::path(get, path = "/v1/collections/{name}/documents", tag = "documents",
    params(
        ("name" = String, Path, description = "The collection"),
        ("filter" = Option<String>, Query, description = "field:op:value, op one of eq ne gt gte lt lte like; repeatable"),
        ("sort" = Option<String>, Query, description = "A field to sort by, - before it for descending; _id by default"),
        ("limit" = Option<u32>, Query, description = "Documents per page (default 100, at most 1000)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the page before")),
    responses(
        (status = 200, description = "`{documents: [...], next_cursor}`; next_cursor is null on the last page"),
        (status = 400, description = "A bad filter, sort, limit or cursor"),
        (status = 404, description = "No such collection")),
    security(("bearer" = [])))]
pub(crate) async fn find(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (mut filters, mut sort, mut limit, mut cursor) = (Vec::new(), None, 100usize, None);
    for pair in query.as_deref().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = decode(v);
        match decode(k).as_str() {
            "filter" => filters.push(parse_filter(&v)?),
            "sort" => sort = Some(v),
            "limit" => {
                limit = v.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::bad_request(format!("limit must be 1 to {MAX_LIMIT}")).with("field", "limit")
                })?
            }
            "cursor" => cursor = Some(decode_cursor(&v)?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "{other:?} is not a parameter here: use filter, sort, limit, cursor"
                )))
            }
        }
    }
    let (desc, sort_expr) = match sort.as_deref() {
        None | Some("") => (false, "id".to_string()),
        Some(s) => match s.strip_prefix('-') {
            Some(f) => (true, field_expr(f)?),
            None => (false, field_expr(s.strip_prefix('+').unwrap_or(s))?),
        },
    };
    let table = quote_ident(&name);
    let page = app
        .run(&caller, move |session| {
            check_collection(session, &name)?;
            let mut clauses = Vec::new();
            let mut params = Vec::new();
            for f in &filters {
                if f.value.is_null() {
                    let test = if f.op == "<>" { "IS NOT NULL" } else { "IS NULL" };
                    clauses.push(format!("{} {test}", f.expr));
                } else {
                    clauses.push(format!("{} {} ?", f.expr, f.op));
                    params.push(f.value.clone());
                }
            }
            // After the cursor, in the sort's order: NULLs come first ascending and
            // last descending, as SQLite sorts them; ties go by id.
            if let Some((value, id)) = cursor {
                let e = &sort_expr;
                let (cmp, idcmp) = if desc { ("<", "<") } else { (">", ">") };
                let clause = match (value.is_null(), desc) {
                    (true, false) => format!("(({e} IS NULL AND id > ?) OR {e} IS NOT NULL)"),
                    (true, true) => format!("({e} IS NULL AND id < ?)"),
                    (false, false) => format!("({e} {cmp} ? OR ({e} = ? AND id {idcmp} ?))"),
                    (false, true) => format!("({e} {cmp} ? OR ({e} = ? AND id {idcmp} ?) OR {e} IS NULL)"),
                };
                if value.is_null() {
                    params.push(id);
                } else {
                    params.extend([value.clone(), value, id]);
                }
                clauses.push(clause);
            }
            let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
            let dir = if desc { "DESC" } else { "ASC" };
            let sql = format!(
                "SELECT {COLUMNS}, {sort_expr} FROM {table}{filter} ORDER BY {sort_expr} {dir}, id {dir} LIMIT {}",
                limit + 1
            );
            let mut rs = session.query(&sql, &params).map_err(db_error(&sql))?;
            let more = rs.rows.len() > limit;
            rs.rows.truncate(limit);
            let next = match rs.rows.last() {
                Some(last) if more => json!(encode_cursor(&last[4], &last[0])),
                _ => Doc::Null,
            };
            let docs: Vec<Doc> = rs.rows.iter().map(|r| document(r)).collect();
            Ok(json!({ "documents": docs, "next_cursor": next }))
        })
        .await?;
    Ok(Json(page).into_response())
}

fn no_document(name: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("no document {id} in {name}"))
}

/// Reads one document; its `ETag` is its version.
#[utoipa::path(get, path = "/v1/collections/{name}/documents/{id}", tag = "documents",
    params(("name" = String, Path, description = "The collection"), ("id" = String, Path, description = "The document's id")),
    responses((status = 200, description = "The document"), (status = 404, description = "No such document or collection")),
    security(("bearer" = [])))]
pub(crate) async fn read(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let doc = app
        .run_quick(&caller, false, move |session| {
            check_collection(session, &name)?;
            let row = fetch(session, &quote_ident(&name), &id)?;
            row.map(|r| document(&r)).ok_or_else(|| no_document(&name, &id))
        })
        .await?;
    Ok(with_etag(StatusCode::OK, doc))
}

/// Replaces a document, or makes it with this id (201).
#[utoipa::path(put, path = "/v1/collections/{name}/documents/{id}", tag = "documents",
    params(("name" = String, Path, description = "The collection"), ("id" = String, Path, description = "The document's id"),
        ("If-Match" = Option<String>, Header, description = "Replace only at this version")),
    request_body(content = Object, description = "The new document"),
    responses((status = 200, description = "Replaced"), (status = 201, description = "Made"),
        (status = 404, description = "No such collection"), (status = 412, description = "The version did not match")),
    security(("bearer" = [])))]
pub(crate) async fn replace(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body<Doc>,
) -> Result<Response, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request("a document is a JSON object"));
    }
    let wanted = if_match(&headers);
    let (status, doc) = app
        .run_quick(&caller, true, move |session| {
            let guarded = wanted.is_some();
            transaction(session, guarded, |session| {
                check_collection(session, &name)?;
                let table = quote_ident(&name);
                let text = Value::text(&body.to_string());
                let status = match fetch(session, &table, &id)? {
                    Some(row) => {
                        check_version(&row, &wanted)?;
                        let sql = format!("UPDATE {table} SET doc = ? WHERE id = ?");
                        session.execute(&sql, &[text, Value::text(&id)]).map_err(db_error(&sql))?;
                        StatusCode::OK
                    }
                    None if wanted.is_some() => return Err(no_document(&name, &id)),
                    None => {
                        let sql = format!("INSERT INTO {table} (id, doc) VALUES (?, ?)");
                        session.execute(&sql, &[Value::text(&id), text]).map_err(db_error(&sql))?;
                        StatusCode::CREATED
                    }
                };
                let row = fetch(session, &table, &id)?.ok_or_else(|| no_document(&name, &id))?;
                Ok((status, document(&row)))
            })
        })
        .await?;
    Ok(with_etag(status, doc))
}

/// Merges a JSON merge patch (RFC 7396) into a document.
#[utoipa::path(patch, path = "/v1/collections/{name}/documents/{id}", tag = "documents",
    params(("name" = String, Path, description = "The collection"), ("id" = String, Path, description = "The document's id"),
        ("If-Match" = Option<String>, Header, description = "Patch only at this version")),
    request_body(content = Object, description = "A JSON merge patch: null removes a field"),
    responses((status = 200, description = "The patched document"), (status = 404, description = "No such document"),
        (status = 412, description = "The version did not match")),
    security(("bearer" = [])))]
pub(crate) async fn merge(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    Body(patch): Body<Doc>,
) -> Result<Response, ApiError> {
    let wanted = if_match(&headers);
    let doc = app
        .run_quick(&caller, true, move |session| {
            transaction(session, wanted.is_some(), |session| {
                check_collection(session, &name)?;
                let table = quote_ident(&name);
                let row = fetch(session, &table, &id)?.ok_or_else(|| no_document(&name, &id))?;
                check_version(&row, &wanted)?;
                let sql = format!("UPDATE {table} SET doc = json_patch(doc, ?) WHERE id = ?");
                session.execute(&sql, &[Value::text(&patch.to_string()), Value::text(&id)]).map_err(db_error(&sql))?;
                let row = fetch(session, &table, &id)?.ok_or_else(|| no_document(&name, &id))?;
                Ok(document(&row))
            })
        })
        .await?;
    Ok(with_etag(StatusCode::OK, doc))
}

/// Deletes a document.
#[utoipa::path(delete, path = "/v1/collections/{name}/documents/{id}", tag = "documents",
    params(("name" = String, Path, description = "The collection"), ("id" = String, Path, description = "The document's id"),
        ("If-Match" = Option<String>, Header, description = "Delete only at this version")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such document"),
        (status = 412, description = "The version did not match")),
    security(("bearer" = [])))]
pub(crate) async fn remove(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let wanted = if_match(&headers);
    app.run_quick(&caller, true, move |session| {
        transaction(session, wanted.is_some(), |session| {
            check_collection(session, &name)?;
            let table = quote_ident(&name);
            let row = fetch(session, &table, &id)?.ok_or_else(|| no_document(&name, &id))?;
            check_version(&row, &wanted)?;
            let sql = format!("DELETE FROM {table} WHERE id = ?");
            session.execute(&sql, &[Value::text(&id)]).map_err(db_error(&sql))?;
            Ok(())
        })
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parts_decode() {
        assert_eq!(decode("a%3Ab+c%2"), "a:b c%2");
        assert_eq!(decode("%zz%41"), "%zzA");
        assert_eq!(decode("caf%C3%A9"), "café");
    }

    #[test]
    fn cursors_round_trip_every_kind_of_value() {
        for v in [Value::Null, Value::Integer(-7), Value::Real(0.1), Value::text("a:b")] {
            let c = encode_cursor(&v, &Value::text("id-1"));
            assert_eq!(decode_cursor(&c).unwrap(), (v, Value::text("id-1")));
        }
        assert!(decode_cursor("not a cursor").is_err());
    }

    #[test]
    fn filters_name_what_is_wrong() {
        assert!(parse_filter("age:gt:30").is_ok());
        assert!(parse_filter("age:over:30").is_err());
        assert!(parse_filter("a b:eq:1").is_err());
        assert!(parse_filter("age").is_err());
        assert_eq!(parse_filter("tags.0:eq:x").unwrap().expr, "(doc ->> '$.tags[0]')");
    }
}
