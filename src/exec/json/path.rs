//! JSON paths as SQLite writes them — `$`, `.key`, `."quoted key"`, `[n]`, `[#]` (one
//! past the end) and `[#-n]` — and finding, setting and removing what they name.

use super::{unescape, Json};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
    /// `[#-n]`: `n` from the end (`[#]` is 0: one past the last element).
    FromEnd(usize),
}

pub type Path = Vec<Step>;

fn bad(path: &str) -> Error {
    Error::invalid(format!("bad JSON path: '{path}'"))
}

/// Parses a path written as text.
pub fn parse(path: &str) -> Result<Path> {
    Ok(parse_spans(path)?.into_iter().map(|(step, _)| step).collect())
}

/// [`parse`], with the byte where each step starts in the text.
pub fn parse_spans(path: &str) -> Result<Vec<(Step, usize)>> {
    let b = path.as_bytes();
    if b.first() != Some(&b'$') {
        return Err(bad(path));
    }
    let mut steps = Vec::new();
    let mut at = 1;
    while at < b.len() {
        let start = at;
        match b[at] {
            b'.' => {
                at += 1;
                if b.get(at) == Some(&b'"') {
                    let end = path[at + 1..].find('"').ok_or_else(|| bad(path))? + at + 1;
                    steps.push((Step::Key(path[at + 1..end].to_string()), start));
                    at = end + 1;
                } else {
                    let len = path[at..].find(['.', '[']).unwrap_or(path.len() - at);
                    if len == 0 {
                        return Err(bad(path));
                    }
                    steps.push((Step::Key(path[at..at + len].to_string()), start));
                    at += len;
                }
            }
            b'[' => {
                let end = path[at..].find(']').ok_or_else(|| bad(path))? + at;
                let inner = path[at + 1..end].trim();
                let step = if let Some(rest) = inner.strip_prefix('#') {
                    let rest = rest.trim();
                    if rest.is_empty() {
                        Step::FromEnd(0)
                    } else {
                        let n = rest.strip_prefix('-').ok_or_else(|| bad(path))?.trim();
                        Step::FromEnd(n.parse().map_err(|_| bad(path))?)
                    }
                } else {
                    Step::Index(inner.parse().map_err(|_| bad(path))?)
                };
                steps.push((step, start));
                at = end + 1;
            }
            _ => return Err(bad(path)),
        }
    }
    Ok(steps)
}

/// The place an array step names in an array of `len` elements (`len` itself is one
/// past the end); `None` before the start.
pub(super) fn place(step: &Step, len: usize) -> Option<usize> {
    match step {
        Step::Index(i) => Some(*i),
        Step::FromEnd(n) => len.checked_sub(*n),
        Step::Key(_) => None,
    }
}

pub(super) fn key_matches(raw: &str, key: &str) -> bool {
    raw == key || (raw.contains('\\') && unescape(raw) == key)
}

/// What the path names in the document, if anything.
pub fn find<'a>(doc: &'a Json, path: &[Step]) -> Option<&'a Json> {
    let mut at = doc;
    for step in path {
        at = match (at, step) {
            (Json::Object(members), Step::Key(k)) => &members.iter().find(|(raw, _)| key_matches(raw, k))?.1,
            (Json::Array(items), step) => items.get(place(step, items.len())?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// How an edit treats a place that exists or does not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// `json_insert`: only where nothing is.
    Insert,
    /// `json_replace`: only where something is.
    Replace,
    /// `json_set`: either.
    Set,
}

/// Puts `value` where the path names, as the edit allows, making the objects the rest of
/// the path needs when it runs past the document (as SQLite does).
pub fn edit(doc: &mut Json, path: &[Step], value: Json, how: Edit) {
    let Some((step, rest)) = path.split_first() else {
        if how != Edit::Insert {
            *doc = value;
        }
        return;
    };
    match (doc, step) {
        (Json::Object(members), Step::Key(k)) => match members.iter_mut().find(|(raw, _)| key_matches(raw, k)) {
            Some((_, v)) => edit(v, rest, value, how),
            None if how != Edit::Replace => {
                if let Some(made) = build(rest, value) {
                    members.push((escape_key(k), made));
                }
            }
            None => {}
        },
        (Json::Array(items), step) if !matches!(step, Step::Key(_)) => {
            let Some(i) = place(step, items.len()) else { return };
            if i < items.len() {
                edit(&mut items[i], rest, value, how);
            } else if i == items.len() && how != Edit::Replace {
                if let Some(made) = build(rest, value) {
                    items.push(made);
                }
            }
        }
        _ => {}
    }
}

/// The value a path that runs past the document makes: objects for keys; an array step
/// there makes nothing.
fn build(path: &[Step], value: Json) -> Option<Json> {
    match path.split_first() {
        None => Some(value),
        Some((Step::Key(k), rest)) => Some(Json::Object(vec![(escape_key(k), build(rest, value)?)])),
        Some((Step::Index(0) | Step::FromEnd(0), rest)) => Some(Json::Array(vec![build(rest, value)?])),
        Some(_) => None,
    }
}

fn escape_key(k: &str) -> String {
    match Json::string(k) {
        Json::Str(s) => s,
        _ => k.to_string(),
    }
}

/// Removes what the path names; removing the whole document leaves `None`.
pub fn remove(doc: &mut Json, path: &[Step]) -> bool {
    let Some((last, parent)) = path.split_last() else { return false };
    let mut at = doc;
    for step in parent {
        at = match (at, step) {
            (Json::Object(members), Step::Key(k)) => match members.iter_mut().find(|(raw, _)| key_matches(raw, k)) {
                Some((_, v)) => v,
                None => return false,
            },
            (Json::Array(items), step) => {
                let Some(i) = place(step, items.len()).filter(|&i| i < items.len()) else { return false };
                &mut items[i]
            }
            _ => return false,
        };
    }
    match (at, last) {
        // The first member of that name, as SQLite removes (a key may repeat).
        (Json::Object(members), Step::Key(k)) => match members.iter().position(|(raw, _)| key_matches(raw, k)) {
            Some(i) => {
                members.remove(i);
                true
            }
            None => false,
        },
        (Json::Array(items), step) => match place(step, items.len()).filter(|&i| i < items.len()) {
            Some(i) => {
                items.remove(i);
                true
            }
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_and_find() {
        let doc = Json::parse(r#"{"a":[1,{"b c":2}],"x.y":3}"#).unwrap();
        let at = |p: &str| find(&doc, &parse(p).unwrap()).map(Json::text);
        assert_eq!(at("$.a[1].\"b c\""), Some("2".into()));
        assert_eq!(at("$.a[#-1]"), Some(r#"{"b c":2}"#.into()));
        assert_eq!(at("$.a[#]"), None);
        assert_eq!(at("$.\"x.y\""), Some("3".into()));
        assert_eq!(at("$"), Some(doc.text()));
        for bad in ["a", "$.", "$[x]", "$[1", "$a"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn edits_insert_replace_set_and_remove() {
        let mut doc = Json::parse(r#"{"a":[1,2]}"#).unwrap();
        edit(&mut doc, &parse("$.a[#]").unwrap(), Json::Num("3".into()), Edit::Insert);
        edit(&mut doc, &parse("$.b.c").unwrap(), Json::Null, Edit::Set);
        edit(&mut doc, &parse("$.a[0]").unwrap(), Json::Bool(true), Edit::Insert);
        edit(&mut doc, &parse("$.z").unwrap(), Json::Bool(true), Edit::Replace);
        assert_eq!(doc.text(), r#"{"a":[1,2,3],"b":{"c":null}}"#);
        assert!(remove(&mut doc, &parse("$.a[1]").unwrap()));
        assert!(!remove(&mut doc, &parse("$.q").unwrap()));
        assert_eq!(doc.text(), r#"{"a":[1,3],"b":{"c":null}}"#);
    }
}
