//! `GET /metrics` in Prometheus's text format: requests by route and status, latency
//! histograms by route, rows, and the database's commits, conflicts, log and memory.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::Database;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What the HTTP listener counts.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    pub in_flight: AtomicUsize,
    pub rows_returned: AtomicU64,
    pub rows_changed: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    pub fn record(&self, route: &str, method: &str, status: u16, took: Duration) {
        *lock(&self.requests).entry((route.to_string(), method.to_string(), status)).or_default() += 1;
        let seconds = took.as_secs_f64();
        let mut latency = lock(&self.latency);
        let h = latency.entry(route.to_string()).or_default();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            h.counts[i] += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The metrics as Prometheus text; `postgres` is the number of open Postgres
    /// connections, when that listener runs too.
    pub fn render(&self, db: &Database, postgres: Option<usize>) -> String {
        let mut out = String::new();
        let stats = db.stats();
        let mut gauge = |name: &str, help: &str, kind: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        gauge("amberdb_version", "The newest committed version.", "gauge", stats.version.to_string());
        gauge(
            "amberdb_commits_total",
            "Commits made visible since the server started.",
            "counter",
            stats.commits.to_string(),
        );
        gauge(
            "amberdb_conflicts_total",
            "Transactions refused at COMMIT because another commit came first.",
            "counter",
            stats.conflicts.to_string(),
        );
        gauge(
            "amberdb_rows_returned_total",
            "Rows returned over HTTP.",
            "counter",
            self.rows_returned.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            "amberdb_rows_changed_total",
            "Rows inserted, updated or deleted over HTTP.",
            "counter",
            self.rows_changed.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            "amberdb_http_requests_in_flight",
            "HTTP requests being answered.",
            "gauge",
            self.in_flight.load(Ordering::Relaxed).to_string(),
        );
        if let Some(open) = postgres {
            gauge("amberdb_postgres_connections", "Open PostgreSQL connections.", "gauge", open.to_string());
        }
        // The database's own counters, as amber_stats() lists them.
        for (name, value, what) in db.counters() {
            gauge(
                &format!("amberdb_stat_{name}_total"),
                &format!("{what} (amber_stats())."),
                "counter",
                value.to_string(),
            );
        }
        let memory = db.memory();
        if let Some(bytes) = memory.resident {
            gauge("amberdb_resident_bytes", "The process's resident memory.", "gauge", bytes.to_string());
        }
        gauge(
            "amberdb_memory_bytes",
            "Memory the database holds, counted (amber_memory()).",
            "gauge",
            memory.total().to_string(),
        );
        gauge(
            "amberdb_memory_old_versions_bytes",
            "Bytes only old versions hold.",
            "gauge",
            memory.versions.1.to_string(),
        );
        if let Some(limit) = db.memory_limit() {
            gauge("amberdb_memory_limit_bytes", "The memory limit (memory_limit).", "gauge", limit.to_string());
        }
        if let (Some(total), Some(since), Some(age)) =
            (stats.log_bytes, stats.log_bytes_since_checkpoint, stats.since_checkpoint)
        {
            gauge(
                "amberdb_wal_bytes_total",
                "Log bytes written since the server started.",
                "counter",
                total.to_string(),
            );
            gauge(
                "amberdb_wal_bytes_since_checkpoint",
                "Log bytes written since the last checkpoint.",
                "gauge",
                since.to_string(),
            );
            gauge(
                "amberdb_checkpoint_age_seconds",
                "Seconds since the last checkpoint (or the start).",
                "gauge",
                format!("{:.3}", age.as_secs_f64()),
            );
        }
        let _ =
            writeln!(out, "# HELP amberdb_http_requests_total HTTP requests answered, by route, method and status.");
        let _ = writeln!(out, "# TYPE amberdb_http_requests_total counter");
        for ((route, method, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "amberdb_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(out, "# HELP amberdb_http_request_duration_seconds HTTP request latency, by route.");
        let _ = writeln!(out, "# TYPE amberdb_http_request_duration_seconds histogram");
        for (route, h) in lock(&self.latency).iter() {
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "amberdb_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "amberdb_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "amberdb_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "amberdb_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
