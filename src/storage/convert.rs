//! Conversions between value types.
//!
//! Two kinds, with different rules:
//! - **storing** into a typed column ([`store_as`]) converts only when the conversion is
//!   exact (`'12'` into INTEGER, `3` into REAL) and refuses otherwise;
//! - **CAST** and arithmetic ([`cast`], [`to_number`]) follow SQLite and always produce a
//!   value (`CAST('12abc' AS INTEGER)` is 12, `'abc' + 1` is 1).

use super::json::Json;
use super::schema::{literal_sql, DataType};
use super::time;
use super::value::{format_real, Value};
use crate::error::{Error, ErrorKind, Result};

/// Length of the longest prefix of `s` that reads as a number, and whether it is a real.
fn numeric_prefix(s: &str) -> (usize, bool) {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut is_real = false;
    let mut any_digit = i > digits_start;
    if i < b.len() && b[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if any_digit || j > frac_start {
            any_digit = true;
            is_real = true;
            i = j;
        }
    }
    if !any_digit {
        return (0, false);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            is_real = true;
            i = j;
        }
    }
    (i, is_real)
}

/// The numeric value of the longest numeric prefix of `s`, as a real (0.0 if none).
pub fn text_to_real_prefix(s: &str) -> f64 {
    let s = s.trim_start();
    let (n, _) = numeric_prefix(s);
    s[..n].parse().unwrap_or(0.0)
}

/// Reads text as a number the way SQLite's arithmetic does: the longest numeric prefix,
/// an integer when it has no fraction or exponent and fits, else a real; 0 when none.
pub fn text_to_number(s: &str) -> Value {
    let s = s.trim_start();
    let (n, is_real) = numeric_prefix(s);
    if n == 0 {
        return Value::Integer(0);
    }
    let part = &s[..n];
    if !is_real {
        if let Ok(i) = part.parse::<i64>() {
            return Value::Integer(i);
        }
    }
    Value::Real(part.parse().unwrap_or(0.0))
}

/// The value as a number for arithmetic: integers, reals, booleans as 0/1, text by its
/// numeric prefix, timestamps as microseconds. NULL stays NULL.
pub fn to_number(v: &Value) -> Value {
    match v {
        Value::Null | Value::Integer(_) | Value::Real(_) => v.clone(),
        Value::Boolean(b) => Value::Integer(*b as i64),
        Value::Timestamp(t) => Value::Integer(*t),
        Value::Text(t) => text_to_number(t),
        Value::Blob(b) => text_to_number(&String::from_utf8_lossy(b)),
    }
}

/// Text that is wholly a number (surrounding spaces allowed).
fn exact_number(s: &str) -> Option<Value> {
    let t = s.trim();
    let (n, is_real) = numeric_prefix(t);
    if n == 0 || n != t.len() {
        return None;
    }
    if !is_real {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Value::Integer(i));
        }
    }
    t.parse::<f64>().ok().map(Value::Real)
}

fn real_to_exact_int(r: f64) -> Option<i64> {
    (r.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r)).then_some(r as i64)
}

fn text_to_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Whether a column of type `ty` holds the value as it is (no conversion needed).
pub fn fits(v: &Value, ty: DataType) -> bool {
    matches!(
        (v, ty),
        (_, DataType::Any)
            | (Value::Null, _)
            | (Value::Integer(_), DataType::Integer)
            | (Value::Real(_), DataType::Real)
            | (Value::Text(_), DataType::Text)
            | (Value::Boolean(_), DataType::Boolean)
            | (Value::Timestamp(_), DataType::Timestamp)
    ) || matches!((v, ty), (Value::Text(t), DataType::Json) if Json::is_valid(t))
}

/// Converts a value for a typed column, or names the column and value that do not fit.
pub fn store_value(v: Value, ty: DataType, table: &str, column: &str) -> Result<Value> {
    // A value already of the column's type (nearly every one) is stored as it is.
    if fits(&v, ty) {
        return Ok(v);
    }
    if let (Value::Text(t), DataType::Json) = (&v, ty) {
        if let Err(bad) = Json::parse(t) {
            return Err(Error::invalid(format!(
                "column {table}.{column} holds JSON: {} is malformed JSON at byte {}",
                literal_sql(&v),
                bad.0
            )));
        }
    }
    let (kind, shown) = (v.type_name(), v.clone());
    store_as(v, ty).ok_or_else(|| {
        ErrorKind::TypeMismatch {
            table: table.to_string(),
            column: column.to_string(),
            ty: ty.name().to_string(),
            value: literal_sql(&shown),
            kind,
        }
        .into()
    })
}

/// Converts a value for storage in a column of type `ty`, only when exact.
pub fn store_as(v: Value, ty: DataType) -> Option<Value> {
    match (ty, v) {
        (_, Value::Null) => Some(Value::Null),
        (DataType::Any, v) => Some(v),
        // A typed column holds no bytes: a blob goes into an untyped (or BLOB) column.
        (_, Value::Blob(_)) => None,
        (DataType::Integer, Value::Integer(i)) => Some(Value::Integer(i)),
        (DataType::Integer, Value::Real(r)) => real_to_exact_int(r).map(Value::Integer),
        (DataType::Integer, Value::Boolean(b)) => Some(Value::Integer(b as i64)),
        (DataType::Integer, Value::Text(t)) => match exact_number(&t)? {
            Value::Real(r) => real_to_exact_int(r).map(Value::Integer),
            v => Some(v),
        },
        (DataType::Real, Value::Real(r)) => Some(Value::Real(r)),
        (DataType::Real, Value::Integer(i)) => Some(Value::Real(i as f64)),
        (DataType::Real, Value::Boolean(b)) => Some(Value::Real(b as i64 as f64)),
        (DataType::Real, Value::Text(t)) => match exact_number(&t)? {
            Value::Integer(i) => Some(Value::Real(i as f64)),
            v => Some(v),
        },
        (DataType::Text, Value::Text(t)) => Some(Value::Text(t)),
        (DataType::Text, Value::Timestamp(_)) => None,
        (DataType::Text, v) => Some(Value::text(&v.to_string())),
        (DataType::Boolean, Value::Boolean(b)) => Some(Value::Boolean(b)),
        (DataType::Boolean, Value::Integer(i @ (0 | 1))) => Some(Value::Boolean(i == 1)),
        (DataType::Boolean, Value::Text(t)) => text_to_bool(&t).map(Value::Boolean),
        (DataType::Boolean, _) => None,
        (DataType::Timestamp, Value::Timestamp(t)) => Some(Value::Timestamp(t)),
        (DataType::Timestamp, Value::Text(t)) => time::parse_timestamp(&t).map(Value::Timestamp),
        (DataType::Timestamp, _) => None,
        // A document as it was written; a number or a boolean is a document too.
        // JSON5 is stored as the JSON it means.
        (DataType::Json, Value::Text(t)) if Json::is_valid(&t) => Some(Value::Text(t)),
        (DataType::Json, Value::Text(t)) => Json::parse(&t).ok().map(|j| Value::text(&j.text())),
        (DataType::Json, Value::Integer(i)) => Some(Value::text(&i.to_string())),
        (DataType::Json, Value::Real(r)) if r.is_finite() => Some(Value::text(&format_real(r))),
        (DataType::Json, Value::Boolean(b)) => Some(Value::text(if b { "true" } else { "false" })),
        (DataType::Json, _) => None,
        (_, Value::Timestamp(_)) => None,
    }
}

/// `CAST(v AS ty)` with SQLite's forgiving rules; `None` only for impossible timestamp casts.
pub fn cast(v: &Value, ty: DataType) -> Option<Value> {
    Some(match (ty, v) {
        (_, Value::Null) => Value::Null,
        (DataType::Any, v) => v.clone(),
        (DataType::Integer, Value::Real(r)) => Value::Integer(real_to_int_saturating(*r)),
        (DataType::Integer, Value::Text(t)) => match text_to_number(t) {
            Value::Real(r) => Value::Integer(real_to_int_saturating(r)),
            v => v,
        },
        (DataType::Integer, v) => to_number(v),
        (DataType::Real, v) => match to_number(v) {
            Value::Integer(i) => Value::Real(i as f64),
            v => v,
        },
        (DataType::Text | DataType::Json, Value::Real(r)) => Value::text(&format_real(*r)),
        (DataType::Text | DataType::Json, v) => Value::text(&v.to_string()),
        (DataType::Boolean, Value::Text(t)) => match text_to_bool(t) {
            Some(b) => Value::Boolean(b),
            None => Value::Boolean(text_to_real_prefix(t) != 0.0),
        },
        (DataType::Boolean, v) => Value::Boolean(v.truth().unwrap_or(false)),
        (DataType::Timestamp, Value::Timestamp(t)) => Value::Timestamp(*t),
        (DataType::Timestamp, Value::Text(t)) => Value::Timestamp(time::parse_timestamp(t)?),
        (DataType::Timestamp, _) => return None,
    })
}

fn real_to_int_saturating(r: f64) -> i64 {
    if r.is_nan() {
        0
    } else {
        r as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storing_converts_only_exactly() {
        assert_eq!(store_as(Value::text("12"), DataType::Integer), Some(Value::Integer(12)));
        assert_eq!(store_as(Value::text("12x"), DataType::Integer), None);
        assert_eq!(store_as(Value::Real(3.5), DataType::Integer), None);
        assert_eq!(store_as(Value::Real(3.0), DataType::Integer), Some(Value::Integer(3)));
        assert!(matches!(store_as(Value::Integer(3), DataType::Real), Some(Value::Real(r)) if r == 3.0));
        assert_eq!(store_as(Value::Integer(7), DataType::Text), Some(Value::text("7")));
        assert_eq!(store_as(Value::Integer(2), DataType::Boolean), None);
        assert_eq!(store_as(Value::text("nope"), DataType::Timestamp), None);
    }

    #[test]
    fn cast_is_forgiving_like_sqlite() {
        assert_eq!(cast(&Value::text("12abc"), DataType::Integer), Some(Value::Integer(12)));
        assert_eq!(cast(&Value::text("abc"), DataType::Integer), Some(Value::Integer(0)));
        assert_eq!(cast(&Value::Real(-3.7), DataType::Integer), Some(Value::Integer(-3)));
        assert_eq!(cast(&Value::Real(2.5), DataType::Text), Some(Value::text("2.5")));
        assert_eq!(text_to_number(" 3.5e1x"), Value::Real(35.0));
        assert!(matches!(text_to_number("-"), Value::Integer(0)));
    }
}
