//! Drives the real shell in a pseudo-terminal, as a person would: a statement typed over
//! two lines, a box table, Ctrl-C that keeps the shell, Ctrl-D that leaves it.

#![cfg(unix)]

use std::process::Command;
use std::time::Duration;

use expectrl::{ControlCode, Eof, Expect, Session};

#[test]
fn the_shell_reads_multi_line_statements_and_survives_ctrl_c() {
    let home = std::env::temp_dir().join(format!("amberdb-pty-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amberdb"));
    cmd.env("HOME", &home).env("XDG_DATA_HOME", home.join("data")).env("NO_COLOR", "1").env("TERM", "xterm");
    let mut p = Session::spawn(cmd).expect("the shell starts in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(20)));

    p.expect("amber> ").unwrap();
    p.send_line("SELECT 6 * 7 AS answer,").unwrap();
    p.expect("...> ").unwrap();
    p.send_line("  'two lines' AS how;").unwrap();
    p.expect("┌").unwrap();
    p.expect("│ answer │ how       │").unwrap();
    p.expect("1 row").unwrap();
    p.expect("amber> ").unwrap();

    p.send("SELECT 'half a line").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("amber> ").unwrap();
    p.send_line("SELECT 'still here' AS alive;").unwrap();
    p.expect("still here").unwrap();
    p.expect("amber> ").unwrap();

    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).unwrap();
    let status = p.get_process().wait().unwrap();
    assert_eq!(status, expectrl::process::unix::WaitStatus::Exited(p.get_process().pid(), 0));
    assert!(home.join("data/amberdb/history").exists(), "history is saved in the XDG data dir");
    std::fs::remove_dir_all(&home).unwrap();
}

/// The shell in a pty with its own history folder and no colour.
fn shell(extra: &[(&str, &str)]) -> (expectrl::session::OsSession, std::path::PathBuf) {
    let home = std::env::temp_dir().join(format!("amberdb-pty-{}-{}", std::process::id(), extra.len()));
    std::fs::create_dir_all(&home).unwrap();
    (shell_in(&home, extra), home)
}

/// The shell in a pty whose history folder is under `home`.
fn shell_in(home: &std::path::Path, extra: &[(&str, &str)]) -> expectrl::session::OsSession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amberdb"));
    cmd.env("HOME", home).env("XDG_DATA_HOME", home.join("data")).env("NO_COLOR", "1").env("TERM", "xterm");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut p = Session::spawn(cmd).expect("the shell starts in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect("amber> ").unwrap();
    p
}

#[test]
fn two_shells_open_at_once_both_keep_their_history() {
    let home = std::env::temp_dir().join(format!("amberdb-pty-{}-two", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut a = shell_in(&home, &[]);
    let mut b = shell_in(&home, &[]);
    let say = |p: &mut expectrl::session::OsSession, sql: &str| {
        p.send_line(sql).unwrap();
        p.expect("amber> ").unwrap();
    };
    say(&mut a, "SELECT 'first from a';");
    say(&mut b, "SELECT 'then b';");
    say(&mut a, "SELECT 'a again';");
    // Both leave; neither's exit writes over what the other added.
    for p in [&mut a, &mut b] {
        p.send(ControlCode::EndOfTransmission).unwrap();
        p.expect(Eof).unwrap();
    }
    let history = std::fs::read_to_string(home.join("data/amberdb/history")).unwrap();
    let at = |s: &str| history.find(s).unwrap_or_else(|| panic!("{s} is missing from the history:\n{history}"));
    assert!(at("first from a") < at("then b") && at("then b") < at("a again"), "{history}");
    // A third shell finds the newest entry, b's included, one Up away.
    let mut c = shell_in(&home, &[]);
    c.send("\x1b[A\x1b[A").unwrap();
    c.expect("then b").unwrap();
    c.send(ControlCode::EndOfText).unwrap();
    c.expect("amber> ").unwrap();
    c.send(ControlCode::EndOfTransmission).unwrap();
    c.expect(Eof).unwrap();
    std::fs::remove_dir_all(&home).ok();
}

#[test]
fn ctrl_c_stops_a_result_while_it_prints() {
    let (mut p, home) = shell(&[]);
    p.send_line(".maxrows 0").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line(".pager off").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line("SELECT value AS n FROM generate_series(1, 100000000);").unwrap();
    p.expect("│ 20000 │").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    // Stopped within moments, not after a hundred million rows.
    p.expect("interrupted").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line("SELECT 'alive' AS still;").unwrap();
    p.expect("alive").unwrap();
    p.expect("amber> ").unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).unwrap();
    std::fs::remove_dir_all(&home).ok();
}

#[test]
fn long_results_show_their_ends_or_go_through_the_pager() {
    let (mut p, home) = shell(&[("PAGER", "sed s/^/paged:/")]);
    // On a terminal a long result shows its first and last rows.
    p.send_line("SELECT value AS n FROM generate_series(1, 100000);").unwrap();
    p.expect("│      1 │").unwrap();
    p.expect("│ 100000 │").unwrap();
    p.expect("100,000 rows (40 shown)").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line(".pager on").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line("SELECT 'through the pager' AS how;").unwrap();
    p.expect("paged:│ through the pager │").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line(".pager off").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line("SELECT 'straight' AS how;").unwrap();
    p.expect("│ straight │").unwrap();
    p.expect("amber> ").unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).unwrap();
    std::fs::remove_dir_all(&home).ok();
}

#[test]
fn ctrl_d_drops_an_unfinished_statement_and_the_prompt_shows_where_you_are() {
    let (mut p, home) = shell(&[("X", "1")]);
    p.send_line("SELECT 1,").unwrap();
    p.expect("...> ").unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect("the unfinished statement was discarded").unwrap();
    p.expect("amber> ").unwrap();
    p.send_line("CREATE NAMESPACE app; USE app;").unwrap();
    p.expect("amber:app> ").unwrap();
    p.send_line("CREATE TABLE t (a INTEGER); BEGIN; INSERT INTO t VALUES (1);").unwrap();
    p.expect("amber:app*> ").unwrap();
    p.send_line(".tables").unwrap();
    p.expect("t\r\n").unwrap();
    p.expect("amber:app*> ").unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect("the open transaction was rolled back").unwrap();
    p.expect(Eof).unwrap();
    // Each statement went to the history as it ran.
    let history = std::fs::read_to_string(home.join("data/amberdb/history")).unwrap();
    assert!(history.contains("CREATE NAMESPACE app; USE app;"), "{history}");
    std::fs::remove_dir_all(&home).ok();
}

#[test]
fn tab_completes_and_a_second_tab_lists() {
    let (mut p, home) = shell(&[("X", "1"), ("Y", "2")]);
    p.send_line("CREATE TABLE alpha_one (a INTEGER); CREATE TABLE alpha_two (b INTEGER);").unwrap();
    p.expect("amber> ").unwrap();
    p.send("SELECT * FROM alp\t").unwrap();
    p.expect("alpha_").unwrap();
    p.send("\t").unwrap();
    p.expect("alpha_one").unwrap();
    p.expect("alpha_two").unwrap();
    p.send("one;\r").unwrap();
    p.expect("0 rows").unwrap();
    p.expect("amber> ").unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).unwrap();
    std::fs::remove_dir_all(&home).ok();
}

#[test]
fn long_work_shows_a_progress_line_that_goes_away() {
    let (mut p, home) = shell(&[("X", "1"), ("Y", "2"), ("Z", "3")]);
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    p.send_line(
        "CREATE TABLE c AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 9000000) \
         SELECT count(*) AS n FROM r;",
    )
    .unwrap();
    // The line names the statement and the time so far…
    p.expect("CREATE TABLE c AS WITH RECURSIVE r(i) AS…:").unwrap();
    p.expect(" s").unwrap();
    // …and is cleared before the result follows.
    p.expect("\x1b[2KCREATE TABLE").unwrap();
    p.expect("amber> ").unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).unwrap();
    std::fs::remove_dir_all(&home).ok();
}
