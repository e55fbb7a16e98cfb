//! SQLite's JSON functions and the `->` and `->>` operators.
//!
//! SQLite marks the text its JSON functions return as JSON (a "subtype"), so that
//! `json_array(json('[1]'))` nests an array where `json_array('[1]')` holds a string.
//! The binder marks the same statically: bit `i` of `json_args` is set when argument
//! `i` is a call of a function that returns JSON, and of `extracted` when it is a
//! `json_extract`, whose result is JSON when it is an array or an object.

use super::path::{self, Edit, Step};
use super::{unescape, Json};
use crate::error::{Error, Result};
use crate::exec::eval::Ctx;
use crate::sql::plan::JsonFunc;
use crate::storage::json::Seek;
use crate::storage::value::format_real;
use crate::storage::Value;

/// The JSON a function's argument is a document in: text parsed, a number as itself.
pub(super) fn document(v: &Value) -> Result<Option<Json>> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) => Json::parse_sql(t).map(Some),
        Value::Integer(i) => Ok(Some(Json::Num(i.to_string()))),
        Value::Real(r) => Ok(Some(Json::Num(format_real(*r)))),
        Value::Blob(_) => Err(Error::invalid("JSON cannot be read from a BLOB")),
        other => Json::parse_sql(&other.to_string()).map(Some),
    }
}

/// An SQL value as a JSON value: text is a string unless it came from a JSON function.
pub fn to_json(v: &Value, is_json: bool, extracted: bool) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Integer(i) => Json::Num(i.to_string()),
        Value::Boolean(b) => Json::Num(if *b { "1" } else { "0" }.into()),
        Value::Real(r) if r.is_finite() => Json::Num(format_real(*r)),
        Value::Real(r) => Json::Num(if *r > 0.0 { "9e999" } else { "-9e999" }.into()),
        Value::Text(t) if is_json || (extracted && t.starts_with(['[', '{'])) => Json::parse_sql(t)?,
        Value::Text(t) => Json::string(t),
        Value::Blob(_) => return Err(Error::invalid("JSON cannot hold BLOB values")),
        other => Json::string(&other.to_string()),
    })
}

/// A JSON value as the SQL value `json_extract` and `->>` give.
pub(super) fn to_sql(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(i64::from(*b)),
        Json::Num(n) => number_value(n),
        Json::Str(s) => Value::text(&unescape(s)),
        other => Value::text(&other.text()),
    }
}

/// A JSON number's text as an SQL value: an integer when it is written as one and fits.
pub(super) fn number_value(n: &str) -> Value {
    if crate::storage::json::is_integer_text(n) {
        if let Ok(i) = n.parse::<i64>() {
            return Value::Integer(i);
        }
    }
    n.parse::<f64>().map(Value::Real).unwrap_or(Value::Null)
}

fn json_text(j: &Json, ctx: &Ctx) -> Result<Value> {
    let text = j.text();
    ctx.check_length(text.len())?;
    Ok(Value::text(&text))
}

fn path_arg(v: &Value) -> Result<Option<path::Path>> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) => path::parse(t).map(Some),
        other => Err(Error::invalid(format!("bad JSON path: '{other}'"))),
    }
}

/// The right side of `->` and `->>`: a path, a label (`'a'` is `$.a`) or an array
/// index (negative counts from the end).
fn arrow_path(v: &Value) -> Result<Option<path::Path>> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) if t.starts_with('$') => path::parse(t).map(Some),
        Value::Text(t) => Ok(Some(vec![Step::Key(t.to_string())])),
        Value::Integer(i) if *i >= 0 => Ok(Some(vec![Step::Index(*i as usize)])),
        Value::Integer(i) => Ok(Some(vec![Step::FromEnd(i.unsigned_abs() as usize)])),
        other => Err(Error::invalid(format!("bad JSON path: '{other}'"))),
    }
}

/// What the path names in a document: read from text without building the rest of
/// the document when the path has no step counted from an array's end.
fn found(doc: &Value, p: &[Step]) -> Result<Option<Json>> {
    if let Value::Text(text) = doc {
        let seek: Option<Vec<Seek>> = p
            .iter()
            .map(|s| match s {
                Step::Key(k) => Some(Seek::Key(k)),
                Step::Index(i) => Some(Seek::Index(*i)),
                Step::FromEnd(_) => None,
            })
            .collect();
        if let Some(seek) = seek {
            return Json::seek(text, &seek, &path::key_matches).map_err(|m| m.error());
        }
    }
    Ok(document(doc)?.and_then(|j| path::find(&j, p).cloned()))
}

pub fn call(f: JsonFunc, json_args: u16, extracted: u16, args: &[Value], ctx: &Ctx) -> Result<Value> {
    let marked = |i: usize| i < 16 && json_args & (1 << i) != 0;
    let from_extract = |i: usize| i < 16 && extracted & (1 << i) != 0;
    let value_at = |i: usize| to_json(&args[i], marked(i), from_extract(i));
    let doc = || -> Result<Option<Json>> { args.first().map_or(Ok(None), document) };
    Ok(match f {
        JsonFunc::Json => match doc()? {
            Some(j) => json_text(&j, ctx)?,
            None => Value::Null,
        },
        JsonFunc::Valid => {
            // SQLite's flags: 1 RFC 8259 text (the default), 2 JSON5 text, 4 and 8 its
            // binary JSONB, which AmberDB does not make (a blob is never valid).
            let flags = match args.get(1) {
                None => 1,
                Some(Value::Null) => return Ok(Value::Null),
                Some(Value::Integer(f @ 1..=15)) => *f,
                Some(_) => return Err(Error::invalid("FLAGS parameter to json_valid() must be between 1 and 15")),
            };
            match &args[0] {
                Value::Null => Value::Null,
                Value::Text(t) if flags & 2 != 0 => Value::Integer(i64::from(Json::is_valid_json5(t))),
                Value::Text(t) if flags & 1 != 0 => Value::Integer(i64::from(Json::is_valid(t))),
                Value::Integer(_) | Value::Real(_) if flags & 3 != 0 => Value::Integer(1),
                _ => Value::Integer(0),
            }
        }
        JsonFunc::ErrorPosition => match &args[0] {
            Value::Null => Value::Null,
            Value::Text(t) => Value::Integer(Json::parse(t).err().map_or(0, |m| m.0 as i64)),
            _ => Value::Integer(0),
        },
        JsonFunc::Extract => {
            if args.len() == 2 {
                let Some(p) = path_arg(&args[1])? else { return Ok(Value::Null) };
                return Ok(found(&args[0], &p)?.as_ref().map_or(Value::Null, to_sql));
            }
            let Some(j) = doc()? else { return Ok(Value::Null) };
            let mut found = Vec::with_capacity(args.len() - 1);
            for a in &args[1..] {
                let Some(p) = path_arg(a)? else { return Ok(Value::Null) };
                found.push(path::find(&j, &p).cloned().unwrap_or(Json::Null));
            }
            json_text(&Json::Array(found), ctx)?
        }
        JsonFunc::Arrow | JsonFunc::Arrow2 => {
            let Some(p) = arrow_path(&args[1])? else { return Ok(Value::Null) };
            match (found(&args[0], &p)?, f) {
                (None, _) => Value::Null,
                (Some(found), JsonFunc::Arrow) => json_text(&found, ctx)?,
                (Some(found), _) => to_sql(&found),
            }
        }
        JsonFunc::Type | JsonFunc::ArrayLength => {
            let Some(j) = doc()? else { return Ok(Value::Null) };
            let found = match args.get(1) {
                None => Some(&j),
                Some(p) => match path_arg(p)? {
                    Some(p) => path::find(&j, &p),
                    None => return Ok(Value::Null),
                },
            };
            match (found, f) {
                (None, _) => Value::Null,
                (Some(found), JsonFunc::Type) => Value::text(found.type_name()),
                (Some(Json::Array(items)), _) => Value::Integer(items.len() as i64),
                (Some(_), _) => Value::Integer(0),
            }
        }
        JsonFunc::Array => {
            let items = (0..args.len()).map(value_at).collect::<Result<Vec<_>>>()?;
            json_text(&Json::Array(items), ctx)?
        }
        JsonFunc::Object => {
            if !args.len().is_multiple_of(2) {
                return Err(Error::invalid("json_object() requires an even number of arguments"));
            }
            let mut members = Vec::with_capacity(args.len() / 2);
            for i in (0..args.len()).step_by(2) {
                let Value::Text(k) = &args[i] else {
                    return Err(Error::invalid("json_object() labels must be TEXT"));
                };
                let Json::Str(key) = Json::string(k) else { unreachable!("a string is a string") };
                members.push((key, value_at(i + 1)?));
            }
            json_text(&Json::Object(members), ctx)?
        }
        JsonFunc::Quote => json_text(&value_at(0)?, ctx)?,
        JsonFunc::Insert | JsonFunc::Replace | JsonFunc::Set => {
            if args.len() % 2 != 1 {
                let name = match f {
                    JsonFunc::Insert => "json_insert",
                    JsonFunc::Replace => "json_replace",
                    _ => "json_set",
                };
                return Err(Error::invalid(format!("{name}() needs an odd number of arguments")));
            }
            let Some(mut j) = doc()? else { return Ok(Value::Null) };
            let how = match f {
                JsonFunc::Insert => Edit::Insert,
                JsonFunc::Replace => Edit::Replace,
                _ => Edit::Set,
            };
            for i in (1..args.len()).step_by(2) {
                let Some(p) = path_arg(&args[i])? else { return Ok(Value::Null) };
                path::edit(&mut j, &p, value_at(i + 1)?, how);
            }
            json_text(&j, ctx)?
        }
        JsonFunc::Remove => {
            let Some(mut j) = doc()? else { return Ok(Value::Null) };
            for a in &args[1..] {
                let Some(p) = path_arg(a)? else { return Ok(Value::Null) };
                if p.is_empty() {
                    return Ok(Value::Null);
                }
                path::remove(&mut j, &p);
            }
            json_text(&j, ctx)?
        }
        JsonFunc::Patch => {
            let (Some(target), Some(patch)) = (doc()?, document(&args[1])?) else { return Ok(Value::Null) };
            json_text(&merge_patch(target, patch), ctx)?
        }
        JsonFunc::Pretty => {
            let Some(j) = doc()? else { return Ok(Value::Null) };
            let indent = match args.get(1) {
                None | Some(Value::Null) => "    ".to_string(),
                Some(v) => v.to_string(),
            };
            let text = j.pretty(&indent);
            ctx.check_length(text.len())?;
            Value::text(&text)
        }
    })
}

/// RFC 7396: members of the patch replace the target's, `null` ones remove them, and a
/// patch that is not an object replaces the whole target.
fn merge_patch(target: Json, patch: Json) -> Json {
    let Json::Object(changes) = patch else { return patch };
    let mut members = match target {
        Json::Object(m) => m,
        _ => Vec::new(),
    };
    for (k, v) in changes {
        let at = members.iter().position(|(raw, _)| *raw == k);
        match (at, v) {
            (Some(i), Json::Null) => {
                members.remove(i);
            }
            (None, Json::Null) => {}
            (Some(i), v) => {
                let old = std::mem::replace(&mut members[i].1, Json::Null);
                members[i].1 = merge_patch(old, v);
            }
            (None, v) => members.push((k, merge_patch(Json::Null, v))),
        }
    }
    Json::Object(members)
}
