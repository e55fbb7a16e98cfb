//! The open log of a data directory: appends under the commit lock, group commit,
//! segment rotation and checkpoints (the commit rule is in the module above).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::checkpoint::{self, checkpoint_name, damaged_name, parse_checkpoint_name};
use super::fs::{FileHandle, Fs};
use super::lock::DirLock;
use super::options::BATCH_INTERVAL;
use super::wal::{self, parse_segment_name, segment_name};
use super::{io_error, lock, Options, SyncMode};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{Logged, State};

struct Writer {
    file: Arc<dyn FileHandle>,
    segment_first: u64,
    segment_bytes: u64,
    since_checkpoint: u64,
    /// Every byte appended since the log was opened.
    appended: u64,
    /// When the last checkpoint finished (or the log was opened).
    checkpointed_at: Instant,
    /// fsyncs of the log, and checkpoints written, since the log was opened.
    fsyncs: u64,
    checkpoints: u64,
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
    /// The log of a directory just recovered: appends go to the segment that begins at
    /// `segment.0` and already holds `segment.1` bytes; `durable` is the last version in it.
    pub(super) fn new(
        dir: &Path,
        options: &Options,
        file: Arc<dyn FileHandle>,
        segment: (u64, u64),
        durable: u64,
        lock: DirLock,
    ) -> Log {
        Log {
            dir: dir.to_path_buf(),
            fs: options.fs.clone(),
            options: options.clone(),
            writer: Mutex::new(Writer {
                file,
                segment_first: segment.0,
                segment_bytes: segment.1,
                since_checkpoint: 0,
                appended: 0,
                checkpointed_at: Instant::now(),
                fsyncs: 0,
                checkpoints: 0,
                last_sync: Instant::now(),
                broken: None,
            }),
            group: Mutex::new(Group { pending: VecDeque::new(), durable, syncing: false, failed: None }),
            synced: Condvar::new(),
            checkpointing: Mutex::new(()),
            _lock: lock,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn sync_mode(&self) -> SyncMode {
        self.options.sync
    }

    /// Appends one commit's record; under `Batch` also fsyncs when one is due. The caller
    /// holds the commit lock. On error nothing of the commit is acknowledged.
    pub fn append<'a>(&self, version: u64, writes: impl Into<Logged<'a>>) -> Result<()> {
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
            // Best effort: take back what part of the record reached the file, so that
            // no torn record stays inside the log should a later segment follow it.
            let _ = self.fs.truncate(&self.dir.join(segment_name(w.segment_first)), w.segment_bytes);
            return Err(ErrorKind::Io(format!("could not commit: {why}")).into());
        }
        w.segment_bytes += record.len() as u64;
        w.since_checkpoint += record.len() as u64;
        w.appended += record.len() as u64;
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
            w.fsyncs += 1;
        }
        Ok(())
    }

    /// Closes the current segment (fsynced) and begins `wal-<first>.log`.
    fn rotate(&self, w: &mut Writer, first: u64) -> Result<()> {
        if w.segment_bytes == 0 {
            return Ok(());
        }
        w.file.sync().map_err(|e| io_error("fsync of the log failed", e))?;
        w.fsyncs += 1;
        let path = self.dir.join(segment_name(first));
        let file = self.fs.append(&path).map_err(|e| io_error(format_args!("cannot create {}", path.display()), e))?;
        self.fs.sync_dir(&self.dir).map_err(|e| io_error("fsync of the data directory failed", e))?;
        w.file = Arc::from(file);
        w.segment_first = first;
        w.segment_bytes = 0;
        Ok(())
    }

    /// The database jumped to `version` from elsewhere (a cluster's published
    /// checkpoint), with nothing of it in this log: the checkpoint that follows makes it
    /// durable, and nothing before it is waited for.
    pub fn jump_to(&self, version: u64) {
        let mut g = lock(&self.group);
        g.durable = g.durable.max(version);
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
            match &result {
                Ok(()) => lock(&self.writer).fsyncs += 1,
                Err(e) => lock(&self.writer).broken = Some(format!("fsync of the log failed ({e})")),
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
                w.fsyncs += 1;
                Ok(())
            }
        }
    }

    /// What the log has done since it was opened.
    pub fn sizes(&self) -> LogSizes {
        let w = lock(&self.writer);
        LogSizes {
            appended: w.appended,
            since_checkpoint: w.since_checkpoint,
            checkpoint_age: w.checkpointed_at.elapsed(),
            fsyncs: w.fsyncs,
            checkpoints: w.checkpoints,
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
            // After a failed write or fsync the log is not to be trusted, under every
            // sync mode: no checkpoint (and no new segment) until the database is reopened.
            if let Some(why) = &lock(&self.writer).broken {
                return Err(broken_error(why));
            }
            self.sync_all(version, publish)?;
            let mut w = lock(&self.writer);
            self.rotate(&mut w, version + 1)?;
            w.since_checkpoint = 0;
            drop(guard);
            (state, version)
        };
        let bytes = checkpoint::write(&*self.fs, &self.dir, &state, version)
            .map_err(|e| io_error("could not write the checkpoint", e))?;
        {
            let mut w = lock(&self.writer);
            w.checkpointed_at = Instant::now();
            w.checkpoints += 1;
        }
        self.remove_old(version).map_err(|e| io_error("checkpoint written, but old files could not be removed", e))?;
        Ok(Checkpointed { version, bytes, elapsed: started.elapsed() })
    }

    /// Keeps the newest checkpoint, the newest older one that reads back whole (its
    /// fallback), and the log from the fallback on. An older checkpoint found damaged is
    /// set aside (renamed `….damaged`), never kept in place of a good one; with no good
    /// fallback nothing is removed.
    fn remove_old(&self, newest: u64) -> std::io::Result<()> {
        let names = self.fs.list(&self.dir)?;
        let mut checkpoints: Vec<u64> = names.iter().filter_map(|n| parse_checkpoint_name(n)).collect();
        checkpoints.sort_unstable_by(|a, b| b.cmp(a));
        let mut older = None;
        for &c in checkpoints.iter().filter(|&&c| c < newest) {
            let path = self.dir.join(checkpoint_name(c));
            match self.fs.open_read(&path).map_err(|e| e.to_string()).and_then(checkpoint::verify_stream) {
                Ok(v) if v == c => {
                    older = Some(c);
                    break;
                }
                _ => self.fs.rename(&path, &self.dir.join(damaged_name(c)))?,
            }
        }
        let Some(older) = older else { return Ok(()) };
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

/// What [`Log::sizes`] reports.
#[derive(Clone, Copy, Debug)]
pub struct LogSizes {
    /// Bytes appended since the log was opened, and since the last checkpoint.
    pub appended: u64,
    pub since_checkpoint: u64,
    /// How long ago the last checkpoint (or the opening) was.
    pub checkpoint_age: Duration,
    pub fsyncs: u64,
    pub checkpoints: u64,
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
