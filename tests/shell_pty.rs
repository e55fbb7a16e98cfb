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
