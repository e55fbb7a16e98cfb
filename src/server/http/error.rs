//! Every HTTP error as JSON, `{"error": {"code", "message", "position"?, …}}`, with the
//! status a client branches on: a database error keeps its SQLSTATE as the code.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value as Json};

use crate::server::sqlstate;
use crate::{Error, ErrorKind};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// More fields of the error object: `position`, `statement`, `row`.
    pub extra: Map<String, Json>,
    /// Seconds to wait before trying again (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_string(), message: message.into(), extra: Map::new(), retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn with(mut self, key: &str, value: impl Into<Json>) -> ApiError {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// A database error from running `sql`: its SQLSTATE, and the status that fits
    /// it (a constraint is a conflict with the data, a bad statement a bad request).
    pub fn from_db(e: &Error, sql: &str) -> ApiError {
        let code = sqlstate::code(e);
        let status = match e.kind() {
            ErrorKind::ReadOnly(_) => StatusCode::FORBIDDEN,
            ErrorKind::Interrupted => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::Conflict(_) => StatusCode::CONFLICT,
            ErrorKind::NoSuchVersion(_) => StatusCode::NOT_FOUND,
            ErrorKind::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Invalid(m) if m.starts_with("Wrong expected version") => StatusCode::CONFLICT,
            _ if code == "53200" => StatusCode::SERVICE_UNAVAILABLE,
            _ if code.starts_with("23") => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut err = ApiError::new(status, code, e.to_string());
        if let Some(position) = sqlstate::error_info(e, sql).position {
            if let Ok(p) = position.parse::<u64>() {
                err = err.with("position", p);
            }
        }
        if let ErrorKind::InRow { row, .. } = e.kind() {
            err = err.with("row", *row as u64);
        }
        err
    }

    pub fn body(&self) -> Json {
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        error.extend(self.extra.clone());
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError::from_db(&e, "")
    }
}

/// The answer for a handler that panicked: the server lives on.
pub fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server failed to answer this request")
        .into_response()
}
