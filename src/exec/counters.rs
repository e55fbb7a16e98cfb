//! What a session's writes did, as `last_insert_rowid()`, `changes()`,
//! `total_changes()` and `pg_backend_pid()` read it, and its client's settings, as
//! `current_setting()` and `pg_settings` read them.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a session's last writes did, for `last_insert_rowid()`, `changes()` and
/// `total_changes()`. A statement's inserts are noted as pending and count only once
/// it succeeds (a failed statement changes nothing, these included); rows a trigger
/// inserts are not noted, as in SQLite.
#[derive(Debug, Default)]
pub struct Counters {
    last_rowid: Cell<i64>,
    pending_rowid: Cell<Option<i64>>,
    changes: Cell<i64>,
    total: Cell<i64>,
    /// Rows changed by a statement that then stopped with an error (`OR FAIL`).
    stopped: Cell<Option<usize>>,
    /// The session's number, unique in its database (`pg_backend_pid()`).
    session: i64,
    /// Rows the session's statements have read from tables (shared with the reads
    /// streamed away from it).
    read: Arc<AtomicU64>,
    /// The client's session settings by name, lower case (what `SET` over the Postgres
    /// protocol set); none for a session of the shell or the library.
    settings: RefCell<Arc<Vec<(String, String)>>>,
}

impl Counters {
    /// The counters of the session numbered `session`.
    pub fn new(session: i64) -> Counters {
        Counters { session, ..Counters::default() }
    }

    /// A copy, for a statement that runs away from the session (a streamed read).
    pub fn snapshot(&self) -> Counters {
        Counters {
            last_rowid: Cell::new(self.last_rowid.get()),
            pending_rowid: Cell::new(None),
            changes: Cell::new(self.changes.get()),
            total: Cell::new(self.total.get()),
            stopped: Cell::new(None),
            session: self.session,
            read: self.read.clone(),
            settings: RefCell::new(self.settings.borrow().clone()),
        }
    }

    /// The client's session settings, replacing those before.
    pub fn set_settings(&self, settings: Vec<(String, String)>) {
        *self.settings.borrow_mut() = Arc::new(settings);
    }

    /// The client's session settings.
    pub fn settings(&self) -> Arc<Vec<(String, String)>> {
        self.settings.borrow().clone()
    }

    /// One of the client's session settings, by its name in any case.
    pub fn setting(&self, name: &str) -> Option<String> {
        self.settings.borrow().iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    }

    /// A scan looked at `n` rows.
    pub fn read(&self, n: u64) {
        self.read.fetch_add(n, Ordering::Relaxed);
    }

    /// The rows the session's statements have read from tables so far.
    pub fn rows_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The session's number.
    pub fn session_id(&self) -> i64 {
        self.session
    }

    /// The integer key of the last row inserted (this statement's so far, else an
    /// earlier one's); 0 before any.
    pub fn last_insert_rowid(&self) -> i64 {
        self.pending_rowid.get().unwrap_or(self.last_rowid.get())
    }

    /// The rows the last INSERT, UPDATE or DELETE changed.
    pub fn changes(&self) -> i64 {
        self.changes.get()
    }

    /// The rows every INSERT, UPDATE and DELETE of the session changed.
    pub fn total_changes(&self) -> i64 {
        self.total.get()
    }

    pub fn inserted(&self, rowid: i64) {
        self.pending_rowid.set(Some(rowid));
    }

    /// A statement finished: `changed` is how many rows it changed when it was a write.
    pub fn finished(&self, changed: Option<usize>) {
        if let Some(rowid) = self.pending_rowid.take() {
            self.last_rowid.set(rowid);
        }
        if let Some(n) = changed {
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            self.changes.set(n);
            self.total.set(self.total.get().saturating_add(n));
        }
    }

    /// A write stopped by `OR FAIL` after changing `n` rows, which stay changed.
    pub fn stopped(&self, n: usize) {
        self.stopped.set(Some(n));
    }

    /// A statement failed: what it noted is forgotten, and a failed write changed no
    /// rows (but those an `OR FAIL` kept).
    pub fn failed(&self, write: bool) {
        if let Some(n) = self.stopped.take() {
            return self.finished(Some(n));
        }
        self.pending_rowid.set(None);
        if write {
            self.changes.set(0);
        }
    }
}
