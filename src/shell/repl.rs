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

fn names_of(runner: &Runner) -> Vec<String> {
    let state = runner.session.state();
    let mut names = Vec::new();
    for t in state.tables() {
        names.push(t.name().to_string());
        names.extend(t.schema.columns.iter().map(|c| c.name.clone()));
    }
    names
}

/// Runs the shell until `.quit` or Ctrl-D.
pub fn run(runner: &mut Runner) -> rustyline::Result<()> {
    runner.interactive = true;
    let flag = runner.session.interrupt_flag();
    // While a statement runs the terminal is in cooked mode, so Ctrl-C arrives as SIGINT.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));

    let config = Config::builder().auto_add_history(false).build();
    let mut editor: Editor<AmberHelper, DefaultHistory> = Editor::with_config(config)?;
    let names = Names::default();
    editor.set_helper(Some(AmberHelper { names: names.clone(), color: runner.settings.color }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!("AmberDB {} — type .help for commands, Ctrl-D to quit.", env!("CARGO_PKG_VERSION"));
    // A statement goes on over several lines until its `;`, under a continuation prompt.
    let mut statement = String::new();
    loop {
        names.set(names_of(runner));
        let star = if runner.session.in_transaction() { "*" } else { "" };
        let prompt = match runner.session_name.as_str() {
            "main" => format!("amber{star}> "),
            name => format!("amber:{name}{star}> "),
        };
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
                if runner.run_script(&text, "<shell>") == Flow::Stop {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => statement.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    Ok(())
}
