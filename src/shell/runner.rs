//! Runs script text — from a file, standard input, `-c` or the interactive shell —
//! statement by statement, printing results and errors.
//!
//! An error is printed as `SOURCE:LINE:COL: error: message` (a syntax error also shows
//! its line with a caret under the token); the script goes on with the next statement
//! unless `bail` is set, as sqlite3 does.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::time::Instant;

use owo_colors::OwoColorize;

use super::dot::{self, DotCommand};
use super::input::{read_line, LineError, MAX_STATEMENT};
use super::pager::{pager_command, Paging};
use super::render::{render, Pager, Printer, Settings};
use super::report::{find_word, subject, value_at};
use crate::error::{Error, ErrorKind};
use crate::txn::{Outcome, Session};
use crate::{line_col, only_space_and_comments, quote_ident, quote_stored, split, Piece, ResultSet};

/// Whether to keep going after a piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

const MAX_READ_DEPTH: usize = 16;

pub struct Runner {
    /// The current session; `.session NAME` switches to another.
    pub session: Session,
    /// The name of the current session (`main` at first).
    pub session_name: String,
    /// The other open sessions, by name.
    others: BTreeMap<String, Session>,
    pub settings: Settings,
    /// Print each statement above its output (golden tests).
    pub echo: bool,
    /// After each statement that is not a read, print `changes()` and
    /// `total_changes()` (`.changes on`).
    pub changes: bool,
    /// Stop at the first error.
    pub bail: bool,
    /// Errors as `error: …` without a file position (the interactive shell).
    pub interactive: bool,
    /// Draws a progress line on stderr (when it is a terminal) for work over a second;
    /// `Runner::show_progress` turns it on.
    watcher: super::progress::Watcher,
    /// Rows (or, in a `.read`, statements) done by the running piece, for its line.
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The running top-level piece's progress; ended (its line cleared) before its
    /// output is printed.
    work: Option<super::progress::Work>,
    /// How many statements failed so far.
    pub errors: usize,
    /// Sort every result's rows (compare results as sets; `amberdb test`'s `-- sort`).
    pub sort_results: bool,
    /// The longest statement a script read as a stream may hold.
    pub max_statement: usize,
    out: Checked,
    err: Box<dyn Write>,
    /// The screen's output while results go to a file (`.output`, `.once`).
    screen: Option<Box<dyn Write>>,
    /// Back to the screen after the next statement (`.once`).
    once: bool,
    depth: usize,
    /// Lines of the current source before the text being run (a stream runs its text a
    /// statement at a time), so errors name the line in the whole source.
    line_base: usize,
}

impl Runner {
    pub fn new(session: Session, settings: Settings, out: Box<dyn Write>, err: Box<dyn Write>) -> Runner {
        Runner {
            session,
            session_name: "main".to_string(),
            others: BTreeMap::new(),
            settings,
            echo: false,
            changes: false,
            bail: false,
            interactive: false,
            watcher: super::progress::Watcher::new(false),
            done: Default::default(),
            work: None,
            errors: 0,
            sort_results: false,
            max_statement: MAX_STATEMENT,
            out: Checked { inner: out, failed: None },
            err,
            screen: None,
            once: false,
            depth: 0,
            line_base: 0,
        }
    }

    /// The same runner (session, settings, counts) writing somewhere else.
    pub fn with_output(self, out: Box<dyn Write>, err: Box<dyn Write>) -> Runner {
        Runner { out: Checked { inner: out, failed: None }, err, screen: None, once: false, ..self }
    }

    /// Draws a progress line on stderr, when it is a terminal, for any statement,
    /// import or `.read` that runs longer than a second.
    pub fn show_progress(&mut self) {
        self.watcher = super::progress::Watcher::new(true);
        self.done = self.watcher.counter().clone();
    }

    /// Runs every statement and dot-command of `text`; `source` names it in errors.
    pub fn run_script(&mut self, text: &str, source: &str) -> Flow {
        for piece in split(text) {
            if self.run_piece(&piece, text, source) == Flow::Stop {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }

    /// Runs the statements of `input` as they arrive: each one as soon as the line that
    /// ends it is read, so a pipe is answered statement by statement, and only the
    /// statement being read is held (at most [`Runner::max_statement`] bytes; a longer
    /// one is refused and skipped). Input holding a NUL byte is not SQL text: reading
    /// it stops with an error.
    pub fn run_reader(&mut self, input: &mut dyn BufRead, source: &str) -> Flow {
        let saved_base = self.line_base;
        let flow = self.stream(input, source);
        self.line_base = saved_base;
        flow
    }

    fn stream(&mut self, input: &mut dyn BufRead, source: &str) -> Flow {
        // The statement being read, and the number of the source's line it starts on.
        let mut pending = String::new();
        let mut first_line = 1;
        let (mut number, mut line) = (0usize, Vec::new());
        loop {
            line.clear();
            let room = self.max_statement.saturating_sub(pending.len());
            let more = match read_line(input, &mut line, room) {
                Ok(more) => more,
                Err(LineError::TooLong) => {
                    number += 1;
                    let what = format!("statement too long (more than {} bytes); skipped", self.max_statement);
                    if self.input_error(source, number, &what) == Flow::Stop {
                        return Flow::Stop;
                    }
                    pending.clear();
                    continue;
                }
                Err(LineError::Nul) => {
                    let what = "the input holds a NUL byte: it is not SQL text; reading it stopped";
                    return self.input_error(source, number + 1, what);
                }
                Err(LineError::Io(e)) => return self.input_error(source, number + 1, &format!("cannot read: {e}")),
            };
            if !more {
                break;
            }
            number += 1;
            let Ok(text) = std::str::from_utf8(&line) else {
                return self.input_error(source, number, "the input is not UTF-8 text; reading it stopped");
            };
            if pending.is_empty() {
                first_line = number;
            }
            pending.push_str(text);
            // Only a line with a `;` (or a dot-command's line) can end a statement.
            if !text.contains(';') && !pending.trim_start().starts_with('.') {
                continue;
            }
            let pieces = split(&pending);
            let done = pieces.iter().take_while(|p| p.terminated || p.is_dot).count();
            let Some(last) = done.checked_sub(1).map(|i| &pieces[i]) else { continue };
            let consumed = last.offset + last.text.len();
            self.line_base = first_line - 1;
            for piece in &pieces[..done] {
                if self.run_piece(piece, &pending, source) == Flow::Stop {
                    return Flow::Stop;
                }
            }
            first_line += pending[..consumed].matches('\n').count();
            pending.drain(..consumed);
            if only_space_and_comments(&pending) && pending.ends_with('\n') {
                first_line += pending.matches('\n').count();
                pending.clear();
            }
        }
        self.line_base = first_line - 1;
        for piece in split(&pending) {
            if self.run_piece(&piece, &pending, source) == Flow::Stop {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }

    /// Reports a problem with the input itself, at a line of it.
    fn input_error(&mut self, source: &str, line: usize, what: &str) -> Flow {
        self.errors += 1;
        let _ = writeln!(self.err, "{source}:{line}: error: {what}");
        let _ = self.err.flush();
        if self.bail {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn run_piece(&mut self, piece: &Piece, text: &str, source: &str) -> Flow {
        if self.echo {
            for line in piece.text.lines() {
                let _ = writeln!(self.out, "> {line}");
            }
        }
        let started = Instant::now();
        let read_before = self.session.rows_read();
        // A line on stderr for a long piece, but not over rows printing to the screen.
        let streams_to_screen = !piece.is_dot && is_read(piece.text) && self.settings.height.is_some();
        let label = if self.depth == 0 && !streams_to_screen { first_words(piece.text) } else { String::new() };
        self.work = (!label.is_empty()).then(|| self.watcher.begin(&label));
        if self.depth > 0 {
            self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let result = if piece.is_dot {
            match dot::parse(piece.text) {
                Ok(cmd) => self.run_dot(cmd),
                Err(msg) => Err(ErrorKind::Invalid(msg).into()),
            }
        } else {
            self.run_sql(piece.text)
        };
        self.work = None;
        if self.settings.timer {
            let read = self.session.rows_read().saturating_sub(read_before);
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let _ = writeln!(self.out, "Run Time: {ms:.3} ms, {read} rows read");
        }
        let flow = match result {
            Ok(flow) => flow,
            Err(e) => {
                self.errors += 1;
                // What the statement printed goes out before its error.
                let _ = self.out.flush();
                self.report(&e, piece, text, source);
                if self.bail {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            }
        };
        if self.echo {
            let _ = writeln!(self.out);
        }
        if self.once && !piece.is_dot {
            self.output_to_screen();
        }
        let _ = self.out.flush();
        // Output that could not be written (a full disk, a closed pipe) is an error of
        // the statement that made it: reported, counted, and the exit status says so.
        if let Some(e) = self.out.failed.take() {
            self.errors += 1;
            let _ = writeln!(self.err, "{source}: error: cannot write the output: {e}");
            let _ = self.err.flush();
            if self.bail {
                return Flow::Stop;
            }
        }
        flow
    }

    fn run_sql(&mut self, sql: &str) -> Result<Flow, Error> {
        // A read is printed as its rows are made (and Ctrl-C stops it mid-way); other
        // statements run whole, through the plan cache for their shape.
        if !self.sort_results && is_read(sql) {
            let prepared = self.session.prepare(sql)?;
            if let Some(stream) = self.session.stream_prepared(&prepared, &[]) {
                return self.print_stream(stream);
            }
            let outcome = self.session.execute_prepared(&prepared, &[])?;
            return self.print_outcome(outcome);
        }
        let outcome = self.session.execute(sql, &[])?;
        self.print_outcome(outcome)
    }

    fn print_outcome(&mut self, outcome: Outcome) -> Result<Flow, Error> {
        if self.depth == 0 {
            self.work = None;
        }
        let table_mode = self.settings.mode.is_table();
        let text = match outcome {
            Outcome::Rows(mut rs) => {
                if self.sort_results {
                    rs.rows.sort();
                }
                render(&rs, &self.settings)
            }
            Outcome::Changed { verb, count } if table_mode => {
                format!("{count} row{} {verb}\n", if count == 1 { "" } else { "s" })
            }
            Outcome::Done(what) if table_mode => format!("{what}\n"),
            _ => String::new(),
        };
        let _ = self.out.write_all(text.as_bytes());
        if self.changes {
            let counts = self.session.query("SELECT changes(), total_changes()", &[])?;
            if let [row] = counts.rows.as_slice() {
                let _ = writeln!(self.out, "changes: {}   total_changes: {}", row[0], row[1]);
            }
        }
        Ok(Flow::Continue)
    }

    /// Prints a read's rows as they are made, through the pager when it is long and
    /// the output is a terminal; Ctrl-C stops it and says so.
    fn print_stream(&mut self, stream: crate::RowStream) -> Result<Flow, Error> {
        let columns = stream.columns();
        let json = stream.json();
        let interrupt = self.session.interrupt_flag();
        let done = self.done.clone();
        let settings = self.settings.clone();
        let paging = match (settings.pager, settings.height) {
            (Pager::On, _) => Some(0),
            (Pager::Auto, Some(h)) => Some(h.saturating_sub(2)),
            _ => None,
        };
        let mut pager: Option<Paging> = None;
        let (result, stopped) = {
            let sink: &mut dyn Write = match paging {
                Some(h) => pager.insert(Paging::new(&mut self.out, h, settings.pager == Pager::On, pager_command())),
                None => &mut self.out,
            };
            let mut printer = Printer::new(&settings, sink, &columns, json);
            let mut stopped = false;
            let result = stream.run(&mut |row| {
                if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                    stopped = true;
                    return false;
                }
                printer.row(row);
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                true
            });
            let interrupted = stopped || matches!(&result, Err(e) if matches!(e.kind(), ErrorKind::Interrupted));
            match &result {
                Err(e) if !matches!(e.kind(), ErrorKind::Interrupted) => drop(printer),
                _ => printer.finish(interrupted),
            }
            (result, interrupted)
        };
        if let Some(p) = pager {
            let _ = p.finish();
        }
        interrupt.store(false, std::sync::atomic::Ordering::Relaxed);
        match result {
            Err(e) if !stopped => Err(e),
            _ => Ok(Flow::Continue),
        }
    }

    fn run_dot(&mut self, cmd: DotCommand) -> Result<Flow, Error> {
        match cmd {
            DotCommand::Help => {
                let _ = self.out.write_all(dot::HELP.as_bytes());
            }
            DotCommand::HelpFunctions => {
                let rows = self.session.query("SELECT * FROM amber_functions()", &[])?;
                self.write_rows(&rows);
            }
            DotCommand::Tables => {
                for n in self.session.table_names() {
                    let _ = writeln!(self.out, "{n}");
                }
            }
            DotCommand::Namespaces => self.write_rows(&self.session.namespace_listing()),
            DotCommand::Collections => self.write_rows(&self.session.collection_listing()),
            DotCommand::Projections => self.write_rows(&self.session.projection_listing()),
            DotCommand::Schema(table) => {
                for line in self.session.schema_sql(table.as_deref())? {
                    let _ = writeln!(self.out, "{line}");
                }
            }
            DotCommand::Indexes(table) => self.write_rows(&self.session.index_listing(table.as_deref())?),
            DotCommand::Mode(Some(m)) => self.settings.mode = m,
            DotCommand::Mode(None) => {
                let _ = writeln!(self.out, "current output mode: {}", self.settings.mode.name());
            }
            DotCommand::Headers(on) => self.settings.headers = on,
            DotCommand::Timer(on) => self.settings.timer = on,
            DotCommand::Read(path) => {
                if self.depth >= MAX_READ_DEPTH {
                    return Err(Error::invalid(format!(".read nested more than {MAX_READ_DEPTH} deep")));
                }
                let file =
                    std::fs::File::open(&path).map_err(|e| Error::invalid(format!("cannot read {path}: {e}")))?;
                self.depth += 1;
                let flow = self.run_reader(&mut std::io::BufReader::new(file), &path);
                self.depth -= 1;
                return Ok(flow);
            }
            DotCommand::Quit => return Ok(Flow::Stop),
            DotCommand::Session(None) => {
                let _ = writeln!(self.out, "{}", self.session_name);
            }
            DotCommand::Session(Some(name)) => self.switch_session(&name),
            DotCommand::Snapshots => self.write_rows(&self.session.snapshot_listing()),
            DotCommand::Check => return self.run_sql("CHECK DATABASE"),
            DotCommand::Migrate(command, dir) => {
                let db = self.session.database().clone();
                let lines = db.migrate_with(std::path::Path::new(&dir), &command, false)?;
                if lines.is_empty() {
                    let _ = writeln!(self.out, "nothing to do");
                }
                for l in lines {
                    let _ = writeln!(self.out, "{:04}_{:<32} {}", l.version, l.name, l.state);
                }
            }
            DotCommand::Stats => {
                self.run_sql("SELECT kind, name, rows, bytes, detail FROM amber_memory()")?;
                return self.run_sql("SELECT name, value FROM amber_stats() WHERE value > 0");
            }
            DotCommand::Slowlog(Some(bound)) => {
                let value =
                    if bound.parse::<f64>().is_ok() { bound } else { format!("'{}'", bound.replace('\'', "''")) };
                return self.run_sql(&format!("SET slow_query_ms = {value}"));
            }
            DotCommand::Slowlog(None) => {
                return self.run_sql(
                    "SELECT at, round(ms, 3) AS ms, rows, query FROM amber_slow_queries() ORDER BY ms DESC LIMIT 20",
                );
            }
            DotCommand::Diff(a, b) => {
                let side = |s: &str| match s.parse::<u64>() {
                    Ok(_) => s.to_string(),
                    Err(_) if s.eq_ignore_ascii_case("head") => "HEAD".to_string(),
                    Err(_) => quote_ident(s),
                };
                return self.run_sql(&format!("DIFF {}, {}", side(&a), side(&b)));
            }
            DotCommand::Dump => {
                let _ = self.out.write_all(self.session.dump().as_bytes());
            }
            DotCommand::Export(path, what) if is_csv_name(&path) || what.is_some() => {
                let query = match what {
                    None => return Err(Error::invalid("usage: .export FILE.csv TABLE|QUERY")),
                    Some(w) if is_read(&w) => w,
                    Some(table) if table.starts_with('"') => format!("SELECT * FROM {table}"),
                    Some(table) => format!("SELECT * FROM {}", quote_stored(&table)),
                };
                let rows = super::csv::export(&mut self.session, &query, &path, self.settings.null_value.as_deref())?;
                let _ = writeln!(self.out, "exported {rows} rows to {path}");
            }
            DotCommand::Export(path, _) => {
                let done = self.session.export()?;
                write_whole(&path, done.text.as_bytes())
                    .map_err(|e| ErrorKind::Io(format!("cannot write {path}: {e}; nothing was written")))?;
                let _ = writeln!(self.out, "exported {} tables, {} rows to {path}", done.tables, done.rows);
            }
            DotCommand::Import(args) if args.csv => {
                let table = args.table.clone().unwrap_or_default();
                let done =
                    super::csv::import(&mut self.session, &args, self.settings.null_value.as_deref(), &self.done)?;
                let made =
                    if done.created { format!(" (made {table} with columns {})", done.columns) } else { String::new() };
                let _ = writeln!(self.out, "imported {} rows from {} into {table}{made}", done.rows, args.file);
            }
            DotCommand::Import(args) => {
                let path = args.file;
                let text = super::input::read_text(&path, self.max_statement).map_err(ErrorKind::Io)?;
                let rows = self.session.import(&text, &path)?;
                let _ = writeln!(self.out, "imported {rows} rows from {path}");
            }
            DotCommand::Print(text) => {
                let _ = writeln!(self.out, "{text}");
            }
            DotCommand::Echo(on) => self.echo = on,
            DotCommand::Bail(on) => self.bail = on,
            DotCommand::Changes(on) => self.changes = on,
            DotCommand::NullValue(text) => self.settings.null_value = Some(text),
            DotCommand::Separator(col, row) => {
                self.settings.separator = col;
                if let Some(row) = row {
                    self.settings.row_separator = row;
                }
            }
            DotCommand::Output(None) => self.output_to_screen(),
            DotCommand::Output(Some(path)) => self.output_to_file(&path, false)?,
            DotCommand::Once(path) => self.output_to_file(&path, true)?,
            DotCommand::Show => {
                let s = &self.settings;
                let shown = |v: &str| format!("{v:?}");
                let lines = [
                    ("bail", on(self.bail).to_string()),
                    ("changes", on(self.changes).to_string()),
                    ("echo", on(self.echo).to_string()),
                    ("expanded", format!("{:?}", s.expanded).to_ascii_lowercase()),
                    ("headers", on(s.headers).to_string()),
                    ("maxrows", s.max_rows.map_or("0 (all)".to_string(), |n| n.to_string())),
                    ("mode", s.mode.name()),
                    ("nullvalue", shown(s.null_value.as_deref().unwrap_or("NULL"))),
                    ("output", if self.screen.is_some() { "a file".to_string() } else { "stdout".to_string() }),
                    ("pager", format!("{:?}", s.pager).to_ascii_lowercase()),
                    ("rowseparator", shown(&s.row_separator)),
                    ("separator", shown(&s.separator)),
                    ("session", self.session_name.clone()),
                    ("namespace", self.session.namespace().to_string()),
                    ("timer", on(s.timer).to_string()),
                    ("width", s.column_widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(" ")),
                ];
                for (k, v) in lines {
                    let _ = writeln!(self.out, "{k:>12}: {v}");
                }
            }
            DotCommand::Width(widths) => self.settings.column_widths = widths,
            DotCommand::MaxRows(n) => self.settings.max_rows = (n > 0).then_some(n),
            DotCommand::Pager(p) => self.settings.pager = p,
            DotCommand::Expanded(e) => self.settings.expanded = e,
            DotCommand::Shell(command) => {
                let _ = self.out.flush();
                let ran = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&command)
                    .output()
                    .map_err(|e| Error::invalid(format!("cannot run {command}: {e}")))?;
                let _ = self.out.write_all(&ran.stdout);
                let _ = self.err.write_all(&ran.stderr);
                if !ran.status.success() {
                    return Err(Error::invalid(format!("{command}: {}", ran.status)));
                }
            }
            DotCommand::Open(dir) => {
                let db = match &dir {
                    None => crate::Database::open_in_memory(),
                    Some(d) => crate::Database::open(d)?,
                };
                let mut next = db.session();
                next.set_interrupt_flag(self.session.interrupt_flag());
                if self.session.in_transaction() {
                    let _ = writeln!(self.err, "the open transaction was rolled back");
                }
                self.session = next;
                self.others.clear();
                self.session_name = "main".to_string();
                let where_ = dir.as_deref().unwrap_or("memory");
                let _ = writeln!(self.out, "opened {where_} at version {}", self.session.database().version());
            }
        }
        Ok(Flow::Continue)
    }

    /// Results to `path` (made or emptied) from now on, or for the next statement.
    fn output_to_file(&mut self, path: &str, once: bool) -> Result<(), Error> {
        let file = std::fs::File::create(path).map_err(|e| Error::invalid(format!("cannot write {path}: {e}")))?;
        let _ = self.out.flush();
        let file: Box<dyn Write> = Box::new(std::io::BufWriter::new(file));
        let previous = std::mem::replace(&mut self.out.inner, file);
        if self.screen.is_none() {
            self.screen = Some(previous);
        }
        self.once = once;
        Ok(())
    }

    /// Results to the screen again.
    fn output_to_screen(&mut self) {
        if let Some(screen) = self.screen.take() {
            let _ = self.out.flush();
            self.out.inner = screen;
        }
        self.once = false;
    }

    /// A listing drawn in the current output mode.
    fn write_rows(&mut self, rows: &ResultSet) {
        let text = render(rows, &self.settings);
        let _ = self.out.write_all(text.as_bytes());
    }

    /// Makes `name` the current session, opening it on the same database if needed.
    fn switch_session(&mut self, name: &str) {
        if name == self.session_name {
            return;
        }
        let next = self.others.remove(name).unwrap_or_else(|| {
            let mut s = self.session.database().session();
            s.set_interrupt_flag(self.session.interrupt_flag());
            s
        });
        let previous = std::mem::replace(&mut self.session, next);
        let previous_name = std::mem::replace(&mut self.session_name, name.to_string());
        self.others.insert(previous_name, previous);
    }

    fn report(&mut self, e: &Error, piece: &Piece, text: &str, source: &str) {
        // A misuse "not allowed in WHERE" is looked for after the WHERE.
        let clause = e.to_string().split_once("not allowed in ").and_then(|(_, c)| {
            let word = c.split(|ch: char| !ch.is_ascii_alphabetic()).next()?.to_string();
            find_word(piece.text, &word, false).map(|at| at + word.len())
        });
        let from = clause.unwrap_or(0);
        let near = subject(e)
            .into_iter()
            .find_map(|(word, call)| find_word(&piece.text[from..], &word, call))
            .map(|at| from + at)
            .or_else(|| value_at(e, piece.text));
        let offset = match (e.kind(), near) {
            (ErrorKind::Parse { offset, .. }, _) => piece.offset + offset,
            // A name the error is about: the first place the statement says it.
            (_, Some(at)) => piece.offset + at,
            // Point at the statement's first word, past any comments before it.
            _ => piece.offset + leading_trivia(piece.text),
        };
        let (line, col) = line_col(text, offset);
        let shown_line = line + self.line_base;
        let label = if self.settings.color { "error:".red().bold().to_string() } else { "error:".to_string() };
        let mut msg = if self.interactive {
            format!("{label} {e}\n")
        } else {
            format!("{source}:{shown_line}:{col}: {label} {e}\n")
        };
        if matches!(e.kind(), ErrorKind::Parse { .. }) || near.is_some() {
            let src_line = text.lines().nth(line - 1).unwrap_or("");
            // Show at most 100 characters of a long line, keeping the caret's place.
            let skip = col.saturating_sub(60);
            let shown: String = src_line.chars().skip(skip).take(100).collect();
            let lead = if skip > 0 { "…" } else { "" };
            let caret = col - 1 - skip + lead.chars().count();
            msg.push_str(&format!("  {lead}{shown}\n  {}^\n", " ".repeat(caret)));
        }
        // In echo mode errors go with the output, so a golden file shows them in place.
        let sink: &mut dyn Write = if self.echo { &mut self.out } else { &mut self.err };
        let _ = sink.write_all(msg.as_bytes());
        let _ = sink.flush();
    }
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn is_csv_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".csv") || lower.ends_with(".tsv")
}

/// The first words of a piece, for its progress line.
fn first_words(text: &str) -> String {
    let mut out = String::new();
    for w in text.split_whitespace() {
        if out.len() + w.len() > 40 {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Whether a statement reads (SELECT, VALUES, or WITH before either), judged by its
/// first word: only those are printed as their rows come.
fn is_read(sql: &str) -> bool {
    let rest = &sql[leading_trivia(sql)..];
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    ["select", "values", "with"].iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// Bytes of whitespace and comments at the start of a statement.
fn leading_trivia(text: &str) -> usize {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        if let Some(r) = trimmed.strip_prefix("--") {
            rest = r.find('\n').map_or("", |n| &r[n..]);
        } else if let Some(r) = trimmed.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |n| &r[n + 2..]);
        } else {
            return text.len() - trimmed.len();
        }
    }
}

/// Writes a file whole or not at all: into `PATH.tmp`, fsynced, then renamed over
/// `PATH`. On any failure the temporary file is removed and `PATH` is untouched.
fn write_whole(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp");
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The output, remembering the first write that failed (every write after it is
/// dropped) until the runner reports it.
struct Checked {
    inner: Box<dyn Write>,
    failed: Option<std::io::Error>,
}

impl Write for Checked {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.failed.is_some() {
            return Ok(buf.len());
        }
        match self.inner.write_all(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                self.failed = Some(e);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.failed.is_none() {
            if let Err(e) = self.inner.flush() {
                self.failed = Some(e);
            }
        }
        Ok(())
    }
}
