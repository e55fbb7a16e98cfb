//! Storage: values, rows, tables with their indexes, and the `State` that holds them.
//!
//! This is the bottom layer: it names nothing above it. Everything here is a value built
//! from persistent maps (`imbl`, and for rows and indexes our own B+ tree), so a copy of
//! the whole database is O(1) and shares all structure; changes go through [`state::WriteSet`] and [`state::State::apply`].
//!
//! - [`value`] — the `Value` enum, SQLite's ordering and number formatting
//! - [`text`] — text values: short ones inline, longer ones shared
//! - [`convert`] — storing into typed columns (exact) and CAST (forgiving)
//! - [`time`] — ISO-8601 timestamps
//! - [`schema`] — columns, types and constraints
//! - [`rows`] — rows packed into pages, by key
//! - [`pagemap`] — the persistent B+ tree that holds pages and index entries
//! - [`table`] — a table: its rows and indexes
//! - [`state`] — the whole database and the write set
//! - [`trigger`] — triggers as the catalog keeps them
//! - [`diff`] — differences between states, walking only what they do not share
//! - [`streams`] — message streams: every message in order, by stream and category
//! - [`lru`] — a cache bounded in bytes, least recently used out first
//! - [`stack`] — more stack for recursion the input decides (chains of views)
//! - [`archive`] — archive files: rows moved out of memory, compressed by column
//! - [`check`] — `CHECK DATABASE`: indexes agree with rows, keys and types hold

pub mod archive;
pub mod check;
pub mod convert;
pub mod diff;
pub mod json;
pub mod lru;
pub mod memory;
pub mod pagemap;
pub mod rows;
pub mod schema;
pub mod stack;
pub mod state;
pub mod streams;
pub mod table;
pub mod text;
pub mod time;
pub mod trigger;
pub mod value;

pub use schema::{Column, ColumnDefault, DataType, TableSchema};
pub use state::{AsOf, Change, CommitInfo, History, Joined, Logged, State, ViewDef, WriteOp, WriteSet};
pub use table::{Row, RowKey, Table};
pub use trigger::{TriggerDef, TriggerEvent, TriggerTiming};
pub use value::Value;
