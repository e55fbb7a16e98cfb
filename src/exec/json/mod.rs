//! SQLite's json1 functions over JSON documents (the document tree and its parser are
//! `storage::json`, which a `JSON` column checks its values with).
//!
//! - `path` — paths (`$.a[2]."b c"`, `[#-1]`), finding and editing what they name
//! - `functions` — the SQL functions and operators
//! - `each` — the table functions `json_each` and `json_tree`

mod each;
mod functions;
mod path;

pub use crate::storage::json::{unescape, Json, TYPE_NAMES};
pub use each::table_rows;
pub use functions::{call, to_json};
