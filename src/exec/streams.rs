//! Message DB's functions over the message store of a namespace.
//!
//! `write_message` does not change the state it reads: the messages a statement writes
//! wait in its [`SubState`](super::eval::SubState) and become `WriteOp::Message`s when
//! the statement ends (`exec::execute`), so they commit or roll back with it. A later
//! write in the same statement sees the earlier ones (positions count on).

use std::sync::Arc;

use super::eval::{eval, is_true, Ctx, Env};
use crate::error::{Error, Result};
use crate::sql::plan::{BExpr, MessageRead, MESSAGE_COLUMNS};
use crate::storage::streams::{self, Message, MessageStore};
use crate::storage::{Row, State, Value};

const DEFAULT_BATCH: i64 = 1000;

/// A text argument, shared with the value it came in (no copy).
fn text_arg(args: &[Value], i: usize, what: &str, function: &str) -> Result<Option<Arc<str>>> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Text(t)) => Ok(Some(t.to_arc())),
        Some(v) => Err(Error::invalid(format!("{function}: {what} must be text, not {}", v.type_name()))),
    }
}

fn required(args: &[Value], i: usize, what: &str, function: &str) -> Result<Arc<str>> {
    text_arg(args, i, what, function)?.ok_or_else(|| Error::invalid(format!("{function}: {what} must not be NULL")))
}

fn int_arg(args: &[Value], i: usize, what: &str, function: &str) -> Result<Option<i64>> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Integer(n)) => Ok(Some(*n)),
        Some(Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9e18 => Ok(Some(*r as i64)),
        Some(v) => Err(Error::invalid(format!("{function}: {what} must be an integer, not {}", v.type_name()))),
    }
}

fn check_json(text: &str, what: &str) -> Result<()> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(|_| ())
        .map_err(|e| Error::invalid(format!("write_message: {what} is not valid JSON: {e}")))
}

/// The stream's version counting the messages this statement wrote to it so far.
fn version_now(ctx: &Ctx, namespace: &str, stream: &str) -> Option<i64> {
    let stored = ctx.state.and_then(|s| s.messages(namespace)).and_then(|m| m.stream_version(stream));
    let pending = ctx.sub.map_or(0, |sub| sub.pending_in(namespace, stream));
    match (stored, pending) {
        (v, 0) => v,
        (v, n) => Some(v.unwrap_or(-1) + n as i64),
    }
}

/// `write_message(ns, id, stream_name, type, data [, metadata [, expected_version]])`:
/// the new message's position in its stream.
pub fn write_message(args: &[Value], ctx: &Ctx) -> Result<Value> {
    const F: &str = "write_message";
    let namespace = required(args, 0, "namespace", F)?;
    let id = required(args, 1, "id", F)?;
    let stream_name = required(args, 2, "stream_name", F)?;
    let kind = required(args, 3, "type", F)?;
    let data = required(args, 4, "data", F)?;
    let metadata = text_arg(args, 5, "metadata", F)?;
    let expected = int_arg(args, 6, "expected_version", F)?;
    // A message id is a UUID, as in Message DB.
    if streams::uuid_bits(&id).is_none() {
        return Err(Error::invalid(format!("write_message: id {id:?} is not a UUID")));
    }
    check_json(&data, "data")?;
    if let Some(m) = &metadata {
        check_json(m, "metadata")?;
    }
    let Some(sub) = ctx.sub else {
        return Err(Error::invalid("write_message() can only run inside a statement"));
    };
    let version = version_now(ctx, &namespace, &stream_name).unwrap_or(-1);
    if let Some(expected) = expected {
        if expected != version {
            return Err(Error::invalid(format!(
                "Wrong expected version: {expected} (Stream: {stream_name}, Stream Version: {version})"
            )));
        }
    }
    let taken =
        ctx.state.and_then(|s| s.messages(&namespace)).is_some_and(|m| m.has_id(&id)) || sub.has_pending_id(&id);
    if taken {
        return Err(Error::invalid(format!("write_message: a message with id {id} already exists")));
    }
    let position = version + 1;
    let message =
        Message { id, stream_name, kind, position, global_position: 0, data, metadata, time: ctx.now(), group_hash: 0 };
    sub.push_message(namespace.to_string(), message);
    Ok(Value::Integer(position))
}

/// `stream_version(ns, stream_name)`: the position of the stream's last message, or NULL.
pub fn stream_version(args: &[Value], ctx: &Ctx) -> Result<Value> {
    let namespace = required(args, 0, "namespace", "stream_version")?;
    let stream = required(args, 1, "stream_name", "stream_version")?;
    Ok(version_now(ctx, &namespace, &stream).map_or(Value::Null, Value::Integer))
}

fn row_of(m: &Message) -> Row {
    let text = |s: &Arc<str>| Value::Text(s.clone().into());
    let metadata = m.metadata.as_ref().map_or(Value::Null, text);
    Row::from(vec![
        text(&m.id),
        text(&m.stream_name),
        text(&m.kind),
        Value::Integer(m.position),
        Value::Integer(m.global_position),
        text(&m.data),
        metadata,
        Value::Timestamp(m.time),
    ])
}

/// A `condition` argument: an expression over the message columns, checked per message.
fn condition(text: Option<Arc<str>>) -> Result<Option<BExpr>> {
    let Some(text) = text else { return Ok(None) };
    let expr = crate::sql::parser::parse_expr(&text)?;
    crate::sql::binder::bind_over_columns(&MESSAGE_COLUMNS, &expr).map(Some)
}

/// Calls `f` with each message a table-valued message function returns, in order.
pub fn read_messages(
    read: MessageRead,
    args: &[BExpr],
    state: &State,
    ctx: &Ctx,
    f: &mut dyn FnMut(&Row) -> Result<bool>,
) -> Result<bool> {
    let env = Env { row: &[], aggs: &[], ctx };
    let args: Vec<Value> = args.iter().map(|a| eval(a, &env)).collect::<Result<_>>()?;
    let name = read.name();
    let namespace = required(&args, 0, "namespace", name)?;
    let empty = MessageStore::default();
    let store = state.messages(&namespace).unwrap_or(&empty);
    let limit = |batch: Option<i64>| match batch.unwrap_or(DEFAULT_BATCH) {
        -1 => Ok(usize::MAX),
        n if n >= 0 => Ok(n as usize),
        n => Err(Error::invalid(format!("{name}: batch size must be -1 (no limit) or at least 0, not {n}"))),
    };
    // Messages pass a filter, then the condition; up to `limit` of them reach `f`.
    let mut run = |messages: &mut dyn Iterator<Item = &Arc<Message>>,
                   keep: &dyn Fn(&Message) -> bool,
                   limit: usize,
                   cond: Option<BExpr>|
     -> Result<bool> {
        let mut taken = 0;
        for m in messages {
            if taken == limit {
                break;
            }
            ctx.check_interrupt()?;
            if !keep(m) {
                continue;
            }
            let row = row_of(m);
            if let Some(c) = &cond {
                if !is_true(c, &Env { row: &row, aggs: &[], ctx })? {
                    continue;
                }
            }
            taken += 1;
            if !f(&row)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    match read {
        MessageRead::Stream => {
            let stream = required(&args, 1, "stream_name", name)?;
            if streams::is_category(&stream) {
                return Err(Error::invalid(format!("Must be a stream name: {stream}")));
            }
            let position = int_arg(&args, 2, "position", name)?.unwrap_or(0);
            let limit = limit(int_arg(&args, 3, "batch_size", name)?)?;
            let cond = condition(text_arg(&args, 4, "condition", name)?)?;
            run(&mut store.stream_from(&stream, position), &|_| true, limit, cond)
        }
        MessageRead::Category => {
            let category = required(&args, 1, "category", name)?;
            if !streams::is_category(&category) {
                return Err(Error::invalid(format!("Must be a category: {category}")));
            }
            let position = int_arg(&args, 2, "position", name)?.unwrap_or(1);
            let limit = limit(int_arg(&args, 3, "batch_size", name)?)?;
            let correlation = text_arg(&args, 4, "correlation", name)?;
            if let Some(c) = &correlation {
                if !streams::is_category(c) {
                    return Err(Error::invalid(format!("Correlation must be a category (Correlation: {c})")));
                }
            }
            let member = int_arg(&args, 5, "consumer_group_member", name)?;
            let size = int_arg(&args, 6, "consumer_group_size", name)?;
            let group = consumer_group(member, size)?;
            let cond = condition(text_arg(&args, 7, "condition", name)?)?;
            let keep = |m: &Message| {
                let correlated = correlation
                    .as_ref()
                    .is_none_or(|c| streams::correlation_category(m.metadata.as_deref()).as_deref() == Some(&**c));
                let ours = group.is_none_or(|(member, size)| streams::member_of(m.group_hash, size) == member);
                correlated && ours
            };
            run(&mut store.category_from(&category, position), &keep, limit, cond)
        }
        MessageRead::All => run(&mut store.messages(), &|_| true, usize::MAX, None),
        MessageRead::Last => {
            let stream = required(&args, 1, "stream_name", name)?;
            let kind = text_arg(&args, 2, "type", name)?;
            let last = match &kind {
                None => store.last_of(&stream),
                Some(k) => store.stream_rev(&stream).find(|m| *m.kind == **k),
            };
            run(&mut last.into_iter(), &|_| true, 1, None)
        }
    }
}

/// Checks a consumer group's member and size as Message DB does.
fn consumer_group(member: Option<i64>, size: Option<i64>) -> Result<Option<(i64, i64)>> {
    match (member, size) {
        (None, None) => Ok(None),
        (Some(m), Some(s)) => {
            let detail = format!("(Consumer Group Member: {m}, Consumer Group Size: {s})");
            if s < 1 {
                return Err(Error::invalid(format!("Consumer group size must be greater than zero {detail}")));
            }
            if m < 0 {
                return Err(Error::invalid(format!(
                    "Consumer group member must be greater than or equal to zero {detail}"
                )));
            }
            if m >= s {
                return Err(Error::invalid(format!("Consumer group member must be less than the group size {detail}")));
            }
            Ok(Some((m, s)))
        }
        (m, s) => Err(Error::invalid(format!(
            "Consumer group member and size must be specified (Consumer Group Member: {}, Consumer Group Size: {})",
            m.map_or("NULL".into(), |v| v.to_string()),
            s.map_or("NULL".into(), |v| v.to_string())
        ))),
    }
}
