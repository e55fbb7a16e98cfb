//! What a query hands back: rows with named columns, and their values as Rust types.

use std::sync::Arc;

use crate::error::Result;
use crate::storage::Value;

/// Rows with named columns.
///
/// ```
/// use amberdb::Database;
/// let mut s = Database::open_in_memory().session();
/// let rs = s.query("SELECT 7 AS n, 'seven' AS name, NULL AS nothing", &[]).unwrap();
/// let n: i64 = rs.get(0, "n").unwrap();
/// let name: String = rs.get(0, "name").unwrap();
/// let nothing: Option<f64> = rs.get(0, "nothing").unwrap();
/// assert_eq!((n, name.as_str(), nothing), (7, "seven", None));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ResultSet {
    /// Column names, shared with the plan that produced them.
    pub columns: Arc<[String]>,
    pub rows: Vec<Vec<Value>>,
    /// Bit `c` is set when column `c` holds JSON documents (a `JSON` column, a JSON
    /// function's result), which the shell shows as JSON.
    pub json: u64,
}

impl ResultSet {
    /// The position of a column by name (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.eq_ignore_ascii_case(name))
    }

    /// The value at `row` in the named column, converted to a Rust type.
    pub fn get<T: FromValue>(&self, row: usize, column: &str) -> Result<T> {
        let col = self.column(column).ok_or_else(|| crate::error::ErrorKind::NoSuchColumn {
            name: column.to_string(),
            suggestion: crate::error::closest(column, self.columns.iter().map(String::as_str)),
        })?;
        let value = self.rows.get(row).and_then(|r| r.get(col)).ok_or_else(|| {
            crate::error::Error::invalid(format!("no row {row} in a result of {} rows", self.rows.len()))
        })?;
        T::from_value(value)
    }
}

/// Conversion of a result value into a Rust type.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self>;
}

fn wrong_type(v: &Value, wanted: &str) -> crate::error::Error {
    crate::error::Error::invalid(format!(
        "expected {wanted}, found {} ({})",
        crate::storage::schema::literal_sql(v),
        v.type_name()
    ))
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Result<Self> {
        Ok(v.clone())
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Integer(i) => Ok(*i),
            Value::Boolean(b) => Ok(*b as i64),
            _ => Err(wrong_type(v, "an integer")),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Real(r) => Ok(*r),
            Value::Integer(i) => Ok(*i as f64),
            _ => Err(wrong_type(v, "a number")),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Boolean(b) => Ok(*b),
            Value::Integer(i @ (0 | 1)) => Ok(*i == 1),
            _ => Err(wrong_type(v, "a boolean")),
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Err(wrong_type(v, "text")),
            v => Ok(v.to_string()),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}
