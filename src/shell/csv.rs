//! `.import FILE.csv TABLE` and `.export FILE.csv TABLE|QUERY`.
//!
//! Import reads RFC 4180 CSV a record at a time (quoted fields may hold commas, quotes
//! and line breaks), so a big file is never held whole. An empty field is NULL and a
//! quoted empty field `""` is the empty string, as `.export` writes them, so a round
//! trip keeps the difference. A missing table is made, its columns named by the header
//! row and typed from the data (INTEGER, REAL or TEXT); for an existing table a first
//! row that repeats its column names is taken as a header. Values go in as their
//! column's type; one that does not fit is an error naming its line and column, and
//! the import is all or nothing.

use std::io::{BufRead, BufReader, Write};

use super::dot::ImportArgs;
use super::render::{Mode, Printer, Settings};
use crate::error::{Error, ErrorKind};
use crate::txn::Session;
use crate::{quote_ident, DataType, Value};

/// One field: its text and whether it was quoted.
#[derive(Clone, Debug, PartialEq)]
struct Field {
    text: String,
    quoted: bool,
}

/// Reads CSV records from a stream, counting lines.
struct Records<R: BufRead> {
    input: R,
    /// The line the next record starts on (1-based).
    line: usize,
    separator: u8,
}

impl<R: BufRead> Records<R> {
    /// The next record and the line it started on; `None` at the end.
    fn next(&mut self) -> Result<Option<(usize, Vec<Field>)>, String> {
        let start = self.line;
        let mut raw = Vec::new();
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let (mut quoted, mut in_quotes, mut after_quote) = (false, false, false);
        loop {
            raw.clear();
            let n = self.input.read_until(b'\n', &mut raw).map_err(|e| format!("cannot read: {e}"))?;
            if n == 0 {
                if in_quotes {
                    return Err(format!("line {start}: a quoted field is not closed before the end of the file"));
                }
                if fields.is_empty() && field.is_empty() && !quoted {
                    return Ok(None);
                }
                break;
            }
            self.line += 1;
            let mut i = 0;
            while i < raw.len() {
                let b = raw[i];
                if in_quotes {
                    if b == b'"' {
                        if raw.get(i + 1) == Some(&b'"') {
                            field.push(b'"');
                            i += 1;
                        } else {
                            in_quotes = false;
                            after_quote = true;
                        }
                    } else {
                        field.push(b);
                    }
                } else if b == b'"' && field.is_empty() && !quoted {
                    in_quotes = true;
                    quoted = true;
                } else if b == self.separator {
                    fields.push(finish(&mut field, &mut quoted, start)?);
                    after_quote = false;
                } else if b == b'\n' || (b == b'\r' && raw.get(i + 1) == Some(&b'\n')) {
                    break;
                } else if after_quote {
                    return Err(format!("line {}: text after a quoted field's closing quote", self.line - 1));
                } else {
                    field.push(b);
                }
                i += 1;
            }
            if !in_quotes {
                break;
            }
        }
        fields.push(finish(&mut field, &mut quoted, start)?);
        Ok(Some((start, fields)))
    }
}

fn finish(field: &mut Vec<u8>, quoted: &mut bool, line: usize) -> Result<Field, String> {
    let text = String::from_utf8(std::mem::take(field)).map_err(|_| format!("line {line}: the text is not UTF-8"))?;
    let f = Field { text, quoted: *quoted };
    *quoted = false;
    Ok(f)
}

fn open(path: &str, separator: u8) -> Result<Records<BufReader<std::fs::File>>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::invalid(format!("cannot read {path}: {e}")))?;
    Ok(Records { input: BufReader::with_capacity(1 << 16, file), line: 1, separator })
}

/// The type that holds every value of a column: INTEGER, REAL or TEXT.
fn widen(ty: Option<DataType>, field: &Field) -> Option<DataType> {
    if field.text.is_empty() {
        return ty;
    }
    let t = if field.text.trim().parse::<i64>().is_ok() {
        DataType::Integer
    } else if field.text.trim().parse::<f64>().is_ok_and(f64::is_finite) {
        DataType::Real
    } else {
        DataType::Text
    };
    Some(match (ty, t) {
        (None, t) => t,
        (Some(DataType::Text), _) | (_, DataType::Text) => DataType::Text,
        (Some(DataType::Real), _) | (_, DataType::Real) => DataType::Real,
        _ => DataType::Integer,
    })
}

/// A field as the value its column takes.
fn value(field: &Field, ty: Option<DataType>, null: Option<&str>) -> Value {
    if field.text.is_empty() && !field.quoted {
        return Value::Null;
    }
    if null.is_some_and(|n| !n.is_empty() && n == field.text) && !field.quoted {
        return Value::Null;
    }
    let t = field.text.trim();
    match ty {
        Some(DataType::Integer) => t.parse().map(Value::Integer).unwrap_or_else(|_| Value::text(&field.text)),
        Some(DataType::Real) => t.parse().map(Value::Real).unwrap_or_else(|_| Value::text(&field.text)),
        Some(DataType::Boolean) => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => Value::Boolean(true),
            "false" | "f" | "0" | "no" => Value::Boolean(false),
            _ => Value::text(&field.text),
        },
        _ => Value::text(&field.text),
    }
}

/// What an import did.
pub struct Imported {
    pub rows: usize,
    pub created: bool,
    /// The columns of a table it made, as `name TYPE, …`.
    pub columns: String,
}

/// Imports a CSV file; `progress` counts the rows as they go in.
pub fn import(
    session: &mut Session,
    args: &ImportArgs,
    null: Option<&str>,
    progress: &std::sync::atomic::AtomicU64,
) -> Result<Imported, Error> {
    let table = args.table.clone().ok_or_else(|| Error::invalid("usage: .import FILE.csv TABLE"))?;
    // `--schema NS`: the table in that namespace.
    let (table, quoted) = match &args.schema {
        Some(ns) => (format!("{ns}.{table}"), format!("{}.{}", quote_ident(ns), quote_ident(&table))),
        None => (table.clone(), quote_ident(&table)),
    };
    let separator = if args.file.to_ascii_lowercase().ends_with(".tsv") { b'\t' } else { b',' };
    let skip = |records: &mut Records<BufReader<std::fs::File>>| -> Result<(), Error> {
        for _ in 0..args.skip {
            records.next().map_err(|e| Error::invalid(format!("{}: {e}", args.file)))?;
        }
        Ok(())
    };
    let fail = |e: String| Error::invalid(format!("{}: {e}", args.file));
    let existing = session.table_columns(&table);
    let mut records = open(&args.file, separator)?;
    skip(&mut records)?;
    let (names, types, created) = match existing {
        Some(columns) => {
            let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
            let types: Vec<Option<DataType>> = columns.iter().map(|(_, t)| Some(*t)).collect();
            (names, types, false)
        }
        None => {
            // The header names the columns; the data says their types.
            let (_, header) = records.next().map_err(fail)?.ok_or_else(|| fail("the file is empty".into()))?;
            let names: Vec<String> = header.into_iter().map(|f| f.text).collect();
            let mut types: Vec<Option<DataType>> = vec![None; names.len()];
            while let Some((line, row)) = records.next().map_err(fail)? {
                if row.len() != names.len() {
                    return Err(fail(format!(
                        "line {line}: {} values, where the header has {}",
                        row.len(),
                        names.len()
                    )));
                }
                for (t, f) in types.iter_mut().zip(&row) {
                    *t = widen(*t, f);
                }
            }
            let types: Vec<Option<DataType>> = types.into_iter().map(|t| Some(t.unwrap_or(DataType::Text))).collect();
            (names, types, true)
        }
    };
    let mut records = open(&args.file, separator)?;
    skip(&mut records)?;
    let own = !session.in_transaction();
    if own {
        session.execute("BEGIN", &[])?;
    } else {
        session.execute("SAVEPOINT amber_import", &[])?;
    }
    let done = load(session, &quoted, &names, &types, created, &mut records, null, &args.file, progress);
    match (&done, own) {
        (Ok(_), true) => {
            session.execute("COMMIT", &[])?;
        }
        (Ok(_), false) => {
            session.execute("RELEASE amber_import", &[])?;
        }
        (Err(_), true) => {
            if session.in_transaction() {
                session.execute("ROLLBACK", &[])?;
            }
        }
        (Err(_), false) => {
            session.execute("ROLLBACK TO amber_import", &[])?;
            session.execute("RELEASE amber_import", &[])?;
        }
    }
    let rows = done?;
    let columns = names
        .iter()
        .zip(&types)
        .map(|(n, t)| format!("{} {}", n, t.map_or("TEXT", type_word)))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Imported { rows, created, columns })
}

fn type_word(t: DataType) -> &'static str {
    match t {
        DataType::Integer => "INTEGER",
        DataType::Real => "REAL",
        DataType::Boolean => "BOOLEAN",
        DataType::Timestamp => "TIMESTAMP",
        DataType::Json => "JSON",
        DataType::Any => "ANY",
        DataType::Text => "TEXT",
    }
}

#[allow(clippy::too_many_arguments)]
fn load(
    session: &mut Session,
    quoted: &str,
    names: &[String],
    types: &[Option<DataType>],
    created: bool,
    records: &mut Records<BufReader<std::fs::File>>,
    null: Option<&str>,
    file: &str,
    progress: &std::sync::atomic::AtomicU64,
) -> Result<usize, Error> {
    if created {
        let columns: Vec<String> = names
            .iter()
            .zip(types)
            .map(|(n, t)| format!("{} {}", quote_ident(n), t.map_or("TEXT", type_word)))
            .collect();
        session.execute(&format!("CREATE TABLE {quoted} ({})", columns.join(", ")), &[])?;
        // The header was read for the names.
        records.next().map_err(|e| Error::invalid(format!("{file}: {e}")))?;
    }
    let marks = vec!["?"; names.len()].join(", ");
    let columns: Vec<String> = names.iter().map(|n| quote_ident(n)).collect();
    let insert = session.prepare(&format!("INSERT INTO {quoted} ({}) VALUES ({marks})", columns.join(", ")))?;
    let mut rows = 0;
    let mut first = true;
    while let Some((line, row)) = records.next().map_err(|e| Error::invalid(format!("{file}: {e}")))? {
        // A first row that repeats the column names is a header.
        if std::mem::take(&mut first)
            && !created
            && row.len() == names.len()
            && row.iter().zip(names).all(|(f, n)| f.text.trim().eq_ignore_ascii_case(n))
        {
            continue;
        }
        if row.len() != names.len() {
            return Err(Error::invalid(format!(
                "{file}:{line}: {} values, where {quoted} has {} columns",
                row.len(),
                names.len()
            )));
        }
        let values: Vec<Value> = row.iter().zip(types).map(|(f, t)| value(f, *t, null)).collect();
        session.execute_prepared(&insert, &values).map_err(|e| {
            let column = match e.kind() {
                ErrorKind::TypeMismatch { column, .. } => format!(", column {column}"),
                ErrorKind::InRow { source, .. } => match source.kind() {
                    ErrorKind::TypeMismatch { column, .. } => format!(", column {column}"),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            Error::invalid(format!("{file}:{line}{column}: {e}; nothing was imported"))
        })?;
        rows += 1;
        progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(rows)
}

/// Writes the rows of `query` to `path` as CSV with a header (whole or not at all);
/// the number of rows.
pub fn export(session: &mut Session, query: &str, path: &str, null: Option<&str>) -> Result<usize, Error> {
    let prepared = session.prepare(query)?;
    let rs = session.query_prepared(&prepared, &[])?;
    let tmp = format!("{path}.tmp");
    let written = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        let settings = Settings { mode: Mode::Csv, null_value: null.map(str::to_string), ..Settings::default() };
        {
            let mut printer = Printer::new(&settings, &mut out, &rs.columns, rs.json);
            for row in &rs.rows {
                printer.row(row.clone());
            }
            printer.finish(false);
        }
        out.flush()?;
        out.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(ErrorKind::Io(format!("cannot write {path}: {e}; nothing was written")).into());
    }
    Ok(rs.rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Vec<(String, bool)>> {
        let mut r = Records { input: text.as_bytes(), line: 1, separator: b',' };
        let mut out = Vec::new();
        while let Some((_, row)) = r.next().unwrap() {
            out.push(row.into_iter().map(|f| (f.text, f.quoted)).collect());
        }
        out
    }

    #[test]
    fn records_follow_rfc_4180() {
        let rows = parse("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",\n,\"\"\n");
        assert_eq!(rows[0], [("a".into(), false), ("b".into(), false)]);
        assert_eq!(rows[1], [("x, y".into(), true), ("say \"hi\"".into(), true)]);
        assert_eq!(rows[2], [("two\nlines".into(), true), ("".into(), false)]);
        assert_eq!(rows[3], [("".into(), false), ("".into(), true)]);
        let mut r = Records { input: "\"open\n".as_bytes(), line: 1, separator: b',' };
        assert!(r.next().unwrap_err().contains("not closed"));
    }

    #[test]
    fn types_widen_to_hold_every_value() {
        let f = |t: &str| Field { text: t.into(), quoted: false };
        let t = [f("1"), f("2")].iter().fold(None, widen);
        assert_eq!(t, Some(DataType::Integer));
        let t = [f("1"), f("2.5"), f("")].iter().fold(None, widen);
        assert_eq!(t, Some(DataType::Real));
        let t = [f("1"), f("x")].iter().fold(None, widen);
        assert_eq!(t, Some(DataType::Text));
        assert_eq!(value(&f(""), Some(DataType::Text), None), Value::Null);
        assert_eq!(value(&Field { text: String::new(), quoted: true }, Some(DataType::Text), None), Value::text(""));
    }
}
