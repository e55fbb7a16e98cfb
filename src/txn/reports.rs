//! The database's reports on itself — memory, counters, statement shapes, slow
//! statements — the settings that steer them (`SET slow_query_ms`, `SET
//! memory_limit`), and the memory limit's check before a commit.
//!
//! Memory is counted by walking the structures (see `storage::memory`): the head
//! first, each snapshot next and then the kept versions from newest to oldest, so each
//! of the later ones is charged only with what it holds beyond those before it.

use std::sync::atomic::Ordering;

use super::database::{Database, Head};
use super::monitor::{params_json, COUNTERS};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::memory::{allocator_bytes, human_bytes, parse_bytes, resident_bytes, Footprint};
use crate::storage::{State, Value, WriteOp};

/// The settings `SET name = value` changes for the whole database.
pub const SETTINGS: [&str; 5] = ["slow_query_ms", "memory_limit", "history", "history_limit", "track_statements"];

/// One table's bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct TableMemory {
    pub name: String,
    pub rows: usize,
    /// Row pages and the tree above them.
    pub bytes: u64,
    /// Each index's bytes, by name.
    pub indexes: Vec<(String, u64)>,
    /// Row expiry maps.
    pub expiry: u64,
}

impl TableMemory {
    pub fn total(&self) -> u64 {
        self.bytes + self.expiry + self.indexes.iter().map(|i| i.1).sum::<u64>()
    }
}

/// What [`Database::memory`] counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryReport {
    /// The head's tables, largest first.
    pub tables: Vec<TableMemory>,
    /// Each namespace's messages: namespace, messages, bytes.
    pub streams: Vec<(String, usize, u64)>,
    /// Versions kept for `AS OF` besides the head, and the bytes only they hold.
    pub versions: (usize, u64),
    /// Each snapshot (name, version) and the bytes it holds beyond the head.
    pub snapshots: Vec<(String, u64, u64)>,
    /// The plan cache's estimate of its own size.
    pub plan_cache: u64,
    pub resident: Option<u64>,
    pub allocator: Option<u64>,
}

impl MemoryReport {
    /// The head's bytes: tables, indexes and messages.
    pub fn head(&self) -> u64 {
        self.tables.iter().map(TableMemory::total).sum::<u64>() + self.streams.iter().map(|s| s.2).sum::<u64>()
    }

    /// Everything counted: the head, old versions, snapshots and the plan cache.
    pub fn total(&self) -> u64 {
        self.head() + self.versions.1 + self.snapshots.iter().map(|s| s.2).sum::<u64>() + self.plan_cache
    }

    /// What holds memory, in words, for an error: the largest tables, old versions and
    /// snapshots.
    pub fn holders(&self) -> String {
        let mut parts: Vec<String> =
            self.tables.iter().take(3).map(|t| format!("table {} {}", t.name, human_bytes(t.total()))).collect();
        if self.versions.1 > 0 {
            parts.push(format!("{} old versions {}", self.versions.0, human_bytes(self.versions.1)));
        }
        let snaps: u64 = self.snapshots.iter().map(|s| s.2).sum();
        if snaps > 0 {
            parts.push(format!("{} snapshots {}", self.snapshots.len(), human_bytes(snaps)));
        }
        parts.join(", ")
    }
}

/// Counts the state's tables and messages into `fp`.
fn count_state(state: &State, fp: &mut Footprint) -> (Vec<TableMemory>, Vec<(String, usize, u64)>) {
    let mut tables: Vec<TableMemory> = state
        .tables()
        .map(|t| {
            let b = t.footprint(fp);
            TableMemory {
                name: t.name().to_string(),
                rows: t.rows.len(),
                bytes: b.rows as u64,
                indexes: b.indexes.into_iter().map(|(n, b)| (n, b as u64)).collect(),
                expiry: b.expiry as u64,
            }
        })
        .collect();
    tables.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.name.cmp(&b.name)));
    let streams = state.message_stores().map(|(ns, m)| (ns.clone(), m.len(), m.footprint(fp) as u64)).collect();
    (tables, streams)
}

/// The bytes of a state not counted in `fp` yet (tables' expiry maps left out: they
/// are counted whole with the head).
fn count_more(state: &State, fp: &mut Footprint) -> u64 {
    state
        .tables()
        .map(|t| {
            let b = t.footprint(fp);
            (b.rows + b.indexes.iter().map(|i| i.1).sum::<usize>()) as u64
        })
        .sum::<u64>()
        + state.message_stores().map(|(_, m)| m.footprint(fp) as u64).sum::<u64>()
}

/// A row change's bytes once stored, overestimated (its values, key, place in its
/// page and some index entries): what the memory limit adds between two counts.
fn write_bytes(op: &WriteOp) -> u64 {
    let values = |vs: &[Value]| -> u64 {
        vs.iter()
            .map(|v| match v {
                Value::Text(t) => t.as_str().len() as u64 + 2,
                Value::Blob(b) => b.len() as u64 + 5,
                _ => 9,
            })
            .sum()
    };
    match op {
        WriteOp::Row { change: crate::storage::Change::Insert(vs), .. } => values(vs) + 96,
        WriteOp::Row { change: crate::storage::Change::Update(row), .. } => values(row) + 96,
        WriteOp::Message { .. } => 512,
        _ => 64,
    }
}

impl Database {
    /// Counts the memory the database holds (see [`MemoryReport`]).
    pub fn memory(&self) -> MemoryReport {
        let head = self.head();
        let snapshots = self.pinned();
        let history = self.kept_versions();
        self.memory_of(&head, &snapshots, &history)
    }

    fn memory_of(&self, head: &Head, snapshots: &[(String, Head)], history: &[Head]) -> MemoryReport {
        let mut fp = Footprint::new();
        let (tables, streams) = count_state(&head.state, &mut fp);
        let snapshots =
            snapshots.iter().map(|(name, s)| (name.clone(), s.version, count_more(&s.state, &mut fp))).collect();
        let older: Vec<&Head> = history.iter().rev().filter(|h| h.version != head.version).collect();
        let versions = (older.len(), older.iter().map(|h| count_more(&h.state, &mut fp)).sum());
        MemoryReport {
            tables,
            streams,
            versions,
            snapshots,
            plan_cache: self.plan_cache_bytes() as u64,
            resident: resident_bytes(),
            allocator: allocator_bytes(),
        }
    }

    /// The memory limit in bytes, if one is set.
    pub fn memory_limit(&self) -> Option<u64> {
        match self.limits().memory.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Sets (or with `None` lifts) the memory limit: a commit that would take the
    /// database's counted memory past it first lets go of old versions, and is refused
    /// if that is not enough.
    pub fn set_memory_limit(&self, bytes: Option<u64>) {
        self.limits().memory.store(bytes.unwrap_or(0), Ordering::Relaxed);
        self.limits().counted.store(0, Ordering::Relaxed);
    }

    /// Records statements slower than `ms` milliseconds (`None`: none).
    pub fn set_slow_query_ms(&self, ms: Option<f64>) {
        self.monitor().set_slow_ms(ms);
    }

    /// Writes each slow statement as one JSON line to `out`.
    pub fn set_slow_log(&self, out: Option<Box<dyn std::io::Write + Send>>) {
        self.monitor().set_log(out);
    }

    /// The counters since the database opened (or the last reset): name, value and
    /// what it counts.
    pub fn counters(&self) -> Vec<(&'static str, u64, &'static str)> {
        let log = self.log_sizes();
        COUNTERS
            .iter()
            .enumerate()
            .map(|(i, (name, what))| {
                let value = match *name {
                    "wal_bytes" => log.map_or(0, |l| l.appended),
                    "wal_fsyncs" => log.map_or(0, |l| l.fsyncs),
                    "checkpoints" => log.map_or(0, |l| l.checkpoints),
                    _ => self.monitor().get_at(i),
                };
                (*name, value, *what)
            })
            .collect()
    }

    /// `amber_stats_reset()`.
    pub fn reset_stats(&self) {
        self.monitor().reset();
    }

    /// `SET name = value` for the database-wide settings ([`SETTINGS`]); `value` is
    /// the text given, `off`, `none` or `default` lifting a limit.
    pub fn set_setting(&self, name: &str, value: &Value) -> Result<()> {
        let text = value.to_string();
        let off = value.is_null() || ["off", "none", "default", "0"].contains(&text.to_ascii_lowercase().as_str());
        match name.to_ascii_lowercase().as_str() {
            "slow_query_ms" => {
                let ms = if off && text != "0" {
                    None
                } else {
                    Some(text.trim().parse::<f64>().ok().filter(|m| m.is_finite() && *m >= 0.0).ok_or_else(|| {
                        Error::invalid(format!("slow_query_ms takes milliseconds (or off), not {text}"))
                    })?)
                };
                self.set_slow_query_ms(ms);
            }
            "memory_limit" => {
                let bytes = if off {
                    None
                } else {
                    Some(parse_bytes(&text).ok_or_else(|| {
                        Error::invalid(format!(
                            "memory_limit takes a size such as '2GB' or '512MB' (or off), not {text}"
                        ))
                    })?)
                };
                self.set_memory_limit(bytes);
            }
            "track_statements" => {
                let (on, all) = match text.to_ascii_lowercase().as_str() {
                    "on" | "true" | "1" => (true, false),
                    "all" => (true, true),
                    "off" | "false" | "0" => (false, false),
                    _ => return Err(Error::invalid(format!("track_statements takes on, all or off, not {text}"))),
                };
                self.monitor().set_tracking(on, all);
            }
            "history" => self.set_history(super::changes::parse_retention(&text)?),
            "history_limit" => {
                let n = text.trim().parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    Error::invalid(format!("history_limit takes a number of versions (at least 1), not {text}"))
                })?;
                self.set_history_limit(n);
            }
            other => {
                let hint = crate::error::closest(other, SETTINGS.iter().copied())
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                return Err(Error::invalid(format!(
                    "no such setting: {other}{hint}; the settings are {}",
                    SETTINGS.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// `SHOW name`: the setting's value, or an error naming the settings there are.
    pub fn show_setting(&self, name: &str) -> Result<String> {
        self.setting(name).ok_or_else(|| {
            let hint = crate::error::closest(name, SETTINGS.iter().copied())
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            Error::invalid(format!("no such setting: {name}{hint}; the settings are {}", SETTINGS.join(", ")))
        })
    }

    /// A setting's value as `SHOW` would print it.
    pub fn setting(&self, name: &str) -> Option<String> {
        Some(match name.to_ascii_lowercase().as_str() {
            "slow_query_ms" => self.monitor().slow_ms().map_or("off".into(), |ms| ms.to_string()),
            "memory_limit" => self.memory_limit().map_or("off".into(), human_bytes),
            "history" => self.history().to_string(),
            "history_limit" => self.history_limit().to_string(),
            "track_statements" => self.monitor().tracking().to_string(),
            _ => return None,
        })
    }

    /// Before a commit under a memory limit: refuses `state` (the next head, reached
    /// by `writes`) when it would take the counted memory past the limit, after letting
    /// go of the old versions no snapshot needs. Counting walks the whole database, so
    /// it is done only when an estimate (the last count and what commits added since)
    /// passes the limit.
    pub(crate) fn check_memory<'a>(
        &self,
        state: &State,
        version: u64,
        writes: impl Iterator<Item = &'a WriteOp>,
    ) -> Result<()> {
        let Some(limit) = self.memory_limit() else { return Ok(()) };
        let limits = self.limits();
        let added: u64 = writes.map(write_bytes).sum();
        let estimate = limits.counted.load(Ordering::Relaxed).saturating_add(added);
        if limits.counted.load(Ordering::Relaxed) != 0 && estimate <= limit {
            limits.counted.store(estimate, Ordering::Relaxed);
            return Ok(());
        }
        let next = Head { state: state.clone(), version };
        let mut report = self.memory_of(&next, &self.pinned(), &self.kept_versions());
        if report.total() > limit && report.versions.0 > 0 {
            self.release_versions();
            report = self.memory_of(&next, &self.pinned(), &self.kept_versions());
        }
        if report.total() > limit {
            // The count without this commit, so that the next one counts afresh.
            limits.counted.store(0, Ordering::Relaxed);
            return Err(ErrorKind::OutOfMemory(format!(
                "out of memory: this write needs the database to hold {}, past its memory_limit of {}; \
                 nothing was changed (memory is held by: {}). Delete rows, drop snapshots, or raise \
                 the limit with SET memory_limit",
                human_bytes(report.total()),
                human_bytes(limit),
                report.holders()
            ))
            .into());
        }
        limits.counted.store(report.total().max(1), Ordering::Relaxed);
        Ok(())
    }

    /// While a statement runs: refuses it once what it has written (`bytes`, by
    /// estimate) would take the database past the memory limit, after letting go of
    /// old versions. The count of the database is taken once and kept.
    pub(crate) fn check_statement_growth(&self, bytes: u64) -> Result<()> {
        let Some(limit) = self.memory_limit() else { return Ok(()) };
        let limits = self.limits();
        let mut base = limits.counted.load(Ordering::Relaxed);
        if base == 0 {
            base = self.memory().total().max(1);
            limits.counted.store(base, Ordering::Relaxed);
        }
        if base.saturating_add(bytes) <= limit {
            return Ok(());
        }
        self.release_versions();
        base = self.memory().total().max(1);
        limits.counted.store(base, Ordering::Relaxed);
        if base.saturating_add(bytes) <= limit {
            return Ok(());
        }
        Err(ErrorKind::OutOfMemory(format!(
            "out of memory: this statement had written {} and would take the database past its memory_limit of {} \
             (it holds {} already: {}); it was stopped and nothing was changed",
            human_bytes(bytes),
            human_bytes(limit),
            human_bytes(base),
            self.memory().holders()
        ))
        .into())
    }

    /// The rows of `amber_stats()`, `amber_statements()`, `amber_slow_queries()` and
    /// `amber_memory()`.
    pub(crate) fn report_rows(&self, name: &str) -> Result<Vec<Vec<Value>>> {
        let int = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        let ms = |ns: u64| Value::Real(ns as f64 / 1e6);
        Ok(match name {
            "commits" => self.commit_rows(),
            "amber_cluster" => self.cluster_rows(),
            // The database's own settings, by name and value as SHOW prints them.
            "pg_settings" => SETTINGS
                .iter()
                .filter_map(|name| self.setting(name).map(|v| vec![Value::text(name), Value::text(&v)]))
                .collect(),
            "amber_stats" => self
                .counters()
                .into_iter()
                .map(|(name, value, what)| vec![Value::text(name), int(value), Value::text(what)])
                .collect(),
            "amber_statements" => self
                .monitor()
                .statements()
                .into_iter()
                .map(|(text, [calls, total, mean, max, rows, errors])| {
                    vec![Value::text(&text), int(calls), ms(total), ms(mean), ms(max), int(rows), int(errors)]
                })
                .collect(),
            "amber_slow_queries" => self
                .monitor()
                .slow_queries()
                .into_iter()
                .map(|q| {
                    let params = params_json(&q.params).to_string();
                    vec![
                        Value::Timestamp(q.at),
                        Value::Real(q.ms),
                        int(q.rows),
                        Value::text(&q.sql),
                        Value::text(&params),
                        Value::text(&q.plan),
                        q.error.map_or(Value::Null, |e| Value::text(&e)),
                    ]
                })
                .collect(),
            "amber_memory" => memory_rows(&self.memory(), self.memory_limit()),
            other => return Err(Error::invalid(format!("no such report: {other}"))),
        })
    }

    fn log_sizes(&self) -> Option<crate::durability::LogSizes> {
        self.log().map(|l| l.sizes())
    }
}

/// `amber_memory()`'s rows: kind, name, rows, bytes, detail.
fn memory_rows(m: &MemoryReport, limit: Option<u64>) -> Vec<Vec<Value>> {
    let int = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    let row = |kind: &str, name: &str, rows: Option<u64>, bytes: Option<u64>, detail: String| {
        vec![
            Value::text(kind),
            Value::text(name),
            rows.map_or(Value::Null, int),
            bytes.map_or(Value::Null, int),
            if detail.is_empty() { Value::Null } else { Value::text(&detail) },
        ]
    };
    let mut out = Vec::new();
    for t in &m.tables {
        out.push(row("table", &t.name, Some(t.rows as u64), Some(t.bytes), String::new()));
        for (name, bytes) in &t.indexes {
            out.push(row("index", &format!("{}.{name}", t.name), Some(t.rows as u64), Some(*bytes), String::new()));
        }
        if t.expiry > 0 {
            out.push(row("expiry", &t.name, None, Some(t.expiry), "row expiry times".into()));
        }
    }
    for (ns, messages, bytes) in &m.streams {
        out.push(row("streams", ns, Some(*messages as u64), Some(*bytes), "messages".into()));
    }
    out.push(row(
        "versions",
        "history",
        Some(m.versions.0 as u64),
        Some(m.versions.1),
        "bytes only old versions hold".into(),
    ));
    for (name, version, bytes) in &m.snapshots {
        out.push(row("snapshot", name, Some(*version), Some(*bytes), "bytes only this snapshot holds".into()));
    }
    out.push(row("cache", "plans", None, Some(m.plan_cache), "estimate".into()));
    let detail = limit.map_or(String::new(), |l| format!("memory_limit {}", human_bytes(l)));
    out.push(row("total", "counted", None, Some(m.total()), detail));
    if let Some(r) = m.resident {
        out.push(row("process", "resident", None, Some(r), "resident set of the process".into()));
    }
    if let Some(a) = m.allocator {
        out.push(row("process", "allocator", None, Some(a), "bytes the allocator has committed".into()));
    }
    out
}
