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

/// Keywords a statement begins with: the only ones offered at its start.
const STARTS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "DROP",
    "ALTER",
    "WITH",
    "VALUES",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "EXPLAIN",
    "USE",
    "CHECKPOINT",
    "BACKUP",
    "DIFF",
    "RESTORE",
];

/// Words after which a table's name stands.
const BEFORE_TABLE: &[&str] = &["FROM", "JOIN", "INTO", "UPDATE", "TABLE", "EXISTS"];

/// The tables and views the completer offers, each with its columns; refreshed after
/// each statement.
#[derive(Clone, Default)]
pub struct Names(Arc<Mutex<Vec<TableNames>>>);

/// A table's (or view's) name and its columns' names.
pub type TableNames = (String, Vec<String>);

impl Names {
    pub fn set(&self, names: Vec<(String, Vec<String>)>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = names;
    }

    fn get(&self) -> Vec<(String, Vec<String>)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

pub struct AmberHelper {
    pub names: Names,
    pub color: bool,
    pub files: rustyline::completion::FilenameCompleter,
}

impl AmberHelper {
    pub fn new(names: Names, color: bool) -> AmberHelper {
        AmberHelper { names, color, files: rustyline::completion::FilenameCompleter::new() }
    }
}

/// The words of a line, outside quotes, upper-cased keywords left as written.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).filter(|w| !w.is_empty()).collect()
}

/// Table names the statement refers to, by the name or alias it uses: `FROM players
/// p` gives `p → players` and `players → players`.
fn aliases(line: &str, tables: &[(String, Vec<String>)]) -> Vec<(String, String)> {
    let ws = words(line);
    let mut out = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let Some((table, _)) = tables.iter().find(|(t, _)| t.eq_ignore_ascii_case(w)) else { continue };
        out.push((w.to_string(), table.clone()));
        let mut next = ws.get(i + 1).copied();
        if next.is_some_and(|n| n.eq_ignore_ascii_case("AS")) {
            next = ws.get(i + 2).copied();
        }
        if let Some(alias) = next {
            let keyword = KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(alias))
                || ["JOIN", "ON", "LEFT", "INNER", "CROSS", "USING", "NATURAL"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(alias));
            if !keyword {
                out.push((alias.to_string(), table.clone()));
            }
        }
    }
    out
}

fn choices(cmd: &str) -> &'static [&'static str] {
    match cmd {
        ".headers" | ".header" | ".echo" | ".bail" | ".changes" | ".timer" => &["on", "off"],
        ".pager" | ".expanded" => &["on", "off", "auto"],
        ".mode" => {
            &["box", "table", "column", "csv", "json", "jsonl", "markdown", "html", "line", "list", "tabs", "insert"]
        }
        _ => &[],
    }
}

impl Completer for AmberHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos].rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).map_or(0, |i| i + 1);
        let word = &line[start..pos];
        let lower = word.to_ascii_lowercase();
        let mut out: Vec<Pair> = Vec::new();
        let mut offer = |candidate: String| {
            if candidate.to_ascii_lowercase().starts_with(&lower) && !out.iter().any(|p| p.replacement == candidate) {
                out.push(Pair { display: candidate.clone(), replacement: candidate });
            }
        };
        // Dot-commands, and then their arguments.
        if line.trim_start().starts_with('.') {
            let trimmed = line[..pos].trim_start();
            let Some((cmd, _)) = trimmed.split_once(char::is_whitespace) else {
                super::dot::COMMANDS.iter().for_each(|c| offer(c.to_string()));
                return Ok((start, out));
            };
            if [".read", ".import", ".output", ".once", ".open", ".export"].contains(&cmd) {
                return self.files.complete(line, pos, ctx);
            }
            choices(cmd).iter().for_each(|c| offer(c.to_string()));
            if [".schema", ".indexes"].contains(&cmd) {
                self.names.get().into_iter().for_each(|(t, _)| offer(t));
            }
            return Ok((start, out));
        }
        let tables = self.names.get();
        let before = &line[..start];
        let previous = words(before).last().map(|w| w.to_ascii_uppercase());
        // `p.na` → the columns of the table `p` names.
        if let Some((qualifier, _)) = word.rsplit_once('.') {
            let found = aliases(line, &tables);
            let table = found
                .iter()
                .find(|(a, _)| a.eq_ignore_ascii_case(qualifier))
                .map(|(_, t)| t.clone())
                .or_else(|| tables.iter().find(|(t, _)| t.eq_ignore_ascii_case(qualifier)).map(|(t, _)| t.clone()));
            if let Some((_, columns)) = table.and_then(|t| tables.iter().find(|(n, _)| *n == t)) {
                columns.iter().for_each(|c| offer(format!("{qualifier}.{c}")));
            }
            return Ok((start, out));
        }
        // A table's place: tables and views, even for an empty prefix.
        if previous.as_deref().is_some_and(|p| BEFORE_TABLE.contains(&p))
            || before.trim_end().ends_with(',') && {
                let up = before.to_ascii_uppercase();
                up.rfind("FROM").is_some_and(|f| up.rfind("WHERE").is_none_or(|w| w < f))
            }
        {
            tables.iter().for_each(|(t, _)| offer(t.clone()));
            return Ok((start, out));
        }
        // The columns of the statement's tables first, then every name.
        let mentioned = aliases(line, &tables);
        for (_, t) in &mentioned {
            if let Some((_, columns)) = tables.iter().find(|(n, _)| n == t) {
                columns.iter().for_each(|c| offer(c.clone()));
            }
        }
        if word.is_empty() {
            return Ok((start, out));
        }
        for (t, columns) in &tables {
            offer(t.clone());
            columns.iter().for_each(|c| offer(c.clone()));
        }
        let lowercase = word.chars().next().is_some_and(|c| c.is_lowercase());
        let at_start = only_space_and_comments(before) || before.trim_end().ends_with(';');
        let keywords = if at_start { STARTS } else { KEYWORDS };
        for k in keywords {
            offer(if lowercase { k.to_ascii_lowercase() } else { k.to_string() });
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
        names.set(vec![
            ("players".into(), vec!["player_id".into(), "name".into(), "score".into()]),
            ("teams".into(), vec!["team_id".into(), "title".into()]),
        ]);
        let helper = AmberHelper::new(names, false);
        let history = rustyline::history::DefaultHistory::new();
        let ctx = Context::new(&history);
        let complete = |line: &str| {
            let (start, pairs) = helper.complete(line, line.len(), &ctx).unwrap();
            (start, pairs.into_iter().map(|p| p.replacement).collect::<Vec<_>>())
        };
        assert_eq!(complete("SEL"), (0, vec!["SELECT".to_string()]));
        // At a statement's start only the words that begin one.
        assert_eq!(complete("wh"), (0, vec![]));
        assert_eq!(complete("wi"), (0, vec!["with".to_string()]));
        assert_eq!(complete("select * from pla"), (14, vec!["players".to_string()]));
        // An empty prefix where a table goes lists the tables.
        assert_eq!(complete("SELECT * FROM "), (14, vec!["players".to_string(), "teams".to_string()]));
        assert_eq!(complete("SELECT * FROM players, "), (23, vec!["players".to_string(), "teams".to_string()]));
        // Qualified by a table or by an alias.
        assert_eq!(complete("SELECT players.na"), (7, vec!["players.name".to_string()]));
        assert_eq!(
            helper
                .complete("SELECT p.na FROM players p", 11, &ctx)
                .unwrap()
                .1
                .into_iter()
                .map(|p| p.replacement)
                .collect::<Vec<_>>(),
            vec!["p.name".to_string()]
        );
        let at = |line: &str, pos: usize| -> Vec<String> {
            helper.complete(line, pos, &ctx).unwrap().1.into_iter().map(|p| p.replacement).collect()
        };
        assert_eq!(at("SELECT t.ti FROM teams AS t", 11), vec!["t.title".to_string()]);
        // The statement's own tables' columns come first.
        assert_eq!(complete("SELECT * FROM teams WHERE t").1[0], "team_id");
        assert_eq!(complete(".ta"), (0, vec![".tables".to_string()]));
        assert_eq!(complete(".mode c"), (6, vec!["column".to_string(), "csv".to_string()]));
        assert_eq!(complete(".headers o"), (9, vec!["on".to_string(), "off".to_string()]));
        assert_eq!(complete(".schema te"), (8, vec!["teams".to_string()]));
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
