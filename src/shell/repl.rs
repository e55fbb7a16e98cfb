//! The interactive shell: rustyline with history, multi-line statements, completion
//! and highlighting. Ctrl-C clears the line (or stops a running query, which then
//! changes nothing); Ctrl-D leaves.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use super::helper::{is_incomplete, AmberHelper, Names};
use super::runner::{Flow, Runner};

/// `$XDG_DATA_HOME/amberdb/history`, or `~/.local/share/amberdb/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".local").join("share"),
    };
    Some(base.join("amberdb").join("history"))
}

fn names_of(runner: &Runner) -> Vec<(String, Vec<String>)> {
    runner.session.completion_names()
}

/// Runs the shell until `.quit` or Ctrl-D.
pub fn run(runner: &mut Runner) -> rustyline::Result<()> {
    runner.interactive = true;
    let flag = runner.session.interrupt_flag();
    // While a statement runs the terminal is in cooked mode, so Ctrl-C arrives as SIGINT.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));

    // Tab completes what all candidates share; a second Tab lists them.
    let config = Config::builder().auto_add_history(false).completion_type(rustyline::CompletionType::List).build();
    let mut editor: Editor<AmberHelper, DefaultHistory> = Editor::with_config(config)?;
    let names = Names::default();
    editor.set_helper(Some(AmberHelper::new(names.clone(), runner.settings.color)));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!("AmberDB {} — type .help for commands, Ctrl-D to quit.", env!("CARGO_PKG_VERSION"));
    // A statement goes on over several lines until its `;`, under a continuation prompt.
    let mut statement = String::new();
    loop {
        names.set(names_of(runner));
        let prompt = prompt_of(runner);
        let prompt = if statement.is_empty() {
            prompt
        } else {
            format!("{}...> ", " ".repeat(prompt.chars().count().saturating_sub(5)))
        };
        match editor.readline(&prompt) {
            Ok(line) => {
                if statement.is_empty() && line.trim().is_empty() {
                    continue;
                }
                statement.push_str(&line);
                statement.push('\n');
                if is_incomplete(&statement) {
                    continue;
                }
                let text = std::mem::take(&mut statement);
                let _ = editor.add_history_entry(text.trim_end());
                // Appended at once, not at exit: a crash keeps it, and two shells open
                // at once both add to the file.
                if let Some(path) = &history {
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    let _ = editor.append_history(path);
                }
                if runner.run_script(&text, "<shell>") == Flow::Stop {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => statement.clear(),
            // Ctrl-D in the middle of a statement drops the statement, as psql does;
            // on an empty line it leaves.
            Err(ReadlineError::Eof) if !statement.trim().is_empty() => {
                statement.clear();
                println!("(the unfinished statement was discarded; Ctrl-D again to leave)");
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        }
    }
    if runner.session.in_transaction() {
        let _ = runner.session.execute("ROLLBACK", &[]);
        println!("the open transaction was rolled back");
    }
    Ok(())
}

/// `amber> `, with the session's name after `@` when it is not `main`, the namespace
/// after `:` once `USE` chose another, and `*` inside a transaction.
fn prompt_of(runner: &Runner) -> String {
    let mut prompt = String::from("amber");
    if runner.session_name != "main" {
        prompt.push('@');
        prompt.push_str(&runner.session_name);
    }
    let namespace = runner.session.namespace();
    if namespace != "main" {
        prompt.push(':');
        prompt.push_str(namespace);
    }
    if runner.session.in_transaction() {
        prompt.push('*');
    }
    prompt.push_str("> ");
    prompt
}
