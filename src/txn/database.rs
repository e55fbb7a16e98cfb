//! The shared database handle: the committed head, the history of recent versions, the
//! named snapshots, the commit lock and the plan cache.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use super::session::Session;
use crate::error::{closest, Error, Result};
use crate::sql::plan::Plan;
use crate::sql::{parser, planner};
use crate::storage::time::now_micros;
use crate::storage::{AsOf, History, State};

/// A committed state and its version.
#[derive(Clone)]
pub(crate) struct Head {
    pub state: State,
    pub version: u64,
}

/// How many plans the cache keeps before it starts over.
const PLAN_CACHE_LIMIT: usize = 2048;

/// How many committed versions are kept for `AS OF VERSION` unless set otherwise.
pub const DEFAULT_HISTORY: usize = 1000;

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

struct Inner {
    head: RwLock<Head>,
    commit: Mutex<()>,
    /// Recent committed states, oldest first; the last one is the head.
    history: Mutex<VecDeque<Head>>,
    history_limit: AtomicUsize,
    snapshots: Mutex<BTreeMap<String, Snapshot>>,
    /// Plans by statement text, each with the schema id it was planned against.
    plans: Mutex<HashMap<String, (u64, Arc<Plan>)>>,
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
    inner: Arc<Inner>,
}

impl Database {
    /// A new, empty database held in memory only.
    pub fn open_in_memory() -> Database {
        let head = Head { state: State::new(), version: 0 };
        Database {
            inner: Arc::new(Inner {
                history: Mutex::new(VecDeque::from([head.clone()])),
                head: RwLock::new(head),
                commit: Mutex::new(()),
                history_limit: AtomicUsize::new(DEFAULT_HISTORY),
                snapshots: Mutex::new(BTreeMap::new()),
                plans: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A new session (a connection) on this database.
    pub fn session(&self) -> Session {
        Session::new(self.clone())
    }

    /// The committed state as of now. O(1): the state is shared, not copied.
    pub fn state(&self) -> State {
        self.head().state
    }

    /// The version of the newest commit (0 for a new database).
    pub fn version(&self) -> u64 {
        self.head().version
    }

    /// Keeps the newest `versions` committed versions (at least 1) readable with
    /// `AS OF VERSION`.
    pub fn set_history_limit(&self, versions: usize) {
        self.inner.history_limit.store(versions.max(1), Ordering::Relaxed);
        trim(&mut lock(&self.inner.history), versions.max(1));
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
                Err(e @ Error::Conflict(_)) => last = Some(e),
                Err(e) => {
                    if session.in_transaction() {
                        session.execute("ROLLBACK", &[])?;
                    }
                    return Err(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::Transaction("the transaction was not attempted".into())))
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
        Error::NoSuchVersion(format!("no such snapshot: {name}{hint}"))
    }

    pub(crate) fn head(&self) -> Head {
        self.inner.head.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Holds the commit lock: at most one writer publishes at a time.
    pub(crate) fn lock_commits(&self) -> MutexGuard<'_, ()> {
        lock(&self.inner.commit)
    }

    /// Publishes a new head and returns its version; the caller holds the commit lock.
    pub(crate) fn publish(&self, state: State) -> u64 {
        let head = {
            let mut head = self.inner.head.write().unwrap_or_else(PoisonError::into_inner);
            head.version += 1;
            head.state = state;
            head.clone()
        };
        let version = head.version;
        let mut history = lock(&self.inner.history);
        history.push_back(head);
        trim(&mut history, self.inner.history_limit.load(Ordering::Relaxed));
        version
    }

    /// The plan for `sql` against the schemas of `state`, from the cache when it holds
    /// one planned against the same schemas.
    pub(crate) fn plan(&self, sql: &str, state: &State) -> Result<Arc<Plan>> {
        let schema_id = state.schema_id();
        if let Some((id, plan)) = lock(&self.inner.plans).get(sql) {
            if *id == schema_id {
                return Ok(plan.clone());
            }
        }
        let plan = Arc::new(planner::plan(&parser::parse(sql)?, state, self)?);
        if plan.cacheable() {
            let mut cache = lock(&self.inner.plans);
            if cache.len() >= PLAN_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(sql.to_string(), (schema_id, plan.clone()));
        }
        Ok(plan)
    }
}

fn trim(history: &mut VecDeque<Head>, limit: usize) {
    while history.len() > limit {
        history.pop_front();
    }
}

impl History for Database {
    fn state_at(&self, at: &AsOf) -> Result<State> {
        match at {
            AsOf::Head => Ok(self.state()),
            AsOf::Snapshot(name) => {
                let found = lock(&self.inner.snapshots).get(name).map(|s| s.state.clone());
                found.ok_or_else(|| self.no_such_snapshot(name))
            }
            AsOf::Version(v) => {
                let history = lock(&self.inner.history);
                let newest = history.back().map_or(0, |h| h.version);
                let oldest = history.front().map_or(0, |h| h.version);
                if *v > newest {
                    return Err(Error::NoSuchVersion(format!(
                        "version {v} does not exist yet: the newest is {newest}"
                    )));
                }
                match history.binary_search_by_key(v, |h| h.version) {
                    Ok(i) => Ok(history[i].state.clone()),
                    Err(_) => Err(Error::NoSuchVersion(format!(
                        "version {v} is no longer kept: the oldest available is {oldest}"
                    ))),
                }
            }
        }
    }
}
