//! The rustyline helper: completion of keywords, tables and columns; highlighting of
//! keywords, strings and numbers; and the rule that a statement goes on until `;`.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use owo_colors::OwoColorize;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use crate::{only_space_and_comments, split};

pub const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "AND",
    "OR",
    "NOT",
    "AS",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "CREATE",
    "DROP",
    "TABLE",
    "IF",
    "EXISTS",
    "PRIMARY",
    "KEY",
    "UNIQUE",
    "DEFAULT",
    "CHECK",
    "CONSTRAINT",
    "NULL",
    "IS",
    "IN",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "ALL",
    "CAST",
    "TRUE",
    "FALSE",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "TRANSACTION",
    "EXPLAIN",
    "VIEW",
    "TRIGGER",
    "BEFORE",
    "AFTER",
    "INSTEAD",
    "EACH",
    "ROW",
    "RAISE",
    "CHECKPOINT",
    "BACKUP",
    "INTEGER",
    "REAL",
    "TEXT",
    "BOOLEAN",
    "TIMESTAMP",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "TOTAL",
    "GROUP_CONCAT",
    "COALESCE",
    "IFNULL",
    "NULLIF",
    "ABS",
    "LENGTH",
    "LOWER",
    "UPPER",
    "SUBSTR",
    "TRIM",
    "ROUND",
    "TYPEOF",
    "NOW",
];

const DOT_COMMANDS: &[&str] = &[
    ".check",
    ".collections",
    ".diff",
    ".dump",
    ".export",
    ".import",
    ".exit",
    ".headers",
    ".help",
    ".indexes",
    ".mode",
    ".quit",
    ".read",
    ".schema",
    ".session",
    ".snapshots",
    ".tables",
    ".timer",
];

/// Names the completer offers besides keywords; refreshed after each statement.
#[derive(Clone, Default)]
pub struct Names(Arc<Mutex<Vec<String>>>);

impl Names {
    pub fn set(&self, names: Vec<String>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = names;
    }

    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

pub struct AmberHelper {
    pub names: Names,
    pub color: bool,
}

impl Completer for AmberHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos].rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).map_or(0, |i| i + 1);
        let word = &line[start..pos];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let lower = word.to_ascii_lowercase();
        let mut out: Vec<Pair> = Vec::new();
        let mut offer = |candidate: String| {
            if candidate.to_ascii_lowercase().starts_with(&lower) && !out.iter().any(|p| p.replacement == candidate) {
                out.push(Pair { display: candidate.clone(), replacement: candidate });
            }
        };
        if word.starts_with('.') {
            DOT_COMMANDS.iter().for_each(|c| offer(c.to_string()));
        } else {
            self.names.get().into_iter().for_each(&mut offer);
            let lowercase = word.chars().next().is_some_and(|c| c.is_lowercase());
            for k in KEYWORDS {
                offer(if lowercase { k.to_ascii_lowercase() } else { k.to_string() });
            }
        }
        Ok((start, out))
    }
}

impl Hinter for AmberHelper {
    type Hint = String;
}

/// Colors keywords, strings and numbers; the result has the same width as the input.
pub fn highlight_sql(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            let mut end = line.len();
            while let Some((j, d)) = chars.next() {
                if d == '\'' {
                    if chars.peek().map(|p| p.1) == Some('\'') {
                        chars.next();
                        continue;
                    }
                    end = j + 1;
                    break;
                }
            }
            out.push_str(&(&line[i..end]).green().to_string());
        } else if c == '-' && line[i..].starts_with("--") {
            out.push_str(&(&line[i..]).dimmed().to_string());
            break;
        } else if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '.' {
                    chars.next();
                    end = j + d.len_utf8();
                } else {
                    break;
                }
            }
            out.push_str(&(&line[i..end]).yellow().to_string());
        } else if c.is_alphabetic() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '_' {
                    chars.next();
                    end = j + d.len_utf8();
                } else {
                    break;
                }
            }
            let word = &line[i..end];
            if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
                out.push_str(&word.blue().bold().to_string());
            } else {
                out.push_str(word);
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Highlighter for AmberHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color || line.trim_start().starts_with('.') {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight_sql(line))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

/// True when the input so far ends inside a statement (no closing `;` yet).
pub fn is_incomplete(input: &str) -> bool {
    if input.trim_start().starts_with('.') {
        return false;
    }
    split(input).last().is_some_and(|p| !p.is_dot && !p.terminated && !only_space_and_comments(p.text))
}

/// Every line is accepted as typed: the shell joins lines into statements itself, so
/// that continuation lines get their own prompt.
impl Validator for AmberHelper {
    fn validate(&self, _ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(ValidationResult::Valid(None))
    }
}

impl Helper for AmberHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_keywords_tables_and_columns() {
        let names = Names::default();
        names.set(vec!["players".into(), "player_id".into(), "score".into()]);
        let helper = AmberHelper { names, color: false };
        let history = rustyline::history::DefaultHistory::new();
        let ctx = Context::new(&history);
        let complete = |line: &str| {
            let (start, pairs) = helper.complete(line, line.len(), &ctx).unwrap();
            (start, pairs.into_iter().map(|p| p.replacement).collect::<Vec<_>>())
        };
        assert_eq!(complete("SEL"), (0, vec!["SELECT".to_string()]));
        assert_eq!(complete("select * from pla"), (14, vec!["players".to_string(), "player_id".to_string()]));
        assert_eq!(complete("SELECT sc"), (7, vec!["score".to_string()]));
        assert_eq!(complete(".ta"), (0, vec![".tables".to_string()]));
        assert_eq!(complete("where"), (0, vec!["where".to_string()]));
    }

    #[test]
    fn statements_continue_until_a_semicolon() {
        assert!(is_incomplete("SELECT 1"));
        assert!(is_incomplete("SELECT ';'"));
        assert!(!is_incomplete("SELECT 1;"));
        assert!(!is_incomplete(".tables"));
        assert!(!is_incomplete(""));
        assert!(!is_incomplete("-- just a comment"));
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let plain = "SELECT 'a''b', 12 FROM t -- note";
        let colored = highlight_sql(plain);
        let stripped: String = strip_ansi(&colored);
        assert_eq!(stripped, plain);
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut in_escape = false;
        for c in s.chars() {
            match (in_escape, c) {
                (false, '\x1b') => in_escape = true,
                (true, 'm') => in_escape = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }
}
