//! Values: the one representation of a cell, a parameter and an expression result.
//!
//! Ordering follows SQLite: NULL sorts first, then numbers (integers, reals and
//! booleans compared by numeric value), then timestamps, then text (byte order).
//! A timestamp compared with text parses the text, so `created_at > '2026-01-01'`
//! means what a reader expects.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::text::Text;
use super::time;

/// One SQL value, 16 bytes. Text up to 14 bytes is held inline; longer text and blobs
/// are shared, so copying a value never copies bytes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(Text),
    Boolean(bool),
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    Timestamp(i64),
    /// Bytes, written `x'0a1b'`; shared like text.
    Blob(Arc<Vec<u8>>),
}

impl Value {
    /// A row of `n` NULLs. Made by writing each NULL, where `vec![Value::Null; n]`
    /// clones one through a match on its kind, element by element.
    pub fn nulls(n: usize) -> Vec<Value> {
        std::iter::repeat_with(|| Value::Null).take(n).collect()
    }

    pub fn text(s: &str) -> Value {
        Value::Text(Text::new(s))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The name `typeof()` returns.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Boolean(_) => "boolean",
            Value::Timestamp(_) => "timestamp",
            Value::Blob(_) => "blob",
        }
    }

    /// The numeric view used by comparisons: integers and booleans exactly, reals as is.
    fn numeric(&self) -> Option<Num> {
        match self {
            Value::Integer(i) => Some(Num::Int(*i)),
            Value::Boolean(b) => Some(Num::Int(*b as i64)),
            Value::Real(r) => Some(Num::Real(*r)),
            _ => None,
        }
    }

    fn class(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Integer(_) | Value::Real(_) | Value::Boolean(_) => 1,
            Value::Timestamp(_) => 2,
            Value::Text(_) => 3,
            Value::Blob(_) => 4,
        }
    }

    /// The total order used for sorting, grouping, DISTINCT and keys.
    /// Values of one kind compare inline (searching a B-tree compares many); the rest
    /// out of line.
    #[inline]
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
            (Value::Real(a), Value::Real(b)) => a.total_cmp(b),
            (Value::Text(a), Value::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            _ => self.mixed_cmp(other),
        }
    }

    #[inline(never)]
    fn mixed_cmp(&self, other: &Value) -> Ordering {
        if let (Some(a), Some(b)) = (self.numeric(), other.numeric()) {
            return a.cmp(b);
        }
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::Blob(a), Value::Blob(b)) => a.cmp(b),
            (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
            (Value::Timestamp(a), Value::Text(b)) => match time::parse_timestamp(b) {
                Some(b) => a.cmp(&b),
                None => Ordering::Less,
            },
            (Value::Text(a), Value::Timestamp(b)) => match time::parse_timestamp(a) {
                Some(a) => a.cmp(b),
                None => Ordering::Greater,
            },
            _ => self.class().cmp(&other.class()),
        }
    }

    /// SQL comparison: NULL when either side is NULL.
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        if self.is_null() || other.is_null() {
            None
        } else {
            Some(self.total_cmp(other))
        }
    }

    /// SQL truth: NULL stays unknown; numbers are true when non-zero; text is read as
    /// a number the way SQLite does (so `'abc'` is false).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Value::Null => None,
            Value::Boolean(b) => Some(*b),
            Value::Integer(i) => Some(*i != 0),
            Value::Real(r) => Some(*r != 0.0),
            Value::Text(t) => Some(crate::storage::convert::text_to_real_prefix(t) != 0.0),
            Value::Timestamp(t) => Some(*t != 0),
            Value::Blob(b) => Some(crate::storage::convert::text_to_real_prefix(&String::from_utf8_lossy(b)) != 0.0),
        }
    }
}

/// A number as values compare them (booleans are integers here).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Real(f64),
}

impl Num {
    /// The order `Value::total_cmp` gives two numbers.
    #[inline]
    pub(crate) fn cmp(self, other: Num) -> Ordering {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.cmp(&b),
            (Num::Real(a), Num::Real(b)) => a.total_cmp(&b),
            (Num::Int(a), Num::Real(b)) => int_real_cmp(a, b),
            (Num::Real(a), Num::Int(b)) => int_real_cmp(b, a).reverse(),
        }
    }
}

/// Compares an integer with a real without losing precision for large integers.
fn int_real_cmp(i: i64, r: f64) -> Ordering {
    if r.is_nan() {
        return Ordering::Greater;
    }
    let as_real = i as f64;
    match as_real.partial_cmp(&r) {
        Some(Ordering::Equal) if r > -9.2e18 && r < 9.2e18 => i.cmp(&(r as i64)),
        Some(ord) => ord,
        None => Ordering::Equal,
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.total_cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        self.total_cmp(other)
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => 0u8.hash(state),
            Value::Integer(i) => i.hash(state),
            Value::Boolean(b) => (*b as i64).hash(state),
            Value::Real(r) => {
                if r.fract() == 0.0 && *r >= -9.2e18 && *r <= 9.2e18 {
                    (*r as i64).hash(state)
                } else {
                    r.to_bits().hash(state)
                }
            }
            Value::Text(t) => t.hash(state),
            Value::Timestamp(t) => {
                2u8.hash(state);
                t.hash(state)
            }
            Value::Blob(b) => {
                4u8.hash(state);
                b.hash(state)
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => f.write_str(&format_real(*r)),
            Value::Text(t) => f.write_str(t),
            Value::Boolean(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Timestamp(t) => f.write_str(&time::format_timestamp(*t)),
            // As SQLite's shell prints a blob: its bytes as text.
            Value::Blob(b) => f.write_str(&String::from_utf8_lossy(b)),
        }
    }
}

/// Bytes in hexadecimal, two upper-case digits each (SQLite's `hex()`).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Formats a real the way SQLite prints it: 15 significant digits, always with a
/// decimal point or an exponent so that it reads back as a real.
pub fn format_real(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    if r == 0.0 {
        return "0.0".into();
    }
    let sci = format!("{:.14e}", r);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-5..15).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push_str(&format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_print_like_sqlite() {
        assert_eq!(format_real(3.5), "3.5");
        assert_eq!(format_real(1.0), "1.0");
        assert_eq!(format_real(0.1 + 0.2), "0.3");
        assert_eq!(format_real(-2.25), "-2.25");
        assert_eq!(format_real(1e20), "1.0e+20");
        assert_eq!(format_real(1.5e-7), "1.5e-07");
        assert_eq!(format_real(0.001), "0.001");
        assert_eq!(format_real(123456789012345.0), "123456789012345.0");
    }

    #[test]
    fn numbers_compare_across_types() {
        assert_eq!(Value::Integer(1), Value::Real(1.0));
        assert_eq!(Value::Boolean(true), Value::Integer(1));
        assert!(Value::Integer(2) > Value::Real(1.5));
        assert!(Value::Null < Value::Integer(i64::MIN));
        assert!(Value::Integer(i64::MAX) < Value::text(""));
        assert!(Value::Integer(i64::MAX) > Value::Real(9.2e18));
    }

    #[test]
    fn null_comparisons_are_unknown() {
        assert_eq!(Value::Null.sql_cmp(&Value::Integer(1)), None);
        assert_eq!(Value::Null.truth(), None);
        assert_eq!(Value::text("abc").truth(), Some(false));
        assert_eq!(Value::text("2x").truth(), Some(true));
    }
}
