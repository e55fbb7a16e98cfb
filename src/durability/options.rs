//! How a data directory is used: when the log is fsynced, when checkpoints are taken.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::fs::{Fs, RealFs};

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

pub(super) const BATCH_INTERVAL: Duration = Duration::from_millis(100);

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
    /// Opens a log damaged in the middle by cutting it at the damage (a copy of what is
    /// cut is kept in the directory); without it such a log is refused.
    pub discard_after_damage: bool,
    /// How many of the versions replayed from the log stay readable (`AS OF`) after
    /// opening: the retention's count, or all of them (`usize::MAX`) when versions are
    /// kept by age, which trims them once the database is open.
    pub keep_versions: usize,
    pub fs: Arc<dyn Fs>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sync: SyncMode::Always,
            checkpoint_after: 64 << 20,
            segment_size: 16 << 20,
            as_of: None,
            discard_after_damage: false,
            // `txn::DEFAULT_HISTORY`, the retention a database starts with.
            keep_versions: 100,
            fs: Arc::new(RealFs),
        }
    }
}
