//! Dot-commands, parsed into an enum before they run.

use super::render::{Expanded, Mode, Pager};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DotCommand {
    Help,
    /// `.help functions`: every function with its argument counts.
    HelpFunctions,
    Tables,
    /// `.collections`: the document collections.
    Collections,
    /// `.projections`: projections, their positions and lag.
    Projections,
    Namespaces,
    Indexes(Option<String>),
    Schema(Option<String>),
    /// `.mode MODE`, or `.mode` alone to show the mode.
    Mode(Option<Mode>),
    Headers(bool),
    Timer(bool),
    Read(String),
    Quit,
    /// Switch to (or open) a named session; without a name, show the current one.
    Session(Option<String>),
    Snapshots,
    /// Memory and counters.
    Stats,
    /// A migration command over a folder.
    Migrate(crate::MigrateCommand, String),
    /// The slow statements; with an argument, the bound (`slow_query_ms`) to set.
    Slowlog(Option<String>),
    Check,
    Diff(String, String),
    /// Print SQL that rebuilds the database.
    Dump,
    /// Write schema and rows to a RON file; with a `.csv` name, a table or query's rows.
    Export(String, Option<String>),
    /// Load a RON file written by `.export`, or a CSV file into a table.
    Import(ImportArgs),
    /// `.print TEXT`.
    Print(String),
    Echo(bool),
    Bail(bool),
    Changes(bool),
    /// `.nullvalue TEXT`: how NULL is shown.
    NullValue(String),
    /// `.separator COL [ROW]`.
    Separator(String, Option<String>),
    /// `.output [FILE]`: results to a file from now on, or back to the screen.
    Output(Option<String>),
    /// `.once FILE`: the next result to a file.
    Once(String),
    /// `.show`: the settings.
    Show,
    /// `.width N…`: fixed widths of the first columns (0 for automatic).
    Width(Vec<usize>),
    /// `.maxrows N`: show at most N rows of a result (0 for all).
    MaxRows(usize),
    Pager(Pager),
    Expanded(Expanded),
    /// `.shell CMD` / `.system CMD`.
    Shell(String),
    /// `.open DIR`: the database in a data directory (made if new); `.open` alone for a
    /// new in-memory one.
    Open(Option<String>),
}

/// `.import FILE TABLE [--skip N] [--csv|--ron] [--schema NS]`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ImportArgs {
    pub file: String,
    pub table: Option<String>,
    pub skip: usize,
    /// Read as CSV (by the file's extension unless `--csv`/`--ron` says).
    pub csv: bool,
    /// The namespace the table is in (`--schema NS`), as sqlite3's `--schema`.
    pub schema: Option<String>,
}

pub const HELP: &str = "\
.bail on|off          stop at the first error
.changes on|off       show changes() and total_changes() after each write
.check                verify indexes, keys and constraints (CHECK DATABASE)
.collections          list the document collections (CREATE COLLECTION)
.diff A B             rows changed from A to B (snapshot names, version numbers or HEAD)
.dump                 print SQL that rebuilds the database
.echo on|off          print each statement before its result
.exit, .quit          leave the shell
.expanded on|off|auto one block per row (auto: when a table would not fit)
.export FILE [TABLE|QUERY]  FILE.csv: a table's or query's rows as CSV;
                      another name: every table's schema and rows (RON)
.headers on|off       show or hide column names
.help                 show this list
.help functions       list every function (also SELECT * FROM amber_functions())
.import FILE [TABLE]  FILE.csv into TABLE (made with column types from the data when
                      missing; --skip N skips lines); a RON file from .export
.indexes [TABLE]      list the indexes (and the unique constraints behind them)
.maxrows N            show at most N rows of a long result, first and last (0: all)
.migrate CMD [N] [DIR]  status, up [N], down [N] or redo over DIR (migrations)
.mode [MODE]          show or set the output mode: box, table, column, csv, json,
                      jsonl, markdown, html, line, list, tabs, insert [TABLE]
.namespaces           list the namespaces with their tables and streams
.nullvalue TEXT       how NULL is shown
.once FILE            the next result to FILE
.open [DIR]           the database in DIR (a data directory, made if new); alone: a new
                      in-memory database
.output [FILE]        results to FILE from now on; alone: back to the screen
.pager on|off|auto    long results through $PAGER (less -FRX); auto: on a terminal
.print TEXT           print TEXT
.projections          projections: the position each reached in its category, and its lag
.read FILE            run the statements in FILE
.schema [NAME]        the CREATE statements of tables, views, indexes and triggers
.separator COL [ROW]  the separators of list mode
.session [NAME]       switch to (or open) another session on the same database
.shell CMD, .system CMD  run CMD in the system's shell
.show                 show the settings
.slowlog [MS|off]     the slowest recent statements; with MS, record those over MS ms
.snapshots            list the named snapshots
.stats                memory by table and index, old versions, snapshots; the counters
.tables               list the tables and views
.timer on|off         show how long each statement took
.width N…             fixed widths of the first columns (0: automatic)
";

/// The dot-commands, for `.help`'s neighbours: completion and errors.
pub const COMMANDS: &[&str] = &[
    ".bail",
    ".changes",
    ".check",
    ".collections",
    ".diff",
    ".dump",
    ".echo",
    ".exit",
    ".expanded",
    ".export",
    ".headers",
    ".help",
    ".import",
    ".indexes",
    ".maxrows",
    ".migrate",
    ".mode",
    ".namespaces",
    ".nullvalue",
    ".once",
    ".open",
    ".output",
    ".pager",
    ".print",
    ".projections",
    ".quit",
    ".read",
    ".schema",
    ".separator",
    ".session",
    ".shell",
    ".show",
    ".slowlog",
    ".snapshots",
    ".stats",
    ".system",
    ".tables",
    ".timer",
    ".width",
];

fn on_off(cmd: &str, arg: Option<&str>) -> Result<bool, String> {
    match arg.map(str::to_ascii_lowercase).as_deref() {
        Some("on" | "yes" | "true" | "1") => Ok(true),
        Some("off" | "no" | "false" | "0") => Ok(false),
        _ => Err(format!("usage: .{cmd} on|off")),
    }
}

/// Unquotes an argument written in single or double quotes, with `\t`, `\n` and `\\`
/// escapes, as sqlite3 reads `.separator` and `.nullvalue`.
fn unquote(arg: &str) -> String {
    let inner = match arg.as_bytes() {
        [b'"', .., b'"'] | [b'\'', .., b'\''] if arg.len() >= 2 => &arg[1..arg.len() - 1],
        _ => arg,
    };
    inner.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")
}

/// Splits arguments at spaces, keeping quoted ones whole.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' || c == '\'' {
            chars.next();
            word.push(c);
            for d in chars.by_ref() {
                word.push(d);
                if d == c {
                    break;
                }
            }
        } else {
            while let Some(&d) = chars.peek() {
                if d.is_whitespace() {
                    break;
                }
                word.push(d);
                chars.next();
            }
        }
        out.push(word);
    }
    out
}

fn parse_import(args: &[String]) -> Result<ImportArgs, String> {
    const USAGE: &str = "usage: .import FILE [TABLE] [--skip N] [--schema NS] [--csv|--ron]";
    let mut import = ImportArgs::default();
    let mut plain = Vec::new();
    let mut forced = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--skip" => {
                i += 1;
                import.skip = args.get(i).and_then(|n| n.parse().ok()).ok_or(USAGE)?;
            }
            "--schema" => {
                i += 1;
                import.schema = Some(args.get(i).map(|s| unquote(s)).ok_or(USAGE)?);
            }
            "--csv" => forced = Some(true),
            "--ron" => forced = Some(false),
            a if a.starts_with("--") => return Err(format!("unknown option {a}; {USAGE}")),
            a => plain.push(unquote(a)),
        }
        i += 1;
    }
    let mut plain = plain.into_iter();
    import.file = plain.next().ok_or(USAGE)?;
    import.table = plain.next();
    if plain.next().is_some() {
        return Err(USAGE.into());
    }
    let by_name = {
        let lower = import.file.to_ascii_lowercase();
        lower.ends_with(".csv") || lower.ends_with(".tsv") || lower.ends_with(".txt")
    };
    import.csv = forced.unwrap_or(by_name || import.table.is_some());
    if import.csv && import.table.is_none() {
        return Err(format!("{USAGE} (a CSV file goes into a TABLE)"));
    }
    Ok(import)
}

/// Parses a line that starts with `.`.
pub fn parse(line: &str) -> Result<DotCommand, String> {
    let line = line.trim().trim_start_matches('.');
    let (cmd, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let cmd = cmd.to_ascii_lowercase();
    let rest = rest.trim();
    let args = words(rest);
    let arg = args.first().map(String::as_str);
    let cmd_ok = match cmd.as_str() {
        "help" if arg.is_some_and(|a| a.eq_ignore_ascii_case("functions")) => DotCommand::HelpFunctions,
        "help" => DotCommand::Help,
        "tables" => DotCommand::Tables,
        "collections" => DotCommand::Collections,
        "projections" => DotCommand::Projections,
        "namespaces" => DotCommand::Namespaces,
        "indexes" | "indices" => DotCommand::Indexes(arg.map(unquote)),
        "schema" => DotCommand::Schema(arg.map(unquote)),
        "mode" if rest.is_empty() => DotCommand::Mode(None),
        "mode" => DotCommand::Mode(Some(
            Mode::parse(rest).ok_or_else(|| format!("unknown mode {rest}: expected one of {}", Mode::NAMES))?,
        )),
        "headers" | "header" => DotCommand::Headers(on_off("headers", arg)?),
        "timer" => DotCommand::Timer(on_off("timer", arg)?),
        "echo" => DotCommand::Echo(on_off("echo", arg)?),
        "bail" => DotCommand::Bail(on_off("bail", arg)?),
        "changes" => DotCommand::Changes(on_off("changes", arg)?),
        "read" => DotCommand::Read(arg.map(unquote).ok_or("usage: .read FILE")?),
        "quit" | "exit" | "q" => DotCommand::Quit,
        "session" => DotCommand::Session(arg.map(str::to_string)),
        "snapshots" => DotCommand::Snapshots,
        "stats" => DotCommand::Stats,
        "migrate" => {
            let usage = "usage: .migrate status|up [N]|down [N]|redo [DIR]";
            let (verb, rest) = args.split_first().ok_or(usage)?;
            let (n, dir) = match rest {
                [n, dir] => (Some(n.parse::<usize>().map_err(|_| usage)?), Some(dir.clone())),
                [one] => match one.parse::<usize>() {
                    Ok(n) => (Some(n), None),
                    Err(_) => (None, Some(one.clone())),
                },
                [] => (None, None),
                _ => return Err(usage.into()),
            };
            let command = match verb.as_str() {
                "status" => crate::MigrateCommand::Status,
                "up" => crate::MigrateCommand::Up(n),
                "down" => crate::MigrateCommand::Down(n.unwrap_or(1)),
                "redo" => crate::MigrateCommand::Redo,
                _ => return Err(usage.into()),
            };
            DotCommand::Migrate(command, dir.map(|d| unquote(&d)).unwrap_or_else(|| "migrations".into()))
        }
        "slowlog" => DotCommand::Slowlog(arg.map(str::to_string)),
        "check" => DotCommand::Check,
        "diff" => match args.as_slice() {
            [a, b] => DotCommand::Diff(a.clone(), b.clone()),
            _ => return Err("usage: .diff A B (snapshot names, version numbers or HEAD)".into()),
        },
        "dump" => DotCommand::Dump,
        "export" => {
            let file = arg.map(unquote).ok_or("usage: .export FILE [TABLE|QUERY]")?;
            let what = rest[rest.find(arg.unwrap_or("")).unwrap_or(0) + arg.unwrap_or("").len()..].trim();
            DotCommand::Export(file, (!what.is_empty()).then(|| what.to_string()))
        }
        "import" => DotCommand::Import(parse_import(&args)?),
        "print" => DotCommand::Print(args.iter().map(|a| unquote(a)).collect::<Vec<_>>().join(" ")),
        "nullvalue" => DotCommand::NullValue(arg.map(unquote).unwrap_or_default()),
        "separator" => match args.as_slice() {
            [col] => DotCommand::Separator(unquote(col), None),
            [col, row] => DotCommand::Separator(unquote(col), Some(unquote(row))),
            _ => return Err("usage: .separator COL [ROW]".into()),
        },
        "output" => DotCommand::Output(arg.map(unquote)),
        "once" => DotCommand::Once(arg.map(unquote).ok_or("usage: .once FILE")?),
        "show" => DotCommand::Show,
        "width" => DotCommand::Width(
            args.iter()
                .map(|w| w.parse::<usize>().map_err(|_| format!("usage: .width N… ({w} is not a width)")))
                .collect::<Result<_, _>>()?,
        ),
        "maxrows" => {
            DotCommand::MaxRows(arg.and_then(|n| n.parse().ok()).ok_or("usage: .maxrows N (0 shows every row)")?)
        }
        "pager" => DotCommand::Pager(match arg.map(str::to_ascii_lowercase).as_deref() {
            Some("on") => Pager::On,
            Some("off") => Pager::Off,
            Some("auto") => Pager::Auto,
            _ => return Err("usage: .pager on|off|auto".into()),
        }),
        "expanded" | "x" => DotCommand::Expanded(match arg.map(str::to_ascii_lowercase).as_deref() {
            Some("on") => Expanded::On,
            Some("off") => Expanded::Off,
            Some("auto") => Expanded::Auto,
            _ => return Err("usage: .expanded on|off|auto".into()),
        }),
        "shell" | "system" if !rest.is_empty() => DotCommand::Shell(rest.to_string()),
        "shell" | "system" => return Err(format!("usage: .{cmd} COMMAND")),
        "open" => DotCommand::Open(arg.map(unquote)),
        _ => return Err(format!("unknown command .{cmd}; the commands are {}", COMMANDS.join(" "))),
    };
    Ok(cmd_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_refuses_unknown_ones() {
        assert_eq!(parse(".mode csv"), Ok(DotCommand::Mode(Some(Mode::Csv))));
        assert_eq!(parse(".mode"), Ok(DotCommand::Mode(None)));
        assert_eq!(parse(".mode insert people"), Ok(DotCommand::Mode(Some(Mode::Insert("people".into())))));
        assert_eq!(parse(".headers off"), Ok(DotCommand::Headers(false)));
        assert_eq!(parse(".schema users"), Ok(DotCommand::Schema(Some("users".into()))));
        assert!(parse(".frobnicate").unwrap_err().contains(".tables"));
        assert!(parse(".mode weird").is_err());
        assert_eq!(parse(".print hello  world"), Ok(DotCommand::Print("hello world".into())));
        assert_eq!(parse(".nullvalue '∅'"), Ok(DotCommand::NullValue("∅".into())));
        assert_eq!(parse(".separator \"\\t\""), Ok(DotCommand::Separator("\t".into(), None)));
        assert_eq!(parse(".width 5 0 10"), Ok(DotCommand::Width(vec![5, 0, 10])));
        assert_eq!(parse(".shell echo hi there"), Ok(DotCommand::Shell("echo hi there".into())));
        assert_eq!(
            parse(".export out.csv SELECT * FROM t"),
            Ok(DotCommand::Export("out.csv".into(), Some("SELECT * FROM t".into())))
        );
    }

    #[test]
    fn import_chooses_csv_by_name_or_table() {
        let i = |l| match parse(l) {
            Ok(DotCommand::Import(a)) => a,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            i(".import x.csv t --skip 1"),
            ImportArgs { file: "x.csv".into(), table: Some("t".into()), skip: 1, csv: true, schema: None }
        );
        assert_eq!(i(".import x.csv t --schema app").schema.as_deref(), Some("app"));
        assert!(!i(".import backup.ron").csv);
        assert!(i(".import data.txt people").csv);
        assert!(parse(".import x.csv").is_err());
        assert!(parse(".import x.csv t --bogus").is_err());
    }
}
