//! AmberDB's errors as PostgreSQL's: the SQLSTATE a driver branches on (`23505` for a
//! duplicate key, `40001` for a conflict to retry) and the position of a syntax error.

use pgwire::error::ErrorInfo;

use crate::{Error, ErrorKind};

/// The SQLSTATE of an error.
pub fn code(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::Parse { .. } => "42601",
        ErrorKind::NoSuchTable { .. } => "42P01",
        ErrorKind::NoSuchColumn { .. } => "42703",
        ErrorKind::AmbiguousColumn(_) => "42702",
        ErrorKind::NoSuchFunction { .. } | ErrorKind::Arity { .. } => "42883",
        ErrorKind::AggregateMisuse(..) => "42803",
        ErrorKind::TableExists(_) => "42P07",
        ErrorKind::UnknownType { .. } => "42704",
        ErrorKind::TypeMismatch { .. } => "22P02",
        ErrorKind::Constraint { kind, .. } => match *kind {
            "NOT NULL" => "23502",
            "FOREIGN KEY" => "23503",
            "CHECK" => "23514",
            _ => "23505",
        },
        ErrorKind::InRow { source, .. } => code(source),
        ErrorKind::RolledBack(source) => code(source),
        ErrorKind::IntegerOverflow => "22003",
        ErrorKind::TooBig { .. } => "54000",
        ErrorKind::OutOfMemory(_) => "53200",
        ErrorKind::Interrupted => "57014",
        ErrorKind::MissingParameter(_) => "42P02",
        ErrorKind::Transaction(_) => "25000",
        ErrorKind::Conflict(_) => "40001",
        ErrorKind::NoSuchVersion(_) => "22023",
        ErrorKind::Io(_) => "58030",
        ErrorKind::ReadOnly(_) => "25006",
        ErrorKind::Raise { .. } => "P0001",
        ErrorKind::Invalid(m) if m.starts_with("no such namespace") => "3F000",
        ErrorKind::Invalid(m) if m.contains("out of memory") || m.contains("memory limit") => "53200",
        ErrorKind::Invalid(_) => "42000",
    }
}

/// The error as a client is told it: severity, SQLSTATE, message, and for a syntax
/// error its position (1-based, in characters of the statement).
pub fn error_info(e: &Error, sql: &str) -> ErrorInfo {
    let mut info = ErrorInfo::new("ERROR".to_string(), code(e).to_string(), e.to_string());
    if let ErrorKind::Parse { offset, .. } = e.kind() {
        let offset = (*offset).min(sql.len());
        let chars = sql.get(..offset).map_or(offset, |s| s.chars().count());
        info.position = Some((chars + 1).to_string());
    }
    info
}

/// An error the server raises itself.
pub fn error(code: &str, message: impl Into<String>) -> ErrorInfo {
    ErrorInfo::new("ERROR".to_string(), code.to_string(), message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_kinds_have_their_codes() {
        let c = |kind| -> Error {
            ErrorKind::Constraint { kind, table: "t".into(), columns: "a".into(), detail: String::new() }.into()
        };
        assert_eq!(code(&c("UNIQUE")), "23505");
        assert_eq!(code(&c("NOT NULL")), "23502");
        assert_eq!(code(&c("FOREIGN KEY")), "23503");
        assert_eq!(code(&c("CHECK")), "23514");
        let in_row: Error = ErrorKind::InRow { row: 2, source: c("UNIQUE") }.into();
        assert_eq!(code(&in_row), "23505");
    }

    #[test]
    fn syntax_errors_carry_their_position_in_characters() {
        let e: Error = ErrorKind::Parse { message: "bad".into(), offset: 9 }.into();
        let info = error_info(&e, "SELECT é FRM t");
        assert_eq!(info.code, "42601");
        assert_eq!(info.position.as_deref(), Some("9"));
    }
}
