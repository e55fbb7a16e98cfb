//! Archival with a data directory: a crash at any moment of an ARCHIVE leaves each
//! archived set of rows in exactly one place — the table, or a file with its name — and
//! every acknowledged ARCHIVE in its file.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use amberdb::{Database, Value};

const MONTHS: i64 = 60;
const PER_MONTH: i64 = 400;

fn count(db: &Database, sql: &str) -> i64 {
    match &db.session().query(sql, &[]).unwrap().rows[0][0] {
        Value::Integer(n) => *n,
        other => panic!("{sql}: {other:?}"),
    }
}

fn setup(data: &Path) {
    let db = Database::open(data).unwrap();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, month INTEGER, note TEXT)", &[]).unwrap();
    s.execute("BEGIN", &[]).unwrap();
    for i in 0..MONTHS * PER_MONTH {
        let params = [Value::Integer(i), Value::Integer(i / PER_MONTH), Value::text(&format!("row {i} of the month"))];
        s.execute("INSERT INTO t VALUES (?, ?, ?)", &params).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
}

#[test]
fn sigkill_during_archives_loses_nothing_and_duplicates_nothing() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut cut_short = 0;
    for round in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        setup(&data);
        let file = |m: i64| dir.path().join(format!("m{m}.amber"));
        let script = dir.path().join("archive.q");
        let text: String =
            (0..MONTHS).map(|m| format!("ARCHIVE FROM t WHERE month = {m} TO '{}';\n", file(m).display())).collect();
        std::fs::write(&script, text).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_amberdb"))
            .args(["--sync", "always", "--data"])
            .arg(&data)
            .arg(&script)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(out).lines().map_while(Result::ok).filter(|l| l.ends_with("rows archived")).count() as i64
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let started = Instant::now();
        while file(0).exists().then_some(()).is_none() && started.elapsed() < Duration::from_secs(20) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(seed % 40_000));
        child.kill().unwrap();
        child.wait().unwrap();
        let acked = reader.join().unwrap();

        let db = Database::open(&data).unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        let mut archived = 0;
        for m in 0..MONTHS {
            let in_table = count(&db, &format!("SELECT count(*) FROM t WHERE month = {m}"));
            let path = file(m);
            if path.exists() {
                let q = format!("SELECT count(*), min(month), max(month) FROM archive('{}')", path.display());
                let rows = db.session().query(&q, &[]).unwrap().rows;
                assert_eq!(rows[0], vec![Value::Integer(PER_MONTH), Value::Integer(m), Value::Integer(m)]);
                assert_eq!(in_table, 0, "round {round}: month {m} is both archived and in the table");
                archived += 1;
            } else {
                assert_eq!(in_table, PER_MONTH, "round {round}: month {m} is neither archived nor in the table");
            }
        }
        assert!(archived >= acked, "round {round}: {acked} archives acknowledged, {archived} there");
        assert!(archived <= acked + 1, "round {round}: {acked} acknowledged but {archived} there");
        assert_eq!(count(&db, "SELECT count(*) FROM amber$archives"), archived);
        if archived > 0 && archived < MONTHS {
            cut_short += 1;
        }
    }
    assert!(cut_short >= 2, "only {cut_short} rounds were killed while archiving");
}

#[test]
fn a_rename_cut_short_by_a_crash_is_finished_on_opening() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data);
    let path = dir.path().join("m1.amber");
    let sum = {
        let db = Database::open(&data).unwrap();
        db.session().execute(&format!("ARCHIVE FROM t WHERE month = 1 TO '{}'", path.display()), &[]).unwrap();
        count(&db, "SELECT checksum FROM amber$archives")
    };
    // As if the process died after the commit and before the rename.
    let pending = format!("{}.{:08x}.pending", path.display(), sum as u32);
    std::fs::rename(&path, &pending).unwrap();
    let db = Database::open(&data).unwrap();
    assert!(path.exists() && !Path::new(&pending).exists());
    assert_eq!(count(&db, &format!("SELECT count(*) FROM archive('{}')", path.display())), PER_MONTH);
    assert_eq!(count(&db, "SELECT count(*) FROM t WHERE month = 1"), 0);
}

#[test]
fn an_archive_whose_commit_never_came_gets_no_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data);
    let path = dir.path().join("m2.amber");
    {
        let db = Database::open(&data).unwrap();
        let mut s = db.session();
        s.execute("BEGIN", &[]).unwrap();
        s.execute(&format!("ARCHIVE FROM t WHERE month = 2 TO '{}'", path.display()), &[]).unwrap();
        // Dropped without COMMIT, as a crash would leave it.
    }
    let db = Database::open(&data).unwrap();
    assert!(!path.exists());
    assert_eq!(count(&db, "SELECT count(*) FROM t WHERE month = 2"), PER_MONTH);
    let e = db.session().query(&format!("SELECT * FROM archive('{}')", path.display()), &[]).unwrap_err();
    assert!(e.to_string().contains("no such archive file"), "{e}");
    // The name is free: archiving again works.
    db.session().execute(&format!("ARCHIVE FROM t WHERE month = 2 TO '{}'", path.display()), &[]).unwrap();
    assert!(path.exists());
}

#[test]
fn a_damaged_archive_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data);
    let path = dir.path().join("m3.amber");
    let db = Database::open(&data).unwrap();
    let mut s = db.session();
    s.execute(&format!("ARCHIVE FROM t WHERE month = 3 TO '{}'", path.display()), &[]).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let before = count(&db, "SELECT count(*) FROM t");
    let e = s.execute(&format!("RESTORE FROM ARCHIVE '{}' INTO t", path.display()), &[]).unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
    assert_eq!(count(&db, "SELECT count(*) FROM t"), before);
}
