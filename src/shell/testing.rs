//! `amberdb test`: snapshot tests for `.q` scripts.
//!
//! Each script runs on a fresh in-memory database; its transcript (every statement
//! echoed above its output, errors in place, plain text) is compared with `NAME.q.snap`
//! beside it. A difference fails the run and prints a line diff; a missing snapshot is
//! written as `NAME.q.snap.new`. Directives in leading comments:
//! - `-- setup: PATH` runs another script first (relative to this one), unrecorded;
//! - `-- data: DIR` opens a copy of the durable database in DIR (relative to the
//!   script) instead of an empty one, so the script can change it freely;
//! - `-- sort` sorts every result's rows, for queries without ORDER BY.

use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use owo_colors::OwoColorize;
use similar::{ChangeTag, TextDiff};

use super::render::Settings;
use super::runner::Runner;
use crate::txn::Database;

/// What `amberdb test` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    pub paths: Vec<PathBuf>,
    pub accept: bool,
    pub review: bool,
    pub filter: Option<String>,
    pub jobs: usize,
    pub junit: Option<PathBuf>,
    pub color: bool,
}

/// How one script fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// The transcript differs from the snapshot (which is the first string).
    Failed {
        expected: String,
    },
    /// No snapshot yet.
    New,
    /// The script could not be set up (a setup script failed, a data directory could
    /// not be copied): nothing is compared or recorded.
    Broken(String),
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub path: PathBuf,
    pub transcript: String,
    pub verdict: Verdict,
    pub seconds: f64,
}

/// A writer whose bytes stay readable after the runner that owns it is gone.
#[derive(Clone, Default)]
pub struct Buffer(Rc<RefCell<Vec<u8>>>);

impl Buffer {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The directives at the top of a script.
#[derive(Default)]
struct Directives {
    /// Each setup script as written and as found.
    setup: Vec<(String, PathBuf)>,
    data: Option<(String, PathBuf)>,
    sort: bool,
}

fn directives(script: &str, dir: &Path) -> Directives {
    let mut d = Directives::default();
    for line in script.lines().map(str::trim).take_while(|l| l.is_empty() || l.starts_with("--")) {
        let body = line.trim_start_matches('-').trim();
        if let Some(path) = body.strip_prefix("setup:") {
            d.setup.push((path.trim().to_string(), dir.join(path.trim())));
        } else if let Some(path) = body.strip_prefix("data:") {
            d.data = Some((path.trim().to_string(), dir.join(path.trim())));
        } else if body == "sort" {
            d.sort = true;
        }
    }
    d
}

/// The transcript of a script: each statement above its output, errors in place; a
/// script that cannot be set up gives its reason in place of a transcript.
pub fn transcript(script: &str, name: &str, dir: &Path) -> String {
    try_transcript(script, name, dir).unwrap_or_else(|e| format!("error: {e}\n"))
}

/// The transcript of a script, or why it could not be set up. Setup and data paths
/// are relative to the script's own folder, and are named in errors as the script
/// wrote them, so nothing here depends on the folder `amberdb test` runs in.
pub fn try_transcript(script: &str, name: &str, dir: &Path) -> Result<String, String> {
    let buf = Buffer::default();
    let d = directives(script, dir);
    let copy = match &d.data {
        None => None,
        Some((written, data)) => {
            Some(DataCopy::new(data).map_err(|e| format!("{name}: cannot copy the data directory {written}: {e}"))?)
        }
    };
    let db = match &copy {
        None => Database::open_in_memory(),
        Some(copy) => Database::open(&copy.0).map_err(|e| format!("{name}: the `-- data:` directory: {e}"))?,
    };
    let session = db.session();
    drop(db);
    let errors = Buffer::default();
    let mut runner = Runner::new(session, Settings::default(), Box::new(std::io::sink()), Box::new(errors.clone()));
    for (written, setup) in &d.setup {
        let text = std::fs::read_to_string(setup)
            .map_err(|e| format!("{name}: cannot read setup script {written} (beside the script): {e}"))?;
        runner.run_script(&text, written);
        if runner.errors > 0 {
            return Err(format!("{name}: setup script {written} failed:\n{}", errors.text().trim_end()));
        }
    }
    let mut runner = runner.with_output(Box::new(buf.clone()), Box::new(buf.clone()));
    runner.echo = true;
    runner.sort_results = d.sort;
    runner.run_script(script, name);
    drop(runner);
    drop(copy);
    Ok(buf.text())
}

/// A private copy of a data directory, removed when dropped.
struct DataCopy(PathBuf);

impl DataCopy {
    fn new(from: &Path) -> std::io::Result<DataCopy> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let to = std::env::temp_dir().join(format!("amberdb-test-data-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&to);
        std::fs::create_dir_all(&to)?;
        let copy = DataCopy(to);
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name();
            if entry.file_type()?.is_file() && name != "LOCK" {
                std::fs::copy(entry.path(), copy.0.join(&name))?;
            }
        }
        Ok(copy)
    }
}

impl Drop for DataCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn snapshot_path(script: &Path, suffix: &str) -> PathBuf {
    let mut name = script.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The `.q` files under the given paths (folders searched recursively), sorted.
pub fn find_scripts(paths: &[PathBuf], filter: Option<&str>) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for entry in std::fs::read_dir(&p)? {
                let path = entry?.path();
                let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
                if path.is_dir() && !hidden && !path.ends_with("target") {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "q") {
                    out.push(path);
                }
            }
        } else if p.exists() {
            out.push(p);
        } else {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("no such file: {}", p.display())));
        }
    }
    out.retain(|p| filter.is_none_or(|f| p.to_string_lossy().contains(f)));
    out.sort();
    out.dedup();
    Ok(out)
}

/// Runs one script and compares it with its snapshot.
pub fn check(path: &Path) -> Outcome {
    let started = std::time::Instant::now();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("script.q").to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    let made = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
        .and_then(|script| try_transcript(&script, &name, dir));
    let (transcript, verdict) = match made {
        Err(why) => (String::new(), Verdict::Broken(why)),
        Ok(transcript) => {
            let verdict = match std::fs::read_to_string(snapshot_path(path, ".snap")) {
                Ok(expected) if expected == transcript => Verdict::Passed,
                Ok(expected) => Verdict::Failed { expected },
                Err(_) => Verdict::New,
            };
            (transcript, verdict)
        }
    };
    Outcome { path: path.to_path_buf(), transcript, verdict, seconds: started.elapsed().as_secs_f64() }
}

/// Runs scripts on `jobs` threads, keeping their order.
pub fn check_all(paths: &[PathBuf], jobs: usize) -> Vec<Outcome> {
    let jobs = jobs.max(1);
    let chunk = paths.len().div_ceil(jobs).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|p| check(p)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// A line diff of expected against actual, `-` for expected lines and `+` for actual ones.
pub fn diff(expected: &str, actual: &str, color: bool) -> String {
    let mut out = String::new();
    for change in TextDiff::from_lines(expected, actual).iter_all_changes() {
        let line = change.to_string_lossy();
        let line = line.trim_end_matches('\n');
        let text = match change.tag() {
            ChangeTag::Equal => format!("  {line}"),
            ChangeTag::Delete if color => format!("{}", format!("- {line}").red()),
            ChangeTag::Insert if color => format!("{}", format!("+ {line}").green()),
            ChangeTag::Delete => format!("- {line}"),
            ChangeTag::Insert => format!("+ {line}"),
        };
        out.push_str(&text);
        out.push('\n');
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A JUnit XML report of the outcomes.
pub fn junit(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| o.verdict != Verdict::Passed).count();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"amberdb\" tests=\"{}\" failures=\"{failures}\">\n",
        outcomes.len()
    );
    for o in outcomes {
        let name = xml_escape(&o.path.display().to_string());
        xml.push_str(&format!("  <testcase name=\"{name}\" time=\"{:.3}\"", o.seconds));
        match &o.verdict {
            Verdict::Passed => xml.push_str("/>\n"),
            Verdict::New => xml.push_str(">\n    <failure message=\"no snapshot yet\"/>\n  </testcase>\n"),
            Verdict::Broken(why) => {
                xml.push_str(&format!(">\n    <error message=\"{}\"/>\n  </testcase>\n", xml_escape(why)));
            }
            Verdict::Failed { expected } => {
                let body = xml_escape(&diff(expected, &o.transcript, false));
                xml.push_str(&format!(
                    ">\n    <failure message=\"the transcript differs from the snapshot\">{body}</failure>\n  </testcase>\n"
                ));
            }
        }
    }
    xml.push_str("</testsuite>\n");
    xml
}

fn ask(question: &str) -> String {
    print!("{question} ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    answer.trim().to_ascii_lowercase()
}

/// Runs `amberdb test`; returns the process exit code.
pub fn run(options: &TestOptions) -> i32 {
    let paths = if options.paths.is_empty() { vec![PathBuf::from(".")] } else { options.paths.clone() };
    let scripts = match find_scripts(&paths, options.filter.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("amberdb test: {e}");
            return 2;
        }
    };
    let outcomes = check_all(&scripts, options.jobs);
    let (mut passed, mut failed, mut new) = (0, 0, 0);
    for o in &outcomes {
        let shown = o.path.display();
        let accept = |o: &Outcome| {
            let _ = std::fs::write(snapshot_path(&o.path, ".snap"), &o.transcript);
            let _ = std::fs::remove_file(snapshot_path(&o.path, ".snap.new"));
        };
        match &o.verdict {
            Verdict::Passed => {
                passed += 1;
                println!("ok      {shown}");
            }
            Verdict::Broken(why) => {
                failed += 1;
                println!("BROKEN  {shown}: {why}");
            }
            Verdict::Failed { expected } => {
                println!("FAILED  {shown}");
                print!("{}", diff(expected, &o.transcript, options.color));
                let take = options.accept
                    || (options.review && ask("accept this change? [a]ccept / [r]eject / [s]kip:") == "a");
                if take {
                    accept(o);
                    println!("        accepted");
                    passed += 1;
                } else {
                    failed += 1;
                }
            }
            Verdict::New => {
                println!("new     {shown}");
                let take = options.accept
                    || (options.review && {
                        print!("{}", diff("", &o.transcript, options.color));
                        ask("accept this snapshot? [a]ccept / [r]eject / [s]kip:") == "a"
                    });
                if take {
                    accept(o);
                    println!("        accepted");
                    passed += 1;
                } else {
                    let _ = std::fs::write(snapshot_path(&o.path, ".snap.new"), &o.transcript);
                    new += 1;
                }
            }
        }
    }
    if let Some(file) = &options.junit {
        if let Err(e) = std::fs::write(file, junit(&outcomes)) {
            eprintln!("amberdb test: cannot write {}: {e}", file.display());
        }
    }
    println!("{passed} passed, {failed} failed, {new} new");
    if failed > 0 || new > 0 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_echo_statements_and_errors() {
        let t = transcript("SELECT 1 AS one;\nSELEC 2;\n", "x.q", Path::new("."));
        assert!(t.starts_with("> SELECT 1 AS one;\n┌"), "{t}");
        assert!(t.contains("x.q:2:1: error: expected a statement"), "{t}");
    }

    #[test]
    fn sort_directive_sorts_results() {
        let script = "-- sort\nCREATE TABLE t (a INT);\nINSERT INTO t VALUES (3), (1), (2);\nSELECT a FROM t;\n";
        let t = transcript(script, "s.q", Path::new("."));
        let digits: String = t.lines().filter_map(|l| l.strip_prefix("│ ")).map(|l| l.trim_end_matches(" │")).collect();
        assert_eq!(digits, "a123");
    }

    #[test]
    fn diffs_mark_lines() {
        assert_eq!(diff("a\nb\n", "a\nc\n", false), "  a\n- b\n+ c\n");
    }
}
