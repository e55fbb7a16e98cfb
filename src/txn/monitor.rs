//! What a database counts about itself: statements by kind, rows, commits, the plan
//! cache; each statement shape's calls and times (`amber_statements()`, as Postgres'
//! `pg_stat_statements`); and the statements slower than `slow_query_ms`
//! (`amber_slow_queries()`, and one JSON line each to the slow-query log).
//!
//! A statement's shape is the text its plan is cached under (literals taken out, see
//! `sql::shape`), so the plan cache hands out each shape's figures with its plan: a
//! statement adds to them with a few atomic additions and no lookup of its own.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::sql::plan::Plan;
use crate::storage::Value;

/// The counters `amber_stats()` lists, in its order, each with what it counts.
pub const COUNTERS: [(&str, &str); 20] = [
    ("statements_select", "SELECT statements run"),
    ("statements_insert", "INSERT statements run"),
    ("statements_update", "UPDATE statements run"),
    ("statements_delete", "DELETE statements run"),
    ("statements_ddl", "CREATE, DROP and ALTER statements run"),
    ("statements_transaction", "BEGIN, COMMIT, ROLLBACK and savepoints"),
    ("statements_other", "every other statement (EXPLAIN, SET, snapshots, …)"),
    ("statements_failed", "statements that ended in an error"),
    ("rows_returned", "rows statements gave back"),
    ("rows_written", "rows inserted, updated or deleted"),
    ("commits", "commits made visible"),
    ("conflicts", "transactions refused at COMMIT for a conflict"),
    ("rollbacks", "transactions rolled back"),
    ("plan_cache_hits", "statements whose plan came from the cache"),
    ("plan_cache_misses", "statements parsed and planned"),
    ("wal_bytes", "bytes appended to the write-ahead log"),
    ("wal_fsyncs", "fsyncs of the write-ahead log"),
    ("checkpoints", "checkpoints written"),
    ("ttl_rows_expired", "expired rows removed by sweeps"),
    ("slow_queries", "statements slower than slow_query_ms"),
];

/// A counter's place in [`COUNTERS`]. The first ten are the sums of the statement
/// shapes' figures, worked out when asked for, so that a statement adds only to its
/// own shape's; `Failed` adds the statements that did not plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Counter {
    Select = 0,
    Insert,
    Update,
    Delete,
    Ddl,
    Transaction,
    #[default]
    Other,
    Failed,
    RowsReturned,
    RowsWritten,
    Commits,
    Conflicts,
    Rollbacks,
    PlanHits,
    PlanMisses,
    // The log's own figures (wal_bytes, wal_fsyncs, checkpoints) are read from it.
    TtlExpired = 18,
    Slow,
}

/// The counter a plan's statement counts under.
fn kind(plan: &Plan) -> Counter {
    match plan {
        Plan::Select(_) | Plan::WritingSelect(_) => Counter::Select,
        Plan::Insert(_) => Counter::Insert,
        Plan::Update(_) => Counter::Update,
        Plan::Delete(_) => Counter::Delete,
        Plan::ViewWrite(w) => match w.kind {
            crate::sql::plan::ViewWrite::Insert { .. } => Counter::Insert,
            crate::sql::plan::ViewWrite::Update { .. } => Counter::Update,
            crate::sql::plan::ViewWrite::Delete { .. } => Counter::Delete,
        },
        // PURGE deletes rows for good and UNDELETE inserts them back; other steps are DDL.
        Plan::Steps { verb: Some("purged"), .. } => Counter::Delete,
        Plan::Steps { verb: Some("restored"), .. } => Counter::Insert,
        Plan::Control(c) if c.is_transaction_control() => Counter::Transaction,
        Plan::Control(_) | Plan::Explain(_) | Plan::ExplainWrite(_) | Plan::CheckDatabase | Plan::Nothing => {
            Counter::Other
        }
        _ => Counter::Ddl,
    }
}

/// Most statement shapes tracked; statements of shapes past it add to one shared
/// entry, `(other statements)`.
pub const MAX_SHAPES: usize = 5000;
/// Slow statements kept for `amber_slow_queries()`, newest last.
pub const SLOW_KEPT: usize = 128;

/// One statement shape's figures.
#[derive(Debug, Default)]
pub struct ShapeStats {
    text: Arc<str>,
    /// The counter its statements count under, and whether their rows are written.
    kind: Counter,
    writes: bool,
    calls: AtomicU64,
    /// The calls timed, and their total and longest time.
    timed: AtomicU64,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
    rows: AtomicU64,
    errors: AtomicU64,
}

impl ShapeStats {
    fn reset(&self) {
        for a in [&self.calls, &self.timed, &self.total_ns, &self.max_ns, &self.rows, &self.errors] {
            a.store(0, Ordering::Relaxed);
        }
    }
}

/// A statement slower than the bound.
#[derive(Clone, Debug)]
pub struct SlowQuery {
    /// Microseconds since the epoch, when it finished.
    pub at: i64,
    pub sql: String,
    pub params: Vec<Value>,
    pub plan: String,
    pub ms: f64,
    pub rows: u64,
    pub error: Option<String>,
}

/// The counters and figures of one database.
pub(crate) struct Monitor {
    /// Reads the time stamp counter where there is one (a few nanoseconds, where the
    /// system clock takes tens), scaled to nanoseconds only once a statement is done.
    clock: quanta::Clock,
    /// Whether statements are measured (`SET track_statements = off` stops it), and
    /// whether every one of them is timed (`all`).
    enabled: std::sync::atomic::AtomicBool,
    time_all: std::sync::atomic::AtomicBool,
    counters: [AtomicU64; COUNTERS.len()],
    shapes: Mutex<HashMap<Arc<str>, Arc<ShapeStats>>>,
    /// `slow_query_ms` in microseconds; `u64::MAX` when off.
    slow_micros: AtomicU64,
    slow: Mutex<VecDeque<SlowQuery>>,
    log: Mutex<Option<Box<dyn Write + Send>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A statement being measured: when it began.
pub(crate) struct Started(Option<u64>);

/// One statement in this many of each session is timed (all of them while
/// `slow_query_ms` is set or `track_statements = all`): two reads of the clock cost
/// about 20 ns, a twentieth of a point lookup, and the calls and rows are counted
/// whole anyway.
pub const TIME_EVERY: u32 = 16;

/// What a statement came to, for [`Monitor::finish`].
pub(crate) struct Finished<'a> {
    pub sql: &'a str,
    pub params: &'a [Value],
    pub rows: u64,
    pub error: Option<&'a crate::error::Error>,
}

impl Monitor {
    pub fn new() -> Monitor {
        Monitor {
            clock: quanta::Clock::new(),
            enabled: std::sync::atomic::AtomicBool::new(true),
            time_all: std::sync::atomic::AtomicBool::new(false),
            counters: Default::default(),
            shapes: Mutex::new(HashMap::new()),
            slow_micros: AtomicU64::new(u64::MAX),
            slow: Mutex::new(VecDeque::new()),
            log: Mutex::new(None),
        }
    }

    pub fn add(&self, c: Counter, n: u64) {
        self.counters[c as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.get_at(c as usize)
    }

    /// The counter at place `i` of [`COUNTERS`] (the log's places read 0 here).
    pub fn get_at(&self, i: usize) -> u64 {
        let own = self.counters.get(i).map_or(0, |c| c.load(Ordering::Relaxed));
        if i > Counter::RowsWritten as usize {
            return own;
        }
        let shapes = lock(&self.shapes);
        let sum = |f: &dyn Fn(&ShapeStats) -> u64| shapes.values().map(|s| f(s)).sum::<u64>();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        own + match i {
            i if i == Counter::Failed as usize => sum(&|s| load(&s.errors)),
            i if i == Counter::RowsReturned as usize => sum(&|s| if s.writes { 0 } else { load(&s.rows) }),
            i if i == Counter::RowsWritten as usize => sum(&|s| if s.writes { load(&s.rows) } else { 0 }),
            kind => sum(&|s| if s.kind as usize == kind { load(&s.calls) } else { 0 }),
        }
    }

    /// The figures of the statement `sql`'s shape (its text without the comments
    /// before it, literals taken out as the plan cache does), made on first sight;
    /// `plan` is its plan. Past [`MAX_SHAPES`], new shapes share one entry of their kind.
    pub fn shape(&self, sql: &str, plan: &Plan) -> Arc<ShapeStats> {
        let sql = without_leading_comments(sql);
        let shaped = crate::sql::shape::shape(sql);
        let (kind, writes) = (kind(plan), plan.is_write());
        let mut text = shaped.as_ref().map_or(sql, |s| s.text.as_str()).to_string();
        let mut shapes = lock(&self.shapes);
        if let Some(s) = shapes.get(text.as_str()) {
            return s.clone();
        }
        if shapes.len() >= MAX_SHAPES {
            text = format!("(other {} statements)", COUNTERS[kind as usize].0.trim_start_matches("statements_"));
            if let Some(s) = shapes.get(text.as_str()) {
                return s.clone();
            }
        }
        let text: Arc<str> = text.into();
        let s = Arc::new(ShapeStats { text: text.clone(), kind, writes, ..Default::default() });
        shapes.insert(text, s.clone());
        s
    }

    /// A statement begins: `None` when statements are not measured. `tick` counts the
    /// session's statements, so that one in [`TIME_EVERY`] is timed (`None`: time it).
    #[inline]
    pub fn start(&self, tick: Option<&mut u32>) -> Option<Started> {
        if !self.enabled.load(Ordering::Relaxed) {
            return None;
        }
        let timed = match tick {
            None => true,
            Some(t) => {
                *t = t.wrapping_add(1);
                *t % TIME_EVERY == 1
                    || self.time_all.load(Ordering::Relaxed)
                    || self.slow_micros.load(Ordering::Relaxed) != u64::MAX
            }
        };
        Some(Started(timed.then(|| self.clock.raw())))
    }

    /// `track_statements`: off, on (one statement in [`TIME_EVERY`] timed) or all.
    pub fn set_tracking(&self, on: bool, all: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        self.time_all.store(all, Ordering::Relaxed);
    }

    pub fn tracking(&self) -> &'static str {
        match (self.enabled.load(Ordering::Relaxed), self.time_all.load(Ordering::Relaxed)) {
            (false, _) => "off",
            (true, false) => "on",
            (true, true) => "all",
        }
    }

    /// Counts a finished statement under its kind and shape, and records it when slow.
    /// `explain` gives the plan's text, asked for only when the statement was slow.
    #[inline]
    pub fn finish(&self, started: Started, shape: &ShapeStats, done: Finished, explain: impl FnOnce() -> String) {
        shape.calls.fetch_add(1, Ordering::Relaxed);
        if done.error.is_some() {
            shape.errors.fetch_add(1, Ordering::Relaxed);
        } else if done.rows > 0 {
            shape.rows.fetch_add(done.rows, Ordering::Relaxed);
        }
        let Some(at) = started.0 else { return };
        let ns = self.clock.delta_as_nanos(at, self.clock.raw());
        shape.timed.fetch_add(1, Ordering::Relaxed);
        shape.total_ns.fetch_add(ns, Ordering::Relaxed);
        if ns > shape.max_ns.load(Ordering::Relaxed) {
            shape.max_ns.fetch_max(ns, Ordering::Relaxed);
        }
        if ns / 1000 >= self.slow_micros.load(Ordering::Relaxed) {
            self.record_slow(done, ns as f64 / 1e6, explain());
        }
    }

    #[cold]
    #[inline(never)]
    fn record_slow(&self, done: Finished, ms: f64, plan: String) {
        self.add(Counter::Slow, 1);
        let q = SlowQuery {
            at: crate::storage::time::now_micros(),
            sql: done.sql.to_string(),
            params: done.params.to_vec(),
            plan,
            ms,
            rows: done.rows,
            error: done.error.map(|e| e.to_string()),
        };
        if let Some(out) = lock(&self.log).as_mut() {
            // A log that cannot be written loses its lines, never the statement.
            let _ = writeln!(out, "{}", slow_json(&q)).and_then(|()| out.flush());
        }
        let mut slow = lock(&self.slow);
        if slow.len() >= SLOW_KEPT {
            slow.pop_front();
        }
        slow.push_back(q);
    }

    /// Sets the bound in milliseconds (`None`: off).
    pub fn set_slow_ms(&self, ms: Option<f64>) {
        let micros = ms.map_or(u64::MAX, |ms| (ms * 1000.0).max(0.0) as u64);
        self.slow_micros.store(micros, Ordering::Relaxed);
    }

    pub fn slow_ms(&self) -> Option<f64> {
        match self.slow_micros.load(Ordering::Relaxed) {
            u64::MAX => None,
            m => Some(m as f64 / 1000.0),
        }
    }

    pub fn set_log(&self, out: Option<Box<dyn Write + Send>>) {
        *lock(&self.log) = out;
    }

    pub fn slow_queries(&self) -> Vec<SlowQuery> {
        lock(&self.slow).iter().cloned().collect()
    }

    /// Each shape's figures: text, calls, total time (the timed calls' mean times
    /// the calls), mean and max time in nanoseconds, rows, errors; most total time
    /// first.
    pub fn statements(&self) -> Vec<(Arc<str>, [u64; 6])> {
        let shapes = lock(&self.shapes);
        let mut out: Vec<_> = shapes
            .values()
            .filter_map(|s| {
                let calls = s.calls.load(Ordering::Relaxed);
                (calls > 0).then(|| {
                    let [timed, total, max, rows, errors] =
                        [&s.timed, &s.total_ns, &s.max_ns, &s.rows, &s.errors].map(|a| a.load(Ordering::Relaxed));
                    let mean = total.checked_div(timed).unwrap_or(0);
                    (s.text.clone(), [calls, mean.saturating_mul(calls), mean, max, rows, errors])
                })
            })
            .collect();
        out.sort_by(|a, b| b.1[1].cmp(&a.1[1]).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// `amber_stats_reset()`: every counter, shape figure and slow statement forgotten.
    pub fn reset(&self) {
        for c in &self.counters {
            c.store(0, Ordering::Relaxed);
        }
        for s in lock(&self.shapes).values() {
            s.reset();
        }
        lock(&self.slow).clear();
    }
}

/// The text from the statement's first word on: the comments and space before it are
/// left out.
fn without_leading_comments(mut sql: &str) -> &str {
    loop {
        sql = sql.trim_start();
        if let Some(rest) = sql.strip_prefix("--") {
            sql = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = sql.strip_prefix("/*") {
            sql = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return sql;
        }
    }
}

/// A slow statement as one JSON line for log shippers.
pub fn slow_json(q: &SlowQuery) -> String {
    let params = params_json(&q.params);
    serde_json::json!({
        "at": crate::storage::time::format_timestamp(q.at),
        "ms": (q.ms * 1000.0).round() / 1000.0,
        "rows": q.rows,
        "sql": q.sql,
        "params": params,
        "plan": q.plan,
        "error": q.error,
    })
    .to_string()
}

/// A statement's parameters as a JSON array.
pub fn params_json(params: &[Value]) -> serde_json::Value {
    serde_json::Value::Array(params.iter().map(value_json).collect())
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(serde_json::Value::Null, Into::into),
        Value::Boolean(b) => (*b).into(),
        other => other.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_in_order() {
        assert_eq!(COUNTERS[Counter::PlanMisses as usize].0, "plan_cache_misses");
        assert_eq!(COUNTERS[Counter::TtlExpired as usize].0, "ttl_rows_expired");
        assert_eq!(COUNTERS[Counter::Slow as usize].0, "slow_queries");
    }

    #[test]
    fn shapes_past_the_limit_share_one_entry() {
        let m = Monitor::new();
        let plan = Plan::Nothing;
        let a = m.shape("SELECT 1", &plan);
        assert!(Arc::ptr_eq(&a, &m.shape("SELECT 1", &plan)));
        for i in 0..MAX_SHAPES {
            m.shape(&format!("SELECT {i}, 0"), &plan);
        }
        assert_eq!(&*m.shape("SELECT 'one more'", &plan).text, "(other other statements)");
    }

    #[test]
    fn a_shape_leaves_out_comments_and_literals() {
        let m = Monitor::new();
        let a = m.shape("-- first\n/* then */ SELECT * FROM t WHERE id = 1", &Plan::Nothing);
        assert!(Arc::ptr_eq(&a, &m.shape("SELECT * FROM t WHERE id = 2", &Plan::Nothing)));
        assert_eq!(&*a.text, "SELECT * FROM t WHERE id = ?");
    }

    #[test]
    fn slow_bound_round_trips_and_turns_off() {
        let m = Monitor::new();
        assert_eq!(m.slow_ms(), None);
        m.set_slow_ms(Some(2.5));
        assert_eq!(m.slow_ms(), Some(2.5));
        m.set_slow_ms(None);
        assert_eq!(m.slow_ms(), None);
    }
}
