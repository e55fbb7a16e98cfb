//! Optional durability: a data directory holding a write-ahead log of committed write sets
//! and checkpoints of the whole state, with an exclusive lock.
//!
//! # Layout of a data directory
//!
//! ```text
//! LOCK                              the holder's process id; flock'ed while open
//! checkpoint-<version>.amber        the state at a version (see `checkpoint`)
//! wal-<first version>.log           log segments (see `wal`)
//! ```
//!
//! # Commit rule
//!
//! A commit is appended to the log under the commit lock. Under `SyncMode::Always` it is
//! acknowledged and made visible only after an fsync covering it; commits that arrive
//! while one fsync runs share the next (group commit). A failed write or fsync fails the
//! commit (not acknowledged, not visible) and every commit waiting on it, and the database
//! takes no more writes until it is reopened, because after a failed fsync the file's
//! contents can no longer be trusted.
//!
//! # Recovery rule
//!
//! Opening loads the newest checkpoint that reads back whole (falling back to the previous
//! one), then replays the log records after its version, in order, up to the first torn or
//! corrupt record; the log is truncated there and later segments removed. The
//! [`RecoveryReport`] says what was kept and what was dropped.

pub mod checkpoint;
pub mod export;
pub mod fs;
mod lock;
pub mod wal;

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use self::checkpoint::{checkpoint_name, parse_checkpoint_name};
use self::fs::{FileHandle, Fs, RealFs};
use self::lock::DirLock;
use self::wal::{parse_segment_name, segment_name};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{Joined, State};

/// When the log is fsynced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// Before a commit is acknowledged (concurrent commits share one fsync).
    #[default]
    Always,
    /// At most every 100 ms: a power failure can lose the last moments of commits, a
    /// process crash cannot.
    Batch,
    /// Never (only at checkpoints and when the database closes).
    Off,
}

impl FromStr for SyncMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<SyncMode, String> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Ok(SyncMode::Always),
            "batch" => Ok(SyncMode::Batch),
            "off" => Ok(SyncMode::Off),
            _ => Err(format!("unknown sync mode {s}: expected always, batch or off")),
        }
    }
}

const BATCH_INTERVAL: Duration = Duration::from_millis(100);

/// How a data directory is used.
#[derive(Clone)]
pub struct Options {
    pub sync: SyncMode,
    /// A checkpoint is taken after this many bytes of log since the last one.
    pub checkpoint_after: u64,
    /// A log segment is closed and the next begun once it is this large.
    pub segment_size: u64,
    /// Opens the database read-only as it was at this version.
    pub as_of: Option<u64>,
    pub fs: Arc<dyn Fs>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sync: SyncMode::Always,
            checkpoint_after: 64 << 20,
            segment_size: 16 << 20,
            as_of: None,
            fs: Arc::new(RealFs),
        }
    }
}

/// What opening a data directory found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecoveryReport {
    /// The version the database opened at.
    pub version: u64,
    /// The checkpoint it started from, if any.
    pub checkpoint: Option<u64>,
    /// Log records replayed after the checkpoint.
    pub replayed: u64,
    /// Bytes of log cut off, and what they were.
    pub dropped_bytes: u64,
    pub dropped: Option<String>,
    /// Damaged checkpoints skipped and the like.
    pub notes: Vec<String>,
}

impl RecoveryReport {
    /// Whether anything was dropped or skipped: worth telling the user about.
    pub fn is_eventful(&self) -> bool {
        self.dropped.is_some() || !self.notes.is_empty()
    }
}

impl fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recovered to version {}", self.version)?;
        match self.checkpoint {
            Some(c) => write!(f, " (checkpoint {c} + {} log records)", self.replayed)?,
            None => write!(f, " ({} log records)", self.replayed)?,
        }
        if let Some(what) = &self.dropped {
            write!(f, "; dropped {} bytes of {what}", self.dropped_bytes)?;
        }
        for note in &self.notes {
            write!(f, "; {note}")?;
        }
        Ok(())
    }
}

/// The result of opening a directory: the state, recent versions for `AS OF`, and the
/// log to append to (none when opened read-only).
pub(crate) struct Recovered {
    pub state: State,
    pub version: u64,
    /// Replayed versions, oldest first, ending with the recovered one.
    pub history: VecDeque<(u64, State)>,
    pub report: RecoveryReport,
    pub log: Option<Log>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io_error(what: impl fmt::Display, e: impl fmt::Display) -> Error {
    ErrorKind::Io(format!("{what}: {e}")).into()
}

/// Opens (creating when needed) a data directory and recovers its state.
pub(crate) fn open(dir: &Path, options: &Options, keep_history: usize) -> Result<Recovered> {
    let fs = options.fs.clone();
    fs.create_dir_all(dir).map_err(|e| io_error(format_args!("cannot create {}", dir.display()), e))?;
    let dir_lock = DirLock::acquire(dir)?;
    let names = fs.list(dir).map_err(|e| io_error(format_args!("cannot list {}", dir.display()), e))?;
    let read_only = options.as_of.is_some();
    if !read_only {
        for name in names.iter().filter(|n| n.ends_with(".tmp")) {
            fs.remove(&dir.join(name)).map_err(|e| io_error(format_args!("cannot remove {name}"), e))?;
        }
    }
    let mut checkpoints: Vec<u64> = names.iter().filter_map(|n| parse_checkpoint_name(n)).collect();
    checkpoints.sort_unstable_by(|a, b| b.cmp(a));
    let mut segments: Vec<u64> = names.iter().filter_map(|n| parse_segment_name(n)).collect();
    segments.sort_unstable();

    let mut report = RecoveryReport::default();
    let mut base = None;
    for &c in &checkpoints {
        if options.as_of.is_some_and(|target| c > target) {
            continue;
        }
        let path = dir.join(checkpoint_name(c));
        let loaded = fs.read(&path).map_err(|e| e.to_string()).and_then(|b| checkpoint::decode(&b));
        match loaded {
            Ok((v, state)) if v == c => {
                base = Some((v, state));
                break;
            }
            Ok((v, _)) => report.notes.push(format!("skipped checkpoint {c}, which holds version {v}")),
            Err(e) => report.notes.push(format!("skipped damaged checkpoint {c} ({e})")),
        }
    }
    report.checkpoint = base.as_ref().map(|(v, _)| *v);
    let (mut version, mut state) = base.unwrap_or((0, State::new()));

    if let (Some(target), None) = (options.as_of, report.checkpoint) {
        if segments.first().is_some_and(|&s| s > 1) || (segments.is_empty() && !checkpoints.is_empty()) {
            let oldest = checkpoints.iter().min().copied().unwrap_or(0);
            return Err(ErrorKind::NoSuchVersion(format!(
                "version {target} is no longer kept in {}: the oldest version it can open is {oldest}",
                dir.display()
            ))
            .into());
        }
    }

    // The segment holding version + 1 must exist unless the log is empty from there on.
    let first = segments.iter().rposition(|&s| s <= version + 1).unwrap_or(0);
    if let Some(&s) = segments.get(first) {
        if s > version + 1 {
            return Err(ErrorKind::Io(format!(
                "cannot recover {}: the log starts at version {s} but the newest usable checkpoint holds version \
                 {version}, so versions {} to {} are missing",
                dir.display(),
                version + 1,
                s - 1
            ))
            .into());
        }
    }
    let mut history = VecDeque::from([(version, state.clone())]);
    let mut tail = None;
    'segments: for (i, &seg) in segments.iter().enumerate().skip(first) {
        let path = dir.join(segment_name(seg));
        let bytes = fs.read(&path).map_err(|e| io_error(format_args!("cannot read {}", path.display()), e))?;
        let (records, stop) = wal::read_segment(&bytes);
        let mut broke = stop.map(|s| (s.offset(), s.describe()));
        for record in records {
            if record.version <= version {
                continue;
            }
            if options.as_of.is_some_and(|target| record.version > target) {
                break 'segments;
            }
            if record.version != version + 1 {
                let why = format!("a record out of sequence (version {} after {version})", record.version);
                broke = Some((record.offset, why));
                break;
            }
            match state.applied(&record.writes) {
                Ok(next) => {
                    state = next;
                    version = record.version;
                    report.replayed += 1;
                    history.push_back((version, state.clone()));
                    if history.len() > keep_history.max(1) {
                        history.pop_front();
                    }
                }
                Err(e) => {
                    broke = Some((record.offset, format!("a record that does not apply ({e})")));
                    break;
                }
            }
        }
        tail = Some((seg, bytes.len() as u64));
        if let Some((offset, what)) = broke {
            if read_only {
                break;
            }
            let later: Vec<u64> = segments[i + 1..].to_vec();
            let mut dropped = bytes.len() as u64 - offset as u64;
            fs.truncate(&path, offset as u64)
                .map_err(|e| io_error(format_args!("cannot truncate {}", path.display()), e))?;
            for s in later {
                let p = dir.join(segment_name(s));
                dropped += fs.read(&p).map(|b| b.len() as u64).unwrap_or(0);
                fs.remove(&p).map_err(|e| io_error(format_args!("cannot remove {}", p.display()), e))?;
            }
            fs.sync_dir(dir).map_err(|e| io_error(format_args!("cannot sync {}", dir.display()), e))?;
            report.dropped_bytes = dropped;
            report.dropped = Some(what);
            tail = Some((seg, offset as u64));
            break;
        }
    }
    report.version = version;

    if let Some(target) = options.as_of {
        if version != target {
            return Err(ErrorKind::NoSuchVersion(format!(
                "version {target} is not in {}: the newest version it holds is {version}",
                dir.display()
            ))
            .into());
        }
        return Ok(Recovered { state, version, history, report, log: None });
    }

    let (segment_first, segment_bytes) = tail.unwrap_or((version + 1, 0));
    let path = dir.join(segment_name(segment_first));
    let file = fs.append(&path).map_err(|e| io_error(format_args!("cannot open {}", path.display()), e))?;
    if tail.is_none() {
        fs.sync_dir(dir).map_err(|e| io_error(format_args!("cannot sync {}", dir.display()), e))?;
    }
    let log = Log {
        dir: dir.to_path_buf(),
        fs,
        options: options.clone(),
        writer: Mutex::new(Writer {
            file: Arc::from(file),
            segment_first,
            segment_bytes,
            since_checkpoint: 0,
            last_sync: Instant::now(),
            broken: None,
        }),
        group: Mutex::new(Group { pending: VecDeque::new(), durable: version, syncing: false, failed: None }),
        synced: Condvar::new(),
        checkpointing: Mutex::new(()),
        _lock: dir_lock,
    };
    Ok(Recovered { state, version, history, report, log: Some(log) })
}

struct Writer {
    file: Arc<dyn FileHandle>,
    segment_first: u64,
    segment_bytes: u64,
    since_checkpoint: u64,
    last_sync: Instant,
    /// Set when a write or fsync failed: no more commits until reopened.
    broken: Option<String>,
}

/// Commits appended but not yet fsynced (`SyncMode::Always`).
struct Group {
    /// Their versions and states, in version order; published once durable.
    pending: VecDeque<(u64, State)>,
    durable: u64,
    syncing: bool,
    failed: Option<String>,
}

/// The open log of a data directory.
pub(crate) struct Log {
    dir: PathBuf,
    fs: Arc<dyn Fs>,
    options: Options,
    writer: Mutex<Writer>,
    group: Mutex<Group>,
    synced: Condvar,
    checkpointing: Mutex<()>,
    _lock: DirLock,
}

fn broken_error(why: &str) -> Error {
    ErrorKind::ReadOnly(format!(
        "the database takes no more writes: {why}; nothing after the last acknowledged commit was kept; reopen it"
    ))
    .into()
}

impl Log {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn sync_mode(&self) -> SyncMode {
        self.options.sync
    }

    /// Appends one commit's record; under `Batch` also fsyncs when one is due. The caller
    /// holds the commit lock. On error nothing of the commit is acknowledged.
    pub fn append(&self, version: u64, writes: Joined) -> Result<()> {
        let record = wal::encode(version, writes).map_err(ErrorKind::Io)?;
        let mut w = lock(&self.writer);
        if let Some(why) = &w.broken {
            return Err(broken_error(why));
        }
        if w.segment_bytes >= self.options.segment_size {
            self.rotate(&mut w, version).inspect_err(|e| w.broken = Some(e.to_string()))?;
        }
        if let Err(e) = w.file.write_all(&record) {
            let why = format!("writing the log failed ({e})");
            w.broken = Some(why.clone());
            return Err(ErrorKind::Io(format!("could not commit: {why}")).into());
        }
        w.segment_bytes += record.len() as u64;
        w.since_checkpoint += record.len() as u64;
        let due = match self.options.sync {
            SyncMode::Batch => w.last_sync.elapsed() >= BATCH_INTERVAL,
            SyncMode::Always | SyncMode::Off => false,
        };
        if due {
            if let Err(e) = w.file.sync() {
                let why = format!("fsync of the log failed ({e})");
                w.broken = Some(why.clone());
                return Err(ErrorKind::Io(format!("could not commit: {why}")).into());
            }
            w.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Closes the current segment (fsynced) and begins `wal-<first>.log`.
    fn rotate(&self, w: &mut Writer, first: u64) -> Result<()> {
        if w.segment_bytes == 0 {
            return Ok(());
        }
        w.file.sync().map_err(|e| io_error("fsync of the log failed", e))?;
        let path = self.dir.join(segment_name(first));
        let file = self.fs.append(&path).map_err(|e| io_error(format_args!("cannot create {}", path.display()), e))?;
        self.fs.sync_dir(&self.dir).map_err(|e| io_error("fsync of the data directory failed", e))?;
        w.file = Arc::from(file);
        w.segment_first = first;
        w.segment_bytes = 0;
        Ok(())
    }

    /// Queues an appended commit to be published once durable. The caller holds the
    /// commit lock, so commits queue in version order.
    pub fn enqueue(&self, version: u64, state: State) {
        lock(&self.group).pending.push_back((version, state));
    }

    /// Waits until `version` is durable, leading an fsync when none is running; every
    /// commit the fsync covers is handed to `publish`, in version order.
    pub fn wait_durable(&self, version: u64, publish: &dyn Fn(u64, State)) -> Result<()> {
        let mut g = lock(&self.group);
        loop {
            if g.durable >= version {
                return Ok(());
            }
            if let Some(why) = &g.failed {
                return Err(ErrorKind::Io(format!("could not commit: {why}")).into());
            }
            if g.syncing {
                g = self.synced.wait(g).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            g.syncing = true;
            let target = g.pending.back().map_or(g.durable, |(v, _)| *v);
            drop(g);
            let file = lock(&self.writer).file.clone();
            let result = file.sync();
            if let Err(e) = &result {
                lock(&self.writer).broken = Some(format!("fsync of the log failed ({e})"));
            }
            g = lock(&self.group);
            g.syncing = false;
            match result {
                Ok(()) => {
                    while g.pending.front().is_some_and(|(v, _)| *v <= target) {
                        if let Some((v, state)) = g.pending.pop_front() {
                            publish(v, state);
                        }
                    }
                    g.durable = target;
                }
                Err(e) => {
                    g.failed = Some(format!("fsync of the log failed ({e})"));
                    g.pending.clear();
                }
            }
            self.synced.notify_all();
        }
    }

    /// Makes everything appended so far durable (and, under `Always`, published).
    fn sync_all(&self, version: u64, publish: &dyn Fn(u64, State)) -> Result<()> {
        match self.options.sync {
            SyncMode::Always => self.wait_durable(version, publish),
            SyncMode::Batch | SyncMode::Off => {
                let mut w = lock(&self.writer);
                if let Some(why) = &w.broken {
                    return Err(broken_error(why));
                }
                w.file.sync().map_err(|e| io_error("fsync of the log failed", e))?;
                w.last_sync = Instant::now();
                Ok(())
            }
        }
    }

    /// Whether enough log has accumulated for an automatic checkpoint.
    pub fn checkpoint_due(&self) -> bool {
        lock(&self.writer).since_checkpoint >= self.options.checkpoint_after
    }

    /// Takes a checkpoint. `commits` locks out committers and yields the newest logged
    /// state and version while held; `publish` makes queued commits visible.
    pub fn checkpoint<G>(
        &self,
        commits: impl FnOnce() -> (G, State, u64),
        publish: &dyn Fn(u64, State),
    ) -> Result<Checkpointed> {
        let _one = lock(&self.checkpointing);
        let started = Instant::now();
        let (state, version) = {
            let (guard, state, version) = commits();
            self.sync_all(version, publish)?;
            let mut w = lock(&self.writer);
            self.rotate(&mut w, version + 1)?;
            w.since_checkpoint = 0;
            drop(guard);
            (state, version)
        };
        let bytes = checkpoint::write(&*self.fs, &self.dir, &state, version)
            .map_err(|e| io_error("could not write the checkpoint", e))?;
        self.remove_old(version).map_err(|e| io_error("checkpoint written, but old files could not be removed", e))?;
        Ok(Checkpointed { version, bytes, elapsed: started.elapsed() })
    }

    /// Keeps the two newest checkpoints and the log from the older of them on.
    fn remove_old(&self, newest: u64) -> std::io::Result<()> {
        let names = self.fs.list(&self.dir)?;
        let mut checkpoints: Vec<u64> = names.iter().filter_map(|n| parse_checkpoint_name(n)).collect();
        checkpoints.sort_unstable_by(|a, b| b.cmp(a));
        let Some(&older) = checkpoints.iter().find(|&&c| c < newest) else { return Ok(()) };
        for &c in checkpoints.iter().filter(|&&c| c < older) {
            self.fs.remove(&self.dir.join(checkpoint_name(c)))?;
        }
        let mut segments: Vec<u64> = names.iter().filter_map(|n| parse_segment_name(n)).collect();
        segments.sort_unstable();
        for pair in segments.windows(2) {
            // A segment ends where the next begins; it is not needed when all of it is in
            // the older checkpoint.
            if pair[1] <= older + 1 {
                self.fs.remove(&self.dir.join(segment_name(pair[0])))?;
            }
        }
        self.fs.sync_dir(&self.dir)
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        if self.options.sync != SyncMode::Always {
            let w = lock(&self.writer);
            if w.broken.is_none() {
                // Best effort: a failure here loses nothing that was promised durable.
                let _ = w.file.sync();
            }
        }
    }
}

/// What a checkpoint wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpointed {
    pub version: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

/// Writes a fresh data directory holding `state` at `version`: what `BACKUP TO` does.
/// The directory must not exist or be empty.
pub fn write_backup(fs: &dyn Fs, dir: &Path, state: &State, version: u64) -> Result<u64> {
    let err = |e: std::io::Error| io_error(format_args!("cannot back up to {}", dir.display()), e);
    fs.create_dir_all(dir).map_err(err)?;
    if !fs.list(dir).map_err(err)?.is_empty() {
        return Err(ErrorKind::Io(format!("cannot back up to {}: the directory is not empty", dir.display())).into());
    }
    let bytes = checkpoint::write(fs, dir, state, version).map_err(err)?;
    let segment = fs.create(&dir.join(segment_name(version + 1))).map_err(err)?;
    segment.sync().map_err(err)?;
    fs.sync_dir(dir).map_err(err)?;
    Ok(bytes)
}
