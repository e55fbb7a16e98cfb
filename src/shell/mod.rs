//! The shell: the interactive console, script running and result rendering.
//!
//! - [`runner`] — runs script text statement by statement and reports errors
//! - `report` — where an error's caret goes
//! - [`input`] — scripts read as a stream, each line bounded
//! - [`repl`] — the interactive loop (rustyline)
//! - [`helper`] — completion, highlighting, multi-line input
//! - [`dot`] — dot-commands parsed into an enum
//! - [`csv`] — `.import` and `.export` of CSV files
//! - [`render`] — output modes, printed as rows arrive
//! - `cells` — values as each mode writes them
//! - [`pager`] — long results through `$PAGER`
//! - [`progress`] — a progress line on stderr for work longer than a second
//! - [`testing`] — `amberdb test`: snapshot tests for `.q` scripts

mod cells;
pub mod csv;
pub mod dot;
pub mod helper;
pub mod input;
pub mod pager;
pub mod progress;
pub mod render;
pub mod repl;
mod report;
pub mod runner;
pub mod testing;

pub use render::{Expanded, Mode, Pager, Settings};
pub use runner::{Flow, Runner};
