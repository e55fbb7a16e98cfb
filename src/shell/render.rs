//! Result rendering in the output modes of the shell: box tables fitted to a width,
//! CSV (RFC 4180), JSON (like `sqlite3 -json`), Markdown and `line`.

use std::fmt::Write as _;

use owo_colors::OwoColorize;

use crate::{format_real, Json, ResultSet, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Table,
    Csv,
    Json,
    Markdown,
    Line,
}

impl Mode {
    pub const NAMES: &'static str = "table, box, csv, json, markdown, line";

    pub fn parse(name: &str) -> Option<Mode> {
        Some(match name.to_ascii_lowercase().as_str() {
            "table" | "box" => Mode::Table,
            "csv" => Mode::Csv,
            "json" => Mode::Json,
            "markdown" | "md" => Mode::Markdown,
            "line" => Mode::Line,
            _ => return None,
        })
    }
}

/// How results are shown.
#[derive(Clone, Debug)]
pub struct Settings {
    pub mode: Mode,
    pub headers: bool,
    pub color: bool,
    /// Fit tables into this many columns (the terminal's width), if set.
    pub width: Option<usize>,
    pub timer: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { mode: Mode::Table, headers: true, color: false, width: None, timer: false }
    }
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Integer(_) | Value::Real(_))
}

/// Whether column `c` of the result holds JSON documents.
fn is_json_column(rs: &ResultSet, c: usize) -> bool {
    c < 64 && rs.json & (1 << c) != 0
}

/// The result with its JSON documents rewritten as the shell shows them: minified, or
/// indented by two spaces a level (`pretty`). Text that is not JSON stays as it is.
fn json_shown(rs: &ResultSet, pretty: bool) -> ResultSet {
    let mut out = rs.clone();
    for row in &mut out.rows {
        for (c, v) in row.iter_mut().enumerate() {
            let Value::Text(t) = v else { continue };
            if !is_json_column(rs, c) {
                continue;
            }
            if let Ok(doc) = Json::parse(t) {
                *v = Value::text(&if pretty { doc.pretty("  ") } else { doc.text() });
            }
        }
    }
    out
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Real(r) => format_real(*r),
        other => other.to_string(),
    }
}

/// Renders a result set in the chosen mode, ending with a newline. JSON documents are
/// shown minified, in `.mode line` indented, and in `.mode json` as JSON values.
pub fn render(rs: &ResultSet, s: &Settings) -> String {
    let shaped;
    let rs = if rs.json == 0 || s.mode == Mode::Json {
        rs
    } else {
        shaped = json_shown(rs, s.mode == Mode::Line);
        &shaped
    };
    match s.mode {
        Mode::Table => table(rs, s),
        Mode::Csv => csv(rs, s),
        Mode::Json => json(rs),
        Mode::Markdown => markdown(rs, s),
        Mode::Line => line(rs),
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Cuts text to `width` characters, marking the cut with `…`.
fn fit(s: &str, width: usize) -> String {
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

/// Column widths, shrunk (widest first) until the table fits `max` columns.
fn widths(rs: &ResultSet, headers: bool, max: Option<usize>) -> Vec<usize> {
    let mut w: Vec<usize> = rs.columns.iter().map(|c| if headers { chars(c) } else { 1 }).collect();
    for row in &rs.rows {
        for (i, v) in row.iter().enumerate() {
            w[i] = w[i].max(chars(&cell_text(v).replace('\n', " ")));
        }
    }
    if let Some(max) = max {
        // Each column costs its width plus 3 (padding and border), plus the left border.
        let total = |w: &[usize]| w.iter().sum::<usize>() + 3 * w.len() + 1;
        while total(&w) > max {
            let Some((i, widest)) = w.iter().copied().enumerate().max_by_key(|(_, x)| *x) else {
                break;
            };
            if widest <= 3 {
                break;
            }
            w[i] -= 1;
        }
    }
    w
}

fn border(w: &[usize], left: &str, mid: &str, right: &str) -> String {
    let parts: Vec<String> = w.iter().map(|n| "─".repeat(n + 2)).collect();
    format!("{left}{}{right}\n", parts.join(mid))
}

fn table(rs: &ResultSet, s: &Settings) -> String {
    let w = widths(rs, s.headers, s.width);
    let mut out = border(&w, "┌", "┬", "┐");
    if s.headers {
        out.push('│');
        for (c, width) in rs.columns.iter().zip(&w) {
            let name = fit(c, *width);
            let pad = width - chars(&name);
            let name = if s.color { name.bold().to_string() } else { name };
            let _ = write!(out, " {name}{} │", " ".repeat(pad));
        }
        out.push('\n');
        out.push_str(&border(&w, "├", "┼", "┤"));
    }
    for row in &rs.rows {
        out.push('│');
        for (v, width) in row.iter().zip(&w) {
            let text = fit(&cell_text(v).replace('\n', " "), *width);
            let pad = " ".repeat(width - chars(&text));
            let shown = match v {
                Value::Null if s.color => text.dimmed().to_string(),
                _ => text,
            };
            if is_number(v) {
                let _ = write!(out, " {pad}{shown} │");
            } else {
                let _ = write!(out, " {shown}{pad} │");
            }
        }
        out.push('\n');
    }
    out.push_str(&border(&w, "└", "┴", "┘"));
    let n = rs.rows.len();
    let _ = writeln!(out, "{n} row{}", if n == 1 { "" } else { "s" });
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(rs: &ResultSet, s: &Settings) -> String {
    let mut out = String::new();
    if s.headers {
        let names: Vec<String> = rs.columns.iter().map(|c| csv_field(c)).collect();
        out.push_str(&names.join(","));
        out.push_str("\r\n");
    }
    for row in &rs.rows {
        let cells: Vec<String> =
            row.iter().map(|v| if v.is_null() { String::new() } else { csv_field(&cell_text(v)) }).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    Json::string(s).text()
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) if r.is_finite() => format_real(*r),
        Value::Real(_) => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Text(_) | Value::Timestamp(_) | Value::Blob(_) => json_string(&v.to_string()),
    }
}

fn json(rs: &ResultSet) -> String {
    if rs.rows.is_empty() {
        return String::new();
    }
    let objects: Vec<String> = rs
        .rows
        .iter()
        .map(|row| {
            let fields: Vec<String> = rs
                .columns
                .iter()
                .zip(row)
                .enumerate()
                .map(|(i, (c, v))| {
                    let doc = match v {
                        Value::Text(t) if is_json_column(rs, i) => Json::parse(t).ok(),
                        _ => None,
                    };
                    let value = doc.map_or_else(|| json_value(v), |d| d.text());
                    format!("{}:{value}", json_string(c))
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        })
        .collect();
    format!("[{}]\n", objects.join(",\n"))
}

fn markdown(rs: &ResultSet, s: &Settings) -> String {
    let esc = |t: &str| t.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    if s.headers {
        let names: Vec<String> = rs.columns.iter().map(|c| esc(c)).collect();
        let _ = writeln!(out, "| {} |", names.join(" | "));
        let rules: Vec<&str> = rs.columns.iter().map(|_| "---").collect();
        let _ = writeln!(out, "|{}|", rules.join("|"));
    }
    for row in &rs.rows {
        let cells: Vec<String> = row.iter().map(|v| esc(&cell_text(v))).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

fn line(rs: &ResultSet) -> String {
    let w = rs.columns.iter().map(|c| chars(c)).max().unwrap_or(0);
    let blocks: Vec<String> = rs
        .rows
        .iter()
        .map(|row| {
            rs.columns
                .iter()
                .zip(row)
                .map(|(c, v)| {
                    // Lines after a value's first start under it.
                    let text = cell_text(v).replace('\n', &format!("\n{}", " ".repeat(w + 3)));
                    format!("{}{c} = {text}\n", " ".repeat(w - chars(c)))
                })
                .collect()
        })
        .collect();
    blocks.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs() -> ResultSet {
        ResultSet {
            json: 0,
            columns: vec!["id".to_string(), "name".to_string()].into(),
            rows: vec![vec![Value::Integer(1), Value::text("a, \"b\"")], vec![Value::Integer(22), Value::Null]],
        }
    }

    #[test]
    fn csv_quotes_and_empties() {
        let s = Settings { mode: Mode::Csv, ..Settings::default() };
        assert_eq!(render(&rs(), &s), "id,name\r\n1,\"a, \"\"b\"\"\"\r\n22,\r\n");
    }

    #[test]
    fn json_like_sqlite() {
        let s = Settings { mode: Mode::Json, ..Settings::default() };
        assert_eq!(render(&rs(), &s), "[{\"id\":1,\"name\":\"a, \\\"b\\\"\"},\n{\"id\":22,\"name\":null}]\n");
    }

    #[test]
    fn tables_fit_the_width() {
        let s = Settings { width: Some(13), ..Settings::default() };
        let out = render(&rs(), &s);
        assert!(out.lines().all(|l| l.chars().count() <= 13), "{out}");
        assert!(out.contains('…'));
        assert!(out.ends_with("2 rows\n"));
    }
}
