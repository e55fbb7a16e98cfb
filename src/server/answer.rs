//! A statement's outcome as the protocol answers it: rows (typed, encoded as the
//! client is sent them) with their command tag, or a tag alone.

use std::sync::Arc;

use bytes::BytesMut;
use futures::{stream, StreamExt};
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::Type;
use pgwire::error::PgWireError;

use super::{sqlstate, wire};
use crate::{DataType, Outcome, ResultSet, Value};

/// A statement's outcome as the protocol answers it. `columns` are the types the
/// statement was described with (extended protocol); without them a column's type is
/// that of its values.
pub(super) fn respond(
    out: Outcome,
    sql: &str,
    columns: Option<&[(String, Option<DataType>)]>,
    format: &Format,
) -> Response {
    match out {
        Outcome::Rows(rs) => {
            let types: Vec<Type> = match columns {
                Some(c) => c.iter().map(|(_, t)| wire::pg_type(*t)).collect(),
                None => (0..rs.columns.len()).map(|i| wire::type_of_values(rs.rows.iter().map(|r| &r[i]))).collect(),
            };
            let fields = wire::fields(&rs.columns, &types, |i| format.format_for(i));
            let ResultSet { rows, .. } = rs;
            Response::Query(rows_response(fields, rows, rows_tag(sql)))
        }
        Outcome::Changed { verb, count } => Response::Execution(match verb {
            "inserted" => Tag::new("INSERT").with_oid(0).with_rows(count),
            "updated" => Tag::new("UPDATE").with_rows(count),
            "deleted" => Tag::new("DELETE").with_rows(count),
            other => Tag::new(&other.to_ascii_uppercase()).with_rows(count),
        }),
        Outcome::Done("BEGIN") => Response::TransactionStart(Tag::new("BEGIN")),
        Outcome::Done(end @ ("COMMIT" | "ROLLBACK")) => Response::TransactionEnd(Tag::new(end)),
        Outcome::Done(name) => Response::Execution(Tag::new(name)),
    }
}

/// The command tag of a statement that returns rows, before its count: a write with
/// RETURNING is tagged as the write (`INSERT 0 n`), anything else as a SELECT.
fn rows_tag(sql: &str) -> &'static str {
    // (WITH … INSERT: the verb after the CTEs is not looked for.)
    let first = sql.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
    match first.to_ascii_lowercase().as_str() {
        "insert" | "replace" => "INSERT 0",
        "update" => "UPDATE",
        "delete" => "DELETE",
        _ => "SELECT",
    }
}

/// Rows as the protocol streams them: each encoded when the client is sent it, so a
/// portal read in parts encodes only what it sends.
pub(super) fn rows_response(fields: Arc<Vec<FieldInfo>>, rows: Vec<Vec<Value>>, tag: &str) -> QueryResponse {
    let schema = fields.clone();
    let mut buf = BytesMut::new();
    let encoded = stream::iter(rows).map(move |row| {
        wire::encode_row(&row, &schema, &mut buf)
            .map_err(|m| PgWireError::UserError(Box::new(sqlstate::error("22P02", m))))
    });
    let mut response = QueryResponse::new(fields, encoded);
    response.set_command_tag(tag);
    response
}
