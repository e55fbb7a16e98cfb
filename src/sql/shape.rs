//! The shape of a statement: its text with the literal values taken out.
//!
//! Statements sent as text often differ only in their values (`… WHERE id = 17`, then
//! `… WHERE id = 18`; a bulk load's `INSERT … VALUES (…)` batches). [`shape`] replaces
//! such literals with `?` and returns their values, so that every statement of one
//! shape shares one cached plan and skips the parser; the values run as parameters.
//!
//! Only literals whose replacement cannot change what the statement means are taken:
//! - only in `SELECT`, `INSERT`, `REPLACE`, `UPDATE` and `DELETE`, and only once the
//!   statement's own `FROM`, `WHERE`, `VALUES` or `SET` has begun, so result column
//!   names (taken from the text of the select list) stay as written;
//! - nothing from the first `ORDER`, `GROUP`, `LIMIT`, `OFFSET`, `OF`, `WITH`, `LIKE`,
//!   `GLOB`, `COLLATE`, `ESCAPE`, `RETURNING` or `DEFAULT` on, where a literal can be an
//!   ordinal, a bound the planner reads, a pattern it turns into an index range, or not
//!   an expression at all;
//! - a number right after a `-` that is a unary minus (after an operator, `(`, `,` or a
//!   keyword) is taken with its sign, as one negative value: the minus binds tighter
//!   than any operator, so `-5` is a value as `5` is (and `-9223372036854775808` is the
//!   smallest integer, as the parser reads it); after a binary minus (`a - 5`) the
//!   number alone is taken. A negation that does not fit (`-0x8000000000000000`) stays;
//! - no number glued to a name character.
//!
//! A statement with parameters of its own, a blob literal, or nothing to take gives
//! `None`, and so does anything the scanner does not follow; the caller then parses the
//! text as written. The caller also falls back to the text when the shape does not plan,
//! so errors are always those of the statement as written.

use super::parser::{parse_number, unquote_string};
use crate::storage::Value;

/// A statement's text with `?` for each literal taken out, and their values in order.
#[derive(Debug, PartialEq)]
pub struct Shape {
    pub text: String,
    pub values: Vec<Value>,
}

const KINDS: &[&str] = &["select", "insert", "replace", "update", "delete"];
const STARTS: &[&str] = &["from", "where", "values", "set"];
const STOPS: &[&str] =
    &["order", "group", "limit", "offset", "of", "with", "like", "glob", "collate", "escape", "returning", "default"];

/// The statement's shape, when it has literals that can be taken out.
pub fn shape(sql: &str) -> Option<Shape> {
    let bytes = sql.as_bytes();
    // The shape is built only once a literal is taken: `text` holds `sql` up to `copied`
    // with `?` for each literal taken so far.
    let mut text = String::new();
    let mut copied = 0;
    let mut values = Vec::new();
    let mut take = |value: Value, start: usize, end: usize, text: &mut String| {
        text.push_str(&sql[copied..start]);
        text.push('?');
        copied = end;
        values.push(value);
    };
    let (mut i, mut depth) = (0usize, 0i32);
    let (mut first_word, mut taking, mut stopped) = (true, false, false);
    // The last byte that was not white space or a comment, to tell a negative number.
    let mut last_significant = 0u8;
    // `IS [NOT] DISTINCT FROM` is an operator, not the start of a FROM clause.
    let mut after_distinct = false;
    // The last word, when the last token was one (a keyword before `-` makes it unary).
    let mut last_word: Option<&str> = None;
    // Where the last token, a `-`, began, when it is a unary minus.
    let mut unary_minus: Option<usize> = None;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        match b {
            b' ' | b'\t'..=b'\r' => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'\'' => {
                i = end_of_quoted(bytes, i, b'\'')?;
                if taking && !stopped {
                    take(Value::text(&unquote_string(&sql[start..i])), start, i, &mut text);
                }
            }
            b'"' | b'`' => i = end_of_quoted(bytes, i, b)?,
            b'[' => i = sql[i..].find(']').map(|n| i + n + 1)?,
            b'0'..=b'9' | b'.' if b != b'.' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = end_of_number(bytes, i);
                if bytes.get(i).is_some_and(|&c| is_name_char(c) || c == b'.') {
                    return None;
                }
                if taking && !stopped {
                    let digits = &sql[start..i];
                    match unary_minus {
                        Some(minus) => {
                            if let Some(v) = negated(digits) {
                                take(v, minus, i, &mut text);
                            }
                        }
                        None => take(parse_number(digits, 0).ok()?, start, i, &mut text),
                    }
                }
            }
            b'?' | b'$' | b':' | b'@' | b'#' => return None,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && is_name_char(bytes[i]) {
                    i += 1;
                }
                let word = &sql[start..i];
                if bytes.get(i) == Some(&b'\'') {
                    // X'…' (a blob) or another prefixed string.
                    return None;
                }
                let is = |set: &[&str]| set.iter().any(|w| word.eq_ignore_ascii_case(w));
                if first_word {
                    if !is(KINDS) {
                        return None;
                    }
                    first_word = false;
                } else if is(STOPS) {
                    stopped = true;
                } else if depth == 0 && is(STARTS) && !after_distinct {
                    taking = true;
                }
                after_distinct = word.eq_ignore_ascii_case("distinct");
                last_word = Some(word);
                last_significant = bytes[i - 1];
                unary_minus = None;
                continue;
            }
            b'-' => {
                let unary = match last_significant {
                    0 | b'(' | b',' | b'=' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'|' | b'&' | b'~'
                    | b'!' => true,
                    _ => last_word.is_some_and(|w| UNARY_AFTER.iter().any(|k| w.eq_ignore_ascii_case(k))),
                };
                i += 1;
                last_significant = b'-';
                last_word = None;
                unary_minus = unary.then_some(start);
                continue;
            }
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
            }
            // Any other character outside quotes, whole (it may take several bytes).
            _ => i += sql[i..].chars().next().map_or(1, char::len_utf8),
        }
        last_significant = bytes[i - 1];
        last_word = None;
        unary_minus = None;
    }
    if values.is_empty() {
        return None;
    }
    text.push_str(&sql[copied..]);
    Some(Shape { text, values })
}

/// Keywords after which a `-` is a sign, not a subtraction.
const UNARY_AFTER: &[&str] = &[
    "and", "or", "not", "where", "set", "values", "select", "between", "when", "then", "else", "is", "in", "on",
    "case", "distinct", "all", "having", "return",
];

/// The value of a number literal with a minus before it, as the parser reads `-digits`;
/// `None` when the negation does not fit (it is left in the text).
fn negated(digits: &str) -> Option<Value> {
    if digits == "9223372036854775808" {
        return Some(Value::Integer(i64::MIN));
    }
    match parse_number(digits, 0).ok()? {
        Value::Integer(i) => i.checked_neg().map(Value::Integer),
        Value::Real(r) => Some(Value::Real(-r)),
        _ => None,
    }
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

/// The index just past a quoted token opening at `i` (a doubled quote stands for one).
fn end_of_quoted(bytes: &[u8], mut i: usize, quote: u8) -> Option<usize> {
    i += 1;
    loop {
        match bytes.get(i)? {
            &c if c == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
}

/// The index just past a number starting at `i`: digits, a fraction, an exponent, or a
/// hexadecimal `0x…`.
fn end_of_number(bytes: &[u8], mut i: usize) -> usize {
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    if bytes[i] == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
        i += 2;
        while bytes.get(i).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        }
        return i;
    }
    i = digits(i);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(sql: &str) -> Option<(String, Vec<Value>)> {
        shape(sql).map(|s| (s.text, s.values))
    }

    #[test]
    fn values_and_conditions_are_taken() {
        assert_eq!(
            taken("INSERT INTO t VALUES(0, 96, 49.43, 'it''s', -5, NULL)"),
            Some((
                "INSERT INTO t VALUES(?, ?, ?, ?, ?, NULL)".into(),
                vec![
                    Value::Integer(0),
                    Value::Integer(96),
                    Value::Real(49.43),
                    Value::text("it's"),
                    Value::Integer(-5)
                ]
            ))
        );
        assert_eq!(
            taken("SELECT name FROM t WHERE id = 0x10 AND x > 1e3"),
            Some(("SELECT name FROM t WHERE id = ? AND x > ?".into(), vec![Value::Integer(16), Value::Real(1000.0)]))
        );
        assert_eq!(
            taken("UPDATE t SET a = 'b' WHERE id = 2"),
            Some(("UPDATE t SET a = ? WHERE id = ?".into(), vec![Value::text("b"), Value::Integer(2)]))
        );
    }

    /// Statements that differ only in the sign of a value share one shape, so a load of
    /// negative numbers plans once (it made a new plan per statement before).
    #[test]
    fn signed_numbers_are_taken_with_their_sign() {
        assert_eq!(
            taken("INSERT INTO t VALUES (-1, - 2.5, -9223372036854775808, -0x10)"),
            Some((
                "INSERT INTO t VALUES (?, ?, ?, ?)".into(),
                vec![Value::Integer(-1), Value::Real(-2.5), Value::Integer(i64::MIN), Value::Integer(-16)]
            ))
        );
        assert_eq!(
            taken("SELECT a FROM t WHERE a > -5 AND -3 < b AND c = a - 2 AND d = (-1) * -e"),
            Some((
                "SELECT a FROM t WHERE a > ? AND ? < b AND c = a - ? AND d = (?) * -e".into(),
                vec![Value::Integer(-5), Value::Integer(-3), Value::Integer(2), Value::Integer(-1)]
            ))
        );
        assert_eq!(
            taken("UPDATE t SET a = a-1, b = -1 WHERE id = --x\n-7"),
            Some((
                "UPDATE t SET a = a-?, b = ? WHERE id = --x\n?".into(),
                vec![Value::Integer(1), Value::Integer(-1), Value::Integer(-7)]
            ))
        );
        // A negation that does not fit stays as written.
        assert_eq!(taken("SELECT a FROM t WHERE a = -0x8000000000000000"), None);
        let one = taken("INSERT INTO t VALUES (1, -2, 'x')").unwrap().0;
        assert_eq!(one, taken("INSERT INTO t VALUES (-1, 2, 'y')").unwrap().0);
    }

    #[test]
    fn literals_that_name_or_steer_stay() {
        // The select list names the result columns.
        assert_eq!(
            taken("SELECT 1 + 2, (SELECT 3 FROM u WHERE v = 4) FROM t WHERE a = 5"),
            Some(("SELECT 1 + 2, (SELECT 3 FROM u WHERE v = 4) FROM t WHERE a = ?".into(), vec![Value::Integer(5)]))
        );
        // Ordinals, limits, patterns and everything after them stay as written.
        assert_eq!(
            taken("SELECT a IS DISTINCT FROM 1 AS d FROM t WHERE b = 2"),
            Some(("SELECT a IS DISTINCT FROM 1 AS d FROM t WHERE b = ?".into(), vec![Value::Integer(2)]))
        );
        assert_eq!(
            taken("SELECT a FROM t WHERE b = 1 ORDER BY 1 LIMIT 2"),
            Some(("SELECT a FROM t WHERE b = ? ORDER BY 1 LIMIT 2".into(), vec![Value::Integer(1)]))
        );
        assert_eq!(taken("SELECT a FROM t WHERE b LIKE 'x%' AND c = 1"), None);
        assert_eq!(taken("SELECT * FROM t AS OF VERSION 3 WHERE a = 1"), None);
        assert_eq!(taken("INSERT INTO t VALUES (1) WITH TTL '1 minute'").map(|s| s.1.len()), Some(1));
        // Names with digits, quoted names, comments.
        assert_eq!(
            taken("SELECT col1 FROM \"tab 1\" -- 5\n WHERE [c 2] = 'x' /* 6 */"),
            Some(("SELECT col1 FROM \"tab 1\" -- 5\n WHERE [c 2] = ? /* 6 */".into(), vec![Value::text("x")]))
        );
    }

    #[test]
    fn what_it_does_not_follow_is_left_to_the_parser() {
        for sql in [
            "SELECT a FROM t WHERE id = ?",
            "SELECT a FROM t WHERE id = $1",
            "SELECT a FROM t WHERE b = X'00'",
            "SELECT a FROM t WHERE b = 12abc",
            "SELECT a FROM t WHERE b = 'unterminated",
            "CREATE TABLE t (a INTEGER DEFAULT 5)",
            "EXPLAIN SELECT a FROM t WHERE b = 1",
            "SELECT a FROM t",
            "",
        ] {
            assert_eq!(taken(sql), None, "{sql}");
        }
    }
}
