//! A progress line on stderr for work that runs longer than a second — a statement, an
//! import, a `.read`, opening (recovering) a data directory: what it is, rows done,
//! their rate and the time so far, redrawn in place and cleared when done. Only when
//! stderr is a terminal; elsewhere nothing is drawn.
//!
//! One watcher thread serves every piece of work of a shell: beginning and ending one
//! is a lock and a store, so a script of a million quick statements pays nothing.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before its line appears.
const AFTER: Duration = Duration::from_secs(1);

#[derive(Default)]
struct State {
    /// The work running now: its label and start.
    job: Option<(String, Instant)>,
    /// Whether its line is on the screen.
    shown: bool,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Rows (or statements) done by the running work.
    count: Arc<AtomicU64>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Draws the line of whatever work is running, once it has run a second.
pub struct Watcher {
    shared: Option<Arc<Shared>>,
    thread: Option<JoinHandle<()>>,
    count: Arc<AtomicU64>,
}

/// One piece of work; dropping it ends it (and clears its line before returning).
pub struct Work {
    shared: Option<Arc<Shared>>,
}

impl Watcher {
    /// A watcher that draws only when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Watcher {
        let count = Arc::new(AtomicU64::new(0));
        if !(enabled && std::io::stderr().is_terminal()) {
            return Watcher { shared: None, thread: None, count };
        }
        let shared = Arc::new(Shared { state: Mutex::default(), wake: Condvar::new(), count: count.clone() });
        let thread = {
            let shared = shared.clone();
            std::thread::spawn(move || watch(&shared))
        };
        Watcher { shared: Some(shared), thread: Some(thread), count }
    }

    /// The counter the running work adds its rows to.
    pub fn counter(&self) -> &Arc<AtomicU64> {
        &self.count
    }

    /// Begins a piece of work called `label`.
    pub fn begin(&self, label: &str) -> Work {
        self.count.store(0, Ordering::Relaxed);
        if let Some(shared) = &self.shared {
            lock(&shared.state).job = Some((label.to_string(), Instant::now()));
        }
        Work { shared: self.shared.clone() }
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        let Some(shared) = &self.shared else { return };
        let mut state = lock(&shared.state);
        state.job = None;
        // Output comes next: wait until the line is gone from the screen.
        while state.shown {
            shared.wake.notify_all();
            state = shared.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar
}

fn watch(shared: &Shared) {
    // A bar per piece of work: a finished bar is not drawn again.
    let mut bar = new_bar();
    let mut state = lock(&shared.state);
    loop {
        if state.stop {
            break;
        }
        match &state.job {
            Some((label, started)) if started.elapsed() >= AFTER => {
                let rows = shared.count.load(Ordering::Relaxed);
                let seconds = started.elapsed().as_secs_f64();
                let message = if rows > 0 {
                    format!("{label}: {rows} rows, {:.0} rows/s, {seconds:.1} s", rows as f64 / seconds)
                } else {
                    format!("{label}: {seconds:.1} s")
                };
                bar.set_message(message);
                bar.tick();
                state.shown = true;
            }
            None if state.shown => {
                bar.finish_and_clear();
                bar = new_bar();
                state.shown = false;
                shared.wake.notify_all();
            }
            _ => {}
        }
        state = shared.wake.wait_timeout(state, Duration::from_millis(100)).unwrap_or_else(PoisonError::into_inner).0;
    }
    if state.shown {
        bar.finish_and_clear();
        state.shown = false;
        shared.wake.notify_all();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            lock(&shared.state).stop = true;
            shared.wake.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_counted_and_ends_at_once() {
        let watcher = Watcher::new(true);
        let started = Instant::now();
        for _ in 0..1000 {
            let _work = watcher.begin("quick");
            watcher.counter().fetch_add(1, Ordering::Relaxed);
        }
        assert_eq!(watcher.counter().load(Ordering::Relaxed), 1);
        assert!(started.elapsed() < AFTER);
    }
}
