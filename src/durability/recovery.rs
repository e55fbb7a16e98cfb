//! Opening a data directory: the newest checkpoint that reads back whole, then the log
//! records after it, in order (the recovery rule is in the module above).

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::checkpoint::{self, checkpoint_name, damaged_name, parse_checkpoint_name};
use super::fs::Fs;
use super::lock::DirLock;
use super::log::Log;
use super::wal::{self, parse_segment_name, segment_name};
use super::{io_error, Options};
use crate::error::{ErrorKind, Result};
use crate::storage::State;

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

/// Opens (creating when needed) a data directory and recovers its state.
pub(crate) fn open(dir: &Path, options: &Options, keep_history: usize) -> Result<Recovered> {
    let fs = options.fs.clone();
    if options.as_of.is_some() && fs.list(dir).is_err() {
        return Err(
            ErrorKind::Io(format!("cannot open {} as of a version: no such data directory", dir.display())).into()
        );
    }
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
        let loaded = fs.open_read(&path).map_err(|e| e.to_string()).and_then(checkpoint::load);
        match loaded {
            Ok((v, state)) if v == c => {
                base = Some((v, state));
                break;
            }
            Ok((v, _)) => report.notes.push(set_aside(&*fs, dir, c, read_only, &format!("it holds version {v}"))),
            Err(e) => report.notes.push(set_aside(&*fs, dir, c, read_only, &e)),
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
            let intact = intact_after(&*fs, dir, &bytes, offset, version, &later)?;
            if let (Some(first), Some(last), false) = (intact.first(), intact.last(), options.discard_after_damage) {
                return Err(ErrorKind::Io(format!(
                    "cannot open {dir}: the log is damaged at byte {offset} of {segment} (where version {next} \
                     should begin: {what}), and {count} acknowledged commit{s} after it (versions {first} to \
                     {last}) are intact. Nothing was changed. To open the database at version {version} without \
                     them, run `amberdb recover --data {dir} --discard-after-damage`, which keeps a copy of what \
                     it discards",
                    dir = dir.display(),
                    segment = segment_name(seg),
                    next = version + 1,
                    count = intact.len(),
                    s = if intact.len() == 1 { "" } else { "s" },
                ))
                .into());
            }
            if options.discard_after_damage {
                let kept = keep_discarded(&*fs, dir, seg, &bytes[offset..], &later)?;
                report.notes.push(format!("a copy of what was discarded is in {}", kept.display()));
            }
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
    let log = Log::new(dir, options, Arc::from(file), (segment_first, segment_bytes), version, dir_lock);
    Ok(Recovered { state, version, history, report, log: Some(log) })
}

/// Sets a checkpoint that cannot be used aside, renamed to `….damaged` so that no later
/// checkpoint counts on it or keeps it in place of a good one; the note for the report.
/// Opened read-only, nothing on disk is touched.
fn set_aside(fs: &dyn Fs, dir: &Path, version: u64, read_only: bool, why: &str) -> String {
    let name = checkpoint_name(version);
    if read_only {
        return format!("skipped damaged checkpoint {version} ({why})");
    }
    let damaged = damaged_name(version);
    match fs.rename(&dir.join(&name), &dir.join(&damaged)) {
        Ok(()) => format!("set damaged checkpoint {version} aside as {damaged} ({why})"),
        Err(e) => format!("skipped damaged checkpoint {version} ({why}); it could not be set aside: {e}"),
    }
}

/// The versions of the whole records that follow damage at `offset` of a segment: in the
/// rest of that segment (found by their header, version and checksum) and in the later
/// segments. Damage with nothing whole after it is a torn end of the log: a commit that
/// was never acknowledged. Damage followed by whole records is not.
fn intact_after(fs: &dyn Fs, dir: &Path, bytes: &[u8], offset: usize, version: u64, later: &[u64]) -> Result<Vec<u64>> {
    let mut versions = Vec::new();
    if let Some(at) = wal::next_record(bytes, offset + 1, version) {
        versions.extend(wal::read_segment(&bytes[at..]).0.iter().map(|r| r.version));
    }
    for &s in later {
        let p = dir.join(segment_name(s));
        let later_bytes = fs.read(&p).map_err(|e| io_error(format_args!("cannot read {}", p.display()), e))?;
        if let Some(at) = wal::next_record(&later_bytes, 0, version) {
            versions.extend(wal::read_segment(&later_bytes[at..]).0.iter().map(|r| r.version));
        }
    }
    Ok(versions)
}

/// Copies what recovery is about to discard — the damaged segment from the damage on,
/// and every later segment — into `discarded-<time>/` in the data directory, fsynced.
fn keep_discarded(fs: &dyn Fs, dir: &Path, segment: u64, tail: &[u8], later: &[u64]) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let folder = dir.join(format!("discarded-{stamp}"));
    let err = |e: std::io::Error| io_error(format_args!("cannot keep a copy in {}", folder.display()), e);
    fs.create_dir_all(&folder).map_err(err)?;
    let copy = |name: String, bytes: &[u8]| -> Result<()> {
        let file = fs.create(&folder.join(name)).map_err(err)?;
        file.write_all(bytes).map_err(err)?;
        file.sync().map_err(err)
    };
    copy(format!("{}.from-damage", segment_name(segment)), tail)?;
    for &s in later {
        let bytes = fs.read(&dir.join(segment_name(s))).map_err(err)?;
        copy(segment_name(s), &bytes)?;
    }
    fs.sync_dir(&folder).map_err(err)?;
    fs.sync_dir(dir).map_err(err)?;
    Ok(folder)
}
