//! The `amberdb` binary as a script runner: exit codes, error positions, output modes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn amberdb(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the amberdb binary starts");
    child.stdin.take().expect("stdin is piped").write_all(stdin.as_bytes()).expect("stdin accepts the script");
    child.wait_with_output().expect("amberdb finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn csv_mode_prints_integer_division_and_null() {
    let out = amberdb(&["--mode", "csv", "-c", "SELECT 7/2 AS q, 7.0/2 AS r, 1/0 AS z"], "");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "q,r,z\r\n3,3.5,\r\n");
}

#[test]
fn a_script_error_names_file_line_and_column_and_the_rest_still_runs() {
    let dir = std::env::temp_dir().join(format!("amberdb-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("typo.q");
    std::fs::write(
        &path,
        "CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1), (2);\nSELECT a FROM t WHERE a >;\nSELECT count(*) AS n FROM t;\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = amberdb(&["--mode", "csv", p], "");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("{p}:3:26: error: expected an expression after `>`")), "{err}");
    assert_eq!(text(&out.stdout), "n\r\n2\r\n");

    let bailed = amberdb(&["--bail", "--mode", "csv", p], "");
    assert_eq!(bailed.status.code(), Some(1));
    assert_eq!(text(&bailed.stdout), "", "--bail stops before the last SELECT");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn piped_input_is_a_script_named_stdin() {
    let out = amberdb(&[], "SELECT 1 AS one;\nSELECT nope;\n");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("│ one │") && stdout.contains("1 row"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colors when stdout is not a terminal");
    assert_eq!(text(&out.stderr), "<stdin>:2:8: error: no such column: nope\n  SELECT nope;\n         ^\n");
}

#[test]
fn multi_line_statements_and_modes() {
    let out = amberdb(&["--mode", "json"], "SELECT 1 AS a,\n  'x' AS b;\n");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "[{\"a\":1,\"b\":\"x\"}]\n");
    // JSON documents come out as JSON values, not as strings holding them.
    let out =
        amberdb(&["--mode", "json"], "SELECT json_array(1, 'x') AS a, '[2]' AS b, '{\"k\": [3]}' -> '$.k' AS c;\n");
    assert_eq!(text(&out.stdout), "[{\"a\":[1,\"x\"],\"b\":\"[2]\",\"c\":[3]}]\n");
    let out = amberdb(&["--mode", "markdown", "--no-headers", "-c", "SELECT 1, 2"], "");
    assert_eq!(text(&out.stdout), "| 1 | 2 |\n");
}

#[test]
fn help_version_and_bad_arguments() {
    let help = amberdb(&["--help"], "");
    assert!(help.status.success());
    assert!(text(&help.stdout).contains("--mode"));
    let version = amberdb(&["--version"], "");
    assert!(text(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
    let bad = amberdb(&["--mode", "yaml", "-c", "SELECT 1"], "");
    assert!(!bad.status.success());
    let missing = amberdb(&["/no/such/file.q"], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("cannot read /no/such/file.q"));
}

#[test]
fn data_directory_keeps_commits_locks_and_reports_recovery() {
    let dir = std::env::temp_dir().join(format!("amberdb-cli-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().unwrap();
    let out = amberdb(&["--data", data], "CREATE TABLE t (n INTEGER);\nINSERT INTO t VALUES (1), (2);\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = amberdb(&["--data", data, "--mode", "csv", "-c", "SELECT sum(n) AS s FROM t"], "");
    assert_eq!(text(&out.stdout), "s\r\n3\r\n");

    // A second process gets an error naming the directory and the holder.
    let held = amberdb::Database::open(&dir).unwrap();
    let out = amberdb(&["--data", data, "-c", "SELECT 1"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(data) && err.contains(&format!("process {}", std::process::id())), "{err}");
    drop(held);

    // A torn tail is cut off and reported.
    let segment = dir.join("wal-00000000000000000001.log");
    let bytes = std::fs::read(&segment).unwrap();
    std::fs::write(&segment, &bytes[..bytes.len() - 3]).unwrap();
    let out = amberdb(&["--data", data, "--mode", "csv", "-c", "SELECT count(*) AS c FROM t"], "");
    assert!(text(&out.stderr).contains("recovered to version 1 (1 log records); dropped"), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "c\r\n0\r\n");

    // --as-of opens a past version read-only.
    amberdb(&["--data", data], "INSERT INTO t VALUES (5);\nINSERT INTO t VALUES (6);\n");
    let out = amberdb(&["--data", data, "--as-of", "2", "--mode", "csv", "-c", "SELECT sum(n) AS s FROM t"], "");
    assert_eq!(text(&out.stdout), "s\r\n5\r\n", "{}", text(&out.stderr));
    let out = amberdb(&["--as-of", "2", "-c", "SELECT 1"], "");
    assert!(!out.status.success(), "--as-of needs --data");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn piped_input_runs_each_statement_as_it_arrives() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
        .args(["--mode", "csv", "--no-headers"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // The first answer comes while the input is still open: the pipe is not read to its end first.
    stdin.write_all(b"SELECT 1;\n").unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim_end(), "1");
    stdin.write_all(b"SELECT\n  2;\n").unwrap();
    drop(stdin);
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim_end(), "2");
    assert!(child.wait().unwrap().success());
}

#[test]
fn endless_or_binary_input_is_refused_without_reading_it_whole() {
    for dot in [".read /dev/zero", ".import /dev/zero"] {
        let out = amberdb(&[], &format!("{dot}\nSELECT 'after';\n"));
        assert!(!out.status.success(), "{dot}");
        assert!(text(&out.stderr).contains("NUL byte"), "{dot}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("after"), "{dot}: the script goes on");
    }
    // A statement longer than the limit is refused, named by its line, and skipped.
    let long = format!("SELECT 1;\nSELECT '{}';\nSELECT 3;\n", "x".repeat(500));
    let out = amberdb(&["--max-statement", "100", "--mode", "csv", "--no-headers"], &long);
    assert!(!out.status.success());
    assert_eq!(text(&out.stderr), "<stdin>:2: error: statement too long (more than 100 bytes); skipped\n");
    assert_eq!(text(&out.stdout), "1\r\n3\r\n");
}

#[test]
fn errors_in_a_streamed_script_name_the_line_in_the_whole_file() {
    let out = amberdb(&["--mode", "csv", "--no-headers"], "SELECT 1;\n\n-- a comment\nSELECT\n  2 +;\nSELECT 3;\n");
    assert_eq!(text(&out.stdout), "1\r\n3\r\n");
    assert!(text(&out.stderr).starts_with("<stdin>:5:6: error:"), "{}", text(&out.stderr));
}

/// Runs amberdb with its standard output on `/dev/full`, a device every write to which
/// fails as on a full disk.
fn amberdb_to_full_disk(args: &[&str], stdin: &str) -> Output {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists on Linux");
    let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn output_to_a_full_disk_is_an_error_and_the_exit_status_says_so() {
    let out = amberdb_to_full_disk(&["-c", "SELECT 1"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot write the output: No space left on device"), "{}", text(&out.stderr));
    let out = amberdb_to_full_disk(&[], "CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1);\n.dump\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot write the output"), "{}", text(&out.stderr));
}

#[test]
fn an_export_that_cannot_be_written_whole_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.ron");
    // The export goes to `out.ron.tmp` first: made a link to /dev/full, its write fails
    // as a full disk's would, part way through.
    std::os::unix::fs::symlink("/dev/full", dir.path().join("out.ron.tmp")).unwrap();
    let script = format!(
        "CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1), (2);\n.export {}\nSELECT 'after';\n",
        target.display()
    );
    let out = amberdb(&["--mode", "csv", "--no-headers"], &script);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("No space left on device"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing was written"), "{}", text(&out.stderr));
    assert!(!target.exists(), "no partial export");
    assert!(!dir.path().join("out.ron.tmp").exists(), "the temporary file is removed");
    assert_eq!(text(&out.stdout), "after\r\n");
    // With room, the export is whole.
    let script = format!("CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1), (2);\n.export {}\n", target.display());
    let out = amberdb(&[], &script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&target).unwrap().contains("CREATE TABLE t"));
}

/// A fresh folder for one test's files.
fn folder(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("amberdb-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn csv_tells_empty_from_null_and_round_trips() {
    let out = amberdb(&["--mode", "csv", "-c", "SELECT '' AS e, NULL AS n, 'NULL' AS s"], "");
    assert_eq!(text(&out.stdout), "e,n,s\r\n\"\",,NULL\r\n");
    let dir = folder("csv");
    let csv = dir.join("people.csv");
    let script = format!(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, note TEXT, score REAL);\n\
         INSERT INTO people VALUES (1, 'ada', '', 1.5), (2, 'bob, jr', NULL, NULL), (3, 'say \"hi\"', 'two\nlines', 3);\n\
         .export {csv} people\n\
         CREATE TABLE copy (id INTEGER PRIMARY KEY, name TEXT, note TEXT, score REAL);\n\
         .import {csv} copy\n\
         SELECT count(*) FROM people p JOIN copy c ON p.id = c.id AND p.name = c.name AND p.note IS c.note AND p.score IS c.score;\n\
         .import {csv} fresh\n\
         .schema fresh\n\
         SELECT id, name, note IS NULL, note = '' FROM fresh ORDER BY id;\n",
        csv = csv.display()
    );
    let out = amberdb(&["--mode", "list", "--no-headers"], &script);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("exported 3 rows to"), "{stdout}");
    assert!(stdout.contains("imported 3 rows from"), "{stdout}");
    // Every row came back the same, '' and NULL told apart.
    assert!(stdout.contains("\n3\n"), "{stdout}");
    assert!(stdout.contains("(made fresh with columns id INTEGER, name TEXT, note TEXT, score REAL)"), "{stdout}");
    assert!(stdout.contains("CREATE TABLE fresh (") && stdout.contains("score REAL"), "{stdout}");
    assert!(stdout.contains("1|ada|false|true\n2|bob, jr|true|\n"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_csv_value_names_its_line_and_column_and_imports_nothing() {
    let dir = folder("badcsv");
    let csv = dir.join("scores.csv");
    std::fs::write(&csv, "name,points\nada,10\nbob,11\ncy,lots\n").unwrap();
    let script = format!(
        "CREATE TABLE scores (name TEXT, points INTEGER);\n.import {csv} scores\nSELECT count(*) FROM scores;\n\
         .import {csv} scores --skip 1\n",
        csv = csv.display()
    );
    let out = amberdb(&["--mode", "list", "--no-headers"], &script);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("scores.csv:4, column points:"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    // The header line was recognised; nothing of the failed import stayed.
    assert!(text(&out.stdout).starts_with("0\n"), "{}", text(&out.stdout));
    // Into a table of another namespace.
    std::fs::write(&csv, "name,points\nada,10\n").unwrap();
    let script = format!(
        "CREATE NAMESPACE app;\n.import {csv} scores --schema app\nSELECT name, points FROM app.scores;\n",
        csv = csv.display()
    );
    let out = amberdb(&["--mode", "list", "--no-headers"], &script);
    assert!(text(&out.stdout).ends_with("ada|10\n"), "{}{}", text(&out.stdout), text(&out.stderr));
    // `.import x.csv` without a table never answers with a RON parser's words.
    let out = amberdb(&["-c", &format!(".import {}", csv.display())], "");
    assert!(text(&out.stderr).contains("a CSV file goes into a TABLE"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn output_once_print_changes_and_show() {
    let dir = folder("output");
    let all = dir.join("all.txt");
    let one = dir.join("one.txt");
    let script = format!(
        ".output {all}\nSELECT 1 AS a;\nSELECT 2 AS b;\n.output\n.once {one}\nSELECT 3 AS c;\nSELECT 4 AS d;\n\
         .print hello   there\n.changes on\nCREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1), (2);\n\
         .mode\n.nullvalue ∅\n.show\n",
        all = all.display(),
        one = one.display()
    );
    let out = amberdb(&["--mode", "list"], &script);
    let stdout = text(&out.stdout);
    assert_eq!(std::fs::read_to_string(&all).unwrap(), "a\n1\nb\n2\n");
    assert_eq!(std::fs::read_to_string(&one).unwrap(), "c\n3\n");
    assert!(stdout.starts_with("d\n4\nhello there\n"), "{stdout}");
    assert!(stdout.contains("changes: 2   total_changes: 2"), "{stdout}");
    assert!(stdout.contains("current output mode: list"), "{stdout}");
    assert!(stdout.contains("nullvalue: \"∅\""), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_mode_prints() {
    let sql = "SELECT 1 AS n, 'a<b' AS t, NULL AS z";
    let cases = [
        ("table", "+---+-----+------+\n| n | t   | z    |\n+---+-----+------+\n| 1 | a<b | NULL |\n+---+-----+------+\n1 row\n"),
        ("column", "n  t    z\n-  ---  ----\n1  a<b  NULL\n1 row\n"),
        ("tabs", "n\tt\tz\n1\ta<b\t\n"),
        ("jsonl", "{\"n\":1,\"t\":\"a<b\",\"z\":null}\n"),
        ("html", "<TR><TH>n</TH><TH>t</TH><TH>z</TH>\n</TR>\n<TR><TD>1</TD><TD>a&lt;b</TD><TD>NULL</TD>\n</TR>\n"),
    ];
    for (mode, expected) in cases {
        let out = amberdb(&["--mode", mode, "-c", sql], "");
        assert_eq!(text(&out.stdout), expected, "mode {mode}");
    }
    let out = amberdb(&["-c", &format!(".mode insert people\n{sql}")], "");
    assert_eq!(text(&out.stdout), "INSERT INTO people VALUES(1,'a<b',NULL);\n");
}

#[test]
fn a_script_that_leaves_a_transaction_open_fails_and_says_so() {
    let out = amberdb(&[], "CREATE TABLE t (a INTEGER);\nBEGIN;\nINSERT INTO t VALUES (1);\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("a transaction was still open at the end; it was rolled back"));
}

#[test]
fn the_timer_shows_time_and_rows_read() {
    let script = "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);\n\
                  INSERT INTO t SELECT value, value % 10 FROM generate_series(1, 500);\n\
                  .timer on\n\
                  SELECT count(*) FROM t WHERE a = 3;\n\
                  SELECT a FROM t WHERE id = 7;\n";
    let out = amberdb(&["--mode", "csv"], script);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let timers: Vec<&str> = stdout.lines().filter(|l| l.starts_with("Run Time: ")).collect();
    // `.timer on` itself, then the two queries.
    assert_eq!(timers.len(), 3, "{stdout}");
    // The count reads the whole table; the lookup by key reads one row.
    assert!(timers[1].ends_with(" ms, 500 rows read"), "{stdout}");
    assert!(timers[2].ends_with(" ms, 1 rows read"), "{stdout}");
}
