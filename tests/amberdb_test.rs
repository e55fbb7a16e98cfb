//! `amberdb test` on sample folders: new snapshots, accepting, passing, a changed query
//! failing with its diff, errors recorded in transcripts, JUnit reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn amberdb_test(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amberdb"))
        .arg("test")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("amberdb test runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sample(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("amberdb-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("reports/nested")).unwrap();
    std::fs::create_dir_all(dir.join("fixtures")).unwrap();
    std::fs::write(
        dir.join("fixtures/base.sql"),
        "CREATE TABLE t (a INTEGER, b TEXT);\nINSERT INTO t VALUES (2, 'y'), (1, 'x');\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("reports/totals.q"),
        "-- setup: ../fixtures/base.sql\n-- sort\nSELECT b FROM t;\nSELECT sum(a) AS total FROM t;\n",
    )
    .unwrap();
    std::fs::write(dir.join("reports/nested/broken.q"), "SELECT 1 AS one;\nSELEC 2;\nSELECT 3 AS three;\n").unwrap();
    dir
}

#[test]
fn snapshots_are_created_accepted_checked_and_diffed() {
    let dir = sample("flow");
    let first = amberdb_test(&dir, &[]);
    assert_eq!(first.status.code(), Some(1), "new snapshots fail the run");
    let out = text(&first.stdout);
    assert!(out.contains("new     ./reports/nested/broken.q"), "{out}");
    assert!(out.ends_with("0 passed, 0 failed, 2 new\n"), "{out}");
    let pending = std::fs::read_to_string(dir.join("reports/nested/broken.q.snap.new")).unwrap();
    assert!(pending.contains("broken.q:2:1: error: expected a statement"), "the error is in the transcript: {pending}");
    assert!(pending.contains("> SELECT 3 AS three;"), "the script went on after the error");

    let accepted = amberdb_test(&dir, &["--accept"]);
    assert_eq!(accepted.status.code(), Some(0), "{}", text(&accepted.stdout));
    assert!(!dir.join("reports/nested/broken.q.snap.new").exists());
    let totals = std::fs::read_to_string(dir.join("reports/totals.q.snap")).unwrap();
    assert!(totals.contains("│ x │\n│ y │"), "-- sort sorted the rows: {totals}");
    assert!(totals.contains("│     3 │"), "the setup script ran first: {totals}");

    let junit = dir.join("report.xml");
    let again = amberdb_test(&dir, &["--jobs", "2", "--junit", junit.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stdout).ends_with("2 passed, 0 failed, 0 new\n"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\" failures=\"0\""), "{xml}");

    std::fs::write(
        dir.join("reports/totals.q"),
        "-- setup: ../fixtures/base.sql\n-- sort\nSELECT b FROM t;\nSELECT sum(a) + 1 AS total FROM t;\n",
    )
    .unwrap();
    let changed = amberdb_test(&dir, &["reports", "--filter", "totals"]);
    assert_eq!(changed.status.code(), Some(1));
    let out = text(&changed.stdout);
    assert!(out.contains("FAILED  reports/totals.q"), "{out}");
    assert!(out.contains("- > SELECT sum(a) AS total FROM t;\n+ > SELECT sum(a) + 1 AS total FROM t;"), "{out}");
    assert!(out.contains("- │     3 │\n+ │     4 │"), "{out}");
    assert!(out.ends_with("0 passed, 1 failed, 0 new\n"), "{out}");

    let fixed = amberdb_test(&dir, &["--accept", "reports/totals.q"]);
    assert_eq!(fixed.status.code(), Some(0));
    assert_eq!(amberdb_test(&dir, &[]).status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_path_is_an_error() {
    let dir = sample("missing");
    let out = amberdb_test(&dir, &["nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no such file: nowhere"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn review_asks_before_accepting() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = sample("review");
    assert_eq!(amberdb_test(&dir, &["--accept"]).status.code(), Some(0));
    std::fs::write(dir.join("reports/nested/broken.q"), "SELECT 10 AS one;\n").unwrap();
    let review = |answer: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
            .args(["test", "--review"])
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let rejected = review("r\n");
    assert_eq!(rejected.status.code(), Some(1));
    assert!(text(&rejected.stdout).contains("accept this change?"));
    let accepted = review("a\n");
    assert_eq!(accepted.status.code(), Some(0), "{}", text(&accepted.stdout));
    let snap = std::fs::read_to_string(dir.join("reports/nested/broken.q.snap")).unwrap();
    assert!(snap.contains("> SELECT 10 AS one;"), "{snap}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn data_directive_runs_on_a_copy_of_a_durable_database() {
    let dir = std::env::temp_dir().join(format!("amberdb-test-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    {
        let db = amberdb::Database::open(dir.join("fixture")).unwrap();
        let mut s = db.session();
        s.execute("CREATE TABLE t (n INTEGER)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1), (2)", &[]).unwrap();
    }
    std::fs::write(dir.join("grow.q"), "-- data: fixture\nINSERT INTO t VALUES (3);\nSELECT count(*) AS n FROM t;\n")
        .unwrap();
    std::fs::write(dir.join("missing.q"), "-- data: nowhere\nSELECT 1;\n").unwrap();
    let first = amberdb_test(&dir, &["--accept"]);
    // A data directory that is not there breaks its script, which is not recorded.
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stdout));
    assert!(text(&first.stdout).contains("cannot copy the data directory nowhere"), "{}", text(&first.stdout));
    assert!(!dir.join("missing.q.snap").exists());
    std::fs::remove_file(dir.join("missing.q")).unwrap();
    let snap = std::fs::read_to_string(dir.join("grow.q.snap")).unwrap();
    assert!(snap.contains("│ 3 │"), "the script saw the fixture's rows: {snap}");
    // The fixture itself is unchanged, so the script passes again.
    let again = amberdb_test(&dir, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    let db = amberdb::Database::open(dir.join("fixture")).unwrap();
    assert_eq!(db.session().query("SELECT count(*) AS n FROM t", &[]).unwrap().get::<i64>(0, "n").unwrap(), 2);
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failing_setup_is_an_error_and_is_never_recorded() {
    let dir = std::env::temp_dir().join(format!("amberdb-test-setup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("suite/fixtures")).unwrap();
    std::fs::write(
        dir.join("suite/fixtures/bad.sql"),
        "CREATE TABLE t (a INTEGER);\nINSERT INTO nowhere VALUES (1);\n",
    )
    .unwrap();
    std::fs::write(dir.join("suite/uses_bad.q"), "-- setup: fixtures/bad.sql\nSELECT count(*) FROM t;\n").unwrap();
    let out = amberdb_test(&dir, &["suite", "--accept"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("BROKEN  suite/uses_bad.q: uses_bad.q: setup script fixtures/bad.sql failed"), "{stdout}");
    assert!(stdout.contains("no such table: nowhere"), "{stdout}");
    assert!(!dir.join("suite/uses_bad.q.snap").exists() && !dir.join("suite/uses_bad.q.snap.new").exists());
    // A good setup: the transcript is the same however the path is spelled, from any folder.
    std::fs::write(dir.join("suite/fixtures/bad.sql"), "CREATE TABLE t (a INTEGER);\n").unwrap();
    let out = amberdb_test(&dir, &["suite/uses_bad.q", "--accept"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let first = std::fs::read_to_string(dir.join("suite/uses_bad.q.snap")).unwrap();
    let out = amberdb_test(&dir.join("suite/fixtures"), &["../uses_bad.q"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let out = amberdb_test(&dir, &["./suite/../suite/uses_bad.q"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(std::fs::read_to_string(dir.join("suite/uses_bad.q.snap")).unwrap(), first);
    std::fs::remove_dir_all(&dir).ok();
}
