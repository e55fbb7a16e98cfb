//! Text to AST: pest parses with `grammar/amber.pest`, and this module turns its pairs
//! into the typed tree of [`super::ast`]. No pest type leaves this folder.
//!
//! - `statement` — which statement a parse is, and the small ones (DROP, BEGIN, snapshots)
//! - `select` — queries: compound selects, FROM, joins, result columns, ORDER BY
//! - `dml` — INSERT, UPDATE, DELETE
//! - `ddl` — CREATE TABLE, its columns and constraints, CREATE TRIGGER
//! - `expr` — expressions, folded by precedence with pest's Pratt parser (SQLite's
//!   precedence table), literals and parameters
//!
//! This file holds the entry points and the helpers every part uses (names, versions).

mod ddl;
mod dml;
mod expr;
mod select;
mod statement;

use std::cell::Cell;

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use crate::error::{ErrorKind, Result};
use crate::storage::{AsOf, Value};

pub(crate) use expr::parse_number;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/amber.pest"]
pub(super) struct AmberParser;

/// Parses one statement (an optional trailing `;` is allowed).
pub fn parse(sql: &str) -> Result<Statement> {
    super::syntax::check_depth(sql)?;
    let mut pairs = AmberParser::parse(Rule::statement, sql).map_err(|e| super::syntax::syntax_error(sql, e))?;
    let statement = pairs.next().expect("the statement rule always yields one pair");
    let stmt = statement.into_inner().next().expect("a statement holds one stmt");
    Builder { next_param: Cell::new(0) }.statement(stmt)
}

/// Parses a lone expression (for tests and for CHECK constraints kept as text).
pub fn parse_expr(sql: &str) -> Result<Expr> {
    let stmt = parse(&format!("SELECT {sql}"))?;
    match stmt {
        Statement::Select(s) if s.from.is_empty() && s.columns.len() == 1 => match s.columns.into_iter().next() {
            Some(SelectItem::Expr { expr, alias: None, .. }) => Ok(expr),
            _ => Err(ErrorKind::Parse { message: "expected one expression".into(), offset: 0 }.into()),
        },
        _ => Err(ErrorKind::Parse { message: "expected one expression".into(), offset: 0 }.into()),
    }
}

struct Builder {
    /// The highest parameter number seen so far; a bare `?` takes the next one.
    next_param: Cell<usize>,
}

fn unquote_ident(s: &str) -> String {
    let b = s.as_bytes();
    match b.first() {
        Some(b'"') => s[1..s.len() - 1].replace("\"\"", "\""),
        Some(b'`') => s[1..s.len() - 1].replace("``", "`"),
        Some(b'[') => s[1..s.len() - 1].to_string(),
        _ => s.to_string(),
    }
}

pub(crate) fn unquote_string(s: &str) -> String {
    s[1..s.len() - 1].replace("''", "'")
}

/// A possibly qualified name, `n.t` or `t`, as one string; a lone quoted name with a dot
/// in it (`"my.table"`) is marked as one name (see `ONE_NAME`).
fn qname(p: Pair<Rule>) -> String {
    let parts: Vec<String> = p.into_inner().map(|i| unquote_ident(i.as_str())).collect();
    match parts.as_slice() {
        [one] if one.contains('.') => format!("{}{one}", crate::storage::schema::ONE_NAME),
        _ => parts.join("."),
    }
}

fn last_qname(p: Pair<Rule>) -> String {
    qname(p.into_inner().filter(|q| q.as_rule() == Rule::qname).last().expect("the statement names something"))
}

fn last_ident(p: Pair<Rule>) -> String {
    let name = p.into_inner().filter(|q| q.as_rule() == Rule::ident).last();
    unquote_ident(name.expect("the statement names something").as_str())
}

fn version_number(p: &Pair<Rule>) -> Result<u64> {
    p.as_str().parse().map_err(|_| {
        ErrorKind::Parse { message: format!("version number too large: {}", p.as_str()), offset: p.as_span().start() }
            .into()
    })
}

fn as_of(p: Pair<Rule>) -> Result<AsOf> {
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::version_number => return Ok(AsOf::Version(version_number(&q)?)),
            Rule::ident => return Ok(AsOf::Snapshot(unquote_ident(q.as_str()))),
            Rule::string => {
                let text = unquote_string(q.as_str());
                return crate::storage::time::parse_timestamp(&text).map(AsOf::Time).ok_or_else(|| {
                    ErrorKind::Parse {
                        message: format!("AS OF TIMESTAMP takes a time such as '2026-12-01 10:00', not '{text}'"),
                        offset: q.as_span().start(),
                    }
                    .into()
                });
            }
            _ => {}
        }
    }
    unreachable!("AS OF names a version, a snapshot or a time")
}

/// `FOR SYSTEM_TIME BETWEEN a AND b` / `FROM a TO b`.
fn period(p: Pair<Rule>) -> Result<super::ast::Period> {
    let through = p.clone().into_inner().any(|q| q.as_rule() == Rule::K_BETWEEN);
    let mut times = Vec::with_capacity(2);
    for q in p.into_inner().filter(|q| q.as_rule() == Rule::string) {
        let text = unquote_string(q.as_str());
        let at = crate::storage::time::parse_timestamp(&text).ok_or_else(|| ErrorKind::Parse {
            message: format!("FOR SYSTEM_TIME takes times such as '2026-12-01 10:00', not '{text}'"),
            offset: q.as_span().start(),
        })?;
        times.push(at);
    }
    match times.as_slice() {
        [from, to] => Ok(super::ast::Period { from: *from, to: *to, through }),
        _ => Err(crate::error::Error::invalid("FOR SYSTEM_TIME takes two times")),
    }
}

fn version_ref(p: Pair<Rule>) -> Result<AsOf> {
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::K_HEAD => return Ok(AsOf::Head),
            Rule::version_number => return Ok(AsOf::Version(version_number(&q)?)),
            Rule::ident => return Ok(AsOf::Snapshot(unquote_ident(q.as_str()))),
            _ => {}
        }
    }
    unreachable!("a version reference is HEAD, a number or a name")
}
fn alias_name(p: Pair<Rule>) -> String {
    let inner = p.into_inner().filter(|i| i.as_rule() != Rule::K_AS).last();
    let text = inner.as_ref().map(|i| i.as_str()).unwrap_or("");
    match inner.map(|i| i.as_rule()) {
        Some(Rule::string) => unquote_string(text),
        _ => unquote_ident(text),
    }
}

fn idents(p: Pair<Rule>) -> Vec<String> {
    p.into_inner().filter(|i| i.as_rule() == Rule::ident).map(|i| unquote_ident(i.as_str())).collect()
}

/// A declared type with its words joined by single spaces: `VARCHAR(20)`, `DOUBLE PRECISION`.
fn type_name_text(p: Pair<Rule>) -> String {
    let mut words = Vec::new();
    let mut args = Vec::new();
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::type_word => words.push(q.as_str().to_ascii_uppercase()),
            Rule::signed_number => args.push(q.as_str().to_string()),
            _ => {}
        }
    }
    let mut s = words.join(" ");
    if !args.is_empty() {
        s.push_str(&format!("({})", args.join(",")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> String {
        parse_expr(s).unwrap().to_string()
    }

    #[test]
    fn precedence_follows_sqlite() {
        assert_eq!(e("1 + 2 * 3"), "(1 + (2 * 3))");
        assert_eq!(e("a OR b AND NOT c = 1"), "(a OR (b AND (NOT (c = 1))))");
        assert_eq!(e("x BETWEEN 1 AND 2 AND y"), "((x BETWEEN 1 AND 2) AND y)");
        assert_eq!(e("-a || b"), "((- a) || b)");
        assert_eq!(e("a NOT IN (1, 2)"), "(a NOT IN (1, 2))");
        assert_eq!(e("a IS NOT DISTINCT FROM b"), "(a IS b)");
        assert_eq!(e("a NOT NULL"), "(a NOTNULL)");
        assert_eq!(e("a < b = c"), "((a < b) = c)");
        assert_eq!(e("'it''s'"), "'it''s'");
    }

    #[test]
    fn errors_after_multibyte_words_name_them() {
        let err = parse("SELECT ✓é FROM").unwrap_err();
        assert!(err.to_string().contains("found"), "{err}");
        let err = parse("SELECT 1 -- ü\nFROM WHERE").unwrap_err();
        assert!(err.to_string().contains("after `FROM`"), "{err}");
        let err = parse("SELECT xü ü").unwrap_err();
        assert!(err.to_string().ends_with("after `x`, found `ü`"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse(&deep).unwrap_err().to_string().contains("nested too deeply"));
        let long = format!("SELECT {}", vec!["1"; 20_000].join(" + "));
        assert!(parse(&long).unwrap_err().to_string().contains("expression too long"));
        let minus = format!("SELECT {}1", "- ".repeat(20_000));
        assert!(parse(&minus).is_err());
        let many_rows = format!("INSERT INTO t VALUES {}", vec!["(-1, -2, 'a-b')"; 10_000].join(", "));
        assert!(parse(&many_rows).is_ok());
    }

    #[test]
    fn parameters_number_in_order() {
        assert_eq!(e("? + ?3 + ? + $1"), "(((?1 + ?3) + ?4) + ?1)");
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        let err = parse("SELECT * FROM t WHERE").unwrap_err();
        assert_eq!(err.to_string(), "expected an expression after `WHERE`, found the end of the statement");
        let err = parse("SELEC 1").unwrap_err();
        assert!(err.to_string().starts_with("expected a statement"), "{err}");
    }

    #[test]
    fn statements_parse() {
        for sql in [
            "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x', score REAL CHECK (score >= 0), UNIQUE (name))",
            "INSERT INTO t (a, b) VALUES (1, 'x'), (2, NULL)",
            "INSERT INTO t SELECT * FROM u",
            "UPDATE t SET a = a + 1, b = 'y' WHERE a > 3",
            "DELETE FROM t WHERE a IS NULL",
            "SELECT DISTINCT a AS x, count(*) FROM t GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 5 OFFSET 1",
            "DROP TABLE IF EXISTS t",
            "select t.*, \"weird name\" from t as tt",
        ] {
            parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}
