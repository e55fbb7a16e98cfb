//! The shared database handle: the committed head, the commit lock and the plan cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use super::session::Session;
use crate::error::Result;
use crate::sql::plan::Plan;
use crate::sql::{parser, planner};
use crate::storage::State;

/// A committed state and its version.
#[derive(Clone)]
pub(crate) struct Head {
    pub state: State,
    pub version: u64,
}

/// How many plans the cache keeps before it starts over.
const PLAN_CACHE_LIMIT: usize = 2048;

struct Inner {
    head: RwLock<Head>,
    commit: Mutex<()>,
    /// Plans by statement text, each with the schema id it was planned against.
    plans: Mutex<HashMap<String, (u64, Arc<Plan>)>>,
}

/// The shared handle to one database. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

impl Database {
    /// A new, empty database held in memory only.
    pub fn open_in_memory() -> Database {
        let head = Head {
            state: State::new(),
            version: 0,
        };
        Database {
            inner: Arc::new(Inner {
                head: RwLock::new(head),
                commit: Mutex::new(()),
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

    pub(crate) fn head(&self) -> Head {
        self.inner
            .head
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Holds the commit lock: at most one writer publishes at a time.
    pub(crate) fn lock_commits(&self) -> MutexGuard<'_, ()> {
        self.inner
            .commit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes a new head; the caller holds the commit lock.
    pub(crate) fn publish(&self, state: State) -> u64 {
        let mut head = self
            .inner
            .head
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        head.version += 1;
        head.state = state;
        head.version
    }

    /// The plan for `sql` against the schemas of `state`, from the cache when it holds
    /// one planned against the same schemas.
    pub(crate) fn plan(&self, sql: &str, state: &State) -> Result<Arc<Plan>> {
        let schema_id = state.schema_id();
        {
            let cache = self
                .inner
                .plans
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((id, plan)) = cache.get(sql) {
                if *id == schema_id {
                    return Ok(plan.clone());
                }
            }
        }
        let plan = Arc::new(planner::plan(&parser::parse(sql)?, state)?);
        let mut cache = self
            .inner
            .plans
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= PLAN_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(sql.to_string(), (schema_id, plan.clone()));
        Ok(plan)
    }
}
