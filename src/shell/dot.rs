//! Dot-commands, parsed into an enum before they run.

use super::render::Mode;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DotCommand {
    Help,
    /// `.help functions`: every function with its argument counts.
    HelpFunctions,
    Tables,
    /// `.collections`: the document collections.
    Collections,
    Namespaces,
    Indexes(Option<String>),
    Schema(Option<String>),
    Mode(Mode),
    Headers(bool),
    Timer(bool),
    Read(String),
    Quit,
    /// Switch to (or open) a named session; without a name, show the current one.
    Session(Option<String>),
    Snapshots,
    Check,
    Diff(String, String),
    /// Print SQL that rebuilds the database.
    Dump,
    /// Write schema and rows to a RON file.
    Export(String),
    /// Load schema and rows from a RON file written by `.export`.
    Import(String),
}

pub const HELP: &str = "\
.headers on|off   show or hide column names
.help             show this list
.help functions   list every function (also SELECT * FROM amber_functions())
.mode MODE        output mode: table, box, csv, json, markdown, line
.quit, .exit      leave the shell
.read FILE        run the statements in FILE
.schema [TABLE]   show the CREATE statements of all tables, or of one
.session [NAME]   switch to (or open) another session on the same database
.snapshots        list the named snapshots
.check            verify indexes, keys and constraints (CHECK DATABASE)
.diff A B         rows changed from A to B (snapshot names, version numbers or HEAD)
.dump             print SQL that rebuilds the database
.export FILE      write every table's schema and rows to FILE (RON)
.import FILE      load a file written by .export, all or nothing
.tables           list the tables
.collections      list the document collections (CREATE COLLECTION)
.namespaces       list the namespaces with their tables and streams
.indexes [TABLE]  list the indexes (and the unique constraints behind them)
.timer on|off     show how long each statement took
";

fn on_off(cmd: &str, arg: Option<&str>) -> Result<bool, String> {
    match arg.map(str::to_ascii_lowercase).as_deref() {
        Some("on" | "yes" | "true" | "1") => Ok(true),
        Some("off" | "no" | "false" | "0") => Ok(false),
        _ => Err(format!("usage: .{cmd} on|off")),
    }
}

/// Parses a line that starts with `.`.
pub fn parse(line: &str) -> Result<DotCommand, String> {
    let mut words = line.trim().trim_start_matches('.').split_whitespace();
    let cmd = words.next().unwrap_or("").to_ascii_lowercase();
    let arg = words.next();
    let cmd_ok = match cmd.as_str() {
        "help" if arg.is_some_and(|a| a.eq_ignore_ascii_case("functions")) => DotCommand::HelpFunctions,
        "help" => DotCommand::Help,
        "tables" => DotCommand::Tables,
        "collections" => DotCommand::Collections,
        "namespaces" => DotCommand::Namespaces,
        "indexes" | "indices" => DotCommand::Indexes(arg.map(str::to_string)),
        "schema" => DotCommand::Schema(arg.map(str::to_string)),
        "mode" => {
            let name = arg.ok_or_else(|| format!("usage: .mode MODE (one of {})", Mode::NAMES))?;
            let mode =
                Mode::parse(name).ok_or_else(|| format!("unknown mode {name}: expected one of {}", Mode::NAMES))?;
            DotCommand::Mode(mode)
        }
        "headers" | "header" => DotCommand::Headers(on_off("headers", arg)?),
        "timer" => DotCommand::Timer(on_off("timer", arg)?),
        "read" => DotCommand::Read(arg.ok_or("usage: .read FILE")?.to_string()),
        "quit" | "exit" | "q" => DotCommand::Quit,
        "session" => DotCommand::Session(arg.map(str::to_string)),
        "snapshots" => DotCommand::Snapshots,
        "check" => DotCommand::Check,
        "diff" => {
            let usage = "usage: .diff A B (snapshot names, version numbers or HEAD)";
            let a = arg.ok_or(usage)?;
            let b = words.next().ok_or(usage)?;
            DotCommand::Diff(a.to_string(), b.to_string())
        }
        "dump" => DotCommand::Dump,
        "export" => DotCommand::Export(arg.ok_or("usage: .export FILE")?.to_string()),
        "import" => DotCommand::Import(arg.ok_or("usage: .import FILE")?.to_string()),
        _ => {
            return Err(format!(
                "unknown command .{cmd}; the commands are .check .collections .diff .dump .exit .export .headers .help .import \
                 .indexes .mode .namespaces .quit .read .schema .session .snapshots .tables .timer"
            ))
        }
    };
    Ok(cmd_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_refuses_unknown_ones() {
        assert_eq!(parse(".mode csv"), Ok(DotCommand::Mode(Mode::Csv)));
        assert_eq!(parse(".headers off"), Ok(DotCommand::Headers(false)));
        assert_eq!(parse(".schema users"), Ok(DotCommand::Schema(Some("users".into()))));
        assert!(parse(".frobnicate").unwrap_err().contains(".tables"));
        assert!(parse(".mode weird").is_err());
    }
}
