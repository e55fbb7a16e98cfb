//! Migrations: applied in order in one transaction each, recorded with checksums, and
//! every way a folder can disagree with what was applied refused before anything runs.

use std::path::{Path, PathBuf};

use amberdb::{Database, MigrateCommand, Value};

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("amber-migrations-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

fn states(db: &Database, dir: &Path) -> Vec<(i64, String)> {
    db.migrate_with(dir, &MigrateCommand::Status, false).unwrap().into_iter().map(|l| (l.version, l.state)).collect()
}

fn tables(db: &Database) -> Vec<String> {
    db.session().table_names()
}

/// Three migrations: a table, a column and an index, and data.
fn three(dir: &Path) {
    write(dir, "0001_users.up.q", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n");
    write(dir, "0001_users.down.q", "DROP TABLE users;\n");
    write(
        dir,
        "0002_names.up.q",
        "ALTER TABLE users ADD COLUMN name TEXT;\nCREATE INDEX users_email ON users (email);\n",
    );
    write(dir, "0002_names.down.q", "DROP INDEX users_email;\nALTER TABLE users DROP COLUMN name;\n");
    write(dir, "0003_seed.up.q", "-- the first user\nINSERT INTO users VALUES (1, 'ada@x.org', 'Ada');\n");
    write(dir, "0003_seed.down.q", "DELETE FROM users WHERE id = 1;\n");
}

#[test]
fn migrations_apply_in_order_once_and_go_down_and_up_again() {
    let dir = folder("order");
    three(&dir);
    let db = Database::open_in_memory();
    assert_eq!(states(&db, &dir), vec![(1, "pending".into()), (2, "pending".into()), (3, "pending".into())]);
    // A dry run changes nothing.
    let dry = db.migrate_with(&dir, &MigrateCommand::Up(None), true).unwrap();
    assert_eq!(dry.len(), 3);
    assert!(tables(&db).is_empty());
    let applied = db.migrate(&dir).unwrap();
    assert_eq!(applied.iter().map(|l| l.version).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(db.migrate(&dir).unwrap().is_empty(), "nothing is applied twice");
    let rows = db.session().query("SELECT version, name, length(checksum) FROM schema_migrations", &[]).unwrap();
    assert_eq!(rows.rows[2], vec![Value::Integer(3), Value::text("seed"), Value::Integer(64)]);
    let name = db.session().query("SELECT name FROM users", &[]).unwrap();
    assert_eq!(name.rows, vec![vec![Value::text("Ada")]]);
    // Down two, then up one, then redo.
    let down = db.migrate_with(&dir, &MigrateCommand::Down(2), false).unwrap();
    assert_eq!(
        down.iter().map(|l| (l.version, l.state.as_str())).collect::<Vec<_>>(),
        vec![(3, "reverted"), (2, "reverted")]
    );
    assert!(db.session().query("SELECT name FROM users", &[]).is_err(), "the column went with 0002");
    db.migrate_with(&dir, &MigrateCommand::Up(Some(1)), false).unwrap();
    assert_eq!(states(&db, &dir)[1], (2, "applied".into()));
    assert_eq!(states(&db, &dir)[2], (3, "pending".into()));
    let redo = db.migrate_with(&dir, &MigrateCommand::Redo, false).unwrap();
    assert_eq!(redo.len(), 2);
    assert_eq!(states(&db, &dir)[1], (2, "applied".into()));
}

#[test]
fn a_failing_migration_leaves_nothing_behind() {
    let dir = folder("failing");
    write(&dir, "0001_ok.up.q", "CREATE TABLE a (x INTEGER);\n");
    write(
        &dir,
        "0002_broken.up.q",
        "CREATE TABLE b (x INTEGER);\nINSERT INTO b VALUES (1);\nINSERT INTO nowhere VALUES (1);\n",
    );
    let db = Database::open_in_memory();
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("0002_broken failed, and nothing of it was applied"), "{err}");
    assert!(err.contains("0002_broken.up.q:3"), "the error names the line: {err}");
    assert_eq!(tables(&db), vec!["a".to_string(), "schema_migrations".to_string()]);
    assert_eq!(states(&db, &dir), vec![(1, "applied".into()), (2, "pending".into())]);
    // Mended, it applies; nothing had to be cleaned up first.
    write(&dir, "0002_broken.up.q", "CREATE TABLE b (x INTEGER);\nINSERT INTO b VALUES (1);\n");
    db.migrate(&dir).unwrap();
    assert_eq!(states(&db, &dir)[1], (2, "applied".into()));
    // Transaction control inside a migration is refused, as is a dot-command.
    write(&dir, "0003_commits.up.q", "CREATE TABLE c (x INTEGER);\nCOMMIT;\n");
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("0003_commits.up.q:2") && err.contains("leave out BEGIN"), "{err}");
    assert!(!tables(&db).contains(&"c".to_string()));
}

#[test]
fn a_folder_that_disagrees_with_what_was_applied_is_refused_before_anything_runs() {
    let dir = folder("disagree");
    three(&dir);
    let db = Database::open_in_memory();
    db.migrate_with(&dir, &MigrateCommand::Up(Some(2)), false).unwrap();
    // An applied migration edited.
    write(&dir, "0001_users.up.q", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\n");
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("0001_users was edited after it was applied"), "{err}");
    assert_eq!(states_unchecked(&db), vec![1, 2], "0003 did not run");
    write(&dir, "0001_users.up.q", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n");
    // A gap: a migration numbered below an applied one, not applied.
    write(&dir, "0000_early.up.q", "CREATE TABLE early (x INTEGER);\n");
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("0000_early") || err.contains("a migration is named"), "{err}");
    std::fs::remove_file(dir.join("0000_early.up.q")).unwrap();
    std::fs::remove_file(dir.join("0002_names.up.q")).unwrap();
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("0002_names has a down file but no"), "{err}");
    std::fs::remove_file(dir.join("0002_names.down.q")).unwrap();
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("0002_names was applied but its file is gone"), "{err}");
    three(&dir);
    // A missing down file stops a step down before anything is undone.
    std::fs::remove_file(dir.join("0001_users.down.q")).unwrap();
    let err = db.migrate_with(&dir, &MigrateCommand::Down(2), false).unwrap_err().to_string();
    assert!(err.contains("0001_users has no down file"), "{err}");
    assert_eq!(states_unchecked(&db), vec![1, 2]);
    // Two files of one number, and names that are no migration's.
    write(&dir, "0003_other.up.q", "SELECT 1;\n");
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("two migrations are numbered 3"), "{err}");
    std::fs::remove_file(dir.join("0003_other.up.q")).unwrap();
    write(&dir, "notes.q", "SELECT 1;\n");
    assert!(db.migrate(&dir).unwrap_err().to_string().contains("NNNN_name"));
    std::fs::remove_file(dir.join("notes.q")).unwrap();
    // Applied later, it fills the gap-free sequence.
    write(&dir, "0004_more.up.q", "CREATE TABLE more (x INTEGER);\n");
    std::fs::remove_file(dir.join("0003_seed.up.q")).unwrap();
    std::fs::remove_file(dir.join("0003_seed.down.q")).unwrap();
    db.migrate(&dir).unwrap();
    assert_eq!(states_unchecked(&db), vec![1, 2, 4]);
}

fn states_unchecked(db: &Database) -> Vec<i64> {
    let rows = db.session().query("SELECT version FROM schema_migrations ORDER BY version", &[]).unwrap();
    rows.rows.iter().map(|r| if let Value::Integer(v) = r[0] { v } else { 0 }).collect()
}

#[test]
fn a_gap_below_an_applied_migration_is_refused() {
    let dir = folder("gap");
    three(&dir);
    let db = Database::open_in_memory();
    db.migrate_with(&dir, &MigrateCommand::Baseline(3), false).unwrap();
    assert_eq!(states_unchecked(&db), vec![1, 2, 3]);
    assert!(tables(&db).iter().all(|t| t != "users"), "a baseline runs nothing");
    let db = Database::open_in_memory();
    db.migrate(&dir).unwrap();
    db.session().execute("DELETE FROM schema_migrations WHERE version = 2", &[]).unwrap();
    let err = db.migrate(&dir).unwrap_err().to_string();
    assert!(err.contains("0002_names is not applied, but 0003 after it is: a gap"), "{err}");
}

#[test]
fn the_command_line_migrates_a_data_directory_and_a_crash_mid_migration_leaves_nothing() {
    let root = folder("cli");
    let data = root.join("data");
    let dir = root.join("migrations");
    let amberdb = env!("CARGO_BIN_EXE_amberdb");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(amberdb)
            .args(["migrate", "--data"])
            .arg(&data)
            .arg("--dir")
            .arg(&dir)
            .args(args)
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, text) = run(&["new", "users"]);
    assert!(ok && text.contains("0001_users.up.q"), "{text}");
    write(&dir, "0001_users.up.q", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
    write(&dir, "0001_users.down.q", "DROP TABLE users;\n");
    let (ok, text) = run(&["up"]);
    assert!(ok && text.contains("0001_users") && text.contains("applied"), "{text}");
    // A long migration, killed half-way: after a restart nothing of it is there.
    write(
        &dir,
        "0002_big.up.q",
        "CREATE TABLE big (x INTEGER);\nINSERT INTO big SELECT value FROM generate_series(1, 200000000);\n",
    );
    let mut child = std::process::Command::new(amberdb)
        .args(["migrate", "--data"])
        .arg(&data)
        .arg("--dir")
        .arg(&dir)
        .arg("up")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "the migration should still be running");
    child.kill().unwrap();
    child.wait().unwrap();
    let (ok, text) = run(&["status"]);
    assert!(ok, "{text}");
    assert!(text.contains("0001_users") && text.contains("0002_big") && text.contains("pending"), "{text}");
    let db = Database::open(&data).unwrap();
    assert!(!db.session().table_names().contains(&"big".to_string()));
    // While one process has the directory, another is refused.
    let (ok, text) = run(&["status"]);
    assert!(!ok && text.contains("amberdb migrate:"), "{text}");
    drop(db);
    std::fs::remove_dir_all(&root).unwrap();
}
