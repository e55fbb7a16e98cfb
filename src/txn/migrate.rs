//! Migrations: numbered scripts in a folder (`0001_create_users.up.q` and its
//! `0001_create_users.down.q`), applied in order, each in one transaction together
//! with its row in `schema_migrations` (version, name, checksum, applied_at). DDL runs
//! in transactions like any write, so a migration that fails leaves nothing behind —
//! no half-applied schema, no "dirty" state to clean up by hand.
//!
//! Before anything runs, the folder is checked against what was applied: an applied
//! migration whose file changed (its SHA-256 differs) or disappeared, a migration not
//! applied below one that is (a gap), two files of one number, or a missing down file
//! for a step down, are errors that change nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::database::Database;
use super::session::Session;
use crate::error::{Error, Result};
use crate::storage::Value;

/// The table that records applied migrations.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, \
     name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)";

/// One migration found in the folder.
#[derive(Clone, Debug, PartialEq)]
pub struct Migration {
    pub version: i64,
    pub name: String,
    pub up: PathBuf,
    pub down: Option<PathBuf>,
    /// SHA-256 of the up file, in hex.
    pub checksum: String,
}

/// What a migration command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MigrateCommand {
    /// Apply the pending migrations (at most this many).
    Up(Option<usize>),
    /// Undo the last applied migrations (this many).
    Down(usize),
    /// Undo the last one and apply it again.
    Redo,
    /// List every migration and whether it is applied.
    Status,
    /// Record every migration up to this version as applied, without running it.
    Baseline(i64),
}

/// One line of a migration command's report.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrateLine {
    pub version: i64,
    pub name: String,
    /// `applied`, `pending`, `reverted`, `baselined`, or with `dry_run` what would be.
    pub state: String,
}

fn hex_sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `NNNN_name.up.q` / `NNNN_name.down.q` from `dir`, in version order.
pub fn scan(dir: &Path) -> Result<Vec<Migration>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::invalid(format!("cannot read migrations in {}: {e}", dir.display())))?;
    let mut found: BTreeMap<i64, (String, Option<PathBuf>, Option<PathBuf>)> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::invalid(format!("cannot read {}: {e}", dir.display())))?;
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(stem) = file.strip_suffix(".q") else { continue };
        let (stem, up) = match (stem.strip_suffix(".up"), stem.strip_suffix(".down")) {
            (Some(s), _) => (s, true),
            (_, Some(s)) => (s, false),
            _ => {
                return Err(Error::invalid(format!("{file}: a migration is named NNNN_name.up.q or NNNN_name.down.q")))
            }
        };
        let (number, name) = stem.split_once('_').unwrap_or((stem, ""));
        let version: i64 = number.parse().ok().filter(|v| *v > 0 && !name.is_empty()).ok_or_else(|| {
            Error::invalid(format!("{file}: a migration is named NNNN_name.up.q (a number, then _name)"))
        })?;
        let slot = found.entry(version).or_insert_with(|| (name.to_string(), None, None));
        if slot.0 != name {
            return Err(Error::invalid(format!(
                "two migrations are numbered {version}: {}_{} and {file}",
                number, slot.0
            )));
        }
        let place = if up { &mut slot.1 } else { &mut slot.2 };
        *place = Some(entry.path());
    }
    found
        .into_iter()
        .map(|(version, (name, up, down))| {
            let up = up.ok_or_else(|| {
                Error::invalid(format!("migration {version:04}_{name} has a down file but no {version:04}_{name}.up.q"))
            })?;
            let text = std::fs::read(&up).map_err(|e| Error::invalid(format!("cannot read {}: {e}", up.display())))?;
            Ok(Migration { version, name, up, down, checksum: hex_sha256(&text) })
        })
        .collect()
}

/// The applied migrations: version to (name, checksum).
fn applied(session: &mut Session) -> Result<BTreeMap<i64, (String, String)>> {
    if !session.table_names().iter().any(|t| t.eq_ignore_ascii_case(MIGRATIONS_TABLE)) {
        return Ok(BTreeMap::new());
    }
    let rows = session.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version", &[])?;
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|r| match (&r[0], &r[1], &r[2]) {
            (Value::Integer(v), name, sum) => Some((*v, (name.to_string(), sum.to_string()))),
            _ => None,
        })
        .collect())
}

/// Checks the folder against what was applied (see the module's notes).
fn check(files: &[Migration], done: &BTreeMap<i64, (String, String)>) -> Result<()> {
    for (version, (name, sum)) in done {
        match files.iter().find(|m| m.version == *version) {
            None => {
                return Err(Error::invalid(format!(
                    "migration {version:04}_{name} was applied but its file is gone; restore it before migrating"
                )))
            }
            Some(m) if &m.checksum != sum => {
                return Err(Error::invalid(format!(
                    "migration {version:04}_{name} was edited after it was applied (its checksum was {}…, is {}…); \
                     undo the edit, or write a new migration",
                    &sum[..sum.len().min(12)],
                    &m.checksum[..12]
                )))
            }
            Some(_) => {}
        }
    }
    let newest = done.keys().next_back().copied().unwrap_or(0);
    if let Some(gap) = files.iter().find(|m| m.version < newest && !done.contains_key(&m.version)) {
        return Err(Error::invalid(format!(
            "migration {:04}_{} is not applied, but {newest:04} after it is: a gap; renumber it after {newest:04}",
            gap.version, gap.name
        )));
    }
    Ok(())
}

/// Runs a migration file's statements and its bookkeeping in one transaction.
fn run_file(
    session: &mut Session,
    m: &Migration,
    path: &Path,
    first: Option<&str>,
    record: &str,
    params: &[Value],
) -> Result<()> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))?;
    session.execute("BEGIN", &[])?;
    let ran = (|| -> Result<()> {
        if let Some(sql) = first {
            session.execute(sql, &[])?;
        }
        for piece in crate::sql::split::split(&text) {
            let (line, _) = crate::sql::split::line_col(&text, piece.offset);
            let at = |e: Error| Error::invalid(format!("{}:{line}: {e}", path.display()));
            if piece.is_dot {
                return Err(at(Error::invalid("dot-commands cannot run in a migration")));
            }
            let statement = session.prepare(piece.text).map_err(at)?;
            if statement.controls_transaction() {
                return Err(at(Error::invalid(
                    "a migration runs in a transaction of its own: leave out BEGIN, COMMIT, ROLLBACK and savepoints",
                )));
            }
            session.execute_prepared(&statement, &[]).map_err(at)?;
        }
        session.execute(record, params)?;
        Ok(())
    })();
    let ran = ran.and_then(|()| session.execute("COMMIT", &[]).map(|_| ()));
    if let Err(e) = ran {
        if session.in_transaction() {
            session.execute("ROLLBACK", &[])?;
        }
        return Err(Error::invalid(format!(
            "migration {:04}_{} failed, and nothing of it was applied: {e}",
            m.version, m.name
        )));
    }
    Ok(())
}

impl Database {
    /// Applies every pending migration in `dir` (see [`Database::migrate_with`]).
    pub fn migrate(&self, dir: impl AsRef<Path>) -> Result<Vec<MigrateLine>> {
        self.migrate_with(dir.as_ref(), &MigrateCommand::Up(None), false)
    }

    /// Runs a migration command over the migrations in `dir`; with `dry_run`, reports
    /// what it would do and changes nothing.
    pub fn migrate_with(&self, dir: &Path, command: &MigrateCommand, dry_run: bool) -> Result<Vec<MigrateLine>> {
        let files = scan(dir)?;
        let mut session = self.session();
        let done = applied(&mut session)?;
        check(&files, &done)?;
        let line = |m: &Migration, state: &str| MigrateLine {
            version: m.version,
            name: m.name.clone(),
            state: if dry_run && state != "applied" && state != "pending" {
                format!("would be {state}")
            } else {
                state.to_string()
            },
        };
        let pending: Vec<&Migration> = files.iter().filter(|m| !done.contains_key(&m.version)).collect();
        let applied_files: Vec<&Migration> = files.iter().filter(|m| done.contains_key(&m.version)).collect();
        let mut out = Vec::new();
        match command {
            MigrateCommand::Status => {
                for m in &files {
                    out.push(line(m, if done.contains_key(&m.version) { "applied" } else { "pending" }));
                }
            }
            MigrateCommand::Up(n) => {
                for m in pending.iter().take(n.unwrap_or(usize::MAX)) {
                    if !dry_run {
                        self.apply(&mut session, m)?;
                    }
                    out.push(line(m, "applied"));
                }
            }
            MigrateCommand::Down(n) => {
                let undo: Vec<&&Migration> = applied_files.iter().rev().take(*n).collect();
                if let Some(m) = undo.iter().find(|m| m.down.is_none()) {
                    return Err(Error::invalid(format!(
                        "migration {:04}_{} has no down file ({:04}_{}.down.q): nothing was undone",
                        m.version, m.name, m.version, m.name
                    )));
                }
                for m in undo {
                    if !dry_run {
                        self.revert(&mut session, m)?;
                    }
                    out.push(line(m, "reverted"));
                }
            }
            MigrateCommand::Redo => {
                let Some(m) = applied_files.last() else {
                    return Err(Error::invalid("no migration is applied: nothing to redo"));
                };
                if m.down.is_none() {
                    return Err(Error::invalid(format!(
                        "migration {:04}_{} has no down file: it cannot be redone",
                        m.version, m.name
                    )));
                }
                if !dry_run {
                    self.revert(&mut session, m)?;
                    self.apply(&mut session, m)?;
                }
                out.push(line(m, "reverted"));
                out.push(line(m, "applied"));
            }
            MigrateCommand::Baseline(upto) => {
                for m in pending.iter().filter(|m| m.version <= *upto) {
                    if !dry_run {
                        session.execute(CREATE_TABLE, &[])?;
                        session.execute(
                            "INSERT INTO schema_migrations VALUES (?, ?, ?, now())",
                            &[Value::Integer(m.version), Value::text(&m.name), Value::text(&m.checksum)],
                        )?;
                    }
                    out.push(line(m, "baselined"));
                }
            }
        }
        Ok(out)
    }

    fn apply(&self, session: &mut Session, m: &Migration) -> Result<()> {
        let params = [Value::Integer(m.version), Value::text(&m.name), Value::text(&m.checksum)];
        // The table is made (if need be) inside the migration's transaction too.
        let record = "INSERT INTO schema_migrations VALUES (?, ?, ?, now())";
        run_file(session, m, &m.up, Some(CREATE_TABLE), record, &params)
    }

    fn revert(&self, session: &mut Session, m: &Migration) -> Result<()> {
        let down = m.down.as_ref().ok_or_else(|| Error::invalid("no down file"))?;
        let record = "DELETE FROM schema_migrations WHERE version = ?";
        run_file(session, m, down, None, record, &[Value::Integer(m.version)])
    }
}

/// Writes `NNNN_name.up.q` and `.down.q` for a new migration numbered after the
/// newest in `dir` (made if missing); returns their paths.
pub fn new_migration(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf)> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::invalid(format!("a migration's name is letters, digits and _, not {name:?}")));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::invalid(format!("cannot create {}: {e}", dir.display())))?;
    let next = scan(dir)?.last().map_or(1, |m| m.version + 1);
    let up = dir.join(format!("{next:04}_{name}.up.q"));
    let down = dir.join(format!("{next:04}_{name}.down.q"));
    for (path, text) in [(&up, "-- the change\n"), (&down, "-- how to undo it\n")] {
        std::fs::write(path, text).map_err(|e| Error::invalid(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok((up, down))
}
