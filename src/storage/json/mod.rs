//! JSON documents as SQLite's json1 functions see them: text parsed into a tree that
//! keeps what SQLite keeps (the order and repetition of object keys, a number's text,
//! a string's escapes), and written back minified or pretty. A `JSON` column holds
//! text this parser accepts; the functions, paths and edits are in `exec::json`.

use crate::error::{Error, Result};

mod json5;
pub mod members;
use json5::json5_space;

/// A JSON value. Numbers and strings keep their text as written (a string's without
/// its quotes, escapes and all), so that a document comes back as it went in.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Where a text stops being JSON: the 1-based position of the first bad byte.
#[derive(Debug)]
pub struct Malformed(pub usize);

impl Malformed {
    pub fn error(&self) -> Error {
        Error::invalid(format!("malformed JSON at byte {}", self.0))
    }
}

/// Deeper than this is refused, as SQLite refuses nesting deeper than 1000.
const MAX_DEPTH: usize = 1000;

impl Json {
    /// Parses a whole text (whitespace around it allowed).
    pub fn parse(text: &str) -> std::result::Result<Json, Malformed> {
        let mut p = Parser { b: text.as_bytes(), at: 0, depth: 0, build: true, json5: true };
        p.ws();
        let v = p.value()?;
        p.ws();
        if p.at != p.b.len() {
            // SQLite reports a document followed by more as broken at its first byte.
            return Err(Malformed(1));
        }
        Ok(v)
    }

    /// Whether a whole text is RFC 8259 JSON, checked without building it.
    pub fn is_valid(text: &str) -> bool {
        Json::check(text, false)
    }

    /// Whether a whole text is JSON5 (RFC 8259 JSON included).
    pub fn is_valid_json5(text: &str) -> bool {
        Json::check(text, true)
    }

    fn check(text: &str, json5: bool) -> bool {
        let mut p = Parser { b: text.as_bytes(), at: 0, depth: 0, build: false, json5 };
        p.ws();
        let ok = p.value().is_ok();
        p.ws();
        ok && p.at == p.b.len()
    }

    /// [`Json::parse`] with SQLite's error.
    pub fn parse_sql(text: &str) -> Result<Json> {
        Json::parse(text).map_err(|m| m.error())
    }

    /// A JSON string holding `s`, escaped as SQLite escapes.
    pub fn string(s: &str) -> Json {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        Json::Str(out)
    }

    /// The minified text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(k);
                    out.push_str("\":");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The text indented by `indent` per level, as `json_pretty` writes it.
    pub fn pretty(&self, indent: &str) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, indent, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, indent: &str, level: usize) {
        let newline = |out: &mut String, level: usize| {
            out.push('\n');
            for _ in 0..level {
                out.push_str(indent);
            }
        };
        match self {
            Json::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    v.write_pretty(out, indent, level + 1);
                }
                newline(out, level);
                out.push(']');
            }
            Json::Object(members) if !members.is_empty() => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    out.push('"');
                    out.push_str(k);
                    out.push_str("\": ");
                    v.write_pretty(out, indent, level + 1);
                }
                newline(out, level);
                out.push('}');
            }
            other => other.write(out),
        }
    }

    /// SQLite's name for the value's type (`json_type`).
    pub fn type_name(&self) -> &'static str {
        TYPE_NAMES[self.type_index()]
    }

    /// The place of the value's type in [`TYPE_NAMES`].
    pub fn type_index(&self) -> usize {
        match self {
            Json::Null => 0,
            Json::Bool(true) => 1,
            Json::Bool(false) => 2,
            Json::Num(n) if is_integer_text(n) => 3,
            Json::Num(_) => 4,
            Json::Str(_) => 5,
            Json::Array(_) => 6,
            Json::Object(_) => 7,
        }
    }
}

/// The names of JSON's types as SQLite gives them.
pub const TYPE_NAMES: [&str; 8] = ["null", "true", "false", "integer", "real", "text", "array", "object"];

/// True for a number written without a fraction or an exponent.
pub fn is_integer_text(n: &str) -> bool {
    // Bytes, not characters: a number's text is ASCII.
    !n.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// A string's text with its escapes decoded.
pub fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let unit = u32::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                if (0xd800..0xdc00).contains(&unit) {
                    // A surrogate pair: the low half follows as `\uXXXX`.
                    let rest = chars.as_str();
                    let low = rest
                        .strip_prefix("\\u")
                        .and_then(|r| r.get(..4))
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .filter(|l| (0xdc00..0xe000).contains(l));
                    if let Some(low) = low {
                        chars.nth(5);
                        let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        continue;
                    }
                }
                out.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

struct Parser<'a> {
    b: &'a [u8],
    at: usize,
    depth: usize,
    /// Whether values are built; when not, the text is only checked (and each value
    /// read is `Json::Null`), which allocates nothing.
    build: bool,
    /// Whether JSON5 is read too (comments, trailing commas, unquoted keys, single
    /// quotes, hexadecimal, `.5`, `Infinity`, …), as SQLite's functions read it; what is
    /// built from it is canonical JSON.
    json5: bool,
}

/// One step of a path to seek in a document's text: an object's label (its first
/// member of that name) or an array's element.
#[derive(Clone, Copy, Debug)]
pub enum Seek<'s> {
    Key(&'s str),
    Index(usize),
}

impl Json {
    /// What the path names in the document `text`, found without building the rest of
    /// the document: the text is still checked whole, and an error is where
    /// [`Json::parse`] puts it. `key_matches(raw, key)` compares a label as written
    /// (escapes and all) with a step's key.
    pub fn seek(
        text: &str,
        path: &[Seek],
        key_matches: &dyn Fn(&str, &str) -> bool,
    ) -> std::result::Result<Option<Json>, Malformed> {
        let mut p = Parser { b: text.as_bytes(), at: 0, depth: 0, build: false, json5: false };
        let mut found = None;
        p.ws();
        let sought = p.seek(path, key_matches, &mut found);
        p.ws();
        if sought.is_err() || p.at != p.b.len() {
            // JSON5 (read whole, then followed), or the error where the full parser
            // puts it.
            let doc = Json::parse(text)?;
            let mut at = &doc;
            for step in path {
                let next = match (at, step) {
                    (Json::Object(members), Seek::Key(key)) => {
                        members.iter().find(|(k, _)| key_matches(k, key)).map(|(_, v)| v)
                    }
                    (Json::Array(items), Seek::Index(i)) => items.get(*i),
                    _ => None,
                };
                match next {
                    Some(v) => at = v,
                    None => return Ok(None),
                }
            }
            return Ok(Some(at.clone()));
        }
        Ok(found)
    }
}

impl Parser<'_> {
    /// Reads the value here, putting into `found` (built) what `path` names in it.
    fn seek(
        &mut self,
        path: &[Seek],
        key_matches: &dyn Fn(&str, &str) -> bool,
        found: &mut Option<Json>,
    ) -> std::result::Result<(), Malformed> {
        let Some((step, rest)) = path.split_first() else {
            self.build = true;
            let v = self.value();
            self.build = false;
            *found = Some(v?);
            return Ok(());
        };
        match (self.b.get(self.at), step) {
            (Some(b'{'), Seek::Key(key)) => {
                if !self.open(b'}')? {
                    return Ok(());
                }
                let mut followed = false;
                loop {
                    if self.b.get(self.at) != Some(&b'"') {
                        return Err(self.bad());
                    }
                    let (from, to) = self.string_span()?;
                    self.ws();
                    if self.b.get(self.at) != Some(&b':') {
                        return Err(self.bad());
                    }
                    self.at += 1;
                    self.ws();
                    let label = std::str::from_utf8(&self.b[from..to]).map_err(|_| Malformed(from + 1))?;
                    if !followed && key_matches(label, key) {
                        followed = true;
                        crate::storage::stack::grow(|| self.seek(rest, key_matches, found))?;
                    } else {
                        self.value()?;
                    }
                    if !self.next_or_end(b'}')? {
                        return Ok(());
                    }
                }
            }
            (Some(b'['), Seek::Index(want)) => {
                if !self.open(b']')? {
                    return Ok(());
                }
                let mut i = 0;
                loop {
                    if i == *want {
                        crate::storage::stack::grow(|| self.seek(rest, key_matches, found))?;
                    } else {
                        self.value()?;
                    }
                    i += 1;
                    if !self.next_or_end(b']')? {
                        return Ok(());
                    }
                }
            }
            // Not there: the value is only checked.
            _ => self.value().map(|_| ()),
        }
    }

    /// After a container's element: past a comma (`true`, more follow) or past the
    /// container's end (`false`).
    fn next_or_end(&mut self, end: u8) -> std::result::Result<bool, Malformed> {
        self.ws();
        match self.b.get(self.at) {
            Some(b',') => {
                self.at += 1;
                self.ws();
                // JSON5: a comma may end the list.
                if self.json5 && self.b.get(self.at) == Some(&end) {
                    self.at += 1;
                    self.depth -= 1;
                    return Ok(false);
                }
                Ok(true)
            }
            Some(&c) if c == end => {
                self.at += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => Err(self.bad()),
        }
    }

    fn ws(&mut self) {
        loop {
            while self.at < self.b.len() && matches!(self.b[self.at], b' ' | b'\t' | b'\n' | b'\r') {
                self.at += 1;
            }
            if !self.json5 {
                return;
            }
            // JSON5: comments, and more kinds of white space.
            let rest = &self.b[self.at..];
            if rest.starts_with(b"//") {
                self.at += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            } else if rest.starts_with(b"/*") {
                match rest[2..].windows(2).position(|w| w == b"*/") {
                    Some(n) => self.at += n + 4,
                    // An unclosed comment: left for the caller to find bad.
                    None => return,
                }
            } else if let Some(n) = json5_space(rest) {
                self.at += n;
            } else {
                return;
            }
        }
    }

    fn bad(&self) -> Malformed {
        Malformed(self.at + 1)
    }

    fn value(&mut self) -> std::result::Result<Json, Malformed> {
        let Some(&c) = self.b.get(self.at) else { return Err(self.bad()) };
        match c {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' if !self.build => self.string_span().map(|_| Json::Null),
            b'"' => self.string().map(Json::Str),
            b'\'' if self.json5 => self.string().map(Json::Str),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' if self.b[self.at..].starts_with(b"null") => self.word("null", Json::Null),
            b'-' | b'0'..=b'9' => self.number(),
            b'+' | b'.' | b'I' | b'i' | b'N' | b'n' | b'Q' | b'q' | b'S' | b's' if self.json5 => self.number(),
            _ => Err(self.bad()),
        }
    }

    fn word(&mut self, w: &str, v: Json) -> std::result::Result<Json, Malformed> {
        if self.b[self.at..].starts_with(w.as_bytes()) {
            self.at += w.len();
            Ok(v)
        } else {
            Err(self.bad())
        }
    }

    /// Past a container's opening bracket; `false` when it is empty (and so already
    /// past its end too).
    fn open(&mut self, end: u8) -> std::result::Result<bool, Malformed> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.bad());
        }
        self.at += 1;
        self.ws();
        if self.b.get(self.at) == Some(&end) {
            self.at += 1;
            self.depth -= 1;
            return Ok(false);
        }
        Ok(true)
    }

    fn array(&mut self) -> std::result::Result<Json, Malformed> {
        let mut items = Vec::new();
        if !self.open(b']')? {
            return Ok(Json::Array(items));
        }
        loop {
            let v = self.value()?;
            if self.build {
                items.push(v);
            }
            if !self.next_or_end(b']')? {
                return Ok(Json::Array(items));
            }
        }
    }

    fn object(&mut self) -> std::result::Result<Json, Malformed> {
        let mut members = Vec::new();
        if !self.open(b'}')? {
            return Ok(Json::Object(members));
        }
        loop {
            let key = match self.b.get(self.at) {
                Some(b'"') if !self.build => self.string_span().map(|_| String::new())?,
                Some(b'"') => self.string()?,
                Some(b'\'') if self.json5 => self.string()?,
                Some(_) if self.json5 => self.identifier()?,
                _ => return Err(self.bad()),
            };
            self.ws();
            if self.b.get(self.at) != Some(&b':') {
                return Err(self.bad());
            }
            self.at += 1;
            self.ws();
            let v = self.value()?;
            if self.build {
                members.push((key, v));
            }
            if !self.next_or_end(b'}')? {
                return Ok(Json::Object(members));
            }
        }
    }

    /// A string's raw text between its quotes, its escapes checked; JSON5's (single
    /// quotes, `\'`, `\v`, `\0`, `\xHH`, an escaped line break) written as JSON's.
    fn string(&mut self) -> std::result::Result<String, Malformed> {
        let quote = self.b[self.at];
        let (start, end) = self.string_span()?;
        // The input is a `str` and the quotes are ASCII, so the slice is whole characters.
        let raw = std::str::from_utf8(&self.b[start..end]).map_err(|_| Malformed(start + 1))?;
        if !self.json5 || (quote == b'"' && !raw.contains('\\')) {
            return Ok(raw.to_string());
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => match chars.next() {
                    Some('\'') => out.push('\''),
                    Some('v') => out.push_str("\\u000b"),
                    Some('0') => out.push_str("\\u0000"),
                    Some('x') => {
                        out.push_str("\\u00");
                        out.extend(chars.by_ref().take(2));
                    }
                    Some('\r') if chars.peek() == Some(&'\n') => {
                        chars.next();
                    }
                    Some('\r') => {}
                    Some('\n' | '\u{2028}' | '\u{2029}') => {}
                    Some(e) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => {}
                },
                c => out.push(c),
            }
        }
        Ok(out)
    }

    /// Where a string's raw text starts and ends (past its quotes), its escapes checked.
    fn string_span(&mut self) -> std::result::Result<(usize, usize), Malformed> {
        let quote = self.b[self.at];
        self.at += 1;
        let start = self.at;
        loop {
            let Some(&c) = self.b.get(self.at) else { return Err(self.bad()) };
            match c {
                c if c == quote => break,
                b'\\' => match self.b.get(self.at + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 2,
                    Some(b'\'' | b'v' | b'\n') if self.json5 => self.at += 2,
                    Some(b'0') if self.json5 && !self.b.get(self.at + 2).is_some_and(u8::is_ascii_digit) => {
                        self.at += 2
                    }
                    Some(b'\r') if self.json5 => {
                        self.at += if self.b.get(self.at + 2) == Some(&b'\n') { 3 } else { 2 };
                    }
                    Some(b'x') if self.json5 => {
                        let hex = self.b.get(self.at + 2..self.at + 4).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                        if hex.is_none() {
                            self.at += 1;
                            return Err(self.bad());
                        }
                        self.at += 4;
                    }
                    // U+2028 and U+2029 (E2 80 A8/A9) after a backslash: a line break.
                    Some(0xE2)
                        if self.json5
                            && self.b.get(self.at + 2) == Some(&0x80)
                            && matches!(self.b.get(self.at + 3), Some(0xA8 | 0xA9)) =>
                    {
                        self.at += 4
                    }
                    Some(b'u') => {
                        let hex = self.b.get(self.at + 2..self.at + 6).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                        if hex.is_none() {
                            self.at += 1;
                            return Err(self.bad());
                        }
                        self.at += 6;
                    }
                    _ => {
                        self.at += 1;
                        return Err(self.bad());
                    }
                },
                0..=0x1f => return Err(self.bad()),
                _ => self.at += 1,
            }
        }
        self.at += 1;
        Ok((start, self.at - 1))
    }

    fn number(&mut self) -> std::result::Result<Json, Malformed> {
        if self.json5 {
            if let Some(v) = self.json5_number()? {
                return Ok(v);
            }
        }
        let start = self.at;
        if self.b[self.at] == b'-' {
            self.at += 1;
        }
        let digits = |p: &mut Parser| {
            let from = p.at;
            while p.b.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at - from
        };
        match self.b.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.bad()),
        }
        if self.b.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.bad());
            }
        }
        if matches!(self.b.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.b.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.bad());
            }
        }
        if !self.build {
            return Ok(Json::Null);
        }
        let text = std::str::from_utf8(&self.b[start..self.at]).map_err(|_| Malformed(start + 1))?;
        Ok(Json::Num(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_back_minified() {
        let doc = Json::parse(" { \"a\" : [1, 2.5e3, -0, true, null], \"b\\n\": \"x\\u0041\", \"a\": {} } ").unwrap();
        assert_eq!(doc.text(), r#"{"a":[1,2.5e3,-0,true,null],"b\n":"x\u0041","a":{}}"#);
        assert_eq!(unescape("x\\u0041\\n\\ud83d\\ude00"), "xA\n😀");
    }

    #[test]
    fn errors_name_the_first_bad_byte() {
        for (text, at) in
            [("", 1), ("[1,,]", 4), ("{\"a\" 1}", 6), ("01", 1), ("[01]", 3), ("[1] x", 1), ("\"\\q\"", 3), ("tru", 1)]
        {
            assert_eq!(Json::parse(text).err().map(|m| m.0), Some(at), "{text}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert!(Json::parse(&deep).is_err());
        for text in ["", "[1,]", "[1] x", "\"\\q\"", &deep] {
            assert!(!Json::is_valid(text), "{text}");
        }
        // JSON5 is read, and checked apart.
        assert!(Json::is_valid_json5("[1,]") && Json::is_valid_json5("{a:0x1F, b:'c'}"));
        assert_eq!(Json::parse("{a:0x1F, b:'c\"d', /* e */}").unwrap().text(), r#"{"a":31,"b":"c\"d"}"#);
        assert!(Json::is_valid(" {\"a\": [1, -2.5e3, \"x\\n\"]} "));
    }
}
