//! Databases, sessions and transactions.
//!
//! A [`Database`] holds the committed head: a `State` value and its version number.
//! A [`Session`] reads from the head it took when its statement (or transaction) began,
//! so readers never wait for writers. Outside a transaction each write statement runs
//! under the commit lock against the newest head and publishes the result. Inside one,
//! writes go to a private copy and are collected in a `WriteSet`; `COMMIT` checks that
//! no key it wrote was changed by another commit since it began (first committer wins)
//! and applies the write set to the head.
//!
//! ```
//! use amberdb::{Database, Value};
//! let db = Database::open_in_memory();
//! let mut s = db.session();
//! s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", &[]).unwrap();
//! s.execute("INSERT INTO t (name) VALUES (?)", &[Value::text("ada")]).unwrap();
//! let rows = s.query("SELECT id, name FROM t", &[]).unwrap();
//! assert_eq!(rows.rows, vec![vec![Value::Integer(1), Value::text("ada")]]);
//! ```

mod archives;
mod catalog;
mod changes;
mod cluster;
pub mod collection;
mod database;
pub mod export;
mod journal;
mod migrate;
mod monitor;
mod projections;
mod rekey;
mod reports;
mod session;
mod stream;
mod views;

pub use catalog::Exported;
pub use changes::Retention;
pub use cluster::ClusterJoin;
pub use database::{Database, SnapshotInfo, Stats, DEFAULT_HISTORY};
pub use migrate::{new_migration, MigrateCommand, MigrateLine, Migration, MIGRATIONS_TABLE};
pub use reports::{MemoryReport, TableMemory, SETTINGS};
pub use session::{Access, Description, Outcome, Prepared, Session};
pub use stream::RowStream;
