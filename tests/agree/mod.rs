//! Results of AmberDB and SQLite in one comparable form, for the differential tests:
//! each row as its values joined by `|`, the rows sorted (a multiset), booleans as 1
//! and 0 as SQLite has them, and reals shown by the test's own `real`.

use amberdb::Value;
use rusqlite::types::ValueRef;

pub fn amber_rows(s: &mut amberdb::Session, sql: &str, real: fn(f64) -> String) -> Result<Vec<String>, String> {
    let rs = s.query(sql, &[]).map_err(|e| e.to_string())?;
    let mut rows: Vec<String> = rs
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Null => "NULL".to_string(),
                    Value::Integer(i) => i.to_string(),
                    Value::Boolean(b) => (*b as i64).to_string(),
                    Value::Real(r) => real(*r),
                    Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    Ok(rows)
}

pub fn sqlite_rows(c: &rusqlite::Connection, sql: &str, real: fn(f64) -> String) -> Result<Vec<String>, String> {
    let mut stmt = c.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let mut q = stmt.query([]).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    while let Some(r) = q.next().map_err(|e| e.to_string())? {
        let cells: Vec<String> = (0..n)
            .map(|i| match r.get_ref(i) {
                Ok(ValueRef::Null) => "NULL".to_string(),
                Ok(ValueRef::Integer(i)) => i.to_string(),
                Ok(ValueRef::Real(r)) => real(r),
                Ok(ValueRef::Text(t) | ValueRef::Blob(t)) => String::from_utf8_lossy(t).into_owned(),
                Err(e) => format!("<{e}>"),
            })
            .collect();
        rows.push(cells.join("|"));
    }
    rows.sort();
    Ok(rows)
}
