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
            // An upsert is tagged INSERT, as Postgres tags it; UNDELETE puts rows back
            // and PURGE removes them, so they are tagged as those writes.
            "inserted" | "inserted or updated" | "restored" => Tag::new("INSERT").with_oid(0).with_rows(count),
            "updated" => Tag::new("UPDATE").with_rows(count),
            "deleted" | "purged" => Tag::new("DELETE").with_rows(count),
            other => Tag::new(&other.to_ascii_uppercase()).with_rows(count),
        }),
        Outcome::Done("BEGIN") => Response::TransactionStart(Tag::new("BEGIN")),
        Outcome::Done(end @ ("COMMIT" | "ROLLBACK")) => Response::TransactionEnd(Tag::new(end)),
        Outcome::Done(name) => Response::Execution(Tag::new(name)),
    }
}

/// The command tag of a statement that returns rows, before its count: a write with
/// RETURNING is tagged as the write (`INSERT 0 n`), after a WITH clause too, anything
/// else as a SELECT.
fn rows_tag(sql: &str) -> &'static str {
    match main_verb(sql).as_str() {
        "insert" | "replace" => "INSERT 0",
        "update" => "UPDATE",
        "delete" => "DELETE",
        _ => "SELECT",
    }
}

/// The statement's verb, lower case: its first word, or after `WITH …` the first of
/// SELECT, INSERT, UPDATE, DELETE, REPLACE or VALUES outside the CTEs' parentheses
/// (quotes and comments skipped).
fn main_verb(sql: &str) -> String {
    let mut words = Vec::new();
    let (mut depth, mut word) = (0usize, String::new());
    let mut chars = sql.chars().peekable();
    let flush = |word: &mut String, depth: usize, words: &mut Vec<String>| {
        if !word.is_empty() && depth == 0 {
            words.push(word.to_ascii_lowercase());
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            'a'..='z' | 'A'..='Z' | '_' | '0'..='9' => {
                word.push(c);
                continue;
            }
            '\'' | '"' | '`' => {
                flush(&mut word, depth, &mut words);
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                flush(&mut word, depth, &mut words);
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '(' => {
                flush(&mut word, depth, &mut words);
                depth += 1;
            }
            ')' => {
                flush(&mut word, depth, &mut words);
                depth = depth.saturating_sub(1);
            }
            _ => flush(&mut word, depth, &mut words),
        }
        if words.first().is_some_and(|w| w != "with") {
            break;
        }
        if let Some(verb) = words
            .iter()
            .skip(1)
            .find(|w| ["select", "insert", "update", "delete", "replace", "values"].contains(&w.as_str()))
        {
            return verb.clone();
        }
    }
    flush(&mut word, depth, &mut words);
    words.into_iter().next().unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_with_returning_are_tagged_as_writes_after_ctes_too() {
        assert_eq!(rows_tag("INSERT INTO t VALUES (1) RETURNING *"), "INSERT 0");
        assert_eq!(rows_tag("  update t SET a = 1 RETURNING a"), "UPDATE");
        assert_eq!(rows_tag("SELECT 1"), "SELECT");
        assert_eq!(rows_tag("WITH x AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM x RETURNING a"), "INSERT 0");
        assert_eq!(
            rows_tag(
                "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x WHERE n < 3), \
                      y AS (SELECT 'delete (' AS s) DELETE FROM t WHERE a IN (SELECT n FROM x) RETURNING a"
            ),
            "DELETE"
        );
        assert_eq!(rows_tag("WITH x AS (DELETE FROM t RETURNING a) SELECT * FROM x"), "SELECT");
        assert_eq!(rows_tag("WITH x AS MATERIALIZED (SELECT 1) -- update\n UPDATE t SET a = 2 RETURNING a"), "UPDATE");
    }
}
