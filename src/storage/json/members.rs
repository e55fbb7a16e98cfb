//! A container's members read straight from a document's text, nothing built: where
//! each one is written and how big it is in SQLite's binary form (JSONB), which is
//! what `json_each` needs to give its rows and their ids without making a tree.
//!
//! Only RFC 8259 JSON is read here; a text that is not (JSON5, or broken) is an error,
//! and the caller goes back to [`super::Json::parse`], which reads JSON5 and puts the
//! error where SQLite does.

use super::{is_integer_text, Malformed, Parser};

/// One member of a container, as written in the document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Member {
    /// An object member's label: where its text starts and ends (inside its quotes).
    pub label: Option<(usize, usize)>,
    /// Where the value's text starts and ends (a string's quotes included).
    pub from: usize,
    pub to: usize,
    /// The value's size in the binary form, header and payload.
    pub size: usize,
}

/// The size of an element's header in the binary form, for a payload of `n` bytes: 1,
/// 2, 3 or 5 bytes.
pub fn header(n: usize) -> usize {
    match n {
        0..=11 => 1,
        12..=0xff => 2,
        0x100..=0xffff => 3,
        _ => 5,
    }
}

/// Where the document's value starts and ends when the whole `text` is JSON (white
/// space around it allowed), checked without building it.
pub fn root(text: &str) -> Result<(usize, usize), Malformed> {
    let mut p = strict(text, 0);
    p.ws();
    let start = p.at;
    p.sized()?;
    let end = p.at;
    p.ws();
    if p.at != p.b.len() {
        return Err(Malformed(1));
    }
    Ok((start, end))
}

/// The members of the container whose text starts at byte `at` of `text` (an object
/// or an array), put into `out`, and the size of the container's payload; `None` when
/// the value there is not a container.
pub fn members(text: &str, at: usize, out: &mut Vec<Member>) -> Result<Option<usize>, Malformed> {
    let mut p = strict(text, at);
    match p.b.get(at) {
        Some(b'{' | b'[') => p.container(Some(out)).map(Some),
        _ => Ok(None),
    }
}

/// The place in [`super::TYPE_NAMES`] of the type of a value written as `raw`.
pub fn type_index(raw: &str) -> usize {
    match raw.as_bytes().first() {
        Some(b'n') => 0,
        Some(b't') => 1,
        Some(b'f') => 2,
        Some(b'"') => 5,
        Some(b'[') => 6,
        Some(b'{') => 7,
        _ if is_integer_text(raw) => 3,
        _ => 4,
    }
}

/// A JSON text without the white space between its tokens.
pub fn minified(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

fn strict(text: &str, at: usize) -> Parser<'_> {
    Parser { b: text.as_bytes(), at, depth: 0, build: false, json5: false }
}

impl Parser<'_> {
    /// Reads past the value here, checking it; its size in the binary form.
    fn sized(&mut self) -> Result<usize, Malformed> {
        let from = self.at;
        let payload = match self.b.get(self.at) {
            Some(b'{' | b'[') => crate::storage::stack::grow(|| self.container(None))?,
            Some(b'"') => {
                let (start, end) = self.string_span()?;
                end - start
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                self.at - from
            }
            Some(b't' | b'f' | b'n') => {
                self.value()?;
                0
            }
            _ => return Err(self.bad()),
        };
        Ok(header(payload) + payload)
    }

    /// Reads past the container here, checking it, putting its members into `out` when
    /// there is one; its payload's size.
    fn container(&mut self, mut out: Option<&mut Vec<Member>>) -> Result<usize, Malformed> {
        let object = self.b[self.at] == b'{';
        let end = if object { b'}' } else { b']' };
        let mut payload = 0;
        if !self.open(end)? {
            return Ok(0);
        }
        loop {
            let mut label = None;
            if object {
                if self.b.get(self.at) != Some(&b'"') {
                    return Err(self.bad());
                }
                let (start, end) = self.string_span()?;
                payload += header(end - start) + end - start;
                self.ws();
                if self.b.get(self.at) != Some(&b':') {
                    return Err(self.bad());
                }
                self.at += 1;
                self.ws();
                label = Some((start, end));
            }
            let from = self.at;
            let size = self.sized()?;
            payload += size;
            if let Some(out) = out.as_deref_mut() {
                out.push(Member { label, from, to: self.at, size });
            }
            if !self.next_or_end(end)? {
                return Ok(payload);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_sizes_are_those_of_the_binary_form() {
        // {"a":[1,2],"b":"xy"}: label "a" 2 bytes, [1,2] 1 + 2 + 2, label "b" 2, "xy" 3.
        let text = r#" {"a" : [1, 2], "b":"xy"} "#;
        let (at, end) = root(text).unwrap();
        assert_eq!((at, end), (1, text.len() - 1));
        let mut out = Vec::new();
        assert_eq!(members(text, at, &mut out).unwrap(), Some(12));
        assert_eq!(out.len(), 2);
        assert_eq!(&text[out[0].from..out[0].to], "[1, 2]");
        assert_eq!(out[0].size, 5);
        assert_eq!(out[1].label.map(|(f, t)| &text[f..t]), Some("b"));
        assert_eq!(out[1].size, 3);
        assert_eq!(minified(&text[out[0].from..out[0].to]), "[1,2]");
        assert_eq!(minified(r#"{ "a b" : "x \" y" }"#), r#"{"a b":"x \" y"}"#);
        assert_eq!(members("7", 0, &mut out).unwrap(), None);
    }

    #[test]
    fn what_is_not_strict_json_is_an_error() {
        assert!(root("[1,]").is_err());
        assert!(root("{a:1}").is_err());
        assert!(root("[1] x").is_err());
        assert!(root("[\"\\q\"]").is_err());
        assert_eq!(
            [0, 1, 2, 3, 4, 5].map(|i| type_index(["null", "true", "false", "-3", "1e2", "\"s\""][i])),
            [0, 1, 2, 3, 4, 5]
        );
    }
}
