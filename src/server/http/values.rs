//! Values as JSON: integers as numbers while a JSON number holds them exactly (up to
//! 2^53), else strings; timestamps as ISO 8601 text; blobs as base64; JSON columns as
//! JSON. And JSON parameters as values.

use base64::Engine;
use serde_json::{json, Value as Json};

use crate::{format_real, format_timestamp, DataType, ResultSet, Value};

/// The largest integer every JSON reader holds exactly (a double's 53 bits).
const EXACT: i64 = 1 << 53;

/// A value as JSON; `json` when its column holds JSON documents.
pub fn to_json(v: &Value, json: bool) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Integer(i) if (-EXACT..=EXACT).contains(i) => json!(i),
        Value::Integer(i) => json!(i.to_string()),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or_else(|| json!(format_real(*r)), Json::Number),
        Value::Text(t) if json => serde_json::from_str(t.as_str()).unwrap_or_else(|_| json!(t.as_str())),
        Value::Text(t) => json!(t.as_str()),
        Value::Boolean(b) => json!(b),
        Value::Timestamp(us) => json!(format_timestamp(*us)),
        Value::Blob(b) => json!(base64::engine::general_purpose::STANDARD.encode(b.as_slice())),
    }
}

/// A JSON parameter as a value: numbers as INTEGER or REAL, strings as TEXT, arrays and
/// objects as their JSON text.
pub fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::text(s),
        Json::Array(_) | Json::Object(_) => Value::text(&j.to_string()),
    }
}

/// A column's type name as the API reports it.
pub fn type_name(declared: Option<DataType>, json: bool, values: impl Iterator<Item = Value>) -> &'static str {
    if json {
        return "json";
    }
    if let Some(t) = declared {
        return match t {
            DataType::Integer => "integer",
            DataType::Real => "real",
            DataType::Text => "text",
            DataType::Boolean => "boolean",
            DataType::Timestamp => "timestamp",
            DataType::Json => "json",
            DataType::Any => "any",
        };
    }
    // A computed column: the type its values share, if they share one.
    let mut seen: Option<&'static str> = None;
    for v in values {
        let t = match v {
            Value::Null => continue,
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Boolean(_) => "boolean",
            Value::Timestamp(_) => "timestamp",
            Value::Blob(_) => "blob",
        };
        match seen {
            None => seen = Some(t),
            Some(s) if s == t => {}
            Some(_) => return "any",
        }
    }
    seen.unwrap_or("null")
}

/// The columns of a result, each `{"name", "type"}`.
pub fn columns(rs: &ResultSet, declared: Option<&[(String, Option<DataType>)]>) -> Json {
    let list: Vec<Json> = rs
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let ty = declared.and_then(|d| d.get(i)).and_then(|(_, t)| *t);
            let is_json = i < 64 && rs.json & (1 << i) != 0;
            json!({ "name": name, "type": type_name(ty, is_json, rs.rows.iter().map(|r| r[i].clone())) })
        })
        .collect();
    Json::Array(list)
}

/// One row as a JSON array.
pub fn row(values: &[Value], json_columns: u64) -> Json {
    Json::Array(values.iter().enumerate().map(|(i, v)| to_json(v, i < 64 && json_columns & (1 << i) != 0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_stay_numbers_while_exact() {
        assert_eq!(to_json(&Value::Integer(1 << 53), false), json!(9007199254740992i64));
        assert_eq!(to_json(&Value::Integer((1 << 53) + 1), false), json!("9007199254740993"));
        assert_eq!(to_json(&Value::Integer(i64::MIN), false), json!("-9223372036854775808"));
        assert_eq!(to_json(&Value::Real(1.5), false), json!(1.5));
        assert_eq!(to_json(&Value::Real(f64::INFINITY), false), json!("Inf"));
        assert_eq!(to_json(&Value::text("{\"a\":1}"), true), json!({"a": 1}));
        assert_eq!(to_json(&Value::text("{\"a\":1}"), false), json!("{\"a\":1}"));
        assert_eq!(to_json(&Value::Blob(std::sync::Arc::new(vec![1, 2])), false), json!("AQI="));
    }

    #[test]
    fn parameters_take_the_type_their_json_has() {
        assert_eq!(from_json(&json!(3)), Value::Integer(3));
        assert_eq!(from_json(&json!(2.5)), Value::Real(2.5));
        assert_eq!(from_json(&json!("x")), Value::text("x"));
        assert_eq!(from_json(&json!(true)), Value::Boolean(true));
        assert_eq!(from_json(&json!({"k": [1]})), Value::text("{\"k\":[1]}"));
    }
}
