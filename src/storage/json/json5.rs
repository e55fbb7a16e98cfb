//! JSON5, as SQLite's functions read it: unquoted keys, JSON5's numbers and white
//! space. What is read is written back as canonical JSON.

use super::{Json, Malformed, Parser};

impl Parser<'_> {
    /// JSON5: an object's key written without quotes, an identifier (letters, digits,
    /// `$`, `_`, `\uXXXX`, not starting with a digit), kept as written.
    pub(super) fn identifier(&mut self) -> std::result::Result<String, Malformed> {
        let start = self.at;
        let text = std::str::from_utf8(&self.b[start..]).map_err(|_| self.bad())?;
        let mut chars = text.char_indices().peekable();
        let mut len = 0;
        while let Some(&(i, c)) = chars.peek() {
            let ok = match c {
                '$' | '_' => true,
                '\\' => {
                    let hex = text
                        .get(i + 1..i + 6)
                        .filter(|h| h.starts_with('u') && h[1..].bytes().all(|b| b.is_ascii_hexdigit()));
                    if hex.is_none() {
                        self.at = start + i;
                        return Err(self.bad());
                    }
                    for _ in 0..5 {
                        chars.next();
                    }
                    true
                }
                c if c.is_alphabetic() => true,
                c if c.is_alphanumeric() => i > 0,
                _ => false,
            };
            if !ok {
                break;
            }
            chars.next();
            len = chars.peek().map_or(text.len(), |&(j, _)| j);
        }
        if len == 0 {
            return Err(self.bad());
        }
        self.at = start + len;
        Ok(text[..len].to_string())
    }

    /// JSON5's numbers, as SQLite writes them back: `+1` is 1, `.5` 0.5, `5.` 5.0,
    /// hexadecimal is decimal (9.0e999 past 64 bits), `Infinity` 9e999, `NaN` null.
    /// `None` for a number JSON reads as it is.
    pub(super) fn json5_number(&mut self) -> std::result::Result<Option<Json>, Malformed> {
        let start = self.at;
        let rest = &self.b[start..];
        let (sign, body) = match rest.first() {
            Some(b'+') => ("", &rest[1..]),
            Some(b'-') => ("-", &rest[1..]),
            _ => ("", rest),
        };
        let signed = rest.len() - body.len();
        let word = |w: &str| body.len() >= w.len() && body[..w.len()].eq_ignore_ascii_case(w.as_bytes());
        let ends = |n: usize| !body.get(n).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        // Infinity and its kin, any case; NaN without a sign.
        for (w, value) in
            [("infinity", Some("9e999")), ("inf", Some("9e999")), ("qnan", None), ("snan", None), ("nan", None)]
        {
            if word(w) && ends(w.len()) {
                if value.is_none() && signed > 0 {
                    return Err(self.bad());
                }
                self.at += signed + w.len();
                return Ok(Some(match value {
                    Some(v) => Json::Num(format!("{sign}{v}")),
                    None => Json::Null,
                }));
            }
        }
        if body.len() >= 2 && body[0] == b'0' && matches!(body[1], b'x' | b'X') {
            let digits = body[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if digits == 0 {
                self.at += signed + 1;
                return Err(self.bad());
            }
            self.at += signed + 2 + digits;
            let hex = std::str::from_utf8(&body[2..2 + digits]).unwrap_or("0");
            let text = match u64::from_str_radix(hex.trim_start_matches('0'), 16) {
                Ok(n) => format!("{sign}{n}"),
                Err(_) if hex.trim_start_matches('0').is_empty() => format!("{sign}0"),
                Err(_) => format!("{sign}9.0e999"),
            };
            return Ok(Some(Json::Num(text)));
        }
        // `+`, a leading or trailing point: read as JSON, then written as JSON.
        let point_first = body.first() == Some(&b'.');
        let int_digits = body.iter().take_while(|c| c.is_ascii_digit()).count();
        let point_last = int_digits > 0
            && body.get(int_digits) == Some(&b'.')
            && !body.get(int_digits + 1).is_some_and(u8::is_ascii_digit);
        if (signed == 0 || sign == "-") && !point_first && !point_last {
            return Ok(None);
        }
        if !point_first && int_digits == 0 {
            return Err(self.bad());
        }
        if int_digits > 1 && body[0] == b'0' {
            self.at += signed + 1;
            return Err(self.bad());
        }
        let mut text = String::from(sign);
        if point_first {
            text.push('0');
        }
        let mut i = 0;
        while let Some(&c) = body.get(i) {
            match c {
                b'0'..=b'9' => text.push(c as char),
                b'.' => {
                    text.push('.');
                    if !body.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        if point_first {
                            self.at += signed + i;
                            return Err(self.bad());
                        }
                        text.push('0');
                    }
                }
                b'e' | b'E' => {
                    let at_e = i;
                    text.push(c as char);
                    i += 1;
                    if let Some(&s @ (b'+' | b'-')) = body.get(i) {
                        text.push(s as char);
                        i += 1;
                    }
                    let n = body[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    if n == 0 {
                        self.at += signed + at_e;
                        return Err(self.bad());
                    }
                    text.push_str(std::str::from_utf8(&body[i..i + n]).unwrap_or(""));
                    i += n;
                    break;
                }
                _ => break,
            }
            i += 1;
        }
        self.at += signed + i;
        Ok(Some(if self.build { Json::Num(text) } else { Json::Null }))
    }
}

/// The length of the JSON5 white space (beyond JSON's) that `rest` starts with: vertical
/// tab, form feed, no-break space, the line and paragraph separators, the byte order
/// mark and the other Unicode spaces.
pub(super) fn json5_space(rest: &[u8]) -> Option<usize> {
    match rest.first()? {
        0x0b | 0x0c => return Some(1),
        c if *c < 0x80 => return None,
        _ => {}
    }
    let c = std::str::from_utf8(&rest[..rest.len().min(4)])
        .ok()
        .or_else(|| (1..4).rev().find_map(|n| std::str::from_utf8(rest.get(..n)?).ok()))?
        .chars()
        .next()?;
    matches!(
        c,
        '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
    .then(|| c.len_utf8())
}
