//! A big result read in parts (Execute with a row limit): the rows are made on a
//! thread of their own as the client takes them, a few at a time through a bounded
//! channel, so a million-row result never sits whole in the server's memory.

use std::sync::Arc;

use bytes::BytesMut;
use futures::stream;
use pgwire::api::portal::Format;
use pgwire::api::results::{QueryResponse, Response};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;

use super::{sqlstate, wire};
use crate::{DataType, RowStream};

/// Rows encoded ahead of the client: what the channel holds at most.
const AHEAD: usize = 64;

/// The response of a read streamed from `rows`, typed by the columns it was described
/// with.
pub(super) fn streamed(
    rows: RowStream,
    sql: &str,
    columns: &[(String, Option<DataType>)],
    format: &Format,
    on_error: Arc<dyn Fn() + Send + Sync>,
) -> Response {
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let types: Vec<_> = columns.iter().map(|(_, t)| wire::pg_type(*t)).collect();
    let fields = wire::fields(&names, &types, |i| format.format_for(i));
    let schema = fields.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<PgWireResult<DataRow>>(AHEAD);
    let sql = sql.to_string();
    tokio::task::spawn_blocking(move || {
        let mut buf = BytesMut::new();
        let fail = |info: ErrorInfo| Err(PgWireError::UserError(Box::new(info)));
        let done = rows.run(&mut |row| match wire::encode_row(&row, &schema, &mut buf) {
            // A closed channel: the client closed the portal, so stop making rows.
            Ok(encoded) => tx.blocking_send(Ok(encoded)).is_ok(),
            Err(message) => {
                tx.blocking_send(fail(sqlstate::error("22P02", message))).ok();
                false
            }
        });
        if let Err(e) = done {
            on_error();
            tx.blocking_send(fail(sqlstate::error_info(&e, &sql))).ok();
        }
    });
    let data = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut response = QueryResponse::new(fields, data);
    response.set_command_tag("SELECT");
    Response::Query(response)
}
