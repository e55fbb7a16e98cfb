//! AmberDB: an in-memory SQL database whose whole state is one immutable value, so
//! snapshots are cheap clones and transactions are private copies applied at commit.
//!
//! Layers, each reaching only downward:
//! - [`shell`] — the interactive console, scripts, output modes
//! - [`txn`] — [`Database`], [`Session`], transactions
//! - [`sql`] and [`exec`]: the language (parse, bind, plan) and the executor
//! - [`storage`] — values, rows, tables, the `State` and its write sets
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
pub mod durability;
pub mod error;
pub mod exec;
pub mod shell;
pub mod sql;
pub mod storage;
pub mod txn;

pub use error::{Error, ErrorKind, Result};
pub use exec::{FromValue, ResultSet};
pub use storage::Value;
pub use txn::{Database, Outcome, Prepared, Session};
