//! Values as the output modes write them: cut to a width, on one line, quoted for
//! CSV, JSON or SQL, escaped for HTML; and counts with thousands separators.

use crate::{format_real, Json, Value};

pub(super) fn is_number(v: &Value) -> bool {
    matches!(v, Value::Integer(_) | Value::Real(_))
}

pub(super) fn cell_text(v: &Value) -> String {
    match v {
        Value::Real(r) => format_real(*r),
        other => other.to_string(),
    }
}

pub(super) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Cuts text to `width` characters, marking the cut with `…`.
pub(super) fn fit(s: &str, width: usize) -> String {
    if chars(s) <= width {
        s.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

/// A line break or tab inside a value or a name, shown so that it cannot break a
/// table's row: `↵` and `→`.
pub(super) fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r', '\t']) {
        s.replace("\r\n", "↵").replace(['\n', '\r'], "↵").replace('\t', "→")
    } else {
        s.to_string()
    }
}

pub(super) fn csv_field(s: &str) -> String {
    if s.is_empty() {
        // An empty string, told apart from NULL (which is written as nothing).
        "\"\"".to_string()
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    Json::string(s).text()
}

pub(super) fn json_value(v: &Value, json_column: bool) -> String {
    match v {
        Value::Text(t) if json_column => Json::parse(t).map_or_else(|_| json_string(t), |d| d.text()),
        Value::Null => "null".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) if r.is_finite() => format_real(*r),
        Value::Real(_) => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Text(_) | Value::Timestamp(_) | Value::Blob(_) => json_string(&v.to_string()),
    }
}

pub(super) fn sql_literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format_real(*r),
        Value::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Value::Blob(b) => format!("X'{}'", b.iter().map(|x| format!("{x:02X}")).collect::<String>()),
        Value::Text(_) | Value::Timestamp(_) => format!("'{}'", v.to_string().replace('\'', "''")),
    }
}

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A count with thousands separators: 1,999,960.
pub(super) fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
