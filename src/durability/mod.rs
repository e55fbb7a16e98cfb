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
//!
//! - [`options`] — sync modes and how a directory is used
//! - [`recovery`] — opening a directory: checkpoint, log replay, the report
//! - [`log`] — the open log: appends, group commit, rotation, checkpoints
//! - [`checkpoint`] — the checkpoint file format
//! - [`cluster`] — the cluster log: commits through a NATS JetStream stream
//! - [`wal`] — the log record format
//! - [`fs`] — the file-system trait (real, and with injected faults for tests)
//! - `lock` — the exclusive lock on a directory

pub mod checkpoint;
pub mod cluster;
pub mod fs;
mod lock;
mod log;
mod options;
mod recovery;
pub mod wal;

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, ErrorKind};

pub(crate) use log::Log;
pub use log::{write_backup, Checkpointed, LogSizes};
pub use options::{Options, SyncMode};
pub(crate) use recovery::open;
pub use recovery::RecoveryReport;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io_error(what: impl fmt::Display, e: impl fmt::Display) -> Error {
    ErrorKind::Io(format!("{what}: {e}")).into()
}
