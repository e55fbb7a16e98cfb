//! The one error type, [`Error`], and the causes it names, [`ErrorKind`]. Each cause is
//! one a user can act on, and its message says what was wrong and, where it helps,
//! what was expected instead.

pub type Result<T> = std::result::Result<T, Error>;

/// An error: what went wrong is its [`ErrorKind`], kept behind one pointer so that a
/// `Result` is small. `Result<bool>`, returned for every row a scan visits, then comes
/// back in two registers instead of through a hundred bytes of memory, and every `?`
/// moves two words.
#[derive(Clone, PartialEq)]
pub struct Error(Box<ErrorKind>);

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }
}

impl From<ErrorKind> for Error {
    #[cold]
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The causes of an [`Error`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// Text that is not a statement. `offset` is the byte offset in the statement text.
    #[error("{message}")]
    Parse { message: String, offset: usize },

    #[error("no such table: {}{}", shown_name(name), did_you_mean(&suggestion.as_deref().map(|s| shown_name(s).to_string())))]
    NoSuchTable { name: String, suggestion: Option<String> },

    #[error("no such column: {name}{}", did_you_mean(suggestion))]
    NoSuchColumn { name: String, suggestion: Option<String> },

    #[error("ambiguous column name: {0}")]
    AmbiguousColumn(String),

    #[error("no such function: {name}{}", did_you_mean(suggestion))]
    NoSuchFunction { name: String, suggestion: Option<String> },

    #[error("wrong number of arguments to function {name}(): expected {expected}")]
    Arity { name: String, expected: String },

    #[error("misuse of aggregate function {0}(): {1}")]
    AggregateMisuse(String, &'static str),

    #[error("table {0} already exists")]
    TableExists(String),

    #[error("unknown type {ty} for column {column}: expected INTEGER, REAL, TEXT, BOOLEAN or TIMESTAMP")]
    UnknownType { column: String, ty: String },

    /// A value that cannot be stored in a typed column without losing information.
    #[error("cannot store {value} ({kind}) in column {table}.{column} of type {ty}")]
    TypeMismatch { table: String, column: String, ty: String, value: String, kind: &'static str },

    /// NOT NULL, UNIQUE, PRIMARY KEY or CHECK.
    #[error("{kind} constraint failed: {table}.{columns}{}", detail_suffix(detail))]
    Constraint { kind: &'static str, table: String, columns: String, detail: String },

    /// An error in one row of a multi-row statement (1-based).
    #[error("row {row}: {source}")]
    InRow { row: usize, source: Error },

    #[error("integer overflow")]
    IntegerOverflow,

    /// A string or blob a function or operator would build is longer than the
    /// database's maximum length (`Database::set_max_length`), as SQLite's limit.
    #[error("string or blob too big (the limit is {limit} bytes)")]
    TooBig { limit: usize },

    /// A write refused because it would take the database past its memory limit.
    #[error("{0}")]
    OutOfMemory(String),

    #[error("query interrupted; nothing was changed")]
    Interrupted,

    #[error("no value bound for parameter {0}")]
    MissingParameter(usize),

    #[error("{0}")]
    Transaction(String),

    /// Another commit changed what this transaction wrote (or, under SERIALIZABLE, read)
    /// since it began; the transaction was rolled back and may be retried.
    #[error("could not commit: {0}; the transaction was rolled back")]
    Conflict(String),

    /// A version or snapshot that is not (or no longer) available.
    #[error("{0}")]
    NoSuchVersion(String),

    /// A file of the data directory, an export or a backup could not be read or written.
    #[error("{0}")]
    Io(String),

    /// The database was opened read-only (`--as-of`) or stopped taking writes after its
    /// log could not be written.
    #[error("{0}")]
    ReadOnly(String),

    /// `RAISE(…)` in a trigger's body: IGNORE skips the row that fired it, ABORT and
    /// FAIL fail the statement with the message, ROLLBACK the whole transaction.
    #[error("{message}")]
    Raise { ignore: bool, rollback: bool, message: String },

    /// A constraint error under `INSERT OR ROLLBACK`: the open transaction ends with it.
    #[error("{0}; the transaction was rolled back")]
    RolledBack(Error),

    /// A statement that is well-formed but makes no sense for the schema.
    #[error("{0}")]
    Invalid(String),
}

/// A stored table name as it is shown: `main`'s dotted names without the `main.` they are
/// stored under (as `storage::schema::shown_name`, kept here so that errors import
/// nothing from storage).
fn shown_name(stored: &str) -> &str {
    stored.strip_prefix("main.").unwrap_or(stored)
}

fn did_you_mean(s: &Option<String>) -> String {
    s.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default()
}

fn detail_suffix(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(" ({d})")
    }
}

impl Error {
    #[cold]
    pub fn invalid(msg: impl Into<String>) -> Error {
        ErrorKind::Invalid(msg.into()).into()
    }

    /// True for `RAISE(ROLLBACK, …)`: the open transaction ends with the statement.
    pub fn rolls_back(&self) -> bool {
        match self.kind() {
            ErrorKind::Raise { rollback, .. } => *rollback,
            ErrorKind::RolledBack(_) => true,
            ErrorKind::InRow { source, .. } => source.rolls_back(),
            _ => false,
        }
    }

    /// True for an error that `INSERT OR IGNORE` skips the row for: a UNIQUE, PRIMARY
    /// KEY, NOT NULL or CHECK constraint, or a value its column's type refuses (not a
    /// foreign key, as in SQLite).
    pub fn breaks_row_constraint(&self) -> bool {
        match self.kind() {
            ErrorKind::Constraint { kind, .. } => *kind != "FOREIGN KEY",
            ErrorKind::TypeMismatch { .. } => true,
            _ => false,
        }
    }

    /// Attaches the 1-based row number of a multi-row statement.
    pub fn in_row(self, row: usize) -> Error {
        match self.kind() {
            ErrorKind::InRow { .. } => self,
            _ => ErrorKind::InRow { row, source: self }.into(),
        }
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a
/// plausible typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_one_pointer_and_a_result_two_words() {
        use std::mem::size_of;
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<bool>>(), 2 * size_of::<usize>());
        assert_eq!(size_of::<Result<crate::storage::Value>>(), size_of::<crate::storage::Value>());
    }

    #[test]
    fn a_row_number_is_attached_once_and_the_cause_kept() {
        let e = Error::from(ErrorKind::IntegerOverflow).in_row(3).in_row(9);
        assert!(
            matches!(e.kind(), ErrorKind::InRow { row: 3, source } if *source.kind() == ErrorKind::IntegerOverflow)
        );
        assert_eq!(e.to_string(), "row 3: integer overflow");
        assert_eq!(format!("{e:?}"), "InRow { row: 3, source: IntegerOverflow }");
        assert!(std::error::Error::source(&e).is_some());
        let raised = ErrorKind::Raise { ignore: false, rollback: true, message: "no".into() };
        assert!(Error::from(raised).in_row(2).rolls_back());
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("nmae", ["name", "id"]), Some("name".into()));
        assert_eq!(closest("usres", ["users", "orders"]), Some("users".into()));
        assert_eq!(closest("zzzzzz", ["name", "id"]), None);
    }
}
