//! The executor: runs plans against a `State`.
//!
//! Reads return rows; writes return a new `State` and the `WriteSet` that made it,
//! leaving the input state untouched. Nothing here knows about sessions or
//! transactions: that is the layer above.
//!
//! - [`dispatch`] — the entry points: which operator runs a plan, what it produced
//! - [`result`] — rows with named columns, and their values as Rust types
//! - [`eval`] — expressions, three-valued logic
//! - [`functions`] — scalar functions; `scalars` (GLOB, text and blob builders, math),
//!   `printf` and `datetime` (SQLite's date and time functions) hold the larger ones
//! - [`aggregate`] — aggregate accumulators
//! - [`access`] — rows from a table by an access path, decoded as far as needed
//! - `reject` — early row tests on a stored row's bytes
//! - [`select`] — the select pipeline: scans, joins, groups, sorting, limits
//! - `window` — window functions over partitions and frames
//! - `cte` — common table expressions, recursive ones included
//! - [`archive`] — ARCHIVE: rows to a compressed file and out of the table
//! - `projection` — projections' catalog changes
//! - [`write`] — INSERT, UPDATE, DELETE, CREATE, DROP, ALTER
//! - [`foreign`] — foreign-key actions and checks
//! - [`matview`] — materialized views: their statements and keeping them up to date
//! - [`trigger`] — row triggers, fired from the writes; writes to views
//! - [`streams`] — message streams: appends and reads

pub mod access;
pub mod aggregate;
pub mod archive;
mod counters;
mod cte;
mod datetime;
mod dispatch;
pub mod eval;
pub mod foreign;
pub mod functions;
pub mod index_exprs;
mod join;
pub(crate) mod json;
pub mod matview;
mod printf;
pub mod probe;
mod projection;
mod reject;
mod result;
mod scalars;
pub mod select;
pub mod streams;
mod table_fns;
pub mod trigger;
mod window;
pub mod write;

pub(crate) use dispatch::ensure_stack;
pub use dispatch::{eval_constant, execute, query, query_each, Output};
pub use eval::{Counters, Ctx, MAX_CTE_ROWS, MAX_LENGTH};
pub use foreign::MAX_ACTION_DEPTH;
pub use result::{FromValue, ResultSet};
pub use trigger::MAX_TRIGGER_DEPTH;
pub use write::{Read, Written};
