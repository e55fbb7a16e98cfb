//! Syntax errors in words: what was expected, after which token, and what was found
//! instead (never pest rule names); and the limits that keep deeply nested input from
//! exhausting the stack.

use super::parser::Rule;
use crate::error::{Error, ErrorKind, Result};

/// How deeply parentheses and `CASE … END` may nest in one statement.
pub const MAX_NESTING: usize = 100;
/// How many operators one expression (between commas) may chain.
const MAX_CHAIN: usize = 1000;

fn too_deep(offset: usize) -> Error {
    let message = format!("expression nested too deeply (more than {MAX_NESTING} levels of parentheses or CASE)");
    ErrorKind::Parse { message, offset }.into()
}

/// Refuses statements whose expressions nest or chain so deeply that parsing and
/// evaluating them would exhaust the stack. A lexical pass, before pest runs: it skips
/// quoted text and comments (an apostrophe in a comment opens nothing), and counts
/// each `(` and each `CASE` as a level, each `)` and `END` as the end of one.
pub(super) fn check_depth(sql: &str) -> Result<()> {
    let b = sql.as_bytes();
    let (mut depth, mut chain, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_deep(i));
                }
            }
            b')' => depth = depth.saturating_sub(1),
            b',' | b';' => chain = 0,
            b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' | b'=' | b'|' | b'&' | b'~' | b'!' => chain += 1,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end =
                    b[i..].iter().position(|c| !c.is_ascii_alphanumeric() && *c != b'_').map_or(b.len(), |n| i + n);
                let word = &sql[i..end];
                if ["and", "or", "not", "is", "like", "between", "in"].iter().any(|k| word.eq_ignore_ascii_case(k)) {
                    chain += 1;
                } else if word.eq_ignore_ascii_case("case") {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(too_deep(i));
                    }
                } else if word.eq_ignore_ascii_case("end") {
                    depth = depth.saturating_sub(1);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        if chain > MAX_CHAIN {
            let message = format!("expression too long (more than {MAX_CHAIN} operators in a row)");
            return Err(ErrorKind::Parse { message, offset: i }.into());
        }
        i += 1;
    }
    Ok(())
}

/// What a grammar rule stands for, in words a user knows.
fn describe(rule: Rule) -> String {
    let name = format!("{rule:?}");
    if let Some(kw) = name.strip_prefix("K_") {
        return format!("`{kw}`");
    }
    match rule {
        Rule::EOI => "the end of the statement",
        Rule::rparen => "`)`",
        Rule::ident
        | Rule::bare_ident
        | Rule::quoted_ident
        | Rule::table_ref
        | Rule::qname
        | Rule::column_list
        | Rule::from_term
        | Rule::paren_join
        | Rule::derived => "a name",
        Rule::number | Rule::decimal | Rule::hex_number | Rule::signed_number => "a number",
        Rule::string => "a string",
        Rule::type_word | Rule::type_name => "a type name",
        Rule::expr
        | Rule::bound
        | Rule::literal
        | Rule::param
        | Rule::case_expr
        | Rule::cast_expr
        | Rule::func_call
        | Rule::name_ref
        | Rule::paren_expr
        | Rule::subquery
        | Rule::exists_expr
        | Rule::op_neg
        | Rule::op_not
        | Rule::op_pos
        | Rule::op_bitnot
        | Rule::null
        | Rule::true_lit
        | Rule::false_lit
        | Rule::expr_list => "an expression",
        Rule::statement
        | Rule::select_stmt
        | Rule::insert_stmt
        | Rule::update_stmt
        | Rule::delete_stmt
        | Rule::create_table
        | Rule::drop_table
        | Rule::explain_stmt
        | Rule::begin_stmt
        | Rule::commit_stmt
        | Rule::rollback_stmt => "a statement (SELECT, INSERT, UPDATE, DELETE, CREATE, DROP…)",
        Rule::result_cols | Rule::result_col | Rule::star | Rule::table_star => "a column or `*`",
        Rule::order_dir => "ASC or DESC",
        Rule::alias => "an alias",
        // `AS OF …` or `FOR SYSTEM_TIME AS OF …` after a table: the same `AS` an alias
        // may start with.
        Rule::as_of => "`AS`",
        Rule::option_off => "`OFF`",
        Rule::system_time_range => "`FOR`",
        Rule::column_def | Rule::table_constraint => "a column definition",
        _ if name.starts_with("op_") => "an operator",
        _ => "more input",
    }
    .to_string()
}

/// The token that ends just before `offset`, if any.
fn token_before(sql: &str, offset: usize) -> Option<&str> {
    let head = sql[..offset].trim_end();
    let last = head.chars().last()?;
    if last.is_alphanumeric() || last == '_' {
        let start = head
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        Some(&head[start..])
    } else {
        Some(&head[head.len() - last.len_utf8()..])
    }
}

/// The token that starts at `offset`, or `None` at the end.
fn token_at(sql: &str, offset: usize) -> Option<&str> {
    let rest = &sql[offset..];
    let first = rest.chars().next()?;
    if first.is_alphanumeric() || first == '_' {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        Some(&rest[..end])
    } else {
        Some(&rest[..first.len_utf8()])
    }
}

/// Where a string (or a quoted name) opens that never closes, and which quote it is.
fn unterminated(sql: &str) -> Option<(usize, u8)> {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                let start = i;
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Some((start, q)),
                        // A doubled quote stands for one.
                        Some(&c) if c == q && b.get(i + 1) == Some(&q) => i += 2,
                        Some(&c) if c == q => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

pub(super) fn syntax_error(sql: &str, e: pest::error::Error<Rule>) -> Error {
    if let Some((offset, quote)) = unterminated(sql) {
        let what = if quote == b'\'' { "string" } else { "quoted name" };
        let message = format!("unterminated {what} starting here (no closing {})", quote as char);
        return ErrorKind::Parse { message, offset }.into();
    }
    let offset = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let mut wanted: Vec<String> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            let d = describe(*r);
            if !wanted.contains(&d) {
                wanted.push(d);
            }
        }
    }
    // An operator is always possible after an operand, and every expression may start
    // with a name or a keyword: say only what tells the reader something.
    const OPERATOR_WORDS: &[&str] =
        &["an operator", "more input", "`AND`", "`OR`", "`IS`", "`ISNULL`", "`NOTNULL`", "`LIKE`", "`BETWEEN`", "`IN`"];
    const EXPRESSION_STARTS: &[&str] =
        &["a name", "`CASE`", "`CAST`", "`NOT`", "`NULL`", "`TRUE`", "`FALSE`", "`EXISTS`"];
    if wanted.iter().any(|w| w == "an expression") {
        wanted.retain(|w| !EXPRESSION_STARTS.contains(&w.as_str()));
    }
    if wanted.iter().any(|w| !OPERATOR_WORDS.contains(&w.as_str()) && w != "`NOT`") {
        wanted.retain(|w| !OPERATOR_WORDS.contains(&w.as_str()) && w != "`NOT`");
    }
    let expected = match wanted.as_slice() {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    let found = match token_at(sql, offset) {
        Some(t) => format!("found `{t}`"),
        None => "found the end of the statement".to_string(),
    };
    let message = match token_before(sql, offset) {
        Some(prev) => format!("expected {expected} after `{prev}`, {found}"),
        None => format!("expected {expected}, {found}"),
    };
    ErrorKind::Parse { message, offset }.into()
}
