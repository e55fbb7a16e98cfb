//! Results in the shell's output modes, printed as their rows arrive: box and ASCII
//! tables fitted to a width, aligned columns, CSV (RFC 4180), JSON and JSON lines,
//! Markdown, HTML, `line`, `list`/`tabs` with a separator, and `insert` statements.
//!
//! A [`Printer`] takes the rows one at a time. Modes that align columns keep the first
//! rows (up to `sample`) to measure them, then print every row at those widths, so a
//! 2M-row result is never held whole; with `max_rows`, a long result shows its first
//! and last rows and says how many were left out between.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write;

use owo_colors::OwoColorize;

use super::cells::{
    cell_text, chars, csv_field, fit, group, html_escape, is_number, json_value, one_line, sql_literal,
};
use crate::{Json, ResultSet, Value};

pub use super::cells::json_string;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A table drawn with box-drawing characters (the default).
    Box,
    /// A table drawn with ASCII `+--+`.
    Table,
    /// Aligned columns under a dashed rule, no borders.
    Column,
    Csv,
    Json,
    /// One JSON object per line (`jsonl`, `ndjson`).
    Jsonl,
    Markdown,
    Html,
    Line,
    /// Values separated by `.separator` (`|` by default).
    List,
    /// Values separated by tabs.
    Tabs,
    /// `INSERT INTO table VALUES (…);` per row.
    Insert(String),
}

impl Mode {
    pub const NAMES: &'static str =
        "box, table, column, csv, json, jsonl, markdown, html, line, list, tabs, insert [TABLE]";

    pub fn parse(name: &str) -> Option<Mode> {
        let mut words = name.split_whitespace();
        let first = words.next()?.to_ascii_lowercase();
        Some(match first.as_str() {
            "box" => Mode::Box,
            "table" => Mode::Table,
            "column" | "columns" => Mode::Column,
            "csv" => Mode::Csv,
            "json" => Mode::Json,
            "jsonl" | "ndjson" => Mode::Jsonl,
            "markdown" | "md" => Mode::Markdown,
            "html" => Mode::Html,
            "line" | "lines" => Mode::Line,
            "list" => Mode::List,
            "tabs" | "tab" => Mode::Tabs,
            "insert" => Mode::Insert(words.next().unwrap_or("\"table\"").to_string()),
            _ => return None,
        })
    }

    pub fn name(&self) -> String {
        match self {
            Mode::Box => "box".into(),
            Mode::Table => "table".into(),
            Mode::Column => "column".into(),
            Mode::Csv => "csv".into(),
            Mode::Json => "json".into(),
            Mode::Jsonl => "jsonl".into(),
            Mode::Markdown => "markdown".into(),
            Mode::Html => "html".into(),
            Mode::Line => "line".into(),
            Mode::List => "list".into(),
            Mode::Tabs => "tabs".into(),
            Mode::Insert(t) => format!("insert {t}"),
        }
    }

    /// Whether the mode draws a table (and says `N rows inserted` after a write).
    pub fn is_table(&self) -> bool {
        matches!(self, Mode::Box | Mode::Table | Mode::Column)
    }
}

/// When long results go through a pager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pager {
    Off,
    On,
    /// When the output is a terminal and the result is longer than the screen.
    Auto,
}

/// When a row is shown as a block of `name | value` lines instead of a table row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expanded {
    Off,
    On,
    /// When the table would not fit the width even with its columns cut.
    Auto,
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
    /// How NULL is written; each mode's own default when unset (`NULL` in tables,
    /// nothing in CSV and lists).
    pub null_value: Option<String>,
    /// Between values in `list` mode (`|`), and after each row (`\n`).
    pub separator: String,
    pub row_separator: String,
    /// Fixed widths of the first columns in table modes (`.width`); 0 is automatic.
    pub column_widths: Vec<usize>,
    /// Show at most this many rows of a result: the first and last halves.
    pub max_rows: Option<usize>,
    /// Rows measured before a table's widths are fixed.
    pub sample: usize,
    pub pager: Pager,
    pub expanded: Expanded,
    /// The terminal's height, when the output is a terminal (for the pager).
    pub height: Option<usize>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            mode: Mode::Box,
            headers: true,
            color: false,
            width: None,
            timer: false,
            null_value: None,
            separator: "|".into(),
            row_separator: "\n".into(),
            column_widths: Vec::new(),
            max_rows: None,
            sample: 10_000,
            pager: Pager::Off,
            expanded: Expanded::Off,
            height: None,
        }
    }
}

/// Prints one result in the settings' mode, a row at a time.
pub struct Printer<'a> {
    s: &'a Settings,
    out: &'a mut dyn Write,
    columns: Vec<String>,
    json: u64,
    /// Whether what comes before the first row is out yet.
    started: bool,
    /// Rows kept to measure the columns, before the widths are fixed.
    sample: Vec<Vec<Value>>,
    widths: Option<Vec<usize>>,
    /// One block per row instead of a table (`.expanded`).
    expanded: bool,
    /// Rows seen, rows printed so far.
    count: usize,
    printed: usize,
    /// With `max_rows`: the newest rows past the first half, kept for the end.
    tail: VecDeque<Vec<Value>>,
    /// Columns left out of a table too wide for the width, replaced by one `…` column.
    hidden: Option<(usize, usize)>,
    cut_values: bool,
}

impl<'a> Printer<'a> {
    pub fn new(s: &'a Settings, out: &'a mut dyn Write, columns: &[String], json: u64) -> Printer<'a> {
        let mut p = Printer {
            s,
            out,
            columns: columns.to_vec(),
            json,
            sample: Vec::new(),
            widths: None,
            expanded: s.expanded == Expanded::On && s.mode.is_table(),
            count: 0,
            printed: 0,
            tail: VecDeque::new(),
            hidden: None,
            cut_values: false,
            started: false,
        };
        // Nothing is written until the first row (or the end): a statement that fails
        // before its first row prints nothing.
        p.started = false;
        p
    }

    fn is_json(&self, c: usize) -> bool {
        c < 64 && self.json & (1 << c) != 0
    }

    fn null_text(&self) -> &str {
        match (&self.s.null_value, &self.s.mode) {
            (Some(n), _) => n,
            (None, Mode::Csv | Mode::List | Mode::Tabs) => "",
            (None, _) => "NULL",
        }
    }

    /// A value as text in this mode: NULL as the null text, JSON documents minified
    /// (indented in `line` mode).
    fn text(&self, c: usize, v: &Value) -> String {
        match v {
            Value::Null => self.null_text().to_string(),
            Value::Text(t) if self.is_json(c) => match Json::parse(t) {
                Ok(doc) if self.s.mode == Mode::Line => doc.pretty("  "),
                Ok(doc) => doc.text(),
                Err(_) => t.to_string(),
            },
            other => cell_text(other),
        }
    }

    /// A value as a table shows it: on one line, and the text 'NULL' quoted when no
    /// colour tells it from NULL.
    fn cell(&self, i: usize, v: &Value) -> String {
        let t = one_line(&self.text(i, v));
        let null = self.null_text();
        if !self.s.color && matches!(v, Value::Text(_)) && !null.is_empty() && t == null {
            return format!("'{t}'");
        }
        t
    }

    fn put(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
    }

    fn aligned(&self) -> bool {
        self.s.mode.is_table() && !self.expanded
    }

    /// What comes before the first row.
    fn start(&mut self) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        let s = self.s;
        let mut head = String::new();
        match &s.mode {
            Mode::Csv if s.headers => {
                let names: Vec<String> = self.columns.iter().map(|c| csv_field(c)).collect();
                let _ = write!(head, "{}\r\n", names.join(","));
            }
            Mode::List | Mode::Tabs if s.headers => {
                let sep = if s.mode == Mode::Tabs { "\t" } else { &s.separator };
                let _ = write!(head, "{}{}", self.columns.join(sep), s.row_separator);
            }
            Mode::Markdown if s.headers => {
                let esc = |t: &str| one_line(t).replace('|', "\\|");
                let names: Vec<String> = self.columns.iter().map(|c| esc(c)).collect();
                let _ = writeln!(head, "| {} |", names.join(" | "));
                let rules: Vec<&str> = self.columns.iter().map(|_| "---").collect();
                let _ = writeln!(head, "|{}|", rules.join("|"));
            }
            Mode::Html if s.headers => {
                head.push_str("<TR>");
                for c in &self.columns {
                    let _ = write!(head, "<TH>{}</TH>", html_escape(c));
                }
                head.push_str("\n</TR>\n");
            }
            _ => {}
        }
        self.put(&head);
    }

    /// Takes the next row.
    pub fn row(&mut self, row: Vec<Value>) {
        self.start();
        self.count += 1;
        if let Some(max) = self.s.max_rows.filter(|m| *m > 0) {
            let head = max.div_ceil(2);
            if self.count > head {
                self.tail.push_back(row);
                if self.tail.len() > max - head {
                    self.tail.pop_front();
                }
                return;
            }
        }
        self.emit(row);
    }

    fn emit(&mut self, row: Vec<Value>) {
        if self.aligned() && self.widths.is_none() {
            self.sample.push(row);
            if self.sample.len() >= self.s.sample.max(1) {
                self.fix_widths();
            }
            return;
        }
        self.print_row(&row);
    }

    /// Measures the sample, decides the widths (and what to leave out of a table too
    /// wide for the screen), prints the header and the sample's rows.
    fn fix_widths(&mut self) {
        let s = self.s;
        let headers = s.headers;
        let mut w: Vec<usize> = self.columns.iter().map(|c| if headers { chars(&one_line(c)) } else { 1 }).collect();
        // The rows kept for the end of a long result are measured too.
        for row in self.sample.iter().chain(&self.tail) {
            for (i, v) in row.iter().enumerate() {
                w[i] = w[i].max(chars(&self.cell(i, v)));
            }
        }
        for (i, fixed) in s.column_widths.iter().enumerate() {
            if *fixed > 0 && i < w.len() {
                w[i] = *fixed;
            }
        }
        if let Some(max) = s.width {
            let (per, edge) = if s.mode == Mode::Column { (2, 0) } else { (3, 1) };
            let total = |w: &[usize]| w.iter().sum::<usize>() + per * w.len() + edge;
            // First cut long values down to a reasonable width each…
            let natural = w.clone();
            while total(&w) > max {
                let Some((i, widest)) = w.iter().copied().enumerate().max_by_key(|(_, x)| *x) else { break };
                if widest <= 12 {
                    break;
                }
                w[i] -= 1;
            }
            if w != natural {
                self.cut_values = true;
            }
            if total(&w) > max {
                if s.expanded == Expanded::Auto {
                    self.expanded = true;
                    self.widths = Some(Vec::new());
                    let sample = std::mem::take(&mut self.sample);
                    for row in &sample {
                        self.print_row(row);
                    }
                    return;
                }
                // …then leave out middle columns, keeping the first and last ones.
                let n = w.len();
                let mut keep_left = n.div_ceil(2);
                let mut keep_right = n / 2;
                loop {
                    let shown: Vec<usize> =
                        w[..keep_left].iter().chain(&w[n - keep_right..]).copied().chain([1]).collect();
                    if total(&shown) <= max || keep_left + keep_right <= 1 {
                        break;
                    }
                    if keep_left > keep_right {
                        keep_left -= 1;
                    } else {
                        keep_right -= 1;
                    }
                }
                if keep_left + keep_right < n {
                    self.hidden = Some((keep_left, n - keep_right));
                }
            }
        }
        self.widths = Some(w);
        self.print_table_head();
        let sample = std::mem::take(&mut self.sample);
        for row in &sample {
            self.print_row(row);
        }
    }

    /// The widths shown, with the hidden columns folded into one `…` column.
    fn shown<T: Clone>(&self, items: &[T], ellipsis: T) -> Vec<T> {
        match self.hidden {
            None => items.to_vec(),
            Some((a, b)) => items[..a].iter().cloned().chain([ellipsis]).chain(items[b..].iter().cloned()).collect(),
        }
    }

    fn border(&self, left: &str, mid: &str, right: &str) -> String {
        let w = self.shown(self.widths.as_deref().unwrap_or(&[]), 1);
        let line = if self.s.mode == Mode::Box { "─" } else { "-" };
        let parts: Vec<String> = w.iter().map(|n| line.repeat(n + 2)).collect();
        format!("{left}{}{right}\n", parts.join(mid))
    }

    fn print_table_head(&mut self) {
        let s = self.s;
        let w = self.shown(self.widths.as_deref().unwrap_or(&[]), 1);
        let names = self.shown(&self.columns, "…".to_string());
        let mut out = String::new();
        match s.mode {
            Mode::Box => out.push_str(&self.border("┌", "┬", "┐")),
            Mode::Table => out.push_str(&self.border("+", "+", "+")),
            _ => {}
        }
        if s.headers {
            let bar = match s.mode {
                Mode::Box => "│",
                Mode::Table => "|",
                _ => "",
            };
            out.push_str(bar);
            for (i, (c, width)) in names.iter().zip(&w).enumerate() {
                let name = fit(&one_line(c), *width);
                let pad = width - chars(&name);
                let name = if s.color { name.bold().to_string() } else { name };
                if s.mode == Mode::Column {
                    let gap = if i + 1 == w.len() { "" } else { "  " };
                    let _ = write!(out, "{name}{}{gap}", " ".repeat(pad));
                } else {
                    let _ = write!(out, " {name}{} {bar}", " ".repeat(pad));
                }
            }
            if s.mode == Mode::Column {
                out = out.trim_end().to_string();
            }
            out.push('\n');
            match s.mode {
                Mode::Box => out.push_str(&self.border("├", "┼", "┤")),
                Mode::Table => out.push_str(&self.border("+", "+", "+")),
                _ => {
                    let rules: Vec<String> = w.iter().map(|n| "-".repeat(*n)).collect();
                    let _ = writeln!(out, "{}", rules.join("  "));
                }
            }
        }
        self.put(&out);
    }

    fn print_row(&mut self, row: &[Value]) {
        self.printed += 1;
        let s = self.s;
        let mut out = String::new();
        if self.expanded {
            let w = self.columns.iter().map(|c| chars(c)).max().unwrap_or(0);
            let _ = writeln!(out, "-[ RECORD {} ]{}", self.printed, "-".repeat(w.saturating_sub(4)));
            for (i, (c, v)) in self.columns.iter().zip(row).enumerate() {
                let text = self.text(i, v);
                let _ = writeln!(out, "{c}{} | {}", " ".repeat(w - chars(c)), text.replace('\n', "\n   "));
            }
            self.put(&out);
            return;
        }
        match &s.mode {
            Mode::Box | Mode::Table | Mode::Column => {
                let bar = match s.mode {
                    Mode::Box => "│",
                    Mode::Table => "|",
                    _ => "",
                };
                let w = self.shown(self.widths.as_deref().unwrap_or(&[]), 1);
                let cells: Vec<(String, bool, bool)> =
                    row.iter().enumerate().map(|(i, v)| (self.cell(i, v), is_number(v), v.is_null())).collect();
                let cells = self.shown(&cells, ("…".to_string(), false, false));
                out.push_str(bar);
                for (i, ((text, number, null), width)) in cells.iter().zip(&w).enumerate() {
                    // A number wider than its column (past the rows measured) is shown
                    // whole, nudging its row; text is cut.
                    let text = if *number { text.clone() } else { fit(text, *width) };
                    if chars(&text) < chars(&cells[i].0) {
                        self.cut_values = true;
                    }
                    let pad = " ".repeat(width.saturating_sub(chars(&text)));
                    let shown = if *null && s.color { text.dimmed().to_string() } else { text };
                    if s.mode == Mode::Column {
                        let gap = if i + 1 == w.len() { "" } else { "  " };
                        if *number {
                            let _ = write!(out, "{pad}{shown}{gap}");
                        } else {
                            let _ = write!(out, "{shown}{pad}{gap}");
                        }
                    } else if *number {
                        let _ = write!(out, " {pad}{shown} {bar}");
                    } else {
                        let _ = write!(out, " {shown}{pad} {bar}");
                    }
                }
                if s.mode == Mode::Column {
                    out = out.trim_end().to_string();
                }
                out.push('\n');
            }
            Mode::Csv => {
                let cells: Vec<String> = row
                    .iter()
                    .enumerate()
                    .map(|(i, v)| if v.is_null() { self.null_text().to_string() } else { csv_field(&self.text(i, v)) })
                    .collect();
                let _ = write!(out, "{}\r\n", cells.join(","));
            }
            Mode::List | Mode::Tabs => {
                let sep = if s.mode == Mode::Tabs { "\t" } else { &s.separator };
                let cells: Vec<String> = row.iter().enumerate().map(|(i, v)| self.text(i, v)).collect();
                let _ = write!(out, "{}{}", cells.join(sep), s.row_separator);
            }
            Mode::Json | Mode::Jsonl => {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(row)
                    .enumerate()
                    .map(|(i, (c, v))| format!("{}:{}", json_string(c), json_value(v, self.is_json(i))))
                    .collect();
                let object = format!("{{{}}}", fields.join(","));
                match (&s.mode, self.printed) {
                    (Mode::Jsonl, _) => {
                        let _ = writeln!(out, "{object}");
                    }
                    (_, 1) => out.push_str(&format!("[{object}")),
                    _ => out.push_str(&format!(",\n{object}")),
                }
            }
            Mode::Markdown => {
                let cells: Vec<String> =
                    row.iter().enumerate().map(|(i, v)| one_line(&self.text(i, v)).replace('|', "\\|")).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            Mode::Html => {
                out.push_str("<TR>");
                for (i, v) in row.iter().enumerate() {
                    let _ = write!(out, "<TD>{}</TD>", html_escape(&self.text(i, v)));
                }
                out.push_str("\n</TR>\n");
            }
            Mode::Line => {
                if self.printed > 1 {
                    out.push('\n');
                }
                let w = self.columns.iter().map(|c| chars(c)).max().unwrap_or(0);
                for (i, (c, v)) in self.columns.iter().zip(row).enumerate() {
                    // Lines after a value's first start under it.
                    let text = self.text(i, v).replace('\n', &format!("\n{}", " ".repeat(w + 3)));
                    let _ = writeln!(out, "{}{c} = {text}", " ".repeat(w - chars(c)));
                }
            }
            Mode::Insert(table) => {
                let values: Vec<String> = row.iter().map(sql_literal).collect();
                let _ = writeln!(out, "INSERT INTO {table} VALUES({});", values.join(","));
            }
        }
        self.put(&out);
    }

    /// Ends the result: the rows kept for measuring or for the end, the bottom border
    /// and the footer. `interrupted` when Ctrl-C stopped it.
    pub fn finish(mut self, interrupted: bool) {
        self.start();
        if self.aligned() && self.widths.is_none() {
            self.fix_widths();
        }
        let left_out = self.count.saturating_sub(self.printed + self.tail.len());
        if left_out > 0 && self.aligned() {
            let w = self.shown(self.widths.as_deref().unwrap_or(&[]), 1);
            let bar = match self.s.mode {
                Mode::Box => "│",
                Mode::Table => "|",
                _ => "",
            };
            let mut line = String::from(bar);
            for width in &w {
                let _ = write!(line, " {}{} {bar}", fit("·", *width), " ".repeat(width.saturating_sub(1)));
            }
            line.push('\n');
            let times = if self.s.mode == Mode::Column { 1 } else { 3 };
            for _ in 0..times {
                self.put(&line);
            }
        } else if left_out > 0 {
            let note = format!("… {} rows not shown …\n", group(left_out));
            self.put(&note);
        }
        let tail: Vec<Vec<Value>> = self.tail.drain(..).collect();
        for row in &tail {
            self.print_row(row);
        }
        let s = self.s;
        let mut out = String::new();
        match s.mode {
            Mode::Box => out.push_str(&self.border("└", "┴", "┘")),
            Mode::Table => out.push_str(&self.border("+", "+", "+")),
            Mode::Json if self.printed > 0 => out.push_str("]\n"),
            _ => {}
        }
        if s.mode.is_table() {
            let n = self.count;
            let mut footer = format!("{} row{}", group(n), if n == 1 { "" } else { "s" });
            if left_out > 0 {
                let _ = write!(footer, " ({} shown)", group(self.printed));
            }
            if let Some((a, b)) = self.hidden {
                let _ = write!(footer, ", {} of {} columns not shown", b - a, self.columns.len());
            }
            if self.cut_values {
                footer.push_str(", long values cut (…)");
            }
            if interrupted {
                footer.push_str(", interrupted");
            }
            let _ = writeln!(out, "{footer}");
        } else if interrupted {
            let _ = writeln!(out, "(interrupted after {} rows)", self.count);
        }
        self.put(&out);
    }
}

/// Renders a whole result set, ending with a newline.
pub fn render(rs: &ResultSet, s: &Settings) -> String {
    let mut out = Vec::new();
    let settings;
    // A result in hand is measured whole.
    let s = if s.sample < rs.rows.len() {
        settings = Settings { sample: rs.rows.len(), ..s.clone() };
        &settings
    } else {
        s
    };
    let mut p = Printer::new(s, &mut out, &rs.columns, rs.json);
    for row in &rs.rows {
        p.row(row.clone());
    }
    p.finish(false);
    String::from_utf8_lossy(&out).into_owned()
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

    fn with(mode: Mode) -> Settings {
        Settings { mode, ..Settings::default() }
    }

    #[test]
    fn csv_quotes_and_tells_empty_from_null() {
        assert_eq!(render(&rs(), &with(Mode::Csv)), "id,name\r\n1,\"a, \"\"b\"\"\"\r\n22,\r\n");
        let empty = ResultSet {
            json: 0,
            columns: vec!["e".to_string(), "n".to_string()].into(),
            rows: vec![vec![Value::text(""), Value::Null]],
        };
        assert_eq!(render(&empty, &with(Mode::Csv)), "e,n\r\n\"\",\r\n");
        let s = Settings { null_value: Some("\\N".into()), ..with(Mode::Csv) };
        assert_eq!(render(&empty, &s), "e,n\r\n\"\",\\N\r\n");
    }

    #[test]
    fn json_like_sqlite() {
        assert_eq!(
            render(&rs(), &with(Mode::Json)),
            "[{\"id\":1,\"name\":\"a, \\\"b\\\"\"},\n{\"id\":22,\"name\":null}]\n"
        );
        assert_eq!(
            render(&rs(), &with(Mode::Jsonl)),
            "{\"id\":1,\"name\":\"a, \\\"b\\\"\"}\n{\"id\":22,\"name\":null}\n"
        );
    }

    #[test]
    fn the_other_modes() {
        assert_eq!(render(&rs(), &with(Mode::List)), "id|name\n1|a, \"b\"\n22|\n");
        assert_eq!(render(&rs(), &with(Mode::Tabs)), "id\tname\n1\ta, \"b\"\n22\t\n");
        assert_eq!(
            render(&rs(), &with(Mode::Insert("t".into()))),
            "INSERT INTO t VALUES(1,'a, \"b\"');\nINSERT INTO t VALUES(22,NULL);\n"
        );
        assert_eq!(render(&rs(), &with(Mode::Column)), "id  name\n--  ------\n 1  a, \"b\"\n22  NULL\n2 rows\n");
        let table = render(&rs(), &with(Mode::Table));
        assert!(table.starts_with("+----+--------+\n| id | name   |\n+----+--------+\n"), "{table}");
        assert!(render(&rs(), &with(Mode::Html)).contains("<TR><TD>1</TD><TD>a, &quot;b&quot;</TD>"));
    }

    #[test]
    fn tables_fit_the_width() {
        let s = Settings { width: Some(13), ..Settings::default() };
        let out = render(&rs(), &s);
        // The table fits; its footer says what was left out.
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[..lines.len() - 1].iter().all(|l| l.chars().count() <= 13), "{out}");
        assert!(out.ends_with("2 rows, 1 of 2 columns not shown\n"), "{out}");
    }

    #[test]
    fn null_and_the_text_null_differ_without_colour() {
        let r = ResultSet {
            json: 0,
            columns: vec!["a".to_string(), "b".to_string()].into(),
            rows: vec![vec![Value::Null, Value::text("NULL")]],
        };
        let out = render(&r, &Settings::default());
        assert!(out.contains("│ NULL │ 'NULL' │"), "{out}");
    }

    #[test]
    fn newlines_never_break_a_row() {
        let r = ResultSet { json: 0, columns: vec!["a\nb".to_string()].into(), rows: vec![vec![Value::text("x\ny")]] };
        let out = render(&r, &Settings::default());
        assert_eq!(out.lines().count(), 6, "{out}");
        assert!(out.contains("a↵b") && out.contains("x↵y"), "{out}");
    }

    #[test]
    fn wide_tables_leave_out_middle_columns() {
        let columns: Vec<String> = (0..40).map(|i| format!("column_{i}")).collect();
        let r = ResultSet { json: 0, columns: columns.into(), rows: vec![(0..40).map(Value::Integer).collect()] };
        let out = render(&r, &Settings { width: Some(80), ..Settings::default() });
        assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
        assert!(out.contains("column_0") && out.contains("column_39") && out.contains('…'), "{out}");
        assert!(out.contains("columns not shown"), "{out}");
        let out = render(&r, &Settings { width: Some(80), expanded: Expanded::Auto, ..Settings::default() });
        assert!(out.contains("-[ RECORD 1 ]") && out.contains("column_39 | 39"), "{out}");
    }

    #[test]
    fn long_results_show_their_ends() {
        let r = ResultSet {
            json: 0,
            columns: vec!["n".to_string()].into(),
            rows: (1..=1000).map(|i| vec![Value::Integer(i)]).collect(),
        };
        let out = render(&r, &Settings { max_rows: Some(10), ..Settings::default() });
        assert!(out.contains("│    5 │") && out.contains("│  996 │") && !out.contains("│  500 │"), "{out}");
        assert!(out.ends_with("1,000 rows (10 shown)\n"), "{out}");
        let csv = render(&r, &Settings { max_rows: Some(4), ..with(Mode::Csv) });
        assert!(csv.contains("… 996 rows not shown …"), "{csv}");
    }
}
