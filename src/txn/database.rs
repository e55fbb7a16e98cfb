//! The shared database handle: the committed head, the history of recent versions, the
//! named snapshots, the commit lock and the plan cache.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use super::monitor::{Counter, Monitor, ShapeStats};
use super::session::Session;
use crate::durability::{self, Checkpointed, Log, Options, RecoveryReport};
use crate::error::{closest, Error, ErrorKind, Result};
use crate::sql::plan::Plan;
use crate::sql::{parser, planner};
use crate::storage::lru::Lru;
use crate::storage::state::MAIN;
use crate::storage::time::now_micros;
use crate::storage::time::{Clock, SystemClock};
use crate::storage::{AsOf, Change, CommitInfo, History, Joined, Logged, State, WriteOp, WriteSet};

/// A committed state and its version.
#[derive(Clone)]
pub(crate) struct Head {
    pub state: State,
    pub version: u64,
}

/// A cached plan: the schema id it was planned against, the plan, and its shape's
/// figures.
type Cached = (u64, Arc<Plan>, Arc<ShapeStats>);

/// The bytes the plan cache may hold (by its estimate), least recently used out first.
const PLAN_CACHE_BYTES: usize = 32 << 20;

/// What a cached plan is counted as: its key's bytes and an estimate of the plan's,
/// which grows with the statement's text (a plan holds every literal and expression of
/// it, a few times the text's size).
pub(crate) fn plan_bytes(sql: &str) -> usize {
    1024 + 9 * sql.len()
}

/// How many committed versions are kept for `AS OF VERSION` unless set otherwise.
///
/// Each kept version holds what it does not share with the next: for a load that
/// appends, its last page and the path to it, about 12 KB. A thousand versions of a
/// bulk load held 12 MB, a quarter of the data; a hundred hold a tenth of that. Named
/// snapshots keep a version for as long as it is wanted, and a data directory opens
/// any logged version with `--as-of`.
pub const DEFAULT_HISTORY: usize = 100;

/// A named, pinned state.
#[derive(Clone)]
struct Snapshot {
    version: u64,
    created: i64,
    state: State,
}

/// What `.snapshots` lists.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotInfo {
    pub name: String,
    pub version: u64,
    /// Microseconds since the epoch.
    pub created: i64,
    pub rows: usize,
}

/// What [`Database::stats`] reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// The newest committed version.
    pub version: u64,
    /// Commits made visible since the database was opened.
    pub commits: u64,
    /// Transactions refused at COMMIT because another commit changed what they wrote.
    pub conflicts: u64,
    /// With a data directory: log bytes written since it was opened, and since the
    /// last checkpoint; and how long ago that checkpoint was (or the opening).
    pub log_bytes: Option<u64>,
    pub log_bytes_since_checkpoint: Option<u64>,
    pub since_checkpoint: Option<std::time::Duration>,
}

pub(super) struct Inner {
    /// The newest state readers see: committed, and durable when there is a log.
    head: RwLock<Head>,
    /// The head's version, readable without the lock: a session that kept the state
    /// of this version reads it again without taking the lock or counting a reference.
    head_version: AtomicU64,
    /// Sessions opened so far: the next one's number.
    sessions: AtomicU64,
    /// Counters, statement shapes' figures and slow statements.
    monitor: Monitor,
    limits: Limits,
    /// The commit lock, holding the newest logged state. It runs ahead of `head` while
    /// commits wait for their fsync.
    commit: Mutex<Head>,
    /// The data directory's log; `None` in memory or when read-only.
    pub(super) log: Option<Log>,
    /// Why writes are refused (`--as-of`), if they are.
    pub(super) read_only: Option<String>,
    recovery: Option<RecoveryReport>,
    /// Recent committed states, oldest first; the last one is the head.
    pub(super) history: Mutex<VecDeque<Head>>,
    history_limit: AtomicUsize,
    /// Versions kept by age instead (microseconds; 0: by count).
    history_age: AtomicI64,
    /// The longest string or blob a statement may build.
    max_length: AtomicUsize,
    max_cte_rows: AtomicUsize,
    snapshots: Mutex<BTreeMap<String, Snapshot>>,
    /// Plans by statement text, each with the schema id it was planned against and
    /// its shape's figures.
    plans: Mutex<Lru<String, Cached>>,
    /// Triggers planned for the schema they were planned against.
    triggers: crate::exec::trigger::TriggerCache,
    /// Incremental materialized views compiled for the schema they were compiled against.
    views: super::views::ViewCache,
    /// Where statements read the time: `now()`, message times, row expiry.
    clock: RwLock<Arc<dyn Clock>>,
    /// The cluster this database is a node of, if any.
    pub(super) cluster: super::cluster::Link,
}

/// The memory limit, and the memory counted at the last check (plus what commits
/// added since, by estimate); 0 for none.
#[derive(Default)]
pub(crate) struct Limits {
    pub memory: AtomicU64,
    pub counted: AtomicU64,
}

/// A background thread that removes expired rows until dropped.
pub struct Sweeper {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shared handle to one database. Cheap to clone; safe to share between threads.
///
/// ```
/// use amberdb::{Database, Value};
/// let db = Database::open_in_memory();
/// let mut s = db.session();
/// s.execute("CREATE TABLE t (n INTEGER)", &[]).unwrap();
/// s.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
/// let v = db.version();
/// s.execute("UPDATE t SET n = 2", &[]).unwrap();
/// let then = s.query(&format!("SELECT n FROM t AS OF VERSION {v}"), &[]).unwrap();
/// assert_eq!(then.rows, vec![vec![Value::Integer(1)]]);
/// ```
#[derive(Clone)]
pub struct Database {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("version", &self.version()).field("data_dir", &self.data_dir()).finish()
    }
}

impl Database {
    /// Makes statements read the time from `clock` (tests move a `ManualClock`).
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        *self.inner.clock.write().unwrap_or_else(PoisonError::into_inner) = clock;
    }

    /// The time now, by the database's clock (microseconds since the epoch).
    pub fn now(&self) -> i64 {
        self.inner.clock.read().unwrap_or_else(PoisonError::into_inner).now()
    }

    /// Removes the rows that have expired, as one ordinary commit; returns how many. The
    /// cost follows the number of expired rows (each table keeps them ordered by time).
    pub fn sweep_expired(&self) -> Result<usize> {
        if self.inner.read_only.is_some() {
            return Ok(0);
        }
        let guard = self.lock_commits();
        let now = self.now();
        let mut ops = Vec::new();
        for t in guard.state.tables().filter(|t| t.has_expired(now)) {
            let table: Arc<str> = t.name().to_ascii_lowercase().into();
            for key in t.expired_keys(now) {
                ops.push(WriteOp::Row { table: table.clone(), key, change: Change::Delete });
            }
        }
        if ops.is_empty() {
            return Ok(0);
        }
        let count = ops.len();
        let writes = WriteSet { ops };
        let next = guard.state.applied(&writes)?;
        self.publish(guard, next, Joined::one(&writes), None)?;
        self.inner.monitor.add(Counter::TtlExpired, count as u64);
        Ok(count)
    }

    /// Starts a thread that sweeps expired rows every `every` until the returned handle
    /// is dropped. Expired rows are invisible to reads before any sweep; sweeping only
    /// frees their memory.
    pub fn start_sweeper(&self, every: std::time::Duration) -> Sweeper {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (db, flag) = (self.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let tick = std::time::Duration::from_millis(20).min(every);
            let mut waited = std::time::Duration::ZERO;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                waited += tick;
                if waited >= every {
                    waited = std::time::Duration::ZERO;
                    // A failed sweep (a failing disk) is tried again at the next tick;
                    // the rows stay invisible meanwhile.
                    let _ = db.sweep_expired();
                }
            }
        });
        Sweeper { stop, thread: Some(thread) }
    }

    /// A new, empty database held in memory only.
    pub fn open_in_memory() -> Database {
        crate::exec::index_exprs::register();
        let head = Head { state: State::new(), version: 0 };
        Database::build(head, VecDeque::new(), None, None, None)
    }

    fn build(
        head: Head,
        history: VecDeque<Head>,
        log: Option<Log>,
        read_only: Option<String>,
        recovery: Option<RecoveryReport>,
    ) -> Database {
        let history = if history.is_empty() { VecDeque::from([head.clone()]) } else { history };
        Database {
            inner: Arc::new(Inner {
                history: Mutex::new(history),
                commit: Mutex::new(head.clone()),
                head_version: AtomicU64::new(head.version),
                sessions: AtomicU64::new(0),
                monitor: Monitor::new(),
                limits: Limits::default(),
                head: RwLock::new(head),
                log,
                read_only,
                recovery,
                history_limit: AtomicUsize::new(DEFAULT_HISTORY),
                history_age: AtomicI64::new(0),
                max_length: AtomicUsize::new(crate::exec::MAX_LENGTH),
                max_cte_rows: AtomicUsize::new(crate::exec::MAX_CTE_ROWS),
                snapshots: Mutex::new(BTreeMap::new()),
                plans: Mutex::new(Lru::new(PLAN_CACHE_BYTES)),
                triggers: Default::default(),
                views: Default::default(),
                clock: RwLock::new(Arc::new(SystemClock)),
                cluster: Default::default(),
            }),
        }
    }

    /// Opens the database in a data directory (creating it when needed), recovering its
    /// newest checkpoint and log, and holds the directory's lock until the last handle is
    /// dropped. Commits are fsynced before they are acknowledged.
    ///
    /// ```
    /// use amberdb::Database;
    /// let dir = std::env::temp_dir().join(format!("amber-doc-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let db = Database::open(&dir).unwrap();
    /// db.session().execute("CREATE TABLE t (n INTEGER)", &[]).unwrap();
    /// db.session().execute("INSERT INTO t VALUES (42)", &[]).unwrap();
    /// drop(db);
    /// let db = Database::open(&dir).unwrap();
    /// assert_eq!(db.session().query("SELECT n FROM t", &[]).unwrap().get::<i64>(0, "n").unwrap(), 42);
    /// # drop(db); std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn open(dir: impl AsRef<Path>) -> Result<Database> {
        Database::open_with(dir, Options::default())
    }

    /// [`Database::open`] with a sync mode, checkpoint size, file system or `as_of`
    /// version (which opens read-only, as the database was then).
    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<Database> {
        crate::exec::index_exprs::register();
        let dir = dir.as_ref();
        let recovered = durability::open(dir, &options, options.keep_versions)?;
        let mut state = recovered.state;
        state.seal_messages();
        let head = Head { state, version: recovered.version };
        let history = recovered.history.into_iter().map(|(version, state)| Head { state, version }).collect();
        let read_only = options
            .as_of
            .map(|v| format!("the database is open read-only as of version {v}; open it without --as-of to write"));
        if read_only.is_none() {
            super::archives::finish_pending(&head.state);
        }
        Ok(Database::build(head, history, recovered.log, read_only, Some(recovered.report)))
    }

    /// What opening the data directory recovered; `None` in memory.
    pub fn recovery_report(&self) -> Option<&RecoveryReport> {
        self.inner.recovery.as_ref()
    }

    /// Whether a commit waits for an fsync before it is acknowledged (a data directory
    /// with `--sync always`).
    pub fn commits_wait_for_fsync(&self) -> bool {
        self.inner.log.as_ref().is_some_and(|l| l.sync_mode() == durability::SyncMode::Always)
    }

    /// The data directory, when the database has a log.
    pub fn data_dir(&self) -> Option<&Path> {
        self.inner.log.as_ref().map(Log::dir)
    }

    /// Writes a checkpoint of the newest state to the data directory and removes the log
    /// it makes unnecessary (`CHECKPOINT`).
    pub fn checkpoint(&self) -> Result<Checkpointed> {
        let log =
            self.inner.log.as_ref().ok_or_else(|| {
                Error::invalid("CHECKPOINT needs a data directory: open the database with --data DIR")
            })?;
        log.checkpoint(
            || {
                let guard = self.lock_commits();
                let (state, version) = (guard.state.clone(), guard.version);
                (guard, state, version)
            },
            &|v, s| self.set_head(v, s),
        )
    }

    /// Writes a consistent copy of the newest committed state to `dir` as a data
    /// directory (`BACKUP TO`); opening that directory restores it. Returns the version
    /// copied.
    pub fn backup(&self, dir: impl AsRef<Path>) -> Result<u64> {
        if dir.as_ref().as_os_str().is_empty() {
            return Err(Error::invalid("BACKUP TO needs the name of a new directory"));
        }
        let head = self.head();
        let fs = durability::fs::RealFs;
        durability::write_backup(&fs, dir.as_ref(), &head.state, head.version)?;
        Ok(head.version)
    }

    /// A new session (a connection) on this database.
    pub fn session(&self) -> Session {
        let number = self.inner.sessions.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Session::new(self.clone(), i64::try_from(number).unwrap_or(i64::MAX))
    }

    /// The committed state as of now. O(1): the state is shared, not copied.
    pub fn state(&self) -> State {
        self.head().state
    }

    /// The version of the newest commit (0 for a new database).
    pub fn version(&self) -> u64 {
        self.head().version
    }

    /// Sets the longest string or blob, in bytes, that a function or operator may build
    /// (`replace`, `||`, `group_concat`, `hex`); past it a statement fails with "string
    /// or blob too big". The default is SQLite's, 1,000,000,000; it cannot be raised
    /// above that.
    pub fn set_max_length(&self, bytes: usize) {
        self.inner.max_length.store(bytes.min(crate::exec::MAX_LENGTH), Ordering::Relaxed);
    }

    /// Caps the rows one recursive CTE may make (10 million unless set): a recursion
    /// past it fails with an error instead of using up memory.
    pub fn set_max_cte_rows(&self, rows: usize) {
        self.inner.max_cte_rows.store(rows, Ordering::Relaxed);
    }

    /// The most rows one recursive CTE may make (see [`Database::set_max_cte_rows`]).
    pub fn max_cte_rows(&self) -> usize {
        self.inner.max_cte_rows.load(Ordering::Relaxed)
    }

    /// The longest string or blob a statement may build (see [`Database::set_max_length`]).
    pub fn max_length(&self) -> usize {
        self.inner.max_length.load(Ordering::Relaxed)
    }

    /// Keeps the newest `versions` committed versions (at least 1) readable with
    /// `AS OF VERSION`.
    pub fn set_history_limit(&self, versions: usize) {
        self.inner.history_age.store(0, Ordering::Relaxed);
        self.inner.history_limit.store(versions.max(1), Ordering::Relaxed);
        self.trim_history();
    }

    /// Runs `f` in a transaction on a new session and commits it, starting again from the
    /// newest state when the commit conflicts with another (up to `attempts` times).
    ///
    /// ```
    /// use amberdb::{Database, Value};
    /// let db = Database::open_in_memory();
    /// db.session().execute("CREATE TABLE c (n INTEGER)", &[]).unwrap();
    /// db.session().execute("INSERT INTO c VALUES (0)", &[]).unwrap();
    /// db.transaction(10, |tx| {
    ///     tx.execute("UPDATE c SET n = n + 1", &[])?;
    ///     Ok(())
    /// })
    /// .unwrap();
    /// assert_eq!(db.session().query("SELECT n FROM c", &[]).unwrap().rows[0][0], Value::Integer(1));
    /// ```
    pub fn transaction<T>(&self, attempts: usize, mut f: impl FnMut(&mut Session) -> Result<T>) -> Result<T> {
        let mut session = self.session();
        let mut last = None;
        for _ in 0..attempts.max(1) {
            session.execute("BEGIN", &[])?;
            let result = f(&mut session).and_then(|v| session.execute("COMMIT", &[]).map(|_| v));
            match result {
                Ok(v) => return Ok(v),
                Err(e) if matches!(e.kind(), ErrorKind::Conflict(_)) => last = Some(e),
                Err(e) => {
                    if session.in_transaction() {
                        session.execute("ROLLBACK", &[])?;
                    }
                    return Err(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| ErrorKind::Transaction("the transaction was not attempted".into()).into()))
    }

    /// The named snapshots, by name.
    pub fn snapshots(&self) -> Vec<SnapshotInfo> {
        lock(&self.inner.snapshots)
            .iter()
            .map(|(name, s)| SnapshotInfo {
                name: name.clone(),
                version: s.version,
                created: s.created,
                rows: s.state.tables().map(|t| t.rows.len()).sum(),
            })
            .collect()
    }

    pub(crate) fn create_snapshot(&self, name: &str) -> Result<()> {
        let head = self.head();
        let mut snaps = lock(&self.inner.snapshots);
        if snaps.contains_key(name) {
            return Err(Error::invalid(format!("snapshot {name} already exists")));
        }
        snaps.insert(name.to_string(), Snapshot { version: head.version, created: now_micros(), state: head.state });
        Ok(())
    }

    pub(crate) fn drop_snapshot(&self, name: &str, if_exists: bool) -> Result<()> {
        let removed = lock(&self.inner.snapshots).remove(name);
        match removed {
            Some(_) => Ok(()),
            None if if_exists => Ok(()),
            None => Err(self.no_such_snapshot(name)),
        }
    }

    fn no_such_snapshot(&self, name: &str) -> Error {
        let snaps = lock(&self.inner.snapshots);
        let suggestion = closest(name, snaps.keys().map(String::as_str));
        let hint = suggestion.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
        ErrorKind::NoSuchVersion(format!("no such snapshot: {name}{hint}")).into()
    }

    pub(crate) fn head(&self) -> Head {
        self.inner.head.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The head's version (a newer head may be on its way).
    pub(crate) fn head_version(&self) -> u64 {
        self.inner.head_version.load(Ordering::Acquire)
    }

    /// Holds the commit lock: at most one writer commits at a time. The guard holds the
    /// newest committed (logged) state, which new writes build on.
    pub(crate) fn lock_commits(&self) -> MutexGuard<'_, Head> {
        lock(&self.inner.commit)
    }

    /// Commits `state`, reached from the guard's state by `writes`: logs it when there is
    /// a data directory, makes it visible, and returns its version. Under `--sync
    /// always` it returns once the log is fsynced; other commits can begin meanwhile.
    ///
    /// The new state records the commit: when (never before the commit it follows),
    /// by whom (`label`), and the rows it changed in each table.
    pub(crate) fn publish(
        &self,
        mut guard: MutexGuard<'_, Head>,
        mut state: State,
        writes: Joined,
        label: Option<&str>,
    ) -> Result<u64> {
        if let Some(why) = &self.inner.read_only {
            return Err(ErrorKind::ReadOnly(why.clone()).into());
        }
        let version = guard.version + 1;
        self.check_memory(&state, version, writes.ops())?;
        let after = guard.state.commit().map_or(i64::MIN, |c| c.at);
        let info = CommitInfo::of(self.now().max(after), label, writes.ops());
        // Projections write their tables first; views then follow every change, theirs too.
        let mut journal = super::projections::apply(self, &mut state, writes)?;
        let views = if journal.is_empty() {
            super::views::maintain(&self.inner.views, &guard.state, &mut state, writes)?
        } else {
            let mut all: Vec<WriteSet> = writes.0.to_vec();
            all.push(WriteSet { ops: journal.clone() });
            super::views::maintain(&self.inner.views, &guard.state, &mut state, Joined(&all))?
        };
        journal.extend(views);
        journal.extend(super::journal::journal_ops(&guard.state, &mut state, writes, version, &info)?);
        let mark = WriteOp::Commit(Arc::new(info));
        state.apply(&mark)?;
        state.seal_messages();
        let cluster = self.cluster().cloned();
        if let Some(c) = &cluster {
            guard = self.send_to_cluster(c, guard, Logged { writes, journal: &journal, mark: Some(&mark) })?;
        }
        let log = self.inner.log.as_ref();
        self.make_head(log, guard, version, &state, Logged { writes, journal: &journal, mark: Some(&mark) })?;
        super::archives::name_recorded(writes, &state);
        if let Some(c) = &cluster {
            self.cluster_checkpoint(c, version, &state);
        }
        if log.is_some_and(Log::checkpoint_due) {
            // The commit is durable already; a failed automatic checkpoint leaves the log
            // as it is, to be tried again at the next one.
            let _ = self.checkpoint();
        }
        Ok(version)
    }

    /// Makes a commit the head; with a log, appends it first, and under `--sync always`
    /// publishes it once an fsync covers it, with the commit lock released meanwhile
    /// (group commit).
    pub(super) fn make_head(
        &self,
        log: Option<&Log>,
        mut guard: MutexGuard<'_, Head>,
        version: u64,
        state: &State,
        logged: Logged<'_>,
    ) -> Result<()> {
        let Some(log) = log else {
            *guard = Head { state: state.clone(), version };
            self.set_head(version, state.clone());
            return Ok(());
        };
        log.append(version, logged)?;
        *guard = Head { state: state.clone(), version };
        if log.sync_mode() == durability::SyncMode::Always {
            log.enqueue(version, state.clone());
            drop(guard);
            log.wait_durable(version, &|v, s| self.set_head(v, s))
        } else {
            self.set_head(version, state.clone());
            Ok(())
        }
    }

    /// Counts a statement that failed before it ran (it did not parse or plan).
    pub(crate) fn count_failed(&self) {
        self.inner.monitor.add(Counter::Failed, 1);
    }

    /// Counts a transaction refused at COMMIT because another commit came first.
    pub(crate) fn count_conflict(&self) {
        self.inner.monitor.add(Counter::Conflicts, 1);
    }

    /// Counters for monitoring: commits, conflicts, the log's sizes.
    pub fn stats(&self) -> Stats {
        let log = self.inner.log.as_ref().map(|l| l.sizes());
        Stats {
            version: self.version(),
            commits: self.inner.monitor.get(Counter::Commits),
            conflicts: self.inner.monitor.get(Counter::Conflicts),
            log_bytes: log.map(|l| l.appended),
            log_bytes_since_checkpoint: log.map(|l| l.since_checkpoint),
            since_checkpoint: log.map(|l| l.checkpoint_age),
        }
    }

    /// Makes a committed version the head readers see, and keeps it for `AS OF`.
    pub(super) fn set_head(&self, version: u64, state: State) {
        self.inner.monitor.add(Counter::Commits, 1);
        let head = Head { state, version };
        {
            let mut current = self.inner.head.write().unwrap_or_else(PoisonError::into_inner);
            *current = head.clone();
            self.inner.head_version.store(version, Ordering::Release);
        }
        let mut history = lock(&self.inner.history);
        history.push_back(head);
        self.trim_history_of(&mut history);
    }

    /// The plan for `sql` against the schemas of `state`, from the cache when it holds
    /// one planned against the same schemas.
    /// A session in another namespace than `main` caches its plans under the
    /// namespace too, since the same text names other tables there.
    pub(crate) fn trigger_cache(&self) -> &crate::exec::trigger::TriggerCache {
        &self.inner.triggers
    }

    /// The plan comes with the figures of its statement's shape, which each run of it
    /// adds to.
    pub(crate) fn plan(&self, sql: &str, state: &State, namespace: &str) -> Result<(Arc<Plan>, Arc<ShapeStats>)> {
        let schema_id = state.schema_id();
        let key: std::borrow::Cow<str> =
            if namespace == MAIN { sql.into() } else { format!("{namespace}\u{0}{sql}").into() };
        if let Some((id, plan, shape)) = lock(&self.inner.plans).get(&*key) {
            if *id == schema_id {
                self.inner.monitor.add(Counter::PlanHits, 1);
                return Ok((plan.clone(), shape.clone()));
            }
        }
        self.inner.monitor.add(Counter::PlanMisses, 1);
        let mut stmt = parser::parse(sql)?;
        crate::sql::namespace::resolve(&mut stmt, namespace, state)?;
        let plan = Arc::new(planner::plan(&stmt, state, self)?);
        let shape = self.inner.monitor.shape(sql, &plan);
        if plan.cacheable() {
            let bytes = plan_bytes(&key);
            lock(&self.inner.plans).insert(key.into_owned(), (schema_id, plan.clone(), shape.clone()), bytes);
        }
        Ok((plan, shape))
    }

    /// The database's counters and statement figures.
    pub(crate) fn monitor(&self) -> &Monitor {
        &self.inner.monitor
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub(crate) fn log(&self) -> Option<&Log> {
        self.inner.log.as_ref()
    }

    /// The plan cache's estimate of the bytes it holds.
    pub(crate) fn plan_cache_bytes(&self) -> usize {
        lock(&self.inner.plans).bytes()
    }

    /// How many versions are kept for `AS OF VERSION`.
    pub fn history_limit(&self) -> usize {
        self.inner.history_limit.load(Ordering::Relaxed)
    }

    /// The named snapshots' states.
    pub(crate) fn pinned(&self) -> Vec<(String, Head)> {
        let snaps = lock(&self.inner.snapshots);
        snaps.iter().map(|(n, s)| (n.clone(), Head { state: s.state.clone(), version: s.version })).collect()
    }

    /// The versions kept for `AS OF VERSION`, oldest first (the head last).
    pub(crate) fn kept_versions(&self) -> Vec<Head> {
        lock(&self.inner.history).iter().cloned().collect()
    }

    /// The newest kept version committed at or before `at`. The state before the
    /// first commit answers for any earlier time; a version whose time is unknown
    /// (loaded from a checkpoint) for a time after it and before the next known one.
    pub(crate) fn state_at_time(&self, at: i64) -> Result<Head> {
        let history = lock(&self.inner.history);
        let after = history.partition_point(|h| h.state.commit().is_none_or(|c| c.at <= at));
        match after.checked_sub(1).map(|i| &history[i]) {
            Some(found) => Ok(found.clone()),
            None => {
                let first = history.iter().find_map(|h| h.state.commit().map(|c| c.at));
                let oldest = history.front().map_or(0, |h| h.version);
                let when = first.map_or("unknown".into(), crate::storage::time::format_timestamp);
                Err(ErrorKind::NoSuchVersion(format!(
                    "no kept version was committed by {}: the oldest kept is version {oldest} (committed {when})",
                    crate::storage::time::format_timestamp(at)
                ))
                .into())
            }
        }
    }

    /// Lets go of the versions the retention no longer covers.
    pub(crate) fn trim_history(&self) {
        self.trim_history_of(&mut lock(&self.inner.history));
    }

    /// Where the age versions are kept by is set (microseconds; 0: kept by count).
    pub(crate) fn history_age(&self) -> &AtomicI64 {
        &self.inner.history_age
    }

    /// Lets go of every kept version but the newest (the memory limit's first resort).
    pub(crate) fn release_versions(&self) {
        trim(&mut lock(&self.inner.history), 1);
    }
}

fn trim(history: &mut VecDeque<Head>, limit: usize) {
    while history.len() > limit {
        history.pop_front();
    }
}

impl History for Database {
    fn report(&self, name: &str) -> Result<Vec<Vec<crate::storage::Value>>> {
        self.report_rows(name)
    }

    fn check_growth(&self, bytes: u64) -> Result<()> {
        self.check_statement_growth(bytes)
    }

    fn changes(&self, table: &str, key: Option<&crate::storage::Value>) -> Result<Vec<Vec<crate::storage::Value>>> {
        self.changes_of(table, key)
    }

    fn versions_in(&self, from: i64, to: i64, through: bool) -> Result<Vec<u64>> {
        let history = lock(&self.inner.history);
        let at = |h: &Head| h.state.commit().map(|c| c.at);
        let start = history.partition_point(|h| at(h).is_none_or(|t| t <= from));
        let first = start.checked_sub(1).map(|i| history[i].version);
        let within = history.iter().skip(start).take_while(|h| at(h).is_some_and(|t| t < to || (through && t == to)));
        Ok(first.into_iter().chain(within.map(|h| h.version)).collect())
    }

    fn reset_stats(&self) -> bool {
        Database::reset_stats(self);
        true
    }

    fn state_at(&self, at: &AsOf) -> Result<State> {
        match at {
            AsOf::Head => Ok(self.state()),
            AsOf::Snapshot(name) => {
                let found = lock(&self.inner.snapshots).get(name).map(|s| s.state.clone());
                found.ok_or_else(|| self.no_such_snapshot(name))
            }
            AsOf::Time(at) => self.state_at_time(*at).map(|h| h.state),
            AsOf::Version(v) => {
                if self.cluster().is_some() && *v > self.head_version() {
                    // A version committed through another node may be on its way here.
                    self.wait_applied(*v, Some(std::time::Duration::from_secs(5)))?;
                }
                let history = lock(&self.inner.history);
                let newest = history.back().map_or(0, |h| h.version);
                let oldest = history.front().map_or(0, |h| h.version);
                if *v > newest {
                    return Err(ErrorKind::NoSuchVersion(format!(
                        "version {v} does not exist yet: the newest is {newest}"
                    ))
                    .into());
                }
                match history.binary_search_by_key(v, |h| h.version) {
                    Ok(i) => Ok(history[i].state.clone()),
                    Err(_) => Err(ErrorKind::NoSuchVersion(format!(
                        "version {v} is no longer kept: the oldest available is {oldest}"
                    ))
                    .into()),
                }
            }
        }
    }
}
