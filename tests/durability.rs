//! Durability: what a data directory keeps across reopening, torn and corrupt logs,
//! damaged checkpoints, injected I/O failures, the lock, backups, `--as-of`, and the
//! export, import and dump round trips.

use std::path::Path;
use std::sync::Arc;

use amberdb::fs::{Fault, FaultyFs};
use amberdb::storage::{check, diff, State};
use amberdb::{Database, Error, ErrorKind, Value};
use amberdb::{Options, SyncMode};

fn options(fs: Option<FaultyFs>) -> Options {
    let mut o = Options { checkpoint_after: 4096, segment_size: 1024, ..Options::default() };
    if let Some(fs) = fs {
        o.fs = Arc::new(fs);
    }
    o
}

fn exec(db: &Database, sql: &str) -> Result<(), Error> {
    db.session().execute(sql, &[]).map(|_| ())
}

/// The two states hold the same schemas, rows and rowid counters, and the second has no
/// index or constraint problems.
fn assert_same(expected: &State, actual: &State) {
    assert!(diff::diff(expected, actual).is_empty(), "rows differ: {:?}", diff::diff(expected, actual));
    let names = |s: &State| s.tables().map(|t| t.name().to_string()).collect::<Vec<_>>();
    assert_eq!(names(expected), names(actual));
    let views = |s: &State| s.views().map(|v| v.to_sql()).collect::<Vec<_>>();
    assert_eq!(views(expected), views(actual));
    let triggers = |s: &State| s.triggers().map(|t| (**t).clone()).collect::<Vec<_>>();
    assert_eq!(triggers(expected), triggers(actual));
    for t in expected.tables() {
        let u = actual.table(t.name()).unwrap();
        assert_eq!(t.schema, u.schema, "schema of {}", t.name());
        assert_eq!(t.next_rowid, u.next_rowid, "next rowid of {}", t.name());
    }
    assert_eq!(check::check(actual), vec![], "CHECK DATABASE after recovery");
}

/// A small deterministic generator, so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Statements of every kind that reach the log, some of which fail.
fn workload(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let mut out = vec![
        "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, born TIMESTAMP, ok BOOLEAN)".to_string(),
        "CREATE TABLE b (x INTEGER, y TEXT)".to_string(),
        "CREATE TABLE c (k1 TEXT, k2 INTEGER, v TEXT, PRIMARY KEY (k1, k2))".to_string(),
        "CREATE TABLE d (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE CASCADE)".to_string(),
        "CREATE INDEX b_x ON b (x)".to_string(),
        "CREATE VIEW va (id, label) AS SELECT id, name FROM a WHERE ok".to_string(),
        "CREATE TABLE e (k INTEGER PRIMARY KEY, v BLOB)".to_string(),
        "INSERT INTO e VALUES (1, x'00ff10'), (2, x''), (3, 'text')".to_string(),
        "CREATE TABLE audit (what TEXT, id INTEGER)".to_string(),
        "CREATE TRIGGER a_gone AFTER DELETE ON a BEGIN INSERT INTO audit VALUES ('deleted', OLD.id); END".to_string(),
        "CREATE TRIGGER b_big BEFORE INSERT ON b WHEN NEW.x > 55 BEGIN INSERT INTO audit VALUES ('big', NEW.x); END"
            .to_string(),
        "CREATE TABLE g (id INTEGER PRIMARY KEY, email TEXT, qty INTEGER, gone INTEGER, \
         twice INTEGER AS (qty * 2) STORED, tag TEXT AS (lower(email)))"
            .to_string(),
        "CREATE UNIQUE INDEX g_live ON g (lower(email)) WHERE gone IS NULL".to_string(),
        "CREATE INDEX g_sum ON g (qty + id DESC)".to_string(),
        "CREATE TABLE h (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE, code TEXT COLLATE RTRIM)".to_string(),
        "CREATE INDEX h_code ON h (code)".to_string(),
    ];
    for i in 0..n {
        let k = rng.below(60);
        let s = match rng.below(17) {
            0..=3 => format!(
                "INSERT INTO a VALUES ({k}, 'n{}', {}.25, '2026-01-0{} 10:00:00', {})",
                rng.below(80),
                rng.below(100),
                1 + rng.below(9),
                rng.below(2) == 0
            ),
            4 => format!("INSERT INTO a (name) VALUES ('auto{i}')"),
            5 | 6 => format!("INSERT INTO b VALUES ({k}, 'y{}'), (NULL, NULL)", rng.below(5)),
            7 => format!("INSERT INTO c VALUES ('k{}', {k}, 'v{i}')", rng.below(3)),
            8 => format!("INSERT INTO d VALUES ({i}, {k})"),
            9 => format!("UPDATE a SET score = score * 2, ok = NOT ok WHERE id % 7 = {}", k % 7),
            10 => format!("DELETE FROM b WHERE x < {}", k / 4),
            11 => format!("DELETE FROM a WHERE id = {k}"),
            12 => format!("BEGIN; UPDATE c SET v = 'tx{i}' WHERE k2 = {k}; INSERT INTO b VALUES ({i}, 'tx'); COMMIT"),
            13 => format!(
                "INSERT OR REPLACE INTO g (id, email, qty, gone) VALUES ({k}, 'M{}@x', {}, {})",
                rng.below(9),
                rng.below(5),
                if rng.below(3) == 0 { "1" } else { "NULL" }
            ),
            14 => format!("UPDATE g SET gone = NULL, qty = qty + 1 WHERE id % 5 = {}", k % 5),
            // Names that clash under NOCASE are refused by its UNIQUE (and the upsert).
            15 => format!(
                "INSERT INTO h VALUES ({k}, '{}', 'c{} ') ON CONFLICT (name) DO UPDATE SET code = excluded.code",
                ["ann", "ANN", "Bob", "bob", "cy"][rng.below(5) as usize],
                rng.below(3)
            ),
            _ => match rng.below(4) {
                0 => "ALTER TABLE b ADD COLUMN z TEXT DEFAULT 'zz'".to_string(),
                1 => "DROP INDEX IF EXISTS b_x".to_string(),
                2 => "CREATE INDEX IF NOT EXISTS b_x ON b (x)".to_string(),
                _ => format!("BEGIN; DELETE FROM a WHERE id < {k}; ROLLBACK"),
            },
        };
        out.push(s);
    }
    out.push("UPDATE e SET v = x'deadbeef' WHERE k = 2".to_string());
    out
}

/// Runs statements (each may hold several, separated by `;`) on a session; failures are
/// part of the workload.
fn run_all(db: &Database, statements: &[String]) {
    let mut s = db.session();
    for stmt in statements {
        for part in amberdb::split(stmt) {
            let _ = s.execute(part.text, &[]);
        }
        if s.in_transaction() {
            let _ = s.execute("ROLLBACK", &[]);
        }
    }
}

#[test]
fn reopening_gives_back_exactly_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let statements = workload(7, 600);
    let memory = Database::open_in_memory();
    run_all(&memory, &statements);
    {
        let db = Database::open_with(dir.path(), options(None)).unwrap();
        run_all(&db, &statements);
        assert_eq!(db.version(), memory.version());
        assert_same(&memory.state(), &db.state());
    }
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().filter(|n| n.starts_with("checkpoint-")).count() >= 1, "{names:?}");
    let db = Database::open_with(dir.path(), options(None)).unwrap();
    let report = db.recovery_report().unwrap().clone();
    assert_eq!(report.version, memory.version());
    assert!(report.checkpoint.is_some(), "{report}");
    assert!(report.dropped.is_none(), "{report}");
    assert_same(&memory.state(), &db.state());
    // Column collations came back with their tables: the same rows compare equal.
    let ann = "SELECT id FROM h WHERE name = 'aNN' ORDER BY id";
    let (then, now) = (memory.session().query(ann, &[]).unwrap().rows, db.session().query(ann, &[]).unwrap().rows);
    assert!(!now.is_empty());
    assert_eq!(then, now);
    // The workload's triggers fired, and their rows came back with the rest.
    let audit = db.session().query("SELECT count(*) AS n FROM audit", &[]).unwrap().get::<i64>(0, "n").unwrap();
    assert!(audit > 0);
    // Past versions replayed from the log are readable again.
    let v = db.version() - 1;
    let then = db.session().query(&format!("SELECT count(*) FROM a AS OF VERSION {v}"), &[]);
    assert!(then.is_ok(), "{then:?}");
    // And the reopened database goes on from where it was.
    exec(&db, "INSERT INTO b (x, y) VALUES (12345, 'after')").unwrap();
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(
        db.session().query("SELECT y FROM b WHERE x = 12345", &[]).unwrap().rows,
        vec![vec![Value::text("after")]]
    );
}

/// A database with `n` single-row commits and no checkpoint; returns the byte offset in
/// the one log segment where the last record begins.
fn committed(dir: &Path, n: i64) -> (std::path::PathBuf, usize) {
    let db = Database::open(dir).unwrap();
    exec(&db, "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)").unwrap();
    for i in 1..n {
        exec(&db, &format!("INSERT INTO t VALUES ({i}, 'row {i}')")).unwrap();
    }
    let segment = dir.join("wal-00000000000000000001.log");
    let before = std::fs::metadata(&segment).unwrap().len() as usize;
    exec(&db, &format!("INSERT INTO t VALUES ({n}, 'row {n}')")).unwrap();
    (segment, before)
}

fn rows(db: &Database) -> i64 {
    db.session().query("SELECT count(*) AS n FROM t", &[]).unwrap().get::<i64>(0, "n").unwrap()
}

fn assert_clean(db: &Database) {
    let check = db.session().query("CHECK DATABASE", &[]).unwrap();
    assert_eq!(check.rows, vec![vec![Value::text("ok")]]);
}

#[test]
fn a_torn_last_record_is_dropped_at_every_byte() {
    let base = tempfile::tempdir().unwrap();
    let (segment, last) = committed(base.path(), 20);
    let full = std::fs::read(&segment).unwrap();
    for cut in last..=full.len() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(segment.file_name().unwrap()), &full[..cut]).unwrap();
        let db = Database::open(dir.path()).unwrap();
        let report = db.recovery_report().unwrap().clone();
        let expected = if cut == full.len() { 20 } else { 19 };
        assert_eq!(rows(&db), expected, "cut at {cut}: {report}");
        assert_eq!(report.version, expected as u64 + 1);
        if cut > last && cut < full.len() {
            let torn = "a record that runs past the end of its segment (torn, or its length damaged)";
            assert_eq!(report.dropped.as_deref(), Some(torn), "cut at {cut}");
            assert_eq!(report.dropped_bytes, (cut - last) as u64);
            assert!(report.to_string().contains(&format!("dropped {} bytes of {torn}", cut - last)));
        }
        assert_clean(&db);
        // The log was truncated at the tear, so the next commit follows on cleanly.
        exec(&db, "INSERT INTO t VALUES (1000, 'next')").unwrap();
        drop(db);
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(rows(&db), expected + 1);
    }
}

#[test]
fn a_corrupt_last_record_is_dropped_whatever_byte_is_flipped() {
    let base = tempfile::tempdir().unwrap();
    let (segment, last) = committed(base.path(), 10);
    let full = std::fs::read(&segment).unwrap();
    for i in last..full.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let dir = tempfile::tempdir().unwrap();
            let mut bytes = full.clone();
            bytes[i] ^= flip;
            std::fs::write(dir.path().join(segment.file_name().unwrap()), &bytes).unwrap();
            let db = Database::open(dir.path()).unwrap();
            assert_eq!(rows(&db), 9, "byte {i} ^ {flip:#x}");
            assert!(db.recovery_report().unwrap().dropped.is_some());
            assert_clean(&db);
        }
    }
}

#[test]
fn a_damaged_newest_checkpoint_falls_back_to_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    exec(&db, "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)").unwrap();
    exec(&db, "INSERT INTO t VALUES (1, 'one')").unwrap();
    db.checkpoint().unwrap();
    exec(&db, "INSERT INTO t VALUES (2, 'two')").unwrap();
    let newest = db.checkpoint().unwrap();
    exec(&db, "INSERT INTO t VALUES (3, 'three')").unwrap();
    drop(db);
    let path = dir.path().join(format!("checkpoint-{:020}.amber", newest.version));
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();

    let db = Database::open(dir.path()).unwrap();
    let report = db.recovery_report().unwrap().clone();
    assert_eq!(report.checkpoint, Some(newest.version - 1), "{report}");
    assert!(report.to_string().contains(&format!("set damaged checkpoint {} aside", newest.version)), "{report}");
    // Set aside at once, under a name no later checkpoint counts on.
    assert!(!path.exists());
    assert!(dir.path().join(format!("checkpoint-{:020}.amber.damaged", newest.version)).exists());
    assert_eq!(rows(&db), 3);
    assert_clean(&db);
}

/// The segment's bytes, and where each of its records begins.
fn record_offsets(segment: &Path) -> (Vec<u8>, Vec<usize>) {
    let bytes = std::fs::read(segment).unwrap();
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        offsets.push(at);
        at += 8 + u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    (bytes, offsets)
}

#[test]
fn damage_in_the_middle_of_the_log_is_refused_not_truncated() {
    let base = tempfile::tempdir().unwrap();
    let (segment, _) = committed(base.path(), 20);
    let (full, offsets) = record_offsets(&segment);
    assert_eq!(offsets.len(), 21, "CREATE TABLE and 20 inserts");
    let victim = offsets[10]; // version 11
    let name = segment.file_name().unwrap();
    // A flipped byte in the payload, the checksum, or the length field (made too long,
    // which a torn record also looks like), each with whole records after it.
    for (at, flip) in [(victim + 12, 0x01u8), (victim + 5, 0x80), (victim + 2, 0x10)] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = full.clone();
        bytes[at] ^= flip;
        std::fs::write(dir.path().join(name), &bytes).unwrap();
        let err = Database::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&format!("damaged at byte {victim} of wal-00000000000000000001.log")), "{err}");
        assert!(err.contains("where version 11 should begin"), "{err}");
        assert!(err.contains("10 acknowledged commits after it (versions 12 to 21) are intact"), "{err}");
        assert!(err.contains("amberdb recover --data") && err.contains("--discard-after-damage"), "{err}");
        // Nothing on disk was changed by the refusal.
        assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), bytes);

        // The way out cuts the log at the damage and keeps a copy of what it cut.
        let options = Options { discard_after_damage: true, ..Options::default() };
        let db = Database::open_with(dir.path(), options).unwrap();
        let report = db.recovery_report().unwrap().clone();
        assert_eq!(report.version, 10, "{report}");
        assert_eq!(rows(&db), 9);
        assert_clean(&db);
        let kept: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("discarded-"))
            .collect();
        assert_eq!(kept.len(), 1, "{report}");
        let copy = std::fs::read(kept[0].join("wal-00000000000000000001.log.from-damage")).unwrap();
        assert_eq!(copy, &bytes[victim..]);
        assert!(report.to_string().contains("a copy of what was discarded is in"), "{report}");
        drop(db);
        assert_eq!(rows(&Database::open(dir.path()).unwrap()), 9);
    }
}

#[test]
fn a_damaged_fallback_checkpoint_is_set_aside_and_never_kept_in_place_of_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    exec(&db, "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)").unwrap();
    exec(&db, "INSERT INTO t VALUES (1, 'one')").unwrap();
    let good = db.checkpoint().unwrap();
    exec(&db, "INSERT INTO t VALUES (2, 'two')").unwrap();
    let damaged = db.checkpoint().unwrap();
    let damaged_path = dir.path().join(format!("checkpoint-{:020}.amber", damaged.version));
    let mut bytes = std::fs::read(&damaged_path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&damaged_path, bytes).unwrap();
    exec(&db, "INSERT INTO t VALUES (3, 'three')").unwrap();
    // This checkpoint would keep the damaged one as its fallback and remove the good one
    // and the log it needs; instead the damaged one is set aside and the good one kept.
    let newest = db.checkpoint().unwrap();
    exec(&db, "INSERT INTO t VALUES (4, 'four')").unwrap();
    drop(db);
    assert!(dir.path().join(format!("checkpoint-{:020}.amber", good.version)).exists());
    assert!(!damaged_path.exists());
    // One more damaged file — the newest checkpoint — and the database still opens whole.
    let newest_path = dir.path().join(format!("checkpoint-{:020}.amber", newest.version));
    let mut bytes = std::fs::read(&newest_path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&newest_path, bytes).unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.recovery_report().unwrap().checkpoint, Some(good.version));
    assert_eq!(rows(&db), 4);
    assert_clean(&db);
}

#[test]
fn after_a_failed_log_write_every_sync_mode_refuses_checkpoints_until_reopened() {
    for sync in [SyncMode::Always, SyncMode::Batch, SyncMode::Off] {
        let dir = tempfile::tempdir().unwrap();
        let fs = FaultyFs::new();
        let db = Database::open_with(dir.path(), Options { sync, ..options(Some(fs.clone())) }).unwrap();
        prepare(&db);
        let good = db.checkpoint().unwrap();
        fs.fail_at(0, Fault::Tear); // the record's write: half of it reaches the file (a full disk)
        assert!(exec(&db, "INSERT INTO t VALUES (3, 'three')").is_err(), "{sync:?}");
        let err = db.checkpoint().unwrap_err().to_string();
        assert!(err.contains("takes no more writes") && err.contains("reopen"), "{sync:?}: {err}");
        assert!(exec(&db, "INSERT INTO t VALUES (4, 'four')").is_err(), "{sync:?}");
        drop(db);
        // Reopened (the disk has room again): the acknowledged commits are there, the
        // failed one is not, and new commits and checkpoints follow on.
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(rows(&db), 2, "{sync:?}");
        for i in 5..8 {
            exec(&db, &format!("INSERT INTO t VALUES ({i}, 'n{i}')")).unwrap();
        }
        db.checkpoint().unwrap();
        drop(db);
        // Even falling back to the checkpoint before the failure, no torn record hides
        // inside the log it replays: every acknowledged commit comes back.
        let newest = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().into_string().ok())
            .filter(|n| n.starts_with("checkpoint-") && n.ends_with(".amber"))
            .max()
            .unwrap();
        assert_ne!(newest, format!("checkpoint-{:020}.amber", good.version));
        std::fs::write(dir.path().join(&newest), b"damaged").unwrap();
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(rows(&db), 5, "{sync:?}: {}", db.recovery_report().unwrap());
    }
}

#[test]
fn as_of_on_a_missing_directory_creates_nothing() {
    let base = tempfile::tempdir().unwrap();
    let missing = base.path().join("nope");
    let err = Database::open_with(&missing, Options { as_of: Some(1), ..Options::default() }).unwrap_err();
    assert!(err.to_string().contains("no such data directory"), "{err}");
    assert!(!missing.exists());
}

#[test]
fn the_lock_keeps_a_second_opener_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let err = Database::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    assert!(err.contains(&format!("process {}", std::process::id())), "{err}");
    drop(db);
    Database::open(dir.path()).unwrap();
}

/// Runs `step` against a database on a `FaultyFs` failing at each operation in turn, in
/// both ways; after each failure the directory must reopen holding either the state
/// before the step or the state after it, with clean indexes.
/// With `one_commit`, a step that fails must also have left the open database unchanged.
fn fail_everywhere(step: impl Fn(&Database) -> Result<(), Error>, name: &str, one_commit: bool) {
    // How many file operations the step makes when nothing fails.
    let count = {
        let dir = tempfile::tempdir().unwrap();
        let fs = FaultyFs::new();
        let db = Database::open_with(dir.path(), options(Some(fs.clone()))).unwrap();
        prepare(&db);
        fs.fail_at(usize::MAX, Fault::Fail);
        step(&db).unwrap();
        fs.operations()
    };
    assert!(count >= 2, "{name} makes {count} file operations");
    for at in 0..count {
        for fault in [Fault::Fail, Fault::Tear] {
            let dir = tempfile::tempdir().unwrap();
            let fs = FaultyFs::new();
            let (before, after) = {
                let db = Database::open_with(dir.path(), options(Some(fs.clone()))).unwrap();
                prepare(&db);
                let before = db.state();
                let twin = Database::open_in_memory();
                prepare(&twin);
                step(&twin).unwrap();
                fs.fail_at(at, fault);
                let result = step(&db);
                let ops = fs.history();
                if result.is_err() && one_commit {
                    // Not acknowledged, so not visible either.
                    assert_same(&before, &db.state());
                }
                assert!(ops.len() > at, "{name}: failure {at} not reached: {ops:?}");
                (before, twin.state())
            };
            let db = Database::open(dir.path())
                .unwrap_or_else(|e| panic!("{name}: reopening after {fault:?} at operation {at} failed: {e}"));
            let now = db.state();
            let is_before = diff::diff(&before, &now).is_empty() && before.tables().count() == now.tables().count();
            let is_after = diff::diff(&after, &now).is_empty() && after.tables().count() == now.tables().count();
            assert!(is_before || is_after, "{name}: {fault:?} at operation {at} left neither state");
            assert_eq!(check::check(&now), vec![], "{name}: {fault:?} at {at}");
        }
    }
}

fn prepare(db: &Database) {
    exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT UNIQUE)").unwrap();
    exec(db, "INSERT INTO t VALUES (1, 'one'), (2, 'two')").unwrap();
}

#[test]
fn a_failed_write_or_fsync_of_a_commit_either_keeps_or_loses_it_whole() {
    fail_everywhere(|db| exec(db, "INSERT INTO t VALUES (3, 'three'), (4, 'four')"), "commit", true);
    fail_everywhere(
        |db| {
            let mut s = db.session();
            s.execute("BEGIN", &[])?;
            s.execute("UPDATE t SET note = note || '!'", &[])?;
            s.execute("CREATE INDEX by_note ON t (note)", &[])?;
            s.execute("COMMIT", &[]).map(|_| ())
        },
        "transaction",
        true,
    );
}

#[test]
fn a_failed_write_or_fsync_of_a_checkpoint_loses_nothing() {
    fail_everywhere(
        |db| {
            // The in-memory twin that gives the expected state has nothing to checkpoint.
            // One commit between two checkpoints, so that the second removes files.
            let durable = db.data_dir().is_some();
            if durable {
                db.checkpoint()?;
            }
            exec(db, "INSERT INTO t VALUES (3, 'three'), (4, 'four')")?;
            if durable {
                db.checkpoint()?;
            }
            Ok(())
        },
        "checkpoint",
        false,
    );
}

#[test]
fn after_a_failed_fsync_the_database_refuses_writes_until_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::new();
    let db = Database::open_with(dir.path(), options(Some(fs.clone()))).unwrap();
    prepare(&db);
    fs.fail_at(1, Fault::Fail); // operation 0 writes the record, 1 fsyncs it
    let err = exec(&db, "INSERT INTO t VALUES (3, 'three')").unwrap_err().to_string();
    assert!(err.contains("fsync of the log failed"), "{err}");
    assert_eq!(rows(&db), 2, "a commit whose fsync failed is not visible");
    let err = exec(&db, "INSERT INTO t VALUES (4, 'four')").unwrap_err().to_string();
    assert!(err.contains("reopen"), "{err}");
    assert_eq!(rows(&db), 2, "reads go on");
}

#[test]
fn concurrent_commits_share_fsyncs_and_all_survive() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::new();
    let db = Database::open_with(dir.path(), Options { fs: Arc::new(fs.clone()), ..Options::default() }).unwrap();
    exec(&db, "CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER)").unwrap();
    fs.fail_at(usize::MAX, Fault::Fail);
    let threads: Vec<_> = (0..8)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..40 {
                    exec(&db, &format!("INSERT INTO t VALUES ({}, {w})", w * 1000 + i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let syncs = fs.history().iter().filter(|op| op.starts_with("sync ")).count();
    assert!(syncs <= 320, "{syncs} fsyncs for 320 commits");
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(rows(&db), 320);
    assert_eq!(db.version(), 321);
}

#[test]
fn sync_modes_batch_and_off_keep_commits_across_a_clean_close() {
    for sync in [SyncMode::Batch, SyncMode::Off] {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Database::open_with(dir.path(), Options { sync, ..Options::default() }).unwrap();
            prepare(&db);
        }
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(rows(&db), 2, "{sync:?}");
    }
}

#[test]
fn backup_is_a_consistent_copy_that_opens_as_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let copy = target.path().join("copy");
    let memory = Database::open_in_memory();
    run_all(&memory, &workload(3, 200));
    let mut s = memory.session();
    let out = s.query(&format!("BACKUP TO '{}'", copy.display()), &[]).unwrap();
    assert_eq!(out.rows[0][1], Value::Integer(memory.version() as i64));
    let err = s.execute(&format!("BACKUP TO '{}'", copy.display()), &[]).unwrap_err().to_string();
    assert!(err.contains("not empty"), "{err}");
    let restored = Database::open(&copy).unwrap();
    assert_same(&memory.state(), &restored.state());
    assert_eq!(restored.version(), memory.version());

    // From a durable database too, while it is open.
    let db = Database::open(dir.path()).unwrap();
    prepare(&db);
    let copy2 = target.path().join("copy2");
    db.backup(&copy2).unwrap();
    exec(&db, "INSERT INTO t VALUES (3, 'later')").unwrap();
    let restored = Database::open(&copy2).unwrap();
    assert_eq!(rows(&restored), 2);
}

#[test]
fn as_of_opens_a_past_version_read_only() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        prepare(&db); // versions 1 and 2
        exec(&db, "INSERT INTO t VALUES (3, 'three')").unwrap();
        db.checkpoint().unwrap();
        exec(&db, "DELETE FROM t").unwrap();
    }
    let at = |v: u64| Database::open_with(dir.path(), Options { as_of: Some(v), ..Options::default() });
    assert_eq!(rows(&at(2).unwrap()), 2);
    assert_eq!(rows(&at(3).unwrap()), 3);
    assert_eq!(rows(&at(4).unwrap()), 0);
    let past = at(2).unwrap();
    let err = exec(&past, "INSERT INTO t VALUES (9, 'nine')").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ReadOnly(_)), "{err}");
    drop(past);
    let err = at(9).err().unwrap().to_string();
    assert!(err.contains("newest version it holds is 4"), "{err}");
    // Opening read-only changed nothing on disk.
    assert_eq!(rows(&Database::open(dir.path()).unwrap()), 0);
}

#[test]
fn checkpoints_remove_the_log_they_make_unnecessary() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with(dir.path(), options(None)).unwrap();
    exec(&db, "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)").unwrap();
    for i in 0..400 {
        exec(&db, &format!("INSERT INTO t VALUES ({i}, 'a note long enough to fill segments quickly {i}')")).unwrap();
    }
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let checkpoints = names.iter().filter(|n| n.starts_with("checkpoint-")).count();
    let segments = names.iter().filter(|n| n.starts_with("wal-")).count();
    assert!(checkpoints <= 2, "{names:?}");
    assert!(segments < 40, "segments pile up: {names:?}");
    drop(db);
    assert_eq!(rows(&Database::open(dir.path()).unwrap()), 400);
}

mod damaged_files {
    use super::*;
    use proptest::prelude::*;

    /// A directory with a checkpoint and a log after it; returns their paths.
    fn sample(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
        let db = Database::open(dir).unwrap();
        run_all(&db, &workload(11, 40));
        let done = db.checkpoint().unwrap();
        run_all(&db, &workload(12, 10)[5..]);
        drop(db);
        let checkpoint = dir.join(format!("checkpoint-{:020}.amber", done.version));
        let segment = dir.join(format!("wal-{:020}.log", done.version + 1));
        (checkpoint, segment)
    }

    /// Whatever the files hold, opening returns a database or an error and never panics;
    /// a database it returns can be read and checked (CHECK DATABASE reports, rather than
    /// hides, a value of the wrong type that only a crafted file with a valid checksum
    /// can hold).
    fn open_survives(dir: &Path) {
        if let Ok(db) = Database::open(dir) {
            let mut s = db.session();
            s.query("CHECK DATABASE", &[]).unwrap();
            for t in db.state().tables() {
                let _ = s.query(&format!("SELECT * FROM \"{}\" ORDER BY 1 DESC", t.name()), &[]);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn garbage_with_a_valid_checksum_never_panics(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            in_checkpoint in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let (checkpoint, segment) = sample(dir.path());
            if in_checkpoint {
                // Change payload bytes and recompute the CRC, as only a crafted file would.
                let mut bytes = std::fs::read(&checkpoint).unwrap();
                for (at, value) in &edits {
                    let i = 28 + at.index(bytes.len() - 28);
                    bytes[i] = *value;
                }
                let crc = crc32fast::hash(&bytes[28..]);
                bytes[24..28].copy_from_slice(&crc.to_le_bytes());
                std::fs::write(&checkpoint, bytes).unwrap();
            } else {
                let mut bytes = std::fs::read(&segment).unwrap();
                prop_assume!(bytes.len() > 8);
                let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
                for (at, value) in &edits {
                    let i = 8 + at.index(len);
                    bytes[i] = *value;
                }
                let crc = crc32fast::hash(&bytes[8..8 + len]);
                bytes[4..8].copy_from_slice(&crc.to_le_bytes());
                std::fs::write(&segment, bytes).unwrap();
            }
            open_survives(dir.path());
        }

        #[test]
        fn random_bytes_as_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), which in 0..3usize) {
            let dir = tempfile::tempdir().unwrap();
            let name = ["wal-00000000000000000001.log", "checkpoint-00000000000000000001.amber", "LOCK"][which];
            std::fs::write(dir.path().join(name), bytes).unwrap();
            open_survives(dir.path());
        }
    }
}

mod workloads {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// Any workload, with checkpoints and segment changes along the way, reopens as
        /// exactly the state an in-memory database reaches with the same statements.
        #[test]
        fn any_workload_reopens_as_it_was(seed in any::<u64>(), n in 20..200usize, checkpoint_every in 1..60usize) {
            let statements = workload(seed, n);
            let memory = Database::open_in_memory();
            run_all(&memory, &statements);
            let dir = tempfile::tempdir().unwrap();
            {
                let db = Database::open_with(dir.path(), options(None)).unwrap();
                for (i, chunk) in statements.chunks(checkpoint_every).enumerate() {
                    run_all(&db, chunk);
                    if i % 2 == 1 {
                        db.checkpoint().unwrap();
                    }
                }
            }
            let db = Database::open(dir.path()).unwrap();
            prop_assert_eq!(db.version(), memory.version());
            assert_same(&memory.state(), &db.state());
        }
    }
}
