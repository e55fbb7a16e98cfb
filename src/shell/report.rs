//! Where an error points: the words an error is about (a column, a function, a value
//! that does not fit) and where the statement says them, for the caret under a
//! statement's line.

use crate::error::{Error, ErrorKind};

/// The words an error is about, most telling first, each with whether it names a
/// function (then the statement calls it, `name(`): from the error's kind, or from a
/// call (`rank()`, `ntile(`), a `no such …: name` or a frame in its message.
pub(super) fn subject(e: &Error) -> Vec<(String, bool)> {
    let last = |name: &str| name.rsplit('.').next().unwrap_or(name).to_string();
    let message = match e.kind() {
        ErrorKind::NoSuchColumn { name, .. } | ErrorKind::NoSuchTable { name, .. } => return vec![(last(name), false)],
        ErrorKind::AmbiguousColumn(name) => return vec![(name.clone(), false)],
        ErrorKind::NoSuchFunction { name, .. } | ErrorKind::Arity { name, .. } => return vec![(name.clone(), true)],
        ErrorKind::AggregateMisuse(name, _) => return vec![(name.clone(), true)],
        ErrorKind::Invalid(message) => message,
        _ => return Vec::new(),
    };
    if message.contains("frame") {
        return ["ROWS", "RANGE", "GROUPS"].iter().map(|w| (w.to_string(), false)).collect();
    }
    called(message).into_iter().collect()
}

/// Where the value a type error is about is written in the statement (`'lots'` in
/// `VALUES ('eve', 'lots')`), when it is written there as the error shows it.
pub(super) fn value_at(e: &Error, text: &str) -> Option<usize> {
    let value = match e.kind() {
        ErrorKind::TypeMismatch { value, .. } => value,
        ErrorKind::InRow { source, .. } => match source.kind() {
            ErrorKind::TypeMismatch { value, .. } => value,
            _ => return None,
        },
        _ => return None,
    };
    let at = text.find(value.as_str())?;
    // The same text again would make the place a guess.
    text[at + value.len()..].find(value.as_str()).is_none().then_some(at)
}

/// The name in `no such …: name`, or the first word of a message written as a call.
fn called(message: &str) -> Option<(String, bool)> {
    let word_end = |w: &str| w.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(w.len());
    if let Some(rest) = message.strip_prefix("no such ").and_then(|r| r.split_once(": ")).map(|(_, n)| n) {
        return Some((rest[..word_end(rest)].to_string(), false));
    }
    // The first word of the message written as a call.
    let mut words = message.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '('));
    let call = words.find_map(|w| w.strip_suffix("()").or_else(|| w.strip_suffix('(')).filter(|n| !n.is_empty()))?;
    Some((call.to_string(), true))
}

/// Where `word` first stands as a whole word in `text`, outside quotes (followed by
/// `(` when `call`), case ignored.
pub(super) fn find_word(text: &str, word: &str, call: bool) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut quote = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if text.is_char_boundary(i)
                && text[i..].len() >= word.len()
                && text.is_char_boundary(i + word.len())
                && text[i..i + word.len()].eq_ignore_ascii_case(word)
                && (i == 0 || !is_ident(bytes[i - 1]))
                && bytes.get(i + word.len()).is_none_or(|&n| !is_ident(n)) =>
            {
                let after = text[i + word.len()..].trim_start();
                if !call || after.starts_with('(') {
                    return Some(i);
                }
            }
            None => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_words_outside_quotes() {
        let sql = "SELECT 'nmae', xnmae, nmae FROM t";
        assert_eq!(find_word(sql, "nmae", false), Some(22));
        assert_eq!(find_word("SELECT rank, rank () OVER ()", "RANK", true), Some(13));
        assert_eq!(find_word("SELECT é, nope", "nope", false), Some(11));
        assert_eq!(find_word("SELECT 1", "", false), None);
        assert_eq!(find_word("SELECT \"x\"", "x", false), None);
    }

    #[test]
    fn names_the_subject_of_an_error() {
        let column: Error = ErrorKind::NoSuchColumn { name: "u.nmae".into(), suggestion: None }.into();
        assert_eq!(subject(&column), [("nmae".into(), false)]);
        let call = Error::invalid("misuse of window function rank(): it needs an OVER clause");
        assert_eq!(subject(&call), [("rank".into(), true)]);
        assert_eq!(subject(&Error::invalid("no such index: ix_a")), [("ix_a".into(), false)]);
        let frame = subject(&Error::invalid("frame starting offset must be a non-negative integer"));
        assert_eq!(frame.first(), Some(&("ROWS".into(), false)));
        assert!(subject(&Error::invalid("integer overflow")).is_empty());
    }
}
