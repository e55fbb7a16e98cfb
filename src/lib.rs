//! AmberDB: an in-memory SQL database whose whole state is one immutable value, so
//! snapshots are cheap clones and transactions are private copies applied at commit.
//!
//! # Layers
//!
//! Each layer reaches only downward, and `tests/layers.rs` checks every `crate::` path
//! in the sources against this list:
//!
//! | layer        | may use                                            |
//! |--------------|----------------------------------------------------|
//! | `shell`      | `txn`, `error` and this file's public API          |
//! | `server`     | `txn`, `error` and this file's public API          |
//! | `txn`        | `exec`, `sql`, `durability`, `storage`, `error`    |
//! | `durability` | `storage`, `error`                                 |
//! | `exec`       | `sql`, `storage`, `error`                          |
//! | `sql`        | `storage`, `error`                                 |
//! | `storage`    | `error`                                            |
//! | `error`      | `storage` (the values an error names)              |
//!
//! Only this file chooses what a library user sees: the language, executor, durability
//! and transaction layers are private, and what a program needs of them is re-exported
//! below. `storage` stays public as the data model: [`Database::state`] hands out a
//! [`storage::State`], whose tables, versions and diffs a program may read.
//!
//! ```
//! use amberdb::{Database, Outcome};
//! let db = Database::open_in_memory();
//! let mut s = db.session();
//! s.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
//! let out = s.execute("INSERT INTO t VALUES (1), (2)", &[]).unwrap();
//! assert_eq!(out, Outcome::Changed { verb: "inserted", count: 2 });
//! ```

pub mod alloc;
mod durability;
pub mod error;
mod exec;
pub mod server;
pub mod shell;
mod sql;
pub mod storage;
mod txn;

pub use durability::cluster::ClusterOptions;
pub use durability::fs;
pub use durability::{Checkpointed, Options, RecoveryReport, SyncMode};
pub use error::{Error, ErrorKind, Result};
pub use exec::{FromValue, ResultSet, MAX_ACTION_DEPTH, MAX_TRIGGER_DEPTH};
pub use sql::ast;
pub use sql::parser::{parse, parse_expr};
pub use sql::split::{line_col, only_space_and_comments, split, Piece};
pub use storage::json::Json;
pub use storage::schema::{quote_ident, quote_stored};
pub use storage::time::{format_timestamp, parse_timestamp};
pub use storage::value::format_real;
pub use storage::{DataType, Value};
pub use txn::export;
pub use txn::{new_migration, MigrateCommand, MigrateLine, Migration, MIGRATIONS_TABLE};
pub use txn::{
    Access, Database, Description, Exported, Outcome, Prepared, RowStream, Session, SnapshotInfo, Stats,
    DEFAULT_HISTORY,
};
pub use txn::{ClusterJoin, MemoryReport, Retention, TableMemory, SETTINGS};
